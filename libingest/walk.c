/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The walk over a drop's folders (walk.h): each regular file, in name
 * order, to the walk's entry callback with its bytes as a range of the open
 * file; what cannot be read, or is no regular file, recorded with its
 * reason. Also the threads the extractor's fork must pause.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "case.h"
#include "identify.h"
#include "walk.h"


static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static ssize_t fd_src_read(void *ud, void *buf, size_t n)
{
	return read_full(*(int *)ud, buf, n);
}

void walk_fd_source(int *fd, struct byte_range *rg, struct byte_src *src)
{
	*rg = (struct byte_range){ *fd, 0, NULL };
	*src = (struct byte_src){ .read = fd_src_read, .ud = fd, .range = rg };
}

bool walk_thread_add(struct walk *w, void (*pause)(void *ud, bool on), void *ud)
{
	if (w->n_threads >= WALK_THREADS_MAX)
		return false;
	w->threads[w->n_threads++] = (struct walk_thread){ pause, ud };
	return true;
}

void walk_thread_remove(struct walk *w, void *ud)
{
	for (unsigned i = 0; i < w->n_threads; i++)
		if (w->threads[i].ud == ud) {
			memmove(&w->threads[i], &w->threads[i + 1], (w->n_threads - i - 1) * sizeof(w->threads[0]));
			w->n_threads--;
			return;
		}
}

void walk_around_fork(void *ud, bool before)
{
	struct walk *w = ud;
	for (unsigned i = 0; i < w->n_threads; i++) {
		const struct walk_thread *t = &w->threads[before ? i : w->n_threads - 1 - i];   /* resumed in reverse */
		t->pause(t->ud, before);
	}
}

/* ---- the drop's budgets (docs/design.md, "Budgets per drop") ---- */

/* Bytes of the regular files below DFD (links not followed), counting at most *LEFT files. */
static uint64_t dir_bytes(int dfd, unsigned depth, uint64_t *left)
{
	uint64_t sum = 0;
	DIR *d = opendir_dup(dfd);
	struct dirent *de;
	if (!d)
		return 0;
	while (*left > 0 && (de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		(*left)--;
		if (S_ISREG(st.st_mode)) {
			sum += (uint64_t)st.st_size;
		} else if (S_ISDIR(st.st_mode) && depth < DROP_MAX_DIR_DEPTH) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				sum += dir_bytes(sub, depth + 1, left);
				close(sub);
			}
		}
	}
	rewinddir(d);       /* the offset is DFD's too: walk_dir() reads it next */
	closedir(d);
	return sum;
}

void walk_budget_init(struct walk *w, int fd, const struct stat *st)
{
	const struct ing_limits *lim = &w->scan->ctx->limits;
	uint64_t left = lim->max_entries;

	w->drop_bytes = S_ISDIR(st->st_mode) ? dir_bytes(fd, 0, &left) : (uint64_t)st->st_size;
	w->expand_budget = lim->max_total_bytes;
	if (lim->max_drop_ratio > 0) {
		uint64_t r = w->drop_bytes > UINT64_MAX / lim->max_drop_ratio ? UINT64_MAX :
		             w->drop_bytes * lim->max_drop_ratio;
		w->expand_budget = MIN(w->expand_budget, MAX(r, DROP_EXPAND_FLOOR_BYTES));
	}
	w->deadline_ms = lim->max_drop_seconds ? mono_ms() + (uint64_t)lim->max_drop_seconds * 1000 : 0;
}

bool walk_out_of_time(struct walk *w)
{
	if (w->spent == WALK_SPENT_TIME)
		return true;
	if (!w->deadline_ms || mono_ms() < w->deadline_ms)
		return false;
	w->spent = WALK_SPENT_TIME;
	return true;
}

void walk_time_problem(struct walk *w, struct ing_file *f, const char *relpath)
{
	if (w->time_reported)
		return;
	w->time_reported = true;
	if (!f) {
		f = case_add_file(w->scan, relpath, 0);
		file_set_kind(f, KIND_UNKNOWN, xstrdup("not read: the drop's time ran out"));
	}
	file_set_problem(f, PROB_LIMIT, "reading the drop took more than %u s (limits.max_drop_seconds); this and "
	                 "the rest of the drop were not read, what was read before is kept. Split the drop, or raise "
	                 "limits.max_drop_seconds", w->scan->ctx->limits.max_drop_seconds);
}

bool walk_over_expand_budget(struct walk *w)
{
	if (w->spent == WALK_SPENT_BYTES)
		return true;
	if (w->expanded_bytes <= w->expand_budget)
		return false;
	w->spent = WALK_SPENT_BYTES;
	return true;
}

