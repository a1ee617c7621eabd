# tests/env-scrub.sh -- sourced by the test suites (tests-c/run.sh, tests/valgrind/run.sh):
# unsets every variable that changes what libpmem does, ours (pmem/src/config.rs) or PMDK's
# (PMEM_NO_GENERIC_MEMCPY, PMEM_NO_AVX*, libpmemobj's log), so that a caller's environment does
# not change what a suite checks. The suites set what a case needs on that case's command line.
unset PMEM_IS_PMEM_FORCE PMEM_LOG_LEVEL PMEM_LOG_FILE PMEM_NO_FLUSH PMEM_NO_CLWB \
	PMEM_NO_CLFLUSHOPT PMEM_NO_MOVNT PMEM_NO_GENERIC_MEMCPY PMEM_MMAP_HINT \
	PMEM_MOVNT_THRESHOLD PMEM_AVX PMEM_AVX512F PMEM_NO_AVX PMEM_NO_AVX512F PMEM_CPU_CLASS \
	PMEM_WC_WORKAROUND PMREORDER_EMIT_LOG PMEMOBJ_LOG_LEVEL PMEMOBJ_LOG_FILE LD_PRELOAD \
	2>/dev/null
