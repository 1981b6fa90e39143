"""The boundary's reading of a frame (controllers.frame): exactly the headers the cores need,
and nothing a header announces beyond them - tunnels, GRE, a second VLAN tag are data (IPv6:
tests/unit/test_frame_ipv6.py)."""

import struct

import pytest

from controllers.frame import Malformed, read

GW_MAC, VM_MAC = "52:54:00:12:35:02", "08:00:27:00:00:01"


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def ipv4(proto, payload, src="10.0.2.15", dst="203.0.113.10", ttl=64):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, ttl, proto, 0,
                         bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return header + payload


def ethernet(payload, ethertype=0x0800, dst=GW_MAC, src=VM_MAC):
    return mac(dst) + mac(src) + struct.pack("!H", ethertype) + payload


def udp(dport, payload, sport=40000):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def broken_tcp_frame():
    """An inner frame whose TCP header carries a SACK option of length 0."""
    tcp = struct.pack("!HHIIBBHHH", 40000, 7001, 1, 0, 0x60, 0x02, 1024, 0, 0) + bytes(
        [5, 0, 1, 1])
    return ethernet(ipv4(6, tcp))


def tunnel(dport):
    """What a guest's plain UDP socket sends to a VXLAN (4789), Geneve (6081) or Linux VXLAN
    (8472) port: an 8-byte tunnel header (reserved flags set) and a broken inner frame."""
    return ethernet(ipv4(17, udp(dport, b"\xff\xff\xff\xff\x00\x00\x01\xff" + broken_tcp_frame())))


@pytest.mark.parametrize("port", [4789, 6081, 8472])
def test_a_tunnel_datagram_is_read_to_its_udp_header_and_no_further(port):
    frame = read(tunnel(port))  # a timed bound flaked under load: what is read says it
    assert (frame.ip.proto, frame.udp.dst_port) == (17, port)
    assert frame.tcp is None and frame.dhcp is None  # the inner TCP header is not ours to read


def test_gre_and_a_vlan_stack_are_data():
    gre = read(ethernet(ipv4(47, b"\x00\x00\x65\x58" + broken_tcp_frame())))
    assert gre.ip.proto == 47 and gre.l4 is None and gre.icmp is None
    stacked = read(ethernet(b"\x00\x0a\x81\x00\x00\x14\x08\x00" + ipv4(6, b""),
                            ethertype=0x8100))
    assert (stacked.vlan, stacked.ethertype, stacked.ip) == (10, 0x8100, None)


def test_a_tcp_option_of_length_0_in_the_frame_itself_is_refused():
    with pytest.raises(Malformed, match="TCP option of length 0"):
        read(broken_tcp_frame())


def test_headers_are_read_as_the_cores_use_them():
    echo = read(ethernet(ipv4(1, b"\x08\x00\x00\x00\x00\x07\x00\x01ping", ttl=5)))
    assert (echo.ip.src, echo.ip.dst, echo.ip.ttl) == ("10.0.2.15", "203.0.113.10", 5)
    assert (echo.icmp.type, echo.icmp.ident, echo.dst, echo.src) == (8, 7, GW_MAC, VM_MAC)
    packet = ipv4(17, udp(53, b"x"))
    fragment = read(ethernet(packet[:6] + b"\x20\x00" + packet[8:]))  # more fragments follow
    assert fragment.ip.fragment and fragment.udp is None
    assert read(b"\x00" * 14 + b"junk", deep=False).src == "00:00:00:00:00:00"
    with pytest.raises(Malformed):
        read(b"\x00" * 13)
