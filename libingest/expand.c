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
 * their own; expanded bytes (per drop), bytes per entry, the expansion ratio
 * (per archive, checked while streaming), entries, nesting depth and path
 * length are bounded by struct ing_limits.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <pthread.h>
#include <iconv.h>
#include <libdeflate.h>
#include <locale.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <udfread/blockinput.h>
#include <udfread/udfread.h>

#include "case.h"
#include "expand.h"
#include "identify.h"
#include "sink.h"
#include "zipidx.h"

#define XIN_CHUNK (256u << 10)        /* bytes handed to libarchive per read callback */
#define UDF_SECTOR 2048u
#define MAP_RELEASE_STEP (8u << 20)   /* pages of a mapped archive are given back this many bytes at a time */

/* Why expansion of one archive stopped early. */
enum stop_reason {
	STOP_NONE = 0,
	STOP_RATIO,
	STOP_TOTAL,
	STOP_ENTRY,
	STOP_ENTRIES,
	STOP_SRC,          /* the outer stream failed */
};

/* One archive being expanded. */
struct xarc {
	struct walk *w;
	struct ing_file *arc;
	const char *prefix;            /* "<archive path>!/" or "" */
	const struct ident_where *where;
	const struct ing_limits *lim;

	/* input, streaming mode */
	const uint8_t *head;
	size_t n, head_pos;
	struct byte_src *src;
	uint64_t *consumed;
	uint8_t *buf;
	bool src_eof;
	int src_err;
	int tee;                       /* copy of the bytes pulled before the first entry, for a seekable retry */
	bool tee_failed;

	/* input, seekable mode: a file (the drop's, or a spool) read with
	 * pread() into the sink's slabs from sbase on, or the archive in memory (map) */
	int sfd;
	uint64_t sbase, spos, ssize;
	struct slab *cur;              /* the slab libarchive reads from now (its reference), or NULL */

	/* input, in memory: the whole archive (mapped, or an entry taken whole).
	 * libarchive gets it as one block, so entries stored as they are (ISO
	 * 9660, tar, stored zip members) come back as pointers into it. */
	const uint8_t *map;
	size_t map_len;
	bool map_fed;
	bool map_owned;                /* we mapped it: unmapped at the end */
	size_t released;               /* bytes at the start of the map handed back (MADV_DONTNEED) */
	int map_fd;                    /* map[i] is map_fd's byte map_off + i, or -1 (memory of ours) */
	uint64_t map_off;
	struct zpar *par;              /* deflated entries inflated with libdeflate, on both cores, or NULL */
	ssize_t par_rec;               /* the current entry in par's index, or -1 */
	uint64_t hdr_index;            /* headers read so far (the entry's number in the archive) */

	struct archive *a;
	uint64_t expanded;             /* entry bytes streamed out of this archive */
	uint64_t entries_out;          /* entries handed to scan_entry */
	enum stop_reason stop;
	bool is_zip;
	unsigned n_encrypted, n_unsafe;
	struct ptrvec links;           /* names of link entries: nothing is read "through" them */
};

static uint64_t xarc_pulled(const struct xarc *x)
{
	if (x->map)
		return x->map_len;
	return x->sfd >= 0 ? MAX(x->spos, (uint64_t)x->n) : x->n + *x->consumed;
}

/* The expansion ratio and the drop's total, checked each time bytes come out. */
static bool xarc_over_limits(struct xarc *x, uint64_t out_bytes)
{
	const struct ing_limits *lim = x->lim;
	uint64_t pulled = MAX(xarc_pulled(x), (uint64_t)1);

	if (x->w->expanded_bytes > lim->max_total_bytes) {
		x->stop = STOP_TOTAL;
		return true;
	}
	if (lim->max_ratio > 0 && out_bytes / pulled >= lim->max_ratio && out_bytes > (uint64_t)lim->max_ratio * pulled) {
		x->stop = STOP_RATIO;
		return true;
	}
	return false;
}

/* ---- input callbacks ---- */

/* The buffer a stream is read into, made when one is first read. */
static uint8_t *xarc_buf(struct xarc *x)
{
	if (!x->buf)
		x->buf = xmalloc(XIN_CHUNK);
	return x->buf;
}

