"""A mode is declared in one place (docs/adding-a-mode.md): a toy mode defined here, and
registered, is picked up by check, table, bench and diagram, none of which is touched."""

import pytest

pytest.importorskip("mininet", reason="a mode's topology is a Mininet topology")

from topos.contract import check, vbox_table  # noqa: E402
from topos.contract.probe import Result  # noqa: E402
from topos.modes import registry  # noqa: E402
from topos.modes.mode import MINUS, BenchPath, Column, Mode  # noqa: E402
from topos.modes.world import World  # noqa: E402
from topos.tools import bench, cli, diagram  # noqa: E402

DPID_LONER = 0x7700  # no other switch of the lab has it


class Loner(World):
    """Each host PC's VMs on a switch of their own, with nothing else on it."""

    mode = "loner"
    parameters = {"vms": 2, "vms2": 1}

    def add_mode(self):
        self.private_networks("%s-lone", DPID_LONER)


LONER = Mode(
    "loner", Loner,
    columns=(Column("loner", {1: True, 2: False, 9: True}, "Loner", (MINUS,) * 7),),
    bench_paths=(BenchPath("vm1->vm2", "vm1", "vm2", ("vm2", None), udp=False),),
)


@pytest.fixture
def loner(monkeypatch):
    monkeypatch.setitem(registry.MODES, "loner", LONER)
    return LONER


class Node:
    def __init__(self, name):
        self.name = name

    def free_port(self, *args):
        pass


class PaperLab:
    """A lab that is never started: nodes by name, an address per node."""

    def __init__(self, topo):
        self.topo, self.rundir, self.failed = topo, "/nonexistent", False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def get(self, name):
        return Node(name)

    def ip(self, name, intf=None):
        return "10.77.0.%d" % (sorted(self.topo.hosts()).index(name) + 1)


def test_the_registry_builds_it_and_mn_would_offer_it(loner):
    topo = registry.topology("loner", "vms=3")
    assert isinstance(topo, Loner) and topo.vms == {"vm1": "host1", "vm2": "host1",
                                                    "vm3": "host1", "vm4": "host2"}
    assert registry.column("loner") is loner.columns[0]
    assert ("loner", []) in cli.every_column()


def test_check_asks_its_column_and_nothing_else(loner, monkeypatch):
    asked = []

    def exchange(node, address, protocols):
        asked.append((node.name, address))
        return {p: Result(address != "10.77.0.1", "seen") for p in protocols}

    monkeypatch.setattr(check, "exchange", exchange)
    lab = PaperLab(registry.topology("loner"))
    observations = check.check(lab)
    assert sorted({o.claim for o in observations}) == [1, 2, 9]
    assert {o.mode for o in observations} == {"loner"}
    assert {(o.claim, o.expected) for o in observations} == {(1, True), (2, False), (9, True)}
    assert ("vm1", lab.ip("vm2")) in asked  # claim 1: vm1 to its peer


def test_the_table_shows_its_row(loner):
    row = next(r for r in vbox_table.rows() if r.virtualbox == "Loner")
    # the manual's cells it declares, then IPv6's from its column's claims (none here: MINUS)
    assert row.topo == "loner" and row.expected == (MINUS,) * 10


def test_bench_measures_its_paths(loner, monkeypatch):
    measured = []

    def measure(client, server, ip, seconds, port, udp):
        measured.append((client.name, server.name, ip, port, udp))
        return bench.Figures(tcp_gbps=1.0)

    monkeypatch.setattr(bench, "Lab", lambda topo, keep: PaperLab(topo))
    monkeypatch.setattr(bench, "measure", measure)
    monkeypatch.setattr(bench, "baseline", lambda kind, seconds: bench.Figures(tcp_gbps=2.0))
    monkeypatch.setattr(bench, "preflight", lambda controllers: None)
    asked = []  # the DNS figures' lab and label (dnsperf itself needs a real lab)
    monkeypatch.setattr(bench.dns_bench, "rows",
                        lambda lab, label, seconds: asked.append(label) or [])
    report = bench.bench(["loner"], seconds=1, say=lambda text: None)
    assert asked == ["loner"]
    assert measured == [("vm1", "vm2", "10.77.0.7", bench.IPERF_PORT, False)]
    assert [(p["mode"], p["path"], p["ratio_veth"]) for p in report["paths"]] == [
        ("loner", "vm1->vm2", 0.5)]
    assert "loner" in report["ready_s"]


def test_the_diagram_draws_it(loner):
    text = diagram.dot(registry.topology("loner"))
    assert "vmnetlab: loner mode" in text
    assert '"host1-lone"' in text and '"vm3"' in text
