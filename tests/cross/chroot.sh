#!/usr/bin/env bash
# tests/cross/chroot.sh -- runs a command in a Debian chroot that builds for, and runs programs
# of, another architecture on this x86-64 machine: Debian's rustc/cargo (trixie's rustc-web,
# cargo-web) with the target's standard library (libstd-rust-web-dev:<arch>), its cross gcc, the
# target's PMDK, and qemu-user registered with a binfmt_misc of the run's own (Linux 6.7+), so
# that target programs run directly.
#
# usage: tests/cross/chroot.sh ARCH PROJECT_DIR [COMMAND...]   (as root)
#        tests/cross/chroot.sh --prepare ARCH                  only build the cached chroot
#
# ARCH: aarch64, ppc64le or riscv64. PROJECT_DIR is bind-mounted at /root/project, where COMMAND
# (a shell command line, default an interactive shell) runs as root with the variables below.
# Exit status: COMMAND's; 125 when the chroot cannot be made (the reason is printed last).
#
# Cache (CROSS_CACHE, default /var/cache/libpmem-rs-test/cross), built on first use:
#   base-<suite>        debootstrap minbase + rustc-web, cargo-web, gcc, make, qemu-user...
#   layer-<suite>-ARCH  an overlay upper layer on the base: the target's compilers, std, libc,
#                       PMDK (LAYER_PACKAGES) and the SIGILL preload (preload.c)
#   debs/  cargo-home/  logs/  runs/   downloaded .debs, cargo's registry, build logs, live runs
# A run mounts the layer and the base under a writable layer of its own, thrown away at exit,
# all in a private mount namespace (nothing is seen outside, nothing outlives the run).
#
# Environment:
#   CROSS_CACHE    the cache directory
#   CROSS_SUITE    the Debian release (default trixie: why, docs/cross.md). Unset, an
#                  architecture whose trixie layer cannot be installed (a mirror without some
#                  of its files) falls back to sid, with a line saying so; the failure is
#                  remembered for a day (layer-trixie-ARCH.failed).
#   CROSS_MIRROR   Debian mirror; default the host's (its apt sources), else deb.debian.org
#   CROSS_REBUILD  1: build the base and the layer afresh; layer: only the layer
#
# In COMMAND's environment: CROSS_ARCH, CROSS_TARGET (Rust's triple), CROSS_GNU (GNU triplet),
# CROSS_DEB_ARCH, CROSS_QEMU; CC, CXX, AR, CROSS_COMPILE for the target; cargo's linker and runner
# for the target; QEMU_SET_ENV=LD_PRELOAD=<the preload> on ppc64le and riscv64.
set -uo pipefail
export LC_ALL=C

SELF=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SELF")
ORIG_ARGS=("$@")
die() { printf 'cross-chroot: error: %s\n' "$*" >&2; exit 125; }
say() { printf 'cross-chroot: %s\n' "$*" >&2; }
usage() { sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$SELF" >&2; exit 125; }

MODE=run
[ "${1:-}" = --prepare ] && { MODE=prepare; shift; }
[ $# -ge 1 ] || usage
ARCH=$1
shift
if [ $MODE = run ]; then
	[ $# -ge 1 ] || usage
	PROJECT=$(readlink -f "$1") && [ -d "$PROJECT" ] || die "$1 is not a directory"
	shift
fi
CMD=("$@")

# Debian's name, the GNU triplet, Rust's target, qemu's name.
case $ARCH in
aarch64) DEB=arm64 GNU=aarch64-linux-gnu RUST=aarch64-unknown-linux-gnu ;;
ppc64le) DEB=ppc64el GNU=powerpc64le-linux-gnu RUST=powerpc64le-unknown-linux-gnu ;;
riscv64) DEB=riscv64 GNU=riscv64-linux-gnu RUST=riscv64gc-unknown-linux-gnu ;;
*) die "unknown architecture '$ARCH' (aarch64, ppc64le or riscv64)" ;;
esac
QEMU=qemu-$ARCH
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount, chroot)"

# A private mount namespace: every mount below is gone with the run's last process, even if the
# clean-up never runs.
if [ -z "${CROSS_IN_NS:-}" ]; then
	unshare --mount --propagation private true 2>/dev/null || die "needs a private mount namespace (unshare --mount)"
	CROSS_IN_NS=1 exec unshare --mount --propagation private bash "$SELF" "${ORIG_ARGS[@]}"
fi

