#!/usr/bin/env bash
# tests-c/run.sh -- C tests of libpmem: differential against Debian's PMDK (whichever the system
# has: 1.12.1 on Debian 12, 1.13.1 on Debian 13; the first line says which), static link, ABI.
#
# Builds the C programs in tests-c/, runs each against the reference PMDK (the system
# libpmem.so.1) and against the library under test (dynamically through LD_LIBRARY_PATH,
# and statically linked against libpmem.a), and compares the outputs line by line, keyed by
# check name. Differences listed in tests-c/intended-differences.txt are accepted. Then runs
# the ABI tests (tests-c/abi.sh). Ends with a line "N passed, N failed"; exits non-zero on
# any failure.
#
# Variables (all optional):
#   PMEM_LIBDIR       directory with the library under test: libpmem.so.1 (and libpmem.a)
#                     default: <repo>/build
#   PMEM_INCDIR       directory with the header under test (libpmem.h); default <repo>/include
#   PMEM_STATIC_LIB   static library under test; default $PMEM_LIBDIR/libpmem.a ("" skips static)
#   PMEM_STATIC_LIBS  libraries the static library needs;
#                     default "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
#   REF_LIBDIR        directory of the reference PMDK; default /usr/lib/x86_64-linux-gnu
#   REF_INCDIR        its header directory; default /usr/include
#   REF_DBG_LIBDIR    PMDK's debug build (libpmem1-debug), the reference for PMEM_LOG_LEVEL;
#                     default $REF_LIBDIR/pmdk_dbg
#   CC, CXX           compilers (cc, c++); a cross compiler tests another architecture
#                     (tests/cross/run.sh, under qemu-user), with REF_LIBDIR its PMDK
#   CROSS_COMPILE     the prefix of that architecture's binutils (aarch64-linux-gnu-)
#   SKIP_ABI=1        skip tests-c/abi.sh
#   SKIP_INSTALL=1    passed to abi.sh: skip the `make install` + pkg-config tests
#   KEEP=1            keep the work directory
#   VERBOSE=1         print every check, not only failures
#
# Validation against PMDK itself (both slots = system PMDK):
#   PMEM_LIBDIR=/usr/lib/x86_64-linux-gnu PMEM_INCDIR=/usr/include \
#   PMEM_STATIC_LIBS="$(pkg-config --static --libs-only-l libpmem)" SKIP_ABI=1 tests-c/run.sh
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CC=${CC:-cc}
CXX=${CXX:-c++}
PMEM_LIBDIR=${PMEM_LIBDIR:-$REPO/build}
PMEM_INCDIR=${PMEM_INCDIR:-$REPO/include}
PMEM_STATIC_LIB=${PMEM_STATIC_LIB-$PMEM_LIBDIR/libpmem.a}
PMEM_STATIC_LIBS=${PMEM_STATIC_LIBS:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}
REF_LIBDIR=${REF_LIBDIR:-/usr/lib/x86_64-linux-gnu}
REF_INCDIR=${REF_INCDIR:-/usr/include}
REF_DBG_LIBDIR=${REF_DBG_LIBDIR:-$REF_LIBDIR/pmdk_dbg}
CFLAGS_T="-std=c11 -Wall -Wextra -Werror -O2 -g"
# what the programs are built for: x86_64, or another architecture under qemu-user
TARGET_ARCH=$("$CC" -dumpmachine | cut -d- -f1)
export PMEM_LIBDIR PMEM_INCDIR PMEM_STATIC_LIB PMEM_STATIC_LIBS REF_LIBDIR REF_INCDIR CC CXX

# never inherit settings that change libpmem's behaviour
# shellcheck source=../tests/env-scrub.sh
. "$REPO/tests/env-scrub.sh"

