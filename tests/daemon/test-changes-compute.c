/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * changes_compute() (daemon/changes.c) on pairs of reports written here:
 * gaps new, resolved, worse, less urgent, reworded and unchanged (one rule
 * giving two gaps), documents sent again or new, a biomarker now found, the
 * status, the first report, a drop that changes nothing. What the
 * coordinator reads has no rule id. Exit 0 when every check holds; each
 * failed check is printed.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ingestd.h"
#include "util/strbuf.h"

static int failed;

static const char *line_of(json_object *c, char *buf, size_t size)
{
	json_object *w = NULL, *d = NULL;
	json_object_object_get_ex(c, "what", &w);
	json_object_object_get_ex(c, "detail", &d);
	snprintf(buf, size, "%s%s%s", w ? json_object_get_string(w) : "", d ? ": " : "",
	         d ? json_object_get_string(d) : "");
	return buf;
}

/* CHANGES (a JSON array) rendered one line per entry must equal WANT (NULL-ended). */
static void expect(const char *name, const char *changes, const char *const *want)
{
	json_object *a = json_tokener_parse(changes);
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0, w = 0;
	char buf[2048];
	while (want[w])
		w++;
	bool ok = n == w;
	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(line_of(json_object_array_get_idx(a, i), buf, sizeof(buf)), want[i]) == 0;
	for (size_t i = 0; i < n; i++)
		if (strstr(line_of(json_object_array_get_idx(a, i), buf, sizeof(buf)), "rule.")) {
			printf("FAIL %s: a rule id in the text: %s\n", name, buf);
			failed = 1;
		}
	if (!ok) {
		printf("FAIL %s: got\n", name);
		for (size_t i = 0; i < n; i++)
			printf("    %s\n", line_of(json_object_array_get_idx(a, i), buf, sizeof(buf)));
		printf("  expected\n");
		for (size_t i = 0; i < w; i++)
			printf("    %s\n", want[i]);
		failed = 1;
	} else {
		printf("ok: %s (%zu lines)\n", name, n);
	}
	json_object_put(a);
}

#define GAP(id, sev, msg) "{\"rule_id\":\"" id "\",\"severity\":\"" sev "\",\"message\":\"" msg "\"}"
#define DOC(path, kind) "{\"path\":\"" path "\",\"kind\":\"" kind "\"}"
#define FILE_(path, sha) "{\"path\":\"" path "\",\"sha256\":\"" sha "\"}"

static const char *old_report =
	"{\"status\":\"incomplete\",\"inventory\":{"
	"\"documents\":[{\"path\":\"000001-CASE-A/path.pdf\",\"kind\":\"pathology-report\","
	"\"biomarkers\":[{\"name\":\"ER\",\"result\":\"positive (90%)\"}]}],"
	"\"files\":[" FILE_("000001-CASE-A/path.pdf", "aa") "],\"studies\":[]},"
	"\"gaps\":[" GAP("rule.her2", "required", "No HER2 result found. Ask the pathology lab for it.") ","
	GAP("rule.labs", "recommended", "Recent blood tests are missing. The latest are 40 days old.") ","
	GAP("rule.series", "warning", "Series 1 of the CT misses slices 7, 8.") ","
	GAP("rule.series", "warning", "Series 2 of the CT misses slice 3.") ","
	GAP("rule.pet", "recommended", "No PET-CT found.") ","
	GAP("rule.brain", "required", "No brain imaging found.") ","
	GAP("rule.trans", "warning", "A document needs translation.") "]}";

