/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DCMTK wrapper: the only C++ in ingestd.
 *
 * Two passes over a prefix of the object:
 *  1. our own structural walk (this file): Part 10 preamble and meta group,
 *     transfer syntax detection, every element header up to Pixel Data,
 *     nested sequences/items checked against their containers, Pixel Data
 *     length (or its fragment items) checked against the object's size. This
 *     decides OK / TRUNCATED / CORRUPT / NOT_DICOM / NEED_MORE and finds the
 *     offsets, without trusting a single length.
 *  2. DCMTK reads only the verified bytes before Pixel Data (so no declared
 *     length it sees can exceed what we hold, and pixel data is never
 *     loaded), converts strings to UTF-8 and gives us the values.
 * No C++ type or exception crosses the C header: every exported function
 * catches everything.
 */
#include "dcm.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <zlib.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>
#include <dcmtk/ofstd/ofstd.h>

namespace {

/* Nesting of sequences accepted before we call the object corrupt. */
const int max_depth = 32;
/* A deflated dataset is inflated in memory; this bounds it.
 * TODO(lead): should come from struct ing_limits (max_dicom_header_bytes). */
const size_t max_inflated = 64u << 20;

const uint64_t undef_len = 0xFFFFFFFFu;

enum class wr { ok, short_data, bad };

struct enc {
	bool explicit_vr;
	bool big;
};

bool vr_known(const uint8_t *v, bool *long_len)
{
	static const char long_vrs[][3] = { "OB", "OD", "OF", "OL", "OV", "OW", "SQ",
	                                    "SV", "UC", "UN", "UR", "UT", "UV" };
	static const char short_vrs[][3] = { "AE", "AS", "AT", "CS", "DA", "DS", "DT",
	                                     "FD", "FL", "IS", "LO", "LT", "PN", "SH",
	                                     "SL", "SS", "ST", "TM", "UI", "UL", "US" };
	for (auto &s : long_vrs)
		if (v[0] == (uint8_t)s[0] && v[1] == (uint8_t)s[1]) {
			*long_len = true;
			return true;
		}
	for (auto &s : short_vrs)
		if (v[0] == (uint8_t)s[0] && v[1] == (uint8_t)s[1]) {
			*long_len = false;
			return true;
		}
	return false;
}

bool vr_shape(const uint8_t *v)
{
	return v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z';
}

/* The structural walk over buf[0, len) of an object whose real size is total. */
struct walker {
	const uint8_t *p;
	uint64_t len;
	uint64_t total;
	uint64_t need = 0;          /* offset we would need bytes up to */
	std::string why;            /* for bad / truncated */
	std::vector<std::string> warnings;
	bool warned_odd = false, warned_vr = false;

