"""The packet boundary: every frame a switch hands the controller passes here first.

A guest sends whatever it likes: truncated headers, options whose length is 0 (which
makes the framework's TCP option parser loop forever), fragments, DHCP with a bad
hardware length. Here a frame is checked once, with our own bounds-checked reading,
before any library parser sees it. What fails is dropped and counted, with at most one
log line per reason every LOG_EVERY seconds; and no exception from a core ever escapes
a packet-in handler (`handle`). Pure Python: no framework, no socket.
"""

import logging
import re
import struct
import time
from collections import Counter

log = logging.getLogger("vmnet.boundary")

ETH_HEADER = 14
ETH_IP, ETH_ARP, ETH_VLAN = 0x0800, 0x0806, 0x8100
TCP, UDP, ICMP = 6, 17, 1
DHCP_PORTS = (67, 68)
BOOTP_FIXED = 236  # op .. file, before the magic cookie
DHCP_MAGIC = b"\x63\x82\x53\x63"
# DHCP options whose value has one valid length: message type, mask, router, requested
# address, lease time, server id.
DHCP_OPTION_LENGTH = {53: 1, 1: 4, 50: 4, 51: 4, 54: 4}
LOG_EVERY = 10.0  # seconds between two log lines about one reason


class Malformed(ValueError):
    """Why a frame may not go further."""


def _need(frame, end, what):
    if len(frame) < end:
        raise Malformed("truncated %s" % what)


def check_tcp_options(frame, start, end):
    """Walk the options: every option but EOL/NOP has a length of at least 2 that fits.
    All the way to the header's end, past an end-of-options too: parsers keep going."""
    at = start
    while at < end:
        kind = frame[at]
        if kind in (0, 1):  # end of options, no-operation: one byte
            at += 1
            continue
        if at + 1 >= end:
            raise Malformed("TCP option without a length")
        length = frame[at + 1]
        if length < 2 or at + length > end:
            raise Malformed("TCP option of length %d" % length)
        at += length


def check_dhcp(frame, start, end):
    _need(frame, start + BOOTP_FIXED + 4, "DHCP message")
    htype, hlen = frame[start + 1], frame[start + 2]
    if htype != 1 or hlen != 6:
        raise Malformed("DHCP hardware type/length %d/%d (Ethernet is 1/6)" % (htype, hlen))
    if frame[start + BOOTP_FIXED:start + BOOTP_FIXED + 4] != DHCP_MAGIC:
        raise Malformed("DHCP without its magic cookie")
    for field_start, size in ((44, 64), (108, 128)):  # server name, boot file: text
        text = frame[start + field_start:start + field_start + size]
        if any(b > 0x7E for b in text):
            raise Malformed("DHCP server or file name not ASCII")
    at = start + BOOTP_FIXED + 4
    seen_type = False
    while at < end:
        tag = frame[at]
        if tag == 255:
            break
        if tag == 0:
            at += 1
            continue
        if at + 1 >= end:
            raise Malformed("DHCP option without a length")
        length = frame[at + 1]
        if at + 2 + length > end:
            raise Malformed("DHCP option %d longer than the message" % tag)
        if tag in DHCP_OPTION_LENGTH and length != DHCP_OPTION_LENGTH[tag]:
            raise Malformed("DHCP option %d of length %d" % (tag, length))
        seen_type = seen_type or tag == 53
        at += 2 + length
    if not seen_type:
        raise Malformed("DHCP without a message type")


