"""The lab's addressing plan, in one place: networks, addresses, MACs, datapath ids and port
numbers. Imports neither Mininet nor a controller framework: the topologies, the controller
(which, started by hand, knows the default lab from it without topos/) and the tests read it.
"""

import ipaddress

# --- the world (docs/contract.md §1) ---
LAN = ipaddress.ip_network("192.168.1.0/24")
WAN = ipaddress.ip_network("203.0.113.0/24")  # a documentation range: the lab's "internet"
INET_IP = "203.0.113.10"
INET_MAC = "02:00:cb:00:71:0a"
R1_WAN_IP, R1_WAN_MAC = "203.0.113.1", "02:00:cb:00:71:01"
R1_LAN_IP = "192.168.1.1"
PCS = {"pc1": 20, "host1": 10, "host2": 11}  # name -> last octet, reserved at r1
LAN_POOL = ("192.168.1.100", "192.168.1.199")  # r1's DHCP pool (bridged VMs lease here)
MAX_VMS = 150  # a host-only network hands out .101 - .250
HOST_PCS = ("host1", "host2")

# --- the world's IPv6 (docs/contract.md §1): documentation prefixes (RFC 3849) ---
# The ISP's link to r1 and inet's network, and the prefix it delegates to the home: r1
# advertises its first /64 on the LAN (SLAAC), routes IPv6 without NAT, and lets nothing new
# in (RFC 6092's simple security).
WAN6 = ipaddress.ip_network("2001:db8:203::/64")
INET6_IP, R1_WAN6_IP = "2001:db8:203::10", "2001:db8:203::1"
HOME6 = ipaddress.ip_network("2001:db8:1::/48")  # the ISP's delegation to r1
LAN6 = ipaddress.ip_network("2001:db8:1:1::/64")
R1_LAN6_IP = "2001:db8:1:1::1"


def slaac_ip(mac, net=LAN6):
    """The address a node forms from a router's prefix and its MAC (modified EUI-64,
    RFC 4291 appendix A), as Linux does with its default addr_gen_mode."""
    octets = bytes.fromhex(mac.replace(":", ""))
    eui = bytes([octets[0] ^ 0x02]) + octets[1:3] + b"\xff\xfe" + octets[3:]
    return str(ipaddress.ip_network(net).network_address + int.from_bytes(eui, "big"))


def link_local(mac):
    return slaac_ip(mac, "fe80::/64")


def lan_ip(octet):
    return str(LAN.network_address + octet)


def pc_ip(name):
    return lan_ip(PCS[name])


def pc_mac(last_octet):
    """A locally administered MAC for the LAN's PCs: 02:00 then the reserved IPv4 address."""
    return "02:00:c0:a8:01:%02x" % last_octet


def vm_mac(number):
    """VirtualBox's prefix 08:00:27, fixed per VM so that leases repeat run after run."""
    return "08:00:27:00:%02x:%02x" % (number >> 8, number & 0xFF)


# --- switches: datapath ids ---
DPID_WAN, DPID_LAN = 0x01, 0x02
DPID_HOSTONLY, DPID_BRIDGE, DPID_ROUTER = 0x10, 0x20, 0x30  # + the host PC's number


# --- host-only ---
VBOX_MAC = "0a:00:27:00:00:%02x"  # VirtualBox's host-only adapter MACs


def hostonly_net(pc_index):
    """host1: 192.168.56.0/24, host2: 192.168.57.0/24."""
    return ipaddress.ip_network("192.168.%d.0/24" % (55 + pc_index))


# --- NAT: the virtual routers, as VirtualBox numbers its NAT networks ---
NAT_NETS = {"host1": "10.0.2.0/24", "host2": "10.0.3.0/24"}
GATEWAY_MAC = "52:54:00:12:35:02"  # VirtualBox's NAT gateway
GATEWAY_OFFSET, FIRST_VM_OFFSET = 2, 15  # 10.0.2.2, and 10.0.2.15 upwards
UPLINK_PORT, HOST_PORT, FIRST_VM_PORT = 1, 2, 10  # the virtual router's switch ports
NAT_PORTS = (61000, 61999)  # outside ports: above Linux's ephemeral 32768-60999
TAKEN = {"LAN": LAN, "WAN": WAN}  # what a VM network may not overlap
# VirtualBox's plain NAT (nat,per_vm=yes): a virtual router per VM, chained in front of its
# host PC, each with the VM alone on port FIRST_VM_PORT
DPID_VM_ROUTER = 0x300  # + the VM's number


