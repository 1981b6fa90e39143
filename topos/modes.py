"""The lab's modes by name, and building one from `mode[,param=value...]` text."""

from topos.bridged import Bridged
from topos.contract import claims
from topos.hostonly import HostOnly
from topos.internal import Internal
from topos.nat import Nat
from topos.run.errors import LabError

MODES = dict(zip(claims.MODES, (HostOnly, Nat, Bridged, Internal)))  # the names are the contract's


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
    return MODES[mode](**options)
