/*
 * report.c -- everything pmembench prints or writes: the header (machine,
 * libraries, method), one table line and one CSV line per row, the summary
 * (slow rows, geometric mean) and the targets of the CPU class.
 */
#include "pmembench.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

char Cpu_class[32], Strategy_class[32];

static void print_rule(void)
{
	printf("%.*s\n", 100,
	       "----------------------------------------------------------------"
	       "----------------------------------------------------------------");
}

static const char *fmt_size(size_t s, char *buf)
{
	if (s >= MiB && s % MiB == 0)
		sprintf(buf, "%zuM", s / MiB);
	else if (s >= KiB && s % KiB == 0)
		sprintf(buf, "%zuK", s / KiB);
	else
		sprintf(buf, "%zu", s);
	return buf;
}

static const char *flags_name(unsigned f)
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

static int Use_gbps(const row_t *r)
{
	return moves_data(r->kind) && r->size >= 4096;
}

static void fmt_val(const row_t *r, double ns, char *buf)
{
	if (Use_gbps(r))
		sprintf(buf, "%8.2f GB/s", r->size / ns);
	else if (ns >= 100000)
		sprintf(buf, "%8.1f us  ", ns / 1000);
	else
		sprintf(buf, "%8.1f ns  ", ns);
}

static const char *align_name(const row_t *r)
{
	if (!moves_data(r->kind))
		return "-";
	return r->mis ? "mis" : "al";
}

/* ------------------------------------------------------------------ */
/* header                                                              */
/* ------------------------------------------------------------------ */
static void read_cpu_model(char *model, size_t len)
{
	snprintf(model, len, "?");
	FILE *ci = fopen("/proc/cpuinfo", "r");
	if (!ci)
		return;
	char line[512];
	while (fgets(line, sizeof(line), ci))
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');
			snprintf(model, len, "%s", c ? c + 2 : line);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	fclose(ci);
}

/* the run, the machine, and the strategy ours follows on it */
static void header_machine(struct report *rep, const struct opts *o)
{
	read_cpu_model(rep->model, sizeof(rep->model));
	struct utsname un;
	uname(&un);
	rep->now = time(NULL);
	strftime(rep->stamp, sizeof(rep->stamp), "%Y-%m-%d %H:%M:%S UTC", gmtime(&rep->now));
	printf("pmembench  %s  mode=%s rounds=%d sample~%.1fms\n", rep->stamp,
	       Quick ? "quick" : "full", Rounds, Target_ns / 1e6);
	/* the class is the library's answer (run.sh probes it); without one, no targets */
	snprintf(Cpu_class, sizeof(Cpu_class), "%s",
		 o->cpu_class && *o->cpu_class ? o->cpu_class : "unknown");
	printf("cpu: %s (%s family %#x model %#x: %s, class %s), %ld online cpus, LLC %zu MiB; "
	       "clwb=%d clflushopt=%d avx2=%d avx512f=%d; kernel %s\n",
	       rep->model, Cpu.vendor, Cpu.family, Cpu.model, Cpu.tag, Cpu_class,
	       sysconf(_SC_NPROCESSORS_ONLN), Llc / MiB, Has_clwb, Has_clflushopt, Has_avx2,
	       Has_avx512f, un.release);
	const char *strategy = o->strategy;
	if (strategy && *strategy)
		printf("ours' strategy: %s\n", strategy);
	snprintf(Strategy_class, sizeof(Strategy_class), "%s", Cpu_class);
	if (strategy && !strncmp(strategy, "cpu class: ", 11))
		snprintf(Strategy_class, sizeof(Strategy_class), "%.*s",
			 (int)strcspn(strategy + 11, ","), strategy + 11);
}

