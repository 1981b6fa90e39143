"""The virtual router of NAT mode: one switch on a host PC, driven as rules. Pure Python.

    port 1 (uplink)  the host PC's physical link to the LAN
    port 2 (host)    the host PC's own IP stack (its eth0, 192.168.1.10)
    ports 10...      the VMs' adapters (10.0.2.0/24, gateway 10.0.2.2)

The host PC's own traffic passes between uplink and host port untouched. The VMs get
DHCP (controllers.dhcp_server) and ARP for the gateway from here, talk to each other
through a learning switch confined to their ports, and reach everything else through
source NAT to the host PC's address: the first packet of a TCP/UDP session comes here,
the rest is rewritten by the session's flows (controllers.session_flows). OpenFlow 1.3
can neither match nor rewrite the ICMP echo identifier, so echoes are translated here.
"""

import ipaddress
import logging

from controllers import packets, session_flows
from controllers.boundary import Drops
from controllers.core import Core
from controllers.dhcp_server import DhcpServer
from controllers.learning import LearningSwitch
from controllers.nat_table import INWARD, OUTWARD, Caps, NatTable, session_of, sessions_slice
from controllers.neighbours import Neighbours
from controllers.packets import ICMP_TIME_EXCEEDED
from controllers.router_flows import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_ERRORS, standing_flows
from controllers.router_icmp import IcmpByHand
from controllers.rules import CONTROLLER, TABLE, Output, PacketOut
from controllers.session_flows import PROTO_NAME, Way

log = logging.getLogger("vmnet.router")

ICMP_TIMEOUT = 30  # seconds an idle echo mapping is kept (as Linux's conntrack does)
ADOPT_WAIT = 3.0  # seconds to wait for the switch's flow table after a (re)connect
AUDIT_SESSIONS = 128  # sessions an audit reads at most about: a big table is read in slices


