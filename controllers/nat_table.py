"""The NAT table: outside ports for inside endpoints, sessions, expiry. Pure Python.

A mapping gives an inside (protocol, address, port) one outside port, whatever the
remote (endpoint-independent mapping, as home routers and VirtualBox do); each
remote it talks to is a session with its own pair of flows, named by a cookie.
A session lives while either of its flows does (traffic in either direction keeps
it); when a mapping has no session left its port goes back to the pool.

Sessions are capped (Caps): per VM, per port forward and in total. At a cap the new session
is refused and every existing one kept, as Linux's conntrack does once it finds no entry
to drop early (it drops only entries that never saw a reply, which this table cannot tell:
the switch carries the traffic) and as Open vSwitch's tracker always does at a zone's
limit. A working connection is never cut for a new one, and a VM that floods fills its
own share only.
"""

import itertools
import logging
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Optional

log = logging.getLogger("vmnet.nat")

PROTOCOLS = ("tcp", "udp", "icmp")


@dataclass
class Mapping:
    proto: str
    inside_ip: str
    inside_port: int
    outside_port: int
    created: float
    sessions: set = field(default_factory=set)
    last_used: float = 0.0
    forward: bool = False  # a static port forward, never freed


OUTWARD, INWARD = 0, 1  # a session's two flows


@dataclass
class Session:
    cookie: int
    mapping: Mapping
    remote_ip: str
    remote_port: int
    flows: set = field(default_factory=lambda: {OUTWARD, INWARD})  # those installed
    created: float = 0.0

    def flow_cookie(self, direction):
        """The cookie of one of the session's flows: the session's, and the direction."""
        return self.cookie << 1 | direction


# The cookie layout, here and nowhere else: a session's flows carry its cookie shifted left
# by one, with the direction in the low bit.
COOKIE_BITS = 2**64 - 1


def session_of(flow_cookie):
    """(session cookie, direction) of a flow's cookie."""
    return flow_cookie >> 1, flow_cookie & 1


def session_cookies(cookie):
    """(cookie, mask) that select both flows of a session, for a delete by cookie."""
    return cookie << 1, ~1 & COOKIE_BITS


def sessions_slice(part, parts):
    """(cookie, mask) that select the flows of the sessions whose cookie is `part` modulo
    `parts` (a power of two), for reading a flow table a slice at a time."""
    return part << 1, (parts - 1) << 1


@dataclass(frozen=True)
class Caps:
    """Most sessions at once (None: no cap) of one VM (inside address), of one port forward,
    and of the whole table."""

    per_vm: Optional[int] = None
    per_forward: Optional[int] = None
    total: Optional[int] = None


class PortPool:
    """Outside ports handed out in turn; a freed port goes to the back of the line."""

    def __init__(self, first, last, exclude=()):
        self.free = deque(p for p in range(first, last + 1) if p not in exclude)

    def take(self) -> Optional[int]:
        return self.free.popleft() if self.free else None

    def give(self, port):
        self.free.append(port)


