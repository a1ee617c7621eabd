#!/usr/bin/env bash
# tests-c/abi.sh -- ABI tests of the library under test; called by run.sh (or alone).
#
# Prints one line per check: "PASS <what>", "FAIL <what>: <detail>", "SKIP <what>: <why>",
# plus "INFO ..." lines. Exits non-zero if any check failed.
#
# Variables: PMEM_LIBDIR (default <repo>/build), PMEM_INCDIR (default <repo>/include),
# REF_LIBDIR (/usr/lib/x86_64-linux-gnu), REF_INCDIR (/usr/include), CC, CXX,
# SKIP_INSTALL=1 skips the `make install` + pkg-config part, WORK (scratch directory).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CC=${CC:-cc}
CXX=${CXX:-c++}
PMEM_LIBDIR=${PMEM_LIBDIR:-$REPO/build}
PMEM_INCDIR=${PMEM_INCDIR:-$REPO/include}
REF_LIBDIR=${REF_LIBDIR:-/usr/lib/x86_64-linux-gnu}
REF_INCDIR=${REF_INCDIR:-/usr/include}
# Another architecture's library (a cross build, tests/cross): its binutils, and its own loader
# (run by qemu-user) in place of ldd.
OBJDUMP=${CROSS_COMPILE:-}objdump READELF=${CROSS_COMPILE:-}readelf NM=${CROSS_COMPILE:-}nm
# (without the cross chroot's SIGILL preload, which qemu would add to the list: see preload.c)
ldd_() {
	if [ -z "${CROSS_COMPILE:-}" ]; then ldd "$@"; else env -u QEMU_SET_ENV "$TARGET_LDSO" --list "$@"; fi
}
OWN_WORK=0
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d /tmp/pmem-abi.XXXXXX)
	OWN_WORK=1
fi
A=$WORK/abi
rm -rf "$A"
mkdir -p "$A"
SHMD=$(mktemp -d /dev/shm/pmem-abi.XXXXXX)
trap 'rm -rf "$SHMD"; [ $OWN_WORK = 1 ] && rm -rf "$WORK"' EXIT

NFAIL=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; NFAIL=$((NFAIL + 1)); }
skip() { echo "SKIP $*"; }
oneline() { tr '\n' ' ' | sed 's/  */ /g' | head -c 1500; }

LIB=$PMEM_LIBDIR/libpmem.so.1
EXPECTED="pmem_check_version pmem_deep_drain pmem_deep_flush pmem_deep_persist pmem_drain
pmem_errormsg pmem_flush pmem_has_auto_flush pmem_has_hw_drain pmem_is_pmem
pmem_log_get_threshold pmem_log_set_function pmem_log_set_threshold pmem_map_file
pmem_memcpy pmem_memcpy_nodrain pmem_memcpy_persist pmem_memmove pmem_memmove_nodrain
pmem_memmove_persist pmem_memset pmem_memset_nodrain pmem_memset_persist pmem_msync
pmem_persist pmem_unmap"
EXPECTED=$(echo $EXPECTED | tr ' ' '\n' | sort)

if [ ! -e "$LIB" ]; then
	fail "library: $LIB does not exist (run make)"
	exit 1
fi
echo 'int main(void) { return 0; }' | "$CC" -x c -o "$A/empty" - &&
	TARGET_LDSO=$($READELF -l "$A/empty" | sed -n 's/.*interpreter: \(.*\)]$/\1/p')

# ---------------------------------------------------------------- files and links
if [ -f "$PMEM_LIBDIR/libpmem.so.1.0.0" ] && [ ! -L "$PMEM_LIBDIR/libpmem.so.1.0.0" ]; then
	pass "files: libpmem.so.1.0.0 is a regular file"
else
	fail "files: $PMEM_LIBDIR/libpmem.so.1.0.0 is missing or not a regular file"
