"""A virtual router's IPv6, as VirtualBox's NAT network gives it with `--ipv6 on`. Pure Python.

VirtualBox 7.0 (src/VBox/NetworkServices/NAT, read for this):
- the network's prefix is a /64 (`RouterConfig.ipv6_prefix`); the NAT service is `prefix::1`
  and a link-local address, and answers Neighbor Solicitations and pings for both (lwIP);
- it advertises the prefix (on-link, autonomous, infinite lifetimes) with its link-layer
  address, 3 s after it starts, twice more 16 s apart, then every 600 s, and at once to a
  Router Solicitation, always to all nodes (proxy_rtadvd.c); no RDNSS, no DHCPv6;
- its router lifetime is 1200 s with `--ipv6-default on`, else 0: the guests form addresses
  but get no default route;
- a guest's IPv6 to elsewhere leaves through the host's own IPv6 sockets (pxtcp, pxudp,
  pxping): the far end sees the host's address. Here the router hands such packets to the
  host PC, whose own stack sends them on as its own (topos.run.host_sockets); the NAT
  engines, being IPv4's, take no part.
Every frame here has passed the gate, both halves (controllers.vm_ports, ipv6_gate): its
source addresses are the VM's own.
"""

import ipaddress
import struct

from controllers.checksum import l4_checksum
from controllers.frame_ipv6 import ECHO_REPLY, ECHO_REQUEST, ETH_IPV6, ICMPV6, NA, NS, RA, RS
from controllers.rules import CONTROLLER, DecTtl, Flow, Output, PacketOut, SetField
from plan.addressing import link_local

ALL_NODES, ALL_NODES_MAC = "ff02::1", "33:33:00:00:00:01"
ROUTER_LIFETIME = 1200  # seconds, with --ipv6-default on (proxy_rtadvd.c)
RA_SCHEDULE = (3.0, 16.0, 16.0)  # seconds before the first advertisements; then RA_EVERY
RA_EVERY = 600.0
INFINITE = 0xFFFFFFFF
PRIO_IPV6 = 4  # above the host PC's own pass-through, below the ARP copy
COOKIE_IPV6 = 0xB6 << 56  # the owner byte of the flows this module installs
IDLE = 60  # seconds a forwarding flow lives without traffic
ASK_EVERY = 2.0  # seconds between solicitations for a forward's guest nobody holds yet


def _mac(text):
    return bytes.fromhex(text.replace(":", ""))


def icmp6_frame(src_mac, dst_mac, src, dst, body):
    """An Ethernet frame carrying ICMPv6 `body` (type onwards), hop limit 255, checksummed."""
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    checksum = l4_checksum(s, d, ICMPV6, body[:2] + b"\0\0" + body[4:])
    body = body[:2] + struct.pack("!H", checksum) + body[4:]
    header = struct.pack("!IHBB", 6 << 28, len(body), ICMPV6, 255) + s + d
    return _mac(dst_mac) + _mac(src_mac) + struct.pack("!H", ETH_IPV6) + header + body


