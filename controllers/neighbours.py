"""The virtual router's neighbours on the LAN: their MACs, learned from ARP only. Pure Python.

What may be learned, and what may replace a known neighbour's MAC:
- A neighbour is learned from an ARP whose sender is the frame's source (the router checks
  that), for a LAN address that is a host's: not host1's own, not the LAN's network or
  broadcast address (a LAN host answering for 192.168.1.255 would get the VMs' broadcasts
  as unicast). Those two are never asked for either: the NAT does not forward a broadcast.
- The router's own MACs (the VMs' gateway MAC, host1's) and group MACs are never a
  neighbour's: a frame with one of them on the LAN is a forgery, or a loop.
- A known address keeps its MAC for HOLD seconds after it was last confirmed (an ARP from
  that MAC): another MAC claiming it then is ignored.
- After that, another MAC's claim does not replace it at once: the router asks the known MAC
  (a unicast ARP request, which only its owner sees) up to TRIES times, INTERVAL apart. An
  answer from it confirms it and the claim is forgotten; no answer at all, and the claimant
  takes the address over (its owner is gone: the LAN's gateway was replaced). So a neighbour
  silent for HOLD, such as r1, is not taken by one gratuitous ARP from any LAN host.
Frames for an unknown address wait while it is asked for; unanswered, it is asked TRIES
times, then its frames are dropped. The LAN's gateway is asked for until it answers.
"""

import ipaddress
import logging
from dataclasses import dataclass, field

from controllers import packets
from controllers.learning import is_group
from controllers.rules import CONTROLLER, Output, PacketOut

log = logging.getLogger("vmnet.neighbours")

HOLD = 30.0  # seconds a neighbour's MAC stands before another may replace it
TRIES, INTERVAL = 3, 1.0  # ARP requests for one address, and seconds between them
WAITING_FRAMES = 32  # frames held per address being resolved
WAITING_ADDRESSES = 64  # addresses being resolved at once
WAITING_PER_PORT = 16  # of them, asked for by one port: one VM scanning the LAN delays no other


@dataclass
class Challenge:
    """Another MAC claims a known address: its known MAC is asked whether it is still there."""

    claimant: str
    tries: int = 0
    next_try: float = 0.0


@dataclass
class Pending:
    port: int  # whose frame made the router ask
    tries: int
    next_try: float
    frames: list = field(default_factory=list)  # [(in_port, frame)]


class Neighbours:
    def __init__(self, cfg, drops):
        self.cfg = cfg
        self.drops = drops
        self.lan = ipaddress.ip_network(cfg.lan_net)
        self.not_hosts = {cfg.outside_ip, str(self.lan.network_address),
                          str(self.lan.broadcast_address)}
        self.macs = {}  # LAN address -> MAC
        self.confirmed = {}  # LAN address -> when its MAC was last confirmed
        self.pending = {}  # LAN address -> Pending
        self.challenged = {}  # LAN address -> Challenge
        self.own = {cfg.gateway_mac, cfg.outside_mac}  # never a neighbour's
        self.next_gateway_ask = 0.0

    def get(self, ip):
        return self.macs.get(ip)

    def known(self):
        """{LAN address: MAC} of every neighbour known."""
        return dict(self.macs)

    @property
    def gateway(self):
        return self.macs.get(self.cfg.lan_gateway)

    def learn(self, ip, mac, now):
        """An ARP from `ip` at `mac`: the frames that were waiting for it, to send again."""
        if ipaddress.ip_address(ip) not in self.lan or ip in self.not_hosts:
            return []
        if mac in self.own or is_group(mac):
            self.drops.drop("ARP on the LAN with the router's own or a group MAC")
            return []
        known = self.macs.get(ip)
        if known not in (None, mac):
            if now - self.confirmed.get(ip, 0.0) < HOLD:
                self.drops.drop("ARP claiming a LAN address another MAC holds")
            elif ip not in self.challenged and len(self.challenged) < WAITING_ADDRESSES:
                self.challenged[ip] = Challenge(mac, next_try=now)  # asked at the next tick
            return []
        self.challenged.pop(ip, None)  # its own MAC answered: a claim on it is forgotten
        self.macs[ip] = mac
        self.confirmed[ip] = now
        waiting = self.pending.pop(ip, None)
        return [(port, frame) for port, frame in (waiting.frames if waiting else ())
                if frame is not None]

    def resolve(self, ip, in_port, frame, now):
        """Hold `frame` until `ip` answers; the ARP request to send, if one is due."""
        if ip in self.not_hosts:
            self.drops.drop("a packet for the LAN's network or broadcast address")
            return []
        waiting = self.pending.get(ip)
        rules = []
        if waiting is None:
            if len(self.pending) >= WAITING_ADDRESSES:
                self.drops.drop("too many LAN addresses being resolved at once")
                return []
            if sum(1 for p in self.pending.values() if p.port == in_port) >= WAITING_PER_PORT:
                self.drops.drop("one port asking for more than %d LAN addresses at once" %
                                WAITING_PER_PORT)
                return []
            waiting = self.pending[ip] = Pending(in_port, tries=1, next_try=now + INTERVAL)
            rules.append(self.request(ip))
        if len(waiting.frames) < WAITING_FRAMES:
            waiting.frames.append((in_port, frame))
        return rules

    def retry(self, now):
        """ARP requests due now: addresses that did not answer yet, and the LAN's gateway."""
        rules = []
        for ip, waiting in list(self.pending.items()):
            if now < waiting.next_try:
                continue
            if waiting.tries >= TRIES:
                del self.pending[ip]
                self.drops.drop("no ARP answer from a LAN address after %d tries" % TRIES)
                continue
            waiting.tries += 1
            waiting.next_try = now + INTERVAL
            rules.append(self.request(ip))
        rules += self.challenge(now)
        gateway = self.cfg.lan_gateway
        if gateway not in self.macs and gateway not in self.pending and (
                now >= self.next_gateway_ask):
            self.next_gateway_ask = now + INTERVAL
            rules.append(self.request(gateway))
        return rules

    def challenge(self, now):
        """Unicast ARP requests to known MACs another claims; a claim whose known MAC never
        answered takes the address over."""
        rules = []
        for ip, claim in list(self.challenged.items()):
            if now < claim.next_try:
                continue
            if claim.tries >= TRIES:
                del self.challenged[ip]
                log.warning("%s: %s did not answer for %s: %s takes it over", self.cfg.name,
                            self.macs[ip], ip, claim.claimant)
                self.macs[ip], self.confirmed[ip] = claim.claimant, now
                continue
            claim.tries += 1
            claim.next_try = now + INTERVAL
            rules.append(self.request(ip, self.macs[ip]))
        return rules

    def request(self, ip, to=packets.BROADCAST):
        c = self.cfg
        return PacketOut(CONTROLLER, (Output(c.uplink_port),),
                         packets.arp_request(c.outside_mac, c.outside_ip, ip, to))
