"""The OpenFlow 1.3 bytes of the rules a NAT session needs, packed directly. Pure Python.

Every new connection through the OpenFlow engine costs two flow-mods and a packet-out.
Built through the framework's message classes they cost the controller ~200-300 us each
(most of a connection's time: every OXM field is normalised, converted to text and back);
packed here, ~20 us. The bytes are the ones the framework would send
(tests/unit/test_ofwire.py compares them, rule by rule); a rule with anything this module
does not know (connection tracking, masks) is left to the framework (`pack` says None).
"""

import itertools
import socket
import struct

from controllers.checksum import complete
from controllers.rules import DecTtl, DeleteFlows, Flow, GotoTable, Output, PacketOut, SetField

VERSION = 0x04
OFPT_FLOW_MOD, OFPT_PACKET_OUT = 14, 13
OFPFC_ADD, OFPFC_DELETE = 0, 3
ANY = NO_BUFFER = 0xFFFFFFFF
OFPFF_SEND_FLOW_REM = 1
OFPIT_GOTO_TABLE, OFPIT_APPLY_ACTIONS = 1, 4
OFPAT_OUTPUT, OFPAT_DEC_NW_TTL, OFPAT_SET_FIELD = 0, 24, 25
DEFAULT_PRIORITY = 0x8000
WHOLE_FRAME = 0xFFFF  # an output's max_len: the whole frame to the controller

MAC, IPV4 = "mac", "ipv4"
# OXM basic class fields: name -> (field number, value length, kind)
FIELDS = {
    "in_port": (0, 4, int), "eth_dst": (3, 6, MAC), "eth_src": (4, 6, MAC),
    "eth_type": (5, 2, int), "ip_proto": (10, 1, int), "ipv4_src": (11, 4, IPV4),
    "ipv4_dst": (12, 4, IPV4), "tcp_src": (13, 2, int), "tcp_dst": (14, 2, int),
    "udp_src": (15, 2, int), "udp_dst": (16, 2, int), "icmpv4_type": (19, 1, int),
    "icmpv4_code": (20, 1, int), "icmpv6_type": (29, 1, int),
}
INT_FORMAT = {1: "!B", 2: "!H", 4: "!I"}

_xids = itertools.count(1)
MAX_MESSAGE = 0xFFFF  # OpenFlow's length field is 16 bits


class TooLong(ValueError):
    """A message OpenFlow cannot carry (over 65,535 bytes: a packet-out of a jumbo frame
    past 64 KiB, which no MTU of the lab's makes, but a rule may still ask for)."""


def _value(kind, length, value):
    if kind is MAC:
        return bytes(int(b, 16) for b in value.split(":"))
    if kind is IPV4:
        return socket.inet_aton(value)
    return struct.pack(INT_FORMAT[length], value)


def _oxm(name, value):
    number, length, kind = FIELDS[name]
    return struct.pack("!HBB", 0x8000, number << 1, length) + _value(kind, length, value)


def _padded(data):
    return data + b"\0" * (-len(data) % 8)


def _match(match):
    # in field-number order, as the framework writes them (and OpenFlow's prerequisites want:
    # eth_type before the IPv4 fields, ip_proto before the ports)
    fields = b"".join(_oxm(name, match[name]) for name in sorted(match, key=_field_number))
    return _padded(struct.pack("!HH", 1, 4 + len(fields)) + fields)


def _field_number(name):
    return FIELDS[name][0]


def _action(action):
    if isinstance(action, Output):
        return struct.pack("!HHIH6x", OFPAT_OUTPUT, 16, action.port, WHOLE_FRAME)
    if isinstance(action, SetField):
        body = _padded(struct.pack("!HH", OFPAT_SET_FIELD, 0) + _oxm(action.field,
                                                                     action.value))
        return body[:2] + struct.pack("!H", len(body)) + body[4:]
    if isinstance(action, DecTtl):
        return struct.pack("!HH4x", OFPAT_DEC_NW_TTL, 8)
    raise TypeError(action)


def _header(kind, body):
    if 8 + len(body) > MAX_MESSAGE:
        raise TooLong("an OpenFlow message of %d bytes (at most %d)" % (8 + len(body),
                                                                        MAX_MESSAGE))
    return struct.pack("!BBHI", VERSION, kind, 8 + len(body), next(_xids) & 0xFFFFFFFF) + body


def packable(rule):
    """Does this module know every field and action of `rule`?"""
    match = getattr(rule, "match", {}) or {}
    if not all(name in FIELDS and not isinstance(value, tuple) for name, value in match.items()):
        return False
    actions = getattr(rule, "actions", ())
    return all(isinstance(a, (Output, DecTtl, GotoTable)) or (
        isinstance(a, SetField) and a.field in FIELDS) for a in actions)


def pack(rule):
    """The message's bytes, or None when the framework must build it; raises TooLong for
    one OpenFlow cannot carry."""
    if not packable(rule):
        return None
    if isinstance(rule, Flow):
        return _flow_mod(rule)
    if isinstance(rule, DeleteFlows):
        cookie = rule.cookie or 0
        mask = 0 if rule.cookie is None else rule.cookie_mask
        # a non-strict delete: the priority (the protocol's default here) does not count
        body = struct.pack("!QQBBHHHIIIH2x", cookie, mask, rule.table_id, OFPFC_DELETE, 0, 0,
                           DEFAULT_PRIORITY, NO_BUFFER, ANY, ANY, 0) + _match(rule.match)
        return _header(OFPT_FLOW_MOD, body)
    if isinstance(rule, PacketOut):
        actions = b"".join(_action(a) for a in rule.actions)
        body = struct.pack("!IIH6x", NO_BUFFER, rule.in_port, len(actions)) + actions
        return _header(OFPT_PACKET_OUT, body + complete(rule.data))  # see controllers.checksum
    return None


def _flow_mod(flow):
    actions = [a for a in flow.actions if not isinstance(a, GotoTable)]
    instructions = b""
    if actions:
        packed = b"".join(_action(a) for a in actions)
        instructions += struct.pack("!HH4x", OFPIT_APPLY_ACTIONS, 8 + len(packed)) + packed
    for goto in (a for a in flow.actions if isinstance(a, GotoTable)):
        instructions += struct.pack("!HHB3x", OFPIT_GOTO_TABLE, 8, goto.table)
    flags = OFPFF_SEND_FLOW_REM if flow.notify_removed else 0
    # out_port and out_group (0 here) only count in deletes
    body = struct.pack("!QQBBHHHIIIH2x", flow.cookie, 0, flow.table_id, OFPFC_ADD,
                       flow.idle_timeout, flow.hard_timeout, flow.priority, NO_BUFFER,
                       0, 0, flags) + _match(flow.match) + instructions
    return _header(OFPT_FLOW_MOD, body)
