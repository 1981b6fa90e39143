"""The questions a lab file's model answers, and `vmnet predict FILE`'s answers to them.

Sources: every VM, the host PCs, pc1 and inet. Destinations: every address a VM's adapters
have, the host PCs' (LAN and host-only), pc1, inet; and each port forward."""

from topos.labfile.model import Model
from topos.labfile.reader import read

WORLD_SOURCES = ("host1", "host2", "pc1", "inet")


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


def predict(path):
    """The model's answers for a lab file, a line each: what reaches what, and why."""
    model = Model(read(path))
    to_nodes, to_forwards = questions(model)
    lines = []
    for source, node, interface, key in to_nodes:
        p = model.reach(source, node, key)
        lines.append("%-8s -> %-14s %-3s  %s" % (source, "%s %s" % (node, interface),
                                                 "yes" if p.reached else "no", p.reason))
    for source, host, forward, vm, key in to_forwards:
        p = model.reach_forward(source, host, forward, vm, key)
        lines.append("%-8s -> %-14s %-3s  %s" % (source, "%s:%d/%s" % (
            host, forward.host_port, forward.proto), "yes" if p.reached else "no", p.reason))
    return "\n".join(lines)
