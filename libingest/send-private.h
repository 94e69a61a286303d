/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What send.c (the delivery), send-http.c (its libcurl requests) and
 * send-dimse.c (the delivery over DICOM C-STORE / C-FIND) share. */
#ifndef INGEST_SEND_PRIVATE_H
#define INGEST_SEND_PRIVATE_H

#include <pthread.h>

#include "internal.h"
#include "libingest-internal.h"
#include "util/json.h"

enum obj_state { OBJ_PENDING, OBJ_THERE, OBJ_SENT, OBJ_FAILED };

/* One DICOM object of the package (send.c lists them, sorted by study then SOP Instance UID; for
 * DICOMweb by study, series, then SOP Instance UID). */
struct obj {
	char *path;                 /* relative to the bag */
	char *study, *sop;
	char *series;               /* "" when not a valid UID */
	char *sop_class, *xfer;     /* SOP Class UID and transfer syntax ("" when unknown) */
	uint64_t size;
	uint8_t state;
	bool confirmed;
	char *reason;               /* OBJ_FAILED: why */
	bool committed;             /* DIMSE: named committed in the storage commitment answer */
	char *sent_as;              /* DIMSE: the transfer syntax it was sent in, decoded, when the destination
	                             * refused its own (send_opts.allow_transcode); NULL: sent as it is */
};

/* One delivery's connection settings and budgets (send-http.c). */
struct send_conn {
	struct ing_ctx *ctx;
	const struct send_opts *o;
	char *base;                 /* the URL, ending in '/', no credentials */
	char *auth_header;          /* "Authorization: Bearer ..."; NULL: none */
	char *userpwd;              /* "user:password"; NULL: none */
	uint64_t deadline_ms;       /* mono_ms() when the delivery must end */
	uint64_t *bytes_sent;       /* request body bytes so far (send_result.bytes_sent) */
	unsigned *requests;
	/* Connections in parallel (STOW-RS and QIDO-RS): each its own send_conn made by
	 * send_conn_clone(), sharing the counters above, BYTES_RESERVED (the
	 * bodies in flight, so that the byte budget holds for all of them) and
	 * LOCK, which guards the counters and the log. NULL when alone. */
	uint64_t *bytes_reserved;
	pthread_mutex_t *lock;
	void *curl;                 /* its libcurl handle, kept for connection reuse (CURL *) */
	bool clone;                 /* base and credentials belong to another send_conn */
};

/* A request body streamed from files (STOW-RS): NPARTS files under the bag's
 * folder DIRFD, each sent as one application/dicom part. */
struct send_part {
	const char *path;           /* relative to the bag */
	uint64_t size;
};
struct send_body {
	int dirfd;
	const struct send_part *parts;
	size_t nparts;
	char boundary[48];
	uint64_t length;            /* the whole body */
	/* the reader's position */
	size_t part;
	int stage;                  /* 0 part head, 1 file, 2 part tail, 3 closing, 4 done */
	size_t off;                 /* in the current head/tail string */
	int fd;
	uint64_t file_off;
	bool changed;               /* a file's size is not what it was: the body is cut */
};

/* *ERR (freed first) = the message FMT makes, in plain words. */
ING_HIDDEN void send_set_err(char **err, const char *fmt, ...) ING_PRINTF(2, 3);

/* Prepare CONN for O (checks the URL and the scheme, reads the credentials
 * files): 0, or a negative errno with *err set in plain words. */
ING_HIDDEN int send_conn_init(struct send_conn *c, struct ing_ctx *ctx, const struct send_opts *o, char **err);
ING_HIDDEN void send_conn_done(struct send_conn *c);
/* A second connection to the same destination, sharing SRC's settings,
 * counters and lock (SRC outlives it): for requests on another thread. */
