/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The last good rules (SPEC §11): at start and at each reload the daemon
 * copies paths.rules into BASE/rules.good.NNNNNN (a temporary folder renamed
 * once complete), validates the copy, and its workers evaluate cases with
 * that copy. A reload whose rules fail keeps the previous copy.
 */
#ifndef INGESTD_RULES_SNAPSHOT_H
#define INGESTD_RULES_SNAPSHOT_H

#include "libingest-internal.h"

/* Copies the *.yaml files of SRC into BASE_DIR/rules.good.SEQ (6 digits) and
 * validates the copy: 0, *OUT (its path) and *RULES (the copy loaded: the
 * workers, forked, read them as they are and load nothing), or -EINVAL (they
 * do not validate; the errors, FILE:LINE:COL, appended to ERRS) or another
 * -errno (said in ERRS); nothing is left behind then. */
int rules_snapshot_take(const char *base_dir, const char *src, unsigned seq, char **out, struct ruleset **rules,
                        struct strbuf *errs);

/* Removes BASE_DIR/rules.good.N for every N not in KEEP, and temporary
 * copies left by an earlier process. */
void rules_snapshot_gc(const char *base_dir, const unsigned *keep, size_t n_keep);

#endif
