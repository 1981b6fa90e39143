"""Internal network mode (VirtualBox's "Internal Network"): each host PC's VMs on a private
switch with no host adapter and no way out (docs/contract.md §2).

   [host1-intnet] ---- vm1 10.10.10.101, vm2 .102, and intdhcp1 10.10.10.1
   [host2-intnet] ---- vm3 10.10.11.101,            and intdhcp2 10.10.11.1

Addresses come from a DHCP server on that network (as `VBoxManage dhcpserver
--network=intnet` adds one), which is no host: a node of its own that only serves DHCP.
The host PCs stay on the LAN, with nothing attached to the VMs' switch.
"""

from plan.addressing import DPID_INTERNAL, INTNET_DHCP_MAC, internal_net
from topos.modes.mode import MINUS, PLUS, BenchPath, Column, Mode
from topos.modes.world import World, vbox_dhcp_server


class Internal(World):
    mode = "internal"
    parameters = {"vms": 2, "vms2": 1}  # VMs on host1, on host2

    def add_mode(self):
        for index, _pc, switch, numbers in self.private_networks("%s-intnet", DPID_INTERNAL):
            net = internal_net(index)
            server = "intdhcp%d" % index
            self.node(server, role="the internal network's DHCP server", echo=False,
                      addresses={"eth0": "%s/24" % (net.network_address + 1)},
                      dhcp_server=vbox_dhcp_server("eth0", net, numbers))
            self.plug(server, "eth0", switch, INTNET_DHCP_MAC % index)


MODE = Mode(
    "internal", Internal,
    columns=(Column("internal", {1: True, 2: False, 3: False, 4: False, 5: False, 6: False,
                                 7: False, 8: False, 9: True, 15: True, 17: False,
                                 18: False, 19: False, 20: False, 21: False, 22: True,
                                 23: False},
                    "Internal", (MINUS, MINUS, PLUS, MINUS, MINUS, MINUS, MINUS)),),
    bench_paths=(BenchPath("vm1->vm2", "vm1", "vm2", ("vm2", None)),),
)
