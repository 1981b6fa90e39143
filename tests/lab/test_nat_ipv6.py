"""A NAT network with IPv6 on and its default route advertised (`nat,ipv6=on,ipv6_default=on`):
every claim of the contract's *nat ipv6* column, with each NAT engine (the router's IPv6 is
the same with both: it leaves through host1's own stack)."""

import pytest
from labkit import CONNECT_BY_NAME, assert_claim

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
    # natmap shows them: host1's own tracker holds the translations
    from topos.tools.natmap import natmap_rows

    shown = [r for r in natmap_rows(lab) if r["router"] == "host1" and r["proto"] == "udp"]
    assert any(r["inside"].startswith("[fd17:625c:f037:2:") and
               r["remote"] == "[2001:db8:203::10]:7002" for r in shown), shown


def test_the_router_answers_a_ping_at_its_prefix_and_link_local_addresses(lab):
    for address in ("fd17:625c:f037:2::1", "fe80::5054:ff:fe12:3502%eth0"):
        assert probe.ping(lab.get("vm1"), address).ok, address


def test_a_guest_with_only_a_ula_resolves_both_and_connects_over_ipv4_first(lab):
    """RFC 6724's default policy: a ULA source (fd17::/64) labels apart from a global
    destination, so the guest's resolver puts 203.0.113.10 first, and the connection goes
    over IPv4 (r1's NAT shows it)."""
    order, answer = lab.get("vm1").cmd(CONNECT_BY_NAME).strip().splitlines()[-2:]
    assert order.split() == ["203.0.113.10", "2001:db8:203::10"], order
    assert answer.startswith("from=203.0.113.1 "), answer


def test_a_trace_shows_host1_sending_the_guests_ipv6_on_as_its_own(lab):
    from topos.tools.trace import trace

    request, reply, result = trace(lab, "vm1", "2001:db8:203::10", "tcp")
    assert result.ok, result
    host1 = lab.get("host1").ipv6_addresses("eth0")[0]
    seen = [(h.where, h.seen.src_ip) for h in request]
    assert ("vm1:eth0", lab.get("vm1").ipv6_addresses("eth0")[0]) in seen, seen
    assert ("inet:eth0", host1) in seen, seen
    assert reply and reply[-1].where == "vm1:eth0"
