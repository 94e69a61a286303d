/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingestd: the watch-folder daemon (SPEC §2, §3, §8).
 *
 * One single-threaded main loop (epoll) over inotify (the inbox and, recursively,
 * the case folders in it), a signalfd (TERM, INT, HUP, CHLD) and a 1 s timerfd
 * (settle checks, periodic rescan, scheduling, watchdog). Each drop runs in a
 * forked worker process (pipeline.c): a parser that crashes or hangs costs that
 * worker, never the daemon; a worker is killed on SIGTERM and its drop resumes
 * from its last journalled step on the next start. See docs/daemon.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "build-config.h"
#include "ingest.h"
#include "confine.h"
#include "ingestd.h"

#define MAX_WATCHES      65536
#define MAX_DIRTY        100000
#define STOP_GRACE_S     20        /* workers get this long after SIGTERM, then SIGKILL */
#define EXIT_JOURNAL_LOST 3        /* state.db was deleted or replaced while running (docs/faults.md) */

#if defined(__SANITIZE_ADDRESS__)
#define INGESTD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INGESTD_ASAN 1
#endif
#endif
#ifndef INGESTD_ASAN
#define INGESTD_ASAN 0
#endif

struct entry {
	char *name;
	bool is_dir;
	int64_t last_event_ms;
	bool gone;
	struct entry *next;
};

struct wd {
	int wd;
	struct entry *e;    /* NULL: the inbox itself */
};

struct dirty {
	int wd;
	char *name;
	struct entry *e;
	char *path;          /* set: found when its folder was watched, maybe open (see unknown_resolve) */
};

struct worker {
	pid_t pid;
	int64_t drop_id;     /* 0: maintenance */
	char case_id[80];
	struct ing_guard *guard;   /* what its scan parses now (drop workers; NULL if it could not be made) */
	uint64_t seen_progress;    /* the guard's counter when last seen moving, and when */
	int64_t seen_at_ms;
	unsigned killed_after_s;   /* the watchdog killed it after this long without progress; 0: not */
};

struct daemon {
	struct ingestd_config *cfg;
	const char *config_path;
	bool config_given;
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
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- inotify bookkeeping ---- */

static void wd_add(struct daemon *d, int wd, struct entry *e)
{
	for (size_t i = 0; i < d->n_wds; i++)
		if (d->wds[i].wd == wd) {
			d->wds[i].e = e;
			return;
		}
	if (d->n_wds == d->cap_wds) {
		d->cap_wds = d->cap_wds ? d->cap_wds * 2 : 64;
		d->wds = xrealloc(d->wds, d->cap_wds * sizeof(*d->wds));
	}
	d->wds[d->n_wds++] = (struct wd){ wd, e };
}

static struct wd *wd_find(struct daemon *d, int wd)
{
	for (size_t i = 0; i < d->n_wds; i++)
		if (d->wds[i].wd == wd)
			return &d->wds[i];
	return NULL;
}

static void dirty_remove_at(struct daemon *d, size_t i)
{
	free(d->dirty[i].name);
	free(d->dirty[i].path);
	d->dirty[i] = d->dirty[--d->n_dirty];
}

static void dirty_set(struct daemon *d, int wd, const char *name, struct entry *e, bool on)
{
	for (size_t i = 0; i < d->n_dirty; i++)
		if (d->dirty[i].wd == wd && strcmp(d->dirty[i].name, name) == 0) {
			if (!on)
				dirty_remove_at(d, i);
			return;
		}
	if (!on || d->n_dirty >= MAX_DIRTY)
		return;
	if (d->n_dirty == d->cap_dirty) {
		d->cap_dirty = d->cap_dirty ? d->cap_dirty * 2 : 64;
		d->dirty = xrealloc(d->dirty, d->cap_dirty * sizeof(*d->dirty));
	}
	d->dirty[d->n_dirty++] = (struct dirty){ wd, xstrdup(name), e, NULL };
}

static unsigned dirty_count(struct daemon *d, struct entry *e)
{
	unsigned n = 0;
	for (size_t i = 0; i < d->n_dirty; i++)
		n += d->dirty[i].e == e;
	return n;
}

#define WATCH_MASK (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
                    IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

/* Watches PATH and every folder below it, for entry E. A file found in a folder
 * that appeared while we run was created before its watch existed: whether it
 * is still open for writing is unknown, so it counts as being written until
 * unknown_resolve() finds no process holding it. */
static void watch_tree(struct daemon *d, const char *path, struct entry *e, unsigned depth)
{
	if (depth > 32 || d->n_wds >= MAX_WATCHES)
		return;
	int wd = inotify_add_watch(d->inofd, path, WATCH_MASK);
	if (wd < 0)
		return;
	bool known = false;
	for (size_t i = 0; i < d->n_wds; i++)
		known |= d->wds[i].wd == wd;
	wd_add(d, wd, e);
	DIR *dir = opendir(path);
	if (!dir)
		return;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_type == DT_REG && d->started && !known && d->n_dirty < MAX_DIRTY) {
			size_t before = d->n_dirty;
			dirty_set(d, wd, de->d_name, e, true);
			if (d->n_dirty > before)
				d->dirty[before].path = xasprintf("%s/%s", path, de->d_name);
			continue;
		}
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", path, de->d_name);
		watch_tree(d, sub, e, depth + 1);
	}
	closedir(dir);
}

