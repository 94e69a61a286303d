/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The checker (SPEC §4 "evaluate", §5 gaps): which cancer type's rules apply
 * (option, case.yaml, inferred from the records, else generic), which of its
 * rules the inventory fails, the generic checks every case gets, and the
 * status. Results are stored in struct ing_scan (case.h).
 */
#ifndef INGEST_EVALUATE_H
#define INGEST_EVALUATE_H

#include "caseyaml.h"
#include "rules.h"
#include "case.h"

/* A document (or a file that may hold documents or images) that could hold a
 * gap's evidence and was not (fully) read: it is named in the gap, with why. */
struct gap_unread {
	char *path;                  /* as the patient gave it */
	const char *reason;          /* "ocr-failed", "ocr-uncertain", "kind-unknown", "encrypted", "corrupt",
	                              * "too-big", "timed-out", "refused", "skipped", "unsupported",
	                              * "download-failed", "text-not-kept" */
	char *detail;                /* plain words: why, and what to do ("read by OCR, 61%: check by eye") */
};

struct ing_gap {
	char *rule_id;               /* "breast.her2", "generic.multiple-patients" */
	enum rule_severity severity; /* REQUIRED, RECOMMENDED or WARNING (INFO only in notes) */
	char *message;               /* the rule's message, made specific */
	char *evidence;              /* what in the inventory supports the verdict; may be NULL */
	char *condition;             /* the rule's free-text condition (the gap applies only then), or NULL */
	struct gap_unread *unread;   /* documents that could hold the evidence and were not (fully) read */
	size_t n_unread;             /* at most EVAL_UNREAD_LISTED */
	size_t unread_total;         /* how many there are in all */
	bool unread_could_answer;    /* the item may be in them: check them by eye before asking the hospital */
};

struct eval_opts {
	const char *cancer_type;     /* forced rules id (ingest scan --cancer-type), or NULL */
	const char *setting;         /* overrides case.yaml's setting, or NULL */
	const char *today;           /* YYYY-MM-DD ages are measured to; NULL: the report's generated_at */
	const char *rules_error;     /* the rules could not be loaded: why (the case is then held, never
	                              * passed: SPEC §11); NULL when they were */
};

/* Parses the drop's case.yaml from its bytes (the scan hands them over as
 * they pass: folder drops and archive drops alike) into scan->case_yaml, and
 * its problems into scan->case_yaml_errors. */
ING_HIDDEN void evaluate_case_yaml(struct ing_scan *scan, const void *buf, size_t len);

/* Evaluates the inventory of SCAN (inventory_build() done) against RS (NULL:
 * no rules could be loaded; only the generic checks run). Fills the scan's
 * cancer type, setting, gaps, notes and status; a problem with case.yaml is
 * added to the inventory's problems. Never fails. */
ING_HIDDEN void evaluate_scan(struct ing_scan *scan, const struct ruleset *rs, const struct eval_opts *o);

/* ing_scan_path()'s step: loads OPTS->rules_dir (default: evaluate_default_rules_dir())
 * and evaluates. A rules folder that is missing or does not validate fails
 * closed: it is logged, the generic checks run, and a required gap
 * (rules.unavailable) holds the case until the rules are fixed. */
/* Loads the rules folder (opts->rules_dir, else the installed one) into
 * scan->rules, or says why not in scan->rules_error. Before the walk. */
ING_HIDDEN void evaluate_load_rules(struct ing_scan *scan, const struct ing_scan_opts *opts);
ING_HIDDEN void evaluate_run(struct ing_scan *scan, const struct ing_scan_opts *opts);

/* evaluate_default_rules_dir(): libingest-internal.h (`ingest rules` uses it too). */

/* Frees what evaluation added to SCAN. */
ING_HIDDEN void evaluation_free(struct ing_scan *scan);

#endif