	uint16_t u16(uint64_t off, bool big) const
	{
		return big ? (uint16_t)(p[off] << 8 | p[off + 1]) : (uint16_t)(p[off] | p[off + 1] << 8);
	}
	uint32_t u32(uint64_t off, bool big) const
	{
		return big ? ((uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
		              (uint32_t)p[off + 2] << 8 | p[off + 3])
		           : ((uint32_t)p[off + 3] << 24 | (uint32_t)p[off + 2] << 16 |
		              (uint32_t)p[off + 1] << 8 | p[off]);
	}
	wr short_at(uint64_t off)
	{
		need = off;
		return wr::short_data;
	}
	wr bad(const std::string &w)
	{
		why = w;
		return wr::bad;
	}
	void warn_once(bool *flag, const char *w)
	{
		if (!*flag) {
			*flag = true;
			warnings.push_back(w);
		}
	}

	struct hdr {
		uint16_t group, elem;
		char vr[3];
		uint64_t vl;
		uint64_t hlen;
	};

	/* One element header at off; end is the end of its container. */
	wr header(uint64_t off, uint64_t end, enc e, hdr *h)
	{
		if (off + 8 > end)
			return end >= total && off + 8 > total ? short_at(off + 8)
			                                       : bad("element header runs past its container");
		if (off + 8 > len)
			return short_at(off + 8);
		h->group = u16(off, e.big);
		h->elem = u16(off + 2, e.big);
		h->vr[0] = 0;
		if (!e.explicit_vr || h->group == 0xFFFE) {
			h->vl = u32(off + 4, e.big);
			h->hlen = 8;
			return wr::ok;
		}
		const uint8_t *v = p + off + 4;
		bool long_len = false;
		if (!vr_known(v, &long_len)) {
			if (!vr_shape(v))
				return bad("invalid VR");
			/* PS3.5 7.1.2: VRs defined later use the 4-byte length form. */
			long_len = true;
			warn_once(&warned_vr, "unknown VR");
		}
		h->vr[0] = (char)v[0];
		h->vr[1] = (char)v[1];
		h->vr[2] = 0;
		if (!long_len) {
			h->vl = u16(off + 6, e.big);
			h->hlen = 8;
			return wr::ok;
		}
		if (off + 12 > end)
			return end >= total && off + 12 > total ? short_at(off + 12)
			                                        : bad("element header runs past its container");
		if (off + 12 > len)
			return short_at(off + 12);
		h->vl = u32(off + 8, e.big);
		h->hlen = 12;
		return wr::ok;
	}

	bool is_sq(const hdr &h, enc e)
	{
		if (e.explicit_vr)
			return strcmp(h.vr, "SQ") == 0;
		if (h.vl == undef_len)
			return true;
		DcmTag t(h.group, h.elem);
		return t.getEVR() == EVR_SQ;
	}

	/* Items of a sequence from off to end (undefined: until the delimiter). */
	wr sequence(uint64_t off, uint64_t end, bool undefined, enc e, int depth, uint64_t *out_end)
	{
		if (depth > max_depth)
			return bad("sequences nested too deep");
		for (;;) {
			if (!undefined && off == end)
				break;
			hdr h;
			enc ie = e;
			ie.explicit_vr = false; /* item tags never carry a VR */
			wr r = header(off, end, ie, &h);
			if (r != wr::ok)
				return r;
			if (h.group == 0xFFFE && h.elem == 0xE0DD) {
				off += 8;
				if (!undefined)
					warnings.push_back("sequence delimiter in defined-length sequence");
				break;
			}
			if (h.group != 0xFFFE || h.elem != 0xE000)
				return bad("expected an item in a sequence");
			off += 8;
			uint64_t item_end;
			if (h.vl == undef_len) {
				r = dataset(off, UINT64_MAX, true, e, depth + 1, &item_end, nullptr);
			} else {
				if (off + h.vl > end) {
					if (end >= total)
						return short_at(off + h.vl);
					return bad("item length runs past its sequence");
				}
				r = dataset(off, off + h.vl, false, e, depth + 1, &item_end, nullptr);
			}
			if (r != wr::ok)
				return r;
			off = item_end;
		}
		*out_end = off;
		return wr::ok;
	}

	struct top_info {
		uint64_t good_end = 0;      /* end of the last complete top-level element */
		unsigned elements = 0;
		bool ascending = true;
		bool pixel = false;
		uint64_t pixel_tag_off = 0, pixel_val_off = 0, pixel_len = 0;
		bool pixel_undefined = false;
	};

	/*
	 * Elements from off. Top level: end is total, stop at Pixel Data.
	 * undefined: an undefined-length item, ends at the item delimiter.
	 */
	wr dataset(uint64_t off, uint64_t end, bool undefined, enc e, int depth,
	           uint64_t *out_end, top_info *top)
	{
		uint32_t last_tag = 0;
		bool first = true;
		for (;;) {
			if (!undefined && off == end)
				break;
			if (top)
				top->good_end = off;
			hdr h;
			wr r = header(off, end, e, &h);
			if (r != wr::ok)
				return r;
			if (h.group == 0xFFFE && h.elem == 0xE00D) {
				if (!undefined)
					return bad("item delimiter in a defined-length item");
				off += 8;
				break;
			}
			if (h.group == 0xFFFE)
				return bad("unexpected item tag in a dataset");
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
				return wr::ok;
			}
			if (h.vl == undef_len) {
				enc se = e;
				if (e.explicit_vr && strcmp(h.vr, "UN") == 0)
					se = enc{ false, false }; /* PS3.5 6.2.2 */
				else if (e.explicit_vr && strcmp(h.vr, "SQ") != 0)
					return bad(std::string("undefined length on VR ") + h.vr);
				r = sequence(voff, UINT64_MAX, true, se, depth, &off);
				if (r != wr::ok)
					return r;
			} else {
				uint64_t vend = voff + h.vl;
				if (vend > end) {
					if (end >= total)
						return short_at(vend);
					return bad("element length runs past its item");
				}
				if (h.vl & 1)
					warn_once(&warned_odd, "odd value length");
				if (is_sq(h, e) && h.vl > 0) {
					uint64_t send;
					r = sequence(voff, vend, false, e, depth, &send);
					if (r != wr::ok)
						return r;
				} else if (vend > len) {
					return short_at(vend);
				}
				off = vend;
			}
			if (top) {
				top->elements++;
				top->good_end = off;
			}
		}
		*out_end = off;
		return wr::ok;
	}
};

struct analysis {
	enum dcm_status status = DCM_NOT_DICOM;
	std::vector<std::string> warnings;
	std::string why;
	const uint8_t *ds = nullptr;  /* the dataset bytes DCMTK reads */
	size_t ds_len = 0;
	E_TransferSyntax xfer = EXS_Unknown;
	bool deflated = false;
	std::vector<uint8_t> inflated;
	std::string meta_sop_class, meta_sop_instance;
};

std::string trim(const std::string &s)
{
	size_t b = 0, e = s.size();
	while (b < e && (s[b] == ' ' || s[b] == '\0'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\0'))
		e--;
	return s.substr(b, e - b);
}

/* Copy as valid UTF-8: bad sequences become U+FFFD, controls '?'; never split
 * a sequence when truncating. */
void copy_utf8(char *dst, size_t cap, const std::string &src)
{
	size_t o = 0;
	const unsigned char *s = (const unsigned char *)src.data();
	size_t n = src.size(), i = 0;
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

void set_msg(struct dcm_info *out, const std::string &m)
{
	copy_utf8(out->message, sizeof out->message, m);
}

std::string join(const std::vector<std::string> &v)
{
	std::string s;
	for (auto &w : v) {
		if (!s.empty())
			s += "; ";
		s += w;
	}
	return s;
}

bool first_group_plausible(uint16_t g)
{
	return g == 0x0002 || g == 0x0004 || g == 0x0008;
}

bool group_ok(uint16_t g, bool strict)
{
	return strict ? first_group_plausible(g) : g != 0 && g < 0xFFFE;
}

/* Do the first element's bytes read sensibly in encoding e? */
bool enc_fits(const uint8_t *p, uint64_t avail, enc e, bool strict)
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
bool guess_enc(const uint8_t *p, uint64_t avail, bool strict, enc *e)
{
	if (avail < 8)
		return false;
	uint16_t gle = (uint16_t)(p[0] | p[1] << 8), gbe = (uint16_t)(p[0] << 8 | p[1]);
	bool le = enc_fits(p, avail, enc{ true, false }, strict);
	bool be = enc_fits(p, avail, enc{ true, true }, strict);
	if (le && be) {
		le = gle <= gbe;
		be = !le;
	}
	if (le) {
		*e = { true, false };
		return true;
	}
	if (be) {
		*e = { true, true };
		return true;
	}
	if (enc_fits(p, avail, enc{ false, false }, strict)) {
		*e = { false, false };
		return true;
	}
	return false;
}

std::string meta_string(const uint8_t *p, uint64_t n)
{
	return trim(std::string((const char *)p, n));
}

bool inflate_all(const uint8_t *p, size_t n, std::vector<uint8_t> *out, std::string *why)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, -15) != Z_OK) {
		*why = "zlib init failed";
		return false;
	}
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	int r = Z_OK;
	while (r == Z_OK) {
		size_t have = out->size();
		if (have >= max_inflated) {
			*why = "deflated dataset larger than the inflate limit";
			inflateEnd(&z);
			return false;
		}
		size_t chunk = have < 65536 ? 65536 : have;
		if (have + chunk > max_inflated)
			chunk = max_inflated - have;
		out->resize(have + chunk);
		z.next_out = out->data() + have;
		z.avail_out = (uInt)chunk;
		r = inflate(&z, Z_NO_FLUSH);
		out->resize(have + chunk - z.avail_out);
		if (r == Z_BUF_ERROR && z.avail_in == 0)
			break; /* input ended without stream end */
	}
	inflateEnd(&z);
	if (r != Z_STREAM_END && r != Z_OK && r != Z_BUF_ERROR) {
		*why = "deflated dataset does not inflate";
		return false;
	}
	if (r != Z_STREAM_END)
		*why = "deflated dataset ends early";
	return true;
}

void analyse(const uint8_t *p, size_t len, uint64_t total, struct dcm_info *out, analysis *a)
{
	bool part10 = false;
	uint64_t ds_start = 0;
	enc e{ true, false };
	bool have_enc = false;
	std::string ts;

	if (total < len)
		total = len;
	if (len >= 132 && memcmp(p + 128, "DICM", 4) == 0) {
		part10 = true;
	} else if (len < 132 && len < total) {
		/* Can't see the DICM magic yet; a bare dataset may still be told apart. */
		enc g;
		if (len >= 8 && !guess_enc(p, len, true, &g)) {
			/* not a bare dataset start; could still be a preamble */
		}
		a->status = DCM_NEED_MORE;
		a->why = "prefix shorter than the DICOM preamble";
		return;
	}

	walker w;
	w.p = p;
	w.len = len;
	w.total = total;

	if (part10) {
		out->part10 = true;
		/* File meta group: explicit VR little endian (PS3.10 7.1). */
		enc me{ true, false };
		if (len >= 140 && !vr_shape(p + 136)) {
			me.explicit_vr = false;
			a->warnings.push_back("file meta group in implicit VR");
		}
		uint64_t off = 132;
		bool have_glen = false, have_ts = false;
		for (;;) {
			if (off + 4 > len) {
				if (len < total) {
					a->status = DCM_NEED_MORE;
					a->why = "prefix ends inside the file meta group";
					return;
				}
				break; /* only a meta group: checked below */
			}
			if ((uint16_t)(p[off] | p[off + 1] << 8) != 0x0002)
				break;
			walker::hdr h;
			wr r = w.header(off, total, me, &h);
			if (r == wr::ok && h.vl == undef_len)
				r = w.bad("undefined length in the file meta group");
			if (r == wr::ok && off + h.hlen + h.vl > total)
				r = w.short_at(off + h.hlen + h.vl);
			if (r == wr::ok && off + h.hlen + h.vl > len)
				r = w.short_at(off + h.hlen + h.vl);
			if (r == wr::short_data) {
				if (w.need > total) {
					a->status = DCM_TRUNCATED;
					a->why = "file ends inside the file meta group";
				} else {
					a->status = DCM_NEED_MORE;
					a->why = "prefix ends inside the file meta group";
				}
				return;
			}
			if (r == wr::bad) {
				a->status = DCM_CORRUPT;
				a->why = "file meta group: " + w.why;
				return;
			}
			const uint8_t *v = p + off + h.hlen;
			if (h.elem == 0x0000)
				have_glen = true;
			else if (h.elem == 0x0002)
				a->meta_sop_class = meta_string(v, h.vl);
			else if (h.elem == 0x0003)
				a->meta_sop_instance = meta_string(v, h.vl);
			else if (h.elem == 0x0010) {
				ts = meta_string(v, h.vl);
				have_ts = !ts.empty();
			}
			off += h.hlen + h.vl;
		}
		if (off == 132) {
			a->status = DCM_CORRUPT;
			a->why = "DICM magic but no file meta group";
			return;
		}
		if (!have_glen)
			a->warnings.push_back("file meta group length missing");
		ds_start = off;
		if (have_ts) {
			DcmXfer x(ts.c_str());
			if (x.getXfer() == EXS_Unknown) {
				a->warnings.push_back("unknown transfer syntax " + ts);
			} else if (x.getStreamCompression() == ESC_zlib) {
				if (len < total) {
					a->status = DCM_NEED_MORE;
					a->why = "deflated dataset: the whole file is needed";
					return;
				}
				std::string why;
				if (!inflate_all(p + ds_start, (size_t)(len - ds_start), &a->inflated, &why)) {
					a->status = DCM_CORRUPT;
					a->why = why;
					return;
				}
				if (!why.empty())
					a->warnings.push_back(why);
				strncpy(out->transfer_syntax, ts.c_str(), sizeof out->transfer_syntax - 1);
				out->lossy = false;
				/* Walk the inflated dataset instead; offsets are then inflated ones. */
				w.p = a->inflated.data();
				w.len = w.total = a->inflated.size();
				p = w.p;
				len = (size_t)w.len;
				total = w.total;
				ds_start = 0;
				e = { true, false };
				have_enc = true;
				a->xfer = EXS_LittleEndianExplicit;
				a->deflated = true;
				a->warnings.push_back("deflated: pixel data offsets refer to the inflated dataset");
			} else {
				e = { x.isExplicitVR() != OFFalse, x.isBigEndian() != OFFalse };
				have_enc = true;
				a->xfer = x.getXfer();
			}
		} else {
			a->warnings.push_back("no transfer syntax in the file meta group");
		}
		/* Does the dataset agree with the declared encoding? */
		if (have_enc && !a->deflated && ds_start + 8 <= len) {
			enc g;
			if (!enc_fits(p + ds_start, len - ds_start, e, false) &&
			    guess_enc(p + ds_start, len - ds_start, false, &g)) {
				a->warnings.push_back("dataset encoding differs from the declared transfer syntax");
				e = g;
			}
		}
		if (!have_enc) {
			if (ds_start == total) {
				have_enc = true;
			} else if (ds_start + 8 > len) {
				if (len < total) {
					a->status = DCM_NEED_MORE;
					a->why = "prefix ends before the dataset";
					return;
				}
				a->status = DCM_TRUNCATED;
				a->why = "file ends inside the first dataset element";
				return;
			} else if (guess_enc(p + ds_start, len - ds_start, false, &e)) {
				have_enc = true;
			} else {
				a->status = DCM_CORRUPT;
				a->why = "dataset encoding cannot be recognised";
				return;
			}
		}
	} else {
		if (!guess_enc(p, len, true, &e)) {
			a->status = DCM_NOT_DICOM;
			a->why = "no DICM magic and not a dataset";
			return;
		}
		have_enc = true;
		a->warnings.push_back("no Part 10 file meta header");
	}
	if (a->xfer == EXS_Unknown) {
		a->xfer = !e.explicit_vr ? EXS_LittleEndianImplicit
		                         : e.big ? EXS_BigEndianExplicit : EXS_LittleEndianExplicit;
	} else if (e.explicit_vr != (DcmXfer(a->xfer).isExplicitVR() != OFFalse) ||
	           e.big != (DcmXfer(a->xfer).isBigEndian() != OFFalse)) {
		/* declared syntax overridden by what the bytes say */
		a->xfer = !e.explicit_vr ? EXS_LittleEndianImplicit
		                         : e.big ? EXS_BigEndianExplicit : EXS_LittleEndianExplicit;
	}
	if (!ts.empty() && out->transfer_syntax[0] == 0)
		copy_utf8(out->transfer_syntax, sizeof out->transfer_syntax, ts);
	if (out->transfer_syntax[0] == 0)
		copy_utf8(out->transfer_syntax, sizeof out->transfer_syntax, DcmXfer(a->xfer).getXferID());
	out->big_endian = e.big;
	if (!ts.empty()) {
		DcmXfer x(ts.c_str());
		if (x.getXfer() != EXS_Unknown && x.isLossy())
			out->lossy = true;
	}

	walker::top_info ti;
	uint64_t end_off = 0;
	wr r = w.dataset(ds_start, total, false, e, 0, &end_off, &ti);
	for (auto &x : w.warnings)
		a->warnings.push_back(x);
	if (!ti.ascending)
		a->warnings.push_back("elements out of order");

	if (!part10) {
		/* Be strict: a bare dataset must read as several ordered elements. */
		bool plausible = ti.ascending && (ti.elements >= 3 || (r == wr::ok && ti.elements >= 2));
		if (r == wr::bad && ti.elements < 4) {
			a->status = DCM_NOT_DICOM;
			a->why = "not a DICOM dataset: " + w.why;
			return;
		}
		if (r == wr::short_data && w.need <= total && !plausible) {
			a->status = DCM_NEED_MORE;
			a->why = "prefix too short to recognise a dataset";
			return;
		}
		if (!plausible && r != wr::bad) {
			a->status = DCM_NOT_DICOM;
			a->why = "too few elements for a DICOM dataset";
			return;
		}
	}

	a->ds = p + ds_start;
	a->ds_len = (size_t)(ti.good_end - ds_start);
	out->header_bytes = ti.pixel ? ti.pixel_tag_off : ti.good_end;

	if (r == wr::short_data) {
		if (w.need > total) {
			a->status = DCM_TRUNCATED;
			char b[160];
			snprintf(b, sizeof b, "element at offset %llu runs past the end (needs %llu of %llu bytes)",
			         (unsigned long long)ti.good_end, (unsigned long long)w.need,
			         (unsigned long long)total);
			a->why = b;
		} else {
			a->status = DCM_NEED_MORE;
			a->why = "prefix ends inside the header";
		}
		return;
	}
	if (r == wr::bad) {
		a->status = DCM_CORRUPT;
		char b[64];
		snprintf(b, sizeof b, " (element at offset %llu)", (unsigned long long)ti.good_end);
		a->why = w.why + b;
		return;
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
				         (unsigned long long)(total - std::min<uint64_t>(ti.pixel_val_off, total)));
				a->why = b;
			}
		} else {
			/* Encapsulated: walk the fragment items we hold. */
			uint64_t off = ti.pixel_val_off;
			unsigned items = 0;
			for (;;) {
				if (off + 8 > len) {
					if (len == total) {
						a->status = DCM_TRUNCATED;
						a->why = "encapsulated pixel data ends without a sequence delimiter";
					}
					break; /* beyond our prefix: not checked */
				}
				uint16_t g = w.u16(off, e.big), el = w.u16(off + 2, e.big);
				uint64_t il = w.u32(off + 4, e.big);
				if (g == 0xFFFE && el == 0xE0DD)
					break;
				if (g != 0xFFFE || el != 0xE000 || il == undef_len) {
					a->warnings.push_back("malformed encapsulated pixel data item");
					break;
				}
				if (off + 8 + il > total) {
					a->status = DCM_TRUNCATED;
					char b[160];
					snprintf(b, sizeof b, "pixel data fragment %u declares %llu bytes past the end",
					         items, (unsigned long long)(off + 8 + il - total));
					a->why = b;
					break;
				}
				off += 8 + il;
				items++;
			}
		}
	}
	if (a->status == DCM_NOT_DICOM)
		a->status = a->warnings.empty() ? DCM_OK : DCM_WARN;
}



