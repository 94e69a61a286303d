/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Downloads: the URLs of link files (read by fetch-linkfile.c), each to one
 * file with libcurl, and the safe file name each gets.
 *
 * Why it looks the way it does:
 *  - fetch_url() owns one libcurl easy handle per attempt. Every protocol
 *    but https (and http when allowed) is off for the first request and for
 *    redirects; proxies come only from the options, never the environment.
 *  - The body is written and hashed in the write callback, so the bytes are
 *    read once. The size limit is enforced there as well as through
 *    CURLOPT_MAXFILESIZE_LARGE, because Content-Length may lie or be absent.
 *  - Resume after a cut uses a Range header (CURLOPT_RANGE, not
 *    CURLOPT_RESUME_FROM_LARGE: with the latter curl refuses a 200 answer
 *    with CURLE_RANGE_ERROR before we see it, costing one more request).
 *    A 206 must start exactly where we stopped; a 200 means start over, so
 *    the file is truncated and the hash restarted. If-Range with the first
 *    answer's strong ETag (or Last-Modified) keeps a changed file from being
 *    stitched onto the old one.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "build-config.h"
#include "fetch-private.h"
#include "testhooks.h"

/* ------------------------------------------------------------------------ */
/* File names                                                                */

/* Percent-decodes N bytes; the result may hold any byte, NUL included. */
static char *pct_decode(const char *s, size_t n, size_t *out_len)
{
	char *o = xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int a, b;
		if (s[i] == '%' && i + 2 < n &&
		    (a = hex_digit((unsigned char)s[i + 1])) >= 0 && (b = hex_digit((unsigned char)s[i + 2])) >= 0) {
			o[j++] = (char)(a << 4 | b);
			i += 2;
		} else
			o[j++] = s[i];
	}
	o[j] = 0;
	*out_len = j;
	return o;
}

/* One safe path component from N bytes of S, or NULL if nothing is left. */
static char *name_sanitize(const char *s, size_t n)
{
	_cleanup_free_ char *tmp = NULL, *utf = NULL;
	size_t j = 0, len, start, last = 0;
	char *out;

	/* Last component only: both separators count. */
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '\\')
			last = i + 1;
	s += last;
	n -= last;
	tmp = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			continue;
		tmp[j++] = strchr("<>:\"|?*", c) ? '_' : (char)c;
	}
	tmp[j] = 0;
	utf = utf8_sanitize(tmp, j);
	len = strlen(utf);

	/* No "..": collapse runs of dots. */
	for (size_t i = 0, k = 0; i <= len; i++) {
		if (utf[i] == '.' && k > 0 && utf[k - 1] == '.')
			continue;
		utf[k++] = utf[i];
		if (!utf[i])
			len = k - 1;
	}
	/* No hidden files, no trailing dots or spaces (Windows drops them). */
	start = 0;
	while (start < len && (utf[start] == '.' || utf[start] == ' '))
		start++;
	while (len > start && (utf[len - 1] == '.' || utf[len - 1] == ' '))
		len--;
	if (len <= start)
		return NULL;

	if (len - start > FETCH_MAX_NAME_BYTES) {
		/* Keep a short extension; cut the stem at a UTF-8 boundary. */
		const char *dot = memrchr(utf + start, '.', len - start);
		size_t ext = dot && (size_t)(utf + len - dot) <= 16 ? (size_t)(utf + len - dot) : 0;
		size_t stem = FETCH_MAX_NAME_BYTES - ext;
		while (stem > 0 && ((unsigned char)utf[start + stem] & 0xc0) == 0x80)
			stem--;
		out = xmalloc(stem + ext + 1);
		memcpy(out, utf + start, stem);
		memcpy(out + stem, utf + len - ext, ext);
		out[stem + ext] = 0;
		return out;
	}
	return xstrndup(utf + start, len - start);
}

