/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingestd: the watch-folder daemon (SPEC §2, §3, §8).
 *
 * One single-threaded main loop (epoll) over inotify (the inbox and, recursively,
 * the case folders in it), a signalfd (TERM, INT, HUP, CHLD) and a 1 s timerfd
 * (settle checks, periodic rescan, scheduling, watchdog). Each drop runs in a
 * forked worker process (pipeline.c): a parser that crashes or hangs costs that
 * worker, never the daemon; a worker is killed on SIGTERM and its drop resumes
 * from its last journalled step on the next start. See docs/daemon.md.
 *
 * This file: arguments, configuration, signals and the loop. The inbox watcher
 * is watch.c, the workers and their watchdog workers.c, the recovery of what a
 * lost journal left in work/ recover.c (struct daemon: daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <curl/curl.h>

#include "build-config.h"
#include "ingest.h"
#include "daemon.h"
#include "rules-snapshot.h"

#define STOP_GRACE_S     20        /* workers get this long after SIGTERM, then SIGKILL */
#define EXIT_JOURNAL_LOST 3        /* state.db was deleted or replaced while running (docs/faults.md) */

static void notify_status(struct daemon *d)
{
	unsigned running = busy_workers(d), waiting = 0;
	for (struct entry *e = d->entries; e; e = e->next)
		waiting += !e->gone;
	sd_notifyf(0, "STATUS=%u drop(s) in progress, %u in the inbox settling", running, waiting);
}

/* ---- configuration ---- */

/* *RULES_ERRORS (when not NULL): the errors when it is the rules that failed. */
static int load_config(const char *path, bool given, struct ingestd_config **out, bool print, char **rules_errors)
{
	struct strbuf errs;
	strbuf_init(&errs, 1u << 20);
	/* No file (where none was given): every default. */
	int r = config_load_or_defaults(path, given, out, &errs);
	if (r == 0) {
		/* Rules that do not validate never let a case pass (SPEC §11): the
		 * daemon does not start on them, and a reload keeps the last good
		 * configuration and rules (the workers use the daemon's copy of
		 * the rules it validated: rules_snapshot_take()). */
		const char *dir = (*out)->rules_dir ? (*out)->rules_dir : evaluate_default_rules_dir();
		struct ruleset *rs = NULL;
		int k = rules_load_dir(NULL, dir, &rs, &errs);
		ruleset_free(rs);
		if (k < 0) {
			if (k != -EINVAL)
				(void)strbuf_printf(&errs, "%s: cannot read the rules folder (%s): set paths.rules, or install "
				                    "the rules\n", dir, strerror(-k));
			if (rules_errors)
				*rules_errors = xstrdup(errs.s ? errs.s : dir);
			config_free(*out);
			*out = NULL;
			r = k;
		}
	}
	if (r < 0 && print)
		fputs(errs.s ? errs.s : "invalid configuration\n", stderr);
	else if (r < 0 && errs.s)
		log_msg(3, "configuration not (re)loaded:\n%s", errs.s);
	strbuf_free(&errs);
	return r;
}

static int make_dirs(const struct ingestd_config *c)
{
	const char *dirs[] = { c->base_dir, c->inbox, c->work, c->outbox, c->quarantine, c->archive, c->mail_outbox };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int r = mkdir_p(dirs[i], 0750);
		if (r < 0) {
			log_msg(3, "cannot create %s: %s", dirs[i], strerror(-r));
			return r;
		}
	}
	_cleanup_free_ char *cases = xasprintf("%s/cases", c->work);
	mkdir_p(cases, 0750);
	/* A persistent secret for the opaque patient keys: the same person keeps one key across drops. */
	_cleanup_free_ char *salt = xasprintf("%s/salt", c->base_dir);
	if (!path_exists(salt)) {
		uint8_t raw[32];
		char hex[65];
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, raw, sizeof(raw)) != sizeof(raw)) {
			if (fd >= 0)
				close(fd);
			return -EIO;
		}
		close(fd);
		hex_encode(raw, 32, hex);
		int r = write_file_atomic(salt, hex);
		if (r < 0)
			return r;
		chmod(salt, 0600);
	}
	return 0;
}

/* ---- the rules the workers use (SPEC §11) ---- */

