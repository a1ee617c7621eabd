#!/usr/bin/env bash
# tests/valgrind/run.sh -- libpmem under Valgrind: the same reports as PMDK's.
#
# Compiles the C programs here against the system headers and runs each under Valgrind twice,
# once on the reference PMDK (LD_LIBRARY_PATH=$REF_LIBDIR) and once on the library under test
# (LD_LIBRARY_PATH=$PMEM_LIBDIR), then compares the reports after normalize.awk (pids,
# addresses, library frames and store sizes dropped; the program's own lines, the report
# sections, store states and bytes not persistent kept):
#   pmemcheck: pmem_bugs.c (libpmem only) and obj_bugs.c (libpmemobj), each without and with
#     its planted bugs, with the default options, --mult-stores=yes --flush-align=yes and
#     --expect-fence-after-clflush=yes; pmem_bugs.c also with PMEM_NO_FLUSH=1;
#   memcheck: mc_checks.c (flushes of freed memory, msync next to inaccessible bytes, heap
#     left at exit), without and with its bugs; obj_bugs.c (libpmemobj on a file that is not
#     pmem: it msyncs ranges beside bytes it marked inaccessible).
# A planted bug must also change the report (the bugs are found, not only matched).
# Then the store logs (--log-stores=yes, what pmreorder replays) of store_order.c (every
# copy/set/move entry point, every flag combination, sizes and alignments around each edge,
# overlap both ways) and obj_bugs.c, without and with PMREORDER_EMIT_LOG=1 (pmreorder's
# markers), must be identical after storelog.awk (events in order, addresses as region +
# offset, stored values dropped), and with PMEM_NO_FLUSH=1.
# Ends with "N passed, N failed"; exits non-zero on any failure.
#
# Variables (all optional):
#   PMEMCHECK    pmemcheck's launcher, or the folder holding it (a build of the pmem/valgrind
#                fork); default ../shared/tools/pmemcheck beside the repository, when present.
#                Without one the pmemcheck tests are skipped, with a line saying so.
#   VALGRIND     Valgrind with memcheck; default `valgrind` on PATH (skipped when none).
#   PMEM_LIBDIR  the library under test (libpmem.so.1); default <repo>/build
#   REF_LIBDIR   the reference PMDK; default /usr/lib/x86_64-linux-gnu
#   CC           compiler (cc);  KEEP=1 keeps the work directory;  VERBOSE=1 prints every check
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CC=${CC:-cc}
PMEM_LIBDIR=${PMEM_LIBDIR:-$REPO/build}
# Without it the loader would quietly give the "ours" runs the system PMDK, and every
# comparison would pass.
[ -e "$PMEM_LIBDIR/libpmem.so.1" ] || { echo "tests/valgrind: $PMEM_LIBDIR/libpmem.so.1 is missing (run make)" >&2; exit 1; }
REF_LIBDIR=${REF_LIBDIR:-/usr/lib/x86_64-linux-gnu}

# shellcheck source=../env-scrub.sh
. "$REPO/tests/env-scrub.sh"

if [ -z "${PMEMCHECK:-}" ] && [ -d "$REPO/../shared/tools/pmemcheck" ]; then
	PMEMCHECK=$REPO/../shared/tools/pmemcheck
fi
if [ -n "${PMEMCHECK:-}" ] && [ -d "$PMEMCHECK" ]; then
	PMEMCHECK=$PMEMCHECK/valgrind
fi
VALGRIND=${VALGRIND:-$(command -v valgrind || true)}

PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); [ "${VERBOSE:-0}" = 1 ] && echo "PASS $*"; return 0; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $*"; return 0; }

if [ -z "${PMEMCHECK:-}" ] || [ ! -x "$PMEMCHECK" ]; then
	echo "SKIP pmemcheck tests: no pmemcheck found (set PMEMCHECK=/path/to/pmemcheck/valgrind)"
	PMEMCHECK=
