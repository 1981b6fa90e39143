"""The virtual router core: fake packet-ins in, rules out, applied to a software flow table.

Frames are built and read with os-ken's packet library; no switch, no root.
"""

import socket

import pytest
from flowtable import FlowTable
from routers import plain_routers

from controllers.frame import read
from controllers.packets import build as frame
from controllers.rules import (
    CONTROLLER,
    TABLE,
    Flow,
    Output,
    PacketOut,
)
from controllers.virtual_router import VirtualRouter

pytest.importorskip("os_ken", reason="os-ken's packet library builds the test frames")
from os_ken.lib.packet import arp, dhcp, ethernet, icmp, ipv4, packet, tcp, udp  # noqa: E402

VM1_MAC, VM2_MAC = "08:00:27:00:00:01", "08:00:27:00:00:02"
GW_MAC, HOST1_MAC = "52:54:00:12:35:02", "02:00:c0:a8:01:0a"
PC1_MAC, R1_MAC = "02:00:c0:a8:01:14", "02:00:c0:a8:01:01"
UPLINK, HOST, VM1_PORT, VM2_PORT = 1, 2, 10, 11



def parse(data):
    return packet.Packet(data)


def tcp_frame(src_mac, dst_mac, src, dst, sport, dport, flags=tcp.TCP_SYN):
    return frame(ethernet.ethernet(dst_mac, src_mac, 0x0800), ipv4.ipv4(src=src, dst=dst, proto=6),
                 tcp.tcp(src_port=sport, dst_port=dport, bits=flags))


def echo(src_mac, dst_mac, src, dst, ident, kind=8):
    return frame(ethernet.ethernet(dst_mac, src_mac, 0x0800), ipv4.ipv4(src=src, dst=dst, proto=1),
                 icmp.icmp(type_=kind, data=icmp.echo(id_=ident, seq=1, data=b"ping")))


def arp_frame(opcode, src_mac, src_ip, dst_ip, dst_mac="ff:ff:ff:ff:ff:ff"):
    return frame(ethernet.ethernet(dst_mac, src_mac, 0x0806),
                 arp.arp(opcode=opcode, src_mac=src_mac, src_ip=src_ip,
                         dst_mac="00:00:00:00:00:00" if opcode == 1 else dst_mac, dst_ip=dst_ip))


def dhcp_frame(mac, kind, requested=None, ciaddr="0.0.0.0"):
    options = [dhcp.option(tag=53, value=bytes([kind]))]
    if requested:
        options.append(dhcp.option(tag=50, value=socket.inet_aton(requested)))
    return frame(ethernet.ethernet("ff:ff:ff:ff:ff:ff", mac, 0x0800),
                 ipv4.ipv4(src="0.0.0.0", dst="255.255.255.255", proto=17),
                 udp.udp(src_port=68, dst_port=67),
                 dhcp.dhcp(op=1, chaddr=mac, xid=42, ciaddr=ciaddr, hlen=6,
                           options=dhcp.options(option_list=options)))


def packet_outs(rules):
    return [r for r in rules if isinstance(r, PacketOut)]


def dhcp_reply(rules):
    (out,) = packet_outs(rules)
    d = parse(out.data).get_protocol(dhcp.dhcp)
    return {o.tag: o.value for o in d.options.option_list}, d.yiaddr


def leased(router, mac, port, now=0):
    router.packet_in(port, read(dhcp_frame(mac, 1)), now)
    options, ip = dhcp_reply(router.packet_in(port, read(dhcp_frame(mac, 3, requested=None)), now))
    assert options[53] == b"\x06"  # a REQUEST without an address: NAK
    _, ip = dhcp_reply(router.packet_in(port, read(dhcp_frame(mac, 1)), now))
    options, got = dhcp_reply(router.packet_in(port, read(dhcp_frame(mac, 3, requested=ip)), now))
    assert options[53] == b"\x05"
    return got


