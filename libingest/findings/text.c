/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Units of a document for the statement engine (engine.h): table rows with
 * their cells and the roles their header gives them, and sentences of the
 * reading-order text; each with the section it lies in (amendment,
 * interpretation).
 *
 * Rows come from the layout text (one printed line a line, cells separated
 * by '\t'), or, for a document without one, from the text's lines whose
 * cells are separated by a tab or a run of two or more spaces. A row is a
 * line with two cells or more. A row whose cells are column headings
 * (col-* words) is a header: its roles hold for the rows below it until a
 * blank line, a line that is not a row, or another header.
 *
 * Sentences come from the reading-order text: wrapped prose lines are joined
 * (a long line that does not end a sentence goes on on the next line), a
 * list of short lines ("ER: positive") stays one unit a line, and sentences
 * end at . ! ? ; and their CJK and Arabic forms. A text line that repeats a
 * layout row (the same words) is left to the row.
 */
#include <string.h>

#include "internal.h"
#include "findings/engine.h"
#include "findings/vocab.h"

#define COL_MASK (VW_BIT(VW_COL_MARKER) | VW_BIT(VW_COL_RESULT) | VW_BIT(VW_COL_METHOD) |                  \
                  VW_BIT(VW_COL_REFERENCE) | VW_BIT(VW_COL_UNIT) | VW_BIT(VW_COL_DATE) |                    \
                  VW_BIT(VW_COL_FLAG) | VW_BIT(VW_COL_CLASSIFICATION) | VW_BIT(VW_COL_VAF))

/* A line that short, not ending a sentence, is a line of a list, not wrapped prose. */
#define PROSE_LINE_MIN 50
/* A heading-like line (it ends an interpretation section) is at most this long. */
#define HEADING_MAX 48

size_t fold_pos(const struct vtext *t, size_t src)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->orig[mid] < src)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool fold_is_wordch(const struct vtext *t, size_t i)
{
	if (i >= t->n)
		return false;
	unsigned char c = (unsigned char)t->s[i];
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	size_t s = i;
	while (s > 0 && ((unsigned char)t->s[s] & 0xc0) == 0x80 && i - s < 3)
		s--;
	uint32_t cp;
	size_t l = utf8_decode((const uint8_t *)t->s + s, t->n - s, &cp);
	if (!l)
		return false;
	/* punctuation blocks: general punctuation, CJK symbols, full-width forms' punctuation;
	 * Arabic comma, semicolon, question mark and full stop; Devanagari danda and double danda */
	if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff00 && cp <= 0xff0f) ||
	    (cp >= 0xff1a && cp <= 0xff20) || cp == 0xa0 || cp == 0xb7 || cp == 0xd7 || cp == 0x60c || cp == 0x61b ||
	    cp == 0x61f || cp == 0x6d4 || cp == 0x964 || cp == 0x965 || (cp >= 0xa1 && cp <= 0xbf))
		return false;
	return true;
}

static void units_push(struct funits *u, const struct funit *x)
{
	if (u->n == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 64;
		u->v = xrealloc(u->v, u->cap * sizeof(*u->v));
	}
	u->v[u->n++] = *x;
}

void units_free(struct funits *u)
{
	free(u->v);
	*u = (struct funits){ 0 };
}

/* Does the folded range [A, B) start (after punctuation) with a phrase of CLS? */
static bool starts_with_class(const struct vocab *v, const struct vtext *t, size_t a, size_t b, enum vocab_class cls)
{
	while (a < b && !fold_is_wordch(t, a))
		a++;
	if (a >= b)
		return false;
	struct vmatch m[4];
	size_t n = vocab_match_at(v, t, a, VW_BIT(cls), m, ARRAY_SIZE(m));
	return n > 0 && m[0].end <= b;
}

static bool is_blank(const char *s, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
			return false;
	return true;
}

static void trim(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && (s[*a] == ' ' || s[*a] == '\t' || s[*a] == '\r'))
		(*a)++;
	while (*b > *a && (s[*b - 1] == ' ' || s[*b - 1] == '\t' || s[*b - 1] == '\r'))
		(*b)--;
}

