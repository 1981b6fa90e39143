"""The learning switch core: fake packet-ins in, rules out, applied to a software table."""

from flowtable import FlowTable

from controllers.boundary import Drops, handle
from controllers.frame import read
from controllers.learning import LearningSwitch
from controllers.rules import CONTROLLER, FLOOD, DeleteFlows, Flow, Output, PacketOut

A, B, C = "08:00:27:00:00:01", "08:00:27:00:00:02", "08:00:27:00:00:03"
BROADCAST = "ff:ff:ff:ff:ff:ff"


def frame(src, dst):
    return bytes.fromhex(dst.replace(":", "") + src.replace(":", "")) + b"\x08\x00" + b"x" * 46


def outputs(rules):
    return [a.port for r in rules if isinstance(r, PacketOut) for a in r.actions]


def flows(rules):
    return [r for r in rules if isinstance(r, Flow)]


def test_a_new_switch_sends_what_it_does_not_know_to_the_controller():
    (rule,) = LearningSwitch().connected()
    assert rule.match == {} and rule.priority == 0
    assert rule.actions == (Output(CONTROLLER),)


def test_unknown_destination_is_flooded_without_a_flow():
    rules = LearningSwitch().packet_in(1, read(frame(A, B), deep=False), now=0)
    assert outputs(rules) == [FLOOD]
    assert flows(rules) == []


def test_broadcast_is_flooded_without_a_flow_even_when_the_source_is_known():
    sw = LearningSwitch()
    sw.packet_in(1, read(frame(A, B), deep=False), now=0)
    rules = sw.packet_in(1, read(frame(A, BROADCAST), deep=False), now=1)
    assert outputs(rules) == [FLOOD] and flows(rules) == []


def test_reply_installs_a_flow_and_later_frames_stay_in_the_switch():
    sw, table = LearningSwitch(), FlowTable()
    table.apply(sw.connected())
    table.apply(sw.packet_in(1, read(frame(A, B), deep=False), now=0))
    rules = sw.packet_in(2, read(frame(B, A), deep=False), now=0.1)
    table.apply(rules)
    assert outputs(rules) == [1]
    hit = table.lookup(in_port=2, eth_src=B, eth_dst=A)
    assert hit.actions == (Output(1),)
    assert hit.idle_timeout > 0  # learned flows go away when unused
    # A's frames to B: not yet a flow (B was only learned now), so one more packet-in...
    table.apply(sw.packet_in(1, read(frame(A, B), deep=False), now=0.2))
    assert table.lookup(in_port=1, eth_src=A, eth_dst=B).actions == (Output(2),)
    # ...and a third station is still unknown to the table: it goes to the controller.
    assert table.lookup(in_port=1, eth_src=A, eth_dst=C).actions == (Output(CONTROLLER),)


def test_multicast_sources_are_never_learned():
    sw = LearningSwitch()
    sw.packet_in(3, read(frame("01:00:5e:00:00:01", A), deep=False), now=0)
    to_a = read(frame(A, "01:00:5e:00:00:01"), deep=False)
    assert outputs(sw.packet_in(1, to_a, now=1)) == [FLOOD]


def test_host_move_removes_the_stale_flows_and_forwards_to_the_new_port():
    sw, table = LearningSwitch(), FlowTable()
    table.apply(sw.connected())
    table.apply(sw.packet_in(1, read(frame(A, B), deep=False), now=0))
    table.apply(sw.packet_in(2, read(frame(B, A), deep=False), now=0))
    assert table.lookup(in_port=2, eth_src=B, eth_dst=A).actions == (Output(1),)
    moved = sw.packet_in(3, read(frame(A, B), deep=False), now=5)  # A shows up on port 3
    assert DeleteFlows({"eth_dst": A}, cookie=0) in moved  # its own flows only
    table.apply(moved)
    assert table.lookup(in_port=2, eth_src=B, eth_dst=A).actions == (Output(CONTROLLER),)
    assert outputs(sw.packet_in(2, read(frame(B, A), deep=False), now=6)) == [3]


def test_stations_age_out_and_are_flooded_to_again():
    sw = LearningSwitch(ageing=10)
    sw.packet_in(1, read(frame(A, B), deep=False), now=0)
    assert outputs(sw.packet_in(2, read(frame(B, A), deep=False), now=9)) == [1]
    assert outputs(sw.packet_in(2, read(frame(B, A), deep=False), now=20)) == [FLOOD]


def test_a_frame_for_its_own_segment_is_dropped():
    sw = LearningSwitch()
    sw.packet_in(1, read(frame(A, B), deep=False), now=0)
    assert sw.packet_in(1, read(frame(B, A), deep=False), now=1) == []


def test_runt_frames_are_ignored():
    drops = Drops()
    assert handle(LearningSwitch(), 1, b"\x00" * 10, 0, drops, deep=False) == []
    assert drops.counts["truncated Ethernet header"] == 1
