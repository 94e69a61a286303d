/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Lab values: a lab's name (the vocabulary's VW_LAB phrases, every
 * language), its value (decimal comma made a point, comparator kept), its
 * unit normalised, and its date.
 *
 * Lines are read from the layout when there is one (cells split by '\t'),
 * else from the text (cells split by runs of two spaces or more). A line
 * whose cells are column headings (VW_COL_*) starts a table: its columns
 * say where the result, the unit and the reference are, so a reference
 * ("0.0-4.0", "< 35") is never read as the value. A heading line whose
 * cells are dates starts a cumulative table: one value per date column for
 * each lab row. Elsewhere a lab's value is the first number after its name
 * on its line that is not a date, a range, or what follows a reference cue
 * (VW_REFERENCE); a derived quantity (VW_DERIVED: "PSA density") is never a
 * value of the lab it is derived from.
 *
 * Units are notation, not words: the spellings below (OCR slips included)
 * map to one form, and a unit labs.yaml gives for the lab is taken as written.
 */
#include <stdlib.h>
#include <string.h>

#include "findings/reading.h"
#include "util/mem.h"

/* Unit spellings and their normal form; longer spellings win, exact case first. */
static const struct { const char *w, *n; } units[] = {
	{ "mL/min/1.73 m²", "mL/min/1.73m²" }, { "mL/min/1.73m²", "mL/min/1.73m²" },
	{ "mL/min/1.73 m2", "mL/min/1.73m²" }, { "mL/min/1.73m2", "mL/min/1.73m²" }, { "mL/min", "mL/min" },
	{ "ng/mL", "ng/mL" }, { "ng/mI", "ng/mL" }, { "ng/m1", "ng/mL" }, { "ng/dL", "ng/dL" }, { "ng/L", "ng/L" },
	{ "pg/mL", "pg/mL" }, { "µg/L", "µg/L" }, { "μg/L", "µg/L" }, { "ug/L", "µg/L" }, { "mcg/L", "µg/L" },
	{ "µg/dL", "µg/dL" }, { "ug/dL", "µg/dL" }, { "mIU/mL", "mIU/mL" }, { "mIU/mI", "mIU/mL" },
	{ "mIU/L", "mIU/L" }, { "IU/mL", "IU/mL" }, { "IU/mI", "IU/mL" }, { "kIU/L", "kIU/L" },
	{ "IU/L", "IU/L" }, { "kU/L", "kU/L" }, { "U/mL", "U/mL" }, { "U/mI", "U/mL" }, { "U/m1", "U/mL" },
	{ "U/L", "U/L" }, { "UI/L", "IU/L" }, { "UI/mL", "IU/mL" }, { "g/dL", "g/dL" }, { "g/dI", "g/dL" },
	{ "g/L", "g/L" }, { "mg/dL", "mg/dL" }, { "mg/dI", "mg/dL" }, { "mg/L", "mg/L" }, { "mmol/L", "mmol/L" },
	{ "µmol/L", "µmol/L" }, { "μmol/L", "µmol/L" }, { "umol/L", "µmol/L" }, { "mcmol/L", "µmol/L" },
	{ "nmol/L", "nmol/L" }, { "pmol/L", "pmol/L" }, { "mEq/L", "mEq/L" }, { "copies/mL", "copies/mL" },
	{ "x10^9/L", "10^9/L" }, { "x 10^9/L", "10^9/L" }, { "×10^9/L", "10^9/L" }, { "× 10^9/L", "10^9/L" },
	{ "x10⁹/L", "10^9/L" }, { "×10⁹/L", "10^9/L" }, { "× 10⁹/L", "10^9/L" }, { "x10e9/L", "10^9/L" },
	{ "*10^9/L", "10^9/L" }, { "10^9/L", "10^9/L" }, { "10⁹/L", "10^9/L" }, { "10*9/L", "10^9/L" },
	{ "G/L", "10^9/L" }, { "Giga/L", "10^9/L" }, { "giga/L", "10^9/L" },
	{ "x10^12/L", "10^12/L" }, { "×10^12/L", "10^12/L" }, { "10^12/L", "10^12/L" }, { "T/L", "10^12/L" },
	{ "x10^3/µL", "10^3/µL" }, { "x10^3/uL", "10^3/µL" }, { "10^3/µL", "10^3/µL" }, { "10^3/uL", "10^3/µL" },
	{ "K/µL", "10^3/µL" }, { "K/uL", "10^3/µL" }, { "/µL", "/µL" }, { "/uL", "/µL" }, { "/mm3", "/µL" },
	{ "/mm³", "/µL" }, { "cells/µL", "/µL" }, { "%", "%" }, { "г/л", "g/L" }, { "г/дл", "g/dL" },
	{ "мкмоль/л", "µmol/L" }, { "ммоль/л", "mmol/L" }, { "нг/мл", "ng/mL" }, { "Ед/мл", "U/mL" },
	{ "ЕД/мл", "U/mL" }, { "Ед/л", "U/L" }, { "ЕД/л", "U/L" }, { "ед/л", "U/L" }, { "МЕ/мл", "IU/mL" },
	{ "×10⁹/л", "10^9/L" }, { "x10^9/л", "10^9/L" }, { "×10^9/л", "10^9/L" }, { "10^9/л", "10^9/L" },
	{ "×10¹²/л", "10^12/L" }, { "x10^12/л", "10^12/L" },
};