int main(void)
{
	_cleanup_free_ char *first = changes_compute(NULL, old_report, "CASE-A");
	expect("first report", first, (const char *const[]){ "First report of this case.", NULL });

	/* the same file sent again (another name, same content): nothing changed */
	const char *again =
		"{\"status\":\"incomplete\",\"inventory\":{"
		"\"documents\":[" DOC("000001-CASE-A/path.pdf", "pathology-report") ","
		DOC("000002-CASE-A/copy.pdf", "pathology-report") "],"
		"\"files\":[" FILE_("000001-CASE-A/path.pdf", "aa") "," FILE_("000002-CASE-A/copy.pdf", "aa") "],"
		"\"studies\":[]},"
		"\"gaps\":[" GAP("rule.her2", "required", "No HER2 result found. Ask the pathology lab for it.") ","
		GAP("rule.labs", "recommended", "Recent blood tests are missing. The latest are 41 days old.") ","
		GAP("rule.series", "warning", "Series 2 of the CT misses slice 3.") ","
		GAP("rule.series", "warning", "Series 1 of the CT misses slices 7, 8.") ","
		GAP("rule.pet", "recommended", "No PET-CT found.") ","
		GAP("rule.brain", "required", "No brain imaging found.") ","
		GAP("rule.trans", "warning", "A document needs translation.") "]}";
	_cleanup_free_ char *same = changes_compute(old_report, again, "CASE-A");
	expect("nothing changed", same, (const char *const[]){
		"Nothing changed: the drop CASE-A adds nothing new; 7 items unchanged", NULL });

	/* a new document with HER2: resolved, worse, less urgent, reworded, new, status */
	const char *more =
		"{\"status\":\"blocked\",\"inventory\":{"
		"\"documents\":[" DOC("000001-CASE-A/path.pdf", "pathology-report") ","
		"{\"path\":\"000003-CASE-A.zip!/reports/her2.pdf\",\"kind\":\"pathology-report\","
		"\"biomarkers\":[{\"name\":\"HER2\",\"result\":\"positive (3+)\"},"
		"{\"name\":\"ER\",\"result\":\"negative (0%)\"}]}],"
		"\"files\":[" FILE_("000001-CASE-A/path.pdf", "aa") "," FILE_("000003-CASE-A.zip!/reports/her2.pdf", "bb")
		"],\"studies\":[{\"study_uid\":\"1.2.3\",\"date\":\"2024-03-01\",\"description\":\"CT chest\"}]},"
		"\"gaps\":[" GAP("rule.labs", "required", "Recent blood tests are missing. The latest are 41 days old.") ","
		GAP("rule.series", "warning", "Series 1 of the CT misses slices 7, 8.") ","
		GAP("rule.pet", "warning", "No PET-CT found.") ","
		GAP("rule.brain", "required", "Brain imaging is older than 90 days.") ","
		GAP("rule.trans", "warning", "A document needs translation.") ","
		GAP("rule.new", "recommended", "No staging found (e.g. TNM). Ask for it.") "]}";
	_cleanup_free_ char *ch = changes_compute(old_report, more, "CASE-A.zip");
	expect("changes", ch, (const char *const[]){
		"drop received: CASE-A.zip",
		"status changed: from incomplete to blocked",
		"document received: reports/her2.pdf (pathology report)",
		"biomarker now found: HER2: positive (3+)",
		"new biomarker result: ER: negative (0%) (before: positive (90%))",
		"imaging study received: 2024-03-01, CT chest",
		"resolved: No HER2 result found",
		"resolved: Series 2 of the CT misses slice 3",
		"worse: Recent blood tests are missing (now required, was recommended)",
		"less urgent: No PET-CT found (now a warning, was recommended)",
		"changed: Brain imaging is older than 90 days (was: No brain imaging found)",
		"new: No staging found (e.g. TNM) (recommended)",
		"2 items unchanged",
		NULL });
	/* the rule ids stay for machines */
	json_object *a = json_tokener_parse(ch), *id = NULL, *what = NULL;
	size_t n = a ? json_object_array_length(a) : 0, r = 0;
	while (r < n && !(json_object_object_get_ex(json_object_array_get_idx(a, r), "what", &what) &&
	                  strcmp(json_object_get_string(what), "resolved") == 0))
		r++;
	if (r == n || !json_object_object_get_ex(json_object_array_get_idx(a, r), "rule_id", &id) ||
	    strcmp(json_object_get_string(id), "rule.her2") != 0) {
		printf("FAIL: the resolved gap's entry lacks its rule_id\n");
		failed = 1;
	}
	json_object_put(a);

	/* more changes than CHANGES_MAX: the rest counted, the unchanged line kept */
	_cleanup_(strbuf_freep) struct strbuf ob = { 0 }, nb = { 0 };
	strbuf_init(&ob, 0);
	strbuf_init(&nb, 0);
	strbuf_puts(&ob, "{\"status\":\"incomplete\",\"gaps\":[" GAP("rule.kept", "warning", "Kept.") "]}");
	strbuf_puts(&nb, "{\"status\":\"incomplete\",\"gaps\":[" GAP("rule.kept", "warning", "Kept."));
	for (int i = 0; i < CHANGES_MAX + 100; i++)
		strbuf_printf(&nb, ",{\"rule_id\":\"rule.g%d\",\"severity\":\"warning\",\"message\":\"Gap %d.\"}", i, i);
	strbuf_puts(&nb, "]}");
	_cleanup_free_ char *big = changes_compute(ob.s, nb.s, "CASE-A");
	a = json_tokener_parse(big);
	n = a ? json_object_array_length(a) : 0;
	char l1[256], l2[256], want[96];
	snprintf(want, sizeof(want), "\u2026 and %d more changes (see the report's lists)",
	         CHANGES_MAX + 100 - (CHANGES_MAX - 3));
	if (n != CHANGES_MAX || strcmp(line_of(json_object_array_get_idx(a, n - 2), l1, sizeof(l1)), want) != 0 ||
	    strcmp(line_of(json_object_array_get_idx(a, n - 1), l2, sizeof(l2)), "1 item unchanged") != 0) {
		printf("FAIL many changes: %zu entries, ending %s / %s\n", n, n > 1 ? l1 : "", n ? l2 : "");
		failed = 1;
	} else {
		printf("ok: many changes: %zu entries, ending \"%s\", \"%s\"\n", n, l1, l2);
	}
	json_object_put(a);
	return failed;
}
