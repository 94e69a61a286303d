/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The walk: how a drop's bytes are visited. A folder is read in name order,
 * each regular file handed to the walk's entry callback as a byte source
 * (struct byte_src) that is also a range of an open file; archives and disc
 * images (expand.h) hand their entries to the same callback. What the walk
 * finds goes into the case model (case.h).
 */
#ifndef INGEST_WALK_H
#define INGEST_WALK_H

#include <sys/stat.h>
#include <sys/types.h>

#include "model.h"

struct ing_scan;
struct docext_job;

/* Bytes of one input, pulled forward once. */
struct sink;
struct sink_segs;

/* An input whose bytes are also a range of an open file (a file of the
 * drop, or an entry stored as it is in a disc image or archive that is one):
 * read with pread() where and when they are needed, and the rest after the
 * head by whichever thread hashes and writes them (sink.c). */
struct byte_range {
	int fd;
	uint64_t off;                 /* the input's first byte in fd */
	const uint8_t *map;           /* the same bytes mapped (inside a mapped archive), or NULL */
};

struct byte_src {
	/* Into memory that stays valid (pieces of the sink's slabs, or buffers
	 * of their own: sink.h), appended to g until it holds want bytes in all
	 * (more may come: whole blocks); 0, also at the end of the input
	 * (g->bytes < want then), or -errno with g holding what came before. */
	int (*gather)(void *ud, struct sink *s, uint64_t want, struct sink_segs *g);
	/* The bytes after those gathered, copied into buf: bytes, 0 at the end, or -errno. */
	ssize_t (*read)(void *ud, void *buf, size_t n);
	void *ud;
	/* Where the bytes lie in a file, or NULL: then gather and read are not used. */
	const struct byte_range *range;
};

struct ident_where;

#define WALK_CHUNK_BYTES (1u << 20)

/* State of one scan's walk over its inputs (folders, and archives later). */
struct walk {
	struct ing_scan *scan;
	uint64_t entries;
	bool entries_reported;
	uint8_t *chunk;               /* WALK_CHUNK_BYTES: streamed bytes pass through it */
	int error;                    /* a failure of our own (staging), which fails the scan */
	uint64_t text_kept;           /* document text kept so far (max_case_text_bytes) */
	unsigned ocr_runs;            /* scans and photos OCR'd so far (max_ocr_documents) */
	struct ptrvec links;          /* struct pending_link*: URLs found in link files, fetched after the walk */
	uint32_t depth;               /* archives open around the current entry (expand.c) */
	bool drop_is_file;            /* the drop is one file (an archive or disc image), not a folder */
	uint64_t expanded_bytes;      /* bytes streamed out of archives so far, all levels (expand_budget) */
	/* The drop's budgets (walk_budget_init()): once one is spent, no more
	 * archive is expanded (and, for time, nothing more is read). */
	uint64_t drop_bytes;          /* the drop's own files as received, archives unopened */
	uint64_t expand_budget;       /* expanded_bytes may reach this: max_total_bytes, or max_drop_ratio's bound */
	uint64_t kept_bytes;          /* bytes of the files kept (staged in package mode) so far (max_total_bytes) */
	uint64_t deadline_ms;         /* mono_ms() at the end of max_drop_seconds, or 0 */
	enum walk_spent { WALK_SPENT_NONE = 0, WALK_SPENT_BYTES, WALK_SPENT_TIME } spent;
	bool time_reported;           /* the time budget's problem is recorded */
	struct sink *sink;            /* hashes and writes the bytes read, on both cores (sink.c) */
	/* Where every input goes, a folder's files and an archive's entries
	 * alike: scan_entry() (input.h), set by the scan; the archive
	 * expander's fuzz target sets its own (tests/fuzz/fuzz-expand.c). */
	void (*entry)(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
	              const struct ident_where *where);
	/* Threads of ours besides the scan's (the sink's, a zip's inflaters),
	 * paused while the document extractor forks (docext.h, around_fork). */
	struct walk_thread {
		void (*pause)(void *ud, bool on);
		void *ud;
	} threads[WALK_THREADS_MAX];
	unsigned n_threads;
	/* Documents whose text is being extracted (scan.c, read_document()). */
	struct pending_doc {
		struct ing_file *f;
		int type;                 /* enum docext_type */
		struct docext_job *job;
	} docs[WALK_DOCS_MAX];
	unsigned n_docs;
	/* Isolation (guard.c, docs/faults.md): what is being parsed, for the daemon's watchdog. */
	struct ing_guard *guard;      /* NULL: nobody watches */
	struct guard_frame {
		uint32_t phase;           /* enum ing_guard_phase */
		const char *path;         /* the input's record path: lives as long as the scan */
	} *gstack;                    /* phases open around the current point, innermost last */
	uint32_t gdepth, gcap;        /* gcap: limits.max_depth archives, a DICOM header, slack */
	const struct ing_scan_skip *skips;   /* inputs earlier attempts died on (ing_scan_opts) */
	size_t n_skips;
	bool fault_hook;              /* INGEST_TEST_PARSER_FAULT is set (testhooks.h; read by guard_init()) */
	void (*user_progress)(void *, uint64_t, uint64_t);   /* the caller's, behind guard_progress() */
	void *user_progress_ud;
	char today[11];               /* YYYY-MM-DD documents' treatment dates are read against */
};

/* A thread that is to be paused while the extractor forks; false when there
 * is no room (the caller then runs without that thread). */
ING_HIDDEN bool walk_thread_add(struct walk *w, void (*pause)(void *ud, bool on), void *ud);
ING_HIDDEN void walk_thread_remove(struct walk *w, void *ud);
/* Around the extractor's fork (docext_opts.around_fork, UD the walk): every
 * other thread of ours is paused, holding no lock. */
ING_HIDDEN void walk_around_fork(void *ud, bool before);

/* The drop's budgets, for a drop that is the open file or folder FD (ST its stat). */
ING_HIDDEN void walk_budget_init(struct walk *w, int fd, const struct stat *st);
/* Whether the drop's time budget is spent (then w->spent is WALK_SPENT_TIME). */
ING_HIDDEN bool walk_out_of_time(struct walk *w);
/* The drop's time budget as a problem on F (once per scan; F may be NULL:
 * a record named RELPATH is made). */
ING_HIDDEN void walk_time_problem(struct walk *w, struct ing_file *f, const char *relpath);
/* Whether expanded_bytes passed the drop's budget (then w->spent is WALK_SPENT_BYTES). */
ING_HIDDEN bool walk_over_expand_budget(struct walk *w);
/* The message for a spent byte budget, naming what was being expanded (malloc'd). */
ING_HIDDEN char *walk_expand_budget_msg(const struct walk *w, const char *what);

/* The byte source of the whole open file *FD (RG and SRC filled; both, and
 * *FD, must outlive the use of SRC). */
ING_HIDDEN void walk_fd_source(int *fd, struct byte_range *rg, struct byte_src *src);

/* Every file below the folder DFD, in name order, to w->entry; PREFIX is the
 * folder's path in the drop ("" at its root), DEPTH its nesting. */
ING_HIDDEN void walk_dir(struct walk *w, int dfd, const char *prefix, unsigned depth,
                         const struct ident_where *parent);

#endif