void dcmtk_init(void)
{
	static std::once_flag once;
	std::call_once(once, [] {
		OFLog::configure(OFLogger::OFF_LOG_LEVEL);
		OFLog::getLogger("dcmtk").setLogLevel(OFLogger::OFF_LOG_LEVEL);
	});
}

/* Read the verified dataset bytes with DCMTK. */
OFCondition read_dataset(const analysis &a, DcmDataset &ds)
{
	if (a.ds_len == 0)
		return EC_Normal;
	DcmInputBufferStream is;
	is.setBuffer(a.ds, (offile_off_t)a.ds_len);
	is.setEos();
	ds.transferInit();
	OFCondition c = ds.read(is, a.xfer, EGL_noChange, DCM_MaxReadLength);
	ds.transferEnd();
	if (c == EC_EndOfStream)
		c = EC_Normal;
	return c;
}

/* The value of an element as text; elements some writers store with VR UN
 * (e.g. Modality, Image Position) are taken as their raw bytes. */
bool get_text(DcmItem &it, const DcmTagKey &k, std::string *out)
{
	DcmElement *el = nullptr;
	if (it.findAndGetElement(k, el).bad() || !el)
		return false;
	if (el->ident() == EVR_UN) {
		Uint8 *raw = nullptr;
		if (el->getUint8Array(raw).bad() || !raw)
			return false;
		*out = trim(std::string((const char *)raw, el->getLength()));
		return true;
	}
	OFString s;
	if (el->getOFStringArray(s).bad())
		return false;
	*out = trim(std::string(s.c_str(), s.length()));
	return true;
}