/* A heading-like line: short, and ending with ':' or without a lower-case letter. */
static bool heading_like(const char *s, size_t a, size_t b)
{
	trim(s, &a, &b);
	if (a >= b || b - a > HEADING_MAX)
		return false;
	if (s[b - 1] == ':')
		return true;
	bool letter = false;
	for (size_t i = a; i < b; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			return false;
		if (s[i] >= 'A' && s[i] <= 'Z')
			letter = true;
	}
	return letter;
}

/* An amendment heading: after numbering or punctuation ("1. Nachtrag",
 * "*** ADDENDUM"), an amendment phrase, then only dates, numbers, months,
 * more amendment phrases and at most one other word ("Nachtrag vom
 * 20.02.2026 (Befundkorrektur)", "ADDENDUM (27/02/2026)"). A banner that
 * points at the addendum ("AMENDED REPORT - see addendum below") is no
 * section of its own: the original report follows it. */
static bool amendment_heading(const struct vocab *v, const struct vtext *t, size_t a, size_t b)
{
	while (a < b && (!fold_is_wordch(t, a) || (t->s[a] >= '0' && t->s[a] <= '9')))
		a++;
	if (a >= b)
		return false;
	struct vmatch m[4];
	size_t n = vocab_match_at(v, t, a, VW_BIT(VW_AMENDMENT), m, ARRAY_SIZE(m));
	if (!n || m[0].end > b)
		return false;
	unsigned other = 0;
	for (size_t i = m[0].end; i < b;) {
		if (t->s[i] == ':')
			return true;    /* "Addendum (date): HER2 ..." */
		if (!fold_is_wordch(t, i) || !vtext_word_start(t, i)) {
			i++;
			continue;
		}
		size_t k = vocab_match_at(v, t, i, VW_BIT(VW_AMENDMENT) | VW_BIT(VW_MONTH), m, ARRAY_SIZE(m));
		size_t e = i;
		while (e < b && fold_is_wordch(t, e))
			e++;
		if (k && m[0].end <= b) {
			i = m[0].end > e ? m[0].end : e;
			continue;
		}
		bool letter = false;
		for (size_t j = i; j < e; j++)
			letter |= !(t->s[j] >= '0' && t->s[j] <= '9');
		if (letter && ++other > 1)
			return false;
		i = e;
	}
	return true;
}

/* Section state, line by line. */
struct sections {
	bool amendment, interpretation;
};

static unsigned section_step(const struct vocab *v, const struct vtext *t, const char *s, size_t ls, size_t le,
                             struct sections *st)
{
	size_t a = fold_pos(t, ls), b = fold_pos(t, le);
	if (amendment_heading(v, t, a, b)) {
		st->amendment = true;
		st->interpretation = false;
	} else if (starts_with_class(v, t, a, b, VW_INTERPRETATION)) {
		st->interpretation = true;
	} else if (st->interpretation && heading_like(s, ls, le)) {
		st->interpretation = false;
	}
	return (st->amendment ? UF_AMENDMENT : 0) | (st->interpretation ? UF_INTERPRETATION : 0);
}

/* Cells of the line [LS, LE) of S: separated by '\t', and without a layout
 * also by runs of 2+ spaces. Returns the count (at most FINDINGS_MAX_CELLS:
 * the rest is joined into the last). */
static unsigned split_cells(const char *s, size_t ls, size_t le, bool tabs_only, size_t ca[], size_t cb[])
{
	unsigned n = 0;
	size_t i = ls, start = ls;
	while (i <= le) {
		size_t sep = 0;
		if (i < le && s[i] == '\t')
			sep = 1;
		else if (!tabs_only && i + 1 < le && s[i] == ' ' && (s[i + 1] == ' ' || s[i + 1] == '\t'))
			sep = 2;
		if (i == le || (sep && n + 1 < FINDINGS_MAX_CELLS)) {
			size_t a = start, b = i;
			trim(s, &a, &b);
			if (a < b) {
				ca[n] = a;
				cb[n] = b;
				n++;
			}
			if (i == le)
				break;
			while (i < le && (s[i] == ' ' || s[i] == '\t'))
				i++;
			start = i;
			continue;
		}
		i++;
	}
	return n;
}

