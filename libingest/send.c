/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Delivery of a package to the reviewing centre's PACS over DICOMweb
 * (SPEC §10, docs/delivery.md): list the package's DICOM objects (their
 * UIDs from the header reader), ask the destination what it holds
 * (QIDO-RS, per series), send the rest (STOW-RS, batches bounded in bytes,
 * per-instance status), ask again per series as soon as its batches are
 * answered: delivered when every SOP Instance UID is there. The requests go
 * over two kept-alive connections at once (run_all()). Then the receipt,
 * beside the package, written atomically.
 *
 * No journal of its own: the destination's answer to QIDO-RS is the journal.
 * A delivery killed between two batches, run again, finds what arrived and
 * sends the rest (tests/send/test_send.py proves it with the crash point
 * "send-batch").
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "dcm.h"
#include "send-private.h"
#include "testhooks.h"
#include "util/clock.h"
#include "util/json.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)

struct delivery {
	struct ing_ctx *ctx;
	/* DICOMweb: conns[0] made by send_conn_init(), the others its clones (run_all()), each a kept-alive
	 * connection used from the first query to the last */
	struct send_conn conns[SEND_STOW_CONNECTIONS];
	unsigned nconns;
	struct send_dimse dimse;
	bool is_dimse;              /* dicom://: C-FIND and C-STORE (send-dimse.c) instead of QIDO-RS and STOW-RS */
	int bagfd;
	struct obj *objs;
	size_t n, cap;
	struct send_result *res;
};

void send_opts_default(struct send_opts *o)
{
	*o = (struct send_opts){
		.batch_bytes = SEND_BATCH_BYTES,
		.max_bytes = SEND_MAX_BYTES,
		.max_seconds = SEND_MAX_SECONDS,
		.max_retries = SEND_MAX_RETRIES,
		.retry_base_ms = 1000,
	};
}

void send_result_clear(struct send_result *r)
{
	if (r) {
		free(r->error);
		*r = (struct send_result){ 0 };
	}
}

static void delivery_free(struct delivery *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->objs[i].path);
		free(d->objs[i].study);
		free(d->objs[i].series);
		free(d->objs[i].sop);
		free(d->objs[i].sop_class);
		free(d->objs[i].xfer);
		free(d->objs[i].reason);
		free(d->objs[i].sent_as);
	}
	free(d->objs);
	if (d->is_dimse)
		send_dimse_done(&d->dimse);
	else
		for (unsigned k = d->nconns; k-- > 0;)
			send_conn_done(&d->conns[k]);
	if (d->bagfd >= 0)
		close(d->bagfd);
}

static void fail_why(struct send_result *res, const char *fmt, ...) ING_PRINTF(2, 3);
static void fail_why(struct send_result *res, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(res->error);
	res->error = s;
}

/* A UID as PS3.5 9.1 has it: digits and dots, at most 64: safe in a URL. */
static bool uid_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* ------------------------------------------------------------------------ */
/* The package's objects                                                     */

static struct obj *obj_add(struct delivery *d, const char *path, uint64_t size)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->objs = xrealloc(d->objs, d->cap * sizeof *d->objs);
	}
	struct obj *o = &d->objs[d->n++];
	*o = (struct obj){ .path = xstrdup(path), .size = size, .study = xstrdup(""), .series = xstrdup(""),
	                     .sop = xstrdup(""), .sop_class = xstrdup(""), .xfer = xstrdup("") };
	return o;
}

static void obj_fail(struct obj *o, const char *why)
{
	o->state = OBJ_FAILED;
	free(o->reason);
	o->reason = xstrdup(why);
}

/* Reads the header of the object at PATH (open as FD) for its UIDs. */
static void obj_read(struct delivery *d, struct obj *o, int fd)
{
	uint64_t max = MAX(ing_ctx_get_limits(d->ctx)->max_dicom_header_bytes, (uint64_t)SEND_HEADER_PREFIX);
	size_t want = (size_t)MIN((uint64_t)SEND_HEADER_PREFIX, o->size);
	struct dcm_info info = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;

	for (;;) {
		size_t got = 0;
		buf = xrealloc(buf, want ? want : 1);
		while (got < want) {
			ssize_t k = pread(fd, buf + got, want - got, (off_t)got);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				obj_fail(o, "cannot be read");
				return;
			}
			got += (size_t)k;
		}
		enum dcm_status st = dcm_read_header(buf, want, o->size, &info);
		if (st == DCM_NEED_MORE && want < o->size && want < max) {
			want = (size_t)MIN(MIN((uint64_t)want * 4, o->size), max);
			continue;
		}
		if (st != DCM_OK && st != DCM_WARN)
			obj_fail(o, "is not a readable DICOM object (the package is damaged: verify it)");
		else if (!uid_ok(info.study_uid) || !uid_ok(info.sop_instance_uid))
			obj_fail(o, "has no valid Study or SOP Instance UID");
		else {
			free(o->study);
			free(o->sop);
			o->study = xstrdup(info.study_uid);
			o->sop = xstrdup(info.sop_instance_uid);
			/* without a valid one the object is asked for with its study (qido_group()) */
			free(o->series);
			o->series = xstrdup(info.series_uid && uid_ok(info.series_uid) ? info.series_uid : "");
			free(o->sop_class);
			free(o->xfer);
			o->sop_class = xstrdup(info.sop_class_uid ? info.sop_class_uid : "");
			o->xfer = xstrdup(info.transfer_syntax ? info.transfer_syntax : "");
		}
		break;
	}
	dcm_info_release(&info);
}

