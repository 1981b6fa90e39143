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

from plan.addressing import DPID_BRIDGE, MAX_VMS
from topos.modes.mode import PLUS, BenchPath, Column, Mode
from topos.modes.world import World


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
                self.add_vm(number, pc, "br0-%s" % pc, port_name="%s-vnet%d" % (pc, tap),
                            slaac=["eth0"])  # on the LAN: r1 advertises its prefix to it
                number += 1


MODE = Mode(
    "bridged", Bridged,
    columns=(Column("bridged", {1: True, 2: True, 3: True, 4: True, 5: True, 6: True, 7: False,
                                8: True, 9: True, 11: True, 12: True, 15: True, 17: True,
                                # on the LAN's IPv6 itself: SLAAC from r1, whose firewall
                                # lets nothing new in
                                18: True, 19: False, 20: True, 21: True, 22: True, 23: True},
                    "Bridged", (PLUS,) * 7),),
    bench_paths=(BenchPath("vm1->pc1", "vm1", "pc1", ("pc1", None)),
                 BenchPath("pc1->vm1", "pc1", "vm1", ("vm1", None)),
                 BenchPath("vm1->pc1 IPv6", "vm1", "pc1", ("pc1", None), udp=False, family=6),
                 BenchPath("pc1->vm1 IPv6", "pc1", "vm1", ("vm1", None), udp=False,
                           family=6)),
)