static void fmt_time(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;
	localtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Snapshots of the rules still needed: the current one and each running worker's. */
static void rules_gc(struct daemon *d)
{
	unsigned *keep = xcalloc(d->n_workers + 1, sizeof(*keep));
	size_t n = 0;
	keep[n++] = d->rules_seq;
	for (size_t i = 0; i < d->n_workers; i++)
		keep[n++] = d->workers[i].rules_seq;
	rules_snapshot_gc(d->cfg->base_dir, keep, n);
	free(keep);
}

/* Makes C's rules (validated by load_config()) the ones the workers use:
 * a copy in C's base_dir, noted in the journal. 0 or -errno, said in the log. */
static int rules_take(struct daemon *d, const struct ingestd_config *c)
{
	const char *src = c->rules_dir ? c->rules_dir : evaluate_default_rules_dir();
	struct strbuf errs;
	char *snap = NULL;
	struct ruleset *rules = NULL;
	strbuf_init(&errs, RULES_MAX_ERRORS_BYTES);
	int r = rules_snapshot_take(c->base_dir, src, d->rules_seq + 1, &snap, &rules, &errs);
	if (r < 0) {
		log_msg(3, "the rules in %s could not be taken into use:\n%s", src, errs.s ? errs.s : strerror(-r));
		if (d->j) {
			char *first = xstrndup(errs.s ? errs.s : strerror(-r), errs.s ? strcspn(errs.s, "\n") : 200);
			(void)journal_note_set(d->j, JOURNAL_NOTE_RULES_FAILED, time(NULL), first);
			free(first);
		}
		strbuf_free(&errs);
		return r;
	}
	strbuf_free(&errs);
	free(d->rules_snapshot);
	d->rules_snapshot = snap;
	ruleset_free(d->rules);     /* workers at work have their own (forked) copy */
	d->rules = rules;
	d->rules_seq++;
	d->rules_good_at = time(NULL);
	return 0;
}

/* Notes the rules in use (and that the last reload did not fail) in the journal. */
static void rules_note(struct daemon *d)
{
	const char *src = d->cfg->rules_dir ? d->cfg->rules_dir : evaluate_default_rules_dir();
	(void)journal_note_set(d->j, JOURNAL_NOTE_RULES_GOOD, d->rules_good_at, src);
	(void)journal_note_set(d->j, JOURNAL_NOTE_RULES_FAILED, 0, NULL);
}

/* A reload whose rules do not validate: the workers keep the last good
 * copy; the log and `ingest status` say so. */
static void rules_reload_failed(struct daemon *d, const char *errors)
{
	size_t first = strcspn(errors, "\n");
	unsigned more = 0;
	for (const char *s = errors + first; *s; s++)
		more += *s == '\n' && s[1];
	char when[32];
	fmt_time(d->rules_good_at, when, sizeof(when));
	_cleanup_free_ char *note = more ? xasprintf("%.*s (and %u more)", (int)first, errors, more)
	                                 : xstrndup(errors, first);
	log_msg(3, "reload: the rules do not validate (%s); cases are still checked with the rules validated at %s",
	        note, when);
	(void)journal_note_set(d->j, JOURNAL_NOTE_RULES_FAILED, time(NULL), note);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: ingestd [--config FILE] [--check-config] [-v]\n"
	        "\n"
	        "The ingest watch-folder daemon: takes drops from the inbox when they have settled,\n"
	        "builds each case's gap report and BagIt package, publishes it in the outbox,\n"
	        "mails the report and archives the drop (docs/daemon.md, docs/config.md).\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default: %s; defaults if it is absent)\n"
	        "      --check-config  validate the configuration (errors as FILE:LINE:COL) and the rules,\n"
	        "                      and try what the daemon will need as its user: folders writable,\n"
	        "                      secret files readable; print each problem, exit; with -v, also\n"
	        "                      print every key with the value in force\n"
	        "  -u, --user USER     with --check-config run as root: check as USER (default: %s\n"
	        "                      if that user exists, the User= of ingestd.service)\n"
	        "  -v, --verbose       log debug messages\n"
	        "  -h, --help          this text\n"
	        "  -V, --version       print the version\n"
	        "\n"
	        "Signals: SIGHUP reloads the configuration and rules (work in flight continues);\n"
	        "SIGTERM/SIGINT stop: workers are stopped and their drops resume on the next start.\n"
	        "Exit status: 0 stopped cleanly, 1 the configuration is invalid, 2 usage error,\n"
	        "3 the journal was deleted or replaced while running, 4 cannot start (directories, journal).\n",
	        INGESTD_DEFAULT_CONFIG, INGESTD_USER);
}

