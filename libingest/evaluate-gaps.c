/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the checker's parts share (evaluate-gaps.h): strbuf and list text,
 * dates, a gap and how it is added, the start of a rule's message, a readable
 * document, and the DICOM facts more than one check asks (images in a study,
 * a DICOM report, a study's day and its one-line description).
 */
#include <ctype.h>
#include <stdio.h>

#include "evaluate-gaps.h"

/* ---- small helpers ---- */

/* A strbuf's text, "" while nothing was appended. */
const char *sb(const struct strbuf *b)
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
long parse_day(const char *s)
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

/* Appends one item of a ", "-separated list; past EVAL_LIST_MAX items only counts. */
void list_add(struct strbuf *b, size_t *n, const char *fmt, ...)
{
	char item[1024];
	va_list ap;

	if ((*n)++ >= EVAL_LIST_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	(void)strbuf_printf(b, "%s%s", *n > 1 ? ", " : "", item);
}

void list_end(struct strbuf *b, size_t n)
{
	if (n > EVAL_LIST_MAX)
		(void)strbuf_printf(b, " and %zu more", n - EVAL_LIST_MAX);
}

/* A short quotable form of a snippet: one line, at most 160 bytes, on a UTF-8 boundary. */
char *short_snippet(const char *s)
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

void gap_free(void *p)
{
	struct ing_gap *g = p;
	free(g->rule_id);
	free(g->message);
	free(g->evidence);
	free(g->condition);
	gap_unread_free(g);
	free(g);
}

struct ing_gap *add_gap(struct ev *e, const char *id, enum rule_severity sev, const char *cond, struct strbuf *msg,
                        struct strbuf *evid)
{
	struct ing_gap *g = gap_new(id, sev, cond, msg, evid);
	if (sev == RULE_SEV_INFO) {
		ptrvec_push(&e->scan->notes, g);
		return g;
	}
	if (sev == RULE_SEV_REQUIRED)
		e->scan->required_gaps++;
	ptrvec_push(&e->scan->gaps, g);
	return g;
}

bool doc_readable(const struct ing_file *f)
{
	return f->doc && f->doc->text && f->doc->text_len > 0 && !f->doc->extract_error;
}

const char *condition_of(const struct rule *r, bool conditional)
{
	return conditional && r->condition ? r->condition : NULL;
}

void start_message(struct strbuf *msg, const struct rule *r, bool conditional)
{
	strbuf_init(msg, EVAL_TEXT_MAX);
	if (conditional && r->condition)
		(void)strbuf_printf(msg, "Only %s: ", r->condition);
	(void)strbuf_puts(msg, r->message);
}

/* ---- DICOM helpers ---- */

static bool image_modality(const char *m)
{
	return m && *m && rule_modality_bit(m) != 0;
}

bool series_is_image(const struct inv_series *se)
{
	if (!image_modality(se->modality))
		return false;
	for (size_t i = 0; i < se->files.n; i++)
		if (((struct ing_file *)se->files.v[i])->kind == KIND_DICOM_IMAGE)
			return true;
	return false;
}

bool study_has_images(const struct inv_study *st)
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
bool dicom_is_report(const struct ing_file *f)
{
	if (!f->dcm || f->problem != PROB_NONE)
		return false;
	if (file_dicom_kind(f) == KIND_DICOM_SR)
		return strcmp(f->dcm->sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.67") != 0 &&
		       !rule_text_matches(f->dcm->series_description, strlen(f->dcm->series_description), "dose");
	if (file_dicom_kind(f) == KIND_DICOM_ENC_PDF)
		return text_has_any(f->dcm->series_description, report_words) ||
		       text_has_any(f->dcm->study_description, report_words);
	return false;
}

long study_day(const struct inv_study *st)
{
	return parse_day(st->date_iso[0] ? st->date_iso : st->date);
}

/* The modalities of a study's images, "CT/PT" (not its reports and pages:
 * "CT,DOC,OT,SR" is a CT study); its listed modalities when none is an image's. */
void study_image_modalities(struct strbuf *b, const struct inv_study *st)
{
	size_t before = b->len;
	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		if (!series_is_image(se))
			continue;
		bool seen = false;
		for (size_t k = 0; k < j && !seen; k++) {
			const struct inv_series *o = st->series.v[k];
			seen = series_is_image(o) && strcmp(o->modality, se->modality) == 0;
		}
		if (!seen)
			(void)strbuf_printf(b, "%s%s", b->len > before ? "/" : "", se->modality);
	}
	if (b->len == before)
		for (const char *p = st->modalities; *p; p++)
			(void)strbuf_append(b, *p == ',' ? "/" : p, 1);
}

void study_text(struct strbuf *b, const struct inv_study *st, long today)
{
	long d = study_day(st);
	size_t before;
	(void)strbuf_printf(b, "%s ", st->date_iso[0] ? st->date_iso : "(undated)");
	before = b->len;
	study_image_modalities(b, st);
	(void)strbuf_printf(b, "%s \"%s\"", b->len > before ? "" : "?",
	                    st->description[0] ? st->description : "no description");
	if (d >= 0 && today >= 0)
		(void)strbuf_printf(b, " (%ld days old)", today - d);
}