static void unwatch_entry(struct daemon *d, struct entry *e)
{
	for (size_t i = 0; i < d->n_wds;) {
		if (d->wds[i].e == e) {
			inotify_rm_watch(d->inofd, d->wds[i].wd);
			d->wds[i] = d->wds[--d->n_wds];
		} else {
			i++;
		}
	}
	for (size_t i = 0; i < d->n_dirty;)
		if (d->dirty[i].e == e)
			dirty_remove_at(d, i);
		else
			i++;
}

static struct entry *entry_find(struct daemon *d, const char *name)
{
	for (struct entry *e = d->entries; e; e = e->next)
		if (!e->gone && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static struct entry *entry_get(struct daemon *d, const char *name)
{
	struct entry *e = entry_find(d, name);
	if (e)
		return e;
	_cleanup_free_ char *p = xasprintf("%s/%s", d->cfg->inbox, name);
	struct stat st;
	if (lstat(p, &st) < 0)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(name);
	e->is_dir = S_ISDIR(st.st_mode);
	e->last_event_ms = now_ms();
	e->next = d->entries;
	d->entries = e;
	if (e->is_dir)
		watch_tree(d, p, e, 0);
	return e;
}

static void entry_drop(struct daemon *d, struct entry *e)
{
	unwatch_entry(d, e);
	e->gone = true;
}

static void entries_gc(struct daemon *d)
{
	for (struct entry **pe = &d->entries; *pe;) {
		struct entry *e = *pe;
		if (e->gone) {
			*pe = e->next;
			free(e->name);
			free(e);
		} else {
			pe = &e->next;
		}
	}
}

static void inbox_rescan(struct daemon *d)
{
	DIR *dir = opendir(d->cfg->inbox);
	if (!dir) {
		log_msg(3, "cannot read the inbox %s: %m", d->cfg->inbox);
		return;
	}
	for (struct entry *e = d->entries; e; e = e->next) {
		_cleanup_free_ char *p = xasprintf("%s/%s", d->cfg->inbox, e->name);
		if (!e->gone && !path_exists(p))
			entry_drop(d, e);
	}
	struct dirent *de;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			entry_get(d, de->d_name);
	closedir(dir);
	entries_gc(d);
	d->last_rescan_ms = now_ms();
}

static void inotify_setup(struct daemon *d)
{
	if (d->inofd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->inofd, NULL);
		close(d->inofd);
	}
	for (struct entry *e = d->entries; e; e = e->next)
		e->gone = true;
	entries_gc(d);
	d->n_wds = 0;
	while (d->n_dirty)
		dirty_remove_at(d, d->n_dirty - 1);
	d->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inofd < 0) {
		log_msg(3, "inotify: %m; relying on the periodic rescan");
		return;
	}
	int wd = inotify_add_watch(d->inofd, d->cfg->inbox, WATCH_MASK);
	if (wd < 0)
		log_msg(3, "cannot watch the inbox %s: %m", d->cfg->inbox);
	else
		wd_add(d, wd, NULL);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = d->inofd };
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->inofd, &ev);
	inbox_rescan(d);
}

static void handle_inotify(struct daemon *d)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(d->inofd, buf, sizeof(buf));
		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* Events were lost: forget what was open, look again, settle by ctime. */
				log_msg(4, "inotify queue overflow: rescanning the inbox");
				d->overflowed = true;
				continue;
			}
			struct wd *w = wd_find(d, ev->wd);
			if (!w)
				continue;
			const char *name = ev->len ? ev->name : "";
			struct entry *e = w->e;
			if (!e) {
				/* An event in the inbox itself: names a top-level entry. */
				if (!ev->len || name[0] == '.')
					continue;
				if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
					struct entry *x = entry_find(d, name);
					if (x)
						entry_drop(d, x);
					continue;
				}
				e = entry_get(d, name);
				if (!e)
					continue;
			} else if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && (ev->mask & IN_ISDIR)) {
				/* A new folder inside a case folder: watch it too (watches already there are kept). */
				_cleanup_free_ char *top = xasprintf("%s/%s", d->cfg->inbox, e->name);
				watch_tree(d, top, e, 0);
			}
			e->last_event_ms = now_ms();
			if (ev->mask & IN_ISDIR)
				continue;
			int key = w->e ? ev->wd : -1;
			if (ev->mask & (IN_CREATE | IN_MODIFY)) {
				dirty_set(d, key, name, e, true);
				for (size_t i = 0; i < d->n_dirty; i++)
					if (d->dirty[i].wd == key && d->dirty[i].path && strcmp(d->dirty[i].name, name) == 0) {
						free(d->dirty[i].path);   /* known now: written, waits for its close */
						d->dirty[i].path = NULL;
					}
			}
			if (ev->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM))
				dirty_set(d, key, name, e, false);
		}
	}
}

/* ---- settling and claiming ---- */

struct tree_state {
	int64_t newest_ctime_ms;
	bool ready, special;
	unsigned files;
};

