"""What a lab file lets reach what, predicted from VirtualBox's rules before anything is
built (docs/labfiles.md, "The model"). Each prediction carries its reason in one line.

The lab's world: pc1, host1 and host2 on the LAN with r1 (NAT to the internet, where inet
is). VMs' adapters join networks:
    host-only  the VMs of one host-only interface and the host PC (which routes nothing)
    intnet     the VMs of one host PC that name the same internal network
    natnetwork the VMs of one NAT network and its gateway (.1), a NAT to the host PC's stack
    nat        the VM alone with its NAT engine (.2): out as the host PC, in only by forwards
    bridged    the LAN itself
A packet goes straight to a node on a network it shares; else to its default gateway. A
guest with several gateways takes its lowest adapter's (Debian's ifupdown brings eth0 up
first, and a later default route is refused). A NAT sends on as the host PC or router it
belongs to, and lets in only replies and forwards; a host PC does not forward.
"""

from dataclasses import dataclass
from typing import Optional

from topos.labfile.kinds import KINDS, NOTHING, OWN, THE_LAN
from topos.labfile.pools import leases

LAN, WAN = ("lan",), ("wan",)
WORLD = {  # node -> [(network, interface)]; r1 is the LAN's gateway and the WAN's edge
    "pc1": [(LAN, "eth0")], "host1": [(LAN, "eth0")], "host2": [(LAN, "eth0")],
    "r1": [(LAN, "eth1"), (WAN, "eth0")], "inet": [(WAN, "eth0")],
}
MAX_HOPS = 8


@dataclass(frozen=True)
class Network:
    key: tuple  # ("hostonly", host, "vboxnet0"), ("nat", vm, slot), LAN ...
    label: str
    gateway: Optional[str] = None  # the node DHCP offers as the default gateway
    dhcp: bool = False  # addresses handed out here (else only fixed ones)


@dataclass(frozen=True)
class Prediction:
    source: str
    target: str
    reached: bool
    reason: str
    seen_as: Optional[str] = None  # whom the target sees the traffic come from


