"""The conntrack engine's flows, asked where a packet goes: the fake flow table follows its
tables and models the tracker, and what it sends the controller comes back as the
controller's answer (tests/flowtable.py). Above all: a VM's frame leaves only with its leased
MAC and address, or translated."""

import struct
from dataclasses import replace

import pytest
from flowtable import FlowTable
from routers import plain_routers

from controllers.frame import read
from controllers.router_flows import COOKIE_CONNTRACK, COOKIE_OWNER
from controllers.rules import CONTROLLER, TABLE, Flow, Output, PacketOut, SetField
from controllers.virtual_router import VirtualRouter

pytest.importorskip("os_ken", reason="os-ken's packet library builds the DHCP answers")
from test_virtual_router import (  # noqa: E402
    GW_MAC,
    HOST,
    HOST1_MAC,
    PC1_MAC,
    R1_MAC,
    UPLINK,
    VM1_MAC,
    VM1_PORT,
    VM2_PORT,
    arp_frame,
    leased,
)

HOST1, PC1, INET = "192.168.1.10", "192.168.1.20", "203.0.113.10"
VM1 = "10.0.2.15"


def raw(fields):
    """The frame a packet of these OXM fields is, as the switch sends it to the controller."""
    proto = fields.get("ip_proto", 17)
    sport, dport = (fields.get(k, 0) for k in (("tcp_src", "tcp_dst") if proto == 6
                                                else ("udp_src", "udp_dst")))
    l4 = (struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 2, 1024, 0, 0) if proto == 6
          else struct.pack("!HHHH", sport, dport, 8, 0) if proto == 17 else b"\x00" * 8)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, fields.get("ip_ttl", 64),
                     proto, 0, *(bytes(map(int, fields[k].split("."))) for k in ("ipv4_src",
                                                                              "ipv4_dst")))
    mac = bytes.fromhex
    return (mac(fields["eth_dst"].replace(":", "")) + mac(fields["eth_src"].replace(":", ""))
            + struct.pack("!H", fields.get("eth_type", 0x0800)) + ip + l4)


def where(router, packet, now=5.0):
    """[(port, packet as it leaves)]: through the switch's tables, and through the controller
    when a table sends it there (as the packet-in of that table)."""
    out = []
    for port, fields in router.table.forward(**packet):
        if port != CONTROLLER:
            out.append((port, fields))
            continue
        rules = router.packet_in(fields["in_port"], read(raw(fields), table=fields["table_id"]),
                                 now)
        router.table.apply(rules)
        for rule in rules:
            if isinstance(rule, PacketOut) and rule.in_port != CONTROLLER:
                out += router.table.packet_out(rule, **fields)
    return out


def learn(router, ip, mac, now=1.0):
    rules = router.packet_in(UPLINK, read(arp_frame(2, mac, ip, HOST1, HOST1_MAC)), now)
    router.table.apply(rules)
    return rules


@pytest.fixture
def router():
    r = VirtualRouter(plain_routers("conntrack")[0])
    r.table = FlowTable()
    r.table.apply(r.connected())
    leased(r, VM1_MAC, VM1_PORT)
    r.engine.installed = {}  # leased() kept only the DHCP answers: vm1's flows come again
    r.table.apply(r.tick(1.0))
    learn(r, "192.168.1.1", R1_MAC)
    return r


def udp(src_mac, src, dst, dst_mac=GW_MAC, in_port=VM1_PORT, **more):
    return dict(dict(in_port=in_port, eth_type=0x0800, eth_src=src_mac, eth_dst=dst_mac,
                     ipv4_src=src, ipv4_dst=dst, ip_proto=17, udp_src=40000, udp_dst=7002,
                     ip_ttl=64), **more)


def test_a_leased_vms_packet_leaves_translated_with_its_ttl_down(router):
    ((port, out),) = where(router, udp(VM1_MAC, VM1, INET))
    assert port == UPLINK
    assert (out["ipv4_src"], out["eth_src"], out["eth_dst"]) == (HOST1, HOST1_MAC, R1_MAC)
    assert 61000 <= out["udp_src"] <= 61499 and out["ip_ttl"] == 63
    reply = dict(in_port=UPLINK, eth_type=0x0800, eth_src=R1_MAC, eth_dst=HOST1_MAC,
                 ipv4_src=INET, ipv4_dst=HOST1, ip_proto=17, udp_src=7002,
                 udp_dst=out["udp_src"], ip_ttl=60)
    ((port, back),) = where(router, reply)
    assert (port, back["ipv4_dst"], back["udp_dst"], back["eth_dst"]) == (
        VM1_PORT, VM1, 40000, VM1_MAC)


