/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The checker: cancer type, rule evaluation, generic checks, status.
 *
 * Principles (SPEC §5): a verdict rests only on what the inventory holds; a
 * biomarker counts only when the extractor found it with its result (state
 * FOUND, with a snippet); a document that could not be read is said to be
 * unread, never missing; every gap names what was looked for and what was
 * found instead.
 *
 * "The latest imaging should be dated after the last treatment change"
 * (CHECKLISTS: Max age) is checked for imaging rules with
 * after_last_treatment, from the dated treatment events of the documents
 * (findings_treatments(), read by the scan with the other findings); a
 * rule's condition is settled from the biomarker results where its
 * `when.markers` tests say so, and stays a question otherwise.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "build-config.h"
#include "evaluate.h"
#include "findings.h"

#define LIST_MAX 8                  /* names listed in one message before "and N more" */
#define GAPS_PER_CHECK_MAX 20       /* per-series / per-study generic gaps before one summary */
#define TEXT_MAX (16u << 10)        /* bytes of one message or evidence */

struct ev {
	struct ing_scan *scan;
	const struct ruleset *rs;
	const struct rule_type *type;
	enum rule_setting setting;
	long today;                     /* days since 1970-01-01; -1: unknown (no age checks) */
	struct ptrvec unread;           /* struct ing_file*: documents that could not be read automatically */
};

/* ---- small helpers ---- */

/* A strbuf's text, "" while nothing was appended. */
static const char *sb(const struct strbuf *b)
{
	return b->s ? b->s : "";
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const long era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

/* "YYYY-MM-DD", "YYYYMMDD" (DICOM DA) or an RFC 3339 time: days, or -1. */
static long parse_day(const char *s)
{
	int y, m, d;
	char tail;

	if (!s || !*s)
		return -1;
	if (strlen(s) >= 10 && s[4] == '-' && s[7] == '-') {
		if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
			return -1;
	} else if (strlen(s) == 8 || (strlen(s) > 8 && !isdigit((unsigned char)s[8]))) {
		for (int i = 0; i < 8; i++)
			if (!isdigit((unsigned char)s[i]))
				return -1;
		if (sscanf(s, "%4d%2d%2d%c", &y, &m, &d, &tail) < 3)
			return -1;
	} else {
		return -1;
	}
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	return days_from_civil(y, (unsigned)m, (unsigned)d);
}

static void list_add(struct strbuf *b, size_t *n, const char *fmt, ...) ING_PRINTF(3, 4);
/* Appends one item of a ", "-separated list; past LIST_MAX items only counts. */
static void list_add(struct strbuf *b, size_t *n, const char *fmt, ...)
{
	char item[1024];
	va_list ap;

	if ((*n)++ >= LIST_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	(void)strbuf_printf(b, "%s%s", *n > 1 ? ", " : "", item);
}

static void list_end(struct strbuf *b, size_t n)
{
	if (n > LIST_MAX)
		(void)strbuf_printf(b, " and %zu more", n - LIST_MAX);
}

/* A short quotable form of a snippet: one line, at most 160 bytes, on a UTF-8 boundary. */
static char *short_snippet(const char *s)
{
	size_t n = 0, max = 160;
	if (!s)
		return xstrdup("");
	while (s[n] && n < max)
		n++;
	while (n > 0 && s[n] && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	_cleanup_free_ char *line = xstrndup(s, n);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return utf8_sanitize(line, strlen(line));
}

static struct ing_gap *gap_new(const char *id, enum rule_severity sev, const char *cond, struct strbuf *msg,
                               struct strbuf *evid)
{
	struct ing_gap *g = xcalloc(1, sizeof(*g));
	g->rule_id = xstrdup(id);
	g->severity = sev;
	g->condition = cond ? xstrdup(cond) : NULL;
	g->message = strbuf_steal(msg);
	g->evidence = evid && evid->len ? strbuf_steal(evid) : NULL;
	if (evid)
		strbuf_free(evid);
	return g;
}

static void gap_free(void *p)
{
	struct ing_gap *g = p;
	free(g->rule_id);
	free(g->message);
	free(g->evidence);
	free(g->condition);
	free(g);
}

static void add_gap(struct ev *e, const char *id, enum rule_severity sev, const char *cond, struct strbuf *msg,
                    struct strbuf *evid)
{
	struct ing_gap *g = gap_new(id, sev, cond, msg, evid);
	if (sev == RULE_SEV_INFO) {
		ptrvec_push(&e->scan->notes, g);
		return;
	}
	if (sev == RULE_SEV_REQUIRED)
		e->scan->required_gaps++;
	ptrvec_push(&e->scan->gaps, g);
}

static bool doc_readable(const struct ing_file *f)
{
	return f->doc && f->doc->text && f->doc->text_len > 0 && !f->doc->extract_error;
}

/* A document the extractor could not read: a scan, a photo, an office file, a failed extraction. */
static bool doc_unread(const struct ing_file *f)
{
	if (f->doc && f->doc->extract_error)
		return true;
	if (f->kind == KIND_SCANNED || f->kind == KIND_PHOTO || f->kind == KIND_UNKNOWN)
		return !doc_readable(f);
	return false;
}

static bool kind_allowed(uint32_t kinds, enum ing_kind k)
{
	return kinds == 0 || (kinds & (1u << k));
}

static void kinds_text(struct strbuf *b, uint32_t kinds)
{
	size_t n = 0;
	if (!kinds) {
		(void)strbuf_puts(b, "any document");
		return;
	}
	for (int k = 0; k < _KIND_MAX; k++)
		if (kinds & (1u << k))
			(void)strbuf_printf(b, "%s%s", n++ ? ", " : "", kind_name((enum ing_kind)k));
}

/* " Not found in the readable documents; N documents could not be read ..." */
static void unread_note(struct ev *e, struct strbuf *msg)
{
	size_t n = 0;
	if (!e->unread.n)
		return;
	(void)strbuf_printf(msg, " Not found in the readable documents; %zu document%s could not be read automatically (",
	                    e->unread.n, e->unread.n == 1 ? "" : "s");
	for (size_t i = 0; i < e->unread.n; i++)
		list_add(msg, &n, "%s", ((struct ing_file *)e->unread.v[i])->path);
	list_end(msg, n);
	(void)strbuf_printf(msg, ") — check %s by eye before asking.", e->unread.n == 1 ? "it" : "them");
}

/* "8 documents (2 lab-report, 1 pathology-report, ...); 1 not read automatically" */
static void docs_seen(struct ev *e, struct strbuf *evid)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	unsigned counts[_KIND_MAX] = { 0 };
	size_t n = 0;

	if (!docs->n) {
		(void)strbuf_puts(evid, "no documents in the drop");
		return;
	}
	for (size_t i = 0; i < docs->n; i++)
		counts[((const struct ing_file *)docs->v[i])->kind]++;
	(void)strbuf_printf(evid, "%zu document%s (", docs->n, docs->n == 1 ? "" : "s");
	for (int k = 0; k < _KIND_MAX; k++)
		if (counts[k])
			(void)strbuf_printf(evid, "%s%u %s", n++ ? ", " : "", counts[k], kind_name((enum ing_kind)k));
	(void)strbuf_puts(evid, ")");
	if (e->unread.n)
		(void)strbuf_printf(evid, "; %zu not read automatically", e->unread.n);
}

static const char *condition_of(const struct rule *r, bool conditional)
{
	return conditional && r->condition ? r->condition : NULL;
}

static void start_message(struct strbuf *msg, const struct rule *r, bool conditional)
{
	strbuf_init(msg, TEXT_MAX);
	if (conditional && r->condition)
		(void)strbuf_printf(msg, "Only %s: ", r->condition);
	(void)strbuf_puts(msg, r->message);
}

/* ---- DICOM helpers ---- */

static bool image_modality(const char *m)
{
	return m && *m && rule_modality_bit(m) != 0;
}

static bool series_is_image(const struct inv_series *se)
{
	if (!image_modality(se->modality))
		return false;
	for (size_t i = 0; i < se->files.n; i++)
		if (((struct ing_file *)se->files.v[i])->kind == KIND_DICOM_IMAGE)
			return true;
	return false;
}

static bool study_has_images(const struct inv_study *st)
{
	for (size_t j = 0; j < st->series.n; j++)
		if (series_is_image(st->series.v[j]))
			return true;
	return false;
}

static bool text_has_any(const char *text, const char *const *words)
{
	if (!text || !*text)
		return false;
	for (size_t i = 0; words[i]; i++)
		if (rule_text_matches(text, strlen(text), words[i]))
			return true;
	return false;
}

static const char *const report_words[] = {
	"report", "befund", "rapport", "compte rendu", "informe", "laudo", "reporte", "報告", "报告", NULL,
};

/* A DICOM SR or encapsulated PDF that is a report (a dose SR is not). */
static bool dicom_is_report(const struct ing_file *f)
{
	if (!f->dcm || f->problem != PROB_NONE)
		return false;
	if (f->kind == KIND_DICOM_SR)
		return strcmp(f->dcm->sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.67") != 0 &&
		       !rule_text_matches(f->dcm->series_description, strlen(f->dcm->series_description), "dose");
	if (f->kind == KIND_DICOM_ENC_PDF)
		return text_has_any(f->dcm->series_description, report_words) ||
		       text_has_any(f->dcm->study_description, report_words);
	return false;
}

/* Region names from words in descriptions (CHECKLISTS §0.4 fallback). */
static const struct {
	const char *word, *region;
} region_words[] = {
	{ "chest", "CHEST" }, { "thorax", "CHEST" }, { "thoracic", "CHEST" }, { "thorac", "CHEST" },
	{ "lung", "CHEST" }, { "lungs", "CHEST" }, { "thx", "CHEST" },
	{ "abdomen", "ABDOMEN" }, { "abdominal", "ABDOMEN" }, { "abdo", "ABDOMEN" }, { "abd", "ABDOMEN" },
	{ "pelvis", "PELVIS" }, { "pelvic", "PELVIS" }, { "becken", "PELVIS" },
	{ "TAP", "CHESTABDPELVIS" }, { "CAP", "CHESTABDPELVIS" }, { "C/A/P", "CHESTABDPELVIS" },
	{ "chest to pelvis", "CHESTABDPELVIS" }, { "skull base to mid thigh", "CHESTABDPELVIS" },
	{ "skull base to mid-thigh", "CHESTABDPELVIS" }, { "skull base to midthigh", "CHESTABDPELVIS" },
	{ "head", "HEAD" }, { "skull", "HEAD" }, { "cranial", "HEAD" }, { "brain", "BRAIN" },
	{ "cerebral", "BRAIN" }, { "neuro", "BRAIN" }, { "neck", "NECK" }, { "cervical", "NECK" },
	{ "breast", "BREAST" }, { "breasts", "BREAST" }, { "mammo", "BREAST" }, { "mammography", "BREAST" },
	{ "mammogram", "BREAST" }, { "axilla", "BREAST" },
	{ "liver", "LIVER" }, { "hepatic", "LIVER" }, { "pancreas", "PANCREAS" }, { "pancreatic", "PANCREAS" },
	{ "kidney", "KIDNEY" }, { "kidneys", "KIDNEY" }, { "renal", "KIDNEY" }, { "prostate", "PROSTATE" },
	{ "bladder", "BLADDER" }, { "spine", "SPINE" }, { "whole body", "WHOLEBODY" }, { "wholebody", "WHOLEBODY" },
	{ "WB", "WHOLEBODY" }, { "total body", "WHOLEBODY" },
};

static uint32_t text_regions(const char *s)
{
	uint32_t m = 0;
	if (!s || !*s)
		return 0;
	m |= rule_region_study_mask(s);
	for (size_t i = 0; i < ARRAY_SIZE(region_words); i++)
		if (rule_text_matches(s, strlen(s), region_words[i].word))
			m |= rule_region_study_mask(region_words[i].region);
	return m;
}

static uint32_t study_regions(const struct inv_study *st)
{
	uint32_t m = text_regions(st->body_part) | text_regions(st->description);
	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		m |= text_regions(se->description);
		if (se->modality && strcmp(se->modality, "MG") == 0)
			m |= rule_region_study_mask("BREAST");
		for (size_t k = 0; k < se->files.n && k < 1; k++)
			m |= text_regions(((struct ing_file *)se->files.v[k])->dcm->body_part);
	}
	return m;
}

static long study_day(const struct inv_study *st)
{
	return parse_day(st->date_iso[0] ? st->date_iso : st->date);
}

/* Region names for a need mask, for messages ("CHESTABDPELVIS", or "CHEST, NECK"). */
static void regions_text(struct strbuf *b, uint32_t need)
{
	static const char *const names[] = {
		"CHESTABDPELVIS", "CHESTABDOMEN", "ABDOMENPELVIS", "HEADNECK", "SPINE", "CHEST", "ABDOMEN", "PELVIS",
		"HEAD", "BRAIN", "NECK", "BREAST", "LIVER", "PANCREAS", "KIDNEY", "PROSTATE", "BLADDER", "CSPINE",
		"TSPINE", "LSPINE", "EXTREMITY", "WHOLEBODY",
	};
	uint32_t left = need;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names) && left; i++) {
		uint32_t m = rule_region_need_mask(names[i]);
		if (m && (m & left) == m) {
			(void)strbuf_printf(b, "%s%s", n++ ? " + " : "", names[i]);
			left &= ~m;
		}
	}
}

