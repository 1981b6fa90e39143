"""What cannot be, predicted as VirtualBox behaves (topos.labfile.model, .pools,
.predict): a DHCP pool used up, a forward to an address no guest has, a disabled NAT network;
and `vmnet predict` on a lab too large for a table."""

import json

import pytest

from topos.labfile.model import Model
from topos.labfile.predict import MAX_ROWS, predict, predict_json
from topos.labfile.reader import parse

POOL = ("[host1]\nVBoxManage hostonlyif create\nVBoxManage dhcpserver add --interface "
        "vboxnet0 --server-ip 192.168.56.2 --netmask 255.255.255.0 --lower-ip 192.168.56.103 "
        "--upper-ip 192.168.56.104 --enable\n")


def vms(count, attach="--nic1 hostonly --hostonlyadapter1 vboxnet0"):
    return "".join("VBoxManage createvm --name v%d --register\nVBoxManage modifyvm v%d %s\n" %
                   (n, n, attach) for n in range(1, count + 1))


def test_a_pool_of_two_leases_two_and_leaves_the_others_without_an_address():
    model = Model(parse(POOL + vms(4)))
    assert [model.address("v%d" % n, ("hostonly", "host1", "vboxnet0")) for n in
            range(1, 5)] == ["192.168.56.103", "192.168.56.104", None, None]
    assert model.reach_node("v1", "v2").reached
    p = model.reach_node("host1", "v3")
    assert not p.reached
    assert p.reason == ("v3 has no address on host-only vboxnet0 of host1 (its DHCP pool "
                        "192.168.56.103-192.168.56.104 is used up: its 2 addresses went to the "
                        "VMs made before)")
    assert not model.reach_node("v4", "v1").reached  # nor can it send


def test_the_lab_starts_no_dhcp_client_where_the_pool_is_used_up(tmp_path):
    pytest.importorskip("mininet", reason="a lab file's lab is a Mininet topology")
    from topos.modes.registry import topology

    path = tmp_path / "pool.lab"
    path.write_text(POOL + vms(3))
    topo = topology("lab", "file=%s" % path)
    assert topo.nodeInfo("v2")["dhcp"] == ["eth0"]
    assert topo.nodeInfo("v3")["dhcp"] == []
    (server,) = topo.nodeInfo("host1")["dhcp_server"]
    assert [r.ip for r in server.reservations] == ["192.168.56.103", "192.168.56.104"]


def test_a_forward_to_an_address_its_guest_has_not_is_predicted_unreached():
    model = Model(parse("[host1]\n" + vms(1, "--nic1 nat --natpf1 web,tcp,,8080,10.0.2.99,80")
                        + vms(0)))
    ((host, forward, vm, key),) = model.port_forwards()
    p = model.reach_forward("pc1", host, forward, vm, key)
    assert not p.reached and p.reason == "the forward names 10.0.2.99, which no VM has"
    ok = Model(parse("[host1]\n" + vms(1, "--nic1 nat --natpf1 web,tcp,,8080,10.0.2.15,80")))
    assert ok.reach_forward("pc1", *ok.port_forwards()[0]).reached


DISABLED = ("[host1]\nVBoxManage natnetwork add --netname nn --network 10.40.0.0/24 --enable "
            "--dhcp on --port-forward-4 'w:tcp:[]:8080:[10.40.0.9]:80'\n"
            "VBoxManage natnetwork modify --netname nn --disable\n" +
            vms(2, "--nic1 natnetwork --nat-network1 nn") +
            "[guest v1]\neth0 address 10.40.0.9/24 gateway 10.40.0.1\n"
            "[guest v2]\neth0 address 10.40.0.10/24 gateway 10.40.0.1\n")


def test_a_disabled_nat_network_is_a_switch_between_its_vms_and_nothing_more():
    model = Model(parse(DISABLED))
    assert model.reach_node("v1", "v2").reached  # the same internal network
    assert not model.reach_node("v1", "pc1").reached  # no gateway answers at .1
    assert not model.reach_node("v2", "host1").reached
    (forward,) = model.port_forwards()
    p = model.reach_forward("pc1", *forward)
    assert not p.reached and "VirtualBox runs no NAT for it" in p.reason


def test_a_disabled_nat_network_is_built_without_a_router(tmp_path):
    pytest.importorskip("mininet", reason="a lab file's lab is a Mininet topology")
    from topos.modes.registry import topology

    path = tmp_path / "off.lab"
    path.write_text(DISABLED)
    topo = topology("lab", "file=%s" % path)
    assert topo.routers(None) == []
    links = {(a, b) for a, b in topo.links()}
    assert {("v1", "host1-net0"), ("v2", "host1-net0")} <= links
    assert topo.switch_roles["host1-net0"] == "NAT network nn of host1 (disabled: no NAT)"


def test_a_large_lab_is_summed_up_a_line_per_source_and_json_keeps_every_answer(tmp_path):
    path = tmp_path / "big.lab"
    path.write_text(POOL.replace("103", "10").replace("104", "250") +
                    vms(60, "--nic1 hostonly --hostonlyadapter1 vboxnet0 --nic2 nat"))
    head, note, *lines = predict(str(path)).splitlines()
    answers = json.loads(json.dumps(predict_json(str(path))))["answers"]
    assert len(answers) > MAX_ROWS
    assert head == "%s: 60 VMs on host1; %d answers, %d reached" % (
        path, len(answers), sum(a["reached"] for a in answers))
    assert note.startswith("(more than %d answers: a line per source" % MAX_ROWS)
    assert len(lines) == 64  # the 60 VMs, host1, host2, pc1, inet
    assert lines[0].startswith("v1 reaches 124 of 187; not v10 eth1: ")  # names sorted
    assert len(predict(str(path), every=True).splitlines()) == len(answers) + 2
