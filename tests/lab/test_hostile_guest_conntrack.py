"""Issue 21's hostile guest against the conntrack engine: the tunnel datagram, host1's address
forged, a flood of sessions (last: its half-open entries fill the router's zone for a while) -
each followed by proof that the other VMs still work. The same tests run against the OpenFlow
engine in test_hostile_guest.py."""

import test_hostile_guest as against_openflow

from topos.modes.nat import Nat


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return Nat(idle=against_openflow.IDLE, engine="conntrack")


# collected here too, against this module's lab, in this order
test_a_tunnel_datagram_leaves_the_controller_idle_and_vm2_still_connects = (
    against_openflow.test_a_tunnel_datagram_leaves_the_controller_idle_and_vm2_still_connects)
test_a_forged_host1_source_reaches_nothing_on_pc1 = (
    against_openflow.test_a_forged_host1_source_reaches_nothing_on_pc1)
test_a_session_flood_stays_under_its_cap_and_the_controller_under_200_mib = (
    against_openflow.test_a_session_flood_stays_under_its_cap_and_the_controller_under_200_mib)