@pytest.mark.parametrize("proto", [17, 6, 1, 47], ids=["udp", "tcp", "icmp", "gre"])
@pytest.mark.parametrize("dst_mac", [GW_MAC, PC1_MAC, R1_MAC], ids=["gateway", "pc1", "r1"])
def test_a_vm_forging_host1s_address_reaches_nothing_outside(router, proto, dst_mac):
    learn(router, PC1, PC1_MAC)  # pc1 known: a forged packet would have had somewhere to go
    for port, mac in ((VM1_PORT, VM1_MAC), (VM1_PORT, "02:66:00:00:00:01"),
                      (VM2_PORT, "02:66:00:00:00:02")):  # vm2's port is not even leased
        for dst in (PC1, INET, HOST1):
            forged = udp(mac, HOST1, dst, dst_mac=dst_mac, in_port=port, ip_proto=proto)
            left = [p for p, _ in where(router, forged) if p in (UPLINK, HOST)]
            assert left == [], (port, mac, dst)


def test_a_vm_forging_host1s_address_over_ipv6_reaches_nothing_outside(router):
    learn(router, PC1, PC1_MAC)
    v6 = dict(in_port=VM1_PORT, eth_type=0x86DD, eth_src=VM1_MAC, eth_dst=PC1_MAC)
    assert router.table.forward(**v6) == [(CONTROLLER, dict(v6, table_id=0))]
    frame = bytes.fromhex(PC1_MAC.replace(":", "") + VM1_MAC.replace(":", "")) + (
        b"\x86\xdd" + bytes.fromhex("6000000000003b40fe800000000000000000000000000001"
                                  "20010db8000000000000000000000014"))  # -> 2001:db8::14
    rules = router.packet_in(VM1_PORT, read(frame), 5.0)
    assert not any(isinstance(r, PacketOut) and any(
        getattr(a, "port", None) in (UPLINK, HOST) for a in r.actions) for r in rules)


def test_a_translated_packet_for_an_unknown_neighbour_waits_for_it_then_leaves_ttl_down(router):
    assert where(router, udp(VM1_MAC, VM1, PC1)) == []  # held while pc1 is asked for
    rules = learn(router, PC1, PC1_MAC, now=6.0)
    (sent,) = [r for r in rules if isinstance(r, PacketOut) and r.in_port == VM1_PORT]
    ((port, out),) = router.table.packet_out(sent, **udp(HOST1_MAC, HOST1, PC1))
    assert (port, out["eth_dst"], out["ip_ttl"]) == (UPLINK, PC1_MAC, 63)
    # and the next one goes by the flow the answer installed
    ((port, out),) = where(router, udp(VM1_MAC, VM1, PC1, udp_src=40001))
    assert (port, out["ipv4_src"], out["eth_dst"]) == (UPLINK, HOST1, PC1_MAC)


def test_a_packet_the_tracker_could_not_translate_goes_nowhere(router):
    # its zone is full: OVS passes the packet on as it is, untranslated
    router.table.tracker.limits[router.engine.zone] = 0
    assert where(router, udp(VM1_MAC, VM1, INET)) == []
    learn(router, PC1, PC1_MAC)
    assert where(router, udp(VM1_MAC, VM1, PC1)) == []
    assert where(router, udp(VM1_MAC, VM1, HOST1)) == []


@pytest.fixture
def racing():
    """vm1 leased and r1 known, vm1's flows sent but not in the switch yet: its first
    packets raced them (the table-miss sends them to the controller)."""
    r = VirtualRouter(plain_routers("conntrack")[0])
    r.table = FlowTable()
    r.table.apply(r.connected())
    leased(r, VM1_MAC, VM1_PORT)  # the rules of the DHCP answers, vm1's flows among them, lost
    learn(r, "192.168.1.1", R1_MAC)
    return r


def to_the_controller(router, packet):
    """The packet-in the switch makes of `packet`, as the controller reads it."""
    ((port, fields),) = router.table.forward(**packet)
    assert port == CONTROLLER
    return read(raw(fields), table=fields["table_id"])


