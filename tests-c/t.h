/*
 * t.h -- tiny helpers shared by the libpmem C tests.
 *
 * Every check prints exactly one line "name: result" to stdout.  Lines must be
 * deterministic (no addresses, no timings) because run.sh compares the output of
 * the reference PMDK with the library under test line by line, keyed by name.
 *
 * PMEMTEST_IMPL=ours|pmdk (set by run.sh) tells a program whether the library it
 * runs against is ours; checks that would crash PMDK are not run there.
 * PMEMTEST_DIR is a scratch directory (on tmpfs, /dev/shm) made by run.sh; the
 * programs make their own subdirectory in it.
 */
#ifndef PMEMTEST_T_H
#define PMEMTEST_T_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <libpmem.h>

/* snprintf whose result is used (no -Wformat-truncation); aborts on truncation */
#define SNP(buf, size, ...) do { \
	int snp_n_ = snprintf((buf), (size), __VA_ARGS__); \
	if (snp_n_ < 0 || (size_t)snp_n_ >= (size_t)(size)) abort(); \
} while (0)

static inline const char *
errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ETXTBSY: return "ETXTBSY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case ENOTSUP: return "ENOTSUP";
	default: {
		static char buf[32];
		snprintf(buf, sizeof(buf), "errno%d", e);
		return buf;
	}
	}
}

/* one result line */
static inline void
line(const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int
is_ours(void)
{
	const char *e = getenv("PMEMTEST_IMPL");
	return e != NULL && strcmp(e, "ours") == 0;
}

/* "errmsg=set" when pmem_errormsg() is non-empty, "errmsg=EMPTY" otherwise, "errmsg=NULL" if NULL */
static inline const char *
errmsg_state(void)
{
	const char *m = pmem_errormsg();
	if (m == NULL)
		return "errmsg=NULL";
	return m[0] ? "errmsg=set" : "errmsg=EMPTY";
}

/* a fresh directory below $PMEMTEST_DIR (or /dev/shm) */
static inline void
make_scratch(char *out, size_t outsz, const char *tag)
{
	const char *base = getenv("PMEMTEST_DIR");
	if (base == NULL || base[0] == '\0')
		base = "/dev/shm";
	snprintf(out, outsz, "%s/%s.XXXXXX", base, tag);
	if (mkdtemp(out) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
}

static inline void
rm_rf(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "rm -rf %s failed\n", path);
}

/* an address range that is certainly not mapped */
static inline void *
unmapped_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(99);
	}
	munmap(p, len);
	return p;
}

static inline const char *
fmt_mode(mode_t m)
{
	static char buf[16];
	snprintf(buf, sizeof(buf), "%04o", (unsigned)(m & 07777));
	return buf;
}

#endif
