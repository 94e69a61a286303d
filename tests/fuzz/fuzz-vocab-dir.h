/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small vocabulary in a temporary rules folder, for the fuzz targets of
 * the vocabulary (fuzz-vocab: the base its inputs are loaded beside;
 * fuzz-vocab-cache: the one its seeds are the cache of).
 */
#ifndef TESTS_FUZZ_VOCAB_DIR_H
#define TESTS_FUZZ_VOCAB_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "findings/vocab.h"

static const char vocab_dir_markers[] =
	"markers:\n"
	"  - {name: ER, synonyms: [estrogen receptor], values: [posneg, percent]}\n"
	"  - {name: HER2, synonyms: [HER2/neu], values: [ihc], routes: {amplification: HER2 ISH}}\n"
	"  - {name: HER2 ISH, values: [amplification]}\n"
	"  - {name: PD-L1, values: [tps, cps], clones: [22C3]}\n"
	"  - {name: MSI, values: [msi]}\n";
static const char vocab_dir_labs[] = "labs:\n  - {name: CEA, synonyms: [CEA], units: [ng/mL]}\n";

/* LEN bytes of TEXT as DIR/NAME. */
static inline void vocab_dir_put(const char *dir, const char *name, const char *text, size_t len)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	if (len && fwrite(text, 1, len, f) != len)
		abort();
	fclose(f);
}

static inline char *vocab_dir_en(void)
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

/* The vocabulary's three files into DIR/vocabulary/ (again: they may have been replaced). */
static inline void vocab_dir_write(const char *dir)
{
	char *en = vocab_dir_en();
	vocab_dir_put(dir, "vocabulary/markers.yaml", vocab_dir_markers, strlen(vocab_dir_markers));
	vocab_dir_put(dir, "vocabulary/labs.yaml", vocab_dir_labs, strlen(vocab_dir_labs));
	vocab_dir_put(dir, "vocabulary/en.yaml", en, strlen(en));
	free(en);
}

/* A new folder $TMPDIR/NAME.XXXXXX (into DIR, 64 bytes) holding breast.yaml and the vocabulary. */
static inline void vocab_dir_make(char dir[64], const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char p[128];
	snprintf(dir, 64, "%.40s/%.12s.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp", name);
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/vocabulary", dir);
	if (mkdir(p, 0700) < 0)
		abort();
	vocab_dir_put(dir, "breast.yaml", "id: breast\n", 11);
	vocab_dir_write(dir);
}

static inline void vocab_dir_remove(const char *dir)
{
	const char *names[] = { "vocabulary/markers.yaml", "vocabulary/labs.yaml", "vocabulary/en.yaml",
	                        "vocabulary", "breast.yaml" };
	char p[160];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (unlink(p) < 0)
			rmdir(p);
	}
	rmdir(dir);
}

#endif
