/*
 * fork after mapping: the child writes through the shared mapping and the
 * parent sees it; the child keeps using the library (map, copy, errors).
 * Also forks while other threads are busy inside the library: the child must
 * still be able to map/unmap (no lock inherited in a locked state).
 * usage: rel_fork DIR
 */
#include "tc_common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <libpmem.h>

static const char *dir;
static volatile int stop;

static int child_work(unsigned char *p, size_t len, int tag)
{
	char path[4096];
	unsigned char buf[8192];
	tc_pattern(buf, sizeof buf, 0xC0DE + (uint64_t)tag);
	pmem_memcpy_persist(p + len / 2, buf, sizeof buf);
	pmem_memset_persist(p + len - 100, 0x5a, 100);
	if (pmem_msync(p, len) != 0) return 10;
	snprintf(path, sizeof path, "%s/child-%d-%d", dir, tag, (int)getpid());
	size_t ml; int isp;
	unsigned char *q = pmem_map_file(path, 1 << 20, PMEM_FILE_CREATE, 0600, &ml, &isp);
	if (!q) { fprintf(stderr, "child: map: %s\n", pmem_errormsg()); return 11; }
	pmem_memcpy(q, buf, sizeof buf, PMEM_F_MEM_NONTEMPORAL);
	if (memcmp(q, buf, sizeof buf)) return 12;
	if (pmem_is_pmem(q, ml) != isp) return 13;
	if (pmem_unmap(q, ml)) return 14;
	unlink(path);
	if (pmem_map_file("/nonexistent-dir-xyz/f", 0, 0, 0, NULL, NULL) || errno != ENOENT) return 15;
	if (!strstr(pmem_errormsg(), "nonexistent-dir-xyz")) return 16;
	return 0;
}

static void *busy(void *arg)
{
	int t = (int)(intptr_t)arg;
	char path[4096];
	snprintf(path, sizeof path, "%s/busy-%d", dir, t);
	while (!stop) {
		size_t ml; int isp;
		void *q = pmem_map_file(path, 1 << 16, PMEM_FILE_CREATE, 0600, &ml, &isp);
		if (q) { pmem_is_pmem(q, ml); pmem_memset_persist(q, t, ml); pmem_unmap(q, ml); }
		pmem_map_file("/nonexistent-dir-xyz/g", 0, 0, 0, NULL, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) { fprintf(stderr, "usage: %s DIR\n", argv[0]); return 2; }
	dir = argv[1];
	char path[4096];
	snprintf(path, sizeof path, "%s/forked", dir);
	size_t len = 1 << 20, ml; int isp;
	unsigned char *p = pmem_map_file(path, len, PMEM_FILE_CREATE, 0600, &ml, &isp);
	CHECK(p, "map: %s", pmem_errormsg());
	memset(p, 0x11, ml);
	pid_t pid = fork();
	if (pid == 0) _exit(child_work(p, ml, 1));
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed: status 0x%x", st);
	unsigned char buf[8192];
	tc_pattern(buf, sizeof buf, 0xC0DE + 1);
	CHECK(memcmp(p + ml / 2, buf, sizeof buf) == 0, "parent does not see the child's write");
	for (int i = 0; i < 100; i++) CHECK(p[ml - 100 + i] == 0x5a, "parent does not see child's memset");
	CHECK(p[0] == 0x11, "parent's own data changed");
	CHECK(pmem_unmap(p, ml) == 0, "unmap");
	printf("fork after map: child write visible to parent, child used library: OK\n");

	/* fork while other threads are inside the library */
	p = pmem_map_file(path, len, PMEM_FILE_CREATE, 0600, &ml, &isp);
	CHECK(p, "map 2");
	pthread_t th[3];
	for (int t = 0; t < 3; t++) pthread_create(&th[t], NULL, busy, (void *)(intptr_t)t);
	int hung = 0, bad = 0, n = 60;
	for (int i = 0; i < n; i++) {
		usleep(1000 + (i * 337) % 3000);
		pid = fork();
		if (pid == 0) { alarm(3); _exit(child_work(p, ml, 2 + i)); }
		waitpid(pid, &st, 0);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
			hung++;
			fprintf(stderr, "fork %d: child hung (killed by alarm after 3s)\n", i);
			if (hung >= 3) { n = i + 1; break; }
		}
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { bad++; fprintf(stderr, "fork %d: status 0x%x\n", i, st); }
		else {
			tc_pattern(buf, sizeof buf, 0xC0DE + 2 + (uint64_t)i);
			if (memcmp(p + ml / 2, buf, sizeof buf)) { bad++; fprintf(stderr, "fork %d: write not seen\n", i); }
		}
	}
	stop = 1;
	for (int t = 0; t < 3; t++) pthread_join(th[t], NULL);
	pmem_unmap(p, ml);
	if (hung) FAILF("%d of %d children forked while threads were in the library hung (deadlock after fork)", hung, n);
	if (bad) FAILF("%d of %d children forked while threads were busy failed", bad, n);
	printf("fork while threads busy: %d forks, %d hung, %d failed\n", n, hung, bad);
	TC_DONE("rel_fork");
}
