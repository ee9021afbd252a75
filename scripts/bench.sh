#!/bin/sh
# `make bench`: runs the benchmarks and writes their figures, with the
# machine's, to build/bench/results.txt. Figures from shared machines are
# noisy: compare ratios taken in one run, never absolute numbers across runs.
set -eu
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
results="$out/results.txt"
{
	echo "# jingle-sip benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
	echo "# memory: $(awk '/MemTotal/ {print int($2/1024) " MiB"}' /proc/meminfo)"
	echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	"$out/bench_lifecycle"
	# Calls per core with audio flowing both ways: passthrough, then
	# transcoded (Opus <-> PCMU), each on one worker.
	"$out/bench_media" "${BENCH_PASSTHROUGH_CALLS:-40}" "${BENCH_TRANSCODED_CALLS:-20}" 5
	# The trunk's 200 OK to the first audio each way, outbound calls through
	# the relay to sipp (docs/PERFORMANCE.md): median and p95 per stage over
	# N calls for each kind of client ICE.
	"$out/bench_answer" "${BENCH_ANSWER_CALLS:-20}" "${BENCH_ANSWER_RING_MS:-500}"
	# SRTP cost per packet against live sessions, Debian's NSS crypto and
	# ours over OpenSSL (relay/src/media/srtp_ossl.c), 1 to 2,000 pairs.
	"$out/bench_srtp" "${BENCH_SRTP_PACKETS:-40000}"
	# The relay's RSS per call, audio flowing, peers in a forked child.
	"$out/bench_memory" "${BENCH_MEMORY_CALLS:-200}"
} | tee "$results"
echo "bench: results in $results"