WORK=$(mktemp -d /tmp/pmem-tests-c.XXXXXX)
SHM=$(mktemp -d /dev/shm/pmem-tests-c.XXXXXX)
cleanup() {
	# a test that died may have left its small tmpfs mounted
	grep -o " $SHM[^ ]*" /proc/mounts 2>/dev/null | while read -r m; do umount "$m" 2>/dev/null; done
	rm -rf "$SHM"
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PASS=0
FAIL=0
SKIPPED=0
FAILED_LIST=$WORK/failed.txt
: >"$FAILED_LIST"

pass() { PASS=$((PASS + 1)); [ "${VERBOSE:-0}" = 1 ] && echo "PASS $*"; return 0; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $*"; echo "$*" >>"$FAILED_LIST"; return 0; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIP $*"; return 0; }

PROGS="t_map t_mem t_flush t_force t_threads"
LOGPROG="t_log"
OURSPROGS="t_log t_autoflush"

# ---------------------------------------------------------------- build
mkdir -p "$WORK/ref" "$WORK/refdbg" "$WORK/dyn" "$WORK/static"
build() { # slot name compile-args...
	local slot=$1 name=$2
	shift 2
	if "$CC" $CFLAGS_T "$@" >"$WORK/$slot/$name.build.txt" 2>&1; then
		return 0
	fi
	fail "build [$slot] $name: $(head -c 2000 "$WORK/$slot/$name.build.txt")"
	return 1
}

# The reference, by the package that owns it and the source version PMDK builds into itself.
ref_so=$(readlink -f "$REF_LIBDIR/libpmem.so.1")
ref_pkg=$(dpkg -S "$ref_so" 2>/dev/null | cut -d: -f1)
ref_pkg=${ref_pkg:+$ref_pkg $(dpkg-query -W -f='${Version}' "$ref_pkg" 2>/dev/null)}
ref_src=$(strings "$ref_so" 2>/dev/null | sed -n 's/^src version: //p' | head -n1)
echo "reference: PMDK ${ref_src:-(version unknown)}, $ref_so (Debian package: ${ref_pkg:-none})"
echo "== building (reference: $REF_LIBDIR, under test: $PMEM_LIBDIR, header: $PMEM_INCDIR)"
HAVE_DYN=1
if [ ! -e "$PMEM_LIBDIR/libpmem.so.1" ] || [ ! -e "$PMEM_INCDIR/libpmem.h" ]; then
	fail "library under test: $PMEM_LIBDIR/libpmem.so.1 or $PMEM_INCDIR/libpmem.h is missing (run make)"
	HAVE_DYN=0
fi
HAVE_STATIC=1
if [ -z "$PMEM_STATIC_LIB" ]; then
	HAVE_STATIC=0
	skip "static: PMEM_STATIC_LIB is empty"
elif [ ! -e "$PMEM_STATIC_LIB" ]; then
	HAVE_STATIC=0
	fail "static library under test $PMEM_STATIC_LIB is missing"
fi
# the library under test is PMDK itself (validation run)? then PMDK-crashing checks stay off
if [ "$(readlink -f "$PMEM_LIBDIR/libpmem.so.1" 2>/dev/null)" = "$(readlink -f "$REF_LIBDIR/libpmem.so.1")" ]; then
	TEST_IMPL=pmdk
	echo "note: the library under test is the reference PMDK itself (validation run)"
else
	TEST_IMPL=ours
fi

for p in $PROGS; do
	build ref "$p" -I"$REF_INCDIR" -o "$WORK/ref/$p" "$HERE/$p.c" -L"$REF_LIBDIR" -lpmem -lpthread
	if [ $HAVE_DYN = 1 ]; then
		build dyn "$p" -I"$PMEM_INCDIR" -o "$WORK/dyn/$p" "$HERE/$p.c" -L"$PMEM_LIBDIR" -lpmem -lpthread
	fi
	if [ $HAVE_STATIC = 1 ]; then
		# shellcheck disable=SC2086
		build static "$p" -I"$PMEM_INCDIR" -o "$WORK/static/$p" "$HERE/$p.c" "$PMEM_STATIC_LIB" $PMEM_STATIC_LIBS
	fi
done
RUN_LOG=1
if [ "$TEST_IMPL" = pmdk ]; then
	RUN_LOG=0
	skip "t_log, t_autoflush: checks of our own semantics, not run against the reference PMDK"
else
	build refdbg t_logenv -I"$REF_INCDIR" -o "$WORK/refdbg/t_logenv" "$HERE/t_logenv.c" -L"$REF_LIBDIR" -lpmem
	for p in $OURSPROGS t_logenv; do
		[ $HAVE_DYN = 1 ] && build dyn "$p" -I"$PMEM_INCDIR" -o "$WORK/dyn/$p" "$HERE/$p.c" -L"$PMEM_LIBDIR" -lpmem
		# shellcheck disable=SC2086
		[ $HAVE_STATIC = 1 ] && build static "$p" -I"$PMEM_INCDIR" -o "$WORK/static/$p" "$HERE/$p.c" "$PMEM_STATIC_LIB" $PMEM_STATIC_LIBS
	done
fi

# ---------------------------------------------------------------- cases
# name | program | arguments | environment (space separated VAR=value)
DISKDIR=$WORK/disk
mkdir -p "$DISKDIR"
CASES="map|t_map||PMEMTEST_DISKDIR=$DISKDIR
mem|t_mem||
mem_zen|t_mem||PMEM_CPU_CLASS=amd-zen
mem_zen4|t_mem||PMEM_CPU_CLASS=amd-zen4
mem_intel_server|t_mem||PMEM_CPU_CLASS=intel-server
mem_other|t_mem||PMEM_CPU_CLASS=other
flush|t_flush||
threads|t_threads||
force_unset|t_force||
force_0|t_force||PMEM_IS_PMEM_FORCE=0
force_1|t_force||PMEM_IS_PMEM_FORCE=1
force_2|t_force||PMEM_IS_PMEM_FORCE=2
force_abc|t_force||PMEM_IS_PMEM_FORCE=abc
force_empty|t_force||PMEM_IS_PMEM_FORCE=
mmap_hint|t_force||PMEM_MMAP_HINT=0x200000000000
mmap_hint_unaligned|t_force||PMEM_MMAP_HINT=0x200000001234
mmap_hint_force|t_force||PMEM_MMAP_HINT=0x300000000000 PMEM_IS_PMEM_FORCE=1
force_setenv1_before|t_force|setenv 1 before|
force_setenv1_after|t_force|setenv 1 after|
force_setenv1_after_map|t_force|setenv 1 after_map|
force_setenv1_after_map_null|t_force|setenv 1 after_map_null|
force_setenv0_before|t_force|setenv 0 before|PMEM_IS_PMEM_FORCE=1
force_setenv0_after|t_force|setenv 0 after|PMEM_IS_PMEM_FORCE=1
force_unsetenv_before|t_force|setenv - before|PMEM_IS_PMEM_FORCE=1
force_unsetenv_after_map|t_force|setenv - after_map|PMEM_IS_PMEM_FORCE=1"
# The CPU classes are x86-64's: elsewhere there is one, and these cases would repeat `mem`.
[ "$TARGET_ARCH" = x86_64 ] || CASES=$(grep -v '|PMEM_CPU_CLASS=[^ ]*$' <<<"$CASES")
LOGCASES="log|t_log||
log_envsink1|t_log|envsink|PMEM_LOG_LEVEL=1 PMEM_LOG_FILE=@SHM@/pmemlog-
log_envsink4|t_log|envsink|PMEM_LOG_LEVEL=4 PMEM_LOG_FILE=@SHM@/pmemlog4.txt
log_envsink0|t_log|envsink|PMEM_LOG_LEVEL=0 PMEM_LOG_FILE=@SHM@/pmemlog0.txt"

# run_case slot name prog args env impl -> $WORK/<slot>/<name>.out (+ .err); adds "exit:" line
run_case() {
	local slot=$1 name=$2 prog=$3 args=$4 envs=$5 impl=$6
	local out=$WORK/$slot/$name.out err=$WORK/$slot/$name.err bin=$WORK/$slot/$prog
	local ldp=""
	[ "$slot" = dyn ] && ldp=$PMEM_LIBDIR
	[ "$slot" = refdbg ] && ldp=$REF_DBG_LIBDIR
	if [ ! -x "$bin" ]; then
		echo "exit: not built" >"$out"
		return
	fi
	local d
	d=$(mktemp -d "$SHM/$slot.$name.XXXXXX")
	envs=${envs//@SHM@/$d}
	# shellcheck disable=SC2086
	(cd "$d" && env ${ldp:+LD_LIBRARY_PATH=$ldp} PMEMTEST_IMPL="$impl" PMEMTEST_DIR="$d" $envs \
		timeout 300 "$bin" $args) >"$out" 2>"$err"
	local rc=$?
	if [ $rc -gt 128 ] && [ $rc -ne 124 ]; then
		echo "exit: killed by signal $((rc - 128))" >>"$out"
	elif [ $rc -eq 124 ]; then
		echo "exit: timeout" >>"$out"
	else
		echo "exit: $rc" >>"$out"
	fi
}

# compare reference test label -> counts passes/failures; applies intended differences, those of
# every architecture and those of the one built for (intended-differences.<arch>.txt: where that
# architecture's PMDK differs from x86-64's)
INTENDED=$HERE/intended-differences.txt
if [ -f "$HERE/intended-differences.$TARGET_ARCH.txt" ]; then
	cat "$INTENDED" "$HERE/intended-differences.$TARGET_ARCH.txt" >"$WORK/intended-differences.txt"
	INTENDED=$WORK/intended-differences.txt
fi
compare() {
	local ref=$1 tst=$2 label=$3 casename=$4
	local res
	res=$(awk -v CASE="$casename" -v LABEL="$label" -v INTENDED="$INTENDED" -f "$HERE/compare.awk" "$ref" "$tst")
	local kind k why r t
	while IFS=$'\t' read -r kind k why r t; do
		case $kind in
		P) pass "[$label] $casename: $k" ;;
		I) pass "[$label] $casename: $k (intended difference)"; echo "[$label] $casename: $k: reference=\"$r\" test=\"$t\"" >>"$WORK/intended-seen.txt" ;;
		F) fail "[$label] $casename: $k: $why: reference=\"$r\" test=\"$t\"" ;;
		esac
	done <<<"$res"
}

