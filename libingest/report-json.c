/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The gap report as JSON, with exactly the key names of SPEC §5. */
#include <json-c/json.h>

#include "config.h"
#include "scan.h"

static json_object *jstr_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
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

static json_object *study_json(const struct inv_study *st)
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
	for (size_t i = 0; i < st->series.n; i++)
		json_object_array_add(ser, series_json(st->series.v[i]));
	json_object_object_add(o, "series", ser);
	return o;
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
	json_object_object_add(o, "biomarkers", json_object_new_array());
	return o;
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

int ing_scan_to_json(const struct ing_scan *scan, char **out)
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
	for (size_t i = 0; i < inv->patients.n; i++) {
		const struct inv_patient *p = inv->patients.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(p->key));
		json_object_object_add(o, "sources", json_object_new_int((int)p->sources));
		json_object_array_add(a, o);
	}
	json_object_object_add(invo, "patients", a);
	a = json_object_new_array();
	for (size_t i = 0; i < inv->studies.n; i++)
		json_object_array_add(a, study_json(inv->studies.v[i]));
	json_object_object_add(invo, "studies", a);
	a = json_object_new_array();
	for (size_t i = 0; i < inv->documents.n; i++)
		json_object_array_add(a, document_json(inv->documents.v[i]));
	json_object_object_add(invo, "documents", a);
	a = json_object_new_array();
	for (size_t i = 0; i < inv->excluded.n; i++) {
		const struct ing_file *f = inv->excluded.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(f->path));
		json_object_object_add(o, "kind", json_object_new_string(kind_name(f->kind)));
		json_object_object_add(o, "reason", jstr_or_null(f->evidence));
		json_object_array_add(a, o);
	}
	json_object_object_add(invo, "excluded", a);
	a = json_object_new_array();
	for (size_t i = 0; i < scan->files.n; i++)
		json_object_array_add(a, file_json(scan->files.v[i]));
	json_object_object_add(invo, "files", a);
	json_object_object_add(root, "inventory", invo);

	a = json_object_new_array();
	for (size_t i = 0; i < inv->problems.n; i++) {
		const struct ing_file *f = inv->problems.v[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(f->path));
		json_object_object_add(o, "code", json_object_new_string(problem_name(f->problem)));
		json_object_object_add(o, "message", json_object_new_string(f->problem_msg ? f->problem_msg : ""));
		json_object_object_add(o, "kind", json_object_new_string(kind_name(f->kind)));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "problems", a);

	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = xstrdup(s);
	json_object_put(root);
	return 0;
}
