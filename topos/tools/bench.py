"""Figures for each mode's main paths, each next to baselines measured in the same run.

Baselines (two namespaces, no controller): a bare veth pair (the physical limit here),
a Linux bridge, and a kernel NAT router (iptables masquerade) in place of the virtual
router. Every throughput is also given as a ratio to the veth pair.
"""

import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Optional

from mininet.topo import Topo

from topos.agents import PYTHON, agent
from topos.contract import ipv6_plan
from topos.modes.mode import IPERF_PORT
from topos.modes.registry import MODES, topology
from topos.run import links
from topos.run.controller_node import VmnetController
from topos.run.errors import LabError
from topos.run.inventory import Inventory
from topos.run.lab import Lab, RecordedMininet
from topos.run.links import host_link
from topos.run.nodes import LabNode
from topos.run.poll import until
from topos.run.preflight import preflight
from topos.run.switch import VmnetSwitch
from topos.tools import dns_bench

RTT_PORT = 7010
CONN_PORT = 7011
# Connections a rate run may open. Below the conntrack engine's slice of outside ports for
# vm1 (11,384 in the bench's lab): OVS 3.1 frees a closed connection's port only when its
# conntrack sweeper passes, every 20 s, so a longer run measures the port supply instead.
CONN_BUDGET = 8000
UDP_RATE = "1G"

@dataclass
class Figures:
    tcp_gbps: Optional[float] = None
    rtt_ms: Optional[float] = None
    first_rtt_ms: Optional[float] = None
    udp_loss: Optional[float] = None
    conn_per_s: Optional[float] = None
    conn_failed: Optional[int] = None


def run_json(node, argv, timeout):
    proc = node.popen(argv)
    out, err = proc.communicate(timeout=timeout)
    try:
        return json.loads(out)
    except ValueError:
        raise LabError("%s in %s gave no result: %s" % (
            argv[0], node.name, (out + err).decode(errors="replace")[-300:])) from None


def iperf(client, server, ip, seconds, port=IPERF_PORT, udp=False):
    """TCP Gbit/s, or for udp=True the fraction of datagrams lost at UDP_RATE."""
    proc = server.popen(["iperf3", "-s", "-1", "-p", str(port)])
    try:
        until(lambda: server.listens(port), 5, "iperf3 to listen in %s" % server.name)
        argv = ["iperf3", "-J", "-c", ip, "-p", str(port), "-t", str(seconds)]
        if udp:
            argv += ["-u", "-b", UDP_RATE]
        result = run_json(client, argv, timeout=seconds + 30)
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait()
    if "error" in result:
        raise LabError("iperf3 %s -> %s: %s" % (client.name, ip, result["error"]))
    if udp:
        return result["end"]["sum"]["lost_percent"] / 100
    return result["end"]["sum_received"]["bits_per_second"] / 1e9


def server_ip(server, target):
    """The address the server listens on: the target, unless a NAT forwards to it."""
    own = server.cmd("ip -4 -o addr show scope global | awk '{print $4}'").split()
    addresses = [a.split("/")[0] for a in own]
    return target if target in addresses else (addresses[0] if addresses else target)


def rtts(client, server, ip, count=20):
    """(first-packet RTT of a new flow, steady RTT) in ms: UDP, medians of `count` each."""
    proc = server.popen([PYTHON, agent("udp_echo"), str(RTT_PORT), server_ip(server, ip)])
    try:
        until(lambda: ":%d " % RTT_PORT in server.cmd("ss -Hlun sport = :%d" % RTT_PORT), 5,
              "the RTT server in %s" % server.name)
        times = run_json(client, [PYTHON, agent("rtt_client"), ip, str(RTT_PORT), str(count)],
                         timeout=count * 2 + 10)
    finally:
        proc.terminate()
        proc.wait()
    if "error" in times:
        raise LabError("UDP round trips %s -> %s: %s" % (client.name, ip, times["error"]))
    return times["first"], times["steady"]


def connection_rate(client, server, ip, seconds):
    """New TCP connections per second (connect, then close) over `seconds` or CONN_BUDGET
    connections, whichever ends first, and how many failed."""
    proc = server.popen([PYTHON, agent("accept_server"), str(CONN_PORT), server_ip(server, ip)])
    try:
        until(lambda: server.listens(CONN_PORT), 5, "the connection server")
        result = run_json(client, [PYTHON, agent("connect_client"), ip, str(CONN_PORT),
                                   str(seconds), str(CONN_BUDGET)], timeout=seconds + 30)
    finally:
        proc.terminate()
        proc.wait()
    return result["ok"] / result["seconds"], result["failed"]


