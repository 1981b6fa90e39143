"""Fuzzing the packet boundary: whatever a guest (or the LAN) sends, nothing raises, nothing
hangs, no forged source leaves, the tables stay bounded and consistent, and a new VM still
gets its lease - with either NAT engine.

Valid frames of every kind the virtual router handles are built with the framework's
packet library, then mutated (bytes flipped, fields zeroed or maxed, cut short, extended,
TCP options of length 0) or replaced by random bytes, and fed through boundary.handle
exactly as the controller app does, on each entry: a VM's port, the LAN uplink, the host
PC's own port, and a learning switch. Among them: tunnels (VXLAN, Geneve, Linux VXLAN, GRE)
whose inner frame is broken, and sources forged on every entry. While it runs, the
framework's packet parser raises if anything calls it: no guest's bytes may reach it.
Figures (frames, exceptions, slowest call) are printed: `pytest -s tests/unit/test_fuzz.py`.
"""

import gc
import random
import resource
import struct
import time
from collections import Counter

import pytest
from flowtable import FlowTable, fields_of

pytest.importorskip("os_ken", reason="needs os-ken's packet library to build valid frames")

from os_ken.lib.packet import arp, dhcp, ethernet, icmp, ipv4, tcp, udp  # noqa: E402
from routers import plain_routers  # noqa: E402
from test_frame_ipv6 import extension, ipv6, nd_option  # noqa: E402

from controllers import dhcp_server, ipv6_gate, learning, neighbours  # noqa: E402
from controllers.boundary import Drops, Malformed, handle  # noqa: E402
from controllers.checksum import complete  # noqa: E402
from controllers.engines import ENGINES  # noqa: E402
from controllers.frame import read  # noqa: E402
from controllers.learning import LearningSwitch  # noqa: E402
from controllers.openflow_nat import OpenFlowNat  # noqa: E402
from controllers.packets import build  # noqa: E402
from controllers.router_flows import COOKIE_OWNER  # noqa: E402
from controllers.rules import CONTROLLER, TABLE, Flow, PacketOut  # noqa: E402
from controllers.virtual_router import VirtualRouter  # noqa: E402
from plan.addressing import GATEWAY_MAC  # noqa: E402

VM_MAC, VM_IP, VM_PORT = "08:00:27:00:00:01", "10.0.2.15", 10
VM2_MAC = "08:00:27:00:00:02"  # vm2: port 11
R1_MAC, R1_IP = "02:00:c0:a8:01:01", "192.168.1.1"
HOST_IP, HOST_MAC = "192.168.1.10", "02:00:c0:a8:01:0a"
INET = "203.0.113.10"
FRAMES = 100_000  # per entry, and engine
SLOW = 0.250  # seconds: no call may take longer (a quadratic path takes seconds; 50 ms
# flaked with four test workers on two cores)
TUNNEL_PORTS = (4789, 6081, 8472)  # VXLAN, Geneve, Linux's VXLAN


def dhcp_frame(kind, mac=VM_MAC, ciaddr="0.0.0.0", options=()):
    opts = [dhcp.option(tag=53, value=bytes([kind]))] + [dhcp.option(tag=t, value=v)
                                                          for t, v in options]
    msg = dhcp.dhcp(op=1, chaddr=mac, xid=random.getrandbits(32), ciaddr=ciaddr,
                    options=dhcp.options(option_list=opts))
    return build(ethernet.ethernet(dst="ff:ff:ff:ff:ff:ff", src=mac),
                 ipv4.ipv4(src="0.0.0.0", dst="255.255.255.255", proto=17),
                 udp.udp(src_port=68, dst_port=67), msg)


def from_vm(l4, proto, dst=INET, ttl=64, flags=0, offset=0, payload=b""):
    layers = [ethernet.ethernet(dst=GATEWAY_MAC, src=VM_MAC),
              ipv4.ipv4(src=VM_IP, dst=dst, proto=proto, ttl=ttl, flags=flags, offset=offset),
              l4]
    return build(*layers + ([payload] if payload else []))


