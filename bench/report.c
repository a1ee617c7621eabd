/*
 * report.c -- everything pmembench prints or writes: the header (machine,
 * libraries, method), one table line and one CSV line per row, the summary
 * (slow rows, geometric mean) and the targets of the CPU class.
 */
#include "pmembench.h"

#include <string.h>

char Strategy_class[32];

const char *fmt_size(size_t s, char *buf)
{
	if (s >= MiB && s % MiB == 0)
		sprintf(buf, "%zuM", s / MiB);
	else if (s >= KiB && s % KiB == 0)
		sprintf(buf, "%zuK", s / KiB);
	else
		sprintf(buf, "%zu", s);
	return buf;
}

const char *flags_name(unsigned f)
{
	static char b[64];
	b[0] = 0;
	if (f & PMEM_F_MEM_NONTEMPORAL)
		strcat(b, "NT|");
	if (f & PMEM_F_MEM_TEMPORAL)
		strcat(b, "T|");
	if (f & PMEM_F_MEM_NODRAIN)
		strcat(b, "NODRAIN|");
	if (f & PMEM_F_MEM_NOFLUSH)
		strcat(b, "NOFLUSH|");
	if (b[0])
		b[strlen(b) - 1] = 0;
	return b;
}

/* ------------------------------------------------------------------ */
/* output                                                              */
/* ------------------------------------------------------------------ */
static int Use_gbps(const row_t *r)
{
	return moves_data(r->kind) && r->size >= 4096;
}

void fmt_val(const row_t *r, double ns, char *buf)
{
	if (Use_gbps(r))
		sprintf(buf, "%8.2f GB/s", r->size / ns);
	else if (ns >= 100000)
		sprintf(buf, "%8.1f us  ", ns / 1000);
	else
		sprintf(buf, "%8.1f ns  ", ns);
}

const char *align_name(const row_t *r)
{
	if (!moves_data(r->kind))
		return "-";
	return r->mis ? "mis" : "al";
}

/* The targets of this CPU class (none for a class without measurements), and how close
 * the long copies come to the NT ceiling. */
void print_targets(const row_t *rows, int nrows, double gm, double rmin)
{
	double m_ceil = 1e9;
	for (int i = 0; i < nrows; i++) {
		const row_t *r = &rows[i];
		if (r->kind == K_REF_COPY || !r->status || strcmp(r->status, "ok"))
			continue;
		if (r->with_ceil && r->pct_ceil[1] > 0 &&
		    (r->kind == K_MEMCPY_PERSIST ||
		     (r->flags & (PMEM_F_MEM_TEMPORAL | PMEM_F_MEM_NOFLUSH)) == 0) &&
		    r->pct_ceil[1] < m_ceil)
			m_ceil = r->pct_ceil[1];
	}
	double want_gm = 0, want_min = 0;
	/* the targets of the CPU this runs on, for the strategy of its class */
	if (strcmp(Strategy_class, Cpu.class) != 0) {
		printf("no targets: ours follows the %s strategy on a CPU of class %s\n", Strategy_class,
		       Cpu.class);
	} else if (!strcmp(Cpu.class, "amd-zen"))
		want_gm = 1.10, want_min = 0.92;
	else if (!strcmp(Cpu.class, "intel-server"))
		want_gm = 1.10, want_min = 0.95;
#define T(ok) ((ok) ? "ok  " : "MISS")
	if (want_gm > 0) {
		printf("targets for %s (%s; repeat before believing one row):\n", Cpu.class,
		       Cpu.tag);
		printf("  %s geometric mean >= %.2f: %.3f\n", T(gm >= want_gm), want_gm, gm);
		printf("  %s no row below %.2f x PMDK: worst %.3f\n", T(rmin >= want_min),
		       want_min, rmin);
	} else if (!strcmp(Strategy_class, Cpu.class)) {
		printf("no targets for CPU class %s (%s): figures only\n", Cpu.class, Cpu.tag);
	}
#undef T
	if (m_ceil < 1e9)
		printf("  copies >= 1 MiB (memcpy_persist, NT, NODRAIN rows): worst at %.1f%% of "
		       "the NT ceiling\n", m_ceil);
}
