/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a document says, read with the vocabulary (vocab.h): statements
 * about markers (results, pending, not done...), labs with values, dated
 * treatments, the document's language and kind.
 *
 * Pure functions over a document's text: no I/O, no logging, never a read
 * past a length, every output bounded (caps.h). The engine is split by
 * concern (docs/design.md, "Findings"):
 *   text.c        units: sentences from the reading-order text, table rows
 *                 and their cells from the layout text
 *   context.c     ConText: negation and the other modifiers, with scope
 *   values.c      value grammars (IHC, %, Allred, TPS/CPS, Gleason...)
 *   markers.c     statements: a marker, its value, its row or sentence;
 *                 sentences.c and rows.c give the values, statements.c
 *                 settles the document's list
 *   labs.c        lab values, units, dates, cumulative tables
 *   dates.c       dates in local formats; the document's own date
 *   treatments.c  dated treatment events
 *   language.c    language and script
 *   kinds.c       the document's kind from its headings and words
 */
#ifndef INGEST_FINDINGS_FINDINGS_H
#define INGEST_FINDINGS_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/macro.h"
#include "findings/vocab.h"
#include "model.h"

/* The text of one document as the extractor gave it. */
struct doc_text {
	const char *text;       /* reading order (poppler's text, OCR's lines); UTF-8 */
	size_t len;
	const char *layout;     /* physical layout: one line per printed line, table cells
	                         * separated by '\t' (docext); NULL when there is none */
	size_t layout_len;
	bool ocr;               /* the text came from OCR */
	double ocr_confidence;  /* 0..100 when ocr */
};

/* ---- statements about markers ---- */

enum assertion {
	AS_RESULT = 0,          /* a result is stated (positive, negative or a value) */
	AS_EQUIVOCAL,           /* stated as equivocal / borderline (HER2 2+ is a result: IHC 2+) */
	AS_PENDING,             /* pending, requested, sent out, to follow */
	AS_NOT_DONE,            /* not done, not performed, not requested */
	AS_INSUFFICIENT,        /* insufficient tissue, failed, not evaluable */
};
enum polarity {
	POL_NONE = 0,           /* a value without a polarity of its own ("TPS 5%", "Ki-67 20%") */
	POL_POSITIVE,           /* positive, detected, mutated, amplified, lost (an abnormal finding) */
	POL_NEGATIVE,           /* negative, not detected, wild type, not amplified, retained */
};
enum variant_class { VC_NONE = 0, VC_PATHOGENIC, VC_LIKELY_PATHOGENIC, VC_VUS, VC_LIKELY_BENIGN, VC_BENIGN };
enum variant_origin { VO_NONE = 0, VO_GERMLINE, VO_SOMATIC };
enum stmt_modifier {
	MOD_POSSIBLE = 1u << 0,     /* "suspicious for", "cannot exclude" */
	MOD_HISTORICAL = 1u << 1,   /* "previously", "history of" */
	MOD_HYPOTHETICAL = 1u << 2, /* "if", "should ... be", "will be tested" */
	MOD_FAMILY = 1u << 3,       /* about another person: "mother", "family history" */
};
enum stmt_unit { UNIT_SENTENCE = 0, UNIT_ROW };

struct statement {
	int marker;             /* vocab_marker() id */
	const char *name;       /* its canonical name (owned by the vocabulary) */
	enum assertion assertion;
	enum polarity polarity;
	char *value;            /* normalised, NULL when none: "3+", "90%", "Allred 8/8", "TPS 5%",
	                         * "CPS 10", "4+3=7", "ISUP 3", "ratio 2.4", "MSI-H", "12 mut/Mb" */
	char *variant;          /* "p.G12C", "exon 19 deletion", "EML4::ALK"; NULL if none */
	char *method;           /* "IHC", "FISH", "NGS", a clone "SP263"; NULL if none */
	enum variant_class vclass;
	enum variant_origin origin;
	unsigned modifiers;     /* enum stmt_modifier bits */
	bool amendment;         /* stated in an addendum / amended section */
	bool superseded;        /* an amendment of the same document revises it */
	bool ocr;               /* read from OCR text */
	enum stmt_unit unit;    /* a table row or a sentence */
	unsigned line;          /* 1-based line of the unit in the text it was read from (see from_layout) */
	char *snippet;          /* the row or sentence, white space folded, <= FINDINGS_SNIPPET_MAX */
	size_t offset;          /* byte offset of the snippet in that text */
	bool from_layout;       /* that text is the layout (struct doc_text.layout), not the reading-order text */
};