static void study_wanted(struct strbuf *b, const struct rule_study *rs, int max_age)
{
	size_t n = 0;
	if (!rs->modalities) {
		(void)strbuf_puts(b, "a study");
	} else {
		static const char *const mods[] = { "CT", "MR", "PT", "MG", "US", "NM", "CR", "DX", "SM", "PX", "XA" };
		for (size_t i = 0; i < ARRAY_SIZE(mods); i++)
			if (rs->modalities & rule_modality_bit(mods[i]))
				(void)strbuf_printf(b, "%s%s", n++ ? "/" : "", mods[i]);
	}
	if (rs->regions) {
		(void)strbuf_puts(b, " of ");
		regions_text(b, rs->regions);
	}
	if (rs->contrast == 1)
		(void)strbuf_puts(b, " with contrast");
	else if (rs->contrast == 0)
		(void)strbuf_puts(b, " without contrast");
	if (rs->multiphase)
		(void)strbuf_puts(b, " (multiphase)");
	if (rs->n_tracers)
		(void)strbuf_printf(b, " (tracer %s%s)", rs->tracers[0], rs->n_tracers > 1 ? " or similar" : "");
	if (rs->n_keywords)
		(void)strbuf_printf(b, " (\"%s\"%s)", rs->keywords[0], rs->n_keywords > 1 ? " or similar" : "");
	if (max_age > 0)
		(void)strbuf_printf(b, ", at most %d days old", max_age);
}

static void study_text(struct strbuf *b, const struct inv_study *st, long today)
{
	long d = study_day(st);
	(void)strbuf_printf(b, "%s %s \"%s\"", st->date_iso[0] ? st->date_iso : "(undated)",
	                    st->modalities[0] ? st->modalities : "?", st->description[0] ? st->description : "no description");
	if (d >= 0 && today >= 0)
		(void)strbuf_printf(b, " (%ld days old)", today - d);
}

enum study_verdict {
	SV_NO = 0,       /* modality/region/contrast/keywords do not fit */
	SV_OLD,          /* fits but older than the limit, or undated */
	SV_OK,
};

static bool series_fits(const struct inv_series *se, const struct inv_study *st, const struct rule_study *rs)
{
	if (!series_is_image(se))
		return false;
	if (rs->modalities && !(rule_modality_bit(se->modality) & rs->modalities))
		return false;
	if (rs->contrast >= 0) {
		bool any = false;
		for (size_t k = 0; k < se->files.n && !any; k++)
			any = ((struct ing_file *)se->files.v[k])->dcm->contrast_agent[0] != 0;
		if (any != (rs->contrast == 1))
			return false;
	}
	if (rs->n_tracers) {
		bool any = false;
		for (size_t i = 0; i < rs->n_tracers && !any; i++) {
			const char *w = rs->tracers[i];
			any = rule_text_matches(st->description, strlen(st->description), w) ||
			      (se->description && rule_text_matches(se->description, strlen(se->description), w));
			for (size_t k = 0; k < se->files.n && !any; k++) {
				const char *rp = ((struct ing_file *)se->files.v[k])->dcm->radiopharmaceutical;
				any = rule_text_matches(rp, strlen(rp), w);
			}
		}
		if (!any)
			return false;
	}
	return true;
}

static enum study_verdict study_fits(const struct ev *e, const struct inv_study *st, const struct rule_study *rs,
                                     int max_age)
{
	size_t fitting = 0;
	bool kw = rs->n_keywords == 0;

	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		if (!series_fits(se, st, rs))
			continue;
		fitting++;
		for (size_t i = 0; i < rs->n_keywords && !kw; i++)
			kw = se->description && rule_text_matches(se->description, strlen(se->description), rs->keywords[i]);
	}
	if (!fitting)
		return SV_NO;
	for (size_t i = 0; i < rs->n_keywords && !kw; i++)
		kw = rule_text_matches(st->description, strlen(st->description), rs->keywords[i]);
	if (!kw)
		return SV_NO;
	if (rs->multiphase && fitting < 2)
		return SV_NO;
	if (rs->regions && (study_regions(st) & rs->regions) != rs->regions)
		return SV_NO;
	if (max_age > 0 && e->today >= 0) {
		long d = study_day(st);
		if (d < 0 || e->today - d > max_age)
			return SV_OLD;
	}
	return SV_OK;
}

/* ---- rule evaluation ---- */

static void eval_document(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	struct strbuf msg, evid;
	size_t kind_hits = 0, n = 0;

	strbuf_init(&evid, TEXT_MAX);
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (r->kinds && !kind_allowed(r->kinds, f->kind))
			continue;
		if (r->n_keywords == 0) {
			strbuf_free(&evid);
			return;           /* a document of the kind is there */
		}
		if (!doc_readable(f))
			continue;
		kind_hits++;
		for (size_t k = 0; k < r->n_keywords; k++)
			if (rule_text_matches(f->doc->text, f->doc->text_len, r->keywords[k])) {
				strbuf_free(&evid);
				return;
			}
	}
	/* DICOM reports count as radiology reports. */
	if (r->n_keywords == 0 && (r->kinds & (1u << KIND_RADIOLOGY))) {
		for (size_t i = 0; i < e->scan->files.n; i++)
			if (dicom_is_report(e->scan->files.v[i])) {
				strbuf_free(&evid);
				return;
			}
	}

	start_message(&msg, r, cond);
	if (r->n_keywords) {
		(void)strbuf_puts(&evid, "looked for ");
		for (size_t k = 0; k < r->n_keywords; k++)
			list_add(&evid, &n, "\"%s\"", r->keywords[k]);
		list_end(&evid, n);
		(void)strbuf_puts(&evid, " in ");
		kinds_text(&evid, r->kinds);
		if (r->kinds && kind_hits)
			(void)strbuf_printf(&evid, "; %zu such document%s read, none has the words", kind_hits,
			                    kind_hits == 1 ? "" : "s");
		(void)strbuf_puts(&evid, "; ");
	} else {
		(void)strbuf_puts(&evid, "looked for a document of kind ");
		kinds_text(&evid, r->kinds);
		(void)strbuf_puts(&evid, "; ");
	}
	docs_seen(e, &evid);
	unread_note(e, &msg);
	add_gap(e, r->id, sev, condition_of(r, cond), &msg, &evid);
}

/* The best state a term has in the allowed documents: FOUND > INSUFFICIENT > PENDING. */
struct term_state {
	int state;                   /* -1: not seen; else enum marker_state */
	const struct ing_file *file;
	const struct doc_marker *m;
	const struct ing_file *elsewhere;   /* seen (found) in a document kind that does not count */
};

static int state_rank(int s)
{
	return s == MARKER_FOUND ? 3 : s == MARKER_INSUFFICIENT ? 2 : s == MARKER_PENDING ? 1 : 0;
}

static bool term_is(const struct rule_term *t, const char *name)
{
	return name && (strcasecmp(t->name, name) == 0 || rule_term_matches(t, name, strlen(name)));
}

static bool marker_is(const struct rule_term *t, const struct doc_marker *m)
{
	const char *name = m->name;
	if (!name)
		return false;
	if (term_is(t, name))
		return true;
	/* A qualified term ("PD-L1 TPS", "HER2 ISH") is that marker with the
	 * qualifier (or a synonym of the term) in its result or its words. */
	size_t n = strlen(name);
	if (strncasecmp(t->name, name, n) != 0 || t->name[n] != ' ')
		return false;
	return (m->result && rule_term_matches(t, m->result, strlen(m->result))) ||
	       (m->snippet && rule_term_matches(t, m->snippet, strlen(m->snippet)));
}

