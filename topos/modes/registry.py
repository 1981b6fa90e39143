"""The lab's modes by name, and building one from `mode[,param=value...]` text.

Every tool reads the modes from here; each mode is declared once, in its own module
(topos.modes.mode says what a declaration holds; docs/adding-a-mode.md the steps).
"""

import os

from topos.modes import bridged, hostonly, internal, nat, vbox_lab
from topos.run.errors import LabError

# In the contract's order (docs/contract.md): `vmnet check all` and `vmnet bench` go this way.
# `lab` builds a lab file (topos.labfile): it answers to no column of the contract.
MODES = {m.name: m for m in (hostonly.MODE, nat.MODE, bridged.MODE, internal.MODE,
                             vbox_lab.MODE)}


def columns():
    """Every column of the contract: each mode's, its variants' after it."""
    return [c for mode in MODES.values() for c in mode.columns]


def column(name):
    found = {c.name: c for c in columns()}
    if name not in found:
        raise LabError("unknown column %r: choose one of %s" % (name, ", ".join(found)))
    return found[name]


def mode_of(column_name):
    """The mode whose lab answers to a column."""
    return next(m for m in MODES.values() if any(c.name == column_name for c in m.columns))


def parse_value(text):
    try:
        return int(text)
    except ValueError:
        return text


def topology(mode, *params, **options):
    """The topology for `mode`; params are 'name=value' strings (as after `--topo mode,`)."""
    if mode not in MODES:
        raise LabError("unknown mode %r: choose one of %s" % (mode, ", ".join(MODES)))
    for param in params:
        name, sep, value = param.partition("=")
        if not sep or not name:
            raise LabError("bad parameter %r: write name=value" % param)
        options[name] = parse_value(value)
    return MODES[mode].topology(**options)


def lab_file(mode, params):
    """(mode, params): a mode's name stays, a lab file's path (labs/vagrant.lab) is the
    `lab` mode with file=PATH. An unknown name is an error naming both."""
    if mode.endswith(".lab") or os.sep in mode or os.path.isfile(mode):
        return "lab", ["file=%s" % mode] + list(params)
    if mode not in MODES or not MODES[mode].columns:
        raise LabError("unknown mode %r: choose one of %s, or a lab file (labs/*.lab)" % (
            mode, ", ".join(m for m in MODES if MODES[m].columns)))
    return mode, list(params)
