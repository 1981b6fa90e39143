"""VirtualBox's NAT as the host's own sockets (topos/run/host_sockets.py), in the Vagrant
multi-machine lab (labs/vagrant-multi.lab): app and db, each behind a plain NAT of its own on
host1; app forwards 8080 (every host address) and 2222 (host1's 127.0.0.1 only).

What a user does and sees: `ssh -p 2222 127.0.0.1` on the host, and a guest that sees a
loopback client as 10.0.2.2 and every other client as itself. The OpenFlow engine's lab;
test_host_sockets_conntrack.py runs the same with the tracker."""

import os

import pytest

from topos.contract.probe import exchange
from topos.modes.registry import topology

FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "labs", "vagrant-multi.lab")


def TOPOLOGY(engine="openflow"):  # noqa: N802 - the lab fixture's name for it
    return topology("lab", "file=%s" % FILE, "engine=%s" % engine)


def asked(lab, client, address, port):
    """(answered by, seen from) of one TCP exchange, or None when nothing answered."""
    result = exchange(lab.get(client), address, ["tcp"], {"tcp": port})["tcp"]
    if not result.ok:
        return None
    words = dict(w.split("=", 1) for w in result.detail.split() if "=" in w)
    return words.get("by"), words.get("from")


@pytest.mark.parametrize("address", ["127.0.0.1", "192.168.1.10"])
def test_the_host_reaches_a_forward_at_its_own_addresses(lab, address):
    by, seen = asked(lab, "host1", address, 8080)
    assert by == "app"
    # slirp: a client on the host's loopback is shown as the NAT's host address
    assert seen == ("10.0.2.2" if address == "127.0.0.1" else "192.168.1.10")


def test_the_lan_reaches_the_forward_at_the_hosts_address_and_the_guest_sees_the_client(lab):
    assert asked(lab, "pc1", "192.168.1.10", 8080) == ("app", "192.168.1.20")


def test_a_rule_bound_to_the_hosts_loopback_answers_the_host_only(lab):
    assert asked(lab, "host1", "127.0.0.1", 2222) == ("app", "10.0.2.2")
    assert asked(lab, "pc1", "192.168.1.10", 2222) is None
    assert asked(lab, "db", "192.168.1.10", 2222) is None


def test_another_vm_reaches_the_forward_through_its_own_nat_as_the_host(lab):
    """Vagrant's multi-machine: db asks app at host1:8080; app sees host1's address."""
    assert asked(lab, "db", "192.168.1.10", 8080) == ("app", "192.168.1.10")


def test_the_host_forwards_nothing_from_the_lan(lab):
    """The host PC's stack forwards only for its NATs: pc1 with a route to the guests
    through host1 reaches none of them."""
    pc1 = lab.get("pc1")
    pc1.cmd("ip route replace 10.0.2.0/24 via 192.168.1.10")
    try:
        assert not exchange(pc1, "10.0.2.15", ["tcp"])["tcp"].ok
    finally:
        pc1.cmd("ip route del 10.0.2.0/24")
