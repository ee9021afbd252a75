#!/bin/sh
# Prints an nftables ruleset that lets only the trunk's addresses reach the
# gateway's SIP port (UDP and TCP): the kernel drops everything else before
# Sofia-SIP reads a byte. The relay filters its UDP SIP socket itself
# (jingle_sip_trunk_source_filter), but the kernel refuses a socket filter
# on TCP sockets to an unprivileged process such as Prosody, so TCP needs
# this (README: "Running it on a public address").
#
# Usage: scripts/sip-firewall.sh PORT SOURCE...   (SOURCE: IPv4/IPv6 address or CIDR)
#   scripts/sip-firewall.sh 5060 192.0.2.10 198.51.100.0/24 2001:db8::/32 | nft -f -
# Re-running replaces the table (it is deleted first).
set -eu
if [ $# -lt 2 ]; then
	echo "usage: $0 PORT SOURCE..." >&2
	exit 2
fi
port=$1
shift
case $port in
'' | *[!0-9]*) echo "sip-firewall: port must be a number: $port" >&2; exit 2 ;;
esac
v4="" v6=""
for src in "$@"; do
	case $src in
	*[!0-9a-fA-F:./]* | '') kind=bad ;;
	*:*) kind=6 ;;
	*[!0-9./]*) kind=bad ;;
	*.*.*.*) kind=4 ;;
	*) kind=bad ;;
	esac
	case $kind in
	4) v4="${v4:+$v4, }$src" ;;
	6) v6="${v6:+$v6, }$src" ;;
	*) echo "sip-firewall: not an IP address or CIDR: $src" >&2; exit 2 ;;
	esac
done
echo "table inet jingle_sip"
echo "delete table inet jingle_sip"
echo "table inet jingle_sip {"
for family in 4 6; do
	if [ $family = 4 ]; then list=$v4 type=ipv4_addr; else list=$v6 type=ipv6_addr; fi
	echo "	set trunk$family {"
	echo "		type $type"
	echo "		flags interval"
	if [ -n "$list" ]; then echo "		elements = { $list }"; fi
	echo "	}"
done
echo "	chain input {"
echo "		type filter hook input priority -10; policy accept;"
echo "		meta l4proto { tcp, udp } th dport $port ip saddr != @trunk4 counter drop"
echo "		meta l4proto { tcp, udp } th dport $port ip6 saddr != @trunk6 counter drop"
echo "	}"
echo "}"
