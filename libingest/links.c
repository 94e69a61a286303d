/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Link files (*.url, *.webloc, links.txt): their URLs are collected as the
 * walk meets them and fetched once it is done, each download then walked
 * like any other input (links.h; the downloader itself is fetch.c).
 */
#include <fcntl.h>
#include <stdio.h>

#include "case.h"
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

static void link_problem(struct ing_scan *scan, const struct pending_link *l, const char *shown, const char *why)
{
	_cleanup_free_ char *rel = xasprintf("%s!/%s", l->from, shown);
	struct ing_file *f = case_add_file(scan, rel, 0);
	f->kind = KIND_LINK;
	f->evidence = xasprintf("download link from %s", l->from);
	file_set_problem(f, PROB_DOWNLOAD, "%s could not be downloaded: %s", shown, why);
}

/* Fetch every link found, each into an unnamed file of its own (in staging
 * in package mode, else in TMPDIR), then scan it like any other input. */
void links_fetch(struct walk *w, const struct ing_scan_opts *opts)
{
	struct ing_scan *scan = w->scan;
	struct fetch_opts fo;
	struct ident_where where = { 0 };

	fetch_opts_default(&fo);
	fo.allow_http = opts && opts->allow_http;
	fo.ca_file = opts ? opts->ca_file : NULL;
	for (size_t i = 0; i < w->links.n; i++) {
		struct pending_link *l = w->links.v[i];
		_cleanup_free_ char *shown = url_for_display(l->url);
		struct fetch_result res = { 0 };
		int fd;
		if (scan->staging_fd >= 0) {
			fd = openat(scan->staging_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0640);
		} else {
			const char *tmp = getenv("TMPDIR");
			fd = open(tmp && tmp[0] ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		}
		if (fd < 0) {
			link_problem(scan, l, shown, strerror(errno));
			continue;
		}
		log_info(scan->ctx, "case %s: downloading link %zu of %zu", scan->case_id, i + 1, w->links.n);
		int r = fetch_url(scan->ctx, &fo, l->url, fd, &res);
		if (r < 0) {
			link_problem(scan, l, shown, res.error ? res.error : ing_strerror(r));
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
