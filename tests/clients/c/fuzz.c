/*
 * Bounded random fuzz driver (build with -fsanitize=address,undefined).
 *   fuzz map DIR SEED ITERS SECONDS [--null] [--no-huge]   pmem_map_file argument space
 *       (DIR should be a small tmpfs: huge non-sparse lengths fill it; --no-huge avoids them)
 *   fuzz mem DIR SEED ITERS SECONDS            memops parameter space
 * Invariants (map): NULL => errno != 0, out-params untouched, errormsg set,
 *   fd set unchanged, a CREATE|EXCL that failed leaves no file where none was;
 *   success => mapped len == len (CREATE with len) or the file size,
 *   is_pmem in {0,1} == pmem_is_pmem, first/last byte writable, unmap 0, no fd left.
 * Invariants (mem): return == dest, bytes == libc memmove/memset, nothing
 *   touched outside [dest, dest+len) (guard pages around the region).
 * Each map outcome is printed (one line per iteration) so two libraries can
 * be compared with the same seed.
 */
#include "tc_common.h"
#include <limits.h>
#include <sys/mman.h>
#include <libpmem.h>

static const char *dir;
static char kinds[16][PATH_MAX + 200];
#define NKIND 15

static void setup_kinds(void)
{
	char b[PATH_MAX];
	int i = 0, fd;
	snprintf(kinds[i], sizeof kinds[i], "%s/regular", dir); unlink(kinds[i]);          /* 0 */
	fd = open(kinds[i], O_CREAT | O_RDWR, 0644); if (ftruncate(fd, 100000)) {} close(fd); i++;
	snprintf(kinds[i], sizeof kinds[i], "%s/empty", dir); unlink(kinds[i]);            /* 1 */
	fd = open(kinds[i], O_CREAT | O_RDWR, 0644); close(fd); i++;
	snprintf(kinds[i], sizeof kinds[i], "%s/dir", dir); mkdir(kinds[i], 0755); i++;    /* 2 */
	snprintf(kinds[i], sizeof kinds[i], "%s/fifo", dir); unlink(kinds[i]); mkfifo(kinds[i], 0644); i++; /* 3 */
	snprintf(kinds[i], sizeof kinds[i], "%s/symlink", dir); unlink(kinds[i]);          /* 4 */
	if (symlink("regular", kinds[i])) {} i++;
	snprintf(b, sizeof b, "%s/nothere", dir); unlink(b);
	snprintf(kinds[i], sizeof kinds[i], "%s/dangling", dir); unlink(kinds[i]);         /* 5 */
	if (symlink("nothere", kinds[i])) {} i++;
	snprintf(kinds[i], sizeof kinds[i], "/dev/null"); i++;                             /* 6 */
	snprintf(kinds[i], sizeof kinds[i], "%s/nonexistent", dir); unlink(kinds[i]); i++; /* 7 */
	snprintf(kinds[i], sizeof kinds[i], "%s/nodir/x", dir); i++;                       /* 8 */
	snprintf(kinds[i], sizeof kinds[i], "%s/regular/x", dir); i++;                     /* 9 */
	memset(b, 'z', sizeof b - 1); b[sizeof b - 1] = 0;
	snprintf(kinds[i], sizeof kinds[i], "%s/%s", dir, b); i++;                         /* 10 too long */
	snprintf(kinds[i], sizeof kinds[i], "%s", ""); i++;                                /* 11 empty */
	snprintf(kinds[i], sizeof kinds[i], "/dev/zero"); i++;                             /* 12 */
	snprintf(kinds[i], sizeof kinds[i], "%s/odd", dir); unlink(kinds[i]);             /* 13 odd size */
	fd = open(kinds[i], O_CREAT | O_RDWR, 0644); if (ftruncate(fd, 4097)) {} close(fd); i++;
	snprintf(kinds[i], sizeof kinds[i], "%s/dir/", dir); i++;                          /* 14 dir w/ slash */
}

static int nohuge;

static size_t pick_len(uint64_t *r)
{
	switch (tc_below(r, 10)) {
	case 0: return 0;
	case 1: return tc_below(r, 16);
	case 2: return 4096 * (tc_below(r, 4) + 1);
	case 3: return tc_below(r, 1 << 20) + 1;
	case 4: return (size_t)1 << (20 + tc_below(r, 4));
	case 5: return (size_t)-1 - tc_below(r, 4096);           /* does not fit off_t */
	case 6: return ((size_t)1 << 63) + tc_below(r, 10);
	case 7: if (nohuge) return 1 << 20;
		return (size_t)1 << (40 + tc_below(r, 8));       /* huge: ENOSPC unless SPARSE */
	case 8: return 2 * 1024 * 1024;
	default: return tc_below(r, 100000) + 1;
	}
}

static int pick_flags(uint64_t *r)
{
	int f = 0;
	if (tc_below(r, 10) < 7) f |= PMEM_FILE_CREATE;
	if (tc_below(r, 4) == 0) f |= PMEM_FILE_EXCL;
	if (tc_below(r, 3) == 0) f |= PMEM_FILE_SPARSE;
	if (tc_below(r, 5) == 0) f |= PMEM_FILE_TMPFILE;
	if (tc_below(r, 20) == 0) f |= 1 << tc_below(r, 31);
	if (tc_below(r, 50) == 0) f = (int)tc_rand(r);
	return f;
}

