"""A host-only lab in a process of its own that says how far it got (for kill tests).
python3 lab_owner.py RUNDIR|auto ready|traffic [LAB_NAME]   (auto: the lab makes its own)"""

import sys
import time

from topos.modes.hostonly import HostOnly
from topos.run.lab import Lab


def main(rundir, when, name=""):
    lab = Lab(HostOnly(name=name), rundir=None if rundir == "auto" else rundir)
    lab.start()
    print("ready", flush=True)
    if when == "traffic":
        vm1, vm2 = lab.get("vm1", "vm2")
        vm2.popen(["iperf3", "-s", "-1"])
        vm1.cmd("sleep 0.5")
        vm1.popen(["iperf3", "-t", "60", "-c", lab.ip("vm2")])
        vm1.cmd("sleep 1")
        print("traffic", flush=True)
    time.sleep(300)  # until it is killed


if __name__ == "__main__":
    main(*sys.argv[1:4])
