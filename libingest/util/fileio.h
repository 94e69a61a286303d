/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Files: removing a tree, writing all of a buffer, reading a whole small file;
 * the cleanup forms of DIR and FILE. */
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

/* A directory stream over a duplicate of the folder descriptor DFD (which
 * stays open and the caller's): the stream, or NULL with errno set and
 * nothing left open. */
ING_HIDDEN DIR *opendir_dup(int dfd);

/* Write all N bytes (retrying short writes); 0 or -errno (-ENOSPC for a
 * write that made no progress). */
ING_HIDDEN int write_all(int fd, const void *p, size_t n);

/*
 * A whole small file into memory: *OUT (malloc'd, NUL-terminated) and its
 * length in *LEN (may be NULL). read_file_at() opens PATH below DIRFD
 * (AT_FDCWD: as open(2) would) with O_RDONLY | O_CLOEXEC | FLAGS (the
 * caller's O_NOFOLLOW, O_NONBLOCK, O_NOCTTY); read_file_fd() reads FD from
 * where it stands. It must be a regular file of at most MAX bytes (MAX well
 * below SIZE_MAX / 2), also when it grows while it is read. 0, or:
 *   -EINVAL  not a regular file;
 *   -EFBIG   larger than MAX;
 *   -errno   opening, fstat() or a read failed; -ENOMEM.
 */
ING_HIDDEN int read_file_at(int dirfd, const char *path, size_t max, int flags, char **out, size_t *len);
ING_HIDDEN int read_file_fd(int fd, size_t max, char **out, size_t *len);

#endif
