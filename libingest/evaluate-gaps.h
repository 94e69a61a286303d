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


/* OCR read at or above this mean confidence is taken as read; below it
 * (and at or above documents.c's 40%, which decides a kind), a statement
 * from OCR says "read by OCR, 61%: check by eye" and counts as found for a
 * rule only when it is unambiguous: stated twice in agreement in the
 * document (docs/design.md, "Unread is never missing"). */
#define EVAL_OCR_SURE_CONFIDENCE 75.0

/* Why a document was not (fully) read (struct gap_unread.reason). */
enum unread_reason {
	UR_OCR_FAILED, UR_OCR_UNCERTAIN, UR_KIND_UNKNOWN, UR_ENCRYPTED, UR_CORRUPT, UR_TOO_BIG, UR_TIMED_OUT,
	UR_REFUSED, UR_SKIPPED, UR_UNSUPPORTED, UR_DOWNLOAD, UR_TEXT_NOT_KEPT, UR_OCR_NO_VALUE, UR_NO_TEXT,
};

/* A document, or a file that may hold documents or images, not (fully) read. */
struct unread {
	const struct ing_file *f;
	enum unread_reason reason;
	bool kind_known;        /* its kind was told from its text: it holds only that kind's evidence */
	bool files;             /* an archive, a link or an unknown file: may hold documents and images */
	bool dicom;             /* a DICOM file: images or a DICOM report, not a text rule's evidence */
};

/* What a rule asks for, for unread_select(). */
enum {
	UW_KIND = 1,            /* a document of the rule's kinds */
	UW_WORDS = 2,           /* words in such a document's text */
	UW_FINDINGS = 4,        /* statements read from such a document (markers, labs, treatments) */
	UW_IMAGES = 8,          /* DICOM images */
};

/* The unread documents that could hold one rule's evidence: the first
 * EVAL_UNREAD_LISTED kept, all counted. */
struct unread_sel {
	struct unread *v;
	size_t n;
	size_t total;
};

struct ev {
	struct ing_scan *scan;
	const struct ruleset *rs;
	const struct rule_type *type;
	enum rule_setting setting;
	long today;                     /* days since 1970-01-01; -1: unknown (no age checks) */
	struct unread *unread;          /* documents and files that were not (fully) read (unread_collect()) */
	size_t n_unread;
};

/* evaluate-gaps.c */
ING_HIDDEN const char *sb(const struct strbuf *b);
ING_HIDDEN long parse_day(const char *s);
ING_HIDDEN void list_add(struct strbuf *b, size_t *n, const char *fmt, ...) ING_PRINTF(3, 4);
ING_HIDDEN void list_end(struct strbuf *b, size_t n);
ING_HIDDEN char *short_snippet(const char *s);
ING_HIDDEN void gap_free(void *p);
ING_HIDDEN struct ing_gap *add_gap(struct ev *e, const char *id, enum rule_severity sev, const char *cond,
                                   struct strbuf *msg, struct strbuf *evid);
ING_HIDDEN bool doc_readable(const struct ing_file *f);
ING_HIDDEN const char *condition_of(const struct rule *r, bool conditional);
ING_HIDDEN void start_message(struct strbuf *msg, const struct rule *r, bool conditional);
ING_HIDDEN bool series_is_image(const struct inv_series *se);
ING_HIDDEN bool study_has_images(const struct inv_study *st);
ING_HIDDEN bool dicom_is_report(const struct ing_file *f);
ING_HIDDEN long study_day(const struct inv_study *st);
ING_HIDDEN void study_text(struct strbuf *b, const struct inv_study *st, long today);
ING_HIDDEN void study_image_modalities(struct strbuf *b, const struct inv_study *st);
ING_HIDDEN uint32_t text_regions(const char *s);                 /* evaluate-imaging.c */
ING_HIDDEN uint32_t study_regions(const struct inv_study *st);    /* evaluate-imaging.c */

/* evaluate-unread.c: unread is never missing */
ING_HIDDEN void unread_collect(struct ev *e);
ING_HIDDEN bool kind_undetermined(enum ing_kind k);
ING_HIDDEN bool doc_ocr_uncertain(const struct ing_file *f);
ING_HIDDEN void unread_select(const struct ev *e, uint32_t kinds, unsigned want, uint32_t modalities,
                              struct unread_sel *sel);
ING_HIDDEN void unread_sel_add(struct unread_sel *sel, const struct ing_file *f, enum unread_reason why,
                               bool kind_known);
ING_HIDDEN void unread_sel_free(struct unread_sel *sel);
ING_HIDDEN struct ing_gap *add_gap_unread(struct ev *e, const char *id, enum rule_severity sev, const char *cond,
                                          struct strbuf *msg, struct strbuf *evid, const struct unread_sel *sel);
ING_HIDDEN void unread_words(struct strbuf *b, const struct unread_sel *sel);
ING_HIDDEN void gap_unread_free(struct ing_gap *g);

/* evaluate-type.c */
ING_HIDDEN void choose_type(struct ev *e, const struct eval_opts *o);
ING_HIDDEN void case_yaml_report(struct ing_scan *scan);

/* evaluate-rules.c: the type's rules; evaluate-imaging.c: an imaging rule */
ING_HIDDEN void eval_rules(struct ev *e);
ING_HIDDEN void eval_imaging(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond);

/* evaluate-generic.c: the generic checks (SPEC §5), rule ids generic.* */
ING_HIDDEN void check_patients(struct ev *e);
ING_HIDDEN void check_pacs(struct ev *e);
ING_HIDDEN void check_series(struct ev *e);
ING_HIDDEN void check_files(struct ev *e);
ING_HIDDEN void check_dicomdir(struct ev *e);
ING_HIDDEN void check_case_yaml(struct ev *e);
ING_HIDDEN void check_degraded(struct ev *e);
ING_HIDDEN void check_reports(struct ev *e);   /* evaluate-pairing.c */
ING_HIDDEN void check_translation(struct ev *e);
ING_HIDDEN void check_urgent(struct ev *e);
ING_HIDDEN void check_conflicts(struct ev *e);

/* evaluate-merge.c: one fact, one item */
ING_HIDDEN void merge_gaps(struct ev *e);

#endif
