/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Link files: URLs collected during the walk, fetched after it (links.c). */
#ifndef INGEST_LINKS_H
#define INGEST_LINKS_H

#include "walk.h"

/* The URLs of the link file F (its N bytes at BUF, all of it) into the
 * walk's list; a link file that cannot be read gets a problem. */
ING_HIDDEN void links_collect(struct walk *w, struct ing_file *f, const uint8_t *buf, size_t n);
/* Downloads every URL collected, each into an unnamed file (in staging in
 * package mode, else in TMPDIR), and hands it to w->entry; a failed download
 * is a `download` problem. */
ING_HIDDEN void links_fetch(struct walk *w, const struct ing_scan_opts *opts);
/* Forgets the collected URLs. */
ING_HIDDEN void links_free(struct walk *w);

#endif