void get_str(DcmItem &it, const DcmTagKey &k, char *dst, size_t cap)
{
	std::string s;
	if (get_text(it, k, &s))
		copy_utf8(dst, cap, s);
}

/* Up to n decimal values of a DS/IS element (locale-independent). */
size_t get_numbers(DcmItem &it, const DcmTagKey &k, double *v, size_t n)
{
	std::string s;
	if (!get_text(it, k, &s))
		return 0;
	size_t got = 0, pos = 0;
	while (got < n && pos <= s.size()) {
		size_t bs = s.find('\\', pos);
		std::string part = trim(s.substr(pos, bs == std::string::npos ? std::string::npos : bs - pos));
		if (part.empty())
			return 0;
		OFBool ok = OFFalse;
		double d = OFStandard::atof(part.c_str(), &ok);
		if (!ok || !std::isfinite(d))
			return 0;
		v[got++] = d;
		if (bs == std::string::npos)
			break;
		pos = bs + 1;
	}
	return got;
}

bool get_int(DcmItem &it, const DcmTagKey &k, int32_t *v)
{
	double d;
	if (get_numbers(it, k, &d, 1) != 1 || d < INT32_MIN || d > INT32_MAX || d != std::floor(d))
		return false;
	*v = (int32_t)d;
	return true;
}

