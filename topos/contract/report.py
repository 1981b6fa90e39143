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
    return line + "; %d exchanges, %d retried" % (
        sum(o.exchanges for o in observations), sum(o.retries for o in observations))


def soak(labs, observations):
    """What `vmnet check all --repeat N` adds up: labs, exchanges, and which paths failed
    or needed a retry (a path is a claim's exchange over one protocol, in one lab)."""
    applicable = [o for o in observations if o.applicable]
    failed = Counter("%s: %s (%s)" % (o.mode, o.text, o.proto) for o in applicable
                     if not o.holds)
    retried = Counter("%s: %s (%s)" % (o.mode, o.text, o.proto) for o in applicable
                      for _ in range(o.retries))
    lines = ["%d labs, %d checks, %d exchanges: %d failed, %d retried" % (
        labs, len(applicable), sum(o.exchanges for o in observations), sum(failed.values()),
        sum(retried.values()))]
    for title, counts in (("failed", failed), ("retried", retried)):
        lines += ["  %s %dx  %s" % (title, n, path) for path, n in counts.most_common()]
    return "\n".join(lines)
