/*
 * pmembench: side-by-side benchmark of two libpmem.so.1 implementations
 * (ours vs the system PMDK) loaded into ONE process.
 *
 * Both libraries carry SONAME libpmem.so.1.  They are loaded by path with
 * dlopen(RTLD_LOCAL); if the loader hands back the same object (same file,
 * e.g. PMDK in both slots for a self-test), the second slot is loaded with
 * dlmopen(LM_ID_NEWLM) so that two distinct copies really exist.  Every
 * function is resolved with dlvsym(..., "LIBPMEM_1.0") (dlsym fallback) into
 * one struct of function pointers per library, and the distinctness is
 * checked through dladdr() and the link maps (RTLD_DI_LINKMAP / RTLD_DI_LMID).
 *
 * Method: for each row, every participant (PMDK, ours; or the three
 * reference kernels) runs batches of N ops; rounds alternate the order
 * (A,B then B,A ...) so that drift hits both equally.  Per round the speed
 * ratio PMDK_time / ours_time is taken (>1 = ours faster); the row reports
 * the median of those paired ratios and the median ns/op of each side.
 * Each row checks the bytes produced by both libraries before timing.
 *
 * Build: cc -O2 -o pmembench pmembench.c -ldl   (no -march=native: the
 * AVX-512 / AVX2 ceiling kernels use target attributes + runtime dispatch)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>
#include <immintrin.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include "cpu_class.h"

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

static struct {
	const char *name;
	size_t off;
} Syms[] = {
#define S(n) { "pmem_" #n, offsetof(lib_t, n) }
	S(map_file), S(unmap), S(is_pmem), S(persist), S(msync),
	S(has_auto_flush), S(flush), S(deep_flush), S(deep_drain),
	S(deep_persist), S(drain), S(has_hw_drain), S(memmove_persist),
	S(memcpy_persist), S(memset_persist), S(memmove_nodrain),
	S(memcpy_nodrain), S(memset_nodrain), S(memmove), S(memcpy),
	S(memset), S(check_version), S(errormsg),
#undef S
};
#define NSYMS (sizeof(Syms) / sizeof(Syms[0]))

static lib_t Lib[2]; /* 0 = PMDK (reference), 1 = ours */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pmembench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void lib_resolve(lib_t *l)
{
	int missing = 0;
	for (size_t i = 0; i < NSYMS; i++) {
		void *f = dlvsym(l->handle, Syms[i].name, "LIBPMEM_1.0");
		if (!f)
			f = dlsym(l->handle, Syms[i].name);
		if (!f) {
			fprintf(stderr, "pmembench: %s (%s): missing symbol %s\n",
				l->label, l->path, Syms[i].name);
			missing++;
		}
		*(void **)((char *)l + Syms[i].off) = f;
	}
	if (missing)
		die("%s: %d symbol(s) missing", l->label, missing);
}

