/*
 * t_log.c -- the PMDK 2.x logging API (pmem_log_set_threshold,
 * pmem_log_get_threshold, pmem_log_set_function).  Debian's libpmem 1.12 does
 * not have it, so run.sh runs this program only against the library under
 * test and compares its output with expected/t_log.out, which encodes the
 * semantics this library documents:
 *  - levels HARK..DEBUG = 0..6, thresholds THRESHOLD=0, AUX=1;
 *  - defaults THRESHOLD=WARNING, AUX=HARK;
 *  - set: 0, or non-zero + EINVAL for an unknown threshold or level (unchanged);
 *  - get: EINVAL for an unknown threshold or a NULL level;
 *  - set_function(fn) sends fn a HARK line; NULL restores the default;
 *  - messages less severe than THRESHOLD never reach the function;
 *  - every error path logs at ERROR what pmem_errormsg() says; map/unmap log
 *    at NOTICE/INFO;
 *  - the default function writes to stderr when the level is at least as
 *    severe as AUX and is not HARK.
 * With argument "envsink" it checks PMEM_LOG_LEVEL / PMEM_LOG_FILE instead.
 */
#include "t.h"

#include <sys/wait.h>

#define MAXMSG 64
static struct msg {
	int level;
	char file[128];
	unsigned line;
	char func[128];
	char text[512];
} Msgs[MAXMSG];
static int NMsgs;

static void
logfn(enum pmem_log_level level, const char *file_name, unsigned line_no,
	const char *function_name, const char *message)
{
	if (NMsgs >= MAXMSG)
		return;
	struct msg *m = &Msgs[NMsgs++];
	m->level = (int)level;
	SNP(m->file, sizeof(m->file), "%s", file_name ? file_name : "(null)");
	m->line = line_no;
	SNP(m->func, sizeof(m->func), "%s", function_name ? function_name : "(null)");
	/* messages may be long; keep what fits */
	snprintf(m->text, sizeof(m->text), "%s", message ? message : "(null)") < 0 ? abort() : (void)0;
}

static int
count_level(int lvl)
{
	int n = 0;
	for (int i = 0; i < NMsgs; i++)
		if (Msgs[i].level == lvl)
			n++;
	return n;
}

static int
count_less_severe_than(int lvl)
{
	int n = 0;
	for (int i = 0; i < NMsgs; i++)
		if (Msgs[i].level > lvl)
			n++;
	return n;
}

static void
get_line(const char *name, enum pmem_log_threshold t)
{
	enum pmem_log_level l = (enum pmem_log_level)77;
	errno = 0;
	int r = pmem_log_get_threshold(t, &l);
	if (r == 0)
		line(name, "ret=0 level=%d", (int)l);
	else
		line(name, "ret=nonzero errno=%s", errname(errno));
}

static void
set_line(const char *name, enum pmem_log_threshold t, enum pmem_log_level l)
{
	errno = 0;
	int r = pmem_log_set_threshold(t, l);
	if (r == 0)
		line(name, "ret=0");
	else
		line(name, "ret=nonzero errno=%s", errname(errno));
}

static char Dir[4096];

/* fails pmem_map_file on a missing file: an ERROR-level event */
static void
provoke_error(void)
{
	char p[4200];
	SNP(p, sizeof(p), "%s/missing/file", Dir);
	size_t ml;
	int ip;
	if (pmem_map_file(p, 0, 0, 0, &ml, &ip) != NULL)
		abort();
}

static void
map_and_unmap(void)
{
	char p[4200];
	SNP(p, sizeof(p), "%s/m", Dir);
	size_t ml;
	int ip;
	void *a = pmem_map_file(p, 8192, PMEM_FILE_CREATE, 0600, &ml, &ip);
	if (a == NULL)
		abort();
	pmem_unmap(a, ml);
	unlink(p);
}

static void
set_default_fn(void)
{
	if (pmem_log_set_function(NULL) != 0)
		abort();
}

/* runs f with fd 2 redirected to a file; returns the number of bytes written there */
static long
stderr_bytes(void (*f)(void))
{
	char p[4200];
	SNP(p, sizeof(p), "%s/stderr.txt", Dir);
	fflush(stderr);
	int saved = dup(2);
	int fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0600);
	dup2(fd, 2);
	f();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	struct stat st;
	fstat(fd, &st);
	close(fd);
	unlink(p);
	return (long)st.st_size;
}

