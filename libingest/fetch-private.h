/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the link file parsers (fetch-linkfile.c) and the downloader
 * (fetch.c) share: small text helpers, defined in fetch-linkfile.c.
 */
#ifndef INGEST_FETCH_PRIVATE_H
#define INGEST_FETCH_PRIVATE_H

#include "fetch.h"

ING_HIDDEN void trim(const char **s, size_t *n);
ING_HIDDEN void set_error(char **error, const char *fmt, ...) ING_PRINTF(2, 3);
ING_HIDDEN void put_utf8(struct strbuf *b, uint32_t cp);

#endif
