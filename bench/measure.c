/*
 * measure.c -- timing of one row: check every participant, calibrate the batch,
 * run paired rounds in alternating order, and reduce them to medians and ratios.
 *
 * Rounds alternate the order (A,B then B,A ...) so that drift hits both
 * equally.  The speed ratio is PMDK_time / ours_time (>1 = ours faster),
 * taken per pair of rounds; the row reports the median of those ratios and
 * the median ns/op of each side.
 */
#include "pmembench.h"

#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* quantile of a (copied, sorted) sample, linear interpolation */
double quantile(const double *v, int n, double q)
{
	double tmp[n];
	memcpy(tmp, v, sizeof(double) * n);
	qsort(tmp, n, sizeof(double), cmp_double);
	double pos = q * (n - 1);
	int i = (int)pos;
	if (i >= n - 1)
		return tmp[n - 1];
	return tmp[i] + (pos - i) * (tmp[i + 1] - tmp[i]);
}

/* every participant of the row starts its batch at slot rc */
static void set_cursors(const row_t *r, int first, int np, size_t rc)
{
	for (int k = 0; k < np; k++)
		Cursor[first + k] = rc % r->nslots;
}

/* 0 when every participant gets the row right; else the row is marked failed */
static int check_all(row_t *r, int first, int np)
{
	for (int k = 0; k < np; k++) {
		if (check_part(first + k, r) != 0) {
			/* "who: why", cut to the size of why */
			const char *who = first ? ref_name(k) : Lib[k].label;
			char tmp[160];
			int room = (int)(sizeof(tmp) - 3 - strlen(who));
			snprintf(tmp, sizeof(tmp), "%s: %.*s", who, room, r->why);
			snprintf(r->why, sizeof(r->why), "%s", tmp);
			r->status = "CHECK-FAILED";
			return -1;
		}
	}
	return 0;
}

/* batch size for about Target_ns, on the first participant; *t is the
 * last calibration batch's time */
static size_t calibrate(row_t *r, int first, double *t)
{
	size_t n = 1;
	Pool_sel = 0;
	for (;;) {
		*t = run_batch(first, r, n);
		if (*t >= Target_ns / 4 || (int)n >= r->max_batch)
			break;
		n *= 2;
		if ((int)n > r->max_batch)
			n = (size_t)r->max_batch;
	}
	if (*t < Target_ns && (int)n < r->max_batch) {
		double per = *t / n;
		size_t want = (size_t)(Target_ns / (per > 0.5 ? per : 0.5));
		n = want < 1 ? 1 : want;
		if ((int)n > r->max_batch)
			n = (size_t)r->max_batch;
	}
	return n;
}

/* R rounds of n ops each: per[k][i] is ns/op of participant k in round i
 * (per[2] the interleaved ceiling in library rows), ratio[] one PMDK/ours ratio per pair */
static void run_rounds(row_t *r, int first, int np, size_t n, size_t rc, int R,
		       double per[][R], double ratio[])
{
	for (int i = 0; i < R; i++) {
		/* order A,B / B,A and the mappings swap every round */
		Pool_sel = i & 1;
		set_cursors(r, first, np, rc);
		Cursor[CEIL_P] = (rc + r->nslots / 2) % r->nslots;
		rc += n;
		for (int j = 0; j < np; j++) {
			int k = ((i ^ Flip) & 1) ? np - 1 - j : j;
			own_state_pass(first + k, r, n);
			per[k][i] = run_batch(first + k, r, n) / (double)n;
			/* the ceiling runs between the two: A,C,B / B,C,A */
			if (r->with_ceil && j == 0)
				per[2][i] = run_batch(CEIL_P, r, n) / (double)n;
		}
		/* one ratio per pair of rounds: sum(PMDK) / sum(ours) */
		if (i & 1)
			ratio[i / 2] = (per[0][i - 1] + per[0][i]) /
				       (per[1][i - 1] + per[1][i]); /* >1: ours faster */
	}
}

static void debug_samples(const row_t *r, size_t n, int R, double per[][R])
{
	fprintf(stderr, "# %s %zu mis=%d n=%zu:", r->name, r->size, r->mis, n);
	for (int i = 0; i < R; i++)
		fprintf(stderr, " %.0f/%.0f", per[0][i], per[1][i]);
	fprintf(stderr, "\n");
}

/* medians per participant, the ceiling's share, and the headline ratio */
static void summarize(row_t *r, int np, int R, double per[][R], const double ratio[])
{
	for (int k = 0; k < np; k++)
		r->med_ns[k] = quantile(per[k], R, 0.5);
	if (r->with_ceil) {
		double q[R];
		r->ceil_ns = quantile(per[2], R, 0.5);
		for (int k = 0; k < 2; k++) {
			for (int i = 0; i < R; i++)
				q[i] = per[2][i] / per[k][i];
			r->pct_ceil[k] = 100 * quantile(q, R, 0.5);
		}
	}
	/* headline: median over the balanced pairs of rounds */
	r->ratio = quantile(ratio, R / 2, 0.5);
	r->r25 = quantile(ratio, R / 2, 0.25);
	r->r75 = quantile(ratio, R / 2, 0.75);
}

void measure(row_t *r)
{
	int np = r->nparts;
	int first = r->kind == K_REF_COPY ? 2 : 0;
	r->status = "ok";
	r->why[0] = 0;
	row_geometry(r);
	if (check_all(r, first, np) != 0)
		return;

	double t = 0;
	size_t n = calibrate(r, first, &t);
	r->batch = n;
	/* warm-up: one batch each */
	size_t rc = Cursor[first];
	set_cursors(r, first, np, rc);
	for (int k = 0; k < np; k++)
		run_batch(first + k, r, n);
	rc += n;

	int R = Rounds;
	/* very slow rows (64 MiB creates) keep the whole run short */
	if (t > 20e6 && R > 8)
		R = 8;
	r->rounds = R;
	double per[NREF_MAX][R];
	double ratio[R / 2];
	if (r->with_ceil) {
		Cursor[CEIL_P] = (Cursor[first] + r->nslots / 2) % r->nslots;
		run_batch(CEIL_P, r, n);
	}
	run_rounds(r, first, np, n, rc, R, per, ratio);
	if (Debug)
		debug_samples(r, n, R, per);
	summarize(r, np, R, per, ratio);
}
