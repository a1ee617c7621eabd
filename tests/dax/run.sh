#!/usr/bin/env bash
# tests/dax/run.sh -- libpmem on real DAX: device DAX, filesystem DAX (MAP_SYNC), virtio-pmem
# (DAX without MAP_SYNC), persistence domains (cpu_cache / memory_controller / none), deep flush.
#
# Boots Debian's stock kernel under QEMU (TCG) with emulated NVDIMMs and a virtio-pmem device,
# once per persistence setting, and runs tests/dax/daxcheck.c inside the guest against PMDK's
# libpmem (the host's /usr, mounted over 9p) and against ours (same binary, LD_LIBRARY_PATH).
# Prints a table (expected / PMDK / ours per check per configuration); exits non-zero if ours
# differs from the expected value anywhere, or if a configuration could not be run.
#
# Variables (all optional):
#   PMEM_DAX_SKIP=1        skip (exit 0) with a message
#   PMEM_DAX_CACHE=dir     kernel, initramfs and run directories; default <repo>/target/dax-cache
#   PMEM_LIBDIR=dir        our libpmem.so.1; default <repo>/build (built with `make lib` if missing)
#   PMEM_DAX_CONFIGS="..." which configurations: cpu memctrl none (default: all three)
#   PMEM_DAX_JOBS=n        guests run at once (default 2)
#   PMEM_DAX_ACCEL=auto|kvm|tcg   auto (default): a quick KVM probe boot, TCG if it fails
#   PMEM_DAX_TIMEOUT=s     a guest that shows no progress (its console and results files stop
#                          growing) for this long is stopped (default 240); such a boot is
#                          retried once
#   PMEM_DAX_MAX_TIME=s    a boot is stopped after this long in any case (default 1800)
#   VERBOSE=0              print only failures and deviations instead of the whole table
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

if [ "${PMEM_DAX_SKIP:-0}" = 1 ]; then
	echo "test-dax: skipped (PMEM_DAX_SKIP=1)"
	exit 0
fi

CACHE=${PMEM_DAX_CACHE:-$REPO/target/dax-cache}
PMEM_LIBDIR=${PMEM_LIBDIR:-$REPO/build}
CONFIGS=${PMEM_DAX_CONFIGS:-cpu memctrl none}
JOBS=${PMEM_DAX_JOBS:-2}
ACCEL=${PMEM_DAX_ACCEL:-auto}
BOOT_TIMEOUT=${PMEM_DAX_TIMEOUT:-240}
BOOT_MAX=${PMEM_DAX_MAX_TIME:-1800}
VERBOSE=${VERBOSE:-1}
REF_LIB=/usr/lib/x86_64-linux-gnu/libpmem.so.1
START=$(date +%s)

# ---- tools --------------------------------------------------------------------------------
export PATH="$PATH:/usr/sbin:/sbin" # mkfs.ext4, depmod for a non-root user
missing=()
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt package $2)")
}
need qemu-system-x86_64 qemu-system-x86
need busybox busybox-static
need ndctl ndctl
need mkfs.ext4 e2fsprogs
need cpio cpio
need gzip gzip
need depmod kmod
need dpkg-deb dpkg
need timeout coreutils
need "${CC:-cc}" gcc
if command -v busybox >/dev/null 2>&1 && ldd "$(command -v busybox)" >/dev/null 2>&1; then
	missing+=("a static busybox: $(command -v busybox) is dynamically linked (apt package busybox-static)")
fi
[ -e "$REF_LIB" ] || missing+=("$REF_LIB, the reference PMDK (apt package libpmem1)")
if [ ! -s "$CACHE/kernel/vmlinuz" ]; then
	need apt-get apt
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "test-dax: cannot run, missing:" >&2
	for m in "${missing[@]}"; do echo "  - $m" >&2; done
	echo "install: apt-get install -y qemu-system-x86 busybox-static ndctl e2fsprogs cpio kmod xz-utils zstd libpmem1 gcc" >&2
	echo "(or set PMEM_DAX_SKIP=1 to skip these tests)" >&2
	exit 2
