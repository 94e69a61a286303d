/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>

#include "model.h"

static const char *const kind_names[_KIND_MAX] = {
	[KIND_UNKNOWN] = "unknown",
	[KIND_DICOM_IMAGE] = "dicom-image",
	[KIND_DICOM_DICOMDIR] = "dicom-dicomdir",
	[KIND_DICOM_SR] = "dicom-sr",
	[KIND_DICOM_ENC_PDF] = "dicom-encapsulated-pdf",
	[KIND_DICOM_SC] = "dicom-secondary-capture",
	[KIND_PATHOLOGY] = "pathology-report",
	[KIND_MOLECULAR] = "molecular-report",
	[KIND_RADIOLOGY] = "radiology-report",
	[KIND_LAB] = "lab-report",
	[KIND_DISCHARGE] = "discharge-summary",
	[KIND_OPERATIVE] = "operative-note",
	[KIND_TREATMENT] = "treatment-summary",
	[KIND_LETTER] = "clinical-letter",
	[KIND_SCANNED] = "scanned-document",
	[KIND_PHOTO] = "photo",
	[KIND_VIEWER] = "viewer-software",
	[KIND_OS_JUNK] = "os-junk",
	[KIND_ARCHIVE] = "archive",
	[KIND_LINK] = "link",
	[KIND_CASE_YAML] = "case-yaml",
};

const char *kind_name(enum ing_kind k)
{
	return (unsigned)k < _KIND_MAX && kind_names[k] ? kind_names[k] : "unknown";
}

bool kind_is_dicom(enum ing_kind k)
{
	return k >= KIND_DICOM_IMAGE && k <= KIND_DICOM_SC;
}

bool kind_is_document(enum ing_kind k)
{
	return (k >= KIND_PATHOLOGY && k <= KIND_PHOTO);
}

enum ing_kind file_dicom_kind(const struct ing_file *f)
{
	if (kind_is_dicom(f->kind))
		return f->kind;
	if (f->dcm && f->doc && kind_is_dicom(f->doc->dicom_kind))
		return f->doc->dicom_kind;
	return KIND_UNKNOWN;
}

bool kind_is_excluded(enum ing_kind k)
{
	return k == KIND_VIEWER || k == KIND_OS_JUNK;
}

static const char *const problem_names[_PROB_MAX] = {
	[PROB_NONE] = "none",
	[PROB_TRUNCATED] = "truncated",
	[PROB_CORRUPT] = "corrupt",
	[PROB_ENCRYPTED] = "encrypted",
	[PROB_UNSUPPORTED] = "unsupported",
	[PROB_UNSAFE] = "unsafe",
	[PROB_LIMIT] = "limit",
	[PROB_DOWNLOAD] = "download",
	[PROB_DUPLICATE] = "duplicate",
	[PROB_UNREADABLE] = "unreadable",
};

const char *problem_name(enum ing_problem p)
{
	return (unsigned)p < _PROB_MAX ? problem_names[p] : "corrupt";
}

void file_set_problem(struct ing_file *f, enum ing_problem p, const char *fmt, ...)
{
	va_list ap;
	char *s;
	if (f->problem != PROB_NONE)    /* the first reason found is the one reported */
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	f->problem = p;
	f->problem_msg = s;
}

void doc_identity_free(struct doc_identity *id)
{
	if (!id)
		return;
	free(id->name);
	free(id->number);
	free(id);
}

void doc_info_free(struct doc_info *d)
{
	if (!d)
		return;
	free(d->text);
	free(d->layout);
	free(d->language);
	free(d->script);
	free(d->extract_error);
	doc_identity_free(d->identity);
	for (size_t i = 0; i < d->n_markers; i++) {
		free(d->markers[i].name);
		free(d->markers[i].result);
		free(d->markers[i].snippet);
		free(d->markers[i].value);
		free(d->markers[i].variant);
		free(d->markers[i].method);
	}
	free(d->markers);
	for (size_t i = 0; i < d->n_labs; i++) {
		free(d->labs[i].name);
		free(d->labs[i].value_text);
		free(d->labs[i].unit);
		free(d->labs[i].date);
		free(d->labs[i].snippet);
	}
	free(d->labs);
	for (size_t i = 0; i < d->n_treatments; i++) {
		free(d->treatments[i].date);
		free(d->treatments[i].latest);
		free(d->treatments[i].precision);
		free(d->treatments[i].what);
		free(d->treatments[i].snippet);
	}
	free(d->treatments);
	for (size_t i = 0; i < d->n_diagnoses; i++)
		free(d->diagnoses[i].text);
	free(d->diagnoses);
	free(d->doc_date);
	free(d);
}

void file_free(struct ing_file *f)
{
	if (!f)
		return;
	free(f->path);
	free(f->raw_path);
	free(f->mime);
	free(f->magic);
	free(f->evidence);
	dcm_info_free(f->dcm);
	doc_info_free(f->doc);
	free(f->problem_msg);
	free(f->staged);
	free(f->prefix);
	for (size_t i = 0; i < f->n_dd_refs; i++) {
		free(f->dd_refs[i].file_id);
		free(f->dd_refs[i].sop_uid);
	}
	free(f->dd_refs);
	free(f);
}

void file_set_kind(struct ing_file *f, enum ing_kind k, char *evidence)
{
	f->kind = k;
	free(f->evidence);
	f->evidence = evidence;
}
