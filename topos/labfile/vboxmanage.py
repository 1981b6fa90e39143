"""VBoxManage commands, as a user pastes them, applied to a host PC of a lab file.

Both spellings VirtualBox accepts are read: 7.x's (`--nat-pf1`, `--host-only-adapter2`,
`--cable-connected1`, `--mac-address1`, `--server-ip`) and the older ones (`--natpf1`,
`--hostonlyadapter2`, `--cableconnected1`, `--macaddress1`, `--ip`), and `--opt value` as
well as `--opt=value`. Names match in their case, as VBoxManage's (its command table is
compared with strcmp, its options by RTGetOpt). A command or flag the lab does not
understand is an error (ValueError with the reason, VirtualBox's words where it has them;
topos.labfile.reader adds the file and line); flags that do not change what reaches what
(--memory, --cpus, --nictype1, ...) are checked (topos.labfile.machine) and have no effect.
"""

import ipaddress
import re

from topos.labfile import machine
from topos.labfile.spec import (
    ADAPTERS,
    HOST_ALLOWED,
    KINDS,
    VBOX_KINDS,
    HostOnlyInterface,
    NatNetwork,
    VboxDhcpServer,
    Vm,
    shown,
)
from topos.labfile.vbox_values import (
    address,
    mac_address,
    nat_net,
    nat_rule,
    natnetwork_rule,
    netmask,
    on_off,
    options,
)

# modifyvm's adapter options: each spelling -> the one the lab reads
ADAPTER_OPTIONS = {
    "nic": "nic", "cable-connected": "cable", "cableconnected": "cable",
    "mac-address": "mac", "macaddress": "mac", "nat-pf": "natpf", "natpf": "natpf",
    "host-only-adapter": "hostonly", "hostonlyadapter": "hostonly", "intnet": "intnet",
    "bridge-adapter": "bridged", "bridgeadapter": "bridged", "nat-network": "natnetwork",
    "natnetwork": "natnetwork",
    "nat-net": "natnet", "natnet": "natnet",
    "natdnsproxy": "dns_proxy", "nat-dns-proxy": "dns_proxy",
    "natdnshostresolver": "dns_host_resolver", "nat-dns-host-resolver": "dns_host_resolver",
    "nat-localhostreachable": "localhostreachable",
    "natlocalhostreachable": "localhostreachable",
    "nattftpfile": "tftp_file", "nat-tftp-file": "tftp_file",
    "natdnspassdomain": "dns_pass_domain", "nat-dns-pass-domain": "dns_pass_domain",
}
# the adapter's hardware and tracing (topos.labfile.machine checks their values)
HARDWARE = {"nic-type", "nictype", "nic-speed", "nicspeed", "nic-trace", "nictrace",
            "nic-trace-file", "nictracefile", "nic-boot-prio", "nicbootprio", "nic-promisc",
            "nicpromisc"}
# VirtualBox's options the lab knows and does not build yet: refused, saying so
NOT_YET = {"nattftpprefix", "nattftpserver", "nat-tftp-prefix", "nat-tftp-server"}
NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")  # a lab node: its ports are named vm-ethN (15)
RESERVED = {"inet", "r1", "pc1", "host1", "host2", "lan", "wan"}


def adapter_slot(option, number):
    slot = int(number)  # RTGetOpt's index: ASCII digits, "01" is 1
    if not 1 <= slot <= ADAPTERS:
        raise ValueError("--%s: Invalid NIC number %d (VirtualBox's adapters are 1-%d)" % (
            option, slot, ADAPTERS))
    return slot


def registered(host, command, name):
    """The VM `name` as modifyvm and startvm find it: made with createvm --register."""
    vm = host.vms.get(name)
    if vm is None or not vm.registered:
        raise ValueError("%s %s: Could not find a registered machine named '%s' (%s)" % (
            command, shown(name), name, "createvm --name %s --register first" % name
            if vm is None else "its createvm has no --register"))
    return vm


def apply(host, tokens, line):
    """Apply one VBoxManage command (its words after `VBoxManage`) to `host`."""
    if not tokens:
        raise ValueError("VBoxManage with no command")
    command, rest = tokens[0], tokens[1:]
    if command == "createvm":
        return createvm(host, rest, line)
    if command == "modifyvm":
        return modifyvm(host, rest, line)
    if command == "startvm":  # every VM of a lab starts with it: only its name is checked
        return registered(host, "startvm", rest[0] if rest else "")
    if command in ("hostonlyif", "natnetwork", "dhcpserver"):
        if not rest:
            raise ValueError("VBoxManage %s needs a subcommand" % command)
        return {"hostonlyif": hostonlyif, "natnetwork": natnetwork,
                "dhcpserver": dhcpserver}[command](host, rest[0], rest[1:], line)
    raise ValueError("Invalid command %s (the lab reads createvm, modifyvm, startvm, "
                     "hostonlyif, natnetwork, dhcpserver)" % shown(tokens[0]))