static struct term_state term_lookup(struct ev *e, const struct rule *r, const struct rule_term *t)
{
	struct term_state ts = { .state = -1 };
	const struct ptrvec *docs = &e->scan->inv.documents;

	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (!f->doc)
			continue;
		for (size_t j = 0; j < f->doc->n_markers; j++) {
			const struct doc_marker *m = &f->doc->markers[j];
			if (!marker_is(t, m))
				continue;
			/* found only with the words that show it */
			if (m->state == MARKER_FOUND && (!m->snippet || !m->snippet[0]))
				continue;
			if (!kind_allowed(r->kinds, f->kind)) {
				if (m->state == MARKER_FOUND && !ts.elsewhere)
					ts.elsewhere = f;
				continue;
			}
			if (state_rank((int)m->state) > state_rank(ts.state)) {
				ts.state = (int)m->state;
				ts.file = f;
				ts.m = m;
			}
		}
	}
	return ts;
}

static void eval_biomarker(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	struct term_state *ts = xcalloc(r->n_terms ? r->n_terms : 1, sizeof(*ts));
	size_t found = 0;
	bool ok;
	struct strbuf msg, evid, pre;

	for (size_t i = 0; i < r->n_terms; i++) {
		ts[i] = term_lookup(e, r, r->terms[i]);
		found += ts[i].state == MARKER_FOUND;
	}
	ok = r->match == RULE_MATCH_ANY ? found > 0 : found == r->n_terms;
	if (ok || r->n_terms == 0) {
		free(ts);
		return;
	}

	/* Pending or insufficient results lead the message: they say what to ask for. */
	strbuf_init(&pre, TEXT_MAX);
	for (size_t i = 0; i < r->n_terms; i++) {
		if (ts[i].state != MARKER_PENDING && ts[i].state != MARKER_INSUFFICIENT)
			continue;
		const char *res = ts[i].m->result && ts[i].m->result[0] && strlen(ts[i].m->result) <= 40
		                  ? ts[i].m->result : ts[i].state == MARKER_PENDING ? "pending" : "insufficient tissue";
		if (ts[i].state == MARKER_PENDING)
			(void)strbuf_printf(&pre, "%s is marked '%s' in %s; ask for the result. ", r->terms[i]->name, res,
			                    ts[i].file->path);
		else
			(void)strbuf_printf(&pre, "%s could not be tested ('%s') in %s; ask whether a new biopsy or a blood "
			                    "(ctDNA) test is possible. ", r->terms[i]->name, res, ts[i].file->path);
	}
	strbuf_init(&msg, TEXT_MAX);
	if (cond && r->condition)
		(void)strbuf_printf(&msg, "Only %s: ", r->condition);
	(void)strbuf_puts(&msg, sb(&pre));
	strbuf_free(&pre);
	(void)strbuf_puts(&msg, r->message);
	if (r->n_terms > 1) {
		size_t nf = 0, nm = 0;
		struct strbuf f, m;
		strbuf_init(&f, 4096);
		strbuf_init(&m, 4096);
		for (size_t i = 0; i < r->n_terms; i++) {
			if (ts[i].state == MARKER_FOUND)
				list_add(&f, &nf, "%s", r->terms[i]->name);
			else
				list_add(&m, &nm, "%s", r->terms[i]->name);
		}
		list_end(&f, nf);
		list_end(&m, nm);
		(void)strbuf_printf(&msg, " Not found: %s%s%s.", sb(&m), nf ? "; found: " : "", nf ? sb(&f) : "");
		strbuf_free(&f);
		strbuf_free(&m);
	}
	unread_note(e, &msg);

	strbuf_init(&evid, TEXT_MAX);
	(void)strbuf_puts(&evid, "looked for ");
	for (size_t i = 0, n = 0; i < r->n_terms; i++)
		list_add(&evid, &n, "%s", r->terms[i]->name);
	(void)strbuf_printf(&evid, " (%s) with a result in ", r->match == RULE_MATCH_ANY ? "any" : "all");
	kinds_text(&evid, r->kinds);
	for (size_t i = 0; i < r->n_terms; i++) {
		if (ts[i].state >= 0) {
			_cleanup_free_ char *sn = short_snippet(ts[i].m->snippet);
			(void)strbuf_printf(&evid, "; %s %s in %s: \"%s\"", r->terms[i]->name,
			                    ts[i].state == MARKER_FOUND ? "found" :
			                    ts[i].state == MARKER_PENDING ? "pending" : "insufficient",
			                    ts[i].file->path, sn);
		} else if (ts[i].elsewhere) {
			(void)strbuf_printf(&evid, "; %s is mentioned in %s (%s), which does not count as its source",
			                    r->terms[i]->name, ts[i].elsewhere->path, kind_name(ts[i].elsewhere->kind));
		}
	}
	(void)strbuf_puts(&evid, "; ");
	docs_seen(e, &evid);
	add_gap(e, r->id, sev, condition_of(r, cond), &msg, &evid);
	free(ts);
}

struct lab_seen {
	size_t values;               /* values of the term in allowed documents */
	long latest;                 /* latest date, -1 none */
	size_t dates;                /* distinct dates (bounded count) */
	long date_list[16];
	const struct ing_file *file; /* where the latest (or any) value is */
};

static long lab_day(const struct ing_file *f, const struct doc_lab *l)
{
	long d = parse_day(l->date);
	return d >= 0 ? d : parse_day(f->doc->doc_date);
}

static struct lab_seen lab_lookup(struct ev *e, const struct rule *r, const struct rule_term *t)
{
	struct lab_seen ls = { .latest = -1 };
	const struct ptrvec *docs = &e->scan->inv.documents;

	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (!f->doc || !kind_allowed(r->kinds, f->kind))
			continue;
		for (size_t j = 0; j < f->doc->n_labs; j++) {
			const struct doc_lab *l = &f->doc->labs[j];
			if (!term_is(t, l->name))
				continue;
			long d = lab_day(f, l);
			ls.values++;
			if (!ls.file)
				ls.file = f;
			if (d >= 0) {
				bool seen = false;
				for (size_t k = 0; k < ls.dates && k < ARRAY_SIZE(ls.date_list); k++)
					seen |= ls.date_list[k] == d;
				if (!seen && ls.dates < ARRAY_SIZE(ls.date_list))
					ls.date_list[ls.dates++] = d;
				if (d > ls.latest) {
					ls.latest = d;
					ls.file = f;
				}
			}
		}
	}
	return ls;
}

static void eval_lab(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	int max_age = rule_max_age_days(e->type, r, e->setting);
	struct lab_seen *ls = xcalloc(r->n_terms ? r->n_terms : 1, sizeof(*ls));
	struct strbuf missing, old, single;
	size_t ok = 0, nmiss = 0, nold = 0, nsingle = 0;
	bool same_date_ok = true;

	strbuf_init(&missing, 4096);
	strbuf_init(&old, 4096);
	strbuf_init(&single, 4096);
	for (size_t i = 0; i < r->n_terms; i++) {
		const char *name = r->terms[i]->name;
		ls[i] = lab_lookup(e, r, r->terms[i]);
		if (!ls[i].values) {
			list_add(&missing, &nmiss, "%s", name);
			continue;
		}
		if (max_age > 0 && e->today >= 0 && (ls[i].latest < 0 || e->today - ls[i].latest > max_age)) {
			if (ls[i].latest < 0)
				list_add(&old, &nold, "%s (undated, in %s)", name, ls[i].file->path);
			else
				list_add(&old, &nold, "%s (latest %ld days old, in %s)", name, e->today - ls[i].latest,
				         ls[i].file->path);
			continue;
		}
		if (r->series && ls[i].dates < 2) {
			list_add(&single, &nsingle, "%s", name);
			continue;
		}
		ok++;
	}
	if (r->same_date && r->n_terms > 1) {
		same_date_ok = false;
		for (size_t k = 0; k < ls[0].dates && !same_date_ok; k++) {
			bool all = true;
			for (size_t i = 1; i < r->n_terms && all; i++) {
				bool has = false;
				for (size_t j = 0; j < ls[i].dates; j++)
					has |= ls[i].date_list[j] == ls[0].date_list[k];
				all = has;
			}
			same_date_ok = all;
		}
	}
	bool satisfied = (r->match == RULE_MATCH_ANY ? ok > 0 : ok == r->n_terms) && same_date_ok;
	if (!satisfied && r->n_terms) {
		struct strbuf msg, evid;
		start_message(&msg, r, cond);
		if (nmiss) {
			list_end(&missing, nmiss);
			(void)strbuf_printf(&msg, " Not found: %s.", sb(&missing));
		}
		if (nold) {
			list_end(&old, nold);
			(void)strbuf_printf(&msg, " Too old (limit %d days): %s.", max_age, sb(&old));
		}
		if (nsingle) {
			list_end(&single, nsingle);
			(void)strbuf_printf(&msg, " Only one dated value, no trend: %s.", sb(&single));
		}
		if (!same_date_ok)
			(void)strbuf_puts(&msg, " The values are not from the same day.");
		if (nmiss)
			unread_note(e, &msg);
		strbuf_init(&evid, TEXT_MAX);
		(void)strbuf_puts(&evid, "looked for ");
		for (size_t i = 0, n = 0; i < r->n_terms; i++)
			list_add(&evid, &n, "%s", r->terms[i]->name);
		(void)strbuf_printf(&evid, " (%s)", r->match == RULE_MATCH_ANY ? "any" : "all");
		if (max_age > 0)
			(void)strbuf_printf(&evid, " within %d days", max_age);
		(void)strbuf_puts(&evid, " in ");
		kinds_text(&evid, r->kinds);
		for (size_t i = 0; i < r->n_terms; i++)
			if (ls[i].values)
				(void)strbuf_printf(&evid, "; %s: %zu value%s in %s", r->terms[i]->name, ls[i].values,
				                    ls[i].values == 1 ? "" : "s", ls[i].file->path);
		(void)strbuf_puts(&evid, "; ");
		docs_seen(e, &evid);
		add_gap(e, r->id, sev, condition_of(r, cond), &msg, &evid);
	}
	strbuf_free(&missing);
	strbuf_free(&old);
	strbuf_free(&single);
	free(ls);
}

/* ---- the latest imaging after the last treatment change ---- */

/* Documents whose treatment dates count: not radiology or lab reports (their
 * dates are those of the study or the sample, whatever treatment they name). */
