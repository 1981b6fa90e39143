"""The conntrack engine (engine=conntrack): Open vSwitch's connection tracker does the NAT.
Pure Python.

The controller installs a handful of flows when the switch connects, a few per leased VM
and per LAN neighbour, and sees no packet of any TCP, UDP or ICMP connection: the switch's
connection tracker picks outside ports, maps replies back, translates ICMP errors and
reassembles fragments. DHCP, ARP and port security stay the router's
(controllers.virtual_router), as with the OpenFlow engine.

    table 0  a leased VM's packet for the NAT, a packet to host1's address from the LAN,
             one from host1 to the gateway's (hairpin, forwards): ct(nat) in ZONE, table 1
    table 1  new from a VM: ct(commit, nat(src=host1:its own port slice)); new to a port
             forward (host1's address from the LAN, the gateway's from host1):
             ct(commit, nat(dst=VM:port)); established or related: on; anything else is
             not this router's and passes between uplink and host port
    table 2  forwarding by (translated) destination: a VM, host1 (hairpin), a LAN
             neighbour, else r1 (the default route); MACs rewritten, TTL down by one.
             Towards host1 or the LAN only with the source a translation gives (the
             gateway's, host1's): a VM's packet the tracker did not translate goes nowhere

Port security is the table's: only a leased VM's packets (its port, MAC and address) reach
the tracker; any other frame from a VM port goes to the controller from table 0, where it
is a VM's frame like any other (a forged source is dropped). A packet table 2 sends to the
controller is known by the table it came from, never by its source address.

A leased VM's packet reaches the controller only when it raced the VM's flows: the flows
are sent (if not yet) and the packet goes back through the table, to the tracker. A packet
from the LAN or the host PC that reaches it is the host PC's own, and passes across.

Each VM translates to its own slice of the outside ports (`mappings` wide): one VM cannot take
every port, and one zone serves all (no two connections share an outside endpoint).
"""

import ipaddress
from dataclasses import replace

from controllers.alias import LOOPBACK
from controllers.conntrack_aliases import (
    TRACKED_NEW,
    alias_flows,
    loopback_flows,
    loopback_route,
    state,
)
from controllers.nat_engine import NatEngine
from controllers.router_flows import COOKIE_CONNTRACK, COOKIE_OWNER, ETH_IP
from controllers.rules import (
    ALL_TABLES,
    CONTROLLER,
    CT_ESTABLISHED,
    CT_RELATED,
    TABLE,
    Conntrack,
    CtNat,
    DecTtl,
    DeleteFlows,
    Flow,
    GotoTable,
    Output,
    PacketOut,
    SetField,
)
from controllers.session_flows import IP_PROTO, L4_FIELDS

FORWARDING = 2  # the table that forwards by (translated) destination
ALIAS_ZONE = 0x8000  # | the router's datapath id: the zone of its aliases' translation
# Its flows' cookies (controllers.router_flows.COOKIE_CONNTRACK | what | which): the standing
# ones, a VM's (which: its port), a LAN neighbour's route (which: its address)
STANDING, VM, ROUTE = 0, 1, 2
EVERY_BIT = 2**64 - 1


def cookie(what, which=0):
    return COOKIE_CONNTRACK | what << 48 | which


