"""Lab files in VBoxManage's words (docs/labfiles.md): what they say, read as VirtualBox
reads it, and every kind of mistake as one error naming the file, line and what is wrong."""

import os

import pytest

from topos.labfile.reader import parse, read
from topos.labfile.spec import Forward, LabFileError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD = "[host1]\nVBoxManage createvm --name web --register\n"


def test_vagrants_shape_reads_as_virtualbox_has_it():
    spec = read(os.path.join(ROOT, "labs", "vagrant.lab"))
    web = spec.vm("web")
    nat, hostonly = web.attached()
    assert (nat.kind, nat.interface, str(nat.nat_network())) == ("nat", "eth0", "10.0.2.0/24")
    assert nat.forwards == [Forward("ssh", "tcp", "127.0.0.1", 2222, "", 22),
                            Forward("http", "tcp", "", 8080, "", 80)]  # a continued line
    assert (hostonly.kind, hostonly.network, hostonly.cable) == ("hostonly", "vboxnet0", True)
    assert spec.hosts["host1"].hostonly["vboxnet0"].address == "192.168.56.1"
    assert web.guest.interfaces["eth1"].address == "192.168.56.10/24"


def test_both_spellings_and_both_option_forms_mean_the_same():
    new = parse(HEAD + "VBoxManage modifyvm web --nic2=nat --nat-pf2=a,udp,,53,,53 "
                "--cable-connected2=off --mac-address2=080027AABBCC --nat-net2 10.9.0.0/24\n")
    old = parse(HEAD + "VBoxManage modifyvm web --nic2 nat --natpf2 a,udp,,53,,53 "
                "--cableconnected2 off --macaddress2 08:00:27:aa:bb:cc --natnet2 10.9/16\n")
    a, b = new.vm("web").adapters[2], old.vm("web").adapters[2]
    assert (a.kind, a.forwards, a.cable, a.mac) == (b.kind, b.forwards, b.cable, b.mac)
    assert a.mac == "08:00:27:aa:bb:cc" and a.interface == "eth1"
    assert str(a.nat_network()) == "10.9.0.0/24" and str(b.nat_network()) == "10.9.0.0/16"


def test_an_adapter_left_alone_is_none_and_a_second_nat_gets_the_next_network():
    spec = parse(HEAD + "VBoxManage modifyvm web --nic1 nat --nic3 nat --nic4 null\n")
    assert [(a.slot, a.kind) for a in spec.vm("web").attached()] == [
        (1, "nat"), (3, "nat"), (4, "null")]
    assert str(spec.vm("web").adapters[3].nat_network()) == "10.0.4.0/24"


def test_adapters_five_to_eight_are_the_guests_eth4_to_eth7():
    spec = parse("[host1]\nVBoxManage hostonlyif create\n"
                 "VBoxManage createvm --name web --register\n"
                 "VBoxManage modifyvm web --nic5 nat --nic6 hostonly --hostonlyadapter6 vboxnet0 "
                 "--nic7 intnet --cable-connected7 off --mac-address7 080027AABBCC "
                 "--nic8 nat --natpf8 ssh,tcp,,2222,,22\n"
                 "[guest web]\neth5 address 192.168.56.10/24\neth7 dhcp\n")
    web = spec.vm("web")
    assert [(a.slot, a.interface, a.kind) for a in web.attached()] == [
        (5, "eth4", "nat"), (6, "eth5", "hostonly"), (7, "eth6", "intnet"), (8, "eth7", "nat")]
    nat8 = web.adapters[8]
    assert str(nat8.nat_network()) == "10.0.9.0/24"  # VirtualBox's 10.0.(N+1).0/24
    assert nat8.forwards == [Forward("ssh", "tcp", "", 2222, "", 22)]
    assert (web.adapters[7].cable, web.adapters[7].mac) == (False, "08:00:27:aa:bb:cc")
    assert web.guest.interfaces["eth5"].address == "192.168.56.10/24"


def test_passing_the_hosts_dns_domain_is_on_unless_turned_off_in_either_spelling():
    spec = parse(HEAD + "VBoxManage modifyvm web --nic1 nat --nic2 nat --natdnspassdomain2 off "
                 "--nic3 nat --nat-dns-pass-domain3=off --nic4 nat --natdnspassdomain4 on\n")
    assert [a.dns_pass_domain for a in spec.vm("web").attached()] == [True, False, False, True]


def test_a_lab_file_holds_at_most_255_vms():
    text = "[host1]\n" + "".join("VBoxManage createvm --name v%d\n" % n for n in range(256))
    with pytest.raises(LabFileError, match="my.lab:257: more than 255 VMs"):
        parse(text, "my.lab")
    assert len(parse(text.rsplit("VBoxManage", 1)[0]).vms()) == 255


