"""An attachment kind is declared once (topos/labfile/kinds.py; docs/labfiles.md, "Adding an
attachment kind"): a toy kind declared here is read from a lab file, predicted by the model
and built as a switch of its own, with no other module touched."""

import pytest

from topos.labfile import kinds
from topos.labfile.model import Model
from topos.labfile.reader import parse
from topos.labfile.spec import LabFileError

TOY = kinds.Kind("toy", kinds.SHARED, "toy network %(network)s of %(host)s",
                 ("toy-net", "toynet"), "playground")
FILE = ("[host1]\nVBoxManage createvm --name a --register\nVBoxManage createvm --name b "
        "--register\nVBoxManage createvm --name c --register\n"
        "VBoxManage modifyvm a --nic1 toy --toy-net1 sandbox\n"
        "VBoxManage modifyvm b --nic1 toy --toynet1 sandbox --nic2 nat\n"
        "VBoxManage modifyvm c --nic1 toy\n"
        "[guest a]\neth0 address 10.7.0.1/24\n[guest b]\neth0 address 10.7.0.2/24\n"
        "[guest c]\neth0 address 10.7.0.3/24\n")


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(kinds.KINDS, "toy", TOY)
    return TOY


def test_a_toy_kind_is_read_and_predicted_from_its_declaration(toy):
    spec = parse(FILE, "toy.lab")
    assert [spec.vm(n).adapters[1].network for n in "abc"] == ["sandbox", "sandbox",
                                                                "playground"]
    model = Model(spec)
    p = model.reach_node("a", "b")
    assert p.reached and p.reason == "same network: toy network sandbox of host1"
    assert not model.reach_node("a", "c").reached  # another toy network
    assert not model.reach_node("a", "host1").reached  # no host port, no gateway
    assert model.reach_node("b", "pc1").reached  # its NAT adapter still works


def test_without_its_declaration_the_kind_is_unknown():
    with pytest.raises(LabFileError, match="Invalid type 'toy' specified for NIC 1"):
        parse(FILE, "toy.lab")


def test_a_toy_kind_is_built_as_a_switch_per_network(toy):
    pytest.importorskip("mininet", reason="a lab file's lab is a Mininet topology")
    import tempfile

    from topos.modes.registry import topology

    with tempfile.NamedTemporaryFile("w", suffix=".lab") as f:
        f.write(FILE)
        f.flush()
        topo = topology("lab", "file=%s" % f.name)
    links = {(a, b) for a, b in topo.links()}
    assert {("a", "host1-net0"), ("b", "host1-net0"), ("c", "host1-net1")} <= links
    assert topo.switch_roles["host1-net0"] == "toy network sandbox of host1"
    assert topo.nodeInfo("a")["addresses"] == {"eth0": "10.7.0.1/24"}
