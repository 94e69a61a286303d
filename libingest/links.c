/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Link files (*.url, *.webloc, links.txt): their URLs are collected as the
 * walk meets them and fetched once it is done, each download then walked
 * like any other input (links.h; the downloader itself is fetch.c).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "case.h"
#include "evaluate.h"
#include "fetch.h"
#include "identify.h"
#include "links.h"

struct pending_link {
	char *url;
	char *from;        /* the link file's path in the drop */
};

/* Link files are read now; their URLs are fetched once the walk is done. */
void links_collect(struct walk *w, struct ing_file *f, const uint8_t *buf, size_t n)
{
	char **urls = NULL, *err = NULL;
	size_t nu = 0;
	if (n < f->size) {
		file_set_problem(f, PROB_LIMIT, "the link file is larger than %zu bytes; it was not read", n);
		return;
	}
	int r = linkfile_parse(buf, n, path_basename(f->path), &urls, &nu, &err);
	if (r < 0) {
		file_set_problem(f, r == -EOPNOTSUPP ? PROB_UNSUPPORTED : PROB_CORRUPT, "%s",
		                 err ? err : "the link file could not be read");
		free(err);
		return;
	}
	free(err);
	for (size_t i = 0; i < nu; i++) {
		struct pending_link *l = xcalloc(1, sizeof(*l));
		l->url = urls[i];
		l->from = xstrdup(f->path);
		ptrvec_push(&w->links, l);
	}
	free(urls);
	if (!w->scan->fetch_links && nu) {
		free(f->evidence);
		f->evidence = xasprintf("download link file \"%s\" (%zu link%s; a scan does not fetch them, "
		                        "ingest package and the daemon do)", path_basename(f->path), nu, nu == 1 ? "" : "s");
	}
}

static void pending_link_free(void *p)
{
	struct pending_link *l = p;
	free(l->url);
	free(l->from);
	free(l);
}

/* The URL without user:password@, query or fragment: what a report may show. */
static char *url_for_display(const char *url)
{
	const char *scheme_end = strstr(url, "://");
	const char *host = scheme_end ? scheme_end + 3 : url;
	const char *at = strchr(host, '@'), *slash = strchr(host, '/');
	if (at && (!slash || at < slash))
		host = at + 1;
	size_t n = strcspn(host, "?#");
	return xasprintf("%.*s%.*s", scheme_end ? (int)(scheme_end + 3 - url) : 0, url, (int)n, host);
}

static void link_problem(struct ing_scan *scan, const struct pending_link *l, const char *shown,
                         enum ing_problem p, const char *fmt, ...) ING_PRINTF(5, 6);

static void link_problem(struct ing_scan *scan, const struct pending_link *l, const char *shown,
                         enum ing_problem p, const char *fmt, ...)
{
	_cleanup_free_ char *rel = xasprintf("%s!/%s", l->from, shown), *why = NULL;
	struct ing_file *f = case_add_file(scan, rel, 0);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		abort();
	va_end(ap);
	f->kind = KIND_LINK;
	f->evidence = xasprintf("download link from %s", l->from);
	file_set_problem(f, p, "%s", why);
}

/* A drop's links share one budget of time and bytes (limits.max_download_*):
 * what is fetched before it runs out stays; each link it stops or leaves out
 * is a `limit` problem saying which budget and what to do. */
struct link_budget {
	uint64_t deadline_ms, bytes_left;
	uint32_t seconds;
	uint64_t bytes;
	bool out_of_time, out_of_bytes;
};

static const char *budget_words(const struct link_budget *b, char *buf, size_t n)
{
	if (b->out_of_bytes)
		snprintf(buf, n, "the drop's downloads reached their budget of %" PRIu64 " bytes in all "
		         "(limits.max_download_bytes)", b->bytes);
	else
		snprintf(buf, n, "the drop's downloads used up their budget of %" PRIu32 " s in all "
		         "(limits.max_download_seconds)", b->seconds);
	return buf;
}

#define BUDGET_ADVICE "any links before it were downloaded and kept; ask for a smaller set of links or the files " \
	"themselves, or raise the limit and drop the links again"

/* The share link shapes of cloud services and the image-sharing portals
 * (RULES/links/services.yaml). Without them every link is fetched as it is,
 * and a web page is still refused: the table only turns share links into
 * downloads. */
