/* SPDX-License-Identifier: GPL-3.0-or-later */
/* json-c's cleanup form: _cleanup_(json_object_putp) json_object *o. */
#ifndef INGEST_UTIL_JSON_H
#define INGEST_UTIL_JSON_H

#include <json-c/json.h>

#include "util/mem.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

#endif
