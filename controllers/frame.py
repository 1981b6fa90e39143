"""A frame as the controller reads it: the headers its cores need, read once, bounds-checked.
Pure Python: no framework, no socket.

The framework's packet library follows what a header announces: UDP ports 4789, 6081 and 8472
lead it into a VXLAN or Geneve frame, and inside one a TCP option of length 0 makes it loop for
ever (a single datagram froze the controller). So no library parser ever reads a guest's bytes:
`read` takes exactly Ethernet (and one VLAN tag), ARP, IPv4, IPv6 (controllers.frame_ipv6: its
extension headers bounded, Neighbor Discovery's options checked), the TCP, UDP, ICMP or ICMPv6
header and a DHCP message, and stops there. What a header carries beyond that - a tunnel's
inner frame, GRE, ESP, a fragment's rest, a second VLAN tag - is data to forward, never looked
into.
"""

import socket
import struct
from dataclasses import dataclass, field
from typing import Dict, Optional

from controllers.frame_ipv6 import ETH_IPV6, ICMPV6, Icmp6, Ipv6, Malformed6, read_icmp6, read_ipv6

ETH_HEADER = 14
ETH_IP, ETH_ARP, ETH_VLAN = 0x0800, 0x0806, 0x8100
TCP, UDP, ICMP = 6, 17, 1
DHCP_PORTS = (67, 68)
BOOTP_FIXED = 236  # op .. file, before the magic cookie
DHCP_MAGIC = b"\x63\x82\x53\x63"
# DHCP options whose value has one valid length: message type, mask, router, requested
# address, lease time, server id.
DHCP_OPTION_LENGTH = {53: 1, 1: 4, 50: 4, 51: 4, 54: 4}


class Malformed(ValueError):
    """Why a frame may not go further."""


def mac_text(raw):
    return ":".join("%02x" % b for b in raw)


@dataclass(frozen=True)
class Arp:
    opcode: int
    src_mac: str
    src_ip: str
    dst_mac: str
    dst_ip: str


@dataclass(frozen=True)
class Ipv4:
    src: str
    dst: str
    proto: int
    ttl: int
    header_length: int  # bytes
    total_length: int
    fragment: bool  # more fragments follow, or it is not the first: its ports are not all here


@dataclass(frozen=True)
class Tcp:
    src_port: int
    dst_port: int
    seq: int
    flags: int


@dataclass(frozen=True)
class Udp:
    src_port: int
    dst_port: int


@dataclass(frozen=True)
class Icmp:
    type: int
    code: int
    ident: int  # an echo's identifier (bytes 4-5 of every ICMP header)


@dataclass(frozen=True)
class Dhcp:
    op: int
    xid: int
    flags: int
    ciaddr: str
    chaddr: str
    options: Dict[int, bytes] = field(default_factory=dict)  # tag -> value


@dataclass(frozen=True)
class Frame:
    """One frame a switch sent the controller, and where from (`table`: the flow table whose
    flow sent it; a guest can forge any header, never that)."""

    data: bytes = field(repr=False)
    dst: str
    src: str
    ethertype: int  # after the VLAN tag, if there is one
    vlan: Optional[int] = None  # the VLAN id of a tagged frame (whose payload is not read)
    arp: Optional[Arp] = None
    ip: Optional[Ipv4] = None
    ip6: Optional[Ipv6] = None
    tcp: Optional[Tcp] = None
    udp: Optional[Udp] = None
    icmp: Optional[Icmp] = None
    dhcp: Optional[Dhcp] = None
    icmp6: Optional[Icmp6] = None
    table: int = 0

    @property
    def l4(self):
        """The TCP or UDP header, or None."""
        return self.tcp or self.udp


def _need(data, end, what):
    if len(data) < end:
        raise Malformed("truncated %s" % what)


def _ip(data, at):
    return socket.inet_ntoa(data[at:at + 4])


def check_tcp_options(data, start, end):
    """Every option but EOL/NOP has a length of at least 2 that fits, all the way to the
    header's end (past an end-of-options too). No parser of ours needs the options; a frame
    whose options are broken is refused all the same, before it goes anywhere."""
    at = start
    while at < end:
        kind = data[at]
        if kind in (0, 1):  # end of options, no-operation: one byte
            at += 1
            continue
        if at + 1 >= end:
            raise Malformed("TCP option without a length")
        length = data[at + 1]
        if length < 2 or at + length > end:
            raise Malformed("TCP option of length %d" % length)
        at += length


def read_dhcp(data, start, end):
    _need(data, start + BOOTP_FIXED + 4, "DHCP message")
    op, htype, hlen = data[start], data[start + 1], data[start + 2]
    if htype != 1 or hlen != 6:
        raise Malformed("DHCP hardware type/length %d/%d (Ethernet is 1/6)" % (htype, hlen))
    if data[start + BOOTP_FIXED:start + BOOTP_FIXED + 4] != DHCP_MAGIC:
        raise Malformed("DHCP without its magic cookie")
    options = {}
    at = start + BOOTP_FIXED + 4
    while at < end:
        tag = data[at]
        if tag == 255:
            break
        if tag == 0:
            at += 1
            continue
        if at + 1 >= end:
            raise Malformed("DHCP option without a length")
        length = data[at + 1]
        if at + 2 + length > end:
            raise Malformed("DHCP option %d longer than the message" % tag)
        if tag in DHCP_OPTION_LENGTH and length != DHCP_OPTION_LENGTH[tag]:
            raise Malformed("DHCP option %d of length %d" % (tag, length))
        options[tag] = bytes(data[at + 2:at + 2 + length])
        at += 2 + length
    if 53 not in options:
        raise Malformed("DHCP without a message type")
    xid, _secs, flags = struct.unpack_from("!IHH", data, start + 4)
    return Dhcp(op, xid, flags, _ip(data, start + 12), mac_text(data[start + 28:start + 34]),
                options)


