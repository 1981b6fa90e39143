"""A small software flow table: apply the rules a core returns, then ask where a packet goes
and how it is rewritten, as Open vSwitch would (faucet's FakeOFTable is the model).

A packet is a dict of OXM fields. As in OVS, a later IP fragment has no L4 fields: a
flow that matches ports cannot match it.
"""

from controllers.rules import TABLE, DecTtl, DeleteFlows, Flow, Output, SetField

L4 = ("tcp_src", "tcp_dst", "udp_src", "udp_dst", "icmpv4_type", "icmpv4_code")


class FlowTable:
    def __init__(self):
        self.flows = []

    def apply(self, rules):
        for rule in rules:
            if isinstance(rule, Flow):
                self.flows = [f for f in self.flows
                              if (f.priority, dict(f.match)) != (rule.priority, dict(rule.match))]
                self.flows.append(rule)
            elif isinstance(rule, DeleteFlows):
                self.flows = [f for f in self.flows if not deletes(rule, f)]

    def forward(self, **packet):
        """[(port, packet as it leaves)] for a packet arriving at packet['in_port']; [] when it
        is dropped. Applies the highest-priority matching flow's actions in order."""
        if packet.pop("later_fragment", False):
            packet = {k: v for k, v in packet.items() if k not in L4}
        flow = self.lookup(**packet)
        if flow is None:
            return []
        return apply(flow.actions, packet)

    def packet_out(self, rule, **packet):
        """Where a PacketOut sends `packet`: through the table for Output(TABLE)."""
        out = []
        for port, fields in apply(rule.actions, dict(packet, in_port=rule.in_port)):
            out += self.forward(**fields) if port == TABLE else [(port, fields)]
        return out

    def is_output(self, port, **packet):
        return any(p == port for p, _ in self.forward(**packet))

    def lookup(self, **fields):
        """The highest-priority flow matching a packet with these header fields."""
        hits = [f for f in self.flows if all(matches(fields.get(k), v)
                                             for k, v in f.match.items())]
        return max(hits, key=lambda f: f.priority, default=None)


def matches(value, want):
    """A header field against a match: equal, or (value, mask) for a masked match."""
    if isinstance(want, tuple):
        return value is not None and value & want[1] == want[0]
    return value == want


def deletes(rule, flow):
    """Does a (non-strict) delete remove this flow? Its match and cookie decide."""
    if rule.cookie is not None and (flow.cookie ^ rule.cookie) & rule.cookie_mask:
        return False
    return all(flow.match.get(k) == v for k, v in rule.match.items())


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
