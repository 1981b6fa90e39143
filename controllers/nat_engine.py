"""What the virtual router asks of the engine that translates its VMs' traffic, and what an
engine is told of the router. Pure Python.

The router (controllers.virtual_router) does what every router does, whoever translates:
DHCP and port security, ARP for the gateway and for the LAN's neighbours, the gateway's
ping reply, TTL-exceeded, the learning switch between the VMs, the state file. It holds one
engine (controllers.engines names them) and asks it, every answer a list of rules
(controllers.rules):

    connected()         the engine's standing flows, when the switch connects (the router
                        adds the flows every router has)
    outward(frame, in_port, way, now)
                        a leased VM's IP packet for the NAT: port security, the lease, the
                        gateway's ping, an inside destination, the TTL and the next hop
                        (`way`, a controllers.session_flows.Way) are the router's, and done
    inward(frame, in_port, way, now)
                        an IP packet (not ARP) from the LAN or from the host PC; `way` is
                        where an answer to it leaves (as for a port forward)
    claims(in_port, frame, now)
                        rules for a packet only the engine understands (the router does
                        nothing else with it), else None
    after(now)          flows for what changed since it was last asked: VMs leased,
                        neighbours learned (asked after each packet-in and each tick)
    tick(now)           housekeeping (expiry)
    flow_removed, adopt, audit_slice, audit
                        as controllers.core.Core's; adopt and audit only when the engine
                        reads_flow_table
    state(now)          its part of the state file (`natmap` reads it)

and sets `changed` when its part of the state changed (the router clears it once written).
"""

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class RouterFacts:
    """What an engine may ask of the router, and nothing more."""

    # (inside address, now) -> (MAC, port) of the VM whose address it is, or (None, None)
    owner: Callable
    # (now) -> [(MAC, port, address)] of every VM with an address (controllers.vm_ports:
    # its lease's, or the one it sends from)
    vms: Callable
    # LAN address -> its MAC, or None
    neighbour: Callable
    # () -> {LAN address: MAC} of the neighbours known
    neighbours: Callable
    # (LAN address, in_port, frame, now) -> rules: hold the frame until the address answers
    resolve: Callable


class NatEngine:
    # the app shell reads the switch's flow table for it (adopt after a connect, audit)
    reads_flow_table = False
    # what a STUN client (RFC 3489 tests) behind it says it is: the contract's claim 14
    stun_type = None

    def __init__(self, cfg, drops, facts):
        self.cfg = cfg  # controllers.config.RouterConfig
        self.drops = drops  # controllers.boundary.Drops: what was refused, counted
        self.facts = facts  # RouterFacts
        self.changed = False  # its part of the state changed since the router last wrote it

    def connected(self):
        return []

    def outward(self, frame, in_port, way, now):
        return []

    def inward(self, frame, in_port, way, now):
        return []

    def claims(self, in_port, frame, now):
        return None

    def after(self, now):
        return []

    def tick(self, now):
        return []

    def flow_removed(self, flow_cookie, now):
        return []

    def adopt(self, flows, now):
        return []

    def audit_slice(self):
        return 0, 0, 1

    def audit(self, flows, asked_at, now):
        return []

    def state(self, now):
        return {}

    def across(self, in_port):
        """Where the host PC's own traffic goes: between its port and the uplink."""
        return self.cfg.host_port if in_port == self.cfg.uplink_port else self.cfg.uplink_port
