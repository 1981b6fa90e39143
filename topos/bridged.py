"""Bridged mode (docs/contract.md §2): the VMs sit on the physical LAN through br0.

                          [lan]
                            | host1-eth0 (patch)           host1's physical network card
            +------------[br0-host1]------------+           the bridge on host1
     host1-br0 |         host1-vnet0 |           | host1-vnet1
      host1 br0 192.168.1.10        vm1 eth0     vm2 eth0   (VM addresses from r1's pool)

host2 likewise with vm3. The bridge is a learning switch and nothing more: it rewrites
nothing, the VMs ask r1 for their addresses, and the whole LAN can reach them.
"""

from mininet.link import OVSLink

from controllers.addressing import DPID_BRIDGE, MAX_VMS
from topos.world import World


class Bridged(World):
    mode = "bridged"
    parameters = {"vms": 2, "vms2": 1}  # VMs on host1, on host2

    max_vms = MAX_VMS // 2  # r1's pool has 100 addresses

    def add_pc(self, name, mac, lan):
        if name == "pc1":
            return super().add_pc(name, mac, lan)
        # As on a real bridged host, the PC's address (and MAC) moves to br0 and its
        # network card becomes a port of the bridge.
        index = int(name[-1])
        bridge = self.switch("br0-%s" % name, DPID_BRIDGE + index)
        self.node(name, dhcp=["br0"], role="host PC (bridged)")
        self.plug(name, "br0", bridge, mac)
        # switch to switch: an OVS patch port, no veth in between
        self.addLink(lan, bridge, cls=OVSLink, intfName1="%s-eth0" % name,
                     intfName2="br0-%s-eth0" % name)

    def add_mode(self):
        number = 1
        for pc, count in (("host1", self.options["vms"]), ("host2", self.options["vms2"])):
            for tap in range(count):
                self.add_vm(number, pc, "br0-%s" % pc, port_name="%s-vnet%d" % (pc, tap))
                number += 1
