/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Where a file's bytes go once they are read (sink.c): SHA-256 and the
 * staging copy, on both cores, from memory that is read into once.
 */
#ifndef INGEST_SINK_H
#define INGEST_SINK_H

#include "internal.h"

struct sink;
struct slab;
struct ing_file;

/* Bytes of one file in memory: pieces of slabs, or buffers of its own. */
struct sink_seg {
	const uint8_t *p;
	size_t n;
	struct slab *slab;     /* the slab p lies in (one reference held); NULL: p was malloc'd and is owned */
};

struct sink_segs {
	struct sink_seg *v;
	size_t n, cap;
	uint64_t bytes;        /* sum of the n */
};

/* The rest of a file's bytes, read where they lie: fd[off .. off + len). */
struct sink_range {
	int fd;                /* the caller's: sink_submit() takes a duplicate of it */
	uint64_t off, len;
	bool fail;             /* test hook (testhook_read_eio()): reading it fails with EIO */
};

/* A job's bytes that could not all be read (a disc with a bad sector, a
 * file that shrank): reported by the scan once the jobs are done. */
struct sink_failure {
	struct ing_file *f;
	int err;               /* -errno, or 0: the file ended early */
	uint64_t got;          /* bytes read before that */
};

#define SINK_SLAB_BYTES (1u << 20)

/* pool_bytes of slabs (at least 8 of SINK_SLAB_BYTES), and a thread when
 * there is a second CPU. */
ING_HIDDEN struct sink *sink_new(size_t pool_bytes);
/* Waits for every job first. */
ING_HIDDEN void sink_free(struct sink *s);
/* The largest file whose bytes may be held whole (gathered): what is left of
 * the pool then still lets the reader and the jobs before it go on. */
ING_HIDDEN uint64_t sink_gather_max(const struct sink *s);

/* A whole free slab to read into, with one reference; when none is free the
 * caller runs the oldest waiting job, or waits for the thread to finish one.
 * NULL only when no slab can come free (every one is held outside the jobs). */
ING_HIDDEN struct slab *sink_slab_get(struct sink *s, uint8_t **p);
ING_HIDDEN void sink_slab_put(struct sink *s, struct slab *sl);
/* The slab holding p[0..n), with a new reference; NULL when p is not in one. */
ING_HIDDEN struct slab *sink_slab_find(struct sink *s, const void *p, size_t n);

/* Append p[0..n) held by slab sl (its reference moves to g), or owned (sl NULL). */
ING_HIDDEN void segs_push(struct sink_segs *g, const uint8_t *p, size_t n, struct slab *sl);
/* n bytes for g's next piece, contiguous: in a slab where one is free, else
 * malloc'd; appended to g (the caller fills them). */
ING_HIDDEN uint8_t *segs_extend(struct sink *s, struct sink_segs *g, size_t n);
/* Copy up to n bytes from offset off of g into buf; how many. */
ING_HIDDEN size_t segs_copy(const struct sink_segs *g, uint64_t off, void *buf, size_t n);
/* Drop g's references and buffers. */
ING_HIDDEN void segs_release(struct sink *s, struct sink_segs *g);

/* The bytes of g, then those of rest (if given), for f: SHA-256 into
 * f->sha256 and f->hashed, and with fd >= 0
 * written to fd, which is then closed. Takes g's pieces and fd. Whichever
 * thread runs the job reads rest itself, 256 KiB at a time, hashes and
 * writes each piece while it is in its cache. ASYNC: on the thread or on a
 * later call here; else before it returns. A write or close that fails is
 * kept for sink_error(); a read that fails leaves f unhashed and is listed
 * by sink_failures(). false: a job run here could not read all its bytes. */
ING_HIDDEN bool sink_submit(struct sink *s, struct ing_file *f, int fd, struct sink_segs *g,
                            const struct sink_range *rest, bool async);
/* Every job done (f->sha256 of each may be read after this). */
ING_HIDDEN void sink_drain(struct sink *s);
/* The thread stops between jobs, holding no lock, until called with false
 * (a fork meanwhile copies no lock of it: docext.h, around_fork). */
ING_HIDDEN void sink_pause(struct sink *s, bool on);
/* After sink_drain(): the jobs whose bytes could not all be read. */
ING_HIDDEN size_t sink_failures(struct sink *s, const struct sink_failure **v);
/* The first failure writing a staging copy, 0 if none. */
ING_HIDDEN int sink_error(struct sink *s);

#endif
