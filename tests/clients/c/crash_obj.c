/*
 * Crash loop. The parent creates a pmemobj pool, then repeatedly forks a
 * child that opens the pool and runs transactions forever, reporting every
 * committed transaction id through a pipe; the parent SIGKILLs it at a random
 * moment, reopens the pool (recovery runs) and checks that every reported
 * commit is present and that no transaction is torn.
 *
 * usage: crash_obj POOLFILE ITERATIONS SEED [MAX_KILL_DELAY_US]
 */
#include "tc_common.h"
#include <signal.h>
#include <sys/wait.h>
#include <libpmem.h>
#include <libpmemobj.h>

#define LAYOUT "tc_crash"
#define CAP 8192
#define MIRROR 512

struct root {
	uint64_t count;        /* committed transactions (ever) */
	uint64_t sum;          /* sum of vals[] */
	uint64_t mirror[MIRROR]; /* all == count after every tx (4 KiB snapshot per tx) */
	uint64_t vals[CAP];    /* ring: vals[k % CAP] = f(k) for the newest k */
	PMEMoid objs[CAP];
};

static uint64_t f(uint64_t k) { uint64_t s = k * 1000003 + 17; return tc_rand(&s) | 1; }
static size_t olen(uint64_t k) { return 16 + (k * 131) % 400; }

static void child(const char *path, int wfd)
{
	PMEMobjpool *pop = pmemobj_open(path, LAYOUT);
	if (!pop) { fprintf(stderr, "child: pmemobj_open: %s\n", pmemobj_errormsg()); _exit(3); }
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	for (;;) {
		uint64_t k = r->count, slot = k % CAP;
		int ok = 1;
		TX_BEGIN(pop) {
			pmemobj_tx_add_range_direct(&r->vals[slot], 8);
			pmemobj_tx_add_range_direct(&r->objs[slot], sizeof(PMEMoid));
			pmemobj_tx_add_range_direct(r, offsetof(struct root, vals));
			if (!OID_IS_NULL(r->objs[slot]))
				pmemobj_tx_free(r->objs[slot]);
			PMEMoid o = pmemobj_tx_alloc(olen(k), 7);
			tc_pattern(pmemobj_direct(o), olen(k), f(k));
			r->sum = r->sum - r->vals[slot] + f(k);
			r->vals[slot] = f(k);
			r->objs[slot] = o;
			for (int m = 0; m < MIRROR; m++) r->mirror[m] = k + 1;
			r->count = k + 1;
		} TX_ONABORT { ok = 0; } TX_END
		if (!ok) _exit(5);
		uint64_t rep = k + 1;
		if (write(wfd, &rep, 8) != 8) _exit(6);
	}
}

static uint64_t last_count;

