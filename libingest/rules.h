/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Cancer-type rules (SPEC §7): loading the rules/ folder, validating them with
 * FILE:LINE:COL messages, and the small evaluation helpers the gap checker
 * needs (which rules apply in a setting, at which severity, with which age
 * limit). The schema is documented in docs/rules.md.
 */
#ifndef INGEST_RULES_H
#define INGEST_RULES_H

#include "internal.h"
#include "libingest-internal.h"
#include "findings/vocab.h"


enum rule_severity {
	RULE_SEV_NONE = 0,          /* the rule does not apply */
	RULE_SEV_INFO,              /* CHECKLISTS `opt`: mention only, never a gap */
	RULE_SEV_WARNING,           /* a quality problem */
	RULE_SEV_RECOMMENDED,       /* reported, never blocking */
	RULE_SEV_REQUIRED,          /* the case stays in pending/ */
};

enum rule_setting {
	RULE_SETTING_UNKNOWN = 0,
	RULE_SETTING_EARLY,
	RULE_SETTING_LOCALLY_ADVANCED,
	RULE_SETTING_METASTATIC,
	RULE_SETTING_RECURRENT,
	_RULE_SETTING_MAX,
};

/* Which requirement a rule states: exactly one per rule. */
enum rule_req {
	RULE_REQ_DOCUMENT = 1,      /* a document kind and/or words in a document */
	RULE_REQ_BIOMARKER,         /* biomarker results, from the shared dictionary */
	RULE_REQ_IMAGING,           /* DICOM studies */
	RULE_REQ_LAB,               /* lab values / tumour markers, from the shared dictionary */
	RULE_REQ_QUESTION,          /* the clinical question (case.yaml or a letter) */
};

enum rule_match {
	RULE_MATCH_ALL = 0,
	RULE_MATCH_ANY,
};

/* Imaging modalities (DICOM Modality, CHECKLISTS §0.4), one bit each. */
enum {
	RULE_MOD_CT = 1u << 0, RULE_MOD_MR = 1u << 1, RULE_MOD_PT = 1u << 2,
	RULE_MOD_MG = 1u << 3, RULE_MOD_US = 1u << 4, RULE_MOD_NM = 1u << 5,
	RULE_MOD_CR = 1u << 6, RULE_MOD_DX = 1u << 7, RULE_MOD_SM = 1u << 8,
	RULE_MOD_PX = 1u << 9, RULE_MOD_XA = 1u << 10,
};

/* An entry of the shared biomarker or lab dictionary (rules/_biomarkers.yaml,
 * rules/_labs.yaml). Matching ignores case, spaces, '-', '/', "::". */
struct rule_term {
	char *name;
	char **synonyms;
	size_t n_synonyms;
	char *note;
};

/* One imaging study a rule asks for. */
struct rule_study {
	uint32_t modalities;        /* RULE_MOD_* bits: any of them; 0 = any */
	uint32_t regions;           /* region bits (rule_region_need_mask): all must be covered; 0 = any */
	int contrast;               /* -1: not asked, 0: without, 1: with contrast */
	bool multiphase;
	char **keywords;            /* description words, any of them (may be empty) */
	size_t n_keywords;
	char **tracers;             /* PET tracer words, any of them (may be empty) */
	size_t n_tracers;
};

/* All studies of one option must be present. */
struct rule_imaging_option {
	struct rule_study *studies;
	size_t n_studies;
};

/* A marker test in `when: {markers: [...]}`: the condition holds when a
 * result of the marker (or of any of the markers) matches `holds`, fails when
 * the results match `fails`; other results say nothing. */
struct rule_marker_test {
	const struct rule_term **terms;     /* name, or any_of: any of them */
	size_t n_terms;
	char **holds;                       /* result words that make the condition true */
	size_t n_holds;
	char **fails;                       /* result words that make it false */
	size_t n_fails;
	unsigned alt;                       /* which alternative of when.any_of it belongs to (0 for when.markers) */
};

/* What the findings say about a rule's condition. */
enum rule_cond_state {
	RULE_COND_UNKNOWN = 0,      /* not settled: the rule is conditional (as a free-text condition) */
	RULE_COND_HOLDS,            /* the condition is true: the rule applies at its own severity */
	RULE_COND_FAILS,            /* the condition is false: the rule does not apply */
};

struct rule {
	char *id;                   /* "breast.her2", unique across all files */
	const char *file;           /* where it is defined (owned by the ruleset) */
	int line, col;              /* 1-based */
	const char *owner;          /* id of the type or fragment that defines it */

