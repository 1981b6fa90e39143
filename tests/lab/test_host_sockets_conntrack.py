"""tests/lab/test_host_sockets.py with the conntrack engine."""

from test_host_sockets import TOPOLOGY as OPENFLOW_TOPOLOGY
from test_host_sockets import (  # noqa: F401 - the same tests, another lab
    test_a_rule_bound_to_the_hosts_loopback_answers_the_host_only,
    test_another_vm_reaches_the_forward_through_its_own_nat_as_the_host,
    test_the_host_forwards_nothing_from_the_lan,
    test_the_host_reaches_a_forward_at_its_own_addresses,
    test_the_lan_reaches_the_forward_at_the_hosts_address_and_the_guest_sees_the_client,
)


def TOPOLOGY():  # noqa: N802 - the lab fixture's name for it
    return OPENFLOW_TOPOLOGY(engine="conntrack")
