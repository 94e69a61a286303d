/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libingest-internal.h: what the project's own programs (daemon/, tools/)
 * and tests may use of libingest beyond the public ingest.h (kmod's
 * libkmod-internal.h). Not installed, no stable interface.
 *
 * A program includes ingest.h and this header, never another header of
 * libingest/: the test `boundary` reads the programs' object files with nm
 * and fails on any libingest symbol declared in neither. Inside the library,
 * modules share internal.h (context, logging) and their own headers.
 *
 * The helper layer (libingest/util/: memory and cleanup, buffers, text,
 * SHA-256, files, YAML, json-c's cleanup form) is a library of its own that
 * the programs link too; it is reached through this header as well.
 */
#ifndef LIBINGEST_INTERNAL_H
#define LIBINGEST_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "caps.h"

#include "util/fileio.h"
#include "util/json.h"
#include "util/macro.h"
#include "util/mem.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/yaml.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- cleanup forms of ingest.h's destructors (util/mem.h), kept out of
 * ingest.h, which stays plain C ---- */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct ing_ctx *, ing_ctx_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ing_guard *, ing_guard_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ing_scan *, ing_scan_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ing_package *, ing_package_free)

/* ---- rules (rules.h has the model; docs/rules.md the format) ---- */

struct ruleset;

/* The case id a drop at PATH is named by: its base name up to the first dot
 * (CASE.iso, CASE.tar.gz, CASE/ -> CASE). MAKE_VALID: each run of bytes a
 * case id may not hold ([A-Za-z0-9._-]{1,64}) made one '_', "case" when
 * nothing is left (ingest scan, which only reports); else as it is (ingest
 * package refuses one that is not valid). Malloc'd. */
ING_HIDDEN char *case_id_from_path(const char *path, bool make_valid);

/* The vocabulary's folder inside a rules folder (docs/vocabulary.md): loaded
 * with the rules, copied with them. */
#define VOCAB_DIR_NAME "vocabulary"

/* Loads every *.yaml in DIR and its vocabulary folder. On success *out is set and 0 returned. With any
 * validation error, returns -EINVAL and appends "FILE:LINE:COL: what\n" lines
 * (all errors, not only the first) to ERRORS (may be NULL). Other negative
 * errno values: DIR itself could not be read. */
ING_HIDDEN int rules_load_dir(struct ing_ctx *ctx, const char *dir, struct ruleset **out,
                              struct strbuf *errors);
ING_HIDDEN struct ruleset *ruleset_free(struct ruleset *rs);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ruleset *, ruleset_free)

/* rules_load_dir() with the file at PATH in place of DIR's file NAME (which
 * need not exist): the folder as it would be with PATH installed as NAME. */
ING_HIDDEN int rules_load_dir_with(struct ing_ctx *ctx, const char *dir, const char *name, const char *path,
                                   struct ruleset **out, struct strbuf *errors);

/*
 * One rules file checked against the rest of a folder, parsed once:
 * rules_load_base() loads DIR's files but the one named LEAVE_OUT (may be
 * NULL; the file being checked, when it is in DIR), with the errors and
 * return values of rules_load_dir(), except that the generic type and the
 * files themselves may be missing. rules_check_file() then checks the file
 * at PATH as if it were added to that folder: every error rules_load_dir()
 * would report for it, as "PATH:LINE:COL: what" lines in ERRORS (may be NULL),
 * and the folder's "no generic.yaml" when neither has it. Returns 0 (valid)
 * or -EINVAL; BASE is not changed and can check any number of files.
 * rules_check_text() checks LEN bytes at TEXT in memory, named PATH.
 */
ING_HIDDEN int rules_load_base(struct ing_ctx *ctx, const char *dir, const char *leave_out,
                               struct ruleset **out, struct strbuf *errors);
ING_HIDDEN int rules_check_file(const struct ruleset *base, const char *path, struct strbuf *errors);
ING_HIDDEN int rules_check_text(const struct ruleset *base, const char *path, const char *text, size_t len,
                                struct strbuf *errors);

