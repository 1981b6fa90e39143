"""Lab files' IPv6 (topos.labfile.vbox_ipv6): VBoxManage's IPv6 options read as VirtualBox 7.0
reads them, and guests' fixed IPv6 addresses; each mistake refused with its line."""

import pytest
from test_labfile import HEAD

from topos.labfile.reader import parse
from topos.labfile.spec import LabFileError

NET = "VBoxManage natnetwork add --netname n --network 10.9.0.0/24 "


def test_a_nat_networks_ipv6_and_a_host_only_address_are_read():
    spec = parse(HEAD + NET + "--ipv6 on --ipv6-default on --port-forward-6 "
                 '"w:tcp:[]:8086:[fd17:625c:f037:2::10]:80"\n'
                 "networks.conf * 192.168.56.0/21 2001:db8:56::/48\n"
                 "VBoxManage hostonlyif create\n"
                 "VBoxManage hostonlyif ipconfig vboxnet0 --ipv6 2001:db8:56::1\n"
                 "VBoxManage modifyvm web --nic1 hostonly --hostonlyadapter1 vboxnet0\n"
                 "[guest web]\neth0 address 2001:db8:56::10/64 gateway 2001:db8:56::1\n")
    host = spec.hosts["host1"]
    net = host.natnetworks["n"]
    # VirtualBox made it as 10.0.2.0/24 and computed the prefix then, not again
    assert (net.ipv6, net.ipv6_default, net.ipv6_prefix) == (True, True,
                                                             "fd17:625c:f037:2::/64")
    assert [(f.proto, f.host_port, f.guest_ip, f.guest_port) for f in net.forwards6] == [
        ("tcp", 8086, "fd17:625c:f037:2::10", 80)]
    assert host.hostonly["vboxnet0"].address6 == "2001:db8:56::1/64"  # 64 by default
    fixed = spec.vm("web").guest.interfaces["eth0"]
    assert (fixed.address, fixed.address6, fixed.gateway6) == (None, "2001:db8:56::10/64",
                                                               "2001:db8:56::1")


def test_a_prefix_given_and_ipv6_turned_off_again():
    spec = parse(HEAD + NET + "--ipv6 on --ipv6-prefix fd00:1:2:3::\n"
                 "VBoxManage natnetwork modify --netname n --ipv6 off\n")
    net = spec.hosts["host1"].natnetworks["n"]
    assert (net.ipv6, net.ipv6_prefix) == (False, "fd00:1:2:3::/64")


MISTAKES = [
    ("VBoxManage hostonlyif create\nVBoxManage hostonlyif ipconfig vboxnet0 --ipv6 2001:db8::1\n",
     4, "E_ACCESSDENIED"),  # without networks.conf, VirtualBox allows fe80::/10 only
    ("VBoxManage hostonlyif create\nVBoxManage hostonlyif ipconfig vboxnet0 --ip "
     "192.168.56.1 --ipv6 fe80::1\n", 4, "IPv4 and IPv6 options together"),
    ("VBoxManage hostonlyif create\nVBoxManage hostonlyif ipconfig vboxnet0 "
     "--netmasklengthv6 64\n", 4, "Neither -dhcp nor -ip nor -ipv6 was specfified"),
    ("VBoxManage hostonlyif create\nVBoxManage hostonlyif ipconfig vboxnet0 --ipv6 fe80::1 "
     "--netmasklengthv6 129\n", 4, "a prefix length from 0 to 128"),
    (NET + "--ipv6-prefix 2001:db8::/48\n", 3, "Invalid IPv6 prefix length 48, must be 64"),
    (NET + "--ipv6-prefix fd00::1/64\n", 3, "Non-zero bits in the interface ID"),
    (NET + "--ipv6-prefix ff00::/64\n", 3, "is not unicast"),
    (NET + "--ipv6 yes\n", 3, "--ipv6 yes: write on or off"),
    (NET + '--port-forward-6 "a:tcp:[]:80:[]:80"\n', 3, "names its guest's address"),
    (NET + '--port-forward-6 "a:tcp:[]:80:[10.9.0.4]:80"\n', 3, "not an IPv6 address"),
    (NET + '--port-forward-6 "a:tcp:[]:80:[fd17:625c:f037:2::4]:80" '
     '--port-forward-6 "b:tcp:[]:80:[fd17:625c:f037:2::5]:22"\n', 3,
     "A NAT rule for this host port and this host IP already exists"),
    (NET + '--port-forward-6 "a:tcp:[]:80:[fd17:625c:f037:2::4]:80"\n'
     "VBoxManage natnetwork modify --netname n --ipv6-prefix fd00::\n", 4,
     "keeps its prefix fd17:625c:f037:2::/64 without a word"),
    (NET + "--loopback-6 ::1=2\n", 3, "unknown option --loopback-6"),
    ("VBoxManage modifyvm web --nic1 intnet\n[guest web]\n"
     "eth0 address 2001:db8:56::10/64 gateway 10.0.0.1\n", 5, "is not on eth0's network"),
]


@pytest.mark.parametrize("text, line, message", MISTAKES, ids=[m[2] for m in MISTAKES])
def test_each_ipv6_mistake_is_refused_with_its_line(text, line, message):
    with pytest.raises(LabFileError) as e:
        parse(HEAD + text)
    assert ":%d:" % line in str(e.value) and message in str(e.value), str(e.value)
