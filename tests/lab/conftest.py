"""Lab tests build the real lab: root, Open vSwitch, real packets.

Each test that fails leaves its evidence (flow tables, controller log, leases,
DHCP logs) in the lab's run folder under pytest's tmp folder, named in the report.
"""

import os

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/lab/" in str(item.fspath):
            item.add_marker(pytest.mark.lab)
            if os.geteuid() != 0:
                item.add_marker(pytest.mark.skip(
                    reason="lab test: needs root (namespaces, Open vSwitch); run with sudo"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


