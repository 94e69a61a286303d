/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A readable summary of the inventory for people at a terminal. */
#include <stdio.h>

#include <json-c/json.h>

#include "evaluate.h"
#include "case.h"
#include "report-summary.h"

const char *report_count(char buf[static 32], size_t n)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%zu", n), o = 0;
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

/* The line that ends a list cut at REPORT_MAX_LISTED: how many more, and where. */
static void more_text(FILE *out, size_t total, size_t shown, const char *what, const char *where)
{
	char a[32], b[32];
	if (total > shown)
		fprintf(out, "  ... and %s more %s (%s listed here)%s%s\n", report_count(a, total - shown), what,
		        report_count(b, shown), where ? "; " : "", where ? where : "");
}

/* "98,000 limit, 412 unsafe": the problems of PROBLEMS past the first SKIP, by code. */
static void problems_by_code(FILE *out, const struct ptrvec *problems, size_t skip)
{
	size_t by[_PROB_MAX] = { 0 };
	char a[32];
	bool first = true;
	for (size_t i = skip; i < problems->n; i++)
		by[((const struct ing_file *)problems->v[i])->problem]++;
	for (int c = 0; c < _PROB_MAX; c++)
		if (by[c]) {
			fprintf(out, "%s%s %s", first ? "" : ", ", report_count(a, by[c]), problem_name((enum ing_problem)c));
			first = false;
		}
}

/* The documents a gap's item may be in that were not (fully) read: together, under the gap, each with why. */
static void unread_text(const struct ing_scan *scan, const struct ing_gap *g, FILE *out)
{
	if (!g->n_unread)
		return;
	fprintf(out, "      Check by eye first — could not be read automatically:\n");
	for (size_t k = 0; k < g->n_unread; k++)
		fprintf(out, "        * %s: %s\n", report_path(scan, g->unread[k].path), g->unread[k].detail);
	if (g->unread_total > g->n_unread)
		fprintf(out, "        * and %zu more (see the inventory)\n", g->unread_total - g->n_unread);
}

static void gaps_text(const struct ing_scan *scan, FILE *out, enum rule_severity sev, bool conditional,
                      const char *title)
{
	size_t n = 0;
	for (size_t i = 0; i < scan->gaps.n; i++) {
		const struct ing_gap *g = scan->gaps.v[i];
		if (g->severity != sev || (g->condition != NULL) != conditional)
			continue;
		if (!n++)
			fprintf(out, "\n%s:\n", title);
		_cleanup_free_ char *msg = report_dropped_words(scan, g->message), *evid = report_dropped_words(scan, g->evidence);
		fprintf(out, "  - %s\n      [%s]%s%s\n", msg ? msg : g->message, g->rule_id, g->evidence ? " " : "",
		        evid ? evid : g->evidence ? g->evidence : "");
		unread_text(scan, g, out);
	}
}

/* The verdict first: status, then what to do, most important first. */
/* What changed since the previous report of the case (the daemon sets it). */
static void changes_text(const struct ing_scan *scan, FILE *out)
{
	json_object *ch = scan->changes_json ? json_tokener_parse(scan->changes_json) : NULL;
	size_t n = ch && json_object_is_type(ch, json_type_array) ? json_object_array_length(ch) : 0;
	if (n)
		fprintf(out, "\nWhat changed since the last report:\n");
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(ch, i), *w = NULL, *d = NULL;
		json_object_object_get_ex(c, "what", &w);
		json_object_object_get_ex(c, "detail", &d);
		const char *ds = d ? json_object_get_string(d) : NULL;
		_cleanup_free_ char *dw = report_dropped_words(scan, ds);
		fprintf(out, "  - %s%s%s\n", w ? json_object_get_string(w) : "", ds ? ": " : "", dw ? dw : ds ? ds : "");
	}
	json_object_put(ch);
}

/* Required gaps whose item may be in a document that was not read (unread_could_answer). */
static size_t required_in_unread(const struct ing_scan *scan)
{
	size_t n = 0;
	for (size_t i = 0; i < scan->gaps.n; i++) {
		const struct ing_gap *g = scan->gaps.v[i];
		n += g->severity == RULE_SEV_REQUIRED && g->unread_could_answer;
	}
	return n;
}

