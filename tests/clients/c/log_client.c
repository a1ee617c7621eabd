/*
 * libpmemlog client: appends (append + appendv) until full or N records,
 * close, reopen, walk (whole and chunked) and verify every byte; rewind.
 * usage: log_client POOLFILE NREC SEED
 */
#include "tc_common.h"
#include <sys/uio.h>
#include <libpmem.h>
#include <libpmemlog.h>

static unsigned char *expect;
static size_t expect_len;
static unsigned char *got;
static size_t got_len;

static int walk_cb(const void *buf, size_t len, void *arg)
{
	(void)arg;
	memcpy(got + got_len, buf, len);
	got_len += len;
	return 1;
}

static void walk_and_compare(PMEMlogpool *plp, size_t chunk, const char *when)
{
	got_len = 0;
	pmemlog_walk(plp, chunk, walk_cb, NULL);
	CHECK(got_len == expect_len, "%s chunk=%zu: walked %zu bytes, expected %zu", when, chunk, got_len, expect_len);
	CHECK(memcmp(got, expect, expect_len) == 0, "%s chunk=%zu: log content mismatch", when, chunk);
	/* parse records: [u32 len][u32 seq][payload] */
	size_t p = 0; uint32_t seq = 0;
	while (p < got_len) {
		uint32_t l, s;
		memcpy(&l, got + p, 4); memcpy(&s, got + p + 4, 4);
		CHECK(s == seq, "%s: record %u has seq %u", when, seq, s);
		CHECK(tc_check_pattern(got + p + 8, l, s), "%s: record %u payload", when, s);
		p += 8 + l; seq++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) { fprintf(stderr, "usage: %s POOL NREC SEED\n", argv[0]); return 2; }
	const char *path = argv[1];
	unsigned nrec = (unsigned)strtoul(argv[2], NULL, 0);
	uint64_t rng = strtoull(argv[3], NULL, 0);
	size_t poolsz = 16 << 20;
	unlink(path);
	PMEMlogpool *plp = pmemlog_create(path, poolsz, 0600);
	CHECK(plp, "pmemlog_create: %s", pmemlog_errormsg());
	size_t cap = pmemlog_nbyte(plp);
	expect = malloc(cap); got = malloc(cap);
	unsigned seq;
	for (seq = 0; seq < nrec; seq++) {
		uint32_t l = (uint32_t)tc_below(&rng, 3000), s = seq;
		unsigned char *rec = malloc(8 + l);
		memcpy(rec, &l, 4); memcpy(rec + 4, &s, 4);
		tc_pattern(rec + 8, l, s);
		int ret;
		if (seq % 5 == 0) {
			struct iovec iov[3] = { { rec, 4 }, { rec + 4, 4 }, { rec + 8, l } };
			ret = pmemlog_appendv(plp, iov, 3);
		} else {
			ret = pmemlog_append(plp, rec, 8 + l);
		}
		if (ret < 0) {
			CHECK(errno == ENOSPC, "append %u: %s", seq, pmemlog_errormsg());
			free(rec);
			break;
		}
		memcpy(expect + expect_len, rec, 8 + l);
		expect_len += 8 + l;
		free(rec);
		CHECK((size_t)pmemlog_tell(plp) == expect_len, "tell after %u", seq);
	}
	walk_and_compare(plp, 0, "before close");
	pmemlog_close(plp);
	CHECK(pmemlog_check(path) == 1, "pmemlog_check: %s", pmemlog_errormsg());
	plp = pmemlog_open(path);
	CHECK(plp, "pmemlog_open: %s", pmemlog_errormsg());
	CHECK((size_t)pmemlog_tell(plp) == expect_len, "tell after reopen");
	walk_and_compare(plp, 0, "after reopen");
	walk_and_compare(plp, 4096, "after reopen");
	walk_and_compare(plp, 777, "after reopen");
	pmemlog_rewind(plp);
	CHECK(pmemlog_tell(plp) == 0, "tell after rewind");
	expect_len = 0;
	walk_and_compare(plp, 0, "after rewind");
	/* refill a little after rewind */
	for (unsigned s = 0; s < 100; s++) {
		uint32_t l = s * 3;
		unsigned char rec[8 + 300];
		memcpy(rec, &l, 4); memcpy(rec + 4, &s, 4);
		tc_pattern(rec + 8, l, s);
		CHECK(pmemlog_append(plp, rec, 8 + l) == 0, "append after rewind: %s", pmemlog_errormsg());
		memcpy(expect + expect_len, rec, 8 + l); expect_len += 8 + l;
	}
	pmemlog_close(plp);
	plp = pmemlog_open(path);
	CHECK(plp, "pmemlog_open 2: %s", pmemlog_errormsg());
	walk_and_compare(plp, 0, "after rewind+reopen");
	pmemlog_close(plp);
	CHECK(pmemlog_check(path) == 1, "pmemlog_check 2");
	printf("log_client: %u records appended (log capacity %zu bytes), walked and verified\n", seq, cap);
	TC_DONE("log_client");
}
