"""Small programs the lab runs inside its nodes (by path, with the node's /usr/bin/python3):
real modules, linted and tested like the rest."""

import os
import sys

PYTHON = "python3"  # the agents use only the standard library: any Python 3 will do


def agent(name):
    """The path of one agent, to run as [PYTHON, agent(name), args...]."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")


def echo_server_argv(node_name, ports):
    """The one process serving every echo port of a node, [(proto, port)]. It runs in every
    node for the lab's whole life, so it is kept small: the Python running the lab (the
    system's, not a bigger one first on PATH), isolated, without site packages: ~9.0 MiB
    resident, as the two socat listeners it replaces."""
    return [sys.executable or PYTHON, "-I", "-S", agent("echo_server"), node_name] + [
        "%s:%d" % port for port in sorted(ports)]