static int fuzz_map(uint64_t seed, long iters, double secs, int with_null)
{
	uint64_t r = seed;
	double end = tc_now() + secs;
	long i, ok = 0, fail = 0;
	unsigned char before[1024], after[1024];
	for (i = 0; i < iters && tc_now() < end; i++) {
		setup_kinds();
		int k = (int)tc_below(&r, NKIND);
		size_t len = pick_len(&r);
		int flags = pick_flags(&r);
		mode_t mode = (mode_t)(tc_below(&r, 4) ? 0600 : tc_rand(&r) & 07777);
		int outp = (int)tc_below(&r, 4); /* 0: both NULL, 1: only len, 2: only is_pmem, 3: both */
		const char *path = kinds[k];
		if (with_null && tc_below(&r, 40) == 0) path = NULL;
		struct stat st0;
		int existed = path && lstat(path, &st0) == 0;
		off_t size0 = (path && stat(path, &st0) == 0 && S_ISREG(st0.st_mode)) ? st0.st_size : -1;
		size_t ml = 0xdeadbeef; int isp = 0x5a5a;
		tc_fd_set(before);
		errno = 0;
		unsigned char *p = pmem_map_file(path, len, flags, mode, (outp & 1) ? &ml : NULL, (outp & 2) ? &isp : NULL);
		int err = errno;
		tc_fd_set(after);
		int fdd = tc_fd_diff(before, after);
		printf("%ld kind=%d len=%#zx flags=%#x mode=%#o -> ", i, k, len, flags, (unsigned)mode);
		if (!p) {
			fail++;
			printf("NULL errno=%d\n", err);
			if (!err) DIE("iter %ld: NULL with errno 0", i);
			if (ml != 0xdeadbeef || isp != 0x5a5a) DIE("iter %ld: out-params written on failure", i);
			const char *m = pmem_errormsg();
			if (!m || !*m) DIE("iter %ld: empty pmem_errormsg on failure", i);
			if (fdd >= 0) DIE("iter %ld: fd %d leaked/closed on failure", i, fdd);
			if (path && !existed && (flags & PMEM_FILE_CREATE) && (flags & PMEM_FILE_EXCL) &&
			    !(flags & PMEM_FILE_TMPFILE) && !(flags & ~0xf) && lstat(path, &st0) == 0)
				DIE("iter %ld: failed CREATE|EXCL left %s behind", i, path);
			continue;
		}
		ok++;
		size_t mlen = ml;
		if (!(outp & 1)) {
			/* we need the length to unmap: derive it */
			if ((flags & PMEM_FILE_CREATE) && len) mlen = len;
			else if (size0 >= 0) mlen = (size_t)size0;
			else DIE("iter %ld: success on non-regular file without CREATE", i);
		}
		printf("OK len=%#zx\n", mlen);
		if ((flags & PMEM_FILE_CREATE) && len && mlen != len) DIE("iter %ld: mapped len %#zx != %#zx", i, mlen, len);
		if (!(flags & PMEM_FILE_CREATE) && size0 >= 0 && mlen != (size_t)size0)
			DIE("iter %ld: mapped len %#zx != file size %#lx", i, mlen, (long)size0);
		if (outp & 2) {
			if (isp != 0 && isp != 1) DIE("iter %ld: is_pmem out %d", i, isp);
			if (pmem_is_pmem(p, mlen) != isp) DIE("iter %ld: is_pmem mismatch", i);
		}
		if (fdd >= 0) DIE("iter %ld: fd %d leaked on success", i, fdd);
		if (mlen <= ((size_t)1 << 36)) {
			p[0] = 1; p[mlen - 1] = 2;
			pmem_persist(p, 1); pmem_persist(p + mlen - 1, 1);
		}
		if (pmem_unmap(p, mlen) != 0) DIE("iter %ld: unmap: %s", i, strerror(errno));
	}
	fprintf(stderr, "fuzz map: %ld iterations (%ld mapped, %ld refused), seed %#lx\n", i, ok, fail, (unsigned long)seed);
	return 0;
}