void fill_fields(DcmDataset &ds, const analysis &a, struct dcm_info *out,
                 std::vector<std::string> *warnings)
{
	OFString cs;
	if (ds.findAndGetOFStringArray(DCM_SpecificCharacterSet, cs).good())
		copy_utf8(out->specific_charset, sizeof out->specific_charset,
		          trim(std::string(cs.c_str(), cs.length())));
	std::string csv = out->specific_charset;
	if (!csv.empty() && csv != "ISO_IR 192" && csv != "ISO_IR 6") {
		OFCondition c = ds.convertCharacterSet("ISO_IR 192", 0);
		if (c.bad())
			warnings->push_back(std::string("character set conversion failed: ") + c.text());
	}

	get_str(ds, DCM_SOPClassUID, out->sop_class_uid, sizeof out->sop_class_uid);
	if (!out->sop_class_uid[0])
		copy_utf8(out->sop_class_uid, sizeof out->sop_class_uid, a.meta_sop_class);
	get_str(ds, DCM_SOPInstanceUID, out->sop_instance_uid, sizeof out->sop_instance_uid);
	if (!out->sop_instance_uid[0])
		copy_utf8(out->sop_instance_uid, sizeof out->sop_instance_uid, a.meta_sop_instance);
	get_str(ds, DCM_StudyInstanceUID, out->study_uid, sizeof out->study_uid);
	get_str(ds, DCM_SeriesInstanceUID, out->series_uid, sizeof out->series_uid);
	get_str(ds, DCM_PatientName, out->patient_name, sizeof out->patient_name);
	get_str(ds, DCM_PatientID, out->patient_id, sizeof out->patient_id);
	get_str(ds, DCM_PatientBirthDate, out->patient_birth_date, sizeof out->patient_birth_date);
	get_str(ds, DCM_PatientSex, out->patient_sex, sizeof out->patient_sex);
	get_str(ds, DCM_Modality, out->modality, sizeof out->modality);
	get_str(ds, DCM_StudyDate, out->study_date, sizeof out->study_date);
	get_str(ds, DCM_SeriesDate, out->series_date, sizeof out->series_date);
	get_str(ds, DCM_StudyDescription, out->study_description, sizeof out->study_description);
	get_str(ds, DCM_SeriesDescription, out->series_description, sizeof out->series_description);
	get_str(ds, DCM_BodyPartExamined, out->body_part, sizeof out->body_part);
	get_str(ds, DCM_InstitutionName, out->institution, sizeof out->institution);
	get_str(ds, DCM_AccessionNumber, out->accession, sizeof out->accession);
	get_str(ds, DCM_ContrastBolusAgent, out->contrast_agent, sizeof out->contrast_agent);
	DcmItem *rp = nullptr;
	if (ds.findAndGetSequenceItem(DCM_RadiopharmaceuticalInformationSequence, rp, 0).good() && rp)
		get_str(*rp, DCM_Radiopharmaceutical, out->radiopharmaceutical,
		        sizeof out->radiopharmaceutical);

	int32_t v = 0;
	if (get_int(ds, DCM_InstanceNumber, &v)) {
		out->has_instance_number = true;
		out->instance_number = v;
	}
	out->has_position = get_numbers(ds, DCM_ImagePositionPatient, out->image_position, 3) == 3;
	if (!out->has_position)
		memset(out->image_position, 0, sizeof out->image_position);
	out->has_orientation = get_numbers(ds, DCM_ImageOrientationPatient, out->image_orientation, 6) == 6;
	if (!out->has_orientation)
		memset(out->image_orientation, 0, sizeof out->image_orientation);
	double th;
	if (get_numbers(ds, DCM_SliceThickness, &th, 1) == 1)
		out->slice_thickness = th;
	if (get_int(ds, DCM_NumberOfFrames, &v) && v >= 1)
		out->number_of_frames = v;
	std::string lossy;
	if (get_text(ds, DCM_LossyImageCompression, &lossy) && lossy == "01")
		out->lossy = true;
}

