"""Real traffic between the lab's nodes: ping, a TCP exchange and a UDP exchange.

Every node runs the lab's echo server (topos/agents/echo_server.py), which answers a request
with the address and port it saw the request come from - which is how the lab shows what a
NAT rewrote - and with the request itself. An exchange sends a marker of its own and holds
only when the answer carries it back: an empty answer, or another's, is no answer. Retries
are counted and reported with the result (topos/agents/ask.py says which are allowed).
"""

import itertools
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from topos.agents import PYTHON, agent
from topos.agents.echo_server import TCP_PORT, UDP_PORT

PROTOCOLS = ("icmp", "tcp", "udp")
_exchange_number = itertools.count(1)


@dataclass(frozen=True)
class Result:
    ok: bool
    detail: str
    # requests sent again (UDP) or segments resent (TCP, SYN included) before the answer
    # came: a lost packet the answer hid. An unanswered exchange counts none (its detail
    # says what was tried): when no answer is the contract's, retrying is no loss.
    retries: int = 0
    first_packet: int = 0  # of them, the exchange's first packet's (UDP's one, TCP's SYN)


def _run(node, argv, stdin=b"", timeout=10):
    proc = node.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return proc.returncode, out.decode(errors="replace").strip()


def marker(node):
    """A request no other exchange sends: its answer can't be mistaken for another's."""
    return "%s-%d-%d" % (node.name, os.getpid(), next(_exchange_number))


def ping(node, ip, timeout=1):
    rc, out = _run(node, ["ping", "-n", "-c1", "-W%d" % timeout, ip])
    line = next((s for s in out.splitlines() if "bytes from" in s), "")
    return Result(rc == 0, line.split(": ", 1)[-1] if line else "no reply")


def ask(node, proto, ip, port, timeout=1):
    """One exchange over TCP or UDP with the echo server at ip:port."""
    rc, out = _run(node, [PYTHON, agent("ask"), proto, ip, str(port), str(timeout),
                          marker(node)])
    try:
        outcome = json.loads(out.splitlines()[-1])
    except (ValueError, IndexError):
        return Result(False, "no answer (the client said: %s)" % (out or "nothing"))
    retries, first = outcome["retries"], outcome["first_packet"]
    note = " (%d retried, %d of the first packet)" % (retries, first) if retries else ""
    if outcome["answer"]:
        return Result(True, outcome["answer"] + note, retries, first)
    return Result(False, "no answer (%s)%s" % (outcome["error"], note))


def tcp(node, ip, port=TCP_PORT, timeout=1):
    return ask(node, "tcp", ip, port, timeout)


def udp(node, ip, port=UDP_PORT, timeout=1):
    return ask(node, "udp", ip, port, timeout)


def dns(node, name, timeout=2):
    """One lookup of `name`'s addresses, asked as the node's resolver asks (its own
    resolv.conf's name server; dig falls back to TCP on a truncated answer)."""
    rc, out = _run(node, ["dig", "+tries=1", "+time=%d" % timeout, "+short", name],
                   timeout=timeout * 3 + 2)
    answers = [line for line in out.splitlines() if line and not line.startswith(";")]
    if rc == 0 and answers:
        return Result(True, "%s is %s" % (name, ", ".join(answers)))
    return Result(False, "no answer for %s (%s)" % (name, out.splitlines()[-1] if out else
                                                    "dig said nothing"))


PROBES = {"icmp": ping, "tcp": tcp, "udp": udp, "dns": dns}


def exchange(node, ip, protocols=PROTOCOLS, ports=None):
    """One exchange per protocol from `node` to `ip`, run side by side: {proto: Result}."""
    ports = ports or {}
    with ThreadPoolExecutor(len(protocols)) as pool:
        futures = {
            p: pool.submit(PROBES[p], node, ip, *([ports[p]] if p in ports else []))
            for p in protocols
        }
        return {p: f.result() for p, f in futures.items()}
