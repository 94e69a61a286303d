/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Report mail (SPEC §8): a multipart/alternative message (text + HTML),
 * queued as an .eml file in the mail outbox (write tmp + fsync + rename), then
 * sent over SMTP with libcurl (smtps:// or STARTTLS, AUTH) and removed once
 * the server took it. With no SMTP configured, or while SMTP fails, the .eml
 * stays queued and is retried: nothing is lost.
 */
#ifndef INGEST_MAIL_H
#define INGEST_MAIL_H

#include "libingest-internal.h"
#include "config.h"


struct mail_msg {
	const char *from;
	const char *const *to;          /* envelope and To: header */
	size_t n_to;
	const char *subject;            /* UTF-8; encoded as RFC 2047 when not ASCII */
	const char *text;               /* text/plain body, UTF-8 */
	const char *html;               /* text/html body, UTF-8; NULL: text only */
	const char *case_id;            /* for the file name and X-Ingestd-Case */
};

/* The whole message, CRLF line ends, bodies in base64. *out is malloc'd. It
 * is at most MAIL_MAX_BYTES (caps.h), the limit of sending too: -E2BIG past
 * it, and the caller builds a smaller one (what can be queued can be sent). */
int mail_compose(const struct mail_msg *m, char **out, size_t *len);
/* Writes MSG atomically into DIR as NAME.eml (0640), replacing one of that
 * name (so a message queued again after a crash is not sent twice). *path is malloc'd. */
int mail_queue(const char *dir, const char *name, const char *msg, size_t len, char **path);
/* Sends one queued .eml over SMTP and removes it, holding a lock on it
 * throughout: 0 when the server accepted it (or another worker already sent
 * it), -EAGAIN while another worker is sending it, -EBADMSG when it can
 * never be sent (larger than MAIL_MAX_BYTES, not a regular file, no From/To,
 * refused by the server as too large: SMTP 552) and was moved out of the
 * queue into DIR/unsendable/, else -errno (retried later). ERR (may be NULL)
 * receives a malloc'd reason on failure. */
int mail_send_file(const struct ingestd_config *cfg, const char *path, char **err);
/* Tries every queued .eml in DIR, oldest first; removes each one sent, moves
 * aside each one that can never be sent and calls SET_ASIDE_CB (may be NULL)
 * with its name and why. Returns the number still queued, or a negative errno. */
int mail_flush(const struct ingestd_config *cfg, const char *dir, unsigned *sent,
               void (*set_aside_cb)(const char *name, const char *why));
/* The case id in a queued message's name (dNNNNNN-CASE.eml: a report; vNNNNNN-CASE.eml: a
 * delivery's outcome), for the log. */
char *mail_case_of(const char *name);

#endif