/* The file name parameters of a Content-Disposition value; filename* wins. */
static char *cd_filename(const char *v)
{
	_cleanup_free_ char *plain = NULL, *ext = NULL;
	size_t plain_len = 0, ext_len = 0;
	const char *p = v;

	while (*p) {
		const char *name, *val;
		size_t nl, vl;
		struct strbuf b;
		bool star;

		while (*p && *p != ';')
			p++;
		if (!*p)
			break;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		nl = (size_t)(p - name);
		while (nl > 0 && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
			nl--;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		strbuf_init(&b, 4096);
		strbuf_puts(&b, "");
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				(void)strbuf_append(&b, p, 1);
				p++;
			}
			if (*p == '"')
				p++;
		} else {
			val = p;
			while (*p && *p != ';')
				p++;
			vl = (size_t)(p - val);
			while (vl > 0 && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
				vl--;
			(void)strbuf_append(&b, val, vl);
		}
		star = nl == 9 && strncasecmp(name, "filename*", 9) == 0;
		if (star && !ext) {
			/* charset'language'percent-encoded */
			const char *q1 = strchr(b.s, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
			if (q2) {
				size_t dl;
				_cleanup_free_ char *dec = pct_decode(q2 + 1, strlen(q2 + 1), &dl);
				if ((size_t)(q1 - b.s) == 5 && strncasecmp(b.s, "UTF-8", 5) == 0) {
					ext = steal_ptr(dec);
					ext_len = dl;
				} else if ((size_t)(q1 - b.s) == 10 && strncasecmp(b.s, "ISO-8859-1", 10) == 0) {
					struct strbuf l;
					strbuf_init(&l, dl * 2 + 1);
					strbuf_puts(&l, "");
					for (size_t i = 0; i < dl; i++)
						put_utf8(&l, (unsigned char)dec[i]);
					ext_len = l.len;
					ext = strbuf_steal(&l);
				}
			}
		} else if (!star && nl == 8 && strncasecmp(name, "filename", 8) == 0 && !plain) {
			plain_len = b.len;
			plain = strbuf_steal(&b);
		}
		strbuf_free(&b);
	}
	if (ext) {
		char *r = name_sanitize(ext, ext_len);
		if (r)
			return r;
	}
	return plain ? name_sanitize(plain, plain_len) : NULL;
}

static char *url_filename(const char *url)
{
	CURLU *u = curl_url();
	char *path = NULL, *r = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path) {
		const char *seg = strrchr(path, '/');
		size_t dl;
		_cleanup_free_ char *dec = NULL;
		seg = seg ? seg + 1 : path;
		dec = pct_decode(seg, strlen(seg), &dl);
		r = name_sanitize(dec, dl);
	}
	curl_free(path);
	curl_url_cleanup(u);
	return r;
}

char *fetch_file_name(const char *content_disposition, const char *url)
{
	char *r = NULL;
	if (content_disposition)
		r = cd_filename(content_disposition);
	if (!r && url)
		r = url_filename(url);
	return r ? r : xstrdup("download");
}

/* ------------------------------------------------------------------------ */
/* Fetching                                                                  */

void fetch_opts_default(struct fetch_opts *o)
{
	*o = (struct fetch_opts){
		.allow_http = false,
		.max_bytes = UINT64_C(16) << 30,  /* like max_file_bytes: a whole DVD image */
		.timeout_s = 4 * 3600,            /* 16 GiB at ~10 Mbit/s */
		.connect_timeout_s = 30,
		.stall_s = 60,
		.stall_bytes_per_s = 1,
		.max_redirects = 10,
		.max_retries = 2,           /* 1 s then 2 s: a portal that is briefly down; the daemon retries the drop later */
		.retry_base_ms = 1000,
		.retry_max_ms = 60000,
	};
}

void fetch_result_clear(struct fetch_result *res)
{
	if (!res)
		return;
	free(res->file_name);
	free(res->effective_url);
	free(res->content_type);
	free(res->error);
	*res = (struct fetch_result){ 0 };
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void fmt_size(uint64_t b, char *out, size_t n)
{
	static const char *units[] = { "GiB", "MiB", "KiB" };
	for (unsigned i = 0; i < 3; i++) {
		uint64_t u = UINT64_C(1) << (30 - 10 * i);
		if (b >= u) {
			if (b % u == 0)
				snprintf(out, n, "%" PRIu64 " %s", b / u, units[i]);
			else
				snprintf(out, n, "%.1f %s", (double)b / (double)u, units[i]);
			return;
		}
	}
	snprintf(out, n, "%" PRIu64 " bytes", b);
}

static const char *http_reason(long st)
{
	switch (st) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return st >= 500 ? "server error" : "client error";
	}
}

