/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The deflated bytes of a zip in memory, for libdeflate.
 *
 * Inflating is the bound for a zip drop, and zlib's streaming inflate (what
 * libarchive uses) runs at half the speed of libdeflate's whole-buffer
 * inflate on this hardware: 3.9 against 1.7 CPU-s for the 715 MB DVD zip of
 * bench/. libarchive exposes no entry's raw bytes, so this reads the fixed
 * records of the format (APPNOTE 6.3.10: end of central directory, its
 * ZIP64 form, central directory headers, local headers) to find them,
 * strictly: every offset and length is checked against the map, and any
 * record that does not agree with the others is left out of the index, so
 * libarchive reads that entry as before. Nothing here decides what an entry
 * is called, whether it is safe or how big it may be. The records are
 * listed in the order libarchive's seekable reader lists the entries (by
 * local header offset); the scan pairs libarchive's k-th entry with the
 * k-th record and takes the bytes only when the name and size libarchive
 * gave are the record's, the (name, size) occurs once in the zip, and the
 * inflated bytes have the length and CRC-32 the central directory states.
 * A zip whose directory libarchive could read differently (a count that
 * disagrees, two records of one entry) is not indexed at all.
 */
#include <libdeflate.h>

#include "zipidx.h"

#define EOCD_LEN 22u
#define EOCD64_LOC_LEN 20u
#define EOCD64_LEN 56u
#define CDH_LEN 46u
#define LFH_LEN 30u
#define EOCD_SEARCH (65535u + EOCD_LEN)     /* the comment is at most 65535 bytes */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* off + n inside len, without overflow. */
static bool within(uint64_t off, uint64_t n, uint64_t len)
{
	return off <= len && n <= len - off;
}

/* The central directory: where it starts, how long, how many records. */
static int find_cd(const uint8_t *m, size_t len, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count)
{
	if (len < EOCD_LEN)
		return -EINVAL;
	size_t from = len > EOCD_SEARCH ? len - EOCD_SEARCH : 0;
	size_t e = len - EOCD_LEN + 1;
	while (e-- > from)
		if (m[e] == 'P' && m[e + 1] == 'K' && m[e + 2] == 5 && m[e + 3] == 6)
			break;
	/* the last signature, as libarchive takes it; a comment running past the
	 * end means it is not the record libarchive reads either */
	if (e == (size_t)-1 || e < from || !within(e + EOCD_LEN, le16(m + e + 20), len))
		return -EINVAL;
	const uint8_t *p = m + e;
	if (le16(p + 4) != 0 || le16(p + 6) != 0)      /* split over several disks */
		return -EINVAL;
	uint64_t n = le16(p + 10), size = le32(p + 12), off = le32(p + 16);
	uint64_t end = e;                               /* where the central directory must end */
	bool saturated = n == 0xffff || size == 0xffffffff || off == 0xffffffff;
	const uint8_t *l = e >= EOCD64_LOC_LEN ? m + e - EOCD64_LOC_LEN : NULL;
	if (l && memcmp(l, "PK\6\7", 4) == 0) {
		/* ZIP64 records: some writers add them even when nothing overflows */
		uint64_t z64 = le64(l + 8);
		if (le32(l + 4) != 0 || le32(l + 16) != 1 || !within(z64, EOCD64_LEN, e - EOCD64_LOC_LEN) ||
		    memcmp(m + z64, "PK\6\6", 4) != 0)
			return -EINVAL;
		const uint8_t *q = m + z64;
		if (le32(q + 16) != 0 || le32(q + 20) != 0 || le64(q + 24) != le64(q + 32))  /* several disks */
			return -EINVAL;
		n = le64(q + 32);
		size = le64(q + 40);
		off = le64(q + 48);
		end = z64;
	} else if (saturated)
		return -EINVAL;
	/* No data before the archive (a self-extractor's stub) and nothing between
	 * the directory and its end record: offsets are what they say. */
	if (!within(off, size, end) || off + size != end)
		return -EINVAL;
	*cd_off = off;
	*cd_size = size;
	*count = n;
	return 0;
}

