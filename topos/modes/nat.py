"""NAT mode (docs/contract.md §2): virtual routers made of OpenFlow rules, in front of the
host PCs. Two shapes, after VirtualBox's two NATs:

NAT Network (the default): one virtual router per host PC, shared by its VMs.

                          [lan]
                            | lan-vr-host1 (patch)
     port 1 (uplink) +---[vr-host1]---+ ports 10, 11...     the virtual router (controller rules)
                     |  port 2         \\
          host1 eth0 192.168.1.10    vm1 10.0.2.4, vm2 10.0.2.5   (gateway 10.0.2.1)

numbered as VirtualBox numbers a NAT network: gateway .1, the host's 127.0.0.1 at .2, the
DHCP server .3, leases from .4. host2 likewise on 10.0.3.0/24 with vm3. The VMs share
host1's address: the router
maps each inside (address, port) to an outside port of 192.168.1.10, so the LAN
only ever sees host1. A port forward (pf=tcp:2222:vm1:22) opens one way in.

NAT, VirtualBox's plain one (per_vm=yes): a virtual router per VM, each VM alone at
10.0.2.15 behind its own 10.0.2.2, so the VMs cannot see each other. The routers of one
host PC stand in a row in front of it (each passes on what is not its own), and split its
outside ports between them:

     [lan] --- [vr-vm1] --- [vr-vm2] --- host1 eth0
                  | port 10     | port 10
                 vm1           vm2        (both 10.0.2.15, gateway 10.0.2.2)
"""

import ipaddress
from dataclasses import replace

from mininet.link import OVSLink

from controllers import config
from controllers.engines import DEFAULT_ENGINE, ENGINES
from controllers.port_forward import parse_forward
from plan.addressing import (
    DPID_ROUTER,
    DPID_VM_ROUTER,
    FIRST_VM_PORT,
    HOST_PCS,
    HOST_PORT,
    NAT_NETS,
    NAT_PORTS,
    TAKEN,
    UPLINK_PORT,
    gateway_ip,
    natnet_ipv6_prefix,
    pc_ip,
)
from topos.modes.mode import FORWARD, IPERF_PORT, MINUS, PLUS, BenchPath, Column, Mode
from topos.modes.world import World, whole_number
from topos.run.errors import LabError
from topos.run.name_service import relays
from topos.run.tftp import TftpServer

MAX_VMS_PER_VM = 10  # plain NAT: a host PC's own traffic crosses every router in the row
NET_OPTION = {"host1": "net", "host2": "net2"}  # the parameter naming each PC's VM network


def network(name, text):
    try:
        net = ipaddress.ip_network(text)
    except ValueError as e:
        raise LabError("%s=%s: not a network (%s)" % (name, text, e)) from None
    if net.prefixlen > 24:
        raise LabError("%s=%s: the VM network must be a /24 or larger" % (name, text))
    return net


def yes_or_no(text):
    """per_vm: yes or no. It once capped a VM's NAT mappings; that is `mappings` now."""
    if text in (True, False, "yes", "no"):
        return text in (True, "yes")
    hint = " (a VM's cap on NAT mappings is mappings=%s)" % text if str(text).isdigit() else ""
    raise LabError("per_vm=%s: write yes (a virtual router per VM, VirtualBox's plain NAT) "
                   "or no (one shared per host PC, its NAT Network)%s" % (text, hint))


def port_range(text):
    try:
        first, last = (int(p) for p in str(text).split("-"))
    except ValueError:
        raise LabError("ports=%s: write first-last, e.g. 61000-61999" % text) from None
    if not 1024 <= first <= last <= 65535:
        raise LabError("ports=%s: must lie within 1024-65535, first <= last" % text)
    if first <= 60999 and last >= 32768:
        raise LabError("ports=%s: overlaps the host PC's own ephemeral ports 32768-60999" % text)
    return first, last


def on_or_off(name, value):
    if value in ("on", "off", True, False):
        return value in ("on", True)
    raise LabError("%s=%s: write on or off (VBoxManage's words)" % (name, value))