static void tree_walk(int dfd, struct tree_state *t, unsigned depth, bool top)
{
	DIR *dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir)) && t->files < 10000000) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		int64_t ct = (int64_t)st.st_ctim.tv_sec * 1000 + st.st_ctim.tv_nsec / 1000000;
		int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
		t->newest_ctime_ms = MAX(t->newest_ctime_ms, MAX(ct, mt));
		t->files++;
		if (top && strcmp(de->d_name, "READY") == 0)
			t->ready = true;
		if (S_ISDIR(st.st_mode) && depth < 64) {
			int fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				tree_walk(fd, t, depth + 1, false);
		}
	}
	closedir(dir);
}

static int64_t realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void claim(struct daemon *d, struct entry *e)
{
	_cleanup_free_ char *src = xasprintf("%s/%s", d->cfg->inbox, e->name);
	_cleanup_free_ char *case_id = NULL, *reason = NULL;
	struct stat st;
	if (lstat(src, &st) < 0) {
		entry_drop(d, e);
		return;
	}
	bool is_dir = S_ISDIR(st.st_mode);
	int r = drop_name_parse(e->name, is_dir, &case_id, &reason);
	if (r == 0 && !is_dir && !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		reason = xstrdup("Only folders and regular files can be dropped (this is a symbolic link, device or "
		                 "pipe). Copy the real folder or file into the inbox.");
	}
	unwatch_entry(d, e);
	if (r < 0) {
		r = quarantine_path(d->cfg, src, e->name, reason ? reason : "not a valid drop");
		log_msg(r < 0 ? 3 : 4, "inbox: an entry that is not a valid drop was %s quarantine", r < 0 ? "NOT moved to" : "moved to");
		entry_drop(d, e);
		return;
	}
	struct journal_drop jd = { 0 };
	if ((r = journal_drop_new(d->j, e->name, case_id, &jd)) < 0) {
		log_msg(3, "case %s: cannot journal the new drop: %s; will retry", case_id, ing_strerror(r));
		e->last_event_ms = now_ms();
		if (is_dir)
			watch_tree(d, src, e, 0);
		return;
	}
	_cleanup_free_ char *dst = xasprintf("%s/%s", d->cfg->work, jd.dir);
	if (rename(src, dst) < 0) {
		log_msg(3, "case %s: cannot claim the drop (rename into work/): %m", case_id);
		journal_drop_delete(d->j, jd.id);
		entry_drop(d, e);
		journal_drop_clear(&jd);
		return;
	}
	fsync_dir_of(dst);
	if (is_dir) {
		_cleanup_free_ char *ready = xasprintf("%s/READY", dst);
		unlink(ready);   /* READY is a signal, not an input */
	}
	journal_drop_step(d->j, jd.id, STEP_CLAIMED, NULL);
	log_msg(5, "case %s: drop %lld claimed (%s)", case_id, (long long)jd.id, is_dir ? "folder" : "file");
	journal_drop_clear(&jd);
	entry_drop(d, e);
}

/* Files of unknown state (see watch_tree): held open by a process we can see
 * in /proc? Those that are not are settled like any other file. */
