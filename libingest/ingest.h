/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libingest: the one public header.
 *
 * Error convention (everywhere in libingest): functions return 0 on success or
 * a negative errno value on failure; output parameters are written only on
 * success. ing_strerror() turns a code into text. Problems with a single input
 * file are not errors of the call: they are recorded in the scan result.
 *
 * The library never writes to stderr: it logs through the callback set with
 * ing_ctx_set_log(), and log messages carry case ids, never patient data.
 */
#ifndef INGEST_H
#define INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ING_EXPORT __attribute__((visibility("default")))

enum ing_log_level {
	ING_LOG_ERR = 3,
	ING_LOG_WARNING = 4,
	ING_LOG_NOTICE = 5,
	ING_LOG_INFO = 6,
	ING_LOG_DEBUG = 7,
};

typedef void (*ing_log_fn)(void *userdata, int level, const char *msg);

/* Every size that input controls is bounded here, and only here. */
struct ing_limits {
	uint64_t max_file_bytes;        /* one input file or archive entry */
	uint64_t max_total_bytes;       /* everything one drop expands to */
	uint64_t max_entries;           /* files in one drop, all archives included */
	uint32_t max_depth;             /* archive nesting */
	uint32_t max_ratio;             /* expanded:compressed, per archive */
	uint32_t max_path_bytes;        /* one path inside a drop */
	uint64_t max_dicom_header_bytes;/* DICOM bytes parsed before pixel data */
	uint64_t max_doc_bytes;         /* a document handed to a text extractor */
	uint64_t max_text_bytes;        /* extracted text kept per document */
	uint64_t max_case_text_bytes;   /* document text kept for the whole drop until the rules ran */
	uint32_t extract_cpu_seconds;   /* per document, in the confined child */
	uint64_t extract_mem_bytes;     /* address space of the confined child */
	uint32_t max_pages;             /* pages read per document */
	uint32_t max_ocr_documents;     /* scans and photos OCR'd per drop (OCR costs ~1 s a page) */
	uint64_t hash_pending_bytes;    /* bytes of a mapped disc image handed to the hashing thread and not yet
	                                 * hashed (they stay resident until then); over it, the scan hashes too */
	uint32_t max_download_seconds;  /* all of one drop's link downloads together, waits and retries included */
	uint64_t max_download_bytes;    /* all of one drop's link downloads together, failed attempts included */
	uint32_t max_drop_ratio;        /* bytes expanded out of archives (all levels) per byte of the drop as
	                                 * received; 64 MiB may always expand (caps.h); 0: no such bound */
	uint32_t max_drop_seconds;      /* wall time of one scan's reading and expanding; 0: none */
};

ING_EXPORT void ing_limits_default(struct ing_limits *l);
/* The wall-clock seconds one document's extraction may take: the deadline of
 * the confined child that reads it (one that waits uses no CPU: only this
 * stops it), 2 * extract_cpu_seconds (at least 1) + 2 s. */
ING_EXPORT double ing_limits_document_seconds(const struct ing_limits *l);

struct ing_ctx;

ING_EXPORT int ing_ctx_new(struct ing_ctx **out);
ING_EXPORT struct ing_ctx *ing_ctx_free(struct ing_ctx *ctx);
ING_EXPORT void ing_ctx_set_log(struct ing_ctx *ctx, ing_log_fn fn, void *userdata, int max_level);
ING_EXPORT const struct ing_limits *ing_ctx_get_limits(const struct ing_ctx *ctx);
ING_EXPORT void ing_ctx_set_limits(struct ing_ctx *ctx, const struct ing_limits *l);
/* Secret mixed into the opaque patient keys. Without it, a random one per context. */
ING_EXPORT int ing_ctx_set_salt(struct ing_ctx *ctx, const void *salt, size_t len);
/* Languages the receiving centre reads ("en,fr"): documents in others are
 * flagged for translation. Default "en". */
ING_EXPORT int ing_ctx_set_working_languages(struct ing_ctx *ctx, const char *langs);

ING_EXPORT const char *ing_strerror(int err);

/* ---- isolation: what the scan is parsing, for a watcher in another process ---- */

/* What the scan is doing now (struct ing_guard.phase). */
enum ing_guard_phase {
	ING_GUARD_NONE = 0,         /* nothing that parses untrusted bytes in this process */
	ING_GUARD_DICOM = 1,        /* reading the header of a DICOM file (DCMTK) */
	ING_GUARD_ARCHIVE = 2,      /* expanding an archive or disc image (libarchive, libudfread) */
};

#define ING_GUARD_PATH_BYTES 4096

