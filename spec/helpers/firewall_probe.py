#!/usr/bin/python3
"""Inside a network namespace that has loaded scripts/sip-firewall.sh's
rules for PORT: listens on 127.0.0.1:PORT (TCP and UDP) and reports, as
JSON, what reached it from each source address given (any of 127.0.0.0/8
on lo): a TCP connection accepted or not, a datagram received or not.

Usage: firewall_probe.py PORT SOURCE...
"""
import json
import socket
import sys


def main() -> None:
    port, sources = int(sys.argv[1]), sys.argv[2:]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    udp.settimeout(0.5)
    result = {}
    for src in sources:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.bind((src, 0))
        c.settimeout(1.0)
        try:
            c.connect(("127.0.0.1", port))
            tcp_ok = True
        except OSError:
            tcp_ok = False
        c.close()
        if tcp_ok:
            conn, _ = tcp.accept()
            conn.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((src, 0))
        u.sendto(b"OPTIONS sip:probe SIP/2.0\r\n\r\n", ("127.0.0.1", port))
        u.close()
        try:
            _, sender = udp.recvfrom(2048)
            udp_ok = sender[0] == src
        except OSError:
            udp_ok = False
        result[src] = {"tcp": tcp_ok, "udp": udp_ok}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
