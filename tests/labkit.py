"""Building, stopping and inspecting labs in tests."""

import os

from leftovers import left_behind, root_state

from plan.addressing import pc_ip


def save_evidence(lab, name):
    """Flow tables and the OVS view next to the lab's logs and leases."""
    folder = os.path.join(lab.rundir, "evidence-%s" % name.replace("/", "_")[:80])
    os.makedirs(folder, exist_ok=True)
    for switch in lab.switches:
        with open(os.path.join(folder, "flows-%s.txt" % switch.name), "w") as f:
            f.write(switch.flows())
    for node in lab.hosts:
        with open(os.path.join(folder, "%s-ip.txt" % node.name), "w") as f:
            f.write(node.cmd("ip -br addr; ip route; ip neigh"))
    if lab.switches:  # the datapath's cache and the connection tracker's entries
        for what, command in (("datapath-flows", "dpctl/dump-flows -m"),
                              ("conntrack", "dpctl/dump-conntrack -s")):
            with open(os.path.join(folder, "%s.txt" % what), "w") as f:
                f.write(lab.switches[0].cmd("ovs-appctl %s" % command))
    return folder


def build(topo, rundir):
    from topos.run.lab import Lab

    lab = Lab(topo, rundir=str(rundir))
    lab.start()
    return lab


def stop_and_check(lab, before):
    pids, names = lab.pids(), lab.names()
    lab.teardown()
    left = left_behind(pids, names)
    assert not left, "the lab left behind: %s" % ", ".join(left)
    assert root_state() == before, "the lab changed the root namespace"


def assert_claim(lab, claim):
    """Every protocol of one claim behaves as the contract says, in this lab."""
    from topos.contract import check

    observations = check.check_claim(lab, claim)
    wrong = ["%s: expected %s, saw %s (%s)" % (o.proto, o.expected, o.observed, o.detail)
             for o in observations if not o.holds]
    assert not wrong, "claim %d (%s): %s" % (claim.number, claim.text, "; ".join(wrong))
    forwards = {proto for proto, *_ in getattr(lab.topo, "forwards", ())}
    assert {o.proto for o in observations} == claim_protocols(lab.topo.column, claim.number,
                                                              forwards)


def claim_protocols(column, number, forwards=frozenset({"tcp"})):
    """The protocols a claim is checked with: every one, except for port forwards (their own
    protocols), STUN (UDP), names (a lookup, then a ping by name: 'dns'), and broadcasts
    between VMs of one address (no TCP)."""
    if number in (13, 16):
        return set(forwards)
    if number in (14, 15):
        return {"udp"}
    if number == 17:
        return {"dns"}
    if (column, number) == ("nat_per_vm", 1):
        return {"icmp", "udp"}
    return {"icmp", "tcp", "udp"}


def interface_names(lab, node):
    """The interfaces a node shows, as `ip link` names them (without @peer)."""
    return {line.split()[0].split("@")[0]
            for line in lab.get(node).cmd("ip -br link").splitlines()}


QUERY_ID = 4242


def query_seen_at_r1(lab, name):
    """Ask vm1's name server for `name` with a known query ID. r1 must see a query from
    host1; returns (r1 saw it with the guest's own ID, vm1's answer)."""
    from topos.run.capture import Capture

    r1 = lab.get("r1")
    same_id = Capture(r1, "eth1", "udp dst port 53 and udp[8:2] = %d" % QUERY_ID)
    any_query = Capture(r1, "eth1", "udp dst port 53 and src host %s" % pc_ip("host1"))
    answer = lab.get("vm1").cmd("dig +qid=%d +short +tries=2 %s" % (QUERY_ID, name))
    seen_any = any_query.first()
    seen_same = same_id.first(timeout=1)
    same_id.stop()
    any_query.stop()
    assert seen_any, "r1 saw no query from host1 (vm1's answer: %r)" % answer
    return seen_same is not None, answer


# A guest's own resolver and connect, by name: the addresses in the order getaddrinfo gives
# them (RFC 6724's), then the echo server's answer to the first that connects
CONNECT_BY_NAME = (
    "python3 -c \"import socket; print(' '.join(a[4][0] for a in socket.getaddrinfo("
    "'www.example.test', 7001, type=socket.SOCK_STREAM))); s = socket.create_connection(("
    "'www.example.test', 7001), 2); s.sendall(b'hi'); s.shutdown(1); print(s.recv(300).decode())\"")
