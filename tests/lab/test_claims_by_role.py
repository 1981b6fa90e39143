"""Claims follow the lab's parameters: roles resolve to the lab's nodes, or are not applicable."""

import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MN = ["mn", "--custom", os.path.join(ROOT, "topos", "vmnet.py")]


@pytest.mark.parametrize("topo, summary, shown", [
    ("hostonly,vms=1", "hostonly: 44 of 44 checks hold (2 not applicable in this lab)",
     "vm1 -> (none) (a second VM of host1)"),
    ("nat,pf=none", "nat: 54 of 54 checks hold (2 not applicable in this lab)",
     "not applicable: this lab has no port forward"),
    ("nat,vms=3,pf=udp:5353:vm2:53", "nat: 56 of 56 checks hold",
     "pc1 -> host1:5353 reaches vm2:53 (a port forward)                  udp"),
    ("nat,per_vm=yes,vms=1", "nat: 47 of 47 checks hold (2 not applicable in this lab)",
     "host1 -> 127.0.0.1:2222 reaches vm1:22 (a port forward)"),
    ("bridged,vms=1,vms2=2", "bridged: 47 of 47 checks hold (2 not applicable in this lab)",
     "vm1 -> vm2 (a VM on host2)"),
])
def test_reach_follows_the_parameters(topo, summary, shown):
    result = subprocess.run(MN + ["--topo", topo, "--test", "reach"], capture_output=True,
                            text=True, timeout=240, cwd=ROOT)
    said = result.stdout + result.stderr
    assert result.returncode == 0, said
    assert summary in said
    assert shown in said
