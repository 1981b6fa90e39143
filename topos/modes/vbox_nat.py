"""What a lab file's NAT gives its guests besides the translation, as the virtual router's
config takes it (controllers.config.RouterConfig): name service, the host's loopback, the
TFTP boot file, the DNS domain. Pure Python."""

from controllers import config
from plan.addressing import R1_LAN_IP, natnet_dhcp_ip, natnet_loopback_ip, pc_ip
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
        return dict(dns_servers=(R1_LAN_IP,), host_loopback=True,
                    loopback_ip=natnet_loopback_ip(box.network, net.loopback),
                    dhcp_server_ip=natnet_dhcp_ip(box.network))
    adapter = box.members[0][1]
    alias = config.nat_dns_ip(box.network)
    return dict(dns_servers=(alias,), dns_alias=alias,
                dns_target=config.dns_target(dns_mode(adapter), pc_ip(pc)),
                tftp_ip=config.tftp_ip(box.network), boot_file=boot_file(*box.members[0]),
                tftp_target=(pc_ip(pc), config.TFTP_PORT),
                host_loopback=adapter.localhostreachable, dns_domain=dns_domain(adapter))
