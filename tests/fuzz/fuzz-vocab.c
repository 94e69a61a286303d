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

#include "internal.h"
#include "findings/vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64];
static struct vocab *base;

static const char markers_yaml[] =
	"markers:\n"
	"  - {name: ER, synonyms: [estrogen receptor], values: [posneg, percent]}\n"
	"  - {name: HER2, synonyms: [HER2/neu], values: [ihc], routes: {amplification: HER2 ISH}}\n"
	"  - {name: HER2 ISH, values: [amplification]}\n"
	"  - {name: PD-L1, values: [tps, cps], clones: [22C3]}\n"
	"  - {name: MSI, values: [msi]}\n";
static const char labs_yaml[] = "labs:\n  - {name: CEA, synonyms: [CEA], units: [ng/mL]}\n";

static void put(const char *name, const char *text, size_t len)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	if (len && fwrite(text, 1, len, f) != len)
		abort();
	fclose(f);
}

static char *en_yaml(void)
{
	struct strbuf b;
	strbuf_init(&b, 1 << 20);
	strbuf_puts(&b, "language: en\nname: English\nscript: Latn\nstopwords: [the, and]\nmonths:\n");
	for (int m = 0; m < 12; m++)
		strbuf_printf(&b, "  - [m%d]\n", m + 1);
	strbuf_puts(&b, "words:\n  positive: [positive]\n  negative: [negative, neg]\n  msi-high: [MSI-H]\n"
	                "  not-detected: [not detected]\n  neg-pre: ['no']\n  method: [IHC]\n");
	for (int c = VW_NEGATIVE + 1; c < VW_MARKER; c++)
		if (c != VW_MSI_HIGH && c != VW_NOT_DETECTED && c != VW_NEG_PRE && c != VW_METHOD)
			strbuf_printf(&b, "  %s: []\n", vocab_class_name((enum vocab_class)c));
	strbuf_puts(&b, "kinds:\n  pathology-report: {headings: [pathology report]}\ncancer-types:\n  breast: [breast]\n"
	                "concepts:\n  left: [left]\n");
	return strbuf_steal(&b);
}

static void write_vocab(void)
{
	char *en = en_yaml();
	put("vocabulary/markers.yaml", markers_yaml, strlen(markers_yaml));
	put("vocabulary/labs.yaml", labs_yaml, strlen(labs_yaml));
	put("vocabulary/en.yaml", en, strlen(en));
	free(en);
}

static void cleanup(void)
{
	const char *names[] = { "vocabulary/markers.yaml", "vocabulary/labs.yaml", "vocabulary/en.yaml",
	                        "vocabulary", "breast.yaml" };
	char p[128];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (unlink(p) < 0)
			rmdir(p);
	}
	rmdir(dir);
	base = vocab_free(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char p[128];
	struct strbuf errors;

	/* every input is a new vocabulary: none is worth a compiled cache (fuzz-vocab-cache has its own target) */
	setenv("INGEST_CACHE_DIR", "", 1);
	snprintf(dir, sizeof(dir), "%.40s/fuzz-vocab.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/vocabulary", dir);
	if (mkdir(p, 0700) < 0)
		abort();
	put("breast.yaml", "id: breast\n", 11);
	write_vocab();
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
	put(size && (data[0] & 1) ? "vocabulary/markers.yaml" : "vocabulary/en.yaml", (const char *)data, size);
	strbuf_init(&errors, 1 << 20);
	if (vocab_load_dir(NULL, dir, &v, &errors) == 0 && !v)
		abort();
	vocab_free(v);
	strbuf_free(&errors);
	write_vocab();
	return 0;
}
