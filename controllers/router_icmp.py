"""ICMP the OpenFlow engine's virtual router answers and translates by hand (OpenFlow 1.3
can neither match nor rewrite what these need): echo replies and errors coming back in,
and the refusal a VM gets when the NAT has no port left for it. Pure Python.
"""

from controllers import packets
from controllers.packets import ICMP_DEST_UNREACH
from controllers.rules import CONTROLLER, Output, PacketOut
from controllers.session_flows import PROTO_NAME


class IcmpByHand:
    """Mixed into controllers.virtual_router.VirtualRouter: uses its cfg, nat, dhcp."""

    def refusal(self, frame, proto, in_port):
        """A TCP reset, or for UDP an ICMP 'administratively prohibited', back to the VM."""
        c = self.cfg
        if proto == "tcp":
            answer = packets.tcp_reset(frame, c.gateway_mac)
        else:
            answer = packets.icmp_error(frame, c.gateway_mac, c.gateway_ip, ICMP_DEST_UNREACH,
                                        packets.CODE_ADMIN_PROHIBITED)
        return PacketOut(CONTROLLER, (Output(in_port),), answer)

    def echo_reply_in(self, frame, in_port):
        """An echo reply: back to the VM whose request it answers, else on its way (to the
        host PC, or from it: the routers of plain NAT stand in a row before it)."""
        c = self.cfg
        mapping = self.nat.inbound("icmp", frame.icmp.ident)
        vm_mac, vm_port = self.dhcp.owner(mapping.inside_ip, mapping.last_used) if mapping \
            else (None, None)
        if vm_port is None:
            return [PacketOut(in_port, (Output(self.across(in_port)),), frame.data)]
        reply = packets.rewrite_echo(frame, c.gateway_mac, vm_mac, dst=mapping.inside_ip,
                                     ident=mapping.inside_port)
        return [PacketOut(c.uplink_port, (Output(vm_port),), reply)]

    def icmp_error_in(self, data, now):
        """An ICMP error quoting a translated packet goes back to its VM, untranslated."""
        c = self.cfg
        to_host = [PacketOut(c.uplink_port, (Output(c.host_port),), data)]
        quoted = packets.quoted_endpoint(data)
        if quoted is None or quoted[0] not in PROTO_NAME or quoted[2] != c.outside_ip:
            return to_host
        proto, port_at, _src = quoted
        mapping = self.nat.inbound(PROTO_NAME[proto], int.from_bytes(
            data[port_at:port_at + 2], "big"))
        vm_mac, vm_port = self.dhcp.owner(mapping.inside_ip, now) if mapping else (None, None)
        if vm_port is None:
            return to_host
        frame = packets.readdress_icmp_error(data, vm_mac, c.gateway_mac, mapping.inside_ip,
                                             port_at, mapping.inside_port)
        return [PacketOut(c.uplink_port, (Output(vm_port),), frame)]
