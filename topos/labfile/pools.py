"""Who gets which address on a lab file's networks, as their DHCP servers hand them out.

VirtualBox's DHCP servers (a NAT adapter's, a NAT network's, a host-only or internal
network's) and a router guest's dnsmasq lease from the bottom of their pool, in the order
the VMs were made. A pool used up leaves the VMs after it without an address, as any DHCP
server would: the model predicts them cut off, and the lab starts no DHCP client there.
"""

import ipaddress

from plan.addressing import LAN_POOL


def pool(spec, model, key):
    """(first, last) addresses the DHCP server on network `key` hands out, or None."""
    if key[0] == "nat":  # VirtualBox's NAT: the guest from .15 (its one VM)
        net = spec.vm(key[1]).adapters[key[2]].nat_network()
        return net.network_address + 15, net.broadcast_address - 1
    if key == ("lan",):  # a bridged VM: r1's pool (which address, r1's dnsmasq decides)
        return tuple(ipaddress.IPv4Address(a) for a in LAN_POOL)
    host = spec.hosts.get(key[1]) if len(key) > 2 else None
    if key[0] == "natnetwork":  # .1 gateway, .2 the host's loopback, .3 DHCP, leases .4 up
        natnet = host.natnetworks[key[2]]
        if not (natnet.enabled and natnet.dhcp):
            return None
        net = ipaddress.ip_network(natnet.network)
        return net.network_address + 4, net.broadcast_address - 1
    for vm in spec.vms():  # a router guest's own DHCP server
        for interface, (first, last) in vm.guest.dhcp_servers.items():
            if model.network_of(vm.name, interface) == key:
                return ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)
    wanted = {"hostonly": "interface", "intnet": "network"}.get(key[0])
    for server in host.dhcp_servers if host and wanted else ():
        if getattr(server, wanted) == key[2] and server.enabled:
            return ipaddress.IPv4Address(server.lower), ipaddress.IPv4Address(server.upper)
    return None


def leases(spec, model):
    """{network key: {VM: address}} of every lease handed out, and {network key: (pool,
    [VMs left without one])} where a pool is used up."""
    asking = {}  # key -> [VM] asking DHCP there, in the order they were made
    for vm in spec.vms():
        for key, interface in model.members.get(vm.name, ()):
            fixed = vm.guest.interfaces.get(interface)
            if not (fixed and fixed.address):
                asking.setdefault(key, []).append(vm.name)
    given, short = {}, {}
    for key, vms in asking.items():
        span = pool(spec, model, key)
        if span is None:
            continue
        size = int(span[1]) - int(span[0]) + 1
        given[key] = {vm: str(span[0] + n) for n, vm in enumerate(vms[:size])}
        if len(vms) > size:
            short[key] = (span, vms[size:])
    return given, short
