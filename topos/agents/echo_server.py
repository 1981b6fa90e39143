"""The lab's echo servers: one process per node serving every TCP and UDP port it is given.

Each request is read, then answered with the address and port it came from, who answered,
and the request itself: `from=10.0.2.15 port=36466 by=host1 echo=hello`. That is how the
lab shows what a NAT rewrote, and how a client knows the answer is its own (it sends a
marker and looks for it). TCP answers every line on a connection, and once more at the
end if the client half-closes after a partial line (or after nothing at all, so that
`socat - TCP4:... </dev/null` still learns who it reached). UDP answers every datagram.

One process and no fork per client: a server that forks a shell per client (socat's
SYSTEM:) dropped answers under load when the shell exited before the request was passed
to it (29 empty answers in 160 on a busy 2-core machine). Every table here is bounded:
connections, bytes kept per connection, the time an idle connection is kept.

It runs in every node, so it is kept small: the C socket type (`_socket`) and epoll,
without the `socket` and `selectors` modules (they bring enum and more: 1.3 MiB a process),
take ~9.0 MiB resident with `python3 -I -S`, as the two socat listeners it replaces did.

    python3 echo_server.py NAME PROTO:PORT [PROTO:PORT ...]      e.g. host1 tcp:7001 udp:7002
"""

import _socket as sockets
import select
import sys
import time