/* The role a header cell names, or ROLE_NONE. */
static enum col_role header_role(const struct vocab *v, const struct vtext *t, size_t a, size_t b)
{
	struct vmatch m[8];
	size_t n = vocab_match_at(v, t, a, COL_MASK | VW_BIT(VW_INTERPRETATION), m, ARRAY_SIZE(m));
	for (size_t k = 0; k < n; k++) {
		size_t e = m[k].end;
		while (e < b && (t->s[e] == ' ' || t->s[e] == ':' || t->s[e] == '.' || t->s[e] == '*'))
			e++;
		if (e < b && t->s[e] == '/') {
			/* "Reference / comment", "Result / interpretation": the first names the column */
			size_t f = e + 1;
			while (f < b && t->s[f] == ' ')
				f++;
			struct vmatch m2[4];
			size_t n2 = vocab_match_at(v, t, f, COL_MASK | VW_BIT(VW_INTERPRETATION), m2, ARRAY_SIZE(m2));
			e = n2 && m2[0].end <= b ? m2[0].end : e;
			while (e < b && (t->s[e] == ' ' || t->s[e] == ':' || t->s[e] == '.' || t->s[e] == '*'))
				e++;
		}
		if (e < b)
			continue;       /* the heading word must be the whole cell */
		switch (m[k].cls) {
		case VW_COL_MARKER: return ROLE_MARKER;
		case VW_COL_RESULT: return ROLE_RESULT;
		case VW_COL_METHOD: return ROLE_METHOD;
		case VW_COL_REFERENCE: return ROLE_REFERENCE;
		case VW_COL_UNIT: return ROLE_UNIT;
		case VW_COL_DATE: return ROLE_DATE;
		case VW_COL_FLAG: return ROLE_FLAG;
		case VW_COL_CLASSIFICATION: return ROLE_CLASSIFICATION;
		case VW_COL_VAF: return ROLE_VAF;
		case VW_INTERPRETATION: return ROLE_INTERP;
		default: break;
		}
	}
	return ROLE_NONE;
}

/* A row's words, folded, without spaces: two lines with the same words are one row. */
static uint64_t row_hash(const struct vtext *t, size_t a, size_t b)
{
	uint64_t h = 1469598103934665603ull;
	bool any = false;
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)t->s[i];
		if (c == ' ' || c == '\t')
			continue;
		h = (h ^ c) * 1099511628211ull;
		any = true;
	}
	return any ? h : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct hashes {
	uint64_t *v;
	size_t n, cap;
};

static void hashes_push(struct hashes *h, uint64_t x)
{
	if (!x)
		return;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	h->v[h->n++] = x;
}

/* A line drawn with '_', '-', '=' or '─' only (spaces aside). */
static bool is_rule_line(const char *s, size_t a, size_t b)
{
	unsigned n = 0;
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r')
			continue;
		if (c == '_' || c == '-' || c == '=') {
			n++;
			continue;
		}
		if (c == 0xe2 && i + 2 < b && (unsigned char)s[i + 1] == 0x94 && (unsigned char)s[i + 2] == 0x80) {
			n++;
			i += 2;
			continue;
		}
		return false;
	}
	return n >= 3;
}

/* Does a cell after the first start with a comma (',', '，', '、')? A
 * table's cell never does: it is a line of prose that gaps cut into cells. */
static bool prose_cut_in_cells(const char *s, const size_t *ca, unsigned n)
{
	for (unsigned k = 1; k < n; k++) {
		const unsigned char *c = (const unsigned char *)s + ca[k];
		if (c[0] == ',' || (c[0] == 0xef && c[1] == 0xbc && c[2] == 0x8c) ||
		    (c[0] == 0xe3 && c[1] == 0x80 && c[2] == 0x81))
			return true;
	}
	return false;
}

/* Rows of the text S (folded T), and in ROW_LINE (when not NULL) which of
 * its lines were rows (for the sentences: they skip them). */
