/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The system call filter of a drop worker (docs/faults.md). A worker parses
 * untrusted bytes (DICOM headers, archives) and nothing in it runs another
 * program (the document extractor forks without exec), debugs a process,
 * mounts, makes or enters namespaces, loads kernel code or keys: those fail
 * with EPERM. clone(2) is allowed without CLONE_NEW* flags (threads, the
 * extractor's fork); clone3(2) passes its flags in memory, where a filter
 * cannot see them, so it fails with ENOSYS and glibc falls back to clone(2).
 * The extractor's children add their own, stricter allow-list (docext.c).
 * The delivery worker has a filter of its own, sender_syscall_filter() below.
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "confine.h"

static int deny(scmp_filter_ctx f, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0;    /* not on this architecture */
	return seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), nr, 0);
}

/* The drop worker's rules into F. */
static int worker_rules(scmp_filter_ctx f)
{
	static const char *const names[] = {
		"execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
		"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount",
		"setns", "unshare", "kexec_load", "kexec_file_load",
		"init_module", "finit_module", "delete_module", "bpf", "perf_event_open",
		"keyctl", "add_key", "request_key", "reboot", "swapon", "swapoff",
	};
	static const unsigned long newns[] = {
		CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
	};
	int r = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && r >= 0; i++)
		r = deny(f, names[i]);
	/* one rule per flag: the rules of a system call are or-ed */
	for (size_t i = 0; i < sizeof(newns) / sizeof(newns[0]) && r >= 0; i++)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                     SCMP_A0(SCMP_CMP_MASKED_EQ, newns[i], newns[i]));
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return r;
}

int worker_syscall_filter(void)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int r = f ? worker_rules(f) : -ENOMEM;
	if (r >= 0)
		r = seccomp_load(f);   /* sets no_new_privs */
	seccomp_release(f);
	return r;
}

/*
 * The delivery worker (daemon/deliver.c) talks to a destination on the
 * network and reads what it answers (QIDO-RS and STOW-RS JSON): it needs
 * files (the package, the journal, the receipt, the mail queue), sockets and
 * threads (libcurl's resolver), nothing more. On top of the drop worker's
 * rules: no new process (clone without CLONE_THREAD, fork, vfork: nothing it
 * runs forks), sockets of the IP, local and netlink families only (netlink:
 * glibc's getaddrinfo asks the kernel for the machine's addresses), no raw
 * IP socket, no io_uring or userfaultfd.
 */
int sender_syscall_filter(void)
{
	static const char *const names[] = { "fork", "vfork", "io_uring_setup", "io_uring_enter", "io_uring_register",
	                                     "userfaultfd", "memfd_secret" };
	static const int families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int r = f ? worker_rules(f) : -ENOMEM;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && r >= 0; i++)
		r = deny(f, names[i]);
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	/* socket(): a family not listed fails as unsupported. One rule a family
	 * (libseccomp takes one comparison per argument in a rule), and one for
	 * the numbers past the last family the headers know. */
	for (int fam = 0; fam < AF_MAX && r >= 0; fam++) {
		bool allowed = false;
		for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
			allowed |= fam == families[i];
		if (!allowed)
			r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
			                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fam));
	}
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
		                     SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)AF_MAX));
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, AF_INET),
		                     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW));
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, AF_INET6),
		                     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW));
	if (r >= 0)
		r = seccomp_load(f);
	seccomp_release(f);
	return r;
}
