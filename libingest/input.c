/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One input of a drop (input.h), whatever brought it (a folder, an archive,
 * a download): read once, front to back. The first bytes go to
 * identification and the DICOM header reader; archives are expanded and
 * their entries come back here; documents go to the extractor; every byte
 * kept is hashed, and staged in package mode, by the sink (sink.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>

#include "case.h"
#include "caseyaml.h"
#include "documents.h"
#include "evaluate.h"
#include "expand.h"
#include "guard.h"
#include "identify.h"
#include "input.h"
#include "links.h"
#include "sink.h"
#include "testhooks.h"

#define HEAD_BYTES (64u << 10)      /* first read: enough for identification and most DICOM headers */

struct dd_collect {
	struct ing_file *f;
	uint64_t max;
};

/* A UID that is absent, empty or only padding. */
static bool blank(const char *uid)
{
	if (!uid)
		return true;
	while (*uid == ' ')
		uid++;
	return *uid == 0;
}

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

/* Kind from content for what is not DICOM. Returns the extractor to run once
 * all bytes have passed (documents), or -1 when the kind is already decided. */
static int identify_nondicom(struct walk *w, struct ing_file *f, const uint8_t *head, size_t n,
                             const struct ident_where *where)
{
	enum content_class cls = identify_content(w->scan->ctx, f, head, n);

	if (where->in_viewer_dir) {
		file_set_kind(f, KIND_VIEWER, xasprintf("inside \"%s\", a folder holding viewer program files", where->viewer_dir));
		return -1;
	}
	switch (cls) {
	case CONTENT_PDF:
		return DOCEXT_PDF;
	case CONTENT_TEXT:
		return DOCEXT_TEXT;
	case CONTENT_IMAGE:
		/* the MIME type only: libmagic's text can carry EXIF camera data and dates */
		file_set_kind(f, KIND_PHOTO, xasprintf("image (%s)", f->mime));
		return DOCEXT_IMAGE;     /* OCR may show a lab sheet or a report */
	case CONTENT_ARCHIVE:
		file_set_kind(f, KIND_ARCHIVE, xasprintf("archive or disc image (%s)", f->magic));
		break;
	case CONTENT_EXECUTABLE:
		file_set_kind(f, KIND_VIEWER, xasprintf("program (%s)", f->magic));
		break;
	case CONTENT_OFFICE:
		file_set_kind(f, KIND_UNKNOWN, xasprintf("office document (%s); its text is not read by this version: check it by eye",
		                                    f->magic));
		break;
	case CONTENT_OTHER:
		file_set_kind(f, KIND_UNKNOWN, xasprintf("not a known record type (%s)", f->magic));
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
		file_set_kind(f, KIND_SCANNED, xstrdup("document not read automatically: check it by eye"));
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
	uint64_t max = scan->ctx->limits.max_total_bytes;
	if (!stage_wanted(f))
		return -1;
	/* What the package holds is bounded like what archives expand to
	 * (counted in scan mode too, so that both report the same). */
	if (w->kept_bytes + f->size > max) {
		file_set_problem(f, PROB_LIMIT, "not kept: with it the drop's files come to more than %llu bytes "
		                 "(limits.max_total_bytes). Split the drop, or raise limits.max_total_bytes",
		                 (unsigned long long)max);
		return -1;
	}
	w->kept_bytes += f->size;
	if (scan->staging_fd < 0)
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

/* Can dcm_file_meta() make file meta for d? */
static bool meta_possible(const struct dcm_info *d)
{
	uint8_t buf[DCM_FILE_META_MAX];
	size_t n;
	return dcm_file_meta(d, buf, sizeof buf, &n) == 0;
}

/* A DICOM data set without file meta is staged with it prepended (SPEC §6):
 * the meta is written to the staging file here, before the received bytes;
 * the sink hashes both the received bytes (f->sha256) and the file as
 * stored (f->prefix->sha256) as it writes them. */
static void stage_prefix(struct walk *w, struct ing_file *f, int stage)
{
	uint8_t buf[DCM_FILE_META_MAX];
	size_t n;
	int r;
	if (stage < 0 || !f->dcm || f->dcm->part10 || !kind_is_dicom(file_dicom_kind(f)) || f->kind == KIND_DICOM_DICOMDIR ||
	    dcm_file_meta(f->dcm, buf, sizeof buf, &n) < 0)
		return;
	if ((r = write_all(stage, buf, n)) < 0) {
		stage_failed(w, r);
		return;
	}
	f->prefix = xmalloc(sizeof(*f->prefix) + n);
	f->prefix->hashed = false;
	f->prefix->len = (uint32_t)n;
	memcpy(f->prefix->bytes, buf, n);
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
void input_read_problem(struct ing_file *f, int err, uint64_t got)
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
	struct sha256_ctx *stored;         /* of the file as staged, when f->prefix */
	int stage, spool, doc_type;
};

static void stream_piece(struct streamed *st, const uint8_t *p, size_t n)
{
	int we;
	sha256_update(st->sha, p, n);
	if (st->stored)
		sha256_update(st->stored, p, n);
	if (st->stage >= 0 && (we = write_all(st->stage, p, n)) < 0) {
		stage_failed(st->w, we);
		close(st->stage);
		st->stage = -1;
	}
	if (st->spool >= 0 && st->stage < 0 && st->f->staged == NULL && write_all(st->spool, p, n) < 0) {
		close(st->spool);
		st->spool = -1;
		st->doc_type = -1;
		file_set_kind(st->f, KIND_SCANNED, xstrdup("document not read automatically: check it by eye"));
		file_set_problem(st->f, PROB_UNREADABLE, "the document could not be buffered for reading");
	}
}

void scan_entry(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
                const struct ident_where *where)
{
	struct ing_scan *scan = w->scan;
	const struct ing_limits *lim = &scan->ctx->limits;
	struct sink *sk = w->sink;
	struct ing_file *f = case_add_file(scan, relpath, size);
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
			file_set_kind(f, KIND_UNKNOWN, xstrdup("not read: larger than the per-file limit"));
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
		file_set_kind(f, KIND_UNKNOWN, xstrdup("DICOM file (by its first bytes); its header was not read"));
		file_set_problem(f, PROB_CORRUPT, "the DICOM reader %s on this file in an earlier attempt; it was left "
		                 "out: ask the hospital for a new copy", skip_reason);
	} else if (f->kind == KIND_UNKNOWN && identify_dicom_candidate(head, n)) {
		struct dcm_info *d = xcalloc(1, sizeof(*d));
		/* Guarded (guard.c): a crash or a hang in the reader costs this file. */
		guard_push(w, ING_GUARD_DICOM, f->path);
		testhook_parser_fault(w->fault_hook, ING_GUARD_DICOM, head, n);
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
			else if (d->xfer_mismatch)
				/* readers that trust the file meta (DCMTK, so Orthanc and
				 * most PACS) cannot parse it; the package keeps bytes as
				 * received (SPEC §6), so it cannot be mended there */
				file_set_problem(f, PROB_CORRUPT, "the DICOM data set is not written in the encoding its file "
				                 "meta information declares: most DICOM readers and PACS refuse it, so it is left "
				                 "out of the package; ask the hospital to export it again");
			else if (f->kind != KIND_DICOM_DICOMDIR && (blank(d->study_uid) || blank(d->series_uid)))
				/* an empty UID is no study or series: it would group strangers
				 * and break the report's and the DICOMDIR's contract */
				file_set_problem(f, PROB_CORRUPT, "the DICOM file has no %s Instance UID: it cannot be placed "
				                 "in a %s; ask the hospital for a new copy",
				                 blank(d->study_uid) ? "Study" : "Series",
				                 blank(d->study_uid) ? "study" : "series");
			else if (f->kind != KIND_DICOM_DICOMDIR && !d->part10 && !meta_possible(d))
				/* SPEC §6: a data set without file meta gets it in the
				 * package, which takes its SOP Class and Instance UID */
				file_set_problem(f, PROB_CORRUPT, "the DICOM data set has no file meta information and no "
				                 "valid %s, so it cannot be made a PS3.10 file for the package's DICOMDIR; "
				                 "ask the hospital for a new copy",
				                 blank(d->sop_instance_uid) ? "SOP Instance UID"
				                 : blank(d->sop_class_uid) ? "SOP Class UID" : "UIDs");
			else if (f->kind != KIND_DICOM_DICOMDIR && (blank(d->sop_class_uid) || blank(d->sop_instance_uid)))
				file_set_problem(f, PROB_CORRUPT, "the DICOM file has no %s: a DICOMDIR cannot reference "
				                 "it; ask the hospital for a new copy",
				                 blank(d->sop_instance_uid) ? "SOP Instance UID" : "SOP Class UID");
			break;
		case DCM_NEED_MORE:
			f->dcm = d;
			is_dicom = true;
			file_set_kind(f, KIND_DICOM_IMAGE, xstrdup("DICOM; header not fully read"));
			file_set_problem(f, PROB_LIMIT, "the DICOM header is larger than the %llu-byte limit; it was not read",
			                 (unsigned long long)lim->max_dicom_header_bytes);
			break;
		case DCM_NOT_DICOM:
			free(d);
			break;
		}
		/* an Encapsulated PDF's or a text SR's document, from the data set in hand */
		if (f->kind == KIND_DICOM_ENC_PDF || f->kind == KIND_DICOM_SR) {
			guard_push(w, ING_GUARD_DICOM, f->path);
			documents_read_dicom(w, f, head, n);
			guard_pop(w);
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
			testhook_parser_fault(w->fault_hook, ING_GUARD_ARCHIVE, head, n);
			(void)expand_archive(w, f, head, n, &rest, &in, &consumed, where);
			guard_pop(w);
			/* what the archive reader left of it: read to its end, not kept */
			done = n + consumed;
			while (done < f->size) {
				ssize_t r = rest_read(&rr, w->chunk, WALK_CHUNK_BYTES);
				if (r <= 0) {
					if (r < 0)
						input_read_problem(f, (int)r, done);
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
			input_read_problem(f, rerr, g.bytes);
			done = g.bytes;
			doc_type = -1;
			segs_release(sk, &g);
		} else {
			done = f->size;
			if (f->kind == KIND_LINK && f->problem == PROB_NONE)
				links_collect(w, f, head, n);
			/* case.yaml at the drop's root (or its archive's): read from the bytes in hand */
			if (f->kind == KIND_CASE_YAML && f->problem == PROB_NONE) {
				if (n == f->size && f->size <= CASE_YAML_MAX_BYTES)
					evaluate_case_yaml(scan, head, n);
				else
					file_set_problem(f, PROB_LIMIT, "case.yaml is larger than %u bytes; it was ignored",
					                 (unsigned)CASE_YAML_MAX_BYTES);
			}
			stage = stage_open(w, f);
			stage_prefix(w, f, stage);
			/* A document's bytes are hashed (and staged) before it is read:
			 * a read that fails is its problem, not the extractor's. */
			bool now = doc_type >= 0;
			if (doc_type >= 0 && fd < 0)
				spool = doc_spool(w, f, stage, &g, &doc_type);
			struct sink_range rest = { rg ? rg->fd : -1, rg ? rg->off + g.bytes : 0, f->size - g.bytes,
			                           testhook_read_eio(w->fault_hook, head, n) };
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
		stage_prefix(w, f, stage);
		if (doc_type >= 0 && fd < 0)
			spool = doc_spool(w, f, stage, &(struct sink_segs){ 0 }, &doc_type);   /* g is written below */
		struct sha256_ctx *stored = f->prefix ? sha256_new() : NULL;
		if (stored)
			sha256_update(stored, f->prefix->bytes, f->prefix->len);
		struct streamed st = { w, f, sha, stored, stage, spool, doc_type };
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
			if (st.stored) {
				sha256_final(st.stored, f->prefix->sha256);
				f->prefix->hashed = true;
			}
		} else {
			input_read_problem(f, rerr, done);
		}
		sha256_free(sha);
		sha256_free(st.stored);
		if (f->kind == KIND_LINK && f->problem == PROB_NONE)
			links_collect(w, f, head, n);
		if (f->kind == KIND_CASE_YAML && f->problem == PROB_NONE)
			file_set_problem(f, PROB_LIMIT, "case.yaml is larger than %u bytes; it was ignored",
			                 (unsigned)CASE_YAML_MAX_BYTES);
	}
	scan->bytes_done += done;
	if (scan->progress)
		scan->progress(scan->progress_ud, scan->files.n, scan->bytes_done);
	if (doc_type >= 0 && f->problem == PROB_NONE)
		documents_read(w, f, spool >= 0 ? spool : fd, (enum docext_type)doc_type);
	if (spool >= 0)
		close(spool);
	if (stage >= 0 && close(stage) < 0)
		stage_failed(w, -errno);
}
