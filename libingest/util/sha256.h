/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SHA-256 (OpenSSL EVP) in streaming form. */
#ifndef INGEST_UTIL_SHA256_H
#define INGEST_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

struct sha256_ctx;
ING_HIDDEN struct sha256_ctx *sha256_new(void);
ING_HIDDEN void sha256_update(struct sha256_ctx *c, const void *p, size_t n);
ING_HIDDEN void sha256_final(struct sha256_ctx *c, uint8_t out[32]);
ING_HIDDEN void sha256_free(struct sha256_ctx *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sha256_ctx *, sha256_free)

#endif
