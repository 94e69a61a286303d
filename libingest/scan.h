/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The scan: files found in a drop, and the inventory built from them. */
#ifndef INGEST_SCAN_H
#define INGEST_SCAN_H

#include <sys/types.h>

#include "model.h"

struct inv_series {
	const char *series_uid, *modality, *description, *transfer_syntax;
	bool lossy;
	struct ptrvec files;          /* struct ing_file*, one per unique SOP instance */
	int32_t *missing;             /* missing instance numbers (bounded) */
	size_t n_missing;
	bool missing_truncated;       /* more missing numbers than we list */
	struct slice_gap {
		int32_t after_instance, before_instance;
		int missing;
		double spacing_mm, gap_mm;
	} *gaps;
	size_t n_gaps;
};

struct inv_study {
	const char *study_uid, *date, *description, *body_part;
	char date_iso[11];
	char modalities[128];         /* "CT,PT" */
	struct ptrvec series;         /* struct inv_series* */
};

struct inv_patient {
	char key[17];                 /* opaque: salted hash, hex */
	unsigned sources;
};

/* The cross-check of one DICOMDIR against the files beside it. */
struct inv_dicomdir {
	struct ing_file *file;
	size_t refs;                  /* records that reference a file */
	struct ptrvec missing;        /* char*: referenced, not on the disc (as referenced) */
	struct ptrvec unreferenced;   /* struct ing_file*: DICOM files beside it it does not list */
	size_t case_resolved;         /* references that matched only ignoring case/separators/";1" */
	char *case_example;           /* one such pair, "REF -> actual path" */
	size_t uid_mismatch;          /* referenced file holds another SOP Instance UID */
	bool at_root;                 /* at the root of the disc or drop (IHE PDI) */
	bool readme;                  /* a README beside it (IHE PDI) */
	bool viewer;                  /* viewer software on the disc (IHE PDI) */
	bool ihe_pdi_folder;          /* an IHE_PDI folder beside it */
};

struct inventory {
	struct ptrvec patients;       /* struct inv_patient* */
	struct ptrvec studies;        /* struct inv_study* */
	struct ptrvec documents;      /* struct ing_file* */
	struct ptrvec excluded;       /* struct ing_file* */
	struct ptrvec problems;       /* struct ing_file* */
	struct ptrvec dicomdirs;      /* struct inv_dicomdir* */
	unsigned dicom_instances;
};

struct ing_scan {
	struct ing_ctx *ctx;
	char *case_id;
	char *root;
	char generated_at[40];
	struct ptrvec files;          /* struct ing_file*, in walk order */
	uint64_t total_bytes;
	struct inventory inv;
	int staging_fd;               /* package mode: kept files' bytes are written here; -1 otherwise */
	bool fetch_links;             /* link files are downloaded (package mode, daemon) */
	struct ing_drop_record *drops;/* history (ing_scan_set_history), strings owned */
	size_t n_drops;
	char *changes_json;           /* JSON array of {what, detail}, or NULL */
	void (*progress)(void *, uint64_t, uint64_t);
	void *progress_ud;
	uint64_t bytes_done;
	unsigned staged_seq;

	/* The rules' verdict (evaluate.c): filled after inventory_build(). */
	struct case_yaml *case_yaml;       /* the drop root's case.yaml, NULL if none */
	char *case_yaml_errors;            /* "case.yaml:LINE:COL: what" lines, NULL if none */
	char *cancer_type;                 /* rules id checked against; NULL before evaluation */
	const char *cancer_type_source;    /* "option" | "case.yaml" | "inferred" | "generic" */
	char *cancer_type_evidence;
	int setting;                       /* enum rule_setting; 0: unknown */
	struct ptrvec gaps;                /* struct ing_gap* (evaluate.h) */
	struct ptrvec notes;               /* struct ing_gap*: info rules not met, urgent words; never gaps */
	const char *status;                /* "complete" | "incomplete" | "blocked"; NULL: not evaluated */
	unsigned required_gaps;
};

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
#define WALK_DOCS_MAX 2u       /* documents extracted at once (their children run on both cores) */
#define WALK_THREADS_MAX 16u   /* the sink's, and one per zip open (nested: limits.max_depth) */

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
	uint64_t expanded_bytes;      /* bytes streamed out of archives so far, all levels (max_total_bytes) */
	struct sink *sink;            /* hashes and writes the bytes read, on both cores (sink.c) */
	/* Where an archive's entries go: scan_entry() when NULL (the archive
	 * expander's fuzz target sets its own, tests/fuzz/fuzz-expand.c). */
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
	bool fault_hook;              /* INGEST_TEST_PARSER_FAULT is set (guard.c) */
	void (*user_progress)(void *, uint64_t, uint64_t);   /* the caller's, behind guard_progress() */
	void *user_progress_ud;
	char today[11];               /* YYYY-MM-DD documents' treatment dates are read against */
};

/* Scan one input file: identify, read headers/text, hash every byte once.
 * fd >= 0 when the bytes are also reachable as an open file (folder drops). */
ING_HIDDEN void scan_entry(struct walk *w, const char *relpath, uint64_t size, struct byte_src *src, int fd,
                           const struct ident_where *where);

/* A thread that is to be paused while the extractor forks; false when there
 * is no room (the caller then runs without that thread). */
ING_HIDDEN bool walk_thread_add(struct walk *w, void (*pause)(void *ud, bool on), void *ud);
ING_HIDDEN void walk_thread_remove(struct walk *w, void *ud);

/* Wait for the documents being read and take their text (before the walk ends). */
ING_HIDDEN void docs_finish_all(struct walk *w);

ING_HIDDEN void inventory_build(struct ing_scan *scan);
/* The gap report as JSON text (report-json.c); extra(root, ud), if given,
 * adds members at the end of the top-level object before it is written. */
struct json_object;
ING_HIDDEN int report_json_text(const struct ing_scan *scan, void (*extra)(struct json_object *root, void *ud),
                                void *ud, char **out);
/* Dated treatment events of a document's text into d->treatments (scan.c). */
struct doc_info;
ING_HIDDEN void doc_read_treatments(struct doc_info *d, const char *today);
ING_HIDDEN void inventory_free(struct inventory *inv);

#endif