def test_nat_networks_dhcp_servers_and_internal_networks():
    spec = parse(
        "[host1]\n"
        "VBoxManage natnetwork add --netname natnet1 --network 192.168.15.0/24 --enable "
        "--dhcp on --port-forward-4 \"ssh:tcp:[]:1022:[192.168.15.5]:22\"\n"
        "VBoxManage dhcpserver add --network=lab --server-ip=10.1.1.1 --netmask=255.255.255.0"
        " --lower-ip=10.1.1.100 --upper-ip=10.1.1.199 --enable\n"
        "VBoxManage createvm --name a --register\n"
        "VBoxManage modifyvm a --nic1 natnetwork --nat-network1 natnet1 --nic2 intnet "
        "--intnet2 lab --nic3 intnet\n")
    host = spec.hosts["host1"]
    net = host.natnetworks["natnet1"]
    assert (net.gateway(), net.dhcp) == ("192.168.15.1", True)
    assert net.forwards == [Forward("ssh", "tcp", "", 1022, "192.168.15.5", 22)]
    assert (host.dhcp_servers[0].network, host.dhcp_servers[0].lower) == ("lab", "10.1.1.100")
    assert [a.network for a in spec.vm("a").attached()] == ["natnet1", "lab", "intnet"]


def test_a_router_guest_says_what_it_does_in_its_own_terms():
    spec = read(os.path.join(ROOT, "labs", "router.lab"))
    guest = spec.vm("router").guest
    assert guest.forwarding and guest.masquerade == ("eth0",)
    assert guest.dhcp_servers == {"eth1": ("10.10.10.100", "10.10.10.199")}