def templates():
    syn = tcp.tcp(src_port=40000, dst_port=7001, seq=1, bits=tcp.TCP_SYN,
                  option=[tcp.TCPOptionMaximumSegmentSize(max_seg_size=1460),
                          tcp.TCPOptionSACKPermitted(), tcp.TCPOptionWindowScale(shift_cnt=7)])
    vm = [
        dhcp_frame(1), dhcp_frame(3, options=[(50, bytes([10, 0, 2, 15]))]),
        dhcp_frame(7, ciaddr=VM_IP),
        build(ethernet.ethernet(dst="ff:ff:ff:ff:ff:ff", src=VM_MAC, ethertype=0x0806),
              arp.arp(opcode=1, src_mac=VM_MAC, src_ip=VM_IP, dst_mac="00:00:00:00:00:00",
                      dst_ip="10.0.2.2")),
        from_vm(syn, 6), from_vm(udp.udp(src_port=40001, dst_port=7002), 17, payload=b"hello"),
        from_vm(udp.udp(src_port=40002, dst_port=7002), 17, dst="192.168.1.20"),
        from_vm(icmp.icmp(type_=8, data=icmp.echo(id_=7, seq=1, data=b"x" * 32)), 1),
        from_vm(icmp.icmp(type_=8, data=icmp.echo(id_=8, seq=1)), 1, dst="10.0.2.2"),
        from_vm(udp.udp(src_port=40003, dst_port=7002), 17, flags=1, payload=b"y" * 1400),
        from_vm(udp.udp(src_port=40003, dst_port=7002), 17, offset=185),
        from_vm(udp.udp(src_port=40004, dst_port=33434), 17, ttl=1),
    ]
    vm += [tunnelled(port, dst) for port in TUNNEL_PORTS for dst in (INET, "192.168.1.20")]
    vm += ipv6_templates()
    vm += [other_kind(kind, mac) for kind in OTHER_KINDS for mac in FORGED_MACS]
    vm += [dhcp_frame(1, mac=mac) for mac in FORGED_MACS]
    vm += [forged("10.0.2.50"), forged("10.0.2.2"), forged("10.0.2.255")]  # a static guest's
    vm += [gre(), forged(HOST_IP), forged(HOST_IP, dst=R1_IP), forged("10.0.2.16"),
           forged("192.168.1.20"),
           forged(HOST_IP, proto=47), forged(HOST_IP, dst_mac=R1_MAC)]
    quoted = from_vm(udp.udp(src_port=61000, dst_port=7002), 17)[14:14 + 28]
    quoted = quoted[:12] + bytes([192, 168, 1, 10]) + quoted[16:]
    lan = [
        build(ethernet.ethernet(dst=HOST_MAC, src=R1_MAC, ethertype=0x0806),
              arp.arp(opcode=2, src_mac=R1_MAC, src_ip=R1_IP, dst_mac=HOST_MAC,
                      dst_ip=HOST_IP)),
        build(ethernet.ethernet(dst=HOST_MAC, src=R1_MAC),
              ipv4.ipv4(src=INET, dst=HOST_IP, proto=1),
              icmp.icmp(type_=0, data=icmp.echo(id_=61000, seq=1))),
        build(ethernet.ethernet(dst=HOST_MAC, src=R1_MAC),
              ipv4.ipv4(src=INET, dst=HOST_IP, proto=1),
              icmp.icmp(type_=3, code=3, data=icmp.dest_unreach(data=quoted))),
        build(ethernet.ethernet(dst=HOST_MAC, src="02:00:c0:a8:01:14"),
              ipv4.ipv4(src="192.168.1.20", dst=HOST_IP, proto=6),
              tcp.tcp(src_port=50000, dst_port=2222, bits=tcp.TCP_SYN)),
    ]
    lan += [tunnelled(port, HOST_IP, src="192.168.1.20", eth=(HOST_MAC, R1_MAC))
            for port in TUNNEL_PORTS]
    lan += [gre(src="192.168.1.20", dst=HOST_IP, eth=(HOST_MAC, R1_MAC)),
            forged(VM_IP, dst=HOST_IP, eth=(HOST_MAC, R1_MAC)),  # the VMs' address from the LAN
            forged(HOST_IP, dst="10.0.2.2", eth=(GATEWAY_MAC, R1_MAC))]
    return vm, lan


