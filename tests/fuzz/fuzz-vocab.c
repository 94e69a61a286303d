/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The vocabulary on arbitrary bytes: the input is folded (vtext_fold) and
 * every phrase matched at each word start against a small vocabulary loaded
 * once, its start resolved as a rule's term; then the input is loaded as a
 * vocabulary file (en.yaml when its first byte is even, markers.yaml when
 * odd) next to valid others, so the loader's every key is reached.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-vocab-dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64];
static struct vocab *base;

static void cleanup(void)
{
	vocab_dir_remove(dir);
	base = vocab_free(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct strbuf errors;

	/* every input is a new vocabulary: none is worth a compiled cache (fuzz-vocab-cache has its own target) */
	setenv("INGEST_CACHE_DIR", "", 1);
	vocab_dir_make(dir, "fuzz-vocab");
	strbuf_init(&errors, 1 << 20);
	if (vocab_load_dir(NULL, dir, &base, &errors) < 0) {
		fprintf(stderr, "fuzz-vocab: the base vocabulary does not load:\n%s", errors.s ? errors.s : "");
		abort();
	}
	strbuf_free(&errors);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtext t;
	struct vmatch m[8];
	struct strbuf errors;
	struct vocab *v = NULL;
	int ids[4];
	char *q = NULL;

	if (vtext_fold((const char *)data, size, &t) == 0) {
		if (t.n > size || t.orig[t.n] != size || strlen(t.s) != t.n)
			abort();
		for (size_t i = 0; i < t.n; i++) {
			if (i && t.orig[i] < t.orig[i - 1])
				abort();
			if (!vtext_word_start(&t, i))
				continue;
			size_t n = vocab_match_at(base, &t, i, 0, m, 8);
			for (size_t k = 0; k < n; k++)
				if (m[k].end <= i || m[k].end > t.n || (k && m[k].end > m[k - 1].end))
					abort();
		}
		vtext_free(&t);
	}
	if (size < 256) {
		char *s = strndup((const char *)data, size);
		if (s) {
			(void)vocab_resolve_term(base, s, ids, 4, &q);
			free(q);
			(void)vocab_knows_words(base, s);
			(void)vocab_text_has_concept(base, s, strlen(s), 0);
			free(s);
		}
	}
	vocab_dir_put(dir, size && (data[0] & 1) ? "vocabulary/markers.yaml" : "vocabulary/en.yaml",
	              (const char *)data, size);
	strbuf_init(&errors, 1 << 20);
	if (vocab_load_dir(NULL, dir, &v, &errors) == 0 && !v)
		abort();
	vocab_free(v);
	strbuf_free(&errors);
	vocab_dir_write(dir);
	return 0;
}
