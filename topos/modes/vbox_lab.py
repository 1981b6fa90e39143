"""A lab built from a lab file (topos.labfile; docs/labfiles.md): VMs with up to four
adapters each, as the file's VBoxManage commands attach them.

    host-only   a switch per host-only interface, the host PC's vboxnetN on it, VirtualBox's
                DHCP server (dnsmasq on the host PC) when the file adds one
    intnet      a switch per internal network of a host PC, its DHCP server a node of its own
    nat         a virtual router per NAT adapter (controllers/), the host PC's routers in a
                row in front of it, as `--topo nat,per_vm=yes` puts them
    null        a card attached to nothing; a cable out: the card is down
Addresses are the model's (topos.labfile.model): a VirtualBox DHCP server hands them out
from the bottom of its range, in the order the VMs were made.
"""

import ipaddress

from mininet.link import OVSLink

from controllers import config
from controllers.engines import DEFAULT_ENGINE, ENGINES
from controllers.port_forward import Forward
from plan.addressing import (
    DPID_FILE_NETWORK,
    DPID_FILE_ROUTER,
    FILE_DHCP_MAC,
    FILE_HOST_MAC,
    FILE_VM_MAC,
    FIRST_VM_PORT,
    HOST_PCS,
    HOST_PORT,
    NAT_PORTS,
    PCS,
    UPLINK_PORT,
    pc_ip,
    pc_mac,
)
from topos.labfile.model import Model
from topos.labfile.reader import read
from topos.labfile.spec import LabFileError
from topos.modes.mode import Mode
from topos.modes.world import World
from topos.run.dhcp import Dnsmasq, Reservation
from topos.run.errors import LabError