@pytest.fixture
def router():
    cfg = plain_routers()[0]
    r = VirtualRouter(cfg)
    r.table = FlowTable()
    r.table.apply(r.connected())
    r.table.apply(r.adopt([], 0))  # a new switch: no flows to take over
    return r


def test_connect_installs_pass_through_for_the_host_pc_and_asks_for_r1():
    r = VirtualRouter(plain_routers()[0])
    table = FlowTable()
    rules = r.connected()
    table.apply(rules)
    assert table.lookup(in_port=UPLINK, eth_type=0x0800).actions == (Output(HOST),)
    assert table.lookup(in_port=HOST, eth_type=0x0800).actions == (Output(UPLINK),)
    assert table.lookup(in_port=VM1_PORT).actions == (Output(CONTROLLER),)
    (ask,) = packet_outs(rules)
    assert parse(ask.data).get_protocol(arp.arp).dst_ip == "192.168.1.1"


def test_dhcp_gives_vms_their_addresses_with_the_gateway(router):
    options, ip = dhcp_reply(router.packet_in(VM1_PORT, read(dhcp_frame(VM1_MAC, 1)), 0))
    assert ip == "10.0.2.15" and options[53] == b"\x02"
    gateway = socket.inet_aton("10.0.2.2")
    assert options[3] == gateway and options[54] == gateway
    request = read(dhcp_frame(VM1_MAC, 3, "10.0.2.15"))
    options, ip = dhcp_reply(router.packet_in(VM1_PORT, request, 0))
    assert (options[53], ip) == (b"\x05", "10.0.2.15")
    # vm2 asking for vm1's address is refused
    request = read(dhcp_frame(VM2_MAC, 3, "10.0.2.15"))
    options, _ = dhcp_reply(router.packet_in(VM2_PORT, request, 0))
    assert options[53] == b"\x06"
    # a release frees it
    router.packet_in(VM1_PORT, read(dhcp_frame(VM1_MAC, 7, ciaddr="10.0.2.15")), 1)
    assert router.dhcp.leases.owner("10.0.2.15", 1) is None


def test_dhcp_passes_a_dns_domain_in_offer_and_ack_only_when_given():
    import dataclasses

    plain = plain_routers()[0]
    passing = VirtualRouter(dataclasses.replace(plain, dns_domain="home.arpa"))
    offer, ip = dhcp_reply(passing.packet_in(VM1_PORT, read(dhcp_frame(VM1_MAC, 1)), 0))
    ack, _ = dhcp_reply(passing.packet_in(VM1_PORT, read(dhcp_frame(VM1_MAC, 3, ip)), 0))
    assert (offer[53], ack[53]) == (b"\x02", b"\x05")
    assert offer[15] == ack[15] == b"home.arpa"  # option 15: the client's search domain
    nak, _ = dhcp_reply(passing.packet_in(VM2_PORT, read(dhcp_frame(VM2_MAC, 3, ip)), 0))
    assert nak[53] == b"\x06" and 15 not in nak
    offer, _ = dhcp_reply(VirtualRouter(plain).packet_in(
        VM1_PORT, read(dhcp_frame(VM1_MAC, 1)), 0))
    assert 15 not in offer


def test_plain_nats_dhcp_names_the_boot_file_and_its_tftp_server_at_dot_4():
    """VirtualBox's PXE with NAT: BOOTP's `file` is VMNAME.pxe, `siaddr` the TFTP server .4;
    the router answers ARP there, and UDP to .4:69 is the host PC's TFTP server's."""
    from controllers.config import default_vm_routers

    cfg = default_vm_routers()[0]  # vm1's plain NAT
    r = VirtualRouter(cfg)
    (out,) = packet_outs(r.packet_in(FIRST_PORT, read(dhcp_frame(cfg_mac(cfg), 1)), 0))
    offer = parse(out.data).get_protocol(dhcp.dhcp)
    assert (offer.boot_file.rstrip("\x00"), offer.siaddr) == ("vm1.pxe", "10.0.2.4")
    assert {o.tag: o.value for o in offer.options.option_list}[54] == socket.inet_aton(
        "10.0.2.2")  # the DHCP server itself stays the gateway
    (a,) = [x.target_of(69) for x in cfg.aliases() if x.address == "10.0.2.4"]
    assert a == ("192.168.1.10", 69)
    (reply,) = packet_outs(r.packet_in(FIRST_PORT, read(arp_frame(
        1, cfg_mac(cfg), "10.0.2.15", "10.0.2.4")), 0))
    assert parse(reply.data).get_protocol(arp.arp).src_ip == "10.0.2.4"


