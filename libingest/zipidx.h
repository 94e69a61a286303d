/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Where the deflated bytes of a zip's entries lie (zipidx.c), in a zip held
 * in memory or read with pread() from its file, so they can be inflated with
 * libdeflate on either core.
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
	uint64_t name_off;     /* the name: cd[name_off .. name_off + name_len) */
	uint32_t crc;
	uint16_t name_len;
	bool usable;           /* deflated, plain, in bounds, its (name, size) unique in the zip */
};


struct zipidx {
	struct zip_rec *v;     /* every record, sorted by lho: the order libarchive's seekable reader lists them */
	size_t n;
	const uint8_t *map;    /* the zip in memory, or NULL: read with pread() from fd */
	int fd;
	uint64_t len;          /* the zip's length */
	const uint8_t *cd;     /* its central directory: in map, or read into cd_buf */
	uint8_t *cd_buf;
	uint64_t end;          /* where the entries' part ends (the central directory starts) */
	size_t shared;         /* set when zipidx_build() refused the zip for it (nothing indexed): records
	                        * whose local header another record names too (an overlapping zip, a bomb's
	                        * construction); libarchive lists one entry per local header, so these are
	                        * never read */
};

/* Where a local header and the deflated bytes after it are read into (fd). */
struct zbuf {
	uint8_t *p;
	size_t cap;
};
ING_HIDDEN void zbuf_free(struct zbuf *b);

/* Index the records of the zip map[0..len) (or, map NULL, the file fd of
 * len bytes), at most max_entries of them.
 * 0, or -EINVAL when the central directory cannot be found, is not
 * consistent, or could be read differently by libarchive (then nothing is
 * indexed: the caller reads every entry through libarchive; z->shared says
 * how many records were left out for sharing a local header). Records that
 * are not deflated, encrypted, out of bounds, or whose (name, size) occurs
 * twice are listed but not usable. */
ING_HIDDEN int zipidx_build(struct zipidx *z, const uint8_t *map, int fd, uint64_t len, uint64_t max_entries);
ING_HIDDEN void zipidx_free(struct zipidx *z);
/* Record k is usable and is the entry named name[0..nlen) with usize bytes. */
ING_HIDDEN bool zipidx_match(const struct zipidx *z, size_t k, const char *name, size_t nlen, uint64_t usize);
/* Inflate entry r into out[0..usize) and check its local header (it must
 * agree with the central directory), its length and its CRC-32:
 * 0, or -EBADMSG (damaged or unreadable: the caller reads it through
 * libarchive, which reports the damage in its words). scratch holds the
 * bytes read from a file (the caller's, one per thread). */
ING_HIDDEN int zipidx_inflate(const struct zipidx *z, size_t r, struct libdeflate_decompressor *d, uint8_t *out,
                              struct zbuf *scratch);

#endif
