"""What the controller must know about each virtual router, shared with the topology as JSON.

The lab writes the file and names it in VMNET_CONFIG; without it (the app started by
hand) the default NAT labs' routers are assumed (`nat` and `nat,per_vm=yes`), so
`--controller remote` works for them.
"""

import ipaddress
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Dict, Optional, Tuple

from controllers.alias import LOOPBACK, Alias
from controllers.engines import DEFAULT_ENGINE, ENGINES
from controllers.port_forward import Forward
from plan.addressing import (
    DPID_ROUTER,
    DPID_VM_ROUTER,
    FIRST_VM_PORT,
    GATEWAY_MAC,
    HOST_PCS,
    HOST_PORT,
    LAN,
    NAT_NETS,
    NAT_PORTS,
    NATNET_FIRST_VM,
    PCS,
    R1_LAN_IP,
    UPLINK_PORT,
    gateway_ip,
    nat_vm_ip,
    natnet_dhcp_ip,
    natnet_loopback_ip,
    pc_ip,
    pc_mac,
    vm_mac,
)
from plan.names import NAT_DNS_OFFSET

# How VirtualBox's plain NAT answers its guests' DNS at .3 (docs/names.md):
DNS_PASS = "pass"  # (default) the packets go on to the host's name server
DNS_PROXY = "proxy"  # --natdnsproxy on: the NAT engine relays them itself
DNS_HOST_RESOLVER = "hostresolver"  # --natdnshostresolver on: the host's resolver answers
# Where a host PC's DNS relay listens (topos.run.name_service.DnsRelay), one per way
RELAY_PORTS = {DNS_PROXY: 5301, DNS_HOST_RESOLVER: 5302}
TFTP_PORT, TFTP_OFFSET = 69, 4  # plain NAT's TFTP server: 10.0.2.4:69 (slirp's CTL_TFTP)


def tftp_ip(net):
    return str(ipaddress.ip_network(net).network_address + TFTP_OFFSET)


def dns_mode(proxy, host_resolver):
    """How .3 answers, from VirtualBox's two switches: the host resolver wins when both are
    on, as in VirtualBox."""
    return DNS_HOST_RESOLVER if host_resolver else DNS_PROXY if proxy else DNS_PASS


def nat_dns_ip(net):
    return str(ipaddress.ip_network(net).network_address + NAT_DNS_OFFSET)


def dns_target(dns, host_ip, host_dns=R1_LAN_IP):
    """(address, port) the plain NAT's .3 sends a query on to."""
    if dns == DNS_PASS:
        return (host_dns, 53)
    return (host_ip, RELAY_PORTS[dns])


