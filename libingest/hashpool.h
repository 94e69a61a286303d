/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SHA-256 of whole in-memory files on a second thread (hashpool.c). */
#ifndef INGEST_HASHPOOL_H
#define INGEST_HASHPOOL_H

#include "internal.h"

struct hashpool;
struct ing_file;

/* max_pending_bytes: bytes handed over and not yet hashed before the caller helps. */
ING_HIDDEN struct hashpool *hashpool_new(size_t max_pending_bytes);
/* Hash p[0..n) into f->sha256 and set f->hashed, later. p must stay readable
 * until hashpool_drain() (or until hashpool_low_water() is above it). */
ING_HIDDEN void hashpool_submit(struct hashpool *hp, struct ing_file *f, const uint8_t *p, size_t n);
/* The lowest address still to be hashed, NULL when nothing is pending. */
ING_HIDDEN const uint8_t *hashpool_low_water(struct hashpool *hp);
/* Wait until every submitted file is hashed (helping meanwhile). */
ING_HIDDEN void hashpool_drain(struct hashpool *hp);
ING_HIDDEN void hashpool_free(struct hashpool *hp);

#endif
