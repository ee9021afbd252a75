#!/bin/sh
# `make run`: a local demo. Starts Prosody (Debian's package, as a plain
# process with a generated config under build/run/, never /etc/prosody) with
# mod_jingle_sip on phone.localhost and two demo users, serves the web
# softphone (web/dist, built by `make web`), and a local "PSTN": sipp's
# built-in UAS on loopback, which answers every call and echoes the caller's
# audio, configured as the gateway's trunk. Prints how to connect; on Ctrl-C
# (or SIGTERM) stops everything it started and exits 0: a requested stop is
# not a failure. Everything it starts listens on 127.0.0.1 only.
#
# Environment (all optional):
#   DEMO_C2S_PORT (5222), DEMO_HTTP_PORT (5280), DEMO_SIP_PORT (5060: the
#   gateway's SIP port), DEMO_PSTN_PORT (5070: the local PSTN's SIP port),
#   DEMO_PSTN_MEDIA_PORT (6000: its RTP echo, also uses the port + 2),
#   DEMO_PSTN_CONTROL_PORT (its sipp control socket; unset: sipp takes the
#   first free one from 8888 up),
#   DEMO_CALLER_PORT (5090), DEMO_CALLER_MEDIA_PORT (6010) and
#   DEMO_CALLER_CONTROL_PORT (unset: from 8888 up): the ports of the
#   printed sipp command that calls in,
#   DEMO_MEDIA_ADDRESS (127.0.0.1: the address the relay offers browsers;
#   set your LAN address when your browser cannot use loopback),
#   DEMO_DIR (build/run).
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${DEMO_DIR:-"$repo/build/run"}
c2s_port=${DEMO_C2S_PORT:-5222}
http_port=${DEMO_HTTP_PORT:-5280}
sip_port=${DEMO_SIP_PORT:-5060}
pstn_port=${DEMO_PSTN_PORT:-5070}
pstn_media_port=${DEMO_PSTN_MEDIA_PORT:-6000}
caller_port=${DEMO_CALLER_PORT:-5090}
caller_media_port=${DEMO_CALLER_MEDIA_PORT:-6010}
# sipp's control socket: on loopback (-ci), at the port given or, without
# -cp, the first free one from 8888 up (an explicit port that is taken
# makes sipp exit).
pstn_control="-ci 127.0.0.1${DEMO_PSTN_CONTROL_PORT:+ -cp $DEMO_PSTN_CONTROL_PORT}"
caller_control="-ci 127.0.0.1${DEMO_CALLER_CONTROL_PORT:+ -cp $DEMO_CALLER_CONTROL_PORT}"
media_address=${DEMO_MEDIA_ADDRESS:-127.0.0.1}
echo_number="+15550100"
alice_did="+15550001"
bob_did="+15550002"

for tool in prosody sipp; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool is missing: run make deps (make run does)" >&2
		exit 1
	fi
done

rm -rf "$dir"
mkdir -p "$dir"
# Absolute: the printed commands must work from any directory.
dir=$(cd "$dir" && pwd)
cat > "$dir/gateway.cfg.lua" <<CFG
-- The local PSTN (sipp, started by scripts/run-demo.sh) is the trunk.
jingle_sip_trunk = "sip:127.0.0.1:$pstn_port"
jingle_sip_listen = "127.0.0.1:$sip_port"
jingle_sip_rtp_address = "127.0.0.1"
-- The address browsers and XMPP clients send media to (DEMO_MEDIA_ADDRESS).
jingle_sip_media_address = "$media_address"
-- Demo numbers only: +1555...
jingle_sip_dialplan = { "^%+1555" }
-- sipp's built-in UAS expects INVITEs only: no OPTIONS health checks.
jingle_sip_trunk_check_interval = 0
jingle_sip_numbers = { ["$alice_did"] = "alice@localhost", ["$bob_did"] = "bob@localhost" }
CFG
sh "$repo/scripts/prosody-config.sh" "$dir" "$c2s_port" "$http_port" "$dir/gateway.cfg.lua"

as_prosody() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u prosody -- "$@"; else "$@"; fi
}

as_prosody prosodyctl --config "$dir/prosody.cfg.lua" register alice localhost alice >/dev/null
as_prosody prosodyctl --config "$dir/prosody.cfg.lua" register bob localhost bob >/dev/null

