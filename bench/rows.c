/*
 * rows.c -- the table of rows (benchmark cases, in the order they run and print)
 * and the geometry of each row: slots, stride, window and start in the pools.
 */
#include "pmembench.h"

#include <stdlib.h>
#include <string.h>

/* slots of one stride each, rotating over a window of max(64 KiB, 64 x stride), capped at
 * the pools (at LLC/2 for dirty ranges); the batch limit of the row */
void row_geometry(row_t *r)
{
	size_t span = r->size;
	r->doff = r->mis ? 7 : 0;
	r->soff = r->mis ? 3 : 0;
	if (r->kind == K_MEMMOVE_FWD || r->kind == K_MEMMOVE_BWD) {
		r->shift = r->size >= 128 ? (r->size / 2) & ~(size_t)63
					  : (r->size / 2 ? r->size / 2 : 1);
		if (r->mis) {
			/* both ends off the line, and not co-aligned */
			r->doff = r->soff = 7;
			r->shift += r->shift + 5 < r->size ? 5 : 1;
		}
		span = r->size + r->shift;
	}
	if (r->kind == K_MSYNC)
		span = round_up(span, 4096) + 4096;
	r->stride = round_up(span + 64, span >= 64 * KiB ? 4096 : 64);
	size_t cap = Region;
	if (is_dirty_kind(r->kind))
		cap = Llc / 2; /* keep the dirty lines in the cache */
	size_t w = r->stride * 64;
	if (w < 64 * KiB)
		w = 64 * KiB;
	if (w > cap)
		w = cap;
	if (w < r->stride)
		w = r->stride;
	r->window = w;
	r->nslots = w / r->stride;
	if (r->nslots < 1)
		r->nslots = 1;
	/* start each row at a random page of the pools (same for every
	 * participant), so one slow spot of one mapping cannot bias all the
	 * small rows of a run the same way */
	size_t used = r->nslots * r->stride + 8192;
	r->base = used < Region ? (rnd() % ((Region - used) / 4096)) * 4096 : 0;
	r->max_batch = 1 << 20;
	if (is_dirty_kind(r->kind))
		r->max_batch = (int)r->nslots;
	if (r->kind == K_MAP_CREATE || r->kind == K_MAP_OPEN)
		r->max_batch = 64;
}

/* sizes of the copy, set and flush rows */
static const size_t copy_sizes[] = { 8, 64, 256, 4 * KiB, 64 * KiB,
				     1 * MiB, 16 * MiB, 64 * MiB };
#define NCS ((int)(sizeof(copy_sizes) / sizeof(copy_sizes[0])))
static const unsigned cflags[] = {
	PMEM_F_MEM_NONTEMPORAL, PMEM_F_MEM_TEMPORAL, PMEM_F_MEM_NODRAIN,
	PMEM_F_MEM_NOFLUSH
};
static const char *cflag_names[] = { "memcpy NONTEMPORAL", "memcpy TEMPORAL",
				     "memcpy NODRAIN+drain", "memcpy NOFLUSH" };
static const size_t msync_sizes[] = { 64, 4 * KiB, 64 * KiB, 1 * MiB };

static void add(row_t *rows, int *nrows, const char *nm, enum kind k, size_t sz, int m,
		unsigned fl)
{
	row_t *r = &rows[(*nrows)++];
	snprintf(r->name, sizeof(r->name), "%s", nm);
	r->kind = k;
	r->size = sz;
	r->mis = m;
	r->flags = fl;
	r->nparts = k == K_REF_COPY ? Nref : 2;
	r->with_ceil = is_copy_kind(k) && k != K_REF_COPY && sz >= MiB;
}

/* the copy-like rows: every size, aligned then misaligned */
static void add_copy_rows(row_t *rows, int *n)
{
	for (int i = 0; i < NCS; i++)
		add(rows, n, "reference copies", K_REF_COPY, copy_sizes[i], 0, 0);
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < NCS; i++)
			add(rows, n, "memcpy_persist", K_MEMCPY_PERSIST, copy_sizes[i], m, 0);
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < NCS; i++) {
			add(rows, n, "memmove_persist ovl-fwd", K_MEMMOVE_FWD, copy_sizes[i], m, 0);
			add(rows, n, "memmove_persist ovl-bwd", K_MEMMOVE_BWD, copy_sizes[i], m, 0);
		}
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < NCS; i++)
			add(rows, n, "memset_persist", K_MEMSET_PERSIST, copy_sizes[i], m, 0);
	for (int f = 0; f < 4; f++)
		for (int m = 0; m < 2; m++)
			for (int i = 0; i < NCS; i++)
				add(rows, n, cflag_names[f], K_MEMCPY_FLAGS, copy_sizes[i], m,
				    cflags[f]);
}

/* flushes of dirty ranges, mappings, is_pmem */
static void add_other_rows(row_t *rows, int *n)
{
	for (int i = 0; i < NCS; i++)
		add(rows, n, "persist dirty", K_PERSIST, copy_sizes[i], 0, 0);
	for (int i = 0; i < NCS; i++)
		add(rows, n, "flush dirty", K_FLUSH, copy_sizes[i], 0, 0);
	for (int i = 0; i < 4; i++)
		add(rows, n, "msync dirty", K_MSYNC, msync_sizes[i], 0, 0);
	add(rows, n, "map_file create+unmap", K_MAP_CREATE, 2 * MiB, 0, 0);
	add(rows, n, "map_file create+unmap", K_MAP_CREATE, 64 * MiB, 0, 0);
	add(rows, n, "map_file open+unmap", K_MAP_OPEN, 64 * MiB, 0, 0);
	add(rows, n, "is_pmem", K_IS_PMEM, 4 * KiB, 0, 0);
	add(rows, n, "is_pmem", K_IS_PMEM, 64 * MiB, 0, 0);
}

row_t *rows_build(int *nrows)
{
	int maxrows = 256;
	row_t *rows = calloc(maxrows, sizeof(row_t));
	*nrows = 0;
	add_copy_rows(rows, nrows);
	add_other_rows(rows, nrows);
	return rows;
}

/* --size, --aln and --filter; a memcpy filter keeps the reference copies */
int row_selected(const row_t *r, const struct opts *o)
{
	if ((o->only_size && r->size != o->only_size) ||
	    (o->only_mis >= 0 && r->mis != o->only_mis))
		return 0;
	if (o->filter && !strstr(r->name, o->filter) &&
	    !(r->kind == K_REF_COPY && strstr(o->filter, "memcpy")))
		return 0;
	return 1;
}
