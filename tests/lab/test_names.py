"""Names (docs/names.md): every node resolves with its own resolv.conf, written from its lease;
VirtualBox's plain NAT answers at 10.0.2.3 in its three ways, with both NAT engines. Each
behaviour's test fails when the lab is switched to another (the query r1 sees keeps or loses
the guest's query ID; host1's /etc/hosts shows or not)."""

from labkit import query_seen_at_r1
from leftovers import read

from plan.addressing import INET_IP, R1_LAN_IP, pc_ip
from plan.names import BIG, HOST1_ONLY, MISSING, TWO_ADDRESSES, WWW
from topos.contract.name_check import name_servers, resolve
from topos.modes.registry import topology


def TOPOLOGY():  # noqa: N802 - the name the lab fixture looks for
    return topology("nat", "per_vm=yes")


def test_each_node_has_its_own_resolv_conf_and_the_machine_keeps_its_own(lab):
    machine = read("/etc/resolv.conf")
    vm1, pc1, inet = lab.get("vm1", "pc1", "inet")
    assert name_servers(vm1) == ["10.0.2.3"]  # the plain NAT's name server
    assert name_servers(pc1) == [R1_LAN_IP]
    assert name_servers(inet) == [INET_IP]
    assert "nameserver 10.0.2.3" not in machine
    assert read("/etc/resolv.conf") == machine
    assert "intranet" not in read("/etc/hosts")


def test_the_world_has_names(lab):
    vm1, pc1 = lab.get("vm1", "pc1")
    assert resolve(vm1, WWW) == [INET_IP]
    assert resolve(vm1, "two.example.test") == sorted(TWO_ADDRESSES)
    assert "www.example.test" in vm1.cmd("dig +short alias.example.test")
    assert "NXDOMAIN" in vm1.cmd("dig %s" % MISSING)
    assert " 0% packet loss" in vm1.cmd("ping -c1 -W2 %s" % WWW)
    # the LAN's own names, under the home's domain (search home.arpa)
    assert resolve(pc1, "host1") == [pc_ip("host1")]


def test_a_big_answer_comes_truncated_over_udp_then_whole_over_tcp(lab):
    vm1 = lab.get("vm1")
    udp = vm1.cmd("dig +ignore +bufsize=1232 %s TXT" % BIG)
    assert "flags: qr tc" in udp or " tc " in udp.split("flags:")[1].split(";")[0]
    whole = vm1.cmd("dig +short %s TXT" % BIG)  # dig retries over TCP by itself
    assert len(whole.splitlines()) == 12 and len(whole) > 1232


def test_the_gateway_and_the_name_server_answer_ping(lab):
    vm1 = lab.get("vm1")
    for address in ("10.0.2.2", "10.0.2.3"):
        assert " 0% packet loss" in vm1.cmd("ping -c2 -i0.2 -W1 %s" % address)


def test_by_default_the_guests_own_query_goes_on_to_the_hosts_name_server(lab):
    kept_id, answer = query_seen_at_r1(lab, "two.example.test")
    assert sorted(answer.split()) == sorted(TWO_ADDRESSES)
    assert kept_id, "r1 saw the query with another ID: a relay asked, not the guest"
    assert not resolve(lab.get("vm1"), HOST1_ONLY[0])


def test_trace_shows_a_query_at_each_server_and_each_rewrite(lab):
    from topos.tools import trace

    name = "ns.example.test"  # asked by no other test here: r1 has not cached it
    request, reply, result = trace.trace(lab, "vm1", name, "dns")
    assert result.ok, result.detail
    path = [(h.where, h.seen.src_ip, h.seen.dst_ip, h.seen.dst_port) for h in request]
    assert path[0] == ("vm1:eth0", "10.0.2.15", "10.0.2.3", 53)
    assert ("r1:eth1", pc_ip("host1"), R1_LAN_IP, 53) in path  # on to host1's name server
    assert ("inet:eth0", "203.0.113.1", INET_IP, 53) in path  # r1 asks the internet's
    last = reply[-1].seen
    assert (reply[-1].where, last.src_ip, last.src_port) == ("vm1:eth0", "10.0.2.3", 53)


def test_natmap_shows_a_query_to_the_name_server_as_a_session_like_any_other(lab):
    from topos.run.poll import until
    from topos.tools.natmap import natmap_rows

    lab.get("vm1").cmd("dig +short +tries=1 -b 10.0.2.15#45353 www.example.test")

    def mine():
        return [r for r in natmap_rows(lab) if r["router"] == "vm1" and r["proto"] == "udp"
                and r["inside"] == "10.0.2.15:45353"]

    (row,) = until(mine, 5, "vm1's query in natmap")
    assert row["remote"] == "10.0.2.3:53"  # as the VM sees it (its flows go to r1)