FORGED_MACS = ("08:00:27:00:00:02", GATEWAY_MAC, HOST_MAC, "ff:ff:ff:ff:ff:ff",
               "01:00:5e:00:00:01", "00:00:00:00:00:00", R1_MAC)
OTHER_KINDS = ("ipv6", "vlan", "arp", "other")


def other_kind(kind, mac):
    """A frame the NAT does not translate, with `mac` as its source: IPv6 (issue 27's
    reproducer), a VLAN-tagged IPv4 packet, an ARP reply claiming 10.0.2.2, an unknown
    ethertype."""
    src = bytes.fromhex(mac.replace(":", ""))
    if kind == "ipv6":
        return b"\xff" * 6 + src + bytes.fromhex(
            "86dd6000000000003b40fe800000000000000000000000000001"
            "ff020000000000000000000000000001")
    if kind == "vlan":
        return b"\xff" * 6 + src + b"\x81\x00\x00\x0a" + forged(VM_IP)[12:]
    if kind == "arp":
        return build(ethernet.ethernet(dst=VM_MAC, src=mac, ethertype=0x0806),
                     arp.arp(opcode=2, src_mac=mac, src_ip="10.0.2.2", dst_mac=VM_MAC,
                             dst_ip=VM_IP))
    return b"\xff" * 6 + src + b"\x88\xb5" + b"x" * 46


def inner_frame():
    """A frame inside a tunnel, broken: its TCP header carries a SACK option of length 0."""
    seg = bytearray(build(ethernet.ethernet(dst=R1_MAC, src=VM_MAC),
                          ipv4.ipv4(src="172.16.0.1", dst="172.16.0.2", proto=6),
                          tcp.tcp(src_port=1, dst_port=2, bits=tcp.TCP_SYN,
                                  option=[tcp.TCPOptionSACKPermitted()] * 2)))
    seg[54:56] = bytes([5, 0])
    return bytes(seg)


def tunnelled(port, dst, src=VM_IP, eth=(GATEWAY_MAC, VM_MAC)):
    """A datagram a plain UDP socket can send: a tunnel header with its reserved flags set
    (os-ken's VXLAN parser asserts on them) and the broken inner frame."""
    vxlan, geneve = b"\xff\xff\xff\xff\x00\x00\x01\xff", b"\x00\x00\x65\x58" + bytes(4)
    header = geneve if port == 6081 else vxlan
    return build(ethernet.ethernet(dst=eth[0], src=eth[1]),
                 ipv4.ipv4(src=src, dst=dst, proto=17),
                 udp.udp(src_port=40000 + port % 1000, dst_port=port), header + inner_frame())


def gre(src=VM_IP, dst=INET, eth=(GATEWAY_MAC, VM_MAC)):
    """GRE carrying an Ethernet frame (transparent bridging), broken inside."""
    return build(ethernet.ethernet(dst=eth[0], src=eth[1]), ipv4.ipv4(src=src, dst=dst, proto=47),
                 b"\x00\x00\x65\x58" + inner_frame())


def forged(src, dst="192.168.1.20", proto=17, dst_mac=GATEWAY_MAC, eth=None):
    """A packet whose source address is not its sender's."""
    eth = eth or (dst_mac, VM_MAC)
    body = udp.udp(src_port=40009, dst_port=7002) if proto == 17 else b"\x00\x00\x08\x00"
    return build(ethernet.ethernet(dst=eth[0], src=eth[1]),
                 ipv4.ipv4(src=src, dst=dst, proto=proto), body, b"forged")


VM_LL, VM2_LL = "fe80::a00:27ff:fe00:1", "fe80::a00:27ff:fe00:2"


