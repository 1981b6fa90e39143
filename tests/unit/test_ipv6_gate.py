"""The gate's IPv6 half (controllers.ipv6_gate) in a virtual router, both NAT engines: a VM
takes no other VM's IPv6 address, names no other MAC in Neighbor Discovery, advertises no
route - and what a guest's IPv6 does by itself (address detection, neighbours) still passes."""

import ipaddress

import pytest

pytest.importorskip("os_ken", reason="os-ken's packet library builds the test frames")

from test_frame import mac  # noqa: E402
from test_frame_ipv6 import ipv6, nd_option  # noqa: E402
from test_virtual_router import VM1_MAC, VM1_PORT, VM2_MAC, VM2_PORT, packet_outs  # noqa: E402
from test_vm_ports import ENGINES, VM3_MAC, three_vms  # noqa: E402

from controllers.frame import read  # noqa: E402
from controllers.ipv6_gate import MAX_ADDRESSES  # noqa: E402

VM1_LL, VM2_LL = "fe80::a00:27ff:fe00:1", "fe80::a00:27ff:fe00:2"
VM3_PORT = 12


def nd(kind, src_mac, src, target, option=None, dst="ff02::1", dst_mac="33:33:00:00:00:01"):
    """A Neighbor Solicitation (135) or Advertisement (136) from `src_mac`."""
    body = bytes([kind, 0, 0, 0]) + bytes(4) + ipaddress.IPv6Address(target).packed
    if option:
        body += nd_option(*option)
    return read(mac(dst_mac) + mac(src_mac) + b"\x86\xdd"
                + ipv6(58, body, src=src, dst=dst, hop_limit=255))


def sent_to(rules):
    return sorted(a.port for rule in packet_outs(rules) for a in rule.actions)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_vm_cannot_advertise_another_vms_ipv6_address(engine):
    r = three_vms(engine)
    announce = nd(136, VM1_MAC, VM1_LL, VM1_LL, (2, VM1_MAC))
    assert sent_to(r.packet_in(VM1_PORT, announce, 2.0)) == [VM2_PORT, VM3_PORT]
    # vm2 says vm1's address is at vm2's MAC: nobody hears it
    stolen = nd(136, VM2_MAC, VM2_LL, VM1_LL, (2, VM2_MAC))
    assert r.packet_in(VM2_PORT, stolen, 3.0) == []
    assert r.packet_in(VM2_PORT, nd(135, VM2_MAC, VM1_LL, "fe80::99"), 3.0) == []
    assert r.drops.counts["a VM's IPv6 source another VM holds"] == 2
    assert r.ipv6.addresses(VM1_PORT) == [VM1_LL]


@pytest.mark.parametrize("engine", ENGINES)
def test_neighbor_discovery_names_the_frames_own_mac_only(engine):
    r = three_vms(engine)
    lie = nd(135, VM2_MAC, VM2_LL, VM1_LL, (1, VM1_MAC))  # "I am at vm1's MAC"
    assert r.packet_in(VM2_PORT, lie, 2.0) == []
    honest = nd(135, VM2_MAC, VM2_LL, VM1_LL, (1, VM2_MAC))
    assert sent_to(r.packet_in(VM2_PORT, honest, 2.0)) == [VM1_PORT, VM3_PORT]
    assert r.drops.counts[
        "Neighbor Discovery naming a link-layer address not the frame's source"] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_a_vm_sends_no_router_advertisement_and_detects_duplicates_freely(engine):
    r = three_vms(engine)
    body = bytes([134, 0, 0, 0]) + bytes(12)
    ra = read(mac("33:33:00:00:00:01") + mac(VM3_MAC) + b"\x86\xdd"
              + ipv6(58, body, src="fe80::3", hop_limit=255))
    assert r.packet_in(VM3_PORT, ra, 2.0) == []
    assert r.drops.counts["a VM's Router Advertisement or Redirect (RA guard)"] == 1
    # vm3's detection of an address vm1 holds reaches vm1 (which defends it), takes nothing
    r.packet_in(VM1_PORT, nd(136, VM1_MAC, VM1_LL, VM1_LL), 2.0)
    dad = nd(135, VM3_MAC, "::", VM1_LL, dst="ff02::1:ff00:1", dst_mac="33:33:ff:00:00:01")
    assert sent_to(r.packet_in(VM3_PORT, dad, 2.0)) == [VM1_PORT, VM2_PORT]
    assert r.ipv6.addresses(VM3_PORT) == []
    # its detection of a free address claims it (RFC 6620): nobody else may take it then
    dad = nd(135, VM3_MAC, "::", "fe80::3", dst="ff02::1:ff00:3", dst_mac="33:33:ff:00:00:03")
    assert sent_to(r.packet_in(VM3_PORT, dad, 2.0)) == [VM1_PORT, VM2_PORT]
    assert r.ipv6.addresses(VM3_PORT) == ["fe80::3"]
    assert r.packet_in(VM2_PORT, nd(136, VM2_MAC, VM2_LL, "fe80::3"), 3.0) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_each_port_holds_a_bounded_number_of_addresses_the_oldest_forgotten(engine):
    r = three_vms(engine)
    for n in range(3 * MAX_ADDRESSES):
        r.packet_in(VM2_PORT, nd(136, VM2_MAC, "2001:db8::%x" % (n + 1), "2001:db8::%x" % (
            n + 1)), 2.0)
    held = r.ipv6.addresses(VM2_PORT)
    assert len(held) == MAX_ADDRESSES and held[-1] == "2001:db8::%x" % (3 * MAX_ADDRESSES)
    assert len(r.ipv6.holder) == MAX_ADDRESSES
    # one forgotten is free for another VM
    assert sent_to(r.packet_in(VM1_PORT, nd(136, VM1_MAC, "2001:db8::1", "2001:db8::1"),
                               3.0)) == [VM2_PORT, VM3_PORT]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", [133, 143])
def test_a_vms_router_solicitation_and_listener_report_stop_at_the_switch(engine, kind):
    """Nobody on the VMs' side answers them, and Linux solicits a router for ever: a flow
    drops them, so they cost no packet-in. The host PC's own pass untouched."""
    from flowtable import fields_of

    r = three_vms(engine)
    frame = read(mac("33:33:00:00:00:02") + mac(VM3_MAC) + b"\x86\xdd"
                 + ipv6(58, bytes([kind, 0, 0, 0]) + bytes(4), src="fe80::3", dst="ff02::2",
                        hop_limit=255))
    assert r.table.forward(**fields_of(frame, VM3_PORT)) == []
    from_host = r.table.forward(**fields_of(frame, r.cfg.host_port))
    assert [port for port, _ in from_host] == [r.cfg.uplink_port]
