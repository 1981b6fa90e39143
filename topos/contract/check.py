"""Check the contract's claims against a running lab: real exchanges, observed outcomes.

Claims name roles (topos.contract.claims.ROLES); a role the lab's parameters leave empty (one VM
on host1, no port forward) makes the claim "not applicable": reported as such, never
as a pass or a failure.
"""

from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Optional

from controllers.engines import DEFAULT_ENGINE, ENGINES
from plan.addressing import INET_IP, R1_WAN_IP
from topos.contract import ipv6_plan, name_check, nat_type
from topos.contract.claims import IPV6_CLAIMS, for_column
from topos.contract.probe import PROTOCOLS, TCP_PORT, UDP_PORT, Result, exchange
from topos.run.capture import Capture


@dataclass(frozen=True)
class Observation:
    mode: str
    claim: int
    text: str
    proto: str
    expected: Optional[bool]  # None: not applicable in this lab
    observed: Optional[bool]
    detail: str
    exchanges: int = 0  # requests made for this observation (TCP and UDP ones with a marker)
    retries: int = 0  # of them, requests sent again or segments resent (never hidden)
    first_packet_retries: int = 0  # of the retries, an exchange's first packet's

    @property
    def applicable(self):
        return self.expected is not None

    @property
    def holds(self):
        return self.expected == self.observed

    def as_dict(self):
        return asdict(self)


def vms_of(lab, pc):
    return [vm for vm, host in lab.topo.vms.items() if host == pc]


def roles(lab):
    """The claims' roles in this lab: {role: node name, or None when the lab has none}."""
    on_host1, on_host2 = vms_of(lab, "host1"), vms_of(lab, "host2")
    return {"vm": on_host1[0], "peer": on_host1[1] if len(on_host1) > 1 else None,
            "remote_vm": on_host2[0] if on_host2 else None,
            "forward": list(getattr(lab.topo, "forwards", ())) or None}


def describe(claim, lab):
    """The claim's text with this lab's nodes in place of its roles."""
    names = {k: (v if isinstance(v, str) else "(none)") for k, v in roles(lab).items()}
    forwards = roles(lab)["forward"] or []
    names["forward"] = ", ".join("%s:%d reaches %s:%d" % (lab.topo.vms[vm], outside, vm, inside)
                                 for _p, outside, vm, inside in forwards) or "(no forward)"
    return claim.text.format(**names)


MISSING = {"peer": "second VM on host1", "remote_vm": "VM on host2", "forward": "port forward"}


def not_applicable(lab, claim, missing):
    return [Observation(lab.topo.column, claim.number, describe(claim, lab), "-", None, None,
                        "not applicable: this lab has no %s" % MISSING[missing])]


def column_of(lab):
    """The lab's column of the contract. Imported here, not at load: the observations and
    their reports (this module's Observation) are read where Mininet is not installed."""
    from topos.modes.registry import column

    return column(lab.topo.column)


def expected(lab, claim):
    """Must the claim hold in this lab (its column says)?"""
    return column_of(lab).expected(claim.number)


def host1_address(lab):
    """Where vm1 finds its host: the mode's host interface (host-only's adapter), else
    host1's LAN address."""
    if lab.topo.host_interface:
        return lab.ip("host1", lab.topo.host_interface)
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
    role = roles(lab)
    plans = {
        1: lambda: (nothing, [("vm1", lab.ip(role["peer"]))]),
        2: lambda: (nothing, [("vm1", host1_address(lab))]),
        3: lambda: (nothing, [("host1", lab.ip("vm1"))]),
        4: lambda: (nothing, [("vm1", lab.ip("pc1"))]),
        5: lambda: (route_on_pc1_via_host1, [("pc1", lab.ip("vm1"))]),
        6: lambda: (nothing, [("vm1", INET_IP)]),
        7: lambda: (nothing, [("inet", lab.ip("vm1"))]),
        8: lambda: (nothing, [("vm1", lab.ip(role["remote_vm"]))]),
        9: lambda: (nothing, [("host1", lab.ip("pc1")), ("host1", INET_IP)]),
        10: lambda: (host1_link_down, [("host1", lab.ip("vm1")),
                                       ("vm1", host1_address(lab))]),
    }
    return plans[number]()


NAMES = 17  # the name claim (topos.contract.name_check)
# claim -> the role it cannot do without
NEEDS = {1: "peer", 8: "remote_vm", 13: "forward", 16: "forward", 22: "peer"}


