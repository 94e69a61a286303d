/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The delivery's HTTP requests (libcurl): QIDO-RS GETs and STOW-RS POSTs,
 * each retried with backoff on transient failures, inside the delivery's
 * time and byte budgets.
 *
 * Why it looks the way it does:
 *  - A STOW-RS body is streamed from the package's files by a read callback
 *    (multipart/related, one part per object), its length computed first, so
 *    no object is held in memory and the server gets a Content-Length (some
 *    PACS refuse chunked uploads). A retry rewinds the body and reads the
 *    files again.
 *  - Only https (http when allowed), no redirects (a POST must not be
 *    replayed elsewhere), no proxy from the environment, no .netrc: what the
 *    operator wrote is where the images go.
 *  - Credentials come from files, are kept in memory only and never logged;
 *    a URL holding a user or password is refused.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "build-config.h"
#include "send-private.h"
#include "util/clock.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void send_set_err(char **err, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(*err);
	*err = s;
}

/* The first line of a secret file, bounded; never logged. */
static int read_secret(const char *path, char **out)
{
	_cleanup_free_ char *buf = NULL;
	size_t len, n;
	int r = read_file_at(AT_FDCWD, path, SEND_SECRET_MAX_BYTES, 0, &buf, &len);
	if (r < 0)
		return r;
	for (n = 0; n < len && buf[n] != '\n' && buf[n] != '\r'; n++)
		if (buf[n] == 0)
			return -EINVAL;
	if (n == 0)
		return -ENODATA;
	*out = xstrndup(buf, n);
	explicit_bzero(buf, len);
	return 0;
}

int send_conn_init(struct send_conn *c, struct ing_ctx *ctx, const struct send_opts *o, char **err)
{
	CURLU *u = NULL;
	char *scheme = NULL, *user = NULL, *pass = NULL, *query = NULL, *frag = NULL, *full = NULL;
	int r = 0;

	*c = (struct send_conn){ .ctx = ctx, .o = o };
	if (o->allow_transcode || o->commit_port) {
		send_set_err(err, "transcoding and storage commitment are for a DIMSE destination (dicom://...): STOW-RS "
		             "sends each object as it is, and QIDO-RS confirms it");
		return -EINVAL;
	}
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		send_set_err(err, "libcurl could not start");
		return -ENOMEM;
	}
	if (!o->url || !*o->url || strlen(o->url) > FETCH_MAX_URL_BYTES) {
		send_set_err(err, "no destination, or a destination URL too long");
		return -EINVAL;
	}
	u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		send_set_err(err, "the destination %s is not a URL; write it as https://host/dicom-web/", o->url);
		r = -EINVAL;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		send_set_err(err, "the destination URL holds a user name or password; put them in a file and give "
		        "--basic-file FILE (or --token-file FILE) instead");
		r = -EINVAL;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		send_set_err(err, "the destination URL has a query or fragment; give the DICOMweb base only "
		        "(e.g. https://host/dicom-web/)");
		r = -EINVAL;
		goto out;
	}
	if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && o->allow_http)) {
		if (strcmp(scheme, "http") == 0)
			send_set_err(err, "the destination uses plain http, which would send the images unencrypted; "
			        "use https, or give --allow-http on a closed network");
		else
			send_set_err(err, "the destination's scheme %s is not supported; use https://host/dicom-web/",
			        scheme);
		r = -EPROTONOSUPPORT;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		send_set_err(err, "the destination %s is not a URL", o->url);
		r = -EINVAL;
		goto out;
	}
	c->base = full[strlen(full) - 1] == '/' ? xstrdup(full) : xasprintf("%s/", full);
	if (strcmp(scheme, "http") == 0 && (o->token_file || o->basic_file))
		log_warn(ctx, "send: the credentials go over plain http, readable by anyone on the way (--allow-http)");
	if (o->token_file && o->basic_file) {
		send_set_err(err, "give either --token-file or --basic-file, not both");
		r = -EINVAL;
		goto out;
	}
	if (o->token_file) {
		_cleanup_free_ char *tok = NULL;
		r = read_secret(o->token_file, &tok);
		if (r < 0) {
			send_set_err(err, "cannot read the token file %s: %s", o->token_file, ing_strerror(r));
			goto out;
		}
		c->auth_header = xasprintf("Authorization: Bearer %s", tok);
		explicit_bzero(tok, strlen(tok));
	}
	if (o->basic_file) {
		r = read_secret(o->basic_file, &c->userpwd);
		if (r < 0 || !strchr(c->userpwd, ':')) {
			send_set_err(err, "cannot read the credentials file %s: %s", o->basic_file,
			        r < 0 ? ing_strerror(r) : "its first line must be user:password");
			r = r < 0 ? r : -EINVAL;
			goto out;
		}
	}