fi
if [ -z "$VALGRIND" ] || ! "$VALGRIND" --tool=memcheck --version >/dev/null 2>&1; then
	echo "SKIP memcheck tests: no valgrind with memcheck found (set VALGRIND=...)"
	VALGRIND=
fi
[ -z "$PMEMCHECK" ] && [ -z "$VALGRIND" ] && exit 0

WORK=$(mktemp -d /tmp/pmem-tests-valgrind.XXXXXX)
SHM=$(mktemp -d /dev/shm/pmem-tests-valgrind.XXXXXX)
cleanup() {
	rm -rf "$SHM"
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The memcheck program needs memcheck.h: the system's, else the one beside pmemcheck.
VG_INC=
if [ ! -f /usr/include/valgrind/memcheck.h ] && [ -n "$PMEMCHECK" ]; then
	VG_INC="-I$(dirname "$(readlink -f "$PMEMCHECK")")/include"
fi
build() { # name libs...
	local name=$1
	shift
	if ! "$CC" -std=gnu11 -O1 -g -Wall -Wextra -Wno-use-after-free $VG_INC \
		-o "$WORK/$name" "$HERE/$name.c" "$@" >"$WORK/$name.build.txt" 2>&1; then
		fail "build $name"
		cat "$WORK/$name.build.txt"
		return 1
	fi
}

# run TOOL-LAUNCHER NAME MODE "OPTIONS" "ENV" -> prints the normalised report path of each library
run_pair() {
	local vg=$1 name=$2 mode=$3 opts=$4 envs=$5 tag=$6
	local slot lib out
	for slot in ref ours; do
		if [ $slot = ref ]; then lib=$REF_LIBDIR; else lib=$PMEM_LIBDIR; fi
		out=$WORK/$tag.$slot
		rm -f "$SHM/pool"
		# shellcheck disable=SC2086
		env $envs LD_LIBRARY_PATH="$lib" "$vg" $opts "$WORK/$name" "$SHM/pool" $mode \
			>"$out.raw" 2>&1
		awk -v SRC="$name.c" -f "$HERE/normalize.awk" "$out.raw" | sort -u >"$out.txt"
	done
}

# compare TAG WHAT: ours must report what PMDK reports
compare() {
	local tag=$1 what=$2
	if [ ! -s "$WORK/$tag.ref.raw" ] || grep -q "valgrind: failed\|cannot find\|error while loading" \
		"$WORK/$tag.ref.raw"; then
		fail "$what: the reference run did not run"
		sed 's/^/    /' "$WORK/$tag.ref.raw" | head -5
	elif cmp -s "$WORK/$tag.ref.txt" "$WORK/$tag.ours.txt"; then
		pass "$what"
	else
		fail "$what: reports differ (< PMDK, > ours)"
		diff "$WORK/$tag.ref.txt" "$WORK/$tag.ours.txt" | sed 's/^/    /' | head -20
	fi
}

# found TAG-CLEAN TAG-BUGS WHAT: the planted bugs changed the report, for both libraries
found() {
	local clean=$1 bugs=$2 what=$3 slot
	for slot in ref ours; do
		if cmp -s "$WORK/$clean.$slot.txt" "$WORK/$bugs.$slot.txt"; then
			fail "$what: planted bugs not reported ($slot)"
		else
			pass "$what: planted bugs reported ($slot)"
		fi
	done
}

if [ -n "$PMEMCHECK" ]; then
	build pmem_bugs -lpmem
	build obj_bugs -lpmemobj
	OPTSETS=("" "--mult-stores=yes --flush-align=yes" "--expect-fence-after-clflush=yes")
	CASES=("pmem_bugs|" "pmem_bugs|PMEM_NO_FLUSH=1" "obj_bugs|")
	for c in "${CASES[@]}"; do
		name=${c%%|*}
		envs=${c#*|}
		[ -x "$WORK/$name" ] || continue
		for i in "${!OPTSETS[@]}"; do
			opts="--tool=pmemcheck ${OPTSETS[$i]}"
			tag=$name.$i.${envs:-default}
			what="pmemcheck $name${envs:+ $envs} ${OPTSETS[$i]:-(default options)}"
			run_pair "$PMEMCHECK" "$name" "" "$opts" "$envs" "$tag.clean"
			compare "$tag.clean" "$what"
			run_pair "$PMEMCHECK" "$name" bugs "$opts" "$envs" "$tag.bugs"
			compare "$tag.bugs" "$what, bugs"
			found "$tag.clean" "$tag.bugs" "$what"
		done
	done
fi

# store_logs NAME EMIT TAG [ENV]: NAME's normalised store logs through PMDK and ours
store_logs() {
	local name=$1 emit=$2 tag=$3 envs=${4:-} slot lib
	for slot in ref ours; do
		if [ $slot = ref ]; then lib=$REF_LIBDIR; else lib=$PMEM_LIBDIR; fi
		rm -f "$SHM/pool"
		# shellcheck disable=SC2086
		env $envs PMREORDER_EMIT_LOG=$emit LD_LIBRARY_PATH="$lib" "$PMEMCHECK" --tool=pmemcheck \
			--log-stores=yes --log-file="$WORK/$tag.$slot.raw" "$WORK/$name" "$SHM/pool" \
			>/dev/null 2>&1
		awk -f "$HERE/storelog.awk" "$WORK/$tag.$slot.raw" >"$WORK/$tag.$slot.txt"
	done
}

# same_log TAG WHAT EMIT: identical logs, with stores in them, and markers only when asked for
same_log() {
	local tag=$1 what=$2 emit=$3 ref=$WORK/$1.ref.txt ours=$WORK/$1.ours.txt marks
	marks=$(grep -c '^libpmem\.BEGIN$' "$ref")
	if ! grep -q '^STORE' "$ref"; then
		fail "$what: PMDK's store log holds no store"
	elif { [ "$emit" = 1 ] && [ "$marks" = 0 ]; } || { [ "$emit" = 0 ] && [ "$marks" != 0 ]; }; then
		fail "$what: PMDK's log has $marks marked calls"
	elif cmp -s "$ref" "$ours"; then
		pass "$what: $(wc -l <"$ref") events, $marks calls marked"
	else
		fail "$what: store logs differ (< PMDK, > ours)"
		diff "$ref" "$ours" | sed 's/^/    /' | head -20
	fi
}

if [ -n "$PMEMCHECK" ]; then
	build store_order -lpmem
	for name in store_order obj_bugs; do
		[ -x "$WORK/$name" ] || continue
		for emit in 0 1; do
			store_logs "$name" "$emit" "log.$name.$emit"
			same_log "log.$name.$emit" "store log $name PMREORDER_EMIT_LOG=$emit" "$emit"
		done
		# PMDK's copies for platforms that skip flushes (eADR) are a build of their own.
		store_logs "$name" 1 "log.$name.noflush" PMEM_NO_FLUSH=1
		same_log "log.$name.noflush" "store log $name PMREORDER_EMIT_LOG=1 PMEM_NO_FLUSH=1" 1
	done
fi

if [ -n "$VALGRIND" ]; then
	opts="--tool=memcheck --leak-check=full --show-leak-kinds=all"
	if build mc_checks -lpmem; then
		run_pair "$VALGRIND" mc_checks "" "$opts" "" mc.clean
		compare mc.clean "memcheck mc_checks"
		run_pair "$VALGRIND" mc_checks bugs "$opts" "" mc.bugs
		compare mc.bugs "memcheck mc_checks, bugs"
		found mc.clean mc.bugs "memcheck mc_checks"
	fi
	if [ -x "$WORK/obj_bugs" ] || build obj_bugs -lpmemobj; then
		run_pair "$VALGRIND" obj_bugs "" "$opts" "" mc.obj
		compare mc.obj "memcheck obj_bugs"
	fi
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