@pytest.mark.parametrize("proto", [17, 6], ids=["udp", "tcp"])
def test_a_leased_vms_packet_that_raced_its_flows_brings_them_and_goes_back_through_the_table(
        racing, proto):
    racing.engine.installed = {}  # vm1's flows not even sent yet
    packet = udp(VM1_MAC, VM1, INET, ip_proto=proto, tcp_src=40000, tcp_dst=7001)
    frame = to_the_controller(racing, packet)
    rules = racing.packet_in(VM1_PORT, frame, 5.0)
    # vm1's flows (the tracker's), never a session's OpenFlow flows (a cookie, a rewrite)
    flows = [r for r in rules if isinstance(r, Flow)]
    assert [replace(f, cookie=0) for f in flows] == racing.engine.vm_flows(VM1_MAC, VM1_PORT, VM1)
    assert len({f.cookie for f in flows}) == 1  # one group: the engine checks it is all there
    assert not [f for f in flows if f.cookie & COOKIE_OWNER != COOKIE_CONNTRACK or
                f.notify_removed or f.table_id == 0 and any(
        isinstance(a, SetField) for a in f.actions)]
    assert rules[-1] == PacketOut(VM1_PORT, (Output(TABLE),), frame.data)  # after the flows
    racing.table.apply(rules)
    ((port, out),) = racing.table.packet_out(rules[-1], **packet)
    assert (port, out["ipv4_src"], out["eth_dst"]) == (UPLINK, HOST1, R1_MAC)
    assert 61000 <= out["udp_src" if proto == 17 else "tcp_src"] <= 61499


def test_a_packet_that_raced_flows_already_sent_goes_back_through_the_table_alone(racing):
    packet = udp(VM1_MAC, VM1, INET)
    frame = to_the_controller(racing, packet)
    rules = racing.packet_in(VM1_PORT, frame, 5.0)
    assert rules == [PacketOut(VM1_PORT, (Output(TABLE),), frame.data)]  # no flow sent twice
    # the switch takes the flows sent before the packet-out first: it finds them
    racing.table.apply(racing.engine.vm_flows(VM1_MAC, VM1_PORT, VM1))
    ((port, out),) = racing.table.packet_out(rules[0], **packet)
    assert (port, out["ipv4_src"], out["ip_ttl"]) == (UPLINK, HOST1, 63)


@pytest.mark.parametrize("entry", [UPLINK, HOST], ids=["lan", "host"])
def test_a_lan_or_host_packet_that_reaches_the_controller_passes_across_untranslated(
        router, entry):
    """A port forward's first packet, an echo reply, a datagram: none is the controller's
    to translate (the tracker's flows take them); one that comes passes on, as the host
    PC's own, and opens no session."""
    src, src_mac, dst, dst_mac = ((PC1, PC1_MAC, HOST1, HOST1_MAC) if entry == UPLINK
                                  else (HOST1, HOST1_MAC, "10.0.2.2", GW_MAC))
    for fields in (dict(ip_proto=6, tcp_src=50000, tcp_dst=2222), dict(ip_proto=1),
                   dict(ip_proto=17)):
        data = raw(udp(src_mac, src, dst, dst_mac=dst_mac, in_port=entry, **fields))
        rules = router.packet_in(entry, read(data), 5.0)
        assert rules == [PacketOut(entry, (Output(HOST if entry == UPLINK else UPLINK),), data)]


@pytest.mark.parametrize("engine", ["openflow", "conntrack"])
def test_a_forward_bound_to_the_hosts_loopback_takes_the_host_and_not_the_lan(engine):
    from dataclasses import replace

    cfg = plain_routers(engine)[0]
    cfg = replace(cfg, forwards=tuple(replace(f, from_lan=False) for f in cfg.forwards))
    r = VirtualRouter(cfg)
    r.table = FlowTable()
    r.table.apply(r.connected() + r.adopt([], 0.5))  # the OpenFlow engine adopts no session
    leased(r, VM1_MAC, VM1_PORT)
    if engine == "conntrack":
        r.engine.installed = {}  # leased() kept only the DHCP answers: vm1's flows come again
    r.table.apply(r.tick(1.0))
    syn = dict(in_port=UPLINK, eth_type=0x0800, eth_src=PC1_MAC, eth_dst=HOST1_MAC,
               ipv4_src=PC1, ipv4_dst=HOST1, ip_proto=6, tcp_src=50000, tcp_dst=2222,
               tcp_flags=0x002, ip_ttl=64)
    # from the LAN: the host PC's own port 2222, where nothing of the VM's listens
    assert [p for p, _ in where(r, syn)] == [HOST]
    # from the host PC (its route to 10.0.2.2 is r1's), at the gateway's address: the VM
    from_host = dict(syn, in_port=HOST, eth_src=HOST1_MAC, eth_dst=R1_MAC, ipv4_src=HOST1,
                     ipv4_dst="10.0.2.2")
    ((port, packet),) = where(r, from_host)
    assert port == VM1_PORT and (packet["ipv4_dst"], packet["tcp_dst"]) == (VM1, 22)
