#!/usr/bin/env bash
# Real-client and reliability suite for the libpmem.so.1 drop-in.
#
# usage: tests/clients/run.sh [LIBDIR]
#   LIBDIR: a directory holding the libpmem.so.1 under test. Default: the
#   repo's build/ if build/libpmem.so.1 exists, else a copy of the system PMDK
#   libpmem (reference run: validates the suite itself).
# env:
#   TC_MODE=quick|full   quick (default) fits in a few minutes; full runs longer loops
#   TC_OUT=DIR           logs (default tests/clients/out)
#   TC_SEED=N            seed for fuzz/crash loops (default: fixed)
#   TC_ONLY="a b"        run only these sections: fio pmempool clients crash
#                        bindings threads fork fd valgrind env suid fuzz
# Prints "N passed, N failed" as its last line; exits non-zero on any failure.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
MODE=${TC_MODE:-quick}
OUT=${TC_OUT:-$HERE/out}
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
SEED=${TC_SEED:-20261125}
ONLY=${TC_ONLY:-}
T_START=$(date +%s)

PASS=0; FAIL=0; SKIP=0; FAILED=()
pass() { PASS=$((PASS + 1)); printf 'PASS %s\n' "$1"; }
fail() { FAIL=$((FAIL + 1)); FAILED+=("$1"); printf 'FAIL %s %s\n' "$1" "${2:-}"; }
skip() { SKIP=$((SKIP + 1)); printf 'SKIP %s (%s)\n' "$1" "${2:-}"; }
note() { printf '     %s\n' "$*"; }
want() { [ -z "$ONLY" ] && return 0; case " $ONLY " in *" $1 "*) return 0;; esac; return 1; }
q() { [ "$MODE" = full ] && echo "$2" || echo "$1"; }   # q QUICK FULL

rm -rf "$OUT"; mkdir -p "$OUT/logs" "$OUT/ld"
SCR=$(mktemp -d /dev/shm/tc.XXXXXX) || { echo "cannot create scratch dir"; exit 2; }
chmod 0711 "$SCR"
cleanup() {
	for m in "$SCR/fill" "$SCR/small"; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
	rm -rf "$SCR"
}
trap cleanup EXIT
trap "exit 130" INT TERM

# ---------------------------------------------------------------- library
SYSLIB=$(ldconfig -p 2>/dev/null | awk '$1 == "libpmem.so.1" && /x86-64/ { print $NF; exit }')
[ -n "$SYSLIB" ] || SYSLIB=/lib/x86_64-linux-gnu/libpmem.so.1
SYSLIB_REAL=$(realpath -e "$SYSLIB" 2>/dev/null || echo /nonexistent)

LIBDIR=${1:-}
if [ -z "$LIBDIR" ]; then
	if [ -e "$REPO/build/libpmem.so.1" ]; then LIBDIR=$REPO/build; else LIBDIR=system; fi
fi
if [ "$LIBDIR" = system ] || [ "$(realpath -e "$LIBDIR/libpmem.so.1" 2>/dev/null)" = "$SYSLIB_REAL" ]; then
	# reference run: use a copy so "bound to the library under test and not
	# to the system one" is still a meaningful check
	mkdir -p "$SCR/pmdk-copy"; chmod 0755 "$SCR/pmdk-copy"
	cp "$SYSLIB_REAL" "$SCR/pmdk-copy/libpmem.so.1" || { echo "no system libpmem"; exit 2; }
	LIBDIR=$SCR/pmdk-copy
fi
LIBDIR=$(cd "$LIBDIR" 2>/dev/null && pwd) || { echo "no such dir: ${1:-}"; exit 2; }
LIB=$LIBDIR/libpmem.so.1
[ -e "$LIB" ] || { echo "no libpmem.so.1 in $LIBDIR"; exit 2; }
LIB_REAL=$(realpath -e "$LIB")
if nm -D --defined-only "$LIB" 2>/dev/null | grep -q ' pmem_log_set_threshold'; then FLAVOUR=ours; else FLAVOUR=pmdk; fi
echo "library under test: $LIB ($FLAVOUR flavour; system PMDK: $SYSLIB_REAL); mode=$MODE seed=$SEED"
echo "logs: $OUT"
cd "$SCR" || exit 2   # nothing lands in the caller's cwd (fio state files etc.)

