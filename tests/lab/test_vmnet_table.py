"""`vmnet table` builds the labs of VirtualBox's table (and a NAT network with IPv6 on) and
every measured cell matches the manual's (the contract's, for our columns); here with the
conntrack engine in the NAT rows (the OpenFlow engine's NAT labs hold the same claims in
test_nat and test_nat_per_vm)."""

import json

from topos.tools import cli


def test_every_cell_matches_virtualbox_s_manual(capsys):
    code = cli.main(["table", "--json", "--engine", "conntrack"])
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["virtualbox"]: r for r in rows}
    assert {(r["virtualbox"], r["topo"]) for r in rows} == {
        ("Host-only", "hostonly"), ("Internal", "internal"), ("Bridged", "bridged"),
        ("NAT", "nat,per_vm=yes,engine=conntrack"), ("NAT Network", "nat,engine=conntrack"),
        ("NAT Network, IPv6 on", "nat,ipv6=on,ipv6_default=on,engine=conntrack")}
    wrong = {(r["virtualbox"], column): cell for r in rows
             for column, cell in r["cells"].items() if cell["measured"] != cell["expected"]}
    assert not wrong, wrong
    assert code == 0
    nat = by_name["NAT"]["cells"]
    assert nat["host -> VM"]["measured"] == "port forward"
    assert any("by=vm1" in e for e in nat["host -> VM"]["evidence"])
    assert by_name["NAT Network"]["cells"]["VM <-> VM"]["measured"] == "+"
    assert by_name["NAT Network, IPv6 on"]["cells"]["IPv6 VM -> internet"]["measured"] == "+"
    assert by_name["Bridged"]["cells"]["IPv6 VM -> internet"]["measured"] == "+"
