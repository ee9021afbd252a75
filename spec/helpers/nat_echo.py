#!/usr/bin/python3
"""A phone's media behind a NAT, for the symmetric RTP specs: RTP that
arrives at the port its SDP names (SDP_PORT) or at its real port
(REAL_PORT) is echoed back to the sender, always from REAL_PORT, as a NAT
rewrites the source port of everything a phone sends. A gateway that keeps
sending to SDP_PORT still reaches it; only one that latches onto REAL_PORT
accepts the echo.

Usage: nat_echo.py READY_FILE LIFETIME_SECONDS
Binds both ports itself (no race with other tests for a "free" port) and
writes "SDP_PORT REAL_PORT" to READY_FILE once it listens.
"""
import os
import select
import socket
import sys
import time


def main() -> None:
    ready_file, lifetime = sys.argv[1], float(sys.argv[2])
    socks = []
    for _ in range(2):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    sdp_port, real_port = socks[0].getsockname()[1], socks[1].getsockname()[1]
    real = socks[1]
    with open(ready_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(f"{sdp_port} {real_port}\n")
    os.rename(ready_file + ".tmp", ready_file)
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
