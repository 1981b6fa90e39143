"""The packet boundary: every frame a switch hands the controller passes here first.

A guest sends whatever it likes: truncated headers, options whose length is 0, fragments,
DHCP with a bad hardware length, tunnels whose inner frame is broken. Here a frame is read
once, bounds-checked, into the one object every core reads fields from
(controllers.frame.Frame); no library parser ever sees a guest's bytes. What fails is
dropped and counted, with at most one log line per reason every LOG_EVERY seconds; and no
exception from a core ever escapes a packet-in handler (`handle`). Pure Python: no
framework, no socket.
"""

import logging
import re
import time
from collections import Counter

from controllers.frame import Malformed, read

log = logging.getLogger("vmnet.boundary")

LOG_EVERY = 10.0  # seconds between two log lines about one reason
__all__ = ["Drops", "Malformed", "handle"]
MAX_REASONS = 100  # the table of reasons is bounded too


class Drops:
    """Dropped frames counted by reason; logged at most once per reason per LOG_EVERY s.
    Numbers in a reason become N, so that reasons are kinds, not one per frame."""

    def __init__(self, name="", clock=time.monotonic):
        self.name = name
        self.clock = clock
        self.counts = Counter()
        self.logged = {}  # reason -> (when, count then)

    def drop(self, reason):
        reason = re.sub(r"\b\d+\b", "N", reason)
        if reason not in self.counts and len(self.counts) >= MAX_REASONS:
            reason = "other reasons"
        self.counts[reason] += 1
        now = self.clock()
        when, then = self.logged.get(reason, (None, 0))
        if when is None or now - when >= LOG_EVERY:
            log.warning("%s: dropped %d frame(s): %s", self.name, self.counts[reason] - then,
                        reason)
            self.logged[reason] = (now, self.counts[reason])


def handle(core, in_port, data, now, drops, deep=True, table=0):
    """Hand one frame to a core, read (controllers.frame); return its rules. Never raises: a
    malformed frame or a failing core costs that frame only. `table`: the flow table that
    sent it to the controller."""
    try:
        frame = read(data, deep, table)
    except Malformed as e:
        drops.drop(str(e))
        return []
    try:
        return core.packet_in(in_port, frame, now)
    except Exception as e:  # noqa: BLE001 - the boundary: nothing a guest sends may escape
        where = e.__traceback__
        while where.tb_next:
            where = where.tb_next
        drops.drop("%s in %s.packet_in (%s:%d)" % (
            type(e).__name__, type(core).__name__, where.tb_frame.f_code.co_filename,
            where.tb_lineno))
        return []
