/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Text as printed, for tables: boxes (a PDF's glyphs, OCR's words) grouped
 * into printed lines by their height on the page, each line ordered by x,
 * with ' ' at a word gap and '\t' at a column gap, and each line put in
 * logical order when it holds right-to-left script (below). The extractor's
 * child calls it per page; it allocates nothing (the caller's box array is
 * sorted in place) so that text PDFs stay as cheap as before.
 *
 * Right to left: the page gives Arabic or Hebrew in visual order (glyphs
 * left to right as drawn; OCR's words left to right, each word's letters
 * already in reading order). A line is put back in reading order with the
 * Unicode bidi algorithm's embedding levels (UAX #9, its strong types,
 * neutrals between them, tabs as segment separators at the paragraph's
 * level, rule L2's reversal of runs, mirrored brackets), run over boxes
 * rather than characters: a box is one unit, so an OCR word is never turned
 * inside out, and the gaps between boxes ride with them. The paragraph
 * direction is the page's (right to left when its right-to-left letters are
 * at least a third of its strong letters), so a row of a right-to-left table
 * reads from its right-hand cell even when that row holds only numbers and
 * Latin names, as long as the row above it in the table was right to left.
 * The UBA runs from text to page; run on the page's order it recovers the
 * text for what reports hold (words, numbers, cells), as poppler and
 * pdftotext do. GNU FriBidi or ICU would give the same levels over
 * characters, but not over word boxes nor backwards, so this is done here.
 */
#include <stdlib.h>
#include <string.h>

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

/* Bidi types as the layout needs them: strong left-to-right (Latin, other
 * scripts, and digits: a number reads left to right inside Arabic as poppler
 * treats it), strong right-to-left, and neutral. */
enum { BIDI_N = 0, BIDI_L = 1, BIDI_R = 2 };

static int bidi_type(uint32_t c)
{
	if (c < 0x80)
		return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ? BIDI_L : BIDI_N;
	if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x06f0 && c <= 0x06f9))
		return BIDI_L; /* Arabic-Indic digits */
	if (c == 0x060c || c == 0x061b || c == 0x061f || (c >= 0x066a && c <= 0x066d) || c == 0x06d4 ||
	    c == 0x0640 || (c >= 0x064b && c <= 0x065f) || c == 0x0670)
		return BIDI_N; /* Arabic punctuation, tatweel, vowel marks */
	if ((c >= 0x0590 && c <= 0x08ff) || (c >= 0xfb1d && c <= 0xfdff) || (c >= 0xfe70 && c <= 0xfefe) ||
	    (c >= 0x10800 && c <= 0x10fff) || (c >= 0x1e800 && c <= 0x1efff))
		return BIDI_R;
	if (c < 0xc0 || c == 0xd7 || c == 0xf7 || (c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xfe30 && c <= 0xfe6f) || c == 0xfeff || (c >= 0xfff0 && c <= 0xffff))
		return BIDI_N;
	return BIDI_L;
}

/* A box's type: a word with any right-to-left letter is right to left. */
static int box_type(const struct layout_box *b, const char *src)
{
	const uint8_t *s = (const uint8_t *)src + b->off;
	int t = BIDI_N;

	for (size_t i = 0; i < b->len;) {
		uint32_t c = 0;
		size_t cl = utf8_decode(s + i, b->len - i, &c);
		int k;

		if (cl == 0)
			break;
		k = bidi_type(c);
		if (k == BIDI_R)
			return BIDI_R;
		if (k == BIDI_L)
			t = BIDI_L;
		i += cl;
	}
	return t;
}

