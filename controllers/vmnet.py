"""vmnetlab's OpenFlow 1.3 controller app, for `ryu-manager` or `osken-manager`.

    osken-manager controllers/vmnet.py      (os-ken, Debian 12 / Ubuntu 22.04+)
    ryu-manager controllers/vmnet.py        (Ryu, e.g. the Mininet 2.3.0 VM)

A thin shell: each event is handed to the pure cores (controllers.learning, ...)
and the rules they return are sent. It listens on 127.0.0.1 unless told another
loopback-only address: the lab never exposes its controller to the network.
"""

import json
import logging
import os
import sys
import time

if __package__ in (None, ""):
    # Loaded by file path (the managers import it as a top-level module `vmnet`):
    # make the project's packages importable.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from controllers import config, framework  # noqa: E402
from controllers.boundary import Drops, handle  # noqa: E402
from controllers.housekeeping import Housekeeping  # noqa: E402
from controllers.learning import LearningSwitch  # noqa: E402
from controllers.openflow import encode, flow_stats_request, flows_of, send  # noqa: E402
from controllers.virtual_router import VirtualRouter  # noqa: E402

fw = framework.load()
LOG_BUDGET = 20 * 2**20  # bytes of log lines: past it, only errors are written
TICK = 0.2  # seconds: how stale `natmap` may be, while its table is small


class LogBudget(logging.Filter):
    """Caps what the controller writes to its log: a guest can make it talk, not fill a disk."""

    def __init__(self, budget=LOG_BUDGET):
        super().__init__()
        self.left = budget

    def filter(self, record):
        if self.left <= 0:
            return record.levelno >= logging.ERROR
        self.left -= len(record.getMessage()) + 40
        if self.left <= 0:
            record.msg, record.args = "log budget spent: from now on only errors are logged", ()
        return True


class VmnetApp(fw.App):
    OFP_VERSIONS = [fw.ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        budget = LogBudget()
        for handler in logging.getLogger().handlers:
            handler.addFilter(budget)
        conf = fw.cfg.CONF
        if conf.ofp_listen_host in (None, "", "0.0.0.0", "::"):
            conf.set_override("ofp_listen_host", "127.0.0.1")
        self.logger.info(
            "vmnet controller (%s) on %s:%s",
            fw.name, conf.ofp_listen_host, conf.ofp_tcp_listen_port or 6653,
        )
        self.routers = config.load()  # dpid -> RouterConfig: these switches are NAT routers
        self.switches = {}  # dpid -> its core (controllers.core.Core)
        self.datapaths = {}  # dpid -> datapath, for what the cores send on their own
        self.drops = {}  # dpid -> boundary.Drops
        self.house = {}  # dpid -> its Housekeeping (state writes, flow-table readings)
        self.ticker = fw.hub.spawn(self.tick)

    def tick(self):
        """The cores' housekeeping every TICK seconds; their state written for `natmap`
        and for a successor (off the packet path); flow tables read for the audit."""
        while True:
            fw.hub.sleep(TICK)
            now = time.monotonic()
            for dpid, core in list(self.switches.items()):
                house = self.house[dpid]
                self.send(self.datapaths[dpid], core.tick(now))
                if house.save_due(now):
                    self.save_state(dpid, core.take_state(now))
                if core.reads_flow_table and house.audit_due(now):
                    self.ask_flows(self.datapaths[dpid], adopting=False)

    def save_state(self, dpid, state):
        """Write a router's state (for `natmap`, and for a successor to restore)."""
        router = self.routers.get(dpid)
        if state is None or not router or not router.state_file:
            return
        began = time.monotonic()
        with open(router.state_file + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(router.state_file + ".tmp", router.state_file)
        self.house[dpid].saved(began, time.monotonic())

    def ask_flows(self, datapath, adopting):
        """Read the switch's flow table: all of it to adopt it (after a connect), a slice of
        it to audit sessions (controllers.core.Core.audit_slice)."""
        core = self.switches[datapath.id]
        cookie, mask, parts = (0, 0, 1) if adopting else core.audit_slice()
        request = flow_stats_request(datapath, cookie, mask)
        datapath.send_msg(request)  # gives the request its xid
        self.house[datapath.id].asked(time.monotonic(), request.xid, adopting, parts)

    @fw.set_ev_cls(fw.ofp_event.EventOFPFlowStatsReply, fw.MAIN_DISPATCHER)
    def flow_stats_reply(self, ev):
        msg = ev.msg
        dpid = msg.datapath.id
        core, house = self.switches.get(dpid), self.house.get(dpid)
        if core is None or house is None:
            return
        reading = house.reply(msg.xid, msg.body,
                              more=bool(msg.flags & msg.datapath.ofproto.OFPMPF_REPLY_MORE))
        if reading is None:
            return  # more parts to come, or not the reply asked for
        flows, now = flows_of(reading.stats), time.monotonic()
        rules = (core.adopt(flows, now) if reading.adopting
                 else core.audit(flows, reading.asked_at, now))
        house.read(reading, now, time.monotonic())
        self.send(msg.datapath, rules)

    def send(self, datapath, rules):
        send(datapath, [encode(datapath, rule) for rule in rules])

    @fw.set_ev_cls(fw.ofp_event.EventOFPSwitchFeatures, fw.CONFIG_DISPATCHER)
    def switch_features(self, ev):
        datapath = ev.msg.datapath
        router = self.routers.get(datapath.id)
        if router:
            core = VirtualRouter(router)  # with the NAT engine its configuration names
            if router.state_file and os.path.exists(router.state_file):
                with open(router.state_file) as f:  # leases a previous controller kept
                    core.restore(json.load(f), time.monotonic())
        else:
            core = LearningSwitch(name="%016x" % datapath.id)
        self.house[datapath.id] = Housekeeping(time.monotonic())  # before the tick sees the core
        self.switches[datapath.id] = core
        self.datapaths[datapath.id] = datapath
        self.drops[datapath.id] = Drops(name="%016x" % datapath.id)
        self.logger.info("switch %016x connected (%s)", datapath.id,
                         "virtual router of %s (%s engine)" % (router.name, router.engine)
                         if router else "learning switch")
        self.send(datapath, core.connected())
        if core.reads_flow_table:
            self.ask_flows(datapath, adopting=True)  # sessions the switch still carries

    @fw.set_ev_cls(fw.ofp_event.EventOFPPacketIn, fw.MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg = ev.msg
        core = self.switches.get(msg.datapath.id)
        if core is not None:
            # the boundary: read before any core sees it, and nothing escapes (boundary.handle);
            # the table that sent it tells a translated packet from a guest's (conntrack engine)
            rules = handle(core, msg.match["in_port"], msg.data, time.monotonic(),
                           self.drops[msg.datapath.id], deep=core.parses_headers,
                           table=getattr(msg, "table_id", 0))
            self.send(msg.datapath, rules)

    @fw.set_ev_cls(fw.ofp_event.EventOFPFlowRemoved, fw.MAIN_DISPATCHER)
    def flow_removed(self, ev):
        msg = ev.msg
        core = self.switches.get(msg.datapath.id)
        if core is not None and msg.cookie:
            self.send(msg.datapath, core.flow_removed(msg.cookie, time.monotonic()))

    @fw.set_ev_cls(fw.ofp_event.EventOFPErrorMsg, fw.MAIN_DISPATCHER)
    def switch_error(self, ev):
        """A rule the switch refused: said in the log (it names the message it refused)."""
        msg = ev.msg
        self.logger.warning("switch %016x refused a message: error type %d code %d, message %s",
                            msg.datapath.id, msg.type, msg.code, bytes(msg.data[:64]).hex())
