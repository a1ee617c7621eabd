#!/usr/bin/env bash
# tests/dax/mkcache.sh CACHE -- builds (or reuses) what the DAX guest boots from:
#   CACHE/kernel/vmlinuz            Debian's stock kernel (from linux-image-amd64, never installed)
#   CACHE/kernel/VERSION            its release string (uname -r)
#   CACHE/initramfs-<key>.cpio.gz   busybox-static + the nvdimm/dax/ext4/9p/virtio modules
#   CACHE/initramfs.path            the name of the current initramfs
# Everything is reused when present; the initramfs key hashes init + module list + busybox.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$1
mkdir -p "$CACHE"
cd "$CACHE"

# The modules the guest loads (their dependencies are added from modules.dep).
MODULES="virtio_pci 9pnet_virtio 9p crc32c_generic ext4 libnvdimm nfit nd_pmem dax_pmem device_dax virtio_pmem"

log() { echo "[dax-cache] $*" >&2; }

# ---- kernel ---------------------------------------------------------------------------------
if [ ! -s kernel/vmlinuz ] || [ ! -s kernel/VERSION ] || [ ! -d kernel/modules ]; then
	log "fetching Debian's stock kernel (apt-get download linux-image-amd64)"
	rm -rf kernel kernel.tmp
	mkdir -p kernel.tmp/debs
	(
		cd kernel.tmp/debs
		timeout 300 apt-get -q -o APT::Sandbox::User=root download linux-image-amd64 >/dev/null
		dep=$(dpkg-deb -f linux-image-amd64_*.deb Depends | grep -o 'linux-image-[0-9][^ ,]*-amd64' | head -1)
		[ -n "$dep" ] || { echo "cannot tell the kernel package linux-image-amd64 depends on" >&2; exit 1; }
		timeout 600 apt-get -q -o APT::Sandbox::User=root download "$dep" >/dev/null
	)
	deb=$(ls kernel.tmp/debs/linux-image-[0-9]*.deb | head -1)
	log "unpacking $(basename "$deb")"
	dpkg -x "$deb" kernel.tmp/root
	# Debian 13's kernel puts its modules under usr/lib/modules (merged /usr), 12's under
	# lib/modules: a lib -> usr/lib link, as on the installed system, serves depmod either way.
	if [ ! -d kernel.tmp/root/lib/modules ] && [ -d kernel.tmp/root/usr/lib/modules ]; then
		ln -s usr/lib kernel.tmp/root/lib
	fi
	ver=$(ls kernel.tmp/root/lib/modules 2>/dev/null | head -1)
	[ -n "$ver" ] || { echo "no modules in $deb (neither lib/modules nor usr/lib/modules)" >&2; exit 1; }
	depmod -b kernel.tmp/root "$ver"
	mkdir -p kernel.tmp/out/modules
	cp "kernel.tmp/root/boot/vmlinuz-$ver" kernel.tmp/out/vmlinuz
	cp "kernel.tmp/root/boot/config-$ver" kernel.tmp/out/config
	moddir=kernel.tmp/root/lib/modules/$ver
	# Keep only the modules we need (with their dependencies), not the whole 400 MB tree.
	want=""
	add() { # $1 = module path relative to $moddir
		case " $want " in *" $1 "*) return ;; esac
		local deps d
		deps=$(grep -m1 "^$1:" "$moddir/modules.dep" | cut -d: -f2)
		for d in $deps; do add "$d"; done
		want="$want $1"
	}
	for m in $MODULES; do
		p=$(grep -E -m1 "/$m\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | cut -d: -f1 || true)
		# Built into the kernel (virtio_pci is, in Debian 13's): nothing to load.
		if [ -z "$p" ] && grep -q "/$m\.ko$" "$moddir/modules.builtin"; then continue; fi
		[ -n "$p" ] || { echo "module $m not found in $ver" >&2; exit 1; }
		add "$p"
	done
	for p in $want; do
		mkdir -p "kernel.tmp/out/modules/$ver/$(dirname "$p")"
		case "$p" in
		*.xz) xz -dc "$moddir/$p" >"kernel.tmp/out/modules/$ver/${p%.xz}" ;;
		*.zst) zstd -qdc "$moddir/$p" >"kernel.tmp/out/modules/$ver/${p%.zst}" ;;
		*.gz) gzip -dc "$moddir/$p" >"kernel.tmp/out/modules/$ver/${p%.gz}" ;;
		*) cp "$moddir/$p" "kernel.tmp/out/modules/$ver/$p" ;;
		esac
	done
	cp "$moddir/modules.builtin" "$moddir/modules.builtin.modinfo" "$moddir/modules.order" \
		"kernel.tmp/out/modules/$ver/"
	# depmod -b wants <base>/lib/modules (or <base>/usr/lib/modules, where kmod is built so)
	mkdir -p kernel.tmp/dep/usr/lib
	ln -s ../../../out/modules kernel.tmp/dep/usr/lib/modules
	ln -s usr/lib kernel.tmp/dep/lib
	depmod -b kernel.tmp/dep "$ver"
	echo "$ver" >kernel.tmp/out/VERSION
	echo "$(basename "$deb")" >kernel.tmp/out/DEB
	mv kernel.tmp/out kernel
	rm -rf kernel.tmp
	log "kernel $ver ready"
