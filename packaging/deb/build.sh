#!/usr/bin/env bash
# Builds the Debian packages libpmem1-rs (runtime) and libpmem-rs-dev from the tree that
# `make install` stages, with dpkg-deb. Called by `make deb`; output in build/deb/.
#
# The packages are for the Debian release they are built on (or the one in DEB_SYSROOT): they
# stand in for its libpmem1 at exactly its version, and their version names the release.
#
# Environment: MAKE (the make that called us), PMDK_DEB_VERSION (the Debian libpmem1 version
# we stand in for; default: the one installed, else apt's candidate), DEB_SYSROOT (the root of
# the system to build for, e.g. a chroot; default /), DEB_OUT (output directory, build/deb),
# DEB_ARCH (the Debian architecture of a cross build, e.g. arm64: set by make from
# CARGO_BUILD_TARGET; empty: this machine's), CROSS_COMPILE (the target's binutils prefix;
# default <multiarch>- for a cross build), DEB_RELEASE (the release number, when os-release
# has none and the codename is not one this script knows).
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"

MAKE=${MAKE:-make}
SYSROOT=${DEB_SYSROOT:-}
OUT=${DEB_OUT:-$REPO/build/deb}

die() { echo "deb: $*" >&2; exit 1; }
for t in dpkg-deb dpkg-shlibdeps dpkg-architecture gzip; do
	command -v "$t" >/dev/null || die "$t not found (apt-get install dpkg-dev gzip)"
done

# The architecture packaged for, and the binutils that read and strip its ELF files.
BUILD_ARCH=$(dpkg --print-architecture)
ARCH=${DEB_ARCH:-$BUILD_ARCH}
MULTIARCH=$(dpkg-architecture -a"$ARCH" -qDEB_HOST_MULTIARCH 2>/dev/null) ||
	die "dpkg-architecture knows no architecture $ARCH"
LIBDIR=/usr/lib/$MULTIARCH
if [ "$ARCH" = "$BUILD_ARCH" ]; then TOOLS=${CROSS_COMPILE:-}; else TOOLS=${CROSS_COMPILE:-$MULTIARCH-}; fi
STRIP=${TOOLS}strip NM=${TOOLS}nm OBJDUMP=${TOOLS}objdump
for t in "$STRIP" "$NM" "$OBJDUMP"; do
	command -v "$t" >/dev/null || die "$t not found (apt-get install binutils-$MULTIARCH, or set CROSS_COMPILE)"
done

# Debian's libpmemobj1, libpmemblk1, libpmemlog1, libpmempool1 and the -dev packages depend
# on exactly their release's version of libpmem1 / libpmem-dev, so our Provides names it.
# Each architecture's own: a binNMU (+b1) can be on one architecture and not on another.
if [ -z "${PMDK_DEB_VERSION:-}" ]; then
	PMDK_DEB_VERSION=$(dpkg-query --admindir="$SYSROOT/var/lib/dpkg" -W -f='${db:Status-Abbrev}${Version}' "libpmem1:$ARCH" 2>/dev/null)
	case $PMDK_DEB_VERSION in
	"ii "*) PMDK_DEB_VERSION=${PMDK_DEB_VERSION#ii } ;;
	*) PMDK_DEB_VERSION=$(apt-cache -o Dir="$SYSROOT/" policy "libpmem1:$ARCH" 2>/dev/null |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }') ;;
	esac
	[ -n "$PMDK_DEB_VERSION" ] ||
		die "libpmem1:$ARCH is neither installed nor known to apt (apt-get update? dpkg --add-architecture $ARCH?): set PMDK_DEB_VERSION to the version to stand in for"
fi
# Its upstream part: what programs linked against libpmem1 need at least (Debian's shlibs).
PMDK_UPSTREAM=${PMDK_DEB_VERSION%-*}
# The release: 12 bookworm, 13 trixie. Testing and unstable name only the coming release's
# codename: its number is the one that release will have.
read -r RELEASE CODENAME < <(. "$SYSROOT/etc/os-release" && echo "${VERSION_ID:--} ${VERSION_CODENAME:-}")
if [ -n "${DEB_RELEASE:-}" ]; then RELEASE=$DEB_RELEASE
elif [ "$RELEASE" = - ]; then
	case ${CODENAME:-} in forky) RELEASE=14 ;; duke) RELEASE=15 ;; esac
