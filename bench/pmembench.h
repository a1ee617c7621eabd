/*
 * pmembench.h -- what the parts of pmembench share (internal to bench/).
 *
 *   pmembench.c  options and the order of the steps (main)
 *   libs.c       loading the two libpmem.so.1 copies side by side
 *   kernels.c    CPU features and the kernels of the reference rows
 *   memory.c     sources, destination mappings, random data, cleanup
 *   rows.c       the table of rows and the geometry of each row
 *   ops.c        one timed batch and the correctness check, per kind of row
 *   measure.c    calibration, paired rounds and their statistics
 *   report.c     header, table, CSV, summary and the targets of the CPU class
 */
#ifndef PMEMBENCH_H
#define PMEMBENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>

#include "cpu_id.h"

#define KiB ((size_t)1024)
#define MiB (KiB * 1024)

/* flags from libpmem.h (kept local: we never link against libpmem) */
#define PMEM_FILE_CREATE (1 << 0)
#define PMEM_F_MEM_NODRAIN (1U << 0)
#define PMEM_F_MEM_NONTEMPORAL (1U << 1)
#define PMEM_F_MEM_TEMPORAL (1U << 2)
#define PMEM_F_MEM_WC (1U << 3)
#define PMEM_F_MEM_WB (1U << 4)
#define PMEM_F_MEM_NOFLUSH (1U << 5)

/* ------------------------------------------------------------------ */
/* the library under test: one struct of function pointers per copy   */
/* ------------------------------------------------------------------ */
typedef struct lib {
	const char *label; /* "PMDK" / "ours" */
	char path[4096];
	void *handle;
	int via_dlmopen;
	Lmid_t lmid;
	uintptr_t base;
	char realname[4096];

	void *(*map_file)(const char *, size_t, int, mode_t, size_t *, int *);
	int (*unmap)(void *, size_t);
	int (*is_pmem)(const void *, size_t);
	void (*persist)(const void *, size_t);
	int (*msync)(const void *, size_t);
	int (*has_auto_flush)(void);
	void (*flush)(const void *, size_t);
	void (*deep_flush)(const void *, size_t);
	int (*deep_drain)(const void *, size_t);
	int (*deep_persist)(const void *, size_t);
	void (*drain)(void);
	int (*has_hw_drain)(void);
	void *(*memmove_persist)(void *, const void *, size_t);
	void *(*memcpy_persist)(void *, const void *, size_t);
	void *(*memset_persist)(void *, int, size_t);
	void *(*memmove_nodrain)(void *, const void *, size_t);
	void *(*memcpy_nodrain)(void *, const void *, size_t);
	void *(*memset_nodrain)(void *, int, size_t);
	void *(*memmove)(void *, const void *, size_t, unsigned);
	void *(*memcpy)(void *, const void *, size_t, unsigned);
	void *(*memset)(void *, int, size_t, unsigned);
	const char *(*check_version)(unsigned, unsigned);
	const char *(*errormsg)(void);

	/* per-library destination: a pmem_map_file mapping on /dev/shm */
	char *pool;
	size_t pool_len;
	int pool_is_pmem;
	char pool_path[256];
	char open_path[256];   /* pre-created 64 MiB file for the open row */
	char create_path[256]; /* scratch name for the create rows */
} lib_t;

extern lib_t Lib[2]; /* 0 = PMDK (reference), 1 = ours */

/* ------------------------------------------------------------------ */
/* rows                                                                */
/* ------------------------------------------------------------------ */
enum kind {
	K_MEMCPY_PERSIST,
	K_MEMMOVE_FWD, /* dst < src, overlapping: copy may run forward */
	K_MEMMOVE_BWD, /* dst > src, overlapping: copy must run backward */
	K_MEMSET_PERSIST,
	K_MEMCPY_FLAGS,	 /* pmem_memcpy(flags); NODRAIN adds 1 drain/batch */
	K_PERSIST,	 /* pmem_persist of dirty ranges */
	K_FLUSH,	 /* pmem_flush of dirty ranges */
	K_MSYNC,	 /* pmem_msync of dirty ranges */
	K_MAP_CREATE,	 /* pmem_map_file(CREATE, len) + pmem_unmap */
	K_MAP_OPEN,	 /* pmem_map_file(existing) + pmem_unmap */
	K_IS_PMEM,	 /* pmem_is_pmem(range) */
	K_REF_COPY,	 /* glibc memcpy / memcpy+clwb+sfence / each NT loop */
};

/* The reference participants of the "reference copies" rows (2..): glibc memcpy,
 * memcpy+clwb+sfence, then one plain NT-store loop per width the CPU runs. */
#define NT_MAX 3
#define NREF_MAX (2 + NT_MAX)
/* participant index of the ceiling interleaved into library rows (an index for its
 * cursor and source; no reference row runs in the same row) */
#define CEIL_P (2 + 2)

typedef struct row {
	char name[48];
	enum kind kind;
	size_t size;
	int mis; /* misaligned dst/src */
	unsigned flags;
	/* geometry */
	size_t stride, nslots, doff, soff, shift, window;
	size_t base; /* random page-aligned start in the pools, per row */
	int max_batch;
	/* results */
	int nparts;
	double med_ns[NREF_MAX];
	double ratio, r25, r75;
	double pct_ceil[2];
	int with_ceil;	 /* NT ceiling interleaved as a 3rd participant */
	double ceil_ns;
	size_t batch;
	int rounds;
	const char *status;
	char why[160];
} row_t;

