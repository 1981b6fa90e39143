"""VirtualBox's two NAT DNS switches (docs/names.md), each with both NAT engines: each test
fails when the lab is switched to another behaviour."""

import pytest
from labkit import build, query_seen_at_r1, stop_and_check
from leftovers import root_state

from plan.addressing import INET_IP
from plan.names import HOST1_ONLY, WWW
from topos.contract.name_check import resolve
from topos.modes.registry import topology


@pytest.fixture(params=["openflow", "conntrack"])
def dns_lab(request, tmp_path):
    """A plain NAT lab with one of VirtualBox's DNS switches on, with each engine."""
    switch = request.node.get_closest_marker("dns").args[0]
    before = root_state()
    lab = build(topology("nat", "per_vm=yes", "vms=1", "vms2=1", "%s=on" % switch,
                         "engine=%s" % request.param), tmp_path)
    yield lab
    stop_and_check(lab, before)


@pytest.mark.dns("natdnsproxy")
def test_the_dns_proxy_asks_again_itself_and_knows_no_host_file(dns_lab):
    kept_id, answer = query_seen_at_r1(dns_lab, "alias.example.test")
    assert INET_IP in answer.split()
    assert not kept_id, "r1 saw the guest's own query: nothing relayed it"
    assert not resolve(dns_lab.get("vm1"), HOST1_ONLY[0])


@pytest.mark.dns("natdnshostresolver")
def test_the_host_resolver_answers_with_the_hosts_own_names(dns_lab):
    vm1 = dns_lab.get("vm1")
    assert resolve(vm1, HOST1_ONLY[0]) == [HOST1_ONLY[1]]
    assert resolve(vm1, WWW) == [INET_IP]
    assert resolve(dns_lab.get("pc1"), HOST1_ONLY[0]) == []  # the LAN does not know it
