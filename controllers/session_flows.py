"""The pair of flows that carries one NAT session: built here, and read back here from a
switch's flow table after the controller restarts. Pure Python.

    outward  VM -> remote: from the VM's port, its MAC and addresses; rewritten to the
             outside address and port, the next hop's MAC, TTL down by one
    inward   remote -> outside port: rewritten back to the VM, TTL down by one

Both carry the session's cookie (controllers.nat_table: session_of, session_cookies) and
an idle timeout, and ask for a flow-removed message when they expire.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

from controllers.nat_table import INWARD, OUTWARD, session_cookies, session_of
from controllers.rules import DecTtl, DeleteFlows, Flow, Output, SetField

PRIORITY = 20
ETH_IP = 0x0800
IP_PROTO = {"icmp": 1, "tcp": 6, "udp": 17}
PROTO_NAME = {number: name for name, number in IP_PROTO.items()}
L4_FIELDS = {"tcp": ("tcp_src", "tcp_dst"), "udp": ("udp_src", "udp_dst")}


@dataclass(frozen=True)
class Way:
    """Where a VM's traffic leaves: the port, the next hop's MAC, and the address and MAC
    it leaves with (host1's on the LAN; the gateway's towards host1 itself)."""

    port: int
    next_mac: str
    src_ip: str
    src_mac: str
    # for a packet to one of the router's aliases (controllers.alias: the name server at .3,
    # the host's loopback at .2), where it really goes, (address, port); the answer comes
    # back from the alias's address
    dst: Optional[Tuple[str, int]] = None


def build(session, vm_port, vm_mac, way, gateway_mac, idle_timeout):
    """The session's two flows."""
    m = session.mapping
    src_f, dst_f = L4_FIELDS[m.proto]
    base = {"eth_type": ETH_IP, "ip_proto": IP_PROTO[m.proto]}
    remote_ip, remote_port = way.dst or (session.remote_ip, session.remote_port)
    to_server, from_server = (), ()
    if way.dst:  # the NAT's name server: on to the real one, and back from the NAT's
        to_server = (SetField("ipv4_dst", remote_ip), SetField(dst_f, remote_port))
        from_server = (SetField("ipv4_src", session.remote_ip),
                       SetField(src_f, session.remote_port))
    outward = (SetField("eth_src", way.src_mac), SetField("eth_dst", way.next_mac),
               SetField("ipv4_src", way.src_ip), SetField(src_f, m.outside_port)) + to_server + (
        DecTtl(), Output(way.port))
    inward = (SetField("eth_src", gateway_mac), SetField("eth_dst", vm_mac)) + from_server + (
        SetField("ipv4_dst", m.inside_ip), SetField(dst_f, m.inside_port), DecTtl(),
        Output(vm_port))
    session.flows = {OUTWARD, INWARD}
    return [
        Flow(PRIORITY, dict(base, in_port=vm_port, eth_src=vm_mac, ipv4_src=m.inside_ip,
                            ipv4_dst=session.remote_ip,
                            **{src_f: m.inside_port, dst_f: session.remote_port}),
             outward, idle_timeout=idle_timeout, cookie=session.flow_cookie(OUTWARD),
             notify_removed=True),
        Flow(PRIORITY, dict(base, in_port=way.port, ipv4_src=remote_ip,
                            ipv4_dst=way.src_ip,
                            **{src_f: remote_port, dst_f: m.outside_port}),
             inward, idle_timeout=idle_timeout, cookie=session.flow_cookie(INWARD),
             notify_removed=True),
    ]


def delete(cookie):
    """Delete both flows of a session (one re-added while its removal was on the way too)."""
    value, mask = session_cookies(cookie)
    return DeleteFlows({}, cookie=value, cookie_mask=mask)


def present(flows):
    """The session cookies that have a flow in a flow table (openflow.flows_of's shape)."""
    return {session_of(f["cookie"])[0] for f in flows
            if f["cookie"] and f["priority"] == PRIORITY}


def read_back(flows):
    """{session cookie: {proto, flows, inside_ip, inside_port, outside_port, remote_ip,
    remote_port}} from a switch's flows; a field stays None when no flow tells it."""
    found = {}
    for f in flows:
        if f["priority"] != PRIORITY or not f["cookie"]:
            continue
        proto = PROTO_NAME.get(f["match"].get("ip_proto"))
        if proto not in L4_FIELDS:
            continue
        cookie, direction = session_of(f["cookie"])
        src_f, dst_f = L4_FIELDS[proto]
        m, sets = f["match"], f["set"]
        s = found.setdefault(cookie, {"proto": proto, "flows": set()})
        s["flows"].add(direction)
        if direction == OUTWARD:
            s.update(inside_ip=m.get("ipv4_src"), inside_port=m.get(src_f),
                     remote_ip=m.get("ipv4_dst"), remote_port=m.get(dst_f),
                     outside_port=sets.get(src_f))
        else:  # a query to the NAT's name server answers from its address (set here)
            s.update(remote_ip=sets.get("ipv4_src", m.get("ipv4_src")),
                     remote_port=sets.get(src_f, m.get(src_f)),
                     outside_port=m.get(dst_f), inside_ip=sets.get("ipv4_dst"),
                     inside_port=sets.get(dst_f))
    return found