class NatTable:
    def __init__(self, ports=(61000, 61999), forwards=(), per_inside=None, caps=Caps()):
        self.forwards = list(forwards)
        # Fairness: one inside address holds at most this many mappings (None: no cap).
        self.per_inside = per_inside
        self.caps = caps
        self.held = Counter()  # (proto, inside_ip) -> mappings it holds
        self.vm_sessions = Counter()  # inside_ip -> its sessions, but a forward's
        self.refused = Counter()  # cap (as cap_rows names it) -> new sessions it refused
        taken = {f.outside_port for f in self.forwards}
        self.pools = {p: PortPool(ports[0], ports[1], taken) for p in PROTOCOLS}
        self.mappings = {}  # (proto, inside_ip, inside_port) -> Mapping
        self.by_outside = {}  # (proto, outside_port) -> Mapping
        self.sessions = {}  # cookie -> Session
        self.by_flow = {}  # (proto, inside_ip, inside_port, remote_ip, remote_port) -> Session
        self.cookies = itertools.count(1)
        for f in self.forwards:
            m = Mapping(f.proto, f.inside_ip, f.inside_port, f.outside_port, 0.0, forward=True)
            self.mappings[(f.proto, f.inside_ip, f.inside_port)] = m
            self.by_outside[(f.proto, f.outside_port)] = m

    def mapping_for(self, proto, inside_ip, inside_port, now):
        """The mapping of an inside endpoint, made if new (None: no port left)."""
        key = (proto, inside_ip, inside_port)
        mapping = self.mappings.get(key)
        if mapping is None:
            if self.per_inside is not None and self.held[(proto, inside_ip)] >= self.per_inside:
                log.warning("NAT: %s holds %d %s mappings, its cap; new connection refused",
                            inside_ip, self.per_inside, proto)
                return None
            port = self.pools[proto].take()
            if port is None:
                log.warning("NAT: no %s port left for %s:%s; new connection refused",
                            proto, inside_ip, inside_port)
                return None
            mapping = Mapping(proto, inside_ip, inside_port, port, now)
            self.mappings[key] = mapping
            self.by_outside[(proto, port)] = mapping
            self.held[(proto, inside_ip)] += 1
            log.info("NAT: new mapping %s %s:%s -> outside port %d",
                     proto, inside_ip, inside_port, port)
        mapping.last_used = now
        return mapping

    def session(self, proto, inside_ip, inside_port, remote_ip, remote_port, now):
        """The session for one inside endpoint talking to one remote (None: exhausted)."""
        key = (proto, inside_ip, inside_port, remote_ip, remote_port)
        session = self.by_flow.get(key)
        if session:
            session.mapping.last_used = now
            return session
        cap = self.full(proto, inside_ip, inside_port)
        if cap:
            self.refused[cap] += 1
            return None
        mapping = self.mapping_for(proto, inside_ip, inside_port, now)
        if mapping is None:
            return None
        session = Session(next(self.cookies), mapping, remote_ip, remote_port, created=now)
        self._add(session, key)
        return session

    def full(self, proto, inside_ip, inside_port):
        """The cap a new session of this inside endpoint would pass, named as cap_rows names
        it ('vm 10.0.2.15', 'forward tcp:2222', 'total'), or None."""
        caps, mapping = self.caps, self.mappings.get((proto, inside_ip, inside_port))
        if mapping is not None and mapping.forward:
            if caps.per_forward is not None and len(mapping.sessions) >= caps.per_forward:
                return "forward %s:%d" % (proto, mapping.outside_port)
        elif caps.per_vm is not None and self.vm_sessions[inside_ip] >= caps.per_vm:
            return "vm %s" % inside_ip
        if caps.total is not None and len(self.sessions) >= caps.total:
            return "total"
        return None

    def _add(self, session, key):
        m = session.mapping
        m.sessions.add(session.cookie)
        self.sessions[session.cookie] = session
        self.by_flow[key] = session
        if not m.forward:
            self.vm_sessions[m.inside_ip] += 1

    def adopt(self, proto, inside_ip, inside_port, outside_port, remote_ip, remote_port,
              cookie, flows, now):
        """Take over a session the switch still carries (its flows outlived a controller):
        its mapping keeps its outside port, its cookie stays taken. False if it clashes."""
        key = (proto, inside_ip, inside_port)
        mapping = self.mappings.get(key)
        if mapping is None:
            if (proto, outside_port) in self.by_outside:
                return False
            try:
                self.pools[proto].free.remove(outside_port)
            except ValueError:
                return False  # outside the range, or a forward's port
            mapping = Mapping(proto, inside_ip, inside_port, outside_port, now)
            self.mappings[key] = mapping
            self.by_outside[(proto, outside_port)] = mapping
            self.held[(proto, inside_ip)] += 1
        elif mapping.outside_port != outside_port or cookie in self.sessions:
            return False
        session = Session(cookie, mapping, remote_ip, remote_port, set(flows), created=now)
        mapping.last_used = now
        self._add(session, key + (remote_ip, remote_port))  # past a cap too: it exists
        return True

    def take_over(self, found, now):
        """Adopt sessions read back from a switch ({cookie: fields}, session_flows.read_back);
        returns the cookies that could not be adopted. New cookies come after them all."""
        rejected = []
        for cookie, s in found.items():
            fields = [s.get(k) for k in ("inside_ip", "inside_port", "outside_port",
                                         "remote_ip", "remote_port")]
            if None in fields or not self.adopt(s["proto"], *fields, cookie, s["flows"], now):
                rejected.append(cookie)
        self.next_cookie_after(max(found, default=0))
        if found:
            log.info("NAT: adopted %d session(s) from the switch's flows, rejected %d",
                     len(found) - len(rejected), len(rejected))
        return rejected

    def end_missing(self, present, before, part=0, parts=1):
        """End the sessions made before `before` whose cookies are not `present`, of those
        in one slice (sessions_slice)."""
        ended = [c for c, s in self.sessions.items()
                 if c % parts == part and c not in present and s.created < before]
        for cookie in ended:
            self.end(cookie)
        return ended

    def next_cookie_after(self, cookie):
        """New sessions are numbered after every adopted one: no cookie is handed out twice."""
        self.cookies = itertools.count(max(cookie + 1, next(self.cookies)))

    def inbound(self, proto, outside_port):
        """The mapping that owns an outside port (a forward or a live mapping), or None."""
        return self.by_outside.get((proto, outside_port))

    def end(self, cookie):
        """A session's flows expired: forget it; free its mapping's port if it was the last."""
        session = self.sessions.pop(cookie, None)
        if session is None:
            return None
        m = session.mapping
        self.by_flow.pop((m.proto, m.inside_ip, m.inside_port,
                          session.remote_ip, session.remote_port), None)
        m.sessions.discard(cookie)
        if not m.forward:
            self.vm_sessions[m.inside_ip] -= 1
            if not self.vm_sessions[m.inside_ip]:
                del self.vm_sessions[m.inside_ip]
        if not m.sessions and not m.forward:
            self._free(m)
        return session

    def expire(self, now, timeout, proto="icmp"):
        """Drop mappings without flows (ICMP echo) idle for more than `timeout` seconds."""
        for m in [m for m in self.mappings.values()
                  if m.proto == proto and not m.forward and now - m.last_used > timeout]:
            for cookie in list(m.sessions):
                self.end(cookie)
            if (m.proto, m.inside_ip, m.inside_port) in self.mappings:
                self._free(m)

    def _free(self, m):
        del self.mappings[(m.proto, m.inside_ip, m.inside_port)]
        del self.by_outside[(m.proto, m.outside_port)]
        self.pools[m.proto].give(m.outside_port)
        self.held[(m.proto, m.inside_ip)] -= 1
        if not self.held[(m.proto, m.inside_ip)]:
            del self.held[(m.proto, m.inside_ip)]
        log.info("NAT: mapping %s %s:%s -> %d expired; port free again",
                 m.proto, m.inside_ip, m.inside_port, m.outside_port)

    def cap_rows(self):
        """Each cap, what it counts now and the new sessions it refused, as `natmap` shows
        them."""
        c = self.caps
        rows = [("total", c.total, len(self.sessions))]
        rows += [("vm %s" % ip, c.per_vm, n) for ip, n in sorted(self.vm_sessions.items())]
        rows += [("forward %s:%d" % (f.proto, f.outside_port), c.per_forward,
                  len(self.mappings[(f.proto, f.inside_ip, f.inside_port)].sessions))
                 for f in self.forwards]
        return [{"cap": name, "limit": limit, "count": n, "refused": self.refused[name]}
                for name, limit, n in rows]

    def rows(self, now):
        """The table as people read it: one row per session (or idle mapping)."""
        rows = []
        for m in self.mappings.values():
            remotes = [self.sessions[c] for c in sorted(m.sessions)] or [None]
            for s in remotes:
                rows.append({
                    "proto": m.proto,
                    "inside": "%s:%s" % (m.inside_ip, m.inside_port),
                    "outside_port": m.outside_port,
                    "remote": "%s:%s" % (s.remote_ip, s.remote_port) if s else "",
                    "cookie": s.cookie if s else None,
                    "idle_s": None if m.forward and not s else round(now - m.last_used, 1),
                    "last_used": m.last_used,  # on the monotonic clock, which all processes share
                    "forward": m.forward,
                })
        return rows