TCP_PORT, UDP_PORT = 7001, 7002  # where every node of the lab answers
MAX_CONNECTIONS = 256  # beyond this the oldest connection is closed for the new one
MAX_LINE = 4096  # bytes kept of one request line; a longer line is answered in pieces
IDLE = 60.0  # seconds a connection may stay silent before it is closed
DATAGRAM = 65535
IP_PKTINFO = getattr(sockets, "IP_PKTINFO", 8)  # Linux's value, where the module lacks it
IPV6_RECVPKTINFO = getattr(sockets, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(sockets, "IPV6_PKTINFO", 50)


def answer(name, peer, request):
    text = request.decode("utf-8", "replace").strip()
    return ("from=%s port=%d by=%s echo=%s\n" % (peer[0], peer[1], name, text)).encode()


READ, WRITE = select.EPOLLIN, select.EPOLLOUT


class Connection:
    def __init__(self, sock, peer):
        self.sock, self.peer = sock, peer
        self.pending = b""  # received, not yet a whole line
        self.answered = False
        self.outbox = b""
        self.closing = False
        self.last = time.monotonic()


class EchoServer:
    def __init__(self, name, ports):
        self.name = name
        self.poll = select.epoll()
        self.handlers = {}  # file descriptor -> (handler, socket)
        self.connections = {}  # socket -> Connection, in arrival order
        for proto, port in ports:
            self.listen(proto, port)

    def watch(self, sock, events, handler, change=False):
        self.handlers[sock.fileno()] = (handler, sock)
        (self.poll.modify if change else self.poll.register)(sock.fileno(), events)

    def listen(self, proto, port):
        """One socket a family: an IPv4 peer is seen as itself, never as ::ffff:a.b.c.d."""
        kind = sockets.SOCK_STREAM if proto == "tcp" else sockets.SOCK_DGRAM
        for family, anywhere in ((sockets.AF_INET, "0.0.0.0"), (sockets.AF_INET6, "::")):
            s = sockets.socket(family, kind)
            s.setsockopt(sockets.SOL_SOCKET, sockets.SO_REUSEADDR, 1)
            if family == sockets.AF_INET6:
                s.setsockopt(sockets.IPPROTO_IPV6, sockets.IPV6_V6ONLY, 1)
            s.bind((anywhere, port))
            if proto == "tcp":
                s.listen(128)
            elif family == sockets.AF_INET:  # the local address a datagram came to: the
                s.setsockopt(sockets.IPPROTO_IP, IP_PKTINFO, 1)  # answer comes from it
            else:
                s.setsockopt(sockets.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
            s.setblocking(False)
            self.watch(s, READ, self.accept if proto == "tcp" else self.datagram)

    # --- UDP: one answer per datagram ---
    def datagram(self, s):
        """The answer leaves from the address the datagram was sent to, as a client expects
        (and a NAT on the way needs): a host with several addresses would otherwise answer
        from the one its route back prefers."""
        try:
            data, ancillary, _flags, peer = s.recvmsg(DATAGRAM, sockets.CMSG_SPACE(20))
            info = [(level, kind, value) for level, kind, value in ancillary
                    if (level, kind) in ((sockets.IPPROTO_IP, IP_PKTINFO),
                                         (sockets.IPPROTO_IPV6, IPV6_PKTINFO))
                    and len(value) >= 12]
            if info and info[0][0] == sockets.IPPROTO_IP:
                # struct in_pktinfo: ifindex, spec_dst (the local address), addr
                info = [(sockets.IPPROTO_IP, IP_PKTINFO, b"\0" * 4 + info[0][2][4:8] +
                         b"\0" * 4)]
            # struct in6_pktinfo (the local address, ifindex) goes back as it came
            s.sendmsg([answer(self.name, peer, data)], info, 0, peer)
        except OSError:  # e.g. an ICMP error from an earlier answer, or no route back
            pass

    # --- TCP: one answer per line ---
    def accept(self, listener):
        try:
            fd, peer = listener._accept()  # the C type's accept: a descriptor
        except OSError:
            return
        if len(self.connections) >= MAX_CONNECTIONS:
            self.close(next(iter(self.connections.values())))
        sock = sockets.socket(fileno=fd)
        sock.setblocking(False)
        self.connections[sock] = Connection(sock, peer)
        self.watch(sock, READ, self.receive)

    def receive(self, sock):
        conn = self.connections[sock]
        conn.last = time.monotonic()
        try:
            data = sock.recv(65536)
        except OSError:
            self.close(conn)
            return
        if not data:  # the client has sent all it will: answer what is left, then close
            if conn.pending or not conn.answered:
                self.reply(conn, conn.pending)
            conn.pending, conn.closing = b"", True
            self.flush(conn)
            return
        conn.pending += data
        while b"\n" in conn.pending or len(conn.pending) >= MAX_LINE:
            line, sep, rest = conn.pending.partition(b"\n")
            if not sep:
                line, rest = conn.pending[:MAX_LINE], conn.pending[MAX_LINE:]
            self.reply(conn, line)
            conn.pending = rest
        self.flush(conn)

    def reply(self, conn, request):
        conn.outbox += answer(self.name, conn.peer, request)
        conn.answered = True

    def flush(self, conn):
        try:
            sent = conn.sock.send(conn.outbox) if conn.outbox else 0
        except BlockingIOError:
            sent = 0
        except OSError:
            self.close(conn)
            return
        conn.outbox = conn.outbox[sent:]
        if conn.closing and not conn.outbox:
            self.close(conn)
            return
        # a client that does not read its answers stops being read, so its outbox stays small
        self.watch(conn.sock, WRITE if conn.outbox else READ,
                   self.writable if conn.outbox else self.receive, change=True)

    def writable(self, sock):
        self.flush(self.connections[sock])

    def close(self, conn):
        self.connections.pop(conn.sock, None)
        self.handlers.pop(conn.sock.fileno(), None)
        try:
            self.poll.unregister(conn.sock.fileno())
        except OSError:
            pass
        conn.sock.close()

    def expire(self, now):
        for conn in [c for c in self.connections.values() if now - c.last > IDLE]:
            self.close(conn)

    def serve(self):
        while True:
            for fd, _events in self.poll.poll(1.0):
                if fd in self.handlers:  # closed by an earlier event of this round
                    handler, sock = self.handlers[fd]
                    handler(sock)
            self.expire(time.monotonic())


def parse_ports(words):
    ports = []
    for word in words:
        proto, _, port = word.partition(":")
        if proto not in ("tcp", "udp") or not port.isdigit() or not 0 < int(port) < 65536:
            raise SystemExit("echo_server: %r is not PROTO:PORT (tcp:7001, udp:7002)" % word)
        ports.append((proto, int(port)))
    return ports


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__.strip().splitlines()[-1].strip())
    EchoServer(sys.argv[1], parse_ports(sys.argv[2:])).serve()
