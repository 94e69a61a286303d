/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The structural walk over a DICOM object's bytes, pass 1 of
 * dcm_read_header() (pass 2, DCMTK, is in dcm-read.cc): Part 10 preamble and
 * meta group, transfer syntax detection, every element header up to Pixel
 * Data, nested sequences/items checked against their containers, Pixel Data
 * length (or its fragment items) checked against the object's size. This
 * decides OK / TRUNCATED / CORRUPT / NOT_DICOM / NEED_MORE and finds the
 * offsets, without trusting a single length. Plain C: the two things it
 * needs from DCMTK's tables (a transfer syntax's properties, the VR of a
 * tag in implicit VR) it asks the C++ wrapper through dcm-private.h.
 */
#include <stdio.h>
#include <zlib.h>

#include "dcm-private.h"

/* Nesting of sequences accepted before we call the object corrupt. */
static const int max_depth = 32;
/* A deflated dataset is inflated in memory; this bounds it.
 * TODO(lead): should come from struct ing_limits (max_dicom_header_bytes). */
static const size_t max_inflated = 64u << 20;

static const uint64_t undef_len = 0xFFFFFFFFu;

enum wr { WR_OK, WR_SHORT, WR_BAD };

struct enc {
	bool explicit_vr;
	bool big;
};

void dcm_note(struct dcm_notes *w, const char *prefix, const char *s, size_t n)
{
	size_t room = sizeof w->text - w->len;
	size_t pn = strlen(prefix);
	if (w->n++ > 0) {
		size_t k = MIN(room, (size_t)2);
		memcpy(w->text + w->len, "; ", k);
		w->len += k;
		room -= k;
	}
	pn = MIN(pn, room);
	memcpy(w->text + w->len, prefix, pn);
	w->len += pn;
	room -= pn;
	n = MIN(n, room);
	if (n)
		memcpy(w->text + w->len, s, n);
	w->len += n;
}

static void note(struct dcm_notes *w, const char *s)
{
	dcm_note(w, "", s, strlen(s));
}

/* Every note of src after dst's, as if noted there one by one. */
static void notes_append(struct dcm_notes *dst, const struct dcm_notes *src)
{
	if (src->n == 0)
		return;
	dcm_note(dst, "", src->text, src->len);
	dst->n += src->n - 1;
}

