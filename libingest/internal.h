/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals shared by libingest's modules: context, logging, buffers. */
#ifndef INGEST_INTERNAL_H
#define INGEST_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"

#define ING_HIDDEN __attribute__((visibility("hidden")))
#define ING_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
/* Hand ownership out of a cleanup variable. */
#define steal_ptr(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define steal_fd(fd) ({ int _t = (fd); (fd) = -1; _t; })

struct magic_set;

struct ing_ctx {
	ing_log_fn log_fn;
	void *log_data;
	int log_max;
	struct ing_limits limits;
	uint8_t salt[32];
	size_t salt_len;
	struct magic_set *magic;     /* libmagic cookie, opened lazily */
	char working_langs[128];     /* ISO 639-1 codes, comma-separated: no translation needed */
};

ING_HIDDEN bool ing_ctx_is_working_language(const struct ing_ctx *ctx, const char *lang);

/* One logging path: everything in the library goes through here. */
ING_HIDDEN void ing_log(struct ing_ctx *ctx, int level, const char *fmt, ...) ING_PRINTF(3, 4);
#define log_err(ctx, ...) ing_log(ctx, ING_LOG_ERR, __VA_ARGS__)
#define log_warn(ctx, ...) ing_log(ctx, ING_LOG_WARNING, __VA_ARGS__)
#define log_info(ctx, ...) ing_log(ctx, ING_LOG_INFO, __VA_ARGS__)
#define log_debug(ctx, ...) ing_log(ctx, ING_LOG_DEBUG, __VA_ARGS__)

/* Allocation failure is not recoverable in a meaningful way here. */
ING_HIDDEN void *xmalloc(size_t n);
ING_HIDDEN void *xcalloc(size_t n, size_t m);
ING_HIDDEN void *xrealloc(void *p, size_t n);
ING_HIDDEN char *xstrdup(const char *s);
ING_HIDDEN char *xstrndup(const char *s, size_t n);
ING_HIDDEN char *xasprintf(const char *fmt, ...) ING_PRINTF(1, 2);

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

/* A growing array of pointers. */
struct ptrvec {
	void **v;
	size_t n, cap;
};
ING_HIDDEN void ptrvec_push(struct ptrvec *pv, void *p);
ING_HIDDEN void ptrvec_free(struct ptrvec *pv, void (*fn)(void *));

/* Remove NAME under DFD and everything below it; never follows a symbolic
 * link; depth bounded. 0 when it is gone (or never was), else -errno. */
ING_HIDDEN int rm_rf_at(int dfd, const char *name);

/* Write all N bytes (retrying short writes); 0 or -errno (-ENOSPC for a
 * write that made no progress). */
ING_HIDDEN int write_all(int fd, const void *p, size_t n);

/* Text helpers. */
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
ING_HIDDEN void hex_encode(const uint8_t *in, size_t n, char *out /* 2n+1 */);

/* SHA-256 (OpenSSL EVP) in streaming form. */
struct sha256_ctx;
ING_HIDDEN struct sha256_ctx *sha256_new(void);
ING_HIDDEN void sha256_update(struct sha256_ctx *c, const void *p, size_t n);
ING_HIDDEN void sha256_final(struct sha256_ctx *c, uint8_t out[32]);
ING_HIDDEN void sha256_free(struct sha256_ctx *c);

#endif
