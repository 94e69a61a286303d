/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Link files and downloads (SPEC §3 link files, §9 downloads).
 *
 * Two halves:
 *  - linkfile_*: pure parsers for *.url, *.webloc (XML and simple binary
 *    plists) and links.txt. No I/O, no context: fuzzable as they are.
 *  - fetch_url(): one URL to one file descriptor with libcurl, https only
 *    unless allowed, size/time/redirect bounded, retried with backoff on
 *    transient failures, resumed with Range after a dropped connection, the
 *    body hashed (SHA-256) while it is written.
 *
 * Typical use for a link file found in a drop:
 *
 *	if (linkfile_kind(name) != LINKFILE_NONE) {
 *		r = linkfile_parse(buf, len, name, &urls, &n, &err);
 *		// r < 0: record err as a `download` problem on the link file
 *		for (i = 0; i < n; i++) {
 *			fd = openat(staging, "dl-N", O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0640);
 *			r = fetch_url(ctx, &opts, urls[i], fd, &res);
 *			// r < 0: record res.error as a `download` problem
 *			// r == 0: rename to res.file_name, res.sha256 is the hash
 *			fetch_result_clear(&res);
 *		}
 *		linkfile_urls_free(urls, n);
 *	}
 */
#ifndef INGEST_FETCH_H
#define INGEST_FETCH_H

#include "internal.h"


enum linkfile_kind {
	LINKFILE_NONE = 0,
	LINKFILE_URL,           /* *.url: Windows Internet Shortcut */
	LINKFILE_WEBLOC,        /* *.webloc: macOS, XML or binary plist */
	LINKFILE_LINKS_TXT,     /* links.txt: one URL a line */
};

/* Which link file NAME (a path or base name) is, by its name alone. */
ING_HIDDEN enum linkfile_kind linkfile_kind(const char *name);

/*
 * Parses a link file's bytes. NAME decides the format (linkfile_kind()).
 * On success *urls is a malloc'd array of *n (>= 1) malloc'd, NUL-terminated
 * URLs: "scheme://..." with no spaces or control characters, bytes >= 0x80
 * after the host percent-encoded. Schemes are not judged here; fetch_url()
 * refuses what is not allowed, with a message naming the scheme.
 * On failure returns a negative errno (-EINVAL not a link file by name,
 * -E2BIG too big or too many URLs, -EBADMSG malformed, -ENOENT no URL in it,
 * -EOPNOTSUPP a binary plist too complex to read) and, when ERROR is not
 * NULL, *error is a malloc'd plain-words reason.
 */
ING_HIDDEN int linkfile_parse(const void *buf, size_t len, const char *name,
                              char ***urls, size_t *n, char **error);
ING_HIDDEN void linkfile_urls_free(char **urls, size_t n);

struct fetch_opts {
	bool allow_http;                /* also fetch http:// (default: https only) */
	uint64_t max_bytes;             /* body size (> 0); also capped by limits.max_file_bytes */
	unsigned timeout_s;             /* (> 0) whole fetch, all attempts and waits included */
	unsigned connect_timeout_s;     /* one connection attempt */
	unsigned stall_s;               /* fail when below stall_bytes_per_s for this long */
	unsigned long stall_bytes_per_s;
	unsigned max_redirects;
	unsigned max_retries;           /* attempts after the first, on transient failures */
	unsigned retry_base_ms;         /* first backoff; doubles each retry */
	unsigned retry_max_ms;          /* backoff ceiling (also caps Retry-After) */
	const char *ca_file;            /* PEM CA bundle replacing the system's; NULL: system */
	const char *proxy;              /* NULL: no proxy, environment ignored */
	const char *user_agent;         /* NULL: "ingestd" */
	/* A caller's budget over several fetches (a drop's links): every wait,
	 * connection and transfer ends by deadline_ms, and the body bytes written
	 * over all attempts (restarts included) stay within budget_bytes. When one
	 * stops the fetch, res->over_budget is set. 0: no such budget. */
	uint64_t deadline_ms;           /* on mono_ms()'s clock (util/clock.h) */
	uint64_t budget_bytes;
	/* A service's API (fetch-share.c): POST this JSON text instead of a GET. */
	const char *post_json;
};

ING_HIDDEN void fetch_opts_default(struct fetch_opts *o);