class Model:
    def __init__(self, spec, routes=None):
        self.spec = spec
        # extra routes: {node: gateway node} taken for what is not on the node's networks
        # (the contract's claim 5 gives pc1 a route to the VMs via host1)
        self.routes = routes or {}
        self.networks = {LAN: Network(LAN, "the LAN", "r1", True),
                         WAN: Network(WAN, "the internet", None, False)}
        self.members = {node: list(nets) for node, nets in WORLD.items()}
        self.nats = {}  # NAT gateway node -> (host PC, what it is)
        for host in spec.hosts.values():
            hostonly = KINDS["hostonly"]
            for name in host.hostonly:  # the host PC's own interface on it
                key = ("hostonly", host.name, name)
                self.add(key, hostonly.label % {"network": name, "host": host.name}, None,
                         hostonly.dhcp(host, name))
                self.members[host.name].append((key, name))
            for name, net in host.natnetworks.items():
                # a disabled NAT network: VirtualBox starts neither its gateway nor its
                # DHCP server; its VMs share a switch, as on an internal network
                gateway = "natnet:%s:%s" % (host.name, name) if net.enabled else None
                self.add(("natnetwork", host.name, name), "NAT network %s of %s%s" % (
                    name, host.name, "" if net.enabled else " (disabled: no NAT)"), gateway,
                    net.dhcp and net.enabled)
                if gateway:
                    self.nats[gateway] = (host.name, "NAT network %s" % name)
            for vm in host.vms.values():
                self.members[vm.name] = []
                for adapter in vm.attached():
                    self.attach(host, vm, adapter)
        for vm in spec.vms():  # a router guest's DHCP server offers itself as the gateway
            for interface in vm.guest.dhcp_servers:
                key = self.network_of(vm.name, interface)
                if key:
                    net = self.networks[key]
                    self.networks[key] = Network(key, net.label, vm.name, True)
        self.leases, self.short = leases(spec, self)

    def add(self, key, label, gateway, dhcp):
        self.networks.setdefault(key, Network(key, label, gateway, dhcp))

    def attach(self, host, vm, adapter):
        """An adapter on its network, as its kind (topos.labfile.kinds) keys it."""
        kind = KINDS[adapter.kind]
        if kind.scope == NOTHING or not adapter.cable:
            return  # an adapter with no network, or its cable out: nothing passes
        if kind.scope == OWN:  # a NAT adapter: its VM alone with its NAT engine
            key, gateway = ("nat", vm.name, adapter.slot), "nat:%s:%d" % (vm.name, adapter.slot)
            self.add(key, "%s's NAT adapter %d" % (vm.name, adapter.slot), gateway, True)
            self.nats[gateway] = (host.name, "%s's NAT adapter %d" % (vm.name, adapter.slot))
        elif kind.scope == THE_LAN:
            key = LAN
        else:
            key = (kind.name, host.name, adapter.network)
            self.add(key, kind.label % {"network": adapter.network, "host": host.name}, None,
                     kind.dhcp(host, adapter.network))
        self.members[vm.name].append((key, adapter.interface))

    # --- what a node has ---
    def network_of(self, node, interface):
        return next((k for k, i in self.members.get(node, ()) if i == interface), None)

    def addressed(self, node, key):
        """Has `node` an address on network `key` (a fixed one, or one DHCP hands out)?"""
        return self.spec.vm(node) is None or self.address(node, key) is not None

    def unaddressed(self, node, key):
        """Why a VM has no address on network `key`."""
        span, left = self.short.get(key, (None, ()))
        if node in left:
            return "no address on %s (its DHCP pool %s-%s is used up: its %d addresses " \
                "went to the VMs made before)" % (self.networks[key].label, span[0], span[1],
                                                   int(span[1]) - int(span[0]) + 1)
        return "no address on %s (no DHCP there, none fixed)" % self.networks[key].label

    def networks_of(self, node):
        return [k for k, _i in self.members.get(node, ()) if self.addressed(node, k)]

    def gateway(self, node):
        """(gateway node, network) a node sends what is not on its networks to."""
        if node in self.routes:
            return self.routes[node], LAN
        if node in ("pc1", "host1", "host2"):
            return "r1", LAN
        if node == "inet":
            return "r1", WAN
        vm = self.spec.vm(node)
        for key, interface in self.members.get(node, ()):
            fixed = vm.guest.interfaces.get(interface) if vm else None
            if fixed and fixed.address:
                if fixed.gateway:
                    return self.gateway_named(key, fixed.gateway), key
            elif self.networks[key].gateway and self.addressed(node, key):
                return self.networks[key].gateway, key
        return None, None

    def gateway_named(self, key, address):
        """The node that has `address` on a network (a guest's fixed gateway)."""
        for vm in self.spec.vms():
            for interface, conf in vm.guest.interfaces.items():
                if conf.address and conf.address.split("/")[0] == address and \
                        self.network_of(vm.name, interface) == key:
                    return vm.name
        return self.networks[key].gateway or "(%s)" % address

    def forwards(self, node):
        vm = self.spec.vm(node)
        return bool(vm and vm.guest.forwarding)

    def masquerades(self, node, key):
        vm = self.spec.vm(node)
        return bool(vm) and any(self.network_of(node, i) == key for i in vm.guest.masquerade)

    # --- what is asked ---
    def reach_node(self, source, node):
        """`source` to `node` at the address it would use: one on a network they share,
        else the node's first (a host PC's is on the LAN)."""
        nets = [k for k, _i in self.members.get(node, ())]
        if not nets:
            return Prediction(source, node, False, "%s has no adapter on any network" % node)
        shared = [k for k in nets if k in self.networks_of(source)]
        return self.reach(source, node, (shared or nets)[0])

    def port_forwards(self):
        """[(host PC, Forward, VM, the VM's network)] of every NAT adapter and NAT network."""
        found = []
        for host in self.spec.hosts.values():
            for vm in host.vms.values():
                for adapter in vm.attached():
                    key = ("nat", vm.name, adapter.slot)
                    for f in adapter.forwards:  # to the guest's address, or one it names
                        named = not f.guest_ip or f.guest_ip == self.address(vm.name, key)
                        found.append((host.name, f, vm.name if named else None, key))
            for name, net in host.natnetworks.items():
                key = ("natnetwork", host.name, name)
                for f in net.forwards:
                    found.append((host.name, f, self.holder(key, f.guest_ip), key))
        return found

    def holder(self, key, address):
        """The VM that has `address` on a network, by its fixed address or its lease."""
        return next((node for node, nets in self.members.items() for k, _i in nets
                     if k == key and self.address(node, key) == address), None)

    def address(self, node, key):
        """A VM's address on a network: fixed, else its lease (topos.labfile.pools)."""
        vm = self.spec.vm(node)
        interface = dict(self.members.get(node, ())).get(key)
        fixed = vm.guest.interfaces.get(interface) if vm else None
        if fixed and fixed.address:
            return fixed.address.split("/")[0]
        return self.leases.get(key, {}).get(node)

    def reach_forward(self, source, host, forward, vm, key):
        """A connection from `source` to the host PC's forwarded port."""
        what = "%s:%d (%s) -> %s:%d" % (host, forward.host_port, forward.proto, vm,
                                        forward.guest_port)
        if key[0] == "natnetwork" and not self.networks[key].gateway:
            return Prediction(source, what, False, "%s: VirtualBox runs no NAT for it" %
                              self.networks[key].label)
        if vm is None:
            return Prediction(source, what, False, "the forward names %s, which no VM has" %
                              forward.guest_ip)
        if forward.host_ip == "127.0.0.1" and source != host:
            return Prediction(source, what, False, "bound to %s's loopback" % host)
        to_host = self.reach_node(source, host) if source != host else None
        if to_host is not None and not to_host.reached:
            return Prediction(source, what, False, "%s: %s" % (host, to_host.reason))
        if key not in dict(self.members[vm]) or not self.addressed(vm, key):
            return Prediction(source, what, False, "%s is not on %s" % (
                vm, self.networks.get(key, Network(key, str(key))).label))
        return Prediction(source, what, True, "port forward of %s" % self.networks[key].label,
                          host)

    # --- the walk ---
    def reach(self, source, target, target_net):
        """Does a connection from `source` reach `target`'s address on `target_net`?"""
        return self.send(source, target, target_net, source, 0)

    def send(self, source, target, key, origin, hops):
        def result(ok, why, seen=origin):
            return Prediction(source, target, ok, why, seen if ok else None)

        if hops > MAX_HOPS:
            return result(False, "no way within %d hops (a routing loop?)" % MAX_HOPS)
        label = self.networks[key].label
        if key in dict(self.members.get(target, ())) and not self.addressed(target, key):
            return result(False, "%s has %s" % (target, self.unaddressed(
                target, key)))
        if source == target:
            return result(True, "its own address")
        if key in dict(self.members.get(source, ())) and not self.addressed(source, key):
            return result(False, "%s has %s" % (source, self.unaddressed(
                source, key)))
        if key in self.networks_of(source):
            if self.masquerades(target, key):
                return result(False, "%s lets nothing new in on %s (it masquerades out of it)"
                              % (target, label))
            return result(True, "same network: %s" % label)
        hop, via = self.gateway(source)
        if hop is None:
            return result(False, "%s has no way to %s (no gateway)" % (source, label))
        if hop.startswith("("):  # a fixed gateway no node has (gateway_named)
            return result(False, "nothing answers at %s's gateway %s" % (source, hop[1:-1]))
        return self.forward(hop, via, source, target, key, origin, hops)

    def forward(self, hop, via, source, target, key, origin, hops):
        label = self.networks[key].label
        if hop in self.nats:  # VirtualBox's NAT: on as the host PC's own connection
            host, what = self.nats[hop]
            if target == host:
                return Prediction(source, target, True, "%s to its host's own address" % what,
                                  host)
            on = self.send(host, target, key, host, hops + 1)
            return Prediction(source, target, on.reached, "%s, then as %s: %s" % (
                what, host, on.reason), on.seen_as)
        if hop == "r1":
            if via == WAN and key != WAN:
                return Prediction(source, target, False, "r1's NAT lets nothing in from the "
                                  "internet")
            if key in (LAN, WAN):
                seen = "r1" if key == WAN else origin
                return Prediction(source, target, True, "through r1 to %s" % label, seen)
            return Prediction(source, target, False, "r1 has no route to %s" % label)
        if not self.forwards(hop):
            return Prediction(source, target, False, "%s does not forward (it is no router)"
                              % hop)
        if self.masquerades(hop, via):
            return Prediction(source, target, False, "%s lets nothing in from %s (it "
                              "masquerades out of it)" % (hop, self.networks[via].label))
        on = self.send(hop, target, key, origin, hops + 1)
        if not on.reached:
            return Prediction(source, target, False, "via %s: %s" % (hop, on.reason))
        out = self.egress(hop, key)
        if out is not None and self.masquerades(hop, out):
            return Prediction(source, target, True, "via %s (masqueraded): %s" % (
                hop, on.reason), hop if on.seen_as == origin else on.seen_as)
        back = self.send(target, source, self.home(source), target, hops + 1)
        if not back.reached:
            return Prediction(source, target, False, "via %s, but no way back: %s" % (
                hop, back.reason))
        return Prediction(source, target, True, "via %s: %s" % (hop, on.reason), on.seen_as)

    def egress(self, node, key):
        """The network `node` sends towards `key` on: its own, or its gateway's."""
        if key in self.networks_of(node):
            return key
        return self.gateway(node)[1]

    def home(self, node):
        nets = self.networks_of(node)
        return nets[0] if nets else LAN
