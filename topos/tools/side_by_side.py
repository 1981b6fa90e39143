"""`vmnet check all` with its labs side by side: each column's lab a `vmnet check` of its
own, named (topos.run.lab_names), all running at once; their reports printed in the
contract's order, as one after the other would print them."""

import json
import os
import subprocess
import sys
import time

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def names(base, count):
    """A lab name per run: BASE1, BASE2... (BASE: the user's --name, else c + three
    characters of this process's id, so that two `check all` at once do not meet)."""
    if not base:
        pid, tail = os.getpid(), ""
        for _ in range(3):
            pid, digit = divmod(pid, 36)
            tail += DIGITS[digit]
        base = "c" + tail
    return ["%s%d" % (base[:5 - len(str(count))], n) for n in range(1, count + 1)]


def check_all(runs, base="", as_json=False, keep=False, say=print):
    """Every (mode, params) of `runs` checked in its own named lab, all at once. Returns
    (reports in order: (label, stdout, stderr, exit status), seconds)."""
    started = time.monotonic()
    children = []
    for (mode, params), name in zip(runs, names(base, len(runs))):
        argv = [sys.executable, "-m", "topos.tools.cli", "check", mode] + list(params) + [
            "--name", name] + (["--json"] if as_json else []) + (["--keep"] if keep else [])
        say("%s: building the lab %s beside the others" % (" ".join([mode] + params), name))
        children.append((" ".join([mode] + params), subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    reports = []
    for label, child in children:
        out, err = child.communicate()
        reports.append((label, out, err, child.returncode))
    return reports, time.monotonic() - started


def print_reports(reports, as_json):
    """The children's reports in order; exit status 0 only when every claim held."""
    everything = []
    for label, out, err, status in reports:
        if status not in (0, 1):  # not a verdict: the lab could not be built or checked
            print("%s: vmnet check failed (exit %d):\n%s" % (label, status, err.strip()),
                  file=sys.stderr)
        if as_json:
            everything += json.loads(out) if out.strip() else []
        else:
            print(out, end="")
    if as_json:
        print(json.dumps(everything, indent=1))
    return 0 if all(status == 0 for *_, status in reports) else 1