static void lib_linkmap(lib_t *l)
{
	struct link_map *lm = NULL;
	if (dlinfo(l->handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
		die("dlinfo(RTLD_DI_LINKMAP) failed: %s", dlerror());
	l->base = (uintptr_t)lm->l_addr;
	snprintf(l->realname, sizeof(l->realname), "%s", lm->l_name);
	if (dlinfo(l->handle, RTLD_DI_LMID, &l->lmid) != 0)
		l->lmid = -1;
}

static void *lib_open_plain(const char *path)
{
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static void libs_load(const char *pmdk_path, const char *ours_path)
{
	Lib[0].label = "PMDK";
	Lib[1].label = "ours";
	snprintf(Lib[0].path, sizeof(Lib[0].path), "%s", pmdk_path);
	snprintf(Lib[1].path, sizeof(Lib[1].path), "%s", ours_path);

	for (int i = 0; i < 2; i++)
		if (access(Lib[i].path, R_OK) != 0)
			die("%s library %s: %s", Lib[i].label, Lib[i].path,
			    strerror(errno));

	Lib[0].handle = lib_open_plain(Lib[0].path);
	if (!Lib[0].handle)
		die("dlopen %s: %s", Lib[0].path, dlerror());
	lib_linkmap(&Lib[0]);

	Lib[1].handle = lib_open_plain(Lib[1].path);
	if (!Lib[1].handle)
		die("dlopen %s: %s", Lib[1].path, dlerror());
	lib_linkmap(&Lib[1]);

	if (Lib[1].handle == Lib[0].handle || Lib[1].base == Lib[0].base) {
		/* the loader de-duplicated (same file): new namespace */
		dlclose(Lib[1].handle);
		Lib[1].handle = dlmopen(LM_ID_NEWLM, Lib[1].path,
					RTLD_NOW | RTLD_LOCAL);
		if (!Lib[1].handle)
			die("dlmopen %s: %s", Lib[1].path, dlerror());
		Lib[1].via_dlmopen = 1;
		lib_linkmap(&Lib[1]);
	}

	lib_resolve(&Lib[0]);
	lib_resolve(&Lib[1]);

	/* verify: two distinct copies, each symbol inside its own object */
	if (Lib[0].base == Lib[1].base)
		die("both slots resolve to the same object (base %#lx)",
		    (unsigned long)Lib[0].base);
	for (size_t i = 0; i < NSYMS; i++) {
		void *f0 = *(void **)((char *)&Lib[0] + Syms[i].off);
		void *f1 = *(void **)((char *)&Lib[1] + Syms[i].off);
		Dl_info d0, d1;
		if (f0 == f1)
			die("%s resolves to the same address in both slots",
			    Syms[i].name);
		if (!dladdr(f0, &d0) || !dladdr(f1, &d1))
			die("dladdr(%s) failed", Syms[i].name);
		if (d0.dli_fbase == d1.dli_fbase)
			die("dladdr: %s of both slots lies in the same object",
			    Syms[i].name);
	}
}

/* ------------------------------------------------------------------ */
/* CPU features, reference kernels (glibc memcpy, memcpy+clwb, NT)     */
/* ------------------------------------------------------------------ */
static int Has_clwb, Has_clflushopt, Has_avx512f, Has_avx2;
static struct cpu_id Cpu;
/* the class whose strategy ours follows, from its log line (PMEM_CPU_CLASS may differ) */
static char Strategy_class[32];
static const char *Nt_isa = "sse2";

static void cpu_detect(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		Has_clwb = (b >> 24) & 1;
		Has_clflushopt = (b >> 23) & 1;
	}
	__builtin_cpu_init();
	Has_avx512f = !!__builtin_cpu_supports("avx512f");
	Has_avx2 = !!__builtin_cpu_supports("avx2");
	Nt_isa = Has_avx512f ? "avx512" : Has_avx2 ? "avx2" : "sse2";
}

static inline void clwb_line(const void *p)
{
	if (Has_clwb)
		__asm__ volatile("clwb %0" : "+m"(*(volatile char *)p));
	else if (Has_clflushopt)
		__asm__ volatile("clflushopt %0" : "+m"(*(volatile char *)p));
	else
		__asm__ volatile("clflush %0" : "+m"(*(volatile char *)p));
}

static inline void sfence(void)
{
	__asm__ volatile("sfence" ::: "memory");
}

static void flush_range(const void *addr, size_t len)
{
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)63;
	uintptr_t e = (uintptr_t)addr + len;
	for (; p < e; p += 64)
		clwb_line((const void *)p);
}

/* what a user writes by hand: memcpy, clwb every line, sfence */
static void ref_memcpy_clwb(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	flush_range(d, n);
	sfence();
}

/* head/tail of the NT kernels: 8-byte movnti where the destination is
 * 8-byte aligned, plain stores + clwb for the odd bytes */
static inline void small_flushed(char *d, const char *s, size_t n)
{
	size_t h = (8 - ((uintptr_t)d & 7)) & 7;
	if (h > n)
		h = n;
	if (h) {
		memcpy(d, s, h);
		flush_range(d, h);
		d += h, s += h, n -= h;
	}
	for (; n >= 8; n -= 8, d += 8, s += 8) {
		long long v;
		memcpy(&v, s, 8);
		_mm_stream_si64((long long *)d, v);
	}
	if (n) {
		memcpy(d, s, n);
		flush_range(d, n);
	}
}

__attribute__((target("avx512f"))) static void
nt_copy_avx512(char *d, const char *s, size_t n)
{
	size_t head = (64 - ((uintptr_t)d & 63)) & 63;
	if (head > n)
		head = n;
	if (head) {
		small_flushed(d, s, head);
		d += head, s += head, n -= head;
	}
	for (; n >= 256; n -= 256, d += 256, s += 256) {
		__m512i a = _mm512_loadu_si512((const void *)(s + 0));
		__m512i b = _mm512_loadu_si512((const void *)(s + 64));
		__m512i c = _mm512_loadu_si512((const void *)(s + 128));
		__m512i e = _mm512_loadu_si512((const void *)(s + 192));
		_mm512_stream_si512((void *)(d + 0), a);
		_mm512_stream_si512((void *)(d + 64), b);
		_mm512_stream_si512((void *)(d + 128), c);
		_mm512_stream_si512((void *)(d + 192), e);
	}
	for (; n >= 64; n -= 64, d += 64, s += 64)
		_mm512_stream_si512((void *)d,
				    _mm512_loadu_si512((const void *)s));
	if (n)
		small_flushed(d, s, n);
	sfence();
}

__attribute__((target("avx2"))) static void
nt_copy_avx2(char *d, const char *s, size_t n)
{
	size_t head = (64 - ((uintptr_t)d & 63)) & 63;
	if (head > n)
		head = n;
	if (head) {
		small_flushed(d, s, head);
		d += head, s += head, n -= head;
	}
	for (; n >= 256; n -= 256, d += 256, s += 256) {
		__m256i r0 = _mm256_loadu_si256((const __m256i *)(s + 0));
		__m256i r1 = _mm256_loadu_si256((const __m256i *)(s + 32));
		__m256i r2 = _mm256_loadu_si256((const __m256i *)(s + 64));
		__m256i r3 = _mm256_loadu_si256((const __m256i *)(s + 96));
		__m256i r4 = _mm256_loadu_si256((const __m256i *)(s + 128));
		__m256i r5 = _mm256_loadu_si256((const __m256i *)(s + 160));
		__m256i r6 = _mm256_loadu_si256((const __m256i *)(s + 192));
		__m256i r7 = _mm256_loadu_si256((const __m256i *)(s + 224));
		_mm256_stream_si256((__m256i *)(d + 0), r0);
		_mm256_stream_si256((__m256i *)(d + 32), r1);
		_mm256_stream_si256((__m256i *)(d + 64), r2);
		_mm256_stream_si256((__m256i *)(d + 96), r3);
		_mm256_stream_si256((__m256i *)(d + 128), r4);
		_mm256_stream_si256((__m256i *)(d + 160), r5);
		_mm256_stream_si256((__m256i *)(d + 192), r6);
		_mm256_stream_si256((__m256i *)(d + 224), r7);
	}
	for (; n >= 64; n -= 64, d += 64, s += 64) {
		__m256i r0 = _mm256_loadu_si256((const __m256i *)(s + 0));
		__m256i r1 = _mm256_loadu_si256((const __m256i *)(s + 32));
		_mm256_stream_si256((__m256i *)(d + 0), r0);
		_mm256_stream_si256((__m256i *)(d + 32), r1);
	}
	if (n)
		small_flushed(d, s, n);
	sfence();
}

static void nt_copy_sse2(char *d, const char *s, size_t n)
{
	size_t head = (64 - ((uintptr_t)d & 63)) & 63;
	if (head > n)
		head = n;
	if (head) {
		small_flushed(d, s, head);
		d += head, s += head, n -= head;
	}
	for (; n >= 64; n -= 64, d += 64, s += 64) {
		__m128i r0 = _mm_loadu_si128((const __m128i *)(s + 0));
		__m128i r1 = _mm_loadu_si128((const __m128i *)(s + 16));
		__m128i r2 = _mm_loadu_si128((const __m128i *)(s + 32));
		__m128i r3 = _mm_loadu_si128((const __m128i *)(s + 48));
		_mm_stream_si128((__m128i *)(d + 0), r0);
		_mm_stream_si128((__m128i *)(d + 16), r1);
		_mm_stream_si128((__m128i *)(d + 32), r2);
		_mm_stream_si128((__m128i *)(d + 48), r3);
	}
	if (n)
		small_flushed(d, s, n);
	sfence();
}

static void (*nt_copy)(char *, const char *, size_t);
static double Call_ns;

/* baseline: what an empty exported function costs through this harness */
__attribute__((noinline)) static int empty_fn(const void *a, size_t n)
{
	__asm__ volatile("" ::"r"(a), "r"(n));
	return 1;
}
static double call_overhead_ns(void)
{
	int (*volatile fp)(const void *, size_t) = empty_fn;
	int (*f)(const void *, size_t) = fp;
	double best = 1e9;
	for (int rep = 0; rep < 5; rep++) {
		size_t sum = 0;
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < 200000; i++)
			sum += (size_t)f((const void *)(uintptr_t)i, 4096);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 200000;
		if (ns < best)
			best = ns;
		__asm__ volatile("" ::"r"(sum));
	}
	return best;
}

