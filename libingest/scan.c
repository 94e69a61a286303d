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

#include "caseyaml.h"
#include <json-c/json.h>

#include "classify.h"
#include "docext.h"
#include "evaluate.h"
#include "expand.h"
#include "fetch.h"
#include "findings.h"
#include "guard.h"
#include "identify.h"
#include "scan.h"
#include "sink.h"

#define HEAD_BYTES (64u << 10)      /* first read: enough for identification and most DICOM headers */
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

/* Text documents: run the confined extractor and let the text decide the kind. */
#define OCR_MIN_CONFIDENCE 40.0    /* below this, OCR text is not trusted to decide a kind */

static size_t count_letters(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] > ' ')
			c++;
	return c;
}

struct pending_link {
	char *url;
	char *from;        /* the link file's path in the drop */
};

/* Link files are read now; their URLs are fetched once the walk is done. */
static void collect_links(struct walk *w, struct ing_file *f, const uint8_t *buf, size_t n)
{
	char **urls = NULL, *err = NULL;
	size_t nu = 0;
	if (n < f->size) {
		file_set_problem(f, PROB_LIMIT, "the link file is larger than %zu bytes; it was not read", n);
		return;
	}
	int r = linkfile_parse(buf, n, path_basename(f->path), &urls, &nu, &err);
	if (r < 0) {
		file_set_problem(f, r == -EOPNOTSUPP ? PROB_UNSUPPORTED : PROB_CORRUPT, "%s",
		                 err ? err : "the link file could not be read");
		free(err);
		return;
	}
	free(err);
	for (size_t i = 0; i < nu; i++) {
		struct pending_link *l = xcalloc(1, sizeof(*l));
		l->url = urls[i];
		l->from = xstrdup(f->path);
		ptrvec_push(&w->links, l);
	}
	free(urls);
	if (!w->scan->fetch_links && nu) {
		free(f->evidence);
		f->evidence = xasprintf("download link file \"%s\" (%zu link%s; a scan does not fetch them, "
		                        "ingest package and the daemon do)", path_basename(f->path), nu, nu == 1 ? "" : "s");
	}
}

static void pending_link_free(void *p)
{
	struct pending_link *l = p;
	free(l->url);
	free(l->from);
	free(l);
}

/* The URL without user:password@, query or fragment: what a report may show. */
static char *url_for_display(const char *url)
{
	const char *scheme_end = strstr(url, "://");
	const char *host = scheme_end ? scheme_end + 3 : url;
	const char *at = strchr(host, '@'), *slash = strchr(host, '/');
	if (at && (!slash || at < slash))
		host = at + 1;
	size_t n = strcspn(host, "?#");
	return xasprintf("%.*s%.*s", scheme_end ? (int)(scheme_end + 3 - url) : 0, url, (int)n, host);
}

static void link_problem(struct ing_scan *scan, const struct pending_link *l, const char *shown, const char *why)
{
	_cleanup_free_ char *rel = xasprintf("%s!/%s", l->from, shown);
	struct ing_file *f = file_new(scan, rel, 0);
	f->kind = KIND_LINK;
	f->evidence = xasprintf("download link from %s", l->from);
	file_set_problem(f, PROB_DOWNLOAD, "%s could not be downloaded: %s", shown, why);
}

/* Fetch every link found, each into an unnamed file of its own (in staging
 * in package mode, else in TMPDIR), then scan it like any other input. */
