# tests/dax/guest.sh -- sourced by the guest's /init (busybox sh), with the host's /usr
# mounted read-only at /usr and the run directory at /share (daxcheck, ours/libpmem.so.1).
#
# Kernel command line: daxtest.cfg=cpu|memctrl|none (the nvdimm-persistence QEMU was given),
# daxtest.virtio=0|1 (whether a virtio-pmem device is attached), daxtest.ddalign=2M|1G (the
# device DAX alignment).
# Writes /share/results.txt: "R <cfg> <section> <lib> CHECK|INFO ..." lines, "FACT ..." lines, and
# "DONE" at the end. Section names the device under test (nvdimm, devdax, fsdax, virtio, ...).

OUT=/share/results.txt
# the check program and our library, copied to the guest's tmpfs (9p reads are slow)
mkdir -p /tmp/dc/ours
cp /share/daxcheck /tmp/dc/ && cp /share/ours/libpmem.so.1 /tmp/dc/ours/
BIN=/tmp/dc/daxcheck
LIB_pmdk=/usr/lib/x86_64-linux-gnu
LIB_ours=/tmp/dc/ours
: >"$OUT"
CFG=$(sed -n 's/.*daxtest.cfg=\([^ ]*\).*/\1/p' /proc/cmdline)
VIRTIO=$(sed -n 's/.*daxtest.virtio=\([^ ]*\).*/\1/p' /proc/cmdline)
DDALIGN=$(sed -n 's/.*daxtest.ddalign=\([^ ]*\).*/\1/p' /proc/cmdline)
SECTION=boot
if [ "$CFG" = probe ]; then # run.sh's accelerator probe: booting is all it wants to know
	echo DONE >>"$OUT"
	return 0
fi

fact() { echo "FACT $CFG $SECTION $*" >>"$OUT"; echo "GUEST: $*"; }
stamp() { fact "time $(cut -d' ' -f1 /proc/uptime) $*"; }

# both ARGS...: daxcheck ARGS against PMDK, then against ours ($ENVX: extra environment)
both() {
	for lib in pmdk ours; do
		eval "dir=\$LIB_$lib"
		env -i PATH=/bin:/usr/bin LD_LIBRARY_PATH="$dir" DAXCHECK_LIB=$lib $ENVX "$BIN" "$@" 2>>"/share/stderr-$lib.txt" |
			sed "s/^/R $CFG $SECTION $lib /" >>"$OUT"
	done
}
ENVX=

# wait_for PATH: up to 20 s
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1" ]
}

stamp "userspace up (cfg=$CFG virtio=$VIRTIO)"
SECTION=lib
both lib

# ---- NVDIMMs (ACPI NFIT) -------------------------------------------------------------------
load libnvdimm nfit nd_pmem dax_pmem device_dax crc32c_generic ext4
wait_for /sys/bus/nd/devices/region1/namespace1.0 || fact "ERROR: nvdimm regions did not appear"
wait_for /sys/bus/nd/devices/region0/namespace0.0
for r in /sys/bus/nd/devices/region*; do
	fact "$(basename $r) persistence_domain=$(cat $r/persistence_domain 2>/dev/null || echo '(absent)') deep_flush=$(cat $r/deep_flush 2>/dev/null || echo '(absent)')"
done

SECTION=nvdimm
case $CFG in
cpu) AF=1 FL=skip PD=cpu_cache ;;
memctrl) AF=0 FL=flush PD=memory_controller ;;
*) AF=0 FL=flush PD='(absent)' ;;
esac
# the rig's own check that QEMU set the persistence domain it was asked for
for r in region0 region1; do
	pd=$(cat /sys/bus/nd/devices/$r/persistence_domain 2>/dev/null || echo '(absent)')
	for lib in pmdk ours; do
		echo "R $CFG $SECTION $lib CHECK env.$r.persistence_domain $PD $pd" >>"$OUT"
	done
done
both autoflush autoflush "$AF"
both flush flush.default "$FL"
both flush persist.default "$FL"
both flush deep_flush.default flush
ENVX=PMEM_NO_FLUSH=0
both flush flush.PMEM_NO_FLUSH=0 flush
ENVX=PMEM_NO_FLUSH=1
both flush flush.PMEM_NO_FLUSH=1 skip
ENVX=
stamp "auto flush checks done"

