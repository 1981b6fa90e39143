"""Send frames exactly as given, through a raw socket on eth0 (run inside a lab node).
python3 raw_send.py FILE   (one frame per line, in hex)"""

import socket
import sys


def send(path, interface="eth0"):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((interface, 0))
    with open(path) as f:
        for line in f:
            s.send(bytes.fromhex(line.strip()))


if __name__ == "__main__":
    send(sys.argv[1])