static int fuzz_mem(uint64_t seed, long iters, double secs)
{
	uint64_t r = seed;
	size_t R = 1 << 20, pg = 4096;
	char path[4096];
	snprintf(path, sizeof path, "%s/memfuzz", dir);
	/* region A: pmem_map_file mapping; region B: anonymous with guard pages */
	size_t ml; int isp;
	unsigned char *a = pmem_map_file(path, R, PMEM_FILE_CREATE, 0600, &ml, &isp);
	CHECK(a, "map: %s", pmem_errormsg());
	unsigned char *g = mmap(NULL, R + 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(g != MAP_FAILED, "mmap");
	mprotect(g, pg, PROT_NONE); mprotect(g + pg + R, pg, PROT_NONE);
	unsigned char *b = g + pg;
	unsigned char *shadow = malloc(R);
	long i;
	static const size_t edges[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 31, 32, 63, 64, 65, 127, 128, 129, 255, 256, 257,
		511, 512, 1024, 2047, 4095, 4096, 4097, 8192, 65536, 262143, 262144, 262145, 524288 };
	for (int reg = 0; reg < 2; reg++) {
		unsigned char *m = reg ? b : a;
		tc_pattern(m, R, seed + (uint64_t)reg);
		memcpy(shadow, m, R);
		double end = tc_now() + secs / 2;
		for (i = 0; i < iters && tc_now() < end; i++) {
			size_t len;
			if (tc_below(&r, 3)) len = edges[tc_below(&r, sizeof edges / sizeof edges[0])] + tc_below(&r, 3);
			else len = tc_below(&r, R / 2);
			if (len > R) len = R;
			size_t dst, src;
			int at_end = tc_below(&r, 5) == 0;
			dst = at_end ? R - len : tc_below(&r, R - len + 1);
			int overlap = tc_below(&r, 3) == 0;
			if (overlap) {
				long delta = (long)tc_below(&r, 257) - 128;
				long s = (long)dst + delta;
				if (s < 0) s = 0;
				if ((size_t)s > R - len) s = (long)(R - len);
				src = (size_t)s;
			} else src = tc_below(&r, 2) ? R - len : tc_below(&r, R - len + 1);
			unsigned flags = 0;
			static const unsigned fv[] = { PMEM_F_MEM_NODRAIN, PMEM_F_MEM_NONTEMPORAL, PMEM_F_MEM_TEMPORAL,
				PMEM_F_MEM_WC, PMEM_F_MEM_WB, PMEM_F_MEM_NOFLUSH };
			for (int f = 0; f < 6; f++) if (tc_below(&r, 3) == 0) flags |= fv[f];
			if (tc_below(&r, 20) == 0) flags |= 1u << tc_below(&r, 32);
			int c = (int)tc_rand(&r);
			int op = (int)tc_below(&r, 9);
			void *ret = NULL;
			int is_memcpy = (op == 1 || op == 4 || op == 7);
			if (is_memcpy && ((src < dst + len && dst < src + len))) op = 0; /* memcpy needs disjoint */
			switch (op) {
			case 0: ret = pmem_memmove(m + dst, m + src, len, flags); break;
			case 1: ret = pmem_memcpy(m + dst, m + src, len, flags); break;
			case 2: ret = pmem_memset(m + dst, c, len, flags); break;
			case 3: ret = pmem_memmove_persist(m + dst, m + src, len); break;
			case 4: ret = pmem_memcpy_persist(m + dst, m + src, len); break;
			case 5: ret = pmem_memset_persist(m + dst, c, len); break;
			case 6: ret = pmem_memmove_nodrain(m + dst, m + src, len); break;
			case 7: ret = pmem_memcpy_nodrain(m + dst, m + src, len); break;
			case 8: ret = pmem_memset_nodrain(m + dst, c, len); break;
			}
			if (op == 2 || op == 5 || op == 8) memset(shadow + dst, c, len);
			else memmove(shadow + dst, shadow + src, len);
			if (ret != m + dst) DIE("mem iter %ld: return %p != dest %p (op %d)", i, ret, (void *)(m + dst), op);
			size_t lo = dst > 4096 ? dst - 4096 : 0, hi = dst + len + 4096 > R ? R : dst + len + 4096;
			if (memcmp(m + lo, shadow + lo, hi - lo) || (i % 500 == 0 && memcmp(m, shadow, R))) {
				size_t k = 0; while (k < R && m[k] == shadow[k]) k++;
				DIE("mem iter %ld region %d: bytes differ at %zu (op %d dst %zu src %zu len %zu flags %#x)",
				    i, reg, k, op, dst, src, len, flags);
			}
			if (tc_below(&r, 50) == 0) { pmem_flush(m + dst, len); pmem_drain(); }
			if (tc_below(&r, 200) == 0) pmem_deep_flush(m + dst, len);
		}
		if (memcmp(m, shadow, R)) DIE("region %d: final compare", reg);
		fprintf(stderr, "fuzz mem region %s: %ld ops OK, seed %#lx\n", reg ? "anon+guards" : "pmem_map_file", i, (unsigned long)seed);
	}
	pmem_unmap(a, ml);
	munmap(g, R + 2 * pg);
	free(shadow);
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 6) { fprintf(stderr, "usage: %s map|mem DIR SEED ITERS SECONDS [--null]\n", argv[0]); return 2; }
	dir = argv[2];
	uint64_t seed = strtoull(argv[3], NULL, 0);
	long iters = atol(argv[4]);
	double secs = atof(argv[5]);
	int with_null = 0;
	for (int a = 6; a < argc; a++) {
		if (!strcmp(argv[a], "--null")) with_null = 1;
		if (!strcmp(argv[a], "--no-huge")) nohuge = 1;
	}
	int rc = !strcmp(argv[1], "map") ? fuzz_map(seed, iters, secs, with_null)
					 : fuzz_mem(seed, iters, secs);
	if (rc == 0) fprintf(stderr, "fuzz %s: OK\n", argv[1]);
	return rc;
}