# VirtualBox's NAT Network numbers its network otherwise (NATNetworkImpl.cpp): gateway .1,
# the host's 127.0.0.1 mapped at .2 (--loopback-4 127.0.0.1=2), DHCP server .3, leases .4 up
NATNET_GATEWAY, NATNET_LOOPBACK, NATNET_DHCP, NATNET_FIRST_VM = 1, 2, 3, 4


def _host(net, offset):
    return str(ipaddress.ip_network(net).network_address + offset)


def gateway_ip(net, natnetwork=False):
    """The NAT's gateway: plain NAT's .2, a NAT network's .1."""
    return _host(net, NATNET_GATEWAY if natnetwork else GATEWAY_OFFSET)


def nat_vm_ip(net, order, natnetwork=False):
    """The address of the `order`-th VM (from 0) behind a virtual router: plain NAT's .15
    upwards, a NAT network's .4 upwards."""
    return _host(net, (NATNET_FIRST_VM if natnetwork else FIRST_VM_OFFSET) + order)


def natnet_loopback_ip(net, offset=NATNET_LOOPBACK):
    """Where a NAT network maps the host's 127.0.0.1 (--loopback-4 127.0.0.1=OFFSET)."""
    return _host(net, offset)


# A NAT network's IPv6 (--ipv6 on): fd17:625c:f037:XXXX::/64, XXXX the second and third
# bytes of the IPv4 network it had when it was made (NATNetworkImpl.cpp's
# i_recalculateIPv6Prefix, run by NATNetwork::init with 10.0.2.0/24; setNetwork does not run
# it again: `natnetwork add --network ...` keeps fd17:625c:f037:2::/64)
NATNET_CREATED_AS = "10.0.2.0/24"


def natnet_ipv6_prefix(net=NATNET_CREATED_AS):
    octets = ipaddress.ip_network(net).network_address.packed
    return "fd17:625c:f037:%x::/64" % (octets[1] << 8 | octets[2])


def natnet_dhcp_ip(net):
    return _host(net, NATNET_DHCP)


# --- internal networks: one per host PC, with VBoxManage dhcpserver's kind of server ---
DPID_INTERNAL = 0x40  # + the host PC's number
INTNET_DHCP_MAC = "0a:00:27:00:01:%02x"  # the internal network's DHCP server


def internal_net(pc_index):
    """host1's internal network 10.10.10.0/24, host2's 10.10.11.0/24."""
    return ipaddress.ip_network("10.10.%d.0/24" % (9 + pc_index))


# --- lab files (topos/labfile): VMs with adapters, as VirtualBox has them ---
FILE_VMS = 255  # a lab file's VMs at most: a VM's number is one byte of its MACs
DPID_FILE_NETWORK = 0x10000  # * the host PC's number + the network's: its switched networks
FILE_SHARED = 0x100  # the network's number past the host-only interfaces': internal, ...
DPID_FILE_ROUTER = 0x600  # + 8 * the VM's number + the adapter (1-8): a NAT adapter's router
# + 0x100 * the host PC's number + the NAT network's: a NAT network's router, above every
# NAT adapter's (the last VM's adapter 8 is 0x600 + 8 * 255 + 8 = 0xe00)
DPID_FILE_NAT_NETWORK = DPID_FILE_ROUTER + 8 * (FILE_VMS + 1)
FILE_VM_MAC = "08:00:27:%02x:%02x:%02x"  # VirtualBox's prefix; VM number, adapter, 0
FILE_HOST_MAC = "0a:00:27:01:%02x:%02x"  # a host PC's host-only interface: PC, interface
FILE_DHCP_MAC = "0a:00:27:02:%02x:%02x"  # an internal network's DHCP server: PC, network