static struct share_table *links_share_table(struct ing_ctx *ctx, const struct ing_scan_opts *opts)
{
	const char *dir = opts && opts->rules_dir ? opts->rules_dir : evaluate_default_rules_dir();
	_cleanup_free_ char *path = xasprintf("%s/links/services.yaml", dir), *err = NULL;
	struct share_table *t = NULL;
	if (share_table_load(path, &t, &err) < 0) {
		log_warn(ctx, "the share link shapes could not be loaded, links are fetched as they are: %s",
		         err ? err : path);
		return NULL;
	}
	return t;
}

/* Fetch every link found, each into an unnamed file of its own (in staging
 * in package mode, else in TMPDIR), then scan it like any other input. */
void links_fetch(struct walk *w, const struct ing_scan_opts *opts)
{
	struct ing_scan *scan = w->scan;
	const struct ing_limits *lim = &scan->ctx->limits;
	struct fetch_opts fo;
	struct ident_where where = { 0 };
	struct link_budget b = {
		.seconds = lim->max_download_seconds,
		.bytes = lim->max_download_bytes,
		.deadline_ms = mono_ms() + (uint64_t)lim->max_download_seconds * 1000,
		.bytes_left = lim->max_download_bytes,
	};
	char words[256];
	_cleanup_(share_table_freep) struct share_table *share = NULL;

	if (w->links.n)
		share = links_share_table(scan->ctx, opts);
	fetch_opts_default(&fo);
	fo.allow_http = opts && opts->allow_http;
	fo.ca_file = opts ? opts->ca_file : NULL;
	fo.deadline_ms = b.deadline_ms;
	for (size_t i = 0; i < w->links.n; i++) {
		struct pending_link *l = w->links.v[i];
		_cleanup_free_ char *shown = url_for_display(l->url);
		struct fetch_result res = { 0 };
		int fd;
		if (!b.out_of_time && !b.out_of_bytes) {
			b.out_of_time = mono_ms() >= b.deadline_ms;
			b.out_of_bytes = b.bytes_left == 0;
		}
		if (b.out_of_time || b.out_of_bytes) {
			link_problem(scan, l, shown, PROB_LIMIT, "%s was not downloaded: %s; " BUDGET_ADVICE,
			             shown, budget_words(&b, words, sizeof(words)));
			continue;
		}
		if (scan->staging_fd >= 0) {
			fd = openat(scan->staging_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
		} else {
			const char *tmp = getenv("TMPDIR");
			fd = open(tmp && tmp[0] ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		}
		if (fd < 0) {
			link_problem(scan, l, shown, PROB_DOWNLOAD, "%s could not be downloaded: %s", shown, strerror(errno));
			continue;
		}
		log_info(scan->ctx, "case %s: downloading link %zu of %zu", scan->case_id, i + 1, w->links.n);
		fo.budget_bytes = b.bytes_left;
		int r = share_fetch(scan->ctx, share, &fo, l->url, fd, &res);
		b.bytes_left -= MIN(res.received, b.bytes_left);
		if (r < 0 && res.over_budget) {
			if (r == -E2BIG)
				b.out_of_bytes = true;
			else
				b.out_of_time = true;
			log_warn(scan->ctx, "case %s: link %zu of %zu stopped: %s", scan->case_id, i + 1, w->links.n,
			            budget_words(&b, words, sizeof(words)));
			/* The last attempt's own failure, when it is not the budget itself (a retry that no longer fits). */
			bool own = res.error && !strstr(res.error, "budget for these downloads");
			link_problem(scan, l, shown, PROB_LIMIT, "%s was not downloaded completely: %s%s%s%s; " BUDGET_ADVICE,
			             shown, budget_words(&b, words, sizeof(words)), own ? " (before that: " : "",
			             own ? res.error : "", own ? ")" : "");
		} else if (r < 0) {
			link_problem(scan, l, shown, PROB_DOWNLOAD, "%s could not be downloaded: %s", shown,
			             res.error ? res.error : ing_strerror(r));
		} else if (lseek(fd, 0, SEEK_SET) == 0) {
			_cleanup_free_ char *rel = xasprintf("%s!/%s", l->from, res.file_name);
			struct byte_range rg;
			struct byte_src src;
			walk_fd_source(&fd, &rg, &src);
			w->entry(w, rel, res.bytes, &src, fd, &where);
		}
		fetch_result_clear(&res);
		close(fd);
	}
}

void links_free(struct walk *w)
{
	ptrvec_free(&w->links, pending_link_free);
}
