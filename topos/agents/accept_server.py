"""TCP server that accepts and closes at once, for counting new connections per second.
python3 accept_server.py PORT BIND_ADDRESS"""

import socket
import sys


def serve(port, address):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, port))
    s.listen(4096)
    while True:
        c, _ = s.accept()
        c.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
