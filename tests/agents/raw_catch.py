"""Count the frames on eth0 that carry a marker, for some seconds (run inside a lab node).
python3 raw_catch.py SECONDS MARKER_HEX   prints "ready" once listening, then the count."""

import socket
import sys
import time

ETH_P_ALL = 3


def catch(seconds, marker, interface="eth0"):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((interface, 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    end, count = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        try:
            count += marker in s.recv(65535)
        except socket.timeout:
            continue
    return count


if __name__ == "__main__":
    print(catch(float(sys.argv[1]), bytes.fromhex(sys.argv[2])))
