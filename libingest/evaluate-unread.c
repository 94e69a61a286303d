/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unread is never missing (SPEC §5, issue #17): the documents of a drop that
 * were not (fully) read, with why (image only and OCR failed, OCR too
 * uncertain, encrypted, damaged, too big, timed out, refused...), and, for
 * one rule, those that could hold its evidence (by the rule's kinds: a
 * document whose kind could not be told could be anything). A gap such
 * documents could answer says "not found in the readable documents; N could
 * not be read: NAME (why) — check them by eye before asking the hospital",
 * carries them (struct gap_unread) and is flagged unread_could_answer.
 */
#include "evaluate-gaps.h"

/* A kind the text did not decide: a scan or photo that could be any document. */
bool kind_undetermined(enum ing_kind k)
{
	return k == KIND_UNKNOWN || k == KIND_SCANNED || k == KIND_PHOTO;
}

/* Read by OCR below EVAL_OCR_SURE_CONFIDENCE. */
bool doc_ocr_uncertain(const struct ing_file *f)
{
	return f->doc && f->doc->ocr && !f->doc->extract_error && f->doc->ocr_confidence < EVAL_OCR_SURE_CONFIDENCE;
}

static enum unread_reason reason_of_problem(enum ing_problem p)
{
	switch (p) {
	case PROB_ENCRYPTED: return UR_ENCRYPTED;
	case PROB_LIMIT: return UR_TOO_BIG;
	case PROB_UNSAFE: return UR_REFUSED;
	case PROB_UNSUPPORTED: return UR_UNSUPPORTED;
	case PROB_DOWNLOAD: return UR_DOWNLOAD;
	default: return UR_CORRUPT;
	}
}

/* The extractor's plain words (docext.c) and its problem code, as one reason. */
static enum unread_reason reason_of_extract(const struct doc_info *d)
{
	const char *w = d->extract_error;
	if (d->extract_problem == PROB_ENCRYPTED)
		return UR_ENCRYPTED;
	if (strstr(w, "took longer") || strstr(w, "seconds of processing") || strstr(w, " s of processing"))
		return UR_TIMED_OUT;
	if (strstr(w, "not allowed"))
		return UR_REFUSED;
	if (strstr(w, "not read by OCR"))
		return UR_SKIPPED;
	if (strstr(w, "too large") || strstr(w, "MB, more than"))
		return UR_TOO_BIG;
	if (strstr(w, "OCR") && strstr(w, "not available"))
		return UR_OCR_FAILED;
	return d->extract_problem == PROB_LIMIT ? UR_TOO_BIG : UR_CORRUPT;
}

static const char *const reason_codes[] = {
	[UR_OCR_FAILED] = "ocr-failed", [UR_OCR_UNCERTAIN] = "ocr-uncertain", [UR_KIND_UNKNOWN] = "kind-unknown",
	[UR_ENCRYPTED] = "encrypted", [UR_CORRUPT] = "corrupt", [UR_TOO_BIG] = "too-big",
	[UR_TIMED_OUT] = "timed-out", [UR_REFUSED] = "refused", [UR_SKIPPED] = "skipped",
	[UR_UNSUPPORTED] = "unsupported", [UR_DOWNLOAD] = "download-failed", [UR_TEXT_NOT_KEPT] = "text-not-kept",
	[UR_OCR_NO_VALUE] = "ocr-no-value", [UR_NO_TEXT] = "no-text",
};

/* Short words for a message: "read by OCR, 61%: check by eye". */
static void reason_words(struct strbuf *b, const struct unread *u)
{
	const struct doc_info *d = u->f->doc;
	switch (u->reason) {
	case UR_OCR_FAILED:
		(void)strbuf_puts(b, d && d->ocr ? "image only, OCR found no readable text" : "image only, no text read");
		break;
	case UR_OCR_UNCERTAIN:
		(void)strbuf_printf(b, "read by OCR, %.0f%%: check by eye", d ? d->ocr_confidence : 0.0);
		break;
	case UR_KIND_UNKNOWN:
		if (d && d->ocr)
			(void)strbuf_printf(b, "read by OCR, %.0f%%, but what document it is could not be told",
			                    d->ocr_confidence);
		else
			(void)strbuf_puts(b, "read, but what document it is could not be told");
		break;
	case UR_ENCRYPTED: (void)strbuf_puts(b, "password-protected"); break;
	case UR_CORRUPT: (void)strbuf_puts(b, "damaged or not decodable"); break;
	case UR_TOO_BIG: (void)strbuf_puts(b, "too big to read"); break;
	case UR_TIMED_OUT: (void)strbuf_puts(b, "reading it took too long"); break;
	case UR_REFUSED: (void)strbuf_puts(b, "refused for safety"); break;
	case UR_SKIPPED: (void)strbuf_puts(b, "not read: too many scans in the drop"); break;
	case UR_UNSUPPORTED: (void)strbuf_puts(b, "a format that is not read"); break;
	case UR_DOWNLOAD: (void)strbuf_puts(b, "its download failed"); break;
	case UR_TEXT_NOT_KEPT: (void)strbuf_puts(b, "its text was past the case's text budget, not searched for words"); break;
	case UR_NO_TEXT: (void)strbuf_puts(b, "no text could be read from it"); break;
	case UR_OCR_NO_VALUE:
		(void)strbuf_printf(b, "its OCR text (%.0f%%) names what is asked for, but no result was read from it",
		                    d ? d->ocr_confidence : 0.0);
		break;
	}
}

/* The drop's list: each document or file once by construction (a drop may hold 100,000). */
static void push(struct unread **v, size_t *n, size_t *cap, const struct unread *u)
{
	if (*n == *cap)
		*v = xrealloc(*v, (*cap = *cap ? 2 * *cap : 16) * sizeof(**v));
	(*v)[(*n)++] = *u;
}

/* One rule's selection: the first EVAL_UNREAD_LISTED kept (each once), all counted. */
static void sel_push(struct unread_sel *sel, const struct unread *u)
{
	for (size_t i = 0; i < sel->n; i++)
		if (sel->v[i].f == u->f)
			return;
	sel->total++;
	if (sel->n == EVAL_UNREAD_LISTED)
		return;
	if (!sel->v)
		sel->v = xcalloc(EVAL_UNREAD_LISTED, sizeof(*sel->v));
	sel->v[sel->n++] = *u;
}

/* Every document and file of the drop that was not (fully) read. */
void unread_collect(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	size_t cap = 0;

	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *f = inv->documents.v[i];
		const struct doc_info *d = f->doc;
		struct unread u = { .f = f, .kind_known = !kind_undetermined(f->kind) };
		if (f->size == 0)
			continue;       /* an empty file holds nothing to read */
		if (d && d->extract_error)
			u.reason = reason_of_extract(d);
		else if (kind_undetermined(f->kind) && !doc_readable(f) && !(d && d->treatments_read))
			u.reason = d && d->ocr && d->ocr_confidence >= 1.0 && d->text_len ? UR_OCR_UNCERTAIN
			         : (!d || !d->ocr) && f->kind == KIND_UNKNOWN ? UR_NO_TEXT : UR_OCR_FAILED;
		else if (doc_ocr_uncertain(f))
			u.reason = UR_OCR_UNCERTAIN;
		else if (d && !d->text && d->treatments_read)
			u.reason = UR_TEXT_NOT_KEPT;   /* findings read; words no longer searchable */
		else
			continue;
		push(&e->unread, &e->n_unread, &cap, &u);
	}
	for (size_t i = 0; i < inv->problems.n; i++) {
		const struct ing_file *f = inv->problems.v[i];
		struct unread u = { .f = f };
		if (f->problem == PROB_NONE || f->problem == PROB_DUPLICATE || f->kind == KIND_CASE_YAML ||
		    f->kind == KIND_DICOM_DICOMDIR || kind_is_excluded(f->kind) || kind_is_document(f->kind))
			continue;
		u.reason = reason_of_problem(f->problem);
		if (kind_is_dicom(f->kind))
			u.dicom = true;
		else
			u.files = true;     /* an archive, a link, a file of unknown kind */
		push(&e->unread, &e->n_unread, &cap, &u);
	}
}

