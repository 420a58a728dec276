// SPDX-License-Identifier: MIT
/*
 * collapse-live — build a collapse-lab layout in this process's own memory on the running
 * kernel, ask the kernel to collapse it (MADV_COLLAPSE, or khugepaged with its sysfs knobs),
 * and print what happened as one JSON object.
 *
 * Written in the style of the kernel's mm selftests (tools/testing/selftests/mm/khugepaged.c,
 * guard-regions.c), but it is our own code: it reads the layout notation of
 * `npm run --silent collapse` (docs: tools/live-kernel/README.md) so that the engine's
 * prediction and the kernel's answer are about exactly the same PMDs.
 *
 *   collapse-live --layout "page*511,guard" [--layout ...] [--khugepaged] [--knob NAME=N ...]
 *                 [--uffd wp|missing] [--timeout-ms N] [--swap-dir DIR]
 *   collapse-live --restore        undo what a killed run left behind (knobs, swap file)
 *   collapse-live --probe          print which kinds this kernel/machine can build
 *
 * Exit status: 0 the attempt ran (JSON on stdout, whatever the kernel answered);
 *              2 bad arguments or layout (one line on stderr);
 *              3 this kernel/machine cannot build the layout, or not root (JSON {"skipped": why});
 *              4 refused for safety (swap/knobs in a state this program did not set; stderr says
 *                what to check);
 *              1 the setup failed (e.g. the kernel would not swap a page out; stderr says which).
 *
 * Safety: everything lives in one anonymous mapping of its own (plus, for `shared`, a forked
 * child that only keeps that mapping). The swap file (fixed name, so a leftover one is found)
 * is enabled only for the run; khugepaged knobs are written only in --khugepaged mode. The
 * original knob values and the swap path are saved in a state file *before* anything is
 * changed, restored at exit, on SIGINT/SIGTERM/SIGHUP/SIGQUIT and on a crash signal, and a later
 * run refuses to start while that state file exists (--restore undoes it). One run at a time
 * (flock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>

/* ---- constants newer than the build machine's headers may be (values from the uapi headers) */
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14)
#endif
#ifndef _UFFDIO_POISON
#define _UFFDIO_POISON 0x08
struct uffdio_poison {
	struct uffdio_range range;
	uint64_t mode;
	int64_t updated;
};
#define UFFDIO_POISON _IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif

/* PAGEMAP_SCAN (v6.7+, include/uapi/linux/fs.h) */
struct cl_page_region {
	uint64_t start, end, categories;
};
struct cl_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define CL_PAGEMAP_SCAN _IOWR('f', 16, struct cl_pm_scan_arg)
#define CL_PAGE_IS_HUGE (1ULL << 6)

/* /proc/pid/pagemap bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61)
#define PM_GUARD (1ULL << 58)
#define PM_UFFD_WP (1ULL << 57)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_PFN_MASK ((1ULL << 55) - 1)
/* a swapped entry's frame field: type in bits 0-4, offset above (fs/proc/task_mmu.c) */
#define PM_SWP_TYPE(e) ((unsigned)((e)&0x1f))
#define PM_SWP_OFFSET(e) (((e)&PM_PFN_MASK) >> 5)
#define SWP_PTE_MARKER_TYPE 31 /* all options on, v6.15+ (kernel-facts §3.2) */
#define PTE_MARKER_POISONED 2

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define KPF_COMPOUND_HEAD 15
#define KPF_THP 22
#define KPF_ZERO_PAGE 24

#define PAGE_SZ 4096UL
#define NR_PTES 512
#define PMD_SZ (PAGE_SZ * NR_PTES)
#define MAX_PMDS 8

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define KHUGEPAGED_DIR THP_DIR "/khugepaged"
#define TRACEFS "/sys/kernel/tracing"
#define LOCK_PATH "/run/lock/collapse-lab-live-kernel.lock"
#define STATE_PATH "/run/collapse-lab-live-kernel.state"
#define DEFAULT_SWAP_DIR "/var/tmp"
#define SWAP_NAME "collapse-lab-live-kernel.swap"

/* ---- layout kinds ---------------------------------------------------------------------- */
enum kind {
	K_PAGE, K_OLD, K_SHARED, K_ZERO, K_NONE, K_SWAP, K_SWAP_UFFD, K_GUARD, K_PAGE_UFFD,
	K_UFFD_MARKER, K_POISON, K_PAGE_PINNED, NR_BUILDABLE,
	/* kinds of the notation a user process cannot build here (reason in unbuildable[]) */
	K_MIGRATION = NR_BUILDABLE, K_MIGRATION_W, K_MIGRATION_UFFD, K_DEVICE_PRIVATE,
	K_DEVICE_EXCLUSIVE, K_HWPOISON, K_PAGE_LOCKED, K_PAGE_POISONED, K_PAGE_PKEY, K_SWAP_AT,
	NR_KINDS
};

static const char *const kind_names[NR_KINDS] = {
	"page", "old", "shared", "zero", "none", "swap", "swap+uffd", "guard", "page+uffd",
	"uffd-marker", "poison", "page+pinned",
	"migration", "migration-w", "migration+uffd", "device-private", "device-exclusive",
	"hwpoison", "page+locked", "page+poisoned", "page+pkey", "swap@N",
};

static const char *const unbuildable[NR_KINDS] = {
	[K_MIGRATION] = "a migration entry exists only while the kernel migrates the page; a user process cannot hold one in place",
	[K_MIGRATION_W] = "a migration entry exists only while the kernel migrates the page; a user process cannot hold one in place",
	[K_MIGRATION_UFFD] = "a migration entry exists only while the kernel migrates the page; a user process cannot hold one in place",
	[K_DEVICE_PRIVATE] = "device-private entries need a ZONE_DEVICE driver (HMM, e.g. the test_hmm module); none is loaded here",
	[K_DEVICE_EXCLUSIVE] = "device-exclusive entries need a driver calling make_device_exclusive() (e.g. test_hmm); none is loaded here",
	[K_HWPOISON] = "a hwpoison entry needs MADV_HWPOISON (CONFIG_MEMORY_FAILURE), which retires a page frame for good; not done on a shared machine",
	[K_PAGE_LOCKED] = "a folio lock cannot be held from user space",
	[K_PAGE_POISONED] = "undetected memory poison needs real (or injected) hardware errors",
	[K_PAGE_PKEY] = "a protection key applies to a whole VMA (pkey_mprotect splits it), so one PTE with a key breaks the PMD-sized VMA; and it needs a CPU with PKU",
	[K_SWAP_AT] = "swap@N needs N+1 swap areas active at once; the harness enables one (type 0 unless others are active)",
};

/* what the pagemap shows for each buildable kind (old looks like page; young is not visible) */
static const char *const observed_name[NR_BUILDABLE] = {
	"page", "page", "shared", "zero", "none", "swap", "swap+uffd", "guard", "page+uffd",
	"uffd-marker", "poison", "page", /* a pin does not show in pagemap */
};

/* ---- state that cleanup needs (file scope so a signal handler can reach it) -------------- */
struct knob_save {
	char path[128];
	char orig[32];
	bool changed;
};

static struct {
	bool is_child;
	pid_t child;
	int lock_fd;
	char *region;
	size_t region_len;
	bool swap_on;
	char swap_path[256];
	bool swap_created;
	struct knob_save knobs[8];
	int nr_knobs;
	bool state_written;
	bool tracefs_mounted;  /* we mounted tracefs (it was not) */
	char trace_dir[128];   /* our tracing instance, removed at exit */
	volatile sig_atomic_t cleaning;
} S = { .lock_fd = -1 };

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t r = write(fd, s, strlen(s));
	(void)r;
	close(fd);
}

