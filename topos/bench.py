"""Throughput figures, each next to the physical limit measured in the same run.

The limit is a bare veth pair between two namespaces; everything the lab adds
(switches, controller rules, NAT) is shown as a ratio to it.
"""

import json
import os
import tempfile

from mininet.net import Mininet
from mininet.topo import Topo

from topos.controller import VmnetController
from topos.errors import LabError
from topos.lab import preflight
from topos.nodes import LabNode
from topos.poll import until
from topos.probe import listening
from topos.switch import VmnetSwitch


def iperf_tcp(client, server, server_ip, seconds):
    """TCP throughput client -> server in Gbit/s (iperf3, one stream)."""
    proc = server.popen(["iperf3", "-s", "-1", "-B", server_ip])
    try:
        until(lambda: listening(server, 5201), 5, "iperf3 to listen")
        out = client.cmd("iperf3 -J -c %s -t %s" % (server_ip, seconds))
    finally:
        proc.terminate()
        proc.wait()
    try:
        result = json.loads(out)
        return result["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError) as e:
        raise LabError("iperf3 gave no result: %s" % out[-300:]) from e


class Pair(Topo):
    """Two namespaces joined by a veth pair, or through one of the lab's switches."""

    def build(self, switch=False):
        a = self.addHost("bench-a", cls=LabNode, ip=None, addresses={"eth0": "10.99.0.1/24"})
        b = self.addHost("bench-b", cls=LabNode, ip=None, addresses={"eth0": "10.99.0.2/24"})
        if switch:
            s = self.addSwitch("bench-s", cls=VmnetSwitch, dpid="%016x" % 0xBE)
            self.addLink(a, s, intfName1="eth0", intfName2="bench-a-eth0")
            self.addLink(b, s, intfName1="eth0", intfName2="bench-b-eth0")
        else:
            self.addLink(a, b, intfName1="eth0", intfName2="eth0")


def measure_pair(switch, seconds, rundir):
    controller = VmnetController if switch else None
    net = Mininet(topo=Pair(switch=switch), controller=None, waitConnected=False)
    try:
        if controller:
            net.addController("c0", controller, rundir=rundir)
        net.start()
        if switch:
            until(lambda: all(s.connected() for s in net.switches), 20, "the switch to connect")
        a, b = net.get("bench-a", "bench-b")
        a.cmd("ping -c1 -W2 10.99.0.2")  # learn the MACs before timing
        return iperf_tcp(a, b, "10.99.0.2", seconds)
    finally:
        for host in net.hosts:
            host.stop_processes()
        net.stop()


def switch_vs_veth(seconds=4, rundir=None):
    """{'veth': Gbit/s, 'one_switch': Gbit/s, 'ratio': one_switch / veth}."""
    preflight([VmnetController])
    rundir = rundir or tempfile.mkdtemp(prefix="vmnetlab-bench-")
    os.makedirs(rundir, exist_ok=True)
    veth = measure_pair(False, seconds, rundir)
    switched = measure_pair(True, seconds, rundir)
    return {"veth_gbps": veth, "one_switch_gbps": switched, "ratio": switched / veth}
