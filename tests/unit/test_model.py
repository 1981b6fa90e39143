"""The model of VirtualBox's rules (topos.labfile.model): from a lab file alone, before
anything is built, what reaches what and why. Its test is the contract: the five modes,
written as lab files (labs/), must come out exactly as each mode's column says."""

import os

import pytest

from topos.labfile.model import Model
from topos.labfile.reader import parse, read

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the contract's column -> its mode's lab file
FILES = {"hostonly": "hostonly.lab", "nat": "nat-network.lab", "bridged": "bridged.lab",
         "internal": "internal.lab", "nat_per_vm": "nat.lab"}


def lab(name):
    return read(os.path.join(ROOT, "labs", name))


def predicted_claims(spec):
    """{claim number: (reached, reason)} for the contract's claims the model speaks to."""
    model, routed = Model(spec), Model(spec, routes={"pc1": "host1"})  # claim 5's route
    on = {h: list(spec.hosts[h].vms) for h in spec.hosts}
    vm1, peer, remote = on["host1"][0], on["host1"][1], on["host2"][0]
    forwards = [f for f in model.port_forwards() if f[0] == "host1"]

    def node(src, dst, m=model):
        p = m.reach_node(src, dst)
        return p.reached, p.reason

    def both(a, b):
        return a[0] and b[0], a[1] + "; " + b[1]

    found = {1: node(vm1, peer), 2: node(vm1, "host1"), 3: node("host1", vm1),
             4: node(vm1, "pc1"), 5: node("pc1", vm1, routed), 6: node(vm1, "inet"),
             7: node("inet", vm1), 8: node(vm1, remote),
             9: both(node("host1", "pc1"), node("host1", "inet"))}
    for number, source in ((13, "pc1"), (16, "host1")):
        if forwards:
            p = model.reach_forward(source, *forwards[0])
            found[number] = (p.reached, p.reason)
    return found


@pytest.mark.parametrize("column", sorted(FILES))
def test_the_model_predicts_each_modes_column_of_the_contract(column):
    registry = pytest.importorskip("topos.modes.registry", reason="the columns are declared "
                                   "next to the Mininet topologies")
    expects = registry.column(column)
    predicted = predicted_claims(lab(FILES[column]))
    for number, (reached, reason) in predicted.items():
        want = expects.expected(number)
        if want is None:
            continue  # claim 8 in plain NAT: vm3 has vm1's own address
        assert reached == want, "claim %d in %s: predicted %s (%s)" % (number, column,
                                                                     reached, reason)


def test_each_prediction_says_why():
    model = Model(lab("nat.lab"))
    assert model.reach_node("vm1", "inet").reason == (
        "vm1's NAT adapter 1, then as host1: through r1 to the internet")
    assert model.reach_node("vm1", "inet").seen_as == "r1"
    assert model.reach_node("vm1", "pc1").seen_as == "host1"  # claim 11: as the host
    assert model.reach_node("host1", "vm1").reason == "r1 has no route to vm1's NAT adapter 1"
    assert model.reach_node("inet", "vm1").reason == "r1's NAT lets nothing in from the internet"
    bridged = Model(lab("bridged.lab"))
    assert bridged.reach_node("vm1", "pc1").seen_as == "vm1"
    assert Model(lab("hostonly.lab")).reach_node("vm1", "pc1").reason == (
        "vm1 has no way to the LAN (no gateway)")


def test_vagrants_shape_host_by_host_only_inet_by_nat_pc1_only_by_the_forward():
    model = Model(lab("vagrant.lab"))
    assert model.reach_node("host1", "web").reached  # at 192.168.56.10, its host-only
    assert model.reach_node("web", "inet").reached  # by adapter 1's NAT
    forwards = {f.name: (h, f, vm, key) for h, f, vm, key in model.port_forwards()}
    assert model.reach_forward("pc1", *forwards["http"]).reached
    assert not model.reach_forward("pc1", *forwards["ssh"]).reached  # bound to 127.0.0.1
    assert model.reach_forward("host1", *forwards["ssh"]).reached
    assert not model.reach_node("pc1", "web").reached


def test_a_router_guest_puts_three_nats_in_a_row_and_lets_nothing_in():
    model = Model(lab("router.lab"))
    out = model.reach_node("client1", "inet")
    assert out.reached and out.seen_as == "r1"
    assert out.reason.startswith("via router (masqueraded): router's NAT adapter 1, then as "
                                 "host1: through r1")
    assert model.reach_node("client1", "client2").reached
    assert model.reach_node("client1", "host1").reached  # through the router's NAT
    assert not model.reach_node("host1", "client1").reached
    assert model.reach_node("router", "client1").reached is not False


def test_an_unplugged_cable_and_an_adapter_not_attached_reach_nothing():
    spec = parse("[host1]\nVBoxManage createvm --name a --register\n"
                 "VBoxManage createvm --name b --register\n"
                 "VBoxManage modifyvm a --nic1 nat --cable-connected1 off\n"
                 "VBoxManage modifyvm b --nic1 null\n")
    model = Model(spec)
    for vm in ("a", "b"):
        assert not model.reach_node(vm, "inet").reached
        assert not model.reach_node("host1", vm).reached


def test_a_host_only_network_without_dhcp_leaves_a_guest_without_an_address():
    spec = parse("[host1]\nVBoxManage hostonlyif create\nVBoxManage createvm --name a --register\n"
                 "VBoxManage modifyvm a --nic1 hostonly --host-only-adapter1 vboxnet0\n")
    p = Model(spec).reach_node("host1", "a")
    assert not p.reached and "no address on host-only vboxnet0 of host1" in p.reason


def test_vmnet_predict_answers_every_question_of_a_file_with_its_reason(capsys):
    cli = pytest.importorskip("topos.tools.cli", reason="the vmnet command needs Mininet")
    assert cli.main(["predict", os.path.join(ROOT, "labs", "vagrant.lab")]) == 0
    head, columns, *rows = capsys.readouterr().out.splitlines()
    assert head.endswith("vagrant.lab: 1 VMs on host1; 54 answers, 30 reached")
    assert columns.split() == ["FROM", "TO", "ADDRESS", "REACHED", "WHY"]
    cells = [row.split(None, 5) for row in rows]
    assert ["host1", "web", "eth1", "192.168.56.10", "yes",
            "same network: host-only vboxnet0 of host1"] in cells
    assert ["pc1", "host1:2222/tcp", "127.0.0.1:2222", "no", "bound to host1's loopback"] in [
        c[:4] + [" ".join(c[4:])] for c in cells]
    # aligned: every row's ADDRESS starts under the header's
    assert {row.index(c[2] if c[1].count(":") else c[3]) for row, c in zip(rows, cells)} == {
        columns.index("ADDRESS")}
    # every source to each of the 7 addresses but its own, and to both forwards but the VM;
    # over IPv6 every source to the 4 global addresses (host1's, host2's, pc1's and inet's) but
    # its own, and the two link-local ones of host-only vboxnet0 from the other end
    assert len(rows) == len(set(rows)) == 36 + 16 + 2
