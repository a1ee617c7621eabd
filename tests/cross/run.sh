#!/usr/bin/env bash
# tests/cross/run.sh -- the suite for one other architecture, run inside the chroot that
# tests/cross/chroot.sh makes (`make test-cross` runs it for each of CROSS_ARCHS). Target
# programs run under qemu-user, directly (the chroot registers it with binfmt_misc).
#
#   rust     the libpmem crate's unit and doc tests
#   lib      libpmem.so.1 and libpmem.a for the target (CARGO_BUILD_TARGET=<triple> make, into
#            build/<triple>/): the SONAME and exactly the LIBPMEM_1.0 exports of libpmem.map
#   c        tests-c against the target's Debian PMDK (differential, static, ABI)
#   clients  the target's pmempool and a libpmemobj program (obj.c) running on ours
#   deb      tests/cross/deb.sh, when there is one: the target's packages over its libpmem1
#
# CROSS_STEPS="rust lib ..." runs only those (lib builds what c and clients test); VERBOSE=1
# shows every step's output. Prints PASS/FAIL per step with its time, "N passed, N failed" last;
# exits 1 on a failure.
# CARGO_TARGET_DIR defaults to target/cross/<arch>, so that architectures do not rebuild each
# other's output nor the native one's.
set -uo pipefail
: "${CROSS_TARGET:?run through make test-cross (tests/cross/chroot.sh)}" "${CROSS_GNU:?}" "${CROSS_ARCH:?}"
cd "$(dirname "$0")/../.."
REPO=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target/cross/$CROSS_ARCH}
LIBDIR=$REPO/build/$CROSS_TARGET
# never inherit settings that change libpmem's behaviour
# shellcheck source=../env-scrub.sh
. "$REPO/tests/env-scrub.sh"

PASS=0 FAIL=0
LOGS=$(mktemp -d /tmp/cross-run.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }
# step NAME FUNCTION: runs it with its output in a log, shown when it fails (or VERBOSE=1).
step() {
	local name=$1 t0=$EPOCHREALTIME log=$LOGS/$1.log
	echo "== $CROSS_ARCH: $name"
	"$2" >"$log" 2>&1
	local rc=$?
	if [ $rc = 0 ]; then
		PASS=$((PASS + 1))
		[ "${VERBOSE:-0}" != 1 ] || cat "$log"
		echo "PASS $CROSS_ARCH $name ($(secs "$t0") s)"
		summary "$log"
	else
		FAIL=$((FAIL + 1))
		tail -n "${TAIL:-60}" "$log"
		echo "FAIL $CROSS_ARCH $name ($(secs "$t0") s)"
	fi
	return $rc
}
# The lines of a step's log worth showing on success.
summary() { grep -E '^(test result:|reference:|[0-9]+ passed, [0-9]+ failed|cross: )' "$1" | sed 's/^\(cross: \)\{0,1\}/    /'; }

rust() {
	cargo test --release --target "$CROSS_TARGET" -p libpmem
}

lib() {
	CARGO_BUILD_TARGET=$CROSS_TARGET make all || return 1
	local so=$LIBDIR/libpmem.so.1 want got
	want=$(grep -o 'pmem_[a-z0-9_]*' libpmem.map | sort)
	# The version is not always next to the name: ppc64le's objdump puts the local entry point's
	# offset between them.
	got=$("$CROSS_GNU-objdump" -T "$so" |
		awk '$NF ~ /^pmem_/ { for (i = 1; i < NF; i++) if ($i == "LIBPMEM_1.0") { print $NF; break } }' | sort)
	if [ "$got" != "$want" ]; then
		diff <(echo "$want") <(echo "$got")
		echo "$so: exports differ from libpmem.map"
		return 1
	fi
	"$CROSS_GNU-readelf" -d "$so" | grep -q 'SONAME.*\[libpmem\.so\.1\]' || { echo "$so: SONAME is not libpmem.so.1"; return 1; }
	echo "cross: $(echo "$got" | wc -l) pmem_* exports at LIBPMEM_1.0, SONAME libpmem.so.1"
}

# tests-c as on x86-64, the target's Debian PMDK the reference; `make install` in its ABI part
# installs the target's build (CARGO_BUILD_TARGET).
c() {
	CARGO_BUILD_TARGET=$CROSS_TARGET PMEM_LIBDIR=$LIBDIR REF_LIBDIR=/usr/lib/$CROSS_GNU bash tests-c/run.sh
}

# Debian's pmempool and a libpmemobj program, both of the target, on our libpmem.so.1 through
# LD_LIBRARY_PATH. Ours is told apart by what only it does: it logs with PMEM_LOG_LEVEL in a
# release build (PMDK's release build logs nothing), and by the file mapped (obj.c prints it).
clients() ( # a subshell: its LD_LIBRARY_PATH must not reach the deb step
	local d=/dev/shm/cross-clients ok=0 ours
	rm -rf "$d" && mkdir -p "$d" || return 1
	ours=$(readlink -f "$LIBDIR/libpmem.so.1")
	export LD_LIBRARY_PATH=$LIBDIR PMEM_IS_PMEM_FORCE=1
	PMEM_LOG_LEVEL=2 PMEM_LOG_FILE=$d/log pmempool create --layout=cross obj "$d/pool" &&
		pmempool info "$d/pool" >"$d/info" && grep -q 'Layout.*cross' "$d/info" &&
		pmempool check -v "$d/pool" && pmempool rm "$d/pool" || ok=1
	if grep -q '^<libpmem>: <2>' "$d/log" 2>/dev/null; then
		echo "cross: pmempool create/info/check/rm ran on ours: $(grep -m1 'cpu class' "$d/log")"
	else
		echo "pmempool did not log through our libpmem (PMEM_LOG_LEVEL): another libpmem ran"
		ok=1
	fi
	"$CROSS_GNU-gcc" -std=c11 -O2 -Wall -Wextra -Werror -I"$REPO/include" -o "$d/obj" tests/cross/obj.c \
		-lpmemobj -L"$LIBDIR" -lpmem || return 1
	"$d/obj" "$d/objpool" >"$d/obj.out" || ok=1
	sed 's/^/cross: /' "$d/obj.out"
	grep -qx 'obj: ok [0-9]*' "$d/obj.out" || ok=1
	if [ "$(readlink -f "$(sed -n 's/^libpmem: //p' "$d/obj.out")")" != "$ours" ]; then
		echo "libpmemobj did not run on ours ($ours)"
		ok=1
	fi
	pmempool check "$d/objpool" || ok=1
	rm -rf "$d"
	return $ok
)

deb() {
	bash tests/cross/deb.sh
}

echo "cross: $CROSS_ARCH ($CROSS_TARGET), $(rustc --version), $(qemu-"$CROSS_ARCH" --version | head -1)"
STEPS=" ${CROSS_STEPS:-rust lib c clients deb} "
for s in rust lib c clients deb; do
	[[ $STEPS == *" $s "* ]] || continue
	# c and clients test the library lib built; the deb step comes last, as it replaces the
	# chroot's libpmem1 (in this run's layer only)
	case $s in
	deb) [ -f tests/cross/deb.sh ] || continue ;;&
	c | clients | deb) [ -z "${NO_LIB:-}" ] && [ -e "$LIBDIR/libpmem.so.1" ] ||
		{ FAIL=$((FAIL + 1)); echo "FAIL $CROSS_ARCH $s: not run, no library built"; continue; } ;;
	esac
	step $s $s || { [ $s != lib ] || NO_LIB=1; }
done
echo "$CROSS_ARCH: $PASS passed, $FAIL failed"
[ $FAIL = 0 ]
