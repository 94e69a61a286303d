/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Where a file's bytes go once they are read: SHA-256, and the staging copy,
 * on both cores.
 *
 * Inputs are read with read()/pread() into slabs: 1 MiB buffers of the scan,
 * made once (huge pages where the kernel gives them) and reused all along. Nothing is mapped: on these VMs a page fault costs
 * more than copying the page (measured for a 1.42 GB ISO on tmpfs: writing
 * every file out of a mapping took 2.5-5.4 s, out of pread() buffers 0.4-0.6
 * s). libarchive gets slabs as its read blocks, so entries stored as they are
 * (ISO 9660, tar, stored zip) come back as pointers into them, and a file of
 * a folder is read into one the same way.
 *
 * A file is a job: the pieces the scan read (its head, for identification
 * and the DICOM header, or all of it), where the rest lies (a range of a file
 * of the drop, or of a disc image: read there with pread() by whichever
 * thread runs the job), the staging file to write to, the record its digest
 * goes to. Each piece is hashed and then written 256 KiB at a time while it
 * is in that core's cache, so every byte comes from memory once. Measured on
 * the DVD of bench/ (tmpfs, 2 cores): both threads each reading, hashing and
 * writing whole files take 0.78-0.87 s, while one thread reading and the
 * other hashing and writing take 1.5-3.7 s (the second is the bound).
 *
 * A thread of ours runs the jobs oldest first. The scan runs the oldest
 * waiting job itself when more than HELP_BYTES wait (or it needs a slab and
 * none is free), so both cores read, hash and write whenever that is the
 * slower side, and memory stays bounded. Small jobs wait in the queue until a
 * few are there before the thread is woken: a futex wake costs about what
 * hashing and writing a 10 KB file does.
 *
 * A job writes f->sha256 and f->hashed only (and f->prefix's digest); the scan reads them after
 * sink_drain(), which waits for every job (mutex: happens-before).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>

#include "model.h"
#include "sink.h"

#define PIECE (256u << 10)           /* hashed, then written, while it is in cache */
#define WAKE_JOBS 8u                 /* wake the idle thread when this many jobs wait ... */
#define WAKE_BYTES (512u << 10)      /* ... or this many bytes */
#define HELP_BYTES (2u << 20)        /* beyond this many bytes waiting, the submitter runs the oldest job */
#define READ_BUFS 4u                 /* pread() buffers of PIECE bytes: the thread, the scan, a zip thread */
#define SLABS_MIN 8u
#define HUGE_PAGE (2u << 20)


struct slab {
	uint32_t refs;
};

struct job {
	struct ing_file *f;
	int fd;
	struct sink_segs g;
	struct sink_range rest;          /* rest.fd is the job's own (a dup), or -1 */
	bool done;
};

struct sink {
	pthread_mutex_t mu;
	pthread_cond_t work;             /* jobs are waiting, or stop */
	pthread_cond_t space;            /* a job finished: slabs or ring slots came free */
	pthread_cond_t paused_cv;        /* the thread has paused */
	pthread_t thread;
	bool thread_ok, stop, idle;      /* idle: the thread waits on work */
	bool pause, paused;              /* sink_pause(): asked, and the thread holds nothing */
	unsigned waiters;                /* callers waiting on space */

	uint8_t *base;                   /* nslabs * SINK_SLAB_BYTES */
	size_t map_len, nslabs;
	struct slab *slabs;
	uint32_t *free_v;                /* indexes of free slabs */
	size_t n_free;
	size_t bump;                     /* slab carved by segs_extend(), or SIZE_MAX */
	size_t bump_used;

	struct job ring[SINK_MAX_JOBS];
	size_t head, next, tail;         /* [head, tail) in the ring; [next, tail) not yet taken */
	uint64_t queued_bytes;           /* bytes of jobs not yet taken */
	unsigned queued_fds;             /* jobs not yet taken that hold a descriptor (staging file, rest) */
	uint64_t owned_pending, owned_max;
	int error;

	uint8_t *rbuf[READ_BUFS];        /* where jobs read their rest into, one per running job */
	bool rbuf_busy[READ_BUFS];
	struct sink_failure *fails;
	size_t n_fails, cap_fails;
};

static size_t slab_index(const struct sink *s, const struct slab *sl)
{
	return (size_t)(sl - s->slabs);
}

/* With mu held. */
static void slab_unref(struct sink *s, struct slab *sl)
{
	if (--sl->refs == 0)
		s->free_v[s->n_free++] = (uint32_t)slab_index(s, sl);
}

static uint64_t owned_bytes(const struct sink_segs *g)
{
	uint64_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		if (!g->v[i].slab)
			n += g->v[i].n;
	return n;
}

/* A pread() buffer for one running job. */
static uint8_t *rbuf_take(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < READ_BUFS; i++)
		if (s->rbuf[i] && !s->rbuf_busy[i]) {
			s->rbuf_busy[i] = true;
			pthread_mutex_unlock(&s->mu);
			return s->rbuf[i];
		}
	pthread_mutex_unlock(&s->mu);
	return xmalloc(PIECE);
}

