/*
 * Environment probe: run under garbage PMEM_* values by run.sh. Maps a file,
 * runs every memop with every flag over many sizes/alignments (crossing the
 * non-temporal thresholds), checks bytes equal libc's, flushes, unmaps.
 * Must exit 0 whatever the environment says.
 * usage: rel_env DIR
 * With --whoami: prints the path of the libpmem that provides pmem_map_file.
 */
#include "tc_common.h"
#include <dlfcn.h>
#include <libpmem.h>

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--whoami")) {
		Dl_info di;
		if (!dladdr((void *)pmem_map_file, &di)) return 1;
		printf("%s\n", di.dli_fname);
		/* exercise the library so logging (if any) happens */
		pmem_map_file("/nonexistent-dir-tc/x", 0, 0, 0, NULL, NULL);
		size_t ml; int isp;
		void *p = pmem_map_file("/tmp", 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600, &ml, &isp);
		if (p) pmem_unmap(p, ml);
		return 0;
	}
	if (argc != 2) { fprintf(stderr, "usage: %s DIR\n", argv[0]); return 2; }
	char path[4096];
	snprintf(path, sizeof path, "%s/envprobe.%d", argv[1], (int)getpid());
	size_t len = 4 << 20, ml; int isp = -1;
	unsigned char *p = pmem_map_file(path, len, PMEM_FILE_CREATE, 0600, &ml, &isp);
	CHECK(p, "map: %s", pmem_errormsg());
	CHECK(ml == len && (isp == 0 || isp == 1), "ml %zu isp %d", ml, isp);
	unsigned char *shadow = malloc(len), *src = malloc(len);
	tc_pattern(src, len, 99);
	memset(p, 0, len); memset(shadow, 0, len);
	static const unsigned fl[] = { 0, PMEM_F_MEM_NODRAIN, PMEM_F_MEM_NONTEMPORAL, PMEM_F_MEM_TEMPORAL,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_TEMPORAL, PMEM_F_MEM_WC, PMEM_F_MEM_WB, PMEM_F_MEM_NOFLUSH,
		PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN | PMEM_F_MEM_WC };
	static const size_t sizes[] = { 0, 1, 7, 8, 15, 63, 64, 65, 127, 255, 256, 257, 1023, 4095, 4096, 4097,
		65535, 65536, 131072 + 3, 262144, 262145, 1 << 20, (1 << 20) + 13 };
	uint64_t rng = 5;
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
		for (size_t fi = 0; fi < sizeof fl / sizeof fl[0]; fi++)
			for (int op = 0; op < 5; op++) {
				size_t n = sizes[si];
				size_t d = tc_below(&rng, 64) + (tc_below(&rng, 2) ? 4096 : 0);
				size_t s = tc_below(&rng, 64);
				void *ret = NULL, *want;
				switch (op) {
				case 0: ret = pmem_memcpy(p + d, src + s, n, fl[fi]); memcpy(shadow + d, src + s, n); break;
				case 1: ret = pmem_memset(p + d, (int)(n & 0xff) + 256, n, fl[fi]); memset(shadow + d, (int)(n & 0xff), n); break;
				case 2: { size_t o = d + tc_below(&rng, 200); /* overlapping, forward */
					ret = pmem_memmove(p + o, p + d, n, fl[fi]); memmove(shadow + o, shadow + d, n); d = o; break; }
				case 3: { size_t o = d + tc_below(&rng, 200); /* overlapping, backward */
					ret = pmem_memmove(p + d, p + o, n, fl[fi]); memmove(shadow + d, shadow + o, n); break; }
				case 4: ret = pmem_memcpy_persist(p + d, src + s, n); memcpy(shadow + d, src + s, n);
					pmem_memmove_nodrain(p + d, p + d + 1, n / 2); memmove(shadow + d, shadow + d + 1, n / 2);
					pmem_memset_nodrain(p + d, 9, n / 3); memset(shadow + d, 9, n / 3); break;
				}
				want = p + d;
				CHECK(ret == want, "return value (op %d size %zu flags 0x%x)", op, n, fl[fi]);
				if (memcmp(p, shadow, (1 << 20) + 8192))
					DIE("bytes differ from libc (op %d size %zu flags 0x%x)", op, n, fl[fi]);
			}
	pmem_persist(p, len);
	pmem_flush(p + 3, 1000); pmem_drain();
	pmem_deep_flush(p, len);
	CHECK(pmem_deep_drain(p, len) == 0, "deep_drain");
	CHECK(pmem_deep_persist(p, len) == 0, "deep_persist");
	CHECK(pmem_msync(p, len) == 0, "msync");
	(void)pmem_has_hw_drain();
	int af = pmem_has_auto_flush();
	CHECK(af >= -1 && af <= 1, "has_auto_flush %d", af);
	CHECK(pmem_is_pmem(p, len) == isp, "is_pmem");
	CHECK(pmem_unmap(p, ml) == 0, "unmap");
	CHECK(pmem_check_version(1, 0) == NULL, "check_version");
	unlink(path);
	void *q = pmem_map_file(argv[1], 1 << 20, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600, &ml, &isp);
	CHECK(q, "tmpfile map: %s", pmem_errormsg());
	pmem_unmap(q, ml);
	CHECK(pmem_map_file("/nonexistent-dir-tc/x", 0, 0, 0, NULL, NULL) == NULL && errno == ENOENT, "error path");
	CHECK(strlen(pmem_errormsg()) > 0, "errormsg");
	free(shadow); free(src);
	TC_DONE("rel_env");
}
