"""The pure readers and printers: tcpdump lines, flow dumps, the tables people read."""

from topos.contract.check import Observation
from topos.contract.report import soak, summary, table
from topos.run.capture import parse
from topos.tools.natmap import flow_idle_by_cookie, format_natmap
from topos.tools.trace import Hop, format_hops

TCP_LINE = ("1764288000.123456 08:00:27:00:00:01 > 52:54:00:12:35:02, ethertype IPv4 (0x0800), "
            "length 74: 10.0.2.15.36466 > 203.0.113.10.7001: Flags [S], seq 1, length 0")
ICMP_LINE = ("1764288000.2 02:00:cb:00:71:01 > 02:00:cb:00:71:0a, ethertype IPv4 (0x0800), "
             "length 98: 203.0.113.1 > 203.0.113.10: ICMP echo request, id 7, seq 1, length 64")


def test_tcpdump_lines_give_addresses_ports_and_time():
    seen = parse(TCP_LINE)
    assert (seen.src_mac, seen.src_ip, seen.src_port) == ("08:00:27:00:00:01", "10.0.2.15", 36466)
    assert (seen.dst_mac, seen.dst_ip, seen.dst_port) == ("52:54:00:12:35:02", "203.0.113.10",
                                                          7001)
    assert seen.time == "1764288000.123456"
    icmp = parse(ICMP_LINE)
    assert icmp.src_port is None and icmp.src_ip == "203.0.113.1"
    assert parse("tcpdump: listening on eth0") is None


def test_tcpdump_lines_over_ipv6_give_addresses_and_ports_too():
    seen = parse("1764288000.3 08:00:27:00:00:01 > 52:54:00:12:35:02, ethertype IPv6 (0x86dd), "
                 "length 94: fd17:625c:f037:2:a00:27ff:fe00:1.40000 > 2001:db8:203::10.7001: "
                 "Flags [S], seq 1, length 0")
    assert (seen.src_ip, seen.src_port, seen.dst_ip, seen.dst_port) == (
        "fd17:625c:f037:2:a00:27ff:fe00:1", 40000, "2001:db8:203::10", 7001)
    echo = parse("1764288000.4 08:00:27:00:00:01 > 33:33:00:00:00:01, ethertype IPv6 (0x86dd), "
                 "length 118: fe80::a00:27ff:fe00:1 > ff02::1: ICMP6, echo request, id 7")
    assert (echo.src_ip, echo.src_port, echo.dst_ip) == ("fe80::a00:27ff:fe00:1", None, "ff02::1")


def test_a_trace_marks_what_changed_since_the_previous_hop():
    natted = TCP_LINE.replace("08:00:27:00:00:01 > 52:54:00:12:35:02",
                              "02:00:cb:00:71:01 > 02:00:cb:00:71:0a").replace(
        "10.0.2.15.36466", "203.0.113.1.61000")
    text = format_hops("request", [Hop("vm1:eth0", parse(TCP_LINE)),
                                   Hop("r1:eth0", parse(natted))])
    first, second = text.splitlines()[2:4]
    assert "*" not in first
    assert "*203.0.113.1:61000" in second and "*02:00:cb:00:71:01" in second
    assert " 203.0.113.10:7001" in second  # the destination is left as it was


def test_flow_dumps_give_each_sessions_idle_time():
    # a session's two flows carry its cookie shifted left, and the direction in bit 0
    dump = ("cookie=0x2, duration=9.1s, idle_age=3, priority=20,tcp actions=output:1\n"
            "cookie=0x3, duration=9.1s, idle_age=1, priority=20,tcp actions=output:10\n"
            "cookie=0x0, duration=20s, idle_age=0, priority=0 actions=CONTROLLER:65535\n"
            "cookie=0x3e, duration=2s, priority=20,udp actions=output:1\n")
    assert flow_idle_by_cookie(dump) == {1: 1, 31: 0}


def test_natmap_prints_forwards_and_sessions():
    rows = [{"router": "host1", "proto": "tcp", "inside": "10.0.2.15:22", "outside_port": 2222,
             "remote": "", "idle_s": None, "forward": True},
            {"router": "host1", "proto": "udp", "inside": "10.0.2.16:5000",
             "outside_port": 61000, "remote": "192.168.1.20:7002", "idle_s": 4,
             "forward": False}]
    lines = format_natmap(rows).splitlines()
    assert lines[1].split() == ["host1", "tcp", "10.0.2.15:22", "2222", "pf", "-", "-"]
    assert lines[2].split() == ["host1", "udp", "10.0.2.16:5000", "61000",
                                "192.168.1.20:7002", "4s"]


def test_the_check_table_marks_what_does_not_hold():
    good = Observation("nat", 3, "host1 -> vm1", "tcp", False, False, "no answer", 1, 1, 1)
    bad = Observation("nat", 4, "vm1 -> pc1", "udp", True, False, "no answer", 1)
    rows = table([good, bad]).splitlines()
    assert rows[1].split()[:8] == ["3", "host1", "->", "vm1", "tcp", "no", "no", "ok"]
    assert "FAIL" in rows[2]
    assert summary("nat", [good, bad]) == (
        "nat: 1 of 2 checks hold; 2 exchanges, 1 retried (1 of the first packet)")


