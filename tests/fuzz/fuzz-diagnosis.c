/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The diagnosis reader (findings_diagnosis(), findings/diagnosis.h) on
 * arbitrary bytes, made valid UTF-8 first as the text extractors hand it
 * over, with the source tree's vocabulary loaded once. The first byte
 * chooses: bit 0 the text is its own layout. Every line kept is bounded,
 * lies in the text, and quotes it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "findings/diagnosis.h"
#include "util/strbuf.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ing_ctx *ctx;
static struct vocab *voc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct strbuf errors;
	(void)argc;
	(void)argv;
	strbuf_init(&errors, 1u << 16);
	if (ing_ctx_new(&ctx) < 0 || vocab_load_dir(ctx, INGEST_SOURCE_RULES_DIR, &voc, &errors) < 0) {
		fprintf(stderr, "fuzz-diagnosis: the vocabulary does not load:\n%s\n", errors.s ? errors.s : "");
		abort();
	}
	strbuf_free(&errors);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	char *text = utf8_sanitize((const char *)data + 1, size - 1);
	size_t len = strlen(text);
	struct doc_text d = { .text = text, .len = len };
	if (data[0] & 1) {
		d.layout = text;
		d.layout_len = len;
	}
	struct dx_list l;
	if (findings_diagnosis(voc, &d, &l) == 0) {
		if (l.n > DX_LINES_MAX)
			__builtin_trap();
		for (size_t i = 0; i < l.n; i++) {
			const struct dx_line *x = &l.v[i];
			if (x->field >= _DX_MAX || !x->text || !x->text[0] || strlen(x->text) > FINDINGS_SNIPPET_MAX ||
			    x->offset >= len || utf8_valid_prefix(x->text, strlen(x->text)) != strlen(x->text))
				__builtin_trap();
		}
		dx_list_free(&l);
	}
	free(text);
	return 0;
}
