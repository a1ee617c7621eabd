/* Shared helpers for the tests/clients C programs. */
#ifndef TC_COMMON_H
#define TC_COMMON_H
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static int tc_failures;

/* line-buffered stdout so logs survive a kill by timeout */
__attribute__((constructor)) static void tc_linebuf(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

#define FAILF(...) do { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); tc_failures++; } while (0)
#define DIE(...) do { FAILF(__VA_ARGS__); exit(1); } while (0)
#define CHECK(c, ...) do { if (!(c)) { FAILF("check '%s' failed: ", #c); \
	fprintf(stderr, "  " __VA_ARGS__); fputc('\n', stderr); exit(1);} } while (0)

/* splitmix64: deterministic, seedable */
static inline uint64_t tc_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static inline uint64_t tc_below(uint64_t *s, uint64_t n) { return n ? tc_rand(s) % n : 0; }

static inline double tc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* number of open fds (excluding the one used by opendir) */
static inline int tc_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
	closedir(d);
	return n - 1;
}

/* bitmap of open fds < 1024 */
static inline void tc_fd_set(unsigned char set[1024])
{
	memset(set, 0, 1024);
	DIR *d = opendir("/proc/self/fd");
	if (!d) return;
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		int fd = atoi(e->d_name);
		if (fd != self && fd >= 0 && fd < 1024) set[fd] = 1;
	}
	closedir(d);
}

/* returns the first fd that differs between two sets, -1 if equal */
static inline int tc_fd_diff(const unsigned char a[1024], const unsigned char b[1024])
{
	for (int i = 0; i < 1024; i++) if (a[i] != b[i]) return i;
	return -1;
}

static inline void tc_pattern(void *p, size_t n, uint64_t seed)
{
	unsigned char *c = p;
	uint64_t s = seed;
	size_t i = 0;
	while (i + 8 <= n) { uint64_t v = tc_rand(&s); memcpy(c + i, &v, 8); i += 8; }
	if (i < n) { uint64_t v = tc_rand(&s); memcpy(c + i, &v, n - i); }
}

static inline int tc_check_pattern(const void *p, size_t n, uint64_t seed)
{
	unsigned char tmp[4096];
	const unsigned char *c = p;
	uint64_t s = seed;
	size_t i = 0;
	while (i < n) {
		size_t chunk = n - i < sizeof tmp ? n - i : sizeof tmp;
		size_t j = 0;
		while (j + 8 <= chunk) { uint64_t v = tc_rand(&s); memcpy(tmp + j, &v, 8); j += 8; }
		if (j < chunk) { uint64_t v = tc_rand(&s); memcpy(tmp + j, &v, chunk - j); }
		if (memcmp(tmp, c + i, chunk)) return 0;
		i += chunk;
	}
	return 1;
}

#define TC_DONE(name) do { if (tc_failures) { fprintf(stderr, "%s: %d failure(s)\n", name, tc_failures); return 1; } \
	printf("%s: OK\n", name); return 0; } while (0)
#endif
