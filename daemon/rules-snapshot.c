/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon's private copy of the rules it validated (SPEC §11): the
 * workers evaluate with it, never with paths.rules itself, so that a rules
 * folder broken after a start or a reload cannot change how a case is judged
 * until a reload has validated the new rules. See rules-snapshot.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingestd.h"
#include "rules-snapshot.h"

#define SNAPSHOT_PREFIX "rules.good."
#define SNAPSHOT_TMP    ".rules.tmp."

/* The names the loader reads (rules-load.c list_dir()): NAME.yaml, not hidden. */
static bool is_rules_file(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

/* Copies SRC's rules files into the folder DST_FD; each file synced. With
 * SUB, the vocabulary folder (docs/vocabulary.md) is copied too, into a
 * folder of the same name, and the share link shapes (links/), if there. */
static int copy_rules(const char *src, int dst_fd, bool sub, struct strbuf *errs)
{
	int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0) {
		int r = -errno;
		(void)strbuf_printf(errs, "%s: cannot read the rules folder (%s)\n", src, strerror(-r));
		return r;
	}
	DIR *dir = opendir_dup(sfd);
	if (!dir) {
		int r = -errno;
		close(sfd);
		return r;
	}
	struct dirent *de;
	unsigned n = 0;
	int r = 0;
	while (r == 0 && (de = readdir(dir))) {
		if (!is_rules_file(de->d_name))
			continue;
		if (++n > RULES_MAX_FILES) {
			(void)strbuf_printf(errs, "%s:1:1: more than %u rules files\n", src, RULES_MAX_FILES);
			r = -EINVAL;
			break;
		}
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		r = read_file_at(sfd, de->d_name, RULES_MAX_FILE_BYTES, O_NOCTTY | O_NONBLOCK, &buf, &len);
		if (r < 0) {
			(void)strbuf_printf(errs, "%s/%s:1:1: cannot copy it for the daemon: %s\n", src, de->d_name,
			                    r == -EFBIG ? "larger than the limit of a rules file"
			                    : r == -EINVAL ? "not a regular file" : strerror(-r));
			r = r == -EFBIG || r == -EINVAL ? -EINVAL : r;
			break;
		}
		int fd = openat(dst_fd, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (fd < 0) {
			r = -errno;
			break;
		}
		r = write_all(fd, buf, len);
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		close(fd);
	}
	closedir(dir);
	close(sfd);
	if (r == 0 && sub) {
		_cleanup_free_ char *vsrc = xasprintf("%s/" VOCAB_DIR_NAME, src);
		if (mkdirat(dst_fd, VOCAB_DIR_NAME, 0750) < 0)
			return -errno;
		int vfd = openat(dst_fd, VOCAB_DIR_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (vfd < 0)
			return -errno;
		r = copy_rules(vsrc, vfd, false, errs);
		if (r == 0 && fsync(vfd) < 0)
			r = -errno;
		close(vfd);
	}
	/* The share link shapes (links/services.yaml, libingest/fetch-share.c) and
	 * the reports' words for DICOM codes (words/report.yaml, rules-words.c),
	 * when the folder has them: without them links are fetched as they are and
	 * codes are shown as they are. */
	static const char *const subs[] = { "links", "words" };
	for (size_t k = 0; r == 0 && sub && k < ARRAY_SIZE(subs); k++) {
		_cleanup_free_ char *lsrc = xasprintf("%s/%s", src, subs[k]);
		struct stat st;
		if (stat(lsrc, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (mkdirat(dst_fd, subs[k], 0750) < 0)
				return -errno;
			int lfd = openat(dst_fd, subs[k], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (lfd < 0)
				return -errno;
			r = copy_rules(lsrc, lfd, false, errs);
			if (r == 0 && fsync(lfd) < 0)
				r = -errno;
			close(lfd);
		}
	}
	return r;
}

/* The number N of BASE/rules.good.N, or 0 when NAME is not one. */
static unsigned snapshot_seq(const char *name)
{
	if (strncmp(name, SNAPSHOT_PREFIX, strlen(SNAPSHOT_PREFIX)) != 0)
		return 0;
	const char *s = name + strlen(SNAPSHOT_PREFIX);
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	return !errno && end != s && !*end && v > 0 && v < UINT32_MAX ? (unsigned)v : 0;
}

int rules_snapshot_take(const char *base_dir, const char *src, unsigned seq, char **out, struct ruleset **rules,
                        struct strbuf *errs)
{
	_cleanup_free_ char *tmp = xasprintf("%s/" SNAPSHOT_TMP "%ld", base_dir, (long)getpid());
	_cleanup_free_ char *dst = xasprintf("%s/" SNAPSHOT_PREFIX "%06u", base_dir, seq);
	_cleanup_(ruleset_freep) struct ruleset *rs = NULL;
	int r;

	(void)rm_rf(tmp);
	(void)rm_rf(dst);
	if (mkdir(tmp, 0750) < 0) {
		r = -errno;
		(void)strbuf_printf(errs, "%s: cannot make the copy of the rules: %s\n", tmp, strerror(-r));
		return r;
	}
	int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0) {
		r = -errno;
		goto fail;
	}
	r = copy_rules(src, tfd, true, errs);
	if (r == 0 && fsync(tfd) < 0)
		r = -errno;
	close(tfd);
	if (r < 0)
		goto fail;
	/* What the workers will use is what is validated: the copy itself (the
	 * folder may have changed since the caller checked it). */
	r = rules_load_dir(NULL, tmp, &rs, errs);
	if (r < 0)
		goto fail;
	if (rename(tmp, dst) < 0) {
		r = -errno;
		goto fail;
	}
	(void)fsync_dir_of(dst);
	*out = steal_ptr(dst);
	*rules = steal_ptr(rs);
	return 0;
fail:
	if (r != -EINVAL)
		(void)strbuf_printf(errs, "%s: cannot make the daemon's copy of the rules in %s: %s\n", src, base_dir,
		                    strerror(-r));
	(void)rm_rf(tmp);
	return r;
}

void rules_snapshot_gc(const char *base_dir, const unsigned *keep, size_t n_keep)
{
	DIR *dir = opendir(base_dir);
	struct dirent *de;
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		unsigned seq = snapshot_seq(de->d_name);
		bool stale_tmp = strncmp(de->d_name, SNAPSHOT_TMP, strlen(SNAPSHOT_TMP)) == 0 &&
		                 strtol(de->d_name + strlen(SNAPSHOT_TMP), NULL, 10) != (long)getpid();
		if (!seq && !stale_tmp)
			continue;
		bool kept = false;
		for (size_t i = 0; i < n_keep && seq; i++)
			kept |= keep[i] == seq;
		if (!kept)
			(void)rm_rf_at(dirfd(dir), de->d_name);
	}
	closedir(dir);
}
