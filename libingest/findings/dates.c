/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Dates in local formats, read over folded text (vocab.h), and the
 * document's own date. Numbers and digits of every script the readers
 * share (reading.h) live here too.
 *
 * Day and month order: "12.03.2026" is day.month (a dot is never American);
 * "12/03/2026" is decided when one number is over 12 or both are equal, else
 * it stays ambiguous (both readings kept: a treatment gets the range, a lab
 * or the document date no ISO date). Month names are the vocabulary's
 * (VW_MONTH, every language): the C holds none.
 */
#include <string.h>
#include <stdio.h>

#include "findings/reading.h"
#include "util/mem.h"
#include "util/text.h"

size_t rd_digit(const char *s, size_t n, size_t i, int *val)
{
	const unsigned char *u = (const unsigned char *)s;

	if (i >= n)
		return 0;
	if (u[i] >= '0' && u[i] <= '9') {
		*val = u[i] - '0';
		return 1;
	}
	if (u[i] < 0xc0 || i + 1 >= n)
		return 0;
	/* U+0660..0669 Arabic-Indic, U+06F0..06F9 extended Arabic-Indic */
	if (u[i] == 0xd9 && u[i + 1] >= 0xa0 && u[i + 1] <= 0xa9) {
		*val = u[i + 1] - 0xa0;
		return 2;
	}
	if (u[i] == 0xdb && u[i + 1] >= 0xb0 && u[i + 1] <= 0xb9) {
		*val = u[i + 1] - 0xb0;
		return 2;
	}
	if (i + 2 >= n)
		return 0;
	/* U+0966..096F Devanagari */
	if (u[i] == 0xe0 && u[i + 1] == 0xa5 && u[i + 2] >= 0xa6 && u[i + 2] <= 0xaf) {
		*val = u[i + 2] - 0xa6;
		return 3;
	}
	/* U+FF10..FF19 full-width (when the text was not folded) */
	if (u[i] == 0xef && u[i + 1] == 0xbc && u[i + 2] >= 0x90 && u[i + 2] <= 0x99) {
		*val = u[i + 2] - 0x90;
		return 3;
	}
	return 0;
}

static bool ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

bool rd_alnum_at(const char *s, size_t n, size_t i)
{
	int d;
	return i < n && (ascii_alnum((unsigned char)s[i]) || rd_digit(s, n, i, &d));
}

bool rd_alnum_before(const char *s, size_t i)
{
	int d;
	if (i == 0)
		return false;
	if (ascii_alnum((unsigned char)s[i - 1]))
		return true;
	for (size_t k = 2; k <= 3 && k <= i; k++)
		if (rd_digit(s, i, i - k, &d) == k)
			return true;
	return false;
}

size_t rd_number(const char *s, size_t n, size_t i, char *buf, size_t bufsz)
{
	size_t j = i, k = 0, l, nd = 0;
	int d;

	if (!bufsz || !rd_digit(s, n, i, &d) || rd_alnum_before(s, i))
		return 0;
	/* "1.2.3" and "3,5" read from their middle are not numbers */
	if (i >= 2 && (s[i - 1] == '.' || s[i - 1] == ',') && rd_alnum_before(s, i - 1))
		return 0;
	while ((l = rd_digit(s, n, j, &d)) && nd < 12) {
		if (k + 1 < bufsz)
			buf[k++] = (char)('0' + d);
		j += l;
		nd++;
	}
	if (j + 1 < n && (s[j] == '.' || s[j] == ',' || (unsigned char)s[j] == 0xd9) && rd_digit(s, n, j + 1, &d)) {
		/* U+066B Arabic decimal separator is 0xd9 0xab: two bytes */
		size_t sl = (unsigned char)s[j] == 0xd9 ? 2 : 1;
		if (sl == 2 && !(j + 2 < n && (unsigned char)s[j + 1] == 0xab && rd_digit(s, n, j + 2, &d)))
			goto done;
		size_t q = j + sl, nf = 0;
		char frac[12];
		while ((l = rd_digit(s, n, q, &d)) && nf < sizeof(frac) - 1) {
			frac[nf++] = (char)('0' + d);
			q += l;
		}
		if (rd_digit(s, n, q, &d))
			return 0;
		/* "250,000": thousands, not a decimal comma */
		bool thousands = s[j] == ',' && nf == 3 && nd <= 3;
		if (!thousands && k + 1 < bufsz)
			buf[k++] = '.';
		for (size_t f = 0; f < nf; f++)
			if (k + 1 < bufsz)
				buf[k++] = frac[f];
		j = q;
	}
done:
	buf[k] = 0;
	return j;
}