static void rbuf_give(struct sink *s, uint8_t *b)
{
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < READ_BUFS; i++)
		if (s->rbuf[i] == b) {
			s->rbuf_busy[i] = false;
			pthread_mutex_unlock(&s->mu);
			return;
		}
	pthread_mutex_unlock(&s->mu);
	free(b);
}

struct job_out {
	int werr;                        /* writing the staging copy failed: -errno */
	int rerr;                        /* reading the rest failed: -errno, or 1: it ended early */
	uint64_t got;                    /* bytes read before that */
};

static void piece(struct sha256_ctx *c, struct sha256_ctx *stored, struct job *j, const uint8_t *p, size_t n,
                  struct job_out *o)
{
	sha256_update(c, p, n);
	if (stored)
		sha256_update(stored, p, n);
	if (j->fd >= 0 && o->werr == 0)
		o->werr = write_all(j->fd, p, n);
}

/* Hash and write the job's bytes, reading its rest; no lock held. */
static void job_run(struct sink *s, struct job *j, struct job_out *o)
{
	struct sha256_ctx *c = sha256_new();
	/* staged with file meta before its bytes (input.c, stage_prefix()):
	 * the stored file's digest too, from the same bytes in cache */
	struct file_prefix *pre = j->f->prefix;
	struct sha256_ctx *stored = pre ? sha256_new() : NULL;

	if (stored)
		sha256_update(stored, pre->bytes, pre->len);
	*o = (struct job_out){ 0 };
	for (size_t i = 0; i < j->g.n; i++) {
		const uint8_t *p = j->g.v[i].p;
		size_t n = j->g.v[i].n;
		for (size_t off = 0; off < n; off += PIECE)
			piece(c, stored, j, p + off, MIN(n - off, (size_t)PIECE), o);
		o->got += n;
	}
	if (j->rest.fd >= 0 && j->rest.len) {
		uint8_t *b = rbuf_take(s);
		if (j->rest.fail)
			o->rerr = -EIO;
		for (uint64_t off = 0; off < j->rest.len && !o->rerr;) {
			size_t want = (size_t)MIN(j->rest.len - off, (uint64_t)PIECE);
			ssize_t r = pread(j->rest.fd, b, want, (off_t)(j->rest.off + off));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				o->rerr = r < 0 ? -errno : 1;
				break;
			}
			piece(c, stored, j, b, (size_t)r, o);
			off += (uint64_t)r;
			o->got += (uint64_t)r;
		}
		rbuf_give(s, b);
	}
	if (j->rest.fd >= 0)
		close(j->rest.fd);
	j->rest.fd = -1;
	if (j->fd >= 0 && close(j->fd) < 0 && o->werr == 0)
		o->werr = -errno;
	j->fd = -1;
	if (o->rerr == 0) {
		sha256_final(c, j->f->sha256);
		j->f->hashed = true;
		if (stored) {
			sha256_final(stored, pre->sha256);
			pre->hashed = true;
		}
	}                        /* else not hashed: the scan reports it */
	sha256_free(c);
	sha256_free(stored);
}

