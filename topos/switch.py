"""The lab's switch: Open vSwitch, OpenFlow 1.3, secure fail mode.

Kernel datapath when the openvswitch module is loaded, else OVS's userspace
(netdev) datapath - which needs `userspace-tso-enable` (vm/provision.sh sets it)
for TCP over veth to run at full speed instead of stalling.
"""

import os

from mininet.node import OVSSwitch


def kernel_datapath():
    return os.path.isdir("/sys/module/openvswitch")


class VmnetSwitch(OVSSwitch):
    def __init__(self, name, **params):
        params.setdefault("protocols", "OpenFlow13")
        params.setdefault("failMode", "secure")  # no controller: no forwarding, never a hub
        params.setdefault("datapath", "kernel" if kernel_datapath() else "user")
        super().__init__(name, **params)

    def intfOpts(self, intf):  # noqa: N802 - Mininet's name
        """A tap card's port is a tap device that Open vSwitch creates (topos.links)."""
        from topos.links import TapIntf

        opts = super().intfOpts(intf)
        if isinstance(intf, TapIntf):
            opts = (opts or " -- set Interface %s" % intf) + " type=tap"
        return opts

    def flows(self):
        """The switch's flow table as ovs-ofctl prints it."""
        return self.cmd("ovs-ofctl -O OpenFlow13 dump-flows", self.name)