CACHE=${CROSS_CACHE:-/var/cache/libpmem-rs-test/cross}
SUITE=${CROSS_SUITE:-trixie}
FALLBACK=$([ -z "${CROSS_SUITE:-}" ] && echo sid)
REBUILD=${CROSS_REBUILD:-0}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
host_mirror() { # the host's own Debian mirror, as tests/deb finds it
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] && grep -hoE '(https?://[^ ]*/debian)/?( |$)' "$f" | awk '{ print $1 }' | sed 's|/$||'
	done | grep -v -- -security | head -n1
}
MIRROR=${CROSS_MIRROR:-$(host_mirror)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# dpkg-dev: `make deb` for the target (dpkg-shlibdeps, dpkg-architecture).
# A stable release's current toolchain is rustc-web (kept at a recent Rust for its lifetime);
# sid's own rustc is as recent.
case $SUITE in
sid | unstable) RUSTC=rustc CARGO=cargo STD=libstd-rust-dev ;;
*) RUSTC=rustc-web CARGO=cargo-web STD=libstd-rust-web-dev ;;
esac
BASE_PACKAGES="ca-certificates $RUSTC $CARGO gcc g++ libc6-dev make pkgconf binutils qemu-user dpkg-dev file"
# The target's compilers and libc, its Rust std, and the PMDK the tests compare with and run on
# (libpmem1-debug for PMEM_LOG_LEVEL; pmdk-tools is Multi-Arch: foreign, hence a layer per arch).
LAYER_PACKAGES="gcc-$GNU g++-$GNU binutils-$GNU libc6-dev-$DEB-cross libc6:$DEB pkgconf:$DEB
	$STD:$DEB libpmem-dev:$DEB libpmem1-debug:$DEB libpmemobj-dev:$DEB pmdk-tools:$DEB"
LAYER_PACKAGES=$(echo $LAYER_PACKAGES)
PRELOAD=libcross-preload.so
CHROOT_PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
APT="apt-get -y -q --no-install-recommends -o APT::Sandbox::User=root -o Dpkg::Use-Pty=0"
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }

# ------------------------------------------------------------------ mounts and clean-up
RUN='' BUILD_TMP='' CHILD='' LOG=/dev/null
. "$HERE/../mounts.sh"
# Processes of the run (their root directory is in it), ended by pid.
end_processes_in() {
	local d r pids=''
	for d in /proc/[0-9]*; do
		r=$(readlink "$d/root" 2>/dev/null) || continue
		case $r in "$1"/*) pids="$pids ${d#/proc/}" ;; esac
	done
	[ -z "$pids" ] || { kill -KILL $pids 2>/dev/null; sleep 0.5; }
}
remove() { # a run's or a build's directory, never while something is mounted in it
	[ -n "$1" ] && [ -e "$1" ] || return 0
	end_processes_in "$1"
	unmount_under "$1"
	[ -z "$(mounts_under "$1")" ] && rm -rf --one-file-system "$1"
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	[ -z "$CHILD" ] || { kill -TERM "$CHILD" 2>/dev/null; wait "$CHILD" 2>/dev/null; }
	remove "$RUN"
	remove "$BUILD_TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mount_basics() { # ROOT: /proc, /sys, /dev and a fresh /dev/shm
	mount -t proc proc "$1/proc" &&
		mount --rbind /sys "$1/sys" && mount --make-rslave "$1/sys" &&
		mount --bind /dev "$1/dev" && mount --bind /dev/pts "$1/dev/pts" &&
		mount -t tmpfs -o mode=1777,nosuid,nodev,size=2g cross-shm "$1/dev/shm"
}
mount_overlay() { # TARGET LOWER(S) DIR: an overlay with its upper and work directories in DIR
	mkdir -p "$1" "$3/upper" "$3/work"
	# Plain copy-ups only, so that an upper directory can later be a lower layer.
	mount -t overlay cross-root -o "lowerdir=$2,upperdir=$3/upper,workdir=$3/work,redirect_dir=off,metacopy=off,index=off" "$1"
}
net_config() { # ROOT: DNS and the host's apt settings for its mirror (proxy, TLS, a frozen mirror's dates)
	rm -f "$1/etc/resolv.conf"
	cp -L /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null || : >"$1/etc/resolv.conf"
	for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
		[ -f "$f" ] && grep -v -E '^[[:space:]]*(#|//)' "$f" | grep -qiE 'proxy|check-valid-until|check-date|cainfo|verify-peer|verify-host' && cp "$f" "$1/etc/apt/apt.conf.d/"
	done
	return 0
}
in_root() { chroot "$1" /usr/bin/env -i HOME=/root PATH="$CHROOT_PATH" DEBIAN_FRONTEND=noninteractive LC_ALL=C "${@:2}"; }
logged() { # WHAT COMMAND...: output to $LOG; on failure, its end on stderr
	printf '== %s\n' "$1" >>"$LOG"
	"${@:2}" >>"$LOG" 2>&1 && return 0
	say "$1 failed; the end of $LOG:"
	tail -n 20 "$LOG" | sed 's/^/    /' >&2
	return 1
}

# ------------------------------------------------------------------ the cache
mkdir -p "$CACHE/debs/partial" "$CACHE/cargo-home" "$CACHE/logs" "$CACHE/runs" || die "cannot create $CACHE"
# Runs killed before their clean-up: their directories.
for d in "$CACHE"/runs/run-*; do
	[ -d "$d" ] || continue
	p=${d##*/run-}
	kill -0 "${p%%-*}" 2>/dev/null || remove "$d"
