/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The worker processes of ingestd: one forked, confined process per drop (and
 * one for maintenance), scheduled one drop of a case at a time; a watchdog
 * that stops a parser making no progress; reaping, where a worker that died
 * parsing an input has that input left out of the next attempt. Delivery
 * workers (deliver.c), beside the drop workers: one attempt at sending a
 * case's package each, under their own filter, stopped for a new drop of
 * their case, and killed past the delivery's time budget.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "confine.h"
#include "daemon.h"

#if defined(__SANITIZE_ADDRESS__)
#define INGESTD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INGESTD_ASAN 1
#endif
#endif
#ifndef INGESTD_ASAN
#define INGESTD_ASAN 0
#endif

/* ---- workers ---- */

static bool case_busy(struct daemon *d, const char *case_id)
{
	for (size_t i = 0; i < d->n_workers; i++)
		if ((d->workers[i].drop_id || d->workers[i].delivery_id) && strcmp(d->workers[i].case_id, case_id) == 0)
			return true;
	return false;
}

static struct worker *delivery_worker_of(struct daemon *d, const char *case_id)
{
	for (size_t i = 0; i < d->n_workers; i++)
		if (d->workers[i].delivery_id && strcmp(d->workers[i].case_id, case_id) == 0)
			return &d->workers[i];
	return NULL;
}

static unsigned delivery_workers(struct daemon *d)
{
	unsigned n = 0;
	for (size_t i = 0; i < d->n_workers; i++)
		n += d->workers[i].delivery_id != 0;
	return n;
}

static bool drop_busy(struct daemon *d, int64_t id)
{
	for (size_t i = 0; i < d->n_workers; i++)
		if (d->workers[i].drop_id == id)
			return true;
	return false;
}

unsigned busy_workers(struct daemon *d)
{
	unsigned n = 0;
	for (size_t i = 0; i < d->n_workers; i++)
		n += d->workers[i].drop_id != 0;
	return n;
}

/* ---- isolation of the drop workers (docs/faults.md) ---- */

/* A drop worker parses untrusted bytes (DICOM headers, archives): it gets an
 * address space limit, no core files and a deny-list system call filter
 * (confine.c). */
static void worker_confine(const struct ingestd_config *cfg, int64_t drop_id)
{
	/* A crash leaves no core file: its memory holds patient data. */
	struct rlimit nocore = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &nocore) < 0)
		log_msg(4, "drop %lld: cannot turn off core files for the worker: %m", (long long)drop_id);
	/* ASan reserves terabytes of address space: an AS limit would stop it at once. */
	if (!INGESTD_ASAN && cfg->worker_mem_bytes) {
		/* A mapped disc image counts too: up to max_file_bytes on top. */
		uint64_t as = cfg->worker_mem_bytes;
		uint64_t extra = cfg->limits.max_file_bytes;
		as = as > UINT64_MAX - extra ? UINT64_MAX : as + extra;
		/* The extractor's children set their own, lower limit: never under theirs. */
		as = MAX(as, cfg->limits.extract_mem_bytes + (UINT64_C(64) << 20));
		if (as < (uint64_t)RLIM_INFINITY) {
			struct rlimit rl = { (rlim_t)as, (rlim_t)as };
			if (setrlimit(RLIMIT_AS, &rl) < 0)
				log_msg(4, "drop %lld: cannot limit the worker's memory: %m", (long long)drop_id);
		}
	}
	int r = worker_syscall_filter();
	if (r < 0)
		log_msg(4, "drop %lld: the worker's system call filter could not be loaded: %s", (long long)drop_id,
		        strerror(-r));
}

/* How long a phase may show no progress: a DICOM header is one parse; an
 * archive's entries include documents, each read by the extractor within its
 * own deadline (up to two children, ing_limits_document_seconds() each: docext.c). */
static unsigned phase_timeout_s(const struct ingestd_config *cfg, uint32_t phase)
{
	unsigned t = cfg->parse_timeout_seconds ? cfg->parse_timeout_seconds : 120;
	if (phase == ING_GUARD_ARCHIVE)
		t += 2 * (unsigned)ing_limits_document_seconds(&cfg->limits) + 5;
	return t;
}