static void unknown_resolve(struct daemon *d)
{
	bool any = false;
	for (size_t i = 0; i < d->n_dirty; i++)
		any |= d->dirty[i].path != NULL;
	if (!any)
		return;
	bool *open_ = xcalloc(d->n_dirty, sizeof(bool));
	DIR *proc = opendir("/proc");
	struct dirent *pe;
	while (proc && (pe = readdir(proc))) {
		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		_cleanup_free_ char *fdd = xasprintf("/proc/%s/fd", pe->d_name);
		DIR *fds = opendir(fdd);
		struct dirent *fe;
		while (fds && (fe = readdir(fds))) {
			char link[4096];
			int fdn = dirfd(fds);
			ssize_t n = readlinkat(fdn, fe->d_name, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			for (size_t i = 0; i < d->n_dirty; i++)
				if (d->dirty[i].path && strcmp(d->dirty[i].path, link) == 0)
					open_[i] = true;
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	for (size_t i = d->n_dirty; i-- > 0;)
		if (d->dirty[i].path && !open_[i])
			dirty_remove_at(d, i);
	free(open_);
}

static void settle_check(struct daemon *d)
{
	int64_t now = now_ms(), rt = realtime_ms(), settle = (int64_t)d->cfg->settle_seconds * 1000;
	if (now - d->last_proc_scan_ms >= settle) {
		unknown_resolve(d);
		d->last_proc_scan_ms = now;
	}
	for (struct entry *e = d->entries; e; e = e->next) {
		if (e->gone || dirty_count(d, e))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", d->cfg->inbox, e->name);
		struct tree_state t = { 0 };
		struct stat st;
		if (lstat(p, &st) < 0) {
			entry_drop(d, e);
			continue;
		}
		t.newest_ctime_ms = MAX((int64_t)st.st_ctim.tv_sec * 1000 + st.st_ctim.tv_nsec / 1000000,
		                        (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
		bool quiet = now - e->last_event_ms >= settle;
		if (e->is_dir && S_ISDIR(st.st_mode)) {
			/* READY short-cuts the wait; the walk is only made when it can lead to a claim. */
			_cleanup_free_ char *rp = xasprintf("%s/READY", p);
			bool ready = path_exists(rp);
			if (!quiet && !ready)
				continue;
			int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				tree_walk(fd, &t, 0, true);
			if (t.ready || (quiet && rt - t.newest_ctime_ms >= settle))
				claim(d, e);
		} else if (quiet && rt - t.newest_ctime_ms >= settle) {
			claim(d, e);
		}
	}
	entries_gc(d);
}

/* ---- workers ---- */

static bool case_busy(struct daemon *d, const char *case_id)
{
	for (size_t i = 0; i < d->n_workers; i++)
		if (d->workers[i].drop_id && strcmp(d->workers[i].case_id, case_id) == 0)
			return true;
	return false;
}

static bool drop_busy(struct daemon *d, int64_t id)
{
	for (size_t i = 0; i < d->n_workers; i++)
		if (d->workers[i].drop_id == id)
			return true;
	return false;
}

static unsigned busy_workers(struct daemon *d)
{
	unsigned n = 0;
	for (size_t i = 0; i < d->n_workers; i++)
		n += d->workers[i].drop_id != 0;
	return n;
}

/* ---- isolation of the drop workers (docs/faults.md) ---- */

/* A drop worker parses untrusted bytes (DICOM headers, archives): it gets an
 * address space limit, no core files and a deny-list system call filter
 * (confine.c). */
static void worker_confine(const struct ingestd_config *cfg, int64_t drop_id)
{
	/* A crash leaves no core file: its memory holds patient data. */
	struct rlimit nocore = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &nocore) < 0)
		log_msg(4, "drop %lld: cannot turn off core files for the worker: %m", (long long)drop_id);
	/* ASan reserves terabytes of address space: an AS limit would stop it at once. */
	if (!INGESTD_ASAN && cfg->worker_mem_bytes) {
		/* A mapped disc image counts too: up to max_file_bytes on top. */
		uint64_t as = cfg->worker_mem_bytes;
		uint64_t extra = cfg->limits.max_file_bytes;
		as = as > UINT64_MAX - extra ? UINT64_MAX : as + extra;
		/* The extractor's children set their own, lower limit: never under theirs. */
		as = MAX(as, cfg->limits.extract_mem_bytes + (UINT64_C(64) << 20));
		if (as < (uint64_t)RLIM_INFINITY) {
			struct rlimit rl = { (rlim_t)as, (rlim_t)as };
			if (setrlimit(RLIMIT_AS, &rl) < 0)
				log_msg(4, "drop %lld: cannot limit the worker's memory: %m", (long long)drop_id);
		}
	}
	int r = worker_syscall_filter();
	if (r < 0)
		log_msg(4, "drop %lld: the worker's system call filter could not be loaded: %s", (long long)drop_id,
		        strerror(-r));
}

/* How long a phase may show no progress: a DICOM header is one parse; an
 * archive's entries include documents, each read by the extractor within its
 * own deadline (up to two children, 2 * cpu + 2 s each: docext.c). */
static unsigned phase_timeout_s(const struct ingestd_config *cfg, uint32_t phase)
{
	unsigned t = cfg->parse_timeout_seconds ? cfg->parse_timeout_seconds : 120;
	if (phase == ING_GUARD_ARCHIVE)
		t += 2 * (2 * MAX(cfg->limits.extract_cpu_seconds, 1u) + 2) + 5;
	return t;
}

static void watchdog_check(struct daemon *d)
{
	int64_t now = now_ms();
	for (size_t i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];
		uint64_t progress;
		uint32_t phase;
		if (!w->guard || w->killed_after_s)
			continue;
		ing_guard_read(w->guard, &progress, &phase);
		if (progress != w->seen_progress) {
			w->seen_progress = progress;
			w->seen_at_ms = now;
			continue;
		}
		if (phase == ING_GUARD_NONE)
			continue;
		unsigned t = phase_timeout_s(d->cfg, phase);
		if (now - w->seen_at_ms < (int64_t)t * 1000)
			continue;
		log_msg(3, "case %s: drop %lld: the %s reader made no progress for %u s: worker stopped", w->case_id,
		        (long long)w->drop_id, ing_guard_phase_name(phase), t);
		w->killed_after_s = t;
		kill(w->pid, SIGKILL);
	}
}

/* The worker died of a signal while its scan showed a phase: that input is
 * left out of the next attempt, which is not counted as a failure. Returns
 * false when this does not apply (the caller records an ordinary failure). */
static bool worker_died_parsing(struct daemon *d, struct worker *w, int sig)
{
	uint64_t progress;
	uint32_t phase;
	if (!w->guard)
		return false;
	ing_guard_read(w->guard, &progress, &phase);
	if (phase == ING_GUARD_NONE || !w->guard->path[0])
		return false;
	char path[ING_GUARD_PATH_BYTES];
	snprintf(path, sizeof(path), "%s", w->guard->path);
	char reason[96];
	if (w->killed_after_s)
		snprintf(reason, sizeof(reason), "took more than %u s", w->killed_after_s);
	else if (sig == SIGABRT)
		snprintf(reason, sizeof(reason), "stopped (it ran out of memory or failed an internal check)");
	else if (sig == SIGKILL)
		snprintf(reason, sizeof(reason), "was stopped by the system (signal 9; out of memory?)");
	else if (sig == SIGXCPU)
		snprintf(reason, sizeof(reason), "used too much processor time");
	else
		snprintf(reason, sizeof(reason), "crashed (signal %d)", sig);
	const char *what = phase == ING_GUARD_DICOM ? "DICOM" : "archive";
	_cleanup_free_ char *err = xasprintf("the %s reader %s on one input; retried without it", what, reason);
	int r = journal_skip_add(d->j, w->drop_id, path, ing_guard_phase_name(phase), reason, err, INGESTD_MAX_SKIPS);
	if (r < 0) {
		log_msg(3, "case %s: drop %lld: the %s reader %s%s", w->case_id, (long long)w->drop_id, what, reason,
		        r == -EEXIST ? " on an input already left out" :
		        r == -E2BIG ? "; too many inputs of this case were left out already" : "");
		return false;
	}
	/* The path may name the patient: the log says the case only. */
	log_msg(4, "case %s: drop %lld: %s; the input is left out (a problem in the report)", w->case_id,
	        (long long)w->drop_id, err);
	return true;
}

static pid_t spawn(struct daemon *d, int64_t drop_id, const char *case_id, bool prune)
{
	struct ing_guard *guard = NULL;
	if (drop_id) {
		int gr = ing_guard_new(&guard);
		if (gr < 0) {
			log_msg(4, "case %s: no parser watchdog for this drop (shared memory: %s)", case_id,
			        ing_strerror(gr));
			guard = NULL;
		}
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_msg(3, "fork: %m");
		ing_guard_free(guard);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGTERM, SIG_DFL);
		close(d->epfd);
		close(d->sigfd);
		close(d->tfd);
		if (d->inofd >= 0)
			close(d->inofd);
		for (size_t i = 0; i < d->n_workers; i++)
			ing_guard_free(d->workers[i].guard);    /* only its own */
		if (drop_id)
			worker_confine(d->cfg, drop_id);
		/* The parent's journal connection must not be used here: a new one. */
		int r = drop_id ? pipeline_run(d->cfg, drop_id, guard) : maintenance_run(d->cfg, prune);
		_exit(r < 0 ? 1 : r);
	}
	d->workers = xrealloc(d->workers, (d->n_workers + 1) * sizeof(*d->workers));
	struct worker *w = &d->workers[d->n_workers++];
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->drop_id = drop_id;
	snprintf(w->case_id, sizeof(w->case_id), "%s", case_id ? case_id : "");
	w->guard = guard;
	w->seen_at_ms = now_ms();
	return pid;
}

struct sched {
	struct daemon *d;
	char **blocked;
	size_t n_blocked;
	int64_t now;
};

static bool sched_blocked(struct sched *s, const char *case_id)
{
	for (size_t i = 0; i < s->n_blocked; i++)
		if (strcmp(s->blocked[i], case_id) == 0)
			return true;
	return false;
}

static int sched_one(void *ud, const struct journal_drop *jd)
{
	struct sched *s = ud;
	struct daemon *d = s->d;
	if (jd->step == STEP_CLAIMING)
		return 0;
	bool block = false;
	if (drop_busy(d, jd->id) || case_busy(d, jd->case_id) || sched_blocked(s, jd->case_id)) {
		block = true;
	} else if (jd->attempts && s->now - jd->updated_at < (int64_t)MIN(300u, 5u << MIN(jd->attempts, 6u))) {
		block = true;   /* backoff after a failure */
	} else if (busy_workers(d) < d->cfg->workers && !d->stopping) {
		spawn(d, jd->id, jd->case_id, false);
		block = true;
	} else {
		return 1;   /* no free worker: stop looking */
	}
	if (block && !sched_blocked(s, jd->case_id)) {
		/* Drops of one case run in order, one at a time. */
		s->blocked = xrealloc(s->blocked, (s->n_blocked + 1) * sizeof(char *));
		s->blocked[s->n_blocked++] = xstrdup(jd->case_id);
	}
	return 0;
}

static void schedule(struct daemon *d)
{
	struct sched s = { .d = d, .now = (int64_t)time(NULL) };
	if (d->stopping)
		return;
	journal_foreach_drop(d->j, NULL, true, sched_one, &s);
	for (size_t i = 0; i < s.n_blocked; i++)
		free(s.blocked[i]);
	free(s.blocked);
}

static void reap(struct daemon *d)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < d->n_workers; i++) {
			struct worker *w = &d->workers[i];
			if (w->pid != pid)
				continue;
			if (w->drop_id == 0) {
				/* maintenance: 1 means mail still queued */
				int code = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
				d->mail_backoff_s = code == 0 ? d->cfg->mail_retry_seconds
				                              : MIN(3600u, MAX(d->mail_backoff_s, d->cfg->mail_retry_seconds) * 2);
			} else if (WIFSIGNALED(status) && !d->stopping && worker_died_parsing(d, w, WTERMSIG(status))) {
				/* retried at once, without that input */
			} else if (WIFSIGNALED(status) && !d->stopping) {
				char msg[128];
				snprintf(msg, sizeof(msg), "the worker died of signal %d (%s)", WTERMSIG(status),
				         strsignal(WTERMSIG(status)));
				log_msg(3, "case %s: drop %lld: %s", w->case_id, (long long)w->drop_id, msg);
				journal_drop_error(d->j, w->drop_id, msg);
			} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && !d->stopping) {
				log_msg(4, "case %s: drop %lld: not finished, retried later", w->case_id, (long long)w->drop_id);
			}
			ing_guard_free(w->guard);
			d->workers[i] = d->workers[--d->n_workers];
			break;
		}
	}
}

