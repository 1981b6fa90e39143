"""DHCP in the lab: dnsmasq as the server, busybox udhcpc as the client.

Both run inside a node's namespace and write only into the lab's run folder.
"""

import os
from dataclasses import dataclass
from typing import Optional, Tuple

CLIENT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "udhcpc.script")


@dataclass(frozen=True)
class Reservation:
    mac: str
    ip: str
    name: str


@dataclass(frozen=True)
class HomeDns:
    """DNS from the same dnsmasq, as a home router's: the LAN's names under `domain`
    (answered here, never asked upstream), everything else asked of `upstream`. DHCP then
    offers this server and the domain."""

    domain: str
    names: Tuple[Tuple[str, str], ...]  # (name, address)
    upstream: str


@dataclass(frozen=True)
class Dnsmasq:
    """dnsmasq serving DHCP on one interface of a node (r1's LAN, host1's vboxnet0, ...), and
    with `dns` its names too. Without, it serves no DNS and offers no name server (as
    VirtualBox's host-only and internal DHCP servers)."""

    interface: str
    first: str
    last: str
    netmask: str = "255.255.255.0"
    router: Optional[str] = None  # None: hand out no default gateway (host-only)
    reservations: Tuple[Reservation, ...] = ()
    lease_time: str = "1h"
    dns: Optional[HomeDns] = None
    # router advertisements of the interface's own /64 (SLAAC, no DHCPv6), with the name
    # server in them (RFC 8106's RDNSS), as a home router sends them
    advertise: bool = False

    def argv(self, rundir, node):
        base = os.path.join(rundir, "%s-dnsmasq" % node)
        argv = [
            "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",  # no /etc/dnsmasq.conf: the lab sets everything here
            "--no-hosts",  # the machine's /etc/hosts is not the LAN's
            "--no-resolv",
            "--interface=%s" % self.interface,
            "--bind-interfaces",
            "--dhcp-authoritative",
            "--dhcp-range=%s,%s,%s,%s" % (self.first, self.last, self.netmask, self.lease_time),
            "--dhcp-leasefile=%s.leases" % base,
            "--pid-file=%s.pid" % base,
            "--log-facility=%s.log" % base,
            "--log-dhcp",
            "--no-ping",  # no 3 s probe of each new address: the lab knows its nodes
            # dnsmasq may not be able to write its files after dropping to 'nobody'
            "--user=root",
        ]
        argv += self.dns_argv()
        if self.advertise:
            argv += ["--enable-ra", "--dhcp-range=::,constructor:%s,ra-only,64,1h" % self.interface]
        if self.router:
            argv.append("--dhcp-option=option:router,%s" % self.router)
        else:
            argv.append("--dhcp-option=option:router")  # empty: no gateway at all
        for r in self.reservations:
            argv.append("--dhcp-host=%s,%s,%s" % (r.mac, r.ip, r.name))
        return argv

    def dns_argv(self):
        if self.dns is None:
            return ["--port=0"]  # DHCP only: no DNS, and so no name server offered
        d = self.dns
        return (["--port=53", "--domain=%s" % d.domain, "--local=/%s/" % d.domain,
                 "--server=%s" % d.upstream, "--log-queries"]
                + ["--host-record=%s.%s,%s,%s" % (name, d.domain, name, address)
                   for name, address in d.names])

    def listening(self):
        return (("udp", 53), ("tcp", 53)) if self.dns else ()


def client_argv(interface, script, hostname):
    """udhcpc in the foreground (its PID is the one we stop), asking every second."""
    return [
        "udhcpc", "-f", "-R",  # -R: release the lease when stopped
        "-i", interface, "-s", script,
        "-t", "30", "-T", "1", "-A", "1",
        "-x", "hostname:%s" % hostname,
    ]


def read_lease(path):
    """The lease the client script recorded, as a dict, or None while there is none."""
    try:
        with open(path) as f:
            return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    except FileNotFoundError:
        return None