/* The ZIP64 extended information of a central directory header (tag 1):
 * the fields that are 0xffffffff in the header, in this order. */
static bool zip64_fields(const uint8_t *x, size_t xlen, uint64_t *usize, uint64_t *csize, uint64_t *lho)
{
	while (xlen >= 4) {
		uint16_t tag = le16(x), n = le16(x + 2);
		if (n > xlen - 4)
			return false;
		if (tag == 1) {
			const uint8_t *f = x + 4;
			uint64_t *want[3] = { usize, csize, lho };
			for (int i = 0; i < 3; i++) {
				if (*want[i] != 0xffffffff)
					continue;
				if (n < 8)
					return false;
				*want[i] = le64(f);
				f += 8;
				n -= 8;
			}
			return true;
		}
		x += 4 + n;
		xlen -= 4 + (size_t)n;
	}
	return *usize != 0xffffffff && *csize != 0xffffffff && *lho != 0xffffffff;
}

static uint64_t key_hash(const uint8_t *name, size_t n, uint64_t usize)
{
	uint64_t h = 1469598103934665603ull ^ usize;   /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ name[i]) * 1099511628211ull;
	return h;
}

static bool same_key(const struct zipidx *z, const struct zip_rec *r, const uint8_t *name, size_t n, uint64_t usize)
{
	return r->usize == usize && r->name_len == n && memcmp(z->map + r->name_off, name, n) == 0;
}

static int cmp_off(const void *a, const void *b)
{
	const struct zip_rec *x = a, *y = b;
	return x->lho < y->lho ? -1 : x->lho > y->lho;
}

/* A zip name libarchive would not hand back as its bytes: flagged UTF-8 but
 * not valid UTF-8 (libarchive replaces the bad bytes), or with an Info-ZIP
 * Unicode Path extra field (0x7075: libarchive takes that name instead). */
static bool name_converted(const uint8_t *name, size_t nlen, bool utf8, const uint8_t *x, size_t xlen)
{
	while (xlen >= 4) {
		uint16_t tag = le16(x), n = le16(x + 2);
		if (tag == 0x7075)
			return true;
		if (n > xlen - 4)
			break;
		x += 4 + n;
		xlen -= 4 + (size_t)n;
	}
	if (!utf8)
		return false;
	_cleanup_free_ char *t = utf8_sanitize((const char *)name, nlen);
	return strlen(t) != nlen || memcmp(t, name, nlen) != 0;
}