def dns_mode(options, per_vm):
    """How the plain NAT's name server at .3 answers (controllers.config.dns_mode). A NAT
    Network has neither switch: its DHCP offers the host's name servers themselves."""
    proxy = on_or_off("natdnsproxy", options["natdnsproxy"])
    resolver = on_or_off("natdnshostresolver", options["natdnshostresolver"])
    if (proxy or resolver) and not per_vm:
        raise LabError("natdnsproxy/natdnshostresolver: settings of VirtualBox's plain NAT "
                       "(per_vm=yes); a NAT Network's guests ask the host's name servers")
    return config.dns_mode(proxy, resolver)


class Nat(World):
    mode = "nat"
    hides_vms = True  # the LAN sees a VM's traffic come from its host PC
    parameters = {"vms": 2, "vms2": 1, "pf": "tcp:2222:vm1:22", "idle": 60,
                  "ports": "%d-%d" % NAT_PORTS, "net": NAT_NETS["host1"],
                  "net2": NAT_NETS["host2"],
                  "mappings": 500, "engine": DEFAULT_ENGINE, "per_vm": "no",
                  "sessions": 4096, "sessions_total": 16384,
                  "natdnsproxy": "off", "natdnshostresolver": "off",
                  "localhostreachable": "off", "ipv6": "off", "ipv6_default": "off"}

    def validate(self, options):
        super().validate(options)
        whole_number("idle", options["idle"], 1, 3600)
        self.port_range = port_range(options["ports"])
        whole_number("mappings", options["mappings"], 1, 65535)
        whole_number("sessions", options["sessions"], 1, 1000000)
        whole_number("sessions_total", options["sessions_total"], 1, 1000000)
        self.per_vm = yes_or_no(options["per_vm"])
        if self.per_vm and options["net2"] != self.parameters["net2"]:
            raise LabError("net2=%s: with per_vm=yes every VM is on net (each behind a router "
                           "of its own, as VirtualBox's NAT)" % options["net2"])
        if self.per_vm:
            for key in ("vms", "vms2"):
                if options[key] > MAX_VMS_PER_VM:
                    raise LabError("%s=%d: with per_vm=yes a host PC runs at most %d VMs (its "
                                   "own traffic crosses every VM's router)" % (
                                       key, options[key], MAX_VMS_PER_VM))
        self.dns = dns_mode(options, self.per_vm)
        self.localhostreachable = on_or_off("localhostreachable", options["localhostreachable"])
        # a NAT network's --ipv6 and --ipv6-default (controllers.ipv6_router)
        self.ipv6 = on_or_off("ipv6", options["ipv6"])
        self.ipv6_default = on_or_off("ipv6_default", options["ipv6_default"])
        if self.ipv6 and self.per_vm:
            raise LabError("ipv6=on: a NAT network's setting; VirtualBox's plain NAT "
                           "(per_vm=yes) carries no IPv6")
        if self.ipv6_default and not self.ipv6:
            raise LabError("ipv6_default=on: advertises a default route over IPv6, which is "
                           "off (add ipv6=on)")
        if self.localhostreachable and not self.per_vm:
            raise LabError("localhostreachable: a setting of VirtualBox's plain NAT (per_vm=yes)")
        if options["engine"] not in ENGINES:
            raise LabError("engine=%s: choose %s" % (options["engine"], " or ".join(ENGINES)))
        self.nets = {}
        for key in ("net", "net2"):
            net = network(key, options[key])
            for other, taken in list(TAKEN.items()) + list(self.nets.items()):
                if net.overlaps(taken):
                    raise LabError("%s=%s overlaps %s (%s)" % (key, net, other, taken))
            self.nets[key] = net
        names = {"vm%d" % n for n in range(1, options["vms"] + options["vms2"] + 1)}
        pf = options["pf"]
        rules = pf if isinstance(pf, (list, tuple)) else [r for r in str(pf).split("+") if r]
        self.forwards = []
        for rule in rules if rules != ["none"] else []:
            try:
                proto, outside, vm, inside = parse_forward(rule)
            except ValueError as e:
                raise LabError(str(e)) from None
            if vm not in names:
                raise LabError("port forward %r: no VM named %s (the VMs: %s)" % (
                    rule, vm, ", ".join(sorted(names))))
            if any((proto, outside) == (p, o) for p, o, _, _ in self.forwards):
                raise LabError("port forward %r: %s port %d is forwarded twice" % (
                    rule, proto, outside))
            self.forwards.append((proto, outside, vm, inside))

    @property
    def column(self):
        """nat_per_vm, nat_ipv6 (IPv6 with its default route: without one a guest's IPv6
        reaches no farther than with IPv6 off, the nat column's), else nat."""
        return "nat_per_vm" if self.per_vm else "nat_ipv6" if self.ipv6_default else "nat"

    def numbers_on(self, pc):
        """The VM numbers on host PC `pc`: host1's first, then host2's."""
        first = 1 if pc == "host1" else self.options["vms"] + 1
        return range(first, first + self.options["vms" if pc == "host1" else "vms2"])

    def add_pc(self, name, mac, lan):
        if name == "pc1":
            return super().add_pc(name, mac, lan)
        if self.per_vm:  # the VMs' routers in a row, the first on the LAN, host1 after the last
            routers = [(self.switch("vr-vm%d" % n, DPID_VM_ROUTER + n), "vr-vm%d" % n)
                       for n in self.numbers_on(name)]
        else:
            routers = [(self.switch("vr-%s" % name, DPID_ROUTER + int(name[-1])),
                        "vr-%s" % name)]
        tftp = TftpServer(pc_ip(name), tuple("vm%d.pxe" % n for n in self.numbers_on(name)))
        self.node(name, dhcp=["eth0"], role="host PC (runs the virtual router)",
                  name_server=relays(pc_ip(name), [self.dns]),
                  tftp_server=tftp if self.per_vm else None,
                  # a NAT network maps the host's 127.0.0.1 at .2 always; plain NAT's gateway
                  # reaches it with localhostreachable
                  loopback_from=["eth0"] if self.localhostreachable or not self.per_vm else [])
        self.plug(name, "eth0", routers[-1][0], mac, port=HOST_PORT)
        before, before_name = lan, "lan"
        for router, router_name in routers:
            towards = "lan-%s" % router_name if before is lan else "%s-host" % before_name
            self.addLink(router, before, cls=OVSLink, port1=UPLINK_PORT,
                         port2=None if before is lan else HOST_PORT,
                         intfName1="%s-up" % router_name, intfName2=towards)
            before, before_name = router, router_name

    def add_mode(self):
        self.vm_numbers = {}
        for pc in HOST_PCS:
            for i, number in enumerate(self.numbers_on(pc)):
                name = "vm%d" % number
                echo_extra = [(p, inside) for p, _, vm, inside in self.forwards if vm == name]
                switch = "vr-%s" % (name if self.per_vm else pc)
                self.add_vm(number, pc, switch, port=FIRST_VM_PORT + (0 if self.per_vm else i),
                            echo_extra=echo_extra, slaac=["eth0"] if self.ipv6 else [])
                self.vm_numbers[name] = number

    def gateway_of(self, vm):
        """The gateway address `vm` sees (plain NAT's 10.0.2.2, a NAT network's 10.0.2.1)."""
        net = self.nets["net" if self.per_vm else NET_OPTION[self.vms[vm]]]
        return gateway_ip(net, natnetwork=not self.per_vm)

    def routers(self, rundir):
        vms = {pc: list(self.numbers_on(pc)) for pc in HOST_PCS}
        forwards = [(p, o, self.vm_numbers[vm], i) for p, o, vm, i in self.forwards]
        common = dict(forwards=forwards, ports=self.port_range,
                      idle_timeout=self.options["idle"], mappings=self.options["mappings"],
                      state_dir=rundir, engine=self.options["engine"],
                      sessions=self.options["sessions"],
                      sessions_total=self.options["sessions_total"])
        if self.per_vm:
            return config.vm_routers(vms, net=str(self.nets["net"]), dns=self.dns,
                                     localhostreachable=self.localhostreachable, **common)
        found = config.routers(vms, nets={pc: str(self.nets[NET_OPTION[pc]])
                                          for pc in HOST_PCS}, **common)
        if self.ipv6:  # VirtualBox's prefix of a network made by VBoxManage (plan.addressing)
            found = [replace(r, ipv6_prefix=natnet_ipv6_prefix(),
                             ipv6_default=self.ipv6_default) for r in found]
        return found


