/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reports' words for DICOM codes (rules/words/report.yaml,
 * libingest/rules-words.c) on arbitrary bytes: written as DIR/words/report.yaml
 * of a scratch folder and loaded; every word looked up after a load (the
 * modality names and kinds too, each entry by its code). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64];

static void cleanup(void)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/words/report.yaml", dir);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s/words", dir);
	(void)rmdir(p);
	(void)rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char sub[96];
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz-words.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(sub, sizeof(sub), "%s/words", dir);
	if (mkdir(sub, 0700) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128];
	struct rule_words *w = NULL;
	struct strbuf errors;
	static const char *const codes[] = { "CT", "CHESTABDPELVIS", "1.2.840.10008.1.2.4.50", "", "x", "PT+CT",
	                                     "pathology-report" };

	if (!dir[0])
		LLVMFuzzerInitialize(NULL, NULL);
	snprintf(path, sizeof(path), "%s/words/report.yaml", dir);
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	strbuf_init(&errors, 1 << 16);
	if (rule_words_load(dir, &w, &errors) == 0 && w) {
		struct ruleset rs = { .words = w };
		for (int s = 0; s < _RULE_WORDS_MAX; s++)
			for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
				(void)rule_word(&rs, (enum rule_words_section)s, codes[i]);
		for (int s = 0; s < _RULE_WORDS_MAX; s++)
			for (size_t i = 0; i < rule_words_count(&rs, (enum rule_words_section)s); i++)
				(void)rule_word(&rs, (enum rule_words_section)s, rule_words_code(&rs, (enum rule_words_section)s, i));
	}
	rule_words_free(w);
	strbuf_free(&errors);
	return 0;
}
