"""The programs the lab runs inside its nodes, run here on loopback (no root, no lab)."""

import json
import socket
import subprocess
import sys
import threading

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


def ask(proto, port, marker="m-1", timeout=2):
    rc, out = run("ask", proto, "127.0.0.1", port, timeout, marker)
    return rc, json.loads(out)


@pytest.fixture
def echo_server():
    """The lab's echo server on a free TCP and UDP port of loopback: (tcp port, udp port)."""
    tcp, udp = free_port(socket.SOCK_STREAM), free_port()
    proc = subprocess.Popen([sys.executable, agent("echo_server"), "pc9", "tcp:%d" % tcp,
                             "udp:%d" % udp])
    until(lambda: socket.socket().connect_ex(("127.0.0.1", tcp)) == 0, 10, "the echo server")
    yield tcp, udp
    proc.kill()
    proc.wait()


def test_the_echo_server_answers_each_line_with_the_peer_and_the_request(echo_server):
    tcp, _ = echo_server
    with socket.create_connection(("127.0.0.1", tcp), timeout=5) as c:
        c.sendall(b"first\nsec")
        c.sendall(b"ond\nlast, unfinished")
        c.shutdown(socket.SHUT_WR)
        answers = c.makefile().read().splitlines()
        peer = "from=127.0.0.1 port=%d by=pc9 echo=" % c.getsockname()[1]
    assert answers == [peer + "first", peer + "second", peer + "last, unfinished"]


def test_a_client_that_sends_nothing_still_learns_who_it_reached(echo_server):
    tcp, _ = echo_server
    with socket.create_connection(("127.0.0.1", tcp), timeout=5) as c:
        c.shutdown(socket.SHUT_WR)
        assert c.makefile().read() == "from=127.0.0.1 port=%d by=pc9 echo=\n" % (
            c.getsockname()[1])


def test_an_exchange_holds_when_its_marker_comes_back(echo_server):
    tcp, udp = echo_server
    for proto, port in (("tcp", tcp), ("udp", udp)):
        rc, outcome = ask(proto, port, "marker-%s" % proto)
        assert rc == 0 and outcome["retries"] == 0
        assert outcome["answer"].startswith("from=127.0.0.1 port=")
        assert outcome["answer"].endswith("by=pc9 echo=marker-%s" % proto)


def test_eight_clients_get_every_answer_while_the_machine_is_busy(echo_server):
    tcp, udp = echo_server
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        for proto, port in (("tcp", tcp), ("udp", udp)):
            rc, out = run("load_client", proto, "127.0.0.1", port, 8, 50)
            counts = json.loads(out)
            assert (counts["answered"], counts["failed"]) == (400, 0), counts
    finally:
        busy.kill()
        busy.wait()


def test_a_closed_connection_without_the_marker_is_no_answer(server):
    port = free_port(socket.SOCK_STREAM)
    server("accept_server", port)  # accepts and closes: an empty answer
    until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10, "the server")
    rc, outcome = ask("tcp", port)
    assert rc == 1 and outcome["answer"] is None
    # closed before the request went out, while it did, or after: the error says which
    # (reset, not connected, broken pipe, closed), and each is no answer
    assert outcome["error"], outcome


def test_a_udp_retry_is_counted_and_shown():
    """A server that drops the first datagram: the retry gets the answer, and says so."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))

    def answer_the_second():
        s.recvfrom(64)
        data, peer = s.recvfrom(64)
        s.sendto(data, peer)

    t = threading.Thread(target=answer_the_second)
    t.start()
    rc, outcome = ask("udp", s.getsockname()[1], "twice", timeout=3)
    t.join()
    s.close()
    assert rc == 0 and outcome == {"answer": "twice", "retries": 1, "first_packet": 1,
                                   "error": ""}


def test_a_udp_question_nobody_answers_fails_after_its_timeout():
    rc, outcome = ask("udp", free_port(), timeout=0.5)
    assert rc == 1 and outcome["answer"] is None


def test_round_trips_are_measured_against_the_udp_echo_server(server):
    port = free_port()
    server("udp_echo", port)
    rc, _ = ask("udp", port, "x", timeout=5)  # waits for the server to come up
    assert rc == 0
    rc, out = run("rtt_client", "127.0.0.1", port, 5)
    times = json.loads(out)
    assert 0 < times["first"] < 100 and 0 < times["steady"] < 100


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
