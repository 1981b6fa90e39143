"""VBoxManage's commands for a host PC's networks, applied as VirtualBox applies them:
`hostonlyif` (VBoxManageHostonly.cpp), `natnetwork` (VBoxManageNATNetwork.cpp, Main's
NATNetworkImpl.cpp), `dhcpserver` (VBoxManageDHCPServer.cpp), and the host's
/etc/vbox/networks.conf (VBoxNetAdpCtl.cpp), each mistake a ValueError in VirtualBox's words
where it has them."""

import ipaddress

from topos.labfile import vbox_ipv6
from topos.labfile.spec import (
    HOST_ALLOWED,
    HOST_ALLOWED6,
    HostOnlyInterface,
    NatNetwork,
    VboxDhcpServer,
    shown,
)
from topos.labfile.vbox_values import (
    add_rule,
    address,
    nat_net,
    natnetwork_rule,
    netmask,
    on_off,
    options,
)


def hostonlyif(host, sub, rest, line):
    if sub == "create":
        if rest:
            raise ValueError("hostonlyif create takes no options")
        name = "vboxnet%d" % len(host.hostonly)
        # VirtualBox gives a new interface the next /24 from 192.168.56.0 and the host .1
        # (netif.h's getDefaultIPv4Address); past 192.168.255.0 there is none
        if 56 + len(host.hostonly) > 255:
            raise ValueError("hostonlyif create: %s would be past 192.168.255.1 (VirtualBox "
                             "numbers vboxnetN 192.168.(56+N).1)" % name)
        host.hostonly[name] = HostOnlyInterface(name, line, "192.168.%d.1" % (56 + len(
            host.hostonly)))
        return host.hostonly[name]
    if sub != "ipconfig":
        raise ValueError("hostonlyif %s: the lab reads create and ipconfig" % sub)
    if not rest:
        raise ValueError("hostonlyif ipconfig: which interface?")
    interface = host.hostonly.get(rest[0])
    if interface is None:
        raise ValueError("hostonlyif ipconfig %s: no such interface on %s (hostonlyif create "
                         "makes vboxnet0, then vboxnet1, ...)" % (rest[0], host.name))
    given = options(rest[1:], flags=("dhcp",))
    for option, value in given:
        if option == "ip":
            interface.address = address(option, value)
        elif option == "netmask":
            interface.netmask = netmask(value)
        elif option not in vbox_ipv6.HOSTONLY_OPTIONS:
            raise ValueError("hostonlyif ipconfig: --%s is not read (use --ip and --netmask, "
                             "or --ipv6 and --netmasklengthv6)" % option)
    vbox_ipv6.hostonly_ipconfig(interface, given, host.allowed6)
    if {"ip", "netmask"} & {o for o, _ in given}:
        allowed(host, interface)
    return interface


def allowed(host, interface):
    """A host-only address within /etc/vbox/networks.conf's ranges (VBoxNetAdpCtl.cpp:
    the interface's prefix at least the range's, its network bits the range's); VirtualBox
    says only E_ACCESSDENIED ("Error: permission denied" from its helper)."""
    net = interface.network()
    for text in host.allowed:
        allow = ipaddress.ip_network(text)
        if net.prefixlen >= allow.prefixlen and net.network_address in allow:
            return
    raise ValueError("hostonlyif ipconfig %s --ip %s --netmask %s: E_ACCESSDENIED (permission "
                     "denied: /etc/vbox/networks.conf allows %s; a line `networks.conf * RANGE "
                     "...` before it in [%s] allows more)" % (
                         interface.name, interface.address, interface.netmask,
                         " ".join(host.allowed), host.name))


def networks_conf(host, words):
    """/etc/vbox/networks.conf, a line of it: `* 10.0.0.0/8 192.168.0.0/16 2001:db8::/32`
    (VirtualBox reads only lines starting with *)."""
    if not words or words[0] != "*" or len(words) < 2:
        raise ValueError("networks.conf: write `networks.conf * RANGE ...` (its lines start "
                         "with *, then the ranges host-only interfaces may use)")
    ranges, ranges6 = [], vbox_ipv6.networks_conf6(words[1:])
    for word in words[1:]:
        try:
            net = ipaddress.ip_network(word, strict=False)
        except ValueError:
            raise ValueError("networks.conf: invalid network %s" % shown(word)) from None
        if net.version == 4:
            ranges.append(str(net))
    host.allowed = tuple(ranges) if host.allowed == HOST_ALLOWED else host.allowed + tuple(
        ranges)
    if ranges6:  # the file's IPv6 ranges stand instead of link-local's
        host.allowed6 = tuple(ranges6) if host.allowed6 == HOST_ALLOWED6 else (
            host.allowed6 + tuple(ranges6))


