"""The OpenFlow engine (engine=openflow): the controller translates, the switch carries. Pure
Python.

The first packet of a TCP/UDP session comes to the controller, which gives it an outside
port (controllers.nat_table) and installs the session's pair of flows
(controllers.session_flows); the rest is rewritten in the switch. OpenFlow 1.3 can neither
match nor rewrite the ICMP echo identifier, nor what an ICMP error quotes, so echoes and
errors are translated here by hand, as is the refusal a VM gets when the NAT has no port
left for it. After a (re)connect the switch's session flows are adopted; now and then a
slice of them is read again (audit) to end sessions whose flows are gone.
"""

import logging

from controllers import packets, session_flows
from controllers.nat_engine import NatEngine
from controllers.nat_table import INWARD, OUTWARD, Caps, NatTable, session_of, sessions_slice
from controllers.packets import ICMP_DEST_UNREACH
from controllers.router_flows import (
    ETH_IP,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    ICMP_ERRORS,
    PRIO_SYN,
    PRIO_TRAP,
    TCP_ACK,
    TCP_SYN,
)
from controllers.rules import CONTROLLER, TABLE, Flow, Output, PacketOut
from controllers.session_flows import IP_PROTO, L4_FIELDS, PROTO_NAME

log = logging.getLogger("vmnet.router")

ICMP_TIMEOUT = 30  # seconds an idle echo mapping is kept (as Linux's conntrack does)
ADOPT_WAIT = 3.0  # seconds to wait for the switch's flow table after a (re)connect
AUDIT_SESSIONS = 128  # sessions an audit reads at most about: a big table is read in slices


def standing_flows(c):
    """The engine's own standing flows, for the router configured by `c`
    (controllers.config.RouterConfig), above the ones every router has
    (controllers.router_flows.base_flows)."""
    ip = {"eth_type": ETH_IP}
    echo_reply = dict(ip, ip_proto=IP_PROTO["icmp"], icmpv4_type=ICMP_ECHO_REPLY)
    rules = [
        # echo replies: for a VM (translated by the controller) or for the host PC itself
        Flow(PRIO_TRAP, dict(echo_reply, in_port=c.uplink_port, ipv4_dst=c.outside_ip),
             (Output(CONTROLLER),)),
        Flow(PRIO_TRAP, dict(echo_reply, in_port=c.host_port, ipv4_dst=c.gateway_ip),
             (Output(CONTROLLER),)),
    ]
    # A VM's TCP SYN goes to the controller by a flow of its own (the miss would take it
    # too): matching on the flags makes the switch's datapath cache "to the controller" for
    # SYNs only, so the ACK that follows finds the session's new flows instead of a cached
    # trip to the controller (which a lone SYN would have cached for the whole 5-tuple).
    for port in c.vm_ports:
        rules.append(Flow(PRIO_SYN, dict(ip, in_port=port, ip_proto=IP_PROTO["tcp"],
                                         tcp_flags=(TCP_SYN, TCP_SYN | TCP_ACK)),
                          (Output(CONTROLLER),)))
    for kind in ICMP_ERRORS:  # about a VM's packet: translated back to the VM
        rules.append(Flow(PRIO_TRAP, dict(ip, in_port=c.uplink_port, ip_proto=IP_PROTO["icmp"],
                                          ipv4_dst=c.outside_ip, icmpv4_type=kind),
                          (Output(CONTROLLER),)))
    # A port forward's first packet, from the LAN or from the host PC. A TCP forward's
    # trap takes SYNs only, for the same reason: trapping every segment cached "to the
    # controller" for the client's ACK, request and FIN too, which then took ~15 ms through
    # the controller; the client resent its FIN (a tail-loss probe), and the copy overtook
    # them on the session's flows (tests/lab/test_load.py's pc1 path: ~1% resent).
    for f in c.forwards:
        for port, address in f.entries(c):
            match = dict(ip, in_port=port, ip_proto=IP_PROTO[f.proto], ipv4_dst=address,
                         **{L4_FIELDS[f.proto][1]: f.outside_port})
            if f.proto == "tcp":
                match["tcp_flags"] = (TCP_SYN, TCP_SYN | TCP_ACK)
            rules.append(Flow(PRIO_TRAP, match, (Output(CONTROLLER),)))
    return rules


