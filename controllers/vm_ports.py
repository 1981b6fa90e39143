"""The VMs' ports of a virtual router: the one gate every frame from a VM passes, and the
address each VM uses. Pure Python.

VirtualBox's NAT serves an adapter, not a lease: it answers the adapter's MAC, whatever
address the guest gives itself (the manual forwards to a static guest, `--natpf1
"guestssh,tcp,,2222,10.0.2.19,22"`). The router does the same.

The gate (`refuses`), before anything looks at what a frame carries (IPv4, ARP, IPv6, a
fragment, a VLAN tag, any other ethertype):
- a port the lab attached a VM to carries that adapter's MAC and no other;
- a VM port the configuration names without its adapter (a controller started by hand for
  another lab) keeps the first MAC heard on it, as a switch port with sticky port security;
- never a group MAC, the all-zero MAC, the router's own (the gateway's) or the host PC's:
  so neither the learning switch nor the DHCP server ever hears one from a VM;
- a port that is no VM's, nor the uplink or the host PC's, carries nothing.

A VM's address (`address`) is its lease's while it holds one; else the address it last sent
from (a static guest, or a lease that ended: VirtualBox's NAT does not look at leases), as long
as that address is a host of the VMs' network, not the router's own, not leased or reserved to
another VM, and not in use by another port. Both NAT engines take a VM's address from here, so
they treat a static guest and a released lease alike.
"""

import ipaddress

from controllers.learning import is_group

ZERO_MAC = "00:00:00:00:00:00"


class VmPorts:
    def __init__(self, cfg, dhcp):
        self.cfg = cfg
        self.dhcp = dhcp  # controllers.dhcp_server.DhcpServer: the leases
        self.adapter = {port: mac for mac, port in cfg.attached.items()}
        self.sticky = {}  # port -> the MAC it keeps (a VM port without a known adapter)
        self.used = {}  # port -> the address its VM last sent from, without a lease
        self.user = {}  # address -> the port using it (the reverse of `used`)
        self.foreign = {ZERO_MAC, cfg.gateway_mac, cfg.outside_mac}  # never a VM's
        self.inside = ipaddress.ip_network(cfg.inside_net)
        self.own = {cfg.gateway_ip, str(self.inside.network_address),
                    str(self.inside.broadcast_address)} | (
                        {cfg.dns_alias} if cfg.dns_alias else set())
        self.changed = False  # an address came or went since the router last asked

    # --- the gate ---
    def refuses(self, in_port, src):
        """Why a frame with source MAC `src` may not come in on VM port `in_port`; None if
        it may."""
        if in_port not in self.cfg.vm_ports:
            return "a frame from a port that is no VM's"
        if is_group(src):
            return "a group source MAC from a VM port"
        if src in self.foreign:
            return "the router's or host PC's MAC from a VM port"
        mac = self.mac(in_port)
        if mac is None:
            if src in self.adapter.values() or src in self.sticky.values():
                return "port security: a source MAC bound to another port"
            self.sticky[in_port] = mac = src
        if src != mac:
            return "port security: a source MAC that is not the port's adapter's"
        return None

    def mac(self, port):
        """The MAC a VM port carries (None: not known yet)."""
        return self.adapter.get(port) or self.sticky.get(port)

    def port_of(self, mac):
        """The VM port that carries `mac`, or None."""
        port = self.cfg.attached.get(mac)
        if port is None:
            port = next((p for p, m in self.sticky.items() if m == mac), None)
        return port

    def keep(self, port, mac):
        """A port's MAC a previous controller saw (its state file): kept again."""
        if port in self.cfg.vm_ports and self.mac(port) is None and self.port_of(mac) is None:
            self.sticky[port] = mac

    # --- addresses ---
    def uses(self, port, ip, now):
        """Why the VM on `port` may not send from `ip`; None if it may (and `ip` is then its
        address)."""
        leased = self.dhcp.address_of(self.mac(port), now)
        if leased is not None:
            return None if ip == leased else "a VM's source address that is not its lease's"
        if ip in self.own or ipaddress.ip_address(ip) not in self.inside:
            return "a VM's source address that is no host of its network"
        if self.taken(ip, port, now):
            return "a VM's source address another VM holds"
        if self.used.get(port) != ip:
            self.user.pop(self.used.get(port), None)
            self.used[port], self.user[ip] = ip, port
            self.changed = True
        return None

    def taken(self, ip, port, now):
        """Is `ip` leased, reserved, or in use by a VM on another port than `port`?"""
        mac = self.mac(port)
        holder = self.dhcp.leases.owner(ip, now)
        reserved_for = next((m for m, a in self.cfg.reserved.items() if a == ip), None)
        return holder not in (None, mac) or reserved_for not in (None, mac) or (
            self.user.get(ip, port) != port)

    def address(self, port, now):
        """The address of the VM on `port`, or None."""
        mac = self.mac(port)
        leased = self.dhcp.address_of(mac, now)
        if leased is not None:
            return leased
        ip = self.used.get(port)
        if ip is not None and self.dhcp.leases.owner(ip, now) not in (None, mac):
            self.forget(port)  # leased to another VM since: that lease wins
            return None
        return ip

    def forget(self, port):
        ip = self.used.pop(port, None)
        if ip is not None:
            self.user.pop(ip, None)
            self.changed = True

    def owner(self, ip, now):
        """(MAC, port) of the VM whose address `ip` is, or (None, None)."""
        mac = self.dhcp.leases.owner(ip, now)
        port = self.port_of(mac) if mac else self.user.get(ip)
        if port is None or self.address(port, now) != ip:
            return None, None
        return self.mac(port), port

    def vms(self, now):
        """[(MAC, port, address)] of every VM with an address."""
        found = []
        for port in self.cfg.vm_ports:
            ip = self.address(port, now)
            if ip is not None:
                found.append((self.mac(port), port, ip))
        return found
