/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The statement engine (findings/findings.h findings_statements()) on
 * arbitrary text, with the source rules' vocabulary, loaded once. An input
 * holding a line "----LAYOUT----" gives the document a layout (what
 * follows it); both parts are made valid UTF-8 first, as the extractors
 * hand text over. Checks every bound of the statement list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "findings/findings.h"
#include "findings/vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct vocab *vocab;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ing_ctx *ctx = NULL;
	struct strbuf errors;
	(void)argc;
	(void)argv;
	if (ing_ctx_new(&ctx) < 0)
		abort();
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	if (vocab_load_dir(ctx, INGEST_SOURCE_RULES_DIR, &vocab, &errors) < 0) {
		fprintf(stderr, "the vocabulary does not load:\n%s", errors.s ? errors.s : "");
		abort();
	}
	strbuf_free(&errors);
	ing_ctx_free(ctx);
	return 0;
}

static void check(const struct doc_text *d, const struct statement_list *l)
{
	if (l->n > FINDINGS_MAX_STATEMENTS)
		__builtin_trap();
	for (size_t i = 0; i < l->n; i++) {
		const struct statement *s = &l->v[i];
		size_t n = s->snippet ? strlen(s->snippet) : 0;
		if (!s->name || !s->snippet || n > FINDINGS_SNIPPET_MAX || utf8_valid_prefix(s->snippet, n) != n ||
		    s->offset > (s->from_layout ? d->layout_len : d->len) || s->marker < 0 ||
		    (size_t)s->marker >= vocab_n_markers(vocab))
			__builtin_trap();
		char *t = statement_result_text(s);
		if (!t)
			__builtin_trap();
		free(t);
		(void)statement_is_result(s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!vocab)
		LLVMFuzzerInitialize(NULL, NULL);
	char *all = utf8_sanitize((const char *)data, size);
	char *sep = strstr(all, "----LAYOUT----\n");
	struct doc_text d = { .text = all, .len = sep ? (size_t)(sep - all) : strlen(all) };
	if (sep) {
		d.layout = sep + 15;
		d.layout_len = strlen(d.layout);
	}
	struct statement_list l = { 0 };
	if (findings_statements(vocab, &d, &l) == 0) {
		check(&d, &l);
		statement_list_free(&l);
	}
	free(all);
	return 0;
}
