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


# --- vmnet table: its rows' labs side by side ---

def measured_row(row, name, keep):
    """One row of VirtualBox's table, measured in a lab of its own (in a child process)."""
    from topos.contract import vbox_table
    from topos.modes.registry import topology
    from topos.run.lab import Lab

    with Lab(topology(row.mode, *row.params, name=name), keep=keep) as lab:
        cells = vbox_table.measure(lab, row)
        lab.failed = not all(c.matches for c in cells.values())  # kept as evidence
    return row, cells


def table_rows(rows, base="", keep=False):
    """[(row, cells)] of every row, their labs built and measured at once, in rows' order."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    labs = names(base, len(rows))
    with ProcessPoolExecutor(len(rows), mp_context=get_context("fork")) as pool:
        return list(pool.map(measured_row, rows, labs, [keep] * len(rows)))


# --- vmnet bench --side-by-side N: N `nat` labs started at once ---

def hold(mode, name):
    """A child of bench(): build the named lab, say when it is ready, check it when told,
    say whether every claim held, and take it down when told (lines on stdin/stdout)."""
    from topos.contract import check
    from topos.modes.registry import topology
    from topos.run.lab import Lab

    started = time.monotonic()
    with Lab(topology(mode, name=name)) as lab:
        print(json.dumps({"ready_s": time.monotonic() - started}), flush=True)
        sys.stdin.readline()  # "check"
        observations = check.check(lab)
        print(json.dumps({"held": sum(o.holds for o in observations),
                          "checks": len(observations)}), flush=True)
        sys.stdin.readline()  # "stop"


def bench(count, mode="nat", say=print):
    """Start `count` labs of `mode` at once: the time until all are ready, each lab's memory
    (its own processes, as `vmnet ls` counts it), then every lab's check at once."""
    from topos.run import inventory
    from topos.tools.labs import described

    base = names("", 1)[0][:3]
    labs = ["%s%d" % (base, n) for n in range(1, count + 1)]
    started = time.monotonic()
    children = [subprocess.Popen([sys.executable, "-m", "topos.tools.side_by_side", "hold",
                                  mode, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True) for name in labs]
    try:
        ready = [json.loads(c.stdout.readline() or "{}").get("ready_s") for c in children]
        all_ready = time.monotonic() - started
        say("%d %s labs ready in %.1f s" % (count, mode, all_ready))
        memory = {lab.get("name"): described(lab)["memory_mib"]
                  for lab in inventory.registered() if lab.get("name") in labs}
        for c in children:
            c.stdin.write("check\n")
            c.stdin.flush()
        checks = [json.loads(c.stdout.readline() or "{}") for c in children]
    finally:
        for c in children:
            if c.poll() is None:
                c.stdin.write("stop\n")
                c.stdin.flush()
        for c in children:
            c.wait(120)
    return {"labs": count, "mode": mode, "all_ready_s": round(all_ready, 1),
            "ready_s": [round(r, 1) if r else None for r in ready],
            "memory_mib_per_lab": round(sum(memory.values()) / max(1, len(memory)), 1),
            "checks": [(c.get("held"), c.get("checks")) for c in checks],
            "every_check_held": all(c.get("held") == c.get("checks") and c.get("checks")
                                    for c in checks)}


def format_bench(report):
    return ("%(labs)d %(mode)s labs side by side: all ready in %(all_ready_s).1f s, "
            "%(memory_mib_per_lab).0f MiB a lab; checks held in %(held)d of %(labs)d labs "
            "(%(detail)s)" % dict(report, held=sum(1 for h, n in report["checks"] if h == n
                                                   and n), detail=", ".join(
                "%s/%s" % c for c in report["checks"])))


if __name__ == "__main__":
    if sys.argv[1:2] == ["hold"]:
        hold(*sys.argv[2:4])
