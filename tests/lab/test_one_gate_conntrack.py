"""Issue 27's lab tests (test_one_gate.py) against the conntrack engine."""

import test_one_gate as against_openflow

from topos.modes.nat import Nat


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return Nat(vms=3, engine="conntrack")


test_ipv6_frames_with_vm1s_mac_from_vm2_leave_vm3_reaching_vm1 = (
    against_openflow.test_ipv6_frames_with_vm1s_mac_from_vm2_leave_vm3_reaching_vm1)
test_ipv6_frames_with_the_gateways_mac_freeze_nothing = (
    against_openflow.test_ipv6_frames_with_the_gateways_mac_freeze_nothing)
test_a_vm_whose_lease_ended_still_reaches_the_internet = (
    against_openflow.test_a_vm_whose_lease_ended_still_reaches_the_internet)
test_a_vm_advertising_another_vms_ipv6_address_leaves_the_others_reaching_it = (
    against_openflow.test_a_vm_advertising_another_vms_ipv6_address_leaves_the_others_reaching_it)
