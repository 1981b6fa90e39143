"""What must hold before a lab is built: root, the tools, Open vSwitch answering, no bridge
of the lab's names already there, and its controller's port free (or, for a controller
started by hand, listening). Each missing thing is one LabError naming it."""

import os
import shutil
import subprocess

from mininet.node import RemoteController

from topos.run.clean import ovs_bridges
from topos.run.controller_node import HOST, PORT, VmnetController, listening
from topos.run.errors import LabError


def ovs_running():
    """Both OVS daemons answer (Mininet's own ovs-vsctl calls wait for ovs-vswitchd)."""
    try:
        checks = (["ovs-vsctl", "--timeout=3", "show"],
                  ["ovs-appctl", "--timeout=3", "-t", "ovs-vswitchd", "version"])
        return all(subprocess.run(argv, capture_output=True, timeout=8).returncode == 0
                   for argv in checks)
    except (OSError, subprocess.TimeoutExpired):
        return False


def preflight(controller_classes, topo=None, port=PORT):
    """What must hold before anything is built; raise LabError naming what is missing.
    `port`: the lab's controller's (topos.run.lab_names)."""
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, Open vSwitch): run it with sudo")
    for tool in ("ovs-vsctl", "mnexec", "dnsmasq", "udhcpc", "iptables", "stun", "stund",
                 "nsd", "dig", "dnsperf"):
        if not shutil.which(tool):
            raise LabError("%s is not installed: run vm/provision.sh" % tool)
    if not ovs_running():
        raise LabError("Open vSwitch is not running (ovs-vsctl show or ovs-appctl fails): "
                       "run vm/ovs-start.sh (or vm/provision.sh)")
    if topo is not None:
        bridges = ovs_bridges()
        for switch in topo.switches():
            name = topo.nodeInfo(switch).get("bridge", switch)
            if name in bridges:
                tag = bridges[name]
                owner = "the running lab of process %s" % tag.split("-")[0] if tag else (
                    "someone else (not a vmnetlab lab)")
                raise LabError("an Open vSwitch bridge named %s already exists, made by %s: "
                               "the lab will not replace it" % (name, owner))
    for cls in controller_classes:
        if isinstance(cls, type) and issubclass(cls, RemoteController):
            if not listening(PORT):
                raise LabError("no controller listens on %s:%d: start it first with "
                               "`osken-manager controllers/vmnet.py`" % (HOST, PORT))
        elif isinstance(cls, type) and issubclass(cls, VmnetController):
            if listening(port):
                raise LabError("port %d on %s is already in use by another controller: stop it, "
                               "or pass --controller remote to use it" % (port, HOST))
