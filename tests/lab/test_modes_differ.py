"""Claim 8 differs between modes: bridged VMs of two PCs reach each other, host-only VMs don't."""

from labkit import build, stop_and_check
from leftovers import root_state

from topos.contract import check
from topos.contract.claims import CLAIMS
from topos.modes.bridged import Bridged
from topos.modes.hostonly import HostOnly

CLAIM8 = next(c for c in CLAIMS if c.number == 8)


def vm1_reaches_vm3(topo, rundir):
    before = root_state()
    lab = build(topo, rundir)
    try:
        return {o.proto: o.observed for o in check.check_claim(lab, CLAIM8)}
    finally:
        stop_and_check(lab, before)


def test_vm1_reaches_vm3_when_bridged_and_not_when_host_only(tmp_path):
    assert vm1_reaches_vm3(HostOnly(), tmp_path / "hostonly") == {
        "icmp": False, "tcp": False, "udp": False}
    assert vm1_reaches_vm3(Bridged(), tmp_path / "bridged") == {
        "icmp": True, "tcp": True, "udp": True}