def createvm(host, rest, line):
    name, given = None, options(rest, flags=("register",))
    for option, value in given:
        if option == "name":
            name = value
        elif option not in ("register", "ostype", "basefolder", "uuid", "groups", "default"):
            raise ValueError("createvm: Unknown option: --%s" % option)
    if name is None:
        raise ValueError("createvm: --name is missing")
    if not NAME.match(name) or name in RESERVED:
        raise ValueError("createvm --name %s: a VM's name here is a lowercase letter then up to"
                         " 9 letters or digits, and none of %s" % (name, ", ".join(sorted(
                             RESERVED))))
    if name in host.vms:
        raise ValueError("createvm --name %s: %s has a VM of that name (line %d)" % (
            name, host.name, host.vms[name].line))
    host.vms[name] = Vm(name, host.name, line, registered=("register", "") in given)
    return host.vms[name]


def modifyvm(host, rest, line):
    if not rest:
        raise ValueError("modifyvm: which VM?")
    vm, rest = registered(host, "modifyvm", rest[0]), rest[1:]
    for i, token in enumerate(rest):
        if re.match(r"--nat-?pf\d", token) and ("=delete" in token or rest[i + 1:i + 2] == [
                "delete"]):
            raise ValueError("%s delete: a lab file adds forwards, it removes none" % token)
    for option, value in options(rest):
        set_option(vm, option, value, line)
    return vm


def set_option(vm, option, value, line):
    # an indexed option is its name then ASCII digits (RTGETOPT_FLAG_INDEX): --nic1, --nic01;
    # --nic-1, --nic_1, --NIC1, --1 and --é are no option of VBoxManage's
    named = re.fullmatch(r"([a-z-]+?)([0-9]*)", option, re.ASCII)
    if named is None:
        raise ValueError("modifyvm: Unknown option: --%s" % option)
    base, number = named.groups()
    if base in HARDWARE or machine.known(base) and bool(number) == (base in machine.INDEXED):
        if base in HARDWARE:
            adapter_slot(option, number or "0")
        return machine.check(base, number, value)
    if base in NOT_YET:
        raise ValueError("--%s: the lab's TFTP server is host1's own at .4, its folder in the "
                         "run folder (docs/virtualbox.md, where the lab differs)" % option)
    if base not in ADAPTER_OPTIONS:
        raise ValueError("modifyvm: Unknown option: --%s" % option)
    if not number:
        raise ValueError("--%s: which adapter? (--%s1 ... --%s%d)" % (option, option, option,
                                                                     ADAPTERS))
    what = ADAPTER_OPTIONS[base]
    adapter = vm.adapter(adapter_slot(option, number))
    if what == "nic":
        value = VBOX_KINDS.get(value, value) or value
        if value in VBOX_KINDS:
            raise ValueError("--%s %s: VirtualBox's, not an attachment the lab builds (%s)" % (
                option, value, ", ".join(KINDS)))
        if value not in KINDS:
            raise ValueError("--%s: Invalid type %s specified for NIC %d (%s)" % (
                option, shown(value), adapter.slot, ", ".join(KINDS)))
        adapter.kind, adapter.line = value, line
    elif what == "cable":
        adapter.cable = on_off(option, value)
    elif what == "mac":
        adapter.mac = None if value == "auto" else mac_address(option, value)
    elif what == "natpf":
        add_rule(adapter.forwards, nat_rule(value))
    elif what == "natnet":
        adapter.nat_net = None if value == "default" else nat_net(option, value)
    elif what in ("dns_proxy", "dns_host_resolver", "localhostreachable", "dns_pass_domain"):
        setattr(adapter, what, on_off(option, value))
    elif what == "tftp_file":
        if not value or "/" in value or value.startswith("."):
            raise ValueError("--%s %r: a file name in the TFTP folder" % (option, value))
        adapter.tftp_file = value
    elif what is not None:  # the network an attachment names
        adapter.network = value


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
    for option, value in options(rest[1:], flags=("dhcp",)):
        if option == "ip":
            interface.address = address(option, value)
        elif option == "netmask":
            interface.netmask = netmask(value)
        else:
            raise ValueError("hostonlyif ipconfig: --%s is not read (use --ip and --netmask)"
                             % option)
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
    """/etc/vbox/networks.conf, a line of it: `* 10.0.0.0/8 192.168.0.0/16` (the lab reads
    the IPv4 ranges; VirtualBox reads only lines starting with *)."""
    if not words or words[0] != "*" or len(words) < 2:
        raise ValueError("networks.conf: write `networks.conf * RANGE ...` (its lines start "
                         "with *, then the ranges host-only interfaces may use)")
    ranges = []
    for word in words[1:]:
        try:
            net = ipaddress.ip_network(word, strict=False)
        except ValueError:
            raise ValueError("networks.conf: invalid network %s" % shown(word)) from None
        if net.version == 4:
            ranges.append(str(net))
    host.allowed = tuple(ranges) if host.allowed == HOST_ALLOWED else host.allowed + tuple(
        ranges)


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
        elif option not in ("netname", "network", "ipv6"):
            raise ValueError("natnetwork %s: unknown option --%s" % (sub, option))
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