def check_claim(lab, claim, protocols=PROTOCOLS):
    missing = NEEDS.get(claim.number)
    if missing and not roles(lab)[missing]:
        return not_applicable(lab, claim, missing)
    if claim.number in SOURCE_SEEN:
        return check_source(lab, claim, protocols)
    if claim.number in (13, 16):
        return check_port_forward(lab, claim)
    if claim.number == 1 and lab.ip(role_of(lab, "peer")) == lab.ip("vm1"):
        return check_isolated(lab, claim, role_of(lab, "peer"), protocols)
    if claim.number in STUN:
        return check_nat_type(lab, claim)
    if claim.number == NAMES:
        return name_check.check_names(lab, claim, expected(lab, claim), Observation)
    mode = lab.topo.column
    if claim.number in IPV6_CLAIMS:
        results = [(src, dst or "-", exchange(lab.get(src), dst, protocols) if dst else
                    {p: Result(False, missing) for p in protocols})
                   for src, dst, missing in ipv6_plan.plan(lab, claim.number,
                                                           role_of(lab, "peer"))]
    else:
        situation, exchanges = plan(lab, claim.number)
        with situation(lab):
            results = [(src, dst, exchange(lab.get(src), dst, protocols))
                       for src, dst in exchanges]
    observations = []
    for proto in protocols:
        observed = all(r[proto].ok for _, _, r in results)
        detail = "; ".join("%s->%s: %s" % (s, d, r[proto].detail) for s, d, r in results)
        observations.append(Observation(mode, claim.number, describe(claim, lab), proto,
                                        expected(lab, claim), observed, detail,
                                        len(results), sum(r[proto].retries for *_, r in results),
                                        sum(r[proto].first_packet for *_, r in results)))
    return observations


# Claims about what the far end sees: (observer, the source it should see, per mode).
# Claims about the NAT's type: (client, STUN server, whose NAT).
STUN = {14: ("vm1", "pc1", "vm"), 15: ("host1", "inet", "r1")}


def check_nat_type(lab, claim):
    client, server, nat = STUN[claim.number]
    engine = ENGINES[lab.topo.options.get("engine", DEFAULT_ENGINE)]
    want = engine.stun_type if nat == "vm" else nat_type.R1_TYPE
    seen = [nat_type.classify(lab, client, server)]
    # A symmetric NAT that picks each connection's outside port by a hash of both ends
    # (the conntrack engine, over a VM's 500-port slice) gives two remotes the same port
    # 1 time in 500, and STUN then sees one mapping. A new run (stun takes a new local
    # port) tells them apart; a NAT that really keeps one mapping says so every time.
    while seen[-1] != want and want.startswith("Dependent Mapping") and len(seen) < 3:
        seen.append(nat_type.classify(lab, client, server))
    return [Observation(lab.topo.column, claim.number, claim.text, "udp",
                        expected(lab, claim), seen[-1] == want,
                        "stun says: %s; expected: %s" % (" / then: ".join(seen), want))]


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
    if lab.topo.hides_vms:
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
        observations.append(Observation(lab.topo.column, claim.number, describe(claim, lab),
                                        proto, expected(lab, claim), observed, detail,
                                        1, result.retries, result.first_packet))
    return observations


def role_of(lab, role):
    return roles(lab)[role]


def check_isolated(lab, claim, peer, protocols):
    """Two VMs with one address (plain NAT: both 10.0.2.15) cannot name each other; what
    shows they share no network is that a broadcast from one never reaches the other."""
    vm1 = lab.get("vm1")
    broadcast = vm_network(lab).replace(".0/24", ".255")
    send = {"icmp": "ping -b -n -c1 -W1 %s" % broadcast,
            "udp": "echo hello | socat -t1 - UDP4-DATAGRAM:%s:%d,broadcast" % (
                broadcast, UDP_PORT)}
    observations = []
    for proto in [p for p in protocols if p in send]:  # TCP has no broadcast
        bpf = "ether src %s and %s" % (vm1.intf("eth0").MAC(), proto)
        capture = Capture(lab.get(peer), "eth0", bpf)
        vm1.cmd(send[proto])
        seen = capture.first(timeout=2)
        detail = "%s to %s; %s saw %s" % (proto, broadcast, peer, seen or "nothing from vm1")
        observations.append(Observation(lab.topo.column, claim.number, describe(claim, lab),
                                        proto, expected(lab, claim), bool(seen),
                                        detail))
    return observations


def check_port_forward(lab, claim):
    """Claim 13: pc1 -> the VM's host PC at the outside port; claim 16: that host PC -> its
    own 127.0.0.1 at the outside port (a forward is a host socket, as in VirtualBox).
    Either must be answered by the VM's inside port, over the forward's own protocol; one
    observation per forward."""
    observations = []
    for proto, outside, vm, inside in lab.topo.forwards:
        pc = lab.topo.vms[vm]
        client, address = ("pc1", lab.ip(pc)) if claim.number == 13 else (pc, "127.0.0.1")
        result = exchange(lab.get(client), address, [proto], {proto: outside})[proto]
        observed = result.ok and ("by=%s" % vm) in result.detail
        detail = "%s->%s:%d: %s (forward %s:%d:%s:%d)" % (
            client, address, outside, result.detail, proto, outside, vm, inside)
        text = "%s -> %s:%d reaches %s:%d (a port forward)" % (
            client, pc if claim.number == 13 else address, outside, vm, inside)
        observations.append(Observation(lab.topo.column, claim.number, text, proto,
                                        expected(lab, claim), observed, detail,
                                        1, result.retries, result.first_packet))
    return observations


def check(lab, protocols=PROTOCOLS, progress=None):
    """Every claim of the lab's mode, every protocol: a list of Observations."""
    observations = []
    for claim in for_column(column_of(lab)):
        if progress:
            progress("claim %d: %s" % (claim.number, claim.text))
        observations += check_claim(lab, claim, protocols)
    return observations
