/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "util/text.h"
#include "util/yaml.h"

#define YAML_POS_MAX_DEPTH 64   /* nesting walked to find a first scalar */

bool yaml_node_pos(struct fy_node *n, int *line, int *col)
{
	for (int depth = 0; n && depth < YAML_POS_MAX_DEPTH; depth++) {
		void *it = NULL;
		if (fy_node_is_scalar(n)) {
			struct fy_token *tok = fy_node_get_scalar_token(n);
			const struct fy_mark *m = tok ? fy_token_start_mark(tok) : NULL;
			if (!m)
				return false;
			*line = m->line + 1;
			*col = m->column + 1;
			return true;
		}
		if (fy_node_is_mapping(n)) {
			struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
			n = p ? fy_node_pair_key(p) : NULL;
		} else if (fy_node_is_sequence(n)) {
			n = fy_node_sequence_iterate(n, &it);
		} else {
			return false;
		}
	}
	return false;
}

bool yaml_text_is_utf8(const char *buf, size_t len, int *line, int *col)
{
	size_t bad = utf8_valid_prefix(buf, len);
	if (bad == len)
		return true;
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < bad; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
	return false;
}