/* Every regular file below DIRFD's entry NAME (PREFIX its bag path), depth-bounded, symlinks not followed. */
static int walk(struct delivery *d, int dirfd, const char *name, const char *prefix, unsigned depth)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT && depth == 0 ? 0 : -errno;
	if (depth > BAG_MAX_DIR_DEPTH)
		return -ELOOP;
	DIR *dir = opendir_dup(fd);
	if (!dir)
		return -errno;
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(dir))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *path = xasprintf("%s/%s", prefix, e->d_name);
		struct stat st;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			r = walk(d, fd, e->d_name, path, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || (depth == 0 && strcmp(e->d_name, "DICOMDIR") == 0))
			continue;
		if (d->n >= SEND_MAX_OBJECTS) {
			r = -E2BIG;
			break;
		}
		struct obj *o = obj_add(d, path, (uint64_t)st.st_size);
		_cleanup_close_ int ofd = openat(fd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		if (ofd < 0)
			obj_fail(o, "cannot be opened");
		else
			obj_read(d, o, ofd);
	}
	closedir(dir);
	return r;
}

/* DIMSE: by study, then SOP Instance UID (send_dimse_query() asks per study) */
static int obj_cmp_study(const void *a, const void *b)
{
	const struct obj *x = a, *y = b;
	int c = strcmp(x->study, y->study);
	return c ? c : strcmp(x->sop, y->sop);
}

/* DICOMweb: by study, series, then SOP Instance UID (qido_group() asks per series) */
static int obj_cmp_series(const void *a, const void *b)
{
	const struct obj *x = a, *y = b;
	int c = strcmp(x->study, y->study);
	if (c == 0)
		c = strcmp(x->series, y->series);
	return c ? c : strcmp(x->sop, y->sop);
}

/* ------------------------------------------------------------------------ */
/* QIDO-RS                                                                   */

static const char *json_uid(json_object *item, const char *tag)
{
	json_object *el, *val, *v0;
	if (!json_object_is_type(item, json_type_object) || !json_object_object_get_ex(item, tag, &el) ||
	    !json_object_object_get_ex(el, "Value", &val) || !json_object_is_type(val, json_type_array) ||
	    json_object_array_length(val) < 1)
		return NULL;
	v0 = json_object_array_get_idx(val, 0);
	return json_object_is_type(v0, json_type_string) ? json_object_get_string(v0) : NULL;
}