/* W at S[I] (ASCII case ignored when CI, the letters of another case counted
 * in *MISS): its end, or 0. */
static size_t match_unit_at(const char *s, size_t to, size_t i, const char *w, bool ci, unsigned *miss)
{
	*miss = 0;
	for (; *w; w++, i++) {
		if (i >= to)
			return 0;
		unsigned char a = (unsigned char)s[i], b = (unsigned char)*w;
		if (a == b)
			continue;
		if (ci && a < 0x80 && b < 0x80 && (a | 0x20) == (b | 0x20) && (a | 0x20) >= 'a' && (a | 0x20) <= 'z') {
			(*miss)++;
			continue;
		}
		return 0;
	}
	return i;
}

static bool ascii_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

struct vlab_ctx {
	const struct vocab *v;
	const struct vocab_lab *lab;    /* the lab whose units labs.yaml gives, or NULL */
};

/* A unit at original offset I: its normal form and end, or NULL. */
static const char *unit_at(const struct vlab_ctx *x, const char *s, size_t to, size_t i, size_t *end)
{
	const char *best = NULL;
	size_t be = 0;
	unsigned bm = 0, miss;
	/* the longest spelling; of equal ones, the one whose case matches best ("G/l" is G/L) */
	for (size_t k = 0; k < ARRAY_SIZE(units); k++) {
		size_t e = match_unit_at(s, to, i, units[k].w, true, &miss);
		if (!e || e < be || (e == be && miss >= bm))
			continue;
		if (ascii_alpha((unsigned char)units[k].w[strlen(units[k].w) - 1]) && e < to &&
		    ascii_alpha((unsigned char)s[e]))
			continue;
		be = e;
		bm = miss;
		best = units[k].n;
	}
	for (size_t k = 0; !best && x && x->lab && x->lab->units && x->lab->units[k]; k++) {
		size_t e = match_unit_at(s, to, i, x->lab->units[k], true, &miss);
		if (e && e > be && !(e < to && ascii_alpha((unsigned char)s[e]))) {
			be = e;
			best = x->lab->units[k];
		}
	}
	*end = be;
	return best;
}

/* ---- lines, cells, folded positions ---- */

#define LAB_CELLS_MAX 32
#define LAB_LINE_MAX 4096       /* longer lines are prose: read their first part */
#define LAB_AGAIN_MAX 8         /* later values of one lab in one sentence */

struct cell {
	size_t a, b;            /* original offsets in the source, trimmed */
	unsigned c0, c1;        /* display columns */
};

struct line {
	const char *src;
	size_t a, b;            /* original offsets */
	struct cell cells[LAB_CELLS_MAX];
	size_t nc;
	struct vtext t;         /* the line folded; orig[] relative to a */
	bool folded;
	bool tabbed;            /* cells split by tabs (a layout's), not by spaces */
};

