# Sourced by the suites that mount chroots (tests/deb, tests/cross): their mounts, found and undone.

mounts_under() { # all mount points at or below $1, deepest first
	awk '{ print $5 }' /proc/self/mountinfo | while IFS= read -r mp; do
		mp=$(printf '%b' "$mp")
		case $mp in "$1" | "$1"/*) printf '%s\n' "$mp" ;; esac
	done | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-
}
unmount_under() { # every mount at or below $1, lazily where a plain unmount is refused
	mounts_under "$1" | while IFS= read -r mp; do
		umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || echo "cannot unmount $mp" >&2
	done
}
