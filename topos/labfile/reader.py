"""Reading a lab file (docs/labfiles.md): sections for each host PC, holding the VBoxManage
commands a user runs there, and for each guest, what it configures itself.

    # Vagrant's shape
    [host1]
    VBoxManage hostonlyif create
    VBoxManage createvm --name web --register
    VBoxManage modifyvm web --nic1 nat --natpf1 "ssh,tcp,,2222,,22"
    VBoxManage modifyvm web --nic2 hostonly --host-only-adapter2 vboxnet0

    [guest web]
    eth1 address 192.168.56.10/24

Everything is checked before anything is built: the first mistake is one LabFileError naming
the file, the line and what is wrong.
"""

import ipaddress
import os
import stat

from plan.addressing import FILE_VMS, HOST_PCS, TAKEN
from topos.labfile import vbox_networks, vbox_values, vboxmanage, words
from topos.labfile.kinds import KINDS, OWN
from topos.labfile.spec import GuestInterface, HostPc, LabFileError, LabSpec, shown

MAX_BYTES = 1 << 20  # a lab file is a page of commands: more is refused unread
MAX_LINE = 8192  # characters in one command, continuation lines joined


def read(path):
    """The lab file at `path`, checked: only a regular file (a FIFO or a device would wait
    or never end), at most MAX_BYTES, UTF-8."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise LabFileError(path, 0, "not a regular file (a lab file is a text file)")
        if info.st_size > MAX_BYTES:
            raise LabFileError(path, 0, "%d bytes: a lab file is at most %d" % (
                info.st_size, MAX_BYTES))
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise LabFileError(path, 0, "cannot be read (%s)" % e.strerror) from None
    if len(data) > MAX_BYTES:  # it grew since
        raise LabFileError(path, 0, "more than %d bytes: a lab file is at most that" % MAX_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LabFileError(path, data.count(b"\n", 0, e.start) + 1,
                           "byte 0x%02x is not UTF-8 (a lab file is UTF-8 text)" % data[e.start]
                           ) from None
    if text.startswith("\ufeff"):  # an editor's byte-order mark: no word (no removeprefix on 3.8)
        text = text[1:]
    return parse(text, path)


def parse(text, path="<lab file>"):
    spec = LabSpec(path)
    section = None  # ("host", HostPc) or ("guest", Vm)
    try:
        lines = words.commands(text)
    except ValueError as e:  # "line N: ..."
        number, _, reason = str(e).partition(": ")
        raise LabFileError(path, int(number.split()[1]), reason) from None
    names = {}  # VM name -> its VM: one name across the host PCs
    for number, words_ in lines:
        try:
            if sum(len(w) + 1 for w in words_) > MAX_LINE:
                raise ValueError("a command of over %d characters" % MAX_LINE)
            if words_[0].startswith("["):
                section = open_section(spec, " ".join(words_), number)
            elif section is None:
                raise ValueError("a line before any [host1], [host2] or [guest NAME] section")
            elif section[0] == "host" and words_[0] == "networks.conf":
                vbox_networks.networks_conf(section[1], words_[1:])
            elif section[0] == "host":
                if words_[0] not in ("VBoxManage", "vboxmanage"):
                    raise ValueError("a host PC's section holds VBoxManage commands (and "
                                     "networks.conf lines), not %s" % shown(words_[0]))
                made = vboxmanage.apply(section[1], words_[1:], number)
                if words_[1:2] == ["createvm"]:
                    unique_vm_name(names, made)
            else:
                guest_line(section[1], words_, number)
        except ValueError as e:
            raise LabFileError(path, number, str(e)) from None
    check(spec)
    return spec


def open_section(spec, text, number):
    name = text.strip("[]").split()
    if not text.endswith("]") or not name:
        raise ValueError("%s: a section is [host1], [host2] or [guest NAME]" % text)
    if name[0] in HOST_PCS and len(name) == 1:
        return "host", spec.hosts.setdefault(name[0], HostPc(name[0]))
    if name[0] == "guest" and len(name) == 2:
        vm = spec.vm(name[1])
        if vm is None:
            raise ValueError("[guest %s]: no VM of that name (createvm --name %s in a host's "
                             "section first)" % (name[1], name[1]))
        vm.guest.line = vm.guest.line or number
        return "guest", vm
    raise ValueError("%s: a section is [%s] or [guest NAME]" % (text, "], [".join(HOST_PCS)))


def unique_vm_name(names, vm):
    """A node of the lab has one name across the host PCs; the lab builds FILE_VMS VMs at
    most, refused at the first one too many (before the file is read further)."""
    other = names.setdefault(vm.name, vm)
    if other is not vm and other.host != vm.host:
        raise ValueError("createvm --name %s: %s has a VM of that name (line %d)" % (
            vm.name, other.host, other.line))
    if len(names) > FILE_VMS:
        raise ValueError("more than %d VMs: the lab numbers a lab file's VMs in one byte "
                         "of their MACs" % FILE_VMS)


def guest_line(vm, words, number):
    """eth1 address 192.168.56.10/24 [gateway 192.168.56.1] | eth1 address
    2001:db8:56::10/64 [gateway 2001:db8:56::1] | eth0 dhcp | forward | masquerade eth0 |
    dhcp-server eth1 FIRST LAST"""
    guest, interfaces = vm.guest, {a.interface for a in vm.attached()}

    def interface(name):
        if name not in interfaces:
            raise ValueError("%s: %s has %s" % (name, vm.name, ", ".join(sorted(interfaces))
                                                or "no adapter"))
        return name

    head, rest = words[0], words[1:]
    if head == "forward" and not rest:
        guest.forwarding = True
    elif head == "masquerade" and len(rest) == 1:
        guest.masquerade += (interface(rest[0]),)
    elif head == "dhcp-server" and len(rest) == 3:
        first, last = (vbox_values.address("dhcp-server", a) for a in rest[1:])
        guest.dhcp_servers[interface(rest[0])] = (first, last)
    elif head.startswith("eth") and rest == ["dhcp"]:
        guest.interfaces[interface(head)] = GuestInterface()
    elif head.startswith("eth") and len(rest) in (2, 4) and rest[0] == "address":
        try:
            net = ipaddress.ip_interface(rest[1])
        except ValueError:
            raise ValueError("%s address %s: write ADDRESS/PREFIX" % (head, rest[1])) from None
        gateway = None
        if len(rest) == 4:
            if rest[2] != "gateway":
                raise ValueError("%s: after the address comes gateway ADDRESS" % head)
            try:
                gateway = ipaddress.ip_address(rest[3])
            except ValueError:
                raise ValueError("--gateway %s: not an IP address" % rest[3]) from None
            if gateway.version != net.version or gateway not in net.network:
                raise ValueError("gateway %s is not on %s's network %s" % (gateway, head,
                                                                          net.network))
            gateway = str(gateway)
        fixed = guest.interfaces.setdefault(interface(head), GuestInterface())
        if net.version == 6:  # beside its IPv4 (DHCP's, or a line of its own)
            fixed.address6, fixed.gateway6 = str(net), gateway
        else:
            fixed.address, fixed.gateway = str(net), gateway
    else:
        raise ValueError("a guest's line is ethN dhcp, ethN address A/P [gateway G], forward, "
                         "masquerade ethN or dhcp-server ethN FIRST LAST; not %r" % " ".join(
                             words))


def check(spec):
    """What only the whole file shows: an adapter naming a network that was never made, two
    forwards on one host port, more VMs than the lab numbers."""
    if not spec.vms():
        raise LabFileError(spec.path, 0, "no VM: createvm --name NAME in a [host1] section")
    for host in spec.hosts.values():
        networks(spec, host)
        taken = {}
        for net in host.natnetworks.values():
            for f in net.forwards:
                claim_port(spec, host, taken, f, net.line, "NAT network %s" % net.name)
        for vm in host.vms.values():
            check_guest(spec, vm)
            for adapter in vm.attached():
                check_adapter(spec, host, vm, adapter)
                for f in adapter.forwards:
                    claim_port(spec, host, taken, f, adapter.line, "%s's adapter %d" % (
                        vm.name, adapter.slot))


def networks(spec, host):
    """A host's own networks overlap neither the LAN, nor the internet, nor each other: the
    host PC could not route to both."""
    seen = dict((name, (net, 0)) for name, net in TAKEN.items())
    mine = [("host-only interface %s" % i.name, i.network(), i.line)
            for i in host.hostonly.values()] + [
        ("NAT network %s" % n.name, ipaddress.ip_network(n.network), n.line)
        for n in host.natnetworks.values()]
    for name, net, line in mine:
        clash = next((o for o, (other, _) in seen.items() if net.overlaps(other)), None)
        if clash:
            raise LabFileError(spec.path, line, "%s (%s) overlaps %s (%s) on %s" % (
                name, net, clash, seen[clash][0], host.name))
        seen[name] = (net, line)


def check_guest(spec, vm):
    """A guest's DHCP server hands out its own network's addresses, from a fixed address."""
    for interface, (first, last) in vm.guest.dhcp_servers.items():
        fixed = vm.guest.interfaces.get(interface)
        if not fixed or not fixed.address:
            raise LabFileError(spec.path, vm.guest.line, "[guest %s] dhcp-server %s: give %s "
                               "a fixed address first (%s address A/P)" % (
                                   vm.name, interface, interface, interface))
        net = ipaddress.ip_interface(fixed.address).network
        if not all(ipaddress.IPv4Address(a) in net for a in (first, last)):
            raise LabFileError(spec.path, vm.guest.line, "[guest %s] dhcp-server %s: %s-%s "
                               "is not within %s" % (vm.name, interface, first, last, net))
    if len(vm.guest.masquerade) > 1:
        raise LabFileError(spec.path, vm.guest.line, "[guest %s]: masquerade out of one "
                           "interface (the lab's router guests have one way out)" % vm.name)


def check_adapter(spec, host, vm, adapter):
    def fail(message):
        raise LabFileError(spec.path, adapter.line, "%s adapter %d: %s" % (
            vm.name, adapter.slot, message))

    kind = KINDS[adapter.kind]
    if adapter.forwards and kind.name != "nat":
        fail("port forwards (--natpf%d) need --nic%d nat" % (adapter.slot, adapter.slot))
    if kind.networks is not None and adapter.network not in kind.networks(host):
        fail("%s %r does not exist on %s (%s)" % (kind.what, adapter.network, host.name,
                                                  kind.made_by))
    subnet = kind.subnet(host, adapter)
    for name, net in TAKEN.items() if kind.scope == OWN else ():
        if subnet.overlaps(net):
            fail("--natnet%d %s overlaps %s (%s): its guest could not reach that network "
                 "through the NAT" % (adapter.slot, subnet, name, net))
    fixed = vm.guest.interfaces.get(adapter.interface)
    if fixed and fixed.address and subnet and ipaddress.ip_interface(
            fixed.address).ip not in subnet:
        raise LabFileError(spec.path, vm.guest.line, "[guest %s] %s address %s is not on %s's "
                           "network %s: nothing there would answer it" % (
                               vm.name, adapter.interface, fixed.address,
                               adapter.network or kind.name, subnet))


def claim_port(spec, host, taken, forward, line, owner):
    key = (forward.proto, forward.host_port)
    if key in taken:
        raise LabFileError(spec.path, line, "%s: %s port %d of %s is forwarded already (by %s)"
                           % (owner, forward.proto, forward.host_port, host.name, taken[key]))
    taken[key] = owner
