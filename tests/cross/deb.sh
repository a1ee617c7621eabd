#!/bin/bash
# Inside a cross chroot (as root; CROSS_TARGET, CROSS_GNU, CROSS_DEB_ARCH, CC/CROSS_COMPILE for
# the target; target programs run through qemu-user; Debian's libpmem1, libpmem-dev and
# pmdk-tools for the target installed): `make deb` for the target, its two packages installed
# over Debian's libpmem1/libpmem-dev with apt, every other PMDK package kept, and then:
#   - the /usr/lib/<multiarch>/libpmem.so.1 the loader finds is ours: owned by libpmem1-rs, the
#     file of our .deb, the library this build linked (stripped the same way), and pmempool
#     loading it logs our dispatch line (PMDK's release build logs nothing);
#   - the target's pmempool create/info/check on obj, blk and log pools;
#   - a program builds with the target's pkg-config against libpmem-rs-dev (shared and -static)
#     and runs;
#   - apt puts Debian's libpmem1/libpmem-dev back, and its pmempool checks the pools ours wrote.
# Prints PASS/FAIL lines and "N passed, N failed" last; exits non-zero on any failure.
set -uo pipefail
export LC_ALL=C
: "${CROSS_TARGET:?run in a cross chroot}" "${CROSS_GNU:?}" "${CROSS_DEB_ARCH:?}"
cd "$(dirname "$0")/../.."
REPO=$PWD
A=$CROSS_DEB_ARCH MA=$CROSS_GNU
LIB=/usr/lib/$MA/libpmem.so.1
OUT=$REPO/build/$CROSS_TARGET/deb
D=$(mktemp -d /tmp/deb-cross.XXXXXX)
trap 'rm -rf "$D"' EXIT
export DEBIAN_FRONTEND=noninteractive

PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); printf 'PASS %s: %s\n' "$A" "$1"; }
fail() { FAIL=$((FAIL + 1)); printf 'FAIL %s: %s\n' "$A" "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 12 | sed 's/^/     | /'; }
check() { # NAME cmd...: PASS when cmd exits 0, else FAIL with its output
	local name=$1 out; shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
finish() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" = 0 ] && [ "$PASS" -gt 0 ]; exit; }
abort() { fail "$@"; finish; }
# The target's programs with an empty environment but qemu's own settings (the chroot's
# QEMU_SET_ENV preload runs the flush instructions qemu refuses on some architectures).
clean() { env -i PATH="$PATH" ${QEMU_SET_ENV:+"QEMU_SET_ENV=$QEMU_SET_ENV"} ${QEMU_CPU:+"QEMU_CPU=$QEMU_CPU"} "$@"; }
installed() { [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]; }

# ------------------------------------------------------------------ what is there before
for p in "libpmem1:$A" "libpmem-dev:$A" pmdk-tools; do
	installed "$p" || abort "Debian's $p is not installed: nothing to replace"
done
# The package lists of now: the layer's may name versions the mirror no longer has.
apt-get -q update >/dev/null 2>&1 || echo "apt-get update failed: the lists of the layer's build stay"
# dpkg-dev for make deb (dpkg-shlibdeps, dpkg-architecture); the base chroot has only dpkg.
if ! command -v dpkg-shlibdeps >/dev/null; then
	out=$(apt-get install -y -q --no-install-recommends dpkg-dev 2>&1) || abort "apt-get install dpkg-dev" "$out"
fi
# Every installed package that needs libpmem1 or libpmem-dev (libpmemobj1, pmdk-tools...): each
# must stay installed, its dependency satisfied by ours.
CONSUMERS=$(dpkg-query -W -f='${db:Status-Abbrev}|${Package}:${Architecture}|${Depends}\n' |
	awk -F'|' '$1 == "ii " && $3 ~ /(^|, )libpmem(1|-dev)( |,|$)/ { print $2 }' | sort)
grep -q '^pmdk-tools:' <<<"$CONSUMERS" || abort "no consumer of libpmem1 found (pmdk-tools?)" "$CONSUMERS"
# A multiarch system: Debian's libpmem1 of the build machine's architecture must stay installed
# and intact beside ours (libpmem1-rs conflicts with its own architecture's only).
OTHER=''
NA=$(dpkg --print-architecture)
if [ "$NA" != "$A" ]; then
	if installed "libpmem1:$NA" || apt-get install -y -q --no-install-recommends "libpmem1:$NA" >/dev/null 2>&1; then
		OTHER=libpmem1:$NA
	else echo "     (libpmem1:$NA cannot be installed: the multiarch check is skipped)"; fi
fi
echo "== $A: Debian's libpmem1 $(dpkg-query -W -f='${Version}' "libpmem1:$A"), consumers:" $CONSUMERS

# ------------------------------------------------------------------ make deb
echo "== $A: CARGO_BUILD_TARGET=$CROSS_TARGET make deb"
if ! out=$(CARGO_BUILD_TARGET=$CROSS_TARGET make --no-print-directory deb 2>&1); then
	abort "CARGO_BUILD_TARGET=$CROSS_TARGET make deb" "$out"
fi
grep '^deb: ' <<<"$out"
RT=$(ls "$OUT"/libpmem1-rs_*_"$A".deb 2>/dev/null) DEV=$(ls "$OUT"/libpmem-rs-dev_*_"$A".deb 2>/dev/null)
[ -f "$RT" ] && [ -f "$DEV" ] || abort "make deb made no $A packages in $OUT" "$(ls -l "$OUT")"
pass "make deb: $(basename "$RT") $(basename "$DEV")"

# make install for the target: the library in PREFIX's multiarch directory (the default for a
# cross build), the .pc naming it, the header and man pages as for a native install.
I=$D/inst P=/usr/local
if out=$(CARGO_BUILD_TARGET=$CROSS_TARGET make --no-print-directory install PREFIX=$P DESTDIR="$I" 2>&1); then
	bad=''
	for f in "lib/$MA/libpmem.so.1.0.0" "lib/$MA/libpmem.so.1" "lib/$MA/libpmem.so" "lib/$MA/libpmem.a" \
		"lib/$MA/pkgconfig/libpmem.pc" include/libpmem.h share/man/man7/libpmem.7 share/man/man3/pmem_map_file.3; do
		[ -e "$I$P/$f" ] || bad="$bad no $P/$f;"
	done
	[ ! -e "$I$P/lib/libpmem.so.1" ] || bad="$bad $P/lib/libpmem.so.1 (the native place);"
	grep -qx "libdir=$P/lib/$MA" "$I$P/lib/$MA/pkgconfig/libpmem.pc" 2>/dev/null || bad="$bad libpmem.pc's libdir is not $P/lib/$MA;"
	"${CROSS_COMPILE:-$MA-}readelf" -h "$I$P/lib/$MA/libpmem.so.1.0.0" 2>/dev/null | grep -q "Machine:.*$(
		"${CROSS_COMPILE:-$MA-}readelf" -h "$(command -v pmempool)" | awk -F: '/Machine/ { gsub(/^ +/, "", $2); print $2 }')" ||
		bad="$bad libpmem.so.1.0.0 is not a target ELF file;"
	[ -z "$bad" ] && pass "make install PREFIX=$P: $P/lib/$MA/libpmem.so*, .a, pkgconfig/libpmem.pc; include, man" ||
		fail "make install PREFIX=$P:$bad" "$(cd "$I" && find . | sort | grep -v /man/)"
else fail "CARGO_BUILD_TARGET=$CROSS_TARGET make install" "$out"; fi

# The packages: the target's architecture, its multiarch paths, Provides what Debian's own
# libraries depend on, Depends on the target's libc6 only, the symbols and shlibs files.
bad=''
for f in "$RT" "$DEV"; do
	[ "$(dpkg-deb -f "$f" Architecture)" = "$A" ] || bad="$bad $(basename "$f"): Architecture $(dpkg-deb -f "$f" Architecture);"
done
want_rt="./usr/lib/$MA/libpmem.so.1 ./usr/lib/$MA/libpmem.so.1.0.0"
got_rt=$(dpkg-deb -c "$RT" | awk '$6 ~ /^\.\/usr\/lib\// && $6 !~ /\/$/ { print $6 }' | sort | tr '\n' ' ')
[ "$got_rt" = "$want_rt " ] || bad="$bad libpmem1-rs holds '$got_rt', not '$want_rt';"
for f in "./usr/lib/$MA/libpmem.so" "./usr/lib/$MA/libpmem.a" "./usr/lib/$MA/pkgconfig/libpmem.pc" ./usr/include/libpmem.h; do
	dpkg-deb -c "$DEV" | awk '{ print $6 }' | grep -qxF "$f" || bad="$bad libpmem-rs-dev lacks $f;"
done
[ -z "$bad" ] && pass "packages: Architecture $A, files in /usr/lib/$MA/" || fail "packages:$bad"
need=$(dpkg-query -W -f='${Depends}' "libpmemobj1:$A" 2>/dev/null | grep -oE '(^|, )libpmem1 \([^)]*\)' | sed 's/^, //')
have=$(dpkg-deb -f "$RT" Provides)
[ -n "$need" ] && [ "$need" = "$have" ] && pass "libpmem1-rs Provides: $have, as Debian's libpmemobj1:$A depends" ||
	fail "libpmemobj1:$A depends on '$need'; libpmem1-rs Provides: '$have'"
dep=$(dpkg-deb -f "$RT" Depends)
[[ $dep =~ ^libc6\ \(\>=\ [0-9.]+\)$ ]] && pass "libpmem1-rs Depends: $dep (dpkg-shlibdeps, the target's libc6)" ||
	fail "libpmem1-rs Depends: '$dep' (expected libc6 (>= ...) only)"
if cmp -s "/var/lib/dpkg/info/libpmem1:$A.shlibs" <(dpkg-deb -I "$RT" shlibs) &&
	[ -z "$(comm -23 <(awk '/^ / { print $1, $2 }' "/var/lib/dpkg/info/libpmem1:$A.symbols" | sort) \
		<(dpkg-deb -I "$RT" symbols | awk '/^ / { print $1, $2 }' | sort))" ]; then
	pass "shlibs and symbols: Debian's libpmem1:$A's line and symbol versions"
else fail "shlibs or symbols differ from Debian's libpmem1:$A" "$(diff "/var/lib/dpkg/info/libpmem1:$A.shlibs" <(dpkg-deb -I "$RT" shlibs))"; fi

# Lintian reads the target's ELF files as well as the build machine's: every tag, as test-deb.
if [ "${CROSS_DEB_LINTIAN:-1}" = 1 ]; then
	command -v lintian >/dev/null ||
		out=$(apt-get install -y -q --no-install-recommends lintian 2>&1) || fail "apt-get install lintian" "$out"
	if command -v lintian >/dev/null; then
		out=$(lintian --fail-on error,warning,info,pedantic,experimental --display-info --display-experimental \
			--pedantic "$RT" "$DEV" 2>&1)
		rc=$?
		out=$(grep -v 'running with root privileges' <<<"$out")
		if [ $rc = 0 ] && ! grep -qE '^[EWIPX]: ' <<<"$out"; then
			pass "lintian $(lintian --version | awk '{ print $2 }') (info, pedantic, experimental): no tag outside the overrides"
		else fail "lintian: tags not overridden, or lintian failed (exit $rc)" "$out"; fi
	fi
fi

# ------------------------------------------------------------------ swapped in
echo "== $A: apt-get install ./$(basename "$RT") ./$(basename "$DEV")"
cp "$RT" "$DEV" "$D/"
if out=$(apt-get install -y -q --no-install-recommends "$D/$(basename "$RT")" "$D/$(basename "$DEV")" 2>&1); then
	pass "apt-get install of our two packages"
	grep -E '^(Removing|Unpacking|Setting up) ' <<<"$out" | sed 's/^/     > /'
else abort "apt-get install of our two packages" "$out"; fi
missing=''
for p in "libpmem1-rs:$A" "libpmem-rs-dev:$A"; do installed "$p" || missing="$missing $p"; done
for p in "libpmem1:$A" "libpmem-dev:$A"; do ! installed "$p" || missing="$missing (still installed: $p)"; done
[ -z "$missing" ] && pass "libpmem1-rs, libpmem-rs-dev installed; Debian's libpmem1, libpmem-dev removed" || fail "packages:$missing"
missing=''
for p in $CONSUMERS; do case $p in libpmem-dev:*) continue ;; esac; installed "$p" || missing="$missing $p"; done
[ -z "$missing" ] && pass "every other consumer still installed: $(grep -v '^libpmem-dev:' <<<"$CONSUMERS" | tr '\n' ' ')" ||
	fail "consumers no longer installed:$missing"
