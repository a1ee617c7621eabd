#!/bin/bash
# Inside a cross chroot ($CROSS_TARGET, $CROSS_GNU, cargo's runner set: `make test-cross`):
# the crate's unit and doc tests under qemu-user, then libpmem.so.1 for the target, with the
# same SONAME, the same LIBPMEM_1.0 exports and the same header as on x86-64.
set -euo pipefail
: "${CROSS_TARGET:?run through make test-cross}" "${CROSS_GNU:?}"
cd "$(dirname "$0")/.."

echo "== $CROSS_TARGET: cargo test (under qemu-user)"
cargo test --release --target "$CROSS_TARGET" -p libpmem

echo "== $CROSS_TARGET: libpmem.so.1"
CARGO_BUILD_TARGET=$CROSS_TARGET make all
so=build/$CROSS_TARGET/libpmem.so.1
want=$(grep -o 'pmem_[a-z0-9_]*' libpmem.map | sort)
# The version is not always next to the name: ppc64le's objdump puts the local entry point
# offset (0x60) between them.
got=$("$CROSS_GNU-objdump" -T "$so" |
    awk '$NF ~ /^pmem_/ { for (i = 1; i < NF; i++) if ($i == "LIBPMEM_1.0") { print $NF; break } }' | sort)
if [ "$got" != "$want" ]; then
    diff <(echo "$want") <(echo "$got") >&2 || true
    echo "$so: exports differ from libpmem.map" >&2
    exit 1
fi
"$CROSS_GNU-readelf" -d "$so" | grep -q 'SONAME.*\[libpmem\.so\.1\]' ||
    { echo "$so: SONAME is not libpmem.so.1" >&2; exit 1; }
echo "$so: $(echo "$got" | wc -l) pmem_* exports at LIBPMEM_1.0, SONAME libpmem.so.1"