static const char *http_advice(long st)
{
	switch (st) {
	case 401: case 403:
		return "the link needs a login or is no longer shared; ask for a link that opens without signing in";
	case 404: case 410:
		return "the link has expired or is wrong; ask for a new link";
	case 408: case 429:
		return "the server is busy or limiting downloads; it will be tried again later";
	default:
		return st >= 500 ? "the server had a problem; it will be tried again later"
		                 : "the server refused the download; ask for a new link";
	}
}

static bool http_transient(long st)
{
	return st == 408 || st == 429 || st >= 500;
}


struct xfer {
	CURL *h;
	int fd;
	off_t base;                /* body start in fd; -1: not seekable, no restart */
	uint64_t max;
	uint64_t total;            /* body bytes written and hashed so far */
	uint64_t received;         /* body bytes written over all attempts (fetch_opts.budget_bytes) */
	uint64_t budget;           /* fetch_opts.budget_bytes, 0: none */
	uint64_t budget_deadline;  /* fetch_opts.deadline_ms when it comes before timeout_s, else 0 */
	bool cap_is_budget;        /* this attempt's size cap is what is left of the budget */
	bool over_budget;
	struct sha256_ctx *sha;
	bool started;              /* this attempt delivered body bytes */
	bool too_big, bad_status, bad_range, stalled;
	int write_err;
	/* stall watch: bytes seen at the start of the current window */
	uint64_t stall_from_ms;
	curl_off_t stall_from_bytes;
	uint64_t stall_ms, stall_min_bytes;
	/* the response whose headers are arriving */
	char *cd, *etag, *last_modified, *ctype;
	int64_t range_start;       /* Content-Range first byte, -1: none */
	bool range_to_end;         /* ... and it runs to the end of the file (or the size is unknown) */
	long retry_after_s;        /* -1: none */
	/* the response whose body we are assembling (kept across attempts) */
	char *validator, *body_cd, *body_ctype;
};

static void xfer_reset_headers(struct xfer *x)
{
	free(x->cd);
	free(x->etag);
	free(x->last_modified);
	free(x->ctype);
	x->cd = x->etag = x->last_modified = x->ctype = NULL;
	x->range_start = -1;
	x->range_to_end = false;
	x->retry_after_s = -1;
}

static void xfer_free(struct xfer *x)
{
	xfer_reset_headers(x);
	free(x->validator);
	free(x->body_cd);
	free(x->body_ctype);
	if (x->sha)
		sha256_free(x->sha);
}

/* "Name: value" (case-insensitive name); value trimmed, printable ASCII/UTF-8 only. */
static char *header_value(const char *line, size_t n, const char *name)
{
	size_t nl = strlen(name);
	const char *v;
	size_t vl;
	if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return NULL;
	v = line + nl + 1;
	vl = n - nl - 1;
	trim(&v, &vl);
	if (vl == 0 || vl > FETCH_MAX_HEADER_BYTES)
		return NULL;
	for (size_t i = 0; i < vl; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return NULL;
	return xstrndup(v, vl);
}

static void replace(char **dst, char *v)
{
	if (v) {
		free(*dst);
		*dst = v;
	}
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	struct xfer *x = ud;
	size_t n = sz * nm;
	char *v;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		xfer_reset_headers(x);
		return n;
	}
	replace(&x->cd, header_value(p, n, "Content-Disposition"));
	replace(&x->etag, header_value(p, n, "ETag"));
	replace(&x->last_modified, header_value(p, n, "Last-Modified"));
	replace(&x->ctype, header_value(p, n, "Content-Type"));
	if ((v = header_value(p, n, "Content-Range"))) {
		unsigned long long a, b, c;
		int got = sscanf(v, "bytes %llu-%llu/%llu", &a, &b, &c);
		if (got >= 2 && a <= b && b < INT64_MAX) {
			x->range_start = (int64_t)a;
			x->range_to_end = got == 2 || b + 1 == c; /* got 2: the size is "*" */
		}
		free(v);
	}
	if ((v = header_value(p, n, "Retry-After"))) {
		char *e;
		long s = strtol(v, &e, 10);
		if (e != v && *e == 0 && s >= 0)
			x->retry_after_s = MIN(s, 24L * 3600);
		free(v);
	}
	return n;
}

