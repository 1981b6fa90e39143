"""The lab's name servers as configured: NSD's config and zone pass NSD's own checkers, r1's
dnsmasq options pass dnsmasq's, and a DHCP server without names offers none. No root: the
checkers read files; nothing is started."""

import shutil
import subprocess

import pytest

from plan.addressing import INET_IP
from plan.names import BIG_RECORD_BYTES, BIG_RECORDS, HOME_DOMAIN, HOME_NAMES, ZONE, zone_file
from topos.run.dhcp import Dnsmasq, HomeDns
from topos.run.name_service import DnsRelay, Nsd, hosts_file, resolv_conf


def needs(tool):
    if not shutil.which(tool):
        pytest.skip("%s is not installed (vm/provision.sh installs it)" % tool)


def test_nsds_config_and_zone_pass_nsds_own_checks(tmp_path):
    needs("nsd-checkconf")
    argv = Nsd(INET_IP, ZONE).argv(str(tmp_path), "inet")
    conf = argv[argv.index("-c") + 1]
    checked = subprocess.run(["nsd-checkconf", conf], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    zone = subprocess.run(["nsd-checkconf", "-z", ZONE, "-o", "zonefile", conf],
                          capture_output=True, text=True).stdout.strip()
    checked = subprocess.run(["nsd-checkzone", ZONE, zone], capture_output=True, text=True)
    assert checked.returncode == 0 and "is ok" in checked.stdout, checked.stderr


def test_the_big_answer_is_past_what_edns_carries_over_udp():
    txt = [line for line in zone_file().splitlines() if line.startswith("big ")]
    assert len(txt) == BIG_RECORDS and BIG_RECORDS * BIG_RECORD_BYTES > 1232


def test_r1s_dnsmasq_options_pass_dnsmasqs_check_and_serve_the_home(tmp_path):
    needs("dnsmasq")
    server = Dnsmasq("eth1", "192.168.1.100", "192.168.1.199", router="192.168.1.1",
                     dns=HomeDns(HOME_DOMAIN, tuple(HOME_NAMES.items()), INET_IP))
    argv = server.argv(str(tmp_path), "r1")
    checked = subprocess.run(argv[:1] + ["--test"] + argv[1:], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "--port=53" in argv and "--server=%s" % INET_IP in argv
    assert "--host-record=host1.home.arpa,host1,192.168.1.10" in argv
    assert server.listening() == (("udp", 53), ("tcp", 53))


def test_a_dhcp_server_without_names_serves_no_dns_and_offers_none():
    server = Dnsmasq("vboxnet0", "192.168.56.101", "192.168.56.250")
    argv = server.argv("/tmp", "host1")
    assert "--port=0" in argv  # dnsmasq then offers no name server either
    assert not any(a.startswith("--server") or a.startswith("--domain") for a in argv)
    assert server.listening() == ()


def test_the_relays_read_the_hosts_resolv_conf_and_only_the_host_resolver_its_hosts():
    proxy = DnsRelay("192.168.1.10", 5301, hosts=False).argv("/tmp", "host1")
    resolver = DnsRelay("192.168.1.10", 5302, hosts=True).argv("/tmp", "host1")
    assert all("--resolv-file=/etc/resolv.conf" in argv for argv in (proxy, resolver))
    # the proxy reads no hosts file; the host resolver reads host1's, again when it changes,
    # and caches nothing (VirtualBox asks the host's resolver per query)
    assert "--no-hosts" in proxy and not any(a.startswith("--hostsdir") for a in proxy)
    assert "--hostsdir=/tmp/etc/host1" in resolver and "--cache-size=0" in resolver
    assert "--listen-address=192.168.1.10" in resolver and "--port=5302" in resolver


def test_a_nodes_files_are_what_a_fresh_debian_has_and_what_its_lease_says():
    assert resolv_conf(["10.0.2.3"], "home.arpa").splitlines()[1:] == [
        "search home.arpa", "nameserver 10.0.2.3"]
    assert "nameserver" not in resolv_conf()  # no name server: names fail, as in the guest
    assert hosts_file("vm1", [("intranet.vpn.test", "192.168.1.20")]).splitlines() == [
        "127.0.0.1 localhost", "127.0.1.1 vm1", "192.168.1.20 intranet.vpn.test"]
