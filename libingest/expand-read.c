/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Expansion's bytes (expand-private.h): libarchive's input callbacks (the
 * archive from its stream, its file or memory) and an entry's bytes out of
 * libarchive into scan_entry(), with the limits checked as they come out.
 */
#include <sys/mman.h>

#include "expand-private.h"

#define MAP_RELEASE_STEP (8u << 20)   /* pages of a mapped archive are given back this many bytes at a time */

static uint64_t xarc_pulled(const struct xarc *x)
{
	if (x->map)
		return x->map_len;
	return x->sfd >= 0 ? MAX(x->spos, (uint64_t)x->n) : x->n + *x->consumed;
}

/* The expansion ratio and the drop's budgets (bytes expanded at all levels,
 * time: walk.h), checked each time bytes come out. */
bool xarc_over_limits(struct xarc *x, uint64_t out_bytes)
{
	const struct ing_limits *lim = x->lim;
	uint64_t pulled = MAX(xarc_pulled(x), (uint64_t)1);

	if (walk_over_expand_budget(x->w)) {
		x->stop = STOP_TOTAL;
		return true;
	}
	if (walk_out_of_time(x->w)) {
		x->stop = STOP_TIME;
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
uint8_t *xarc_buf(struct xarc *x)
{
	if (!x->buf)
		x->buf = xmalloc(XIN_CHUNK);
	return x->buf;
}

la_ssize_t xin_read(struct archive *a, void *ud, const void **out)
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

la_ssize_t xarc_src_next(struct archive *a, const struct xarc *x, uint64_t *pos, uint8_t *(*block)(void *), void *ud,
                         const void **out)
{
	if (*pos >= x->ssize)
		return 0;
	if (x->map) {
		*out = x->map + *pos;
		la_ssize_t k = (la_ssize_t)(x->ssize - *pos);
		*pos = x->ssize;
		return k;
	}
	uint8_t *p = block(ud);
	/* XIN_CHUNK whatever the buffer: where the ratio limit strikes must not
	 * depend on which it was (how fast the other thread gave slabs back) */
	size_t want = (size_t)MIN((uint64_t)XIN_CHUNK, x->ssize - *pos);
	ssize_t r;
	do
		r = pread(x->sfd, p, want, (off_t)(x->sbase + *pos));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		archive_set_error(a, errno, "reading the archive failed");
		return ARCHIVE_FATAL;
	}
	*pos += (uint64_t)r;
	*out = p;
	return r;
}

/* The drop's reader's buffer for the next block: a slab of the sink (handed on
 * with the entries' bytes in it), or our own when every slab is held. */
static uint8_t *sin_block(void *ud)
{
	struct xarc *x = ud;
	uint8_t *p = NULL;
	/* libarchive is done with its last block: the slab stays only for the
	 * entries' bytes in it that were handed on */
	sink_slab_put(x->w->sink, x->cur);
	x->cur = sink_slab_get(x->w->sink, &p);
	if (!x->cur)
		p = xarc_buf(x);     /* every slab is held: read into our own buffer (copied on) */
	return p;
}

la_ssize_t sin_read(struct archive *a, void *ud, const void **out)
{
	struct xarc *x = ud;

	if (x->stop != STOP_NONE)
		return ARCHIVE_FATAL;
	return xarc_src_next(a, x, &x->spos, sin_block, x, out);
}

/* Seek and skip over SIZE bytes of random-access input at *POS (libarchive's
 * callbacks for the drop's fd, a spool, or a map: sin_* and mem_* below). */
la_int64_t xarc_pos_seek(uint64_t *pos, uint64_t size, la_int64_t off, int whence)
{
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)*pos : (int64_t)size;
	int64_t p = base + off;

	if (p < 0 || (uint64_t)p > size)
		return ARCHIVE_FATAL;
	*pos = (uint64_t)p;
	return p;
}

la_int64_t xarc_pos_skip(uint64_t *pos, uint64_t size, la_int64_t req)
{
	uint64_t k = MIN((uint64_t)MAX(req, 0), size - *pos);
	*pos += k;
	return (la_int64_t)k;
}

la_int64_t sin_seek(struct archive *a, void *ud, la_int64_t off, int whence)
{
	struct xarc *x = ud;
	return xarc_pos_seek(&x->spos, x->ssize, off, whence);
}

la_int64_t sin_skip(struct archive *a, void *ud, la_int64_t req)
{
	struct xarc *x = ud;
	return xarc_pos_skip(&x->spos, x->ssize, req);
}

/* ---- entry bytes into scan_entry() ---- */

/* Bytes leave the archive: the per-entry, ratio and total limits. */
ssize_t ent_account(struct ent *e, size_t k)
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
int ent_next_block(struct ent *e)
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

ssize_t ent_read(void *ud, void *buf, size_t n)
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
int ent_gather(void *ud, struct sink *s, uint64_t want, struct sink_segs *g)
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
void map_release(struct xarc *x)
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
void walk_entry(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
                const struct ident_where *where)
{
	w->entry(w, relpath, size, src, fd, where);
}

ssize_t fd_read(void *ud, void *buf, size_t n)
{
	ssize_t r;
	do
		r = read(*(int *)ud, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}