# run helpers: sub MODE cmd...  (MODE: llp | preload | sys)
sub() {
	local m=$1; shift
	case $m in
	llp) env LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@" ;;
	preload) env LD_PRELOAD="$LIB" "$@" ;;
	sys) env "$@" ;;
	esac
}
# bsub MODE TAG cmd... : like sub, with LD_DEBUG=bindings,files to $OUT/ld/TAG.<pid>
bsub() {
	local m=$1 tag=$2; shift 2
	rm -f "$OUT/ld/$tag".*
	sub "$m" env LD_DEBUG=bindings,files LD_DEBUG_OUTPUT="$OUT/ld/$tag" "$@"
}
# check_bindings TAG : every pmem_* bound to the library under test, with the
# LIBPMEM_1.0 version, and the system libpmem never initialised/bound
check_bindings() {
	local tag=$1 files n bad sysload targets t
	files=$(ls "$OUT/ld/$tag".* 2>/dev/null)
	[ -n "$files" ] || { fail "bind:$tag" "no LD_DEBUG output"; return; }
	n=$(cat $files | grep -c "normal symbol \`pmem_[a-z_]*'")
	targets=$(cat $files | grep "normal symbol \`pmem_[a-z_]*'" | sed -n 's/.* to \(.*\) \[[0-9]*\]: normal symbol.*/\1/p' | sort -u)
	bad=""
	for t in $targets; do [ "$(realpath -e "$t" 2>/dev/null)" = "$LIB_REAL" ] || bad="$bad $t"; done
	local nover
	nover=$(cat $files | grep "normal symbol \`pmem_[a-z_]*'" | grep -vc '\[LIBPMEM_1.0\]')
	sysload=$(cat $files | grep -E 'calling init: |binding file .* to ' | grep -F "$(basename "$SYSLIB_REAL")" | head -1)
	sysload2=$(cat $files | sed -n 's/.*calling init: \(.*libpmem\.so\.1\)$/\1/p' | sort -u | while read -r t; do
		[ "$(realpath -e "$t" 2>/dev/null)" = "$LIB_REAL" ] || echo "$t"; done)
	if [ "$n" -eq 0 ]; then fail "bind:$tag" "no pmem_* binding seen"
	elif [ -n "$bad" ]; then fail "bind:$tag" "pmem_* bound to:$bad"
	elif [ "$nover" -ne 0 ]; then fail "bind:$tag" "$nover pmem_* bindings without [LIBPMEM_1.0]"
	elif [ -n "$sysload2" ] || [ -n "$sysload" ]; then fail "bind:$tag" "system libpmem loaded: $sysload2 $sysload"
	else pass "bind:$tag ($n pmem_* bindings, all to $LIB)"; fi
	# keep the evidence small
	cat $files | grep -E "normal symbol \`pmem_|calling init: .*libpmem" | sort | uniq -c | sort -rn > "$OUT/ld/$tag.summary"
	rm -f $files
}
export -f sub bsub
export LIBDIR LIB OUT
# t NAME TIMEOUT cmd... : one test, output to $OUT/logs/NAME.log
t() {
	local name=$1 to=$2 rc log; shift 2
	log=${name//[^A-Za-z0-9=.-]/_}; log="$OUT/logs/${log:0:80}.log"
	timeout -k 5 "$to" bash -c '"$@"' t "$@" >"$log" 2>&1; rc=$?
	if [ $rc -eq 0 ] && grep -qE 'no version information available|symbol lookup error|ERROR: ld.so' "$log"; then
		fail "$name" "loader warning: $(grep -m1 -E 'no version information|symbol lookup error|ld.so' "$log")"; return 1
	fi
	if [ $rc -eq 0 ]; then pass "$name"; else
		[ $rc -eq 124 ] && fail "$name" "timeout after ${to}s (log $log)" || fail "$name" "rc=$rc (log $log)"
		tail -n 6 "$log" | sed 's/^/     | /'
	fi
	return $rc
}

# ---------------------------------------------------------------- build
BIN=$SCR/bin; mkdir -p "$BIN"; chmod 0755 "$BIN"
CFLAGS="-O2 -g -Wall -Wextra -Wno-clobbered -Wno-format-truncation -I$HERE/c"
build() { # name libs [extra flags]
	local n=$1 libs=$2; shift 2
	if gcc $CFLAGS "$@" -o "$BIN/$n" "$HERE/c/$n.c" $libs >"$OUT/logs/build_$n.log" 2>&1; then return 0; fi
	fail "build:$n" "(log $OUT/logs/build_$n.log)"; tail -n 5 "$OUT/logs/build_$n.log"; return 1
}
for h in libpmem.h libpmemobj.h libpmemlog.h libpmemblk.h; do
	[ -e /usr/include/$h ] || { echo "missing /usr/include/$h: apt-get install -y libpmem-dev libpmemobj-dev libpmemlog-dev libpmemblk-dev"; exit 2; }
done
BUILD_OK=1
for p in obj_client crash_obj; do build $p "-lpmemobj -lpmem" || BUILD_OK=0; done
build log_client "-lpmemlog -lpmem" || BUILD_OK=0
build blk_client "-lpmemblk -lpmem" || BUILD_OK=0
for p in rel_threads rel_fork rel_fd rel_leak; do build $p "-pthread -lpmem" || BUILD_OK=0; done
build rel_env "-lpmem -ldl" || BUILD_OK=0
HAVE_ASAN=1
if ! gcc $CFLAGS -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -o "$BIN/fuzz" "$HERE/c/fuzz.c" -lpmem >"$OUT/logs/build_fuzz.log" 2>&1; then
	HAVE_ASAN=0
	gcc $CFLAGS -o "$BIN/fuzz" "$HERE/c/fuzz.c" -lpmem >>"$OUT/logs/build_fuzz.log" 2>&1 || fail "build:fuzz"
fi
[ $BUILD_OK = 1 ] && pass "build: C clients compiled against /usr/include/libpmem*.h"

# ---------------------------------------------------------------- fio
FIO_SUMMARY=""
if want fio; then
	if ! command -v fio >/dev/null; then skip fio "fio not installed"; else
	echo "== fio ioengine=libpmem (PMEM_IS_PMEM_FORCE=1, $SCR/fio.file)"
	FIOSZ=$(q 256M 1G)
	FIORT=$(q 1 3)
	BWLOG=$OUT/fio-bandwidth.log
	printf '%-34s %12s %12s %7s\n' "job (bandwidth MiB/s)" "ours" "PMDK" "ratio" >"$BWLOG"
	# fio_job LIBMODE NAME args... -> prints bw in KiB/s (write bw for writes, read bw for reads)
	fio_job() {
		local lm=$1 name=$2 out rc; shift 2
		out=$(cd "$SCR" && PMEM_IS_PMEM_FORCE=1 sub "$lm" fio --verify_state_save=0 --name="$name" --ioengine=libpmem --filename="$SCR/fio.file" \
			--size="$FIOSZ" --output-format=terse --terse-version=3 "$@" 2>"$OUT/logs/fio_${lm}_$name.err")
		rc=$?
		echo "$out" >"$OUT/logs/fio_${lm}_$name.terse"
		if [ $rc -ne 0 ] || grep -qiE 'verify|no version information|symbol lookup' "$OUT/logs/fio_${lm}_$name.err"; then
			echo "ERR rc=$rc: $(head -c 300 "$OUT/logs/fio_${lm}_$name.err" | tr '\n' ' ')"; return 1; fi
		echo "$out" | awk -F';' 'NF > 100 { if ($5 != 0) { print "ERR error=" $5; exit 1 } r += $7; w += $48 } END { print (w > 0 ? w : r) }'
	}
	ratios=()
	for bs in 4k 128k 2m; do
		for spec in \
			"write:--rw=write --verify=crc32c --do_verify=1 --verify_fatal=1" \
			"write-direct:--rw=write --direct=1 --verify=crc32c --do_verify=1 --verify_fatal=1" \
			"write-sync:--rw=write --sync=1 --verify=crc32c --do_verify=1 --verify_fatal=1" \
			"write-fsync:--rw=write --fsync=16 --verify=crc32c --do_verify=1 --verify_fatal=1" \
			"randwrite:--rw=randwrite --verify=crc32c --do_verify=1 --verify_fatal=1" \
			"randwrite-direct:--rw=randwrite --direct=1 --verify=md5 --do_verify=1 --verify_fatal=1" \
			"randwrite-sync:--rw=randwrite --sync=1 --verify=crc32c --do_verify=1 --verify_fatal=1" \
			"read:--rw=read --time_based=1 --runtime=$FIORT" \
			"randread:--rw=randread --time_based=1 --runtime=$FIORT" \
			"read-direct:--rw=read --direct=1 --time_based=1 --runtime=$FIORT"; do
			jn=${spec%%:*}; args=${spec#*:}
			name="$jn-$bs"
			# PMDK (system, no substitution) then ours (LD_LIBRARY_PATH)
			bp=$(fio_job sys "$name" --bs="$bs" $args) || bp="ERR"
			bo=$(fio_job llp "$name" --bs="$bs" $args)
			if [[ "$bo" =~ ^[0-9]+$ ]]; then pass "fio:$name (llp)"; else fail "fio:$name (llp)" "$bo (see $OUT/logs/fio_llp_$name.*)"; fi
			[[ "$bp" =~ ^[0-9]+$ ]] || note "PMDK reference run of $name failed: $bp"
			if [[ "$bo" =~ ^[0-9]+$ && "$bp" =~ ^[0-9]+$ && "$bp" -gt 0 ]]; then
				r=$(awk -v o="$bo" -v p="$bp" 'BEGIN { printf "%.2f", o / p }'); ratios+=("$r")
			else r="-"; fi
			awk -v n="$name" -v o="$bo" -v p="$bp" -v r="$r" 'BEGIN { printf "%-34s %12s %12s %7s\n", n,
				(o ~ /^[0-9]+$/ ? sprintf("%.0f", o / 1024) : o), (p ~ /^[0-9]+$/ ? sprintf("%.0f", p / 1024) : p), r }' >>"$BWLOG"
		done
	done
	# LD_PRELOAD runs, with binding proof (also for the LD_LIBRARY_PATH way)
	for lm in preload llp; do
		out=$(cd "$SCR" && PMEM_IS_PMEM_FORCE=1 bsub $lm "fio-$lm" fio --verify_state_save=0 --name=bind --ioengine=libpmem --filename="$SCR/fio.file" --size=64M \
			--bs=128k --rw=randwrite --verify=crc32c --do_verify=1 --verify_fatal=1 --output-format=terse --terse-version=3 2>"$OUT/logs/fio_bind_$lm.err")
		rc=$?
		if [ $rc -eq 0 ] && echo "$out" | awk -F';' 'NF > 100 && $5 != 0 { exit 1 }'; then pass "fio:randwrite-verify ($lm, bindings traced)"; else fail "fio:randwrite-verify ($lm)" "rc=$rc"; fi
		check_bindings "fio-$lm"
	done
	# fio must refuse a non-pmem mapping with our library too
	if (cd "$SCR" && PMEM_IS_PMEM_FORCE=0 sub llp fio --verify_state_save=0 --name=np --ioengine=libpmem --filename="$SCR/fio.np" --size=4M --bs=4k --rw=write >"$OUT/logs/fio_nonpmem.log" 2>&1) \
		&& ! grep -q 'not point to persistent memory' "$OUT/logs/fio_nonpmem.log"; then
		fail "fio:refuses non-pmem (PMEM_IS_PMEM_FORCE=0)" "fio accepted a tmpfs mapping as pmem"
	else pass "fio:refuses non-pmem (PMEM_IS_PMEM_FORCE=0)"; fi
	rm -f "$SCR/fio.file" "$SCR/fio.np"
	if [ ${#ratios[@]} -gt 0 ]; then
		gm=$(printf '%s\n' "${ratios[@]}" | awk '{ s += log($1); n++ } END { printf "%.2f", exp(s / n) }')
		FIO_SUMMARY="fio bandwidth ours/PMDK: geometric mean ratio $gm over ${#ratios[@]} jobs (table: $BWLOG)"
		echo "$FIO_SUMMARY" >>"$BWLOG"
	fi
	cat "$BWLOG"
	fi
fi

# ---------------------------------------------------------------- pmempool
if want pmempool; then
	if ! command -v pmempool >/dev/null; then skip pmempool "pmdk-tools not installed"; else
	echo "== pmempool create/info/check"
	for lm in llp preload; do
		for force in 0 1; do
			for ty in obj blk log; do
				f=$SCR/pool.$ty.$lm.$force
				rm -f "$f"
				case $ty in
				obj) c="pmempool create obj --layout=tc --size=32M $f" ;;
				blk) c="pmempool create blk 512 --size=32M $f" ;;
				log) c="pmempool create log --size=32M $f" ;;
				esac
				tag="pmempool-$ty-$lm-f$force"
				log=$OUT/logs/$tag.log
				{
					PMEM_IS_PMEM_FORCE=$force bsub $lm "$tag" $c &&
					PMEM_IS_PMEM_FORCE=$force sub $lm pmempool info "$f" &&
					PMEM_IS_PMEM_FORCE=$force sub $lm pmempool check -v "$f"
				} >"$log" 2>&1
				rc=$?
				if [ $rc -eq 0 ] && grep -q 'consistent' "$log" && ! grep -qE 'not consistent|no version information' "$log"; then
					pass "pmempool:$ty ($lm, PMEM_IS_PMEM_FORCE=$force) create/info/check"
				else fail "pmempool:$ty ($lm, PMEM_IS_PMEM_FORCE=$force)" "rc=$rc (log $log)"; tail -n 4 "$log" | sed 's/^/     | /'; fi
				[ "$ty" = obj ] && [ "$force" = 0 ] && check_bindings "$tag" || rm -f "$OUT/ld/$tag".*
				rm -f "$f"
			done
		done
	done
	fi
