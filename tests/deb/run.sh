#!/usr/bin/env bash
# The Debian packages (make deb) installed over Debian's own PMDK, in a throwaway chroot of each
# Debian release: bookworm (12, PMDK 1.12.1) and trixie (13, PMDK 1.13.1).
#
# usage: tests/deb/run.sh    (as root)
# env:
#   PMEM_DEB_SUITES="..." the releases (default "bookworm trixie")
#   PMEM_DEB_CACHE=DIR   where the base chroots are cached (default /var/cache/libpmem-rs-test)
#   PMEM_DEB_MIRROR=URL  Debian mirror for debootstrap (default: the host apt's, else deb.debian.org)
#   PMEM_DEB_REBUILD=1   rebuild the cached base chroots
#   PMEM_DEB_SKIP=1      skip this test
#
# For each release, `make deb DEB_SYSROOT=<its base chroot>` makes the packages for it (in place
# of its libpmem1 version); lintian runs on them all first. Each chroot is an overlay on a
# cached base that has Debian's libpmem1, libpmem-dev and their consumers installed
# (libpmemobj/blk/log/pool, pmdk-tools, fio, libpmemobj-dev...), so runs after the first need
# no network. In it: apt installs our packages,
# which must remove Debian's libpmem1/libpmem-dev and keep every consumer; the consumers run with
# no LD_* variable and must have loaded our library; a program builds with pkg-config against
# libpmem-rs-dev; then apt installs Debian's libpmem1/libpmem-dev again and the consumers must run
# on PMDK. Nothing of this machine's own packages is touched: every mount is in a private mount
# namespace (or unmounted on exit), and the run's directory is removed.
# Prints PASS/FAIL lines, timings, and "N passed, N failed" last; exit 0 on pass or skip.
set -uo pipefail
export LC_ALL=C

SELF=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SELF")
REPO=$(dirname "$(dirname "$HERE")")
T0=$EPOCHREALTIME

# A skip after a failed check (lintian) still fails the run.
skip() { echo "SKIP test-deb: $*"; [ "${FAIL:-0}" = 0 ]; exit; }
[ "${PMEM_DEB_SKIP:-0}" = 1 ] && skip "PMEM_DEB_SKIP=1"
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, mount, chroot); run 'sudo make test-deb'"

# A private mount namespace: nothing mounted here is seen outside, and it all goes away with the
# last process of the run even if the cleanup below never runs.
if [ -z "${PMEM_DEB_NS:-}" ]; then
	if unshare --mount --propagation private true 2>/dev/null; then
		PMEM_DEB_NS=1 exec unshare --mount --propagation private bash "$SELF" "$@"
	fi
	# Without a namespace of its own the chroot's mounts would propagate to the host's.
	skip "needs a private mount namespace (unshare --mount)"
fi

CACHE=${PMEM_DEB_CACHE:-/var/cache/libpmem-rs-test}
SUITES=${PMEM_DEB_SUITES:-bookworm trixie}
ARCH=$(dpkg --print-architecture)
# Debian's consumers of libpmem.so.1 and of libpmem-dev, and what the chroot needs to build a
# program; installed once into the cached base, with their .debs kept for switching back.
CONSUMERS="libpmem1 libpmem-dev libpmemobj1 libpmemblk1 libpmemlog1 libpmempool1 pmdk-tools fio
	libpmemobj-dev libpmemblk-dev libpmemlog-dev libpmempool-dev"
BUILD_TOOLS="gcc libc6-dev pkgconf"

PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); printf 'PASS %s\n' "$1"; }
fail() { FAIL=$((FAIL + 1)); printf 'FAIL %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 8 | sed 's/^/     | /'; }
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# Network trouble (the mirror cannot be reached), as apt and debootstrap report it.
NET_RE='Failed getting release file|Couldn.t download|Temporary failure resolving|Could not resolve|Could not connect|Connection (refused|timed out)|Network is unreachable|Unable to connect|Failed to fetch'

# ------------------------------------------------------------------ host tools
need_tool() { # COMMAND PACKAGE
	command -v "$1" >/dev/null && return 0
	echo "installing $2 (for $1)"
	local log
	log=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" 2>&1) && return 0
	# A fresh machine has no package lists yet.
	log=$(apt-get update -qq 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" 2>&1) && return 0
	if grep -qE "$NET_RE" <<<"$log"; then skip "cannot install $2: the Debian mirror is unreachable"; fi
	echo "$log" | tail -n 5
	echo "cannot install $2"
	exit 1
}
need_tool debootstrap debootstrap
need_tool dpkg-shlibdeps dpkg-dev
need_tool lintian lintian

# ------------------------------------------------------------------ mounts and cleanup
RUN='' ROOT='' TMPBASE=''
. "$REPO/tests/mounts.sh"
# Processes left with their root in the chroot (a consumer that hangs), ended by pid.
end_chroot_processes() {
	local d r pids=''
	[ -n "$RUN" ] || return 0
	for d in /proc/[0-9]*; do
		r=$(readlink "$d/root" 2>/dev/null) || continue
		case $r in "$RUN"/*) pids="$pids ${d#/proc/}" ;; esac
	done
	[ -z "$pids" ] || { kill -KILL $pids 2>/dev/null; sleep 1; }
}
cleanup() {
	trap - EXIT INT TERM HUP
	end_chroot_processes
	for d in "$RUN" "${TMPBASE:-}"; do
		[ -n "$d" ] && [ -d "$d" ] || continue
		unmount_under "$d"
		if [ -z "$(mounts_under "$d")" ]; then rm -rf --one-file-system "$d"; else echo "left $d: still mounted" >&2; fi
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mount_basics() { # ROOT: what apt and the consumers need of a running system
	mount -t proc proc "$1/proc" &&
		mount --rbind /sys "$1/sys" &&
		mount --bind /dev "$1/dev" &&
		mount -t tmpfs -o mode=1777,nosuid,nodev,size=2g pmem-deb-shm "$1/dev/shm"
}

# ------------------------------------------------------------------ the cached base
host_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		grep -hoE '(https?://[^ ]*/debian)/?( |$)' "$f" | awk '{ print $1 }' | sed 's|/$||'
	done | grep -v -- -security | head -n1
}
# ensure_base SUITE: sets BASE to the suite's cached base chroot, built when missing.
ensure_base() {
	local suite=$1 mirror blog
	# Bump the suffix when what the base holds changes: the next run builds it afresh.
	BASE=$CACHE/$suite-$ARCH-v1
	exec 9>"$CACHE/lock"
	flock 9 # one base build at a time; later runs wait and use it
	[ "${PMEM_DEB_REBUILD:-0}" = 1 ] && rm -rf --one-file-system "$BASE" "$BASE.ok"
	if [ -e "$BASE.ok" ]; then
		echo "base chroot $suite: cached ($(cat "$BASE.info" 2>/dev/null))"
		exec 9>&-
		return 0
	fi
	mirror=${PMEM_DEB_MIRROR:-$(host_mirror)}
	mirror=${mirror:-http://deb.debian.org/debian}
	echo "building the base chroot in $BASE from $mirror (once; later runs reuse it)"
	# Under the lock: no other run is building, so a .tmp left by a killed run is stale.
	rm -rf --one-file-system "$BASE" "$BASE.ok" "$BASE".tmp.*
	TMPBASE=$BASE.tmp.$$
	blog=$CACHE/build-$suite.log
	if ! debootstrap --variant=minbase "$suite" "$TMPBASE" "$mirror" >"$blog" 2>&1; then
		grep -qE "$NET_RE" "$blog" && skip "debootstrap cannot reach $mirror (log $blog)"
		tail -n 5 "$blog"; echo "debootstrap $suite failed (log $blog)"; exit 1
	fi
	# No services start in the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$TMPBASE/usr/sbin/policy-rc.d" && chmod 755 "$TMPBASE/usr/sbin/policy-rc.d"
	cp -L /etc/resolv.conf "$TMPBASE/etc/resolv.conf"
	# The host's apt proxy settings, if any, to get out of its network.
	for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
		[ -f "$f" ] && grep -v -E '^[[:space:]]*(#|//)' "$f" | grep -qi 'proxy' && cp "$f" "$TMPBASE/etc/apt/apt.conf.d/"
	done
	mount_basics "$TMPBASE" || { echo "cannot mount /proc, /sys, /dev in $TMPBASE"; exit 1; }
	# The .debs stay in /var/cache/apt/archives, and the lists with them: switching back to
	# Debian's libpmem1 in a run is an ordinary apt-get install that needs no network.
	if ! chroot "$TMPBASE" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		/bin/sh -c "apt-get -q update && apt-get install -y -q --no-install-recommends $(echo $CONSUMERS $BUILD_TOOLS)" \
		>>"$blog" 2>&1; then
		grep -qE "$NET_RE" "$blog" && skip "the $suite chroot cannot reach $mirror (log $blog)"
		tail -n 5 "$blog"; echo "installing Debian's PMDK in the $suite chroot failed (log $blog)"; exit 1
	fi
	unmount_under "$TMPBASE"
	chroot "$TMPBASE" dpkg-query -W -f='${Package} ${Version}\n' >"$BASE.packages"
	printf 'built %s from %s; libpmem1 %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$mirror" \
		"$(awk '$1 == "libpmem1" { print $2 }' "$BASE.packages")" >"$BASE.info"
	mv "$TMPBASE" "$BASE" && touch "$BASE.ok"
	TMPBASE=''
	echo "base chroot $suite: built ($(cat "$BASE.info"))"
	exec 9>&-
}

# Every command in the chroot: an empty environment (no LD_* or anything else from the host).
inch() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }
# Lines of the in-chroot script are counted here.
phase() {
	local out rc
	out=$(inch /bin/bash /t/in-chroot.sh "$@" 2>&1); rc=$?
	printf '%s\n' "$out" | sed "s/^\(PASS\|FAIL\) /\1 $SUITE: /"
	PASS=$((PASS + $(grep -c '^PASS ' <<<"$out")))
	FAIL=$((FAIL + $(grep -c '^FAIL ' <<<"$out")))
	[ $rc = 0 ] || [ "$(grep -c '^FAIL ' <<<"$out")" != 0 ] || fail "$SUITE: in-chroot.sh $* exited $rc"
}
apt_step() { # NAME apt-get arguments...
	local name=$1 log; shift
	if log=$(inch apt-get -y -q --no-install-recommends "$@" 2>&1); then
		pass "$SUITE: $name"
	else
		fail "$SUITE: $name" "$log"
	fi
	printf '%s\n' "$log" | grep -E '^(Removing|Unpacking|Setting up) ' | sed 's/^/     > /'
}

# run_suite SUITE: our packages for SUITE (in $RUN/SUITE/debs) swapped in and out in its chroot.
run_suite() {
	local p need have rt dev
	SUITE=$1 BASE=$CACHE/$1-$ARCH-v1
	ROOT=$RUN/$SUITE/root
	rt=$(ls "$RUN/$SUITE/debs"/libpmem1-rs_*.deb) dev=$(ls "$RUN/$SUITE/debs"/libpmem-rs-dev_*.deb)
	echo "== $SUITE: $(basename "$rt") $(basename "$dev")"
	mkdir -p "$ROOT" "$RUN/$SUITE/layers"
	# The overlay's writable layer on a tmpfs: overlayfs refuses an upper layer on overlayfs (as
	# in a container or a chroot that is itself an overlay), and the run's writes are small.
	mount -t tmpfs -o mode=755,size=2g pmem-deb-layers "$RUN/$SUITE/layers" &&
		mkdir -p "$RUN/$SUITE/layers/upper" "$RUN/$SUITE/layers/work"
	if ! mount -t overlay pmem-deb-root -o "lowerdir=$BASE,upperdir=$RUN/$SUITE/layers/upper,workdir=$RUN/$SUITE/layers/work" "$ROOT" 2>/dev/null; then
		echo "overlayfs unavailable: copying the base"
		cp -a "$BASE/." "$ROOT/" || { echo "cannot copy the base"; exit 1; }
	fi
	mount_basics "$ROOT" || { echo "cannot mount /proc, /sys, /dev in the chroot"; exit 1; }
	mkdir -p "$ROOT/t"
	cp "$rt" "$dev" "$HERE/in-chroot.sh" "$HERE/pkgconfig_user.c" "$ROOT/t/"
	cp -r "$REPO/tests/clients/c" "$ROOT/t/clients"

	echo "== $SUITE: Debian's PMDK as installed"
	phase state debian
	# Debian's PMDK libraries depend on exactly one libpmem1/libpmem-dev version: our Provides
	# must name it (else apt removes them all).
	for p in "libpmemobj1 libpmem1 $rt" "libpmemobj-dev libpmem-dev $dev"; do
		set -- $p
		need=$(inch dpkg-query -W -f='${Depends}' "$1" | grep -oE "(^|, )$2 \([^)]*\)" | sed 's/^, //')
		have=$(dpkg-deb -f "$3" Provides)
		if [ -n "$need" ] && [ "$need" = "$have" ]; then pass "$SUITE: $(basename "$3" | cut -d_ -f1) Provides: $have, as Debian's $1 depends"
		else fail "$SUITE: Debian's $1 depends on '$need'; $(basename "$3" | cut -d_ -f1) Provides: '$have'"; fi
	done
	# Programs built against ours must need no more than against Debian's: each of its symbols at
	# the same minimum version, the same shlibs line.
	need=$(awk '/^ / { print $1, $2 }' "$ROOT/var/lib/dpkg/info/libpmem1:$ARCH.symbols" 2>/dev/null)
	have=$(dpkg-deb -I "$rt" symbols | awk '/^ / { print $1, $2 }')
	if [ -n "$need" ] && [ -z "$(comm -23 <(sort <<<"$need") <(sort <<<"$have"))" ] &&
		cmp -s "$ROOT/var/lib/dpkg/info/libpmem1:$ARCH.shlibs" <(dpkg-deb -I "$rt" shlibs); then
		pass "$SUITE: symbols and shlibs: Debian's libpmem1's $(wc -l <<<"$need") symbol versions and its shlibs line"
	else
		fail "$SUITE: symbols or shlibs differ from Debian's libpmem1" \
			"$(comm -23 <(sort <<<"$need") <(sort <<<"$have")) $(diff "$ROOT/var/lib/dpkg/info/libpmem1:$ARCH.shlibs" <(dpkg-deb -I "$rt" shlibs))"
	fi
	echo "== $SUITE: apt-get install ./libpmem1-rs_*.deb ./libpmem-rs-dev_*.deb"
	apt_step "apt-get install of our two packages" install "/t/$(basename "$rt")" "/t/$(basename "$dev")"
	phase state ours
	phase dev
	phase consumers ours
	echo "== $SUITE: apt-get install libpmem1 libpmem-dev (back to Debian's)"
	apt_step "apt-get install libpmem1 libpmem-dev: back to Debian's" install libpmem1 libpmem-dev
	phase state debian
	phase consumers debian
	end_chroot_processes
	unmount_under "$RUN/$SUITE"
}

RUN=$(mktemp -d "${TMPDIR:-/tmp}/pmem-deb-test.XXXXXX")
mkdir -p "$CACHE"

# ------------------------------------------------------------------ the packages, for each release
T_BASE=$EPOCHREALTIME
DEBS=()
for suite in $SUITES; do
	ensure_base "$suite"
	# What a user of that release gets from `make deb`: built from its dpkg database and os-release.
	if ! out=$("${MAKE:-make}" -C "$REPO" --no-print-directory deb DEB_SYSROOT="$BASE" DEB_OUT="$RUN/$suite/debs" 2>&1); then
		printf '%s\n' "$out" | tail -n 8
		echo "make deb for $suite failed"
		exit 1
	fi
	printf '%s\n' "$out" | grep '^deb: for '
	DEBS+=("$RUN/$suite/debs"/*.deb)
done
DUR_BASE=$(secs "$T_BASE")

# ------------------------------------------------------------------ lintian
T_LINT=$EPOCHREALTIME
# Every tag, info and pedantic ones too: each must be fixed or overridden with its reason.
LINT=$(lintian --fail-on error,warning,info,pedantic,experimental --display-info --display-experimental \
	--pedantic "${DEBS[@]}" 2>&1)
lint_rc=$?
LINT=$(grep -v 'running with root privileges' <<<"$LINT")
if [ $lint_rc = 0 ] && ! grep -qE '^[EWIPX]: ' <<<"$LINT"; then
	pass "lintian (info, pedantic, experimental) on ${#DEBS[@]} packages: no tag outside packaging/deb/*.lintian-overrides"
else
	fail "lintian: tags not overridden, or lintian failed (exit $lint_rc)"
fi
[ -z "$LINT" ] || echo "$LINT" | sed 's/^/     | /'
DUR_LINT=$(secs "$T_LINT")

# ------------------------------------------------------------------ the chroots
T_RUN=$EPOCHREALTIME
for suite in $SUITES; do run_suite "$suite"; done
DUR_RUN=$(secs "$T_RUN")

echo "timings: base chroots and packages ${DUR_BASE} s, lintian ${DUR_LINT} s, chroot runs ${DUR_RUN} s, total $(secs "$T0") s"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
