"""The NAT table: port allocation, reuse, expiry, exhaustion, ICMP identifiers, forwards."""

import pytest

from controllers.nat_table import NatTable
from controllers.port_forward import Forward, parse_forward

VM1, VM2, PC1, INET = "10.0.2.15", "10.0.2.16", "192.168.1.20", "203.0.113.10"


def test_each_inside_endpoint_gets_its_own_outside_port_from_the_range():
    nat = NatTable(ports=(61000, 61009))
    a = nat.session("tcp", VM1, 40000, PC1, 7001, now=0)
    b = nat.session("tcp", VM2, 40000, PC1, 7001, now=0)
    assert (a.mapping.outside_port, b.mapping.outside_port) == (61000, 61001)
    assert a.cookie != b.cookie


def test_one_inside_endpoint_keeps_its_port_for_every_remote():
    nat = NatTable(ports=(61000, 61009))
    a = nat.session("udp", VM1, 5000, PC1, 7002, now=0)
    b = nat.session("udp", VM1, 5000, INET, 7002, now=1)
    assert a.mapping is b.mapping and a.cookie != b.cookie
    assert nat.session("udp", VM1, 5000, PC1, 7002, now=2) is a  # same session again


def test_a_port_is_freed_with_the_last_session_and_reused():
    nat = NatTable(ports=(61000, 61001))
    a = nat.session("tcp", VM1, 1, PC1, 7001, now=0)
    b = nat.session("tcp", VM1, 1, INET, 7001, now=0)
    nat.end(a.cookie)
    assert nat.inbound("tcp", 61000) is a.mapping  # b still uses it
    nat.end(b.cookie)
    assert nat.inbound("tcp", 61000) is None
    nat.session("tcp", VM2, 2, PC1, 7001, now=5)  # takes 61001, the next in line
    reused = nat.session("tcp", VM2, 3, PC1, 7001, now=6)
    assert reused.mapping.outside_port == 61000


def test_exhaustion_refuses_new_mappings_and_keeps_the_established():
    nat = NatTable(ports=(61000, 61000))
    a = nat.session("tcp", VM1, 1, PC1, 7001, now=0)
    assert nat.session("tcp", VM2, 1, PC1, 7001, now=1) is None
    assert nat.session("tcp", VM1, 1, PC1, 7001, now=2) is a
    assert nat.session("udp", VM2, 1, PC1, 7002, now=2) is not None  # a pool per protocol


def test_icmp_identifiers_that_collide_get_distinct_outside_identifiers():
    nat = NatTable(ports=(61000, 61009))
    m1 = nat.mapping_for("icmp", VM1, 7, now=0)
    m2 = nat.mapping_for("icmp", VM2, 7, now=0)
    assert m1.outside_port != m2.outside_port
    assert nat.inbound("icmp", m1.outside_port).inside_ip == VM1
    assert nat.inbound("icmp", m2.outside_port).inside_ip == VM2


def test_idle_icmp_mappings_expire():
    nat = NatTable(ports=(61000, 61009))
    m = nat.mapping_for("icmp", VM1, 7, now=0)
    nat.expire(now=20, timeout=30)
    assert nat.inbound("icmp", m.outside_port) is m
    nat.expire(now=31, timeout=30)
    assert nat.inbound("icmp", m.outside_port) is None


def test_port_forwards_are_never_handed_out_nor_expired():
    forward = Forward("tcp", 61000, VM1, 22)
    nat = NatTable(ports=(61000, 61001), forwards=[forward])
    assert nat.session("tcp", VM2, 1, PC1, 7001, now=0).mapping.outside_port == 61001
    s = nat.session("tcp", VM1, 22, PC1, 50000, now=0)
    assert s.mapping.forward and s.mapping.outside_port == 61000
    nat.end(s.cookie)
    assert nat.inbound("tcp", 61000).forward


def test_rows_show_the_table():
    nat = NatTable(ports=(61000, 61009))
    nat.session("tcp", VM1, 40000, PC1, 7001, now=0)
    (row,) = nat.rows(now=3)
    assert row["inside"] == "10.0.2.15:40000" and row["outside_port"] == 61000
    assert row["remote"] == "192.168.1.20:7001" and row["idle_s"] == 3


@pytest.mark.parametrize("text, message", [
    ("tcp:99999:vm1:22", "port '99999' is not in 1-65535"),
    ("icmp:1:vm1:1", "protocol must be tcp or udp, not 'icmp'"),
    ("tcp:2222:vm1", "write proto:hostport:vm:guestport"),
    ("tcp:2222::22", "no VM named"),
])
def test_bad_port_forwards_are_explained(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_forward(text)


def test_a_port_forward_parses():
    assert parse_forward("udp:5353:vm2:53") == ("udp", 5353, "vm2", 53)


def test_sessions_are_capped_per_vm_per_forward_and_in_total_and_a_new_one_is_refused():
    from controllers.nat_table import Caps

    pf = Forward("tcp", 2222, "10.0.2.15", 22)
    t = NatTable(ports=(61000, 61999), forwards=[pf], caps=Caps(per_vm=3, per_forward=2,
                                                                  total=6))
    vm1 = [t.session("tcp", "10.0.2.15", 40000, "203.0.113.%d" % n, 80, n) for n in range(4)]
    assert all(vm1[:3]) and vm1[3] is None  # vm1's own cap
    assert t.session("tcp", "10.0.2.15", 40000, "203.0.113.0", 80, 9) is vm1[0]  # kept, found
    assert t.session("udp", "10.0.2.16", 5000, "203.0.113.9", 53, 9)  # vm2 still gets one
    lan = [t.session("tcp", "10.0.2.15", 22, "192.168.1.%d" % n, 50000, n) for n in range(3)]
    assert all(lan[:2]) and lan[2] is None  # the forward's cap: vm1's own cap is not spent
    assert t.session("udp", "10.0.2.16", 5001, "203.0.113.9", 53, 9) is None  # 6 in total
    assert t.refused == {"vm 10.0.2.15": 1, "forward tcp:2222": 1, "total": 1}
    t.end(vm1[1].cookie)  # one ends: room again, for whoever comes first
    assert t.session("udp", "10.0.2.16", 5001, "203.0.113.9", 53, 10)
    caps = {r["cap"]: (r["limit"], r["count"], r["refused"]) for r in t.cap_rows()}
    assert caps == {"total": (6, 6, 1), "vm 10.0.2.15": (3, 2, 1), "vm 10.0.2.16": (3, 2, 0),
                    "forward tcp:2222": (2, 2, 1)}