size_t rd_comparator(const char *s, size_t n, size_t i, char buf[4])
{
	const unsigned char *u = (const unsigned char *)s;

	buf[0] = 0;
	if (i < n && (s[i] == '<' || s[i] == '>')) {
		bool eq = i + 1 < n && s[i + 1] == '=';
		buf[0] = s[i];
		buf[1] = eq ? '=' : 0;
		buf[2] = 0;
		return i + (eq ? 2 : 1);
	}
	/* ≤ U+2264, ≥ U+2265 */
	if (i + 2 < n && u[i] == 0xe2 && u[i + 1] == 0x89 && (u[i + 2] == 0xa4 || u[i + 2] == 0xa5)) {
		buf[0] = u[i + 2] == 0xa4 ? '<' : '>';
		buf[1] = '=';
		buf[2] = 0;
		return i + 3;
	}
	return i;
}

bool rd_valid_ymd(int y, int m, int d)
{
	return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= rd_days_in_month(y, m);
}

int rd_days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m < 1 || m > 12)
		return 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

void rd_iso(char iso[11], int y, int m, int d)
{
	char b[48];
	snprintf(b, sizeof(b), "%04d-%02d-%02d", y, m, d);
	memcpy(iso, b, 10);
	iso[10] = 0;
}

/* Up to MAXD digits at I, no more following: the end, or 0. */
static size_t read_int(const char *s, size_t to, size_t i, int maxd, int *v, int *nd)
{
	size_t j = i, l;
	int d, k = 0;

	*v = 0;
	while ((l = rd_digit(s, to, j, &d))) {
		if (k == maxd)
			return 0;
		*v = *v * 10 + d;
		k++;
		j += l;
	}
	*nd = k;
	return k ? j : 0;
}

static size_t skip_sp(const char *s, size_t i, size_t to)
{
	while (i < to && s[i] == ' ')
		i++;
	return i;
}

static bool is_sep(char c)
{
	return c == '-' || c == '/' || c == '.';
}

/* A month name of the vocabulary at I (a word start): 1..12 and its end (a
 * '.' after an abbreviation included), or 0. */
static int month_at(const struct vocab *v, const struct vtext *t, size_t i, size_t to, size_t *end)
{
	struct vmatch m[4];

	if (i >= to || !vtext_word_start(t, i))
		return 0;
	size_t k = vocab_match_at(v, t, i, VW_BIT(VW_MONTH), m, ARRAY_SIZE(m));
	for (size_t q = 0; q < k; q++)
		if (m[q].end <= to && m[q].id >= 1 && m[q].id <= 12) {
			*end = m[q].end < to && t->s[m[q].end] == '.' ? m[q].end + 1 : m[q].end;
			return m[q].id;
		}
	return 0;
}

/* A short joining word ("de", "of", "del") and the space after it: its end,
 * else I. Only between a date's parts, where no other word fits. */
