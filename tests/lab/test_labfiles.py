"""Lab files (docs/labfiles.md) built and proved: every prediction of the model holds in
the lab, with real ICMP, TCP and UDP, as `vmnet check FILE` proves it."""

import os

import pytest
from labkit import build, save_evidence, stop_and_check
from leftovers import root_state

from topos.contract import labcheck
from topos.modes.registry import topology
from topos.run.poll import until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def built(path, tmp_path, **params):
    return build(topology("lab", "file=%s" % path, *("%s=%s" % kv for kv in params.items())),
                 tmp_path / "lab")


def proved(path, tmp_path, request, **params):
    topo = topology("lab", "file=%s" % path, *("%s=%s" % kv for kv in params.items()))
    before = root_state()
    lab = build(topo, tmp_path / "lab")
    try:
        observations = labcheck.check(lab)
        if not all(o.holds for o in observations):
            save_evidence(lab, request.node.name)
            lab.keep = True
        return lab, observations
    finally:
        stop_and_check(lab, before)


def wrong(observations):
    return ["%s %s: predicted %s, saw %s (%s)" % (o.text, o.proto, o.expected, o.observed,
                                                 o.detail) for o in observations if not o.holds]


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(os.path.join(ROOT, "labs"))
                                         if n.endswith(".lab")))
def test_every_prediction_holds_in_the_lab(name, tmp_path, request):
    _lab, observations = proved(os.path.join(ROOT, "labs", name), tmp_path, request)
    assert observations and not wrong(observations), "\n".join(wrong(observations))


def test_vagrants_shape_host_only_from_the_host_nat_out_and_only_the_forward_from_the_lan(
        tmp_path, request):
    _lab, observations = proved(os.path.join(ROOT, "labs", "vagrant.lab"), tmp_path, request,
                                engine="conntrack")
    seen = {(o.text, o.proto): o.observed for o in observations}
    assert seen[("host1 -> web eth1", "tcp")]  # 192.168.56.10, the private network
    assert seen[("web -> inet eth0", "udp")]  # by adapter 1's NAT
    assert not seen[("pc1 -> web eth1", "tcp")]
    assert seen[("pc1 -> host1:8080 (forward http to web:80)", "tcp")]
    assert not seen[("pc1 -> host1:2222 (forward ssh to web:22)", "tcp")]  # host's loopback
    assert seen[("host1 -> host1:2222 (forward ssh to web:22)", "tcp")]
    assert not wrong(observations), "\n".join(wrong(observations))


def test_a_cable_out_and_an_adapter_attached_to_nothing_pass_nothing(tmp_path, request):
    lab, observations = proved(os.path.join(ROOT, "labs", "unplugged.lab"), tmp_path, request)
    seen = {(o.text, o.proto): o.observed for o in observations}
    assert seen[("host1 -> up eth0", "icmp")]
    assert not any(v for (text, _), v in seen.items() if "unplugged" in text or "nowhere" in
                   text)
    assert not wrong(observations), "\n".join(wrong(observations))


def test_a_router_guests_clients_reach_the_internet_through_three_nats_and_nothing_reaches_them(
        tmp_path, request):
    _lab, observations = proved(os.path.join(ROOT, "labs", "router.lab"), tmp_path, request)
    seen = {(o.text, o.proto): o for o in observations}
    out = seen[("client1 -> inet eth0", "tcp")]
    assert out.observed and "from=203.0.113.1 " in out.detail  # r1's address, the last NAT
    assert seen[("client1 -> client2 eth0", "udp")].observed
    assert not seen[("host1 -> client1 eth0", "icmp")].observed
    assert not wrong(observations), "\n".join(wrong(observations))


def test_vmnet_trace_shows_each_of_the_three_nats_from_a_router_guests_client(tmp_path):
    from topos.tools import trace

    before = root_state()
    lab = built(os.path.join(ROOT, "labs", "router.lab"), tmp_path)
    try:
        request, _reply, result = trace.trace(lab, "client1", "203.0.113.10", "tcp")
        sources = [hop.seen.src_ip for hop in request]
    finally:
        stop_and_check(lab, before)
    assert result.ok
    # the client, then the router guest's masquerade, VirtualBox's NAT (host1), r1's
    firsts = [ip for i, ip in enumerate(sources) if i == 0 or sources[i - 1] != ip]
    assert firsts == ["10.10.10.100", "10.0.2.15", "192.168.1.10", "203.0.113.1"], sources


def test_a_guest_with_two_gateways_takes_its_lowest_adapters(tmp_path):
    before = root_state()
    lab = built(os.path.join(ROOT, "labs", "two-gateways.lab"), tmp_path)
    try:
        routes = lab.get("box").cmd("ip -4 route show default").strip().splitlines()
        leases = [lab.lease("box", intf)["router"] for intf in ("eth0", "eth1")]
    finally:
        stop_and_check(lab, before)
    assert leases == ["10.0.2.2", "10.40.0.1"]  # both were offered
    assert routes == ["default via 10.0.2.2 dev eth0"], routes


def test_a_lab_files_nat_adapters_answer_names_as_their_switches_say(tmp_path):
    from plan.names import HOST1_ONLY, WWW
    from topos.contract.name_check import name_servers, resolve

    before = root_state()
    lab = built(os.path.join(ROOT, "labs", "names.lab"), tmp_path)
    try:
        plain, proxied, dev, isolated = lab.get("plain", "proxied", "dev", "isolated")
        for vm in (plain, proxied, dev):
            assert name_servers(vm) == ["10.0.2.3"] and resolve(vm, WWW) == ["203.0.113.10"]
        assert [bool(resolve(vm, HOST1_ONLY[0])) for vm in (plain, proxied, dev)] == [
            False, False, True]  # only the host resolver knows host1's /etc/hosts
        assert name_servers(isolated) == [] and resolve(isolated, WWW) == []
        host1 = lab.get("host1")
        service = host1.popen(["socat", "TCP4-LISTEN:5432,bind=127.0.0.1,fork,reuseaddr",
                               "SYSTEM:echo host-db"])
        try:
            until(lambda: host1.listens(5432), 5, "the service on host1's loopback")
            ask = "echo hi | socat -t2 -T2 - TCP4:10.0.2.2:5432,connect-timeout=2"
            assert dev.cmd(ask).strip() == "host-db"  # --nat-localhostreachable1 on
            assert "host-db" not in plain.cmd(ask)  # off: VirtualBox 7's default
        finally:
            service.terminate()
            service.wait()
    finally:
        stop_and_check(lab, before)