static inline int is_dirty_kind(enum kind k)
{
	return k == K_PERSIST || k == K_FLUSH || k == K_MSYNC;
}
static inline int is_copy_kind(enum kind k)
{
	return k == K_MEMCPY_PERSIST || k == K_MEMCPY_FLAGS || k == K_REF_COPY;
}
static inline int moves_data(enum kind k)
{
	return k <= K_MEMCPY_FLAGS || k == K_REF_COPY;
}

/* ------------------------------------------------------------------ */
/* the run: options, settings, report state                            */
/* ------------------------------------------------------------------ */
struct opts {
	const char *ours, *pmdk, *filter, *csv, *dir, *cpu;
	int rounds;	      /* --rounds, 0 = the mode's default */
	size_t only_size;     /* --size: one size class (bytes), 0 = all */
	int only_mis;	      /* --aln al|mis: one alignment, -1 = both */
	const char *strategy; /* --strategy: ours' dispatch line, for the header */
	const char *cpu_class; /* --class: the class ours detects here, NULL = unknown */
};

struct report {
	time_t now;
	char stamp[64];
	char model[512];
	int same_file; /* both slots hold the same bytes: a self-test */
	const char *csv;
	char csvbuf[512];
	FILE *out; /* the CSV, NULL when it cannot be written */
	double logsum, rmin, rmax;
	int nlog, nfail, nslow;
};

extern int Quick, Debug, Flip, Rounds;
extern double Target_ns;

/* ------------------------------------------------------------------ */
/* CPU, kernels, memory, cursors                                       */
/* ------------------------------------------------------------------ */
extern int Has_clwb, Has_clflushopt, Has_avx512f, Has_avx2;
extern struct cpu_id Cpu;
/* a plain non-temporal store copy loop of one width, and its calibration */
struct nt_loop {
	const char *isa;  /* "avx512", "avx2", "sse2" */
	void (*copy)(char *, const char *, size_t);
	char label[24];   /* "NT loop avx2": the table's reference row */
	char key[24];     /* "ref_nt_avx2": the CSV's */
	double gbps[2];   /* long copies: aligned, misaligned */
	double score;     /* both: bytes / (aligned + misaligned time) */
};
extern struct nt_loop Nt_loop[NT_MAX]; /* the widths this CPU runs, widest first */
extern int Nt_nloops, Nt_best;	       /* how many; the fastest, the ceiling */
extern int Nref;		       /* reference participants: 2 + Nt_nloops */
extern const char *Nt_isa;	       /* the ceiling's width */
extern void (*nt_copy)(char *, const char *, size_t); /* the ceiling */
extern size_t Nt_cal_window;	       /* calibration: the window its copies cover */
extern int Nt_cal_copies;	       /* and how many copies a figure is the median of, at least */
extern double Call_ns;
/* the class ours detects on this CPU ("unknown" without --class), and the class whose
 * strategy it follows, from its log line (PMEM_CPU_CLASS may differ) */
extern char Cpu_class[32], Strategy_class[32];

extern char *SrcP[2 + NREF_MAX]; /* one source per participant, random */
extern size_t Region;	     /* size of Src and of each pool */
extern size_t Llc;
extern char *Scratch;	     /* oracle buffer for overlap checks */
extern char *RefPool[NREF_MAX - 2]; /* more mappings, for the reference kernels */
extern volatile unsigned long Sink; /* results the compiler must not drop */
extern size_t Cursor[2 + NREF_MAX]; /* next slot of each participant */
extern int Pool_sel;		    /* this round's mapping swap (ops.c) */
extern uint64_t Rng;		    /* fixed seed: the same data every run */

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define BARRIER() __asm__ volatile("" ::: "memory")

static inline void sfence(void)
{
	__asm__ volatile("sfence" ::: "memory");
}

static inline uint64_t rnd(void)
{
	Rng ^= Rng << 13;
	Rng ^= Rng >> 7;
	Rng ^= Rng << 17;
	return Rng;
}

static inline size_t round_up(size_t x, size_t a)
{
	return (x + a - 1) / a * a;
}

/* pmembench.c */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* libs.c */
void libs_load(const char *pmdk_path, const char *ours_path);
int libs_same_file(void);

/* kernels.c */
void cpu_detect(void);
void nt_calibrate(void);
void ref_memcpy_clwb(char *d, const char *s, size_t n);
const char *ref_name(int k);
const char *ref_key(int k);
void ref_copy(int k, char *d, const char *s, size_t n);
double call_overhead_ns(void);

/* memory.c */
void fill_random(void *p, size_t n);
void memory_setup(const char *dir);

/* rows.c */
row_t *rows_build(int *nrows);
int row_selected(const row_t *r, const struct opts *o);
void row_geometry(row_t *r);

/* ops.c */
double run_batch(int p, row_t *r, size_t n);
void own_state_pass(int p, row_t *r, size_t n);
int check_part(int p, row_t *r);

/* measure.c */
double quantile(const double *v, int n, double q);
void measure(row_t *r);

/* report.c */
void report_header(struct report *rep, const struct opts *o);
void report_open_csv(struct report *rep, const char *csv);
void report_table_head(void);
void report_row(struct report *rep, row_t *r);
void report_summary(struct report *rep, const row_t *rows, int nrows, double secs);

#endif
