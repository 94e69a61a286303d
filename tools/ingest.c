/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ingest: the command-line tool (one-shot scans, rules, and later package/verify/status). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "build-config.h"
#include "ingest.h"
#include "libingest-internal.h"
#include "commands.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingest COMMAND [ARGS]\n"
	        "\n"
	        "Commands:\n"
	        "  scan PATH [--json]          inventory of a drop folder or file; nothing is written\n"
	        "  rules list|validate [DIR]   list or check the cancer-type rules\n"
	        "  package PATH --out DIR      build and publish the case's BagIt package\n"
	        "  verify PACKAGE              check a package against its manifests\n"
	        "  send PACKAGE --to URL       deliver a package to a PACS (DICOMweb), confirmed\n"
	        "  status [CASE]               cases and drops as ingestd's journal has them\n"
	        "\n"
	        "Run 'ingest COMMAND --help' for a command's options; 'ingest -V' prints the version.\n"
	        "Exit status: 0 ok, 1 negative result, 2 usage error, 3 input unreadable, 4 internal error.\n");
}

static bool day_valid(const char *s)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	return d <= days[m - 1] + (m == 2 && leap);
}

bool tool_today_ok(const char *cmd, const char *arg)
{
	if (day_valid(arg))
		return true;
	fprintf(stderr, "ingest %s: --today takes a day that exists, as YYYY-MM-DD (e.g. 2024-03-20), not \"%s\".\n",
	        cmd, arg);
	return false;
}

static void log_stderr(void *ud, int level, const char *msg)
{
	(void)ud;
	fprintf(stderr, "ingest: %s%s\n", level <= ING_LOG_ERR ? "error: " : level == ING_LOG_WARNING ? "warning: " : "",
	        msg);
}

int tool_rules_load(const char *cmd, const char *dir, struct ruleset **out)
{
	struct ruleset *rs = NULL;
	struct strbuf errors;
	int r;

	*out = NULL;
	if (!dir)
		dir = evaluate_default_rules_dir();
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	r = rules_load_dir(NULL, dir, &rs, &errors);
	if (r == 0)
		*out = rs;
	else
		ruleset_free(rs);
	if (r == -EINVAL) {
		fprintf(stderr, "ingest %s: the rules in %s do not validate, so no case can be checked against them; "
		        "fix them (ingest rules validate %s) or give another folder with --rules DIR:\n%s", cmd, dir, dir,
		        errors.s ? errors.s : "");
		if (errors.len >= errors.max - 1024)
			fprintf(stderr, "(more errors not shown)\n");
	} else if (r < 0) {
		fprintf(stderr, "ingest %s: cannot read the rules folder %s: %s. Give the rules folder with --rules DIR, "
		        "or install the rules.\n", cmd, dir, strerror(-r));
	}
	strbuf_free(&errors);
	return r == 0 ? EXIT_OK : r == -EINVAL ? EXIT_FINDINGS : r == -ENOMEM ? EXIT_INTERNAL : EXIT_INPUT;
}

int tool_bad_option(const char *cmd, int c, char **argv)
{
	/* glibc: optopt is 0 for an unknown long option, whose text is the
	 * argument getopt_long() has just passed (argv[optind - 1]), as it is for
	 * an option missing its value; else the letter of a short option. */
	char shortopt[3] = { '-', (char)optopt, 0 };
	const char *prev = optind > 1 ? argv[optind - 1] : "";
	const char *opt = !optopt || (c == ':' && strncmp(prev, "--", 2) == 0) ? prev : shortopt;
	int len = (int)strcspn(opt, "=");

	if (c == ':')
		fprintf(stderr, "ingest %s: option %.*s needs a value; see 'ingest %s --help'\n", cmd, len, opt, cmd);
	else
		fprintf(stderr, "ingest %s: unknown option %.*s; see 'ingest %s --help'\n", cmd, len, opt, cmd);
	return EXIT_USAGE;
}

int tool_ctx_new(const char *cmd, int max_level, struct ing_ctx **out)
{
	struct ing_ctx *ctx = NULL;
	int r = ing_ctx_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "ingest %s: cannot start: %s\n", cmd, ing_strerror(r));
		return EXIT_INTERNAL;
	}
	ing_ctx_set_log(ctx, log_stderr, NULL, max_level);
	*out = ctx;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("ingest %s\n", INGEST_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	if (strcmp(cmd, "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);
	if (strcmp(cmd, "package") == 0)
		return cmd_package(argc - 1, argv + 1);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (cmd[0] == '-')
		fprintf(stderr, "ingest: unknown option %.*s; see 'ingest --help'\n", (int)strcspn(cmd, "="), cmd);
	else
		fprintf(stderr, "ingest: unknown command \"%s\"; see 'ingest --help'\n", cmd);
	return EXIT_USAGE;
}
