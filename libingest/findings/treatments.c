/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Dated treatment events: a sentence (or a line) that names a treatment
 * and gives a date ("Letrozole started 03/2026", "Mastectomie le 12 mars
 * 2026"). The words are the vocabulary's concepts (en.yaml and the other
 * languages' `concepts:`):
 *   treatment, tx-*   a treatment's name (drug, regimen, operation, radiotherapy); the
 *                     concepts rules look for named tx-* ("tx-radiotherapy") are treatments too
 *   treatment-verb    what happened (started, stopped...): adds to "what", no treatment alone
 *   treatment-switch  "switched to": the word after it is the new treatment
 *   plan              a plan, not an event ("planned", "will start"): the sentence is skipped
 *   birth-date        a birth date's label: the date after it is no treatment's
 *   dose-unit         "Gy" after a number: radiotherapy
 *   line-continues    a line ending on such a word goes on with the next
 * Dates after today are plans (or the other reading of "03/12/2026"), dates
 * before 1900 none.
 */
#include <string.h>
#include <strings.h>

#include "findings/reading.h"
#include "util/mem.h"

struct treat_concepts {
	int treatment, verb, sw, plan, birth, dose, cont;
	bool *is_treatment;     /* by concept id: "treatment" or tx-* */
	size_t n;
};

#define WHAT_MAX 128
#define WHAT_WORDS 4
#define SEGMENT_MAX 600

const char *treatment_precision_name(enum treatment_precision p)
{
	switch (p) {
	case TREATMENT_DAY: return "day";
	case TREATMENT_MONTH: return "month";
	case TREATMENT_DAY_AMBIGUOUS: return "day-or-month";
	}
	return "day";
}

static void treatment_free_one(struct treatment_event *e)
{
	free(e->what);
	free(e->date_raw);
	free(e->snippet);
}

void treatment_list_free(struct treatment_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		treatment_free_one(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static size_t skip_ws(const char *s, size_t i, size_t to)
{
	while (i < to && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i;
}

/* A lower-case letter starts at S[I] (Latin, Latin-1, Cyrillic). */
static bool lower_at(const char *s, size_t n, size_t i)
{
	const unsigned char *u = (const unsigned char *)s;
	if (i >= n)
		return false;
	if (u[i] >= 'a' && u[i] <= 'z')
		return true;
	if (i + 1 >= n)
		return false;
	return (u[i] == 0xc3 && u[i + 1] >= 0x9f && u[i + 1] <= 0xbf) || (u[i] == 0xd0 && u[i + 1] >= 0xb0) ||
	       (u[i] == 0xd1 && u[i + 1] <= 0x8f);
}

/* Does the line [A, I) end on a word that wants more ("on", "from",
 * "since"...: concept line-continues)? */
static bool line_goes_on(const struct vocab *v, const struct treat_concepts *c, const char *s, size_t a, size_t i)
{
	if (c->cont < 0)
		return false;
	size_t e = i;
	while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
		e--;
	size_t w = e;
	while (w > a && s[w - 1] != ' ' && s[w - 1] != '\t' && s[w - 1] != '\n' && e - w < 32)
		w--;
	if (w == e || e - w >= 32)
		return false;
	struct vtext t;
	if (vtext_fold(s + w, e - w, &t) < 0)
		return false;
	size_t m = rd_match(v, &t, 0, VW_CONCEPT, c->cont);
	bool r = m && m == t.n;
	vtext_free(&t);
	return r;
}

/* Does a month name of the vocabulary start at S[J]? */
static bool month_follows(const struct vocab *v, const char *s, size_t n, size_t j)
{
	size_t e = j;
	while (e < n && e - j < 24 && s[e] != ' ' && s[e] != '\n' && s[e] != '\t')
		e++;
	while (e < n && ((unsigned char)s[e] & 0xc0) == 0x80)
		e++;
	struct vtext t;
	if (e == j || vtext_fold(s + j, e - j, &t) < 0)
		return false;
	bool r = rd_match(v, &t, 0, VW_MONTH, -1) > 0;
	vtext_free(&t);
	return r;
}

/* The end of the sentence or line that starts at A (exclusive). A line break
 * ends it unless the next line goes on in lower case (a wrapped sentence). */
static size_t segment_end(const struct vocab *v, const struct treat_concepts *c, const char *s, size_t n, size_t a)
{
	for (size_t i = a; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == ';')
			return i;
		/* 。 and । end a sentence */
		if (i + 2 < n && ((ch == 0xe3 && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x82) ||
		                  (ch == 0xe0 && (unsigned char)s[i + 1] == 0xa5 && (unsigned char)s[i + 2] == 0xa4)))
			return i;
		if ((ch == '.' || ch == '!' || ch == '?') && (i + 1 >= n || s[i + 1] == ' ' || s[i + 1] == '\n')) {
			/* "Sept. 2025", "Mar. 2026": an abbreviation before a number goes on;
			 * so does a day before its month ("12. März 2026") */
			size_t j = skip_ws(s, i + 1, n);
			int dg;
			bool abbrev = ch == '.' && i > a && (((unsigned char)s[i - 1] | 0x20) >= 'a' &&
			                                     ((unsigned char)s[i - 1] | 0x20) <= 'z') &&
			              j < n && s[j] != '\n' && rd_digit(s, n, j, &dg);
			bool day = ch == '.' && i > a && s[i - 1] >= '0' && s[i - 1] <= '9' && j < n && s[j] != '\n' &&
			           month_follows(v, s, n, j);
			if (!abbrev && !day)
				return i;
		}
		if (ch == '\n' || ch == '\f') {
			size_t j = skip_ws(s, i + 1, n);
			if (ch == '\f' || j >= n || !(lower_at(s, n, j) || line_goes_on(v, c, s, a, i)))
				return i;
		}
		if (i - a > SEGMENT_MAX && ((unsigned char)s[i] & 0xc0) != 0x80)
			return i;
	}
	return n;
}

/* Concept CONCEPT at folded offset F: its end, or 0. */
static size_t concept_at(const struct vocab *v, const struct vtext *t, size_t f, int concept)
{
	return concept < 0 ? 0 : rd_match(v, t, f, VW_CONCEPT, concept);
}

/* A treatment word at F: its end, or 0. "Gy" counts after a number. */
static size_t treatment_at(const struct vocab *v, const struct treat_concepts *c, const struct vtext *t, size_t f)
{
	struct vmatch m[16];
	size_t k = vocab_match_at(v, t, f, VW_BIT(VW_CONCEPT), m, ARRAY_SIZE(m)), e;
	for (size_t q = 0; q < k; q++)
		if (m[q].id < c->n && c->is_treatment[m[q].id])
			return m[q].end;
	if ((e = concept_at(v, t, f, c->dose))) {
		size_t j = f;
		while (j > 0 && t->s[j - 1] == ' ')
			j--;
		if (j > 0 && t->s[j - 1] >= '0' && t->s[j - 1] <= '9')
			return e;
	}
	return 0;
}

/* Appends original text [A, B) to WHAT unless already there; at most
 * WHAT_WORDS. A verb follows the treatment it is about with a space. */
static void what_add(const char *src, char *what, unsigned *n, bool *prev_verb, bool verb, size_t a, size_t b)
{
	char w[64];
	size_t len = MIN(b - a, sizeof(w) - 1);
	memcpy(w, src + a, len);
	w[len] = 0;
	for (size_t i = 0; i < len; i++)
		if (w[i] == '\n' || w[i] == '\t' || w[i] == '\r')
			w[i] = ' ';
	if (*n >= WHAT_WORDS || !len)
		return;
	for (const char *p = what; (p = strcasestr(p, w)); p++) {
		size_t pos = (size_t)(p - what);
		if ((pos == 0 || what[pos - 1] == ' ' || what[pos - 1] == ',') &&
		    (p[len] == 0 || p[len] == ' ' || p[len] == ','))
			return;
	}
	size_t cur = strlen(what);
	if (cur + len + 3 >= WHAT_MAX)
		return;
	snprintf(what + cur, WHAT_MAX - cur, "%s%s", !cur ? "" : verb && !*prev_verb ? " " : ", ", w);
	*prev_verb = verb;
	(*n)++;
}

static bool word_start(const struct vtext *t, size_t f)
{
	return ((unsigned char)t->s[f] & 0xc0) != 0x80 && vtext_word_start(t, f);
}

/* Every date we read has a year of four digits (of any script): a segment
 * without one has no event, and is not folded nor matched. */
static bool has_year(const char *s, size_t a, size_t b)
{
	size_t run = 0;
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= '0' && c <= '9') {
			if (++run == 4)
				return true;
		} else if (c >= 0xc0) {
			int d;
			size_t l = rd_digit(s, b, i, &d);
			if (l && ++run == 4)
				return true;
			if (!l)
				run = 0;
			else
				i += l - 1;
		} else if (c < 0x80) {
			run = 0;
		}
	}
	return false;
}

/* The events of one segment [A, B) of the text. */
static void read_segment(const struct vocab *v, const struct treat_concepts *c, const char *text, size_t a, size_t b,
                         const char *now, struct treatment_list *l)
{
	struct vtext t;
	if (vtext_fold(text + a, b - a, &t) < 0)
		return;
	size_t ws = SIZE_MAX, we = 0;
	bool any = false, plan = false;
	for (size_t f = 0; f < t.n && !plan; f++) {
		if (!word_start(&t, f))
			continue;
		struct vmatch m[16];
		size_t k = vocab_match_at(v, &t, f, VW_BIT(VW_CONCEPT), m, ARRAY_SIZE(m));
		for (size_t q = 0; q < k; q++)
			plan |= (int)m[q].id == c->plan;
		size_t e = k ? treatment_at(v, c, &t, f) : 0;
		if (e) {
			any = true;
			ws = MIN(ws, f);
			we = MAX(we, e);
			f = e - 1;
		}
	}
	if (!any || plan) {
		vtext_free(&t);
		return;
	}
	char what[WHAT_MAX] = "";
	unsigned nw = 0;
	bool prev_verb = false;
	for (size_t f = 0; f < t.n; f++) {
		if (!word_start(&t, f))
			continue;
		size_t e = treatment_at(v, c, &t, f);
		bool verb = false;
		if (!e && (e = concept_at(v, &t, f, c->sw))) {
			/* "switched to X": X too */
			size_t x = e;
			while (x < t.n && t.s[x] == ' ')
				x++;
			size_t xe = x;
			while (xe < t.n && t.s[xe] != ' ' && t.s[xe] != ',' && t.s[xe] != '.' && t.s[xe] != ';')
				xe++;
			if (xe > x)
				e = xe;
		} else if (!e && (e = concept_at(v, &t, f, c->verb))) {
			verb = true;
		}
		if (e) {
			what_add(text, what, &nw, &prev_verb, verb, a + t.orig[f], a + t.orig[e]);
			f = e - 1;
		}
	}
	for (size_t f = 0; f < t.n && l->n < FINDINGS_MAX_TREATMENTS; f++) {
		int dg;
		if (!rd_digit(t.s, t.n, f, &dg) && !word_start(&t, f))
			continue;
		struct rd_date rd;
		size_t de = rd_date_at(v, &t, f, t.n, RD_DATE_MONTHS, &rd);
		if (!de)
			continue;
		size_t ds = f;
		f = de - 1;
		/* a birth date right before: not a treatment date */
		if (c->birth >= 0 && rd_find(v, &t, ds > 24 ? ds - 24 : 0, ds, VW_CONCEPT, c->birth, NULL))
			continue;
		char lo[11], hi[11];
		rd_iso(lo, rd.y, rd.m, rd.d);
		rd_iso(hi, rd.y2, rd.m2, rd.d2);
		enum treatment_precision prec = rd.prec;
		/* dates after today are plans (or the other reading of 03/12) */
		if (now[0]) {
			if (strcmp(lo, now) > 0)
				continue;
			if (strcmp(hi, now) > 0) {
				if (prec == TREATMENT_DAY_AMBIGUOUS) {
					memcpy(hi, lo, 11);
					prec = TREATMENT_DAY;
				} else {
					memcpy(hi, now, 11);
				}
			}
		}
		bool dup = false;
		for (size_t k = 0; k < l->n && !dup; k++)
			dup = strcmp(l->v[k].date, lo) == 0 && strcmp(l->v[k].latest, hi) == 0 && strcmp(l->v[k].what, what) == 0;
		if (dup)
			continue;
		struct treatment_event *ev = &l->v[l->n++];
		memcpy(ev->date, lo, 11);
		memcpy(ev->latest, hi, 11);
		ev->precision = prec;
		ev->what = xstrdup(what);
		ev->date_raw = rd_snippet(text, a + t.orig[ds], a + t.orig[de]);
		/* the sentence, or the part around the words and the date */
		size_t sa = a + t.orig[MIN(ds, ws)], sb = a + t.orig[MAX(de, we)];
		sa = sa > a + 40 ? sa - 40 : a;
		while (sa > a && text[sa - 1] != ' ' && text[sa - 1] != '\n')
			sa--;
		sb = MIN(b, sb + 40);
		while (sb < b && ((unsigned char)text[sb] & 0xc0) == 0x80)
			sb++;
		while (sa < sb && (text[sa] == ' ' || text[sa] == '\n' || text[sa] == ':' || text[sa] == '-'))
			sa++;
		ev->snippet = rd_snippet(text, sa, sb);
		ev->offset = sa;
	}
	vtext_free(&t);
}

int findings_treatments(const struct vocab *v, const struct doc_text *d, const char *today,
                        struct treatment_list *out)
{
	if (!out || !v || !d || (!d->text && d->len))
		return -EINVAL;
	struct treatment_list l = { .v = xcalloc(FINDINGS_MAX_TREATMENTS, sizeof(struct treatment_event)), .n = 0 };
	size_t n = rd_len(d->len);
	struct treat_concepts c = {
		.treatment = vocab_concept_id(v, "treatment"), .verb = vocab_concept_id(v, "treatment-verb"),
		.sw = vocab_concept_id(v, "treatment-switch"), .plan = vocab_concept_id(v, "plan"),
		.birth = vocab_concept_id(v, "birth-date"), .dose = vocab_concept_id(v, "dose-unit"),
		.cont = vocab_concept_id(v, "line-continues"),
	};
	c.n = vocab_n_concepts(v);
	_cleanup_free_ bool *is_treatment = c.n ? xcalloc(c.n, sizeof(bool)) : NULL;
	bool any = false;
	for (size_t k = 0; k < c.n; k++) {
		const char *name = vocab_concept(v, k);
		is_treatment[k] = name && (strcmp(name, "treatment") == 0 || strncmp(name, "tx-", 3) == 0);
		any |= is_treatment[k];
	}
	c.is_treatment = is_treatment;
	if (!d->text || !n || (!any && c.dose < 0)) {
		*out = l;
		return 0;
	}
	char now[11] = "";
	if (today && strlen(today) >= 10) {
		memcpy(now, today, 10);
		now[10] = 0;
	}
	for (size_t a = 0; a < n && l.n < FINDINGS_MAX_TREATMENTS;) {
		size_t b = segment_end(v, &c, d->text, n, a);
		if (b > a && has_year(d->text, a, b))
			read_segment(v, &c, d->text, a, b, now, &l);
		a = b + 1;
	}
	*out = l;
	return 0;
}
