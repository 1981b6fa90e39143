"""vm/ovs-start.sh from any state, proven on a private Open vSwitch instance.

The instance has its own database, run and log folders in the test's tmp folder
(OVS_DBDIR, OVS_RUNDIR, OVS_LOGDIR, OVS_SYSCONFDIR), so the machine's own OVS is
never touched. It gets no bridges: it only has to come up and answer.
"""

import os
import signal
import subprocess
import time

import pytest

from topos.run.inventory import start_time
from topos.run.poll import until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "vm", "ovs-start.sh")
OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl"
DEADLINE = 60  # seconds; each start takes well under that


@pytest.fixture
def private_ovs(tmp_path):
    if not os.access(OVS_CTL, os.X_OK):
        pytest.skip("Open vSwitch is not installed (vm/provision.sh installs it)")
    env = dict(os.environ, OVS_DATAPATH="userspace")
    for var, sub in (("OVS_DBDIR", "db"), ("OVS_RUNDIR", "run"), ("OVS_LOGDIR", "log"),
                     ("OVS_SYSCONFDIR", "etc")):
        (tmp_path / sub).mkdir()
        env[var] = str(tmp_path / sub)
    yield env, tmp_path
    subprocess.run([OVS_CTL, "stop"], env=env, capture_output=True, timeout=30)
    for daemon in ("ovsdb-server", "ovs-vswitchd"):  # whatever ovs-ctl could not stop
        pid = read_pid(tmp_path / "run" / ("%s.pid" % daemon))
        if pid and os.path.exists("/proc/%d" % pid):
            os.kill(pid, signal.SIGKILL)


def read_pid(path):
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def start(env):
    began = time.monotonic()
    result = subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True,
                            timeout=DEADLINE)
    took = time.monotonic() - began
    assert result.returncode == 0, result.stdout + result.stderr
    return took


def vsctl(env, *args):
    db = "unix:%s/db.sock" % env["OVS_RUNDIR"]
    return subprocess.run(["ovs-vsctl", "--db=" + db, "--timeout=5", *args], env=env,
                          capture_output=True, text=True, timeout=10)


def assert_up_with_tso(env, tmp_path):
    assert vsctl(env, "get", "Open_vSwitch", ".",
                 "other_config:userspace-tso-enable").stdout.strip() == '"true"'
    # vswitchd itself answers, and read the setting when it started
    pid = read_pid(tmp_path / "run" / "ovs-vswitchd.pid")
    ctl = "%s/ovs-vswitchd.%d.ctl" % (env["OVS_RUNDIR"], pid)
    version = subprocess.run(["ovs-appctl", "--timeout=5", "-t", ctl, "version"],
                             capture_output=True, text=True, timeout=10)
    assert "ovs-vswitchd" in version.stdout
    log = (tmp_path / "log" / "ovs-vswitchd.log").read_text()
    assert "Userspace TCP Segmentation Offloading support enabled" in log
    # a change is applied by vswitchd (this waits for it, with a deadline)
    assert vsctl(env, "set", "Open_vSwitch", ".", "external_ids:probe=1").returncode == 0


def test_ovs_start_from_an_empty_database_then_stopped_then_killed(private_ovs):
    env, tmp_path = private_ovs
    assert not list((tmp_path / "db").iterdir())  # never ran: no database

    took = {"empty": start(env)}
    assert_up_with_tso(env, tmp_path)

    subprocess.run([OVS_CTL, "stop"], env=env, capture_output=True, timeout=30, check=True)
    took["stopped"] = start(env)
    assert_up_with_tso(env, tmp_path)

    # SIGKILL both daemons and ovsdb-server's monitor, leaving stale pid files behind
    for daemon in ("ovsdb-server", "ovs-vswitchd"):
        pid = read_pid(tmp_path / "run" / ("%s.pid" % daemon))
        parent = int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[1])
        victims = [pid] + ([parent] if "monitoring" in open(
            "/proc/%d/cmdline" % parent).read() else [])
        for victim in victims:
            os.kill(victim, signal.SIGKILL)
        until(lambda vs=victims: all(start_time(v) is None for v in vs), 10,
              "%s to die" % daemon)
    took["killed"] = start(env)
    assert_up_with_tso(env, tmp_path)
    print("ovs-start.sh took: %s" % ", ".join("%s %.1f s" % kv for kv in took.items()))
    assert all(t < DEADLINE for t in took.values())
