/*
 * ops.c -- what each kind of row does: one timed batch of n ops by one
 * participant (0/1 = PMDK/ours, 2.. = reference kernels), and the check of
 * its result before any timing.
 */
#include "pmembench.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

volatile unsigned long Sink;
size_t Cursor[2 + NREF_MAX];

static inline size_t next_slot(int p, const row_t *r)
{
	size_t s = Cursor[p];
	Cursor[p] = s + 1 == r->nslots ? 0 : s + 1;
	return s;
}

/*
 * Destination of the timed ops.  Physical placement matters a lot on this
 * kind of VM (a clwb+sfence to some pages costs twice as much as to others,
 * steadily), and sharing lines between the two libraries is unfair (one
 * side's dirty lines slow the other side's non-temporal stores).  So in a
 * round PMDK and ours write into different mappings (and read different
 * sources) at the same offsets, and both the order and the mappings swap
 * every round:  even rounds  PMDK->map0, ours->map1;  odd rounds  ours->map0,
 * PMDK->map1.  Every batch then lands on memory the OTHER library wrote two
 * batches earlier, each library runs two batches back to back, each uses
 * each mapping half of the time: the sequence is symmetric.  One ratio per
 * pair of rounds.
 */
int Pool_sel;

static int part_idx(int p)
{
	return p < 2 ? (Pool_sel + p) & 1 : (Pool_sel + p - 2) & 1;
}
static char *part_pool(int p)
{
	return p < 2 ? Lib[p].pool : Lib[0].pool;
}

static char *part_pool_at(int p, const row_t *r)
{
	if (p >= 2) {
		/* the reference kernels rotate over as many mappings as they are */
		int m = (Pool_sel + p - 2) % Nref;
		return (m < 2 ? Lib[m].pool : RefPool[m - 2]) + r->base;
	}
	return Lib[part_idx(p)].pool + r->base;
}

static void dirty(char *d, size_t len)
{
	for (size_t i = 0; i < len; i += 64)
		*(volatile uint64_t *)(((uintptr_t)(d + i)) & ~(uintptr_t)7) = i;
	*(volatile char *)(d + len - 1) = 1;
}

/*
 * Small copy rows: before its timed batch, a participant writes (untimed)
 * the slots that batch will write first.  Each side is then timed on lines
 * in the state it leaves them itself, as in a program that uses one library,
 * and not in the state the other library left two batches earlier.  That
 * matters: PMDK's CLWB keeps a line cached, and a non-temporal store into a
 * cached line costs about 1.5x one into an uncached line (and the reverse
 * for ordinary stores).  Large rows rotate over more than the LLC anyway.
 */
void own_state_pass(int p, row_t *r, size_t n)
{
	if (!moves_data(r->kind) || r->size > 64 * KiB)
		return;
	size_t c = Cursor[p];
	run_batch(p, r, n < r->nslots ? n : r->nslots);
	Cursor[p] = c;
}

/* ------------------------------------------------------------------ */
/* one batch: n ops by participant p; each returns the elapsed ns      */
/* ------------------------------------------------------------------ */

/* the ceiling, interleaved into a library copy row (>= 1 MiB, window > LLC):
 * it writes the other half of the window of the mapping PMDK uses in this
 * round, so its memory rotates like the libraries' memory and no line is shared */
static double batch_ceiling(int p, row_t *r, size_t n)
{
	char *pool = Lib[Pool_sel].pool + r->base;
	const char *Src = SrcP[Pool_sel] + r->base;
	size_t st = r->stride, ns = r->nslots, half = ns / 2;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		size_t s = next_slot(p, r);
		size_t s2 = s + half < ns ? s + half : s + half - ns;
		nt_copy(pool + s * st + r->doff, Src + s2 * st + r->soff, r->size);
		BARRIER();
	}
	uint64_t t1 = now_ns();
	return (double)(t1 - t0);
}

static double batch_memcpy_persist(int p, row_t *r, size_t n, lib_t *L, char *pool,
				   const char *Src)
{
	size_t st = r->stride, ns = r->nslots, sz = r->size;
	size_t half = ns / 2;
	void *(*f)(void *, const void *, size_t) = L->memcpy_persist;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		size_t s = next_slot(p, r);
		size_t s2 = s + half < ns ? s + half : s + half - ns;
		f(pool + s * st + r->doff, Src + s2 * st + r->soff, sz);
	}
	uint64_t t1 = now_ns();
	return (double)(t1 - t0);
}

