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
 * strictly: every offset and length is checked against the zip's length, and any
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

/* n bytes of the zip at off: where they lie in the map, else read into b. */
static const uint8_t *zget(const struct zipidx *z, uint64_t off, size_t n, struct zbuf *b)
{
	if (!within(off, n, z->len))
		return NULL;
	if (z->map)
		return z->map + off;
	if (b->cap < n) {
		b->p = xrealloc(b->p, n ? n : 1);
		b->cap = n;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(z->fd, b->p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		got += (size_t)r;
	}
	return b->p;
}

/* n bytes of the zip at off into out: 0, or -EINVAL when they are not all there. */
static int zcopy(const struct zipidx *z, uint64_t off, uint8_t *out, size_t n)
{
	struct zbuf b = { out, n };
	const uint8_t *p = zget(z, off, n, &b);
	if (!p)
		return -EINVAL;
	if (p != out)
		memcpy(out, p, n);
	return 0;
}

void zbuf_free(struct zbuf *b)
{
	free(b->p);
	*b = (struct zbuf){ 0 };
}

/* The central directory: where it starts, how long, how many records. */
static int find_cd(const struct zipidx *z, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count)
{
	uint64_t len = z->len;
	if (len < EOCD_LEN)
		return -EINVAL;
	/* the last 64 KiB (and the end record): t[i] is the zip's byte from + i */
	uint64_t from = len > EOCD_SEARCH ? len - EOCD_SEARCH : 0;
	size_t tl = (size_t)(len - from);
	_cleanup_free_ uint8_t *tail = z->map ? NULL : xmalloc(tl);
	struct zbuf tb = { tail, tl };
	const uint8_t *t = zget(z, from, tl, &tb);
	if (!t)
		return -EINVAL;
	size_t e = tl - EOCD_LEN + 1;
	while (e-- > 0)
		if (t[e] == 'P' && t[e + 1] == 'K' && t[e + 2] == 5 && t[e + 3] == 6)
			break;
	/* the last signature, as libarchive takes it; a comment running past the
	 * end means it is not the record libarchive reads either */
	if (e == (size_t)-1 || !within(e + EOCD_LEN, le16(t + e + 20), tl))
		return -EINVAL;
	const uint8_t *p = t + e;
	uint64_t ea = from + e;                         /* where the end record is */
	if (le16(p + 4) != 0 || le16(p + 6) != 0)      /* split over several disks */
		return -EINVAL;
	uint64_t n = le16(p + 10), size = le32(p + 12), off = le32(p + 16);
	uint64_t end = ea;                              /* where the central directory must end */
	bool saturated = n == 0xffff || size == 0xffffffff || off == 0xffffffff;
	uint8_t l[EOCD64_LOC_LEN], q[EOCD64_LEN];
	if (ea >= EOCD64_LOC_LEN && zcopy(z, ea - EOCD64_LOC_LEN, l, sizeof(l)) == 0 && memcmp(l, "PK\6\7", 4) == 0) {
		/* ZIP64 records: some writers add them even when nothing overflows */
		uint64_t z64 = le64(l + 8);
		if (le32(l + 4) != 0 || le32(l + 16) != 1 || !within(z64, EOCD64_LEN, ea - EOCD64_LOC_LEN) ||
		    zcopy(z, z64, q, sizeof(q)) < 0 || memcmp(q, "PK\6\6", 4) != 0)
			return -EINVAL;
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
	return r->usize == usize && r->name_len == n && memcmp(z->cd + r->name_off, name, n) == 0;
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

int zipidx_build(struct zipidx *z, const uint8_t *m, int fd, uint64_t len, uint64_t max_entries)
{
	uint64_t cd_off, cd_size, count;
	*z = (struct zipidx){ .map = m, .fd = fd, .len = len };
	if (find_cd(z, &cd_off, &cd_size, &count) < 0 || count > max_entries || count > cd_size / CDH_LEN ||
	    count >= UINT32_MAX)
		return -EINVAL;
	if (m) {
		z->cd = m + cd_off;
	} else {
		if (cd_size > ZIPIDX_CD_MAX)
			return -EINVAL;
		z->cd_buf = xmalloc(cd_size ? (size_t)cd_size : 1);
		if (zcopy(z, cd_off, z->cd_buf, (size_t)cd_size) < 0)
			goto bad;
		z->cd = z->cd_buf;
	}
	z->v = xcalloc(count ? count : 1, sizeof(*z->v));
	z->end = cd_off;
	const uint8_t *p = z->cd, *end = z->cd + cd_size;
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
		          /* deflate adds 5 bytes per 64 KiB at worst: more is not an entry we read ahead */
		          csize <= usize + usize / 1024 + 1024 &&
		          /* libarchive names it otherwise: its name would not match */
		          !name_converted(name, nlen, flags & (1u << 11), name + nlen, xlen);
		/* Every record is kept, in use or not: the scan pairs libarchive's
		 * k-th entry with the k-th record. The local header is read when the
		 * entry is inflated. */
		z->v[z->n++] = (struct zip_rec){
			.lho = lho, .csize = csize, .usize = usize, .crc = le32(p + 16),
			.name_off = (uint64_t)(name - z->cd), .name_len = (uint16_t)nlen, .usable = ok,
		};
		p += CDH_LEN + nlen + xlen + clen;
	}
	/* libarchive walks the directory to its end, whatever the count says */
	if (p != end)
		goto bad;
	/* libarchive's seekable reader lists the records by local header offset */
	qsort(z->v, z->n, sizeof(*z->v), cmp_off);
	size_t shared = 0;
	for (size_t i = 1; i < z->n; i++)
		if (z->v[i].lho == z->v[i - 1].lho)
			shared++;         /* two records of one entry: libarchive lists one of them */
	if (shared) {
		zipidx_free(z);
		z->shared = shared;
		return -EINVAL;
	}

	/* A (name, size) seen twice is taken by neither: were libarchive's list
	 * to slip against ours, no entry could then pass for another. */
	size_t nslots = 16;
	while (nslots < z->n * 2)
		nslots *= 2;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	for (size_t i = 0; i < z->n; i++) {
		struct zip_rec *r = &z->v[i];
		const uint8_t *name = z->cd + r->name_off;
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
	return -EINVAL;
}

void zipidx_free(struct zipidx *z)
{
	free(z->v);
	free(z->cd_buf);
	*z = (struct zipidx){ .map = z->map, .fd = z->fd, .len = z->len };
}

bool zipidx_match(const struct zipidx *z, size_t k, const char *name, size_t nlen, uint64_t usize)
{
	return k < z->n && z->v[k].usable && same_key(z, &z->v[k], (const uint8_t *)name, nlen, usize);
}

int zipidx_inflate(const struct zipidx *z, size_t i, struct libdeflate_decompressor *d, uint8_t *out,
                   struct zbuf *scratch)
{
	const struct zip_rec *r = &z->v[i];
	uint8_t l[LFH_LEN];
	/* The local header must agree: the same name, deflated, not encrypted,
	 * and the bytes after it inside the entries' part of the zip. */
	if (!z->cd || zcopy(z, r->lho, l, LFH_LEN) < 0)
		return -EBADMSG;
	size_t lnlen = le16(l + 26), lxlen = le16(l + 28);
	uint64_t data = r->lho + LFH_LEN + lnlen + lxlen;
	if (memcmp(l, "PK\3\4", 4) != 0 || le16(l + 8) != 8 || (le16(l + 6) & 1u) || lnlen != r->name_len ||
	    !within(data, r->csize, z->end))
		return -EBADMSG;
	/* name, extra field and deflated bytes: one read */
	const uint8_t *h = zget(z, r->lho + LFH_LEN, lnlen + lxlen + (size_t)r->csize, scratch);
	if (!h || memcmp(h, z->cd + r->name_off, lnlen) != 0 || name_converted(h, lnlen, false, h + lnlen, lxlen))
		return -EBADMSG;
	size_t got = 0;
	if (libdeflate_deflate_decompress(d, h + lnlen + lxlen, (size_t)r->csize, out, (size_t)r->usize, &got) !=
	    LIBDEFLATE_SUCCESS || got != r->usize)
		return -EBADMSG;
	if ((uint32_t)libdeflate_crc32(0, out, got) != r->crc)
		return -EBADMSG;
	return 0;
}