static int xfer_restart(struct xfer *x)
{
	if (x->total == 0)
		return 0;
	if (x->base < 0)
		return -ESPIPE;
	if (ftruncate(x->fd, x->base) < 0 || lseek(x->fd, x->base, SEEK_SET) < 0)
		return -errno;
	sha256_free(x->sha);
	x->sha = sha256_new();
	x->total = 0;
	return 0;
}

/* First body bytes of an attempt: is this the body we want, and where does it go? */
static bool xfer_begin_body(struct xfer *x)
{
	long st = 0;
	int r;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
	if (st < 200 || st > 299) {
		x->bad_status = true;
		return false;
	}
	if (st == 206) {
		if (x->range_start != (int64_t)x->total || !x->range_to_end) {
			x->bad_range = true;
			return false;
		}
	} else if ((r = xfer_restart(x)) < 0) {
		x->write_err = r;
		return false;
	}
	if (x->total == 0) {
		/* A new body: remember what identifies it and what it is called. */
		free(x->validator);
		x->validator = NULL;
		if (x->etag && strncmp(x->etag, "W/", 2) != 0)
			x->validator = xstrdup(x->etag);
		else if (x->last_modified)
			x->validator = xstrdup(x->last_modified);
		free(x->body_cd);
		x->body_cd = x->cd ? xstrdup(x->cd) : NULL;
		free(x->body_ctype);
		x->body_ctype = x->ctype ? xstrdup(x->ctype) : NULL;
	}
	x->started = true;
	return true;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct xfer *x = ud;
	size_t n = sz * nm, done = 0;

	if (n == 0)
		return 0;
	if (!x->started && !xfer_begin_body(x))
		return 0;
	if (x->budget && n > x->budget - x->received) {
		x->over_budget = true;
		return 0;
	}
	if (n > x->max || x->total > x->max - n) {
		x->too_big = true;
		return 0;
	}
	while (done < n) {
		ssize_t w = write(x->fd, p + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			x->write_err = -errno;
			return 0;
		}
		done += (size_t)w;
	}
	sha256_update(x->sha, p, n);
	x->total += n;
	x->received += n;
	return n;
}

/*
 * Stall watch. CURLOPT_LOW_SPEED_* averages over a ~5 s window on top of
 * LOW_SPEED_TIME, so a server that sends a little and then goes quiet is
 * caught late; here a window restarts whenever enough bytes arrived, and the
 * transfer stops when stall_s passes without that. It covers the wait for
 * the answer as well as the body.
 */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = ud;
	uint64_t now = mono_ms();
	if (x->stall_ms == 0)
		return 0;
	if (dlnow < x->stall_from_bytes || (uint64_t)(dlnow - x->stall_from_bytes) >= x->stall_min_bytes) {
		x->stall_from_ms = now;
		x->stall_from_bytes = dlnow;
		return 0;
	}
	if (now - x->stall_from_ms >= x->stall_ms) {
		x->stalled = true;
		return 1;
	}
	return 0;
}

enum verdict { V_OK, V_RETRY, V_FAIL };

