/* SPDX-License-Identifier: GPL-3.0-or-later */
/* YAML texts parsed one way, and where a libfyaml node stands in its file,
 * for FILE:LINE:COL messages. */
#ifndef INGEST_UTIL_YAML_H
#define INGEST_UTIL_YAML_H

#include <stdbool.h>
#include <libfyaml.h>

#include "util/macro.h"
#include "util/mem.h"

/* _cleanup_(fy_document_destroyp), _cleanup_(fy_diag_destroyp). */
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fy_document *, fy_document_destroy)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fy_diag *, fy_diag_destroy)

/* 1-based line and column of a node: a scalar's own token; a collection by
 * its first scalar (libfyaml keeps no mark for collections here). False, and
 * nothing written, when there is none (an empty collection, NULL). */
ING_HIDDEN bool yaml_node_pos(struct fy_node *n, int *line, int *col);

/* libfyaml 0.8 loops forever on a "%" directive line holding a cut-short
 * UTF-8 sequence (found by fuzzing case.yaml): every YAML text is checked to
 * be UTF-8 before libfyaml sees it. True when it is; else false with the
 * 1-based line and column of the first bad byte. */
ING_HIDDEN bool yaml_text_is_utf8(const char *buf, size_t len, int *line, int *col);

/*
 * LEN bytes at TEXT parsed as one YAML document, the way every YAML file of
 * ingestd is (YAML 1.2 unless the text says otherwise; libfyaml prints
 * nothing). TEXT must outlive the document. 0 and *OUT on success (its root
 * is NULL for a text of blanks and comments only: an empty document). Else
 * *LINE and *COL (1-based) say where, and:
 *   -EILSEQ  not UTF-8 text (yaml_text_is_utf8(), checked first);
 *   -EINVAL  not a YAML document: *MSG is libfyaml's first error (malloc'd);
 *   -ENOMEM.
 */
ING_HIDDEN int yaml_parse_text(const char *text, size_t len, struct fy_document **out, int *line, int *col,
                               char **msg);

#endif
