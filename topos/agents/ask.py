"""One exchange with an echo server, as a user makes it: a request carrying a marker, and an
answer that must carry the marker back (an empty or someone else's answer is no answer).
Prints {"answer": text or null, "retries": n, "first_packet": n, "error": text} as JSON;
exits 0 when answered.

Retries are counted, never hidden, and `first_packet` says how many of them were the
exchange's first packet, the one that may wait on ARP or on a controller. UDP sends the
request again once, RETRY_AFTER seconds after an unanswered first try (its only packet: every
UDP retry is the first packet's). TCP leaves retrying to the kernel and reports the segments
it resent, from the socket's TCP_INFO: those before the connection was up are the SYN's.

    python3 ask.py tcp|udp IP PORT TIMEOUT MARKER [SOURCE_PORT]
"""

import json
import socket
import struct
import sys
import time

RETRY_AFTER = 0.5  # seconds
TCPI_TOTAL_RETRANS = 100  # offset of tcpi_total_retrans in Linux's struct tcp_info
MAX_ANSWER = 65536


def resent(sock):
    """Segments the kernel sent again on this connection (0 where TCP_INFO is unknown)."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        return struct.unpack_from("I", info, TCPI_TOTAL_RETRANS)[0]
    except (OSError, AttributeError, struct.error):
        return 0


def family(ip):
    """(address family, the any-address) of `ip` (IPv6: "fe80::1%eth0" names its link)."""
    return (socket.AF_INET6, "::") if ":" in ip else (socket.AF_INET, "0.0.0.0")


def peer(ip, port):
    """The socket address of ip:port; a link-local IPv6 one with its link's index."""
    if ":" not in ip:
        return ip, port
    return socket.getaddrinfo(ip, port, socket.AF_INET6, 0, 0, socket.AI_NUMERICHOST)[0][4]


def ask_tcp(ip, port, timeout, marker, source_port=0):
    s = socket.socket(family(ip)[0], socket.SOCK_STREAM)
    try:
        if source_port:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((family(ip)[1], source_port))
        s.settimeout(timeout)
        s.connect(peer(ip, port))
        syn = resent(s)
        s.sendall(marker.encode() + b"\n")
        s.shutdown(socket.SHUT_WR)  # all of the request: the server answers, then closes
        answer = b""
        deadline = time.monotonic() + max(timeout, 1.0)
        while len(answer) < MAX_ANSWER:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            data = s.recv(4096)
            if not data:
                break
            answer += data
        text = answer.decode("utf-8", "replace").strip()
        return result(text, marker, resent(s), syn)
    except OSError as e:  # what was resent no longer matters: there is no answer
        return {"answer": None, "retries": 0, "first_packet": 0,
                "error": str(e) or type(e).__name__}
    finally:
        s.close()


def ask_udp(ip, port, timeout, marker, source_port=0):
    s = socket.socket(family(ip)[0], socket.SOCK_DGRAM)
    retries = 0
    try:
        if source_port:
            s.bind((family(ip)[1], source_port))
        deadline = time.monotonic() + timeout
        s.sendto(marker.encode() + b"\n", peer(ip, port))
        retry_at = time.monotonic() + RETRY_AFTER
        while True:
            now = time.monotonic()
            if retries == 0 and retry_at <= now < deadline:
                retries = 1
                s.sendto(marker.encode() + b"\n", peer(ip, port))
            wait_until = retry_at if retries == 0 else deadline
            if now >= deadline:
                return {"answer": None, "retries": retries, "first_packet": retries,
                        "error": "timeout"}
            s.settimeout(max(0.01, min(wait_until, deadline) - now))
            try:
                text = s.recv(MAX_ANSWER).decode("utf-8", "replace").strip()
            except socket.timeout:
                continue
            if marker in text:
                return result(text, marker, retries, retries)
    except OSError as e:
        return {"answer": None, "retries": retries, "first_packet": retries,
                "error": str(e) or type(e).__name__}
    finally:
        s.close()


def result(text, marker, retries, first_packet):
    if marker in text:
        return {"answer": text, "retries": retries, "first_packet": first_packet, "error": ""}
    return {"answer": None, "retries": retries, "first_packet": first_packet,
            "error": "answer without the request's marker: %r" % text[:200] if text
            else "connection closed with no answer"}


ASK = {"tcp": ask_tcp, "udp": ask_udp}


if __name__ == "__main__":
    proto, ip, port, timeout, marker = sys.argv[1:6]
    source = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    outcome = ASK[proto](ip, int(port), float(timeout), marker, source)
    print(json.dumps(outcome))
    sys.exit(0 if outcome["answer"] else 1)
