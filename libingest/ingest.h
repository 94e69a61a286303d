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
	uint32_t extract_cpu_seconds;   /* per document, in the confined child */
	uint64_t extract_mem_bytes;     /* address space of the confined child */
	uint32_t max_pages;             /* pages read per document */
};

ING_EXPORT void ing_limits_default(struct ing_limits *l);

struct ing_ctx;

ING_EXPORT int ing_ctx_new(struct ing_ctx **out);
ING_EXPORT struct ing_ctx *ing_ctx_free(struct ing_ctx *ctx);
ING_EXPORT void ing_ctx_set_log(struct ing_ctx *ctx, ing_log_fn fn, void *userdata, int max_level);
ING_EXPORT const struct ing_limits *ing_ctx_get_limits(const struct ing_ctx *ctx);
ING_EXPORT void ing_ctx_set_limits(struct ing_ctx *ctx, const struct ing_limits *l);
/* Secret mixed into the opaque patient keys. Without it, a random one per context. */
ING_EXPORT int ing_ctx_set_salt(struct ing_ctx *ctx, const void *salt, size_t len);

ING_EXPORT const char *ing_strerror(int err);

/* ---- scanning: inventory of one drop ---- */

struct ing_scan_opts {
	const char *case_id;        /* NULL: derived from the path's base name */
	const char *cancer_type;    /* NULL: from case.yaml, else inferred, else generic */
	const char *staging_dir;    /* package mode: the bytes of every kept file are written here
	                             * as they are read (hashed on the way); NULL: nothing written */
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

/* Counts for callers that need a verdict without parsing JSON. */
struct ing_scan_counts {
	unsigned files, dicom_instances, studies, series, documents, excluded, problems, patients;
};
ING_EXPORT void ing_scan_get_counts(const struct ing_scan *scan, struct ing_scan_counts *out);

#ifdef __cplusplus
}
#endif
#endif