static void notify_status(struct daemon *d)
{
	unsigned running = busy_workers(d), waiting = 0;
	for (struct entry *e = d->entries; e; e = e->next)
		waiting += !e->gone;
	sd_notifyf(0, "STATUS=%u drop(s) in progress, %u in the inbox settling", running, waiting);
}

/* ---- configuration ---- */

static int load_config(const char *path, bool given, struct ingestd_config **out, bool print)
{
	struct strbuf errs;
	strbuf_init(&errs, 1u << 20);
	int r;
	if (!given && !path_exists(path)) {
		/* No file: every default. */
		struct ingestd_config *c = xcalloc(1, sizeof(*c));
		config_defaults(c);
		c->base_dir = xstrdup(INGESTD_DEFAULT_BASE);
		/* config_load fills the paths; run it on an empty file instead of duplicating that. */
		config_free(c);
		r = config_load("/dev/null", out, &errs);
	} else {
		r = config_load(path, out, &errs);
	}
	if (r < 0 && print)
		fputs(errs.s ? errs.s : "invalid configuration\n", stderr);
	else if (r < 0 && errs.s)
		log_msg(3, "configuration not (re)loaded:\n%s", errs.s);
	strbuf_free(&errs);
	return r;
}

static int make_dirs(const struct ingestd_config *c)
{
	const char *dirs[] = { c->base_dir, c->inbox, c->work, c->outbox, c->quarantine, c->archive, c->mail_outbox };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int r = mkdir_p(dirs[i], 0750);
		if (r < 0) {
			log_msg(3, "cannot create %s: %s", dirs[i], strerror(-r));
			return r;
		}
	}
	_cleanup_free_ char *cases = xasprintf("%s/cases", c->work);
	mkdir_p(cases, 0750);
	/* A persistent secret for the opaque patient keys: the same person keeps one key across drops. */
	_cleanup_free_ char *salt = xasprintf("%s/salt", c->base_dir);
	if (!path_exists(salt)) {
		uint8_t raw[32];
		char hex[65];
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, raw, sizeof(raw)) != sizeof(raw)) {
			if (fd >= 0)
				close(fd);
			return -EIO;
		}
		close(fd);
		hex_encode(raw, 32, hex);
		int r = write_file_atomic(salt, hex);
		if (r < 0)
			return r;
		chmod(salt, 0600);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingestd [--config FILE] [--check-config] [-v]\n"
	        "\n"
	        "The ingest watch-folder daemon: takes drops from the inbox when they have settled,\n"
	        "builds each case's gap report and BagIt package, publishes it in the outbox,\n"
	        "mails the report and archives the drop (docs/daemon.md, docs/config.md).\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default: %s; defaults if it is absent)\n"
	        "      --check-config  validate the configuration, print errors as FILE:LINE:COL, exit\n"
	        "  -v, --verbose       log debug messages\n"
	        "  -h, --help          this text\n"
	        "      --version       print the version\n"
	        "\n"
	        "Signals: SIGHUP reloads the configuration and rules (work in flight continues);\n"
	        "SIGTERM/SIGINT stop: workers are stopped and their drops resume on the next start.\n"
	        "Exit status: 0 stopped cleanly, 1 the configuration is invalid, 2 usage error,\n"
	        "3 the journal was deleted or replaced while running, 4 cannot start (directories, journal).\n",
	        INGESTD_DEFAULT_CONFIG);
}

