"""VBoxManage's IPv6 options, read as VirtualBox 7.0 reads them, each mistake a ValueError in
VirtualBox's words where it has them:

- `hostonlyif ipconfig IF --ipv6 ADDR [--netmasklengthv6 N]` (VBoxManageHostonly.cpp's
  handleIpConfig: N defaults to 64, 0 means 64, IPv4 and IPv6 options not together); the
  address within /etc/vbox/networks.conf's IPv6 ranges, fe80::/10 without the file
  (VBoxNetAdpCtl.cpp);
- `natnetwork add|modify --ipv6 on|off`, `--ipv6-default on|off`, `--ipv6-prefix P`,
  `--port-forward-6 "name:proto:[hostip]:hostport:[guestip]:guestport"`
  (VBoxManageNATNetwork.cpp; NATNetworkImpl.cpp's setIPv6Prefix: a /64 of 2000::/3 or
  fc00::/7 with no interface bits; VBoxNetPortForwardString.cpp: the guest's address is
  named, both IPv6).
"""

import ipaddress

from topos.labfile.vbox_values import add_rule, forward, natnetwork_rule_parts, on_off

NATNETWORK_OPTIONS = ("ipv6", "ipv6-enable", "ipv6-default", "ipv6-prefix", "port-forward-6")
HOSTONLY_OPTIONS = ("ipv6", "netmasklengthv6")


def address6(what, text):
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        raise ValueError("%s %s: not an IPv6 address" % (what, text)) from None


def hostonly_ipconfig(interface, given, allowed6):
    """Apply `--ipv6 ADDR [--netmasklengthv6 N]` (`given`: [(option, value)] of the command,
    IPv4's options too) to a host-only interface."""
    names = {o for o, _ in given}
    if not names & set(HOSTONLY_OPTIONS):
        return
    if names & {"ip", "netmask"}:
        raise ValueError("hostonlyif ipconfig: IPv4 and IPv6 options together: one command "
                         "sets one family")
    if "dhcp" in names:
        raise ValueError("hostonlyif ipconfig: --dhcp with a static address")
    if "ipv6" not in names:
        raise ValueError("hostonlyif ipconfig: Neither -dhcp nor -ip nor -ipv6 was specfified")
    address = address6("--ipv6", dict(given)["ipv6"])
    length_text = dict(given).get("netmasklengthv6", "64")
    if not (length_text.isascii() and length_text.isdigit()) or int(length_text) > 128:
        raise ValueError("--netmasklengthv6 %s: a prefix length from 0 to 128" % length_text)
    length = int(length_text) or 64  # HostNetworkInterfaceImpl.cpp: 0 is taken as 64
    net = ipaddress.ip_interface("%s/%d" % (address, length)).network
    if not any(net.prefixlen >= ipaddress.ip_network(a).prefixlen
               and net.network_address in ipaddress.ip_network(a) for a in allowed6):
        raise ValueError("hostonlyif ipconfig %s --ipv6 %s: E_ACCESSDENIED (permission denied: "
                         "/etc/vbox/networks.conf allows %s; a line `networks.conf * RANGE ...` "
                         "allows more)" % (interface.name, address, " ".join(allowed6)))
    interface.address6 = "%s/%d" % (address, length)


def natnetwork_options(net, given):
    """Apply a natnetwork command's IPv6 options to NAT network `net`, in VBoxManage's
    order: IPv6 off, the prefix, IPv6 on, the default route, then the forwards."""
    for option, value in given:
        if option in ("ipv6", "ipv6-enable") and not on_off(option, value):
            net.ipv6 = False
    for option, value in given:
        if option == "ipv6-prefix":
            prefix = ipv6_prefix(value)
            if net.forwards6 and prefix != net.ipv6_prefix:
                raise ValueError("--ipv6-prefix %s: %s has IPv6 forwards, and VirtualBox then "
                                 "keeps its prefix %s without a word "
                                 "(NATNetwork::setIPv6Prefix)" % (value, net.name,
                                                                  net.ipv6_prefix))
            net.ipv6_prefix = prefix
    for option, value in given:
        if option in ("ipv6", "ipv6-enable") and on_off(option, value):
            net.ipv6 = True
        elif option == "ipv6-default":
            net.ipv6_default = on_off(option, value)
    for option, value in given:
        if option == "port-forward-6":
            add_rule(net.forwards6, natnetwork_rule6(value))


def ipv6_prefix(text):
    """NATNetwork::setIPv6Prefix: ADDR or ADDR/64, unicast (2000::/3, fc00::/7), its
    interface bits zero."""
    try:
        net = ipaddress.ip_interface(text if "/" in text else text + "/64")
    except ValueError:
        raise ValueError("--ipv6-prefix %s is not a valid IPv6 prefix" % text) from None
    if net.version != 6:
        raise ValueError("--ipv6-prefix %s is not a valid IPv6 prefix" % text)
    if net.network.prefixlen != 64:
        raise ValueError("--ipv6-prefix: Invalid IPv6 prefix length %d, must be 64"
                         % net.network.prefixlen)
    first = net.ip.packed[0]
    if first & 0xE0 != 0x20 and first & 0xFE != 0xFC:
        raise ValueError("--ipv6-prefix: IPv6 prefix %s is not unicast" % net.ip)
    if net.ip != net.network.network_address:
        raise ValueError("--ipv6-prefix: Non-zero bits in the interface ID part of the IPv6 "
                         "prefix %s" % text)
    return str(net.network)


def natnetwork_rule6(text):
    """--port-forward-6 "name:tcp:[hostip]:hostport:[guestip]:guestport", both IPv6."""
    name, proto, host_ip, host_port, guest_ip, guest_port = natnetwork_rule_parts(text)
    host_ip = address6("port forward %s" % text, host_ip) if host_ip else ""
    guest_ip = address6("port forward %s" % text, guest_ip)
    rule = forward([name, proto, "", host_port, "", guest_port], text)
    return type(rule)(rule.name, rule.proto, host_ip, rule.host_port, guest_ip,
                      rule.guest_port)


def networks_conf6(words):
    """The IPv6 ranges of a networks.conf line."""
    found = []
    for word in words:
        try:
            net = ipaddress.ip_network(word, strict=False)
        except ValueError:
            continue  # its IPv4 reader says so
        if net.version == 6:
            found.append(str(net))
    return found