	enum rule_severity severity;
	enum rule_severity by_setting[_RULE_SETTING_MAX]; /* RULE_SEV_NONE: not set */
	unsigned settings;          /* bit (1u << setting) per setting it applies to; 0 = all */
	char *condition;            /* the condition as the report shows it, or NULL */
	struct rule_marker_test *cond_markers; /* when.markers: all must hold (may settle the condition); with
	                                        * when.any_of, the tests of every alternative (their .alt) */
	size_t n_cond_markers;
	unsigned n_cond_alts;       /* when.any_of: alternatives, one of which must hold (all of its tests); 0 without */
	bool uncertain;             /* CHECKLISTS "(?)": never enforced as required */
	char *message;              /* what the coordinator reads */
	char *note;                 /* for rule authors, never shown in reports; may be NULL */

	enum rule_req req;
	uint32_t kinds;             /* DOCUMENT/BIOMARKER/LAB: bit (1u << enum ing_kind); 0 = any document */
	char **keywords;            /* DOCUMENT: any of these words in the text (may be empty) */
	size_t n_keywords;
	enum rule_match match;      /* BIOMARKER/LAB: all or any of terms */
	const struct rule_term **terms;
	size_t n_terms;
	int max_age_days;           /* LAB/IMAGING: 0 = the type's default */
	bool series;                /* LAB: at least two dated values (a trend) */
	bool same_date;             /* LAB: all terms measured on the same date */
	struct rule_imaging_option *options; /* IMAGING: any of these options */
	size_t n_options;
	bool after_last_treatment;  /* IMAGING: the latest study must follow the last dated treatment change */
	unsigned min_words;         /* QUESTION */
	char **cancers;             /* when.cancer: the other cancer type the condition names (generic rules) */
	size_t n_cancers;
	char **covers;              /* ids of rules (of the same file) whose gap this rule's gap says too */
	size_t n_covers;
	int covers_line, covers_col;
};

struct rule_type {
	char *id;                   /* "breast"; fragments: "baseline", "solid" */
	char *name;
	const char *file;
	bool fragment;              /* included by types, never a cancer type itself */
	bool blocking;              /* false: required gaps never hold the case */
	char **icd10;               /* "C50", "C18-C20", "C22.0" */
	size_t n_icd10;
	char **keywords;
	size_t n_keywords;
	bool icd10_needs_keyword;   /* the code alone does not decide (C34: nsclc or sclc) */
	char **urgent_terms;        /* words that make the case urgent (APL) */
	size_t n_urgent_terms;
	int max_age_imaging;        /* days; 0 = not set */
	int max_age_lab;
	int max_age_by_setting[_RULE_SETTING_MAX]; /* imaging, per setting; 0 = not set */
	char *notes;

	struct rule **own;          /* defined in this file */
	size_t n_own;
	struct rule **rules;        /* effective: included rules, minus excluded, then own */
	size_t n_rules;
	unsigned n_by_severity[RULE_SEV_REQUIRED + 1]; /* of the effective rules, by declared severity */
};

struct ruleset {
	struct rule_type **types;   /* types and fragments, sorted by id */
	size_t n_types;
	struct rule_term **biomarkers;
	size_t n_biomarkers;
	struct rule_term **labs;
	size_t n_labs;
	char **files;               /* every file read, in load order */
	size_t n_files;
	size_t n_rules;             /* distinct rules defined */
	char *dir;                  /* the folder they were read from */
	struct vocab *vocab;        /* DIR/vocabulary (docs/vocabulary.md): loaded with the rules, or they do not load */
	struct rule_words *words;   /* DIR/words/report.yaml (rules-words.c), or NULL: codes are shown as they are */
};

/* The reports' words for DICOM codes and file kinds (rules/words/report.yaml):
 * a modality's words ("computed tomography") and its name in a list of studies
 * ("CT", "MRI"; two codes joined by '+' name a study of both: "PT+CT" is
 * "PET-CT"), body parts, transfer syntaxes, and the kinds of files
 * ("pathology-report": "pathology report"). */
enum rule_words_section {
	RULE_WORDS_MODALITY, RULE_WORDS_BODY_PART, RULE_WORDS_TRANSFER_SYNTAX, RULE_WORDS_MODALITY_NAME, RULE_WORDS_KIND,
	_RULE_WORDS_MAX
};
struct rule_words;
ING_HIDDEN int rule_words_load(const char *dir, struct rule_words **out, struct strbuf *errors);
ING_HIDDEN void rule_words_free(struct rule_words *w);
/* The words for CODE ("CT", "CHESTABDPELVIS", a transfer syntax UID), NULL when there are none (or no RS). */
ING_HIDDEN const char *rule_word(const struct ruleset *rs, enum rule_words_section s, const char *code);
/* A kind of file (enum ing_kind) in words ("pathology report"), else its name ("pathology-report"). */
ING_HIDDEN const char *rule_kind_words(const struct ruleset *rs, int kind);
/* A section's entries in the file's order: how many (0 without words), the I-th's code. */
ING_HIDDEN size_t rule_words_count(const struct ruleset *rs, enum rule_words_section s);
ING_HIDDEN const char *rule_words_code(const struct ruleset *rs, enum rule_words_section s, size_t i);

