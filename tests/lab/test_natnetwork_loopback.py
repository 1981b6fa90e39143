"""A NAT Network numbered and mapped as VirtualBox's (the `nat` preset, both engines): the
host's 127.0.0.1 stands at .2 for the guests (`--loopback-4 127.0.0.1=2`, always on), and a
forwarded connection from the host's loopback reaches the guest from .2."""

import pytest
from labkit import build, stop_and_check
from leftovers import root_state
from test_nat_switches import LOOPBACK_PORT, asked_until_answered, loopback_service, stop

from topos.contract.probe import exchange
from topos.modes.registry import topology


@pytest.fixture(scope="module", params=["openflow", "conntrack"])
def natnet(request, tmp_path_factory):
    before = root_state()
    lab = build(topology("nat", "vms=1", "vms2=1", "engine=%s" % request.param),
                tmp_path_factory.mktemp("natnet"))
    yield lab
    stop_and_check(lab, before)


def test_a_guest_reaches_the_hosts_loopback_service_at_dot_2(natnet):
    services = loopback_service(natnet)
    want = {"TCP": "loopback-TCP", "UDP": "loopback-UDP"}
    try:  # .2 is the address ask_gateway asks (the NAT network's loopback mapping)
        asked = asked_until_answered(natnet.get("vm1"), want)
    finally:
        stop(services)
    assert asked[-1] == want, asked


def test_the_gateway_is_dot_1_and_the_loopback_mapping_is_not_the_gateway(natnet):
    vm1 = natnet.get("vm1")
    assert natnet.lease("vm1")["router"] == "10.0.2.1"
    assert "default via 10.0.2.1" in vm1.cmd("ip route")
    # .1 is no host loopback: a TCP port only host1's 127.0.0.1 serves is not at .1
    services = loopback_service(natnet)
    try:
        at_gateway = vm1.cmd("echo hi | socat -t2 -T2 - TCP4:10.0.2.1:%d,connect-timeout=2"
                             % LOOPBACK_PORT)
    finally:
        stop(services)
    assert "loopback-TCP" not in at_gateway


def test_a_forwarded_connection_from_the_hosts_loopback_comes_from_dot_2(natnet):
    result = exchange(natnet.get("host1"), "127.0.0.1", ["tcp"], {"tcp": 2222})["tcp"]
    assert result.ok and "by=vm1" in result.detail and "from=10.0.2.2 " in result.detail, \
        result.detail
