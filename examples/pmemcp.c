/*
 * pmemcp -- copy a file into a persistent-memory-mapped file, the way a libpmem user does:
 * pmem_map_file creates the destination at the source's size, pmem_memcpy_persist copies and
 * makes it durable (or pmem_memcpy_nodrain + pmem_msync when the mapping isn't pmem).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmem.h>

int
main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s src-file dst-file\n", argv[0]);
		return 2;
	}
	const char *why = pmem_check_version(PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION);
	if (why != NULL) {
		fprintf(stderr, "pmemcp: %s\n", why);
		return 1;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
		fprintf(stderr, "pmemcp: %s: %s\n", argv[1], fd < 0 ? strerror(errno) : "empty");
		return 1;
	}
	void *src = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (src == MAP_FAILED) {
		perror("pmemcp: mmap");
		return 1;
	}
	size_t mapped_len;
	int is_pmem;
	char *dst = pmem_map_file(argv[2], (size_t)st.st_size, PMEM_FILE_CREATE, 0644,
			&mapped_len, &is_pmem);
	if (dst == NULL) {
		fprintf(stderr, "pmemcp: %s\n", pmem_errormsg());
		return 1;
	}
	if (is_pmem) {
		pmem_memcpy_persist(dst, src, mapped_len);
	} else {
		pmem_memcpy_nodrain(dst, src, mapped_len);
		if (pmem_msync(dst, mapped_len) != 0) {
			fprintf(stderr, "pmemcp: %s\n", pmem_errormsg());
			return 1;
		}
	}
	printf("pmemcp: %zu bytes to %s (%s)\n", mapped_len, argv[2],
			is_pmem ? "pmem, persisted with flushes" : "not pmem, msynced");
	pmem_unmap(dst, mapped_len);
	munmap(src, (size_t)st.st_size);
	return 0;
}
