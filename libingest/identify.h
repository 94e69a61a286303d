/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Identification: one kind per file, with the evidence that decided it. */
#ifndef INGEST_IDENTIFY_H
#define INGEST_IDENTIFY_H

#include "model.h"

/* What the walker knows about where a file sits. */
struct ident_where {
	bool in_viewer_dir;        /* a folder above holds viewer program files */
	const char *viewer_dir;    /* that folder, for the evidence */
	bool case_store;           /* top-level folders are drops: DROP/case.yaml counts too */
};

/* Decided by path alone (OS junk, viewer software, links, case.yaml): sets
 * f->kind and f->evidence and returns true; false when content must decide. */
ING_HIDDEN bool identify_by_path(struct ing_file *f, const struct ident_where *w);

/* Could these first bytes start a DICOM object (Part 10 or bare dataset)? */
ING_HIDDEN bool identify_dicom_candidate(const uint8_t *head, size_t len);

/* Kind of a parsed DICOM object from its SOP class (f->dcm must be set). */
ING_HIDDEN void identify_dicom(struct ing_file *f);

enum content_class {
	CONTENT_OTHER,
	CONTENT_PDF,
	CONTENT_TEXT,
	CONTENT_IMAGE,
	CONTENT_ARCHIVE,
	CONTENT_EXECUTABLE,
	CONTENT_OFFICE,
};

/* libmagic over the first bytes: sets f->mime and returns the class; sets
 * f->magic (libmagic's description) for the classes whose evidence quotes it
 * (archive, executable, office, other), NULL for PDF, text and image. */
ING_HIDDEN enum content_class identify_content(struct ing_ctx *ctx, struct ing_file *f,
                                               const uint8_t *head, size_t len);

/* SOP Class UID -> readable name ("CT Image Storage"), NULL if not known. */
ING_HIDDEN const char *sop_class_name(const char *uid);

/* Is this file name one of the viewer program files that mark a viewer folder? */
ING_HIDDEN bool is_program_file_name(const char *name);

#endif
