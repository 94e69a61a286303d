/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Documents, scanned pages and photos (documents.h): their text extracted
 * by the confined extractor (docext.c) while the walk goes on, then the
 * text decides the kind, and the findings (language, biomarkers, labs,
 * treatments) are read from it while it is at hand.
 */
#include <stdio.h>
#include <sys/mman.h>

#include "case.h"
#include "dcm.h"
#include "docext.h"
#include "documents.h"
#include "rules.h"
#include "findings/findings.h"
#include "findings/diagnosis.h"
#include "libingest-internal.h"

#define OCR_MIN_CONFIDENCE 40.0    /* below this, OCR text is not trusted to decide a kind */

static size_t count_letters(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] > ' ')
			c++;
	return c;
}

static char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct doc_text doc_text_of(const struct doc_info *d)
{
	return (struct doc_text){
		.text = d->text, .len = d->text_len, .layout = d->layout, .layout_len = d->layout_len,
		.ocr = d->ocr, .ocr_confidence = d->ocr_confidence,
	};
}

/* Dated treatment events the text states (findings_treatments()); TODAY
 * (YYYY-MM-DD, or NULL) settles day/month order, and later dates are plans. */
void doc_read_treatments(const struct vocab *v, struct doc_info *d, const char *today)
{
	struct treatment_list tl = { 0 };
	struct doc_text dt = doc_text_of(d);
	d->treatments_read = true;
	if (!v || !d->text || !d->text_len || findings_treatments(v, &dt, today, &tl) < 0 || !tl.n) {
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

/* The diagnosis, specimen and stage lines the text states under their labels. */
static void doc_read_diagnosis(const struct vocab *v, struct doc_info *d)
{
	struct dx_list dl = { 0 };
	struct doc_text dt = doc_text_of(d);
	if (findings_diagnosis(v, &dt, &dl) == 0 && dl.n) {
		d->diagnoses = xcalloc(dl.n, sizeof(*d->diagnoses));
		for (size_t k = 0; k < dl.n; k++)
			d->diagnoses[d->n_diagnoses++] = (struct doc_diagnosis){
				.field = dx_field_name(dl.v[k].field), .text = steal_ptr(dl.v[k].text), .side = dl.v[k].side,
			};
	}
	dx_list_free(&dl);
}

/* A statement as the document keeps it: found (the patient's result), not
 * resulted (pending, not done, insufficient), or context (superseded, about a
 * relative, hypothetical, only possible): never found. A variant of uncertain
 * significance is a result of the test (the gene was tested), without a
 * positive polarity. */
static void marker_from_statement(struct doc_marker *m, const struct statement *s)
{
	const unsigned not_patient = MOD_FAMILY | MOD_HYPOTHETICAL | MOD_POSSIBLE;
	bool result = s->assertion == AS_RESULT || s->assertion == AS_EQUIVOCAL;

	*m = (struct doc_marker){
		.name = xstrdup(s->name),
		.snippet = xstrdup_or_null(s->snippet),
		.result = statement_result_text(s),
		.assertion = assertion_name(s->assertion),
		.polarity = result ? polarity_name(s->polarity) : NULL,
		.value = xstrdup_or_null(s->value),
		.variant = xstrdup_or_null(s->variant),
		.method = xstrdup_or_null(s->method),
		.classification = variant_class_name(s->vclass),
		.origin = variant_origin_name(s->origin),
		.modifiers = s->modifiers,
		.line = s->line,
		.amendment = s->amendment,
		.superseded = s->superseded,
		.ocr = s->ocr,
		.row = s->unit == UNIT_ROW,
	};
	if (s->superseded || (s->modifiers & not_patient))
		m->state = MARKER_CONTEXT;
	else if (result)
		m->state = MARKER_FOUND;
	else
		m->state = s->assertion == AS_PENDING ? MARKER_PENDING
		         : s->assertion == AS_NOT_DONE ? MARKER_NOT_DONE : MARKER_INSUFFICIENT;
}

/* What the text says: language and script, statements about markers, labs
 * with values, dated treatments, the document's date; read with the rules'
 * vocabulary, while the text is at hand (past max_case_text_bytes it is not
 * kept for later). Without a vocabulary (the rules did not load: the case
 * is held) nothing is read from it. */
static void read_findings(struct walk *w, struct doc_info *d)
{
	struct ing_ctx *ctx = w->scan->ctx;
	const struct vocab *v = w->scan->rules ? w->scan->rules->vocab : NULL;
	struct doc_text dt = doc_text_of(d);
	struct doc_language lg = { 0 };
	struct statement_list sl = { 0 };
	struct lab_list ll = { 0 };
	char day[11] = "";

	if (!v)
		return;
	if (findings_language(v, &dt, &lg) == 0) {
		d->language = xstrdup_or_null(lg.lang);
		d->script = xstrdup_or_null(lg.script);
		d->needs_translation = lg.lang && lg.confidence >= 0.5 && !ing_ctx_is_working_language(ctx, lg.lang);
	}
	if (findings_statements(v, &dt, &sl) == 0 && sl.n) {
		d->markers = xcalloc(sl.n, sizeof(*d->markers));
		for (size_t i = 0; i < sl.n; i++)
			marker_from_statement(&d->markers[d->n_markers++], &sl.v[i]);
	}
	statement_list_free(&sl);
	if (findings_labs(v, &dt, &ll) == 0 && ll.n) {
		d->labs = xcalloc(ll.n, sizeof(*d->labs));
		for (size_t i = 0; i < ll.n; i++) {
			const struct lab_value *lv = &ll.v[i];
			d->labs[d->n_labs++] = (struct doc_lab){
				.name = xstrdup(lv->name),
				.has_value = lv->value != NULL,
				.value = lv->num,
				.value_text = xstrdup_or_null(lv->value),
				.unit = xstrdup_or_null(lv->unit),
				.date = xstrdup_or_null(lv->date),
				.snippet = xstrdup_or_null(lv->snippet),
			};
			if (lv->date && lv->date_from_document && !d->doc_date)
				d->doc_date = xstrdup(lv->date);
		}
	}
	lab_list_free(&ll);
	if (!d->doc_date) {
		findings_document_date(v, &dt, day);
		if (day[0])
			d->doc_date = xstrdup(day);
	}
	doc_read_treatments(v, d, w->today);
	/* the diagnosis as stated: quoted words, not from uncertain OCR (a misread word is a wrong diagnosis) */
	if (!d->ocr || d->ocr_confidence >= OCR_MIN_CONFIDENCE)
		doc_read_diagnosis(v, d);
	/* the patient its header names (inventory.c keys it); not from uncertain
	 * OCR: a misread name would be another patient */
	if (!d->ocr || d->ocr_confidence >= OCR_MIN_CONFIDENCE) {
		struct doc_identity id;
		if (findings_identity(v, &dt, &id) == 0 && (id.name || id.number || id.birth[0])) {
			d->identity = xmalloc(sizeof(*d->identity));
			*d->identity = id;
		} else {
			free(id.name);
			free(id.number);
		}
	}
}

static void document_read(struct walk *w, struct ing_file *f, enum docext_type type);

/* A DICOM date (YYYYMMDD) as YYYY-MM-DD, NULL when it is not one. */
static char *dicom_date(const struct dcm_info *dcm)
{
	const char *s = dcm->content_date[0] ? dcm->content_date : dcm->study_date;
	if (strlen(s) != 8 || strspn(s, "0123456789") != 8)
		return NULL;
	return xasprintf("%.4s-%.2s-%.2s", s, s + 4, s + 6);
}

/* The evidence of a document read out of a DICOM object starts with where
 * it came from: the object's kind, its study and series (never the
 * patient's name or id). */
static void dicom_evidence(struct ing_file *f)
{
	const struct dcm_info *dcm = f->dcm;
	_cleanup_free_ char *day = dicom_date(dcm);
	char *ev = xasprintf("%s in the %s%sstudy%s%s (Study Instance UID %s), "
	                     "series%s%s%s (Series Instance UID %s): %s",
	                     f->doc->dicom_kind == KIND_DICOM_SR ? "DICOM SR" : "DICOM encapsulated PDF",
	                     dcm->study_description[0] ? dcm->study_description : "",
	                     dcm->study_description[0] ? " " : "", day ? " of " : "", day ? day : "",
	                     dcm->study_uid, dcm->series_description[0] ? " \"" : "", dcm->series_description,
	                     dcm->series_description[0] ? "\"" : "", dcm->series_uid,
	                     f->evidence ? f->evidence : "");
	file_set_kind(f, f->kind, ev);
}

/* The document inside a DICOM object: an Encapsulated PDF's PDF, read by
 * the same confined extractor as any PDF, within the same limits; a text
 * SR's content tree, read as text. buf[0, n) is the object's data set as
 * the header reader had it (all of it: such objects have no pixel data). */
void documents_read_dicom(struct walk *w, struct ing_file *f, const uint8_t *buf, size_t n)
{
	struct ing_ctx *ctx = w->scan->ctx;
	const struct ing_limits *lim = &ctx->limits;
	struct dcm_document dd;
	bool pdf = f->kind == KIND_DICOM_ENC_PDF;
	int r, fd;

	if ((!pdf && f->kind != KIND_DICOM_SR) || !f->dcm || f->problem != PROB_NONE)
		return;
	r = dcm_read_document(buf, n, f->size, pdf ? lim->max_doc_bytes : lim->max_text_bytes, &dd);
	if (r == -ENODATA)
		return;     /* a dose or CAD SR, another MIME type: a DICOM object, no document */
	if (r < 0) {
		struct doc_info *d = xcalloc(1, sizeof(*d));
		d->pages = -1;
		d->dicom_kind = f->kind;
		d->extract_problem = r == -E2BIG ? PROB_LIMIT : PROB_CORRUPT;
		d->extract_error = r == -E2BIG
			? xasprintf("the PDF inside is more than the %llu MB read for text; check it by eye",
			            (unsigned long long)(lim->max_doc_bytes >> 20))
			: xasprintf("the document inside could not be taken out (%s); check it by eye",
			            ing_strerror(r));
		f->doc = d;
		document_read(w, f, pdf ? DOCEXT_PDF : DOCEXT_TEXT);
		return;
	}
	if (dd.truncated)
		log_info(ctx, "case %s: an SR's text was cut at %zu bytes (%u items)", w->scan->case_id, dd.len,
		         dd.items);
	fd = memfd_create("ingest-dicom-doc", MFD_CLOEXEC);
	r = fd < 0 ? -errno : write_all(fd, dd.bytes, dd.len);
	if (r < 0) {
		struct doc_info *d = xcalloc(1, sizeof(*d));
		d->pages = -1;
		d->dicom_kind = f->kind;
		d->extract_problem = PROB_UNREADABLE;
		d->extract_error = xasprintf("the document inside could not be buffered for reading (%s); "
		                             "check it by eye", ing_strerror(r));
		f->doc = d;
		if (fd >= 0)
			close(fd);
		dcm_document_release(&dd);
		document_read(w, f, pdf ? DOCEXT_PDF : DOCEXT_TEXT);
		return;
	}
	dcm_document_release(&dd);
	documents_read(w, f, fd, pdf ? DOCEXT_PDF : DOCEXT_TEXT);
	close(fd);
}

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

void documents_finish_all(struct walk *w)
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
void documents_read(struct walk *w, struct ing_file *f, int fd, enum docext_type type)
{
	struct ing_ctx *ctx = w->scan->ctx;
	const struct ing_limits *lim = &ctx->limits;
	struct doc_info *d = xcalloc(1, sizeof(*d));
	struct docext_opts o = { .ocr_langs = NULL, .around_fork = walk_around_fork, .around_fork_ud = w };
	struct docext_job *job = NULL;
	int r;

	d->pages = -1;
	d->dicom_kind = f->dcm && kind_is_dicom(f->kind) ? f->kind : KIND_UNKNOWN;
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
		if (type == DOCEXT_IMAGE) {
			/* a photo OCR could not read is still a photo; one too large to
			 * read is also a problem, with its reason (never silence) */
			if (d->extract_problem == PROB_LIMIT)
				file_set_problem(f, PROB_LIMIT, "%s", d->extract_error);
			return;
		}
		file_set_kind(f, KIND_SCANNED, xasprintf("%s; could not be read automatically (%s): check it by eye", what,
		                                    d->extract_error));
		if (d->dicom_kind)
			/* the DICOM object itself is sound: it stays in its study and
			 * the package; its document is listed as unread */
			dicom_evidence(f);
		else
			file_set_problem(f, d->extract_problem != PROB_NONE ? d->extract_problem : PROB_CORRUPT, "%s",
			                 d->extract_error);
		return;
	}
	size_t letters = d->text ? count_letters(d->text, d->text_len) : 0;
	/* OCR'd pages of a PDF with a text layer elsewhere (a partly scanned
	 * document) do not make its text untrusted */
	bool trusted = letters >= 20 && (!d->ocr || d->text_layer || d->ocr_confidence >= OCR_MIN_CONFIDENCE);
	const struct vocab *v = w->scan->rules ? w->scan->rules->vocab : NULL;
	struct doc_text dt = doc_text_of(d);
	enum ing_kind k = trusted && v ? findings_kind(v, &dt, f->path, &ev) : KIND_UNKNOWN;

	if (k == KIND_UNKNOWN && (d->ocr || type == DOCEXT_IMAGE || (type == DOCEXT_PDF && !d->text_layer))) {
		/* a scan or photo whose text shows no known kind: check it by eye */
		enum ing_kind fallback = type == DOCEXT_IMAGE ? KIND_PHOTO : KIND_SCANNED;
		char *why = !d->ocr ? xstrdup("no text layer and no OCR text")
		          : letters < 20 ? xstrdup("OCR found no readable text")
		          : !trusted ? xasprintf("OCR text too uncertain (confidence %.0f%%)", d->ocr_confidence)
		          : xasprintf("OCR text (confidence %.0f%%) shows no known document kind", d->ocr_confidence);
		file_set_kind(f, fallback, xasprintf("%s (%s); %s: could not be read automatically; check it by eye", what,
		                                f->mime ? f->mime : "?", why));
		free(why);
		free(ev);
	} else if (k != KIND_UNKNOWN && d->ocr && d->text_layer) {
		file_set_kind(f, k, xasprintf("PDF with a text layer, its pages without text read by OCR "
		                              "(confidence %.0f%%): %s", d->ocr_confidence, ev));
		free(ev);
	} else if (k != KIND_UNKNOWN && d->ocr) {
		file_set_kind(f, k, xasprintf("OCR of a %s (confidence %.0f%%): %s", type == DOCEXT_IMAGE ? "photo" : "scan",
		                         d->ocr_confidence, ev));
		free(ev);
	} else {
		file_set_kind(f, k, ev ? ev : xstrdup("text read, but no heading or vocabulary of a known document kind matched"));
	}
	if (d->dicom_kind)
		dicom_evidence(f);
	if (d->text && d->text_len)
		read_findings(w, d);
	if (d->dicom_kind && !d->doc_date)
		d->doc_date = dicom_date(f->dcm);
	/* the layout served the findings; the rules read the reading-order text */
	free(d->layout);
	d->layout = NULL;
	d->layout_len = 0;
	/* The text stays for the rules (cancer type detection) within a budget per
	 * drop; past it, memory stays bounded by the largest document. */
	if (d->text && w->text_kept + d->text_len <= lim->max_case_text_bytes) {
		w->text_kept += d->text_len;
	} else {
		free(d->text);
		d->text = NULL;
	}
}
