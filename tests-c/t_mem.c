/*
 * t_mem.c -- pmem_memmove / pmem_memcpy / pmem_memset with every flag
 * combination (the 64 combinations of the six PMEM_F_MEM_* bits plus unknown
 * bits), and the six _persist / _nodrain variants: bytes equal to libc's
 * memmove/memset, many sizes (0 .. 1 MiB), alignments, overlap both ways,
 * return value = destination.  One line per (function, flags); see t.h.
 */
#include "t.h"

#define AREA (8u << 20)		/* the pmem-mapped destination area */
#define SRCSZ (2u << 20)	/* separate source buffer */

static char *Area;		/* mapped with pmem_map_file */
static char *Ref;		/* reference copy of Area, updated with libc */
static char *Src;		/* source for the non-overlapping cases */

static const size_t Sizes[] = {
	0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129,
	255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 4095, 4096, 4097,
	8191, 8192, 12293, 16384,
	/* large: fewer alignments */
	16385, 65535, 65536, 65537, 131136, 262152, 524287, 1048575, 1048576,
};
#define NSIZES (sizeof(Sizes) / sizeof(Sizes[0]))
#define LARGE 16384

static const size_t DstOff[] = { 0, 1, 7, 8, 16, 63 };
static const size_t SrcOff[] = { 0, 3, 8, 32 };

static uint64_t Rng = 88172645463325252ULL;
static inline uint64_t
rnd(void)
{
	Rng ^= Rng << 13;
	Rng ^= Rng >> 7;
	Rng ^= Rng << 17;
	return Rng;
}

/* fills [off, off+len) of Area and Ref with the same fresh random bytes */
static void
fill_window(size_t off, size_t len)
{
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t v = rnd();
		memcpy(Area + off + i, &v, 8);
		memcpy(Ref + off + i, &v, 8);
	}
	for (; i < len; i++) {
		char c = (char)rnd();
		Area[off + i] = c;
		Ref[off + i] = c;
	}
}

enum op { OP_MOVE, OP_CPY, OP_SET };
enum variant { V_FLAGS, V_PERSIST, V_NODRAIN };

static const char *const OpName[] = { "memmove", "memcpy", "memset" };

static void *
call(enum op op, enum variant v, void *d, const void *s, int c, size_t n, unsigned flags)
{
	switch (op) {
	case OP_MOVE:
		return v == V_FLAGS ? pmem_memmove(d, s, n, flags) :
			v == V_PERSIST ? pmem_memmove_persist(d, s, n) : pmem_memmove_nodrain(d, s, n);
	case OP_CPY:
		return v == V_FLAGS ? pmem_memcpy(d, s, n, flags) :
			v == V_PERSIST ? pmem_memcpy_persist(d, s, n) : pmem_memcpy_nodrain(d, s, n);
	case OP_SET:
		return v == V_FLAGS ? pmem_memset(d, c, n, flags) :
			v == V_PERSIST ? pmem_memset_persist(d, c, n) : pmem_memset_nodrain(d, c, n);
	}
	return NULL;
}

static const int SetVals[] = { 0, 0xA5, 0x1FF, -1, 0x7f, 0x80 };

struct result {
	unsigned long cases;
	int failed;
	char first[200];
};

static void
fail(struct result *r, const char *fmt, ...)
{
	if (r->failed++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->first, sizeof(r->first), fmt, ap);
		va_end(ap);
	}
}

/* one non-overlapping case; dst at Area + 4096 + doff */
static void
one_case(struct result *r, enum op op, enum variant v, unsigned flags, size_t n, size_t doff,
	size_t soff, int c)
{
	const size_t guard = 64;
	size_t dpos = 4096 + doff;
	fill_window(dpos - guard, n + 2 * guard);
	char *d = Area + dpos;
	const char *s = Src + soff;
	void *ret = call(op, v, d, s, c, n, flags);
	if (op == OP_SET)
		memset(Ref + dpos, c, n);
	else
		memmove(Ref + dpos, s, n);
	r->cases++;
	if (ret != d)
		fail(r, "size=%zu dst_off=%zu src_off=%zu: return value is not the destination", n, doff, soff);
	else if (memcmp(Area + dpos - guard, Ref + dpos - guard, n + 2 * guard) != 0)
		fail(r, "size=%zu dst_off=%zu src_off=%zu c=%d: bytes differ from libc", n, doff, soff, c);
}

