"""The default NAT lab's routers, numbered as VirtualBox's plain NAT (gateway .2, leases from
.15, no loopback mapping), for unit tests of what a router does whatever its numbers. The
`nat` preset numbers its routers as a NAT network (gateway .1, the host's loopback at .2,
DHCP server .3, leases from .4): tests/unit/test_topology.py and test_natnetwork.py hold
those numbers."""

from dataclasses import replace

from controllers import config
from plan.addressing import gateway_ip, nat_vm_ip


def plain(r):
    """Router config `r` (a NAT network's) numbered as plain NAT; its VMs keep their order."""
    leases = {mac: nat_vm_ip(r.inside_net, order) for order, mac in enumerate(r.reserved)}
    old_to_new = {old: leases[mac] for mac, old in r.reserved.items()}
    return replace(
        r, gateway_ip=gateway_ip(r.inside_net), loopback_ip=None, host_loopback=False,
        dhcp_server_ip=None, dhcp_first=nat_vm_ip(r.inside_net, 0), reserved=leases,
        forwards=tuple(replace(f, inside_ip=old_to_new.get(f.inside_ip, f.inside_ip))
                       for f in r.forwards))


def plain_routers(engine=None):
    return [plain(r) for r in config.default_routers(engine)]