void watchdog_check(struct daemon *d)
{
	int64_t now = now_ms();
	for (size_t i = 0; i < d->n_workers; i++) {
		struct worker *w = &d->workers[i];
		uint64_t progress;
		uint32_t phase;
		/* A delivery ends itself within its time budget (send.c); past it
		 * and a grace (a resolver that ignores its timeout), it is stopped. */
		if (w->delivery_id && !w->killed_after_s &&
		    now - w->seen_at_ms > ((int64_t)d->cfg->delivery_max_seconds + DELIVERY_GRACE_S) * 1000) {
			w->killed_after_s = d->cfg->delivery_max_seconds + DELIVERY_GRACE_S;
			log_msg(3, "case %s: the delivery ran past its time budget (%u s): stopped", w->case_id,
			        d->cfg->delivery_max_seconds);
			kill(w->pid, SIGKILL);
			continue;
		}
		if (!w->guard || w->killed_after_s)
			continue;
		ing_guard_read(w->guard, &progress, &phase);
		if (progress != w->seen_progress) {
			w->seen_progress = progress;
			w->seen_at_ms = now;
			continue;
		}
		if (phase == ING_GUARD_NONE)
			continue;
		unsigned t = phase_timeout_s(d->cfg, phase);
		if (now - w->seen_at_ms < (int64_t)t * 1000)
			continue;
		log_msg(3, "case %s: drop %lld: the %s reader made no progress for %u s: worker stopped", w->case_id,
		        (long long)w->drop_id, ing_guard_phase_name(phase), t);
		w->killed_after_s = t;
		kill(w->pid, SIGKILL);
	}
}

/* The worker died of a signal while its scan showed a phase: that input is
 * left out of the next attempt, which is not counted as a failure. Returns
 * false when this does not apply (the caller records an ordinary failure). */
static bool worker_died_parsing(struct daemon *d, struct worker *w, int sig)
{
	uint64_t progress;
	uint32_t phase;
	if (!w->guard)
		return false;
	ing_guard_read(w->guard, &progress, &phase);
	if (phase == ING_GUARD_NONE || !w->guard->path[0])
		return false;
	char path[ING_GUARD_PATH_BYTES];
	snprintf(path, sizeof(path), "%s", w->guard->path);
	char reason[96];
	if (w->killed_after_s)
		snprintf(reason, sizeof(reason), "took more than %u s", w->killed_after_s);
	else if (sig == SIGABRT)
		snprintf(reason, sizeof(reason), "stopped (it ran out of memory or failed an internal check)");
	else if (sig == SIGKILL)
		snprintf(reason, sizeof(reason), "was stopped by the system (signal 9; out of memory?)");
	else if (sig == SIGXCPU)
		snprintf(reason, sizeof(reason), "used too much processor time");
	else
		snprintf(reason, sizeof(reason), "crashed (signal %d)", sig);
	const char *what = phase == ING_GUARD_DICOM ? "DICOM" : "archive";
	_cleanup_free_ char *err = xasprintf("the %s reader %s on one input; retried without it", what, reason);
	int r = journal_skip_add(d->j, w->drop_id, path, ing_guard_phase_name(phase), reason, err, INGESTD_MAX_SKIPS);
	if (r < 0) {
		log_msg(3, "case %s: drop %lld: the %s reader %s%s", w->case_id, (long long)w->drop_id, what, reason,
		        r == -EEXIST ? " on an input already left out" :
		        r == -E2BIG ? "; too many inputs of this case were left out already" : "");
		return false;
	}
	/* The path may name the patient: the log says the case only. */
	log_msg(4, "case %s: drop %lld: %s; the input is left out (a problem in the report)", w->case_id,
	        (long long)w->drop_id, err);
	return true;
}

/* The delivery worker's confinement: no core files, the worker's address
 * space limit, the sender's system call filter (confine.c). */
static void delivery_confine(const struct ingestd_config *cfg, int64_t delivery_id)
{
	struct rlimit nocore = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &nocore) < 0)
		log_msg(4, "delivery %lld: cannot turn off core files: %m", (long long)delivery_id);
	if (!INGESTD_ASAN && cfg->worker_mem_bytes && cfg->worker_mem_bytes < (uint64_t)RLIM_INFINITY) {
		struct rlimit rl = { (rlim_t)cfg->worker_mem_bytes, (rlim_t)cfg->worker_mem_bytes };
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			log_msg(4, "delivery %lld: cannot limit the worker's memory: %m", (long long)delivery_id);
	}
	int r = sender_syscall_filter();
	if (r < 0)
		log_msg(4, "delivery %lld: the sender's system call filter could not be loaded: %s",
		        (long long)delivery_id, strerror(-r));
}

static pid_t spawn_any(struct daemon *d, int64_t drop_id, int64_t delivery_id, const char *case_id, bool prune);

pid_t spawn(struct daemon *d, int64_t drop_id, const char *case_id, bool prune)
{
	return spawn_any(d, drop_id, 0, case_id, prune);
}