fi

# ---------------------------------------------------------------- C clients
pool_check() { # MODE FILE NAME
	local log=$OUT/logs/pmempool_check_$3.log
	if sub "$1" pmempool check -v "$2" >"$log" 2>&1 && grep -q consistent "$log" && ! grep -q 'not consistent' "$log"; then
		pass "pmempool check $3 ($1)"; else fail "pmempool check $3 ($1)" "(log $log)"; fi
}
if want clients; then
	echo "== libpmemobj / libpmemlog / libpmemblk clients"
	NTX=$(q 20000 100000)
	for combo in "llp 1" "preload 0" $( [ "$MODE" = full ] && echo "llp:0 preload:1" ); do
		combo=${combo/:/ }; set -- $combo; lm=$1; force=$2
		sfx="$lm-f$force"
		export PMEM_IS_PMEM_FORCE=$force
		t "obj_client run ($sfx)" 300 bsub $lm "obj-$sfx" "$BIN/obj_client" run "$SCR/obj.$sfx" $NTX $SEED && check_bindings "obj-$sfx"
		t "obj_client verify-after-reopen ($sfx)" 120 sub $lm "$BIN/obj_client" verify "$SCR/obj.$sfx" $NTX $SEED
		pool_check $lm "$SCR/obj.$sfx" "obj-$sfx"
		t "log_client ($sfx)" 120 bsub $lm "log-$sfx" "$BIN/log_client" "$SCR/log.$sfx" 1000000 $SEED && check_bindings "log-$sfx"
		pool_check $lm "$SCR/log.$sfx" "log-$sfx"
		for bsz in 512 4096; do
			t "blk_client bsize=$bsz ($sfx)" 120 bsub $lm "blk$bsz-$sfx" "$BIN/blk_client" "$SCR/blk$bsz.$sfx" $bsz $SEED && check_bindings "blk$bsz-$sfx"
			pool_check $lm "$SCR/blk$bsz.$sfx" "blk$bsz-$sfx"
		done
		unset PMEM_IS_PMEM_FORCE
		rm -f "$SCR"/obj.* "$SCR"/log.* "$SCR"/blk*.*
	done
