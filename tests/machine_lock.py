"""Lab tests side by side (pytest-xdist), and the few that must have the machine alone.

Every worker's labs are named (VMNET_LAB_NAME=wN: topos.run.lab_names): they never meet.
Tests marked `default_lab` build the default lab (port 6653, bridges lan, wan...): they hold
the default lab's lock, so one at a time. A test marked `alone` looks at the whole machine
(every bridge, every lab program): it holds the machine's lock exclusively, every other lab
test holds it shared. Each is held from a module's first test to its last (a module's lab
lives that long; pytest-xdist's loadfile keeps a module on one worker). A gate in front
keeps new shared holders out while an exclusive one waits, so it is not starved.
"""

import contextlib
import fcntl
import os

FOLDER = "/run/vmnetlab-tests"


@contextlib.contextmanager
def locked(name, mode):
    os.makedirs(FOLDER, exist_ok=True)
    with open(os.path.join(FOLDER, name), "a") as f:
        fcntl.flock(f, mode)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class MachineLock:
    """Held shared (or exclusively) across a module's tests in one worker."""

    def __init__(self, name="machine"):
        self.name = name
        self.mode = None
        self.stack = contextlib.ExitStack()

    def take(self, exclusive):
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        if self.mode == mode:
            return
        self.release()
        # through the gate: an exclusive taker holds it while it waits for the machine, so
        # no new shared holder slips in meanwhile
        with locked(self.name + ".gate", fcntl.LOCK_EX):
            if exclusive:
                self.stack.enter_context(locked(self.name, mode))
        if not exclusive:
            self.stack.enter_context(locked(self.name, mode))
        self.mode = mode

    def release(self):
        self.stack.close()
        self.stack = contextlib.ExitStack()
        self.mode = None
