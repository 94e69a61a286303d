/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The inbox watcher of ingestd: inotify over the inbox and, recursively, the
 * case folders in it; the periodic rescan; settling (no writer, quiet for
 * settle_seconds, or READY) and claiming a settled drop into work/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"


struct wd {
	int wd;
	struct entry *e;    /* NULL: the inbox itself */
	char *path;         /* the folder watched, as it was when the watch was added */
};

struct dirty {
	int wd;
	char *name;
	struct entry *e;
	char *path;          /* set: found when its folder was watched, maybe open (see unknown_resolve) */
};

/* ---- inotify bookkeeping ---- */

static void wd_add(struct daemon *d, int wd, struct entry *e, const char *path)
{
	for (size_t i = 0; i < d->n_wds; i++)
		if (d->wds[i].wd == wd) {
			d->wds[i].e = e;
			free(d->wds[i].path);
			d->wds[i].path = xstrdup(path);
			return;
		}
	if (d->n_wds == d->cap_wds) {
		d->cap_wds = d->cap_wds ? d->cap_wds * 2 : 64;
		d->wds = xrealloc(d->wds, d->cap_wds * sizeof(*d->wds));
	}
	d->wds[d->n_wds++] = (struct wd){ wd, e, xstrdup(path) };
}

static void wd_remove_at(struct daemon *d, size_t i)
{
	free(d->wds[i].path);
	d->wds[i] = d->wds[--d->n_wds];
}

void wds_clear(struct daemon *d)
{
	while (d->n_wds)
		wd_remove_at(d, d->n_wds - 1);
}

static struct wd *wd_find(struct daemon *d, int wd)
{
	for (size_t i = 0; i < d->n_wds; i++)
		if (d->wds[i].wd == wd)
			return &d->wds[i];
	return NULL;
}

void dirty_remove_at(struct daemon *d, size_t i)
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
	if (!on || d->n_dirty >= INGESTD_MAX_DIRTY)
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
	if (depth > 32 || d->n_wds >= INGESTD_MAX_WATCHES)
		return;
	int wd = inotify_add_watch(d->inofd, path, WATCH_MASK);
	if (wd < 0)
		return;
	bool known = false;
	for (size_t i = 0; i < d->n_wds; i++)
		known |= d->wds[i].wd == wd;
	wd_add(d, wd, e, path);
	DIR *dir = opendir(path);
	if (!dir)
		return;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_type == DT_REG && d->started && !known && d->n_dirty < INGESTD_MAX_DIRTY) {
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
			wd_remove_at(d, i);
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

void entries_gc(struct daemon *d)
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

void inbox_rescan(struct daemon *d)
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
	/* Every entry, names starting with '.' too: valid case ids (SPEC §3),
	 * settled like any other (a temporary file of an upload that is being
	 * written is not taken), then claimed or quarantined with a reason. */
	struct dirent *de;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			entry_get(d, de->d_name);
	closedir(dir);
	entries_gc(d);
	d->last_rescan_ms = now_ms();
}

void inotify_setup(struct daemon *d)
{
	if (d->inofd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->inofd, NULL);
		close(d->inofd);
	}
	for (struct entry *e = d->entries; e; e = e->next)
		e->gone = true;
	entries_gc(d);
	wds_clear(d);
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
		wd_add(d, wd, NULL, d->cfg->inbox);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = d->inofd };
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->inofd, &ev);
	inbox_rescan(d);
}

enum created { CREATED_OTHER, CREATED_FILE, CREATED_LINK };

/* What NAME, just created in the folder DIR, is: a regular file (or not
 * known: gone already), a hard link to one (link() makes it with no open
 * and no close), or something else that is never written. */
static enum created created_kind(const char *dir, const char *name)
{
	struct stat st;
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	if (lstat(p, &st) < 0)
		return CREATED_FILE;
	if (!S_ISREG(st.st_mode))
		return CREATED_OTHER;
	return st.st_nlink > 1 && st.st_size > 0 ? CREATED_LINK : CREATED_FILE;
}

void handle_inotify(struct daemon *d)
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
				if (!ev->len)
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
			/* Created is being written until closed, but only a regular file
			 * is written and closed: a symbolic link, a pipe or a device
			 * node gets no IN_CLOSE_WRITE and would hold its drop forever. */
			enum created kind = (ev->mask & (IN_CREATE | IN_MODIFY)) == IN_CREATE ?
			                    created_kind(w->path, name) : CREATED_FILE;
			if (kind == CREATED_OTHER)
				continue;
			if (ev->mask & (IN_CREATE | IN_MODIFY)) {
				dirty_set(d, key, name, e, true);
				for (size_t i = 0; i < d->n_dirty; i++)
					if (d->dirty[i].wd == key && strcmp(d->dirty[i].name, name) == 0) {
						/* Known now: written, waits for its close; a new hard
						 * link is of unknown state (see unknown_resolve). */
						free(d->dirty[i].path);
						d->dirty[i].path = kind == CREATED_LINK ? xasprintf("%s/%s", w->path, name) : NULL;
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
	int r;
	/* A link is never followed (it could name anything on the server): the
	 * link itself is moved to quarantine. */
	if (S_ISLNK(st.st_mode)) {
		r = -EINVAL;
		reason = xstrdup("This is a symbolic link. ingestd never follows links in the inbox (one could point "
		                 "anywhere on this server); the link itself was moved here, nothing it points to was "
		                 "read. Copy the real folder or file into the inbox.");
	} else if (!is_dir && !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		reason = xasprintf("This is a %s, not a folder or a regular file: nothing was read from it. Copy the real "
		                   "folder or file into the inbox.", S_ISFIFO(st.st_mode) ? "named pipe" :
		                   S_ISSOCK(st.st_mode) ? "socket" : "device node");
	} else {
		r = drop_name_parse(e->name, is_dir, &case_id, &reason);
	}
	unwatch_entry(d, e);
	if (r < 0) {
		char logname[LOG_NAME_MAX], qname[LOG_NAME_MAX];
		_cleanup_free_ char *where = NULL;
		const char *why = reason ? reason : "not a valid drop";
		r = quarantine_path(d->cfg, src, e->name, why, &where);
		/* The reason's first sentence: the whole is in the reason file. */
		const char *stop = strstr(why, ". ");
		int why_len = (int)MIN(stop ? (size_t)(stop - why) : strlen(why), (size_t)160);
		name_for_log(e->name, logname);
		if (r < 0)
			log_msg(3, "inbox: \"%s\" is not a valid drop (%.*s) and could NOT be moved to quarantine: %s; it "
			        "stays in the inbox and is tried again", logname, why_len, why, strerror(-r));
		else
			log_msg(4, "inbox: \"%s\" is not a valid drop (%.*s): moved to quarantine as \"%s\" with "
			        "its reason file", logname, why_len, why, where ? name_for_log(where, qname) : "?");
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

void settle_check(struct daemon *d)
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
