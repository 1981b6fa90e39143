"""What the app shell asks of every switch's core. Every answer is a list of rules
(controllers.rules); the defaults answer nothing, so the shell treats every core alike.

`now` is passed in (monotonic seconds), never read: tests fake the clock.
"""


class Core:
    # the packet boundary checks headers past Ethernet for cores that parse them
    parses_headers = False
    # the shell reads the switch's flow table for it after a connect (adopt) and now and
    # then (audit)
    reads_flow_table = False

    def connected(self):
        """The switch has just connected."""
        return []

    def packet_in(self, in_port, frame, now):
        """A frame the switch sent (controllers.frame.Frame, read by controllers.boundary)."""
        return []

    def flow_removed(self, flow_cookie, now):
        return []

    def tick(self, now):
        """Housekeeping, a few times a second."""
        return []

    def adopt(self, flows, now):
        """The switch's flows after a connect (controllers.openflow.flows_of's shape)."""
        return []

    def audit_slice(self):
        """(cookie, mask, parts): which flows the next audit reads, one of `parts` slices
        of the table."""
        return 0, 0, 1

    def audit(self, flows, asked_at, now):
        """The flows of the slice audit_slice() named, read again now and then."""
        return []

    def take_state(self, now):
        """What the core wants kept for people and for its successor (a dict), when it
        changed since last asked; None otherwise. The shell writes it."""
        return None
