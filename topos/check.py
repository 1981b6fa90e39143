"""Check DESIGN.md section 3 against a running lab: real exchanges, observed outcomes."""

from contextlib import contextmanager
from dataclasses import asdict, dataclass

from topos.capture import Capture
from topos.claims import for_mode
from topos.probe import PROTOCOLS, TCP_PORT, UDP_PORT, exchange
from topos.world import INET_IP, R1_WAN_IP


@dataclass(frozen=True)
class Observation:
    mode: str
    claim: int
    text: str
    proto: str
    expected: bool
    observed: bool
    detail: str

    @property
    def holds(self):
        return self.expected == self.observed

    def as_dict(self):
        return asdict(self)


def vms_of(lab, pc):
    return [vm for vm, host in lab.topo.vms.items() if host == pc]


def host1_address(lab):
    """Where vm1 finds its host: the host-only adapter, else host1's LAN address."""
    if lab.topo.mode == "hostonly":
        return lab.ip("host1", "vboxnet0")
    return lab.ip("host1")


def vm_network(lab):
    """The network behind host1 that outsiders have no route to."""
    address = lab.ip("vm1")
    return address.rsplit(".", 1)[0] + ".0/24"


@contextmanager
def nothing(_lab):
    yield


@contextmanager
def route_on_pc1_via_host1(lab):
    """Claim 5 holds even for a pc1 that knows the way to the VM network."""
    pc1 = lab.get("pc1")
    net = vm_network(lab)
    if net == lab.ip("pc1").rsplit(".", 1)[0] + ".0/24":
        yield  # bridged: the VMs are on pc1's own LAN already
        return
    pc1.check("ip route replace %s via %s" % (net, lab.ip("host1")))
    try:
        yield
    finally:
        pc1.cmd("ip route del %s" % net)


@contextmanager
def host1_link_down(lab):
    host1 = lab.get("host1")
    routes = host1.check("ip -4 route show default dev eth0").strip().splitlines()
    host1.check("ip link set eth0 down")
    try:
        yield
    finally:
        host1.check("ip link set eth0 up")
        for route in routes:  # the kernel drops them with the link
            host1.check("ip route replace " + route)


def plan(lab, number):
    """(situation, [(source node, destination address)]) for one claim in this lab."""
    vm3 = vms_of(lab, "host2")[0]
    return {
        1: (nothing, [("vm1", lab.ip("vm2"))]),
        2: (nothing, [("vm1", host1_address(lab))]),
        3: (nothing, [("host1", lab.ip("vm1"))]),
        4: (nothing, [("vm1", lab.ip("pc1"))]),
        5: (route_on_pc1_via_host1, [("pc1", lab.ip("vm1"))]),
        6: (nothing, [("vm1", INET_IP)]),
        7: (nothing, [("inet", lab.ip("vm1"))]),
        8: (nothing, [("vm1", lab.ip(vm3))]),
        9: (nothing, [("host1", lab.ip("pc1")), ("host1", INET_IP)]),
        10: (host1_link_down, [("host1", lab.ip("vm1")), ("vm1", host1_address(lab))]),
    }[number]


def check_claim(lab, claim, protocols=PROTOCOLS):
    if claim.number in SOURCE_SEEN:
        return check_source(lab, claim, protocols)
    if claim.number == 13:
        return check_port_forward(lab, claim)
    mode = lab.topo.mode
    situation, exchanges = plan(lab, claim.number)
    with situation(lab):
        results = [(src, dst, exchange(lab.get(src), dst, protocols)) for src, dst in exchanges]
    observations = []
    for proto in protocols:
        observed = all(r[proto].ok for _, _, r in results)
        detail = "; ".join("%s->%s: %s" % (s, d, r[proto].detail) for s, d, r in results)
        observations.append(Observation(mode, claim.number, claim.text, proto,
                                        claim.expected[mode], observed, detail))
    return observations


# Claims about what the far end sees: (observer, the source it should see, per mode).
SOURCE_SEEN = {11: "pc1", 12: "inet"}
FILTERS = {
    "icmp": "icmp[icmptype] = icmp-echo and dst host %s",
    "tcp": "tcp dst port %d and tcp[tcpflags] & tcp-syn != 0 and dst host %%s" % TCP_PORT,
    "udp": "udp dst port %d and dst host %%s" % UDP_PORT,
}


def expected_source(lab, observer):
    """(IP, MAC) that `observer` must see vm1's traffic come from, in this lab's mode."""
    if observer == "inet":
        r1 = lab.get("r1")
        return R1_WAN_IP, r1.intf("eth0").MAC()
    if lab.topo.mode == "nat":
        host1 = lab.get("host1")
        return lab.ip("host1"), host1.intf(host1.primary).MAC()
    return lab.ip("vm1"), lab.get("vm1").intf("eth0").MAC()


def check_source(lab, claim, protocols):
    observer = lab.get(SOURCE_SEEN[claim.number])
    address = lab.ip(observer.name)
    want_ip, want_mac = expected_source(lab, observer.name)
    observations = []
    for proto in protocols:
        capture = Capture(observer, observer.primary, FILTERS[proto] % address)
        result = exchange(lab.get("vm1"), address, [proto])[proto]
        seen = capture.first()
        observed = bool(result.ok and seen and (seen.src_ip, seen.src_mac) == (want_ip, want_mac))
        detail = "%s saw %s; expected %s (MAC %s)" % (observer.name, seen or "nothing",
                                                       want_ip, want_mac)
        observations.append(Observation(lab.topo.mode, claim.number, claim.text, proto,
                                        claim.expected[lab.topo.mode], observed, detail))
    return observations


def check_port_forward(lab, claim):
    """pc1 -> host1:2222 must be answered by vm1's port 22 (the lab's one forward is TCP)."""
    forward = next(f for f in lab.topo.forwards if f[2] == "vm1")
    proto, outside, vm, inside = forward
    result = exchange(lab.get("pc1"), lab.ip("host1"), [proto], {proto: outside})[proto]
    observed = result.ok and ("by=%s" % vm) in result.detail
    detail = "pc1->%s:%d: %s (forward %s:%d:%s:%d)" % (
        lab.ip("host1"), outside, result.detail, proto, outside, vm, inside)
    return [Observation(lab.topo.mode, claim.number, claim.text, proto,
                        claim.expected[lab.topo.mode], observed, detail)]


def check(lab, protocols=PROTOCOLS, progress=None):
    """Every claim of the lab's mode, every protocol: a list of Observations."""
    observations = []
    for claim in for_mode(lab.topo.mode):
        if progress:
            progress("claim %d: %s" % (claim.number, claim.text))
        observations += check_claim(lab, claim, protocols)
    return observations
