"""The virtual router of NAT mode: one switch on a host PC, driven as rules. Pure Python.

    port 1 (uplink)  the host PC's physical link to the LAN
    port 2 (host)    the host PC's own IP stack (its eth0, 192.168.1.10)
    ports 10...      the VMs' adapters (10.0.2.0/24, gateway 10.0.2.2)

The host PC's own traffic passes between uplink and host port untouched. The VMs get
DHCP (controllers.dhcp_server) and ARP for the gateway from here, talk to each other
through a learning switch confined to their ports, and reach everything else through
source NAT to the host PC's address. What every router does is here: port security, the
LAN's neighbours (controllers.neighbours), the gateway's ping reply, TTL-exceeded, the
state file. The translation is its NAT engine's (controllers.nat_engine says what it is
asked; controllers.engines names them): the controller's own flows (openflow) or Open
vSwitch's connection tracker (conntrack).
"""

import ipaddress

from controllers import packets
from controllers.alias import LOOPBACK
from controllers.boundary import Drops
from controllers.core import Core
from controllers.dhcp_server import DhcpServer
from controllers.engines import ENGINES
from controllers.ipv6_gate import Ipv6Gate
from controllers.ipv6_router import Ipv6Router
from controllers.learning import LearningSwitch
from controllers.nat_engine import RouterFacts
from controllers.neighbours import Neighbours
from controllers.packets import ICMP_TIME_EXCEEDED
from controllers.router_flows import (
    COOKIE_LEARNED,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    base_flows,
)
from controllers.rules import CONTROLLER, Output, PacketOut
from controllers.session_flows import PROTO_NAME, Way
from controllers.vm_ports import VmPorts

ASK_EVERY = 2.0  # seconds between ARP requests for a forward's guest address nobody holds


