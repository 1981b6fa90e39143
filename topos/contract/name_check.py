"""The contract's name claim (17): a VM resolves a name with the name server its DHCP lease
gave it, as a real guest does (getent: the C library, /etc/resolv.conf), and reaches the
name's address by that name. When it cannot, the detail says why (no name server offered,
no answer, a wrong address) - the way the failure shows in a guest.
"""

from plan.addressing import INET_IP
from plan.names import WWW


def name_servers(node):
    """The name servers in the node's own /etc/resolv.conf."""
    return [line.split()[1] for line in node.cmd("cat /etc/resolv.conf").splitlines()
            if line.startswith("nameserver") and len(line.split()) > 1]


def resolve(node, name):
    """The addresses `getent hosts` gives for `name` in `node` ([] when it fails)."""
    out = node.cmd("timeout 8 getent ahostsv4 %s" % name)
    return sorted({line.split()[0] for line in out.splitlines() if line.strip()})


def reaches_by_name(node, name, want, tries=3):
    """(holds, detail): `name` resolves to `want` in `node`, and a ping by name is answered."""
    servers = name_servers(node)
    if not servers:
        return False, "%s's resolv.conf names no server (its DHCP offered none)" % node.name
    addresses = resolve(node, name)
    if not addresses:
        return False, "%s asks %s: %s does not resolve" % (node.name, ", ".join(servers), name)
    if want not in addresses:
        return False, "%s resolves %s to %s, not %s" % (node.name, name, addresses, want)
    for _ in range(tries):
        if " 0% packet loss" in node.cmd("ping -c1 -W1 %s" % name):
            return True, "%s asks %s: %s is %s, and answers a ping by name" % (
                node.name, ", ".join(servers), name, want)
    return False, "%s resolves %s to %s, but a ping by name is not answered" % (
        node.name, name, want)


def check_names(lab, claim, expected, observation):
    """Claim 17 in this lab: vm1 -> www.example.test by name."""
    holds, detail = reaches_by_name(lab.get("vm1"), WWW, INET_IP)
    return [observation(lab.topo.column, claim.number, claim.text, "dns", expected, holds,
                        detail, 1)]
