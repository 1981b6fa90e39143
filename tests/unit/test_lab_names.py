"""Labs side by side (topos.run.lab_names): a lab's name gives what it puts in the machine's
shared space (bridges, switch ports, controller port, conntrack zones) names and numbers of
its own, and the default lab keeps today's."""

import os

import pytest

from controllers.config import RouterConfig
from topos.run.errors import LabError
from topos.run.lab_names import (
    IFNAMSIZ,
    NAMED_LABS,
    RootNames,
    checked,
    controller_port,
    zones,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_default_lab_keeps_its_names_and_a_named_one_prefixes_them():
    assert RootNames("")("host1-vbox") == "host1-vbox"
    alice = RootNames("alice")
    assert [alice(n) for n in ("lan", "vm1-eth0", "host1-vbox", "host1-vboxnet0",
                               "lan-vr-host1")] == [
        "alice_lan", "alice_vm1-eth0", "alice_h1-vbox", "alice_h1-vbnet0", "alice_lan-vr-h1"]
    assert alice("lan") == "alice_lan"  # asked again: the same
    assert alice.readable("alice_h1-vbox") == "host1-vbox"


def test_names_that_would_meet_once_shortened_stay_apart():
    alice = RootNames("alice")
    long = "abcdefghij-eth7"  # a lab file's VM of 10 characters: 15 already
    assert alice(long).startswith("alice_.") and len(alice(long)) == IFNAMSIZ
    assert alice("h1-eth0") == "alice_h1-eth0"
    assert alice("host1-eth0") == "alice_h1e0"  # not h1-eth0's
    assert len({alice(n) for n in ("h1-eth0", "host1-eth0", long)}) == 3


@pytest.mark.parametrize("name", ["Alice", "toolong", "1a", "a_b", 7])
def test_a_bad_lab_name_is_refused_naming_the_rule(name):
    with pytest.raises(LabError, match="a lowercase letter, then up to 4 letters or digits"):
        checked(name)


def test_each_slot_has_its_port_and_a_block_of_zones_below_the_alias_bit():
    assert controller_port(0) == 6653 and controller_port(3) == 16656
    routers = [RouterConfig("r%d" % i, 0x31 + i, "192.168.1.10", "02:00:00:00:00:01")
               for i in range(3)]
    assert [r.ct_zone for r in zones(0, routers)] == [0x31, 0x32, 0x33]  # their dpids
    blocks = [{r.ct_zone for r in zones(slot, routers)} for slot in range(1, NAMED_LABS + 1)]
    every = set().union(*blocks)
    assert len(every) == 3 * NAMED_LABS  # no two labs share a zone
    assert min(every) > 0x10ff and max(every) < 0x8000  # above the default lab's dpids


def test_a_named_labs_topology_names_every_bridge_and_port_within_15_characters():
    pytest.importorskip("mininet", reason="a mode's topology is a Mininet topology")
    from topos.modes.registry import topology

    for mode, params in [("nat", []), ("bridged", []), ("internal", []),
                         ("lab", ["file=%s" % os.path.join(ROOT, "labs", "router.lab")])]:
        topo = topology(mode, *params, name="zz9")
        bridges = [topo.nodeInfo(s)["bridge"] for s in topo.switches()]
        ports = [info[end] for _a, _b, info in topo.links(withInfo=True)
                 for end, node in (("intfName1", "node1"), ("intfName2", "node2"))
                 if topo.isSwitch(info[node])]
        assert all(n.startswith("zz9_") and len(n) <= IFNAMSIZ for n in bridges + ports), (
            mode, [n for n in bridges + ports if len(n) > IFNAMSIZ])
        assert len(set(bridges + ports)) == len(bridges + ports)
        plain = topology(mode, *params)
        assert sorted(plain.hosts()) == sorted(topo.hosts())  # nodes keep their names


def test_check_all_names_each_lab_apart():
    from topos.tools.side_by_side import names

    assert names("ab", 5) == ["ab1", "ab2", "ab3", "ab4", "ab5"]
    mine = names("", 5)
    assert len(set(mine)) == 5 and all(checked(n) for n in mine)


def test_check_all_prints_each_labs_report_in_order_and_fails_if_one_did(capsys):
    from topos.tools.side_by_side import print_reports

    reports = [("hostonly", "hostonly: 32 of 32 checks hold\n", "", 0),
               ("nat", "nat: 37 of 38 checks hold\n", "", 1)]
    assert print_reports(reports, as_json=False) == 1
    assert capsys.readouterr().out.splitlines() == ["hostonly: 32 of 32 checks hold",
                                                    "nat: 37 of 38 checks hold"]
    merged = [("a", '[{"claim": 1}]', "", 0), ("b", '[{"claim": 2}]', "", 0)]
    assert print_reports(merged, as_json=True) == 0
    assert '"claim": 2' in capsys.readouterr().out
    assert print_reports([("x", "", "no lab: port taken", 2)], as_json=False) == 1
    assert "x: vmnet check failed (exit 2):\nno lab: port taken" in capsys.readouterr().err
