/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * BagIt 1.0 (RFC 8493): manifest path encoding, and the verifier behind
 * `ingest verify`. The verifier trusts nothing in the bag: manifest lines and
 * entry counts are bounded by struct ing_limits, every path must stay inside
 * the bag (no "..", no absolute path, no symbolic link on the way), and each
 * file is read once with a buffer sized to the largest listed file (at most
 * VERIFY_BUF), several files at a time when there is enough to hash.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "bagit.h"

#define VERIFY_BUF (4u << 20)        /* largest read size per file while hashing */
#define VERIFY_BUF_MIN (64u << 10)   /* smallest read buffer */
#define VERIFY_THREADS_MAX 4
/* Below this many listed bytes everything is hashed on the caller's thread:
 * SHA-256 runs at several hundred MB/s per core, so 2 MiB is a few ms of
 * work, and splitting it saves about as much as starting, running and joining
 * threads costs (much more under ASan, whose per-thread set-up dominates
 * small bags). Above it the threads are used as before. */
#define VERIFY_SERIAL_BYTES (2u << 20)

int bag_path_encode(struct strbuf *b, const char *path)
{
	for (const char *p = path; *p; p++) {
		int r;
		if (*p == '%')
			r = strbuf_puts(b, "%25");
		else if (*p == '\n')
			r = strbuf_puts(b, "%0A");
		else if (*p == '\r')
			r = strbuf_puts(b, "%0D");
		else
			r = strbuf_append(b, p, 1);
		if (r < 0)
			return r;
	}
	return 0;
}

bool bag_path_safe(const char *p)
{
	if (!p[0] || p[0] == '/')
		return false;
	for (const char *c = p;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!e)
			return true;
		c = e + 1;
	}
}

int bag_path_decode(const char *in, size_t n, char **out)
{
	char *s = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		/* Only %0A, %0D and %25 are encodings; any other '%' is itself. */
		if (in[i] == '%' && n - i >= 3) {
			char h[3] = { in[i + 1], in[i + 2], 0 };
			if (strcasecmp(h, "0A") == 0 || strcasecmp(h, "0D") == 0 || strcmp(h, "25") == 0) {
				s[o++] = h[1] == '5' ? '%' : (h[1] == 'A' || h[1] == 'a') ? '\n' : '\r';
				i += 2;
				continue;
			}
		}
		if (in[i] == 0) {
			free(s);
			return -EBADMSG;
		}
		s[o++] = in[i];
	}
	s[o] = 0;
	if (!bag_path_safe(s)) {
		free(s);
		return -EBADMSG;
	}
	*out = s;
	return 0;
}

/* ---- verification ---- */

struct ventry {
	char *path;              /* decoded, relative to the bag */
	uint8_t want[32];
	bool tag;                /* from the tag manifest */
	/* results */
	int err;                 /* 0, or -errno opening/reading */
	bool checked;
	uint8_t got[32];
	uint64_t bytes;
};

struct verify {
	struct ing_ctx *ctx;
	int bagfd;
	ing_verify_fn fn;
	void *ud;
	struct ptrvec entries;   /* struct ventry* */
	struct ing_verify_result res;
	size_t next;             /* work queue index (under lock) */
	pthread_mutex_t lock;
	size_t bufsize;          /* read buffer per worker */
};

static void report(struct verify *v, enum ing_verify_finding what, const char *path, const char *detail)
{
	switch (what) {
	case ING_VERIFY_MISSING: v->res.missing++; break;
	case ING_VERIFY_ALTERED: v->res.altered++; break;
	case ING_VERIFY_EXTRA: v->res.extra++; break;
	case ING_VERIFY_OXUM: v->res.oxum_mismatch = true; break;
	case ING_VERIFY_INVALID: v->res.invalid++; break;
	}
	if (v->fn)
		v->fn(v->ud, what, path, detail);
}

