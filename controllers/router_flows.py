"""The flows every virtual router stands on, whatever its NAT engine, and the numbers its
engines' flows share. Pure Python.

Below them the table-miss sends the rest to the controller; above them each engine installs
its own (controllers.openflow_nat, controllers.conntrack_nat).
"""

from controllers.frame_ipv6 import ETH_IPV6, ICMPV6, RS
from controllers.packets import ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED
from controllers.rules import CONTROLLER, Flow, Output

ETH_IP, ETH_ARP = 0x0800, 0x0806
# A guest's IPv6 chatter nobody on the VMs' side answers: router solicitations (the router
# advertises nothing; a VM may not, controllers.ipv6_gate) and multicast listener reports
# (no switch here snoops them). Linux solicits a router for ever, backing off; each would
# cost a packet-in.
UNANSWERED_ICMPV6 = (RS, 131, 143)
ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST = 0, 8
ICMP_ERRORS = (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED)  # they quote the packet they are about
PRIO_MISS, PRIO_PASS, PRIO_SYN, PRIO_ARP, PRIO_TRAP = 0, 1, 2, 5, 15
PRIO_QUIET = PRIO_ARP  # a VM's unanswered IPv6 chatter, dropped
TCP_SYN, TCP_ACK = 0x002, 0x010
# Who put a flow there, in its cookie's top byte: a NAT session's flows count up from 1
# (controllers.nat_table), the router's learning switch and the conntrack engine each have
# a byte of their own, so that each deletes and reads back its own flows only.
COOKIE_LEARNED = 0xA1 << 56
COOKIE_CONNTRACK = 0xC7 << 56
COOKIE_OWNER = 0xFF << 56  # the mask that selects the owner's byte


def base_flows(c):
    """For the router configured by `c` (controllers.config.RouterConfig)."""
    return [
        Flow(PRIO_MISS, {}, (Output(CONTROLLER),)),
        # the host PC's own traffic, untouched
        Flow(PRIO_PASS, {"in_port": c.uplink_port}, (Output(c.host_port),)),
        Flow(PRIO_PASS, {"in_port": c.host_port}, (Output(c.uplink_port),)),
        # ARP from the LAN goes to the host PC, and a copy teaches the router the LAN's MACs
        Flow(PRIO_ARP, {"in_port": c.uplink_port, "eth_type": ETH_ARP},
             (Output(c.host_port), Output(CONTROLLER))),
    ] + [Flow(PRIO_QUIET, {"in_port": port, "eth_type": ETH_IPV6, "ip_proto": ICMPV6,
                           "icmpv6_type": kind}, ())
         for port in c.vm_ports for kind in UNANSWERED_ICMPV6
         if kind != RS or not c.ipv6_prefix]  # a router of IPv6 answers them
