"""vm/: the scripts and the Vagrantfile are checked, and the app loads under either manager."""

import glob
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STANDINS = os.path.join(ROOT, "tests", "standins")


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not installed")
def test_vm_scripts_pass_shellcheck():
    scripts = sorted(glob.glob(os.path.join(ROOT, "vm", "*.sh")))
    scripts.append(os.path.join(ROOT, ".ci", "run"))
    result = subprocess.run(["shellcheck"] + scripts, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.skipif(not shutil.which("ruby"), reason="ruby is not installed")
def test_the_vagrantfile_parses():
    result = subprocess.run(["ruby", "-c", os.path.join(ROOT, "vm", "Vagrantfile")],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "Syntax OK" in result.stdout, result.stderr


LOAD = """
import sys
sys.path.insert(0, %(standins)r)
import %(manager)s
from %(framework)s.base import app_manager
cls = app_manager.AppManager().load_app(%(app)r)
bases = [b.__module__ + "." + b.__name__ for b in cls.__mro__]
print(cls.__name__, " ".join(bases))
"""


def load_app(framework, manager):
    code = LOAD % {"standins": STANDINS, "manager": manager, "framework": framework,
                   "app": os.path.join(ROOT, "controllers", "vmnet.py")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_app_is_a_ryu_app_when_ryu_manager_loads_it():
    pytest.importorskip("os_ken", reason="the Ryu stand-in is built on os-ken")
    out = load_app("ryu", "ryu.cmd.manager")
    assert out.startswith("VmnetApp ") and "ryu.base.app_manager.RyuApp" in out


def test_the_app_is_an_os_ken_app_when_osken_manager_loads_it():
    pytest.importorskip("os_ken", reason="os-ken is not installed")
    out = load_app("os_ken", "os_ken.base.app_manager")
    assert out.startswith("VmnetApp ") and "RyuApp" not in out
    assert "os_ken.base.app_manager.OSKenApp" in out