/* Open a bag-relative path one component at a time, following no symbolic link. */
static int open_beneath(int bagfd, const char *path, int flags)
{
	_cleanup_free_ char *p = xstrdup(path);
	int dfd = bagfd;
	char *c = p;
	for (;;) {
		char *e = strchr(c, '/');
		if (e)
			*e = 0;
		int fd = openat(dfd, c, (e ? O_RDONLY | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		int err = errno;
		if (dfd != bagfd)
			close(dfd);
		if (fd < 0)
			return -(err == ELOOP ? EPERM : err);
		if (!e)
			return fd;
		dfd = fd;
		c = e + 1;
	}
}

static int cmp_entry_path(const void *a, const void *b)
{
	return strcmp((*(struct ventry *const *)a)->path, (*(struct ventry *const *)b)->path);
}

/* Read one manifest; every line "<64 hex> <whitespace> <encoded path>". */
static int parse_manifest(struct verify *v, const char *name, bool tag, bool *present)
{
	const struct ing_limits *lim = &v->ctx->limits;
	size_t max_line = 64 + 16 + 3 * (size_t)lim->max_path_bytes;
	int fd = open_beneath(v->bagfd, name, O_RDONLY);
	if (fd < 0) {
		*present = false;
		return fd == -ENOENT ? 0 : fd;
	}
	*present = true;
	FILE *f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -errno;
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int r = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)n > max_line) {
			log_err(v->ctx, "%s line %zu: longer than %zu bytes", name, lineno, max_line);
			r = -EBADMSG;
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (n == 0)
			continue;
		if (v->entries.n >= lim->max_entries) {
			log_err(v->ctx, "%s: more than %llu entries", name, (unsigned long long)lim->max_entries);
			r = -E2BIG;
			break;
		}
		struct ventry *e = xcalloc(1, sizeof(*e));
		size_t i = 0;
		for (; i < 64; i++) {
			int hi, lo;
			if (i % 2 == 0)
				continue;
			hi = hex_digit((unsigned char)line[i - 1]);
			lo = hex_digit((unsigned char)line[i]);
			if (hi < 0 || lo < 0)
				break;
			e->want[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		size_t p = 64;
		if (i < 64 || (size_t)n < 66 || (line[64] != ' ' && line[64] != '\t')) {
			log_err(v->ctx, "%s line %zu: not \"<sha256 hex> <path>\"", name, lineno);
			free(e);
			r = -EBADMSG;
			break;
		}
		while (p < (size_t)n && (line[p] == ' ' || line[p] == '\t'))
			p++;
		if (bag_path_decode(line + p, (size_t)n - p, &e->path) < 0 ||
		    (!tag && strncmp(e->path, "data/", 5) != 0) || (tag && strncmp(e->path, "data/", 5) == 0)) {
			log_err(v->ctx, "%s line %zu: the path is unsafe or outside its place (%s)", name, lineno,
			        tag ? "tag files are outside data/" : "payload is under data/");
			free(e->path);
			free(e);
			r = -EBADMSG;
			break;
		}
		e->tag = tag;
		ptrvec_push(&v->entries, e);
	}
	free(line);
	if (r == 0 && ferror(f))
		r = -EIO;
	fclose(f);
	return r;
}

static void hash_one(struct verify *v, struct ventry *e, uint8_t *buf)
{
	int fd = open_beneath(v->bagfd, e->path, O_RDONLY);
	if (fd < 0) {
		e->err = fd;
		return;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		e->err = -ENOENT;
		close(fd);
		return;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	struct sha256_ctx *c = sha256_new();
	for (;;) {
		ssize_t r = read(fd, buf, v->bufsize);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e->err = -errno;
			break;
		}
		if (r == 0)
			break;
		sha256_update(c, buf, (size_t)r);
		e->bytes += (uint64_t)r;
	}
	sha256_final(c, e->got);
	sha256_free(c);
	close(fd);
	e->checked = e->err == 0;
}

static void *worker(void *p)
{
	struct verify *v = p;
	uint8_t *buf = xmalloc(v->bufsize);
	for (;;) {
		pthread_mutex_lock(&v->lock);
		size_t i = v->next++;
		pthread_mutex_unlock(&v->lock);
		if (i >= v->entries.n)
			break;
		hash_one(v, v->entries.v[i], buf);
	}
	free(buf);
	return NULL;
}

static bool listed(struct verify *v, const char *path)
{
	struct ventry key = { .path = (char *)path }, *kp = &key;
	return bsearch(&kp, v->entries.v, v->entries.n, sizeof(void *), cmp_entry_path) != NULL;
}

/* Files under data/ that no manifest line names. */
static void find_extra(struct verify *v, int dfd, const char *prefix, unsigned depth, uint64_t *seen)
{
	DIR *d = opendir_dup(dfd);
	struct dirent *de;
	if (!d) {
		report(v, ING_VERIFY_INVALID, prefix, "the folder could not be read");
		return;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++*seen > v->ctx->limits.max_entries) {
			report(v, ING_VERIFY_INVALID, prefix, "too many files under data/");
			break;
		}
		_cleanup_free_ char *rel = xasprintf("%s/%s", prefix, de->d_name);
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth >= BAG_MAX_DIR_DEPTH) {
				report(v, ING_VERIFY_INVALID, rel, "folders nested too deep");
				continue;
			}
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				find_extra(v, sub, rel, depth + 1, seen);
				close(sub);
			}
		} else if (!S_ISREG(st.st_mode)) {
			report(v, ING_VERIFY_EXTRA, rel, "not a regular file (link, device or socket)");
		} else if (!listed(v, rel)) {
			report(v, ING_VERIFY_EXTRA, rel, "in data/ but not in the manifest");
		}
	}
	closedir(d);
}

