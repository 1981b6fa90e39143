"""Issue 27: one gate for every frame a VM sends, flows that vanish come back, and the
smaller holes the third pass found - each from its reproducer, with both NAT engines."""

import struct

import pytest

pytest.importorskip("os_ken", reason="os-ken's packet library builds the test frames")

from flowtable import FlowTable  # noqa: E402
from routers import plain, plain_routers  # noqa: E402
from test_conntrack_nat import raw, where  # noqa: E402
from test_guest_rules import syn  # noqa: E402
from test_virtual_router import (  # noqa: E402
    GW_MAC,
    HOST1_MAC,
    R1_MAC,
    UPLINK,
    VM1_MAC,
    VM1_PORT,
    VM2_MAC,
    VM2_PORT,
    arp_frame,
    dhcp_frame,
    leased,
    packet_outs,
)

from controllers import checksum, neighbours, ofwire, openflow  # noqa: E402
from controllers.boundary import handle  # noqa: E402
from controllers.frame import read  # noqa: E402
from controllers.learning import LearningSwitch  # noqa: E402
from controllers.router_flows import COOKIE_CONNTRACK, COOKIE_LEARNED, COOKIE_OWNER  # noqa: E402
from controllers.rules import (  # noqa: E402
    CONTROLLER,
    DeleteFlows,
    Flow,
    Output,
    PacketOut,
    SetField,
)
from controllers.virtual_router import VirtualRouter  # noqa: E402

ENGINES = ["openflow", "conntrack"]
VM3_MAC = "08:00:27:00:00:03"
IPV6_HEADER = bytes.fromhex("6000000000003b40fe800000000000000000000000000001"
                            "ff020000000000000000000000000001")
INET = "203.0.113.10"


def ipv6_from(mac, dst="ff:ff:ff:ff:ff:ff"):
    """Issue 27's frames 1 and 2: an IPv6 header (next header 59), `mac` as its source."""
    return (bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(mac.replace(":", ""))
            + b"\x86\xdd" + IPV6_HEADER)


def three_vms(engine):
    """host1's router with three VMs on its NAT network (nat,vms=3), vm1 and vm2 leased."""
    from controllers import config

    r = VirtualRouter(plain(config.routers({"host1": [1, 2, 3]}, engine=engine)[0]))
    r.table = FlowTable()
    r.table.apply(r.connected())
    r.table.apply(r.adopt([], 0))
    for mac, port in ((VM1_MAC, VM1_PORT), (VM2_MAC, VM2_PORT)):
        leased(r, mac, port)
    if engine == "conntrack":
        r.engine.installed = {}  # leased() kept only the DHCP answers: the VMs' flows again
    r.table.apply(r.tick(1.0))
    r.table.apply(r.packet_in(UPLINK, read(arp_frame(2, R1_MAC, "192.168.1.1", "192.168.1.10",
                                                     HOST1_MAC)), 1.0))
    r.table.apply(r.tick(1.0))
    return r


def vm_to_vm(r, src_mac, src_port, dst_mac, now=2.0):
    """Where the learning switch sends a frame from one VM to another's MAC: [port]."""
    frame = read(bytes.fromhex(dst_mac.replace(":", "") + src_mac.replace(":", ""))
                 + b"\x88\xb5" + b"hello" * 10)
    rules = r.packet_in(src_port, frame, now)
    return [a.port for rule in packet_outs(rules) for a in rule.actions]


# --- 1: a VM takes no other VM's MAC, whatever its frame carries ---

@pytest.mark.parametrize("engine", ENGINES)
def test_ipv6_frames_with_vm1s_mac_from_vm2s_port_take_nothing_and_vm3_still_reaches_vm1(engine):
    r = three_vms(engine)
    assert vm_to_vm(r, VM1_MAC, VM1_PORT, VM3_MAC) == [VM2_PORT, 12]  # vm1 heard: on port 10
    for _ in range(3):
        assert r.packet_in(VM2_PORT, read(ipv6_from(VM1_MAC)), 3.0) == []
    assert r.switch.port_of(VM1_MAC, 3.0) == VM1_PORT
    assert vm_to_vm(r, VM3_MAC, 12, VM1_MAC) == [VM1_PORT]
    assert r.drops.counts["port security: a source MAC that is not the port's adapter's"] == 3