class ConntrackNat(NatEngine):
    # the tracker picks an outside port per connection: to STUN, a symmetric NAT
    stun_type = "Dependent Mapping, random port, no hairpin"
    # its record of what it installed follows the switch: the flows are read back now and then
    # (audit), and a group the switch lost is sent again
    reads_flow_table = True

    def __init__(self, cfg, drops, facts):
        super().__init__(cfg, drops, facts)
        # One userspace datapath serves every bridge: each router tracks in a zone of its own.
        self.zone = cfg.ct_zone
        self.alias_zone = ALIAS_ZONE | cfg.ct_zone  # the aliases' translation (controllers.alias)
        self.inside = ipaddress.ip_network(cfg.inside_net)
        self.lan = ipaddress.ip_network(cfg.lan_net)
        self.installed = {}  # VM MAC -> (port, address) its flows were installed for
        self.routes = {}  # LAN address -> MAC a forwarding flow was installed for
        self.sent = {}  # cookie -> (how many flows carry it, when they were sent)

    def connected(self):
        """The standing flows; every VM's and route's follow (after()). Whatever the engine
        installed before is forgotten: a switch that (re)connects may hold none of it."""
        self.installed, self.routes, self.sent = {}, {}, {}
        return self.group(cookie(STANDING), self.standing_flows(), 0.0)

    def group(self, value, flows, now):
        """`flows` under one cookie, remembered to be checked against the switch (audit)."""
        self.sent[value] = (len(flows), now)
        return [replace(f, cookie=value) for f in flows]

    def standing_flows(self):
        c, ip = self.cfg, {"eth_type": ETH_IP}
        rules = [
            # replies to host1's address, and host1 answering the gateway (hairpin)
            Flow(25, dict(ip, in_port=c.uplink_port, ipv4_dst=c.outside_ip),
                 (Conntrack(self.zone, table=1, nat=CtNat()),)),
            Flow(25, dict(ip, in_port=c.host_port, ipv4_dst=c.gateway_ip),
                 (Conntrack(self.zone, table=1, nat=CtNat()),)),
            # VMs pinging their gateway (or a NAT network's DHCP server, .3, where a renewal
            # or a release goes too), or sending to each other through it: the controller
            *(Flow(30, dict(ip, ipv4_dst=a, eth_dst=c.gateway_mac), (Output(CONTROLLER),))
              for a in sorted({c.gateway_ip, c.dhcp_server_address})),
            Flow(30, dict(ip, ipv4_dst=(c.inside_net.split("/")[0], str(self.inside.netmask)),
                          eth_dst=c.gateway_mac), ()),
            # table 1: after the lookup
            Flow(20, dict(ip, ct_state=state(CT_ESTABLISHED)), (GotoTable(2),), table_id=1),
            Flow(20, dict(ip, ct_state=state(CT_RELATED)), (GotoTable(2),), table_id=1),
            # not ours: the host PC's own traffic, or (plain NAT's routers stand in a row
            # before host1) another router's
            Flow(10, {"in_port": c.uplink_port}, (Output(c.host_port),), table_id=1),
            Flow(10, {"in_port": c.host_port}, (Output(c.uplink_port),), table_id=1),
            # table 2: an unknown LAN neighbour: the controller asks for it, and sends the packet on
            Flow(10, dict(ip, ipv4_src=c.outside_ip,
                          ipv4_dst=(c.lan_net.split("/")[0], "255.255.255.0")),
                 (Output(CONTROLLER),), table_id=2),
        ]
        # table 2: host1 itself (hairpin: it sees the gateway's address). Here and on the way
        # to the LAN a flow matches the source a translated packet has: one the tracker did
        # not translate (its zone full, no port left: OVS then passes it on unchanged)
        # matches none and is dropped
        rules += [Flow(20, dict(ip, ipv4_src=c.gateway_ip, ipv4_dst=host),
                       (SetField("eth_src", c.gateway_mac), SetField("eth_dst", c.outside_mac),
                        DecTtl(), Output(c.host_port)), table_id=2)
                  for host in self.host_destinations()]
        rules += alias_flows(c, self.zone, self.alias_zone) + [loopback_route(c)]
        for f in c.forwards:  # from the LAN to host1's address, from host1 to the gateway's
            for port, address in f.entries(c):
                match = dict(ip, in_port=port, ipv4_dst=address, ip_proto=IP_PROTO[f.proto],
                             ct_state=TRACKED_NEW, **{L4_FIELDS[f.proto][1]: f.outside_port})
                rules.append(Flow(21, match, (Conntrack(
                    self.zone, table=2, commit=True,
                    nat=CtNat("dst", f.inside_ip, (f.inside_port, f.inside_port))),),
                    table_id=1))
        return rules

    def host_destinations(self):
        """Where the host PC's stack takes a VM's packet (it sees the gateway's address as
        the source): its own address, its own networks (host-only: it sends on), and its
        loopback with localhostreachable. ipv4_dst values."""
        c = self.cfg
        nets = [(str(n.network_address), str(n.netmask))
                for n in map(ipaddress.ip_network, c.host_nets)]
        return [c.outside_ip] + nets + ([LOOPBACK] if c.host_loopback else [])

    def port_slice(self, port):
        """The outside ports of the VM on `port`: its own slice of the range."""
        first, last = self.cfg.ports
        width = min(self.cfg.mappings, (last - first + 1) // max(1, len(self.cfg.vm_ports)))
        index = self.cfg.vm_ports.index(port) if port in self.cfg.vm_ports else 0
        return first + index * width, first + (index + 1) * width - 1

    def vm_flows(self, mac, port, address):
        c, ip = self.cfg, {"eth_type": ETH_IP}
        to_alias = [
            Flow(32, dict(ip, in_port=port, eth_src=mac, ipv4_src=address,
                          eth_dst=c.gateway_mac, ipv4_dst=a.address, ip_proto=IP_PROTO[proto],
                          **({L4_FIELDS[proto][1]: a.port} if a.port else {})),
                 (Conntrack(self.alias_zone, table=3, nat=CtNat()),))
            for a in c.aliases() if a.address != c.loopback_address for proto in ("udp", "tcp")]
        # to the host's loopback address: the router's zone first (an answer to a forwarded
        # connection from the host's 127.0.0.1 comes from there), then table 1
        to_loopback = [Flow(33, dict(ip, in_port=port, eth_src=mac, ipv4_src=address,
                                     eth_dst=c.gateway_mac, ipv4_dst=c.loopback_address),
                            (Conntrack(self.zone, table=1, nat=CtNat()),))]
        to_loopback += loopback_flows(c, port, self.alias_zone)
        # to host1 itself (hairpin; its loopback too, with localhostreachable): it sees the
        # gateway's address. Matched by the VM's port: a packet from the uplink may look the
        # same (another router's, in a row)
        to_host = [
            Flow(21, dict(ip, in_port=port, ipv4_src=address, ipv4_dst=host,
                          ct_state=TRACKED_NEW),
                 (Conntrack(self.zone, table=2, commit=True,
                            nat=CtNat("src", c.gateway_ip, self.port_slice(port))),),
                 table_id=1)
            for host in self.host_destinations()]
        return to_alias + to_loopback + to_host + [
            Flow(25, dict(ip, in_port=port, eth_src=mac, ipv4_src=address,
                          eth_dst=c.gateway_mac), (Conntrack(self.zone, table=1, nat=CtNat()),)),
            Flow(20, dict(ip, in_port=port, ipv4_src=address, ct_state=TRACKED_NEW),
                 (Conntrack(self.zone, table=2, commit=True,
                            nat=CtNat("src", c.outside_ip, self.port_slice(port))),),
                 table_id=1),
            Flow(20, dict(ip, ipv4_dst=address),
                 (SetField("eth_src", c.gateway_mac), SetField("eth_dst", mac), DecTtl(),
                  Output(port)), table_id=2),
        ]

    def route_flow(self, address, mac, default=False):
        c = self.cfg
        match = {"eth_type": ETH_IP, "ipv4_src": c.outside_ip}  # translated: see connected()
        if not default:
            match["ipv4_dst"] = address
        return Flow(5 if default else 15, match,
                    (SetField("eth_src", c.outside_mac), SetField("eth_dst", mac), DecTtl(),
                     Output(c.uplink_port)), table_id=2)

    def after(self, now):
        """Flows for what changed since the last call: a VM with a new address (a lease, a
        static guest heard from) gets its flows, one whose address went loses them; a
        neighbour learned gets its route."""
        rules = []
        vms = {mac: (port, address) for mac, port, address in self.facts.vms(now)}
        for mac, (port, address) in list(self.installed.items()):
            if vms.get(mac) != (port, address):
                del self.installed[mac]
                self.sent.pop(cookie(VM, port), None)
                rules.append(DeleteFlows({}, table_id=ALL_TABLES, cookie=cookie(VM, port),
                                         cookie_mask=EVERY_BIT))
        for mac, (port, address) in vms.items():
            if mac not in self.installed:
                rules += self.group(cookie(VM, port), self.vm_flows(mac, port, address), now)
                self.installed[mac] = (port, address)
        for address, mac in self.facts.neighbours().items():
            if self.routes.get(address) != mac:
                flows = [self.route_flow(address, mac)]
                if address == self.cfg.lan_gateway:
                    flows.append(self.route_flow(address, mac, default=True))
                which = int(ipaddress.ip_address(address))
                rules += self.group(cookie(ROUTE, which), flows, now)
                self.routes[address] = mac
        return rules

    # --- its record follows the switch ---
    def audit_slice(self):
        return COOKIE_CONNTRACK, COOKIE_OWNER, 1  # its own flows, all of them

    def adopt(self, flows, now):
        return self.audit(flows, now, now)  # what connected() sent is in, or it is sent again

    def audit(self, flows, asked_at, now):
        """The engine's flows as the switch holds them: a group that lost a flow (deleted by
        hand or by another core, lost in a reconnect) is forgotten, and sent again. A group
        sent after the reading was asked for is not judged by it."""
        held = {}
        for f in flows:
            held[f["cookie"]] = held.get(f["cookie"], 0) + 1
        lost = [value for value, (count, when) in self.sent.items()
                if when < asked_at - 1.0 and held.get(value, 0) < count]
        if not lost:
            return []
        if cookie(STANDING) in lost:
            return self.connected() + self.after(now)  # everything again
        for value in lost:
            del self.sent[value]
            what, which = value >> 48 & 0xFF, value & 0xFFFFFFFFFFFF
            if what == VM:
                self.installed = {m: pa for m, pa in self.installed.items() if pa[0] != which}
            else:
                self.routes.pop(str(ipaddress.ip_address(which)), None)
        return self.after(now)

    def outward(self, frame, in_port, way, now):
        """A leased VM's packet that raced its flows (the switch sent it before they were
        in): the flows if not sent yet, then the packet back through the table, to the
        tracker."""
        return self.after(now) + [PacketOut(in_port, (Output(TABLE),), frame.data)]

    def inward(self, frame, in_port, way, now):
        """Not the tracker's (its flows pass everything else on): the host PC's own."""
        return [PacketOut(in_port, (Output(self.across(in_port)),), frame.data)]

    def claims(self, in_port, frame, now):
        c, ip = self.cfg, frame.ip
        if frame.table != FORWARDING or in_port not in c.vm_ports or not ip or (
                ip.src != c.outside_ip):
            return None
        # sent by table 2: a packet the tracker translated, for a LAN address we do not
        # know. Only the table tells it from a guest's frame forging host1's address (that
        # one comes from table 0 and is a VM's like any other: leased, or dropped)
        mac = self.facts.neighbour(ip.dst)
        if ip.ttl <= 1:  # OVS's invalid-TTL too: a router does not send it on
            self.drops.drop("a translated packet whose TTL ran out")
            return []
        if mac is not None:  # answered since: on its way, as table 2 would send it
            return [PacketOut(in_port, (SetField("eth_src", c.outside_mac),
                                        SetField("eth_dst", mac), DecTtl(),
                                        Output(c.uplink_port)), frame.data)]
        if ipaddress.ip_address(ip.dst) in self.lan:
            return self.facts.resolve(ip.dst, in_port, frame, now)
        self.drops.drop("a translated packet for no LAN address")
        return []

    def state(self, now):
        # its sessions and their cap are the tracker's (`natmap` asks it for the zone's count)
        return {"engine": self.cfg.engine, "zone": self.zone, "nat": [], "caps": [],
                "outside_ip": self.cfg.outside_ip}
