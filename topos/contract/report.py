"""The reachability table, as people read it."""

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
    return line + (" (%d not applicable in this lab)" % skipped if skipped else "")
