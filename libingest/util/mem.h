/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Memory and ownership: allocation that does not fail, and cleanup
 * attributes (systemd's _cleanup_ / DEFINE_TRIVIAL_CLEANUP_FUNC, libinput's
 * steal()). A variable declared with a cleanup attribute is released when
 * it goes out of scope; steal_ptr()/steal_fd() hand ownership out of it.
 *
 *     _cleanup_(journal_closep) struct journal *j = NULL;
 *     ...
 *     *out = steal_ptr(j);
 *
 * Every destructor that follows "accepts NULL, returns NULL" gets its
 * pointer form with DEFINE_TRIVIAL_CLEANUP_FUNC(type *, destructor) next to
 * its declaration: the name is the destructor's with a 'p' appended.
 */
#ifndef INGEST_UTIL_MEM_H
#define INGEST_UTIL_MEM_H

#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/macro.h"

/* Allocation failure is not recoverable in a meaningful way here: abort. */
ING_HIDDEN void *xmalloc(size_t n);
ING_HIDDEN void *xcalloc(size_t n, size_t m);
ING_HIDDEN void *xrealloc(void *p, size_t n);
ING_HIDDEN char *xstrdup(const char *s);
ING_HIDDEN char *xstrndup(const char *s, size_t n);
ING_HIDDEN char *xasprintf(const char *fmt, ...) ING_PRINTF(1, 2);

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* TYPE is a pointer type; FUNC(TYPE) releases it (and may return something,
 * ignored). Defines FUNC##p(TYPE *) for _cleanup_(FUNC##p). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                 \
	static inline void func##p(type *p)                     \
	{                                                       \
		if (*p)                                         \
			(void)func(*p);                         \
	}

/* Hand ownership out of a cleanup variable. */
#define steal_ptr(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define steal_fd(fd) ({ int _t = (fd); (fd) = -1; _t; })

#endif
