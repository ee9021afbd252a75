#!/bin/sh
# Installs the Debian packages listed in deps/*-packages.txt (runtime, build,
# test) that are not installed yet. Runs apt-get only when something is missing, so a machine
# that has everything is checked in about a second and never touches apt.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
wanted=$(cat "$here"/deps/runtime-packages.txt "$here"/deps/build-packages.txt \
	"$here"/deps/test-packages.txt | sed -e 's/#.*//' -e '/^[[:space:]]*$/d')
# Node.js and npm drive the browser tests; some images ship a Node.js that is
# not Debian's, and Debian's npm conflicts with it: add them only if absent.
if ! command -v node >/dev/null 2>&1; then
	wanted="$wanted nodejs npm"
fi

missing=""
for pkg in $wanted; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all $(echo $wanted | wc -w) Debian packages present"
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: missing packages and not root; run: apt-get install$missing" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
