/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ingest package: scan one drop and publish its BagIt package (SPEC §6). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "libingest-internal.h"
#include "commands.h"

static void package_usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingest package PATH --out DIR [--case-id ID] [--cancer-type T] [--setting S]\n"
	        "                       [--rules DIR] [--today YYYY-MM-DD] [--state pending|ready]\n"
	        "                       [--status S] [--no-fetch] [--allow-http] [--ca-file PEM] [-v]\n"
	        "\n"
	        "Scan one drop (a folder or a single file) and publish its BagIt 1.0 package\n"
	        "as DIR/pending/CASE or DIR/ready/CASE, built in DIR/.building/ and published\n"
	        "by one atomic rename (an existing package of the case is replaced whole).\n"
	        "\n"
	        "  --out DIR          the outbox (created if missing)\n"
	        "  --case-id ID       case id, [A-Za-z0-9._-]{1,64} (default: PATH's base name)\n"
	        "  --cancer-type T    rules id to check against (default: case.yaml, else inferred, else generic)\n"
	        "  --setting S        early | locally-advanced | metastatic | recurrent (default: case.yaml)\n"
	        "  --rules DIR        rules folder (default: the installed one)\n"
	        "  --today DAY        measure ages to that day (YYYY-MM-DD) instead of today, e.g. to\n"
	        "                     re-check an old case\n"
	        "  --state S          override where it is published: pending or ready\n"
	        "                     (default: ready when no required gap remains, else pending)\n"
	        "  --status S         override the status: complete, incomplete or blocked (default: the rules')\n"
	        "  --no-fetch         do not download the drop's links (*.url, *.webloc, links.txt)\n"
	        "  --allow-http       downloads may use http:// too (default: https only)\n"
	        "  --ca-file PEM      CA bundle for downloads (default: the system's)\n"
	        "  -v, --verbose      log progress to stderr\n"
	        "\n"
	        "Exit status: 0 published, 1 the rules do not validate (nothing is written),\n"
	        "2 usage error, 3 the drop or the rules folder could not be read,\n"
	        "4 the package could not be written (nothing was published).\n");
}