class Ipv6Router:
    def __init__(self, cfg, gate, mac_of):
        self.cfg = cfg
        self.gate = gate  # controllers.ipv6_gate.Ipv6Gate: which VM port holds an address
        self.mac_of = mac_of  # VM port -> its MAC
        self.prefix = ipaddress.ip_network(cfg.ipv6_prefix)
        self.link_local = link_local(cfg.gateway_mac)
        self.address = str(self.prefix.network_address + 1)
        self.own = {self.link_local, self.address}
        gate.own |= self.own
        self.next_ra, self.sent_ra = None, 0  # the first is RA_SCHEDULE[0] after the first tick
        self.asked = {}  # a forward's guest address -> when it was last solicited

    def connected(self):
        """What comes from the host PC for the VMs (to the gateway's MAC) is the router's."""
        c = self.cfg
        # ... and what is for the router itself, above the flows that send a VM's packets on
        # to the host PC (from_vm: they match the VM's source, whatever the destination)
        return [Flow(PRIO_IPV6, {"in_port": c.host_port, "eth_type": ETH_IPV6,
                                 "eth_dst": c.gateway_mac}, (Output(CONTROLLER),))] + [
            Flow(PRIO_IPV6 + 2, {"eth_type": ETH_IPV6, "ipv6_dst": address},
                 (Output(CONTROLLER),)) for address in sorted(self.own)]

    # --- advertisements ---
    def advertisement(self):
        c = self.cfg
        lifetime = ROUTER_LIFETIME if c.ipv6_default else 0
        body = struct.pack("!BBHBBHII", RA, 0, 0, 64, 0, lifetime, 0, 0)
        body += b"\x01\x01" + _mac(c.gateway_mac)  # source link-layer address
        body += struct.pack("!BBBBIII", 3, 4, self.prefix.prefixlen, 0xC0, INFINITE,
                            INFINITE, 0) + self.prefix.network_address.packed
        return icmp6_frame(c.gateway_mac, ALL_NODES_MAC, self.link_local, ALL_NODES, body)

    def tick(self, now):
        rules = self.ask(now)
        if self.next_ra is None:
            self.next_ra = now + RA_SCHEDULE[0]
        if now < self.next_ra:
            return rules
        self.sent_ra += 1
        wait = (RA_SCHEDULE[self.sent_ra] if self.sent_ra < len(RA_SCHEDULE) else RA_EVERY)
        self.next_ra = now + wait
        return rules + [self.to_vms(self.advertisement())]

    def ask(self, now):
        """A Neighbor Solicitation for each IPv6 forward's guest address no VM holds yet
        (its answer tells the gate where it is), as the IPv4 side asks by ARP
        (controllers.virtual_router): a client's first packet then finds it."""
        rules = []
        for address in sorted({f[3] for f in self.cfg.ipv6_forwards}):
            if address in self.gate.holder or now < self.asked.get(address, -ASK_EVERY) + (
                    ASK_EVERY):
                continue
            self.asked[address] = now
            rules.append(self.to_vms(self.solicitation(address)))
        return rules

    def solicitation(self, target):
        c = self.cfg
        packed = ipaddress.IPv6Address(target).packed
        group = "ff02::1:ff%02x:%02x%02x" % tuple(packed[13:])
        body = struct.pack("!BBHI", NS, 0, 0, 0) + packed + b"\x01\x01" + _mac(c.gateway_mac)
        return icmp6_frame(c.gateway_mac, "33:33:ff:%02x:%02x:%02x" % tuple(packed[13:]),
                           self.link_local, group, body)

    def to_vms(self, frame, ports=None):
        ports = self.cfg.vm_ports if ports is None else ports
        return PacketOut(CONTROLLER, tuple(Output(p) for p in ports), frame)

    # --- a VM's frame (past the gate), or the host PC's for a VM ---
    def from_vm(self, in_port, frame, now):
        """The rules for an IPv6 frame from a VM, or None when it is not the router's (a
        frame for another VM: the learning switch's)."""
        c, ip, icmp = self.cfg, frame.ip6, frame.icmp6
        if icmp is not None and icmp.type == RS:
            return [self.to_vms(self.advertisement())]
        if icmp is not None and icmp.type == NS and icmp.target in self.own:
            return [self.to_vms(self.neighbor_advertisement(frame), (in_port,))]
        if frame.dst != c.gateway_mac:
            return None
        if ip.dst in self.own:
            if icmp is not None and icmp.type == ECHO_REQUEST and not ip.extensions:
                return [self.to_vms(self.echo_reply(frame), (in_port,))]
            return []
        if ip.fragment or ip.dst.startswith("fe80:") or ip.dst.startswith("ff"):
            return []  # not routed: a link's own, or a fragment the host would not get whole
        if ipaddress.ip_address(ip.dst) in self.prefix:
            return []  # the VMs reach each other directly
        if ip.hop_limit <= 1:
            return []
        # on to the host PC's own stack, which sends it as its own (VirtualBox's sockets)
        match = {"in_port": in_port, "eth_type": ETH_IPV6, "eth_src": frame.src,
                 "eth_dst": c.gateway_mac, "ipv6_src": ip.src}
        actions = (SetField("eth_src", c.gateway_mac), SetField("eth_dst", c.outside_mac),
                   DecTtl(), Output(c.host_port))
        return [Flow(PRIO_IPV6, match, actions, idle_timeout=IDLE, cookie=COOKIE_IPV6),
                PacketOut(in_port, actions, frame.data)]

    def from_host(self, frame, now):
        """The host PC's answer for a VM (it holds the address): on to the VM's port. None:
        not for the router (the host PC's own frame for the LAN)."""
        c, ip = self.cfg, frame.ip6
        if frame.dst != c.gateway_mac:
            return None
        if ip.hop_limit <= 1:
            return []
        port = self.gate.holder.get(ip.dst)
        if port is None:
            return []
        match = {"in_port": c.host_port, "eth_type": ETH_IPV6, "eth_dst": c.gateway_mac,
                 "ipv6_dst": ip.dst}
        actions = (SetField("eth_src", c.gateway_mac), SetField("eth_dst", self.mac_of(port)),
                   DecTtl(), Output(port))
        return [Flow(PRIO_IPV6 + 1, match, actions, idle_timeout=IDLE, cookie=COOKIE_IPV6),
                PacketOut(c.host_port, actions, frame.data)]

    # --- the router's own answers ---
    def neighbor_advertisement(self, frame):
        c, ip, target = self.cfg, frame.ip6, frame.icmp6.target
        solicited = ip.src != "::"  # an address detection's answer goes to all nodes
        flags = 0xE0000000 if solicited else 0xA0000000  # router, (solicited,) override
        body = struct.pack("!BBHI", NA, 0, 0, flags) + ipaddress.IPv6Address(target).packed
        body += b"\x02\x01" + _mac(c.gateway_mac)  # target link-layer address
        dst, dst_mac = (ip.src, frame.src) if solicited else (ALL_NODES, ALL_NODES_MAC)
        return icmp6_frame(c.gateway_mac, dst_mac, target, dst, body)

    def echo_reply(self, frame):
        """The answer to an echo request with no extension headers (its ICMPv6 at byte 54)."""
        ip = frame.ip6
        body = bytes([ECHO_REPLY, 0]) + frame.data[56:54 + ip.payload_length]
        return icmp6_frame(self.cfg.gateway_mac, frame.src, ip.dst, ip.src, body)
