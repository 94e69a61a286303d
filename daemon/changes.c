/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What changed between the previous published report of a case and the new
 * one (SPEC §5 "changes", docs/daemon.md): only what is new, resolved or worse
 * (drops, documents and studies received, biomarkers now found, gaps resolved,
 * new or of a higher severity, status); what stayed the same is one line
 * ("24 items unchanged"). The text is for the coordinator: gaps by their own
 * words, documents by the name they were sent with; rule ids stay in the
 * entries' "rule_id" field for machines.
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

/* One entry; DETAIL NULL: none (the line is WHAT alone); KEY/VAL: a field for machines. */
static void add_keyed(json_object *out, const char *what, const char *detail, const char *key, const char *val)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "what", json_object_new_string(what));
	if (detail)
		json_object_object_add(c, "detail", json_object_new_string(detail));
	if (key && val)
		json_object_object_add(c, key, json_object_new_string(val));
	json_object_array_add(out, c);
}

static void add(json_object *out, const char *what, const char *detail)
{
	add_keyed(out, what, detail, NULL, NULL);
}

/* The object of array A whose KEY equals VAL, or NULL. */
static json_object *find(json_object *a, const char *key, const char *val)
{
	for (size_t i = 0; i < alen(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		const char *v = str(e, key);
		if (v && val && strcmp(v, val) == 0)
			return e;
	}
	return NULL;
}

static bool has(json_object *a, const char *key, const char *val)
{
	return find(a, key, val) != NULL;
}

/* A path of the case folder without its first component, the drop's folder
 * (NNNNNN-NAME/): the name the file was sent with. */
static const char *in_drop(const char *path)
{
	const char *s = strchr(path, '/');
	if (s && s[1])
		return s + 1;
	/* a drop that is one file: NNNNNN-NAME */
	size_t d = strspn(path, "0123456789");
	return d == 6 && path[d] == '-' && path[d + 1] ? path + d + 1 : path;
}

/* Is the document PATH of the new report new to the case? By content when
 * both reports list the files' hashes (a file sent again is not new), else
 * by its name in its drop (a file of that name was there before). */
static bool document_is_new(json_object *old_docs, json_object *old_files, bool old_files_cut, json_object *new_files,
                            const char *path)
{
	const char *sha = str(find(new_files, "path", path), "sha256");
	if (sha && alen(old_files)) {
		if (has(old_files, "sha256", sha))
			return false;
		if (!old_files_cut)
			return true;
		/* the old report lists only part of its files: the name decides */
	}
	for (size_t i = 0; i < alen(old_docs); i++) {
		const char *p = str(json_object_array_get_idx(old_docs, i), "path");
		if (p && strcmp(in_drop(p), in_drop(path)) == 0)
			return false;
	}
	return true;
}

/* A document kind in words: "pathology-report" -> "pathology report". */
static void kind_words(const char *kind, char *buf, size_t size)
{
	snprintf(buf, size, "%s", kind && strcmp(kind, "unknown") != 0 ? kind : "document");
	for (char *p = buf; *p; p++)
		if (*p == '-' || *p == '_')
			*p = ' ';
}

static int severity_rank(const char *s)
{
	if (!s)
		return 0;
	if (strcmp(s, "required") == 0)
		return 3;
	if (strcmp(s, "recommended") == 0)
		return 2;
	if (strcmp(s, "warning") == 0)
		return 1;
	return 0;
}

static const char *severity_word(int rank)
{
	static const char *const words[] = { "a note", "a warning", "recommended", "required" };
	return words[rank >= 0 && rank <= 3 ? rank : 0];
}

/* A gap in words: the first sentence of its message (no rule id), at most
 * CHANGE_TEXT_MAX bytes, cut at a word. */
static void short_message(json_object *gap, char *buf, size_t size)
{
	const char *m = str(gap, "message");
	if (!m || !*m)
		m = "an item of the checklist";
	size_t len = strlen(m);
	for (const char *p = m; *p; p++)
		/* ". " ends a sentence; "e.g. " and "i.e. " do not */
		if (p[0] == '.' && p[1] == ' ' && p > m + 1 && p[-2] != '.' && p[-2] != ' ') {
			len = (size_t)(p - m);
			break;
		}
	if (len >= size) {
		len = size - 4;
		while (len > 0 && m[len] != ' ')
			len--;
		if (!len)
			len = size - 4;
		while (len > 0 && (m[len - 1] & 0xC0) == 0x80)  /* not inside a UTF-8 character */
			len--;
		if (len && (unsigned char)m[len - 1] >= 0xC0)
			len--;
		snprintf(buf, size, "%.*s\u2026", (int)len, m);
		return;
	}
	while (len && m[len - 1] == '.')
		len--;
	snprintf(buf, size, "%.*s", (int)len, m);
}

/* The biomarker NAME found in the documents of a report: the first entry,
 * or the first with RESULT when RESULT is given. NULL if none. */
static json_object *biomarker_found(json_object *report, const char *name, const char *result)
{
	json_object *docs = get(get(report, "inventory"), "documents");
	for (size_t i = 0; i < alen(docs); i++) {
		json_object *bms = get(json_object_array_get_idx(docs, i), "biomarkers");
		for (size_t b = 0; b < alen(bms); b++) {
			json_object *bm = json_object_array_get_idx(bms, b);
			const char *nm = str(bm, "name"), *res = str(bm, "result");
			if (nm && strcmp(nm, name) == 0 && (!result || (res && strcmp(res, result) == 0)))
				return bm;
		}
	}
	return NULL;
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

/* The gaps of the new report against the old: resolved, new, worse, less
 * urgent or reworded ones go to OUT; returns how many stayed as they were. */
static size_t gaps_diff(json_object *out, json_object *og, json_object *ng)
{
	size_t nog = alen(og), nng = alen(ng), unchanged = 0;
	char buf[1024], msg[CHANGE_TEXT_MAX];
	/* Each gap of the new report paired with one of the old: the same rule
	 * and message first, then the same rule (a rule may give several gaps,
	 * e.g. one per study, and a gap's message may change with its evidence). */
	_cleanup_free_ long *pair = xcalloc(nng + 1, sizeof(*pair));
	_cleanup_free_ bool *used = xcalloc(nog + 1, sizeof(*used));
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nng; i++) {
			json_object *g = json_object_array_get_idx(ng, i);
			const char *id = str(g, "rule_id"), *m = str(g, "message");
			if (pass == 0)
				pair[i] = -1;
			for (size_t j = 0; id && pair[i] < 0 && j < nog; j++) {
				json_object *w = json_object_array_get_idx(og, j);
				const char *wid = str(w, "rule_id"), *wm = str(w, "message");
				if (!used[j] && wid && strcmp(wid, id) == 0 &&
				    (pass == 1 || (m && wm && strcmp(m, wm) == 0))) {
					pair[i] = (long)j;
					used[j] = true;
				}
			}
		}
	for (size_t j = 0; j < nog; j++) {
		json_object *w = json_object_array_get_idx(og, j);
		if (!used[j] && str(w, "rule_id")) {
			short_message(w, msg, sizeof(msg));
			add_keyed(out, "resolved", msg, "rule_id", str(w, "rule_id"));
		}
	}
	for (size_t i = 0; i < nng; i++) {
		json_object *g = json_object_array_get_idx(ng, i);
		const char *id = str(g, "rule_id");
		if (!id)
			continue;
		json_object *was = pair[i] >= 0 ? json_object_array_get_idx(og, (size_t)pair[i]) : NULL;
		int before = was ? severity_rank(str(was, "severity")) : 0, now = severity_rank(str(g, "severity"));
		/* Reworded: what the coordinator reads of it (its first sentence)
		 * changed; a change further on (its details) leaves it unchanged. */
		char wmsg[CHANGE_TEXT_MAX];
		short_message(g, msg, sizeof(msg));
		if (was)
			short_message(was, wmsg, sizeof(wmsg));
		bool same_words = !was || strcmp(msg, wmsg) == 0;
		if (!was)
			snprintf(buf, sizeof(buf), "%s (%s)", msg, severity_word(now));
		else if (now != before)
			snprintf(buf, sizeof(buf), "%s (now %s, was %s)", msg, severity_word(now), severity_word(before));
		else
			snprintf(buf, sizeof(buf), "%s (was: %s)", msg, wmsg);
		if (!was)
			add_keyed(out, "new", buf, "rule_id", id);
		else if (now > before)
			add_keyed(out, "worse", buf, "rule_id", id);
		else if (now < before)
			add_keyed(out, "less urgent", buf, "rule_id", id);
		else if (!same_words)
			add_keyed(out, "changed", buf, "rule_id", id);
		else
			unchanged++;
	}
	return unchanged;
}

char *changes_compute(const char *old_json, const char *new_json, const char *new_drop)
{
	json_object *out = json_object_new_array();
	json_object *o = old_json ? json_tokener_parse(old_json) : NULL;
	json_object *n = new_json ? json_tokener_parse(new_json) : NULL;
	char buf[1024];

	if (!o) {
		add(out, "First report of this case.", NULL);
		goto done;
	}
	const char *os = str(o, "status"), *ns = str(n, "status");
	if (os && ns && strcmp(os, ns) != 0) {
		snprintf(buf, sizeof(buf), "from %s to %s", os, ns);
		add(out, "status changed", buf);
	}
	json_object *od = get(get(o, "inventory"), "documents"), *nd = get(get(n, "inventory"), "documents");
	json_object *ofiles = get(get(o, "inventory"), "files"), *nfiles = get(get(n, "inventory"), "files");
	bool docs_counted = received_count(out, o, od, n, nd, "inventory.documents", "documents"), ofiles_cut;
	(void)list_total(o, ofiles, "inventory.files", &ofiles_cut);
	for (size_t i = 0; i < alen(nd); i++) {
		json_object *d = json_object_array_get_idx(nd, i);
		const char *path = str(d, "path");
		if (path && !docs_counted && document_is_new(od, ofiles, ofiles_cut, nfiles, path)) {
			char kind[64];
			kind_words(str(d, "kind"), kind, sizeof(kind));
			snprintf(buf, sizeof(buf), "%s (%s)", in_drop(path), kind);
			add(out, "document received", buf);
		}
		json_object *bms = get(d, "biomarkers");
		for (size_t b = 0; b < alen(bms); b++) {
			json_object *bm = json_object_array_get_idx(bms, b);
			const char *name = str(bm, "name");
			const char *res = str(bm, "result");
			if (!name || has(out, "biomarker", name))
				continue;
			json_object *before = biomarker_found(o, name, NULL);
			const char *bres = str(before, "result");
			if (!before) {
				snprintf(buf, sizeof(buf), "%s%s%s", name, res ? ": " : "", res ? res : "");
				add_keyed(out, "biomarker now found", buf, "biomarker", name);
			} else if (res && bres && !biomarker_found(o, name, res)) {
				/* a result the case did not have: a new test, or a
				 * document that says otherwise */
				snprintf(buf, sizeof(buf), "%s: %s (before: %s)", name, res, bres);
				add_keyed(out, "new biomarker result", buf, "biomarker", name);
			}
		}
	}
	json_object *ost = get(get(o, "inventory"), "studies"), *nst = get(get(n, "inventory"), "studies");
	bool studies_counted = received_count(out, o, ost, n, nst, "inventory.studies", "imaging studies");
	for (size_t i = 0; !studies_counted && i < alen(nst); i++) {
		json_object *s = json_object_array_get_idx(nst, i);
		const char *uid = str(s, "study_uid");
		if (uid && !has(ost, "study_uid", uid)) {
			const char *date = str(s, "date"), *desc = str(s, "description");
			snprintf(buf, sizeof(buf), "%s%s%s", date ? date : "no date", desc && *desc ? ", " : "",
			         desc && *desc ? desc : "");
			add(out, "imaging study received", buf);
		}
	}
	json_object *og = get(o, "gaps"), *ng = get(n, "gaps");
	size_t unchanged = gaps_diff(out, og, ng);
	snprintf(buf, sizeof(buf), "%zu item%s unchanged", unchanged, unchanged == 1 ? "" : "s");
	if (json_object_array_length(out) == 0) {
		/* Nothing new, resolved or worse: one line says so. */
		char line[1200];
		snprintf(line, sizeof(line), "the drop %s adds nothing new; %s", new_drop ? new_drop : "received", buf);
		add(out, "Nothing changed", line);
		goto done;
	}
	/* The drop first, then what it changed (at most CHANGES_MAX lines in
	 * all, the rest counted), then one line for what did not change. */
	json_object *all = json_object_new_array();
	size_t room = CHANGES_MAX - 3, nout = alen(out);
	if (new_drop)
		add(all, "drop received", new_drop);
	for (size_t i = 0; i < nout && i < room; i++)
		json_object_array_add(all, json_object_get(json_object_array_get_idx(out, i)));
	if (nout > room) {
		char more[96];
		snprintf(more, sizeof(more), "\u2026 and %zu more change%s (see the report's lists)", nout - room,
		         nout - room == 1 ? "" : "s");
		add(all, more, NULL);
	}
	if (unchanged)
		add(all, buf, NULL);
	json_object_put(out);
	out = all;
done:
	{
		char *s = xstrdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
		json_object_put(o);
		json_object_put(n);
		return s;
	}
}
