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
	ST_IMAGE_TOO_LARGE,      /* more pixels than OCR_MAX_IMAGE_PIXELS: not decoded (frame width, height) */
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
	uint8_t image_pages;     /* PDF: pages read with no text of their own but an image (at most 255) */
	uint64_t text_len;       /* text_len bytes of text follow the header, */
	uint64_t layout_len;     /* then layout_len bytes of layout; together <= max_text_bytes */
	int32_t want_script;     /* OCR: the pages are in ocr_scripts[want_script], whose
	                          * languages were not loaded: read again with them; -1 no */
	int32_t rotated;         /* OCR: degrees the first page was turned (OSD), 0..270 */
	uint32_t width, height;  /* ST_IMAGE_TOO_LARGE: the image's size in pixels */
	uint8_t script_unsure;   /* OCR: the first page read poorly and OSD named no script
	                          * (or Latin, unsure): read it in the other scripts' languages */
	uint8_t partial;         /* OCR: stopped after the first page read by OCR (a probe, or
	                          * want_script / script_unsure) with pages left unread */
	uint8_t scripts_ok;      /* OCR: bit i: ocr_scripts[i]'s traineddata are installed */
};

/* A page OCR reads with a mean confidence below this is a poor reading: it
 * is turned (OSD) and, in automatic language mode, its script questioned;
 * at or above it, a reading is good. */
#define OCR_ROTATE_BELOW 60

/* OCR languages by the script tesseract's orientation and script detection
 * (OSD) finds, used when the caller names no language. These name
 * tesseract's traineddata files, not words of any report, so they live here
 * rather than in the vocabulary. */
struct ocr_script {
	const char *script;      /* OSD's name: "Latin", "Cyrillic"... */
	const char *langs;       /* tesseract language list */
};
ING_HIDDEN extern const struct ocr_script ocr_scripts[];
ING_HIDDEN extern const size_t n_ocr_scripts;

struct child_args {
	enum child_mode mode;
	int doc_fd;
	int out_fd;
	uint64_t doc_size;       /* bytes to read, <= max_doc_bytes */
	struct ing_limits limits;
	const char *ocr_langs;
	bool ocr_langs_auto;     /* the caller named none: OSD may ask for others (want_script) */
	bool probe;              /* OCR: stop after the first page read by OCR (its confidence
	                          * tells whether these languages read the document) */
	bool keep_stderr;
	pid_t parent;
};

/* Appends text bounded by max, cutting at a UTF-8 boundary when full. */
struct textbuf {
	char *s;
	size_t len, max;
	bool truncated;
};

/* A box on the page: a PDF glyph or an OCR word, in page units with y
 * growing downwards, and its text at src + off (len bytes, nchars
 * characters), in logical order inside the box (a glyph is one character;
 * tesseract gives a word's letters in reading order). space_before: the
 * reading-order text had a space before it. sep, level: layout_lines' own
 * (the gap to the box on the left, the box's bidi embedding level). */
struct layout_box {
	float x1, y1, x2, y2;
	uint32_t off;
	uint32_t len;
	uint32_t nchars;
	bool space_before;
	uint8_t sep;
	uint8_t level;
};

/* docext-layout.c: appends the printed lines of boxes b[0..n) to out (b is
 * reordered). words: the boxes are words, always apart by at least ' '.
 * Each line is written in logical order: a right-to-left line (Arabic,
 * Hebrew) from its right end, its cells right to left, the numbers and
 * Latin words in it left to right (the Unicode bidi algorithm's levels,
 * run backwards from the page to the text). */
ING_HIDDEN void layout_lines(struct layout_box *b, size_t n, const char *src, bool words, struct textbuf *out);

/* docext-layout.c: whether the page of boxes b[0..n) reads right to left. */
ING_HIDDEN bool layout_page_rtl(const struct layout_box *b, size_t n, const char *src);

/* docext-layout.c: poppler writes a right-to-left word of its text in
 * logical order inside bidi embeddings (U+202B ... U+202C, U+202A ... for
 * the numbers in it) but gives its glyphs' boxes in the order the page
 * draws them. Points box k of b[0..n) (off, len) at the character of s it
 * stands for, for the characters of s that are not embedding controls, and
 * returns how many those are (the caller checks that it is n). */
ING_HIDDEN size_t layout_glyph_order(const char *s, size_t len, struct layout_box *b, size_t n);

/* docext-child.c */
ING_HIDDEN _Noreturn void child_main(struct child_args *a);
ING_HIDDEN void textbuf_add(struct textbuf *t, const char *p, size_t n);
ING_HIDDEN void textbuf_addc(struct textbuf *t, char c);
ING_HIDDEN size_t utf8_valid_seq(const uint8_t *s, size_t n);
ING_HIDDEN void decode_text(const uint8_t *s, size_t n, struct textbuf *t);
ING_HIDDEN bool langs_ok(const char *l);

#endif
