/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ingestd --check-config, beyond the file's syntax: tries what the daemon
 * will do with a configuration, as the user it runs as (SPEC §11): each
 * folder creatable, or there and writable (a temporary file is made and
 * removed in each), the folders it renames between on one filesystem, the
 * journal and the secret files readable. Each problem says what is wrong
 * and what to do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingestd.h"

struct check {
	const char *user;          /* who the checks run as, for the messages */
	struct strbuf *out;
	unsigned problems;
	char *unwritable;          /* a missing folder's parent already said not writable */
};

static void problem(struct check *k, const char *fmt, ...) ING_PRINTF(2, 3);
static void problem(struct check *k, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->problems++;
	(void)strbuf_printf(k->out, "%s\n", msg);
}

/* A file made and removed in DIR, the way the daemon will write there. 0 or
 * a negative errno. O_TMPFILE leaves no name behind; where the filesystem
 * has none, a named file is made and removed at once. */
static int try_write(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int r = write(fd, "x", 1) == 1 ? 0 : -errno;
		close(fd);
		return r;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	_cleanup_free_ char *tmpl = xasprintf("%s/.ingestd-check.XXXXXX", dir);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write(fd, "x", 1) == 1 ? 0 : -errno;
	close(fd);
	unlink(tmpl);
	return r;
}

/* The nearest folder of PATH that exists (PATH itself, or a parent). */
static char *existing_ancestor(const char *path, struct stat *st)
{
	char *p = xstrdup(path);
	for (;;) {
		if (stat(p, st) == 0)
			return p;
		char *slash = strrchr(p, '/');
		if (!slash || slash == p) {
			strcpy(p, "/");
			if (stat(p, st) == 0)
				return p;
			free(p);
			return NULL;
		}
		*slash = 0;
	}
}

/* KEY's folder DIR: there and writable, or creatable (the daemon makes the
 * folders it misses at start). *DEV: the filesystem it is (or will be) on. */
static void check_dir(struct check *k, const char *key, const char *dir, dev_t *dev)
{
	struct stat st;
	int r;
	if (stat(dir, &st) == 0) {
		*dev = st.st_dev;
		if (!S_ISDIR(st.st_mode)) {
			problem(k, "%s (%s): not a folder. Remove or rename what is there, or set %s to a folder.", key, dir,
			        key);
			return;
		}
		DIR *d = opendir(dir);
		if (!d) {
			r = -errno;
			problem(k, "%s (%s): user %s cannot read this folder (%s). Give it to the service: chown %s: %s && "
			        "chmod 0750 %s", key, dir, k->user, strerror(-r), k->user, dir, dir);
			return;
		}
		closedir(d);
		if ((r = try_write(dir)) < 0)
			problem(k, "%s (%s): user %s cannot create files here (%s). Give it to the service: chown %s: %s "
			        "&& chmod 0750 %s", key, dir, k->user, strerror(-r), k->user, dir, dir);
		return;
	}
	r = -errno;
	if (r != -ENOENT) {
		problem(k, "%s (%s): cannot be looked at by user %s (%s). Check the permissions of the folders above "
		        "it.", key, dir, k->user, strerror(-r));
		return;
	}
	_cleanup_free_ char *up = existing_ancestor(dir, &st);
	if (!up) {
		problem(k, "%s (%s): no part of this path can be looked at by user %s.", key, dir, k->user);
		return;
	}
	*dev = st.st_dev;
	if (k->unwritable && strcmp(k->unwritable, up) == 0)
		return;    /* said once, for the first folder to make there (base_dir) */
	if (!S_ISDIR(st.st_mode)) {
		problem(k, "%s (%s): cannot be created: %s is not a folder. Set %s to another path.", key, dir, up, key);
	} else if ((r = try_write(up)) < 0) {
		problem(k, "%s (%s): does not exist, and user %s cannot create it in %s (%s). Create it for the "
		        "service: install -d -o %s -m 0750 %s", key, dir, k->user, up, strerror(-r), k->user, dir);
		free(k->unwritable);
		k->unwritable = steal_ptr(up);
	}
}

/* A file the daemon reads (and, WRITE, writes), if it is there. */
static void check_file(struct check *k, const char *what, const char *path, bool write, bool must_exist,
                       const char *fix)
{
	int fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int r = -errno;
		if (r == -ENOENT && !must_exist)
			return;
		problem(k, "%s (%s): user %s cannot %s it (%s). %s", what, path, k->user, write ? "read and write" :
		        "read", strerror(-r), fix);
		return;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		problem(k, "%s (%s): not a regular file. %s", what, path, fix);
	else if (!write && st.st_size == 0)
		problem(k, "%s (%s): empty. %s", what, path, fix);
	close(fd);
}

unsigned config_check_runtime(const struct ingestd_config *c, const char *user, struct strbuf *out)
{
	struct check k = { .user = user, .out = out };
	_cleanup_free_ char *db_dir = xstrdup(c->state_db);
	char *slash = strrchr(db_dir, '/');
	if (slash)
		slash[slash == db_dir ? 1 : 0] = 0;
	static const char *const keys[] = { "base_dir", "paths.inbox", "paths.work", "paths.quarantine",
		                            "paths.archive", "paths.outbox", "paths.mail_outbox",
		                            "paths.state_db's folder" };
	const char *dirs[] = { c->base_dir, c->inbox, c->work, c->quarantine, c->archive, c->outbox, c->mail_outbox,
		               db_dir };
	dev_t dev[ARRAY_SIZE(dirs)] = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		check_dir(&k, keys[i], dirs[i], &dev[i]);
	/* Drops move by rename(): inbox -> work -> archive, and into quarantine. */
	for (size_t i = 2; i <= 4; i++)
		if (dev[1] && dev[i] && dev[i] != dev[1])
			problem(&k, "%s (%s) is not on the filesystem of paths.inbox (%s): drops are moved between them "
			        "by renaming, which cannot cross filesystems. Put them on one filesystem.", keys[i], dirs[i],
			        c->inbox);
	check_file(&k, "paths.state_db", c->state_db, true, false,
	           "The journal must be the service's own: chown it to the service user, mode 0640.");
	_cleanup_free_ char *salt = xasprintf("%s/salt", c->base_dir);
	check_file(&k, "the patient-key secret", salt, false, false,
	           "It is made by ingestd at its first start; give it back to the service user (mode 0600).");
	if (c->smtp_password_file) {
		_cleanup_free_ char *fix = xasprintf("Put the SMTP password on its first line, readable by the service: "
		                                     "chown root:%s %s && chmod 0640 %s", user, c->smtp_password_file,
		                                     c->smtp_password_file);
		check_file(&k, "mail.password_file", c->smtp_password_file, false, true, fix);
	}
	free(k.unwritable);
	return k.problems;
}