fi
[ -n "${CODENAME:-}" ] && [[ $RELEASE =~ ^[0-9]+$ ]] ||
	die "$SYSROOT/etc/os-release names no Debian release number for '${CODENAME:-}': set DEB_RELEASE"

# The changelog's top entry gives the version, the maintainer and the date of the build; the
# release is added to the version (1.12.1+rs1~deb13), which tells the builds for two releases
# apart and sorts the later release's higher.
read -r _ VERSION _ < <(head -n1 "$HERE/changelog")
VERSION=${VERSION#(}; VERSION=${VERSION%)}~deb$RELEASE
TRAILER=$(grep -m1 '^ -- ' "$HERE/changelog")
MAINTAINER=$(sed -e 's/^ -- //' -e 's/>  .*/>/' <<<"$TRAILER")
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -d "${TRAILER##*>  }" +%s)}
export SOURCE_DATE_EPOCH

WORK=$OUT/work
rm -rf "$WORK"
mkdir -p "$WORK" "$OUT"
STAGE=$WORK/stage
# The same build and install rule as `make install`, into a staging root.
"$MAKE" --no-print-directory install DESTDIR="$STAGE" PREFIX=/usr LIBDIR="$LIBDIR" INCDIR=/usr/include >/dev/null

RT=$WORK/libpmem1-rs
DEV=$WORK/libpmem-rs-dev
mkdir -p "$RT$LIBDIR" "$DEV"
# The runtime package gets the versioned library; everything else make install put down
# (header, .so link, .a, .pc, man pages) is for development.
mv "$STAGE$LIBDIR"/libpmem.so.1 "$STAGE$LIBDIR"/libpmem.so.1.*.* "$RT$LIBDIR/"
cp -a "$STAGE/." "$DEV/"
[ -L "$RT$LIBDIR/libpmem.so.1" ] || die "libpmem.so.1 is not a symlink in the staged tree"
SO=$(readlink -f "$RT$LIBDIR/libpmem.so.1")
[ -f "$SO" ] || die "libpmem.so.1 points to nothing"

# What dh_strip would do: no symbol table or notes in the .so, no debug info in the .a;
# Debian installs shared libraries without the executable bit.
"$STRIP" --remove-section=.comment --remove-section=.note --strip-unneeded "$SO"
chmod 644 "$SO"
find "$DEV" -name '*.a' -exec "$STRIP" --strip-debug --remove-section=.comment --remove-section=.note \
	--enable-deterministic-archives {} +

# What dh_compress would do with man pages: gzip them, and point links at the .gz.
if [ -d "$DEV/usr/share/man" ]; then
	find "$DEV/usr/share/man" -type f ! -name '*.gz' -exec gzip -9nf {} +
	find "$DEV/usr/share/man" -type l ! -name '*.gz' | while read -r l; do
		ln -s "$(readlink "$l").gz" "$l.gz" && rm "$l"
	done
fi

# The exports must be exactly what the symbols file promises (it is what dpkg-shlibdeps
# turns into dependencies of programs built against us).
exports=$("$NM" -D --defined-only --with-symbol-versions "$SO" | awk '{ print $3 }' | sed -e 's/@@*/@/' -e 's/^LIBPMEM_1.0$/&@&/' | sort)
promised=$(awk '/^ / { print $1 }' "$HERE/libpmem1-rs.symbols" | sort)
[ "$exports" = "$promised" ] || die "exports differ from packaging/deb/libpmem1-rs.symbols:
$(diff <(echo "$promised") <(echo "$exports"))"

