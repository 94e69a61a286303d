/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The drop worker's system call filter (daemon/confine.c), loaded into this
 * process, then tried: what a worker needs (threads, the extractor's fork)
 * still works; running a program, making or entering namespaces (unshare,
 * clone with CLONE_NEW*), ptrace and mount fail with EPERM; clone3 fails
 * with ENOSYS (its flags are out of the filter's sight). Exit 0 when every
 * check holds; each failed check is printed.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
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

int main(void)
{
	int r = worker_syscall_filter();
	if (r < 0) {
		printf("FAIL: the filter could not be loaded: %s\n", strerror(-r));
		_exit(1);
	}

	/* what a worker does */
	int v = 0;
	pthread_t th;
	r = pthread_create(&th, NULL, thread_main, &v);
	if (r == 0)
		pthread_join(th, NULL);
	expect("a thread (clone3 refused, glibc falls back to clone)", r == 0 && v == 42 ? 0 : -1, 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int st = 0;
	expect("fork", pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : -1, 0);

	/* what it must not */
	errno = 0;
	char *argv[] = { (char *)"/bin/true", NULL }, *envp[] = { NULL };
	expect("execve", execve("/bin/true", argv, envp), EPERM);
	expect("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER), EPERM);
	expect("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS), EPERM);
	static const struct { unsigned long flag; const char *name; } ns[] = {
		{ CLONE_NEWUSER, "clone(CLONE_NEWUSER)" }, { CLONE_NEWNS, "clone(CLONE_NEWNS)" },
		{ CLONE_NEWPID, "clone(CLONE_NEWPID)" }, { CLONE_NEWNET, "clone(CLONE_NEWNET)" },
		{ CLONE_NEWUTS | CLONE_NEWIPC, "clone(CLONE_NEWUTS|CLONE_NEWIPC)" },
	};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
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

	printf("%s\n", failed ? "the filter is not as documented" : "the worker's filter holds");
	fflush(stdout);
	_exit(failed ? 1 : 0);   /* not exit(): LeakSanitizer's exit check needs ptrace */
}
