/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Identification of arbitrary bytes: path rules on the first line as a
 * path, the DICOM candidate test and libmagic's verdict (the kind from the
 * text is fuzz-reading's). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ing_ctx *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx && ing_ctx_new(&ctx) < 0)
		abort();
	size_t line = 0;
	while (line < size && line < 512 && data[line] != '\n')
		line++;
	struct ing_file f = { 0 };
	struct ident_where w = { 0 };
	f.path = utf8_sanitize((const char *)data, line);
	identify_by_path(&f, &w);
	identify_dicom_candidate(data, size);
	identify_content(ctx, &f, data, size);
	free(f.path);
	free(f.mime);
	free(f.magic);
	free(f.evidence);
	return 0;
}
