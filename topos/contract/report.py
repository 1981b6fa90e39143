"""The reachability table, as people read it."""

from collections import Counter

MARK = {True: "ok", False: "FAIL"}


def yes_no(value):
    return "-" if value is None else "yes" if value else "no"


def table(observations, colour=False):
    """One row per claim and protocol: claim, expected, observed, a mark, what was seen."""
    rows = [("#", "claim", "proto", "expected", "observed", "", "detail")]
    for o in observations:
        mark = MARK[o.holds] if o.applicable else "n/a"
        if colour and o.applicable:
            mark = ("\033[32m%s\033[0m" if o.holds else "\033[31m%s\033[0m") % mark
        rows.append((str(o.claim), o.text, o.proto, yes_no(o.expected), yes_no(o.observed),
                     mark, o.detail))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for r in rows:
        cells = [r[i].ljust(widths[i]) for i in range(5)]
        lines.append("  ".join(cells + [r[5].ljust(4), r[6][:90]]).rstrip())
    return "\n".join(lines)


def summary(mode, observations):
    applicable = [o for o in observations if o.applicable]
    held = sum(o.holds for o in applicable)
    line = "%s: %d of %d checks hold" % (mode, held, len(applicable))
    skipped = len(observations) - len(applicable)
    line += " (%d not applicable in this lab)" % skipped if skipped else ""
    return line + "; %d exchanges, %d retried (%d of the first packet)" % (
        sum(o.exchanges for o in observations), sum(o.retries for o in observations),
        sum(o.first_packet_retries for o in observations))


def soak(labs, observations):
    """What `vmnet check all --repeat N` adds up: labs, exchanges, and which paths failed
    or needed a retry (a path is a claim's exchange over one protocol, in one lab). A retry
    of an exchange's first packet (which may wait on ARP or a controller) is told apart from
    one beyond it (a packet lost on a path already set up)."""
    applicable = [o for o in observations if o.applicable]

    def path(o):
        return "%s: %s (%s)" % (o.mode, o.text, o.proto)

    # A path comes once a round: its counts add up over the rounds.
    failed, first, beyond = Counter(), Counter(), Counter()
    for o in applicable:
        failed[path(o)] += not o.holds
        first[path(o)] += o.first_packet_retries
        beyond[path(o)] += o.retries - o.first_packet_retries
    lines = ["%d labs, %d checks, %d exchanges: %d failed, %d retried beyond the first packet,"
             " %d of the first packet" % (labs, len(applicable),
                                         sum(o.exchanges for o in observations),
                                         sum(failed.values()), sum(beyond.values()),
                                         sum(first.values()))]
    for title, counts in (("failed", failed), ("retried beyond the first packet", beyond),
                          ("first packet retried", first)):
        lines += ["  %s %dx  %s" % (title, n, p) for p, n in counts.most_common() if n]
    return "\n".join(lines)
