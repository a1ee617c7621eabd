/*
 * pmembench: side-by-side benchmark of two libpmem.so.1 implementations
 * (ours vs the system PMDK) loaded into ONE process.
 *
 * Both libraries are loaded by path into one struct of function pointers
 * each, as two distinct copies (libs.c).  For each row, every participant
 * (PMDK, ours; or the three reference kernels) first has its result checked,
 * then runs batches of N ops in rounds of alternating order; the row reports
 * the median of the paired PMDK_time / ours_time ratios (>1 = ours faster)
 * and the median ns/op of each side (measure.c).  pmembench.h lists the parts.
 *
 * This file: the options, and the order of the steps of a run.
 *
 * Build: bench/run.sh (the .c files of bench/ together, -O2, -ldl -lm; no
 * -march=native: the AVX-512 / AVX2 NT loops use target attributes and run
 * only where the CPU has them)
 */
#include "pmembench.h"

#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int Quick;
int Debug;
int Flip;
int Rounds;
double Target_ns;

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pmembench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--quick|--full] [--ours PATH] [--pmdk PATH]\n"
		"          [--filter SUBSTR] [--size BYTES] [--aln al|mis] [--rounds N]\n"
		"          [--csv FILE] [--cpu N] [--strategy TEXT] [--class NAME]\n"
		"          [OURS_PATH]\n"
		"       %s --cpu-tag | --probe LIB\n"
		"env: BENCH_OURS BENCH_PMDK BENCH_QUICK=1 BENCH_FILTER BENCH_CSV\n"
		"     BENCH_DIR (default /dev/shm) BENCH_CPU (pin to a cpu)\n",
		argv0, argv0);
}

/* the environment first; the command line overrides it */
static void opts_from_env(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ours = getenv("BENCH_OURS");
	o->pmdk = getenv("BENCH_PMDK");
	o->filter = getenv("BENCH_FILTER");
	o->csv = getenv("BENCH_CSV");
	o->dir = getenv("BENCH_DIR");
	o->cpu = getenv("BENCH_CPU");
	o->only_mis = -1;
	const char *q = getenv("BENCH_QUICK");
	Quick = q && *q && strcmp(q, "0") != 0;
	Debug = getenv("BENCH_DEBUG") != NULL;
	Flip = getenv("BENCH_FLIP") != NULL;
}

/* -1 to go on with the run, else the exit status (--cpu-tag, --probe, usage) */
static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick") || !strcmp(argv[i], "-q"))
			Quick = 1;
		else if (!strcmp(argv[i], "--full"))
			Quick = 0;
		else if (!strcmp(argv[i], "--ours") && i + 1 < argc)
			o->ours = argv[++i];
		else if (!strcmp(argv[i], "--pmdk") && i + 1 < argc)
			o->pmdk = argv[++i];
		else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			o->filter = argv[++i];
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			o->csv = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			o->rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			o->cpu = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			o->only_size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--aln") && i + 1 < argc)
			o->only_mis = !strcmp(argv[++i], "mis");
		else if (!strcmp(argv[i], "--strategy") && i + 1 < argc)
			o->strategy = argv[++i];
		else if (!strcmp(argv[i], "--class") && i + 1 < argc)
			o->cpu_class = argv[++i];
		else if (!strcmp(argv[i], "--cpu-tag")) {
			cpu_identify(&Cpu);
			printf("%s\n", Cpu.tag);
			return 0;
		} else if (!strcmp(argv[i], "--probe") && i + 1 < argc) {
			/* load a library and exit: its load-time log names its strategy */
			return dlopen(argv[++i], RTLD_NOW | RTLD_LOCAL) ? 0 : 1;
		}
		else if (argv[i][0] != '-')
			o->ours = argv[i];
		else {
			usage(argv[0]);
			return 2;
		}
	}
	return -1;
}

static void opts_defaults(struct opts *o)
{
	if (!o->ours)
		o->ours = "build/libpmem.so.1"; /* the Makefile's, from the project root */
	if (!o->pmdk)
		o->pmdk = "/usr/lib/x86_64-linux-gnu/libpmem.so.1.0.0";
	if (!o->dir)
		o->dir = "/dev/shm";
	/* even: (A->map0, B->map1), (B->map0, A->map1) */
	Rounds = o->rounds > 0 ? o->rounds : Quick ? 20 : 48;
	Rounds = (Rounds + 1) / 2 * 2;
	Target_ns = Quick ? 0.5e6 : 2e6;
}

static void pin_cpu(const char *cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(atoi(cpu), &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity");
}

/* measure and print the selected rows in table order; returns the seconds taken */
static double run_rows(row_t *rows, int nrows, const struct opts *o, struct report *rep)
{
	uint64_t tstart = now_ns();
	for (int i = 0; i < nrows; i++) {
		row_t *r = &rows[i];
		if (!row_selected(r, o))
			continue;
		memset(Cursor, 0, sizeof(Cursor));
		measure(r);
		report_row(rep, r);
	}
	return (now_ns() - tstart) / 1e9;
}

int main(int argc, char **argv)
{
	struct opts o;
	opts_from_env(&o);
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	opts_defaults(&o);
	if (o.cpu)
		pin_cpu(o.cpu);

	/* the destination is a pmem_map_file mapping on tmpfs: force it */
	setenv("PMEM_IS_PMEM_FORCE", "1", 0);

	cpu_detect();
	cpu_identify(&Cpu);
	libs_load(o.pmdk, o.ours);

	struct report rep = { .rmin = 1e9, .rmax = 0 };
	rep.same_file = libs_same_file();
	memory_setup(o.dir);
	nt_calibrate(); /* which NT loop is the ceiling, before anything is printed */
	report_header(&rep, &o);

	int nrows;
	row_t *rows = rows_build(&nrows);
	report_open_csv(&rep, o.csv);
	report_table_head();
	double secs = run_rows(rows, nrows, &o, &rep);
	report_summary(&rep, rows, nrows, secs);
	return rep.nfail ? 3 : 0;
}