void unread_sel_add(struct unread_sel *sel, const struct ing_file *f, enum unread_reason why, bool kind_known)
{
	struct unread u = { .f = f, .reason = why, .kind_known = kind_known };
	sel_push(sel, &u);
}

void unread_sel_free(struct unread_sel *sel)
{
	free(sel->v);
	sel->v = NULL;
	sel->n = sel->total = 0;
}

/* The unread ones that could hold the evidence of a rule asking for WANT
 * (UW_*) in documents of KINDS (0: any); MODALITIES (rule_modality_bit()s,
 * 0: any) narrows the DICOM files whose header says what they are. */
void unread_select(const struct ev *e, uint32_t kinds, unsigned want, uint32_t modalities, struct unread_sel *sel)
{
	for (size_t i = 0; i < e->n_unread; i++) {
		const struct unread *u = &e->unread[i];
		const struct ing_file *f = u->f;
		if (u->dicom) {
			if (!(want & UW_IMAGES))
				continue;
			/* a damaged instance whose header was read belongs to a study the
			 * inventory describes: that study fits the rule or not */
			if (f->dcm && f->dcm->study_uid && f->dcm->study_uid[0])
				continue;
			if (modalities && f->dcm && f->dcm->modality && f->dcm->modality[0] &&
			    !(rule_modality_bit(f->dcm->modality) & modalities))
				continue;
		} else if (!u->files) {
			if (!(want & (UW_KIND | UW_WORDS | UW_FINDINGS)))
				continue;
			if (u->reason == UR_TEXT_NOT_KEPT && !(want & UW_WORDS))
				continue;
			if (kinds && u->kind_known && !(kinds & (1u << f->kind)))
				continue;
		}
		sel_push(sel, u);
	}
}

