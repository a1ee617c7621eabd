/*
 * A libpmemobj program (Debian's libpmemobj of the target architecture) for tests/cross/run.sh:
 * transactions into a pool, then the pool reopened and every value checked. It prints the file
 * the libpmem.so.1 in its address space was mapped from, so that the caller can tell which
 * libpmem ran under libpmemobj.
 *
 * usage: obj POOLFILE   (creates the pool; prints "libpmem: PATH" and "obj: ok N")
 */
#include <libpmem.h>
#include <libpmemobj.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LAYOUT "cross"
#define SLOTS 97
#define NTX 500

struct root {
	uint64_t ntx;
	uint64_t vals[SLOTS];
	PMEMoid blobs[SLOTS];
};

static uint64_t value(uint64_t i) { return i * 2654435761u + 17; }

/* the path of the libpmem.so* mapped into this process (/proc/self/maps) */
static void print_libpmem(void)
{
	char line[4096], path[4096] = "none";
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		if (p && strstr(p, "/libpmem.so")) {
			p[strcspn(p, "\n")] = 0;
			snprintf(path, sizeof path, "%s", p);
			break;
		}
	}
	if (f)
		fclose(f);
	printf("libpmem: %s\n", path);
}

/* transaction i: slot i % SLOTS gets a value and a new blob; every 50th is aborted */
static void one_tx(PMEMobjpool *pop, struct root *r, const uint64_t i)
{
	TX_BEGIN(pop) {
		const uint64_t s = i % SLOTS;
		pmemobj_tx_add_range_direct(r, sizeof *r);
		r->vals[s] = value(i);
		r->ntx++;
		if (!OID_IS_NULL(r->blobs[s]))
			pmemobj_tx_free(r->blobs[s]);
		r->blobs[s] = pmemobj_tx_alloc(64 + s, 1);
		memset(pmemobj_direct(r->blobs[s]), (int)(i & 0xff), 64 + s);
		if (i % 50 == 49)
			pmemobj_tx_abort(0); /* rolled back: checked below */
	} TX_END
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	PMEMobjpool *pop = pmemobj_create(argv[1], LAYOUT, 16 << 20, 0600);
	if (!pop) {
		fprintf(stderr, "pmemobj_create: %s\n", pmemobj_errormsg());
		return 1;
	}
	print_libpmem();
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	for (uint64_t i = 0; i < NTX; i++)
		one_tx(pop, r, i);
	/* a direct libpmem call on pool memory */
	pmem_memset_persist(r->vals, 0x5a, 8);
	pmemobj_close(pop);

	pop = pmemobj_open(argv[1], LAYOUT);
	if (!pop) {
		fprintf(stderr, "pmemobj_open: %s\n", pmemobj_errormsg());
		return 1;
	}
	r = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	uint64_t want[SLOTS] = { 0 }, committed = 0;
	unsigned char fill[SLOTS] = { 0 };
	for (uint64_t i = 0; i < NTX; i++) {
		if (i % 50 == 49)
			continue;
		want[i % SLOTS] = value(i);
		fill[i % SLOTS] = (unsigned char)(i & 0xff);
		committed++;
	}
	memset(&want[0], 0x5a, 8);
	int bad = r->ntx != committed;
	for (int s = 0; s < SLOTS; s++) {
		const unsigned char *b = pmemobj_direct(r->blobs[s]);
		bad |= r->vals[s] != want[s] || b == NULL;
		for (int k = 0; b && k < 64 + s; k++)
			bad |= b[k] != fill[s];
	}
	pmemobj_close(pop);
	printf("obj: %s %llu\n", bad ? "MISMATCH" : "ok", (unsigned long long)committed);
	return bad;
}