static void rows_build(const struct vocab *v, const char *s, size_t len, const struct vtext *t, bool layout,
                       struct funits *out, struct hashes *seen, uint8_t *row_line)
{
	enum col_role roles[FINDINGS_MAX_CELLS];
	unsigned header_cells = 0;
	struct sections st = { 0 };
	unsigned line = 0;
	size_t ca[FINDINGS_MAX_CELLS], cb[FINDINGS_MAX_CELLS];

	for (size_t ls = 0; ls < len; line++) {
		size_t le = ls;
		while (le < len && s[le] != '\n')
			le++;
		size_t next = le < len ? le + 1 : le;
		unsigned flags = section_step(v, t, s, ls, le, &st);
		if (is_rule_line(s, ls, le)) {
			ls = next;      /* "_____" under a table's header: the table goes on */
			continue;
		}
		unsigned n = is_blank(s, ls, le) ? 0 : split_cells(s, ls, le, layout, ca, cb);
		if (n >= 2 && prose_cut_in_cells(s, ca, n))
			n = 0;  /* "MLH1 (+ )\t，MSH6 (+ )": OCR's gaps in a line of prose, no table */
		if (n < 2) {
			header_cells = 0;       /* a blank line or a line that is not a row ends a table */
			ls = next;
			continue;
		}
		struct funit u = { .kind = UNIT_ROW, .t = t, .src = s, .from_layout = layout, .line = line + 1,
		                   .flags = flags };
		u.a = fold_pos(t, ca[0]);
		u.b = fold_pos(t, cb[n - 1]);
		u.ncells = n;
		unsigned named = 0;
		enum col_role r[FINDINGS_MAX_CELLS];
		for (unsigned k = 0; k < n; k++) {
			u.cells[k].a = fold_pos(t, ca[k]);
			u.cells[k].b = fold_pos(t, cb[k]);
			r[k] = header_role(v, t, u.cells[k].a, u.cells[k].b);
			named += r[k] != ROLE_NONE && r[k] != ROLE_INTERP;
		}
		if (named >= 2 && named * 2 >= n) {
			memcpy(roles, r, n * sizeof(*r));
			header_cells = n;
			u.flags |= UF_HEADER;
		} else if (header_cells && header_cells == n) {
			/* Rows with as many cells as their header take its roles; a row
			 * with another count (an empty cell, a wrapped cell) is read
			 * without them rather than with the wrong ones. */
			for (unsigned k = 0; k < n; k++)
				u.cells[k].role = roles[k];
			u.has_header = true;
		}
		units_push(out, &u);
		if (seen)
			hashes_push(seen, row_hash(t, u.a, u.b));
		if (row_line)
			row_line[line] = 1;
		ls = next;
	}
}

/* Is the source offset I the end of a sentence (just past its mark)? */
static size_t sentence_mark(const char *s, size_t i, size_t end)
{
	unsigned char c = (unsigned char)s[i];
	if (c == '.' || c == '!' || c == '?' || c == ';') {
		/* followed by white space or the end: "p.G12C", "2.4", "t(11;14)" go on */
		if (i + 1 < end && s[i + 1] != ' ' && s[i + 1] != '\n' && s[i + 1] != '\t' && s[i + 1] != '\r')
			return 0;
		return i + 1;
	}
	/* 。！？；(U+3002, U+FF01, U+FF1F, U+FF1B), Devanagari । (U+0964), Arabic ؛ (U+061B) and ؟ (U+061F) */
	if (i + 3 <= end && c == 0xe0 && (unsigned char)s[i + 1] == 0xa5 && (unsigned char)s[i + 2] == 0xa4)
		return i + 3;
	if (i + 3 <= end && c == 0xe3 && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x82)
		return i + 3;
	if (i + 3 <= end && c == 0xef && (unsigned char)s[i + 1] == 0xbc &&
	    ((unsigned char)s[i + 2] == 0x81 || (unsigned char)s[i + 2] == 0x9f || (unsigned char)s[i + 2] == 0x9b))
		return i + 3;
	if (i + 2 <= end && c == 0xd8 && ((unsigned char)s[i + 1] == 0x9b || (unsigned char)s[i + 1] == 0x9f))
		return i + 2;
	return 0;
}

