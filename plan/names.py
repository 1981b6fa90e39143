"""The lab's names, in one place: the home's domain at r1, the internet's zone at inet, and
the addresses of the NAT's name server. Like plan.addressing, it imports nothing of the lab.
"""

from plan.addressing import INET6_IP, INET_IP, PCS, R1_LAN_IP, lan_ip

# The LAN's names live under the home's domain (RFC 8375's home.arpa): r1's dnsmasq answers
# for it and asks inet for everything else.
HOME_DOMAIN = "home.arpa"
HOME_NAMES = dict({"router": R1_LAN_IP, "r1": R1_LAN_IP},
                  **{name: lan_ip(octet) for name, octet in PCS.items()})

# The internet's one zone, served by inet's authoritative server (NSD).
ZONE = "example.test"
WWW = "www.example.test"  # -> INET_IP and INET6_IP: the name every claim resolves and reaches
TWO_ADDRESSES = ("203.0.113.10", "203.0.113.20")  # two.example.test
ALIAS = "alias.example.test"  # a CNAME of www
MISSING = "nope.example.test"  # does not exist: NXDOMAIN
BIG = "big.example.test"  # TXT records past 1,232 bytes: UDP says truncated, TCP carries it
BIG_RECORDS, BIG_RECORD_BYTES = 12, 200


def zone_file():
    """example.test in RFC 1035's master file format."""
    lines = [
        "$ORIGIN %s." % ZONE,
        "$TTL 300",
        "@ IN SOA ns hostmaster 1 3600 600 86400 300",
        "@ IN NS ns",
        "ns IN A %s" % INET_IP,
        "ns IN AAAA %s" % INET6_IP,
        "www IN A %s" % INET_IP,
        "www IN AAAA %s" % INET6_IP,
        "alias IN CNAME www",
    ]
    lines += ["two IN A %s" % address for address in TWO_ADDRESSES]
    lines += ['big IN TXT "%02d%s"' % (i, "x" * (BIG_RECORD_BYTES - 2))
              for i in range(BIG_RECORDS)]
    return "\n".join(lines) + "\n"


# A name only host1's /etc/hosts knows (as a VPN's or a hand-written one would be): a guest
# resolves it only through VirtualBox's host resolver (natdnshostresolver).
HOST1_ONLY = ("intranet.vpn.test", "192.168.1.20")

# VirtualBox's plain NAT: the guest's name server is the NAT engine at .3 of its network.
NAT_DNS_OFFSET = 3