# Depends of the runtime package: what dpkg-shlibdeps computes from the library's own needs.
SHLIBDEPS=$WORK/shlibdeps
mkdir -p "$SHLIBDEPS/debian"
printf 'Source: libpmem-rs\n\nPackage: libpmem1-rs\nArchitecture: any\n' >"$SHLIBDEPS/debian/control"
# A cross build: the target's libc6 (libc6:$ARCH) gives the version, read with the target's objdump.
DEPENDS=$(cd "$SHLIBDEPS" && DEB_HOST_ARCH=$ARCH OBJDUMP=$OBJDUMP dpkg-shlibdeps -O -e"$SO" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$DEPENDS" ] || die "dpkg-shlibdeps found no dependencies for $SO (is libc6:$ARCH installed?)"
case $DEPENDS in libc6\ *) ;; *) die "the library needs more than libc6: $DEPENDS" ;; esac
case $DEPENDS in *,*) die "the library needs more than libc6: $DEPENDS" ;; esac

# libpmem1-rs conflicts with and replaces the libpmem1 of its own architecture only, so that a
# multiarch system keeps the others; libpmem-rs-dev with every libpmem-dev, whose header and man
# pages it shares.
pkg_meta() { # PKG: doc files, lintian overrides, DEBIAN/control and md5sums
	local pkg=$1 dir=$WORK/$1 size
	install -d "$dir/usr/share/doc/$pkg" "$dir/DEBIAN"
	install -m 644 "$HERE/copyright" "$dir/usr/share/doc/$pkg/copyright"
	sed "1s/(.*) [a-z-]*;/($VERSION) $CODENAME;/" "$HERE/changelog" | gzip -9n >"$dir/usr/share/doc/$pkg/changelog.gz"
	if [ -f "$HERE/$pkg.lintian-overrides" ]; then
		install -d "$dir/usr/share/lintian/overrides"
		install -m 644 "$HERE/$pkg.lintian-overrides" "$dir/usr/share/lintian/overrides/$pkg"
	fi
	find "$dir" -type d -exec chmod 755 {} +
	find "$dir" -type f ! -path '*/DEBIAN/*' -exec chmod go-w {} +
	size=$(du -k -s --apparent-size --exclude=DEBIAN "$dir" | cut -f1)
	sed -e "s|@VERSION@|$VERSION|g" -e "s|@ARCH@|$ARCH|g" -e "s|@MAINTAINER@|$MAINTAINER|g" \
		-e "s|@INSTALLED_SIZE@|$size|g" -e "s|@DEPENDS@|$DEPENDS|g" \
		-e "s|@PMDK_DEB_VERSION@|$PMDK_DEB_VERSION|g" "$HERE/$pkg.control.in" >"$dir/DEBIAN/control"
	if grep -n '@[A-Z_]*@' "$dir/DEBIAN/control"; then die "unfilled field in $pkg's control"; fi
	(cd "$dir" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$dir/DEBIAN/md5sums"
	chmod 644 "$dir/DEBIAN/"*
	find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

install -d "$RT/DEBIAN"
install -m 644 "$HERE/libpmem1-rs.symbols" "$RT/DEBIAN/symbols"
# shlibs for tools that predate symbols files; the same dependency as Debian's libpmem1 has.
echo "libpmem 1 libpmem1 (>= $PMDK_UPSTREAM)" >"$RT/DEBIAN/shlibs"
# ldconfig updates the loader's cache (the .so.1 link is shipped, but the cache must be rebuilt).
echo "activate-noawait ldconfig" >"$RT/DEBIAN/triggers"
pkg_meta libpmem1-rs
pkg_meta libpmem-rs-dev

rm -f "$OUT"/libpmem1-rs_*_"$ARCH".deb "$OUT"/libpmem-rs-dev_*_"$ARCH".deb
for pkg in libpmem1-rs libpmem-rs-dev; do
	dpkg-deb --root-owner-group -Zxz --build "$WORK/$pkg" "$OUT/${pkg}_${VERSION}_${ARCH}.deb" >/dev/null
	echo "deb: $OUT/${pkg}_${VERSION}_${ARCH}.deb"
done
echo "deb: for Debian $RELEASE ($CODENAME) $ARCH: in place of libpmem1 $PMDK_DEB_VERSION"