static void verdict_text(const struct ing_scan *scan, FILE *out)
{
	const char *status = ing_scan_status(scan, NULL);
	const struct case_yaml *cy = scan->case_yaml;

	if (strcmp(status, "blocked") == 0)
		fprintf(out, "\nSTATUS: BLOCKED — nothing usable was found (no readable DICOM images and no readable "
		        "document). Check what was sent.\n");
	else if (strcmp(status, "incomplete") == 0) {
		fprintf(out, "\nSTATUS: INCOMPLETE — %u required item%s missing; the case stays pending until %s.\n",
		        scan->required_gaps, scan->required_gaps == 1 ? " is" : "s are",
		        scan->required_gaps == 1 ? "it arrives" : "they arrive");
		size_t look = required_in_unread(scan);
		if (look)
			fprintf(out, "%zu of them may be in documents that could not be read automatically: check those by "
			        "eye before asking the hospital.\n", look);
	}
	else
		fprintf(out, "\nSTATUS: COMPLETE — nothing required is missing.\n");
	fprintf(out, "Cancer type: %s (%s%s%s)\n", scan->cancer_type ? scan->cancer_type : "generic",
	        scan->cancer_type_source ? scan->cancer_type_source : "generic",
	        scan->cancer_type_evidence ? ": " : "", scan->cancer_type_evidence ? scan->cancer_type_evidence : "");
	fprintf(out, "Setting: %s\n", scan->setting ? rule_setting_name(scan->setting)
	        : "not given (items that depend on it are only recommended)");
	if (cy && cy->question)
		fprintf(out, "Question: %s\n", cy->question);
	summary_write_text(scan, out);
	changes_text(scan, out);
	gaps_text(scan, out, RULE_SEV_REQUIRED, false, "Required — ask for these before the case can go");
	gaps_text(scan, out, RULE_SEV_RECOMMENDED, false, "Recommended — ask for these if possible");
	gaps_text(scan, out, RULE_SEV_RECOMMENDED, true, "Check whether these apply to this patient");
	gaps_text(scan, out, RULE_SEV_WARNING, false, "Warnings — quality problems");
	gaps_text(scan, out, RULE_SEV_WARNING, true, "Warnings that apply only in some cases");
	for (size_t i = 0; i < scan->notes.n; i++) {
		const struct ing_gap *g = scan->notes.v[i];
		if (!i)
			fprintf(out, "\nNotes:\n");
		_cleanup_free_ char *msg = report_dropped_words(scan, g->message), *evid = report_dropped_words(scan, g->evidence);
		fprintf(out, "  - %s\n      [%s]%s%s\n", msg ? msg : g->message, g->rule_id, g->evidence ? " " : "",
		        evid ? evid : g->evidence ? g->evidence : "");
	}
}

