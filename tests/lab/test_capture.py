"""Pcap or it didn't happen: a trace saved as one pcapng file, and captures while you work."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMNET = [sys.executable, "-m", "topos.tools.cli"]


def read_back(path):
    return subprocess.run(["tcpdump", "-n", "-r", path], capture_output=True, text=True).stdout


def test_a_trace_saves_every_hop_and_tcpdump_shows_the_nat_rewrite(tmp_path):
    out = str(tmp_path / "trace.pcapng")
    result = subprocess.run(VMNET + ["trace", "nat", "vm1", "inet", "--proto", "tcp", "-w", out],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    data = open(out, "rb").read()
    assert data[:4] == b"\x0a\x0d\x0d\x0a"
    for hop in (b"vm1:eth0", b"r1:eth1", b"r1:eth0", b"inet:eth0"):  # one interface per hop
        assert hop in data
    shown = read_back(out)
    assert "10.0.2.4." in shown and "> 203.0.113.10.7001: Flags [S]" in shown
    assert "192.168.1.10.61" in shown and "203.0.113.1.61" in shown  # both NATs rewrote it


def test_capture_records_while_you_work(tmp_path):
    out = str(tmp_path / "vm1.pcap")
    script = "capture vm1 %s 3\nvm1 ping -c2 -i0.2 pc1\nsh sleep 4\nexit\n" % out
    result = subprocess.run(VMNET + ["run", "nat"], input=script, capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "capturing vm1:eth0 into %s for 3 s" % out in result.stdout + result.stderr
    shown = read_back(out)
    assert shown.count("ICMP echo request") == 2 and "10.0.2.4 > 192.168.1.20" in shown
