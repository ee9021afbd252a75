#!/bin/sh
# `make bench`: runs the benchmarks and writes their figures, with the
# machine's, to build/bench/results.txt, which ends with one `summary:` line
# (docs/PERFORMANCE.md). Figures from shared machines are noisy: compare
# ratios taken in one run, never absolute numbers across runs.
# BENCH_QUICK=1: a smaller ramp and fewer calls elsewhere (under 5 minutes).
set -eu
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
results="$out/results.txt"
if [ -n "${BENCH_QUICK:-}" ]; then
	ramp_calls=${BENCH_RAMP_CALLS:-100,300}
	ramp_seconds=${BENCH_RAMP_SECONDS:-3}
	transcoded=${BENCH_TRANSCODED_CALLS:-10,20}
	answer=${BENCH_ANSWER_CALLS:-5}
	srtp_packets=${BENCH_SRTP_PACKETS:-5000}
	memory_calls=${BENCH_MEMORY_CALLS:-50}
else
	ramp_calls=${BENCH_RAMP_CALLS:-100,500,1000,2000}
	ramp_seconds=${BENCH_RAMP_SECONDS:-5}
	transcoded=${BENCH_TRANSCODED_CALLS:-20,50}
	answer=${BENCH_ANSWER_CALLS:-20}
	srtp_packets=${BENCH_SRTP_PACKETS:-40000}
	memory_calls=${BENCH_MEMORY_CALLS:-200}
fi
load() { cut -d' ' -f1-3 /proc/loadavg; }
{
	echo "# jingle-sip benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)${BENCH_QUICK:+ (BENCH_QUICK)}"
	echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
	echo "# kernel: $(uname -sr)"
	echo "# memory: $(awk '/MemTotal/ {print int($2/1024) " MiB"}' /proc/meminfo)"
	echo "# load before: $(load)"
	# Every datagram on loopback passes the host's netfilter chains, so a
	# ruleset (an operator's firewall, a table a killed test left) costs
	# every system measured here: say what was there.
	if command -v nft >/dev/null 2>&1; then
		echo "# nftables: $(nft list ruleset 2>/dev/null | grep -c 'hook ') base chains in the host's ruleset"
	fi
	"$out/bench_lifecycle"
	# The kernel's own share of a forwarded packet (one datagram read, one
	# sent, loopback, nothing in user space) and the calls per core it
	# leaves at most (relay/bench/bench_udp_floor.c).
	"$out/bench_udp_floor" "${BENCH_UDP_FLOOR_CALLS:-100,300,1000,2000}" 40
	# The media ramp: N calls through the relay, then the bare
	# recv->libsrtp2->send loop, rtpengine and, on their own smaller ramp,
	# transcoded calls (Opus <-> PCMU), all from a load generator in its own
	# process (relay/bench/bench_ramp.c). Its summary line goes last.
	BENCH_RAMP_TRANSCODED="$transcoded" "$out/bench_ramp" "$ramp_calls" "$ramp_seconds" \
		"${BENCH_RAMP_SYSTEMS:-relay,bare,rtpengine,transcoded}" >"$out/ramp.txt"
	grep -v '^summary:' "$out/ramp.txt"
	echo "# load after the ramp: $(load)"
	# The trunk's 200 OK to the first audio each way, outbound calls through
	# the relay to sipp (docs/PERFORMANCE.md): median and p95 per stage over
	# N calls for each kind of client ICE, and the same calls through Janus's
	# SIP plugin in the same run, with the ratio.
	"$out/bench_answer" "$answer" "${BENCH_ANSWER_RING_MS:-500}"
	# SRTP cost per packet against live sessions, Debian's NSS crypto and
	# ours over OpenSSL (relay/src/media/srtp_ossl.c), 1 to 2,000 pairs.
	"$out/bench_srtp" "$srtp_packets"
	# The relay's RSS per call, audio flowing, peers in a forked child.
	"$out/bench_memory" "$memory_calls"
	echo "# load after: $(load)"
	grep '^summary:' "$out/ramp.txt" || echo "summary: none (bench_ramp failed)"
} | tee "$results"
echo "bench: results in $results"
