"""What a lab file lets reach what over IPv6, predicted from VirtualBox's rules beside the
IPv4 model (topos.labfile.model), whose networks and members it shares. Each prediction
carries its reason in one line (docs/labfiles.md, "IPv6").

A node's IPv6 addresses:
    link-local  on every link it has a cable on (formed from the MAC): reached by the nodes
                on the same link only, named with the asker's interface (fe80::...%eth0)
    the LAN     r1 advertises 2001:db8:1:1::/64: pc1, the host PCs and bridged VMs form an
                address from it, with r1 as their default route (routed, no NAT; r1's
                firewall lets nothing new in from the internet)
    NAT network with --ipv6 on, its /64 advertised: its VMs form an address in it; with
                --ipv6-default on, a default route through the NAT, on which a VM reaches
                what its host reaches, as its host (VirtualBox's sockets)
    host-only   the host's address from `hostonlyif ipconfig --ipv6`; a guest's only from
                its [guest] section (VirtualBox's host-only DHCP server has no IPv6)
    plain NAT   nothing: VirtualBox's slirp drops IPv6
    inet        2001:db8:203::10
A host PC routes no IPv6, so a guest's gateway there reaches the host's own addresses only.
"""

import ipaddress
from dataclasses import dataclass

from plan.addressing import (
    FILE_HOST_MAC,
    FILE_VM_MAC,
    HOST_PCS,
    INET6_IP,
    PCS,
    link_local,
    slaac_ip,
)
from plan.addressing import pc_mac as world_mac
from topos.labfile.model import LAN, WAN, Prediction


def adapter_mac(spec, vm, adapter):
    """The MAC the lab gives an adapter: the file's, else VirtualBox's prefix, the VM's
    number (its order in the file), the slot."""
    number = [v.name for v in spec.vms()].index(vm.name) + 1
    return adapter.mac or FILE_VM_MAC % (number, adapter.slot, 0)


@dataclass(frozen=True)
class Address6:
    node: str
    interface: str
    key: tuple  # the network (the IPv4 model's key)
    address: str
    link: bool = False  # link-local

    @property
    def network(self):
        return None if self.link else ipaddress.ip_interface(self.address).network


