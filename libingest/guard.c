/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The guard: what the scan parses now, in shared memory (guard.h).
 *
 * The test hook INGEST_TEST_PARSER_FAULT (testhooks.h) is read here once per
 * scan; with it, an input that carries a marker crashes, spins or runs out
 * of memory inside the guarded region (input.c calls testhook_parser_fault()
 * just before a DICOM header is read or an archive expanded), so tests can
 * prove that such a fault costs that one file.
 */
#include <sys/mman.h>

#include "case.h"
#include "guard.h"
#include "testhooks.h"

int ing_guard_new(struct ing_guard **out)
{
	void *m = mmap(NULL, sizeof(struct ing_guard), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	*out = m;     /* zero-filled: progress 0, phase none */
	return 0;
}

void ing_guard_free(struct ing_guard *g)
{
	if (g)
		munmap(g, sizeof(*g));
}

void ing_guard_read(const struct ing_guard *g, uint64_t *progress, uint32_t *phase)
{
	*phase = __atomic_load_n(&g->phase, __ATOMIC_ACQUIRE);
	*progress = __atomic_load_n(&g->progress, __ATOMIC_ACQUIRE);
}

const char *ing_guard_phase_name(uint32_t phase)
{
	switch (phase) {
	case ING_GUARD_DICOM: return "DICOM header";
	case ING_GUARD_ARCHIVE: return "archive";
	default: return "none";
	}
}

/* The path is written while no phase is shown, so a watcher that sees a
 * phase after the process died sees the path that goes with it. */
static void guard_set(struct ing_guard *g, uint32_t phase, const char *path)
{
	__atomic_store_n(&g->phase, (uint32_t)ING_GUARD_NONE, __ATOMIC_RELEASE);
	if (path) {
		size_t n = strnlen(path, sizeof(g->path));
		bool cut = n == sizeof(g->path);
		if (cut)
			n = sizeof(g->path) - 1;
		memcpy(g->path, path, n);
		g->path[n] = 0;
		g->path_truncated = cut;
	} else {
		g->path[0] = 0;
		g->path_truncated = 0;
	}
	__atomic_store_n(&g->phase, phase, __ATOMIC_RELEASE);
	__atomic_add_fetch(&g->progress, 1, __ATOMIC_RELEASE);
}

/* Every input file moves the counter (the scan's per-file progress call). */
static void guard_progress(void *ud, uint64_t files, uint64_t bytes)
{
	struct walk *w = ud;
	__atomic_add_fetch(&w->guard->progress, 1, __ATOMIC_RELEASE);
	if (w->user_progress)
		w->user_progress(w->user_progress_ud, files, bytes);
}

void guard_init(struct walk *w, const struct ing_scan_opts *opts)
{
	w->fault_hook = testhook_parser_faults();
	if (!opts)
		return;
	w->skips = opts->skips;
	w->n_skips = opts->skips ? opts->n_skips : 0;
	if (!opts->guard)
		return;
	w->guard = opts->guard;
	/* Archives nest at most max_depth deep (expand.c refuses deeper ones
	 * after they were pushed), then one DICOM header: a bounded stack. */
	w->gcap = w->scan->ctx->limits.max_depth + 3;
	w->gstack = xcalloc(w->gcap, sizeof(*w->gstack));
	w->user_progress = w->scan->progress;
	w->user_progress_ud = w->scan->progress_ud;
	w->scan->progress = guard_progress;
	w->scan->progress_ud = w;
	guard_set(w->guard, ING_GUARD_NONE, NULL);
}

void guard_fini(struct walk *w)
{
	if (!w->guard)
		return;
	guard_set(w->guard, ING_GUARD_NONE, NULL);
	w->scan->progress = w->user_progress;
	w->scan->progress_ud = w->user_progress_ud;
	free(w->gstack);
	w->gstack = NULL;
	w->gdepth = w->gcap = 0;
	w->guard = NULL;
}

void guard_push(struct walk *w, enum ing_guard_phase phase, const char *path)
{
	if (!w->guard)
		return;
	if (w->gdepth < w->gcap)
		w->gstack[w->gdepth] = (struct guard_frame){ (uint32_t)phase, path };
	w->gdepth++;
	guard_set(w->guard, (uint32_t)phase, path);
}

void guard_pop(struct walk *w)
{
	if (!w->guard || w->gdepth == 0)
		return;
	w->gdepth--;
	if (w->gdepth == 0)
		guard_set(w->guard, ING_GUARD_NONE, NULL);
	else if (w->gdepth <= w->gcap)
		guard_set(w->guard, w->gstack[w->gdepth - 1].phase, w->gstack[w->gdepth - 1].path);
	/* deeper than the stack (cannot happen with expand.c's depth limit): the
	 * innermost frame kept showing stays shown, never a wrong path */
}

const char *guard_skip_reason(const struct walk *w, const char *path)
{
	for (size_t i = 0; i < w->n_skips; i++) {
		const struct ing_scan_skip *s = &w->skips[i];
		/* a path cut to the guard's buffer matches on what was kept */
		if (s->path && strncmp(s->path, path, ING_GUARD_PATH_BYTES - 1) == 0)
			return s->reason && s->reason[0] ? s->reason : "failed";
	}
	return NULL;
}
