"""One exchange, seen at every interface it crosses: who rewrites which header, where.

Every node's interfaces are captured at once (tcpdump in each namespace), the
exchange is sent, and the packets are put in time order: the request up to the
destination, then the reply. A field that differs from the previous hop of the
same direction is marked with '*'.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from topos.contract.probe import PROBES, TCP_PORT, UDP_PORT
from topos.run.capture import Capture
from topos.tools import pcapng

# IPv6's: an echo is ICMPv6 type 128/129, and a TCP header's flags are read at its fixed
# place after the IPv6 header (libpcap's tcp[] is IPv4's only)
FILTERS = {
    "icmp": "icmp[icmptype] = icmp-echo or icmp[icmptype] = icmp-echoreply or "
            "(icmp6 and (ip6[40] = 128 or ip6[40] = 129))",
    "tcp": "(ip and tcp[tcpflags] & tcp-syn != 0) or (ip6 and tcp and ip6[53] & 2 != 0)",
    "udp": "udp and not port 67 and not port 68",
    "dns": "port 53",  # queries and answers, over UDP and TCP, at every server on the way
}
DNS_PORT = 53
DEFAULT_PORT = {"tcp": TCP_PORT, "udp": UDP_PORT}


@dataclass(frozen=True)
class Hop:
    where: str  # node:interface
    seen: object  # capture.Seen


def endpoints(seen):
    def end(ip, port):
        if port is None:
            return ip
        return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)  # IPv6's in brackets

    return (seen.src_mac, seen.dst_mac, end(seen.src_ip, seen.src_port),
            end(seen.dst_ip, seen.dst_port))


def interfaces(lab):
    return [(n, i.name) for n in lab.hosts for i in n.intfList() if i.name != "lo"]


def trace(lab, src, dst_ip, proto="icmp", port=None, write=None):
    """(request hops, reply hops, the probe's result) for one exchange src -> dst_ip (for
    dns, a name `src` looks up with its own resolver: each query on the way is the request,
    each answer the reply); `write`: also save every hop's packets in one pcapng file."""
    port = port or DEFAULT_PORT.get(proto)
    places = interfaces(lab)

    def pcap(place):
        return os.path.join(lab.rundir, "trace-%s-%s.pcap" % (place[0].name, place[1]))

    with ThreadPoolExecutor(len(places)) as pool:
        captures = list(pool.map(lambda p: Capture(p[0], p[1], FILTERS[proto], count=0,
                                                   save=pcap(p) if write else None), places))
    try:
        args = (lab.get(src), dst_ip) + ((port,) if port else ())
        result = PROBES[proto](*args)
    finally:
        seen = [c.all(quiet=0.3) for c in captures]
    if write:
        pcapng.write(write, [("%s:%s" % (n.name, i), pcap((n, i))) for n, i in places
                             if os.path.exists(pcap((n, i)))])
    hops = sorted((Hop("%s:%s" % (n.name, i), s) for (n, i), ss in zip(places, seen) for s in ss),
                  key=lambda h: float(h.seen.time))
    # the reply starts with the first packet leaving the destination (for dns: an answer)
    turn = next((k for k, h in enumerate(hops) if (
        h.seen.src_port == DNS_PORT if proto == "dns" else h.seen.src_ip == dst_ip)), len(hops))
    return hops[:turn], hops[turn:], result


def format_hops(title, hops):
    lines = [title, "  %-3s %-15s %-19s %-19s %-22s %s" % (
        "hop", "interface", "src MAC", "dst MAC", "src", "dst")]
    before = None
    for n, hop in enumerate(hops, start=1):
        now = endpoints(hop.seen)
        cells = [("*" if before and a != b else " ") + a
                 for a, b in zip(now, before or now)]
        lines.append("  %-3d %-15s %-19s %-19s %-22s %s" % ((n, hop.where) + tuple(cells)))
        before = now
    if not hops:
        lines.append("  (nothing seen)")
    return "\n".join(lines)


def format_trace(src, dst, proto, request, reply, result):
    head = "%s -> %s (%s): %s" % (src, dst, proto, "answered" if result.ok else "no answer")
    return "\n".join([head, format_hops("request", request), format_hops("reply", reply),
                      "* = changed since the previous hop"])
