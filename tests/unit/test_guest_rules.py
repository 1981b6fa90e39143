"""What a hostile or broken guest does to the virtual router core, and what it must not achieve."""

import pytest

pytest.importorskip("os_ken", reason="os-ken's packet library builds the test frames")

from flowtable import FlowTable  # noqa: E402
from os_ken.lib.packet import ethernet, icmp, ipv4, tcp, udp  # noqa: E402
from test_virtual_router import (  # noqa: E402
    GW_MAC,
    R1_MAC,
    UPLINK,
    VM1_MAC,
    VM1_PORT,
    VM2_MAC,
    VM2_PORT,
    arp_frame,
    dhcp_frame,
    dhcp_reply,
    frame,
    leased,
    packet_outs,
    parse,
    tcp_frame,
)
from test_virtual_router import router as router  # noqa: E402, F401 - the fixture

from controllers import neighbours, openflow_nat, virtual_router  # noqa: E402
from controllers.frame import read  # noqa: E402
from controllers.rules import Flow, Output  # noqa: E402


def knows_r1(router, now=0):
    router.packet_in(UPLINK, read(arp_frame(2, R1_MAC, "192.168.1.1", "192.168.1.10",
                                       "02:00:c0:a8:01:0a")), now)


def syn(mac, src, sport=40000, dst="203.0.113.10"):
    return tcp_frame(mac, GW_MAC, src, dst, sport, 7001)


