"""The IPv6 model of lab files (topos.labfile.model6): each mode written as a lab file comes
out as the contract's IPv6 claims say for its column, and labs/ipv6.lab as VirtualBox gives
IPv6 to each attachment."""

import os

import pytest

from plan.addressing import INET6_IP
from topos.labfile.model import Model
from topos.labfile.model6 import Ipv6Model
from topos.labfile.reader import read

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def model6(name):
    spec = read(os.path.join(ROOT, "labs", name))
    return Ipv6Model(spec, Model(spec))


def reach(m, source, node, link=False):
    """The prediction for `source` to `node`'s (first) global, or link-local, address."""
    target = next(a for a in m.addresses[node] if a.link == link)
    return m.reach(source, target)


# the contract's IPv6 claims (docs/contract.md: 18 vm1 -> inet, 19 inet -> vm1, 20 vm1 ->
# pc1, 21 pc1 -> vm1, 22 vm1 -> vm2 link-local), per mode's lab file
@pytest.mark.parametrize("lab, expected", [
    ("bridged.lab", (True, False, True, True, True)),
    ("hostonly.lab", (False, False, False, False, True)),
    ("internal.lab", (False, False, False, False, True)),
    ("nat-network.lab", (False, False, False, False, True)),
])
def test_each_mode_as_a_lab_file_is_the_contracts_ipv6_column(lab, expected):
    m = model6(lab)
    has_global = bool(m.globals("vm1"))
    got = (reach(m, "vm1", "inet").reached,
           has_global and reach(m, "inet", "vm1").reached,
           reach(m, "vm1", "pc1").reached,
           has_global and reach(m, "pc1", "vm1").reached,
           reach(m, "vm1", "vm2", link=True).reached)
    assert got == expected


def test_plain_nat_gives_a_guest_no_ipv6_at_all():
    m = model6("nat.lab")
    assert m.addresses["vm1"] == []
    assert not reach(m, "vm1", "inet").reached
    assert "no IPv6 route" in reach(m, "vm1", "inet").reason


def test_each_attachments_ipv6_in_one_lab():
    m = model6("ipv6.lab")
    web = m.globals("web")[0]
    assert web.address == "fd17:625c:f037:2:a00:27ff:fe01:100/64"
    out = reach(m, "web", "inet")
    assert out.reached and "as host1" in out.reason and INET6_IP in next(
        a.address for a in m.addresses["inet"])
    assert not m.reach("pc1", web).reached  # nothing comes in but a forward
    ((host, rule, vm),) = m.forwards()
    assert (host, rule.host_port, vm) == ("host1", 8086, "web")
    assert m.reach_forward("pc1", host, rule, vm).reached
    assert not m.reach_forward("inet", host, rule, vm).reached
    desk = m.globals("desk")[0]  # its own address, on host-only vboxnet0 with the host's
    assert m.reach("host1", desk).reached and not m.reach("pc1", desk).reached
    assert not reach(m, "desk", "inet").reached  # its host routes no IPv6
    assert reach(m, "homevm", "pc1").reached and not reach(m, "inet", "homevm").reached
