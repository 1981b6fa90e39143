"""Internal network mode (VirtualBox's "Internal Network"): each host PC's VMs on a private
switch with no host adapter and no way out (docs/contract.md §2).

   [host1-intnet] ---- vm1 10.10.10.101, vm2 .102, and intdhcp1 10.10.10.1
   [host2-intnet] ---- vm3 10.10.11.101,            and intdhcp2 10.10.11.1

Addresses come from a DHCP server on that network (as `VBoxManage dhcpserver
--network=intnet` adds one), which is no host: a node of its own that only serves DHCP.
The host PCs stay on the LAN, with nothing attached to the VMs' switch.
"""

from controllers.addressing import DPID_INTERNAL, INTNET_DHCP_MAC, internal_net, vm_mac
from topos.run.dhcp import DhcpServer, Reservation
from topos.world import World


class Internal(World):
    mode = "internal"
    parameters = {"vms": 2, "vms2": 1}  # VMs on host1, on host2

    def add_mode(self):
        number = 1
        for index, pc, count in self.vm_counts():
            net = internal_net(index)
            prefix = str(net.network_address)[:-1]  # "10.10.10."
            switch = self.switch("%s-intnet" % pc, DPID_INTERNAL + index)
            first = number
            for _ in range(count):
                self.add_vm(number, pc, switch)
                number += 1
            server = "intdhcp%d" % index
            self.node(server, role="the internal network's DHCP server", echo=False,
                      addresses={"eth0": prefix + "1/24"},
                      dhcp_server=DhcpServer(
                          "eth0", prefix + "101", prefix + "250", router=None,
                          reservations=tuple(
                              Reservation(vm_mac(n), "%s%d" % (prefix, 100 + n - first + 1),
                                          "vm%d" % n) for n in range(first, number))))
            self.plug(server, "eth0", switch, INTNET_DHCP_MAC % index)
