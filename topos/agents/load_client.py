"""Clients side by side, each making COUNT exchanges with an echo server, every one with a
marker of its own that its answer must carry back (topos/agents/ask.py). Prints
{"exchanges": n, "answered": n, "failed": n, "retries": n, "first_packet": n, "seconds": s,
"errors": [...]}
as JSON (at most 5 errors, each with the exchange it belongs to).

    python3 load_client.py tcp|udp IP PORT CLIENTS COUNT [TIMEOUT]
"""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ask import ASK  # noqa: E402  (an agent runs by path, beside its sibling)

MAX_ERRORS = 5


def run(proto, ip, port, clients, count, timeout=2.0):
    totals = {"exchanges": 0, "answered": 0, "failed": 0, "retries": 0, "first_packet": 0}
    errors = []
    lock = threading.Lock()

    def client(number):
        for i in range(count):
            marker = "load-%d-%d-%d" % (os.getpid(), number, i)
            outcome = ASK[proto](ip, port, timeout, marker)
            with lock:
                totals["exchanges"] += 1
                totals["retries"] += outcome["retries"]
                totals["first_packet"] += outcome["first_packet"]
                if outcome["answer"]:
                    totals["answered"] += 1
                else:
                    totals["failed"] += 1
                    if len(errors) < MAX_ERRORS:
                        errors.append("%s: %s" % (marker, outcome["error"]))

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return dict(totals, seconds=round(time.monotonic() - start, 3), errors=errors)


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(run(args[0], args[1], int(args[2]), int(args[3]), int(args[4]),
                         float(args[5]) if len(args) > 5 else 2.0)))
