"""The `vmnet` command: check the contract, run a mode, measure.

    vmnet check [MODE|all] [--json] [--repeat N]   build each mode, check every claim
    vmnet run MODE [name=value ...]     the lab with Mininet's CLI (natmap, leases, flows)
    vmnet trace MODE SRC DST            one exchange at every interface it crosses
    vmnet diagram MODE -o FILE          the lab drawn (svg or png)
    vmnet table [--json]                VirtualBox's table of modes, every cell measured
    vmnet predict FILE [--json|--all]   what a lab file lets reach what, and why (no lab)
    vmnet bench [MODE|all] [--seconds N] [--json]   figures next to same-run baselines
    vmnet ls | stop NAME | clean [NAME] the labs on this machine; undo dead labs, only those

Run folders are removed when all went well, kept and named when not (or with --keep).
"""

import argparse
import json
import os
import sys

from controllers.engines import DEFAULT_ENGINE, ENGINES
from topos.modes.registry import MODES, lab_file
from topos.run.errors import LabError
from topos.tools import labs
from topos.tools.trace_command import trace_command


def progress_printer(quiet):
    def say(text):
        if not quiet:
            print("... " + text, file=sys.stderr, flush=True)

    return say


def build(mode, params, keep=False):
    """The lab for `mode` (named as --name says: main); parameters are checked before
    anything is built."""
    from topos.modes.registry import topology
    from topos.run.lab import Lab

    return Lab(topology(mode, *params), keep=keep)


def every_column():
    """`vmnet check all`: a lab for each column of the contract, as (mode, parameters)."""
    return [(mode.name, list(c.params)) for mode in MODES.values() for c in mode.columns]


