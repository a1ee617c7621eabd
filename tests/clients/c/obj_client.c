/*
 * libpmemobj client: thousands of transactional allocations/updates, some
 * aborted on purpose and checked to have rolled back; direct pmem_* calls on
 * pool memory; close, reopen, verify every value (also from a fresh process
 * via "verify" mode, which replays the deterministic sequence).
 *
 * usage: obj_client run|verify POOLFILE NTX SEED
 */
#include "tc_common.h"
#include <libpmem.h>
#include <libpmemobj.h>

#define LAYOUT "tc_obj"
#define NSLOTS 509
#define RAW 65536

struct root {
	uint64_t ntx;          /* committed transactions */
	uint64_t sum;          /* sum of committed values */
	uint64_t vals[NSLOTS];
	PMEMoid objs[NSLOTS];
	unsigned char raw[RAW]; /* target of direct pmem_* calls */
};

struct blob {
	uint64_t id;
	uint64_t len;
	unsigned char data[];
};

struct shadow {
	uint64_t ntx, sum;
	uint64_t vals[NSLOTS];
	uint64_t blob_id[NSLOTS]; /* 0 = none */
	unsigned char raw[RAW];
};

static size_t blob_len(uint64_t id) { return 8 + (id * 7919) % 1500; }

static void blob_fill(struct blob *b, uint64_t id)
{
	b->id = id;
	b->len = blob_len(id);
	tc_pattern(b->data, b->len, id);
}

static int blob_ok(const struct blob *b, uint64_t id)
{
	return b->id == id && b->len == blob_len(id) && tc_check_pattern(b->data, b->len, id);
}

static uint64_t count_objects(PMEMobjpool *pop)
{
	uint64_t n = 0;
	PMEMoid o;
	POBJ_FOREACH(pop, o) n++;
	return n;
}

/* one step of the workload; pop == NULL: shadow only */
static void step(PMEMobjpool *pop, struct shadow *sh, uint64_t i, uint64_t *rng)
{
	volatile uint64_t slot = tc_below(rng, NSLOTS);
	uint64_t val = tc_rand(rng) | 1;
	int abort_it = tc_below(rng, 100) < 15;
	int free_only = tc_below(rng, 100) < 10;
	uint64_t id = i + 1;

	if (pop) {
		struct root *volatile r = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
		volatile int aborted = 0;
		TX_BEGIN(pop) {
			pmemobj_tx_add_range_direct(&r->vals[slot], 8);
			pmemobj_tx_add_range_direct(&r->objs[slot], sizeof(PMEMoid));
			pmemobj_tx_add_range_direct(r, 16);
			if (!OID_IS_NULL(r->objs[slot]))
				pmemobj_tx_free(r->objs[slot]);
			if (free_only) {
				r->objs[slot] = OID_NULL;
			} else {
				PMEMoid o = pmemobj_tx_alloc(sizeof(struct blob) + blob_len(id), 1);
				blob_fill(pmemobj_direct(o), id);
				r->objs[slot] = o;
			}
			r->sum = r->sum - r->vals[slot] + val;
			r->vals[slot] = val;
			r->ntx++;
			if (abort_it)
				pmemobj_tx_abort(ECANCELED);
		} TX_ONABORT {
			aborted = 1;
		} TX_END
		if (aborted != abort_it)
			DIE("tx %lu: aborted=%d expected %d (errno %d: %s)", (unsigned long)i, aborted,
			    abort_it, errno, pmemobj_errormsg());
		if (abort_it) {
			/* rolled back? */
			CHECK(r->vals[slot] == sh->vals[slot], "tx %lu slot %lu val not rolled back", (unsigned long)i, (unsigned long)slot);
			CHECK(r->ntx == sh->ntx && r->sum == sh->sum, "tx %lu header not rolled back", (unsigned long)i);
			if (sh->blob_id[slot]) {
				CHECK(!OID_IS_NULL(r->objs[slot]), "tx %lu: object lost by abort", (unsigned long)i);
				CHECK(blob_ok(pmemobj_direct(r->objs[slot]), sh->blob_id[slot]), "tx %lu: object corrupted by abort", (unsigned long)i);
			} else {
				CHECK(OID_IS_NULL(r->objs[slot]), "tx %lu: object appeared after abort", (unsigned long)i);
			}
		}
	}
	if (!abort_it) {
		sh->sum = sh->sum - sh->vals[slot] + val;
		sh->vals[slot] = val;
		sh->ntx++;
		sh->blob_id[slot] = free_only ? 0 : id;
	}

	/* every 50 steps: direct libpmem / pmemobj mem calls on the raw area */
	if (i % 50 == 0) {
		size_t off = tc_below(rng, RAW / 2), len = tc_below(rng, RAW / 2 - 64) + 1;
		size_t off2 = tc_below(rng, RAW - len);
		int c = (int)tc_below(rng, 256);
		unsigned char *tmp = malloc(len);
		tc_pattern(tmp, len, id);
		unsigned flagsets[] = { 0, PMEM_F_MEM_NODRAIN, PMEM_F_MEM_NONTEMPORAL, PMEM_F_MEM_TEMPORAL,
			PMEM_F_MEM_WC, PMEM_F_MEM_WB, PMEM_F_MEM_NOFLUSH, PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_NODRAIN };
		unsigned fl = flagsets[tc_below(rng, 8)];
		int which = (int)(i / 50) % 8;
		if (pop) {
			struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
			unsigned char *raw = r->raw;
			int isp = pmem_is_pmem(raw, RAW);
			switch (which) {
			case 0: pmem_memcpy(raw + off, tmp, len, fl); pmem_drain(); break;
			case 1: pmem_memcpy_nodrain(raw + off, tmp, len); pmem_drain(); break;
			case 2: pmem_memcpy_persist(raw + off, tmp, len); break;
			case 3: pmem_memcpy_persist(raw + off, tmp, len);
				pmem_memmove(raw + off2, raw + off, len, fl); pmem_persist(raw, RAW); break;
			case 4: pmem_memset_persist(raw + off, c, len); break;
			case 5: pmem_memset(raw + off, c, len, fl); pmem_flush(raw + off, len); pmem_drain(); break;
			case 6: pmemobj_memcpy_persist(pop, raw + off, tmp, len);
				pmem_deep_flush(raw + off, len);
				if (pmem_deep_drain(raw + off, len) != 0) FAILF("pmem_deep_drain: %s", strerror(errno));
				break;
			case 7: pmemobj_memset_persist(pop, raw + off, c, len);
				if (pmem_msync(raw + off, len) != 0) FAILF("pmem_msync: %s", strerror(errno));
				break;
			}
			if (isp != 0 && isp != 1) FAILF("pmem_is_pmem returned %d", isp);
		}
		switch (which) {
		case 0: case 1: case 2: case 6: memcpy(sh->raw + off, tmp, len); break;
		case 3: memcpy(sh->raw + off, tmp, len); memmove(sh->raw + off2, sh->raw + off, len); break;
		case 4: case 5: case 7: memset(sh->raw + off, c, len); break;
		}
		free(tmp);
	}
}

