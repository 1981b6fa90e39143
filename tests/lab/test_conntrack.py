"""NAT mode with engine=conntrack: Open vSwitch's connection tracker does the NAT, the
controller sees no packet of any connection, and every claim holds as with the OpenFlow engine."""

import re

import pytest
from labkit import assert_claim

from plan.addressing import INET_IP
from topos.contract import probe
from topos.contract.claims import for_column
from topos.modes.nat import Nat
from topos.modes.registry import column
from topos.tools.natmap import natmap_rows


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return Nat(engine="conntrack")


@pytest.mark.parametrize("claim", for_column(column("nat")),
                         ids=lambda c: "claim%d" % c.number)
def test_claim(lab, claim):
    assert_claim(lab, claim)


def to_controller(lab, switch="vr-host1"):
    """Packets the switch has sent to the controller, but for the copies of LAN ARP."""
    dump = lab.get(switch).flows()  # its bridge is the lab's (a named lab's: NAME_...)
    return sum(int(re.search(r"n_packets=(\d+)", line).group(1)) for line in dump.splitlines()
               if "CONTROLLER" in line and "arp" not in line)


def test_a_burst_of_connections_and_pings_costs_no_packet_in(lab):
    vm1, vm2 = lab.get("vm1", "vm2")
    for node in (vm1, vm2):  # first contact: r1 and pc1 are known to the router after it
        assert all(r.ok for r in probe.exchange(node, lab.ip("pc1")).values())
    before = to_controller(lab)
    results = []
    for n in range(20):
        node = (vm1, vm2)[n % 2]
        results += [("%s tcp pc1" % node.name, probe.tcp(node, lab.ip("pc1"))),
                    ("%s udp inet" % node.name, probe.udp(node, INET_IP)),
                    ("%s ping inet" % node.name, probe.ping(node, INET_IP))]
    assert all(r.ok for _, r in results), [(what, r.detail) for what, r in results if not r.ok]
    assert to_controller(lab) - before == 0


def test_natmap_shows_the_trackers_entries_and_each_vm_its_own_ports(lab):
    probe.tcp(lab.get("vm1"), lab.ip("pc1"))
    probe.tcp(lab.get("vm2"), lab.ip("pc1"))
    rows = [r for r in natmap_rows(lab) if r["router"] == "host1" and r["proto"] == "tcp"
            and not r["forward"]]
    ports = {r["inside"].split(":")[0]: r["outside_port"] for r in rows}
    assert 61000 <= ports["10.0.2.4"] <= 61499 and 61500 <= ports["10.0.2.5"] <= 61999, rows

