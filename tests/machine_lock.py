"""Lab tests side by side (pytest-xdist), and the few that must have the machine alone.

Every worker's labs are named (VMNET_LAB_NAME=wN: topos.run.lab_names), so they never meet;
tests marked `default_lab` build the default lab (port 6653, bridges lan, wan...) and run on
one worker, one after another (tests/lab/conftest.py). A test marked `alone` looks at the
whole machine (every bridge, every lab program): it holds the machine's lock exclusively,
every other lab test holds it shared, from its module's first test to its last (a module's
lab lives that long). A gate in front keeps new shared holders out while an exclusive one waits, so it
is not starved.
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

    def __init__(self):
        self.mode = None
        self.stack = contextlib.ExitStack()

    def take(self, exclusive):
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        if self.mode == mode:
            return
        self.release()
        # through the gate: an exclusive taker holds it while it waits for the machine, so
        # no new shared holder slips in meanwhile
        with locked("gate", fcntl.LOCK_EX):
            if exclusive:
                self.stack.enter_context(locked("machine", mode))
        if not exclusive:
            self.stack.enter_context(locked("machine", mode))
        self.mode = mode

    def release(self):
        self.stack.close()
        self.stack = contextlib.ExitStack()
        self.mode = None
