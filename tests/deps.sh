#!/usr/bin/env bash
# tests/deps.sh -- installs the Debian packages the test suites need, when some are missing.
#
# `make test` (and each test-* target) and .ci/run call this first, so that the README's test
# command works on a fresh Debian 12 or 13 machine. Nothing is installed when everything is present.
# Installs with apt-get as root, with `sudo -n apt-get` otherwise; when neither is possible it
# names the missing packages on one line and fails.
#
# Variables (all optional):
#   PMEM_DAX_SKIP=1    the DAX guests are skipped: their packages are not needed
#   PMEM_DEB_SKIP=1    the package test is skipped: its tools are not needed
#   PMEM_CROSS_SKIP=1  the other architectures' suite is skipped: the same
#   PMEM_DEPS_SKIP=1   check nothing, install nothing
#   PMEM_DEPS_LIST=1   print the package list and exit
set -euo pipefail

# The reference PMDK (differential tests, its debug build for PMEM_LOG_LEVEL), its real clients
# (fio, pmempool, libpmemobj/blk/log), the tools the tests drive, and man-page rendering.
PACKAGES=(gcc g++ make binutils pkgconf strace valgrind util-linux
	libpmem-dev libpmem1 libpmem1-debug libpmemobj-dev libpmemobj1 libpmemblk-dev libpmemblk1
	libpmemlog-dev libpmemlog1 libpmempool1 pmdk-tools fio
	man-db groff-base scdoc)
# The emulated-NVDIMM guests of tests/dax (their kernel is fetched with `apt-get download`
# into target/dax-cache, never installed).
DAX_PACKAGES=(qemu-system-x86 busybox-static ndctl e2fsprogs cpio kmod gzip xz-utils zstd)
# tests/deb: the throwaway chroot, `make deb` (dpkg-shlibdeps) and the package checks.
DEB_PACKAGES=(debootstrap dpkg-dev lintian)
# tests/cross: its chroots (everything else is installed in them).
CROSS_PACKAGES=(debootstrap debian-archive-keyring)

[ "${PMEM_DAX_SKIP:-0}" = 1 ] || PACKAGES+=("${DAX_PACKAGES[@]}")
[ "${PMEM_DEB_SKIP:-0}" = 1 ] || PACKAGES+=("${DEB_PACKAGES[@]}")
[ "${PMEM_CROSS_SKIP:-0}" = 1 ] || PACKAGES+=("${CROSS_PACKAGES[@]}")
if [ "${PMEM_DEPS_LIST:-0}" = 1 ]; then
	echo "${PACKAGES[*]}"
	exit 0
fi
[ "${PMEM_DEPS_SKIP:-0}" != 1 ] || exit 0

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "tests/deps.sh: not a Debian system (no dpkg-query); the tests need the equivalents of: ${PACKAGES[*]}" >&2
	exit 0
fi

# Our own packages in place of Debian's: installing Debian's would silently remove them, and
# the differential tests need Debian's library, so say so and stop.
for p in libpmem1-rs libpmem-rs-dev; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ]; then
		echo "tests/deps.sh: $p replaces Debian's PMDK here, which the tests compare against -- switch back first: apt-get install libpmem1 libpmem-dev" >&2
		exit 1
	fi
done

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
# tests/dax downloads its guest kernel with apt-get (once, into its cache), which needs the
# package lists: a fresh machine has none until apt-get update.
need_lists=0
dax_cache=${PMEM_DAX_CACHE:-$(cd "$(dirname "$0")/.." && pwd)/target/dax-cache}
if [ "${PMEM_DAX_SKIP:-0}" != 1 ] && [ ! -s "$dax_cache/kernel/vmlinuz" ] &&
	! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
	need_lists=1
fi
[ ${#missing[@]} -gt 0 ] || [ $need_lists = 1 ] || exit 0

if [ "$(id -u)" = 0 ]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	as_root=(sudo -n)
else
	if [ ${#missing[@]} -gt 0 ]; then
		echo "tests/deps.sh: missing packages: ${missing[*]} -- install them as root: apt-get update && apt-get install --no-install-recommends ${missing[*]}" >&2
	else
		echo "tests/deps.sh: no apt package lists, which test-dax needs to fetch its guest kernel -- run as root: apt-get update (or set PMEM_DAX_SKIP=1)" >&2
	fi
	exit 1
fi

echo "tests/deps.sh: installing ${missing[*]:-(apt package lists only)}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
