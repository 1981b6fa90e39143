"""What a lab file describes, once read: per host PC its host-only interfaces, NAT networks,
DHCP servers and VMs, each VM with its adapters (VirtualBox's nic1-nic8, the guest's
eth0-eth7) and what the guest configures itself. Pure data; docs/labfiles.md has the format.

The addresses are VirtualBox's (its manual, "Virtual Networking"): a NAT adapter N is alone
on 10.0.(N+1).0/24 with the guest at .15, the gateway (the host) at .2 and DNS at .3; a NAT
network's gateway is the address after its network address (.1).
"""

import ipaddress
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from topos.labfile.kinds import KINDS
from topos.run.errors import LabError

# nic1-nic8 (eth0-eth7): the adapters VBoxManage configures with the default chipset (PIIX3;
# its settings window shows the first four, ICH9's 36 are not emulated)
ADAPTERS = 8
# What an adapter may be attached to is declared in topos.labfile.kinds.
HOST_ALLOWED = ("192.168.56.0/21",)  # VirtualBox's range for host-only networks, no networks.conf
HOST_ALLOWED6 = ("fe80::/10",)  # and its IPv6 range (VBoxNetAdpCtl.cpp: link-local only)
VBOX_MAC_PREFIX = "08:00:27"  # VirtualBox's own OUI: its adapters' MACs by default


SHOWN = 80  # characters of a word an error message shows


def escaped(text):
    """`text` with every character a terminal would act on written out (an ESC from a file
    never reaches the terminal raw)."""
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) if ord(c) < 256
                   else "\\u%04x" % ord(c) for c in text)


def shown(text, limit=SHOWN):
    """`text` as a message may show it: quoted, escaped, cut after `limit` characters."""
    more = "... (%d characters)" % len(text) if len(text) > limit else ""
    return "'%s'%s" % (escaped(text[:limit]), more)


class LabFileError(LabError):
    """A lab file's mistake: the file, the line and what is wrong, on one line whatever the
    file holds (control characters escaped)."""

    def __init__(self, path, line, message):
        message = escaped(message)
        super().__init__("%s:%s: %s" % (path, line, message))
        self.path, self.line, self.reason = path, line, message


@dataclass(frozen=True)
class Forward:
    """A port forward: VBoxManage's --natpfN "name,proto,hostip,hostport,guestip,guestport",
    or a NAT network's --port-forward-4 "name:proto:[hostip]:hostport:[guestip]:guestport"."""

    name: str
    proto: str
    host_ip: str  # "" for every host address
    host_port: int
    guest_ip: str  # "" for the guest's own (a NAT adapter's .15)
    guest_port: int


@dataclass
class Adapter:
    slot: int  # 1-8: --nicN; the guest sees it as eth(N-1)
    kind: str = "none"  # a name of topos.labfile.kinds.KINDS
    # the network each kind's option named (--intnetN, --host-only-adapterN, ...): VirtualBox
    # keeps one per kind, the one of the adapter's kind is used
    named: Dict[str, str] = field(default_factory=dict)
    cable: bool = True
    mac: Optional[str] = None  # None: the lab gives one with VirtualBox's prefix
    forwards: List[Forward] = field(default_factory=list)  # of a NAT adapter
    nat_net: Optional[str] = None  # --natnetN: a NAT adapter's own network, else VirtualBox's
    # a NAT adapter's switches (docs/names.md): who answers DNS at .3, whether the gateway's
    # address reaches the host's loopback, and whether its DHCP passes the host's domain
    dns_proxy: bool = False  # --natdnsproxyN
    dns_host_resolver: bool = False  # --natdnshostresolverN
    localhostreachable: bool = False  # --nat-localhostreachableN
    # --natdnspassdomainN: on unless turned off, as VirtualBox's NAT settings have it
    # (DNSPassDomain, "historically" true)
    dns_pass_domain: bool = True
    tftp_file: Optional[str] = None  # --nattftpfileN: the boot file DHCP names (VMNAME.pxe)
    line: int = 0  # where its attachment was written, for errors found later

    @property
    def interface(self):
        return "eth%d" % (self.slot - 1)

    @property
    def network(self):
        """The host-only interface, internal or NAT network or host card it is attached to."""
        return self.named.get(self.kind) or KINDS[self.kind].default_network

    def nat_network(self):
        """A NAT adapter's network: 10.0.(N+1).0/24 unless --natnetN moved it."""
        return ipaddress.ip_network(self.nat_net or "10.0.%d.0/24" % (self.slot + 1))