/* pmem_memcpy with the row's flags; NODRAIN rows drain once per batch */
static double batch_memcpy_flags(int p, row_t *r, size_t n, lib_t *L, char *pool,
				 const char *Src)
{
	size_t st = r->stride, ns = r->nslots, sz = r->size;
	size_t half = ns / 2;
	void *(*f)(void *, const void *, size_t, unsigned) = L->memcpy;
	unsigned fl = r->flags;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		size_t s = next_slot(p, r);
		size_t s2 = s + half < ns ? s + half : s + half - ns;
		f(pool + s * st + r->doff, Src + s2 * st + r->soff, sz, fl);
	}
	if (fl & PMEM_F_MEM_NODRAIN)
		L->drain();
	uint64_t t1 = now_ns();
	return (double)(t1 - t0);
}

/* source and destination overlap inside one slot */
static double batch_memmove(int p, row_t *r, size_t n, lib_t *L, char *pool)
{
	size_t st = r->stride, sz = r->size;
	void *(*f)(void *, const void *, size_t) = L->memmove_persist;
	size_t dd = r->kind == K_MEMMOVE_FWD ? 0 : r->shift;
	size_t ss = r->kind == K_MEMMOVE_FWD ? r->shift : 0;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		char *b = pool + next_slot(p, r) * st;
		f(b + dd + r->doff, b + ss + r->soff, sz);
	}
	uint64_t t1 = now_ns();
	return (double)(t1 - t0);
}

static double batch_memset(int p, row_t *r, size_t n, lib_t *L, char *pool)
{
	size_t st = r->stride, sz = r->size;
	void *(*f)(void *, int, size_t) = L->memset_persist;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		f(pool + next_slot(p, r) * st + r->doff, (int)(i & 0xff), sz);
	uint64_t t1 = now_ns();
	return (double)(t1 - t0);
}

/* persist, flush or msync of ranges dirtied (untimed) just before */
static double batch_dirty(int p, row_t *r, size_t n, lib_t *L, char *pool)
{
	size_t st = r->stride, sz = r->size;
	uint64_t t0 = 0, t1 = 0;
	size_t c0 = Cursor[p];
	for (size_t i = 0; i < n; i++)
		dirty(pool + next_slot(p, r) * st + r->doff, sz);
	Cursor[p] = c0;
	if (r->kind == K_PERSIST) {
		void (*f)(const void *, size_t) = L->persist;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			f(pool + next_slot(p, r) * st + r->doff, sz);
		t1 = now_ns();
	} else if (r->kind == K_FLUSH) {
		void (*f)(const void *, size_t) = L->flush;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			f(pool + next_slot(p, r) * st + r->doff, sz);
		t1 = now_ns();
		L->drain(); /* untimed: nothing pending for the other side */
	} else {
		int (*f)(const void *, size_t) = L->msync;
		int bad = 0;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			bad |= f(pool + next_slot(p, r) * st + r->doff, sz);
		t1 = now_ns();
		Sink += bad;
	}
	return (double)(t1 - t0);
}

/* each op timed alone: the unlinks around it are not the library's work */
static double batch_map_create(row_t *r, size_t n, lib_t *L)
{
	size_t sz = r->size;
	uint64_t t0 = 0, t1 = 0, acc = 0;
	for (size_t i = 0; i < n; i++) {
		size_t ml = 0;
		int ip = 0;
		unlink(L->create_path);
		t0 = now_ns();
		void *a = L->map_file(L->create_path, sz, PMEM_FILE_CREATE,
				      0600, &ml, &ip);
		if (a)
			L->unmap(a, ml);
		t1 = now_ns();
		if (!a)
			die("%s: pmem_map_file(create %zu) failed", L->label, sz);
		acc += t1 - t0;
		unlink(L->create_path);
	}
	return (double)acc;
}

static double batch_map_open(size_t n, lib_t *L)
{
	uint64_t t0 = 0, t1 = 0, acc = 0;
	for (size_t i = 0; i < n; i++) {
		size_t ml = 0;
		int ip = 0;
		t0 = now_ns();
		void *a = L->map_file(L->open_path, 0, 0, 0, &ml, &ip);
		if (a)
			L->unmap(a, ml);
		t1 = now_ns();
		if (!a)
			die("%s: pmem_map_file(open) failed", L->label);
		acc += t1 - t0;
	}
	return (double)acc;
}

static double batch_is_pmem(int p, row_t *r, size_t n, lib_t *L, char *pool)
{
	size_t st = r->stride, sz = r->size;
	int (*f)(const void *, size_t) = L->is_pmem;
	size_t sum = 0;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		sum += (size_t)f(pool + next_slot(p, r) * st, sz);
	uint64_t t1 = now_ns();
	Sink += sum;
	return (double)(t1 - t0);
}

