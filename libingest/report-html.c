/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The report as one self-contained HTML page (gap-report.html in the
 * package): status first, then the inventory and the problems. No script, no
 * external resource; every string from the drop is escaped.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "evaluate.h"
#include "case.h"
#include "findings/findings.h"
#include "thumbs.h"
#include "report-summary.h"

void report_html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static inline void esc(FILE *f, const char *s)
{
	report_html_esc(f, s);
}

void report_modalities(FILE *f, const struct ruleset *rs, const char *codes, bool html)
{
	for (const char *p = codes; *p; ) {
		size_t len = strcspn(p, ",");
		char code[sizeof(((struct inv_study *)0)->modalities)];
		size_t cl = MIN(len, sizeof(code) - 1);
		memcpy(code, p, cl);
		code[cl] = 0;
		const char *w = rule_word(rs, RULE_WORDS_MODALITY, code);
		fputs(p != codes ? ", " : "", f);
		if (html) {
			esc(f, code);
			if (w) {
				fputs(" <small>(", f);
				esc(f, w);
				fputs(")</small>", f);
			}
		} else {
			fprintf(f, "%s%s%s%s", code, w ? " (" : "", w ? w : "", w ? ")" : "");
		}
		p += len + (p[len] ? 1 : 0);
	}
}

static void td(FILE *f, const char *s)
{
	fputs("<td>", f);
	esc(f, s && s[0] ? s : "—");
	fputs("</td>", f);
}

/* The line after a table cut at REPORT_MAX_LISTED rows: how many more, and where. */
static void more_html(FILE *f, size_t total, size_t shown, const char *what, const char *where)
{
	char a[32], b[32];
	if (total <= shown)
		return;
	fprintf(f, "<p class=\"more\">… and %s more %s (%s listed here)", report_count(a, total - shown), what,
	        report_count(b, shown));
	if (where) {
		fputs("; ", f);
		esc(f, where);
	}
	fputs(".</p>\n", f);
}

/* One section of gaps: a list of what to ask for, the rule id and evidence small. */
static void gaps_html(const struct ing_scan *scan, FILE *f, enum rule_severity sev, bool conditional,
                      const char *cls, const char *title)
{
	size_t n = 0;
	for (size_t i = 0; i < scan->gaps.n; i++) {
		const struct ing_gap *g = scan->gaps.v[i];
		if (g->severity != sev || (g->condition != NULL) != conditional)
			continue;
		if (!n++) {
			fprintf(f, "<section class=\"%s\"><h2>", cls);
			esc(f, title);
			fputs("</h2><ol>\n", f);
		}
		fputs("<li>", f);
		_cleanup_free_ char *msg = report_dropped_words(scan, g->message), *evid = report_dropped_words(scan, g->evidence);
		esc(f, msg ? msg : g->message);
		/* the rule id with the evidence, folded: the coordinator reads the message */
		fputs("<details><summary>evidence</summary><span class=\"rule\">[", f);
		esc(f, g->rule_id);
		fputs("]</span> ", f);
		esc(f, evid ? evid : g->evidence ? g->evidence : "");
		fputs("</details>", f);
		if (g->n_unread) {
			/* the documents it may be in, named with why, in the gap's own item */
			fputs("<div class=\"unread\">Check by eye first — could not be read automatically:<ul>", f);
			for (size_t k = 0; k < g->n_unread; k++) {
				fputs("<li><code>", f);
				esc(f, report_path(scan, g->unread[k].path));
				fputs("</code>: ", f);
				esc(f, g->unread[k].detail);
				fputs("</li>", f);
			}
			if (g->unread_total > g->n_unread)
				fprintf(f, "<li>and %zu more (see the inventory)</li>", g->unread_total - g->n_unread);
			fputs("</ul></div>", f);
		}
		fputs("</li>\n", f);
	}
	if (n)
		fputs("</ol></section>\n", f);
}

