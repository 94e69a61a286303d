/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The case model's records (case.h): files added, the case's history. */
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
		scan->drops[i] = (struct ing_drop_record){ xstrdup(drops[i].name ? drops[i].name : "?"),
		                                           xstrdup(drops[i].received_at ? drops[i].received_at : "") };
	scan->n_drops = n;
	free(scan->changes_json);
	scan->changes_json = changes_json ? xstrdup(changes_json) : NULL;
	return 0;
}