class VirtualRouter(IcmpByHand, Core):
    parses_headers = True
    reads_flow_table = True

    def __init__(self, cfg):
        self.cfg = cfg
        self.inside = ipaddress.ip_network(cfg.inside_net)
        self.lan = ipaddress.ip_network(cfg.lan_net)
        self.drops = Drops(cfg.name)  # what the router refused, counted
        self.dhcp = DhcpServer(cfg, self.drops)
        self.neighbours = Neighbours(cfg, self.drops)
        self.nat = NatTable(cfg.ports, cfg.forwards, per_inside=cfg.mappings, caps=Caps(
            per_vm=cfg.sessions, per_forward=cfg.sessions, total=cfg.sessions_total))
        self.switch = LearningSwitch(name=cfg.name, flood=self.vm_flood)
        self.dirty = False  # the state changed since take_state()
        # After a (re)connect, new sessions wait until the switch's flows are adopted, so
        # that no outside port or cookie is handed out twice.
        self.adopting, self.adopting_since = False, None
        self.audits = 0  # how many audits were asked for: the next slice to read
        self.audited = (0, 1)  # (part, parts) of the slice being read

    def vm_flood(self, in_port):
        return [p for p in self.cfg.vm_ports if p != in_port]

    # --- events ---
    def connected(self):
        self.adopting, self.adopting_since = True, None
        # r1's MAC is asked for before the first packet needs it
        return standing_flows(self.cfg) + [self.neighbours.request(self.cfg.lan_gateway)]

    def tick(self, now):
        """Expiry, ARP retries, and giving up on a switch that sends no flow table."""
        before = len(self.nat.mappings)
        self.nat.expire(now, ICMP_TIMEOUT)
        self.dhcp.tick(now)
        if self.adopting:
            self.adopting_since = self.adopting_since or now
            if now - self.adopting_since > ADOPT_WAIT:
                log.warning("%s: the switch sent no flow table; starting afresh", self.cfg.name)
                self.adopting = False
        self.dirty = self.dirty or len(self.nat.mappings) != before
        return self.neighbours.retry(now)

    def packet_in(self, in_port, frame, now):
        """One frame (controllers.frame.Frame: the boundary read its headers)."""
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

    def flow_removed(self, flow_cookie, now):
        """One of a session's flows expired. The session lives on while its other flow
        carries traffic (a one-way stream); with both gone it ends and frees its port."""
        cookie, direction = session_of(flow_cookie)
        session = self.nat.sessions.get(cookie)
        if session is None:
            return []
        session.flows.discard(direction)
        if session.flows:
            return []
        self.nat.end(cookie)
        self.dirty = True
        return [session_flows.delete(cookie)]

    # --- the switch's own memory, after a controller restart or a reconnect ---
    def adopt(self, flows, now):
        """Take over the sessions whose flows the switch still holds; delete session flows
        that cannot be understood."""
        self.adopting, self.dirty = False, True
        rejected = self.nat.take_over(session_flows.read_back(flows), now)
        return [session_flows.delete(cookie) for cookie in rejected]

    def audit_slice(self):
        """The next slice of the sessions: reading every flow of a big table at once costs
        the controller seconds (the framework parses each flow), with packets waiting."""
        parts = 1
        while len(self.nat.sessions) > parts * AUDIT_SESSIONS:
            parts *= 2
        self.audited = (self.audits % parts, parts)
        self.audits += 1
        return sessions_slice(*self.audited) + (parts,)

    def audit(self, flows, asked_at, now):
        """A session of the slice read whose flows the switch no longer holds (a
        flow-removed that never arrived) ends here, and its port is freed."""
        ended = self.nat.end_missing(session_flows.present(flows), asked_at - 1.0,
                                     *self.audited)
        self.dirty = self.dirty or bool(ended)
        return [session_flows.delete(cookie) for cookie in ended]

    # --- the VMs' side ---
    def from_vm(self, frame, in_port, now):
        if not self.dhcp.allowed(in_port, frame.src):
            self.drops.drop("port security: a source MAC bound to another port")
            return []
        arp = frame.arp
        if arp:
            if arp.src_mac != frame.src:
                self.drops.drop("ARP whose sender is not the frame's source")
                return []
            if arp.opcode == 1 and arp.dst_ip == self.cfg.gateway_ip:
                c = self.cfg
                frame = packets.arp_reply(c.gateway_mac, c.gateway_ip, arp.src_mac, arp.src_ip)
                return [PacketOut(CONTROLLER, (Output(in_port),), frame)]
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
        if self.dhcp.leases.owner(ip.src, now) != frame.src:
            self.drops.drop("a VM's packet from an address and MAC without a lease")
            return []
        return self.route_out(frame, in_port, now)

    def route_out(self, frame, in_port, now):
        c, ip, icmp = self.cfg, frame.ip, frame.icmp
        dst = ipaddress.ip_address(ip.dst)
        if ip.dst == c.gateway_ip:
            if not icmp or icmp.type != ICMP_ECHO_REQUEST:
                return []
            reply = packets.rewrite_echo(frame, c.gateway_mac, frame.src, src=ip.dst,
                                         dst=ip.src, kind=ICMP_ECHO_REPLY)
            return [PacketOut(in_port, (Output(in_port),), reply)]
        if dst in self.inside:
            return []  # the VMs reach each other directly, not through the router
        if ip.ttl <= 1:  # a router does not forward it, and says so (traceroute's first hop)
            error = packets.icmp_error(frame, c.gateway_mac, c.gateway_ip, ICMP_TIME_EXCEEDED)
            return [PacketOut(CONTROLLER, (Output(in_port),), error)]
        if ip.dst == c.outside_ip:
            # to the host PC itself: it sees the router (gateway address) as the source
            way = Way(c.host_port, c.outside_mac, c.gateway_ip, c.gateway_mac)
        else:
            hop = ip.dst if dst in self.lan else c.lan_gateway
            mac = self.neighbours.get(hop)
            if mac is None:
                return self.neighbours.resolve(hop, in_port, frame, now)
            way = Way(c.uplink_port, mac, c.outside_ip, c.outside_mac)
        l4 = frame.l4
        if l4 is not None:
            proto = PROTO_NAME[ip.proto]
            key = (proto, ip.src, l4.src_port, ip.dst, l4.dst_port)
            known = key in self.nat.by_flow
            if self.adopting and not known:
                self.drops.drop("a new connection while the switch's flows are being adopted")
                return []
            session = self.nat.session(*key, now)
            if session is None:  # a cap, or no port left: refuse, don't leave the VM
                self.drops.drop("NAT: a VM's new session refused (a cap, or no port left)")
                return [self.refusal(frame, proto, in_port)]  # waiting for a timeout
            self.dirty = True
            return self.carry(session, known, in_port, frame.src, way, in_port, frame.data)
        if icmp and icmp.type == ICMP_ECHO_REQUEST:
            mapping = self.nat.mapping_for("icmp", ip.src, icmp.ident, now)
            if mapping is None:
                return []
            self.dirty = True
            out = packets.rewrite_echo(frame, way.src_mac, way.next_mac, src=way.src_ip,
                                       ident=mapping.outside_port, hop=True)
            return [PacketOut(in_port, (Output(way.port),), out)]
        return []

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
        icmp = frame.icmp
        if icmp and icmp.type == ICMP_ECHO_REPLY:
            return self.echo_reply_in(frame, in_port)
        if icmp and icmp.type in ICMP_ERRORS:
            return self.icmp_error_in(frame.data, now)
        way = Way(c.uplink_port, frame.src, c.outside_ip, c.outside_mac)
        return self.forward_in(frame, way, in_port, now)

    def forward_in(self, frame, way, in_port, now):
        """A packet for a port forward, from the LAN (to the outside address) or from the
        host PC (to the gateway's address, as VirtualBox's host reaches a forward on its
        loopback): a session to the VM. Anything else passes on, as the host PC's own."""
        ip, l4 = frame.ip, frame.l4
        passing = [PacketOut(in_port, (Output(self.across(in_port)),), frame.data)]
        proto = PROTO_NAME[ip.proto]
        mapping = l4 and ip.dst == way.src_ip and self.nat.inbound(proto, l4.dst_port)
        if not mapping or not mapping.forward:
            return passing
        vm_mac, vm_port = self.dhcp.owner(mapping.inside_ip, now)
        if vm_port is None or self.adopting:
            return []
        key = (proto, mapping.inside_ip, mapping.inside_port, ip.src, l4.src_port)
        known = key in self.nat.by_flow
        session = self.nat.session(*key, now)
        if session is None:  # at a cap: dropped, as a full tracker drops it (the client retries)
            self.drops.drop("NAT: a port forward's new session refused (a cap)")
            return []
        self.dirty = True
        return self.carry(session, known, vm_port, vm_mac, way, in_port, frame.data)

    def carry(self, session, known, vm_port, vm_mac, way, in_port, data):
        """The session's flows, and the packet through the table (the new flows rewrite it).
        A packet of a session whose flows the switch holds already comes here when it raced
        them: the switch's datapath had cached 'to the controller' for such packets before
        the flows were installed. Sent through the table again it finds them; installing
        them again would cost the switch a revalidation of every cached flow."""
        c = self.cfg
        flows = [] if known and session.flows == {OUTWARD, INWARD} else session_flows.build(
            session, vm_port, vm_mac, way, c.gateway_mac, c.idle_timeout)
        return flows + [PacketOut(in_port, (Output(TABLE),), data)]

    def across(self, in_port):
        """Where the host PC's own traffic goes: between its port and the uplink."""
        return self.cfg.host_port if in_port == self.cfg.uplink_port else self.cfg.uplink_port

    def from_host(self, frame, now):
        c = self.cfg
        if frame.icmp and frame.icmp.type == ICMP_ECHO_REPLY:
            return self.echo_reply_in(frame, c.host_port)
        if frame.ip is None:
            return [PacketOut(c.host_port, (Output(c.uplink_port),), frame.data)]
        way = Way(c.host_port, frame.src, c.gateway_ip, c.gateway_mac)
        return self.forward_in(frame, way, c.host_port, now)

    # --- what `natmap` and `leases` show, and a successor restores ---
    def state(self, now):
        return {"router": self.cfg.name, "dpid": self.cfg.dpid, "nat": self.nat.rows(now),
                "caps": self.nat.cap_rows(),
                "leases": self.dhcp.rows(now), "gateway": self.neighbours.gateway}

    def take_state(self, now):
        self.dirty = self.dirty or self.dhcp.changed
        if not self.dirty:
            return None
        self.dirty = self.dhcp.changed = False
        return self.state(now)

    def restore(self, state, now):
        self.dhcp.restore(state.get("leases", ()), now)
