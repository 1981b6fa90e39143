"""The virtual router's DHCP server. Pure Python.

What reaches it has passed the router's gate (controllers.vm_ports): a VM port's frames carry
its adapter's MAC and never a group, all-zero or router MAC. A DHCP message whose client
address is not the frame's source is ignored, so only a port's own adapter leases, releases
or declines; and one port holds at most CLIENTS_PER_PORT clients (defence in depth: a port
the gate lets carry one MAC cannot empty the pool).
"""

import ipaddress
import logging
import socket

from controllers import packets
from controllers.leases import Lease, LeasePool
from controllers.rules import CONTROLLER, Output, PacketOut

log = logging.getLogger("vmnet.dhcp")

DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE = 1, 2, 3, 4, 5, 6, 7
OPT_MASK, OPT_ROUTER, OPT_REQUESTED, OPT_LEASE, OPT_TYPE, OPT_SERVER = 1, 3, 50, 51, 53, 54
OPT_DNS, OPT_DOMAIN = 6, 15
CLIENTS_PER_PORT = 2  # DHCP clients (offers or leases) one VM port may hold


class DhcpServer:
    def __init__(self, cfg, drops):
        self.cfg = cfg
        self.drops = drops
        self.netmask = str(ipaddress.ip_network(cfg.inside_net).netmask)
        self.leases = LeasePool(cfg.dhcp_first, cfg.dhcp_size, cfg.lease_time, cfg.reserved)
        self.vm_port = {}  # VM MAC -> the port it leased from
        self.client_port = {}  # DHCP client MAC -> the port it asked from
        self.changed = False  # the leases changed since the state was last read

    # --- which port a lease was taken from (its rows show it) ---
    def bind(self, mac, port):
        self.vm_port[mac] = port

    def unbind(self, mac):
        self.vm_port.pop(mac, None)

    def address_of(self, mac, now):
        """The address `mac` holds by a bound lease, or None."""
        return self.leases.address_of(mac, now) if mac else None

    # --- messages ---
    def message(self, request, src_mac, in_port, now):
        """Answer one DHCP message (controllers.frame.Dhcp) from a VM port: a list of rules
        (the answer's packet-out)."""
        if request.op != 1:
            return []
        options = request.options
        kind = options.get(OPT_TYPE, b"\0")[0]
        mac = request.chaddr
        if mac != src_mac:
            self.drops.drop("DHCP whose client address is not the frame's source")
            return []
        if kind in (DISCOVER, REQUEST) and mac not in self.client_port:
            if sum(1 for port in self.client_port.values() if port == in_port) >= (
                    CLIENTS_PER_PORT):
                self.drops.drop("DHCP: a port asking for more than %d clients" %
                                CLIENTS_PER_PORT)
                return []
            self.client_port[mac] = in_port
        asked = options.get(OPT_REQUESTED)
        asked = socket.inet_ntoa(asked) if asked else None
        server = options.get(OPT_SERVER)
        if server and socket.inet_ntoa(server) != self.cfg.dhcp_server_address:
            if kind == REQUEST:
                self.leases.release(mac, asked)  # the client chose another server
            return []
        if kind == DISCOVER:
            ip = self.leases.offer(mac, now, asked)
            if ip is None:
                self.drops.drop("DHCP pool exhausted: no offer")
                return []
            return [self.reply(request, OFFER, ip, in_port)]
        if kind == REQUEST:
            ip = asked or request.ciaddr
            if self.leases.request(mac, ip, now) is None:
                log.info("%s: DHCP NAK %s for %s", self.cfg.name, ip, mac)
                return [self.reply(request, NAK, "0.0.0.0", in_port)]
            log.info("%s: DHCP lease %s to %s", self.cfg.name, ip, mac)
            self.bind(mac, in_port)
            self.changed = True
            return [self.reply(request, ACK, ip, in_port)]
        if kind in (RELEASE, DECLINE) and self.vm_port.get(mac, in_port) == in_port:
            ip = request.ciaddr if kind == RELEASE else asked
            self.leases.release(mac, ip)
            if not self.leases.holds(mac):
                self.unbind(mac)
            log.info("%s: DHCP %s %s by %s", self.cfg.name,
                     "release" if kind == RELEASE else "decline", ip, mac)
            self.changed = True
        return []

    def reply(self, request, kind, ip, port):
        c = self.cfg
        options = [(OPT_TYPE, bytes([kind])),
                   (OPT_SERVER, socket.inet_aton(c.dhcp_server_address))]
        if kind != NAK:
            options += [(OPT_LEASE, c.lease_time.to_bytes(4, "big")),
                        (OPT_MASK, socket.inet_aton(self.netmask)),
                        (OPT_ROUTER, socket.inet_aton(c.gateway_ip))]
            if c.dns_servers:
                options.append((OPT_DNS, b"".join(socket.inet_aton(s) for s in c.dns_servers)))
            if c.dns_domain:  # the guest's search domain (VirtualBox's --natdnspassdomain)
                options.append((OPT_DOMAIN, c.dns_domain.encode("ascii")))
        boot = kind != NAK and c.boot_file  # PXE: VirtualBox's --nattftpfileN, from its .4
        frame = packets.dhcp_reply(request, options, ip, c.dhcp_server_address, c.gateway_mac,
                                   c.tftp_ip if boot else None, c.boot_file if boot else "")
        return PacketOut(CONTROLLER, (Output(port),), frame)

    # --- time, and memory across a controller restart ---
    def tick(self, now):
        self.leases.expire(now)
        for mac in [m for m in self.vm_port if not self.leases.holds(m)]:
            self.unbind(mac)
        for mac in [m for m in self.client_port if not self.leases.holds(m)]:
            del self.client_port[mac]

    def rows(self, now):
        """Bound leases, as the state file keeps them."""
        return [{"mac": lease.mac, "ip": lease.ip, "expires_in": round(lease.expires - now),
                 "expires": lease.expires, "port": self.vm_port.get(lease.mac)}
                for lease in self.leases.leases.values() if lease.bound]

    def restore(self, rows, now):
        """Leases (and the ports they bind) a previous controller kept, as a DHCP server
        keeps its lease file."""
        for row in rows:
            expires = row.get("expires")
            if not expires or expires <= now or row.get("ip") not in self.leases.addresses:
                continue
            self.leases.leases[row["ip"]] = Lease(row["mac"], row["ip"], expires, bound=True)
            if row.get("port") is not None:
                self.bind(row["mac"], row["port"])
                self.client_port[row["mac"]] = row["port"]
