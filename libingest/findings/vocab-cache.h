/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The compiled cache of the vocabulary (vocab-cache.c, docs/vocabulary.md):
 * vocab_load_dir() keys it by its files' bytes and this program's build,
 * reads it when it matches and writes it after a load without errors.
 */
#ifndef INGEST_FINDINGS_VOCAB_CACHE_H
#define INGEST_FINDINGS_VOCAB_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "util/macro.h"

struct vocab;

/* A vocabulary file as read: its name in the folder and its bytes. */
struct vocab_source {
	const char *name;
	const char *buf;
	size_t len;
};

/* The key of the N files SRC (in the order they are loaded) for this
 * program's build into KEY: 0, or -ENOTSUP when the program has no build id
 * (then there is no cache). */
ING_HIDDEN int vocab_cache_key(const struct vocab_source *src, size_t n, uint8_t key[32]);

/* The folder of the cache: $INGEST_CACHE_DIR (set and empty: none), else
 * $CACHE_DIRECTORY (systemd), else $XDG_CACHE_HOME/ingest, else
 * $HOME/.cache/ingest; NULL for none. Malloc'd. */
ING_HIDDEN char *vocab_cache_dir(void);

/* The cache of KEY in DIR into *OUT, its files named as in the folder VDIR:
 * 0, -ENOENT (none), -ESTALE (another key), -EBADMSG (damaged or not one),
 * or -errno. */
ING_HIDDEN int vocab_cache_read(const char *dir, const uint8_t key[32], const char *vdir, struct vocab **out);
/* V as the cache of KEY in DIR (created if missing), replaced atomically;
 * older caches past VOCAB_CACHE_MAX_FILES removed. 0 or -errno. */
ING_HIDDEN int vocab_cache_write(const char *dir, const uint8_t key[32], const struct vocab *v);

/* The bytes of the cache (malloc'd) and back. Decoding reads BLOB in place
 * (the trie's nodes, payloads and class sets are used where they lie, not
 * copied): BLOB must come from vocab_cache_alloc(), and on success belongs
 * to the vocabulary (vocab_free() releases it); on failure it stays the
 * caller's. It checks every count, index, flag and string (and, when KEY is
 * given, the key and the body's SHA-256; fuzz-vocab-cache passes none): 0,
 * or -EBADMSG / -ESTALE and nothing made. */
ING_HIDDEN int vocab_cache_encode(const struct vocab *v, const uint8_t key[32], uint8_t **out, size_t *len);
ING_HIDDEN int vocab_cache_decode(void *blob, size_t len, const uint8_t key[32], const char *vdir, struct vocab **out);
/* LEN bytes for a cache to be read into, page-aligned and mapped at once
 * (not a page fault each on first touch); NULL when there are none. */
ING_HIDDEN void *vocab_cache_alloc(size_t len);
ING_HIDDEN void vocab_cache_release(void *blob, size_t len);

#endif
