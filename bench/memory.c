/*
 * memory.c -- what the rows read and write: random sources, the per-library
 * pmem_map_file destinations, the reference kernels' mappings, and their cleanup.
 */
#include "pmembench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

char *SrcP[2 + NREF_MAX];
size_t Region;
size_t Llc;
char *Scratch;
/* the reference kernels rotate over PMDK's, ours' and these mappings, never sharing one */
char *RefPool[NREF_MAX - 2];
uint64_t Rng = 0x9E3779B97F4A7C15ull;

/* from the one fixed-seed generator: every run writes the same bytes */
void fill_random(void *p, size_t n)
{
	uint64_t *q = p;
	size_t i;
	for (i = 0; i + 8 <= n; i += 8)
		*q++ = rnd();
	for (; i < n; i++)
		((unsigned char *)p)[i] = (unsigned char)rnd();
}

/* the largest cache of cpu0 (32 MiB when sysfs does not say) */
static size_t llc_size(void)
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

/* the files on the destination directory; pools are unlinked as soon as mapped */
static void cleanup(void)
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
static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void pools_create(const char *dir)
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

/* pools of 4 x LLC so that large rows rotate through more than the cache, with room
 * for two slots of the 64 MiB rows, in whole 2 MiB pages */
static void region_size(void)
{
	Llc = llc_size();
	Region = 4 * Llc;
	if (Region < 2 * (64 * MiB + 8192))
		Region = 2 * (64 * MiB + 8192);
	Region = round_up(Region, 2 * MiB);
}

/* one random source per participant (same bytes), and the overlap checks' oracle */
static void sources_create(void)
{
	for (int k = 0; k < 2 + Nref; k++) {
		SrcP[k] = mmap(NULL, Region + 2 * MiB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (SrcP[k] == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		if (k == 0)
			fill_random(SrcP[0], Region + 2 * MiB);
		else
			memcpy(SrcP[k], SrcP[0], Region + 2 * MiB);
	}
	Scratch = mmap(NULL, Region, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (Scratch == MAP_FAILED)
		die("mmap: %s", strerror(errno));
}

/* one of the reference kernels' own shared mappings, in the same directory as the pools */
static char *ref_pool_create(const char *dir, int i)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/pmembench-%d-ref%d.pool", dir,
		 (int)getpid(), i);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	unlink(path);
	if (posix_fallocate(fd, 0, (off_t)Region) != 0)
		die("posix_fallocate %s failed", path);
	char *p = mmap(NULL, Region, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	for (size_t o = 0; o < Region; o += 4096)
		p[o] = 0;
	return p;
}

void memory_setup(const char *dir)
{
	region_size();
	sources_create();
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pools_create(dir);
	for (int i = 0; i < Nref - 2; i++)
		RefPool[i] = ref_pool_create(dir, i);
}
