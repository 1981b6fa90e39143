"""Clients opening and closing TCP connections side by side, as a busy host would, until
SECONDS have passed or COUNT connections were tried; prints {"ok": n, "failed": n,
"seconds": s} as JSON, s the time the run really took.
python3 connect_client.py IP PORT SECONDS [COUNT [CLIENTS]]

Sixteen clients by default: each waits a round trip for each connection, so a few measure
the path's latency; with sixteen the NAT's own cost shows (through the OpenFlow engine here:
4 clients about 900/s, 8 and 16 about 1,130/s)."""

import json
import socket
import sys
import threading
import time

CLIENTS = 16
LINGER_0 = b"\1\0\0\0\0\0\0\0"  # close with a reset: no TIME_WAIT piling up on the client


def run(ip, port, seconds, count=None, clients=CLIENTS):
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    start = time.monotonic()
    end = start + seconds

    def worker():
        while time.monotonic() < end:
            with lock:  # claim one connection of the budget
                if count is not None and counts["ok"] + counts["failed"] >= count:
                    return
                counts["ok"] += 1
            try:
                c = socket.create_connection((ip, port), timeout=2)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_0)
                c.close()
            except OSError:
                with lock:
                    counts["ok"] -= 1
                    counts["failed"] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return dict(counts, seconds=round(time.monotonic() - start, 3))


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(run(args[0], int(args[1]), float(args[2]),
                         int(args[3]) if len(args) > 3 else None,
                         int(args[4]) if len(args) > 4 else CLIENTS)))
