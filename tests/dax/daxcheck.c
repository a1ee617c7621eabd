/*
 * daxcheck -- libpmem checks that need real DAX: device DAX, filesystem DAX with and without
 * MAP_SYNC, persistence domains, deep flush. Runs inside the tests/dax guest, once against
 * PMDK's libpmem and once against ours (the library is picked by LD_LIBRARY_PATH; the binary
 * is the same).
 *
 * Output, one line each:
 *   CHECK <name> <expected> <actual>     a check; the host compares <actual> with <expected>
 *   INFO <key> <value...>                facts for the log
 * Expected values come from the kernel (sysfs, a direct mmap(MAP_SYNC) probe) or from the
 * command line (what the guest script knows about the configuration), never from libpmem.
 *
 * Every group of checks runs in a child process, so a crash is reported (CRASH-SIGn) instead
 * of ending the run.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libpmem.h"

#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

static void vcheck(const char *base, const char *suffix, const char *expected, const char *fmt,
		   va_list ap)
{
	char actual[256];
	vsnprintf(actual, sizeof(actual), fmt, ap);
	printf("CHECK %s%s %s %s\n", base, suffix, expected, actual);
	fflush(stdout);
}

static void check(const char *name, const char *expected, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcheck(name, "", expected, fmt, ap);
	va_end(ap);
}

/* check() of the check named base + suffix ("fsdax.dax" + ".open") */
static void checkp(const char *base, const char *suffix, const char *expected, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcheck(base, suffix, expected, fmt, ap);
	va_end(ap);
}

