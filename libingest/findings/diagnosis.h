/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The diagnosis as a document states it, for the report's case summary
 * (report-summary.c): the words after a diagnosis, specimen or stage label
 * ("Diagnosis:", "DIAGNOSIS" as a heading, "Specimen:", "病理诊断:",
 * "Stage:"), quoted as written, never interpreted. Labels are the
 * vocabulary's concepts diagnosis-label, specimen-label and staging.
 *
 * A value is the rest of its line or cell, up to the end of its first
 * sentence. Precision first: a diagnosis line is kept only when it names a cancer
 * type the way findings_cancer_types() counts one (not negated, not about
 * a relative); a stage line only when its value holds a digit or a Roman
 * stage (I..IV); a specimen line only when it is one (the site, and the
 * side when exactly one of the concepts left / right / bilateral is in it).
 */
#ifndef INGEST_FINDINGS_DIAGNOSIS_H
#define INGEST_FINDINGS_DIAGNOSIS_H

#include "findings/findings.h"

enum dx_field { DX_DIAGNOSIS = 0, DX_SPECIMEN, DX_STAGE, _DX_MAX };
ING_HIDDEN const char *dx_field_name(enum dx_field f);     /* "diagnosis", "specimen", "stage" */

struct dx_line {
	enum dx_field field;
	char *text;             /* the value as written, white space folded, <= FINDINGS_SNIPPET_MAX */
	const char *side;       /* "left", "right", "bilateral" or NULL (static) */
	size_t offset;          /* of the value, in the text it was read from */
};
struct dx_list {
	struct dx_line *v;
	size_t n;
};

/* The labelled lines of D (its layout when it has one, else its text), in
 * text order, each (field, text) once, at most DX_LINES_MAX. 0 or -EINVAL /
 * -ENOMEM. */
ING_HIDDEN int findings_diagnosis(const struct vocab *v, const struct doc_text *d, struct dx_list *out);
ING_HIDDEN void dx_list_free(struct dx_list *l);

#endif
