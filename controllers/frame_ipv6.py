"""IPv6 as the boundary reads it (controllers.frame calls `read_ipv6`): the fixed header, the
chain of extension headers, and TCP, UDP or ICMPv6 after them. Pure Python.

Bounded as IPv4 is, and more, since IPv6 lets a header announce the next one:
- at most MAX_EXTENSIONS extension headers, each within the payload (a chain of Hop-by-Hop
  or Destination Options headers is how a guest would make a reader walk for ever);
- a Fragment header ends the reading: a later fragment carries no upper-layer header, and
  a first fragment's may be cut anywhere (RFC 8200 §4.5), so neither's ports are read;
- ICMPv6 is read to its type, code, an echo's identifier and, for Neighbor Discovery, the
  target and the link-layer address option; every option's length is checked (an option of
  length 0 is refused, RFC 4861 §4.6: it is how a reader loops);
- Neighbor Discovery must come with hop limit 255 (RFC 4861: it was not routed here);
- an ICMPv6 error's quoted packet is data, never read.
What a header carries beyond that (ESP, a tunnel, No Next Header's bytes) is data.
"""

import socket
import struct
from dataclasses import dataclass
from typing import Optional

ETH_IPV6 = 0x86DD
ICMPV6 = 58
FRAGMENT, NO_NEXT_HEADER = 44, 59
# extension headers whose length is in their second byte, in units of 8 bytes past the first 8
EXTENSIONS = {0: "Hop-by-Hop Options", 43: "Routing", 60: "Destination Options"}
AUTHENTICATION = 51  # its length is in units of 4 bytes past the first 8 (RFC 4302)
MAX_EXTENSIONS = 8
HEADER = 40
# Neighbor Discovery (RFC 4861): type -> where its options begin (after the ICMPv6 header)
RS, RA, NS, NA, REDIRECT = 133, 134, 135, 136, 137
ND_OPTIONS_AT = {RS: 8, RA: 16, NS: 24, NA: 24, REDIRECT: 40}
SOURCE_LLADDR, TARGET_LLADDR = 1, 2
ECHO_REQUEST, ECHO_REPLY = 128, 129


class Malformed6(ValueError):
    """Why an IPv6 packet may not go further (controllers.frame raises its own Malformed)."""


@dataclass(frozen=True)
class Ipv6:
    src: str
    dst: str
    next_header: int  # the upper layer's, after any extension headers
    hop_limit: int
    payload_length: int
    fragment: bool  # it carries a Fragment header: its upper layer is not read
    extensions: int = 0  # how many extension headers came before the upper layer


@dataclass(frozen=True)
class Icmp6:
    type: int
    code: int
    ident: int  # an echo's identifier (bytes 4-5)
    target: Optional[str] = None  # Neighbor Solicitation / Advertisement, Redirect
    lladdr: Optional[str] = None  # the source (RS, RA, NS) or target (NA) link-layer address
    lladdr_option: int = 0  # which option carried it (SOURCE_LLADDR or TARGET_LLADDR)


def address(data, at):
    return socket.inet_ntop(socket.AF_INET6, data[at:at + 16])


def _mac(raw):
    return ":".join("%02x" % b for b in raw)


def need(data, end, what):
    if len(data) < end:
        raise Malformed6("truncated %s" % what)


def read_ipv6(data, start):
    """(Ipv6, end of the packet, offset of its upper layer) of the packet at `start`."""
    need(data, start + HEADER, "IPv6 header")
    if data[start] >> 4 != 6:
        raise Malformed6("IPv6 version %d" % (data[start] >> 4))
    payload, next_header, hop_limit = struct.unpack_from("!HBB", data, start + 4)
    end = start + HEADER + payload
    if payload == 0 and next_header == 0:
        raise Malformed6("IPv6 jumbogram (payload length 0 with Hop-by-Hop)")
    if end > len(data):
        raise Malformed6("IPv6 payload length %d" % payload)
    at, count, fragment = start + HEADER, 0, False
    while next_header in EXTENSIONS or next_header in (AUTHENTICATION, FRAGMENT):
        count += 1
        if count > MAX_EXTENSIONS:
            raise Malformed6("more than %d IPv6 extension headers" % MAX_EXTENSIONS)
        if at + 8 > end:
            raise Malformed6("truncated IPv6 extension header %d" % next_header)
        if next_header == FRAGMENT:
            fragment = True
            next_header, at = data[at], at + 8
            break  # what follows is part of a fragment: not read
        if next_header == AUTHENTICATION:
            length = (data[at + 1] + 2) * 4
        else:
            length = (data[at + 1] + 1) * 8
        if at + length > end:
            raise Malformed6("IPv6 extension header %d of %d bytes" % (next_header, length))
        next_header, at = data[at], at + length
    ip = Ipv6(address(data, start + 8), address(data, start + 24), next_header, hop_limit,
              payload, fragment, count)
    return ip, end, at


def read_icmp6(data, at, end, hop_limit):
    if at + 8 > end:
        raise Malformed6("truncated ICMPv6 header")
    kind, code = data[at], data[at + 1]
    ident = struct.unpack_from("!H", data, at + 4)[0]
    if kind not in ND_OPTIONS_AT:
        return Icmp6(kind, code, ident)
    if hop_limit != 255:
        raise Malformed6("Neighbor Discovery with hop limit %d (it must be 255)" % hop_limit)
    options_at = at + ND_OPTIONS_AT[kind]
    if options_at > end:
        raise Malformed6("truncated Neighbor Discovery message %d" % kind)
    target = address(data, at + 8) if kind in (NS, NA, REDIRECT) else None
    lladdr, which = None, 0
    while options_at < end:
        if options_at + 2 > end:
            raise Malformed6("Neighbor Discovery option without a length")
        option, length = data[options_at], data[options_at + 1] * 8
        if length == 0 or options_at + length > end:
            raise Malformed6("Neighbor Discovery option %d of %d bytes" % (option, length))
        if option in (SOURCE_LLADDR, TARGET_LLADDR):
            if length != 8:
                raise Malformed6("link-layer address option of %d bytes (Ethernet's is 8)"
                                 % length)
            if lladdr is not None:
                raise Malformed6("two link-layer address options")
            lladdr, which = _mac(data[options_at + 2:options_at + 8]), option
        options_at += length
    return Icmp6(kind, code, ident, target, lladdr, which)
