"""Where the contract's IPv6 claims (18-23) send their exchanges, in a running lab.

Each node's addresses are read from the node itself, as a user would (`ip -6 addr`): a global
one is formed from a router's advertisement, so its absence is an observation (no router
gave the guest a prefix), not an error. A link-local address is reached through the source's
own interface (`fe80::...%eth0`): it means nothing on another link.
"""

from plan.addressing import INET6_IP


def global_address(lab, name, intf=None):
    """The node's global IPv6 address, or None when no router gave it one."""
    node = lab.get(name)
    intf = intf or node.primary
    if intf in node.addresses6:
        return node.addresses6[intf].split("/")[0]
    found = node.ipv6_addresses(intf)
    return found[0] if found else None


def link_local(lab, name, intf, via):
    """`name`'s link-local address on `intf`, as node `via` names it (through its own card)."""
    found = lab.get(name).ipv6_addresses(intf, "link")
    source = lab.get(via)
    return "%s%%%s" % (found[0], source.primary) if found else None


def host1_address(lab):
    """Where vm1 finds host1 over IPv6: the link-local address of the adapter they share
    (host-only's vboxnet0), else host1's global address."""
    if lab.topo.host_interface:
        return link_local(lab, "host1", lab.topo.host_interface, "vm1")
    return global_address(lab, "host1")


def plan(lab, number, peer):
    """[(source node, destination address or None, what is missing)] for claim `number`."""
    exchanges = {
        18: lambda: [("vm1", INET6_IP, None)],
        19: lambda: [("inet", global_address(lab, "vm1"), "vm1 has no global IPv6 address")],
        20: lambda: [("vm1", global_address(lab, "pc1"), "pc1 has no global IPv6 address")],
        21: lambda: [("pc1", global_address(lab, "vm1"), "vm1 has no global IPv6 address")],
        22: lambda: [("vm1", link_local(lab, peer, "eth0", "vm1"),
                      "%s has no link-local IPv6 address" % peer)],
        23: lambda: [("vm1", host1_address(lab), "host1 has no IPv6 address vm1 could use")],
    }
    return exchanges[number]()
