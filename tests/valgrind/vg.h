/*
 * vg.h -- what the Valgrind test programs share: "prog file [bugs]" and the mapped file.
 */
#ifndef VG_H
#define VG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when the planted bugs are asked for; exits with a usage line without a file argument */
static inline int
bugs_wanted(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s file [bugs]\n", argv[0]);
		exit(2);
	}
	return argc > 2 && strcmp(argv[2], "bugs") == 0;
}

#ifdef LIBPMEM_H
/* a 1 MiB file mapped with pmem_map_file, or exit */
static inline char *
map_or_exit(const char *path, size_t *mlen)
{
	int is_pmem;
	char *p = pmem_map_file(path, 1 << 20, PMEM_FILE_CREATE, 0600, mlen, &is_pmem);
	if (p == NULL) {
		perror("pmem_map_file");
		exit(1);
	}
	return p;
}
#endif

#endif
