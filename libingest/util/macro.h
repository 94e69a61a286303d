/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The helper layer (libingest/util/): small helpers with no knowledge of
 * ingestd, linked into the library, the daemon and the tools alike (kmod's
 * shared/). Nothing here includes a header of libingest proper.
 */
#ifndef INGEST_UTIL_MACRO_H
#define INGEST_UTIL_MACRO_H

#define ING_HIDDEN __attribute__((visibility("hidden")))
#define ING_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