def cmd_check(args):
    from topos.contract import check, report

    if args.mode == "all":
        if args.params:
            raise LabError("parameters (%s) go with one mode, not all" % " ".join(args.params))
        runs = every_column()
    else:
        runs = [lab_file(args.mode, args.params)]
        if runs[0][0] == "lab":
            return check_lab_file(args, *runs[0])
    if args.repeat < 1:
        raise LabError("--repeat %d: must be at least 1" % args.repeat)
    say = progress_printer(args.json or not sys.stderr.isatty())
    if len(runs) > 1 and args.repeat == 1:  # `check all`: the labs side by side
        from topos.tools import side_by_side

        reports, seconds = side_by_side.check_all(runs, args.name, args.json, args.keep, say)
        say("all %d labs checked side by side in %.0f s" % (len(runs), seconds))
        return side_by_side.print_reports(reports, args.json)
    everything, ok = [], True
    for round_, (mode, params) in enumerate(runs * args.repeat):
        if args.repeat > 1 and round_ % len(runs) == 0:
            say("round %d of %d" % (round_ // len(runs) + 1, args.repeat))
        say("%s: building the lab" % " ".join([mode] + params))
        lab = build(mode, params, args.keep)
        with lab:
            say("%s: lab ready (run folder %s), checking the claims" % (mode, lab.rundir))
            observations = check.check(lab, progress=lambda s, m=mode: say("%s: %s" % (m, s)))
            held = all(o.holds for o in observations)
            lab.failed = not held  # the run folder is kept as evidence
        everything += observations
        ok = ok and held
        if not args.json:
            print(report.table(observations, colour=sys.stdout.isatty()))
            print(report.summary(" ".join([mode] + params), observations))
            print()
    if args.json:
        print(json.dumps([o.as_dict() for o in everything], indent=1))
    if args.repeat > 1:  # with --json, on stderr: stdout stays one JSON document
        print("soak, %d rounds: %s" % (args.repeat, report.soak(len(runs) * args.repeat,
                                                                 everything)),
              file=sys.stderr if args.json else sys.stdout)
    return 0 if ok else 1


def check_lab_file(args, mode, params):
    """`vmnet check FILE`: the model's predictions, proved in the file's lab."""
    from topos.contract import labcheck, report

    say = progress_printer(args.json or not sys.stderr.isatty())
    say("%s: building the lab" % params[0])
    lab = build(mode, params, args.keep)
    with lab:
        say("lab ready (run folder %s), proving the model's predictions" % lab.rundir)
        observations = labcheck.check(lab, progress=say)
        held = all(o.holds for o in observations)
        lab.failed = not held
    if args.json:
        print(json.dumps([o.as_dict() for o in observations], indent=1))
    else:
        print(labcheck.matrix(observations))
        wrong = [o for o in observations if not o.holds]
        if wrong:
            print("\nwhere the lab did not do as predicted:")
            print(report.table(wrong, colour=sys.stdout.isatty()))
        print(report.summary(params[0], observations))
    return 0 if held else 1


def cmd_predict(args):
    """Exit 0 with the answers when the file is valid; 2 with its one-line error when not."""
    from topos.labfile.predict import predict, predict_json

    if args.json:
        print(json.dumps(predict_json(args.file), indent=1))
    else:
        print(predict(args.file, every=args.all))
    return 0


def cmd_table(args):
    from dataclasses import replace

    from topos.contract import vbox_table

    say = progress_printer(args.json or not sys.stderr.isatty())
    from topos.tools import side_by_side

    rows = [replace(row, params=row.params + ("engine=%s" % args.engine,))
            if args.engine and "engine" in MODES[row.mode].topology.parameters else row
            for row in vbox_table.rows()]
    say("building %d labs side by side: %s" % (len(rows), ", ".join(r.topo for r in rows)))
    results = side_by_side.table_rows(rows, args.name, args.keep)
    if args.json:
        print(json.dumps([vbox_table.as_json(r, c) for r, c in results], indent=1))
    else:
        print(vbox_table.format_table(results))
    ok = all(c.matches for _, cells in results for c in cells.values())
    if not args.json:
        print("every cell as VirtualBox's manual says" if ok else
              "some cells differ from VirtualBox's manual (run folders kept)")
    return 0 if ok else 1


def cmd_run(args):
    from mininet.log import setLogLevel

    from topos.tools.mn_cli import VmnetCLI

    setLogLevel("info")
    args.mode, args.params = lab_file(args.mode, args.params)
    lab = build(args.mode, args.params, args.keep)
    with lab:
        print("*** vmnetlab %s ready; run folder %s" % (args.mode, lab.rundir))
        VmnetCLI(lab)
    return 0


def cmd_bench(args):
    from topos.tools import bench

    say = progress_printer(args.json or not sys.stderr.isatty())
    if args.side_by_side:
        from topos.tools import side_by_side

        report = side_by_side.bench(args.side_by_side, say=say)
        print(json.dumps(report, indent=1) if args.json else side_by_side.format_bench(report))
        return 0 if report["every_check_held"] else 1
    if args.scale:
        from topos.tools import scale

        result = scale.scale(args.scale, say)
        print(json.dumps(result, indent=1) if args.json else
              "host-only, %(vms)d VMs on host1: ready in %(ready_s).1f s, %(memory_per_vm_kib)d KiB"
              " per VM; with two adapters each: ready in %(two_adapters_ready_s).1f s "
              "(%(two_adapters_ratio).2fx); unreachable: %(unreachable)s" % dict(
                  result, unreachable=", ".join(result["unreachable"]) or "none"))
        return 0 if not result["unreachable"] else 1
    modes = [m for m in MODES if MODES[m].bench_paths] if args.mode == "all" else [args.mode]
    for mode in modes:
        if mode not in MODES or not MODES[mode].bench_paths:
            raise LabError("unknown mode %r: choose one of %s, all" % (mode, ", ".join(
                m for m in MODES if MODES[m].bench_paths)))
    report = bench.bench(modes, args.seconds, say, keep=args.keep)
    print(json.dumps(report, indent=1) if args.json else bench.format_report(report))
    return 0


def cmd_diagram(args):
    from topos.modes.registry import topology
    from topos.tools import diagram

    mode, params = lab_file(args.mode, args.params)
    diagram.render(topology(mode, *params), args.output)
    print("wrote %s" % args.output)
    return 0


def parser():
    p = argparse.ArgumentParser(prog="vmnet", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="build each mode and check every claim of docs/contract.md")
    c.add_argument("mode", nargs="?", default="all", help="%s, all, or a lab file" % "|".join(
        m for m in MODES if MODES[m].columns))
    c.add_argument("params", nargs="*", help="topology parameters, name=value "
                   "(e.g. vmnet check nat engine=conntrack)")
    c.add_argument("--json", action="store_true", help="print a JSON list of observations")
    c.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="build every lab N times in a row (a soak) and add the results up")
    c.set_defaults(run=cmd_check)
    r = sub.add_parser("run", help="run a mode with Mininet's CLI")
    r.add_argument("mode", help="a mode (%s) or a lab file" % "|".join(
        m for m in MODES if MODES[m].columns))
    r.add_argument("params", nargs="*", help="topology parameters, name=value")
    r.set_defaults(run=cmd_run)
    t = sub.add_parser("trace", help="one exchange, seen at every interface it crosses")
    t.add_argument("mode", help="a mode or a lab file")
    t.add_argument("src", help="the node that starts the exchange")
    t.add_argument("dst", help="a node or an IPv4 or IPv6 address (with --proto dns: a name)")
    t.add_argument("params", nargs="*", help="topology parameters, name=value")
    t.add_argument("--proto", choices=["icmp", "tcp", "udp", "dns"], default="icmp",
                   help="dns: SRC looks DST up with its own resolver; every query and answer")
    t.add_argument("--port", type=int, help="TCP/UDP port (default: the echo servers')")
    t.add_argument("-w", "--write", metavar="FILE.pcapng",
                   help="save every hop's packets in one pcapng file (one interface per hop)")
    t.set_defaults(run=trace_command)
    p_ = sub.add_parser("predict", help="what a lab file lets reach what, and why, without "
                        "building it")
    p_.add_argument("file", help="a lab file (labs/*.lab; docs/labfiles.md)")
    p_.add_argument("--json", action="store_true", help="every answer, as JSON")
    p_.add_argument("--all", action="store_true", help="every row, even for a large lab")
    p_.set_defaults(run=cmd_predict)
    labs.add_commands(sub)  # ls, stop, clean
    d = sub.add_parser("diagram", help="draw a mode's lab (graphviz)")
    d.add_argument("mode", help="a mode or a lab file")
    d.add_argument("params", nargs="*", help="topology parameters, name=value")
    d.add_argument("-o", "--output", required=True, help="FILE.svg or FILE.png")
    d.set_defaults(run=cmd_diagram)
    v = sub.add_parser("table", help="VirtualBox's table of networking modes, measured")
    v.add_argument("--json", action="store_true",
                   help="rows with the VirtualBox mode, the --topo used and the cells")
    v.add_argument("--engine", choices=sorted(ENGINES),
                   help="the NAT rows' engine (default: %s)" % DEFAULT_ENGINE)
    v.set_defaults(run=cmd_table)
    b = sub.add_parser("bench", help="each mode's paths next to baselines of the same run")
    b.add_argument("mode", nargs="?", default="all", help="%s or all" % "|".join(
        m for m in MODES if MODES[m].bench_paths))
    b.add_argument("--seconds", type=int, default=4, help="length of each iperf3 run")
    b.add_argument("--json", action="store_true")
    b.add_argument("--scale", type=int, metavar="VMS",
                   help="instead: time a host-only lab with VMS VMs on host1")
    b.add_argument("--side-by-side", type=int, metavar="N",
                   help="instead: start N nat labs at once (ready time, MiB a lab, checks)")
    b.set_defaults(run=cmd_bench)
    for command in (c, r, t, v, b):
        command.add_argument("--keep", action="store_true",
                             help="keep the run folder (logs, leases, flows) even on success")
        command.add_argument("--name", help="the lab's name, to run beside others "
                             "(a letter, then up to 4 letters or digits; default: none)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if getattr(args, "name", None) is not None:  # the name of every lab this command builds
        os.environ["VMNET_LAB_NAME"] = args.name  # (World.build reads it: bench's labs too)
    try:
        return args.run(args)
    except LabError as e:
        print("vmnet: error: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vmnet: interrupted; the lab was taken down", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
