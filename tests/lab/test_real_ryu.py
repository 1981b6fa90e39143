"""The app under the real Ryu 4.34 (Python 3.8, made by vm/provision.sh), not a stand-in:
`ryu-manager controllers/vmnet.py`, then the lab with `--controller remote`."""

import os
import signal
import subprocess

import pytest

from topos.run.controller_node import listening
from topos.run.poll import until

pytestmark = pytest.mark.default_lab  # port 6653, the bridges lan, wan... (tests/lab/conftest.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RYU_MANAGER = os.path.join(ROOT, ".venv-ryu", "bin", "ryu-manager")
MN = ["mn", "--custom", os.path.join(ROOT, "topos", "vmnet.py")]


@pytest.fixture
def ryu(tmp_path):
    if not os.access(RYU_MANAGER, os.X_OK):
        pytest.skip("no Ryu environment: vm/provision.sh makes one where a Python 3.8 exists")
    log = tmp_path / "ryu-manager.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([RYU_MANAGER, "controllers/vmnet.py"], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        until(lambda: listening(6653) or proc.poll() is not None, 30, "ryu-manager to listen")
        assert proc.poll() is None, log.read_text()
        yield log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("mode, checks", [("nat", 56), ("nat,per_vm=yes", 52), ("bridged", 53)])
def test_every_claim_holds_with_the_real_ryu(ryu, mode, checks):
    result = subprocess.run(MN + ["--topo", mode, "--controller", "remote", "--test", "reach"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr + ryu.read_text()
    assert "%s: %d of %d checks hold" % (mode.split(",")[0], checks, checks) in result.stdout
    said = ryu.read_text()
    assert "vmnet controller (ryu)" in said and "switch 0000000000000002 connected" in said
