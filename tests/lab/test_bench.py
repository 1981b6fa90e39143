"""`vmnet bench` runs and reports every figure; the figures themselves are not asserted
(speed goals live in the benchmark's output, not in timed tests)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIGURES = ("tcp_gbps", "ratio_veth", "rtt_ms", "first_rtt_ms", "udp_loss", "conn_per_s")


def test_bench_json_has_every_figure_as_a_positive_number_or_null():
    result = subprocess.run([sys.executable, "-m", "topos.tools.cli", "bench", "--seconds", "1",
                             "--json"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["baselines"]) == {"veth", "lab_switch", "linux_bridge", "kernel_nat"}
    paths = {(p["mode"], p.get("engine"), p["path"]) for p in report["paths"]}
    nat_paths = ("vm1->pc1", "vm1->inet", "pc1->host1:pf->vm1", "vm1->inet IPv6")
    assert paths == {("hostonly", None, "vm1->host1"), ("bridged", None, "vm1->pc1"),
                     ("bridged", None, "pc1->vm1"), ("bridged", None, "vm1->pc1 IPv6"),
                     ("bridged", None, "pc1->vm1 IPv6"), ("internal", None, "vm1->vm2")} | {
        ("nat", engine, path) for engine in ("openflow", "conntrack") for path in nat_paths}
    rows = list(report["baselines"].values()) + report["paths"]
    for row in rows:
        assert row["tcp_gbps"] > 0 and row["ratio_veth"] > 0
        for name in FIGURES:
            value = row[name]
            assert value is None or (isinstance(value, (int, float)) and value >= 0), (name, row)
    for nat in (p for p in report["paths"] if p["path"] == "vm1->pc1" and p["mode"] == "nat"):
        assert nat["conn_per_s"] > 0 and nat["first_rtt_ms"] > 0 and nat["rtt_ms"] > 0
    assert report["baselines"]["veth"]["ratio_veth"] == 1
    assert all(seconds > 0 for seconds in report["ready_s"].values())
    # DNS: each bench lab's VM through its path, next to pc1 straight to r1, and the plain
    # NAT's name server each of its three ways; a VM offered no name server has no figure
    dns = {(r["label"], r["path"]): r for r in report["dns"]}
    labels = {label for label, _ in dns}
    assert labels == {"hostonly", "bridged", "internal", "nat", "nat-conntrack",
                      "nat-per-vm-pass", "nat-per-vm-natdnsproxy",
                      "nat-per-vm-natdnshostresolver"}
    for label in labels:
        assert dns[(label, "pc1 -> 192.168.1.1 (r1, from the LAN)")]["qps"] > 0
    assert dns[("hostonly", "vm1 (no name server offered)")]["qps"] is None
    assert dns[("nat-per-vm-pass", "vm1 -> 10.0.2.3")]["qps"] > 0
    assert dns[("nat", "vm1 -> 192.168.1.1")]["qps"] > 0


def test_scale_builds_the_vms_with_one_adapter_then_two_and_every_one_answers():
    from topos.tools import scale

    result = scale.scale(4, say=lambda text: None)
    assert result["unreachable"] == []  # host1 pinged each VM (and each of its two cards)
    assert result["ready_s"] > 0 and result["two_adapters_ready_s"] > 0
    ratio = result["two_adapters_ready_s"] / result["ready_s"]
    assert abs(result["two_adapters_ratio"] - ratio) < 0.02  # both from unrounded seconds