def test_a_frame_from_another_port_with_a_vms_mac_is_dropped_and_moves_nothing(router):
    leased(router, VM1_MAC, VM1_PORT)
    leased(router, VM2_MAC, VM2_PORT)
    knows_r1(router)
    assert router.packet_in(VM2_PORT, read(syn(VM1_MAC, "10.0.2.15")), 1) == []
    assert router.dhcp.vm_port[VM1_MAC] == VM1_PORT
    assert router.drops.counts[
        "port security: a source MAC that is not the port's adapter's"] == 1
    # vm1 itself still gets through
    assert any(isinstance(r, Flow) for r in
               router.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15")), 2))


def test_a_release_in_another_vms_name_ends_nothing(router):
    ip = leased(router, VM1_MAC, VM1_PORT)
    leased(router, VM2_MAC, VM2_PORT)
    # from vm2's port: with vm2's source MAC (client address mismatch), or vm1's (bound)
    spoof = dhcp_frame(VM1_MAC, 7, ciaddr=ip)
    as_vm2 = frame(ethernet.ethernet("ff:ff:ff:ff:ff:ff", VM2_MAC, 0x0800),
                   *parse(spoof).protocols[1:])
    assert router.packet_in(VM2_PORT, read(as_vm2), 1) == []
    assert router.packet_in(VM2_PORT, read(spoof), 1) == []
    assert router.dhcp.leases.owner(ip, 1) == VM1_MAC
    # vm1's own release does end it
    router.packet_in(VM1_PORT, read(spoof), 2)
    assert router.dhcp.leases.owner(ip, 2) is None


def test_a_dhcp_flood_of_invented_clients_from_one_port_gets_nothing(router):
    for n in range(200):
        mac = "02:66:00:00:%02x:%02x" % (n >> 8, n & 0xFF)
        router.packet_in(VM2_PORT, read(dhcp_frame(mac, 1)), n * 0.01)
    assert not router.dhcp.leases.leases and not router.dhcp.client_port  # the gate's
    assert leased(router, VM1_MAC, VM1_PORT, now=3) == "10.0.2.15"
    assert leased(router, VM2_MAC, VM2_PORT, now=3) == "10.0.2.16"


def test_a_port_with_no_known_adapter_keeps_the_first_mac_it_hears():
    from dataclasses import replace

    from routers import plain_routers

    cfg = replace(plain_routers()[0], attached={})  # a controller started for another lab
    r = virtual_router.VirtualRouter(cfg)
    r.connected()
    assert leased(r, VM2_MAC, VM2_PORT) == "10.0.2.16"  # its reservation
    for n in range(50):
        mac = "02:66:00:00:00:%02x" % n
        assert r.packet_in(VM2_PORT, read(dhcp_frame(mac, 1)), 1) == []
    assert r.packet_in(VM1_PORT, read(dhcp_frame(VM2_MAC, 1)), 1) == []  # vm2's, elsewhere
    assert leased(r, VM1_MAC, VM1_PORT) == "10.0.2.15"
    assert r.ports.mac(VM2_PORT) == VM2_MAC and len(r.dhcp.leases.leases) == 2


def test_a_spoofed_arp_on_the_lan_does_not_redirect_the_internet(router):
    knows_r1(router, now=0)
    evil = "02:66:66:66:66:66"
    router.packet_in(UPLINK, read(arp_frame(2, evil, "192.168.1.1", "192.168.1.10",
                                       "02:00:c0:a8:01:0a")), 1)
    assert router.neighbours.macs["192.168.1.1"] == R1_MAC
    # an ARP whose sender differs from the frame's source teaches nothing at all
    lying = frame(ethernet.ethernet("02:00:c0:a8:01:0a", evil, 0x0806),
                  *parse(arp_frame(2, R1_MAC, "192.168.1.99", "192.168.1.10",
                                   "02:00:c0:a8:01:0a")).protocols[1:])
    router.packet_in(UPLINK, read(lying), 2)
    assert "192.168.1.99" not in router.neighbours.macs
    # nor does one after r1 has been silent for the hold time: r1 is asked, and answers
    later = 1 + neighbours.HOLD
    router.packet_in(UPLINK, read(arp_frame(2, evil, "192.168.1.1", "192.168.1.10",
                                            "02:00:c0:a8:01:0a")), later)
    assert router.neighbours.macs["192.168.1.1"] == R1_MAC
    (ask,) = packet_outs(router.tick(later + 0.1))
    asked = parse(ask.data).get_protocol(ethernet.ethernet)
    assert asked.dst == R1_MAC  # unicast: only r1 sees it, the claimant cannot answer it
    knows_r1(router, now=later + 0.2)
    assert router.tick(later + 5) == [] and router.neighbours.macs["192.168.1.1"] == R1_MAC


def test_a_neighbour_silent_when_asked_is_taken_over_and_the_routers_macs_never_are(router):
    knows_r1(router, now=0)
    new = "02:00:c0:a8:01:fe"  # r1 was replaced
    for mac in (GW_MAC, "02:00:c0:a8:01:0a", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01"):
        router.packet_in(UPLINK, read(arp_frame(2, mac, "192.168.1.1", "192.168.1.10",
                                                "02:00:c0:a8:01:0a")), 100)
        router.packet_in(UPLINK, read(arp_frame(2, mac, "192.168.1.77", "192.168.1.10",
                                                "02:00:c0:a8:01:0a")), 100)
    assert router.neighbours.macs == {"192.168.1.1": R1_MAC} and not router.neighbours.challenged
    router.packet_in(UPLINK, read(arp_frame(2, new, "192.168.1.1", "192.168.1.10",
                                            "02:00:c0:a8:01:0a")), 100)
    asks = [r for t in range(neighbours.TRIES + 1) for r in router.tick(100 + t * 1.01)]
    assert len(packet_outs(asks)) == neighbours.TRIES
    assert router.neighbours.macs["192.168.1.1"] == new


def test_unanswered_arp_is_retried_three_times_then_its_queue_is_freed(router):
    leased(router, VM1_MAC, VM1_PORT)
    router.neighbours.macs["192.168.1.1"] = R1_MAC  # not the one being asked for
    asks = router.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15", dst="192.168.1.77")), 10)
    assert len(packet_outs(asks)) == 1 and "192.168.1.77" in router.neighbours.pending
    retries = [r for t in (11, 12, 13, 14) for r in router.tick(t)]
    assert len(retries) == neighbours.TRIES - 1
    assert "192.168.1.77" not in router.neighbours.pending


def test_the_gateway_is_asked_for_until_it_answers(router):
    assert router.tick(1) and router.tick(1.5) == [] and router.tick(2.1)
    knows_r1(router, now=3)
    assert router.tick(5) == []


def test_ttl_1_gets_time_exceeded_from_the_gateway_and_flows_decrement_ttl(router):
    leased(router, VM1_MAC, VM1_PORT)
    knows_r1(router)
    probe = frame(ethernet.ethernet(GW_MAC, VM1_MAC, 0x0800),
                  ipv4.ipv4(src="10.0.2.15", dst="203.0.113.10", proto=17, ttl=1),
                  udp.udp(src_port=33434, dst_port=33434), b"probe")
    (answer,) = router.packet_in(VM1_PORT, read(probe), 1)
    reply = parse(answer.data)
    assert answer.actions == (Output(VM1_PORT),)
    assert reply.get_protocol(ipv4.ipv4).src == "10.0.2.2"
    assert reply.get_protocol(icmp.icmp).type == 11
    assert not router.engine.nat.sessions  # nothing was translated
    flows = [r for r in router.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15")), 2)
             if isinstance(r, Flow)]
    table = FlowTable()
    table.apply(flows)
    syn_out = dict(in_port=VM1_PORT, eth_type=0x0800, ip_proto=6, eth_src=VM1_MAC,
                   ipv4_src="10.0.2.15", ipv4_dst="203.0.113.10", ip_ttl=2, tcp_src=40000,
                   tcp_dst=7001)
    ((port, packet),) = table.forward(**syn_out)
    assert port == UPLINK and packet["ip_ttl"] == 1  # one hop less
    assert table.forward(**dict(syn_out, ip_ttl=1)) == []  # its TTL runs out here


def test_one_vm_cannot_take_every_port(router):
    router.engine.nat.per_inside = 5
    leased(router, VM1_MAC, VM1_PORT)
    leased(router, VM2_MAC, VM2_PORT)
    knows_r1(router)
    for port in range(40000, 40010):
        router.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15", sport=port)), 1)
    assert sum(not m.forward for m in router.engine.nat.mappings.values()) == 5
    flows = [r for r in router.packet_in(VM2_PORT, read(syn(VM2_MAC, "10.0.2.16")), 2)
             if isinstance(r, Flow)]
    assert flows  # vm2 still gets its mapping


def test_a_dhcp_request_with_a_client_address_not_its_source_is_ignored(router):
    spoof = dhcp_frame(VM1_MAC, 1)
    as_vm2 = frame(ethernet.ethernet("ff:ff:ff:ff:ff:ff", VM2_MAC, 0x0800),
                   *parse(spoof).protocols[1:])
    assert router.packet_in(VM2_PORT, read(as_vm2), 0) == []
    assert not router.dhcp.leases.leases
    assert dhcp_reply(router.packet_in(VM1_PORT, read(spoof), 0))[1] == "10.0.2.15"


def as_switch_holds(rules):
    """Flows as the switch reports them (controllers.openflow.flows_of's shape)."""
    from controllers.rules import Flow, SetField

    return [{"cookie": r.cookie, "priority": r.priority, "match": dict(r.match),
             "set": {a.field: a.value for a in r.actions if isinstance(a, SetField)},
             "output": [a.port for a in r.actions if isinstance(a, Output)]}
            for r in rules if isinstance(r, Flow)]


def test_a_restarted_controller_takes_over_the_switchs_sessions_and_reuses_nothing(router):
    from routers import plain_routers

    leased(router, VM1_MAC, VM1_PORT)
    knows_r1(router)
    held = as_switch_holds(router.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15")), 1))
    (old,) = router.engine.nat.sessions.values()
    state = router.state(2)

    fresh = virtual_router.VirtualRouter(plain_routers()[0])  # the controller restarted
    fresh.restore(state, 3)
    fresh.connected()
    knows_r1(fresh, 3)
    assert fresh.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15", sport=40001)), 3) == []  # waits
    assert fresh.adopt(held, 3) == []
    assert fresh.ports.owner("10.0.2.15", 3) == (VM1_MAC, VM1_PORT)
    adopted = fresh.engine.nat.inbound("tcp", old.mapping.outside_port)
    assert adopted.inside_port == 40000
    new = [r for r in fresh.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15", sport=40001)), 4)
           if isinstance(r, Flow)]
    new_session = max(fresh.engine.nat.sessions.values(), key=lambda s: s.cookie)
    assert new and new_session.cookie > old.cookie
    assert new_session.mapping.outside_port != old.mapping.outside_port
    # the old session's flows expire: that ends the old session, never the new one
    for flow in held:
        fresh.flow_removed(flow["cookie"], 70)
    assert list(fresh.engine.nat.sessions) == [new_session.cookie]


def test_a_session_whose_flows_are_gone_ends_on_the_audit(router):
    leased(router, VM1_MAC, VM1_PORT)
    knows_r1(router)
    router.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15")), 1)
    port = next(iter(router.engine.nat.sessions.values())).mapping.outside_port
    assert router.audit([], asked_at=100, now=100)  # no flow-removed ever came
    assert not router.engine.nat.sessions and router.engine.nat.inbound("tcp", port) is None


def test_a_big_table_is_audited_a_slice_at_a_time(router, monkeypatch):
    """Reading thousands of flows at once stalled new connections for seconds: an audit
    reads one slice, and ends only that slice's sessions whose flows are gone."""
    monkeypatch.setattr(openflow_nat, "AUDIT_SESSIONS", 8)
    leased(router, VM1_MAC, VM1_PORT)
    knows_r1(router)
    count = 12
    for sport in range(20000, 20000 + count):
        router.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15", sport=sport)), 1)
    assert len(router.engine.nat.sessions) == count
    cookie, mask, parts = router.audit_slice()
    assert parts == 2 and (cookie, mask) == (0, 2)  # even session cookies: part 0 of 2
    router.audit([], asked_at=100, now=100)  # the switch holds none of them
    assert router.engine.nat.sessions and all(c % 2 == 1 for c in router.engine.nat.sessions)
    assert router.audit_slice() == (0, 0, 1)  # the 6 left fit one slice: the whole table
    router.audit([], asked_at=100, now=100)
    assert not router.engine.nat.sessions


def test_a_vm_forging_host1s_address_sends_nothing_to_the_lan_or_host1(router):
    leased(router, VM1_MAC, VM1_PORT)
    knows_r1(router)
    router.packet_in(UPLINK, read(arp_frame(2, "02:00:c0:a8:01:14", "192.168.1.20",
                                            "192.168.1.10", "02:00:c0:a8:01:0a")), 0)
    for port, mac in ((VM1_PORT, VM1_MAC), (VM2_PORT, "02:66:00:00:00:02")):
        for dst in ("192.168.1.20", "203.0.113.10", "192.168.1.10"):
            rules = router.packet_in(port, read(tcp_frame(mac, GW_MAC, "192.168.1.10", dst,
                                                          40000, 7001)), 1)
            assert not [r for r in rules if isinstance(r, Flow)]
            assert not [a for r in packet_outs(rules) for a in r.actions
                        if getattr(a, "port", None) in (UPLINK, 2)], (port, dst)


def test_a_syn_flood_to_unique_remotes_stays_under_the_vms_cap_and_the_other_vm_connects(router):
    leased(router, VM1_MAC, VM1_PORT)
    leased(router, VM2_MAC, VM2_PORT)
    knows_r1(router)
    cap = router.cfg.sessions
    refused = 0
    for n in range(cap + 50):
        rules = router.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15", 40000,
                                                    "198.51.%d.%d" % (n >> 8, n & 0xFF))), 1)
        refused += not any(isinstance(r, Flow) for r in rules)
    assert router.engine.nat.vm_sessions["10.0.2.15"] == cap and refused == 50
    # refused with a reset, not left waiting
    assert parse(packet_outs(rules)[0].data).get_protocol(tcp.tcp).bits & tcp.TCP_RST
    assert any(isinstance(r, Flow) for r in router.packet_in(
        VM2_PORT, read(syn(VM2_MAC, "10.0.2.16")), 2))
    assert {r["cap"]: r["count"] for r in router.state(2)["caps"]}["vm 10.0.2.15"] == cap