enum dcm_status read_header(const void *buf, size_t len, uint64_t total, struct dcm_info *out)
{
	dcmtk_init();
	memset(out, 0, sizeof *out);
	out->number_of_frames = 1;
	analysis a;
	if (!buf)
		len = 0;
	if (len == 0) {
		out->status = total > 0 ? DCM_NEED_MORE : DCM_NOT_DICOM;
		set_msg(out, total > 0 ? "no bytes given" : "empty");
		return out->status;
	}
	analyse((const uint8_t *)buf, len, total, out, &a);
	if (a.status == DCM_NOT_DICOM || a.status == DCM_NEED_MORE ||
	    (a.status == DCM_CORRUPT && a.ds == nullptr)) {
		out->status = a.status;
		set_msg(out, a.why);
		return out->status;
	}
	/* Values from everything verified (for a truncated or corrupt object, the
	 * complete elements before the damage). */
	DcmDataset ds;
	OFCondition c = read_dataset(a, ds);
	if (c.bad()) {
		if (a.status == DCM_OK || a.status == DCM_WARN) {
			a.status = DCM_CORRUPT;
			a.why = std::string("DCMTK cannot parse the dataset: ") + c.text();
		}
	} else {
		fill_fields(ds, a, out, &a.warnings);
	}
	if (a.status == DCM_OK && !a.warnings.empty())
		a.status = DCM_WARN;
	std::string msg = a.why;
	if (!a.warnings.empty()) {
		if (!msg.empty())
			msg += "; ";
		msg += join(a.warnings);
	}
	out->status = a.status;
	set_msg(out, msg);
	return out->status;
}