/* Undo everything, in an order that always works: child, mapping, swap, knobs, state file.
 * Only async-signal-safe calls (it also runs from signal handlers). Idempotent. */
static void cleanup(void)
{
	if (S.is_child || S.cleaning)
		return;
	S.cleaning = 1;
	if (S.child > 0) {
		kill(S.child, SIGKILL);
		waitpid(S.child, NULL, 0);
		S.child = 0;
	}
	if (S.region) {
		munmap(S.region, S.region_len);
		S.region = NULL;
	}
	if (S.swap_on) {
		if (swapoff(S.swap_path) == 0)
			S.swap_on = false;
	}
	if (S.swap_created && !S.swap_on) {
		unlink(S.swap_path);
		S.swap_created = false;
	}
	if (S.trace_dir[0]) {
		static const char *const ev[] = { "mm_khugepaged_scan_pmd", "mm_collapse_huge_page",
						  "mm_collapse_huge_page_swapin", "mm_collapse_huge_page_isolate" };
		char path[256];
		for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
			/* the event's enable file, written with strcpy/strcat (async-signal-safe) */
			strcpy(path, S.trace_dir);
			strcat(path, "/events/huge_memory/");
			strcat(path, ev[i]);
			strcat(path, "/enable");
			write_str(path, "0");
		}
		if (rmdir(S.trace_dir) == 0 || errno == ENOENT)
			S.trace_dir[0] = 0;
	}
	if (S.tracefs_mounted && !S.trace_dir[0] && umount2(TRACEFS, 0) == 0)
		S.tracefs_mounted = false;
	bool all_restored = !S.trace_dir[0] && !S.tracefs_mounted;
	for (int i = 0; i < S.nr_knobs; i++) {
		if (S.knobs[i].changed) {
			write_str(S.knobs[i].path, S.knobs[i].orig);
			S.knobs[i].changed = false;
		}
	}
	if (S.state_written && all_restored && !S.swap_on) {
		unlink(STATE_PATH);
		S.state_written = false;
	}
	S.cleaning = 0;
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT,
				    SIGILL, SIGFPE, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2 };
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	atexit(cleanup);
}

/* ---- messages -------------------------------------------------------------------------- */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void __attribute__((noreturn, format(printf, 2, 3))) die(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "collapse-live: %s\n", msg);
	if (code == 3) { /* "cannot build here": also a JSON line, so a caller can show why */
		fputs("{\"skipped\":", stdout);
		json_str(stdout, msg);
		fputs("}\n", stdout);
		fflush(stdout);
	}
	exit(code);
}

/* ---- small file helpers ------------------------------------------------------------------ */
static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

static long read_long(const char *path)
{
	char buf[64];
	if (!read_line(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* The bracketed choice of a sysfs selector such as "always [madvise] never". */
static bool read_choice(const char *path, char *out, size_t len)
{
	char buf[256];
	if (!read_line(path, buf, sizeof(buf)))
		return false;
	char *l = strchr(buf, '['), *r = l ? strchr(l, ']') : NULL;
	if (!l || !r)
		return false;
	*r = 0;
	snprintf(out, len, "%s", l + 1);
	return true;
}

static long vmstat(const char *name)
{
	FILE *f = fopen("/proc/vmstat", "re");
	char key[128];
	long long v;
	long out = -1;
	if (!f)
		return -1;
	while (fscanf(f, "%127s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			out = (long)v;
			break;
		}
	}
	fclose(f);
	return out;
}

static bool swap_file_active(const char *path)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[512];
	bool found = false;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char name[400];
		if (sscanf(line, "%399s", name) == 1 && !strcmp(name, path))
			found = true;
	}
	fclose(f);
	return found;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- arguments ----------------------------------------------------------------------------- */
struct knob_arg {
	const char *name;
	long value;
	bool set;
};

static struct {
	int nr_pmds;
	enum kind layout[MAX_PMDS][NR_PTES];
	bool no_table[MAX_PMDS]; /* `no-table`: the PMD is never touched (pmd_none) */
	const char *layout_text[MAX_PMDS];
	bool no_prime;
	bool khugepaged;
	struct knob_arg knobs[3];
	const char *uffd; /* NULL, "wp", "missing" */
	long timeout_ms;
	char swap_file[256];
	bool restore, probe;
	long hold_ms; /* tests of the cleanup: wait here, everything set up, before the collapse */
	bool trace;   /* record the huge_memory tracepoints of our MADV_COLLAPSE (tracefs instance) */
} A = {
	.knobs = { { "max_ptes_none", 0, false }, { "max_ptes_swap", 0, false },
		   { "max_ptes_shared", 0, false } },
	.timeout_ms = 60000,
	.swap_file = DEFAULT_SWAP_DIR "/" SWAP_NAME,
};

static const char *const USAGE =
	"usage: collapse-live --layout \"page*511,guard\" [--layout ...] [--khugepaged]\n"
	"                     [--knob max_ptes_none|max_ptes_swap|max_ptes_shared=N ...]\n"
	"                     [--uffd wp|missing] [--timeout-ms N] [--swap-dir DIR] [--no-prime]\n"
	"                     [--hold-ms N]   (wait N ms before the collapse: for tests of the cleanup)\n"
	"                     [--trace]       (MADV_COLLAPSE: record the huge_memory tracepoints)\n"
	"       (--layout no-table: a PMD that is never touched, so it has no PTE table)\n"
	"       collapse-live --restore | --probe | --help\n";

/* Parse one PMD's layout: KIND or KIND*N items, comma separated, adding up to 512. */
static void parse_layout(const char *text, enum kind *out)
{
	char *copy = strdup(text), *save = NULL;
	int total = 0, item = 0;
	if (!copy)
		die(1, "out of memory");
	if (!*text)
		die(2, "empty layout: write items like \"page*511,guard\" that add up to 512 PTEs");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		item++;
		while (*tok == ' ')
			tok++;
		char *star = strchr(tok, '*');
		long count = 1;
		if (star) {
			char *end;
			*star = 0;
			errno = 0;
			count = strtol(star + 1, &end, 10);
			while (*end == ' ')
				end++;
			if (errno || *end || end == star + 1 || count < 1 || count > NR_PTES)
				die(2, "layout item %d: count \"%s\" must be a whole number from 1 to 512",
				    item, star + 1);
		}
		size_t n = strlen(tok);
		while (n && tok[n - 1] == ' ')
			tok[--n] = 0;
		int k = -1;
		for (int i = 0; i < NR_KINDS; i++)
			if (!strcmp(tok, kind_names[i]))
				k = i;
		if (!strncmp(tok, "swap@", 5)) { /* swap@N[+uffd]: swap device type N (0-23) */
			char *end;
			long t = strtol(tok + 5, &end, 10);
			if (end == tok + 5 || t < 0 || t > 23 || (*end && strcmp(end, "+uffd")))
				die(2, "layout item %d: \"%s\": swap@N wants a swap type N from 0 to 23", item, tok);
			k = t ? K_SWAP_AT : *end ? K_SWAP_UFFD : K_SWAP;
		}
		if (k < 0) {
			char known[512] = "";
			for (int i = 0; i < NR_KINDS; i++) {
				strcat(known, kind_names[i]);
				if (i + 1 < NR_KINDS)
					strcat(known, ", ");
			}
			if (!strcmp(tok, "no-table"))
				die(2, "no-table is only valid as the whole layout of a PMD (--layout no-table)");
			die(2, "layout item %d: unknown kind \"%s\"; known kinds: %s", item, tok, known);
		}
		for (long i = 0; i < count; i++, total++)
			if (total < NR_PTES)
				out[total] = (enum kind)k;
	}
	free(copy);
	if (total != NR_PTES)
		die(2, "the layout adds up to %d PTEs, not 512", total);
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		bool takes = !strcmp(a, "--layout") || !strcmp(a, "--knob") || !strcmp(a, "--uffd") ||
			     !strcmp(a, "--timeout-ms") || !strcmp(a, "--swap-dir") || !strcmp(a, "--hold-ms");
		if (takes) {
			if (i + 1 >= argc)
				die(2, "%s needs a value", a);
			val = argv[++i];
		}
		if (!strcmp(a, "--layout")) {
			if (A.nr_pmds == MAX_PMDS)
				die(2, "at most %d --layout (PMDs)", MAX_PMDS);
			A.layout_text[A.nr_pmds] = val;
			if (!strcmp(val, "no-table")) {
				A.no_table[A.nr_pmds] = true;
				for (int s = 0; s < NR_PTES; s++)
					A.layout[A.nr_pmds][s] = K_NONE;
				A.nr_pmds++;
			} else {
				parse_layout(val, A.layout[A.nr_pmds++]);
			}
		} else if (!strcmp(a, "--knob")) {
			const char *eq = strchr(val, '=');
			bool ok = false;
			for (int k = 0; eq && k < 3; k++) {
				if (strlen(A.knobs[k].name) == (size_t)(eq - val) &&
				    !strncmp(val, A.knobs[k].name, eq - val)) {
					char *end;
					long v = strtol(eq + 1, &end, 10);
					if (*end || end == eq + 1 || v < 0 || v > 511)
						die(2, "--knob %s: value must be a whole number from 0 to 511", val);
					if (A.knobs[k].set && A.knobs[k].value != v)
						die(2, "--knob %s given twice with different values", A.knobs[k].name);
					A.knobs[k].value = v;
					A.knobs[k].set = ok = true;
				}
			}
			if (!ok)
				die(2, "unknown knob \"%.*s\"; known knobs: max_ptes_none, max_ptes_swap, max_ptes_shared",
				    eq ? (int)(eq - val) : (int)strlen(val), val);
		} else if (!strcmp(a, "--uffd")) {
			if (strcmp(val, "wp") && strcmp(val, "missing"))
				die(2, "unknown uffd mode \"%s\"; known modes: wp, missing", val);
			if (A.uffd && strcmp(A.uffd, val))
				die(2, "--uffd given twice with different values");
			A.uffd = val;
		} else if (!strcmp(a, "--timeout-ms")) {
			A.timeout_ms = strtol(val, NULL, 10);
			if (A.timeout_ms < 100)
				die(2, "--timeout-ms must be at least 100");
		} else if (!strcmp(a, "--hold-ms")) {
			A.hold_ms = strtol(val, NULL, 10);
			if (A.hold_ms < 0 || A.hold_ms > 600000)
				die(2, "--hold-ms must be from 0 to 600000");
		} else if (!strcmp(a, "--swap-dir")) {
			if (val[0] != '/' || strlen(val) + sizeof(SWAP_NAME) + 1 >= sizeof(A.swap_file))
				die(2, "--swap-dir needs an absolute path (of a directory on a file system that allows swap files)");
			snprintf(A.swap_file, sizeof(A.swap_file), "%s/%s", val, SWAP_NAME);
		} else if (!strcmp(a, "--khugepaged")) {
			A.khugepaged = true;
		} else if (!strcmp(a, "--madvise")) {
			A.khugepaged = false;
		} else if (!strcmp(a, "--trace")) {
			A.trace = true;
		} else if (!strcmp(a, "--no-prime")) {
			A.no_prime = true;
		} else if (!strcmp(a, "--restore")) {
			A.restore = true;
		} else if (!strcmp(a, "--probe")) {
			A.probe = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(USAGE, stdout);
			exit(0);
		} else {
			die(2, "unknown argument \"%s\"; try --help", a);
		}
	}
	if (A.trace && A.khugepaged)
		die(2, "--trace records this process's own MADV_COLLAPSE; khugepaged's events cannot be told apart per process");
	if (!A.restore && !A.probe && !A.nr_pmds)
		die(2, "missing --layout (e.g. --layout \"page*511,guard\"); try --help");
	for (int k = 0; k < 3; k++)
		if (A.knobs[k].set && !A.khugepaged)
			die(2, "--knob %s only means something with --khugepaged (MADV_COLLAPSE ignores the max_ptes_* knobs)",
			    A.knobs[k].name);
}