done
BASE=$CACHE/base-$SUITE
LAYER=$CACHE/layer-$SUITE-$ARCH
# What each was built from: a change rebuilds it (bump the leading number when the recipe changes).
BASE_KEY=$(printf '%s\n' 1 "$SUITE" "$MIRROR" "$BASE_PACKAGES" | sha256sum | cut -c1-16)
layer_key() { printf '%s\n' 2 "$(cat "$BASE.ok" 2>/dev/null)" "$LAYER_PACKAGES" | cat - "$HERE/preload.c" | sha256sum | cut -c1-16; }
base_ok() { [ -d "$BASE" ] && [ "$(sed 's/-[^-]*$//' "$BASE.ok" 2>/dev/null)" = "$BASE_KEY" ]; }
layer_ok() { [ -d "$LAYER" ] && [ "$(cat "$LAYER.ok" 2>/dev/null)" = "$(layer_key)" ]; }

build_base() {
	local t0=$EPOCHREALTIME tmp=$CACHE/.build-base
	LOG=$CACHE/logs/base-$SUITE.log
	: >"$LOG"
	command -v debootstrap >/dev/null || logged "apt-get install debootstrap" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap ||
		die "cannot install debootstrap (as tests/deps.sh does: apt-get install debootstrap)"
	say "building the $SUITE base chroot (once): debootstrap from $MIRROR, then $BASE_PACKAGES"
	rm -f "$BASE.ok"
	remove "$BASE" && remove "$tmp" || die "cannot remove the old base"
	BUILD_TMP=$tmp
	logged "debootstrap $SUITE" nice -n 10 debootstrap --variant=minbase --keyring="$KEYRING" \
		--cache-dir="$CACHE/debs" "$SUITE" "$tmp" "$MIRROR" || die "debootstrap failed (see $LOG)"
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d" && chmod 755 "$tmp/usr/sbin/policy-rc.d"
	mount_basics "$tmp" && mount --bind "$CACHE/debs" "$tmp/var/cache/apt/archives" && net_config "$tmp" ||
		die "cannot mount the base's /proc, /sys, /dev"
	logged "apt-get install $BASE_PACKAGES" in_root "$tmp" sh -c "apt-get -q update && nice -n 10 $APT install $BASE_PACKAGES" ||
		die "cannot install the base packages (see $LOG)"
	end_processes_in "$tmp"
	unmount_under "$tmp"
	# Each layer fetches the lists again, with its foreign architecture.
	rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin
	mkdir -p "$tmp/var/lib/apt/lists/partial"
	mv "$tmp" "$BASE" || die "cannot move the base into place"
	BUILD_TMP=''
	echo "$BASE_KEY-$(date -u +%Y%m%dT%H%M%SZ)" >"$BASE.ok"
	say "base built in $(secs "$t0") s"
}

