"""`vmnet check FILE`: every prediction of the model (topos.labfile.model) for a lab file,
proved in its lab with real ICMP, TCP and UDP exchanges, and the matrix they make.

Sources: every VM, the host PCs, pc1 and inet. Destinations: every address a VM's adapters
have, the host PCs' addresses (LAN and host-only), pc1, inet, and each port forward (over
its own protocol; a host PC asks its own forwards at 127.0.0.1, as VirtualBox's host
does); then the same over IPv6 (topos.labfile.model6): every global address, each
link-local one from the nodes on its link, each IPv6 forward. A TCP or UDP answer counts
only when it comes from the node meant (`by=NODE`): another node at the same address is no
answer.
"""

from concurrent.futures import ThreadPoolExecutor

from topos.contract.check import Observation
from topos.contract.probe import PROTOCOLS, Result, exchange
from topos.labfile.predict import questions, questions6_forwards
from topos.run.errors import LabError


def own_addresses(node):
    return {line.split()[3].split("/")[0] for line in node.cmd("ip -4 -o addr").splitlines()
            if len(line.split()) > 3}


def address_of(lab, node, interface):
    try:
        return lab.ip(node, interface)
    except LabError:  # no lease, no address: nothing can reach it there
        return None


def prove(lab, source, node, interface, key, protocols, own=frozenset()):
    """Observations of one prediction: source -> node's address on `interface`."""
    model = lab.topo.model
    predicted = model.reach(source, node, key)
    address = address_of(lab, node, interface)
    text = "%s -> %s %s" % (source, node, interface)
    if address is None:
        results = {p: None for p in protocols}
    elif address in own:
        # plain NAT's VMs all have 10.0.2.15: the source would only answer itself
        results = {p: Result(False, "%s is %s's own address too" % (address, source))
                   for p in protocols}
    else:
        results = exchange(lab.get(source), address, protocols)
    observations = []
    for proto in protocols:
        r = results[proto]
        answered = bool(r and r.ok and (proto == "icmp" or "by=%s " % node in r.detail + " "))
        detail = "%s (%s) | predicted: %s" % (
            "no address" if r is None else r.detail, address or "-", predicted.reason)
        observations.append(Observation("lab", 0, text, proto, predicted.reached, answered,
                                        detail, 1, r.retries if r else 0,
                                        r.first_packet if r else 0))
    return observations


def prove_forward(lab, source, host, forward, vm, key):
    model = lab.topo.model
    predicted = model.reach_forward(source, host, forward, vm, key)
    # a host PC asks its own forward at 127.0.0.1, as `ssh -p 2222 127.0.0.1` does
    address = "127.0.0.1" if source == host else lab.ip(host)
    r = exchange(lab.get(source), address, [forward.proto], {forward.proto:
                                                              forward.host_port})[forward.proto]
    answered = r.ok and "by=%s " % vm in r.detail + " "
    text = "%s -> %s:%d (forward %s to %s:%d)" % (source, host, forward.host_port, forward.name,
                                                 vm, forward.guest_port)
    return [Observation("lab", 0, text, forward.proto, predicted.reached, answered,
                        "%s | predicted: %s" % (r.detail, predicted.reason), 1, r.retries,
                        r.first_packet)]


def prove6(lab, source, target, protocols):
    """Observations of one IPv6 prediction: source -> Address6 `target` (a link-local one
    through the source's own card on that link)."""
    model6 = lab.topo.model6
    predicted = model6.reach(source, target)
    address = target.address.split("/")[0]
    if target.link:
        address += "%%%s" % next(a.interface for a in model6.addresses[source]
                                 if a.key == target.key)
    results = exchange(lab.get(source), address, protocols)
    text = "%s -> %s %s (IPv6%s)" % (source, target.node, target.interface,
                                     ", link-local" if target.link else "")
    return [Observation("lab", 0, text, proto, predicted.reached,
                        bool(results[proto].ok and (proto == "icmp" or "by=%s " % target.node
                                                    in results[proto].detail + " ")),
                        "%s (%s) | predicted: %s" % (results[proto].detail, address,
                                                     predicted.reason), 1,
                        results[proto].retries, results[proto].first_packet)
            for proto in protocols]


def prove_forward6(lab, source, host, rule, vm):
    model6 = lab.topo.model6
    predicted = model6.reach_forward(source, host, rule, vm)
    address = model6.forward_entry(host, rule)
    r = exchange(lab.get(source), address, [rule.proto], {rule.proto: rule.host_port})[
        rule.proto]
    text = "%s -> %s:%d (IPv6 forward %s to %s:%d)" % (source, host, rule.host_port, rule.name,
                                                      vm, rule.guest_port)
    return [Observation("lab", 0, text, rule.proto, predicted.reached,
                        bool(r.ok and "by=%s " % vm in r.detail + " "),
                        "%s | predicted: %s" % (r.detail, predicted.reason), 1, r.retries,
                        r.first_packet)]


def check(lab, protocols=PROTOCOLS, progress=None, workers=2):
    """Every prediction, proved: a list of Observations (expected: the model's). Two
    questions at a time (each over its three protocols): more would load a 2-core machine's
    controller past the probes' 1 s timeouts on a first packet that waits on ARP."""
    to_nodes, to_forwards = questions(lab.topo.model)
    # read before the questions run side by side: a node's shell runs one command at a time
    own = {s: own_addresses(lab.get(s)) for s in {q[0] for q in to_nodes}}
    jobs = [(prove, (lab, s, node, interface, key, protocols, own[s]))
            for s, node, interface, key in to_nodes]
    jobs += [(prove_forward, (lab,) + question) for question in to_forwards]
    jobs += [(prove6, (lab, s, target, protocols)) for s, target in lab.topo.model6.questions()]
    jobs += [(prove_forward6, (lab,) + q) for q in questions6_forwards(lab.topo.model6)]
    if progress:
        progress("%d predictions to prove" % len(jobs))
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda job: job[0](*job[1]), jobs))
    return [o for observations in results for o in observations]


def matrix(observations):
    """Sources down, destinations across: yes / no as measured, '!' where the model said
    otherwise."""
    cells, sources_, targets = {}, [], []
    for o in observations:
        source, _, target = o.text.partition(" -> ")
        sources_ += [source] if source not in sources_ else []
        targets += [target] if target not in targets else []
        held = cells.get((source, target), True) and o.holds
        seen = cells.get((source, target, "seen"), True) and o.observed
        cells[(source, target)], cells[(source, target, "seen")] = held, seen
    width = max(len(s) for s in sources_) + 2
    lines = ["%-*s%s" % (width, "", "  ".join("[%d]" % (i + 1) for i in range(len(targets))))]
    for s in sources_:
        row = []
        for i, t in enumerate(targets):
            if (s, t) not in cells:
                row.append(" " * len("[%d]" % (i + 1)))
                continue
            mark = ("yes" if cells[(s, t, "seen")] else "no") + ("" if cells[(s, t)] else "!")
            row.append(mark.ljust(len("[%d]" % (i + 1))))
        lines.append("%-*s%s" % (width, s, "  ".join(row)))
    lines += ["[%d] %s" % (i + 1, t) for i, t in enumerate(targets)]
    return "\n".join(lines)