static size_t skip_joiner(const char *s, size_t i, size_t to)
{
	size_t j = i;
	while (j < to && (s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'z' && j - i < 4)
		j++;
	if (j > i && j - i <= 3 && j < to && s[j] == ' ')
		return j + 1;
	return i;
}

/* The number ends a date only when no date-like continuation follows. */
static bool ends_clean(const char *s, size_t e, size_t to)
{
	int d;
	if (e >= to)
		return true;
	if (rd_alnum_at(s, to, e) && ascii_alnum((unsigned char)s[e]))
		return false;
	if (rd_digit(s, to, e, &d))
		return false;
	return !(is_sep(s[e]) && e + 1 < to && rd_digit(s, to, e + 1, &d));
}

static void set_day(struct rd_date *o, int y, int m, int d)
{
	o->y = o->y2 = y;
	o->m = o->m2 = m;
	o->d = o->d2 = d;
	o->prec = TREATMENT_DAY;
}

static void set_month(struct rd_date *o, int y, int m)
{
	o->y = o->y2 = y;
	o->m = o->m2 = m;
	o->d = 1;
	o->d2 = rd_days_in_month(y, m);
	o->prec = TREATMENT_MONTH;
}

/* Year after a month name: [.,] [joiner] YYYY. Its end or 0. */
static size_t year_after(const char *s, size_t k, size_t to, int *y)
{
	int nd;
	size_t l;
	k = skip_sp(s, k, to);
	if (k < to && (s[k] == ',' || is_sep(s[k])))
		k = skip_sp(s, k + 1, to);
	k = skip_joiner(s, k, to);
	if ((l = read_int(s, to, k, 4, y, &nd)) && nd == 4)
		return l;
	return 0;
}

size_t rd_date_at(const struct vocab *v, const struct vtext *t, size_t i, size_t to, unsigned flags,
                  struct rd_date *o)
{
	const char *s = t->s;
	int a, b, c, na, nb, nc, m, dd;
	size_t j, k, l, me;

	if (i >= to || (i > 0 && (rd_alnum_before(s, i) || s[i - 1] == '/' || s[i - 1] == '.')))
		return 0;
	if (i > 1 && s[i - 1] == '-' && rd_alnum_before(s, i - 1))
		return 0;
	memset(o, 0, sizeof(*o));

	if ((j = read_int(s, to, i, 4, &a, &na))) {
		if (na == 4) {
			/* YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD */
			if (j < to && is_sep(s[j]) && (k = read_int(s, to, j + 1, 2, &b, &nb)) && k < to && s[k] == s[j] &&
			    (l = read_int(s, to, k + 1, 2, &c, &nc)) && rd_valid_ymd(a, b, c) && ends_clean(s, l, to)) {
				set_day(o, a, b, c);
				return l;
			}
			/* YYYY年M月D日, YYYY年M月 */
			size_t y = skip_sp(s, j, to);
			if (y + 3 <= to && memcmp(s + y, "年", 3) == 0 &&
			    (k = read_int(s, to, skip_sp(s, y + 3, to), 2, &b, &nb)) && (k = skip_sp(s, k, to)) + 3 <= to &&
			    memcmp(s + k, "月", 3) == 0) {
				size_t me2 = k + 3;
				if ((l = read_int(s, to, skip_sp(s, me2, to), 2, &c, &nc)) && rd_valid_ymd(a, b, c)) {
					size_t e = skip_sp(s, l, to);
					if (e + 3 <= to && (memcmp(s + e, "日", 3) == 0 || memcmp(s + e, "号", 3) == 0))
						l = e + 3;
					set_day(o, a, b, c);
					return l;
				}
				if ((flags & RD_DATE_MONTHS) && rd_valid_ymd(a, b, 1)) {
					set_month(o, a, b);
					return me2;
				}
				return 0;
			}
			/* 2026-03 */
			if ((flags & RD_DATE_MONTHS) && j < to && s[j] == '-' && (k = read_int(s, to, j + 1, 2, &b, &nb)) &&
			    nb == 2 && rd_valid_ymd(a, b, 1) && ends_clean(s, k, to)) {
				set_month(o, a, b);
				return k;
			}
			return 0;
		}
		if (na > 2)
			return 0;
		/* D.M.YYYY, D/M/YYYY, M/D/YYYY, D-M-YYYY */
		if (j < to && is_sep(s[j])) {
			char sep = s[j];
			if ((k = read_int(s, to, j + 1, 2, &b, &nb)) && k < to && s[k] == sep &&
			    (l = read_int(s, to, k + 1, 4, &c, &nc)) && nc == 4 && ends_clean(s, l, to)) {
				int d = 0, mm = 0;
				if (sep == '.' || a > 12)
					d = a, mm = b;
				else if (b > 12)
					d = b, mm = a;
				else if (a == b)
					d = a, mm = b;
				if (d) {
					if (!rd_valid_ymd(c, mm, d))
						return 0;
					set_day(o, c, mm, d);
					return l;
				}
				/* both readings are days */
				if (!rd_valid_ymd(c, b, a) || !rd_valid_ymd(c, a, b))
					return 0;
				/* earliest: the smaller month first */
				int m1 = MIN(a, b), m2 = MAX(a, b);
				o->y = o->y2 = c;
				o->m = m1;
				o->d = m1 == a ? b : a;
				o->m2 = m2;
				o->d2 = m2 == a ? b : a;
				o->prec = TREATMENT_DAY_AMBIGUOUS;
				return l;
			}
			/* 03/2026, 03.2026 */
			if ((flags & RD_DATE_MONTHS) && sep != '-' && (k = read_int(s, to, j + 1, 4, &c, &nc)) && nc == 4 &&
			    rd_valid_ymd(c, a, 1) && ends_clean(s, k, to)) {
				set_month(o, c, a);
				return k;
			}
		}
		/* 12 mars 2026, 12. März 2026, 12-Jan-2026, 12 de marzo de 2026, 12 марта 2026 */
		k = j;
		if (k < to && (s[k] == '.' || s[k] == '-' || s[k] == '/'))
			k++;
		k = skip_joiner(s, skip_sp(s, k, to), to);
		if ((m = month_at(v, t, k, to, &me)) && (l = year_after(s, me, to, &c)) && rd_valid_ymd(c, m, a) &&
		    ends_clean(s, l, to)) {
			set_day(o, c, m, a);
			return l;
		}
		return 0;
	}

	/* March 12, 2026; March 2026 */
	if ((m = month_at(v, t, i, to, &me))) {
		k = skip_sp(s, me, to);
		if ((j = read_int(s, to, k, 2, &dd, &na))) {
			size_t q = j;
			/* 12th, 1st */
			while (q < to && q - j < 2 && (s[q] | 0x20) >= 'a' && (s[q] | 0x20) <= 'z')
				q++;
			if (!(q < to && ascii_alnum((unsigned char)s[q])) && (l = year_after(s, q, to, &c)) &&
			    rd_valid_ymd(c, m, dd) && ends_clean(s, l, to)) {
				set_day(o, c, m, dd);
				return l;
			}
		}
		if ((flags & RD_DATE_MONTHS) && (l = year_after(s, me, to, &c)) && rd_valid_ymd(c, m, 1) &&
		    ends_clean(s, l, to)) {
			set_month(o, c, m);
			return l;
		}
	}
	return 0;
}

size_t rd_date_find(const struct vocab *v, const struct vtext *t, size_t a, size_t b, unsigned flags, size_t *ds,
                    struct rd_date *out)
{
	int d;
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)t->s[i];
		if ((c & 0xc0) == 0x80)
			continue;
		if (!rd_digit(t->s, b, i, &d) && !(c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			continue;
		if (!rd_digit(t->s, b, i, &d) && !vtext_word_start(t, i))
			continue;
		size_t e = rd_date_at(v, t, i, b, flags, out);
		if (e) {
			*ds = i;
			return e;
		}
	}
	return 0;
}

char *rd_snippet(const char *text, size_t a, size_t b)
{
	char buf[FINDINGS_SNIPPET_MAX + 1] = "";
	size_t k = 0;
	bool sp = false;

	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			sp = k > 0;
			continue;
		}
		if (k + (sp ? 2 : 1) > FINDINGS_SNIPPET_MAX)
			break;
		if (sp)
			buf[k++] = ' ';
		sp = false;
		buf[k++] = (char)c;
	}
	/* do not end inside a UTF-8 sequence */
	size_t valid = utf8_valid_prefix(buf, k);
	if (valid < k && k - valid < 4 && (unsigned char)buf[valid] >= 0xc0) {
		uint32_t cp;
		if (!utf8_decode((const uint8_t *)buf + valid, k - valid, &cp))
			k = valid;
	}
	while (k > 0 && buf[k - 1] == ' ')
		k--;
	char *r = utf8_sanitize(buf, k);
	/* an invalid byte grows to U+FFFD: cut again on a character boundary */
	size_t rl = strlen(r);
	if (rl > FINDINGS_SNIPPET_MAX) {
		size_t e = FINDINGS_SNIPPET_MAX;
		while (e > 0 && ((unsigned char)r[e] & 0xc0) == 0x80)
			e--;
		r[e] = 0;
	}
	return r;
}