class VirtualRouter(Core):
    parses_headers = True

    def __init__(self, cfg):
        self.cfg = cfg
        self.inside = ipaddress.ip_network(cfg.inside_net)
        self.lan = ipaddress.ip_network(cfg.lan_net)
        self.drops = Drops(cfg.name)  # what the router refused, counted
        self.dhcp = DhcpServer(cfg, self.drops)
        self.ports = VmPorts(cfg, self.dhcp)  # the gate, and each VM's address
        self.ipv6 = Ipv6Gate()  # the gate's IPv6 half: who holds which IPv6 address
        # a NAT network's IPv6 (--ipv6 on), else none: IPv6 passes only between the VMs
        self.ipv6_router = Ipv6Router(cfg, self.ipv6, self.ports.mac) if (
            cfg.ipv6_prefix) else None
        self.neighbours = Neighbours(cfg, self.drops)
        # its flows carry a cookie of their own: a MAC that moves deletes learned flows only
        self.switch = LearningSwitch(name=cfg.name, flood=self.vm_flood, cookie=COOKIE_LEARNED)
        self.engine = ENGINES[cfg.engine](cfg, self.drops, RouterFacts(
            owner=self.ports.owner, vms=self.ports.vms, neighbour=self.neighbours.get,
            neighbours=self.neighbours.known, resolve=self.neighbours.resolve))
        self.dirty = False  # the state changed since take_state() (the engine's: its own flag)
        # where the router itself answers ARP and ping: its gateway, the host's loopback, its
        # DHCP server (a NAT network's .3), name server and TFTP server (plain NAT's .3, .4)
        self.own_addresses = {a for a in (cfg.gateway_ip, cfg.loopback_address,
                                          cfg.dhcp_server_address, cfg.dns_alias, cfg.tftp_ip)
                              if a}
        self.aliases = cfg.aliases()
        self.asked = {}  # a forward's guest address -> when it was last asked for (ARP)

    @property
    def reads_flow_table(self):
        return self.engine.reads_flow_table

    def vm_flood(self, in_port):
        return [p for p in self.cfg.vm_ports if p != in_port]

    # --- events ---
    def connected(self):
        # r1's MAC is asked for before the first packet needs it
        return (base_flows(self.cfg) + self.engine.connected()
                + (self.ipv6_router.connected() if self.ipv6_router else [])
                + [self.neighbours.request(self.cfg.lan_gateway)])

    def tick(self, now):
        """Expiry, ARP retries, and the engine's flows for what changed."""
        rules = self.engine.tick(now) + (self.ipv6_router.tick(now) if self.ipv6_router else [])
        self.dhcp.tick(now)
        return (rules + self.neighbours.retry(now) + self.ask_forwarded(now)
                + self.engine.after(now))

    def ask_forwarded(self, now):
        """ARP on the VMs' side for a port forward's guest address nobody holds yet (a
        static guest that has sent nothing, as VirtualBox's NAT asks): its answer tells the
        gate where it is (controllers.vm_ports), before a client's first packet needs it.
        Asked again every ASK_EVERY seconds while unanswered."""
        c, rules = self.cfg, []
        # a reserved address is a DHCP client's: its lease will say where it is
        for address in sorted({f.inside_ip for f in c.forwards} - set(c.reserved.values())):
            if self.ports.owner(address, now) != (None, None) or (
                    now < self.asked.get(address, -ASK_EVERY) + ASK_EVERY):
                continue
            self.asked[address] = now
            frame = packets.arp_request(c.gateway_mac, c.gateway_ip, address)
            rules.append(PacketOut(CONTROLLER, tuple(Output(p) for p in c.vm_ports), frame))
        return rules

    def packet_in(self, in_port, frame, now):
        """One frame (controllers.frame.Frame: the boundary read its headers). A frame from
        a VM's side passes the gate (controllers.vm_ports) before anything looks at what it
        carries: every path below starts after it."""
        c = self.cfg
        if in_port not in (c.uplink_port, c.host_port):
            refused = self.ports.refuses(in_port, frame.src) or (
                frame.ip6 is not None and self.ipv6.refuses(in_port, frame))
            if refused:
                self.drops.drop(refused)
                return []
        rules = self.routed6(in_port, frame, now)
        if rules is None and frame.ip is not None and frame.ip.fragment:
            rules = self.fragment(in_port, frame, now)
        elif rules is None:
            rules = self.engine.claims(in_port, frame, now)
            if rules is None:
                rules = self.route(in_port, frame, now)
        return rules + self.engine.after(now)

    def routed6(self, in_port, frame, now):
        """The IPv6 router's rules for the frame, or None when it is not the router's (no
        IPv6 here, the LAN's, a frame from one VM to another)."""
        r, c = self.ipv6_router, self.cfg
        if r is None or frame.ip6 is None or in_port == c.uplink_port:
            return None
        if in_port == c.host_port:
            return r.from_host(frame, now)
        return r.from_vm(in_port, frame, now)

    def route(self, in_port, frame, now):
        if frame.arp is None and (frame.ip is None or frame.ip.proto not in PROTO_NAME):
            # not translated (the NAT knows TCP, UDP and ICMP): GRE, IPv6, a VLAN-tagged
            # frame ... are data, whatever they carry
            return self.not_ip(in_port, frame, now)
        if in_port == self.cfg.uplink_port:
            return self.from_lan(frame, in_port, now)
        if in_port == self.cfg.host_port:
            return self.from_host(frame, now)
        return self.from_vm(frame, in_port, now)

    def fragment(self, in_port, frame, now):
        """Later fragments carry no ports, so no NAT flow can match them; re-injected they
        would come back for ever. The router does not reassemble: a fragment for the NAT is
        dropped (counted); between VMs or for the host PC it is forwarded like any frame."""
        if in_port in (self.cfg.uplink_port, self.cfg.host_port) or (
                frame.dst != self.cfg.gateway_mac):
            return self.not_ip(in_port, frame, now)
        self.drops.drop("IP fragment for the NAT (the virtual router does not reassemble)")
        return []

    def not_ip(self, in_port, frame, now):
        """Not for the NAT: passed between LAN and host PC, bridged between the VMs."""
        c = self.cfg
        if in_port == c.uplink_port:
            return [PacketOut(in_port, (Output(c.host_port),), frame.data)]
        if in_port == c.host_port:
            return [PacketOut(in_port, (Output(c.uplink_port),), frame.data)]
        if frame.dst == c.gateway_mac:
            self.drops.drop("a protocol the NAT does not translate")
            return []
        return self.switch.packet_in(in_port, frame, now)

    # --- the engine's flows in the switch (controllers.core.Core says when these come) ---
    def flow_removed(self, flow_cookie, now):
        return self.engine.flow_removed(flow_cookie, now)

    def adopt(self, flows, now):
        return self.engine.adopt(flows, now)

    def audit_slice(self):
        return self.engine.audit_slice()

    def audit(self, flows, asked_at, now):
        return self.engine.audit(flows, asked_at, now)

    # --- the VMs' side ---
    def from_vm(self, frame, in_port, now):
        """A frame the gate let in from a VM port (its source MAC is the port's adapter's)."""
        arp = frame.arp
        if arp:
            if arp.src_mac != frame.src:
                self.drops.drop("ARP whose sender is not the frame's source")
                return []
            # a VM speaks ARP for its own address only (0.0.0.0: a probe, RFC 5227), never
            # for the gateway's, its name server's or another VM's
            refused = arp.src_ip != "0.0.0.0" and self.ports.uses(in_port, arp.src_ip, now)
            if refused:
                self.drops.drop("ARP: " + refused)
                return []
            if arp.opcode == 1 and arp.dst_ip in self.own_addresses:
                c = self.cfg  # the gateway, and VirtualBox's name server at .3: one MAC
                frame = packets.arp_reply(c.gateway_mac, arp.dst_ip, arp.src_mac, arp.src_ip)
                return [PacketOut(CONTROLLER, (Output(in_port),), frame)]
            if arp.opcode == 2 and frame.dst == self.cfg.gateway_mac:
                return []  # an answer to the router (ask_forwarded): the gate has heard it
            return self.switch.packet_in(in_port, frame, now)
        ip = frame.ip
        if frame.udp and frame.udp.dst_port == 67:
            if frame.dhcp is None:
                return []
            rules = self.dhcp.message(frame.dhcp, frame.src, in_port, now)
            self.dirty = self.dirty or self.dhcp.changed
            return rules
        if frame.dst != self.cfg.gateway_mac:
            return self.switch.packet_in(in_port, frame, now)  # VM to VM
        refused = self.ports.uses(in_port, ip.src, now)
        if refused:
            self.drops.drop(refused)
            return []
        return self.route_out(frame, in_port, now)

    def route_out(self, frame, in_port, now):
        """A leased VM's packet to its gateway: answered, refused, or - once its next hop
        is known - the engine's to translate."""
        c, ip, icmp = self.cfg, frame.ip, frame.icmp
        dst = ipaddress.ip_address(ip.dst)
        alias = self.alias_of(frame)
        if alias:
            return self.to_alias(frame, in_port, alias.target_of(frame.l4.dst_port), now)
        if ip.dst in self.own_addresses:
            if not icmp or icmp.type != ICMP_ECHO_REQUEST:
                return []
            reply = packets.rewrite_echo(frame, c.gateway_mac, frame.src, src=ip.dst,
                                         dst=ip.src, kind=ICMP_ECHO_REPLY)
            # from CONTROLLER: a switch sends nothing back out of the port it came in by
            return [PacketOut(CONTROLLER, (Output(in_port),), reply)]
        if dst in self.inside:
            return []  # the VMs reach each other directly, not through the router
        if ip.ttl <= 1:  # a router does not forward it, and says so (traceroute's first hop)
            error = packets.icmp_error(frame, c.gateway_mac, c.gateway_ip, ICMP_TIME_EXCEEDED)
            return [PacketOut(CONTROLLER, (Output(in_port),), error)]
        if c.for_host(ip.dst):
            # to the host PC itself, or through it to its own networks (VirtualBox's NAT is
            # the host's sockets): it sees the router (gateway address) as the source
            way = Way(c.host_port, c.outside_mac, c.gateway_ip, c.gateway_mac)
        else:
            hop = ip.dst if dst in self.lan else c.lan_gateway
            mac = self.neighbours.get(hop)
            if mac is None:
                return self.neighbours.resolve(hop, in_port, frame, now)
            way = Way(c.uplink_port, mac, c.outside_ip, c.outside_mac)
        return self.engine.outward(frame, in_port, way, now)

    def alias_of(self, frame):
        """The config.Alias a VM's TCP or UDP packet is for, if any."""
        if frame.l4 is None:
            return None
        return next((a for a in self.aliases if a.address == frame.ip.dst
                     and a.port in (None, frame.l4.dst_port)), None)

    def to_alias(self, frame, in_port, target, now):
        """A packet to an address that stands for another (config.Alias: the NAT's name
        server at .3, the host's loopback at .2): translated as any packet, and sent on to
        `target` (address, port), which the VM never sees."""
        c = self.cfg
        if frame.ip.ttl <= 1:
            return []
        address, port = target
        if address in (c.outside_ip, LOOPBACK):  # the host PC itself: it sees the gateway ask
            way = Way(c.host_port, c.outside_mac, c.gateway_ip, c.gateway_mac, (address, port))
        else:
            hop = address if ipaddress.ip_address(address) in self.lan else c.lan_gateway
            mac = self.neighbours.get(hop)
            if mac is None:
                return self.neighbours.resolve(hop, in_port, frame, now)
            way = Way(c.uplink_port, mac, c.outside_ip, c.outside_mac, (address, port))
        return self.engine.outward(frame, in_port, way, now)

    # --- the LAN's and the host PC's side ---
    def from_lan(self, frame, in_port, now):
        c = self.cfg
        arp = frame.arp
        if arp:
            if arp.src_mac != frame.src:
                self.drops.drop("ARP on the LAN whose sender is not the frame's source")
                return []
            had = self.neighbours.gateway
            rules = []
            for port, waiting in self.neighbours.learn(arp.src_ip, arp.src_mac, now):
                rules += self.packet_in(port, waiting, now)
            self.dirty = self.dirty or had != self.neighbours.gateway  # topos.run.lab waits for it
            return rules
        way = Way(c.uplink_port, frame.src, c.outside_ip, c.outside_mac)
        return self.engine.inward(frame, in_port, way, now)

    def from_host(self, frame, now):
        c = self.cfg
        if frame.ip is None:
            return [PacketOut(c.host_port, (Output(c.uplink_port),), frame.data)]
        way = Way(c.host_port, frame.src, c.gateway_ip, c.gateway_mac)
        return self.engine.inward(frame, c.host_port, way, now)

    # --- what `natmap` and `leases` show, and a successor restores ---
    def state(self, now):
        return {"router": self.cfg.name, "dpid": self.cfg.dpid, **self.engine.state(now),
                "leases": self.dhcp.rows(now), "gateway": self.neighbours.gateway}

    def take_state(self, now):
        self.dirty = self.dirty or self.dhcp.changed or self.engine.changed
        if not self.dirty:
            return None
        self.dirty = self.dhcp.changed = self.engine.changed = False
        return self.state(now)

    def restore(self, state, now):
        rows = state.get("leases", ())
        for row in rows:
            if row.get("port") is not None and row.get("mac"):
                self.ports.keep(row["port"], row["mac"])
        self.dhcp.restore(rows, now)