/* reference participant p: 2 = glibc memcpy, 3 = memcpy+clwb+sfence, 4.. = NT loops */
static double batch_ref_copy(int p, row_t *r, size_t n, char *pool, const char *Src)
{
	size_t st = r->stride, ns = r->nslots, sz = r->size;
	size_t half = ns / 2;
	int k = p - 2;
	void (*nt)(char *, const char *, size_t) = k >= 2 ? Nt_loop[k - 2].copy : NULL;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		size_t s = next_slot(p, r);
		size_t s2 = s + half < ns ? s + half : s + half - ns;
		char *d = pool + s * st + r->doff;
		const char *sr = Src + s2 * st + r->soff;
		if (k == 0)
			memcpy(d, sr, sz);
		else if (k == 1)
			ref_memcpy_clwb(d, sr, sz);
		else
			nt(d, sr, sz);
		BARRIER();
	}
	uint64_t t1 = now_ns();
	return (double)(t1 - t0);
}

double run_batch(int p, row_t *r, size_t n)
{
	if (p == CEIL_P && r->kind != K_REF_COPY)
		return batch_ceiling(p, r, n);
	lib_t *L = p < 2 ? &Lib[p] : NULL;
	char *pool = part_pool_at(p, r);
	const char *Src = SrcP[p < 2 ? part_idx(p) : p] + r->base;
	double t = 0;

	switch (r->kind) {
	case K_MEMCPY_PERSIST:
		t = batch_memcpy_persist(p, r, n, L, pool, Src);
		break;
	case K_MEMCPY_FLAGS:
		t = batch_memcpy_flags(p, r, n, L, pool, Src);
		break;
	case K_MEMMOVE_FWD:
	case K_MEMMOVE_BWD:
		t = batch_memmove(p, r, n, L, pool);
		break;
	case K_MEMSET_PERSIST:
		t = batch_memset(p, r, n, L, pool);
		break;
	case K_PERSIST:
	case K_FLUSH:
	case K_MSYNC:
		t = batch_dirty(p, r, n, L, pool);
		break;
	case K_MAP_CREATE:
		return batch_map_create(r, n, L);
	case K_MAP_OPEN:
		return batch_map_open(n, L);
	case K_IS_PMEM:
		t = batch_is_pmem(p, r, n, L, pool);
		break;
	case K_REF_COPY:
		t = batch_ref_copy(p, r, n, pool, Src);
		break;
	}
	sfence(); /* untimed: leave nothing in flight for the next side */
	return t;
}

/* ------------------------------------------------------------------ */
/* correctness check of one participant on one row (before timing)     */
/* ------------------------------------------------------------------ */
#define GUARD 64

static int guards_intact(const char *d, size_t sz)
{
	for (size_t i = 0; i < GUARD; i++)
		if ((unsigned char)d[-1 - (long)i] != 0x5a ||
		    (unsigned char)d[sz + i] != 0x5a)
			return 0;
	return 1;
}

static int check_copy(int p, row_t *r, lib_t *L, char *d)
{
	size_t sz = r->size;
	const char *s = SrcP[p] + 8192 + r->soff;
	memset(d - GUARD, 0x5a, sz + 2 * GUARD);
	if (r->kind == K_MEMCPY_PERSIST)
		L->memcpy_persist(d, s, sz);
	else if (r->kind == K_MEMCPY_FLAGS) {
		L->memcpy(d, s, sz, r->flags);
		L->drain();
	} else
		ref_copy(p - 2, d, s, sz);
	if (memcmp(d, s, sz) != 0) {
		snprintf(r->why, sizeof(r->why), "copied bytes differ");
		return -1;
	}
	if (!guards_intact(d, sz)) {
		snprintf(r->why, sizeof(r->why), "guard bytes clobbered");
		return -1;
	}
	return 0;
}

/* the whole span, guards included, must equal what glibc memmove makes of it */
static int check_memmove(row_t *r, lib_t *L, char *base)
{
	size_t sz = r->size;
	size_t dd = r->kind == K_MEMMOVE_FWD ? 0 : r->shift;
	size_t ss = r->kind == K_MEMMOVE_FWD ? r->shift : 0;
	size_t span = sz + r->shift + 2 * GUARD + 64;
	char *lo = base - GUARD;
	fill_random(lo, span);
	memcpy(Scratch, lo, span);
	memmove(Scratch + GUARD + dd + r->doff, Scratch + GUARD + ss + r->soff, sz);
	L->memmove_persist(base + dd + r->doff, base + ss + r->soff, sz);
	if (memcmp(lo, Scratch, span) != 0) {
		snprintf(r->why, sizeof(r->why),
			 "overlapping memmove result differs from glibc memmove");
		return -1;
	}
	return 0;
}

