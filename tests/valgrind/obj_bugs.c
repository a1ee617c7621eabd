/*
 * A libpmemobj program run under pmemcheck: transactions, atomic allocations and the
 * pmemobj_mem* calls (which reach libpmem's copies, sets, flushes and drains), and with
 * argument "bugs" one planted bug: a store to the pool never persisted.
 */
#include <libpmemobj.h>

#include "vg.h"

struct root {
	char name[100];
	uint64_t counter;
	PMEMoid items[4];
	char big[5000];
	uint64_t forgotten;
};

int
main(int argc, char *argv[])
{
	int bugs = bugs_wanted(argc, argv);
	PMEMobjpool *pop = pmemobj_create(argv[1], "vgtest", 16 << 20, 0600);
	if (pop == NULL) {
		perror("pmemobj_create");
		return 1;
	}
	PMEMoid root = pmemobj_root(pop, sizeof(struct root));
	struct root *r = pmemobj_direct(root);

	TX_BEGIN(pop) {
		pmemobj_tx_add_range(root, 0, sizeof(struct root));
		strcpy(r->name, "hello");
		r->counter++;
		memset(r->big, 'b', sizeof(r->big));
		r->items[0] = pmemobj_tx_zalloc(300, 1);
		r->items[1] = pmemobj_tx_alloc(5000, 1);
		memset(pmemobj_direct(r->items[1]), 0, 5000);
	} TX_END

	pmemobj_memcpy_persist(pop, r->name, "world, a longer name", 21);
	pmemobj_memset_persist(pop, r->big, 'c', sizeof(r->big));
	r->counter = 7;
	pmemobj_persist(pop, &r->counter, sizeof(r->counter));
	if (pmemobj_zalloc(pop, &r->items[2], 64, 2) != 0 ||
	    pmemobj_alloc(pop, &r->items[3], 10000, 2, NULL, NULL) != 0) {
		fprintf(stderr, "alloc: %s\n", pmemobj_errormsg());
		return 1;
	}
	pmemobj_memset(pop, pmemobj_direct(r->items[3]), 1, 10000, PMEMOBJ_F_MEM_NONTEMPORAL);
	pmemobj_memcpy(pop, pmemobj_direct(r->items[3]), r->big, 1000,
		       PMEMOBJ_F_MEM_NODRAIN);
	pmemobj_drain(pop);
	TX_BEGIN(pop) {
		pmemobj_tx_free(r->items[0]);
		pmemobj_tx_add_range_direct(&r->counter, sizeof(r->counter));
		pmemobj_tx_add_range_direct(&r->items[0], sizeof(r->items[0]));
		r->counter++;
		r->items[0] = OID_NULL;
	} TX_END

	if (bugs)
		r->forgotten = 42;

	pmemobj_close(pop);
	return 0;
}
