/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The case model's records (case.h): files added, the case's history. */
#include <ctype.h>

#include <json-c/json.h>

#include "case.h"

struct ing_file *case_add_file(struct ing_scan *scan, const char *relpath, uint64_t size)
{
	struct ing_file *f = xcalloc(1, sizeof(*f));
	f->path = utf8_sanitize(relpath, strlen(relpath));
	f->size = size;
	ptrvec_push(&scan->files, f);
	return f;
}

int ing_scan_set_history(struct ing_scan *scan, const struct ing_drop_record *drops, size_t n,
                         const char *changes_json)
{
	if (changes_json) {
		struct json_object *j = json_tokener_parse(changes_json);
		bool ok = j && json_object_is_type(j, json_type_array);
		json_object_put(j);
		if (!ok)
			return -EINVAL;
	}
	for (size_t i = 0; i < scan->n_drops; i++) {
		free((char *)scan->drops[i].name);
		free((char *)scan->drops[i].received_at);
	}
	free(scan->drops);
	scan->drops = n ? xcalloc(n, sizeof(*scan->drops)) : NULL;
	for (size_t i = 0; i < n; i++)
		/* a drop's name is an inbox file name: any bytes; the reports are UTF-8 */
		scan->drops[i] = (struct ing_drop_record){ drops[i].name ? utf8_sanitize(drops[i].name, strlen(drops[i].name))
		                                                         : xstrdup("?"),
		                                           xstrdup(drops[i].received_at ? drops[i].received_at : "") };
	scan->n_drops = n;
	free(scan->changes_json);
	scan->changes_json = changes_json ? xstrdup(changes_json) : NULL;
	return 0;
}

const char *report_path(const struct ing_scan *scan, const char *path)
{
	if (!scan || !path || !scan->n_drops || strspn(path, "0123456789") != 6 || path[6] != '-')
		return path;
	const char *name = path + 7;
	/* the drop's name, then the end, a folder's '/' or an archive's "!/" */
	for (size_t i = 0; i < scan->n_drops; i++) {
		size_t n = strlen(scan->drops[i].name);
		if (n && strncmp(scan->drops[i].name, name, n) == 0 &&
		    (!name[n] || name[n] == '/' || (name[n] == '!' && name[n + 1] == '/')))
			return name;
	}
	return path;
}

char *report_dropped_words(const struct ing_scan *scan, const char *s)
{
	if (!scan || !s || !scan->n_drops)
		return NULL;
	struct strbuf b;
	bool changed = false;
	const char *done = s;
	for (const char *p = s; *p; p++) {
		if ((p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '-' || p[-1] == '_' || p[-1] == '.')) ||
		    strspn(p, "0123456789") != 6 || p[6] != '-')
			continue;
		const char *name = report_path(scan, p);
		if (name == p)
			continue;
		if (!changed)
			strbuf_init(&b, strlen(s) + 1);
		changed = true;
		(void)strbuf_append(&b, done, (size_t)(p - done));
		done = name;
		p = name - 1;
	}
	if (!changed)
		return NULL;
	(void)strbuf_append(&b, done, strlen(done));
	return strbuf_steal(&b);
}
