/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SHA-256 through OpenSSL EVP, in streaming form. */
#include <stdlib.h>
#include <openssl/evp.h>

#include "util/sha256.h"

struct sha256_ctx *sha256_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		abort();
	return (struct sha256_ctx *)c;
}

void sha256_update(struct sha256_ctx *c, const void *p, size_t n)
{
	if (EVP_DigestUpdate((EVP_MD_CTX *)c, p, n) != 1)
		abort();
}

void sha256_final(struct sha256_ctx *c, uint8_t out[32])
{
	unsigned int len = 32;
	if (EVP_DigestFinal_ex((EVP_MD_CTX *)c, out, &len) != 1)
		abort();
}

void sha256_free(struct sha256_ctx *c)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)c);
}
