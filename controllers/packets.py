"""Frames the controller builds itself. Each function builds one frame and returns its bytes;
none knows anything of routing, NAT or leases: the callers decide who gets what.

Built with the framework's packet library (os-ken or Ryu), except the ICMP error
translation, which edits the received bytes in place of a full rebuild.
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


def frame(*layers):
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


def set_checksum(frame, at, start, end):
    """The Internet checksum of frame[start:end], written at `at`."""
    struct.pack_into("!H", frame, at, 0)
    struct.pack_into("!H", frame, at, ~ones_complement_sum(bytes(frame[start:end])) & 0xFFFF)


def arp_request(src_mac, src_ip, dst_ip):
    L = lib()
    return frame(L.ethernet.ethernet(dst=BROADCAST, src=src_mac, ethertype=ETH_ARP),
                  L.arp.arp(opcode=1, src_mac=src_mac, src_ip=src_ip,
                            dst_mac="00:00:00:00:00:00", dst_ip=dst_ip))


def arp_reply(src_mac, src_ip, dst_mac, dst_ip):
    L = lib()
    return frame(L.ethernet.ethernet(dst=dst_mac, src=src_mac, ethertype=ETH_ARP),
                  L.arp.arp(opcode=2, src_mac=src_mac, src_ip=src_ip, dst_mac=dst_mac,
                            dst_ip=dst_ip))


def dhcp_reply(request, options, yiaddr, server_ip, server_mac):
    """A DHCP answer (OFFER, ACK, NAK: `options` say which) to `request`, broadcast on its link."""
    L = lib()
    reply = L.dhcp.dhcp(
        op=2, chaddr=request.chaddr, xid=request.xid, flags=request.flags,
        yiaddr=yiaddr, siaddr=server_ip, hlen=6,
        options=L.dhcp.options(option_list=[L.dhcp.option(tag=t, value=v)
                                            for t, v in options]))
    return frame(L.ethernet.ethernet(dst=request.chaddr, src=server_mac, ethertype=ETH_IP),
                  L.ipv4.ipv4(src=server_ip, dst="255.255.255.255", proto=17),
                  L.udp.udp(src_port=67, dst_port=68), reply)


def quoted(pkt):
    """What an ICMP error quotes of a packet: its IP header and 8 bytes of what follows."""
    ip = pkt.get_protocol(lib().ipv4.ipv4)
    return bytes(pkt.data[14:14 + ip.header_length * 4 + 8])


def icmp_error(pkt, src_mac, src_ip, kind, code=0):
    """An ICMP error (destination unreachable, time exceeded) about `pkt`, back to its sender."""
    L = lib()
    eth = pkt.get_protocol(L.ethernet.ethernet)
    ip = pkt.get_protocol(L.ipv4.ipv4)
    body = (L.icmp.TimeExceeded if kind == ICMP_TIME_EXCEEDED else L.icmp.dest_unreach)(
        data=quoted(pkt))
    return frame(L.ethernet.ethernet(dst=eth.src, src=src_mac, ethertype=ETH_IP),
                  L.ipv4.ipv4(src=src_ip, dst=ip.src, proto=IP_ICMP),
                  L.icmp.icmp(type_=kind, code=code, data=body))


def tcp_reset(pkt, src_mac):
    """A reset answering a TCP segment, as if from the host it was sent to."""
    L = lib()
    eth = pkt.get_protocol(L.ethernet.ethernet)
    ip = pkt.get_protocol(L.ipv4.ipv4)
    seg = pkt.get_protocol(L.tcp.tcp)
    return frame(L.ethernet.ethernet(dst=eth.src, src=src_mac, ethertype=ETH_IP),
                  L.ipv4.ipv4(src=ip.dst, dst=ip.src, proto=IP_TCP),
                  L.tcp.tcp(src_port=seg.dst_port, dst_port=seg.src_port, seq=0,
                            ack=(seg.seq + 1) & 0xFFFFFFFF, bits=L.tcp.TCP_RST | L.tcp.TCP_ACK))


def rewrite_echo(pkt, eth_src, eth_dst, src=None, dst=None, ident=None, hop=False):
    """An echo frame with new addresses and identifier, checksums recomputed;
    `hop`: it is forwarded, so its TTL goes down by one."""
    L = lib()
    eth = pkt.get_protocol(L.ethernet.ethernet)
    ip = pkt.get_protocol(L.ipv4.ipv4)
    icmp = pkt.get_protocol(L.icmp.icmp)
    eth.src, eth.dst = eth_src, eth_dst
    ip.src, ip.dst = src or ip.src, dst or ip.dst
    ip.csum = icmp.csum = 0  # zero: serialize() computes them
    if hop:
        ip.ttl -= 1
    if ident is not None:
        icmp.data.id = ident
    return frame(*pkt.protocols)


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
    frame = bytearray(data)
    frame[0:12] = mac_bytes(eth_dst) + mac_bytes(eth_src)
    frame[outer + 16:outer + 20] = ip_bytes(ip_dst)  # to the new destination
    frame[inner + 12:inner + 16] = ip_bytes(ip_dst)  # about its packet
    struct.pack_into("!H", frame, port_at, port)
    set_checksum(frame, inner + 10, inner, l4)
    set_checksum(frame, outer + 10, outer, at)
    set_checksum(frame, at + 2, at, outer + struct.unpack_from("!H", frame, outer + 2)[0])
    return bytes(frame)
