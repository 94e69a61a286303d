/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The checker: cancer type, rule evaluation, generic checks, status.
 *
 * Principles (SPEC §5): a verdict rests only on what the inventory holds; a
 * biomarker counts only when the extractor found it with its result (state
 * FOUND, with a snippet); a document that could not be read is said to be
 * unread, never missing; every gap names what was looked for and what was
 * found instead.
 *
 * This file holds the entry points and the status; the parts are
 * evaluate-type.c (which cancer type's rules apply), evaluate-rules.c and
 * evaluate-imaging.c (the type's rules against the inventory) and
 * evaluate-generic.c (the checks every case gets), with what they share in
 * evaluate-gaps.c.
 */
#include <fcntl.h>

#include "build-config.h"
#include "evaluate-gaps.h"
#include "testhooks.h"

/* ---- entry points ---- */

void evaluate_case_yaml(struct ing_scan *scan, const void *buf, size_t len)
{
	struct strbuf err;
	struct case_yaml *cy = NULL;
	int r;

	strbuf_init(&err, EVAL_TEXT_MAX);
	r = case_yaml_parse(buf, len, &cy, &err);
	if (r < 0 && !err.len)
		(void)strbuf_printf(&err, "case.yaml:1:1: could not be read (%s); it was ignored\n", ing_strerror(r));
	if (scan->case_yaml && cy) {
		/* a later drop's case.yaml overrides what it sets, and only that */
		struct case_yaml *old = scan->case_yaml;
		if (cy->cancer_type) {
			free(old->cancer_type);
			old->cancer_type = steal_ptr(cy->cancer_type);
			old->cancer_type_line = cy->cancer_type_line;
			old->cancer_type_col = cy->cancer_type_col;
		}
		if (cy->setting != RULE_SETTING_UNKNOWN)
			old->setting = cy->setting;
		if (cy->question) {
			free(old->question);
			old->question = steal_ptr(cy->question);
		}
		if (cy->patient_language) {
			free(old->patient_language);
			old->patient_language = steal_ptr(cy->patient_language);
		}
		/* deliver_to (SPEC §10): a later case.yaml that names one, names a bad
		 * one or cannot be read decides (ing_scan_deliver_to()) */
		if (cy->deliver_to || cy->deliver_to_bad || cy->ignored) {
			free(old->deliver_to);
			old->deliver_to = steal_ptr(cy->deliver_to);
			old->deliver_to_bad = cy->deliver_to_bad;
			old->ignored = cy->ignored;
		}
		for (size_t i = 0; i < cy->n_notify; i++) {
			old->notify = xrealloc(old->notify, (old->n_notify + 1) * sizeof(char *));
			old->notify[old->n_notify++] = steal_ptr(cy->notify[i]);
		}
		cy->n_notify = 0;
		case_yaml_free(cy);
	} else if (cy) {
		case_yaml_free(scan->case_yaml);
		scan->case_yaml = cy;
	}
	if (err.len) {
		char *prev = scan->case_yaml_errors;
		scan->case_yaml_errors = prev ? xasprintf("%s%s", prev, err.s) : strbuf_steal(&err);
		free(prev);
	}
	strbuf_free(&err);
}

size_t ing_scan_notify(const struct ing_scan *scan, const char *const **addrs)
{
	const struct case_yaml *cy = scan->case_yaml;
	*addrs = cy ? (const char *const *)cy->notify : NULL;
	return cy ? cy->n_notify : 0;
}

int ing_scan_deliver_to(const struct ing_scan *scan, char **name, char **why)
{
	*name = *why = NULL;
	/* a case.yaml the scan could not read at all (too large, unreadable) may name one */
	for (size_t i = 0; i < scan->files.n; i++) {
		const struct ing_file *f = scan->files.v[i];
		if (f->kind == KIND_CASE_YAML && f->problem != PROB_NONE && f->problem != PROB_DUPLICATE) {
			*why = xstrdup("a case.yaml of the case could not be read (see the report), so the destination it "
			               "may name (deliver_to) is not known");
			return -EINVAL;
		}
	}
	const struct case_yaml *cy = scan->case_yaml;
	if (!cy)
		return 0;
	if (cy->ignored) {
		*why = xstrdup("its case.yaml cannot be read as a whole (see the report's case.yaml problem), so the "
		               "destination it may name (deliver_to) is not known");
		return -EINVAL;
	}
	if (cy->deliver_to_bad) {
		*why = xstrdup("its case.yaml's deliver_to is not a destination's name (see the report's case.yaml "
		               "problem)");
		return -EINVAL;
	}
	if (!cy->deliver_to)
		return 0;
	*name = xstrdup(cy->deliver_to);
	return 1;
}

/* A document the extractor could not read: a scan, a photo, an office file, a failed extraction. */
static bool doc_unread(const struct ing_file *f)
{
	if (f->doc && f->doc->extract_error)
		return true;
	if (f->kind == KIND_SCANNED || f->kind == KIND_PHOTO || f->kind == KIND_UNKNOWN)
		return !doc_readable(f);
	return false;
}

static bool usable(const struct ing_scan *scan)
{
	for (size_t i = 0; i < scan->inv.studies.n; i++)
		if (study_has_images(scan->inv.studies.v[i]))
			return true;
	for (size_t i = 0; i < scan->inv.documents.n; i++) {
		const struct ing_file *f = scan->inv.documents.v[i];
		if (!doc_unread(f) && (doc_readable(f) || (f->kind >= KIND_PATHOLOGY && f->kind <= KIND_LETTER)))
			return true;
	}
	return false;
}

/* Rules that could not be loaded never let a case pass (SPEC §11): a
 * required gap that says so, whatever the cancer type would have allowed. */
static void hold_without_rules(struct ev *e, const char *why)
{
	struct strbuf msg, evid;
	strbuf_init(&msg, EVAL_TEXT_MAX);
	strbuf_init(&evid, EVAL_TEXT_MAX);
	(void)strbuf_puts(&msg, "This case has not been checked against its cancer type's checklist: the checklist "
	                        "rules could not be loaded. It is held until the operator fixes them; this is not a "
	                        "gap in the patient's records.");
	(void)strbuf_puts(&evid, why);
	add_gap(e, "rules.unavailable", RULE_SEV_REQUIRED, NULL, &msg, &evid);
}

void evaluate_scan(struct ing_scan *scan, const struct ruleset *rs, const struct eval_opts *o)
{
	struct ev e = { .scan = scan, .rs = rs, .today = -1 };

	/* Results of an earlier evaluation are replaced. */
	ptrvec_free(&scan->gaps, gap_free);
	ptrvec_free(&scan->notes, gap_free);
	free(scan->cancer_type);
	free(scan->cancer_type_evidence);
	scan->cancer_type = scan->cancer_type_evidence = NULL;
	scan->cancer_type_source = NULL;
	scan->required_gaps = 0;

	if (o && o->today)
		e.today = parse_day(o->today);
	if (e.today < 0)
		e.today = parse_day(scan->generated_at);

	scan->setting = scan->case_yaml ? (int)scan->case_yaml->setting : RULE_SETTING_UNKNOWN;
	if (o && o->setting) {
		int s = rule_setting_from_string(o->setting);
		if (s >= 0)
			scan->setting = s;
		else
			log_warn(scan->ctx, "case %s: unknown setting \"%s\" ignored", scan->case_id, o->setting);
	}
	e.setting = (enum rule_setting)scan->setting;

	unread_collect(&e);

	choose_type(&e, o);
	case_yaml_report(scan);
	if (o && o->rules_error)
		hold_without_rules(&e, o->rules_error);
	if (e.type)
		eval_rules(&e);
	check_patients(&e);
	check_pacs(&e);
	check_series(&e);
	check_files(&e);
	check_dicomdir(&e);
	check_case_yaml(&e);
	check_degraded(&e);
	check_reports(&e);
	check_translation(&e);
	check_urgent(&e);
	check_conflicts(&e);
	merge_gaps(&e);

	if (!usable(scan))
		scan->status = "blocked";
	else
		scan->status = scan->required_gaps ? "incomplete" : "complete";
	free(e.unread);
	log_info(scan->ctx, "case %s: %s (%s, %s), %zu gaps, %u required", scan->case_id, scan->status,
	         scan->cancer_type, scan->cancer_type_source, scan->gaps.n, scan->required_gaps);
}

/* The installed rules, never a fallback: a folder that is not there is said
 * so where it is loaded. The tests, run from the build tree, name the
 * source tree's (testhooks.h). */
const char *evaluate_default_rules_dir(void)
{
	const char *dir = testhook_rules_dir();
	return dir ? dir : INGEST_RULES_DIR;
}

/* The rules (with their vocabulary, which the documents are read with) are
 * loaded once, before the walk, unless the caller has (ing_scan_opts.rules:
 * `ingest scan` and `ingest package` check them before anything is written,
 * and so load them first); a folder that does not load is said here and the
 * case is held when it is evaluated. */
void evaluate_load_rules(struct ing_scan *scan, const struct ing_scan_opts *opts)
{
	const char *dir = opts && opts->rules_dir ? opts->rules_dir : evaluate_default_rules_dir();
	struct strbuf errors;
	int r;

	if (opts && opts->rules) {
		scan->rules = opts->rules;
		return;
	}
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	r = rules_load_dir(scan->ctx, dir, &scan->rules_owned, &errors);
	scan->rules = scan->rules_owned;
	if (r == -ENOENT) {
		scan->rules_error = xasprintf("there is no rules folder %s. Give the rules folder (ingest --rules DIR, or "
		                              "paths.rules in ingestd's configuration) or install the rules.", dir);
		scan->rules = NULL;
	} else if (r < 0) {
		scan->rules_error = xasprintf("the rules in %s could not be loaded (%s)%s%s", dir, ing_strerror(r),
		                              errors.len ? ":\n" : "", errors.len ? errors.s : "");
		scan->rules = NULL;
	}
	strbuf_free(&errors);
	if (scan->rules_error)
		log_err(scan->ctx, "case %s: %s The case is held: it was not checked against its cancer type's rules.",
		        scan->case_id, scan->rules_error);
}

void evaluate_run(struct ing_scan *scan, const struct ing_scan_opts *opts)
{
	struct eval_opts eo = {
		.cancer_type = opts ? opts->cancer_type : NULL,
		.setting = opts ? opts->setting : NULL,
		.today = opts ? opts->today : NULL,
		.rules_error = scan->rules_error,
	};

	if (!scan->rules && !scan->rules_error)
		evaluate_load_rules(scan, opts);
	eo.rules_error = scan->rules_error;
	evaluate_scan(scan, scan->rules, &eo);
}

void evaluation_free(struct ing_scan *scan)
{
	ptrvec_free(&scan->gaps, gap_free);
	ptrvec_free(&scan->notes, gap_free);
	free(scan->cancer_type);
	free(scan->cancer_type_evidence);
	free(scan->case_yaml_errors);
	case_yaml_free(scan->case_yaml);
	ruleset_free(scan->rules_owned);
	scan->rules_owned = NULL;
	free(scan->rules_error);
	scan->rules = NULL;
	scan->rules_error = NULL;
	scan->cancer_type = scan->cancer_type_evidence = scan->case_yaml_errors = NULL;
	scan->case_yaml = NULL;
}

const char *ing_scan_cancer_type(const struct ing_scan *scan)
{
	return scan->cancer_type ? scan->cancer_type : "generic";
}

const char *ing_scan_status(const struct ing_scan *scan, unsigned *required_gaps)
{
	if (required_gaps)
		*required_gaps = scan->required_gaps;
	return scan->status ? scan->status : "incomplete";
}