/* where each library was loaded from, and proof that the copies are distinct */
static void header_libs(void)
{
	for (int i = 0; i < 2; i++)
		printf("%-4s: %s\n      loaded %s base %#lx namespace %ld%s\n",
		       Lib[i].label, Lib[i].path, Lib[i].realname,
		       (unsigned long)Lib[i].base, (long)Lib[i].lmid,
		       Lib[i].via_dlmopen ? " (dlmopen LM_ID_NEWLM)" : " (dlopen)");
	Dl_info a, b;
	dladdr((void *)Lib[0].memcpy_persist, &a);
	dladdr((void *)Lib[1].memcpy_persist, &b);
	printf("distinct copies: pmem_memcpy_persist PMDK=%p (%s) ours=%p (%s)\n",
	       (void *)Lib[0].memcpy_persist, a.dli_fname,
	       (void *)Lib[1].memcpy_persist, b.dli_fname);
}

/* "avx512 17.31/16.90, avx2 ...": each NT loop's calibration, aligned/misaligned
 * (the CSV's metadata line takes no spaces in a value: "avx512:17.31/16.90;...") */
static const char *nt_cal_text(char *buf, size_t len, int csv)
{
	size_t o = 0;
	buf[0] = 0;
	for (int k = 0; k < Nt_nloops && o < len; k++)
		o += snprintf(buf + o, len - o, "%s%s%s%.2f/%.2f",
			      k ? (csv ? ";" : ", ") : "", Nt_loop[k].isa, csv ? ":" : " ",
			      Nt_loop[k].gbps[0], Nt_loop[k].gbps[1]);
	return buf;
}

/* which NT loop is the ceiling, and what each width ran at */
static void header_ceiling(void)
{
	char cal[256];
	printf("NT ceiling: the %s loop, the fastest plain NT-store copy of any width here; "
	       "GB/s aligned/misaligned,\n  median of >= %d undisturbed copies of 16 MiB over %zu MiB: %s\n",
	       Nt_isa, Nt_cal_copies, Nt_cal_window / MiB,
	       nt_cal_text(cal, sizeof(cal), 0));
}

/* the destination, the libraries' answers, PMEM_* settings and the method */
static void header_setup(const struct report *rep, const struct opts *o)
{
	printf("destination: pmem_map_file on %s, %zu MiB per library, is_pmem=%d/%d "
	       "(PMEM_IS_PMEM_FORCE=%s); large sizes rotate over up to %zu MiB "
	       "(> LLC)\n",
	       o->dir, Region / MiB, Lib[0].pool_is_pmem, Lib[1].pool_is_pmem,
	       getenv("PMEM_IS_PMEM_FORCE"), Region / MiB);
	printf("has_auto_flush PMDK=%d ours=%d  has_hw_drain PMDK=%d ours=%d; "
	       "harness cost of an empty call: %.1f ns\n",
	       Lib[0].has_auto_flush(), Lib[1].has_auto_flush(),
	       Lib[0].has_hw_drain(), Lib[1].has_hw_drain(),
	       (Call_ns = call_overhead_ns()));
	header_ceiling();
	extern char **environ;
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "PMEM_", 5))
			printf("env: %s\n", *e);
	if (rep->same_file)
		printf("*** SELF-TEST: both slots hold the same library file; the ratios "
		       "measure the noise band ***\n");
	printf("ratio = speed ratio ours/PMDK (>1 = ours faster): median over %d "
	       "pairs of rounds [PMDK->map0, ours->map1], [ours->map0, PMDK->map1]\n"
	       "of sum(PMDK ns)/sum(ours ns); [p25-p75] of those pair ratios; "
	       "ns and GB/s columns: median over %d rounds\n\n",
	       Rounds / 2, Rounds);
}

void report_header(struct report *rep, const struct opts *o)
{
	header_machine(rep, o);
	header_libs();
	header_setup(rep, o);
	fflush(stdout);
}

