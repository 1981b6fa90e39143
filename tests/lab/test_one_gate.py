"""Issue 27 in a real lab (nat,vms=3, the OpenFlow engine; test_one_gate_conntrack.py runs the
same against the conntrack engine): frames that carry another's MAC - IPv6 here, which the
NAT does not translate - take nothing, and a VM whose lease ended is translated as before."""

import pytest

pytest.importorskip("os_ken", reason="os-ken's packet library builds the DHCP release")

from os_ken.lib.packet import dhcp, ethernet, ipv4, udp  # noqa: E402
from test_hostile_guest import controller_log, leases_of, misses, send_raw  # noqa: E402

from controllers.packets import build  # noqa: E402
from plan.addressing import GATEWAY_MAC, INET_IP, pc_ip, vm_mac  # noqa: E402
from topos.contract.probe import exchange  # noqa: E402
from topos.modes.nat import Nat  # noqa: E402
from topos.run.poll import until  # noqa: E402

ENGINE = "openflow"


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return Nat(vms=3, engine=ENGINE)


def ipv6_from(mac):
    """Issue 27's reproducer: an IPv6 header (fe80::1 -> ff02::1, no next header), `mac`
    as the frame's source."""
    return (b"\xff" * 6 + bytes.fromhex(mac.replace(":", "")) + bytes.fromhex(
        "86dd6000000000003b40fe800000000000000000000000000001"
        "ff020000000000000000000000000001"))


def reaches(lab, src, dst_ip):
    results = exchange(lab.get(src), dst_ip)
    return all(r.ok for r in results.values()), results


def test_ipv6_frames_with_vm1s_mac_from_vm2_leave_vm3_reaching_vm1(lab):
    ok, results = reaches(lab, "vm3", lab.ip("vm1"))  # the switch has learned vm1's port
    assert ok, results
    send_raw(lab, "vm2", *[ipv6_from(vm_mac(1))] * 3)
    ok, results = reaches(lab, "vm3", lab.ip("vm1"))
    assert ok, results
    until(lambda: "not the port's adapter's" in controller_log(lab), 5, "the drop to be logged")


def test_ipv6_frames_with_the_gateways_mac_freeze_nothing(lab):
    send_raw(lab, "vm1", ipv6_from(GATEWAY_MAC))
    send_raw(lab, "vm2", ipv6_from(GATEWAY_MAC))
    for vm in ("vm1", "vm2", "vm3"):
        for target in (INET_IP, pc_ip("pc1")):
            ok, results = reaches(lab, vm, target)
            assert ok, (vm, target, results)
    before = misses(lab)
    until(lambda: misses(lab) >= before, 1, "a flow-table reading")
    import time

    time.sleep(2)
    assert misses(lab) - before < 20  # the controller is idle: nothing loops through it


def release(mac, ip):
    """A DHCPRELEASE of `ip` by `mac`, to the NAT network's DHCP server (10.0.2.3), as a
    client sends it."""
    options = dhcp.options(option_list=[dhcp.option(tag=53, value=b"\x07"),
                                        dhcp.option(tag=54, value=bytes([10, 0, 2, 3]))])
    return build(ethernet.ethernet(dst=GATEWAY_MAC, src=mac),
                 ipv4.ipv4(src=ip, dst="10.0.2.3", proto=17), udp.udp(src_port=68, dst_port=67),
                 dhcp.dhcp(op=1, chaddr=mac, xid=27, ciaddr=ip, options=options))


def test_a_vm_whose_lease_ended_still_reaches_the_internet(lab):
    ip = lab.ip("vm3")
    until(lambda: leases_of(lab).get(vm_mac(3)) == ip, 5, "vm3's lease in the state file")
    send_raw(lab, "vm3", release(vm_mac(3), ip))
    until(lambda: vm_mac(3) not in leases_of(lab), 5, "vm3's lease to end")
    # VirtualBox's NAT serves the adapter: the first packet after the release brings the
    # VM's flows back (a trip through the controller), then every protocol goes through
    until(lambda: reaches(lab, "vm3", INET_IP)[0], 10, "vm3 to reach inet after its release")
    assert vm_mac(3) not in leases_of(lab)


def test_a_vm_advertising_another_vms_ipv6_address_leaves_the_others_reaching_it(lab):
    """vm2 tells every node that vm1's link-local address is at vm2's MAC (an unsolicited,
    overriding Neighbor Advertisement, as an attacker sends it): the gate drops it, so vm3's
    neighbour cache keeps vm1, and vm3 reaches vm1 itself over IPv6."""
    import ipaddress
    import struct

    from controllers.ipv6_router import icmp6_frame
    from plan.addressing import link_local

    vm1, vm2 = link_local(vm_mac(1)), link_local(vm_mac(2))
    target = "%s%%eth0" % vm1
    ok, results = reaches(lab, "vm3", target)  # vm3 knows vm1's MAC now
    assert ok, results
    lie = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + ipaddress.IPv6Address(vm1).packed + (
        b"\x02\x01" + bytes.fromhex(vm_mac(2).replace(":", "")))
    send_raw(lab, "vm2", *[icmp6_frame(vm_mac(2), "33:33:00:00:00:01", vm2, "ff02::1", lie)] * 3)
    ok, results = reaches(lab, "vm3", target)
    assert ok and "by=vm1" in results["tcp"].detail, results
    neighbour = lab.get("vm3").cmd("ip -6 neigh show %s dev eth0" % vm1)
    assert vm_mac(2) not in neighbour, neighbour
    until(lambda: "another VM holds" in controller_log(lab), 5, "the drop to be logged")
