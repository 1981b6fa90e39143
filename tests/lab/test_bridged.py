"""Bridged mode in the real lab: the VMs are plain stations of the physical LAN."""

import pytest
from labkit import assert_claim, interface_names

from topos.contract import probe
from topos.contract.claims import for_column
from topos.modes.bridged import Bridged
from topos.modes.registry import column
from topos.tools.bench import baseline, iperf

TOPOLOGY = Bridged


@pytest.mark.parametrize("claim", for_column(column("bridged")),
                         ids=lambda c: "claim%d" % c.number)
def test_claim(lab, claim):
    assert_claim(lab, claim)


def test_vms_lease_from_r1s_pool_through_the_bridge(lab):
    for vm in ("vm1", "vm2", "vm3"):
        lease = lab.lease(vm)
        assert lease["server"] == "192.168.1.1" and lease["router"] == "192.168.1.1"
        assert 100 <= int(lease["ip"].split(".")[-1]) <= 199
        assert lease["ip"].startswith("192.168.1.")
    r1_leases = open("%s/r1-dnsmasq.leases" % lab.rundir).read()
    assert "08:00:27:00:00:01 %s vm1" % lab.ip("vm1") in r1_leases
    # host1's address moved to br0, as on a real bridged host
    assert lab.lease("host1", "br0")["ip"] == "192.168.1.10"


def test_host_pc_and_vms_show_real_interface_names(lab):
    assert interface_names(lab, "host1") == {"lo", "br0"}
    assert interface_names(lab, "vm1") == {"lo", "eth0"}
    ports = {i.name for i in lab.get("br0-host1").intfList()}
    names = lab.topo.root_names  # a named lab's ports carry its name (topos.run.lab_names)
    assert {names(p) for p in ("host1-br0", "host1-vnet0", "host1-vnet1",
                               "br0-host1-eth0")} <= ports


def test_the_bridge_rewrites_nothing(lab):
    vm1, pc1 = lab.get("vm1", "pc1")
    assert probe.ping(vm1, lab.ip("pc1")).ok
    neighbour = pc1.cmd("ip neigh show %s" % lab.ip("vm1"))
    assert vm1.intf("eth0").MAC() in neighbour  # pc1 knows vm1 by vm1's own MAC
    for switch in ("br0-host1", "lan"):
        flows = lab.get(switch).flows()
        assert "actions=output" in flows
        assert "set_field" not in flows and "mod_" not in flows


def test_iperf3_pc1_to_vm1_and_vm1_to_vm3(lab):
    veth = baseline("veth", 2).tcp_gbps
    pc1_vm1 = iperf(lab.get("pc1"), lab.get("vm1"), lab.ip("vm1"), seconds=2)
    vm1_vm3 = iperf(lab.get("vm1"), lab.get("vm3"), lab.ip("vm3"), seconds=2)
    print("bare veth %.2f Gbit/s; bridged pc1->vm1 %.2f (%.2f); vm1->vm3 %.2f (%.2f)" % (
        veth, pc1_vm1, pc1_vm1 / veth, vm1_vm3, vm1_vm3 / veth))
    assert pc1_vm1 > 0 and vm1_vm3 > 0


def test_trace_shows_nothing_rewritten_until_r1(lab):
    from topos.tools.trace import trace

    request, reply, result = trace(lab, "vm1", "203.0.113.10", "udp")
    assert result.ok
    places = [h.where for h in request]
    assert places[0] == "vm1:eth0" and "r1:eth1" in places
    vm1 = request[0].seen
    lan_side = request[places.index("r1:eth1")].seen
    assert (lan_side.src_mac, lan_side.src_ip, lan_side.src_port) == (
        vm1.src_mac, vm1.src_ip, vm1.src_port)
    assert request[places.index("inet:eth0")].seen.src_ip == "203.0.113.1"


def test_a_guest_on_the_lans_ipv6_connects_to_www_over_ipv6_first(lab):
    """RFC 6724: a global source prefers a global IPv6 destination to IPv4; the far end sees
    the guest's own address (routed, no NAT), from r1's prefix and its MAC."""
    from labkit import CONNECT_BY_NAME

    from plan.addressing import slaac_ip, vm_mac

    order, answer = lab.get("vm1").cmd(CONNECT_BY_NAME).strip().splitlines()[-2:]
    assert order.split() == ["2001:db8:203::10", "203.0.113.10"], order
    assert answer.startswith("from=%s " % slaac_ip(vm_mac(1))), answer
