/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The scan stage, the front of the library (ing_scan_path): walk the drop
 * (walk.c, input.c, expand.c; links fetched after the walk, links.c), wait
 * for the documents (documents.c) and the sink (sink.c), build the
 * inventory (inventory.c), evaluate the rules (evaluate.c). Nothing is
 * written but the staging copy in package mode.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "libingest-internal.h"
#include "case.h"
#include "documents.h"
#include "evaluate.h"
#include "guard.h"
#include "identify.h"
#include "input.h"
#include "links.h"
#include "sink.h"
#include "walk.h"

static void sink_pause_cb(void *ud, bool on)
{
	sink_pause(ud, on);
}

int ing_scan_path(struct ing_ctx *ctx, const char *path, const struct ing_scan_opts *opts, struct ing_scan **out)
{
	struct walk w = { 0 };
	struct ing_scan *scan;
	struct ident_where where = { 0 };
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
		int e = S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return e;
	}

	scan = xcalloc(1, sizeof(*scan));
	scan->ctx = ctx;
	/* the day treatments are dated against: the caller's, else today (UTC) */
	int yy, mo, dd;
	if (opts && opts->today && sscanf(opts->today, "%4d-%2d-%2d", &yy, &mo, &dd) == 3 && mo >= 1 && mo <= 12 &&
	    dd >= 1 && dd <= 31) {
		snprintf(w.today, sizeof(w.today), "%.10s", opts->today);
	} else {
		time_t t0 = time(NULL);
		struct tm tm0;
		gmtime_r(&t0, &tm0);
		strftime(w.today, sizeof(w.today), "%Y-%m-%d", &tm0);
	}
	scan->staging_fd = -1;
	scan->fetch_links = opts && opts->fetch_links;
	where.case_store = opts && opts->case_store;
	if (opts && opts->progress) {
		scan->progress = opts->progress;
		scan->progress_ud = opts->progress_userdata;
	}
	if (opts && opts->staging_dir) {
		scan->staging_fd = open(opts->staging_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (scan->staging_fd < 0) {
			int e = -errno;
			free(scan);
			close(fd);
			return e;
		}
	}
	scan->root = xstrdup(path);
	scan->case_id = opts && opts->case_id ? xstrdup(opts->case_id) : case_id_from_path(path, true);
	w.scan = scan;
	w.entry = scan_entry;
	w.chunk = xmalloc(WALK_CHUNK_BYTES);
	w.sink = sink_new((size_t)ctx->limits.hash_pending_bytes);
	walk_thread_add(&w, sink_pause_cb, w.sink);
	guard_init(&w, opts);
	walk_budget_init(&w, fd, &st);

	evaluate_load_rules(scan, opts);
	log_info(ctx, "case %s: scanning", scan->case_id);
	if (S_ISDIR(st.st_mode)) {
		walk_dir(&w, fd, "", 0, &where);
	} else
	{
		struct byte_range rg;
		struct byte_src src;
		walk_fd_source(&fd, &rg, &src);
		w.drop_is_file = true;
		scan_entry(&w, path_basename(path), (uint64_t)st.st_size, &src, fd, &where);
	}
	if (w.links.n && scan->fetch_links)
		links_fetch(&w, opts);
	documents_finish_all(&w);
	links_free(&w);
	/* every file hashed and every staging copy written and closed */
	sink_drain(w.sink);
	if (!w.error)
		w.error = sink_error(w.sink);
	const struct sink_failure *fails;
	size_t nf = sink_failures(w.sink, &fails);
	for (size_t i = 0; i < nf; i++)
		input_read_problem(fails[i].f, fails[i].err, fails[i].got);
	sink_free(w.sink);
	guard_fini(&w);
	close(fd);
	free(w.chunk);
	if (scan->staging_fd >= 0) {
		if (w.error == 0 && fsync(scan->staging_fd) < 0)
			w.error = -errno;
		close(scan->staging_fd);
		scan->staging_fd = -1;
	}
	if (w.error) {
		log_err(ctx, "case %s: writing the staging copy failed: %s", scan->case_id, ing_strerror(w.error));
		ing_scan_free(scan);
		return w.error;
	}

	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(scan->generated_at, sizeof(scan->generated_at), "%Y-%m-%dT%H:%M:%SZ", &tm);

	inventory_build(scan);
	evaluate_run(scan, opts);
	log_info(ctx, "case %s: %zu files scanned", scan->case_id, scan->files.n);
	*out = scan;
	return 0;
}

struct ing_scan *ing_scan_free(struct ing_scan *scan)
{
	if (!scan)
		return NULL;
	ing_scan_set_history(scan, NULL, 0, NULL);
	evaluation_free(scan);
	inventory_free(&scan->inv);
	ptrvec_free(&scan->files, (void (*)(void *))file_free);
	free(scan->case_id);
	free(scan->root);
	free(scan);
	return NULL;
}