/* overlapping memmove/memcpy inside Area; fwd: dst above src */
static void
overlap_case(struct result *r, enum op op, enum variant v, unsigned flags, size_t n, size_t delta,
	int fwd, size_t base_off)
{
	size_t base = 4096 + base_off;
	size_t win = n + delta + 128;
	fill_window(base, win);
	size_t so = base + 64 + (fwd ? 0 : delta);
	size_t dof = base + 64 + (fwd ? delta : 0);
	void *ret = call(op, v, Area + dof, Area + so, 0, n, flags);
	memmove(Ref + dof, Ref + so, n);
	r->cases++;
	if (ret != Area + dof)
		fail(r, "overlap size=%zu delta=%zu %s: return value is not the destination", n, delta,
			fwd ? "dst>src" : "dst<src");
	else if (memcmp(Area + base, Ref + base, win) != 0)
		fail(r, "overlap size=%zu delta=%zu %s base_off=%zu: bytes differ from libc memmove", n,
			delta, fwd ? "dst>src" : "dst<src", base_off);
}

static void
report(const char *name, struct result *r)
{
	if (r->failed)
		line(name, "FAIL %d of %lu cases, first: %s", r->failed, r->cases, r->first);
	else
		line(name, "ok (%lu cases)", r->cases);
}

static void
run_plain(enum op op, enum variant v, unsigned flags, const char *name)
{
	struct result r = { 0, 0, "" };
	int ci = 0;
	for (size_t si = 0; si < NSIZES; si++) {
		size_t n = Sizes[si];
		for (size_t di = 0; di < sizeof(DstOff) / sizeof(DstOff[0]); di++)
			for (size_t sj = 0; sj < sizeof(SrcOff) / sizeof(SrcOff[0]); sj++) {
				if (n > LARGE && !(di == sj || (di == 1 && sj == 1)))
					continue;
				if (op == OP_SET && sj > 0)
					continue;
				int c = SetVals[ci++ % (int)(sizeof(SetVals) / sizeof(SetVals[0]))];
				one_case(&r, op, v, flags, n, DstOff[di], SrcOff[sj], c);
			}
	}
	report(name, &r);
}

static const size_t OvSizes[] = { 1, 7, 8, 9, 63, 64, 65, 255, 256, 4095, 4096, 4097, 65539, 1048576 };
/* 32771: a close move whose destination below (above) the source's lines is long enough to
 * be streamed while the rest goes through the cache (our cached_move split) */
static const size_t OvDelta[] = { 0, 1, 7, 8, 63, 64, 4096, 32771 };
static const size_t OvBase[] = { 0, 5, 8 };

static void
run_overlap(enum op op, enum variant v, unsigned flags, const char *name)
{
	struct result r = { 0, 0, "" };
	for (size_t si = 0; si < sizeof(OvSizes) / sizeof(OvSizes[0]); si++)
		for (size_t di = 0; di < sizeof(OvDelta) / sizeof(OvDelta[0]); di++)
			for (size_t bi = 0; bi < sizeof(OvBase) / sizeof(OvBase[0]); bi++)
				for (int fwd = 0; fwd < 2; fwd++) {
					if (OvSizes[si] > LARGE && bi > 0)
						continue;
					overlap_case(&r, op, v, flags, OvSizes[si], OvDelta[di], fwd, OvBase[bi]);
				}
	report(name, &r);
}

