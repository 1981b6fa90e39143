"""UDP echo server for timing: answers each datagram with itself (socat forks a shell per
datagram, too slow to time).   python3 udp_echo.py PORT BIND_ADDRESS"""

import socket
import sys


def serve(port, address):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    while True:
        data, peer = s.recvfrom(64)
        s.sendto(data, peer)


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
