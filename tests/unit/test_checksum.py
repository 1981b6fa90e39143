"""Packet-outs carry complete checksums, judged by os-ken's own packet library."""

import pytest

from controllers.checksum import complete

packet = pytest.importorskip("os_ken.lib.packet.packet", reason="os-ken is the test's oracle")
from os_ken.lib.packet import ethernet, ipv4, tcp, udp  # noqa: E402


def build(l4, payload=b"hello"):
    p = packet.Packet()
    p.add_protocol(ethernet.ethernet(src="08:00:27:00:00:01", dst="08:00:27:00:00:02"))
    p.add_protocol(ipv4.ipv4(src="10.0.2.15", dst="192.168.1.20",
                             proto=6 if isinstance(l4, tcp.tcp) else 17))
    p.add_protocol(l4)
    p.add_protocol(payload)
    p.serialize()
    return bytes(p.data)


def checksum_at(frame, offset):
    return frame[34 + offset:36 + offset]


@pytest.mark.parametrize("l4, offset", [
    (tcp.tcp(src_port=40000, dst_port=7001, bits=tcp.TCP_SYN), 16),
    (udp.udp(src_port=40000, dst_port=7002), 6),
])
def test_an_unfinished_checksum_is_completed(l4, offset):
    good = build(l4)
    # What a kernel leaves for the NIC: some partial value in the checksum field.
    partial = bytearray(good)
    partial[34 + offset:36 + offset] = b"\x12\x34"
    assert complete(bytes(partial)) == good


def test_a_correct_frame_is_left_as_it_is():
    good = build(tcp.tcp(src_port=1, dst_port=2, bits=tcp.TCP_ACK), payload=b"x" * 101)
    assert complete(good) == good


def test_udp_without_a_checksum_and_other_frames_are_untouched():
    no_sum = bytearray(build(udp.udp(src_port=1, dst_port=2)))
    no_sum[40:42] = b"\0\0"
    assert complete(bytes(no_sum)) == bytes(no_sum)
    arp = bytes(12) + b"\x08\x06" + bytes(28)
    assert complete(arp) == arp


@pytest.mark.parametrize("l4, offset", [
    (tcp.tcp(src_port=40000, dst_port=7001, bits=tcp.TCP_SYN), 16),
    (udp.udp(src_port=40000, dst_port=7002), 6),
])
def test_an_unfinished_ipv6_checksum_is_completed(l4, offset):
    """A guest's first SYN over IPv6 goes through the controller too (the learning switch):
    its checksum, left for the card, must be whole when it comes back out."""
    from os_ken.lib.packet import ipv6

    p = packet.Packet()
    p.add_protocol(ethernet.ethernet(src="08:00:27:00:00:01", dst="08:00:27:00:00:02",
                                     ethertype=0x86DD))
    p.add_protocol(ipv6.ipv6(src="2001:db8:1:1::15", dst="2001:db8:203::10",
                             nxt=6 if isinstance(l4, tcp.tcp) else 17))
    p.add_protocol(l4)
    p.add_protocol(b"hello")
    p.serialize()
    good = bytes(p.data)
    partial = bytearray(good)
    partial[54 + offset:56 + offset] = b"\x12\x34"
    assert complete(bytes(partial)) == good
    assert complete(good[:60]) == good[:60]  # cut short: left alone
