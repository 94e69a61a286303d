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
/* The document inside the DICOM object F (an Encapsulated PDF, a text SR),
 * from BUF[0, N), the prefix its header was read from: read as documents_read()
 * reads any document. The file's kind becomes the document's; the object stays
 * an instance of its series (doc_info's dicom_kind, file_dicom_kind()). A
 * document that cannot be taken out is unread, said so; the object is kept. */
ING_HIDDEN void documents_read_dicom(struct walk *w, struct ing_file *f, const uint8_t *buf, size_t n);
/* Waits for the documents being read and takes their text (before the walk ends). */
ING_HIDDEN void documents_finish_all(struct walk *w);

#endif