build_layer() {
	local t0=$EPOCHREALTIME tmp=$CACHE/.build-layer-$ARCH root
	LOG=$CACHE/logs/layer-$SUITE-$ARCH.log
	: >"$LOG"
	say "building the $ARCH layer (once): $LAYER_PACKAGES"
	rm -f "$LAYER.ok"
	remove "$LAYER" && remove "$tmp" || die "cannot remove the old layer"
	BUILD_TMP=$tmp
	root=$tmp/root
	mount_overlay "$root" "$BASE" "$tmp" || die "cannot mount an overlay on the base (overlayfs)"
	mount_basics "$root" && mount --bind "$CACHE/debs" "$root/var/cache/apt/archives" && net_config "$root" ||
		die "cannot mount the layer's /proc, /sys, /dev"
	if ! logged "apt-get install $LAYER_PACKAGES" in_root "$root" sh -c \
		"dpkg --add-architecture $DEB && apt-get -q update && nice -n 10 $APT install $LAYER_PACKAGES"; then
		[ -n "$FALLBACK" ] || die "cannot install the $ARCH packages (see $LOG)"
		date +%s >"$LAYER.failed"
		fall_back "cannot install the $ARCH packages of $SUITE (see $LOG)"
	fi
	# The SIGILL preload for target programs, and an empty library of the same name for the
	# host's, so that LD_PRELOAD=/usr/$LIB/... is harmless in every process of the chroot.
	cp "$HERE/preload.c" "$root/tmp/preload.c" &&
		logged "build the preload" in_root "$root" "$GNU-gcc" -O2 -Wall -Werror -shared -fPIC \
			-o "/usr/lib/$GNU/$PRELOAD" /tmp/preload.c &&
		logged "build the preload's object" in_root "$root" "$GNU-gcc" -O2 -Wall -Werror -c \
			-o "/usr/lib/$GNU/${PRELOAD%.so}.o" /tmp/preload.c &&
		logged "build the host's empty preload" in_root "$root" gcc -O2 -Wall -Werror -shared -fPIC \
			-o "/usr/lib/x86_64-linux-gnu/$PRELOAD" /tmp/preload.c || die "cannot build preload.c (see $LOG)"
	rm -rf "${root:?}"/tmp/* "$root"/var/cache/apt/*.bin
	in_root "$root" dpkg-query -W -f='${Package}:${Architecture} ${Version}\n' >"$LAYER.packages"
	end_processes_in "$root"
	unmount_under "$tmp"
	mv "$tmp/upper" "$LAYER" || die "cannot move the layer into place"
	remove "$tmp"
	BUILD_TMP=''
	layer_key >"$LAYER.ok"
	say "$ARCH layer built in $(secs "$t0") s"
}

# The same run on $FALLBACK, for an architecture $SUITE's mirror cannot serve.
fall_back() {
	say "$1: $ARCH falls back to $FALLBACK"
	[ -z "$BUILD_TMP" ] || { remove "$BUILD_TMP"; BUILD_TMP=''; }
	exec 9>&-
	CROSS_SUITE=$FALLBACK exec bash "$SELF" "${ORIG_ARGS[@]}"
}
# A layer that failed in the last day is not tried again before its fallback.
if [ -n "$FALLBACK" ] && [ -f "$LAYER.failed" ] && [ $(($(date +%s) - $(cat "$LAYER.failed"))) -lt 86400 ]; then
	fall_back "$SUITE's $ARCH layer failed to install at $(date -u -d @"$(cat "$LAYER.failed")" +%H:%MZ)"
fi

# Exclusive while building, shared while running: a rebuild waits for the runs of the cache.
exec 9>"$CACHE/.lock"
flock -s 9
if [ "$REBUILD" != 0 ] || ! base_ok || ! layer_ok; then
	flock -x 9
	if [ "$REBUILD" = 1 ] || ! base_ok; then build_base; fi
	if [ "$REBUILD" != 0 ] || ! layer_ok; then build_layer; fi
	flock -s 9
fi
VERSIONS=$(grep -E "^($RUSTC|qemu-user|libpmem1):" "$LAYER.packages" 2>/dev/null |
	awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
[ $MODE = run ] || { say "$ARCH: ready ($VERSIONS)"; exit 0; }

# ------------------------------------------------------------------ the run
RUN=$CACHE/runs/run-$$-$(date +%s)
ROOT=$RUN/root
mount_overlay "$ROOT" "$LAYER:$BASE" "$RUN" || die "cannot mount the run's overlay"
mount_basics "$ROOT" && net_config "$ROOT" || die "cannot mount /proc, /sys, /dev in the chroot"
# The host's own CA certificates (a TLS-intercepting proxy's) for cargo, in this run's layer only.
find /usr/local/share/ca-certificates -name '*.crt' -exec cat {} + 2>/dev/null >>"$ROOT/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$ROOT/root/.cargo" "$ROOT/root/project"
# Cargo's registry persists in the cache; the host's cargo settings (a mirror, a proxy) apply.
for f in config.toml config; do
	[ -f "${CARGO_HOME:-$HOME/.cargo}/$f" ] && cp "${CARGO_HOME:-$HOME/.cargo}/$f" "$CACHE/cargo-home/$f"
done
mount --bind "$CACHE/cargo-home" "$ROOT/root/.cargo" && mount --bind "$PROJECT" "$ROOT/root/project" ||
	die "cannot bind the project or the cargo home"

T_UP=${RUST//-/_}
T_UPPER=${T_UP^^}
ENVS=(HOME=/root USER=root LOGNAME=root SHELL=/bin/bash "TERM=${TERM:-dumb}" "PATH=$CHROOT_PATH" LANG=C.UTF-8
	"CROSS_ARCH=$ARCH" "CROSS_TARGET=$RUST" "CROSS_GNU=$GNU" "CROSS_DEB_ARCH=$DEB" "CROSS_QEMU=$QEMU"
	"CARGO_TARGET_${T_UPPER}_LINKER=$GNU-gcc" "CARGO_TARGET_${T_UPPER}_RUNNER=$QEMU"
	"CC=$GNU-gcc" "CXX=$GNU-g++" "AR=$GNU-ar" "CROSS_COMPILE=$GNU-" "CC_$T_UP=$GNU-gcc" "AR_$T_UP=$GNU-ar"
	HOST_CC=gcc HOST_AR=ar "PKG_CONFIG_$T_UP=$GNU-pkg-config" PKG_CONFIG_ALLOW_CROSS=1)
# qemu passes this to the target program only (see preload.c); aarch64 needs no help.
# A fully static program loads no preload: the tests link the preload's object into theirs.
[ "$ARCH" = aarch64 ] || ENVS+=("QEMU_SET_ENV=LD_PRELOAD=/usr/\$LIB/$PRELOAD"
	"CROSS_STATIC_OBJS=/usr/lib/$GNU/${PRELOAD%.so}.o")
# The suite's own settings (tests/cross/run.sh, deb.sh), so that `make test-cross VERBOSE=1` works.
for v in CROSS_STEPS VERBOSE TAIL CROSS_DEB_LINTIAN; do
	[ -z "${!v:-}" ] || ENVS+=("$v=${!v}")
done
for v in $(compgen -e); do # what cargo needs to reach its registry from here
	case $v in
	*TOKEN* | *token* | *CREDENTIAL* | *SECRET* | *PASSWORD*) ;;
	http_proxy | https_proxy | no_proxy | HTTP_PROXY | HTTPS_PROXY | NO_PROXY | CARGO_HTTP_* | CARGO_NET_* | CARGO_REGISTRIES_*)
		ENVS+=("$v=${!v}") ;;
	esac
done
if [ ${#CMD[@]} = 0 ]; then
	CMD=(/bin/bash -i)
elif [ ${#CMD[@]} = 1 ]; then
	CMD=(/bin/bash -c "${CMD[0]}")
fi

# The command runs in a user namespace of its own (ids mapped one to one: still root), whose own
# binfmt_misc (Linux 6.7+) gets qemu-user for the target: a target program then runs directly
# (./a.out, a test that starts another), and the host's binfmt_misc is never written.
INNER='
root=$1 outer=$2 qemu=$3; shift 3
while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.01; done
[ "$(readlink /proc/self/ns/user)" != "$outer" ] &&
	mount -t binfmt_misc cross-binfmt "$root/proc/sys/fs/binfmt_misc" &&
	chroot "$root" /bin/sh -c "cat /usr/share/qemu/binfmt.d/$qemu.conf >/proc/sys/fs/binfmt_misc/register" ||
	{ echo "cross-chroot: error: cannot register $qemu with a private binfmt_misc (Linux 6.7+ needed)" >&2; exit 125; }
exec chroot "$root" /bin/bash -c "ulimit -c 0; cd /root/project && exec \"\$@\"" cross "$@"
'
OUTER_NS=$(readlink /proc/self/ns/user)
say "$ARCH ($RUST): $VERSIONS"
env --default-signal=INT,QUIT unshare --user --mount --propagation private -- \
	/bin/sh -c "$INNER" cross-inner "$ROOT" "$OUTER_NS" "$QEMU" /usr/bin/env -i "${ENVS[@]}" "${CMD[@]}" <&0 9>&- &
CHILD=$!
# Map the new user namespace's ids one to one onto ours, once it exists.
for _ in $(seq 1000); do
	[ "$(readlink "/proc/$CHILD/ns/user" 2>/dev/null)" = "$OUTER_NS" ] || break
	sleep 0.01
done
printf '0 0 4294967295\n' >"/proc/$CHILD/uid_map" && printf '0 0 4294967295\n' >"/proc/$CHILD/gid_map" ||
	die "cannot map the ids of the run's user namespace"
wait "$CHILD"
RC=$?
CHILD=''
exit $RC
