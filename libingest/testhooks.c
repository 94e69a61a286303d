/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The test hooks (testhooks.h, docs/test-hooks.md); compiled only with
 * -Dtest-hooks=true. Every fault needs its marker in the input itself as
 * well as the switch, so a switch left set changes nothing for real input.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "testhooks.h"

/* How far into an input or document every fault marker is looked for: the
 * first bytes the scan reads of any input (one value for every hook; there
 * were two, 64 KiB and 4 KiB). */
#define FAULT_SCAN_BYTES (64u << 10)
/* The extractor's marker. */
#define EXTRACTOR_FAULT_MARKER "INGEST-FAULT-INJECT"

void testhook_crash_point(const char *step)
{
	const char *at = getenv("INGEST_TEST_CRASH_AT");
	if (at && strcmp(at, step) == 0) {
		(void)kill(getpid(), SIGKILL);     /* a real kill: no cleanup, no atexit */
		_exit(99);
	}
}

void testhook_pause_point(const char *step)
{
	const char *at = getenv("INGEST_TEST_PAUSE_AT");
	if (at && strcmp(at, step) == 0)
		(void)raise(SIGSTOP);   /* the test changes the world, then sends SIGCONT */
}

bool testhook_crash_armed(const char *step)
{
	const char *at = getenv("INGEST_TEST_CRASH_AT");
	return at && strcmp(at, step) == 0;
}

bool testhook_parser_faults(void)
{
	return getenv("INGEST_TEST_PARSER_FAULT") != NULL;
}

/*
 * "INGEST-FAULT-CRASH"  raises SIGSEGV (default action),
 * "INGEST-FAULT-SPIN"   spins for ever (the daemon's watchdog ends it),
 * "INGEST-FAULT-OOM"    reserves memory until malloc fails, then aborts as
 *                       xmalloc() does (only under an RLIMIT_AS: without one
 *                       it aborts at once rather than eat the machine);
 * in an archive's first bytes (e.g. the name of its first zip entry) the
 * same markers read INGEST-FAULT-ARCHIVE-CRASH (-SPIN, -OOM).
 */
void testhook_parser_fault(bool on, enum ing_guard_phase phase, const uint8_t *head, size_t n)
{
	const char *crash = "INGEST-FAULT-CRASH", *spin = "INGEST-FAULT-SPIN", *oom = "INGEST-FAULT-OOM";

	if (!on)
		return;
	if (phase == ING_GUARD_ARCHIVE) {
		crash = "INGEST-FAULT-ARCHIVE-CRASH";
		spin = "INGEST-FAULT-ARCHIVE-SPIN";
		oom = "INGEST-FAULT-ARCHIVE-OOM";
	}
	n = MIN(n, (size_t)FAULT_SCAN_BYTES);
	if (memmem(head, n, crash, strlen(crash))) {
		struct sigaction sa = { .sa_handler = SIG_DFL };
		sigaction(SIGSEGV, &sa, NULL);   /* not a sanitizer's handler: die of the signal itself */
		raise(SIGSEGV);
	} else if (memmem(head, n, spin, strlen(spin))) {
		volatile unsigned long x = 0;
		for (;;)
			x++;
	} else if (memmem(head, n, oom, strlen(oom))) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
			/* reserved, never touched: the address space limit strikes, not the RAM */
			for (;;) {
				void *volatile p = malloc(64u << 20);
				if (!p)
					break;
			}
		}
		abort();     /* what xmalloc() does when malloc fails */
	}
}

/* A disc's bad sector, which this VM cannot make (no device-mapper, no FUSE). */
bool testhook_read_eio(bool on, const uint8_t *head, size_t n)
{
	static const char eio[] = "INGEST-FAULT-EIO";
	return on && memmem(head, MIN(n, (size_t)FAULT_SCAN_BYTES), eio, sizeof(eio) - 1);
}

/* Runs in the child after its sandbox is in place, so tests prove the
 * confinement: RLIMIT_CPU ends the loop, only the parent's wall clock the sleep. */
void testhook_extractor_fault(const uint8_t *doc, size_t len)
{
	const char *fault = getenv("INGEST_TEST_EXTRACTOR_FAULT");

	if (!fault || !memmem(doc, MIN(len, (size_t)FAULT_SCAN_BYTES), EXTRACTOR_FAULT_MARKER,
	                      strlen(EXTRACTOR_FAULT_MARKER)))
		return;
	if (strcmp(fault, "crash") == 0) {
		struct sigaction sa = { .sa_handler = SIG_DFL };
		sigaction(SIGSEGV, &sa, NULL);
		raise(SIGSEGV);
	} else if (strcmp(fault, "hang") == 0) {
		volatile unsigned long spin = 0;
		for (;;)
			spin++;
	} else if (strcmp(fault, "stall") == 0) {
		/* Uses no CPU: only the parent's wall clock can end it. */
		for (;;)
			nanosleep(&(struct timespec){ .tv_sec = 1000 }, NULL);
	}
}

/* Never set in production: library messages may quote document content. */
bool testhook_docext_keep_stderr(void)
{
	const char *dbg = getenv("INGEST_DOCEXT_DEBUG");
	return dbg && *dbg && strcmp(dbg, "0") != 0;
}

const char *testhook_rules_dir(void)
{
	const char *dir = getenv("INGEST_TEST_RULES_DIR");
	return dir && *dir ? dir : NULL;
}

void testhook_report_copy(const char *json)
{
	const char *dir = getenv("INGEST_TEST_REPORT_COPIES");
	static unsigned n;
	if (!dir || !*dir || !json)
		return;
	char path[4096];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (snprintf(path, sizeof(path), "%s/report-%ld-%ld-%u.json", dir, (long)getpid(), (long)ts.tv_nsec, n++) >=
	    (int)sizeof(path))
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == ENOENT && mkdir(dir, 0755) == 0)
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	size_t len = strlen(json), off = 0;
	while (off < len) {
		ssize_t w = write(fd, json + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
}

/* Only entries that map to 127.0.0.1 are kept (checked once, kept for the
 * process): a switch left set cannot send a download anywhere else. */
const char *testhook_connect_to(void)
{
	static char kept[4096];
	static int done;
	const char *spec;
	size_t k = 0;

	if (done)
		return kept[0] ? kept : NULL;
	done = 1;
	spec = getenv("INGEST_TEST_CONNECT_TO");
	for (const char *p = spec; p && *p;) {
		size_t n = strcspn(p, ",");
		const char *c1 = memchr(p, ':', n), *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - p)) : NULL;
		bool local = c2 && n - (size_t)(c2 + 1 - p) > 10 && strncmp(c2 + 1, "127.0.0.1:", 10) == 0;
		if (local && k + n + 2 < sizeof(kept)) {
			if (k)
				kept[k++] = ',';
			memcpy(kept + k, p, n);
			k += n;
			kept[k] = 0;
		}
		p += n + (p[n] == ',');
	}
	return kept[0] ? kept : NULL;
}
