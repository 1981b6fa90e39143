"""Complete the TCP/UDP checksums of a frame the switch handed to the controller.

With checksum offload on the lab's veth links, a host's kernel leaves the TCP/UDP
checksum unfinished (only the pseudo-header sum) for the NIC to complete. Open
vSwitch's userspace datapath completes it when it forwards a frame itself, but
not in a packet-in, so a frame we send back with a packet-out would arrive with a
bad checksum and be dropped: the first SYN of every connection would be lost.
"""

import struct

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
IPV6_HEADER = 40
TCP, UDP = 6, 17
CHECKSUM_AT = {TCP: 16, UDP: 6}  # offset of the checksum inside the L4 header


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def l4_checksum(src, dst, proto, segment):
    if len(src) == 16:  # IPv6's pseudo-header (RFC 8200 §8.1)
        pseudo = src + dst + struct.pack("!I3xB", len(segment), proto)
    else:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(segment))
    return ~ones_complement_sum(pseudo + segment) & 0xFFFF


def complete(frame):
    """`frame` with its IPv4 or IPv6 TCP/UDP checksum computed in full; any frame that is not
    a whole, valid TCP/UDP packet (a bad header, a fragment, a segment cut short, IPv6
    extension headers before it) is returned unchanged: only the checksum's two bytes are
    ever written.

    The checksum covers what the header says the segment is: for UDP its length field (bytes
    after it inside the IP payload are not the datagram's), for TCP the IP payload."""
    if len(frame) >= 14 + IPV6_HEADER and struct.unpack_from("!H", frame, 12)[0] == ETH_IPV6:
        if frame[14] >> 4 != 6:
            return frame
        start = 14 + IPV6_HEADER
        end = start + struct.unpack_from("!H", frame, 18)[0]
        if end > len(frame):
            return frame
        return _completed(frame, frame[20], start, end, frame[22:38], frame[38:54])
    if len(frame) < 34 or struct.unpack_from("!H", frame, 12)[0] != ETH_IPV4:
        return frame
    version, ihl = frame[14] >> 4, (frame[14] & 0x0F) * 4
    total_length = struct.unpack_from("!H", frame, 16)[0]
    proto = frame[23]
    fragment = struct.unpack_from("!H", frame, 20)[0] & 0x3FFF  # MF flag or an offset
    if (version != 4 or ihl < 20 or total_length < ihl or proto not in CHECKSUM_AT
            or fragment or total_length > len(frame) - 14):
        return frame
    return _completed(frame, proto, 14 + ihl, 14 + total_length, frame[26:30], frame[30:34])


def _completed(frame, proto, start, end, src, dst):
    """`frame` whose segment of `proto` lies in [start, end), its checksum computed."""
    if proto not in CHECKSUM_AT:
        return frame
    at = start + CHECKSUM_AT[proto]
    if end < at + 2 or (proto == UDP and frame[at:at + 2] == b"\0\0"):
        return frame  # truncated, or a UDP datagram sent without a checksum
    if proto == UDP:
        length = struct.unpack_from("!H", frame, start + 4)[0]
        if length < 8 or start + length > end:
            return frame  # a length that lies: not ours to mend
        end = start + length
    segment = bytearray(frame[start:end])
    segment[at - start:at - start + 2] = b"\0\0"
    value = l4_checksum(src, dst, proto, bytes(segment))
    if proto == UDP and value == 0:
        value = 0xFFFF
    out = bytearray(frame)
    struct.pack_into("!H", out, at, value)
    return bytes(out)
