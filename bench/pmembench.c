/*
 * pmembench: side-by-side benchmark of two libpmem.so.1 implementations
 * (ours vs the system PMDK) loaded into ONE process.
 *
 * Both libraries carry SONAME libpmem.so.1.  They are loaded by path with
 * dlopen(RTLD_LOCAL); if the loader hands back the same object (same file,
 * e.g. PMDK in both slots for a self-test), the second slot is loaded with
 * dlmopen(LM_ID_NEWLM) so that two distinct copies really exist.  Every
 * function is resolved with dlvsym(..., "LIBPMEM_1.0") (dlsym fallback) into
 * one struct of function pointers per library, and the distinctness is
 * checked through dladdr() and the link maps (RTLD_DI_LINKMAP / RTLD_DI_LMID).
 *
 * Method: for each row, every participant (PMDK, ours; or the three
 * reference kernels) runs batches of N ops; rounds alternate the order
 * (A,B then B,A ...) so that drift hits both equally.  Per round the speed
 * ratio PMDK_time / ours_time is taken (>1 = ours faster); the row reports
 * the median of those paired ratios and the median ns/op of each side.
 * Each row checks the bytes produced by both libraries before timing.
 *
 * pmembench.h lists the other files of the program.
 *
 * Build: bench/run.sh (the .c files of bench/ together, -O2, -ldl -lm; no
 * -march=native: the AVX-512 / AVX2 ceiling kernels use target attributes +
 * runtime dispatch)
 */
#include "pmembench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>

int Quick;
int Debug;
int Flip;
int Rounds;
double Target_ns;