MISTAKES = [
    # (what is written after HEAD, the line the error names, what it says)
    ("VBoxManage modifyvm web --nic1 nat --bogus1 x\n", 3, "modifyvm: Unknown option: --bogus1"),
    ("VBoxManage modifyvm web --nic1 nat --nattftpprefix1 /srv/tftp\n", 3,
     "--nattftpprefix1: the lab's TFTP server is host1's own at .4"),
    ("VBoxManage modifyvm web --nic1 nat --nattftpfile1 ../etc/passwd\n", 3,
     "a file name in the TFTP folder"),
    ("VBoxManage natnetwork add --netname n --network 10.9.0.0/24 --loopback-4 127.0.0.2=2\n",
     3, "--loopback-4 127.0.0.2=2: write 127.0.0.1=OFFSET"),
    ("VBoxManage modifyvm web --nic1 wifi\n", 3, "Invalid type 'wifi' specified for NIC 1"),
    ("VBoxManage modifyvm web --nic9 nat\n", 3, "VirtualBox's adapters are 1-8"),
    ("VBoxManage modifyvm web --nic1 nat --natpf1 ssh,tcp,,70000,,22\n", 3,
     "host port '70000' is not a port"),
    ("VBoxManage modifyvm web --nic1 nat --natpf1 ssh,icmp,,22,,22\n", 3,
     "the protocol is tcp or udp"),
    ("VBoxManage modifyvm web --nic1 nat --natpf1 delete ssh\n", 3, "removes none"),
    ("VBoxManage modifyvm web --cable-connected1 maybe\n", 3, "write on or off"),
    ("VBoxManage modifyvm web --mac-address1 0900270000AA\n", 3, "multicast"),
    ("VBoxManage modifyvm web --mac-address1 xyz\n", 3, "12 hex digits"),
    ("VBoxManage modifyvm web --nic1 nat --nat-dns-pass-domain0 on\n", 3,
     "VirtualBox's adapters are 1-8"),
    ("VBoxManage modifyvm web --nic1 nat --natdnspassdomain1 yes\n", 3, "write on or off"),
    ("VBoxManage modifyvm web --nic1 nat --natdnsproxy1 yes\n", 3, "write on or off"),
    ("VBoxManage modifyvm webb --nic1 nat\n", 3,
     "Could not find a registered machine named 'webb'"),
    ("VBoxManage modifyvm web --nic2 hostonly --host-only-adapter2 vboxnet3\n", 3,
     "host-only interface 'vboxnet3' does not exist on host1"),
    ("VBoxManage modifyvm web --nic1 natnetwork --nat-network1 nope\n", 3,
     "NAT network 'nope' does not exist"),
    ("VBoxManage modifyvm web --nic1 bridged --bridge-adapter1 wlan0\n", 3,
     "host network card 'wlan0' does not exist on host1 (the host PC has one card to bridge to, "
     "eth0)"),
    ("VBoxManage modifyvm web --nic1 intnet --natpf1 a,tcp,,22,,22\n", 3,
     "need --nic1 nat"),
    ("VBoxManage createvm --name web\n", 3, "host1 has a VM of that name (line 2)"),
    ("VBoxManage createvm --name Web1\n", 3, "a lowercase letter"),
    ("VBoxManage createvm --name pc1\n", 3, "none of"),
    ("VBoxManage controlvm web poweroff\n", 3, "Invalid command 'controlvm'"),
    ("VBoxManage hostonlyif ipconfig vboxnet0 --ip 192.168.56.1\n", 3, "no such interface"),
    ("networks.conf * 192.168.0.0/16\nVBoxManage hostonlyif create\nVBoxManage hostonlyif "
     "ipconfig vboxnet0 --ip 192.168.1.5\n", 4, "overlaps LAN"),
    ("VBoxManage hostonlyif create\nVBoxManage hostonlyif ipconfig vboxnet0 --ip 300.1.1.1\n",
     4, "not an IPv4 address"),
    ("VBoxManage natnetwork add --netname n --network 10.5.0.0/24\n"
     "VBoxManage natnetwork add --netname n --network 10.6.0.0/24\n", 4,
     "host1 has a NAT network of that name (line 3)"),
    ("VBoxManage hostonlyif create\nVBoxManage dhcpserver add --interface vboxnet0 --server-ip "
     "192.168.56.2 --netmask 255.255.255.0 --lower-ip 192.168.56.9 --upper-ip 192.168.56.5 "
     "--enable\n", 4, "lowest first"),
    ("VBoxManage modifyvm web --nic1 nat --natpf1 a,tcp,,80,,80\nVBoxManage createvm --name b"
     " --register\nVBoxManage modifyvm b --nic1 nat --natpf1 c,tcp,,80,,8080\n", 5,
     "tcp port 80 of host1 is forwarded already (by web's adapter 1)"),
    ("VBoxManage modifyvm web --nic1 nat --natpf1 'ssh,tcp,,22,,22\n", 3,
     "a ' quote is never closed"),
    ("VBoxManage modifyvm web --nic1\n", 3, "--nic1 needs a value"),
    ("[guest web]\neth3 address 10.0.0.5/24\n", 4, "eth3: web has no adapter"),
    ("VBoxManage modifyvm web --nic1 nat\n[guest web]\neth0 address 10.0.2.9/24 gateway "
     "10.1.0.1\n", 5, "is not on eth0's network"),
    ("VBoxManage modifyvm web --nic1 nat\n[guest web]\nroute add default\n", 5,
     "a guest's line is"),
    ("[guest nobody]\n", 3, "[guest nobody]: no VM of that name"),
    ("[host3]\n", 3, "a section is [host1], [host2]"),
    # VBoxManage's own rules (VBoxManage.cpp, getopt.cpp, VBoxManageModifyVM.cpp, Main)
    ("VBoxManage CreateVM --name b --register\n", 3, "Invalid command 'CreateVM'"),
    ("VBoxManage modifyvm web --NIC1 nat\n", 3, "Unknown option: --NIC1"),
    ("VBoxManage modifyvm web --nic-1 nat\n", 3, "Unknown option: --nic-1"),
    ("VBoxManage modifyvm web --nic1 nat --natpf1 Ssh,tcp,,22,,22 --natpf1 Ssh,tcp,,23,,23\n",
     3, "'Ssh': A NAT rule of this name already exists"),
    ("VBoxManage modifyvm web --natpf1 a,tcp,,22,,22 --natpf1 b,tcp,,22,,23\n", 3,
     "A NAT rule for this host port and this host IP already exists (a)"),
    ("VBoxManage modifyvm web --memory abc\n", 3, "--memory: Invalid argument format: abc"),
    ("VBoxManage modifyvm web --cpus -3\n", 3, "--cpus: Invalid argument format: -3"),
    ("VBoxManage modifyvm web --cpus 0\n", 3, "Invalid virtual CPU count: 0 (must be in range"),
    ("VBoxManage modifyvm web --nictype1 bogus\n", 3,
     "Invalid NIC type 'bogus' specified for NIC 1"),
    ("VBoxManage modifyvm web --nicpromisc1 all\n", 3, "Unknown promiscuous mode policy 'all'"),
    ("VBoxManage modifyvm web --boot1 usb\n", 3, "Invalid boot device 'usb'"),
    ("VBoxManage modifyvm web --boot5 net\n", 3, "Invalid boot position: 5"),
    ("VBoxManage modifyvm web --acpi yes\n", 3, "--acpi: Invalid argument format: yes"),
    ("VBoxManage modifyvm web --nic1 generic\n", 3, "not an attachment the lab builds"),
    ("VBoxManage createvm --name b\nVBoxManage modifyvm b --nic1 nat\n", 4,
     "Could not find a registered machine named 'b' (its createvm has no --register)"),
    ("VBoxManage startvm nobody\n", 3, "Could not find a registered machine named 'nobody'"),
    ("VBoxManage hostonlyif create\nVBoxManage dhcpserver add --interface vboxnet0 --server-ip "
     "192.168.56.2 --netmask 255.255.255.0 --lower-ip 192.168.56.9 --upper-ip 192.168.56.19 "
     "--enable\nVBoxManage dhcpserver add --interface vboxnet0 --server-ip 192.168.56.2 "
     "--netmask 255.255.255.0 --lower-ip 192.168.56.9 --upper-ip 192.168.56.19\n", 5,
     "DHCP server already exists (line 4)"),
    ("VBoxManage dhcpserver add --interface vboxnet7 --server-ip 192.168.63.2 --netmask "
     "255.255.255.0 --lower-ip 192.168.63.9 --upper-ip 192.168.63.19\n", 3,
     "Could not find interface 'vboxnet7'"),
    ("VBoxManage dhcpserver add --network intnet --server-ip 10.9.0.2 --lower-ip 10.9.0.9 "
     "--upper-ip 10.9.0.19\n", 3, "Missing required option: --netmask"),
    ("VBoxManage natnetwork add --netname n --network 10.5.0.7/24\n", 3,
     "the specified address is longer than the specified prefix (10.5.0.0/24)"),
    ("VBoxManage hostonlyif create\nVBoxManage hostonlyif ipconfig vboxnet0 --ip 10.7.0.1\n", 4,
     "E_ACCESSDENIED (permission denied: /etc/vbox/networks.conf allows 192.168.56.0/21"),
    ("networks.conf 10.0.0.0/8\n", 3, "write `networks.conf * RANGE ...`"),
    ("networks.conf * 10.0.0.0/33\n", 3, "networks.conf: invalid network '10.0.0.0/33'"),
    # what cannot be: refused with the reason, before anything is built
    ("VBoxManage modifyvm web --nic1 nat --natnet1 192.168.1.0/24\n", 3,
     "web adapter 1: --natnet1 192.168.1.0/24 overlaps LAN (192.168.1.0/24)"),
    ("VBoxManage hostonlyif create\nVBoxManage modifyvm web --nic1 hostonly "
     "--hostonlyadapter1 vboxnet0\n[guest web]\neth0 address 10.9.9.9/24\n", 5,
     "[guest web] eth0 address 10.9.9.9/24 is not on vboxnet0's network 192.168.56.0/24"),
]


