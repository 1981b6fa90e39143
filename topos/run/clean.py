"""`vmnet clean`: undo labs whose owning process died (kill -9, OOM, a closed terminal).

Only what a dead lab wrote into its record (topos.run.inventory) is removed: its
processes by PID and start time, its bridges when Open vSwitch still carries the
lab's tag on them, its root-namespace interfaces by name. Nothing is killed by name;
labs whose owner still runs, and anything else on the machine, are left alone.
"""

import json
import os
import shutil
import signal
import subprocess
import time

from topos.run import inventory


def ovs_bridges():
    """{bridge name: the vmnetlab lab id it is tagged with, or None}."""
    try:
        out = subprocess.run(
            ["ovs-vsctl", "--timeout=5", "--format=json", "--columns=name,external_ids",
             "list", "Bridge"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if out.returncode != 0:
        return {}
    bridges = {}
    for name, ids in json.loads(out.stdout)["data"]:
        bridges[name] = dict(ids[1]).get(inventory.OVS_TAG)
    return bridges


def root_links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines()}


def stop_processes(processes, grace=2.0):
    """SIGTERM, then SIGKILL after `grace`: only processes that are still the recorded ones."""
    living = [(pid, start, what) for pid, start, what in processes
              if inventory.alive(pid, start)]
    for pid, _start, _what in living:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(inventory.alive(p, s) for p, s, _ in living):
        time.sleep(0.05)
    for pid, start, _what in living:
        if inventory.alive(pid, start):  # checked again just before: never a reused PID
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return living


def delete_bridges(names):
    """Delete these bridges (one ovs-vsctl transaction, with a deadline); returns the names."""
    if names:
        argv = ["ovs-vsctl", "--timeout=10"]
        for bridge in names:
            argv += ["--", "--if-exists", "del-br", bridge]
        subprocess.run(argv, capture_output=True, timeout=20)
        for bridge in names:  # the userspace datapath leaves a bridge's own tap device behind
            subprocess.run(["ip", "link", "del", bridge], capture_output=True)
    return names


def undo(lab, say):
    """Remove what the dead lab (its registry entry) recorded; return how many things were
    removed."""
    record, lab_id = inventory.read(inventory.record_of(lab)), lab["id"]
    removed = 0
    for pid, _start, what in stop_processes(record["processes"]):
        say("  process %d (%s)" % (pid, what))
        removed += 1
    tagged = ovs_bridges()
    doomed = [b for b in dict.fromkeys(record["bridges"]) if tagged.get(b) == lab_id]
    for bridge in delete_bridges(doomed):
        say("  switch %s" % bridge)
    removed += len(doomed)
    present = root_links()
    for link in dict.fromkeys(record["links"]):
        if link in present:
            subprocess.run(["ip", "link", "del", link], capture_output=True)
            say("  link %s" % link)
            removed += 1
    return removed


def clean(say=print, name=None):
    """Undo every dead lab in the registry (or the one named), and bridges tagged by labs
    no longer alive."""
    labs = inventory.registered()
    living = {lab["id"] for lab in labs if lab["alive"]}
    count = 0
    for lab in labs:
        if name is not None and (lab.get("name") or "") != name:
            continue
        called = "lab %s" % lab["name"] if lab.get("name") else "lab"
        if lab["alive"]:
            say("%s of process %d is running (run folder %s): left alone" % (
                called, lab["owner"], lab["rundir"]))
            continue
        say("%s of process %d died (run folder %s); removing:" % (called, lab["owner"],
                                                                 lab["rundir"]))
        count += undo(lab, say)
        shutil.rmtree(lab["rundir"], ignore_errors=True)  # kept only because its owner died
        inventory.forget(lab["entry"], inventory.record_of(lab))
        say("  run folder %s" % lab["rundir"])
    # Bridges whose lab left no registry entry (it was removed, or never written)
    orphans = [b for b, tag in ovs_bridges().items()
               if tag and tag not in living and not inventory.alive(*owner_of(tag))]
    for bridge in delete_bridges(orphans):
        say("switch %s (tagged by a lab that is gone)" % bridge)
    count += len(orphans)
    if not orphans and all(lab["alive"] for lab in labs):
        say("nothing to clean")
    return count


def owner_of(tag):
    """(pid, start time) from a lab id 'PID-START'."""
    pid, _, start = tag.partition("-")
    try:
        return int(pid), int(start)
    except ValueError:
        return 0, None


def dead_labs():
    """Labs whose owner is gone but whose leftovers were not cleaned."""
    return [lab for lab in inventory.registered() if not lab["alive"]]