static bool treatment_source(const struct ing_file *f)
{
	return f->doc && f->kind != KIND_RADIOLOGY && f->kind != KIND_LAB;
}

/* The last treatment change: the event with the latest earliest-possible day. */
static const struct doc_treatment *last_treatment(struct ev *e, const struct ing_file **file, size_t *n_events)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	const struct doc_treatment *best = NULL;
	long best_day = -1;
	*n_events = 0;
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (!treatment_source(f))
			continue;
		for (size_t j = 0; j < f->doc->n_treatments; j++) {
			const struct doc_treatment *t = &f->doc->treatments[j];
			long d = parse_day(t->date);
			if (d < 0)
				continue;
			(*n_events)++;
			if (d > best_day) {
				best_day = d;
				best = t;
				*file = f;
			}
		}
	}
	return best;
}

/* "CT/PT study", "study" */
static void study_kind_text(struct strbuf *b, const struct inv_study *st)
{
	for (const char *p = st->modalities; *p; p++)
		(void)strbuf_append(b, *p == ',' ? "/" : p, 1);
	(void)strbuf_puts(b, st->modalities[0] ? " study" : "study");
}

static void treatment_text(struct strbuf *b, const struct doc_treatment *t)
{
	if (t->precision && strcmp(t->precision, "month") == 0)
		(void)strbuf_printf(b, "%s %.7s", t->what, t->date);
	else if (t->precision && strcmp(t->precision, "day-or-month") == 0)
		(void)strbuf_printf(b, "%s %s or %s", t->what, t->date, t->latest);
	else
		(void)strbuf_printf(b, "%s %s", t->what, t->date);
}

/* The imaging of rule R is there and current; with after_last_treatment, is
 * its latest fitting study dated after the last dated treatment change? No
 * dated treatment: nothing to say. Undated studies or a treatment date that
 * is only known to the month: a note, not a gap. */
static void check_after_treatment(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond, int max_age)
{
	const struct ptrvec *studies = &e->scan->inv.studies;
	const struct ing_file *tf = NULL;
	size_t n_events;
	struct strbuf msg, evid;

	/* early disease after curative surgery: the resection pathology matters more (CHECKLISTS Max age) */
	if (!r->after_last_treatment || e->setting == RULE_SETTING_EARLY)
		return;
	const struct doc_treatment *last = last_treatment(e, &tf, &n_events);
	if (!last)
		return;
	long lo = parse_day(last->date), hi = parse_day(last->latest);
	if (hi < lo)
		hi = lo;

	/* The best option: the one whose oldest needed study is the newest. */
	long best = -2;
	const struct inv_study *limit = NULL;
	for (size_t o = 0; o < r->n_options; o++) {
		const struct rule_imaging_option *opt = &r->options[o];
		long opt_day = LONG_MAX;
		const struct inv_study *opt_limit = NULL;
		bool ok = true;
		for (size_t s = 0; s < opt->n_studies && ok; s++) {
			long latest = -2;
			const struct inv_study *latest_st = NULL;
			for (size_t i = 0; i < studies->n; i++) {
				if (study_fits(e, studies->v[i], &opt->studies[s], max_age) != SV_OK)
					continue;
				long d = study_day(studies->v[i]);
				if (d > latest || !latest_st) {
					latest = d;
					latest_st = studies->v[i];
				}
			}
			ok = latest_st != NULL;
			if (ok && latest < opt_day) {
				opt_day = latest;
				opt_limit = latest_st;
			}
		}
		if (ok && opt_limit && opt_day > best) {
			best = opt_day;
			limit = opt_limit;
		}
	}
	if (!limit)
		return;

	strbuf_init(&evid, TEXT_MAX);
	_cleanup_free_ char *sn = short_snippet(last->snippet);
	(void)strbuf_printf(&evid, "last treatment change: \"%s\" in %s (%zu dated treatment event%s in the documents); "
	                    "latest fitting study: ", sn, tf->path, n_events, n_events == 1 ? "" : "s");
	study_text(&evid, limit, e->today);
	strbuf_init(&msg, TEXT_MAX);
	if (best < 0) {
		(void)strbuf_puts(&msg, "The ");
		study_kind_text(&msg, limit);
		(void)strbuf_printf(&msg, " \"%s\" has no date, so it cannot be told whether it was done after "
		                    "the last treatment change (", limit->description[0] ? limit->description : "no description");
		treatment_text(&msg, last);
		(void)strbuf_printf(&msg, ", in %s). Check the study date by eye.", tf->path);
		add_gap(e, r->id, RULE_SEV_INFO, NULL, &msg, &evid);
		return;
	}
	if (best >= hi) {
		strbuf_free(&msg);
		strbuf_free(&evid);
		return;
	}
	if (best >= lo) {
		/* the change is known only to the month (or the day/month order is unclear) */
		(void)strbuf_puts(&msg, "The latest ");
		study_kind_text(&msg, limit);
		(void)strbuf_printf(&msg, " \"%s\" (%s) may be older than the last treatment change (",
		                    limit->description[0] ? limit->description : "no description", limit->date_iso);
		treatment_text(&msg, last);
		(void)strbuf_printf(&msg, ", in %s): the treatment date is not exact. Check the dates by eye.", tf->path);
		add_gap(e, r->id, RULE_SEV_INFO, NULL, &msg, &evid);
		return;
	}
	if (cond && r->condition)
		(void)strbuf_printf(&msg, "Only %s: ", r->condition);
	(void)strbuf_puts(&msg, "The latest ");
	study_kind_text(&msg, limit);
	(void)strbuf_printf(&msg, " \"%s\" (%s) is older than the last treatment change (",
	                    limit->description[0] ? limit->description : "no description", limit->date_iso);
	treatment_text(&msg, last);
	(void)strbuf_printf(&msg, ", in %s). Ask for imaging done after that change: ", tf->path);
	for (size_t o = 0; o < r->n_options; o++) {
		const struct rule_imaging_option *opt = &r->options[o];
		if (o)
			(void)strbuf_puts(&msg, "; or ");
		for (size_t k = 0; k < opt->n_studies; k++) {
			if (k)
				(void)strbuf_puts(&msg, " and ");
			study_wanted(&msg, &opt->studies[k], 0);
		}
	}
	(void)strbuf_puts(&msg, ".");
	add_gap(e, r->id, sev, condition_of(r, cond), &msg, &evid);
}

static void eval_imaging(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	const struct ptrvec *studies = &e->scan->inv.studies;
	int max_age = rule_max_age_days(e->type, r, e->setting);
	struct strbuf msg, evid;

	for (size_t o = 0; o < r->n_options; o++) {
		const struct rule_imaging_option *opt = &r->options[o];
		bool all = true;
		for (size_t s = 0; s < opt->n_studies && all; s++) {
			bool any = false;
			for (size_t i = 0; i < studies->n && !any; i++)
				any = study_fits(e, studies->v[i], &opt->studies[s], max_age) == SV_OK;
			all = any;
		}
		if (all) {
			check_after_treatment(e, r, sev, cond, max_age);
			return;
		}
	}

	start_message(&msg, r, cond);
	(void)strbuf_puts(&msg, " Looked for: ");
	for (size_t o = 0; o < r->n_options; o++) {
		const struct rule_imaging_option *opt = &r->options[o];
		if (o)
			(void)strbuf_puts(&msg, "; or ");
		for (size_t s = 0; s < opt->n_studies; s++) {
			if (s)
				(void)strbuf_puts(&msg, " and ");
			study_wanted(&msg, &opt->studies[s], max_age);
		}
	}
	(void)strbuf_puts(&msg, ".");
	/* What was found instead: studies that fit but are too old or undated. */
	size_t nold = 0;
	struct strbuf old;
	strbuf_init(&old, 4096);
	for (size_t i = 0; i < studies->n; i++) {
		bool is_old = false;
		for (size_t o = 0; o < r->n_options && !is_old; o++)
			for (size_t s = 0; s < r->options[o].n_studies && !is_old; s++)
				is_old = study_fits(e, studies->v[i], &r->options[o].studies[s], max_age) == SV_OLD;
		if (is_old) {
			if (nold++ < LIST_MAX) {
				(void)strbuf_puts(&old, nold > 1 ? ", " : "");
				study_text(&old, studies->v[i], e->today);
			}
		}
	}
	list_end(&old, nold);
	if (nold)
		(void)strbuf_printf(&msg, " Found only older or undated studies: %s.", sb(&old));
	else if (!studies->n)
		(void)strbuf_puts(&msg, " No DICOM imaging was found in the drop.");
	strbuf_free(&old);

	strbuf_init(&evid, TEXT_MAX);
	if (!studies->n) {
		(void)strbuf_puts(&evid, "no DICOM studies");
	} else {
		size_t n = 0;
		(void)strbuf_puts(&evid, "studies: ");
		for (size_t i = 0; i < studies->n; i++) {
			if (n++ >= LIST_MAX)
				continue;
			const struct inv_study *st = studies->v[i];
			(void)strbuf_puts(&evid, n > 1 ? "; " : "");
			study_text(&evid, st, e->today);
			if (st->body_part[0])
				(void)strbuf_printf(&evid, " body part %s", st->body_part);
		}
		list_end(&evid, n);
	}
	add_gap(e, r->id, sev, condition_of(r, cond), &msg, &evid);
}