FORGED_KINDS = {
    "ipv6": lambda mac: ipv6_from(mac),
    "vlan": lambda mac: b"\xff" * 6 + bytes.fromhex(mac.replace(":", "")) + bytes.fromhex(
        "8100000a0800") + b"\x45" + bytes(40),
    "gre": lambda mac: read_back_ip(mac, 47),
    "fragment": lambda mac: read_back_ip(mac, 17, fragment=True),
    "arp": lambda mac: bytes.fromhex("ffffffffffff" + mac.replace(":", "") + "0806"
                                     "0001080006040001" + mac.replace(":", "")
                                     + "0a00020f" + "000000000000" + "0a000202"),
    "ipv4": lambda mac: syn(mac, "10.0.2.15"),
    "other": lambda mac: (b"\xff" * 6 + bytes.fromhex(mac.replace(":", "")) + b"\x88\xb5"
                          + bytes(46)),
}


def read_back_ip(mac, proto, fragment=False):
    fields = dict(eth_dst=GW_MAC, eth_src=mac, ipv4_src="10.0.2.15", ipv4_dst=INET,
                  ip_proto=proto)
    frame = bytearray(raw(fields))
    if fragment:
        frame[20:22] = b"\x20\x00"  # more fragments
    return bytes(frame)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", sorted(FORGED_KINDS))
@pytest.mark.parametrize("forged", [VM1_MAC, GW_MAC, HOST1_MAC, "ff:ff:ff:ff:ff:ff",
                                    "01:00:5e:00:00:01", "00:00:00:00:00:00"])
def test_a_vm_port_passes_nothing_whose_source_is_not_its_adapters(engine, kind, forged):
    r = three_vms(engine)
    drops = r.drops
    before = sum(drops.counts.values())
    assert handle(r, VM2_PORT, FORGED_KINDS[kind](forged), 3.0, drops) == []
    assert sum(drops.counts.values()) == before + 1
    assert forged not in r.switch.stations


@pytest.mark.parametrize("engine", ENGINES)
def test_a_port_that_is_no_vms_passes_nothing(engine):
    r = three_vms(engine)
    assert r.packet_in(40, read(ipv6_from("08:00:27:00:00:40")), 3.0) == []
    assert r.drops.counts["a frame from a port that is no VM's"] == 1


def test_a_learning_switch_deletes_only_the_flows_it_made():
    switch = LearningSwitch(cookie=COOKIE_LEARNED)
    frame = read(b"\xff" * 6 + bytes.fromhex("020000000001") + b"\x88\xb5" + bytes(46), deep=False)
    switch.packet_in(1, frame, 0.0)
    (delete,) = switch.packet_in(2, frame, 1.0)[:1]
    assert isinstance(delete, DeleteFlows) and delete.cookie == COOKIE_LEARNED
    engine_flow = Flow(25, {"eth_dst": "02:00:00:00:00:01"}, (Output(3),),
                       cookie=COOKIE_CONNTRACK)
    table = FlowTable()
    table.apply([engine_flow])
    table.apply([delete])
    assert table.flows == [engine_flow]


# --- 2: the conntrack engine's flows come back ---

def test_two_frames_with_the_gateways_mac_freeze_nothing():
    r = three_vms("conntrack")
    flows = list(r.table.flows)
    for port in (VM1_PORT, VM2_PORT):
        r.table.apply(r.packet_in(port, read(ipv6_from(GW_MAC)), 3.0))
    assert r.table.flows == flows
    assert GW_MAC not in r.switch.stations


def as_switch_holds(flows):
    return [{"cookie": f.cookie, "priority": f.priority, "match": dict(f.match),
             "set": {a.field: a.value for a in f.actions if isinstance(a, SetField)},
             "output": [a.port for a in f.actions if isinstance(a, Output)]} for f in flows]


