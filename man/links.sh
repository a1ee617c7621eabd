#!/usr/bin/env bash
# man/links.sh -- prints "LINK PAGE" for every function a page documents besides the one it
# is named after, taken from the NAME section of man/*.3.scd ("a, b, c - what they do").
# `make install` turns each into a man3/LINK.3 holding ".so man3/PAGE.3"; man/check.sh uses it.
set -euo pipefail
cd "$(dirname "$0")"
for src in *.3.scd; do
	page=${src%.scd}
	# The NAME paragraph, joined into one line, up to " - ".
	names=$(awk '/^# NAME/ { on = 1; next } on && /^#/ { exit } on { printf "%s ", $0 }' "$src" |
		sed 's/ - .*//; s/,/ /g')
	for n in $names; do
		[ "$n.3" = "$page" ] || echo "$n.3 $page"
	done
done