static unsigned count_words(const char *s)
{
	unsigned n = 0;
	bool in = false;
	for (; s && *s; s++) {
		bool sp = isspace((unsigned char)*s);
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static void eval_question(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	const char *q = e->scan->case_yaml ? e->scan->case_yaml->question : NULL;
	unsigned words = count_words(q);
	const struct ptrvec *docs = &e->scan->inv.documents;
	struct strbuf msg, evid;

	if (q && words >= r->min_words)
		return;
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (f->kind == KIND_LETTER && doc_readable(f) &&
		    (memchr(f->doc->text, '?', f->doc->text_len) ||
		     rule_text_matches(f->doc->text, f->doc->text_len, "second opinion") ||
		     rule_text_matches(f->doc->text, f->doc->text_len, "question")))
			return;
	}
	start_message(&msg, r, cond);
	strbuf_init(&evid, TEXT_MAX);
	if (q) {
		_cleanup_free_ char *sn = short_snippet(q);
		(void)strbuf_printf(&msg, " The question in case.yaml has only %u word%s; write at least %u.", words,
		                    words == 1 ? "" : "s", r->min_words);
		(void)strbuf_printf(&evid, "case.yaml question: \"%s\"; ", sn);
	} else {
		(void)strbuf_printf(&evid, "%s; ", e->scan->case_yaml ? "case.yaml has no question" : "no case.yaml");
	}
	(void)strbuf_puts(&evid, "no clinical letter asking a question");
	add_gap(e, r->id, sev, condition_of(r, cond), &msg, &evid);
}

/* ---- conditions the biomarker results settle (when.markers) ---- */

/* One marker test against the found results of the pathology and molecular
 * reports. Per marker: a result matching `holds` holds, one matching `fails`
 * fails, both (discordant reports) say nothing. Any of the test's markers
 * holding makes the test hold; all of them failing makes it fail. WHY gets
 * the results that decided it. */
static enum rule_cond_state marker_test_state(struct ev *e, const struct rule_marker_test *mt, struct strbuf *why)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	const uint32_t kinds = 1u << KIND_PATHOLOGY | 1u << KIND_MOLECULAR;
	size_t n_fail = 0;
	bool holds = false;
	struct strbuf words;

	strbuf_init(&words, TEXT_MAX);
	for (size_t k = 0; k < mt->n_terms; k++) {
		bool h = false, f = false;
		size_t n = 0;
		struct strbuf mine;
		strbuf_init(&mine, TEXT_MAX);
		for (size_t i = 0; i < docs->n; i++) {
			const struct ing_file *file = docs->v[i];
			if (!file->doc || !kind_allowed(kinds, file->kind))
				continue;
			for (size_t j = 0; j < file->doc->n_markers; j++) {
				const struct doc_marker *m = &file->doc->markers[j];
				if (m->state != MARKER_FOUND || !m->snippet || !m->snippet[0] || !marker_is(mt->terms[k], m))
					continue;
				enum rule_cond_state v = rule_marker_result(mt, m->result);
				if (v == RULE_COND_UNKNOWN)
					continue;
				h |= v == RULE_COND_HOLDS;
				f |= v == RULE_COND_FAILS;
				list_add(&mine, &n, "%s \"%s\" in %s", mt->terms[k]->name, m->result, file->path);
			}
		}
		list_end(&mine, n);
		if (h != f) {
			(void)strbuf_printf(&words, "%s%s", words.len ? "; " : "", sb(&mine));
			if (h)
				holds = true;
			else
				n_fail++;
		}
		strbuf_free(&mine);
	}
	enum rule_cond_state st = holds ? RULE_COND_HOLDS : n_fail == mt->n_terms ? RULE_COND_FAILS : RULE_COND_UNKNOWN;
	if (st != RULE_COND_UNKNOWN)
		(void)strbuf_printf(why, "%s%s", why->len ? "; " : "", sb(&words));
	strbuf_free(&words);
	return st;
}

/* All tests hold: the condition holds; one fails: it fails; else unknown. */
static enum rule_cond_state condition_state(struct ev *e, const struct rule *r, struct strbuf *why)
{
	bool all = true;
	if (!r->condition || !r->n_cond_markers)
		return RULE_COND_UNKNOWN;
	for (size_t i = 0; i < r->n_cond_markers; i++) {
		struct strbuf one;
		strbuf_init(&one, TEXT_MAX);
		enum rule_cond_state st = marker_test_state(e, &r->cond_markers[i], &one);
		if (st == RULE_COND_FAILS) {
			strbuf_free(why);
			strbuf_init(why, TEXT_MAX);
			(void)strbuf_puts(why, sb(&one));
			strbuf_free(&one);
			return RULE_COND_FAILS;
		}
		if (st == RULE_COND_HOLDS)
			(void)strbuf_printf(why, "%s%s", why->len ? "; " : "", sb(&one));
		all &= st == RULE_COND_HOLDS;
		strbuf_free(&one);
	}
	return all ? RULE_COND_HOLDS : RULE_COND_UNKNOWN;
}

static void eval_rules(struct ev *e)
{
	const struct rule_type *t = e->type;
	for (size_t i = 0; i < t->n_rules; i++) {
		const struct rule *r = t->rules[i];
		bool cond = false;
		struct strbuf why;
		strbuf_init(&why, TEXT_MAX);
		enum rule_cond_state cs = condition_state(e, r, &why);
		enum rule_severity sev = rule_effective_severity_settled(t, r, e->setting, cs, &cond);
		if (sev == RULE_SEV_NONE) {
			enum rule_severity open = rule_effective_severity(t, r, e->setting, NULL);
			if (cs == RULE_COND_FAILS && open != RULE_SEV_NONE && open != RULE_SEV_INFO) {
				/* it would have been asked about: say why it is not */
				struct strbuf msg, evid;
				strbuf_init(&msg, TEXT_MAX);
				strbuf_init(&evid, TEXT_MAX);
				(void)strbuf_printf(&msg, "Not needed: the rule applies only %s, and the results say otherwise (%s).",
				                    r->condition, sb(&why));
				(void)strbuf_printf(&evid, "condition \"%s\" settled by: %s", r->condition, sb(&why));
				add_gap(e, r->id, RULE_SEV_INFO, NULL, &msg, &evid);
			}
			strbuf_free(&why);
			continue;
		}
		size_t before = e->scan->gaps.n;
		switch (r->req) {
		case RULE_REQ_DOCUMENT: eval_document(e, r, sev, cond); break;
		case RULE_REQ_BIOMARKER: eval_biomarker(e, r, sev, cond); break;
		case RULE_REQ_IMAGING: eval_imaging(e, r, sev, cond); break;
		case RULE_REQ_LAB: eval_lab(e, r, sev, cond); break;
		case RULE_REQ_QUESTION: eval_question(e, r, sev, cond); break;
		}
		/* a gap whose condition the results settled says which results did */
		if (cs == RULE_COND_HOLDS)
			for (size_t g = before; g < e->scan->gaps.n; g++) {
				struct ing_gap *gap = e->scan->gaps.v[g];
				char *ev = xasprintf("%s%scondition \"%s\" holds: %s", gap->evidence ? gap->evidence : "",
				                     gap->evidence ? "; " : "", r->condition, sb(&why));
				free(gap->evidence);
				gap->evidence = ev;
			}
		strbuf_free(&why);
	}
}

/* ---- generic checks (SPEC §5), rule ids generic.* ---- */

static void simple_gap(struct ev *e, const char *id, enum rule_severity sev, const char *message, struct strbuf *evid)
{
	struct strbuf msg;
	strbuf_init(&msg, TEXT_MAX);
	(void)strbuf_puts(&msg, message);
	/* A type that never holds the case (acute leukaemia) is not held by these either. */
	if (sev == RULE_SEV_REQUIRED && e->type && !e->type->blocking)
		sev = RULE_SEV_RECOMMENDED;
	add_gap(e, id, sev, NULL, &msg, evid);
}

/* One identity per file for grouping (never printed): upper-case name words + birth date, else the id. */
static char *identity_of(const struct dcm_info *d)
{
	struct strbuf b;
	bool space = false;
	strbuf_init(&b, 1024);
	for (const char *p = d->patient_name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '^' || c == ' ' || c == ',' || c == '=') {
			space = b.len > 0;
			continue;
		}
		if (space)
			(void)strbuf_append(&b, " ", 1);
		space = false;
		char u = (char)toupper(c);
		(void)strbuf_append(&b, &u, 1);
	}
	if (b.len)
		(void)strbuf_printf(&b, "|%s", d->patient_birth_date);
	else if (d->patient_id[0])
		(void)strbuf_printf(&b, "id:%s", d->patient_id);
	return strbuf_steal(&b);
}

static void check_patients(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	struct ptrvec ids = { 0 };
	struct strbuf evid, msg;

	if (inv->patients.n <= 1)
		return;
	strbuf_init(&evid, TEXT_MAX);
	/* Which studies belong to which (unnamed) person. */
	for (size_t i = 0; i < inv->studies.n; i++) {
		const struct inv_study *st = inv->studies.v[i];
		const struct inv_series *se = st->series.n ? st->series.v[0] : NULL;
		const struct ing_file *f = se && se->files.n ? se->files.v[0] : NULL;
		if (!f)
			continue;
		char *id = identity_of(f->dcm);
		size_t who = ids.n;
		for (size_t k = 0; k < ids.n; k++)
			if (strcmp(ids.v[k], id) == 0)
				who = k;
		if (who == ids.n)
			ptrvec_push(&ids, id);
		else
			free(id);
		if (i < 2 * LIST_MAX) {
			(void)strbuf_printf(&evid, "%sperson %zu: study ", i ? "; " : "", who + 1);
			study_text(&evid, st, -1);
			(void)strbuf_printf(&evid, " (%s)", f->path);
		}
	}
	ptrvec_free(&ids, free);
	strbuf_init(&msg, TEXT_MAX);
	(void)strbuf_printf(&msg, "The images belong to %zu different patients (by name and birth date in the DICOM "
	                    "headers). Remove every record that is not this patient's before the case is sent, "
	                    "or confirm with the hospital that they are the same person.", inv->patients.n);
	simple_gap(e, "generic.multiple-patients", RULE_SEV_REQUIRED, sb(&msg), &evid);
	strbuf_free(&msg);
}