/* Turns one attempt's outcome into a verdict, an errno and plain words. */
static enum verdict judge(struct xfer *x, const struct fetch_opts *o, CURLcode rc, const char *errbuf,
                          uint64_t max, long *status, int *err, char **msg)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	char size[32];

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, status);
	if (x->write_err) {
		*err = x->write_err;
		set_error(msg, "the downloaded file could not be saved: %s", strerror(-x->write_err));
		return V_FAIL;
	}
	if (x->over_budget || (x->cap_is_budget && rc == CURLE_FILESIZE_EXCEEDED)) {
		x->over_budget = true;
		*err = -E2BIG;
		set_error(msg, "the byte budget for these downloads ran out");
		return V_FAIL;
	}
	if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		fmt_size(max, size, sizeof(size));
		*err = -E2BIG;
		set_error(msg, "the file is larger than the %s limit", size);
		return V_FAIL;
	}
	if (x->bad_status) {
		*err = -EREMOTEIO;
		set_error(msg, "the server answered %ld instead of sending the file; ask for a direct download link",
		          *status);
		return V_FAIL;
	}
	if (x->stalled) {
		*err = -ETIMEDOUT;
		set_error(msg, "the download stopped making progress for %u s", o->stall_s);
		return V_RETRY;
	}
	if (x->bad_range) {
		*err = -EIO;
		set_error(msg, "the server sent another part of the file than the one asked for");
		return V_RETRY;
	}

	switch (rc) {
	case CURLE_OK:
		if (*status != 0 && (*status < 200 || *status > 299)) {
			*err = -EREMOTEIO;
			set_error(msg, "the server answered %ld instead of sending the file; ask for a direct download link",
			          *status);
			return V_FAIL;
		}
		return V_OK;
	case CURLE_HTTP_RETURNED_ERROR:
		*err = -EREMOTEIO;
		set_error(msg, "the server answered %ld %s: %s", *status, http_reason(*status), http_advice(*status));
		if (*status == 416 && x->total > 0)
			return V_RETRY; /* our resume point is off: start over */
		return http_transient(*status) ? V_RETRY : V_FAIL;
	case CURLE_TOO_MANY_REDIRECTS:
		*err = -ELOOP;
		set_error(msg, "the link redirects more than %u times (probably a redirect loop); ask for a direct link",
		          o->max_redirects);
		return V_FAIL;
	case CURLE_UNSUPPORTED_PROTOCOL:
		*err = -EPROTONOSUPPORT;
		set_error(msg, "the link redirected to an address that is not %s, which is not allowed",
		          o->allow_http ? "http or https" : "https");
		return V_FAIL;
	case CURLE_OPERATION_TIMEDOUT:
		*err = -ETIMEDOUT;
		if (x->budget_deadline && mono_ms() + 100 >= x->budget_deadline) {
			x->over_budget = true;
			set_error(msg, "the time budget for these downloads ran out");
			return V_FAIL;
		}
		if (strstr(detail, "too slow"))
			set_error(msg, "the download stopped making progress for %u s", o->stall_s);
		else if (strstr(detail, "onnect"))
			set_error(msg, "the server did not answer within %u s (%s)", o->connect_timeout_s, detail);
		else
			set_error(msg, "the download did not finish within the %u s time limit", o->timeout_s);
		return V_RETRY;
	case CURLE_COULDNT_RESOLVE_HOST:
		*err = -EHOSTUNREACH;
		set_error(msg, "the link's server name could not be found (%s); the link may be mistyped", detail);
		return V_RETRY;
	case CURLE_COULDNT_CONNECT:
		*err = -ECONNREFUSED;
		set_error(msg, "the server could not be reached (%s)", detail);
		return V_RETRY;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		*err = -ECONNRESET;
		set_error(msg, "the connection was cut before the whole file arrived (%s)", detail);
		return V_RETRY;
	case CURLE_SSL_CONNECT_ERROR:
		*err = -ECONNRESET;
		set_error(msg, "a secure connection to the server could not be set up (%s)", detail);
		return V_RETRY;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CERTPROBLEM:
		*err = -EPERM;
		set_error(msg, "the server's certificate could not be verified (%s); the link may be unsafe, "
		          "so it was not downloaded", detail);
		return V_FAIL;
	case CURLE_URL_MALFORMAT:
		*err = -EINVAL;
		set_error(msg, "the link is not a valid web address (%s)", detail);
		return V_FAIL;
	default:
		*err = -EIO;
		set_error(msg, "the download failed (%s)", detail);
		return V_FAIL;
	}
}

