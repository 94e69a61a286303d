/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The gap report as JSON, with exactly the key names of SPEC §5. */
#include <json-c/json.h>
#include <sys/random.h>

#include "build-config.h"
#include "evaluate.h"
#include "case.h"
#include "findings/findings.h"
#include "report-summary.h"
#include "testhooks.h"

static json_object *jstr_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

json_object *report_truncated(json_object *root, const char *key, size_t total, size_t listed)
{
	json_object *t = NULL, *e = json_object_new_object();
	if (!json_object_object_get_ex(root, "truncated", &t)) {
		t = json_object_new_object();
		json_object_object_add(root, "truncated", t);
	}
	json_object_object_add(e, "total", json_object_new_int64((int64_t)total));
	json_object_object_add(e, "listed", json_object_new_int64((int64_t)listed));
	json_object_object_add(t, key, e);
	return e;
}

/* How many of N entries a list shows; records the cut under KEY. */
static size_t listed(json_object *root, const char *key, size_t n)
{
	if (n <= REPORT_MAX_LISTED)
		return n;
	report_truncated(root, key, n, REPORT_MAX_LISTED);
	return REPORT_MAX_LISTED;
}

static json_object *series_json(const struct inv_series *s)
{
	json_object *o = json_object_new_object(), *miss = json_object_new_array(), *gaps = json_object_new_array();
	json_object_object_add(o, "series_uid", json_object_new_string(s->series_uid));
	json_object_object_add(o, "modality", jstr_or_null(s->modality));
	json_object_object_add(o, "description", jstr_or_null(s->description));
	json_object_object_add(o, "instances", json_object_new_int((int)s->files.n));
	for (size_t i = 0; i < s->n_missing; i++)
		json_object_array_add(miss, json_object_new_int(s->missing[i]));
	json_object_object_add(o, "missing_instances", miss);
	if (s->missing_truncated)
		json_object_object_add(o, "missing_instances_truncated", json_object_new_boolean(1));
	for (size_t i = 0; i < s->n_gaps; i++) {
		json_object *g = json_object_new_object();
		json_object_object_add(g, "after_instance", json_object_new_int(s->gaps[i].after_instance));
		json_object_object_add(g, "before_instance", json_object_new_int(s->gaps[i].before_instance));
		json_object_object_add(g, "missing_slices", json_object_new_int(s->gaps[i].missing));
		json_object_object_add(g, "spacing_mm", json_object_new_double(s->gaps[i].spacing_mm));
		json_object_object_add(g, "gap_mm", json_object_new_double(s->gaps[i].gap_mm));
		json_object_array_add(gaps, g);
	}
	json_object_object_add(o, "slice_gaps", gaps);
	json_object_object_add(o, "transfer_syntax", jstr_or_null(s->transfer_syntax));
	json_object_object_add(o, "lossy", json_object_new_boolean(s->lossy));
	return o;
}

/* One study, with as many of its series as *SERIES_LEFT (the budget of all
 * studies together) allows; study number I of the report ROOT. */
static json_object *study_json(json_object *root, size_t i, const struct inv_study *st, size_t *series_left)
{
	json_object *o = json_object_new_object(), *mods = json_object_new_array(), *ser = json_object_new_array();
	char buf[sizeof(st->modalities)];
	char *save = NULL;
	json_object_object_add(o, "study_uid", json_object_new_string(st->study_uid));
	json_object_object_add(o, "date", jstr_or_null(st->date_iso));
	memcpy(buf, st->modalities, sizeof(buf));
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_object_array_add(mods, json_object_new_string(t));
	json_object_object_add(o, "modalities", mods);
	json_object_object_add(o, "description", jstr_or_null(st->description));
	json_object_object_add(o, "body_part", jstr_or_null(st->body_part));
	size_t n = MIN(st->series.n, *series_left);
	if (n < st->series.n) {
		char key[64];
		snprintf(key, sizeof(key), "inventory.studies.%zu.series", i);
		report_truncated(root, key, st->series.n, n);
	}
	*series_left -= n;
	for (size_t k = 0; k < n; k++)
		json_object_array_add(ser, series_json(st->series.v[k]));
	json_object_object_add(o, "series", ser);
	return o;
}