out:
	curl_free(scheme);
	curl_free(user);
	curl_free(pass);
	curl_free(query);
	curl_free(frag);
	curl_free(full);
	curl_url_cleanup(u);
	if (r < 0)
		send_conn_done(c);
	return r;
}

void send_conn_clone(struct send_conn *dst, const struct send_conn *src)
{
	*dst = *src;
	dst->curl = NULL;
	dst->clone = true;
}

void send_conn_done(struct send_conn *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	if (c->clone) {
		c->base = c->auth_header = c->userpwd = NULL;
		return;
	}
	free(c->base);
	if (c->auth_header) {
		explicit_bzero(c->auth_header, strlen(c->auth_header));
		free(c->auth_header);
	}
	if (c->userpwd) {
		explicit_bzero(c->userpwd, strlen(c->userpwd));
		free(c->userpwd);
	}
	c->base = c->auth_header = c->userpwd = NULL;
}

/* ------------------------------------------------------------------------ */
/* The STOW-RS body                                                          */

#define PART_HEAD_FMT "--%s\r\nContent-Type: application/dicom\r\n\r\n"

void send_body_init(struct send_body *b, int dirfd, const struct send_part *parts, size_t n)
{
	uint8_t rnd[12];
	char hex[25];
	*b = (struct send_body){ .dirfd = dirfd, .parts = parts, .nparts = n, .fd = -1 };
	if (getentropy(rnd, sizeof rnd) < 0)
		memset(rnd, 0x5a, sizeof rnd);
	hex_encode(rnd, sizeof rnd, hex);
	snprintf(b->boundary, sizeof b->boundary, "ingestd-%s", hex);
	size_t bl = strlen(b->boundary);
	for (size_t i = 0; i < n; i++)
		b->length += (2 + bl + 2 + strlen("Content-Type: application/dicom\r\n\r\n")) + parts[i].size + 2;
	b->length += 2 + bl + 4;    /* --B--\r\n */
}

static void body_rewind(struct send_body *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->part = 0;
	b->stage = b->nparts ? 0 : 3;
	b->off = 0;
	b->file_off = 0;
	b->changed = false;
}

/* Copies what is left of the string S from b->off; true when it is done. */
static bool put_str(struct send_body *b, const char *s, char **dst, size_t *room)
{
	size_t n = strlen(s) - b->off, k = MIN(n, *room);
	memcpy(*dst, s + b->off, k);
	*dst += k;
	*room -= k;
	b->off += k;
	if (b->off == strlen(s)) {
		b->off = 0;
		return true;
	}
	return false;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	struct send_body *b = ud;
	char *p = buf, tmp[128];
	size_t room = size * nitems;

	while (room > 0 && b->stage != 4) {
		switch (b->stage) {
		case 0:
			snprintf(tmp, sizeof tmp, PART_HEAD_FMT, b->boundary);
			if (put_str(b, tmp, &p, &room))
				b->stage = 1;
			break;
		case 1: {
			const struct send_part *pt = &b->parts[b->part];
			if (b->fd < 0) {
				b->fd = openat(b->dirfd, pt->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
				if (b->fd < 0) {
					b->changed = true;
					return CURL_READFUNC_ABORT;
				}
				b->file_off = 0;
			}
			size_t want = (size_t)MIN((uint64_t)room, pt->size - b->file_off);
			ssize_t got = want ? read(b->fd, p, want) : 0;
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0 || (got == 0 && want > 0)) {
				b->changed = true;   /* shorter than it was, or unreadable: the length would lie */
				return CURL_READFUNC_ABORT;
			}
			p += got;
			room -= (size_t)got;
			b->file_off += (uint64_t)got;
			if (b->file_off == pt->size) {
				close(b->fd);
				b->fd = -1;
				b->stage = 2;
			}
			break;
		}
		case 2:
			if (put_str(b, "\r\n", &p, &room)) {
				b->part++;
				b->stage = b->part < b->nparts ? 0 : 3;
			}
			break;
		case 3:
			snprintf(tmp, sizeof tmp, "--%s--\r\n", b->boundary);
			if (put_str(b, tmp, &p, &room))
				b->stage = 4;
			break;
		}
	}
	return (size_t)(p - buf);
}

