/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the two sides of document extraction share (docext.c's top comment
 * says how it works): the child's orders (struct child_args) and its one
 * frame of answer, the bounded text buffer, and the text decoding the parent
 * also runs in its own process for plain text. docext.c is the parent side,
 * docext-child.c the confined child.
 */
#ifndef INGEST_DOCEXT_PRIVATE_H
#define INGEST_DOCEXT_PRIVATE_H

#include "docext.h"

#define FRAME_MAGIC 0x49444f43u /* "IDOC" */

enum child_mode {
	MODE_PDF_TEXT,
	MODE_PDF_OCR,
	MODE_TEXT,
	MODE_IMAGE,
};

enum child_status {
	ST_OK = 0,
	ST_ENCRYPTED,
	ST_DAMAGED,
	ST_TOO_BIG,
	ST_READ_ERROR,
	ST_IMAGE_UNREADABLE,
	ST_OCR_UNAVAILABLE,
	_ST_MAX,
};

struct frame {
	uint32_t magic;
	int32_t status;          /* enum child_status */
	int32_t pages;           /* -1 unknown */
	int32_t pages_read;
	int32_t confidence;      /* 0..100, -1 no OCR */
	uint8_t text_layer;
	uint8_t ocr;
	uint8_t truncated;
	uint8_t pad;
	uint64_t text_len;
};

struct child_args {
	enum child_mode mode;
	int doc_fd;
	int out_fd;
	uint64_t doc_size;       /* bytes to read, <= max_doc_bytes */
	struct ing_limits limits;
	const char *ocr_langs;
	bool keep_stderr;
	pid_t parent;
};

/* Appends text bounded by max, cutting at a UTF-8 boundary when full. */
struct textbuf {
	char *s;
	size_t len, max;
	bool truncated;
};

/* docext-child.c */
ING_HIDDEN _Noreturn void child_main(struct child_args *a);
ING_HIDDEN void textbuf_add(struct textbuf *t, const char *p, size_t n);
ING_HIDDEN void textbuf_addc(struct textbuf *t, char c);
ING_HIDDEN size_t utf8_valid_seq(const uint8_t *s, size_t n);
ING_HIDDEN void decode_text(const uint8_t *s, size_t n, struct textbuf *t);
ING_HIDDEN bool langs_ok(const char *l);

#endif