static const char *marker_state_name(enum marker_state st)
{
	switch (st) {
	case MARKER_FOUND: return "found";
	case MARKER_PENDING: return "pending";
	case MARKER_INSUFFICIENT: return "insufficient";
	case MARKER_NOT_DONE: return "not-done";
	case MARKER_CONTEXT: return "context";
	}
	return "unknown";
}

/* The statement behind a biomarker entry (findings/findings.h): more keys,
 * each only when the document states it. */
static void marker_statement_json(json_object *x, const struct doc_marker *m)
{
	static const struct { unsigned bit; const char *name; } mods[] = {
		{ MOD_POSSIBLE, "possible" }, { MOD_HISTORICAL, "historical" },
		{ MOD_HYPOTHETICAL, "hypothetical" }, { MOD_FAMILY, "family" },
	};
	if (m->assertion)
		json_object_object_add(x, "assertion", json_object_new_string(m->assertion));
	if (m->polarity)
		json_object_object_add(x, "polarity", json_object_new_string(m->polarity));
	if (m->value)
		json_object_object_add(x, "value", json_object_new_string(m->value));
	if (m->variant)
		json_object_object_add(x, "variant", json_object_new_string(m->variant));
	if (m->method)
		json_object_object_add(x, "method", json_object_new_string(m->method));
	if (m->classification)
		json_object_object_add(x, "classification", json_object_new_string(m->classification));
	if (m->origin)
		json_object_object_add(x, "origin", json_object_new_string(m->origin));
	if (m->modifiers) {
		json_object *a = json_object_new_array();
		for (size_t k = 0; k < ARRAY_SIZE(mods); k++)
			if (m->modifiers & mods[k].bit)
				json_object_array_add(a, json_object_new_string(mods[k].name));
		json_object_object_add(x, "modifiers", a);
	}
	if (m->amendment)
		json_object_object_add(x, "amendment", json_object_new_boolean(true));
	if (m->superseded)
		json_object_object_add(x, "superseded", json_object_new_boolean(true));
	if (m->ocr)
		json_object_object_add(x, "ocr", json_object_new_boolean(true));
	if (m->line)
		json_object_object_add(x, "source", json_object_new_string(m->row ? "table-row" : "sentence"));
	if (m->line)
		json_object_object_add(x, "line", json_object_new_int((int)m->line));
}

static json_object *document_json(const struct ing_file *f)
{
	json_object *o = json_object_new_object();
	const struct doc_info *d = f->doc;
	json_object_object_add(o, "path", json_object_new_string(f->path));
	json_object_object_add(o, "kind", json_object_new_string(kind_name(f->kind)));
	json_object_object_add(o, "kind_evidence", jstr_or_null(f->evidence));
	json_object_object_add(o, "language", d ? jstr_or_null(d->language) : NULL);
	json_object_object_add(o, "script", d ? jstr_or_null(d->script) : NULL);
	json_object_object_add(o, "needs_translation", d && d->language ? json_object_new_boolean(d->needs_translation) : NULL);
	json_object_object_add(o, "text_layer", json_object_new_boolean(d && d->text_layer));
	json_object_object_add(o, "pages", d && d->pages >= 0 ? json_object_new_int(d->pages) : NULL);
	if (d && d->ocr) {
		json_object *ocr = json_object_new_object();
		json_object_object_add(ocr, "confidence", json_object_new_double(d->ocr_confidence));
		json_object_object_add(o, "ocr", ocr);
	}
	if (d && d->extract_error)
		json_object_object_add(o, "unread_reason", json_object_new_string(d->extract_error));
	/* SPEC §5: found markers only, each with the words that show it; what
	 * is pending or could not be tested is said separately, never as found;
	 * what is not the patient's present result (superseded by an amendment,
	 * about a relative, hypothetical, only possible) separately again. */
	json_object *bm = json_object_new_array(), *un = json_object_new_array(), *labs = json_object_new_array();
	json_object *cx = json_object_new_array();
	for (size_t i = 0; d && i < d->n_markers; i++) {
		const struct doc_marker *m = &d->markers[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(m->name));
		if (m->state == MARKER_FOUND || m->state == MARKER_CONTEXT)
			json_object_object_add(x, "result", jstr_or_null(m->result));
		else
			json_object_object_add(x, "state", json_object_new_string(marker_state_name(m->state)));
		json_object_object_add(x, "snippet", jstr_or_null(m->snippet));
		marker_statement_json(x, m);
		json_object_array_add(m->state == MARKER_FOUND ? bm : m->state == MARKER_CONTEXT ? cx : un, x);
	}
	json_object_object_add(o, "biomarkers", bm);
	json_object_object_add(o, "biomarkers_unresulted", un);
	json_object_object_add(o, "biomarkers_context", cx);
	for (size_t i = 0; d && i < d->n_labs; i++) {
		const struct doc_lab *l = &d->labs[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(l->name));
		json_object_object_add(x, "value", l->has_value ? json_object_new_double(l->value) : NULL);
		json_object_object_add(x, "value_text", jstr_or_null(l->value_text));
		json_object_object_add(x, "unit", jstr_or_null(l->unit));
		json_object_object_add(x, "date", jstr_or_null(l->date));
		json_object_object_add(x, "snippet", jstr_or_null(l->snippet));
		json_object_array_add(labs, x);
	}
	json_object_object_add(o, "labs", labs);
	if (d && d->treatments_read) {
		json_object *tr = json_object_new_array();
		for (size_t i = 0; i < d->n_treatments; i++) {
			const struct doc_treatment *t = &d->treatments[i];
			json_object *x = json_object_new_object();
			json_object_object_add(x, "date", jstr_or_null(t->date));
			json_object_object_add(x, "latest", jstr_or_null(t->latest));
			json_object_object_add(x, "precision", jstr_or_null(t->precision));
			json_object_object_add(x, "what", jstr_or_null(t->what));
			json_object_object_add(x, "snippet", jstr_or_null(t->snippet));
			json_object_array_add(tr, x);
		}
		json_object_object_add(o, "treatments", tr);
	}
	return o;
}

