/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The rules loader on an arbitrary rules file, next to the shipped shared
 * dictionaries (so references can resolve and deeper code is reached). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64];

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
	copy_shared("_biomarkers.yaml");
	copy_shared("_labs.yaml");
	copy_shared("_baseline.yaml");
	copy_shared("_solid.yaml");
	return 0;
}

static void cleanup(void)
{
	const char *names[] = { "_biomarkers.yaml", "_labs.yaml", "_baseline.yaml", "_solid.yaml", "fuzz.yaml" };
	char p[128];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
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
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	struct ruleset *rs = NULL;
	struct strbuf errors;
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	if (rules_load_dir(NULL, dir, &rs, &errors) == 0)
		ruleset_free(rs);
	strbuf_free(&errors);
	return 0;
}
