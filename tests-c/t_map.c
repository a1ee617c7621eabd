/*
 * t_map.c -- pmem_map_file / pmem_unmap / pmem_is_pmem: argument errors,
 * CREATE/EXCL/SPARSE/TMPFILE semantics, special files, untouched out-parameters,
 * unmap errors.  One line per check; see t.h.
 */
#include "t.h"

#include <dirent.h>
#include <limits.h>
#include <sys/mount.h>

#undef PATH_MAX
#define PATH_MAX 8192

#define SENT_LEN ((size_t)0xdeadbeef)
#define SENT_PMEM 12345

static char Dir[PATH_MAX];	/* scratch dir of the current block */
static const char *Pfx = "";	/* check-name prefix of the current block */

static char *
P(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static int i;
	char *b = bufs[i++ & 3];
	SNP(b, PATH_MAX, "%s/%s", Dir, rel);
	return b;
}

static const char *
N(const char *name)
{
	static char bufs[4][256];
	static int i;
	char *b = bufs[i++ & 3];
	SNP(b, 256, "%s%s", Pfx, name);
	return b;
}

/* describes a path: exists, type, size, mode, allocation */
static const char *
fstate(const char *path)
{
	static char buf[256];
	struct stat st;
	if (lstat(path, &st) != 0) {
		SNP(buf, sizeof(buf), "exists=0");
		return buf;
	}
	const char *type = S_ISREG(st.st_mode) ? "reg" : S_ISDIR(st.st_mode) ? "dir" :
		S_ISLNK(st.st_mode) ? "symlink" : S_ISFIFO(st.st_mode) ? "fifo" : "other";
	if (!S_ISREG(st.st_mode)) {
		SNP(buf, sizeof(buf), "exists=1 type=%s", type);
		return buf;
	}
	unsigned long long alloc = (unsigned long long)st.st_blocks * 512ULL;
	const char *a = st.st_size == 0 ? "empty" :
		alloc >= (unsigned long long)st.st_size ? "full" :
		alloc == 0 ? "sparse" : "partial";
	SNP(buf, sizeof(buf), "exists=1 type=reg size=%lld mode=%s alloc=%s",
		(long long)st.st_size, fmt_mode(st.st_mode), a);
	return buf;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
write_pattern(const char *path, size_t len, unsigned seed, mode_t mode)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);
	if (fd < 0) {
		perror(path);
		exit(99);
	}
	fchmod(fd, mode);
	char buf[4096];
	size_t done = 0;
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)((done + i) * 31 + seed);
		if (write(fd, buf, n) != (ssize_t)n) {
			perror("write");
			exit(99);
		}
		done += n;
	}
	close(fd);
}

/* 1 if the first len bytes of the file (or memory) carry the pattern */
static int
mem_has_pattern(const char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (char)(i * 31 + seed))
			return 0;
	return 1;
}

static int
file_has_pattern(const char *path, size_t len, unsigned seed)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	char *b = malloc(len + 1);
	ssize_t r = read(fd, b, len);
	close(fd);
	int ok = r == (ssize_t)len && mem_has_pattern(b, len, seed);
	free(b);
	return ok;
}

static int
file_is_zero_from(const char *path, size_t from, size_t to)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	int ok = 1;
	char c;
	for (size_t i = from; i < to && ok; i++)
		if (pread(fd, &c, 1, (off_t)i) != 1 || c != 0)
			ok = 0;
	close(fd);
	return ok;
}

/*
 * Calls pmem_map_file with sentinel out-parameters and prints the outcome.
 * On success the mapping is returned (and *lenp set); the caller unmaps it.
 */
static void *
try_map(const char *name, const char *path, size_t len, int flags, mode_t mode, size_t *lenp)
{
	size_t ml = SENT_LEN;
	int ip = SENT_PMEM;
	errno = 0;
	void *p = pmem_map_file(path, len, flags, mode, &ml, &ip);
	int e = errno;
	if (p == NULL) {
		line(name, "ret=NULL errno=%s lenp=%s is_pmemp=%s %s", errname(e),
			ml == SENT_LEN ? "untouched" : "CHANGED",
			ip == SENT_PMEM ? "untouched" : "CHANGED", errmsg_state());
		return NULL;
	}
	line(name, "ret=ok mapped_len=%zu is_pmem=%d", ml, ip);
	if (lenp)
		*lenp = ml;
	return p;
}

