"""The virtual router's DHCP leases: a pure state machine (no packets, no clock of its own).

Addresses are handed out from `first` upwards (10.0.2.15, .16, ... as VirtualBox
does), reserved ones to their MAC only; an expired or released address is free again.
"""

import ipaddress
from dataclasses import dataclass


@dataclass
class Lease:
    mac: str
    ip: str
    expires: float
    bound: bool  # False while only offered


class LeasePool:
    def __init__(self, first, size, lease_time=3600, reserved=None, offer_time=30):
        start = ipaddress.IPv4Address(first)
        self.addresses = [str(start + i) for i in range(size)]
        self.lease_time = lease_time
        self.offer_time = offer_time
        self.reserved = dict(reserved or {})  # mac -> ip
        self.leases = {}  # ip -> Lease

    def expire(self, now):
        for ip in [ip for ip, lease in self.leases.items() if lease.expires <= now]:
            del self.leases[ip]

    def owner(self, ip, now):
        """The MAC that holds `ip` by a bound, unexpired lease (None otherwise)."""
        lease = self.leases.get(ip)
        if lease and lease.bound and lease.expires > now:
            return lease.mac
        return None

    def address_of(self, mac, now):
        """The address `mac` holds by a bound, unexpired lease (None otherwise)."""
        return next((lease.ip for lease in self.leases.values() if lease.mac == mac
                     and lease.bound and lease.expires > now), None)

    def holds(self, mac):
        """Does `mac` hold an address (offered or bound)?"""
        return any(lease.mac == mac for lease in self.leases.values())

    def _free_for(self, ip, mac):
        if ip not in self.addresses:
            return False
        if ip in self.reserved.values() and self.reserved.get(mac) != ip:
            return False
        lease = self.leases.get(ip)
        return lease is None or lease.mac == mac

    def _current(self, mac):
        return next((lease.ip for lease in self.leases.values() if lease.mac == mac), None)

    def offer(self, mac, now, requested=None):
        """The address to offer `mac` (None: the pool is exhausted)."""
        self.expire(now)
        candidates = [self.reserved.get(mac), self._current(mac), requested] + self.addresses
        ip = next((c for c in candidates if c and self._free_for(c, mac)), None)
        if ip is None:
            return None
        if self._current(mac) not in (None, ip):
            del self.leases[self._current(mac)]
        if ip not in self.leases:
            self.leases[ip] = Lease(mac, ip, now + self.offer_time, bound=False)
        return ip

    def request(self, mac, ip, now):
        """ACK (the lease time) or NAK (None) for `mac` asking to use `ip`."""
        self.expire(now)
        if not ip or not self._free_for(ip, mac):
            return None
        current = self._current(mac)
        if current not in (None, ip):
            del self.leases[current]
        self.leases[ip] = Lease(mac, ip, now + self.lease_time, bound=True)
        return self.lease_time

    def release(self, mac, ip):
        lease = self.leases.get(ip)
        if lease and lease.mac == mac:
            del self.leases[ip]
