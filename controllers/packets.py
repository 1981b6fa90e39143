"""Frames the controller builds itself. Each function builds one frame and returns its bytes;
none knows anything of routing, NAT or leases: the callers decide who gets what.

Built with the framework's packet library (os-ken or Ryu), which only ever builds here: an
answer that rewrites a received frame (an echo, an ICMP error to translate) edits its bytes,
as the boundary read them (controllers.frame), and never parses them again.
"""

import socket
import struct

from controllers.checksum import ones_complement_sum
from controllers.framework import packet_lib

ETH_IP, ETH_ARP = 0x0800, 0x0806
BROADCAST = "ff:ff:ff:ff:ff:ff"
IP_ICMP, IP_TCP = 1, 6
ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED = 3, 11
CODE_ADMIN_PROHIBITED = 13

_lib = None


def lib():
    """The framework's packet library, loaded on first use (the unit tests of routing need
    no framework until a frame is built)."""
    global _lib
    if _lib is None:
        _lib = packet_lib()
    return _lib


def build(*layers):
    """The bytes of a frame made of these protocol layers (the framework's classes)."""
    p = lib().packet.Packet()
    for layer in layers:
        p.add_protocol(layer)
    p.serialize()
    return bytes(p.data)


def ip_bytes(text):
    return socket.inet_aton(text)


def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


def set_checksum(out, at, start, end):
    """The Internet checksum of out[start:end], written at `at`."""
    struct.pack_into("!H", out, at, 0)
    struct.pack_into("!H", out, at, ~ones_complement_sum(bytes(out[start:end])) & 0xFFFF)


def arp_request(src_mac, src_ip, dst_ip, to=BROADCAST):
    """Who has dst_ip? Broadcast, or (`to`) asked of one MAC only, to confirm it."""
    L = lib()
    return build(L.ethernet.ethernet(dst=to, src=src_mac, ethertype=ETH_ARP),
                  L.arp.arp(opcode=1, src_mac=src_mac, src_ip=src_ip,
                            dst_mac="00:00:00:00:00:00", dst_ip=dst_ip))


def arp_reply(src_mac, src_ip, dst_mac, dst_ip):
    L = lib()
    return build(L.ethernet.ethernet(dst=dst_mac, src=src_mac, ethertype=ETH_ARP),
                  L.arp.arp(opcode=2, src_mac=src_mac, src_ip=src_ip, dst_mac=dst_mac,
                            dst_ip=dst_ip))


def dhcp_reply(request, options, yiaddr, server_ip, server_mac, next_server=None, boot_file=""):
    """A DHCP answer (OFFER, ACK, NAK: `options` say which) to `request`, broadcast on its link.
    A boot file goes in BOOTP's `file` field, and its TFTP server in `siaddr` (`next_server`),
    as VirtualBox's NAT sends them."""
    L = lib()
    reply = L.dhcp.dhcp(
        op=2, chaddr=request.chaddr, xid=request.xid, flags=request.flags,
        yiaddr=yiaddr, siaddr=next_server or server_ip, hlen=6, boot_file=boot_file,
        options=L.dhcp.options(option_list=[L.dhcp.option(tag=t, value=v)
                                            for t, v in options]))
    return build(L.ethernet.ethernet(dst=request.chaddr, src=server_mac, ethertype=ETH_IP),
                  L.ipv4.ipv4(src=server_ip, dst="255.255.255.255", proto=17),
                  L.udp.udp(src_port=67, dst_port=68), reply)


def quoted(frame):
    """What an ICMP error quotes of a packet (controllers.frame.Frame): its IP header and 8
    bytes of what follows."""
    return frame.data[14:14 + frame.ip.header_length + 8]