struct statement_list {
	struct statement *v;
	size_t n;
};

/* Does the statement count as the marker's result for a rule? A result or
 * an equivocal one, not possible / hypothetical / about someone else, not
 * superseded, and for a variant not VUS or benign (a VUS is a result with
 * no positive polarity: it counts as "tested", never as "positive"). */
ING_HIDDEN bool statement_is_result(const struct statement *s);
/* Short words for the report: "positive (3+)", "not detected", "TPS 5%",
 * "pending". Malloc'd. */
ING_HIDDEN char *statement_result_text(const struct statement *s);
ING_HIDDEN const char *assertion_name(enum assertion a);    /* "result", "equivocal", "pending", "not-done", "insufficient" */
ING_HIDDEN const char *polarity_name(enum polarity p);      /* "none", "positive", "negative" */
ING_HIDDEN const char *variant_class_name(enum variant_class c); /* NULL, "pathogenic", "likely-pathogenic", "vus"... */
ING_HIDDEN const char *variant_origin_name(enum variant_origin o); /* NULL, "germline", "somatic" */

/* Statements in text order (table rows first, in row order, then sentences;
 * one statement per marker per unit; the same marker, assertion, polarity
 * and value from a row and a sentence is kept once). 0, or -EINVAL. */
ING_HIDDEN int findings_statements(const struct vocab *v, const struct doc_text *d, struct statement_list *out);
ING_HIDDEN void statement_list_free(struct statement_list *l);

/* ---- labs ---- */

struct lab_value {
	int lab;                /* vocab_lab() id */
	const char *name;       /* canonical, owned by the vocabulary */
	char *value;            /* as written, decimal comma made a point: "4.2", "<0.5" */
	double num;             /* the number (comparator dropped) */
	char *unit;             /* normalised ("ng/mL", "g/L", "10^9/L"), NULL if none given */
	char *date;             /* YYYY-MM-DD when unambiguous, else NULL */
	char *date_raw;         /* the date as written, NULL if none */
	bool date_from_document;/* the date is the document's (collected/report), not the line's */
	bool ocr;
	char *snippet;
	size_t offset;
};
struct lab_list {
	struct lab_value *v;
	size_t n;
};
/* Lab values: "Hb 11.2 g/dL", "Hämoglobin 11,2 g/dl", table rows with a
 * reference column (the reference is never the value), cumulative tables
 * with one column per date (one value per date). */
ING_HIDDEN int findings_labs(const struct vocab *v, const struct doc_text *d, struct lab_list *out);
ING_HIDDEN void lab_list_free(struct lab_list *l);

/* ---- dates and treatments ---- */

enum treatment_precision {
	TREATMENT_DAY = 0,          /* one day */
	TREATMENT_MONTH,            /* "March 2026", "03/2026": some day of the month */
	TREATMENT_DAY_AMBIGUOUS,    /* "12/03/2026" read either way, both in the past */
};
ING_HIDDEN const char *treatment_precision_name(enum treatment_precision p);

struct treatment_event {
	char date[11];              /* YYYY-MM-DD: the earliest day the event can be */
	char latest[11];            /* YYYY-MM-DD: the latest day it can be (= date for TREATMENT_DAY) */
	enum treatment_precision precision;
	char *what;                 /* the treatment words as written: "Letrozole started" */
	char *date_raw;             /* the date as written */
	char *snippet;              /* the line or sentence, <= FINDINGS_SNIPPET_MAX */
	size_t offset;
};
struct treatment_list {
	struct treatment_event *v;
	size_t n;
};
/* Dated treatment events, in text order; dates after TODAY (YYYY-MM-DD; NULL:
 * no such check) or before 1900 are ignored, and so are plans and birth dates. */
ING_HIDDEN int findings_treatments(const struct vocab *v, const struct doc_text *d, const char *today,
                                   struct treatment_list *out);
ING_HIDDEN void treatment_list_free(struct treatment_list *l);

/* The document's own date (report / collection / sign-out date) as
 * YYYY-MM-DD in ISO[11], or "" when it states none unambiguously. */
