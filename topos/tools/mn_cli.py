"""Mininet's CLI with the lab's own commands: natmap, leases, flows."""

import glob
import os

from mininet.cli import CLI

from topos.tools.natmap import format_natmap, lease_rows, natmap_rows


class VmnetCLI(CLI):
    prompt = "vmnet> "

    def do_natmap(self, _line):
        """Show the NAT mappings of the virtual routers (NAT mode)."""
        rows = natmap_rows(self.mn)
        if rows:
            self.stdout.write(format_natmap(rows) + "\n")
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