fi

# ---- inputs: cache (kernel + initramfs), our library, the check program -----------------------
mkdir -p "$CACHE" || exit 2
if ! timeout 900 bash "$HERE/mkcache.sh" "$CACHE"; then
	echo "test-dax: building the guest kernel/initramfs cache in $CACHE failed" >&2
	exit 2
fi
KERNEL=$CACHE/kernel/vmlinuz
INITRD=$CACHE/$(cat "$CACHE/initramfs.path")

if [ ! -e "$PMEM_LIBDIR/libpmem.so.1" ]; then
	echo "test-dax: $PMEM_LIBDIR/libpmem.so.1 missing, running make lib"
	make -C "$REPO" lib >/dev/null || { echo "test-dax: make lib failed" >&2; exit 2; }
fi

WORK=$CACHE/run
rm -rf "$WORK"
mkdir -p "$WORK/bin"
if ! "${CC:-cc}" -std=gnu11 -O2 -Wall -Wextra -Werror -I"$REPO/include" -o "$WORK/bin/daxcheck" \
	"$HERE/daxcheck.c" -L"$PMEM_LIBDIR" -Wl,--no-as-needed -lpmem -ldl; then
	echo "test-dax: compiling daxcheck.c failed" >&2
	exit 2
fi

# ---- booting -------------------------------------------------------------------------------
# watch_guest PID DIR STALL MAX: waits for the guest PID; stops it when its console and results files
# have not grown for STALL seconds, or after MAX seconds. A guest under TCG on a busy machine
# (other guests, builds) can take several times its idle time, but keeps writing as it goes.
watch_guest() {
	local pid=$1 d=$2 stall=$3 max=$4 start=$SECONDS last=$SECONDS size=-1 now why='' rc
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		now=$(cat "$d/console.log" "$d/share/results.txt" 2>/dev/null | wc -c)
		if [ "$now" != "$size" ]; then size=$now last=$SECONDS; fi
		if [ $((SECONDS - last)) -ge "$stall" ] || [ $((SECONDS - start)) -ge "$max" ]; then
			why="stopped: no output for $((SECONDS - last)) s, $((SECONDS - start)) s in all"
			kill "$pid" 2>/dev/null
			sleep 5
			kill -9 "$pid" 2>/dev/null
			break
		fi
	done
	wait "$pid"
	rc=$?
	[ -z "$why" ] || echo "$why" >>"$d/qemu.log"
	return $rc
}

