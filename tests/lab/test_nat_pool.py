"""NAT mode with a tiny port pool and short timeouts: expiry, reuse, exhaustion.

Each test builds its own lab (the module-wide NAT lab must be gone: one controller port).
"""

import json
import subprocess

from labkit import build, stop_and_check
from leftovers import root_state

from topos.contract import probe
from topos.modes.nat import Nat
from topos.run.poll import until
from topos.tools.mn_cli import natmap_rows


def test_idle_mappings_expire_and_free_their_ports(tmp_path):
    before = root_state()
    lab = build(Nat(idle=2, ports="61000-61001"), tmp_path)
    try:
        for vm in ("vm1", "vm2"):
            assert probe.udp(lab.get(vm), lab.ip("pc1")).ok
        # both ports are in use now: a third inside endpoint gets none
        assert not probe.udp(lab.get("vm1"), "203.0.113.10").ok
        until(lambda: not [r for r in natmap_rows(lab) if r["proto"] == "udp"], 20,
              "the UDP mappings to expire")
        # and the freed ports are handed out again
        assert probe.udp(lab.get("vm1"), "203.0.113.10").ok
        rows = until(lambda: [r for r in natmap_rows(lab) if r["proto"] == "udp"], 5,
                     "the new mapping in natmap")
        assert {r["outside_port"] for r in rows} <= {61000, 61001} and len(rows) == 1
    finally:
        stop_and_check(lab, before)


def test_exhausted_pool_refuses_new_connections_and_keeps_established(tmp_path):
    before = root_state()
    lab = build(Nat(ports="61000-61001"), tmp_path)
    try:
        vm1, vm2, pc1 = lab.get("vm1", "vm2", "pc1")
        server = pc1.popen(["iperf3", "-s", "-1"])
        until(lambda: pc1.listens(5201), 5, "iperf3 to listen")
        # iperf3's control and data connections take both outside ports for 4 s
        client = vm1.popen(["iperf3", "-J", "-t", "4", "-b", "100M", "-c", lab.ip("pc1")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        until(lambda: len([r for r in natmap_rows(lab) if r["proto"] == "tcp"
                           and not r["forward"]]) == 2, 5, "iperf3's two connections")
        refused = probe.tcp(vm2, lab.ip("pc1"))
        out, _ = client.communicate(timeout=30)
        server.wait(10)
        assert not refused.ok and "Connection refused" in refused.detail  # at once, cleanly
        assert "no tcp port left" in open("%s/controller.log" % lab.rundir).read()
        intervals = json.loads(out)["intervals"]
        assert len(intervals) >= 4 and intervals[-1]["sum"]["bytes"] > 0  # carried on to the end
    finally:
        stop_and_check(lab, before)


STREAMER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7020))
_, peer = s.recvfrom(64)
for i in range(50):  # 5 s of replies to one request: longer than the NAT's idle timeout
    s.sendto(b"%d" % i, peer)
    time.sleep(0.1)
"""
LISTENER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"go", (sys.argv[1], 7020))
got = 0
try:
    while True:
        s.recv(64)
        got += 1
except socket.timeout:
    print(got)
"""


def test_a_one_way_stream_outlives_the_idle_timeout(tmp_path):
    before = root_state()
    lab = build(Nat(idle=2), tmp_path)
    try:
        pc1, vm1 = lab.get("pc1", "vm1")
        streamer = pc1.popen(["python3", "-c", STREAMER, lab.ip("pc1")])
        until(lambda: pc1.listens(7020, "udp"), 5, "the streamer")
        listener = vm1.popen(["python3", "-c", LISTENER, lab.ip("pc1")],
                             stdout=subprocess.PIPE)
        out, _ = listener.communicate(timeout=20)
        streamer.wait(10)
        # the VM spoke once; its outward flow expired after 2 s, the replies kept coming
        assert int(out) == 50
    finally:
        stop_and_check(lab, before)
