"""Host-only mode (docs/contract.md §2): each host PC has a private network with its VMs.

   host1 vboxnet0 192.168.56.1 ----[host1-vbox]---- vm1 .101, vm2 .102, ...
   host2 vboxnet0 192.168.57.1 ----[host2-vbox]---- vm3 192.168.57.101

A host-only DHCP server (on the host PC) hands out .101 upwards and no gateway;
the host PC does not forward, so the VMs reach their host and each other only.
"""

from plan.addressing import DPID_HOSTONLY, VBOX_MAC, hostonly_net
from topos.modes.mode import MINUS, PLUS, BenchPath, Column, Mode
from topos.modes.world import World, vbox_dhcp_server


class HostOnly(World):
    mode = "hostonly"
    parameters = {"vms": 2, "vms2": 1}  # VMs on host1, on host2
    host_interface = "vboxnet0"  # where a VM finds its host

    def add_mode(self):
        for index, pc, switch, numbers in self.private_networks("%s-vbox", DPID_HOSTONLY):
            net = hostonly_net(index)
            self.plug(pc, "vboxnet0", switch, VBOX_MAC % (index - 1))
            host = self.nodeInfo(pc)
            host["addresses"] = {"vboxnet0": "%s/24" % (net.network_address + 1)}
            host["dhcp_server"] = vbox_dhcp_server("vboxnet0", net, numbers)


MODE = Mode(
    "hostonly", HostOnly,
    columns=(Column("hostonly", {1: True, 2: True, 3: True, 4: False, 5: False, 6: False,
                                 7: False, 8: False, 9: True, 10: True, 15: True, 17: False,
                                 # link-local only: vboxnet0 has no IPv6 address of its own
                                 # unless `hostonlyif ipconfig --ipv6` gives it one
                                 18: False, 19: False, 20: False, 21: False, 22: True,
                                 23: True},
                    "Host-only", (PLUS, PLUS, PLUS, MINUS, MINUS, MINUS, MINUS)),),
    bench_paths=(BenchPath("vm1->host1", "vm1", "host1", ("host1", "vboxnet0")),),
)
