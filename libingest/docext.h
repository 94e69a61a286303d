/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Document text extraction, confined. Untrusted documents (PDF, text, later
 * OCR of images) are parsed in a child process with CPU-time and address-space
 * limits and a seccomp filter, so a crash, a hang or a memory blow-up costs
 * that one document and never the caller.
 */
#ifndef INGEST_DOCEXT_H
#define INGEST_DOCEXT_H

#include "model.h"

enum docext_type {
	DOCEXT_PDF,
	DOCEXT_TEXT,     /* plain text in any common encoding */
	DOCEXT_IMAGE,    /* OCR (tesseract) */
};

/* Tesseract languages for Latin script, and for pages whose script OSD
 * cannot tell, when the caller names none: English alone. Each extra
 * language multiplies recognition time (measured: see docext.c). Other
 * scripts get their own languages (docext-child.c, ocr_scripts[]). */
#define DOCEXT_DEFAULT_OCR_LANGS "eng"

struct docext_opts {
	/* Tesseract language list, "eng+rus", used as given; NULL: chosen by
	 * the script of the first page (OSD), DOCEXT_DEFAULT_OCR_LANGS for Latin.
	 * Only [a-z_+] is accepted, anything else falls back to NULL's way. */
	const char *ocr_langs;
	/* Do not OCR PDFs without a text layer (only report text_layer=false). */
	bool no_pdf_ocr;
	/* Called with true just before each fork and with false just after it
	 * (in the caller): the caller's other threads are to hold no lock at the
	 * fork, since the child inherits every lock held then and could wait on
	 * one forever (seen: ASan's allocator lock, held by a hashing thread). */
	void (*around_fork)(void *ud, bool before);
	void *around_fork_ud;
};

/*
 * Extract text from the open regular file fd (positioned anywhere; read with
 * pread; -EINVAL for anything but a regular file).
 * Fills out->text_layer, pages, text, text_len, layout, layout_len, ocr,
 * ocr_confidence (out starts zeroed; language/script/needs_translation are
 * left to the caller). layout is the text as printed (model.h), for PDFs and
 * OCR; NULL for plain text, whose own lines are its layout.
 * When the document cannot be read (crash, timeout, memory limit, encrypted,
 * malformed), returns 0 with out->extract_error set to plain words saying
 * why. Returns a negative errno only when the extractor itself could not be
 * started (fork/pipe failure).
 *
 * Safe with any SIGCHLD disposition of the caller: the child is waited for by
 * pid and never left behind; if the caller's handler reaps it first, the
 * outcome is judged from what the child sent. Forks: call it from a thread
 * that lives at least as long as the call (the child dies with that thread).
 */
ING_HIDDEN int docext_run(struct ing_ctx *ctx, int fd, enum docext_type type, struct doc_info *out);
/* The same with options; opts may be NULL. */
ING_HIDDEN int docext_run_opts(struct ing_ctx *ctx, int fd, enum docext_type type,
                               const struct docext_opts *opts, struct doc_info *out);

/* docext_run_opts() in two halves, so that the caller goes on (and another
 * extraction runs on the other core) while the child works. docext_start():
 * 0 with *job set, or 0 with *job NULL when out is final already (plain text
 * is decoded in this process; an oversized document is refused), or a
 * negative errno as docext_run_opts(). fd may be closed once it returns.
 * docext_finish() waits for the child (its deadline still applies), fills
 * out, and frees the job; a scanned PDF's OCR pass runs there. */
struct docext_job;
ING_HIDDEN int docext_start(struct ing_ctx *ctx, int fd, enum docext_type type, const struct docext_opts *opts,
                            struct doc_info *out, struct docext_job **job);
ING_HIDDEN int docext_finish(struct docext_job *job);

#endif
