"""The controller node: our app (controllers/vmnet.py) run by osken-manager or ryu-manager.

A child process of the lab, listening on 127.0.0.1 only, its PID file and log in
the lab's run folder, stopped by PID. The lab supervises it: when it dies (a crash,
kill -9, the OOM killer) it is started again, and rebuilds its state from the switches'
flows and its lease file (controllers/virtual_router.py: adopt, restore).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from mininet.node import Controller

from topos.run.errors import LabError
from topos.run.inventory import Owned
from topos.run.poll import until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP = os.path.join(ROOT, "controllers", "vmnet.py")
MANAGERS = ("osken-manager", "ryu-manager")
HOST = "127.0.0.1"
PORT = 6653


def listening(port, host=HOST):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def find_manager():
    """VMNET_MANAGER when set (a manager's path: Ryu's on the Mininet VM's Python, say);
    else on PATH, next to this Python (a venv), or in the project's venv."""
    chosen = os.environ.get("VMNET_MANAGER")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise LabError("VMNET_MANAGER=%s: not an executable osken-manager or ryu-manager"
                           % chosen)
        return chosen
    places = [os.path.dirname(sys.executable),
              os.path.join(ROOT, ".venv", "bin")]
    for name in MANAGERS:
        path = shutil.which(name) or next(
            (os.path.join(p, name) for p in places if os.access(os.path.join(p, name), os.X_OK)),
            None)
        if path:
            return path
    raise LabError("no OpenFlow controller framework: install os-ken (Debian: python3-os-ken) "
                   "or Ryu (vm/provision.sh does)")


class VmnetController(Owned, Controller):
    def __init__(self, name="c0", rundir=None, port=PORT, **params):
        self.rundir = rundir
        self.process = None
        self.manager = find_manager()
        super().__init__(name, ip=HOST, port=port, command=self.manager, **params)

    def checkListening(self):
        if listening(self.port):
            raise LabError("port %d on %s is already in use: stop that controller first, "
                           "or use --controller remote to use it" % (self.port, HOST))

    def paths(self):
        base = os.path.join(self.rundir or ".", "controller")
        return base + ".log", base + ".pid"

    RESTARTS = 5  # at most this many restarts a minute: a controller that cannot live stays dead

    def start(self):
        self.stopping = False
        self.restarts = []
        self.launch()
        until(self.up, 20, "the controller to listen on %s:%d" % (HOST, self.port))
        self.supervisor = threading.Thread(target=self.supervise, daemon=True,
                                           name="controller supervisor")
        self.supervisor.start()

    def supervise(self):
        while not self.stopping:
            time.sleep(0.2)
            process = self.process
            if self.stopping or process is None or process.poll() is None:
                continue
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < 60] + [now]
            with open(self.paths()[0], "a") as log:
                log.write("vmnetlab: the controller exited (%s); %s\n" % (
                    process.returncode, "restarting it" if len(self.restarts) <= self.RESTARTS
                    else "too many restarts, leaving it down"))
            if len(self.restarts) > self.RESTARTS:
                return
            self.launch()

    def launch(self):
        log, pidfile = self.paths()
        argv = [self.manager, "--ofp-listen-host", HOST,
                "--ofp-tcp-listen-port", str(self.port), APP]
        env = dict(os.environ)
        routers = os.path.join(self.rundir or ".", "controller.json")
        if os.path.exists(routers):
            env["VMNET_CONFIG"] = routers  # the lab's virtual routers (controllers.config)
        options = self.inventory.popen_options() if self.inventory else {}
        with open(log, "ab") as out:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True,
                                            env=env, **options)
        if self.inventory:
            self.inventory.process(self.process.pid, "the controller")
        with open(pidfile, "w") as f:
            f.write("%d\n" % self.process.pid)

    def up(self):
        if self.process.poll() is not None:
            with open(self.paths()[0]) as f:
                tail = f.read()[-800:]
            raise LabError("the controller exited (%s): %s" % (self.process.returncode, tail))
        return listening(self.port)

    def stop(self, *args, **kwargs):
        self.stopping = True
        if getattr(self, "supervisor", None):
            self.supervisor.join(2)
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        super(Controller, self).stop(*args, **kwargs)  # Node.stop: our shell, by PID