/* Shared between a process that scans and the process that watches it (the
 * daemon and its worker): made with ing_guard_new() before fork(). The scan
 * writes it (ing_scan_opts.guard); the watcher reads progress and phase with
 * ing_guard_read() while the scan runs, and the path once the scanning
 * process is gone. While a phase is shown, progress moves at least at every
 * input file and at every change of phase: a phase shown with no progress
 * for long is a parser that hangs; a scanning process that dies while a
 * phase is shown died in that parser, on that path. */
struct ing_guard {
	uint64_t progress;
	uint32_t phase;                     /* enum ing_guard_phase */
	uint32_t path_truncated;            /* the path was longer than the buffer: cut */
	char path[ING_GUARD_PATH_BYTES];    /* the file or archive, as the report shows it (NUL-terminated) */
};

/* A zeroed guard in a shared anonymous mapping (inherited across fork()). */
ING_EXPORT int ing_guard_new(struct ing_guard **out);
ING_EXPORT void ing_guard_free(struct ing_guard *g);
/* Progress and phase as of now (atomic reads). */
ING_EXPORT void ing_guard_read(const struct ing_guard *g, uint64_t *progress, uint32_t *phase);
/* "DICOM header", "archive", or "none". */
ING_EXPORT const char *ing_guard_phase_name(uint32_t phase);

/* An input an earlier attempt died on (ing_scan_opts.skips): a DICOM file
 * whose header is not read again, or an archive that is not opened again. */
struct ing_scan_skip {
	const char *path;           /* as the report shows it (ing_guard.path) */
	const char *reason;         /* what the reader did, completing "the DICOM reader ... on this file":
	                             * "crashed (signal 11)", "took more than 120 s", "ran out of memory" */
};

/* ---- scanning: inventory of one drop ---- */

struct ruleset;     /* loaded rules (libingest-internal.h: rules_load_dir()) */

struct ing_scan_opts {
	const char *case_id;        /* NULL: derived from the path's base name */
	const char *cancer_type;    /* NULL: from case.yaml, else inferred, else generic */
	const char *staging_dir;    /* package mode: the bytes of every kept file are written here
	                             * as they are read (hashed on the way); NULL: nothing written */
	const char *rules_dir;      /* rules folder; NULL: the installed one */
	const struct ruleset *rules;    /* rules_dir's rules, already loaded by the caller (the tools check
	                                 * them before anything is written): read, not freed, by the scan;
	                                 * kept until ing_scan_free(). NULL: the scan loads them */
	const char *setting;        /* early | locally-advanced | metastatic | recurrent; NULL: from case.yaml */
	const char *today;          /* YYYY-MM-DD that ages are measured to; NULL: the report time (ingest --today) */
	bool fetch_links;           /* download the links of *.url, *.webloc, links.txt (package, daemon) */
	bool allow_http;            /* downloads may use http:// too (default: https only) */
	const char *ca_file;        /* PEM CA bundle for downloads; NULL: the system's */
	bool case_store;            /* PATH holds one folder per drop of the case, in arrival
	                             * order by name (the daemon's case store): each drop's
	                             * case.yaml counts, later drops overriding earlier ones */
	/* Called after each input file: files and bytes read so far. */
	void (*progress)(void *userdata, uint64_t files_done, uint64_t bytes_done);
	void *progress_userdata;
	/* Isolation (docs/faults.md): the shared record a watcher reads (NULL:
	 * none), and the inputs earlier attempts died on, left out with a problem. */
	struct ing_guard *guard;
	const struct ing_scan_skip *skips;
	size_t n_skips;
};

struct ing_scan;

/* Walks PATH (a folder or a single file), identifies every file, reads DICOM
 * headers and document text, and builds the inventory. Nothing is written. */
ING_EXPORT int ing_scan_path(struct ing_ctx *ctx, const char *path,
                             const struct ing_scan_opts *opts, struct ing_scan **out);
ING_EXPORT struct ing_scan *ing_scan_free(struct ing_scan *scan);

/* The report (SPEC §5 keys) as a JSON text; *out is malloc'd. */
ING_EXPORT int ing_scan_to_json(const struct ing_scan *scan, char **out);
/* A readable summary for people. */
ING_EXPORT int ing_scan_write_text(const struct ing_scan *scan, FILE *f);

/* The verdict of the rules: "complete" (no required gap), "incomplete" or
 * "blocked" (nothing usable); *required_gaps (may be NULL) gets the number of
 * required gaps. */
ING_EXPORT const char *ing_scan_status(const struct ing_scan *scan, unsigned *required_gaps);
/* The case's history for the report (SPEC §5 "drops" and "changes"): the
 * drops merged so far, and what changed since the previous report, as a JSON
 * array of {"what", "detail"} objects. Without it, the report lists the one
 * drop scanned. Returns -EINVAL on a malformed changes array. */