@dataclass
class RouterConfig:
    name: str  # the host PC it belongs to
    dpid: int
    outside_ip: str  # the host PC's own LAN address
    outside_mac: str
    inside_net: str = "10.0.2.0/24"
    gateway_ip: str = "10.0.2.2"
    gateway_mac: str = GATEWAY_MAC
    lan_net: str = str(LAN)
    # the connection tracker's zone (conntrack engine): its dpid unless the lab gives one
    # (labs side by side share the userspace datapath's one tracker: topos.run.lab_names)
    zone: Optional[int] = None
    lan_gateway: str = R1_LAN_IP
    dhcp_first: str = "10.0.2.15"
    dhcp_size: int = 100
    lease_time: int = 3600
    reserved: Dict[str, str] = field(default_factory=dict)  # VM MAC -> address
    # VM MAC -> the port the lab attached that VM to: its MAC (and so its reservation) is
    # good on that port only
    attached: Dict[str, int] = field(default_factory=dict)
    vm_ports: Tuple[int, ...] = ()
    uplink_port: int = UPLINK_PORT
    host_port: int = HOST_PORT
    ports: Tuple[int, int] = NAT_PORTS
    idle_timeout: int = 60
    mappings: int = 500  # mappings one VM may hold: no VM takes the whole port range
    # NAT sessions one VM, or one port forward, may hold at once; and the router in all (the
    # conntrack engine: its zone's limit in the tracker). A new one past a cap is refused
    sessions: int = 4096
    sessions_total: int = 16384
    engine: str = DEFAULT_ENGINE  # who does the NAT: a name of controllers.engines.ENGINES
    forwards: Tuple[Forward, ...] = ()
    state_file: Optional[str] = None  # where the NAT table is written for `natmap`
    # Names. DHCP offers `dns_servers`. VirtualBox's plain NAT offers its own name server at
    # .3 (`dns_alias`): TCP and UDP to its port 53 go to `dns_target` (address, port) - the
    # host PC's name server (by default), or its DNS relay (the DNS proxy, the host resolver).
    dns_servers: Tuple[str, ...] = ()
    dns_alias: Optional[str] = None
    dns_target: Optional[Tuple[str, int]] = None
    # --nat-localhostreachable on: TCP and UDP to the gateway's address reach the host PC's
    # loopback (127.0.0.1, the same port); off (VirtualBox 7's default), nothing answers
    host_loopback: bool = False
    # Where the host's loopback stands to the guests (VirtualBox: plain NAT's gateway .2, a
    # NAT network's --loopback-4 mapping): a forwarded connection from the host's 127.0.0.1
    # comes from it, and with host_loopback on, the guests reach 127.0.0.1 there. None: the
    # gateway's address
    loopback_ip: Optional[str] = None
    # The host PC's own networks besides the LAN (its host-only interfaces'): VirtualBox's
    # NAT opens the host's sockets, so a VM reaches them as its host does (through it)
    host_nets: Tuple[str, ...] = ()
    # The DHCP server's own address (its server identifier): plain NAT's is the gateway's,
    # a NAT network's .3. None: the gateway's
    dhcp_server_ip: Optional[str] = None
    # Plain NAT's TFTP server at .4 (`tftp_ip`): UDP to its port 69 goes to `tftp_target`
    # (address, port), the host PC's TFTP server; DHCP names `boot_file` (VirtualBox's
    # --nattftpfileN, by default VMNAME.pxe) with .4 as the next server. None: no TFTP
    tftp_ip: Optional[str] = None
    tftp_target: Optional[Tuple[str, int]] = None
    boot_file: Optional[str] = None
    # The DNS domain DHCP passes (option 15): VirtualBox's plain NAT passes the host's with
    # --natdnspassdomain on; None passes none
    dns_domain: Optional[str] = None
    # A NAT network's IPv6 (--ipv6 on): its /64 (controllers.ipv6_router), and whether its
    # advertisements offer a default route (--ipv6-default on). None: no IPv6 (plain NAT's
    # slirp has none; a NAT network's is off by default)
    ipv6_prefix: Optional[str] = None
    ipv6_default: bool = False
    # its IPv6 forwards (--port-forward-6), (proto, host IP or "", host port, guest IP, guest
    # port): the host PC's own sockets take them (topos.run.host_sockets), not the router
    ipv6_forwards: Tuple[Tuple, ...] = ()

    def aliases(self):
        """The router's own addresses that stand for another's: [Alias]."""
        found = []
        if self.dns_alias:
            found.append(Alias(self.dns_alias, 53, *self.dns_target))
        if self.host_loopback:
            found.append(Alias(self.loopback_address, None, LOOPBACK, None))
        if self.tftp_ip:
            found.append(Alias(self.tftp_ip, TFTP_PORT, *self.tftp_target))
        return found

    @property
    def ct_zone(self):
        return self.dpid if self.zone is None else self.zone

    @property
    def loopback_address(self):
        return self.loopback_ip or self.gateway_ip

    @property
    def dhcp_server_address(self):
        return self.dhcp_server_ip or self.gateway_ip

    def for_host(self, address):
        """Is `address` where the host PC's own stack takes a VM's packet (its LAN
        address, or one of its own networks)?"""
        ip = ipaddress.ip_address(address)
        return address == self.outside_ip or any(ip in ipaddress.ip_network(n)
                                                 for n in self.host_nets)

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError("%s: no NAT engine %r (there are: %s)" % (
                self.name, self.engine, ", ".join(ENGINES)))


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
        item["dns_servers"] = tuple(item.get("dns_servers", ()))
        item["host_nets"] = tuple(item.get("host_nets", ()))
        item["ipv6_forwards"] = tuple(tuple(f) for f in item.get("ipv6_forwards", ()))
        item["dns_target"] = tuple(item["dns_target"]) if item.get("dns_target") else None
        item["tftp_target"] = tuple(item["tftp_target"]) if item.get("tftp_target") else None
        router = RouterConfig(**item)
        routers[router.dpid] = router
    return routers


def load(path=None):
    """{dpid: RouterConfig} from VMNET_CONFIG (or `path`), else the default lab's."""
    path = path or os.environ.get("VMNET_CONFIG")
    if path:
        with open(path) as f:
            return parse(json.load(f))
    # both default NAT labs: their routers' datapath ids differ, so one controller serves either
    return {r.dpid: r for r in default_routers() + default_vm_routers()}


