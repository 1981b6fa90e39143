"""VirtualBox's table of networking modes, measured: `vmnet table`.

The manual's networking chapter sums its modes up in one table ("Overview of Networking
Modes"): per mode, whether a VM reaches its host, the host the VM, VMs each other, the LAN,
and the LAN the VM ("+", "-", or "Port forward"). Each mode writes its row down (its
columns' cells, topos.modes), with columns of ours: VM -> internet, names (the VM resolves
www.example.test with the name server its DHCP gave it, and reaches it by name), and IPv6's
VM -> host, VM <-> VM and VM -> internet (the contract's claims 23, 22 and 18).
Each cell here is measured in the mode's lab by the contract's own exchanges
(topos.contract.check): ICMP echo, TCP and UDP, the port forward's protocol, or DNS.
"""

from dataclasses import asdict, dataclass, field
from typing import List

from topos.contract import check
from topos.contract.claims import CLAIMS
from topos.modes.mode import FORWARD, MINUS, PLUS
from topos.modes.registry import MODES

COLUMNS = ("VM -> host", "host -> VM", "VM <-> VM", "VM -> LAN", "LAN -> VM", "VM -> internet",
           "names")
# IPv6, the manual silent: each cell is the contract's own claim for the mode's column
IPV6_COLUMNS = ("IPv6 VM -> host", "IPv6 VM <-> VM", "IPv6 VM -> internet")


@dataclass(frozen=True)
class Row:
    virtualbox: str  # the mode's name in VirtualBox's manual
    mode: str
    params: tuple
    expected: tuple  # one cell per column

    @property
    def topo(self):
        return ",".join((self.mode,) + self.params)


def rows():
    """A row per column of the contract that stands for one of VirtualBox's modes (each
    mode declares its cells: topos.modes.mode.Column)."""
    return [Row(c.virtualbox, mode.name, c.params, c.vbox_cells + tuple(
        PLUS if c.expected(MEASURED_BY[k][0]) else MINUS for k in IPV6_COLUMNS))
            for mode in MODES.values() for c in mode.columns if c.virtualbox]


# Each column: the claims (docs/contract.md) whose exchanges measure it; the second, when
# the first shows no way, says whether a port forward opens one.
MEASURED_BY = {
    "VM -> host": (2, None),
    "host -> VM": (3, 16),
    "VM <-> VM": (1, None),
    "VM -> LAN": (4, None),
    "LAN -> VM": (5, 13),
    "VM -> internet": (6, None),
    "names": (17, None),
    "IPv6 VM -> host": (23, None),
    "IPv6 VM <-> VM": (22, None),
    "IPv6 VM -> internet": (18, None),
}
CLAIM = {c.number: c for c in CLAIMS}


@dataclass
class Cell:
    expected: str
    measured: str
    evidence: List[str] = field(default_factory=list)

    @property
    def matches(self):
        return self.expected == self.measured


def outcome(observations):
    """'+' when every exchange got its answer, '-' when none did, else which did."""
    seen = [o.observed for o in observations]
    if seen and all(seen):
        return PLUS
    if not any(seen):
        return MINUS
    return "only " + "/".join(o.proto for o in observations if o.observed)


def measure_cell(lab, column):
    direct, forward = MEASURED_BY[column]
    observations = check.check_claim(lab, CLAIM[direct])
    measured = outcome(observations)
    if measured == MINUS and forward and getattr(lab.topo, "forwards", None):
        via = check.check_claim(lab, CLAIM[forward])
        observations += via
        if outcome(via) == PLUS:
            measured = FORWARD
    evidence = ["claim %d %s: %s" % (o.claim, o.proto, o.detail) for o in observations]
    return measured, evidence


def measure(lab, row, progress=None):
    """{column: Cell} for one row, in its running lab."""
    cells = {}
    for column, want in zip(COLUMNS + IPV6_COLUMNS, row.expected):
        if progress:
            progress("%s: %s" % (row.virtualbox, column))
        measured, evidence = measure_cell(lab, column)
        cells[column] = Cell(want, measured, evidence)
    return cells


def as_json(row, cells):
    return {"virtualbox": row.virtualbox, "topo": row.topo,
            "matches": all(c.matches for c in cells.values()),
            "cells": {k: asdict(c) for k, c in cells.items()}}


def format_table(results):
    """The manual's shape: a row per mode, a cell per column; a cell that differs from the
    manual shows both."""
    head = ("VirtualBox mode", "--topo") + COLUMNS + IPV6_COLUMNS
    rows = [head]
    for row, cells in results:
        rows.append((row.virtualbox, row.topo) + tuple(
            c.measured if c.matches else "%s (manual: %s) MISMATCH" % (c.measured, c.expected)
            for c in cells.values()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                     for r in rows)
