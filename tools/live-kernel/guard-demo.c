// SPDX-License-Identifier: MIT
/*
 * guard-demo — the appendix "Try it on a real kernel", by hand: map an aligned 2 MiB region,
 * write all 512 pages, put a guard marker on one of them (MADV_GUARD_INSTALL, Linux 6.13+), ask
 * for a collapse (MADV_COLLAPSE, 6.1+), and report what happened: the errno, AnonHugePages, and
 * how many huge pages the kernel allocated for collapses meanwhile (thp_collapse_alloc).
 *
 *   cc -O2 -o guard-demo guard-demo.c && ./guard-demo [SLOT|none]
 *
 * SLOT is the guarded page (0-511, default 511); "none" installs no guard.
 * Needs no root. Touches only its own memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#define PAGE 4096UL
#define HPAGE (512 * PAGE)

/* one "name value" line of a /proc file, or -1 */
static long proc_value(const char *path, const char *name)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ' ')
			v = strtol(line + strlen(name) + 1, NULL, 10);
		else if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ':')
			v = strtol(line + strlen(name) + 1, NULL, 10);
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	long slot = 511;
	if (argc > 1)
		slot = strcmp(argv[1], "none") ? strtol(argv[1], NULL, 10) : -1;
	if (slot < -1 || slot > 511) {
		fprintf(stderr, "usage: %s [SLOT 0-511 | none]\n", argv[0]);
		return 2;
	}
	/* map twice the size, then use the 2 MiB-aligned part inside it */
	char *raw = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	char *p = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	memset(p, 0x5a, HPAGE); /* 512 present small pages (THP "madvise": no huge page at fault) */
	if (slot >= 0 && madvise(p + slot * PAGE, PAGE, MADV_GUARD_INSTALL)) {
		perror("MADV_GUARD_INSTALL (needs Linux 6.13+)");
		return 1;
	}
	long alloc0 = proc_value("/proc/vmstat", "thp_collapse_alloc");
	int rc = madvise(p, HPAGE, MADV_COLLAPSE);
	int err = errno;
	long alloc1 = proc_value("/proc/vmstat", "thp_collapse_alloc");
	if (slot >= 0)
		printf("guard page:          slot %ld\n", slot);
	else
		printf("guard page:          none\n");
	printf("MADV_COLLAPSE:       %s\n", rc ? strerrorname_np(err) : "0 (collapsed)");
	printf("AnonHugePages:       %ld kB\n", proc_value("/proc/self/smaps_rollup", "AnonHugePages"));
	printf("thp_collapse_alloc:  +%ld\n", alloc1 - alloc0);
	return 0;
}
