"""One UDP request, retried as a real client would (a datagram may be lost); prints the
answer and exits 0 as soon as it arrives, else exits 1.   python3 udp_ask.py IP PORT TIMEOUT"""

import socket
import sys
import time

RETRY = 0.3  # seconds between two tries


def ask(ip, port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s.sendto(b"hello\n", (ip, port))
            s.settimeout(min(RETRY, max(0.01, deadline - time.monotonic())))
            return s.recv(512).decode().strip()
        except socket.timeout:
            continue
    return None


if __name__ == "__main__":
    try:
        answer = ask(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
    except OSError as e:
        print(e)
        sys.exit(1)
    if answer is None:
        sys.exit(1)
    print(answer)