/* ---- losing the journal (docs/faults.md) ---- */

/* NNNNNN of a drop folder name "NNNNNN-NAME", or -1. */
static int64_t drop_dir_id(const char *name)
{
	int64_t v = 0;
	for (int i = 0; i < 6; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return name[6] == '-' && name[7] ? v : -1;
}

/* The highest drop id used by a folder in DIR (and, with DEPTH 1, in its sub-folders). */
static int64_t max_drop_id(const char *dir, unsigned depth)
{
	int64_t m = 0;
	DIR *dd = opendir(dir);
	struct dirent *de;
	while (dd && (de = readdir(dd))) {
		if (de->d_name[0] == '.')
			continue;
		m = MAX(m, drop_dir_id(de->d_name));
		if (depth && de->d_type == DT_DIR) {
			_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
			m = MAX(m, max_drop_id(sub, depth - 1));
		}
	}
	if (dd)
		closedir(dd);
	return m;
}

struct known {
	char **dirs, **cases;
	size_t n;
};

static int known_add(void *ud, const struct journal_drop *jd)
{
	struct known *k = ud;
	k->dirs = xrealloc(k->dirs, (k->n + 1) * sizeof(char *));
	k->cases = xrealloc(k->cases, (k->n + 1) * sizeof(char *));
	k->dirs[k->n] = xstrdup(jd->dir ? jd->dir : "");
	k->cases[k->n++] = xstrdup(jd->case_id);
	return 0;
}

static bool known_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Puts the drop folder DIR/NAME ("NNNNNN-ORIG") back into the inbox as ORIG,
 * where it is taken again like a new drop. */
static void orphan_to_inbox(struct daemon *d, const char *dir, const char *name)
{
	_cleanup_free_ char *src = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *dst = xasprintf("%s/%s", d->cfg->inbox, name + 7);
	if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) < 0)
		log_msg(3, "a drop in work/ unknown to the journal (%s) could not be returned to the inbox: %m; "
		        "move it into the inbox by hand", name);
	else
		log_msg(4, "a drop in work/ unknown to the journal (%s) was returned to the inbox and is taken again",
		        name);
}

