/*
 * kernels.c -- CPU features and the kernels of the reference rows: glibc memcpy,
 * memcpy + clwb loop + sfence, and a hand-written NT-store copy loop per width the
 * CPU runs (AVX-512, AVX2, SSE2).  The NT ceiling is the fastest of those loops on
 * this machine, measured at start-up: the widest is not always the fastest
 * (docs/strategy.md).
 *
 * No -march=native: the AVX-512 / AVX2 loops use target attributes and run only
 * where the CPU has them.
 */
#include "pmembench.h"

#include <string.h>
#include <immintrin.h>
#include <sys/resource.h>

int Has_clwb, Has_clflushopt, Has_avx512f, Has_avx2;
struct cpu_id Cpu;
struct nt_loop Nt_loop[NT_MAX];
int Nt_nloops, Nt_best, Nref;
const char *Nt_isa = "sse2";
void (*nt_copy)(char *, const char *, size_t);
size_t Nt_cal_window;
int Nt_cal_copies;
double Call_ns;

static inline void clwb_line(const void *p)
{
	if (Has_clwb)
		__asm__ volatile("clwb %0" : "+m"(*(volatile char *)p));
	else if (Has_clflushopt)
		__asm__ volatile("clflushopt %0" : "+m"(*(volatile char *)p));
	else
		__asm__ volatile("clflush %0" : "+m"(*(volatile char *)p));
}

static void flush_range(const void *addr, size_t len)
{
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)63;
	uintptr_t e = (uintptr_t)addr + len;
	for (; p < e; p += 64)
		clwb_line((const void *)p);
}

/* what a user writes by hand: memcpy, clwb every line, sfence */
void ref_memcpy_clwb(char *d, const char *s, size_t n)
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

static void nt_loop_add(const char *isa, void (*copy)(char *, const char *, size_t))
{
	struct nt_loop *l = &Nt_loop[Nt_nloops++];
	l->isa = isa;
	l->copy = copy;
	snprintf(l->label, sizeof(l->label), "NT loop %s", isa);
	snprintf(l->key, sizeof(l->key), "ref_nt_%s", isa);
}

/* the features, and the NT loops this CPU runs (the ceiling is chosen by nt_calibrate) */
void cpu_detect(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		Has_clwb = (b >> 24) & 1;
		Has_clflushopt = (b >> 23) & 1;
	}
	__builtin_cpu_init();
	Has_avx512f = !!__builtin_cpu_supports("avx512f");
	Has_avx2 = !!__builtin_cpu_supports("avx2");
	if (Has_avx512f)
		nt_loop_add("avx512", nt_copy_avx512);
	if (Has_avx2)
		nt_loop_add("avx2", nt_copy_avx2);
	nt_loop_add("sse2", nt_copy_sse2);
	Nref = 2 + Nt_nloops;
	nt_copy = Nt_loop[0].copy;
	Nt_isa = Nt_loop[0].isa;
}

/* ------------------------------------------------------------------ */
/* the ceiling: the fastest NT loop on long copies                     */
/* ------------------------------------------------------------------ */
#define CAL_SIZE (16 * MiB)
#define CAL_STRIDE (CAL_SIZE + 4096)
#define CAL_WINDOWS 7 /* copies per loop and alignment: 7 windows' worth */

