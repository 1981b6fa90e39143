"""A port forward, as VirtualBox's natpf writes it: an outside port to a VM's port.
Pure Python."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Forward:
    """A port forward like VirtualBox's natpf: outside `proto` port -> inside ip:port."""

    proto: str
    outside_port: int
    inside_ip: str
    inside_port: int
    # False: bound to the host's loopback (natpf's host IP 127.0.0.1): the host PC reaches
    # it, the LAN does not
    from_lan: bool = True

    def entries(self, cfg):
        """(switch port, address) where the forward's first packets come in: from the LAN
        to the host PC's address, from the host PC to the gateway's (controllers.config)."""
        return [(cfg.uplink_port, cfg.outside_ip)] * self.from_lan + [
            (cfg.host_port, cfg.gateway_ip)]


def parse_forward(text):
    """'tcp:2222:vm1:22' -> (proto, outside port, VM name, inside port); ValueError says why."""
    parts = text.split(":")
    if len(parts) != 4:
        raise ValueError("port forward %r: write proto:hostport:vm:guestport" % text)
    proto, outside, vm, inside = parts
    if proto not in ("tcp", "udp"):
        raise ValueError("port forward %r: protocol must be tcp or udp, not %r" % (text, proto))
    ports = []
    for value in (outside, inside):
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 65535:
            raise ValueError("port forward %r: port %r is not in 1-65535" % (text, value))
        ports.append(int(value))
    if not vm:
        raise ValueError("port forward %r: no VM named" % text)
    return proto, ports[0], vm, ports[1]