echo "== differential tests"
while IFS='|' read -r name prog args envs; do
	[ -n "$name" ] || continue
	run_case ref "$name" "$prog" "$args" "$envs" pmdk
	if ! grep -q '^exit: 0$' "$WORK/ref/$name.out"; then
		fail "[reference] $name: the reference PMDK run did not exit 0: $(tail -1 "$WORK/ref/$name.out"); stderr: $(head -c 500 "$WORK/ref/$name.err")"
	fi
	if [ $HAVE_DYN = 1 ]; then
		run_case dyn "$name" "$prog" "$args" "$envs" "$TEST_IMPL"
		compare "$WORK/ref/$name.out" "$WORK/dyn/$name.out" dynamic "$name"
	fi
	if [ $HAVE_STATIC = 1 ]; then
		run_case static "$name" "$prog" "$args" "$envs" "$TEST_IMPL"
		compare "$WORK/ref/$name.out" "$WORK/static/$name.out" static "$name"
	fi
done <<<"$CASES"

if [ $RUN_LOG = 1 ]; then
	echo "== logging API (against expected/; PMDK 1.12 has no such API)"
	while IFS='|' read -r name prog args envs; do
		[ -n "$name" ] || continue
		exp=$WORK/$name.expected
		{ cat "$HERE/expected/$name.out"; echo "exit: 0"; } >"$exp"
		for slot in dyn static; do
			[ $slot = dyn ] && [ $HAVE_DYN = 0 ] && continue
			[ $slot = static ] && [ $HAVE_STATIC = 0 ] && continue
			run_case $slot "$name" "$prog" "$args" "$envs" "$TEST_IMPL"
			label=dynamic
			[ $slot = static ] && label=static
			compare "$exp" "$WORK/$slot/$name.out" "$label" "$name"
		done
	done <<<"$LOGCASES"