/* The rules folder used when none is given: the installed one
 * (INGEST_RULES_DIR), whether it exists or not; in a test build, the one
 * INGEST_TEST_RULES_DIR names, if set (docs/test-hooks.md). Never the
 * source tree's. */
ING_HIDDEN const char *evaluate_default_rules_dir(void);

/* How many files were read and distinct rules defined. */
ING_HIDDEN void ruleset_size(const struct ruleset *rs, size_t *files, size_t *rules);

/* Cancer types only (no fragments), in id order: how many, and a summary of
 * the I-th for listings (`ingest rules list`). The strings live as long as RS. */
ING_HIDDEN size_t ruleset_n_cancer_types(const struct ruleset *rs);
struct ruleset_type_summary {
	const char *id, *name;
	size_t rules;                   /* effective rules: included, minus excluded, own */
	unsigned required, recommended; /* of those, by declared severity */
};
ING_HIDDEN void ruleset_type_summary(const struct ruleset *rs, size_t i, struct ruleset_type_summary *out);

/* ---- case.yaml (caseyaml.h) ---- */

/* Does S look like an e-mail address (local@domain.tld, no spaces, quotes,
 * angle brackets or control characters)? */
ING_HIDDEN bool case_yaml_address_ok(const char *s);

/* The notify: addresses of the case.yaml NAME below the folder DIRFD, as a
 * malloc'd array of malloc'd strings (*n of them; free each and the array).
 * 0 with *n == 0 when there is none, it has none, or it cannot be read: a
 * broken case.yaml never stops a case, its problems are in the report. */
ING_HIDDEN int case_yaml_notify_at(int dirfd, const char *name, char ***out, size_t *n);

/* The deliver_to: of the case.yaml NAME below the folder DIRFD (SPEC §10):
 * 1 with *OUT (malloc'd) the destination's name it gives; 0 when there is no
 * case.yaml or it names none; -EINVAL with *WHY (malloc'd, plain words) when
 * it may name one but cannot be used: the key's value is not a name, or the
 * file cannot be read as a whole. Fail closed: the caller then delivers
 * nowhere (never to a default destination). */
ING_HIDDEN int case_yaml_deliver_to_at(int dirfd, const char *name, char **out, char **why);
/* The same for a scanned case (evaluate.c): its drops' case.yaml files as the
 * scan read them (at a folder's root or an archive's), the newest that says
 * anything about deliver_to deciding; a case.yaml the scan could not read is
 * -EINVAL too. */
ING_HIDDEN int ing_scan_deliver_to(const struct ing_scan *scan, char **name, char **why);
/* The case.yaml notify: addresses of a scanned case, as the scan read them (a
 * folder's case.yaml or an archive's, every drop's): their number, the list
 * in *ADDRS (the scan's own strings, shape-checked). */
ING_HIDDEN size_t ing_scan_notify(const struct ing_scan *scan, const char *const **addrs);

/* ---- delivery to the reviewing centre (send.c, send-http.c; docs/delivery.md) ----
 *
 * DICOMweb: QIDO-RS asks what the destination already holds, STOW-RS sends
 * the rest in batches bounded in bytes, QIDO-RS again confirms every SOP
 * Instance UID. Resumable by construction: a second run sends only what the
 * destination does not hold yet. */

