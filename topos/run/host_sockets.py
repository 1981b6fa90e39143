"""VirtualBox's NAT is the host's own sockets; a host PC's netfilter stands for them.

In VirtualBox a NAT engine is a program on the host: a port forward is a socket listening
on the host's addresses (all of them, or the one the rule names), and what a NAT VM sends
leaves through the host's own stack. The lab's NAT is a virtual router in front of the
host PC (controllers/): it takes what comes from the LAN, and hands the host PC what a VM
sends to the host's addresses and networks (controllers.config.RouterConfig.for_host).
What only the host's stack can see is done here, in the host PC's own namespace:

  - a forward answers at every host address (127.0.0.1 and the LAN's included), or at
    127.0.0.1 alone when its rule names it: the host's connection is sent on to the NAT's
    gateway, where the virtual router forwards it to the guest;
  - a connection from the host's loopback reaches the guest from the address VirtualBox
    shows for it (plain NAT's 10.0.2.2, a NAT network's loopback mapping): never from
    127.0.0.1, which the guest could not answer;
  - a NAT VM's connection to a host address at a forwarded port (another VM's forward, a
    Vagrant multi-machine's `db` reaching `app` at host1:8080) takes that forward, and the
    guest behind it sees the host's own address, as a host socket's peer;
  - a NAT VM's packet for a network of the host (a host-only network) goes on into it
    from the host's address there (it masquerades), as the host's socket would send it.

  - a NAT network's IPv6 (--ipv6 on): what a VM sends beyond its /64 reaches the host PC,
    which sends it on as its own (masqueraded to its own IPv6 address): VirtualBox's NAT
    service opens the host's IPv6 sockets for it (pxtcp, pxudp, pxping). The way back is a
    route to the /64 through the NAT's link-local address.

Nothing else is forwarded: a host PC is no router (the LAN's packets to the VMs behind it
are dropped, the contract's claim 5).
"""

from dataclasses import dataclass
from typing import Tuple

from plan.addressing import link_local

LOOPBACK_NET = "127.0.0.0/8"


@dataclass(frozen=True)
class HostForward:
    """A port forward as the host sees it: (proto, port) on the host's addresses, sent on
    to the NAT's `gateway` (its virtual router), a loopback client shown as `loopback`."""

    proto: str
    port: int
    gateway: str
    loopback: str
    loopback_only: bool = False  # the rule names 127.0.0.1


@dataclass(frozen=True)
class HostIpv6:
    """A NAT network's IPv6 as its host PC sees it: the VMs' /64 behind the NAT's
    link-local address (`gateway`, at `gateway_mac`)."""

    prefix: str
    gateway: str
    gateway_mac: str


