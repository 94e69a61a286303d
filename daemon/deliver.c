/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon's delivery of a published package to the reviewing centre
 * (SPEC §10, docs/daemon.md "Delivery"). One attempt per process: the main
 * loop forks a delivery worker (workers.c), which confines itself with the
 * sender's system call filter (confine.c) and runs delivery_run() here:
 *
 *   journal: pending -> sending (attempt N begins, its own row)
 *   send_package(): verify the package (as `ingest verify`, while it lists
 *     the objects and asks the destination what it holds; one that fails
 *     is not sent), QIDO-RS what the destination holds, STOW-RS the rest,
 *     QIDO-RS again; the receipt OUTBOX/receipts/CASE.json (the bag itself
 *     is never changed)
 *   journal: delivered | failed | pending again at next_at (a transient
 *     failure: backoff) — with the counts and the reason
 *   the outcome mail ("delivered to centre-a: 2,412 of 2,412 images
 *     confirmed", or why not), queued under a fixed name, then tried
 *
 * A kill at any point leaves the row at sending; the next start makes it
 * pending again (journal_deliveries_recover()) and the next attempt's
 * QIDO-RS finds what arrived: nothing is sent twice that arrived once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "ingestd.h"
#include "mail.h"

struct dv {
	const struct ingestd_config *cfg;
	struct journal *j;
	struct journal_delivery d;
	unsigned attempt;
};

static void lib_log(void *ud, int level, const char *msg)
{
	const struct dv *v = ud;
	log_msg(level, "case %s: delivery to %s: %s", v->d.case_id, v->d.destination, msg);
}

/* 2412 -> "2,412" */
static const char *count_str(uint64_t n, char buf[32])
{
	char raw[24];
	int len = snprintf(raw, sizeof(raw), "%" PRIu64, n), o = 0;
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = 0;
	return buf;
}

/* Failures worth another attempt later: the destination did not answer, kept
 * failing (DICOMweb: 5xx, 429 after send_package()'s own retries, also a
 * refusal such as 401, which the operator may fix; DIMSE: an association
 * rejected for a transient reason, or aborted), or the time budget ran out
 * (the next attempt resumes where this one stopped). Anything else (the
 * destination's settings, a credentials file, an association rejected for
 * good, the byte budget, the package) is a failure no retry mends. */
static bool transient(int r)
{
	switch (-r) {
	case EIO: case ETIMEDOUT: case ECONNREFUSED: case ECONNRESET: case EAGAIN: case EBADMSG:
	case ENETUNREACH: case EHOSTUNREACH: case EPROTO:
		return true;
	default:
		return false;
	}
}

/* delivery.retry_first_seconds, doubling up to delivery.retry_max_seconds */
static int64_t retry_wait_s(const struct ingestd_config *cfg, unsigned failures)
{
	int64_t w = cfg->delivery_retry_first_seconds, most = cfg->delivery_retry_max_seconds;
	for (unsigned i = 1; i < failures && w < most; i++)
		w *= 2;
	return MIN(w, most);
}

int64_t delivery_retry_at(const struct ingestd_config *cfg, unsigned failures)
{
	return (int64_t)time(NULL) + retry_wait_s(cfg, failures);
}

/* OUTBOX/receipts/CASE.json, as `ingest send` writes it for OUTBOX/ready/CASE. */
static char *receipt_path(const struct dv *v)
{
	return xasprintf("%s/receipts/%s.json", v->cfg->outbox, v->d.case_id);
}

/* The outcome mail: a short second message after the report's. */
static void outcome_mail(struct dv *v)
{
	const struct journal_delivery *d = &v->d;
	const struct ingestd_config *cfg = v->cfg;
	_cleanup_(ptrvec_freep) struct ptrvec to = { 0 };
	for (const char *s = d->rcpt; s && *s;) {
		size_t n = strcspn(s, "\n");
		if (n)
			ptrvec_push(&to, xstrndup(s, n));
		s += n + (s[n] == '\n');
	}
	if (to.n == 0) {
		log_msg(4, "case %s: no mail recipient for the delivery's outcome; no mail queued", d->case_id);
		return;
	}
	bool ok = d->state == DELIVERY_DELIVERED;
	char c1[32], c2[32], c3[32], c4[32], c5[32];
	_cleanup_free_ char *subject = xasprintf("[ingestd] %s: %s to %s", d->case_id, ok ? "delivered" : "not delivered",
	                                         d->destination);
	_cleanup_(strbuf_freep) struct strbuf t = { 0 };
	strbuf_init(&t, 64u << 10);
	if (ok) {
		strbuf_printf(&t, "Case %s: delivered to %s: %s of %s images confirmed.\n\n", d->case_id, d->destination,
		              count_str(d->confirmed, c1), count_str(d->objects, c2));
		strbuf_printf(&t, "%s sent now, %s there already, %s bytes sent, in %u attempt%s.\n", count_str(d->sent, c3),
		              count_str(d->already, c4), count_str(d->bytes_sent, c5), v->attempt,
		              v->attempt == 1 ? "" : "s");
	} else {
		strbuf_printf(&t, "Case %s: not delivered to %s: %s\n\n", d->case_id, d->destination,
		              d->error ? d->error : "(no reason recorded)");
		if (d->objects)
			strbuf_printf(&t, "%s of %s images confirmed there, %s refused by it.\n", count_str(d->confirmed, c1),
			              count_str(d->objects, c2), count_str(d->failed, c3));
		strbuf_printf(&t, "Not retried: when the cause is fixed, send it again with\n  ingest send %s --to %s\n"
		              "(what arrived already is not sent twice).\n", d->package_path, d->destination);
	}
	strbuf_printf(&t, "The receipt (JSON: destination, time, every image confirmed%s) is receipts/%s.json in the "
	              "outbox.\n", ok ? "" : ", every one missing with its reason", d->case_id);

	_cleanup_free_ char *from_default = NULL, *msg = NULL, *qpath = NULL;
	_cleanup_free_ char *qname = xasprintf("v%06lld-%s", (long long)d->id, d->case_id);
	if (!cfg->mail_from) {
		char host[64] = "localhost";
		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = 0;
		from_default = xasprintf("ingestd@%s", host);
	}
	struct mail_msg m = {
		.from = cfg->mail_from ? cfg->mail_from : from_default,
		.to = (const char *const *)to.v,
		.n_to = to.n,
		.subject = subject,
		.text = t.s,
		.case_id = d->case_id,
	};
	size_t len;
	int r = mail_compose(&m, &msg, &len);
	if (r < 0 || (r = mail_queue(cfg->mail_outbox, qname, msg, len, &qpath)) < 0) {
		log_msg(3, "case %s: cannot queue the delivery mail: %s", d->case_id, ing_strerror(r));
		return;
	}
	(void)journal_delivery_mailed(v->j, d->id, qname);
	if (cfg->smtp_url) {
		_cleanup_free_ char *err = NULL;
		int s = mail_send_file(cfg, qpath, &err);
		if (s < 0)
			log_msg(4, "case %s: delivery mail not sent yet (kept in the mail outbox): %s", d->case_id,
			        err ? err : "?");
	}
}

static void set_error(struct journal_delivery *d, char *msg)
{
	free(d->error);
	d->error = msg;
}

/* One attempt: fills V->d's state, counts and error. */
static void attempt(struct dv *v, struct ing_ctx *ctx)
{
	struct journal_delivery *d = &v->d;
	const struct ingestd_destination *dst = config_destination(v->cfg, d->destination);
	if (!dst) {
		d->state = DELIVERY_HELD;
		set_error(d, xasprintf("not sent: %s is no longer a destination of the configuration; add it and reload "
		                       "ingestd", d->destination));
		return;
	}
	struct send_opts o;
	send_opts_default(&o);
	o.verify = true;    /* as `ingest verify`, beside the first steps, which send nothing: one that fails is not sent */
	o.max_seconds = v->cfg->delivery_max_seconds;
	o.max_bytes = v->cfg->delivery_max_bytes;
	/* as `ingest send --to NAME` takes a destination (tools/cmd-send.c) */
	if (dst->dimse) {
		o.url = dst->dimse;
		o.calling_aet = dst->calling_aet;
		o.tls = dst->tls;
		o.allow_transcode = dst->allow_transcode;
		o.commit_port = dst->commit_port;
	} else {
		o.url = dst->dicomweb;
		o.allow_http = dst->allow_http;
		o.token_file = dst->token_file;
		o.basic_file = dst->basic_file;
	}
	o.ca_file = dst->ca_file;
	_cleanup_free_ char *receipt = receipt_path(v);
	o.receipt_path = receipt;
	struct send_result res;
	int r = send_package(ctx, d->package_path, &o, &res);
	if (res.verify_failed) {
		d->state = DELIVERY_FAILED;
		/* gone from where the daemon published it: said so; otherwise send_package()'s words */
		set_error(d, res.verify_r == -ENOENT || res.verify_r == -ENOTDIR
		             ? xasprintf("the package is no longer in the outbox (%s); nothing was sent", d->package_path)
		             : steal_ptr(res.error));
		send_result_clear(&res);
		return;
	}
	d->objects = res.objects;
	d->already = res.already;
	d->sent = res.sent;
	d->failed = res.failed;
	d->confirmed = res.confirmed;
	d->bytes_sent = res.bytes_sent;
	set_error(d, res.error ? xstrdup(res.error) : NULL);
	if (r == 0 && res.delivered) {
		d->state = DELIVERY_DELIVERED;
	} else if (r == 0) {
		d->state = DELIVERY_FAILED;        /* refused or missing objects: the receipt lists each */
	} else if (transient(r) && d->failures + 1 < v->cfg->delivery_max_attempts) {
		d->failures++;
		d->state = DELIVERY_PENDING;
		d->next_at = delivery_retry_at(v->cfg, d->failures);
	} else {
		if (transient(r))
			d->failures++;
		d->state = DELIVERY_FAILED;
		_cleanup_free_ char *why = d->error;
		d->error = transient(r) ? xasprintf("%s (gave up after %u failed attempts)", why ? why : ing_strerror(r),
		                                    d->failures)
		                        : xstrdup(why ? why : ing_strerror(r));
	}
	send_result_clear(&res);
}

static void dv_clear(struct dv *v)
{
	journal_delivery_clear(&v->d);
	journal_close(v->j);
}

int delivery_run(const struct ingestd_config *cfg, int64_t delivery_id)
{
	_cleanup_(dv_clear) struct dv v = { .cfg = cfg };
	int r = journal_open(cfg->state_db, false, &v.j);
	if (r < 0) {
		log_msg(3, "cannot open the journal %s: %s", cfg->state_db, ing_strerror(r));
		return r;
	}
	if ((r = journal_delivery_get(v.j, delivery_id, &v.d)) < 0)
		return r;
	if ((r = journal_delivery_start(v.j, delivery_id)) < 0)
		return r == -ESTALE ? 0 : r;      /* superseded or done meanwhile */
	v.attempt = (unsigned)r;
	log_msg(6, "case %s: delivery to %s: attempt %u", v.d.case_id, v.d.destination, v.attempt);

	_cleanup_(ing_ctx_freep) struct ing_ctx *ctx = NULL;
	if ((r = ing_ctx_new(&ctx)) < 0) {
		(void)journal_delivery_interrupted(v.j, delivery_id, "could not start", true,
		                                   delivery_retry_at(cfg, v.d.failures + 1), NULL);
		return r;
	}
	ing_ctx_set_log(ctx, lib_log, &v, ING_LOG_INFO);
	ing_ctx_set_limits(ctx, &cfg->limits);
	v.d.state = DELIVERY_FAILED;
	attempt(&v, ctx);

	const char *outcome = journal_delivery_state_name(v.d.state);
	if ((r = journal_delivery_end(v.j, &v.d, outcome)) < 0) {
		log_msg(3, "case %s: the delivery's outcome could not be journalled: %s", v.d.case_id, ing_strerror(r));
		return r;
	}
	char c1[32], c2[32];
	switch (v.d.state) {
	case DELIVERY_DELIVERED:
		log_msg(5, "case %s: delivered to %s: %s of %s objects confirmed", v.d.case_id, v.d.destination,
		        count_str(v.d.confirmed, c1), count_str(v.d.objects, c2));
		break;
	case DELIVERY_PENDING:
		log_msg(4, "case %s: delivery to %s: attempt %u failed, retried in %lld s: %s", v.d.case_id,
		        v.d.destination, v.attempt, (long long)(v.d.next_at - (int64_t)time(NULL)),
		        v.d.error ? v.d.error : "?");
		break;
	default:
		log_msg(3, "case %s: not delivered to %s: %s", v.d.case_id, v.d.destination, v.d.error ? v.d.error : "?");
		break;
	}
	if (v.d.state == DELIVERY_DELIVERED || v.d.state == DELIVERY_FAILED)
		outcome_mail(&v);
	return 0;
}