ING_HIDDEN void send_conn_clone(struct send_conn *dst, const struct send_conn *src);
/* The log, under the lock when there is one. */
#define send_log(c, level, ...) do {                                             \
		if ((c)->lock) pthread_mutex_lock((c)->lock);                    \
		ing_log((c)->ctx, level, __VA_ARGS__);                           \
		if ((c)->lock) pthread_mutex_unlock((c)->lock);                  \
	} while (0)

/* Set BODY up for PARTS (its length computed). */
ING_HIDDEN void send_body_init(struct send_body *b, int dirfd, const struct send_part *parts, size_t n);

/* One request to URL, retried with backoff on connection failures, 5xx, 408
 * and 429 within the budgets: GET when BODY is NULL, else a STOW-RS POST of
 * BODY. The answer's status in *status and its body in RESP (bounded by
 * SEND_RESPONSE_MAX_BYTES). Returns 0 when an answer came (any status), or a
 * negative errno (-ETIMEDOUT, -EFBIG budgets; -EIO no answer after the
 * retries; -ECONNREFUSED ...) with *err set. */
ING_HIDDEN int send_http(struct send_conn *c, const char *url, struct send_body *body, long *status,
                         struct strbuf *resp, char **err);

/* Calls FN for each item of the JSON array TEXT[0..LEN) (a QIDO-RS answer), one item in memory at a
 * time: a page of 1,000 instances is 20-30 MB as one json-c tree, one instance some 20 KB. An item longer
 * than SEND_QIDO_ITEM_MAX_BYTES, or TEXT not a JSON array, is -EBADMSG (the items before it were given to
 * FN); else 0 and the number of items in *COUNT. */
ING_HIDDEN int send_json_each(const char *text, size_t len, void (*fn)(json_object *item, void *ud), void *ud,
                              size_t *count);

/* ---- DIMSE (send-dimse.c) ---- */

struct send_dimse {
	struct ing_ctx *ctx;
	const struct send_opts *o;
	char *called, *calling, *host;
	unsigned port;
	char *display;              /* dicom://CALLED@host:port, for the receipt and the logs */
	uint64_t deadline_ms;       /* as send_conn's */
	uint64_t *bytes_sent;
	unsigned *requests;         /* C-STORE requests made (retries included) */
};

/* Parse O->url and check the options (AE titles, TLS): 0, or -EINVAL /
 * -ENOTSUP with *err set in plain words. */
ING_HIDDEN int send_dimse_init(struct send_dimse *s, struct ing_ctx *ctx, const struct send_opts *o, char **err);
ING_HIDDEN void send_dimse_done(struct send_dimse *s);

/* C-FIND per study: marks OBJS[0..N) the destination holds as OBJ_THERE
 * (FINAL false, pending ones only) or confirmed (FINAL true). 0, or a
 * negative errno with *err set (the destination cannot be asked). */
ING_HIDDEN int send_dimse_query(struct send_dimse *s, struct obj *objs, size_t n, bool final, char **err);

/* C-STORE of the pending objects of OBJS (files under BAGFD), associations
 * of at most O->batch_bytes each, retried with backoff on transient failures
 * inside the budgets. Refused objects become OBJ_FAILED with their reason,
 * stored ones OBJ_SENT. 0, or a negative errno with *err set. */
ING_HIDDEN int send_dimse_store(struct send_dimse *s, int bagfd, struct obj *objs, size_t n, char **err);

/* Storage commitment (O->commit_port) of the objects of OBJS that C-FIND
 * confirmed: listen on the port, ask (N-ACTION), take the answer
 * (N-EVENT-REPORT on the destination's own association) within
 * SEND_COMMIT_WAIT_S. Each object the answer names committed gets
 * `committed`; one it names failed gets its reason. RES->commitment,
 * committed and transaction_uid say what happened; a destination that does
 * not offer storage commitment is COMMIT_NOT_OFFERED (not an error). 0, or
 * a negative errno with *err set (no answer in time: -ETIMEDOUT). */
ING_HIDDEN int send_dimse_commit(struct send_dimse *s, struct obj *objs, size_t n, struct send_result *res,
                                 char **err);

#endif