static void check_series(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	size_t count = 0, more = 0;
	for (size_t i = 0; i < inv->studies.n; i++) {
		const struct inv_study *st = inv->studies.v[i];
		for (size_t j = 0; j < st->series.n; j++) {
			const struct inv_series *se = st->series.v[j];
			if (!se->n_missing && !se->n_gaps)
				continue;
			if (count++ >= GAPS_PER_CHECK_MAX) {
				more++;
				continue;
			}
			struct strbuf msg, evid;
			const struct ing_file *f = se->files.n ? se->files.v[0] : NULL;
			strbuf_init(&msg, TEXT_MAX);
			strbuf_init(&evid, TEXT_MAX);
			(void)strbuf_printf(&msg, "Series \"%s\" (%s) of the study of %s \"%s\" is incomplete:",
			                    se->description && se->description[0] ? se->description : "no description",
			                    se->modality ? se->modality : "?", st->date_iso[0] ? st->date_iso : "unknown date",
			                    st->description[0] ? st->description : "no description");
			if (se->n_missing) {
				size_t n = 0;
				(void)strbuf_puts(&msg, se->n_missing == 1 && !se->missing_truncated ? " image number " : " image numbers ");
				for (size_t k = 0; k < se->n_missing; k++)
					list_add(&msg, &n, "%d", se->missing[k]);
				list_end(&msg, n);
				(void)strbuf_puts(&msg, se->n_missing == 1 && !se->missing_truncated ? " is missing" : " are missing");
			}
			if (se->n_gaps) {
				int slices = 0;
				for (size_t k = 0; k < se->n_gaps; k++)
					slices += se->gaps[k].missing;
				(void)strbuf_printf(&msg, "%s%d slice%s missing in the stack", se->n_missing ? "; " : " ", slices,
				                    slices == 1 ? " is" : "s are");
			}
			(void)strbuf_puts(&msg, ". Ask the hospital for a new complete copy of this series.");
			(void)strbuf_printf(&evid, "series %s, %zu instances%s%s", se->series_uid, se->files.n,
			                    f ? ", e.g. " : "", f ? f->path : "");
			for (size_t k = 0; k < se->n_gaps && k < 4; k++)
				(void)strbuf_printf(&evid, "; gap of %.1f mm between instances %d and %d (spacing %.1f mm)",
				                    se->gaps[k].gap_mm, se->gaps[k].after_instance, se->gaps[k].before_instance,
				                    se->gaps[k].spacing_mm);
			simple_gap(e, "generic.missing-instances", RULE_SEV_WARNING, sb(&msg), &evid);
			strbuf_free(&msg);
		}
	}
	if (more) {
		struct strbuf msg;
		strbuf_init(&msg, 256);
		(void)strbuf_printf(&msg, "%zu more series have missing images (see the inventory). Ask the hospital "
		                    "for complete copies.", more);
		simple_gap(e, "generic.missing-instances", RULE_SEV_WARNING, sb(&msg), NULL);
		strbuf_free(&msg);
	}
}

static void check_files(struct ev *e)
{
	struct ing_scan *scan = e->scan;
	struct strbuf bad, dup, ebad, edup;
	size_t nbad = 0, ndup = 0, eb = 0, ed = 0;

	strbuf_init(&bad, TEXT_MAX);
	strbuf_init(&dup, TEXT_MAX);
	strbuf_init(&ebad, TEXT_MAX);
	strbuf_init(&edup, TEXT_MAX);
	for (size_t i = 0; i < scan->inv.problems.n; i++) {
		const struct ing_file *f = scan->inv.problems.v[i];
		if (f->kind == KIND_CASE_YAML)
			continue;
		switch (f->problem) {
		case PROB_TRUNCATED:
		case PROB_CORRUPT:
		case PROB_UNREADABLE:
		case PROB_ENCRYPTED:
			list_add(&bad, &nbad, "%s (%s)", f->path, problem_name(f->problem));
			if (eb++ < LIST_MAX)
				(void)strbuf_printf(&ebad, "%s%s: %s", eb > 1 ? "; " : "", f->path, f->problem_msg ? f->problem_msg : "");
			break;
		case PROB_DUPLICATE:
			list_add(&dup, &ndup, "%s", f->path);
			if (ed++ < LIST_MAX)
				(void)strbuf_printf(&edup, "%s%s: %s", ed > 1 ? "; " : "", f->path, f->problem_msg ? f->problem_msg : "");
			break;
		default:
			break;
		}
	}
	if (nbad) {
		struct strbuf msg;
		list_end(&bad, nbad);
		strbuf_init(&msg, TEXT_MAX);
		(void)strbuf_printf(&msg, "%zu file%s could not be used because %s damaged, cut short, locked or unreadable: "
		                    "%s. Ask for new copies of these files.", nbad, nbad == 1 ? "" : "s",
		                    nbad == 1 ? "it is" : "they are", sb(&bad));
		simple_gap(e, "generic.corrupt-files", RULE_SEV_WARNING, sb(&msg), &ebad);
		strbuf_free(&msg);
	} else {
		strbuf_free(&ebad);
	}
	if (ndup) {
		struct strbuf msg;
		list_end(&dup, ndup);
		strbuf_init(&msg, TEXT_MAX);
		(void)strbuf_printf(&msg, "%zu image%s the same DICOM instance as another file but with different "
		                    "content: %s. Ask the hospital which copy is right.", ndup,
		                    ndup == 1 ? " has" : "s have", sb(&dup));
		simple_gap(e, "generic.conflicting-duplicates", RULE_SEV_WARNING, sb(&msg), &edup);
		strbuf_free(&msg);
	} else {
		strbuf_free(&edup);
	}
	strbuf_free(&bad);
	strbuf_free(&dup);
}

/* DICOMDIR references against the files on the disc (inventory.c's cross-check). */
static void check_dicomdir(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	for (size_t i = 0; i < inv->dicomdirs.n; i++) {
		const struct inv_dicomdir *dd = inv->dicomdirs.v[i];
		struct strbuf msg, evid;
		size_t n = 0;
		if (!dd->missing.n && !dd->unreferenced.n)
			continue;
		strbuf_init(&msg, TEXT_MAX);
		strbuf_init(&evid, TEXT_MAX);
		(void)strbuf_printf(&msg, "The disc index %s", dd->file->path);
		if (dd->missing.n)
			(void)strbuf_printf(&msg, " lists %zu file%s that %s not on the disc", dd->missing.n,
			                    dd->missing.n == 1 ? "" : "s", dd->missing.n == 1 ? "is" : "are");
		if (dd->unreferenced.n)
			(void)strbuf_printf(&msg, "%s does not list %zu DICOM file%s beside it", dd->missing.n ? " and" : "",
			                    dd->unreferenced.n, dd->unreferenced.n == 1 ? "" : "s");
		(void)strbuf_puts(&msg, ": the copy of the disc may be incomplete. Ask the hospital for a complete new copy "
		                  "of the disc.");
		for (size_t k = 0; k < dd->missing.n; k++)
			list_add(&evid, &n, "missing %s", (const char *)dd->missing.v[k]);
		for (size_t k = 0; k < dd->unreferenced.n; k++)
			list_add(&evid, &n, "not listed %s", ((const struct ing_file *)dd->unreferenced.v[k])->path);
		list_end(&evid, n);
		simple_gap(e, "generic.dicomdir", RULE_SEV_WARNING, sb(&msg), &evid);
		strbuf_free(&msg);
	}
}

static void check_case_yaml(struct ev *e)
{
	if (!e->scan->case_yaml_errors)
		return;
	struct strbuf evid;
	strbuf_init(&evid, TEXT_MAX);
	(void)strbuf_puts(&evid, e->scan->case_yaml_errors);
	while (evid.len && evid.s[evid.len - 1] == '\n')
		evid.s[--evid.len] = 0;
	for (char *p = evid.s; p && *p; p++)
		if (*p == '\n')
			*p = ';';
	simple_gap(e, "generic.case-yaml", RULE_SEV_WARNING,
	           "case.yaml has mistakes (see the evidence); the parts with mistakes were ignored. Correct case.yaml "
	           "and drop it again.", &evid);
}

static void check_degraded(struct ev *e)
{
	const struct ing_scan *scan = e->scan;
	struct strbuf list, msg;
	size_t n = 0;

	for (size_t i = 0; i < scan->inv.studies.n; i++)
		if (study_has_images(scan->inv.studies.v[i]))
			return;
	strbuf_init(&list, TEXT_MAX);
	for (size_t i = 0; i < scan->files.n; i++) {
		const struct ing_file *f = scan->files.v[i];
		if (f->kind == KIND_DICOM_SC || (f->kind == KIND_PHOTO && !doc_readable(f)) ||
		    (f->kind == KIND_DICOM_IMAGE && f->problem == PROB_NONE))
			list_add(&list, &n, "%s (%s)", f->path, kind_name(f->kind));
	}
	list_end(&list, n);
	if (!n) {
		strbuf_free(&list);
		return;
	}
	strbuf_init(&msg, TEXT_MAX);
	(void)strbuf_puts(&msg, "Only screenshots, photos or JPEG/secondary-capture copies of images were found, no "
	                  "diagnostic DICOM images. Ask the hospital for the original scans as DICOM (a disc or a "
	                  "DICOM download).");
	simple_gap(e, "generic.degraded-imaging", RULE_SEV_WARNING, sb(&msg), &list);
	strbuf_free(&msg);
}

/* Radiology reports and image studies should come in pairs. */
static void check_reports(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	size_t n_img = 0, count = 0;
	bool undated_report = false;

	for (size_t i = 0; i < inv->studies.n; i++)
		n_img += study_has_images(inv->studies.v[i]);
	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *f = inv->documents.v[i];
		if (f->kind == KIND_RADIOLOGY && (!f->doc || parse_day(f->doc->doc_date) < 0))
			undated_report = true;
	}

	/* A report without any images. */
	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *f = inv->documents.v[i];
		long d = f->doc ? parse_day(f->doc->doc_date) : -1;
		bool paired = false;
		if (f->kind != KIND_RADIOLOGY)
			continue;
		if (d < 0) {
			paired = n_img > 0;    /* undated: any study may be its study */
		} else {
			for (size_t j = 0; j < inv->studies.n && !paired; j++) {
				const struct inv_study *st = inv->studies.v[j];
				long sd = study_day(st);
				paired = study_has_images(st) && (sd < 0 || (d >= sd - 3 && d <= sd + 30));
			}
		}
		if (paired)
			continue;
		struct strbuf msg, evid;
		strbuf_init(&msg, TEXT_MAX);
		strbuf_init(&evid, TEXT_MAX);
		(void)strbuf_printf(&msg, "The radiology report %s has no matching images in the drop%s. A report alone is "
		                    "not imaging: ask the hospital for the scan itself as DICOM.", f->path,
		                    d >= 0 ? " (no study dated near it)" : "");
		(void)strbuf_printf(&evid, "report %s dated %s; %zu image studies", f->path,
		                    f->doc && f->doc->doc_date ? f->doc->doc_date : "(no date)", n_img);
		simple_gap(e, "generic.report-without-images", RULE_SEV_RECOMMENDED, sb(&msg), &evid);
		strbuf_free(&msg);
	}

	/* Images without a report. */
	for (size_t j = 0; j < inv->studies.n; j++) {
		const struct inv_study *st = inv->studies.v[j];
		long sd = study_day(st);
		bool reported = false;
		if (!study_has_images(st))
			continue;
		for (size_t k = 0; k < st->series.n && !reported; k++) {
			const struct inv_series *se = st->series.v[k];
			for (size_t m = 0; m < se->files.n && !reported; m++)
				reported = dicom_is_report(se->files.v[m]);
		}
		if (undated_report)
			reported = true;   /* cannot tell which study it reports: do not claim a gap */
		for (size_t i = 0; i < inv->documents.n && !reported; i++) {
			const struct ing_file *f = inv->documents.v[i];
			long d = f->doc ? parse_day(f->doc->doc_date) : -1;
			reported = f->kind == KIND_RADIOLOGY && (sd < 0 || (d >= sd - 3 && d <= sd + 30));
		}
		if (reported)
			continue;
		if (count++ >= GAPS_PER_CHECK_MAX)
			continue;
		struct strbuf msg, evid;
		strbuf_init(&msg, TEXT_MAX);
		strbuf_init(&evid, TEXT_MAX);
		(void)strbuf_puts(&msg, "No radiology report found for the study ");
		study_text(&msg, st, -1);
		(void)strbuf_puts(&msg, ". Ask the hospital for its written report.");
		(void)strbuf_printf(&evid, "study %s; no report in the study (SR/PDF) and no radiology report dated "
		                    "within 3 days before to 30 days after it", st->study_uid);
		simple_gap(e, "generic.images-without-report", RULE_SEV_RECOMMENDED, sb(&msg), &evid);
		strbuf_free(&msg);
	}
}

