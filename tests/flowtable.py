"""A small software flow table: apply the rules a core returns, then ask where a packet goes
and how it is rewritten, as Open vSwitch would (faucet's FakeOFTable is the model).

A packet is a dict of OXM fields. As in OVS, a later IP fragment has no L4 fields: a
flow that matches ports cannot match it. Tables are followed (goto, and the ct action's
recirculation); a packet a table has no flow for is dropped, but in table 0, whose table-miss
the cores install. A packet sent to the controller carries `table_id`, the table that sent it.
The connection tracker is modelled as far as the questions asked of it need (Tracker).
"""

import ipaddress

from controllers.rules import (
    CONTROLLER,
    CT_ESTABLISHED,
    CT_NEW,
    CT_REPLY,
    CT_TRACKED,
    TABLE,
    Conntrack,
    DecTtl,
    DeleteFlows,
    Flow,
    GotoTable,
    Output,
    SetField,
)

L4 = ("tcp_src", "tcp_dst", "udp_src", "udp_dst", "icmpv4_type", "icmpv4_code")


PORTS = {6: ("tcp_src", "tcp_dst"), 17: ("udp_src", "udp_dst")}


class Tracker:
    """Open vSwitch's connection tracker, as far as these tests ask: connections by zone and
    5-tuple, both directions; a commit translates (the first free port of a NAT's range) and
    is refused, leaving the packet untranslated and +new, when its zone is at its limit (as
    OVS 3.1's userspace tracker does: lib/conntrack.c, conn_not_found)."""

    def __init__(self):
        self.connections = {}  # (zone, tuple) -> (the translated tuple, reply direction?)
        self.limits = {}  # zone -> most connections it may hold

    @staticmethod
    def tuple_of(p):
        src_f, dst_f = PORTS.get(p.get("ip_proto"), (None, None))
        return (p.get("ip_proto"), p.get("ipv4_src"), p.get(src_f, 0), p.get("ipv4_dst"),
                p.get(dst_f, 0))

    def count(self, zone):
        return sum(1 for z, _ in self.connections if z == zone) // 2

    def apply(self, ct, p):
        p = dict(p, ct_zone=ct.zone)
        key = (ct.zone, self.tuple_of(p))
        found = self.connections.get(key)
        if found is None and ct.commit and self.count(ct.zone) < self.limits.get(ct.zone, 1e9):
            found = self.commit(ct, p, key)
        if found is None:
            p["ct_state"] = CT_TRACKED | CT_NEW
            return p
        translated, reply = found
        proto, src, sport, dst, dport = translated
        src_f, dst_f = PORTS.get(proto, (None, None))
        p.update(ipv4_src=src, ipv4_dst=dst)
        if src_f:
            p.update({src_f: sport, dst_f: dport})
        p["ct_state"] = CT_TRACKED | (CT_ESTABLISHED | CT_REPLY if reply else CT_NEW)
        return p

    def commit(self, ct, p, key):
        proto, src, sport, dst, dport = key[1]
        out = key[1]
        if ct.nat is not None and ct.nat.kind:
            taken = {t for (z, t) in self.connections if z == ct.zone}
            for port in range(ct.nat.ports[0], ct.nat.ports[1] + 1) if ct.nat.ports else [0]:
                if ct.nat.kind == "src":
                    out = (proto, ct.nat.ip, port or sport, dst, dport)
                    back = (proto, dst, dport, ct.nat.ip, port or sport)
                else:
                    out = (proto, src, sport, ct.nat.ip, port or dport)
                    back = (proto, ct.nat.ip, port or dport, src, sport)
                if back not in taken:
                    break
            else:
                return None  # no port left: OVS passes the packet on untranslated
        reverse = (proto, out[3], out[4], out[1], out[2])
        self.connections[key] = (out, False)
        self.connections[(ct.zone, reverse)] = ((proto, dst, dport, src, sport), True)
        return out, False


