/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pictures of the series for the HTML report (thumbs.c): the middle slice of
 * each series, windowed and scaled by DCMTK (dcm-thumb.h) in a confined
 * child, encoded as PNG here and kept as a data: URI, so the report stays
 * one self-contained file that loads nothing. A series without a picture
 * carries the reason in plain words.
 */
#ifndef INGEST_THUMBS_H
#define INGEST_THUMBS_H

#include <stdio.h>

#include "case.h"

struct thumb {
	const struct inv_series *series;
	char *data_uri;          /* "data:image/png;base64,...", NULL when none */
	char *why;               /* no picture: why, in plain words; else NULL */
	char *note;              /* with a picture: which slice ("instance 12, middle of 24") */
	char *window;            /* with a picture: how it was windowed, in words */
	unsigned width, height;
};

struct thumbs {
	struct thumb *v;         /* in inventory order (studies, then series) */
	size_t n;
	double seconds;          /* wall time spent making them */
	double child_cpu;        /* CPU time (user + system) of the children */
};

/* Where a file's bytes are: a descriptor open for reading (the caller's
 * package), or a negative errno. */
typedef int (*thumbs_open_fn)(void *ud, const struct ing_file *f);

/*
 * One picture per series of inv (those the report lists, at most
 * THUMB_MAX_SERIES), each file reached through open_file. Decoding runs in
 * one confined child at a time (rlimits, seccomp, no file it can open); a
 * child that crashes, loops or is stopped costs the picture it was making,
 * and the next child goes on with the rest. Returns 0 (out filled; pictures
 * that failed carry their reason), or -ENOMEM.
 */
ING_HIDDEN int thumbs_make(struct ing_ctx *ctx, const struct inventory *inv, thumbs_open_fn open_file, void *ud,
                           struct thumbs *out);
/* The entry of se, or NULL. */
ING_HIDDEN const struct thumb *thumbs_find(const struct thumbs *t, const struct inv_series *se);
ING_HIDDEN void thumbs_free(struct thumbs *t);

/* report-html.c: the HTML report with the pictures of t (NULL: no picture
 * column; ing_scan_write_html() is this with NULL). */
ING_HIDDEN int report_html_write(const struct ing_scan *scan, const char *status, const struct thumbs *t, FILE *f);

#endif
