/*
 * A libpmem program run under memcheck: flushes of freed memory are reported (PMDK checks
 * every flush, persist and msync range), an msync next to bytes marked inaccessible is not
 * (the page rounding is libpmem's, not the caller's), and nothing is left allocated.
 * With argument "bugs" it flushes freed memory.
 */
#include <libpmem.h>

#include "vg.h"
#include <valgrind/memcheck.h>

int
main(int argc, char *argv[])
{
	int bugs = bugs_wanted(argc, argv);
	size_t mlen;
	char *p = map_or_exit(argv[1], &mlen);
	/* as libpmemobj does: bytes around a range made inaccessible, the range msynced */
	VALGRIND_MAKE_MEM_NOACCESS(p + 4096, 100);
	VALGRIND_MAKE_MEM_NOACCESS(p + 4096 + 300, 5000);
	memset(p + 4096 + 100, 1, 200);
	if (pmem_msync(p + 4096 + 100, 200) != 0)
		perror("pmem_msync");
	pmem_persist(p + 4096 + 100, 200);
	if (pmem_deep_persist(p + 4096 + 100, 200) != 0)
		perror("pmem_deep_persist");
	VALGRIND_MAKE_MEM_DEFINED(p + 4096, 100);
	VALGRIND_MAKE_MEM_DEFINED(p + 4096 + 300, 5000);

	char *heap = malloc(1000);
	memset(heap, 0, 1000);
	pmem_persist(heap, 1000);
	free(heap);
	if (bugs) {
		pmem_flush(heap, 1000);
		pmem_persist(heap + 10, 100);
		pmem_msync(heap, 64);
	}
	pmem_unmap(p, mlen);
	return 0;
}