static void changes_html(const struct ing_scan *scan, FILE *f)
{
	json_object *ch = scan->changes_json ? json_tokener_parse(scan->changes_json) : NULL;
	size_t n = ch && json_object_is_type(ch, json_type_array) ? json_object_array_length(ch) : 0;
	if (n)
		fputs("<section><h2>What changed since the last report</h2><ul>\n", f);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(ch, i), *w = NULL, *d = NULL;
		json_object_object_get_ex(c, "what", &w);
		json_object_object_get_ex(c, "detail", &d);
		fputs("<li>", f);
		esc(f, w ? json_object_get_string(w) : "");
		if (d) {
			const char *ds = json_object_get_string(d);
			_cleanup_free_ char *dw = report_dropped_words(scan, ds);
			fputs(": ", f);
			esc(f, dw ? dw : ds);
		}
		fputs("</li>\n", f);
	}
	if (n)
		fputs("</ul></section>\n", f);
	json_object_put(ch);
}

/* ---- pictures and the timeline (thumbs.c makes the pictures) ---- */

/* The CSS of the pictures and the timeline. */
static void pictures_css(FILE *f)
{
	fputs("<style>table{max-width:100%}td{overflow-wrap:break-word}"
	      "td:first-child{overflow-wrap:anywhere;min-width:12em}table.series{width:100%}"
	      "td.pic{width:160px;min-width:160px;padding:2px;text-align:center;vertical-align:middle}"
	      "td.pic img{display:block;margin:auto;max-width:128px;max-height:128px;background:#000}"
	      ".nopic{color:#777;font-size:.8em}.pic .how{color:#777;font-size:.7em;white-space:nowrap}"
	      "ol.timeline{list-style:none;padding:0;margin:.5em 0 1.5em;border-left:3px solid #90a4ae}"
	      "ol.timeline li{margin:.2em 0;padding-left:.8em;position:relative}"
	      "ol.timeline li::before{content:'';position:absolute;left:-.45em;top:.45em;width:.6em;height:.6em;"
	      "border-radius:50%;background:#90a4ae}ol.timeline li.study::before{background:#1565c0}"
	      "ol.timeline li.doc::before{background:#6a1b9a}"
	      ".tl-date{display:inline-block;min-width:6.5em;font-variant-numeric:tabular-nums;font-weight:bold}"
	      ".tl-kind{color:#555;font-size:.85em}h3 small{font-weight:normal;color:#555}</style>\n", f);
}

/* The picture cell of a series: its thumbnail, or "no preview" and why. */
static void thumb_cell(FILE *f, const struct thumbs *t, const struct inv_series *se)
{
	const struct thumb *th = thumbs_find(t, se);
	fputs("<td class=\"pic\">", f);
	if (th && th->data_uri) {
		fprintf(f, "<img src=\"%s\" width=\"%u\" height=\"%u\" alt=\"middle image of the series\" title=\"",
		        th->data_uri, th->width, th->height);
		esc(f, th->window);
		fputs("\">", f);
		if (th->note) {
			fputs("<div class=\"how\">", f);
			esc(f, th->note);
			fputs("</div>", f);
		}
	} else {
		fputs("<span class=\"nopic\">no preview", f);
		if (th && th->why) {
			fputs(": ", f);
			esc(f, th->why);
		}
		fputs("</span>", f);
	}
	fputs("</td>", f);
}

struct tl_entry {
	const char *date;       /* YYYY-MM-DD */
	const struct inv_study *study;
	const struct ing_file *doc;
};

static int cmp_tl(const void *a, const void *b)
{
	const struct tl_entry *x = a, *y = b;
	int c = strcmp(x->date, y->date);
	if (c)
		return c;
	return (x->study ? 0 : 1) - (y->study ? 0 : 1);  /* studies first on a day; qsort order otherwise */
}

/* The studies and documents by date, oldest first; those without a date
 * counted in one line. */
