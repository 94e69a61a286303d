/* SPDX-License-Identifier: GPL-3.0-or-later */
/* YAML texts parsed one way; positions for FILE:LINE:COL messages. */
#include <errno.h>

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

static void diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag, (void)user, (void)buf, (void)len;
}

int yaml_parse_text(const char *text, size_t len, struct fy_document **out, int *line, int *col, char **msg)
{
	struct fy_diag_cfg dcfg;
	*msg = NULL;
	if (!yaml_text_is_utf8(text, len, line, col))
		return -EILSEQ;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_discard;
	dcfg.colorize = false;
	_cleanup_(fy_diag_destroyp) struct fy_diag *diag = fy_diag_create(&dcfg);
	if (!diag)
		return -ENOMEM;
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg pcfg = { .flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2, .diag = diag };
	struct fy_document *doc = fy_document_build_from_string(&pcfg, text, len);
	if (doc) {
		/* The document keeps a reference to DIAG past this function; what
		 * it reports later is discarded, not collected where nothing would
		 * free it. */
		fy_diag_set_collect_errors(diag, false);
		*out = doc;
		return 0;
	}
	/* The first error: later ones are usually its consequences. */
	void *it = NULL;
	struct fy_diag_error *e;
	bool error = false;
	*line = *col = 1;
	while ((e = fy_diag_errors_iterate(diag, &it))) {
		if (e->type < FYET_ERROR)
			continue;
		*line = e->line > 0 ? e->line : 1;
		*col = e->column > 0 ? e->column : 1;
		*msg = xstrdup(e->msg ? e->msg : "parse error");
		error = true;
		break;
	}
	if (error)
		return -EINVAL;
	/* No document and no error: a text of blanks and comments only, which
	 * libfyaml makes no document of. It is an empty document (no root), as
	 * an empty text is. */
	fy_diag_set_collect_errors(diag, false);
	doc = fy_document_create(&pcfg);
	if (!doc)
		return -ENOMEM;
	*out = doc;
	return 0;
}
