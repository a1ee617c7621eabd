/*
 * t_logenv.c -- PMEM_LOG_LEVEL and PMEM_LOG_FILE as a user sets them.
 *
 * Only the 1.12 API, so that run.sh can run it against PMDK's debug build
 * (Debian's libpmem1-debug; the release build logs nothing) and compare.
 * Makes one failing pmem_map_file (a missing file: an error) and one that
 * works, then reads the log file and reports, line by line, what a user
 * filtering by level relies on: each line is "<libpmem>: <N> [...] ...",
 * N is at most PMEM_LOG_LEVEL (any level is taken, 15 included), the error
 * is tagged <1>, and which tags appear.  See t.h.
 */
#include "t.h"

int
main(void)
{
	const char *lvl = getenv("PMEM_LOG_LEVEL");
	const char *file = getenv("PMEM_LOG_FILE");
	line("env", "PMEM_LOG_LEVEL=%s", lvl ? lvl : "(unset)");
	if (file == NULL || *file == 0)
		return 2;
	char dir[4096], path[4200];
	make_scratch(dir, sizeof(dir), "t_logenv");
	size_t ml;
	int ip;
	SNP(path, sizeof(path), "%s/missing/file", dir);
	if (pmem_map_file(path, 0, 0, 0, &ml, &ip) != NULL)
		return 3;
	SNP(path, sizeof(path), "%s/m", dir);
	void *a = pmem_map_file(path, 8192, PMEM_FILE_CREATE, 0600, &ml, &ip);
	if (a == NULL)
		return 4;
	pmem_unmap(a, ml);
	rm_rf(dir);

	FILE *f = fopen(file, "r");
	line("file.exists", "%d", f != NULL);
	int level = lvl ? atoi(lvl) : 0;
	if (f == NULL || level <= 0) {
		if (f)
			fclose(f);
		return 0;
	}
	int lines = 0, well_formed = 0, within = 0, error_tag = -1;
	int seen[5] = {0};
	char buf[4096];
	while (fgets(buf, sizeof(buf), f)) {
		int tag;
		char open;
		lines++;
		if (sscanf(buf, "<libpmem>: <%d> %c", &tag, &open) != 2 || open != '[')
			continue;
		well_formed++;
		within += tag >= 1 && tag <= level;
		if (tag >= 1 && tag <= 4)
			seen[tag] = 1;
		if (error_tag < 0 && strstr(buf, "No such file or directory"))
			error_tag = tag;
	}
	fclose(f);
	line("lines", "any=%d all_well_formed=%d", lines > 0, lines == well_formed);
	line("tags.within_level", "%d", lines == within);
	line("tags.seen", "1=%d 3=%d 4=%d", seen[1], seen[3], seen[4]);
	line("error.tag", "%d", error_tag);
	return 0;
}