/* libcurl rewinds the body when it sends it again on a new connection (a
 * kept-alive one the server had closed). */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
	if (offset != 0 || origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	body_rewind(ud);
	return CURL_SEEKFUNC_OK;
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */

struct answer {
	struct strbuf *resp;
	bool too_big;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct answer *a = ud;
	size_t n = size * nmemb;
	if (strbuf_append(a->resp, data, n) < 0) {
		a->too_big = true;
		return 0;
	}
	return n;
}

static bool curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

#define SETOPT(h, opt, val) do { if (curl_easy_setopt(h, opt, val) != CURLE_OK) goto setopt_failed; } while (0)

/* One attempt: 0 and *status when an answer came; else the curl code in *rc. */
static int attempt(struct send_conn *c, const char *url, struct send_body *body, long *status,
                   struct strbuf *resp, CURLcode *rc, char *errbuf, bool *too_big)
{
	const struct send_opts *o = c->o;
	struct curl_slist *hdrs = NULL;
	struct answer a = { .resp = resp };
	char ctype[160];
	uint64_t now = mono_ms();
	int r = 0;
	/* one handle per connection, reset for each request: libcurl keeps the
	 * connection (and a TLS session) open from one request to the next */
	CURL *h = c->curl;
	if (h)
		curl_easy_reset(h);
	else if (!(h = c->curl = curl_easy_init()))
		return -ENOMEM;
	errbuf[0] = 0;
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_URL, url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, o->allow_http ? "https,http" : "https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_TIMEOUT_MS, (long)(c->deadline_ms > now ? c->deadline_ms - now : 1));
	SETOPT(h, CURLOPT_CONNECTTIMEOUT, 30L);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_PROXY, "");
	SETOPT(h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file)
		SETOPT(h, CURLOPT_CAINFO, o->ca_file);
	SETOPT(h, CURLOPT_USERAGENT, "ingestd/" INGEST_VERSION);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_write);
	SETOPT(h, CURLOPT_WRITEDATA, &a);
	if (c->userpwd) {
		SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SETOPT(h, CURLOPT_USERPWD, c->userpwd);
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/dicom+json");
	if (c->auth_header)
		hdrs = curl_slist_append(hdrs, c->auth_header);
	if (body) {
		snprintf(ctype, sizeof ctype,
		         "Content-Type: multipart/related; type=\"application/dicom\"; boundary=%s", body->boundary);
		hdrs = curl_slist_append(hdrs, ctype);
		hdrs = curl_slist_append(hdrs, "Expect:");
		body_rewind(body);
		SETOPT(h, CURLOPT_POST, 1L);
		SETOPT(h, CURLOPT_READFUNCTION, on_read);
		SETOPT(h, CURLOPT_READDATA, body);
		SETOPT(h, CURLOPT_SEEKFUNCTION, on_seek);
		SETOPT(h, CURLOPT_SEEKDATA, body);
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->length);
		/* larger reads and sends than libcurl's 64 KiB: an eighth of the system calls */
		SETOPT(h, CURLOPT_UPLOAD_BUFFERSIZE, (long)SEND_UPLOAD_BUFFER_BYTES);
	}
	if (!hdrs)
		goto setopt_failed;
	SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
	*rc = curl_easy_perform(h);
	if (body) {
		curl_off_t up = 0;
		if (curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up) != CURLE_OK || up < 0)
			up = 0;
		if (c->lock)
			pthread_mutex_lock(c->lock);
		*c->bytes_sent += (uint64_t)up;
		(*c->requests)++;
		if (c->lock)
			pthread_mutex_unlock(c->lock);
		body_rewind(body);
	}
	*too_big = a.too_big;
	if (*rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	else
		r = -EIO;
	goto done;
setopt_failed:
	r = -ENOMEM;
done:
	curl_slist_free_all(hdrs);
	return r;
}

