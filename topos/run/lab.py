"""A running lab: Mininet plus what makes it ready and what takes it down again.

Ready means every switch is connected to the controller and every DHCP client
has its lease. Taking it down removes exactly what it created - its processes by
PID, its switches and links by name - on success, failure, Ctrl-C and SIGTERM.
Nothing here kills by name (never `mn -c` or Mininet's cleanup()).
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from mininet.net import Mininet

from controllers import config
from topos.run import lab_names, links, tracker
from topos.run.controller_node import PORT, VmnetController
from topos.run.dhcp import CLIENT_SCRIPT
from topos.run.errors import LabError
from topos.run.inventory import Inventory, Owned, free_slot, registry_lock
from topos.run.nodes import LabNode, settle
from topos.run.poll import until
from topos.run.preflight import preflight
from topos.run.switch import VmnetSwitch

ACTIVE = set()  # labs started and not yet stopped, for the safe cleanup hooks


def what_it_runs(topo):
    """What a lab runs, as `vmnet ls` shows it: its mode (a lab file's path) and the
    parameters given."""
    options = getattr(topo, "options", {})
    given = ["%s=%s" % (k, v) for k, v in sorted(options.items())
             if k != "file" and v != topo.parameters.get(k)]
    return " ".join([options.get("file") or topo.mode] + given)


def config_gateway_known(router):
    """Has the controller written that this virtual router knows its LAN gateway's MAC?"""
    try:
        with open(router.state_file) as f:
            return bool(json.load(f).get("gateway"))
    except (OSError, ValueError, TypeError):
        return False


class RecordedMininet(Mininet):
    """Mininet that writes everything it makes into an Inventory before making it."""

    def __init__(self, *args, inventory, **params):
        self.inventory = inventory
        super().__init__(*args, **params)

    def addController(self, name="c0", controller=None, **params):
        if isinstance(controller, type) and issubclass(controller, VmnetController):
            params.setdefault("rundir", getattr(self, "rundir", None))
            params.setdefault("inventory", self.inventory)
            params.setdefault("port", self.inventory.port or PORT)
        return super().addController(name, controller, **params)

    def addHost(self, name, cls=None, **params):
        if issubclass(cls or self.host, Owned):
            params.setdefault("inventory", self.inventory)
        return super().addHost(name, cls=cls, **params)

    def addSwitch(self, name, cls=None, **params):
        self.inventory.bridge(params.get("bridge", name))
        if issubclass(cls or self.switch, Owned):
            params.setdefault("inventory", self.inventory)
        return super().addSwitch(name, cls=cls, **params)

    def addLink(self, node1, node2, *args, **params):
        link = super().addLink(node1, node2, *args, **params)
        for intf in (link.intf1, link.intf2):
            if not getattr(intf.node, "inNamespace", True):  # a switch: root namespace
                self.inventory.link(intf.name)
        return link


class Lab(RecordedMininet):
    """The lab for a World topology. `rundir` receives logs, leases and PID files."""

    def __init__(self, topo, rundir=None, controller=VmnetController, keep=False, **params):
        # a World (topos.modes.world), known by what the lab asks of it: this layer is below
        if not all(hasattr(topo, name) for name in ("mode", "vms", "routers")):
            raise LabError("not a vmnetlab topology: %r" % (topo,))
        controllers = controller if isinstance(controller, (list, tuple)) else [controller]
        self.name = getattr(topo, "lab_name", "")
        with registry_lock():  # its name and slot are its own from here (topos.run.lab_names)
            self.slot = free_slot(self.name, lab_names.NAMED_LABS)
            self.port = lab_names.controller_port(self.slot)
            preflight(controllers, topo, self.port)
            # The run folder: ours to remove (or keep, see finish) unless the caller gave it.
            self.owns_rundir = rundir is None
            self.rundir = rundir or tempfile.mkdtemp(prefix="vmnetlab-%s" % (
                self.name + "-" if self.name else ""))
            self.keep = keep or bool(os.environ.get("VMNET_KEEP"))
            self.failed = False  # set by whoever finds that something did not hold
            os.makedirs(os.path.join(self.rundir, "leases"), exist_ok=True)
            inventory = Inventory(self.rundir, name=self.name, slot=self.slot, port=self.port,
                                  what=what_it_runs(topo), nodes=len(topo.hosts()))
        self.started = False
        self._old_sigterm = None
        params.setdefault("switch", VmnetSwitch)
        params.setdefault("host", LabNode)
        params.setdefault("waitConnected", False)  # start() waits, polling faster
        try:
            super().__init__(topo=topo, controller=controller, inventory=inventory,
                             **params)
        except BaseException:
            self.failed = True
            self.teardown()
            raise

    # --- bringing it up ---
    def start(self):
        """Bring the lab up and wait until it is ready; if it cannot be, take it down again
        (keeping the switches' flow tables in the run folder as evidence) and raise."""
        ACTIVE.add(self)
        self._catch_sigterm()
        self.started = True
        try:
            self._bring_up()
        except BaseException:
            self.failed = True
            for switch in self.switches:
                with open(os.path.join(self.rundir, "flows-%s.txt" % switch.name), "w") as f:
                    f.write(switch.flows())
            self.teardown()
            raise

    def _bring_up(self):
        routers = lab_names.zones(self.slot, self.topo.routers(self.rundir))
        if routers:  # what the controller must know about the virtual routers
            config.dump(routers, os.path.join(self.rundir, "controller.json"))
        super().start()
        # the bridges exist, so does their datapath: the conntrack routers' caps go in it
        self.ct_zones = {r.ct_zone: r.sessions_total for r in routers
                         if r.engine == "conntrack"}
        tracker.set_limits(self.ct_zones)
        links.attach(self)
        until(lambda: all(s.connected() for s in self.switches), 30,
              "switches to connect to the controller")
        script = os.path.join(self.rundir, "udhcpc.script")
        shutil.copy(CLIENT_SCRIPT, script)
        os.chmod(script, 0o755)
        for node in self.hosts:
            node.set_up_names(self.rundir)
            node.start_dhcp_server(self.rundir)
        # a client's first DISCOVER must find its server listening, or it waits to retry
        until(lambda: all(n.listens(67, "udp") for n in self.hosts if n.dhcp_servers),
              10, "the DHCP servers to listen")
        for node in self.hosts:
            node.start_echo_server(self.rundir)
        for node in self.hosts:
            node.start_dhcp_clients(self.rundir, script)
        self.wait_leases()
        self.wait_slaac()
        for node in self.hosts:  # a host PC's DNS relay reads the resolv.conf its lease wrote
            node.start_name_servers(self.rundir)
        if routers and any(isinstance(c, VmnetController) for c in self.controllers):
            # a virtual router that knows r1's MAC forwards a VM's first packet at once
            until(lambda: all(config_gateway_known(r) for r in routers), 10,
                  "the virtual routers to know the LAN's gateway")
        # every echo server, TCP and UDP and a forward's target: the first probe after
        # "ready" must find it bound
        until(lambda: all(n.listens(port, proto) for n in self.hosts
                          for proto, port in n.echo_ports + n.services()), 10,
              "the echo and name servers to listen")

    def wait_leases(self, timeout=30):
        def missing():
            return ["%s:%s" % (n.name, i) for n in self.hosts for i in n.dhcp
                    if not n.lease(self.rundir, i)]

        try:
            until(lambda: not missing(), timeout, "DHCP leases")
        except LabError as e:
            raise LabError("%s (no lease: %s; see %s)" % (
                e, ", ".join(missing()), self.rundir)) from None

    def wait_slaac(self, timeout=15):
        """Every interface a router advertises to has formed its IPv6 address."""
        def missing():
            return ["%s:%s" % (n.name, i) for n in self.hosts for i in n.slaac
                    if not n.ipv6_addresses(i)]

        try:
            until(lambda: not missing(), timeout, "IPv6 addresses from router advertisements")
        except LabError as e:
            raise LabError("%s (none on: %s; see %s)" % (
                e, ", ".join(missing()), self.rundir)) from None

    # --- what it holds ---
    def lease(self, node, intf=None):
        n = self.get(node)
        return n.lease(self.rundir, intf or n.primary)

    def ip(self, node, intf=None):
        """A node's IPv4 address on `intf` (default: its main interface): static or leased."""
        n = self.get(node)
        intf = intf or n.primary
        if intf in n.addresses:
            return n.addresses[intf].split("/")[0]
        lease = n.lease(self.rundir, intf)
        if not lease:
            raise LabError("%s has no address on %s" % (node, intf))
        return lease["ip"]

    def nodes(self):
        return list(getattr(self, "hosts", [])) + list(getattr(self, "switches", [])) + list(
            getattr(self, "controllers", []))

    def pids(self):
        """Every process this lab runs: node shells, services, the controller."""
        pids = [n.shell.pid for n in self.nodes() if getattr(n, "shell", None)]
        pids += [p.pid for n in self.hosts for p in n.processes]
        pids += [c.process.pid for c in self.controllers if getattr(c, "process", None)]
        return pids

    def names(self):
        """The switches and root-namespace interfaces this lab creates."""
        return {"switches": [str(s) for s in self.switches],
                "links": [i.name for s in self.switches for i in s.intfList() if i.name != "lo"]}

    # --- taking it down ---
    def stop(self):
        self.teardown()

    def teardown(self):
        """Stop everything this lab started; safe to call more than once."""
        ACTIVE.discard(self)
        for node in self.nodes():
            settle(node)
        for node in getattr(self, "hosts", []):
            node.stop_processes()
        if getattr(self, "ct_zones", None):
            tracker.remove(self.ct_zones)
            self.ct_zones = {}
        if any(getattr(self, a, None) for a in ("hosts", "switches", "links", "controllers")):
            shells = [n.shell for n in self.nodes() if getattr(n, "shell", None)]
            super().stop()
            for shell in shells:  # reap the nodes' shells: no zombies left behind
                try:
                    shell.wait(5)
                except subprocess.TimeoutExpired:
                    shell.kill()
                    shell.wait()
            self.switches, self.hosts, self.links, self.controllers = [], [], [], []
        self.started = False
        self._restore_sigterm()
        if getattr(self, "inventory", None):
            self.inventory.close()
            self.finish()

    def finish(self):
        """One policy for every run folder the lab made itself: kept (and named) when
        something failed or the user asked (keep, VMNET_KEEP=1), removed otherwise."""
        if not self.owns_rundir or not os.path.isdir(self.rundir):
            return
        if self.failed or self.keep:
            print("vmnetlab: run folder kept: %s" % self.rundir, file=sys.stderr)
        else:
            shutil.rmtree(self.rundir, ignore_errors=True)

    def _catch_sigterm(self):
        if threading.current_thread() is threading.main_thread():
            self._old_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)

    def _restore_sigterm(self):
        if self._old_sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, kind, exc, *_tb):
        # what went wrong keeps the run folder as evidence; SIGTERM (`vmnet stop`) is a stop
        stopped = isinstance(exc, SystemExit) and exc.code == 128 + signal.SIGTERM
        if kind is not None and not stopped:
            self.failed = True
        self.teardown()


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through finally blocks and atexit


@atexit.register
def teardown_all():
    """Stop every lab still running in this process (Ctrl-C, SIGTERM, errors)."""
    for lab in list(ACTIVE):
        lab.teardown()