# boot CFG ACCEL STALL MAX: one guest run in $WORK/$CFG; 0 if it finished (DONE written)
boot() {
	local cfg=$1 accel=$2 stall=$3 max=$4 d=$WORK/$1
	# nv0 becomes fsdax; nv1 devdax with 2 MiB alignment, or 1 GiB in "none" (3 GiB sparse file,
	# 2 GiB of device DAX after the memmap reservation)
	local machine=pc,nvdimm=on virtio=1 cpu=max nv1=256M ddalign=2M
	case $cfg in
	cpu) machine=$machine,nvdimm-persistence=cpu ;;
	memctrl) machine=$machine,nvdimm-persistence=mem-ctrl ;;
	none) virtio=0 nv1=3G ddalign=1G ;;
	probe) virtio=0 ;;
	esac
	[ "$accel" = kvm ] && cpu=host
	rm -rf "$d"
	mkdir -p "$d/share/ours"
	cp "$WORK/bin/daxcheck" "$HERE/guest.sh" "$d/share/"
	cp -L "$PMEM_LIBDIR/libpmem.so.1" "$d/share/ours/libpmem.so.1"
	truncate -s 256M "$d/nv0.img"
	truncate -s $nv1 "$d/nv1.img"
	local dev=(
		-object "memory-backend-file,id=nv0,share=on,mem-path=$d/nv0.img,size=256M,align=2M"
		-device nvdimm,memdev=nv0,id=nvdimm0
		-object "memory-backend-file,id=nv1,share=on,mem-path=$d/nv1.img,size=$nv1,align=2M"
		-device nvdimm,memdev=nv1,id=nvdimm1
	)
	if [ $virtio = 1 ]; then
		truncate -s 256M "$d/vp0.img"
		dev+=(-object "memory-backend-file,id=vp0,share=on,mem-path=$d/vp0.img,size=256M"
			-device virtio-pmem-pci,memdev=vp0,id=vpmem0)
	fi
	qemu-system-x86_64 \
		-machine "$machine" -accel "$accel" -cpu "$cpu" -smp 1 -m 1G,slots=4,maxmem=8G \
		-nodefaults -display none -no-reboot -monitor none -serial "file:$d/console.log" \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet panic=-1 daxtest.cfg=$cfg daxtest.virtio=$virtio daxtest.ddalign=$ddalign" \
		"${dev[@]}" \
		-fsdev local,id=usrfs,path=/usr,security_model=none,readonly=on \
		-device virtio-9p-pci,fsdev=usrfs,mount_tag=usr \
		-fsdev "local,id=sharefs,path=$d/share,security_model=none" \
		-device virtio-9p-pci,fsdev=sharefs,mount_tag=share \
		>"$d/qemu.log" 2>&1 &
	watch_guest $! "$d" "$stall" "$max"
	local rc=$?
	rm -f "$d"/*.img
	echo "qemu exit $rc" >>"$d/qemu.log"
	[ -f "$d/share/results.txt" ] && tail -1 "$d/share/results.txt" | grep -qx DONE
}

# run_cfg CFG: boot with one retry; keeps the results in $WORK/results-CFG.txt
run_cfg() {
	local cfg=$1 t0 t1 try
	t0=$(date +%s)
	for try in 1 2; do
		if boot "$cfg" "$ACCEL" "$BOOT_TIMEOUT" "$BOOT_MAX"; then
			t1=$(date +%s)
			cp "$WORK/$cfg/share/results.txt" "$WORK/results-$cfg.txt"
			echo "BOOT $cfg ok attempts $try seconds $((t1 - t0))" >>"$WORK/results-$cfg.txt"
			return 0
		fi
		echo "test-dax: $cfg: guest run $try did not finish (see $WORK/$cfg/console.log)" >&2
		[ -d "$WORK/$cfg" ] && cp -r "$WORK/$cfg" "$WORK/$cfg.failed-$try"
	done
	t1=$(date +%s)
	{ [ -f "$WORK/$cfg/share/results.txt" ] && grep -v '^DONE' "$WORK/$cfg/share/results.txt"
	  echo "BOOT $cfg FAILED attempts 2 seconds $((t1 - t0))"; } >"$WORK/results-$cfg.txt"
	return 1
}

if [ "$ACCEL" = auto ]; then
	ACCEL=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		if boot probe kvm 25 25 2>/dev/null; then
			ACCEL=kvm
		fi
		rm -rf "$WORK/probe"
	fi
fi
echo "test-dax: accel $ACCEL, configurations: $CONFIGS, $JOBS at a time (kernel $(cat "$CACHE/kernel/VERSION"))"

running=0
for cfg in $CONFIGS; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_cfg "$cfg" &
	running=$((running + 1))
done
wait

# ---- report --------------------------------------------------------------------------------
END=$(date +%s)
cat "$WORK"/results-*.txt >"$WORK/results.txt" 2>/dev/null
awk -v verbose="$VERBOSE" -v configs="$CONFIGS" -v total=$((END - START)) \
	-v intended="$HERE/intended-differences.txt" \
	-f "$HERE/report.awk" "$WORK/results.txt" | tee "$WORK/report.txt"
exit "${PIPESTATUS[0]}"
