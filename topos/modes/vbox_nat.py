"""A lab file's NATs as the virtual routers' config takes them
(controllers.config.RouterConfig), with what they give their guests besides the translation:
name service, the host's loopback, the TFTP boot file, the DNS domain, a NAT network's IPv6.
Pure Python."""

from controllers import config
from controllers.port_forward import Forward
from plan.addressing import (
    FIRST_VM_PORT,
    HOST_PCS,
    NAT_PORTS,
    PCS,
    R1_LAN_IP,
    nat_vm_ip,
    natnet_dhcp_ip,
    natnet_loopback_ip,
    pc_ip,
    pc_mac,
)
from plan.names import HOME_DOMAIN


def dns_mode(adapter):
    """How a NAT adapter's name server answers (controllers.config.dns_mode)."""
    return config.dns_mode(adapter.dns_proxy, adapter.dns_host_resolver)


def boot_file(vm, adapter):
    """The boot file a NAT adapter's DHCP names: --nattftpfileN, else VirtualBox's VMNAME.pxe."""
    return adapter.tftp_file or "%s.pxe" % vm.name


def dns_domain(adapter):
    """The domain a NAT adapter's DHCP passes its guest (option 15), or None. VirtualBox's
    NAT passes the host's own (its resolv.conf's domain, else its first search domain): a
    host PC's is the one r1's DHCP gives it. None with --natdnspassdomainN off, and none
    with the host resolver: VirtualBox's NAT engine then passes no domain (slirp_init)."""
    if adapter.dns_pass_domain and dns_mode(adapter) != config.DNS_HOST_RESOLVER:
        return HOME_DOMAIN
    return None


def nat_services(spec, pc, box):
    """A NAT's name service and loopback (docs/names.md): a NAT adapter's name server is
    its own .3, answering as its switches say, and its DHCP passes the host's domain; a
    NAT network offers the host's name server."""
    if box.key[0] != "nat":  # a NAT network: the host's 127.0.0.1 mapped, DHCP at .3
        net = spec.hosts[pc].natnetworks[box.key[2]]
        ipv6 = dict(ipv6_prefix=net.ipv6_prefix, ipv6_default=net.ipv6_default,
                    ipv6_forwards=tuple((f.proto, f.host_ip, f.host_port, f.guest_ip,
                                         f.guest_port) for f in net.forwards6)) if (
                                             net.ipv6) else {}
        return dict(dns_servers=(R1_LAN_IP,), host_loopback=True,
                    loopback_ip=natnet_loopback_ip(box.network, net.loopback),
                    dhcp_server_ip=natnet_dhcp_ip(box.network), **ipv6)
    adapter = box.members[0][1]
    alias = config.nat_dns_ip(box.network)
    return dict(dns_servers=(alias,), dns_alias=alias,
                dns_target=config.dns_target(dns_mode(adapter), pc_ip(pc)),
                tftp_ip=config.tftp_ip(box.network), boot_file=boot_file(*box.members[0]),
                tftp_target=(pc_ip(pc), config.TFTP_PORT),
                host_loopback=adapter.localhostreachable, dns_domain=dns_domain(adapter))


def nat_routers(lab, rundir):
    """A lab file's virtual routers (controllers.config.RouterConfig): one per NAT adapter
    (its cable in) and NAT network, the host PC's sharing its outside ports."""
    result = []
    for pc in HOST_PCS:
        boxes = lab.nats[pc]
        first, last = NAT_PORTS
        width = (last - first + 1) // max(1, len(boxes))
        for order, box in enumerate(boxes):
            address = {lab.mac(vm, a): lab.model.address(vm.name, box.key)
                       for vm, a in box.members}
            guest = nat_vm_ip(box.network, 0, natnetwork=box.key[0] == "natnetwork")
            result.append(config.RouterConfig(
                name=box.switch, dpid=box.dpid,
                outside_ip=pc_ip(pc), outside_mac=pc_mac(PCS[pc]),
                inside_net=str(box.network), gateway_ip=box.gateway,
                dhcp_first=guest, dhcp_size=max(1, len(box.members)),
                reserved={m: a for m, a in address.items() if a},
                attached={lab.mac(vm, a): FIRST_VM_PORT + i
                          for i, (vm, a) in enumerate(box.members)},
                vm_ports=tuple(FIRST_VM_PORT + i for i in range(len(box.members))),
                ports=(first + order * width, first + (order + 1) * width - 1),
                engine=lab.options["engine"], host_nets=lab.host_nets(pc),
                forwards=tuple(Forward(f.proto, f.host_port, f.guest_ip or guest,
                                       f.guest_port, from_lan=f.host_ip != "127.0.0.1")
                               for f in box.forwards),
                state_file="%s/natmap-%s.json" % (rundir, box.switch) if rundir else None,
                **nat_services(lab.spec, pc, box)))
    return result
