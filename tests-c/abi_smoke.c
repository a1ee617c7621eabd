/*
 * abi_smoke.c -- a small libpmem user that calls all 23 functions of PMDK 1.12.
 * abi.sh builds it against Debian's libpmem (cc abi_smoke.c -lpmem) and runs it
 * with the library under test (LD_LIBRARY_PATH, LD_PRELOAD); it is also the C
 * program of the pkg-config builds.  Prints "smoke: ok" and exits 0 on success.
 */
#include <libpmem.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { printf("smoke: FAIL line %d: %s\n", __LINE__, #c); return 1; } } while (0)

int
main(void)
{
	const char *dir = getenv("PMEMTEST_DIR");
	if (dir == NULL)
		dir = "/tmp";
	CHECK(pmem_check_version(PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION) == NULL);
	size_t len = 0;
	int is_pmem = -1;
	char *p = pmem_map_file(dir, 1 << 20, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600, &len, &is_pmem);
	CHECK(p != NULL);
	CHECK(len == 1 << 20);
	CHECK(pmem_is_pmem(p, len) == is_pmem);
	static char src[4096];
	memset(src, 'x', sizeof(src));
	CHECK(pmem_memcpy_persist(p, src, 4096) == p);
	CHECK(pmem_memmove_persist(p + 1, p, 100) == p + 1);
	CHECK(pmem_memset_persist(p + 8192, 'y', 100) == p + 8192);
	CHECK(pmem_memcpy_nodrain(p + 10000, src, 50) == p + 10000);
	CHECK(pmem_memmove_nodrain(p + 20000, src, 50) == p + 20000);
	CHECK(pmem_memset_nodrain(p + 30000, 'z', 50) == p + 30000);
	CHECK(pmem_memcpy(p + 40000, src, 64, PMEM_F_MEM_NONTEMPORAL) == p + 40000);
	CHECK(pmem_memmove(p + 50000, src, 64, PMEM_F_MEM_NODRAIN) == p + 50000);
	CHECK(pmem_memset(p + 60000, 'w', 64, PMEM_F_MEM_NOFLUSH) == p + 60000);
	pmem_flush(p, 4096);
	pmem_drain();
	pmem_persist(p, 100);
	pmem_deep_flush(p, 100);
	CHECK(pmem_deep_drain(p, 100) == 0);
	CHECK(pmem_deep_persist(p, 100) == 0);
	CHECK(pmem_msync(p, 4096) == 0);
	CHECK(pmem_has_hw_drain() == 0);
	CHECK(pmem_has_auto_flush() >= -1);
	CHECK(p[0] == 'x' && p[8192] == 'y' && p[30000] == 'z' && p[60000] == 'w');
	CHECK(pmem_unmap(p, len) == 0);
	errno = 0;
	CHECK(pmem_map_file(NULL, 0, 0, 0, NULL, NULL) == NULL && errno == EINVAL);
	CHECK(pmem_errormsg() != NULL && pmem_errormsg()[0] != '\0');
	printf("smoke: ok\n");
	return 0;
}