def cfg_mac(cfg):
    (mac,) = cfg.attached
    return mac


FIRST_PORT = 10


def test_arp_for_the_gateway_is_answered(router):
    (reply,) = packet_outs(router.packet_in(VM1_PORT, read(arp_frame(1, VM1_MAC, "10.0.2.15",
                                                                  "10.0.2.2")), 0))
    a = parse(reply.data).get_protocol(arp.arp)
    assert (a.opcode, a.src_mac, a.src_ip) == (2, GW_MAC, "10.0.2.2")
    assert reply.actions == (Output(VM1_PORT),)


def start_session(router, now=0):
    """vm1 (leased) opens TCP to pc1:7001; pc1's MAC is learned on the way."""
    leased(router, VM1_MAC, VM1_PORT)
    syn = tcp_frame(VM1_MAC, GW_MAC, "10.0.2.15", "192.168.1.20", 40000, 7001)
    asked = router.packet_in(VM1_PORT, read(syn), now)
    (ask,) = packet_outs(asked)
    assert parse(ask.data).get_protocol(arp.arp).dst_ip == "192.168.1.20"
    rules = router.packet_in(UPLINK, read(arp_frame(2, PC1_MAC, "192.168.1.20", "192.168.1.10",
                                               HOST1_MAC)), now)
    router.table.apply(rules)
    return rules


SYN_FROM_VM1 = dict(in_port=VM1_PORT, eth_type=0x0800, ip_proto=6, eth_src=VM1_MAC,
                   eth_dst=GW_MAC, ipv4_src="10.0.2.15", ipv4_dst="192.168.1.20", ip_ttl=64,
                   tcp_src=40000, tcp_dst=7001)
REPLY_TO_HOST1 = dict(in_port=UPLINK, eth_type=0x0800, ip_proto=6, eth_src=PC1_MAC,
                      eth_dst=HOST1_MAC, ipv4_src="192.168.1.20", ipv4_dst="192.168.1.10",
                      ip_ttl=64, tcp_src=7001, tcp_dst=61000)


def test_first_packet_sets_up_the_session_and_later_packets_stay_in_the_switch(router):
    rules = start_session(router)
    (first,) = packet_outs(rules)
    # the first packet leaves through the new flow, as every later one does
    (leaves,) = router.table.packet_out(first, **dict(SYN_FROM_VM1, in_port=None))
    (later,) = router.table.forward(**SYN_FROM_VM1)
    assert leaves == later
    port, packet = later
    assert port == UPLINK  # host1's physical link, with only host1's addresses on it
    assert (packet["eth_src"], packet["eth_dst"]) == (HOST1_MAC, PC1_MAC)
    assert (packet["ipv4_src"], packet["tcp_src"]) == ("192.168.1.10", 61000)
    assert (packet["ipv4_dst"], packet["tcp_dst"], packet["ip_ttl"]) == ("192.168.1.20", 7001, 63)
    # pc1's answer comes back to vm1, as if from the gateway
    (back,) = router.table.forward(**REPLY_TO_HOST1)
    port, packet = back
    assert port == VM1_PORT
    assert (packet["eth_src"], packet["eth_dst"]) == (GW_MAC, VM1_MAC)
    assert (packet["ipv4_dst"], packet["tcp_dst"]) == ("10.0.2.15", 40000)
    # the flows live while they carry traffic, and say when they expire
    flows = [r for r in rules if isinstance(r, Flow)]
    assert len(flows) == 2 and all(f.idle_timeout == 60 and f.notify_removed for f in flows)


