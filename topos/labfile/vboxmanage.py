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

import re

from topos.labfile import machine, vbox_networks
from topos.labfile.kinds import KINDS, VBOX_KINDS, network_options
from topos.labfile.spec import ADAPTERS, Vm, shown
from topos.labfile.vbox_values import add_rule, mac_address, nat_net, nat_rule, on_off, options

# modifyvm's adapter options: each spelling -> the one the lab reads
ADAPTER_OPTIONS = {
    "nic": "nic", "cable-connected": "cable", "cableconnected": "cable",
    "mac-address": "mac", "macaddress": "mac", "nat-pf": "natpf", "natpf": "natpf",
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
        return getattr(vbox_networks, command)(host, rest[0], rest[1:], line)
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
    naming = network_options()  # the options naming a network: option -> its kind
    if base not in ADAPTER_OPTIONS and base not in naming:
        raise ValueError("modifyvm: Unknown option: --%s" % option)
    if not number:
        raise ValueError("--%s: which adapter? (--%s1 ... --%s%d)" % (option, option, option,
                                                                     ADAPTERS))
    what = ADAPTER_OPTIONS.get(base)
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
    else:  # the network an attachment of that kind is to use
        adapter.named[naming[base]] = value
