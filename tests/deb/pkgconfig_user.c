/*
 * Built in the chroot with `pkg-config --cflags --libs libpmem` against libpmem-rs-dev: the
 * logging calls exist only in our header (PMDK 1.12's has none), so a successful build shows
 * that header was used; the run maps, copies and persists a file through the library.
 */
#include <stdio.h>
#include <string.h>

#include <libpmem.h>

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	enum pmem_log_level level;
	if (pmem_log_set_threshold(PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_ERROR) != 0 ||
	    pmem_log_get_threshold(PMEM_LOG_THRESHOLD, &level) != 0 || level != PMEM_LOG_LEVEL_ERROR) {
		fprintf(stderr, "log threshold: %s\n", pmem_errormsg());
		return 1;
	}
	size_t len;
	int is_pmem;
	char *p = pmem_map_file(argv[1], 1 << 20, PMEM_FILE_CREATE, 0600, &len, &is_pmem);
	if (p == NULL) {
		fprintf(stderr, "pmem_map_file: %s\n", pmem_errormsg());
		return 1;
	}
	const char msg[] = "persisted through libpmem-rs-dev";
	pmem_memcpy_persist(p + 4096, msg, sizeof(msg));
	int ok = memcmp(p + 4096, msg, sizeof(msg)) == 0 && len == 1 << 20;
	pmem_unmap(p, len);
	printf("%s: mapped %zu bytes, copy %s\n", argv[0], len, ok ? "ok" : "WRONG");
	return ok ? 0 : 1;
}