/* What a job left: its memory back, its failures noted; with mu held. */
static void job_settle(struct sink *s, struct job *j, const struct job_out *o)
{
	if (o->werr < 0 && s->error == 0)
		s->error = o->werr;
	if (o->rerr) {
		if (s->n_fails == s->cap_fails) {
			s->cap_fails = s->cap_fails ? s->cap_fails * 2 : 8;
			s->fails = xrealloc(s->fails, s->cap_fails * sizeof(*s->fails));
		}
		s->fails[s->n_fails++] = (struct sink_failure){ j->f, o->rerr < 0 ? o->rerr : 0, o->got };
	}
}

/* The job's memory goes back; with mu held. */
static void job_release(struct sink *s, struct job *j)
{
	for (size_t i = 0; i < j->g.n; i++) {
		if (j->g.v[i].slab)
			slab_unref(s, j->g.v[i].slab);
		else
			free((void *)j->g.v[i].p);
	}
	free(j->g.v);
	j->g = (struct sink_segs){ 0 };
}

/* Take the oldest waiting job and run it here; with mu held (dropped meanwhile). */
static void take_and_run(struct sink *s)
{
	struct job *j = &s->ring[s->next++ % SINK_MAX_JOBS];
	struct job copy = *j;
	struct job_out o;
	uint64_t owned = owned_bytes(&copy.g);
	s->queued_bytes -= copy.g.bytes + copy.rest.len;
	if (copy.rest.fd >= 0 || copy.fd >= 0)
		s->queued_fds--;
	pthread_mutex_unlock(&s->mu);
	job_run(s, &copy, &o);
	pthread_mutex_lock(&s->mu);
	job_settle(s, &copy, &o);
	job_release(s, &copy);
	s->owned_pending -= owned;
	j->done = true;
	while (s->head != s->next && s->ring[s->head % SINK_MAX_JOBS].done)
		s->head++;
	if (s->waiters)
		pthread_cond_broadcast(&s->space);
}

/* Run the oldest waiting job, or wait until one finishes; with mu held.
 * false when neither can be: no job is queued or running. */
static bool help_or_wait(struct sink *s)
{
	if (s->next != s->tail) {
		take_and_run(s);
		return true;
	}
	if (s->head != s->tail) {
		s->waiters++;
		pthread_cond_wait(&s->space, &s->mu);
		s->waiters--;
		return true;
	}
	return false;
}

static void *worker(void *arg)
{
	struct sink *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (s->pause) {
			s->paused = true;
			pthread_cond_broadcast(&s->paused_cv);
			while (s->pause)
				pthread_cond_wait(&s->work, &s->mu);
			s->paused = false;
			continue;
		}
		if (s->next != s->tail) {
			take_and_run(s);
			continue;
		}
		if (s->stop)
			break;
		s->idle = true;
		pthread_cond_wait(&s->work, &s->mu);
		s->idle = false;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Anonymous memory for the slabs, in huge pages where the kernel gives them
 * (faulting them all in at the start measured no faster on the bench DVD,
 * and costs a small drop or a fuzz input 16 MiB of faults). */
static uint8_t *pool_map(size_t len, size_t *map_len)
{
	size_t total = len + HUGE_PAGE;
	uint8_t *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	uint8_t *a = (uint8_t *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	size_t tail = (size_t)(m + total - (a + len));
	if (tail)
		munmap(a + len, tail);
	(void)madvise(a, len, MADV_HUGEPAGE);     /* each 2 MiB faults in once, on first use */
	*map_len = len;
	return a;
}

struct sink *sink_new(size_t pool_bytes)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->space, NULL);
	pthread_cond_init(&s->paused_cv, NULL);
	s->nslabs = MAX(pool_bytes / SINK_SLAB_BYTES, (size_t)SLABS_MIN);
	s->base = pool_map(s->nslabs * SINK_SLAB_BYTES, &s->map_len);
	if (!s->base)
		s->nslabs = 0;      /* no slabs: every piece is malloc'd */
	s->slabs = xcalloc(MAX(s->nslabs, (size_t)1), sizeof(*s->slabs));
	s->free_v = xcalloc(MAX(s->nslabs, (size_t)1), sizeof(*s->free_v));
	for (size_t i = s->nslabs; i-- > 0;)
		s->free_v[s->n_free++] = (uint32_t)i;
	s->bump = SIZE_MAX;
	s->owned_max = MAX((uint64_t)pool_bytes, (uint64_t)SINK_SLAB_BYTES);
	for (unsigned i = 0; i < READ_BUFS; i++)
		s->rbuf[i] = xmalloc(PIECE);
	s->thread_ok = sysconf(_SC_NPROCESSORS_ONLN) > 1 && pthread_create(&s->thread, NULL, worker, s) == 0;
	return s;
}