static pid_t spawn_any(struct daemon *d, int64_t drop_id, int64_t delivery_id, const char *case_id, bool prune)
{
	struct ing_guard *guard = NULL;
	if (drop_id) {
		int gr = ing_guard_new(&guard);
		if (gr < 0) {
			log_msg(4, "case %s: no parser watchdog for this drop (shared memory: %s)", case_id,
			        ing_strerror(gr));
			guard = NULL;
		}
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_msg(3, "fork: %m");
		ing_guard_free(guard);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGTERM, SIG_DFL);
		close(d->epfd);
		close(d->sigfd);
		close(d->tfd);
		if (d->inofd >= 0)
			close(d->inofd);
		for (size_t i = 0; i < d->n_workers; i++)
			ing_guard_free(d->workers[i].guard);    /* only its own */
		if (drop_id)
			worker_confine(d->cfg, drop_id);
		else if (delivery_id)
			delivery_confine(d->cfg, delivery_id);
		/* The parent's journal connection must not be used here: a new one. */
		int r = drop_id       ? pipeline_run(d->cfg, d->rules_snapshot, d->rules, drop_id, guard)
		        : delivery_id ? delivery_run(d->cfg, delivery_id)
		                      : maintenance_run(d->cfg, prune);
		_exit(r < 0 ? 1 : r);
	}
	d->workers = xrealloc(d->workers, (d->n_workers + 1) * sizeof(*d->workers));
	struct worker *w = &d->workers[d->n_workers++];
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->drop_id = drop_id;
	w->delivery_id = delivery_id;
	snprintf(w->case_id, sizeof(w->case_id), "%s", case_id ? case_id : "");
	w->guard = guard;
	w->rules_seq = d->rules_seq;
	w->seen_at_ms = now_ms();
	return pid;
}

struct sched {
	struct daemon *d;
	char **blocked;
	size_t n_blocked;
	int64_t now;
	bool full;          /* no free drop worker */
};

static bool sched_blocked(struct sched *s, const char *case_id)
{
	for (size_t i = 0; i < s->n_blocked; i++)
		if (strcmp(s->blocked[i], case_id) == 0)
			return true;
	return false;
}

static int sched_one(void *ud, const struct journal_drop *jd)
{
	struct sched *s = ud;
	struct daemon *d = s->d;
	if (jd->step == STEP_CLAIMING)
		return 0;
	/* A new drop of a case goes before the delivery of the case's package
	 * it will replace: that delivery stops (it resumes, for the new package,
	 * without sending again what arrived). */
	struct worker *dw = delivery_worker_of(d, jd->case_id);
	if (dw && !dw->preempted && !d->stopping) {
		log_msg(6, "case %s: a new drop of the case: its delivery is stopped, and resumed after it", jd->case_id);
		dw->preempted = true;
		kill(dw->pid, SIGTERM);
	}
	if (sched_blocked(s, jd->case_id) || drop_busy(d, jd->id) || case_busy(d, jd->case_id)) {
		/* blocked */
	} else if (jd->attempts && s->now - jd->updated_at < (int64_t)MIN(300u, 5u << MIN(jd->attempts, 6u))) {
		/* backoff after a failure */
	} else if (!s->full && busy_workers(d) < d->cfg->workers && !d->stopping) {
		spawn(d, jd->id, jd->case_id, false);
	} else {
		s->full = true;     /* no free worker: the case waits */
	}
	/* Drops of one case run in order, one at a time; a case with a drop to
	 * come is not delivered (its package is about to change). */
	if (!sched_blocked(s, jd->case_id)) {
		s->blocked = xrealloc(s->blocked, (s->n_blocked + 1) * sizeof(char *));
		s->blocked[s->n_blocked++] = xstrdup(jd->case_id);
	}
	return 0;
}

/* Deliveries waiting (pending or held): a destination that the configuration
 * now has (a reload) frees a held one, one it lost holds a pending one; a
 * pending one whose time has come is started when its case has no drop to
 * come and a delivery worker is free. */