static bool ends_sentence(const char *s, size_t a, size_t b)
{
	trim(s, &a, &b);
	if (a >= b)
		return true;
	unsigned char c = (unsigned char)s[b - 1];
	if (c == '.' || c == '!' || c == '?' || c == ';' || c == ':')
		return true;
	return b - a >= 3 && sentence_mark(s, b - 3, b) == b;
}

static void sentence_push(struct funits *out, const struct vtext *t, const char *s, size_t a, size_t b,
                          unsigned line, unsigned flags)
{
	trim(s, &a, &b);
	while (a < b && (s[a] == '\n' || s[a] == ' ' || s[a] == '\t' || s[a] == '\r'))
		a++;
	if (a >= b)
		return;
	/* a very long sentence is read in pieces, each cut at a space */
	while (a < b) {
		size_t e = b;
		if (e - a > FINDINGS_MAX_UNIT_BYTES) {
			e = a + FINDINGS_MAX_UNIT_BYTES;
			size_t k = e;
			while (k > a + FINDINGS_MAX_UNIT_BYTES / 2 && s[k] != ' ' && s[k] != '\n')
				k--;
			if (k > a + FINDINGS_MAX_UNIT_BYTES / 2)
				e = k;
			while (e > a && ((unsigned char)s[e] & 0xc0) == 0x80)
				e--;
		}
		struct funit u = { .kind = UNIT_SENTENCE, .t = t, .src = s, .line = line, .flags = flags };
		u.a = fold_pos(t, a);
		u.b = fold_pos(t, e);
		if (u.a < u.b)
			units_push(out, &u);
		a = e;
		while (a < b && (s[a] == ' ' || s[a] == '\n'))
			a++;
	}
}

/* Is the '.' at I an abbreviation's, not a sentence's end: a short word of
 * small letters before it ("ca.", "bzw.", "ggf.", "vs.") and a small letter
 * or a digit after it ("ca. 30 %")? A sentence starts with a capital or a
 * sign. */
#define ABBREV_MAX 4
static bool abbreviation_dot(const char *s, size_t a, size_t i, size_t b)
{
	if (s[i] != '.')
		return false;
	size_t w = i;
	while (w > a && s[w - 1] >= 'a' && s[w - 1] <= 'z')
		w--;
	if (w == i || i - w > ABBREV_MAX || (w > a && (((unsigned char)s[w - 1] >= 0x80) ||
	                                                (s[w - 1] >= 'A' && s[w - 1] <= 'Z') ||
	                                                (s[w - 1] >= '0' && s[w - 1] <= '9'))))
		return false;
	size_t j = i + 1;
	while (j < b && (s[j] == ' ' || s[j] == '\t'))
		j++;
	return j < b && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9'));
}

/* Sentences of one paragraph [A, B) of S starting at line LINE. */
/* Is the clause from A (to the next sentence mark before B) short, with no
 * marker and no number: "; expresión negativa." after "TPS < 1 %"? It says
 * more about the clause before. */