int dicomdir_list(const void *buf, size_t len,
                  void (*cb)(void *ud, const char *ref_file_id, const char *sop_instance_uid),
                  void *ud)
{
	dcmtk_init();
	if (!buf || !cb)
		return -EINVAL;
	struct dcm_info info;
	memset(&info, 0, sizeof info);
	analysis a;
	analyse((const uint8_t *)buf, len, len, &info, &a);
	bool stale = a.status == DCM_TRUNCATED && a.ds && !a.deflated;
	if (stale) {
		/* Edited DICOMDIRs often carry a stale item length at the end; DCMTK
		 * reads what is there (it checks lengths against the bytes left). */
		a.ds_len = (size_t)(len - (size_t)(a.ds - (const uint8_t *)buf));
	} else if (a.status != DCM_OK && a.status != DCM_WARN) {
		return -EBADMSG;
	}
	DcmDataset ds;
	if (read_dataset(a, ds).bad() && !stale)
		return -EBADMSG;
	DcmSequenceOfItems *seq = nullptr;
	if (ds.findAndGetSequence(DCM_DirectoryRecordSequence, seq).bad() || !seq)
		return -EBADMSG;
	for (unsigned long i = 0; i < seq->card(); i++) {
		DcmItem *it = seq->getItem(i);
		if (!it)
			continue;
		OFString ref, uid;
		if (it->findAndGetOFStringArray(DCM_ReferencedFileID, ref).bad())
			continue;
		std::string r = trim(std::string(ref.c_str(), ref.length()));
		if (r.empty())
			continue;
		std::replace(r.begin(), r.end(), '\\', '/');
		it->findAndGetOFString(DCM_ReferencedSOPInstanceUIDInFile, uid);
		char rb[1024], ub[DCM_UID_MAX];
		copy_utf8(rb, sizeof rb, r);
		copy_utf8(ub, sizeof ub, trim(std::string(uid.c_str(), uid.length())));
		cb(ud, rb, ub);
	}
	return 0;
}

} // namespace

