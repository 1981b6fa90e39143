"""Round trips to a UDP echo server; prints {"first": ms, "steady": ms} (medians) as JSON.

"first" sends each datagram from a new source port, so a new flow (where a path has a
controller, it pays for it); "steady" reuses one.   python3 rtt_client.py IP PORT COUNT"""

import json
import socket
import statistics
import sys
import time


def ask(s, ip, port):
    start = time.perf_counter()
    s.sendto(b"x", (ip, port))
    s.recv(64)
    return (time.perf_counter() - start) * 1000


def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    return s


def measure(ip, port, count):
    try:
        first = [ask(sock(), ip, port) for _ in range(count)]
        s = sock()
        ask(s, ip, port)
        steady = [ask(s, ip, port) for _ in range(count)]
        return {"first": statistics.median(first), "steady": statistics.median(steady)}
    except socket.timeout:
        return {"error": "no answer from %s:%d" % (ip, port)}


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