/* ---- ingestd --check-config ---- */

static int check_as_current_user(struct daemon *d, const char *user)
{
	if (load_config(d->config_path, d->config_given, &d->cfg, true, NULL) < 0)
		return 1;
	struct strbuf out;
	strbuf_init(&out, 1u << 16);
	unsigned n = config_check_runtime(d->cfg, user, &out);
	const char *file = d->cfg->file ? d->cfg->file : "(no file: defaults)";
	if (n) {
		fprintf(stderr, "%s", out.s ? out.s : "");
		fprintf(stderr, "%s: %u problem%s the daemon would meet as user %s.\n", file, n, n == 1 ? "" : "s", user);
	} else {
		printf("%s: OK as user %s (inbox %s, outbox %s, %u worker(s), settle %u s, rules %s)\n", file, user,
		       d->cfg->inbox, d->cfg->outbox, d->cfg->workers, d->cfg->settle_seconds,
		       d->cfg->rules_dir ? d->cfg->rules_dir : evaluate_default_rules_dir());
		if (d->check_verbose)
			config_print(stdout, d->cfg);   /* every key as it is in force */
	}
	strbuf_free(&out);
	config_free(d->cfg);
	d->cfg = NULL;
	return n ? 1 : 0;
}

/* The checks run as the user the daemon runs as: as root, the service user
 * (USER, else INGESTD_USER if it exists) in a child that drops to it. */