static void fetch_links(struct walk *w, const struct ing_scan_opts *opts)
{
	struct ing_scan *scan = w->scan;
	struct fetch_opts fo;
	struct ident_where where = { 0 };

	fetch_opts_default(&fo);
	fo.allow_http = opts && opts->allow_http;
	fo.ca_file = opts ? opts->ca_file : NULL;
	for (size_t i = 0; i < w->links.n; i++) {
		struct pending_link *l = w->links.v[i];
		_cleanup_free_ char *shown = url_for_display(l->url);
		struct fetch_result res = { 0 };
		int fd;
		if (scan->staging_fd >= 0) {
			fd = openat(scan->staging_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
		} else {
			const char *tmp = getenv("TMPDIR");
			fd = open(tmp && tmp[0] ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		}
		if (fd < 0) {
			link_problem(scan, l, shown, strerror(errno));
			continue;
		}
		log_info(scan->ctx, "case %s: downloading link %zu of %zu", scan->case_id, i + 1, w->links.n);
		int r = fetch_url(scan->ctx, &fo, l->url, fd, &res);
		if (r < 0) {
			link_problem(scan, l, shown, res.error ? res.error : ing_strerror(r));
		} else if (lseek(fd, 0, SEEK_SET) == 0) {
			_cleanup_free_ char *rel = xasprintf("%s!/%s", l->from, res.file_name);
			struct byte_range rg = { fd, 0, NULL };
			struct byte_src src = { .read = fd_src_read, .ud = &fd, .range = &rg };
			scan_entry(w, rel, res.bytes, &src, fd, &where);
		}
		fetch_result_clear(&res);
		close(fd);
	}
}

struct dd_collect {
	struct ing_file *f;
	uint64_t max;
};

static void dd_ref_cb(void *ud, const char *file_id, const char *sop_uid)
{
	struct dd_collect *c = ud;
	struct ing_file *f = c->f;
	if (f->n_dd_refs >= c->max) {
		f->dd_refs_truncated = true;
		return;
	}
	f->dd_refs = xrealloc(f->dd_refs, (f->n_dd_refs + 1) * sizeof(*f->dd_refs));
	f->dd_refs[f->n_dd_refs++] = (struct dicomdir_ref){
		.file_id = utf8_sanitize(file_id, strlen(file_id)),
		.sop_uid = sop_uid ? xstrdup(sop_uid) : NULL,
	};
}

/* A DICOMDIR holds no pixel data, so the header reader has all of it in buf:
 * list its references here, for the cross-check in the inventory. */
static void dicomdir_collect(struct walk *w, struct ing_file *f, const uint8_t *buf, size_t n)
{
	struct dd_collect c = { f, w->scan->ctx->limits.max_entries };
	int r = dcm_dicomdir_list(buf, n, dd_ref_cb, &c);
	if (r < 0)
		file_set_problem(f, PROB_CORRUPT, "the DICOMDIR could not be read (%s); the images themselves are read one by one",
		                 ing_strerror(r));
}


static char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Dated treatment events the text states (findings_treatments()); TODAY
 * (YYYY-MM-DD, or NULL) settles day/month order, and later dates are plans. */
void doc_read_treatments(struct doc_info *d, const char *today)
{
	struct treatment_list tl = { 0 };
	d->treatments_read = true;
	if (!d->text || !d->text_len || findings_treatments(d->text, d->text_len, today, &tl) < 0 || !tl.n) {
		treatment_list_free(&tl);
		return;
	}
	d->treatments = xcalloc(tl.n, sizeof(*d->treatments));
	for (size_t k = 0; k < tl.n; k++)
		d->treatments[d->n_treatments++] = (struct doc_treatment){
			.date = xstrdup(tl.v[k].date),
			.latest = xstrdup(tl.v[k].latest),
			.precision = xstrdup(treatment_precision_name(tl.v[k].precision)),
			.what = xstrdup(tl.v[k].what),
			.snippet = xstrdup(tl.v[k].snippet),
		};
	treatment_list_free(&tl);
}

/* What the text says: language and script, biomarkers with their results,
 * labs with values, dated treatments. Findings come with the words that
 * show them; all are read here, while the text is at hand (past
 * max_case_text_bytes it is not kept for later). */
static void read_findings(struct walk *w, struct doc_info *d)
{
	struct ing_ctx *ctx = w->scan->ctx;
	struct doc_language lg = { 0 };
	struct biomarker_list bl = { 0 };
	struct lab_list ll = { 0 };

	if (findings_language(d->text, d->text_len, &lg) == 0) {
		d->language = xstrdup_or_null(lg.lang);
		d->script = xstrdup_or_null(lg.script);
		d->needs_translation = lg.lang && lg.confidence >= 0.5 && !ing_ctx_is_working_language(ctx, lg.lang);
	}
	if (findings_biomarkers(d->text, d->text_len, &bl) == 0 && bl.n) {
		d->markers = xcalloc(bl.n, sizeof(*d->markers));
		for (size_t i = 0; i < bl.n; i++)
			d->markers[d->n_markers++] = (struct doc_marker){
				.name = xstrdup(bl.v[i].name),
				.state = bl.v[i].state == FINDING_FOUND ? MARKER_FOUND
				       : bl.v[i].state == FINDING_PENDING ? MARKER_PENDING : MARKER_INSUFFICIENT,
				.result = xstrdup_or_null(bl.v[i].result),
				.snippet = xstrdup_or_null(bl.v[i].snippet),
			};
	}
	biomarker_list_free(&bl);
	if (findings_labs(d->text, d->text_len, &ll) == 0 && ll.n) {
		d->labs = xcalloc(ll.n, sizeof(*d->labs));
		for (size_t i = 0; i < ll.n; i++) {
			const struct lab_value *v = &ll.v[i];
			d->labs[d->n_labs++] = (struct doc_lab){
				.name = xstrdup(v->name),
				.has_value = v->value != NULL,
				.value = v->num,
				.value_text = xstrdup_or_null(v->value),
				.unit = xstrdup_or_null(v->unit),
				.date = xstrdup_or_null(v->date),
				.snippet = xstrdup_or_null(v->snippet),
			};
			if (v->date && v->date_from_document && !d->doc_date)
				d->doc_date = xstrdup(v->date);
		}
	}
	lab_list_free(&ll);
	doc_read_treatments(d, w->today);
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

/* Around the extractor's fork: every other thread of ours holds no lock. */
static void threads_around_fork(void *ud, bool before)
{
	struct walk *w = ud;
	for (unsigned i = 0; i < w->n_threads; i++) {
		const struct walk_thread *t = &w->threads[before ? i : w->n_threads - 1 - i];   /* resumed in reverse */
		t->pause(t->ud, before);
	}
}

static void sink_pause_cb(void *ud, bool on)
{
	sink_pause(ud, on);
}

static void document_read(struct walk *w, struct ing_file *f, enum docext_type type);

/* The oldest extraction under way: waited for, its text read. */
static void docs_finish_one(struct walk *w)
{
	struct pending_doc p = w->docs[0];
	memmove(&w->docs[0], &w->docs[1], (w->n_docs - 1) * sizeof(w->docs[0]));
	w->n_docs--;
	int r = docext_finish(p.job);
	if (r < 0) {
		p.f->doc->extract_error = xasprintf("the text extractor could not be started (%s)", ing_strerror(r));
		p.f->doc->extract_problem = PROB_CORRUPT;
		log_err(w->scan->ctx, "case %s: cannot start the text extractor: %s", w->scan->case_id, ing_strerror(r));
	}
	document_read(w, p.f, p.type);
}

void docs_finish_all(struct walk *w)
{
	while (w->n_docs)
		docs_finish_one(w);
}

/* Documents, scanned pages and photos: run the confined extractor (text
 * layer, else OCR) and let the text decide the kind, with the words as
 * evidence. What cannot be read is said to be unread, never missing.
 * A document's text: extracted by a confined child (docext.c) while the scan
 * goes on, up to WALK_DOCS_MAX at a time (OCR of scans takes seconds a page:
 * two children use both cores); read in the order the documents came. */
static void read_document(struct walk *w, struct ing_file *f, int fd, enum docext_type type)
{
	struct ing_ctx *ctx = w->scan->ctx;
	const struct ing_limits *lim = &ctx->limits;
	struct doc_info *d = xcalloc(1, sizeof(*d));
	struct docext_opts o = { .ocr_langs = NULL, .around_fork = threads_around_fork, .around_fork_ud = w };
	struct docext_job *job = NULL;
	int r;

	d->pages = -1;
	f->doc = d;
	if (type != DOCEXT_TEXT && w->ocr_runs >= lim->max_ocr_documents)
		o.no_pdf_ocr = true;
	if (type == DOCEXT_IMAGE && o.no_pdf_ocr) {
		d->extract_error = xasprintf("not read by OCR: the drop holds more than %u images and scans to read",
		                             lim->max_ocr_documents);
		return;     /* stays a photo */
	}
	if (type != DOCEXT_TEXT)
		w->ocr_runs++;
	if (w->n_docs == WALK_DOCS_MAX)
		docs_finish_one(w);
	r = docext_start(ctx, fd, type, &o, d, &job);
	if (r < 0) {
		d->extract_error = xasprintf("the text extractor could not be started (%s)", ing_strerror(r));
		d->extract_problem = PROB_CORRUPT;
		log_err(ctx, "case %s: cannot start the text extractor: %s", w->scan->case_id, ing_strerror(r));
	}
	if (job) {
		w->docs[w->n_docs++] = (struct pending_doc){ f, type, job };
		return;
	}
	/* final already (plain text, refused); those under way are read when
	 * they finish, at points that do not depend on timing */
	document_read(w, f, type);
}

/* What the text says: the document's kind, findings; its text kept within the drop's budget. */
static void document_read(struct walk *w, struct ing_file *f, enum docext_type type)
{
	struct ing_ctx *ctx = w->scan->ctx;
	const struct ing_limits *lim = &ctx->limits;
	struct doc_info *d = f->doc;
	const char *what = type == DOCEXT_PDF ? "PDF" : type == DOCEXT_IMAGE ? "image" : "document";
	char *ev = NULL;

	if (d->extract_error) {
		if (type == DOCEXT_IMAGE)
			return;     /* a photo OCR could not read is still a photo */
		set_kind(f, KIND_SCANNED, xasprintf("%s; could not be read automatically (%s): check it by eye", what,
		                                    d->extract_error));
		file_set_problem(f, d->extract_problem != PROB_NONE ? d->extract_problem : PROB_CORRUPT, "%s",
		                 d->extract_error);
		return;
	}
	size_t letters = d->text ? count_letters(d->text, d->text_len) : 0;
	bool trusted = letters >= 20 && (!d->ocr || d->ocr_confidence >= OCR_MIN_CONFIDENCE);
	enum ing_kind k = trusted ? classify_text(d->text, d->text_len, f->path, &ev) : KIND_UNKNOWN;

	if (k == KIND_UNKNOWN && (d->ocr || type == DOCEXT_IMAGE || (type == DOCEXT_PDF && !d->text_layer))) {
		/* a scan or photo whose text shows no known kind: check it by eye */
		enum ing_kind fallback = type == DOCEXT_IMAGE ? KIND_PHOTO : KIND_SCANNED;
		char *why = !d->ocr ? xstrdup("no text layer and no OCR text")
		          : letters < 20 ? xstrdup("OCR found no readable text")
		          : !trusted ? xasprintf("OCR text too uncertain (confidence %.0f%%)", d->ocr_confidence)
		          : xasprintf("OCR text (confidence %.0f%%) shows no known document kind", d->ocr_confidence);
		set_kind(f, fallback, xasprintf("%s (%s); %s: could not be read automatically; check it by eye", what,
		                                f->mime ? f->mime : "?", why));
		free(why);
		free(ev);
	} else if (k != KIND_UNKNOWN && d->ocr) {
		set_kind(f, k, xasprintf("OCR of a %s (confidence %.0f%%): %s", type == DOCEXT_IMAGE ? "photo" : "scan",
		                         d->ocr_confidence, ev));
		free(ev);
	} else {
		set_kind(f, k, ev ? ev : xstrdup("text read, but no heading or vocabulary of a known document kind matched"));
	}
	if (d->text && d->text_len)
		read_findings(w, d);
	/* The text stays for the rules (cancer type detection) within a budget per
	 * drop; past it, memory stays bounded by the largest document. */
	if (d->text && w->text_kept + d->text_len <= lim->max_case_text_bytes) {
		w->text_kept += d->text_len;
	} else {
		free(d->text);
		d->text = NULL;
	}
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
		return DOCEXT_IMAGE;     /* OCR may show a lab sheet or a report */
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

/* A memfd holding the bytes of g, for the extractor of a document that has no
 * file behind it (an archive entry); bounded by max_doc_bytes. */
static int spool_segs(struct walk *w, struct ing_file *f, const struct sink_segs *g)
{
	if (f->size > w->scan->ctx->limits.max_doc_bytes)
		return -E2BIG;
	int fd = memfd_create("ingest-doc", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < g->n; i++) {
		int e = write_all(fd, g->v[i].p, g->v[i].n);
		if (e < 0) {
			close(fd);
			return e;
		}
	}
	return fd;
}

/* The descriptor the extractor reads a document with no file behind it
 * from: its staged copy, else a memfd holding g's bytes (the caller may
 * write more). On failure -1, and the document is left unread, with the
 * reason as its problem (*doc_type -1). */
static int doc_spool(struct walk *w, struct ing_file *f, int stage, const struct sink_segs *g, int *doc_type)
{
	if (stage >= 0)
		return dup(stage);
	int spool = spool_segs(w, f, g);
	if (spool < 0) {
		set_kind(f, KIND_SCANNED, xstrdup("document not read automatically: check it by eye"));
		file_set_problem(f, spool == -E2BIG ? PROB_LIMIT : PROB_UNREADABLE, "the document could not be read (%s)",
		                 ing_strerror(spool));
		*doc_type = -1;
		return -1;
	}
	return spool;
}

/* Files the package will hold get their bytes written to staging (package
 * mode); viewer software, junk, archives and link files do not (an
 * archive's entries are staged instead). */
static bool stage_wanted(const struct ing_file *f)
{
	return !kind_is_excluded(f->kind) && f->kind != KIND_ARCHIVE && f->kind != KIND_LINK &&
	       f->kind != KIND_CASE_YAML && f->problem == PROB_NONE;
}

/* A new, empty staging file for f when it is to be packaged: its
 * descriptor, or -1 when it is not staged. A failure to make it fails the
 * scan (stage_failed()): the package would miss the file. */
static int stage_open(struct walk *w, struct ing_file *f)
{
	struct ing_scan *scan = w->scan;
	if (scan->staging_fd < 0 || !stage_wanted(f))
		return -1;
	char name[32];
	snprintf(name, sizeof(name), "f%07u", ++scan->staged_seq);
	int fd = openat(scan->staging_fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		if (!w->error)
			w->error = -errno;
		return -1;
	}
	f->staged = xstrdup(name);
	return fd;
}

static void stage_failed(struct walk *w, int err)
{
	if (!w->error)
		w->error = err;
}

/* n bytes of the input from offset at into p: read where they lie (range),
 * else from the stream (at is then where it stands). */
static ssize_t src_read_at(struct byte_src *src, uint64_t at, uint8_t *p, size_t n)
{
	const struct byte_range *rg = src->range;
	size_t got = 0;
	while (got < n) {
		ssize_t r;
		if (rg) {
			r = pread(rg->fd, p + got, n - got, (off_t)(rg->off + at + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				r = -errno;
		} else {
			r = src->read(src->ud, p + got, n - got);
		}
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* More of the input into g, until it holds want bytes (or the input ends):
 * the source's own gather, else reads into the sink's memory. */
static int pull(struct walk *w, struct byte_src *src, struct sink_segs *g, uint64_t want)
{
	if (src->gather && !src->range)
		return g->bytes < want ? src->gather(src->ud, w->sink, want, g) : 0;
	while (g->bytes < want) {
		uint64_t at = g->bytes;
		size_t k = (size_t)MIN(want - at, (uint64_t)SINK_SLAB_BYTES);
		uint8_t *p = segs_extend(w->sink, g, k);
		ssize_t r = src_read_at(src, at, p, k);
		if (r < (ssize_t)k) {
			size_t got = r > 0 ? (size_t)r : 0;
			g->bytes -= k - got;
			g->v[g->n - 1].n = got;
			return r < 0 ? (int)r : 0;
		}
	}
	return 0;
}

/* The first min(want, g->bytes) bytes of g, contiguous: where they lie when
 * g's first piece holds them, else copied into *buf. Their count. */
static size_t head_view(const struct sink_segs *g, size_t want, uint8_t **buf, const uint8_t **head)
{
	size_t n = (size_t)MIN((uint64_t)want, g->bytes);
	if (g->n && g->v[0].n >= n) {
		*head = g->v[0].p;
		return n;
	}
	*buf = xrealloc(*buf, n + 1);
	segs_copy(g, 0, *buf, n);
	*head = *buf;
	return n;
}

/* The bytes of an input after the first off: what was gathered, then the stream. */
struct rest_reader {
	const struct sink_segs *g;
	uint64_t off;
	struct byte_src *src;
};

static ssize_t rest_read(void *ud, void *buf, size_t n)
{
	struct rest_reader *rr = ud;
	ssize_t k;
	if (rr->off < rr->g->bytes)
		k = (ssize_t)segs_copy(rr->g, rr->off, buf, n);
	else
		k = src_read_at(rr->src, rr->off, buf, n);
	if (k > 0)
		rr->off += (uint64_t)k;
	return k;
}

/* Reads whose bytes went wrong: the problem, in the reader's words. */
static void read_problem(struct ing_file *f, int err, uint64_t got)
{
	if (f->problem != PROB_NONE)
		return;
	if (err < 0)
		file_set_problem(f, PROB_UNREADABLE, "reading failed after %llu bytes (%s)", (unsigned long long)got,
		                 ing_strerror(err));
	else
		file_set_problem(f, PROB_UNREADABLE, "the file changed size while it was read (%llu of %llu bytes)",
		                 (unsigned long long)got, (unsigned long long)f->size);
}

/* A file too large to hold, streamed: each piece hashed, staged, spooled. */
struct streamed {
	struct walk *w;
	struct ing_file *f;
	struct sha256_ctx *sha;
	int stage, spool, doc_type;
};

static void stream_piece(struct streamed *st, const uint8_t *p, size_t n)
{
	int we;
	sha256_update(st->sha, p, n);
	if (st->stage >= 0 && (we = write_all(st->stage, p, n)) < 0) {
		stage_failed(st->w, we);
		close(st->stage);
		st->stage = -1;
	}
	if (st->spool >= 0 && st->stage < 0 && st->f->staged == NULL && write_all(st->spool, p, n) < 0) {
		close(st->spool);
		st->spool = -1;
		st->doc_type = -1;
		set_kind(st->f, KIND_SCANNED, xstrdup("document not read automatically: check it by eye"));
		file_set_problem(st->f, PROB_UNREADABLE, "the document could not be buffered for reading");
	}
}

void scan_entry(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
                const struct ident_where *where)
{
	struct ing_scan *scan = w->scan;
	const struct ing_limits *lim = &scan->ctx->limits;
	struct sink *sk = w->sink;
	struct ing_file *f = file_new(scan, relpath, size);
	struct sink_segs g = { 0 };        /* the input's bytes read so far (all of them, for most files) */
	_cleanup_free_ uint8_t *buf = NULL;
	const uint8_t *head;               /* the first n bytes, contiguous: in g, or copied to buf */
	size_t n;
	int rerr;

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

	rerr = pull(w, src, &g, MIN(f->size, (uint64_t)HEAD_BYTES));
	if (rerr < 0 && g.bytes == 0) {
		file_set_problem(f, PROB_UNREADABLE, "the file could not be read (%s)", ing_strerror(rerr));
		segs_release(sk, &g);
		return;
	}
	n = head_view(&g, HEAD_BYTES, &buf, &head);

	bool is_dicom = false;
	const char *skip_reason = NULL;
	if (f->kind == KIND_UNKNOWN && identify_dicom_candidate(head, n) &&
	    w->n_skips && (skip_reason = guard_skip_reason(w, f->path))) {
		/* The reader died on this file in an earlier attempt (the daemon's
		 * worker): not read again, not packaged; its bytes are hashed as usual. */
		is_dicom = true;
		set_kind(f, KIND_UNKNOWN, xstrdup("DICOM file (by its first bytes); its header was not read"));
		file_set_problem(f, PROB_CORRUPT, "the DICOM reader %s on this file in an earlier attempt; it was left "
		                 "out: ask the hospital for a new copy", skip_reason);
	} else if (f->kind == KIND_UNKNOWN && identify_dicom_candidate(head, n)) {
		struct dcm_info *d = xcalloc(1, sizeof(*d));
		/* Guarded (guard.c): a crash or a hang in the reader costs this file. */
		guard_push(w, ING_GUARD_DICOM, f->path);
		guard_fault_hook(w, ING_GUARD_DICOM, head, n);
		enum dcm_status ds = dcm_read_header(head, n, f->size, d);
		guard_pop(w);
		/* The header goes on past what we read: offer more, up to the limit. */
		while (ds == DCM_NEED_MORE && n < f->size && n < lim->max_dicom_header_bytes) {
			size_t want = (size_t)MIN(MIN((uint64_t)n * 4, f->size), lim->max_dicom_header_bytes);
			if (rerr == 0)
				rerr = pull(w, src, &g, want);
			size_t m = head_view(&g, want, &buf, &head);
			if (m <= n)
				break;
			n = m;
			guard_push(w, ING_GUARD_DICOM, f->path);
			ds = dcm_read_header(head, n, f->size, d);
			guard_pop(w);
		}
		switch (ds) {
		case DCM_OK:
		case DCM_WARN:
		case DCM_TRUNCATED:
		case DCM_CORRUPT:
			f->dcm = d;
			is_dicom = true;
			identify_dicom(f);
			if (f->kind == KIND_DICOM_DICOMDIR && (ds == DCM_OK || ds == DCM_WARN)) {
				guard_push(w, ING_GUARD_DICOM, f->path);
				dicomdir_collect(w, f, head, n);
				guard_pop(w);
			}
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
	uint64_t done = 0;
	bool small = f->size <= sink_gather_max(sk);
	if (!is_dicom && f->kind == KIND_UNKNOWN)
		doc_type = identify_nondicom(w, f, head, n, where);

	if (f->kind == KIND_ARCHIVE) {
		/* Archives and disc images: entries come out into scan_entry(); the
		 * archive's own bytes are not hashed (its entries are). A drop file
		 * is read from its fd; an entry is taken whole into memory when it
		 * is small enough (stored entries of it are then not copied again). */
		uint64_t consumed = 0;
		if (w->n_skips && (skip_reason = guard_skip_reason(w, f->path))) {
			file_set_problem(f, PROB_CORRUPT, "the archive reader %s on this archive in an earlier attempt; it "
			                 "was not opened: ask for a new copy of it", skip_reason);
		} else {
			/* where its bytes are: a file (range), memory, or only the stream */
			struct arc_in in = { -1, 0, NULL };
			if (src->range)
				in = (struct arc_in){ src->range->fd, src->range->off, src->range->map };
			else if (fd >= 0)
				in.fd = fd;
			else if (small && rerr == 0 && (rerr = pull(w, src, &g, f->size)) == 0 && g.bytes == f->size && g.n == 1)
				in.mem = g.v[0].p;
			struct rest_reader rr = { &g, n, src };
			struct byte_src rest = { .read = rest_read, .ud = &rr };
			guard_push(w, ING_GUARD_ARCHIVE, f->path); /* an entry's DICOM header shows its own, then this again */
			guard_fault_hook(w, ING_GUARD_ARCHIVE, head, n);
			(void)expand_archive(w, f, head, n, &rest, &in, &consumed, where);
			guard_pop(w);
			/* what the archive reader left of it: read to its end, not kept */
			done = n + consumed;
			while (done < f->size) {
				ssize_t r = rest_read(&rr, w->chunk, WALK_CHUNK_BYTES);
				if (r <= 0) {
					if (r < 0)
						read_problem(f, (int)r, done);
					break;
				}
				done += (uint64_t)r;
			}
		}
		segs_release(sk, &g);
	} else if ((src->range && !(doc_type >= 0 && fd < 0)) || small || g.bytes == f->size) {
		/* Hashed and written by the sink, on either core: what was read here
		 * (the head), then the rest where it lies (a range of a file), or
		 * all of it in memory. A document with no file behind it is read
		 * from its staged copy (written first, here), else from a memfd. */
		const struct byte_range *rg = src->range;
		bool whole = !rg || (doc_type >= 0 && fd < 0);
		if (whole && rerr == 0)
			rerr = pull(w, src, &g, f->size);
		if (rerr < 0 || (whole && g.bytes != f->size) || g.bytes > f->size) {
			read_problem(f, rerr, g.bytes);
			done = g.bytes;
			doc_type = -1;
			segs_release(sk, &g);
		} else {
			done = f->size;
			if (f->kind == KIND_LINK && f->problem == PROB_NONE)
				collect_links(w, f, head, n);
			/* case.yaml at the drop's root (or its archive's): read from the bytes in hand */
			if (f->kind == KIND_CASE_YAML && f->problem == PROB_NONE) {
				if (n == f->size && f->size <= CASE_YAML_MAX_BYTES)
					evaluate_case_yaml(scan, head, n);
				else
					file_set_problem(f, PROB_LIMIT, "case.yaml is larger than %u bytes; it was ignored",
					                 (unsigned)CASE_YAML_MAX_BYTES);
			}
			stage = stage_open(w, f);
			/* A document's bytes are hashed (and staged) before it is read:
			 * a read that fails is its problem, not the extractor's. */
			bool now = doc_type >= 0;
			if (doc_type >= 0 && fd < 0)
				spool = doc_spool(w, f, stage, &g, &doc_type);
			struct sink_range rest = { rg ? rg->fd : -1, rg ? rg->off + g.bytes : 0, f->size - g.bytes,
			                           guard_fault_eio(w, head, n) };
			head = NULL;    /* the bytes go to the sink */
			if (!sink_submit(sk, f, stage, &g, rg ? &rest : NULL, !now))
				doc_type = -1;      /* reported with the other failed reads */
			stage = -1;
		}
	} else {
		/* Too large to hold: streamed through the hash and the staging copy here. */
		struct sha256_ctx *sha = sha256_new();
		if (head != buf) {          /* g's memory goes back as the stream goes on */
			buf = xrealloc(buf, n + 1);
			memcpy(buf, head, n);
			head = buf;
		}
		stage = stage_open(w, f);
		if (doc_type >= 0 && fd < 0)
			spool = doc_spool(w, f, stage, &(struct sink_segs){ 0 }, &doc_type);   /* g is written below */
		struct streamed st = { w, f, sha, stage, spool, doc_type };
		for (size_t i = 0; i < g.n; i++)
			stream_piece(&st, g.v[i].p, g.v[i].n);
		done = g.bytes;
		segs_release(sk, &g);
		while (rerr == 0) {
			ssize_t r = src_read_at(src, done, w->chunk, WALK_CHUNK_BYTES);
			if (r < 0)
				rerr = (int)r;
			if (r <= 0)
				break;
			stream_piece(&st, w->chunk, (size_t)r);
			done += (uint64_t)r;
		}
		stage = st.stage;
		spool = st.spool;
		doc_type = st.doc_type;
		if (rerr == 0 && done == f->size) {
			sha256_final(sha, f->sha256);
			f->hashed = true;
		} else {
			read_problem(f, rerr, done);
		}
		sha256_free(sha);
		if (f->kind == KIND_LINK && f->problem == PROB_NONE)
			collect_links(w, f, head, n);
		if (f->kind == KIND_CASE_YAML && f->problem == PROB_NONE)
			file_set_problem(f, PROB_LIMIT, "case.yaml is larger than %u bytes; it was ignored",
			                 (unsigned)CASE_YAML_MAX_BYTES);
	}
	scan->bytes_done += done;
	if (scan->progress)
		scan->progress(scan->progress_ud, scan->files.n, scan->bytes_done);
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
			struct byte_range rg = { fd, 0, NULL };
			struct byte_src src = { .read = fd_src_read, .ud = &fd, .range = &rg };
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
	/* the day treatments are dated against: the caller's, else today (UTC) */
	int yy, mo, dd;
	if (opts && opts->today && sscanf(opts->today, "%4d-%2d-%2d", &yy, &mo, &dd) == 3 && mo >= 1 && mo <= 12 &&
	    dd >= 1 && dd <= 31) {
		snprintf(w.today, sizeof(w.today), "%.10s", opts->today);
	} else {
		time_t t0 = time(NULL);
		struct tm tm0;
		gmtime_r(&t0, &tm0);
		strftime(w.today, sizeof(w.today), "%Y-%m-%d", &tm0);
	}
	scan->staging_fd = -1;
	scan->fetch_links = opts && opts->fetch_links;
	where.case_store = opts && opts->case_store;
	if (opts && opts->progress) {
		scan->progress = opts->progress;
		scan->progress_ud = opts->progress_userdata;
	}
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
	w.chunk = xmalloc(WALK_CHUNK_BYTES);
	w.sink = sink_new((size_t)ctx->limits.hash_pending_bytes);
	walk_thread_add(&w, sink_pause_cb, w.sink);
	guard_init(&w, opts);

	log_info(ctx, "case %s: scanning", scan->case_id);
	if (S_ISDIR(st.st_mode)) {
		walk_dir(&w, fd, "", 0, &where);
	} else
	{
		struct byte_range rg = { fd, 0, NULL };
		struct byte_src src = { .read = fd_src_read, .ud = &fd, .range = &rg };
		w.drop_is_file = true;
		scan_entry(&w, path_basename(path), (uint64_t)st.st_size, &src, fd, &where);
	}
	if (w.links.n && scan->fetch_links)
		fetch_links(&w, opts);
	docs_finish_all(&w);
	ptrvec_free(&w.links, pending_link_free);
	/* every file hashed and every staging copy written and closed */
	sink_drain(w.sink);
	if (!w.error)
		w.error = sink_error(w.sink);
	const struct sink_failure *fails;
	size_t nf = sink_failures(w.sink, &fails);
	for (size_t i = 0; i < nf; i++)
		read_problem(fails[i].f, fails[i].err, fails[i].got);
	sink_free(w.sink);
	guard_fini(&w);
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
	evaluate_run(scan, opts);
	log_info(ctx, "case %s: %zu files scanned", scan->case_id, scan->files.n);
	*out = scan;
	return 0;
}

int ing_scan_set_history(struct ing_scan *scan, const struct ing_drop_record *drops, size_t n,
                         const char *changes_json)
{
	if (changes_json) {
		struct json_object *j = json_tokener_parse(changes_json);
		bool ok = j && json_object_is_type(j, json_type_array);
		json_object_put(j);
		if (!ok)
			return -EINVAL;
	}
	for (size_t i = 0; i < scan->n_drops; i++) {
		free((char *)scan->drops[i].name);
		free((char *)scan->drops[i].received_at);
	}
	free(scan->drops);
	scan->drops = n ? xcalloc(n, sizeof(*scan->drops)) : NULL;
	for (size_t i = 0; i < n; i++)
		scan->drops[i] = (struct ing_drop_record){ xstrdup(drops[i].name ? drops[i].name : "?"),
		                                           xstrdup(drops[i].received_at ? drops[i].received_at : "") };
	scan->n_drops = n;
	free(scan->changes_json);
	scan->changes_json = changes_json ? xstrdup(changes_json) : NULL;
	return 0;
}

struct ing_scan *ing_scan_free(struct ing_scan *scan)
{
	if (!scan)
		return NULL;
	ing_scan_set_history(scan, NULL, 0, NULL);
	evaluation_free(scan);
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