def vm1_reaches_inet(r, now):
    """A new UDP connection of vm1's leaves translated (a new one each time: the model's
    tracker answers the questions of new connections)."""
    packet = dict(in_port=VM1_PORT, eth_type=0x0800, eth_src=VM1_MAC, eth_dst=GW_MAC,
                  ipv4_src="10.0.2.15", ipv4_dst=INET, ip_proto=17, udp_src=int(now * 1000),
                  udp_dst=7002, ip_ttl=64)
    return [p for p, fields in where(r, packet, now) if p == UPLINK
            and fields["ipv4_src"] == "192.168.1.10"]


@pytest.mark.parametrize("lost", ["vm", "standing", "route"])
def test_the_conntrack_engines_flows_that_vanish_from_the_switch_come_back(lost):
    r = three_vms("conntrack")
    assert vm1_reaches_inet(r, 3.0)
    cookie_of = {"vm": 1, "standing": 0, "route": 2}
    gone = [f for f in r.table.flows if f.cookie & COOKIE_OWNER == COOKIE_CONNTRACK
            and f.cookie >> 48 & 0xFF == cookie_of[lost]]
    assert gone
    r.table.flows = [f for f in r.table.flows if f not in gone]  # ovs-ofctl del-flows, say
    engine_flows = [f for f in r.table.flows if f.cookie & COOKIE_OWNER == COOKIE_CONNTRACK]
    cookie, mask, _parts = r.audit_slice()
    assert (cookie, mask) == (COOKIE_CONNTRACK, COOKIE_OWNER)
    r.table.apply(r.audit(as_switch_holds(engine_flows), 10.0, 10.5))
    assert vm1_reaches_inet(r, 11.0)
    assert r.audit(as_switch_holds([f for f in r.table.flows if f.cookie & COOKIE_OWNER
                                    == COOKIE_CONNTRACK]), 20.0, 20.5) == []  # all there


def test_the_conntrack_engines_groups_are_counted_as_the_switch_holds_them():
    r = three_vms("conntrack")
    held = {}
    for f in r.table.flows:
        held[f.cookie] = held.get(f.cookie, 0) + 1
    for value, (count, _when) in r.engine.sent.items():
        assert held.get(value) == count, hex(value)  # no two flows of a group replace each other


# --- 3: a lease that ended, and a static guest, alike in both engines ---

def release(r, mac, port, ip, now):
    r.table.apply(r.packet_in(port, read(dhcp_frame(mac, 7, ciaddr=ip)), now))


