/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The case summary: the report's first page for the specialist (SPEC §5,
 * docs/design.md "Case summary"), in gap-report.txt, .html and .json alike.
 * Built only from findings, each entry with its source: the diagnosis as the
 * documents state it (findings/diagnosis.h), the biomarkers, the dated
 * treatments, the imaging studies by date, and the required items still
 * missing. An entry without a source is never shown (case_summary_build()
 * drops it). Private to report-*.c.
 */
#ifndef INGEST_REPORT_SUMMARY_H
#define INGEST_REPORT_SUMMARY_H

#include <stdio.h>

#include "case.h"

struct summary_dx {
	const char *field;      /* "diagnosis", "specimen", "stage" */
	const char *text;       /* the document's words after the label */
	const char *side;       /* "left", "right", "bilateral" or NULL */
	const char *source;     /* the document's path, as given */
	const char *patient;    /* its patient's opaque key when the case holds more than one patient, else NULL */
	bool ocr;               /* the document was read by OCR */
};
struct summary_marker {
	const char *marker;     /* canonical name */
	const char *result;     /* "positive (90%)", or "pending", "not done", "insufficient" */
	const char *state;      /* "found", "pending", "not-done", "insufficient" */
	const char *method;     /* as stated, NULL if not */
	const char *date;       /* the document's date, NULL if it states none */
	const char *snippet;    /* the words that show it */
	const char *source;
	const char *patient;    /* as summary_dx's */
	bool conflict;          /* another document or row states the opposite for this marker */
	bool ocr;
};
struct summary_treatment {
	const char *date, *latest, *precision, *what;
	const char *source;
	const char *patient;    /* as summary_dx's */
};
struct summary_study {
	const char *date;       /* YYYY-MM-DD, NULL if the study has none */
	char modality[64];      /* in words: "CT", "MRI", "PET-CT" */
	char region[64];        /* in words: "chest, abdomen and pelvis"; "" if unknown */
	const char *description;/* as the hospital wrote it, NULL if none */
	const char *study_uid;
	const char *patient;    /* the opaque patient key when the case holds more than one patient, else NULL */
	const char *source;     /* the path of one of its files, as given */
};
struct summary_missing {
	char *message;          /* the gap's first sentence (owned) */
	const char *source;     /* the rule that asks for it */
};

struct case_summary {
	struct summary_dx *dx;
	struct summary_marker *markers;
	struct summary_treatment *treatments;
	struct summary_study *studies;
	struct summary_missing *missing;
	size_t n_dx, n_markers, n_treatments, n_studies, n_missing;        /* listed (<= SUMMARY_MAX_ROWS) */
	size_t total_dx, total_markers, total_treatments, total_studies, total_missing;
	size_t patients;        /* patients seen in the records */
	bool stage_stated;      /* a stage line is among the dx */
};

/* The summary of SCAN (its strings borrowed from SCAN: free SCAN after it). */
ING_HIDDEN void case_summary_build(const struct ing_scan *scan, struct case_summary *out);
ING_HIDDEN void case_summary_free(struct case_summary *s);

/* The summary as the first page of gap-report.txt / .html, and as the
 * "summary" object of gap-report.json (cut lists recorded in ROOT's
 * "truncated" as summary.biomarkers...). */
ING_HIDDEN void summary_write_text(const struct ing_scan *scan, FILE *out);
ING_HIDDEN void summary_write_html(const struct ing_scan *scan, FILE *out);
struct json_object;
ING_HIDDEN struct json_object *summary_json(const struct ing_scan *scan, struct json_object *root);

#endif