def test_a_packet_that_raced_its_sessions_flows_goes_back_through_the_table_alone(router):
    start_session(router)
    # OVS had cached "to the controller" for vm1's ACK before the flows were in
    ack = tcp_frame(VM1_MAC, GW_MAC, "10.0.2.15", "192.168.1.20", 40000, 7001, tcp.TCP_ACK)
    rules = router.packet_in(VM1_PORT, read(ack), 0.001)
    assert rules == [PacketOut(VM1_PORT, (Output(TABLE),), ack)]  # no flow installed twice
    (out,) = router.table.packet_out(rules[0], **dict(SYN_FROM_VM1, in_port=None))
    assert out[0] == UPLINK and out[1]["tcp_src"] == 61000


def test_a_vms_syn_reaches_the_controller_by_a_flow_that_matches_its_flags(router):
    syn = router.table.lookup(**dict(SYN_FROM_VM1, tcp_flags=0x002))
    assert syn.actions == (Output(CONTROLLER),) and "tcp_flags" in syn.match
    # any other packet without a session still gets there, by the table-miss
    ack = router.table.lookup(**dict(SYN_FROM_VM1, tcp_flags=0x010))
    assert ack.actions == (Output(CONTROLLER),) and ack.match == {}
    # the host PC's own SYNs pass untouched
    host = router.table.lookup(**dict(SYN_FROM_VM1, in_port=HOST, tcp_flags=0x002))
    assert host.actions == (Output(UPLINK),)


def test_fragments_of_a_session_go_nowhere_but_to_the_controller_and_stop_there(router):
    start_session(router)
    # as in OVS, a later fragment has no ports: no session flow matches it
    out = router.table.forward(**dict(SYN_FROM_VM1, later_fragment=True))
    assert [port for port, _ in out] == [CONTROLLER]
    # the router drops it there: nothing is sent back through the table to loop
    frag = frame(ethernet.ethernet(GW_MAC, VM1_MAC, 0x0800),
                 ipv4.ipv4(src="10.0.2.15", dst="192.168.1.20", proto=17, offset=185),
                 b"payload bytes, not ports")
    assert router.fragment(VM1_PORT, read(frag), 1) == []


def test_the_host_pcs_own_traffic_is_not_translated(router):
    start_session(router)
    to_host1 = dict(REPLY_TO_HOST1, tcp_dst=45000)  # not a port of the NAT
    assert router.table.forward(**to_host1) == [(HOST, to_host1)]


def test_a_session_lives_while_either_flow_does_then_frees_its_port(router):
    rules = start_session(router)
    outward, inward = (r.cookie for r in rules if isinstance(r, Flow))
    assert {outward >> 1, inward >> 1} == {next(iter(router.engine.nat.sessions))}
    # the VM stopped sending, replies still stream in: the session stays
    assert router.flow_removed(outward, now=100) == []
    assert router.engine.nat.inbound("tcp", 61000) is not None
    # the VM speaks again: its flow comes back through the controller
    syn = tcp_frame(VM1_MAC, GW_MAC, "10.0.2.15", "192.168.1.20", 40000, 7001, tcp.TCP_ACK)
    again = router.packet_in(VM1_PORT, read(syn), 101)
    assert outward in [r.cookie for r in again if isinstance(r, Flow)]
    # both idle: the session ends, no flow of it may remain, the port is free
    router.table.apply(again)
    router.flow_removed(inward, now=200)
    router.table.apply(router.flow_removed(outward, now=200))
    assert [port for port, _ in router.table.forward(**SYN_FROM_VM1)] == [CONTROLLER]
    assert [port for port, _ in router.table.forward(**REPLY_TO_HOST1)] == [HOST]
    assert router.engine.nat.inbound("tcp", 61000) is None
    assert router.flow_removed(inward, now=200) == []  # news of a flow already gone


