/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * case.yaml (SPEC §3): the coordinator's optional description of a case.
 * Every key is optional; a bad key or value is reported as
 * "case.yaml:LINE:COL: what is wrong" and the rest is still used — a broken
 * case.yaml never stops a scan.
 */
#ifndef INGEST_CASEYAML_H
#define INGEST_CASEYAML_H

#include "internal.h"
#include "libingest-internal.h"
#include "rules.h"


struct case_yaml {
	char *cancer_type;          /* a rules id as written (checked against the rules later), or NULL */
	int cancer_type_line, cancer_type_col;
	enum rule_setting setting;  /* RULE_SETTING_UNKNOWN when absent or invalid */
	char *question;             /* verbatim, or NULL */
	char **notify;              /* e-mail addresses that passed the shape check */
	size_t n_notify;
	char *patient_language;     /* ISO 639 code ("ar", "pt-BR"), or NULL */
	/* passwords: tried on the case's encrypted archives (expand.c). Never
	 * logged, reported or packaged; wiped (explicit_bzero) when freed. */
	char **passwords;
	size_t n_passwords;
	/* deliver_to: the destination (a name of ingestd's destinations:) the
	 * case's package is delivered to (SPEC §10, docs/daemon.md). */
	char *deliver_to;           /* a well-formed name, or NULL */
	bool deliver_to_bad;        /* the key is there but its value is not a name */
	bool ignored;               /* the whole file could not be used (not YAML, not UTF-8, too large) */
};

/* Parses BUF/LEN. Always yields *out (possibly with nothing set) unless LEN is
 * over CASE_YAML_MAX_BYTES (-E2BIG); every problem found is appended to
 * ERRORS (may be NULL) as "case.yaml:LINE:COL: what\n". Returns the number of
 * problems found (>= 0) or a negative errno. */
ING_HIDDEN int case_yaml_parse(const char *buf, size_t len, struct case_yaml **out, struct strbuf *errors);

/* Reads NAME below the folder DIRFD (no symbolic links, a regular file,
 * at most CASE_YAML_MAX_BYTES) and parses it. -ENOENT if there is none;
 * a file that cannot be read or is too large is reported in ERRORS and
 * returns the parse result of nothing (an empty case_yaml). */
ING_HIDDEN int case_yaml_read_at(int dirfd, const char *name, struct case_yaml **out, struct strbuf *errors);

ING_HIDDEN struct case_yaml *case_yaml_free(struct case_yaml *cy);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct case_yaml *, case_yaml_free)

/* The passwords of NAME below DIRFD (case_yaml_read_at(), problems ignored:
 * the scan reports them) into *OUT, *N (none: NULL, 0). Free them with
 * case_yaml_passwords_free(), which wipes them. */
ING_HIDDEN void case_yaml_passwords_at(int dirfd, const char *name, char ***out, size_t *n);
ING_HIDDEN void case_yaml_passwords_free(char **pw, size_t n);

/* case_yaml_address_ok(), case_yaml_notify_at(), case_yaml_deliver_to_at(): libingest-internal.h. */

#endif