/* "1 study", "2 studies" */
static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int ing_scan_write_text(const struct ing_scan *scan, FILE *out)
{
	const struct inventory *inv = &scan->inv;
	unsigned counts[_KIND_MAX] = { 0 };

	fprintf(out, "Case %s — %zu %s, %.1f MB (scanned %s)\n", scan->case_id, scan->files.n,
	        plural(scan->files.n, "file", "files"), (double)scan->total_bytes / 1e6, scan->generated_at);
	verdict_text(scan, out);
	for (size_t i = 0; i < scan->files.n; i++)
		counts[((struct ing_file *)scan->files.v[i])->kind]++;
	fprintf(out, "\nFiles by kind:\n");
	for (int k = 0; k < _KIND_MAX; k++)
		if (counts[k])
			fprintf(out, "  %-36s %u\n", rule_kind_words(scan->rules, k), counts[k]);

	fprintf(out, "\nPatients seen in the images and documents: %zu%s\n", inv->patients.n,
	        inv->patients.n > 1 ? "  <-- records of more than one patient" : "");
	for (size_t i = 0; i < inv->patients.n && i < REPORT_TEXT_PATIENTS; i++) {
		const struct inv_patient *p = inv->patients.v[i];
		fprintf(out, "  patient %s: %zu %s, %zu %s", p->key, p->studies.n, plural(p->studies.n, "study", "studies"),
		        p->documents.n, plural(p->documents.n, "document", "documents"));
		for (size_t k = 0; k < p->documents.n && k < REPORT_TEXT_PATIENTS; k++)
			fprintf(out, "%s%s", k ? ", " : " (", report_path(scan, ((const struct ing_file *)p->documents.v[k])->path));
		fputs(p->documents.n ? ")\n" : "\n", out);
	}

	fprintf(out, "\nImaging: %zu %s, %u %s\n", inv->studies.n, plural(inv->studies.n, "study", "studies"),
	        inv->dicom_instances, inv->dicom_instances == 1 ? "DICOM file" : "DICOM files");
	size_t series_left = REPORT_MAX_LISTED, n_studies = MIN(inv->studies.n, REPORT_MAX_LISTED);
	for (size_t i = 0; i < n_studies; i++) {
		const struct inv_study *st = inv->studies.v[i];
		const char *part = rule_word(scan->rules, RULE_WORDS_BODY_PART, st->body_part);
		fprintf(out, "  %s  ", st->date_iso[0] ? st->date_iso : "(no date)");
		report_modalities(out, scan->rules, st->modalities, false);
		fprintf(out, " — %s%s%s\n", st->description[0] ? st->description : "(no description)",
		        st->body_part[0] ? " — " : "", part ? part : st->body_part);
		size_t n_series = MIN(st->series.n, series_left);
		series_left -= n_series;
		for (size_t j = 0; j < n_series; j++) {
			const struct inv_series *se = st->series.v[j];
			const char *ts = rule_word(scan->rules, RULE_WORDS_TRANSFER_SYNTAX, se->transfer_syntax);
			fprintf(out, "      %-3s %4zu %s  %s", se->modality, se->files.n, plural(se->files.n, "file ", "files"),
			        se->description[0] ? se->description : "(no description)");
			if (se->lossy)
				fprintf(out, "  [compressed with loss of detail%s%s%s]", ts ? " (" : "", ts ? ts : "", ts ? ")" : "");
			fputc('\n', out);
			if (se->n_missing) {
				fprintf(out, "          missing instance numbers:");
				for (size_t k = 0; k < se->n_missing && k < 20; k++)
					fprintf(out, " %d", se->missing[k]);
				fprintf(out, "%s\n", se->n_missing > 20 || se->missing_truncated ? " ..." : "");
			}
			for (size_t k = 0; k < se->n_gaps; k++)
				fprintf(out, "          slice gap: %d slice(s) missing between instances %d and %d (%.1f mm step, spacing %.1f mm)\n",
				        se->gaps[k].missing, se->gaps[k].after_instance, se->gaps[k].before_instance,
				        se->gaps[k].gap_mm, se->gaps[k].spacing_mm);
		}
		if (n_series < st->series.n)
			more_text(out, st->series.n, n_series, "series of this study", NULL);
	}
	more_text(out, inv->studies.n, n_studies, "studies", NULL);

	for (size_t i = 0; i < inv->dicomdirs.n && i < REPORT_MAX_LISTED; i++) {
		const struct inv_dicomdir *dd = inv->dicomdirs.v[i];
		fprintf(out, "\nDICOMDIR %s: %zu references", report_path(scan, dd->file->path), dd->refs);
		if (dd->missing.n)
			fprintf(out, ", %zu referenced files missing (e.g. %s)", dd->missing.n, (const char *)dd->missing.v[0]);
		if (dd->unreferenced.n)
			fprintf(out, ", %zu DICOM files not listed in it (e.g. %s)", dd->unreferenced.n,
			        report_path(scan, ((const struct ing_file *)dd->unreferenced.v[0])->path));
		if (dd->case_resolved)
			fprintf(out, ", %zu references matched only ignoring case or separators (%s), resolved",
			        dd->case_resolved, dd->case_example);
		if (dd->uid_mismatch)
			fprintf(out, ", %zu files hold another SOP Instance UID than listed", dd->uid_mismatch);
		fprintf(out, "\n    disc layout (IHE PDI, for information): DICOMDIR %s root; README %s; viewer %s\n",
		        dd->at_root ? "at the" : "not at the", dd->readme ? "present" : "absent",
		        dd->viewer ? "present" : "absent");
	}
	if (inv->dicomdirs.n > REPORT_MAX_LISTED)
		more_text(out, inv->dicomdirs.n, REPORT_MAX_LISTED, "DICOMDIRs", NULL);
	fprintf(out, "\nDocuments: %zu\n", inv->documents.n);
	size_t n_docs = MIN(inv->documents.n, REPORT_MAX_LISTED);
	for (size_t i = 0; i < n_docs; i++) {
		const struct ing_file *f = inv->documents.v[i];
		fprintf(out, "  %-20s %s\n      %s\n", rule_kind_words(scan->rules, f->kind), report_path(scan, f->path), f->evidence ? f->evidence : "");
		for (size_t k = 0; f->doc && k < f->doc->n_treatments; k++) {
			const struct doc_treatment *t = &f->doc->treatments[k];
			fprintf(out, "      treatment: %s %s%s\n", t->date, t->what,
			        t->precision && strcmp(t->precision, "month") == 0 ? " (month only)" :
			        t->precision && strcmp(t->precision, "day-or-month") == 0 ? " (day/month order unclear)" : "");
		}
	}
	more_text(out, inv->documents.n, n_docs, "documents",
	          "the package's provenance.tsv lists every file it holds");
	fprintf(out, "\nLeft out (viewer software, system files): %zu\n", inv->excluded.n);
	size_t n_excl = MIN(inv->excluded.n, REPORT_MAX_LISTED);
	for (size_t i = 0; i < n_excl; i++) {
		const struct ing_file *f = inv->excluded.v[i];
		fprintf(out, "  %s (%s)\n", report_path(scan, f->path), rule_kind_words(scan->rules, f->kind));
	}
	more_text(out, inv->excluded.n, n_excl, "files left out", NULL);
	fprintf(out, "\nProblems: %zu\n", inv->problems.n);
	size_t n_prob = MIN(inv->problems.n, REPORT_MAX_LISTED);
	for (size_t i = 0; i < n_prob; i++) {
		const struct ing_file *f = inv->problems.v[i];
		fprintf(out, "  [%s] %s: %s\n", problem_name(f->problem), report_path(scan, f->path), f->problem_msg ? f->problem_msg : "");
	}
	if (n_prob < inv->problems.n) {
		more_text(out, inv->problems.n, n_prob, "problems", NULL);
		fprintf(out, "      not listed, by code: ");
		problems_by_code(out, &inv->problems, n_prob);
		fprintf(out, "\n");
	}
	return ferror(out) ? -EIO : 0;
}