/* the CSV (default name from the start time and mode) and its metadata lines */
void report_open_csv(struct report *rep, const char *csv)
{
	if (!csv) {
		char ts[32];
		strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", gmtime(&rep->now));
		snprintf(rep->csvbuf, sizeof(rep->csvbuf), "bench/results/pmembench-%s-%s.csv",
			 ts, Quick ? "quick" : "full");
		csv = rep->csvbuf;
	}
	rep->csv = csv;
	FILE *out = rep->out = fopen(csv, "w");
	if (!out) {
		fprintf(stderr, "pmembench: cannot write %s: %s (no CSV)\n", csv,
			strerror(errno));
		return;
	}
	char cal[256];
	fprintf(out, "# pmembench %s mode=%s rounds=%d cpu=%s (%s, class %s) llc_mib=%zu "
		     "nt_isa=%s nt_cal_gbps=%s self_test=%d pmdk=%s ours=%s\n",
		rep->stamp, Quick ? "quick" : "full", Rounds, rep->model, Cpu.tag, Cpu_class,
		Llc / MiB, Nt_isa, nt_cal_text(cal, sizeof(cal), 1), rep->same_file,
		Lib[0].path, Lib[1].path);
	fprintf(out, "row,flags,size,align,pmdk_ns,ours_ns,ratio,ratio_p25,"
		     "ratio_p75,pmdk_gbps,ours_gbps,pmdk_pct_ceiling,"
		     "ours_pct_ceiling,ref_ns,ref_gbps,batch,rounds,status\n");
}

void report_table_head(void)
{
	printf("%-26s %5s %4s  %-13s %-13s %7s  %-11s %s\n", "row", "size", "aln",
	       "PMDK", "ours", "ratio", "[p25-p75]", "%ceil PMDK/ours");
	print_rule();
}

/* ------------------------------------------------------------------ */
/* one row                                                             */
/* ------------------------------------------------------------------ */
static void report_failed(struct report *rep, const row_t *r, const char *sz)
{
	printf("%-26s %5s %4s  %s %s\n", r->name, sz, align_name(r), r->status, r->why);
	if (rep->out)
		fprintf(rep->out, "%s,%s,%zu,%s,,,,,,,,,,,,,,%s\n", r->name,
			flags_name(r->flags), r->size, align_name(r), r->status);
	rep->nfail++;
}

/* one line per reference kernel; the NT loop that is the ceiling says so */
static void report_ref(struct report *rep, const row_t *r, const char *sz)
{
	char a[32], name[32];
	for (int k = 0; k < r->nparts; k++) {
		int is_ceiling = k - 2 == Nt_best;
		fmt_val(r, r->med_ns[k], a);
		snprintf(name, sizeof(name), "ref: %s", ref_name(k));
		printf("%-26s %5s %4s  %-13s%s\n", name, sz, "al", a,
		       is_ceiling ? "               (the NT ceiling)" : "");
		if (rep->out)
			fprintf(rep->out, "%s,%s,%zu,al,,,,,,,,,,%.3f,%.4f,%zu,%d,ok\n",
				ref_key(k), is_ceiling ? "ceiling" : "", r->size,
				r->med_ns[k], r->size / r->med_ns[k],
				r->batch, r->rounds);
	}
}

static void pair_csv(FILE *out, const row_t *r)
{
	fprintf(out, "%s,%s,%zu,%s,%.3f,%.3f,%.4f,%.4f,%.4f,", r->name,
		flags_name(r->flags), r->size, align_name(r), r->med_ns[0],
		r->med_ns[1], r->ratio, r->r25, r->r75);
	if (moves_data(r->kind))
		fprintf(out, "%.4f,%.4f,", r->size / r->med_ns[0],
			r->size / r->med_ns[1]);
	else
		fprintf(out, ",,");
	if (r->pct_ceil[0] > 0)
		fprintf(out, "%.2f,%.2f,%.3f,%.4f,", r->pct_ceil[0],
			r->pct_ceil[1], r->ceil_ns, r->size / r->ceil_ns);
	else
		fprintf(out, ",,,,");
	fprintf(out, "%zu,%d,ok\n", r->batch, r->rounds);
}

