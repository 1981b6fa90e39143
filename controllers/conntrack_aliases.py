"""The conntrack engine's flows for the router's addresses that stand for another's
(controllers.alias: VirtualBox's name server at .3, the host's loopback) and for the
address the host's loopback stands at. Pure Python."""

import ipaddress

from controllers.router_flows import ETH_IP
from controllers.rules import (
    CONTROLLER,
    CT_NEW,
    CT_TRACKED,
    Conntrack,
    CtNat,
    DecTtl,
    Flow,
    GotoTable,
    Output,
    SetField,
)
from controllers.session_flows import IP_PROTO, L4_FIELDS

TRACKED_NEW = (CT_TRACKED | CT_NEW, CT_TRACKED | CT_NEW)


def state(bit):
    return (CT_TRACKED | bit, CT_TRACKED | bit)


def loopback_flows(c, port, alias_zone):
    """Table 1: a new packet from the VM on `port` to the address the host's loopback
    stands at (`c.loopback_address`), after the router's zone. An answer to a connection
    forwarded from the host's 127.0.0.1 (the host PC gave it that source, as VirtualBox
    shows it: topos.run.host_sockets) is no new one: it is on its way back to the host PC
    (table 2, loopback_route). New TCP and UDP is for the host's loopback with
    localhostreachable (the alias's zone, table 3); anything else (a ping, DHCP to its
    server) is the router's."""
    ip = {"eth_type": ETH_IP, "in_port": port, "ipv4_dst": c.loopback_address,
          "ct_state": TRACKED_NEW}
    rules = [Flow(24, dict(ip, ip_proto=IP_PROTO["udp"], udp_dst=67), (Output(CONTROLLER),),
                  table_id=1),
             Flow(22, ip, (Output(CONTROLLER),), table_id=1)]
    if any(a.address == c.loopback_address for a in c.aliases()):
        rules += [Flow(23, dict(ip, ip_proto=IP_PROTO[proto]),
                       (Conntrack(alias_zone, table=3, nat=CtNat()),), table_id=1)
                  for proto in ("udp", "tcp")]
    return rules


def loopback_route(c):
    """Table 2: an answer to a connection forwarded from the host's loopback, to the host
    PC (its netfilter gives it back to 127.0.0.1)."""
    return Flow(20, {"eth_type": ETH_IP, "ipv4_src": c.gateway_ip,
                     "ipv4_dst": c.loopback_address},
                (SetField("eth_src", c.gateway_mac), SetField("eth_dst", c.outside_mac),
                 DecTtl(), Output(c.host_port)), table_id=2)


def alias_flows(c, zone, alias_zone):
    """Addresses that stand for another's (controllers.alias: VirtualBox's name server
    at .3, the host's loopback at .2): a packet to one is first translated to its target
    in a zone of its own (ALIAS_ZONE), then goes the way every packet of the VM goes
    (the router's zone, table 1); the answer, back in table 2 with the VM's address
    again, passes the alias zone once more, which gives it the alias's address. Tables:
        3   new: ct(commit, nat(dst=the target)); any: on to table 4
        4   ct(nat) in the router's zone, then table 1 as any VM's packet
        2   (the answer) from a target to a VM, fresh from the router's zone: ct(nat) in
            the alias zone, then table 2 again (now from the alias: the VM's flow)
    The host's loopback is the host PC itself (host_destinations)."""
    ip = {"eth_type": ETH_IP}
    aliases = c.aliases()
    if not aliases:
        return []
    inside_net = ipaddress.ip_network(c.inside_net)
    inside = (str(inside_net.network_address), str(inside_net.netmask))
    rules = [
        Flow(10, ip, (GotoTable(4),), table_id=3),
        Flow(10, ip, (Conntrack(zone, table=1, nat=CtNat()),), table_id=4),
    ]
    for a in aliases:
        # any other packet to it (a ping): the controller, which answers
        rules.append(Flow(31, dict(ip, ipv4_dst=a.address, eth_dst=c.gateway_mac),
                          (Output(CONTROLLER),)))
        for proto in ("udp", "tcp"):
            src_f, dst_f = L4_FIELDS[proto]
            on_port = {dst_f: a.port} if a.port else {}
            ports = (a.target_port, a.target_port) if a.target_port else None
            rules.append(Flow(20, dict(ip, ip_proto=IP_PROTO[proto], ct_state=TRACKED_NEW,
                                       ipv4_dst=a.address, **on_port), (Conntrack(
                alias_zone, table=4, commit=True, nat=CtNat("dst", a.target, ports)),),
                table_id=3))
            from_port = {src_f: a.target_port} if a.target_port else {}
            rules.append(Flow(30, dict(ip, ip_proto=IP_PROTO[proto], ct_zone=zone,
                                       ipv4_src=a.target, ipv4_dst=inside, **from_port),
                              (Conntrack(alias_zone, table=2, nat=CtNat()),),
                              table_id=2))
    return rules
