"""What `natmap` and `leases` show: the virtual routers' NAT tables (written by the
controller into the run folder) with idle times read off the switches, and every lease."""

import glob
import ipaddress
import json
import os
import re
import time

from controllers.nat_table import session_of
from topos.run import tracker
from topos.run.dhcp import read_lease


def natmap_rows(lab):
    """Every NAT mapping of every virtual router, with its idle time read off the switch;
    then the IPv6 its host PCs send on for their NAT networks (ipv6_rows)."""
    rows = ipv6_rows(lab)
    for path in sorted(glob.glob(os.path.join(lab.rundir, "natmap-*.json"))):
        with open(path) as f:
            state = json.load(f)
        if state.get("engine") == "conntrack":  # the switch's tracker holds the table
            dump = lab.get("vr-%s" % state["router"]).cmd(
                "ovs-appctl dpctl/dump-conntrack zone=%d" % state["zone"])
            rows += [dict(r, router=state["router"]) for r in conntrack_rows(
                dump, state["outside_ip"])]
            continue
        idle = flow_idle_by_cookie(lab.get("vr-%s" % state["router"]).flows())
        for row in state["nat"]:
            row = dict(row, router=state["router"])
            if row["cookie"] in idle:  # a session with flows: the switch knows best
                row["idle_s"] = idle[row["cookie"]]
            elif row["idle_s"] is not None:  # ICMP echo, translated by the controller
                row["idle_s"] = round(time.monotonic() - row["last_used"], 1)
            rows.append(row)
    return rows


ENTRY = re.compile(r"^(\w+),orig=\(([^)]*)\),reply=\(([^)]*)\)")


def conntrack_rows(dump, outside_ip):
    """NAT rows (as natmap shows them) from `ovs-appctl dpctl/dump-conntrack`: a VM's own
    connections (the reply goes to the outside address) and port forwards (the original
    went to it)."""
    rows = []
    for line in dump.splitlines():
        entry = ENTRY.match(line.strip())
        if not entry:
            continue
        proto = entry.group(1)
        orig = dict(kv.split("=", 1) for kv in entry.group(2).split(","))
        reply = dict(kv.split("=", 1) for kv in entry.group(3).split(","))
        port = "id" if proto == "icmp" else "sport"
        if reply.get("dst") == outside_ip and orig.get("src") != outside_ip:
            inside = "%s:%s" % (orig["src"], orig[port])
            outside, remote = int(reply.get("dport", reply.get("id"))), orig["dst"]
            remote += "" if proto == "icmp" else ":" + orig["dport"]
            forward = False
        elif orig.get("dst") == outside_ip:
            inside = "%s:%s" % (reply["src"], reply[port])
            outside, remote = int(orig.get("dport", orig.get("id"))), orig["src"]
            remote += "" if proto == "icmp" else ":" + orig["sport"]
            forward = True
        else:
            continue
        rows.append({"proto": proto, "inside": inside, "outside_port": outside,
                     "remote": remote, "cookie": None, "idle_s": None, "forward": forward})
    return rows


CONNTRACK6 = re.compile(r"^ipv6\s+\d+\s+(\w+)\s+\d+\s+(\d+)\s.*?src=(\S+) dst=(\S+) "
                        r"(?:sport=(\d+) dport=(\d+)|type=\d+ code=\d+ id=(\d+)).*?"
                        r"src=\S+ dst=\S+ (?:sport=\d+ dport=(\d+)|type=\d+ code=\d+ id=(\d+))")


def ipv6_rows(lab):
    """A NAT network's IPv6 leaves as its host PC's own (topos.run.host_sockets): the host's
    own connection tracker holds those translations, read from its /proc/net/nf_conntrack
    (its namespace's). Rows as natmap shows them, the host PC as the router."""
    rows = []
    for node in lab.hosts:
        sockets = getattr(node, "host_sockets", None)
        if not sockets or not sockets.ipv6:
            continue
        prefixes = [ipaddress.ip_network(net.prefix) for net in sockets.ipv6]
        rows += conntrack6_rows(node.cmd("cat /proc/net/nf_conntrack 2>/dev/null"), node.name,
                                prefixes)
    return rows


def conntrack6_rows(text, host, prefixes):
    rows = []
    for line in text.splitlines():
        m = CONNTRACK6.match(line.strip())
        if not m or not any(ipaddress.ip_address(m.group(3)) in p for p in prefixes):
            continue
        proto, timeout = m.group(1), int(m.group(2))
        src, dst = (str(ipaddress.ip_address(a)) for a in (m.group(3), m.group(4)))
        icmp = m.group(7) is not None
        inside = "[%s]:%s" % (src, m.group(7) if icmp else m.group(5))
        remote = dst if icmp else "[%s]:%s" % (dst, m.group(6))
        rows.append({"router": host, "proto": "icmp6" if icmp else proto, "inside": inside,
                     "outside_port": int(m.group(9) if icmp else m.group(8)),
                     "remote": remote, "cookie": None, "idle_s": None, "forward": False,
                     "expires_s": timeout})
    return rows


def flow_idle_by_cookie(dump):
    """{session cookie: seconds since the session last carried a packet} from a flow dump."""
    idle = {}
    for line in dump.splitlines():
        cookie = re.search(r"cookie=0x([0-9a-f]+)", line)
        age = re.search(r"idle_age=(\d+)", line)
        if cookie and int(cookie.group(1), 16):
            key = session_of(int(cookie.group(1), 16))[0]
            seconds = int(age.group(1)) if age else 0
            idle[key] = min(seconds, idle.get(key, seconds))
    return idle


def cap_rows(lab):
    """Each virtual router's caps on NAT sessions, what each counts now and what it refused:
    the controller's table (OpenFlow engine), the tracker's own zone limit (conntrack)."""
    rows = []
    for path in sorted(glob.glob(os.path.join(lab.rundir, "natmap-*.json"))):
        with open(path) as f:
            state = json.load(f)
        if state.get("engine") == "conntrack":
            limit, count = tracker.limits([state["zone"]]).get(state["zone"], (None, None))
            rows.append({"router": state["router"], "cap": "total (zone %d)" % state["zone"],
                         "limit": limit, "count": count, "refused": None})
            continue
        rows += [dict(cap, router=state["router"]) for cap in state.get("caps", ())]
    return rows


def format_caps(rows):
    lines = ["%-6s %-22s %8s %8s %8s" % ("router", "cap", "limit", "now", "refused")]
    for r in rows:
        lines.append("%-6s %-22s %8s %8s %8s" % (r["router"], r["cap"], *(
            "-" if r[k] is None else r[k] for k in ("limit", "count", "refused"))))
    return "\n".join(lines)


def format_natmap(rows):
    lines = ["%-6s %-5s %-22s %-8s %-22s %s" % ("router", "proto", "inside", "outside",
                                                "remote", "idle")]
    for r in rows:
        outside = "%d%s" % (r["outside_port"], " pf" if r["forward"] else "")
        idle = "-" if r["idle_s"] is None else "%ss" % r["idle_s"]
        lines.append("%-6s %-5s %-22s %-8s %-22s %s" % (r["router"], r["proto"], r["inside"],
                                                       outside, r["remote"] or "-", idle))
    return "\n".join(lines)


def lease_rows(lab):
    """Every DHCP lease in the lab: (server, client, interface, address, gateway)."""
    rows = []
    for node in lab.hosts:
        for intf in node.dhcp:
            lease = read_lease(os.path.join(lab.rundir, "leases", "%s.%s" % (node.name, intf)))
            if lease:
                rows.append((lease["server"], node.name, intf, lease["ip"],
                             lease["router"] or "-"))
    return rows
