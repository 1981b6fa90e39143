"""`vmnet bench --scale N`: how the lab grows. N VMs on host1 with one adapter, then, in
the same run, N with two: seconds until every lease is done, whether host1 reaches every
card, and the memory each VM's processes take."""

import statistics
import tempfile
import time

from topos.modes.registry import topology
from topos.run.controller_node import VmnetController
from topos.run.lab import Lab
from topos.run.preflight import preflight
from topos.tools.labs import rss_kib


def scale(vms, say=print):
    """A host-only lab with `vms` VMs on host1: seconds to ready, all pingable, memory per VM;
    then, in the same run, the same VMs with two adapters each (a lab file: host-only
    vboxnet0 and vboxnet1, each with VirtualBox's DHCP server)."""
    preflight([VmnetController])
    topo = topology("hostonly", "vms=%d" % vms)
    start = time.monotonic()
    with Lab(topo) as lab:
        ready = time.monotonic() - start
        say("host-only with %d VMs ready in %.1f s" % (vms, ready))
        unreachable = pinged(lab, [(vm, None) for vm, pc in topo.vms.items() if pc == "host1"])
        memory = [node_rss_kib(lab.get(vm)) for vm, pc in topo.vms.items() if pc == "host1"]
    with tempfile.TemporaryDirectory(prefix="vmnetlab-scale-") as folder:
        path = "%s/two-adapters.lab" % folder
        with open(path, "w") as f:
            f.write(two_adapters(vms))
        two = topology("lab", "file=%s" % path)
        start = time.monotonic()
        with Lab(two) as lab:
            two_ready = time.monotonic() - start
            say("%d VMs with two adapters each ready in %.1f s" % (vms, two_ready))
            unreachable += pinged(lab, [(vm, intf) for vm in two.vms for intf in ("eth0",
                                                                                  "eth1")])
    return {"vms": vms, "ready_s": round(ready, 2), "unreachable": unreachable,
            "memory_per_vm_kib": round(statistics.mean(memory)),
            "two_adapters_ready_s": round(two_ready, 2),
            "two_adapters_ratio": round(two_ready / ready, 2)}


def two_adapters(vms):
    """A lab file: `vms` VMs on host1, each on two host-only networks with DHCP."""
    lines = ["[host1]"]
    for n in (0, 1):
        lines += ["VBoxManage hostonlyif create",
                  "VBoxManage dhcpserver add --interface vboxnet%d --server-ip 192.168.%d.100 "
                  "--netmask 255.255.255.0 "
                  "--lower-ip 192.168.%d.101 --upper-ip 192.168.%d.250 --enable" % (
                      n, 56 + n, 56 + n, 56 + n)]
    for n in range(1, vms + 1):
        lines += ["VBoxManage createvm --name vm%d --register" % n,
                  "VBoxManage modifyvm vm%d --nic1 hostonly --host-only-adapter1 vboxnet0 "
                  "--nic2 hostonly --host-only-adapter2 vboxnet1" % n]
    return "\n".join(lines) + "\n"


def pinged(lab, targets):
    """Of [(node, interface)], those host1 does not reach with one ping."""
    host1 = lab.get("host1")
    return ["%s%s" % (vm, " " + intf if intf else "") for vm, intf in targets
            if "1 received" not in host1.cmd("ping -c1 -W2 %s" % lab.ip(vm, intf))]


def node_rss_kib(node):
    """Resident memory of a node's processes: its shell, DHCP client and echo servers."""
    return sum(rss_kib(pid) for pid in [node.shell.pid] + [p.pid for p in node.processes])