static void timeline_html(const struct ing_scan *scan, FILE *f)
{
	const struct inventory *inv = &scan->inv;
	size_t ns = MIN(inv->studies.n, (size_t)REPORT_MAX_LISTED), nd = MIN(inv->documents.n, (size_t)REPORT_MAX_LISTED);
	struct tl_entry *e = xcalloc(ns + nd + 1, sizeof(*e));
	size_t n = 0, undated_s = 0, undated_d = 0;
	for (size_t i = 0; i < ns; i++) {
		const struct inv_study *s = inv->studies.v[i];
		if (s->date_iso[0])
			e[n++] = (struct tl_entry){ s->date_iso, s, NULL };
		else
			undated_s++;
	}
	for (size_t i = 0; i < nd; i++) {
		const struct ing_file *d = inv->documents.v[i];
		if (d->doc && d->doc->doc_date && d->doc->doc_date[0])
			e[n++] = (struct tl_entry){ d->doc->doc_date, NULL, d };
		else
			undated_d++;
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), cmp_tl);
	if (n || undated_s || undated_d)
		fputs("<section class=\"timeline\"><h2>Timeline</h2>\n", f);
	if (n)
		fputs("<ol class=\"timeline\">\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<li class=\"%s\"><span class=\"tl-date\">", e[i].study ? "study" : "doc");
		esc(f, e[i].date);
		fputs("</span> ", f);
		if (e[i].study) {
			const struct inv_study *s = e[i].study;
			fputs("<span class=\"tl-kind\">imaging</span> ", f);
			report_modalities(f, scan->rules, s->modalities, true);
			fputs(" — ", f);
			esc(f, s->description[0] ? s->description : "(no description)");
			fprintf(f, " <span class=\"tl-kind\">(%zu series)</span>", s->series.n);
		} else {
			fputs("<span class=\"tl-kind\">document</span> ", f);
			esc(f, rule_kind_words(scan->rules, e[i].doc->kind));
			fputs(" — <code>", f);
			esc(f, report_path(scan, e[i].doc->path));
			fputs("</code>", f);
		}
		fputs("</li>\n", f);
	}
	if (n)
		fputs("</ol>\n", f);
	if (undated_s || undated_d) {
		fputs("<p class=\"meta\">Not on the timeline (no date found): ", f);
		if (undated_s)
			fprintf(f, "%zu stud%s", undated_s, undated_s == 1 ? "y" : "ies");
		if (undated_s && undated_d)
			fputs(", ", f);
		if (undated_d)
			fprintf(f, "%zu document%s", undated_d, undated_d == 1 ? "" : "s");
		fputs(".</p>\n", f);
	}
	if (n || undated_s || undated_d)
		fputs("</section>\n", f);
	free(e);
}

int ing_scan_write_html(const struct ing_scan *scan, const char *status, FILE *f)
{
	return report_html_write(scan, status, NULL, f);
}