int zipidx_build(struct zipidx *z, const uint8_t *m, size_t len, uint64_t max_entries)
{
	uint64_t cd_off, cd_size, count;
	*z = (struct zipidx){ .map = m };
	if (find_cd(m, len, &cd_off, &cd_size, &count) < 0 || count > max_entries || count > cd_size / CDH_LEN ||
	    count >= UINT32_MAX)
		return -EINVAL;
	z->v = xcalloc(count ? count : 1, sizeof(*z->v));
	z->end = cd_off;
	const uint8_t *p = m + cd_off, *end = m + cd_off + cd_size;
	for (uint64_t i = 0; i < count; i++) {
		if ((size_t)(end - p) < CDH_LEN || memcmp(p, "PK\1\2", 4) != 0)
			goto bad;
		uint16_t flags = le16(p + 8), method = le16(p + 10);
		size_t nlen = le16(p + 28), xlen = le16(p + 30), clen = le16(p + 32);
		if ((size_t)(end - p) - CDH_LEN < nlen + xlen + clen)
			goto bad;
		uint64_t csize = le32(p + 20), usize = le32(p + 24), lho = le32(p + 42);
		const uint8_t *name = p + CDH_LEN;
		bool sized = zip64_fields(name + nlen, xlen, &usize, &csize, &lho);
		bool ok = sized && method == 8 && !(flags & (1u | 1u << 6 | 1u << 13)) &&   /* encrypted, strong, masked */
		          le16(p + 34) == 0 && nlen > 0 && within(lho, LFH_LEN, cd_off) &&
		          within(lho + LFH_LEN, csize, cd_off) &&
		          /* libarchive names it otherwise: its name would not match */
		          !name_converted(name, nlen, flags & (1u << 11), name + nlen, xlen);
		/* Every record is kept, in use or not: the scan pairs libarchive's
		 * k-th entry with the k-th record. The local header is read when the
		 * entry is inflated: reading them all here would map 64 KiB of the
		 * zip around each (fault-around). */
		z->v[z->n++] = (struct zip_rec){
			.lho = lho, .csize = csize, .usize = usize, .crc = le32(p + 16),
			.name_off = (uint64_t)(name - m), .name_len = (uint16_t)nlen, .usable = ok,
		};
		p += CDH_LEN + nlen + xlen + clen;
	}
	/* libarchive walks the directory to its end, whatever the count says */
	if (p != end)
		goto bad;
	/* libarchive's seekable reader lists the records by local header offset */
	qsort(z->v, z->n, sizeof(*z->v), cmp_off);
	for (size_t i = 1; i < z->n; i++)
		if (z->v[i].lho == z->v[i - 1].lho)
			goto bad;         /* two records of one entry: libarchive lists one of them */

	/* A (name, size) seen twice is taken by neither: were libarchive's list
	 * to slip against ours, no entry could then pass for another. */
	size_t nslots = 16;
	while (nslots < z->n * 2)
		nslots *= 2;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	for (size_t i = 0; i < z->n; i++) {
		struct zip_rec *r = &z->v[i];
		const uint8_t *name = m + r->name_off;
		size_t sl = (size_t)key_hash(name, r->name_len, r->usize) & (nslots - 1);
		for (;; sl = (sl + 1) & (nslots - 1)) {
			if (!slots[sl]) {
				slots[sl] = (uint32_t)i + 1;
				break;
			}
			struct zip_rec *o = &z->v[slots[sl] - 1];
			if (same_key(z, o, name, r->name_len, r->usize)) {
				o->usable = r->usable = false;
				break;
			}
		}
	}
	free(slots);
	return 0;
bad:
	zipidx_free(z);
	*z = (struct zipidx){ .map = m };
	return -EINVAL;
}

void zipidx_free(struct zipidx *z)
{
	free(z->v);
	z->v = NULL;
	z->n = 0;
}

bool zipidx_match(const struct zipidx *z, size_t k, const char *name, size_t nlen, uint64_t usize)
{
	return k < z->n && z->v[k].usable && same_key(z, &z->v[k], (const uint8_t *)name, nlen, usize);
}

int zipidx_inflate(const struct zipidx *z, size_t i, struct libdeflate_decompressor *d, uint8_t *out)
{
	const struct zip_rec *r = &z->v[i];
	const uint8_t *l = z->map + r->lho;
	/* The local header must agree: the same name, deflated, not encrypted,
	 * and the bytes after it inside the entries' part of the zip. */
	size_t lnlen = le16(l + 26), lxlen = le16(l + 28);
	uint64_t data = r->lho + LFH_LEN + lnlen + lxlen;
	if (memcmp(l, "PK\3\4", 4) != 0 || le16(l + 8) != 8 || (le16(l + 6) & 1u) || lnlen != r->name_len ||
	    !within(data, r->csize, z->end) || memcmp(l + LFH_LEN, z->map + r->name_off, lnlen) != 0 ||
	    name_converted(l + LFH_LEN, lnlen, false, l + LFH_LEN + lnlen, lxlen))
		return -EBADMSG;
	size_t got = 0;
	if (libdeflate_deflate_decompress(d, z->map + data, (size_t)r->csize, out, (size_t)r->usize, &got) !=
	    LIBDEFLATE_SUCCESS || got != r->usize)
		return -EBADMSG;
	if ((uint32_t)libdeflate_crc32(0, out, got) != r->crc)
		return -EBADMSG;
	return 0;
}