/* At start: inputs in work/ that the journal does not know (it was deleted or
 * replaced by an older copy) are taken again, and fresh drop ids never reuse
 * the NNNNNN of a folder that exists. Nothing in work/ is left behind. */
static void recover_orphans(struct daemon *d)
{
	int64_t m = MAX(max_drop_id(d->cfg->work, 0), max_drop_id(d->cfg->quarantine, 0));
	_cleanup_free_ char *cases = xasprintf("%s/cases", d->cfg->work);
	m = MAX(m, MAX(max_drop_id(cases, 1), max_drop_id(d->cfg->archive, 1)));
	int r = journal_seed_drop_ids(d->j, m + 1);
	if (r < 0)
		log_msg(3, "cannot reserve drop ids above %lld in the journal: %s", (long long)m, ing_strerror(r));

	struct known k = { 0 };
	journal_foreach_drop(d->j, NULL, true, known_add, &k);
	DIR *dd = opendir(d->cfg->work);
	struct dirent *de;
	while (dd && (de = readdir(dd)))
		if (drop_dir_id(de->d_name) >= 0 && !known_has(k.dirs, k.n, de->d_name))
			orphan_to_inbox(d, d->cfg->work, de->d_name);
	if (dd)
		closedir(dd);
	/* A case store without a drop in progress: its newest drop was in flight
	 * (drops of a case run in order); the others go back to the archive. */
	dd = opendir(cases);
	while (dd && (de = readdir(dd))) {
		if (de->d_name[0] == '.' || known_has(k.cases, k.n, de->d_name))
			continue;
		_cleanup_free_ char *store = xasprintf("%s/%s", cases, de->d_name);
		_cleanup_free_ char *arch = xasprintf("%s/%s", d->cfg->archive, de->d_name);
		int64_t newest = max_drop_id(store, 0);
		DIR *sd = opendir(store);
		struct dirent *se;
		while (sd && (se = readdir(sd))) {
			if (se->d_name[0] == '.')
				continue;
			if (drop_dir_id(se->d_name) == newest && newest > 0) {
				orphan_to_inbox(d, store, se->d_name);
				continue;
			}
			_cleanup_free_ char *from = xasprintf("%s/%s", store, se->d_name);
			_cleanup_free_ char *to = xasprintf("%s/%s", arch, se->d_name);
			mkdir_p(arch, 0750);
			if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0)
				log_msg(3, "case %s: %s could not be moved back to the archive: %m", de->d_name, se->d_name);
		}
		if (sd)
			closedir(sd);
		if (rmdir(store) == 0)
			log_msg(4, "case %s: a case store unknown to the journal was put back in the archive", de->d_name);
	}
	if (dd)
		closedir(dd);
	for (size_t i = 0; i < k.n; i++) {
		free(k.dirs[i]);
		free(k.cases[i]);
	}
	free(k.dirs);
	free(k.cases);
}

/* The journal file is still the one we opened? A deleted or replaced state.db
 * cannot be written safely any more (our connection writes to the old inode,
 * workers would create a new empty one): stop, and let systemd restart us. */
static bool journal_still_there(struct daemon *d)
{
	struct stat st;
	if (stat(d->cfg->state_db, &st) == 0 && st.st_dev == d->db_dev && st.st_ino == d->db_ino)
		return true;
	log_msg(2, "the journal %s was deleted or replaced while ingestd was running: stopping (exit status %d) so "
	        "that the service is restarted with a fresh journal. Inputs stay in %s and are taken again at the next "
	        "start; restore state.db from a backup before that if you have one.", d->cfg->state_db,
	        EXIT_JOURNAL_LOST, d->cfg->work);
	return false;
}

