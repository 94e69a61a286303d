/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The rules loader on an arbitrary rules file, next to the shipped shared
 * dictionaries and fragments, the cancer types' files and the vocabulary
 * (which the rules need: they do not load without it; its `cancer-types:`
 * name the types), so references can resolve and deeper code is
 * reached). Those are loaded once (rules_load_base); each input is checked
 * against them as `ingest rules validate FILE` does (rules_check_text), which
 * reports what loading the folder with the file in it would (the rules-unit
 * test compares the two on every kept input). */
#include <dirent.h>
#include <fcntl.h>
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
static struct ruleset *base;

static void copy_shared(const char *name);

/* Every *.yaml of the source rules folder's SUB ("" or "vocabulary"). */
static void copy_all(const char *sub)
{
	char src[4096], name[512];
	DIR *d;
	struct dirent *de;

	snprintf(src, sizeof(src), "%s/%s", INGEST_SOURCE_RULES_DIR, sub);
	d = opendir(src);
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0 && de->d_name[0] != '.') {
			snprintf(name, sizeof(name), "%s%s%s", sub, *sub ? "/" : "", de->d_name);
			copy_shared(name);
		}
	}
	if (d)
		closedir(d);
}

static void copy_shared(const char *name)
{
	char src[4096], dst[128], buf[1 << 16];
	snprintf(src, sizeof(src), "%s/%s", INGEST_SOURCE_RULES_DIR, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%.40s/fuzz-rules.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	char vdir[128];
	snprintf(vdir, sizeof(vdir), "%s/vocabulary", dir);
	if (mkdir(vdir, 0700) < 0)
		abort();
	copy_all("");
	copy_all("vocabulary");
	struct strbuf errors;
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	if (rules_load_base(NULL, dir, "fuzz.yaml", &base, &errors) < 0) {
		fprintf(stderr, "fuzz-rules: the shared rules do not load:\n%s", errors.s ? errors.s : "");
		abort();
	}
	strbuf_free(&errors);
	return 0;
}

static void remove_all(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *de;
	char p[512];
	while (dd && (de = readdir(dd))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		if (unlink(p) < 0)
			remove_all(p);
	}
	if (dd)
		closedir(dd);
	rmdir(d);
}

static void cleanup(void)
{
	remove_all(dir);
	base = ruleset_free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	char p[128];
	if (!registered) {
		atexit(cleanup);
		registered = 1;
	}
	snprintf(p, sizeof(p), "%s/fuzz.yaml", dir);
	struct strbuf errors;
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	(void)rules_check_text(base, p, (const char *)data, size, &errors);
	strbuf_free(&errors);
	return 0;
}