/* The DICOMDIR cross-check: what it lists against what is on the disc. */
static json_object *dicomdir_json(json_object *root, size_t idx, const struct inv_dicomdir *dd)
{
	char key[64];
	json_object *o = json_object_new_object(), *miss = json_object_new_array(), *unref = json_object_new_array();
	json_object *pdi = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(dd->file->path));
	json_object_object_add(o, "references", json_object_new_int64((int64_t)dd->refs));
	snprintf(key, sizeof(key), "inventory.dicomdirs.%zu.missing_files", idx);
	for (size_t i = 0, n = listed(root, key, dd->missing.n); i < n; i++)
		json_object_array_add(miss, json_object_new_string(dd->missing.v[i]));
	json_object_object_add(o, "missing_files", miss);
	snprintf(key, sizeof(key), "inventory.dicomdirs.%zu.unreferenced_files", idx);
	for (size_t i = 0, n = listed(root, key, dd->unreferenced.n); i < n; i++)
		json_object_array_add(unref, json_object_new_string(((struct ing_file *)dd->unreferenced.v[i])->path));
	json_object_object_add(o, "unreferenced_files", unref);
	json_object_object_add(o, "case_or_separator_mismatches", json_object_new_int64((int64_t)dd->case_resolved));
	if (dd->case_example)
		json_object_object_add(o, "case_mismatch_example", json_object_new_string(dd->case_example));
	json_object_object_add(o, "sop_uid_mismatches", json_object_new_int64((int64_t)dd->uid_mismatch));
	json_object_object_add(pdi, "dicomdir_at_root", json_object_new_boolean(dd->at_root));
	json_object_object_add(pdi, "readme", json_object_new_boolean(dd->readme));
	json_object_object_add(pdi, "viewer", json_object_new_boolean(dd->viewer));
	json_object_object_add(pdi, "ihe_pdi_folder", json_object_new_boolean(dd->ihe_pdi_folder));
	json_object_object_add(o, "ihe_pdi", pdi);
	return o;
}

static json_object *gaps_json(const struct ptrvec *gaps)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < gaps->n; i++) {
		const struct ing_gap *g = gaps->v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "rule_id", json_object_new_string(g->rule_id));
		json_object_object_add(o, "severity", json_object_new_string(rule_severity_name(g->severity)));
		json_object_object_add(o, "message", json_object_new_string(g->message));
		json_object_object_add(o, "evidence", jstr_or_null(g->evidence));
		if (g->condition)
			json_object_object_add(o, "condition", json_object_new_string(g->condition));
		if (g->n_unread) {
			json_object *u = json_object_new_array();
			for (size_t k = 0; k < g->n_unread; k++) {
				json_object *x = json_object_new_object();
				json_object_object_add(x, "path", json_object_new_string(g->unread[k].path));
				json_object_object_add(x, "reason", json_object_new_string(g->unread[k].reason));
				json_object_object_add(x, "detail", json_object_new_string(g->unread[k].detail));
				json_object_array_add(u, x);
			}
			json_object_object_add(o, "unread", u);
			if (g->unread_total > g->n_unread)
				json_object_object_add(o, "unread_total", json_object_new_int64((int64_t)g->unread_total));
		}
		json_object_object_add(o, "unread_could_answer", json_object_new_boolean(g->unread_could_answer));
		json_object_array_add(a, o);
	}
	return a;
}