uint64_t sink_gather_max(const struct sink *s)
{
	size_t half = MAX(s->nslabs, (size_t)SLABS_MIN) / 2;
	return (uint64_t)(half - 1) * SINK_SLAB_BYTES;
}

struct slab *sink_slab_get(struct sink *s, uint8_t **p)
{
	struct slab *sl = NULL;
	pthread_mutex_lock(&s->mu);
	while (s->nslabs && s->n_free == 0 && help_or_wait(s))
		;
	if (s->n_free) {
		size_t i = s->free_v[--s->n_free];
		sl = &s->slabs[i];
		sl->refs = 1;
		*p = s->base + i * SINK_SLAB_BYTES;
	}
	pthread_mutex_unlock(&s->mu);
	return sl;
}

void sink_slab_put(struct sink *s, struct slab *sl)
{
	if (!sl)
		return;
	pthread_mutex_lock(&s->mu);
	slab_unref(s, sl);
	if (s->waiters)
		pthread_cond_broadcast(&s->space);
	pthread_mutex_unlock(&s->mu);
}

struct slab *sink_slab_find(struct sink *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	if (!s->base || b < s->base || b >= s->base + s->map_len)
		return NULL;
	size_t i = (size_t)(b - s->base) / SINK_SLAB_BYTES;
	if (n > (size_t)(s->base + (i + 1) * SINK_SLAB_BYTES - b))
		return NULL;
	pthread_mutex_lock(&s->mu);
	struct slab *sl = s->slabs[i].refs ? &s->slabs[i] : NULL;   /* a free slab is nobody's bytes */
	if (sl)
		sl->refs++;
	pthread_mutex_unlock(&s->mu);
	return sl;
}

void segs_push(struct sink_segs *g, const uint8_t *p, size_t n, struct slab *sl)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 4;
		g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
	}
	g->v[g->n++] = (struct sink_seg){ p, n, sl };
	g->bytes += n;
}

uint8_t *segs_extend(struct sink *s, struct sink_segs *g, size_t n)
{
	size_t need = (n + 63) & ~(size_t)63;
	uint8_t *p = NULL;
	struct slab *sl = NULL;

	if (n > 0 && need <= SINK_SLAB_BYTES && s->nslabs) {
		pthread_mutex_lock(&s->mu);
		if (s->bump != SIZE_MAX && SINK_SLAB_BYTES - s->bump_used < need) {
			slab_unref(s, &s->slabs[s->bump]);     /* the carver's own reference */
			s->bump = SIZE_MAX;
		}
		while (s->bump == SIZE_MAX && s->n_free == 0 && help_or_wait(s))
			;
		if (s->bump == SIZE_MAX && s->n_free) {
			s->bump = s->free_v[--s->n_free];
			s->slabs[s->bump].refs = 1;
			s->bump_used = 0;
		}
		if (s->bump != SIZE_MAX) {
			sl = &s->slabs[s->bump];
			sl->refs++;
			p = s->base + s->bump * SINK_SLAB_BYTES + s->bump_used;
			s->bump_used += need;
		}
		pthread_mutex_unlock(&s->mu);
	}
	if (!p)
		p = xmalloc(MAX(n, (size_t)1));   /* every slab is held by the bytes in hand: still bounded by them */
	segs_push(g, p, n, sl);
	return p;
}

size_t segs_copy(const struct sink_segs *g, uint64_t off, void *buf, size_t n)
{
	size_t got = 0;
	for (size_t i = 0; i < g->n && got < n; i++) {
		if (off >= g->v[i].n) {
			off -= g->v[i].n;
			continue;
		}
		size_t k = MIN(n - got, g->v[i].n - (size_t)off);
		memcpy((uint8_t *)buf + got, g->v[i].p + off, k);
		got += k;
		off = 0;
	}
	return got;
}

