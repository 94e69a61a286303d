/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The readers over the vocabulary (findings_labs, findings_treatments,
 * findings_language, findings_document_date, findings_kind,
 * findings_cancer_types) on arbitrary bytes, made valid UTF-8 first as the
 * text extractors hand it over, with the source tree's vocabulary loaded
 * once. The first byte chooses: bit 0 the text is its own layout (cells by
 * tabs), bit 1 it came from OCR. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "findings/findings.h"
#include "util/strbuf.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ing_ctx *ctx;
static struct vocab *voc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct strbuf errors;
	strbuf_init(&errors, 1u << 16);
	if (ing_ctx_new(&ctx) < 0 || vocab_load_dir(ctx, INGEST_SOURCE_RULES_DIR, &voc, &errors) < 0) {
		fprintf(stderr, "fuzz-reading: the vocabulary does not load:\n%s\n", errors.s ? errors.s : "");
		abort();
	}
	strbuf_free(&errors);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint8_t mode = data[0];
	char *text = utf8_sanitize((const char *)data + 1, size - 1);
	size_t len = strlen(text);
	struct doc_text d = { .text = text, .len = len, .ocr = mode & 2, .ocr_confidence = 50 };
	if (mode & 1) {
		d.layout = text;
		d.layout_len = len;
	}

	struct lab_list ll;
	if (findings_labs(voc, &d, &ll) == 0) {
		if (ll.n > FINDINGS_MAX_LABS)
			__builtin_trap();
		for (size_t i = 0; i < ll.n; i++)
			if (ll.v[i].offset > len || !ll.v[i].snippet || strlen(ll.v[i].snippet) > FINDINGS_SNIPPET_MAX ||
			    !ll.v[i].name || !ll.v[i].value || (ll.v[i].date && strlen(ll.v[i].date) != 10))
				__builtin_trap();
		lab_list_free(&ll);
	}
	struct treatment_list tl;
	if (findings_treatments(voc, &d, "2026-11-23", &tl) == 0) {
		if (tl.n > FINDINGS_MAX_TREATMENTS)
			__builtin_trap();
		for (size_t i = 0; i < tl.n; i++)
			if (tl.v[i].offset > len || strlen(tl.v[i].snippet) > FINDINGS_SNIPPET_MAX ||
			    strcmp(tl.v[i].date, tl.v[i].latest) > 0 || strcmp(tl.v[i].latest, "2026-11-23") > 0)
				__builtin_trap();
		treatment_list_free(&tl);
	}
	struct doc_language dl;
	if (findings_language(voc, &d, &dl) == 0 && (dl.confidence < 0 || dl.confidence > 1 || (dl.lang && !dl.script)))
		__builtin_trap();
	char iso[11];
	findings_document_date(voc, &d, iso);
	if (iso[0] && strlen(iso) != 10)
		__builtin_trap();
	char *ev = NULL;
	enum ing_kind k = findings_kind(voc, &d, "fuzz.pdf", &ev);
	if (!ev || k >= _KIND_MAX)
		__builtin_trap();
	free(ev);
	struct type_mention tm[8];
	size_t n = findings_cancer_types(voc, &d, tm, 8);
	for (size_t i = 0; i < n; i++)
		if (tm[i].offset + tm[i].len > len)
			__builtin_trap();
	free(text);
	return 0;
}
