/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The findings readers (biomarkers, labs, language, dated treatments) on arbitrary bytes,
 * made valid UTF-8 first as the text extractors hand it over. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = utf8_sanitize((const char *)data, size);
	size_t len = strlen(text);
	struct biomarker_list bl = { 0 };
	struct lab_list ll = { 0 };
	struct doc_language dl;

	if (findings_biomarkers(text, len, &bl) == 0) {
		if (bl.n > FINDINGS_MAX_BIOMARKERS)
			__builtin_trap();
		for (size_t i = 0; i < bl.n; i++)
			if (bl.v[i].offset > len || strlen(bl.v[i].snippet) > FINDINGS_SNIPPET_MAX ||
			    !bl.v[i].name || !bl.v[i].result)
				__builtin_trap();
		biomarker_list_free(&bl);
	}
	if (findings_labs(text, len, &ll) == 0) {
		if (ll.n > FINDINGS_MAX_LABS)
			__builtin_trap();
		for (size_t i = 0; i < ll.n; i++)
			if (ll.v[i].offset > len || strlen(ll.v[i].snippet) > FINDINGS_SNIPPET_MAX ||
			    !ll.v[i].name || !ll.v[i].value)
				__builtin_trap();
		lab_list_free(&ll);
	}
	if (findings_language(text, len, &dl) == 0 && (dl.confidence < 0 || dl.confidence > 1))
		__builtin_trap();
	struct treatment_list tl = { 0 };
	if (findings_treatments(text, len, "2026-11-23", &tl) == 0) {
		if (tl.n > FINDINGS_MAX_TREATMENTS)
			__builtin_trap();
		for (size_t i = 0; i < tl.n; i++)
			if (tl.v[i].offset > len || strlen(tl.v[i].snippet) > FINDINGS_SNIPPET_MAX)
				__builtin_trap();
		treatment_list_free(&tl);
	}
	free(text);
	return 0;
}
