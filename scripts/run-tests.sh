#!/bin/sh
# Runs every suite that `make test` names, prints each runner's own summary,
# and ends with one line "N passed, N failed" summing them all. Exits non-zero
# if anything failed, including the build and lint steps.
set -u
cd "$(dirname "$0")/.."

# The specs run Prosody as the prosody user (it refuses root), and it loads
# the module from this checkout. A checkout under a private directory (e.g.
# /root) is not reachable for that user: give "search" (x, not read) on the
# ancestors that lack it, and say so.
if [ "$(id -u)" -eq 0 ] && id prosody >/dev/null 2>&1 \
	&& ! runuser -u prosody -- test -r "$(pwd)/plugin/mod_jingle_sip.lua"; then
	d=$(pwd)
	while [ "$d" != "/" ]; do
		if ! runuser -u prosody -- test -x "$d"; then
			echo "test: letting the prosody user traverse $d (chmod o+x) to load the module"
			chmod o+x "$d"
		fi
		d=$(dirname "$d")
	done
fi

out=build/test-results
rm -rf "$out"
mkdir -p "$out"

passed=0
failed=0
skipped=0

add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + ${3:-0})); }

# step NAME COMMAND...: a build or lint step counts as one check.
step() {
	name=$1
	shift
	echo "==> $name"
	if "$@" >"$out/$name.log" 2>&1; then
		echo "$name: ok"
		add 1 0
	else
		cat "$out/$name.log"
		echo "$name: FAILED"
		add 0 1
		return 1
	fi
}

# busted_summary NAME LOG: adds busted's summary line in LOG.
busted_summary() {
	line=$(grep -E '^[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' "$2" | tail -1)
	if [ -z "$line" ]; then
		echo "$1: no busted summary (crashed or timed out)"
		add 0 1
		return
	fi
	set -- $line
	# "S successes / F failures / E errors / P pending : T seconds"
	add "$1" "$(($4 + $7))" "${10}"
}

# busted_suite NAME LUA [ARGS...]: runs busted, shows and counts its output.
busted_suite() {
	name=$1 lua=$2
	shift 2
	echo "==> $name"
	timeout 1200 busted --lua="$lua" "$@" 2>&1 | tee "$out/$name.log"
	busted_summary "$name" "$out/$name.log"
}

build_ok=1
web_ok=1
step build make -s all build/bench/bench_lifecycle build/bench/bench_answer \
	build/bench/bench_ramp build/bench/bench_srtp build/bench/bench_memory \
	build/bench/bench_udp_floor || build_ok=0
step web-build make -s web || web_ok=0
step build-c-tests make -s build/asan/test_relay || build_ok=0
step lint make -s lint || true

# c_summary LOG: adds the C runner's summary of LOG; a missing summary or a
# sanitizer report after it fails the suite.
c_summary() {
	clog=$1
	line=$(grep -E '^relay C tests: [0-9]+ passed, [0-9]+ failed' "$clog" | tail -1)
	if [ -n "$line" ]; then
		set -- $line
		add "$4" "$6"
		if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$clog"; then
			echo "relay C tests: sanitizer report in $clog"
			add 0 1
		fi
	else
		echo "relay C tests: no summary in $clog (crashed or timed out)"
		add 0 1
	fi
}

# The C tests that spend minutes waiting (a call ringing 45 s and 90 s, a
# late answer, a session timer's refresh), not working.
C_WAITING=test_media_ringing_90s,test_media_ringing_45s,test_media_ringing_late_answer,test_sip_session_timer_we_refresh
# The two spec files that take half of the specs' time.
SPECS_LONG="spec/e2e/gateway_calls_spec.lua spec/e2e/transcode_calls_spec.lua"
# Two SIP retransmission tests drop one datagram with an nftables table of
# the host's (`cr_test_PORT`, relay/tests/sip_helpers.c) and delete it when
# they end; a run killed in between leaves it behind, a filter chain that
# every datagram on the host then passes through. Remove any left over.
remove_stale_test_tables() {
	command -v nft >/dev/null 2>&1 || return 0
	for t in $(nft list tables 2>/dev/null | awk '$2 == "inet" && $3 ~ /^cr_test_[0-9]+$/ {print $3}'); do
		echo "test: removing nftables table inet $t left by an interrupted test run"
		nft delete table inet "$t"
	done
}