extern "C" void dcm_quiet(void)
{
	try {
		dcmtk_init();
	} catch (...) {
	}
}

extern "C" enum dcm_status dcm_read_header(const void *buf, size_t len, uint64_t total,
                                           struct dcm_info *out)
{
	if (!out)
		return DCM_CORRUPT;
	try {
		return read_header(buf, len, total, out);
	} catch (...) {
		memset(out, 0, sizeof *out);
		out->number_of_frames = 1;
		out->status = DCM_CORRUPT;
		snprintf(out->message, sizeof out->message, "internal error while parsing");
		return DCM_CORRUPT;
	}
}

extern "C" int dcm_dicomdir_list(const void *buf, size_t len,
                                 void (*cb)(void *ud, const char *ref_file_id,
                                            const char *sop_instance_uid),
                                 void *ud)
{
	try {
		return dicomdir_list(buf, len, cb, ud);
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	} catch (...) {
		return -EBADMSG;
	}
}

/* ---- writing a DICOMDIR (package stage) ---- */

#include <dcmtk/dcmdata/dcddirif.h>

namespace {

int dicomdir_write(const char *dir, const char *const *files, size_t n, const char *fileset_id,
                   void (*refused)(void *ud, size_t idx, const char *why), void *ud, size_t *added)
{
	dcmtk_init();
	if (!dir || (!files && n) || !fileset_id)
		return -EINVAL;
	std::string path = std::string(dir) + "/DICOMDIR";
	DicomDirInterface ddir;
	/* Describe what is there; never reject a valid file for how it is encoded. */
	ddir.disableBackupMode();
	ddir.disableEncodingCheck();
	ddir.disableResolutionCheck();
	ddir.disableTransferSyntaxCheck();
	ddir.disableFileFormatCheck();
	ddir.disableConsistencyCheck();
	/* Invent mode walks every record at each add: quadratic in files per
	 * series (176 s for 20,000 small files in bench/run.sh). Add everything
	 * without it; only the files it then refuses (missing type 1 attributes)
	 * are added again with inventing on. */
	ddir.enableInventMode(OFFalse);
	ddir.enableInventPatientIDMode(OFFalse);
	ddir.enableIconImageMode(OFFalse);
	ddir.enableAbortMode(OFFalse);
	OFCondition c = ddir.createNewDicomDir(DicomDirInterface::AP_GeneralPurpose, OFFilename(path.c_str()),
	                                       OFString(fileset_id));
	if (c.bad())
		return -EIO;
	size_t ok = 0;
	std::vector<size_t> again;
	for (size_t i = 0; i < n; i++) {
		c = ddir.addDicomFile(OFFilename(files[i]), OFFilename(dir));
		if (c.good())
			ok++;
		else
			again.push_back(i);
	}
	if (!again.empty())
		ddir.enableInventMode(OFTrue);
	for (size_t i : again) {
		c = ddir.addDicomFile(OFFilename(files[i]), OFFilename(dir));
		if (c.good())
			ok++;
		else if (refused)
			refused(ud, i, c.text());
	}
	if (ok == 0) {
		*added = 0;
		return 0;     /* nothing to describe: no DICOMDIR */
	}
	c = ddir.writeDicomDir();
	if (c.bad())
		return -EIO;
	*added = ok;
	return 0;
}

} // namespace

extern "C" int dcm_dicomdir_write(const char *dir, const char *const *files, size_t n, const char *fileset_id,
                                  void (*refused)(void *ud, size_t idx, const char *why), void *ud,
                                  size_t *added)
{
	try {
		size_t a = 0;
		int r = dicomdir_write(dir, files, n, fileset_id, refused, ud, &a);
		if (r == 0 && added)
			*added = a;
		return r;
	} catch (const std::bad_alloc &) {
		return -ENOMEM;
	} catch (...) {
		return -EIO;
	}
}
