"""VirtualBox's plain NAT switches, each with both NAT engines: its two DNS switches
(docs/names.md) and --nat-localhostreachable. Each test fails when the lab is switched to
the other behaviour."""

import pytest
from labkit import build, query_seen_at_r1, stop_and_check
from leftovers import root_state

from plan.addressing import INET_IP
from plan.names import HOST1_ONLY, WWW
from topos.contract.name_check import resolve
from topos.modes.registry import topology
from topos.run.errors import LabError
from topos.run.poll import until

LOOPBACK_PORT = 8080


@pytest.fixture(params=["openflow", "conntrack"])
def switched_lab(request, tmp_path):
    """A plain NAT lab with one of VirtualBox's switches set, with each engine."""
    switch = request.node.get_closest_marker("switch").args[0]
    before = root_state()
    lab = build(topology("nat", "per_vm=yes", "vms=1", "vms2=1", switch,
                         "engine=%s" % request.param), tmp_path)
    yield lab
    stop_and_check(lab, before)


@pytest.mark.switch("natdnsproxy=on")
def test_the_dns_proxy_asks_again_itself_and_knows_no_host_file(switched_lab):
    kept_id, answer = query_seen_at_r1(switched_lab, "alias.example.test")
    assert INET_IP in answer.split()
    assert not kept_id, "r1 saw the guest's own query: nothing relayed it"
    assert not resolve(switched_lab.get("vm1"), HOST1_ONLY[0])


@pytest.mark.switch("natdnshostresolver=on")
def test_the_host_resolver_answers_with_the_hosts_own_names(switched_lab):
    vm1 = switched_lab.get("vm1")
    assert resolve(vm1, HOST1_ONLY[0]) == [HOST1_ONLY[1]]
    assert resolve(vm1, WWW) == [INET_IP]
    assert resolve(switched_lab.get("pc1"), HOST1_ONLY[0]) == []  # the LAN does not know it


@pytest.mark.switch("natdnshostresolver=on")
def test_the_host_resolver_answers_with_the_hosts_names_as_they_are_now(switched_lab):
    """VirtualBox asks the host's resolver on every query: a name the host learns while the
    lab runs resolves in the guest at once; a name it forgets is gone."""
    vm1, host1 = switched_lab.get("vm1"), switched_lab.get("host1")
    assert resolve(vm1, "late.vpn.test") == []
    host1.cmd("echo '172.16.9.9 late.vpn.test' >> /etc/hosts")
    until(lambda: resolve(vm1, "late.vpn.test") == ["172.16.9.9"], 5,
          "a name added to host1's /etc/hosts to resolve in vm1")
    # in place: /etc/hosts is a bind mount in the node, which a rename (sed -i) cannot replace
    host1.cmd("grep -v late.vpn.test /etc/hosts > /tmp/vmnet-hosts-$$ && "
              "cat /tmp/vmnet-hosts-$$ > /etc/hosts; rm -f /tmp/vmnet-hosts-$$")
    until(lambda: resolve(vm1, "late.vpn.test") == [], 5,
          "a name taken out of host1's /etc/hosts to stop resolving in vm1")


@pytest.mark.switch("natdnsproxy=on")
def test_the_dns_proxy_never_reads_the_hosts_file_even_when_it_changes(switched_lab):
    switched_lab.get("host1").cmd("echo '172.16.9.9 late.vpn.test' >> /etc/hosts")
    assert resolve(switched_lab.get("vm1"), "late.vpn.test") == []


def loopback_service(lab):
    """A service bound to host1's 127.0.0.1 only (TCP and UDP), stopped after use."""
    host1 = lab.get("host1")
    services = [host1.popen(["socat", "%s4-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr" % (
        proto, LOOPBACK_PORT), "SYSTEM:echo loopback-%s" % proto]) for proto in ("TCP", "UDP")]
    until(lambda: host1.listens(LOOPBACK_PORT, "tcp") and host1.listens(LOOPBACK_PORT, "udp"),
          5, "the loopback service in host1")
    return services


def ask_gateway(vm):
    """What vm1 gets from the gateway's address at the service's port, over TCP and UDP
    (socat -t2: the answer may take more than socat's 0.5 s after the request's end, while
    the service forks its echo on a loaded machine)."""
    return {proto: vm.cmd("echo hi | socat -t2 -T2 - %s4:10.0.2.2:%d%s" % (
        proto, LOOPBACK_PORT, ",connect-timeout=2" if proto == "TCP" else "")).strip()
        for proto in ("TCP", "UDP")}


def asked_until_answered(vm, want, deadline=15):
    """ask_gateway again until it gives `want`, within a deadline: a lost first SYN on a
    loaded machine is no verdict. The answers of every try, the last one last."""
    asked = []
    try:
        until(lambda: asked.append(ask_gateway(vm)) or asked[-1] == want, deadline,
              "%s to reach host1's loopback" % vm.name)
    except LabError:
        pass  # the answers say what was missing
    return asked


def stop(processes):
    for p in processes:
        p.terminate()
        p.wait()


@pytest.mark.switch("localhostreachable=on")
def test_with_localhostreachable_the_gateway_reaches_the_hosts_loopback(switched_lab):
    services = loopback_service(switched_lab)
    want = {"TCP": "loopback-TCP", "UDP": "loopback-UDP"}
    try:
        asked = asked_until_answered(switched_lab.get("vm1"), want)
    finally:
        stop(services)
    assert asked[-1] == want, asked


@pytest.mark.switch("localhostreachable=off")
def test_by_default_the_hosts_loopback_is_out_of_reach(switched_lab):
    services, itself = loopback_service(switched_lab), []
    try:
        answers = ask_gateway(switched_lab.get("vm1"))
        host1 = switched_lab.get("host1")
        try:  # asked until answered within a deadline: its fork can be slow on a loaded machine
            until(lambda: itself.append(host1.cmd(
                "echo hi | socat -t2 -T2 - TCP4:127.0.0.1:%d" % LOOPBACK_PORT)) or (
                    "loopback-TCP" in itself[-1]), 15, "host1 to reach its own service")
        except LabError:
            pass  # the answers say what was missing
    finally:
        stop(services)
    assert "loopback-TCP" in itself[-1], itself  # the service runs, for host1 itself
    assert "loopback" not in answers["TCP"] + answers["UDP"], answers
