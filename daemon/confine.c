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
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>

#include "confine.h"

static int deny(scmp_filter_ctx f, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0;    /* not on this architecture */
	return seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), nr, 0);
}

int worker_syscall_filter(void)
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
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int r = f ? 0 : -ENOMEM;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && r >= 0; i++)
		r = deny(f, names[i]);
	/* one rule per flag: the rules of a system call are or-ed */
	for (size_t i = 0; i < sizeof(newns) / sizeof(newns[0]) && r >= 0; i++)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                     SCMP_A0(SCMP_CMP_MASKED_EQ, newns[i], newns[i]));
	if (r >= 0)
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r >= 0)
		r = seccomp_load(f);   /* sets no_new_privs */
	seccomp_release(f);
	return r;
}
