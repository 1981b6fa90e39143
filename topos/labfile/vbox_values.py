"""VBoxManage's values, read as VBoxManage reads them: options (`--opt value`, `--opt=value`),
on/off, addresses, ports, netmasks, networks (its manual's short "192.168/16" too), MAC
addresses and port-forward rules. Each mistake is a ValueError saying what is wrong."""

import ipaddress
import re

from topos.labfile.spec import Forward, shown

MAC = re.compile(r"^[0-9a-fA-F]{12}$")


SEPARATOR = re.compile("[=:]")


def options(tokens, flags=()):
    """[(name, value)] from ['--a', 'x', '--b=y', '--c:z', '--enable']: `flags` take no
    value. As RTGetOpt reads them: names match in their case, and a value follows the name
    as the next word or after = or :."""
    found, rest = [], list(tokens)
    while rest:
        token = rest.pop(0)
        if not token.startswith("--"):
            raise ValueError("%s is not an option (options start with --)" % shown(token))
        joined = SEPARATOR.search(token, 2)
        if joined:
            name, value = token[2:joined.start()], token[joined.end():]
        else:
            name, value = token[2:], ""
            if name not in flags:
                if not rest:
                    raise ValueError("--%s needs a value" % name)
                value = rest.pop(0)
        found.append((name, value))
    return found


def on_off(name, value):
    if value not in ("on", "off"):
        raise ValueError("--%s %s: write on or off" % (name, value))
    return value == "on"


def address(name, value):
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError("--%s %s: not an IPv4 address" % (name, value)) from None


def port(text, what):
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError("%s %r is not a port (1-65535)" % (what, text))
    return int(text)


def nat_rule(text):
    """--natpfN "name,tcp,hostip,hostport,guestip,guestport" (VirtualBox names it when
    the name is left out)."""
    parts = text.split(",")
    if len(parts) != 6:
        raise ValueError("port forward %r: write name,tcp|udp,[hostip],hostport,"
                         "[guestip],guestport" % text)
    return forward(parts, text)


def natnetwork_rule_parts(text):
    """A NAT network's rule, "name:tcp:[hostip]:hostport:[guestip]:guestport" (either family:
    the brackets hold an IPv6 address's colons), in its six parts; the guest's named."""
    parts = re.fullmatch(r"([^:]*):([^:]*):\[([^\]]*)\]:([^:]*):\[([^\]]*)\]:([^:]*)", text)
    if not parts:
        raise ValueError("port forward %r: write name:tcp|udp:[hostip]:hostport:[guestip]:"
                         "guestport" % text)
    if not parts.group(5):
        raise ValueError("port forward %r: a NAT network's forward names its guest's address"
                         % text)
    return list(parts.groups())


def natnetwork_rule(text):
    """--port-forward-4 "name:tcp:[hostip]:hostport:[guestip]:guestport"."""
    return forward(natnetwork_rule_parts(text), text)


def forward(parts, text):
    name, proto, host_ip, host_port, guest_ip, guest_port = (p.strip() for p in parts)
    # VBoxManage compares the protocol ignoring case (RTStrICmp in VBoxManageModifyVM.cpp)
    proto = proto.lower() if proto.isascii() else proto
    if proto not in ("tcp", "udp"):
        raise ValueError("port forward %r: the protocol is tcp or udp, not %r" % (text, proto))
    for ip in (host_ip, guest_ip):
        if ip:
            address("port forward %s" % text, ip)
    return Forward(name or "%s_%s_%s" % (proto, host_port, guest_port), proto, host_ip,
                   port(host_port, "port forward %r: host port" % text), guest_ip,
                   port(guest_port, "port forward %r: guest port" % text))


def mac_address(option, value):
    digits = value.replace(":", "").replace("-", "")
    if not MAC.match(digits):
        raise ValueError("--%s %s: a MAC address is 12 hex digits (080027AABBCC)" % (option,
                                                                                   value))
    if int(digits[1], 16) & 1:
        raise ValueError("--%s %s: a multicast address cannot be an adapter's" % (option,
                                                                                 value))
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2)).lower()


def nat_net(option, value):
    """A network as VirtualBox takes it: "10.9.0.0/24", or its manual's short "192.168/16"."""
    head, sep, prefix = value.partition("/")
    octets = head.split(".")
    try:
        if len(octets) < 4 and all(o.isascii() and o.isdigit() for o in octets):
            head = ".".join(octets + ["0"] * (4 - len(octets)))
        net = ipaddress.ip_network("%s/%s" % (head, prefix if sep else 24), strict=False)
    except ValueError:
        raise ValueError("--%s %s: not a network" % (option, value)) from None
    if net.prefixlen > 24:
        raise ValueError("--%s %s: the NAT's network must be a /24 or larger" % (option, value))
    return str(net)


def netmask(value):
    try:
        ipaddress.ip_network("0.0.0.0/%s" % value)
    except ValueError:
        raise ValueError("--netmask %s: not a netmask" % value) from None
    return value


def add_rule(forwards, rule):
    """A port forward, refused as VirtualBox's NAT engine refuses it (NATEngineImpl.cpp,
    NATNetworkImpl.cpp: addRedirect, addPortForwardRule)."""
    for other in forwards:
        if other.name == rule.name:
            raise ValueError("port forward %s: A NAT rule of this name already exists" % shown(
                rule.name))
        if (other.proto, other.host_ip, other.host_port) == (rule.proto, rule.host_ip,
                                                             rule.host_port):
            raise ValueError("port forward %s: A NAT rule for this host port and this host IP "
                             "already exists (%s)" % (shown(rule.name), other.name))
    forwards.append(rule)