def v6(next_header, payload, src=VM_LL, dst="ff02::1", hop_limit=255, dst_mac=None):
    dst_mac = dst_mac or "33:33:00:00:00:01"
    return (bytes.fromhex(dst_mac.replace(":", "") + VM_MAC.replace(":", "")) + b"\x86\xdd"
            + ipv6(next_header, payload, src=src, dst=dst, hop_limit=hop_limit))


def ipv6_templates():
    """What a guest's IPv6 sends by itself (address detection, a neighbour's question and
    answer, a router solicitation, a listener report), and a guest's own: an echo and UDP
    out, a chain of extension headers, a fragment, another VM's address advertised."""
    import ipaddress

    def nd(kind, target, option=None, src=VM_LL):
        body = bytes([kind, 0, 0, 0, 0, 0, 0, 0]) + ipaddress.IPv6Address(target).packed
        return v6(58, body + (nd_option(*option) if option else b""), src=src)

    udp6 = struct.pack("!HHHH", 40005, 7002, 13, 0) + b"hello"
    return [
        nd(135, VM_LL, src="::"), nd(136, VM_LL, (2, VM_MAC)), nd(135, VM2_LL, (1, VM_MAC)),
        nd(136, VM2_LL, (2, VM_MAC)), nd(136, VM_LL, (2, VM2_MAC)),
        v6(58, bytes([133, 0, 0, 0, 0, 0, 0, 0]) + nd_option(1, VM_MAC), dst="ff02::2"),
        v6(58, bytes([143, 0, 0, 0, 0, 0, 0, 0]), src="::", dst="ff02::16", hop_limit=1),
        v6(58, bytes([128, 0, 0, 0, 0, 7, 0, 1]) + b"x" * 32, dst="2001:db8:203::10",
           hop_limit=64, dst_mac=GATEWAY_MAC),
        v6(60, extension(60) * 3 + extension(17) + udp6, dst=VM2_LL, hop_limit=64,
           dst_mac=VM2_MAC),
        v6(44, struct.pack("!BBHI", 17, 0, 1, 9) + udp6, dst=VM2_LL, dst_mac=VM2_MAC),
    ]


def mutate(frame, rng):
    frame = bytearray(frame)
    how = rng.randrange(7)
    if how == 0 and frame:  # flip a few bytes
        for _ in range(rng.randint(1, 4)):
            frame[rng.randrange(len(frame))] = rng.randrange(256)
    elif how == 1 and len(frame) > 2:  # a 16-bit field zeroed or maxed
        at = rng.randrange(len(frame) - 1)
        frame[at:at + 2] = rng.choice([b"\0\0", b"\xff\xff"])
    elif how == 2:  # cut short
        del frame[rng.randrange(len(frame) + 1):]
    elif how == 3:  # extended
        frame += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif how == 4 and len(frame) > 54 and frame[23] == 6:  # a TCP option of length 0
        frame[54:56] = bytes([rng.choice([5, 8, 30, 99]), 0])
    elif how == 5:  # random bytes
        frame = bytearray(rng.randrange(256) for _ in range(rng.randrange(200)))
    else:  # the header of one, the body of another
        frame[rng.randrange(len(frame) + 1):] = bytes(rng.randrange(256) for _ in range(20))
    return bytes(frame)


def ready_router(engine="openflow"):
    router = VirtualRouter(plain_routers(engine)[0])
    drops, now = Drops("test"), 100.0
    router.connected()
    router.adopt([], now)
    for frame in (dhcp_frame(1), dhcp_frame(3, options=[(50, bytes([10, 0, 2, 15]))])):
        handle(router, VM_PORT, frame, now, drops)
    handle(router, 1, templates()[1][0], now, drops)  # r1's MAC
    import ipaddress

    vm2 = bytes.fromhex(VM2_MAC.replace(":", ""))  # vm2 holds its link-local address
    says = bytes([136, 0, 0, 0, 0, 0, 0, 0]) + ipaddress.IPv6Address(VM2_LL).packed
    handle(router, 11, b"\x33\x33\0\0\0\x01" + vm2 + b"\x86\xdd" + ipv6(
        58, says + bytes([2, 1]) + vm2, src=VM2_LL, dst="ff02::1", hop_limit=255), now, drops)
    assert router.ipv6.holder[VM2_LL] == 11
    return router, drops