fi
for l in libpmem.so.1 libpmem.so; do
	if [ -L "$PMEM_LIBDIR/$l" ] && [ "$(readlink -f "$PMEM_LIBDIR/$l")" = "$(readlink -f "$PMEM_LIBDIR/libpmem.so.1.0.0")" ]; then
		pass "files: $l is a symlink to libpmem.so.1.0.0"
	else
		fail "files: $l is not a symlink resolving to libpmem.so.1.0.0 ($(ls -l "$PMEM_LIBDIR/$l" 2>&1))"
	fi
done
[ -f "$PMEM_LIBDIR/libpmem.a" ] && pass "files: libpmem.a exists" || fail "files: $PMEM_LIBDIR/libpmem.a is missing"

# ---------------------------------------------------------------- exported symbols
$OBJDUMP -T "$LIB" >"$A/objdump-T.txt" 2>&1
# defined dynamic symbols: section is not *UND*
awk '$0 ~ /^[0-9a-f]+ / && $0 !~ /\*UND\*/ { print }' "$A/objdump-T.txt" >"$A/defined.txt"
# function entries: "<addr> g    DF .text <size>  LIBPMEM_1.0 pmem_x"
got_funcs=$(awk '/ DF / { print $NF }' "$A/defined.txt" | sort)
if [ "$got_funcs" = "$EXPECTED" ]; then
	pass "exports: exactly the 26 pmem_* functions"
else
	fail "exports: function list differs: missing: $(comm -23 <(echo "$EXPECTED") <(echo "$got_funcs") | oneline) extra: $(comm -13 <(echo "$EXPECTED") <(echo "$got_funcs") | oneline)"
fi
# (not always the field before the name: ppc64le's objdump puts the local entry offset between)
bad_ver=$(awk '/ DF / { v = 0; for (i = 1; i < NF; i++) if ($i == "LIBPMEM_1.0") v = 1; if (!v) print $NF " (" $(NF-1) ")" }' "$A/defined.txt" | oneline)
[ -z "$bad_ver" ] && pass "exports: every function is versioned LIBPMEM_1.0 in objdump -T" || fail "exports: functions not at LIBPMEM_1.0: $bad_ver"
# local symbols (aarch64's linker leaves .init's and .data's section symbols in .dynsym) bind nothing
others=$(awk '!/ DF / && $2 != "l" { print }' "$A/defined.txt" | grep -v -E '[[:space:]]\*ABS\*[[:space:]]+0+[[:space:]]+LIBPMEM_1\.0[[:space:]]+LIBPMEM_1\.0$' | oneline)
[ -z "$others" ] && pass "exports: nothing else exported (besides the ABS LIBPMEM_1.0 version symbol)" || fail "exports: other defined symbols: $others"
$READELF -W --dyn-syms "$LIB" >"$A/dynsyms.txt" 2>&1
ndefault=$(grep -c -E ' pmem_[a-z_]+@@LIBPMEM_1\.0$' "$A/dynsyms.txt")
nonver=$(awk '$7 != "UND" && $8 ~ /^pmem_/ && $8 !~ /@@LIBPMEM_1\.0$/ { print $8 }' "$A/dynsyms.txt" | oneline)
if [ "$ndefault" = 26 ] && [ -z "$nonver" ]; then
	pass "exports: all 26 are default versions (pmem_x@@LIBPMEM_1.0) in readelf"
else
	fail "exports: $ndefault of 26 are pmem_x@@LIBPMEM_1.0; not default-versioned: $nonver"
fi
$READELF -W -V "$LIB" >"$A/versions.txt" 2>&1
vdefs=$(awk '/Version definition section/ { s = 1; next } /Version needs section/ { s = 0 } s && /Name:/ { for (i = 1; i <= NF; i++) if ($i == "Name:") print $(i + 1) }' "$A/versions.txt" | oneline)
[ "$vdefs" = "libpmem.so.1 LIBPMEM_1.0 " ] && pass "versions: definitions are libpmem.so.1 (base) and LIBPMEM_1.0" || fail "versions: version definitions are: $vdefs"

