/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What send.c (the delivery) and send-http.c (its libcurl requests) share. */
#ifndef INGEST_SEND_PRIVATE_H
#define INGEST_SEND_PRIVATE_H

#include "internal.h"
#include "libingest-internal.h"

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

/* Prepare CONN for O (checks the URL and the scheme, reads the credentials
 * files): 0, or a negative errno with *err set in plain words. */
ING_HIDDEN int send_conn_init(struct send_conn *c, struct ing_ctx *ctx, const struct send_opts *o, char **err);
ING_HIDDEN void send_conn_done(struct send_conn *c);

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

#endif
