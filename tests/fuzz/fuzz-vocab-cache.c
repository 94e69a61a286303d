/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The compiled cache of the vocabulary (findings/vocab-cache.c) on arbitrary
 * bytes: vocab_cache_decode() without a key (so the body's SHA-256, which a
 * fuzzer cannot forge, does not stop the input before the checks behind it)
 * (copied into memory of its own, which the vocabulary then reads in place)
 * must refuse it or give a vocabulary the matcher walks without a fault;
 * one it gives must encode back to the same body (nothing read is dropped
 * or altered: a cache is taken whole or not at all). The seeds were written
 * by this target: FUZZ_VOCAB_CACHE_SEED=FILE makes it write the cache of
 * fuzz-vocab's small vocabulary (fuzz-vocab-dir.h, loaded from YAML) to FILE.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-vocab-dir.h"
#include "findings/vocab-cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define HEADER 88       /* vocab-cache.c's VC_HEADER_BYTES: the key and digest, not compared */

static const char *const texts[] = {
	"HER2 (4B5): score 3+, positive. ER 90 % positiv; PD-L1 TPS 50%",
	"Hämoglobin 12 g/dL, CEA 3 ng/mL, left core biopsy, breast cancer, 乳腺癌 阳性",
	"not detected, MSI-H, wild type, no microscopy, m3en",
};

/* The seed: the cache of fuzz-vocab's small vocabulary, as vocab_load_dir() writes it. */
static void write_seed(const char *out)
{
	char dir[64];
	struct strbuf errors;
	struct vocab *v = NULL;
	uint8_t key[32] = { 0 }, *buf;
	size_t len;

	vocab_dir_make(dir, "fuzz-vc-seed");
	setenv("INGEST_CACHE_DIR", "", 1);
	strbuf_init(&errors, 1 << 20);
	if (vocab_load_dir(NULL, dir, &v, &errors) < 0) {
		fprintf(stderr, "fuzz-vocab-cache: the seed vocabulary does not load:\n%s", errors.s ? errors.s : "");
		abort();
	}
	strbuf_free(&errors);
	if (vocab_cache_encode(v, key, &buf, &len) < 0)
		abort();
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(buf, 1, len, f) != len)
		abort();
	fclose(f);
	free(buf);
	vocab_free(v);
	vocab_dir_remove(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seed = getenv("FUZZ_VOCAB_CACHE_SEED");
	(void)argc, (void)argv;
	if (seed && *seed)
		write_seed(seed);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vocab *v = NULL;
	uint8_t key[32] = { 0 }, *again = NULL;
	size_t len = 0;
	struct vmatch m[8];

	void *blob = vocab_cache_alloc(size);      /* decoding reads it in place and keeps it */
	if (!blob)
		abort();
	memcpy(blob, data, size);
	if (vocab_cache_decode(blob, size, NULL, "/nowhere/vocabulary", &v) < 0) {
		if (v)
			abort();
		vocab_cache_release(blob, size);
		return 0;
	}
	for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
		struct vtext t;
		if (vtext_fold(texts[k], strlen(texts[k]), &t) < 0)
			abort();
		for (size_t i = 0; i < t.n; i++) {
			if (!vtext_word_start(&t, i))
				continue;
			size_t n = vocab_match_at(v, &t, i, 0, m, 8);
			for (size_t j = 0; j < n; j++)
				if (m[j].end <= i || m[j].end > t.n)
					abort();
		}
		vtext_free(&t);
	}
	for (size_t i = 0; i < vocab_n_markers(v); i++) {
		const struct vocab_marker *mk = vocab_marker(v, i);
		int ids[4];
		char *q = NULL;
		(void)vocab_resolve_term(v, mk->name, ids, 4, &q);
		free(q);
	}
	int ids[4];
	char *q = NULL;
	(void)vocab_resolve_term(v, "HER2 4B5", ids, 4, &q);
	free(q);
	(void)vocab_knows_words(v, "estrogen receptor");
	if (vocab_cache_encode(v, key, &again, &len) < 0 || len != size ||
	    memcmp(again + HEADER, data + HEADER, size - HEADER) != 0)
		abort();
	free(again);
	vocab_free(v);
	return 0;
}