class FlowTable:
    def __init__(self):
        self.flows = []
        self.tracker = Tracker()

    def apply(self, rules):
        for rule in rules:
            if isinstance(rule, Flow):
                self.flows = [f for f in self.flows
                              if (f.table_id, f.priority, dict(f.match)) !=
                              (rule.table_id, rule.priority, dict(rule.match))]
                self.flows.append(rule)
            elif isinstance(rule, DeleteFlows):
                self.flows = [f for f in self.flows if not deletes(rule, f)]

    def forward(self, **packet):
        """[(port, packet as it leaves)] for a packet arriving at packet['in_port']; [] when it
        is dropped. Applies the highest-priority matching flow's actions in order."""
        if packet.pop("later_fragment", False):
            packet = {k: v for k, v in packet.items() if k not in L4}
        return self.run(0, packet)

    def run(self, table, packet, depth=0):
        assert depth < 16, "tables in a loop"
        flow = self.lookup(table, **packet)
        if flow is None:
            return []
        out, packet = [], dict(packet)
        for action in flow.actions:
            if isinstance(action, GotoTable):
                return out + self.run(action.table, packet, depth + 1)
            if isinstance(action, Conntrack):
                packet = self.tracker.apply(action, packet)
                if action.table is not None:  # recirculated: the rest of this flow is not run
                    return out + self.run(action.table, packet, depth + 1)
                continue
            if isinstance(action, DecTtl) and packet.get("ip_ttl", 64) <= 1:
                return out  # a switch does not send a packet whose TTL ran out
            if isinstance(action, (SetField, DecTtl)):
                packet = _after(action, packet)
            elif isinstance(action, Output):
                out.append((action.port, dict(packet, table_id=table)
                            if action.port == CONTROLLER else dict(packet)))
        return out

    def packet_out(self, rule, **packet):
        """Where a PacketOut sends `packet`: through the table for Output(TABLE)."""
        out = []
        for port, fields in apply(rule.actions, dict(packet, in_port=rule.in_port)):
            out += self.forward(**fields) if port == TABLE else [(port, fields)]
        return out

    def is_output(self, port, **packet):
        return any(p == port for p, _ in self.forward(**packet))

    def lookup(self, table=0, **fields):
        """The highest-priority flow of `table` matching a packet with these header fields."""
        hits = [f for f in self.flows if f.table_id == table and all(
            matches(fields.get(k), v) for k, v in f.match.items())]
        return max(hits, key=lambda f: f.priority, default=None)


def matches(value, want):
    """A header field against a match: equal, or (value, mask) for a masked match."""
    if isinstance(want, tuple):
        if value is None:
            return False
        if isinstance(value, str):  # an address and its mask
            value, want = (int(ipaddress.ip_address(v)) for v in (value, want[1])), (
                int(ipaddress.ip_address(want[0])), int(ipaddress.ip_address(want[1])))
            value, mask = value
            return value & mask == want[0]
        return value & want[1] == want[0]
    return value == want


def deletes(rule, flow):
    """Does a (non-strict) delete remove this flow? Its match and cookie decide."""
    if rule.cookie is not None and (flow.cookie ^ rule.cookie) & rule.cookie_mask:
        return False
    return all(flow.match.get(k) == v for k, v in rule.match.items())


def _after(action, packet):
    packet = dict(packet)
    if isinstance(action, SetField):
        packet[action.field] = action.value
    else:
        packet["ip_ttl"] = packet.get("ip_ttl", 64) - 1
    return packet


def apply(actions, packet):
    packet, out = dict(packet), []
    for action in actions:
        if isinstance(action, SetField):
            packet[action.field] = action.value
        elif isinstance(action, DecTtl):
            packet["ip_ttl"] = packet.get("ip_ttl", 64) - 1
            if packet["ip_ttl"] <= 0:
                return out  # a switch does not send a packet whose TTL ran out
        elif isinstance(action, Output):
            out.append((action.port, dict(packet)))
    return out


def fields_of(frame, in_port):
    """The OXM fields a switch matches a frame (controllers.frame.Frame) on, as a packet for
    FlowTable.forward. A fragment carries no L4 fields (conservatively: a first fragment's
    ports are not matched either)."""
    fields = {"in_port": in_port, "eth_src": frame.src, "eth_dst": frame.dst,
              "eth_type": frame.ethertype}
    if frame.vlan is not None:
        fields["vlan_vid"] = frame.vlan
    ip = frame.ip
    if frame.ip6 is not None:
        fields.update(ipv6_src=frame.ip6.src, ipv6_dst=frame.ip6.dst,
                      ip_proto=frame.ip6.next_header)
        if frame.icmp6 is not None:
            fields["icmpv6_type"] = frame.icmp6.type
    if ip is None:
        return fields
    fields.update(ipv4_src=ip.src, ipv4_dst=ip.dst, ip_proto=ip.proto, ip_ttl=ip.ttl)
    if ip.fragment:
        return fields
    l4 = {6: ("tcp", "tcp_src", "tcp_dst"), 17: ("udp", "udp_src", "udp_dst")}.get(ip.proto)
    if l4 and getattr(frame, l4[0]) is not None:
        header = getattr(frame, l4[0])
        fields[l4[1]], fields[l4[2]] = header.src_port, header.dst_port
        if frame.tcp is not None:
            fields["tcp_flags"] = frame.tcp.flags
    if frame.icmp is not None:
        fields.update(icmpv4_type=frame.icmp.type, icmpv4_code=frame.icmp.code)
    return fields
