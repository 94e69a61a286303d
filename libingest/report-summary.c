/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The case summary (report-summary.h): the report's first page for the
 * specialist, the same entries in the text, HTML and JSON reports. Every
 * entry is a finding with the document (or study, or rule) it came from;
 * nothing is inferred here: the diagnosis lines are the documents' words
 * (findings/diagnosis.c), the biomarkers the statements the scan read,
 * the treatments its dated events, the imaging the DICOM studies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <json-c/json.h>

#include "evaluate-gaps.h"
#include "report-summary.h"

/* ---- building ---- */

static bool has_source(const char *s)
{
	return s && s[0];
}

static const char *marker_state_word(enum marker_state st)
{
	switch (st) {
	case MARKER_FOUND: return "found";
	case MARKER_PENDING: return "pending";
	case MARKER_NOT_DONE: return "not-done";
	case MARKER_INSUFFICIENT: return "insufficient";
	case MARKER_CONTEXT: return "context";
	}
	return "unknown";
}

/* Items of a comma-separated list: is ITEM one of them? */
static bool listed(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; *p; ) {
		size_t len = strcspn(p, ",");
		if (len == n + (p != list) && strncmp(p + (p != list), item, n) == 0)
			return true;
		p += len + (p[len] ? 1 : 0);
	}
	return false;
}

static void add_name(char *buf, size_t size, size_t *o, const char *w)
{
	if (listed(buf, w))
		return;         /* CR and DX are both "X-ray" */
	int n = snprintf(buf + *o, size - *o, "%s%s", *o ? ", " : "", w);
	if (n >= 0 && (size_t)n < size - *o)
		*o += (size_t)n;
}

/* A study named by its image modalities as a reader says them (DICOM PS3.3
 * C.7.3.1.1.1 codes, their names from rules/words/report.yaml
 * modality_names): a name for two codes ("PT+CT": "PET-CT") is said when the
 * study holds both, and says them; a code without a name is shown as written. */
static void study_modality(const struct ruleset *rs, const struct inv_study *st, char *buf, size_t size)
{
	const char *codes[16];  /* the study's image modalities, in series order, each once */
	bool said[16] = { false };
	size_t nc = 0, o = 0;
	buf[0] = 0;
	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		size_t k = 0;
		if (!series_is_image(se))
			continue;
		while (k < nc && strcasecmp(codes[k], se->modality) != 0)
			k++;
		if (k == nc && nc < ARRAY_SIZE(codes))
			codes[nc++] = se->modality;
	}
	/* the names of two codes, in the data's order, when the study holds both */
	for (size_t i = 0; i < rule_words_count(rs, RULE_WORDS_MODALITY_NAME); i++) {
		const char *code = rule_words_code(rs, RULE_WORDS_MODALITY_NAME, i), *plus = strchr(code, '+');
		size_t a = nc, b = nc;
		if (!plus)
			continue;
		for (size_t k = 0; k < nc; k++) {
			if (strlen(codes[k]) == (size_t)(plus - code) && strncasecmp(codes[k], code, (size_t)(plus - code)) == 0)
				a = k;
			if (strcasecmp(codes[k], plus + 1) == 0)
				b = k;
		}
		if (a == nc || b == nc)
			continue;
		add_name(buf, size, &o, rule_word(rs, RULE_WORDS_MODALITY_NAME, code));
		said[a] = said[b] = true;
	}
	for (size_t k = 0; k < nc; k++) {
		const char *w = said[k] ? NULL : rule_word(rs, RULE_WORDS_MODALITY_NAME, codes[k]);
		if (!said[k])
			add_name(buf, size, &o, w ? w : codes[k]);
	}
}

/* The regions a study covers (study_regions(): its body part and
 * descriptions) in the rules' words (rules/words/report.yaml), the widest
 * first; a region without words is not said. */
