"""The vmnet command's argument handling, without root."""

import pytest

pytest.importorskip("mininet", reason="the command's modes are Mininet topologies")

from topos.tools import cli  # noqa: E402


def test_unknown_mode_is_one_clear_error(capsys):
    assert cli.main(["check", "natt"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["vmnet: error: unknown mode 'natt': "
                   "choose one of hostonly, nat, bridged, internal, or a lab file (labs/*.lab)"]


def test_run_rejects_unknown_modes_before_building(capsys):
    assert cli.main(["run", "bogus"]) == 2
    assert "unknown mode 'bogus'" in capsys.readouterr().err


def test_bad_topology_parameter_is_reported_before_anything_is_built(capsys, monkeypatch):
    import topos.run.lab

    def must_not_build(*a, **k):
        raise AssertionError("the lab was built despite a bad parameter")

    monkeypatch.setattr(topos.run.lab.Lab, "__init__", must_not_build)
    assert cli.main(["run", "hostonly", "vms=0"]) == 2
    assert "vms=0: must be from 1 to 150" in capsys.readouterr().err


def test_trace_takes_a_name_to_look_up_with_dns_and_still_refuses_an_unknown_node(
        capsys, monkeypatch):
    import topos.run.lab

    built = []

    def stop_here(self, topo, **params):
        built.append(topo)
        raise SystemExit(0)

    monkeypatch.setattr(topos.run.lab.Lab, "__init__", stop_here)
    with pytest.raises(SystemExit):
        cli.main(["trace", "nat", "vm1", "www.example.test", "--proto", "dns"])
    assert built  # a name is a destination for dns: the lab was to be built
    assert cli.main(["trace", "nat", "vm1", "www.example.test"]) == 2
    assert "unknown node 'www.example.test'" in capsys.readouterr().err
    assert cli.main(["trace", "nat", "vm9", "www.example.test", "--proto", "dns"]) == 2
    assert "unknown node 'vm9'" in capsys.readouterr().err
