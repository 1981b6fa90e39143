"""The virtual router of NAT mode: one switch on a host PC, driven as rules. Pure Python.

    port 1 (uplink)  the host PC's physical link to the LAN
    port 2 (host)    the host PC's own IP stack (its eth0, 192.168.1.10)
    ports 10...      the VMs' adapters (10.0.2.0/24, gateway 10.0.2.2)

The host PC's own traffic passes between uplink and host port untouched. The VMs
get DHCP and ARP for the gateway from here, talk to each other through a learning
switch confined to their ports, and reach everything else through source NAT to
the host PC's address: the first packet of a TCP/UDP session comes here, the rest
is rewritten by the switch's flows. OpenFlow 1.3 can neither match nor rewrite
the ICMP echo identifier, so echo requests and replies are translated here.
"""

import ipaddress
import json
import logging
import os
import socket
import struct
from dataclasses import dataclass, field

from controllers.boundary import Drops
from controllers.checksum import ones_complement_sum
from controllers.framework import packet_lib
from controllers.learning import LearningSwitch, mac_text
from controllers.leases import Lease, LeasePool
from controllers.nat import INWARD, OUTWARD, NatTable, session_of
from controllers.rules import (
    CONTROLLER,
    TABLE,
    DecTtl,
    DeleteFlows,
    Flow,
    Output,
    PacketOut,
    SetField,
)

log = logging.getLogger("vmnet.router")

ETH_IP, ETH_ARP = 0x0800, 0x0806
IP_PROTO = {"icmp": 1, "tcp": 6, "udp": 17}
L4_FIELDS = {"tcp": ("tcp_src", "tcp_dst"), "udp": ("udp_src", "udp_dst")}
BROADCAST = "ff:ff:ff:ff:ff:ff"
ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST = 0, 8
ICMP_ERRORS = (3, 11)  # destination unreachable, time exceeded: they quote the packet
PROTO_NAME = {1: "icmp", 6: "tcp", 17: "udp"}
ICMP_TIMEOUT = 30  # seconds an idle echo mapping is kept (as Linux's conntrack does)
PENDING_LIMIT = 32  # frames held per address while its MAC is being resolved
PENDING_ADDRESSES = 64  # addresses being resolved at once
ARP_TRIES, ARP_INTERVAL = 3, 1.0  # an unanswered ARP request is retried, then given up
NEIGHBOUR_HOLD = 30.0  # seconds a LAN neighbour's MAC stands before another may replace it
CLIENTS_PER_PORT = 2  # DHCP clients (offers or leases) one VM port may hold
ADOPT_WAIT = 3.0  # seconds to wait for the switch's flow table after a (re)connect
COOKIE_MASK = 2**64 - 1

PRIO_MISS, PRIO_PASS, PRIO_ARP, PRIO_TRAP, PRIO_SESSION = 0, 1, 5, 15, 20

DHCP_DISCOVER, DHCP_OFFER, DHCP_REQUEST, DHCP_DECLINE = 1, 2, 3, 4
DHCP_ACK, DHCP_NAK, DHCP_RELEASE = 5, 6, 7
OPT_MASK, OPT_ROUTER, OPT_REQUESTED, OPT_LEASE, OPT_TYPE, OPT_SERVER = 1, 3, 50, 51, 53, 54

P = None


def ip_bytes(text):
    return socket.inet_aton(text)


def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


def set_checksum(frame, at, start, end):
    """The Internet checksum of frame[start:end], written at `at`."""
    struct.pack_into("!H", frame, at, 0)
    struct.pack_into("!H", frame, at, ~ones_complement_sum(bytes(frame[start:end])) & 0xFFFF)


@dataclass
class Pending:
    """Frames waiting for a LAN neighbour's MAC, and the ARP requests asked so far."""

    tries: int
    next_try: float
    frames: list = field(default_factory=list)


def lib():
    global P
    if P is None:
        P = packet_lib()
    return P


