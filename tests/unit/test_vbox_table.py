"""`vmnet table`: VirtualBox's table of modes as written down, and how cells are read."""

import pytest

pytest.importorskip("mininet", reason="each mode declares its row next to its topology")

from topos.contract.check import Observation  # noqa: E402
from topos.contract.vbox_table import (  # noqa: E402
    COLUMNS,
    IPV6_COLUMNS,
    MEASURED_BY,
    Cell,
    as_json,
    format_table,
    outcome,
    rows,
)


def seen(*observed):
    return [Observation("nat", 1, "x", proto, True, o, "")
            for proto, o in zip(("icmp", "tcp", "udp"), observed)]


def test_the_rows_and_columns_are_the_manuals_plus_the_internet_names_and_ipv6():
    by_name = {r.virtualbox: r for r in rows()}
    assert sorted(by_name) == ["Bridged", "Host-only", "Internal", "NAT", "NAT Network",
                               "NAT Network, IPv6 on"]
    assert COLUMNS[:5] == ("VM -> host", "host -> VM", "VM <-> VM", "VM -> LAN", "LAN -> VM")
    assert set(MEASURED_BY) == set(COLUMNS + IPV6_COLUMNS)
    nat, network = by_name["NAT"], by_name["NAT Network"]
    assert nat.topo == "nat,per_vm=yes" and network.topo == "nat"
    # what tells VirtualBox's two NATs apart: the VMs see each other in a NAT Network only
    # (over IPv6 too: its guests share a link)
    assert [a == b for a, b in zip(nat.expected, network.expected)] == [
        True, True, False, True, True, True, True, True, False, True]
    # IPv6 on: a guest reaches its host and the internet over IPv6 as well
    assert by_name["NAT Network, IPv6 on"].expected[-3:] == ("+", "+", "+")
    assert all(len(r.expected) == len(COLUMNS + IPV6_COLUMNS) for r in rows())


def test_a_cell_is_plus_only_when_every_protocol_got_its_answer():
    assert outcome(seen(True, True, True)) == "+"
    assert outcome(seen(False, False, False)) == "-"
    assert outcome(seen(True, False, True)) == "only icmp/udp"


def test_a_cell_that_differs_from_the_manual_shows_both_and_fails_the_row():
    row = rows()[0]
    cells = {c: Cell(want, want) for c, want in zip(COLUMNS + IPV6_COLUMNS, row.expected)}
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
    found = {}
    for line in open(os.path.join(root, "docs", "contract.md")):
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(COLUMNS + IPV6_COLUMNS) and cells[0] in {
                r.virtualbox for r in rows()}:
            found[cells[0]] = (cells[1], tuple(cells[2:]))
    assert found == {r.virtualbox: (r.topo, r.expected) for r in rows()}
