"""`vmnet diagram`: the lab drawn from its topology, without building it."""

import shutil
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("mininet", reason="diagrams are drawn from Mininet topologies")

from topos.modes.registry import MODES, topology
from topos.tools import cli, diagram


@pytest.mark.parametrize("mode", sorted(m for m in MODES if MODES[m].columns))
def test_the_drawing_names_every_node_and_its_addresses(mode):
    topo = topology(mode)
    text = diagram.dot(topo)
    for name in topo.hosts() + topo.switches():
        assert '"%s"' % name in text
    assert "192.168.1.10 (DHCP)" in text or "br0 192.168.1.10 (DHCP)" in text
    assert "203.0.113.1/24" in text


def test_nat_shows_the_virtual_router_and_reserved_vm_addresses():
    text = diagram.dot(topology("nat"))
    assert "virtual router (OpenFlow NAT, DHCP)" in text
    assert "eth0 10.0.2.4 (DHCP)" in text and 'cluster_host1' in text


def test_plain_nat_draws_each_vms_router_inside_its_host_pc():
    text = diagram.dot(topology("nat", "per_vm=yes"))
    cluster = text.split('subgraph "cluster_host1"')[1].split("}")[0]
    assert '"vr-vm1"' in cluster and '"vr-vm2"' in cluster and '"vr-vm3"' not in cluster
    assert "nat (nat per vm) mode" in text


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz is not installed")
def test_vmnet_diagram_writes_a_valid_svg(tmp_path, capsys):
    path = tmp_path / "nat.svg"
    assert cli.main(["diagram", "nat", "-o", str(path)]) == 0
    svg = ET.parse(path).getroot()
    assert svg.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in svg.iter() if t.tag.endswith("text"))
    for name in topology("nat").hosts():
        assert name in texts


def test_diagram_refuses_other_file_types(tmp_path, capsys):
    assert cli.main(["diagram", "nat", "-o", str(tmp_path / "x.pdf")]) == 2
    assert "must end in .svg or .png" in capsys.readouterr().err


def test_trace_names_an_unknown_node_before_building(capsys):
    assert cli.main(["trace", "nat", "vm1", "vm9"]) == 2
    assert "unknown node 'vm9' in mode nat" in capsys.readouterr().err
