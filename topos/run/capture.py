"""What a node really receives: tcpdump in the node, one packet, its source read off the wire."""

import os
import re
import select
import subprocess
import time
from dataclasses import dataclass
from typing import Optional

from topos.run.errors import LabError

# IPv4, or IPv6 (ending in a hex digit: tcpdump writes "ff02::1: ICMP6", "2001:db8::1.7001")
ADDRESS = r"\d+\.\d+\.\d+\.\d+|(?:[0-9a-f]*:)+[0-9a-f]+"
LINE = re.compile(
    r"^(?P<time>\S+) (?P<src_mac>[0-9a-f:]{17}) > (?P<dst_mac>[0-9a-f:]{17}), .*?length \d+: "
    r"(?P<src>%s)(?:\.(?P<sport>\d+))? > "
    r"(?P<dst>%s)(?:\.(?P<dport>\d+))?" % (ADDRESS, ADDRESS)
)


@dataclass(frozen=True)
class Seen:
    src_mac: str
    src_ip: str
    src_port: Optional[int]
    dst_ip: str
    dst_mac: str = ""
    dst_port: Optional[int] = None
    time: str = ""

    def __str__(self):
        port = "" if self.src_port is None else " port %d" % self.src_port
        return "%s%s (MAC %s)" % (self.src_ip, port, self.src_mac)


def parse(line):
    m = LINE.match(line)
    if not m:
        return None
    return Seen(m["src_mac"], m["src"], int(m["sport"]) if m["sport"] else None, m["dst"],
                m["dst_mac"], int(m["dport"]) if m["dport"] else None, m["time"])


class Capture:
    """tcpdump on `node`'s `intf` for packets matching `bpf` (`count` of them, 0: no limit).

    Ready when constructed; it ends by itself (after `count`) or at stop().
    """

    def __init__(self, node, intf, bpf, timeout=5, count=1, save=None):
        argv = ["tcpdump", "-l", "-n", "-e", "-tt", "-i", intf, bpf]
        if save:  # the packets themselves too, for Wireshark (as root: the run folder is ours)
            argv[-1:-1] = ["-U", "-Z", "root", "-w", save, "--print"]
        if count:
            argv[1:1] = ["-c", str(count)]
        self.proc = node.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pending = {self.proc.stdout.fileno(): b"", self.proc.stderr.fileno(): b""}
        deadline = time.monotonic() + timeout
        said = ""
        while "listening on" not in said:  # tcpdump says so on stderr once it captures
            line = self._line(self.proc.stderr, max(0, deadline - time.monotonic()))
            if not line:
                self.stop()
                raise LabError("tcpdump did not start on %s:%s: %s" % (node.name, intf, said))
            said += line

    def _line(self, stream, timeout):
        """The next line of `stream`, or "" after `timeout` s (unbuffered: select sees all)."""
        fd = stream.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending[fd]:
            ready, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                return ""
            self.pending[fd] += chunk
        line, self.pending[fd] = self.pending[fd].split(b"\n", 1)
        return line.decode(errors="replace") + "\n"

    def first(self, timeout=3):
        """The packet seen, or None when none came within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                line = self._line(self.proc.stdout, deadline - time.monotonic())
                if not line:
                    break
                seen = parse(line)
                if seen:
                    return seen
            return None
        finally:
            self.stop()

    def all(self, quiet=0.5):
        """Every packet seen until none came for `quiet` seconds; the capture ends."""
        seen = []
        try:
            while True:
                line = self._line(self.proc.stdout, quiet)
                if not line:
                    return seen
                packet = parse(line)
                if packet:
                    seen.append(packet)
        finally:
            self.stop()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