/* "N could not be read: A (why), B (why)" */
void unread_words(struct strbuf *b, const struct unread_sel *sel)
{
	(void)strbuf_printf(b, "%zu could not be read: ", sel->total);
	for (size_t i = 0; i < sel->n; i++) {
		if (i == EVAL_LIST_MAX)
			break;
		(void)strbuf_printf(b, "%s%s (", i ? ", " : "", sel->v[i].f->path);
		reason_words(b, &sel->v[i]);
		(void)strbuf_puts(b, ")");
	}
	if (sel->total > MIN(sel->n, (size_t)EVAL_LIST_MAX))
		(void)strbuf_printf(b, " and %zu more", sel->total - MIN(sel->n, (size_t)EVAL_LIST_MAX));
}

/* add_gap(), with SEL named: the message leads with where to look first
 * (after a condition's "Only ...: "), and the rule's request follows. */
struct ing_gap *add_gap_unread(struct ev *e, const char *id, enum rule_severity sev, const char *cond,
                               struct strbuf *msg, struct strbuf *evid, const struct unread_sel *sel)
{
	struct strbuf m;
	size_t plen = 0;

	if (!sel || !sel->n)
		return add_gap(e, id, sev, cond, msg, evid);
	if (cond) {
		_cleanup_free_ char *pre = xasprintf("Only %s: ", cond);
		if (msg->len >= strlen(pre) && strncmp(msg->s, pre, strlen(pre)) == 0)
			plen = strlen(pre);
	}
	strbuf_init(&m, EVAL_TEXT_MAX);
	(void)strbuf_append(&m, sb(msg), plen);
	(void)strbuf_puts(&m, "Not found in the readable documents; ");
	unread_words(&m, sel);
	(void)strbuf_printf(&m, " — check %s by eye before asking the hospital. If %s not hold it: %s",
	                    sel->total == 1 ? "it" : "them", sel->total == 1 ? "it does" : "they do", sb(msg) + plen);
	strbuf_free(msg);
	struct ing_gap *g = add_gap(e, id, sev, cond, &m, evid);
	g->unread = xcalloc(sel->n, sizeof(*g->unread));
	for (size_t i = 0; i < sel->n; i++) {
		struct strbuf w;
		strbuf_init(&w, 1024);
		reason_words(&w, &sel->v[i]);
		const struct ing_file *f = sel->v[i].f;
		const char *more = f->doc && f->doc->extract_error ? f->doc->extract_error : f->problem_msg;
		if (more && more[0])
			(void)strbuf_printf(&w, " (%s)", more);
		g->unread[i] = (struct gap_unread){ xstrdup(f->path), reason_codes[sel->v[i].reason], strbuf_steal(&w) };
		strbuf_free(&w);
	}
	g->n_unread = sel->n;
	g->unread_total = sel->total;
	g->unread_could_answer = true;
	return g;
}

void gap_unread_free(struct ing_gap *g)
{
	for (size_t i = 0; i < g->n_unread; i++) {
		free(g->unread[i].path);
		free(g->unread[i].detail);
	}
	free(g->unread);
	g->unread = NULL;
	g->n_unread = 0;
}
