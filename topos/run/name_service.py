"""Names in the lab: each node's own /etc/resolv.conf and /etc/hosts, and the name servers
that run in nodes (NSD at inet; dnsmasq relays at a host PC for VirtualBox's NAT DNS proxy
and host resolver). r1's home resolver is its DHCP server's dnsmasq (topos.run.dhcp).

A node's two files live in the lab's run folder and are bind-mounted over /etc/resolv.conf and
/etc/hosts inside the node's own mount namespace (Mininet gives each node one, private): the
node's programs (getent, ping, dig) read them, and the machine's own files are never
written. The DHCP client script rewrites the node's resolv.conf in place (a bind mount
holds the file, not its name).
"""

import os
from dataclasses import dataclass

from controllers.config import DNS_HOST_RESOLVER, RELAY_PORTS
from plan.names import zone_file


def etc_file(rundir, node, name):
    """The run folder's copy of a node's /etc/`name` (resolv.conf, hosts), in a folder of
    the node's own (a host resolver watches the folder: DnsRelay)."""
    return os.path.join(rundir, "etc", node, name)


def resolv_conf(servers=(), search=None):
    lines = ["# vmnetlab: this node's own resolv.conf"]
    lines += ["search %s" % search] if search else []
    lines += ["nameserver %s" % s for s in servers]
    return "\n".join(lines) + "\n"


def hosts_file(node, extra=()):
    """What a freshly installed Debian has (localhost, its own name), and `extra` lines."""
    lines = ["127.0.0.1 localhost", "127.0.1.1 %s" % node] + ["%s %s" % (ip, name)
                                                            for name, ip in extra]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Nsd:
    """NSD, an authoritative-only server (it answers for its zone, recurses for nobody, as an
    internet zone's server does), serving plan.names' zone on `address`."""

    address: str
    zone: str
    address6: str = ""  # its IPv6 address too, if it has one

    def argv(self, rundir, node):
        base = os.path.join(rundir, "%s-nsd" % node)
        zonefile = "%s.%s.zone" % (base, self.zone)
        with open(zonefile, "w") as f:
            f.write(zone_file())
        conf = "\n".join([
            "server:",
            "  ip-address: %s" % self.address,
        ] + (["  ip-address: %s" % self.address6] if self.address6 else []) + [
            "  port: 53",
            '  username: ""',
            '  chroot: ""',
            "  server-count: 1",
            "  hide-version: yes",
            "  pidfile: %s.pid" % base,
            "  logfile: %s.log" % base,
            "  zonelistfile: %s.zonelist" % base,
            "  xfrdfile: %s.xfrd" % base,
            "  xfrdir: %s" % rundir,
            '  database: ""',  # no /var/lib/nsd/nsd.db: labs side by side would share it
            "remote-control:",
            "  control-enable: no",
            "zone:",
            "  name: %s" % self.zone,
            "  zonefile: %s" % zonefile,
        ]) + "\n"
        with open(base + ".conf", "w") as f:
            f.write(conf)
        return ["nsd", "-d", "-c", base + ".conf"]

    def listening(self):
        return ("udp", 53), ("tcp", 53)


@dataclass(frozen=True)
class DnsRelay:
    """VirtualBox's NAT engine answering DNS itself, as a process of the host PC: it relays
    each query to the name servers of the host PC's own resolv.conf. With `hosts` it is the
    host resolver (natdnshostresolver): the host PC's /etc/hosts answers first, as the host's
    own resolver would; without, the DNS proxy (natdnsproxy) that only relays.

    VirtualBox's host resolver asks the host's resolver on every query: the relay reads the
    host PC's hosts file again as soon as it changes (dnsmasq's --hostsdir watches the
    node's own etc folder), re-reads resolv.conf when it changes (dnsmasq polls it), and
    keeps no cache, so that what the host answers now is what the guest gets now."""

    address: str
    port: int
    hosts: bool

    def argv(self, rundir, node):
        base = os.path.join(rundir, "%s-dnsrelay" % node)
        argv = [
            "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
            "--port=%d" % self.port, "--listen-address=%s" % self.address,
            "--bind-interfaces",
            "--resolv-file=/etc/resolv.conf",  # the host PC's own (its mount namespace's)
            "--pid-file=%s.pid" % base, "--log-facility=%s.log" % base, "--log-queries",
            "--user=root",
        ]
        if not self.hosts:
            return argv + ["--no-hosts"]
        hosts = os.path.dirname(etc_file(rundir, node, "hosts"))
        return argv + ["--no-hosts", "--hostsdir=%s" % hosts, "--cache-size=0"]

    def listening(self):
        return ("udp", self.port), ("tcp", self.port)


def relays(host_ip, modes):
    """The DNS relays a host PC runs for its plain NATs answering in `modes`
    (controllers.config.dns_mode): one per way that needs one, each on its own port."""
    return [DnsRelay(host_ip, RELAY_PORTS[mode], mode == DNS_HOST_RESOLVER)
            for mode in sorted(set(modes) & set(RELAY_PORTS))]
