"""A NAT network's IPv6 with --ipv6 on (controllers.ipv6_router), as VirtualBox's NAT service
gives it: advertisements of its /64, answers for its own addresses, and a guest's IPv6 to
elsewhere handed to the host PC's own stack - whatever the NAT engine."""

import ipaddress
import struct
from dataclasses import replace

import pytest

pytest.importorskip("os_ken", reason="os-ken's packet library builds the test frames")

from test_frame import mac  # noqa: E402
from test_frame_ipv6 import ipv6  # noqa: E402
from test_virtual_router import HOST1_MAC, VM1_MAC, VM1_PORT, packet_outs  # noqa: E402
from test_vm_ports import ENGINES  # noqa: E402

from controllers import config  # noqa: E402
from controllers.checksum import ones_complement_sum  # noqa: E402
from controllers.frame import read  # noqa: E402
from controllers.ipv6_router import RA_EVERY, ROUTER_LIFETIME  # noqa: E402
from controllers.rules import Flow, Output, SetField  # noqa: E402
from controllers.virtual_router import VirtualRouter  # noqa: E402
from plan.addressing import GATEWAY_MAC, natnet_ipv6_prefix  # noqa: E402

PREFIX = "fd17:625c:f037:2::/64"
VM1_LL, VM1_V6 = "fe80::a00:27ff:fe00:1", "fd17:625c:f037:2:a00:27ff:fe00:1"
INET6 = "2001:db8:203::10"


def router(engine="openflow", default=False):
    cfg = config.routers({"host1": [1, 2]}, engine=engine)[0]
    r = VirtualRouter(replace(cfg, ipv6_prefix=PREFIX, ipv6_default=default))
    r.connected()
    return r


def from_vm(r, kind, body=b"", src=VM1_LL, dst="ff02::2", dst_mac="33:33:00:00:00:02",
            hop_limit=255, next_header=58, now=1.0):
    payload = bytes([kind, 0, 0, 0]) + body if next_header == 58 else body
    frame = read(mac(dst_mac) + mac(VM1_MAC) + b"\x86\xdd"
                 + ipv6(next_header, payload, src=src, dst=dst, hop_limit=hop_limit))
    return r.packet_in(VM1_PORT, frame, now)


def checksum_holds(data):
    """The ICMPv6 checksum of an Ethernet frame (no extension headers) is right."""
    length = struct.unpack_from("!H", data, 18)[0]
    pseudo = data[22:54] + struct.pack("!I3xB", length, 58)
    return ones_complement_sum(pseudo + data[54:54 + length]) == 0xFFFF


def test_the_prefix_is_virtualboxs_for_a_network_made_as_10_0_2_0():
    assert natnet_ipv6_prefix() == PREFIX
    assert natnet_ipv6_prefix("192.168.15.0/24") == "fd17:625c:f037:a80f::/64"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("default", [False, True])
def test_a_router_solicitation_is_answered_with_the_prefix_to_all_nodes(engine, default):
    r = router(engine, default)
    (ra,) = packet_outs(from_vm(r, 133, bytes(4)))
    assert sorted(a.port for a in ra.actions) == sorted(r.cfg.vm_ports)
    data = ra.data
    assert data[:6] == mac("33:33:00:00:00:01") and data[6:12] == mac(GATEWAY_MAC)
    assert data[54] == 134 and checksum_holds(data)
    assert struct.unpack_from("!H", data, 54 + 6)[0] == (ROUTER_LIFETIME if default else 0)
    prefix_option = data[54 + 16 + 8:]
    assert prefix_option[:4] == bytes([3, 4, 64, 0xC0])  # on-link, autonomous
    assert str(ipaddress.IPv6Address(prefix_option[16:32])) == "fd17:625c:f037:2::"


def test_advertisements_come_at_3_then_16_16_then_every_600_seconds():
    r = router()
    sent = [t for t in range(0, 1300) if any(p.data[12:14] == b"\x86\xdd" and p.data[54] == 134
                                             for p in packet_outs(r.tick(float(t))))]
    assert sent[:4] == [3, 19, 35, 35 + int(RA_EVERY)]


