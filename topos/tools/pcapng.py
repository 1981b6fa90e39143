"""Several captures in one pcapng file (as Wireshark and tcpdump read it): one interface
block per capture, named after the place it was taken (node:interface), its packets in time
order. Reads classic pcap files (what `tcpdump -w` writes); pure Python."""

import struct

SHB, IDB, EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_END, OPT_IF_NAME = 0, 2
PCAP_MAGIC = {b"\xd4\xc3\xb2\xa1": ("<", 6), b"\xa1\xb2\xc3\xd4": (">", 6),  # microseconds
              b"\x4d\x3c\xb2\xa1": ("<", 9), b"\xa1\xb2\x3c\x4d": (">", 9)}  # nanoseconds


def read_pcap(path):
    """(link type, [(timestamp in ns, original length, data)]) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:4] not in PCAP_MAGIC:
        raise ValueError("%s is not a pcap file" % path)
    order, digits = PCAP_MAGIC[data[:4]]
    linktype = struct.unpack_from(order + "I", data, 20)[0]
    packets, at = [], 24
    while at + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack_from(order + "IIII", data, at)
        at += 16
        body = data[at:at + caplen]
        at += caplen
        if len(body) < caplen:
            break  # cut short: the capture was stopped mid-write
        packets.append((sec * 10**9 + frac * 10 ** (9 - digits), length, body))
    return linktype, packets


def _padded(data):
    return data + b"\0" * (-len(data) % 4)


def _block(kind, body):
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def _option(code, value):
    return struct.pack("<HH", code, len(value)) + _padded(value)


def write(path, captures):
    """captures: [(name, pcap path)]. Packets keep microsecond time stamps (the default)."""
    blocks = [_block(SHB, struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1))]
    packets = []
    for index, (name, pcap) in enumerate(captures):
        linktype, found = read_pcap(pcap)
        options = _option(OPT_IF_NAME, name.encode()) + _option(OPT_END, b"")
        blocks.append(_block(IDB, struct.pack("<HHI", linktype, 0, 0) + options))
        packets += [(ns, index, length, body) for ns, length, body in found]
    for ns, index, length, body in sorted(packets, key=lambda p: p[0]):
        us = ns // 1000
        blocks.append(_block(EPB, struct.pack("<IIIII", index, us >> 32, us & 0xFFFFFFFF,
                                              len(body), length) + _padded(body)))
    with open(path, "wb") as f:
        f.write(b"".join(blocks))
    return len(packets)
