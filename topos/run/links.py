"""How a node's network card meets its switch.

On the kernel datapath: a veth pair, as Mininet makes it. On OVS's userspace datapath
a veth port is read through an AF_PACKET socket in vswitchd's main thread, which
halves TCP throughput; a tap port is read through its own file descriptor and runs
at about twice the speed (13.6 against 7-8 Gbit/s, measured here). So there the
card is a tap device, as VirtualBox's and libvirt's are: Open vSwitch creates it as
the switch's port (named after the node and its interface, e.g. vm1-eth0), then the
lab moves it into the node and renames it (eth0). The device lives as long as the
switch holds its port.
"""

import subprocess

from mininet.link import Intf, Link

from topos.run.switch import kernel_datapath


class TapIntf(Intf):
    """Either end of a tap link; nothing exists to configure until the switch creates it."""

    tap = True  # the switch makes its port a tap device (topos.run.switch)

    def config(self, **_params):
        return {}

    def delete(self):
        # The switch removes the device with its port; the node's end goes with it.
        self.node.cmd("ip link del %s 2>/dev/null" % self.name)
        self.node.delIntf(self)
        self.link = None


class TapLink(Link):
    def __init__(self, node1, node2, **params):
        params.update(cls1=TapIntf, cls2=TapIntf)
        super().__init__(node1, node2, **params)

    def makeIntfPair(self, *_args, **_kwargs):  # noqa: N802 - Mininet's name
        return None  # Open vSwitch makes the device when it adds the port

    def attach(self):
        """Move the tap the switch made into the node, under the node's name for it."""
        card, port = self.intf1, self.intf2
        # the switch's end lives in the root namespace, where Open vSwitch made it
        subprocess.run(["ip", "link", "set", port.name, "netns", str(card.node.pid)],
                       check=True, capture_output=True)
        card.node.check("ip link set %s name %s" % (port.name, card.name))
        if card.mac:
            card.node.check("ip link set %s address %s" % (card.name, card.mac))
        card.node.check("ip link set %s up" % card.name)


def host_link():
    """The link class for a node's card on one of the lab's switches."""
    return Link if kernel_datapath() else TapLink


def attach(net):
    """After the switches have started: put the taps in place, then configure the nodes."""
    for link in net.links:
        if isinstance(link, TapLink):
            link.attach()
    for node in net.hosts:
        configure = getattr(node, "configure_interfaces", None)
        if configure:
            configure()