def test_traffic_from_an_address_without_a_lease_is_dropped(router):
    spoof = tcp_frame(VM2_MAC, GW_MAC, "10.0.2.15", "192.168.1.20", 1, 7001)
    assert router.packet_in(VM2_PORT, read(spoof), 0) == []


def test_exhausted_ports_refuse_new_sessions_but_keep_the_established(router):
    router.engine.nat.pools["tcp"].free.clear()
    router.engine.nat.pools["tcp"].free.append(61000)
    start_session(router)
    leased(router, VM2_MAC, VM2_PORT)
    syn = tcp_frame(VM2_MAC, GW_MAC, "10.0.2.16", "192.168.1.20", 40000, 7001)
    (refused,) = router.packet_in(VM2_PORT, read(syn), 1)  # a reset back to vm2, and no flows
    reset = parse(refused.data).get_protocol(tcp.tcp)
    assert refused.actions == (Output(VM2_PORT),)
    assert reset.has_flags(tcp.TCP_RST) and (reset.src_port, reset.dst_port) == (7001, 40000)
    assert parse(refused.data).get_protocol(ipv4.ipv4).src == "192.168.1.20"
    assert router.engine.nat.inbound("tcp", 61000).inside_ip == "10.0.2.15"
    router.engine.nat.pools["udp"].free.clear()
    dgram = frame(ethernet.ethernet(GW_MAC, VM2_MAC, 0x0800),
                  ipv4.ipv4(src="10.0.2.16", dst="192.168.1.20", proto=17),
                  udp.udp(src_port=5000, dst_port=7002), b"hello")
    (refused,) = router.packet_in(VM2_PORT, read(dgram), 1)
    unreachable = parse(refused.data).get_protocol(icmp.icmp)
    assert (unreachable.type, unreachable.code) == (3, 13)


def test_two_vms_pinging_one_server_with_the_same_identifier_both_get_replies(router):
    start_session(router)  # pc1's MAC is known now
    leased(router, VM2_MAC, VM2_PORT)
    outs = {}
    for mac, ip, port in ((VM1_MAC, "10.0.2.15", VM1_PORT), (VM2_MAC, "10.0.2.16", VM2_PORT)):
        ping = read(echo(mac, GW_MAC, ip, "192.168.1.20", 7))
        (out,) = packet_outs(router.packet_in(port, ping, 1))
        sent = parse(out.data)
        assert sent.get_protocol(ipv4.ipv4).src == "192.168.1.10"
        outs[port] = sent.get_protocol(icmp.icmp).data.id
    assert outs[VM1_PORT] != outs[VM2_PORT]
    for port, ident in outs.items():
        reply = echo(PC1_MAC, HOST1_MAC, "192.168.1.20", "192.168.1.10", ident, kind=0)
        (back,) = packet_outs(router.packet_in(UPLINK, read(reply), 2))
        got = parse(back.data)
        assert back.actions == (Output(port),)
        assert got.get_protocol(icmp.icmp).data.id == 7
        assert got.get_protocol(ipv4.ipv4).dst == ("10.0.2.15" if port == VM1_PORT
                                                   else "10.0.2.16")


def test_echo_replies_for_the_host_pc_itself_go_to_it(router):
    reply = echo(PC1_MAC, HOST1_MAC, "192.168.1.20", "192.168.1.10", 1234, kind=0)
    (out,) = packet_outs(router.packet_in(UPLINK, read(reply), 0))
    assert out.actions == (Output(HOST),) and out.data == reply