def natnetwork(host, sub, rest, line):
    if sub in ("start", "stop"):
        return None  # a lab's NAT networks run with it
    if sub not in ("add", "modify"):
        raise ValueError("natnetwork %s: the lab reads add, modify and start" % sub)
    given = options(rest, flags=("enable", "disable"))
    names = [v for o, v in given if o == "netname"]
    if not names:
        raise ValueError("natnetwork %s: --netname is missing" % sub)
    name = names[0]
    if sub == "add":
        if name in host.natnetworks:
            raise ValueError("natnetwork add --netname %s: %s has a NAT network of that name "
                             "(line %d)" % (name, host.name, host.natnetworks[name].line))
        network = next((v for o, v in given if o == "network"), None)
        if network is None:
            raise ValueError("natnetwork add --netname %s: --network is missing" % name)
        cidr = nat_net("network", network)
        if "/" in network and ipaddress.ip_interface(cidr).ip != ipaddress.ip_interface(
                network).ip:  # NATNetworkImpl.cpp's setNetwork
            raise ValueError("natnetwork add --network %s: the specified address is longer "
                             "than the specified prefix (%s)" % (network, cidr))
        host.natnetworks[name] = NatNetwork(name, cidr, line)
    net = host.natnetworks.get(name)
    if net is None:
        raise ValueError("natnetwork modify --netname %s: no NAT network of that name" % name)
    for option, value in given:
        if option == "dhcp":
            net.dhcp = on_off(option, value)
        elif option in ("enable", "disable"):
            net.enabled = option == "enable"
        elif option == "port-forward-4":
            add_rule(net.forwards, natnetwork_rule(value))
        elif option == "loopback-4":
            net.loopback = loopback_mapping(value)
        elif option not in ("netname", "network") + vbox_ipv6.NATNETWORK_OPTIONS:
            raise ValueError("natnetwork %s: unknown option --%s" % (sub, option))
    vbox_ipv6.natnetwork_options(net, given)
    return net


def loopback_mapping(value):
    """--loopback-4 127.0.0.1=OFFSET: where the NAT network shows the host's loopback (the
    lab maps the host's 127.0.0.1 only, VirtualBox's one default mapping)."""
    address_text, _, offset = value.partition("=")
    digits = offset.isascii() and offset.isdigit()
    if address_text != "127.0.0.1" or not digits or not 1 < int(offset) < 255:
        raise ValueError("--loopback-4 %s: write 127.0.0.1=OFFSET, OFFSET from 2 to 254 (the "
                         "lab maps the host's 127.0.0.1 only)" % value)
    return int(offset)


# dhcpserver's options: each spelling -> the field it sets
DHCP_OPTIONS = {"interface": "interface", "ifname": "interface", "network": "network",
                "netname": "network", "server-ip": "server_ip", "ip": "server_ip",
                "netmask": "netmask", "lower-ip": "lower", "lowerip": "lower",
                "upper-ip": "upper", "upperip": "upper"}


def dhcpserver(host, sub, rest, line):
    if sub != "add":
        raise ValueError("dhcpserver %s: the lab reads add" % sub)
    fields = {"interface": "", "network": "", "enabled": False}
    for option, value in options(rest, flags=("enable", "disable")):
        if option in ("enable", "disable"):
            fields["enabled"] = option == "enable"
        elif option in DHCP_OPTIONS:
            key = DHCP_OPTIONS[option]
            fields[key] = value if key in ("interface", "network") else (
                netmask(value) if key == "netmask" else address(option, value))
        else:
            raise ValueError("dhcpserver add: unknown option --%s" % option)
    if bool(fields["interface"]) == bool(fields["network"]):
        raise ValueError("dhcpserver add: You need to specify either --network or --interface "
                         "to identify the DHCP server")
    for key, spelling in (("server_ip", "--server-ip"), ("netmask", "--netmask"),
                          ("lower", "--lower-ip"), ("upper", "--upper-ip")):
        if key not in fields:
            raise ValueError("dhcpserver add: Missing required option: %s" % spelling)
    if fields["interface"] and fields["interface"] not in host.hostonly:
        raise ValueError("dhcpserver add: Could not find interface '%s' (hostonlyif create "
                         "makes vboxnet0, then vboxnet1, ...)" % fields["interface"])
    same = next((s for s in host.dhcp_servers if (s.interface, s.network) == (
        fields["interface"], fields["network"])), None)
    if same:
        raise ValueError("dhcpserver add: DHCP server already exists (line %d)" % same.line)
    net = ipaddress.ip_network("%s/%s" % (fields["server_ip"], fields["netmask"]), strict=False)
    lower, upper = (ipaddress.IPv4Address(fields[k]) for k in ("lower", "upper"))
    if lower not in net or upper not in net or lower > upper:
        raise ValueError("dhcpserver add: the range %s-%s is not within %s, lowest first" % (
            lower, upper, net))
    if lower <= ipaddress.IPv4Address(fields["server_ip"]) <= upper:
        raise ValueError("dhcpserver add: the server's own %s is inside its range" %
                         fields["server_ip"])
    server = VboxDhcpServer(line=line, **fields)
    host.dhcp_servers.append(server)
    return server
