#!/usr/bin/env bash
# man/check.sh -- checks the man pages: every function in libpmem.map has a page (its own or a
# .so link), every page renders without a warning from man(1) or groff, the installed pages
# (make install-man into a scratch DESTDIR) open by function name, and, when scdoc is there,
# the checked-in roff is current with man/*.scd: the page the local scdoc makes from it renders
# to the same text and markup. Renderings are compared, not roff bytes, which differ between
# scdoc versions (its version is in a comment, its escaping changes) without changing a word.
# Ends with "N passed, N failed"; exits non-zero on any failure.
#
# Variables: SCDOC (scdoc), MAN_EPOCH (the pages' date; default: the Makefile's), MAKE (make).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SCDOC=${SCDOC:-scdoc}
MAKE=${MAKE:-make}
MAN_EPOCH=${MAN_EPOCH:-$(sed -n 's/^MAN_EPOCH *:= *//p' "$REPO/Makefile")}
PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
WORK=$(mktemp -d /tmp/pmem-man.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

for tool in man groff; do
	command -v $tool >/dev/null || { fail "$tool is not installed (apt package man-db / groff-base)"; echo "$PASS passed, $FAIL failed"; exit 1; }
done
echo "== man pages (man/*.scd -> man/*.[37])"

# A page as a reader gets it: the text, with bold and italics kept (as backspace overstrikes).
render() { MAN_KEEP_FORMATTING=1 MANWIDTH=80 man -l "$1" 2>&1; }

# The roff is checked in (a user's build needs no scdoc); it must say what its source says.
for src in "$HERE"/*.scd; do
	page=${src%.scd}
	name=$(basename "$page")
	if [ ! -s "$page" ]; then
		fail "$name: missing (run make man)"
	elif ! command -v "$SCDOC" >/dev/null; then
		:
	elif ! SOURCE_DATE_EPOCH=$MAN_EPOCH "$SCDOC" <"$src" >"$WORK/$name" 2>"$WORK/gen.err"; then
		fail "$SCDOC rejects $(basename "$src"): $(head -c 300 "$WORK/gen.err")"
	elif ! diff <(render "$page") <(render "$WORK/$name") >"$WORK/diff"; then
		fail "$name does not render as $(basename "$src") does: run 'make man'"
		head -n 12 "$WORK/diff" | cat -v | sed 's/^/     | /'
	else
		pass
	fi
done
command -v "$SCDOC" >/dev/null || echo "SKIP generated pages up to date: no $SCDOC"

# Every page renders cleanly.
for page in "$HERE"/*.3 "$HERE"/*.7; do
	name=$(basename "$page")
	w=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$WORK/out")
	g=$(groff -ww -man -z "$page" 2>&1)
	if [ -n "$w$g" ]; then fail "$(printf '%s' "$name: warnings: $w $g" | head -c 600)"
	elif ! grep -q '^NAME' "$WORK/out"; then fail "$name: renders without a NAME section"
	else pass; fi
done

# Every exported function has a page, installed and found by name.
syms=$(sed -n 's/^[[:space:]]*\(pmem_[a-z0-9_]*\);.*/\1/p' "$REPO/libpmem.map")
[ "$(echo "$syms" | wc -l)" -ge 26 ] || fail "libpmem.map: found only $(echo "$syms" | wc -w) functions"
links=$(bash "$HERE/links.sh")
DEST=$WORK/dest
if $MAKE -s -C "$REPO" install-man PREFIX=/usr DESTDIR="$DEST" >"$WORK/install.log" 2>&1; then pass
else fail "make install-man: $(tail -3 "$WORK/install.log")"; fi
MP=$DEST/usr/share/man
for s in $syms; do
	if [ ! -e "$HERE/$s.3" ] && ! grep -q "^$s.3 " <<<"$links"; then
		fail "$s: no man page (none named after it, none listing it under NAME)"
		continue
	fi
	# man -w follows a .so link to the page it names.
	target=$(awk -v l="$s.3" '$1 == l { print $2 }' <<<"$links")
	f=$(man -M "$MP" -w 3 "$s" 2>/dev/null)
	if [ ! -e "$MP/man3/$s.3" ] || [ "$f" != "$MP/man3/${target:-$s.3}" ]; then
		fail "$s: 'man 3 $s' does not find the installed page (got '$f')"
		continue
	fi
	w=$(MANWIDTH=80 man -M "$MP" --warnings 3 "$s" 2>&1 >"$WORK/out")
	if [ -n "$w" ] || ! grep -q "$s" "$WORK/out"; then fail "$s: installed page: warnings '$w' or does not mention $s"
	else pass; fi
done
if MANWIDTH=80 man -M "$MP" 7 libpmem 2>/dev/null | grep -q 'PMEM_IS_PMEM_FORCE'; then pass
else fail "libpmem(7) not installed or without its ENVIRONMENT section"; fi

echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
