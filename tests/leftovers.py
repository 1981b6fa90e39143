"""What a lab may leave on the machine, looked up directly (never by killing)."""

import os
import subprocess


def alive(pid):
    return os.path.exists("/proc/%d" % pid)  # a zombie counts: nobody reaped it


def bridges():
    out = subprocess.run(["ovs-vsctl", "--timeout=5", "list-br"], capture_output=True, text=True)
    return set(out.stdout.split())


def root_links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines()}


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def root_state():
    """The root namespace's addresses, routes and NAT rules: the lab must not touch them."""
    def run(*argv):
        return subprocess.run(argv, capture_output=True, text=True).stdout

    return {
        "addresses": run("ip", "-4", "-o", "addr", "show"),
        "routes": run("ip", "-4", "route", "show", "table", "all"),
        "nat": run("iptables", "-t", "nat", "-S"),
        "resolv.conf": read("/etc/resolv.conf"),
        "hosts": read("/etc/hosts"),
    }


def left_behind(pids, names):
    """Everything of a stopped lab that still exists, as readable lines (empty: nothing)."""
    found = ["process %d" % p for p in pids if alive(p)]
    found += ["switch %s" % s for s in sorted(set(names["switches"]) & bridges())]
    found += ["link %s" % i for i in sorted(set(names["links"]) & root_links())]
    return found