BUILT = ("nat", "hostonly", "intnet", "null")  # the adapter kinds a lab file's lab has


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
        not_built_yet(self.spec)
        self.numbers = {vm.name: n for n, vm in enumerate(self.spec.vms(), start=1)}
        self.nat_adapters = {pc: [(vm, a) for vm in self.spec.hosts[pc].vms.values()
                                  for a in vm.attached() if a.kind == "nat" and a.cable]
                             if pc in self.spec.hosts else [] for pc in HOST_PCS}

    @property
    def column(self):
        return "lab"  # no column of the contract: `vmnet check FILE` proves the model's own

    def mac(self, vm, adapter):
        return adapter.mac or FILE_VM_MAC % (self.numbers[vm.name], adapter.slot, 0)

    # --- the host PCs: their NAT routers in a row, their host-only interfaces ---
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
        self.node(name, dhcp=["eth0"], addresses=addresses, dhcp_server=servers,
                  role="host PC")
        before = lan
        for vm, adapter in self.nat_adapters[name]:
            router = self.switch(self.router_name(vm, adapter), self.router_dpid(vm, adapter))
            self.switch_roles[router] = "%s's NAT adapter %d (virtual router)" % (
                vm.name, adapter.slot)
            self.addLink(router, before, cls=OVSLink, port1=UPLINK_PORT,
                         port2=None if before is lan else HOST_PORT,
                         intfName1="%s-up" % router,
                         intfName2="lan-%s" % router if before is lan else "%s-host" % before)
            before = router
        self.plug(name, "eth0", before, mac, port=None if before is lan else HOST_PORT)
        for n, ifname in enumerate(host.hostonly):
            switch = self.switch("%s-vbox%d" % (name, n),
                                 DPID_FILE_NETWORK + 16 * index + n)
            self.switch_roles[switch] = "host-only network (%s)" % ifname
            self.plug(name, ifname, switch, FILE_HOST_MAC % (index, n))

    def router_name(self, vm, adapter):
        return "vr%d-%d" % (self.numbers[vm.name], adapter.slot)  # its ports' names: 15 at most

    def router_dpid(self, vm, adapter):
        return DPID_FILE_ROUTER + 8 * self.numbers[vm.name] + adapter.slot

    def vbox_dhcp(self, host, key, interface="", network=""):
        """dnsmasq as VirtualBox's DHCP server there, each VM's lease reserved as the model
        predicts it; None when the file adds none (or a disabled one)."""
        server = next((s for s in host.dhcp_servers if s.enabled and
                       (s.interface, s.network) == (interface, network)), None)
        if server is None:
            return None
        reservations = []
        for vm in host.vms.values():
            for adapter in vm.attached():
                address = self.model.address(vm.name, key) if self.model.network_of(
                    vm.name, adapter.interface) == key else None
                if address:
                    reservations.append(Reservation(self.mac(vm, adapter), address, vm.name))
        return Dnsmasq(interface or "eth0", server.lower, server.upper, server.netmask,
                       router=None, reservations=tuple(reservations))

    # --- the networks and the VMs ---
    def add_mode(self):
        for pc, host in self.spec.hosts.items():
            index = HOST_PCS.index(pc) + 1
            intnets = sorted({a.network for vm in host.vms.values() for a in vm.attached()
                              if a.kind == "intnet"})
            switches = {("hostonly", pc, i): "%s-vbox%d" % (pc, n)
                        for n, i in enumerate(host.hostonly)}
            for n, name in enumerate(intnets):
                switch = self.switch("%s-int%d" % (pc, n), DPID_FILE_NETWORK + 16 * index + 8 + n)
                switches[("intnet", pc, name)] = switch
                self.switch_roles[switch] = "internal network %s" % name
                server = self.vbox_dhcp(host, ("intnet", pc, name), network=name)
                if server:
                    node = "dhcp%d%d" % (index, n)
                    first = next(s for s in host.dhcp_servers if s.network == name)
                    prefix = ipaddress.ip_network("0.0.0.0/%s" % first.netmask).prefixlen
                    self.node(node, role="VirtualBox's DHCP server of %s" % name, echo=False,
                              addresses={"eth0": "%s/%d" % (first.server_ip, prefix)},
                              dhcp_server=server)
                    self.plug(node, "eth0", switch, FILE_DHCP_MAC % (index, n))
            for vm in host.vms.values():
                self.add_file_vm(pc, vm, switches)

    def add_file_vm(self, pc, vm, switches):
        guest, dhcp, addresses, down, dummy, echo_extra = vm.guest, [], {}, [], [], []
        default_via, gateway = "", None
        for adapter in vm.attached():
            intf = adapter.interface
            fixed = guest.interfaces.get(intf)
            key = self.model.network_of(vm.name, intf) or (adapter.kind, pc, adapter.network)
            if adapter.kind == "null" or adapter.kind == "nat" and not adapter.cable:
                dummy.append(intf)  # a NAT adapter's cable out: no router to plug it into
                continue
            if not adapter.cable:
                down.append(intf)
            if fixed and fixed.address:
                addresses[intf] = fixed.address
                if fixed.gateway and not (default_via or gateway):
                    gateway = fixed.gateway
            elif adapter.cable and (adapter.kind == "nat" or self.model.networks.get(key) and
                                    self.model.networks[key].dhcp):
                dhcp.append(intf)
                if adapter.kind == "nat" and adapter.cable and not (default_via or gateway):
                    default_via = intf  # the lowest adapter with a gateway (docs/labfiles.md)
            echo_extra += [(f.proto, f.guest_port) for f in adapter.forwards]
        self.node(vm.name, dhcp=dhcp, addresses=addresses, gateway=gateway,
                  default_via=default_via, unplugged=down, unattached=dummy,
                  echo_extra=echo_extra, role="VM on %s" % pc)
        self.vms[vm.name] = pc
        for adapter in vm.attached():
            if adapter.kind == "nat" and adapter.cable:
                self.plug(vm.name, adapter.interface, self.router_name(vm, adapter),
                          self.mac(vm, adapter), port=FIRST_VM_PORT)
            elif adapter.kind in ("hostonly", "intnet"):
                self.plug(vm.name, adapter.interface,
                          switches[(adapter.kind, pc, adapter.network)], self.mac(vm, adapter))

    def routers(self, rundir):
        """A virtual router per NAT adapter (its cable in), the host PC's sharing its
        outside ports."""
        result = []
        for pc in HOST_PCS:
            adapters = self.nat_adapters[pc]
            first, last = NAT_PORTS
            width = (last - first + 1) // max(1, len(adapters))
            for order, (vm, adapter) in enumerate(adapters):
                net = adapter.nat_network()
                guest = str(net.network_address + 15)
                name = "%s-%d" % (vm.name, adapter.slot)
                result.append(config.RouterConfig(
                    name=name, dpid=self.router_dpid(vm, adapter),
                    outside_ip=pc_ip(pc), outside_mac=pc_mac(PCS[pc]),
                    inside_net=str(net), gateway_ip=str(net.network_address + 2),
                    dhcp_first=guest, dhcp_size=1,
                    reserved={self.mac(vm, adapter): guest},
                    attached={self.mac(vm, adapter): FIRST_VM_PORT}, vm_ports=(FIRST_VM_PORT,),
                    ports=(first + order * width, first + (order + 1) * width - 1),
                    engine=self.options["engine"],
                    forwards=tuple(Forward(f.proto, f.host_port, f.guest_ip or guest,
                                           f.guest_port, from_lan=f.host_ip != "127.0.0.1")
                                   for f in adapter.forwards),
                    state_file="%s/natmap-%s.json" % (rundir, name) if rundir else None))
        return result


def not_built_yet(spec):
    """What a lab file may say that the lab does not build yet: refused, with its line."""
    for vm in spec.vms():
        for adapter in vm.attached():
            if adapter.kind not in BUILT:
                raise LabFileError(spec.path, adapter.line, "%s adapter %d: --nic%d %s is read "
                                   "and predicted (vmnet predict) but not built yet; the lab "
                                   "builds %s" % (vm.name, adapter.slot, adapter.slot,
                                                  adapter.kind, ", ".join(BUILT)))
        if vm.guest.forwarding or vm.guest.masquerade or vm.guest.dhcp_servers:
            raise LabFileError(spec.path, vm.guest.line, "[guest %s]: a router guest (forward,"
                               " masquerade, dhcp-server) is predicted but not built yet" %
                               vm.name)


MODE = Mode("lab", VboxLab, columns=())