def leaves_translated(r, engine, mac, port, src, now, sport=40000):
    if engine == "conntrack":
        packet = dict(in_port=port, eth_type=0x0800, eth_src=mac, eth_dst=GW_MAC,
                      ipv4_src=src, ipv4_dst=INET, ip_proto=17, udp_src=sport, udp_dst=7002,
                      ip_ttl=64)
        r.table.apply(r.tick(now))
        return any(p == UPLINK and f["ipv4_src"] == "192.168.1.10"
                   for p, f in where(r, packet, now))
    rules = r.packet_in(port, read(syn(mac, src, sport=sport)), now)
    return any(isinstance(x, Flow) and x.cookie for x in rules)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_vm_whose_lease_ended_is_translated_alike_by_both_engines(engine):
    r = three_vms(engine)
    release(r, VM1_MAC, VM1_PORT, "10.0.2.15", 3.0)
    assert r.dhcp.address_of(VM1_MAC, 3.0) is None
    # VirtualBox's NAT serves the adapter, not the lease: the guest keeps its address
    assert leaves_translated(r, engine, VM1_MAC, VM1_PORT, "10.0.2.15", 4.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_static_guest_is_translated_and_no_other_vm_may_take_its_address(engine):
    r = three_vms(engine)
    assert leaves_translated(r, engine, VM3_MAC, 12, "10.0.2.50", 3.0)
    assert r.ports.owner("10.0.2.50", 3.0) == (VM3_MAC, 12)
    release(r, VM2_MAC, VM2_PORT, "10.0.2.16", 3.5)
    assert not leaves_translated(r, engine, VM2_MAC, VM2_PORT, "10.0.2.50", 4.0, sport=40001)
    assert not leaves_translated(r, engine, VM2_MAC, VM2_PORT, "10.0.2.2", 4.0, sport=40002)
    assert not leaves_translated(r, engine, VM3_MAC, 12, "10.0.2.15", 4.0, sport=40003)  # vm1's


@pytest.mark.parametrize("engine", ENGINES)
def test_a_vm_with_a_lease_sends_from_its_lease_only(engine):
    r = three_vms(engine)
    assert not leaves_translated(r, engine, VM1_MAC, VM1_PORT, "10.0.2.60", 3.0)


# --- 4: complete() computes what it owns, and nothing else ---

def test_a_udp_datagram_with_trailing_bytes_keeps_its_valid_checksum():
    frame = bytes.fromhex("5254001235020800270000010800450000251234000040119ac90a00020fc0a80114"
                          "9c401b5a000d369c68656c6c6f5441494c")
    assert checksum.complete(frame) == frame  # 369c was right: the UDP length says 13 bytes


def test_a_frame_whose_ipv4_header_is_invalid_is_not_touched():
    frame = bytes.fromhex("ffffffffffff02000000000108004400002012340000401154970a0000010a000002"
                          "00010002000c000061626364")
    assert checksum.complete(frame) == frame
    assert checksum.complete(frame[:14] + b"\x65" + frame[15:]) == frame[:14] + b"\x65" + frame[15:]


def test_complete_still_mends_a_checksum_left_to_the_nic():
    frame = bytearray(raw(dict(eth_dst=GW_MAC, eth_src=VM1_MAC, ipv4_src="10.0.2.15",
                               ipv4_dst=INET, ip_proto=17, udp_src=1, udp_dst=2)))
    frame[40:42] = b"\x12\x34"  # a partial sum
    done = checksum.complete(bytes(frame))
    assert [i for i in range(len(frame)) if done[i] != frame[i]] == [40, 41]
    segment = done[34:]
    assert checksum.l4_checksum(done[26:30], done[30:34], 17, segment) == 0


# --- 5: the LAN's network and broadcast addresses are nobody's ---

@pytest.mark.parametrize("engine", ENGINES)
def test_the_lans_broadcast_address_is_never_a_neighbour(engine):
    r = three_vms(engine)
    reply = bytes.fromhex("ffffffffffff0200dead0001080600010800060400020200dead0001c0a801ff"
                          "ffffffffffffc0a8010a")
    r.packet_in(UPLINK, read(reply), 3.0)
    assert "192.168.1.255" not in r.neighbours.macs
    r.packet_in(UPLINK, read(reply[:38] + bytes([192, 168, 1, 0]) + reply[42:]), 3.0)
    assert "192.168.1.0" not in r.neighbours.macs
    rules = r.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15", dst="192.168.1.255")), 4.0)
    assert not [x for x in packet_outs(rules) if any(getattr(a, "port", None) == UPLINK
                                                     for a in x.actions)]
    assert "192.168.1.255" not in r.neighbours.pending


def test_one_port_scanning_the_lan_leaves_room_for_the_others():
    r = three_vms("openflow")
    for n in range(100):
        r.packet_in(VM1_PORT, read(syn(VM1_MAC, "10.0.2.15", dst="192.168.1.%d" % (30 + n),
                                       sport=30000 + n)), 3.0)
    assert len(r.neighbours.pending) == neighbours.WAITING_PER_PORT
    rules = r.packet_in(VM2_PORT, read(syn(VM2_MAC, "10.0.2.16", dst="192.168.1.200")), 3.0)
    assert "192.168.1.200" in r.neighbours.pending
    assert any(x.in_port == CONTROLLER for x in packet_outs(rules))  # its ARP request


# --- 6: DHCP never leases to a MAC that is nobody's adapter ---

@pytest.mark.parametrize("mac", ["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "00:00:00:00:00:00",
                                 GW_MAC, HOST1_MAC])
def test_dhcp_offers_nothing_and_binds_nothing_for_a_mac_that_is_no_adapters(mac):
    r = three_vms("openflow")
    for kind in (1, 3):
        assert r.packet_in(12, read(dhcp_frame(mac, kind)), 3.0) == []
    assert not r.dhcp.leases.holds(mac) and mac not in r.dhcp.vm_port


# --- 7: a packet-out OpenFlow cannot carry is refused, the rest still go ---

def test_a_packet_out_over_65535_bytes_is_refused_cleanly():
    big = PacketOut(CONTROLLER, (Output(1),), b"\xff" * 70_000)
    with pytest.raises(ofwire.TooLong):
        ofwire.pack(big)
    assert openflow.encode(None, big) is None
    small = PacketOut(CONTROLLER, (Output(1),), b"\xff" * 60)
    assert isinstance(openflow.encode(None, small), bytes)

    class Datapath:
        sent = []

        def send(self, data):
            self.sent.append(data)

    datapath = Datapath()
    openflow.send(datapath, [openflow.encode(None, big), openflow.encode(None, small)])
    assert len(datapath.sent) == 1 and struct.unpack_from("!H", datapath.sent[0], 2)[0] < 200


# --- 8: ARP for an address that is not the VM's ---

@pytest.mark.parametrize("engine", ENGINES)
def test_a_vm_cannot_tell_another_that_the_gateway_is_at_its_mac(engine):
    r = three_vms(engine)
    lie = bytes.fromhex("080027000001080027000002080600010800060400020800270000020a000202"
                        "0800270000010a00020f")
    assert r.packet_in(VM2_PORT, read(lie), 3.0) == []
    assert r.drops.counts["ARP: a VM's source address that is not its lease's"] == 1
    probe = bytes.fromhex("ffffffffffff080027000002080600010800060400010800270000020000"
                          "0000000000000000" "0a000210")
    assert packet_outs(r.packet_in(VM2_PORT, read(probe), 3.0))  # an RFC 5227 probe passes


def test_a_default_router_knows_every_vm_ports_adapter():
    for cfg in plain_routers():
        assert sorted(cfg.attached.values()) == sorted(cfg.vm_ports)


# --- issue 28, 4: a forward to a static guest that has sent nothing ---

@pytest.mark.parametrize("engine", ENGINES)
def test_the_router_asks_for_a_forwards_static_guest_and_its_answer_places_it(engine):
    """A forward to 10.0.2.50, where vm3 (no lease) sits with a fixed address and has sent
    nothing: the router asks on the VMs' ports (as VirtualBox's NAT does), vm3's ARP answer
    tells the gate where it is, and the forward's first SYN from the LAN reaches vm3."""
    from dataclasses import replace

    from controllers import config
    from controllers.port_forward import Forward

    cfg = plain(config.routers({"host1": [1, 2, 3]}, engine=engine)[0])
    r = VirtualRouter(replace(cfg, forwards=(Forward("tcp", 8081, "10.0.2.50", 80),)))
    r.table = FlowTable()
    r.table.apply(r.connected() + r.adopt([], 0))
    def asks(now):  # who has 10.0.2.50? on the VMs' ports
        return [{a.port for a in x.actions} for x in r.tick(now) if isinstance(x, PacketOut)
                and x.data[12:14] == b"\x08\x06" and x.data[38:42] == bytes([10, 0, 2, 50])]

    assert asks(1.0) == [{VM1_PORT, VM2_PORT, 12}]
    assert asks(1.5) == []  # not again at once
    assert asks(3.5) == [{VM1_PORT, VM2_PORT, 12}]  # again while unanswered
    answer = read(arp_frame(2, VM3_MAC, "10.0.2.50", "10.0.2.2", GW_MAC))
    assert not [x for x in r.packet_in(12, answer, 4.0) if isinstance(x, PacketOut)]
    assert r.ports.owner("10.0.2.50", 4.0) == (VM3_MAC, 12)
    assert asks(6.0) == []  # known: asked no more