fi
ver=$(cat kernel/VERSION)

# ---- initramfs ------------------------------------------------------------------------------
BB=$(command -v busybox)
key=$( {
	cat "$HERE/init"
	echo "$MODULES $ver"
	cksum <"$BB"
	cat /etc/mke2fs.conf 2>/dev/null || true
} | cksum | cut -d' ' -f1)
img=initramfs-$key.cpio.gz
if [ ! -s "$img" ]; then
	log "building $img"
	rm -rf initramfs.tmp
	r=initramfs.tmp
	mkdir -p $r/bin $r/sbin $r/etc $r/proc $r/sys $r/dev $r/tmp $r/run $r/mnt $r/usr $r/share \
		$r/lib/modules $r/root
	cp "$BB" $r/bin/busybox
	for a in $($r/bin/busybox --list); do
		[ -e $r/bin/$a ] || ln -s busybox $r/bin/$a
	done
	# Debian's merged /usr comes from the host over 9p; /lib stays ours for the modules.
	ln -s usr/lib64 $r/lib64
	ln -s /usr/lib/x86_64-linux-gnu $r/lib/x86_64-linux-gnu
	cp -a "kernel/modules/$ver" $r/lib/modules/
	# Module load lists (dependencies first), one file per module name.
	mkdir -p $r/etc/modload
	for m in $MODULES; do
		p=$(grep -E -m1 "/$m\.ko:" "kernel/modules/$ver/modules.dep" | cut -d: -f1 || true)
		# A module built into the kernel has an empty list.
		[ -n "$p" ] || { : >$r/etc/modload/$m; continue; }
		order=""
		walk() {
			case " $order " in *" $1 "*) return ;; esac
			local d
			for d in $(grep -m1 "^$1:" "kernel/modules/$ver/modules.dep" | cut -d: -f2); do walk "$d"; done
			order="$order $1"
		}
		walk "$p"
		for p in $order; do echo "$p"; done >$r/etc/modload/$m
	done
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf $r/etc/
	echo "root:x:0:0:root:/root:/bin/sh" >$r/etc/passwd
	echo "root:x:0:" >$r/etc/group
	cp "$HERE/init" $r/init
	chmod 755 $r/init
	(cd $r && find . | cpio -o -H newc --quiet | gzip -1) >"$img.tmp"
	mv "$img.tmp" "$img"
	rm -rf initramfs.tmp
	# drop stale images
	for old in initramfs-*.cpio.gz; do [ "$old" = "$img" ] || rm -f "$old"; done
fi
echo "$img" >initramfs.path
