"""VirtualBox's plain NAT (nat,per_vm=yes): a virtual router per VM, every VM at 10.0.2.15
behind its own 10.0.2.2, the VMs unable to see each other; every claim of its column."""

import json

import pytest
from labkit import assert_claim

from topos.contract import probe
from topos.contract.claims import for_column
from topos.modes.nat import Nat
from topos.modes.registry import column
from topos.run.poll import until
from topos.tools.natmap import natmap_rows


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    # vm2's forward is served by the second router in host1's row: the first passes it on
    return Nat(per_vm="yes", pf="tcp:2222:vm1:22+udp:5353:vm2:53")


@pytest.mark.parametrize("claim", for_column(column("nat_per_vm")),
                         ids=lambda c: "claim%d" % c.number)
def test_claim(lab, claim):
    assert_claim(lab, claim)


def test_every_vm_leases_10_0_2_15_from_its_own_router(lab):
    for vm in ("vm1", "vm2", "vm3"):
        assert lab.ip(vm) == "10.0.2.15"
        assert "default via 10.0.2.2" in lab.get(vm).cmd("ip route")
    for router in ("vm1", "vm2", "vm3"):
        with open("%s/natmap-%s.json" % (lab.rundir, router)) as f:
            leases = json.load(f)["leases"]
        assert [(lease["mac"], lease["ip"]) for lease in leases] == [
            ("08:00:27:00:00:0%s" % router[-1], "10.0.2.15")]


def test_each_vm_is_mapped_by_its_own_router_into_its_own_ports(lab):
    for vm in ("vm1", "vm2"):
        assert probe.tcp(lab.get(vm), lab.ip("pc1")).ok

    def by_router():  # the controller writes its table down within a second or so
        rows = [r for r in natmap_rows(lab) if r["proto"] == "tcp" and not r["forward"]]
        return {r["router"]: r["outside_port"] for r in rows}

    until(lambda: set(by_router()) == {"vm1", "vm2"}, 10, "both routers' NAT tables")
    port = by_router()
    assert 61000 <= port["vm1"] <= 61499 < 61500 <= port["vm2"] <= 61999, port