struct ing_drop_record {
	const char *name;
	const char *received_at;    /* RFC 3339 */
};
ING_EXPORT int ing_scan_set_history(struct ing_scan *scan, const struct ing_drop_record *drops, size_t n,
                                    const char *changes_json);

/* The rules id the scan was checked against ("generic" when none applied). */
ING_EXPORT const char *ing_scan_cancer_type(const struct ing_scan *scan);

/* ---- packaging: one BagIt 1.0 bag per case (SPEC §6) ---- */

enum ing_package_state {
	ING_PACKAGE_PENDING = 0,    /* published under OUT/pending/CASE: required gaps remain */
	ING_PACKAGE_READY,          /* published under OUT/ready/CASE */
};

struct ing_package;

/* Start building case_id's package in the outbox out_dir: takes the case's
 * lock (OUT/.building/CASE.lock, removed again by ing_package_free), removes
 * leftovers of earlier builds of the case, and makes OUT/.building/CASE.XXXXXX/staging for the scan. */
ING_EXPORT int ing_package_begin(struct ing_ctx *ctx, const char *out_dir, const char *case_id,
                                 struct ing_package **out);
/* The folder to give the scan as ing_scan_opts.staging_dir. */
ING_EXPORT const char *ing_package_staging_dir(const struct ing_package *pkg);

struct ing_package_opts {
	enum ing_package_state state;   /* decided by the caller (rules), not by the builder */
	const char *status;             /* "complete" | "incomplete" | "blocked": bag-info Status */
	const char *cancer_type;        /* bag-info Cancer-Type; NULL: "generic" */
};

/* Build the bag beside its final place from a scan made with the staging
 * folder above: payload moved (renamed) out of staging, DICOMDIR, reports,
 * provenance, manifests; everything fsync'ed. Nothing is published yet. */
ING_EXPORT int ing_package_build(struct ing_package *pkg, const struct ing_scan *scan,
                                 const struct ing_package_opts *opts);
/* The folder of the built bag, not yet published (OUT/.building/CASE.XXXXXX/CASE):
 * NULL before ing_package_build() succeeded and once ing_package_publish() moved it. */
ING_EXPORT const char *ing_package_bag_dir(const struct ing_package *pkg);
/* Publish the built bag atomically: rename into OUT/pending|ready/CASE, or
 * exchange with the case's package already there; a package of the case in
 * the other folder is removed after the new one is in place. */
ING_EXPORT int ing_package_publish(struct ing_package *pkg);

struct ing_package_info {
	const char *path;               /* where it is (or will be) published */
	uint64_t files, bytes;          /* payload */
	char manifest_sha256[65];
	unsigned dicom_files, dicomdir_refused, documents, left_out;
};
ING_EXPORT void ing_package_get_info(const struct ing_package *pkg, struct ing_package_info *out);
/* Remove what is left of the build (staging, an unpublished bag, a replaced
 * package) and release the case's lock. */
ING_EXPORT struct ing_package *ing_package_free(struct ing_package *pkg);

/* The report as a self-contained HTML page (no external resources). */
ING_EXPORT int ing_scan_write_html(const struct ing_scan *scan, const char *status, FILE *f);

/* ---- verifying a bag (ingest verify) ---- */

enum ing_verify_finding {
	ING_VERIFY_MISSING,     /* listed in a manifest, not in the bag */
	ING_VERIFY_ALTERED,     /* digest differs */
	ING_VERIFY_EXTRA,       /* under data/ but in no manifest */
	ING_VERIFY_OXUM,        /* Payload-Oxum disagrees */
	ING_VERIFY_INVALID,     /* unsafe or unreadable content (symbolic link, too deep) */
};
typedef void (*ing_verify_fn)(void *userdata, enum ing_verify_finding what, const char *path, const char *detail);

struct ing_verify_result {
	uint64_t files, bytes;          /* checked (payload and tag files) */
	unsigned missing, altered, extra, invalid;
	bool oxum_mismatch;
	bool tag_manifest;              /* a tagmanifest-sha256.txt was there and checked */
};

/* Check a bag against its manifests. Returns 0 when the check ran (the
 * result says whether it passed), -ENOTDIR when BAG is not a bag, -EBADMSG
 * when a manifest is malformed or names a path outside the bag (refused),
 * other negative errno when the bag cannot be read. */
ING_EXPORT int ing_bag_verify(struct ing_ctx *ctx, const char *bag, ing_verify_fn fn, void *userdata,
                              struct ing_verify_result *out);

#ifdef __cplusplus
}
#endif
#endif
