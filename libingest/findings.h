/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a document says: biomarkers with their results, tumour markers and
 * key labs with values, and the document's language and script.
 *
 * Pure functions over a document's UTF-8 text: no I/O, no logging, no
 * recursion, never a read past len. Every output array is bounded.
 */
#ifndef INGEST_FINDINGS_H
#define INGEST_FINDINGS_H

#include "internal.h"


enum finding_state {
	FINDING_FOUND = 0,      /* name and a result stand together */
	FINDING_PENDING,        /* pending, requested, not done, sent out, to follow… */
	FINDING_INSUFFICIENT,   /* insufficient tissue, QNS, failed, not evaluable */
};
ING_HIDDEN const char *finding_state_name(enum finding_state s);

struct biomarker {
	const char *name;       /* canonical ("HER2", "PD-L1", "MMR", "MSI", "KRAS"…), static */
	enum finding_state state;
	char *result;           /* normalised: "negative (IHC 1+)", "TPS 60%", "G12C mutated";
	                         * "pending" / "insufficient" for those states */
	char *snippet;          /* the words in the text, whitespace runs folded, ≤ FINDINGS_SNIPPET_MAX */
	size_t offset;          /* byte offset of the snippet's start in the text */
	bool panel;             /* a diagnostic IHC stain (CK7, TTF-1, CD3…), not a predictive marker */
};

struct biomarker_list {
	struct biomarker *v;
	size_t n;
};

struct lab_value {
	const char *name;       /* canonical ("CEA", "CA 19-9", "haemoglobin"…), static */
	char *value;            /* as written, decimal comma made a point: "4.2", "<0.5" */
	double num;             /* the number (comparator dropped) */
	char *unit;             /* normalised ("ng/mL", "g/L", "10^9/L"), NULL if none given */
	char *date;             /* YYYY-MM-DD when unambiguous, else NULL */
	char *date_raw;         /* the date as written, NULL if none */
	bool date_from_document;/* the date is the document's (collected/report), not the line's */
	char *snippet;
	size_t offset;
};

struct lab_list {
	struct lab_value *v;
	size_t n;
};

/* A dated treatment event: a line or sentence that names a treatment (an
 * operation, a drug or regimen, radiotherapy, "switched to") and a date. */
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
	char *snippet;              /* the line or sentence, ≤ FINDINGS_SNIPPET_MAX */
	size_t offset;
};

struct treatment_list {
	struct treatment_event *v;
	size_t n;
};

struct doc_language {
	const char *lang;       /* ISO 639-1 ("en", "zh"…), NULL when unknown (too short, no clue) */
	const char *script;     /* "Latn", "Han", "Jpan", "Hang", "Arab", "Cyrl", "Deva"…, NULL if no letters */
	double confidence;      /* 0..1 for lang */
	size_t letters;         /* letters counted */
};

/* On success (0) *out owns arrays to release with *_list_free(); -EINVAL on
 * bad arguments. A NULL or empty text gives an empty list. */
ING_HIDDEN int findings_biomarkers(const char *text, size_t len, struct biomarker_list *out);
ING_HIDDEN void biomarker_list_free(struct biomarker_list *l);
/* The found entry for a canonical name, or NULL. */
ING_HIDDEN const struct biomarker *biomarker_find(const struct biomarker_list *l, const char *name);

ING_HIDDEN int findings_labs(const char *text, size_t len, struct lab_list *out);
ING_HIDDEN void lab_list_free(struct lab_list *l);

/* Dated treatment events, in text order, at most FINDINGS_MAX_TREATMENTS. An
 * event needs a treatment word and a date in the same line or sentence; dates
 * after TODAY (YYYY-MM-DD; NULL: no such check) or before 1900 are ignored,
 * and so are plans ("planned", "will start") and birth dates. */
ING_HIDDEN int findings_treatments(const char *text, size_t len, const char *today, struct treatment_list *out);
ING_HIDDEN void treatment_list_free(struct treatment_list *l);

ING_HIDDEN int findings_language(const char *text, size_t len, struct doc_language *out);

#endif