class OpenFlowNat(NatEngine):
    reads_flow_table = True
    # one outside port per inside endpoint whatever the remote, as VirtualBox's NAT keeps
    stun_type = "Independent Mapping, Port Dependent Filter, random port, no hairpin"

    def __init__(self, cfg, drops, facts):
        super().__init__(cfg, drops, facts)
        self.nat = NatTable(cfg.ports, cfg.forwards, per_inside=cfg.mappings, caps=Caps(
            per_vm=cfg.sessions, per_forward=cfg.sessions, total=cfg.sessions_total))
        # After a (re)connect, new sessions wait until the switch's flows are adopted, so
        # that no outside port or cookie is handed out twice.
        self.adopting, self.adopting_since = False, None
        self.audits = 0  # how many audits were asked for: the next slice to read
        self.audited = (0, 1)  # (part, parts) of the slice being read

    def connected(self):
        self.adopting, self.adopting_since = True, None
        return standing_flows(self.cfg)

    def tick(self, now):
        """Expiry, and giving up on a switch that sends no flow table."""
        before = len(self.nat.mappings)
        self.nat.expire(now, ICMP_TIMEOUT)
        if self.adopting:
            self.adopting_since = self.adopting_since or now
            if now - self.adopting_since > ADOPT_WAIT:
                log.warning("%s: the switch sent no flow table; starting afresh", self.cfg.name)
                self.adopting = False
        self.changed = self.changed or len(self.nat.mappings) != before
        return []

    # --- a VM's packet ---
    def outward(self, frame, in_port, way, now):
        ip, icmp, l4 = frame.ip, frame.icmp, frame.l4
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
            self.changed = True
            return self.carry(session, known, in_port, frame.src, way, in_port, frame.data)
        if icmp and icmp.type == ICMP_ECHO_REQUEST:
            mapping = self.nat.mapping_for("icmp", ip.src, icmp.ident, now)
            if mapping is None:
                return []
            self.changed = True
            out = packets.rewrite_echo(frame, way.src_mac, way.next_mac, src=way.src_ip,
                                       ident=mapping.outside_port, hop=True)
            return [PacketOut(in_port, (Output(way.port),), out)]
        return []

    def refusal(self, frame, proto, in_port):
        """A TCP reset, or for UDP an ICMP 'administratively prohibited', back to the VM."""
        c = self.cfg
        if proto == "tcp":
            answer = packets.tcp_reset(frame, c.gateway_mac)
        else:
            answer = packets.icmp_error(frame, c.gateway_mac, c.gateway_ip, ICMP_DEST_UNREACH,
                                        packets.CODE_ADMIN_PROHIBITED)
        return PacketOut(CONTROLLER, (Output(in_port),), answer)

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

    # --- the LAN's and the host PC's side ---
    def inward(self, frame, in_port, way, now):
        icmp = frame.icmp
        if icmp and icmp.type == ICMP_ECHO_REPLY:
            return self.echo_reply_in(frame, in_port)
        if icmp and icmp.type in ICMP_ERRORS and in_port == self.cfg.uplink_port:
            return self.icmp_error_in(frame.data, now)
        return self.forward_in(frame, way, in_port, now)

    def forward_in(self, frame, way, in_port, now):
        """A packet for a port forward, from the LAN (to the outside address) or from the
        host PC (to the gateway's address, as VirtualBox's host reaches a forward on its
        loopback): a session to the VM. Anything else passes on, as the host PC's own."""
        ip, l4 = frame.ip, frame.l4
        passing = [PacketOut(in_port, (Output(self.across(in_port)),), frame.data)]
        proto = PROTO_NAME[ip.proto]
        mapping = l4 and ip.dst == way.src_ip and self.nat.inbound(proto, l4.dst_port)
        if not mapping or not mapping.forward or (in_port, ip.dst) not in (
                entry for f in self.cfg.forwards if (f.proto, f.outside_port) == (
                    proto, l4.dst_port) for entry in f.entries(self.cfg)):
            return passing
        vm_mac, vm_port = self.facts.owner(mapping.inside_ip, now)
        if vm_port is None or self.adopting:
            return []
        key = (proto, mapping.inside_ip, mapping.inside_port, ip.src, l4.src_port)
        known = key in self.nat.by_flow
        session = self.nat.session(*key, now)
        if session is None:  # at a cap: dropped, as a full tracker drops it (the client retries)
            self.drops.drop("NAT: a port forward's new session refused (a cap)")
            return []
        self.changed = True
        return self.carry(session, known, vm_port, vm_mac, way, in_port, frame.data)

    def echo_reply_in(self, frame, in_port):
        """An echo reply: back to the VM whose request it answers, else on its way (to the
        host PC, or from it: the routers of plain NAT stand in a row before it)."""
        c = self.cfg
        mapping = self.nat.inbound("icmp", frame.icmp.ident)
        vm_mac, vm_port = self.facts.owner(mapping.inside_ip, mapping.last_used) if mapping \
            else (None, None)
        if vm_port is None:
            return [PacketOut(in_port, (Output(self.across(in_port)),), frame.data)]
        reply = packets.rewrite_echo(frame, c.gateway_mac, vm_mac, dst=mapping.inside_ip,
                                     ident=mapping.inside_port)
        return [PacketOut(c.uplink_port, (Output(vm_port),), reply)]

    def icmp_error_in(self, data, now):
        """An ICMP error quoting a translated packet goes back to its VM, untranslated."""
        c = self.cfg
        to_host = [PacketOut(c.uplink_port, (Output(c.host_port),), data)]
        quoted = packets.quoted_endpoint(data)
        if quoted is None or quoted[0] not in PROTO_NAME or quoted[2] != c.outside_ip:
            return to_host
        proto, port_at, _src = quoted
        mapping = self.nat.inbound(PROTO_NAME[proto], int.from_bytes(
            data[port_at:port_at + 2], "big"))
        vm_mac, vm_port = self.facts.owner(mapping.inside_ip, now) if mapping else (None, None)
        if vm_port is None:
            return to_host
        frame = packets.readdress_icmp_error(data, vm_mac, c.gateway_mac, mapping.inside_ip,
                                             port_at, mapping.inside_port)
        return [PacketOut(c.uplink_port, (Output(vm_port),), frame)]

    # --- the session flows' life, and the switch's own memory of them ---
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
        self.changed = True
        return [session_flows.delete(cookie)]

    def adopt(self, flows, now):
        """Take over the sessions whose flows the switch still holds (after a controller
        restart or a reconnect); delete session flows that cannot be understood."""
        self.adopting, self.changed = False, True
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
        self.changed = self.changed or bool(ended)
        return [session_flows.delete(cookie) for cookie in ended]

    def state(self, now):
        return {"nat": self.nat.rows(now), "caps": self.nat.cap_rows()}
