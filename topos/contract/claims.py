"""The contract's reachability table (docs/contract.md) as data: who must reach whom, per mode.

A claim names roles, not nodes; topos.contract.check resolves them from the lab's actual
parameters (ROLES). None means the claim does not apply to that mode ("-" in the table).
"""

from dataclasses import dataclass
from typing import Mapping, Optional

MODES = ("hostonly", "nat", "bridged", "internal")
# The contract's columns: the modes, and nat,per_vm=yes (VirtualBox's plain NAT), which is
# built by the nat mode but answers differently (topos.world.World.column).
COLUMNS = MODES + ("nat_per_vm",)


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
    expected: Mapping[str, Optional[bool]]

    def applies(self, mode):
        return self.expected.get(mode) is not None


def _claim(number, text, hostonly, nat, bridged, internal, nat_per_vm):
    return Claim(number, text, dict(zip(COLUMNS, (hostonly, nat, bridged, internal,
                                                  nat_per_vm))))


# columns:                                                hostonly nat bridged internal per-VM
CLAIMS = (
    _claim(1, "{vm} -> {peer} (a second VM of host1)", True, True, True, True, False),
    _claim(2, "vm1 -> host1", True, True, True, False, True),
    _claim(3, "host1 -> vm1", True, False, True, False, False),
    _claim(4, "vm1 -> pc1", False, True, True, False, True),
    _claim(5, "pc1 -> vm1 (with a route to the VM network via host1)", False, False, True, False,
           False),
    _claim(6, "vm1 -> inet", False, True, True, False, True),
    _claim(7, "inet -> vm1", False, False, False, False, False),
    # with per_vm=yes vm3 has vm1's own address: nothing could name it from vm1
    _claim(8, "{vm} -> {remote_vm} (a VM on host2)", False, False, True, False, None),
    _claim(9, "host1 -> pc1, host1 -> inet", True, True, True, True, True),
    _claim(10, "host1 <-> vm1 with host1's physical link down", True, None, None, None, None),
    _claim(11, "pc1 sees vm1's traffic as coming from host1 (nat) / vm1 (bridged)",
           None, True, True, None, True),
    _claim(12, "inet sees vm1's traffic as coming from 203.0.113.1 (r1)", None, True, True, None,
           True),
    _claim(13, "pc1 -> {forward} (a port forward)", None, True, None, None, True),
    _claim(14, "the virtual router is the NAT type STUN expects (server on pc1)",
           None, True, None, None, True),
    _claim(15, "r1 is the NAT type STUN expects (host1 to a server on inet)",
           True, True, True, True, True),
    _claim(16, "host1 -> {forward} at the gateway's address (the host reaching a port forward)",
           None, True, None, None, True),
)


def for_mode(column):
    """The claims that apply to a column (a mode's name, or nat_per_vm)."""
    return [c for c in CLAIMS if c.applies(column)]