/* maps, prints, unmaps */
static void
map_unmap(const char *name, const char *path, size_t len, int flags, mode_t mode)
{
	size_t ml = 0;
	void *p = try_map(name, path, len, flags, mode, &ml);
	if (p != NULL) {
		int r = pmem_unmap(p, ml);
		if (r != 0)
			line(name, "unmap failed errno=%s", errname(errno));
	}
}

static void
state(const char *name, const char *path)
{
	char n[300];
	SNP(n, sizeof(n), "%s.state", name);
	line(n, "%s", fstate(path));
}

static void
argument_errors(void)
{
	Pfx = "args.";
	write_pattern(P("regular"), 8192, 1, 0644);

	map_unmap(N("unknown_flag_bit4"), P("a"), 4096, PMEM_FILE_CREATE | (1 << 4), 0666);
	state(N("unknown_flag_bit4"), P("a"));
	map_unmap(N("unknown_flag_high"), P("a"), 4096, PMEM_FILE_CREATE | (1 << 30), 0666);
	state(N("unknown_flag_high"), P("a"));
	map_unmap(N("flags_minus1"), P("a"), 4096, -1, 0666);
	state(N("flags_minus1"), P("a"));
	map_unmap(N("unknown_flag_nocreate_existing"), P("regular"), 0, 1 << 7, 0666);

	map_unmap(N("create_len0"), P("b"), 0, PMEM_FILE_CREATE, 0666);
	state(N("create_len0"), P("b"));
	map_unmap(N("create_len0_existing"), P("regular"), 0, PMEM_FILE_CREATE, 0666);
	state(N("create_len0_existing"), P("regular"));
	map_unmap(N("create_excl_len0"), P("b"), 0, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0666);
	state(N("create_excl_len0"), P("b"));

	map_unmap(N("len_without_create"), P("regular"), 4096, 0, 0666);
	map_unmap(N("len_without_create_missing"), P("c"), 4096, 0, 0666);
	state(N("len_without_create_missing"), P("c"));

	map_unmap(N("tmpfile_without_create"), Dir, 4096, PMEM_FILE_TMPFILE, 0666);
	map_unmap(N("tmpfile_len0"), Dir, 0, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0666);
	line(N("tmpfile_errors.dir_entries"), "%d", count_entries(Dir));

	map_unmap(N("len_offt_max_plus1"), P("d"), (size_t)INT64_MAX + 1, PMEM_FILE_CREATE, 0666);
	state(N("len_offt_max_plus1"), P("d"));
	map_unmap(N("len_size_max"), P("d"), SIZE_MAX, PMEM_FILE_CREATE, 0666);
	state(N("len_size_max"), P("d"));
	map_unmap(N("len_size_max_sparse"), P("d"), SIZE_MAX, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0666);
	state(N("len_size_max_sparse"), P("d"));

	/* fits off_t but not the address space: the file is created/resized, then mmap fails */
	map_unmap(N("len_1pib_sparse_new"), P("e"), (size_t)1 << 50, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0666);
	state(N("len_1pib_sparse_new"), P("e"));
	unlink(P("e"));
	write_pattern(P("e2"), 4096, 5, 0640);
	map_unmap(N("len_1pib_sparse_existing"), P("e2"), (size_t)1 << 50, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0666);
	state(N("len_1pib_sparse_existing"), P("e2"));
	line(N("len_1pib_sparse_existing.data"), "%d", file_has_pattern(P("e2"), 4096, 5));
	unlink(P("e2"));
	map_unmap(N("len_1pib_sparse_excl"), P("e3"), (size_t)1 << 50, PMEM_FILE_CREATE | PMEM_FILE_SPARSE | PMEM_FILE_EXCL, 0666);
	state(N("len_1pib_sparse_excl"), P("e3"));
	unlink(P("e3"));

	map_unmap(N("null_path"), NULL, 4096, PMEM_FILE_CREATE, 0666);
	map_unmap(N("null_path_nocreate"), NULL, 0, 0, 0666);
	map_unmap(N("null_path_tmpfile"), NULL, 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0666);

	map_unmap(N("enotdir_create"), P("regular/x"), 4096, PMEM_FILE_CREATE, 0666);
	map_unmap(N("enotdir_nocreate"), P("regular/x"), 0, 0, 0666);
	map_unmap(N("enotdir_badflags"), P("regular/x"), 4096, PMEM_FILE_CREATE | (1 << 9), 0666);
	map_unmap(N("enotdir_create_len0"), P("regular/x"), 0, PMEM_FILE_CREATE, 0666);
	map_unmap(N("empty_path_create"), "", 4096, PMEM_FILE_CREATE, 0666);
	map_unmap(N("empty_path_nocreate"), "", 0, 0, 0666);
	map_unmap(N("empty_path_badflags"), "", 4096, 1 << 9, 0666);
	map_unmap(N("empty_path_tmpfile"), "", 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0666);

	/* missing file: ENOENT, message in strerror wording */
	{
		size_t ml = SENT_LEN;
		int ip = SENT_PMEM;
		errno = 0;
		void *p = pmem_map_file(P("missing/y"), 0, 0, 0, &ml, &ip);
		int e = errno;
		const char *m = pmem_errormsg();
		const char *tail = ": No such file or directory";
		size_t ml2 = strlen(m), tl = strlen(tail);
		line(N("enoent_missing_dir"), "ret=%s errno=%s errmsg_strerror_suffix=%d errmsg_has_os_error=%d",
			p ? "ok" : "NULL", errname(e),
			ml2 >= tl && strcmp(m + ml2 - tl, tail) == 0, strstr(m, "os error") != NULL);
		if (p)
			pmem_unmap(p, ml);
	}
	map_unmap(N("enoent_nocreate"), P("nothere"), 0, 0, 0666);

	/* EXCL and SPARSE without CREATE are ignored */
	map_unmap(N("excl_without_create"), P("regular"), 0, PMEM_FILE_EXCL, 0666);
	map_unmap(N("sparse_without_create"), P("regular"), 0, PMEM_FILE_SPARSE, 0666);
	map_unmap(N("excl_sparse_without_create"), P("regular"), 0, PMEM_FILE_EXCL | PMEM_FILE_SPARSE, 0666);
	state(N("regular_after_all"), P("regular"));
	line(N("regular_after_all.data"), "%d", file_has_pattern(P("regular"), 8192, 1));
}

