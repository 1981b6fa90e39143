"""The learning switch: MAC learning for one OpenFlow switch, as plain Python.

Ryu's simple_switch_13, with what it lacks: MAC ageing, host moves, idle timeouts
on learned flows, and no flow installed for broadcast, multicast or flooded frames
(a flow for a flood would pin the flood and hide every later station).
"""

import logging
from collections import OrderedDict
from dataclasses import dataclass

from controllers.core import Core
from controllers.rules import CONTROLLER, FLOOD, DeleteFlows, Flow, Output, PacketOut

log = logging.getLogger("vmnet.learning")

TABLE_MISS_PRIORITY = 0
LEARNED_PRIORITY = 10


def is_group(mac: str) -> bool:
    """Broadcast and multicast addresses have the I/G bit set."""
    return bool(int(mac[:2], 16) & 1)


MAX_STATIONS = 4096  # the MAC table is bounded, as a real switch's is


@dataclass
class Station:
    port: int
    seen: float


class LearningSwitch(Core):
    """MAC table and flow rules of one switch.

    ageing: seconds a learned MAC is kept without being seen.
    idle_timeout: seconds a learned flow lives without traffic.
    cookie: what its flows carry (a switch it shares with others: deletes only its own).
    flood: where unknown and group destinations go (a segment of the switch's ports).
    """

    def __init__(self, name="", ageing=300.0, idle_timeout=60, flood=None, cookie=0):
        self.name = name
        self.cookie = cookie  # on every flow it adds; it deletes only flows that carry it
        self.flood = flood  # in_port -> ports to flood to; None: every port (OFPP_FLOOD)
        self.ageing = ageing
        self.idle_timeout = idle_timeout
        self.stations = OrderedDict()  # MAC -> Station, the one heard from longest ago first

    def connected(self):
        """Rules for a switch that has just connected: send what is not known to us."""
        return [Flow(TABLE_MISS_PRIORITY, {}, (Output(CONTROLLER),))]

    def port_of(self, mac, now):
        station = self.stations.get(mac)
        if station is None:
            return None
        if now - station.seen > self.ageing:
            del self.stations[mac]
            log.info("%s: %s aged out", self.name, mac)
            return None
        return station.port

    def learn(self, mac, port, now):
        """Remember where `mac` lives; return the rules a host move makes stale."""
        if is_group(mac):
            return []
        old = self.stations.get(mac)
        if old is None and len(self.stations) >= MAX_STATIONS:
            # a flood of invented source MACs: forget the station heard from longest ago (the
            # first: kept in the order heard, so that a flood costs no search per frame)
            self.stations.popitem(last=False)
        self.stations[mac] = Station(port, now)
        self.stations.move_to_end(mac)
        if old is None or now - old.seen > self.ageing:
            log.debug("%s: learned %s on port %d", self.name, mac, port)
            return []
        if old.port != port:
            log.info("%s: %s moved from port %d to %d", self.name, mac, old.port, port)
            return [DeleteFlows({"eth_dst": mac}, cookie=self.cookie)]
        return []

    def packet_in(self, in_port, frame, now):
        """A frame the switch had no rule for (controllers.frame.Frame): learn its source,
        forward it, maybe add a rule."""
        dst, src, data = frame.dst, frame.src, frame.data
        out = self.learn(src, in_port, now)
        port = None if is_group(dst) else self.port_of(dst, now)
        if port is None:
            ports = [FLOOD] if self.flood is None else self.flood(in_port)
            return out + [PacketOut(in_port, tuple(Output(p) for p in ports), data)]
        if port == in_port:
            return out  # the destination sits on the segment the frame came from
        out.append(
            Flow(
                LEARNED_PRIORITY,
                {"in_port": in_port, "eth_src": src, "eth_dst": dst},
                (Output(port),),
                idle_timeout=self.idle_timeout,
                cookie=self.cookie,
            )
        )
        out.append(PacketOut(in_port, (Output(port),), data))
        return out
