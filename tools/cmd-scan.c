/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "libingest-internal.h"
#include "commands.h"

static void scan_usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingest scan PATH [--json] [--case-id ID] [--cancer-type T] [--setting S] [--rules DIR]\n"
	        "                   [--today YYYY-MM-DD] [-v]\n"
	        "\n"
	        "Inventory of one drop (a folder or a single file): every file identified,\n"
	        "DICOM headers read, documents read. Nothing is written but the compiled\n"
	        "cache of the rules' vocabulary ($INGEST_CACHE_DIR, else ~/.cache/ingest).\n"
	        "\n"
	        "  --json            print the report as JSON (docs/gap-report.schema.json)\n"
	        "  --case-id ID      case id to report (default: the base name of PATH, other\n"
	        "                    characters than A-Za-z0-9._- made _)\n"
	        "  --cancer-type T   rules id to check against (default: case.yaml, else inferred)\n"
	        "  --setting S       early, locally-advanced, metastatic or recurrent (default: case.yaml)\n"
	        "  --rules DIR       rules folder (default: the installed one)\n"
	        "  --today DAY       measure ages to that day (YYYY-MM-DD) instead of today, e.g. to\n"
	        "                    re-check an old case\n"
	        "  -v, --verbose     log progress to stderr\n"
	        "\n"
	        "Exit status: 0 when the report was printed, whatever gaps it shows (read\n"
	        "\"status\" in the report: complete, incomplete or blocked); 1 the rules do not\n"
	        "validate (nothing is checked against rules that do not load); 2 usage error;\n"
	        "3 the path or the rules folder could not be read; other values: internal error.\n");
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "case-id", required_argument, NULL, 'c' },
		{ "cancer-type", required_argument, NULL, 't' },
		{ "setting", required_argument, NULL, 's' },
		{ "rules", required_argument, NULL, 'r' },
		{ "today", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ing_scan_opts so = { 0 };
	bool json = false;
	int verbose = 0, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'c': so.case_id = optarg; break;
		case 't': so.cancer_type = optarg; break;
		case 's': so.setting = optarg; break;
		case 'r': so.rules_dir = optarg; break;
		case 'D':
			if (!tool_today_ok("scan", optarg))
				return EXIT_USAGE;
			so.today = optarg;
			break;
		case 'v': verbose++; break;
		case 'h': scan_usage(stdout); return EXIT_OK;
		default: return tool_bad_option("scan", c, argv);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "ingest scan: give exactly one PATH (a drop folder, an archive or a disc image); see 'ingest scan --help'\n");
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	if (so.setting && strcmp(so.setting, "early") != 0 && strcmp(so.setting, "locally-advanced") != 0 &&
	    strcmp(so.setting, "metastatic") != 0 && strcmp(so.setting, "recurrent") != 0) {
		fprintf(stderr, "ingest scan: unknown setting \"%s\": use early, locally-advanced, metastatic or recurrent.\n",
		        so.setting);
		return EXIT_USAGE;
	}

	_cleanup_(ruleset_freep) struct ruleset *rules = NULL;   /* freed after the scan */
	int rc = tool_rules_load("scan", so.rules_dir, &rules);
	if (rc != EXIT_OK)
		return rc;
	so.rules = rules;

	struct ing_ctx *ctx = NULL;
	struct ing_scan *scan = NULL;
	int r = tool_ctx_new("scan", verbose ? ING_LOG_DEBUG : ING_LOG_WARNING, &ctx);
	if (r != EXIT_OK)
		return r;
	r = ing_scan_path(ctx, path, &so, &scan);
	if (r < 0) {
		fprintf(stderr, "ingest scan: cannot read \"%s\": %s. Check the path and its permissions.\n", path,
		        ing_strerror(r));
		ing_ctx_free(ctx);
		return EXIT_INPUT;
	}
	if (json) {
		char *s = NULL;
		r = ing_scan_to_json(scan, &s);
		if (r == 0) {
			fputs(s, stdout);
			fputc('\n', stdout);
		}
		free(s);
	} else {
		r = ing_scan_write_text(scan, stdout);
	}
	ing_scan_free(scan);
	ing_ctx_free(ctx);
	if (fflush(stdout) != 0 || r < 0) {
		fprintf(stderr, "ingest scan: could not write the report: %s\n", ing_strerror(r < 0 ? r : -EIO));
		return EXIT_INTERNAL;
	}
	return EXIT_OK;
}
