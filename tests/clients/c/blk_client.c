/*
 * libpmemblk client: write every block, read every block back, close,
 * reopen, read every block, set_zero / set_error semantics.
 * usage: blk_client POOLFILE BSIZE SEED
 */
#include "tc_common.h"
#include <libpmem.h>
#include <libpmemblk.h>

int main(int argc, char **argv)
{
	if (argc != 4) { fprintf(stderr, "usage: %s POOL BSIZE SEED\n", argv[0]); return 2; }
	const char *path = argv[1];
	size_t bsize = strtoul(argv[2], NULL, 0);
	uint64_t seed = strtoull(argv[3], NULL, 0);
	unlink(path);
	PMEMblkpool *pbp = pmemblk_create(path, bsize, 24 << 20, 0600);
	CHECK(pbp, "pmemblk_create: %s", pmemblk_errormsg());
	size_t nb = pmemblk_nblock(pbp);
	CHECK(pmemblk_bsize(pbp) == bsize, "bsize");
	CHECK(nb > 100, "nblock %zu", nb);
	unsigned char *buf = malloc(bsize), *rd = malloc(bsize);
	/* unwritten blocks read as zeros */
	CHECK(pmemblk_read(pbp, rd, 0) == 0, "read 0: %s", pmemblk_errormsg());
	for (size_t i = 0; i < bsize; i++) CHECK(rd[i] == 0, "fresh block not zero");
	for (int gen = 0; gen < 2; gen++)
		for (size_t b = 0; b < nb; b++) {
			tc_pattern(buf, bsize, seed ^ (b * 2 + gen));
			CHECK(pmemblk_write(pbp, buf, (long long)b) == 0, "write %zu: %s", b, pmemblk_errormsg());
		}
	for (size_t b = 0; b < nb; b++) {
		CHECK(pmemblk_read(pbp, rd, (long long)b) == 0, "read %zu", b);
		CHECK(tc_check_pattern(rd, bsize, seed ^ (b * 2 + 1)), "block %zu content before close", b);
	}
	CHECK(pmemblk_write(pbp, buf, (long long)nb) != 0 && errno == EINVAL, "write past end must fail EINVAL");
	pmemblk_close(pbp);
	CHECK(pmemblk_check(path, bsize) == 1, "pmemblk_check: %s", pmemblk_errormsg());
	pbp = pmemblk_open(path, bsize);
	CHECK(pbp, "pmemblk_open: %s", pmemblk_errormsg());
	CHECK(pmemblk_nblock(pbp) == nb, "nblock after reopen");
	for (size_t b = 0; b < nb; b++) {
		CHECK(pmemblk_read(pbp, rd, (long long)b) == 0, "read %zu after reopen", b);
		CHECK(tc_check_pattern(rd, bsize, seed ^ (b * 2 + 1)), "block %zu content after reopen", b);
	}
	/* zero and error states */
	CHECK(pmemblk_set_zero(pbp, 3) == 0, "set_zero");
	CHECK(pmemblk_read(pbp, rd, 3) == 0, "read zeroed");
	for (size_t i = 0; i < bsize; i++) CHECK(rd[i] == 0, "set_zero block not zero");
	CHECK(pmemblk_set_error(pbp, 5) == 0, "set_error");
	CHECK(pmemblk_read(pbp, rd, 5) != 0 && errno == EIO, "read of error block must give EIO");
	tc_pattern(buf, bsize, 555);
	CHECK(pmemblk_write(pbp, buf, 5) == 0, "write clears error");
	pmemblk_close(pbp);
	pbp = pmemblk_open(path, bsize);
	CHECK(pbp, "reopen 2");
	CHECK(pmemblk_read(pbp, rd, 5) == 0 && tc_check_pattern(rd, bsize, 555), "block 5 after rewrite");
	CHECK(pmemblk_read(pbp, rd, 3) == 0, "read 3");
	for (size_t i = 0; i < bsize; i++) CHECK(rd[i] == 0, "zero block after reopen");
	CHECK(pmemblk_read(pbp, rd, 4) == 0 && tc_check_pattern(rd, bsize, seed ^ (4 * 2 + 1)), "block 4 intact");
	pmemblk_close(pbp);
	CHECK(pmemblk_check(path, bsize) == 1, "pmemblk_check 2");
	printf("blk_client: bsize %zu, %zu blocks written/read twice\n", bsize, nb);
	TC_DONE("blk_client");
}
