"""controllers.ofwire packs a NAT session's messages itself: the bytes must be the ones the
framework's message classes would send, rule by rule (the transaction id aside)."""

import pytest
from routers import plain_routers

from controllers import ofwire, session_flows
from controllers.nat_table import NatTable
from controllers.openflow import encode, framework_message
from controllers.openflow_nat import standing_flows
from controllers.router_flows import base_flows
from controllers.rules import TABLE, DeleteFlows, Output, PacketOut
from controllers.session_flows import Way
from controllers.virtual_router import VirtualRouter

pytest.importorskip("os_ken", reason="the framework's encoder is the reference")
from os_ken.ofproto import ofproto_v1_3, ofproto_v1_3_parser  # noqa: E402


class Datapath:
    ofproto, ofproto_parser, id = ofproto_v1_3, ofproto_v1_3_parser, 0x31


def framework_bytes(rule):
    message = framework_message(Datapath, rule)
    message.set_xid(0)
    message.serialize()
    return bytes(message.buf)


def without_xid(raw):
    return raw[:4] + b"\0\0\0\0" + raw[8:]


def session_rules(proto):
    cfg = plain_routers()[0]
    nat = NatTable(cfg.ports, cfg.forwards)
    session = nat.session(proto, "10.0.2.15", 40000, "192.168.1.20", 7001, now=0)
    way = Way(cfg.uplink_port, "02:00:c0:a8:01:14", cfg.outside_ip, cfg.outside_mac)
    return session_flows.build(session, 10, "08:00:27:00:00:01", way, cfg.gateway_mac, 60) + [
        session_flows.delete(session.cookie)]


SYN = bytes.fromhex("525400123502080027000001080045000028000100004006f7cd0a00020fc0a80114"
                    "9c401b5900000000000000005002200000000000")


@pytest.mark.parametrize("rule", session_rules("tcp") + session_rules("udp") + [
    PacketOut(10, (Output(TABLE),), SYN),
    PacketOut(0xFFFFFFFD, (Output(10),), SYN),
    DeleteFlows({"in_port": 3}),
] + [r for r in base_flows(plain_routers()[0]) + standing_flows(plain_routers()[0])
      if ofwire.packable(r)],
    ids=lambda r: type(r).__name__)
def test_our_bytes_are_the_frameworks(rule):
    assert without_xid(ofwire.pack(rule)) == framework_bytes(rule)


def test_what_it_does_not_know_is_left_to_the_framework():
    router = VirtualRouter(plain_routers("conntrack")[0])
    rules = [r for r in router.connected() if not isinstance(r, PacketOut)]
    left = [r for r in rules if not ofwire.packable(r)]
    assert left, "connection-tracking flows are the framework's"
    for rule in left:
        assert ofwire.pack(rule) is None
        assert not isinstance(encode(Datapath, rule), bytes)


def test_each_message_has_a_transaction_id_of_its_own():
    rule = session_rules("tcp")[0]
    assert ofwire.pack(rule)[4:8] != ofwire.pack(rule)[4:8]
