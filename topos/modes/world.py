"""The world every mode shares (docs/contract.md §1), as a Mininet topology.

                     inet (203.0.113.10)            a server "on the internet"
                        |
                     [wan]                          switch
                        |
   r1  WAN 203.0.113.1 / LAN 192.168.1.1            home router: NAT + firewall + DHCP
                        |
                     [lan]                          the physical LAN switch
          +-------------+--------------+
         pc1          host1           host2         PCs on the LAN (DHCP, reserved)
    192.168.1.20   192.168.1.10    192.168.1.11
                   vm1, vm2         vm3             the VMs: how they attach is the mode's

Inside a node, interfaces are named as on a real machine (eth0, eth1, vboxnet0);
a switch port is named after the node and interface it faces (pc1-eth0).
A mode subclasses World and adds its VMs in add_mode() (docs/adding-a-mode.md).
"""

import os

from mininet.topo import Topo

from plan.addressing import (
    DPID_LAN,
    DPID_WAN,
    HOST_PCS,
    INET6_IP,
    INET_IP,
    INET_MAC,
    LAN6,
    LAN_POOL,
    MAX_VMS,
    PCS,
    R1_LAN6_IP,
    R1_LAN_IP,
    R1_WAN6_IP,
    R1_WAN_IP,
    R1_WAN_MAC,
    lan_ip,
    pc_ip,
    pc_mac,
    vm_mac,
)
from plan.names import HOME_DOMAIN, HOME_NAMES, HOST1_ONLY, ZONE
from topos.run.dhcp import Dnsmasq, HomeDns, Reservation
from topos.run.errors import LabError
from topos.run.host_sockets import of_host
from topos.run.lab_names import RootNames
from topos.run.links import host_link
from topos.run.name_service import Nsd
from topos.run.nodes import LabNode
from topos.run.switch import VmnetSwitch

IFNAMSIZ = 15  # the longest interface name Linux takes


