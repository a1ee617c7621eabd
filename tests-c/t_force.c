/*
 * t_force.c -- pmem_is_pmem and pmem_map_file's *is_pmemp under the
 * PMEM_IS_PMEM_FORCE environment variable.  run.sh runs this program with
 * the variable unset, 0, 1 and some ignored values.  See t.h.
 *
 * "t_force setenv VALUE ORDER" sets the variable from main instead (VALUE
 * "-" unsets it), with ORDER saying what the program called before:
 *   before          nothing: the first pmem_is_pmem reads the new value
 *   after           pmem_is_pmem
 *   after_map       pmem_map_file with is_pmemp (which asks pmem_is_pmem)
 *   after_map_null  pmem_map_file with is_pmemp NULL (which does not)
 */
#include "t.h"

static void
map_line(const char *name, const char *path, int want_isp)
{
	size_t ml = 0;
	int isp = -7;
	char *p = pmem_map_file(path, 4096, PMEM_FILE_CREATE, 0600, &ml, want_isp ? &isp : NULL);
	line(name, "ret=%s is_pmem=%d", p ? "ok" : "NULL", isp);
	if (p)
		pmem_unmap(p, ml);
	unlink(path);
}

/* the variable as the program starts, and a scratch file path in a new directory */
static void
start(const char *scratch, char *dir, size_t dirsz, char *path, size_t pathsz)
{
	const char *f = getenv("PMEM_IS_PMEM_FORCE");
	line("env", "PMEM_IS_PMEM_FORCE=%s", f ? f : "(unset)");
	make_scratch(dir, dirsz, scratch);
	SNP(path, pathsz, "%s/f", dir);
}

static int
setenv_in_main(const char *value, const char *order)
{
	char dir[4096], path[4200];
	start("t_force_setenv", dir, sizeof(dir), path, sizeof(path));
	int stackvar = 1;

	if (strcmp(order, "after") == 0)
		line("is_pmem.before_setenv", "%d", pmem_is_pmem(&stackvar, sizeof(stackvar)));
	else if (strcmp(order, "after_map") == 0)
		map_line("map.before_setenv", path, 1);
	else if (strcmp(order, "after_map_null") == 0)
		map_line("map_null.before_setenv", path, 0);
	else if (strcmp(order, "before") != 0)
		return 2;

	if (strcmp(value, "-") == 0)
		unsetenv("PMEM_IS_PMEM_FORCE");
	else
		setenv("PMEM_IS_PMEM_FORCE", value, 1);
	line("setenv", "%s %s", value, order);
	line("is_pmem.stack", "%d", pmem_is_pmem(&stackvar, sizeof(stackvar)));
	line("is_pmem.len0", "%d", pmem_is_pmem(&stackvar, 0));
	map_line("map.after_setenv", path, 1);
	/* read once: a second change is ignored whatever the order */
	setenv("PMEM_IS_PMEM_FORCE", strcmp(value, "1") == 0 ? "0" : "1", 1);
	line("is_pmem.after_second_setenv", "%d", pmem_is_pmem(&stackvar, sizeof(stackvar)));
	rm_rf(dir);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "setenv") == 0)
		return setenv_in_main(argv[2], argv[3]);
	char dir[4096], path[4200];
	start("t_force", dir, sizeof(dir), path, sizeof(path));

	int stackvar = 1;
	char *heap = malloc(100);
	/* first call happens before any mapping exists */
	line("is_pmem.stack_first_call", "%d", pmem_is_pmem(&stackvar, sizeof(stackvar)));

	size_t ml = 0;
	int isp = -7;
	char *p = pmem_map_file(path, 3 << 20, PMEM_FILE_CREATE, 0600, &ml, &isp);
	if (p == NULL) {
		line("map", "ret=NULL errno=%s", errname(errno));
		return 1;
	}
	line("map", "ret=ok mapped_len=%zu is_pmem=%d", ml, isp);
	const char *hint = getenv("PMEM_MMAP_HINT");
	if (hint != NULL) {
		/* PMEM_MMAP_HINT=addr: the first free suitably aligned address at or above it */
		uintptr_t h = (uintptr_t)strtoull(hint, NULL, 16);
		line("hint.placement", "at_or_above=%d offset=0x%llx", (uintptr_t)p >= h,
			(unsigned long long)((uintptr_t)p - h));
		/* a second mapping while the first is alive goes above it */
		char path3[4300];
		SNP(path3, sizeof(path3), "%s/h", dir);
		size_t ml3 = 0;
		char *h3 = pmem_map_file(path3, 4096, PMEM_FILE_CREATE, 0600, &ml3, NULL);
		line("hint.second", "ret=%s above_first=%d aligned_2m=%d", h3 ? "ok" : "NULL",
			h3 > p, (uintptr_t)h3 % (2u << 20) == 0);
		if (h3)
			pmem_unmap(h3, ml3);
	}
	line("is_pmem.whole", "%d", pmem_is_pmem(p, ml));
	line("is_pmem.len0", "%d", pmem_is_pmem(p, 0));
	line("is_pmem.one_byte", "%d", pmem_is_pmem(p + 12345, 1));
	line("is_pmem.past_end", "%d", pmem_is_pmem(p + ml - 10, 20));
	line("is_pmem.heap", "%d", pmem_is_pmem(heap, 100));
	line("is_pmem.stack", "%d", pmem_is_pmem(&stackvar, sizeof(stackvar)));
	line("is_pmem.null_len0", "%d", pmem_is_pmem(NULL, 0));

	/* the variable is read once: changing it now has no effect */
	const char *f = getenv("PMEM_IS_PMEM_FORCE");
	setenv("PMEM_IS_PMEM_FORCE", f && strcmp(f, "1") == 0 ? "0" : "1", 1);
	line("is_pmem.after_setenv", "%d", pmem_is_pmem(p, ml));
	char path2[4300];
	SNP(path2, sizeof(path2), "%s/g", dir);
	size_t ml2 = 0;
	int isp2 = -7;
	char *q = pmem_map_file(path2, 4096, PMEM_FILE_CREATE, 0600, &ml2, &isp2);
	line("map2_after_setenv", "ret=%s is_pmem=%d", q ? "ok" : "NULL", isp2);
	if (q)
		pmem_unmap(q, ml2);

	line("unmap", "%d", pmem_unmap(p, ml));
	line("is_pmem.after_unmap", "%d", pmem_is_pmem(p, ml));
	free(heap);
	rm_rf(dir);
	return 0;
}
