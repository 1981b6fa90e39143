"""The boundary's reading of IPv6 (controllers.frame_ipv6): the header chain bounded,
fragments not looked into, Neighbor Discovery's options checked, an error's quote left as data."""

import ipaddress
import struct

import pytest
from test_frame import ethernet

from controllers.frame import Malformed, read
from controllers.frame_ipv6 import MAX_EXTENSIONS

VM_LL, ALL_NODES = "fe80::a00:27ff:fe00:1", "ff02::1"
INET6 = "2001:db8:203::10"


def ipv6(next_header, payload, src=VM_LL, dst=ALL_NODES, hop_limit=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), next_header, hop_limit) + (
        ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed + payload)


def frame6(next_header, payload, **kw):
    return ethernet(ipv6(next_header, payload, **kw), ethertype=0x86DD)


def extension(next_header, units=0):
    """A Destination Options header of (units + 1) * 8 bytes, padded with PadN."""
    return bytes([next_header, units, 1, 4 + 8 * units]) + bytes(4 + 8 * units)


def icmp6(kind, body=b"", code=0):
    return bytes([kind, code, 0, 0]) + body


def nd_option(kind, mac):
    return bytes([kind, 1]) + bytes.fromhex(mac.replace(":", ""))


def test_tcp_and_udp_over_ipv6_are_read_to_their_ports():
    tcp = struct.pack("!HHIIBBHHH", 40000, 7001, 5, 0, 0x50, 0x02, 1024, 0, 0)
    frame = read(frame6(6, tcp, dst=INET6))
    assert (frame.ip6.src, frame.ip6.dst, frame.ip6.next_header) == (VM_LL, INET6, 6)
    assert (frame.tcp.src_port, frame.tcp.dst_port, frame.ip) == (40000, 7001, None)
    udp = read(frame6(60, extension(17) + struct.pack("!HHHH", 546, 547, 8, 0)))
    assert (udp.udp.dst_port, udp.ip6.extensions, udp.dhcp) == (547, 1, None)


def test_an_echo_request_is_read_to_its_identifier():
    frame = read(frame6(58, icmp6(128, struct.pack("!HH", 0x1234, 1)), dst=INET6))
    assert (frame.icmp6.type, frame.icmp6.ident, frame.icmp) == (128, 0x1234, None)


def test_neighbor_discovery_is_read_to_its_target_and_link_layer_address():
    target = ipaddress.IPv6Address("fe80::1").packed
    ns = read(frame6(58, icmp6(135, bytes(4) + target + nd_option(1, "08:00:27:00:00:01")),
                     hop_limit=255))
    assert (ns.icmp6.target, ns.icmp6.lladdr, ns.icmp6.lladdr_option) == (
        "fe80::1", "08:00:27:00:00:01", 1)


@pytest.mark.parametrize("payload, hop_limit, why", [
    (icmp6(135, bytes(4) + bytes(16) + bytes([1, 0]) + bytes(6)), 255, "option 1 of 0 bytes"),
    (icmp6(135, bytes(4) + bytes(16) + bytes([1, 2]) + bytes(6)), 255, "option 1 of 16 bytes"),
    (icmp6(135, bytes(4) + bytes(16) + bytes([1])), 255, "option without a length"),
    (icmp6(135, bytes(4) + bytes(16) + nd_option(1, "08:00:27:00:00:01")
           + nd_option(1, "08:00:27:00:00:02")), 255, "two link-layer address options"),
    (icmp6(135, bytes(4) + bytes(16)), 64, "hop limit 64"),
    (icmp6(136, bytes(4)), 255, "truncated Neighbor Discovery message 136"),
    (icmp6(1)[:3], 64, "truncated ICMPv6 header"),
])
def test_broken_neighbor_discovery_is_refused_saying_why(payload, hop_limit, why):
    with pytest.raises(Malformed, match=why):
        read(frame6(58, payload, hop_limit=hop_limit))


def test_a_chain_of_extension_headers_is_bounded():
    chain = b"".join(extension(60) for _ in range(MAX_EXTENSIONS - 1)) + extension(59)
    assert read(frame6(60, chain)).ip6.extensions == MAX_EXTENSIONS
    longer = b"".join(extension(60) for _ in range(MAX_EXTENSIONS)) + extension(59)
    with pytest.raises(Malformed, match="more than 8 IPv6 extension headers"):
        read(frame6(60, longer))
    with pytest.raises(Malformed, match="extension header 60 of 16 bytes"):
        read(frame6(60, extension(59, units=1)[:12]))


def test_a_fragment_is_not_looked_into():
    first = struct.pack("!BBHI", 6, 0, 1, 7) + b"\x9c\x40\x1b\x59"  # more follow: TCP's ports
    frame = read(frame6(44, first, dst=INET6))
    assert frame.ip6.fragment and frame.ip6.next_header == 6 and frame.tcp is None


def test_an_icmpv6_error_quotes_a_packet_that_is_data():
    quoted = ipv6(60, extension(60) * 3, dst=INET6)[:30]  # cut short: not read
    frame = read(frame6(58, icmp6(1, bytes(4) + quoted, code=4)))
    assert (frame.icmp6.type, frame.icmp6.code) == (1, 4)


@pytest.mark.parametrize("data, why", [
    (ipv6(59, b"")[:39], "truncated IPv6 header"),
    (b"\x40" + ipv6(59, b"")[1:], "IPv6 version 4"),
    (ipv6(59, b"")[:4] + b"\x00\x10" + ipv6(59, b"")[6:], "IPv6 payload length 16"),
    (ipv6(0, b"")[:4] + b"\x00\x00" + ipv6(0, b"")[6:], "jumbogram"),
])
def test_a_broken_ipv6_header_is_refused_saying_why(data, why):
    with pytest.raises(Malformed, match=why):
        read(ethernet(data, ethertype=0x86DD))