def read_ipv4(data):
    """(Ipv4, {tcp|udp|icmp|dhcp: header}) of the packet after the Ethernet header."""
    start = ETH_HEADER
    _need(data, start + 20, "IPv4 header")
    version, ihl = data[start] >> 4, (data[start] & 0x0F) * 4
    if version != 4 or ihl < 20:
        raise Malformed("IPv4 version %d, header length %d" % (version, ihl))
    total = struct.unpack_from("!H", data, start + 2)[0]
    _need(data, start + ihl, "IPv4 options")
    if total < ihl or start + total > len(data):
        raise Malformed("IPv4 total length %d" % total)
    end = start + total  # what follows is Ethernet padding
    flags_offset = struct.unpack_from("!H", data, start + 6)[0]
    ip = Ipv4(_ip(data, start + 12), _ip(data, start + 16), data[start + 9], data[start + 8],
              ihl, total, bool(flags_offset & 0x3FFF))
    headers, l4 = {}, start + ihl
    if ip.fragment:
        return ip, headers
    headers.update(read_l4(data, ip.proto, l4, end))
    return ip, headers


def read_l4(data, proto, l4, end, dhcp=True):
    """{tcp|udp|icmp|dhcp: header} of the upper layer at `l4` (IPv4's or IPv6's; DHCP is
    IPv4's only)."""
    headers = {}
    if proto == TCP:
        _need(data, l4 + 20, "TCP header")
        offset = (data[l4 + 12] >> 4) * 4
        if offset < 20 or l4 + offset > end:
            raise Malformed("TCP data offset %d" % offset)
        check_tcp_options(data, l4 + 20, l4 + offset)
        sport, dport, seq = struct.unpack_from("!HHI", data, l4)
        flags = struct.unpack_from("!H", data, l4 + 12)[0] & 0x1FF
        headers["tcp"] = Tcp(sport, dport, seq, flags)
    elif proto == UDP:
        if l4 + 8 > end:
            raise Malformed("truncated UDP header")
        sport, dport, length = struct.unpack_from("!HHH", data, l4)
        if length < 8 or l4 + length > end:
            raise Malformed("UDP length %d" % length)
        headers["udp"] = Udp(sport, dport)
        if dhcp and sport in DHCP_PORTS and dport in DHCP_PORTS:
            headers["dhcp"] = read_dhcp(data, l4 + 8, l4 + length)
        # any other payload (VXLAN, Geneve, a DNS message ...) is data
    elif proto == ICMP:
        if l4 + 8 > end:
            raise Malformed("truncated ICMP header")
        headers["icmp"] = Icmp(data[l4], data[l4 + 1], struct.unpack_from("!H", data, l4 + 4)[0])
    return headers


def read_v6(data):
    """(Ipv6, {tcp|udp|icmp6: header}) of the packet after the Ethernet header."""
    try:
        ip, end, l4 = read_ipv6(data, ETH_HEADER)
        if ip.fragment:
            return ip, {}
        if ip.next_header == ICMPV6:
            return ip, {"icmp6": read_icmp6(data, l4, end, ip.hop_limit)}
    except Malformed6 as e:
        raise Malformed(str(e)) from None
    if ip.next_header not in (TCP, UDP):
        return ip, {}
    return ip, read_l4(data, ip.next_header, l4, end, dhcp=False)


def read_arp(data):
    _need(data, ETH_HEADER + 28, "ARP")
    htype, ptype, hlen, plen, opcode = struct.unpack_from("!HHBBH", data, ETH_HEADER)
    if (htype, ptype, hlen, plen) != (1, ETH_IP, 6, 4):
        raise Malformed("ARP not for Ethernet and IPv4")
    at = ETH_HEADER + 8
    return Arp(opcode, mac_text(data[at:at + 6]), _ip(data, at + 6),
               mac_text(data[at + 10:at + 16]), _ip(data, at + 16))


def read(data, deep=True, table=0):
    """The Frame of `data`; raises Malformed saying what is wrong. `deep`: read the headers
    past Ethernet too (for cores that use them; a learning switch reads only the addresses)."""
    data = bytes(data)
    _need(data, ETH_HEADER, "Ethernet header")
    dst, src = mac_text(data[0:6]), mac_text(data[6:12])
    ethertype = struct.unpack_from("!H", data, 12)[0]
    if not deep:
        return Frame(data, dst, src, ethertype, table=table)
    if ethertype == ETH_VLAN:  # one tag is read; what it carries (a second tag too) is data
        _need(data, ETH_HEADER + 4, "VLAN tag")
        tci, inner = struct.unpack_from("!HH", data, ETH_HEADER)
        return Frame(data, dst, src, inner, vlan=tci & 0x0FFF, table=table)
    if ethertype == ETH_IP:
        ip, headers = read_ipv4(data)
        return Frame(data, dst, src, ethertype, ip=ip, table=table, **headers)
    if ethertype == ETH_ARP:
        return Frame(data, dst, src, ethertype, arp=read_arp(data), table=table)
    if ethertype == ETH_IPV6:
        ip6, headers = read_v6(data)
        return Frame(data, dst, src, ethertype, ip6=ip6, table=table, **headers)
    return Frame(data, dst, src, ethertype, table=table)
