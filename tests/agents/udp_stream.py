"""One datagram to a UDP echo server every 0.1 s for SECONDS; prints the answers received
in each second as a JSON list.   python3 udp_stream.py IP SECONDS [PORT]"""

import json
import socket
import sys
import time


def stream(ip, seconds, port=7002):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.1)
    answers = [0] * seconds
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        second = min(int(time.monotonic() - start), seconds - 1)
        s.sendto(b"x", (ip, port))
        try:
            s.recv(256)
            answers[second] += 1
            time.sleep(0.1)
        except socket.timeout:
            pass
    return answers


if __name__ == "__main__":
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 7002
    print(json.dumps(stream(sys.argv[1], int(sys.argv[2]), port)))