fi

if [ $RUN_LOG = 1 ]; then
	echo "== PMEM_LOG_LEVEL / PMEM_LOG_FILE (against PMDK's debug build; its release build logs nothing)"
	if [ ! -e "$REF_DBG_LIBDIR/libpmem.so.1" ]; then
		skip "PMEM_LOG_LEVEL against PMDK: no debug build in $REF_DBG_LIBDIR (apt package libpmem1-debug)"
	else
		for lvl in 0 1 2 3 4 5 15; do
			name=logenv_$lvl
			run_case refdbg "$name" t_logenv "" "PMEM_LOG_LEVEL=$lvl PMEM_LOG_FILE=@SHM@/log.txt" pmdk
			grep -q '^exit: 0$' "$WORK/refdbg/$name.out" ||
				fail "[reference] $name: PMDK's debug build run did not exit 0: $(tail -1 "$WORK/refdbg/$name.out")"
			for slot in dyn static; do
				[ $slot = dyn ] && [ $HAVE_DYN = 0 ] && continue
				[ $slot = static ] && [ $HAVE_STATIC = 0 ] && continue
				run_case $slot "$name" t_logenv "" "PMEM_LOG_LEVEL=$lvl PMEM_LOG_FILE=@SHM@/log.txt" "$TEST_IMPL"
				label=dynamic
				[ $slot = static ] && label=static
				compare "$WORK/refdbg/$name.out" "$WORK/$slot/$name.out" "$label" "$name"
			done
		done
	fi