/* ------------------------------------------------------------------ */
/* misc helpers                                                        */
/* ------------------------------------------------------------------ */
static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define BARRIER() __asm__ volatile("" ::: "memory")

static uint64_t Rng = 0x9E3779B97F4A7C15ull;
static inline uint64_t rnd(void)
{
	Rng ^= Rng << 13;
	Rng ^= Rng >> 7;
	Rng ^= Rng << 17;
	return Rng;
}
static void fill_random(void *p, size_t n)
{
	uint64_t *q = p;
	size_t i;
	for (i = 0; i + 8 <= n; i += 8)
		*q++ = rnd();
	for (; i < n; i++)
		((unsigned char *)p)[i] = (unsigned char)rnd();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}
/* quantile of a (copied, sorted) sample, linear interpolation */
static double quantile(const double *v, int n, double q)
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
	K_REF_COPY,	 /* glibc memcpy / memcpy+clwb+sfence / NT ceiling */
};

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
	double med_ns[3];
	double ratio, r25, r75;
	double pct_ceil[2];
	int with_ceil;	 /* NT ceiling interleaved as a 3rd participant */
	double ceil_ns;
	size_t batch;
	int rounds;
	const char *status;
	char why[160];
} row_t;

#define NREF 3
static const char *Ref_label[NREF] = { "glibc memcpy", "memcpy+clwb+sfence",
				       "NT ceiling" };
static const char *Ref_key[NREF] = { "ref_glibc_memcpy", "ref_memcpy_clwb_sfence",
				     "ref_nt_ceiling" };

static char *SrcP[2 + NREF]; /* one source per participant, random */
static size_t Region;  /* size of Src and of each pool */
static size_t Llc;
static char *Scratch;  /* oracle buffer for overlap checks */
static volatile unsigned long Sink;

static size_t Cursor[2 + NREF];
static int Quick;
static int Debug;
static int Flip;
static int Rounds;
static double Target_ns;

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

static void set_cursors(const row_t *r, int first, int np, size_t rc)
{
	for (int k = 0; k < np; k++) {
		size_t off = 0;
		Cursor[first + k] = (rc + off) % r->nslots;
	}
}

static int is_dirty_kind(enum kind k)
{
	return k == K_PERSIST || k == K_FLUSH || k == K_MSYNC;
}
static int is_copy_kind(enum kind k)
{
	return k == K_MEMCPY_PERSIST || k == K_MEMCPY_FLAGS || k == K_REF_COPY;
}
static int moves_data(enum kind k)
{
	return k <= K_MEMCPY_FLAGS || k == K_REF_COPY;
}

static size_t round_up(size_t x, size_t a)
{
	return (x + a - 1) / a * a;
}

static void row_geometry(row_t *r)
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

/* ------------------------------------------------------------------ */
/* one batch: n ops by participant p (0/1 = lib, 2.. = refs)           */
/* returns the elapsed ns                                              */
/* ------------------------------------------------------------------ */

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
static int Pool_sel;

static int part_idx(int p)
{
	return p < 2 ? (Pool_sel + p) & 1 : (Pool_sel + p - 2) & 1;
}
static char *part_pool(int p)
{
	return p < 2 ? Lib[p].pool : Lib[0].pool;
}
static char *RefPool; /* a third mapping: the 3 reference kernels rotate
			over PMDK's, ours' and this one, never sharing one */

static char *part_pool_at(int p, const row_t *r)
{
	if (p >= 2) {
		int m = (Pool_sel + p - 2) % 3;
		return (m == 2 ? RefPool : Lib[m].pool) + r->base;
	}
	return Lib[part_idx(p)].pool + r->base;
}

static void dirty(char *d, size_t len)
{
	for (size_t i = 0; i < len; i += 64)
		*(volatile uint64_t *)(((uintptr_t)(d + i)) & ~(uintptr_t)7) = i;
	*(volatile char *)(d + len - 1) = 1;
}

