#!/bin/sh
# `make lint`: the repository stands alone. Comments and docs may cite only
# documents inside it. Fails, naming file and line, on
#   - a path out of the repository into a shared guide ("../shared"),
#   - the guide's fact sheet by name (FACTS + ".md"),
#   - an interop item cited without its document ("INTEROP 5",
#     "INTEROP item 4", "INTEROP.md item 12" instead of docs/INTEROP.md#5),
#   - a docs/<name>.md#<anchor> citation whose anchor that file lacks.
# Checks the files git tracks (so build output and node_modules are not
# read), or outside git every file but those; this script itself spells the
# patterns and is skipped.
set -eu
cd "$(dirname "$0")/.."
self=scripts/check-doc-refs.sh

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files | grep -v -x -e "$self" || true)
else
	# An unpacked release tarball: every file but build output.
	files=$(find . -type f ! -path './build/*' ! -path '*/node_modules/*' ! -path './web/dist/*' \
		! -path './.git/*' | sed 's,^\./,,' | grep -v -x -e "$self" || true)
fi
status=0
fail() {
	echo "$1" >&2
	status=1
}

# Patterns are split so that no line of this file matches itself.
shared='\.\./''shared'
facts='FACTS''\.md'

hits=$(echo "$files" | tr '\n' '\0' | xargs -0 grep -I -n -E -e "$shared" -e "$facts" -- 2>/dev/null || true)
if [ -n "$hits" ]; then
	fail "$(echo "$hits" | sed 's/$/   <- cites a document outside the repository (use docs\/)/')"
fi

# Every INTEROP on a line must be part of docs/INTEROP.md.
hits=$(echo "$files" | tr '\n' '\0' | xargs -0 grep -I -n -E 'INTEROP' -- 2>/dev/null |
	awk '{ line = $0; sub(/^[^:]*:[0-9]+:/, "", line); gsub(/docs\/INTEROP\.md/, "", line);
		if (line ~ /INTEROP/) print $0 }' || true)
if [ -n "$hits" ]; then
	fail "$(echo "$hits" | sed 's/$/   <- cite interop items as docs\/INTEROP.md#N/')"
fi

# Anchors: docs/X.md#a must name an id="a" (or a heading) that docs/X.md has.
refs=$(echo "$files" | tr '\n' '\0' | xargs -0 grep -I -n -o -E 'docs/[A-Z]+\.md#[A-Za-z0-9_-]+' -- 2>/dev/null || true)
for ref in $refs; do
	where=${ref%:docs/*}
	target=${ref#"$where":}
	doc=${target%%#*}
	anchor=${target#*#}
	if [ ! -f "$doc" ]; then
		fail "$where: $target   <- $doc does not exist"
	elif ! grep -q -F "id=\"$anchor\"" "$doc"; then
		fail "$where: $target   <- $doc has no anchor $anchor"
	fi
done

if [ "$status" -eq 0 ]; then
	echo "check-doc-refs: every citation points into the repository"
fi
exit "$status"
