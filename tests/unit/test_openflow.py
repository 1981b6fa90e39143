"""Rule data becomes well-formed OpenFlow 1.3 messages (os-ken's parser serializes them)."""

import pytest

from controllers.openflow import framework_message as encode  # bytes: test_ofwire
from controllers.openflow import send
from controllers.rules import FLOOD, DeleteFlows, Flow, Output, PacketOut, SetField

ofproto = pytest.importorskip("os_ken.ofproto.ofproto_v1_3", reason="os-ken not installed")
from os_ken.ofproto import ofproto_v1_3_parser as parser  # noqa: E402


class FakeDatapath:
    id = 1
    ofproto = ofproto
    ofproto_parser = parser


def serialized(msg):
    msg.serialize()
    return msg


def test_flow_with_rewrite_and_output():
    rule = Flow(10, {"in_port": 1, "eth_type": 0x0800, "ipv4_src": "10.0.2.15"},
                (SetField("ipv4_src", "192.168.1.10"), Output(2)),
                idle_timeout=30, notify_removed=True, cookie=7)
    msg = serialized(encode(FakeDatapath(), rule))
    assert msg.priority == 10 and msg.idle_timeout == 30 and msg.cookie == 7
    assert msg.flags == ofproto.OFPFF_SEND_FLOW_REM
    assert msg.match["ipv4_src"] == "10.0.2.15"
    actions = msg.instructions[0].actions
    assert actions[0].key == "ipv4_src" and actions[0].value == "192.168.1.10"
    assert actions[1].port == 2


def test_delete_and_packet_out():
    delete = serialized(encode(FakeDatapath(), DeleteFlows({"eth_dst": "08:00:27:00:00:01"})))
    assert delete.command == ofproto.OFPFC_DELETE
    out = serialized(encode(FakeDatapath(), PacketOut(3, (Output(FLOOD),), b"\xff" * 60)))
    assert out.in_port == 3 and out.actions[0].port == FLOOD
    assert out.buffer_id == ofproto.OFP_NO_BUFFER


def test_packed_messages_side_by_side_go_as_one_write():
    class Recording:
        def __init__(self):
            self.writes = []

        def send(self, data):
            self.writes.append(("bytes", data))

        def send_msg(self, msg):
            self.writes.append(("message", msg))

    dp, framework_built = Recording(), object()
    send(dp, [b"flow1", b"flow2", b"packet", framework_built, b"last"])
    assert dp.writes == [("bytes", b"flow1flow2packet"), ("message", framework_built),
                         ("bytes", b"last")]
    send(dp, [])
    assert len(dp.writes) == 3
