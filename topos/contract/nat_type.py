"""What kind of NAT a node sits behind, told by a client nobody here wrote: Debian's
`stun` (RFC 3489 tests) against `stund` on the far side, which needs a second address
(added inside the server's own namespace for the test, and removed after).

The classes written down below are what the contract expects (docs/contract.md §3):
mapping (does an inside endpoint keep its outside port whatever the remote?), filtering
(who may send back to it?), port preservation, hairpin.
"""

from contextlib import contextmanager

from topos.run.poll import until

STUN_PORT = 3478
# r1's kernel masquerade keeps the source port when it is free. What a virtual router is
# depends on its NAT engine (controllers.engines: each engine's stun_type).
R1_TYPE = "Independent Mapping, Port Dependent Filter, preserves ports, no hairpin"
SECOND = {"pc1": "192.168.1.21", "inet": "203.0.113.11"}  # outside r1's pool and reservations


@contextmanager
def stun_server(lab, name):
    """stund on `name`, on its address and a second one; everything undone after."""
    node = lab.get(name)
    primary, second = lab.ip(name), SECOND[name]
    node.check("ip addr add %s/24 dev %s" % (second, node.primary))
    proc = node.spawn(["stund", "-h", primary, "-a", second],
                      "%s/%s-stund.log" % (lab.rundir, name))
    try:
        until(lambda: node.listens(STUN_PORT, "udp"), 5, "stund on %s" % name)
        yield primary
    finally:
        proc.terminate()
        proc.wait()
        node.processes.remove(proc)
        node.cmd("ip addr del %s/24 dev %s" % (second, node.primary))


def classify(lab, client, server):
    """The class `stun` gives the NAT between `client` and a STUN server on `server`."""
    with stun_server(lab, server) as address:
        out = lab.get(client).cmd("stun %s" % address)
    line = next((s for s in out.splitlines() if s.startswith("Primary:")), "")
    return line.split(":", 1)[1].strip() if line else "no answer (%s)" % out.strip()[-80:]
