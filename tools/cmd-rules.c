/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `ingest rules list|validate [DIR]`: show or check the cancer-type rules. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "build-config.h"
#include "commands.h"
#include "rules.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingest rules list [DIR]\n"
	        "       ingest rules validate [DIR]\n"
	        "\n"
	        "Show or check the cancer-type rules (one YAML file per type, see docs/rules.md).\n"
	        "\n"
	        "  list       print each cancer type: id, name, number of rules (required/recommended)\n"
	        "  validate   check every *.yaml in DIR; errors are printed as FILE:LINE:COL: what is wrong\n"
	        "\n"
	        "DIR defaults to %s\n"
	        "(or, when that does not exist, to the source tree's %s).\n"
	        "\n"
	        "Exit status: 0 valid, 1 the rules have errors, 2 wrong arguments,\n"
	        "3 DIR could not be read, 4 internal failure.\n",
	        INGEST_RULES_DIR, INGEST_SOURCE_RULES_DIR);
}

static const char *default_dir(void)
{
	struct stat st;
	if (stat(INGEST_RULES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return INGEST_RULES_DIR;
	return INGEST_SOURCE_RULES_DIR;
}

/* Loads DIR; prints errors on stderr. Returns an exit status. */
static int load(const char *dir, struct ruleset **out)
{
	struct strbuf errors;
	int r;

	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	r = rules_load_dir(NULL, dir, out, &errors);
	if (r == -EINVAL) {
		fputs(errors.s ? errors.s : "", stderr);
		if (errors.len >= errors.max - 1024)
			fprintf(stderr, "(more errors not shown)\n");
		strbuf_free(&errors);
		return EXIT_FINDINGS;
	}
	strbuf_free(&errors);
	if (r < 0) {
		fprintf(stderr, "ingest rules: cannot read %s: %s\n"
		        "Give the rules folder as DIR, or install the rules.\n", dir, strerror(-r));
		return r == -ENOMEM ? EXIT_INTERNAL : EXIT_INPUT;
	}
	return EXIT_OK;
}

static int do_list(const char *dir)
{
	struct ruleset *rs = NULL;
	int status = load(dir, &rs);
	size_t n;

	if (status != EXIT_OK)
		return status;
	n = ruleset_n_cancer_types(rs);
	printf("%-18s %-44s %5s %8s %11s\n", "ID", "NAME", "RULES", "REQUIRED", "RECOMMENDED");
	for (size_t i = 0; i < n; i++) {
		const struct rule_type *t = ruleset_cancer_type(rs, i);
		printf("%-18s %-44.44s %5zu %8u %11u\n", t->id, t->name, t->n_rules,
		       t->n_by_severity[RULE_SEV_REQUIRED], t->n_by_severity[RULE_SEV_RECOMMENDED]);
	}
	ruleset_free(rs);
	return EXIT_OK;
}

static int do_validate(const char *dir)
{
	struct ruleset *rs = NULL;
	int status = load(dir, &rs);

	if (status != EXIT_OK)
		return status;
	printf("%zu files, %zu rules: OK\n", rs->n_files, rs->n_rules);
	ruleset_free(rs);
	return EXIT_OK;
}

int cmd_rules(int argc, char **argv)
{
	const char *verb, *dir = NULL;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(verb, "list") != 0 && strcmp(verb, "validate") != 0) {
		fprintf(stderr, "ingest rules: unknown command \"%s\" (expected list or validate; see ingest rules --help)\n",
		        verb);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (argv[i][0] == '-' && strcmp(argv[i], "--") != 0) {
			fprintf(stderr, "ingest rules %s: unknown option \"%s\" (see ingest rules --help)\n", verb, argv[i]);
			return EXIT_USAGE;
		}
		if (strcmp(argv[i], "--") == 0) {
			if (i + 1 < argc && !dir)
				dir = argv[++i];
			if (i + 1 < argc) {
				fprintf(stderr, "ingest rules %s: too many arguments\n", verb);
				return EXIT_USAGE;
			}
			break;
		}
		if (dir) {
			fprintf(stderr, "ingest rules %s: too many arguments (one DIR at most)\n", verb);
			return EXIT_USAGE;
		}
		dir = argv[i];
	}
	if (!dir)
		dir = default_dir();
	return strcmp(verb, "list") == 0 ? do_list(dir) : do_validate(dir);
}
