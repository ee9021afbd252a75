#!/bin/sh
# `make run`: a local demo. Starts Prosody (Debian's package, as a plain
# process with a generated config under build/run/, never /etc/prosody) with
# mod_jingle_sip on phone.localhost and two demo users, serves the web
# softphone (web/dist, built by `make web`), prints how to connect, and stops
# everything it started on Ctrl-C.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
dir="$repo/build/run"
c2s_port=${DEMO_C2S_PORT:-5222}
http_port=${DEMO_HTTP_PORT:-5280}

rm -rf "$dir"
mkdir -p "$dir"
sh "$repo/scripts/prosody-config.sh" "$dir" "$c2s_port" "$http_port"

as_prosody() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u prosody -- "$@"; else "$@"; fi
}

as_prosody prosodyctl --config "$dir/prosody.cfg.lua" register alice localhost alice >/dev/null
as_prosody prosodyctl --config "$dir/prosody.cfg.lua" register bob localhost bob >/dev/null

CALLRELAY_LIBDIR="$repo/build/lib"
export CALLRELAY_LIBDIR
as_prosody prosody --config "$dir/prosody.cfg.lua" >"$dir/stdout.log" 2>&1 &
prosody_pid=$!

stop() {
	trap - INT TERM EXIT
	echo
	echo "Stopping Prosody..."
	kill "$prosody_pid" 2>/dev/null || true
	wait "$prosody_pid" 2>/dev/null || true
	echo "Stopped."
}
trap stop INT TERM EXIT

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

if [ -f "$dir/www/index.html" ]; then
	softphone_url="http://127.0.0.1:$http_port/softphone/?jid=alice@localhost"
else
	softphone_url="(not built: run make web)"
fi

cat <<MSG

jingle-sip demo is running.
  XMPP server:  localhost, client port 127.0.0.1:$c2s_port (plain TCP, PLAIN auth allowed: demo only)
  WebSocket:    ws://127.0.0.1:$http_port/xmpp-websocket
  Softphone:    $softphone_url
                (sign in as alice or bob; ?domain=... selects another gateway domain)
  Users:        alice@localhost (password alice), bob@localhost (password bob)
  Phone gateway component: phone.localhost (phone numbers are +E164@phone.localhost)
  Log:          $dir/prosody.log
  $(grep -o "mod_jingle_sip .* loaded.*" "$dir/prosody.log" | head -1)

Connect an XMPP client (e.g. Gajim, Dino) as alice@localhost to 127.0.0.1:$c2s_port.
Press Ctrl-C to stop.
MSG
wait "$prosody_pid"
