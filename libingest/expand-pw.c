/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Encrypted archive entries and the case's passwords (SPEC §3, case.yaml's
 * `passwords`; expand-private.h).
 *
 * A zip's traditional (PKWARE) encryption checks a password against one byte
 * of the entry, AES against two: a wrong password passes that check once in
 * 256 (65536) entries, and libarchive, which takes the first password of its
 * list that passes, then decrypts garbage with it and never tries the next.
 * So an encrypted entry is never handed to the scan as it comes out of
 * libarchive: its bytes are decrypted into a memfd first and kept only when
 * the entry ends clean (CRC or AES authentication code right; an error or a
 * warning means the password did not fit). Each password has its own
 * libarchive reader of the archive (struct pw_reader, opened when first
 * needed, moved forward with the scan's reader), so a password that passed
 * the check wrongly costs one try and the next is tried; the password that
 * opened the last entry is tried first. An entry no password opens is an
 * `encrypted` problem that says how many were tried, never which.
 *
 * Where the archive can only be streamed (a zip inside a tar stream) there is
 * no second reader: the scan's reader is given every password (libarchive
 * asks pw_callback()) and the entry is still decrypted into the memfd and
 * checked before it is kept. The cost, for encrypted entries only: one more
 * copy of their bytes (the memfd), and a wrong password that passed the check
 * reads its entry once to the end.
 *
 * Passwords never reach a log or a message; ours are wiped when the archive
 * closes (xarc_passwords_close()), libarchive wipes its copies when a reader
 * is freed.
 */
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "caseyaml.h"
#include "expand-private.h"
#include "identify.h"

/* ---- the passwords ---- */

/* The passwords of the case: a case.yaml already read (the scan's), the drop
 * root's and, in the daemon's case store, every drop's, so that a case.yaml
 * dropped later opens an archive kept from an earlier drop when the case is
 * scanned again. n_passwords: how many (-1: none). */
static void keep_password(struct xarc *x, const char *pw)
{
	for (size_t i = 0; i < x->pw.n; i++)
		if (strcmp(x->pw.v[i], pw) == 0)
			return;
	if (x->pw.n < CASE_YAML_MAX_PASSWORDS * 4)
		ptrvec_push(&x->pw, xstrdup(pw));
}

static void keep_from(struct xarc *x, int dirfd)
{
	char **pw = NULL;
	size_t n = 0;
	case_yaml_passwords_at(dirfd, "case.yaml", &pw, &n);
	for (size_t i = 0; i < n; i++)
		keep_password(x, pw[i]);
	case_yaml_passwords_free(pw, n);
}

int xarc_load_passwords(struct xarc *x)
{
	const char *root = x->w->scan->root;
	const struct case_yaml *cy = x->w->scan->case_yaml;
	_cleanup_close_ int dfd = -1;

	if (x->n_passwords)
		return x->n_passwords;
	for (size_t i = 0; cy && i < cy->n_passwords; i++)
		keep_password(x, cy->passwords[i]);
	if (root && (dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		keep_from(x, dfd);
		if (x->where && x->where->case_store) {
			_cleanup_(closedirp) DIR *d = opendir_dup(dfd);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				_cleanup_close_ int sub = -1;
				if (de->d_name[0] == '.')
					continue;
				sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub >= 0)
					keep_from(x, sub);
			}
		}
	}
	x->n_passwords = x->pw.n ? (int)x->pw.n : -1;
	return x->n_passwords;
}

/* The scan's own reader asks for them one by one (streamed archives only). */
const char *xarc_pw_callback(struct archive *a, void *ud)
{
	struct xarc *x = ud;
	if (xarc_load_passwords(x) <= 0 || x->pw_next >= x->pw.n)
		return NULL;
	return x->pw.v[x->pw_next++];
}

/* ---- one reader per password ---- */

struct pw_reader {
	struct xarc *x;
	struct archive *a;     /* NULL: not open (or it failed and is opened again when next needed) */
	uint64_t pos;          /* its read position in the archive */
	uint64_t hdrs;         /* headers it has read */
	uint8_t *buf;          /* pread() buffer (an archive in a file) */
};

static uint8_t *pwr_block(void *ud)
{
	struct pw_reader *r = ud;
	if (!r->buf)
		r->buf = xmalloc(XIN_CHUNK);
	return r->buf;
}

static la_ssize_t pwr_read(struct archive *a, void *ud, const void **out)
{
	struct pw_reader *r = ud;
	return xarc_src_next(a, r->x, &r->pos, pwr_block, r, out);
}

