"""PXE booting with NAT, as VirtualBox's manual shows it (labs/pxe.lab): a NAT adapter's
DHCP names a boot file (--nattftpfileN, else VMNAME.pxe) and its TFTP server 10.0.2.4, and
the guest fetches the file from there: the host PC's TFTP folder, through the NAT (both
engines)."""

import os

import pytest
from labkit import build, stop_and_check
from leftovers import root_state

from topos.modes.registry import topology
from topos.run.tftp import tftp_root

FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "labs", "pxe.lab")


@pytest.fixture(scope="module", params=["openflow", "conntrack"])
def pxe_lab(request, tmp_path_factory):
    before = root_state()
    lab = build(topology("lab", "file=%s" % FILE, "engine=%s" % request.param),
                tmp_path_factory.mktemp("pxe"))
    yield lab
    stop_and_check(lab, before)


@pytest.mark.parametrize("vm, boot", [("pxe", "pxelinux.0"), ("plain", "plain.pxe")])
def test_a_guest_fetches_the_boot_file_its_dhcp_names_from_its_tftp_server(pxe_lab, vm, boot):
    lease = pxe_lab.lease(vm)
    assert (lease["boot"], lease["next"]) == (boot, "10.0.2.4")
    got = "/tmp/vmnet-pxe-%s-%d" % (vm, os.getpid())
    try:
        out = pxe_lab.get(vm).cmd("timeout 10 busybox tftp -g -r %s -l %s %s 2>&1; echo rc=$?"
                                  % (lease["boot"], got, lease["next"]))
        assert out.strip().endswith("rc=0"), out
        with open(got) as fetched, open(os.path.join(tftp_root(pxe_lab.rundir, "host1"),
                                                     boot)) as served:
            assert fetched.read() == served.read()
    finally:
        if os.path.exists(got):
            os.remove(got)


def test_nothing_but_the_tftp_servers_port_answers_at_dot_4(pxe_lab):
    out = pxe_lab.get("plain").cmd("timeout 5 busybox tftp -g -r plain.pxe -l /dev/null "
                                   "10.0.2.2 2>&1; echo rc=$?")
    assert not out.strip().endswith("rc=0"), out  # the gateway is no TFTP server
