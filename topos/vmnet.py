"""vmnetlab's modes for Mininet's `mn`.

    sudo mn --custom topos/vmnet.py --topo hostonly
    sudo mn --custom topos/vmnet.py --topo hostonly,vms=4 --test reach
    sudo mn --custom topos/vmnet.py --topo nat,pf=tcp:2222:vm1:22+udp:5353:vm2:53
    sudo mn --custom topos/vmnet.py --topo hostonly --controller remote   (app started by hand)

When the prompt appears every switch is connected and every DHCP lease is done.
mn executes this file without `__file__` and copies every name defined here into
its own globals: keep the names below deliberate (see topos/mn.py).
"""

import inspect
import os
import sys


def _project_root():
    try:
        here = __file__
    except NameError:  # mn --custom: the compiled file name is still in the code object
        here = inspect.currentframe().f_code.co_filename
    return os.path.dirname(os.path.dirname(os.path.abspath(here)))


if _project_root() not in sys.path:
    sys.path.insert(0, _project_root())

from topos import mn as _mn  # noqa: E402
from topos.run.controller_node import VmnetController as _VmnetController  # noqa: E402
from topos.run.switch import VmnetSwitch as _VmnetSwitch  # noqa: E402
from topos.tools.mn_cli import VmnetCLI as _VmnetCLI  # noqa: E402

topos = _mn.TOPOS
switches = {"vmnet": _VmnetSwitch}
controllers = {"vmnet": _VmnetController}
tests = _mn.TESTS
Mininet = _mn.MnLab
findController = _mn.find_controller
cleanup = _mn.cleanup
CLI = _VmnetCLI  # adds natmap, leases, flows
