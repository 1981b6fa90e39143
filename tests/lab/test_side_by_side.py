"""Labs side by side (issue 30): named labs run at once on one machine, each holds its
claims while the others run, and one killed with SIGKILL and cleaned by name leaves the
others whole (docs/side-by-side.md)."""

import os
import signal
import subprocess
import sys

import pytest
from leftovers import bridges

from topos.contract import check
from topos.modes.nat import Nat
from topos.run import inventory
from topos.run.lab import Lab
from topos.run.poll import until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMNET = [sys.executable, "-m", "topos.tools.cli"]
OWNER = os.path.join(ROOT, "tests", "agents", "lab_owner.py")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="labs need root")


def run(argv, timeout=120):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def mine(prefix):
    return {b for b in bridges() if b.startswith(prefix + "_")}


def test_three_labs_at_once_hold_and_a_killed_one_cleaned_by_name_leaves_the_others(
        tmp_path):
    owner = subprocess.Popen([sys.executable, OWNER, str(tmp_path / "k"), "ready", "sbk"],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    checker = None
    try:
        assert owner.stdout.readline().strip() == "ready"
        with Lab(Nat(name="sbn", engine="conntrack"), rundir=str(tmp_path / "n")) as lab:
            checker = subprocess.Popen(VMNET + ["check", "labs/vagrant.lab", "--name", "sbf"],
                                       cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
            assert lab.port != 6653 and all(str(s).startswith("sbn_") for s in lab.switches)
            held = check.check(lab)
            assert all(o.holds for o in held), [o for o in held if not o.holds]
            listed = run(VMNET + ["ls"]).stdout
            assert "sbk " in listed and "sbn " in listed, listed
            ours, theirs = mine("sbn"), mine("sbk")
            assert theirs == {"sbk_wan", "sbk_lan", "sbk_host1-vbox", "sbk_host2-vbox"}

            owner.kill()  # SIGKILL: nothing of it is taken down
            owner.wait(10)
            assert "dead" in run(VMNET + ["ls"]).stdout
            cleaned = run(VMNET + ["clean", "sbk"])
            assert cleaned.returncode == 0 and "lab sbk of process" in cleaned.stdout, (
                cleaned.stdout + cleaned.stderr)
            assert not mine("sbk") and mine("sbn") == ours
            again = check.check(lab)  # the surviving lab still holds every claim
            assert all(o.holds for o in again), [o for o in again if not o.holds]
            out, err = checker.communicate(timeout=180)
            assert checker.returncode == 0, out[-2000:] + err[-2000:]
            assert "146 of 146 checks hold" in out
        assert not mine("sbn") and not mine("sbf")
    finally:
        for proc in (owner, checker):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)


def test_a_second_lab_of_one_name_is_refused_and_stop_takes_a_lab_down(tmp_path):
    owner = subprocess.Popen([sys.executable, OWNER, "auto", "ready", "sbo"],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout.readline().strip() == "ready"
        rundir = next(lab["rundir"] for lab in inventory.registered() if lab["name"] == "sbo")
        refused = run(VMNET + ["check", "hostonly", "--name", "sbo"])
        assert refused.returncode == 2
        assert "a lab named sbo runs already (process %d" % owner.pid in refused.stderr
        stopped = run(VMNET + ["stop", "sbo"])
        assert stopped.returncode == 0 and "lab sbo stopped" in stopped.stdout
        until(lambda: owner.poll() is not None, 10, "the lab's owner to end")
        assert not mine("sbo") and "sbo " not in run(VMNET + ["ls"]).stdout
        assert not os.path.exists(rundir)  # a stop is no failure: no evidence kept
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(10)
            run(VMNET + ["clean", "sbo"])
