"""`mn --test reach` exits non-zero when the check itself fails (mn alone would say 0)."""

from types import SimpleNamespace

import pytest

mn = pytest.importorskip("topos.mn", reason="needs mininet (Debian: mininet)")


class FakeLab:
    topo = SimpleNamespace(mode="nat")
    failed = False
    stopped = False

    def stop(self):
        self.stopped = True


def test_a_check_that_raises_makes_reach_exit_1(monkeypatch):
    def broken(*_args, **_kwargs):
        raise StopIteration("no forward")

    monkeypatch.setattr(mn.check, "check", broken)
    lab = FakeLab()
    with pytest.raises(SystemExit) as exit_:
        mn.reach(lab)
    assert exit_.value.code == 1
    assert lab.stopped and lab.failed


def test_a_claim_that_fails_makes_reach_exit_1(monkeypatch):
    from topos.contract.check import Observation

    wrong = Observation("nat", 3, "host1 -> vm1", "tcp", False, True, "answered")
    monkeypatch.setattr(mn.check, "check", lambda *_a, **_k: [wrong])
    lab = FakeLab()
    with pytest.raises(SystemExit) as exit_:
        mn.reach(lab)
    assert exit_.value.code == 1


def test_a_lab_files_reach_proves_its_models_predictions(monkeypatch, capsys):
    from topos.contract.check import Observation

    seen = Observation("lab", 0, "web -> inet eth0", "tcp", True, True, "from=... by=inet")
    monkeypatch.setattr(mn.labcheck, "check", lambda *_a, **_k: [seen])
    monkeypatch.setattr(mn.check, "check", lambda *_a, **_k: pytest.fail("not the contract"))
    lab = FakeLab()
    lab.topo = SimpleNamespace(mode="lab")
    mn.reach(lab)  # every prediction holds: no exit
    out = capsys.readouterr().out
    assert "[1] inet eth0" in out and "1 of 1 checks hold" in out