static void info(const char *key, const char *fmt, ...)
{
	va_list ap;
	printf("INFO %s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *errname(int e)
{
	static char buf[16];
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EIO: return "EIO";
	case EBUSY: return "EBUSY";
	case ENOSPC: return "ENOSPC";
	default: snprintf(buf, sizeof(buf), "E%d", e); return buf;
	}
}

/* "0" or "-1/EERR" for an int-returning call */
static const char *rc_str(int rc, int err)
{
	static char buf[32];
	if (rc == 0)
		return "0";
	snprintf(buf, sizeof(buf), "%d/%s", rc, errname(err));
	return buf;
}

/* Runs fn(arg) in a child; reports a crash of the child as a CHECK line. */
static void group(const char *name, void (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		check(name, "run", "fork-failed");
		return;
	}
	if (pid == 0) {
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		check(name, "run", "CRASH-SIG%d", WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		check(name, "run", "EXIT-%d", WEXITSTATUS(st));
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int read_u64(const char *path, uint64_t *v)
{
	char buf[64];
	if (read_file(path, buf, sizeof(buf)) != 0)
		return -1;
	char *end;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return errno ? -1 : 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* ---- lib: which libpmem this process runs on ------------------------------------------- */

static void cmd_lib(void)
{
	Dl_info di;
	if (dladdr((void *)pmem_map_file, &di) && di.dli_fname) {
		char real[PATH_MAX];
		info("lib", "%s", realpath(di.dli_fname, real) ? real : di.dli_fname);
	} else {
		info("lib", "unknown");
	}
}

/* ---- autoflush ------------------------------------------------------------------------- */

static void cmd_autoflush(const char *name, const char *expected)
{
	check(name, expected, "%d", pmem_has_auto_flush());
}

/* ---- flush: whether pmem_flush executes cache flushes -----------------------------------
 * Counts the instructions pmem_flush(buf, 16 KiB) (or pmem_persist, pmem_deep_flush: the name
 * starts with "persist." or "deep_flush.") executes by single-stepping it (the trap
 * flag; one SIGTRAP per instruction). Flushing 256 cache lines takes hundreds of instructions,
 * a skipped flush a few dozen. (Under TCG the flush instructions themselves are no-ops, so the
 * instruction count is what tells them apart.)
 */
static volatile unsigned long steps;

static void on_trap(int sig)
{
	(void)sig;
	steps++;
}

static void (*flush_fn)(const void *, size_t);

static unsigned long count_flush(void *buf, size_t len)
{
	steps = 0;
	__asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq" ::: "memory", "cc");
	flush_fn(buf, len);
	__asm__ volatile("pushfq\n\tandq $~0x100, (%%rsp)\n\tpopfq" ::: "memory", "cc");
	return steps;
}

static void cmd_flush(const char *name, const char *expected)
{
	if (!strncmp(name, "persist.", 8))
		flush_fn = pmem_persist;
	else if (!strncmp(name, "deep_flush.", 11))
		flush_fn = pmem_deep_flush;
	else
		flush_fn = pmem_flush;
	size_t len = 16384;
	void *buf = aligned_alloc(4096, len);
	memset(buf, 1, len);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_trap;
	sigaction(SIGTRAP, &sa, NULL);
	flush_fn(buf, 64); /* binds the PLT entry and initializes the library */
	unsigned long n = count_flush(buf, len);
	unsigned long n2 = count_flush(buf, len);
	if (n2 < n)
		n = n2;
	info("flush_steps", "%s %lu", name, n);
	check(name, expected, "%s", n >= 256 ? "flush" : "skip");
	free(buf);
}

/* ---- device DAX ------------------------------------------------------------------------ */

struct dev {
	const char *path;
	unsigned maj, min;
	uint64_t size, align;
	char sysdir[PATH_MAX]; /* realpath of /sys/dev/char/M:m */
	char deep_flush[PATH_MAX]; /* realpath of the region's deep_flush ("" if none) */
	char region_dir[PATH_MAX];
};

static int dev_init(struct dev *d, const char *path)
{
	struct stat st;
	memset(d, 0, sizeof(*d));
	d->path = path;
	if (stat(path, &st) != 0 || !S_ISCHR(st.st_mode)) {
		check("dd.env.chardev", "1", "0");
		return -1;
	}
	d->maj = major(st.st_rdev);
	d->min = minor(st.st_rdev);
	char p[PATH_MAX + 32], subsys[PATH_MAX];
	snprintf(p, sizeof(p), "/sys/dev/char/%u:%u/subsystem", d->maj, d->min);
	const char *s = realpath(p, subsys) ? strrchr(subsys, '/') + 1 : "?";
	check("dd.env.subsystem", "dax", "%s", s);
	snprintf(p, sizeof(p), "/sys/dev/char/%u:%u/size", d->maj, d->min);
	if (read_u64(p, &d->size) != 0)
		d->size = 0;
	snprintf(p, sizeof(p), "/sys/dev/char/%u:%u/align", d->maj, d->min);
	if (read_u64(p, &d->align) != 0) {
		snprintf(p, sizeof(p), "/sys/dev/char/%u:%u/device/align", d->maj, d->min);
		if (read_u64(p, &d->align) != 0)
			d->align = 0;
	}
	snprintf(p, sizeof(p), "/sys/dev/char/%u:%u", d->maj, d->min);
	if (!realpath(p, d->sysdir))
		d->sysdir[0] = 0;
	/* the region: the path component named regionN */
	char *r = strstr(d->sysdir, "/region");
	if (r) {
		char *end = strchr(r + 1, '/');
		size_t n = end ? (size_t)(end - d->sysdir) : strlen(d->sysdir);
		memcpy(d->region_dir, d->sysdir, n);
		d->region_dir[n] = 0;
		snprintf(p, sizeof(p), "%s/deep_flush", d->region_dir);
		if (!realpath(p, d->deep_flush))
			d->deep_flush[0] = 0;
	}
	info("devdax", "%s %u:%u size %" PRIu64 " align %" PRIu64 " sysfs %s region %s deep_flush %s",
	     path, d->maj, d->min, d->size, d->align, d->sysdir, d->region_dir,
	     d->deep_flush[0] ? d->deep_flush : "(none)");
	return d->size && d->align ? 0 : -1;
}

static const char *map_str(void *addr, int err)
{
	static char buf[32];
	if (addr)
		return "ok";
	snprintf(buf, sizeof(buf), "NULL/%s", errname(err));
	return buf;
}

static struct dev D;

static void dd_main(void *arg)
{
	(void)arg;
	size_t ml = 0;
	int ip = -1;
	char exp[64];
	void *a = pmem_map_file(D.path, 0, 0, 0, &ml, &ip);
	check("dd.map", "ok", "%s", map_str(a, errno));
	if (!a)
		return;
	snprintf(exp, sizeof(exp), "%" PRIu64, D.size);
	check("dd.map.len", exp, "%zu", ml);
	check("dd.map.is_pmem", "1", "%d", ip);
	check("dd.map.aligned", "1", "%d", (uintptr_t)a % D.align == 0);
	info("dd.map.addr", "%p align %" PRIu64, a, D.align);
	check("dd.is_pmem", "1", "%d", pmem_is_pmem(a, ml));
	check("dd.is_pmem.first_byte", "1", "%d", pmem_is_pmem(a, 1));
	check("dd.is_pmem.len0", "0", "%d", pmem_is_pmem(a, 0));
	check("dd.is_pmem.past_end", "0", "%d", pmem_is_pmem((char *)a + ml - 4096, 8192));
	errno = 0;
	int rc = pmem_msync(a, 4096);
	check("dd.msync", "-1/EINVAL", "%s", rc_str(rc, errno));
	rc = pmem_deep_persist(a, 4096);
	check("dd.deep_persist", "0", "%s", rc_str(rc, errno));
	rc = pmem_deep_drain(a, 4096);
	check("dd.deep_drain", "0", "%s", rc_str(rc, errno));
	rc = pmem_deep_persist((char *)a + ml - 8192, 8192);
	check("dd.deep_persist.end", "0", "%s", rc_str(rc, errno));
	pmem_deep_flush(a, 4096);
	/* len 0: PMDK's pmem_msync rounds the address down to the page and msyncs the
	 * bytes before it, so an unaligned address with len 0 still reaches the device */
	errno = 0;
	rc = pmem_msync(a, 0);
	check("dd.msync.len0", "0", "%s", rc_str(rc, errno));
	errno = 0;
	rc = pmem_msync((char *)a + 100, 0);
	check("dd.msync.len0_unaligned", "-1/EINVAL", "%s", rc_str(rc, errno));
	errno = 0;
	rc = pmem_deep_drain((char *)a + 100, 0);
	check("dd.deep_drain.len0", "0", "%s", rc_str(rc, errno));
	errno = 0;
	rc = pmem_deep_persist((char *)a + 100, 0);
	check("dd.deep_persist.len0", "0", "%s", rc_str(rc, errno));
	/* a range running past the end of the mapping into unmapped memory: the device part is
	 * deep-flushed, the rest is msynced, which fails with ENOMEM */
	char *end = (char *)a + ml;
	void *probe = mmap(end, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (probe == end) {
		munmap(probe, 4096);
		errno = 0;
		rc = pmem_deep_drain(end - 4096, 8192);
		check("dd.deep_drain.past_end", "-1/ENOMEM", "%s", rc_str(rc, errno));
	} else {
		if (probe != MAP_FAILED)
			munmap(probe, 4096);
		info("dd.deep_drain.past_end", "skipped: the page after the mapping is in use");
	}

	/* data through the mapping, seen through a second mapping */
	size_t off = 1 << 20, n = 64 << 10;
	unsigned char *src = malloc(n);
	for (size_t i = 0; i < n; i++)
		src[i] = (unsigned char)(i * 7 + 3);
	pmem_memcpy_persist((char *)a + off, src, n);
	rc = pmem_unmap(a, ml);
	check("dd.unmap", "0", "%s", rc_str(rc, errno));
	check("dd.is_pmem.after_unmap", "0", "%d", pmem_is_pmem(a, ml));
	size_t ml2 = 0;
	int ip2 = -1;
	void *b = pmem_map_file(D.path, 0, 0, 0, &ml2, &ip2);
	check("dd.data", "match", "%s", b ? (memcmp((char *)b + off, src, n) ? "differ" : "match") : "remap-failed");
	free(src);
	if (!b)
		return;
	/* partial unmap (on an alignment boundary, as device DAX requires): the rest stays pmem */
	if (ml2 < 2 * D.align) {
		info("dd.partial_unmap", "skipped: the device holds fewer than 2 alignment units");
		pmem_unmap(b, ml2);
		return;
	}
	rc = pmem_unmap(b, D.align);
	check("dd.unmap.head", "0", "%s", rc_str(rc, errno));
	check("dd.is_pmem.unmapped_head", "0", "%d", pmem_is_pmem(b, D.align));
	check("dd.is_pmem.rest", "1", "%d", pmem_is_pmem((char *)b + D.align, ml2 - D.align));
	pmem_unmap((char *)b + D.align, ml2 - D.align);
}

struct mapcase {
	const char *name;
	size_t len;
	int flags;
	const char *expected; /* "ok" or "NULL/ERR" */
};

static void dd_mapcase(void *arg)
{
	struct mapcase *c = arg;
	size_t ml = 0;
	int ip = -1;
	errno = 0;
	void *a = pmem_map_file(D.path, c->len, c->flags, 0600, &ml, &ip);
	check(c->name, c->expected, "%s", map_str(a, errno));
	if (a) {
		char n[128], exp[64];
		snprintf(n, sizeof(n), "%s.len", c->name);
		snprintf(exp, sizeof(exp), "%" PRIu64, D.size);
		check(n, exp, "%zu", ml);
		snprintf(n, sizeof(n), "%s.is_pmem", c->name);
		check(n, "1", "%d", ip);
		pmem_unmap(a, ml);
	}
}

static void cmd_devdax(const char *path)
{
	if (dev_init(&D, path) != 0) {
		check("dd.env.sysfs", "ok", "unreadable");
		return;
	}
	/* the oracle for mapping at all: the whole device, mmap'ed directly at an aligned address */
	int fd = open(D.path, O_RDWR | O_CLOEXEC);
	void *res = fd < 0 ? MAP_FAILED : mmap(NULL, D.size + D.align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	const char *direct = "no-fd";
	if (res != MAP_FAILED) {
		char *al = (char *)(((uintptr_t)res + D.align - 1) & ~(uintptr_t)(D.align - 1));
		void *p = mmap(al, D.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
		direct = p == MAP_FAILED ? errname(errno) : "ok";
		munmap(res, D.size + D.align);
	}
	if (fd >= 0)
		close(fd);
	check("dd.env.direct_mmap", "ok", "%s", direct);
	group("dd.main", dd_main, NULL);
	size_t S = D.size, A = D.align;
	struct mapcase cases[] = {
		{"dd.flags.create", 0, PMEM_FILE_CREATE, "ok"},
		{"dd.flags.sparse", 0, PMEM_FILE_SPARSE, "ok"},
		{"dd.flags.create_sparse", 0, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, "ok"},
		{"dd.len.size", S, 0, "ok"},
		{"dd.len.size_create", S, PMEM_FILE_CREATE, "ok"},
		{"dd.len.size_create_sparse", S, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, "ok"},
		{"dd.len.minus_align", S > A ? S - A : S / 2, PMEM_FILE_CREATE, "NULL/EINVAL"},
		{"dd.len.plus_align", S + A, PMEM_FILE_CREATE, "NULL/EINVAL"},
		{"dd.len.4k", 4096, 0, "NULL/EINVAL"},
		{"dd.len.4k_create", 4096, PMEM_FILE_CREATE, "NULL/EINVAL"},
		{"dd.flags.excl", 0, PMEM_FILE_EXCL, "NULL/EINVAL"},
		{"dd.flags.create_excl", 0, PMEM_FILE_CREATE | PMEM_FILE_EXCL, "NULL/EINVAL"},
		{"dd.flags.create_excl_size", S, PMEM_FILE_CREATE | PMEM_FILE_EXCL, "NULL/EINVAL"},
		{"dd.flags.tmpfile", 0, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, "NULL/EINVAL"},
		{"dd.flags.unknown", 0, 1 << 20, "NULL/EINVAL"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		group(cases[i].name, dd_mapcase, &cases[i]);
}

/* ---- deep flush on device DAX, with the region's deep_flush file replaced ---------------- */

struct dfcase {
	const char *variant;
	const char *expected_write; /* "write" or "nowrite" */
};

static void df_run(void *arg)
{
	struct dfcase *c = arg;
	char base[96];
	size_t ml = 0;
	int ip = -1;
	snprintf(base, sizeof(base), "df.%s", c->variant);
	void *a = pmem_map_file(D.path, 0, 0, 0, &ml, &ip);
	checkp(base, ".map", "ok", "%s", map_str(a, errno));
	if (!a)
		return;
	/* private mount namespace: the bind mounts vanish with this process */
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		checkp(base, ".env", "ok", "unshare-%s", errname(errno));
		return;
	}
	const char *target = D.deep_flush;
	const char *src = NULL;
	char before[64] = "";
	int setup = 0;
	if (!strcmp(c->variant, "real") || !strcmp(c->variant, "drain")) {
		if (!target[0])
			target = NULL; /* the region has no deep_flush file (virtio-pmem) */
	} else if (!strcmp(c->variant, "zero")) {
		src = "/tmp/df-zero";
		setup = write_file(src, "0\n");
	} else if (!strcmp(c->variant, "five")) {
		src = "/tmp/df-five";
		setup = write_file(src, "5\n");
	} else if (!strcmp(c->variant, "unreadable")) {
		src = "/sys/bus/nd/drivers_probe"; /* write-only: open(O_RDONLY) fails, even for root */
	} else if (!strcmp(c->variant, "missing")) {
		/* an empty directory over the whole region: no deep_flush file */
		setup = mount("none", D.region_dir, "tmpfs", 0, "size=64k");
		target = NULL;
	}
	if (setup == 0 && src && target && target[0])
		setup = mount(src, target, NULL, MS_BIND, NULL);
	if (setup != 0) {
		checkp(base, ".env", "ok", "setup-%s", errname(errno));
		return;
	}
	if (target)
		read_file(target, before, sizeof(before));
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	int wd = -1;
	if (target)
		wd = inotify_add_watch(in, target, IN_OPEN | IN_ACCESS | IN_MODIFY | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
	/* drain any events from our own read above */
	char evbuf[4096] __attribute__((aligned(8)));
	while (read(in, evbuf, sizeof(evbuf)) > 0)
		;
	memset(a, 0x5a, 4096);
	errno = 0;
	int rc = !strcmp(c->variant, "drain") ? pmem_deep_drain(a, 4096) : pmem_deep_persist(a, 4096);
	int err = errno;
	int opened = 0, wrote = 0;
	ssize_t n;
	while ((n = read(in, evbuf, sizeof(evbuf))) > 0) {
		for (char *p = evbuf; p < evbuf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->mask & IN_OPEN)
				opened = 1;
			if (ev->mask & (IN_MODIFY | IN_CLOSE_WRITE))
				wrote = 1;
			p += sizeof(*ev) + ev->len;
		}
	}
	char after[64] = "";
	if (target)
		read_file(target, after, sizeof(after));
	for (char *p = before; *p; p++)
		if (*p == '\n') *p = '|';
	for (char *p = after; *p; p++)
		if (*p == '\n') *p = '|';
	info(base, "watch %d opened %d wrote %d before '%s' after '%s'", wd, opened, wrote, before, after);
	checkp(base, ".rc", "0", "%s", rc_str(rc, err));
	if (target && strcmp(c->expected_write, "-")) {
		checkp(base, ".write", c->expected_write, "%s", wrote ? "write" : "nowrite");
	}
	pmem_unmap(a, ml);
}

/* deepflush DEV VARIANT:EXPECTED_WRITE... */
static void cmd_deepflush(const char *path, int n, char **cases)
{
	if (dev_init(&D, path) != 0) {
		check("df.env.sysfs", "ok", "unreadable");
		return;
	}
	for (int i = 0; i < n; i++) {
		char *colon = strchr(cases[i], ':');
		if (!colon) {
			check("df.usage", "VARIANT:EXPECTED", "%s", cases[i]);
			continue;
		}
		*colon = 0;
		struct dfcase c = {cases[i], colon + 1};
		char name[64];
		snprintf(name, sizeof(name), "df.%s", c.variant);
		group(name, df_run, &c);
	}
}

/* ---- filesystem DAX -------------------------------------------------------------------- */

/* Whether the kernel grants MAP_SYNC for this file (the oracle for is_pmem). */
static int probe_map_sync(const char *file)
{
	int fd = open(file, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	munmap(p, 4096);
	return 1;
}

static int probe_dax(const char *file)
{
	struct statx stx;
	if (statx(AT_FDCWD, file, 0, STATX_BASIC_STATS, &stx) != 0)
		return -1;
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return -2;
	return (stx.stx_attributes & STATX_ATTR_DAX) ? 1 : 0;
}

struct fscase {
	const char *prefix;
	const char *file;
	int granted;
};

static void fs_main(void *arg)
{
	struct fscase *c = arg;
	char exp[8];
	size_t len = 4 << 20, ml = 0;
	int ip = -1;
	char newfile[PATH_MAX + 8];
	snprintf(exp, sizeof(exp), "%d", c->granted);
	snprintf(newfile, sizeof(newfile), "%s.new", c->file);
	unlink(newfile);
	errno = 0;
	void *a = pmem_map_file(newfile, len, PMEM_FILE_CREATE, 0644, &ml, &ip);
	checkp(c->prefix, ".create", "ok", "%s", map_str(a, errno));
	if (!a)
		return;
	checkp(c->prefix, ".create.is_pmem", exp, "%d", ip);
	checkp(c->prefix, ".is_pmem", exp, "%d", pmem_is_pmem(a, ml));
	checkp(c->prefix, ".is_pmem.len0", "0", "%d", pmem_is_pmem(a, 0));
	memset(a, 0x11, ml);
	int rc = pmem_msync(a, 4096);
	checkp(c->prefix, ".msync", "0", "%s", rc_str(rc, errno));
	rc = pmem_deep_persist(a, ml);
	checkp(c->prefix, ".deep_persist", "0", "%s", rc_str(rc, errno));
	rc = pmem_deep_drain((char *)a + 100, 5000);
	checkp(c->prefix, ".deep_drain", "0", "%s", rc_str(rc, errno));
	rc = pmem_unmap(a, ml);
	checkp(c->prefix, ".unmap", "0", "%s", rc_str(rc, errno));

	/* an existing file (written earlier through DAX, if there is one), len 0 */
	ml = 0;
	ip = -1;
	const char *old = access(c->file, F_OK) == 0 ? c->file : newfile;
	a = pmem_map_file(old, 0, 0, 0, &ml, &ip);
	unlink(newfile);
	checkp(c->prefix, ".open", "ok", "%s", map_str(a, errno));
	if (!a)
		return;
	checkp(c->prefix, ".open.is_pmem", exp, "%d", ip);
	checkp(c->prefix, ".open.aligned", "1", "%d", (uintptr_t)a % (2 << 20) == 0);
	pmem_unmap(a, ml);
}

static void cmd_fs(const char *prefix, const char *file, const char *expect_sync, const char *expect_dax)
{
	/* the oracle: a file of our own, probed directly */
	char probe[PATH_MAX + 8];
	snprintf(probe, sizeof(probe), "%s.probe", file);
	int fd = open(probe, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, 4 << 20) != 0) {
		check("fs.env.probe", "ok", "%s", errname(errno));
		return;
	}
	close(fd);
	int granted = probe_map_sync(probe);
	int dax = probe_dax(probe);
	unlink(probe);
	char name[128];
	checkp(prefix, ".env.map_sync", expect_sync, "%d", granted);
	checkp(prefix, ".env.statx_dax", expect_dax, "%d", dax);
	struct fscase c = {prefix, file, granted};
	snprintf(name, sizeof(name), "%s.main", prefix);
	group(name, fs_main, &c);
}

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

/* fswrite: write a pattern through a pmem mapping of an existing file */
static void cmd_fswrite(const char *name, const char *file, unsigned seed)
{
	size_t ml = 0;
	int ip = -1;
	void *a = pmem_map_file(file, 0, 0, 0, &ml, &ip);
	if (!a) {
		check(name, "ok", "%s", map_str(a, errno));
		return;
	}
	unsigned char *src = malloc(ml);
	pattern(src, ml, seed);
	if (ip)
		pmem_memcpy_persist(a, src, ml);
	else {
		pmem_memcpy_nodrain(a, src, ml);
		pmem_msync(a, ml);
	}
	int rc = pmem_unmap(a, ml);
	check(name, "0", "%s", rc_str(rc, errno));
	free(src);
}

/* fsverify: read the file (not mapped) and compare with the pattern */
static void cmd_fsverify(const char *name, const char *file, unsigned seed)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
		check(name, "match", "unreadable");
		return;
	}
	size_t n = (size_t)st.st_size;
	unsigned char *want = malloc(n), *got = malloc(n);
	pattern(want, n, seed);
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, got + done, n - done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	close(fd);
	check(name, "match", "%s", done == n && !memcmp(want, got, n) ? "match" : "differ");
	free(want);
	free(got);
}

/* "%L" in a path stands for $DAXCHECK_LIB (pmdk or ours), so both runs get their own file */
static char *expand(const char *path)
{
	const char *lib = getenv("DAXCHECK_LIB");
	const char *at = strstr(path, "%L");
	if (!lib)
		lib = "x";
	if (!at)
		return strdup(path);
	size_t n = strlen(path) + strlen(lib);
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(at - path), path, lib, at + 2);
	return out;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	const char *cmd = argv[1];
	if (!strcmp(cmd, "lib") && argc == 2)
		cmd_lib();
	else if (!strcmp(cmd, "autoflush") && argc == 4)
		cmd_autoflush(argv[2], argv[3]);
	else if (!strcmp(cmd, "flush") && argc == 4)
		cmd_flush(argv[2], argv[3]);
	else if (!strcmp(cmd, "devdax") && argc == 3)
		cmd_devdax(argv[2]);
	else if (!strcmp(cmd, "deepflush") && argc >= 4)
		cmd_deepflush(argv[2], argc - 3, argv + 3);
	else if (!strcmp(cmd, "fs") && argc == 6)
		cmd_fs(argv[2], expand(argv[3]), argv[4], argv[5]);
	else if (!strcmp(cmd, "fswrite") && argc == 5)
		cmd_fswrite(argv[2], expand(argv[3]), (unsigned)atoi(argv[4]));
	else if (!strcmp(cmd, "fsverify") && argc == 5)
		cmd_fsverify(argv[2], expand(argv[3]), (unsigned)atoi(argv[4]));
	else
		goto usage;
	return 0;
usage:
	fprintf(stderr,
		"usage: daxcheck lib | autoflush NAME EXP | flush NAME skip|flush | devdax DEV |\n"
		"       deepflush DEV {real|drain|zero|five|unreadable|missing}:{write|nowrite|-}... |\n"
		"       fs PREFIX FILE EXP_MAP_SYNC EXP_DAX | fswrite NAME FILE SEED | fsverify NAME FILE SEED\n");
	return 2;
}