def assert_consistent(router, now):
    for ip, lease in router.dhcp.leases.leases.items():
        assert lease.ip == ip and ip in router.dhcp.leases.addresses
    if not isinstance(router.engine, OpenFlowNat):
        return  # the conntrack engine keeps no NAT table: the switch's tracker does
    nat = router.engine.nat
    for key, m in nat.mappings.items():
        assert key == (m.proto, m.inside_ip, m.inside_port)
        assert nat.by_outside[(m.proto, m.outside_port)] is m
        for cookie in m.sessions:
            assert nat.sessions[cookie].mapping is m
    for (proto, port), m in nat.by_outside.items():
        assert (m.proto, m.outside_port) == (proto, port)
        assert nat.mappings[(m.proto, m.inside_ip, m.inside_port)] is m
    used = {(p, port) for p, port in nat.by_outside}
    for proto, pool in nat.pools.items():
        assert not {(proto, port) for port in pool.free} & used  # a port is free or in use


@pytest.fixture
def no_library_parser(monkeypatch):
    """The framework's packet parser raises if anything calls it (building frames does not)."""
    from os_ken.lib.packet import packet

    def refuse(self, *args, **kwargs):
        raise AssertionError("the packet library parsed a frame")

    monkeypatch.setattr(packet.Packet, "_parser", refuse)


OWN_MACS = (GATEWAY_MAC, HOST_MAC)  # the router's own: what its answers and rewrites carry


def sent_source(rule):
    """The source MAC a packet-out's frame leaves with (its actions may set it)."""
    src = read(rule.data, deep=False).src
    for action in rule.actions:
        if getattr(action, "field", None) == "eth_src":
            src = action.value
    return src


def violations(rules, router, fed, now):
    """The policy a VM's frame `fed` must not break, as [(what, detail)]:
    - a frame it sent leaves, towards the LAN, host1 or another VM, only with the VM's own MAC
      (or the router's, when the router rewrote it); towards the LAN or host1 only with the
      VM's own address through its session's flows, or translated to the router's own;
    - the VM's address is one no other VM holds (not another's lease or reservation, not the
      router's own);
    - a flow for the VM's port that forwards anything matches the VM's MAC."""
    c, found = router.cfg, []
    try:
        fed = read(fed)
    except Malformed:
        return []
    address = router.ports.address(VM_PORT, now)
    if address is not None and (address in (c.gateway_ip, c.dns_alias) or any(
            mac != VM_MAC and ip == address for mac, ip in c.reserved.items())
            or router.dhcp.leases.owner(address, now) not in (None, VM_MAC)):
        found.append(("a VM's address is another's", address))
    for rule in rules:
        if isinstance(rule, Flow):
            forwards = any(getattr(a, "port", CONTROLLER) != CONTROLLER for a in rule.actions)
            if (rule.table_id == 0 and rule.match.get("in_port") == VM_PORT and forwards
                    and rule.match.get("eth_src") != VM_MAC):
                found.append(("a flow passes another MAC from the VM's port", rule))
            continue
        if not isinstance(rule, PacketOut) or rule.in_port == CONTROLLER:
            continue  # the router's own answers
        ports = {getattr(a, "port", None) for a in rule.actions} - {None}
        if not ports - {VM_PORT}:
            continue
        if sent_source(rule) not in (VM_MAC,) + OWN_MACS:
            found.append(("a frame left with another source MAC", (fed, rule)))
        left = read(rule.data)
        if left.ip6 is not None and (router.ipv6.holder.get(left.ip6.src, VM_PORT) != VM_PORT
                                     or left.icmp6 and left.icmp6.lladdr not in (None, VM_MAC)):
            found.append(("an IPv6 frame left with another VM's address or MAC", (fed, rule)))
        if not ports & {c.uplink_port, c.host_port, TABLE}:
            continue
        sent, through_table = read(rule.data), TABLE in ports  # the session's flows rewrite it
        if fed.src != VM_MAC or through_table and sent.ip is not None and (
                sent.ip.src != address) or not through_table and (
                    not sent.ip or sent.ip.src not in (c.outside_ip, c.gateway_ip)):
            found.append(("a forged source left towards the LAN or host1", (fed, sent)))
    return found


