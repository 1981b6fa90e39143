"""The controller's housekeeping for one switch, as plain Python: when its state may be
written, when its flow table may be read for an audit, and the reading under way (a reply
that comes in parts). The app shell (controllers/vmnet.py) only wires events to it.

Both jobs grow with the NAT table, and both take the controller from the packets waiting:
each is allowed about SHARE of its time. With thousands of sessions writing the state took
~12% of the controller and reading the whole flow table stalled new connections, so a job
that took t seconds waits t / SHARE before it runs again.
"""

from dataclasses import dataclass, field

SHARE = 0.05  # at most about this share of the controller's time goes to each job
AUDIT_EVERY = 10.0  # seconds between two readings of a router's whole flow table
AUDIT_PATIENCE = 60.0  # seconds after which a flow table never sent is asked for again


@dataclass
class Reading:
    """A flow table being read from a switch: its reply comes in parts."""

    asked_at: float
    xid: int  # the request's: a late reply to an earlier request is not this one
    adopting: bool  # after a connect (the whole table) or an audit (a slice of it)
    parts: int  # the table is read in this many slices
    stats: list = field(default_factory=list)


class Housekeeping:
    def __init__(self, now):
        self.next_save = now  # when the state may be written again
        self.next_audit = now + AUDIT_EVERY  # when the flow table may be read again
        self.reading = None  # the Reading under way

    # --- the state file ---
    def save_due(self, now):
        return now >= self.next_save

    def saved(self, began, ended):
        """A write that took ended - began seconds: the next waits until it cost SHARE."""
        self.next_save = began + (ended - began) / SHARE

    # --- the flow table's audit ---
    def audit_due(self, now):
        """Time to read a slice again: none is under way, or the one asked was never sent."""
        return now >= self.next_audit and (
            self.reading is None or now - self.reading.asked_at > AUDIT_PATIENCE)

    def asked(self, now, xid, adopting, parts):
        self.reading = Reading(now, xid, adopting, parts)

    def reply(self, xid, body, more):
        """One part of a reply: the whole Reading once its last part came, else None (a part
        of another request's reply is ignored)."""
        reading = self.reading
        if reading is None or xid != reading.xid:
            return None
        reading.stats.extend(body)
        if more:
            return None
        self.reading = None
        return reading

    def read(self, reading, now, ended):
        """A reading handled by `ended`: the whole table once per AUDIT_EVERY (a slice each
        AUDIT_EVERY / parts), or less often when reading costs more than SHARE of the time
        (a busy table: the framework parses every flow)."""
        spent = ended - reading.asked_at
        self.next_audit = now + max(AUDIT_EVERY / reading.parts, spent / SHARE)