def routers(vms, nets=None, forwards=(), ports=NAT_PORTS, idle_timeout=60, mappings=500,
            state_dir=None, engine=DEFAULT_ENGINE, sessions=4096, sessions_total=16384,
            host_dns=(R1_LAN_IP,)):
    """The virtual routers of a NAT lab, one per host PC, from the addressing plan. As
    VirtualBox's NAT Network: gateway .1, the host's 127.0.0.1 at .2, DHCP server .3, leases
    from .4; their DHCP offers the host PC's own name servers (`host_dns`).

    vms:      {host PC: [VM numbers on it, in order]}
    nets:     {host PC: its VM network} (default: addressing.NAT_NETS)
    forwards: [(proto, outside port, VM number, inside port)]
    """
    nets = dict(NAT_NETS, **(nets or {}))
    result = []
    for index, pc in enumerate(HOST_PCS, start=1):
        numbers = list(vms.get(pc, ()))
        net = nets[pc]
        address = {n: nat_vm_ip(net, order, True) for order, n in enumerate(numbers)}
        result.append(RouterConfig(
            name=pc, dpid=DPID_ROUTER + index,
            outside_ip=pc_ip(pc), outside_mac=pc_mac(PCS[pc]),
            inside_net=str(net), gateway_ip=gateway_ip(net, True),
            loopback_ip=natnet_loopback_ip(net), host_loopback=True,
            dhcp_server_ip=natnet_dhcp_ip(net), dhcp_first=nat_vm_ip(net, 0, True),
            dhcp_size=min(100, ipaddress.ip_network(net).num_addresses - NATNET_FIRST_VM - 2),
            reserved={vm_mac(n): address[n] for n in numbers},
            attached={vm_mac(n): FIRST_VM_PORT + i for i, n in enumerate(numbers)},
            vm_ports=tuple(FIRST_VM_PORT + i for i in range(len(numbers))),
            ports=tuple(ports), idle_timeout=idle_timeout, mappings=mappings, engine=engine,
            sessions=sessions, sessions_total=sessions_total,
            forwards=tuple(Forward(p, o, address[n], i) for p, o, n, i in forwards
                           if n in address),
            state_file=os.path.join(state_dir, "natmap-%s.json" % pc) if state_dir else None,
            dns_servers=tuple(host_dns),
        ))
    return result


def vm_routers(vms, net=NAT_NETS["host1"], forwards=(), ports=NAT_PORTS, idle_timeout=60,
               mappings=500, state_dir=None, engine=DEFAULT_ENGINE, sessions=4096,
               sessions_total=16384, dns=DNS_PASS, localhostreachable=False):
    """VirtualBox's plain NAT: a virtual router per VM, named after it, every VM alone at
    the network's first VM address (10.0.2.15) behind its own gateway (10.0.2.2). The VMs
    of one host PC share its address, so each router takes its own slice of `ports`. Its
    name server is at .3 (10.0.2.3), and `dns` says how it answers (dns_target());
    `localhostreachable` lets the gateway's address reach the host PC's loopback.

    vms:      {host PC: [VM numbers on it, in order]}
    forwards: [(proto, outside port, VM number, inside port)]
    """
    result = []
    address = nat_vm_ip(net, 0)
    for pc in HOST_PCS:
        numbers = list(vms.get(pc, ()))
        first, last = ports
        width = (last - first + 1) // max(1, len(numbers))
        for order, n in enumerate(numbers):
            name = "vm%d" % n
            result.append(RouterConfig(
                name=name, dpid=DPID_VM_ROUTER + n,
                outside_ip=pc_ip(pc), outside_mac=pc_mac(PCS[pc]),
                inside_net=str(net), gateway_ip=gateway_ip(net), dhcp_first=address,
                dhcp_size=1, reserved={vm_mac(n): address},
                attached={vm_mac(n): FIRST_VM_PORT}, vm_ports=(FIRST_VM_PORT,),
                ports=(first + order * width, first + (order + 1) * width - 1),
                idle_timeout=idle_timeout, mappings=mappings, engine=engine,
                sessions=sessions, sessions_total=sessions_total,
                forwards=tuple(Forward(p, o, address, i) for p, o, v, i in forwards if v == n),
                state_file=os.path.join(state_dir, "natmap-%s.json" % name) if state_dir
                else None,
                dns_servers=(nat_dns_ip(net),), dns_alias=nat_dns_ip(net),
                dns_target=dns_target(dns, pc_ip(pc)), host_loopback=localhostreachable,
                tftp_ip=tftp_ip(net), tftp_target=(pc_ip(pc), TFTP_PORT),
                boot_file="%s.pxe" % name,
            ))
    return result


DEFAULT_VMS = {"host1": [1, 2], "host2": [3]}
DEFAULT_FORWARDS = [("tcp", 2222, 1, 22)]


def default_routers(engine=None):
    """The routers of the default NAT lab (vm1, vm2 on host1, vm3 on host2, tcp:2222:vm1:22).
    A controller started by hand takes its NAT engine from VMNET_NAT_ENGINE."""
    return routers(DEFAULT_VMS, forwards=DEFAULT_FORWARDS,
                   engine=engine or os.environ.get("VMNET_NAT_ENGINE", DEFAULT_ENGINE))


def default_vm_routers(engine=None):
    """The routers of the default plain NAT lab (nat,per_vm=yes): one per VM."""
    return vm_routers(DEFAULT_VMS, forwards=DEFAULT_FORWARDS,
                      engine=engine or os.environ.get("VMNET_NAT_ENGINE", DEFAULT_ENGINE))
