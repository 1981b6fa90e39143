"""What an adapter may be attached to (`--nicN KIND`), each kind declared once: the
options naming its network, how its networks are told apart, what exists on a host PC,
the subnet a guest's fixed address must be on, and whether a DHCP server hands out
addresses there. The reader, the model and the lab read the declarations and name no kind
but the NATs' (each a virtual router: topos.modes.vbox_lab). docs/labfiles.md, "Adding an
attachment kind", has the steps.

VBoxManage's words and options are VBoxManageModifyVM.cpp's (--nicN, --host-only-adapterN,
--intnetN, --bridge-adapterN, --nat-networkN, each in both spellings).
"""

import ipaddress
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from plan.addressing import LAN

# how a kind's networks are told apart (the model's network key)
NOTHING = "nothing"  # attached to nothing: no network
OWN = "own"  # a network of the adapter's own (a NAT adapter: its VM alone behind it)
SHARED = "shared"  # a network per name on a host PC, shared by the adapters naming it
THE_LAN = "lan"  # the LAN itself (bridged to the host PC's card)


def no_subnet(host, adapter):
    return None


def no_dhcp(host, network):
    return False


def dhcpserver_on(field):
    """A network's DHCP: VBoxManage dhcpserver add --FIELD NAME, enabled."""
    return lambda host, network: any(s.enabled and getattr(s, field) == network
                                     for s in host.dhcp_servers)


def server_subnet(host, adapter):
    """An internal network's subnet: its DHCP server's, when it has one."""
    server = next((s for s in host.dhcp_servers if s.network == adapter.network), None)
    return ipaddress.ip_network("%s/%s" % (server.server_ip, server.netmask),
                                strict=False) if server else None


@dataclass(frozen=True)
class Kind:
    name: str  # VBoxManage's word: --nicN NAME
    scope: str  # NOTHING, OWN, SHARED or THE_LAN
    label: str = ""  # the model's name for one of its networks: %(network)s, %(host)s
    network_options: Tuple[str, ...] = ()  # modifyvm's options naming its network
    default_network: str = ""  # the network when none is named
    # the networks a host PC has of this kind (None: any name makes one)
    networks: Optional[Callable] = None
    what: str = ""  # "host-only interface": for "... 'x' does not exist on host1"
    made_by: str = ""  # how a missing network is made
    subnet: Callable = no_subnet  # (host, adapter) -> the subnet a fixed address must be on
    dhcp: Callable = no_dhcp  # (host, network) -> does a DHCP server hand out addresses there


KINDS: Dict[str, Kind] = {}
# VBoxManage's other words for --nicN (VBoxManageModifyVM.cpp): hostif is bridged's old name;
# the rest are VirtualBox's, not built by the lab
VBOX_KINDS = {"hostif": "bridged", "generic": None, "hostonlynet": None, "cloud": None}


def declare(kind):
    KINDS[kind.name] = kind
    return kind


declare(Kind("none", NOTHING))  # no adapter
declare(Kind("null", NOTHING))  # an adapter attached to nothing (VirtualBox's "Not attached")
declare(Kind("nat", OWN, network_options=(),
             subnet=lambda host, adapter: adapter.nat_network()))
declare(Kind("natnetwork", SHARED, "NAT network %(network)s of %(host)s",
             ("nat-network", "natnetwork"), networks=lambda host: host.natnetworks,
             what="NAT network", made_by="natnetwork add --netname ...",
             subnet=lambda host, adapter: ipaddress.ip_network(
                 host.natnetworks[adapter.network].network)))
declare(Kind("bridged", THE_LAN, "the LAN", ("bridge-adapter", "bridgeadapter"), "eth0",
             networks=lambda host: ("eth0",), what="host network card",
             made_by="the host PC has one card to bridge to, eth0",
             subnet=lambda host, adapter: LAN))
declare(Kind("intnet", SHARED, "internal network %(network)s of %(host)s", ("intnet",),
             "intnet",  # VirtualBox's name for an internal network left unnamed
             subnet=server_subnet, dhcp=dhcpserver_on("network")))
declare(Kind("hostonly", SHARED, "host-only %(network)s of %(host)s",
             ("host-only-adapter", "hostonlyadapter"), networks=lambda host: host.hostonly,
             what="host-only interface", made_by="hostonlyif create makes vboxnet0",
             subnet=lambda host, adapter: host.hostonly[adapter.network].network(),
             dhcp=dhcpserver_on("interface")))


def network_options():
    """modifyvm's options naming an adapter's network, every spelling: option -> kind."""
    return {option: kind.name for kind in KINDS.values() for option in kind.network_options}