static void stop_workers(struct daemon *d, int sig)
{
	for (size_t i = 0; i < d->n_workers; i++)
		kill(d->workers[i].pid, sig);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct daemon d = { .config_path = INGESTD_DEFAULT_CONFIG, .inofd = -1 };
	bool check = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d.config_path = optarg; d.config_given = true; break;
		case 'C': check = true; break;
		case 'v': log_set_max(7); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ingestd %s\n", INGEST_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ingestd: unexpected argument \"%s\".\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (load_config(d.config_path, d.config_given, &d.cfg, check) < 0) {
		if (!check)
			fprintf(stderr, "ingestd: the configuration is invalid; run 'ingestd --check-config' to see why.\n");
		return 1;
	}
	if (check) {
		printf("%s: OK (inbox %s, outbox %s, %u worker(s), settle %u s)\n",
		       d.config_given || path_exists(d.config_path) ? d.config_path : "(defaults)", d.cfg->inbox,
		       d.cfg->outbox, d.cfg->workers, d.cfg->settle_seconds);
		config_free(d.cfg);
		return 0;
	}
	umask(0027);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (make_dirs(d.cfg) < 0)
		return 4;
	int r = journal_open(d.cfg->state_db, false, &d.j);
	if (r < 0) {
		log_msg(3, "cannot open the journal %s: %s", d.cfg->state_db, ing_strerror(r));
		return 4;
	}
	pipeline_recover_claims(d.cfg, d.j);
	struct stat dbst;
	if (stat(d.cfg->state_db, &dbst) < 0) {
		log_msg(3, "cannot stat the journal %s: %m", d.cfg->state_db);
		return 4;
	}
	d.db_dev = dbst.st_dev;
	d.db_ino = dbst.st_ino;
	recover_orphans(&d);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	d.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d.sigfd < 0 || d.epfd < 0 || d.tfd < 0) {
		log_msg(3, "cannot set up the event loop: %m");
		return 4;
	}
	struct itimerspec its = { .it_interval = { 0, 250000000 }, .it_value = { 0, 250000000 } };
	timerfd_settime(d.tfd, 0, &its, NULL);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = d.sigfd };
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.sigfd, &ev);
	ev.data.fd = d.tfd;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.tfd, &ev);
	inotify_setup(&d);
	d.started = true;
	if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
		d.watchdog_usec = 0;
	d.mail_backoff_s = d.cfg->mail_retry_seconds;
	d.last_mail_ms = now_ms() - 1000 * (int64_t)d.mail_backoff_s; /* flush queued mail soon after start */
	log_msg(5, "ingestd %s started: inbox %s, outbox %s, %u worker(s), settle %u s", INGEST_VERSION, d.cfg->inbox,
	        d.cfg->outbox, d.cfg->workers, d.cfg->settle_seconds);
	sd_notify(0, "READY=1");
	schedule(&d);

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(d.epfd, evs, 8, 1000);
		if (n < 0 && errno != EINTR) {
			log_msg(3, "epoll_wait: %m");
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == d.sigfd) {
				struct signalfd_siginfo si;
				while (read(d.sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGCHLD) {
						reap(&d);
					} else if (si.ssi_signo == SIGHUP) {
						struct ingestd_config *nc = NULL;
						sd_notify(0, "RELOADING=1");
						if (load_config(d.config_path, d.config_given, &nc, false) == 0 && make_dirs(nc) == 0) {
							bool inbox_moved = strcmp(nc->inbox, d.cfg->inbox) != 0;
							config_free(d.cfg);
							d.cfg = nc;
							if (inbox_moved)
								inotify_setup(&d);
							log_msg(5, "configuration reloaded (work in flight continues with the old one)");
						} else {
							config_free(nc);
							log_msg(3, "reload failed: keeping the previous configuration");
						}
						sd_notify(0, "READY=1");
					} else if (!d.stopping) {
						log_msg(5, "stopping (signal %d): %zu worker(s) to stop", (int)si.ssi_signo,
						        d.n_workers);
						sd_notify(0, "STOPPING=1");
						d.stopping = true;
						d.stop_at_ms = now_ms() + STOP_GRACE_S * 1000;
						stop_workers(&d, SIGTERM);
					}
				}
			} else if (fd == d.inofd) {
				handle_inotify(&d);
			} else if (fd == d.tfd) {
				uint64_t x;
				(void)!read(d.tfd, &x, sizeof(x));
			}
		}
		if (d.stopping) {
			reap(&d);
			if (d.n_workers == 0)
				break;
			if (now_ms() > d.stop_at_ms) {
				stop_workers(&d, SIGKILL);
				d.stop_at_ms = now_ms() + 5000;
			}
			continue;
		}
		if (!journal_still_there(&d)) {
			d.journal_lost = true;
			d.stopping = true;
			d.stop_at_ms = now_ms() + STOP_GRACE_S * 1000;
			sd_notify(0, "STOPPING=1");
			stop_workers(&d, SIGTERM);
			continue;
		}
		int64_t now = now_ms();
		if (d.overflowed || now - d.last_rescan_ms >= (int64_t)d.cfg->rescan_seconds * 1000) {
			if (d.overflowed) {
				while (d.n_dirty)
					dirty_remove_at(&d, d.n_dirty - 1);
				for (struct entry *e = d.entries; e; e = e->next)
					e->last_event_ms = now;
				d.overflowed = false;
			}
			inbox_rescan(&d);
		}
		watchdog_check(&d);
		settle_check(&d);
		schedule(&d);
		bool maint_running = false;
		for (size_t i = 0; i < d.n_workers; i++)
			maint_running |= d.workers[i].drop_id == 0;
		if (!maint_running && now - d.last_mail_ms >= (int64_t)d.mail_backoff_s * 1000) {
			bool prune = now - d.last_prune_ms >= 3600 * 1000 || d.last_prune_ms == 0;
			if (spawn(&d, 0, NULL, prune) > 0) {
				d.last_mail_ms = now;
				if (prune)
					d.last_prune_ms = now;
			}
		}
		if (d.watchdog_usec && now - d.last_watchdog_ms >= (int64_t)(d.watchdog_usec / 2000)) {
			sd_notify(0, "WATCHDOG=1");
			d.last_watchdog_ms = now;
		}
		notify_status(&d);
	}
	log_msg(5, "stopped");
	journal_close(d.j);
	for (struct entry *e = d.entries; e; e = e->next)
		e->gone = true;
	entries_gc(&d);
	while (d.n_dirty)
		dirty_remove_at(&d, d.n_dirty - 1);
	free(d.dirty);
	free(d.wds);
	free(d.workers);
	config_free(d.cfg);
	curl_global_cleanup();
	return d.journal_lost ? EXIT_JOURNAL_LOST : 0;
}
