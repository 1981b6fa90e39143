"""Host-only mode (docs/contract.md §2): each host PC has a private network with its VMs.

   host1 vboxnet0 192.168.56.1 ----[host1-vbox]---- vm1 .101, vm2 .102, ...
   host2 vboxnet0 192.168.57.1 ----[host2-vbox]---- vm3 192.168.57.101

A host-only DHCP server (on the host PC) hands out .101 upwards and no gateway;
the host PC does not forward, so the VMs reach their host and each other only.
"""

from controllers.addressing import DPID_HOSTONLY, VBOX_MAC, hostonly_net, vm_mac
from topos.run.dhcp import DhcpServer, Reservation
from topos.world import World


class HostOnly(World):
    mode = "hostonly"
    parameters = {"vms": 2, "vms2": 1}  # VMs on host1, on host2

    def add_mode(self):
        number = 1
        for index, pc, count in self.vm_counts():
            net = str(hostonly_net(index).network_address)[:-1]  # "192.168.56."
            switch = self.switch("%s-vbox" % pc, DPID_HOSTONLY + index)
            first = number
            for _ in range(count):
                self.add_vm(number, pc, switch)
                number += 1
            self.plug(pc, "vboxnet0", switch, VBOX_MAC % (index - 1))
            host = self.nodeInfo(pc)
            host["addresses"] = {"vboxnet0": net + "1/24"}
            host["dhcp_server"] = DhcpServer(
                "vboxnet0", net + "101", net + "250", router=None,
                reservations=tuple(
                    Reservation(vm_mac(n), "%s%d" % (net, 100 + n - first + 1), "vm%d" % n)
                    for n in range(first, number)))

