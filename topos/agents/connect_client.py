"""Four clients opening and closing TCP connections side by side, as a busy host would;
prints {"ok": n, "failed": n, "seconds": s} as JSON.   python3 connect_client.py IP PORT SECONDS"""

import json
import socket
import sys
import threading
import time

CLIENTS = 4
LINGER_0 = b"\1\0\0\0\0\0\0\0"  # close with a reset: no TIME_WAIT piling up on the client


def run(ip, port, seconds):
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker():
        while time.monotonic() < end:
            try:
                c = socket.create_connection((ip, port), timeout=2)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_0)
                c.close()
                key = "ok"
            except OSError:
                key = "failed"
            with lock:
                counts[key] += 1

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return dict(counts, seconds=seconds)


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