@pytest.mark.parametrize("target", ["fd17:625c:f037:2::1", "fe80::5054:ff:fe12:3502"])
def test_the_router_answers_for_its_own_addresses(target):
    r = router()
    ns = bytes(4) + ipaddress.IPv6Address(target).packed + b"\x01\x01" + mac(VM1_MAC)
    (na,) = packet_outs(from_vm(r, 135, ns, dst="ff02::1:ff00:1", dst_mac="33:33:ff:00:00:01"))
    assert [a.port for a in na.actions] == [VM1_PORT]
    assert na.data[54] == 136 and checksum_holds(na.data)
    assert na.data[-6:] == mac(GATEWAY_MAC)  # its target link-layer address
    ping = struct.pack("!HH", 7, 1) + b"x" * 24
    (reply,) = packet_outs(from_vm(r, 128, ping, src=VM1_V6, dst=target, dst_mac=GATEWAY_MAC,
                                   hop_limit=64))
    assert reply.data[54] == 129 and reply.data[58:] == ping and checksum_holds(reply.data)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_guests_ipv6_elsewhere_goes_to_the_host_pcs_stack_and_its_answer_comes_back(engine):
    r = router(engine, default=True)
    udp = struct.pack("!HHHH", 40000, 7002, 10, 0) + b"hi"
    rules = from_vm(r, 0, udp, src=VM1_V6, dst=INET6, dst_mac=GATEWAY_MAC, hop_limit=64,
                    next_header=17)
    (flow,) = [f for f in rules if isinstance(f, Flow)]
    assert flow.match["ipv6_src"] == VM1_V6 and flow.match["in_port"] == VM1_PORT
    assert SetField("eth_dst", HOST1_MAC) in flow.actions
    assert Output(r.cfg.host_port) in flow.actions
    back = read(mac(GATEWAY_MAC) + mac(HOST1_MAC) + b"\x86\xdd"
                + ipv6(17, udp, src=INET6, dst=VM1_V6, hop_limit=63))
    rules = r.packet_in(r.cfg.host_port, back, 2.0)
    (flow,) = [f for f in rules if isinstance(f, Flow)]
    assert flow.match["ipv6_dst"] == VM1_V6
    assert SetField("eth_dst", VM1_MAC) in flow.actions and Output(VM1_PORT) in flow.actions
    # an address no VM holds goes nowhere
    stray = read(mac(GATEWAY_MAC) + mac(HOST1_MAC) + b"\x86\xdd"
                 + ipv6(17, udp, src=INET6, dst="fd17:625c:f037:2::99", hop_limit=63))
    assert r.packet_in(r.cfg.host_port, stray, 2.0) == []


def test_without_ipv6_the_router_drops_what_is_sent_to_its_mac():
    cfg = config.routers({"host1": [1, 2]})[0]
    r = VirtualRouter(cfg)
    r.connected()
    udp = struct.pack("!HHHH", 40000, 7002, 10, 0) + b"hi"
    assert from_vm(r, 0, udp, src=VM1_V6, dst=INET6, dst_mac=GATEWAY_MAC, hop_limit=64,
                   next_header=17) == []


def test_a_ping_to_the_router_after_a_flow_to_the_host_still_reaches_the_router():
    """The flow that sends a VM's IPv6 on to the host PC matches its source only: a packet
    for the router's own address must not take it."""
    from flowtable import FlowTable, fields_of

    from controllers.rules import CONTROLLER

    r = router(default=True)
    r.table = FlowTable()
    r.table.apply(r.connected())
    udp = struct.pack("!HHHH", 40000, 7002, 10, 0) + b"hi"
    r.table.apply(from_vm(r, 0, udp, src=VM1_V6, dst=INET6, dst_mac=GATEWAY_MAC, hop_limit=64,
                          next_header=17))
    ping = read(mac(GATEWAY_MAC) + mac(VM1_MAC) + b"\x86\xdd" + ipv6(
        58, bytes([128, 0, 0, 0, 0, 7, 0, 1]), src=VM1_V6, dst="fd17:625c:f037:2::1"))
    assert [port for port, _ in r.table.forward(**fields_of(ping, VM1_PORT))] == [CONTROLLER]