/* "Payload-Oxum: <octets>.<count>" from bag-info.txt; false when absent. */
static bool read_oxum(struct verify *v, uint64_t *bytes, uint64_t *count)
{
	int fd = open_beneath(v->bagfd, "bag-info.txt", O_RDONLY);
	if (fd < 0)
		return false;
	FILE *f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return false;
	}
	char line[4096];
	bool found = false;
	unsigned n = 0;
	while (!found && n++ < 10000 && fgets(line, sizeof(line), f)) {
		unsigned long long b, c;
		char tail;
		if (strncmp(line, "Payload-Oxum:", 13) == 0 && sscanf(line + 13, " %llu.%llu%c", &b, &c, &tail) >= 2) {
			*bytes = b;
			*count = c;
			found = true;
		}
	}
	fclose(f);
	return found;
}

int ing_bag_verify(struct ing_ctx *ctx, const char *bag, ing_verify_fn fn, void *ud, struct ing_verify_result *out)
{
	struct verify v = { .ctx = ctx, .fn = fn, .ud = ud, .lock = PTHREAD_MUTEX_INITIALIZER };
	bool have_manifest = false, have_tag = false;
	char line[256];
	int r;

	v.bagfd = open(bag, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v.bagfd < 0)
		return -errno;
	/* bagit.txt: the declaration comes first. */
	int fd = open_beneath(v.bagfd, "bagit.txt", O_RDONLY);
	if (fd < 0) {
		close(v.bagfd);
		return fd == -ENOENT ? -ENOTDIR : fd;
	}
	ssize_t n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n >= 0)
		line[n] = 0;
	if (n < 0 || strncmp(line, "BagIt-Version: ", 15) != 0) {
		close(v.bagfd);
		return -ENOTDIR;
	}

	r = parse_manifest(&v, "manifest-sha256.txt", false, &have_manifest);
	if (r == 0)
		r = parse_manifest(&v, "tagmanifest-sha256.txt", true, &have_tag);
	if (r == 0 && !have_manifest) {
		log_err(ctx, "the bag has no manifest-sha256.txt");
		r = -EBADMSG;
	}
	if (r < 0)
		goto out;
	if (v.entries.n > 1)
		qsort(v.entries.v, v.entries.n, sizeof(void *), cmp_entry_path);
	for (size_t i = 1; i < v.entries.n; i++)
		if (strcmp(((struct ventry *)v.entries.v[i - 1])->path, ((struct ventry *)v.entries.v[i])->path) == 0) {
			log_err(ctx, "a manifest lists \"%s\" twice", ((struct ventry *)v.entries.v[i])->path);
			r = -EBADMSG;
			goto out;
		}

	/* Size the work: the largest and total bytes of the listed files. Only a
	 * hint for the buffer and the thread count; a file that is not there, not
	 * regular or changes meanwhile is found by hash_one() as before. */
	uint64_t largest = 0, total = 0;
	for (size_t i = 0; i < v.entries.n; i++) {
		struct stat st;
		if (fstatat(v.bagfd, ((struct ventry *)v.entries.v[i])->path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_size > 0) {
			largest = MAX(largest, (uint64_t)st.st_size);
			total += (uint64_t)st.st_size;
		}
	}
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t page = pg > 0 ? (uint64_t)pg : 4096;
	largest = MIN(largest, (uint64_t)VERIFY_BUF);
	largest = (largest + page - 1) / page * page;
	v.bufsize = (size_t)MIN((uint64_t)VERIFY_BUF, MAX(largest, (uint64_t)VERIFY_BUF_MIN));

	/* Hash: a few files at a time (disks and SSDs both keep up), each read
	 * once; small bags on this thread only. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = (size_t)MAX(1, MIN((long)VERIFY_THREADS_MAX, ncpu));
	if (nthreads > v.entries.n)
		nthreads = MAX((size_t)1, v.entries.n);
	if (total < VERIFY_SERIAL_BYTES)
		nthreads = 1;
	pthread_t th[VERIFY_THREADS_MAX];
	size_t started = 0;
	for (size_t i = 1; i < nthreads; i++)
		if (pthread_create(&th[started], NULL, worker, &v) == 0)
			started++;
	worker(&v);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);

	uint64_t pbytes = 0, pcount = 0;
	for (size_t i = 0; i < v.entries.n; i++) {
		struct ventry *e = v.entries.v[i];
		v.res.files++;
		if (!e->tag) {
			pcount++;
			pbytes += e->bytes;
		}
		v.res.bytes += e->bytes;
		if (e->err == -ENOENT || e->err == -ENOTDIR)
			report(&v, ING_VERIFY_MISSING, e->path, "listed in the manifest but not in the bag");
		else if (e->err == -EPERM)
			report(&v, ING_VERIFY_INVALID, e->path, "reached through a symbolic link: refused");
		else if (e->err < 0)
			report(&v, ING_VERIFY_MISSING, e->path, strerror(-e->err));
		else if (memcmp(e->want, e->got, 32) != 0)
			report(&v, ING_VERIFY_ALTERED, e->path, "its SHA-256 differs from the manifest");
	}

	int dfd = open_beneath(v.bagfd, "data", O_RDONLY | O_DIRECTORY);
	uint64_t seen = 0;
	if (dfd >= 0) {
		find_extra(&v, dfd, "data", 0, &seen);
		close(dfd);
	} else {
		report(&v, ING_VERIFY_MISSING, "data", "the payload folder is missing");
	}

	uint64_t ob, oc;
	if (read_oxum(&v, &ob, &oc) && (ob != pbytes || oc != pcount)) {
		char d[128];
		snprintf(d, sizeof(d), "bag-info.txt says %llu.%llu, the manifest's files hold %llu.%llu",
		         (unsigned long long)ob, (unsigned long long)oc, (unsigned long long)pbytes,
		         (unsigned long long)pcount);
		report(&v, ING_VERIFY_OXUM, "bag-info.txt", d);
	}
	v.res.tag_manifest = have_tag;
	*out = v.res;
out:
	for (size_t i = 0; i < v.entries.n; i++)
		free(((struct ventry *)v.entries.v[i])->path);
	ptrvec_free(&v.entries, free);
	close(v.bagfd);
	return r;
}