def measure(client, server, ip, seconds, tcp_port=IPERF_PORT, udp=True):
    f = Figures()
    f.tcp_gbps = iperf(client, server, ip, seconds, tcp_port)
    if udp:
        f.first_rtt_ms, f.rtt_ms = rtts(client, server, ip)
        f.udp_loss = iperf(client, server, ip, seconds, tcp_port, udp=True)
    return f


# --- baselines: two namespaces, joined three ways ---
class Baseline(Topo):
    """a -- b by a veth pair; through one lab switch; through a Linux bridge (in a namespace
    of its own); or through a kernel NAT router."""

    def build(self, kind="veth"):
        def host(name, cidr, gw=None, **params):
            return self.addHost(name, cls=LabNode, ip=None, addresses={"eth0": cidr},
                                gateway=gw, echo=False, **params)

        if kind == "veth":
            host("bench-a", "10.99.0.1/24")
            host("bench-b", "10.99.0.2/24")
            self.addLink("bench-a", "bench-b", intfName1="eth0", intfName2="eth0")
        elif kind == "lab_switch":  # one of the lab's switches, with the controller's flows
            host("bench-a", "10.99.0.1/24")
            host("bench-b", "10.99.0.2/24")
            self.addSwitch("bench-s", cls=VmnetSwitch, dpid="%016x" % 0xBE)
            for name in ("bench-a", "bench-b"):
                self.addLink(name, "bench-s", cls=host_link(), intfName1="eth0",
                             intfName2="%s-eth0" % name)
        elif kind == "linux_bridge":
            host("bench-a", "10.99.0.1/24")
            host("bench-b", "10.99.0.2/24")
            self.addHost("bench-br", cls=LabNode, ip=None, echo=False)
            for n, name in enumerate(("bench-a", "bench-b")):
                self.addLink(name, "bench-br", intfName1="eth0", intfName2="eth%d" % n)
        else:  # kernel_nat
            host("bench-a", "10.99.1.2/24", gw="10.99.1.1")
            host("bench-b", "10.99.2.2/24")
            self.addHost("bench-r", cls=LabNode, ip=None, echo=False, forwarding=True,
                         masquerade="eth1",
                         addresses={"eth0": "10.99.1.1/24", "eth1": "10.99.2.1/24"})
            self.addLink("bench-a", "bench-r", intfName1="eth0", intfName2="eth0")
            self.addLink("bench-b", "bench-r", intfName1="eth0", intfName2="eth1")


def baseline(kind, seconds):
    rundir = tempfile.mkdtemp(prefix="vmnetlab-bench-")
    inventory = Inventory(rundir)  # what `vmnet clean` undoes if the bench is killed
    net = RecordedMininet(topo=Baseline(kind=kind), controller=None, waitConnected=False,
                          inventory=inventory)
    try:
        if kind == "lab_switch":
            net.addController("c0", VmnetController, rundir=rundir)
        net.start()
        links.attach(net)
        if kind == "lab_switch":
            until(lambda: all(s.connected() for s in net.switches), 20, "the switch to connect")
        if kind == "linux_bridge":
            br = net.get("bench-br")
            br.check("ip link add name br0 type bridge && ip link set br0 up")
            for intf in ("eth0", "eth1"):
                br.check("ip link set %s master br0" % intf)
        a, b = net.get("bench-a", "bench-b")
        ip = b.addresses["eth0"].split("/")[0]
        a.cmd("ping -c1 -W2 %s" % ip)
        f = measure(a, b, ip, seconds)
        if kind == "kernel_nat":  # last, as in a lab (bench_mode)
            f.conn_per_s, f.conn_failed = connection_rate(a, b, ip, max(seconds, 5))
        return f
    finally:
        for host in net.hosts:
            host.stop_processes()
        net.stop()
        inventory.close()
        shutil.rmtree(rundir, ignore_errors=True)  # figures only: nothing to keep


BASELINES = ("veth", "lab_switch", "linux_bridge", "kernel_nat")