static void
create_semantics(void)
{
	size_t ml;
	void *p;

	mode_t old = umask(022);
	map_unmap(N("create_new"), P("new1"), 16384, PMEM_FILE_CREATE, 0666);
	state(N("create_new"), P("new1"));
	map_unmap(N("create_new_mode0751"), P("new2"), 8192, PMEM_FILE_CREATE, 0751);
	state(N("create_new_mode0751"), P("new2"));
	umask(077);
	map_unmap(N("create_umask077"), P("new3"), 8192, PMEM_FILE_CREATE, 0666);
	state(N("create_umask077"), P("new3"));
	umask(0);
	map_unmap(N("create_umask0"), P("new4"), 8192, PMEM_FILE_CREATE, 0666);
	state(N("create_umask0"), P("new4"));
	umask(022);

	map_unmap(N("create_sparse"), P("sparse1"), 1 << 20, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0644);
	state(N("create_sparse"), P("sparse1"));
	map_unmap(N("create_unaligned_len"), P("odd"), 5000, PMEM_FILE_CREATE, 0644);
	state(N("create_unaligned_len"), P("odd"));

	/* an existing file keeps its mode and its data up to len */
	write_pattern(P("exist"), 8192, 7, 0640);
	p = try_map(N("create_existing_shrink"), P("exist"), 4096, PMEM_FILE_CREATE, 0666, &ml);
	if (p) {
		line(N("create_existing_shrink.mapped_data"), "%d", mem_has_pattern(p, 4096, 7));
		pmem_unmap(p, ml);
	}
	state(N("create_existing_shrink"), P("exist"));
	line(N("create_existing_shrink.file_data"), "%d", file_has_pattern(P("exist"), 4096, 7));
	p = try_map(N("create_existing_grow"), P("exist"), 12288, PMEM_FILE_CREATE, 0600, &ml);
	if (p) {
		line(N("create_existing_grow.mapped_data"), "%d", mem_has_pattern(p, 4096, 7));
		pmem_unmap(p, ml);
	}
	state(N("create_existing_grow"), P("exist"));
	line(N("create_existing_grow.file_data"), "head=%d tail_zero=%d",
		file_has_pattern(P("exist"), 4096, 7), file_is_zero_from(P("exist"), 4096, 12288));

	/* an existing sparse file becomes allocated, unless SPARSE */
	{
		int fd = open(P("holey"), O_CREAT | O_RDWR, 0644);
		if (ftruncate(fd, 1 << 20) != 0)
			perror("ftruncate");
		close(fd);
		state(N("existing_sparse.before"), P("holey"));
		map_unmap(N("existing_sparse_create_sparse"), P("holey"), 1 << 20,
			PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0644);
		state(N("existing_sparse_create_sparse"), P("holey"));
		map_unmap(N("existing_sparse_create"), P("holey"), 1 << 20, PMEM_FILE_CREATE, 0644);
		state(N("existing_sparse_create"), P("holey"));
	}

	/* EXCL */
	map_unmap(N("excl_new"), P("ex1"), 8192, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644);
	state(N("excl_new"), P("ex1"));
	write_pattern(P("ex2"), 4096, 3, 0600);
	map_unmap(N("excl_existing_file"), P("ex2"), 8192, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644);
	state(N("excl_existing_file"), P("ex2"));
	line(N("excl_existing_file.data"), "%d", file_has_pattern(P("ex2"), 4096, 3));
	mkdir(P("adir"), 0755);
	map_unmap(N("excl_existing_dir"), P("adir"), 8192, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644);
	state(N("excl_existing_dir"), P("adir"));
	if (symlink(P("nowhere"), P("dangling")) != 0)
		perror("symlink");
	map_unmap(N("excl_dangling_symlink"), P("dangling"), 8192, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644);
	state(N("excl_dangling_symlink"), P("dangling"));
	state(N("excl_dangling_symlink.target"), P("nowhere"));
	map_unmap(N("create_on_dir"), P("adir"), 8192, PMEM_FILE_CREATE, 0644);
	map_unmap(N("create_sparse_on_dir"), P("adir"), 8192, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0644);
	map_unmap(N("nocreate_on_dir"), P("adir"), 0, 0, 0644);
	line(N("adir.entries"), "%d", count_entries(P("adir")));

	/* symlinks are followed without EXCL */
	write_pattern(P("target2"), 4096, 9, 0644);
	if (symlink(P("target2"), P("link2")) != 0)
		perror("symlink");
	map_unmap(N("create_via_symlink"), P("link2"), 8192, PMEM_FILE_CREATE, 0644);
	state(N("create_via_symlink.link"), P("link2"));
	state(N("create_via_symlink.target"), P("target2"));
	map_unmap(N("nocreate_via_symlink"), P("link2"), 0, 0, 0644);

	/* data written through the mapping reaches the file */
	p = try_map(N("write_through"), P("wt"), 3 * 4096 + 100, PMEM_FILE_CREATE, 0644, &ml);
	if (p) {
		for (size_t i = 0; i < ml; i++)
			((char *)p)[i] = (char)(i * 31 + 5);
		pmem_persist(p, ml);
		line(N("write_through.msync"), "%d", pmem_msync(p, ml));
		pmem_unmap(p, ml);
	}
	line(N("write_through.file_data"), "%d", file_has_pattern(P("wt"), 3 * 4096 + 100, 5));
	/* without CREATE the whole file is mapped, its exact size */
	p = try_map(N("map_existing_whole"), P("wt"), 0, 0, 0, &ml);
	if (p) {
		line(N("map_existing_whole.data"), "%d", mem_has_pattern(p, ml, 5));
		pmem_unmap(p, ml);
	}
	/* NULL out-parameters are allowed */
	{
		errno = 0;
		p = pmem_map_file(P("wt"), 0, 0, 0, NULL, NULL);
		line(N("null_outparams"), "ret=%s", p ? "ok" : "NULL");
		if (p)
			pmem_unmap(p, 3 * 4096 + 100);
	}

	/* TMPFILE */
	{
		char td[PATH_MAX];
		SNP(td, sizeof(td), "%s", P("tmpd"));
		mkdir(td, 0755);
		p = try_map(N("tmpfile"), td, 65536, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0644, &ml);
		line(N("tmpfile.entries_while_mapped"), "%d", count_entries(td));
		if (p) {
			memset(p, 0x5a, ml);
			pmem_persist(p, ml);
			line(N("tmpfile.unmap"), "%d", pmem_unmap(p, ml));
		}
		line(N("tmpfile.entries_after"), "%d", count_entries(td));
		map_unmap(N("tmpfile_excl"), td, 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE | PMEM_FILE_EXCL, 0644);
		map_unmap(N("tmpfile_sparse"), td, 1 << 20, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE | PMEM_FILE_SPARSE, 0644);
		line(N("tmpfile.entries_end"), "%d", count_entries(td));
		map_unmap(N("tmpfile_on_file"), P("wt"), 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0644);
		state(N("tmpfile_on_file"), P("wt"));
		map_unmap(N("tmpfile_missing_dir"), P("nodir"), 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0644);
		state(N("tmpfile_missing_dir"), P("nodir"));
	}
	umask(old);
}