/* Test builds only (testhooks.h, INGEST_TEST_CONNECT_TO): real host names
 * answered by a test's server on 127.0.0.1, as libcurl's connect-to mapping;
 * NULL when unset and in every release build. */
static struct curl_slist *fetch_connect_to(void)
{
	const char *spec = testhook_connect_to();
	struct curl_slist *l = NULL, *t;
	for (const char *p = spec; p && *p;) {
		size_t n = strcspn(p, ",");
		_cleanup_free_ char *e = xstrndup(p, n);
		if (!(t = curl_slist_append(l, e))) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
		p += n + (p[n] == ',');
	}
	return l;
}

#define SETOPT(h, opt, val) do { if (curl_easy_setopt(h, opt, val) != CURLE_OK) goto setopt_failed; } while (0)

/* One attempt. Returns the curl code, or CURLE_FAILED_INIT if the handle
 * could not be set up exactly as required (then nothing was sent). */
static CURLcode attempt(struct xfer *x, const struct fetch_opts *o, const char *url, const char *protos,
                        uint64_t timeout_ms, char *errbuf)
{
	struct curl_slist *hdrs = NULL, *tmp, *connect_to = NULL;
	_cleanup_free_ char *range = NULL, *ifrange = NULL, *ua = NULL;
	uint64_t cap;
	CURLcode rc;

	x->h = curl_easy_init();
	if (!x->h)
		return CURLE_FAILED_INIT;
	x->started = x->too_big = x->bad_status = x->bad_range = x->stalled = false;
	x->cap_is_budget = false;
	x->stall_ms = (uint64_t)o->stall_s * 1000;
	x->stall_min_bytes = MAX((uint64_t)o->stall_bytes_per_s * o->stall_s, 1);
	x->stall_from_ms = mono_ms();
	x->stall_from_bytes = 0;
	x->write_err = 0;
	xfer_reset_headers(x);
	errbuf[0] = 0;

	SETOPT(x->h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(x->h, CURLOPT_URL, url);
	SETOPT(x->h, CURLOPT_PROTOCOLS_STR, protos);
	SETOPT(x->h, CURLOPT_REDIR_PROTOCOLS_STR, protos);
	SETOPT(x->h, CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(x->h, CURLOPT_MAXREDIRS, (long)o->max_redirects);
	cap = x->max;
	if (x->budget && x->budget - x->received < cap) {
		cap = x->budget - x->received;     /* > 0: fetch_url() does not start an attempt without budget */
		x->cap_is_budget = true;
	}
	SETOPT(x->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MIN(cap, (uint64_t)INT64_MAX));
	SETOPT(x->h, CURLOPT_TIMEOUT_MS, (long)MIN(timeout_ms, (uint64_t)LONG_MAX));
	SETOPT(x->h, CURLOPT_CONNECTTIMEOUT, (long)o->connect_timeout_s);
	if (o->stall_s > 0) {
		SETOPT(x->h, CURLOPT_LOW_SPEED_LIMIT, (long)MAX(o->stall_bytes_per_s, 1UL));
		SETOPT(x->h, CURLOPT_LOW_SPEED_TIME, (long)o->stall_s);
		SETOPT(x->h, CURLOPT_XFERINFOFUNCTION, on_progress);
		SETOPT(x->h, CURLOPT_XFERINFODATA, x);
		SETOPT(x->h, CURLOPT_NOPROGRESS, 0L);
	}
	SETOPT(x->h, CURLOPT_FAILONERROR, 1L);
	SETOPT(x->h, CURLOPT_NOSIGNAL, 1L);
	/* Only where the link points: no environment proxy, no netrc, no cookies. */
	SETOPT(x->h, CURLOPT_PROXY, o->proxy ? o->proxy : "");
	SETOPT(x->h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SETOPT(x->h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(x->h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(x->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file)
		SETOPT(x->h, CURLOPT_CAINFO, o->ca_file);
	ua = o->user_agent ? xstrdup(o->user_agent) : xstrdup("ingestd/" INGEST_VERSION);
	SETOPT(x->h, CURLOPT_USERAGENT, ua);
	SETOPT(x->h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(x->h, CURLOPT_WRITEDATA, x);
	SETOPT(x->h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(x->h, CURLOPT_HEADERDATA, x);
	if (x->total > 0) {
		range = xasprintf("%" PRIu64 "-", x->total);
		SETOPT(x->h, CURLOPT_RANGE, range);
		if (x->validator) {
			ifrange = xasprintf("If-Range: %s", x->validator);
			if (!(hdrs = curl_slist_append(hdrs, ifrange)))
				goto setopt_failed;
		}
	}
	if (o->post_json) {
		/* A service's API (fetch-share.c): a small JSON request, its answer the body. */
		SETOPT(x->h, CURLOPT_POSTFIELDS, o->post_json);
		if (!(tmp = curl_slist_append(hdrs, "Content-Type: application/json")))
			goto setopt_failed;
		hdrs = tmp;
		if (!(tmp = curl_slist_append(hdrs, "Accept: application/json")))
			goto setopt_failed;
		hdrs = tmp;
	}
	if (hdrs)
		SETOPT(x->h, CURLOPT_HTTPHEADER, hdrs);
	if ((connect_to = fetch_connect_to()))
		SETOPT(x->h, CURLOPT_CONNECT_TO, connect_to);
	rc = curl_easy_perform(x->h);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(connect_to);
	return rc;

setopt_failed:
	curl_slist_free_all(hdrs);
	curl_slist_free_all(connect_to);
	snprintf(errbuf, CURL_ERROR_SIZE, "libcurl could not be set up as required");
	return CURLE_FAILED_INIT;
}

/* Scheme of URL (lowercased, at most 32 bytes) for the refusal message. */
static void url_scheme(const char *url, char *out, size_t n)
{
	size_t i = 0;
	while (url[i] && url[i] != ':' && i + 1 < n && i < 32) {
		char c = url[i];
		out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		if (!((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= '0' && out[i] <= '9') ||
		      out[i] == '+' || out[i] == '-' || out[i] == '.')) {
			i = 0;
			break;
		}
		i++;
	}
	if (url[i] != ':')
		i = 0;
	out[i] = 0;
}

int fetch_url(struct ing_ctx *ctx, const struct fetch_opts *o, const char *url, int out_fd,
              struct fetch_result *res)
{
	struct fetch_opts defaults;
	struct xfer x = { .fd = out_fd, .range_start = -1, .retry_after_s = -1 };
	char errbuf[CURL_ERROR_SIZE], scheme[40], size[32];
	_cleanup_free_ char *msg = NULL;
	const char *protos;
	uint64_t start, deadline;
	long status = 0;
	int err = -EIO;
	enum verdict v = V_FAIL;

	if (!res)
		return -EINVAL;
	*res = (struct fetch_result){ 0 };
	if (!o) {
		fetch_opts_default(&defaults);
		o = &defaults;
	}
	if (!url || out_fd < 0) {
		res->error = xstrdup("no link or no file to write to was given");
		return -EINVAL;
	}
	if (strlen(url) > FETCH_MAX_URL_BYTES) {
		res->error = xasprintf("the link is longer than %d characters, more than ingestd accepts",
		                       FETCH_MAX_URL_BYTES);
		return -EINVAL;
	}
	url_scheme(url, scheme, sizeof(scheme));
	if (!scheme[0]) {
		res->error = xstrdup("the link is not a web address (it does not start with https://)");
		return -EINVAL;
	}
	if (!(strcmp(scheme, "https") == 0 || (o->allow_http && strcmp(scheme, "http") == 0))) {
		res->error = xasprintf("the link's address uses %s://, which is not allowed; only %s links are fetched",
		                       scheme, o->allow_http ? "http and https" : "https");
		return -EPROTONOSUPPORT;
	}
	protos = o->allow_http ? "http,https" : "https";

	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		res->error = xasprintf("the download library could not start (%s)", curl_easy_strerror(curl_init_rc));
		return -EIO;
	}

	x.max = o->max_bytes;
	if (ctx && ctx->limits.max_file_bytes)
		x.max = MIN(x.max, ctx->limits.max_file_bytes);
	x.base = lseek(out_fd, 0, SEEK_CUR);
	if (x.base >= 0) {
		struct stat st;
		if (fstat(out_fd, &st) < 0 || !S_ISREG(st.st_mode))
			x.base = -1;
	}
	x.sha = sha256_new();
	x.budget = o->budget_bytes;

	start = mono_ms();
	deadline = start + (uint64_t)o->timeout_s * 1000;
	if (o->deadline_ms && o->deadline_ms < deadline)
		deadline = x.budget_deadline = o->deadline_ms;
	for (unsigned n = 0;; n++) {
		uint64_t now = mono_ms(), delay;
		CURLcode rc;

		if (now >= deadline || (x.budget && x.received >= x.budget)) {
			x.over_budget = now < deadline || x.budget_deadline;
			if (x.over_budget) {
				free(msg);
				msg = xstrdup(now < deadline ? "the byte budget for these downloads ran out"
				                             : "the time budget for these downloads ran out");
			} else if (!msg)
				msg = xasprintf("the download did not finish within the %u s time limit", o->timeout_s);
			err = now < deadline ? -E2BIG : -ETIMEDOUT;
			v = V_FAIL;
			break;
		}
		res->attempts = n + 1;
		rc = attempt(&x, o, url, protos, deadline - now, errbuf);
		if (rc == CURLE_FAILED_INIT && !x.h) {
			msg = xstrdup("the download library could not start");
			err = -ENOMEM;
			break;
		}
		v = judge(&x, o, rc, errbuf, x.max, &status, &err, &msg);
		if (status)
			res->http_status = status;
		if (v == V_OK)
			break;
		if (x.bad_range || (status == 416 && x.total > 0)) {
			int r = xfer_restart(&x);
			if (r < 0) {
				v = V_FAIL;
				err = r;
			}
		}
		if (v == V_RETRY && x.total > 0 && x.base < 0)
			v = V_FAIL; /* a partial body we cannot take back */
		if (v == V_FAIL || n >= o->max_retries)
			break;

		delay = (uint64_t)o->retry_base_ms << MIN(n, 20u);
		if (x.retry_after_s >= 0)
			delay = MAX(delay, (uint64_t)x.retry_after_s * 1000);
		delay = MIN(delay, (uint64_t)o->retry_max_ms);
		if (mono_ms() + delay >= deadline) {
			/* No time left to try again: with a caller's budget that is what stopped it. */
			x.over_budget = x.budget_deadline != 0;
			v = V_FAIL;
			break;
		}
		log_info(ctx, "download attempt %u failed (%s); trying again in %" PRIu64 " ms%s",
		         n + 1, msg, delay, x.total > 0 ? ", resuming" : "");
		curl_easy_cleanup(x.h);
		x.h = NULL;
		sleep_ms(delay);
	}

	res->received = x.received;
	if (v == V_OK) {
		char *eff = NULL;
		curl_easy_getinfo(x.h, CURLINFO_EFFECTIVE_URL, &eff);
		sha256_final(x.sha, res->sha256);
		res->bytes = x.total;
		res->effective_url = xstrdup(eff ? eff : url);
		res->file_name = fetch_file_name(x.body_cd, res->effective_url);
		res->content_type = x.body_ctype ? utf8_sanitize(x.body_ctype, strlen(x.body_ctype)) : NULL;
		curl_easy_cleanup(x.h);
		xfer_free(&x);
		fmt_size(res->bytes, size, sizeof(size));
		log_debug(ctx, "downloaded %s in %u attempt(s)", size, res->attempts);
		return 0;
	}

	res->over_budget = x.over_budget;
	if (res->attempts > 1)
		res->error = xasprintf("%s (gave up after %u attempts)", msg ? msg : "the download failed",
		                       res->attempts);
	else
		res->error = msg ? steal_ptr(msg) : xstrdup("the download failed");
	if (x.h)
		curl_easy_cleanup(x.h);
	xfer_free(&x);
	return err < 0 ? err : -EIO;
}