/* PATH's base name without its extension (CASE.iso -> CASE), as the scan names it. */
int cmd_package(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "case-id", required_argument, NULL, 'c' },
		{ "cancer-type", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 'S' },
		{ "setting", required_argument, NULL, 'T' },
		{ "rules", required_argument, NULL, 'R' },
		{ "today", required_argument, NULL, 'D' },
		{ "no-fetch", no_argument, NULL, 'F' },
		{ "allow-http", no_argument, NULL, 'H' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ing_package_opts po = { .state = ING_PACKAGE_PENDING, .status = NULL };
	struct ing_scan_opts so = { .fetch_links = true };
	const char *out = NULL, *case_id = NULL;
	bool state_given = false;
	int verbose = 0, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hvo:", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'c': case_id = optarg; break;
		case 't': po.cancer_type = optarg; break;
		case 's':
			state_given = true;
			if (strcmp(optarg, "pending") == 0)
				po.state = ING_PACKAGE_PENDING;
			else if (strcmp(optarg, "ready") == 0)
				po.state = ING_PACKAGE_READY;
			else {
				fprintf(stderr, "ingest package: --state is pending or ready, not \"%s\".\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			if (strcmp(optarg, "complete") != 0 && strcmp(optarg, "incomplete") != 0 && strcmp(optarg, "blocked") != 0) {
				fprintf(stderr, "ingest package: --status is complete, incomplete or blocked.\n");
				return EXIT_USAGE;
			}
			po.status = optarg;
			break;
		case 'T': so.setting = optarg; break;
		case 'R': so.rules_dir = optarg; break;
		case 'D':
			if (!tool_today_ok("package", optarg))
				return EXIT_USAGE;
			so.today = optarg;
			break;
		case 'F': so.fetch_links = false; break;
		case 'H': so.allow_http = true; break;
		case 'C': so.ca_file = optarg; break;
		case 'v': verbose++; break;
		case 'h': package_usage(stdout); return EXIT_OK;
		default: return tool_bad_option("package", c, argv);
		}
	}
	if (optind + 1 != argc || !out) {
		fprintf(stderr, "ingest package: give one PATH (a drop folder, archive or disc image) and --out DIR; see 'ingest package --help'\n");
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	/* nothing is written when they do not load; loaded once, here, the scan reads them (freed after it) */
	_cleanup_(ruleset_freep) struct ruleset *rules = NULL;
	int checked = tool_rules_load("package", so.rules_dir, &rules);
	if (checked != EXIT_OK)
		return checked;
	so.rules = rules;
	char *derived = case_id ? NULL : case_id_from_path(path, false);
	const char *cid = case_id ? case_id : derived;

	struct ing_ctx *ctx = NULL;
	struct ing_scan *scan = NULL;
	struct ing_package *pkg = NULL;
	int rc = EXIT_INTERNAL;
	int r = tool_ctx_new("package", verbose ? ING_LOG_DEBUG : ING_LOG_WARNING, &ctx);
	if (r != EXIT_OK) {
		free(derived);
		return r;
	}

	r = ing_package_begin(ctx, out, cid, &pkg);
	if (r == -EINVAL) {
		fprintf(stderr, "ingest package: \"%s\" is not a valid case id: use letters, digits, '.', '_' and '-' "
		        "(at most 64); give one with --case-id.\n", cid);
		rc = EXIT_USAGE;
		goto done;
	}
	if (r < 0) {
		fprintf(stderr, "ingest package: cannot prepare the outbox \"%s\": %s. Check the path and its permissions.\n",
		        out, ing_strerror(r));
		goto done;
	}
	so.case_id = cid;
	so.cancer_type = po.cancer_type;
	so.staging_dir = ing_package_staging_dir(pkg);
	r = ing_scan_path(ctx, path, &so, &scan);
	if (r < 0) {
		bool ours = r == -ENOSPC || r == -EDQUOT || r == -EROFS;
		fprintf(stderr, "ingest package: %s \"%s\": %s.\n", ours ? "cannot stage the files of" : "cannot read",
		        ours ? out : path, ing_strerror(r));
		rc = ours ? EXIT_INTERNAL : EXIT_INPUT;
		goto done;
	}
	/* Where it goes follows the rules: ready only when no required gap remains. */
	unsigned required = 0;
	const char *status = ing_scan_status(scan, &required);
	if (!po.status)
		po.status = status;
	if (!state_given)
		po.state = strcmp(po.status, "complete") == 0 ? ING_PACKAGE_READY : ING_PACKAGE_PENDING;
	if (!po.cancer_type)
		po.cancer_type = ing_scan_cancer_type(scan);
	r = ing_package_build(pkg, scan, &po);
	if (r == -EINVAL && po.cancer_type) {
		fprintf(stderr, "ingest package: \"%s\" is not a valid cancer type id.\n", po.cancer_type);
		rc = EXIT_USAGE;
		goto done;
	}
	if (r < 0) {
		fprintf(stderr, "ingest package: building the package failed: %s. Nothing was published.\n", ing_strerror(r));
		goto done;
	}
	r = ing_package_publish(pkg);
	if (r < 0) {
		fprintf(stderr, "ingest package: publishing failed: %s. The previous package (if any) is unchanged.\n",
		        ing_strerror(r));
		goto done;
	}
	struct ing_package_info info;
	ing_package_get_info(pkg, &info);
	printf("%s\n  status %s (%s), %u required gap%s\n", info.path, po.status, po.cancer_type, required,
	       required == 1 ? "" : "s");
	printf("  %llu files (%u DICOM, %u documents), %llu bytes\n  manifest-sha256.txt %s\n",
	       (unsigned long long)info.files, info.dicom_files, info.documents, (unsigned long long)info.bytes,
	       info.manifest_sha256);
	if (info.dicomdir_refused)
		printf("  %u DICOM file(s) not described in DICOMDIR (see gap-report.txt)\n", info.dicomdir_refused);
	rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
done:
	ing_package_free(pkg);
	ing_scan_free(scan);
	ing_ctx_free(ctx);
	free(derived);
	return rc;
}
