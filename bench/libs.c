/*
 * libs.c -- load the two libpmem.so.1 copies (PMDK, ours) into one process.
 *
 * Both carry SONAME libpmem.so.1.  They are loaded by path with
 * dlopen(RTLD_LOCAL); if the loader hands back the same object (same file,
 * e.g. PMDK in both slots for a self-test), the second slot is loaded with
 * dlmopen(LM_ID_NEWLM) so that two distinct copies really exist.  Every
 * function is resolved with dlvsym(..., "LIBPMEM_1.0") (dlsym fallback) into
 * one struct of function pointers per library, and the distinctness is
 * checked through dladdr() and the link maps (RTLD_DI_LINKMAP / RTLD_DI_LMID).
 */
#include "pmembench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

lib_t Lib[2];

static struct {
	const char *name;
	size_t off;
} Syms[] = {
#define S(n) { "pmem_" #n, offsetof(lib_t, n) }
	S(map_file), S(unmap), S(is_pmem), S(persist), S(msync),
	S(has_auto_flush), S(flush), S(deep_flush), S(deep_drain),
	S(deep_persist), S(drain), S(has_hw_drain), S(memmove_persist),
	S(memcpy_persist), S(memset_persist), S(memmove_nodrain),
	S(memcpy_nodrain), S(memset_nodrain), S(memmove), S(memcpy),
	S(memset), S(check_version), S(errormsg),
#undef S
};
#define NSYMS (sizeof(Syms) / sizeof(Syms[0]))

static void lib_resolve(lib_t *l)
{
	int missing = 0;
	for (size_t i = 0; i < NSYMS; i++) {
		void *f = dlvsym(l->handle, Syms[i].name, "LIBPMEM_1.0");
		if (!f)
			f = dlsym(l->handle, Syms[i].name);
		if (!f) {
			fprintf(stderr, "pmembench: %s (%s): missing symbol %s\n",
				l->label, l->path, Syms[i].name);
			missing++;
		}
		*(void **)((char *)l + Syms[i].off) = f;
	}
	if (missing)
		die("%s: %d symbol(s) missing", l->label, missing);
}

static void lib_linkmap(lib_t *l)
{
	struct link_map *lm = NULL;
	if (dlinfo(l->handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
		die("dlinfo(RTLD_DI_LINKMAP) failed: %s", dlerror());
	l->base = (uintptr_t)lm->l_addr;
	snprintf(l->realname, sizeof(l->realname), "%s", lm->l_name);
	if (dlinfo(l->handle, RTLD_DI_LMID, &l->lmid) != 0)
		l->lmid = -1;
}

static void *lib_open_plain(const char *path)
{
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static void lib_open(lib_t *l)
{
	l->handle = lib_open_plain(l->path);
	if (!l->handle)
		die("dlopen %s: %s", l->path, dlerror());
	lib_linkmap(l);
}

/* two distinct copies, each symbol inside its own object */
static void libs_verify_distinct(void)
{
	if (Lib[0].base == Lib[1].base)
		die("both slots resolve to the same object (base %#lx)",
		    (unsigned long)Lib[0].base);
	for (size_t i = 0; i < NSYMS; i++) {
		void *f0 = *(void **)((char *)&Lib[0] + Syms[i].off);
		void *f1 = *(void **)((char *)&Lib[1] + Syms[i].off);
		Dl_info d0, d1;
		if (f0 == f1)
			die("%s resolves to the same address in both slots",
			    Syms[i].name);
		if (!dladdr(f0, &d0) || !dladdr(f1, &d1))
			die("dladdr(%s) failed", Syms[i].name);
		if (d0.dli_fbase == d1.dli_fbase)
			die("dladdr: %s of both slots lies in the same object",
			    Syms[i].name);
	}
}

void libs_load(const char *pmdk_path, const char *ours_path)
{
	Lib[0].label = "PMDK";
	Lib[1].label = "ours";
	snprintf(Lib[0].path, sizeof(Lib[0].path), "%s", pmdk_path);
	snprintf(Lib[1].path, sizeof(Lib[1].path), "%s", ours_path);

	for (int i = 0; i < 2; i++)
		if (access(Lib[i].path, R_OK) != 0)
			die("%s library %s: %s", Lib[i].label, Lib[i].path,
			    strerror(errno));

	lib_open(&Lib[0]);
	lib_open(&Lib[1]);

	if (Lib[1].handle == Lib[0].handle || Lib[1].base == Lib[0].base) {
		/* the loader de-duplicated (same file): new namespace */
		dlclose(Lib[1].handle);
		Lib[1].handle = dlmopen(LM_ID_NEWLM, Lib[1].path,
					RTLD_NOW | RTLD_LOCAL);
		if (!Lib[1].handle)
			die("dlmopen %s: %s", Lib[1].path, dlerror());
		Lib[1].via_dlmopen = 1;
		lib_linkmap(&Lib[1]);
	}

	lib_resolve(&Lib[0]);
	lib_resolve(&Lib[1]);
	libs_verify_distinct();
}

/* 1 when both slots hold the same bytes (same path, or a byte-identical copy):
 * the run is then a self-test and its ratios measure the noise band */
int libs_same_file(void)
{
	char rp0[4096], rp1[4096];
	int same_file = realpath(Lib[0].path, rp0) && realpath(Lib[1].path, rp1) &&
			strcmp(rp0, rp1) == 0;
	if (same_file)
		return 1;
	struct stat s0, s1;
	FILE *f0 = fopen(Lib[0].path, "rb"), *f1 = fopen(Lib[1].path, "rb");
	if (f0 && f1 && !stat(Lib[0].path, &s0) && !stat(Lib[1].path, &s1) &&
	    s0.st_size == s1.st_size) {
		int c0, c1;
		do {
			c0 = fgetc(f0);
			c1 = fgetc(f1);
		} while (c0 == c1 && c0 != EOF);
		same_file = c0 == c1;
	}
	if (f0)
		fclose(f0);
	if (f1)
		fclose(f1);
	return same_file;
}
