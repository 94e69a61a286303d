/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test driver: `ingest scan --json` with limits set from the command line, so
 * the expansion limits can be exercised with small inputs.
 *
 *   expand-scan [-v] [-c] [-l NAME=VALUE]... PATH
 *
 * -v logs to stderr; -c scans PATH as the daemon's case store (one folder
 * per drop, each drop's case.yaml counting).
 *
 * NAME is one of max_file_bytes, max_total_bytes, max_entries, max_depth,
 * max_ratio, max_path_bytes, extract_cpu_seconds, max_ocr_documents,
 * max_case_text_bytes, max_drop_ratio, max_drop_seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"

static void log_stderr(void *ud, int level, const char *msg)
{
	(void)ud;
	fprintf(stderr, "expand-scan: [%d] %s\n", level, msg);
}

static int set_limit(struct ing_limits *l, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *end;
	if (!eq)
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(eq + 1, &end, 10);
	if (errno || *end || end == eq + 1)
		return -EINVAL;
	size_t k = (size_t)(eq - arg);
#define L(name) if (k == strlen(#name) && strncmp(arg, #name, k) == 0) { l->name = v; return 0; }
	L(max_file_bytes)
	L(max_total_bytes)
	L(max_entries)
	L(max_depth)
	L(max_ratio)
	L(max_path_bytes)
	L(extract_cpu_seconds)
	L(max_ocr_documents)
	L(max_case_text_bytes)
	L(max_drop_ratio)
	L(max_drop_seconds)
#undef L
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct ing_ctx *ctx = NULL;
	struct ing_scan *scan = NULL;
	struct ing_limits lim;
	char *json = NULL;
	struct ing_scan_opts so = { 0 };
	int c, r;

	if (ing_ctx_new(&ctx) < 0)
		return 2;
	lim = *ing_ctx_get_limits(ctx);
	while ((c = getopt(argc, argv, "l:vc")) != -1) {
		switch (c) {
		case 'l':
			if (set_limit(&lim, optarg) < 0) {
				fprintf(stderr, "expand-scan: bad limit \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'v':
			ing_ctx_set_log(ctx, log_stderr, NULL, ING_LOG_DEBUG);
			break;
		case 'c':
			so.case_store = true;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: expand-scan [-l NAME=VALUE]... PATH\n");
		return 2;
	}
	ing_ctx_set_limits(ctx, &lim);
	r = ing_scan_path(ctx, argv[optind], &so, &scan);
	if (r < 0) {
		fprintf(stderr, "expand-scan: %s: %s\n", argv[optind], ing_strerror(r));
		ing_ctx_free(ctx);
		return 1;
	}
	r = ing_scan_to_json(scan, &json);
	if (r == 0)
		puts(json);
	free(json);
	ing_scan_free(scan);
	ing_ctx_free(ctx);
	return r == 0 ? 0 : 1;
}
