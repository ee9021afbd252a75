#!/usr/bin/python3
"""A DNS server for one test: answers the SRV records of XMPP server-to-server
links (_xmpp-server._tcp.DOMAIN -> TARGET:PORT) on 127.0.0.1, NXDOMAIN for
every other name, for at most LIFETIME_SECONDS. ejabberd looks its s2s peers
up through DNS (SRV first), and the test's servers listen on free ports, so
this is how it finds them without touching the machine's resolver.

Usage: srv_dns.py PORT LIFETIME_SECONDS DOMAIN=TARGET:PORT[:PRIORITY] ...
A domain given more than once gets one SRV record per argument, each with
its priority (default 0; lower is tried first, RFC 2782): the active/standby
records of one XMPP domain served by two nodes (docs/DEPLOY.md).
Prints "ready" once it listens.
"""
import socket
import sys
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def main() -> None:
    port, lifetime = int(sys.argv[1]), float(sys.argv[2])
    records = {}
    for arg in sys.argv[3:]:
        domain, target = arg.split("=", 1)
        parts = target.split(":")
        host, srv_port = parts[0], int(parts[1])
        priority = int(parts[2]) if len(parts) > 2 else 0
        name = "_xmpp-server._tcp.%s." % domain.lower()
        records.setdefault(name, []).append("%d 0 %d %s." % (priority, srv_port, host))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(0.2)
    print("ready", flush=True)
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline:
        try:
            data, sender = sock.recvfrom(4096)
        except socket.timeout:
            continue
        try:
            query = dns.message.from_wire(data)
        except Exception:  # malformed: drop it, as a resolver would
            continue
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0] if query.question else None
        name = question.name.to_text().lower() if question is not None else ""
        # (a question RRset holds no records, so it is falsy: test for None)
        if question is not None and name in records and question.rdtype == dns.rdatatype.SRV:
            response.answer.append(dns.rrset.from_text(name, 5, dns.rdataclass.IN, dns.rdatatype.SRV,
                                                       *records[name]))
        elif name not in records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        sock.sendto(response.to_wire(), sender)


if __name__ == "__main__":
    main()