static void check_translation(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	struct strbuf list, msg;
	size_t n = 0;

	strbuf_init(&list, TEXT_MAX);
	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *f = inv->documents.v[i];
		if (f->doc && f->doc->needs_translation)
			list_add(&list, &n, "%s (%s)", f->path, f->doc->language ? f->doc->language : "language unknown");
	}
	list_end(&list, n);
	if (!n) {
		strbuf_free(&list);
		return;
	}
	strbuf_init(&msg, TEXT_MAX);
	(void)strbuf_printf(&msg, "%zu document%s need%s translation before the specialists can read %s: %s. Arrange "
	                    "a certified medical translation.", n, n == 1 ? "" : "s", n == 1 ? "s" : "",
	                    n == 1 ? "it" : "them", sb(&list));
	simple_gap(e, "generic.translation", RULE_SEV_RECOMMENDED, sb(&msg), &list);
	strbuf_free(&msg);
}

static void check_urgent(struct ev *e)
{
	const struct rule_type *t = e->type;
	const struct ptrvec *docs = &e->scan->inv.documents;
	if (!t || !t->n_urgent_terms)
		return;
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (!doc_readable(f))
			continue;
		for (size_t k = 0; k < t->n_urgent_terms; k++) {
			if (!rule_text_matches(f->doc->text, f->doc->text_len, t->urgent_terms[k]))
				continue;
			struct strbuf msg, evid;
			strbuf_init(&msg, TEXT_MAX);
			strbuf_init(&evid, TEXT_MAX);
			(void)strbuf_printf(&msg, "URGENT: \"%s\" is mentioned; send the case at once, whatever is missing.",
			                    t->urgent_terms[k]);
			(void)strbuf_printf(&evid, "\"%s\" in %s", t->urgent_terms[k], f->path);
			add_gap(e, "generic.urgent", RULE_SEV_INFO, NULL, &msg, &evid);
			return;
		}
	}
}

/* ---- cancer type ---- */

struct type_score {
	const struct rule_type *t;
	long score;                  /* weighted; doubled so that halves stay integers */
	struct strbuf evid;
	size_t n_evid;
};

static long kind_weight(enum ing_kind k)
{
	return k == KIND_PATHOLOGY ? 6 : k == KIND_MOLECULAR ? 4 : 2;
}

/* ICD-10 codes in TEXT that fall under T (C50, C50.9, C509). */
static bool text_has_icd(const struct rule_type *t, const char *text, size_t len, char *code_out, size_t code_max)
{
	for (size_t i = 0; i + 3 <= len; i++) {
		if (!isupper((unsigned char)text[i]) || !isdigit((unsigned char)text[i + 1]) ||
		    !isdigit((unsigned char)text[i + 2]))
			continue;
		if (i > 0 && isalnum((unsigned char)text[i - 1]))
			continue;
		char code[8];
		size_t n = 0;
		while (i + n < len && n < sizeof(code) - 1 &&
		       (isalnum((unsigned char)text[i + n]) || (n == 3 && text[i + n] == '.')))
			n++;
		if (n > 6 || (i + n < len && isalnum((unsigned char)text[i + n])))
			continue;
		memcpy(code, text + i, n);
		code[n] = 0;
		if (rule_type_matches_icd10(t, code)) {
			snprintf(code_out, code_max, "%s", code);
			return true;
		}
	}
	return false;
}

static bool kw_sep(unsigned char c)
{
	return c == ' ' || c == '-' || c == '_' || c == '\n' || c == '\t';
}

/*
 * A detect keyword in TEXT, stricter than rule_text_matches(): a short
 * keyword in capitals ("ALL", "CUP", "NST") must appear in capitals (not the
 * word "all"), and a hit right after "non-" does not count ("small cell" in
 * "non-small cell").
 */
static bool kw_hit(const char *text, size_t len, const char *kw)
{
	size_t kl = strlen(kw);
	bool caps = kl > 0 && kl <= 5;

	for (size_t j = 0; j < kl; j++)
		if (islower((unsigned char)kw[j]))
			caps = false;
	if (!kl || !rule_text_matches(text, len, kw))
		return false;
	for (size_t i = 0; i + kl <= len; i++) {
		size_t j;
		if (i > 0 && isalnum((unsigned char)text[i - 1]))
			continue;
		for (j = 0; j < kl; j++) {
			unsigned char a = (unsigned char)text[i + j], c = (unsigned char)kw[j];
			if (kw_sep(a) && kw_sep(c))
				continue;
			if (caps ? a != c : tolower(a) != tolower(c))
				break;
		}
		if (j < kl || (i + kl < len && isalnum((unsigned char)text[i + kl])))
			continue;
		if (i >= 4 && kw_sep((unsigned char)text[i - 1]) && strncasecmp(text + i - 4, "non", 3) == 0)
			continue;
		return true;
	}
	return false;
}

static void score_text(struct type_score *sc, const char *text, size_t len, long weight, const char *where,
                       bool icd_anywhere)
{
	const struct rule_type *t = sc->t;
	struct strbuf words;
	size_t nw = 0;
	long s = 0;
	char code[16] = "";
	bool icd = text_has_icd(t, text, len, code, sizeof(code));

	strbuf_init(&words, 2048);
	if (icd) {
		s += 2 * weight;
		list_add(&words, &nw, "%s", code);
	}
	for (size_t k = 0; k < t->n_keywords; k++) {
		if (!kw_hit(text, len, t->keywords[k]))
			continue;
		/* A code-dependent type (C34: nsclc or sclc): words alone count half. */
		s += t->icd10_needs_keyword && !icd_anywhere ? weight / 2 : weight;
		list_add(&words, &nw, "\"%s\"", t->keywords[k]);
	}
	if (t->icd10_needs_keyword && icd && nw == 1)
		s -= 2 * weight;     /* the code alone does not decide */
	if (s > 0) {
		sc->score += s;
		if (sc->n_evid++ < 4)
			(void)strbuf_printf(&sc->evid, "%s%s in %s", sc->n_evid > 1 ? "; " : "", sb(&words), where);
	}
	strbuf_free(&words);
}

static const struct rule_type *infer_type(struct ev *e, char **evidence)
{
	const struct ruleset *rs = e->rs;
	const struct ing_scan *scan = e->scan;
	size_t nt = ruleset_n_cancer_types(rs);
	struct type_score *sc = xcalloc(nt ? nt : 1, sizeof(*sc));
	const struct rule_type *best = NULL;
	long top = 0, second = 0;
	size_t ibest = 0;

	for (size_t i = 0; i < nt; i++) {
		sc[i].t = ruleset_cancer_type(rs, i);
		strbuf_init(&sc[i].evid, 4096);
		if (!sc[i].t->n_keywords && !sc[i].t->n_icd10)
			continue;
		bool icd_anywhere = false;
		char code[16];
		for (size_t d = 0; d < scan->inv.documents.n && !icd_anywhere; d++) {
			const struct ing_file *f = scan->inv.documents.v[d];
			icd_anywhere = doc_readable(f) && text_has_icd(sc[i].t, f->doc->text, f->doc->text_len, code, sizeof(code));
		}
		for (size_t d = 0; d < scan->inv.documents.n; d++) {
			const struct ing_file *f = scan->inv.documents.v[d];
			if (doc_readable(f)) {
				_cleanup_free_ char *where = xasprintf("%s (%s)", f->path, kind_name(f->kind));
				score_text(&sc[i], f->doc->text, f->doc->text_len, kind_weight(f->kind), where, icd_anywhere);
			}
		}
		for (size_t s = 0; s < scan->inv.studies.n; s++) {
			const struct inv_study *st = scan->inv.studies.v[s];
			if (st->description[0]) {
				_cleanup_free_ char *where = xasprintf("the description of the %s study of %s",
				                                       st->modalities[0] ? st->modalities : "imaging",
				                                       st->date_iso[0] ? st->date_iso : "unknown date");
				score_text(&sc[i], st->description, strlen(st->description), 1, where, icd_anywhere);
			}
		}
	}
	for (size_t i = 0; i < nt; i++) {
		if (sc[i].score > top) {
			second = top;
			top = sc[i].score;
			ibest = i;
		} else if (sc[i].score > second) {
			second = sc[i].score;
		}
	}
	/* A clear winner: at least half again as much evidence as the runner-up. */
	if (top > 0 && top * 2 >= second * 3 && top != second) {
		best = sc[ibest].t;
		*evidence = xasprintf("%s", sb(&sc[ibest].evid));
	} else if (top > 0) {
		struct strbuf b;
		size_t n = 0;
		strbuf_init(&b, 4096);
		(void)strbuf_puts(&b, "the records point to more than one type (");
		for (size_t i = 0; i < nt; i++)
			if (sc[i].score > 0 && sc[i].score * 3 >= top * 2)
				list_add(&b, &n, "%s: %s", sc[i].t->id, sb(&sc[i].evid));
		list_end(&b, n);
		(void)strbuf_puts(&b, "); set cancer_type in case.yaml");
		*evidence = strbuf_steal(&b);
	} else {
		*evidence = xstrdup("no cancer type could be read from the records; set cancer_type in case.yaml");
	}
	for (size_t i = 0; i < nt; i++)
		strbuf_free(&sc[i].evid);
	free(sc);
	return best;
}

