"""A lab killed with SIGKILL at any point is undone by `vmnet clean`, and only it."""

import os
import signal
import subprocess
import sys

import pytest
from leftovers import bridges, root_links, root_state

from topos.contract.claims import CLAIMS
from topos.modes.hostonly import HostOnly
from topos.run import inventory
from topos.run.poll import until

pytestmark = pytest.mark.alone  # it looks at the whole machine (tests/machine_lock.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMNET = [sys.executable, "-m", "topos.tools.cli"]
OWNER = os.path.join(ROOT, "tests", "agents", "lab_owner.py")  # a lab in its own process
LAB_PROGRAMS = ("dnsmasq", "socat", "udhcpc", "osken-manager", "ryu-manager", "iperf3",
                "mininet:")


def lab_programs():
    """Live (not zombie) processes running one of the lab's programs: looked at, never killed."""
    found = set()
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if inventory.start_time(pid) and any(p in cmdline for p in LAB_PROGRAMS):
            found.add((pid, cmdline.strip()))
    return found


def machine():
    return {"bridges": bridges(), "links": root_links(), "root": root_state(),
            "programs": lab_programs()}


def kill_owner(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def own_lines(rundir):
    """The record of the lab (the default one) whose run folder is `rundir`."""
    lab = next((lab for lab in inventory.registered() if lab["rundir"] == rundir), None)
    return inventory.read(inventory.record_of(lab) if lab else inventory.record_path(""))


def clean_and_compare(before, rundir):
    recorded = own_lines(rundir)
    assert recorded["processes"] and recorded["bridges"]
    refused = subprocess.run(VMNET + ["check", "hostonly"], capture_output=True, text=True,
                             cwd=ROOT, timeout=60)
    assert refused.returncode == 2 and "run `sudo vmnet clean`" in refused.stderr
    result = subprocess.run(VMNET + ["clean"], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)
    assert "died" in result.stdout
    alive = [p for p, s, _ in recorded["processes"] if inventory.alive(p, s)]
    assert not alive, "still running: %s" % alive
    after = machine()
    for key in ("bridges", "links", "root"):
        assert after[key] == before[key], "%s changed: %s" % (key, after[key])
    assert after["programs"] <= before["programs"], after["programs"] - before["programs"]
    assert not os.path.exists(rundir)
    assert "nothing to clean" in subprocess.run(VMNET + ["clean"], capture_output=True,
                                                text=True, cwd=ROOT).stdout
    return result.stdout


@pytest.mark.parametrize("when", ["building", "ready", "traffic"])
def test_a_lab_killed_while_(when, tmp_path):
    before = machine()
    rundir = str(tmp_path / "run")
    proc = subprocess.Popen([sys.executable, OWNER, rundir, when], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if when == "building":  # as soon as its switches exist, before any lease
            until(lambda: set(own_lines(rundir)["bridges"]) & bridges(), 30,
                  "the lab's switches")
        else:
            while proc.stdout.readline().strip() != when:
                assert proc.poll() is None, proc.stderr.read()
    finally:
        kill_owner(proc)
    said = clean_and_compare(before, rundir)
    assert "switch lan" in said


def test_a_killed_lab_whose_run_folder_was_removed_is_undone_all_the_same(tmp_path):
    """The record is the registry's, not the run folder's: a run folder removed by hand (or
    by pytest's rotation of its temporary folders) once left the lab's servers running."""
    import shutil

    before = machine()
    rundir = str(tmp_path / "run")
    proc = subprocess.Popen([sys.executable, OWNER, rundir, "ready"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while proc.stdout.readline().strip() != "ready":
            assert proc.poll() is None, proc.stderr.read()
    finally:
        kill_owner(proc)
    shutil.rmtree(rundir)
    said = clean_and_compare(before, rundir)
    assert "switch lan" in said


def test_mn_killed_at_the_prompt_then_a_new_lab_holds(tmp_path):
    before = machine()
    proc = subprocess.Popen(["mn", "--custom", os.path.join(ROOT, "topos", "vmnet.py"),
                             "--topo", "nat"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    rundir = None
    try:
        for line in proc.stdout:
            if "run folder" in line:
                rundir = line.rsplit(" ", 1)[1].strip()
            if "Starting CLI" in line:
                break
        assert rundir, "mn printed no run folder"
        until(lambda: own_lines(rundir)["processes"], 5, "the inventory")
    finally:
        kill_owner(proc)
    said = clean_and_compare(before, rundir)
    assert "switch vr-host1" in said

    from labkit import build, stop_and_check

    lab = build(HostOnly(), tmp_path / "after")
    try:
        from topos.contract.check import check_claim

        claim = next(c for c in CLAIMS if c.number == 1)
        assert all(o.holds for o in check_claim(lab, claim))
    finally:
        stop_and_check(lab, before["root"])
