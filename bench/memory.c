/*
 * memory.c -- what the rows read and write: random sources, the per-library
 * pmem_map_file destinations, the reference kernels' mapping, and their cleanup.
 */
#include "pmembench.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *SrcP[2 + NREF];
size_t Region;
size_t Llc;
char *Scratch;
/* the 3 reference kernels rotate over PMDK's, ours' and this mapping, never sharing one */
char *RefPool;
uint64_t Rng = 0x9E3779B97F4A7C15ull;

void fill_random(void *p, size_t n)
{
	uint64_t *q = p;
	size_t i;
	for (i = 0; i + 8 <= n; i += 8)
		*q++ = rnd();
	for (; i < n; i++)
		((unsigned char *)p)[i] = (unsigned char)rnd();
}

size_t llc_size(void)
{
	size_t best = 0;
	for (int i = 0; i < 8; i++) {
		char fn[128], buf[64];
		snprintf(fn, sizeof(fn),
			 "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
		FILE *f = fopen(fn, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			char *end;
			size_t v = strtoull(buf, &end, 10);
			if (*end == 'K')
				v *= KiB;
			else if (*end == 'M')
				v *= MiB;
			if (v > best)
				best = v;
		}
		fclose(f);
	}
	return best ? best : 32 * MiB;
}

void cleanup(void)
{
	for (int i = 0; i < 2; i++) {
		if (Lib[i].create_path[0])
			unlink(Lib[i].create_path);
		if (Lib[i].open_path[0])
			unlink(Lib[i].open_path);
		if (Lib[i].pool_path[0])
			unlink(Lib[i].pool_path);
	}
}
void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

void pools_create(const char *dir)
{
	for (int i = 0; i < 2; i++) {
		lib_t *L = &Lib[i];
		snprintf(L->pool_path, sizeof(L->pool_path), "%s/pmembench-%d-%s.pool",
			 dir, (int)getpid(), i ? "ours" : "pmdk");
		snprintf(L->open_path, sizeof(L->open_path), "%s/pmembench-%d-%s.open",
			 dir, (int)getpid(), i ? "ours" : "pmdk");
		snprintf(L->create_path, sizeof(L->create_path),
			 "%s/pmembench-%d-%s.create", dir, (int)getpid(),
			 i ? "ours" : "pmdk");
		unlink(L->pool_path);
		size_t ml = 0;
		int ip = 0;
		L->pool = L->map_file(L->pool_path, Region, PMEM_FILE_CREATE, 0600,
				      &ml, &ip);
		if (!L->pool)
			die("%s: pmem_map_file(%s, %zu) failed: %s", L->label,
			    L->pool_path, Region, L->errormsg());
		if (ml != Region)
			die("%s: mapped_len %zu != %zu", L->label, ml, Region);
		L->pool_len = ml;
		L->pool_is_pmem = ip;
		unlink(L->pool_path); /* stays alive while mapped */
		L->pool_path[0] = 0;
		/* fault every page in before any timing */
		for (size_t o = 0; o < Region; o += 4096)
			L->pool[o] = 0;

		/* the pre-existing 64 MiB file for the open row */
		unlink(L->open_path);
		char *a = L->map_file(L->open_path, 64 * MiB, PMEM_FILE_CREATE, 0600,
				      &ml, &ip);
		if (!a)
			die("%s: creating %s failed: %s", L->label, L->open_path,
			    L->errormsg());
		a[0] = 'P';
		a[64 * MiB - 1] = 'Q';
		L->persist(a, 1);
		L->persist(a + 64 * MiB - 1, 1);
		L->unmap(a, ml);
	}
}