/* cancer_type, setting, question, status and the case.yaml extras (SPEC §5). */
static void verdict_json(json_object *root, const struct ing_scan *scan)
{
	const struct case_yaml *cy = scan->case_yaml;
	json_object *ct = json_object_new_object(), *notify = json_object_new_array();
	json_object_object_add(ct, "id", json_object_new_string(scan->cancer_type ? scan->cancer_type : "generic"));
	json_object_object_add(ct, "source", json_object_new_string(scan->cancer_type_source ? scan->cancer_type_source
	                                                                                       : "generic"));
	json_object_object_add(ct, "evidence", jstr_or_null(scan->cancer_type_evidence));
	json_object_object_add(root, "cancer_type", ct);
	json_object_object_add(root, "setting", scan->setting ? json_object_new_string(rule_setting_name(scan->setting))
	                                                      : NULL);
	json_object_object_add(root, "question", cy ? jstr_or_null(cy->question) : NULL);
	json_object_object_add(root, "status", json_object_new_string(ing_scan_status(scan, NULL)));
	json_object_object_add(root, "required_gaps", json_object_new_int((int)scan->required_gaps));
	for (size_t i = 0; cy && i < cy->n_notify; i++)
		json_object_array_add(notify, json_object_new_string(cy->notify[i]));
	json_object_object_add(root, "notify", notify);
	json_object_object_add(root, "patient_language", cy ? jstr_or_null(cy->patient_language) : NULL);
}

static json_object *file_json(const struct ing_file *f)
{
	json_object *o = json_object_new_object();
	char hex[65];
	json_object_object_add(o, "path", json_object_new_string(f->path));
	json_object_object_add(o, "kind", json_object_new_string(kind_name(f->kind)));
	json_object_object_add(o, "kind_evidence", jstr_or_null(f->evidence));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)f->size));
	if (f->hashed)
		hex_encode(f->sha256, 32, hex);
	json_object_object_add(o, "sha256", f->hashed ? json_object_new_string(hex) : NULL);
	if (f->duplicate_of_other)
		json_object_object_add(o, "identical_duplicate", json_object_new_boolean(1));
	return o;
}

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* {"patients": P, "studies": S, "series": R, "instances": I} */
static json_object *counts_json(unsigned patients, unsigned studies, unsigned series, unsigned instances)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "patients", json_object_new_int64(patients));
	json_object_object_add(o, "studies", json_object_new_int64(studies));
	json_object_object_add(o, "series", json_object_new_int64(series));
	json_object_object_add(o, "instances", json_object_new_int64(instances));
	return o;
}

/* The text of root, with the array of files (inventory.files) written in
 * where MARK (a JSON string) stands, one file object at a time, indented as
 * json-c would have. */
static int splice_files(const struct ing_scan *scan, size_t n_files, json_object *root, const char *mark,
                        char **out)
{
	const char *s = json_object_to_json_string_ext(root, JSON_FLAGS);
	if (!s)
		return -ENOMEM;
	_cleanup_free_ char *quoted = xasprintf("\"%s\"", mark);
	const char *at = strstr(s, quoted);
	if (!at)
		return -EIO;
	const char *line = at;
	while (line > s && line[-1] != '\n')
		line--;
	size_t indent = 0;
	while (line[indent] == ' ')
		indent++;
	struct strbuf b;
	strbuf_init(&b, SIZE_MAX);
	int r = strbuf_append(&b, s, (size_t)(at - s));
	if (n_files == 0)
		r = r < 0 ? r : strbuf_puts(&b, "[ ]");
	else
		r = r < 0 ? r : strbuf_puts(&b, "[");
	for (size_t i = 0; r >= 0 && i < n_files; i++) {
		json_object *o = file_json(scan->files.v[i]);
		const char *t = json_object_to_json_string_ext(o, JSON_FLAGS);
		r = t ? strbuf_printf(&b, "%s\n%*s", i ? "," : "", (int)indent + 2, "") : -ENOMEM;
		/* every line of the object one level deeper (strings hold no raw newline) */
		for (const char *nl; r >= 0 && (nl = strchr(t, '\n')) != NULL; t = nl + 1)
			r = strbuf_printf(&b, "%.*s\n%*s", (int)(nl - t), t, (int)indent + 2, "");
		r = r < 0 ? r : strbuf_puts(&b, t);
		json_object_put(o);
	}
	if (n_files && r >= 0)
		r = strbuf_printf(&b, "\n%*s]", (int)indent, "");
	r = r < 0 ? r : strbuf_puts(&b, at + strlen(quoted));
	if (r < 0) {
		strbuf_free(&b);
		return r;
	}
	*out = strbuf_steal(&b);
	return 0;
}

