/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The zip index (libingest/zipidx.c) on arbitrary bytes: the end records,
 * central directory and local headers of a hostile zip, then every indexed
 * entry looked up by its own name and size and inflated with libdeflate into
 * a buffer of exactly its size, twice: the zip in memory, and the zip read
 * with pread() from a file (a memfd), which must give the same index.
 * Checks the index's contract: entries in local-header order, names inside
 * the central directory, a usable record matched by its own name and size.
 */
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zipidx.h"

#define MAX_OUT (1u << 20)       /* inflate entries up to this size (larger ones: index only) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct zipidx *z, const uint8_t *data, size_t size, struct libdeflate_decompressor *d)
{
	struct zbuf scratch = { 0 };
	/* the directory lies inside the input, and before its end */
	if (z->n && (!z->cd || z->end > size))
		__builtin_trap();
	if (z->map && z->n && (z->cd < data + z->end || z->cd > data + size))
		__builtin_trap();
	for (size_t i = 0; i < z->n; i++) {
		const struct zip_rec *r = &z->v[i];
		if (i > 0 && z->v[i - 1].lho > r->lho)
			__builtin_trap();
		if (r->name_off + r->name_len > size - z->end ||
		    (r->usable && r->lho + 30 > z->end))   /* records not in use may point anywhere */
			__builtin_trap();
		if (r->usable != zipidx_match(z, i, (const char *)z->cd + r->name_off, r->name_len, r->usize))
			__builtin_trap();
		if (r->usable && r->usize <= MAX_OUT) {
			uint8_t *out = malloc(r->usize ? (size_t)r->usize : 1);
			if (!out)
				abort();
			(void)zipidx_inflate(z, i, d, out, &scratch);
			free(out);
		}
	}
	zbuf_free(&scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct libdeflate_decompressor *d;
	static int fd = -1;
	struct zipidx z, zf;

	if (!d && !(d = libdeflate_alloc_decompressor()))
		abort();
	if (fd < 0 && (fd = memfd_create("fuzz-zipidx", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	int rm = zipidx_build(&z, data, -1, size, 4096);
	int rf = zipidx_build(&zf, NULL, fd, size, 4096);
	if (rm != rf)
		__builtin_trap();
	if (rm < 0)
		return 0;
	if (z.n != zf.n || z.end != zf.end)
		__builtin_trap();
	for (size_t i = 0; i < z.n; i++)
		if (memcmp(&z.v[i], &zf.v[i], sizeof(z.v[i])) != 0)
			__builtin_trap();
	check(&z, data, size, d);
	check(&zf, data, size, d);
	zipidx_free(&z);
	zipidx_free(&zf);
	return 0;
}
