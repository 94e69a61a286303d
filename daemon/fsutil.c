/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Logging and filesystem helpers of ingestd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingestd.h"

static int log_max = 6;

void log_set_max(int level)
{
	log_max = level;
}

/* Is stderr connected to the journal? systemd sets JOURNAL_STREAM=DEV:INO to
 * the stream it gave us (sd-daemon(3)); only then does a line carry the
 * "<N>" priority prefix the journal reads. A terminal, a file or a pipe gets
 * "ingestd: message". Decided once (workers inherit it across fork()). */
static bool stderr_is_journal(void)
{
	static int cached = -1;
	if (cached < 0) {
		const char *e = getenv("JOURNAL_STREAM");
		unsigned long long dev, ino;
		struct stat st;
		char end;
		cached = e && sscanf(e, "%llu:%llu%c", &dev, &ino, &end) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
		         (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	}
	return cached;
}

void log_msg(int level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of workers do not interleave. */
	char line[2100];
	int n = stderr_is_journal() ? snprintf(line, sizeof(line), "<%d>%s\n", level, buf)
	                            : snprintf(line, sizeof(line), "ingestd: %s%s\n",
	                                       level <= 3 ? "error: " : level == 4 ? "warning: " : "", buf);
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)MIN(n, (int)sizeof(line) - 1));
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			int r = -errno;
			free(p);
			return r;
		}
		*s = '/';
	}
	int r = mkdir(p, mode) < 0 && errno != EEXIST ? -errno : 0;
	free(p);
	return r;
}

int rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}

bool path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int fsync_dir_of(const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	char *slash = strrchr(p, '/');
	if (slash && slash != p)
		*slash = 0;
	else if (slash)
		p[1] = 0;
	int fd = open(slash ? p : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int write_file_atomic(const char *path, const char *text)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp~", path) < 0)
		return -ENOMEM;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	int r = 0;
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	size_t n = strlen(text);
	const char *p = text;
	while (n && r == 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno != EINTR)
			r = -errno;
		else if (k > 0) {
			p += k;
			n -= (size_t)k;
		}
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	else
		fsync_dir_of(path);
	free(tmp);
	return r;
}

/* -EFBIG also for a file that is not a regular one. */
int read_text_file(const char *path, size_t max, char **out)
{
	int r = read_file_at(AT_FDCWD, path, max, O_NOFOLLOW, out, NULL);
	return r == -EINVAL ? -EFBIG : r;
}

char *unique_path(const char *dir, const char *name)
{
	char *p = NULL;
	for (unsigned i = 0; i < 100000; i++) {
		free(p);
		if ((i ? asprintf(&p, "%s/%s.%u", dir, name, i) : asprintf(&p, "%s/%s", dir, name)) < 0)
			return NULL;
		char *reason;
		if (asprintf(&reason, "%s.reason.txt", p) < 0) {
			free(p);
			return NULL;
		}
		bool taken = path_exists(p) || path_exists(reason);
		free(reason);
		if (!taken)
			return p;
	}
	free(p);
	return NULL;
}

const char *name_for_log(const char *name, char buf[static LOG_NAME_MAX])
{
	size_t n = 0, i;
	for (i = 0; name[i] && i < INGESTD_LOG_NAME_BYTES && n + 5 < LOG_NAME_MAX - 4; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
			n += (size_t)snprintf(buf + n, LOG_NAME_MAX - n, "\\x%02x", ch);
		else
			buf[n++] = (char)ch;
	}
	if (name[i])
		n += (size_t)snprintf(buf + n, LOG_NAME_MAX - n, "...");
	buf[n] = 0;
	return buf;
}

int quarantine_path(const struct ingestd_config *cfg, const char *path, const char *name, const char *reason,
                    char **where)
{
	int r = mkdir_p(cfg->quarantine, 0750);
	if (r < 0)
		return r;
	/* Names that cannot be a case may still be odd: keep them printable in the quarantine. */
	char safe[256];
	size_t n = 0;
	for (const char *s = name; *s && n < sizeof(safe) - 1; s++)
		safe[n++] = (*s == '/' || (unsigned char)*s < 0x20) ? '_' : *s;
	safe[n] = 0;
	if (!n || strcmp(safe, ".") == 0 || strcmp(safe, "..") == 0)
		strcpy(safe, "unnamed");
	char *dst = unique_path(cfg->quarantine, safe);
	if (!dst)
		return -ENOMEM;
	char *rpath, *text;
	if (asprintf(&rpath, "%s.reason.txt", dst) < 0) {
		free(dst);
		return -ENOMEM;
	}
	if (asprintf(&text, "%s\n\nWhat arrived: \"%s\"\nMoved here by ingestd; nothing of it was processed.\n", reason,
	             safe) < 0)
		text = NULL;
	/* The reason first: an item in quarantine always has its reason file. */
	r = text ? write_file_atomic(rpath, text) : -ENOMEM;
	if (r == 0 && rename(path, dst) < 0) {
		r = -errno;
		unlink(rpath);
	}
	if (r == 0) {
		fsync_dir_of(dst);
		if (where) {
			const char *slash = strrchr(dst, '/');
			*where = strdup(slash ? slash + 1 : dst);
		}
	}
	free(text);
	free(rpath);
	free(dst);
	return r;
}