fi

# ---------------------------------------------------------------- crash loop
CRASH_SUMMARY=""
if want crash; then
	echo "== crash loop (SIGKILL at random points, recovery, verify)"
	for combo in "llp 1 $(q 150 400)" "preload 0 $(q 60 150)"; do
		set -- $combo; lm=$1; force=$2; it=$3
		name="crash loop ($lm, PMEM_IS_PMEM_FORCE=$force, $it kills)"
		PMEM_IS_PMEM_FORCE=$force t "$name" 400 sub $lm "$BIN/crash_obj" "$SCR/crash.$lm" "$it" "$SEED" 40000
		lg=${name//[^A-Za-z0-9=.-]/_}; line=$(grep '^crash_obj:' "$OUT/logs/${lg:0:80}.log" | head -1)
		note "$line"
		CRASH_SUMMARY="$CRASH_SUMMARY
  $lm force=$force: $line"
		if [ -e "$SCR/crash.$lm" ]; then pool_check $lm "$SCR/crash.$lm" "crash-$lm"; fi
		rm -f "$SCR/crash.$lm"
	done
fi

# ---------------------------------------------------------------- reliability
RD=$SCR/rel; mkdir -p "$RD"; chmod 0777 "$RD"
# Cases with huge lengths run on small private tmpfs mounts: on /dev/shm a library
# that allocates huge files piecewise would fill RAM (OOM). fill/ (3 GiB, larger
# than a 1 GiB allocation piece) also lets rel_fd see how much a failing call filled.
HUGE_FLAG=--no-huge; FILLDIR=$RD/fill-unmounted; SMALLDIR=$RD/small-unmounted
mkdir -p "$SCR/fill" "$SCR/small"
if mount -t tmpfs -o size=3g,mode=0777 tmpfs "$SCR/fill" 2>/dev/null && mount -t tmpfs -o size=256m,mode=0777 tmpfs "$SCR/small" 2>/dev/null; then
	HUGE_FLAG=; FILLDIR=$SCR/fill; SMALLDIR=$SCR/small
else note "cannot mount a private tmpfs (not root?): huge-length cases skipped"; fi
if want threads; then
	echo "== concurrency"
	R=$(q 1500 6000)
	mkdir -p "$RD/thr0" "$RD/thr1"
	t "threads: 8 x $R map/partial unmap/is_pmem/copy/errormsg" 300 sub llp "$BIN/rel_threads" "$RD/thr0" 8 "$R"
	PMEM_IS_PMEM_FORCE=1 t "threads: 12 x $((R / 2)) (PMEM_IS_PMEM_FORCE=1)" 300 sub llp "$BIN/rel_threads" "$RD/thr1" 12 $((R / 2))
	t "threads: 8 x $((R / 4)) via LD_PRELOAD" 300 sub preload "$BIN/rel_threads" "$RD/thr0" 8 $((R / 4))
	rm -rf "$RD/thr0" "$RD/thr1"
fi
if want fork; then
	echo "== fork"
	mkdir -p "$RD/fork"
	t "fork: child writes via shared mapping, keeps using library; fork while threads busy" 120 sub llp "$BIN/rel_fork" "$RD/fork"
	rm -rf "$RD/fork"
fi
if want fd; then
	echo "== file descriptors"
	mkdir -p "$FILLDIR/fd"
	t "fd: no fd left after any map, no leak across exec, failing huge CREATE does not fill the fs" 180 sub llp "$BIN/rel_fd" "$FILLDIR/fd" $( [ $FLAVOUR = ours ] && echo --ours ) $HUGE_FLAG
	rm -rf "$FILLDIR/fd"; mkdir -p "$RD/fd"
	if command -v strace >/dev/null; then
		if sub llp strace -f -qq -e trace=open,openat,openat2,creat -o "$OUT/logs/strace_open.log" "$BIN/rel_leak" "$RD/fd" 3 >/dev/null 2>&1; then
			nopen=$(grep -F "$RD/fd" "$OUT/logs/strace_open.log" | grep -cE '= [0-9]+$')
			nocl=$(grep -F "$RD/fd" "$OUT/logs/strace_open.log" | grep -E '= [0-9]+$' | grep -v O_CLOEXEC)
			if [ "$nopen" -gt 0 ] && [ -z "$nocl" ]; then pass "fd: all $nopen opens by the library use O_CLOEXEC (strace)"
			else fail "fd: O_CLOEXEC on every open (strace)" "$(echo "$nocl" | wc -l) opens without O_CLOEXEC, e.g. $(echo "$nocl" | head -2 | tr '\n' ' ')"; fi
		else skip "fd: O_CLOEXEC via strace" "strace not permitted here"; fi
	else skip "fd: O_CLOEXEC via strace" "strace not installed"; fi
	rm -rf "$RD/fd"
fi
if want valgrind; then
	echo "== valgrind memcheck"
	if command -v valgrind >/dev/null; then
		mkdir -p "$RD/vg"
		VR=$(q 200 1000)
		vlog=$OUT/logs/valgrind.log
		sub llp valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
			--error-exitcode=99 --log-file="$vlog" "$BIN/rel_leak" "$RD/vg" "$VR" >"$OUT/logs/valgrind.out" 2>&1
		rc=$?
		if grep -qE 'definitely lost: [1-9]' "$vlog"; then fail "valgrind: map/unmap loop, definitely lost 0" "$(grep 'definitely lost' "$vlog")"
		elif grep -qE 'All heap blocks were freed|definitely lost: 0 bytes' "$vlog" && grep -q 'rel_leak: OK' "$OUT/logs/valgrind.out"; then
			pass "valgrind: map/unmap loop x$VR, definitely lost 0"
		else fail "valgrind: map/unmap loop" "rc=$rc (log $vlog)"; fi
		if grep -q 'ERROR SUMMARY: 0 errors' "$vlog"; then pass "valgrind: no memcheck errors"
		else fail "valgrind: memcheck errors" "$(grep 'ERROR SUMMARY' "$vlog") (log $vlog)"; fi
		rm -rf "$RD/vg"
	else skip "valgrind" "valgrind not installed"; fi
fi
if want env; then
	echo "== garbage PMEM_* environment"
	mkdir -p "$RD/env" "$RD/envlog"
	LONG=$(head -c 5000 /dev/zero | tr '\0' 'A')
	GARBAGE=("" "0" "1" "2" "-1" "abc" "1abc" " 1" "0x10" "99999999999999999999999" "-9223372036854775809" "%s%n%s%n" "$LONG" $'\x01\xff\xfe' "1.5" "yes")
	for var in PMEM_IS_PMEM_FORCE PMEM_NO_CLWB PMEM_NO_CLFLUSHOPT PMEM_NO_FLUSH PMEM_NO_MOVNT PMEM_MOVNT_THRESHOLD \
		PMEM_AVX PMEM_AVX512F PMEM_NO_GENERIC_MEMCPY PMEM_WC_WORKAROUND PMEM_MMAP_HINT PMEM_LOG_LEVEL PMEM_LOG_FILE; do
		vals=("${GARBAGE[@]}")
		case $var in
		PMEM_MMAP_HINT) vals+=("0x0" "0x1000" "0x7f0000000000" "0xffffffffffffffff" "0x10000000000000000" "0x" "0xzz" "0x7fffffffe000") ;;
		PMEM_LOG_FILE) vals+=("/nonexistent-dir/x" "/" "$RD/envlog" "$RD/envlog/f-" "-" "/dev/full" "/proc/self/mem") ;;
		PMEM_MOVNT_THRESHOLD) vals+=("0" "1" "18446744073709551615" "18446744073709551616") ;;
		PMEM_LOG_LEVEL) vals+=("4" "5" "1000") ;;
		esac
		bad=0; logf=$OUT/logs/env_$var.log; : >"$logf"
		for v in "${vals[@]}"; do
			extra=()
			[ "$var" = PMEM_LOG_FILE ] && extra=(PMEM_LOG_LEVEL=4)
			[ "$var" = PMEM_LOG_LEVEL ] && extra=(PMEM_LOG_FILE="$RD/envlog/level.log")
			timeout -k 2 30 env "$var=$v" "${extra[@]}" LD_LIBRARY_PATH="$LIBDIR" "$BIN/rel_env" "$RD/env" >>"$logf" 2>&1
			rc=$?
			if [ $rc -ne 0 ]; then bad=$((bad + 1)); printf 'value %q -> rc=%d\n' "$v" $rc >>"$logf"; fi
		done
		if [ $bad -eq 0 ]; then pass "env:$var (${#vals[@]} garbage values, copies correct)"
		else fail "env:$var" "$bad of ${#vals[@]} values failed (log $logf)"; grep '^value' "$logf" | head -5 | sed 's/^/     | /'; fi
	done
	# everything garbage at once
	if timeout -k 2 30 env PMEM_IS_PMEM_FORCE=zz PMEM_NO_CLWB=zz PMEM_NO_CLFLUSHOPT=-1 PMEM_NO_FLUSH=7 PMEM_NO_MOVNT=x \
		PMEM_MOVNT_THRESHOLD=-5 PMEM_AVX=2 PMEM_AVX512F=9 PMEM_NO_GENERIC_MEMCPY=q PMEM_WC_WORKAROUND=q \
		PMEM_MMAP_HINT=0xq PMEM_LOG_LEVEL=x PMEM_LOG_FILE=/nonexistent/x LD_LIBRARY_PATH="$LIBDIR" "$BIN/rel_env" "$RD/env" >"$OUT/logs/env_all.log" 2>&1
	then pass "env: all PMEM_* garbage at once"; else fail "env: all PMEM_* garbage at once" "(log $OUT/logs/env_all.log)"; fi
	# sane non-default values must also give correct copies
	bad=0
	for kv in PMEM_NO_FLUSH=1 PMEM_NO_FLUSH=0 PMEM_NO_MOVNT=1 PMEM_MOVNT_THRESHOLD=0 PMEM_MOVNT_THRESHOLD=1 PMEM_AVX=0 PMEM_AVX512F=0 \
		PMEM_NO_GENERIC_MEMCPY=1 PMEM_WC_WORKAROUND=1 PMEM_NO_CLWB=1 PMEM_NO_CLFLUSHOPT=1 PMEM_IS_PMEM_FORCE=1 PMEM_MMAP_HINT=0x10000000000; do
		timeout -k 2 30 env "$kv" LD_LIBRARY_PATH="$LIBDIR" "$BIN/rel_env" "$RD/env" >>"$OUT/logs/env_sane.log" 2>&1 || { bad=$((bad + 1)); echo "$kv failed" >>"$OUT/logs/env_sane.log"; }
	done
	[ $bad -eq 0 ] && pass "env: valid non-default settings keep copies correct" || fail "env: valid non-default settings" "$bad failed (log $OUT/logs/env_sane.log)"
	rm -rf "$RD/env" "$RD/envlog"
