/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Isolation of the parsers that run in the scanning process (DICOM headers,
 * archive expansion): the scan shows in a shared record (struct ing_guard)
 * what it parses now, so that the daemon can tell a hang (no progress) and
 * name the input a crash happened on; inputs an earlier attempt died on are
 * not parsed again. No fork and no system call per file: a few stores into
 * shared memory. See docs/faults.md, "Isolation".
 */
#ifndef INGEST_GUARD_H
#define INGEST_GUARD_H

#include "walk.h"

/* Sets up W's guard and skip list from OPTS (may be NULL), and its test hook
 * switch (testhooks.h). The caller's progress callback moves behind
 * guard_progress(). */
ING_HIDDEN void guard_init(struct walk *w, const struct ing_scan_opts *opts);
/* Phase none, the caller's progress callback back in place, stack freed. */
ING_HIDDEN void guard_fini(struct walk *w);
/* Enters PHASE on PATH (shown to the watcher) / goes back to the enclosing one. */
ING_HIDDEN void guard_push(struct walk *w, enum ing_guard_phase phase, const char *path);
ING_HIDDEN void guard_pop(struct walk *w);
/* The reason an earlier attempt gave for leaving PATH out, or NULL. */
ING_HIDDEN const char *guard_skip_reason(const struct walk *w, const char *path);

#endif