ING_HIDDEN void findings_document_date(const struct vocab *v, const struct doc_text *d, char iso[11]);

/* ---- language and kind ---- */

struct doc_language {
	const char *lang;       /* ISO 639-1 ("en", "zh"...), NULL when unknown (too short, no clue) */
	const char *script;     /* "Latn", "Han", "Jpan", "Hang", "Arab", "Cyrl", "Deva"..., NULL if no letters */
	double confidence;      /* 0..1 for lang */
	size_t letters;         /* letters counted */
};
ING_HIDDEN int findings_language(const struct vocab *v, const struct doc_text *d, struct doc_language *out);

/* The kind the text shows, from headings (weight 3) and words (weight 1) of
 * every language, with *EVIDENCE (malloc'd) the words that decided it;
 * KIND_UNKNOWN with an explanation when nothing did. NAME (the file name)
 * is a weak hint. A molecular report is told from a pathology report; a
 * discharge summary quoting a histology conclusion stays a discharge
 * summary (the heading at the top outweighs words further down). */
ING_HIDDEN enum ing_kind findings_kind(const struct vocab *v, const struct doc_text *d, const char *name,
                                       char **evidence);

/* Cancer types the text names as the patient's ("Mammakarzinom", "肺腺癌"),
 * as rules' type ids with the words that show them, the first mention of
 * each; a negated mention ("no evidence of lymphoma") or one about another
 * person ("mother: breast cancer") does not count; at most MAX; returns
 * the count. */
struct type_mention {
	int type;               /* vocab_cancer_type() id */
	size_t offset;          /* in the text */
	size_t len;
};
ING_HIDDEN size_t findings_cancer_types(const struct vocab *v, const struct doc_text *d, struct type_mention *out,
                                        size_t max);

/* Is the phrase at [OFF, OFF+N) of TEXT about the patient: not negated,
 * not about another person (the guards of findings_cancer_types())? For the
 * rules' detect keywords. */
ING_HIDDEN bool findings_mention_affirmed(const struct vocab *v, const char *text, size_t len, size_t off, size_t n);
/* ---- the patient a document names (identity.c) ---- */

/* The name, birth date and hospital number in the document's header (its
 * first IDENTITY_HEAD_LINES lines), after the labels of the concepts
 * patient-name, name-part, birth-date and record-number followed by ':' or a
 * cell gap. *OUT is filled (its strings malloc'd; all empty when none); 0 or
 * a negative errno. Never logged: the identity leaves the library only as a
 * salted key. */
ING_HIDDEN int findings_identity(const struct vocab *v, const struct doc_text *d, struct doc_identity *out);

/* A name as a set of tokens for comparison: folded (case, accents), Cyrillic
 * transliterated (ICAO 9303), split at spaces, ',', '^', '=', '.', '-', each
 * Han character a token, a leading title (concept name-title) dropped, upper
 * case; at most IDENTITY_NAME_TOKENS. */
struct name_tokens {
	char *v[IDENTITY_NAME_TOKENS];
	bool initial[IDENTITY_NAME_TOKENS];     /* one Latin letter ("K." of "Ravi K. Patel") */
	size_t n;
	unsigned scripts;       /* NAME_LATIN... bits: the scripts its tokens are written in */
	bool had_word;
};
enum { NAME_LATIN = 1u, NAME_HAN = 2u, NAME_ARABIC = 4u, NAME_DEVANAGARI = 8u, NAME_OTHER = 16u };
ING_HIDDEN int identity_name_tokens(const struct vocab *v, const char *name, size_t len, struct name_tokens *out);
ING_HIDDEN void name_tokens_free(struct name_tokens *nt);
/* One person's name written two ways: every token of the shorter (at least
 * two) is a token of the other, order free, an initial matching a token it
 * starts, at least one a whole word. */
ING_HIDDEN bool identity_names_match(const struct name_tokens *a, const struct name_tokens *b);
/* Can the two names be compared at all: do they share a script ("CHEN^WEI"
 * and "陈伟" do not: no Han-to-Latin transliteration here)? */
static inline bool identity_names_comparable(const struct name_tokens *a, const struct name_tokens *b)
{
	return (a->scripts & b->scripts) != 0;
}

#endif
