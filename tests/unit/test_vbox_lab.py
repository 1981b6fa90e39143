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
               "--netmask 255.255.255.0 "
               "--lower-ip 192.168.56.101 --upper-ip 192.168.56.110 --enable\n"
               "VBoxManage createvm --name a --register\nVBoxManage modifyvm a --nic1 nat "
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
    # numbered as VirtualBox numbers a NAT network: gateway .1, loopback .2, DHCP .3, leases .4
    assert sorted(host1.reserved.values()) == ["10.0.2.4", "10.0.2.5"]
    assert (host1.gateway_ip, host1.loopback_address, host1.dhcp_server_address) == (
        "10.0.2.1", "10.0.2.2", "10.0.2.3")
    assert host1.vm_ports == (10, 11)
    (forward,) = host1.forwards
    assert (forward.outside_port, forward.inside_ip, forward.inside_port) == (
        2222, "10.0.2.4", 22)
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
               "10.40.0.0/24 --enable\nVBoxManage createvm --name a --register\n"
               "VBoxManage createvm "
               "--name b --register\nVBoxManage modifyvm a --nic1 nat --natdnshostresolver1 on "
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


def test_adapters_five_to_eight_are_built_apart_and_predicted(tmp_path):
    """VBoxManage's --nic5..--nic8 are the guest's eth4-eth7: each on its own switch port,
    with a MAC, router and datapath id no other adapter has, the 16th VM's adapter 8 beside
    a NAT network's router; and the model predicts for them."""
    import re

    from plan.addressing import FILE_VM_MAC

    spare = "".join("VBoxManage createvm --name v%d\n" % n for n in range(2, 16))
    topo = lab("eight.lab", "[host1]\nVBoxManage hostonlyif create\n"
               "VBoxManage dhcpserver add --interface vboxnet0 --server-ip 192.168.56.100 "
               "--netmask 255.255.255.0 "
               "--lower-ip 192.168.56.101 --upper-ip 192.168.56.110 --enable\n"
               "VBoxManage natnetwork add --netname nn --network 10.40.0.0/24 --enable\n"
               "VBoxManage createvm --name v1 --register\n"
               "VBoxManage modifyvm v1 --nic1 natnetwork --nat-network1 nn\n" + spare +
               "VBoxManage createvm --name web --register\n"  # the 16th VM
               "VBoxManage modifyvm web --nic6 hostonly --host-only-adapter6 vboxnet0 "
               "--nic8 nat --natpf8 ssh,tcp,,2222,,22\n"
               "[host2]\nVBoxManage createvm --name far --register\n"
               "VBoxManage modifyvm far --nic5 nat --nic7 null --nic8 nat\n", tmp_path)
    links = {(a, b): info for a, b, info in topo.links(withInfo=True)}
    assert links[("web", "host1-vbox0")]["intfName1"] == "eth5"
    assert links[("web", "vr16-8")]["intfName1"] == "eth7"
    assert (links[("far", "vr17-5")]["intfName1"], links[("far", "vr17-8")]["intfName1"]) == (
        "eth4", "eth7")
    assert topo.nodeInfo("far")["unattached"] == ["eth6"]
    # datapath ids: one per switch; a router's is its conntrack zone too (16 bits, the top
    # one the aliases' zone)
    dpids = {s: int(topo.nodeInfo(s)["dpid"], 16) for s in topo.switches()}
    assert len(set(dpids.values())) == len(dpids), dpids
    assert all(r.dpid < 0x8000 and dpids[r.name] == r.dpid for r in topo.routers(None))
    # MACs: VirtualBox's prefix, the VM's number and the adapter; none twice
    macs = [info["addr1"] for info in links.values() if info.get("addr1")]
    assert len(set(macs)) == len(macs)
    assert all(re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", m) for m in macs), macs
    assert links[("web", "vr16-8")]["addr1"] == FILE_VM_MAC % (16, 8, 0)
    names = [info[k] for info in links.values() for k in ("intfName1", "intfName2")
             if info.get(k)]
    assert max(map(len, names)) <= 15, sorted(names, key=len)[-1]
    routers = {r.name: r for r in topo.routers(None)}
    web_nat = routers["vr16-8"]
    assert (web_nat.inside_net, web_nat.gateway_ip, web_nat.dns_servers) == (
        "10.0.9.0/24", "10.0.9.2", ("10.0.9.3",))  # VirtualBox's 10.0.(N+1).0/24
    assert web_nat.reserved == {FILE_VM_MAC % (16, 8, 0): "10.0.9.15"}
    (ssh,) = web_nat.forwards
    assert (ssh.outside_port, ssh.inside_ip, ssh.inside_port) == (2222, "10.0.9.15", 22)
    web = topo.nodeInfo("web")
    assert (web["dhcp"], web["default_via"]) == (["eth5", "eth7"], "eth7")
    (server,) = topo.nodeInfo("host1")["dhcp_server"]
    assert [(r.name, r.ip, r.mac) for r in server.reservations] == [
        ("web", "192.168.56.101", FILE_VM_MAC % (16, 6, 0))]
    model = topo.model
    out = model.reach("web", "inet", ("wan",))
    assert out.reached and "web's NAT adapter 8" in out.reason, out
    assert model.reach("host1", "web", ("hostonly", "host1", "vboxnet0")).reached
    (forward,) = [f for f in model.port_forwards() if f[2] == "web"]
    assert model.reach_forward("pc1", *forward).reached


def test_a_nat_adapters_dhcp_passes_the_hosts_domain_as_virtualbox_does(tmp_path):
    topo = lab("domain.lab", "[host1]\nVBoxManage natnetwork add --netname nn --network "
               "10.40.0.0/24 --enable\nVBoxManage createvm --name a --register\n"
               "VBoxManage modifyvm a --nic1 nat --nic2 nat --natdnspassdomain2 off "
               "--nic3 nat --natdnsproxy3 on --nic4 nat --natdnshostresolver4 on "
               "--nic5 natnetwork --nat-network5 nn\n", tmp_path)
    routers = {r.name: r for r in topo.routers(None)}
    # on by default (VirtualBox's DNSPassDomain), with the DNS proxy too; the host resolver
    # passes none, and neither does a NAT network's DHCP
    assert [routers[n].dns_domain for n in ("vr1-1", "vr1-2", "vr1-3", "vr1-4", "nn1-0")] == [
        "home.arpa", None, "home.arpa", None, None]
    from controllers import config  # the controller reads it from the lab's config file

    config.dump(list(routers.values()), str(tmp_path / "routers.json"))
    assert config.load(str(tmp_path / "routers.json"))[routers["vr1-1"].dpid] == routers["vr1-1"]
