/* SPDX-License-Identifier: GPL-3.0-or-later */
/* BagIt 1.0 (RFC 8493) helpers: manifest path encoding and the verifier. */
#ifndef INGEST_BAGIT_H
#define INGEST_BAGIT_H

#include "internal.h"

/* Append PATH to B as a manifest path: CR, LF and '%' percent-encoded (RFC 8493 §2.1.3). */
ING_HIDDEN int bag_path_encode(struct strbuf *b, const char *path);
/* Decode a manifest path of n bytes; *out is malloc'd. -EBADMSG when it
 * decodes to something unsafe: empty, absolute, "." / ".." / empty
 * components, or a NUL byte. */
ING_HIDDEN int bag_path_decode(const char *in, size_t n, char **out);
/* A relative path that stays inside the bag. */
ING_HIDDEN bool bag_path_safe(const char *p);

#endif