static json_object *parse_json(const struct strbuf *b)
{
	if (!b->s || b->len == 0)
		return NULL;
	_cleanup_(json_tokener_freep) struct json_tokener *t = json_tokener_new_ex(64);
	if (!t)
		return NULL;
	json_object *o = json_tokener_parse_ex(t, b->s, (int)b->len);
	if (json_tokener_get_error(t) != json_tokener_success) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A series of the package: its objects d->objs[lo, hi) (sorted by study,
 * series, SOP Instance UID), asked for by QIDO-RS at
 * /studies/S/series/R/instances, or /studies/S/instances for the objects of
 * a study without a valid Series Instance UID. */
struct group {
	size_t lo, hi;
};

/* One QIDO-RS query: the whole group G (IX NULL: paged), or only its objects d->objs[IX[0..N)] by their SOP
 * Instance UIDs (at most SEND_QIDO_UIDS, one page). When confirming, each answered batch's objects are asked
 * for by UID, series by series, while the next batches go: after the last batch only its own objects are left
 * to confirm, not the whole of the last series. */
struct query {
	size_t g;
	const size_t *ix;
	size_t n;
};

static int sop_cmp(const void *a, const void *b)
{
	return strcmp(((const struct obj *)a)->sop, ((const struct obj *)b)->sop);
}

static const char *json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

int send_json_each(const char *text, size_t len, void (*fn)(json_object *item, void *ud), void *ud, size_t *count)
{
	const char *p = text, *end = text + len;
	*count = 0;
	p = json_ws(p, end);
	if (p == end || *p != '[')
		return -EBADMSG;
	p = json_ws(p + 1, end);
	if (p < end && *p == ']')
		return json_ws(p + 1, end) == end ? 0 : -EBADMSG;
	_cleanup_(json_tokener_freep) struct json_tokener *t = json_tokener_new_ex(64);
	if (!t)
		return -ENOMEM;
	for (;;) {
		/* fed in pieces, so that an item that goes on past the bound is cut there, not parsed whole */
		size_t fed = 0;
		json_object *item = NULL;
		json_tokener_reset(t);
		for (;;) {
			size_t piece = MIN((size_t)(end - p) - fed, (size_t)16384);
			if (piece == 0 || fed >= SEND_QIDO_ITEM_MAX_BYTES)
				return -EBADMSG;
			item = json_tokener_parse_ex(t, p + fed, (int)piece);
			enum json_tokener_error e = json_tokener_get_error(t);
			if (e == json_tokener_success) {
				fed += json_tokener_get_parse_end(t);
				break;
			}
			json_object_put(item);
			if (e != json_tokener_continue)
				return -EBADMSG;
			fed += piece;
		}
		p += fed;
		fn(item, ud);
		json_object_put(item);
		(*count)++;
		p = json_ws(p, end);
		if (p < end && *p == ',') {
			p = json_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == ']')
			return json_ws(p + 1, end) == end ? 0 : -EBADMSG;
		return -EBADMSG;
	}
}

struct qido_match {
	struct delivery *d;
	const struct group *g;
	bool final;
};

/* The UID list of a query, in PS3.18's form (comma-separated): "&SOPInstanceUID=A,B,..." */
static char *uid_list(const struct delivery *d, const size_t *ix, size_t n)
{
	struct strbuf b;
	strbuf_init(&b, (size_t)SEND_QIDO_UIDS * 72 + 32);
	int r = strbuf_puts(&b, "&SOPInstanceUID=");
	for (size_t i = 0; i < n && r == 0; i++) {
		if (i > 0)
			r = strbuf_puts(&b, ",");
		if (r == 0)
			r = strbuf_puts(&b, d->objs[ix[i]].sop);
	}
	/* SEND_QIDO_UIDS valid UIDs (64 characters at most) fit in the bound: it cannot fail; if it did, the
	 * query would ask for the whole series, which confirms the same objects */
	if (r != 0 || !b.s) {
		strbuf_free(&b);
		return xstrdup("");
	}
	return strbuf_steal(&b);
}

/* One instance of a QIDO-RS answer: the objects of the group holding its SOP Instance UID. */
static void qido_item(json_object *item, void *ud)
{
	const struct qido_match *m = ud;
	const char *sop = json_uid(item, "00080018");
	if (!sop)
		return;
	struct obj key = { .sop = (char *)sop }, *objs = m->d->objs;
	struct obj *o = bsearch(&key, objs + m->g->lo, m->g->hi - m->g->lo, sizeof *objs, sop_cmp);
	if (!o)
		return;
	/* two files of a package may hold one SOP Instance UID (the same image in two
	 * encodings): they sort together, and the destination holding it holds both */
	while (o > objs + m->g->lo && sop_cmp(o - 1, &key) == 0)
		o--;
	for (; o < objs + m->g->hi && sop_cmp(o, &key) == 0; o++) {
		if (m->final)
			o->confirmed = true;
		else if (o->state == OBJ_PENDING)
			o->state = OBJ_THERE;
	}
}

/* Marks the objects of G the destination holds (asked over C): held (first ask) or confirmed (FINAL); with
 * IX, only asked for those (N of them, by UID). Touches only G's objects: two connections ask at once. */
static int qido_group(struct delivery *d, struct send_conn *c, char **err, const struct group *g, const size_t *ix,
                      size_t n_ix, bool final)
{
	const struct obj *first = &d->objs[g->lo];
	_cleanup_(strbuf_freep) struct strbuf resp;
	_cleanup_free_ char *uids = ix ? uid_list(d, ix, n_ix) : xstrdup("");
	strbuf_init(&resp, SEND_RESPONSE_MAX_BYTES);
	for (unsigned page = 0, offset = 0;; page++, offset += SEND_QIDO_PAGE) {
		_cleanup_free_ char *url =
			*first->series
			? xasprintf("%sstudies/%s/series/%s/instances?includefield=00080018&limit=%u&offset=%u%s", c->base,
			            first->study, first->series, SEND_QIDO_PAGE, offset, uids)
			: xasprintf("%sstudies/%s/instances?includefield=00080018&limit=%u&offset=%u%s", c->base,
			            first->study, SEND_QIDO_PAGE, offset, uids);
		long status = 0;
		int r = send_http(c, url, NULL, &status, &resp, err);
		if (r < 0)
			return r;
		if (status == 204 || status == 404)
			return 0;
		if (status != 200) {
			send_set_err(err, "the destination refused the query of what it holds (QIDO-RS): HTTP %ld%s",
			             status, status == 401 || status == 403 ? "; check the credentials file" : "");
			return status == 401 || status == 403 ? -EACCES : -EIO;
		}
		struct qido_match m = { .d = d, .g = g, .final = final };
		size_t n = 0;
		r = send_json_each(resp.s ? resp.s : "", resp.len, qido_item, &m, &n);
		if (r == -ENOMEM) {
			send_set_err(err, "out of memory");
			return r;
		}
		if (r < 0) {
			send_set_err(err, "the destination's answer to QIDO-RS is not a DICOM JSON array (or holds an "
			             "instance longer than %u bytes)", SEND_QIDO_ITEM_MAX_BYTES);
			return -EBADMSG;
		}
		/* a short page is the last; a longer one means the server ignored the limit and gave all */
		if (n != SEND_QIDO_PAGE)
			return 0;
		if (page + 1 >= SEND_QIDO_MAX_PAGES) {
			send_log(c, ING_LOG_WARNING, "send: the destination's answer to QIDO-RS goes on past %u instances "
			         "of one %s; what it holds beyond them is taken as absent",
			         SEND_QIDO_PAGE * SEND_QIDO_MAX_PAGES, *first->series ? "series" : "study");
			return 0;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* STOW-RS                                                                   */

/* The next object of the batch, from *I on, holding SOP and not yet answered for. */
static struct obj *find_sop(struct delivery *d, size_t *idx, size_t n, const char *sop, size_t *i)
{
	for (; *i < n; (*i)++)
		if (d->objs[idx[*i]].state == OBJ_PENDING && strcmp(d->objs[idx[*i]].sop, sop) == 0)
			return &d->objs[idx[(*i)++]];
	return NULL;
}

static const char *failure_text(long code)
{
	switch (code) {
	case 0x0110: return "processing failure";
	case 0x0112: return "no such object instance";
	case 0x0122: return "SOP class not supported";
	case 0x0124: return "not authorized";
	case 0x0211: return "unrecognized operation";
	case 0xA700: return "out of resources";
	case 0xA900: return "data set does not match SOP class";
	case 0xC000: return "cannot understand";
	case 0xC122: return "referenced transfer syntax not supported";
	default: return "refused";
	}
}

/* One STOW-RS request for the objects IDX[0..N) over C (halved on a whole-batch refusal); *ERR says
 * why it failed. Touches only those objects: two connections send two batches at once. */
static int stow_batch(struct delivery *d, struct send_conn *c, char **err, size_t *idx, size_t n,
                      unsigned batch_no)
{
	_cleanup_free_ struct send_part *parts = xcalloc(n, sizeof *parts);
	_cleanup_(strbuf_freep) struct strbuf resp;
	_cleanup_free_ char *url = xasprintf("%sstudies", c->base);
	struct send_body body;
	uint64_t bytes = 0;
	long status = 0;
	unsigned ok = 0, refused = 0;

	for (size_t i = 0; i < n; i++) {
		parts[i] = (struct send_part){ .path = d->objs[idx[i]].path, .size = d->objs[idx[i]].size };
		bytes += parts[i].size;
	}
	strbuf_init(&resp, SEND_RESPONSE_MAX_BYTES);
	send_body_init(&body, d->bagfd, parts, n);
	int r = send_http(c, url, &body, &status, &resp, err);
	if (r < 0)
		return r;
	/* A refusal of the whole request that one object may cause (some PACS, Orthanc among them, answer a
	 * part they cannot parse with 400 for the lot): halve the batch until the object is alone, and count
	 * it failed, so that a bad object costs that object only. */
	if ((status == 400 || status == 413 || status == 415 || status == 422) && n > 1) {
		send_log(c, ING_LOG_INFO, "send: batch %u: HTTP %ld for %zu objects; sending them in halves to "
		         "find which", batch_no, status, n);
		r = stow_batch(d, c, err, idx, n / 2, batch_no);
		return r < 0 ? r : stow_batch(d, c, err, idx + n / 2, n - n / 2, batch_no);
	}
	if ((status == 400 || status == 413 || status == 415 || status == 422) && n == 1) {
		char why[320];
		size_t k = 0;
		char said[200];
		/* what the destination said, printable ASCII only, bounded */
		for (size_t i = 0; i < resp.len && k + 1 < sizeof said; i++)
			if (resp.s[i] >= 0x20 && resp.s[i] < 0x7f && !(k && said[k - 1] == ' ' && resp.s[i] == ' '))
				said[k++] = resp.s[i];
		said[k] = 0;
		snprintf(why, sizeof why, "the destination refused it: HTTP %ld%s%s", status, k ? ": " : "", said);
		obj_fail(&d->objs[idx[0]], why);
		send_log(c, ING_LOG_WARNING, "send: %s: refused by the destination (HTTP %ld)", d->objs[idx[0]].path,
		         status);
		return 0;
	}
	if (status != 200 && status != 202 && status != 409) {
		free(*err);
		*err = xasprintf("the destination refused the upload (STOW-RS): HTTP %ld%s", status,
		                 status == 401 || status == 403 ? "; check the credentials file" : "");
		return status == 401 || status == 403 ? -EACCES : -EIO;
	}
	_cleanup_(json_object_putp) json_object *ans = parse_json(&resp);
	json_object *seq;
	if (json_object_is_type(ans, json_type_object) && json_object_object_get_ex(ans, "00081199", &seq) &&
	    json_object_object_get_ex(seq, "Value", &seq) && json_object_is_type(seq, json_type_array))
		for (size_t i = 0; i < json_object_array_length(seq); i++) {
			const char *sop = json_uid(json_object_array_get_idx(seq, i), "00081155");
			struct obj *o;
			for (size_t at = 0; sop && (o = find_sop(d, idx, n, sop, &at));) {
				o->state = OBJ_SENT;
				ok++;
			}
		}
	if (json_object_is_type(ans, json_type_object) && json_object_object_get_ex(ans, "00081198", &seq) &&
	    json_object_object_get_ex(seq, "Value", &seq) && json_object_is_type(seq, json_type_array))
		for (size_t i = 0; i < json_object_array_length(seq); i++) {
			json_object *item = json_object_array_get_idx(seq, i), *el, *val;
			const char *sop = json_uid(item, "00081155");
			size_t at = 0;
			struct obj *o = sop ? find_sop(d, idx, n, sop, &at) : NULL;
			long code = -1;
			if (json_object_object_get_ex(item, "00081197", &el) &&
			    json_object_object_get_ex(el, "Value", &val) && json_object_is_type(val, json_type_array) &&
			    json_object_array_length(val) > 0)
				code = (long)json_object_get_int64(json_object_array_get_idx(val, 0));
			if (o && o->state == OBJ_PENDING) {
				char why[160];
				snprintf(why, sizeof why, "the destination refused it: %s (failure reason 0x%04lX)",
				         failure_text(code), code < 0 ? 0L : code);
				obj_fail(o, why);
				refused++;
			}
		}
	send_log(c, ING_LOG_INFO, "send: batch %u: %zu objects, %" PRIu64 " bytes: %u accepted, %u refused, "
	         "HTTP %ld", batch_no, n, bytes, ok, refused, status);
	return 0;
}

/* The requests of one step of the delivery, over SEND_STOW_CONNECTIONS
 * connections at once, each taking the next task when its own is answered:
 *  - a QIDO-RS query that is ready, first (struct query): before sending,
 *    every series' is; when confirming, the queries of a batch's objects by
 *    UID are, once it is answered, so that they are confirmed while the next
 *    batches are on their way and only the last batch's own are left after
 *    it (and the series none of whose objects was sent are asked whole at
 *    once);
 *  - else the next STOW-RS batch, cut in order of the objects (a series'
 *    objects together): while the destination stores one batch, the next
 *    one is on its way (the first and last one alone wait);
 *  - else, batches in flight, wait for one to be answered.
 * After a failure no new task starts; the ones in flight end. */
struct run {
	struct delivery *d;
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* a batch was answered (the crash point and the waiting queries wait for it) */
	size_t *idx;                /* the pending objects, batch after batch */
	size_t *start;              /* batch k is idx[start[k] .. start[k + 1]) */
	unsigned nbatches, next, answered, in_flight;
	uint64_t reserved;          /* body bytes in flight (the byte budget) */
	struct group *groups;
	size_t *gid;                /* the group of each object; SIZE_MAX: none (unreadable) */
	struct query *queries;
	size_t *bq;                 /* confirming: batch k's queries are queries[bq[k] .. bq[k + 1]) */
	size_t *ready;              /* queries ready to be made, in the order they became so */
	size_t nready, next_ready;
	bool final;                 /* the queries confirm (after sending) */
	int r;                      /* the first failure */
	char *err;
};

struct worker {
	struct run *run;
	struct send_conn *conn;
	pthread_t th;
	bool started;
};

/* Batch K is answered: the queries confirming its objects can be made. */
static void batch_answered(struct run *run, unsigned k)
{
	for (size_t q = run->bq[k]; q < run->bq[k + 1]; q++)
		run->ready[run->nready++] = q;
}

static void *worker_main(void *ud)
{
	struct worker *w = ud;
	struct run *run = w->run;

	pthread_mutex_lock(&run->lock);
	while (run->r == 0) {
		char *err = NULL;
		int r;
		/* a ready query first: the last batch's confirmation is all that is left after it */
		if (run->next_ready < run->nready) {
			const struct query *q = &run->queries[run->ready[run->next_ready++]];
			pthread_mutex_unlock(&run->lock);
			r = qido_group(run->d, w->conn, &err, &run->groups[q->g], q->ix, q->n, run->final);
			pthread_mutex_lock(&run->lock);
		} else if (run->next < run->nbatches) {
			unsigned k = run->next++;
			run->in_flight++;
			pthread_mutex_unlock(&run->lock);
			r = stow_batch(run->d, w->conn, &err, run->idx + run->start[k], run->start[k + 1] - run->start[k],
			               k + 1);
			pthread_mutex_lock(&run->lock);
			run->in_flight--;
			if (r == 0)
				batch_answered(run, k);
			pthread_cond_broadcast(&run->cond);
			/* the test's kill between two batches: one answered, none in flight, one to go */
			if (r == 0 && ++run->answered < run->nbatches && testhook_crash_armed("send-batch")) {
				while (run->in_flight > 0)
					pthread_cond_wait(&run->cond, &run->lock);
				testhook_crash_point("send-batch");
			}
		} else if (run->in_flight > 0) {
			pthread_cond_wait(&run->cond, &run->lock);
			continue;
		} else
			break;
		if (r < 0 && run->r == 0) {
			run->r = r;
			run->err = err;
			err = NULL;
			pthread_cond_broadcast(&run->cond);
		}
		free(err);
	}
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

/* The groups of the delivery into GROUPS (when not NULL): one per series of readable objects (d->objs
 * sorted by study, series, SOP); the group of each object into GID. Returns how many. */
static size_t make_groups(struct delivery *d, struct group *groups, size_t *gid)
{
	size_t ng = 0;
	for (size_t lo = 0, hi; lo < d->n; lo = hi) {
		for (hi = lo + 1; hi < d->n && strcmp(d->objs[hi].study, d->objs[lo].study) == 0 &&
		                  strcmp(d->objs[hi].series, d->objs[lo].series) == 0; hi++)
			;
		if (!*d->objs[lo].study) {  /* unreadable objects sort first, with no study */
			for (size_t i = lo; i < hi && gid; i++)
				gid[i] = SIZE_MAX;
			continue;
		}
		for (size_t i = lo; i < hi && gid; i++)
			gid[i] = ng;
		if (groups)
			groups[ng] = (struct group){ .lo = lo, .hi = hi };
		ng++;
	}
	return ng;
}

/* FINAL false: ask what the destination holds. FINAL true: send the pending objects (STOW-RS), then
 * confirm every series (QIDO-RS). */
static int run_all(struct delivery *d, const struct send_opts *o, bool final)
{
	struct run run = { .d = d, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
	                   .final = final };
	struct worker w[SEND_STOW_CONNECTIONS];
	_cleanup_free_ size_t *idx = xcalloc(d->n + 1, sizeof *idx);
	_cleanup_free_ size_t *start = xcalloc(d->n + 2, sizeof *start);
	_cleanup_free_ size_t *gid = xcalloc(d->n + 1, sizeof *gid);
	size_t ngroups = make_groups(d, NULL, NULL), n = 0, in_batch = 0;
	/* at most one query per object and one per group */
	_cleanup_free_ size_t *ready = xcalloc(d->n + ngroups + 1, sizeof *ready);
	_cleanup_free_ struct query *queries = xcalloc(d->n + ngroups + 1, sizeof *queries);
	_cleanup_free_ size_t *bq = xcalloc(d->n + 2, sizeof *bq);
	_cleanup_free_ size_t *held = xcalloc(d->n + 1, sizeof *held);
	_cleanup_free_ struct group *groups = xcalloc(ngroups + 1, sizeof *groups);
	uint64_t bytes = 0;

	for (size_t i = 0; final && i < d->n; i++) {
		const struct obj *ob = &d->objs[i];
		if (ob->state != OBJ_PENDING)
			continue;
		if (in_batch > 0 && (in_batch == SEND_BATCH_MAX_OBJECTS || bytes + ob->size > o->batch_bytes)) {
			start[++run.nbatches] = n;
			in_batch = 0;
			bytes = 0;
		}
		idx[n++] = i;
		in_batch++;
		bytes += ob->size;
	}
	if (in_batch > 0)
		start[++run.nbatches] = n;
	make_groups(d, groups, gid);
	run.idx = idx;
	run.start = start;
	run.groups = groups;
	run.gid = gid;
	run.ready = ready;
	run.queries = queries;
	run.bq = bq;
	size_t nq = 0, nheld = 0;
	/* confirming: each batch's objects by UID, series by series, ready when it is answered */
	for (unsigned k = 0; k < run.nbatches; k++) {
		bq[k] = nq;
		for (size_t i = start[k], j; i < start[k + 1]; i = j) {
			for (j = i + 1; j < start[k + 1] && gid[idx[j]] == gid[idx[i]] && j - i < SEND_QIDO_UIDS; j++)
				;
			if (gid[idx[i]] != SIZE_MAX)
				queries[nq++] = (struct query){ .g = gid[idx[i]], .ix = idx + i, .n = j - i };
		}
	}
	bq[run.nbatches] = nq;
	/* ready at once: every series before sending; when confirming, a series none of whose objects is sent
	 * whole, and the objects the destination held already, of the series that has some sent too, by UID */
	for (size_t g = 0; g < ngroups; g++) {
		bool sent = false;
		for (size_t i = groups[g].lo; final && i < groups[g].hi && !sent; i++)
			sent = d->objs[i].state == OBJ_PENDING;
		if (!sent) {
			ready[run.nready++] = nq;
			queries[nq++] = (struct query){ .g = g };
			continue;
		}
		for (size_t i = groups[g].lo, from = nheld; i <= groups[g].hi; i++) {
			if (i < groups[g].hi && d->objs[i].state == OBJ_THERE)
				held[nheld++] = i;
			if (nheld > from && (i == groups[g].hi || nheld - from == SEND_QIDO_UIDS)) {
				ready[run.nready++] = nq;
				queries[nq++] = (struct query){ .g = g, .ix = held + from, .n = nheld - from };
				from = nheld;
			}
		}
	}

	/* the first connection is this thread's; the others stay open from one step to the next */
	unsigned nw = (unsigned)MIN((size_t)SEND_STOW_CONNECTIONS, (size_t)run.nbatches + nq);
	for (unsigned k = 0; k < nw; k++) {
		if (k >= d->nconns) {
			send_conn_clone(&d->conns[k], &d->conns[0]);
			d->nconns = k + 1;
		}
		w[k] = (struct worker){ .run = &run, .conn = &d->conns[k] };
		if (nw > 1) {
			w[k].conn->lock = &run.lock;
			w[k].conn->bytes_reserved = &run.reserved;
		}
	}
	for (unsigned k = 1; k < nw; k++)
		w[k].started = pthread_create(&w[k].th, NULL, worker_main, &w[k]) == 0;
	if (nw > 0)
		worker_main(&w[0]);
	for (unsigned k = 1; k < nw; k++)
		if (w[k].started)
			pthread_join(w[k].th, NULL);
	for (unsigned k = 0; k < nw; k++) {
		w[k].conn->lock = NULL;
		w[k].conn->bytes_reserved = NULL;
	}
	pthread_mutex_destroy(&run.lock);
	pthread_cond_destroy(&run.cond);
	/* a series with an object sent or held but not found by UID is asked whole: a destination that does not
	 * take lists of UIDs (PS3.18 6.7.1.1.1) is confirmed as before, and one that lost an object says so twice */
	for (size_t g = 0; final && run.r == 0 && g < ngroups; g++) {
		bool missing = false;
		for (size_t i = groups[g].lo; i < groups[g].hi && !missing; i++)
			missing = (d->objs[i].state == OBJ_SENT || d->objs[i].state == OBJ_THERE) && !d->objs[i].confirmed;
		if (missing)
			run.r = qido_group(d, &d->conns[0], &run.err, &groups[g], NULL, 0, true);
	}
	if (run.r < 0) {
		free(d->res->error);
		d->res->error = run.err;
	} else
		free(run.err);
	return run.r;
}

/* ------------------------------------------------------------------------ */
/* Verification, beside the first steps                                      */

/* ing_bag_verify() of the package, in a thread of its own while the objects
 * are listed and the destination is asked what it holds (the data of a
 * ready package is in the page cache or on disk either way: ~0.3 s of a
 * 340 MB package is not spent in turn). Nothing is sent before it has
 * passed: verify_wait() comes first. */
struct verifying {
	struct ing_ctx *ctx;
	const char *bag;
	pthread_t th;
	bool running;
	int r;
	struct ing_verify_result vr;
};

static void *verify_main(void *ud)
{
	struct verifying *v = ud;
	v->r = ing_bag_verify(v->ctx, v->bag, NULL, NULL, &v->vr);
	return NULL;
}

static void verify_start(struct verifying *v)
{
	if (pthread_create(&v->th, NULL, verify_main, v) == 0)
		v->running = true;
	else
		verify_main(v);     /* no thread to be had: now, before anything */
}

/* Waits for it; false (RES says why) when the package fails it. */
static bool verify_wait(struct verifying *v, struct send_result *res)
{
	if (v->running) {
		pthread_join(v->th, NULL);
		v->running = false;
	}
	if (v->r == 0 && !v->vr.missing && !v->vr.altered && !v->vr.extra && !v->vr.invalid && !v->vr.oxum_mismatch)
		return true;
	res->verify_failed = true;
	res->verify_r = v->r;
	free(res->error);
	if (v->r == -ENOTDIR)
		res->error = xasprintf("%s is not a BagIt package (no bagit.txt); nothing was sent", v->bag);
	else if (v->r < 0 && v->r != -EBADMSG && v->r != -E2BIG)
		res->error = xasprintf("the package %s cannot be read (%s); nothing was sent", v->bag, ing_strerror(v->r));
	else
		res->error = xasprintf("the package fails verification (%u missing, %u altered, %u extra, %u invalid%s); "
		                       "nothing was sent. Run 'ingest verify %s' for the list, and package the case again",
		                       v->r < 0 ? 0 : v->vr.missing, v->r < 0 ? 0 : v->vr.altered,
		                       v->r < 0 ? 0 : v->vr.extra, v->r < 0 ? 1 : v->vr.invalid,
		                       v->r == 0 && v->vr.oxum_mismatch ? ", Payload-Oxum wrong" : "", v->bag);
	return false;
}

/* ------------------------------------------------------------------------ */
/* The receipt                                                               */

static int manifest_sha256(int bagfd, char hex[65])
{
	_cleanup_close_ int fd = openat(bagfd, "manifest-sha256.txt", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_(sha256_freep) struct sha256_ctx *c = sha256_new();
	uint8_t buf[65536], out[32];
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k = read(fd, buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		sha256_update(c, buf, (size_t)k);
	}
	sha256_final(c, out);
	hex_encode(out, 32, hex);
	return 0;
}

static int write_receipt(struct delivery *d, const char *bag, const char *path)
{
	char hex[65] = "", when[32];
	time_t now = time(NULL);
	struct tm tm;
	int r = manifest_sha256(d->bagfd, hex);
	if (r < 0)
		return r;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);

	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	json_object *uids = json_object_new_array(), *fails = json_object_new_array(), *decoded = json_object_new_array();
	const struct send_result *res = d->res;
	json_object_object_add(o, "destination", json_object_new_string(d->is_dimse ? d->dimse.display : d->conns[0].base));
	json_object_object_add(o, "protocol", json_object_new_string(d->is_dimse ? "dimse" : "dicomweb"));
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "package", json_object_new_string(path_basename(bag)));
	json_object_object_add(o, "manifest_sha256", json_object_new_string(hex));
	json_object_object_add(o, "delivered", json_object_new_boolean(res->delivered));
	json_object_object_add(o, "objects", json_object_new_int64((int64_t)res->objects));
	json_object_object_add(o, "already_there", json_object_new_int64((int64_t)res->already));
	json_object_object_add(o, "sent", json_object_new_int64((int64_t)res->sent));
	json_object_object_add(o, "confirmed", json_object_new_int64((int64_t)res->confirmed));
	json_object_object_add(o, "failed", json_object_new_int64((int64_t)res->failed));
	json_object_object_add(o, "bytes_sent", json_object_new_int64((int64_t)res->bytes_sent));
	if (res->error)
		json_object_object_add(o, "error", json_object_new_string(res->error));
	for (size_t i = 0; i < d->n; i++) {
		const struct obj *ob = &d->objs[i];
		if (ob->sent_as) {
			json_object *t = json_object_new_object();
			json_object_object_add(t, "file", json_object_new_string(ob->path));
			json_object_object_add(t, "sop_instance_uid", json_object_new_string(ob->sop));
			json_object_object_add(t, "transfer_syntax", json_object_new_string(ob->xfer));
			json_object_object_add(t, "sent_as", json_object_new_string(ob->sent_as));
			json_object_array_add(decoded, t);
		}
		if (ob->confirmed)
			json_object_array_add(uids, json_object_new_string(ob->sop));
		else {
			json_object *f = json_object_new_object();
			json_object_object_add(f, "file", json_object_new_string(ob->path));
			json_object_object_add(f, "sop_instance_uid", json_object_new_string(ob->sop));
			json_object_object_add(f, "reason", json_object_new_string(
				ob->reason ? ob->reason
				: ob->state == OBJ_SENT && d->is_dimse ? "the destination answered that it stored it "
				                          "(C-STORE) but does not hold it (C-FIND): it may filter "
				                          "such objects out; ask its administrator"
				: ob->state == OBJ_SENT ? "the destination answered that it stored it (STOW-RS) but "
				                          "does not hold it (QIDO-RS): it may filter such objects "
				                          "out; ask its administrator"
				: ob->state == OBJ_THERE ? "the destination held it before sending but no longer does"
				: "the destination neither stored nor refused it (not in its STOW-RS answer)"));
			json_object_array_add(fails, f);
		}
	}
	if (d->is_dimse && res->commitment != COMMIT_NOT_ASKED) {
		/* storage commitment (PS3.4 J): asked on commit_port; "committed" objects are in confirmed_uids */
		json_object *c = json_object_new_object();
		static const char *const what[] = { "not asked", "not offered by the destination", "answered",
		                                    "failed" };
		json_object_object_add(c, "result", json_object_new_string(what[res->commitment]));
		json_object_object_add(c, "transaction_uid", res->transaction_uid[0]
		                       ? json_object_new_string(res->transaction_uid) : NULL);
		json_object_object_add(c, "committed", json_object_new_int64((int64_t)res->committed));
		json_object_object_add(o, "storage_commitment", c);
	} else
		json_object_object_add(o, "storage_commitment", NULL);
	json_object_object_add(o, "confirmed_uids", uids);
	/* what this run sent decoded because the destination refused its own syntax (allow_transcode) */
	json_object_object_add(o, "sent_decoded", decoded);
	json_object_object_add(o, "not_delivered", fails);

	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			return -errno;
	}
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	else if (slash && slash != dir) {
		_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)fsync(dfd);
	}
	return r;
}

/* ------------------------------------------------------------------------ */

int send_package(struct ing_ctx *ctx, const char *bag, const struct send_opts *o, struct send_result *res)
{
	struct delivery d = { .ctx = ctx, .bagfd = -1, .res = res };
	struct verifying ver = { .ctx = ctx, .bag = bag };
	_cleanup_close_ int datafd = -1;
	_cleanup_free_ char *commit_err = NULL;
	int r;

	*res = (struct send_result){ 0 };
	/* the one dispatch between the transports: DICOMweb (send-http.c) or DIMSE (send-dimse.c) */
	d.is_dimse = o->url && send_url_is_dimse(o->url);
	r = d.is_dimse ? send_dimse_init(&d.dimse, ctx, o, &res->error) : send_conn_init(&d.conns[0], ctx, o, &res->error);
	if (r < 0)
		return r;   /* a destination given wrong: said before anything is read */
	if (o->verify)
		verify_start(&ver);
	d.nconns = !d.is_dimse;
	d.conns[0].deadline_ms = d.dimse.deadline_ms = mono_ms() + (uint64_t)o->max_seconds * 1000;
	d.conns[0].bytes_sent = d.dimse.bytes_sent = &res->bytes_sent;
	d.conns[0].requests = d.dimse.requests = &res->requests;

	d.bagfd = open(bag, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d.bagfd < 0) {
		r = -errno;
		fail_why(res, "cannot open the package %s: %s", bag, ing_strerror(r));
		goto out;
	}
	/* one component at a time: O_NOFOLLOW guards only the last one */
	datafd = openat(d.bagfd, "data", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	r = datafd < 0 ? -errno : walk(&d, datafd, "DICOM", "data/DICOM", 0);
	if (r < 0) {
		fail_why(res, "cannot list the package's DICOM objects: %s", ing_strerror(r));
		goto out;
	}
	if (d.n > 1)    /* none: d.objs is NULL, which qsort() may not be given */
		qsort(d.objs, d.n, sizeof *d.objs, d.is_dimse ? obj_cmp_study : obj_cmp_series);
	res->objects = d.n;

	r = d.is_dimse ? send_dimse_query(&d.dimse, d.objs, d.n, false, &res->error) : run_all(&d, o, false);
	if (r < 0)
		goto out;
	if (o->verify && !verify_wait(&ver, res)) {
		r = -EBADMSG;
		goto out;
	}
	for (size_t i = 0; i < d.n; i++)
		res->already += d.objs[i].state == OBJ_THERE;
	log_info(ctx, "send: %zu DICOM objects, %" PRIu64 " already at the destination", d.n, res->already);

	/* DICOMweb: the STOW-RS batches and the confirming QIDO-RS queries in one run, the queries of the
	 * first series overlapping the last batches (run_all()) */
	r = d.is_dimse ? send_dimse_store(&d.dimse, d.bagfd, d.objs, d.n, &res->error) : run_all(&d, o, true);
	if (r < 0)
		goto out;
	if (d.is_dimse)
		r = send_dimse_query(&d.dimse, d.objs, d.n, true, &res->error);
	if (r < 0)
		goto out;
	/* storage commitment of what C-FIND found, when asked: then delivered means committed too */
	int cr = d.is_dimse && o->commit_port ? send_dimse_commit(&d.dimse, d.objs, d.n, res, &commit_err) : 0;
	for (size_t i = 0; i < d.n && res->commitment == COMMIT_ANSWERED; i++) {
		struct obj *ob = &d.objs[i];
		if (ob->confirmed && !ob->committed && !ob->reason)
			ob->reason = xasprintf("the destination holds it (C-FIND) but its storage commitment answer "
			                       "(transaction %s) does not name it", res->transaction_uid);
		ob->confirmed = ob->confirmed && ob->committed;
		res->committed += ob->committed;
	}
	for (size_t i = 0; i < d.n; i++) {
		res->sent += d.objs[i].state == OBJ_SENT;
		res->failed += d.objs[i].state == OBJ_FAILED;
		res->confirmed += d.objs[i].confirmed;
		res->transcoded += d.objs[i].sent_as != NULL;
	}
	res->delivered = res->confirmed == res->objects && cr == 0;
	if (cr < 0)
		fail_why(res, "storage commitment: %s", commit_err ? commit_err : ing_strerror(cr));
	else if (!res->delivered)
		fail_why(res, "%" PRIu64 " of %" PRIu64 " objects are not at the destination (%" PRIu64
		         " refused by it); the receipt lists each with its reason", res->objects - res->confirmed,
		         res->objects, res->failed);
	if (o->receipt_path) {
		int w = write_receipt(&d, bag, o->receipt_path);
		if (w < 0) {
			fail_why(res, "cannot write the receipt %s: %s", o->receipt_path, ing_strerror(w));
			r = w;
		}
	}
	if (r == 0 && cr < 0)
		r = cr;     /* the daemon tries again later when it is worth it (no answer in time, port in use) */
out:
	/* a step that failed before it: the package's own failure is the one to tell */
	if (o->verify && !res->verify_failed && !verify_wait(&ver, res))
		r = -EBADMSG;
	delivery_free(&d);
	return r;
}
