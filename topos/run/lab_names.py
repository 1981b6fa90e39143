"""A lab's name, and the names it gives what it puts in the machine's shared space.

Inside a lab every node keeps its name (vm1, host1, pc1...) and its interfaces theirs
(eth0, vboxnet0), each in the node's own namespace. What lives in the root namespace and
in Open vSwitch's database is shared by every lab on the machine: the bridges, their
ports (the switch's end of each card, the patch ports between bridges), the controller's
TCP port and the connection tracker's zones. The default lab (no name) keeps today's
names (`lan`, `host1-vbox`, `vm1-eth0`) and port 6653. A named lab's are its own:

    NAME_readable     while it fits Linux's 15 characters: alice_lan, alice_vm1-eth0
    NAME_short        else a shortened one: alice_h1-vbox (host1-vbox), alice_h1e0
    NAME_.hex         else (or where a shortening is taken) a digest: alice_.3fa9c1f0

`ip link` shows the readable name as the device's alias, and the inventory records both
(`vmnet ls NAME` prints them).
"""

import hashlib
import re

from topos.run.errors import LabError

NAME = re.compile(r"^[a-z][a-z0-9]{0,4}$")
IFNAMSIZ = 15  # Linux's interface names: 15 characters and the terminating NUL
DEFAULT_PORT = 6653  # the default lab's controller, OpenFlow's own port
NAMED_PORTS = 16653  # + a named lab's slot: its controller's port
# shortenings tried in turn, each keeping the name readable
SHORTER = (("host", "h"), ("-eth", "e"), ("vbox", "vb"), ("intnet", "it"), ("-", ""))


def checked(name):
    """A lab's name as given: "" (the default lab) or a lowercase letter then up to 4
    letters or digits (a prefix of at most 6 characters leaves 9 of Linux's 15)."""
    if name and not (isinstance(name, str) and NAME.match(name)):
        raise LabError("lab name %r: a lowercase letter, then up to 4 letters or digits "
                       "(it prefixes the lab's interfaces, of 15 characters at most)" % name)
    return name or ""


class RootNames:
    """The root-namespace and OVS names of one lab: readable -> its own, unique in it."""

    def __init__(self, lab=""):
        self.lab = checked(lab)
        self.given = {}  # readable -> root name
        self.taken = {}  # root name -> readable

    def __call__(self, readable):
        if readable in self.given:
            return self.given[readable]
        name = self.choose(readable)
        self.given[readable], self.taken[name] = name, readable
        return name

    def choose(self, readable):
        if not self.lab:
            return readable
        prefix = self.lab + "_"
        candidate = readable
        for long, short in ((None, None),) + SHORTER:
            if long:
                candidate = candidate.replace(long, short)
            name = prefix + candidate
            if len(name) <= IFNAMSIZ and name not in self.taken:
                return name
        digest = hashlib.sha1(readable.encode()).hexdigest()
        width = IFNAMSIZ - len(prefix) - 1
        name = "%s.%s" % (prefix, digest[:width])
        if name in self.taken:  # 24 bits or more of a digest, twice in one lab
            raise LabError("two of the lab's names, %s and %s, shorten alike" % (
                readable, self.taken[name]))
        return name

    def readable(self, name):
        return self.taken.get(name, name)


# The connection tracker's zones (the conntrack engine's routers): the default lab's are
# its routers' dpids (below 0x1100); a named lab's a block of its own, each below 0x8000
# (ALIAS_ZONE's bit marks the aliases' zones: controllers/conntrack_nat.py).
ZONES_FROM, ZONES_PER_LAB = 0x1100, 0x400
NAMED_LABS = (0x8000 - ZONES_FROM) // ZONES_PER_LAB  # 27 named labs side by side


def controller_port(slot):
    return DEFAULT_PORT if slot == 0 else NAMED_PORTS + slot


def zones(slot, routers):
    """`routers` (controllers.config.RouterConfig) with the lab's zones: their dpids in the
    default lab (slot 0), else the lab's block, a zone per router."""
    from dataclasses import replace

    if slot == 0:
        return list(routers)
    if len(routers) > ZONES_PER_LAB:
        raise LabError("%d virtual routers: a named lab has %d zones" % (len(routers),
                                                                        ZONES_PER_LAB))
    base = ZONES_FROM + (slot - 1) * ZONES_PER_LAB
    return [replace(r, zone=base + i) for i, r in enumerate(routers)]
