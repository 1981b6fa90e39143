"""The contract's claims (docs/contract.md): who must reach whom. Whether a claim must hold is
each mode's to say (its columns, topos.modes.mode.Column); a claim a column does not name does
not apply there ("-" in the table).

A claim names roles, not nodes; topos.contract.check resolves them from the lab's actual
parameters (ROLES).
"""

from dataclasses import dataclass

# The roles a claim may name, resolved per lab by topos.contract.check.roles().
ROLES = {
    "vm": "the first VM of host1 (vm1)",
    "peer": "a second VM of host1",
    "remote_vm": "the first VM of host2",
    "forward": "each port forward: its host PC, outside port, target VM and port",
}


@dataclass(frozen=True)
class Claim:
    number: int
    text: str


CLAIMS = (
    Claim(1, "{vm} -> {peer} (a second VM of host1)"),
    Claim(2, "vm1 -> host1"),
    Claim(3, "host1 -> vm1"),
    Claim(4, "vm1 -> pc1"),
    Claim(5, "pc1 -> vm1 (with a route to the VM network via host1)"),
    Claim(6, "vm1 -> inet"),
    Claim(7, "inet -> vm1"),
    Claim(8, "{vm} -> {remote_vm} (a VM on host2)"),
    Claim(9, "host1 -> pc1, host1 -> inet"),
    Claim(10, "host1 <-> vm1 with host1's physical link down"),
    Claim(11, "pc1 sees vm1's traffic as coming from host1 (nat) / vm1 (bridged)"),
    Claim(12, "inet sees vm1's traffic as coming from 203.0.113.1 (r1)"),
    Claim(13, "pc1 -> {forward} (a port forward)"),
    Claim(14, "the virtual router is the NAT type STUN expects (server on pc1)"),
    Claim(15, "r1 is the NAT type STUN expects (host1 to a server on inet)"),
    Claim(16, "host1 -> {forward} at 127.0.0.1 (the host reaching a port forward)"),
    Claim(17, "vm1 -> www.example.test by name (the name server its lease gave)"),
    # IPv6: the world is dual-stack (r1 advertises the LAN's prefix, routes IPv6 without NAT
    # and lets nothing new in); each attachment gives the guest IPv6 as VirtualBox does
    Claim(18, "vm1 -> inet over IPv6"),
    Claim(19, "inet -> vm1 over IPv6"),
    Claim(20, "vm1 -> pc1 over IPv6"),
    Claim(21, "pc1 -> vm1 over IPv6"),
    Claim(22, "{vm} -> {peer} over IPv6, link-local"),
    Claim(23, "vm1 -> host1 over IPv6"),
)
IPV6_CLAIMS = range(18, 24)


def for_column(column):
    """The claims that apply to a column (topos.modes.mode.Column)."""
    return [c for c in CLAIMS if column.expected(c.number) is not None]
