"""Waiting, done as polling with a deadline."""

import time

from topos.run.errors import LabError


def until(check, timeout, what, interval=0.05):
    """Call `check` until it returns something true; return that, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise LabError("timed out after %gs waiting for %s" % (timeout, what))
        time.sleep(interval)
