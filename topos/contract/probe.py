"""Real traffic between the lab's nodes: ping, a TCP exchange and a UDP exchange.

Every node runs echo servers (socat) that answer with the address and port they saw
the request come from - which is how the lab shows what a NAT rewrote.
"""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from topos.agents import PYTHON, agent

TCP_PORT = 7001
UDP_PORT = 7002
PROTOCOLS = ("icmp", "tcp", "udp")
# What the servers answer: the peer they saw, and who they are (no ':' or ',' inside).
REPLY = "SYSTEM:echo from=$SOCAT_PEERADDR port=$SOCAT_PEERPORT by=%s"


@dataclass(frozen=True)
class Result:
    ok: bool
    detail: str


def start_echo_servers(node, rundir, extra=()):
    """TCP and UDP echo servers in `node` that report the peer they saw."""
    log = os.path.join(rundir, "%s-echo.log" % node.name)
    address = {"tcp": "TCP4-LISTEN:%d,fork,reuseaddr", "udp": "UDP4-RECVFROM:%d,fork,reuseaddr"}
    for proto, port in [("tcp", TCP_PORT), ("udp", UDP_PORT)] + list(extra):
        node.echo_servers[(proto, port)] = node.spawn(
            ["socat", address[proto] % port, REPLY % node.name], log)


def listening(node, port=TCP_PORT, proto="tcp"):
    """Does something in `node` listen on this TCP (or UDP) port?"""
    flag = "-Hltn" if proto == "tcp" else "-Hlun"
    return ":%d " % port in node.cmd("ss %s sport = :%d" % (flag, port))


def _run(node, argv, stdin=b"", timeout=10):
    proc = node.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return proc.returncode, out.decode(errors="replace").strip()


def ping(node, ip, timeout=1):
    rc, out = _run(node, ["ping", "-n", "-c1", "-W%d" % timeout, ip])
    line = next((s for s in out.splitlines() if "bytes from" in s), "")
    return Result(rc == 0, line.split(": ", 1)[-1] if line else "no reply")


def tcp(node, ip, port=TCP_PORT, timeout=1):
    target = "TCP4:%s:%d,connect-timeout=%d" % (ip, port, timeout)
    rc, out = _run(node, ["socat", "-t2", "-", target])
    ok = rc == 0 and out.startswith("from=")
    reason = out.splitlines()[-1].rsplit(": ", 1)[-1] if out else "timeout"
    return Result(ok, out if ok else "no answer (%s)" % reason)


def udp(node, ip, port=UDP_PORT, timeout=1):
    rc, out = _run(node, [PYTHON, agent("udp_ask"), ip, str(port), str(timeout)])
    ok = rc == 0 and out.startswith("from=")
    return Result(ok, out if ok else "no answer (%s)" % (out or "timeout"))


PROBES = {"icmp": ping, "tcp": tcp, "udp": udp}


def exchange(node, ip, protocols=PROTOCOLS, ports=None):
    """One exchange per protocol from `node` to `ip`, run side by side: {proto: Result}."""
    ports = ports or {}
    with ThreadPoolExecutor(len(protocols)) as pool:
        futures = {
            p: pool.submit(PROBES[p], node, ip, *([ports[p]] if p in ports else []))
            for p in protocols
        }
        return {p: f.result() for p, f in futures.items()}
