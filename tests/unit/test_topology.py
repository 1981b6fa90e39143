"""Topologies are data: parameters are checked, names and addresses follow the contract."""

import os

import pytest

pytest.importorskip("mininet", reason="the topologies are Mininet topologies (Debian: mininet)")

from topos.modes.hostonly import HostOnly
from topos.modes.registry import topology
from topos.run.errors import LabError


@pytest.mark.parametrize("params, message", [
    (["vms=0"], "vms=0: must be from 1 to 150"),
    (["vms=x"], "vms='x': must be a whole number"),
    (["vms=2.5"], "vms='2.5': must be a whole number"),
    (["vms2=999"], "vms2=999"),
    (["colour=blue"], "unknown parameter colour"),
    (["vms"], "bad parameter 'vms'"),
])
def test_bad_parameters_are_named(params, message):
    with pytest.raises(LabError, match=message.replace("(", r"\(")):
        topology("hostonly", *params)


def test_unknown_mode_lists_the_modes():
    with pytest.raises(LabError, match="unknown mode 'natt': choose one of hostonly, nat, bridged"):
        topology("natt")


def test_hostonly_world_and_vms():
    topo = HostOnly()
    assert set(topo.hosts()) == {"inet", "r1", "pc1", "host1", "host2", "vm1", "vm2", "vm3"}
    assert set(topo.switches()) == {"wan", "lan", "host1-vbox", "host2-vbox"}
    assert topo.vms == {"vm1": "host1", "vm2": "host1", "vm3": "host2"}
    vm1 = topo.nodeInfo("vm1")
    assert vm1["dhcp"] == ["eth0"] and vm1["ip"] is None


def test_hostonly_dhcp_servers_hand_out_101_upwards_and_no_gateway():
    topo = HostOnly(vms=3)
    server = topo.nodeInfo("host1")["dhcp_server"]
    assert server.router is None
    assert [(r.name, r.ip) for r in server.reservations] == [
        ("vm1", "192.168.56.101"), ("vm2", "192.168.56.102"), ("vm3", "192.168.56.103")]
    assert [r.mac for r in server.reservations][0].startswith("08:00:27:")
    host2 = topo.nodeInfo("host2")
    assert host2["addresses"] == {"vboxnet0": "192.168.57.1/24"}
    assert [(r.name, r.ip) for r in host2["dhcp_server"].reservations] == [
        ("vm4", "192.168.57.101")]
    assert "--dhcp-option=option:router" in server.argv("/run/x", "host1")


def test_port_names_say_which_node_and_interface_they_face():
    topo = HostOnly()
    names = {(a, b): info for a, b, info in topo.links(withInfo=True)}
    ends = {(i["node1"], i["intfName1"], i["intfName2"]) for i in names.values()}
    assert ("vm1", "eth0", "vm1-eth0") in ends
    assert ("host1", "vboxnet0", "host1-vboxnet0") in ends
    assert ("r1", "eth1", "r1-eth1") in ends
    assert all(len(i["intfName2"]) <= 15 for i in names.values())  # Linux's limit


@pytest.mark.parametrize("params, message", [
    (["pf=tcp:99999:vm1:22"], "port '99999' is not in 1-65535"),
    (["pf=icmp:1:vm1:1"], "protocol must be tcp or udp, not 'icmp'"),
    (["pf=tcp:2222:vm9:22"], "no VM named vm9 (the VMs: vm1, vm2, vm3)"),
    (["pf=tcp:2222:vm1:22+tcp:2222:vm2:22"], "tcp port 2222 is forwarded twice"),
    (["net=192.168.0.0/16"], "net=192.168.0.0/16 overlaps LAN"),
    (["net2=10.0.2.0/24"], "net2=10.0.2.0/24 overlaps net"),
    (["net=10.0.2.0/28"], "must be a /24 or larger"),
    (["ports=40000-41000"], "overlaps the host PC's own ephemeral ports"),
    (["ports=abc"], "write first-last"),
    (["idle=0"], "idle=0: must be from 1 to 3600"),
    (["per_vm=500"], "per_vm=500: write yes (a virtual router per VM, VirtualBox's plain NAT) "
                     "or no (one shared per host PC, its NAT Network) (a VM's cap on NAT "
                     "mappings is mappings=500)"),
    (["per_vm=yes", "vms=11"], "vms=11: with per_vm=yes a host PC runs at most 10 VMs"),
    (["mappings=0"], "mappings=0: must be from 1 to 65535"),
    (["per_vm=yes", "net2=10.0.4.0/24"], "net2=10.0.4.0/24: with per_vm=yes every VM is on net"),
    (["natdnsproxy=on"], "natdnsproxy/natdnshostresolver: settings of VirtualBox's plain NAT "
                         "(per_vm=yes); a NAT Network's guests ask the host's name servers"),
    (["per_vm=yes", "natdnshostresolver=yes"], "natdnshostresolver=yes: write on or off"),
    (["localhostreachable=on"], "localhostreachable: a setting of VirtualBox's plain NAT"),
])
def test_bad_nat_parameters_are_named(params, message):
    with pytest.raises(LabError, match=message.replace("(", r"\(").replace(")", r"\)")):
        topology("nat", *params)