@dataclass(frozen=True)
class HostSockets:
    outside: str  # the host's card towards its NATs and the LAN (eth0)
    forwards: Tuple[HostForward, ...] = ()
    host_only: Tuple[str, ...] = ()  # the host's own networks' interfaces (vboxnetN)
    gateway_mac: str = ""  # the NATs' MAC: whose packets may go on into a host network
    nat_gateways: Tuple[str, ...] = ()  # the NATs' gateway addresses (their VMs' source)
    ipv6: Tuple[HostIpv6, ...] = ()  # the NAT networks with IPv6 on
    # their IPv6 forwards: (proto, host IP or "" for every host address, host port, guest
    # IP, guest port)
    forwards6: Tuple[Tuple, ...] = ()

    def sysctls(self):
        o = self.outside
        # forwarding IPv6 would end taking router advertisements (2: take them all the same)
        v6 = [("net.ipv6.conf.%s.accept_ra" % o, 2), ("net.ipv6.conf.all.forwarding", 1)]
        return (v6 if self.ipv6 else []) + [
            ("net.ipv4.ip_forward", 1),
            # a forward's connection goes back out of the card it came in by: no redirects
            ("net.ipv4.conf.all.send_redirects", 0),
            ("net.ipv4.conf.%s.send_redirects" % o, 0),
            # an answer to a loopback client comes back to 127.0.0.1 through the card
            ("net.ipv4.conf.%s.route_localnet" % o, 1),
        ]

    def iptables(self):
        """iptables arguments, in order."""
        o, rules = self.outside, []
        for f in self.forwards:
            to = "-j DNAT --to-destination %s:%d" % (f.gateway, f.port)
            where = "-d 127.0.0.1" if f.loopback_only else "-m addrtype --dst-type LOCAL"
            rules.append("-t nat -A OUTPUT -p %s %s --dport %d %s" % (f.proto, where, f.port,
                                                                        to))
            if not f.loopback_only:
                rules.append("-t nat -A PREROUTING ! -i lo -p %s -m addrtype --dst-type LOCAL "
                             "--dport %d %s" % (f.proto, f.port, to))
            rules.append("-t nat -A POSTROUTING -o %s -s %s -d %s -p %s --dport %d -j SNAT "
                         "--to-source %s" % (o, LOOPBACK_NET, f.gateway, f.proto, f.port,
                                             f.loopback))
        for gateway in self.nat_gateways:  # a NAT VM at a forward: from the host's address
            rules.append("-t nat -A POSTROUTING -o %s -s %s -m conntrack --ctstate DNAT "
                         "-j MASQUERADE" % (o, gateway))
        rules += ["-P FORWARD DROP",
                  "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                  "-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT"]
        for intf in self.host_only:
            rules.append("-A FORWARD -i %s -o %s -m mac --mac-source %s -j ACCEPT" % (
                o, intf, self.gateway_mac))
            rules.append("-t nat -A POSTROUTING -o %s -m conntrack ! --ctstate DNAT "
                         "-m addrtype ! --src-type LOCAL -j MASQUERADE" % intf)
        return rules


    def commands(self):
        """The way back to each NAT network's IPv6: its /64 through the NAT's address."""
        o, out = self.outside, []
        for net in self.ipv6:
            out.append("ip -6 neigh replace %s lladdr %s dev %s nud permanent" % (
                net.gateway, net.gateway_mac, o))
            out.append("ip -6 route replace %s via %s dev %s" % (net.prefix, net.gateway, o))
        return out

    def ip6tables(self):
        """ip6tables arguments, in order: a NAT network's IPv6 leaves as the host's own."""
        if not self.ipv6:
            return []
        o = self.outside
        rules = ["-P FORWARD DROP",
                 "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                 # out by the card it came in by: no redirect (the guests' router is the NAT)
                 "-A OUTPUT -o %s -p ipv6-icmp --icmpv6-type redirect -j DROP" % o]
        rules.append("-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT")
        for proto, host_ip, port, guest_ip, guest_port in self.forwards6:
            to = "-j DNAT --to-destination [%s]:%d" % (guest_ip, guest_port)
            where = "-d %s" % host_ip if host_ip else "-m addrtype --dst-type LOCAL"
            rules.append("-t nat -A PREROUTING ! -i lo -p %s %s --dport %d %s" % (
                proto, where, port, to))
            rules.append("-t nat -A OUTPUT -p %s %s --dport %d %s" % (proto, where, port, to))
        for net in self.ipv6:
            # out of any card (the LAN, a host-only network), from the host's own address
            rules.append("-A FORWARD -i %s -s %s -m mac --mac-source %s -j ACCEPT" % (
                o, net.prefix, net.gateway_mac))
            rules.append("-t nat -A POSTROUTING -s %s -j MASQUERADE" % net.prefix)
            # the host itself has no way in but a forward (VirtualBox's host has no route)
            rules.append("-A OUTPUT -d %s -m conntrack --ctstate NEW -m conntrack ! --ctstate "
                         "DNAT -j REJECT" % net.prefix)
        return rules


def of_host(routers, outside="eth0", host_only=()):
    """A host PC's sockets from its NATs (controllers.config.RouterConfig, all of one host
    PC), or None when it has no NAT."""
    if not routers:
        return None
    forwards = tuple(HostForward(f.proto, f.outside_port, r.gateway_ip, r.loopback_address,
                                 not f.from_lan) for r in routers for f in r.forwards)
    gateways = tuple(sorted({r.gateway_ip for r in routers}))
    ipv6 = tuple(HostIpv6(r.ipv6_prefix, link_local(r.gateway_mac), r.gateway_mac)
                 for r in routers if r.ipv6_prefix)
    forwards6 = tuple(f for r in routers if r.ipv6_prefix for f in r.ipv6_forwards)
    return HostSockets(outside, forwards, tuple(host_only), routers[0].gateway_mac, gateways,
                       ipv6, forwards6)
