"""Small programs the lab runs inside its nodes (by path, with the node's /usr/bin/python3):
real modules, linted and tested like the rest."""

import os

PYTHON = "python3"  # the agents use only the standard library: any Python 3 will do


def agent(name):
    """The path of one agent, to run as [PYTHON, agent(name), args...]."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
