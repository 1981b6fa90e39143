"""The `nat` preset's routers numbered as VirtualBox's NAT Network (NATNetworkImpl.cpp):
gateway .1, the host's 127.0.0.1 at .2, DHCP server .3, leases from .4; both engines."""

import pytest
from flowtable import FlowTable
from test_virtual_router import VM1_MAC, VM1_PORT, dhcp_frame, dhcp_reply, leased

from controllers import config
from controllers.engines import ENGINES
from controllers.frame import read
from controllers.rules import CONTROLLER
from controllers.virtual_router import VirtualRouter


@pytest.fixture(params=sorted(ENGINES))
def natnet(request):
    r = VirtualRouter(config.default_routers(request.param)[0])
    r.table = FlowTable()
    r.table.apply(r.connected() + r.adopt([], 0))
    return r


def test_the_dhcp_server_is_dot_3_and_offers_dot_4_with_the_gateway_dot_1(natnet):
    options, ip = dhcp_reply(natnet.packet_in(VM1_PORT, read(dhcp_frame(VM1_MAC, 1)), 0))
    assert ip == "10.0.2.4"
    assert (options[54], options[3]) == (bytes([10, 0, 2, 3]), bytes([10, 0, 2, 1]))


def test_a_release_to_the_dhcp_servers_address_ends_the_lease_in_both_engines(natnet):
    assert leased(natnet, VM1_MAC, VM1_PORT, 1.0) == "10.0.2.4"
    natnet.table.apply(natnet.tick(1.0))
    release = dict(in_port=VM1_PORT, eth_type=0x0800, eth_src=VM1_MAC,
                   eth_dst=natnet.cfg.gateway_mac, ipv4_src="10.0.2.4", ipv4_dst="10.0.2.3",
                   ip_proto=17, udp_src=68, udp_dst=67, ip_ttl=64)
    if natnet.cfg.engine == "conntrack":  # the switch's tables send it to the controller
        natnet.engine.installed = {}  # leased() kept only the DHCP answers: vm1's flows again
        natnet.table.apply(natnet.tick(1.0))
        assert [port for port, _ in natnet.table.forward(**release)] == [CONTROLLER]
    natnet.packet_in(VM1_PORT, read(dhcp_frame(VM1_MAC, 7, ciaddr="10.0.2.4")), 2.0)
    assert natnet.dhcp.address_of(VM1_MAC, 2.0) is None
