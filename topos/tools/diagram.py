"""The lab drawn from the very topology object the lab is built from (graphviz `dot`).

Each host PC is a box holding what runs on it: its own stack, its VMs and the switch
that joins them (host-only network, bridge or virtual router).
"""

import os
import shutil
import subprocess

from topos.run.errors import LabError

SWITCH_ROLE = {
    "wan": "the internet's switch",
    "lan": "the physical LAN switch",
}


def switch_role(topo, name):
    if name in SWITCH_ROLE:
        return SWITCH_ROLE[name]
    if name in getattr(topo, "switch_roles", {}):  # a lab file's lab names its own
        return topo.switch_roles[name]
    if name.startswith("vr-"):
        return "virtual router (OpenFlow NAT, DHCP)"
    if name.startswith("br0-"):
        return "bridge br0 (learning switch)"
    return "host-only network (vboxnet0)"


def reservations(topo):
    """MAC -> address, from every DHCP server and virtual router of the topology."""
    found = {}
    for name in topo.hosts():
        servers = topo.nodeInfo(name).get("dhcp_server")
        for server in servers if isinstance(servers, (list, tuple)) else [servers]:
            for r in getattr(server, "reservations", ()):
                found[r.mac] = r.ip
    for router in topo.routers(None):
        found.update(router.reserved)
    return found


def macs(topo):
    """(node, interface) -> MAC as the links set them."""
    found = {}
    for _a, _b, info in topo.links(withInfo=True):
        if info.get("addr1"):
            found[(info["node1"], info["intfName1"])] = info["addr1"]
    return found


def address_lines(topo, name, reserved, mac_of):
    info = topo.nodeInfo(name)
    lines = ["%s %s" % (intf, cidr) for intf, cidr in info.get("addresses", {}).items()]
    for intf in info.get("dhcp", ()):
        ip = reserved.get(mac_of.get((name, intf)))
        lines.append("%s %s (DHCP)" % (intf, ip) if ip else "%s DHCP from r1's pool" % intf)
    return lines


def dot(topo):
    reserved, mac_of = reservations(topo), macs(topo)
    title = topo.mode if topo.column == topo.mode else "%s (%s)" % (
        topo.mode, topo.column.replace("_", " "))
    out = ['graph "%s" {' % topo.mode, '  rankdir=TB; fontname="Helvetica";',
           '  node [fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=8];',
           '  label="vmnetlab: %s mode"; labelloc=t;' % title]

    def host(name):
        role = topo.nodeInfo(name).get("role", "")
        label = "\\n".join([name, role] + address_lines(topo, name, reserved, mac_of))
        return '    "%s" [shape=box, style="rounded,filled", fillcolor="#eef5ff", label="%s"];' % (
            name, label)

    def switch(name):
        return '    "%s" [shape=ellipse, style=filled, fillcolor="#fff4d6", label="%s\\n%s"];' % (
            name, name, switch_role(topo, name))

    placed = set()
    for pc in ("host1", "host2"):
        vms = [vm for vm, owner in topo.vms.items() if owner == pc]
        inside = [pc] + [s for s in topo.switches() if s.endswith(pc) and s != pc
                         or s in ["vr-%s" % vm for vm in vms]]  # plain NAT: a router per VM
        inside += vms
        out.append('  subgraph "cluster_%s" {' % pc)
        out.append('    label="%s: the host PC"; style=dashed;' % pc)
        for name in inside:
            out.append(switch(name) if topo.isSwitch(name) else host(name))
        out.append("  }")
        placed.update(inside)
    for name in topo.switches():
        if name not in placed:
            out.append(switch(name).lstrip())
    for name in topo.hosts():
        if name not in placed:
            out.append(host(name).lstrip())
    kinds = getattr(topo, "adapter_kinds", {})  # a lab file's VMs: what each card is
    for _a, _b, info in topo.links(withInfo=True):
        card = info.get("intfName1", "")
        kind = kinds.get((info["node1"], card))
        out.append('  "%s" -- "%s" [%staillabel="%s", headlabel="%s"];' % (
            info["node1"], info["node2"], 'label="%s", ' % kind if kind else "", card,
            info.get("intfName2", "")))
    out.append("}")
    return "\n".join(out) + "\n"


def render(topo, path):
    kind = os.path.splitext(path)[1].lstrip(".").lower()
    if kind not in ("svg", "png"):
        raise LabError("diagram %s: the file must end in .svg or .png" % path)
    if not shutil.which("dot"):
        raise LabError("graphviz is not installed (Debian: graphviz; vm/provision.sh installs it)")
    result = subprocess.run(["dot", "-T" + kind, "-o", path], input=dot(topo).encode(),
                            capture_output=True)
    if result.returncode != 0:
        raise LabError("dot failed: %s" % result.stderr.decode(errors="replace")[-300:])
