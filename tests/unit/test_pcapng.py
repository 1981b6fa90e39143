"""Captures merged into one pcapng file that tcpdump reads back, each interface named."""

import shutil
import struct
import subprocess

import pytest

from topos.tools import pcapng

ETHERNET = 1


def pcap(path, packets):
    """A classic pcap file of (seconds, frame) pairs."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, ETHERNET))
        for seconds, frame in packets:
            f.write(struct.pack("<IIII", int(seconds), int(seconds % 1 * 1e6), len(frame),
                                len(frame)) + frame)


def frame(src_ip):
    ip = bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]) + bytes(src_ip) + bytes([10, 0, 0, 9])
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + struct.pack("!HHHH", 1000, 7, 8, 0)


def test_two_hops_in_one_file_in_time_order(tmp_path):
    pcap(tmp_path / "a.pcap", [(1.0, frame([10, 0, 2, 15])), (3.0, frame([10, 0, 2, 15]))])
    pcap(tmp_path / "b.pcap", [(2.0, frame([192, 168, 1, 10]))])
    out = tmp_path / "trace.pcapng"
    n = pcapng.write(str(out), [("vm1:eth0", str(tmp_path / "a.pcap")),
                                ("r1:eth1", str(tmp_path / "b.pcap"))])
    assert n == 3
    data = out.read_bytes()
    assert data[:4] == b"\x0a\x0d\x0d\x0a" and b"vm1:eth0" in data and b"r1:eth1" in data
    if not shutil.which("tcpdump"):
        pytest.skip("tcpdump is not installed: the file was not read back")
    shown = subprocess.run(["tcpdump", "-n", "-tt", "-r", str(out)], capture_output=True,
                           text=True).stdout.splitlines()
    assert [line.split()[0] for line in shown] == ["1.000000", "2.000000", "3.000000"]
    assert "192.168.1.10.1000" in shown[1] and "10.0.2.15.1000" in shown[0]


def test_not_a_capture_is_named(tmp_path):
    (tmp_path / "x.pcap").write_bytes(b"hello")
    with pytest.raises(ValueError, match="not a pcap file"):
        pcapng.read_pcap(str(tmp_path / "x.pcap"))