#define TAIL_CLAUSE_MAX 48
static bool marker_free_tail(const struct vocab *v, const struct vtext *t, const char *s, size_t a, size_t b)
{
	size_t e = a;
	while (e < b && !sentence_mark(s, e, b) && s[e] != '\n')
		e++;
	if (e >= b || !sentence_mark(s, e, b) || e - a > TAIL_CLAUSE_MAX || s[e] == ';')
		return false;
	for (size_t i = a; i < e; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return false;   /* a number of its own: "(low; the threshold for high is 10 mut/Mb)" */
	size_t fa = fold_pos(t, a), fb = fold_pos(t, e);
	struct vmatch m[4];
	for (size_t i = fa; i < fb; i++)
		if (vtext_word_start(t, i) && vocab_match_at(v, t, i, VW_BIT(VW_MARKER), m, ARRAY_SIZE(m)))
			return false;
	return true;
}

static void sentences_of(const struct vocab *v, struct funits *out, const struct vtext *t, const char *s, size_t a,
                         size_t b, unsigned line, unsigned flags)
{
	size_t start = a;
	unsigned start_line = line;
	for (size_t i = a; i < b; i++) {
		if (s[i] == '\n') {
			line++;
			continue;
		}
		size_t e = sentence_mark(s, i, b);
		if (!e || abbreviation_dot(s, a, i, b))
			continue;
		if (s[i] == ';' && marker_free_tail(v, t, s, e, b))
			continue;
		sentence_push(out, t, s, start, e, start_line, flags);
		start = e;
		start_line = line;
		i = e - 1;
	}
	sentence_push(out, t, s, start, b, start_line, flags);
}

/* Does [A, B) leave a '(' open? */
static bool open_bracket(const char *s, size_t a, size_t b)
{
	int depth = 0;
	for (size_t i = a; i < b; i++)
		depth += s[i] == '(' ? 1 : s[i] == ')' && depth > 0 ? -1 : 0;
	return depth > 0;
}

/* Is the word [W, B) of the text, whole, a phrase of class CLS? */
static bool word_is(const struct vocab *v, const struct vtext *tt, size_t w, size_t b, enum vocab_class cls)
{
	size_t fa = fold_pos(tt, w), fb = fold_pos(tt, b);
	if (fa >= fb || !vtext_word_start(tt, fa))
		return false;
	struct vmatch m[4];
	size_t k = vocab_match_at(v, tt, fa, VW_BIT(cls), m, ARRAY_SIZE(m));
	for (size_t q = 0; q < k; q++)
		if (m[q].end == fb)
			return true;
	return false;
}

/* Does [A, B) end with a stop word (a function word: "e", "and", "und")? */
static bool ends_with_stopword(const struct vocab *v, const struct vtext *tt, const char *s, size_t a, size_t b)
{
	size_t w = b;
	while (w > a && s[w - 1] != ' ' && s[w - 1] != '\t' && s[w - 1] != '(')
		w--;
	return w < b && word_is(v, tt, w, b, VW_STOPWORD);
}

/* Does [A, B) end in a marker's name that starts its sentence ("...
 * BRAF-V600E-Mutation. NRAS" then "wurde nicht untersucht.": a narrow
 * column's line cut after the subject)? */
static bool ends_with_subject(const struct vocab *v, const struct vtext *tt, const char *s, size_t a, size_t b)
{
	size_t w = b;
	while (w > a && s[w - 1] != ' ' && s[w - 1] != '\t')
		w--;
	if (w == b)
		return false;
	size_t p = w;
	while (p > a && (s[p - 1] == ' ' || s[p - 1] == '\t'))
		p--;
	if (p > a && !ends_sentence(s, a, p))
		return false;
	return word_is(v, tt, w, b, VW_MARKER);
}

/* Does a marker's name wrap from the end of [A, B) to the line at NX:
 * "... positiv. H3\nK27M negativ."? The last word and the next line's
 * first word, joined by a space, start a marker phrase longer than the
 * last word. */
static bool marker_wraps(const struct vocab *v, const char *s, size_t a, size_t b, size_t nx, size_t len)
{
	size_t w = b;
	while (w > a && s[w - 1] != ' ' && s[w - 1] != '\t' && s[w - 1] != '(')
		w--;
	size_t ne = nx;
	while (ne < len && s[ne] != ' ' && s[ne] != '\n' && s[ne] != '\t' && ne - nx < 32)
		ne++;
	if (w == b || ne == nx || b - w > 32)
		return false;
	char buf[72];
	int n = snprintf(buf, sizeof(buf), "%.*s %.*s", (int)(b - w), s + w, (int)(ne - nx), s + nx);
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return false;
	struct vtext t;
	if (vtext_fold(buf, (size_t)n, &t) < 0)
		return false;
	bool wraps = false;
	struct vmatch m[4];
	size_t k = vocab_match_at(v, &t, 0, VW_BIT(VW_MARKER), m, ARRAY_SIZE(m));
	size_t first = fold_pos(&t, b - w);
	for (size_t q = 0; q < k && !wraps; q++)
		wraps = m[q].end > first;
	vtext_free(&t);
	return wraps;
}

void units_build(const struct vocab *v, const struct doc_text *d, const struct vtext *tt, const struct vtext *tl,
                 struct funits *out)
{
	const char *s = d->text;
	size_t len = d->len > FINDINGS_MAX_TEXT ? FINDINGS_MAX_TEXT : d->len;
	size_t nlines = 1;
	for (size_t i = 0; i < len; i++)
		nlines += s[i] == '\n';
	uint8_t *row_line = xcalloc(nlines, 1);
	struct hashes seen = { 0 };

	if (tl) {
		size_t llen = d->layout_len > FINDINGS_MAX_TEXT ? FINDINGS_MAX_TEXT : d->layout_len;
		rows_build(v, d->layout, llen, tl, true, out, &seen, NULL);
		if (seen.n)
			qsort(seen.v, seen.n, sizeof(*seen.v), cmp_u64);
	} else {
		rows_build(v, s, len, tt, false, out, NULL, row_line);
	}

	/* Sentences: paragraphs of joined prose lines, lists of short lines. */
	struct sections st = { 0 };
	unsigned line = 0;
	size_t pa = 0;          /* the paragraph being gathered: [pa, ...) from line pline */
	unsigned pline = 0, pflags = 0;
	bool open = false;
	for (size_t ls = 0; ls <= len; line++) {
		size_t le = ls;
		while (le < len && s[le] != '\n')
			le++;
		bool skip = ls >= len || is_blank(s, ls, le) || row_line[line];
		unsigned flags = ls < len ? section_step(v, tt, s, ls, le, &st) : 0;
		if (!skip && seen.n) {
			uint64_t h = row_hash(tt, fold_pos(tt, ls), fold_pos(tt, le));
			skip = h && bsearch(&h, seen.v, seen.n, sizeof(*seen.v), cmp_u64);
		}
		if (open && (skip || flags != pflags)) {
			sentences_of(v, out, tt, s, pa, ls > 0 ? ls - 1 : ls, pline, pflags);
			open = false;
		}
		if (!skip) {
			if (!open) {
				pa = ls;
				pline = line + 1;
				pflags = flags;
				open = true;
			}
			size_t a = ls, b = le;
			trim(s, &a, &b);
			/* wrapped prose goes on in lower case ("... was\ndetected"); a
			 * line that starts with a capital starts an item of a list
			 * ("Oestrogen receptor (ER): ...\nProgesterone receptor ...") */
			size_t nx = le < len ? le + 1 : le;
			while (nx < len && (s[nx] == ' ' || s[nx] == '\t'))
				nx++;
			bool lower_next = nx < len && ((s[nx] >= 'a' && s[nx] <= 'z') || (unsigned char)s[nx] >= 0x80);
			bool goes_on = b - a >= PROSE_LINE_MIN && !ends_sentence(s, a, b) && lower_next;
			if (b > a && (s[b - 1] == ',' || s[b - 1] == '-'))
				goes_on = true;
			/* "MMR proteinleri (MLH1, PMS2, MSH2, MSH6):\nkorunmuş.": a
			 * prose line's label whose value wrapped to the next line */
			if (b - a >= PROSE_LINE_MIN && s[b - 1] == ':' && lower_next)
				goes_on = true;
			/* a line of any length cut after its sentence's subject, a marker */
			if (!goes_on && lower_next && ends_with_subject(v, tt, s, a, b))
				goes_on = true;
			/* "... negativo para BRCA1 e\nBRCA2", "(grupo\nISUP 4)": a prose
			 * line cut after a function word or inside brackets goes on
			 * whatever the next line starts with */
			if (!goes_on && b - a >= PROSE_LINE_MIN && nx < len && !ends_sentence(s, a, b) &&
			    (open_bracket(s, a, b) || ends_with_stopword(v, tt, s, a, b) ||
			     marker_wraps(v, s, a, b, nx, len)))
				goes_on = true;
			if (!goes_on) {
				sentences_of(v, out, tt, s, pa, le, pline, pflags);
				open = false;
			}
		}
		if (le >= len)
			break;
		ls = le + 1;
	}
	if (open)
		sentences_of(v, out, tt, s, pa, len, pline, pflags);
	free(row_line);
	free(seen.v);
}