class Ipv6Model:
    def __init__(self, spec, model):
        self.spec, self.model = spec, model
        self.addresses = {}  # node -> [Address6], global and link-local
        self.default = {}  # node -> its IPv6 default: "r1", or ("nat", host PC)
        for name in ("pc1",) + HOST_PCS:
            host = spec.hosts.get(name)
            self.add(name, "eth0", LAN, "%s/64" % slaac_ip(world_mac(PCS[name])))
            self.default[name] = "r1"
            for n, (ifname, interface) in enumerate(host.hostonly.items() if host else ()):
                key = ("hostonly", name, ifname)
                self.add(name, ifname, key, link_local(FILE_HOST_MAC % (
                    HOST_PCS.index(name) + 1, n)), link=True)
                if interface.address6:
                    self.add(name, ifname, key, interface.address6)
        self.add("inet", "eth0", WAN, INET6_IP + "/64")
        for host in spec.hosts.values():
            for vm in host.vms.values():
                self.add_vm(host, vm)

    def add(self, node, interface, key, address, link=False):
        self.addresses.setdefault(node, []).append(Address6(node, interface, key, address,
                                                            link))

    def add_vm(self, host, vm):
        self.addresses.setdefault(vm.name, [])
        for adapter in vm.attached():
            key = self.model.network_of(vm.name, adapter.interface)
            if key is None or key[0] == "nat":
                continue  # no cable, or VirtualBox's plain NAT: no IPv6
            mac = adapter_mac(self.spec, vm, adapter)
            self.add(vm.name, adapter.interface, key, link_local(mac), link=True)
            net = host.natnetworks.get(adapter.network) if key[0] == "natnetwork" else None
            if key == LAN:
                self.add(vm.name, adapter.interface, key, "%s/64" % slaac_ip(mac))
                self.default.setdefault(vm.name, "r1")
            elif net is not None and net.ipv6 and net.enabled:
                self.add(vm.name, adapter.interface, key, "%s/64" % slaac_ip(
                    mac, net.ipv6_prefix))
                if net.ipv6_default:
                    self.default.setdefault(vm.name, ("nat", host.name))
            fixed = vm.guest.interfaces.get(adapter.interface)
            if fixed and fixed.address6:
                self.add(vm.name, adapter.interface, key, fixed.address6)
                if fixed.gateway6:
                    self.default.setdefault(vm.name, ("gateway", key, fixed.gateway6))

    def globals(self, node):
        return [a for a in self.addresses.get(node, ()) if not a.link]

    def owner(self, address, key=None):
        """The node whose global address (on network `key`, if given) `address` is."""
        return next((a.node for addresses in self.addresses.values() for a in addresses
                     if not a.link and a.address.split("/")[0] == address
                     and key in (None, a.key)), None)

    def owner_address(self, node, address):
        """The Address6 of `node` that is `address`, or None."""
        return next((a for a in self.globals(node) if a.address.split("/")[0] == address), None)

    def forward_entry(self, host, rule):
        """Where an IPv6 forward is asked: its host IP, else the host's LAN address."""
        return rule.host_ip or next(a for a in self.globals(host)
                                    if a.key == LAN).address.split("/")[0]

    # --- what is asked ---
    def questions(self):
        """[(source, Address6)]: every global address from every source, a link-local one
        from the VMs and host PCs on its link."""
        sources = [vm.name for vm in self.spec.vms()] + ["host1", "host2", "pc1", "inet"]
        found = []
        for target in sorted(self.addresses):
            for a in self.addresses[target]:
                for source in sources:
                    if source != target and (not a.link or self.on_link(source, a.key)):
                        found.append((source, a))
        return found

    def on_link(self, node, key):
        return any(a.key == key for a in self.addresses.get(node, ()))

    def reach(self, source, target):
        """Does a connection from `source` reach Address6 `target`?"""
        def result(ok, why):
            return Prediction(source, target.node, ok, why)

        if target.link:
            return result(True, "same link (link-local)")
        net = target.network
        if any(a.key == target.key and a.network == net for a in self.globals(source)):
            return result(True, "same link: %s" % net)
        if source == "inet":
            return result(False, "r1's firewall lets nothing new in from the internet")
        way = self.default.get(source)
        if way is None:
            return result(False, "%s has no IPv6 route to %s" % (source, net))
        if way == "r1":
            if target.key in (LAN, WAN):
                return result(True, "through r1 (routed, no NAT)")
            return result(False, "r1 has no route to %s" % net)
        if way[0] == "nat":
            host = way[1]
            if target.node == host:
                return result(True, "through the NAT network to its host's own address")
            on = self.reach(host, target)
            return result(on.reached, "through the NAT network, then as %s: %s" % (
                host, on.reason))
        gateway = way[2]
        owner = self.owner(gateway)
        if owner is not None and owner == target.node:
            return result(True, "through its gateway %s, the target's own address" % gateway)
        return result(False, "its gateway %s routes no IPv6 (%s)" % (
            gateway, "a host PC forwards nothing" if owner in HOST_PCS else "no router there"))

    def forwards(self):
        """[(host PC, labfile Forward, VM or None)] of the NAT networks' IPv6 forwards."""
        found = []
        for host in self.spec.hosts.values():
            for name, net in host.natnetworks.items():
                if not (net.ipv6 and net.enabled):
                    continue
                key = ("natnetwork", host.name, name)
                found += [(host.name, f, self.owner(f.guest_ip, key)) for f in net.forwards6]
        return found

    def reach_forward(self, source, host, rule, vm):
        if vm is None:
            return Prediction(source, host, False, "no VM holds %s" % rule.guest_ip)
        if source == host:
            return Prediction(source, vm, True, "IPv6 port forward, from the host itself")
        entry = self.owner_address(host, self.forward_entry(host, rule))
        if entry is None:
            return Prediction(source, vm, False, "%s has no address %s to listen on" % (
                host, rule.host_ip))
        on = self.reach(source, entry)
        if not on.reached:
            return Prediction(source, vm, False, "%s: %s" % (host, on.reason))
        return Prediction(source, vm, True, "IPv6 port forward of %s" % host)
