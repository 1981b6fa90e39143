"""OpenFlow rules as plain data: what the cores return and one place turns into messages.

The cores never see a datapath or a framework; tests read these objects directly or
apply them to a software flow table.
"""

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

# OpenFlow 1.3 reserved port numbers (the protocol's, not a framework's).
IN_PORT = 0xFFFFFFF8
TABLE = 0xFFFFFFF9  # packet-out only: through the flow table, as if it had just arrived
FLOOD = 0xFFFFFFFB
CONTROLLER = 0xFFFFFFFD
ALL_TABLES = 0xFF  # a delete's table: every table (OFPTT_ALL)


@dataclass(frozen=True)
class Output:
    port: int


@dataclass(frozen=True)
class SetField:
    """Rewrite one header field; `field` is an OXM name such as 'ipv4_src'."""

    field: str
    value: object


@dataclass(frozen=True)
class DecTtl:
    """Decrement the IPv4 TTL, as a router does (a packet whose TTL runs out is not sent)."""


@dataclass(frozen=True)
class CtNat:
    """Address translation by the connection tracker: 'src' or 'dst' to `ip` (and a port in
    `ports`) for a new connection; kind None applies an existing connection's translation."""

    kind: Optional[str] = None
    ip: Optional[str] = None
    ports: Optional[Tuple[int, int]] = None


@dataclass(frozen=True)
class Conntrack:
    """Open vSwitch's connection tracker (the Nicira ct action): look the packet up in `zone`,
    translate it (`nat`), remember the connection (`commit`), then continue in `table` with
    the ct_state match fields set (recirculation)."""

    zone: int
    table: Optional[int] = None
    commit: bool = False
    nat: Optional[CtNat] = None


@dataclass(frozen=True)
class GotoTable:
    """Continue in a later table (the last thing a flow does)."""

    table: int


# ct_state bits, for a match such as ct_state=(CT_TRACKED | CT_NEW, CT_TRACKED | CT_NEW)
CT_NEW, CT_ESTABLISHED, CT_RELATED, CT_REPLY, CT_INVALID, CT_TRACKED = 1, 2, 4, 8, 16, 32


@dataclass(frozen=True)
class Flow:
    """Add (or replace) a flow entry."""

    priority: int
    match: Mapping[str, object]
    actions: Tuple[object, ...]
    idle_timeout: int = 0
    hard_timeout: int = 0
    cookie: int = 0
    notify_removed: bool = False  # ask for a flow-removed message when it expires
    table_id: int = 0


@dataclass(frozen=True)
class DeleteFlows:
    """Delete every flow whose match includes `match` (a non-strict OpenFlow delete),
    and - when `cookie` is given - whose cookie is that one."""

    match: Mapping[str, object]
    table_id: int = 0
    cookie: Optional[int] = None
    cookie_mask: int = 0xFFFFFFFFFFFFFFFF  # which bits of the cookie must match


@dataclass(frozen=True)
class PacketOut:
    """Send one frame (the one that came to the controller) out through `actions`."""

    in_port: int
    actions: Tuple[object, ...]
    data: bytes = field(repr=False, default=b"")
    note: Optional[str] = None