static void study_region(const struct ruleset *rs, const struct inv_study *st, char *buf, size_t size)
{
	static const char *const names[] = {
		"WHOLEBODY", "CHESTABDPELVIS", "CHESTABDOMEN", "ABDOMENPELVIS", "HEADNECK", "SPINE", "CHEST", "ABDOMEN",
		"PELVIS", "HEAD", "BRAIN", "NECK", "BREAST", "LIVER", "PANCREAS", "KIDNEY", "PROSTATE", "BLADDER",
		"CSPINE", "TSPINE", "LSPINE", "EXTREMITY",
	};
	uint32_t have = study_regions(st), covered = 0;
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		uint32_t need = rule_region_need_mask(names[i]);
		const char *words = rule_word(rs, RULE_WORDS_BODY_PART, names[i]);
		if (!words || !need || (need & have) != need || (need & ~covered) == 0)
			continue;
		int n = snprintf(buf + o, size - o, "%s%s", o ? "; " : "", words);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
		covered |= rule_region_study_mask(names[i]);
	}
}

static int cmp_str(const char *a, const char *b)
{
	/* undated last */
	if (!a || !*a)
		return b && *b ? 1 : 0;
	if (!b || !*b)
		return -1;
	return strcmp(a, b);
}

/* Treatments by date, then words (case aside), then the order the documents came: the
 * same event stated twice sorts together, the first document's first. */
