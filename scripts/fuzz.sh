#!/bin/sh
# Runs every fuzz target for FUZZ_SECONDS (default 60) each, one after the
# other (the machine's cores are shared), and writes one line per target to
# $BUILD/fuzz/results.txt:
#   NAME execs=N seconds=S crashes=N leaks=N ooms=N timeouts=N result=ok|FAILED
# Exits non-zero when any target found something or did not run.
#
# Usage: sh scripts/fuzz.sh build/fuzz/bin/fuzz_NAME...   (make fuzz passes them)
# Each libFuzzer target starts from its committed seeds relay/fuzz/corpus/NAME/
# (copied to $BUILD/fuzz/corpus/NAME/, which keeps what it learns between
# runs) and saves what it finds under $BUILD/fuzz/crashes/NAME/. The Jingle
# parser fuzzer (scripts/fuzz-jingle.lua) runs last, from spec/fixtures/jingle.
#
# Bounds: a target is one process tree under RLIMIT_AS. ASan reserves ~20 TiB
# of address space for its shadow at start, so the limit is that plus
# FUZZ_AS_MB (default 1024) for the target itself; libFuzzer's own
# -rss_limit_mb and -malloc_limit_mb (FUZZ_MEM_MB, default 1024) make any
# larger resident set or single allocation an "oom" finding. The Lua fuzzer
# has no ASan and runs under RLIMIT_AS = FUZZ_AS_MB. An input running
# longer than FUZZ_INPUT_TIMEOUT seconds (default 10) is a "timeout".
# libFuzzer runs in fork mode so a finding is counted and the run goes on
# (its last job may run past FUZZ_SECONDS, by at most 300 s: the outer
# timeout allows for that).
set -u
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SECONDS_EACH=${FUZZ_SECONDS:-60}
AS_MB=${FUZZ_AS_MB:-1024}
MEM_MB=${FUZZ_MEM_MB:-1024}
INPUT_TIMEOUT=${FUZZ_INPUT_TIMEOUT:-10}
ASAN_SHADOW_KB=21474836480 # 20 TiB, measured: less and ASan cannot start

out=$BUILD/fuzz
results=$out/results.txt
mkdir -p "$out/logs"
: >"$results"
status=0

# count DIR PREFIX: files named PREFIX-* in DIR
count() { find "$1" -maxdepth 1 -name "$2-*" 2>/dev/null | wc -l; }

# report NAME EXECS CRASHES LEAKS OOMS TIMEOUTS RAN
report() {
	result=ok
	if [ "$7" -ne 1 ] || [ "$3" -ne 0 ] || [ "$4" -ne 0 ] || [ "$5" -ne 0 ] || [ "$6" -ne 0 ]; then
		result=FAILED
		status=1
	fi
	line="$1 execs=$2 seconds=$SECONDS_EACH crashes=$3 leaks=$4 ooms=$5 timeouts=$6 result=$result"
	echo "$line" >>"$results"
	echo "$line"
}

for bin in "$@"; do
	name=$(basename "$bin")
	seeds=relay/fuzz/corpus/$name
	# A target's seeds may also be filed without the fuzz_ prefix.
	[ -d "$seeds" ] || seeds=relay/fuzz/corpus/${name#fuzz_}
	corpus=$out/corpus/$name
	crashes=$out/crashes/$name
	log=$out/logs/$name.log
	mkdir -p "$corpus" "$crashes"
	if [ -d "$seeds" ]; then
		cp -p "$seeds"/* "$corpus"/ 2>/dev/null
	else
		echo "fuzz: $name has no seed corpus under relay/fuzz/corpus/$name/" >&2
	fi
	# The largest input a target wants: "fuzz-max-len: N" in its source.
	max_len=$(sed -n 's/.*fuzz-max-len: *\([0-9][0-9]*\).*/\1/p' "relay/fuzz/$name.c" | head -1)
	before_crash=$(count "$crashes" crash)
	before_leak=$(count "$crashes" leak)
	before_oom=$(count "$crashes" oom)
	before_timeout=$(count "$crashes" timeout)
	echo "==> $name (${SECONDS_EACH}s)"
	(
		ulimit -v $((ASAN_SHADOW_KB + AS_MB * 1024))
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions=relay/tests/lsan.supp:print_suppressions=0 \
		timeout $((SECONDS_EACH + 420)) "$bin" -fork=1 -ignore_crashes=1 -ignore_ooms=1 \
			-ignore_timeouts=1 -max_total_time="$SECONDS_EACH" \
			-rss_limit_mb="$MEM_MB" -malloc_limit_mb="$MEM_MB" -timeout="$INPUT_TIMEOUT" \
			-max_len="${max_len:-4096}" -artifact_prefix="$crashes/" "$corpus"
	) >"$log" 2>&1
	rc=$?
	# Fork mode's progress lines: "#EXECS: cov: ... oom/timeout/crash: O/T/C ..."
	execs=$(sed -n 's/^#\([0-9][0-9]*\): cov:.*/\1/p' "$log" | tail -1)
	ran=1
	# 0 = clean, 71 (libFuzzer's "found something" in fork mode) is counted
	# from the artifacts; anything else (no start, killed) fails the target.
	if [ -z "$execs" ] || { [ $rc -ne 0 ] && [ $rc -ne 71 ]; }; then
		ran=0
		tail -20 "$log" >&2
	fi
	report "$name" "${execs:-0}" \
		$(($(count "$crashes" crash) - before_crash)) \
		$(($(count "$crashes" leak) - before_leak)) \
		$(($(count "$crashes" oom) - before_oom)) \
		$(($(count "$crashes" timeout) - before_timeout)) "$ran"
done

# The Jingle/JMI parsers (Lua 5.4, Prosody's util.stanza); FUZZ_JINGLE=0
# leaves them out (to run one C target alone).
if [ "${FUZZ_JINGLE:-1}" = 0 ]; then
	echo "fuzz: results in $results"
	exit $status
fi
name=fuzz_jingle
crashes=$out/crashes/$name
log=$out/logs/$name.log
mkdir -p "$crashes"
echo "==> $name (${SECONDS_EACH}s)"
(
	ulimit -v $((AS_MB * 1024))
	timeout $((SECONDS_EACH + 60)) lua5.4 scripts/fuzz-jingle.lua --seconds "$SECONDS_EACH" \
		--corpus spec/fixtures/jingle --crashes "$crashes" ${FUZZ_SEED:+--seed "$FUZZ_SEED"}
) >"$log" 2>&1
rc=$?
# Its last line: "execs=N errors=N ooms=N"
execs=$(sed -n 's/^execs=\([0-9]*\) .*/\1/p' "$log" | tail -1)
errors=$(sed -n 's/^execs=[0-9]* errors=\([0-9]*\).*/\1/p' "$log" | tail -1)
ooms=$(sed -n 's/.* ooms=\([0-9]*\).*/\1/p' "$log" | tail -1)
ran=1
if [ -z "$execs" ] || [ $rc -gt 1 ]; then
	ran=0
	tail -20 "$log" >&2
fi
report "$name" "${execs:-0}" "${errors:-0}" 0 "${ooms:-0}" 0 "$ran"

echo "fuzz: results in $results"
exit $status
