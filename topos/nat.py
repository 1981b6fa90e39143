"""NAT mode (docs/contract.md §2): a virtual router on each host PC, made of OpenFlow rules.

                          [lan]
                            | lan-vr-host1 (patch)
     port 1 (uplink) +---[vr-host1]---+ ports 10, 11...     the virtual router (controller rules)
                     |  port 2         \\
          host1 eth0 192.168.1.10    vm1 10.0.2.15, vm2 10.0.2.16   (gateway 10.0.2.2)

host2 likewise on 10.0.3.0/24 with vm3. The VMs share host1's address: the router
maps each inside (address, port) to an outside port of 192.168.1.10, so the LAN
only ever sees host1. A port forward (pf=tcp:2222:vm1:22) opens one way in.
"""

import ipaddress

from mininet.link import OVSLink

from controllers import config
from controllers.addressing import (
    DPID_ROUTER,
    FIRST_VM_PORT,
    HOST_PCS,
    HOST_PORT,
    NAT_NETS,
    NAT_PORTS,
    TAKEN,
    UPLINK_PORT,
    nat_vm_ip,
)
from controllers.nat_table import parse_forward
from topos.run.errors import LabError
from topos.world import World, whole_number

ENGINES = ("openflow", "conntrack")  # who does the NAT: the controller's flows, or OVS's ct
NET_OPTION = {"host1": "net", "host2": "net2"}  # the parameter naming each PC's VM network


def network(name, text):
    try:
        net = ipaddress.ip_network(text)
    except ValueError as e:
        raise LabError("%s=%s: not a network (%s)" % (name, text, e)) from None
    if net.prefixlen > 24:
        raise LabError("%s=%s: the VM network must be a /24 or larger" % (name, text))
    return net


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


class Nat(World):
    mode = "nat"
    parameters = {"vms": 2, "vms2": 1, "pf": "tcp:2222:vm1:22", "idle": 60,
                  "ports": "%d-%d" % NAT_PORTS, "net": NAT_NETS["host1"],
                  "net2": NAT_NETS["host2"],
                  "per_vm": 500, "engine": "openflow"}

    def validate(self, options):
        super().validate(options)
        whole_number("idle", options["idle"], 1, 3600)
        self.port_range = port_range(options["ports"])
        whole_number("per_vm", options["per_vm"], 1, 65535)
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

    def add_pc(self, name, mac, lan):
        if name == "pc1":
            return super().add_pc(name, mac, lan)
        router = self.switch("vr-%s" % name, DPID_ROUTER + int(name[-1]))
        self.node(name, dhcp=["eth0"], role="host PC (runs the virtual router)")
        self.plug(name, "eth0", router, mac, port=HOST_PORT)
        self.addLink(router, lan, cls=OVSLink, port1=UPLINK_PORT,
                     intfName1="vr-%s-up" % name, intfName2="lan-vr-%s" % name)

    def add_mode(self):
        number = 1
        self.vm_numbers = {}
        for pc, count in (("host1", self.options["vms"]), ("host2", self.options["vms2"])):
            for i in range(count):
                name = "vm%d" % number
                echo_extra = [(p, inside) for p, _, vm, inside in self.forwards if vm == name]
                self.add_vm(number, pc, "vr-%s" % pc, port=FIRST_VM_PORT + i,
                            echo_extra=echo_extra)
                self.vm_numbers[name] = number
                number += 1

    def vm_address(self, vm):
        """The address the virtual router reserves for `vm` (10.0.2.15 upwards)."""
        pc = self.vms[vm]
        order = sorted(n for v, n in self.vm_numbers.items() if self.vms[v] == pc)
        return nat_vm_ip(self.nets[NET_OPTION[pc]], order.index(self.vm_numbers[vm]))

    def routers(self, rundir):
        vms = {pc: sorted(n for v, n in self.vm_numbers.items() if self.vms[v] == pc)
               for pc in HOST_PCS}
        return config.routers(
            vms, nets={pc: str(self.nets[NET_OPTION[pc]]) for pc in HOST_PCS},
            forwards=[(p, o, self.vm_numbers[vm], i) for p, o, vm, i in self.forwards],
            ports=self.port_range, idle_timeout=self.options["idle"],
            per_vm=self.options["per_vm"], state_dir=rundir, engine=self.options["engine"])
