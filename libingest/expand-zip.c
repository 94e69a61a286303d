/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zip entries inflated with libdeflate, on both cores (expand-private.h's
 * struct zpar), for the libarchive loop in expand.c.
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
#include <archive_entry.h>
#include <libdeflate.h>

#include "expand-private.h"

#define ZPAR_SHARE 2u                  /* the scan inflates one entry in ZPAR_SHARE, the thread the others */

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
struct zpar *zpar_start(struct walk *w, const uint8_t *map, int fd, uint64_t len, size_t budget,
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
ssize_t zpar_at(struct zpar *z, uint64_t k, struct archive_entry *e)
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
bool zpar_take(struct zpar *z, size_t i, struct sink_segs *g, bool *own)
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

void zpar_done(struct zpar *z, size_t len, bool own)
{
	if (own)
		return;
	pthread_mutex_lock(&z->mu);
	z->held -= len;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
}

void zpar_stop(struct zpar *z)
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
int ahead_gather(void *ud, struct sink *s, uint64_t want, struct sink_segs *g)
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

ssize_t ahead_read(void *ud, void *buf, size_t n)
{
	(void)ud;
	(void)buf;
	(void)n;
	return 0;           /* every byte was gathered */
}

/* A zip (its head: PK\3\4) whose end of central directory record (PK\5\6)
 * is in its last 64 KiB + 22 bytes: in memory, or read from fd. */
bool zip_has_eocd(const uint8_t *head, size_t n, const uint8_t *map, int fd, uint64_t len)
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
