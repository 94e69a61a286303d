/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A growing byte buffer with a ceiling, and a growing array of pointers. */
#ifndef INGEST_UTIL_STRBUF_H
#define INGEST_UTIL_STRBUF_H

#include <stddef.h>

#include "util/mem.h"

/* A growing byte buffer with a ceiling (curl's dynbuf): appends past max fail
 * with -E2BIG and leave the buffer as it was. Always NUL-terminated. */
struct strbuf {
	char *s;
	size_t len, cap, max;
};
ING_HIDDEN void strbuf_init(struct strbuf *b, size_t max);
ING_HIDDEN int strbuf_append(struct strbuf *b, const void *p, size_t n);
ING_HIDDEN int strbuf_puts(struct strbuf *b, const char *s);
ING_HIDDEN int strbuf_printf(struct strbuf *b, const char *fmt, ...) ING_PRINTF(2, 3);
ING_HIDDEN char *strbuf_steal(struct strbuf *b);
ING_HIDDEN void strbuf_free(struct strbuf *b);
/* For _cleanup_(strbuf_freep) struct strbuf b = ...: frees what it holds. */
static inline void strbuf_freep(struct strbuf *b) { strbuf_free(b); }

/* A growing array of pointers. */
struct ptrvec {
	void **v;
	size_t n, cap;
};
ING_HIDDEN void ptrvec_push(struct ptrvec *pv, void *p);
ING_HIDDEN void ptrvec_free(struct ptrvec *pv, void (*fn)(void *));
/* For _cleanup_(ptrvec_freep) struct ptrvec v = { 0 }: frees the array and,
 * with free(), every pointer in it. */
static inline void ptrvec_freep(struct ptrvec *pv) { ptrvec_free(pv, free); }

#endif
