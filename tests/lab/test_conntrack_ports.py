"""The conntrack engine when a VM's slice of outside ports runs out: its new connections fail
at the router, and nothing leaves with the VM network's address (OVS 3.1 passes a packet it
cannot translate on unchanged; the router drops it)."""

from topos.agents import PYTHON
from topos.contract import probe
from topos.nat import Nat

SLICE = 2  # outside ports per VM
HOLD = ("import socket, sys, time\n"
        "held = [socket.create_connection((sys.argv[1], %d), timeout=2) for _ in range(%d)]\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n") % (probe.TCP_PORT, SLICE)


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return Nat(engine="conntrack", mappings=SLICE)


def from_vm_network(pc1):
    """Packets pc1 received from 10.0.2.0/24, by a counting rule in pc1's own namespace."""
    out = pc1.cmd("iptables -L INPUT -v -n -x | grep -F 10.0.2.0/24")
    return int(out.split()[0])


def test_connections_past_the_slice_fail_and_leak_nothing(lab):
    vm1, pc1 = lab.get("vm1", "pc1")
    pc1.check("iptables -I INPUT -s 10.0.2.0/24")  # counts, decides nothing
    holder = vm1.popen([PYTHON, "-c", HOLD, lab.ip("pc1")])  # the slice's ports, in use
    try:
        assert holder.stdout.readline().strip() == b"held", holder.stderr.read()
        results = [probe.tcp(vm1, lab.ip("pc1")) for _ in range(2)]
        assert not any(r.ok for r in results), [r.detail for r in results]
        assert probe.tcp(lab.get("vm2"), lab.ip("pc1")).ok  # vm2's slice is its own
        assert from_vm_network(pc1) == 0
    finally:
        holder.terminate()
        holder.wait()
