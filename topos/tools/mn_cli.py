"""Mininet's CLI with the lab's own commands: natmap, leases, flows."""

import glob
import os
import threading

from mininet.cli import CLI

from topos.run.errors import LabError
from topos.run.poll import until
from topos.tools.natmap import cap_rows, format_caps, format_natmap, lease_rows, natmap_rows


class VmnetCLI(CLI):
    prompt = "vmnet> "

    def do_capture(self, line):
        """capture NODE[:IF] FILE [seconds]: record NODE's interface (its main one by default)
        into FILE (pcap, for tcpdump -r or Wireshark) for `seconds` (10), while you work."""
        words = line.split()
        if len(words) not in (2, 3) or (len(words) == 3 and not words[2].isdigit()):
            self.stdout.write("usage: capture NODE[:IF] FILE [seconds]\n")
            return
        name, _, intf = words[0].partition(":")
        if name not in self.mn.nameToNode or not hasattr(self.mn.get(name), "spawn"):
            self.stdout.write("capture: no node %s\n" % name)
            return
        node = self.mn.get(name)
        intf = intf or node.primary
        path, seconds = os.path.abspath(words[1]), int(words[2]) if len(words) == 3 else 10
        log = os.path.join(self.mn.rundir, "capture-%s-%s.log" % (name, intf))
        proc = node.spawn(["tcpdump", "-U", "-Z", "root", "-i", intf, "-w", path], log)

        def started():  # tcpdump says so once it captures; what follows is recorded
            with open(log) as f:
                return "listening on" in f.read() or proc.poll() is not None

        try:
            until(started, 5, "tcpdump to start on %s:%s" % (name, intf))
        except LabError as e:
            self.stdout.write("capture: %s\n" % e)
            return
        if proc.poll() is not None:
            with open(log) as f:
                self.stdout.write("capture: tcpdump failed: %s\n" % f.read().strip()[-200:])
            return
        threading.Timer(seconds, lambda: proc.poll() is None and proc.terminate()).start()
        self.stdout.write("capturing %s:%s into %s for %d s\n" % (name, intf, path, seconds))

    def do_natmap(self, _line):
        """Show the NAT mappings of the virtual routers (NAT mode), and their caps."""
        rows = natmap_rows(self.mn)
        if rows:
            self.stdout.write(format_natmap(rows) + "\n")
        caps = cap_rows(self.mn)
        if caps:  # what bounds the sessions above, and what it refused
            self.stdout.write(format_caps(caps) + "\n")
        elif not glob.glob(os.path.join(self.mn.rundir, "natmap-*.json")):
            self.stdout.write("no NAT table: the lab's own controller writes it to the run folder "
                              "(NAT mode; a controller started by hand writes none)\n")
        else:
            self.stdout.write("no NAT mappings\n")

    def do_leases(self, _line):
        """Show every DHCP lease in the lab."""
        self.stdout.write("%-14s %-7s %-9s %-15s %s\n" % ("server", "client", "interface",
                                                          "address", "gateway"))
        for row in lease_rows(self.mn):
            self.stdout.write("%-14s %-7s %-9s %-15s %s\n" % row)

    def do_flows(self, line):
        """flows SWITCH: the switch's flow table."""
        name = line.strip()
        if name not in self.mn or name not in [s.name for s in self.mn.switches]:
            self.stdout.write("usage: flows SWITCH (one of %s)\n" % " ".join(
                s.name for s in self.mn.switches))
            return
        self.stdout.write(self.mn.get(name).flows())