def bench_mode(mode, variant, seconds, say, keep=False):
    """Each of the mode's paths (topos.modes.mode.BenchPath), in a lab built with the
    mode's bench parameters and `variant` (e.g. engine=conntrack)."""
    topo = topology(mode.name, *(mode.bench_params + variant))
    start = time.monotonic()
    lab = Lab(topo, keep=keep)
    rows = []
    label = "%s (%s)" % (mode.name, ", ".join(variant)) if variant else mode.name
    tags = dict(p.split("=", 1) for p in variant)  # in each row: {"engine": "conntrack"}
    with lab:
        ready = time.monotonic() - start
        say("%s: ready in %.1f s" % (label, ready))
        for path in mode.bench_paths:
            say("%s: %s" % (label, path.name))
            # a port forward's target answers echo requests on the port iperf3 needs
            lab.get(path.server).free_port("tcp", path.port, lab.rundir)
            f = measure(lab.get(path.client), lab.get(path.server), target_of(lab, path),
                        seconds, path.port, udp=path.udp)
            rows.append(dict(mode=mode.name, path=path.name, **asdict(f), **tags))
        # Connection runs last: one leaves thousands of sessions (flows, tracker entries)
        # behind, which would weigh on every figure measured after it.
        for row, path in zip(rows, mode.bench_paths):
            if path.connections:
                say("%s: %s, new connections" % (label, path.name))
                row["conn_per_s"], row["conn_failed"] = connection_rate(
                    lab.get(path.client), lab.get(path.server), lab.ip(*path.target),
                    max(seconds, 5))
        say("%s: DNS" % label)
        names = dns_bench.rows(lab, label, max(1, seconds // 2))
    return ready, rows, names


def target_of(lab, path):
    """The address a path aims at: the target's IPv4 address, or its global IPv6 one."""
    if path.family == 6:
        address = ipv6_plan.global_address(lab, *path.target)
        if address is None:
            raise LabError("%s: %s has no global IPv6 address" % (path.name, path.target[0]))
        return address
    return lab.ip(*path.target)


def bench(modes, seconds=4, say=print, keep=False):
    """{'baselines': {...}, 'paths': [...], 'ready_s': {...}} with ratios to the veth pair."""
    preflight([VmnetController])
    report = {"baselines": {}, "paths": [], "ready_s": {}, "dns": []}
    for kind in BASELINES:
        say("baseline: %s" % kind)
        report["baselines"][kind] = asdict(baseline(kind, seconds))
    veth = report["baselines"]["veth"]["tcp_gbps"]
    for figures in report["baselines"].values():
        figures["ratio_veth"] = figures["tcp_gbps"] / veth
    for name in modes:
        mode = MODES[name]
        for n, variant in enumerate(mode.bench_variants):
            ready, rows, names = bench_mode(mode, variant, seconds, say, keep)
            # the first variant is the mode's default (engine=openflow): it goes by the
            # mode's name, the others by their values (nat-conntrack)
            label = "-".join([name] + [p.split("=", 1)[1] for p in variant] * (n > 0))
            report["dns"] += [dict(r, label=label) for r in names]
            report["ready_s"][label] = round(ready, 2)
            for row in rows:
                row["label"] = label
                row["ratio_veth"] = row["tcp_gbps"] / veth
            report["paths"] += rows
    if "nat" in modes:  # the plain NAT's own name server, each of its three ways
        report["dns"] += dns_bench.plain_nat(max(1, seconds // 2), say, keep)
    return report


def format_report(report):
    def num(v, fmt):
        return "-" if v is None else fmt % v

    head = "%-13s %-20s %9s %6s %8s %9s %8s %9s" % (
        "mode", "path", "TCP Gb/s", "ratio", "RTT ms", "1st RTT", "UDP loss", "conn/s")
    lines = [head]

    def row(mode, path, f):
        lines.append("%-13s %-20s %9s %6s %8s %9s %8s %9s" % (
            mode, path, num(f["tcp_gbps"], "%.2f"), num(f.get("ratio_veth"), "%.2f"),
            num(f["rtt_ms"], "%.3f"), num(f["first_rtt_ms"], "%.2f"),
            num(None if f["udp_loss"] is None else 100 * f["udp_loss"], "%.2f%%"),
            num(f["conn_per_s"], "%.0f")))

    for kind, f in report["baselines"].items():
        row("baseline", kind, f)
    for f in report["paths"]:
        row(f.get("label", f["mode"]), f["path"], f)
    for mode, seconds in report["ready_s"].items():
        lines.append("%s lab ready (every lease done) in %.1f s" % (mode, seconds))
    if report.get("dns"):
        lines += ["", dns_bench.format_rows(report["dns"])]
    return "\n".join(lines)
