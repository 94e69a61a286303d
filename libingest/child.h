/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the confined children (the document extractor, docext-child.c, and
 * the picture maker, thumbs.c) share: a write that ends the child when its
 * parent is gone, and a seccomp rule by system call name. */
#ifndef INGEST_CHILD_H
#define INGEST_CHILD_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

#include "internal.h"

/* Writes all of P to FD, retrying on EINTR; on any other failure (the
 * parent went away) the child ends with _exit(3). */
ING_HIDDEN void child_write_all(int fd, const void *p, size_t n);

/* seccomp_rule_add() for the system call NAME with no argument filter; a
 * name this architecture does not have is no rule and no error. */
ING_HIDDEN int child_seccomp_add(scmp_filter_ctx f, uint32_t action, const char *name);

#endif
