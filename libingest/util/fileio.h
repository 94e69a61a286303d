/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Files: removing a tree, writing all of a buffer, reading a whole small file. */
#ifndef INGEST_UTIL_FILEIO_H
#define INGEST_UTIL_FILEIO_H

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>

#include "util/mem.h"

/* _cleanup_(closedirp) DIR *d, _cleanup_(fclosep) FILE *f. */
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)
DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)

/* Remove NAME under DFD and everything below it; never follows a symbolic
 * link; depth bounded. 0 when it is gone (or never was), else -errno. */
ING_HIDDEN int rm_rf_at(int dfd, const char *name);

/* Write all N bytes (retrying short writes); 0 or -errno (-ENOSPC for a
 * write that made no progress). */
ING_HIDDEN int write_all(int fd, const void *p, size_t n);

#endif