# The two NATs differ in what the VMs see of each other (claims 1 and 8, and VirtualBox's
# VM <-> VM cell); a host reaches a VM, and the LAN does, only through a port forward.
NAT_NETWORK = {1: True, 2: True, 3: False, 4: True, 5: False, 6: True, 7: False, 8: False,
               9: True, 11: True, 12: True, 13: True, 14: True, 15: True, 16: True, 17: True,
               # IPv6 off, a new NAT network's default: the VMs share a link, nothing more
               18: False, 19: False, 20: False, 21: False, 22: True, 23: False}
MODE = Mode(
    "nat", Nat,
    columns=(Column("nat", NAT_NETWORK, "NAT Network", (PLUS, FORWARD, PLUS, PLUS, FORWARD,
                                                        PLUS, PLUS)),
             # with per_vm=yes vm3 has vm1's own address: nothing could name it from vm1 (8)
             Column("nat_per_vm", {1: False, 2: True, 3: False, 4: True, 5: False, 6: True,
                                   7: False, 9: True, 11: True, 12: True, 13: True, 14: True,
                                   15: True, 16: True, 17: True,
                                   # VirtualBox's plain NAT (slirp) carries no IPv6
                                   18: False, 19: False, 20: False, 21: False, 22: False,
                                   23: False},
                    "NAT", (PLUS, FORWARD, MINUS, PLUS, FORWARD, PLUS, PLUS),
                    params=("per_vm=yes",)),
             # a NAT network with IPv6 on and its default route advertised: a guest's IPv6
             # leaves as host1's own (VirtualBox's sockets), nothing comes in
             Column("nat_ipv6", {**NAT_NETWORK, 18: True, 20: True, 23: True},
                    "NAT Network, IPv6 on", (PLUS, FORWARD, PLUS, PLUS, FORWARD, PLUS, PLUS),
                    params=("ipv6=on", "ipv6_default=on"))),
    bench_paths=(BenchPath("vm1->pc1", "vm1", "pc1", ("pc1", None), connections=True),
                 BenchPath("vm1->inet", "vm1", "inet", ("inet", None)),
                 # TCP only: the lab's forwards are TCP (iperf3's control and data share a port)
                 BenchPath("pc1->host1:pf->vm1", "pc1", "vm1", ("host1", None), udp=False),
                 # IPv6 (a NAT network's, its default route on): out through host1's stack
                 BenchPath("vm1->inet IPv6", "vm1", "inet", ("inet", None), udp=False,
                           family=6)),
    # A forward for iperf3, and room for the connection-rate run's tens of thousands of
    # mappings (below host1's own ephemeral ports 32768-60999), so that the run measures the
    # NAT's speed and not its supply of ports: the OpenFlow engine keeps a mapping until it
    # is idle for `idle` s, the tracker a closed TCP connection's port for ~30 s. Its caps on
    # sessions are lifted for the same reason.
    bench_params=("pf=tcp:2222:vm1:22+tcp:%d:vm1:%d" % (IPERF_PORT, IPERF_PORT),
                  "ports=10000-32767", "mappings=22768", "sessions=100000",
                  "sessions_total=200000", "ipv6=on", "ipv6_default=on"),
    bench_variants=tuple(("engine=%s" % engine,) for engine in ENGINES),
)
