"""DNS queries per second (dnsperf, made for the job) from a VM through its mode's path to
the name server its DHCP lease gave it, next to pc1 asking r1 straight from the LAN in the
same lab: what the path costs a name. The query is www.example.test's A record, which r1
caches after the first: the figure is the path's and r1's, not inet's.
"""

import os
import re

from plan.addressing import R1_LAN_IP
from plan.names import WWW
from topos.contract.name_check import name_servers
from topos.modes.registry import topology
from topos.run.lab import Lab

# plain NAT's name server at 10.0.2.3, answering each of VirtualBox's three ways
PLAIN_NAT = (("pass", ()), ("natdnsproxy", ("natdnsproxy=on",)),
             ("natdnshostresolver", ("natdnshostresolver=on",)))


def queries_per_second(node, server, seconds, rundir):
    """{qps, lost} from dnsperf in `node` asking `server` (one client: one socket, so one
    NAT mapping) for `seconds`."""
    path = os.path.join(rundir, "dnsperf-queries.txt")
    with open(path, "w") as f:
        f.write("%s A\n" % WWW)
    out = node.cmd("dnsperf -s %s -d %s -l %d -c 1 -q 20 2>&1" % (server, path, seconds))
    qps = re.search(r"Queries per second:\s+([\d.]+)", out)
    lost = re.search(r"Queries lost:\s+(\d+)", out)
    if not qps:
        return {"qps": None, "lost": None, "note": out.strip().splitlines()[-1:] or ["no output"]}
    return {"qps": float(qps.group(1)), "lost": int(lost.group(1)) if lost else None}


def rows(lab, label, seconds, vm="vm1"):
    """The VM's path to its own name server, and pc1's straight to r1, in one lab."""
    result = []
    servers = name_servers(lab.get(vm))
    if servers:
        figures = queries_per_second(lab.get(vm), servers[0], seconds, lab.rundir)
        result.append(dict(label=label, path="%s -> %s" % (vm, servers[0]), **figures))
    else:
        result.append(dict(label=label, path="%s (no name server offered)" % vm, qps=None,
                           lost=None))
    figures = queries_per_second(lab.get("pc1"), R1_LAN_IP, seconds, lab.rundir)
    result.append(dict(label=label, path="pc1 -> %s (r1, from the LAN)" % R1_LAN_IP,
                       **figures))
    return result


def plain_nat(seconds, say, keep=False):
    """The plain NAT's name server at 10.0.2.3, each way it answers."""
    result = []
    for name, params in PLAIN_NAT:
        say("nat,per_vm=yes %s: DNS" % name)
        with Lab(topology("nat", "per_vm=yes", "vms=1", "vms2=1", *params), keep=keep) as lab:
            result += rows(lab, "nat-per-vm-%s" % name, seconds)
    return result


def format_rows(found):
    lines = ["%-30s %-36s %9s %6s" % ("DNS: lab", "path", "queries/s", "lost")]
    for r in found:
        lines.append("%-30s %-36s %9s %6s" % (
            r["label"], r["path"], "-" if r["qps"] is None else "%.0f" % r["qps"],
            "-" if r["lost"] is None else r["lost"]))
    return "\n".join(lines)
