/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Text as printed, for tables: boxes (a PDF's glyphs, OCR's words) grouped
 * into printed lines by their height on the page, each line ordered by x,
 * with ' ' at a word gap and '\t' at a column gap. The extractor's child
 * calls it per page; it allocates nothing (the caller's box array is sorted
 * in place) so that text PDFs stay as cheap as before.
 */
#include <stdlib.h>

#include "docext-private.h"
#include "util/text.h"

/* Two boxes are on one printed line when their vertical overlap is at least
 * this share of the smaller one's height (a superscript still joins, the
 * next line, 1.1 heights below, does not). */
#define LINE_OVERLAP 0.5f
/* A horizontal gap wider than this many average character widths of the
 * line is a column gap ('\t'); poppler's own space is about 0.5 of one. */
#define COLUMN_GAP_CHARS 2.0f
/* A gap wider than this share of the line's height is a word gap (' ')
 * between glyphs (a Helvetica space is 0.28 of the font size). */
#define WORD_GAP_HEIGHT 0.12f
/* Between two CJK characters only a gap of half a character is a space. */
#define CJK_WORD_GAP_HEIGHT 0.5f

/* Han, kana, CJK punctuation and full-width forms: written without spaces,
 * though OCR calls each run of them a word. */
static bool cjk(uint32_t c)
{
	return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xff00 && c <= 0xffef) || (c >= 0x20000 && c <= 0x3134f);
}

static uint32_t first_cp(const char *s, size_t n)
{
	uint32_t c = 0;

	return utf8_decode((const uint8_t *)s, n, &c) ? c : 0;
}

static uint32_t last_cp(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	return i > 0 ? first_cp(s + i - 1, n - i + 1) : 0;
}

static int by_center_y(const void *a, const void *b)
{
	const struct layout_box *p = a, *q = b;
	float yp = p->y1 + p->y2, yq = q->y1 + q->y2;

	if (yp != yq)
		return yp < yq ? -1 : 1;
	return p->x1 < q->x1 ? -1 : p->x1 > q->x1;
}

static int by_x(const void *a, const void *b)
{
	const struct layout_box *p = a, *q = b;

	if (p->x1 != q->x1)
		return p->x1 < q->x1 ? -1 : 1;
	return p->off < q->off ? -1 : p->off > q->off; /* same x: text order */
}

/* Writes one printed line: boxes b[0..n) already ordered by x. */
static void emit_line(const struct layout_box *b, size_t n, const char *src, bool words, struct textbuf *out)
{
	float wsum = 0, hmax = 0, avgw;
	uint32_t chars = 0;

	for (size_t i = 0; i < n; i++) {
		wsum += b[i].x2 - b[i].x1;
		chars += b[i].nchars ? b[i].nchars : 1;
		hmax = MAX(hmax, b[i].y2 - b[i].y1);
	}
	avgw = chars ? wsum / (float)chars : 0;
	if (avgw <= 0)
		avgw = hmax * 0.5f;
	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			float gap = b[i].x1 - b[i - 1].x2;
			bool cj = cjk(last_cp(src + b[i - 1].off, b[i - 1].len)) &&
			          cjk(first_cp(src + b[i].off, b[i].len));
			if (gap > COLUMN_GAP_CHARS * avgw)
				textbuf_addc(out, '\t');
			else if (cj ? gap > CJK_WORD_GAP_HEIGHT * hmax
			            : words || b[i].space_before || gap > WORD_GAP_HEIGHT * hmax)
				textbuf_addc(out, ' ');
		}
		textbuf_add(out, src + b[i].off, b[i].len);
	}
	textbuf_addc(out, '\n');
}

void layout_lines(struct layout_box *b, size_t n, const char *src, bool words, struct textbuf *out)
{
	size_t start = 0;
	float ly1 = 0, ly2 = 0;

	if (n == 0)
		return;
	qsort(b, n, sizeof(*b), by_center_y);
	for (size_t i = 0; i <= n && !out->truncated; i++) {
		if (i < n && i > start) {
			float h = MIN(b[i].y2 - b[i].y1, ly2 - ly1);
			float ov = MIN(b[i].y2, ly2) - MAX(b[i].y1, ly1);
			if (ov >= LINE_OVERLAP * h && h > 0) {
				/* The line's band follows its first box: a long run
				 * of boxes must not creep down onto the next line. */
				continue;
			}
			if (h <= 0 && b[i].y1 + b[i].y2 == b[start].y1 + b[start].y2)
				continue; /* zero-height boxes at the same height */
		}
		if (i > start) {
			qsort(b + start, i - start, sizeof(*b), by_x);
			emit_line(b + start, i - start, src, words, out);
		}
		if (i < n) {
			start = i;
			ly1 = b[i].y1;
			ly2 = b[i].y2;
		}
	}
}
