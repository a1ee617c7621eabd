#!/bin/bash
# Runs inside the test chroot (tests/deb/run.sh copies it to /t), with an empty environment.
#
# usage: in-chroot.sh state ours|debian   which packages are installed, who owns libpmem.so.1
#        in-chroot.sh dev                 libpmem-rs-dev: pkg-config builds, the clients build
#        in-chroot.sh consumers ours|debian
#                                         pmempool, the libpmemobj/blk/log clients and fio run,
#                                         and the library they loaded is the expected one
# Prints one PASS/FAIL line per check.
set -u
export LC_ALL=C
MA=$(gcc -print-multiarch)
LIB=/usr/lib/$MA/libpmem.so.1
BIN=/t/bin
SEED=20261203
# Debian's packages that use libpmem.so.1 or libpmem-dev: each must stay installed throughout.
CONSUMERS="libpmemobj1 libpmemblk1 libpmemlog1 libpmempool1 pmdk-tools fio
	libpmemobj-dev libpmemblk-dev libpmemlog-dev libpmempool-dev"

pass() { printf 'PASS %s\n' "$1"; }
fail() { printf 'FAIL %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 8 | sed 's/^/     | /'; }
# check NAME cmd...: PASS when cmd exits 0, else FAIL with its output
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
installed() { [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]; }

state() {
	local flav=$1 want gone p missing='' owner real cached out
	if [ "$flav" = ours ]; then want="libpmem1-rs libpmem-rs-dev" gone="libpmem1 libpmem-dev"
	else want="libpmem1 libpmem-dev" gone="libpmem1-rs libpmem-rs-dev"; fi
	for p in $want; do installed "$p" || missing="$missing $p"; done
	for p in $gone; do ! installed "$p" || missing="$missing (still installed: $p)"; done
	[ -z "$missing" ] && pass "$flav: $want installed, $gone not" || fail "$flav: packages:$missing"
	missing=''
	for p in $CONSUMERS; do installed "$p" || missing="$missing $p"; done
	[ -z "$missing" ] && pass "$flav: every consumer still installed ($(echo $CONSUMERS | wc -w) packages)" ||
		fail "$flav: consumers no longer installed:$missing"
	check "$flav: apt-get check (every dependency satisfied)" apt-get -q check
	check "$flav: dpkg --audit finds nothing" bash -c '[ -z "$(dpkg --audit)" ]'
	if [ "$flav" = ours ]; then
		# An upgrade must keep ours: nothing asks for Debian's libpmem1 back.
		out=$(apt-get -s -q dist-upgrade 2>&1)
		if grep -qE '^(Inst|Remv) libpmem' <<<"$out"; then fail "ours: apt-get dist-upgrade would swap libpmem" "$(grep -E '^(Inst|Remv) libpmem' <<<"$out")"
		else pass "ours: apt-get -s dist-upgrade keeps libpmem1-rs"; fi
	fi
	real=$(readlink -f "$LIB")
	owner=$(dpkg -S "$real" 2>/dev/null | cut -d: -f1)
	want=${want%% *}
	# The loader's cache may name it through /lib (merged /usr): compare the files.
	cached=$(ldconfig -p | awk '$1 == "libpmem.so.1" { print $NF }')
	if [ "$owner" = "$want" ] && [ "$(readlink -f "$cached")" = "$real" ]; then
		pass "$flav: $LIB -> $real, from $owner, the one libpmem.so.1 in the loader's cache"
	else
		fail "$flav: libpmem.so.1 is $real from '$owner' (expected $want)" "$(ldconfig -p | grep libpmem.so)"
	fi
}

dev() {
	local d=/dev/shm/dev p cflags libs
	mkdir -p "$d" "$BIN"
	check "dev: libpmem.h, libpmem.so, libpmem.a, libpmem.pc from libpmem-rs-dev" bash -c "
		for f in /usr/include/libpmem.h /usr/lib/$MA/libpmem.so /usr/lib/$MA/libpmem.a /usr/lib/$MA/pkgconfig/libpmem.pc; do
			[ \"\$(dpkg -S \$f | cut -d: -f1)\" = libpmem-rs-dev ] || { dpkg -S \$f; exit 1; }
		done"
	if [ "$(pkg-config --modversion libpmem)" = 1.12.1 ] && [ "$(pkg-config --variable=libdir libpmem)" = "/usr/lib/$MA" ]; then
		pass "dev: pkg-config libpmem: version 1.12.1, libdir /usr/lib/$MA"
	else fail "dev: pkg-config libpmem" "$(pkg-config --modversion --variable=libdir libpmem 2>&1)"; fi
	cflags=$(pkg-config --cflags libpmem) libs=$(pkg-config --libs libpmem)
	check "dev: gcc pkgconfig_user.c \$(pkg-config --cflags --libs libpmem) and run it" bash -c "
		gcc -Wall -Werror -o $BIN/pu /t/pkgconfig_user.c $cflags $libs && $BIN/pu $d/pu.shared"
	libs=$(pkg-config --static --libs libpmem)
	check "dev: gcc -static ... \$(pkg-config --static --cflags --libs libpmem) (libpmem.a) and run it" bash -c "
		gcc -static -Wall -Werror -o $BIN/pu-static /t/pkgconfig_user.c $cflags $libs && $BIN/pu-static $d/pu.static"
	# PMDK's own client libraries' -dev packages with our header: the clients of tests/clients.
	for p in "obj_client -lpmemobj" "log_client -lpmemlog" "blk_client -lpmemblk"; do
		set -- $p
		check "dev: $1 builds against lib${2#-l}-dev and our libpmem.h" \
			gcc -O2 -Wall -Wno-clobbered -I/t/clients -o "$BIN/$1" "/t/clients/$1.c" "$2" -lpmem
	done
	rm -rf "$d"
}

# The dispatch line our library logs at PMEM_LOG_LEVEL=3 (PMDK's release build logs nothing).
DISPATCH_RE='flush: .*drain: .*copy: '

consumers() {
	local flav=$1 d=/dev/shm/$1 ty f log pid n maps_ino file_ino
	mkdir -p "$d"
	cd "$d" || return
	# pmempool create/info/check on each pool type, with our log line as the proof of loading.
	for ty in obj blk log; do
		f=$d/pool.$ty log=$d/create.$ty.log
		case $ty in
		obj) set -- create obj --layout=tc --size=32M "$f" ;;
		blk) set -- create blk 512 --size=32M "$f" ;;
		log) set -- create log --size=32M "$f" ;;
		esac
		out=$({ PMEM_LOG_LEVEL=3 PMEM_LOG_FILE=$log pmempool "$@" && pmempool info "$f" >/dev/null &&
			pmempool check -v "$f"; } 2>&1)
		rc=$?
		if [ $rc = 0 ] && grep -q consistent <<<"$out" && ! grep -q 'not consistent' <<<"$out"; then
			pass "$flav: pmempool create/info/check $ty"
		else fail "$flav: pmempool create/info/check $ty (rc $rc)" "$out"; fi
		if [ "$flav" = ours ]; then
			grep -qE "$DISPATCH_RE" "$log" 2>/dev/null && pass "$flav: pmempool create $ty loaded ours: $(grep -m1 -oE "$DISPATCH_RE.*" "$log" | cut -c1-60)..." ||
				fail "$flav: pmempool create $ty: no dispatch line in PMEM_LOG_FILE" "$(cat "$log" 2>&1)"
		else
			! grep -qE "$DISPATCH_RE" "$log" 2>/dev/null && pass "$flav: pmempool create $ty: no dispatch line (PMDK's)" ||
				fail "$flav: pmempool create $ty logged our dispatch line"
		fi
	done

	# The libpmemobj/blk/log clients, on pmem-forced tmpfs (the flush paths run).
	export PMEM_IS_PMEM_FORCE=1
	check "$flav: obj_client run (2000 transactions)" "$BIN/obj_client" run "$d/obj" 2000 $SEED
	check "$flav: obj_client verify after reopen" "$BIN/obj_client" verify "$d/obj" 2000 $SEED
	check "$flav: log_client (100000 records)" "$BIN/log_client" "$d/log" 100000 $SEED
	for n in 512 4096; do check "$flav: blk_client bsize=$n" "$BIN/blk_client" "$d/blk$n" $n $SEED; done
	for f in obj log blk512 blk4096; do
		check "$flav: pmempool check $f pool" bash -c "pmempool check -v $d/$f | grep -q consistent && ! pmempool check $d/$f | grep -q 'not consistent'"
	done
	if [ "$flav" = debian ] && [ -e /dev/shm/ours/obj ]; then
		check "debian: obj_client verify of the pool written with ours" "$BIN/obj_client" verify /dev/shm/ours/obj 2000 $SEED
		check "debian: pmempool check of the blk pool written with ours" bash -c "pmempool check -v /dev/shm/ours/blk4096 | grep -q consistent"
	fi

	# fio's libpmem engine, with verify.
	out=$(fio --name=verify --ioengine=libpmem --filename="$d/fio.file" --size=64M --bs=128k --rw=randwrite \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 2>&1)
	rc=$?
	if [ $rc = 0 ] && grep -q 'err= 0' <<<"$out" && ! grep -qi 'verify.*fail\|bad magic' <<<"$out"; then
		pass "$flav: fio ioengine=libpmem randwrite 64M, verify=crc32c"
	else fail "$flav: fio ioengine=libpmem verify (rc $rc)" "$out"; fi

	# The library a running fio has mapped: the file the packages installed (same inode).
	fio --name=maps --ioengine=libpmem --filename="$d/fio.maps" --size=16M --bs=4k --rw=randwrite \
		--time_based=1 --runtime=4 >/dev/null 2>&1 &
	pid=$!
	maps_ino=''
	for n in 1 2 3 4 5 6 7 8 9 10; do
		maps_ino=$(awk '$6 ~ /\/libpmem\.so/ { print $5; exit }' /proc/$pid/maps 2>/dev/null)
		[ -z "$maps_ino" ] || break
		sleep 0.3
	done
	file_ino=$(stat -L -c %i "$LIB")
	mapped=$(awk '$6 ~ /\/libpmem\.so/ { print $6; exit }' /proc/$pid/maps 2>/dev/null)
	wait $pid
	owner=$(dpkg -S "$(readlink -f "$LIB")" 2>/dev/null | cut -d: -f1)
	if [ -n "$maps_ino" ] && [ "$maps_ino" = "$file_ino" ]; then
		pass "$flav: /proc/<fio>/maps: $mapped, inode $maps_ino = the file $owner installed"
	else fail "$flav: /proc/<fio>/maps shows libpmem inode '$maps_ino', installed file's is $file_ino"; fi
	unset PMEM_IS_PMEM_FORCE
	cd / && rm -f "$d"/fio.* "$d"/pool.* "$d"/*.log
	# The ours pools stay for the debian phase to read.
	[ "$flav" = ours ] || rm -rf "$d" /dev/shm/ours
}

case ${1:-} in
state) state "$2" ;;
dev) dev ;;
consumers) consumers "$2" ;;
*) echo "usage: $0 state|dev|consumers [ours|debian]" >&2; exit 2 ;;
esac
