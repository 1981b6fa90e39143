"""`vmnet table`: VirtualBox's table of modes as written down, and how cells are read."""

from topos.contract.check import Observation
from topos.contract.claims import MODES  # the names only: no Mininet needed
from topos.contract.vbox_table import (
    COLUMNS,
    EXPECTED,
    MEASURED_BY,
    Cell,
    as_json,
    format_table,
    outcome,
)


def seen(*observed):
    return [Observation("nat", 1, "x", proto, True, o, "")
            for proto, o in zip(("icmp", "tcp", "udp"), observed)]


def test_the_rows_and_columns_are_the_manuals_plus_the_internet():
    assert [r.virtualbox for r in EXPECTED] == ["Host-only", "Internal", "Bridged", "NAT",
                                                "NAT Network"]
    assert COLUMNS[:5] == ("VM -> host", "host -> VM", "VM <-> VM", "VM -> LAN", "LAN -> VM")
    assert set(MEASURED_BY) == set(COLUMNS)
    nat, network = EXPECTED[3], EXPECTED[4]
    assert nat.topo == "nat,per_vm=yes" and network.topo == "nat"
    # what tells VirtualBox's two NATs apart: the VMs see each other in a NAT Network only
    assert [a == b for a, b in zip(nat.expected, network.expected)] == [
        True, True, False, True, True, True]
    assert all(r.mode in MODES for r in EXPECTED)


def test_a_cell_is_plus_only_when_every_protocol_got_its_answer():
    assert outcome(seen(True, True, True)) == "+"
    assert outcome(seen(False, False, False)) == "-"
    assert outcome(seen(True, False, True)) == "only icmp/udp"


def test_a_cell_that_differs_from_the_manual_shows_both_and_fails_the_row():
    row = EXPECTED[0]
    cells = {c: Cell(want, want) for c, want in zip(COLUMNS, row.expected)}
    cells["VM -> LAN"] = Cell("-", "+", ["claim 4 tcp: vm1->192.168.1.20: from=..."])
    text = format_table([(row, cells)])
    assert "+ (manual: -) MISMATCH" in text
    assert text.splitlines()[0].split()[:2] == ["VirtualBox", "mode"]
    record = as_json(row, cells)
    assert record["virtualbox"] == "Host-only" and record["topo"] == "hostonly"
    assert record["matches"] is False
    assert record["cells"]["VM -> LAN"]["evidence"]


def test_the_contract_shows_the_same_expected_table():
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rows = {}
    for line in open(os.path.join(root, "docs", "contract.md")):
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(COLUMNS) and cells[0] in {r.virtualbox for r in EXPECTED}:
            rows[cells[0]] = (cells[1], tuple(cells[2:]))
    assert rows == {r.virtualbox: (r.topo, r.expected) for r in EXPECTED}
