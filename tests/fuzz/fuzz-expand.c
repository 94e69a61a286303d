/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The archive expander on arbitrary bytes, reached the way a drop that is
 * one archive or disc image reaches it: the input is written as the one file
 * "drop" of a fresh folder and ing_scan_path() runs on that file (format
 * sniffing, streaming and seekable readers, nested archives, hostile entry
 * names, limits), then the report is rendered as JSON. Limits are small so
 * every input stays fast; OCR is off (it costs a second a page).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64], drop[96], rules[96];
static struct ing_ctx *ctx;

static void quiet(void *ud, int level, const char *msg)
{
	(void)ud;
	(void)level;
	(void)msg;
}

static void cleanup(void)
{
	unlink(drop);
	rmdir(rules);
	rmdir(dir);
	ing_ctx_free(ctx);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct ing_limits lim;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%.40s/fuzz-expand.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(drop, sizeof(drop), "%s/drop", dir);
	/* an empty rules folder: the generic checks run, no YAML is parsed per input */
	snprintf(rules, sizeof(rules), "%s/rules", dir);
	if (mkdir(rules, 0700) < 0)
		abort();
	if (ing_ctx_new(&ctx) < 0)
		abort();
	/* every message is formatted (hostile names pass through the log), then dropped */
	ing_ctx_set_log(ctx, quiet, NULL, ING_LOG_DEBUG);
	ing_limits_default(&lim);
	lim.max_file_bytes = 64u << 20;
	lim.max_total_bytes = 64u << 20;
	lim.max_entries = 2000;
	lim.max_depth = 4;
	lim.max_doc_bytes = 4u << 20;
	lim.extract_cpu_seconds = 2;
	lim.max_pages = 2;
	lim.max_ocr_documents = 0;
	ing_ctx_set_limits(ctx, &lim);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ing_scan_opts opts = { .case_id = "fuzz", .rules_dir = rules, .today = "2024-01-01" };
	struct ing_scan *scan = NULL;
	char *json = NULL;

	int fd = open(drop, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (ing_scan_path(ctx, drop, &opts, &scan) == 0) {
		if (ing_scan_to_json(scan, &json) < 0)
			abort();
		free(json);
		ing_scan_free(scan);
	}
	return 0;
}
