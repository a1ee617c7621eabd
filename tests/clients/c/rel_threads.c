/*
 * Concurrency: N threads map (CREATE), write with pmem_memcpy*, check
 * pmem_is_pmem, unmap partially and wholly, trigger per-thread errors and
 * check pmem_errormsg stays per-thread; at the end every file is verified.
 * usage: rel_threads DIR NTHREADS ROUNDS
 */
#include "tc_common.h"
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <libpmem.h>

#define NF 4
static const char *dir;
static int rounds;
static pthread_barrier_t bar;

struct tstate {
	int t;
	size_t len[NF];
	uint64_t seed[NF];
	int fails;
};

#define TFAIL(ts, ...) do { FAILF(__VA_ARGS__); (ts)->fails++; } while (0)

static void *worker(void *arg)
{
	struct tstate *ts = arg;
	uint64_t rng = 0x1234 + (uint64_t)ts->t * 7777;
	char path[4096], bad[4096];
	size_t pg = 4096;
	unsigned char *buf = malloc(1 << 21);
	pthread_barrier_wait(&bar);
	for (int r = 0; r < rounds && ts->fails < 5; r++) {
		int fi = (int)tc_below(&rng, NF);
		snprintf(path, sizeof path, "%s/thr%d.%d", dir, ts->t, fi);
		size_t len = (tc_below(&rng, 64) + 2) * pg + tc_below(&rng, 2) * tc_below(&rng, pg);
		size_t mlen = 0; int isp = -1;
		unsigned char *p = pmem_map_file(path, len, PMEM_FILE_CREATE | (r & 1 ? PMEM_FILE_SPARSE : 0), 0600, &mlen, &isp);
		if (!p) { TFAIL(ts, "thread %d round %d: map %s: %s", ts->t, r, path, pmem_errormsg()); continue; }
		if (mlen != len) TFAIL(ts, "thread %d: mapped len %zu != %zu", ts->t, mlen, len);
		if (pmem_is_pmem(p, mlen) != isp) TFAIL(ts, "thread %d: is_pmem disagrees with *is_pmemp", ts->t);
		uint64_t seed = tc_rand(&rng);
		size_t n = mlen;
		tc_pattern(buf, n > (1 << 21) ? (1 << 21) : n, seed);
		switch (r % 4) {
		case 0: pmem_memcpy_persist(p, buf, n); break;
		case 1: pmem_memcpy_nodrain(p, buf, n); pmem_drain(); break;
		case 2: pmem_memcpy(p, buf, n, PMEM_F_MEM_NONTEMPORAL); break;
		case 3: if (isp) pmem_memcpy(p, buf, n, PMEM_F_MEM_WB | PMEM_F_MEM_NODRAIN), pmem_persist(p, n);
			else { pmem_memcpy(p, buf, n, PMEM_F_MEM_NOFLUSH); pmem_msync(p, n); } break;
		}
		if (memcmp(p, buf, n)) TFAIL(ts, "thread %d round %d: mapping content mismatch", ts->t, r);
		/* per-thread error message */
		snprintf(bad, sizeof bad, "%s/no-such-dir-t%d-r%d/f", dir, ts->t, r);
		errno = 0;
		if (pmem_map_file(bad, 0, 0, 0, NULL, NULL) != NULL || errno != ENOENT)
			TFAIL(ts, "thread %d: map of %s should fail ENOENT (errno %d)", ts->t, bad, errno);
		for (int y = 0; y < 3; y++) sched_yield();
		const char *m = pmem_errormsg();
		if (!m || !strstr(m, bad)) TFAIL(ts, "thread %d: pmem_errormsg not per-thread: '%s' (expected mention of %s)", ts->t, m ? m : "(null)", bad);
		/* partial unmaps: middle page range first, then the rest */
		size_t npages = (mlen + pg - 1) / pg;
		size_t a = 1 + tc_below(&rng, npages - 1), b = a + 1 + tc_below(&rng, npages - a);
		if (b > npages) b = npages;
		if (pmem_unmap(p + a * pg, (b - a) * pg) != 0) TFAIL(ts, "partial unmap: %s", strerror(errno));
		if (pmem_is_pmem(p, a * pg) != isp) TFAIL(ts, "thread %d: is_pmem of remaining head changed", ts->t);
		if ((a * pg) != 0 && memcmp(p, buf, a * pg)) TFAIL(ts, "thread %d: head changed after partial unmap", ts->t);
		if (b * pg < mlen && pmem_is_pmem(p + b * pg, mlen - b * pg) != isp)
			TFAIL(ts, "thread %d: is_pmem of remaining tail changed", ts->t);
		if (isp && pmem_is_pmem(p, mlen) != 0 && !getenv("PMEM_IS_PMEM_FORCE"))
			TFAIL(ts, "thread %d: is_pmem still 1 across an unmapped hole", ts->t);
		if (pmem_unmap(p, a * pg) != 0) TFAIL(ts, "unmap head");
		if (b * pg < mlen && pmem_unmap(p + b * pg, mlen - b * pg) != 0) TFAIL(ts, "unmap tail");
		ts->len[fi] = len; ts->seed[fi] = seed;
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) { fprintf(stderr, "usage: %s DIR NTHREADS ROUNDS\n", argv[0]); return 2; }
	dir = argv[1];
	int nt = atoi(argv[2]);
	rounds = atoi(argv[3]);
	int fd0 = tc_fd_count();
	pthread_t th[64];
	struct tstate *ts = calloc((size_t)nt, sizeof *ts);
	pthread_barrier_init(&bar, NULL, (unsigned)nt);
	double t0 = tc_now();
	for (int i = 0; i < nt; i++) { ts[i].t = i; pthread_create(&th[i], NULL, worker, &ts[i]); }
	for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
	double dt = tc_now() - t0;
	int fails = 0;
	for (int i = 0; i < nt; i++) fails += ts[i].fails;
	/* verify every file with plain read(): the last content written must be there */
	unsigned char *buf = malloc(1 << 21);
	int verified = 0;
	for (int i = 0; i < nt; i++)
		for (int f = 0; f < NF; f++) {
			if (!ts[i].len[f]) continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/thr%d.%d", dir, i, f);
			int fd = open(path, O_RDONLY);
			struct stat st;
			if (fd < 0 || fstat(fd, &st)) { FAILF("open %s", path); fails++; continue; }
			ssize_t n = pread(fd, buf, ts[i].len[f], 0);
			close(fd);
			if ((size_t)st.st_size != ts[i].len[f] || n != (ssize_t)ts[i].len[f] ||
			    !tc_check_pattern(buf, ts[i].len[f], ts[i].seed[f])) {
				FAILF("file %s: final content/size wrong (size %ld expected %zu)", path, (long)st.st_size, ts[i].len[f]);
				fails++;
			} else verified++;
		}
	if (tc_fd_count() != fd0) { FAILF("fd count changed: %d -> %d", fd0, tc_fd_count()); fails++; }
	printf("rel_threads: %d threads x %d rounds in %.2fs, %d files verified\n", nt, rounds, dt, verified);
	tc_failures = fails;
	TC_DONE("rel_threads");
}
