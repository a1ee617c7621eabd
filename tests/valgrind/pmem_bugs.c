/*
 * A libpmem-only program run under pmemcheck: correct persistence through every libpmem
 * path, and with argument "bugs" three planted persistence bugs.
 */
#include <libpmem.h>

#include "vg.h"

int
main(int argc, char *argv[])
{
	int bugs = bugs_wanted(argc, argv);
	size_t mlen;
	char *p = map_or_exit(argv[1], &mlen);
	static char src[70000];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (char)i;

	/* correct: every copy/set path, sizes around the edges and thresholds, misaligned */
	size_t sizes[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 255, 256, 257,
			  1000, 4096, 4097, 65536 + 3};
	size_t off = 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		pmem_memcpy_persist(p + off + 1, src, n);
		pmem_memset_persist(p + off + 1, 'x', n);
		pmem_memmove_persist(p + off + 3, p + off + 1, n);
		pmem_memcpy_nodrain(p + off + 5, src, n);
		pmem_memset_nodrain(p + off + 5, 'y', n);
		pmem_drain();
		pmem_memcpy(p + off, src, n, PMEM_F_MEM_NONTEMPORAL);
		pmem_memcpy(p + off, src, n, PMEM_F_MEM_TEMPORAL | PMEM_F_MEM_NODRAIN);
		pmem_drain();
		pmem_memset(p + off + 2, 'z', n, PMEM_F_MEM_WC);
		pmem_memset(p + off + 2, 'w', n, PMEM_F_MEM_WB);
		pmem_memmove(p + off + 1, p + off, n, PMEM_F_MEM_NOFLUSH);
		pmem_persist(p + off + 1, n);
		memcpy(p + off, src, n);
		pmem_flush(p + off, n);
		pmem_drain();
		off += n + 128;
	}
	/* overlapping moves both ways */
	pmem_memmove_persist(p + 200000, p + 200100, 5000);
	pmem_memmove_persist(p + 200100, p + 200000, 5000);
	pmem_memmove_persist(p + 210001, p + 210000, 40);
	pmem_memmove_persist(p + 210000, p + 210001, 40);
	/* msync makes stores durable too */
	memset(p + 300000, 3, 5000);
	if (pmem_msync(p + 300000, 5000) != 0)
		perror("pmem_msync");
	p[310000] = 1;
	pmem_deep_persist(p + 310000, 1);

	if (bugs) {
		/* 1: plain stores never flushed */
		memset(p + 400000, 1, 100);
		/* 2: a copy without flush, never persisted */
		pmem_memcpy(p + 410000, src, 8, PMEM_F_MEM_NOFLUSH);
		/* 3: flushed, never drained */
		memset(p + 420000, 2, 8);
		pmem_flush(p + 420000, 8);
	}
	pmem_unmap(p, mlen);
	return 0;
}