static int check_memset(row_t *r, lib_t *L, char *d)
{
	size_t sz = r->size;
	memset(d - GUARD, 0x5a, sz + 2 * GUARD);
	L->memset_persist(d, 0xc3, sz);
	for (size_t i = 0; i < sz; i++)
		if ((unsigned char)d[i] != 0xc3) {
			snprintf(r->why, sizeof(r->why), "byte %zu not set", i);
			return -1;
		}
	if (!guards_intact(d, sz)) {
		snprintf(r->why, sizeof(r->why), "guard bytes clobbered");
		return -1;
	}
	return 0;
}

/* persist, flush+drain, msync: return codes, data unchanged */
static int check_flush(row_t *r, lib_t *L, char *d)
{
	size_t sz = r->size;
	fill_random(d, sz);
	memcpy(Scratch, d, sz);
	int rc = 0;
	if (r->kind == K_PERSIST)
		L->persist(d, sz);
	else if (r->kind == K_FLUSH) {
		L->flush(d, sz);
		L->drain();
	} else
		rc = L->msync(d, sz);
	if (rc != 0) {
		snprintf(r->why, sizeof(r->why), "pmem_msync returned %d", rc);
		return -1;
	}
	if (memcmp(d, Scratch, sz) != 0) {
		snprintf(r->why, sizeof(r->why), "data changed by flush");
		return -1;
	}
	return 0;
}

/* mapped_len, is_pmem, a zero-filled file of the right size */
static int check_map_create(row_t *r, lib_t *L)
{
	size_t sz = r->size;
	size_t ml = 0;
	int ip = -1;
	struct stat st;
	unlink(L->create_path);
	char *a = L->map_file(L->create_path, sz, PMEM_FILE_CREATE, 0600,
			      &ml, &ip);
	if (!a) {
		snprintf(r->why, sizeof(r->why), "pmem_map_file failed: %s",
			 L->errormsg());
		return -1;
	}
	int bad = ml != sz || ip != 1 || a[0] != 0 || a[sz - 1] != 0 ||
		  stat(L->create_path, &st) != 0 || (size_t)st.st_size != sz;
	a[0] = 1, a[sz - 1] = 2;
	L->unmap(a, ml);
	unlink(L->create_path);
	if (bad) {
		snprintf(r->why, sizeof(r->why),
			 "create: mapped_len %zu is_pmem %d (want %zu, 1)", ml, ip, sz);
		return -1;
	}
	return 0;
}

/* the pre-created file: its length and the marks at both ends */
static int check_map_open(row_t *r, lib_t *L)
{
	size_t sz = r->size;
	size_t ml = 0;
	int ip = -1;
	char *a = L->map_file(L->open_path, 0, 0, 0, &ml, &ip);
	if (!a) {
		snprintf(r->why, sizeof(r->why), "pmem_map_file(open) failed: %s",
			 L->errormsg());
		return -1;
	}
	int bad = ml != sz || ip != 1 || a[0] != 'P' || a[sz - 1] != 'Q';
	L->unmap(a, ml);
	if (bad) {
		snprintf(r->why, sizeof(r->why),
			 "open: mapped_len %zu is_pmem %d or contents wrong", ml, ip);
		return -1;
	}
	return 0;
}

static int check_is_pmem(row_t *r, lib_t *L, char *d)
{
	int v = L->is_pmem(d, r->size);
	if (v != 1) {
		snprintf(r->why, sizeof(r->why),
			 "pmem_is_pmem = %d with PMEM_IS_PMEM_FORCE=1", v);
		return -1;
	}
	return 0;
}

/* 0 when participant p gets the row right, else -1 with r->why set */
int check_part(int p, row_t *r)
{
	lib_t *L = p < 2 ? &Lib[p] : NULL;
	char *pool = part_pool(p);
	/* check in slot 0 (pool offset 0 is 4 KiB aligned; guards fit in
	 * the stride padding after, and before we use the slot's own pad) */
	char *base = pool + 4096;
	char *d = base + r->doff;

	switch (r->kind) {
	case K_MEMCPY_PERSIST:
	case K_MEMCPY_FLAGS:
	case K_REF_COPY:
		return check_copy(p, r, L, d);
	case K_MEMMOVE_FWD:
	case K_MEMMOVE_BWD:
		return check_memmove(r, L, base);
	case K_MEMSET_PERSIST:
		return check_memset(r, L, d);
	case K_PERSIST:
	case K_FLUSH:
	case K_MSYNC:
		return check_flush(r, L, d);
	case K_MAP_CREATE:
		return check_map_create(r, L);
	case K_MAP_OPEN:
		return check_map_open(r, L);
	case K_IS_PMEM:
		return check_is_pmem(r, L, d);
	}
	return 0;
}