char *walk_expand_budget_msg(const struct walk *w, const char *what)
{
	const struct ing_limits *lim = &w->scan->ctx->limits;
	if (w->expand_budget < lim->max_total_bytes && w->expanded_bytes > w->expand_budget)
		return xasprintf("the drop expands to more than %llu bytes, more than %u times its own %llu bytes "
		                 "(limits.max_drop_ratio; any drop may expand to %llu MiB), all archive levels "
		                 "counted: it may be an archive bomb. Expansion stopped at \"%s\"; what was read before "
		                 "is kept. If the records really are this large, send them unpacked or raise "
		                 "limits.max_drop_ratio", (unsigned long long)w->expand_budget, lim->max_drop_ratio,
		                 (unsigned long long)w->drop_bytes, (unsigned long long)(DROP_EXPAND_FLOOR_BYTES >> 20),
		                 what);
	return xasprintf("the drop expands to more than %llu bytes (limits.max_total_bytes); expansion of \"%s\" "
	                 "stopped. Split the drop.", (unsigned long long)lim->max_total_bytes, what);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool limit_entries(struct walk *w, const char *relpath)
{
	const struct ing_limits *lim = &w->scan->ctx->limits;
	if (++w->entries <= lim->max_entries)
		return false;
	if (!w->entries_reported) {
		struct ing_file *f = case_add_file(w->scan, relpath, 0);
		file_set_kind(f, KIND_UNKNOWN, xstrdup("not read: the drop holds too many files"));
		file_set_problem(f, PROB_LIMIT, "the drop holds more than %llu files; the rest were not read. Split the drop.",
		                 (unsigned long long)lim->max_entries);
		w->entries_reported = true;
	}
	return true;
}

/* A file with more than one name may have one outside the drop: its bytes
 * would then be another file's, brought in by whoever could make the link
 * (docs/faults.md, *Hard links*). Not read. */
static void hard_link_refused(struct ing_scan *scan, const char *rel, const struct stat *st)
{
	struct ing_file *f = case_add_file(scan, rel, (uint64_t)st->st_size);
	file_set_problem(f, PROB_UNSAFE, "a hard link (the file has %ju names): its content may come from outside "
	                 "the drop, so it was not read; copy the file into the drop instead of linking it",
	                 (uintmax_t)st->st_nlink);
	file_set_kind(f, KIND_UNKNOWN, xstrdup("a hard link: not read"));
}

void walk_dir(struct walk *w, int dfd, const char *prefix, unsigned depth, const struct ident_where *parent)
{
	struct ing_scan *scan = w->scan;
	const struct ing_limits *lim = &scan->ctx->limits;
	struct ptrvec names = { 0 };
	struct ident_where where = *parent;
	_cleanup_free_ char *viewer_dir = NULL;
	DIR *d;
	struct dirent *de;

	if (!(d = opendir_dup(dfd))) {
		int e = errno;   /* before the allocations below */
		struct ing_file *f = case_add_file(scan, prefix[0] ? prefix : ".", 0);
		file_set_problem(f, PROB_UNREADABLE, "the folder could not be read (%s)", strerror(e));
		return;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		ptrvec_push(&names, xstrdup(de->d_name));
		/* A folder holding program files is a viewer's: what else is in it belongs to the viewer. */
		if (!where.in_viewer_dir && (str_has_suffix_ci(de->d_name, ".exe") || str_has_suffix_ci(de->d_name, ".dll"))) {
			where.in_viewer_dir = true;
			viewer_dir = xstrdup(prefix[0] ? prefix : ".");
			where.viewer_dir = viewer_dir;
		}
	}
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(void *), cmp_names);   /* deterministic order */

	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		_cleanup_free_ char *rel = prefix[0] ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
		struct stat st;

		if (limit_entries(w, rel))
			break;
		if (walk_out_of_time(w)) {
			walk_time_problem(w, NULL, rel);
			break;
		}
		if (strlen(rel) > lim->max_path_bytes) {
			struct ing_file *f = case_add_file(scan, rel, 0);
			file_set_problem(f, PROB_LIMIT, "the path is longer than %u bytes; not read", lim->max_path_bytes);
			continue;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			struct ing_file *f = case_add_file(scan, rel, 0);
			file_set_problem(f, PROB_UNREADABLE, "could not be examined (%s)", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth >= DROP_MAX_DIR_DEPTH) {
				struct ing_file *f = case_add_file(scan, rel, 0);
				file_set_problem(f, PROB_LIMIT, "folders nested more than %d deep; not read", DROP_MAX_DIR_DEPTH);
				continue;
			}
			int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				struct ing_file *f = case_add_file(scan, rel, 0);
				file_set_problem(f, PROB_UNREADABLE, "the folder could not be opened (%s)", strerror(errno));
				continue;
			}
			walk_dir(w, sub, rel, depth + 1, &where);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			if (st.st_nlink > 1) {
				hard_link_refused(scan, rel, &st);
				continue;
			}
			int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
			if (fd < 0) {
				struct ing_file *f = case_add_file(scan, rel, (uint64_t)st.st_size);
				file_set_problem(f, PROB_UNREADABLE, "the file could not be opened (%s)", strerror(errno));
				continue;
			}
			/* what was opened is what is read: linked since the look above? */
			if (fstat(fd, &st) == 0 && st.st_nlink > 1) {
				close(fd);
				hard_link_refused(scan, rel, &st);
				continue;
			}
			struct byte_range rg;
			struct byte_src src;
			walk_fd_source(&fd, &rg, &src);
			w->entry(w, rel, (uint64_t)st.st_size, &src, fd, &where);
			close(fd);
		} else {
			struct ing_file *f = case_add_file(scan, rel, 0);
			if (S_ISLNK(st.st_mode))
				file_set_problem(f, PROB_UNSAFE, "a symbolic link: not followed, since it may point outside the drop");
			else
				file_set_problem(f, PROB_UNSAFE, "a device, socket or FIFO: not read");
			file_set_kind(f, KIND_UNKNOWN, xstrdup("not a regular file"));
		}
	}
	ptrvec_free(&names, free);
}
