/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The report as one self-contained HTML page (gap-report.html in the
 * package): status first, then the inventory and the problems. No script, no
 * external resource; every string from the drop is escaped.
 */
#include <stdio.h>

#include "scan.h"

static void esc(FILE *f, const char *s)
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

static void td(FILE *f, const char *s)
{
	fputs("<td>", f);
	esc(f, s && s[0] ? s : "—");
	fputs("</td>", f);
}

int ing_scan_write_html(const struct ing_scan *scan, const char *status, FILE *f)
{
	const struct inventory *inv = &scan->inv;
	const char *st = status ? status : "incomplete";
	const char *colour = strcmp(st, "complete") == 0 ? "#1b5e20" : strcmp(st, "blocked") == 0 ? "#b71c1c" : "#e65100";

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<title>Gap report — ", f);
	esc(f, scan->case_id);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
	      "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:.25em .5em;"
	      "text-align:left;vertical-align:top}th{background:#eee}.status{color:#fff;padding:.5em 1em;"
	      "display:inline-block;font-size:1.3em}</style></head><body>\n", f);
	fputs("<h1>Gap report — case ", f);
	esc(f, scan->case_id);
	fprintf(f, "</h1>\n<p class=\"status\" style=\"background:%s\">Status: ", colour);
	esc(f, st);
	fputs("</p>\n<p>Generated ", f);
	esc(f, scan->generated_at);
	fprintf(f, "; %zu files, %llu bytes; %zu patient(s) seen in the images%s.</p>\n", scan->files.n,
	        (unsigned long long)scan->total_bytes, inv->patients.n,
	        inv->patients.n > 1 ? " — <strong>records of more than one patient</strong>" : "");

	fprintf(f, "<h2>Imaging: %zu studies, %u instances</h2>\n", inv->studies.n, inv->dicom_instances);
	for (size_t i = 0; i < inv->studies.n; i++) {
		const struct inv_study *s = inv->studies.v[i];
		fputs("<h3>", f);
		esc(f, s->date_iso[0] ? s->date_iso : "(no date)");
		fputs(" ", f);
		esc(f, s->modalities);
		fputs(" — ", f);
		esc(f, s->description[0] ? s->description : "(no description)");
		if (s->body_part[0]) {
			fputs(" — ", f);
			esc(f, s->body_part);
		}
		fputs("</h3>\n<table><tr><th>Modality</th><th>Series</th><th>Instances</th><th>Missing instances</th>"
		      "<th>Slice gaps</th><th>Transfer syntax</th><th>Lossy</th></tr>\n", f);
		for (size_t j = 0; j < s->series.n; j++) {
			const struct inv_series *se = s->series.v[j];
			char n[32];
			fputs("<tr>", f);
			td(f, se->modality);
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
			td(f, se->transfer_syntax);
			td(f, se->lossy ? "yes" : "no");
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
	}

	fprintf(f, "<h2>Documents: %zu</h2>\n", inv->documents.n);
	if (inv->documents.n)
		fputs("<table><tr><th>File</th><th>Kind</th><th>Why</th><th>Language</th><th>Text layer</th><th>Pages</th></tr>\n", f);
	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *d = inv->documents.v[i];
		char pages[16] = "";
		fputs("<tr>", f);
		td(f, d->path);
		td(f, kind_name(d->kind));
		td(f, d->evidence);
		td(f, d->doc ? d->doc->language : NULL);
		td(f, d->doc && d->doc->text_layer ? "yes" : "no");
		if (d->doc && d->doc->pages >= 0)
			snprintf(pages, sizeof(pages), "%d", d->doc->pages);
		td(f, pages);
		fputs("</tr>\n", f);
	}
	if (inv->documents.n)
		fputs("</table>\n", f);

	fprintf(f, "<h2>Problems: %zu</h2>\n", inv->problems.n);
	if (inv->problems.n)
		fputs("<table><tr><th>File</th><th>Problem</th><th>What to do</th></tr>\n", f);
	for (size_t i = 0; i < inv->problems.n; i++) {
		const struct ing_file *p = inv->problems.v[i];
		fputs("<tr>", f);
		td(f, p->path);
		td(f, problem_name(p->problem));
		td(f, p->problem_msg);
		fputs("</tr>\n", f);
	}
	if (inv->problems.n)
		fputs("</table>\n", f);

	fprintf(f, "<h2>Left out (viewer software, system files): %zu</h2>\n", inv->excluded.n);
	if (inv->excluded.n)
		fputs("<table><tr><th>File</th><th>Kind</th><th>Why</th></tr>\n", f);
	for (size_t i = 0; i < inv->excluded.n; i++) {
		const struct ing_file *x = inv->excluded.v[i];
		fputs("<tr>", f);
		td(f, x->path);
		td(f, kind_name(x->kind));
		td(f, x->evidence);
		fputs("</tr>\n", f);
	}
	if (inv->excluded.n)
		fputs("</table>\n", f);
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
