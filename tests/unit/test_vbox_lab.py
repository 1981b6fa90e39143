"""A lab file's lab, as built (without starting it): VMs with several adapters, each on
the network its VBoxManage line names, with the model's addresses and VirtualBox's NAT."""

import os

import pytest

pytest.importorskip("mininet", reason="a lab file's lab is a Mininet topology")

from topos.modes.registry import topology  # noqa: E402
from topos.tools import cli  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def lab(name, text=None, tmp_path=None):
    if text is not None:
        path = tmp_path / name
        path.write_text(text)
        return topology("lab", "file=%s" % path)
    return topology("lab", "file=%s" % os.path.join(ROOT, "labs", name))


def test_vagrants_shape_has_a_nat_router_and_a_host_only_network():
    topo = lab("vagrant.lab")
    links = {(a, b): info for a, b, info in topo.links(withInfo=True)}
    assert links[("web", "vr1-1")]["intfName1"] == "eth0"  # adapter 1: its own NAT
    assert links[("web", "host1-vbox0")]["intfName1"] == "eth1"  # adapter 2: vboxnet0
    assert links[("host1", "vr1-1")]["port2"] == 2  # host1 behind its VM's NAT router
    (router,) = topo.routers(None)
    assert (router.inside_net, router.gateway_ip, router.outside_ip) == (
        "10.0.2.0/24", "10.0.2.2", "192.168.1.10")
    ssh, http = router.forwards
    assert (ssh.outside_port, ssh.inside_port, ssh.from_lan) == (2222, 22, False)
    assert (http.outside_port, http.from_lan) == (8080, True)
    web = topo.nodeInfo("web")
    assert (web["dhcp"], web["addresses"], web["default_via"]) == (
        ["eth0"], {"eth1": "192.168.56.10/24"}, "eth0")
    assert topo.nodeInfo("host1")["addresses"] == {"vboxnet0": "192.168.56.1/24"}


def test_host_only_dhcp_reserves_the_models_addresses(tmp_path):
    topo = lab("hostonly.lab")
    (server,) = topo.nodeInfo("host1")["dhcp_server"]
    assert [(r.name, r.ip) for r in server.reservations] == [
        ("vm1", "192.168.56.101"), ("vm2", "192.168.56.102")]
    assert server.router is None  # VirtualBox's host-only DHCP offers no gateway


def test_a_cable_out_and_an_adapter_attached_to_nothing(tmp_path):
    topo = lab("cables.lab", "[host1]\nVBoxManage hostonlyif create\n"
               "VBoxManage dhcpserver add --interface vboxnet0 --server-ip 192.168.56.100 "
               "--lower-ip 192.168.56.101 --upper-ip 192.168.56.110 --enable\n"
               "VBoxManage createvm --name a\nVBoxManage modifyvm a --nic1 nat "
               "--nic2 hostonly --host-only-adapter2 vboxnet0 --cable-connected2 off "
               "--nic3 null\n", tmp_path)
    info = topo.nodeInfo("a")
    assert (info["unplugged"], info["unattached"]) == (["eth1"], ["eth2"])
    assert info["dhcp"] == ["eth0"]  # no DHCP client waits on a card whose cable is out


def test_a_router_guest_routes_masquerades_and_serves_its_clients():
    topo = lab("router.lab")
    router = topo.nodeInfo("router")
    assert (router["forwarding"], router["masquerade"], router["default_via"]) == (
        True, "eth0", "eth0")
    (server,) = router["dhcp_server"]
    assert (server.interface, server.router) == ("eth1", "10.10.10.1")
    assert [(r.name, r.ip) for r in server.reservations] == [
        ("client1", "10.10.10.100"), ("client2", "10.10.10.101")]
    assert topo.nodeInfo("client1")["default_via"] == "eth0"  # the router, by DHCP


def test_a_nat_network_is_one_router_for_its_vms_and_bridged_vms_join_the_hosts_bridge():
    topo = lab("nat-network.lab")
    host1 = next(r for r in topo.routers(None) if r.name == "nn1-0")
    assert (host1.inside_net, host1.gateway_ip) == ("10.0.2.0/24", "10.0.2.1")
    assert sorted(host1.reserved.values()) == ["10.0.2.15", "10.0.2.16"]
    assert host1.vm_ports == (10, 11)
    (forward,) = host1.forwards
    assert (forward.outside_port, forward.inside_ip, forward.inside_port) == (
        2222, "10.0.2.15", 22)
    bridged = {(a, b) for a, b, _ in lab("bridged.lab").links(withInfo=True)}
    assert {("vm1", "br0-host1"), ("vm3", "br0-host2"), ("host1", "br0-host1")} <= bridged


def test_the_command_takes_a_lab_file_where_it_takes_a_mode(tmp_path, capsys):
    assert cli.lab_file("labs/vagrant.lab", []) == ("lab", ["file=labs/vagrant.lab"])
    assert cli.lab_file("nat", ["per_vm=yes"]) == ("nat", ["per_vm=yes"])
    assert cli.main(["diagram", str(tmp_path / "none.lab"), "-o", "x.svg"]) == 2
    assert "none.lab:0: cannot be read" in capsys.readouterr().err


def test_the_diagram_labels_each_card_with_its_kind():
    from topos.tools import diagram

    text = diagram.dot(lab("vagrant.lab"))
    assert '"web" -- "vr1-1" [label="nat", taillabel="eth0"' in text
    assert '"web" -- "host1-vbox0" [label="hostonly", taillabel="eth1"' in text
    assert "web's NAT adapter 1 (virtual router)" in text


def test_a_nat_adapters_dns_switches_and_loopback_are_its_routers(tmp_path):
    topo = lab("names.lab", "[host1]\nVBoxManage natnetwork add --netname nn --network "
               "10.40.0.0/24 --enable\nVBoxManage createvm --name a\nVBoxManage createvm "
               "--name b\nVBoxManage modifyvm a --nic1 nat --natdnshostresolver1 on "
               "--nat-localhostreachable1=on --nic2 natnetwork --nat-network2 nn\n"
               "VBoxManage modifyvm b --nic1 nat --nat-dns-proxy1 on\n", tmp_path)
    routers = {r.name: r for r in topo.routers(None)}
    a_nat, b_nat, nat_network = routers["vr1-1"], routers["vr2-1"], routers["nn1-0"]
    assert (a_nat.dns_servers, a_nat.dns_target, a_nat.host_loopback) == (
        ("10.0.2.3",), ("192.168.1.10", 5302), True)
    assert (b_nat.dns_target, b_nat.host_loopback) == (("192.168.1.10", 5301), False)
    assert (nat_network.dns_servers, nat_network.dns_alias) == (("192.168.1.1",), None)
    host1 = topo.nodeInfo("host1")
    assert sorted((r.port, r.hosts) for r in host1["name_server"]) == [(5301, False),
                                                                      (5302, True)]
    assert host1["loopback_from"] == ["eth0"]