/* PMDK vs ours: the table line, the CSV line, and the row's share of the summary */
static void report_pair(struct report *rep, row_t *r, const char *sz)
{
	char a[32], b[32];
	if (!r->with_ceil)
		r->pct_ceil[0] = r->pct_ceil[1] = -1;
	fmt_val(r, r->med_ns[0], a);
	fmt_val(r, r->med_ns[1], b);
	char pc[96] = "";
	if (r->pct_ceil[0] > 0)
		snprintf(pc, sizeof(pc), "%5.1f%% / %5.1f%% of %.2f GB/s",
			 r->pct_ceil[0], r->pct_ceil[1], r->size / r->ceil_ns);
	char flag = r->ratio < 0.97 ? '<' : ' ';
	printf("%-26s %5s %4s  %-13s %-13s %6.3f%c  %5.3f-%5.3f  %s\n", r->name, sz,
	       align_name(r), a, b, r->ratio, flag, r->r25, r->r75, pc);
	if (rep->out)
		pair_csv(rep->out, r);
	rep->logsum += log(r->ratio);
	rep->nlog++;
	if (r->ratio < rep->rmin)
		rep->rmin = r->ratio;
	if (r->ratio > rep->rmax)
		rep->rmax = r->ratio;
	if (r->ratio < 0.97)
		rep->nslow++;
}

