"""What `mn --custom topos/vmnet.py` gets: our lab class, controller and safe clean-up.

mn lets a custom file replace its globals. We replace three:
  Mininet         builds our topologies as a ready Lab (leases done, switches connected);
  findController  makes our controller the default one;
  cleanup         mn calls it on errors and Ctrl-C: ours stops only this lab, by PID
                  and by name - Mininet's own kills by name across the whole machine.
"""

import functools
import sys
import traceback

from mininet.log import error, info
from mininet.net import Mininet as PlainMininet

from topos.contract import check, labcheck, report
from topos.modes.registry import MODES
from topos.modes.world import World
from topos.run.controller_node import VmnetController
from topos.run.errors import LabError
from topos.run.lab import Lab, teardown_all


def fail(message):
    error("*** vmnet: %s\n" % message)
    teardown_all()
    sys.exit(2)  # not an Exception: mn must not go on to its own clean-up


def guarded(build):
    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        try:
            return build(*args, **kwargs)
        except LabError as e:
            fail(str(e))

    return wrapper


@guarded
def MnLab(topo=None, **params):  # noqa: N802 - stands in for mn's class Mininet
    if not isinstance(topo, World):
        return PlainMininet(topo=topo, **params)
    for ignored in ("ipBase", "autoSetMacs", "autoStaticArp", "inNamespace", "xterms"):
        params.pop(ignored, None)  # the lab sets its addresses and namespaces itself
    if topo.lab_name:  # mn's --listenport: every switch's ptcp on all addresses, one set a machine
        params.pop("listenPort", None)
    lab = GuardedLab(topo=topo, **params)
    info("*** vmnetlab %s: run folder %s\n" % (topo.mode, lab.rundir))
    return lab


class GuardedLab(Lab):
    def start(self):
        try:
            super().start()
        except LabError as e:
            fail(str(e))
        except Exception as e:  # noqa: BLE001 - mn would print it and still exit 0
            fail("the lab could not start (%s: %s); run folder %s" % (
                type(e).__name__, e, self.rundir))


def find_controller():
    return VmnetController


def cleanup():
    teardown_all()


def reach(net):
    """mn --test reach: check every claim of the mode (a lab file: every prediction of its
    model); exit 1 when one does not hold or the check itself fails (mn would report an
    exception and still exit 0)."""
    # a lab file's mode answers to no column of the contract, but to its model
    checker = check if MODES[net.topo.mode].columns else labcheck
    try:
        observations = checker.check(net, progress=lambda s: info("*** %s\n" % s))
    except Exception:  # noqa: BLE001 - any failure of the check is a failed test
        error("*** vmnet: the check failed:\n%s" % traceback.format_exc())
        net.failed = True
        net.stop()
        sys.exit(1)
    print(report.table(observations) if checker is check else labcheck.matrix(observations))
    print(report.summary(net.topo.mode, observations))
    if not all(o.holds for o in observations):
        net.failed = True
        net.stop()
        sys.exit(1)


TOPOS = {name: guarded(mode.topology) for name, mode in MODES.items()}
TESTS = {"reach": reach}
