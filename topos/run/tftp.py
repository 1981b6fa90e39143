"""VirtualBox's plain NAT's TFTP server, as a process of the host PC. Its guests ask it at
10.0.2.4:69 (the virtual router sends that on here: controllers.config.RouterConfig.tftp_ip);
it serves the host's TFTP folder, VirtualBox's `<VirtualBox home>/TFTP`, which the lab keeps
in its run folder with each NAT VM's boot file in it (VMNAME.pxe, what VirtualBox's DHCP names
by default), so that a guest's PXE fetch has something to fetch.

dnsmasq serves it on the well-known port only (--tftp-single-port): each transfer is then one
UDP flow both ways, which both NAT engines carry like any other (a TFTP server's usual fresh
port per transfer would need the tracker's TFTP helper, which the OpenFlow engine has not).
"""

import os
from dataclasses import dataclass
from typing import Tuple

from controllers.config import TFTP_PORT


def tftp_root(rundir, node):
    return os.path.join(rundir, "%s-TFTP" % node)


@dataclass(frozen=True)
class TftpServer:
    address: str  # the host PC's LAN address, where the virtual routers send .4's requests
    boot_files: Tuple[str, ...] = ()  # written into the folder, each naming itself

    def argv(self, rundir, node):
        root = tftp_root(rundir, node)
        os.makedirs(root, exist_ok=True)
        for name in self.boot_files:
            with open(os.path.join(root, name), "w") as f:
                f.write("vmnetlab boot file %s, served by %s's TFTP folder\n" % (name, node))
        base = os.path.join(rundir, "%s-tftp" % node)
        return ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
                # --bind-dynamic, not --bind-interfaces: with the latter dnsmasq 2.89/2.90's
                # single-port TFTP fails every answer ("Network is unreachable")
                "--listen-address=%s" % self.address, "--bind-dynamic", "--enable-tftp",
                "--tftp-root=%s" % root, "--tftp-single-port", "--tftp-secure",
                "--pid-file=%s.pid" % base, "--log-facility=%s.log" % base, "--user=root"]

    def listening(self):
        return (("udp", TFTP_PORT),)