@dataclass
class GuestInterface:
    """What the guest does on one interface: DHCP (the default) or a fixed address."""

    address: Optional[str] = None  # "192.168.56.10/24": fixed; None: DHCP
    gateway: Optional[str] = None  # a default route through this interface (fixed address)
    address6: Optional[str] = None  # "2001:db8:56::10/64": a fixed IPv6 address
    gateway6: Optional[str] = None  # its IPv6 default route through this interface


@dataclass
class Guest:
    """What a guest configures itself, said in the guest's own terms (docs/labfiles.md)."""

    interfaces: Dict[str, GuestInterface] = field(default_factory=dict)
    forwarding: bool = False  # net.ipv4.ip_forward=1
    masquerade: Tuple[str, ...] = ()  # interfaces it masquerades out of
    dhcp_servers: Dict[str, Tuple[str, str]] = field(default_factory=dict)  # intf: range
    line: int = 0


@dataclass
class Vm:
    name: str
    host: str
    line: int
    registered: bool = True  # createvm --register: modifyvm and startvm find it
    adapters: Dict[int, Adapter] = field(default_factory=dict)
    guest: Guest = field(default_factory=Guest)

    def adapter(self, slot):
        return self.adapters.setdefault(slot, Adapter(slot))

    def attached(self):
        """Its adapters that are there (not `none`), by slot."""
        return [a for _slot, a in sorted(self.adapters.items()) if a.kind != "none"]


@dataclass
class HostOnlyInterface:
    name: str  # vboxnet0, vboxnet1, ...
    line: int
    address: str = ""  # the host's address on it; "" until ipconfig (then VirtualBox's)
    netmask: str = "255.255.255.0"
    address6: str = ""  # hostonlyif ipconfig --ipv6 ADDR --netmasklengthv6 N: "ADDR/N"

    def network(self):
        return ipaddress.ip_network("%s/%s" % (self.address, self.netmask), strict=False)


@dataclass
class NatNetwork:
    name: str
    network: str  # "10.0.2.0/24"
    line: int
    dhcp: bool = False
    enabled: bool = True
    forwards: List[Forward] = field(default_factory=list)
    loopback: int = 2  # the host's 127.0.0.1 at .2 (--loopback-4 127.0.0.1=2, the default)
    ipv6: bool = False  # --ipv6 on: its /64 advertised (controllers.ipv6_router)
    ipv6_default: bool = False  # --ipv6-default on: and a default route in the advertisement
    ipv6_prefix: str = "fd17:625c:f037:2::/64"  # VirtualBox's for any network VBoxManage adds
    forwards6: List[Forward] = field(default_factory=list)  # --port-forward-6

    def gateway(self):
        return str(ipaddress.ip_network(self.network).network_address + 1)


@dataclass
class VboxDhcpServer:
    """VirtualBox's DHCP server on a host-only interface or an internal network."""

    interface: str  # vboxnetN, or "" for an internal network
    network: str  # the internal network's name, or "" for a host-only interface
    server_ip: str
    netmask: str
    lower: str
    upper: str
    enabled: bool
    line: int


@dataclass
class HostPc:
    name: str
    # /etc/vbox/networks.conf's "* RANGE ..." (VirtualBox 6.1.28 on): the ranges a host-only
    # interface's address may be in; without the file, VirtualBox's 192.168.56.0/21
    allowed: Tuple[str, ...] = HOST_ALLOWED
    allowed6: Tuple[str, ...] = HOST_ALLOWED6
    hostonly: Dict[str, HostOnlyInterface] = field(default_factory=dict)
    natnetworks: Dict[str, NatNetwork] = field(default_factory=dict)
    dhcp_servers: List[VboxDhcpServer] = field(default_factory=list)
    vms: Dict[str, Vm] = field(default_factory=dict)


@dataclass
class LabSpec:
    path: str
    hosts: Dict[str, HostPc] = field(default_factory=dict)

    def vms(self):
        return [vm for host in self.hosts.values() for vm in host.vms.values()]

    def vm(self, name):
        """The VM of that name (one name across the host PCs): a lookup per host PC, as the
        model asks it for every node of every answer."""
        return next((host.vms[name] for host in self.hosts.values() if name in host.vms), None)