static void
special_files(void)
{
	Pfx = "special.";
	int fd = open(P("empty"), O_CREAT | O_RDWR, 0644);
	close(fd);
	map_unmap(N("empty_file"), P("empty"), 0, 0, 0);
	map_unmap(N("empty_file_excl"), P("empty"), 0, PMEM_FILE_EXCL, 0);
	state(N("empty_file"), P("empty"));
	if (mkfifo(P("fifo"), 0644) != 0)
		perror("mkfifo");
	map_unmap(N("fifo"), P("fifo"), 0, 0, 0);
	map_unmap(N("fifo_create"), P("fifo"), 4096, PMEM_FILE_CREATE, 0644);
	state(N("fifo"), P("fifo"));
	map_unmap(N("dev_null"), "/dev/null", 0, 0, 0);
	map_unmap(N("dev_zero"), "/dev/zero", 0, 0, 0);
	map_unmap(N("dev_null_len"), "/dev/null", 4096, 0, 0);
	map_unmap(N("dev_null_create"), "/dev/null", 4096, PMEM_FILE_CREATE, 0644);
	map_unmap(N("dev_zero_create"), "/dev/zero", 4096, PMEM_FILE_CREATE, 0644);
	map_unmap(N("dev_zero_create_sparse"), "/dev/zero", 4096, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0644);
	map_unmap(N("fifo_create_sparse"), P("fifo"), 4096, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0644);
	map_unmap(N("fifo_create_excl"), P("fifo"), 4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644);
	map_unmap(N("fifo_tmpfile"), P("fifo"), 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0644);
	map_unmap(N("fifo_badflags"), P("fifo"), 0, 1 << 9, 0644);
	map_unmap(N("dev_null_badflags"), "/dev/null", 0, 1 << 9, 0644);
	map_unmap(N("dev_null_tmpfile"), "/dev/null", 4096, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0644);
}