# namespace0.0 -> fsdax, namespace1.0 -> devdax
ndctl create-namespace -f -e namespace0.0 -m fsdax >/tmp/ns0.json 2>&1 || { fact "ERROR: ndctl fsdax: $(cat /tmp/ns0.json)"; }
ndctl create-namespace -f -e namespace1.0 -m devdax -a "${DDALIGN:-2M}" >/tmp/ns1.json 2>&1 || { fact "ERROR: ndctl devdax: $(cat /tmp/ns1.json)"; }
PMEM=$(sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p' /tmp/ns0.json | head -1)
DAX=$(sed -n 's/.*"chardev":"\([^"]*\)".*/\1/p' /tmp/ns1.json | head -1)
fact "fsdax /dev/$PMEM devdax /dev/$DAX align $DDALIGN"
stamp "namespaces configured"

# ---- device DAX ----------------------------------------------------------------------------
SECTION=devdax
if [ -n "$DAX" ] && wait_for "/dev/$DAX"; then
	both devdax "/dev/$DAX"
	both deepflush "/dev/$DAX" real:nowrite drain:nowrite zero:nowrite five:write unreadable:nowrite missing:-
else
	fact "ERROR: no device DAX"
fi
stamp "device DAX checks done"

# ---- filesystem DAX on the NVDIMM -----------------------------------------------------------
# fs_suite DEV MNT PREFIX EXP_MAP_SYNC: mkfs, DAX mount, checks, data through DAX survives a
# remount, then the same files on a non-DAX mount.
fs_suite() {
	dev=$1 mnt=$2 pfx=$3 sync=$4
	mkdir -p "$mnt"
	mkfs.ext4 -q -F -b 4096 "$dev" >/tmp/mkfs.log 2>&1 || fact "ERROR: mkfs.ext4 $dev: $(cat /tmp/mkfs.log)"
	mount -t ext4 -o dax "$dev" "$mnt" || fact "ERROR: mount -o dax $dev"
	fact "$pfx mount: $(grep " $mnt " /proc/mounts)"
	SECTION=$pfx
	for lib in pmdk ours; do
		# each library writes its own file through a pmem mapping (checked by both after remount)
		eval "dir=\$LIB_$lib"
		truncate -s 4M "$mnt/$lib.pool"
		env -i LD_LIBRARY_PATH="$dir" "$BIN" fswrite "$pfx.write" "$mnt/$lib.pool" 7 |
			sed "s/^/R $CFG $SECTION $lib /" >>"$OUT"
	done
	both fs "$pfx.dax" "$mnt/%L.pool" "$sync" 1
	# a mapping placed by PMEM_MMAP_HINT still asks for (and gets) MAP_SYNC
	ENVX=PMEM_MMAP_HINT=0x100000000000
	both fs "$pfx.hint" "$mnt/%L.pool" "$sync" 1
	ENVX=
	umount "$mnt" || fact "ERROR: umount $mnt"
	echo 3 >/proc/sys/vm/drop_caches
	mount -t ext4 -o dax "$dev" "$mnt" || fact "ERROR: remount -o dax $dev"
	for lib in pmdk ours; do
		"$BIN" fsverify "$pfx.remount.data" "$mnt/$lib.pool" 7 | sed "s/^/R $CFG $SECTION $lib /" >>"$OUT"
	done
	umount "$mnt"
	mount -t ext4 -o dax=never "$dev" "$mnt" || fact "ERROR: mount -o dax=never $dev"
	fact "$pfx mount: $(grep " $mnt " /proc/mounts)"
	for lib in pmdk ours; do
		"$BIN" fsverify "$pfx.nodax.data" "$mnt/$lib.pool" 7 | sed "s/^/R $CFG $SECTION $lib /" >>"$OUT"
	done
	both fs "$pfx.nodax" "$mnt/%L.pool" 0 0
	umount "$mnt"
}

if [ -n "$PMEM" ] && wait_for "/dev/$PMEM"; then
	SECTION=fsdax
	fs_suite "/dev/$PMEM" /mnt/fsdax fsdax 1
else
	fact "ERROR: no fsdax block device"
fi
stamp "fsdax checks done"

# ---- virtio-pmem: DAX without MAP_SYNC --------------------------------------------------------
if [ "$VIRTIO" = 1 ]; then
	SECTION=virtio
	before=$(ls /sys/bus/nd/devices)
	load virtio_pmem
	wait_for /sys/bus/nd/devices/region2/namespace2.0 || fact "ERROR: virtio-pmem region did not appear"
	i=0
	while [ ! -e /dev/pmem2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	r=/sys/bus/nd/devices/region2
	fact "region2 (virtio) persistence_domain=$(cat $r/persistence_domain 2>/dev/null || echo '(absent)') deep_flush=$(cat $r/deep_flush 2>/dev/null || echo '(absent)')"
	both autoflush autoflush.with_virtio 0
	both flush flush.with_virtio flush
	VDEV=/dev/$(ls /sys/bus/nd/devices/namespace2.0/block 2>/dev/null | head -1)
	fact "virtio-pmem block device $VDEV"
	fs_suite "$VDEV" /mnt/virtio virtio 0
	stamp "virtio checks done"
	if ndctl create-namespace -f -e namespace2.0 -m devdax >/tmp/ns2.json 2>&1; then
		VDAX=$(sed -n 's/.*"chardev":"\([^"]*\)".*/\1/p' /tmp/ns2.json | head -1)
		fact "virtio-pmem as device DAX: /dev/$VDAX"
		SECTION=virtio-devdax
		both devdax "/dev/$VDAX"
		both deepflush "/dev/$VDAX" real:-
	else
		fact "virtio-pmem cannot be device DAX: $(tr '\n' ' ' </tmp/ns2.json)"
	fi
fi

echo DONE >>"$OUT"
sync