def test_a_soak_adds_up_failures_and_retries_by_path():
    answered = Observation("nat", 4, "vm1 -> pc1", "tcp", True, True, "from=...", 1, 3, 1)
    lost = Observation("nat", 4, "vm1 -> pc1", "udp", True, False, "no answer", 1)
    again = Observation("nat", 4, "vm1 -> pc1", "tcp", True, True, "from=...", 1)
    na = Observation("nat", 8, "vm1 -> vm3", "-", None, None, "not applicable")
    # Two rounds of one lab: the retries of the first round stay counted after a clean second.
    text = soak(3, [answered, lost, lost, again, na]).splitlines()
    assert text[0] == ("3 labs, 4 checks, 4 exchanges: 2 failed, 2 retried beyond the first"
                       " packet, 1 of the first packet")
    assert "  failed 2x  nat: vm1 -> pc1 (udp)" in text
    assert "  retried beyond the first packet 2x  nat: vm1 -> pc1 (tcp)" in text
    assert "  first packet retried 1x  nat: vm1 -> pc1 (tcp)" in text


def test_natmap_reads_the_conntrack_engines_table_in_the_same_columns():
    from topos.tools.natmap import conntrack_rows, format_natmap

    dump = (
        "icmp,orig=(src=10.0.2.15,dst=203.0.113.10,id=12581,type=8,code=0),reply=(src=203.0."
        "113.10,dst=192.168.1.10,id=12581,type=0,code=0),zone=49\n"
        "tcp,orig=(src=10.0.2.16,dst=192.168.1.20,sport=47820,dport=7001),reply=(src=192.168."
        "1.20,dst=192.168.1.10,sport=7001,dport=61516),zone=49,protoinfo=(state=TIME_WAIT)\n"
        "tcp,orig=(src=192.168.1.20,dst=192.168.1.10,sport=43804,dport=2222),reply=(src=10.0."
        "2.15,dst=192.168.1.20,sport=22,dport=43804),zone=49,protoinfo=(state=ESTABLISHED)\n")
    rows = conntrack_rows(dump, "192.168.1.10")
    assert [(r["proto"], r["inside"], r["outside_port"], r["remote"], r["forward"])
            for r in rows] == [
        ("icmp", "10.0.2.15:12581", 12581, "203.0.113.10", False),
        ("tcp", "10.0.2.16:47820", 61516, "192.168.1.20:7001", False),
        ("tcp", "10.0.2.15:22", 2222, "192.168.1.20:43804", True)]
    shown = format_natmap([dict(r, router="host1") for r in rows])
    assert "2222 pf" in shown and "10.0.2.16:47820" in shown


def test_natmap_shows_the_caps_and_the_trackers_own_count():
    from topos.run.tracker import parse_limits
    from topos.tools.natmap import format_caps

    got = parse_limits("default limit=0\nzone=49,limit=16384,count=12\nzone=50,limit=10,count=0")
    assert got == {49: (16384, 12), 50: (10, 0)}
    shown = format_caps([
        {"router": "host1", "cap": "vm 10.0.2.15", "limit": 4096, "count": 4096, "refused": 20},
        {"router": "host2", "cap": "total (zone 50)", "limit": 16384, "count": 3,
         "refused": None}]).splitlines()
    assert shown[1].split() == ["host1", "vm", "10.0.2.15", "4096", "4096", "20"]
    assert shown[2].split()[-3:] == ["16384", "3", "-"]


def test_natmap_reads_the_ipv6_a_host_sends_on_for_its_nat_network():
    from ipaddress import ip_network

    from topos.tools.natmap import conntrack6_rows

    text = "\n".join([
        "ipv6     10 tcp      6 119 TIME_WAIT src=fd17:625c:f037:0002:0a00:27ff:fe00:0001 "
        "dst=2001:0db8:0203:0000:0000:0000:0000:0010 sport=40680 dport=7001 "
        "src=2001:0db8:0203:0000:0000:0000:0000:0010 dst=2001:0db8:0001:0001:0000:c0ff:fea8:010a"
        " sport=7001 dport=40680 [ASSURED] mark=0 zone=0 use=2",
        "ipv6     10 icmpv6   58 29 src=fd17:625c:f037:0002:0a00:27ff:fe00:0001 "
        "dst=2001:0db8:0203:0000:0000:0000:0000:0010 type=128 code=0 id=22803 "
        "src=2001:0db8:0203:0000:0000:0000:0000:0010 dst=2001:0db8:0001:0001:0000:c0ff:fea8:010a"
        " type=129 code=0 id=22803 mark=0 zone=0 use=2",
        "ipv6     10 udp      17 29 src=2001:0db8:0001:0001:0000:c0ff:fea8:010a "  # host1's own
        "dst=2001:0db8:0203:0000:0000:0000:0000:0010 sport=1 dport=2 src=x dst=y sport=2 dport=1"])
    rows = conntrack6_rows(text, "host1", [ip_network("fd17:625c:f037:2::/64")])
    assert [(r["proto"], r["inside"], r["outside_port"], r["remote"]) for r in rows] == [
        ("tcp", "[fd17:625c:f037:2:a00:27ff:fe00:1]:40680", 40680, "[2001:db8:203::10]:7001"),
        ("icmp6", "[fd17:625c:f037:2:a00:27ff:fe00:1]:22803", 22803, "2001:db8:203::10")]