# The relay's C tests and the Lua 5.4 specs mostly wait (calls ringing,
# audio flowing in real time, timers running out): on a 2-core machine the
# C tests used 38 s of CPU in 6.4 minutes and the spec file with the most,
# transcode_calls_spec, 29 s in 2.2 minutes. So four runs go side by side:
# the C tests, the C tests that mostly wait, the two longest spec files, the
# other specs; the suite takes about the longest of them instead of their
# sum. Each gets a block of its own of the test ports
# (JINGLE_SIP_TEST_PORTS, read by relay/tests/sip_helpers.c,
# spec/helpers/prosody.lua and spec/helpers/webrtc_peer.py), so that two
# never find the same port free at the same moment. Their output is shown
# after they all end, one after the other.
if [ $build_ok -eq 1 ]; then
	remove_stale_test_tables
	echo "==> relay C tests (ASan + UBSan) and Lua 5.4 specs, side by side"
	JINGLE_SIP_TEST_PORTS=10000-11499 timeout 1200 make -s test-c T="!$C_WAITING" \
		>"$out/c-tests.log" 2>&1 &
	c_main=$!
	JINGLE_SIP_TEST_PORTS=11500-11999 timeout 1200 make -s test-c T="$C_WAITING" \
		>"$out/c-tests-waiting.log" 2>&1 &
	c_waiting=$!
	# shellcheck disable=SC2086 # a list of files
	JINGLE_SIP_TEST_PORTS=12000-14099 timeout 1200 busted --lua=lua5.4 $SPECS_LONG \
		>"$out/lua54-specs-long.log" 2>&1 &
	specs_long=$!
	# The others: every spec file but those (busted matches file names).
	exclude=
	for f in $SPECS_LONG; do
		exclude="$exclude --exclude-pattern=^$(basename "$f" .lua)%.lua\$"
	done
	# shellcheck disable=SC2086 # a list of options
	JINGLE_SIP_TEST_PORTS=14100-16299 timeout 1200 busted --lua=lua5.4 $exclude \
		>"$out/lua54-specs.log" 2>&1 &
	specs=$!
	wait $c_main $c_waiting $specs_long $specs
	echo "==> relay C tests (ASan + UBSan)"
	cat "$out/c-tests.log"
	echo "==> relay C tests that mostly wait"
	cat "$out/c-tests-waiting.log"
	c_summary "$out/c-tests.log"
	c_summary "$out/c-tests-waiting.log"
	echo "==> lua54-specs ($SPECS_LONG)"
	cat "$out/lua54-specs-long.log"
	busted_summary lua54-specs-long "$out/lua54-specs-long.log"
	echo "==> lua54-specs (the others)"
	cat "$out/lua54-specs.log"
	busted_summary lua54-specs "$out/lua54-specs.log"
	# Under LuaJIT: the API that must behave the same on both runtimes.
	# Everything else needs Prosody's Lua 5.4 C modules (util.stanza, ...).
	busted_suite luajit-specs luajit --exclude-tags=lua54 spec/ffi
fi

# Fuzz targets (relay/fuzz/, scripts/fuzz-jingle.lua) for a few seconds each
# from their committed corpora, so they keep building and running: one check
# per target, read from build/fuzz/results.txt.
if step fuzz-build make -s fuzz-build; then
	echo "==> fuzz targets (5 s each)"
	timeout 900 make -s fuzz FUZZ_SECONDS=5 >"$out/fuzz.log" 2>&1
	if [ -s build/fuzz/results.txt ]; then
		cat build/fuzz/results.txt
		fpass=$(grep -c ' result=ok$' build/fuzz/results.txt)
		ffail=$(grep -vc ' result=ok$' build/fuzz/results.txt)
		add "$fpass" "$ffail"
	else
		cat "$out/fuzz.log"
		echo "fuzz targets: no results (crashed or timed out)"
		add 0 1
	fi
fi

# Browser suite (node --test, TAP): Chromium and Firefox against a real
# Prosody, inside a network namespace of its own (web/test/run.sh).
if [ $build_ok -eq 1 ] && [ $web_ok -eq 1 ]; then
	echo "==> web browser tests (Chromium + Firefox)"
	timeout 600 sh web/test/run.sh >"$out/web-tests.log" 2>&1
	rc=$?
	grep -E '^(not )?ok [0-9]+ |^# (tests|pass|fail|cancelled|skipped|todo) [0-9]+$|^# (browsers?|screenshot|chromium|firefox|alice|bob)[: ]' "$out/web-tests.log"
	wpass=$(grep -E '^# pass [0-9]+$' "$out/web-tests.log" | tail -1 | cut -d' ' -f3)
	wfail=$(grep -E '^# fail [0-9]+$' "$out/web-tests.log" | tail -1 | cut -d' ' -f3)
	wcancel=$(grep -E '^# cancelled [0-9]+$' "$out/web-tests.log" | tail -1 | cut -d' ' -f3)
	wskip=$(awk '/^# (skipped|todo) [0-9]+$/ { n += $3 } END { print n + 0 }' "$out/web-tests.log")
	if [ -z "$wpass" ] || [ -z "$wfail" ]; then
		cat "$out/web-tests.log"
		echo "web browser tests: no summary (crashed or timed out, exit $rc)"
		add 0 1
	else
		if [ "$wfail" -gt 0 ] || [ "${wcancel:-0}" -gt 0 ]; then
			# The failing tests' details, including the browser console.
			sed -n '/^not ok/,/^  \.\.\.$/p' "$out/web-tests.log"
			grep -E '^# (---- |\[)' "$out/web-tests.log" | head -200
		fi
		echo "web browser tests: $wpass passed, $wfail failed${wcancel:+, $wcancel cancelled}"
		add "$wpass" "$((wfail + ${wcancel:-0}))" "${wskip:-0}"
		if [ "$rc" -ne 0 ] && [ "$wfail" -eq 0 ] && [ "${wcancel:-0}" -eq 0 ]; then
			echo "web browser tests: runner exited $rc"
			add 0 1
		fi
	fi
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