/* Cells: split at '\t', and at runs of two spaces or more. */
static void split_cells(struct line *ln)
{
	const char *s = ln->src;
	size_t i = ln->a;
	unsigned col = 0;
	ln->nc = 0;
	ln->tabbed = memchr(s + ln->a, '\t', ln->b - ln->a) != NULL;
	while (i < ln->b && ln->nc < LAB_CELLS_MAX) {
		while (i < ln->b && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
			col = s[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
			i++;
		}
		if (i >= ln->b)
			break;
		struct cell *c = &ln->cells[ln->nc++];
		c->a = i;
		c->c0 = col;
		size_t last = i;
		unsigned lastcol = col;
		while (i < ln->b && s[i] != '\t' && s[i] != '\r' && !(s[i] == ' ' && i + 1 < ln->b && s[i + 1] == ' ')) {
			if (s[i] != ' ') {
				last = i + 1;
				lastcol = col + 1;
			}
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				col++;
			i++;
		}
		/* the rest of a character whose last byte ended the cell */
		c->b = last;
		while (c->b < ln->b && ((unsigned char)s[c->b] & 0xc0) == 0x80)
			c->b++;
		c->c1 = lastcol;
	}
}

/* The folded offset of original offset O (absolute) in the line. */
static size_t fpos(const struct line *ln, size_t o)
{
	size_t rel = o - ln->a, lo = 0, hi = ln->t.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ln->t.orig[mid] < rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t opos(const struct line *ln, size_t f)
{
	return ln->a + ln->t.orig[MIN(f, ln->t.n)];
}

/* The cell holding original offset O, or -1. */
static int cell_of(const struct line *ln, size_t o)
{
	for (size_t k = 0; k < ln->nc; k++)
		if (o >= ln->cells[k].a && o < ln->cells[k].b)
			return (int)k;
	return -1;
}

/* ---- tables ---- */

enum col_role { ROLE_NONE = 0, ROLE_NAME, ROLE_RESULT, ROLE_UNIT, ROLE_REF, ROLE_FLAG, ROLE_DATE, ROLE_OTHER,
                ROLE_VALUE_DATE };

struct table {
	bool active;
	size_t nc;
	struct cell cols[LAB_CELLS_MAX];
	enum col_role role[LAB_CELLS_MAX];
	struct rd_date date[LAB_CELLS_MAX];     /* ROLE_VALUE_DATE: the column's date */
	char *date_raw[LAB_CELLS_MAX];
	bool cumulative;
	bool tabbed;
};

static void table_clear(struct table *tb)
{
	for (size_t k = 0; k < LAB_CELLS_MAX; k++) {
		free(tb->date_raw[k]);
		tb->date_raw[k] = NULL;
	}
	memset(tb, 0, sizeof(*tb));
}

static enum col_role role_of_class(enum vocab_class c)
{
	switch (c) {
	case VW_COL_MARKER: return ROLE_NAME;
	case VW_COL_RESULT: return ROLE_RESULT;
	case VW_COL_UNIT: return ROLE_UNIT;
	case VW_COL_REFERENCE: return ROLE_REF;
	case VW_COL_FLAG: return ROLE_FLAG;
	case VW_COL_DATE: return ROLE_DATE;
	default: return ROLE_OTHER;
	}
}

/* Does folded [a, b) hold only white space and characters of a time ("08:30")? */
static bool only_time(const char *s, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (!(s[i] == ' ' || s[i] == ':' || s[i] == 'h' || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* Is the line a table's heading row? Fills TB when it is. */
static bool read_header(const struct vocab *v, struct line *ln, struct table *tb)
{
	struct table h = { 0 };
	size_t roles = 0, dates = 0;
	const __typeof__(VW_BIT(0)) colmask = VW_BIT(VW_COL_MARKER) | VW_BIT(VW_COL_RESULT) | VW_BIT(VW_COL_METHOD) |
	                         VW_BIT(VW_COL_REFERENCE) | VW_BIT(VW_COL_UNIT) | VW_BIT(VW_COL_DATE) |
	                         VW_BIT(VW_COL_FLAG) | VW_BIT(VW_COL_CLASSIFICATION) | VW_BIT(VW_COL_VAF);

	if (ln->nc < 2)
		return false;
	h.nc = ln->nc;
	for (size_t k = 0; k < ln->nc; k++) {
		const struct cell *c = &ln->cells[k];
		size_t fa = fpos(ln, c->a), fb = fpos(ln, c->b);
		h.cols[k] = *c;
		struct rd_date rd;
		size_t de = rd_date_at(v, &ln->t, fa, fb, 0, &rd);
		if (de && only_time(ln->t.s, de, fb)) {
			h.role[k] = ROLE_VALUE_DATE;
			h.date[k] = rd;
			h.date_raw[k] = rd_snippet(ln->src, c->a, opos(ln, de));
			dates++;
			continue;
		}
		struct vmatch m[4];
		size_t n = vocab_match_at(v, &ln->t, fa, colmask, m, ARRAY_SIZE(m));
		/* the heading is the cell, or most of it ("Reference range (adults)") */
		for (size_t q = 0; q < n; q++)
			if (m[q].end <= fb && (m[q].end == fb || ln->t.s[m[q].end] == ' ' || ln->t.s[m[q].end] == '(')) {
				h.role[k] = role_of_class(m[q].cls);
				roles++;
				break;
			}
	}
	if (dates >= 2)
		h.cumulative = true;
	else if (roles < 2 || roles * 2 < ln->nc)
		goto no;
	h.active = true;
	h.tabbed = ln->tabbed;
	table_clear(tb);
	*tb = h;
	return true;
no:
	for (size_t k = 0; k < LAB_CELLS_MAX; k++)
		free(h.date_raw[k]);
	return false;
}

/* The row's cell under table column K, or -1: by index when tabs split both
 * rows, else the cell that overlaps the column most (fixed-width text). */
static int aligned(const struct table *tb, const struct line *ln, size_t k)
{
	if (tb->tabbed && ln->tabbed) {
		/* cells by tabs: by index; a heading row of dates has no cell over the names */
		bool unlabelled = tb->role[0] == ROLE_VALUE_DATE;
		if (unlabelled && ln->nc == tb->nc + 1)
			return (int)k + 1;
		return !unlabelled && ln->nc == tb->nc ? (int)k : -1;
	}
	int best = -1;
	long bo = 0;
	const struct cell *h = &tb->cols[k];
	for (size_t q = 0; q < ln->nc; q++) {
		const struct cell *c = &ln->cells[q];
		long o = (long)MIN(h->c1, c->c1) - (long)MAX(h->c0, c->c0);
		if (o > bo) {
			bo = o;
			best = (int)q;
		}
	}
	/* a column's cells are unique to it */
	for (size_t j = 0; best >= 0 && j < tb->nc; j++) {
		if (j == k)
			continue;
		const struct cell *o2 = &tb->cols[j], *c = &ln->cells[best];
		long o = (long)MIN(o2->c1, c->c1) - (long)MAX(o2->c0, c->c0);
		if (o > bo)
			return -1;
	}
	return best;
}

/* ---- values ---- */

enum { VAL_NONE = 0, VAL_OK, VAL_RANGE, VAL_SKIP };

struct val {
	char text[40];
	double num;
	size_t a, e;            /* original span of the number */
	size_t end;             /* past the unit (or the number) */
	const char *unit;
};

/* A flag after a value: H, L, *, ↑, ↓, (H). Its end, or I. */
static size_t skip_flag(const char *s, size_t to, size_t i)
{
	size_t j = i;
	while (j < to && s[j] == ' ')
		j++;
	if (j + 2 < to && s[j] == '(' && (s[j + 1] == 'H' || s[j + 1] == 'L') && s[j + 2] == ')')
		return j + 3;
	if (j < to && (s[j] == 'H' || s[j] == 'L' || s[j] == '*') &&
	    (j + 1 >= to || s[j + 1] == ' ' || s[j + 1] == '\t' || s[j + 1] == '*'))
		return j + 1 < to && s[j + 1] == '*' ? j + 2 : j + 1;
	if (j + 2 < to && (unsigned char)s[j] == 0xe2 && (unsigned char)s[j + 1] == 0x86 &&
	    ((unsigned char)s[j + 2] == 0x91 || (unsigned char)s[j + 2] == 0x93))
		return j + 3;
	return i;
}

/* A value at original offset I of S (before TO): [cmp] number [flag] [unit]. */
static int value_at(const struct vlab_ctx *x, const char *s, size_t to, size_t i, struct val *out)
{
	char cmp[4], num[24];
	size_t j = rd_comparator(s, to, i, cmp);
	while (j < to && s[j] == ' ')
		j++;
	size_t ne = rd_number(s, to, j, num, sizeof(num));
	if (!ne)
		return VAL_NONE;
	/* a range "0.0-4.0", "3,5 – 5,0" */
	size_t r = ne;
	while (r < to && s[r] == ' ')
		r++;
	char tmp[24];
	if (!cmp[0] && r < to &&
	    (s[r] == '-' || (r + 2 < to && (unsigned char)s[r] == 0xe2 && (unsigned char)s[r + 1] == 0x80 &&
	                     ((unsigned char)s[r + 2] == 0x93 || (unsigned char)s[r + 2] == 0x94)))) {
		size_t q = s[r] == '-' ? r + 1 : r + 3;
		while (q < to && s[q] == ' ')
			q++;
		size_t e2 = rd_number(s, to, q, tmp, sizeof(tmp));
		if (e2) {
			out->end = e2;
			return VAL_RANGE;
		}
	}
	size_t u = skip_flag(s, to, ne), ue;
	while (u < to && s[u] == ' ')
		u++;
	const char *unit = u < to ? unit_at(x, s, to, u, &ue) : NULL;
	/* "1.73 m2", "x2", "5 cm": a number with a word that is no unit is no value */
	if (!unit && ne < to && (ascii_alpha((unsigned char)s[ne]) || s[ne] == '/'))
		return VAL_SKIP;
	if (!unit && u == ne + 1 && u < to && skip_flag(s, to, ne) == ne) {
		/* "12 cm", "5 mm": a measure; "4 Wochen", "3 months", "6 недель": a count of something */
		size_t w = u;
		while (w < to && ascii_alpha((unsigned char)s[w]))
			w++;
		if (w > u) {
			out->end = w;
			return VAL_SKIP;
		}
		/* a word of Latin or Cyrillic letters beyond ASCII */
		if (w == u && (unsigned char)s[u] >= 0xc3 && (unsigned char)s[u] <= 0xd4) {
			out->end = u + 2;
			return VAL_SKIP;
		}
	}
	snprintf(out->text, sizeof(out->text), "%s%s", cmp, num);
	out->num = strtod(num, NULL);
	out->a = i;
	out->e = ne;
	out->unit = unit;
	out->end = unit ? ue : ne;
	return VAL_OK;
}

/* ---- the reader ---- */

struct labs_state {
	const struct vocab *v;
	const struct doc_text *d;
	const char *src;
	size_t len;
	struct lab_list *l;
	char doc_iso[11];
	char *doc_raw;
	bool doc_have;
};

static void add_value(struct labs_state *st, int lab, const struct val *val, const char *unit, const char *iso,
                      const char *raw, bool from_doc, size_t sa, size_t sb)
{
	struct lab_list *l = st->l;
	if (l->n >= FINDINGS_MAX_LABS)
		return;
	for (size_t k = 0; k < l->n; k++)
		if (l->v[k].lab == lab && strcmp(l->v[k].value, val->text) == 0 &&
		    ((!iso && !l->v[k].date) || (iso && l->v[k].date && strcmp(iso, l->v[k].date) == 0)) &&
		    ((!raw && !l->v[k].date_raw) || (raw && l->v[k].date_raw && strcmp(raw, l->v[k].date_raw) == 0)))
			return;
	struct lab_value *o = &l->v[l->n++];
	o->lab = lab;
	o->name = vocab_lab(st->v, (size_t)lab)->name;
	o->value = xstrdup(val->text);
	o->num = val->num;
	o->unit = unit ? xstrdup(unit) : NULL;
	o->date = iso && iso[0] ? xstrdup(iso) : NULL;
	o->date_raw = raw ? xstrdup(raw) : NULL;
	o->date_from_document = from_doc;
	o->ocr = st->d->ocr;
	o->snippet = rd_snippet(st->src, sa, sb);
	o->offset = sa;
}

/* A lab name at folded offset F of the line: its id and folded end, or -1.
 * Short names ("Na", "Ca", "ALT") only as written with a capital: "na",
 * "ca." and "alt" are words of several languages. */
static int lab_at(const struct labs_state *st, const struct line *ln, size_t f, size_t *fe)
{
	struct vmatch m[4];
	size_t n = vocab_match_at(st->v, &ln->t, f, VW_BIT(VW_LAB), m, ARRAY_SIZE(m));
	if (!n || m[0].id >= vocab_n_labs(st->v))
		return -1;
	size_t oa = opos(ln, f), ob = opos(ln, m[0].end);
	if (ob - oa <= 3) {
		bool cap = false;
		for (size_t i = oa; i < ob; i++)
			cap |= st->src[i] >= 'A' && st->src[i] <= 'Z';
		bool ascii = true;
		for (size_t i = oa; i < ob; i++)
			ascii &= (unsigned char)st->src[i] < 0x80;
		if (ascii && !cap)
			return -1;
	}
	*fe = m[0].end;
	return m[0].id;
}

/* The value after a lab name on its line (prose, or a row without headings):
 * skip words, parentheses, dates, ranges and what a reference cue
 * introduces; stop at another lab or a derived quantity. FE is a folded
 * offset. With AGAIN, the next value of the same lab after one read at FE
 * ("PSA rose from 0.8 ng/mL (05/11/2025) to 4.6 ng/mL (25/02/2026)"): only
 * one with a unit, and any lab name or reference cue ends the search. */
static int prose_value(const struct labs_state *st, const struct line *ln, int lab, size_t fe, size_t limit,
                       bool again, struct val *out)
{
	const char *s = st->src;
	struct vlab_ctx x = { st->v, vocab_lab(st->v, (size_t)lab) };
	size_t to = MIN(limit, opos(ln, fe) + 240), nonws = 0, words = 0;
	bool after_ref = false;
	for (size_t o = opos(ln, fe); o < to;) {
		unsigned char c = (unsigned char)s[o];
		if (c != ' ' && c != '\t' && ++nonws > 64)
			break;
		size_t f = fpos(ln, o);
		struct rd_date rd;
		size_t e;
		int dg;
		if ((rd_digit(s, to, o, &dg) || ascii_alpha(c) || c >= 0x80) && f < ln->t.n && ln->t.orig[f] == o - ln->a) {
			if ((e = rd_date_at(st->v, &ln->t, f, ln->t.n, 0, &rd))) {
				o = opos(ln, e);
				continue;
			}
		}
		if (!rd_digit(s, to, o, &dg) && (ascii_alpha(c) || c >= 0x80)) {
			if (f < ln->t.n && ln->t.orig[f] == o - ln->a && vtext_word_start(&ln->t, f)) {
				size_t fe2;
				int other = lab_at(st, ln, f, &fe2);
				if (other >= 0 && (other != lab || again))
					return VAL_NONE;
				if ((e = rd_match(st->v, &ln->t, f, VW_DERIVED, -1)))
					return VAL_NONE;
				if ((e = rd_match(st->v, &ln->t, f, VW_REFERENCE, -1))) {
					if (again)
						return VAL_NONE;
					after_ref = true;
					o = opos(ln, e);
					continue;
				}
				if (other >= 0) {
					o = opos(ln, fe2);
					continue;
				}
				/* a value says itself near its name: "CEA erhöht, Kontrolle in 4 Wochen" has none */
				if (++words > 2)
					return VAL_NONE;
			}
			o++;
			while (o < to && ((unsigned char)s[o] & 0xc0) == 0x80)
				o++;
			continue;
		}
		/* a sentence ends: its value was not in it */
		if ((c == '.' || c == ';') && (o + 1 >= to || s[o + 1] == ' ') && o > 0 && !rd_digit(s, to, o - 1, &dg))
			return VAL_NONE;
		if (rd_digit(s, to, o, &dg) || c == '<' || c == '>' || c == 0xe2) {
			struct val vv = { 0 };
			int r = value_at(&x, s, to, o, &vv);
			if (r == VAL_NONE) {
				o++;
				continue;
			}
			if (r == VAL_RANGE || r == VAL_SKIP) {
				o = MAX(vv.end, o + 1);
				continue;
			}
			if (after_ref) {
				/* the number a reference cue introduces is the reference */
				after_ref = false;
				o = vv.end;
				continue;
			}
			/* past words, only a value with its unit; a rate ("0.75 ng/mL/year") is none */
			if ((words || again) && !vv.unit)
				return VAL_NONE;
			if (again && vv.end < to && (s[vv.end] == '/' || ascii_alpha((unsigned char)s[vv.end])))
				return VAL_NONE;
			*out = vv;
			return VAL_OK;
		}
		o++;
	}
	return VAL_NONE;
}

/* A cell's value (a table's result cell): [cmp] number [flag] [unit], nothing else. */
static int cell_value(const struct labs_state *st, const struct line *ln, const struct cell *c, int lab,
                      struct val *out)
{
	struct vlab_ctx x = { st->v, vocab_lab(st->v, (size_t)lab) };
	if (value_at(&x, st->src, c->b, c->a, out) != VAL_OK)
		return VAL_NONE;
	size_t e = skip_flag(st->src, c->b, out->end);
	while (e < c->b && st->src[e] == ' ')
		e++;
	(void)ln;
	return e == c->b ? VAL_OK : VAL_NONE;
}

/* The unit given in a row's own cells: a unit column, the name cell
 * ("Hb (g/dL)"), or a cell of its own. */
static const char *row_unit(const struct labs_state *st, const struct line *ln, const struct table *tb, int lab,
                            int name_cell, size_t name_end)
{
	struct vlab_ctx x = { st->v, vocab_lab(st->v, (size_t)lab) };
	const char *s = st->src;
	size_t e;
	for (size_t k = 0; tb && k < tb->nc; k++)
		if (tb->role[k] == ROLE_UNIT) {
			int c = aligned(tb, ln, k);
			if (c >= 0) {
				size_t i = ln->cells[c].a;
				const char *u = unit_at(&x, s, ln->cells[c].b, i, &e);
				if (u)
					return u;
			}
		}
	if (name_cell >= 0)
		for (size_t i = name_end; i < ln->cells[name_cell].b; i++)
			if (s[i] != ' ' && s[i] != '(' && s[i] != '[' && s[i] != ',') {
				const char *u = unit_at(&x, s, ln->cells[name_cell].b, i, &e);
				if (u)
					return u;
				break;
			}
	for (size_t k = (size_t)(name_cell + 1); name_cell >= 0 && k < ln->nc; k++) {
		const char *u = unit_at(&x, s, ln->cells[k].b, ln->cells[k].a, &e);
		if (u && e == ln->cells[k].b)
			return u;
	}
	return NULL;
}

/* A date on the line outside [skip_a, skip_b) (a value's own date). */
static bool line_date(const struct labs_state *st, const struct line *ln, struct rd_date *rd, size_t *oa, size_t *ob)
{
	size_t ds, de = rd_date_find(st->v, &ln->t, 0, ln->t.n, 0, &ds, rd);
	if (!de)
		return false;
	*oa = opos(ln, ds);
	*ob = opos(ln, de);
	return true;
}

/* A value's own date: right after it, or in parentheses after it ("4,6 ng/mL (25/02/2026)"). */
static bool own_date(const struct labs_state *st, const struct line *ln, const struct val *val, struct rd_date *rd,
                     size_t *oa, size_t *ob)
{
	size_t o = val->end;
	while (o < ln->b && st->src[o] == ' ')
		o++;
	if (o < ln->b && (st->src[o] == '(' || st->src[o] == '['))
		o++;
	while (o < ln->b && st->src[o] == ' ')
		o++;
	size_t f = fpos(ln, o), e;
	if (o >= ln->b || f >= ln->t.n || ln->t.orig[f] != o - ln->a || !(e = rd_date_at(st->v, &ln->t, f, ln->t.n, 0, rd)))
		return false;
	*oa = o;
	*ob = opos(ln, e);
	return true;
}

static void add_dated(struct labs_state *st, const struct line *ln, int lab, const struct val *val, const char *unit,
                      size_t sa, size_t sb)
{
	struct rd_date rd;
	size_t da, db;
	char iso[11] = "";
	if (own_date(st, ln, val, &rd, &da, &db) || line_date(st, ln, &rd, &da, &db)) {
		_cleanup_free_ char *raw = rd_snippet(st->src, da, db);
		if (rd.prec == TREATMENT_DAY)
			rd_iso(iso, rd.y, rd.m, rd.d);
		add_value(st, lab, val, unit, iso[0] ? iso : NULL, raw, false, sa, sb);
	} else if (st->doc_have) {
		add_value(st, lab, val, unit, st->doc_iso[0] ? st->doc_iso : NULL, st->doc_raw, true, sa, sb);
	} else {
		add_value(st, lab, val, unit, NULL, NULL, false, sa, sb);
	}
}

/* One lab row of a table. */
static void read_row(struct labs_state *st, const struct line *ln, const struct table *tb, int lab, int name_cell,
                     size_t name_end)
{
	const char *unit = row_unit(st, ln, tb, lab, name_cell, name_end);
	if (tb->cumulative) {
		for (size_t k = 0; k < tb->nc; k++) {
			if (tb->role[k] != ROLE_VALUE_DATE)
				continue;
			int c = aligned(tb, ln, k);
			struct val val;
			if (c < 0 || c == name_cell || cell_value(st, ln, &ln->cells[c], lab, &val) != VAL_OK)
				continue;
			char iso[11] = "";
			const struct rd_date *rd = &tb->date[k];
			if (rd->prec == TREATMENT_DAY)
				rd_iso(iso, rd->y, rd->m, rd->d);
			add_value(st, lab, &val, val.unit ? val.unit : unit, iso[0] ? iso : NULL, tb->date_raw[k], false,
			          ln->a, ln->b);
		}
		return;
	}
	/* a result column; else the first cell after the name that is in no other column's role */
	struct val val;
	for (size_t k = 0; k < tb->nc; k++) {
		if (tb->role[k] != ROLE_RESULT)
			continue;
		int c = aligned(tb, ln, k);
		if (c >= 0 && c != name_cell && cell_value(st, ln, &ln->cells[c], lab, &val) == VAL_OK) {
			add_dated(st, ln, lab, &val, val.unit ? val.unit : unit, ln->a, ln->b);
			return;
		}
		if (c >= 0)
			return;     /* the result cell says something else ("see comment", "haemolysed") */
	}
	for (size_t c = (size_t)name_cell + 1; c < ln->nc; c++) {
		bool other = false;
		for (size_t k = 0; k < tb->nc && !other; k++)
			other = tb->role[k] != ROLE_NONE && tb->role[k] != ROLE_RESULT && aligned(tb, ln, k) == (int)c;
		if (other)
			continue;
		if (cell_value(st, ln, &ln->cells[c], lab, &val) == VAL_OK) {
			add_dated(st, ln, lab, &val, val.unit ? val.unit : unit, ln->a, ln->b);
			return;
		}
	}
}

static void read_line(struct labs_state *st, struct line *ln, struct table *tb)
{
	split_cells(ln);
	if (ln->nc == 0)
		return;
	if (vtext_fold(st->src + ln->a, ln->b - ln->a, &ln->t) < 0)
		return;
	ln->folded = true;
	if (read_header(st->v, ln, tb))
		return;
	/* a line without a digit has no value: only a heading row or prose to see */
	bool digit = false;
	for (size_t i = ln->a; i < ln->b && !digit; i++) {
		int dg;
		digit = rd_digit(st->src, ln->b, i, &dg) > 0;
	}
	if (!digit) {
		if (ln->nc == 1 && ln->b - ln->a > 40)
			table_clear(tb);
		return;
	}
	/* the lab names of the line, each read once */
	bool any = false;
	for (size_t f = 0; f < ln->t.n && st->l->n < FINDINGS_MAX_LABS; f++) {
		if (((unsigned char)ln->t.s[f] & 0xc0) == 0x80 || !vtext_word_start(&ln->t, f))
			continue;
		size_t fe;
		int lab = lab_at(st, ln, f, &fe);
		if (lab < 0)
			continue;
		any = true;
		/* "PSA density", "PSA-Verdopplungszeit": not the lab itself */
		size_t g = fe;
		while (g < ln->t.n && ln->t.s[g] == ' ')
			g++;
		if (rd_match(st->v, &ln->t, g, VW_DERIVED, -1) || (f > 0 && rd_find(st->v, &ln->t, f > 24 ? f - 24 : 0, f,
		                                                                     VW_DERIVED, -1, NULL))) {
			f = fe - 1;
			continue;
		}
		size_t oa = opos(ln, f), oe = opos(ln, fe);
		int nc = cell_of(ln, oa);
		/* "Reference range for CA 15-3 is < 30 U/mL": a reference, not a value */
		if (rd_find(st->v, &ln->t, f > 48 ? f - 48 : 0, f, VW_REFERENCE, -1, NULL)) {
			f = fe - 1;
			continue;
		}
		struct val val;
		/* in a table, a cell of its own: "ALT 25 U/L" beside "AST 30 U/L" */
		bool own = nc >= 0 && prose_value(st, ln, lab, fe, ln->cells[nc].b, false, &val) == VAL_OK;
		if (tb->active && nc >= 0 && ln->nc >= 2 && !own) {
			read_row(st, ln, tb, lab, nc, oe);
			break;      /* one lab per table row */
		}
		size_t limit = own ? ln->cells[nc].b : ln->b;
		if (own || (!tb->active && prose_value(st, ln, lab, fe, ln->b, false, &val) == VAL_OK)) {
			/* the snippet: the name to the unit, and a reference in parentheses after it */
			size_t se = val.end, r = val.end;
			while (r < ln->b && st->src[r] == ' ')
				r++;
			if (r < ln->b && st->src[r] == '(') {
				size_t q = r;
				while (q < ln->b && q - r < 40 && st->src[q] != ')')
					q++;
				if (q < ln->b && st->src[q] == ')')
					se = q + 1;
			}
			add_dated(st, ln, lab, &val, val.unit, oa, se);
			/* the same lab's later values in the sentence, each with its own date: one
			 * without ("contre 18 g/L au diagnostic") is a comparison the line does not date */
			for (int n = 0; val.unit && n < LAB_AGAIN_MAX; n++) {
				struct val next;
				struct rd_date nrd;
				size_t nda, ndb;
				if (prose_value(st, ln, lab, fpos(ln, val.end), limit, true, &next) != VAL_OK ||
				    strcmp(next.unit, val.unit) != 0 || !own_date(st, ln, &next, &nrd, &nda, &ndb))
					break;
				add_dated(st, ln, lab, &next, next.unit, oa, next.end);
				val = next;
			}
			f = fpos(ln, val.end);
			if (f)
				f--;
		} else {
			f = fe - 1;
		}
	}
	/* a line of prose (one cell, no lab) ends a table */
	if (!any && ln->nc == 1 && ln->b - ln->a > 40)
		table_clear(tb);
}

int findings_labs(const struct vocab *v, const struct doc_text *d, struct lab_list *out)
{
	if (!out || !v || !d || (!d->text && d->len) || (d->layout == NULL && d->layout_len))
		return -EINVAL;
	struct lab_list l = { .v = xcalloc(FINDINGS_MAX_LABS, sizeof(struct lab_value)), .n = 0 };
	struct labs_state st = { .v = v, .d = d, .l = &l };
	st.src = d->layout ? d->layout : d->text;
	st.len = rd_len(d->layout ? d->layout_len : d->len);
	if (!st.src || !st.len) {
		*out = l;
		return 0;
	}
	st.doc_have = rd_document_date(v, d, st.doc_iso, &st.doc_raw) > 0;

	struct table tb = { 0 };
	size_t blank = 0;
	for (size_t a = 0; a < st.len && l.n < FINDINGS_MAX_LABS;) {
		size_t b = a;
		while (b < st.len && st.src[b] != '\n' && st.src[b] != '\f')
			b++;
		struct line ln = { .src = st.src, .a = a, .b = MIN(b, a + LAB_LINE_MAX) };
		while (ln.b < b && ln.b > ln.a && ((unsigned char)st.src[ln.b] & 0xc0) == 0x80)
			ln.b--;
		bool empty = true;
		for (size_t i = ln.a; i < ln.b && empty; i++)
			empty = st.src[i] == ' ' || st.src[i] == '\t' || st.src[i] == '\r';
		if (empty) {
			if (++blank >= 2 || st.src[b < st.len ? b : a] == '\f')
				table_clear(&tb);
		} else {
			blank = 0;
			read_line(&st, &ln, &tb);
			if (ln.folded)
				vtext_free(&ln.t);
		}
		a = b + 1;
	}
	table_clear(&tb);
	free(st.doc_raw);
	*out = l;
	return 0;
}

static void lab_free_one(struct lab_value *v)
{
	free(v->value);
	free(v->unit);
	free(v->date);
	free(v->date_raw);
	free(v->snippet);
}

void lab_list_free(struct lab_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		lab_free_one(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
