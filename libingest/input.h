/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One input of a drop: identified, read and hashed once (input.c). */
#ifndef INGEST_INPUT_H
#define INGEST_INPUT_H

#include "walk.h"

/* The walk's entry callback (struct walk.entry) of a scan: one input file at
 * RELPATH of SIZE bytes, its bytes from SRC; FD >= 0 when they are also
 * reachable as an open file (folder drops). Identifies it, reads its DICOM
 * header or document text, expands it when it is an archive, and hashes
 * (and stages) every byte it keeps once. */
ING_HIDDEN void scan_entry(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
                           const struct ident_where *where);

/* A read that went wrong after GOT bytes (ERR < 0), or a file that changed
 * size while it was read (ERR 0): F's problem, in the reader's words. */
ING_HIDDEN void input_read_problem(struct ing_file *f, int err, uint64_t got);

#endif
