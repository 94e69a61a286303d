/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The delivery over DIMSE (SPEC §10, docs/delivery.md "DICOM C-STORE"):
 * send.c lists the package and writes the receipt; here the destination
 * dicom://CALLED_AET@host:port is asked what it holds (C-FIND, Study Root,
 * IMAGE level, per study) and given the rest (C-STORE, each object in its
 * own transfer syntax, one presentation context per SOP class and transfer
 * syntax), through dimse.h (DCMTK's dcmnet). An association carries at most
 * a batch (--batch-bytes, SEND_DIMSE_BATCH_OBJECTS, DIMSE_MAX_PCS contexts);
 * a kill between two batches, run again, finds what arrived by C-FIND.
 * Transient failures (connection refused or cut, an association rejected
 * for a transient reason, no answer in time) are retried with backoff, as
 * send_http() does, inside the delivery's time and byte budgets.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "dcm.h"
#include "dimse.h"
#include "send-private.h"
#include "testhooks.h"
#include "util/clock.h"

bool send_url_is_dimse(const char *url)
{
	return strncasecmp(url, "dicom://", 8) == 0;
}

/* An AE title (PS3.5 6.2, AE): 1 to 16 characters of printable ASCII but '\', not only spaces, none leading or trailing. */
static bool aet_ok(const char *s, size_t n)
{
	if (n == 0 || n > 16 || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return false;
	return true;
}

int send_dimse_init(struct send_dimse *s, struct ing_ctx *ctx, const struct send_opts *o, char **err)
{
	*s = (struct send_dimse){ .ctx = ctx, .o = o };
	const char *u = o->url + 8, *at = strchr(u, '@'), *colon, *end;
	static const char form[] = "give a DIMSE destination as dicom://CALLED_AET@host:port";

	if (!at || !aet_ok(u, (size_t)(at - u))) {
		send_set_err(err, "%s: the called AE title (before '@') is 1 to 16 characters, no '\\'; %s", o->url, form);
		return -EINVAL;
	}
	colon = strrchr(at + 1, ':');
	end = colon ? colon + 1 + strspn(colon + 1, "0123456789") : NULL;
	if (!colon || colon == at + 1 || end == colon + 1 || !(*end == 0 || (end[0] == '/' && end[1] == 0))) {
		send_set_err(err, "%s: %s", o->url, form);
		return -EINVAL;
	}
	for (const char *p = at + 1; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-') || p - at > 253) {
			send_set_err(err, "%s: the host is a name or an IPv4 address (letters, digits, '.', '-'); %s", o->url,
			        form);
			return -EINVAL;
		}
	unsigned long port = strtoul(colon + 1, NULL, 10);
	if (port == 0 || port > 65535 || end - colon > 6) {
		send_set_err(err, "%s: the port is a number from 1 to 65535", o->url);
		return -EINVAL;
	}
	const char *calling = o->calling_aet ? o->calling_aet : SEND_CALLING_AET;
	if (!aet_ok(calling, strlen(calling))) {
		send_set_err(err, "the calling AE title \"%s\" is not an AE title: 1 to 16 characters, no '\\', no spaces "
		        "around", calling);
		return -EINVAL;
	}
	if (o->token_file || o->basic_file) {
		send_set_err(err, "a DIMSE destination takes no token or password file (those are for DICOMweb)");
		return -EINVAL;
	}
	if (o->tls && !dimse_tls_available()) {
		send_set_err(err, "DICOM over TLS is not available: this build of DCMTK has no TLS support");
		return -ENOTSUP;
	}
	if (o->tls && !o->ca_file) {
		send_set_err(err, "DICOM over TLS needs the CA certificates the destination's certificate is checked with "
		        "(--ca FILE, or ca_file in the configuration)");
		return -EINVAL;
	}
	if (!o->tls && o->ca_file) {
		send_set_err(err, "a CA file is given for a DIMSE destination without TLS: turn TLS on (--tls, or tls: true) "
		        "or leave the CA file out");
		return -EINVAL;
	}
	if (o->tls && access(o->ca_file, R_OK) < 0) {
		int r = -errno;
		send_set_err(err, "cannot read the CA file %s: %s", o->ca_file, ing_strerror(r));
		return r;
	}
	s->called = xstrndup(u, (size_t)(at - u));
	s->host = xstrndup(at + 1, (size_t)(colon - at - 1));
	s->port = (unsigned)port;
	s->calling = xstrdup(calling);
	s->display = xasprintf("dicom://%s@%s:%u", s->called, s->host, s->port);
	return 0;
}

void send_dimse_done(struct send_dimse *s)
{
	free(s->called);
	free(s->calling);
	free(s->host);
	free(s->display);
	*s = (struct send_dimse){ 0 };
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool transient(int r)
{
	return r == -ECONNREFUSED || r == -ECONNRESET || r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -EAGAIN;
}

static struct dimse_peer peer(const struct send_dimse *s)
{
	uint64_t now = mono_ms(), left = s->deadline_ms > now ? (s->deadline_ms - now + 999) / 1000 : 1;
	return (struct dimse_peer){
		.host = s->host, .port = s->port, .called_aet = s->called, .calling_aet = s->calling,
		.tls_ca_file = s->o->tls ? s->o->ca_file : NULL,
		.timeout_s = (unsigned)MIN((uint64_t)SEND_DIMSE_TIMEOUT, MAX(left, 1u)),
	};
}

static int over_time(const struct send_dimse *s, char **err)
{
	if (mono_ms() < s->deadline_ms)
		return 0;
	send_set_err(err, "the delivery took longer than its %u s budget; it resumes where it stopped when sent again",
	        s->o->max_seconds);
	return -ETIMEDOUT;
}

/* After a failed attempt R (its words in *ERR): wait and return 0 to try again, or return the error to give up. */
static int backoff(struct send_dimse *s, int r, unsigned *try, uint64_t *wait, char **err)
{
	if (!transient(r))
		return r == -EACCES ? -EIO : r;
	if (*try >= s->o->max_retries) {
		_cleanup_free_ char *why = *err ? xstrdup(*err) : xstrdup(ing_strerror(r));
		send_set_err(err, "%s (after %u attempts; it is tried again when sent again)", why, *try + 1);
		return -EIO;
	}
	log_warn(s->ctx, "send: %s; trying again in %" PRIu64 " ms", *err ? *err : ing_strerror(r), *wait);
	uint64_t now = mono_ms();
	if (now + *wait >= s->deadline_ms)
		*wait = s->deadline_ms > now ? s->deadline_ms - now : 0;
	sleep_ms(*wait);
	*wait = MIN(*wait * 2, (uint64_t)60000);
	(*try)++;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* C-FIND                                                                    */

struct found {
	struct obj *objs;
	size_t lo, hi;
	bool final;
};

static int obj_key_cmp(const void *k, const void *e)
{
	const struct obj *x = k, *y = e;
	int c = strcmp(x->study, y->study);
	return c ? c : strcmp(x->sop, y->sop);
}

static void on_found(void *ud, const char *sop)
{
	struct found *f = ud;
	struct obj key = { .study = f->objs[f->lo].study, .sop = (char *)sop };
	struct obj *o = bsearch(&key, f->objs + f->lo, f->hi - f->lo, sizeof *f->objs, obj_key_cmp);
	if (!o)
		return;
	/* two files may hold one SOP Instance UID: they sort together, and the destination holding it holds both */
	while (o > f->objs + f->lo && obj_key_cmp(&key, o - 1) == 0)
		o--;
	for (; o < f->objs + f->hi && obj_key_cmp(&key, o) == 0; o++) {
		if (f->final)
			o->confirmed = true;
		else if (o->state == OBJ_PENDING)
			o->state = OBJ_THERE;
	}
}

int send_dimse_query(struct send_dimse *s, struct obj *objs, size_t n, bool final, char **err)
{
	struct dimse_assoc *a = NULL;
	uint64_t wait = MAX(s->o->retry_base_ms, 1u);
	unsigned try = 0;
	int r = 0;

	for (size_t lo = 0, hi; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && strcmp(objs[hi].study, objs[lo].study) == 0; hi++)
			;
		if (!*objs[lo].study)
			continue;           /* unreadable objects sort first, with no study */
		for (;;) {
			r = over_time(s, err);
			if (r < 0)
				goto out;
			if (!a) {
				struct dimse_peer p = peer(s);
				r = dimse_open(&p, NULL, 0, DIMSE_FIND, &a, err);
			}
			if (r == 0) {
				struct found f = { .objs = objs, .lo = lo, .hi = hi, .final = final };
				bool more = false;
				r = dimse_find_instances(a, objs[lo].study, (size_t)SEND_QIDO_PAGE * SEND_QIDO_MAX_PAGES,
				                         on_found, &f, &more, err);
				if (more)
					log_warn(s->ctx, "send: the destination's answer to C-FIND goes on past %u instances "
					         "of one study; what it holds beyond them is taken as absent",
					         SEND_QIDO_PAGE * SEND_QIDO_MAX_PAGES);
				if (r == 0)
					break;
				dimse_close(a, true);
				a = NULL;
			}
			r = backoff(s, r, &try, &wait, err);
			if (r < 0)
				goto out;
		}
	}
out:
	dimse_close(a, r < 0);
	return r;
}

/* ------------------------------------------------------------------------ */
/* C-STORE                                                                   */

/* One association's worth: objects IDX[0..N), their presentation contexts PCS[0..NPC), PC[i] each object's
 * own (its SOP class in its transfer syntax) and, when the operator allows transcoding, ALT[i] its SOP class
 * in the uncompressed syntaxes (SIZE_MAX: none), which it is sent in, decoded, if the destination refuses
 * its own. */
struct batch {
	size_t *idx;
	size_t n;
	struct dimse_pc *pcs;
	size_t npc;
	size_t *pc, *alt;
	uint64_t bytes;
};

/* The context of SOP_CLASS in XFER (NULL: the uncompressed ones) proposed already, or SIZE_MAX. */
static size_t pc_find(const struct batch *b, const char *sop_class, const char *xfer)
{
	for (size_t k = 0; k < b->npc; k++)
		if (strcmp(b->pcs[k].sop_class, sop_class) == 0 &&
		    (xfer ? b->pcs[k].transfer_syntax && strcmp(b->pcs[k].transfer_syntax, xfer) == 0
		          : !b->pcs[k].transfer_syntax))
			return k;
	return SIZE_MAX;
}

static void obj_refused(struct obj *o, const char *fmt, ...) ING_PRINTF(2, 3);
static void obj_refused(struct obj *o, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	o->state = OBJ_FAILED;
	free(o->reason);
	o->reason = s ? s : xstrdup("refused");
}

/* One attempt at the batch's pending objects over one association: 0 when
 * each is answered for, or the network error that broke it (*progress: some
 * object was stored). */
static int store_attempt(struct send_dimse *s, int bagfd, struct obj *objs, struct batch *b, unsigned batch_no,
                         bool *progress, char **err)
{
	struct dimse_assoc *a = NULL;
	struct dimse_peer p = peer(s);
	unsigned ok = 0, refused = 0;
	uint64_t left = 0;

	for (size_t i = 0; i < b->n; i++)
		if (objs[b->idx[i]].state == OBJ_PENDING)
			left += objs[b->idx[i]].size;
	if (*s->bytes_sent + left > s->o->max_bytes) {
		send_set_err(err, "the delivery would send more than its %" PRIu64 " byte budget; it resumes where it "
		        "stopped when sent again", s->o->max_bytes);
		return -EFBIG;
	}
	int r = dimse_open(&p, b->pcs, b->npc, 0, &a, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < b->n && r == 0; i++) {
		struct obj *o = &objs[b->idx[i]];
		unsigned status = 0;
		if (o->state != OBJ_PENDING)
			continue;
		const char *no = dimse_pc_refused(a, b->pc[i]);
		size_t use = b->pc[i];
		bool decode = false;
		if (no && b->alt[i] != SIZE_MAX && !dimse_pc_refused(a, b->alt[i])) {
			/* its own syntax refused, its class taken uncompressed: sent decoded, as the operator allowed */
			use = b->alt[i];
			decode = true;
		} else if (no) {
			/* a PACS may say "abstract syntax not supported" for a transfer syntax it does not take:
			 * when it took the class in another syntax on this association, say what it is */
			bool class_taken = false;
			for (size_t k = 0; k < b->npc && !class_taken; k++)
				class_taken = k != b->pc[i] && strcmp(b->pcs[k].sop_class, o->sop_class) == 0 &&
				              !dimse_pc_refused(a, k);
			if (class_taken)
				no = "the destination takes this SOP class in other transfer syntaxes, but not in this "
				     "object's (presentation context refused; it is not recompressed)";
			obj_refused(o, "%s (SOP class %s, transfer syntax %s)%s", no, o->sop_class, o->xfer,
			            s->o->allow_transcode ? ""
			            : "; if the destination takes this SOP class uncompressed, allow sending it decoded: "
			              "--allow-transcode, or allow_transcode: true on the destination");
			log_warn(s->ctx, "send: %s: not sent: %s", o->path, no);
			refused++;
			continue;
		}
		if ((r = over_time(s, err)) < 0)
			break;
		_cleanup_close_ int fd = openat(bagfd, o->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != o->size) {
			send_set_err(err, "a file of the package changed or vanished while it was being sent; verify the "
			        "package again (ingest verify)");
			r = -EIO;
			break;
		}
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		_cleanup_free_ char *why = NULL;
		(*s->requests)++;
		r = dimse_store(a, use, path, o->sop, decode, SEND_DECODE_MAX_BYTES, &status, &why);
		if (r == -EBADMSG || r == -EINVAL) {
			if (decode)
				obj_refused(o, "not sent: the destination does not accept its transfer syntax %s, and it %s",
				            o->xfer, why ? why : "cannot be read");
			else
				obj_refused(o, "not sent: it %s", why ? why : "cannot be read");
			log_warn(s->ctx, "send: %s: %s", o->path, o->reason);
			refused++;
			r = 0;
			continue;
		}
		if (r < 0) {
			send_set_err(err, "%s", why ? why : ing_strerror(r));
			break;
		}
		*s->bytes_sent += o->size;
		if (status == 0 || (status & 0xF000) == 0xB000) {
			o->state = OBJ_SENT;
			ok++;
			*progress = true;
			if (decode) {
				const char *to = dimse_pc_syntax(a, use);
				free(o->sent_as);
				o->sent_as = xstrdup(to ? to : "");
				log_info(s->ctx, "send: %s: sent decoded, in %s: the destination does not accept its %s",
				         o->path, o->sent_as, o->xfer);
			}
		} else {
			obj_refused(o, "the destination refused it: %s (C-STORE status 0x%04X)", dimse_status_text(status),
			            status);
			log_warn(s->ctx, "send: %s: refused by the destination (C-STORE status 0x%04X)", o->path, status);
			refused++;
		}
	}
	dimse_close(a, r < 0);
	log_info(s->ctx, "send: association %u: %zu objects, %" PRIu64 " bytes, %zu presentation contexts: %u stored, "
	         "%u refused%s", batch_no, b->n, b->bytes, b->npc, ok, refused, r < 0 ? ", cut short" : "");
	return r;
}

static int store_batch(struct send_dimse *s, int bagfd, struct obj *objs, struct batch *b, unsigned batch_no,
                       char **err)
{
	uint64_t wait = MAX(s->o->retry_base_ms, 1u);
	unsigned try = 0;
	for (;;) {
		bool progress = false;
		int r = over_time(s, err);
		if (r < 0)
			return r;
		r = store_attempt(s, bagfd, objs, b, batch_no, &progress, err);
		if (r == 0)
			return 0;
		if (r == -EFBIG || r == -ETIMEDOUT || r == -EIO || r == -ENOMEM)
			return r;
		if (progress) {
			try = 0;    /* the association broke after storing some: the rest on a new one */
			wait = MAX(s->o->retry_base_ms, 1u);
		}
		r = backoff(s, r, &try, &wait, err);
		if (r < 0)
			return r;
	}
}

int send_dimse_store(struct send_dimse *s, int bagfd, struct obj *objs, size_t n, char **err)
{
	size_t cap = MIN(n, (size_t)SEND_DIMSE_BATCH_OBJECTS) + 1;
	_cleanup_free_ size_t *idx = xcalloc(cap, sizeof *idx);
	_cleanup_free_ size_t *pc = xcalloc(cap, sizeof *pc);
	_cleanup_free_ size_t *alt = xcalloc(cap, sizeof *alt);
	_cleanup_free_ struct dimse_pc *pcs = xcalloc(DIMSE_MAX_PCS, sizeof *pcs);
	struct batch b = { .idx = idx, .pc = pc, .alt = alt, .pcs = pcs };
	bool transcode = s->o->allow_transcode;
	unsigned batch_no = 0;

	for (size_t i = 0; i <= n; i++) {
		bool last = i == n;
		struct obj *o = last ? NULL : &objs[i];
		if (o && o->state != OBJ_PENDING)
			continue;
		if (o && (!*o->sop_class || !*o->xfer)) {
			obj_refused(o, "has no SOP Class UID or transfer syntax: it cannot be sent by C-STORE");
			continue;
		}
		size_t k = o ? pc_find(&b, o->sop_class, o->xfer) : SIZE_MAX;
		size_t ka = o && transcode ? pc_find(&b, o->sop_class, NULL) : SIZE_MAX;
		size_t more = o ? (k == SIZE_MAX) + (transcode && ka == SIZE_MAX) : 0;
		bool full = o && (b.n == SEND_DIMSE_BATCH_OBJECTS || b.bytes + o->size > s->o->batch_bytes ||
		                  b.npc + more > DIMSE_MAX_PCS);
		if (b.n > 0 && (last || full)) {
			if (batch_no > 0)
				testhook_crash_point("send-batch");   /* between two associations */
			int r = store_batch(s, bagfd, objs, &b, ++batch_no, err);
			if (r < 0)
				return r;
			b.n = b.npc = 0;
			b.bytes = 0;
			k = ka = SIZE_MAX;
		}
		if (o) {
			if (k == SIZE_MAX) {
				k = b.npc++;
				b.pcs[k] = (struct dimse_pc){ .sop_class = o->sop_class, .transfer_syntax = o->xfer };
			}
			if (transcode && ka == SIZE_MAX) {
				ka = b.npc++;
				b.pcs[ka] = (struct dimse_pc){ .sop_class = o->sop_class, .transfer_syntax = NULL };
			}
			b.idx[b.n] = i;
			b.alt[b.n] = ka;
			b.pc[b.n++] = k;
			b.bytes += o->size;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Storage commitment                                                        */

struct committing {
	struct obj *objs;
	size_t *by_sop;             /* the objects asked for, sorted by SOP Instance UID */
	size_t n;
	uint64_t named;
};

static int by_sop_cmp(const void *a, const void *b, void *objs)
{
	const struct obj *o = objs;
	return strcmp(o[*(const size_t *)a].sop, o[*(const size_t *)b].sop);
}

static void on_commit(void *ud, const char *sop, bool committed, unsigned failure)
{
	struct committing *c = ud;
	size_t lo = 0, hi = c->n;
	while (lo < hi) {   /* the first object of that UID */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(c->objs[c->by_sop[mid]].sop, sop) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n && strcmp(c->objs[c->by_sop[lo]].sop, sop) == 0; lo++) {
		struct obj *o = &c->objs[c->by_sop[lo]];
		if (committed) {
			o->committed = true;
			c->named++;
		} else {
			o->committed = false;
			free(o->reason);
			o->reason = xasprintf("the destination holds it (C-FIND) but did not commit to storing it (storage "
			                      "commitment failure reason 0x%04X: %s)", failure,
			                      failure ? dimse_status_text(failure) : "none given");
		}
	}
}

int send_dimse_commit(struct send_dimse *s, struct obj *objs, size_t n, struct send_result *res, char **err)
{
	_cleanup_free_ size_t *by_sop = xcalloc(n + 1, sizeof *by_sop);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (objs[i].confirmed && *objs[i].sop_class)
			by_sop[k++] = i;
	if (k == 0)
		return 0;
	qsort_r(by_sop, k, sizeof *by_sop, by_sop_cmp, objs);
	_cleanup_free_ struct dimse_ref *refs = xcalloc(k, sizeof *refs);
	size_t nrefs = 0;
	for (size_t i = 0; i < k; i++)
		if (i == 0 || strcmp(objs[by_sop[i]].sop, objs[by_sop[i - 1]].sop) != 0)
			refs[nrefs++] = (struct dimse_ref){ objs[by_sop[i]].sop_class, objs[by_sop[i]].sop };

	testhook_pause_point("send-commit");
	uint8_t rnd[16];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
		send_set_err(err, "no random bytes for the storage commitment's transaction UID");
		return -EIO;
	}
	dcm_uid_from_bytes(rnd, res->transaction_uid);

	/* listening first: the answer may come before the request's own answer does */
	struct dimse_listener *l = NULL;
	struct dimse_peer p = peer(s);
	int r = dimse_listen(s->o->commit_port, s->calling, s->called, p.timeout_s, &l, err);
	if (r < 0) {
		res->commitment = COMMIT_FAILED;
		/* another delivery waits for its answer there (the daemon runs two at once): a later attempt */
		return r == -EADDRINUSE ? -EAGAIN : r;
	}
	struct dimse_assoc *a = NULL;
	uint64_t wait = MAX(s->o->retry_base_ms, 1u);
	unsigned try = 0;
	for (;;) {
		if ((r = over_time(s, err)) < 0)
			break;
		p = peer(s);
		r = dimse_open(&p, NULL, 0, DIMSE_COMMIT, &a, err);
		if (r == 0) {
			r = dimse_commit_request(a, res->transaction_uid, refs, nrefs, err);
			dimse_close(a, r < 0 && r != -ENOTSUP && r != -EPROTO);
			a = NULL;
			if (r == 0 || r == -ENOTSUP || r == -EPROTO)
				break;
		}
		if ((r = backoff(s, r, &try, &wait, err)) < 0)
			break;
	}
	if (r == -ENOTSUP) {
		/* "where the peer offers it": C-FIND's confirmation stands alone */
		log_warn(s->ctx, "send: %s does not offer storage commitment; C-FIND confirmed what it holds", s->display);
		res->commitment = COMMIT_NOT_OFFERED;
		res->transaction_uid[0] = 0;
		dimse_listen_close(l);
		return 0;
	}
	if (r == 0) {
		uint64_t t0 = mono_ms(), deadline = MIN(s->deadline_ms, t0 + (uint64_t)SEND_COMMIT_WAIT_S * 1000);
		struct committing c = { .objs = objs, .by_sop = by_sop, .n = k };
		log_info(s->ctx, "send: storage commitment of %zu objects asked (transaction %s); waiting for the answer on "
		         "port %u", nrefs, res->transaction_uid, s->o->commit_port);
		r = dimse_commit_wait(l, res->transaction_uid, deadline, SEND_COMMIT_REPORT_MAX_BYTES, on_commit, &c, err);
		if (r == -ETIMEDOUT)
			send_set_err(err, "the destination took the storage commitment request (transaction %s) but sent no "
			             "answer within %u s; it answers on an association of its own to our AE title %s at port "
			             "%u of this host: check that it knows us there (its modality entry) and that the port is "
			             "reachable", res->transaction_uid, (unsigned)((deadline - t0 + 999) / 1000), s->calling,
			             s->o->commit_port);
		if (r == 0)
			log_info(s->ctx, "send: storage commitment answered: %" PRIu64 " of %zu objects committed", c.named, k);
	}
	dimse_listen_close(l);
	res->commitment = r == 0 ? COMMIT_ANSWERED : COMMIT_FAILED;
	return r;
}
