"""What a lab created, written down as it creates it, so that a crash can be undone.

Each lab appends one JSON line per thing it makes to its record, `NAME.jsonl` in REGISTRY
beside its entry `NAME.json`: its processes (PID with the kernel's start time, so that a
reused PID is never taken for ours), its Open vSwitch bridges (also tagged in OVS with the
lab's id in `external_ids:vmnetlab-lab`) and the interfaces its links put in the root
namespace. Both live while the lab does; `vmnet clean` (topos.run.clean) reads those of
labs whose owning process is gone. The record is not in the run folder: a run folder
removed by hand, or by pytest's rotation of its temporary folders, took the record with it,
and `vmnet clean` then found nothing to stop.

Processes the lab starts from its main thread also get a parent-death signal, so a
lab killed hard takes most of them with it (the kernel arranges it, nobody is killed
by name).
"""

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import threading

from topos.run.errors import LabError

REGISTRY = os.environ.get("VMNET_REGISTRY", "/run/vmnetlab")
FILE = "inventory.jsonl"  # where a lab of an earlier version kept its record: its run folder
OVS_TAG = "vmnetlab-lab"  # external_ids key on the lab's bridges


def start_time(pid):
    """The process's start time in clock ticks since boot, or None if it is gone or a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":  # dead, waiting for a parent that will never reap it
        return None
    return int(fields[19])


def alive(pid, started):
    """Is `pid` still the very process that started at `started`?"""
    return started is not None and start_time(pid) == started


def lab_id(pid=None):
    pid = pid or os.getpid()
    return "%d-%d" % (pid, start_time(pid) or 0)


_libc = None


def die_with_parent():
    """preexec_fn: the child gets SIGKILL when the thread that started it dies."""
    global _libc
    _libc = _libc or ctypes.CDLL(None, use_errno=True)
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def registry_lock():
    """The registry to oneself while a lab takes its name and slot (labs start side by
    side: two must not take one slot)."""
    os.makedirs(REGISTRY, exist_ok=True)
    with open(os.path.join(REGISTRY, ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def entry_path(name):
    return os.path.join(REGISTRY, "%s.json" % (name or "default"))


def record_path(name):
    return os.path.join(REGISTRY, "%s.jsonl" % (name or "default"))


def record_of(lab):
    """The record of a registered lab (its entry, from registered())."""
    return lab.get("record") or os.path.join(lab["rundir"], FILE)


def free_slot(name, most):
    """The slot a new lab named `name` takes (0 for the default lab, else 1..most): its
    controller's port and its conntrack zones (topos.run.lab_names). Call it under
    registry_lock(). LabError when a lab of that name runs, or left leftovers."""
    labs = registered()
    same = next((lab for lab in labs if lab.get("name", "") == name), None)
    if same and same["alive"]:
        raise LabError("%s runs already (process %s, run folder %s): %s" % (
            "a lab named %s" % name if name else "the lab without a name", same["owner"],
            same["rundir"], "stop it first (vmnet stop %s)" % name if name else
            "stop it, or give this one a name (--name NAME, or name=NAME in --topo)"))
    if same:
        raise LabError("leftovers of %s, whose process %s died (run folder %s), are still on "
                       "this machine: run `sudo vmnet clean%s` first" % (
                           "lab %s" % name if name else "the lab without a name",
                           same["owner"], same["rundir"], " " + name if name else ""))
    if not name:
        return 0
    used = {lab.get("slot", 0) for lab in labs}
    free = [slot for slot in range(1, most + 1) if slot not in used]
    if not free:
        raise LabError("%d named labs are on this machine already, as many as run side by "
                       "side" % most)
    return free[0]


class Inventory:
    """The lab's record of what it created (append-only, flushed line by line), and its
    entry in the registry (its name, slot and controller port)."""

    def __init__(self, rundir, owner=None, name="", slot=0, port=None, what="", nodes=0):
        self.rundir = os.path.abspath(rundir)
        self.owner = owner or os.getpid()
        self.owner_start = start_time(self.owner)
        self.id = "%d-%d" % (self.owner, self.owner_start or 0)
        self.name, self.slot, self.port = name, slot, port
        self.path = record_path(name)
        self.entry = entry_path(name)
        os.makedirs(self.rundir, exist_ok=True)
        os.makedirs(REGISTRY, exist_ok=True)
        with open(self.path, "w") as f:  # a new record (free_slot: no lab of the name left one)
            f.write(json.dumps(dict(owner=self.owner, start=self.owner_start, id=self.id,
                                    name=name)) + "\n")
        with open(self.entry, "w") as f:
            json.dump({"owner": self.owner, "start": self.owner_start, "id": self.id,
                       "rundir": self.rundir, "record": self.path, "name": name,
                       "slot": slot, "port": port, "what": what, "nodes": nodes}, f)

    def _write(self, **entry):
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def process(self, pid, what):
        self._write(process=pid, start=start_time(pid), what=what)

    def bridge(self, name):
        self._write(bridge=name)

    def link(self, name):
        self._write(link=name)

    def close(self):
        """The lab is gone, taken down by itself: nothing is left for `vmnet clean`."""
        forget(self.entry, self.path)

    def popen_options(self):
        """Popen options for a process this lab starts (see die_with_parent)."""
        if threading.current_thread() is threading.main_thread():
            return {"preexec_fn": die_with_parent}
        return {}  # the signal follows the starting thread, which may end before the lab


class Owned:
    """Mixin for the lab's Mininet nodes: every process they start is recorded, and
    dies with the lab where the kernel can arrange it. Pass `inventory=` as a parameter."""

    def __init__(self, name, inventory=None, **params):
        self.inventory = inventory
        super().__init__(name, **params)

    def _popen(self, cmd, **params):
        if self.inventory is not None:
            params.update(self.inventory.popen_options())
        proc = super()._popen(cmd, **params)
        if self.inventory is not None:
            self.inventory.process(proc.pid, "%s: %s" % (self.name, " ".join(
                str(c) for c in cmd)[:120]))
        return proc


def forget(*paths):
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def read(path):
    """{'processes': [(pid, start, what)], 'bridges': [...], 'links': [...], 'id': ...} of the
    record at `path` (record_path, record_of)."""
    found = {"processes": [], "bridges": [], "links": [], "id": None}
    try:
        with open(path) as f:
            lines = f.readlines()
    except FileNotFoundError:
        return found
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by the crash
        if "id" in entry:
            found["id"] = entry["id"]
        elif "process" in entry:
            found["processes"].append((entry["process"], entry["start"], entry.get("what", "")))
        elif "bridge" in entry:
            found["bridges"].append(entry["bridge"])
        elif "link" in entry:
            found["links"].append(entry["link"])
    return found


def registered():
    """Every lab in the registry: [{'owner', 'start', 'id', 'rundir', 'alive', 'entry'}]."""
    labs = []
    try:
        names = sorted(os.listdir(REGISTRY))
    except FileNotFoundError:
        return labs
    for name in names:
        if not name.endswith(".json"):
            continue  # the lock, the labs' records
        path = os.path.join(REGISTRY, name)
        try:
            with open(path) as f:
                lab = json.load(f)
        except (OSError, ValueError):
            continue
        lab.update(entry=path, alive=alive(lab["owner"], lab["start"]))
        labs.append(lab)
    return labs
