"""Ready means ready: the very first exchange after a lab says it is ready is answered.

Fresh labs, one after the other; right after start() returns, each sends the exchanges that
were once seen to fail (host1 -> pc1 over UDP in bridged mode, vm2 -> inet over TCP in NAT
mode) and a few more, all protocols, with no warm-up and no retry beyond a real client's.
"""

import pytest
from labkit import build, stop_and_check
from leftovers import root_state

from plan.addressing import INET_IP
from topos.contract.probe import exchange
from topos.modes.registry import topology

LABS = 5  # per mode
FIRST = {
    "bridged": [("host1", "pc1"), ("vm1", "inet"), ("pc1", "vm2")],
    "nat": [("vm2", "inet"), ("vm1", "pc1"), ("host1", "inet")],
    "hostonly": [("vm1", "host1"), ("host2", "vm3")],
}


@pytest.mark.parametrize("mode", sorted(FIRST))
def test_the_first_exchange_after_ready_is_answered(mode, tmp_path):
    before = root_state()
    failures = []
    for n in range(LABS):
        lab = build(topology(mode), tmp_path / ("lab%d" % n))
        try:
            for src, dst in FIRST[mode]:
                ip = INET_IP if dst == "inet" else lab.ip(dst, "vboxnet0" if (
                    mode == "hostonly" and dst.startswith("host")) else None)
                for proto, result in exchange(lab.get(src), ip).items():
                    if not result.ok:
                        failures.append("lab %d: %s -> %s %s: %s" % (n, src, dst, proto,
                                                                   result.detail))
        finally:
            stop_and_check(lab, before)
    assert not failures, "; ".join(failures)