int send_http(struct send_conn *c, const char *url, struct send_body *body, long *status,
              struct strbuf *resp, char **err)
{
	const struct send_opts *o = c->o;
	char errbuf[CURL_ERROR_SIZE];
	uint64_t wait = MAX(o->retry_base_ms, 1u);

	for (unsigned try = 0;; try++) {
		CURLcode rc = CURLE_OK;
		bool too_big = false;
		int r;

		if (mono_ms() >= c->deadline_ms) {
			send_set_err(err, "the delivery took longer than its %u s budget; it resumes where it stopped "
			        "when sent again", o->max_seconds);
			return -ETIMEDOUT;
		}
		if (body) {
			/* the bodies in flight on other connections count against the budget too */
			uint64_t *held = c->bytes_reserved;
			bool over;
			if (c->lock)
				pthread_mutex_lock(c->lock);
			over = *c->bytes_sent + (held ? *held : 0) + body->length > o->max_bytes;
			if (!over && held)
				*held += body->length;
			if (c->lock)
				pthread_mutex_unlock(c->lock);
			if (over) {
				send_set_err(err, "the delivery would send more than its %" PRIu64 " byte budget; it "
				        "resumes where it stopped when sent again", o->max_bytes);
				return -EFBIG;
			}
		}
		resp->len = 0;
		if (resp->s)
			resp->s[0] = 0;
		*status = 0;
		r = attempt(c, url, body, status, resp, &rc, errbuf, &too_big);
		if (body && c->bytes_reserved) {
			if (c->lock)
				pthread_mutex_lock(c->lock);
			*c->bytes_reserved -= body->length;
			if (c->lock)
				pthread_mutex_unlock(c->lock);
		}
		if (r == -ENOMEM) {
			send_set_err(err, "out of memory");
			return r;
		}
		if (body && body->changed) {
			send_set_err(err, "a file of the package changed or vanished while it was being sent; verify the "
			        "package again (ingest verify)");
			return -EIO;
		}
		if (too_big) {
			send_set_err(err, "the destination's answer is larger than %u bytes", SEND_RESPONSE_MAX_BYTES);
			return -EFBIG;
		}
		bool transient = r < 0 ? curl_transient(rc) : (*status >= 500 || *status == 408 || *status == 429);
		if (!transient) {
			if (r < 0) {
				send_set_err(err, "the destination cannot be reached: %s",
				        errbuf[0] ? errbuf : curl_easy_strerror(rc));
				return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ? -EPERM
				                                                                               : -EIO;
			}
			return 0;
		}
		if (try >= o->max_retries) {
			if (r < 0)
				send_set_err(err, "the destination could not be reached after %u attempts: %s", try + 1,
				        errbuf[0] ? errbuf : curl_easy_strerror(rc));
			else
				send_set_err(err, "the destination answered HTTP %ld after %u attempts; it is tried again "
				        "when sent again", *status, try + 1);
			return -EIO;
		}
		if (r < 0)
			send_log(c, ING_LOG_WARNING, "send: the destination cannot be reached (%s); trying again in %"
			         PRIu64 " ms",
			         errbuf[0] ? errbuf : curl_easy_strerror(rc), wait);
		else
			send_log(c, ING_LOG_WARNING, "send: the destination answered HTTP %ld; trying again in %"
			         PRIu64 " ms",
			         *status, wait);
		if (mono_ms() + wait >= c->deadline_ms)
			wait = c->deadline_ms > mono_ms() ? c->deadline_ms - mono_ms() : 0;
		sleep_ms(wait);
		wait = MIN(wait * 2, (uint64_t)60000);
	}
}
