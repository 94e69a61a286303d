/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Subcommands of the `ingest` tool. Each returns the process exit status. */
#ifndef INGEST_COMMANDS_H
#define INGEST_COMMANDS_H

#include <stdbool.h>

/* Exit statuses (documented in docs/cli.md). */
enum {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1,   /* the command ran; the result is negative (verify mismatch, invalid rules) */
	EXIT_USAGE = 2,      /* wrong arguments */
	EXIT_INPUT = 3,      /* the input could not be read at all */
	EXIT_INTERNAL = 4,   /* an internal failure (out of memory, I/O on our own files) */
};

int cmd_scan(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_send(int argc, char **argv);

/* --today's value for `ingest CMD`: true when ARG is a day written
 * YYYY-MM-DD, one that exists, in 1900..2200 (the years the checker measures
 * ages in); else false, having said so on stderr (ingest.c). */
bool tool_today_ok(const char *cmd, const char *arg);

/* The rules folder DIR (NULL: the installed one) loaded before `ingest CMD`
 * uses it, into *OUT (for ing_scan_opts.rules: loaded once, the scan reads
 * them; the caller frees them after the scan): EXIT_OK, or EXIT_FINDINGS
 * (they do not validate) / EXIT_INPUT (there is no such folder) having
 * printed why, *OUT NULL. Rules that do not load never let a case pass
 * (SPEC §11): the command refuses instead, before anything is written
 * (ingest.c). */
struct ruleset;
int tool_rules_load(const char *cmd, const char *dir, struct ruleset **out);

/* A usage error of getopt_long() in `ingest CMD` (it returned '?' or ':';
 * the optstring starts with ':' and opterr is 0): says it in one line,
 * "ingest CMD: unknown option --x; see 'ingest CMD --help'", and returns
 * EXIT_USAGE (ingest.c). */
int tool_bad_option(const char *cmd, int c, char **argv);

/* A library context for `ingest CMD` that logs to stderr up to MAX_LEVEL:
 * EXIT_OK and *out, or EXIT_INTERNAL having said why (ingest.c). */
struct ing_ctx;
int tool_ctx_new(const char *cmd, int max_level, struct ing_ctx **out);

#endif
