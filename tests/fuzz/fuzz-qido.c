/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The QIDO-RS answer reader of the delivery (send_json_each(): a JSON array,
 * one item parsed at a time, each bounded) on arbitrary bytes, checked
 * against json-c parsing the whole text: what it accepts is a JSON array of
 * exactly the items it counted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "send-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t calls;
};

static void on_item(json_object *item, void *ud)
{
	struct seen *s = ud;
	(void)json_object_get_type(item);
	s->calls++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0 };
	size_t count = 0;
	int r = send_json_each((const char *)data, size, on_item, &s, &count);

	if (r != 0 && r != -EBADMSG && r != -ENOMEM)
		__builtin_trap();
	if (r == 0 && s.calls != count)
		__builtin_trap();
	if (s.calls > size / 2 + 1)
		__builtin_trap();
	/* json-c reads a NUL as the end of its input: the whole-text check only without one */
	if (r == 0 && !memchr(data, 0, size) && size < (1u << 20)) {
		struct json_tokener *t = json_tokener_new_ex(64);
		json_object *all = t ? json_tokener_parse_ex(t, (const char *)data, (int)size) : NULL;
		if (t && json_tokener_get_error(t) == json_tokener_success) {
			if (!json_object_is_type(all, json_type_array) || json_object_array_length(all) != count)
				__builtin_trap();
		}
		json_object_put(all);
		json_tokener_free(t);
	}
	return 0;
}
