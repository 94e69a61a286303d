/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The checker's private parts, shared by evaluate.c (the entry points),
 * evaluate-type.c (which cancer type), evaluate-rules.c and evaluate-imaging.c
 * (the type's rules) and evaluate-generic.c (the generic checks): the state of
 * one evaluation, the caps on its text, and the helpers more than one of them
 * uses (evaluate-gaps.c).
 */
#ifndef INGEST_EVALUATE_GAPS_H
#define INGEST_EVALUATE_GAPS_H

#include "evaluate.h"


struct ev {
	struct ing_scan *scan;
	const struct ruleset *rs;
	const struct rule_type *type;
	enum rule_setting setting;
	long today;                     /* days since 1970-01-01; -1: unknown (no age checks) */
	struct ptrvec unread;           /* struct ing_file*: documents that could not be read automatically */
};

/* evaluate-gaps.c */
ING_HIDDEN const char *sb(const struct strbuf *b);
ING_HIDDEN long parse_day(const char *s);
ING_HIDDEN void list_add(struct strbuf *b, size_t *n, const char *fmt, ...) ING_PRINTF(3, 4);
ING_HIDDEN void list_end(struct strbuf *b, size_t n);
ING_HIDDEN char *short_snippet(const char *s);
ING_HIDDEN void gap_free(void *p);
ING_HIDDEN void add_gap(struct ev *e, const char *id, enum rule_severity sev, const char *cond, struct strbuf *msg,
                        struct strbuf *evid);
ING_HIDDEN bool doc_readable(const struct ing_file *f);
ING_HIDDEN const char *condition_of(const struct rule *r, bool conditional);
ING_HIDDEN void start_message(struct strbuf *msg, const struct rule *r, bool conditional);
ING_HIDDEN bool series_is_image(const struct inv_series *se);
ING_HIDDEN bool study_has_images(const struct inv_study *st);
ING_HIDDEN bool dicom_is_report(const struct ing_file *f);
ING_HIDDEN long study_day(const struct inv_study *st);
ING_HIDDEN void study_text(struct strbuf *b, const struct inv_study *st, long today);

/* evaluate-type.c */
ING_HIDDEN void choose_type(struct ev *e, const struct eval_opts *o);
ING_HIDDEN void case_yaml_report(struct ing_scan *scan);

/* evaluate-rules.c: the type's rules; evaluate-imaging.c: an imaging rule */
ING_HIDDEN void eval_rules(struct ev *e);
ING_HIDDEN void eval_imaging(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond);

/* evaluate-generic.c: the generic checks (SPEC §5), rule ids generic.* */
ING_HIDDEN void check_patients(struct ev *e);
ING_HIDDEN void check_series(struct ev *e);
ING_HIDDEN void check_files(struct ev *e);
ING_HIDDEN void check_dicomdir(struct ev *e);
ING_HIDDEN void check_case_yaml(struct ev *e);
ING_HIDDEN void check_degraded(struct ev *e);
ING_HIDDEN void check_reports(struct ev *e);
ING_HIDDEN void check_translation(struct ev *e);
ING_HIDDEN void check_urgent(struct ev *e);
ING_HIDDEN void check_conflicts(struct ev *e);

#endif
