/*
 * rows.c -- the table of rows (benchmark cases, in the order they run and print)
 * and the geometry of each row: slots, stride, window and start in the pools.
 */
#include "pmembench.h"

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