def icmp_error(frame, src_mac, src_ip, kind, code=0):
    """An ICMP error (destination unreachable, time exceeded) about `frame`, back to its sender."""
    L = lib()
    body = (L.icmp.TimeExceeded if kind == ICMP_TIME_EXCEEDED else L.icmp.dest_unreach)(
        data=quoted(frame))
    return build(L.ethernet.ethernet(dst=frame.src, src=src_mac, ethertype=ETH_IP),
                 L.ipv4.ipv4(src=src_ip, dst=frame.ip.src, proto=IP_ICMP),
                 L.icmp.icmp(type_=kind, code=code, data=body))


def tcp_reset(frame, src_mac):
    """A reset answering a TCP segment, as if from the host it was sent to."""
    L = lib()
    ip, seg = frame.ip, frame.tcp
    return build(L.ethernet.ethernet(dst=frame.src, src=src_mac, ethertype=ETH_IP),
                 L.ipv4.ipv4(src=ip.dst, dst=ip.src, proto=IP_TCP),
                 L.tcp.tcp(src_port=seg.dst_port, dst_port=seg.src_port, seq=0,
                           ack=(seg.seq + 1) & 0xFFFFFFFF, bits=L.tcp.TCP_RST | L.tcp.TCP_ACK))


def rewrite_echo(frame, eth_src, eth_dst, src=None, dst=None, ident=None, hop=False,
                 kind=None):
    """An ICMP echo (controllers.frame.Frame) with new addresses, identifier or type (`kind`),
    its checksums recomputed; `hop`: it is forwarded, so its TTL goes down by one. The
    received bytes are edited, never parsed again: the boundary has read the headers."""
    outer = 14
    at = outer + frame.ip.header_length  # the ICMP header
    end = outer + frame.ip.total_length  # what follows is Ethernet padding
    out = bytearray(frame.data[:end])
    out[0:12] = mac_bytes(eth_dst) + mac_bytes(eth_src)
    if src:
        out[outer + 12:outer + 16] = ip_bytes(src)
    if dst:
        out[outer + 16:outer + 20] = ip_bytes(dst)
    if hop:
        out[outer + 8] -= 1
    if kind is not None:
        out[at] = kind
    if ident is not None:
        struct.pack_into("!H", out, at + 4, ident)
    set_checksum(out, outer + 10, outer, at)
    set_checksum(out, at + 2, at, end)
    return bytes(out)


def quoted_endpoint(data):
    """(protocol number, port-or-identifier offset, quoted source address) of the packet an
    ICMP error quotes, or None when the quote is too short to say."""
    outer = 14
    at = outer + (data[outer] & 0x0F) * 4  # the ICMP header
    inner = at + 8  # the quoted IP header, then 8 bytes of its payload
    if len(data) < inner + 20:
        return None
    l4 = inner + (data[inner] & 0x0F) * 4
    if len(data) < l4 + 8:
        return None
    proto = data[inner + 9]
    port_at = l4 + (4 if proto == IP_ICMP else 0)  # the echo identifier, or the source port
    return proto, port_at, socket.inet_ntoa(data[inner + 12:inner + 16])


def readdress_icmp_error(data, eth_dst, eth_src, ip_dst, port_at, port):
    """The ICMP error `data`, re-addressed: sent to ip_dst, quoting a packet from ip_dst:port.
    Every checksum it carries is recomputed."""
    outer = 14
    at = outer + (data[outer] & 0x0F) * 4
    inner = at + 8
    l4 = inner + (data[inner] & 0x0F) * 4
    out = bytearray(data)
    out[0:12] = mac_bytes(eth_dst) + mac_bytes(eth_src)
    out[outer + 16:outer + 20] = ip_bytes(ip_dst)  # to the new destination
    out[inner + 12:inner + 16] = ip_bytes(ip_dst)  # about its packet
    struct.pack_into("!H", out, port_at, port)
    set_checksum(out, inner + 10, inner, l4)
    set_checksum(out, outer + 10, outer, at)
    set_checksum(out, at + 2, at, outer + struct.unpack_from("!H", out, outer + 2)[0])
    return bytes(out)
