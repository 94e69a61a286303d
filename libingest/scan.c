/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The scan stage: walk a drop, and for each file read its bytes once, front
 * to back — the first bytes go to identification and the DICOM header reader,
 * every byte goes through SHA-256 as it passes. Nothing is written.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "classify.h"
#include "docext.h"
#include "expand.h"
#include "identify.h"
#include "scan.h"

#define HEAD_BYTES (64u << 10)      /* first read: enough for identification and most DICOM headers */
#define CHUNK_BYTES (1u << 20)      /* streaming chunk for hashing */
#define MAX_DIR_DEPTH 64            /* folder nesting inside one drop (paths are also bounded) */


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

/* Fill buf from src until n bytes or the end. */
static ssize_t src_read_full(struct byte_src *src, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = src->read(src->ud, (char *)buf + got, n - got);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static struct ing_file *file_new(struct ing_scan *scan, const char *relpath, uint64_t size)
{
	struct ing_file *f = xcalloc(1, sizeof(*f));
	f->path = utf8_sanitize(relpath, strlen(relpath));
	f->size = size;
	ptrvec_push(&scan->files, f);
	return f;
}

static void set_kind(struct ing_file *f, enum ing_kind k, char *evidence)
{
	f->kind = k;
	free(f->evidence);
	f->evidence = evidence;
}

static enum ing_problem problem_from_extract_error(const char *msg)
{
	if (strstr(msg, "password") || strstr(msg, "encrypted"))
		return PROB_ENCRYPTED;
	if (strstr(msg, "limit") || strstr(msg, "too large") || strstr(msg, "took longer"))
		return PROB_LIMIT;
	return PROB_CORRUPT;
}

/* Text documents: run the confined extractor and let the text decide the kind. */
static void read_document(struct walk *w, struct ing_file *f, int fd, enum docext_type type)
{
	struct ing_ctx *ctx = w->scan->ctx;
	struct doc_info *d = xcalloc(1, sizeof(*d));
	char *ev = NULL;
	int r;

	d->pages = -1;
	f->doc = d;
	r = docext_run(ctx, fd, type, d);
	if (r < 0) {
		d->extract_error = xasprintf("the text extractor could not be started (%s)", ing_strerror(r));
		log_err(ctx, "case %s: cannot start the text extractor: %s", w->scan->case_id, ing_strerror(r));
	}
	if (d->extract_error) {
		set_kind(f, KIND_SCANNED, xasprintf("%s; could not be read automatically (%s): check it by eye",
		                                    type == DOCEXT_PDF ? "PDF" : "document", d->extract_error));
		file_set_problem(f, problem_from_extract_error(d->extract_error), "%s", d->extract_error);
		return;
	}
	if (!d->text_layer || !d->text || d->text_len == 0) {
		set_kind(f, KIND_SCANNED, xstrdup(type == DOCEXT_PDF
		         ? "PDF with no text layer: could not be read automatically; check it by eye"
		         : "no text could be read: check it by eye"));
		return;
	}
	enum ing_kind k = classify_text(d->text, d->text_len, f->path, &ev);
	set_kind(f, k, ev);
	/* The text has served; keep memory bounded by the largest document, not the drop. */
	free(d->text);
	d->text = NULL;
}

/* Kind from content for what is not DICOM. Returns the extractor to run once
 * all bytes have passed (documents), or -1 when the kind is already decided. */
static int identify_nondicom(struct walk *w, struct ing_file *f, const uint8_t *head, size_t n,
                             const struct ident_where *where)
{
	enum content_class cls = identify_content(w->scan->ctx, f, head, n);

	if (where->in_viewer_dir) {
		set_kind(f, KIND_VIEWER, xasprintf("inside \"%s\", a folder holding viewer program files", where->viewer_dir));
		return -1;
	}
	switch (cls) {
	case CONTENT_PDF:
		return DOCEXT_PDF;
	case CONTENT_TEXT:
		return DOCEXT_TEXT;
	case CONTENT_IMAGE:
		/* the MIME type only: libmagic's text can carry EXIF camera data and dates */
		set_kind(f, KIND_PHOTO, xasprintf("image (%s)", f->mime));
		break;
	case CONTENT_ARCHIVE:
		set_kind(f, KIND_ARCHIVE, xasprintf("archive or disc image (%s)", f->magic));
		break;
	case CONTENT_EXECUTABLE:
		set_kind(f, KIND_VIEWER, xasprintf("program (%s)", f->magic));
		break;
	case CONTENT_OFFICE:
		set_kind(f, KIND_UNKNOWN, xasprintf("office document (%s); its text is not read by this version: check it by eye",
		                                    f->magic));
		break;
	case CONTENT_OTHER:
		set_kind(f, KIND_UNKNOWN, xasprintf("not a known record type (%s)", f->magic));
		break;
	}
	return -1;
}

/* A stream that has no file behind it is spooled to memory for the extractor
 * (bounded by max_doc_bytes); the bytes still pass only once through us. */
static int spool_open(struct walk *w, struct ing_file *f, const uint8_t *head, size_t n)
{
	if (f->size > w->scan->ctx->limits.max_doc_bytes)
		return -E2BIG;
	int fd = memfd_create("ingest-doc", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, head, n) != (ssize_t)n) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Files the package will hold get their bytes written to staging as they
 * stream past (package mode); viewer software, junk, archives and link files
 * do not (an archive's entries are staged instead). */
static bool stage_wanted(const struct ing_file *f)
{
	return !kind_is_excluded(f->kind) && f->kind != KIND_ARCHIVE && f->kind != KIND_LINK &&
	       f->kind != KIND_CASE_YAML && f->problem == PROB_NONE;
}

static int stage_open(struct walk *w, struct ing_file *f, const uint8_t *head, size_t n)
{
	struct ing_scan *scan = w->scan;
	char name[32];
	snprintf(name, sizeof(name), "f%07u", ++scan->staged_seq);
	int fd = openat(scan->staging_fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	if (n && write(fd, head, n) != (ssize_t)n) {
		int e = errno ? -errno : -EIO;
		close(fd);
		return e;
	}
	f->staged = xstrdup(name);
	return fd;
}

static void stage_failed(struct walk *w, int err)
{
	if (!w->error)
		w->error = err;
}

void scan_entry(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
                const struct ident_where *where)
{
	struct ing_scan *scan = w->scan;
	const struct ing_limits *lim = &scan->ctx->limits;
	struct ing_file *f = file_new(scan, relpath, size);
	_cleanup_free_ uint8_t *buf = NULL;
	size_t cap, n;
	ssize_t r;

	scan->total_bytes += f->size;
	if (identify_by_path(f, where) && kind_is_excluded(f->kind))
		return;    /* viewer software and junk are listed, never read */
	if (f->size > lim->max_file_bytes) {
		if (f->kind == KIND_UNKNOWN)
			set_kind(f, KIND_UNKNOWN, xstrdup("not read: larger than the per-file limit"));
		file_set_problem(f, PROB_LIMIT, "the file is %llu bytes, over the per-file limit of %llu bytes; it was not read",
		                 (unsigned long long)f->size, (unsigned long long)lim->max_file_bytes);
		return;
	}

	cap = (size_t)MIN(f->size, (uint64_t)HEAD_BYTES);
	buf = xmalloc(cap + 1);
	r = src_read_full(src, buf, cap);
	if (r < 0) {
		file_set_problem(f, PROB_UNREADABLE, "the file could not be read (%s)", ing_strerror((int)r));
		return;
	}
	n = (size_t)r;

	struct sha256_ctx *sha = sha256_new();
	sha256_update(sha, buf, n);

	bool is_dicom = false;
	if (f->kind == KIND_UNKNOWN && identify_dicom_candidate(buf, n)) {
		struct dcm_info *d = xcalloc(1, sizeof(*d));
		enum dcm_status ds = dcm_read_header(buf, n, f->size, d);
		/* The header goes on past what we read: offer more, up to the limit. */
		while (ds == DCM_NEED_MORE && n < f->size && n < lim->max_dicom_header_bytes) {
			size_t want = (size_t)MIN(MIN((uint64_t)cap * 4, f->size), lim->max_dicom_header_bytes);
			buf = xrealloc(buf, want + 1);
			cap = want;
			r = src_read_full(src, buf + n, cap - n);
			if (r <= 0)
				break;
			sha256_update(sha, buf + n, (size_t)r);
			n += (size_t)r;
			ds = dcm_read_header(buf, n, f->size, d);
		}
		switch (ds) {
		case DCM_OK:
		case DCM_WARN:
		case DCM_TRUNCATED:
		case DCM_CORRUPT:
			f->dcm = d;
			is_dicom = true;
			identify_dicom(f);
			if (ds == DCM_TRUNCATED)
				file_set_problem(f, PROB_TRUNCATED,
				                 "the DICOM file is cut short (%s); ask the hospital for a new copy", d->message);
			else if (ds == DCM_CORRUPT)
				file_set_problem(f, PROB_CORRUPT, "the DICOM file is damaged (%s); ask for a new copy", d->message);
			break;
		case DCM_NEED_MORE:
			f->dcm = d;
			is_dicom = true;
			set_kind(f, KIND_DICOM_IMAGE, xstrdup("DICOM; header not fully read"));
			file_set_problem(f, PROB_LIMIT, "the DICOM header is larger than the %llu-byte limit; it was not read",
			                 (unsigned long long)lim->max_dicom_header_bytes);
			break;
		case DCM_NOT_DICOM:
			free(d);
			break;
		}
	}
	int doc_type = -1, spool = -1, stage = -1;
	uint64_t consumed = 0;
	if (!is_dicom && f->kind == KIND_UNKNOWN)
		doc_type = identify_nondicom(w, f, buf, n, where);
	/* Archives and disc images: entries stream out into scan_entry() while the
	 * archive's own bytes pass through sha; the loop below hashes what is left. */
	if (f->kind == KIND_ARCHIVE)
		(void)expand_archive(w, f, buf, n, src, fd, sha, &consumed, where);
	if (scan->staging_fd >= 0 && stage_wanted(f)) {
		stage = stage_open(w, f, buf, n);
		if (stage < 0)
			stage_failed(w, stage);
	}
	if (doc_type >= 0 && fd < 0 && stage >= 0) {
		spool = dup(stage);        /* the staged copy serves the extractor */
	} else if (doc_type >= 0 && fd < 0) {
		spool = spool_open(w, f, buf, n);
		if (spool < 0) {
			set_kind(f, KIND_SCANNED, xstrdup("document not read automatically: check it by eye"));
			file_set_problem(f, spool == -E2BIG ? PROB_LIMIT : PROB_UNREADABLE,
			                 "the document could not be read (%s)", ing_strerror(spool));
			doc_type = -1;
		}
	}

	/* Stream the rest through the hash: every byte read once. */
	uint64_t done = n + consumed;
	while (done < f->size) {
		r = src_read_full(src, w->chunk, CHUNK_BYTES);
		if (r < 0) {
			file_set_problem(f, PROB_UNREADABLE, "reading failed after %llu bytes (%s)",
			                 (unsigned long long)done, ing_strerror((int)r));
			break;
		}
		if (r == 0)
			break;
		sha256_update(sha, w->chunk, (size_t)r);
		if (stage >= 0 && write(stage, w->chunk, (size_t)r) != r) {
			stage_failed(w, errno ? -errno : -EIO);
			close(stage);
			stage = -1;
		}
		if (spool >= 0 && stage < 0 && f->staged == NULL && write(spool, w->chunk, (size_t)r) != r) {
			close(spool);
			spool = -1;
			doc_type = -1;
			set_kind(f, KIND_SCANNED, xstrdup("document not read automatically: check it by eye"));
			file_set_problem(f, PROB_UNREADABLE, "the document could not be buffered for reading");
		}
		done += (size_t)r;
	}
	if (done == f->size) {
		sha256_final(sha, f->sha256);
		f->hashed = true;
	} else if (f->problem == PROB_NONE) {
		file_set_problem(f, PROB_UNREADABLE, "the file changed size while it was read (%llu of %llu bytes)",
		                 (unsigned long long)done, (unsigned long long)f->size);
	}
	sha256_free(sha);
	if (doc_type >= 0 && f->problem == PROB_NONE)
		read_document(w, f, spool >= 0 ? spool : fd, (enum docext_type)doc_type);
	if (spool >= 0)
		close(spool);
	if (stage >= 0 && close(stage) < 0)
		stage_failed(w, -errno);
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
		struct ing_file *f = file_new(w->scan, relpath, 0);
		set_kind(f, KIND_UNKNOWN, xstrdup("not read: the drop holds too many files"));
		file_set_problem(f, PROB_LIMIT, "the drop holds more than %llu files; the rest were not read. Split the drop.",
		                 (unsigned long long)lim->max_entries);
		w->entries_reported = true;
	}
	return true;
}

static void walk_dir(struct walk *w, int dfd, const char *prefix, unsigned depth, const struct ident_where *parent)
{
	struct ing_scan *scan = w->scan;
	const struct ing_limits *lim = &scan->ctx->limits;
	struct ptrvec names = { 0 };
	struct ident_where where = *parent;
	_cleanup_free_ char *viewer_dir = NULL;
	DIR *d;
	struct dirent *de;
	int fd2 = dup(dfd);

	if (fd2 < 0 || !(d = fdopendir(fd2))) {
		if (fd2 >= 0)
			close(fd2);
		struct ing_file *f = file_new(scan, prefix[0] ? prefix : ".", 0);
		file_set_problem(f, PROB_UNREADABLE, "the folder could not be read (%s)", strerror(errno));
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
		if (strlen(rel) > lim->max_path_bytes) {
			struct ing_file *f = file_new(scan, rel, 0);
			file_set_problem(f, PROB_LIMIT, "the path is longer than %u bytes; not read", lim->max_path_bytes);
			continue;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			struct ing_file *f = file_new(scan, rel, 0);
			file_set_problem(f, PROB_UNREADABLE, "could not be examined (%s)", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth >= MAX_DIR_DEPTH) {
				struct ing_file *f = file_new(scan, rel, 0);
				file_set_problem(f, PROB_LIMIT, "folders nested more than %d deep; not read", MAX_DIR_DEPTH);
				continue;
			}
			int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				struct ing_file *f = file_new(scan, rel, 0);
				file_set_problem(f, PROB_UNREADABLE, "the folder could not be opened (%s)", strerror(errno));
				continue;
			}
			walk_dir(w, sub, rel, depth + 1, &where);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
			if (fd < 0) {
				struct ing_file *f = file_new(scan, rel, (uint64_t)st.st_size);
				file_set_problem(f, PROB_UNREADABLE, "the file could not be opened (%s)", strerror(errno));
				continue;
			}
			struct byte_src src = { fd_src_read, &fd };
			scan_entry(w, rel, (uint64_t)st.st_size, &src, fd, &where);
			close(fd);
		} else {
			struct ing_file *f = file_new(scan, rel, 0);
			if (S_ISLNK(st.st_mode))
				file_set_problem(f, PROB_UNSAFE, "a symbolic link: not followed, since it may point outside the drop");
			else
				file_set_problem(f, PROB_UNSAFE, "a device, socket or FIFO: not read");
			set_kind(f, KIND_UNKNOWN, xstrdup("not a regular file"));
		}
	}
	ptrvec_free(&names, free);
}

static char *case_id_from_path(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	char *base = xstrdup(path_basename(p));
	char *dot = strchr(base, '.');
	if (dot && dot != base)
		*dot = 0;     /* CASE.iso, CASE.tar.gz -> CASE */
	return base;
}

int ing_scan_path(struct ing_ctx *ctx, const char *path, const struct ing_scan_opts *opts, struct ing_scan **out)
{
	struct walk w = { 0 };
	struct ing_scan *scan;
	struct ident_where where = { 0 };
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
		int e = S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return e;
	}

	scan = xcalloc(1, sizeof(*scan));
	scan->ctx = ctx;
	scan->staging_fd = -1;
	if (opts && opts->staging_dir) {
		scan->staging_fd = open(opts->staging_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (scan->staging_fd < 0) {
			int e = -errno;
			free(scan);
			close(fd);
			return e;
		}
	}
	scan->root = xstrdup(path);
	scan->case_id = opts && opts->case_id ? xstrdup(opts->case_id) : case_id_from_path(path);
	w.scan = scan;
	w.chunk = xmalloc(CHUNK_BYTES);

	log_info(ctx, "case %s: scanning", scan->case_id);
	if (S_ISDIR(st.st_mode))
		walk_dir(&w, fd, "", 0, &where);
	else
	{
		struct byte_src src = { fd_src_read, &fd };
		scan_entry(&w, path_basename(path), (uint64_t)st.st_size, &src, fd, &where);
	}
	close(fd);
	free(w.chunk);
	if (scan->staging_fd >= 0) {
		if (w.error == 0 && fsync(scan->staging_fd) < 0)
			w.error = -errno;
		close(scan->staging_fd);
		scan->staging_fd = -1;
	}
	if (w.error) {
		log_err(ctx, "case %s: writing the staging copy failed: %s", scan->case_id, ing_strerror(w.error));
		ing_scan_free(scan);
		return w.error;
	}

	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(scan->generated_at, sizeof(scan->generated_at), "%Y-%m-%dT%H:%M:%SZ", &tm);

	inventory_build(scan);
	log_info(ctx, "case %s: %zu files scanned", scan->case_id, scan->files.n);
	*out = scan;
	return 0;
}

struct ing_scan *ing_scan_free(struct ing_scan *scan)
{
	if (!scan)
		return NULL;
	inventory_free(&scan->inv);
	ptrvec_free(&scan->files, (void (*)(void *))file_free);
	free(scan->case_id);
	free(scan->root);
	free(scan);
	return NULL;
}

void ing_scan_get_counts(const struct ing_scan *scan, struct ing_scan_counts *c)
{
	size_t series = 0;
	for (size_t i = 0; i < scan->inv.studies.n; i++)
		series += ((struct inv_study *)scan->inv.studies.v[i])->series.n;
	*c = (struct ing_scan_counts){
		.files = (unsigned)scan->files.n,
		.dicom_instances = scan->inv.dicom_instances,
		.studies = (unsigned)scan->inv.studies.n,
		.series = (unsigned)series,
		.documents = (unsigned)scan->inv.documents.n,
		.excluded = (unsigned)scan->inv.excluded.n,
		.problems = (unsigned)scan->inv.problems.n,
		.patients = (unsigned)scan->inv.patients.n,
	};
}