/* ---- safety: one run at a time, nothing left over from an earlier one ---------------------- */
static void take_lock(void)
{
	S.lock_fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600); /* /run/lock is world-writable */
	if (S.lock_fd < 0)
		die(4, "cannot open %s: %s", LOCK_PATH, strerror(errno));
	/* another run (another checkout's test suite) may hold it: wait, but not forever */
	for (int i = 0; flock(S.lock_fd, LOCK_EX | LOCK_NB); i++) {
		if (i == 1800)
			die(4, "another collapse-live run has held %s for 3 minutes", LOCK_PATH);
		sleep_ms(100);
	}
}

/* State file: one "knob PATH VALUE" line per knob about to change, "swap PATH" before swapon. */
static void state_append(const char *line)
{
	int fd = open(STATE_PATH, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		die(1, "cannot write %s: %s", STATE_PATH, strerror(errno));
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(fd))
		die(1, "cannot write %s: %s", STATE_PATH, strerror(errno));
	close(fd);
	S.state_written = true;
}

static void refuse_leftovers(void)
{
	if (access(STATE_PATH, F_OK) == 0)
		die(4, "%s exists: an earlier run was killed before it restored the khugepaged knobs or "
		       "removed its swap file. Look at that file, then run `collapse-live --restore`.",
		    STATE_PATH);
	if (swap_file_active(A.swap_file))
		die(4, "swap file %s is already active, and this run did not enable it. "
		       "If an earlier run left it: swapoff %s && rm %s",
		    A.swap_file, A.swap_file, A.swap_file);
	if (access(A.swap_file, F_OK) == 0)
		die(4, "%s already exists; this program creates it fresh and removes it. "
		       "Remove it (if it is a leftover of ours) and run again.", A.swap_file);
}

static int do_restore(void)
{
	FILE *f = fopen(STATE_PATH, "re");
	char line[512];
	int bad = 0;
	if (!f) {
		printf("nothing to restore (%s does not exist)\n", STATE_PATH);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char what[16], path[400], value[64] = "";
		int n = sscanf(line, "%15s %399s %63s", what, path, value);
		if (n >= 3 && !strcmp(what, "knob") && !strncmp(path, KHUGEPAGED_DIR "/", strlen(KHUGEPAGED_DIR) + 1)) {
			write_str(path, value);
			printf("restored %s = %s\n", path, value);
		} else if (n >= 2 && !strcmp(what, "instance") &&
			   !strncmp(path, TRACEFS "/instances/collapse-live-", strlen(TRACEFS "/instances/collapse-live-"))) {
			if (rmdir(path) && errno != ENOENT) {
				printf("rmdir %s failed: %s\n", path, strerror(errno));
				bad = 1;
			} else {
				printf("removed tracing instance %s\n", path);
			}
		} else if (n >= 2 && !strcmp(what, "mount") && !strcmp(path, TRACEFS)) {
			if (umount2(TRACEFS, 0) && errno != EINVAL) {
				printf("umount %s failed: %s\n", TRACEFS, strerror(errno));
				bad = 1;
			} else {
				printf("unmounted %s\n", TRACEFS);
			}
		} else if (n >= 2 && !strcmp(what, "swap")) {
			const char *base = strrchr(path, '/');
			if (!base || strcmp(base + 1, SWAP_NAME)) {
				printf("not touching %s: not a swap file of ours\n", path);
				bad = 1;
				continue;
			}
			if (swap_file_active(path) && swapoff(path)) {
				printf("swapoff %s failed: %s\n", path, strerror(errno));
				bad = 1;
				continue;
			}
			unlink(path);
			printf("removed swap file %s\n", path);
		}
	}
	fclose(f);
	if (!bad)
		unlink(STATE_PATH);
	return bad;
}

