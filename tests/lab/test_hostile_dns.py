"""A hostile guest against VirtualBox's name server at 10.0.2.3 (plain NAT, both engines'
path through the controller: a new session's first packet): a flood of queries, oversized,
truncated and malformed DNS messages over UDP and TCP. The controller never reads DNS (it
parses headers up to TCP/UDP, controllers/frame.py): what it must show is that none of this
freezes it or grows its memory, and that names still resolve after: at once for the other
VMs, and for the attacker once its flood's NAT mappings (500 a VM, its cap) have idled out."""

import struct

import pytest
import test_hostile_guest as hostile

pytest.importorskip("os_ken", reason="os-ken's packet library builds the hostile frames")

from os_ken.lib.packet import ethernet, ipv4, tcp, udp  # noqa: E402

from controllers.packets import build  # noqa: E402
from plan.addressing import GATEWAY_MAC, INET_IP, vm_mac  # noqa: E402
from plan.names import WWW  # noqa: E402
from topos.contract.name_check import resolve  # noqa: E402
from topos.modes.registry import topology  # noqa: E402
from topos.run.poll import until  # noqa: E402

NAME_SERVER = "10.0.2.3"
FLOOD = 3000  # queries, each from a port of its own: a new NAT session each
IDLE = 10  # seconds an idle NAT mapping lives: the attacker's own names come back after it


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return topology("nat", "per_vm=yes", "vms=2", "vms2=1", "idle=%d" % IDLE)


def query(name, ident=0x1234, qdcount=1):
    """A DNS query message for `name` (type A), with the header's question count as given."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, qdcount, 0, 0, 0) + labels + b"\0\1\0\1"


def datagram(lab, payload, sport, vm="vm1", **ip):
    return build(ethernet.ethernet(dst=GATEWAY_MAC, src=vm_mac(int(vm[2:]))),
                 ipv4.ipv4(src=lab.ip(vm), dst=NAME_SERVER, proto=17, **ip),
                 udp.udp(src_port=sport, dst_port=53), payload)


def names_work(lab, *vms):
    for vm in vms or ("vm1", "vm2"):
        assert resolve(lab.get(vm), WWW) == [INET_IP], "%s no longer resolves %s" % (vm, WWW)


def test_a_flood_of_queries_leaves_names_working_and_the_controller_small(lab):
    frames = [datagram(lab, query("q%d.example.test" % n, ident=n), 20000 + n)
              for n in range(FLOOD)]
    hostile.send_raw(lab, "vm1", *frames)
    _, rss = hostile.controller_usage(lab)
    assert rss < 200, "the controller holds %d MiB" % rss
    names_work(lab, "vm2", "vm3")
    # the flood filled vm1's own cap of NAT mappings: its new queries are refused (an ICMP
    # "administratively prohibited" each) until the flood's mappings idle out
    assert "holds 500 udp mappings, its cap" in hostile.controller_log(lab)
    until(lambda: resolve(lab.get("vm1"), WWW) == [INET_IP], 4 * IDLE,
          "vm1's names once its flood has idled out", interval=2)


def test_malformed_oversized_and_truncated_dns_leaves_the_controller_answering(lab):
    loop = query("x.example.test")[:12] + b"\xc0\x0c" + b"\0\1\0\1"  # a name pointing to itself
    frames = [
        datagram(lab, b"", 30001),  # no message at all
        datagram(lab, b"\xff" * 11, 30002),  # shorter than a header
        datagram(lab, query(WWW, qdcount=65535), 30003),  # 65,535 questions claimed, one sent
        datagram(lab, loop, 30004),
        datagram(lab, query(WWW) + b"\0" * 1300, 30005),  # a query padded past 1,232 bytes
        datagram(lab, bytes(range(256)) * 5, 30006),  # noise
    ]
    short = bytearray(datagram(lab, query(WWW), 30007))
    short[14 + 24:14 + 26] = (1000).to_bytes(2, "big")  # UDP says 1,000 bytes, carries fewer
    frames.append(bytes(short))
    frames.append(build(ethernet.ethernet(dst=GATEWAY_MAC, src=vm_mac(1)),
                        ipv4.ipv4(src=lab.ip("vm1"), dst=NAME_SERVER, proto=6),
                        tcp.tcp(src_port=30008, dst_port=53, bits=tcp.TCP_SYN)))
    hostile.send_raw(lab, "vm1", *frames)
    # a datagram bigger than the link: IP fragments, which the NAT drops, counted
    lab.get("vm1").cmd("python3 -c \"import socket; s = socket.socket(socket.AF_INET, "
                       "socket.SOCK_DGRAM); s.sendto(b'x' * 9000, ('%s', 53))\"" % NAME_SERVER)
    # garbage over TCP, after a real handshake
    lab.get("vm1").cmd("head -c 70000 /dev/urandom | socat -T2 - TCP4:%s:53,connect-timeout=2"
                       % NAME_SERVER)
    names_work(lab)
    assert "Traceback" not in hostile.controller_log(lab)
