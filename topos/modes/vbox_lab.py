"""A lab built from a lab file (topos.labfile; docs/labfiles.md): VMs with up to eight
adapters each, as the file's VBoxManage commands attach them.

    host-only   a switch per host-only interface, the host PC's vboxnetN on it, VirtualBox's
                DHCP server (dnsmasq on the host PC) when the file adds one
    intnet      a switch per internal network of a host PC, its DHCP server a node of its own
    nat         a virtual router per NAT adapter (controllers/), the host PC's routers in a
                row in front of it, as `--topo nat,per_vm=yes` puts them
    natnetwork  a virtual router per NAT network, its VMs together behind it, in that row
    bridged     the host PC's card a port of its bridge br0, with the bridged VMs'
    null        a card attached to nothing; a cable out: the card is down
A guest routes, masquerades and serves DHCP as its [guest] section says (a Linux router).
Addresses are the model's (topos.labfile.model): a VirtualBox DHCP server hands them out
from the bottom of its range, in the order the VMs were made.
"""

import ipaddress
from dataclasses import dataclass

from mininet.link import OVSLink

from controllers.engines import DEFAULT_ENGINE, ENGINES
from plan.addressing import (
    DPID_BRIDGE,
    DPID_FILE_NAT_NETWORK,
    DPID_FILE_NETWORK,
    DPID_FILE_ROUTER,
    FILE_DHCP_MAC,
    FILE_HOST_MAC,
    FILE_SHARED,
    FIRST_VM_PORT,
    HOST_PCS,
    HOST_PORT,
    UPLINK_PORT,
    pc_ip,
)
from topos.labfile.kinds import KINDS, NOTHING, OWN, SHARED, THE_LAN
from topos.labfile.model import LAN, Model
from topos.labfile.model6 import Ipv6Model, adapter_mac
from topos.labfile.reader import read
from topos.modes.mode import Mode
from topos.modes.vbox_nat import boot_file, dns_mode, nat_routers
from topos.modes.world import World
from topos.run.dhcp import Dnsmasq, Reservation
from topos.run.errors import LabError
from topos.run.name_service import relays
from topos.run.tftp import TftpServer


@dataclass
class NatBox:
    """A NAT of a host PC: a NAT adapter's (its VM alone behind it) or a NAT network's (its
    VMs together), built as one virtual router in the host PC's row."""

    key: tuple  # the model's network key
    switch: str
    dpid: int
    network: ipaddress.IPv4Network
    gateway: str
    members: list  # [(Vm, Adapter)], each on port FIRST_VM_PORT + its index
    forwards: list  # [labfile Forward]
    label: str


