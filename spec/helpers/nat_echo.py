#!/usr/bin/python3
"""A phone's media behind a NAT, for the symmetric RTP specs: RTP that
arrives at the port its SDP names (SDP_PORT) or at its real port
(REAL_PORT) is echoed back to the sender, always from REAL_PORT, as a NAT
rewrites the source port of everything a phone sends. A gateway that keeps
sending to SDP_PORT still reaches it; only one that latches onto REAL_PORT
accepts the echo.

Usage: nat_echo.py SDP_PORT REAL_PORT LIFETIME_SECONDS
"""
import select
import socket
import sys
import time


def main() -> None:
    sdp_port, real_port, lifetime = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    socks = []
    for port in (sdp_port, real_port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        socks.append(s)
    real = socks[1]
    deadline = time.monotonic() + lifetime
    counts = {sdp_port: 0, real_port: 0}
    while time.monotonic() < deadline:
        ready, _, _ = select.select(socks, [], [], 0.2)
        for s in ready:
            data, sender = s.recvfrom(2048)
            counts[s.getsockname()[1]] += 1
            real.sendto(data, sender)
    print(f"received at sdp port {counts[sdp_port]}, at real port {counts[real_port]}", flush=True)


if __name__ == "__main__":
    main()