/* Loading and checking: libingest-internal.h (the programs use them too). */

/* Lookups (NULL if absent). Type lookup finds cancer types, not fragments. */
ING_HIDDEN const struct rule_type *ruleset_find_type(const struct ruleset *rs, const char *id);
ING_HIDDEN const struct rule *ruleset_find_rule(const struct ruleset *rs, const char *id);
ING_HIDDEN const struct rule_term *ruleset_find_biomarker(const struct ruleset *rs, const char *name);
ING_HIDDEN const struct rule_term *ruleset_find_lab(const struct ruleset *rs, const char *name);
/* Cancer types only (no fragments), in id order (how many: libingest-internal.h). */
ING_HIDDEN const struct rule_type *ruleset_cancer_type(const struct ruleset *rs, size_t i);

/* Names. *_from_string return -EINVAL for unknown words. */
ING_HIDDEN const char *rule_severity_name(enum rule_severity s);
ING_HIDDEN int rule_severity_from_string(const char *s);
ING_HIDDEN const char *rule_setting_name(enum rule_setting s);
ING_HIDDEN int rule_setting_from_string(const char *s);
ING_HIDDEN const char *rule_req_name(enum rule_req r);

/* Region bits a rule's region name needs covered (CHESTABDPELVIS = chest,
 * abdomen and pelvis), and the bits a study of that body part covers (an
 * ABDOMEN study also covers liver, pancreas, kidney). 0 for unknown names.
 * Matching is on upper-case names without spaces or '_'. */
ING_HIDDEN uint32_t rule_region_need_mask(const char *name);
ING_HIDDEN uint32_t rule_region_study_mask(const char *name);
ING_HIDDEN uint32_t rule_modality_bit(const char *name);
/* The I-th image modality a rule may name ("CT", "MR", ...), NULL past the last. */
ING_HIDDEN const char *rule_modality_code(size_t i);

/* Does a rule's term or keyword match inside TEXT? Ignores case, spaces, '-',
 * '/', "::" (CHECKLISTS §0.2), and wants a word boundary on both sides. */
ING_HIDDEN bool rule_text_matches(const char *text, size_t len, const char *term);
ING_HIDDEN bool rule_term_matches(const struct rule_term *t, const char *text, size_t len);
/* rule_text_matches() through the vocabulary: a TERM that is a phrase of the
 * vocabulary (a concept, a cancer-type word, a marker...) matches any phrase
 * of the same entry in any language ("left" matches "links", "左侧"). RS
 * without a vocabulary, or a term it does not know: rule_text_matches(). */
ING_HIDDEN bool ruleset_text_matches(const struct ruleset *rs, const char *text, size_t len, const char *term);

/* Does ICD-10 CODE ("C50.9", "c509") fall under type T's detect codes? */
ING_HIDDEN bool rule_type_matches_icd10(const struct rule_type *t, const char *code);

/*
 * Severity of rule R for a case of type T in SETTING, after every downgrade
 * the schema defines (docs/rules.md "Evaluation"):
 *  - R->settings excludes a known SETTING: RULE_SEV_NONE (does not apply);
 *  - severity_by_setting for a known SETTING replaces the severity;
 *  - setting unknown and the rule depends on the setting: required -> recommended;
 *  - a free-text condition: required -> recommended, *conditional = true
 *    (the report says "if <condition>" and asks the coordinator);
 *  - uncertain, or T not blocking: required -> recommended.
 * T may be NULL (no type-level downgrade). CONDITIONAL may be NULL.
 */
ING_HIDDEN enum rule_severity rule_effective_severity(const struct rule_type *t, const struct rule *r,
                                                      enum rule_setting setting, bool *conditional);
/* The same with what the findings say about the rule's condition: HOLDS
 * drops the condition's downgrade (not conditional), FAILS makes the rule not
 * apply (RULE_SEV_NONE), UNKNOWN is rule_effective_severity(). */
ING_HIDDEN enum rule_severity rule_effective_severity_settled(const struct rule_type *t, const struct rule *r,
                                                              enum rule_setting setting, enum rule_cond_state cs,
                                                              bool *conditional);
/* One result against a marker test: RULE_COND_HOLDS or _FAILS when it
 * matches the holds or fails words (the longest matching word decides, so
 * "not detected" beats "detected"; a tie says nothing), else RULE_COND_UNKNOWN. */
ING_HIDDEN enum rule_cond_state rule_marker_result(const struct rule_marker_test *mt, const char *result);

/* Maximum age in days for an imaging or lab rule: the rule's own, else the
 * type's for the setting, else the type's default; 0 = no limit. */
ING_HIDDEN int rule_max_age_days(const struct rule_type *t, const struct rule *r, enum rule_setting setting);

#endif
