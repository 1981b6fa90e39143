"""A small software flow table: apply the rules a core returns, then ask where a frame goes."""

from controllers.rules import DeleteFlows, Flow


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

    def lookup(self, **fields):
        """The highest-priority flow matching a packet with these header fields."""
        hits = [f for f in self.flows if all(fields.get(k) == v for k, v in f.match.items())]
        return max(hits, key=lambda f: f.priority, default=None)


def deletes(rule, flow):
    """Does a (non-strict) delete remove this flow? Its match and cookie decide."""
    if rule.cookie is not None and (flow.cookie ^ rule.cookie) & rule.cookie_mask:
        return False
    return all(flow.match.get(k) == v for k, v in rule.match.items())