static la_int64_t pwr_seek(struct archive *a, void *ud, la_int64_t off, int whence)
{
	struct pw_reader *r = ud;
	return xarc_pos_seek(&r->pos, r->x->ssize, off, whence);
}

static la_int64_t pwr_skip(struct archive *a, void *ud, la_int64_t req)
{
	struct pw_reader *r = ud;
	return xarc_pos_skip(&r->pos, r->x->ssize, req);
}

static void pwr_close(struct pw_reader *r)
{
	if (r->a)
		archive_read_free(r->a);       /* libarchive wipes its copy of the password */
	r->a = NULL;
	r->hdrs = 0;
	r->pos = 0;
}

/* Password I's reader at the scan's current entry E; false when it cannot
 * be brought there (it reads the archive differently: never guessed). */
static bool pwr_at(struct xarc *x, size_t i, struct archive_entry *e, struct archive_entry **out)
{
	struct pw_reader *r = &x->readers[i];
	struct archive_entry *te = NULL;

	if (r->a && r->hdrs >= x->hdr_index)
		pwr_close(r);                  /* past it (an entry read twice?): from the start */
	if (!r->a) {
		r->x = x;
		r->a = xarc_new_seekable();
		archive_read_add_passphrase(r->a, x->pw.v[i]);
		archive_read_set_read_callback(r->a, pwr_read);
		archive_read_set_seek_callback(r->a, pwr_seek);
		archive_read_set_skip_callback(r->a, pwr_skip);
		archive_read_set_callback_data(r->a, r);
		if (archive_read_open1(r->a) != ARCHIVE_OK) {
			pwr_close(r);
			return false;
		}
	}
	while (r->hdrs < x->hdr_index) {
		int rc = archive_read_next_header(r->a, &te);
		if (rc < ARCHIVE_WARN) {
			pwr_close(r);
			return false;
		}
		r->hdrs++;
	}
	const char *p1 = archive_entry_pathname(e), *p2 = te ? archive_entry_pathname(te) : NULL;
	if (!te || !archive_entry_is_encrypted(te) || (p1 == NULL) != (p2 == NULL) || (p1 && strcmp(p1, p2) != 0))
		return false;
	*out = te;
	return true;
}

/* ---- an entry decrypted and checked ---- */

enum pw_try {
	TRY_OK,
	TRY_WRONG,             /* the password did not fit (the check, the CRC or the authentication code said so) */
	TRY_UNSURE,            /* streamed: one passed the check but did not decrypt cleanly; the others untried */
	TRY_UNSUPPORTED,       /* libarchive cannot decrypt this kind */
	TRY_STOP,              /* a limit: the archive stops */
	TRY_IO,
};

/* The current entry's bytes out of A into a new memfd (*FD, *GOT bytes),
 * read to the end: libarchive checks the CRC (or AES's authentication code)
 * there. Bounded as every entry is (per file, ratio, the drop's bytes and
 * time); nothing is counted here, the caller counts what it keeps. */
static enum pw_try spool_entry(struct xarc *x, struct archive *a, int *fd, uint64_t *got, bool *fatal)
{
	int out = memfd_create("ingest-decrypted", MFD_CLOEXEC);
	uint64_t n = 0;

	if (out < 0)
		return TRY_IO;
	for (;;) {
		const void *b;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &b, &len, &off);
		if (r == ARCHIVE_EOF) {
			*fd = out;
			*got = n;
			return TRY_OK;
		}
		/* a warning (bad CRC, wrong size), a failure (no password passed
		 * the check) or a fatal error (garbage would not inflate) */
		if (r != ARCHIVE_OK || off < 0 || (uint64_t)off != n) {
			const char *m = r != ARCHIVE_OK ? archive_error_string(a) : NULL;
			*fatal = r == ARCHIVE_FATAL;
			close(out);
			if (x->stop != STOP_NONE)
				return TRY_STOP;
			return m && (strcasestr(m, "support") || strcasestr(m, "unavailable")) ? TRY_UNSUPPORTED : TRY_WRONG;
		}
		n += len;
		if (n > x->lim->max_file_bytes) {
			x->stop = STOP_ENTRY;
			close(out);
			return TRY_STOP;
		}
		if (xarc_over_limits(x, x->expanded + n) || write_all(out, b, len) < 0) {
			close(out);
			return x->stop != STOP_NONE ? TRY_STOP : TRY_IO;
		}
	}
}