static la_ssize_t xin_read(struct archive *a, void *ud, const void **out)
{
	struct xarc *x = ud;

	if (x->stop != STOP_NONE)
		return ARCHIVE_FATAL;
	/* Decompression filters (tar.gz, single .xz ...) expand before any entry
	 * is read: check the filter's output against what it was fed. */
	if (x->a) {
		la_int64_t fb = archive_filter_count(a) > 1 ? archive_filter_bytes(a, 0) : -1;
		if (fb > 0 && xarc_over_limits(x, MAX((uint64_t)fb, x->expanded))) {
			archive_set_error(a, E2BIG, "expansion limit reached");
			return ARCHIVE_FATAL;
		}
	}
	if (x->map) {
		if (x->map_fed)
			return 0;
		x->map_fed = true;
		*out = x->map;
		return (la_ssize_t)x->map_len;
	}
	if (x->head_pos < x->n) {
		*out = x->head + x->head_pos;
		size_t k = x->n - x->head_pos;
		x->head_pos = x->n;
		if (x->tee >= 0 && write(x->tee, *out, k) != (ssize_t)k)
			x->tee_failed = true;
		return (la_ssize_t)k;
	}
	if (x->src_eof)
		return 0;
	ssize_t r = x->src->read(x->src->ud, xarc_buf(x), XIN_CHUNK);
	if (r < 0) {
		x->src_err = (int)r;
		x->stop = STOP_SRC;
		archive_set_error(a, (int)-r, "reading the archive failed");
		return ARCHIVE_FATAL;
	}
	if (r == 0) {
		x->src_eof = true;
		return 0;
	}
	*x->consumed += (uint64_t)r;
	if (x->tee >= 0) {
		if (x->entries_out > 0 || (uint64_t)lseek(x->tee, 0, SEEK_CUR) + (uint64_t)r > x->lim->max_file_bytes) {
			close(x->tee);
			x->tee = -1;
		} else if (write(x->tee, x->buf, (size_t)r) != r) {
			x->tee_failed = true;
		}
	}
	*out = x->buf;
	return r;
}

static la_ssize_t sin_read(struct archive *a, void *ud, const void **out)
{
	struct xarc *x = ud;

	if (x->stop != STOP_NONE)
		return ARCHIVE_FATAL;
	if (x->spos >= x->ssize)
		return 0;
	if (x->map) {
		*out = x->map + x->spos;
		la_ssize_t k = (la_ssize_t)(x->ssize - x->spos);
		x->spos = x->ssize;
		return k;
	}
	/* libarchive is done with its last block: the slab stays only for the
	 * entries' bytes in it that were handed on */
	sink_slab_put(x->w->sink, x->cur);
	uint8_t *p = NULL;
	size_t cap = XIN_CHUNK;
	x->cur = sink_slab_get(x->w->sink, &p);
	if (!x->cur)
		p = xarc_buf(x);     /* every slab is held: read into our own buffer (copied on) */
	/* XIN_CHUNK either way: where the ratio limit strikes must not depend on
	 * which it was (how fast the other thread gave slabs back) */
	size_t want = (size_t)MIN((uint64_t)cap, x->ssize - x->spos);
	ssize_t r;
	do
		r = pread(x->sfd, p, want, (off_t)(x->sbase + x->spos));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		archive_set_error(a, errno, "reading the archive failed");
		return ARCHIVE_FATAL;
	}
	x->spos += (uint64_t)r;
	*out = p;
	return r;
}

/* Seek and skip over SIZE bytes of random-access input at *POS (libarchive's
 * callbacks for the drop's fd, a spool, or a map: sin_* and mem_* below). */
static la_int64_t pos_seek(uint64_t *pos, uint64_t size, la_int64_t off, int whence)
{
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)*pos : (int64_t)size;
	int64_t p = base + off;

	if (p < 0 || (uint64_t)p > size)
		return ARCHIVE_FATAL;
	*pos = (uint64_t)p;
	return p;
}

static la_int64_t pos_skip(uint64_t *pos, uint64_t size, la_int64_t req)
{
	uint64_t k = MIN((uint64_t)MAX(req, 0), size - *pos);
	*pos += k;
	return (la_int64_t)k;
}

static la_int64_t sin_seek(struct archive *a, void *ud, la_int64_t off, int whence)
{
	struct xarc *x = ud;
	return pos_seek(&x->spos, x->ssize, off, whence);
}

static la_int64_t sin_skip(struct archive *a, void *ud, la_int64_t req)
{
	struct xarc *x = ud;
	return pos_skip(&x->spos, x->ssize, req);
}

/* ---- entry bytes into scan_entry() ---- */

struct ent {
	struct xarc *x;
	uint64_t got, max;
	bool over, failed;     /* over the per-entry limit; libarchive failed in the data */
	bool warned;           /* libarchive gave the bytes but warned about them (a zip entry's bad CRC) */
	bool eof;
	bool eof_after_hole;   /* libarchive's end came with an offset past the bytes: a sparse entry's last hole */
	const uint8_t *blk;    /* the block archive_read_data_block() gave, and how much of it is used */
	size_t blk_len, blk_pos;
	uint64_t blk_off;      /* where the block sits in the entry (beyond got: a hole, read as zeros) */
};