def loops(router, table, rules, now, depth=0):
    """Does a packet the router re-injects (through the table) come back to it, again and
    again? Followed through the software flow table, as the switch would, 3 rounds deep."""
    for rule in rules:
        if not isinstance(rule, PacketOut) or TABLE not in {getattr(a, "port", None)
                                                            for a in rule.actions}:
            continue
        fields = fields_of(read(rule.data), rule.in_port)
        for port, out in table.packet_out(rule, **fields):
            if port != CONTROLLER:
                continue
            if depth >= 3:
                return True
            again = router.packet_in(out["in_port"], read(rule.data, table=out["table_id"]),
                                     now)
            table.apply(again)
            if loops(router, table, again, now, depth + 1):
                return True
    return False


def owned_bytes(frame):
    """The bytes controllers.checksum.complete() may write in `frame`: a valid IPv4 TCP or UDP
    header's checksum (IPv6: right after the fixed header), else none."""
    if len(frame) >= 54 and frame[12:14] == b"\x86\xdd" and frame[14] >> 4 == 6:
        at = 54 + {6: 16, 17: 6}.get(frame[20], -10**6)
        return {at, at + 1} if at > 0 else set()
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[14] >> 4 != 4:
        return set()
    ihl = (frame[14] & 0x0F) * 4
    at = 14 + ihl + {6: 16, 17: 6}.get(frame[23], -10**6)
    return {at, at + 1} if ihl >= 20 and at > 0 else set()


def rewritten(frame):
    """Bytes complete() changed in `frame` that are not its own to change."""
    out = complete(frame)
    assert len(out) == len(frame)
    return {i for i in range(len(frame)) if out[i] != frame[i]} - owned_bytes(frame)


def within_caps(router):
    nat = getattr(router.engine, "nat", None)
    return (len(router.switch.stations) <= learning.MAX_STATIONS
            and len(router.neighbours.pending) <= neighbours.WAITING_ADDRESSES
            and len(router.neighbours.challenged) <= neighbours.WAITING_ADDRESSES
            and len(router.ipv6.holder) <= len(router.cfg.vm_ports) * ipv6_gate.MAX_ADDRESSES
            and len(router.dhcp.client_port) <= len(router.cfg.vm_ports)
            * dhcp_server.CLIENTS_PER_PORT
            and (nat is None or len(nat.sessions) <= router.cfg.sessions_total))