int report_json_text(const struct ing_scan *scan, void (*extra)(json_object *root, void *ud), void *ud,
                     char **out)
{
	const struct inventory *inv = &scan->inv;
	json_object *root = json_object_new_object(), *invo = json_object_new_object();
	json_object *a, *sw = json_object_new_object();

	json_object_object_add(root, "schema_version", json_object_new_int(1));
	json_object_object_add(root, "case_id", json_object_new_string(scan->case_id));
	json_object_object_add(root, "generated_at", json_object_new_string(scan->generated_at));
	json_object_object_add(sw, "name", json_object_new_string("ingestd"));
	json_object_object_add(sw, "version", json_object_new_string(INGEST_VERSION));
	json_object_object_add(root, "software", sw);
	a = json_object_new_array();
	if (scan->n_drops) {
		for (size_t i = 0; i < scan->n_drops; i++) {
			json_object *d = json_object_new_object();
			json_object_object_add(d, "name", json_object_new_string(scan->drops[i].name));
			json_object_object_add(d, "received_at", jstr_or_null(scan->drops[i].received_at));
			json_object_array_add(a, d);
		}
	} else {
		/* a one-shot scan: the one drop scanned, received now */
		json_object *d = json_object_new_object();
		const char *base = scan->root ? path_basename(scan->root) : "";
		_cleanup_free_ char *name = utf8_sanitize(base[0] ? base : scan->case_id, strlen(base[0] ? base : scan->case_id));
		json_object_object_add(d, "name", json_object_new_string(name));
		json_object_object_add(d, "received_at", json_object_new_string(scan->generated_at));
		json_object_array_add(a, d);
	}
	json_object_object_add(root, "drops", a);
	json_object *ch = scan->changes_json ? json_tokener_parse(scan->changes_json) : NULL;
	json_object_object_add(root, "changes", ch ? ch : json_object_new_array());
	verdict_json(root, scan);
	json_object_object_add(root, "summary", summary_json(scan, root));

	a = json_object_new_array();
	for (size_t i = 0, n = listed(root, "inventory.patients", inv->patients.n); i < n; i++) {
		const struct inv_patient *p = inv->patients.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(p->key));
		json_object_object_add(o, "sources", json_object_new_int((int)p->sources));
		/* which records are this person's: study UIDs and document paths, never a name */
		json_object *sa = json_object_new_array(), *da = json_object_new_array();
		for (size_t k = 0; k < p->studies.n && k < REPORT_MAX_LISTED; k++) {
			const struct inv_study *st = p->studies.v[k];
			json_object_array_add(sa, json_object_new_string(st->study_uid));
		}
		for (size_t k = 0; k < p->documents.n && k < REPORT_MAX_LISTED; k++) {
			const struct ing_file *f = p->documents.v[k];
			json_object_array_add(da, json_object_new_string(f->path));
		}
		json_object_object_add(o, "studies", sa);
		json_object_object_add(o, "documents", da);
		json_object_array_add(a, o);
	}
	json_object_object_add(invo, "patients", a);
	/* the file-set as a PACS files it, by Patient ID, and the records of the
	 * package's DICOMDIR; each reason either differs from the counts above
	 * is a generic.pacs-* or generic.fileset-* gap */
	json_object_object_add(invo, "pacs", counts_json(inv->pacs.patients, inv->pacs.studies, inv->pacs.series,
	                                                 inv->pacs.instances));
	json_object_object_add(invo, "fileset", counts_json(inv->fileset.patients, inv->fileset.studies,
	                                                    inv->fileset.series, inv->fileset.instances));
	a = json_object_new_array();
	size_t series_left = REPORT_MAX_LISTED;
	for (size_t i = 0, n = listed(root, "inventory.studies", inv->studies.n); i < n; i++)
		json_object_array_add(a, study_json(root, i, inv->studies.v[i], &series_left));
	json_object_object_add(invo, "studies", a);
	a = json_object_new_array();
	for (size_t i = 0, n = listed(root, "inventory.documents", inv->documents.n); i < n; i++)
		json_object_array_add(a, document_json(inv->documents.v[i]));
	json_object_object_add(invo, "documents", a);
	a = json_object_new_array();
	for (size_t i = 0, n = listed(root, "inventory.excluded", inv->excluded.n); i < n; i++) {
		const struct ing_file *f = inv->excluded.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(f->path));
		json_object_object_add(o, "kind", json_object_new_string(kind_name(f->kind)));
		json_object_object_add(o, "reason", jstr_or_null(f->evidence));
		json_object_array_add(a, o);
	}
	json_object_object_add(invo, "excluded", a);
	a = json_object_new_array();
	for (size_t i = 0, n = listed(root, "inventory.dicomdirs", inv->dicomdirs.n); i < n; i++)
		json_object_array_add(a, dicomdir_json(root, i, inv->dicomdirs.v[i]));
	json_object_object_add(invo, "dicomdirs", a);
	/* The files are the bulk (a drop of 20,000 files: 7 MB of text, over
	 * 40 MB as a json-c tree): they go into the text one at a time, where
	 * this mark stands (random: no path can spell it). */
	uint8_t rnd[12];
	char mark[2 * sizeof(rnd) + 16];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		json_object_put(root);
		json_object_put(invo);
		return -EIO;
	}
	memcpy(mark, "ingest-files-", 13);
	hex_encode(rnd, sizeof(rnd), mark + 13);
	json_object_object_add(invo, "files", json_object_new_string(mark));
	size_t n_files = listed(root, "inventory.files", scan->files.n);
	json_object_object_add(root, "inventory", invo);
	json_object_object_add(root, "gaps", gaps_json(&scan->gaps));
	json_object_object_add(root, "notes", gaps_json(&scan->notes));

	a = json_object_new_array();
	size_t n_problems = listed(root, "problems", inv->problems.n);
	if (n_problems < inv->problems.n) {
		/* what the ones not listed are: a count per code */
		size_t by[_PROB_MAX] = { 0 };
		json_object *bc = json_object_new_object();
		for (size_t i = 0; i < inv->problems.n; i++)
			by[((const struct ing_file *)inv->problems.v[i])->problem]++;
		for (int c = 0; c < _PROB_MAX; c++)
			if (by[c])
				json_object_object_add(bc, problem_name((enum ing_problem)c), json_object_new_int64((int64_t)by[c]));
		json_object *t = NULL, *e = NULL;
		json_object_object_get_ex(root, "truncated", &t);
		json_object_object_get_ex(t, "problems", &e);
		json_object_object_add(e, "by_code", bc);
	}
	for (size_t i = 0; i < n_problems; i++) {
		const struct ing_file *f = inv->problems.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(f->path));
		json_object_object_add(o, "code", json_object_new_string(problem_name(f->problem)));
		json_object_object_add(o, "message", json_object_new_string(f->problem_msg ? f->problem_msg : ""));
		json_object_object_add(o, "kind", json_object_new_string(kind_name(f->kind)));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "problems", a);
	if (extra)
		extra(root, ud);

	int r = splice_files(scan, n_files, root, mark, out);
	json_object_put(root);
	/* JSON is UTF-8: every string from a drop is made valid where it is taken (paths, names, libmagic's
	 * words...); one that was not would make the whole report unreadable to a strict parser, so the
	 * text is checked whole, and an invalid byte becomes U+FFFD (JSON's own syntax is ASCII) */
	if (r == 0) {
		size_t n = strlen(*out);
		if (utf8_valid_prefix(*out, n) != n) {
			char *valid = utf8_sanitize(*out, n);
			free(*out);
			*out = valid;
		}
	}
	if (r == 0)
		testhook_report_copy(*out);
	return r;
}

int ing_scan_to_json(const struct ing_scan *scan, char **out)
{
	return report_json_text(scan, NULL, NULL, out);
}
