"""Addresses of a virtual router that stand for another's. Pure Python.

VirtualBox's NAT answers at two addresses of its own for something else: its name server at
.3 (the host's name server, or the NAT engine's relay) and, with --nat-localhostreachable,
the host's loopback at the gateway's .2. The router translates the destination and the VM
only ever sees its own side (controllers.virtual_router for the OpenFlow engine,
controllers.conntrack_nat for the tracker).
"""

from dataclasses import dataclass
from typing import Optional

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Alias:
    """TCP and UDP to `address` (at `port`, or any) go to `target` (at `target_port`, or the
    same port): VirtualBox's name server at .3, the host's loopback at the gateway's .2.
    The VM never sees the target: answers come back from `address`."""

    address: str
    port: Optional[int]
    target: str
    target_port: Optional[int]

    def target_of(self, port):
        return self.target, self.target_port or port