def whole_number(name, value, low, high):
    """A topology parameter that must be an integer in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise LabError("%s=%r: must be a whole number from %d to %d" % (name, value, low, high))
    if not low <= value <= high:
        raise LabError("%s=%d: must be from %d to %d" % (name, value, low, high))
    return value


class World(Topo):
    """inet, r1, pc1, host1, host2 and the wan/lan switches; VMs by mode."""

    mode = None
    parameters = {}  # name -> default, for the mode's own parameters
    host_interface = None  # where a VM finds its host: this interface's address, else the LAN's
    hides_vms = False  # does the LAN see a VM's traffic come from its host PC (a NAT)?

    def build(self, name=None, **params):
        # the lab's name (topos.run.lab_names): its bridges' and ports' names, not its
        # nodes'; none given: VMNET_LAB_NAME's (a test worker's), else the default lab
        self.root_names = RootNames(os.environ.get("VMNET_LAB_NAME", "") if name is None
                                    else name)
        self.lab_name = self.root_names.lab
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            raise LabError("unknown parameter %s for mode %s (it takes: %s)" % (
                ", ".join(unknown), self.mode, ", ".join(sorted(self.parameters)) or "none"))
        self.options = dict(self.parameters, **params)
        self.validate(self.options)
        self.vms = {}  # VM name -> host PC name
        self.add_world()
        self.add_mode()
        for pc in (n for n in HOST_PCS if n in self.nodes()):
            sockets = of_host([r for r in self.routers(None) if r.outside_ip == pc_ip(pc)],
                              host_only=self.host_only(pc))
            if sockets:  # VirtualBox's NAT: the host's own sockets (topos.run.host_sockets)
                self.nodeInfo(pc)["host_sockets"] = sockets

    max_vms = MAX_VMS  # per host PC

    @property
    def column(self):
        """The contract's column this lab answers to (topos.modes.mode.Column)."""
        return self.mode

    def validate(self, options):
        """Check the mode's parameters; raise LabError naming the bad one. Here: the VM
        counts (vms on host1, vms2 on host2); a mode adds its own."""
        for key in ("vms", "vms2"):
            if key in options:
                whole_number(key, options[key], 1, self.max_vms)

    def vm_counts(self):
        """[(host PC number, host PC, how many VMs it runs)]."""
        return [(1, "host1", self.options["vms"]), (2, "host2", self.options["vms2"])]

    def private_networks(self, switch_name, dpid):
        """Each host PC's VMs on a switch of their own (host-only, internal):
        [(host PC number, host PC, switch, the VM numbers on it)]."""
        networks, number = [], 1
        for index, pc, count in self.vm_counts():
            switch = self.switch(switch_name % pc, dpid + index)
            numbers = list(range(number, number + count))
            for n in numbers:
                self.add_vm(n, pc, switch)
            networks.append((index, pc, switch, numbers))
            number += count
        return networks

    def routers(self, rundir):
        """The virtual routers the controller must run (controllers.config), if any."""
        return []

    def add_mode(self):
        raise NotImplementedError

    def host_only(self, pc):
        """The host PC's own networks' interfaces (host-only), where its NAT VMs reach."""
        return ()

    # --- building blocks ---
    def addSwitch(self, name, **opts):  # noqa: N802 - Topo's name
        """A switch, its Open vSwitch bridge named as the lab names it (RootNames)."""
        opts.setdefault("bridge", self.root_names(name))
        return super().addSwitch(name, **opts)

    def addLink(self, node1, node2, port1=None, port2=None, key=None, **opts):  # noqa: N802
        """A link, a switch's end (a root-namespace device or OVS port) named as the lab
        names it; a node's end keeps its name, in the node's own namespace."""
        for end, node in (("intfName1", node1), ("intfName2", node2)):
            if self.isSwitch(node) and opts.get(end):
                opts[end] = self.root_names(opts[end])
        return super().addLink(node1, node2, port1, port2, key, **opts)

    def switch(self, name, dpid):
        return self.addSwitch(name, cls=VmnetSwitch, dpid="%016x" % dpid)

    def node(self, name, **params):
        if name == "host1":  # a name only its own /etc/hosts knows (a VPN's, a hand-written one)
            params.setdefault("hosts", [HOST1_ONLY])
        if name in PCS:  # on the LAN, however a mode attaches it: r1 advertises its prefix
            params.setdefault("slaac", list(params.get("dhcp", ()))[:1])
        return self.addHost(name, cls=LabNode, ip=None, **params)

    def plug(self, node, intf, switch, mac, port_name=None, port=None):
        """Connect `node`'s interface `intf` to `switch` (port named after node and intf)."""
        name = port_name or "%s-%s" % (node, intf)
        if len(name) > IFNAMSIZ:
            raise LabError("interface name %s is longer than Linux allows (%d)" % (
                name, IFNAMSIZ))
        self.addLink(node, switch, cls=host_link(), port2=port, intfName1=intf,
                     intfName2=port_name or "%s-%s" % (node, intf), addr1=mac)

    def add_vm(self, number, pc, switch, port_name=None, port=None, **params):
        name = "vm%d" % number
        self.node(name, dhcp=["eth0"], role="VM on %s" % pc, **params)
        self.plug(name, "eth0", switch, vm_mac(number), port_name, port)
        self.vms[name] = pc
        return name

    def add_world(self):
        wan = self.switch("wan", DPID_WAN)
        lan = self.switch("lan", DPID_LAN)
        self.node("inet", addresses={"eth0": INET_IP + "/24"}, gateway=R1_WAN_IP,
                  addresses6={"eth0": INET6_IP + "/64"}, gateway6=R1_WAN6_IP,
                  role="a server on the internet (and example.test's name server)",
                  resolver=[INET_IP], name_server=[Nsd(INET_IP, ZONE, INET6_IP)])
        self.plug("inet", "eth0", wan, INET_MAC)
        self.node(
            "r1", role="home router (NAT, firewall, DHCP, the home's DNS)",
            addresses={"eth0": R1_WAN_IP + "/24", "eth1": R1_LAN_IP + "/24"},
            addresses6={"eth0": R1_WAN6_IP + "/64", "eth1": "%s/%d" % (R1_LAN6_IP,
                                                                     LAN6.prefixlen)},
            forwarding=True, routes_ipv6=True, masquerade="eth0", echo=False,
            resolver=[R1_LAN_IP],
            dhcp_server=Dnsmasq(
                "eth1", *LAN_POOL, router=R1_LAN_IP,
                reservations=tuple(Reservation(pc_mac(o), lan_ip(o), n)
                                   for n, o in PCS.items()),
                dns=HomeDns(HOME_DOMAIN, tuple(HOME_NAMES.items()), upstream=INET_IP),
                advertise=True),
        )
        self.plug("r1", "eth0", wan, R1_WAN_MAC)
        self.plug("r1", "eth1", lan, pc_mac(1))
        for name, octet in PCS.items():
            self.add_pc(name, pc_mac(octet), lan)

    def add_pc(self, name, mac, lan):
        """A PC with its network card on the LAN (a mode may attach host PCs otherwise)."""
        self.node(name, dhcp=["eth0"], role="PC on the LAN" if name == "pc1" else "host PC")
        self.plug(name, "eth0", lan, mac)


def vbox_dhcp_server(interface, net, numbers):
    """A DHCP server as VirtualBox's on a private network: .101 upwards, reserved in VM
    order (leases repeat from run to run), no gateway."""
    prefix = str(net.network_address)[:-1]  # "192.168.56."
    return Dnsmasq(interface, prefix + "101", prefix + "250", router=None,
                      reservations=tuple(Reservation(vm_mac(n), "%s%d" % (prefix, 101 + i),
                                                     "vm%d" % n)
                                         for i, n in enumerate(numbers)))
