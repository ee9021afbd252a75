#!/bin/sh
# Runs the browser suite (node --test) inside a network namespace of its own
# that has only `lo`: Prosody, the browsers and every media packet stay on
# that loopback and never touch another address. The namespace disappears
# with the process. Needs root (CI runs as root) or passwordless sudo.
# Usage: test/run.sh [TEST_FILES...]  (default: every test/*.test.mjs)
set -eu
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then set -- test/*.test.mjs; fi
# Scratch of earlier runs (Prosody dirs with a copy of the page, WAVs).
rm -rf ../build/web-tests
inner='ip link set lo up && exec node --test --test-concurrency=1 --test-reporter=tap "$@"'
if [ "$(id -u)" -eq 0 ]; then
	exec unshare --net -- sh -c "$inner" sh "$@"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	exec sudo -n unshare --net -- sh -c "$inner" sh "$@"
else
	echo "web tests: need root (or passwordless sudo) to create a network namespace" >&2
	echo "# pass 0"
	echo "# fail 1"
	exit 1
fi