void segs_release(struct sink *s, struct sink_segs *g)
{
	if (!g->n) {
		free(g->v);
		*g = (struct sink_segs){ 0 };
		return;
	}
	struct job j = { .g = *g };
	pthread_mutex_lock(&s->mu);
	job_release(s, &j);
	if (s->waiters)
		pthread_cond_broadcast(&s->space);
	pthread_mutex_unlock(&s->mu);
	*g = (struct sink_segs){ 0 };
}

bool sink_submit(struct sink *s, struct ing_file *f, int fd, struct sink_segs *g, const struct sink_range *rest,
                 bool async)
{
	struct job j = { .f = f, .fd = fd, .g = *g, .rest = { .fd = -1 } };
	*g = (struct sink_segs){ 0 };
	async = async && s->thread_ok;
	if (rest && rest->len) {
		j.rest = *rest;
		/* the caller's descriptor may be closed before the job runs */
		j.rest.fd = fcntl(rest->fd, F_DUPFD_CLOEXEC, 0);
		if (j.rest.fd < 0) {
			struct job_out o = { .rerr = -errno, .got = j.g.bytes };
			if (fd >= 0)
				close(fd);
			pthread_mutex_lock(&s->mu);
			job_settle(s, &j, &o);
			job_release(s, &j);
			pthread_mutex_unlock(&s->mu);
			return false;
		}
	}

	if (!async) {
		struct job_out o;
		job_run(s, &j, &o);
		pthread_mutex_lock(&s->mu);
		job_settle(s, &j, &o);
		job_release(s, &j);
		if (s->waiters)
			pthread_cond_broadcast(&s->space);
		pthread_mutex_unlock(&s->mu);
		return o.rerr == 0;
	}
	uint64_t owned = owned_bytes(&j.g);
	pthread_mutex_lock(&s->mu);
	/* A full ring, too many descriptors, or buffers of our own beyond the bound: help first. */
	bool holds_fd = j.rest.fd >= 0 || j.fd >= 0;
	while ((s->tail - s->head >= SINK_MAX_JOBS || (holds_fd && s->queued_fds >= SINK_MAX_FD_JOBS) ||
	        (owned && s->owned_pending && s->owned_pending + owned > s->owned_max)) && help_or_wait(s))
		;
	s->ring[s->tail++ % SINK_MAX_JOBS] = j;
	s->queued_bytes += j.g.bytes + j.rest.len;
	s->owned_pending += owned;
	if (holds_fd)
		s->queued_fds++;
	if (s->idle && (s->tail - s->next >= WAKE_JOBS || s->queued_bytes >= WAKE_BYTES))
		pthread_cond_signal(&s->work);
	/* More waiting than the thread will soon take: both cores on it. */
	while (s->queued_bytes > HELP_BYTES && s->next != s->tail)
		take_and_run(s);
	pthread_mutex_unlock(&s->mu);
	return true;
}

void sink_drain(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->head != s->tail && help_or_wait(s))
		;
	pthread_mutex_unlock(&s->mu);
}

void sink_pause(struct sink *s, bool on)
{
	if (!s->thread_ok)
		return;
	pthread_mutex_lock(&s->mu);
	s->pause = on;
	pthread_cond_broadcast(&s->work);
	while (on && !s->paused)
		pthread_cond_wait(&s->paused_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

size_t sink_failures(struct sink *s, const struct sink_failure **v)
{
	*v = s->fails;
	return s->n_fails;
}

int sink_error(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	int e = s->error;
	pthread_mutex_unlock(&s->mu);
	return e;
}

void sink_free(struct sink *s)
{
	if (!s)
		return;
	sink_drain(s);
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->mu);
	if (s->thread_ok)
		pthread_join(s->thread, NULL);
	if (s->base)
		munmap(s->base, s->map_len);
	pthread_cond_destroy(&s->paused_cv);
	pthread_cond_destroy(&s->space);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->mu);
	for (unsigned i = 0; i < READ_BUFS; i++)
		free(s->rbuf[i]);
	free(s->fails);
	free(s->slabs);
	free(s->free_v);
	free(s);
}
