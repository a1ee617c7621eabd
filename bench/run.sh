#!/usr/bin/env bash
# Build and run the side-by-side benchmark: ours vs the system PMDK.
#
#   bash bench/run.sh            full mode (a few minutes at most)
#   bash bench/run.sh --quick    quick mode (< 1 minute); same as BENCH_QUICK=1
#   bash bench/run.sh --filter memcpy_persist       only matching rows
#   bash bench/run.sh --filter "memcpy NODRAIN" --size 256 --aln mis   one row
#   BENCH_OURS=/path/libpmem.so.1 bash bench/run.sh
#   BENCH_SELFTEST=1 bash bench/run.sh   PMDK in both slots (noise band; a copy
#                                        of the file, loaded by plain dlopen)
#   BENCH_SELFTEST=dlmopen ...           same file twice (second via dlmopen)
#
# Output: table on stdout, bench/results/pmembench-<cpu>-<utc>-<mode>.{csv,txt},
# bench/results/latest-<cpu>.{csv,txt} and bench/results/throughput-<cpu>.svg, where <cpu>
# names the CPU (amd-zen3, amd-zen4, intel-icelake-server, ...). A full table worth keeping
# goes to docs/bench-<cpu>.txt by hand. The CPU class, which picks the targets, is ours' own
# answer (probed below), passed as --class.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"

CC=${CC:-cc}
mkdir -p bench/build bench/results
# -O2, no -march=native: the AVX-512/AVX2 NT loops use target attributes and
# run only where the CPU has them; the fastest one is the ceiling.
$CC -O2 -g -Wall -Wextra -o bench/build/pmembench \
    bench/pmembench.c bench/libs.c bench/kernels.c bench/memory.c \
    bench/rows.c bench/ops.c bench/measure.c bench/report.c -ldl -lm

pmdk=${BENCH_PMDK:-/usr/lib/x86_64-linux-gnu/libpmem.so.1.0.0}
ours=${BENCH_OURS:-$root/build/libpmem.so.1}
if [ "${BENCH_SELFTEST:-}" = dlmopen ]; then
    ours=$pmdk            # same file: the second copy comes from dlmopen(LM_ID_NEWLM)
elif [ -n "${BENCH_SELFTEST:-}" ]; then
    # a byte-identical copy under another name: loaded by plain dlopen, the
    # same way as our library, so the noise band is representative
    mkdir -p bench/build/selftest
    cp "$pmdk" bench/build/selftest/libpmem.so.1.0.0
    ours=$root/bench/build/selftest/libpmem.so.1.0.0
elif [ ! -e "$ours" ]; then
    echo "run.sh: $ours not found (run 'make' first, or BENCH_SELFTEST=1 for PMDK vs PMDK)" >&2
    exit 1
fi

mode=full
for a in "$@"; do case "$a" in --quick|-q) mode=quick;; esac; done
case "${BENCH_QUICK:-0}" in 0|'') ;; *) mode=quick;; esac

# Every output file names the CPU it was measured on (e.g. amd-zen3, intel-icelake-server).
cpu=$(bench/build/pmembench --cpu-tag)
# Ours' load-time log line (NOTICE), "cpu class: X, flush: ...":  probe [ENV-ARG...] LIB
probe() {
    env "${@:1:$#-1}" PMEM_LOG_LEVEL=4 PMEM_LOG_FILE= bench/build/pmembench --probe "${@: -1}" \
        2>&1 | sed -n 's/.*\] \(cpu class: .*\)/\1/p' | head -n 1 || true
}
# The strategy ours follows in this run (PMEM_CPU_CLASS, if set, picks it) ...
strategy=$(probe "$ours")
# ... and the class it detects on this CPU, which names the targets: the library holds the
# class rule, the bench only asks.  A self-test has PMDK in ours' slot: ask our build.
class_lib=$ours
[ -n "${BENCH_SELFTEST:-}" ] && class_lib=$root/build/libpmem.so.1
class=$(probe -u PMEM_CPU_CLASS "$class_lib" | sed -n 's/^cpu class: \([^,]*\),.*/\1/p')

stamp=$(date -u +%Y%m%d-%H%M%S)
base=bench/results/pmembench-$cpu-$stamp-$mode
[ -n "${BENCH_SELFTEST:-}" ] && base=$base-selftest

set +e
bench/build/pmembench --pmdk "$pmdk" --ours "$ours" --csv "$base.csv" \
    --strategy "$strategy" ${class:+--class "$class"} "$@" | tee "$base.txt"
rc=${PIPESTATUS[0]}
set -e
if [ -s "$base.csv" ]; then
    cp "$base.csv" "bench/results/latest-$cpu.csv"
    cp "$base.txt" "bench/results/latest-$cpu.txt"
    if command -v python3 >/dev/null; then
        python3 bench/plot.py "$base.csv" "bench/results/throughput-$cpu.svg" || true
    fi
fi
exit "$rc"