static int sched_delivery(void *ud, const struct journal_delivery *jd)
{
	struct sched *s = ud;
	struct daemon *d = s->d;
	bool known = config_destination(d->cfg, jd->destination) != NULL;
	if (jd->state == DELIVERY_HELD) {
		if (known && jd->destination[0]) {
			log_msg(5, "case %s: %s is a destination now: its delivery is no longer held", jd->case_id,
			        jd->destination);
			(void)journal_delivery_hold(d->j, jd->id, false, NULL);
		}
		return 0;
	}
	if (!known) {
		_cleanup_free_ char *why = xasprintf("not sent: %s is no longer a destination of the configuration; "
		                                     "add it and reload ingestd", jd->destination);
		log_msg(4, "case %s: delivery held: %s", jd->case_id, why);
		(void)journal_delivery_hold(d->j, jd->id, true, why);
		return 0;
	}
	if (jd->next_at > s->now || sched_blocked(s, jd->case_id) || case_busy(d, jd->case_id))
		return 0;
	if (delivery_workers(d) >= DELIVERY_WORKERS || d->stopping)
		return 1;
	spawn_any(d, 0, jd->id, jd->case_id, false);
	return 0;
}

void schedule(struct daemon *d)
{
	struct sched s = { .d = d, .now = (int64_t)time(NULL) };
	if (d->stopping)
		return;
	journal_foreach_drop(d->j, NULL, true, sched_one, &s);
	journal_foreach_delivery_waiting(d->j, sched_delivery, &s);
	for (size_t i = 0; i < s.n_blocked; i++)
		free(s.blocked[i]);
	free(s.blocked);
}

/* A delivery worker ended: its attempt is journalled by itself, unless it
 * was stopped or died first (then it is pending again). */
static void reap_delivery(struct daemon *d, struct worker *w, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (w->preempted || d->stopping) {
		(void)journal_delivery_interrupted(d->j, w->delivery_id,
		                                   w->preempted ? "stopped for a new drop of the case; resumed after it"
		                                                : "ingestd stopped; resumed at its next start",
		                                   false, (int64_t)time(NULL), NULL);
		return;
	}
	_cleanup_(journal_delivery_clear) struct journal_delivery jd = { 0 };
	unsigned failures = journal_delivery_get(d->j, w->delivery_id, &jd) == 0 ? jd.failures + 1 : 1;
	char why[160];
	if (w->killed_after_s)
		snprintf(why, sizeof(why), "the delivery ran past its time budget (%u s) and was stopped; it resumes "
		         "where it stopped", d->cfg->delivery_max_seconds);
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "the delivery worker died of signal %d (%s); retried", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(why, sizeof(why), "the delivery worker failed (exit status %d); retried", WEXITSTATUS(status));
	log_msg(3, "case %s: %s", w->case_id, why);
	(void)journal_delivery_interrupted(d->j, w->delivery_id, why, true, delivery_retry_at(d->cfg, failures), why);
}

void reap(struct daemon *d)
{
	int status;
	pid_t pid;
	struct rusage ru;
	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		for (size_t i = 0; i < d->n_workers; i++) {
			struct worker *w = &d->workers[i];
			if (w->pid != pid)
				continue;
			/* What a drop cost in memory (for sizing worker_memory; SPEC §11). */
			if (w->drop_id)
				log_msg(6, "case %s: drop %lld: worker exited, peak memory %ld KiB", w->case_id,
				        (long long)w->drop_id, ru.ru_maxrss);
			else if (w->delivery_id)
				log_msg(6, "case %s: delivery %lld: worker exited, peak memory %ld KiB", w->case_id,
				        (long long)w->delivery_id, ru.ru_maxrss);
			if (w->delivery_id) {
				reap_delivery(d, w, status);
			} else if (w->drop_id == 0) {
				/* maintenance: 1 means mail still queued */
				int code = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
				d->mail_backoff_s = code == 0 ? d->cfg->mail_retry_seconds
				                              : MIN(3600u, MAX(d->mail_backoff_s, d->cfg->mail_retry_seconds) * 2);
			} else if (WIFSIGNALED(status) && !d->stopping && worker_died_parsing(d, w, WTERMSIG(status))) {
				/* retried at once, without that input */
			} else if (WIFSIGNALED(status) && !d->stopping) {
				char msg[128];
				snprintf(msg, sizeof(msg), "the worker died of signal %d (%s)", WTERMSIG(status),
				         strsignal(WTERMSIG(status)));
				log_msg(3, "case %s: drop %lld: %s", w->case_id, (long long)w->drop_id, msg);
				journal_drop_error(d->j, w->drop_id, msg);
			} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && !d->stopping) {
				log_msg(4, "case %s: drop %lld: not finished, retried later", w->case_id, (long long)w->drop_id);
			}
			ing_guard_free(w->guard);
			d->workers[i] = d->workers[--d->n_workers];
			break;
		}
	}
}

void stop_workers(struct daemon *d, int sig)
{
	for (size_t i = 0; i < d->n_workers; i++)
		kill(d->workers[i].pid, sig);
}
