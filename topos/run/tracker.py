"""The conntrack engine's timeouts: a timeout policy on each of its routers' zones.

Open vSwitch's connection tracker keeps a closed TCP connection (both FINs acknowledged, or a
reset) 30 s by default, and OVS 3.1 frees its outside port only when its sweeper next passes,
every 20 s (lib/conntrack.c: the reverse-NAT entry never expires by itself). A VM opening
connections fast then runs out of its slice of ports. The lab gives each conntrack router's
zone a policy that forgets a closed connection after CLOSED_S: its port is free at the next
sweep, 1-21 s after the close instead of 30-50 s.

The policies live in Open vSwitch's database (Datapath "netdev" -> CT_Zone -> CT_Timeout_Policy,
what `ovs-vsctl add-zone-tp` writes). vswitchd hands a zone's policy to the datapath when the
zone's row appears, and only to a datapath that exists then: so the lab writes them after its
bridges exist and deletes them with the lab. The inventory records each zone, and a Datapath
row the lab had to create, so that `vmnet clean` removes them after a crash.
"""

import re
import subprocess

from topos.run.errors import LabError

DATAPATH = "netdev"  # the userspace datapath; the kernel's has no policies without its module
CLOSED_S = 1
POLICY = {"tcp_close": CLOSED_S}


def vsctl(*args):
    done = subprocess.run(["ovs-vsctl", "--timeout=10", *args], capture_output=True, text=True)
    return done.returncode, (done.stdout if done.returncode == 0 else done.stderr).strip()


def datapath_row():
    """Does Open_vSwitch carry a Datapath row for the userspace datapath?"""
    _, out = vsctl("get", "Open_vSwitch", ".", "datapaths")
    return re.search(r"\b%s=" % DATAPATH, out) is not None


def zones():
    """{zone: {key: seconds}}, the policies the database holds for the userspace datapath."""
    rc, out = vsctl("list-zone-tp", DATAPATH)
    found = {}
    for line in out.splitlines() if rc == 0 else []:
        m = re.match(r"Zone:(\d+), Timeout Policies: (.*)", line)
        if m:
            found[int(m.group(1))] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return found


def apply(zone_ids, inventory):
    """Give each zone POLICY; call once the lab's bridges exist. True if the Datapath row
    had to be made (remove() takes it away again)."""
    created = False
    if zone_ids and not datapath_row():
        inventory.record(datapath_row=DATAPATH)
        created = True
        vsctl("--", "--id=@dp", "create", "Datapath", "datapath_version=0",
              "--", "set", "Open_vSwitch", ".", "datapaths:%s=@dp" % DATAPATH)
    policy = ["%s=%d" % kv for kv in sorted(POLICY.items())]
    for zone in zone_ids:
        inventory.record(ct_zone=zone)
        # A row left by an earlier datapath is deleted first, in a transaction of its own:
        # vswitchd applies a zone's policy when the row appears, not when it stays the same.
        vsctl("--if-exists", "del-zone-tp", DATAPATH, "zone=%d" % zone)
        rc, out = vsctl("add-zone-tp", DATAPATH, "zone=%d" % zone, *policy)
        if rc != 0:
            raise LabError("ovs-vsctl add-zone-tp %s zone=%d: %s" % (DATAPATH, zone, out))
    return created


def remove(zone_ids, datapath_created):
    """Delete the zones' policies, and the Datapath row if the lab made it and it is empty."""
    for zone in zone_ids:
        vsctl("--if-exists", "del-zone-tp", DATAPATH, "zone=%d" % zone)
    if datapath_created and datapath_row() and not zones():
        vsctl("remove", "Open_vSwitch", ".", "datapaths", DATAPATH)
