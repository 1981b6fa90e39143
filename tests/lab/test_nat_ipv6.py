"""A NAT network with IPv6 on and its default route advertised (`nat,ipv6=on,ipv6_default=on`):
every claim of the contract's *nat ipv6* column, with each NAT engine (the router's IPv6 is
the same with both: it leaves through host1's own stack)."""

import pytest
from labkit import assert_claim

from topos.contract import probe
from topos.contract.claims import for_column
from topos.modes.nat import Nat
from topos.modes.registry import column


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return Nat(ipv6="on", ipv6_default="on")


@pytest.mark.parametrize("claim", for_column(column("nat_ipv6")),
                         ids=lambda c: "claim%d" % c.number)
def test_claim(lab, claim):
    assert_claim(lab, claim)


def test_the_guests_ipv6_reaches_inet_as_host1s_own_address(lab):
    host1 = lab.get("host1").ipv6_addresses("eth0")
    for vm in ("vm1", "vm2"):
        address = lab.get(vm).ipv6_addresses("eth0")
        assert [a for a in address if a.startswith("fd17:625c:f037:2:")], address
        for proto, result in probe.exchange(lab.get(vm), "2001:db8:203::10",
                                            ("tcp", "udp")).items():
            assert result.ok and "from=%s " % host1[0] in result.detail, (vm, proto, result)


def test_the_router_answers_a_ping_at_its_prefix_and_link_local_addresses(lab):
    for address in ("fd17:625c:f037:2::1", "fe80::5054:ff:fe12:3502%eth0"):
        assert probe.ping(lab.get("vm1"), address).ok, address