static void verify(PMEMobjpool *pop, const struct shadow *sh, const char *when)
{
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	CHECK(r->ntx == sh->ntx, "%s: ntx %lu expected %lu", when, (unsigned long)r->ntx, (unsigned long)sh->ntx);
	CHECK(r->sum == sh->sum, "%s: sum mismatch", when);
	uint64_t nobj = 0;
	for (int s = 0; s < NSLOTS; s++) {
		CHECK(r->vals[s] == sh->vals[s], "%s: slot %d value mismatch", when, s);
		if (sh->blob_id[s]) {
			nobj++;
			CHECK(!OID_IS_NULL(r->objs[s]), "%s: slot %d object missing", when, s);
			CHECK(pmemobj_type_num(r->objs[s]) == 1, "%s: slot %d bad type", when, s);
			CHECK(pmemobj_alloc_usable_size(r->objs[s]) >= sizeof(struct blob) + blob_len(sh->blob_id[s]),
			      "%s: slot %d object too small", when, s);
			CHECK(blob_ok(pmemobj_direct(r->objs[s]), sh->blob_id[s]), "%s: slot %d object content", when, s);
		} else {
			CHECK(OID_IS_NULL(r->objs[s]), "%s: slot %d should be empty", when, s);
		}
	}
	uint64_t live = count_objects(pop);
	CHECK(live == nobj, "%s: %lu live objects, expected %lu (leak or lost alloc)", when,
	      (unsigned long)live, (unsigned long)nobj);
	CHECK(memcmp(r->raw, sh->raw, RAW) == 0, "%s: raw area (direct pmem_* calls) mismatch", when);
}

int main(int argc, char **argv)
{
	if (argc != 5) { fprintf(stderr, "usage: %s run|verify POOL NTX SEED\n", argv[0]); return 2; }
	const char *path = argv[2];
	uint64_t ntx = strtoull(argv[3], NULL, 0), seed = strtoull(argv[4], NULL, 0);
	struct shadow *sh = calloc(1, sizeof *sh);
	uint64_t rng = seed;
	int run = strcmp(argv[1], "run") == 0;
	PMEMobjpool *pop = NULL;

	if (run) {
		unlink(path);
		pop = pmemobj_create(path, LAYOUT, 64 << 20, 0600);
		CHECK(pop, "pmemobj_create: %s", pmemobj_errormsg());
		pmemobj_root(pop, sizeof(struct root));
	}
	for (uint64_t i = 0; i < ntx; i++) {
		step(pop, sh, i, &rng);
		if (pop && i && i % 1000 == 0)
			verify(pop, sh, "in-flight");
	}
	if (run) {
		verify(pop, sh, "before close");
		pmemobj_close(pop);
		CHECK(pmemobj_check(path, LAYOUT) == 1, "pmemobj_check after run: %s", pmemobj_errormsg());
	}
	pop = pmemobj_open(path, LAYOUT);
	CHECK(pop, "pmemobj_open: %s", pmemobj_errormsg());
	verify(pop, sh, "after reopen");
	pmemobj_close(pop);
	CHECK(pmemobj_check(path, LAYOUT) == 1, "pmemobj_check: %s", pmemobj_errormsg());
	printf("obj_client %s: %lu tx (%lu committed), pool verified\n", argv[1], (unsigned long)ntx, (unsigned long)sh->ntx);
	TC_DONE("obj_client");
}
