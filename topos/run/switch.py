"""The lab's switch: Open vSwitch, OpenFlow 1.3, secure fail mode.

Kernel datapath when the openvswitch module is loaded, else OVS's userspace
(netdev) datapath - which needs `userspace-tso-enable` (vm/provision.sh sets it)
for TCP over veth to run at full speed instead of stalling.
"""

import os
import subprocess

from mininet.node import OVSSwitch
from mininet.util import errRun

from topos.run.inventory import OVS_TAG, Owned


def kernel_datapath():
    return os.path.isdir("/sys/module/openvswitch")


class VmnetSwitch(Owned, OVSSwitch):
    """`bridge`: the Open vSwitch bridge's name, the lab's own (topos.run.lab_names); the
    node keeps its name in the lab (lan, host1-vbox). Mininet's OVSSwitch writes the
    switch itself into its ovs-vsctl and ovs-ofctl commands: it is the bridge's name."""

    def __init__(self, name, bridge=None, **params):
        self.bridge = bridge or name
        params.setdefault("protocols", "OpenFlow13")
        params.setdefault("failMode", "secure")  # no controller: no forwarding, never a hub
        params.setdefault("datapath", "kernel" if kernel_datapath() else "user")
        super().__init__(name, **params)

    def __str__(self):
        return self.bridge

    def vsctl(self, *args, **kwargs):
        # never wait forever for a vswitchd that does not answer
        if self.batch:  # queued: batchStartup runs them with the deadline
            return super().vsctl(*args, **kwargs)
        return super().vsctl("--timeout=30", *args, **kwargs)

    @classmethod
    def batchStartup(cls, switches, run=errRun):  # noqa: N802 - Mininet's name
        def run_with_deadline(command, **kwargs):
            return run(command.replace("ovs-vsctl", "ovs-vsctl --timeout=30", 1), **kwargs)

        return super().batchStartup(switches, run=run_with_deadline)

    def bridgeOpts(self):  # noqa: N802 - Mininet's name
        """The bridge carries its lab's id, so that `vmnet clean` knows it is ours."""
        opts = super().bridgeOpts()
        if self.inventory is not None:
            opts += " external_ids:%s=%s" % (OVS_TAG, self.inventory.id)
        return opts

    def stop(self, deleteIntfs=True):  # noqa: N803 - Mininet's name
        self.cmd("ovs-vsctl --timeout=10 --if-exists del-br", self.bridge)
        if self.datapath == "user":
            self.cmd("ip link del", self.bridge, "2>/dev/null")
        super(OVSSwitch, self).stop(deleteIntfs)

    @classmethod
    def batchShutdown(cls, switches, run=None):  # noqa: N802 - Mininet's name
        """Mininet's batch shutdown, with a deadline on ovs-vsctl."""
        if switches:
            subprocess.run(["ovs-vsctl", "--timeout=10"] + [
                a for s in switches for a in ("--", "--if-exists", "del-br", s.bridge)],
                capture_output=True, timeout=20)
        for switch in switches:
            switch.terminate()
        return switches

    def intfOpts(self, intf):  # noqa: N802 - Mininet's name
        """A tap card's port is a tap device that Open vSwitch creates (topos.run.links)."""
        opts = super().intfOpts(intf)
        if getattr(intf, "tap", False):
            opts = (opts or " -- set Interface %s" % intf) + " type=tap"
        return opts

    def flows(self):
        """The switch's flow table as ovs-ofctl prints it."""
        return self.cmd("ovs-ofctl -O OpenFlow13 dump-flows", self.bridge)