def test_the_default_nat_lab_is_what_a_hand_started_controller_assumes():
    from dataclasses import replace

    from controllers import config
    from controllers.config import default_routers, default_vm_routers

    routers = [replace(r, state_file=None) for r in topology("nat").routers(None)]
    assert routers == default_routers()
    plain = [replace(r, state_file=None) for r in topology("nat", "per_vm=yes").routers(None)]
    assert plain == default_vm_routers()
    assert set(config.load()) == {r.dpid for r in routers + plain}  # a hand-started controller


def test_nat_port_forwards_and_vm_addresses():
    topo = topology("nat", "vms=3", "pf=tcp:2222:vm1:22+udp:5353:vm4:53")
    host1, host2 = topo.routers("/run")
    # a NAT network's numbers (VirtualBox's NATNetworkImpl.cpp): leases from .4
    assert host1.reserved == {"08:00:27:00:00:01": "10.0.2.4", "08:00:27:00:00:02": "10.0.2.5",
                              "08:00:27:00:00:03": "10.0.2.6"}
    assert (host1.gateway_ip, host1.loopback_address, host1.dhcp_server_address,
            host1.host_loopback) == ("10.0.2.1", "10.0.2.2", "10.0.2.3", True)
    assert [(f.proto, f.outside_port, f.inside_ip, f.inside_port) for f in host1.forwards] == [
        ("tcp", 2222, "10.0.2.4", 22)]
    assert [(f.proto, f.inside_ip) for f in host2.forwards] == [("udp", "10.0.3.4")]
    assert topo.nodeInfo("vm4")["echo_extra"] == [("udp", 53)]


def test_plain_nat_gives_every_vm_a_router_of_its_own_at_10_0_2_15():
    topo = topology("nat", "per_vm=yes", "vms=3", "pf=tcp:2222:vm1:22+udp:5353:vm4:53")
    routers = topo.routers("/run")
    assert [r.name for r in routers] == ["vm1", "vm2", "vm3", "vm4"]
    assert {r.inside_net for r in routers} == {"10.0.2.0/24"}
    assert [list(r.reserved.values()) for r in routers] == [["10.0.2.15"]] * 4
    assert {r.gateway_ip for r in routers} == {"10.0.2.2"}
    assert [r.outside_ip for r in routers] == ["192.168.1.10"] * 3 + ["192.168.1.11"]
    # host1's three routers share its address: their outside ports do not overlap
    slices = [r.ports for r in routers[:3]]
    assert slices == [(61000, 61332), (61333, 61665), (61666, 61998)]
    assert [[(f.proto, f.outside_port) for f in r.forwards] for r in routers] == [
        [("tcp", 2222)], [], [], [("udp", 5353)]]
    assert topo.column == "nat_per_vm" and topology("nat").column == "nat"
    assert topo.gateway_of("vm4") == "10.0.2.2"


def test_plain_nats_routers_stand_in_a_row_before_the_host_pc():
    topo = topology("nat", "per_vm=yes")
    links = {(a, b): info for a, b, info in topo.links(withInfo=True)}

    def linked(x, y):
        return links.get((x, y)) or links.get((y, x))

    assert linked("vr-vm1", "lan") and linked("vr-vm2", "vr-vm1") and linked("host1", "vr-vm2")
    assert not linked("host1", "vr-vm1") and not linked("vr-vm2", "lan")
    assert linked("vm1", "vr-vm1")["port2"] == linked("vm2", "vr-vm2")["port2"] == 10


def test_the_controller_node_runs_the_projects_app():
    from topos.run import controller_node

    assert os.path.isfile(controller_node.APP)
    assert controller_node.APP.endswith(os.path.join("controllers", "vmnet.py"))


@pytest.mark.parametrize("mode", ["hostonly", "nat", "bridged", "internal"])
def test_every_interface_name_fits_linux(mode):
    topo = topology(mode, "vms=12", "vms2=12")
    names = [info.get(key) for _a, _b, info in topo.links(withInfo=True)
             for key in ("intfName1", "intfName2")]
    assert names and all(name and len(name) <= 15 for name in names), names


def test_vmnet_manager_names_the_controller_and_a_wrong_one_is_refused(monkeypatch, tmp_path):
    from topos.run.controller_node import find_manager

    manager = tmp_path / "ryu-manager"
    manager.write_text("#!/bin/sh\n")
    manager.chmod(0o755)
    monkeypatch.setenv("VMNET_MANAGER", str(manager))
    assert find_manager() == str(manager)
    monkeypatch.setenv("VMNET_MANAGER", str(tmp_path / "missing"))
    with pytest.raises(LabError, match="VMNET_MANAGER=.*missing: not an executable"):
        find_manager()


def test_the_nat_dns_switches_choose_who_answers_at_10_0_2_3():
    from controllers.config import DNS_HOST_RESOLVER, DNS_PASS, DNS_PROXY

    for params, want in (((), DNS_PASS), (("natdnsproxy=on",), DNS_PROXY),
                         (("natdnshostresolver=on",), DNS_HOST_RESOLVER),
                         (("natdnsproxy=on", "natdnshostresolver=on"), DNS_HOST_RESOLVER)):
        topo = topology("nat", "per_vm=yes", *params)
        assert topo.dns == want
        (router, *_) = topo.routers(None)
        assert router.dns_alias == "10.0.2.3" and router.dns_servers == ("10.0.2.3",)
        relays = topo.nodeInfo("host1").get("name_server", [])
        assert [r.hosts for r in relays] == ([] if want == DNS_PASS else
                                            [want == DNS_HOST_RESOLVER])
