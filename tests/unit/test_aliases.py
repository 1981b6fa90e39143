"""The virtual router's aliases (controllers.alias): VirtualBox's name server at 10.0.2.3 and,
with localhostreachable, the host's loopback at 10.0.2.2. With both engines a VM's packet to
one leaves for its target, and the answer comes back from the alias: the VM never sees the
target. Asked of the software flow table (tests/flowtable.py), the controller answering what
the table sends it."""

import pytest
from flowtable import FlowTable

from controllers import config
from controllers.frame import read
from controllers.session_flows import read_back

pytest.importorskip("os_ken", reason="os-ken's packet library builds the DHCP answers")
from os_ken.lib.packet import arp  # noqa: E402
from test_conntrack_nat import learn, where  # noqa: E402
from test_virtual_router import (  # noqa: E402
    GW_MAC,
    HOST,
    HOST1_MAC,
    R1_MAC,
    UPLINK,
    VM1_MAC,
    VM1_PORT,
    arp_frame,
    dhcp_frame,
    dhcp_reply,
    leased,
    packet_outs,
    parse,
)

HOST1, R1, VM1 = "192.168.1.10", "192.168.1.1", "10.0.2.15"


def plain_nat(engine, **options):
    """vm1's router of a plain NAT lab (nat,per_vm=yes), leased and knowing r1."""
    from controllers.virtual_router import VirtualRouter

    cfg = config.vm_routers(config.DEFAULT_VMS, engine=engine, **options)[0]
    r = VirtualRouter(cfg)
    r.table = FlowTable()
    r.table.apply(r.connected())
    if r.reads_flow_table:
        r.table.apply(r.adopt([], 0))
    leased(r, VM1_MAC, VM1_PORT)
    if engine == "conntrack":
        r.engine.installed = {}
    r.table.apply(r.tick(1.0))
    learn(r, R1, R1_MAC)
    return r


ENGINES = ["openflow", "conntrack"]


def query(proto="udp", dst="10.0.2.3", port=53, sport=40000):
    fields = {"udp": ("udp_src", "udp_dst"), "tcp": ("tcp_src", "tcp_dst")}[proto]
    return dict(in_port=VM1_PORT, eth_type=0x0800, eth_src=VM1_MAC, eth_dst=GW_MAC,
                ipv4_src=VM1, ipv4_dst=dst, ip_proto=17 if proto == "udp" else 6, ip_ttl=64,
                **{fields[0]: sport, fields[1]: port})


def answer(leaving, proto="udp"):
    """The target's answer to a packet as it left the router: r1's, or host1's (which sends
    it to 10.0.2.2 by its default route: to r1's MAC)."""
    src_f, dst_f = ("udp_src", "udp_dst") if proto == "udp" else ("tcp_src", "tcp_dst")
    from_r1 = leaving["ipv4_dst"] == R1
    return dict(leaving, in_port=UPLINK if from_r1 else HOST,
                eth_src=R1_MAC if from_r1 else HOST1_MAC,
                eth_dst=leaving["eth_src"] if from_r1 else R1_MAC, ipv4_src=leaving["ipv4_dst"],
                ipv4_dst=leaving["ipv4_src"], ip_ttl=64,
                **{src_f: leaving[dst_f], dst_f: leaving[src_f]})


def test_dhcp_offers_the_nats_name_server_and_a_nat_network_the_hosts():
    from controllers.virtual_router import VirtualRouter

    for cfg, want in ((config.vm_routers(config.DEFAULT_VMS)[0], "10.0.2.3"),
                      (config.routers(config.DEFAULT_VMS)[0], R1)):
        r = VirtualRouter(cfg)
        options, _ = dhcp_reply(r.packet_in(VM1_PORT, read(dhcp_frame(VM1_MAC, 1)), 0))
        assert options[6] == bytes(map(int, want.split(".")))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_name_server_answers_arp_and_ping_with_the_gateways_mac(engine):
    r = plain_nat(engine)
    out = packet_outs(r.packet_in(VM1_PORT, read(arp_frame(1, VM1_MAC, VM1, "10.0.2.3")), 2))
    reply = parse(out[0].data).get_protocol(arp.arp)
    assert (reply.src_ip, reply.src_mac) == ("10.0.2.3", GW_MAC)


@pytest.mark.parametrize("proto", ["udp", "tcp"])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_query_to_the_nats_name_server_goes_to_the_hosts_and_comes_back_from_it(engine, proto):
    r = plain_nat(engine)
    (port, leaving), = where(r, query(proto))
    src_f, dst_f = ("udp_src", "udp_dst") if proto == "udp" else ("tcp_src", "tcp_dst")
    assert port == UPLINK
    assert (leaving["ipv4_src"], leaving["ipv4_dst"], leaving[dst_f]) == (HOST1, R1, 53)
    assert leaving["eth_dst"] == R1_MAC and leaving["ip_ttl"] == 63
    (port, back), = where(r, answer(leaving, proto))
    assert port == VM1_PORT
    assert (back["ipv4_src"], back[src_f], back["ipv4_dst"], back[dst_f]) == (
        "10.0.2.3", 53, VM1, 40000)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_dns_proxy_is_the_hosts_relay_and_it_sees_the_gateway_ask(engine):
    r = plain_nat(engine, dns=config.DNS_PROXY)
    (port, leaving), = where(r, query())
    assert port == HOST
    assert (leaving["ipv4_src"], leaving["ipv4_dst"], leaving["udp_dst"]) == (
        "10.0.2.2", HOST1, config.RELAY_PORTS[config.DNS_PROXY])
    (port, back), = where(r, answer(leaving))
    assert (port, back["ipv4_src"], back["udp_src"]) == (VM1_PORT, "10.0.2.3", 53)


@pytest.mark.parametrize("engine", ENGINES)
def test_other_ports_of_the_name_server_reach_nothing(engine):
    r = plain_nat(engine)
    assert where(r, query(port=80)) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_localhostreachable_takes_the_gateways_ports_to_the_hosts_loopback(engine):
    r = plain_nat(engine, localhostreachable=True)
    (port, leaving), = where(r, query("tcp", dst="10.0.2.2", port=8080))
    assert port == HOST
    assert (leaving["ipv4_src"], leaving["ipv4_dst"], leaving["tcp_dst"]) == (
        "10.0.2.2", "127.0.0.1", 8080)
    (port, back), = where(r, answer(leaving, "tcp"))
    assert (port, back["ipv4_src"], back["tcp_src"], back["ipv4_dst"]) == (
        VM1_PORT, "10.0.2.2", 8080, VM1)


@pytest.mark.parametrize("engine", ENGINES)
def test_by_default_the_gateways_ports_lead_nowhere(engine):
    r = plain_nat(engine)
    assert where(r, query("tcp", dst="10.0.2.2", port=8080)) == []


def test_a_name_server_session_is_read_back_as_the_vm_sees_it():
    r = plain_nat("openflow")
    where(r, query())
    sessions = read_back([dict(cookie=f.cookie, priority=f.priority, match=dict(f.match),
                               set={a.field: a.value for a in f.actions
                                    if type(a).__name__ == "SetField"})
                          for f in r.table.flows if f.cookie])
    (s,) = sessions.values()
    assert (s["remote_ip"], s["remote_port"], s["inside_ip"]) == ("10.0.2.3", 53, VM1)