size_t rd_match(const struct vocab *v, const struct vtext *t, size_t i, enum vocab_class cls, int id)
{
	struct vmatch m[16];
	size_t k = vocab_match_at(v, t, i, VW_BIT(cls), m, ARRAY_SIZE(m));
	for (size_t q = 0; q < k; q++)
		if (m[q].cls == cls && (id < 0 || m[q].id == id))
			return m[q].end;
	return 0;
}

bool rd_find(const struct vocab *v, const struct vtext *t, size_t a, size_t b, enum vocab_class cls, int id,
             size_t *at)
{
	for (size_t i = a; i < b && i < t->n; i++) {
		if (((unsigned char)t->s[i] & 0xc0) == 0x80 || !vtext_word_start(t, i))
			continue;
		size_t e = rd_match(v, t, i, cls, id);
		if (e && e <= b) {
			if (at)
				*at = i;
			return true;
		}
	}
	return false;
}

/* ---- the document's date ---- */

/* Is original offset O at the start of a line or a cell (after a tab or a
 * run of two spaces)? */
static bool starts_line_or_cell(const char *text, size_t o)
{
	size_t sp = 0;
	while (o > 0 && (text[o - 1] == ' ' || text[o - 1] == '\t')) {
		if (text[o - 1] == '\t')
			return true;
		sp++;
		o--;
	}
	return o == 0 || text[o - 1] == '\n' || text[o - 1] == '\r' || text[o - 1] == '\f' || sp >= 2;
}