static int check_config(struct daemon *d, const char *user)
{
	struct passwd *pw;
	if (geteuid() != 0) {
		pw = getpwuid(geteuid());
		if (user && (!pw || strcmp(pw->pw_name, user) != 0)) {
			fprintf(stderr, "ingestd: --user %s needs root (run the check as root, or as %s).\n", user, user);
			return 2;
		}
		return check_as_current_user(d, pw ? pw->pw_name : "(this user)");
	}
	pw = getpwnam(user ? user : INGESTD_USER);
	if (!pw && user) {
		fprintf(stderr, "ingestd: there is no user \"%s\".\n", user);
		return 2;
	}
	if (!pw) {
		fprintf(stderr, "ingestd: note: checked as root, which may write anywhere; the service runs as user %s "
		        "(User= of ingestd.service), which does not exist yet (systemd-sysusers creates it).\n",
		        INGESTD_USER);
		return check_as_current_user(d, "root");
	}
	if (pw->pw_uid == 0)
		return check_as_current_user(d, pw->pw_name);
	_cleanup_free_ char *name = xstrdup(pw->pw_name);
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ingestd: cannot fork: %m\n");
		return 4;
	}
	if (pid == 0) {
		if (initgroups(name, gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
			fprintf(stderr, "ingestd: cannot become user %s to check: %m\n", name);
			_exit(4);
		}
		int r = check_as_current_user(d, name);
		fflush(stdout);
		_exit(r);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 4;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 4;
}

/* ---- losing the journal (docs/faults.md) ---- */

/* The journal file is still the one we opened? A deleted or replaced state.db
 * cannot be written safely any more (our connection writes to the old inode,
 * workers would create a new empty one): stop, and let systemd restart us. */
static bool journal_still_there(struct daemon *d)
{
	struct stat st;
	if (stat(d->cfg->state_db, &st) == 0 && st.st_dev == d->db_dev && st.st_ino == d->db_ino)
		return true;
	log_msg(2, "the journal %s was deleted or replaced while ingestd was running: stopping (exit status %d) so "
	        "that the service is restarted with a fresh journal. Inputs stay in %s and are taken again at the next "
	        "start; restore state.db from a backup before that if you have one.", d->cfg->state_db,
	        EXIT_JOURNAL_LOST, d->cfg->work);
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "user", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct daemon d = { .config_path = INGESTD_DEFAULT_CONFIG, .inofd = -1 };
	bool check = false;
	const char *user = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:u:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d.config_path = optarg; d.config_given = true; break;
		case 'C': check = true; break;
		case 'u': user = optarg; break;
		case 'v': log_set_max(7); d.check_verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ingestd %s\n", INGEST_VERSION); return 0;
		default: {
			/* One line, not the whole help (glibc: optopt is 0 for an unknown
			 * long option, whose text is argv[optind - 1], as it is for an
			 * option missing its value; else the letter of a short option). */
			char shortopt[3] = { '-', (char)optopt, 0 };
			const char *prev = optind > 1 ? argv[optind - 1] : "";
			const char *o = !optopt || (c == ':' && strncmp(prev, "--", 2) == 0) ? prev : shortopt;
			fprintf(stderr, "ingestd: %s %.*s%s; see 'ingestd --help'\n", c == ':' ? "option" : "unknown option",
			        (int)strcspn(o, "="), o, c == ':' ? " needs a value" : "");
			return 2;
		}
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ingestd: unexpected argument \"%s\"; see 'ingestd --help'\n", argv[optind]);
		return 2;
	}
	if (user && !check) {
		fprintf(stderr, "ingestd: --user goes with --check-config (the service's user is set by systemd).\n");
		return 2;
	}
	if (check)
		return check_config(&d, user);
	/* Blocked from here on, read from the signalfd once the loop runs: a
	 * stop asked for while the configuration and the rules are still being
	 * loaded and checked (seconds, with the vocabulary) is a clean stop,
	 * not a kill. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (load_config(d.config_path, d.config_given, &d.cfg, false, NULL) < 0) {
		fprintf(stderr, "ingestd: the configuration or the rules it names are invalid; run 'ingestd "
		        "--check-config' to see why.\n");
		return 1;
	}
	umask(0027);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (make_dirs(d.cfg) < 0)
		return 4;
	int r = journal_open(d.cfg->state_db, false, &d.j);
	if (r < 0) {
		log_msg(3, "cannot open the journal %s: %s", d.cfg->state_db, ing_strerror(r));
		return 4;
	}
	/* The rules the workers use: a copy of those just validated. */
	rules_snapshot_gc(d.cfg->base_dir, NULL, 0);
	if ((r = rules_take(&d, d.cfg)) < 0)
		return r == -EINVAL ? 1 : 4;
	rules_note(&d);
	pipeline_recover_claims(d.cfg, d.j);
	struct stat dbst;
	if (stat(d.cfg->state_db, &dbst) < 0) {
		log_msg(3, "cannot stat the journal %s: %m", d.cfg->state_db);
		return 4;
	}
	d.db_dev = dbst.st_dev;
	d.db_ino = dbst.st_ino;
	recover_orphans(&d);

	signal(SIGPIPE, SIG_IGN);
	d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	d.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d.sigfd < 0 || d.epfd < 0 || d.tfd < 0) {
		log_msg(3, "cannot set up the event loop: %m");
		return 4;
	}
	struct itimerspec its = { .it_interval = { 0, 250000000 }, .it_value = { 0, 250000000 } };
	timerfd_settime(d.tfd, 0, &its, NULL);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = d.sigfd };
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.sigfd, &ev);
	ev.data.fd = d.tfd;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.tfd, &ev);
	inotify_setup(&d);
	d.started = true;
	if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
		d.watchdog_usec = 0;
	d.mail_backoff_s = d.cfg->mail_retry_seconds;
	d.last_mail_ms = now_ms() - 1000 * (int64_t)d.mail_backoff_s; /* flush queued mail soon after start */
	log_msg(5, "ingestd %s started: inbox %s, outbox %s, %u worker(s), settle %u s", INGEST_VERSION, d.cfg->inbox,
	        d.cfg->outbox, d.cfg->workers, d.cfg->settle_seconds);
	sd_notify(0, "READY=1");
	schedule(&d);

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(d.epfd, evs, 8, 1000);
		if (n < 0 && errno != EINTR) {
			log_msg(3, "epoll_wait: %m");
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == d.sigfd) {
				struct signalfd_siginfo si;
				while (read(d.sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGCHLD) {
						reap(&d);
					} else if (si.ssi_signo == SIGHUP) {
						struct ingestd_config *nc = NULL;
						_cleanup_free_ char *rules_errors = NULL;
						sd_notify(0, "RELOADING=1");
						if (load_config(d.config_path, d.config_given, &nc, false, &rules_errors) == 0 &&
						    make_dirs(nc) == 0 && rules_take(&d, nc) == 0) {
							bool inbox_moved = strcmp(nc->inbox, d.cfg->inbox) != 0;
							config_free(d.cfg);
							d.cfg = nc;
							rules_note(&d);
							if (inbox_moved)
								inotify_setup(&d);
							log_msg(5, "configuration and rules reloaded (work in flight continues with the "
							        "old ones)");
						} else {
							config_free(nc);
							if (rules_errors)
								rules_reload_failed(&d, rules_errors);
							log_msg(3, "reload failed: keeping the previous configuration and rules");
						}
						sd_notify(0, "READY=1");
					} else if (!d.stopping) {
						log_msg(5, "stopping (signal %d): %zu worker(s) to stop", (int)si.ssi_signo,
						        d.n_workers);
						sd_notify(0, "STOPPING=1");
						d.stopping = true;
						d.stop_at_ms = now_ms() + STOP_GRACE_S * 1000;
						stop_workers(&d, SIGTERM);
					}
				}
			} else if (fd == d.inofd) {
				handle_inotify(&d);
			} else if (fd == d.tfd) {
				uint64_t x;
				(void)!read(d.tfd, &x, sizeof(x));
			}
		}
		if (d.stopping) {
			reap(&d);
			if (d.n_workers == 0)
				break;
			if (now_ms() > d.stop_at_ms) {
				stop_workers(&d, SIGKILL);
				d.stop_at_ms = now_ms() + 5000;
			}
			continue;
		}
		if (!journal_still_there(&d)) {
			d.journal_lost = true;
			d.stopping = true;
			d.stop_at_ms = now_ms() + STOP_GRACE_S * 1000;
			sd_notify(0, "STOPPING=1");
			stop_workers(&d, SIGTERM);
			continue;
		}
		int64_t now = now_ms();
		if (d.overflowed || now - d.last_rescan_ms >= (int64_t)d.cfg->rescan_seconds * 1000) {
			if (d.overflowed) {
				while (d.n_dirty)
					dirty_remove_at(&d, d.n_dirty - 1);
				for (struct entry *e = d.entries; e; e = e->next)
					e->last_event_ms = now;
				d.overflowed = false;
			}
			inbox_rescan(&d);
		}
		watchdog_check(&d);
		if (d.rules_gc_seq != d.rules_seq || d.rules_gc_workers != d.n_workers) {
			rules_gc(&d);   /* copies no worker uses any more */
			d.rules_gc_seq = d.rules_seq;
			d.rules_gc_workers = d.n_workers;
		}
		settle_check(&d);
		schedule(&d);
		bool maint_running = false;
		for (size_t i = 0; i < d.n_workers; i++)
			maint_running |= worker_is_maintenance(&d.workers[i]);
		if (!maint_running && now - d.last_mail_ms >= (int64_t)d.mail_backoff_s * 1000) {
			bool prune = now - d.last_prune_ms >= 3600 * 1000 || d.last_prune_ms == 0;
			if (spawn(&d, 0, NULL, prune) > 0) {
				d.last_mail_ms = now;
				if (prune)
					d.last_prune_ms = now;
			}
		}
		if (d.watchdog_usec && now - d.last_watchdog_ms >= (int64_t)(d.watchdog_usec / 2000)) {
			sd_notify(0, "WATCHDOG=1");
			d.last_watchdog_ms = now;
		}
		notify_status(&d);
	}
	log_msg(5, "stopped");
	journal_close(d.j);
	for (struct entry *e = d.entries; e; e = e->next)
		e->gone = true;
	entries_gc(&d);
	while (d.n_dirty)
		dirty_remove_at(&d, d.n_dirty - 1);
	free(d.dirty);
	wds_clear(&d);
	free(d.wds);
	free(d.workers);
	config_free(d.cfg);
	free(d.rules_snapshot);
	ruleset_free(d.rules);
	curl_global_cleanup();
	return d.journal_lost ? EXIT_JOURNAL_LOST : 0;
}