@pytest.mark.parametrize("engine", ENGINES)
def test_100k_hostile_frames_per_entry_break_no_policy(engine, no_library_parser):
    """Per engine, FRAMES on each entry (a VM's port, the uplink, host1's port, a learning
    switch): nothing raises or hangs, and every oracle holds - no forged source leaves, no
    re-injected packet loops, complete() writes no byte but a checksum, tables stay within
    their caps, the VM's address is nobody else's."""
    rng = random.Random(20261206)
    random.seed(1)
    router, drops = ready_router(engine)
    table = FlowTable()
    table.apply(router.connected())
    switch, switch_drops = LearningSwitch(name="lan"), Drops("lan")
    vm, lan = templates()
    entries = [(router, VM_PORT, vm, drops, True), (router, 1, lan, drops, True),
               (router, 2, lan + vm, drops, True), (switch, 3, vm + lan, switch_drops, False)]
    slowest, now, found = 0.0, 200.0, Counter()
    examples = {}
    gc.collect()  # what earlier tests left is collected now, not in a timed call
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    for n in range(FRAMES * len(entries)):
        core, port, frames, counter, deep = entries[n % len(entries)]
        frame = mutate(rng.choice(frames), rng) if rng.random() < 0.9 else rng.choice(frames)
        now += 0.001
        began = time.perf_counter()
        rules = handle(core, port, frame, now, counter, deep)
        slowest = max(slowest, time.perf_counter() - began)
        assert isinstance(rules, list)
        problems = [("complete() wrote a byte it does not own", frame)] if rewritten(frame) \
            else []
        if core is router:
            table.apply(rules)
            if port == VM_PORT:
                problems += violations(rules, router, frame, now)
            if loops(router, table, rules, now):
                problems.append(("a re-injected packet loops", frame))
        for what, detail in problems:
            found[what] += 1
            examples.setdefault(what, detail)
        if n % 5000 == 0:
            table.apply(router.tick(now))
            if not within_caps(router):
                found["a table past its cap"] += 1
    crashes = {r: c for r, c in list(drops.counts.items()) + list(switch_drops.counts.items())
               if ".packet_in" in r}
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
    print("fuzz (%s): %d frames (%d per entry), %d exceptions, %d policy violations %s, "
          "%d dropped, slowest call %.1f ms, memory grew by %.1f MiB; reasons: %s" % (
              engine, FRAMES * len(entries), FRAMES, sum(crashes.values()),
              sum(found.values()), dict(found), sum(drops.counts.values())
              + sum(switch_drops.counts.values()), slowest * 1000, grown,
              dict(drops.counts.most_common(8))))
    assert not crashes, crashes
    assert not found, (dict(found), examples)
    assert slowest < SLOW
    assert grown < 50  # bounded tables: junk costs no memory to speak of
    assert_consistent(router, now)
    # a VM never seen before (its port's adapter) still gets an offer
    offer = handle(router, 11, dhcp_frame(1, mac=VM2_MAC), now, drops)
    assert offer and struct.unpack_from("!B", offer[-1].data, 14 + 20 + 8)[0] == 2  # BOOTREPLY


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("port", TUNNEL_PORTS)
def test_the_tunnel_datagram_of_issue_21_is_forwarded_as_data_on_every_entry(
        engine, port, no_library_parser):
    router, drops = ready_router(engine)
    from_lan = tunnelled(port, HOST_IP, src="192.168.1.20", eth=(HOST_MAC, R1_MAC))
    for entry, frame in ((VM_PORT, tunnelled(port, INET)), (1, from_lan), (2, from_lan)):
        began = time.perf_counter()
        rules = handle(router, entry, frame, 300.0, drops)
        assert time.perf_counter() - began < SLOW
        assert rules, entry  # on its way: a session for the VM's, passed on for the LAN's
    assert not [r for r in drops.counts if ".packet_in" in r]


def floods(n):
    """Frames that each make something new: a session to a new remote (a VM's SYN, a LAN
    host's through the port forward), a new source MAC on a VM port, a new DHCP client, a
    new MAC claiming a LAN address."""
    def syn(src_mac, dst_mac, src, dst, dport):
        return build(ethernet.ethernet(dst=dst_mac, src=src_mac), ipv4.ipv4(src=src, dst=dst,
                                                                            proto=6),
                     tcp.tcp(src_port=40000, dst_port=dport, bits=tcp.TCP_SYN))
    for i in range(n):
        remote = "198.%d.%d.%d" % (18 + (i >> 16) % 2, (i >> 8) & 0xFF, i & 0xFF)
        mac = "02:66:%02x:%02x:%02x:%02x" % (i >> 24, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF)
        yield VM_PORT, syn(VM_MAC, GATEWAY_MAC, VM_IP, remote, 7001)
        yield 1, syn(R1_MAC, HOST_MAC, remote, HOST_IP, 2222)
        yield 11, build(ethernet.ethernet(dst="ff:ff:ff:ff:ff:ff", src=mac, ethertype=0x88b5),
                        b"flood" * 10)
        yield 12, dhcp_frame(1, mac=mac)
        yield 1, build(ethernet.ethernet(dst=HOST_MAC, src=mac, ethertype=0x0806),
                       arp.arp(opcode=2, src_mac=mac, src_ip="192.168.1.%d" % (2 + i % 250),
                               dst_mac=HOST_MAC, dst_ip=HOST_IP))