class VboxLab(World):
    mode = "lab"
    parameters = {"file": "", "engine": DEFAULT_ENGINE}

    def validate(self, options):
        if not options["file"]:
            raise LabError("lab: name the lab file (--topo lab,file=FILE; labs/ has examples)")
        if options["engine"] not in ENGINES:
            raise LabError("engine=%s: choose %s" % (options["engine"], " or ".join(ENGINES)))
        self.spec = read(str(options["file"]))
        self.switch_roles = {}  # switch -> what it is, for the diagram
        self.adapter_kinds = {(vm.name, a.interface): "%s%s" % (a.kind, "" if a.cable else
                                                                 ", cable out")
                              for vm in self.spec.vms() for a in vm.attached()}
        self.model = Model(self.spec)
        self.model6 = Ipv6Model(self.spec, self.model)
        self.numbers = {vm.name: n for n, vm in enumerate(self.spec.vms(), start=1)}
        self.nats = {pc: self.nat_boxes(pc) for pc in HOST_PCS}

    def nat_boxes(self, pc):
        host = self.spec.hosts.get(pc)
        if host is None:
            return []
        index, boxes = HOST_PCS.index(pc) + 1, []
        for k, (name, net) in enumerate(host.natnetworks.items()):
            if not net.enabled:
                continue  # VirtualBox runs no NAT for it: a plain switch (add_mode)
            network = ipaddress.ip_network(net.network)
            members = [(vm, a) for vm in host.vms.values() for a in vm.attached()
                       if a.kind == "natnetwork" and a.network == name and a.cable]
            boxes.append(NatBox(("natnetwork", pc, name), "nn%d-%d" % (index, k),
                                DPID_FILE_NAT_NETWORK + 0x100 * index + k, network,
                                str(network.network_address + 1), members, net.forwards,
                                "NAT network %s (virtual router)" % name))
        for vm in host.vms.values():
            for a in vm.attached():
                if a.kind == "nat" and a.cable:
                    network = a.nat_network()
                    boxes.append(NatBox(("nat", vm.name, a.slot),
                                        "vr%d-%d" % (self.numbers[vm.name], a.slot),
                                        DPID_FILE_ROUTER + 8 * self.numbers[vm.name] + a.slot,
                                        network, str(network.network_address + 2), [(vm, a)],
                                        a.forwards, "%s's NAT adapter %d (virtual router)" % (
                                            vm.name, a.slot)))
        return boxes

    @property
    def column(self):
        return "lab"  # no column of the contract: `vmnet check FILE` proves the model's own

    def mac(self, vm, adapter):
        return adapter_mac(self.spec, vm, adapter)

    # --- the host PCs: a bridge for bridged VMs, their NATs in a row, host-only interfaces ---
    def add_pc(self, name, mac, lan):
        if name not in self.spec.hosts:
            return super().add_pc(name, mac, lan)
        host = self.spec.hosts[name]
        index = HOST_PCS.index(name) + 1
        addresses, servers = {}, []
        for ifname, interface in host.hostonly.items():
            prefix = interface.network().prefixlen
            addresses[ifname] = "%s/%d" % (interface.address, prefix)
            server = self.vbox_dhcp(host, ("hostonly", name, ifname), interface=ifname)
            if server:
                servers.append(server)
        adapters = [a for vm in host.vms.values() for a in vm.attached() if a.kind == "nat"]
        boot = tuple(boot_file(vm, a) for vm in host.vms.values() for a in vm.attached()
                     if a.kind == "nat")
        self.node(name, dhcp=["eth0"], addresses=addresses, dhcp_server=servers,
                  addresses6={i: h.address6 for i, h in host.hostonly.items() if h.address6},
                  role="host PC", name_server=relays(pc_ip(name), [dns_mode(a) for a in adapters]),
                  tftp_server=TftpServer(pc_ip(name), boot) if boot else None,
                  loopback_from=["eth0"] if host.natnetworks or any(
                      a.localhostreachable for a in adapters) else [])
        before = lan
        if any(KINDS[a.kind].scope == THE_LAN for vm in host.vms.values()
               for a in vm.attached()):
            # the host's card becomes a port of its bridge, the bridged VMs' other ports
            before = self.switch("br0-%s" % name, DPID_BRIDGE + index)
            self.switch_roles[before] = "bridge br0 (learning switch)"
            self.addLink(lan, before, cls=OVSLink, intfName1="lan-%s" % before,
                         intfName2="%s-lan" % before)
        for box in self.nats[name]:
            router = self.switch(box.switch, box.dpid)
            self.switch_roles[router] = box.label
            self.addLink(router, before, cls=OVSLink, port1=UPLINK_PORT,
                         port2=None if before in (lan, "br0-%s" % name) else HOST_PORT,
                         intfName1="%s-up" % router,
                         intfName2="%s-%s" % (before, router) if before in (
                             lan, "br0-%s" % name) else "%s-host" % before)
            before = router
        self.plug(name, "eth0", before, mac,
                  port=HOST_PORT if self.nats[name] else None)
        for n, ifname in enumerate(host.hostonly):
            switch = self.switch("%s-vbox%d" % (name, n), DPID_FILE_NETWORK * index + n)
            self.switch_roles[switch] = "host-only network (%s)" % ifname
            self.plug(name, ifname, switch, FILE_HOST_MAC % (index, n))

    def vbox_dhcp(self, host, key, interface="", network=""):
        """dnsmasq as VirtualBox's DHCP server there, each VM's lease reserved as the model
        predicts it; None when the file adds none (or a disabled one)."""
        server = next((s for s in host.dhcp_servers if s.enabled and
                       (s.interface, s.network) == (interface, network)), None)
        if server is None:
            return None
        return Dnsmasq(interface or "eth0", server.lower, server.upper, server.netmask,
                       router=None, reservations=self.reservations(host.vms.values(), key))

    def reservations(self, vms, key):
        found = []
        for vm in vms:
            for adapter in vm.attached():
                fixed = vm.guest.interfaces.get(adapter.interface)
                if fixed and fixed.address:
                    continue  # its own address: no lease
                address = self.model.address(vm.name, key) if self.model.network_of(
                    vm.name, adapter.interface) == key else None
                if address:
                    found.append(Reservation(self.mac(vm, adapter), address, vm.name))
        return tuple(found)

    # --- the networks and the VMs ---
    def add_mode(self):
        for pc, host in self.spec.hosts.items():
            switches = {("hostonly", pc, i): "%s-vbox%d" % (pc, n)
                        for n, i in enumerate(host.hostonly)}
            switches[LAN] = "br0-%s" % pc
            for key in self.switched(pc, host):
                switches[key] = self.shared_network(pc, host, key, len(switches) - 1 - len(
                    host.hostonly))
            for vm in host.vms.values():
                self.add_file_vm(pc, vm, switches)

    def switched(self, pc, host):
        """The networks of a host PC's VMs that are a switch of their own: each a kind's
        network (topos.labfile.kinds) no NAT router and no host-only interface is, in the
        order the VMs name them."""
        routed = {box.key for box in self.nats[pc]}
        keys = [(a.kind, pc, a.network) for vm in host.vms.values() for a in vm.attached()
                if KINDS[a.kind].scope == SHARED and a.kind != "hostonly"]
        return [k for k in dict.fromkeys(keys) if k not in routed]

    def shared_network(self, pc, host, key, n):
        """A learning switch for network `key`, and VirtualBox's DHCP server there when the
        file adds one (dhcpserver add --network NAME: a node of its own)."""
        index, kind = HOST_PCS.index(pc) + 1, KINDS[key[0]]
        switch = self.switch("%s-net%d" % (pc, n), DPID_FILE_NETWORK * index + FILE_SHARED + n)
        known = self.model.networks.get(key)  # absent when every cable to it is out
        self.switch_roles[switch] = known.label if known else kind.label % {
            "network": key[2], "host": pc}
        server = self.vbox_dhcp(host, key, network=key[2])
        if server:
            node = "dhcp%d%d" % (index, n)
            first = next(s for s in host.dhcp_servers if s.network == key[2])
            prefix = ipaddress.ip_network("0.0.0.0/%s" % first.netmask).prefixlen
            self.node(node, role="VirtualBox's DHCP server of %s" % key[2], echo=False,
                      addresses={"eth0": "%s/%d" % (first.server_ip, prefix)},
                      dhcp_server=server)
            self.plug(node, "eth0", switch, FILE_DHCP_MAC % (index, n))
        return switch

    def add_file_vm(self, pc, vm, switches):
        guest, dhcp, addresses, down, dummy, echo_extra = vm.guest, [], {}, [], [], []
        default_via, gateway = "", None
        boxes = {box.key: box for box in self.nats[pc]}
        for adapter in vm.attached():
            intf = adapter.interface
            fixed = guest.interfaces.get(intf)
            key = self.model.network_of(vm.name, intf)
            wired = self.key(vm, adapter)
            if not (wired in switches or wired in boxes and adapter.cable):
                dummy.append(intf)  # nothing to plug it into: a card that leads nowhere
                continue
            if not adapter.cable:
                down.append(intf)
            if fixed and fixed.address:
                addresses[intf] = fixed.address
                if fixed.gateway and not (default_via or gateway):
                    gateway = fixed.gateway
            elif key and self.model.address(vm.name, key):  # a lease (a pool used up: none)
                dhcp.append(intf)
                if self.model.networks[key].gateway and not (default_via or gateway):
                    default_via = intf  # the lowest adapter with a gateway (docs/labfiles.md)
            echo_extra += [(f.proto, f.guest_port) for f in adapter.forwards]
        for box in self.nats[pc]:  # a NAT network's forward to this VM
            echo_extra += [(f.proto, f.guest_port) for f in box.forwards
                           if box.key[0] == "natnetwork" and
                           self.model.holder(box.key, f.guest_ip) == vm.name]
        servers = [Dnsmasq(intf, first, last, str(ipaddress.ip_interface(
            guest.interfaces[intf].address).netmask), router=guest.interfaces[intf].address
            .split("/")[0], reservations=self.reservations(self.spec.vms(),
                                                            self.model.network_of(vm.name, intf)))
            for intf, (first, last) in guest.dhcp_servers.items()]
        ipv6 = self.ipv6(pc, vm)
        ipv6["slaac"] = [i for i in ipv6["slaac"] if i not in dummy + down]
        self.node(vm.name, dhcp=dhcp, addresses=addresses, gateway=gateway, **ipv6,
                  default_via=default_via, unplugged=down, unattached=dummy,
                  echo_extra=echo_extra, forwarding=guest.forwarding,
                  masquerade=guest.masquerade[0] if guest.masquerade else None,
                  dhcp_server=servers, role="VM on %s" % pc)
        self.vms[vm.name] = pc
        ports = {(id(v), a.slot): FIRST_VM_PORT + i for box in self.nats[pc]
                 for i, (v, a) in enumerate(box.members)}
        for adapter in vm.attached():
            key = self.key(vm, adapter)
            if key in boxes and adapter.cable:
                self.plug(vm.name, adapter.interface, boxes[key].switch, self.mac(vm, adapter),
                          port=ports[(id(vm), adapter.slot)])
            elif key in switches:  # a cable out: plugged, and down
                self.plug(vm.name, adapter.interface, switches[key], self.mac(vm, adapter))

    def ipv6(self, pc, vm):
        """A VM's IPv6 (node parameters): SLAAC where a router advertises a prefix (the LAN,
        a NAT network with --ipv6 on), and the fixed addresses its guest section gives."""
        nets = self.spec.hosts[pc].natnetworks
        slaac = [a.interface for a in vm.attached() if KINDS[a.kind].scope == THE_LAN or (
            a.kind == "natnetwork" and a.network in nets and nets[a.network].ipv6
            and nets[a.network].enabled)]
        fixed = {i: g for i, g in vm.guest.interfaces.items() if g.address6}
        return dict(slaac=slaac, addresses6={i: g.address6 for i, g in fixed.items()},
                    gateway6=next((g.gateway6 for g in fixed.values() if g.gateway6), None))

    def key(self, vm, adapter):
        """The network an adapter is on, its cable in or out (the model's key)."""
        scope = KINDS[adapter.kind].scope
        return {NOTHING: None, OWN: ("nat", vm.name, adapter.slot), THE_LAN: LAN}.get(
            scope, (adapter.kind, vm.host, adapter.network))

    def routers(self, rundir):
        return nat_routers(self, rundir)

    def host_only(self, pc):
        return tuple(self.spec.hosts[pc].hostonly) if pc in self.spec.hosts else ()

    def host_nets(self, pc):
        """The host PC's host-only networks: its NAT VMs reach them as the host does."""
        host = self.spec.hosts.get(pc)
        return tuple(str(i.network()) for i in host.hostonly.values()) if host else ()


MODE = Mode("lab", VboxLab, columns=())