/* Bytes leave the archive: the per-entry, ratio and total limits. */
static ssize_t ent_account(struct ent *e, size_t k)
{
	struct xarc *x = e->x;
	e->got += k;
	x->expanded += k;
	x->w->expanded_bytes += k;
	if (e->got > e->max) {
		e->over = true;
		x->stop = STOP_ENTRY;
		return -E2BIG;
	}
	if (xarc_over_limits(x, x->expanded))
		return -E2BIG;
	return (ssize_t)k;
}

/* The next block of the entry; 1 with one, 0 at its end, -errno. */
static int ent_next_block(struct ent *e)
{
	struct xarc *x = e->x;
	const void *b;
	size_t len;
	la_int64_t off;
	if (e->eof_after_hole) {       /* that last hole is read: the end */
		e->eof = true;
		return 0;
	}
	int r = archive_read_data_block(x->a, &b, &len, &off);
	if (r == ARCHIVE_EOF && off > 0 && (uint64_t)off > e->got) {
		/* a sparse entry that ends in a hole: libarchive's end says where
		 * the entry ends; the zeros up to there are its bytes too */
		e->blk = NULL;
		e->blk_len = e->blk_pos = 0;
		e->blk_off = (uint64_t)off;
		e->eof_after_hole = true;
		return 1;
	}
	if (r == ARCHIVE_EOF) {
		e->eof = true;
		return 0;
	}
	if (r < ARCHIVE_WARN || off < 0) {
		if (x->stop != STOP_NONE)
			return -E2BIG;
		e->failed = true;
		return -EIO;
	}
	if (r == ARCHIVE_WARN)
		e->warned = true;      /* the block is good to read; the entry is reported damaged */
	e->blk = b;
	e->blk_len = len;
	e->blk_pos = 0;
	e->blk_off = (uint64_t)off;
	return 1;
}

static ssize_t ent_read(void *ud, void *buf, size_t n)
{
	struct ent *e = ud;
	struct xarc *x = e->x;

	if (x->stop != STOP_NONE)
		return -E2BIG;
	while (!e->eof && e->blk_off <= e->got && e->blk_pos >= e->blk_len) {
		int r = ent_next_block(e);
		if (r < 0)
			return r;
	}
	if (e->eof || n == 0)
		return 0;
	if (e->blk_off > e->got) {          /* a hole of a sparse entry */
		size_t k = (size_t)MIN((uint64_t)n, e->blk_off - e->got);
		memset(buf, 0, k);
		return ent_account(e, k);
	}
	size_t k = MIN(n, e->blk_len - e->blk_pos);
	memcpy(buf, e->blk + e->blk_pos, k);
	e->blk_pos += k;
	e->blk_off += k;
	return ent_account(e, k);
}

/* Whole blocks of the entry into g until it holds want bytes: a block in a
 * slab is handed on as it lies (a reference), others are copied once into
 * the sink's memory, and holes of a sparse entry are zeros. */
static int ent_gather(void *ud, struct sink *s, uint64_t want, struct sink_segs *g)
{
	struct ent *e = ud;
	struct xarc *x = e->x;

	while (g->bytes < want) {
		if (x->stop != STOP_NONE)
			return -E2BIG;
		if (e->blk_off <= e->got && e->blk_pos >= e->blk_len) {
			if (e->eof)
				return 0;
			int r = ent_next_block(e);
			if (r <= 0)
				return r;
			continue;
		}
		if (e->blk_off > e->got) {          /* a hole */
			size_t k = (size_t)MIN(e->blk_off - e->got, (uint64_t)SINK_SLAB_BYTES);
			memset(segs_extend(s, g, k), 0, k);
			if (ent_account(e, k) < 0)
				return -E2BIG;
			continue;
		}
		const uint8_t *p = e->blk + e->blk_pos;
		size_t k = e->blk_len - e->blk_pos;
		struct slab *sl = sink_slab_find(s, p, k);
		/* a block in a slab is taken whole (at most a slab); one of
		 * libarchive's own (up to an ISO extent of 4 GiB) only as far as
		 * wanted, the rest stays for ent_read() */
		if (!sl)
			k = (size_t)MIN((uint64_t)k, want - g->bytes);
		if (ent_account(e, k) < 0) {
			sink_slab_put(s, sl);
			return -E2BIG;
		}
		e->blk_pos += k;
		e->blk_off += k;
		if (sl) {
			segs_push(g, p, k, sl);
			continue;
		}
		for (size_t off = 0; off < k; off += SINK_SLAB_BYTES) {
			size_t m = MIN(k - off, (size_t)SINK_SLAB_BYTES);
			memcpy(segs_extend(s, g, m), p + off, m);
		}
	}
	return 0;
}