# ---------------------------------------------------------------- SONAME, dependencies
soname=$($READELF -d "$LIB" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libpmem.so.1 ] && pass "soname: libpmem.so.1" || fail "soname: '$soname'"
needed=$($READELF -d "$LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | oneline)
echo "INFO NEEDED: $needed"
ldd_ "$LIB" >"$A/ldd.txt" 2>&1
bad=$(awk '{ print $1 }' "$A/ldd.txt" | grep -v -E '^(linux-vdso(64)?\.so\.1|(/lib(64)?/)?ld(-linux-[a-z0-9_-]+|64)\.so\.[12]|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libutil\.so\.1|libresolv\.so\.2)$' | oneline)
[ -z "$bad" ] && pass "ldd: only glibc libraries [$(awk '{ print $1 }' "$A/ldd.txt" | oneline)]" || fail "ldd: non-glibc dependencies: $bad"
if grep -q 'libgcc_s' "$A/ldd.txt"; then echo "INFO ldd: libgcc_s.so.1 is needed (GCC's unwinder, not part of glibc)"; fi
grep -q -E 'libndctl|libdaxctl' "$A/ldd.txt" && fail "ldd: depends on libndctl/libdaxctl" || pass "ldd: no libndctl/libdaxctl"

# ---------------------------------------------------------------- a program built against Debian's libpmem
SMOKE=$A/smoke_debian
if "$CC" -std=c11 -Wall -Wextra -Werror -I"$REF_INCDIR" -o "$SMOKE" "$HERE/abi_smoke.c" -L"$REF_LIBDIR" -lpmem >"$A/smoke.build" 2>&1; then
	ref_out=$(PMEMTEST_DIR=$SHMD "$SMOKE" 2>&1)
	[ "$ref_out" = "smoke: ok" ] && echo "INFO smoke program passes with Debian's libpmem" || echo "INFO smoke program with Debian's libpmem: $ref_out"
	nfun=$($NM -D --undefined-only "$SMOKE" | grep -c ' pmem_')
	for mode in LD_LIBRARY_PATH LD_PRELOAD; do
		dbg=$A/ld-debug-$mode
		rm -f "$dbg".*
		if [ $mode = LD_LIBRARY_PATH ]; then
			envset="LD_LIBRARY_PATH=$PMEM_LIBDIR"
		else
			envset="LD_PRELOAD=$(readlink -f "$LIB")"
			# qemu-user's QEMU_SET_ENV=LD_PRELOAD=... (the cross chroot's SIGILL preload)
			# replaces the program's own LD_PRELOAD: ours goes first in it
			[[ ${QEMU_SET_ENV:-} != LD_PRELOAD=* ]] ||
				envset="$envset QEMU_SET_ENV=LD_PRELOAD=$(readlink -f "$LIB"):${QEMU_SET_ENV#LD_PRELOAD=}"
		fi
		env $envset PMEMTEST_DIR="$SHMD" "$SMOKE" >"$A/smoke-$mode.out" 2>"$A/smoke-$mode.err"
		rc=$?
		[ $rc = 0 ] && [ "$(cat "$A/smoke-$mode.out")" = "smoke: ok" ] && pass "debian-built program via $mode: runs (all 23 1.12 functions)" ||
			fail "debian-built program via $mode: rc=$rc output: $(oneline <"$A/smoke-$mode.out") stderr: $(oneline <"$A/smoke-$mode.err")"
		[ ! -s "$A/smoke-$mode.err" ] && pass "debian-built program via $mode: nothing on stderr (no loader warning)" ||
			fail "debian-built program via $mode: stderr: $(oneline <"$A/smoke-$mode.err")"
		env $envset LD_BIND_NOW=1 LD_DEBUG=bindings,files LD_DEBUG_OUTPUT="$dbg" PMEMTEST_DIR="$SHMD" "$SMOKE" >/dev/null 2>&1
		cat "$dbg".* >"$dbg.all" 2>/dev/null
		ours=$(readlink -f "$LIB")
		# binding file <smoke> [0] to <lib> [0]: normal symbol `pmem_x' [LIBPMEM_1.0]
		bound_ours=$(grep -E "binding file $SMOKE .* to ($PMEM_LIBDIR/libpmem\.so\.1|$ours) .*symbol \`pmem_[a-z_]+' \[LIBPMEM_1\.0\]" "$dbg.all" |
			sed -n "s/.*symbol \`\(pmem_[a-z_]*\)'.*/\1/p" | sort -u | wc -l)
		bound_other=$(grep -E "binding file $SMOKE .*symbol \`pmem_" "$dbg.all" | grep -v -E " to ($PMEM_LIBDIR/libpmem\.so\.1|$ours) " | oneline)
		if [ "$bound_ours" = "$nfun" ] && [ -z "$bound_other" ] && [ "$nfun" -gt 0 ]; then
			pass "debian-built program via $mode: LD_DEBUG=bindings binds all $nfun pmem_* to ours at LIBPMEM_1.0"
		else
			fail "debian-built program via $mode: $bound_ours of $nfun pmem_* bound to ours; other bindings: $bound_other"
		fi
		refreal=$(readlink -f "$REF_LIBDIR/libpmem.so.1")
		if [ "$refreal" != "$ours" ] && grep -q -E "(file=($REF_LIBDIR/libpmem\.so\.1|$refreal) \[0\];  generating link map|calling init: ($REF_LIBDIR/libpmem\.so\.1|$refreal)$)" "$dbg.all"; then
			fail "debian-built program via $mode: the system libpmem was loaded: $(grep -E "$REF_LIBDIR/libpmem" "$dbg.all" | head -3 | oneline)"
		else
			pass "debian-built program via $mode: the system libpmem is not loaded"
		fi
	done
else
	fail "debian-built program: cannot build against $REF_INCDIR/libpmem.h + $REF_LIBDIR: $(oneline <"$A/smoke.build")"
fi

# ---------------------------------------------------------------- header conformance
HC=$HERE/header_conformance.c
HCF="-Wall -Wextra -Wpedantic -Werror"
if [ -e "$PMEM_INCDIR/libpmem.h" ]; then
	if "$CC" -std=c11 $HCF -I"$PMEM_INCDIR" -o "$A/hc_c" "$HC" -L"$PMEM_LIBDIR" -lpmem >"$A/hc_c.build" 2>&1; then
		out=$(LD_LIBRARY_PATH=$PMEM_LIBDIR "$A/hc_c" 2>&1)
		[ "$out" = "header_conformance: ok (26 functions)" ] && pass "header: C11 conformance (compiles, links, runs)" || fail "header: C11 conformance program: $out"
	else
		fail "header: C11 conformance: $(oneline <"$A/hc_c.build")"
	fi
	if "$CXX" -x c++ -std=c++11 $HCF -I"$PMEM_INCDIR" -o "$A/hc_cxx" "$HC" -x none -L"$PMEM_LIBDIR" -lpmem >"$A/hc_cxx.build" 2>&1; then
		out=$(LD_LIBRARY_PATH=$PMEM_LIBDIR "$A/hc_cxx" 2>&1)
		[ "$out" = "header_conformance: ok (26 functions)" ] && pass "header: C++ conformance (compiles, links: extern \"C\" guards, runs)" || fail "header: C++ conformance program: $out"
	else
		fail "header: C++ conformance: $(oneline <"$A/hc_cxx.build")"
	fi
	for std in c99 gnu11 c17; do
		"$CC" -std=$std $HCF -I"$PMEM_INCDIR" -DPMEMTEST_NO_LOG_API -fsyntax-only "$HC" >"$A/hc_$std.build" 2>&1 &&
			pass "header: 1.12 part compiles with -std=$std" || {
			# _Static_assert/_Generic are C11; c99 only gets -fsyntax-only of the header itself
			if [ $std = c99 ]; then
				echo '#include <libpmem.h>' | "$CC" -std=c99 -Wall -Wextra -Werror -I"$PMEM_INCDIR" -x c -fsyntax-only - >"$A/hc_c99b.build" 2>&1 &&
					pass "header: compiles with -std=c99" || fail "header: -std=c99: $(oneline <"$A/hc_c99b.build")"
			else
				fail "header: -std=$std: $(oneline <"$A/hc_$std.build")"
			fi
		}
	done
	# the header alone, twice (include guard), as C and C++
	printf '#include <libpmem.h>\n#include <libpmem.h>\nint main(void) { return PMEM_FILE_CREATE - 1; }\n' >"$A/twice.c"
	"$CC" -std=c11 $HCF -I"$PMEM_INCDIR" -fsyntax-only "$A/twice.c" >"$A/twice.build" 2>&1 &&
		"$CXX" -x c++ -std=c++98 -Wall -Wextra -Werror -I"$PMEM_INCDIR" -fsyntax-only "$A/twice.c" >>"$A/twice.build" 2>&1 &&
		pass "header: included twice as C11 and C++98" || fail "header: included twice: $(oneline <"$A/twice.build")"
	# hygiene: the header defines PMDK's macros and declares PMDK's functions, nothing else
	printf '#include <sys/types.h>\n' >"$A/base.c"
	printf '#include <sys/types.h>\n#include <libpmem.h>\n' >"$A/withpmem.c"
	"$CC" -std=c11 -dM -E -I"$PMEM_INCDIR" "$A/base.c" | awk '{ print $2 }' | sed 's/(.*//' | sort -u >"$A/macros.base"
	"$CC" -std=c11 -dM -E -I"$PMEM_INCDIR" "$A/withpmem.c" | awk '{ print $2 }' | sed 's/(.*//' | sort -u >"$A/macros.pmem"
	exp_macros=$(echo LIBPMEM_H PMEM_MIN_PART PMEM_FILE_CREATE PMEM_FILE_EXCL PMEM_FILE_SPARSE PMEM_FILE_TMPFILE \
		PMEM_F_MEM_NODRAIN PMEM_F_MEM_NONTEMPORAL PMEM_F_MEM_TEMPORAL PMEM_F_MEM_WC PMEM_F_MEM_WB PMEM_F_MEM_NOFLUSH \
		PMEM_F_MEM_VALID_FLAGS PMEM_MAJOR_VERSION PMEM_MINOR_VERSION PMEM_LOG_USE_DEFAULT_FUNCTION | tr ' ' '\n' | sort)
	got_macros=$(comm -13 "$A/macros.base" "$A/macros.pmem")
	extra=$(comm -13 <(echo "$exp_macros") <(echo "$got_macros") | oneline)
	miss=$(comm -23 <(echo "$exp_macros") <(echo "$got_macros") | oneline)
	[ -z "$extra$miss" ] && pass "header: defines exactly PMDK's macros (+ PMEM_LOG_USE_DEFAULT_FUNCTION)" ||
		fail "header: macros beyond PMDK's: [$extra] missing: [$miss]"
	# declared functions (gcc -aux-info lists every prototype with the file it comes from)
	if "$CC" -std=c11 -fsyntax-only -aux-info "$A/aux.txt" -I"$PMEM_INCDIR" "$A/withpmem.c" 2>/dev/null; then
		got_decl=$(grep -F "$PMEM_INCDIR/libpmem.h" "$A/aux.txt" | sed -n 's/.*[ *]\([A-Za-z_][A-Za-z_0-9]*\) *(.*/\1/p' | sort -u)
		extra=$(comm -13 <(echo "$EXPECTED") <(echo "$got_decl") | oneline)
		miss=$(comm -23 <(echo "$EXPECTED") <(echo "$got_decl") | oneline)
		[ -z "$extra$miss" ] && pass "header: declares exactly the 26 functions" ||
			fail "header: declarations beyond the 26: [$extra] missing: [$miss]"
	fi
else
	fail "header: $PMEM_INCDIR/libpmem.h is missing"
fi
if "$CC" -std=c11 $HCF -DPMEMTEST_NO_LOG_API -I"$REF_INCDIR" -o "$A/hc_ref" "$HC" -L"$REF_LIBDIR" -lpmem >"$A/hc_ref.build" 2>&1 &&
	[ "$("$A/hc_ref")" = "header_conformance: ok (23 functions)" ]; then
	pass "header: the conformance test's 1.12 part passes against Debian's $REF_INCDIR/libpmem.h (sanity)"
else
	fail "header: the conformance test's 1.12 part fails against Debian's header: $(oneline <"$A/hc_ref.build")"
fi

# ---------------------------------------------------------------- make install + pkg-config
if [ "${SKIP_INSTALL:-0}" = 1 ]; then
	skip "install/pkg-config: SKIP_INSTALL=1"
elif [ ! -f "$REPO/Makefile" ]; then
	fail "install/pkg-config: $REPO/Makefile is missing"
else
	PFX=$A/prefix
	# LIBDIR given: a cross build's default is lib/<multiarch>
	if make -C "$REPO" install PREFIX="$PFX" LIBDIR="$PFX/lib" >"$A/install.log" 2>&1; then
		pass "install: make install PREFIX=<tmp> succeeds"
	else
		fail "install: make install PREFIX=<tmp> failed: $(tail -5 "$A/install.log" | oneline)"
	fi
	missing=""
	for f in lib/libpmem.so lib/libpmem.so.1 lib/libpmem.a include/libpmem.h lib/pkgconfig/libpmem.pc; do
		[ -e "$PFX/$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] && pass "install: lib/libpmem.so*, lib/libpmem.a, include/libpmem.h, lib/pkgconfig/libpmem.pc" || fail "install: missing:$missing"
	[ -L "$PFX/lib/libpmem.so" ] && [ -L "$PFX/lib/libpmem.so.1" ] && pass "install: libpmem.so and libpmem.so.1 are symlinks" || fail "install: libpmem.so/libpmem.so.1 are not symlinks: $(ls -l "$PFX"/lib/libpmem.so* 2>&1 | oneline)"
	cmp -s "$PFX/include/libpmem.h" "$PMEM_INCDIR/libpmem.h" && pass "install: installed header equals include/libpmem.h" || fail "install: installed header differs from include/libpmem.h"
	export PKG_CONFIG_PATH=$PFX/lib/pkgconfig
	export PKG_CONFIG_LIBDIR=$PFX/lib/pkgconfig
	pcprefix=$(pkg-config --variable=prefix libpmem 2>&1)
	[ "$pcprefix" = "$PFX" ] && pass "pkg-config: prefix is the PREFIX used" || fail "pkg-config: prefix=$pcprefix, expected $PFX"
	pkg-config --atleast-version=1.12 libpmem && pass "pkg-config: --atleast-version=1.12 libpmem" || fail "pkg-config: --atleast-version=1.12 fails (Version: $(pkg-config --modversion libpmem 2>&1))"
	echo "INFO pkg-config --cflags --libs: $(pkg-config --cflags --libs libpmem 2>&1)"
	echo "INFO pkg-config --static --cflags --libs: $(pkg-config --static --cflags --libs libpmem 2>&1)"
	dyn_flags=$(pkg-config --cflags --libs libpmem)
	st_flags=$(pkg-config --static --cflags --libs libpmem)
	# static against libpmem.a: -l:libpmem.a instead of -lpmem, the rest from Libs.private
	st_flags_a=$(echo " $st_flags " | sed 's/ -lpmem / -l:libpmem.a /')
	for lang in c cxx; do
		if [ $lang = c ]; then src=$HERE/abi_smoke.c; comp="$CC -std=c11 -Wall -Wextra -Werror"; want="smoke: ok"; else src=$HERE/pkgconfig_user.cpp; comp="$CXX -std=c++11 -Wall -Wextra -Werror"; want="cxx: ok"; fi
		# dynamic
		if $comp -o "$A/pc_${lang}_dyn" "$src" $dyn_flags >"$A/pc_${lang}_dyn.build" 2>&1; then
			out=$(LD_LIBRARY_PATH=$PFX/lib PMEMTEST_DIR=$SHMD "$A/pc_${lang}_dyn" 2>&1)
			resolved=$(LD_LIBRARY_PATH=$PFX/lib ldd_ "$A/pc_${lang}_dyn" | awk '$1 == "libpmem.so.1" { print $3 }')
			if [ "$out" = "$want" ] && [ "$(readlink -f "$resolved")" = "$(readlink -f "$PFX/lib/libpmem.so.1")" ]; then
				pass "pkg-config: $lang dynamic build runs with the installed libpmem.so.1"
			else
				fail "pkg-config: $lang dynamic build: output '$out', libpmem.so.1 resolved to '$resolved'"
			fi
		else
			fail "pkg-config: $lang dynamic build: $(oneline <"$A/pc_${lang}_dyn.build")"
		fi
		# static against libpmem.a (the rest of the libraries dynamic)
		if $comp -o "$A/pc_${lang}_st" "$src" $st_flags_a >"$A/pc_${lang}_st.build" 2>&1; then
			out=$(env -u LD_LIBRARY_PATH PMEMTEST_DIR=$SHMD "$A/pc_${lang}_st" 2>&1)
			if [ "$out" = "$want" ] && ! $READELF -d "$A/pc_${lang}_st" | grep -q 'libpmem\.so'; then
				pass "pkg-config --static: $lang build against libpmem.a runs (no libpmem.so needed)"
			else
				fail "pkg-config --static: $lang build against libpmem.a: output '$out', NEEDED: $($READELF -d "$A/pc_${lang}_st" | grep NEEDED | oneline)"
			fi
		else
			fail "pkg-config --static: $lang build against libpmem.a with '$st_flags_a': $(oneline <"$A/pc_${lang}_st.build")"
		fi
		# fully static executable (cc -static ... $(pkg-config --static --libs)): Libs.private
		# names the static unwinder (libgcc_eh), so this links and runs
		# (CROSS_STATIC_OBJS: under qemu, the SIGILL preload that a static program cannot load)
		if $comp -static -o "$A/pc_${lang}_full" "$src" ${CROSS_STATIC_OBJS:-} $st_flags >"$A/pc_${lang}_full.build" 2>&1 &&
			out=$(PMEMTEST_DIR=$SHMD "$A/pc_${lang}_full" 2>&1); then
			pass "pkg-config --static: $lang fully static executable (-static) runs: '$out'"
		else
			fail "pkg-config --static: $lang fully static (-static) build or run failed: $(grep -v -i warning "$A/pc_${lang}_full.build" | oneline) $out"
		fi
	done
	# DESTDIR: staged install keeps PREFIX in the .pc
	DD=$A/destdir
	if make -C "$REPO" install PREFIX=/opt/pmemtest LIBDIR=/opt/pmemtest/lib DESTDIR="$DD" >"$A/install-destdir.log" 2>&1 &&
		[ -e "$DD/opt/pmemtest/lib/libpmem.so.1" ] && [ -e "$DD/opt/pmemtest/include/libpmem.h" ] &&
		[ "$(PKG_CONFIG_PATH=$DD/opt/pmemtest/lib/pkgconfig PKG_CONFIG_LIBDIR=$DD/opt/pmemtest/lib/pkgconfig pkg-config --variable=prefix libpmem)" = /opt/pmemtest ]; then
		pass "install: DESTDIR staging keeps PREFIX in libpmem.pc"
	else
		fail "install: make install PREFIX=/opt/pmemtest DESTDIR=<tmp>: $(tail -3 "$A/install-destdir.log" | oneline) files: $(cd "$DD" 2>/dev/null && find . -maxdepth 4 | oneline)"
	fi
fi

[ $NFAIL = 0 ]
