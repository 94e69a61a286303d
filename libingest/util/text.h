/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Text helpers: suffixes, base names, UTF-8, hex. */
#ifndef INGEST_UTIL_TEXT_H
#define INGEST_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

ING_HIDDEN bool str_has_suffix_ci(const char *s, const char *suffix);
ING_HIDDEN const char *path_basename(const char *p);
/* One UTF-8 character at S (N bytes left): its length, and the code point in
 * *CP; 0 when the bytes are not valid UTF-8 (overlong, surrogate, cut short). */
ING_HIDDEN size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
/* CP as UTF-8 into OUT; its length (1-4). Invalid code points become U+FFFD. */
ING_HIDDEN size_t utf8_encode(uint32_t cp, char out[4]);
/* The value of a hex digit, -1 if C is none. */
ING_HIDDEN int hex_digit(int c);
/* Bytes from the start of S that are valid UTF-8 (N when all are). */
ING_HIDDEN size_t utf8_valid_prefix(const char *s, size_t n);
/* Copy with invalid UTF-8 replaced by U+FFFD and control characters by '?'. */
ING_HIDDEN char *utf8_sanitize(const char *s, size_t n);
/* Names of an enum as a table indexed by value: the index of S among
 * TABLE[FIRST..N) (NULL entries skipped), or -EINVAL. */
ING_HIDDEN int name_index(const char *const *table, size_t first, size_t n, const char *s);
ING_HIDDEN void hex_encode(const uint8_t *in, size_t n, char *out /* 2n+1 */);

#endif
