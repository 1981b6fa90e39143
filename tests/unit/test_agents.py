"""The programs the lab runs inside its nodes, run here on loopback (no root, no lab)."""

import json
import socket
import subprocess
import sys

import pytest

from topos.agents import agent
from topos.run.poll import until


def free_port(kind=socket.SOCK_DGRAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(request):
    procs = []

    def start(name, port):
        proc = subprocess.Popen([sys.executable, agent(name), str(port), "127.0.0.1"])
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def run(name, *args):
    out = subprocess.run([sys.executable, agent(name), *map(str, args)], capture_output=True,
                         text=True, timeout=30)
    return out.returncode, out.stdout.strip()


def test_round_trips_are_measured_against_the_udp_echo_server(server):
    port = free_port()
    server("udp_echo", port)
    rc, out = run("udp_ask", "127.0.0.1", port, 5)  # waits for the server to come up
    assert rc == 0 and out == "hello"
    rc, out = run("rtt_client", "127.0.0.1", port, 5)
    times = json.loads(out)
    assert 0 < times["first"] < 100 and 0 < times["steady"] < 100


def test_a_udp_question_nobody_answers_fails_after_its_timeout():
    rc, out = run("udp_ask", "127.0.0.1", free_port(), 0.5)
    assert rc == 1 and out == ""


def test_new_connections_are_counted(server):
    port = free_port(socket.SOCK_STREAM)
    server("accept_server", port)
    until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10, "the server")
    rc, out = run("connect_client", "127.0.0.1", port, 0.5)
    counts = json.loads(out)
    assert counts["ok"] > 10 and counts["failed"] == 0


def test_a_connection_run_stops_at_its_budget(server):
    port = free_port(socket.SOCK_STREAM)
    server("accept_server", port)
    until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10, "the server")
    rc, out = run("connect_client", "127.0.0.1", port, 30, 200, 4)
    counts = json.loads(out)
    assert counts["ok"] == 200 and counts["failed"] == 0 and counts["seconds"] < 30


def test_refused_connections_are_counted_as_failed():
    rc, out = run("connect_client", "127.0.0.1", free_port(socket.SOCK_STREAM), 30, 50, 2)
    counts = json.loads(out)
    assert counts == dict(counts, ok=0, failed=50)
