/*
 * t_threads.c -- libpmem from several threads at once: pmem_map_file,
 * pmem_is_pmem, pmem_memcpy_persist, pmem_unmap (partial and whole), and the
 * per-thread pmem_errormsg.  Prints one line per thread and a summary.  See t.h.
 */
#include "t.h"

#include <pthread.h>

#define NTHREADS 4
#define ITER 150

static char Dir[4096];

struct targ {
	int id;
	int bad;
	char why[160];
};

static void *
worker(void *arg)
{
	struct targ *t = arg;
	char path[4200];
	char buf[4096];
	memset(buf, 'a' + t->id, sizeof(buf));
	for (int i = 0; i < ITER && !t->bad; i++) {
		SNP(path, sizeof(path), "%s/t%d.%d", Dir, t->id, i % 3);
		size_t len = (size_t)(i % 4 + 1) * 65536;
		size_t ml = 0;
		int isp = -1;
		char *p = pmem_map_file(path, len, PMEM_FILE_CREATE, 0600, &ml, &isp);
		if (p == NULL) {
			SNP(t->why, sizeof(t->why), "iteration %d: map failed errno=%s", i, errname(errno));
			t->bad = 1;
			break;
		}
		if (ml != len || pmem_is_pmem(p, ml) != isp) {
			SNP(t->why, sizeof(t->why), "iteration %d: mapped_len/is_pmem", i);
			t->bad = 1;
		}
		if (pmem_memcpy_persist(p + 100, buf, sizeof(buf)) != p + 100 || p[100 + 4095] != buf[0]) {
			SNP(t->why, sizeof(t->why), "iteration %d: memcpy_persist", i);
			t->bad = 1;
		}
		/* a failing call sets this thread's message only */
		size_t dummy;
		if (pmem_map_file(NULL, 0, 0, 0, &dummy, NULL) != NULL || errno != EINVAL ||
			pmem_errormsg()[0] == '\0') {
			SNP(t->why, sizeof(t->why), "iteration %d: NULL path", i);
			t->bad = 1;
		}
		/* unmap the first page, then the rest */
		if (pmem_unmap(p, 4096) != 0 || pmem_unmap(p + 4096, ml - 4096) != 0) {
			SNP(t->why, sizeof(t->why), "iteration %d: unmap errno=%s", i, errname(errno));
			t->bad = 1;
		}
	}
	return NULL;
}

int
main(void)
{
	make_scratch(Dir, sizeof(Dir), "t_threads");
	pthread_t th[NTHREADS];
	struct targ args[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		args[i].id = i;
		args[i].bad = 0;
		args[i].why[0] = 0;
		pthread_create(&th[i], NULL, worker, &args[i]);
	}
	int bad = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		char n[32];
		SNP(n, sizeof(n), "thread%d", i);
		if (args[i].bad)
			line(n, "FAIL %s", args[i].why);
		else
			line(n, "ok");
		bad |= args[i].bad;
	}
	line("main_thread_errormsg", "%s", errmsg_state());
	rm_rf(Dir);
	return bad;
}