struct fetch_result {
	long http_status;               /* last HTTP status seen, 0 if none */
	unsigned attempts;              /* 1 + retries made */
	/* Set on success only: */
	uint64_t bytes;
	uint8_t sha256[32];
	char *file_name;                /* sanitised: one path component, never empty */
	char *effective_url;            /* after redirects */
	char *content_type;             /* NULL if the server sent none */
	/* Set on failure only: plain words for the coordinator (a `download` problem). */
	char *error;
	bool over_budget;               /* ... failed because deadline_ms or budget_bytes was reached */
	/* Always set: body bytes written over all attempts, what budget_bytes counts. */
	uint64_t received;
};

/*
 * Downloads URL into OUT_FD (written from its current offset; it should be a
 * regular file opened O_RDWR so a restarted transfer can truncate it; after a
 * failure it may hold a partial body the caller discards).
 * Returns 0 or a negative errno: -EPROTONOSUPPORT scheme refused, -EINVAL
 * not a valid URL, -E2BIG over the size limit, -ETIMEDOUT stalled or out of
 * time, -EREMOTEIO the server answered an HTTP error, -ELOOP too many
 * redirects, -ECONNREFUSED/-ECONNRESET/-EHOSTUNREACH network, -EPERM TLS
 * verification failed, -EIO anything else (e.g. a 206 for another range);
 * or the errno of a failed write.
 * RES is always reset first; res->error is set on every failure.
 */
ING_HIDDEN int fetch_url(struct ing_ctx *ctx, const struct fetch_opts *o, const char *url,
                         int out_fd, struct fetch_result *res);
ING_HIDDEN void fetch_result_clear(struct fetch_result *res);
/* Milliseconds on the monotonic clock fetch_opts.deadline_ms is measured on. */

/* Exposed for tests: the safe file name for a Content-Disposition value and
 * an effective URL (either may be NULL). Never NULL, never empty. */
ING_HIDDEN char *fetch_file_name(const char *content_disposition, const char *url);

/* ---- web pages (fetch-html.c) ---- */

/* True when a download is a web page: by CONTENT_TYPE (may be NULL), or by
 * its first N bytes at B starting like an HTML document. */
ING_HIDDEN bool fetch_is_html(const char *content_type, const uint8_t *b, size_t n);
/* The page's <title> as plain UTF-8 text (entities decoded, white space
 * folded, at most FETCH_HTML_TITLE_BYTES), or NULL. */
ING_HIDDEN char *fetch_html_title(const uint8_t *b, size_t n);
/* The https address the form with id FORM_ID submits to (GET, its hidden
 * fields as the query), made absolute against BASE_URL; NULL when there is
 * none, or it is not https. */
ING_HIDDEN char *fetch_html_form_url(const uint8_t *b, size_t n, const char *form_id, const char *base_url);

/* ---- share links of cloud services (fetch-share.c, rules/links/services.yaml) ---- */

struct share_table;

/* Loads the data file PATH (at most SHARE_DATA_MAX_BYTES). 0, or a negative
 * errno and *error: "FILE:LINE:COL: what is wrong" lines (malloc'd). */
ING_HIDDEN int share_table_load(const char *path, struct share_table **out, char **error);
ING_HIDDEN struct share_table *share_table_free(struct share_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct share_table *, share_table_free)

enum share_action { SHARE_DIRECT, SHARE_FOLLOW, SHARE_API, SHARE_PROBLEM };

/* What the table makes of one link (pure; share_plan_clear() frees). */
struct share_plan {
	const char *service;            /* its name, e.g. "Google Drive" */
	const char *form;               /* the interstitial form's id, or NULL */
	enum share_action action;
	char *url;                      /* DIRECT: the download; API: where to POST */
	char *json;                     /* API: the body */
	const char *take;               /* API: dotted path of the answer's address */
	const char *problem;            /* PROBLEM: why, what to ask for */
};
/* 0 and *P when a shape of T matches URL; -ENOENT when none does. */
ING_HIDDEN int share_plan(const struct share_table *t, const char *url, struct share_plan *p);
ING_HIDDEN void share_plan_clear(struct share_plan *p);
/* The image-sharing portal URL belongs to, or NULL. */
ING_HIDDEN const char *share_portal(const struct share_table *t, const char *url);

/*
 * fetch_url() for a link as a patient sends it: a share link of a service of
 * T (may be NULL) is turned into its direct download (a short link followed,
 * the service's API asked, an interstitial form submitted where the service's
 * own page does so without a person); whatever the link, an answer that is a
 * web page is a failure (-EMEDIUMTYPE) whose res->error names the page's
 * title, or the portal. Returns as fetch_url() does; res->received counts
 * every request's body.
 */
ING_HIDDEN int share_fetch(struct ing_ctx *ctx, const struct share_table *t, const struct fetch_opts *o,
                           const char *url, int out_fd, struct fetch_result *res);

#endif