def test_a_flood_through_a_port_forward_stays_under_its_cap(router):
    leased(router, VM1_MAC, VM1_PORT)
    knows_r1(router)
    cap = router.cfg.sessions
    for n in range(cap + 20):
        router.packet_in(UPLINK, read(tcp_frame(R1_MAC, "02:00:c0:a8:01:0a",
                                                "198.51.%d.%d" % (n >> 8, n & 0xFF),
                                                "192.168.1.10", 50000, 2222)), 1)
    forward = router.engine.nat.mappings[("tcp", "10.0.2.15", 22)]
    assert len(forward.sessions) == cap and router.engine.nat.refused["forward tcp:2222"] == 20
    # vm1's own connections are not the forward's: they still get through
    assert any(isinstance(r, Flow) for r in router.packet_in(
        VM1_PORT, read(syn(VM1_MAC, "10.0.2.15")), 2))


def test_a_vms_reservation_cannot_be_claimed_from_another_port(router):
    # vm1's port asks in vm2's name before vm2 boots: nothing, whichever source it shows
    assert router.cfg.attached[VM2_MAC] == VM2_PORT
    for kind in (1, 3):
        assert router.packet_in(VM1_PORT, read(dhcp_frame(VM2_MAC, kind, "10.0.2.16")), 0) == []
    as_vm1 = frame(ethernet.ethernet("ff:ff:ff:ff:ff:ff", VM1_MAC, 0x0800),
                   *parse(dhcp_frame(VM2_MAC, 3, "10.0.2.16")).protocols[1:])
    assert router.packet_in(VM1_PORT, read(as_vm1), 0) == []
    assert not router.dhcp.leases.holds(VM2_MAC) and VM2_MAC not in router.dhcp.vm_port
    # vm2 boots on its own port: its reserved address, and its port is its own
    assert leased(router, VM2_MAC, VM2_PORT, now=1) == "10.0.2.16"
    assert router.dhcp.vm_port[VM2_MAC] == VM2_PORT
    # vm1 still gets its own
    assert leased(router, VM1_MAC, VM1_PORT, now=2) == "10.0.2.15"