void dcm_copy_utf8(char *dst, size_t cap, const char *src, size_t n)
{
	size_t o = 0;
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t k = 0;
		uint32_t cp = 0;
		if (c < 0x80) {
			k = 1;
			cp = c;
		} else if (c >= 0xC2 && c <= 0xDF) {
			k = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 4;
			cp = c & 0x07;
		}
		bool ok = k > 0 && i + k <= n;
		for (size_t j = 1; ok && j < k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				ok = false;
			else
				cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if (ok && ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		           (k == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
			ok = false;
		const char *out;
		size_t outn;
		char one;
		if (!ok) {
			out = "\xEF\xBF\xBD";
			outn = 3;
			k = 1;
		} else if (k == 1) {
			one = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
			out = &one;
			outn = 1;
		} else {
			out = (const char *)s + i;
			outn = k;
		}
		if (o + outn + 1 > cap)
			break;
		memcpy(dst + o, out, outn);
		o += outn;
		i += k;
	}
	if (cap > 0)
		dst[o] = 0;
}

static bool vr_known(const uint8_t *v, bool *long_len)
{
	static const char long_vrs[][3] = { "OB", "OD", "OF", "OL", "OV", "OW", "SQ",
	                                    "SV", "UC", "UN", "UR", "UT", "UV" };
	static const char short_vrs[][3] = { "AE", "AS", "AT", "CS", "DA", "DS", "DT",
	                                     "FD", "FL", "IS", "LO", "LT", "PN", "SH",
	                                     "SL", "SS", "ST", "TM", "UI", "UL", "US" };
	for (size_t i = 0; i < ARRAY_SIZE(long_vrs); i++)
		if (v[0] == (uint8_t)long_vrs[i][0] && v[1] == (uint8_t)long_vrs[i][1]) {
			*long_len = true;
			return true;
		}
	for (size_t i = 0; i < ARRAY_SIZE(short_vrs); i++)
		if (v[0] == (uint8_t)short_vrs[i][0] && v[1] == (uint8_t)short_vrs[i][1]) {
			*long_len = false;
			return true;
		}
	return false;
}

static bool vr_shape(const uint8_t *v)
{
	return v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z';
}

/* The structural walk over buf[0, len) of an object whose real size is total. */
struct walker {
	const uint8_t *p;
	uint64_t len;
	uint64_t total;
	uint64_t need;              /* offset we would need bytes up to */
	char why[64];               /* for bad / truncated */
	struct dcm_notes warnings;
	bool warned_odd, warned_vr;
	uint64_t cut;               /* where the walk ran short: every element before it is whole */
	bool have_cut;
	bool nomem;                 /* DCMTK's dictionary could not be asked: the walk is void */
};

static uint16_t u16(const struct walker *w, uint64_t off, bool big)
{
	const uint8_t *p = w->p;
	return big ? (uint16_t)(p[off] << 8 | p[off + 1]) : (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t u32(const struct walker *w, uint64_t off, bool big)
{
	const uint8_t *p = w->p;
	return big ? ((uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
	              (uint32_t)p[off + 2] << 8 | p[off + 3])
	           : ((uint32_t)p[off + 3] << 24 | (uint32_t)p[off + 2] << 16 |
	              (uint32_t)p[off + 1] << 8 | p[off]);
}

static enum wr short_at(struct walker *w, uint64_t off)
{
	w->need = off;
	return WR_SHORT;
}

/* The first (innermost) place the walk ran short at: an element's start.
 * Only inside the bytes at hand: an item whose declared length runs past
 * them can still hold a whole element whose start is beyond them
 * (fuzz-dicomdir: a cut past the end made DCMTK read past the buffer). */
static void mark_cut(struct walker *w, uint64_t off)
{
	if (!w->have_cut && off <= w->len) {
		w->have_cut = true;
		w->cut = off;
	}
}

static enum wr bad(struct walker *w, const char *why)
{
	snprintf(w->why, sizeof w->why, "%s", why);
	return WR_BAD;
}

static void warn_once(struct walker *w, bool *flag, const char *why)
{
	if (!*flag) {
		*flag = true;
		note(&w->warnings, why);
	}
}

struct hdr {
	uint16_t group, elem;
	char vr[3];
	uint64_t vl;
	uint64_t hlen;
};

/* One element header at off; end is the end of its container. */
static enum wr header(struct walker *w, uint64_t off, uint64_t end, struct enc e, struct hdr *h)
{
	if (off + 8 > end)
		return end >= w->total && off + 8 > w->total ? short_at(w, off + 8)
		                                             : bad(w, "element header runs past its container");
	if (off + 8 > w->len)
		return short_at(w, off + 8);
	h->group = u16(w, off, e.big);
	h->elem = u16(w, off + 2, e.big);
	h->vr[0] = 0;
	if (!e.explicit_vr || h->group == 0xFFFE) {
		h->vl = u32(w, off + 4, e.big);
		h->hlen = 8;
		return WR_OK;
	}
	const uint8_t *v = w->p + off + 4;
	bool long_len = false;
	if (!vr_known(v, &long_len)) {
		if (!vr_shape(v))
			return bad(w, "invalid VR");
		/* PS3.5 7.1.2: VRs defined later use the 4-byte length form. */
		long_len = true;
		warn_once(w, &w->warned_vr, "unknown VR");
	}
	h->vr[0] = (char)v[0];
	h->vr[1] = (char)v[1];
	h->vr[2] = 0;
	if (!long_len) {
		h->vl = u16(w, off + 6, e.big);
		h->hlen = 8;
		return WR_OK;
	}
	if (off + 12 > end)
		return end >= w->total && off + 12 > w->total ? short_at(w, off + 12)
		                                              : bad(w, "element header runs past its container");
	if (off + 12 > w->len)
		return short_at(w, off + 12);
	h->vl = u32(w, off + 8, e.big);
	h->hlen = 12;
	return WR_OK;
}

/* 1 if h starts a sequence, 0 if not; -1 (w->nomem) if DCMTK's dictionary
 * could not be asked. */
static int is_sq(struct walker *w, const struct hdr *h, struct enc e)
{
	if (e.explicit_vr)
		return strcmp(h->vr, "SQ") == 0;
	if (h->vl == undef_len)
		return 1;
	int r = dcm_tag_is_sq(h->group, h->elem);
	if (r < 0) {
		w->nomem = true;
		bad(w, "out of memory");
		return -1;
	}
	return r;
}

struct top_info {
	uint64_t good_end;          /* end of the last complete top-level element */
	unsigned elements;
	bool ascending;
	bool pixel;
	uint64_t pixel_tag_off, pixel_val_off, pixel_len;
	bool pixel_undefined;
};

static enum wr dataset(struct walker *w, uint64_t off, uint64_t end, bool undefined, struct enc e,
                       int depth, uint64_t *out_end, struct top_info *top);

/* Items of a sequence from off to end (undefined: until the delimiter);
 * records: it is a DICOMDIR's Directory Record Sequence. */
static enum wr sequence(struct walker *w, uint64_t off, uint64_t end, bool undefined, struct enc e,
                        int depth, bool records, uint64_t *out_end)
{
	if (depth > max_depth)
		return bad(w, "sequences nested too deep");
	for (;;) {
		if (!undefined && off == end)
			break;
		struct hdr h;
		struct enc ie = e;
		ie.explicit_vr = false; /* item tags never carry a VR */
		enum wr r = header(w, off, end, ie, &h);
		if (r != WR_OK)
			return r;
		if (h.group == 0xFFFE && h.elem == 0xE0DD) {
			off += 8;
			if (!undefined)
				note(&w->warnings, "sequence delimiter in defined-length sequence");
			break;
		}
		if (h.group != 0xFFFE || h.elem != 0xE000)
			return bad(w, "expected an item in a sequence");
		off += 8;
		uint64_t item_end;
		if (h.vl == undef_len) {
			r = dataset(w, off, UINT64_MAX, true, e, depth + 1, &item_end, NULL);
		} else {
			if (off + h.vl > end) {
				/* A DICOMDIR whose last record's item length overstates its
				 * elements, which end with the file and the sequence
				 * (pydicom's DICOMDIR-nooffset: offsets taken out, the
				 * length left): every record is whole, as DCMTK and pydicom
				 * read them. Anything else that runs past is cut short. */
				if (records && end == w->total && w->len >= w->total &&
				    dataset(w, off, end, false, e, depth + 1, &item_end, NULL) == WR_OK && item_end == end) {
					note(&w->warnings, "the last directory record's length runs past the end of the file "
					                   "(its elements are whole)");
					off = end;
					break;
				}
				if (end < w->total)
					return bad(w, "item length runs past its sequence");
				/* the file ends inside this item: its whole elements
				 * still count (the cut) */
				if (dataset(w, off, off + h.vl, false, e, depth + 1, &item_end, NULL) == WR_BAD)
					return WR_BAD;
				mark_cut(w, off);
				return short_at(w, off + h.vl);
			}
			r = dataset(w, off, off + h.vl, false, e, depth + 1, &item_end, NULL);
		}
		if (r != WR_OK)
			return r;
		off = item_end;
	}
	*out_end = off;
	return WR_OK;
}

/*
 * Elements from off. Top level: end is total, stop at Pixel Data.
 * undefined: an undefined-length item, ends at the item delimiter.
 */
static enum wr dataset(struct walker *w, uint64_t off, uint64_t end, bool undefined, struct enc e,
                       int depth, uint64_t *out_end, struct top_info *top)
{
	uint32_t last_tag = 0;
	bool first = true;
	for (;;) {
		if (!undefined && off == end)
			break;
		if (top)
			top->good_end = off;
		struct hdr h;
		enum wr r = header(w, off, end, e, &h);
		if (r == WR_SHORT)
			mark_cut(w, off);
		if (r != WR_OK)
			return r;
		if (h.group == 0xFFFE && h.elem == 0xE00D) {
			if (!undefined)
				return bad(w, "item delimiter in a defined-length item");
			off += 8;
			break;
		}
		if (h.group == 0xFFFE)
			return bad(w, "unexpected item tag in a dataset");
		uint32_t tag = (uint32_t)h.group << 16 | h.elem;
		if (!first && tag <= last_tag && top) {
			top->ascending = false;
		}
		first = false;
		last_tag = tag;
		uint64_t voff = off + h.hlen;

		if (top && tag == 0x7FE00010) {
			top->pixel = true;
			top->pixel_tag_off = off;
			top->pixel_val_off = voff;
			top->pixel_undefined = h.vl == undef_len;
			top->pixel_len = h.vl;
			top->elements++;
			*out_end = off;
			return WR_OK;
		}
		if (h.vl == undef_len) {
			struct enc se = e;
			if (e.explicit_vr && strcmp(h.vr, "UN") == 0) {
				se = (struct enc){ false, false }; /* PS3.5 6.2.2 */
			} else if (e.explicit_vr && strcmp(h.vr, "SQ") != 0) {
				snprintf(w->why, sizeof w->why, "undefined length on VR %s", h.vr);
				return WR_BAD;
			}
			r = sequence(w, voff, UINT64_MAX, true, se, depth, false, &off);
			if (r != WR_OK)
				return r;
		} else {
			uint64_t vend = voff + h.vl;
			int sq;
			if (vend > end) {
				if (end >= w->total) {
					sq = is_sq(w, &h, e);
					if (sq < 0)
						return WR_BAD;
					if (sq && h.vl > 0) {
						/* a sequence the file ends in: its whole items count */
						uint64_t send;
						if (sequence(w, voff, vend, false, e, depth, false, &send) == WR_BAD)
							return WR_BAD;
					}
					mark_cut(w, off);
					return short_at(w, vend);
				}
				return bad(w, "element length runs past its item");
			}
			if (h.vl & 1)
				warn_once(w, &w->warned_odd, "odd value length");
			sq = is_sq(w, &h, e);
			if (sq < 0)
				return WR_BAD;
			if (sq && h.vl > 0) {
				uint64_t send;
				r = sequence(w, voff, vend, false, e, depth,
				             depth == 0 && h.group == 0x0004 && h.elem == 0x1220, &send);
				if (r != WR_OK)
					return r;
			} else if (vend > w->len) {
				mark_cut(w, off);
				return short_at(w, vend);
			}
			off = vend;
		}
		if (top) {
			top->elements++;
			top->good_end = off;
		}
	}
	*out_end = off;
	return WR_OK;
}

void dcm_analysis_init(struct dcm_analysis *a)
{
	memset(a, 0, sizeof *a);
	a->status = DCM_NOT_DICOM;
	a->xfer.id = DCM_XFER_UNKNOWN;
	a->xfer.uid = "";
}

void dcm_analysis_release(struct dcm_analysis *a)
{
	free(a->inflated);
	a->inflated = NULL;
	a->inflated_len = 0;
}

static void set_why(struct dcm_analysis *a, const char *why)
{
	snprintf(a->why, sizeof a->why, "%s", why);
}

static bool first_group_plausible(uint16_t g)
{
	return g == 0x0002 || g == 0x0004 || g == 0x0008;
}

static bool group_ok(uint16_t g, bool strict)
{
	return strict ? first_group_plausible(g) : g != 0 && g < 0xFFFE;
}

/* Do the first element's bytes read sensibly in encoding e? */
static bool enc_fits(const uint8_t *p, uint64_t avail, struct enc e, bool strict)
{
	if (avail < 8)
		return false;
	uint16_t g = e.big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[0] | p[1] << 8);
	bool lv = false;
	if (!group_ok(g, strict))
		return false;
	if (e.explicit_vr)
		return vr_known(p + 4, &lv);
	return e.big ? false : !vr_shape(p + 4) || !strict;
}

/* Guess the encoding of a dataset from its first element. */
static bool guess_enc(const uint8_t *p, uint64_t avail, bool strict, struct enc *e)
{
	if (avail < 8)
		return false;
	uint16_t gle = (uint16_t)(p[0] | p[1] << 8), gbe = (uint16_t)(p[0] << 8 | p[1]);
	bool le = enc_fits(p, avail, (struct enc){ true, false }, strict);
	bool be = enc_fits(p, avail, (struct enc){ true, true }, strict);
	if (le && be) {
		le = gle <= gbe;
		be = !le;
	}
	if (le) {
		*e = (struct enc){ true, false };
		return true;
	}
	if (be) {
		*e = (struct enc){ true, true };
		return true;
	}
	if (enc_fits(p, avail, (struct enc){ false, false }, strict)) {
		*e = (struct enc){ false, false };
		return true;
	}
	return false;
}

/* A meta group value without its padding (spaces, NULs): *s and *n narrowed
 * to it. */
static void meta_string(const uint8_t *p, uint64_t n, const char **s, size_t *sn)
{
	size_t b = 0, e = (size_t)n;
	while (b < e && (p[b] == ' ' || p[b] == '\0'))
		b++;
	while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\0'))
		e--;
	*s = (const char *)p + b;
	*sn = e - b;
}

/* 1: inflated into a->inflated (*why says if it ended early), 0: not (*why
 * says why), -ENOMEM. */
static int inflate_all(const uint8_t *p, size_t n, struct dcm_analysis *a, const char **why)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, -15) != Z_OK) {
		*why = "zlib init failed";
		return 0;
	}
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	int r = Z_OK;
	while (r == Z_OK) {
		size_t have = a->inflated_len;
		if (have >= max_inflated) {
			*why = "deflated dataset larger than the inflate limit";
			inflateEnd(&z);
			return 0;
		}
		size_t chunk = have < 65536 ? 65536 : have;
		if (have + chunk > max_inflated)
			chunk = max_inflated - have;
		uint8_t *grown = realloc(a->inflated, have + chunk);
		if (!grown) {
			inflateEnd(&z);
			return -ENOMEM;
		}
		a->inflated = grown;
		z.next_out = a->inflated + have;
		z.avail_out = (uInt)chunk;
		r = inflate(&z, Z_NO_FLUSH);
		a->inflated_len = have + chunk - z.avail_out;
		if (r == Z_BUF_ERROR && z.avail_in == 0)
			break; /* input ended without stream end */
	}
	inflateEnd(&z);
	if (r != Z_STREAM_END && r != Z_OK && r != Z_BUF_ERROR) {
		*why = "deflated dataset does not inflate";
		return 0;
	}
	if (r != Z_STREAM_END)
		*why = "deflated dataset ends early";
	return 1;
}


int dcm_analyse(const uint8_t *p, size_t len, uint64_t total, struct fat_info *out, struct dcm_analysis *a)
{
	bool part10 = false;
	uint64_t ds_start = 0;
	struct enc e = { true, false };
	bool have_enc = false;
	const char *ts = "";        /* the meta group's transfer syntax, trimmed */
	size_t ts_len = 0;
	char tsz[256] = "";         /* ts as DCMTK is given it: up to its first NUL (no UID is this long) */
	struct dcm_xfer x;

	if (total < len)
		total = len;
	if (len >= 132 && memcmp(p + 128, "DICM", 4) == 0) {
		part10 = true;
	} else if (len < 132 && len < total) {
		/* Can't see the DICM magic yet; a bare dataset may still be told apart. */
		struct enc g;
		if (len >= 8 && !guess_enc(p, len, true, &g)) {
			/* not a bare dataset start; could still be a preamble */
		}
		a->status = DCM_NEED_MORE;
		set_why(a, "prefix shorter than the DICOM preamble");
		return 0;
	}

	struct walker w = { .p = p, .len = len, .total = total };

	if (part10) {
		out->part10 = true;
		/* File meta group: explicit VR little endian (PS3.10 7.1). */
		struct enc me = { true, false };
		if (len >= 140 && !vr_shape(p + 136)) {
			me.explicit_vr = false;
			note(&a->warnings, "file meta group in implicit VR");
		}
		uint64_t off = 132;
		bool have_glen = false, have_ts = false;
		for (;;) {
			if (off + 4 > len) {
				if (len < total) {
					a->status = DCM_NEED_MORE;
					set_why(a, "prefix ends inside the file meta group");
					return 0;
				}
				break; /* only a meta group: checked below */
			}
			if ((uint16_t)(p[off] | p[off + 1] << 8) != 0x0002)
				break;
			struct hdr h;
			enum wr r = header(&w, off, total, me, &h);
			if (r == WR_OK && h.vl == undef_len)
				r = bad(&w, "undefined length in the file meta group");
			if (r == WR_OK && off + h.hlen + h.vl > total)
				r = short_at(&w, off + h.hlen + h.vl);
			if (r == WR_OK && off + h.hlen + h.vl > len)
				r = short_at(&w, off + h.hlen + h.vl);
			if (r == WR_SHORT) {
				if (w.need > total) {
					a->status = DCM_TRUNCATED;
					set_why(a, "file ends inside the file meta group");
				} else {
					a->status = DCM_NEED_MORE;
					set_why(a, "prefix ends inside the file meta group");
				}
				return 0;
			}
			if (r == WR_BAD) {
				a->status = DCM_CORRUPT;
				snprintf(a->why, sizeof a->why, "file meta group: %s", w.why);
				return 0;
			}
			const uint8_t *v = p + off + h.hlen;
			if (h.elem == 0x0000) {
				have_glen = true;
			} else if (h.elem == 0x0002) {
				meta_string(v, h.vl, &a->meta_sop_class, &a->meta_sop_class_len);
			} else if (h.elem == 0x0003) {
				meta_string(v, h.vl, &a->meta_sop_instance, &a->meta_sop_instance_len);
			} else if (h.elem == 0x0010) {
				meta_string(v, h.vl, &ts, &ts_len);
				have_ts = ts_len > 0;
			}
			off += h.hlen + h.vl;
		}
		if (off == 132) {
			a->status = DCM_CORRUPT;
			set_why(a, "DICM magic but no file meta group");
			return 0;
		}
		if (!have_glen)
			note(&a->warnings, "file meta group length missing");
		ds_start = off;
		if (have_ts) {
			size_t k = MIN(ts_len, sizeof tsz - 1);
			memcpy(tsz, ts, k);
			tsz[k] = 0;
			dcm_xfer_by_uid(tsz, &x);
			if (x.id == DCM_XFER_UNKNOWN) {
				dcm_note(&a->warnings, "unknown transfer syntax ", ts, ts_len);
			} else if (x.deflated) {
				if (len < total) {
					a->status = DCM_NEED_MORE;
					set_why(a, "deflated dataset: the whole file is needed");
					return 0;
				}
				const char *why = NULL;
				int ir = inflate_all(p + ds_start, (size_t)(len - ds_start), a, &why);
				if (ir < 0)
					return ir;
				if (ir == 0) {
					a->status = DCM_CORRUPT;
					set_why(a, why);
					return 0;
				}
				if (why)
					note(&a->warnings, why);
				size_t tn = strnlen(tsz, sizeof out->transfer_syntax - 1);
				memcpy(out->transfer_syntax, tsz, tn);
				out->transfer_syntax[tn] = 0;
				out->lossy = false;
				/* Walk the inflated dataset instead; offsets are then inflated ones. */
				w.p = a->inflated;
				w.len = w.total = a->inflated_len;
				p = w.p;
				len = (size_t)w.len;
				total = w.total;
				ds_start = 0;
				e = (struct enc){ true, false };
				have_enc = true;
				dcm_xfer_by_enc(true, false, &a->xfer);
				a->deflated = true;
				note(&a->warnings, "deflated: pixel data offsets refer to the inflated dataset");
			} else {
				e = (struct enc){ x.explicit_vr, x.big_endian };
				have_enc = true;
				a->xfer = x;
			}
		} else {
			note(&a->warnings, "no transfer syntax in the file meta group");
		}
		/* Does the dataset agree with the declared encoding? */
		if (have_enc && !a->deflated && ds_start + 8 <= len) {
			struct enc g;
			if (!enc_fits(p + ds_start, len - ds_start, e, false) &&
			    guess_enc(p + ds_start, len - ds_start, false, &g)) {
				note(&a->warnings, "dataset encoding differs from the declared transfer syntax");
				out->xfer_mismatch = true;
				e = g;
			}
		}
		if (!have_enc) {
			if (ds_start == total) {
				have_enc = true;
			} else if (ds_start + 8 > len) {
				if (len < total) {
					a->status = DCM_NEED_MORE;
					set_why(a, "prefix ends before the dataset");
					return 0;
				}
				a->status = DCM_TRUNCATED;
				set_why(a, "file ends inside the first dataset element");
				return 0;
			} else if (guess_enc(p + ds_start, len - ds_start, false, &e)) {
				have_enc = true;
			} else {
				a->status = DCM_CORRUPT;
				set_why(a, "dataset encoding cannot be recognised");
				return 0;
			}
		}
	} else {
		if (!guess_enc(p, len, true, &e)) {
			a->status = DCM_NOT_DICOM;
			set_why(a, "no DICM magic and not a dataset");
			return 0;
		}
		have_enc = true;
		note(&a->warnings, "no Part 10 file meta header");
	}
	if (a->xfer.id == DCM_XFER_UNKNOWN) {
		dcm_xfer_by_enc(e.explicit_vr, e.big, &a->xfer);
	} else if (e.explicit_vr != a->xfer.explicit_vr || e.big != a->xfer.big_endian) {
		/* declared syntax overridden by what the bytes say */
		dcm_xfer_by_enc(e.explicit_vr, e.big, &a->xfer);
	}
	if (ts_len && out->transfer_syntax[0] == 0)
		dcm_copy_utf8(out->transfer_syntax, sizeof out->transfer_syntax, ts, ts_len);
	if (out->transfer_syntax[0] == 0)
		dcm_copy_utf8(out->transfer_syntax, sizeof out->transfer_syntax, a->xfer.uid, strlen(a->xfer.uid));
	out->big_endian = e.big;
	if (ts_len) {
		dcm_xfer_by_uid(tsz, &x);
		if (x.id != DCM_XFER_UNKNOWN && x.lossy)
			out->lossy = true;
	}

	struct top_info ti = { .ascending = true };
	uint64_t end_off = 0;
	enum wr r = dataset(&w, ds_start, total, false, e, 0, &end_off, &ti);
	if (w.nomem)
		return -ENOMEM;
	notes_append(&a->warnings, &w.warnings);
	if (!ti.ascending)
		note(&a->warnings, "elements out of order");

	if (!part10) {
		/* Be strict: a bare dataset must read as several ordered elements. */
		bool plausible = ti.ascending && (ti.elements >= 3 || (r == WR_OK && ti.elements >= 2));
		if (r == WR_BAD && ti.elements < 4) {
			a->status = DCM_NOT_DICOM;
			snprintf(a->why, sizeof a->why, "not a DICOM dataset: %s", w.why);
			return 0;
		}
		if (r == WR_SHORT && w.need <= total && !plausible) {
			a->status = DCM_NEED_MORE;
			set_why(a, "prefix too short to recognise a dataset");
			return 0;
		}
		if (!plausible && r != WR_BAD) {
			a->status = DCM_NOT_DICOM;
			set_why(a, "too few elements for a DICOM dataset");
			return 0;
		}
	}

	a->ds = p + ds_start;
	a->ds_len = (size_t)(ti.good_end - ds_start);
	if (w.have_cut && w.cut > ds_start)
		a->ds_whole_len = (size_t)(w.cut - ds_start);
	out->header_bytes = ti.pixel ? ti.pixel_tag_off : ti.good_end;

	if (r == WR_SHORT) {
		if (w.need > total) {
			a->status = DCM_TRUNCATED;
			char b[160];
			snprintf(b, sizeof b, "element at offset %llu runs past the end (needs %llu of %llu bytes)",
			         (unsigned long long)ti.good_end, (unsigned long long)w.need,
			         (unsigned long long)total);
			set_why(a, b);
		} else {
			a->status = DCM_NEED_MORE;
			set_why(a, "prefix ends inside the header");
		}
		return 0;
	}
	if (r == WR_BAD) {
		a->status = DCM_CORRUPT;
		char b[64];
		snprintf(b, sizeof b, " (element at offset %llu)", (unsigned long long)ti.good_end);
		snprintf(a->why, sizeof a->why, "%s%s", w.why, b);
		return 0;
	}

	if (ti.pixel) {
		out->has_pixel_data = true;
		if (!a->deflated)
			out->pixel_data_offset = ti.pixel_val_off;
		out->pixel_data_length = ti.pixel_undefined ? UINT64_MAX : ti.pixel_len;
		if (!ti.pixel_undefined) {
			if (ti.pixel_val_off + ti.pixel_len > total) {
				a->status = DCM_TRUNCATED;
				char b[160];
				snprintf(b, sizeof b, "pixel data declares %llu bytes, only %llu present",
				         (unsigned long long)ti.pixel_len,
				         (unsigned long long)(total - MIN(ti.pixel_val_off, total)));
				set_why(a, b);
			}
		} else {
			/* Encapsulated: walk the fragment items we hold. */
			uint64_t off = ti.pixel_val_off;
			unsigned items = 0;
			for (;;) {
				if (off + 8 > len) {
					if (len == total) {
						a->status = DCM_TRUNCATED;
						set_why(a, "encapsulated pixel data ends without a sequence delimiter");
					}
					break; /* beyond our prefix: not checked */
				}
				uint16_t g = u16(&w, off, e.big), el = u16(&w, off + 2, e.big);
				uint64_t il = u32(&w, off + 4, e.big);
				if (g == 0xFFFE && el == 0xE0DD)
					break;
				if (g != 0xFFFE || el != 0xE000 || il == undef_len) {
					note(&a->warnings, "malformed encapsulated pixel data item");
					break;
				}
				if (off + 8 + il > total) {
					a->status = DCM_TRUNCATED;
					char b[160];
					snprintf(b, sizeof b, "pixel data fragment %u declares %llu bytes past the end",
					         items, (unsigned long long)(off + 8 + il - total));
					set_why(a, b);
					break;
				}
				off += 8 + il;
				items++;
			}
		}
	}
	if (a->status == DCM_NOT_DICOM)
		a->status = a->warnings.n == 0 ? DCM_OK : DCM_WARN;
	return 0;
}
