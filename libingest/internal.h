/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals shared by libingest's modules: context, logging, buffers. */
#ifndef INGEST_INTERNAL_H
#define INGEST_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "caps.h"

#include "util/clock.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/text.h"

struct magic_set;

struct ing_ctx {
	ing_log_fn log_fn;
	void *log_data;
	int log_max;
	struct ing_limits limits;
	uint8_t salt[32];
	size_t salt_len;
	struct magic_set *magic;     /* libmagic cookie, opened lazily */
	char working_langs[128];     /* ISO 639-1 codes, comma-separated: no translation needed */
};

ING_HIDDEN bool ing_ctx_is_working_language(const struct ing_ctx *ctx, const char *lang);

/* One logging path: everything in the library goes through here. */
ING_HIDDEN void ing_log(struct ing_ctx *ctx, int level, const char *fmt, ...) ING_PRINTF(3, 4);
#define log_err(ctx, ...) ing_log(ctx, ING_LOG_ERR, __VA_ARGS__)
#define log_warn(ctx, ...) ing_log(ctx, ING_LOG_WARNING, __VA_ARGS__)
#define log_info(ctx, ...) ing_log(ctx, ING_LOG_INFO, __VA_ARGS__)
#define log_debug(ctx, ...) ing_log(ctx, ING_LOG_DEBUG, __VA_ARGS__)

#endif