prosody_pid="" pstn_pid=""
stop() {
	trap - INT TERM EXIT
	echo
	echo "Stopping..."
	[ -n "$pstn_pid" ] && kill "$pstn_pid" 2>/dev/null || true
	[ -n "$prosody_pid" ] && kill "$prosody_pid" 2>/dev/null || true
	# runuser passes SIGTERM on to Prosody; make sure it went.
	pid=$(cat "$dir/prosody.pid" 2>/dev/null || true)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	[ -n "$pstn_pid" ] && wait "$pstn_pid" 2>/dev/null || true
	[ -n "$prosody_pid" ] && wait "$prosody_pid" 2>/dev/null || true
	echo "Stopped."
}
trap stop EXIT
# Ctrl-C or SIGTERM is how the demo is meant to end: clean up (EXIT) and
# report success, so `make run` does not end in "Error 143".
trap 'exit 0' INT TERM

# The local PSTN: answers every call (any number the dial plan lets
# through) and echoes the caller's RTP, so a caller hears themselves.
mkdir -p "$dir/pstn"
# $pstn_control: sipp's control socket listens on 0.0.0.0 unless told.
sipp -sn uas -i 127.0.0.1 -p "$pstn_port" -mi 127.0.0.1 -mp "$pstn_media_port" -rtp_echo \
	$pstn_control -nostdin \
	-trace_err -error_file "$dir/pstn/errors.log" >/dev/null 2>&1 &
pstn_pid=$!

CALLRELAY_LIBDIR="$repo/build/lib"
export CALLRELAY_LIBDIR
as_prosody prosody --config "$dir/prosody.cfg.lua" >"$dir/stdout.log" 2>&1 &
prosody_pid=$!

i=0
until grep -q "mod_jingle_sip .* loaded" "$dir/prosody.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$prosody_pid" 2>/dev/null; then
		echo "Prosody did not load mod_jingle_sip; its log:" >&2
		cat "$dir/prosody.log" "$dir/stdout.log" >&2
		exit 1
	fi
	sleep 0.1
done
if ! kill -0 "$pstn_pid" 2>/dev/null; then
	echo "the local PSTN (sipp on 127.0.0.1:$pstn_port) did not start:" >&2
	cat "$dir/pstn/errors.log" >&2 2>/dev/null || true
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	admin_shell="runuser -u prosody -- prosodyctl --config $dir/prosody.cfg.lua shell"
else
	admin_shell="prosodyctl --config $dir/prosody.cfg.lua shell"
fi

if [ -f "$dir/www/index.html" ]; then
	softphone_url="http://127.0.0.1:$http_port/softphone/?jid=alice@localhost"
else
	softphone_url="(not built: run make web)"
fi

cat <<MSG

jingle-sip demo is running.
  Softphone:    $softphone_url
                sign in (password = user name), dial $echo_number: the local PSTN
                answers and echoes you, so you hear yourself.
  Users:        alice@localhost (password alice), number $alice_did
                bob@localhost   (password bob),   number $bob_did
  Numbers:      $echo_number, or any +1555... number: answered by the local PSTN (echo)
  Inbound:      sipp -sf $repo/relay/tests/sipp/uac_call.xml 127.0.0.1:$sip_port -s $alice_did -i 127.0.0.1 -p $caller_port -mi 127.0.0.1 -mp $caller_media_port $caller_control -rtp_echo -m 1
                rings alice's pages (4 s call, her audio echoed back)
  XMPP:         localhost, client port 127.0.0.1:$c2s_port (plain TCP, PLAIN auth allowed: demo only),
                WebSocket ws://127.0.0.1:$http_port/xmpp-websocket
  Gateway:      phone.localhost (+E164@phone.localhost), SIP 127.0.0.1:$sip_port,
                trunk = local PSTN sip:127.0.0.1:$pstn_port, media offered on $media_address
  Admin shell:  $admin_shell
                e.g. $admin_shell 'jingle_sip:status()'
  Log:          $dir/prosody.log
  $(grep -o "mod_jingle_sip .* loaded.*" "$dir/prosody.log" | head -1)

A browser on this machine must be allowed loopback media (media offered on
$media_address); see README "Try it" (or DEMO_MEDIA_ADDRESS=<your LAN address>).
Press Ctrl-C to stop.
MSG
wait "$prosody_pid"
