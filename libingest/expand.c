/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Expansion: archives and disc images, opened in one streaming pass.
 *
 * An archive that is a file of the drop is mapped read-only and given to
 * libarchive as one block: it reads its directories and headers there, and
 * an entry stored as it is (ISO 9660, tar, stored zip) comes back as a
 * pointer into the map. Its bytes are not touched through the map (on these
 * VMs a page fault costs more than copying the page, sink.c): the entry goes
 * on as a range of the file (struct byte_range), read with pread() by the
 * scan for its head and by whichever thread hashes and writes the rest. What
 * is never read (a viewer's files on a disc) is not read at all. Where no
 * map can be made the file is read with pread() into the sink's slabs
 * (sin_read()). An archive inside another is read from memory when it lies
 * in the map or was taken whole, else pulled through xin_read() from the
 * outer entry's stream. Entries whose bytes libarchive makes (inflated,
 * decoded) come out through ent_gather()/ent_read() into scan_entry(): in a
 * slab they are handed on as they lie, else copied once into the sink's
 * memory. Nothing is ever extracted to disk.
 *
 * Formats that need random access (7z; zip when the streaming reader cannot
 * read it; UDF disc images through libudfread) use the file descriptor when
 * the archive is a file of the drop, else the stream is spooled to a memfd
 * first, bounded by max_file_bytes.
 *
 * Hostile entries are recorded, never followed: names with ".." or absolute
 * paths, links, devices and FIFOs become `unsafe` problems on records of
 * their own; expanded bytes (per drop, all levels: against max_total_bytes
 * and the drop's own size, walk.h), bytes per entry, the expansion ratio
 * (per archive, checked while streaming), entries, time, nesting depth and
 * path length are bounded by struct ing_limits.
 */
#include <archive_entry.h>
#include <fcntl.h>
#include <iconv.h>
#include <locale.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "caseyaml.h"
#include "expand-private.h"
#include "identify.h"

/* ---- records ---- */

void record_refused(struct xarc *x, const char *name, uint64_t size, enum ing_problem p, const char *why)
{
	_cleanup_free_ char *rel = xasprintf("%s%s", x->prefix, name);
	struct ing_file *f = case_add_file(x->w->scan, rel, size);
	f->kind = KIND_UNKNOWN;
	f->evidence = xstrdup("archive entry not read");
	file_set_problem(f, p, "%s", why);
}

/* Replace whatever problem a record got (e.g. "unreadable" from a stopped stream). */
static void record_force_problem(struct ing_file *f, enum ing_problem p, char *msg)
{
	free(f->problem_msg);
	f->problem = PROB_NONE;
	f->problem_msg = NULL;
	file_set_problem(f, p, "%s", msg);
	free(msg);
}

bool entries_exhausted(struct xarc *x, const char *name)
{
	struct walk *w = x->w;
	if (++w->entries <= x->lim->max_entries)
		return false;
	if (!w->entries_reported) {
		_cleanup_free_ char *rel = xasprintf("%s%s", x->prefix, name);
		struct ing_file *f = case_add_file(w->scan, rel, 0);
		f->evidence = xstrdup("not read: the drop holds too many files");
		file_set_problem(f, PROB_LIMIT, "the drop holds more than %llu files (archives included); the rest were "
		                 "not read. Split the drop.", (unsigned long long)x->lim->max_entries);
		w->entries_reported = true;
	}
	x->stop = STOP_ENTRIES;
	return true;
}

/* ---- names ---- */

static bool utf8_valid(const char *s)
{
	_cleanup_free_ char *t = utf8_sanitize(s, strlen(s));
	return strcmp(s, t) == 0;
}

/* Names from zips without the UTF-8 flag are CP437 (DOS); convert for display. */
static char *from_cp437(const char *raw)
{
	iconv_t cd = iconv_open("UTF-8", "CP437");
	if (cd == (iconv_t)-1)
		return NULL;
	size_t inl = strlen(raw), outl = inl * 4 + 1;
	char *out = xmalloc(outl), *in = (char *)raw, *o = out;
	if (iconv(cd, &in, &inl, &o, &outl) == (size_t)-1) {
		iconv_close(cd);
		free(out);
		return NULL;
	}
	*o = 0;
	iconv_close(cd);
	return out;
}

/* Display name (UTF-8) of an entry, and its original bytes when they differ. */
static char *entry_name(struct xarc *x, struct archive_entry *e, char **raw)
{
	const char *u = archive_entry_pathname_utf8(e);
	const char *m = archive_entry_pathname(e);
	char *s;

	*raw = NULL;
	if (u && utf8_valid(u))
		return xstrdup(u);
	if (!m)
		return xstrdup(u ? u : "");
	if (utf8_valid(m))
		return xstrdup(m);
	*raw = xstrdup(m);
	if (x->is_zip && (s = from_cp437(m)))
		return s;
	return utf8_sanitize(m, strlen(m));
}

/* Normalise an entry name: '\' is a separator too (Windows-made zips), "." and
 * empty components go. Returns NULL (and why) when the name would leave the
 * archive: absolute, a drive letter, or a ".." component. */
static char *entry_clean(const char *name, const char **why)
{
	size_t len = strlen(name);
	char *out = xmalloc(len + 1), *o = out;
	const char *p = name;

	if (name[0] == '/' || name[0] == '\\' ||
	    (((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[1] == ':')) {
		*why = "an absolute path";
		free(out);
		return NULL;
	}
	while (*p) {
		size_t k = strcspn(p, "/\\");
		if (k == 2 && p[0] == '.' && p[1] == '.') {
			*why = "a \"..\" component that climbs out of the archive";
			free(out);
			return NULL;
		}
		if (k > 0 && !(k == 1 && p[0] == '.')) {
			if (o != out)
				*o++ = '/';
			memcpy(o, p, k);
			o += k;
		}
		p += k;
		if (*p)
			p++;
	}
	*o = 0;
	return out;
}

/* ---- the libarchive loop ---- */

static bool msg_has(const char *m, const char *s)
{
	return m && strcasestr(m, s);
}

/* What a libarchive error message says went wrong. OPENED: archive_read_open1()
 * succeeded. Fuzzing (tests/fuzz/fuzz-expand/crash-seekable-open-failed):
 * after a failed open libarchive leaves a->format pointing past its format
 * table (choose_format() walks it), so archive_read_has_encrypted_entries()
 * then jumps through garbage; ask it only of an opened archive. */
static enum ing_problem classify_error(struct archive *a, bool opened)
{
	const char *m = archive_error_string(a);
	if ((opened && archive_read_has_encrypted_entries(a) > 0) || msg_has(m, "encrypt") || msg_has(m, "passphrase") ||
	    msg_has(m, "password"))
		return PROB_ENCRYPTED;
	if (msg_has(m, "truncat") || msg_has(m, "premature") || msg_has(m, "unexpected end") ||
	    msg_has(m, "end of file") || msg_has(m, "eof"))
		return PROB_TRUNCATED;
	return PROB_CORRUPT;
}


const char *arc_base(const struct ing_file *arc)
{
	return arc->path[0] ? path_basename(arc->path) : "archive";
}

/* Single compressed file (libarchive "raw"): the entry is named after the archive minus its suffix. */
static char *raw_entry_name(const struct ing_file *arc)
{
	static const char *const sfx[] = { ".gz", ".xz", ".zst", ".bz2", ".lz", ".lzma", ".z", ".lz4", ".tgz" };
	const char *b = arc_base(arc);
	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++)
		if (str_has_suffix_ci(b, sfx[i]) && strlen(b) > strlen(sfx[i])) {
			if (strcmp(sfx[i], ".tgz") == 0)
				return xasprintf("%.*s.tar", (int)(strlen(b) - 4), b);
			return xstrndup(b, strlen(b) - strlen(sfx[i]));
		}
	return xasprintf("%s.out", b);
}

/* An entry whose size is not known up front (streamed zips with a data
 * descriptor, single compressed files) is spooled to a memfd, bounded by
 * max_file_bytes, and scanned from there with its size known. */
static void scan_unsized(struct xarc *x, const char *rel, struct ent *en)
{
	struct walk *w = x->w;
	uint8_t *b = w->chunk;
	int fd = memfd_create("ingest-entry", MFD_CLOEXEC);
	ssize_t r;

	if (fd < 0) {
		struct ing_file *f = case_add_file(w->scan, rel, 0);
		file_set_problem(f, PROB_UNREADABLE, "the archive entry could not be buffered (%s)", strerror(errno));
		return;
	}
	/* w->chunk is free here: scan_entry() below has not started. */
	while ((r = ent_read(en, b, WALK_CHUNK_BYTES)) > 0)
		if (write(fd, b, (size_t)r) != r) {
			r = -EIO;
			break;
		}
	uint64_t size = en->got;
	if (r < 0) {
		struct ing_file *f = case_add_file(w->scan, rel, size);
		if (r == -E2BIG)
			file_set_problem(f, PROB_LIMIT, "not read: expanding it went over a limit (see the archive)");
		else
			file_set_problem(f, PROB_UNREADABLE, "the archive entry could not be read after %llu bytes",
			                 (unsigned long long)size);
		close(fd);
		return;
	}
	lseek(fd, 0, SEEK_SET);
	struct byte_range rg = { fd, 0, NULL };
	struct byte_src s = { .read = fd_read, .ud = &fd, .range = &rg };
	walk_entry(w, rel, size, &s, fd, x->where);
	close(fd);
}


static void scan_one(struct xarc *x, struct archive_entry *e)
{
	struct walk *w = x->w;
	const struct ing_limits *lim = x->lim;
	_cleanup_free_ char *raw = NULL, *name = NULL, *clean = NULL, *rel = NULL;
	const char *why = NULL;
	mode_t type = archive_entry_filetype(e);
	uint64_t size = archive_entry_size_is_set(e) && archive_entry_size(e) >= 0 ? (uint64_t)archive_entry_size(e) : 0;

	/* The format is known for sure once a header has been read. */
	x->is_zip = (archive_format(x->a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP;
	if (archive_format(x->a) == ARCHIVE_FORMAT_RAW)
		name = raw_entry_name(x->arc);
	else
		name = entry_name(x, e, &raw);
	if (type == AE_IFDIR)
		return;
	if (entries_exhausted(x, name))
		return;

	if (!name[0] && type != AE_IFDIR) {
		/* libarchive could not give the name in any form: never dropped silently */
		_cleanup_free_ char *m = xasprintf("entry %llu of \"%s\" has a name that could not be read; it was not "
		                                   "extracted: ask for a new copy of the archive",
		                                   (unsigned long long)x->hdr_index, arc_base(x->arc));
		_cleanup_free_ char *label = xasprintf("(entry %llu, name unreadable)", (unsigned long long)x->hdr_index);
		record_refused(x, label, size, PROB_CORRUPT, m);
		return;
	}
	clean = entry_clean(name, &why);
	if (!clean) {
		x->n_unsafe++;
		_cleanup_free_ char *m = xasprintf("archive entry \"%s\" has %s: refused, never extracted", name, why);
		record_refused(x, name, size, PROB_UNSAFE, m);
		return;
	}
	if (!clean[0])
		return;
	for (size_t i = 0; i < x->links.n; i++) {
		size_t k = strlen(x->links.v[i]);
		if (strncmp(clean, x->links.v[i], k) == 0 && clean[k] == '/') {
			_cleanup_free_ char *m = xasprintf("archive entry \"%s\" lies under the link \"%s\": refused, links "
			                                   "are never followed", clean, (char *)x->links.v[i]);
			x->n_unsafe++;
			record_refused(x, clean, size, PROB_UNSAFE, m);
			return;
		}
	}
	if (archive_entry_hardlink(e) || type == AE_IFLNK) {
		ptrvec_push(&x->links, xstrdup(clean));
		const char *t = archive_entry_hardlink(e) ? archive_entry_hardlink_utf8(e) : archive_entry_symlink_utf8(e);
		if (!t)
			t = archive_entry_hardlink(e) ? archive_entry_hardlink(e) : archive_entry_symlink(e);
		_cleanup_free_ char *ts = t ? utf8_sanitize(t, strlen(t)) : xstrdup("?");
		_cleanup_free_ char *m = xasprintf("archive entry \"%s\" is a %s link to \"%s\": links are never created "
		                                   "or followed", clean, archive_entry_hardlink(e) ? "hard" : "symbolic", ts);
		x->n_unsafe++;
		record_refused(x, clean, 0, PROB_UNSAFE, m);
		return;
	}
	if (type != AE_IFREG && type != 0) {
		_cleanup_free_ char *m = xasprintf("archive entry \"%s\" is a device, socket or FIFO: not read", clean);
		x->n_unsafe++;
		record_refused(x, clean, 0, PROB_UNSAFE, m);
		return;
	}
	rel = xasprintf("%s%s", x->prefix, clean);
	if (strlen(rel) > lim->max_path_bytes) {
		_cleanup_free_ char *m = xasprintf("the path is longer than %u bytes; not read", lim->max_path_bytes);
		record_refused(x, clean, size, PROB_LIMIT, m);
		return;
	}
	if (archive_entry_is_encrypted(e) && xarc_load_passwords(x) <= 0) {
		_cleanup_free_ char *m = xasprintf("archive entry \"%s\" is encrypted; ask for the password (case.yaml, "
		                                   "passwords) or a copy without one", clean);
		x->n_encrypted++;
		record_refused(x, clean, size, PROB_ENCRYPTED, m);
		return;
	}
	/* A size declared past max_total_bytes is not read (this archive
	 * stops). The drop's ratio bound is checked on the bytes as they come
	 * out (a declared size may lie, and the archive's own ratio, which
	 * strikes sooner for a bomb of one level, is then reported first). */
	if (w->expanded_bytes + size > lim->max_total_bytes) {
		x->stop = STOP_TOTAL;
		return;
	}

	/* decrypted into a memfd and checked before the scan sees it (expand-pw.c) */
	if (archive_entry_is_encrypted(e)) {
		size_t at = w->scan->files.n;
		xarc_scan_encrypted(x, e, clean, rel, size);
		struct ing_file *f = at < w->scan->files.n ? w->scan->files.v[at] : NULL;
		if (raw && f && !f->raw_path)
			f->raw_path = steal_ptr(raw);
		return;
	}

	struct ent en = { .x = x, .max = lim->max_file_bytes };
	size_t idx = w->scan->files.n;
	struct sink_segs ahead = { 0 };
	bool own = false, took = false;
	x->entries_out++;
	if (x->par && x->par_rec >= 0 && zpar_take(x->par, (size_t)x->par_rec, &ahead, &own)) {
		took = true;
		if (ahead.bytes != size) {
			zpar_done(x->par, (size_t)ahead.bytes, own);
			segs_release(w->sink, &ahead);
			took = false;
		}
	}
	if (took) {
		/* inflated ahead (on the other thread, or just now): counted against the limits here */
		size_t len = (size_t)ahead.bytes;
		if (ent_account(&en, len) >= 0) {
			struct byte_src s = { .gather = ahead_gather, .read = ahead_read, .ud = &ahead };
			en.eof = true;
			walk_entry(w, rel, size, &s, -1, x->where);
		}
		zpar_done(x->par, len, own);
		segs_release(w->sink, &ahead);       /* what scan_entry did not take */
	} else if (!archive_entry_size_is_set(e)) {
		scan_unsized(x, rel, &en);
	} else {
		struct byte_src s = { .gather = ent_gather, .read = ent_read, .ud = &en };
		struct byte_range rg;
		/* Stored as it is in a mapped file: its bytes are a range of that
		 * file, read there (not through the map) when they are needed. */
		if (x->map_fd >= 0 && size > 0 && size <= lim->max_file_bytes && ent_next_block(&en) > 0 &&
		    en.blk_off == 0 && en.blk_len == size && en.blk >= x->map && en.blk + size <= x->map + x->map_len &&
		    ent_account(&en, (size_t)size) >= 0) {
			rg = (struct byte_range){ x->map_fd, x->map_off + (uint64_t)(en.blk - x->map), en.blk };
			en.blk_pos = en.blk_len;
			en.eof = true;
			s.range = &rg;
		}
		walk_entry(w, rel, size, &s, -1, x->where);
	}
	/* The scan read the bytes the header declares: one more says whether the
	 * entry ends there (a zip can declare 1 byte and inflate to a GiB, and
	 * libarchive would skip the rest in silence). Only that one is read. */
	bool longer = false;
	if (!took && archive_entry_size_is_set(e) && !en.eof && !en.failed && !en.over && x->stop == STOP_NONE &&
	    en.got >= size) {
		uint8_t c;
		longer = en.got > size || ent_read(&en, &c, 1) > 0;
	}
	if (idx >= w->scan->files.n)
		return;
	struct ing_file *f = w->scan->files.v[idx];
	if (raw && !f->raw_path)
		f->raw_path = steal_ptr(raw);
	if (en.failed) {
		/* (encrypted entries do not come here: xarc_scan_encrypted()) */
		const char *m = archive_error_string(x->a);
		enum ing_problem p = classify_error(x->a, false);
		_cleanup_free_ char *ms = utf8_sanitize(m ? m : "damaged", strlen(m ? m : "damaged"));
		record_force_problem(f, p, xasprintf("the archive entry could not be read to its end (%s)%s", ms,
		                     p == PROB_ENCRYPTED ? "; ask for a copy without a password" : "; ask for a new copy"));
	} else if (longer) {
		record_force_problem(f, PROB_CORRUPT, xasprintf("the archive says this entry is %llu byte%s but it holds "
		                     "more: the archive is damaged or crafted; only the bytes it declares were kept. "
		                     "Ask for a new copy", (unsigned long long)size, size == 1 ? "" : "s"));
	} else if (en.warned) {
		const char *m = archive_error_string(x->a);
		_cleanup_free_ char *ms = utf8_sanitize(m ? m : "damaged", strlen(m ? m : "damaged"));
		record_force_problem(f, PROB_CORRUPT, xasprintf("the archive entry is damaged (%s): its bytes were kept, "
		                     "but ask for a new copy of the archive", ms));
	} else if ((x->stop == STOP_RATIO || x->stop == STOP_TOTAL || x->stop == STOP_ENTRY || x->stop == STOP_TIME) &&
	           !(f->kind == KIND_ARCHIVE && f->problem == PROB_LIMIT)) {
		/* (an archive inside that hit the limit itself says which, with the numbers) */
		record_force_problem(f, PROB_LIMIT, xasprintf("reading stopped: expanding it went over a limit (%s)",
		                     x->stop == STOP_RATIO ? "expansion ratio" :
		                     x->stop == STOP_TOTAL ? "bytes the drop may expand to" :
		                     x->stop == STOP_TIME ? "time to read the drop" : "bytes per file"));
	}
}

/* A libarchive failure: record it on the archive with plain words. OPENED:
 * the failure came after archive_read_open1() succeeded. */
static void record_failure(struct xarc *x, const char *when, bool opened)
{
	const char *m = archive_error_string(x->a);
	_cleanup_free_ char *ms = m ? utf8_sanitize(m, strlen(m)) : xstrdup("unknown error");
	struct ing_file *arc = x->arc;
	enum ing_problem p = classify_error(x->a, opened);

	if (x->stop == STOP_SRC) {
		file_set_problem(arc, PROB_UNREADABLE, "reading the archive failed (%s)", ing_strerror(x->src_err));
	} else if (p == PROB_ENCRYPTED && msg_has(m, "not supported")) {
		file_set_problem(arc, PROB_ENCRYPTED, "\"%s\" is encrypted in a way ingestd cannot open, even with a password "
		                 "(%s); ask for a copy without a password, or a zip", arc_base(arc), ms);
	} else if (p == PROB_ENCRYPTED) {
		file_set_problem(arc, PROB_ENCRYPTED, "\"%s\" is encrypted (%s); ask for a copy without a password",
		                 arc_base(arc), ms);
	} else if (p == PROB_TRUNCATED) {
		file_set_problem(arc, PROB_TRUNCATED, "\"%s\" is cut short %s (%s); %llu entries before the damage were "
		                 "read. Ask for a new copy.", arc_base(arc), when, ms, (unsigned long long)x->entries_out);
	} else {
		file_set_problem(arc, PROB_CORRUPT, "\"%s\" is damaged %s (%s); %llu entries before the damage were read. "
		                 "Ask for a new copy.", arc_base(arc), when, ms, (unsigned long long)x->entries_out);
	}
}

void record_stop(struct xarc *x)
{
	const struct ing_limits *lim = x->lim;
	struct ing_file *arc = x->arc;

	switch (x->stop) {
	case STOP_RATIO:
		file_set_problem(arc, PROB_LIMIT, "\"%s\" expands more than %u times its size (a decompression bomb?); "
		                 "expansion stopped after %llu bytes", arc_base(arc), lim->max_ratio,
		                 (unsigned long long)x->expanded);
		break;
	case STOP_TOTAL: {
		_cleanup_free_ char *m = walk_expand_budget_msg(x->w, arc_base(arc));
		file_set_problem(arc, PROB_LIMIT, "%s", m);
		break;
	}
	case STOP_TIME:
		walk_time_problem(x->w, arc, NULL);
		break;
	case STOP_ENTRY:
		file_set_problem(arc, PROB_LIMIT, "an entry of \"%s\" is larger than the per-file limit of %llu bytes; "
		                 "expansion stopped", arc_base(arc), (unsigned long long)lim->max_file_bytes);
		break;
	case STOP_ENTRIES:
		file_set_problem(arc, PROB_LIMIT, "\"%s\" holds more entries than the drop may (%llu); the rest were not read",
		                 arc_base(arc), (unsigned long long)lim->max_entries);
		break;
	case STOP_SRC:
		file_set_problem(arc, PROB_UNREADABLE, "reading the archive failed (%s)", ing_strerror(x->src_err));
		break;
	case STOP_NONE:
		break;
	}
}

static struct archive *archive_new_stream(void)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_zip_streamable(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_raw(a);
	return a;
}

struct archive *xarc_new_seekable(void)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_zip_seekable(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_tar(a);
	return a;
}

/* Entries out of an opened archive until the end, damage or a limit. */
static void run_entries(struct xarc *x)
{
	struct archive_entry *e;
	int r;

	for (;;) {
		/* an archive inside spent the drop's budget: this one stops too */
		if (x->stop == STOP_NONE && x->w->spent != WALK_SPENT_NONE)
			x->stop = x->w->spent == WALK_SPENT_TIME ? STOP_TIME : STOP_TOTAL;
		if (x->stop != STOP_NONE)
			break;
		r = archive_read_next_header(x->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_RETRY)
			continue;
		if (r == ARCHIVE_FATAL) {
			if (x->stop == STOP_NONE)
				record_failure(x, x->entries_out ? "part-way" : "at its start", true);
			break;
		}
		x->hdr_index++;
		x->par_rec = x->par ? zpar_at(x->par, x->hdr_index - 1, e) : -1;
		scan_one(x, e);
		map_release(x);
	}
	record_stop(x);
	if (x->n_encrypted && x->n_passwords > 0)
		file_set_problem(x->arc, PROB_ENCRYPTED, "\"%s\" holds %u encrypted entries that none of the %d password%s "
		                 "in case.yaml opens; ask the patient for the right password or a copy without one",
		                 arc_base(x->arc), x->n_encrypted, x->n_passwords, x->n_passwords == 1 ? "" : "s");
	else if (x->n_encrypted)
		file_set_problem(x->arc, PROB_ENCRYPTED, "\"%s\" holds %u encrypted entries that could not be read; ask "
		                 "for the password (case.yaml, passwords) or a copy without one", arc_base(x->arc),
		                 x->n_encrypted);
	if (x->n_unsupported)
		file_set_problem(x->arc, PROB_ENCRYPTED, "\"%s\" holds %u entries encrypted in a way ingestd cannot open, "
		                 "even with a password; ask for a copy without a password, or a zip", arc_base(x->arc),
		                 x->n_unsupported);
	if (x->n_decrypted)
		log_info(x->w->scan->ctx, "case %s: %u encrypted entr%s opened with a password of case.yaml",
		         x->w->scan->case_id, x->n_decrypted, x->n_decrypted == 1 ? "y" : "ies");
	if (x->n_unsafe)
		file_set_problem(x->arc, PROB_UNSAFE, "\"%s\" holds %u unsafe entries (links, paths leaving the archive, "
		                 "devices); they were refused", arc_base(x->arc), x->n_unsafe);
}

/* ---- random access: fd, or the stream spooled to a memfd ---- */

/* The remaining stream into a memfd (head first). */
static int spool_stream(struct xarc *x, uint64_t *size)
{
	int fd = memfd_create("ingest-archive", MFD_CLOEXEC);
	uint64_t total = x->n;
	if (fd < 0)
		return -errno;
	if (write(fd, x->head, x->n) != (ssize_t)x->n)
		goto fail;
	for (;;) {
		ssize_t r = x->src->read(x->src->ud, xarc_buf(x), XIN_CHUNK);
		if (r < 0) {
			x->src_err = (int)r;
			x->stop = STOP_SRC;
			close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		*x->consumed += (uint64_t)r;
		total += (uint64_t)r;
		if (total > x->lim->max_file_bytes) {
			close(fd);
			return -E2BIG;
		}
		if (write(fd, x->buf, (size_t)r) != r)
			goto fail;
	}
	*size = total;
	return fd;
fail:
	close(fd);
	return -EIO;
}

/* libarchive's reader goes, and with it its hold on the slab it read. */
static void xarc_close(struct xarc *x)
{
	archive_read_free(x->a);
	x->a = NULL;
	xarc_passwords_close(x);
	sink_slab_put(x->w->sink, x->cur);
	x->cur = NULL;
}

static void run_seekable(struct xarc *x, int fd, uint64_t size)
{
	if (fd != x->sfd)
		x->sbase = 0;          /* a spool: from its start */
	x->sfd = fd;
	x->spos = 0;
	x->ssize = size;
	x->seekable = true;
	x->a = xarc_new_seekable();
	archive_read_set_passphrase_callback(x->a, x, xarc_pw_callback);
	archive_read_set_read_callback(x->a, sin_read);
	archive_read_set_seek_callback(x->a, sin_seek);
	archive_read_set_skip_callback(x->a, sin_skip);
	archive_read_set_callback_data(x->a, x);
	if (archive_read_open1(x->a) != ARCHIVE_OK)
		record_failure(x, "at its start", false);
	else
		run_entries(x);
	xarc_close(x);
	x->seekable = false;
}

static bool is_7z(const uint8_t *head, size_t n)
{
	return n >= 6 && !memcmp(head, "7z\xbc\xaf\x27\x1c", 6);
}

/* Random access for a format that needs it: the drop's fd, else a spool. */
static void with_random_access(struct xarc *x, int fd, bool udf)
{
	uint64_t size = x->arc->size;
	int spool = -1;

	if (x->map && !udf) {
		run_seekable(x, -1, x->map_len);
		return;
	}
	if (fd < 0 && x->map) {
		/* libudfread reads a file: the image in memory into a memfd */
		spool = memfd_create("ingest-archive", MFD_CLOEXEC);
		if (spool >= 0 && write_all(spool, x->map, x->map_len) < 0) {
			close(spool);
			spool = -1;
		}
		if (spool < 0) {
			file_set_problem(x->arc, PROB_UNREADABLE, "\"%s\" could not be buffered for reading", arc_base(x->arc));
			return;
		}
		fd = spool;
	} else if (fd < 0) {
		spool = spool_stream(x, &size);
		if (spool < 0) {
			if (spool == -E2BIG)
				file_set_problem(x->arc, PROB_LIMIT, "\"%s\" is larger than the per-file limit; not opened",
				                 arc_base(x->arc));
			else
				file_set_problem(x->arc, PROB_UNREADABLE, "\"%s\" could not be buffered for reading (%s)",
				                 arc_base(x->arc), ing_strerror(spool));
			return;
		}
		fd = spool;
	}
	if (udf)
		run_udf(x, fd, size);
	else
		run_seekable(x, fd, size);
	if (spool >= 0)
		close(spool);
}

/* libarchive converts entry names to the current locale's charset; in the C
 * locale a name flagged UTF-8 (zip bit 11, pax) fails to convert and comes
 * back as NULL. Expansion runs with a UTF-8 LC_CTYPE for this thread only
 * (uselocale: the process's locale is not ours to change). */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int expand_archive(struct walk *w, struct ing_file *archive, const uint8_t *head, size_t n,
                   struct byte_src *src, const struct arc_in *in, uint64_t *consumed,
                   const struct ident_where *where)
{
	const struct ing_limits *lim = &w->scan->ctx->limits;
	/* A drop that is one archive or disc image (inbox/CASE.zip): its entries
	 * are the drop's files, named from the archive's root. */
	bool drop_root = !archive->path[0] || (w->drop_is_file && w->depth == 0);
	_cleanup_free_ char *prefix = drop_root ? xstrdup("") : xasprintf("%s!/", archive->path);
	struct xarc x = {
		.w = w, .arc = archive, .prefix = prefix, .where = where, .lim = lim,
		.head = head, .n = n, .src = src, .consumed = consumed,
		.tee = -1, .sfd = -1, .map_fd = -1,
	};
	int r = 0;
	/* fd: the archive as a file from its start (7z, UDF and zip's index read it there) */
	int fd = in && in->fd >= 0 && in->off == 0 ? in->fd : -1;

	if (w->depth >= lim->max_depth) {
		file_set_problem(archive, PROB_LIMIT, "archives nested more than %u deep; \"%s\" was not opened",
		                 lim->max_depth, arc_base(archive));
		return 0;
	}
	/* The drop's budget is spent: no more archive is opened. */
	if (w->spent == WALK_SPENT_TIME || walk_out_of_time(w)) {
		walk_time_problem(w, archive, NULL);
		file_set_problem(archive, PROB_LIMIT, "not opened: the drop's time ran out (limits.max_drop_seconds)");
		return 0;
	}
	if (w->spent == WALK_SPENT_BYTES) {
		_cleanup_free_ char *m = walk_expand_budget_msg(w, arc_base(archive));
		file_set_problem(archive, PROB_LIMIT, "not opened: %s", m);
		return 0;
	}
	w->depth++;
	pthread_once(&utf8_once, utf8_locale_init);
	locale_t saved_locale = utf8_locale ? uselocale(utf8_locale) : (locale_t)0;

	/* In memory, or a file (mapped here for libarchive's reading of its
	 * structure; where that fails, read with pread() into slabs): what the
	 * scan did not read of it is not read through the stream any more. */
	if (in && in->mem) {
		x.map = in->mem;
		x.map_len = (size_t)archive->size;
		x.map_fd = in->fd;
		x.map_off = in->off;
	} else if (in && in->fd >= 0 && archive->size > 0 && archive->size <= SIZE_MAX) {
		void *m = in->off % (uint64_t)sysconf(_SC_PAGESIZE) ? MAP_FAILED :
		          mmap(NULL, (size_t)archive->size, PROT_READ, MAP_PRIVATE, in->fd, (off_t)in->off);
		if (m != MAP_FAILED) {
			x.map = m;
			x.map_len = (size_t)archive->size;
			x.map_owned = true;
			x.map_fd = in->fd;
			x.map_off = in->off;
		}
	}
	if (x.map || (in && in->fd >= 0))
		*consumed = archive->size - n;
	if (!x.map && in && in->fd >= 0) {
		x.sfd = in->fd;
		x.sbase = in->off;
	}

	if (is_7z(head, n) || is_udf_only(head, n)) {
		with_random_access(&x, fd, !is_7z(head, n));
		goto out;
	}

	/* A zip with its central directory: read with the seekable reader,
	 * deflated entries inflated by libdeflate on both cores (struct zpar). */
	if ((x.map || fd >= 0) && zip_has_eocd(head, n, x.map, fd, archive->size)) {
		/* the index reads the zip's file where there is one (not through the map) */
		x.par = zpar_start(w, fd >= 0 ? NULL : x.map, fd, archive->size, (size_t)lim->hash_pending_bytes / 4,
		                   lim->max_entries);
		if (x.par) {
			run_seekable(&x, x.map ? -1 : fd, archive->size);
			/* no names here: an archive's name may be a patient's */
			ing_log(w->scan->ctx, ING_LOG_DEBUG, "zip: %llu entries, %u inflated with libdeflate (%u of them "
			        "on the second core), the rest read through libarchive",
			        (unsigned long long)x.entries_out, x.par->n_ahead + x.par->n_own, x.par->n_ahead);
			size_t shared = x.par->idx.shared;
			zpar_stop(x.par);
			x.par = NULL;
			if (x.entries_out > 0 || archive->problem != PROB_CORRUPT) {
				if (shared)
					file_set_problem(archive, PROB_CORRUPT, "\"%s\" lists %zu entries that share their data "
					                 "with other entries (overlapping entries, the way zip bombs are built); "
					                 "they were not used. The archive is damaged or crafted: ask for a new "
					                 "copy", arc_base(archive), shared);
				goto out;
			}
			/* the seekable reader refused it at its start: stream it as before */
			free(archive->problem_msg);
			archive->problem_msg = NULL;
			archive->problem = PROB_NONE;
			x.map_fed = false;
			x.hdr_index = 0;
		}
	}

	/* A zip that the streaming reader refuses at its start is retried with
	 * random access: keep a copy of what was pulled until the first entry. */
	if (n >= 4 && !memcmp(head, "PK", 2) && fd < 0 && !x.map)
		x.tee = memfd_create("ingest-zip-start", MFD_CLOEXEC);

	x.a = archive_new_stream();
	archive_read_set_passphrase_callback(x.a, &x, xarc_pw_callback);
	if (x.sfd >= 0 && !x.map) {
		/* a file that could not be mapped: read where libarchive asks, skipping what it skips */
		x.spos = 0;
		x.ssize = archive->size;
		archive_read_set_read_callback(x.a, sin_read);
		archive_read_set_seek_callback(x.a, sin_seek);
		archive_read_set_skip_callback(x.a, sin_skip);
	} else {
		archive_read_set_read_callback(x.a, xin_read);
	}
	archive_read_set_callback_data(x.a, &x);
	if (archive_read_open1(x.a) != ARCHIVE_OK) {
		xarc_close(&x);
		r = -ENOTSUP;
		goto out;
	}
	/* "raw" takes anything: only a compressed single file counts as an archive. */
	if (archive_format(x.a) == ARCHIVE_FORMAT_RAW && archive_filter_count(x.a) <= 1) {
		xarc_close(&x);
		r = -ENOTSUP;
		goto out;
	}
	run_entries(&x);
	bool retry = (x.is_zip || (archive_format(x.a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP) &&
	             x.entries_out == 0 && (archive->problem == PROB_CORRUPT) && x.stop == STOP_NONE;
	xarc_close(&x);

	if (retry && x.map) {
		free(archive->problem_msg);
		archive->problem_msg = NULL;
		archive->problem = PROB_NONE;
		x.map_fed = false;
		run_seekable(&x, -1, x.map_len);
	} else if (retry && (fd >= 0 || x.sfd >= 0 || (x.tee >= 0 && !x.tee_failed))) {
		int sfd = x.sfd >= 0 ? x.sfd : fd;
		uint64_t size = archive->size;
		if (sfd < 0) {
			/* The spool: what was pulled so far (the tee), then the rest of the stream. */
			ssize_t k;
			while (!x.src_eof && (k = src->read(src->ud, xarc_buf(&x), XIN_CHUNK)) > 0) {
				*consumed += (uint64_t)k;
				if (write(x.tee, x.buf, (size_t)k) != k || n + *consumed > lim->max_file_bytes) {
					x.tee_failed = true;
					break;
				}
			}
			sfd = x.tee;
			size = n + *consumed;
		}
		if (sfd != x.tee || !x.tee_failed) {
			free(archive->problem_msg);
			archive->problem_msg = NULL;
			archive->problem = PROB_NONE;
			run_seekable(&x, sfd, size);
		}
	}
out:
	free(x.buf);
	if (x.map_owned)
		munmap((void *)x.map, x.map_len);
	ptrvec_free(&x.links, free);
	if (x.tee >= 0)
		close(x.tee);
	if (saved_locale)
		uselocale(saved_locale);
	w->depth--;
	return r;
}
