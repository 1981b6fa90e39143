"""`vmnet ls`, `vmnet stop NAME` and `vmnet clean [NAME]`: the labs on this machine.

Each lab is in the registry (topos.run.inventory) under its name, with its run folder,
its owner process and what it created. `ls` reads it; `stop` asks a lab's owner to take it
down (SIGTERM: the lab removes what it made, as on Ctrl-C) and waits; `clean` undoes labs
whose owner died, all of them or the one named, and never touches a living one.
"""

import os
import signal
import time

from topos.run import clean, inventory
from topos.run.errors import LabError
from topos.run.poll import until

STOP_WAIT = 30  # seconds a lab has to take itself down before it is killed and cleaned


def rss_kib(pid):
    """A process's resident memory, KiB (0 when it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
    except OSError:
        return 0


def described(lab):
    """{name, what, age_s, nodes, controller, memory_mib, alive, rundir} of a registered lab:
    its memory is its own processes' (node shells, servers, controller; not Open vSwitch's,
    which every lab shares)."""
    record = inventory.read(inventory.record_of(lab))
    living = [(pid, what) for pid, start, what in record["processes"]
              if inventory.alive(pid, start)]
    controller = next((pid for pid, what in living if what == "the controller"), None)
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    age = uptime - (lab.get("start") or 0) / ticks if lab["alive"] else None
    return {"name": lab.get("name") or "(default)", "what": lab.get("what", ""),
            "age_s": age, "nodes": lab.get("nodes"), "controller": controller,
            "port": lab.get("port"), "alive": lab["alive"], "rundir": lab["rundir"],
            "memory_mib": round(sum(rss_kib(pid) for pid, _ in living) / 1024, 1)}


def cmd_ls(args):
    labs = [described(lab) for lab in inventory.registered()]
    if not labs:
        print("no lab on this machine")
        return 0
    rows = [("NAME", "WHAT", "AGE", "NODES", "CONTROLLER", "MEMORY", "RUN FOLDER")]
    for lab in labs:
        age = "dead" if not lab["alive"] else "%dm%02ds" % divmod(int(lab["age_s"]), 60)
        rows.append((lab["name"], lab["what"], age, str(lab["nodes"] or "-"),
                     "%s :%s" % (lab["controller"] or "-", lab["port"] or "-"),
                     "%.0f MiB" % lab["memory_mib"], lab["rundir"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    if any(not lab["alive"] for lab in labs):
        print("\na dead lab's leftovers: sudo vmnet clean NAME")
    return 0


def find(name):
    lab = next((lab for lab in inventory.registered() if (lab.get("name") or "") == name),
               None)
    if lab is None:
        known = ", ".join(lab.get("name") or "(default)" for lab in inventory.registered())
        raise LabError("no lab named %s on this machine (%s)" % (name or "(default)",
                                                                 known or "none runs"))
    return lab


def root_only(command):
    if os.geteuid() != 0:
        raise LabError("vmnet %s needs root (it stops processes and removes switches): run it "
                       "with sudo" % command)


def cmd_stop(args):
    root_only("stop")
    lab = find(args.name)
    if lab["alive"]:
        os.kill(lab["owner"], signal.SIGTERM)  # the lab's own handler takes it down
        try:
            until(lambda: not inventory.alive(lab["owner"], lab["start"]), STOP_WAIT,
                  "lab %s to stop" % args.name)
        except LabError:
            os.kill(lab["owner"], signal.SIGKILL)  # still its process: alive() said so
            time.sleep(0.2)
    if os.path.exists(lab["entry"]):  # it could not remove what it made: clean does
        clean.clean(name=args.name)
    print("lab %s stopped" % (args.name or "(default)"))
    return 0


def cmd_clean(args):
    root_only("clean")
    if args.name is not None:
        lab = find(args.name)
        if lab["alive"]:
            raise LabError("lab %s is running (process %d): `vmnet stop %s` takes it down" % (
                args.name or "(default)", lab["owner"], args.name))
    clean.clean(name=args.name)
    return 0


def add_commands(sub):
    """The parsers of ls, stop and clean, under `vmnet`'s subcommands."""
    ls = sub.add_parser("ls", help="the labs on this machine: name, what, age, nodes, "
                        "controller, memory")
    ls.set_defaults(run=cmd_ls)
    stop = sub.add_parser("stop", help="take a running lab down (its owner removes all it "
                          "made)")
    stop.add_argument("name", help="the lab's name (vmnet ls)")
    stop.set_defaults(run=cmd_stop)
    k = sub.add_parser("clean", help="undo labs whose process died (kill -9, OOM, closed SSH)")
    k.add_argument("name", nargs="?", help="only this lab (default: every dead one)")
    k.set_defaults(run=cmd_clean)
