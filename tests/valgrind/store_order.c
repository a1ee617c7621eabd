/*
 * A libpmem-only program whose pmemcheck store log (--log-stores=yes) must be the same
 * through any libpmem: every copy/set/move entry point, every combination of the six
 * PMEM_F_MEM_* flags over sizes around each kernel's edges (odd, misaligned, below and above
 * the non-temporal threshold), and overlapping moves in both directions.
 */
#include <libpmem.h>

#include "vg.h"

static char src[20000];

/* One call of each pmem_mem{cpy,set,move} with `flags` at `p`, `n` bytes. */
static void
with_flags(char *p, size_t n, unsigned flags)
{
	pmem_memcpy(p, src, n, flags);
	pmem_memset(p + 1, (int)flags, n, flags);
	pmem_memmove(p + 3, p + 1, n, flags);	/* overlapping, backward */
	pmem_memmove(p + 2, p + 7, n, flags);	/* overlapping, forward */
	if (flags & (PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NOFLUSH))
		pmem_persist(p, n + 10);
}

int
main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s file\n", argv[0]);
		return 2;
	}
	size_t mlen;
	char *p = map_or_exit(argv[1], &mlen);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (char)(i * 7 + 1);

	/* every flag combination (valid bits), a short and a long size, misaligned */
	size_t flag_sizes[] = {13, 300};
	size_t off = 0;
	for (unsigned f = 0; f < 64; f++)
		for (size_t i = 0; i < 2; i++) {
			with_flags(p + off + (f % 5), flag_sizes[i], f);
			off += flag_sizes[i] + 128;
		}

	/* sizes around every edge, at three alignments, through the fixed-flag entry points */
	size_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127,
			  128, 129, 255, 256, 257, 511, 767, 768, 769, 1000, 1535, 1537, 4097};
	size_t aligns[] = {0, 1, 29};
	for (size_t a = 0; a < 3; a++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t n = sizes[i];
			char *d = p + 200000 + off + aligns[a];
			pmem_memcpy_persist(d, src, n);
			pmem_memset_persist(d + 1, 'x', n);
			pmem_memmove_persist(d + 9, d + 1, n);
			pmem_memmove_persist(d + 1, d + 9, n);
			pmem_memcpy_nodrain(d + 5, src, n);
			pmem_memset_nodrain(d + 5, 'y', n);
			pmem_memmove_nodrain(d + 70, d + 5, n);
			pmem_memmove_nodrain(d + 5, d + 70, n);
			pmem_drain();
			off += n + 200;
		}

	/* the two calls first seen to differ */
	pmem_memset(p + 20000, 9, 777, PMEM_F_MEM_NODRAIN | PMEM_F_MEM_WC);
	pmem_memmove(p + 20100, p + 20000, 500, PMEM_F_MEM_TEMPORAL);
	pmem_drain();

	/* flushes, msync and deep persistence, which carry no markers */
	p[310000] = 1;
	pmem_flush(p + 310000, 1);
	pmem_drain();
	pmem_persist(p + 310000, 1);
	if (pmem_msync(p + 310000, 1) != 0)
		perror("pmem_msync");
	pmem_deep_persist(p + 310000, 1);
	pmem_unmap(p, mlen);
	return 0;
}
