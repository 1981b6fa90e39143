"""NAT mode in the real lab: the virtual router as OpenFlow rules, the NAT column of
docs/contract.md §3."""

import re
import threading

import pytest
from labkit import assert_claim

from controllers.nat_table import session_cookies
from topos.contract import probe
from topos.contract.claims import for_column
from topos.modes.nat import Nat
from topos.modes.registry import column
from topos.run.poll import until
from topos.tools.bench import baseline, iperf
from topos.tools.natmap import natmap_rows

TOPOLOGY = Nat


@pytest.mark.parametrize("claim", for_column(column("nat")),
                         ids=lambda c: "claim%d" % c.number)
def test_claim(lab, claim):
    assert_claim(lab, claim)


def test_vms_lease_from_the_virtual_router(lab):
    # VirtualBox's NAT Network numbers: gateway .1, DHCP server .3, leases from .4
    assert (lab.lease("vm1")["ip"], lab.lease("vm2")["ip"]) == ("10.0.2.4", "10.0.2.5")
    assert lab.lease("vm1")["router"] == "10.0.2.1" and lab.lease("vm1")["server"] == "10.0.2.3"
    assert lab.lease("vm3")["ip"] == "10.0.3.4" and lab.lease("vm3")["router"] == "10.0.3.1"
    assert lab.lease("host1")["ip"] == "192.168.1.10"  # host1's own stack: r1's DHCP, untouched


def test_pc1_sees_host1_with_a_translated_port(lab):
    vm1 = lab.get("vm1")
    out = vm1.cmd("socat -t2 - TCP4:%s:7001,sourceport=40001,reuseaddr </dev/null"
                  % lab.ip("pc1"))
    seen = re.search(r"from=(\S+) port=(\d+) by=pc1", out)
    assert seen, out
    assert seen.group(1) == "192.168.1.10"
    assert 61000 <= int(seen.group(2)) <= 61999 and seen.group(2) != "40001"


def test_vm_macs_never_reach_the_lan(lab):
    assert probe.exchange(lab.get("vm1"), lab.ip("pc1"))["tcp"].ok
    assert probe.exchange(lab.get("vm2"), "203.0.113.10")["udp"].ok
    for node in ("pc1", "r1", "host2"):
        assert "08:00:27" not in lab.get(node).cmd("ip neigh")
    assert "08:00:27" not in lab.get("lan").flows()


def test_vm1_and_vm2_use_one_server_at_the_same_time(lab):
    results = {}

    def talk(vm):
        results[vm] = probe.exchange(lab.get(vm), "203.0.113.10")

    threads = [threading.Thread(target=talk, args=(vm,)) for vm in ("vm1", "vm2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for vm, by_proto in results.items():
        assert all(r.ok for r in by_proto.values()), (vm, by_proto)


def packet_ins(switch):
    """Packets the switch has sent to the controller so far (every rule with CONTROLLER)."""
    total = 0
    for line in switch.flows().splitlines():
        if "CONTROLLER" in line:
            total += int(re.search(r"n_packets=(\d+)", line).group(1))
    return total


def test_fast_path_iperf3_through_the_nat_sends_almost_nothing_to_the_controller(lab):
    veth = baseline("veth", 2).tcp_gbps
    router = lab.get("vr-host1")
    figures = {}
    for target in ("pc1", "inet"):
        before = packet_ins(router)
        gbps = iperf(lab.get("vm1"), lab.get(target), lab.ip(target), seconds=3)
        figures[target] = (gbps, packet_ins(router) - before)
    print("bare veth %.2f Gbit/s; " % veth + "; ".join(
        "nat vm1->%s %.2f Gbit/s (%.2f of veth), %d packet-ins" % (t, g, g / veth, n)
        for t, (g, n) in figures.items()))
    for target, (gbps, sent_up) in figures.items():
        assert gbps > 0
        # of some 10^5 packets: the first of each connection (iperf3 opens two), the LAN's
        # ARP copies, and nothing per packet
        assert sent_up <= 20, "%d packets reached the controller during vm1->%s" % (
            sent_up, target)


def test_natmap_shows_each_mapping(lab):
    assert probe.tcp(lab.get("vm2"), lab.ip("pc1")).ok

    def mine():  # the controller writes its table for natmap a few times a second
        return [r for r in natmap_rows(lab) if r["inside"].startswith("10.0.2.5:")
                and r["proto"] == "tcp" and r["remote"] == "%s:7001" % lab.ip("pc1")]

    rows = until(mine, 5, "vm2's mapping in natmap")
    assert all(61000 <= r["outside_port"] <= 61999 for r in rows)
    rows = natmap_rows(lab)
    assert any(r["forward"] and r["inside"] == "10.0.2.4:22" for r in rows)
    assert "NAT: new mapping tcp 10.0.2.5:" in open("%s/controller.log" % lab.rundir).read()


def test_trace_shows_the_virtual_router_and_r1_rewrite_the_source(lab):
    from topos.tools.trace import trace

    request, reply, result = trace(lab, "vm1", "203.0.113.10", "tcp")
    assert result.ok
    by_place = {h.where: h.seen for h in request}
    assert by_place["vm1:eth0"].src_ip == "10.0.2.4"
    assert by_place["r1:eth1"].src_ip == "192.168.1.10"  # the virtual router's NAT
    assert 61000 <= by_place["r1:eth1"].src_port <= 61999
    assert by_place["inet:eth0"].src_ip == "203.0.113.1"  # r1's NAT: two in a row
    assert [h.where for h in reply][-1] == "vm1:eth0"
    assert reply[-1].seen.dst_ip == "10.0.2.4"


def test_a_session_whose_flows_the_switch_lost_ends_at_the_audit(lab):
    """The controller reads the switch's flows now and then (a slice at a time in a big
    table): a session whose flows are gone without a flow-removed ends, its port freed."""
    assert probe.tcp(lab.get("vm2"), lab.ip("pc1")).ok

    def mine():
        return [r for r in natmap_rows(lab) if r["inside"].startswith("10.0.2.5:")
                and r["proto"] == "tcp" and r["remote"] == "%s:7001" % lab.ip("pc1")]

    cookie = until(mine, 5, "vm2's session in natmap")[0]["cookie"]
    router = lab.get("vr-host1")
    # the same matches with another cookie: the session's flows are replaced, and a
    # replaced flow sends no flow-removed (as if the message had been lost)
    lost = re.findall(r"(priority=\S+) actions=", router.cmd(
        "ovs-ofctl -O OpenFlow13 dump-flows %s cookie=%#x/%#x" % ((router,) + session_cookies(
            cookie))))
    assert len(lost) == 2, lost
    try:
        for match in lost:
            router.cmd("ovs-ofctl -O OpenFlow13 add-flow %s '%s,actions=drop'" % (router, match))
        until(lambda: all(r["cookie"] != cookie for r in natmap_rows(lab)), 20,
              "the audit ending the session whose flows were lost")
    finally:
        for match in lost:
            router.cmd("ovs-ofctl -O OpenFlow13 --strict del-flows %s '%s'" % (router, match))