static void
unmap_and_is_pmem(void)
{
	Pfx = "unmap.";
	size_t ml = 0;
	void *p = try_map(N("map4"), P("u4"), 4 * 4096, PMEM_FILE_CREATE, 0644, &ml);
	if (p == NULL)
		return;
	char *c = p;
	line(N("is_pmem_tmpfs"), "%d", pmem_is_pmem(p, ml));
	line(N("is_pmem_len0"), "%d", pmem_is_pmem(p, 0));
	line(N("is_pmem_1byte"), "%d", pmem_is_pmem(c + 5, 1));
	int stackvar = 0;
	line(N("is_pmem_stack"), "%d", pmem_is_pmem(&stackvar, sizeof(stackvar)));
	errno = 0;
	int r = pmem_unmap(p, 0);
	line(N("len0"), "ret=%d errno=%s", r, errname(errno));
	errno = 0;
	r = pmem_unmap(c + 1, 4096);
	line(N("unaligned"), "ret=%d errno=%s", r, errname(errno));
	/* partial unmap of the middle page */
	errno = 0;
	r = pmem_unmap(c + 4096, 4096);
	line(N("partial_middle"), "ret=%d errno=%s", r, errname(errno));
	c[0] = 1;
	c[2 * 4096] = 2;
	line(N("partial_rest_is_pmem"), "%d", pmem_is_pmem(c, 4096));
	errno = 0;
	r = pmem_unmap(p, ml);
	line(N("rest"), "ret=%d errno=%s", r, errname(errno));
	errno = 0;
	r = pmem_unmap(p, ml);
	line(N("twice"), "ret=%d errno=%s", r, errname(errno));
	errno = 0;
	r = pmem_unmap(p, 4095);
	line(N("unaligned_len_unmapped"), "ret=%d errno=%s", r, errname(errno));
	/* unmapping something pmem_map_file did not map */
	void *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = 0;
	r = pmem_unmap(a, 8192);
	line(N("anonymous"), "ret=%d errno=%s", r, errname(errno));
	/* a fresh mapping of the same file works again */
	p = try_map(N("remap"), P("u4"), 0, 0, 0, &ml);
	if (p) {
		line(N("remap.data"), "first=%d third=%d", ((char *)p)[0], ((char *)p)[2 * 4096]);
		line(N("remap.unmap"), "%d", pmem_unmap(p, ml));
	}
	/* placement: PMDK and ours place mappings on a 2 MiB boundary */
	size_t lens[] = { 4096, 1 << 20, 2 << 20, 3 << 20 };
	for (int i = 0; i < 4; i++) {
		char n[64];
		SNP(n, sizeof(n), "align.len%zu", lens[i]);
		p = try_map(N(n), P("al"), lens[i], PMEM_FILE_CREATE, 0644, &ml);
		if (p) {
			SNP(n, sizeof(n), "align.len%zu.placement", lens[i]);
			line(N(n), "aligned_2m=%d", (uintptr_t)p % (2u << 20) == 0);
			pmem_unmap(p, ml);
		}
		unlink(P("al"));
	}
}