/* Folded offset of the start of the cell (or line) holding folded offset I,
 * at most 32 bytes back: the label's own words ("Geb.-Datum"), not the cell
 * before it. */
static size_t cell_start_folded(const struct vtext *t, const char *text, size_t i)
{
	size_t o = t->orig[i], lim = o > 32 ? o - 32 : 0;
	while (o > lim && text[o - 1] != '\n' && text[o - 1] != '\t' && !(text[o - 1] == ' ' && o >= 2 && text[o - 2] == ' '))
		o--;
	size_t j = i;
	while (j > 0 && t->orig[j - 1] >= o)
		j--;
	return j;
}

/* Folded offset of the end of the original line holding folded offset I. */
static size_t line_end_folded(const struct vtext *t, const char *text, size_t len, size_t i)
{
	size_t o = t->orig[i];
	while (o < len && text[o] != '\n')
		o++;
	size_t j = i;
	while (j < t->n && t->orig[j] < o)
		j++;
	return j;
}

int rd_document_date(const struct vocab *v, const struct doc_text *d, char iso[11], char **raw)
{
	iso[0] = 0;
	if (raw)
		*raw = NULL;
	if (!v || !d || !d->text || !d->len)
		return 0;
	/* the head of the document holds its date: 256 KiB are plenty */
	size_t len = MIN(rd_len(d->len), (size_t)256 * 1024);
	struct vtext t;
	if (vtext_fold(d->text, len, &t) < 0)
		return 0;
	int collect = vocab_concept_id(v, "collection-date"), report = vocab_concept_id(v, "document-date");
	int birth = vocab_concept_id(v, "birth-date");
	bool found = false;

	/* pass 0: a collection date; 1: a report date; 2: a "Date:" heading */
	for (int pass = 0; pass < 3 && !found; pass++) {
		if ((pass == 0 && collect < 0) || (pass == 1 && report < 0))
			continue;
		for (size_t i = 0; i < t.n && !found; i++) {
			if (((unsigned char)t.s[i] & 0xc0) == 0x80 || !vtext_word_start(&t, i))
				continue;
			size_t e = pass == 2 ? rd_match(v, &t, i, VW_COL_DATE, -1)
			                     : rd_match(v, &t, i, VW_CONCEPT, pass == 0 ? collect : report);
			if (!e)
				continue;
			size_t c = skip_sp(t.s, e, t.n);
			bool colon = c < t.n && t.s[c] == ':';
			/* a bare "Date" only as a label: at a line's or cell's start, or before ':' */
			if (pass > 0 && !colon && !starts_line_or_cell(d->text, t.orig[i]))
				continue;
			if (pass == 2 && !colon && !starts_line_or_cell(d->text, t.orig[c]))
				continue;
			size_t le = line_end_folded(&t, d->text, len, e);
			size_t we = MIN(le, e + 48);
			struct rd_date rd;
			size_t ds, de = rd_date_find(v, &t, e, we, 0, &ds, &rd);
			if (!de) {
				i = e - 1;
				continue;
			}
			/* "Date of birth: ..." is not the document's date */
			if (birth >= 0 && rd_find(v, &t, cell_start_folded(&t, d->text, i), ds, VW_CONCEPT, birth, NULL)) {
				i = de - 1;
				continue;
			}
			found = true;
			if (rd.prec == TREATMENT_DAY)
				rd_iso(iso, rd.y, rd.m, rd.d);
			if (raw)
				*raw = rd_snippet(d->text, t.orig[ds], t.orig[de]);
		}
	}
	vtext_free(&t);
	return found;
}

void findings_document_date(const struct vocab *v, const struct doc_text *d, char iso[11])
{
	rd_document_date(v, d, iso, NULL);
}