check "apt-get check (every dependency satisfied)" apt-get -q check
[ -z "$OTHER" ] || check "$OTHER (another architecture) still installed, its files intact" \
	bash -c "[ \"\$(dpkg-query -W -f='\${db:Status-Abbrev}' $OTHER)\" = 'ii ' ] && dpkg --verify $OTHER"
check "dpkg --audit finds nothing" bash -c '[ -z "$(dpkg --audit)" ]'

# Ours, three ways: dpkg's owner and the file the target's loader resolves for pmempool (the
# host's ldconfig caches no foreign library, so ask the loader itself), the bytes of our .deb,
# and the bytes this build linked, stripped as build.sh strips them.
real=$(readlink -f "$LIB")
owner=$(dpkg -S "$real" 2>/dev/null | cut -d: -f1)
loaded=$(clean LD_TRACE_LOADED_OBJECTS=1 pmempool 2>&1 | awk '$1 == "libpmem.so.1" { print $3 }')
[ "$owner" = libpmem1-rs ] && [ -n "$loaded" ] && [ "$(readlink -f "$loaded")" = "$real" ] &&
	pass "$LIB -> $real, from $owner; pmempool's loader resolves libpmem.so.1 to $loaded" ||
	fail "$LIB -> $real from '$owner'; pmempool's loader resolves libpmem.so.1 to '$loaded'"