struct send_opts {
	const char *url;            /* DICOMweb base, e.g. https://pacs.example/dicom-web/,
	                             * or DIMSE: dicom://CALLED_AET@host:port */
	bool allow_http;            /* plain http allowed (tests, a closed network) */
	const char *ca_file;        /* CA bundle for the destination's certificate; NULL: the system's
	                             * (DIMSE over TLS: required) */
	const char *calling_aet;    /* DIMSE: our AE title; NULL: SEND_CALLING_AET */
	bool tls;                   /* DIMSE: over TLS (with ca_file) */
	unsigned commit_port;       /* DIMSE: ask for storage commitment and take the answer on this port
	                             * (0: not asked; C-FIND alone confirms) */
	bool allow_transcode;       /* DIMSE: an object whose transfer syntax the destination refuses is sent
	                             * decoded (uncompressed) when it takes its SOP class so; never compressed */
	const char *token_file;     /* bearer token, first line of the file; NULL: none */
	const char *basic_file;     /* "user:password", first line of the file; NULL: none */
	const char *receipt_path;   /* where the receipt goes; NULL: none written */
	uint64_t batch_bytes;       /* DICOM bytes per STOW-RS request (one larger object goes alone) */
	uint64_t max_bytes;         /* bytes sent by one delivery, retries included */
	uint32_t max_seconds;       /* wall time of one delivery, waits and retries included */
	unsigned max_retries;       /* per request, on 5xx, 408, 429 and connection failures */
	uint32_t retry_base_ms;     /* first wait; doubled each retry */
	bool verify;                /* check the package first, as ing_bag_verify(): nothing is sent unless it
	                             * passes (send_result.verify_failed). It runs while the objects are
	                             * listed and the destination is asked what it holds, which send nothing */
};

struct send_result {
	uint64_t objects;           /* DICOM objects in the package */
	uint64_t already;           /* the destination held them before we sent anything */
	uint64_t sent;              /* accepted by STOW-RS in this run */
	uint64_t failed;            /* refused by the destination (per instance), or unreadable */
	uint64_t confirmed;         /* found by the final QIDO-RS */
	uint64_t transcoded;        /* DIMSE: sent decoded (allow_transcode), in this run */
	/* DIMSE with commit_port: storage commitment of the objects C-FIND found */
	enum { COMMIT_NOT_ASKED, COMMIT_NOT_OFFERED, COMMIT_ANSWERED, COMMIT_FAILED } commitment;
	uint64_t committed;         /* objects the destination committed to storing */
	char transaction_uid[64];   /* the request's ("" none sent) */
	uint64_t bytes_sent;        /* request body bytes, retries included */
	unsigned requests;          /* STOW-RS requests made (retries included) */
	bool delivered;             /* confirmed == objects, nothing failed */
	char *error;                /* why not delivered, in plain words; NULL when delivered */
	/* send_opts.verify: the package failed it, nothing was sent (send_package() returns -EBADMSG,
	 * error says it in words, with the counts): ing_bag_verify()'s return (0: it ran and found files
	 * missing, altered...; -ENOTDIR: not a bag; -EBADMSG, -E2BIG: a bad manifest; another: unreadable) */
	bool verify_failed;
	int verify_r;
};

ING_HIDDEN void send_opts_default(struct send_opts *o);
ING_HIDDEN void send_result_clear(struct send_result *r);

/*
 * Deliver the DICOM objects of the BagIt package BAG (verified by the caller)
 * to O->url. Returns 0 when the delivery ran to its end (res->delivered says
 * whether every object is confirmed; res->error why not), or a negative errno
 * when it could not start or was cut off: -EINVAL (bad destination, a URL
 * with credentials in it), -EPROTONOSUPPORT (http not allowed, another
 * scheme), -ENOENT/-EACCES (a credentials file; -EACCES also when the
 * destination refuses them: HTTP 401/403, not worth retrying), -ETIMEDOUT, -EFBIG (the
 * budgets), -EIO (the destination kept failing), with res->error set.
 * Credentials are never logged nor written to the receipt.
 */
ING_HIDDEN int send_package(struct ing_ctx *ctx, const char *bag, const struct send_opts *o,
                            struct send_result *res);

/* Whether URL names a DIMSE destination (dicom://CALLED_AET@host:port): send_package() then speaks C-FIND and
 * C-STORE (send-dimse.c) where it speaks QIDO-RS and STOW-RS to a DICOMweb one. */
ING_HIDDEN bool send_url_is_dimse(const char *url);

/* ---- for tests only ---- */

/* Dated treatment events of a document's text into d->treatments, as the
 * scan reads them (documents.c); TODAY (YYYY-MM-DD, or NULL) settles
 * day/month order, and later dates are plans. */
struct doc_info;
struct vocab;
ING_HIDDEN void doc_read_treatments(const struct vocab *v, struct doc_info *d, const char *today);

#ifdef __cplusplus
}
#endif
#endif