static const char *
flagname(unsigned f)
{
	static char buf[160];
	if (f == 0)
		return "0";
	buf[0] = 0;
	static const struct { unsigned bit; const char *n; } names[] = {
		{ PMEM_F_MEM_NODRAIN, "NODRAIN" }, { PMEM_F_MEM_NONTEMPORAL, "NONTEMPORAL" },
		{ PMEM_F_MEM_TEMPORAL, "TEMPORAL" }, { PMEM_F_MEM_WC, "WC" }, { PMEM_F_MEM_WB, "WB" },
		{ PMEM_F_MEM_NOFLUSH, "NOFLUSH" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit) {
			if (buf[0])
				strcat(buf, "+");
			strcat(buf, names[i].n);
		}
	if (f & ~PMEM_F_MEM_VALID_FLAGS) {
		char x[24];
		SNP(x, sizeof(x), "%s0x%x", buf[0] ? "+" : "", f & ~PMEM_F_MEM_VALID_FLAGS);
		strcat(buf, x);
	}
	return buf;
}

int
main(void)
{
	char dir[4096];
	make_scratch(dir, sizeof(dir), "t_mem");
	char path[4200];
	SNP(path, sizeof(path), "%s/area", dir);
	size_t ml = 0;
	int isp = -1;
	Area = pmem_map_file(path, AREA, PMEM_FILE_CREATE, 0600, &ml, &isp);
	if (Area == NULL) {
		line("setup", "pmem_map_file failed errno=%s", errname(errno));
		return 1;
	}
	line("setup", "mapped_len=%zu", ml);
	Ref = malloc(AREA);
	Src = malloc(SRCSZ);
	if (!Ref || !Src)
		return 99;
	for (size_t i = 0; i < SRCSZ; i++)
		Src[i] = (char)(rnd() >> 11);
	memcpy(Ref, Area, AREA);

	/* the six PMEM_F_MEM_* bits in all 64 combinations, plus unknown bits */
	unsigned flagset[64 + 5];
	size_t nf = 0;
	for (unsigned f = 0; f < 64; f++)
		flagset[nf++] = f;
	flagset[nf++] = 1u << 6;
	flagset[nf++] = 1u << 31;
	flagset[nf++] = ~PMEM_F_MEM_VALID_FLAGS;
	flagset[nf++] = 0xFFFFFFFFu;
	flagset[nf++] = PMEM_F_MEM_NONTEMPORAL | (1u << 12);

	char name[256];
	for (int op = OP_MOVE; op <= OP_SET; op++)
		for (size_t i = 0; i < nf; i++) {
			SNP(name, sizeof(name), "%s.flags=%s", OpName[op], flagname(flagset[i]));
			run_plain((enum op)op, V_FLAGS, flagset[i], name);
		}
	for (int op = OP_MOVE; op <= OP_CPY; op++)
		for (size_t i = 0; i < nf; i++) {
			SNP(name, sizeof(name), "%s.overlap.flags=%s", OpName[op], flagname(flagset[i]));
			run_overlap((enum op)op, V_FLAGS, flagset[i], name);
		}
	for (int op = OP_MOVE; op <= OP_SET; op++) {
		SNP(name, sizeof(name), "%s_persist", OpName[op]);
		run_plain((enum op)op, V_PERSIST, 0, name);
		SNP(name, sizeof(name), "%s_nodrain", OpName[op]);
		run_plain((enum op)op, V_NODRAIN, 0, name);
		if (op != OP_SET) {
			SNP(name, sizeof(name), "%s_persist.overlap", OpName[op]);
			run_overlap((enum op)op, V_PERSIST, 0, name);
			SNP(name, sizeof(name), "%s_nodrain.overlap", OpName[op]);
			run_overlap((enum op)op, V_NODRAIN, 0, name);
		}
	}

	/* plain (non-pmem) memory as destination: heap */
	{
		struct result r = { 0, 0, "" };
		char *h = malloc(70000), *hr = malloc(70000);
		for (size_t n = 0; n < 66000; n = n * 2 + 1) {
			for (size_t o = 0; o < 9; o += 4) {
				memset(h, 0x11, 70000);
				memset(hr, 0x11, 70000);
				void *ret = pmem_memcpy_persist(h + o, Src + 1, n);
				memcpy(hr + o, Src + 1, n);
				r.cases++;
				if (ret != h + o || memcmp(h, hr, 70000))
					fail(&r, "heap memcpy_persist size=%zu off=%zu", n, o);
				ret = pmem_memset(h + o, 0x3c, n, PMEM_F_MEM_NONTEMPORAL);
				memset(hr + o, 0x3c, n);
				r.cases++;
				if (ret != h + o || memcmp(h, hr, 70000))
					fail(&r, "heap memset NT size=%zu off=%zu", n, o);
				ret = pmem_memmove(h + o + 3, h + o, n / 2, PMEM_F_MEM_WB);
				memmove(hr + o + 3, hr + o, n / 2);
				r.cases++;
				if (ret != h + o + 3 || memcmp(h, hr, 70000))
					fail(&r, "heap memmove WB size=%zu off=%zu", n / 2, o);
			}
		}
		report("heap_destination", &r);
		free(h);
		free(hr);
	}

	/* moving a range onto itself (or nothing) stores nothing: a read-only page survives */
#if defined(__aarch64__) || defined(__riscv) || defined(__powerpc64__)
	/* PMDK's generic copy (aarch64, ppc64le, riscv64) stores a range onto itself (x86-64's
	 * returns early): SIGSEGV */
	if (!is_ours())
		line("memmove_onto_itself_readonly", "not run (PMDK crashes)");
	else
#endif
	{
		char *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(ro, 0x3c, 4096);
		mprotect(ro, 4096, PROT_READ);
		unsigned fl[] = { 0, PMEM_F_MEM_NONTEMPORAL, PMEM_F_MEM_TEMPORAL,
				  PMEM_F_MEM_NOFLUSH, PMEM_F_MEM_NODRAIN };
		for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
			pmem_memmove(ro + 100, ro + 100, 1000, fl[i]);
		pmem_memmove_persist(ro, ro, 4096);
		pmem_memcpy_nodrain(ro + 1, ro + 1, 64);
		pmem_memmove(ro + 5, ro + 9, 0, 0);
		line("memmove_onto_itself_readonly", "survived=1 intact=%d",
		     ro[0] == 0x3c && ro[4095] == 0x3c);
		munmap(ro, 4096);
	}

	/* the whole area still equals the reference (no stray writes) */
	line("area_intact", "%d", memcmp(Area, Ref, AREA) == 0);
	line("unmap", "%d", pmem_unmap(Area, ml));
	rm_rf(dir);
	return 0;
}
