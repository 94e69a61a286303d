/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `ingest rules list|validate [DIR]`: show or check the cancer-type rules. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "build-config.h"
#include "commands.h"
#include "libingest-internal.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingest rules list [DIR]\n"
	        "       ingest rules validate [DIR]\n"
	        "       ingest rules validate FILE.yaml [DIR]\n"
	        "\n"
	        "Show or check the cancer-type rules (one YAML file per type, see docs/rules.md).\n"
	        "\n"
	        "  list       print each cancer type: id, name, number of rules (required/recommended)\n"
	        "  validate   check every *.yaml in DIR; errors are printed as FILE:LINE:COL: what is wrong\n"
	        "             with FILE.yaml: check that one file as if it were put into DIR (replacing\n"
	        "             DIR's file of the same name, if any), before it is installed\n"
	        "\n"
	        "DIR defaults to the installed rules, %s.\n"
	        "\n"
	        "Exit status: 0 valid, 1 the rules have errors, 2 wrong arguments,\n"
	        "3 DIR could not be read, 4 internal failure.\n",
	        INGEST_RULES_DIR);
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
		struct ruleset_type_summary t;
		ruleset_type_summary(rs, i, &t);
		printf("%-18s %-44.44s %5zu %8u %11u\n", t.id, t.name, t.rules, t.required, t.recommended);
	}
	ruleset_free(rs);
	return EXIT_OK;
}

/*
 * FILE as if installed in DIR (as DIR/NAME): DIR's other files are loaded
 * once and FILE is checked against them. When they do not load without it
 * (FILE replaces a dictionary or fragment the others use), the whole folder
 * is loaded with FILE in its place, so that what the others lose shows too.
 */
static int do_validate_file(const char *file, const char *dir)
{
	struct ruleset *base = NULL;
	struct strbuf errors;
	const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(name);
	int r;

	if (n <= 5 || strcmp(name + n - 5, ".yaml") != 0) {
		fprintf(stderr, "ingest rules validate: %s: a rules file is named ID.yaml\n", file);
		return EXIT_USAGE;
	}
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	r = rules_load_base(NULL, dir, name, &base, &errors);
	if (r == -EINVAL) {
		char *path = xasprintf("%s/%s", dir, name);
		struct stat st;
		bool replaces = stat(path, &st) == 0;
		free(path);
		if (!replaces) {
			fputs(errors.s ? errors.s : "", stderr);
			fprintf(stderr, "ingest rules validate: the rules in %s have errors of their own; %s was not checked\n",
			        dir, file);
			strbuf_free(&errors);
			return EXIT_FINDINGS;
		}
		strbuf_free(&errors);
		strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
		r = rules_load_dir_with(NULL, dir, name, file, &base, &errors);
		if (r == -EINVAL) {
			fputs(errors.s ? errors.s : "", stderr);
			if (errors.len >= errors.max - 1024)
				fprintf(stderr, "(more errors not shown)\n");
		} else if (r == 0) {
			size_t files, rules;
			ruleset_size(base, &files, &rules);
			printf("%s: OK (in place of %s/%s: %zu files, %zu rules)\n", file, dir, name, files, rules);
			ruleset_free(base);
		}
		strbuf_free(&errors);
		if (r < 0 && r != -EINVAL)
			fprintf(stderr, "ingest rules: cannot read %s: %s\n", dir, strerror(-r));
		return r == 0 ? EXIT_OK : r == -EINVAL ? EXIT_FINDINGS : r == -ENOMEM ? EXIT_INTERNAL : EXIT_INPUT;
	}
	if (r < 0) {
		strbuf_free(&errors);
		fprintf(stderr, "ingest rules: cannot read %s: %s\n"
		        "Give the rules folder as DIR, or install the rules.\n", dir, strerror(-r));
		return r == -ENOMEM ? EXIT_INTERNAL : EXIT_INPUT;
	}
	r = rules_check_file(base, file, &errors);
	if (r < 0) {
		fputs(errors.s ? errors.s : "", stderr);
		if (errors.len >= errors.max - 1024)
			fprintf(stderr, "(more errors not shown)\n");
	} else {
		size_t files, rules;
		ruleset_size(base, &files, &rules);
		printf("%s: OK (with the %zu other files of %s)\n", file, files, dir);
	}
	strbuf_free(&errors);
	ruleset_free(base);
	return r < 0 ? EXIT_FINDINGS : EXIT_OK;
}

static int do_validate(const char *dir)
{
	struct ruleset *rs = NULL;
	int status = load(dir, &rs);

	if (status != EXIT_OK)
		return status;
	size_t files, rules;
	ruleset_size(rs, &files, &rules);
	printf("%zu files, %zu rules: OK\n", files, rules);
	ruleset_free(rs);
	return EXIT_OK;
}

int cmd_rules(int argc, char **argv)
{
	const char *verb, *dir = NULL, *file = NULL;
	const char *args[2];
	size_t n_args = 0;
	bool too_many = false;

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
		fprintf(stderr, "ingest rules: unknown command \"%s\" (expected list or validate); see 'ingest rules --help'\n",
		        verb);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (argv[i][0] == '-' && strcmp(argv[i], "--") != 0) {
			fprintf(stderr, "ingest rules %s: unknown option %.*s; see 'ingest rules --help'\n", verb,
			        (int)strcspn(argv[i], "="), argv[i]);
			return EXIT_USAGE;
		}
		if (strcmp(argv[i], "--") == 0) {
			for (i++; i < argc; i++) {
				if (n_args == 2)
					too_many = true;
				else
					args[n_args++] = argv[i];
			}
			break;
		}
		if (n_args == 2)
			too_many = true;
		else
			args[n_args++] = argv[i];
	}
	/* validate FILE.yaml [DIR]: the first argument is not a folder */
	if (strcmp(verb, "validate") == 0 && n_args >= 1) {
		struct stat st;
		if (stat(args[0], &st) == 0 && !S_ISDIR(st.st_mode)) {
			file = args[0];
			dir = n_args == 2 ? args[1] : NULL;
		}
	}
	if (!file) {
		dir = n_args ? args[0] : NULL;
		too_many = too_many || n_args > 1;
	}
	if (too_many) {
		fprintf(stderr, "ingest rules %s: too many arguments (%s)\n", verb,
		        strcmp(verb, "list") == 0 ? "one DIR at most" : "DIR, or FILE.yaml and DIR, at most");
		return EXIT_USAGE;
	}
	if (!dir)
		dir = evaluate_default_rules_dir();
	if (file)
		return do_validate_file(file, dir);
	return strcmp(verb, "list") == 0 ? do_list(dir) : do_validate(dir);
}
