"""Every answer, every time: a NAT lab under load, 8 clients side by side making 200
exchanges each on every path, over TCP and UDP. Each exchange carries a marker of its own
and holds only when its answer carries the marker back (topos/agents/load_client.py)."""

import json

import pytest

from topos.agents import PYTHON, agent
from topos.agents.echo_server import TCP_PORT, UDP_PORT
from topos.modes.registry import topology


def TOPOLOGY():
    # a forward over each protocol; room for the ~10,000 mappings and sessions the load
    # makes (the default caps, 500 mappings and 4096 sessions a VM, would refuse most of
    # them: that is their job, not this test's)
    return topology("nat", "pf=tcp:2222:vm1:22+udp:2222:vm1:22", "ports=10000-32767",
                    "mappings=22768", "sessions=100000", "sessions_total=200000")


CLIENTS, EXCHANGES = 8, 200
# (source, destination node and interface, or None: the forward at host1's LAN address)
PATHS = {
    "vm1->vm2": ("vm1", "vm2"),
    "vm1->host1": ("vm1", "host1"),
    "host1->pc1": ("host1", "pc1"),
    "vm1->inet": ("vm1", "inet"),
    "pc1->host1:2222->vm1:22": ("pc1", None),
}


@pytest.mark.parametrize("proto", ["tcp", "udp"])
@pytest.mark.parametrize("path", list(PATHS))
def test_every_exchange_is_answered_with_its_own_marker(lab, path, proto):
    source, target = PATHS[path]
    if target is None:
        address, port = lab.ip("host1"), 2222
    else:
        address, port = lab.ip(target), TCP_PORT if proto == "tcp" else UDP_PORT
    out = lab.get(source).cmd(" ".join([PYTHON, agent("load_client"), proto, address,
                                        str(port), str(CLIENTS), str(EXCHANGES)]))
    counts = json.loads(out.strip().splitlines()[-1])
    print("%s %s: %s (resent after the handshake: %d)" % (
        path, proto, counts, counts["retries"] - counts["first_packet"]))
    assert counts["exchanges"] == CLIENTS * EXCHANGES, counts
    assert counts["answered"] == CLIENTS * EXCHANGES, counts
    # Segments resent are the machine's figure, not the user's: on a busy machine (both cores
    # taken by other work) 9 in 1,600 were resent with every exchange answered. They are
    # printed here (`pytest -s`); the test holds what a user sees.
