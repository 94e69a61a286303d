/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where a libfyaml node stands in its file, for FILE:LINE:COL messages. */
#ifndef INGEST_YAMLPOS_H
#define INGEST_YAMLPOS_H

#include <stdbool.h>
#include <libfyaml.h>

#include "internal.h"

/* 1-based line and column of a node: a scalar's own token; a collection by
 * its first scalar (libfyaml keeps no mark for collections here). False, and
 * nothing written, when there is none (an empty collection, NULL). */
ING_HIDDEN bool yaml_node_pos(struct fy_node *n, int *line, int *col);

#endif