#define CEIL_P (2 + 2) /* participant index of the NT-store ceiling */

static double run_batch(int p, row_t *r, size_t n);

/*
 * Small copy rows: before its timed batch, a participant writes (untimed)
 * the slots that batch will write first.  Each side is then timed on lines
 * in the state it leaves them itself, as in a program that uses one library,
 * and not in the state the other library left two batches earlier.  That
 * matters: PMDK's CLWB keeps a line cached, and a non-temporal store into a
 * cached line costs about 1.5x one into an uncached line (and the reverse
 * for ordinary stores).  Large rows rotate over more than the LLC anyway.
 */
static void own_state_pass(int p, row_t *r, size_t n)
{
	if (!moves_data(r->kind) || r->size > 64 * KiB)
		return;
	size_t c = Cursor[p];
	run_batch(p, r, n < r->nslots ? n : r->nslots);
	Cursor[p] = c;
}

static double run_batch(int p, row_t *r, size_t n)
{
	if (p == CEIL_P && r->kind != K_REF_COPY) {
		/* the ceiling, interleaved into a library copy row (>= 1 MiB,
		 * window > LLC): it writes the other half of the window of the
		 * mapping PMDK uses in this round, so its memory rotates like the
		 * libraries' memory and no line is shared */
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
	lib_t *L = p < 2 ? &Lib[p] : NULL;
	char *pool = part_pool_at(p, r);
	const char *Src = SrcP[p < 2 ? part_idx(p) : p] + r->base;
	size_t st = r->stride, ns = r->nslots, sz = r->size;
	size_t half = ns / 2;
	uint64_t t0 = 0, t1 = 0, acc = 0;

	switch (r->kind) {
	case K_MEMCPY_PERSIST: {
		void *(*f)(void *, const void *, size_t) = L->memcpy_persist;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++) {
			size_t s = next_slot(p, r);
			size_t s2 = s + half < ns ? s + half : s + half - ns;
			f(pool + s * st + r->doff, Src + s2 * st + r->soff, sz);
		}
		t1 = now_ns();
		break;
	}
	case K_MEMCPY_FLAGS: {
		void *(*f)(void *, const void *, size_t, unsigned) = L->memcpy;
		unsigned fl = r->flags;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++) {
			size_t s = next_slot(p, r);
			size_t s2 = s + half < ns ? s + half : s + half - ns;
			f(pool + s * st + r->doff, Src + s2 * st + r->soff, sz, fl);
		}
		if (fl & PMEM_F_MEM_NODRAIN)
			L->drain();
		t1 = now_ns();
		break;
	}
	case K_MEMMOVE_FWD:
	case K_MEMMOVE_BWD: {
		void *(*f)(void *, const void *, size_t) = L->memmove_persist;
		size_t dd = r->kind == K_MEMMOVE_FWD ? 0 : r->shift;
		size_t ss = r->kind == K_MEMMOVE_FWD ? r->shift : 0;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++) {
			char *b = pool + next_slot(p, r) * st;
			f(b + dd + r->doff, b + ss + r->soff, sz);
		}
		t1 = now_ns();
		break;
	}
	case K_MEMSET_PERSIST: {
		void *(*f)(void *, int, size_t) = L->memset_persist;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			f(pool + next_slot(p, r) * st + r->doff, (int)(i & 0xff), sz);
		t1 = now_ns();
		break;
	}
	case K_PERSIST:
	case K_FLUSH:
	case K_MSYNC: {
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
		break;
	}
	case K_MAP_CREATE:
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
	case K_MAP_OPEN:
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
	case K_IS_PMEM: {
		int (*f)(const void *, size_t) = L->is_pmem;
		size_t sum = 0;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			sum += (size_t)f(pool + next_slot(p, r) * st, sz);
		t1 = now_ns();
		Sink += sum;
		break;
	}
	case K_REF_COPY: {
		int k = p - 2;
		t0 = now_ns();
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
				nt_copy(d, sr, sz);
			BARRIER();
		}
		t1 = now_ns();
		break;
	}
	}
	sfence(); /* untimed: leave nothing in flight for the next side */
	return (double)(t1 - t0);
}