fi
if want suid; then
	echo "== PMEM_LOG_FILE and secure_getenv"
	SD=$SCR/suid; mkdir -p "$SD"; chmod 0777 "$SD"
	if gcc $CFLAGS -o "$SD/probe" "$HERE/c/rel_env.c" -Wl,-rpath,"$LIBDIR" -Wl,--disable-new-dtags -lpmem -ldl >"$OUT/logs/build_suid.log" 2>&1; then
		cp "$SD/probe" "$SD/probe-suid"; chown root:root "$SD/probe-suid"; chmod 4755 "$SD/probe-suid"
		who=$(setpriv --reuid=65534 --regid=65534 --clear-groups env PMEM_LOG_LEVEL=4 PMEM_LOG_FILE="$SD/suid.log" "$SD/probe-suid" --whoami 2>"$OUT/logs/suid.err")
		rc=$?
		if [ $rc -ne 0 ] || [ "$(realpath -e "$(echo "$who" | head -1)" 2>/dev/null)" != "$LIB_REAL" ]; then
			skip "suid: PMEM_LOG_FILE ignored by setuid programs" "setuid probe did not run with the library under test (rc=$rc, got '$who')"
		elif [ -e "$SD/suid.log" ]; then fail "suid: PMEM_LOG_FILE ignored by setuid programs" "log file created by a setuid program (secure_getenv not used)"
		else pass "suid: PMEM_LOG_FILE ignored by setuid programs"; fi
		# control: not setuid -> our build honours PMEM_LOG_FILE (PMDK's release build never does)
		rm -f "$SD"/plain.log "$SD"/dash-*
		env PMEM_LOG_LEVEL=4 PMEM_LOG_FILE="$SD/plain.log" "$SD/probe" --whoami >/dev/null 2>&1
		env PMEM_LOG_LEVEL=4 PMEM_LOG_FILE="$SD/dash-" "$SD/probe" --whoami >/dev/null 2>&1
		if [ $FLAVOUR = ours ]; then
			[ -s "$SD/plain.log" ] && pass "log: PMEM_LOG_FILE honoured (non-setuid)" || fail "log: PMEM_LOG_FILE honoured (non-setuid)" "no log written to $SD/plain.log"
			ls "$SD"/dash-[0-9]* >/dev/null 2>&1 && pass "log: PMEM_LOG_FILE trailing '-' appends the pid" || fail "log: PMEM_LOG_FILE trailing '-' appends the pid" "no $SD/dash-<pid>"
		else skip "log: PMEM_LOG_FILE honoured" "PMDK release build ignores PMEM_LOG_FILE"; fi
	else skip "suid" "cannot build probe"; fi
	rm -rf "$SD"
