/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The system call filter of a drop worker (confine.c). */
#ifndef INGESTD_CONFINE_H
#define INGESTD_CONFINE_H

/* Load the deny-list filter into the calling process (and its future
 * threads and children): 0, or a negative errno. */
int worker_syscall_filter(void);

#endif