void report_row(struct report *rep, row_t *r)
{
	char sz[32];
	fmt_size(r->size, sz);
	if (strcmp(r->status, "ok") != 0)
		report_failed(rep, r, sz);
	else if (r->kind == K_REF_COPY)
		report_ref(rep, r, sz);
	else
		report_pair(rep, r, sz);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* summary                                                             */
/* ------------------------------------------------------------------ */
static void print_slow_rows(const row_t *rows, int nrows)
{
	int idx[nrows], ns_ = 0;
	for (int i = 0; i < nrows; i++)
		if (rows[i].kind != K_REF_COPY && rows[i].status &&
		    !strcmp(rows[i].status, "ok") && rows[i].ratio < 0.97)
			idx[ns_++] = i;
	for (int a = 0; a < ns_; a++) /* sort ascending by ratio */
		for (int b = a + 1; b < ns_; b++)
			if (rows[idx[b]].ratio < rows[idx[a]].ratio) {
				int t = idx[a];
				idx[a] = idx[b];
				idx[b] = t;
			}
	printf("rows where ours is slower than 0.97 x PMDK (worst first): %d\n", ns_);
	for (int a = 0; a < ns_; a++) {
		const row_t *r = &rows[idx[a]];
		char sz[32];
		printf("  %-26s %5s %4s  %.3f\n", r->name, fmt_size(r->size, sz),
		       align_name(r), r->ratio);
	}
}

/* the long NT-like copies: memcpy_persist, NONTEMPORAL and NODRAIN rows of 1 MiB and more,
 * timed with the ceiling interleaved */
static int is_long_nt_copy(const row_t *r)
{
	return r->kind != K_REF_COPY && r->status && !strcmp(r->status, "ok") &&
	       r->with_ceil && r->pct_ceil[1] > 0 &&
	       (r->kind == K_MEMCPY_PERSIST ||
		(r->flags & (PMEM_F_MEM_TEMPORAL | PMEM_F_MEM_NOFLUSH)) == 0);
}

struct ceil_share {
	int n;
	double avg[2], worst[2]; /* PMDK, ours: % of the NT ceiling */
};

/* how close each library's long copies come to the ceiling, on average and at worst */
static struct ceil_share ceil_share(const row_t *rows, int nrows)
{
	struct ceil_share c = { .worst = { 1e9, 1e9 } };
	for (int i = 0; i < nrows; i++) {
		if (!is_long_nt_copy(&rows[i]))
			continue;
		for (int k = 0; k < 2; k++) {
			double p = rows[i].pct_ceil[k];
			c.avg[k] += p;
			if (p < c.worst[k])
				c.worst[k] = p;
		}
		c.n++;
	}
	for (int k = 0; c.n && k < 2; k++)
		c.avg[k] /= c.n;
	return c;
}

/* what each CPU class must reach; ceil_avg 0 = no target on the ceiling */
static const struct {
	const char *class;
	double gm, min, ceil_avg;
} Targets[] = {
	{ "amd-zen", 1.10, 0.92, 0 },
	{ "amd-zen4", 1.15, 0.95, 97 },
	{ "intel-server", 1.10, 0.95, 0 },
};

/* the targets of the class ours detects here, when it also follows that class's strategy */
static int find_targets(void)
{
	if (!strcmp(Cpu_class, "unknown")) {
		printf("no targets: class unknown (run through bench/run.sh, or pass --class)\n");
		return -1;
	}
	if (strcmp(Strategy_class, Cpu_class) != 0) {
		printf("no targets: ours follows the %s strategy on a CPU of class %s\n",
		       Strategy_class, Cpu_class);
		return -1;
	}
	for (int i = 0; i < (int)(sizeof(Targets) / sizeof(Targets[0])); i++)
		if (!strcmp(Targets[i].class, Cpu_class))
			return i;
	printf("no targets for CPU class %s (%s): figures only\n", Cpu_class, Cpu.tag);
	return -1;
}

/* The targets of this CPU class (none for a class without measurements), and how close
 * the long copies come to the NT ceiling, whatever the class. */
static void print_targets(const row_t *rows, int nrows, double gm, double rmin)
{
	struct ceil_share c = ceil_share(rows, nrows);
	int t = find_targets();
#define T(ok) ((ok) ? "ok  " : "MISS")
	if (t >= 0) {
		printf("targets for %s (%s; repeat before believing one row):\n", Cpu_class,
		       Cpu.tag);
		printf("  %s geometric mean >= %.2f: %.3f\n", T(gm >= Targets[t].gm),
		       Targets[t].gm, gm);
		printf("  %s no row below %.2f x PMDK: worst %.3f\n", T(rmin >= Targets[t].min),
		       Targets[t].min, rmin);
		if (Targets[t].ceil_avg > 0 && c.n)
			printf("  %s copies >= 1 MiB at >= %.0f%% of the NT ceiling on average: "
			       "%.1f%%\n", T(c.avg[1] >= Targets[t].ceil_avg),
			       Targets[t].ceil_avg, c.avg[1]);
		else if (Targets[t].ceil_avg > 0)
			printf("  --   copies >= 1 MiB at >= %.0f%% of the NT ceiling on average: "
			       "no such row ran\n", Targets[t].ceil_avg);
	}
#undef T
	if (c.n)
		printf("%scopies >= 1 MiB (memcpy_persist, NT, NODRAIN rows, %d): ours at %.1f%% "
		       "of the NT ceiling (%s loop) on average, worst %.1f%%; PMDK %.1f%%, "
		       "worst %.1f%%\n", t >= 0 ? "  " : "", c.n, c.avg[1], Nt_isa, c.worst[1],
		       c.avg[0], c.worst[0]);
}

/* the geometric mean line, the self-test's noise band, the CSV's last line */
static void print_geomean(const struct report *rep, double secs)
{
	double gm = exp(rep->logsum / rep->nlog);
	printf("geometric mean ours/PMDK speed ratio over %d rows: %.3f  "
	       "(min %.3f, max %.3f; %d row(s) < 0.97 marked '<')\n",
	       rep->nlog, gm, rep->rmin, rep->rmax, rep->nslow);
	if (rep->same_file)
		printf("SELF-TEST noise band: geomean %+.1f%%, rows span %+.1f%% .. "
		       "%+.1f%%\n",
		       (gm - 1) * 100, (rep->rmin - 1) * 100, (rep->rmax - 1) * 100);
	if (rep->out)
		fprintf(rep->out, "# geomean,%.4f,rows,%d,min,%.4f,max,%.4f,slow_rows,%d,"
				  "failed_rows,%d,seconds,%.1f\n",
			gm, rep->nlog, rep->rmin, rep->rmax, rep->nslow, rep->nfail, secs);
}

void report_summary(struct report *rep, const row_t *rows, int nrows, double secs)
{
	if (rep->nlog) {
		print_rule();
		print_slow_rows(rows, nrows);
		print_targets(rows, nrows, exp(rep->logsum / rep->nlog), rep->rmin);
	}
	print_rule();
	if (rep->nlog)
		print_geomean(rep, secs);
	if (rep->nfail)
		printf("%d row(s) FAILED the correctness check (not timed)\n", rep->nfail);
	printf("%.1f s; CSV: %s\n", secs, rep->out ? rep->csv : "(none)");
	if (rep->out)
		fclose(rep->out);
}
