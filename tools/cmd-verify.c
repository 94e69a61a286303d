/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ingest verify: check a BagIt package against its manifests (for couriers, on arrival). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "commands.h"

static void verify_usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingest verify PACKAGE [-q]\n"
	        "\n"
	        "Check a package (a BagIt bag folder): every file of manifest-sha256.txt and\n"
	        "tagmanifest-sha256.txt is read once and its SHA-256 compared; files under\n"
	        "data/ that no manifest lists, and a wrong Payload-Oxum, are reported.\n"
	        "Each finding is printed as \"<what>: <path>: <detail>\".\n"
	        "\n"
	        "  -q, --quiet    print findings only, no summary\n"
	        "\n"
	        "Exit status: 0 the package is intact, 1 a file is missing, altered or extra\n"
	        "(or a manifest is malformed or unsafe), 2 usage error, 3 PACKAGE cannot be read\n"
	        "or is not a bag.\n");
}

static void log_stderr(void *ud, int level, const char *msg)
{
	(void)ud;
	fprintf(stderr, "ingest verify: %s%s\n", level <= ING_LOG_ERR ? "error: " : "", msg);
}

static void finding(void *ud, enum ing_verify_finding what, const char *path, const char *detail)
{
	static const char *const names[] = {
		[ING_VERIFY_MISSING] = "missing", [ING_VERIFY_ALTERED] = "altered", [ING_VERIFY_EXTRA] = "extra",
		[ING_VERIFY_OXUM] = "oxum", [ING_VERIFY_INVALID] = "invalid",
	};
	(void)ud;
	/* one line per finding: a control character in a name must not forge another line */
	printf("%s: ", names[what]);
	for (const char *p = path; *p; p++) {
		if (*p == '\n')
			fputs("%0A", stdout);
		else if (*p == '\r')
			fputs("%0D", stdout);
		else
			putchar(*p);
	}
	printf(": %s\n", detail);
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool quiet = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': verify_usage(stdout); return EXIT_OK;
		default: return tool_bad_option("verify", c, argv);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "ingest verify: give exactly one PACKAGE folder; see 'ingest verify --help'\n");
		return EXIT_USAGE;
	}
	const char *bag = argv[optind];
	struct ing_ctx *ctx = NULL;
	int r = ing_ctx_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "ingest verify: cannot start: %s\n", ing_strerror(r));
		return EXIT_INTERNAL;
	}
	ing_ctx_set_log(ctx, log_stderr, NULL, ING_LOG_WARNING);
	struct ing_verify_result res;
	r = ing_bag_verify(ctx, bag, finding, NULL, &res);
	ing_ctx_free(ctx);
	if (r == -EBADMSG || r == -E2BIG) {
		fprintf(stderr, "ingest verify: %s: a manifest is malformed or names a path outside the bag; "
		        "the package cannot be trusted.\n", bag);
		return EXIT_FINDINGS;
	}
	if (r == -ENOTDIR) {
		fprintf(stderr, "ingest verify: %s is not a BagIt package (no bagit.txt).\n", bag);
		return EXIT_INPUT;
	}
	if (r < 0) {
		fprintf(stderr, "ingest verify: cannot read %s: %s\n", bag, ing_strerror(r));
		return EXIT_INPUT;
	}
	bool bad = res.missing || res.altered || res.extra || res.invalid || res.oxum_mismatch;
	if (!quiet) {
		if (bad)
			printf("FAILED: %u missing, %u altered, %u extra, %u invalid%s (%llu files checked)\n", res.missing,
			       res.altered, res.extra, res.invalid, res.oxum_mismatch ? ", Payload-Oxum wrong" : "",
			       (unsigned long long)res.files);
		else
			printf("OK: %llu files, %llu bytes verified%s\n", (unsigned long long)res.files,
			       (unsigned long long)res.bytes, res.tag_manifest ? "" : " (no tag manifest)");
	}
	if (fflush(stdout) != 0)
		return EXIT_INTERNAL;
	return bad ? EXIT_FINDINGS : EXIT_OK;
}