/* Bracket pairs a right-to-left run draws mirrored (UAX #9 rule L4). */
static const char *mirrored(const char *s, size_t n)
{
	static const char *const pairs[][2] = {
		{ "(", ")" }, { "[", "]" }, { "{", "}" }, { "<", ">" }, { "\xc2\xab", "\xc2\xbb" }, { "\xe2\x80\xb9", "\xe2\x80\xba" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
		for (size_t k = 0; k < 2; k++)
			if (strlen(pairs[i][k]) == n && !memcmp(pairs[i][k], s, n))
				return pairs[i][1 - k];
	return NULL;
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

enum { SEP_NONE = 0, SEP_SPACE = 1, SEP_TAB = 2 };

/* What one page's lines share: the page's direction, and whether the last
 * line was a right-to-left table row (its next row reads the same way). */
struct page_dir {
	bool any_r;
	bool rtl;
	bool rtl_row;
};

/* The gap to the left of b[i] (i > 0) in the line's current order: a tab
 * is at the paragraph's level p, a space or none at its neighbours' lower. */
static unsigned gap_level(const struct layout_box *b, size_t i, unsigned p)
{
	return b[i].sep == SEP_TAB ? p : MIN(b[i - 1].level, b[i].level);
}

/* Reverses b[s..e) with the gaps inside it: the gap left of the run stays
 * left of it, each inner gap stays between the same two boxes. */
static void reverse_run(struct layout_box *b, size_t s, size_t e)
{
	uint8_t outer;

	for (size_t i = s, j = e - 1; i < j; i++, j--) {
		struct layout_box t = b[i];
		b[i] = b[j];
		b[j] = t;
	}
	outer = b[e - 1].sep;
	for (size_t i = e - 1; i > s; i--)
		b[i].sep = b[i - 1].sep;
	b[s].sep = outer;
}

/* Punctuation that ends a sentence or a label: on the left of a word drawn
 * left to right inside right-to-left text, it belongs to the text before
 * the word ("ER: 80%" reads ":ER" on a right-to-left page). */
static bool sentence_punct(const struct layout_box *b, const char *src)
{
	static const char *const p[] = { ".", ",", ":", ";", "!", "?", "\xd8\x8c", "\xd8\x9b", "\xd8\x9f" };

	for (size_t i = 0; i < ARRAY_SIZE(p); i++)
		if (strlen(p[i]) == b->len && !memcmp(p[i], src + b->off, b->len))
			return true;
	return false;
}

/* Puts b[0..n) (in page order, gaps in .sep, types in .level) in reading
 * order for paragraph level p (0 left to right, 1 right to left). */
static void bidi_line(struct layout_box *b, size_t n, const char *src, unsigned p)
{
	int pt = p ? BIDI_R : BIDI_L;
	int next = pt, prev = pt;
	unsigned top = 0;

	/* Glyphs drawn touching (no gap) with left-to-right letters or digits
	 * and no right-to-left one are one left-to-right word with its signs:
	 * "80%", "(1+)", "4+5=9", "HER2." (rules W4-W5 and N0 for what reports
	 * hold), but for a sign that ends the text before it (above). */
	for (size_t s = 0, e; s < n; s = e) {
		bool l = false, r = false;

		for (e = s; e < n && (e == s || b[e].sep == SEP_NONE); e++) {
			l |= (b[e].level & 3) == BIDI_L;
			r |= (b[e].level & 3) == BIDI_R;
		}
		if (!l || r)
			continue;
		for (size_t k = s; k < e; k++)
			if ((b[k].level & 3) == BIDI_N)
				b[k].level = (uint8_t)(k == s && sentence_punct(&b[k], src) ? pt : BIDI_L);
	}

	/* A neutral between two strong boxes of one type (in one cell) takes
	 * it, any other the paragraph's (rules N1, N2; a cell's edges are the
	 * paragraph's type). Bits 2-3 hold the next strong type to the right. */
	for (size_t i = n; i-- > 0;) {
		int t = b[i].level & 3;
		if (t != BIDI_N)
			next = t;
		b[i].level = (uint8_t)(t | next << 2);
		if (b[i].sep == SEP_TAB)
			next = pt;
	}
	for (size_t i = 0; i < n; i++) {
		int t = b[i].level & 3, nx = b[i].level >> 2;
		if (b[i].sep == SEP_TAB)
			prev = pt;
		if (t == BIDI_N)
			t = prev == nx ? prev : pt;
		else
			prev = t;
		/* Rules I1, I2: L on a right-to-left paragraph is level 2. */
		b[i].level = (uint8_t)(t == BIDI_R ? 1 : p ? 2 : 0);
		top = MAX(top, b[i].level);
	}
	/* Rule L2: from the highest level down, reverse every run at it or
	 * above (a gap below it ends the run). */
	for (unsigned k = top; k >= 1; k--) {
		size_t i = 0;
		while (i < n) {
			size_t e;
			if (b[i].level < k) {
				i++;
				continue;
			}
			for (e = i + 1; e < n && b[e].level >= k && gap_level(b, e, p) >= k; e++)
				;
			if (e - i > 1)
				reverse_run(b, i, e);
			i = e;
		}
	}
}

/* Writes one printed line: boxes b[0..n) already ordered by x. */
static void emit_line(struct layout_box *b, size_t n, const char *src, bool words, struct page_dir *pd,
                      struct textbuf *out)
{
	float wsum = 0, hmax = 0, avgw;
	uint32_t chars = 0;
	size_t n_r = 0;
	bool tab = false, reorder;

	for (size_t i = 0; i < n; i++) {
		wsum += b[i].x2 - b[i].x1;
		chars += b[i].nchars ? b[i].nchars : 1;
		hmax = MAX(hmax, b[i].y2 - b[i].y1);
	}
	avgw = chars ? wsum / (float)chars : 0;
	if (avgw <= 0)
		avgw = hmax * 0.5f;
	for (size_t i = 0; i < n; i++) {
		b[i].sep = SEP_NONE;
		if (i > 0) {
			float gap = b[i].x1 - b[i - 1].x2;
			bool cj = cjk(last_cp(src + b[i - 1].off, b[i - 1].len)) &&
			          cjk(first_cp(src + b[i].off, b[i].len));
			if (gap > COLUMN_GAP_CHARS * avgw)
				b[i].sep = SEP_TAB;
			else if (cj ? gap > CJK_WORD_GAP_HEIGHT * hmax
			            : words || b[i].space_before || gap > WORD_GAP_HEIGHT * hmax)
				b[i].sep = SEP_SPACE;
		}
		tab |= b[i].sep == SEP_TAB;
		b[i].level = 0;
		if (pd->rtl) {
			b[i].level = (uint8_t)box_type(&b[i], src);
			n_r += b[i].level == BIDI_R;
		}
	}
	/* A right-to-left page's line with its script, or a row of its
	 * right-to-left table; a left-to-right page's Arabic is met below. */
	reorder = pd->rtl && (n_r > 0 || (tab && pd->rtl_row));
	if (reorder)
		bidi_line(b, n, src, 1);
	pd->rtl_row = reorder && tab;
	if (!reorder && pd->any_r) {
		for (size_t i = 0; i < n && !n_r; i++)
			n_r += box_type(&b[i], src) == BIDI_R;
		if (n_r > 0) {
			for (size_t i = 0; i < n; i++)
				b[i].level = (uint8_t)box_type(&b[i], src);
			bidi_line(b, n, src, 0);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const char *m = NULL;

		if (i > 0 && b[i].sep != SEP_NONE)
			textbuf_addc(out, b[i].sep == SEP_TAB ? '\t' : ' ');
		if (!words && (b[i].level & 1))
			m = mirrored(src + b[i].off, b[i].len);
		if (m)
			textbuf_add(out, m, strlen(m));
		else
			textbuf_add(out, src + b[i].off, b[i].len);
	}
	textbuf_addc(out, '\n');
}

/* Right to left when its right-to-left letters are a third of its strong
 * letters or more (an Arabic report names its markers in Latin). */
static void page_dir(const struct layout_box *b, size_t n, const char *src, struct page_dir *pd)
{
	size_t nl = 0, nr = 0;

	for (size_t i = 0; i < n; i++) {
		int t = box_type(&b[i], src);
		size_t w = b[i].nchars ? b[i].nchars : 1;
		if (t == BIDI_R)
			nr += w;
		else if (t == BIDI_L)
			nl += w;
	}
	pd->any_r = nr > 0;
	pd->rtl = nr > 0 && nr * 2 >= nl;
}

bool layout_page_rtl(const struct layout_box *b, size_t n, const char *src)
{
	struct page_dir pd = { 0 };

	page_dir(b, n, src, &pd);
	return pd.rtl;
}

/* A box of underscores only: a form's rule or a table's underline, drawn
 * with '_' glyphs. It is no word, and grouped by height it would merge into
 * the line it underlines ("P_r_u_e_b_a"). */
static bool is_rule(const struct layout_box *b, const char *src)
{
	if (!b->len)
		return false;
	for (uint32_t k = 0; k < b->len; k++)
		if (src[b->off + k] != '_')
			return false;
	return true;
}

void layout_lines(struct layout_box *b, size_t n, const char *src, bool words, struct textbuf *out)
{
	struct page_dir pd = { 0 };
	size_t start = 0, m = 0;
	float ly1 = 0, ly2 = 0;

	for (size_t i = 0; i < n; i++)
		if (!is_rule(&b[i], src))
			b[m++] = b[i];
	n = m;
	if (n == 0)
		return;
	page_dir(b, n, src, &pd);
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
			emit_line(b + start, i - start, src, words, &pd, out);
		}
		if (i < n) {
			start = i;
			ly1 = b[i].y1;
			ly2 = b[i].y2;
		}
	}
}

/* Bidi embedding controls poppler writes around right-to-left text. */
#define BIDI_LRE 0x202a
#define BIDI_RLE 0x202b
#define BIDI_PDF 0x202c
#define BIDI_LRO 0x202d
#define BIDI_RLO 0x202e
/* poppler nests two deep (a word, the number in it); deeper is taken flat. */
#define BIDI_MAX_DEPTH 8

static size_t cp_at(const char *s, size_t len, size_t i, uint32_t *c)
{
	size_t cl = utf8_decode((const uint8_t *)s + i, len - i, c);

	if (cl == 0) {
		*c = 0xfffd;
		cl = 1;
	}
	return cl;
}

static bool bidi_open(uint32_t c)
{
	return c == BIDI_LRE || c == BIDI_RLE || c == BIDI_LRO || c == BIDI_RLO;
}

/* The characters of the group whose text starts at s[i] (past its opening
 * control), up to its closing control; *end: past that. top: the whole
 * text, which a stray closing control does not end. */
static size_t group_chars(const char *s, size_t len, size_t i, unsigned depth, bool top, size_t *end)
{
	size_t n = 0;

	while (i < len) {
		uint32_t c;
		size_t cl = cp_at(s, len, i, &c);

		i += cl;
		if (c == BIDI_PDF && !top)
			break;
		if (bidi_open(c) && depth < BIDI_MAX_DEPTH) {
			n += group_chars(s, len, i, depth + 1, false, &i);
			continue;
		}
		if (c < BIDI_LRE || c > BIDI_RLO)
			n++;
	}
	*end = i;
	return n;
}

/* Places the characters of the group at s[i] on boxes [base, base + total):
 * a right-to-left group's items (characters and inner groups) stand in the
 * text in the reverse of the page's order, the inside of a left-to-right
 * one as the page has it. Returns past the group's end. */
static size_t group_place(const char *s, size_t len, size_t i, bool rtl, size_t base, size_t total, unsigned depth,
                          bool top, struct layout_box *b, size_t n)
{
	size_t done = 0;

	while (i < len) {
		uint32_t c;
		size_t cl = cp_at(s, len, i, &c), at = i;

		i += cl;
		if (c == BIDI_PDF && !top)
			break;
		if (bidi_open(c) && depth < BIDI_MAX_DEPTH) {
			size_t end, m = group_chars(s, len, i, depth + 1, false, &end);
			size_t sub = rtl ? base + total - done - MIN(m, total - done) : base + done;
			i = group_place(s, len, i, c == BIDI_RLE || c == BIDI_RLO, sub, m, depth + 1, false, b, n);
			done += m;
			continue;
		}
		if (c >= BIDI_LRE && c <= BIDI_RLO)
			continue;
		if (done < total) {
			size_t k = rtl ? base + total - 1 - done : base + done;
			if (k < n && at <= UINT32_MAX) {
				b[k].off = (uint32_t)at;
				b[k].len = (uint32_t)cl;
			}
		}
		done++;
	}
	return i;
}

size_t layout_glyph_order(const char *s, size_t len, struct layout_box *b, size_t n)
{
	size_t end, total = group_chars(s, len, 0, 0, true, &end);

	if (total == n)
		group_place(s, len, 0, false, 0, total, 0, true, b, n);
	return total;
}
