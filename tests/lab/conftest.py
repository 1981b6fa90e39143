"""Lab tests build the real lab: root, Open vSwitch, real packets.

Each test that fails leaves its evidence (flow tables, controller log, leases,
DHCP logs) in the lab's run folder under pytest's tmp folder, named in the report.
"""

import os

import pytest
from labkit import build, save_evidence, stop_and_check
from leftovers import read, root_state
from machine_lock import MachineLock

MACHINE_NAME_FILES = ("/etc/resolv.conf", "/etc/hosts")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/lab/" in str(item.fspath):
            item.add_marker(pytest.mark.lab)
            if os.geteuid() != 0:
                item.add_marker(pytest.mark.skip(
                    reason="lab test: needs root (namespaces, Open vSwitch); run with sudo"))


LOCK, DEFAULT_LAB = MachineLock(), MachineLock("default-lab")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """The machine's lock (tests/machine_lock.py): shared from a module's first test to its
    last, exclusive for a test marked `alone`; the default lab's for `default_lab` ones."""
    if "/tests/lab/" not in str(item.fspath):  # pytest calls it for every test
        yield
        return
    alone = item.get_closest_marker("alone") is not None
    default = alone or item.get_closest_marker("default_lab") is not None
    LOCK.take(exclusive=alone)
    if default:
        DEFAULT_LAB.take(exclusive=True)
    # its labs' name: its worker's (pytest-xdist's gw0 -> w0: topos.run.lab_names), so that
    # workers never meet; default_lab or alone: the default lab's (port 6653, lan, wan...)
    worker, given = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("VMNET_LAB_NAME")
    if worker and not default:
        os.environ["VMNET_LAB_NAME"] = "w" + worker.lstrip("gw")
    elif default:
        os.environ.pop("VMNET_LAB_NAME", None)
    try:
        yield
    finally:
        os.environ.pop("VMNET_LAB_NAME", None)
        if given is not None:  # the user's own (VMNET_LAB_NAME=x pytest ...)
            os.environ["VMNET_LAB_NAME"] = given
        if alone or nextitem is None or nextitem.module is not item.module:
            LOCK.release()
            DEFAULT_LAB.release()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed




@pytest.fixture(scope="session", autouse=True)
def machine_names_untouched():
    """Every node has its own resolv.conf and hosts (docs/names.md): after the whole session
    the machine's are as before, byte for byte."""
    before = {path: read(path) for path in MACHINE_NAME_FILES}
    yield
    after = {path: read(path) for path in MACHINE_NAME_FILES}
    assert after == before, "the lab tests changed the machine's %s" % ", ".join(
        p for p in MACHINE_NAME_FILES if after[p] != before[p])


@pytest.fixture(scope="module")
def lab(request, tmp_path_factory):
    """The module's lab (its TOPOLOGY), built once; after it, nothing of it may remain."""
    topo = request.module.TOPOLOGY()
    before = root_state()
    lab = build(topo, tmp_path_factory.mktemp(topo.mode))
    yield lab
    stop_and_check(lab, before)


@pytest.fixture(autouse=True)
def keep_evidence(request):
    """When a test that uses the module's lab fails, save the evidence while it still runs."""
    yield
    if "lab" in request.fixturenames and getattr(request.node, "failed_call", False):
        lab = request.getfixturevalue("lab")
        print("evidence in", save_evidence(lab, request.node.name))