static struct ing_file *case_yaml_file(struct ing_scan *scan)
{
	for (size_t i = 0; i < scan->files.n; i++) {
		struct ing_file *f = scan->files.v[i];
		if (f->kind == KIND_CASE_YAML && strcmp(f->path, "case.yaml") == 0)
			return f;
	}
	return NULL;
}

static void case_yaml_problem(struct ing_scan *scan, const char *line)
{
	struct strbuf b;
	strbuf_init(&b, TEXT_MAX);
	if (scan->case_yaml_errors)
		(void)strbuf_puts(&b, scan->case_yaml_errors);
	(void)strbuf_printf(&b, "%s\n", line);
	free(scan->case_yaml_errors);
	scan->case_yaml_errors = strbuf_steal(&b);
}

/* case.yaml's errors become one `corrupt` problem on its file record. */
static void case_yaml_report(struct ing_scan *scan)
{
	if (!scan->case_yaml_errors)
		return;
	struct ing_file *f = case_yaml_file(scan);
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		f->path = xstrdup("case.yaml");
		f->kind = KIND_CASE_YAML;
		f->evidence = xstrdup("case description (case.yaml at the drop root)");
		ptrvec_push(&scan->files, f);
	}
	if (f->problem != PROB_NONE)
		return;
	_cleanup_free_ char *m = xstrdup(scan->case_yaml_errors);
	size_t n = strlen(m);
	while (n && m[n - 1] == '\n')
		m[--n] = 0;
	for (char *p = m; *p; p++)
		if (*p == '\n')
			*p = ';';
	file_set_problem(f, PROB_CORRUPT, "%s", m);
	ptrvec_push(&scan->inv.problems, f);
}

static void choose_type(struct ev *e, const struct eval_opts *o)
{
	struct ing_scan *scan = e->scan;
	const struct case_yaml *cy = scan->case_yaml;
	const struct rule_type *t = NULL;
	char *evid = NULL;

	if (o && o->cancer_type) {
		t = e->rs ? ruleset_find_type(e->rs, o->cancer_type) : NULL;
		if (t) {
			scan->cancer_type_source = "option";
			evid = xasprintf("given on the command line (--cancer-type %s)", o->cancer_type);
		} else {
			log_warn(scan->ctx, "case %s: cancer type \"%s\" is not a known rules id; using the generic rules",
			         scan->case_id, o->cancer_type);
			evid = xasprintf("\"%s\" (given on the command line) is not a known rules id", o->cancer_type);
		}
	} else if (cy && cy->cancer_type) {
		t = e->rs ? ruleset_find_type(e->rs, cy->cancer_type) : NULL;
		if (t) {
			scan->cancer_type_source = "case.yaml";
			evid = xasprintf("cancer_type: %s", cy->cancer_type);
		} else {
			struct strbuf b;
			size_t n = 0;
			strbuf_init(&b, 4096);
			(void)strbuf_printf(&b, "case.yaml:%d:%d: unknown cancer_type \"%s\" (known: ", cy->cancer_type_line,
			                    cy->cancer_type_col, cy->cancer_type);
			for (size_t i = 0; e->rs && i < ruleset_n_cancer_types(e->rs); i++)
				list_add(&b, &n, "%s", ruleset_cancer_type(e->rs, i)->id);
			list_end(&b, n);
			(void)strbuf_puts(&b, "); the generic rules were used");
			case_yaml_problem(scan, sb(&b));
			strbuf_free(&b);
			evid = xasprintf("case.yaml names \"%s\", which is not a known rules id", cy->cancer_type);
		}
	} else if (e->rs) {
		t = infer_type(e, &evid);
		if (t)
			scan->cancer_type_source = "inferred";
	}
	if (!t && e->rs)
		t = ruleset_find_type(e->rs, "generic");
	if (!scan->cancer_type_source)
		scan->cancer_type_source = "generic";
	e->type = t;
	scan->cancer_type = xstrdup(t ? t->id : "generic");
	scan->cancer_type_evidence = evid ? evid : xstrdup(e->rs ? "no cancer type given" : "the rules could not be loaded");
}

/* ---- entry points ---- */

void evaluate_case_yaml(struct ing_scan *scan, const void *buf, size_t len)
{
	struct strbuf err;
	struct case_yaml *cy = NULL;
	int r;

	strbuf_init(&err, TEXT_MAX);
	r = case_yaml_parse(buf, len, &cy, &err);
	if (r < 0 && !err.len)
		(void)strbuf_printf(&err, "case.yaml:1:1: could not be read (%s); it was ignored\n", ing_strerror(r));
	if (scan->case_yaml && cy) {
		/* a later drop's case.yaml overrides what it sets, and only that */
		struct case_yaml *old = scan->case_yaml;
		if (cy->cancer_type) {
			free(old->cancer_type);
			old->cancer_type = steal_ptr(cy->cancer_type);
			old->cancer_type_line = cy->cancer_type_line;
			old->cancer_type_col = cy->cancer_type_col;
		}
		if (cy->setting != RULE_SETTING_UNKNOWN)
			old->setting = cy->setting;
		if (cy->question) {
			free(old->question);
			old->question = steal_ptr(cy->question);
		}
		if (cy->patient_language) {
			free(old->patient_language);
			old->patient_language = steal_ptr(cy->patient_language);
		}
		for (size_t i = 0; i < cy->n_notify; i++) {
			old->notify = xrealloc(old->notify, (old->n_notify + 1) * sizeof(char *));
			old->notify[old->n_notify++] = steal_ptr(cy->notify[i]);
		}
		cy->n_notify = 0;
		case_yaml_free(cy);
	} else if (cy) {
		case_yaml_free(scan->case_yaml);
		scan->case_yaml = cy;
	}
	if (err.len) {
		char *prev = scan->case_yaml_errors;
		scan->case_yaml_errors = prev ? xasprintf("%s%s", prev, err.s) : strbuf_steal(&err);
		free(prev);
	}
	strbuf_free(&err);
}

static bool usable(const struct ing_scan *scan)
{
	for (size_t i = 0; i < scan->inv.studies.n; i++)
		if (study_has_images(scan->inv.studies.v[i]))
			return true;
	for (size_t i = 0; i < scan->inv.documents.n; i++) {
		const struct ing_file *f = scan->inv.documents.v[i];
		if (!doc_unread(f) && (doc_readable(f) || (f->kind >= KIND_PATHOLOGY && f->kind <= KIND_LETTER)))
			return true;
	}
	return false;
}

void evaluate_scan(struct ing_scan *scan, const struct ruleset *rs, const struct eval_opts *o)
{
	struct ev e = { .scan = scan, .rs = rs, .today = -1 };

	/* Results of an earlier evaluation are replaced. */
	ptrvec_free(&scan->gaps, gap_free);
	ptrvec_free(&scan->notes, gap_free);
	free(scan->cancer_type);
	free(scan->cancer_type_evidence);
	scan->cancer_type = scan->cancer_type_evidence = NULL;
	scan->cancer_type_source = NULL;
	scan->required_gaps = 0;

	if (o && o->today)
		e.today = parse_day(o->today);
	if (e.today < 0)
		e.today = parse_day(scan->generated_at);

	scan->setting = scan->case_yaml ? (int)scan->case_yaml->setting : RULE_SETTING_UNKNOWN;
	if (o && o->setting) {
		int s = rule_setting_from_string(o->setting);
		if (s >= 0)
			scan->setting = s;
		else
			log_warn(scan->ctx, "case %s: unknown setting \"%s\" ignored", scan->case_id, o->setting);
	}
	e.setting = (enum rule_setting)scan->setting;

	for (size_t i = 0; i < scan->inv.documents.n; i++)
		if (doc_unread(scan->inv.documents.v[i]))
			ptrvec_push(&e.unread, scan->inv.documents.v[i]);

	choose_type(&e, o);
	case_yaml_report(scan);
	if (e.type)
		eval_rules(&e);
	check_patients(&e);
	check_series(&e);
	check_files(&e);
	check_dicomdir(&e);
	check_case_yaml(&e);
	check_degraded(&e);
	check_reports(&e);
	check_translation(&e);
	check_urgent(&e);

	if (!usable(scan))
		scan->status = "blocked";
	else
		scan->status = scan->required_gaps ? "incomplete" : "complete";
	ptrvec_free(&e.unread, NULL);
	log_info(scan->ctx, "case %s: %s (%s, %s), %zu gaps, %u required", scan->case_id, scan->status,
	         scan->cancer_type, scan->cancer_type_source, scan->gaps.n, scan->required_gaps);
}

const char *evaluate_default_rules_dir(void)
{
	struct stat st;
	if (stat(INGEST_RULES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return INGEST_RULES_DIR;
	return INGEST_SOURCE_RULES_DIR;
}

void evaluate_run(struct ing_scan *scan, const struct ing_scan_opts *opts)
{
	const char *dir = opts && opts->rules_dir ? opts->rules_dir : evaluate_default_rules_dir();
	struct ruleset *rs = NULL;
	struct strbuf errors;
	struct eval_opts eo = {
		.cancer_type = opts ? opts->cancer_type : NULL,
		.setting = opts ? opts->setting : NULL,
		.today = opts ? opts->today : NULL,
	};
	int r;

	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	r = rules_load_dir(scan->ctx, dir, &rs, &errors);
	if (r < 0) {
		log_err(scan->ctx, "case %s: the rules in %s could not be loaded (%s); only the generic checks ran%s%s",
		        scan->case_id, dir, ing_strerror(r), errors.len ? ":\n" : "", errors.len ? errors.s : "");
		rs = NULL;
	}
	strbuf_free(&errors);
	evaluate_scan(scan, rs, &eo);
	ruleset_free(rs);
}

void evaluation_free(struct ing_scan *scan)
{
	ptrvec_free(&scan->gaps, gap_free);
	ptrvec_free(&scan->notes, gap_free);
	free(scan->cancer_type);
	free(scan->cancer_type_evidence);
	free(scan->case_yaml_errors);
	case_yaml_free(scan->case_yaml);
	scan->cancer_type = scan->cancer_type_evidence = scan->case_yaml_errors = NULL;
	scan->case_yaml = NULL;
}

const char *ing_scan_cancer_type(const struct ing_scan *scan)
{
	return scan->cancer_type ? scan->cancer_type : "generic";
}

const char *ing_scan_status(const struct ing_scan *scan, unsigned *required_gaps)
{
	if (required_gaps)
		*required_gaps = scan->required_gaps;
	return scan->status ? scan->status : "incomplete";
}
