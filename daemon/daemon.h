/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main loop's state (struct daemon) and what its parts call of each other:
 * the watcher (watch.c), the workers and their watchdog (workers.c), the
 * recovery at start (recover.c) and main (ingestd.c). */
#ifndef INGESTD_DAEMON_H
#define INGESTD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ingestd.h"

struct entry {
	char *name;
	bool is_dir;
	int64_t last_event_ms;
	bool gone;
	struct entry *next;
};

struct wd;        /* watch.c */
struct dirty;     /* watch.c */

struct worker {
	pid_t pid;
	int64_t drop_id;     /* 0: maintenance */
	char case_id[80];
	struct ing_guard *guard;   /* what its scan parses now (drop workers; NULL if it could not be made) */
	uint64_t seen_progress;    /* the guard's counter when last seen moving, and when */
	int64_t seen_at_ms;
	unsigned killed_after_s;   /* the watchdog killed it after this long without progress; 0: not */
	unsigned rules_seq;        /* the copy of the rules it was given (rules-snapshot.h) */
	int64_t delivery_id;       /* a delivery worker (deliver.c; drop_id is 0): its delivery */
	bool preempted;            /* a delivery stopped for a new drop of its case (resumes after it) */
};

struct daemon {
	struct ingestd_config *cfg;
	const char *config_path;
	bool config_given;
	bool check_verbose;           /* --check-config -v: print every key in force */
	int epfd, sigfd, inofd, tfd;
	struct journal *j;
	struct entry *entries;
	struct wd *wds;
	size_t n_wds, cap_wds;
	struct dirty *dirty;
	size_t n_dirty, cap_dirty;
	struct worker *workers;
	size_t n_workers;
	bool stopping, overflowed, started;
	int64_t last_proc_scan_ms;
	int64_t last_rescan_ms, last_mail_ms, last_prune_ms, stop_at_ms;
	unsigned mail_backoff_s;
	uint64_t watchdog_usec;
	int64_t last_watchdog_ms;
	dev_t db_dev;        /* the journal file we opened: noticed when it is deleted or replaced */
	ino_t db_ino;
	bool journal_lost;
	/* The rules the workers use: the daemon's copy of the last rules it
	 * validated (rules-snapshot.h), its number, and when it was taken. */
	char *rules_snapshot;
	struct ruleset *rules;           /* the copy, loaded: forked workers read it, none loads it again */
	unsigned rules_seq;
	int64_t rules_good_at;
	unsigned rules_gc_seq;           /* rules_seq and n_workers when unused copies were last removed */
	size_t rules_gc_workers;
};

static inline int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The inbox watcher (watch.c): inotify bookkeeping, rescans, settling and claiming. */
void dirty_remove_at(struct daemon *d, size_t i);
void wds_clear(struct daemon *d);
void entries_gc(struct daemon *d);
void inbox_rescan(struct daemon *d);
void inotify_setup(struct daemon *d);
void handle_inotify(struct daemon *d);
void settle_check(struct daemon *d);

/* Worker processes and their watchdog (workers.c). */
unsigned busy_workers(struct daemon *d);
void watchdog_check(struct daemon *d);
pid_t spawn(struct daemon *d, int64_t drop_id, const char *case_id, bool prune);
void schedule(struct daemon *d);
void reap(struct daemon *d);
void stop_workers(struct daemon *d, int sig);
/* A maintenance worker (mail, pruning): neither a drop's nor a delivery's. */
static inline bool worker_is_maintenance(const struct worker *w)
{
	return w->drop_id == 0 && w->delivery_id == 0;
}

/* At start (recover.c): what is in work/ that the journal does not know. */
void recover_orphans(struct daemon *d);

#endif
