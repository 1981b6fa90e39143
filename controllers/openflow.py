"""Turn rule data (controllers.rules) into OpenFlow 1.3 messages for one datapath.

Only the datapath's own parser is used, or bytes of our own (controllers.ofwire), so this
runs unchanged under Ryu and os-ken.
"""

import logging

from controllers import ofwire
from controllers.checksum import complete
from controllers.rules import (
    Conntrack,
    DecTtl,
    DeleteFlows,
    Flow,
    GotoTable,
    Output,
    PacketOut,
    SetField,
)

log = logging.getLogger("vmnet.openflow")
NAT_FLAGS = {None: 0, "src": 1, "dst": 2}  # NX_NAT_F_SRC, NX_NAT_F_DST
NO_RECIRCULATION = 0xFF


def _actions(parser, actions):
    out = []
    for action in actions:
        if isinstance(action, Output):
            # max_len: whole frames to the controller, no switch-side buffering
            out.append(parser.OFPActionOutput(action.port, 0xFFFF))
        elif isinstance(action, SetField):
            out.append(parser.OFPActionSetField(**{action.field: action.value}))
        elif isinstance(action, DecTtl):
            out.append(parser.OFPActionDecNwTtl())
        elif isinstance(action, Conntrack):
            out.append(_conntrack(parser, action))
        else:
            raise TypeError("unknown action %r" % (action,))
    return out


def _conntrack(parser, ct):
    nat = []
    if ct.nat is not None:
        n = ct.nat
        ports = {"range_proto_min": n.ports[0], "range_proto_max": n.ports[1]} if n.ports else {}
        ips = {"range_ipv4_min": n.ip, "range_ipv4_max": n.ip} if n.ip else {}
        nat = [parser.NXActionNAT(flags=NAT_FLAGS[n.kind], **ips, **ports)]
    return parser.NXActionCT(flags=1 if ct.commit else 0, zone_src="", zone_ofs_nbits=ct.zone,
                             recirc_table=NO_RECIRCULATION if ct.table is None else ct.table,
                             alg=0, actions=nat)


def encode(datapath, message):
    """The OpenFlow message that carries out one rule on `datapath`: its bytes when
    controllers.ofwire packs it (every rule of a NAT session), else the framework's message;
    None for a rule OpenFlow cannot carry (said in the log: the other rules still go)."""
    try:
        raw = ofwire.pack(message)
        if raw is None and isinstance(message, PacketOut) and (
                len(message.data) + 24 + 32 * len(message.actions) > ofwire.MAX_MESSAGE):
            raise ofwire.TooLong("a packet-out of a %d-byte frame" % len(message.data))
    except ofwire.TooLong as e:
        log.warning("not sent: %s", e)
        return None
    if raw is not None:
        return raw
    return framework_message(datapath, message)


def send(datapath, messages):
    """Send what encode() made, in order. Packed messages next to each other go as one write
    (Ryu's and os-ken's datapaths both take bytes with send()): a new session's flows and
    its packet cost the switch one read, and the controller one pass of its send loop."""
    packed = []
    messages = [m for m in messages if m is not None]  # what encode() could not make
    for message in messages + [None]:
        if isinstance(message, bytes):
            packed.append(message)
            continue
        if packed:
            datapath.send(b"".join(packed))
            packed = []
        if message is not None:
            datapath.send_msg(message)


def framework_message(datapath, message):
    """The rule as the framework's message class (connection tracking, masked matches)."""
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    if isinstance(message, Flow):
        instructions = []
        actions = [a for a in message.actions if not isinstance(a, GotoTable)]
        if actions:
            instructions = [
                parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, _actions(parser, actions))
            ]
        instructions += [parser.OFPInstructionGotoTable(a.table) for a in message.actions
                         if isinstance(a, GotoTable)]
        return parser.OFPFlowMod(
            datapath=datapath,
            table_id=message.table_id,
            cookie=message.cookie,
            priority=message.priority,
            idle_timeout=message.idle_timeout,
            hard_timeout=message.hard_timeout,
            flags=ofp.OFPFF_SEND_FLOW_REM if message.notify_removed else 0,
            match=parser.OFPMatch(**message.match),
            instructions=instructions,
        )
    if isinstance(message, DeleteFlows):
        return parser.OFPFlowMod(
            datapath=datapath,
            table_id=message.table_id,
            command=ofp.OFPFC_DELETE,
            cookie=message.cookie or 0,
            cookie_mask=0 if message.cookie is None else message.cookie_mask,
            out_port=ofp.OFPP_ANY,
            out_group=ofp.OFPG_ANY,
            match=parser.OFPMatch(**message.match),
        )
    if isinstance(message, PacketOut):
        return parser.OFPPacketOut(
            datapath=datapath,
            buffer_id=ofp.OFP_NO_BUFFER,
            in_port=message.in_port,
            actions=_actions(parser, message.actions),
            data=complete(message.data),  # see controllers.checksum
        )
    raise TypeError("unknown rule %r" % (message,))


def flow_stats_request(datapath, cookie=0, cookie_mask=0):
    """Ask the switch for every flow it holds whose cookie matches (all, by default; the
    reply goes to flows_of)."""
    ofp, parser = datapath.ofproto, datapath.ofproto_parser
    return parser.OFPFlowStatsRequest(datapath, 0, ofp.OFPTT_ALL, ofp.OFPP_ANY, ofp.OFPG_ANY,
                                      cookie, cookie_mask, parser.OFPMatch())


def flows_of(stats):
    """Flow-stats entries as plain data: {cookie, priority, match, set, output}."""
    flows = []
    for stat in stats:
        sets, outputs = {}, []
        for instruction in stat.instructions:
            for action in getattr(instruction, "actions", ()):
                if hasattr(action, "key") and hasattr(action, "value"):
                    sets[action.key] = action.value
                elif hasattr(action, "port"):
                    outputs.append(action.port)
        flows.append({"cookie": stat.cookie, "priority": stat.priority,
                      "match": dict(stat.match.items()), "set": sets, "output": outputs})
    return flows