def test_port_forward_reaches_the_vm(router):
    leased(router, VM1_MAC, VM1_PORT)
    syn = tcp_frame(PC1_MAC, HOST1_MAC, "192.168.1.20", "192.168.1.10", 50000, 2222)
    rules = router.packet_in(UPLINK, read(syn), 0)
    router.table.apply(rules)
    from_pc1 = dict(REPLY_TO_HOST1, tcp_src=50000, tcp_dst=2222)
    (first,) = packet_outs(rules)
    (arrives,) = router.table.packet_out(first, **from_pc1)
    assert arrives == router.table.forward(**from_pc1)[0]
    port, packet = arrives
    assert port == VM1_PORT and (packet["ipv4_dst"], packet["tcp_dst"]) == ("10.0.2.15", 22)
    answer = dict(SYN_FROM_VM1, tcp_src=22, tcp_dst=50000)
    ((port, packet),) = router.table.forward(**answer)
    assert port == UPLINK
    assert (packet["ipv4_src"], packet["tcp_src"], packet["eth_src"]) == (
        "192.168.1.10", 2222, HOST1_MAC)


def test_vm_to_vm_stays_inside_and_floods_only_to_vm_ports(router):
    rules = router.packet_in(VM1_PORT, read(arp_frame(1, VM1_MAC, "10.0.2.15", "10.0.2.16")), 0)
    (flood,) = packet_outs(rules)
    assert flood.actions == (Output(VM2_PORT),)  # never to the LAN or the host PC


def test_the_state_for_natmap_is_handed_out_only_when_it_changed(router):
    router.take_state(0)  # whatever connecting and leasing changed
    assert router.take_state(0) is None
    start_session(router)
    rows = router.take_state(1)["nat"]
    assert {"10.0.2.15:40000", "10.0.2.15:22"} == {r["inside"] for r in rows}
    assert router.take_state(1) is None  # nothing new since


def test_icmp_errors_about_a_vms_packet_go_back_to_the_vm(router):
    from controllers.checksum import ones_complement_sum

    start_session(router)  # vm1 10.0.2.15:40000 -> pc1:7001 as 192.168.1.10:61000
    sent = tcp_frame(HOST1_MAC, PC1_MAC, "192.168.1.10", "192.168.1.20", 61000, 7001)
    quoted = sent[14:14 + 28]
    error = frame(ethernet.ethernet(HOST1_MAC, R1_MAC, 0x0800),
                  ipv4.ipv4(src="192.168.1.1", dst="192.168.1.10", proto=1),
                  icmp.icmp(type_=3, code=1, data=icmp.dest_unreach(data=quoted)))
    (out,) = packet_outs(router.packet_in(UPLINK, read(error), 1))
    assert out.actions == (Output(VM1_PORT),)
    got = parse(out.data)
    assert got.get_protocol(ethernet.ethernet).dst == VM1_MAC
    assert got.get_protocol(ipv4.ipv4).dst == "10.0.2.15"
    inner = got.get_protocol(icmp.icmp).data.data
    assert inner[12:16] == socket.inet_aton("10.0.2.15")
    assert inner[20:22] == (40000).to_bytes(2, "big")
    assert ones_complement_sum(out.data[34:]) == 0xFFFF  # the ICMP checksum holds
    assert ones_complement_sum(inner[:20]) == 0xFFFF  # and the quoted header's


def test_icmp_errors_for_the_host_pc_itself_go_to_it(router):
    sent = tcp_frame(HOST1_MAC, PC1_MAC, "192.168.1.10", "192.168.1.20", 45000, 7001)
    error = frame(ethernet.ethernet(HOST1_MAC, R1_MAC, 0x0800),
                  ipv4.ipv4(src="192.168.1.1", dst="192.168.1.10", proto=1),
                  icmp.icmp(type_=3, code=1, data=icmp.dest_unreach(data=sent[14:42])))
    (out,) = packet_outs(router.packet_in(UPLINK, read(error), 1))
    assert out.actions == (Output(HOST),) and out.data == error


def test_a_router_gets_the_nat_engine_its_configuration_names_and_no_other():
    from dataclasses import replace

    from controllers.engines import ENGINES

    for name, engine in ENGINES.items():
        assert type(VirtualRouter(plain_routers(name)[0]).engine) is engine
        assert engine.stun_type, "%s: the contract's claim 14 needs its STUN type" % name
    with pytest.raises(ValueError, match="no NAT engine"):
        replace(plain_routers()[0], engine="kernel")