static const char *Ref_key[NREF] = { "ref_glibc_memcpy", "ref_memcpy_clwb_sfence",
				     "ref_nt_ceiling" };

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pmembench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *ours = getenv("BENCH_OURS");
	const char *pmdk = getenv("BENCH_PMDK");
	const char *filter = getenv("BENCH_FILTER");
	const char *csv = getenv("BENCH_CSV");
	const char *dir = getenv("BENCH_DIR");
	const char *q = getenv("BENCH_QUICK");
	const char *cpu = getenv("BENCH_CPU");
	int rounds_opt = 0;
	size_t only_size = 0; /* --size: one size class (bytes), 0 = all */
	int only_mis = -1;    /* --aln al|mis: one alignment, -1 = both */
	const char *strategy = NULL; /* --strategy: ours' dispatch line, for the header */
	Quick = q && *q && strcmp(q, "0") != 0;
	Debug = getenv("BENCH_DEBUG") != NULL;
	Flip = getenv("BENCH_FLIP") != NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick") || !strcmp(argv[i], "-q"))
			Quick = 1;
		else if (!strcmp(argv[i], "--full"))
			Quick = 0;
		else if (!strcmp(argv[i], "--ours") && i + 1 < argc)
			ours = argv[++i];
		else if (!strcmp(argv[i], "--pmdk") && i + 1 < argc)
			pmdk = argv[++i];
		else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			filter = argv[++i];
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds_opt = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			only_size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--aln") && i + 1 < argc)
			only_mis = !strcmp(argv[++i], "mis");
		else if (!strcmp(argv[i], "--strategy") && i + 1 < argc)
			strategy = argv[++i];
		else if (!strcmp(argv[i], "--cpu-tag")) {
			cpu_identify(&Cpu);
			printf("%s\n", Cpu.tag);
			return 0;
		} else if (!strcmp(argv[i], "--probe") && i + 1 < argc) {
			/* load a library and exit: its load-time log names its strategy */
			return dlopen(argv[++i], RTLD_NOW | RTLD_LOCAL) ? 0 : 1;
		}
		else if (argv[i][0] != '-')
			ours = argv[i];
		else {
			fprintf(stderr,
				"usage: %s [--quick|--full] [--ours PATH] [--pmdk PATH]\n"
				"          [--filter SUBSTR] [--size BYTES] [--aln al|mis] [--rounds N]\n"
				"          [--csv FILE] [--cpu N] [--strategy TEXT] [OURS_PATH]\n"
				"       %s --cpu-tag | --probe LIB\n"
				"env: BENCH_OURS BENCH_PMDK BENCH_QUICK=1 BENCH_FILTER BENCH_CSV\n"
				"     BENCH_DIR (default /dev/shm) BENCH_CPU (pin to a cpu)\n",
				argv[0], argv[0]);
			return 2;
		}
	}
	if (!ours)
		ours = "/work/main/build/libpmem.so.1";
	if (!pmdk)
		pmdk = "/usr/lib/x86_64-linux-gnu/libpmem.so.1.0.0";
	if (!dir)
		dir = "/dev/shm";
	/* even: (A->map0, B->map1), (B->map0, A->map1) */
	Rounds = rounds_opt > 0 ? rounds_opt : Quick ? 20 : 48;
	Rounds = (Rounds + 1) / 2 * 2;
	Target_ns = Quick ? 0.5e6 : 2e6;

	if (cpu) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(atoi(cpu), &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			perror("sched_setaffinity");
	}

	/* the destination is a pmem_map_file mapping on tmpfs: force it */
	setenv("PMEM_IS_PMEM_FORCE", "1", 0);

	cpu_detect();
	cpu_identify(&Cpu);
	nt_copy_select();
	libs_load(pmdk, ours);

	char rp0[4096], rp1[4096];
	int same_file = realpath(Lib[0].path, rp0) && realpath(Lib[1].path, rp1) &&
			strcmp(rp0, rp1) == 0;
	if (!same_file) {
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
	}

	Llc = llc_size();
	Region = 4 * Llc;
	if (Region < 2 * (64 * MiB + 8192))
		Region = 2 * (64 * MiB + 8192);
	Region = round_up(Region, 2 * MiB);

	for (int k = 0; k < 2 + NREF; k++) {
		SrcP[k] = mmap(NULL, Region + 2 * MiB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (SrcP[k] == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		if (k == 0)
			fill_random(SrcP[0], Region + 2 * MiB);
		else
			memcpy(SrcP[k], SrcP[0], Region + 2 * MiB);
	}
	Scratch = mmap(NULL, Region, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (Scratch == MAP_FAILED)
		die("mmap: %s", strerror(errno));

	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pools_create(dir);
	{
		char path[300];
		snprintf(path, sizeof(path), "%s/pmembench-%d-ref.pool", dir,
			 (int)getpid());
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			die("%s: %s", path, strerror(errno));
		unlink(path);
		if (posix_fallocate(fd, 0, (off_t)Region) != 0)
			die("posix_fallocate %s failed", path);
		RefPool = mmap(NULL, Region, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (RefPool == MAP_FAILED)
			die("mmap %s: %s", path, strerror(errno));
		for (size_t o = 0; o < Region; o += 4096)
			RefPool[o] = 0;
	}

	/* ---- header ---- */
	char model[512] = "?";
	FILE *ci = fopen("/proc/cpuinfo", "r");
	if (ci) {
		char line[512];
		while (fgets(line, sizeof(line), ci))
			if (!strncmp(line, "model name", 10)) {
				char *c = strchr(line, ':');
				snprintf(model, sizeof(model), "%s", c ? c + 2 : line);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(ci);
	}
	struct utsname un;
	uname(&un);
	time_t now = time(NULL);
	char stamp[64];
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	printf("pmembench  %s  mode=%s rounds=%d sample~%.1fms\n", stamp,
	       Quick ? "quick" : "full", Rounds, Target_ns / 1e6);
	printf("cpu: %s (%s family %#x model %#x: %s, class %s), %ld online cpus, LLC %zu MiB; "
	       "clwb=%d clflushopt=%d avx2=%d avx512f=%d; kernel %s\n",
	       model, Cpu.vendor, Cpu.family, Cpu.model, Cpu.tag, Cpu.class,
	       sysconf(_SC_NPROCESSORS_ONLN), Llc / MiB, Has_clwb, Has_clflushopt, Has_avx2,
	       Has_avx512f, un.release);
	if (strategy && *strategy)
		printf("ours' strategy: %s\n", strategy);
	snprintf(Strategy_class, sizeof(Strategy_class), "%s", Cpu.class);
	if (strategy && !strncmp(strategy, "cpu class: ", 11))
		snprintf(Strategy_class, sizeof(Strategy_class), "%.*s",
			 (int)strcspn(strategy + 11, ","), strategy + 11);
	for (int i = 0; i < 2; i++)
		printf("%-4s: %s\n      loaded %s base %#lx namespace %ld%s\n",
		       Lib[i].label, Lib[i].path, Lib[i].realname,
		       (unsigned long)Lib[i].base, (long)Lib[i].lmid,
		       Lib[i].via_dlmopen ? " (dlmopen LM_ID_NEWLM)" : " (dlopen)");
	{
		Dl_info a, b;
		dladdr((void *)Lib[0].memcpy_persist, &a);
		dladdr((void *)Lib[1].memcpy_persist, &b);
		printf("distinct copies: pmem_memcpy_persist PMDK=%p (%s) ours=%p (%s)\n",
		       (void *)Lib[0].memcpy_persist, a.dli_fname,
		       (void *)Lib[1].memcpy_persist, b.dli_fname);
	}
	printf("destination: pmem_map_file on %s, %zu MiB per library, is_pmem=%d/%d "
	       "(PMEM_IS_PMEM_FORCE=%s); large sizes rotate over up to %zu MiB "
	       "(> LLC)\n",
	       dir, Region / MiB, Lib[0].pool_is_pmem, Lib[1].pool_is_pmem,
	       getenv("PMEM_IS_PMEM_FORCE"), Region / MiB);
	printf("has_auto_flush PMDK=%d ours=%d  has_hw_drain PMDK=%d ours=%d; "
	       "NT ceiling kernel: %s; harness cost of an empty call: %.1f ns\n",
	       Lib[0].has_auto_flush(), Lib[1].has_auto_flush(),
	       Lib[0].has_hw_drain(), Lib[1].has_hw_drain(), Nt_isa,
	       (Call_ns = call_overhead_ns()));
	extern char **environ;
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "PMEM_", 5))
			printf("env: %s\n", *e);
	if (same_file)
		printf("*** SELF-TEST: both slots hold the same library file; the ratios "
		       "measure the noise band ***\n");
	printf("ratio = speed ratio ours/PMDK (>1 = ours faster): median over %d "
	       "pairs of rounds [PMDK->map0, ours->map1], [ours->map0, PMDK->map1]\n"
	       "of sum(PMDK ns)/sum(ours ns); [p25-p75] of those pair ratios; "
	       "ns and GB/s columns: median over %d rounds\n\n",
	       Rounds / 2, Rounds);
	fflush(stdout);

	/* ---- rows ---- */
	static const size_t copy_sizes[] = { 8, 64, 256, 4 * KiB, 64 * KiB,
					     1 * MiB, 16 * MiB, 64 * MiB };
	const int ncs = sizeof(copy_sizes) / sizeof(copy_sizes[0]);
	static const unsigned cflags[] = {
		PMEM_F_MEM_NONTEMPORAL, PMEM_F_MEM_TEMPORAL, PMEM_F_MEM_NODRAIN,
		PMEM_F_MEM_NOFLUSH
	};
	static const char *cflag_names[] = { "memcpy NONTEMPORAL", "memcpy TEMPORAL",
					     "memcpy NODRAIN+drain",
					     "memcpy NOFLUSH" };
	static const size_t msync_sizes[] = { 64, 4 * KiB, 64 * KiB, 1 * MiB };

	int maxrows = 256, nrows = 0;
	row_t *rows = calloc(maxrows, sizeof(row_t));
#define ADD(nm, k, sz, m, fl)                                                  \
	do {                                                                   \
		row_t *r_ = &rows[nrows++];                                    \
		snprintf(r_->name, sizeof(r_->name), "%s", nm);                \
		r_->kind = k;                                                  \
		r_->size = sz;                                                 \
		r_->mis = m;                                                   \
		r_->flags = fl;                                                \
		r_->nparts = k == K_REF_COPY ? NREF : 2;                       \
		r_->with_ceil = is_copy_kind(k) && k != K_REF_COPY &&          \
				sz >= MiB;                                     \
	} while (0)

	for (int i = 0; i < ncs; i++)
		ADD("reference copies", K_REF_COPY, copy_sizes[i], 0, 0);
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < ncs; i++)
			ADD("memcpy_persist", K_MEMCPY_PERSIST, copy_sizes[i], m, 0);
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < ncs; i++) {
			ADD("memmove_persist ovl-fwd", K_MEMMOVE_FWD, copy_sizes[i], m, 0);
			ADD("memmove_persist ovl-bwd", K_MEMMOVE_BWD, copy_sizes[i], m, 0);
		}
	for (int m = 0; m < 2; m++)
		for (int i = 0; i < ncs; i++)
			ADD("memset_persist", K_MEMSET_PERSIST, copy_sizes[i], m, 0);
	for (int f = 0; f < 4; f++)
		for (int m = 0; m < 2; m++)
			for (int i = 0; i < ncs; i++)
				ADD(cflag_names[f], K_MEMCPY_FLAGS, copy_sizes[i], m,
				    cflags[f]);
	for (int i = 0; i < ncs; i++)
		ADD("persist dirty", K_PERSIST, copy_sizes[i], 0, 0);
	for (int i = 0; i < ncs; i++)
		ADD("flush dirty", K_FLUSH, copy_sizes[i], 0, 0);
	for (int i = 0; i < 4; i++)
		ADD("msync dirty", K_MSYNC, msync_sizes[i], 0, 0);
	ADD("map_file create+unmap", K_MAP_CREATE, 2 * MiB, 0, 0);
	ADD("map_file create+unmap", K_MAP_CREATE, 64 * MiB, 0, 0);
	ADD("map_file open+unmap", K_MAP_OPEN, 64 * MiB, 0, 0);
	ADD("is_pmem", K_IS_PMEM, 4 * KiB, 0, 0);
	ADD("is_pmem", K_IS_PMEM, 64 * MiB, 0, 0);
#undef ADD

	/* CSV */
	char csvbuf[512];
	if (!csv) {
		char ts[32];
		strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", gmtime(&now));
		snprintf(csvbuf, sizeof(csvbuf), "bench/results/pmembench-%s-%s.csv",
			 ts, Quick ? "quick" : "full");
		csv = csvbuf;
	}
	FILE *out = fopen(csv, "w");
	if (!out)
		fprintf(stderr, "pmembench: cannot write %s: %s (no CSV)\n", csv,
			strerror(errno));
	if (out) {
		fprintf(out, "# pmembench %s mode=%s rounds=%d cpu=%s (%s, class %s) llc_mib=%zu "
			     "nt_isa=%s self_test=%d pmdk=%s ours=%s\n",
			stamp, Quick ? "quick" : "full", Rounds, model, Cpu.tag, Cpu.class,
			Llc / MiB, Nt_isa, same_file, Lib[0].path, Lib[1].path);
		fprintf(out, "row,flags,size,align,pmdk_ns,ours_ns,ratio,ratio_p25,"
			     "ratio_p75,pmdk_gbps,ours_gbps,pmdk_pct_ceiling,"
			     "ours_pct_ceiling,ref_ns,ref_gbps,batch,rounds,status\n");
	}

	printf("%-26s %5s %4s  %-13s %-13s %7s  %-11s %s\n", "row", "size", "aln",
	       "PMDK", "ours", "ratio", "[p25-p75]", "%ceil PMDK/ours");
	printf("%.*s\n", 100,
	       "----------------------------------------------------------------"
	       "----------------------------------------------------------------");

	double logsum = 0;
	int nlog = 0, nfail = 0, nslow = 0;
	double rmin = 1e9, rmax = 0;
	uint64_t tstart = now_ns();

	for (int i = 0; i < nrows; i++) {
		row_t *r = &rows[i];
		if ((only_size && r->size != only_size) ||
		    (only_mis >= 0 && r->mis != only_mis))
			continue;
		if (filter && !strstr(r->name, filter) &&
		    !(r->kind == K_REF_COPY && strstr(filter, "memcpy")))
			continue;
		memset(Cursor, 0, sizeof(Cursor));
		measure(r);
		char sz[32], a[32], b[32];
		fmt_size(r->size, sz);
		const char *nm = r->name;
		char nmbuf[64];
		if (r->kind == K_MEMCPY_FLAGS)
			nm = r->name;
		snprintf(nmbuf, sizeof(nmbuf), "%s", nm);

		if (strcmp(r->status, "ok") != 0) {
			printf("%-26s %5s %4s  %s %s\n", nmbuf, sz, align_name(r), r->status,
			       r->why);
			if (out)
				fprintf(out, "%s,%s,%zu,%s,,,,,,,,,,,,,,%s\n", r->name,
					flags_name(r->flags), r->size, align_name(r),
					r->status);
			nfail++;
			fflush(stdout);
			continue;
		}

		if (r->kind == K_REF_COPY) {
			for (int k = 0; k < NREF; k++) {
				fmt_val(r, r->med_ns[k], a);
				printf("%-26s %5s %4s  %-13s\n",
				       k == 0 ? "ref: glibc memcpy"
				       : k == 1 ? "ref: memcpy+clwb+sfence"
						: "ref: NT-store ceiling",
				       sz, "al", a);
				if (out)
					fprintf(out, "%s,%s,%zu,al,,,,,,,,,,%.3f,%.4f,%zu,%d,ok\n",
						k == 2 ? "ref_nt_ceiling" : Ref_key[k],
						k == 2 ? Nt_isa : "", r->size,
						r->med_ns[k], r->size / r->med_ns[k],
						r->batch, r->rounds);
			}
			fflush(stdout);
			continue;
		}

		if (!r->with_ceil)
			r->pct_ceil[0] = r->pct_ceil[1] = -1;
		fmt_val(r, r->med_ns[0], a);
		fmt_val(r, r->med_ns[1], b);
		char pc[96] = "";
		if (r->pct_ceil[0] > 0)
			snprintf(pc, sizeof(pc), "%5.1f%% / %5.1f%% of %.2f GB/s",
				 r->pct_ceil[0], r->pct_ceil[1], r->size / r->ceil_ns);
		char flag = r->ratio < 0.97 ? '<' : ' ';
		printf("%-26s %5s %4s  %-13s %-13s %6.3f%c  %5.3f-%5.3f  %s\n", nmbuf, sz,
		       align_name(r), a, b, r->ratio, flag, r->r25, r->r75, pc);
		if (out) {
			fprintf(out, "%s,%s,%zu,%s,%.3f,%.3f,%.4f,%.4f,%.4f,", r->name,
				flags_name(r->flags), r->size, align_name(r), r->med_ns[0],
				r->med_ns[1], r->ratio, r->r25, r->r75);
			if (moves_data(r->kind))
				fprintf(out, "%.4f,%.4f,", r->size / r->med_ns[0],
					r->size / r->med_ns[1]);
			else
				fprintf(out, ",,");
			if (r->pct_ceil[0] > 0)
				fprintf(out, "%.2f,%.2f,%.3f,%.4f,", r->pct_ceil[0],
					r->pct_ceil[1], r->ceil_ns, r->size / r->ceil_ns);
			else
				fprintf(out, ",,,,");
			fprintf(out, "%zu,%d,ok\n", r->batch, r->rounds);
		}
		logsum += log(r->ratio);
		nlog++;
		if (r->ratio < rmin)
			rmin = r->ratio;
		if (r->ratio > rmax)
			rmax = r->ratio;
		if (r->ratio < 0.97)
			nslow++;
		fflush(stdout);
	}
	double secs = (now_ns() - tstart) / 1e9;

	/* ---- summary: slow rows, this CPU class's targets ---- */
	if (nlog) {
		printf("%.*s\n", 100,
		       "----------------------------------------------------------------"
		       "----------------------------------------------------------------");
		int idx[nrows], ns_ = 0;
		for (int i = 0; i < nrows; i++)
			if (rows[i].kind != K_REF_COPY && rows[i].status &&
			    !strcmp(rows[i].status, "ok") && rows[i].ratio < 0.97)
				idx[ns_++] = i;
		for (int a = 0; a < ns_; a++) /* sort ascending by ratio */
			for (int b = a + 1; b < ns_; b++)
				if (rows[idx[b]].ratio < rows[idx[a]].ratio) {
					int t = idx[a];
					idx[a] = idx[b];
					idx[b] = t;
				}
		printf("rows where ours is slower than 0.97 x PMDK (worst first): %d\n", ns_);
		for (int a = 0; a < ns_; a++) {
			row_t *r = &rows[idx[a]];
			char sz[32];
			printf("  %-26s %5s %4s  %.3f\n", r->name, fmt_size(r->size, sz),
			       align_name(r), r->ratio);
		}
		print_targets(rows, nrows, exp(logsum / nlog), rmin);
	}
	printf("%.*s\n", 100,
	       "----------------------------------------------------------------"
	       "----------------------------------------------------------------");
	if (nlog) {
		double gm = exp(logsum / nlog);
		printf("geometric mean ours/PMDK speed ratio over %d rows: %.3f  "
		       "(min %.3f, max %.3f; %d row(s) < 0.97 marked '<')\n",
		       nlog, gm, rmin, rmax, nslow);
		if (same_file)
			printf("SELF-TEST noise band: geomean %+.1f%%, rows span %+.1f%% .. "
			       "%+.1f%%\n",
			       (gm - 1) * 100, (rmin - 1) * 100, (rmax - 1) * 100);
		if (out)
			fprintf(out, "# geomean,%.4f,rows,%d,min,%.4f,max,%.4f,slow_rows,%d,"
				     "failed_rows,%d,seconds,%.1f\n",
				gm, nlog, rmin, rmax, nslow, nfail, secs);
	}
	if (nfail)
		printf("%d row(s) FAILED the correctness check (not timed)\n", nfail);
	printf("%.1f s; CSV: %s\n", secs, out ? csv : "(none)");
	if (out)
		fclose(out);
	return nfail ? 3 : 0;
}
