/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The zip index (libingest/zipidx.c) on arbitrary bytes: the end records,
 * central directory and local headers of a hostile zip, then every indexed
 * entry looked up by its own name and size and inflated with libdeflate into
 * a buffer of exactly its size. Checks the index's contract: entries in
 * local-header order, names inside the input, a usable record matched by
 * its own name and size.
 */
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>

#include "zipidx.h"

#define MAX_OUT (1u << 20)       /* inflate entries up to this size (larger ones: index only) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct libdeflate_decompressor *d;
	struct zipidx z;

	if (!d && !(d = libdeflate_alloc_decompressor()))
		abort();
	if (zipidx_build(&z, data, size, 4096) < 0)
		return 0;
	for (size_t i = 0; i < z.n; i++) {
		const struct zip_rec *r = &z.v[i];
		if (i > 0 && z.v[i - 1].lho > r->lho)
			__builtin_trap();
		if (r->name_off > size || r->name_len > size - r->name_off || z.end > size ||
		    (r->usable && r->lho + 30 > z.end))   /* records not in use may point anywhere */
			__builtin_trap();
		if (r->usable != zipidx_match(&z, i, (const char *)data + r->name_off, r->name_len, r->usize))
			__builtin_trap();
		if (r->usable && r->usize <= MAX_OUT) {
			uint8_t *out = malloc(r->usize ? (size_t)r->usize : 1);
			if (!out)
				abort();
			(void)zipidx_inflate(&z, i, d, out);
			free(out);
		}
	}
	zipidx_free(&z);
	return 0;
}