static long switches(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* one CAL_SIZE copy into slot s of the window: ns, negative when the thread was
 * switched out during the copy */
static double cal_copy(const struct nt_loop *l, size_t s, int mis)
{
	char *dst = RefPool[0] + s * CAL_STRIDE + (mis ? 7 : 0);
	const char *src = SrcP[CEIL_P] + s * CAL_STRIDE + (mis ? 3 : 0);
	long sw = switches();
	uint64_t t0 = now_ns();
	l->copy(dst, src, CAL_SIZE);
	BARRIER();
	double t = (double)(now_ns() - t0);
	return switches() == sw ? t : -t;
}

/* median of the copies that ran undisturbed, or of all when fewer than a window's worth did;
 * *used counts the copies it is taken over */
static double cal_median(const double *t, int n, int *used)
{
	double v[n];
	int k = 0;
	for (int i = 0; i < n; i++)
		if (t[i] > 0)
			v[k++] = t[i];
	if (k < n / CAL_WINDOWS)
		for (int i = k = 0; i < n; i++)
			v[k++] = t[i] > 0 ? t[i] : -t[i];
	*used = k;
	return quantile(v, k, 0.5);
}

/*
 * Each loop copies 16 MiB pieces, aligned and misaligned (dst +7, src +3), into the
 * slots of a window of 4 x LLC in turn, so every copy reads and writes memory last
 * touched a window earlier, out of the cache, as in the long copy rows.  The loops
 * take turns copy by copy, each in every place of the order, so a burst of traffic
 * from elsewhere hits them alike.  Each copy is timed on its own (about a
 * millisecond) and one during which the thread was switched out is left out: on a
 * shared CPU a lost time slice would otherwise decide which loop looks fastest.
 * Each figure is the median of the rest of CAL_WINDOWS x slots copies.  The fastest
 * over both alignments is the ceiling the copy rows are measured against.
 */
void nt_calibrate(void)
{
	size_t nslots = Region / CAL_STRIDE, ns = CAL_WINDOWS * nslots, slot = 0;
	double t[NT_MAX][2][ns];
	for (size_t i = 0; i < nslots; i++) /* warm-up: one window */
		cal_copy(&Nt_loop[i % Nt_nloops], i, 0);
	for (size_t i = 0; i < ns; i++)
		for (int m = 0; m < 2; m++)
			for (int j = 0; j < Nt_nloops; j++) {
				int k = (int)((i + j) % Nt_nloops);
				t[k][m][i] = cal_copy(&Nt_loop[k], slot, m);
				slot = slot + 1 == nslots ? 0 : slot + 1;
			}
	Nt_cal_window = nslots * CAL_STRIDE;
	Nt_cal_copies = (int)ns;
	Nt_best = 0;
	for (int k = 0; k < Nt_nloops; k++) {
		struct nt_loop *l = &Nt_loop[k];
		int u0, u1;
		double al = cal_median(t[k][0], (int)ns, &u0);
		double mis = cal_median(t[k][1], (int)ns, &u1);
		if (u0 < Nt_cal_copies)
			Nt_cal_copies = u0;
		if (u1 < Nt_cal_copies)
			Nt_cal_copies = u1;
		if (Debug)
			fprintf(stderr, "# NT loop %s: %d/%d copies undisturbed\n", l->isa,
				u0 + u1, 2 * (int)ns);
		l->gbps[0] = CAL_SIZE / al;
		l->gbps[1] = CAL_SIZE / mis;
		l->score = 2 * CAL_SIZE / (al + mis);
		if (l->score > Nt_loop[Nt_best].score)
			Nt_best = k;
	}
	nt_copy = Nt_loop[Nt_best].copy;
	Nt_isa = Nt_loop[Nt_best].isa;
}

/* ------------------------------------------------------------------ */
/* the reference participants k = 0.. of the "reference copies" rows   */
/* ------------------------------------------------------------------ */
const char *ref_name(int k)
{
	return k == 0 ? "glibc memcpy" : k == 1 ? "memcpy+clwb+sfence" : Nt_loop[k - 2].label;
}

const char *ref_key(int k)
{
	return k == 0 ? "ref_glibc_memcpy" : k == 1 ? "ref_memcpy_clwb_sfence"
						    : Nt_loop[k - 2].key;
}

void ref_copy(int k, char *d, const char *s, size_t n)
{
	if (k == 0)
		memcpy(d, s, n);
	else if (k == 1)
		ref_memcpy_clwb(d, s, n);
	else
		Nt_loop[k - 2].copy(d, s, n);
}

/* baseline: what an empty exported function costs through this harness */
__attribute__((noinline)) static int empty_fn(const void *a, size_t n)
{
	__asm__ volatile("" ::"r"(a), "r"(n));
	return 1;
}
double call_overhead_ns(void)
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