fi
if want fuzz; then
	echo "== fuzz (ASan/UBSan: $HAVE_ASAN)"
	FZ=$SMALLDIR/fz
	mkdir -p "$FZ"
	FS=$(q 20 60)
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	t "fuzz: pmem_map_file arguments (${FS}s, seed $SEED)" $((FS + 60)) sub llp "$BIN/fuzz" map "$FZ" "$SEED" 100000000 "$FS" $( [ $FLAVOUR = ours ] && echo --null ) $HUGE_FLAG
	rm -rf "$FZ"; mkdir -p "$FZ"
	t "fuzz: memops lengths/alignments/overlaps/flags (${FS}s, seed $SEED)" $((FS + 60)) sub llp "$BIN/fuzz" mem "$FZ" "$SEED" 100000000 "$FS"
	# informational: same map sequence against the system PMDK, outcomes diffed
	rm -rf "$FZ"; mkdir -p "$FZ"
	N=3000
	sub llp "$BIN/fuzz" map "$FZ" $((SEED + 1)) $N 60 $HUGE_FLAG >"$OUT/logs/fuzzdiff_test.out" 2>/dev/null
	rm -rf "$FZ"; mkdir -p "$FZ"
	sub sys "$BIN/fuzz" map "$FZ" $((SEED + 1)) $N 60 $HUGE_FLAG >"$OUT/logs/fuzzdiff_pmdk.out" 2>/dev/null
	nd=$(diff "$OUT/logs/fuzzdiff_pmdk.out" "$OUT/logs/fuzzdiff_test.out" | grep -c '^>')
	diff "$OUT/logs/fuzzdiff_pmdk.out" "$OUT/logs/fuzzdiff_test.out" >"$OUT/logs/fuzzdiff.diff"
	note "informational: $N fuzzed pmem_map_file calls, outcome differs from system PMDK in $nd (see $OUT/logs/fuzzdiff.diff)"
	rm -rf "$FZ"
	unset ASAN_OPTIONS UBSAN_OPTIONS
fi

# ---------------------------------------------------------------- summary
echo
echo "== summary (library $LIB, $FLAVOUR flavour, $(( $(date +%s) - T_START ))s)"
[ -n "$FIO_SUMMARY" ] && echo "$FIO_SUMMARY"
[ -n "$CRASH_SUMMARY" ] && echo "crash loop:$CRASH_SUMMARY"
[ $SKIP -gt 0 ] && echo "$SKIP skipped"
for f in "${FAILED[@]}"; do echo "  failed: $f"; done
echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
