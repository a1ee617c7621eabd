/*
 * t_flush.c -- pmem_flush / pmem_drain / pmem_persist / pmem_deep_flush /
 * pmem_deep_drain / pmem_deep_persist / pmem_msync with any alignment and
 * length 0, unmapped ranges, pmem_has_hw_drain, pmem_has_auto_flush,
 * pmem_check_version, pmem_errormsg (never NULL, per thread).  See t.h.
 */
#include "t.h"

#include <pthread.h>

static void
rc_line(const char *name, int r, int e)
{
	line(name, "ret=%d errno=%s", r, r == 0 ? "0" : errname(e));
}

static void *
thread_errmsg(void *arg)
{
	(void)arg;
	static char out[64];
	SNP(out, sizeof(out), "%s", errmsg_state());
	return out;
}

static void *
thread_fail(void *arg)
{
	(void)arg;
	size_t ml = 1;
	int ip = 1;
	void *p = pmem_map_file("", 0, 0, 0, &ml, &ip);
	static char out[64];
	SNP(out, sizeof(out), "ret=%s errno=%s %s", p ? "ok" : "NULL", errname(errno), errmsg_state());
	return out;
}

int
main(void)
{
	char dir[4096];
	make_scratch(dir, sizeof(dir), "t_flush");
	char path[4200];
	SNP(path, sizeof(path), "%s/f", dir);

	/* pmem_errormsg before anything failed, and pmem_check_version */
	line("errormsg.initial", "%s", errmsg_state());
	struct { unsigned maj, min; } vers[] = {
		{ 1, 0 }, { 1, 1 }, { PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION }, { 1, 2 }, { 1, 99 },
		{ 0, 0 }, { 0, 1 }, { 2, 0 }, { 2, 1 }, { 3, 7 }, { 0xFFFFFFFFu, 0xFFFFFFFFu },
	};
	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		char n[64];
		if (i == 2)
			SNP(n, sizeof(n), "check_version(PMEM_MAJOR_VERSION,PMEM_MINOR_VERSION)");
		else
			SNP(n, sizeof(n), "check_version(%u,%u)", vers[i].maj, vers[i].min);
		const char *m = pmem_check_version(vers[i].maj, vers[i].min);
		if (m == NULL)
			line(n, "NULL");
		else
			line(n, "\"%s\"", m);
	}
	{
		const char *m = pmem_check_version(2, 0);
		line("check_version.errormsg_after_mismatch", "same_text=%d",
			m != NULL && strcmp(m, pmem_errormsg()) == 0);
	}

	line("has_hw_drain", "%d", pmem_has_hw_drain());
	line("has_auto_flush", "%d", pmem_has_auto_flush());
	line("has_auto_flush.again", "%d", pmem_has_auto_flush());

	size_t ml = 0;
	int isp = -1;
	char *p = pmem_map_file(path, 1 << 20, PMEM_FILE_CREATE, 0600, &ml, &isp);
	if (p == NULL) {
		line("setup", "pmem_map_file failed errno=%s", errname(errno));
		return 1;
	}
	line("setup", "mapped_len=%zu is_pmem=%d", ml, isp);

	/* flush / drain / persist / deep_flush: any alignment, len 0; must not crash */
	static const size_t lens[] = { 0, 1, 2, 7, 8, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097, 65536, 262145 };
	unsigned long n = 0;
	for (size_t off = 0; off < 130; off += (off < 70 ? 1 : 29))
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
			memset(p + off, (int)(off + li), lens[li]);
			pmem_flush(p + off, lens[li]);
			pmem_drain();
			pmem_persist(p + off, lens[li]);
			pmem_deep_flush(p + off, lens[li]);
			n++;
		}
	line("flush_drain_persist_deep_flush.mapped", "ok (%lu cases)", n);
	pmem_drain();
	pmem_drain();
	line("drain.twice", "ok");

	/* the same on ordinary memory (heap, stack) */
	{
		char stackbuf[300];
		memset(stackbuf, 1, sizeof(stackbuf));
		char *h = malloc(70000);
		memset(h, 2, 70000);
		for (size_t off = 0; off < 70; off++) {
			pmem_flush(stackbuf + off, 200);
			pmem_persist(stackbuf + off, 0);
			pmem_persist(h + off, 65536 + off);
			pmem_deep_flush(h + off, 100);
		}
		line("flush_persist.heap_stack", "ok data=%d", stackbuf[299] == 1 && h[69999] == 2);
		free(h);
	}

	/* msync */
	int r;
	errno = 0;
	r = pmem_msync(p, ml);
	rc_line("msync.whole", r, errno);
	errno = 0;
	r = pmem_msync(p + 1, 10);
	rc_line("msync.unaligned", r, errno);
	errno = 0;
	r = pmem_msync(p + 4095, 2);
	rc_line("msync.straddle", r, errno);
	errno = 0;
	r = pmem_msync(p + 100, 0);
	rc_line("msync.len0", r, errno);

	/* deep_drain / deep_persist on a mapped range */
	errno = 0;
	r = pmem_deep_drain(p, ml);
	rc_line("deep_drain.whole", r, errno);
	errno = 0;
	r = pmem_deep_drain(p + 3, 100);
	rc_line("deep_drain.unaligned", r, errno);
	errno = 0;
	r = pmem_deep_drain(p + 3, 0);
	rc_line("deep_drain.len0", r, errno);
	errno = 0;
	r = pmem_deep_persist(p, ml);
	rc_line("deep_persist.whole", r, errno);
	errno = 0;
	r = pmem_deep_persist(p + 77, 5000);
	rc_line("deep_persist.unaligned", r, errno);
	errno = 0;
	r = pmem_deep_persist(p + 77, 0);
	rc_line("deep_persist.len0", r, errno);
	/* on heap memory (private anonymous, msync is fine there) */
	{
		char *h = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		h[0] = 1;
		errno = 0;
		r = pmem_deep_persist(h + 1, 100);
		rc_line("deep_persist.anonymous", r, errno);
		errno = 0;
		r = pmem_msync(h + 1, 100);
		rc_line("msync.anonymous", r, errno);
		munmap(h, 8192);
	}

	/* unmapped ranges */
	char *u = unmapped_range(16384);
	errno = 0;
	r = pmem_msync(u, 100);
	rc_line("msync.unmapped", r, errno);
	line("msync.unmapped.errmsg", "%s", errmsg_state());
	errno = 0;
	r = pmem_msync(u + 5, 8000);
	rc_line("msync.unmapped_unaligned", r, errno);
	errno = 0;
	r = pmem_msync(u, 0);
	rc_line("msync.unmapped_len0", r, errno);

	/* len 0 still syncs from the page start up to an unaligned address */
	errno = 0;
	r = pmem_msync(u + 5, 0);
	rc_line("msync.unmapped_unaligned_len0", r, errno);
	errno = 0;
	r = pmem_deep_drain(u, 100);
	rc_line("deep_drain.unmapped", r, errno);
	errno = 0;
	r = pmem_deep_drain(u, 0);
	rc_line("deep_drain.unmapped_len0", r, errno);
	/* PMDK 1.12 crashes (SIGSEGV) in pmem_deep_persist on an unmapped range */
	if (is_ours()) {
		errno = 0;
		r = pmem_deep_persist(u, 100);
		rc_line("deep_persist.unmapped", r, errno);
		errno = 0;
		r = pmem_deep_persist(u + 9, 5000);
		rc_line("deep_persist.unmapped_unaligned", r, errno);
	} else {
		line("deep_persist.unmapped", "not run (PMDK crashes)");
		line("deep_persist.unmapped_unaligned", "not run (PMDK crashes)");
	}
	errno = 0;
	r = pmem_deep_persist(u, 0);
	rc_line("deep_persist.unmapped_len0", r, errno);

	/* partially unmapped: range runs past the end of the mapping */
	errno = 0;
	r = pmem_msync(p + ml - 4096, 3 * 4096);
	rc_line("msync.past_end", r, errno);

	/* pmem_errormsg is per thread */
	{
		size_t ml2 = 1;
		int ip2 = 1;
		void *q = pmem_map_file(NULL, 0, 0, 0, &ml2, &ip2);
		line("errormsg.after_failure", "ret=%s %s", q ? "ok" : "NULL", errmsg_state());
		pthread_t t;
		void *out;
		pthread_create(&t, NULL, thread_errmsg, NULL);
		pthread_join(t, &out);
		line("errormsg.other_thread_initial", "%s", (char *)out);
		pthread_create(&t, NULL, thread_fail, NULL);
		pthread_join(t, &out);
		line("errormsg.other_thread_failure", "%s", (char *)out);
		line("errormsg.main_thread_kept", "%s", errmsg_state());
		const char *a = pmem_errormsg();
		const char *b = pmem_errormsg();
		line("errormsg.stable_pointer", "%d", a == b);
	}

	errno = 0;
	r = pmem_unmap(p, ml);
	rc_line("unmap", r, errno);
	rm_rf(dir);
	return 0;
}
