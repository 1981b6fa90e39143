"""What the controller must know about each virtual router, shared with the topology as JSON.

The lab writes the file and names it in VMNET_CONFIG; without it (the app started by
hand) the default lab's routers are assumed, so `--controller remote` works for it.
"""

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Dict, Optional, Tuple

from controllers.nat_table import Forward

GATEWAY_MAC = "52:54:00:12:35:02"  # VirtualBox's NAT gateway
UPLINK_PORT, HOST_PORT, FIRST_VM_PORT = 1, 2, 10


@dataclass
class RouterConfig:
    name: str  # the host PC it belongs to
    dpid: int
    outside_ip: str  # the host PC's own LAN address
    outside_mac: str
    inside_net: str = "10.0.2.0/24"
    gateway_ip: str = "10.0.2.2"
    gateway_mac: str = GATEWAY_MAC
    lan_net: str = "192.168.1.0/24"
    lan_gateway: str = "192.168.1.1"
    dhcp_first: str = "10.0.2.15"
    dhcp_size: int = 100
    lease_time: int = 3600
    reserved: Dict[str, str] = field(default_factory=dict)  # VM MAC -> address
    vm_ports: Tuple[int, ...] = ()
    uplink_port: int = UPLINK_PORT
    host_port: int = HOST_PORT
    ports: Tuple[int, int] = (61000, 61999)  # above Linux's ephemeral 32768-60999
    idle_timeout: int = 60
    per_vm: int = 500  # mappings one VM may hold: no VM takes the whole port range
    forwards: Tuple[Forward, ...] = ()
    state_file: Optional[str] = None  # where the NAT table is written for `natmap`


def dump(routers, path):
    with open(path, "w") as f:
        json.dump([asdict(r) for r in routers], f, indent=1)


def parse(items):
    routers = {}
    for item in items:
        item = dict(item)
        item["forwards"] = tuple(Forward(**f) for f in item.get("forwards", ()))
        item["vm_ports"] = tuple(item.get("vm_ports", ()))
        item["ports"] = tuple(item.get("ports", (61000, 61999)))
        router = RouterConfig(**item)
        routers[router.dpid] = router
    return routers


def load(path=None):
    """{dpid: RouterConfig} from VMNET_CONFIG (or `path`), else the default lab's."""
    path = path or os.environ.get("VMNET_CONFIG")
    if path:
        with open(path) as f:
            return parse(json.load(f))
    return {r.dpid: r for r in default_routers()}


def vm_mac(number):
    """VirtualBox's prefix 08:00:27, fixed per VM so that leases repeat run after run."""
    return "08:00:27:00:%02x:%02x" % (number >> 8, number & 0xFF)


def pc_mac(last_octet):
    """A locally administered MAC for the LAN's PCs: 02:00 then the reserved IPv4 address."""
    return "02:00:c0:a8:01:%02x" % last_octet


def default_routers(vms=(2, 1), forwards=(("tcp", 2222, 1, 22),)):
    """The routers of the default NAT lab: host1 (10.0.2.0/24), host2 (10.0.3.0/24)."""
    routers, number = [], 1
    for index, count in enumerate(vms, start=1):
        net = "10.0.%d." % (index + 1)
        numbers = range(number, number + count)
        reserved = {vm_mac(n): "%s%d" % (net, 15 + i) for i, n in enumerate(numbers)}
        routers.append(RouterConfig(
            name="host%d" % index,
            dpid=0x30 + index,
            outside_ip="192.168.1.%d" % (9 + index),
            outside_mac=pc_mac(9 + index),
            inside_net=net + "0/24",
            gateway_ip=net + "2",
            dhcp_first=net + "15",
            reserved=reserved,
            vm_ports=tuple(FIRST_VM_PORT + i for i in range(count)),
            forwards=tuple(Forward(p, o, reserved[vm_mac(n)], i)
                           for p, o, n, i in forwards if n in numbers),
        ))
        number += count
    return routers
