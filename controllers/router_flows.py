"""The virtual router's standing flows, installed when its switch connects. Pure Python.

Below them the table-miss sends the rest to the controller; above them each NAT session
adds its own pair (controllers.session_flows, priority 20).
"""

from controllers.packets import ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED
from controllers.rules import CONTROLLER, Flow, Output
from controllers.session_flows import IP_PROTO, L4_FIELDS

ETH_IP, ETH_ARP = 0x0800, 0x0806
ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST = 0, 8
ICMP_ERRORS = (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED)  # they quote the packet they are about
PRIO_MISS, PRIO_PASS, PRIO_SYN, PRIO_ARP, PRIO_TRAP = 0, 1, 2, 5, 15
TCP_SYN, TCP_ACK = 0x002, 0x010


def base_flows(c):
    """What every virtual router has, whatever its NAT engine."""
    return [
        Flow(PRIO_MISS, {}, (Output(CONTROLLER),)),
        # the host PC's own traffic, untouched
        Flow(PRIO_PASS, {"in_port": c.uplink_port}, (Output(c.host_port),)),
        Flow(PRIO_PASS, {"in_port": c.host_port}, (Output(c.uplink_port),)),
        # ARP from the LAN goes to the host PC, and a copy teaches the router the LAN's MACs
        Flow(PRIO_ARP, {"in_port": c.uplink_port, "eth_type": ETH_ARP},
             (Output(c.host_port), Output(CONTROLLER))),
    ]


def standing_flows(c):
    """For the router configured by `c` (controllers.config.RouterConfig), OpenFlow engine."""
    ip = {"eth_type": ETH_IP}
    echo_reply = dict(ip, ip_proto=IP_PROTO["icmp"], icmpv4_type=ICMP_ECHO_REPLY)
    rules = base_flows(c) + [
        # echo replies: for a VM (translated by the controller) or for the host PC itself
        Flow(PRIO_TRAP, dict(echo_reply, in_port=c.uplink_port, ipv4_dst=c.outside_ip),
             (Output(CONTROLLER),)),
        Flow(PRIO_TRAP, dict(echo_reply, in_port=c.host_port, ipv4_dst=c.gateway_ip),
             (Output(CONTROLLER),)),
    ]
    # A VM's TCP SYN goes to the controller by a flow of its own (the miss would take it
    # too): matching on the flags makes the switch's datapath cache "to the controller" for
    # SYNs only, so the ACK that follows finds the session's new flows instead of a cached
    # trip to the controller (which a lone SYN would have cached for the whole 5-tuple).
    for port in c.vm_ports:
        rules.append(Flow(PRIO_SYN, dict(ip, in_port=port, ip_proto=IP_PROTO["tcp"],
                                         tcp_flags=(TCP_SYN, TCP_SYN | TCP_ACK)),
                          (Output(CONTROLLER),)))
    for kind in ICMP_ERRORS:  # about a VM's packet: translated back to the VM
        rules.append(Flow(PRIO_TRAP, dict(ip, in_port=c.uplink_port, ip_proto=IP_PROTO["icmp"],
                                          ipv4_dst=c.outside_ip, icmpv4_type=kind),
                          (Output(CONTROLLER),)))
    for f in c.forwards:  # a port forward's first packet: from the LAN, from the host PC
        for port, address in ((c.uplink_port, c.outside_ip), (c.host_port, c.gateway_ip)):
            match = dict(ip, in_port=port, ip_proto=IP_PROTO[f.proto], ipv4_dst=address,
                         **{L4_FIELDS[f.proto][1]: f.outside_port})
            rules.append(Flow(PRIO_TRAP, match, (Output(CONTROLLER),)))
    return rules