def check_ipv4(frame):
    """Returns 'fragment' for a fragment (a core decides), None for a whole packet."""
    start = ETH_HEADER
    _need(frame, start + 20, "IPv4 header")
    version, ihl = frame[start] >> 4, (frame[start] & 0x0F) * 4
    if version != 4 or ihl < 20:
        raise Malformed("IPv4 version %d, header length %d" % (version, ihl))
    total = struct.unpack_from("!H", frame, start + 2)[0]
    _need(frame, start + ihl, "IPv4 options")
    if total < ihl or start + total > len(frame):
        raise Malformed("IPv4 total length %d" % total)
    end = start + total  # what follows is Ethernet padding
    flags_offset = struct.unpack_from("!H", frame, start + 6)[0]
    if flags_offset & 0x3FFF:  # more fragments, or an offset: ports are not all here
        return "fragment"
    proto, l4 = frame[start + 9], start + ihl
    if proto == TCP:
        _need(frame, l4 + 20, "TCP header")
        offset = (frame[l4 + 12] >> 4) * 4
        if offset < 20 or l4 + offset > end:
            raise Malformed("TCP data offset %d" % offset)
        check_tcp_options(frame, l4 + 20, l4 + offset)
    elif proto == UDP:
        if l4 + 8 > end:
            raise Malformed("truncated UDP header")
        length = struct.unpack_from("!H", frame, l4 + 4)[0]
        if length < 8 or l4 + length > end:
            raise Malformed("UDP length %d" % length)
        src, dst = struct.unpack_from("!HH", frame, l4)
        if src in DHCP_PORTS and dst in DHCP_PORTS:
            check_dhcp(frame, l4 + 8, l4 + length)
    elif proto == ICMP:
        if l4 + 8 > end:
            raise Malformed("truncated ICMP header")
    return None


def check_arp(frame):
    _need(frame, ETH_HEADER + 28, "ARP")
    htype, ptype, hlen, plen = struct.unpack_from("!HHBB", frame, ETH_HEADER)
    if (htype, ptype, hlen, plen) != (1, ETH_IP, 6, 4):
        raise Malformed("ARP not for Ethernet and IPv4")


def inspect(frame, deep=True):
    """None for a frame the cores may parse; 'fragment' for an IPv4 fragment; raises
    Malformed saying what is wrong. `deep`: check the headers past Ethernet too (for cores
    that parse them; a learning switch reads only the addresses)."""
    _need(frame, ETH_HEADER, "Ethernet header")
    if not deep:
        return None
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    if ethertype == ETH_IP:
        return check_ipv4(frame)
    if ethertype == ETH_ARP:
        check_arp(frame)
        return None
    if ethertype == ETH_VLAN:
        raise Malformed("VLAN-tagged frame (the lab's links carry none)")
    return None


MAX_REASONS = 100  # the table of reasons is bounded too


class Drops:
    """Dropped frames counted by reason; logged at most once per reason per LOG_EVERY s.
    Numbers in a reason become N, so that reasons are kinds, not one per frame."""

    def __init__(self, name="", clock=time.monotonic):
        self.name = name
        self.clock = clock
        self.counts = Counter()
        self.logged = {}  # reason -> (when, count then)

    def drop(self, reason):
        reason = re.sub(r"\b\d+\b", "N", reason)
        if reason not in self.counts and len(self.counts) >= MAX_REASONS:
            reason = "other reasons"
        self.counts[reason] += 1
        now = self.clock()
        when, then = self.logged.get(reason, (None, 0))
        if when is None or now - when >= LOG_EVERY:
            log.warning("%s: dropped %d frame(s): %s", self.name, self.counts[reason] - then,
                        reason)
            self.logged[reason] = (now, self.counts[reason])


def handle(core, in_port, frame, now, drops, deep=True):
    """Hand one frame to a core; return its rules. Never raises: a malformed frame or a
    failing core costs that frame only."""
    try:
        kind = inspect(frame, deep)
    except Malformed as e:
        drops.drop(str(e))
        return []
    try:
        if kind == "fragment":
            return core.fragment(in_port, frame, now)
        return core.packet_in(in_port, frame, now)
    except Exception as e:  # noqa: BLE001 - the boundary: nothing a guest sends may escape
        where = e.__traceback__
        while where.tb_next:
            where = where.tb_next
        drops.drop("%s in %s.packet_in (%s:%d)" % (
            type(e).__name__, type(core).__name__, where.tb_frame.f_code.co_filename,
            where.tb_lineno))
        return []
