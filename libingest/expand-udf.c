/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * UDF disc images (no ISO 9660 bridge) through libudfread: the image's
 * folders walked in name order, each file to scan_entry() (expand.c opens
 * the image as a file, expand-private.h).
 */
#include <udfread/blockinput.h>
#include <udfread/udfread.h>

#include "expand-private.h"

#define UDF_SECTOR 2048u

struct udf_in {
	struct udfread_block_input bi;
	int fd;
	uint64_t size;
};

static int udf_in_read(struct udfread_block_input *bi, uint32_t lba, void *buf, uint32_t nblocks, int flags)
{
	struct udf_in *u = (struct udf_in *)bi;
	uint64_t off = (uint64_t)lba * UDF_SECTOR, want = (uint64_t)nblocks * UDF_SECTOR;
	if (off >= u->size)
		return 0;
	want = MIN(want, u->size - off);
	ssize_t r = pread(u->fd, buf, (size_t)want, (off_t)off);
	return r < 0 ? -1 : (int)((uint64_t)r / UDF_SECTOR);
}

static uint32_t udf_in_size(struct udfread_block_input *bi)
{
	struct udf_in *u = (struct udf_in *)bi;
	return (uint32_t)MIN(u->size / UDF_SECTOR, (uint64_t)UINT32_MAX);
}

struct udf_ent {
	struct xarc *x;
	UDFFILE *f;
	uint64_t got, max;
};

static ssize_t udf_ent_read(void *ud, void *buf, size_t n)
{
	struct udf_ent *e = ud;
	ssize_t r = udfread_file_read(e->f, buf, n);
	if (r < 0)
		return -EIO;
	e->got += (uint64_t)r;
	e->x->w->expanded_bytes += (uint64_t)r;
	if (e->got > e->max || walk_over_expand_budget(e->x->w) || walk_out_of_time(e->x->w)) {
		e->x->stop = e->got > e->max ? STOP_ENTRY : e->x->w->spent == WALK_SPENT_TIME ? STOP_TIME : STOP_TOTAL;
		return -E2BIG;
	}
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void udf_walk(struct xarc *x, udfread *udf, const char *dir)
{
	struct ptrvec dirs = { 0 }, files = { 0 };
	struct udfread_dirent de;
	UDFDIR *d = udfread_opendir(udf, dir[0] ? dir : "/");

	if (!d) {
		file_set_problem(x->arc, PROB_CORRUPT, "a folder of the UDF disc image could not be read");
		return;
	}
	while (udfread_readdir(d, &de)) {
		if (!de.d_name || !strcmp(de.d_name, ".") || !strcmp(de.d_name, "..") || strchr(de.d_name, '/'))
			continue;
		char *p = dir[0] ? xasprintf("%s/%s", dir, de.d_name) : xstrdup(de.d_name);
		ptrvec_push(de.d_type == UDF_DT_DIR ? &dirs : &files, p);
	}
	udfread_closedir(d);
	if (files.n)
		qsort(files.v, files.n, sizeof(void *), cmp_str);
	if (dirs.n)
		qsort(dirs.v, dirs.n, sizeof(void *), cmp_str);

	for (size_t i = 0; i < files.n && x->stop == STOP_NONE; i++) {
		const char *p = files.v[i];
		_cleanup_free_ char *rel = xasprintf("%s%s", x->prefix, p);
		if (entries_exhausted(x, p))
			break;
		if (strlen(rel) > x->lim->max_path_bytes) {
			_cleanup_free_ char *m = xasprintf("the path is longer than %u bytes; not read", x->lim->max_path_bytes);
			record_refused(x, p, 0, PROB_LIMIT, m);
			continue;
		}
		_cleanup_free_ char *abs = xasprintf("/%s", p);
		UDFFILE *uf = udfread_file_open(udf, abs);
		if (!uf) {
			record_refused(x, p, 0, PROB_CORRUPT, "the file could not be opened inside the UDF disc image");
			continue;
		}
		int64_t sz = udfread_file_size(uf);
		struct udf_ent ue = { .x = x, .f = uf, .max = x->lim->max_file_bytes };
		struct byte_src s = { .read = udf_ent_read, .ud = &ue };
		x->entries_out++;
		walk_entry(x->w, rel, sz > 0 ? (uint64_t)sz : 0, &s, -1, x->where);
		udfread_file_close(uf);
		/* an archive inside spent the drop's budget: this one stops too */
		if (x->stop == STOP_NONE && x->w->spent != WALK_SPENT_NONE)
			x->stop = x->w->spent == WALK_SPENT_TIME ? STOP_TIME : STOP_TOTAL;
	}
	for (size_t i = 0; i < dirs.n && x->stop == STOP_NONE; i++) {
		/* Each level adds to the path, so max_path_bytes also bounds the depth (and loops). */
		if (strlen(x->prefix) + strlen(dirs.v[i]) > x->lim->max_path_bytes) {
			_cleanup_free_ char *m = xasprintf("the path is longer than %u bytes; not read", x->lim->max_path_bytes);
			record_refused(x, dirs.v[i], 0, PROB_LIMIT, m);
			continue;
		}
		udf_walk(x, udf, dirs.v[i]);
	}
	ptrvec_free(&dirs, free);
	ptrvec_free(&files, free);
}

void run_udf(struct xarc *x, int fd, uint64_t size)
{
	struct udf_in in = { .bi = { .read = udf_in_read, .size = udf_in_size }, .fd = fd, .size = size };
	udfread *udf = udfread_init();

	if (!udf || udfread_open_input(udf, &in.bi) < 0) {
		file_set_problem(x->arc, PROB_CORRUPT, "\"%s\" looks like a UDF disc image but could not be opened; it may "
		                 "be damaged or cut short. Ask for a new copy.", arc_base(x->arc));
		if (udf)
			udfread_close(udf);
		return;
	}
	udf_walk(x, udf, "");
	record_stop(x);
	udfread_close(udf);
}

/* UDF volume recognition sequence (ECMA-167 2/9.1) from sector 16, with no ISO 9660 descriptor. */
bool is_udf_only(const uint8_t *head, size_t n)
{
	bool bea = false, nsr = false;
	for (size_t s = 16; s < 32 && (s + 1) * UDF_SECTOR <= n; s++) {
		const uint8_t *p = head + s * UDF_SECTOR + 1;
		if (!memcmp(p, "CD001", 5))
			return false;
		if (!memcmp(p, "BEA01", 5))
			bea = true;
		else if (!memcmp(p, "NSR02", 5) || !memcmp(p, "NSR03", 5))
			nsr = true;
		else if (!memcmp(p, "TEA01", 5))
			break;
	}
	return bea && nsr;
}
