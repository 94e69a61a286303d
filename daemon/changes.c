/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What changed between the previous published report of a case and the new
 * one (SPEC §5 "changes"): drops and documents received, studies received,
 * biomarkers now found, gaps resolved, new and still open, status.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ingestd.h"


static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static size_t alen(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static void add(json_object *out, const char *what, const char *detail)
{
	if (json_object_array_length(out) >= CHANGES_MAX)
		return;
	json_object *c = json_object_new_object();
	json_object_object_add(c, "what", json_object_new_string(what));
	json_object_object_add(c, "detail", json_object_new_string(detail ? detail : ""));
	json_object_array_add(out, c);
}

/* Does array A hold an object whose KEY equals VAL (and KEY2 equals VAL2 when given)? */
static bool has(json_object *a, const char *key, const char *val)
{
	for (size_t i = 0; i < alen(a); i++) {
		const char *v = str(json_object_array_get_idx(a, i), key);
		if (v && val && strcmp(v, val) == 0)
			return true;
	}
	return false;
}

/* Biomarker names found anywhere in the documents of a report. */
static bool biomarker_found(json_object *report, const char *name)
{
	json_object *docs = get(get(report, "inventory"), "documents");
	for (size_t i = 0; i < alen(docs); i++)
		if (has(get(json_object_array_get_idx(docs, i), "biomarkers"), "name", name))
			return true;
	return false;
}

/* How many entries the list KEY of REPORT has: its "truncated" total when
 * the report cut it (REPORT_MAX_LISTED), else its length; *CUT says which. */
static size_t list_total(json_object *report, json_object *list, const char *key, bool *cut)
{
	json_object *t = get(get(report, "truncated"), key), *n = get(t, "total");
	*cut = n && json_object_is_type(n, json_type_int);
	return *cut ? (size_t)json_object_get_int64(n) : alen(list);
}

/* Entries of the list KEY received since the old report: one by one, or a
 * count when either report lists only part of it. Returns true for the
 * latter. */
static bool received_count(json_object *out, json_object *o, json_object *ol, json_object *n, json_object *nl,
                           const char *key, const char *what)
{
	bool ocut, ncut;
	size_t on = list_total(o, ol, key, &ocut), nn = list_total(n, nl, key, &ncut);
	char buf[160];
	if (!ocut && !ncut)
		return false;
	if (nn != on) {
		snprintf(buf, sizeof(buf), "%zu before, %zu now (too many to list)", on, nn);
		add(out, what, buf);
	}
	return true;
}

char *changes_compute(const char *old_json, const char *new_json, const char *new_drop)
{
	json_object *out = json_object_new_array();
	json_object *o = old_json ? json_tokener_parse(old_json) : NULL;
	json_object *n = new_json ? json_tokener_parse(new_json) : NULL;
	char buf[1024];

	if (!o) {
		snprintf(buf, sizeof(buf), "first report of this case (drop %s)", new_drop ? new_drop : "?");
		add(out, "first report", buf);
		goto done;
	}
	if (new_drop)
		add(out, "drop received", new_drop);
	const char *os = str(o, "status"), *ns = str(n, "status");
	if (os && ns && strcmp(os, ns) != 0) {
		snprintf(buf, sizeof(buf), "%s -> %s", os, ns);
		add(out, "status changed", buf);
	}
	json_object *od = get(get(o, "inventory"), "documents"), *nd = get(get(n, "inventory"), "documents");
	bool docs_counted = received_count(out, o, od, n, nd, "inventory.documents", "documents");
	for (size_t i = 0; i < alen(nd); i++) {
		json_object *d = json_object_array_get_idx(nd, i);
		const char *path = str(d, "path");
		if (path && !docs_counted && !has(od, "path", path)) {
			snprintf(buf, sizeof(buf), "%s (%s)", path, str(d, "kind") ? str(d, "kind") : "document");
			add(out, "document received", buf);
		}
		json_object *bms = get(d, "biomarkers");
		for (size_t b = 0; b < alen(bms); b++) {
			json_object *bm = json_object_array_get_idx(bms, b);
			const char *name = str(bm, "name");
			if (name && !biomarker_found(o, name) && !has(out, "detail", name)) {
				const char *res = str(bm, "result");
				snprintf(buf, sizeof(buf), "%s%s%s", name, res ? ": " : "", res ? res : "");
				add(out, "biomarker now found", buf);
			}
		}
	}
	json_object *ost = get(get(o, "inventory"), "studies"), *nst = get(get(n, "inventory"), "studies");
	bool studies_counted = received_count(out, o, ost, n, nst, "inventory.studies", "imaging studies");
	for (size_t i = 0; !studies_counted && i < alen(nst); i++) {
		json_object *s = json_object_array_get_idx(nst, i);
		const char *uid = str(s, "study_uid");
		if (uid && !has(ost, "study_uid", uid)) {
			snprintf(buf, sizeof(buf), "%s %s", str(s, "date") ? str(s, "date") : "(no date)",
			         str(s, "description") ? str(s, "description") : "");
			add(out, "imaging study received", buf);
		}
	}
	json_object *og = get(o, "gaps"), *ng = get(n, "gaps");
	for (size_t i = 0; i < alen(og); i++) {
		json_object *g = json_object_array_get_idx(og, i);
		const char *id = str(g, "rule_id");
		if (id && !has(ng, "rule_id", id)) {
			snprintf(buf, sizeof(buf), "%s (%s): %s", id, str(g, "severity") ? str(g, "severity") : "?",
			         str(g, "message") ? str(g, "message") : "");
			add(out, "gap resolved", buf);
		}
	}
	for (size_t i = 0; i < alen(ng); i++) {
		json_object *g = json_object_array_get_idx(ng, i);
		const char *id = str(g, "rule_id");
		if (!id)
			continue;
		bool open_before = has(og, "rule_id", id);
		/* A gap still open was described in the previous report: its id is enough. */
		if (open_before)
			snprintf(buf, sizeof(buf), "%s (%s)", id, str(g, "severity") ? str(g, "severity") : "?");
		else
			snprintf(buf, sizeof(buf), "%s (%s): %s", id, str(g, "severity") ? str(g, "severity") : "?",
			         str(g, "message") ? str(g, "message") : "");
		add(out, open_before ? "gap still open" : "new gap", buf);
	}
done:
	{
		char *s = xstrdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
		json_object_put(o);
		json_object_put(n);
		return s;
	}
}
