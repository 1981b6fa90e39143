"""The lab's nodes: a Mininet host that configures itself from plain parameters.

One class serves every role (server, router, PC, VM); what differs is data:
static addresses, a default gateway, DHCP clients and servers, forwarding, NAT.
Every process a node starts is kept by PID and stopped by PID.
"""

import os
import signal
import subprocess
import time

from mininet.node import Host

from topos.agents import echo_server_argv
from topos.agents.echo_server import TCP_PORT, UDP_PORT
from topos.run import dhcp, name_service
from topos.run.errors import LabError
from topos.run.inventory import Owned


def settle(node, timeout=2.0):
    """A node whose command was interrupted (Ctrl-C in a lab test or at mn's prompt) still
    waits for that command's output, and Mininet refuses it any other command - the
    teardown's own (deleting its links) included, which left the lab's bridges behind.
    Interrupt the command, read what it printed for up to `timeout` s, and free the node."""
    if not getattr(node, "waiting", False) or not getattr(node, "shell", None):
        return
    node.sendInt()
    deadline = time.monotonic() + timeout
    while node.waiting and time.monotonic() < deadline:
        node.monitor(timeoutms=100)
    node.waiting = False


class LabNode(Owned, Host):
    """A node of the lab.

    addresses:   {'eth0': '203.0.113.10/24'} static addresses
    gateway:     default gateway for static nodes
    addresses6:  {'eth0': '2001:db8:203::10/64'} static IPv6 addresses (beside link-local)
    gateway6:    the IPv6 default gateway of a static node
    slaac:       interfaces where a router advertises a prefix: the lab waits for their
                 address (formed from the MAC, RFC 4862)
    routes_ipv6: route IPv6 between interfaces (and then take no router advertisement)
    dhcp:        interfaces configured by a DHCP client
    dhcp_server: a dhcp.Dnsmasq run on this node, or a list of them
    default_via: of the DHCP interfaces, the one whose router becomes the default route
                 (None: each; "": none, the gateway is static)
    unplugged:   interfaces whose cable is out (down, as a card without carrier)
    unattached:  interfaces attached to nothing (VirtualBox's "Not attached": a card that
                 leads nowhere)
    forwarding:  route between interfaces (ip_forward)
    masquerade:  interface behind which this node hides the others (source NAT),
                 with a stateful firewall that lets nothing new in through it (IPv6 too,
                 which it routes without NAT)
    role:        what the node stands for, in words
    echo:        run the lab's echo server (topos/agents/echo_server.py) here
    echo_extra:  more ports for it, [(proto, port)] (the target of a port forward)
    resolver:    a static node's name servers (a DHCP client writes its lease's)
    hosts:       more lines for the node's /etc/hosts, [(name, address)]
    name_server: name servers run here (topos.run.name_service: Nsd, DnsRelay), a list
    loopback_from: interfaces whose packets may be for 127.0.0.1 (route_localnet): a host
                 PC whose VMs reach its loopback through VirtualBox's NAT
    host_sockets: a host PC's NATs as its own sockets (topos.run.host_sockets.HostSockets)
    tftp_server: a host PC's TFTP server for its plain NATs' .4 (topos.run.tftp.TftpServer)
    """

    def __init__(self, name, addresses=None, gateway=None, dhcp=(), dhcp_server=None,
                 forwarding=False, masquerade=None, role="", echo=True, echo_extra=(),
                 default_via=None, unplugged=(), unattached=(), resolver=(), hosts=(),
                 name_server=(), loopback_from=(), host_sockets=None, tftp_server=None,
                 addresses6=None, gateway6=None, slaac=(), routes_ipv6=False, **params):
        self.addresses = dict(addresses or {})
        self.gateway = gateway
        self.addresses6, self.gateway6 = dict(addresses6 or {}), gateway6
        self.slaac, self.routes_ipv6 = tuple(slaac), routes_ipv6
        self.dhcp = tuple(dhcp)
        self.dhcp_servers = list(dhcp_server) if isinstance(dhcp_server, (list, tuple)) else [
            dhcp_server] if dhcp_server else []
        self.default_via = default_via
        self.unplugged, self.unattached = tuple(unplugged), tuple(unattached)
        self.forwarding = forwarding
        self.masquerade = masquerade
        self.role = role
        self.echo_ports = [("tcp", TCP_PORT), ("udp", UDP_PORT)] + list(echo_extra) if echo else []
        self.echo_server = None  # the process answering on every echo port
        self.resolver, self.hosts_extra = tuple(resolver), tuple(hosts)
        self.name_servers = list(name_server)
        self.tftp_server = tftp_server
        self.loopback_from = tuple(loopback_from)
        self.host_sockets = host_sockets
        self.processes = []
        super().__init__(name, **params)

    # --- configuration that needs no traffic (Mininet calls it while building) ---
    def config(self, **params):
        result = super().config(**params)
        # dual-stack, as every guest and PC brings IPv6 up by itself; addresses formed from
        # the MAC (no temporary ones), so that each is known before the lab runs. A router
        # solicitation sent before r1's dnsmasq listened is asked again after 1 s, not
        # Linux's 4 s, as the DHCP clients ask (topos.run.dhcp: -T 1). An address is used
        # while its duplicate detection runs (RFC 4429's optimistic addresses, as a source
        # too): the detection still runs, the lab does not wait. One command for them all:
        # each is a round trip through the node's shell.
        ipv6 = {"disable_ipv6": 0, "use_tempaddr": 0, "router_solicitation_interval": 1,
                "optimistic_dad": 1, "use_optimistic": 1}
        self.sysctl(*[("net.ipv6.conf.%s.%s" % (conf, key), value)
                      for conf in ("all", "default") for key, value in ipv6.items()],
                    ("net.ipv6.conf.all.forwarding", 1 if self.routes_ipv6 else 0),
                    ("net.ipv4.ip_forward", 1 if self.forwarding else 0))
        if self.masquerade:
            self.firewall(self.masquerade)  # rules name interfaces; they need not exist yet
        return result

    def configure_interfaces(self):
        """Static addresses and the gateway, once the node's cards are in place
        (a tap card arrives only when its switch has started: topos.run.links)."""
        for intf in self.unattached:  # a card whose other end is down: no carrier, ever
            self.check("ip link add %s type veth peer name %s-nc && ip link set %s up" % (
                intf, intf, intf))
        for intf, cidr in self.addresses.items():
            self.check("ip addr add %s dev %s" % (cidr, intf))
        for intf, cidr in self.addresses6.items():  # the lab plans them: none is a duplicate
            self.check("ip -6 addr add %s dev %s nodad" % (cidr, intf))
        for intf in self.unplugged:
            self.check("ip link set %s down" % intf)
        if self.gateway:
            self.check("ip route replace default via %s" % self.gateway)
        if self.gateway6:
            self.check("ip -6 route replace default via %s" % self.gateway6)
        for intf in self.loopback_from:
            self.sysctl(("net.ipv4.conf.%s.route_localnet" % intf, 1))
            # an answer from 127.0.0.1 must not ask for its next hop's MAC as 127.0.0.1 (r1
            # would ignore that ARP request): ask with the card's own address
            self.sysctl(("net.ipv4.conf.%s.arp_announce" % intf, 2))
        if self.host_sockets:
            self.sysctl(*self.host_sockets.sysctls())
            for rule in self.host_sockets.iptables():
                self.check("iptables " + rule)
            for command in self.host_sockets.commands():
                self.check(command)
            for rule in self.host_sockets.ip6tables():
                self.check("ip6tables " + rule)

    def sysctl(self, *settings):
        """Set (key, value) pairs, in one command."""
        self.check("sysctl -qw " + " ".join("%s=%s" % pair for pair in settings))

    def check(self, command):
        """Run a configuration command in the node; fail loudly if it fails."""
        out = self.cmd(command + "; echo rc=$?")
        body, _, rc = out.rstrip().rpartition("rc=")
        if rc.strip() != "0":
            raise RuntimeError("%s: `%s` failed: %s" % (self.name, command, body.strip()))
        return body

    def firewall(self, outside):
        """A home router: masquerade out through `outside`, nothing new in through it. IPv6
        is routed, not translated: RFC 6092's simple security, as home routers ship it, the
        same rules but for Neighbor Discovery, which still comes in."""
        stateful = [
            "-P FORWARD DROP",
            "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A FORWARD ! -i {o} -o {o} -j ACCEPT",
            "-A INPUT -i {o} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        ]
        neighbours = ["-A INPUT -i {o} -p ipv6-icmp --icmpv6-type neighbour-%s -j ACCEPT" % kind
                      for kind in ("solicitation", "advertisement")]
        for tool, rules in (
                ("iptables", ["-t nat -A POSTROUTING -o {o} -j MASQUERADE"] + stateful),
                ("ip6tables", stateful + neighbours)):
            for rule in rules + ["-A INPUT -i {o} -j DROP"]:
                self.check("%s %s" % (tool, rule.format(o=outside)))

    def ipv6_addresses(self, intf, scope="global"):
        """The node's IPv6 addresses of `scope` (global, link) on `intf` the kernel sends from:
        past duplicate detection, or optimistic (config; a node that forwards, a host PC
        for its NAT network, has no optimistic ones), not one found a duplicate."""
        out = self.cmd("ip -6 -o addr show dev %s scope %s -dadfailed" % (intf, scope))
        found = []
        for line in out.splitlines():
            words = line.split()
            if "inet6" in words and ("tentative" not in words or "optimistic" in words):
                found.append(words[words.index("inet6") + 1].split("/")[0])
        return found

    # --- processes, kept by PID ---
    def spawn(self, argv, log, env=None):
        """Start a long-running process in this node, its output in `log`."""
        with open(log, "ab") as out:
            proc = self.popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=dict(os.environ, **(env or {})),
            )
        self.processes.append(proc)
        return proc

    def listens(self, port, proto="tcp"):
        """Does something in this node listen on this TCP (or UDP) port?"""
        flag = "-Hltn" if proto == "tcp" else "-Hlun"
        return ":%d " % port in self.cmd("ss %s sport = :%d" % (flag, port))

    def start_echo_server(self, rundir):
        if self.echo_ports:
            self.echo_server = self.spawn(echo_server_argv(self.name, self.echo_ports),
                                          os.path.join(rundir, "%s-echo.log" % self.name))

    def free_port(self, proto, port, rundir):
        """Stop answering on (proto, port), to make room for another service there: the
        echo server starts again without it."""
        if (proto, port) not in self.echo_ports:
            return
        self.echo_ports.remove((proto, port))
        proc, self.echo_server = self.echo_server, None
        if proc:
            proc.terminate()
            proc.wait()
            self.processes.remove(proc)
        self.start_echo_server(rundir)

    def stop_processes(self, grace=2.0):
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.processes = []

    # --- names: the node's own files, seen only inside it ---
    def set_up_names(self, rundir):
        """Write the node's resolv.conf and hosts into the run folder and mount them over
        /etc's inside the node's own mount namespace (never the machine's files)."""
        if os.readlink("/proc/%d/ns/mnt" % self.pid) == os.readlink("/proc/self/ns/mnt"):
            # a mount here would hide the machine's own files for as long as the lab runs
            raise LabError("%s shares the machine's mount namespace (is mnexec Mininet's?): "
                           "its resolv.conf cannot be its own" % self.name)
        os.makedirs(os.path.dirname(name_service.etc_file(rundir, self.name, "hosts")),
                    exist_ok=True)
        for name, text in (("resolv.conf", name_service.resolv_conf(self.resolver)),
                           ("hosts", name_service.hosts_file(self.name, self.hosts_extra))):
            path = name_service.etc_file(rundir, self.name, name)
            with open(path, "w") as f:
                f.write(text)
            self.check("mount --bind %s /etc/%s" % (path, name))

    def start_name_servers(self, rundir):
        for server in self.servers():
            self.spawn(server.argv(rundir, self.name),
                       os.path.join(rundir, "%s-%s.out" % (self.name, type(server).__name__)))

    def services(self):
        """(proto, port) of every server this node runs but the echo server's."""
        return [p for s in self.dhcp_servers + self.servers() for p in s.listening()]

    def servers(self):
        """The servers started with the name servers: those, and a host PC's TFTP server."""
        return self.name_servers + ([self.tftp_server] if self.tftp_server else [])

    # --- services that need the switches up (the lab calls them in order) ---
    def start_dhcp_server(self, rundir):
        for server in self.dhcp_servers:
            tag = "" if len(self.dhcp_servers) == 1 else "-" + server.interface
            self.spawn(server.argv(rundir, self.name + tag),
                       os.path.join(rundir, "%s%s-dnsmasq.out" % (self.name, tag)))

    def start_dhcp_clients(self, rundir, script):
        for intf in self.dhcp:
            self.spawn(
                dhcp.client_argv(intf, script, self.name),
                os.path.join(rundir, "%s-udhcpc-%s.log" % (self.name, intf)),
                env={"VMNET_LEASES": os.path.join(rundir, "leases"), "VMNET_NODE": self.name,
                     "VMNET_RESOLV": name_service.etc_file(rundir, self.name, "resolv.conf"),
                     "VMNET_DEFAULT_VIA": intf if self.default_via is None else
                     self.default_via},
            )

    @property
    def primary(self):
        """The interface that carries the node's own address (eth0, or br0 on a bridged PC)."""
        return (self.dhcp or tuple(self.addresses) or ("eth0",))[0]

    def lease(self, rundir, intf="eth0"):
        return dhcp.read_lease(os.path.join(rundir, "leases", "%s.%s" % (self.name, intf)))

    def terminate(self):
        self.stop_processes()
        super().terminate()