int report_html_write(const struct ing_scan *scan, const char *status, const struct thumbs *thumbs, FILE *f)
{
	const struct inventory *inv = &scan->inv;
	unsigned required = 0;
	const char *st = status ? status : ing_scan_status(scan, &required);
	(void)ing_scan_status(scan, &required);
	const char *colour = strcmp(st, "complete") == 0 ? "#1b5e20" : strcmp(st, "blocked") == 0 ? "#b71c1c" : "#e65100";

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
	      "<title>Gap report — ", f);
	esc(f, scan->case_id);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
	      "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:.25em .5em;"
	      "text-align:left;vertical-align:top}th{background:#eee}.status{color:#fff;padding:.5em 1em;"
	      "display:inline-block;font-size:1.3em;margin:0}.meta{color:#555;font-size:.9em}"
	      ".rule{color:#777;font-size:.8em}.unread{background:#fff6d5;padding:.2em .5em;margin:.3em 0}"
	      ".more{font-weight:bold}details{color:#555;font-size:.85em}"
	      "section.required{border:3px solid #e65100;padding:0 1em;margin:1em 0}"
	      "section.required h2{color:#e65100}li{margin:.3em 0}"
	      "@media print{details{display:none}section.required{border-width:2px}}</style>\n", f);
	pictures_css(f);
	fputs("</head><body>\n", f);
	fputs("<h1>Gap report — case ", f);
	esc(f, scan->case_id);
	fprintf(f, "</h1>\n<p class=\"status\" style=\"background:%s\">Status: ", colour);
	esc(f, st);
	if (required)
		fprintf(f, " — %u required item%s missing", required, required == 1 ? "" : "s");
	size_t look = 0;
	for (size_t i = 0; i < scan->gaps.n; i++) {
		const struct ing_gap *g = scan->gaps.v[i];
		look += g->severity == RULE_SEV_REQUIRED && g->unread_could_answer;
	}
	if (required && look)
		fprintf(f, " (%zu of them may be in documents that could not be read automatically: check those by eye "
		        "before asking the hospital)", look);
	fputs("</p>\n<p><strong>Cancer type:</strong> ", f);
	esc(f, scan->cancer_type ? scan->cancer_type : "generic");
	fputs(" <span class=\"meta\">(", f);
	esc(f, scan->cancer_type_source ? scan->cancer_type_source : "generic");
	fputs(")</span> &nbsp; <strong>Setting:</strong> ", f);
	esc(f, scan->setting ? rule_setting_name(scan->setting) : "not given");
	if (scan->case_yaml && scan->case_yaml->question) {
		fputs("<br><strong>Question:</strong> ", f);
		esc(f, scan->case_yaml->question);
	}
	fputs("</p>\n", f);
	summary_write_html(scan, f);
	gaps_html(scan, f, RULE_SEV_REQUIRED, false, "required", "Required — ask for these before the case can go");
	changes_html(scan, f);
	gaps_html(scan, f, RULE_SEV_RECOMMENDED, false, "recommended", "Recommended — ask for these if possible");
	gaps_html(scan, f, RULE_SEV_WARNING, false, "warning", "Warnings — quality problems");
	gaps_html(scan, f, RULE_SEV_RECOMMENDED, true, "conditional", "Check whether these apply to this patient");
	gaps_html(scan, f, RULE_SEV_WARNING, true, "conditional", "Warnings that apply only in some cases");
	fputs("<p class=\"meta\">Generated ", f);
	esc(f, scan->generated_at);
	fprintf(f, "; %zu files, %llu bytes; %zu patient(s) seen in the images and documents%s.</p>\n", scan->files.n,
	        (unsigned long long)scan->total_bytes, inv->patients.n,
	        inv->patients.n > 1 ? " — <strong>records of more than one patient</strong>" : "");
	/* which records are whose: keys, study counts, document paths (never a name) */
	if (inv->patients.n > 1) {
		fputs("<ul class=\"patients\">\n", f);
		for (size_t i = 0; i < inv->patients.n && i < REPORT_TEXT_PATIENTS; i++) {
			const struct inv_patient *p = inv->patients.v[i];
			fprintf(f, "<li>patient %s: %zu studies, %zu documents", p->key, p->studies.n, p->documents.n);
			for (size_t k = 0; k < p->documents.n && k < REPORT_TEXT_PATIENTS; k++) {
				fputs(k ? ", " : " (", f);
				esc(f, report_path(scan, ((const struct ing_file *)p->documents.v[k])->path));
			}
			fputs(p->documents.n ? ")</li>\n" : "</li>\n", f);
		}
		fputs("</ul>\n", f);
	}

	timeline_html(scan, f);
	fprintf(f, "<h2>Imaging: %zu %s, %u DICOM file%s</h2>\n", inv->studies.n, inv->studies.n == 1 ? "study" : "studies",
	        inv->dicom_instances, inv->dicom_instances == 1 ? "" : "s");
	size_t series_left = REPORT_MAX_LISTED, n_studies = MIN(inv->studies.n, REPORT_MAX_LISTED);
	for (size_t i = 0; i < n_studies; i++) {
		const struct inv_study *s = inv->studies.v[i];
		fputs("<h3>", f);
		esc(f, s->date_iso[0] ? s->date_iso : "(no date)");
		fputs(" ", f);
		report_modalities(f, scan->rules, s->modalities, true);
		fputs(" — ", f);
		esc(f, s->description[0] ? s->description : "(no description)");
		if (s->body_part[0]) {
			const char *part = rule_word(scan->rules, RULE_WORDS_BODY_PART, s->body_part);
			fputs(" — ", f);
			esc(f, part ? part : s->body_part);
		}
		fputs("</h3>\n<table class=\"series\"><tr>", f);
		if (thumbs)
			fputs("<th>Picture</th>", f);
		fputs("<th>Modality</th><th>Series</th><th>Instances</th><th>Missing instances</th>"
		      "<th>Slice gaps</th><th>Transfer syntax</th><th>Lossy</th></tr>\n", f);
		size_t n_series = MIN(s->series.n, series_left);
		series_left -= n_series;
		for (size_t j = 0; j < n_series; j++) {
			const struct inv_series *se = s->series.v[j];
			char n[32];
			fputs("<tr>", f);
			if (thumbs)
				thumb_cell(f, thumbs, se);
			const char *mw = rule_word(scan->rules, RULE_WORDS_MODALITY, se->modality);
			fputs("<td>", f);
			esc(f, se->modality);
			if (mw) {
				fputs(" <small>(", f);
				esc(f, mw);
				fputs(")</small>", f);
			}
			fputs("</td>", f);
			td(f, se->description);
			snprintf(n, sizeof(n), "%zu", se->files.n);
			td(f, n);
			fputs("<td>", f);
			for (size_t k = 0; k < se->n_missing && k < 50; k++)
				fprintf(f, "%s%d", k ? " " : "", se->missing[k]);
			if (se->n_missing > 50 || se->missing_truncated)
				fputs(" …", f);
			if (!se->n_missing)
				fputs("—", f);
			fputs("</td><td>", f);
			for (size_t k = 0; k < se->n_gaps; k++)
				fprintf(f, "%s%d missing between %d and %d", k ? "; " : "", se->gaps[k].missing,
				        se->gaps[k].after_instance, se->gaps[k].before_instance);
			if (!se->n_gaps)
				fputs("—", f);
			fputs("</td>", f);
			const char *ts = rule_word(scan->rules, RULE_WORDS_TRANSFER_SYNTAX, se->transfer_syntax);
			td(f, ts ? ts : se->transfer_syntax);
			td(f, se->lossy ? "yes: detail was lost in compression" : "no");
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
		more_html(f, s->series.n, n_series, "series of this study", NULL);
	}
	more_html(f, inv->studies.n, n_studies, "studies", NULL);

	fprintf(f, "<h2>Documents: %zu</h2>\n", inv->documents.n);
	size_t n_docs = MIN(inv->documents.n, REPORT_MAX_LISTED);
	if (inv->documents.n)
		fputs("<table><tr><th>File</th><th>Kind</th><th>Why</th><th>Biomarkers found</th><th>Treatment dates</th><th>Language</th><th>Text layer</th><th>Pages</th></tr>\n", f);
	for (size_t i = 0; i < n_docs; i++) {
		const struct ing_file *d = inv->documents.v[i];
		char pages[16] = "";
		fputs("<tr>", f);
		td(f, report_path(scan, d->path));
		td(f, rule_kind_words(scan->rules, d->kind));
		td(f, d->evidence);
		fputs("<td>", f);
		size_t nb = 0;
		for (size_t k = 0; d->doc && k < d->doc->n_markers; k++) {
			const struct doc_marker *m = &d->doc->markers[k];
			fputs(nb++ ? "<br>" : "", f);
			esc(f, m->name);
			fputs(": ", f);
			esc(f, m->state == MARKER_FOUND || m->state == MARKER_CONTEXT ? m->result
			       : m->state == MARKER_PENDING ? "pending (not found)"
			       : m->state == MARKER_NOT_DONE ? "not done (not found)" : "insufficient (not found)");
			if (m->amendment)
				fputs(" <em>(amended)</em>", f);
			if (m->state == MARKER_CONTEXT)
				fputs(m->superseded ? " <em>(superseded by the amendment: not counted)</em>"
				      : m->modifiers & MOD_FAMILY ? " <em>(about a relative: not counted)</em>"
				      : " <em>(hypothetical or only possible: not counted)</em>", f);
			else if (m->ocr)
				fputs(" <em>(read by OCR)</em>", f);
		}
		if (!nb)
			fputs("—", f);
		fputs("</td><td>", f);
		for (size_t k = 0; d->doc && k < d->doc->n_treatments; k++) {
			const struct doc_treatment *t = &d->doc->treatments[k];
			fputs(k ? "<br>" : "", f);
			esc(f, t->date);
			fputs(" ", f);
			esc(f, t->what);
			if (t->precision && strcmp(t->precision, "day") != 0)
				fputs(strcmp(t->precision, "month") == 0 ? " (month only)" : " (day/month order unclear)", f);
		}
		if (!d->doc || !d->doc->n_treatments)
			fputs("—", f);
		fputs("</td>", f);
		td(f, d->doc ? d->doc->language : NULL);
		td(f, d->doc && d->doc->text_layer ? "yes" : "no");
		if (d->doc && d->doc->pages >= 0)
			snprintf(pages, sizeof(pages), "%d", d->doc->pages);
		td(f, pages);
		fputs("</tr>\n", f);
	}
	if (inv->documents.n)
		fputs("</table>\n", f);
	more_html(f, inv->documents.n, n_docs, "documents", "the package's provenance.tsv lists every file it holds");

	fprintf(f, "<h2>Problems: %zu</h2>\n", inv->problems.n);
	if (inv->problems.n)
		fputs("<table><tr><th>File</th><th>Problem</th><th>What to do</th></tr>\n", f);
	size_t n_prob = MIN(inv->problems.n, REPORT_MAX_LISTED);
	for (size_t i = 0; i < n_prob; i++) {
		const struct ing_file *p = inv->problems.v[i];
		fputs("<tr>", f);
		td(f, report_path(scan, p->path));
		td(f, problem_name(p->problem));
		td(f, p->problem_msg);
		fputs("</tr>\n", f);
	}
	if (inv->problems.n)
		fputs("</table>\n", f);
	if (n_prob < inv->problems.n) {
		size_t by[_PROB_MAX] = { 0 };
		char a[32];
		bool first = true;
		for (size_t i = n_prob; i < inv->problems.n; i++)
			by[((const struct ing_file *)inv->problems.v[i])->problem]++;
		struct strbuf codes;
		strbuf_init(&codes, 1024);
		strbuf_puts(&codes, "not listed, by code: ");
		for (int c = 0; c < _PROB_MAX; c++)
			if (by[c]) {
				strbuf_printf(&codes, "%s%s %s", first ? "" : ", ", report_count(a, by[c]),
				              problem_name((enum ing_problem)c));
				first = false;
			}
		more_html(f, inv->problems.n, n_prob, "problems", codes.s);
		strbuf_free(&codes);
	}

	fprintf(f, "<h2>Left out (viewer software, system files): %zu</h2>\n", inv->excluded.n);
	if (inv->excluded.n)
		fputs("<table><tr><th>File</th><th>Kind</th><th>Why</th></tr>\n", f);
	size_t n_excl = MIN(inv->excluded.n, REPORT_MAX_LISTED);
	for (size_t i = 0; i < n_excl; i++) {
		const struct ing_file *x = inv->excluded.v[i];
		fputs("<tr>", f);
		td(f, report_path(scan, x->path));
		td(f, rule_kind_words(scan->rules, x->kind));
		td(f, x->evidence);
		fputs("</tr>\n", f);
	}
	if (inv->excluded.n)
		fputs("</table>\n", f);
	more_html(f, inv->excluded.n, n_excl, "files left out", NULL);
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
