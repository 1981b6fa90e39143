"""The IPv6 half of a virtual router's gate: what a VM may say over IPv6 on the VMs' side.
Pure Python. The MAC half (controllers.vm_ports) has let the frame in already.

A guest brings IPv6 up by itself: a link-local address, SLAAC and temporary addresses,
Neighbor Discovery to find the others. Over Neighbor Discovery a VM could take another's
address, or point the others at its own MAC, as ARP would let it over IPv4 (which the
router refuses, controllers.virtual_router). So, as a switch's IPv6 source guard (RFC 6620's
first come, first served) and RA guard (RFC 6105) do:
- an IPv6 source address belongs to the first VM port that uses it, or claims it by
  Duplicate Address Detection (a solicitation from :: for it, RFC 6620's binding); another
  port sending from it, or advertising it as a Neighbor Advertisement's target, is refused
  (its detection still reaches the holder, which defends the address);
- the unspecified address (::) is a source only for Duplicate Address Detection and
  multicast listener reports (RFC 4862 §5.4, RFC 3810 §5.2.13);
- a link-layer address option names the frame's own source MAC;
- a VM sends no Router Advertisement and no Redirect: the router is the network's router;
- the router's own addresses are never a VM's.
Each port holds at most MAX_ADDRESSES (a guest's temporary addresses come and go: the one
used longest ago is forgotten first), so the table is bounded.
"""

from collections import OrderedDict

from controllers.frame_ipv6 import NA, NS, RA, REDIRECT

UNSPECIFIED = "::"
MLD_REPORTS = (131, 143)  # MLDv1 and MLDv2 listener reports
MAX_ADDRESSES = 16  # per VM port


class Ipv6Gate:
    def __init__(self, own=()):
        self.own = set(own)  # the router's own IPv6 addresses
        self.holder = {}  # address -> the port that holds it
        self.held = {}  # port -> OrderedDict of its addresses, the one used longest ago first

    def refuses(self, port, frame):
        """Why VM port `port` may not send this IPv6 frame (controllers.frame.Frame); None if
        it may."""
        ip, icmp = frame.ip6, frame.icmp6
        if icmp is not None and icmp.type in (RA, REDIRECT):
            return "a VM's Router Advertisement or Redirect (RA guard)"
        if icmp is not None and icmp.lladdr is not None and icmp.lladdr != frame.src:
            return "Neighbor Discovery naming a link-layer address not the frame's source"
        if ip.src.startswith("ff"):
            return "a multicast IPv6 source"
        if ip.src == UNSPECIFIED:
            if icmp is None or not (icmp.type == NS or icmp.type in MLD_REPORTS):
                return "the unspecified IPv6 source outside address detection"
            if icmp.type == NS and self.holder.get(icmp.target, port) == port:
                self.uses(port, icmp.target)  # a claim: this port's, unless another's first
            return None
        refused = self.uses(port, ip.src)
        if refused is None and icmp is not None and icmp.type == NA:
            refused = self.uses(port, icmp.target)
        return refused

    def uses(self, port, address):
        """Why `port` may not use `address`; None if it may (and holds it from now)."""
        if address in self.own:
            return "a VM's IPv6 source that is the router's own"
        holder = self.holder.get(address)
        if holder not in (None, port):
            return "a VM's IPv6 source another VM holds"
        held = self.held.setdefault(port, OrderedDict())
        if address in held:
            held.move_to_end(address)
            return None
        if len(held) >= MAX_ADDRESSES:
            oldest, _ = held.popitem(last=False)
            del self.holder[oldest]
        held[address] = True
        self.holder[address] = port
        return None

    def addresses(self, port):
        """The IPv6 addresses `port` holds, in the order last used."""
        return list(self.held.get(port, ()))
