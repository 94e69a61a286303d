/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <sys/random.h>
#include <magic.h>

#include "internal.h"

/* The defaults: a real DVD (>= 10,000 entries, 8.5 GB) passes all of them. */
void ing_limits_default(struct ing_limits *l)
{
	*l = (struct ing_limits){
		.max_file_bytes = UINT64_C(16) << 30,         /* 16 GiB: a whole DVD image */
		.max_total_bytes = UINT64_C(64) << 30,        /* 64 GiB per drop */
		.max_entries = 200000,
		.max_depth = 8,
		.max_ratio = 1000,
		.max_path_bytes = 4096,
		.max_dicom_header_bytes = UINT64_C(64) << 20, /* non-image objects (SR, PDF) are all header */
		.max_doc_bytes = UINT64_C(256) << 20,
		.max_text_bytes = UINT64_C(4) << 20,
		.max_case_text_bytes = UINT64_C(32) << 20,
		.extract_cpu_seconds = 30,
		.extract_mem_bytes = UINT64_C(1) << 30,
		.max_pages = 50,
		.max_ocr_documents = 200,
		.hash_pending_bytes = UINT64_C(16) << 20,
		.max_download_seconds = 15 * 60,              /* a worker is not held longer by one drop's links */
		.max_download_bytes = UINT64_C(8) << 30,      /* 8 GiB: a DVD image, or a few CDs */
		.max_drop_ratio = 100,                        /* docs/design.md, "Budgets per drop" */
		.max_drop_seconds = 4 * 3600,
	};
}

double ing_limits_document_seconds(const struct ing_limits *l)
{
	return 2.0 * MAX(l->extract_cpu_seconds, 1u) + 2.0;
}

int ing_ctx_new(struct ing_ctx **out)
{
	struct ing_ctx *ctx = xcalloc(1, sizeof(*ctx));
	ctx->log_max = ING_LOG_WARNING;
	ing_limits_default(&ctx->limits);
	if (getrandom(ctx->salt, sizeof(ctx->salt), 0) != (ssize_t)sizeof(ctx->salt)) {
		free(ctx);
		return -EIO;
	}
	ctx->salt_len = sizeof(ctx->salt);
	snprintf(ctx->working_langs, sizeof(ctx->working_langs), "en");
	*out = ctx;
	return 0;
}

struct ing_ctx *ing_ctx_free(struct ing_ctx *ctx)
{
	if (!ctx)
		return NULL;
	if (ctx->magic)
		magic_close(ctx->magic);
	free(ctx);
	return NULL;
}

void ing_ctx_set_log(struct ing_ctx *ctx, ing_log_fn fn, void *userdata, int max_level)
{
	ctx->log_fn = fn;
	ctx->log_data = userdata;
	ctx->log_max = max_level;
}

const struct ing_limits *ing_ctx_get_limits(const struct ing_ctx *ctx)
{
	return &ctx->limits;
}

void ing_ctx_set_limits(struct ing_ctx *ctx, const struct ing_limits *l)
{
	ctx->limits = *l;
}

int ing_ctx_set_salt(struct ing_ctx *ctx, const void *salt, size_t len)
{
	if (len == 0 || len > sizeof(ctx->salt))
		return -EINVAL;
	memcpy(ctx->salt, salt, len);
	ctx->salt_len = len;
	return 0;
}

int ing_ctx_set_working_languages(struct ing_ctx *ctx, const char *langs)
{
	if (!langs || strlen(langs) >= sizeof(ctx->working_langs))
		return -EINVAL;
	for (const char *p = langs; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == ',' || *p == '-'))
			return -EINVAL;
	snprintf(ctx->working_langs, sizeof(ctx->working_langs), "%s", langs);
	return 0;
}

bool ing_ctx_is_working_language(const struct ing_ctx *ctx, const char *lang)
{
	size_t n = strlen(lang);
	for (const char *p = ctx->working_langs; *p;) {
		size_t m = strcspn(p, ",");
		if (m == n && strncmp(p, lang, n) == 0)
			return true;
		p += m + (p[m] == ',');
	}
	return false;
}

void ing_log(struct ing_ctx *ctx, int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	if (!ctx || !ctx->log_fn || level > ctx->log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx->log_data, level, buf);
}

const char *ing_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case E2BIG: return "a size limit was reached";
	case EBADMSG: return "the input is malformed";
	default: return strerror(err);
	}
}