/* ------------------------------------------------------------------ */
/* correctness check of one participant on one row (before timing)     */
/* ------------------------------------------------------------------ */
#define GUARD 64
static int check_part(int p, row_t *r)
{
	lib_t *L = p < 2 ? &Lib[p] : NULL;
	char *pool = part_pool(p);
	size_t sz = r->size;
	/* check in slot 0 (pool offset 0 is 4 KiB aligned; guards fit in
	 * the stride padding after, and before we use the slot's own pad) */
	char *base = pool + 4096;
	char *d = base + r->doff;

	switch (r->kind) {
	case K_MEMCPY_PERSIST:
	case K_MEMCPY_FLAGS:
	case K_REF_COPY: {
		const char *s = SrcP[p] + 8192 + r->soff;
		memset(d - GUARD, 0x5a, sz + 2 * GUARD);
		if (r->kind == K_MEMCPY_PERSIST)
			L->memcpy_persist(d, s, sz);
		else if (r->kind == K_MEMCPY_FLAGS) {
			L->memcpy(d, s, sz, r->flags);
			L->drain();
		} else if (p == 2)
			memcpy(d, s, sz);
		else if (p == 3)
			ref_memcpy_clwb(d, s, sz);
		else
			nt_copy(d, s, sz);
		if (memcmp(d, s, sz) != 0) {
			snprintf(r->why, sizeof(r->why), "copied bytes differ");
			return -1;
		}
		for (size_t i = 0; i < GUARD; i++)
			if ((unsigned char)d[-1 - (long)i] != 0x5a ||
			    (unsigned char)d[sz + i] != 0x5a) {
				snprintf(r->why, sizeof(r->why), "guard bytes clobbered");
				return -1;
			}
		return 0;
	}
	case K_MEMMOVE_FWD:
	case K_MEMMOVE_BWD: {
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
	case K_MEMSET_PERSIST:
		memset(d - GUARD, 0x5a, sz + 2 * GUARD);
		L->memset_persist(d, 0xc3, sz);
		for (size_t i = 0; i < sz; i++)
			if ((unsigned char)d[i] != 0xc3) {
				snprintf(r->why, sizeof(r->why), "byte %zu not set", i);
				return -1;
			}
		for (size_t i = 0; i < GUARD; i++)
			if ((unsigned char)d[-1 - (long)i] != 0x5a ||
			    (unsigned char)d[sz + i] != 0x5a) {
				snprintf(r->why, sizeof(r->why), "guard bytes clobbered");
				return -1;
			}
		return 0;
	case K_PERSIST:
	case K_FLUSH:
	case K_MSYNC: {
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
	case K_MAP_CREATE: {
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
	case K_MAP_OPEN: {
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
	case K_IS_PMEM: {
		int v = L->is_pmem(d, sz);
		if (v != 1) {
			snprintf(r->why, sizeof(r->why),
				 "pmem_is_pmem = %d with PMEM_IS_PMEM_FORCE=1", v);
			return -1;
		}
		return 0;
	}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* measurement of one row                                              */
/* ------------------------------------------------------------------ */
static void measure(row_t *r)
{
	int np = r->nparts;
	int first = r->kind == K_REF_COPY ? 2 : 0;
	r->status = "ok";
	r->why[0] = 0;
	row_geometry(r);

	for (int k = 0; k < np; k++) {
		if (check_part(first + k, r) != 0) {
			char tmp[160];
			snprintf(tmp, sizeof(tmp), "%s: %s",
				 first ? Ref_label[k] : Lib[k].label, r->why);
			snprintf(r->why, sizeof(r->why), "%s", tmp);
			r->status = "CHECK-FAILED";
			return;
		}
	}

	/* calibrate batch size on the first participant */
	size_t n = 1;
	double t = 0;
	Pool_sel = 0;
	for (;;) {
		t = run_batch(first, r, n);
		if (t >= Target_ns / 4 || (int)n >= r->max_batch)
			break;
		n *= 2;
		if ((int)n > r->max_batch)
			n = (size_t)r->max_batch;
	}
	if (t < Target_ns && (int)n < r->max_batch) {
		double per = t / n;
		size_t want = (size_t)(Target_ns / (per > 0.5 ? per : 0.5));
		n = want < 1 ? 1 : want;
		if ((int)n > r->max_batch)
			n = (size_t)r->max_batch;
	}
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
	double per[3][R];
	double ratio[R / 2];
	if (r->with_ceil) {
		Cursor[CEIL_P] = (Cursor[first] + r->nslots / 2) % r->nslots;
		run_batch(CEIL_P, r, n);
	}
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
	if (Debug) {
		fprintf(stderr, "# %s %zu mis=%d n=%zu:", r->name, r->size, r->mis, n);
		for (int i = 0; i < R; i++)
			fprintf(stderr, " %.0f/%.0f", per[0][i], per[1][i]);
		fprintf(stderr, "\n");
	}
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

/* ------------------------------------------------------------------ */
/* setup / teardown                                                    */
/* ------------------------------------------------------------------ */
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

/* ------------------------------------------------------------------ */
/* output                                                              */
/* ------------------------------------------------------------------ */
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

/* The targets of this CPU class (none for a class without measurements), and how close
 * the long copies come to the NT ceiling. */
static void print_targets(const row_t *rows, int nrows, double gm, double rmin)
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

int main(int argc, char **argv)
{
	const char *ours = getenv("BENCH_OURS");
	const char *pmdk = getenv("BENCH_PMDK");
	const char *filter = getenv("BENCH_FILTER");
	const char *csv = getenv("BENCH_CSV");
	const char *dir = getenv("BENCH_DIR");
	const char *q = getenv("BENCH_QUICK");
	const char *cpu = getenv("BENCH_CPU");
	int rounds_opt = 0;
	size_t only_size = 0; /* --size: one size class (bytes), 0 = all */
	int only_mis = -1;    /* --aln al|mis: one alignment, -1 = both */
	const char *strategy = NULL; /* --strategy: ours' dispatch line, for the header */
	Quick = q && *q && strcmp(q, "0") != 0;
	Debug = getenv("BENCH_DEBUG") != NULL;
	Flip = getenv("BENCH_FLIP") != NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick") || !strcmp(argv[i], "-q"))
			Quick = 1;
		else if (!strcmp(argv[i], "--full"))
			Quick = 0;
		else if (!strcmp(argv[i], "--ours") && i + 1 < argc)
			ours = argv[++i];
		else if (!strcmp(argv[i], "--pmdk") && i + 1 < argc)
			pmdk = argv[++i];
		else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			filter = argv[++i];
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds_opt = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			only_size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--aln") && i + 1 < argc)
			only_mis = !strcmp(argv[++i], "mis");
		else if (!strcmp(argv[i], "--strategy") && i + 1 < argc)
			strategy = argv[++i];
		else if (!strcmp(argv[i], "--cpu-tag")) {
			cpu_identify(&Cpu);
			printf("%s\n", Cpu.tag);
			return 0;
		} else if (!strcmp(argv[i], "--probe") && i + 1 < argc) {
			/* load a library and exit: its load-time log names its strategy */
			return dlopen(argv[++i], RTLD_NOW | RTLD_LOCAL) ? 0 : 1;
		}
		else if (argv[i][0] != '-')
			ours = argv[i];
		else {
			fprintf(stderr,
				"usage: %s [--quick|--full] [--ours PATH] [--pmdk PATH]\n"
				"          [--filter SUBSTR] [--size BYTES] [--aln al|mis] [--rounds N]\n"
				"          [--csv FILE] [--cpu N] [--strategy TEXT] [OURS_PATH]\n"
				"       %s --cpu-tag | --probe LIB\n"
				"env: BENCH_OURS BENCH_PMDK BENCH_QUICK=1 BENCH_FILTER BENCH_CSV\n"
				"     BENCH_DIR (default /dev/shm) BENCH_CPU (pin to a cpu)\n",
				argv[0], argv[0]);
			return 2;
		}
	}
	if (!ours)
		ours = "/work/main/build/libpmem.so.1";
	if (!pmdk)
		pmdk = "/usr/lib/x86_64-linux-gnu/libpmem.so.1.0.0";
	if (!dir)
		dir = "/dev/shm";
	/* even: (A->map0, B->map1), (B->map0, A->map1) */
	Rounds = rounds_opt > 0 ? rounds_opt : Quick ? 20 : 48;
	Rounds = (Rounds + 1) / 2 * 2;
	Target_ns = Quick ? 0.5e6 : 2e6;

	if (cpu) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(atoi(cpu), &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			perror("sched_setaffinity");
	}

	/* the destination is a pmem_map_file mapping on tmpfs: force it */
	setenv("PMEM_IS_PMEM_FORCE", "1", 0);

	cpu_detect();
	cpu_identify(&Cpu);
	nt_copy = Has_avx512f ? nt_copy_avx512 : Has_avx2 ? nt_copy_avx2 : nt_copy_sse2;
	libs_load(pmdk, ours);

	char rp0[4096], rp1[4096];
	int same_file = realpath(Lib[0].path, rp0) && realpath(Lib[1].path, rp1) &&
			strcmp(rp0, rp1) == 0;
	if (!same_file) {
		struct stat s0, s1;
		FILE *f0 = fopen(Lib[0].path, "rb"), *f1 = fopen(Lib[1].path, "rb");
		if (f0 && f1 && !stat(Lib[0].path, &s0) && !stat(Lib[1].path, &s1) &&
		    s0.st_size == s1.st_size) {
			int c0, c1;
			do {
				c0 = fgetc(f0);
				c1 = fgetc(f1);
			} while (c0 == c1 && c0 != EOF);
			same_file = c0 == c1;
		}
		if (f0)
			fclose(f0);
		if (f1)
			fclose(f1);
	}

	Llc = llc_size();
	Region = 4 * Llc;
	if (Region < 2 * (64 * MiB + 8192))
		Region = 2 * (64 * MiB + 8192);
	Region = round_up(Region, 2 * MiB);

	for (int k = 0; k < 2 + NREF; k++) {
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

	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pools_create(dir);
	{
		char path[300];
		snprintf(path, sizeof(path), "%s/pmembench-%d-ref.pool", dir,
			 (int)getpid());
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			die("%s: %s", path, strerror(errno));
		unlink(path);
		if (posix_fallocate(fd, 0, (off_t)Region) != 0)
			die("posix_fallocate %s failed", path);
		RefPool = mmap(NULL, Region, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (RefPool == MAP_FAILED)
			die("mmap %s: %s", path, strerror(errno));
		for (size_t o = 0; o < Region; o += 4096)
			RefPool[o] = 0;
	}

	/* ---- header ---- */
	char model[512] = "?";
	FILE *ci = fopen("/proc/cpuinfo", "r");
	if (ci) {
		char line[512];
		while (fgets(line, sizeof(line), ci))
			if (!strncmp(line, "model name", 10)) {
				char *c = strchr(line, ':');
				snprintf(model, sizeof(model), "%s", c ? c + 2 : line);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(ci);
	}
	struct utsname un;
	uname(&un);
	time_t now = time(NULL);
	char stamp[64];
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	printf("pmembench  %s  mode=%s rounds=%d sample~%.1fms\n", stamp,
	       Quick ? "quick" : "full", Rounds, Target_ns / 1e6);
	printf("cpu: %s (%s family %#x model %#x: %s, class %s), %ld online cpus, LLC %zu MiB; "
	       "clwb=%d clflushopt=%d avx2=%d avx512f=%d; kernel %s\n",
	       model, Cpu.vendor, Cpu.family, Cpu.model, Cpu.tag, Cpu.class,
	       sysconf(_SC_NPROCESSORS_ONLN), Llc / MiB, Has_clwb, Has_clflushopt, Has_avx2,
	       Has_avx512f, un.release);
	if (strategy && *strategy)
		printf("ours' strategy: %s\n", strategy);
	snprintf(Strategy_class, sizeof(Strategy_class), "%s", Cpu.class);
	if (strategy && !strncmp(strategy, "cpu class: ", 11))
		snprintf(Strategy_class, sizeof(Strategy_class), "%.*s",
			 (int)strcspn(strategy + 11, ","), strategy + 11);
	for (int i = 0; i < 2; i++)
		printf("%-4s: %s\n      loaded %s base %#lx namespace %ld%s\n",
		       Lib[i].label, Lib[i].path, Lib[i].realname,
		       (unsigned long)Lib[i].base, (long)Lib[i].lmid,
		       Lib[i].via_dlmopen ? " (dlmopen LM_ID_NEWLM)" : " (dlopen)");
	{
		Dl_info a, b;
		dladdr((void *)Lib[0].memcpy_persist, &a);
		dladdr((void *)Lib[1].memcpy_persist, &b);
		printf("distinct copies: pmem_memcpy_persist PMDK=%p (%s) ours=%p (%s)\n",
		       (void *)Lib[0].memcpy_persist, a.dli_fname,
		       (void *)Lib[1].memcpy_persist, b.dli_fname);
	}
	printf("destination: pmem_map_file on %s, %zu MiB per library, is_pmem=%d/%d "
	       "(PMEM_IS_PMEM_FORCE=%s); large sizes rotate over up to %zu MiB "
	       "(> LLC)\n",
	       dir, Region / MiB, Lib[0].pool_is_pmem, Lib[1].pool_is_pmem,
	       getenv("PMEM_IS_PMEM_FORCE"), Region / MiB);
	printf("has_auto_flush PMDK=%d ours=%d  has_hw_drain PMDK=%d ours=%d; "
	       "NT ceiling kernel: %s; harness cost of an empty call: %.1f ns\n",
	       Lib[0].has_auto_flush(), Lib[1].has_auto_flush(),
	       Lib[0].has_hw_drain(), Lib[1].has_hw_drain(), Nt_isa,
	       (Call_ns = call_overhead_ns()));
	extern char **environ;
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "PMEM_", 5))
			printf("env: %s\n", *e);
	if (same_file)
		printf("*** SELF-TEST: both slots hold the same library file; the ratios "
		       "measure the noise band ***\n");
	printf("ratio = speed ratio ours/PMDK (>1 = ours faster): median over %d "
	       "pairs of rounds [PMDK->map0, ours->map1], [ours->map0, PMDK->map1]\n"
	       "of sum(PMDK ns)/sum(ours ns); [p25-p75] of those pair ratios; "
	       "ns and GB/s columns: median over %d rounds\n\n",
	       Rounds / 2, Rounds);
	fflush(stdout);

	/* ---- rows ---- */
	static const size_t copy_sizes[] = { 8, 64, 256, 4 * KiB, 64 * KiB,
					     1 * MiB, 16 * MiB, 64 * MiB };
	const int ncs = sizeof(copy_sizes) / sizeof(copy_sizes[0]);
	static const unsigned cflags[] = {
		PMEM_F_MEM_NONTEMPORAL, PMEM_F_MEM_TEMPORAL, PMEM_F_MEM_NODRAIN,
		PMEM_F_MEM_NOFLUSH
	};
	static const char *cflag_names[] = { "memcpy NONTEMPORAL", "memcpy TEMPORAL",
					     "memcpy NODRAIN+drain",
					     "memcpy NOFLUSH" };
	static const size_t msync_sizes[] = { 64, 4 * KiB, 64 * KiB, 1 * MiB };

	int maxrows = 256, nrows = 0;
	row_t *rows = calloc(maxrows, sizeof(row_t));
#define ADD(nm, k, sz, m, fl)                                                  \
	do {                                                                   \
		row_t *r_ = &rows[nrows++];                                    \
		snprintf(r_->name, sizeof(r_->name), "%s", nm);                \
		r_->kind = k;                                                  \
		r_->size = sz;                                                 \
		r_->mis = m;                                                   \
		r_->flags = fl;                                                \
		r_->nparts = k == K_REF_COPY ? NREF : 2;                       \
		r_->with_ceil = is_copy_kind(k) && k != K_REF_COPY &&          \
				sz >= MiB;                                     \
	} while (0)

	for (int i = 0; i < ncs; i++)
		ADD("reference copies", K_REF_COPY, copy_sizes[i], 0, 0);
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < ncs; i++)
			ADD("memcpy_persist", K_MEMCPY_PERSIST, copy_sizes[i], m, 0);
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < ncs; i++) {
			ADD("memmove_persist ovl-fwd", K_MEMMOVE_FWD, copy_sizes[i], m, 0);
			ADD("memmove_persist ovl-bwd", K_MEMMOVE_BWD, copy_sizes[i], m, 0);
		}
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < ncs; i++)
			ADD("memset_persist", K_MEMSET_PERSIST, copy_sizes[i], m, 0);
	for (int f = 0; f < 4; f++)
		for (int m = 0; m < 2; m++)
			for (int i = 0; i < ncs; i++)
				ADD(cflag_names[f], K_MEMCPY_FLAGS, copy_sizes[i], m,
				    cflags[f]);
	for (int i = 0; i < ncs; i++)
		ADD("persist dirty", K_PERSIST, copy_sizes[i], 0, 0);
	for (int i = 0; i < ncs; i++)
		ADD("flush dirty", K_FLUSH, copy_sizes[i], 0, 0);
	for (int i = 0; i < 4; i++)
		ADD("msync dirty", K_MSYNC, msync_sizes[i], 0, 0);
	ADD("map_file create+unmap", K_MAP_CREATE, 2 * MiB, 0, 0);
	ADD("map_file create+unmap", K_MAP_CREATE, 64 * MiB, 0, 0);
	ADD("map_file open+unmap", K_MAP_OPEN, 64 * MiB, 0, 0);
	ADD("is_pmem", K_IS_PMEM, 4 * KiB, 0, 0);
	ADD("is_pmem", K_IS_PMEM, 64 * MiB, 0, 0);
#undef ADD

	/* CSV */
	char csvbuf[512];
	if (!csv) {
		char ts[32];
		strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", gmtime(&now));
		snprintf(csvbuf, sizeof(csvbuf), "bench/results/pmembench-%s-%s.csv",
			 ts, Quick ? "quick" : "full");
		csv = csvbuf;
	}
	FILE *out = fopen(csv, "w");
	if (!out)
		fprintf(stderr, "pmembench: cannot write %s: %s (no CSV)\n", csv,
			strerror(errno));
	if (out) {
		fprintf(out, "# pmembench %s mode=%s rounds=%d cpu=%s (%s, class %s) llc_mib=%zu "
			     "nt_isa=%s self_test=%d pmdk=%s ours=%s\n",
			stamp, Quick ? "quick" : "full", Rounds, model, Cpu.tag, Cpu.class,
			Llc / MiB, Nt_isa, same_file, Lib[0].path, Lib[1].path);
		fprintf(out, "row,flags,size,align,pmdk_ns,ours_ns,ratio,ratio_p25,"
			     "ratio_p75,pmdk_gbps,ours_gbps,pmdk_pct_ceiling,"
			     "ours_pct_ceiling,ref_ns,ref_gbps,batch,rounds,status\n");
	}

	printf("%-26s %5s %4s  %-13s %-13s %7s  %-11s %s\n", "row", "size", "aln",
	       "PMDK", "ours", "ratio", "[p25-p75]", "%ceil PMDK/ours");
	printf("%.*s\n", 100,
	       "----------------------------------------------------------------"
	       "----------------------------------------------------------------");

	double logsum = 0;
	int nlog = 0, nfail = 0, nslow = 0;
	double rmin = 1e9, rmax = 0;
	uint64_t tstart = now_ns();

	for (int i = 0; i < nrows; i++) {
		row_t *r = &rows[i];
		if ((only_size && r->size != only_size) ||
		    (only_mis >= 0 && r->mis != only_mis))
			continue;
		if (filter && !strstr(r->name, filter) &&
		    !(r->kind == K_REF_COPY && strstr(filter, "memcpy")))
			continue;
		memset(Cursor, 0, sizeof(Cursor));
		measure(r);
		char sz[32], a[32], b[32];
		fmt_size(r->size, sz);
		const char *nm = r->name;
		char nmbuf[64];
		if (r->kind == K_MEMCPY_FLAGS)
			nm = r->name;
		snprintf(nmbuf, sizeof(nmbuf), "%s", nm);

		if (strcmp(r->status, "ok") != 0) {
			printf("%-26s %5s %4s  %s %s\n", nmbuf, sz, align_name(r), r->status,
			       r->why);
			if (out)
				fprintf(out, "%s,%s,%zu,%s,,,,,,,,,,,,,,%s\n", r->name,
					flags_name(r->flags), r->size, align_name(r),
					r->status);
			nfail++;
			fflush(stdout);
			continue;
		}

		if (r->kind == K_REF_COPY) {
			for (int k = 0; k < NREF; k++) {
				fmt_val(r, r->med_ns[k], a);
				printf("%-26s %5s %4s  %-13s\n",
				       k == 0 ? "ref: glibc memcpy"
				       : k == 1 ? "ref: memcpy+clwb+sfence"
						: "ref: NT-store ceiling",
				       sz, "al", a);
				if (out)
					fprintf(out, "%s,%s,%zu,al,,,,,,,,,,%.3f,%.4f,%zu,%d,ok\n",
						k == 2 ? "ref_nt_ceiling" : Ref_key[k],
						k == 2 ? Nt_isa : "", r->size,
						r->med_ns[k], r->size / r->med_ns[k],
						r->batch, r->rounds);
			}
			fflush(stdout);
			continue;
		}

		if (!r->with_ceil)
			r->pct_ceil[0] = r->pct_ceil[1] = -1;
		fmt_val(r, r->med_ns[0], a);
		fmt_val(r, r->med_ns[1], b);
		char pc[96] = "";
		if (r->pct_ceil[0] > 0)
			snprintf(pc, sizeof(pc), "%5.1f%% / %5.1f%% of %.2f GB/s",
				 r->pct_ceil[0], r->pct_ceil[1], r->size / r->ceil_ns);
		char flag = r->ratio < 0.97 ? '<' : ' ';
		printf("%-26s %5s %4s  %-13s %-13s %6.3f%c  %5.3f-%5.3f  %s\n", nmbuf, sz,
		       align_name(r), a, b, r->ratio, flag, r->r25, r->r75, pc);
		if (out) {
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
		logsum += log(r->ratio);
		nlog++;
		if (r->ratio < rmin)
			rmin = r->ratio;
		if (r->ratio > rmax)
			rmax = r->ratio;
		if (r->ratio < 0.97)
			nslow++;
		fflush(stdout);
	}
	double secs = (now_ns() - tstart) / 1e9;

	/* ---- summary: slow rows, this CPU class's targets ---- */
	if (nlog) {
		printf("%.*s\n", 100,
		       "----------------------------------------------------------------"
		       "----------------------------------------------------------------");
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
			row_t *r = &rows[idx[a]];
			char sz[32];
			printf("  %-26s %5s %4s  %.3f\n", r->name, fmt_size(r->size, sz),
			       align_name(r), r->ratio);
		}
		print_targets(rows, nrows, exp(logsum / nlog), rmin);
	}
	printf("%.*s\n", 100,
	       "----------------------------------------------------------------"
	       "----------------------------------------------------------------");
	if (nlog) {
		double gm = exp(logsum / nlog);
		printf("geometric mean ours/PMDK speed ratio over %d rows: %.3f  "
		       "(min %.3f, max %.3f; %d row(s) < 0.97 marked '<')\n",
		       nlog, gm, rmin, rmax, nslow);
		if (same_file)
			printf("SELF-TEST noise band: geomean %+.1f%%, rows span %+.1f%% .. "
			       "%+.1f%%\n",
			       (gm - 1) * 100, (rmin - 1) * 100, (rmax - 1) * 100);
		if (out)
			fprintf(out, "# geomean,%.4f,rows,%d,min,%.4f,max,%.4f,slow_rows,%d,"
				     "failed_rows,%d,seconds,%.1f\n",
				gm, nlog, rmin, rmax, nslow, nfail, secs);
	}
	if (nfail)
		printf("%d row(s) FAILED the correctness check (not timed)\n", nfail);
	printf("%.1f s; CSV: %s\n", secs, out ? csv : "(none)");
	if (out)
		fclose(out);
	return nfail ? 3 : 0;
}