/* Try the passwords on entry E until one opens it cleanly: the one that
 * opened the last entry first, then the others in case.yaml's order. */
static enum pw_try try_passwords(struct xarc *x, struct archive_entry *e, int *fd, uint64_t *got)
{
	enum pw_try best = TRY_WRONG;
	bool fatal = false;

	if (!x->seekable) {
		/* libarchive's "Incorrect passphrase": none passed the check */
		enum pw_try t = spool_entry(x, x->a, fd, got, &fatal);
		const char *m = archive_error_string(x->a);
		return t == TRY_WRONG && !(m && strcasestr(m, "passphrase")) ? TRY_UNSURE : t;
	}
	if (!x->readers)
		x->readers = xcalloc(x->pw.n, sizeof(*x->readers));
	for (size_t k = 0; k < x->pw.n; k++) {
		size_t i = k == 0 ? x->pw_last : (k <= x->pw_last ? k - 1 : k);
		struct archive_entry *te;
		if (!pwr_at(x, i, e, &te)) {
			if (best == TRY_WRONG)
				best = TRY_IO;
			continue;
		}
		fatal = false;
		enum pw_try t = spool_entry(x, x->readers[i].a, fd, got, &fatal);
		if (t == TRY_OK) {
			x->pw_last = i;
			return t;
		}
		if (t == TRY_STOP)
			return t;
		if (t == TRY_UNSUPPORTED || (t == TRY_WRONG && best == TRY_IO))
			best = t;
		/* a fatal error leaves that reader unusable: opened again when needed */
		if (fatal)
			pwr_close(&x->readers[i]);
	}
	return best;
}

void xarc_scan_encrypted(struct xarc *x, struct archive_entry *e, const char *clean, const char *rel,
                         uint64_t size)
{
	struct walk *w = x->w;
	int fd = -1;
	uint64_t got = 0;
	enum pw_try t = try_passwords(x, e, &fd, &got);
	_cleanup_free_ char *m = NULL;

	switch (t) {
	case TRY_OK: {
		struct ent en = { .x = x, .max = x->lim->max_file_bytes };
		if (ent_account(&en, (size_t)got) < 0) {
			close(fd);
			record_refused(x, clean, got, PROB_LIMIT, "not read: expanding it went over a limit (see the archive)");
			return;
		}
		x->entries_out++;
		x->n_decrypted++;
		lseek(fd, 0, SEEK_SET);
		struct byte_range rg = { fd, 0, NULL };
		struct byte_src s = { .read = fd_read, .ud = &fd, .range = &rg };
		walk_entry(w, rel, got, &s, fd, x->where);
		close(fd);
		return;
	}
	case TRY_STOP:
		return;                /* the archive stops; record_stop() says why */
	case TRY_UNSUPPORTED:
		x->n_unsupported++;
		m = xasprintf("archive entry \"%s\" is encrypted in a way ingestd cannot open, even with a password; ask "
		              "for a copy without a password, or a zip", clean);
		break;
	case TRY_IO:
		m = xasprintf("archive entry \"%s\" is encrypted and could not be read to try the passwords of case.yaml; "
		              "ask for a copy without a password", clean);
		break;
	case TRY_UNSURE:
		m = xasprintf("archive entry \"%s\" is encrypted: a password of case.yaml passed the archive's quick check "
		              "but did not decrypt it cleanly, and this archive (inside another) can be read only once, so "
		              "the other passwords were not tried. Ask for the archive on its own, or a copy without a "
		              "password", clean);
		break;
	case TRY_WRONG:
		m = xasprintf("archive entry \"%s\" is encrypted and none of the %d password%s in case.yaml opens it; ask "
		              "the patient for the right password or a copy without one", clean, x->n_passwords,
		              x->n_passwords == 1 ? "" : "s");
		break;
	}
	if (t != TRY_UNSUPPORTED)
		x->n_encrypted++;
	record_refused(x, clean, size, PROB_ENCRYPTED, m);
}

void xarc_passwords_close(struct xarc *x)
{
	for (size_t i = 0; x->readers && i < x->pw.n; i++) {
		pwr_close(&x->readers[i]);
		free(x->readers[i].buf);
	}
	free(x->readers);
	x->readers = NULL;
	for (size_t i = 0; i < x->pw.n; i++)
		explicit_bzero(x->pw.v[i], strlen(x->pw.v[i]));
	ptrvec_free(&x->pw, free);
	x->pw_next = 0;
	x->pw_last = 0;
	x->n_passwords = 0;
}
