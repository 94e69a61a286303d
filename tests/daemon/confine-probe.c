/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The drop worker's system call filter (daemon/confine.c), loaded into this
 * process, then tried: what a worker needs (threads, the extractor's fork)
 * still works; running a program, making or entering namespaces (unshare,
 * clone with CLONE_NEW*), ptrace and mount fail with EPERM; clone3 fails
 * with ENOSYS (its flags are out of the filter's sight). Exit 0 when every
 * check holds; each failed check is printed.
 *
 * With the argument "sender": the delivery worker's filter instead
 * (sender_syscall_filter()): threads and IP, local and netlink sockets work;
 * no new process (fork fails), no other socket family, no raw socket, no
 * io_uring, and the drop worker's refusals hold too.
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"

static int failed;

static void expect(const char *what, long r, int want_errno)
{
	int e = errno;
	if (want_errno == 0 ? r < 0 : !(r < 0 && e == want_errno)) {
		printf("FAIL: %s: returned %ld, errno %s; want %s\n", what, r, r < 0 ? strerror(e) : "-",
		       want_errno ? strerror(want_errno) : "success");
		failed++;
	} else
		printf("ok: %s\n", what);
}

static void *thread_main(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

static void try_socket(const char *what, int family, int type, int want_errno)
{
	errno = 0;
	int fd = socket(family, type, 0);
	expect(what, fd, want_errno);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	bool sender = argc > 1 && strcmp(argv[1], "sender") == 0;
	int r = sender ? sender_syscall_filter() : worker_syscall_filter();
	if (r < 0) {
		printf("FAIL: the filter could not be loaded: %s\n", strerror(-r));
		fflush(stdout);
		_exit(1);
	}

	/* what a worker does */
	int v = 0;
	pthread_t th;
	r = pthread_create(&th, NULL, thread_main, &v);
	if (r == 0)
		pthread_join(th, NULL);
	expect("a thread (clone3 refused, glibc falls back to clone)", r == 0 && v == 42 ? 0 : -1, 0);
	if (sender) {
		errno = 0;
		pid_t pid = fork();
		if (pid == 0)
			_exit(7);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		expect("fork (the sender starts no process)", pid, EPERM);
		expect("vfork system call", syscall(SYS_vfork), EPERM);
		try_socket("socket(AF_INET, SOCK_STREAM)", AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		try_socket("socket(AF_INET6, SOCK_DGRAM)", AF_INET6, SOCK_DGRAM, 0);
		try_socket("socket(AF_UNIX, SOCK_STREAM)", AF_UNIX, SOCK_STREAM, 0);
		try_socket("socket(AF_NETLINK, SOCK_RAW) (getaddrinfo)", AF_NETLINK, SOCK_RAW, 0);
		try_socket("socket(AF_PACKET, SOCK_DGRAM)", AF_PACKET, SOCK_DGRAM, EAFNOSUPPORT);
		try_socket("socket(AF_INET, SOCK_RAW)", AF_INET, SOCK_RAW | SOCK_NONBLOCK, EPERM);
		expect("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL), EPERM);
	} else {
		pid_t pid = fork();
		if (pid == 0)
			_exit(7);
		int st = 0;
		expect("fork", pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : -1,
		       0);
	}

	/* what it must not */
	errno = 0;
	char *xargv[] = { (char *)"/bin/true", NULL }, *envp[] = { NULL };
	expect("execve", execve("/bin/true", xargv, envp), EPERM);
	expect("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER), EPERM);
	expect("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS), EPERM);
	static const struct { unsigned long flag; const char *name; } ns[] = {
		{ CLONE_NEWUSER, "clone(CLONE_NEWUSER)" }, { CLONE_NEWNS, "clone(CLONE_NEWNS)" },
		{ CLONE_NEWPID, "clone(CLONE_NEWPID)" }, { CLONE_NEWNET, "clone(CLONE_NEWNET)" },
		{ CLONE_NEWUTS | CLONE_NEWIPC, "clone(CLONE_NEWUTS|CLONE_NEWIPC)" },
	};
	for (size_t i = 0; !sender && i < sizeof(ns) / sizeof(ns[0]); i++) {
		long c = syscall(SYS_clone, ns[i].flag | SIGCHLD, NULL, NULL, NULL, NULL);
		if (c == 0)
			_exit(0);     /* the filter let it through: a child in a new namespace */
		int e = errno;
		if (c > 0)
			waitpid((pid_t)c, NULL, 0);
		errno = e;
		expect(ns[i].name, c, EPERM);
	}
	long c3 = syscall(SYS_clone3, NULL, 0);
	expect("clone3", c3, ENOSYS);
	expect("ptrace(PTRACE_TRACEME)", ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
	expect("mount", mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
	expect("setns", setns(0, 0), EPERM);

	printf("%s\n", failed ? "the filter is not as documented" : sender ? "the sender's filter holds"
	                                                                 : "the worker's filter holds");
	fflush(stdout);
	_exit(failed ? 1 : 0);   /* not exit(): LeakSanitizer's exit check needs ptrace */
}
