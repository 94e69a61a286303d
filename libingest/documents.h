/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading documents' text and findings during the walk (documents.c). */
#ifndef INGEST_DOCUMENTS_H
#define INGEST_DOCUMENTS_H

#include "docext.h"
#include "walk.h"

/* F's text through the extractor of TYPE from FD:
 * started now, up to WALK_DOCS_MAX at a time, and read (kind, findings) in
 * the order the documents came. What cannot be read is said to be unread,
 * never missing. */
ING_HIDDEN void documents_read(struct walk *w, struct ing_file *f, int fd, enum docext_type type);
/* Waits for the documents being read and takes their text (before the walk ends). */
ING_HIDDEN void documents_finish_all(struct walk *w);

#endif