FLOOD = 20_000  # of each kind
FLOOD_MEMORY = 60  # MiB the process may grow by after every flood, the tables at their caps


def resident():
    """The process's resident memory now, in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


@pytest.mark.parametrize("engine", ENGINES)
def test_floods_of_sessions_macs_dhcp_clients_and_arp_stay_under_their_caps(engine):
    router, drops = ready_router(engine)
    gc.collect()
    before = resident()
    slowest, now, session_flows = 0.0, 400.0, 0
    for port, frame in floods(FLOOD):
        now += 0.0001
        began = time.perf_counter()
        rules = handle(router, port, frame, now, drops)
        slowest = max(slowest, time.perf_counter() - began)
        session_flows += sum(1 for r in rules if isinstance(r, Flow) and r.cookie
                             and not r.cookie & COOKIE_OWNER)  # a NAT session's
    router.tick(now)
    gc.collect()
    held = resident() - before
    c = router.cfg
    print("floods (%s): %d frames, slowest call %.1f ms, %.1f MiB held; session flows sent %d, "
          "stations %d, DHCP clients %d, neighbours %d" % (
              engine, 5 * FLOOD, slowest * 1000, held, session_flows,
              len(router.switch.stations), len(router.dhcp.client_port),
              len(router.neighbours.macs)))
    assert not [r for r in drops.counts if ".packet_in" in r]
    if isinstance(router.engine, OpenFlowNat):
        nat = router.engine.nat
        assert nat.vm_sessions[VM_IP] == c.sessions  # refused past the VM's cap
        assert len(nat.mappings[("tcp", VM_IP, 22)].sessions) == c.sessions  # and the forward's
        assert len(nat.sessions) <= c.sessions_total
    else:
        # the switch's tracker holds the sessions, capped by its zone's limit: the controller
        # keeps none and sends no session flow; vm1 has its flows, each neighbour its route
        assert session_flows == 0
        assert list(router.engine.installed) == [VM_MAC]
        assert len(router.engine.routes) <= len(router.neighbours.macs)
    assert len(router.switch.stations) <= learning.MAX_STATIONS
    assert len(router.dhcp.client_port) <= 1 + dhcp_server.CLIENTS_PER_PORT  # vm1's, port 12's
    assert len(router.neighbours.macs) <= 254 and len(router.neighbours.challenged) <= 64
    assert held < FLOOD_MEMORY and slowest < SLOW


def test_a_tcp_option_of_length_0_is_dropped_before_any_parser():
    router, drops = ready_router()
    syn = bytearray(templates()[0][4])
    syn[54:56] = bytes([5, 0])  # SACK, length 0: the framework's parser would loop forever
    began = time.perf_counter()
    assert handle(router, VM_PORT, bytes(syn), 300.0, drops) == []
    assert time.perf_counter() - began < SLOW
    assert drops.counts["TCP option of length N"] == 1


def test_a_flood_of_invented_source_macs_keeps_the_mac_table_bounded():
    switch = LearningSwitch(name="lan")
    for n in range(learning.MAX_STATIONS + 500):
        src = struct.pack("!HI", 0x0266, n)
        frame = read(b"\xff" * 6 + src + b"\x08\x00" + b"\0" * 46, deep=False)
        switch.packet_in(1 + n % 4, frame, n * 0.001)
    assert len(switch.stations) == learning.MAX_STATIONS


def test_the_controller_log_has_a_budget():
    import logging

    vmnet = pytest.importorskip("controllers.vmnet", reason="needs os-ken or Ryu")
    budget = vmnet.LogBudget(budget=1000)
    record = logging.LogRecord("x", logging.WARNING, "", 0, "dropped %s", ("y" * 100,), None)
    written = sum(budget.filter(record) for _ in range(100))
    assert written <= 10
    error = logging.LogRecord("x", logging.ERROR, "", 0, "broken", (), None)
    assert budget.filter(error)