static int
envsink(void)
{
	const char *lvl = getenv("PMEM_LOG_LEVEL");
	const char *file = getenv("PMEM_LOG_FILE");
	line("envsink.env", "PMEM_LOG_LEVEL=%s PMEM_LOG_FILE=%s", lvl ? lvl : "(unset)",
		file ? "set" : "(unset)");
	provoke_error();
	map_and_unmap();
	if (file == NULL)
		return 0;
	char path[4200];
	size_t fl = strlen(file);
	if (fl > 0 && file[fl - 1] == '-')
		SNP(path, sizeof(path), "%s%d", file, (int)getpid());
	else
		SNP(path, sizeof(path), "%s", file);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		line("envsink.file", "exists=0");
		return 0;
	}
	int lines = 0, mentions_missing = 0;
	char buf[2048];
	while (fgets(buf, sizeof(buf), f)) {
		lines++;
		if (strstr(buf, "No such file or directory"))
			mentions_missing = 1;
	}
	fclose(f);
	line("envsink.file", "exists=1 has_lines=%d error_logged=%d", lines > 0, mentions_missing);
	return 0;
}

int
main(int argc, char **argv)
{
	make_scratch(Dir, sizeof(Dir), "t_log");
	if (argc > 1 && strcmp(argv[1], "envsink") == 0) {
		int r = envsink();
		rm_rf(Dir);
		return r;
	}

	line("enum.values", "HARK=%d FATAL=%d ERROR=%d WARNING=%d NOTICE=%d INFO=%d DEBUG=%d",
		PMEM_LOG_LEVEL_HARK, PMEM_LOG_LEVEL_FATAL, PMEM_LOG_LEVEL_ERROR, PMEM_LOG_LEVEL_WARNING,
		PMEM_LOG_LEVEL_NOTICE, PMEM_LOG_LEVEL_INFO, PMEM_LOG_LEVEL_DEBUG);
	line("enum.thresholds", "THRESHOLD=%d AUX=%d", PMEM_LOG_THRESHOLD, PMEM_LOG_THRESHOLD_AUX);

	/* defaults */
	get_line("get.default_threshold", PMEM_LOG_THRESHOLD);
	get_line("get.default_aux", PMEM_LOG_THRESHOLD_AUX);

	/* get errors */
	get_line("get.unknown_threshold2", (enum pmem_log_threshold)2);
	get_line("get.unknown_threshold_minus1", (enum pmem_log_threshold)-1);
	errno = 0;
	int r = pmem_log_get_threshold(PMEM_LOG_THRESHOLD, NULL);
	line("get.null_level", "ret=%s errno=%s", r ? "nonzero" : "0", errname(errno));

	/* set + get round trip for every level on both thresholds */
	for (int t = 0; t < 2; t++)
		for (int l = 0; l <= 6; l++) {
			char n[64];
			SNP(n, sizeof(n), "set.t%d.l%d", t, l);
			set_line(n, (enum pmem_log_threshold)t, (enum pmem_log_level)l);
			SNP(n, sizeof(n), "set.t%d.l%d.get", t, l);
			get_line(n, (enum pmem_log_threshold)t);
		}
	set_line("set.threshold_warning", PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_WARNING);
	set_line("set.aux_hark", PMEM_LOG_THRESHOLD_AUX, PMEM_LOG_LEVEL_HARK);

	/* set errors leave the value unchanged */
	set_line("set.unknown_level7", PMEM_LOG_THRESHOLD, (enum pmem_log_level)7);
	get_line("set.unknown_level7.get", PMEM_LOG_THRESHOLD);
	set_line("set.unknown_level_minus1", PMEM_LOG_THRESHOLD_AUX, (enum pmem_log_level)-1);
	get_line("set.unknown_level_minus1.get", PMEM_LOG_THRESHOLD_AUX);
	set_line("set.unknown_threshold2", (enum pmem_log_threshold)2, PMEM_LOG_LEVEL_ERROR);
	get_line("set.unknown_threshold2.get_main", PMEM_LOG_THRESHOLD);
	get_line("set.unknown_threshold2.get_aux", PMEM_LOG_THRESHOLD_AUX);

	/* installing a function greets it with a HARK line */
	NMsgs = 0;
	errno = 0;
	r = pmem_log_set_function(logfn);
	line("set_function", "ret=%d", r);
	line("set_function.greeting", "messages=%d hark=%d text_nonempty=%d file_nonempty=%d func_nonempty=%d",
		NMsgs, count_level(PMEM_LOG_LEVEL_HARK), NMsgs > 0 && Msgs[0].text[0] != 0,
		NMsgs > 0 && Msgs[0].file[0] != 0, NMsgs > 0 && Msgs[0].func[0] != 0);

	/* an error reaches the function at ERROR with errormsg's text */
	NMsgs = 0;
	provoke_error();
	{
		const char *em = pmem_errormsg();
		int same = 0, contains = 0;
		for (int i = 0; i < NMsgs; i++)
			if (Msgs[i].level == PMEM_LOG_LEVEL_ERROR) {
				same |= strcmp(Msgs[i].text, em) == 0;
				contains |= strstr(Msgs[i].text, em) != NULL;
			}
		line("error.logged", "error_msgs=%d text_equals_errormsg=%d text_contains_errormsg=%d less_severe_than_warning=%d",
			count_level(PMEM_LOG_LEVEL_ERROR) > 0, same, contains,
			count_less_severe_than(PMEM_LOG_LEVEL_WARNING));
	}
	/* an argument error too */
	NMsgs = 0;
	{
		size_t ml;
		int ip;
		pmem_map_file(NULL, 0, 0, 0, &ml, &ip);
		line("error.einval_logged", "error_msgs=%d", count_level(PMEM_LOG_LEVEL_ERROR) > 0);
	}

	/* NOTICE/INFO from map/unmap reach the function only with a lower threshold */
	NMsgs = 0;
	map_and_unmap();
	line("map_unmap.threshold_warning", "less_severe_than_warning=%d", count_less_severe_than(PMEM_LOG_LEVEL_WARNING));
	set_line("set.threshold_debug", PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_DEBUG);
	NMsgs = 0;
	map_and_unmap();
	line("map_unmap.threshold_debug", "notice_or_info=%d",
		count_level(PMEM_LOG_LEVEL_NOTICE) + count_level(PMEM_LOG_LEVEL_INFO) > 0);
	set_line("set.threshold_info", PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_INFO);
	NMsgs = 0;
	map_and_unmap();
	provoke_error();
	line("threshold_info.filter", "debug_msgs=%d error_msgs=%d", count_level(PMEM_LOG_LEVEL_DEBUG),
		count_level(PMEM_LOG_LEVEL_ERROR) > 0);

	/* threshold HARK: an error does not reach the function */
	set_line("set.threshold_hark", PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_HARK);
	NMsgs = 0;
	provoke_error();
	line("threshold_hark.error_filtered", "messages=%d", NMsgs);
	set_line("set.threshold_fatal", PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_FATAL);
	NMsgs = 0;
	provoke_error();
	line("threshold_fatal.error_filtered", "messages=%d", NMsgs);
	set_line("set.threshold_error", PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_ERROR);
	NMsgs = 0;
	provoke_error();
	line("threshold_error.error_passes", "error_msgs=%d", count_level(PMEM_LOG_LEVEL_ERROR) > 0);

	/* errno is preserved across logging */
	{
		size_t ml;
		int ip;
		errno = 0;
		void *p = pmem_map_file("", 0, 0, 0, &ml, &ip);
		line("errno_preserved_with_function", "ret=%s errno=%s", p ? "ok" : "NULL", errname(errno));
	}

	/* the default function: stderr only when at least as severe as AUX, never HARK */
	errno = 0;
	r = pmem_log_set_function(PMEM_LOG_USE_DEFAULT_FUNCTION);
	line("set_function.default", "ret=%d", r);
	NMsgs = 0;
	set_line("set.aux_hark2", PMEM_LOG_THRESHOLD_AUX, PMEM_LOG_LEVEL_HARK);
	line("default.aux_hark.stderr", "bytes_written=%d", stderr_bytes(provoke_error) > 0);
	set_line("set.aux_error", PMEM_LOG_THRESHOLD_AUX, PMEM_LOG_LEVEL_ERROR);
	line("default.aux_error.stderr", "bytes_written=%d", stderr_bytes(provoke_error) > 0);
	set_line("set.aux_fatal", PMEM_LOG_THRESHOLD_AUX, PMEM_LOG_LEVEL_FATAL);
	line("default.aux_fatal.stderr", "bytes_written=%d", stderr_bytes(provoke_error) > 0);
	/* main threshold below ERROR: nothing reaches the default function either */
	set_line("set.aux_debug", PMEM_LOG_THRESHOLD_AUX, PMEM_LOG_LEVEL_DEBUG);
	set_line("set.threshold_fatal2", PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_FATAL);
	line("default.threshold_fatal.stderr", "bytes_written=%d", stderr_bytes(provoke_error) > 0);
	set_line("set.threshold_warning2", PMEM_LOG_THRESHOLD, PMEM_LOG_LEVEL_WARNING);
	/* NOTICE/INFO below the main threshold: not on stderr even with AUX=DEBUG */
	line("default.aux_debug.map_unmap.stderr", "bytes_written=%d", stderr_bytes(map_and_unmap) > 0);
	/* setting the default function sends a HARK line: never to stderr */
	line("default.set_function_hark.stderr", "bytes_written=%d", stderr_bytes(set_default_fn) > 0);
	set_line("set.aux_hark3", PMEM_LOG_THRESHOLD_AUX, PMEM_LOG_LEVEL_HARK);
	line("default.user_function_not_called", "messages=%d", NMsgs);

	rm_rf(Dir);
	return 0;
}
