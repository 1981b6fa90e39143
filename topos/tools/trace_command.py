"""`vmnet trace MODE SRC DST`: one exchange in a fresh lab, seen at every interface it
crosses (topos.tools.trace does the seeing)."""

import os

from topos.modes.registry import lab_file
from topos.run.errors import LabError


def trace_command(args):
    from topos.modes.registry import topology
    from topos.tools import trace

    args.mode, args.params = lab_file(args.mode, args.params)
    topo = topology(args.mode, *args.params)
    for name in (args.src,) + (() if args.proto == "dns" else (args.dst,)):
        if name not in topo.hosts() and not looks_like_ip(name):
            raise LabError("unknown node %r in mode %s (nodes: %s)" % (
                name, args.mode, ", ".join(sorted(topo.hosts()))))
    if args.src not in topo.hosts():
        raise LabError("the source must be a node, not %r" % args.src)
    from topos.run.lab import Lab

    lab = Lab(topo, keep=args.keep)
    with lab:
        dst_ip = args.dst if looks_like_ip(args.dst) or args.proto == "dns" else lab.ip(
            args.dst)
        write = os.path.abspath(args.write) if args.write else None
        request, reply, result = trace.trace(lab, args.src, dst_ip, args.proto, args.port,
                                             write)
        print(trace.format_trace(args.src, args.dst, args.proto, request, reply, result))
        if write:
            print("every hop's packets: %s (pcapng; tcpdump -r or Wireshark)" % write)
        lab.failed = not result.ok
    return 0 if result.ok else 1


def looks_like_ip(text):
    import ipaddress

    try:
        ipaddress.ip_address(text.split("%")[0])  # IPv6 too (fe80::1%eth0: its link)
        return True
    except ValueError:
        return False
