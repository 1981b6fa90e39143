"""The questions a lab file's model answers, and `vmnet predict FILE`'s answers to them.

Sources: every VM, the host PCs, pc1 and inet. Destinations: every address a VM's adapters
have, the host PCs' (LAN and host-only), pc1, inet; and each port forward. A lab too large
for a table (over MAX_ROWS answers) is summed up a line per source unless every row is
asked for; `--json` gives every answer."""

from dataclasses import asdict, dataclass
from typing import Optional

from plan.addressing import INET_IP, pc_ip
from topos.labfile.model import LAN
from topos.labfile.model6 import Ipv6Model
from topos.labfile.reader import read

WORLD_SOURCES = ("host1", "host2", "pc1", "inet")
MAX_ROWS = 2000  # a screenful of screenfuls: past it, a line per source
COLUMNS = ("FROM", "TO", "ADDRESS", "REACHED", "WHY")


@dataclass(frozen=True)
class Answer:
    source: str
    to: str  # "web eth1", "host1:2222/tcp"
    address: str  # where the connection is aimed ("none": the VM has no address there)
    reached: bool
    reason: str
    seen_as: Optional[str] = None


def sources(model):
    return [vm.name for vm in model.spec.vms()] + list(WORLD_SOURCES)


def destinations(model):
    """[(node, interface, network key)] where a connection may be aimed (r1 is the way
    out, not a destination)."""
    return [(node, interface, key) for node, nets in sorted(model.members.items())
            if node != "r1" for key, interface in nets]


def questions(model):
    """[(source, node, interface, key)] and [(source, host, forward, vm, key)]."""
    to_nodes = [(s, node, interface, key) for s in sources(model)
                for node, interface, key in destinations(model) if node != s]
    to_forwards = [(s,) + f for f in model.port_forwards() for s in sources(model)
                   if s != f[2]]
    return to_nodes, to_forwards


def address(model, node, interface, key):
    """The address a connection to `node` on network `key` is aimed at."""
    if node == "inet":
        return INET_IP
    host = model.spec.hosts.get(node)
    if model.spec.vm(node) is None:  # pc1, or a host PC on the LAN or its host-only network
        return host.hostonly[interface].address if key != LAN and host else pc_ip(node)
    fixed = model.spec.vm(node).guest.interfaces.get(interface)
    if key == LAN and not (fixed and fixed.address):
        return "r1's lease"  # which one, r1's dnsmasq decides
    return model.address(node, key) or "none"


def answers(model):
    """Every question of the lab file, answered: IPv4's, then IPv6's (topos.labfile.model6)."""
    to_nodes, to_forwards = questions(model)
    found = []
    for source, node, interface, key in to_nodes:
        p = model.reach(source, node, key)
        found.append(Answer(source, "%s %s" % (node, interface),
                            address(model, node, interface, key), p.reached, p.reason,
                            p.seen_as))
    for source, host, forward, vm, key in to_forwards:
        p = model.reach_forward(source, host, forward, vm, key)
        found.append(Answer(source, "%s:%d/%s" % (host, forward.host_port, forward.proto),
                            "%s:%d" % (forward.host_ip or pc_ip(host), forward.host_port),
                            p.reached, p.reason, p.seen_as))
    return found + answers6(Ipv6Model(model.spec, model))


def answers6(model6):
    found = []
    for source, a in model6.questions():
        p = model6.reach(source, a)
        found.append(Answer(source, "%s %s" % (a.node, a.interface), a.address.split("/")[0],
                            p.reached, p.reason))
    for source, host, rule, vm in questions6_forwards(model6):
        p = model6.reach_forward(source, host, rule, vm)
        entry = model6.forward_entry(host, rule)
        found.append(Answer(source, "%s:%d/%s" % (host, rule.host_port, rule.proto),
                            "[%s]:%d" % (entry, rule.host_port), p.reached, p.reason))
    return found


def questions6_forwards(model6):
    """[(source, host PC, rule, VM)]: each IPv6 forward from every source but its VM."""
    return [(s, host, rule, vm) for host, rule, vm in model6.forwards()
            for s in sources(model6.model) if s != vm]



def table(rows):
    """Aligned columns under a header, each as wide as its longest cell."""
    cells = [COLUMNS] + [(a.source, a.to, a.address, "yes" if a.reached else "no", a.reason)
                         for a in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1]
                     for row in cells)


def by_source(rows):
    """A line per source: how many destinations it reaches, and its first refusal."""
    lines, by = [], {}
    for a in rows:
        by.setdefault(a.source, []).append(a)
    for source, mine in by.items():
        no = next((a for a in mine if not a.reached), None)
        lines.append("%s reaches %d of %d%s" % (source, sum(a.reached for a in mine), len(mine),
                     "; not %s: %s" % (no.to, no.reason) if no else ""))
    return "\n".join(lines)


def predict(path, every=False):
    """`vmnet predict`'s report: a header, then the answers (or a line per source)."""
    spec = read(path)
    from topos.labfile.model import Model

    rows = answers(Model(spec))
    head = "%s: %d VMs on %s; %d answers, %d reached" % (
        path, len(spec.vms()), ", ".join(spec.hosts), len(rows), sum(a.reached for a in rows))
    if len(rows) > MAX_ROWS and not every:
        return "%s\n(more than %d answers: a line per source; --all lists each)\n%s" % (
            head, MAX_ROWS, by_source(rows))
    return "%s\n%s" % (head, table(rows))


def predict_json(path):
    spec = read(path)
    from topos.labfile.model import Model

    return {"file": path, "vms": [vm.name for vm in spec.vms()],
            "answers": [asdict(a) for a in answers(Model(spec))]}
