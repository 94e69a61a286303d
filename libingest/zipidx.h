/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Where the deflated bytes of a zip's entries lie in a zip held in memory
 * (zipidx.c), so they can be inflated with libdeflate on either core.
 * libarchive stays the reader of record (names, types, links, encryption,
 * limits); this index only answers "the entry libarchive calls NAME with
 * SIZE bytes: where are its deflated bytes, and what CRC-32 must they give".
 */
#ifndef INGEST_ZIPIDX_H
#define INGEST_ZIPIDX_H

#include "internal.h"

struct libdeflate_decompressor;

struct zip_rec {
	uint64_t lho;          /* its local header; the deflated bytes follow it */
	uint64_t csize, usize;
	uint64_t name_off;     /* the name: map[name_off .. name_off + name_len) (in the central directory) */
	uint32_t crc;
	uint16_t name_len;
	bool usable;           /* deflated, plain, in bounds, its (name, size) unique in the zip */
};

struct zipidx {
	struct zip_rec *v;     /* every record, sorted by lho: the order libarchive's seekable reader lists them */
	size_t n;
	const uint8_t *map;
	uint64_t end;          /* where the entries' part ends (the central directory starts) */
};

/* Index the records of the zip map[0..len), at most max_entries of them.
 * 0, or -EINVAL when the central directory cannot be found, is not
 * consistent, or could be read differently by libarchive (then nothing is
 * indexed: the caller reads every entry through libarchive). Records that
 * are not deflated, encrypted, out of bounds, or whose (name, size) occurs
 * twice are listed but not usable. */
ING_HIDDEN int zipidx_build(struct zipidx *z, const uint8_t *map, size_t len, uint64_t max_entries);
ING_HIDDEN void zipidx_free(struct zipidx *z);
/* Record k is usable and is the entry named name[0..nlen) with usize bytes. */
ING_HIDDEN bool zipidx_match(const struct zipidx *z, size_t k, const char *name, size_t nlen, uint64_t usize);
/* Inflate entry r into out[0..usize) and check its local header (it must
 * agree with the central directory), its length and its CRC-32:
 * 0, or -EBADMSG (damaged: the caller reads it through libarchive, which
 * reports the damage in its words). */
ING_HIDDEN int zipidx_inflate(const struct zipidx *z, size_t r, struct libdeflate_decompressor *d, uint8_t *out);

#endif