static int verify(const char *path, const uint64_t *reps, size_t nrep, int it)
{
	PMEMobjpool *pop = pmemobj_open(path, LAYOUT);
	if (!pop) { FAILF("iter %d: pmemobj_open after kill: %s", it, pmemobj_errormsg()); return -1; }
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	int bad = 0;
	uint64_t c = r->count, sum = 0;
	if (c < last_count) {
		FAILF("iter %d: state went backwards (%lu -> %lu)", it, (unsigned long)last_count, (unsigned long)c);
		bad++;
	}
	for (size_t i = 0; i < nrep; i++)
		if (reps[i] > c) {
			FAILF("iter %d: reported commit %lu missing (pool count %lu)", it, (unsigned long)reps[i], (unsigned long)c);
			bad++;
			break;
		}
	for (int m = 0; m < MIRROR; m++)
		if (r->mirror[m] != c) { FAILF("iter %d: torn: mirror[%d]=%lu count=%lu", it, m, (unsigned long)r->mirror[m], (unsigned long)c); bad++; break; }
	for (uint64_t slot = 0; slot < CAP; slot++) {
		/* newest k < c with k % CAP == slot */
		if (slot >= c) {
			if (r->vals[slot] != 0 || !OID_IS_NULL(r->objs[slot])) {
				FAILF("iter %d: torn: slot %lu beyond count %lu is set", it, (unsigned long)slot, (unsigned long)c);
				bad++; break;
			}
			continue;
		}
		uint64_t k = slot + ((c - 1 - slot) / CAP) * CAP;
		sum += r->vals[slot];
		if (r->vals[slot] != f(k)) { FAILF("iter %d: vals[%lu] != f(%lu)", it, (unsigned long)slot, (unsigned long)k); bad++; break; }
		if (OID_IS_NULL(r->objs[slot]) || pmemobj_type_num(r->objs[slot]) != 7 ||
		    !tc_check_pattern(pmemobj_direct(r->objs[slot]), olen(k), f(k))) {
			FAILF("iter %d: object for tx %lu missing/corrupt", it, (unsigned long)k); bad++; break;
		}
	}
	if (sum != r->sum) { FAILF("iter %d: torn: sum mismatch", it); bad++; }
	uint64_t n = 0; PMEMoid o;
	POBJ_FOREACH(pop, o) n++;
	uint64_t want = c < CAP ? c : CAP;
	if (n != want) { FAILF("iter %d: %lu live objects, expected %lu (leaked/lost allocation)", it, (unsigned long)n, (unsigned long)want); bad++; }
	last_count = c;
	pmemobj_close(pop);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 4) { fprintf(stderr, "usage: %s POOL ITERS SEED [MAXDELAY_US]\n", argv[0]); return 2; }
	const char *path = argv[1];
	int iters = atoi(argv[2]);
	uint64_t rng = strtoull(argv[3], NULL, 0);
	long maxdelay = argc > 4 ? atol(argv[4]) : 40000;
	unlink(path);
	PMEMobjpool *pop = pmemobj_create(path, LAYOUT, 96 << 20, 0600);
	CHECK(pop, "pmemobj_create: %s", pmemobj_errormsg());
	CHECK(!OID_IS_NULL(pmemobj_root(pop, sizeof(struct root))), "root: %s", pmemobj_errormsg());
	pmemobj_close(pop);

	uint64_t *reps = malloc(sizeof(uint64_t) * 4 * 1024 * 1024);
	uint64_t total_reported = 0, kills = 0, bad = 0, early = 0, total_tx = 0;
	for (int it = 0; it < iters && !bad; it++) {
		int pfd[2];
		CHECK(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
		fcntl(pfd[0], F_SETPIPE_SZ, 1 << 20);
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) { close(pfd[0]); child(path, pfd[1]); _exit(0); }
		close(pfd[1]);
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		size_t nrep = 0;
		long delay = (long)tc_below(&rng, (uint64_t)maxdelay + 1);
		double until = tc_now() + delay / 1e6;
		/* drain the pipe while waiting so the child never blocks on it */
		while (tc_now() < until) {
			ssize_t n = read(pfd[0], reps + nrep, 8 * 65536);
			if (n > 0) nrep += (size_t)n / 8; else usleep(200);
		}
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
			early++;
			FAILF("iter %d: child ended by itself (status 0x%x)", it, st);
			bad++;
		}
		kills++;
		fcntl(pfd[0], F_SETFL, 0);
		for (;;) {
			ssize_t n = read(pfd[0], reps + nrep, 8 * 65536);
			if (n <= 0) break;
			nrep += (size_t)n / 8;
		}
		close(pfd[0]);
		total_reported += nrep;
		int v = verify(path, reps, nrep, it);
		if (v) bad++;
		total_tx = last_count;
	}
	CHECK(pmemobj_check(path, LAYOUT) == 1, "pmemobj_check after crash loop: %s", pmemobj_errormsg());
	printf("crash_obj: kills=%lu reported_commits=%lu committed_in_pool=%lu failures=%lu\n",
	       (unsigned long)kills, (unsigned long)total_reported, (unsigned long)total_tx, (unsigned long)bad);
	(void)early;
	TC_DONE("crash_obj");
}