/* Give back the pages of a map of ours that lie before libarchive's
 * position. libarchive touches headers in the map (a zip's local headers, a
 * tar's blocks), and each fault maps the 64 KiB around it: for the DVD zip of
 * bench/ that made 170 MB of the zip resident in this process. Only a file's
 * map: its pages come back from the page cache if they are touched again. */
static void map_release(struct xarc *x)
{
	la_int64_t pos = archive_read_header_position(x->a);
	if (!x->map_owned || pos <= 0)
		return;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t end = (size_t)MIN((uint64_t)pos, (uint64_t)x->map_len) & ~(page - 1);
	/* in steps: each call flushes the other core's TLB (an IPI) */
	if (end <= x->released || end - x->released < MAP_RELEASE_STEP)
		return;
	(void)madvise((void *)(x->map + x->released), end - x->released, MADV_DONTNEED);
	x->released = end;
}

/* An entry out of the archive: to the walk's entry callback (the scan's scan_entry()). */
static void walk_entry(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
                       const struct ident_where *where)
{
	w->entry(w, relpath, size, src, fd, where);
}

static ssize_t fd_read(void *ud, void *buf, size_t n)
{
	ssize_t r;
	do
		r = read(*(int *)ud, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* ---- records ---- */

static void record_refused(struct xarc *x, const char *name, uint64_t size, enum ing_problem p, const char *why)
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

static bool entries_exhausted(struct xarc *x, const char *name)
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


static const char *arc_base(const struct ing_file *arc)
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

/* ---- zip: entries inflated with libdeflate, on both cores ----
 *
 * Inflating is the bound for a deflated zip. When the zip is a file of the
 * drop (read with pread()) or in memory, and its central directory is
 * sound, zipidx.c says where each
 * deflated entry's bytes are; libdeflate inflates a whole entry at 2.3 times
 * the speed of zlib's streaming inflate that libarchive would use. A thread
 * of ours goes through the entries in the order libarchive lists them and
 * inflates and checks (length, CRC-32) every other one ahead of the scan
 * into the sink's memory; the scan inflates the others itself the same way.
 * Hashing and writing are the sink's jobs, run by its thread and the scan
 * (perf on the DVD zip: with the hashing here too, this thread was the bound,
 * 2.7 CPU-s of 5.4, and the run took 3.2 s; as now, 2.6 s). libarchive still reads every
 * header: the scan finds the entry by the name and size libarchive gave, and
 * takes the bytes only for a unique match (struct ent's limits apply as ever).
 * Entries larger than a quarter of the budget, stored ones (read in place
 * anyway), and any entry the index left out or whose bytes do not check are
 * read through libarchive, which reports damage as it always did. The bytes
 * held ahead are bounded by the budget (limits.hash_pending_bytes / 4); they
 * are inflated into the sink's memory and handed on to it as they are.
 */
#define ZPAR_RING 1024u
#define ZPAR_SHARE 2u                  /* the scan inflates one entry in ZPAR_SHARE, the thread the others */

enum zslot_state { ZS_FREE = 0, ZS_RUNNING, ZS_DONE, ZS_FAILED };

struct zslot {
	uint64_t idx;
	enum zslot_state st;
	struct sink_segs g;            /* the inflated bytes, one piece */
};

struct zpar {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	bool started, quit;
	bool pause, paused;            /* zpar_pause(): asked, and the thread holds nothing */
	struct zipidx idx;
	struct sink *sink;
	struct libdeflate_decompressor *dmain;   /* the scan's own (the thread has its own) */
	struct zbuf smain;             /* the scan's buffer for deflated bytes read from the file */
	uint64_t main_pos;             /* the entry the scan is at; the thread only claims beyond it */
	struct walk *w;
	bool done;                     /* the thread has ended (or never started) */
	size_t held, budget;           /* bytes inflated ahead and not yet taken */
	unsigned n_ahead, n_own;       /* entries taken from the thread, inflated by the scan (libdeflate) */
	struct zslot ring[ZPAR_RING];
};

/* Inflate and check entry i into g (the sink's memory): false if it does not
 * check. It is hashed where it is written (sink.c), by whichever thread. */
static bool zpar_inflate(struct zpar *z, size_t i, struct libdeflate_decompressor *d, struct zbuf *scratch,
                         struct sink_segs *g)
{
	const struct zip_rec *r = &z->idx.v[i];
	uint8_t *buf = segs_extend(z->sink, g, (size_t)r->usize);
	if (zipidx_inflate(&z->idx, i, d, buf, scratch) < 0) {
		segs_release(z->sink, g);
		return false;
	}
	return true;
}

/* Entries the fast path takes: found by name, not empty, small enough to hold. */
static bool zpar_eligible(const struct zpar *z, size_t i)
{
	const struct zip_rec *r = &z->idx.v[i];
	return r->usable && r->usize > 0 && r->usize <= z->budget / 4;
}

/* Paused while asked (the extractor forks): the thread waits here, holding
 * nothing but mu, which the wait gives up. With mu held. */
static void zpar_hold(struct zpar *z)
{
	if (!z->pause)
		return;
	z->paused = true;
	pthread_cond_broadcast(&z->cv);
	while (z->pause && !z->quit)
		pthread_cond_wait(&z->cv, &z->mu);
	z->paused = false;
}

static void zpar_pause(void *ud, bool on)
{
	struct zpar *z = ud;
	pthread_mutex_lock(&z->mu);
	z->pause = on;
	pthread_cond_broadcast(&z->cv);
	while (on && !z->paused && !z->done)
		pthread_cond_wait(&z->cv, &z->mu);
	pthread_mutex_unlock(&z->mu);
}

static void *zpar_main(void *arg)
{
	struct zpar *z = arg;
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	struct zbuf scratch = { 0 };

	for (size_t i = 0; d && i < z->idx.n; i++) {
		const struct zip_rec *r = &z->idx.v[i];
		pthread_mutex_lock(&z->mu);
		zpar_hold(z);
		if (i % ZPAR_SHARE == 0 || !zpar_eligible(z, i)) {
			pthread_mutex_unlock(&z->mu);
			continue;
		}
		/* wait for room: bytes held, and the ring */
		while (!z->quit) {
			if (z->pause) {
				zpar_hold(z);
				continue;
			}
			if (i < z->main_pos || (z->held + (size_t)r->usize <= z->budget && i - z->main_pos < ZPAR_RING &&
			                        z->ring[i % ZPAR_RING].st == ZS_FREE))
				break;
			pthread_cond_wait(&z->cv, &z->mu);
		}
		bool mine = !z->quit && i > z->main_pos;   /* the scan is not at it yet */
		struct zslot *sl = &z->ring[i % ZPAR_RING];
		if (mine) {
			*sl = (struct zslot){ .idx = i, .st = ZS_RUNNING };
			z->held += (size_t)r->usize;
		}
		bool quit = z->quit;
		pthread_mutex_unlock(&z->mu);
		if (quit)
			break;
		if (!mine)
			continue;
		struct sink_segs g = { 0 };
		bool ok = zpar_inflate(z, i, d, &scratch, &g);
		pthread_mutex_lock(&z->mu);
		if (ok) {
			sl->g = g;
			sl->st = ZS_DONE;
		} else {
			sl->st = ZS_FAILED;
			z->held -= (size_t)r->usize;
		}
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
	}
	libdeflate_free_decompressor(d);
	zbuf_free(&scratch);
	pthread_mutex_lock(&z->mu);
	z->done = true;                /* from here on it holds nothing: zpar_pause() need not wait */
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

/* The fast path for the zip map[0..len) (or, map NULL, the file fd). With no
 * sound central directory (nothing indexed) or no second core (no thread)
 * every entry goes through libarchive's seekable reader, or the scan
 * inflates it itself. NULL only if libdeflate cannot start. */
static struct zpar *zpar_start(struct walk *w, const uint8_t *map, int fd, uint64_t len, size_t budget,
                               uint64_t max_entries)
{
	struct zpar *z = xcalloc(1, sizeof(*z));
	if (!(z->dmain = libdeflate_alloc_decompressor())) {
		free(z);
		return NULL;
	}
	z->sink = w->sink;
	z->w = w;
	(void)zipidx_build(&z->idx, map, fd, len, max_entries);   /* on failure: an empty index */
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	z->budget = MAX(budget, (size_t)1 << 20);
	/* paused while the document extractor forks (scan.c) */
	z->started = z->idx.n > 0 && sysconf(_SC_NPROCESSORS_ONLN) > 1 && walk_thread_add(w, zpar_pause, z);
	if (z->started && pthread_create(&z->th, NULL, zpar_main, z) != 0) {
		walk_thread_remove(w, z);
		z->started = false;
	}
	if (!z->started)
		z->done = true;     /* (a thread that runs sets it itself when it ends: not here, after it) */
	return z;
}

/* The scan reads header number k (from 0) of the zip, entry e: libarchive
 * lists the entries in the order of the index, so it is record k if the
 * name and size libarchive gave are that record's; then its index, else -1.
 * The thread claims only records beyond it, and what it inflated for
 * records the scan has passed without taking (refused names, links) is
 * dropped. */
static ssize_t zpar_at(struct zpar *z, uint64_t k, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	if (!name || !archive_entry_size_is_set(e) || archive_entry_size(e) <= 0 ||
	    archive_entry_filetype(e) != AE_IFREG || archive_entry_is_encrypted(e) ||
	    !zipidx_match(&z->idx, (size_t)k, name, strlen(name), (uint64_t)archive_entry_size(e)))
		return -1;
	ssize_t i = (ssize_t)k;
	pthread_mutex_lock(&z->mu);
	if ((uint64_t)i > z->main_pos)
		z->main_pos = (uint64_t)i;
	for (size_t j = 0; j < ZPAR_RING; j++) {
		struct zslot *sl = &z->ring[j];
		if ((sl->st == ZS_DONE || sl->st == ZS_FAILED) && sl->idx < z->main_pos) {
			if (sl->st == ZS_DONE)
				z->held -= (size_t)sl->g.bytes;
			segs_release(z->sink, &sl->g);
			*sl = (struct zslot){ 0 };
		}
	}
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	return i;
}

/* Entry i's bytes, inflated and checked, into g: from the thread, or
 * inflated here when the thread did not take it (*own). false: read it
 * through libarchive. The caller settles the thread's budget with
 * zpar_done() once they are taken. */
static bool zpar_take(struct zpar *z, size_t i, struct sink_segs *g, bool *own)
{
	bool got = false, tried = false;
	*own = false;
	pthread_mutex_lock(&z->mu);
	struct zslot *sl = &z->ring[i % ZPAR_RING];
	if (sl->st != ZS_FREE && sl->idx == i) {
		while (sl->st == ZS_RUNNING)
			pthread_cond_wait(&z->cv, &z->mu);
		if (sl->st == ZS_DONE) {
			*g = sl->g;
			z->n_ahead++;
			got = true;
		}
		tried = true;              /* a failed one fails here too: libarchive says why */
		sl->g = (struct sink_segs){ 0 };
		sl->st = ZS_FREE;
	}
	pthread_mutex_unlock(&z->mu);
	if (!got && !tried && zpar_eligible(z, i) && zpar_inflate(z, i, z->dmain, &z->smain, g)) {
		*own = true;
		z->n_own++;
		got = true;
	}
	return got;
}

static void zpar_done(struct zpar *z, size_t len, bool own)
{
	if (own)
		return;
	pthread_mutex_lock(&z->mu);
	z->held -= len;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
}

static void zpar_stop(struct zpar *z)
{
	if (!z)
		return;
	if (z->started) {
		pthread_mutex_lock(&z->mu);
		z->quit = true;
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
		pthread_join(z->th, NULL);
		walk_thread_remove(z->w, z);
	}
	for (size_t i = 0; i < ZPAR_RING; i++)
		segs_release(z->sink, &z->ring[i].g);
	pthread_cond_destroy(&z->cv);
	pthread_mutex_destroy(&z->mu);
	libdeflate_free_decompressor(z->dmain);
	zbuf_free(&z->smain);
	zipidx_free(&z->idx);
	free(z);
}

/* An entry inflated ahead: its bytes move to the scan as they are. */
static int ahead_gather(void *ud, struct sink *s, uint64_t want, struct sink_segs *g)
{
	struct sink_segs *a = ud;
	(void)s;
	(void)want;
	for (size_t i = 0; i < a->n; i++)
		segs_push(g, a->v[i].p, a->v[i].n, a->v[i].slab);
	free(a->v);
	*a = (struct sink_segs){ 0 };
	return 0;
}

static ssize_t ahead_read(void *ud, void *buf, size_t n)
{
	(void)ud;
	(void)buf;
	(void)n;
	return 0;           /* every byte was gathered */
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
	if (archive_entry_is_encrypted(e)) {
		_cleanup_free_ char *m = xasprintf("archive entry \"%s\" is encrypted; ask for a copy without a password",
		                                   clean);
		x->n_encrypted++;
		record_refused(x, clean, size, PROB_ENCRYPTED, m);
		return;
	}
	if (w->expanded_bytes + size > lim->max_total_bytes) {
		x->stop = STOP_TOTAL;
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
	if (idx >= w->scan->files.n)
		return;
	struct ing_file *f = w->scan->files.v[idx];
	if (raw && !f->raw_path)
		f->raw_path = steal_ptr(raw);
	if (en.failed) {
		const char *m = archive_error_string(x->a);
		enum ing_problem p = classify_error(x->a, true);
		if (p == PROB_ENCRYPTED)
			x->n_encrypted++;
		_cleanup_free_ char *ms = utf8_sanitize(m ? m : "damaged", strlen(m ? m : "damaged"));
		record_force_problem(f, p, xasprintf("the archive entry could not be read to its end (%s)%s", ms,
		                     p == PROB_ENCRYPTED ? "; ask for a copy without a password" : "; ask for a new copy"));
	} else if (en.warned) {
		const char *m = archive_error_string(x->a);
		_cleanup_free_ char *ms = utf8_sanitize(m ? m : "damaged", strlen(m ? m : "damaged"));
		record_force_problem(f, PROB_CORRUPT, xasprintf("the archive entry is damaged (%s): its bytes were kept, "
		                     "but ask for a new copy of the archive", ms));
	} else if (x->stop == STOP_RATIO || x->stop == STOP_TOTAL || x->stop == STOP_ENTRY)
		record_force_problem(f, PROB_LIMIT, xasprintf("reading stopped: expanding it went over a limit (%s)",
		                     x->stop == STOP_RATIO ? "expansion ratio" :
		                     x->stop == STOP_TOTAL ? "total bytes of the drop" : "bytes per file"));
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

static void record_stop(struct xarc *x)
{
	const struct ing_limits *lim = x->lim;
	struct ing_file *arc = x->arc;

	switch (x->stop) {
	case STOP_RATIO:
		file_set_problem(arc, PROB_LIMIT, "\"%s\" expands more than %u times its size (a decompression bomb?); "
		                 "expansion stopped after %llu bytes", arc_base(arc), lim->max_ratio,
		                 (unsigned long long)x->expanded);
		break;
	case STOP_TOTAL:
		file_set_problem(arc, PROB_LIMIT, "the drop expands to more than %llu bytes; expansion of \"%s\" stopped. "
		                 "Split the drop.", (unsigned long long)lim->max_total_bytes, arc_base(arc));
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
	/* A password could be offered here later: archive_read_add_passphrase(). */
	return a;
}

static struct archive *archive_new_seekable(void)
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
	if (x->n_encrypted)
		file_set_problem(x->arc, PROB_ENCRYPTED, "\"%s\" holds %u encrypted entries that could not be read; ask "
		                 "for a copy without a password", arc_base(x->arc), x->n_encrypted);
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
	x->a = archive_new_seekable();
	archive_read_set_read_callback(x->a, sin_read);
	archive_read_set_seek_callback(x->a, sin_seek);
	archive_read_set_skip_callback(x->a, sin_skip);
	archive_read_set_callback_data(x->a, x);
	if (archive_read_open1(x->a) != ARCHIVE_OK)
		record_failure(x, "at its start", false);
	else
		run_entries(x);
	xarc_close(x);
}

/* ---- UDF disc images (no ISO 9660 bridge) through libudfread ---- */

struct udf_in {
	struct udfread_block_input bi;
	int fd;
	uint64_t size;
};

static int udf_in_read(struct udfread_block_input *bi, uint32_t lba, void *buf, uint32_t nblocks, int flags)
{
	struct udf_in *u = (struct udf_in *)bi;
	uint64_t off = (uint64_t)lba * UDF_SECTOR, want = (uint64_t)nblocks * UDF_SECTOR;
	if (off >= u->size)
		return 0;
	want = MIN(want, u->size - off);
	ssize_t r = pread(u->fd, buf, (size_t)want, (off_t)off);
	return r < 0 ? -1 : (int)((uint64_t)r / UDF_SECTOR);
}

static uint32_t udf_in_size(struct udfread_block_input *bi)
{
	struct udf_in *u = (struct udf_in *)bi;
	return (uint32_t)MIN(u->size / UDF_SECTOR, (uint64_t)UINT32_MAX);
}

struct udf_ent {
	struct xarc *x;
	UDFFILE *f;
	uint64_t got, max;
};

static ssize_t udf_ent_read(void *ud, void *buf, size_t n)
{
	struct udf_ent *e = ud;
	ssize_t r = udfread_file_read(e->f, buf, n);
	if (r < 0)
		return -EIO;
	e->got += (uint64_t)r;
	e->x->w->expanded_bytes += (uint64_t)r;
	if (e->got > e->max || e->x->w->expanded_bytes > e->x->lim->max_total_bytes) {
		e->x->stop = e->got > e->max ? STOP_ENTRY : STOP_TOTAL;
		return -E2BIG;
	}
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void udf_walk(struct xarc *x, udfread *udf, const char *dir)
{
	struct ptrvec dirs = { 0 }, files = { 0 };
	struct udfread_dirent de;
	UDFDIR *d = udfread_opendir(udf, dir[0] ? dir : "/");

	if (!d) {
		file_set_problem(x->arc, PROB_CORRUPT, "a folder of the UDF disc image could not be read");
		return;
	}
	while (udfread_readdir(d, &de)) {
		if (!de.d_name || !strcmp(de.d_name, ".") || !strcmp(de.d_name, "..") || strchr(de.d_name, '/'))
			continue;
		char *p = dir[0] ? xasprintf("%s/%s", dir, de.d_name) : xstrdup(de.d_name);
		ptrvec_push(de.d_type == UDF_DT_DIR ? &dirs : &files, p);
	}
	udfread_closedir(d);
	if (files.n)
		qsort(files.v, files.n, sizeof(void *), cmp_str);
	if (dirs.n)
		qsort(dirs.v, dirs.n, sizeof(void *), cmp_str);

	for (size_t i = 0; i < files.n && x->stop == STOP_NONE; i++) {
		const char *p = files.v[i];
		_cleanup_free_ char *rel = xasprintf("%s%s", x->prefix, p);
		if (entries_exhausted(x, p))
			break;
		if (strlen(rel) > x->lim->max_path_bytes) {
			_cleanup_free_ char *m = xasprintf("the path is longer than %u bytes; not read", x->lim->max_path_bytes);
			record_refused(x, p, 0, PROB_LIMIT, m);
			continue;
		}
		_cleanup_free_ char *abs = xasprintf("/%s", p);
		UDFFILE *uf = udfread_file_open(udf, abs);
		if (!uf) {
			record_refused(x, p, 0, PROB_CORRUPT, "the file could not be opened inside the UDF disc image");
			continue;
		}
		int64_t sz = udfread_file_size(uf);
		struct udf_ent ue = { .x = x, .f = uf, .max = x->lim->max_file_bytes };
		struct byte_src s = { .read = udf_ent_read, .ud = &ue };
		x->entries_out++;
		walk_entry(x->w, rel, sz > 0 ? (uint64_t)sz : 0, &s, -1, x->where);
		udfread_file_close(uf);
	}
	for (size_t i = 0; i < dirs.n && x->stop == STOP_NONE; i++) {
		/* Each level adds to the path, so max_path_bytes also bounds the depth (and loops). */
		if (strlen(x->prefix) + strlen(dirs.v[i]) > x->lim->max_path_bytes) {
			_cleanup_free_ char *m = xasprintf("the path is longer than %u bytes; not read", x->lim->max_path_bytes);
			record_refused(x, dirs.v[i], 0, PROB_LIMIT, m);
			continue;
		}
		udf_walk(x, udf, dirs.v[i]);
	}
	ptrvec_free(&dirs, free);
	ptrvec_free(&files, free);
}

static void run_udf(struct xarc *x, int fd, uint64_t size)
{
	struct udf_in in = { .bi = { .read = udf_in_read, .size = udf_in_size }, .fd = fd, .size = size };
	udfread *udf = udfread_init();

	if (!udf || udfread_open_input(udf, &in.bi) < 0) {
		file_set_problem(x->arc, PROB_CORRUPT, "\"%s\" looks like a UDF disc image but could not be opened; it may "
		                 "be damaged or cut short. Ask for a new copy.", arc_base(x->arc));
		if (udf)
			udfread_close(udf);
		return;
	}
	udf_walk(x, udf, "");
	record_stop(x);
	udfread_close(udf);
}

/* UDF volume recognition sequence (ECMA-167 2/9.1) from sector 16, with no ISO 9660 descriptor. */
static bool is_udf_only(const uint8_t *head, size_t n)
{
	bool bea = false, nsr = false;
	for (size_t s = 16; s < 32 && (s + 1) * UDF_SECTOR <= n; s++) {
		const uint8_t *p = head + s * UDF_SECTOR + 1;
		if (!memcmp(p, "CD001", 5))
			return false;
		if (!memcmp(p, "BEA01", 5))
			bea = true;
		else if (!memcmp(p, "NSR02", 5) || !memcmp(p, "NSR03", 5))
			nsr = true;
		else if (!memcmp(p, "TEA01", 5))
			break;
	}
	return bea && nsr;
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

/* A zip (its head: PK\3\4) whose end of central directory record (PK\5\6)
 * is in its last 64 KiB + 22 bytes: in memory, or read from fd. */
static bool zip_has_eocd(const uint8_t *head, size_t n, const uint8_t *map, int fd, uint64_t len)
{
	if (len < 22 || n < 4 || memcmp(head, "PK\3\4", 4) != 0)
		return false;
	size_t tl = (size_t)MIN(len, (uint64_t)65557);
	_cleanup_free_ uint8_t *tail = NULL;
	const uint8_t *t = map ? map + (len - tl) : NULL;
	if (!t) {
		tail = xmalloc(tl);
		size_t got = 0;
		while (got < tl) {
			ssize_t r = pread(fd, tail + got, tl - got, (off_t)(len - tl + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return false;
			got += (size_t)r;
		}
		t = tail;
	}
	for (size_t i = tl - 22 + 1; i-- > 0;)
		if (t[i] == 'P' && t[i + 1] == 'K' && t[i + 2] == 5 && t[i + 3] == 6)
			return true;
	return false;
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
			zpar_stop(x.par);
			x.par = NULL;
			if (x.entries_out > 0 || archive->problem != PROB_CORRUPT)
				goto out;
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
