"""The conntrack engine's cap on sessions: a connection limit on each of its routers' zones.

Open vSwitch's connection tracker counts each zone's connections and, once a zone holds its
limit, commits no new one: the packet goes on untranslated and +new (OVS 3.1,
lib/conntrack.c: conn_not_found; the userspace datapath takes limits since 2.13), and the
router's table 2 drops it (controllers/conntrack_nat.py). There is no early drop of an
older entry: a working connection is never cut for a new one.

A limit lives in the datapath, not in the database: the lab sets its routers' once its
bridges exist (`ovs-appctl dpctl/ct-set-limits zone=N,limit=M`) and deletes them with the
lab. One a crashed lab leaves behind holds only its own zone, whose next lab sets it again.
"""

import re
import subprocess

from topos.run.errors import LabError


def appctl(*args):
    done = subprocess.run(["ovs-appctl", "--timeout=5", *args], capture_output=True, text=True)
    return done.returncode, (done.stdout if done.returncode == 0 else done.stderr).strip()


def set_limits(limits):
    """{zone: most connections}: set in the tracker; LabError when it refuses."""
    if not limits:
        return
    rc, out = appctl("dpctl/ct-set-limits",
                     *("zone=%d,limit=%d" % zl for zl in sorted(limits.items())))
    if rc != 0:
        raise LabError("the connection tracker refused the zones' limits: %s" % out)


def remove(zones):
    if zones:
        appctl("dpctl/ct-del-limits", "zone=%s" % ",".join(str(z) for z in sorted(zones)))


def parse_limits(text):
    """{zone: (limit, count)} from `ovs-appctl dpctl/ct-get-limits`."""
    return {int(z): (int(limit), int(count)) for z, limit, count in
            re.findall(r"zone=(\d+),limit=(\d+),count=(\d+)", text)}


def limits(zones):
    """{zone: (limit, count)} the tracker holds now for these zones."""
    rc, out = appctl("dpctl/ct-get-limits", "zone=%s" % ",".join(str(z) for z in sorted(zones)))
    return parse_limits(out) if rc == 0 else {}