static int
count_fds(void)
{
	return count_entries("/proc/self/fd");
}

/* no file descriptor is left open by pmem_map_file, on success or failure */
static void
fd_leaks(void)
{
	Pfx = "fds.";
	int before = count_fds();
	size_t ml;
	void *p = try_map(N("map"), P("fd1"), 8192, PMEM_FILE_CREATE, 0600, &ml);
	line(N("open_after_map"), "%d", count_fds() - before);
	if (p)
		pmem_unmap(p, ml);
	map_unmap(N("map_existing"), P("fd1"), 0, 0, 0);
	map_unmap(N("tmpfile"), Dir, 8192, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0600);
	map_unmap(N("fail_excl"), P("fd1"), 8192, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0600);
	map_unmap(N("fail_empty"), P("fd_empty"), 0, PMEM_FILE_CREATE, 0600);
	int fd = open(P("fd_empty2"), O_CREAT | O_RDWR, 0600);
	close(fd);
	map_unmap(N("fail_empty_file"), P("fd_empty2"), 0, 0, 0);
	map_unmap(N("fail_dev_null"), "/dev/null", 0, 0, 0);
	line(N("leaked"), "%d", count_fds() - before);
}

/* huge sparse mappings: placement on a 1 GiB boundary for 2 GiB and more */
static void
big_sparse(void)
{
	Pfx = "big.";
	size_t ml;
	size_t len = (size_t)2 << 30;
	void *p = try_map(N("sparse_2g"), P("big"), len, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0600, &ml);
	if (p) {
		line(N("sparse_2g.placement"), "aligned_2m=%d aligned_1g=%d", (uintptr_t)p % (2u << 20) == 0,
			(uintptr_t)p % (1u << 30) == 0);
		((char *)p)[len - 1] = 7;
		pmem_persist((char *)p + len - 1, 1);
		line(N("sparse_2g.last_byte_msync"), "%d", pmem_msync((char *)p + len - 1, 1));
		line(N("sparse_2g.unmap"), "%d", pmem_unmap(p, ml));
	}
	state(N("sparse_2g"), P("big"));
	unlink(P("big"));
}

