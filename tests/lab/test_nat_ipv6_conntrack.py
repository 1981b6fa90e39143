"""The same as tests/lab/test_nat_ipv6.py with engine=conntrack."""

import test_nat_ipv6 as against_openflow

from topos.modes.nat import Nat


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return Nat(ipv6="on", ipv6_default="on", engine="conntrack")


test_claim = against_openflow.test_claim
test_the_guests_ipv6_reaches_inet_as_host1s_own_address = (
    against_openflow.test_the_guests_ipv6_reaches_inet_as_host1s_own_address)
test_the_router_answers_a_ping_at_its_prefix_and_link_local_addresses = (
    against_openflow.test_the_router_answers_a_ping_at_its_prefix_and_link_local_addresses)
