"""Host-only mode in the real lab: the host-only column of docs/contract.md §3 and more."""

import subprocess

import pytest
from labkit import assert_claim, interface_names

from topos.contract import probe
from topos.contract.claims import for_column
from topos.modes.hostonly import HostOnly
from topos.modes.registry import column
from topos.tools.bench import iperf

TOPOLOGY = HostOnly


@pytest.mark.parametrize("claim", for_column(column("hostonly")),
                         ids=lambda c: "claim%d" % c.number)
def test_claim(lab, claim):
    assert_claim(lab, claim)


def test_leases_come_from_real_dhcp_exchanges(lab):
    assert lab.lease("pc1")["ip"] == "192.168.1.20"
    assert lab.lease("host1")["ip"] == "192.168.1.10"
    assert lab.lease("host2")["ip"] == "192.168.1.11"
    assert all(lab.lease(n)["router"] == "192.168.1.1" for n in ("pc1", "host1", "host2"))
    assert (lab.lease("vm1")["ip"], lab.lease("vm2")["ip"]) == ("192.168.56.101", "192.168.56.102")
    assert lab.lease("vm3")["ip"] == "192.168.57.101"
    assert lab.lease("vm1")["server"] == "192.168.56.1"
    # no gateway for host-only VMs: the lease has none and so has the VM
    assert lab.lease("vm1")["router"] == ""
    assert "default" not in lab.get("vm1").cmd("ip -4 route")
    # and the servers' own records agree
    leases = open("%s/host1-dnsmasq.leases" % lab.rundir).read()
    assert "08:00:27:00:00:01 192.168.56.101 vm1" in leases


def test_nodes_show_the_interface_names_of_real_machines(lab):
    assert interface_names(lab, "vm1") == {"lo", "eth0"}
    assert interface_names(lab, "host1") == {"lo", "eth0", "vboxnet0"}
    assert interface_names(lab, "r1") == {"lo", "eth0", "eth1"}
    assert lab.get("vm1").cmd("cat /sys/class/net/eth0/address").strip().startswith("08:00:27")


def test_host1_does_not_forward(lab):
    assert lab.get("host1").cmd("sysctl -n net.ipv4.ip_forward").strip() == "0"


def test_controller_listens_on_loopback_only(lab):
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % lab.port], capture_output=True,
                         text=True).stdout
    listeners = [line.split()[3] for line in out.splitlines()]
    assert listeners == ["127.0.0.1:%d" % lab.port]


def test_learned_flows_expire_and_floods_get_none(lab):
    vm1, vm2 = lab.get("vm1", "vm2")
    assert probe.ping(vm1, lab.ip("vm2")).ok
    flows = lab.get("host1-vbox").flows()
    learned = [f for f in flows.splitlines() if "dl_dst=08:00:27:00:00:02" in f]
    assert learned and all("idle_timeout=60" in f for f in learned)
    assert "ff:ff:ff:ff:ff:ff" not in flows
    assert "priority=0 actions=CONTROLLER:65535" in flows


def test_iperf3_vm1_to_host1(lab):
    gbps = iperf(lab.get("vm1"), lab.get("host1"), "192.168.56.1", seconds=2)
    print("iperf3 vm1 -> host1 (host-only): %.2f Gbit/s" % gbps)
    assert gbps > 0


def test_on_the_userspace_datapath_cards_are_tap_devices_named_by_the_switch(lab):
    from topos.run.switch import kernel_datapath

    kind = lab.get("vm1").cmd("ethtool -i eth0 | sed -n 's/^driver: //p'").strip()
    assert kind == ("veth" if kernel_datapath() else "tun")
    switch = lab.get("host1-vbox")
    ports = switch.cmd("ovs-vsctl --timeout=5 list-ports %s" % switch).split()
    names = lab.topo.root_names  # a named lab's ports carry its name (topos.run.lab_names)
    assert set(ports) == {names(p) for p in ("vm1-eth0", "vm2-eth0", "host1-vboxnet0")}
