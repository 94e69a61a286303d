/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Expansion's private parts (expand.c's top comment says how it works),
 * shared by expand.c (the libarchive loop, records, names, random access,
 * expand_archive()), expand-read.c (libarchive's input callbacks, an entry's
 * bytes into scan_entry()), expand-zip.c (deflated zip entries inflated with
 * libdeflate on both cores) and expand-udf.c (UDF disc images through
 * libudfread): one archive being expanded, one entry being read, and the
 * functions more than one of them uses.
 */
#ifndef INGEST_EXPAND_PRIVATE_H
#define INGEST_EXPAND_PRIVATE_H

#include <archive.h>
#include <pthread.h>

#include "case.h"
#include "expand.h"
#include "sink.h"
#include "zipidx.h"

#define XIN_CHUNK (256u << 10)        /* bytes handed to libarchive per read callback */

/* Why expansion of one archive stopped early. */
enum stop_reason {
	STOP_NONE = 0,
	STOP_RATIO,
	STOP_TOTAL,
	STOP_ENTRY,
	STOP_ENTRIES,
	STOP_SRC,          /* the outer stream failed */
	STOP_TIME,         /* the drop's time budget (max_drop_seconds) is spent */
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
	bool seekable;                 /* read by the seekable reader (run_seekable()): a reader per password can be made */
	int n_passwords;               /* case.yaml's passwords (expand-pw.c): 0 not yet looked, -1 none */
	struct ptrvec pw;              /* ... them, wiped when the archive closes */
	size_t pw_next;                /* the next one the scan's reader gets (a streamed archive) */
	size_t pw_last;                /* the one that opened the last encrypted entry: tried first */
	struct pw_reader *readers;     /* one per password, or NULL */
	unsigned n_decrypted;          /* encrypted entries a password opened */
	unsigned n_unsupported;        /* encrypted entries libarchive cannot decrypt (7z, RAR) */
	struct ptrvec links;           /* names of link entries: nothing is read "through" them */
};

/* One entry read out of libarchive into scan_entry() (expand-read.c). */
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

/* The zip fast path (expand-zip.c): its fields are expand-zip.c's; expand.c
 * reads only the counts n_ahead and n_own for its debug line. */
#define ZPAR_RING 1024u

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

/* expand-read.c: libarchive's input callbacks */
ING_HIDDEN uint8_t *xarc_buf(struct xarc *x);
ING_HIDDEN la_ssize_t xin_read(struct archive *a, void *ud, const void **out);
/* The next block of the random-access source (x's map, or its file sfd from
 * sbase) at *POS, which it moves on: 0 at the end; with a map, all the rest
 * at once; else at most XIN_CHUNK bytes pread() into the buffer BLOCK(UD)
 * gives (asked for only then). sin_read() (the drop's reader) and each
 * password's reader (expand-pw.c) read through it. */
ING_HIDDEN la_ssize_t xarc_src_next(struct archive *a, const struct xarc *x, uint64_t *pos,
                                    uint8_t *(*block)(void *), void *ud, const void **out);
ING_HIDDEN la_ssize_t sin_read(struct archive *a, void *ud, const void **out);
ING_HIDDEN la_int64_t sin_seek(struct archive *a, void *ud, la_int64_t off, int whence);
ING_HIDDEN la_int64_t sin_skip(struct archive *a, void *ud, la_int64_t req);

ING_HIDDEN bool xarc_over_limits(struct xarc *x, uint64_t out_bytes);
ING_HIDDEN la_int64_t xarc_pos_seek(uint64_t *pos, uint64_t size, la_int64_t off, int whence);
ING_HIDDEN la_int64_t xarc_pos_skip(uint64_t *pos, uint64_t size, la_int64_t req);

/* expand-read.c: entry bytes into scan_entry() */
ING_HIDDEN ssize_t ent_account(struct ent *e, size_t k);
ING_HIDDEN int ent_next_block(struct ent *e);
ING_HIDDEN ssize_t ent_read(void *ud, void *buf, size_t n);
ING_HIDDEN int ent_gather(void *ud, struct sink *s, uint64_t want, struct sink_segs *g);
ING_HIDDEN void map_release(struct xarc *x);
ING_HIDDEN void walk_entry(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
                           const struct ident_where *where);
ING_HIDDEN ssize_t fd_read(void *ud, void *buf, size_t n);

/* expand-pw.c: encrypted entries, decrypted with the case's passwords into a
 * memfd and checked before the scan sees them */
ING_HIDDEN int xarc_load_passwords(struct xarc *x);
ING_HIDDEN const char *xarc_pw_callback(struct archive *a, void *ud);
ING_HIDDEN void xarc_scan_encrypted(struct xarc *x, struct archive_entry *e, const char *clean, const char *rel,
                                    uint64_t size);
ING_HIDDEN void xarc_passwords_close(struct xarc *x);

/* expand.c: records, shared with the UDF walk */
ING_HIDDEN void record_refused(struct xarc *x, const char *name, uint64_t size, enum ing_problem p, const char *why);
ING_HIDDEN bool entries_exhausted(struct xarc *x, const char *name);
ING_HIDDEN void record_stop(struct xarc *x);
ING_HIDDEN const char *arc_base(const struct ing_file *arc);
ING_HIDDEN struct archive *xarc_new_seekable(void);

/* expand-zip.c */
ING_HIDDEN struct zpar *zpar_start(struct walk *w, const uint8_t *map, int fd, uint64_t len, size_t budget,
                                   uint64_t max_entries);
ING_HIDDEN ssize_t zpar_at(struct zpar *z, uint64_t k, struct archive_entry *e);
ING_HIDDEN bool zpar_take(struct zpar *z, size_t i, struct sink_segs *g, bool *own);
ING_HIDDEN void zpar_done(struct zpar *z, size_t len, bool own);
ING_HIDDEN void zpar_stop(struct zpar *z);
ING_HIDDEN int ahead_gather(void *ud, struct sink *s, uint64_t want, struct sink_segs *g);
ING_HIDDEN ssize_t ahead_read(void *ud, void *buf, size_t n);
ING_HIDDEN bool zip_has_eocd(const uint8_t *head, size_t n, const uint8_t *map, int fd, uint64_t len);

/* expand-udf.c */
ING_HIDDEN void run_udf(struct xarc *x, int fd, uint64_t size);
ING_HIDDEN bool is_udf_only(const uint8_t *head, size_t n);

#endif