class VirtualRouter:
    def __init__(self, cfg):
        self.cfg = cfg
        self.inside = ipaddress.ip_network(cfg.inside_net)
        self.lan = ipaddress.ip_network(cfg.lan_net)
        self.leases = LeasePool(cfg.dhcp_first, cfg.dhcp_size, cfg.lease_time, cfg.reserved)
        self.nat = NatTable(cfg.ports, cfg.forwards, per_inside=cfg.per_vm)
        self.switch = LearningSwitch(name=cfg.name, flood=self.vm_flood)
        # Port security: a VM port is bound to the MAC it leased with, and that MAC to it.
        self.vm_port = {}  # VM MAC -> switch port
        self.port_mac = {}  # switch port -> VM MAC
        self.client_port = {}  # DHCP client MAC -> the port it asked from
        self.neighbours = {}  # LAN address -> MAC (learned from ARP only)
        self.confirmed = {}  # LAN address -> when its MAC was last confirmed
        self.pending = {}  # LAN address -> Pending (frames waiting for its MAC)
        self.next_gateway_arp = 0.0
        self.dirty = False  # the state file is behind
        self.drops = Drops(cfg.name)  # what the router refused, counted
        # After a (re)connect, new sessions wait until the switch's flows are adopted
        # (adopt), so that no outside port or cookie is handed out twice.
        self.adopting = False
        self.adopting_since = None

    def vm_flood(self, in_port):
        return [p for p in self.cfg.vm_ports if p != in_port]

    # --- events ---
    def connected(self):
        """Rules for a switch that has just connected. The shell then asks the switch for
        its flows and hands them to adopt()."""
        self.adopting, self.adopting_since = True, None
        c = self.cfg
        ip = {"eth_type": ETH_IP}
        echo_reply = dict(ip, ip_proto=IP_PROTO["icmp"], icmpv4_type=ICMP_ECHO_REPLY)
        rules = [
            Flow(PRIO_MISS, {}, (Output(CONTROLLER),)),
            # the host PC's own traffic, untouched
            Flow(PRIO_PASS, {"in_port": c.uplink_port}, (Output(c.host_port),)),
            Flow(PRIO_PASS, {"in_port": c.host_port}, (Output(c.uplink_port),)),
            # ARP from the LAN goes to the host PC, and a copy teaches us the LAN's MACs
            Flow(PRIO_ARP, {"in_port": c.uplink_port, "eth_type": ETH_ARP},
                 (Output(c.host_port), Output(CONTROLLER))),
            # echo replies: for a VM (translated here) or for the host PC itself
            Flow(PRIO_TRAP, dict(echo_reply, in_port=c.uplink_port, ipv4_dst=c.outside_ip),
                 (Output(CONTROLLER),)),
            Flow(PRIO_TRAP, dict(echo_reply, in_port=c.host_port, ipv4_dst=c.gateway_ip),
                 (Output(CONTROLLER),)),
        ]
        for kind in ICMP_ERRORS:  # about a VM's packet: translated back to the VM here
            rules.append(Flow(PRIO_TRAP, dict(ip, in_port=c.uplink_port, ip_proto=IP_PROTO["icmp"],
                                              ipv4_dst=c.outside_ip, icmpv4_type=kind),
                              (Output(CONTROLLER),)))
        for f in c.forwards:
            dst_field = L4_FIELDS[f.proto][1]
            match = dict(ip, in_port=c.uplink_port, ip_proto=IP_PROTO[f.proto],
                         ipv4_dst=c.outside_ip, **{dst_field: f.outside_port})
            rules.append(Flow(PRIO_TRAP, match, (Output(CONTROLLER),)))
        rules.append(self.arp_request(c.lan_gateway))  # know r1's MAC before the first packet
        return rules

    def tick(self, now):
        """Housekeeping, off the per-packet path: expiry, ARP retries, the state file for
        `natmap`. Returns rules to send (ARP requests)."""
        before = len(self.nat.mappings)
        self.nat.expire(now, ICMP_TIMEOUT)
        self.leases.expire(now)
        for mac in [m for m in self.vm_port if not self.leases.holds(m)]:
            self.unbind(mac)
        for mac in [m for m in self.client_port if not self.leases.holds(m)]:
            del self.client_port[mac]
        rules = self.retry_arp(now)
        if self.adopting:
            self.adopting_since = self.adopting_since or now
            if now - self.adopting_since > ADOPT_WAIT:
                log.warning("%s: the switch sent no flow table; starting afresh", self.cfg.name)
                self.adopting = False
        if self.dirty or len(self.nat.mappings) != before:
            self.save_state(now)
        return rules

    def packet_in(self, in_port, data, now):
        ethertype = struct.unpack_from("!H", data, 12)[0]
        if ethertype not in (ETH_IP, ETH_ARP) or (
                ethertype == ETH_IP and data[23] not in PROTO_NAME):
            # neither parsed by the packet library (GRE, SCTP, 802.3 ... would go deep)
            # nor translated: the NAT knows TCP, UDP and ICMP
            return self.not_ip(in_port, data, now)
        pkt = lib().packet.Packet(data)
        eth = pkt.get_protocol(lib().ethernet.ethernet)
        if eth is None:
            return []
        if in_port == self.cfg.uplink_port:
            rules = self.from_lan(pkt, eth, in_port, data, now)
        elif in_port == self.cfg.host_port:
            rules = self.from_host(pkt, eth, data, now)
        else:
            rules = self.from_vm(pkt, eth, in_port, data, now)
        return rules

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
        self.changed()
        # a flow re-added while its removal was on the way must not outlive the session
        return [DeleteFlows({}, cookie=session.flow_cookie(OUTWARD), cookie_mask=~1 & (2**64 - 1))]

    def not_ip(self, in_port, data, now):
        """Not for the NAT: bridged between the VMs, passed between LAN and host PC,
        dropped when a VM sends it to the gateway."""
        c = self.cfg
        if in_port == c.uplink_port:
            return [PacketOut(in_port, (Output(c.host_port),), data)]
        if in_port == c.host_port:
            return [PacketOut(in_port, (Output(c.uplink_port),), data)]
        if mac_text(data[0:6]) == c.gateway_mac:
            self.drops.drop("a protocol the NAT does not translate")
            return []
        return self.switch.packet_in(in_port, data, now)

    # --- the switch's own memory: after a controller restart or a reconnect ---
    def adopt(self, flows, now):
        """Take over the sessions whose flows the switch still holds (see openflow.flows_of
        for the shape of `flows`); delete session flows that cannot be understood."""
        self.adopting = False
        found, top, rules = {}, 0, []
        for f in flows:
            if f["priority"] != PRIO_SESSION or not f["cookie"]:
                continue
            cookie, direction = session_of(f["cookie"])
            top = max(top, cookie)
            proto = PROTO_NAME.get(f["match"].get("ip_proto"))
            if proto not in L4_FIELDS:
                continue
            src_f, dst_f = L4_FIELDS[proto]
            m, sets = f["match"], f["set"]
            s = found.setdefault(cookie, {"proto": proto, "flows": set()})
            s["flows"].add(direction)
            if direction == OUTWARD:
                s.update(inside_ip=m.get("ipv4_src"), inside_port=m.get(src_f),
                         remote_ip=m.get("ipv4_dst"), remote_port=m.get(dst_f),
                         outside_port=sets.get(src_f))
            else:
                s.update(remote_ip=m.get("ipv4_src"), remote_port=m.get(src_f),
                         outside_port=m.get(dst_f), inside_ip=sets.get("ipv4_dst"),
                         inside_port=sets.get(dst_f))
        adopted = 0
        for cookie, s in found.items():
            fields = [s.get(k) for k in ("inside_ip", "inside_port", "outside_port",
                                         "remote_ip", "remote_port")]
            if None in fields or not self.nat.adopt(s["proto"], *fields, cookie, s["flows"],
                                                    now):
                rules.append(DeleteFlows({}, cookie=cookie << 1, cookie_mask=~1 & COOKIE_MASK))
                continue
            adopted += 1
        self.nat.next_cookie_after(top)
        if found:
            log.info("%s: adopted %d session(s) from the switch's flows, deleted %d",
                     self.cfg.name, adopted, len(found) - adopted)
            self.changed()
        return rules

    def audit(self, flows, asked_at, now):
        """Sessions end on their own too: one whose flows the switch no longer holds (a
        flow-removed that never arrived) is ended, and its port freed."""
        present = {session_of(f["cookie"])[0] for f in flows
                   if f["cookie"] and f["priority"] == PRIO_SESSION}
        rules = []
        for cookie, session in list(self.nat.sessions.items()):
            if cookie not in present and session.created < asked_at - 1.0:
                self.nat.end(cookie)
                self.changed()
                rules.append(DeleteFlows({}, cookie=session.flow_cookie(OUTWARD),
                                         cookie_mask=~1 & COOKIE_MASK))
        return rules

    def restore(self, state, now):
        """Leases (and the ports they bind) from the state file a previous controller
        wrote, as a DHCP server keeps its lease file."""
        for row in state.get("leases", ()):
            expires = row.get("expires")
            if not expires or expires <= now or row.get("ip") not in self.leases.addresses:
                continue
            self.leases.leases[row["ip"]] = Lease(row["mac"], row["ip"], expires, bound=True)
            if row.get("port") is not None:
                self.bind(row["mac"], row["port"])
                self.client_port[row["mac"]] = row["port"]

    def fragment(self, in_port, data, now):
        """An IP fragment. Later fragments carry no ports, so no NAT flow can match them;
        re-injected they would come back for ever. The router does not reassemble: a
        fragment for the NAT is dropped (counted); between VMs or for the host PC it is
        forwarded like any frame."""
        c = self.cfg
        if in_port == c.uplink_port:
            return [PacketOut(in_port, (Output(c.host_port),), data)]
        if in_port == c.host_port:
            return [PacketOut(in_port, (Output(c.uplink_port),), data)]
        if mac_text(data[0:6]) != c.gateway_mac:
            return self.switch.packet_in(in_port, data, now)
        self.drops.drop("IP fragment for the NAT (the virtual router does not reassemble)")
        return []

    # --- the VMs' side ---
    def from_vm(self, pkt, eth, in_port, data, now):
        bound = self.port_mac.get(in_port)
        home = self.vm_port.get(eth.src)
        if (bound and bound != eth.src) or (home is not None and home != in_port):
            self.drops.drop("port security: a source MAC bound to another port")
            return []
        arp = pkt.get_protocol(lib().arp.arp)
        if arp:
            if arp.src_mac != eth.src:
                self.drops.drop("ARP whose sender is not the frame's source")
                return []
            if arp.opcode == 1 and arp.dst_ip == self.cfg.gateway_ip:
                return [self.arp_reply(arp, in_port)]
            return self.switch.packet_in(in_port, data, now)
        ip = pkt.get_protocol(lib().ipv4.ipv4)
        udp = pkt.get_protocol(lib().udp.udp)
        if ip and udp and udp.dst_port == 67:
            return self.dhcp(pkt, eth, in_port, now)
        if ip is None or eth.dst != self.cfg.gateway_mac:
            return self.switch.packet_in(in_port, data, now)  # VM to VM
        if self.leases.owner(ip.src, now) != eth.src:
            self.drops.drop("a VM's packet from an address and MAC without a lease")
            return []
        return self.route_out(pkt, ip, eth, in_port, data, now)

    def route_out(self, pkt, ip, eth, in_port, data, now):
        c = self.cfg
        dst = ipaddress.ip_address(ip.dst)
        icmp = pkt.get_protocol(lib().icmp.icmp)
        if ip.dst == c.gateway_ip:
            return self.answer_gateway_ping(pkt, icmp, in_port)
        if dst in self.inside:
            return []  # the VMs reach each other directly, not through the router
        if ip.ttl <= 1:  # a router does not forward it: it says so (traceroute's first hop)
            return [self.time_exceeded(pkt, in_port)]
        if ip.dst == c.outside_ip:
            # to the host PC itself: it sees the router (gateway address) as the source
            way = (c.host_port, c.outside_mac, c.gateway_ip, c.gateway_mac)
        else:
            hop = ip.dst if dst in self.lan else c.lan_gateway
            mac = self.neighbours.get(hop)
            if mac is None:
                return self.resolve(hop, in_port, data, now)
            way = (c.uplink_port, mac, c.outside_ip, c.outside_mac)
        l4 = pkt.get_protocol(lib().tcp.tcp) or pkt.get_protocol(lib().udp.udp)
        if l4 is not None:
            proto = "tcp" if ip.proto == IP_PROTO["tcp"] else "udp"
            if self.adopting and (proto, ip.src, l4.src_port, ip.dst,
                                  l4.dst_port) not in self.nat.by_flow:
                self.drops.drop("a new connection while the switch's flows are being adopted")
                return []
            session = self.nat.session(proto, ip.src, l4.src_port, ip.dst, l4.dst_port, now)
            if session is None:  # no port left (the table logged it): refuse, don't leave
                return [self.refusal(pkt, proto, in_port)]  # the VM waiting for a timeout
            self.changed()
            return self.session_rules(proto, session, in_port, eth.src, way, data)
        if icmp and icmp.type == ICMP_ECHO_REQUEST:
            mapping = self.nat.mapping_for("icmp", ip.src, icmp.data.id, now)
            if mapping is None:
                return []
            self.changed()
            out_port, next_mac, out_ip, out_mac = way
            frame = self.rewrite_echo(pkt, out_mac, next_mac, src=out_ip,
                                      ident=mapping.outside_port, hop=True)
            return [PacketOut(in_port, (Output(out_port),), frame)]
        return []

    def session_rules(self, proto, session, vm_port, vm_mac, way, data):
        """The pair of flows that carries one session, and the first packet sent on its way."""
        out_port, next_mac, out_ip, out_mac = way
        m, c = session.mapping, self.cfg
        src_f, dst_f = L4_FIELDS[proto]
        base = {"eth_type": ETH_IP, "ip_proto": IP_PROTO[proto]}
        outward = (SetField("eth_src", out_mac), SetField("eth_dst", next_mac),
                   SetField("ipv4_src", out_ip), SetField(src_f, m.outside_port), DecTtl(),
                   Output(out_port))
        inward = (SetField("eth_src", c.gateway_mac), SetField("eth_dst", vm_mac),
                  SetField("ipv4_dst", m.inside_ip), SetField(dst_f, m.inside_port), DecTtl(),
                  Output(vm_port))
        session.flows = {OUTWARD, INWARD}
        flows = [
            Flow(PRIO_SESSION, dict(base, in_port=vm_port, eth_src=vm_mac, ipv4_src=m.inside_ip,
                                    ipv4_dst=session.remote_ip,
                                    **{src_f: m.inside_port, dst_f: session.remote_port}),
                 outward, idle_timeout=c.idle_timeout, cookie=session.flow_cookie(OUTWARD),
                 notify_removed=True),
            Flow(PRIO_SESSION, dict(base, in_port=out_port, ipv4_src=session.remote_ip,
                                    ipv4_dst=out_ip,
                                    **{src_f: session.remote_port, dst_f: m.outside_port}),
                 inward, idle_timeout=c.idle_timeout, cookie=session.flow_cookie(INWARD),
                 notify_removed=True),
        ]
        # The first packet goes through the table too: the new flow rewrites it, and the
        # controller serializes no actions twice.
        return flows + [PacketOut(vm_port, (Output(TABLE),), data)]

    def refusal(self, pkt, proto, in_port):
        """A TCP reset, or for UDP an ICMP 'administratively prohibited', back to the VM."""
        L, c = lib(), self.cfg
        eth = pkt.get_protocol(L.ethernet.ethernet)
        ip = pkt.get_protocol(L.ipv4.ipv4)
        p = L.packet.Packet()
        p.add_protocol(L.ethernet.ethernet(dst=eth.src, src=c.gateway_mac, ethertype=ETH_IP))
        if proto == "tcp":
            syn = pkt.get_protocol(L.tcp.tcp)
            p.add_protocol(L.ipv4.ipv4(src=ip.dst, dst=ip.src, proto=IP_PROTO["tcp"]))
            p.add_protocol(L.tcp.tcp(src_port=syn.dst_port, dst_port=syn.src_port, seq=0,
                                     ack=(syn.seq + 1) & 0xFFFFFFFF,
                                     bits=L.tcp.TCP_RST | L.tcp.TCP_ACK))
        else:
            original = bytes(pkt.data[14:14 + ip.header_length * 4 + 8])
            p.add_protocol(L.ipv4.ipv4(src=c.gateway_ip, dst=ip.src, proto=IP_PROTO["icmp"]))
            p.add_protocol(L.icmp.icmp(type_=3, code=13,
                                       data=L.icmp.dest_unreach(data=original)))
        p.serialize()
        return PacketOut(CONTROLLER, (Output(in_port),), bytes(p.data))

    def time_exceeded(self, pkt, in_port):
        """ICMP time exceeded from the gateway, quoting the VM's packet (RFC 792)."""
        L, c = lib(), self.cfg
        eth = pkt.get_protocol(L.ethernet.ethernet)
        ip = pkt.get_protocol(L.ipv4.ipv4)
        original = bytes(pkt.data[14:14 + ip.header_length * 4 + 8])
        p = L.packet.Packet()
        p.add_protocol(L.ethernet.ethernet(dst=eth.src, src=c.gateway_mac, ethertype=ETH_IP))
        p.add_protocol(L.ipv4.ipv4(src=c.gateway_ip, dst=ip.src, proto=IP_PROTO["icmp"]))
        p.add_protocol(L.icmp.icmp(type_=11, code=0, data=L.icmp.TimeExceeded(data=original)))
        p.serialize()
        return PacketOut(CONTROLLER, (Output(in_port),), bytes(p.data))

    def answer_gateway_ping(self, pkt, icmp, in_port):
        if not icmp or icmp.type != ICMP_ECHO_REQUEST:
            return []
        eth = pkt.get_protocol(lib().ethernet.ethernet)
        ip = pkt.get_protocol(lib().ipv4.ipv4)
        icmp.type = ICMP_ECHO_REPLY
        frame = self.rewrite_echo(pkt, self.cfg.gateway_mac, eth.src, src=ip.dst, dst=ip.src)
        return [PacketOut(in_port, (Output(in_port),), frame)]

    # --- the LAN's and the host PC's side ---
    def from_lan(self, pkt, eth, in_port, data, now):
        arp = pkt.get_protocol(lib().arp.arp)
        if arp:
            if arp.src_mac != eth.src:
                self.drops.drop("ARP on the LAN whose sender is not the frame's source")
                return []
            return self.learn_neighbour(arp.src_ip, arp.src_mac, now)
        ip = pkt.get_protocol(lib().ipv4.ipv4)
        if ip is None:
            return []
        icmp = pkt.get_protocol(lib().icmp.icmp)
        if icmp and icmp.type == ICMP_ECHO_REPLY:
            return self.echo_reply_in(pkt, icmp, data)
        if icmp and icmp.type in ICMP_ERRORS:
            return self.icmp_error_in(data, now)
        l4 = pkt.get_protocol(lib().tcp.tcp) or pkt.get_protocol(lib().udp.udp)
        proto = "tcp" if ip.proto == IP_PROTO["tcp"] else "udp"
        mapping = l4 and self.nat.inbound(proto, l4.dst_port)
        if not mapping or not mapping.forward:
            return [PacketOut(in_port, (Output(self.cfg.host_port),), data)]
        vm_mac = self.leases.owner(mapping.inside_ip, now)
        vm_port = self.vm_port.get(vm_mac)
        if vm_port is None:
            log.info("%s: port forward %s %d: %s is not up", self.cfg.name, proto,
                     mapping.outside_port, mapping.inside_ip)
            return []
        session = self.nat.session(proto, mapping.inside_ip, mapping.inside_port,
                                   ip.src, l4.src_port, now)
        self.changed()
        c = self.cfg
        way = (c.uplink_port, eth.src, c.outside_ip, c.outside_mac)
        rules = self.session_rules(proto, session, vm_port, vm_mac, way, data)
        return rules[:2] + [PacketOut(in_port, (Output(TABLE),), data)]

    def from_host(self, pkt, eth, data, now):
        icmp = pkt.get_protocol(lib().icmp.icmp)
        if icmp and icmp.type == ICMP_ECHO_REPLY:
            return self.echo_reply_in(pkt, icmp, data)
        return [PacketOut(self.cfg.host_port, (Output(self.cfg.uplink_port),), data)]

    def echo_reply_in(self, pkt, icmp, data):
        """An echo reply: back to the VM whose request it answers, else to the host PC."""
        c = self.cfg
        mapping = self.nat.inbound("icmp", icmp.data.id)
        vm_mac = mapping and self.leases.owner(mapping.inside_ip, mapping.last_used)
        if not vm_mac or vm_mac not in self.vm_port:
            ip = pkt.get_protocol(lib().ipv4.ipv4)
            if ip.dst == c.outside_ip:
                return [PacketOut(c.uplink_port, (Output(c.host_port),), data)]
            return []
        frame = self.rewrite_echo(pkt, c.gateway_mac, vm_mac, dst=mapping.inside_ip,
                                  ident=mapping.inside_port)
        return [PacketOut(c.uplink_port, (Output(self.vm_port[vm_mac]),), frame)]

    def icmp_error_in(self, data, now):
        """An ICMP error quoting a translated packet goes back to its VM, untranslated."""
        c = self.cfg
        to_host = [PacketOut(c.uplink_port, (Output(c.host_port),), data)]
        outer = 14
        at = outer + (data[outer] & 0x0F) * 4  # the ICMP header
        inner = at + 8  # the quoted IP header, then 8 bytes of its payload
        if len(data) < inner + 20:
            return to_host
        l4 = inner + (data[inner] & 0x0F) * 4
        proto = PROTO_NAME.get(data[inner + 9])
        if proto is None or len(data) < l4 + 8 or data[inner + 12:inner + 16] != ip_bytes(
                c.outside_ip):
            return to_host
        port_at = l4 + (4 if proto == "icmp" else 0)  # the echo identifier, or the source port
        mapping = self.nat.inbound(proto, struct.unpack_from("!H", data, port_at)[0])
        vm_mac = mapping and self.leases.owner(mapping.inside_ip, now)
        if not vm_mac or vm_mac not in self.vm_port:
            return to_host
        frame = bytearray(data)
        frame[0:12] = mac_bytes(vm_mac) + mac_bytes(c.gateway_mac)
        frame[outer + 16:outer + 20] = ip_bytes(mapping.inside_ip)  # to the VM
        frame[inner + 12:inner + 16] = ip_bytes(mapping.inside_ip)  # about the VM's packet
        struct.pack_into("!H", frame, port_at, mapping.inside_port)
        set_checksum(frame, inner + 10, inner, l4)
        set_checksum(frame, outer + 10, outer, at)
        set_checksum(frame, at + 2, at, outer + struct.unpack_from("!H", frame, outer + 2)[0])
        return [PacketOut(c.uplink_port, (Output(self.vm_port[vm_mac]),), bytes(frame))]

    # --- neighbours on the LAN ---
    def learn_neighbour(self, ip, mac, now):
        """Learn a LAN neighbour from its ARP; a known address keeps its MAC for
        NEIGHBOUR_HOLD seconds after it was last confirmed (one spoofed ARP moves nothing)."""
        if ipaddress.ip_address(ip) not in self.lan:
            return []
        known = self.neighbours.get(ip)
        if known not in (None, mac) and now - self.confirmed.get(ip, 0.0) < NEIGHBOUR_HOLD:
            self.drops.drop("ARP claiming a LAN address another MAC holds")
            return []
        if ip == self.cfg.lan_gateway and known != mac:
            self.changed()  # the lab's readiness waits for it (topos.lab)
        self.neighbours[ip] = mac
        self.confirmed[ip] = now
        rules = []
        waiting = self.pending.pop(ip, None)
        for in_port, frame in waiting.frames if waiting else []:
            rules += self.packet_in(in_port, frame, now)
        return rules

    def resolve(self, ip, in_port, data, now):
        waiting = self.pending.get(ip)
        if waiting is None:
            if len(self.pending) >= PENDING_ADDRESSES:
                self.drops.drop("too many LAN addresses being resolved at once")
                return []
            waiting = self.pending[ip] = Pending(tries=1, next_try=now + ARP_INTERVAL)
            rules = [self.arp_request(ip)]
        else:
            rules = []
        if len(waiting.frames) < PENDING_LIMIT:
            waiting.frames.append((in_port, data))
        return rules

    def retry_arp(self, now):
        """Ask again for addresses that did not answer; give up after ARP_TRIES (the frames
        waiting for them are dropped). Keep asking for the LAN's gateway until it answers."""
        rules = []
        for ip, waiting in list(self.pending.items()):
            if now < waiting.next_try:
                continue
            if waiting.tries >= ARP_TRIES:
                del self.pending[ip]
                self.drops.drop("no ARP answer from a LAN address after %d tries" % ARP_TRIES)
                continue
            waiting.tries += 1
            waiting.next_try = now + ARP_INTERVAL
            rules.append(self.arp_request(ip))
        gateway = self.cfg.lan_gateway
        if gateway not in self.neighbours and gateway not in self.pending and (
                now >= self.next_gateway_arp):
            self.next_gateway_arp = now + ARP_INTERVAL
            rules.append(self.arp_request(gateway))
        return rules

    def arp_request(self, ip):
        c, L = self.cfg, lib()
        p = L.packet.Packet()
        p.add_protocol(L.ethernet.ethernet(dst=BROADCAST, src=c.outside_mac, ethertype=ETH_ARP))
        p.add_protocol(L.arp.arp(opcode=1, src_mac=c.outside_mac, src_ip=c.outside_ip,
                                 dst_mac="00:00:00:00:00:00", dst_ip=ip))
        p.serialize()
        return PacketOut(CONTROLLER, (Output(c.uplink_port),), bytes(p.data))

    def arp_reply(self, request, port):
        c, L = self.cfg, lib()
        p = L.packet.Packet()
        p.add_protocol(L.ethernet.ethernet(dst=request.src_mac, src=c.gateway_mac,
                                           ethertype=ETH_ARP))
        p.add_protocol(L.arp.arp(opcode=2, src_mac=c.gateway_mac, src_ip=c.gateway_ip,
                                 dst_mac=request.src_mac, dst_ip=request.src_ip))
        p.serialize()
        return PacketOut(CONTROLLER, (Output(port),), bytes(p.data))

    @staticmethod
    def rewrite_echo(pkt, eth_src, eth_dst, src=None, dst=None, ident=None, hop=False):
        """The echo frame with new addresses and identifier, checksums recomputed;
        `hop`: it is forwarded, so its TTL goes down by one."""
        L = lib()
        eth = pkt.get_protocol(L.ethernet.ethernet)
        ip = pkt.get_protocol(L.ipv4.ipv4)
        icmp = pkt.get_protocol(L.icmp.icmp)
        eth.src, eth.dst = eth_src, eth_dst
        ip.src, ip.dst = src or ip.src, dst or ip.dst
        ip.csum = icmp.csum = 0  # zero: serialize() computes them
        if hop:
            ip.ttl -= 1
        if ident is not None:
            icmp.data.id = ident
        out = L.packet.Packet()
        for proto in pkt.protocols:
            out.add_protocol(proto)
        out.serialize()
        return bytes(out.data)

    # --- DHCP server for the VMs ---
    def dhcp(self, pkt, eth, in_port, now):
        L, c = lib(), self.cfg
        request = pkt.get_protocol(L.dhcp.dhcp)
        if request is None or request.op != 1:
            return []
        options = {o.tag: o.value for o in request.options.option_list}
        kind = options.get(OPT_TYPE, b"\0")[0]
        mac = request.chaddr
        if mac != eth.src:
            self.drops.drop("DHCP whose client address is not the frame's source")
            return []
        if mac not in self.client_port and kind in (DHCP_DISCOVER, DHCP_REQUEST):
            clients = sum(1 for port in self.client_port.values() if port == in_port)
            if clients >= CLIENTS_PER_PORT:
                self.drops.drop("DHCP: a port asking for more than %d clients" %
                                CLIENTS_PER_PORT)
                return []
        if kind in (DHCP_DISCOVER, DHCP_REQUEST):
            self.client_port[mac] = in_port
        asked = options.get(OPT_REQUESTED)
        asked = socket.inet_ntoa(asked) if asked else None
        server = options.get(OPT_SERVER)
        if server and socket.inet_ntoa(server) != c.gateway_ip:
            if kind == DHCP_REQUEST:
                self.leases.release(mac, asked)  # the client chose another server
            return []
        if kind == DHCP_DISCOVER:
            ip = self.leases.offer(mac, now, asked)
            if ip is None:
                log.warning("%s: DHCP pool exhausted; no offer for %s", c.name, mac)
                return []
            return [self.dhcp_reply(request, DHCP_OFFER, ip, in_port)]
        if kind == DHCP_REQUEST:
            ip = asked or request.ciaddr
            if self.leases.request(mac, ip, now) is None:
                log.info("%s: DHCP NAK %s for %s", c.name, ip, mac)
                return [self.dhcp_reply(request, DHCP_NAK, "0.0.0.0", in_port)]
            log.info("%s: DHCP lease %s to %s", c.name, ip, mac)
            self.bind(mac, in_port)
            self.changed()
            return [self.dhcp_reply(request, DHCP_ACK, ip, in_port)]
        if kind in (DHCP_RELEASE, DHCP_DECLINE):  # only from the lease's own MAC and port
            ip = request.ciaddr if kind == DHCP_RELEASE else asked
            if self.vm_port.get(mac, in_port) != in_port:
                return []
            self.leases.release(mac, ip)
            if not self.leases.holds(mac):
                self.unbind(mac)
            log.info("%s: DHCP %s %s by %s", c.name,
                     "release" if kind == DHCP_RELEASE else "decline", ip, mac)
            self.changed()
        return []

    def bind(self, mac, port):
        old = self.port_mac.get(port)
        if old not in (None, mac):
            self.vm_port.pop(old, None)
        self.vm_port[mac] = port
        self.port_mac[port] = mac

    def unbind(self, mac):
        port = self.vm_port.pop(mac, None)
        if port is not None and self.port_mac.get(port) == mac:
            del self.port_mac[port]

    def dhcp_reply(self, request, kind, ip, port):
        L, c = lib(), self.cfg
        net = self.inside
        options = [(OPT_TYPE, bytes([kind])), (OPT_SERVER, socket.inet_aton(c.gateway_ip))]
        if kind != DHCP_NAK:
            options += [
                (OPT_LEASE, c.lease_time.to_bytes(4, "big")),
                (OPT_MASK, socket.inet_aton(str(net.netmask))),
                (OPT_ROUTER, socket.inet_aton(c.gateway_ip)),
            ]
        reply = L.dhcp.dhcp(
            op=2, chaddr=request.chaddr, xid=request.xid, flags=request.flags,
            yiaddr=ip, siaddr=c.gateway_ip, hlen=6,
            options=L.dhcp.options(option_list=[L.dhcp.option(tag=t, value=v)
                                                for t, v in options]))
        p = L.packet.Packet()
        p.add_protocol(L.ethernet.ethernet(dst=request.chaddr, src=c.gateway_mac,
                                           ethertype=ETH_IP))
        p.add_protocol(L.ipv4.ipv4(src=c.gateway_ip, dst="255.255.255.255",
                                   proto=IP_PROTO["udp"]))
        p.add_protocol(L.udp.udp(src_port=67, dst_port=68))
        p.add_protocol(reply)
        p.serialize()
        return PacketOut(CONTROLLER, (Output(port),), bytes(p.data))

    # --- what `natmap` and `leases` show ---
    def state(self, now):
        leases = [{"mac": lease.mac, "ip": lease.ip, "expires_in": round(lease.expires - now),
                   "expires": lease.expires, "port": self.vm_port.get(lease.mac)}
                  for lease in self.leases.leases.values() if lease.bound]
        return {"router": self.cfg.name, "dpid": self.cfg.dpid, "nat": self.nat.rows(now),
                "leases": leases, "gateway": self.neighbours.get(self.cfg.lan_gateway)}

    def changed(self):
        self.dirty = True

    def save_state(self, now):
        self.dirty = False
        path = self.cfg.state_file
        if not path:
            return
        with open(path + ".tmp", "w") as f:
            f.write(json.dumps(self.state(now)))
        os.replace(path + ".tmp", path)
