"""The virtual router's neighbours on the LAN: their MACs, learned from ARP only. Pure Python.

A neighbour is learned from an ARP whose sender is the frame's source; a known address
keeps its MAC for HOLD seconds after it was last confirmed, so one spoofed ARP moves
nothing. Frames for an unknown address wait while it is asked for; unanswered, it is asked
TRIES times, then its frames are dropped. The LAN's gateway is asked for until it answers.
"""

import ipaddress
from dataclasses import dataclass, field

from controllers import packets
from controllers.rules import CONTROLLER, Output, PacketOut

HOLD = 30.0  # seconds a neighbour's MAC stands before another may replace it
TRIES, INTERVAL = 3, 1.0  # ARP requests for one address, and seconds between them
WAITING_FRAMES = 32  # frames held per address being resolved
WAITING_ADDRESSES = 64  # addresses being resolved at once


@dataclass
class Pending:
    tries: int
    next_try: float
    frames: list = field(default_factory=list)  # [(in_port, frame)]


class Neighbours:
    def __init__(self, cfg, drops):
        self.cfg = cfg
        self.drops = drops
        self.lan = ipaddress.ip_network(cfg.lan_net)
        self.macs = {}  # LAN address -> MAC
        self.confirmed = {}  # LAN address -> when its MAC was last confirmed
        self.pending = {}  # LAN address -> Pending
        self.next_gateway_ask = 0.0

    def get(self, ip):
        return self.macs.get(ip)

    @property
    def gateway(self):
        return self.macs.get(self.cfg.lan_gateway)

    def learn(self, ip, mac, now):
        """An ARP from `ip` at `mac`: the frames that were waiting for it, to send again."""
        if ipaddress.ip_address(ip) not in self.lan:
            return []
        known = self.macs.get(ip)
        if known not in (None, mac) and now - self.confirmed.get(ip, 0.0) < HOLD:
            self.drops.drop("ARP claiming a LAN address another MAC holds")
            return []
        self.macs[ip] = mac
        self.confirmed[ip] = now
        waiting = self.pending.pop(ip, None)
        return [(port, frame) for port, frame in (waiting.frames if waiting else ())
                if frame is not None]

    def resolve(self, ip, in_port, frame, now):
        """Hold `frame` until `ip` answers; the ARP request to send, if one is due."""
        waiting = self.pending.get(ip)
        rules = []
        if waiting is None:
            if len(self.pending) >= WAITING_ADDRESSES:
                self.drops.drop("too many LAN addresses being resolved at once")
                return []
            waiting = self.pending[ip] = Pending(tries=1, next_try=now + INTERVAL)
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
        gateway = self.cfg.lan_gateway
        if gateway not in self.macs and gateway not in self.pending and (
                now >= self.next_gateway_ask):
            self.next_gateway_ask = now + INTERVAL
            rules.append(self.request(gateway))
        return rules

    def request(self, ip):
        c = self.cfg
        return PacketOut(CONTROLLER, (Output(c.uplink_port),),
                         packets.arp_request(c.outside_mac, c.outside_ip, ip))