fi

# fake /sys/bus/nd/devices trees for pmem_has_auto_flush (private mount namespace, root only)
autoflush_tree() { # case -> shell commands that build the tree under /sys/bus
	local d=/sys/bus/nd/devices
	case $1 in
	no_nd) echo "true" ;;
	empty) echo "mkdir -p $d" ;;
	cpu_cache) echo "mkdir -p $d/region0 && echo cpu_cache >$d/region0/persistence_domain" ;;
	cpu_cache_nonl) echo "mkdir -p $d/region0 && printf cpu_cache >$d/region0/persistence_domain" ;;
	two_cpu_cache) echo "mkdir -p $d/region0 $d/region1 && echo cpu_cache >$d/region0/persistence_domain && echo cpu_cache >$d/region1/persistence_domain" ;;
	mixed) echo "mkdir -p $d/region0 $d/region1 && echo cpu_cache >$d/region0/persistence_domain && echo memory_controller >$d/region1/persistence_domain" ;;
	memory_controller) echo "mkdir -p $d/region0 && echo memory_controller >$d/region0/persistence_domain" ;;
	missing_file) echo "mkdir -p $d/region0 $d/region1 && echo cpu_cache >$d/region0/persistence_domain" ;;
	read_error) echo "mkdir -p $d/region0/persistence_domain" ;;
	other_entries) echo "mkdir -p $d/ndbus0 $d/namespace0.0 $d/nmem0 $d/region0 && echo cpu_cache >$d/region0/persistence_domain && echo memory_controller >$d/nmem0/persistence_domain" ;;
	esac
}
AUTOFLUSH_CASES="no_nd empty cpu_cache cpu_cache_nonl two_cpu_cache mixed memory_controller missing_file read_error other_entries"
if [ $RUN_LOG = 1 ]; then
	echo "== pmem_has_auto_flush against fake sysfs trees (expected/autoflush_*.out)"
	if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
		skip "has_auto_flush sysfs cases: need root and unshare -m"
	else
		for c in $AUTOFLUSH_CASES; do
			name=autoflush_$c
			exp=$WORK/$name.expected
			{ cat "$HERE/expected/$name.out"; echo "exit: 0"; } >"$exp"
			for slot in dyn static; do
				[ $slot = dyn ] && [ $HAVE_DYN = 0 ] && continue
				[ $slot = static ] && [ $HAVE_STATIC = 0 ] && continue
				bin=$WORK/$slot/t_autoflush
				out=$WORK/$slot/$name.out
				if [ -x "$bin" ]; then
					ldp=""
					[ $slot = dyn ] && ldp="LD_LIBRARY_PATH=$PMEM_LIBDIR"
					unshare -m sh -c "mount -t tmpfs none /sys/bus && $(autoflush_tree "$c") && exec env $ldp $bin" >"$out" 2>"$WORK/$slot/$name.err"
					echo "exit: $?" >>"$out"
				else
					echo "exit: not built" >"$out"
				fi
				label=dynamic
				[ $slot = static ] && label=static
				compare "$exp" "$out" "$label" "$name"
			done
		done
	fi
fi

# ---------------------------------------------------------------- ABI
if [ "${SKIP_ABI:-0}" != 1 ]; then
	echo "== ABI tests (abi.sh)"
	ABI_OUT=$WORK/abi.txt
	WORK="$WORK" bash "$HERE/abi.sh" >"$ABI_OUT" 2>&1
	while read -r kind rest; do
		case $kind in
		PASS) pass "[abi] $rest" ;;
		FAIL) fail "[abi] $rest" ;;
		SKIP) skip "[abi] $rest" ;;
		*) [ "${VERBOSE:-0}" = 1 ] && echo "  abi: $kind $rest" ;;
		esac
	done <"$ABI_OUT"
else
	skip "ABI tests (SKIP_ABI=1)"
fi

if [ -s "$WORK/intended-seen.txt" ]; then
	echo "== intended differences seen (accepted, see tests-c/intended-differences.txt)"
	sort -u "$WORK/intended-seen.txt" | sed 's/^/  /'
fi
[ $SKIPPED -gt 0 ] && echo "($SKIPPED skipped)"
echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