/* ENOSPC in a small tmpfs: cleanup after a failed CREATE */
static void
enospc(void)
{
	Pfx = "enospc.";
	char mnt[PATH_MAX];
	SNP(mnt, sizeof(mnt), "%s", P("small"));
	mkdir(mnt, 0755);
	if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=8m") != 0) {
		line(N("setup"), "skipped (cannot mount a small tmpfs)");
		return;
	}
	line(N("setup"), "ok");
	char saved[PATH_MAX];
	SNP(saved, sizeof(saved), "%s", Dir);
	SNP(Dir, sizeof(Dir), "%s", mnt);

	size_t big = 64u << 20;
	map_unmap(N("excl_new"), P("e1"), big, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644);
	state(N("excl_new"), P("e1"));
	map_unmap(N("create_new"), P("c1"), big, PMEM_FILE_CREATE, 0644);
	state(N("create_new"), P("c1"));
	unlink(P("c1"));
	write_pattern(P("c2"), 4096, 11, 0640);
	map_unmap(N("create_existing"), P("c2"), big, PMEM_FILE_CREATE, 0644);
	state(N("create_existing"), P("c2"));
	line(N("create_existing.data"), "%d", file_has_pattern(P("c2"), 4096, 11));
	unlink(P("c2"));
	map_unmap(N("create_sparse"), P("s1"), big, PMEM_FILE_CREATE | PMEM_FILE_SPARSE, 0644);
	state(N("create_sparse"), P("s1"));
	unlink(P("s1"));
	map_unmap(N("tmpfile"), mnt, big, PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0644);
	line(N("tmpfile.entries"), "%d", count_entries(mnt));
	map_unmap(N("fits"), P("f1"), 4u << 20, PMEM_FILE_CREATE, 0644);
	state(N("fits"), P("f1"));

	SNP(Dir, sizeof(Dir), "%s", saved);
	if (umount(mnt) != 0)
		perror("umount");
}

int
main(void)
{
	char top[PATH_MAX];
	make_scratch(top, sizeof(top), "t_map");
	SNP(Dir, sizeof(Dir), "%s", top);

	line("errormsg.initial", "%s", errmsg_state());
	argument_errors();
	special_files();
	unmap_and_is_pmem();
	fd_leaks();
	big_sparse();

	/* CREATE semantics on tmpfs, and on a disk file system if PMEMTEST_DISKDIR is set */
	Pfx = "create.shm.";
	create_semantics();
	const char *disk = getenv("PMEMTEST_DISKDIR");
	if (disk && disk[0]) {
		char dd[PATH_MAX];
		SNP(dd, sizeof(dd), "%s/t_map.XXXXXX", disk);
		if (mkdtemp(dd) != NULL) {
			SNP(Dir, sizeof(Dir), "%s", dd);
			Pfx = "create.disk.";
			create_semantics();
			rm_rf(dd);
			SNP(Dir, sizeof(Dir), "%s", top);
		}
	}
	enospc();
	rm_rf(top);
	return 0;
}