struct treatment_slot {
	struct summary_treatment t;
	size_t seq;
};
static int cmp_treatment(const void *pa, const void *pb)
{
	const struct treatment_slot *a = pa, *b = pb;
	int c = cmp_str(a->t.date, b->t.date);
	c = c ? c : strcasecmp(a->t.what, b->t.what);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* Diagnosis lines by field and words, then document order (to find the repeated ones). */
struct dx_slot {
	const struct summary_dx *x;
	size_t seq;
};
static int cmp_dx(const void *pa, const void *pb)
{
	const struct dx_slot *a = pa, *b = pb;
	int c = strcmp(a->x->field, b->x->field);
	c = c ? c : strcmp(a->x->text, b->x->text);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_study(const void *pa, const void *pb)
{
	const struct summary_study *a = pa, *b = pb;
	int c = cmp_str(a->date, b->date);
	return c ? c : strcmp(a->study_uid, b->study_uid);
}

/* Markers grouped by name, each group in the order the documents came. */
struct marker_slot {
	struct summary_marker m;
	size_t seq;
	int polarity;           /* +1 positive, -1 negative, 0 none or not found */
};
static int cmp_marker(const void *pa, const void *pb)
{
	const struct marker_slot *a = pa, *b = pb;
	int c = strcasecmp(a->m.marker, b->m.marker);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static const char *study_patient(const struct inventory *inv, const struct inv_study *st)
{
	if (inv->patients.n < 2)
		return NULL;
	for (size_t i = 0; i < inv->patients.n; i++) {
		const struct inv_patient *p = inv->patients.v[i];
		for (size_t k = 0; k < p->studies.n; k++)
			if (p->studies.v[k] == st)
				return p->key;
	}
	return NULL;
}

/* The key of the patient whose document F is, when the case holds records of more than one. */
static const char *document_patient(const struct inventory *inv, const struct ing_file *f)
{
	if (inv->patients.n < 2)
		return NULL;
	for (size_t i = 0; i < inv->patients.n; i++) {
		const struct inv_patient *p = inv->patients.v[i];
		for (size_t k = 0; k < p->documents.n; k++)
			if (p->documents.v[k] == f)
				return p->key;
	}
	return NULL;
}

static const char *study_source(const struct inv_study *st)
{
	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		if (series_is_image(se) && se->files.n)
			return ((const struct ing_file *)se->files.v[0])->path;
	}
	return NULL;
}

/* The first sentence of a gap's message (its words up to the first ". " outside
 * brackets), for one line each: the whole message stays in the list below. */
static char *first_sentence(const char *msg)
{
	int depth = 0;
	for (const char *p = msg; *p; p++) {
		depth += *p == '(' ? 1 : *p == ')' && depth > 0 ? -1 : 0;
		if (!depth && *p == '.' && p[1] == ' ' && p - msg >= 12)
			return xstrndup(msg, (size_t)(p - msg) + 1);
	}
	return xstrdup(msg);
}

void case_summary_build(const struct ing_scan *scan, struct case_summary *out)
{
	const struct inventory *inv = &scan->inv;
	size_t cap_dx = 0, cap_m = 0, cap_t = 0;
	struct marker_slot *ms = NULL;
	struct treatment_slot *ts = NULL;

	*out = (struct case_summary){ .patients = inv->patients.n };
	/* documents: diagnosis lines, markers, treatments, in the documents' order */
	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *f = inv->documents.v[i];
		const struct doc_info *d = f->doc;
		if (!d || !has_source(f->path))
			continue;
		const char *patient = document_patient(inv, f);
		for (size_t k = 0; k < d->n_diagnoses; k++) {
			const struct doc_diagnosis *x = &d->diagnoses[k];
			if (out->total_dx == cap_dx) {
				cap_dx = cap_dx ? 2 * cap_dx : 8;
				out->dx = xrealloc(out->dx, cap_dx * sizeof(*out->dx));
			}
			out->dx[out->total_dx++] = (struct summary_dx){
				.field = x->field, .text = x->text, .side = x->side, .source = f->path, .patient = patient,
				.ocr = d->ocr,
			};
		}
		for (size_t k = 0; k < d->n_markers; k++) {
			const struct doc_marker *m = &d->markers[k];
			if (m->state == MARKER_CONTEXT)
				continue;       /* not the patient's present result */
			if (out->total_markers == cap_m) {
				cap_m = cap_m ? 2 * cap_m : 16;
				ms = xrealloc(ms, cap_m * sizeof(*ms));
			}
			ms[out->total_markers] = (struct marker_slot){
				.m = {
					.marker = m->name,
					.result = m->state == MARKER_FOUND ? m->result
					        : m->state == MARKER_PENDING ? "pending"
					        : m->state == MARKER_NOT_DONE ? "not done" : "insufficient (could not be tested)",
					.state = marker_state_word(m->state), .method = m->method, .date = d->doc_date,
					.snippet = m->snippet, .source = f->path, .patient = patient, .ocr = m->ocr,
				},
				.seq = out->total_markers,
				.polarity = m->state != MARKER_FOUND || !m->polarity ? 0
				          : strcmp(m->polarity, "positive") == 0 ? 1 : strcmp(m->polarity, "negative") == 0 ? -1 : 0,
			};
			out->total_markers++;
		}
		for (size_t k = 0; k < d->n_treatments; k++) {
			const struct doc_treatment *t = &d->treatments[k];
			if (!t->date || !t->what)
				continue;
			if (out->total_treatments == cap_t) {
				cap_t = cap_t ? 2 * cap_t : 8;
				ts = xrealloc(ts, cap_t * sizeof(*ts));
			}
			ts[out->total_treatments] = (struct treatment_slot){
				.t = { .date = t->date, .latest = t->latest, .precision = t->precision, .what = t->what,
				       .source = f->path, .patient = patient },
				.seq = out->total_treatments,
			};
			out->total_treatments++;
		}
	}

	/* each diagnosis line once (the first document that states it), in the documents' order */
	if (out->total_dx) {
		struct dx_slot *ds = xcalloc(out->total_dx, sizeof(*ds));
		bool *dup = xcalloc(out->total_dx, sizeof(*dup));
		for (size_t i = 0; i < out->total_dx; i++)
			ds[i] = (struct dx_slot){ .x = &out->dx[i], .seq = i };
		qsort(ds, out->total_dx, sizeof(*ds), cmp_dx);
		for (size_t i = 1; i < out->total_dx; i++)
			dup[ds[i].seq] = strcmp(ds[i].x->field, ds[i - 1].x->field) == 0 &&
			                 strcmp(ds[i].x->text, ds[i - 1].x->text) == 0;
		size_t w = 0;
		for (size_t i = 0; i < out->total_dx; i++)
			if (!dup[i])
				out->dx[w++] = out->dx[i];
		out->total_dx = w;
		free(ds);
		free(dup);
		for (size_t i = 0; i < out->total_dx; i++)
			out->stage_stated |= strcmp(out->dx[i].field, "stage") == 0;
	}

	/* markers grouped by name; two found results of one marker with opposite
	 * polarity are a conflict: both shown, both marked */
	if (out->total_markers) {
		qsort(ms, out->total_markers, sizeof(*ms), cmp_marker);
		for (size_t a = 0, b; a < out->total_markers; a = b) {
			bool pos = false, neg = false;
			for (b = a; b < out->total_markers && strcasecmp(ms[b].m.marker, ms[a].m.marker) == 0; b++) {
				pos |= ms[b].polarity > 0;
				neg |= ms[b].polarity < 0;
			}
			for (size_t k = a; k < b && pos && neg; k++)
				ms[k].m.conflict = ms[k].polarity != 0;
		}
		out->markers = xcalloc(out->total_markers, sizeof(*out->markers));
		for (size_t i = 0; i < out->total_markers; i++)
			out->markers[i] = ms[i].m;
	}
	free(ms);

	/* treatments by date, the same event (date and words) once */
	if (out->total_treatments) {
		qsort(ts, out->total_treatments, sizeof(*ts), cmp_treatment);
		out->treatments = xcalloc(out->total_treatments, sizeof(*out->treatments));
		size_t w = 0;
		for (size_t i = 0; i < out->total_treatments; i++)
			if (!w || strcmp(ts[i].t.date, out->treatments[w - 1].date) != 0 ||
			    strcasecmp(ts[i].t.what, out->treatments[w - 1].what) != 0)
				out->treatments[w++] = ts[i].t;
		out->total_treatments = w;
	}
	free(ts);

	/* imaging: the studies with images, by date */
	if (inv->studies.n)
		out->studies = xcalloc(inv->studies.n, sizeof(*out->studies));
	for (size_t i = 0; i < inv->studies.n; i++) {
		const struct inv_study *st = inv->studies.v[i];
		const char *src = study_source(st);
		if (!has_source(src))
			continue;   /* no image in it (a report, a dose sheet): not imaging */
		struct summary_study *s = &out->studies[out->total_studies++];
		*s = (struct summary_study){
			.date = st->date_iso[0] ? st->date_iso : NULL,
			.description = st->description && st->description[0] ? st->description : NULL,
			.study_uid = st->study_uid, .patient = study_patient(inv, st), .source = src,
		};
		study_modality(scan->rules, st, s->modality, sizeof(s->modality));
		study_region(scan->rules, st, s->region, sizeof(s->region));
	}
	if (out->total_studies)
		qsort(out->studies, out->total_studies, sizeof(*out->studies), cmp_study);

	/* still missing: the required items, one line each, with the rule asking */
	if (scan->gaps.n)
		out->missing = xcalloc(scan->gaps.n, sizeof(*out->missing));
	for (size_t i = 0; i < scan->gaps.n; i++) {
		const struct ing_gap *g = scan->gaps.v[i];
		if (g->severity != RULE_SEV_REQUIRED || g->condition || !has_source(g->rule_id))
			continue;
		/* a gap whose item may be in an unread document starts with those documents
		 * (evaluate-unread.c): its line is the item, said to be perhaps there */
		const char *item = g->unread_could_answer ? strstr(g->message, " hold it: ") : NULL;
		const char *items = g->unread_could_answer ? strstr(g->message, " hold them: ") : NULL;
		char *line;
		if (item || items) {
			_cleanup_free_ char *first = first_sentence(item ? item + 10 : items + 12);
			size_t n = strlen(first);
			line = xasprintf("%.*s (perhaps in a document that could not be read: check it by eye).",
			                 (int)(n && first[n - 1] == '.' ? n - 1 : n), first);
		} else {
			line = first_sentence(g->message);
		}
		out->missing[out->total_missing++] = (struct summary_missing){ .message = line, .source = g->rule_id };
	}

	out->n_dx = MIN(out->total_dx, SUMMARY_MAX_ROWS);
	out->n_markers = MIN(out->total_markers, SUMMARY_MAX_ROWS);
	out->n_treatments = MIN(out->total_treatments, SUMMARY_MAX_ROWS);
	out->n_studies = MIN(out->total_studies, SUMMARY_MAX_ROWS);
	out->n_missing = MIN(out->total_missing, SUMMARY_MAX_ROWS);
}

void case_summary_free(struct case_summary *s)
{
	free(s->dx);
	free(s->markers);
	free(s->treatments);
	free(s->studies);
	for (size_t i = 0; i < s->total_missing; i++)
		free(s->missing[i].message);
	free(s->missing);
	*s = (struct case_summary){ 0 };
}

/* ---- words shared by the text and HTML pages ---- */

#define SUMMARY_TITLE "Case summary"
#define SUMMARY_INTRO "For the specialist: only what the records state, each with the document it came from."
#define SUMMARY_NO_STAGE "No stage is stated under a stage label in the documents read."

static const char *dx_label(const struct summary_dx *x)
{
	return strcmp(x->field, "diagnosis") == 0 ? "Diagnosis" : strcmp(x->field, "specimen") == 0 ? "Specimen (site)"
	       : "Stage";
}

static const char *precision_note(const char *p)
{
	return !p || strcmp(p, "day") == 0 ? "" : strcmp(p, "month") == 0 ? " (month only)" : " (day/month order unclear)";
}

/* ---- text ---- */

/* "  (patient KEY)" when there is a key: three arguments for "%s%s%s" */
#define PATIENT_TEXT(k) (k) ? "  (patient " : "", (k) ? (k) : "", (k) ? ")" : ""

static void more_text(FILE *out, size_t total, size_t shown, const char *what)
{
	if (total > shown)
		fprintf(out, "    ... and %zu more %s (see the inventory below)\n", total - shown, what);
}

void summary_write_text(const struct ing_scan *scan, FILE *out)
{
	struct case_summary s;
	case_summary_build(scan, &s);
	fprintf(out, "\n%s\n%s\n", SUMMARY_TITLE, SUMMARY_INTRO);
	if (s.patients > 1)
		fprintf(out, "  Records of %zu patients are in this case: check whose each entry is.\n", s.patients);

	fprintf(out, "\n  Diagnosis as stated:\n");
	for (size_t i = 0; i < s.n_dx; i++)
		fprintf(out, "    - %s%s%s%s: %s  [%s]%s%s%s%s\n", dx_label(&s.dx[i]), s.dx[i].side ? " — " : "",
		        s.dx[i].side ? s.dx[i].side : "", s.dx[i].side ? " side" : "", s.dx[i].text, report_path(scan, s.dx[i].source),
		        s.dx[i].ocr ? " (read by OCR)" : "", PATIENT_TEXT(s.dx[i].patient));
	if (!s.n_dx)
		fprintf(out, "    none stated under a diagnosis or specimen label in the documents read\n");
	else if (!s.stage_stated)
		fprintf(out, "    %s\n", SUMMARY_NO_STAGE);
	more_text(out, s.total_dx, s.n_dx, "lines");

	fprintf(out, "\n  Biomarkers:\n");
	if (s.n_markers)
		fprintf(out, "    %-12s %-28s %-10s %-10s %s\n", "marker", "result", "method", "date", "document");
	for (size_t i = 0; i < s.n_markers; i++) {
		const struct summary_marker *m = &s.markers[i];
		fprintf(out, "    %-12s %-28s %-10s %-10s %s%s%s%s%s%s\n", m->marker, m->result ? m->result : "-",
		        m->method ? m->method : "-", m->date ? m->date : "-", report_path(scan, m->source), PATIENT_TEXT(m->patient),
		        m->ocr ? " (read by OCR)" : "",
		        m->conflict ? "  <-- CONFLICT: another document states the opposite" : "");
	}
	if (!s.n_markers)
		fprintf(out, "    none stated in the documents read\n");
	more_text(out, s.total_markers, s.n_markers, "biomarker results");

	fprintf(out, "\n  Treatment timeline:\n");
	for (size_t i = 0; i < s.n_treatments; i++) {
		const struct summary_treatment *t = &s.treatments[i];
		fprintf(out, "    %s  %s%s  [%s]%s%s%s\n", t->date, t->what, precision_note(t->precision), report_path(scan, t->source),
		        PATIENT_TEXT(t->patient));
	}
	if (!s.n_treatments)
		fprintf(out, "    no dated treatment stated in the documents read\n");
	more_text(out, s.total_treatments, s.n_treatments, "treatment dates");

	fprintf(out, "\n  Imaging timeline:\n");
	for (size_t i = 0; i < s.n_studies; i++) {
		const struct summary_study *st = &s.studies[i];
		fprintf(out, "    %s  %s%s%s%s%s%s  [%s]%s%s%s\n", st->date ? st->date : "(no date)", st->modality,
		        st->region[0] ? " of the " : "", st->region, st->description ? " — \"" : "",
		        st->description ? st->description : "", st->description ? "\"" : "", report_path(scan, st->source),
		        PATIENT_TEXT(st->patient));
	}
	if (!s.n_studies)
		fprintf(out, "    no DICOM images\n");
	more_text(out, s.total_studies, s.n_studies, "studies");

	fprintf(out, "\n  Still missing (required):\n");
	for (size_t i = 0; i < s.n_missing; i++)
	{
		_cleanup_free_ char *msg = report_dropped_words(scan, s.missing[i].message);
		fprintf(out, "    - %s\n", msg ? msg : s.missing[i].message);
	}
	if (!s.n_missing)
		fprintf(out, "    nothing required\n");
	more_text(out, s.total_missing, s.n_missing, "required items");
	case_summary_free(&s);
}

/* ---- HTML ---- */

static inline void esc(FILE *f, const char *s)
{
	report_html_esc(f, s);
}

static void src_html(FILE *f, const char *source)
{
	fputs(" <span class=\"src\">— ", f);
	esc(f, source);
	fputs("</span>", f);
}

static void patient_html(FILE *f, const char *key)
{
	if (!key)
		return;
	fputs(" <strong>(patient ", f);
	esc(f, key);
	fputs(")</strong>", f);
}

static void more_html(FILE *f, size_t total, size_t shown, const char *what)
{
	if (total > shown)
		fprintf(f, "<p class=\"more\">… and %zu more %s (see the inventory below).</p>\n", total - shown, what);
}

void summary_write_html(const struct ing_scan *scan, FILE *f)
{
	struct case_summary s;
	case_summary_build(scan, &s);
	fputs("<section class=\"summary\" style=\"border:2px solid #1a237e;padding:0 1em 1em;margin:1em 0;"
	      "break-after:page\"><h2 style=\"color:#1a237e\">" SUMMARY_TITLE "</h2>\n<p class=\"meta\">" SUMMARY_INTRO
	      "</p>\n<style>.summary .src{color:#555;font-size:.85em}.summary h3{margin:.8em 0 .3em}"
	      ".summary table{margin:.3em 0}</style>\n", f);
	if (s.patients > 1)
		fprintf(f, "<p><strong>Records of %zu patients are in this case: check whose each entry is.</strong></p>\n",
		        s.patients);

	fputs("<h3>Diagnosis as stated</h3>\n<ul>\n", f);
	for (size_t i = 0; i < s.n_dx; i++) {
		fprintf(f, "<li><strong>%s</strong>", dx_label(&s.dx[i]));
		if (s.dx[i].side) {
			fputs(" (", f);
			esc(f, s.dx[i].side);
			fputs(" side)", f);
		}
		fputs(": ", f);
		esc(f, s.dx[i].text);
		if (s.dx[i].ocr)
			fputs(" <em>(read by OCR)</em>", f);
		patient_html(f, s.dx[i].patient);
		src_html(f, report_path(scan, s.dx[i].source));
		fputs("</li>\n", f);
	}
	if (!s.n_dx)
		fputs("<li>None stated under a diagnosis or specimen label in the documents read.</li>\n", f);
	else if (!s.stage_stated)
		fputs("<li class=\"meta\">" SUMMARY_NO_STAGE "</li>\n", f);
	fputs("</ul>\n", f);
	more_html(f, s.total_dx, s.n_dx, "lines");

	fputs("<h3>Biomarkers</h3>\n", f);
	if (s.n_markers)
		fputs("<table><tr><th>Marker</th><th>Result</th><th>Method</th><th>Date</th><th>Document</th></tr>\n", f);
	for (size_t i = 0; i < s.n_markers; i++) {
		const struct summary_marker *m = &s.markers[i];
		fputs("<tr><td>", f);
		esc(f, m->marker);
		fputs("</td><td>", f);
		esc(f, m->result);
		if (m->conflict)
			fputs(" <strong>(conflict: another document states the opposite)</strong>", f);
		if (m->ocr)
			fputs(" <em>(read by OCR)</em>", f);
		patient_html(f, m->patient);
		fputs("</td><td>", f);
		esc(f, m->method ? m->method : "—");
		fputs("</td><td>", f);
		esc(f, m->date ? m->date : "—");
		fputs("</td><td class=\"src\" title=\"", f);
		esc(f, m->snippet);
		fputs("\">", f);
		esc(f, report_path(scan, m->source));
		fputs("</td></tr>\n", f);
	}
	if (s.n_markers)
		fputs("</table>\n", f);
	else
		fputs("<p>None stated in the documents read.</p>\n", f);
	more_html(f, s.total_markers, s.n_markers, "biomarker results");

	fputs("<h3>Treatment timeline</h3>\n<ul>\n", f);
	for (size_t i = 0; i < s.n_treatments; i++) {
		const struct summary_treatment *t = &s.treatments[i];
		fputs("<li>", f);
		esc(f, t->date);
		fputs(" ", f);
		esc(f, t->what);
		esc(f, precision_note(t->precision));
		patient_html(f, t->patient);
		src_html(f, report_path(scan, t->source));
		fputs("</li>\n", f);
	}
	if (!s.n_treatments)
		fputs("<li>No dated treatment stated in the documents read.</li>\n", f);
	fputs("</ul>\n", f);
	more_html(f, s.total_treatments, s.n_treatments, "treatment dates");

	fputs("<h3>Imaging timeline</h3>\n<ul>\n", f);
	for (size_t i = 0; i < s.n_studies; i++) {
		const struct summary_study *st = &s.studies[i];
		fputs("<li>", f);
		esc(f, st->date ? st->date : "(no date)");
		fputs(" ", f);
		esc(f, st->modality);
		if (st->region[0]) {
			fputs(" of the ", f);
			esc(f, st->region);
		}
		if (st->description) {
			fputs(" — “", f);
			esc(f, st->description);
			fputs("”", f);
		}
		patient_html(f, st->patient);
		src_html(f, report_path(scan, st->source));
		fputs("</li>\n", f);
	}
	if (!s.n_studies)
		fputs("<li>No DICOM images.</li>\n", f);
	fputs("</ul>\n", f);
	more_html(f, s.total_studies, s.n_studies, "studies");

	fputs("<h3>Still missing (required)</h3>\n<ul>\n", f);
	for (size_t i = 0; i < s.n_missing; i++) {
		fputs("<li>", f);
		_cleanup_free_ char *msg = report_dropped_words(scan, s.missing[i].message);
		esc(f, msg ? msg : s.missing[i].message);
		fputs("</li>\n", f);
	}
	if (!s.n_missing)
		fputs("<li>Nothing required.</li>\n", f);
	fputs("</ul>\n", f);
	more_html(f, s.total_missing, s.n_missing, "required items");
	fputs("</section>\n", f);
	case_summary_free(&s);
}

/* ---- JSON ---- */

static json_object *jstr(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

/* A list of the summary cut at SUMMARY_MAX_ROWS: recorded in ROOT's "truncated" as summary.KEY. */
static void cut(json_object *root, const char *key, size_t total, size_t listed)
{
	char k[64];
	if (total <= listed)
		return;
	snprintf(k, sizeof(k), "summary.%s", key);
	report_truncated(root, k, total, listed);
}

json_object *summary_json(const struct ing_scan *scan, json_object *root)
{
	struct case_summary s;
	json_object *o = json_object_new_object(), *a;
	case_summary_build(scan, &s);

	a = json_object_new_array();
	for (size_t i = 0; i < s.n_dx; i++) {
		json_object *x = json_object_new_object();
		json_object_object_add(x, "field", json_object_new_string(s.dx[i].field));
		json_object_object_add(x, "text", json_object_new_string(s.dx[i].text));
		if (s.dx[i].side)
			json_object_object_add(x, "side", json_object_new_string(s.dx[i].side));
		json_object_object_add(x, "source", json_object_new_string(s.dx[i].source));
		if (s.dx[i].patient)
			json_object_object_add(x, "patient", json_object_new_string(s.dx[i].patient));
		if (s.dx[i].ocr)
			json_object_object_add(x, "ocr", json_object_new_boolean(true));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "diagnosis", a);
	json_object_object_add(o, "stage_stated", json_object_new_boolean(s.stage_stated));
	cut(root, "diagnosis", s.total_dx, s.n_dx);

	a = json_object_new_array();
	for (size_t i = 0; i < s.n_markers; i++) {
		const struct summary_marker *m = &s.markers[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "marker", json_object_new_string(m->marker));
		json_object_object_add(x, "state", json_object_new_string(m->state));
		json_object_object_add(x, "result", jstr(m->result));
		json_object_object_add(x, "method", jstr(m->method));
		json_object_object_add(x, "date", jstr(m->date));
		json_object_object_add(x, "source", json_object_new_string(m->source));
		if (m->patient)
			json_object_object_add(x, "patient", json_object_new_string(m->patient));
		json_object_object_add(x, "snippet", jstr(m->snippet));
		if (m->conflict)
			json_object_object_add(x, "conflict", json_object_new_boolean(true));
		if (m->ocr)
			json_object_object_add(x, "ocr", json_object_new_boolean(true));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "biomarkers", a);
	cut(root, "biomarkers", s.total_markers, s.n_markers);

	a = json_object_new_array();
	for (size_t i = 0; i < s.n_treatments; i++) {
		const struct summary_treatment *t = &s.treatments[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "date", json_object_new_string(t->date));
		json_object_object_add(x, "latest", jstr(t->latest));
		json_object_object_add(x, "precision", jstr(t->precision));
		json_object_object_add(x, "what", json_object_new_string(t->what));
		json_object_object_add(x, "source", json_object_new_string(t->source));
		if (t->patient)
			json_object_object_add(x, "patient", json_object_new_string(t->patient));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "treatments", a);
	cut(root, "treatments", s.total_treatments, s.n_treatments);

	a = json_object_new_array();
	for (size_t i = 0; i < s.n_studies; i++) {
		const struct summary_study *st = &s.studies[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "date", jstr(st->date));
		json_object_object_add(x, "modality", json_object_new_string(st->modality));
		json_object_object_add(x, "region", jstr(st->region));
		json_object_object_add(x, "description", jstr(st->description));
		json_object_object_add(x, "study_uid", json_object_new_string(st->study_uid));
		if (st->patient)
			json_object_object_add(x, "patient", json_object_new_string(st->patient));
		json_object_object_add(x, "source", json_object_new_string(st->source));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "imaging", a);
	cut(root, "imaging", s.total_studies, s.n_studies);

	a = json_object_new_array();
	for (size_t i = 0; i < s.n_missing; i++) {
		json_object *x = json_object_new_object();
		json_object_object_add(x, "message", json_object_new_string(s.missing[i].message));
		json_object_object_add(x, "source", json_object_new_string(s.missing[i].source));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "missing", a);
	cut(root, "missing", s.total_missing, s.n_missing);
	case_summary_free(&s);
	return o;
}
