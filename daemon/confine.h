/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The system call filter of a drop worker (confine.c). */
#ifndef INGESTD_CONFINE_H
#define INGESTD_CONFINE_H

/* Load the deny-list filter into the calling process (and its future
 * threads and children): 0, or a negative errno. */
int worker_syscall_filter(void);
/* The delivery worker's filter (deliver.c): the drop worker's deny-list, and
 * no new process (clone without CLONE_THREAD, fork, vfork), no socket but
 * IPv4, IPv6, local and netlink ones, no raw IP socket, no io_uring or
 * userfaultfd: 0, or a negative errno. */
int sender_syscall_filter(void);

#endif