mkdir -p "$D/x" && dpkg-deb -x "$RT" "$D/x"
check "$real is the file of $(basename "$RT")" cmp "$real" "$D/x/usr/lib/$MA/libpmem.so.1.0.0"
cp "build/$CROSS_TARGET/libpmem.so.1.0.0" "$D/built.so"
"${CROSS_COMPILE:-$MA-}strip" --remove-section=.comment --remove-section=.note --strip-unneeded "$D/built.so"
check "$real is build/$CROSS_TARGET/libpmem.so.1.0.0, stripped" cmp "$real" "$D/built.so"

# ------------------------------------------------------------------ the target's pmempool on ours
DISPATCH_RE='flush: .*drain: .*copy: '
pools() { # ours|debian: pmempool create (ours only)/info/check on each pool type
	local who=$1 ty f log out rc
	for ty in obj blk log; do
		f=$D/pool.$ty log=$D/create.$ty.log
		if [ "$who" = ours ]; then
			case $ty in
			obj) set -- create obj --layout=cross --size=32M "$f" ;;
			blk) set -- create blk 512 --size=32M "$f" ;;
			log) set -- create log --size=32M "$f" ;;
			esac
			out=$(clean PMEM_LOG_LEVEL=3 PMEM_LOG_FILE="$log" pmempool "$@" 2>&1) ||
				{ fail "$who: pmempool create $ty" "$out"; continue; }
			grep -qE "$DISPATCH_RE" "$log" 2>/dev/null &&
				pass "$who: pmempool create $ty: ours logged '$(grep -m1 -oE "$DISPATCH_RE.*" "$log" | cut -c1-50)...'" ||
				fail "$who: pmempool create $ty: no dispatch line in PMEM_LOG_FILE (not ours?)" "$(cat "$log" 2>&1)"
		fi
		out=$({ clean pmempool info "$f" >/dev/null && clean pmempool check -v "$f"; } 2>&1)
		rc=$?
		[ $rc = 0 ] && grep -q consistent <<<"$out" && ! grep -q 'not consistent' <<<"$out" &&
			pass "$who: pmempool info/check $ty pool: consistent" || fail "$who: pmempool info/check $ty (rc $rc)" "$out"
	done
}
pools ours
# The pmempool binary is the target's, run through qemu-user.
file_arch=$("${CROSS_COMPILE:-$MA-}readelf" -h "$(command -v pmempool)" 2>/dev/null | awk -F: '/Machine/ { gsub(/^ +/, "", $2); print $2 }')
echo "     (pmempool: $(command -v pmempool), $file_arch)"

# ------------------------------------------------------------------ libpmem-rs-dev
PC=$MA-pkg-config
if [ "$($PC --modversion libpmem 2>&1)" = 1.12.1 ] && [ "$($PC --variable=libdir libpmem 2>&1)" = "/usr/lib/$MA" ]; then
	pass "$PC libpmem: version 1.12.1, libdir /usr/lib/$MA"
else fail "$PC libpmem" "$($PC --modversion --variable=libdir libpmem 2>&1)"; fi
# The program test-deb builds: it calls pmem_log_*, which only our header and library have.
PU=tests/deb/pkgconfig_user.c
cflags=$($PC --cflags libpmem) libs=$($PC --libs libpmem) slibs=$($PC --static --libs libpmem)
check "$CC pkgconfig_user.c \$($PC --cflags --libs libpmem), run" bash -c \
	"$CC -Wall -Werror -o $D/pu $PU $cflags $libs && $D/pu $D/pu.shared"
check "$CC -static ... \$($PC --static --cflags --libs libpmem) (libpmem.a), run" bash -c \
	"$CC -static -Wall -Werror -o $D/pu-static $PU ${CROSS_STATIC_OBJS:-} $cflags $slibs && $D/pu-static $D/pu.static"

# ------------------------------------------------------------------ back to Debian's
echo "== $A: apt-get install libpmem1:$A libpmem-dev:$A (back to Debian's)"
check "apt-get install libpmem1:$A libpmem-dev:$A" \
	apt-get install -y -q --no-install-recommends "libpmem1:$A" "libpmem-dev:$A"
owner=$(dpkg -S "$(readlink -f "$LIB")" 2>/dev/null | cut -d: -f1)
[ "$owner" = libpmem1 ] && ! installed "libpmem1-rs:$A" && pass "$LIB from Debian's libpmem1 again" ||
	fail "$LIB is from '$owner' after switching back"
pools debian
finish
