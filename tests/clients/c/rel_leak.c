/*
 * map/unmap loop for valgrind memcheck: successes, failures (error message
 * allocation), partial unmaps, memops, and short-lived threads that set
 * per-thread error messages (thread-local storage must be freed).
 * usage: rel_leak DIR ROUNDS
 */
#include "tc_common.h"
#include <pthread.h>
#include <libpmem.h>

static const char *dir;

static void *thr(void *arg)
{
	(void)arg;
	char path[4096];
	snprintf(path, sizeof path, "%s/nodir/x", dir);
	pmem_map_file(path, 0, 0, 0, NULL, NULL);
	(void)pmem_errormsg();
	snprintf(path, sizeof path, "%s/thr-%lx", dir, (unsigned long)pthread_self());
	size_t ml; int isp;
	void *p = pmem_map_file(path, 1 << 16, PMEM_FILE_CREATE, 0600, &ml, &isp);
	if (p) { pmem_memset_persist(p, 7, ml); pmem_unmap(p, ml); }
	unlink(path);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) { fprintf(stderr, "usage: %s DIR ROUNDS\n", argv[0]); return 2; }
	dir = argv[1];
	int rounds = atoi(argv[2]);
	char path[4096], bad[4096];
	snprintf(path, sizeof path, "%s/leak", dir);
	snprintf(bad, sizeof bad, "%s/nodir/x", dir);
	unsigned char src[8192];
	memset(src, 3, sizeof src);
	for (int r = 0; r < rounds; r++) {
		size_t ml; int isp;
		unsigned char *p = pmem_map_file(path, (size_t)(r % 7 + 1) << 16, PMEM_FILE_CREATE, 0600, &ml, &isp);
		CHECK(p, "map: %s", pmem_errormsg());
		pmem_memcpy_persist(p, src, sizeof src);
		pmem_memmove(p + 100, p, 4000, PMEM_F_MEM_NONTEMPORAL);
		pmem_memset(p, 1, ml, PMEM_F_MEM_NODRAIN);
		pmem_drain();
		(void)pmem_is_pmem(p, ml);
		(void)pmem_msync(p, 4096);
		CHECK(pmem_unmap(p + 4096 * 4, 4096 * 4) == 0, "partial unmap");
		CHECK(pmem_unmap(p, ml) == 0, "unmap");
		void *q = pmem_map_file(dir, 1 << 16, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600, &ml, &isp);
		CHECK(q, "tmpfile: %s", pmem_errormsg());
		pmem_unmap(q, ml);
		CHECK(pmem_map_file(bad, 0, 0, 0, NULL, NULL) == NULL, "bad path must fail");
		CHECK(pmem_map_file(path, 0, 0x1000, 0, NULL, NULL) == NULL, "bad flags must fail");
		(void)pmem_errormsg();
		(void)pmem_check_version(1, 0);
		(void)pmem_check_version(2, 0);
		if (r % 10 == 0) {
			pthread_t t[2];
			for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, thr, NULL);
			for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
		}
	}
	unlink(path);
	TC_DONE("rel_leak");
}