@pytest.mark.parametrize("text, line, message", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_a_mistake_is_one_error_naming_the_file_line_and_what(text, line, message):
    with pytest.raises(LabFileError) as error:
        parse(HEAD + text, "my.lab")
    assert error.value.line == line, str(error.value)
    assert str(error.value).startswith("my.lab:%d: " % line)
    assert message in str(error.value)


def test_a_file_without_vms_or_before_any_section_is_refused(tmp_path):
    with pytest.raises(LabFileError, match=r"my.lab:1: a line before any \[host1\]"):
        parse("VBoxManage createvm --name a\n", "my.lab")
    with pytest.raises(LabFileError, match="no VM"):
        parse("# nothing\n[host1]\n", "my.lab")
    with pytest.raises(LabFileError, match="cannot be read"):
        read(str(tmp_path / "missing.lab"))


def test_every_shipped_lab_file_reads():
    folder = os.path.join(ROOT, "labs")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".lab"))
    assert names
    for name in names:
        assert read(os.path.join(folder, name)).vms(), name


def test_a_guests_dhcp_server_needs_a_fixed_address_in_its_range():
    head = HEAD + "VBoxManage modifyvm web --nic1 nat --nic2 intnet\n[guest web]\n"
    with pytest.raises(LabFileError, match="give eth1 a fixed address first"):
        parse(head + "dhcp-server eth1 10.1.1.10 10.1.1.20\n", "my.lab")
    with pytest.raises(LabFileError, match="10.9.9.10-10.9.9.20 is not within 10.1.1.0/24"):
        parse(head + "eth1 address 10.1.1.1/24\ndhcp-server eth1 10.9.9.10 10.9.9.20\n",
              "my.lab")