/* ---- swap ------------------------------------------------------------------------------------ */
static int run_cmd(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *find_mkswap(void)
{
	static const char *const paths[] = { "/usr/sbin/mkswap", "/sbin/mkswap", "/usr/bin/mkswap" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* A swap file big enough for `pages` pages (and at least 16 MiB), enabled for this run only.
 * mkswap (util-linux) writes the header: a well-kept tool rather than our own header code. */
static void swap_enable(size_t pages)
{
	const char *mkswap = find_mkswap();
	size_t bytes = (pages + 1024) * PAGE_SZ;
	char line[400];
	if (bytes < (16UL << 20))
		bytes = 16UL << 20;
	if (!mkswap)
		die(3, "the layout has swap entries but mkswap (util-linux) is not installed");
	snprintf(S.swap_path, sizeof(S.swap_path), "%s", A.swap_file);
	snprintf(line, sizeof(line), "swap %s\n", S.swap_path);
	state_append(line);
	int fd = open(S.swap_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die(1, "cannot create swap file %s: %s", S.swap_path, strerror(errno));
	S.swap_created = true;
	/* swapon needs a file without holes: write it (fallocate'd extents are refused on some fs) */
	static char zeros[1 << 20];
	for (size_t done = 0; done < bytes; done += sizeof(zeros)) {
		if (write(fd, zeros, sizeof(zeros)) != (ssize_t)sizeof(zeros))
			die(1, "cannot write swap file %s: %s", S.swap_path, strerror(errno));
	}
	fsync(fd);
	close(fd);
	char *argv[] = { (char *)mkswap, "-q", S.swap_path, NULL };
	if (run_cmd(argv) != 0)
		die(1, "mkswap %s failed", S.swap_path);
	if (swapon(S.swap_path, 0))
		die(3, "swapon %s failed: %s (the kernel or file system does not allow a swap file here)",
		    S.swap_path, strerror(errno));
	S.swap_on = true;
}

/* ---- khugepaged knobs ------------------------------------------------------------------------- */
static void knob_set(const char *name, long value)
{
	struct knob_save *k = &S.knobs[S.nr_knobs];
	char line[256], val[32];
	snprintf(k->path, sizeof(k->path), KHUGEPAGED_DIR "/%s", name);
	if (!read_line(k->path, k->orig, sizeof(k->orig)))
		die(3, "cannot read %s: %s", k->path, strerror(errno));
	snprintf(line, sizeof(line), "knob %s %s\n", k->path, k->orig);
	state_append(line); /* saved before it changes */
	S.nr_knobs++;
	snprintf(val, sizeof(val), "%ld", value);
	k->changed = true;
	int fd = open(k->path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die(1, "cannot set %s = %s: %s", k->path, val, strerror(errno));
	close(fd);
}

/* ---- userfaultfd ------------------------------------------------------------------------------- */
static int uffd_open(uint64_t features)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		die(3, "userfaultfd() failed: %s (CONFIG_USERFAULTFD off, or not allowed)", strerror(errno));
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	if (ioctl(fd, UFFDIO_API, &api))
		die(3, "this kernel's userfaultfd lacks a feature the layout needs (features 0x%" PRIx64 "): %s",
		    features, strerror(errno));
	return fd;
}

/* ---- pagemap / kpageflags ------------------------------------------------------------------ */
static int pagemap_fd = -1, kpageflags_fd = -1;

static void pagemap_read(const char *addr, uint64_t *out, size_t n)
{
	off_t off = (off_t)((uintptr_t)addr / PAGE_SZ) * 8;
	if (pread(pagemap_fd, out, n * 8, off) != (ssize_t)(n * 8))
		die(1, "reading /proc/self/pagemap failed: %s", strerror(errno));
}

static uint64_t kpageflags(uint64_t pfn)
{
	uint64_t v = 0;
	if (pread(kpageflags_fd, &v, 8, (off_t)(pfn * 8)) != 8)
		return 0;
	return v;
}

/* What a pagemap entry shows, in layout-kind words (only kinds this harness builds). */
static const char *classify(uint64_t e)
{
	if (e & PM_PRESENT) {
		uint64_t pfn = e & PM_PFN_MASK;
		if (pfn && (kpageflags(pfn) & (1ULL << KPF_ZERO_PAGE)))
			return "zero";
		if (e & PM_UFFD_WP)
			return "page+uffd";
		return (e & PM_EXCLUSIVE) ? "page" : "shared";
	}
	if (e & PM_SWAP) {
		if (e & PM_GUARD)
			return "guard";
		if (PM_SWP_TYPE(e) == SWP_PTE_MARKER_TYPE) {
			if (e & PM_UFFD_WP)
				return "uffd-marker";
			if (PM_SWP_OFFSET(e) & PTE_MARKER_POISONED)
				return "poison";
			return "marker?";
		}
		if (PM_SWP_TYPE(e) >= 24)
			return "non-swap?";
		return (e & PM_UFFD_WP) ? "swap+uffd" : "swap";
	}
	if (e & PM_GUARD)
		return "guard";
	return e == 0 ? "none" : "other";
}

/* PMD-mapped THP? PAGEMAP_SCAN reports PAGE_IS_HUGE only for a huge PMD (or hugetlb);
 * kpageflags of the first page (THP + compound head) and 512 consecutive PFNs back it up. */
struct pmd_state {
	int scan; /* 1 huge, 0 not, -1 PAGEMAP_SCAN unavailable */
	bool thp_head, contiguous;
};

static struct pmd_state pmd_state(const char *pmd)
{
	struct pmd_state st = { -1, false, false };
	struct cl_page_region regions[4];
	struct cl_pm_scan_arg arg = {
		.size = sizeof(arg), .start = (uintptr_t)pmd, .end = (uintptr_t)pmd + PMD_SZ,
		.vec = (uintptr_t)regions, .vec_len = 4, .category_mask = CL_PAGE_IS_HUGE,
		.return_mask = CL_PAGE_IS_HUGE,
	};
	long n = ioctl(pagemap_fd, CL_PAGEMAP_SCAN, &arg);
	if (n >= 0) {
		uint64_t huge = 0;
		for (long i = 0; i < n; i++)
			huge += regions[i].end - regions[i].start;
		st.scan = huge == PMD_SZ;
	}
	uint64_t e[NR_PTES];
	pagemap_read(pmd, e, NR_PTES);
	uint64_t pfn0 = e[0] & PM_PFN_MASK;
	if ((e[0] & PM_PRESENT) && pfn0) {
		uint64_t fl = kpageflags(pfn0);
		st.thp_head = (fl & (1ULL << KPF_THP)) && (fl & (1ULL << KPF_COMPOUND_HEAD));
		st.contiguous = true;
		for (int i = 1; i < NR_PTES; i++)
			if (!(e[i] & PM_PRESENT) || (e[i] & PM_PFN_MASK) != pfn0 + (uint64_t)i)
				st.contiguous = false;
	}
	return st;
}

/* ---- contents ---------------------------------------------------------------------------- */
static uint64_t cookie;

static uint64_t pattern(int pmd, int slot, int word)
{
	uint64_t x = cookie ^ ((uint64_t)pmd << 40) ^ ((uint64_t)slot << 20) ^ (uint64_t)word;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

static bool has_data(enum kind k)
{
	return k == K_PAGE || k == K_OLD || k == K_SHARED || k == K_SWAP || k == K_SWAP_UFFD ||
	       k == K_PAGE_UFFD || k == K_PAGE_PINNED;
}

static void fill(char *page, int pmd, int slot)
{
	uint64_t *w = (uint64_t *)page;
	for (int i = 0; i < (int)(PAGE_SZ / 8); i++)
		w[i] = pattern(pmd, slot, i);
}

/* true if the page reads what this slot must hold (its pattern, or zeros for none/zero). */
static bool check_page(const char *page, int pmd, int slot, enum kind k)
{
	const volatile uint64_t *w = (const volatile uint64_t *)page;
	for (int i = 0; i < (int)(PAGE_SZ / 8); i++) {
		uint64_t want = has_data(k) ? pattern(pmd, slot, i) : 0;
		if (w[i] != want)
			return false;
	}
	return true;
}

/* ---- building the layout ------------------------------------------------------------------ */
static bool layout_has(enum kind k)
{
	for (int p = 0; p < A.nr_pmds; p++)
		for (int s = 0; s < NR_PTES; s++)
			if (A.layout[p][s] == k)
				return true;
	return false;
}

static size_t layout_count(enum kind k)
{
	size_t n = 0;
	for (int p = 0; p < A.nr_pmds; p++)
		for (int s = 0; s < NR_PTES; s++)
			n += A.layout[p][s] == k;
	return n;
}

static char *slot_addr(int pmd, int slot)
{
	return S.region + (size_t)pmd * PMD_SZ + (size_t)slot * PAGE_SZ;
}

/* madvise each maximal run of slots of kind `k` */
static int madvise_runs(enum kind k, int advice)
{
	int fails = 0;
	for (int p = 0; p < A.nr_pmds; p++) {
		for (int s = 0; s < NR_PTES;) {
			if (A.layout[p][s] != k) {
				s++;
				continue;
			}
			int e = s;
			while (e < NR_PTES && A.layout[p][e] == k)
				e++;
			if (madvise(slot_addr(p, s), (size_t)(e - s) * PAGE_SZ, advice))
				fails++;
			s = e;
		}
	}
	return fails;
}

static int uffd_range_ioctl(int fd, enum kind k, unsigned long req)
{
	for (int p = 0; p < A.nr_pmds; p++) {
		for (int s = 0; s < NR_PTES;) {
			if (A.layout[p][s] != k) {
				s++;
				continue;
			}
			int e = s;
			while (e < NR_PTES && A.layout[p][e] == k)
				e++;
			struct uffdio_range r = { (uintptr_t)slot_addr(p, s), (uint64_t)(e - s) * PAGE_SZ };
			int rc;
			if (req == UFFDIO_POISON) {
				struct uffdio_poison po = { .range = r };
				rc = ioctl(fd, UFFDIO_POISON, &po);
			} else {
				struct uffdio_writeprotect wp = { .range = r, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
				rc = ioctl(fd, UFFDIO_WRITEPROTECT, &wp);
			}
			if (rc)
				return -errno;
			s = e;
		}
	}
	return 0;
}

static void child_keep_mapping(int rfd)
{
	char c;
	S.is_child = true;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* blocks until the parent closes the pipe or kills us; touches nothing */
	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* ---- tracepoints (--trace) ---------------------------------------------------------------------- */
/* A tracing instance of our own (its own buffer and event switches: the global trace is left
 * alone), with the huge_memory events filtered to this process. Recorded in the state file first. */
static const char *const TRACE_EVENTS[] = { "mm_khugepaged_scan_pmd", "mm_collapse_huge_page_isolate",
					    "mm_collapse_huge_page_swapin", "mm_collapse_huge_page" };

static char trace_unavailable[200];

/* false (and trace_unavailable says why) if tracing cannot be set up: the run goes on without it */
static bool trace_setup(void)
{
	char line[300], path[300], filter[64];
	if (access(TRACEFS "/instances", F_OK)) {
		snprintf(line, sizeof(line), "mount %s\n", TRACEFS);
		state_append(line);
		if (mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
			snprintf(trace_unavailable, sizeof(trace_unavailable), "cannot mount tracefs on %s: %s",
				 TRACEFS, strerror(errno));
			return false;
		}
		S.tracefs_mounted = true;
	}
	char dir[128];
	snprintf(dir, sizeof(dir), TRACEFS "/instances/collapse-live-%d", (int)getpid());
	snprintf(line, sizeof(line), "instance %s\n", dir);
	state_append(line);
	if (mkdir(dir, 0700)) {
		snprintf(trace_unavailable, sizeof(trace_unavailable), "cannot create tracing instance %s: %s",
			 dir, strerror(errno));
		return false;
	}
	snprintf(S.trace_dir, sizeof(S.trace_dir), "%s", dir);
	snprintf(filter, sizeof(filter), "common_pid == %d", (int)getpid());
	for (size_t i = 0; i < sizeof(TRACE_EVENTS) / sizeof(TRACE_EVENTS[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/huge_memory/%s/filter", dir, TRACE_EVENTS[i]);
		write_str(path, filter);
		snprintf(path, sizeof(path), "%s/events/huge_memory/%s/enable", dir, TRACE_EVENTS[i]);
		if (access(path, W_OK)) {
			snprintf(trace_unavailable, sizeof(trace_unavailable), "this kernel has no tracepoint %s",
				 TRACE_EVENTS[i]);
			return false;
		}
		write_str(path, "1");
	}
	return true;
}

/* The instance's trace as a JSON array: [{"event": name, "field": "value", ...}] in order. */
static void trace_print(FILE *out)
{
	char path[300], line[1024];
	snprintf(path, sizeof(path), "%s/trace", S.trace_dir);
	FILE *f = fopen(path, "re");
	bool first = true;
	fputs("[", out);
	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = 0;
		char *ev = NULL;
		for (size_t i = 0; i < sizeof(TRACE_EVENTS) / sizeof(TRACE_EVENTS[0]) && !ev; i++) {
			char key[80];
			snprintf(key, sizeof(key), " %s: ", TRACE_EVENTS[i]);
			char *at = strstr(line, key);
			if (at) {
				ev = at + 1;
				ev[strlen(TRACE_EVENTS[i])] = 0;
				char *fields = ev + strlen(TRACE_EVENTS[i]) + 2;
				fprintf(out, "%s{\"event\":\"%s\"", first ? "" : ",", ev);
				first = false;
				char *save = NULL;
				for (char *kv = strtok_r(fields, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
					while (*kv == ' ')
						kv++;
					char *eq = strchr(kv, '=');
					if (!eq)
						continue;
					*eq = 0;
					fprintf(out, ",");
					json_str(out, kv);
					fputc(':', out);
					json_str(out, eq + 1);
				}
				fputc('}', out);
			}
		}
	}
	if (f)
		fclose(f);
	fputs("]", out);
}

/* ---- main ------------------------------------------------------------------------------------- */
static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	default: return "other";
	}
}

/* ---- one run: its state, then one function per step ------------------------------------------ */
static const char *const COUNTERS[] = {
	"thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_scan_exceed_none_pte",
	"thp_scan_exceed_swap_pte", "thp_scan_exceed_share_pte", "pswpin", "pswpout",
};
enum { NR_COUNTERS = sizeof(COUNTERS) / sizeof(COUNTERS[0]) };
static const long KNOB_DEFAULTS[3] = { 511, 64, 256 }; /* khugepaged_init(); also the engine's */

static struct {
	struct utsname un;
	char thp_enabled[32];
	const char *uffd_mode; /* NULL, "wp", "missing" */
	char *base;
	size_t len;
	bool nohuge;
	int prime_pmd, prime_slot;
	int keep_pipe[2], ring, uffd;
	uint64_t before[MAX_PMDS][NR_PTES], after_pm[MAX_PMDS][NR_PTES];
	long c0[NR_COUNTERS], c1[NR_COUNTERS];
	int err;
	long full_scans;
	double waited;
	bool timed_out;
	struct pmd_state after[MAX_PMDS];
	int bad[MAX_PMDS], first_bad[MAX_PMDS];
} R = { .prime_pmd = -1, .prime_slot = -1, .keep_pipe = { -1, -1 }, .ring = -1, .uffd = -1, .full_scans = -1 };

/* Can this machine build the layout at all? Sets R.thp_enabled and R.uffd_mode. */
static void check_machine(void)
{
	if (geteuid() != 0)
		die(3, "needs root: PFNs in /proc/self/pagemap, /proc/kpageflags, swapon and the khugepaged "
		       "knobs are root-only");
	for (int p = 0; p < A.nr_pmds; p++)
		for (int s = 0; s < NR_PTES; s++)
			if (A.layout[p][s] >= NR_BUILDABLE)
				die(3, "kind \"%s\" (PMD %d slot %d): %s", kind_names[A.layout[p][s]], p, s,
				    unbuildable[A.layout[p][s]]);
	if (!read_choice(THP_DIR "/enabled", R.thp_enabled, sizeof(R.thp_enabled)))
		die(3, "no transparent huge pages here (%s/enabled missing)", THP_DIR);
	if (A.khugepaged && !strcmp(R.thp_enabled, "never"))
		die(3, "THP is \"never\" here, so khugepaged does not run for this mapping");
	/* uffd mode: what the caller asked for, or what the layout's kinds need */
	bool need_wp = layout_has(K_PAGE_UFFD) || layout_has(K_SWAP_UFFD) || layout_has(K_UFFD_MARKER);
	bool need_missing = layout_has(K_POISON);
	if (need_wp && A.uffd && strcmp(A.uffd, "wp"))
		die(2, "page+uffd, swap+uffd and uffd-marker need --uffd wp");
	if (need_missing && A.uffd && strcmp(A.uffd, "missing"))
		die(2, "poison markers are installed with UFFDIO_POISON, which needs --uffd missing");
	if (need_wp && need_missing)
		die(2, "one layout cannot mix uffd-wp kinds and poison (one --uffd mode per VMA in the engine)");
	R.uffd_mode = A.uffd ? A.uffd : need_wp ? "wp" : need_missing ? "missing" : NULL;
}

static void print_probe(void)
{
	printf("{\"kernel\":");
	json_str(stdout, R.un.release);
	printf(",\"thp_enabled\":\"%s\",\"buildable\":[", R.thp_enabled);
	for (int i = 0; i < NR_BUILDABLE; i++)
		printf("%s\"%s\"", i ? "," : "", kind_names[i]);
	printf("],\"unbuildable\":{");
	for (int i = NR_BUILDABLE; i < NR_KINDS; i++) {
		printf("%s\"%s\":", i > NR_BUILDABLE ? "," : "", kind_names[i]);
		json_str(stdout, unbuildable[i]);
	}
	printf("}}\n");
}

/* One anonymous mapping, PMD-aligned: map one PMD more, trim both ends. */
static void map_region(void)
{
	R.len = (size_t)A.nr_pmds * PMD_SZ;
	char *raw = mmap(NULL, R.len + PMD_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die(1, "mmap failed: %s", strerror(errno));
	R.base = (char *)(((uintptr_t)raw + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (R.base > raw)
		munmap(raw, (size_t)(R.base - raw));
	if (raw + R.len + PMD_SZ > R.base + R.len)
		munmap(R.base + R.len, (size_t)(raw + R.len + PMD_SZ - (R.base + R.len)));
	S.region = R.base;
	S.region_len = R.len;
	/* With THP "always", faults would map huge pages before the layout is built: forbid that
	 * while building (MADV_HUGEPAGE lifts it again before the collapse). */
	R.nohuge = !strcmp(R.thp_enabled, "always");
	if (R.nohuge && madvise(R.base, R.len, MADV_NOHUGEPAGE))
		die(1, "MADV_NOHUGEPAGE failed: %s", strerror(errno));
}

/* anon_vma: the kernel refuses MADV_COLLAPSE (EINVAL, before any scan) and khugepaged ignores a
 * VMA that has never had a page written (no anon_vma yet: __thp_vma_allowable_orders() in
 * mm/huge_memory.c). The engine's VMA always has one, so unless --no-prime, a layout without
 * written pages gets one: write one of its empty slots and zap it again (MADV_DONTNEED leaves the
 * PTE none and the PTE table in place). */
static void prime_anon_vma(void)
{
	for (int p = 0; p < A.nr_pmds; p++)
		for (int s = 0; s < NR_PTES; s++)
			if (has_data(A.layout[p][s]))
				return;
	for (int p = 0; !A.no_prime && p < A.nr_pmds; p++) {
		if (A.no_table[p])
			continue;
		R.prime_pmd = p;
		R.prime_slot = 0;
		*(volatile char *)slot_addr(p, 0) = 1;
		if (madvise(slot_addr(p, 0), PAGE_SZ, MADV_DONTNEED))
			die(1, "MADV_DONTNEED failed: %s", strerror(errno));
		return;
	}
}

/* Shared pages first, then a child that keeps them mapped (mapcount 2); then the private pages
 * (written after the fork: the child has none of them) and the zero pages (read faults). */
static void fault_in_pages(void)
{
	for (int p = 0; p < A.nr_pmds; p++)
		for (int s = 0; s < NR_PTES; s++)
			if (A.layout[p][s] == K_SHARED)
				fill(slot_addr(p, s), p, s);
	if (layout_has(K_SHARED)) {
		if (pipe2(R.keep_pipe, O_CLOEXEC))
			die(1, "pipe failed: %s", strerror(errno));
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			die(1, "fork failed: %s", strerror(errno));
		if (pid == 0) {
			close(R.keep_pipe[1]);
			child_keep_mapping(R.keep_pipe[0]);
		}
		S.child = pid;
		close(R.keep_pipe[0]);
	}
	for (int p = 0; p < A.nr_pmds; p++)
		for (int s = 0; s < NR_PTES; s++) {
			enum kind k = A.layout[p][s];
			if (has_data(k) && k != K_SHARED)
				fill(slot_addr(p, s), p, s);
			else if (k == K_ZERO)
				(void)*(volatile char *)slot_addr(p, s); /* read fault: the shared zero page */
		}
}

/* page+pinned: a long-term GUP pin (FOLL_PIN | FOLL_LONGTERM) on each such page, taken by
 * registering it as an io_uring fixed buffer (io_sqe_buffers_register() in io_uring/rsrc.c);
 * refcount > mapcount until the ring is closed. */
static void pin_pages(void)
{
	struct io_uring_params params;
	memset(&params, 0, sizeof(params));
	R.ring = (int)syscall(__NR_io_uring_setup, 1, &params);
	if (R.ring < 0)
		die(3, "io_uring_setup failed: %s (io_uring disabled here?); page+pinned needs it for the pin",
		    strerror(errno));
	size_t n = layout_count(K_PAGE_PINNED), i = 0;
	struct iovec *iov = calloc(n, sizeof(*iov));
	if (!iov)
		die(1, "out of memory");
	for (int p = 0; p < A.nr_pmds; p++)
		for (int s = 0; s < NR_PTES; s++)
			if (A.layout[p][s] == K_PAGE_PINNED)
				iov[i++] = (struct iovec){ slot_addr(p, s), PAGE_SZ };
	if (syscall(__NR_io_uring_register, R.ring, IORING_REGISTER_BUFFERS, iov, (unsigned)n))
		die(3, "IORING_REGISTER_BUFFERS failed: %s", strerror(errno));
	free(iov);
}

/* userfaultfd: register the VMA in R.uffd_mode, then write-protect pages, install markers, poison. */
static void install_uffd(void)
{
	bool wp = !strcmp(R.uffd_mode, "wp");
	uint64_t features = wp ? (layout_has(K_UFFD_MARKER) ? UFFD_FEATURE_WP_UNPOPULATED : 0)
			       : (layout_has(K_POISON) ? UFFD_FEATURE_POISON : 0);
	R.uffd = uffd_open(features);
	struct uffdio_register reg = {
		.range = { (uintptr_t)R.base, R.len },
		.mode = wp ? UFFDIO_REGISTER_MODE_WP : UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(R.uffd, UFFDIO_REGISTER, &reg))
		die(3, "UFFDIO_REGISTER (%s) on anonymous memory failed: %s", R.uffd_mode, strerror(errno));
	static const enum kind wp_kinds[] = { K_PAGE_UFFD, K_SWAP_UFFD, K_UFFD_MARKER };
	for (size_t i = 0; i < sizeof(wp_kinds) / sizeof(wp_kinds[0]); i++) {
		int rc = layout_has(wp_kinds[i]) ? uffd_range_ioctl(R.uffd, wp_kinds[i], UFFDIO_WRITEPROTECT) : 0;
		if (rc)
			die(3, "UFFDIO_WRITEPROTECT failed: %s", strerror(-rc));
	}
	int rc = layout_has(K_POISON) ? uffd_range_ioctl(R.uffd, K_POISON, UFFDIO_POISON) : 0;
	if (rc)
		die(3, "UFFDIO_POISON failed: %s (needs Linux 6.6+)", strerror(-rc));
}

/* swap: a swap file of our own, MADV_PAGEOUT, and check that the PTEs really are swap entries */
static void swap_out(size_t nswap)
{
	swap_enable(nswap);
	for (int tries = 0;; tries++) {
		madvise_runs(K_SWAP, MADV_PAGEOUT);
		madvise_runs(K_SWAP_UFFD, MADV_PAGEOUT);
		size_t left = 0;
		for (int p = 0; p < A.nr_pmds; p++) {
			uint64_t e[NR_PTES];
			pagemap_read(slot_addr(p, 0), e, NR_PTES);
			for (int s = 0; s < NR_PTES; s++)
				if ((A.layout[p][s] == K_SWAP || A.layout[p][s] == K_SWAP_UFFD) && !(e[s] & PM_SWAP))
					left++;
		}
		if (!left)
			return;
		if (tries == 20)
			die(1, "MADV_PAGEOUT left %zu of %zu pages in memory after 20 tries", left, nswap);
		sleep_ms(20);
	}
}

/* Build every PMD's layout, in an order that keeps each kind what it was made to be. */
static void build_layout(void)
{
	prime_anon_vma();
	fault_in_pages();
	if (layout_has(K_PAGE_PINNED))
		pin_pages();
	if (layout_has(K_GUARD) && madvise_runs(K_GUARD, MADV_GUARD_INSTALL))
		die(3, "MADV_GUARD_INSTALL failed: %s (needs Linux 6.13+)", strerror(errno));
	if (R.uffd_mode)
		install_uffd();
	/* old: MADV_COLD clears the accessed bit, PG_referenced and the idle-page young flag of
	 * exactly these pages, and flushes the TLB (madvise_cold_or_pageout_pte_range() in
	 * mm/madvise.c). /proc/self/clear_refs would not do: it clears the bits of the whole process
	 * without a TLB flush, so re-reading a page meant to stay young hits the TLB and leaves it old. */
	if (layout_has(K_OLD) && madvise_runs(K_OLD, MADV_COLD))
		die(1, "MADV_COLD failed: %s", strerror(errno));
	size_t nswap = layout_count(K_SWAP) + layout_count(K_SWAP_UFFD);
	if (nswap)
		swap_out(nswap);
	if (R.nohuge && !A.khugepaged && madvise(R.base, R.len, MADV_HUGEPAGE))
		die(1, "MADV_HUGEPAGE failed: %s", strerror(errno));
	for (int p = 0; p < A.nr_pmds; p++) /* what the PTEs hold now (checked in the report) */
		pagemap_read(slot_addr(p, 0), R.before[p], NR_PTES);
}

/* khugepaged: wait like the selftest's wait_for_scan(): every PMD collapsed, or two full passes
 * after we registered, or the timeout. */
static void wait_for_khugepaged(void)
{
	long fs0 = read_long(KHUGEPAGED_DIR "/full_scans");
	if (madvise(R.base, R.len, MADV_HUGEPAGE))
		die(1, "MADV_HUGEPAGE failed: %s", strerror(errno));
	double t0 = now_ms();
	for (;;) {
		bool all = true;
		for (int p = 0; p < A.nr_pmds; p++) {
			struct pmd_state st = pmd_state(slot_addr(p, 0));
			all = all && (st.scan == 1 || (st.scan < 0 && st.thp_head && st.contiguous));
		}
		R.full_scans = read_long(KHUGEPAGED_DIR "/full_scans");
		if (all || R.full_scans >= fs0 + 2)
			break;
		if (now_ms() - t0 > A.timeout_ms) {
			R.timed_out = true;
			break;
		}
		sleep_ms(20);
	}
	R.waited = now_ms() - t0;
	R.full_scans -= fs0;
}

/* The collapse itself: MADV_COLLAPSE over every PMD, or khugepaged with its knobs. */
static void collapse(void)
{
	for (int i = 0; i < NR_COUNTERS; i++)
		R.c0[i] = vmstat(COUNTERS[i]);
	if (A.khugepaged) {
		/* every max_ptes_* knob: the given value, else the default (a value someone else left
		 * set would skew the comparison) */
		for (int k = 0; k < 3; k++)
			knob_set(A.knobs[k].name, A.knobs[k].set ? A.knobs[k].value : KNOB_DEFAULTS[k]);
		/* Faster passes for the run (restored after). A pass costs khugepaged 512 units of
		 * pages_to_scan per PMD of every registered VMA, populated or not, and other processes
		 * may have registered large ones (Node's V8 reserves 1 GiB MADV_HUGEPAGE regions): at the
		 * default 4096 per 10 s, one full pass can take minutes. */
		knob_set("scan_sleep_millisecs", 10);
		knob_set("alloc_sleep_millisecs", 100);
		knob_set("pages_to_scan", 65536);
	} else if (A.trace && !trace_setup()) {
		A.trace = false;
	}
	if (A.hold_ms) {
		fprintf(stderr, "collapse-live: holding %ld ms before the collapse\n", A.hold_ms);
		sleep_ms(A.hold_ms);
	}
	if (A.khugepaged)
		wait_for_khugepaged();
	else if (madvise(R.base, R.len, MADV_COLLAPSE))
		R.err = errno;
	for (int i = 0; i < NR_COUNTERS; i++)
		R.c1[i] = vmstat(COUNTERS[i]);
}

/* Per PMD: huge now (measured before anything is read: a read fault must not change it), the
 * PTEs, and whether every readable page holds what it should. */
static void measure(void)
{
	for (int p = 0; p < A.nr_pmds; p++) {
		R.after[p] = pmd_state(slot_addr(p, 0));
		pagemap_read(slot_addr(p, 0), R.after_pm[p], NR_PTES);
	}
	if (R.uffd >= 0) { /* unregister first: a read of a missing page would wait for a handler */
		struct uffdio_range r = { (uintptr_t)R.base, R.len };
		ioctl(R.uffd, UFFDIO_UNREGISTER, &r);
		close(R.uffd);
	}
	for (int p = 0; p < A.nr_pmds; p++) {
		R.first_bad[p] = -1;
		for (int s = 0; s < NR_PTES; s++) {
			enum kind k = A.layout[p][s];
			/* a guard or poison slot that is still a marker cannot be read (SIGSEGV/SIGBUS) */
			if ((k == K_GUARD || k == K_POISON) && !R.after[p].thp_head)
				continue;
			if (!check_page(slot_addr(p, s), p, s, k)) {
				if (R.first_bad[p] < 0)
					R.first_bad[p] = s;
				R.bad[p]++;
			}
		}
	}
	if (R.keep_pipe[1] >= 0)
		close(R.keep_pipe[1]);
	if (R.ring >= 0)
		close(R.ring); /* unpins */
}

/* One PMD's JSON object; returns how many of its PTEs were not the kind asked for. */
static int print_pmd(int p)
{
	const struct pmd_state *a = &R.after[p];
	bool collapsed = a->scan >= 0 ? a->scan == 1 : a->thp_head && a->contiguous;
	printf("%s{\"layout\":", p ? "," : "");
	json_str(stdout, A.layout_text[p]);
	printf(",\"collapsed\":%s,\"pagemap_scan_huge\":%s,\"thp_head\":%s,\"pfns_contiguous\":%s",
	       collapsed ? "true" : "false", a->scan < 0 ? "null" : a->scan ? "true" : "false",
	       a->thp_head ? "true" : "false", a->contiguous ? "true" : "false");
	printf(",\"contents_ok\":%s,\"bad_pages\":%d,\"first_bad_slot\":%d", R.bad[p] ? "false" : "true",
	       R.bad[p], R.first_bad[p]);
	/* before: counts per observed kind, and the slots whose PTE is not what the layout asked */
	int counts[NR_BUILDABLE + 1] = { 0 }, mis = 0, first_mis = -1;
	const char *first_mis_saw = "";
	int present_before = 0, swap_before = 0, present_after = 0, swap_after = 0;
	for (int s = 0; s < NR_PTES; s++) {
		uint64_t b = R.before[p][s], e = R.after_pm[p][s];
		const char *saw = classify(b);
		int idx = NR_BUILDABLE;
		for (int i = 0; i < NR_BUILDABLE; i++)
			if (!strcmp(saw, kind_names[i]))
				idx = i;
		counts[idx]++;
		if (strcmp(saw, observed_name[A.layout[p][s]])) {
			if (first_mis < 0) {
				first_mis = s;
				first_mis_saw = saw;
			}
			mis++;
		}
		present_before += !!(b & PM_PRESENT);
		swap_before += (b & PM_SWAP) && PM_SWP_TYPE(b) < 24;
		present_after += !!(e & PM_PRESENT);
		swap_after += (e & PM_SWAP) && PM_SWP_TYPE(e) < 24;
	}
	printf(",\"before\":{\"present\":%d,\"swap\":%d,\"kinds\":{", present_before, swap_before);
	bool firstk = true;
	for (int i = 0; i <= NR_BUILDABLE; i++) {
		if (!counts[i])
			continue;
		printf("%s\"%s\":%d", firstk ? "" : ",", i < NR_BUILDABLE ? kind_names[i] : "other", counts[i]);
		firstk = false;
	}
	printf("},\"not_as_asked\":%d", mis);
	if (first_mis >= 0)
		printf(",\"first_not_as_asked\":{\"slot\":%d,\"asked\":\"%s\",\"saw\":\"%s\"}", first_mis,
		       kind_names[A.layout[p][first_mis]], first_mis_saw);
	printf("},\"after\":{\"present\":%d,\"swap\":%d}}", present_after, swap_after);
	return mis;
}

static void print_report(void)
{
	printf("{\"harness\":\"collapse-live\",\"kernel\":");
	json_str(stdout, R.un.release);
	printf(",\"thp_enabled\":\"%s\",\"mode\":\"%s\"", R.thp_enabled, A.khugepaged ? "khugepaged" : "madvise");
	if (R.prime_pmd >= 0)
		printf(",\"anon_vma_primed\":{\"pmd\":%d,\"slot\":%d}", R.prime_pmd, R.prime_slot);
	else
		printf(",\"anon_vma_primed\":null");
	if (R.uffd_mode)
		printf(",\"uffd\":\"%s\"", R.uffd_mode);
	else
		printf(",\"uffd\":null");
	if (A.khugepaged) {
		printf(",\"errno\":null,\"knobs\":{");
		for (int k = 0; k < 3; k++)
			printf("%s\"%s\":%ld", k ? "," : "", A.knobs[k].name,
			       A.knobs[k].set ? A.knobs[k].value : KNOB_DEFAULTS[k]);
		printf("},\"khugepaged\":{\"full_scans\":%ld,\"waited_ms\":%.0f,\"timed_out\":%s}", R.full_scans,
		       R.waited, R.timed_out ? "true" : "false");
	} else {
		printf(",\"errno\":\"%s\",\"errno_num\":%d", errno_name(R.err), R.err);
	}
	printf(",\"vmstat\":{");
	for (int i = 0; i < NR_COUNTERS; i++)
		printf("%s\"%s\":%ld", i ? "," : "", COUNTERS[i], R.c1[i] - R.c0[i]);
	printf("},\"pmds\":[");
	int mismatches = 0;
	for (int p = 0; p < A.nr_pmds; p++)
		mismatches += print_pmd(p);
	printf("],\"built_as_asked\":%s", mismatches ? "false" : "true");
	if (A.trace) {
		printf(",\"trace\":");
		trace_print(stdout);
	} else if (trace_unavailable[0]) {
		printf(",\"trace\":null,\"trace_unavailable\":");
		json_str(stdout, trace_unavailable);
	}
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	uname(&R.un);
	if (geteuid() == 0 && A.restore) {
		take_lock();
		return do_restore();
	}
	check_machine();
	if (A.probe) {
		print_probe();
		return 0;
	}
	take_lock();
	install_handlers();
	refuse_leftovers();
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (pagemap_fd < 0 || kpageflags_fd < 0)
		die(3, "cannot open /proc/self/pagemap or /proc/kpageflags: %s", strerror(errno));
	srand((unsigned)(time(NULL) ^ getpid()));
	cookie = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)getpid();

	map_region();
	build_layout();
	collapse();
	measure();
	print_report();
	cleanup();
	return 0;
}
