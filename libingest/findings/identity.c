/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The patient a document names: the name, birth date and hospital number
 * in its header (the first lines), after the labels of the vocabulary's
 * concepts patient-name, name-part, birth-date and record-number ("Name:",
 * "Nom:", "ФИО:", "姓名：", "DOB:"...); and the comparison of names for the
 * multi-patient check (docs/design.md, "Patients"): a set of name tokens,
 * folded, Cyrillic transliterated, "^" and commas as separators, order free,
 * an initial matching a token it starts.
 *
 * What is read here is the patient's identity: it is never logged and
 * never leaves the library except as an opaque salted key (inventory.c).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/text.h"
#include "findings/reading.h"

enum id_field { ID_NONE = -1, ID_NAME, ID_PART, ID_BIRTH, ID_NUMBER, _ID_MAX };
static const char *const field_concepts[_ID_MAX] = {
	[ID_NAME] = "patient-name", [ID_PART] = "name-part", [ID_BIRTH] = "birth-date", [ID_NUMBER] = "record-number",
};

/* The identity label at folded offset I: its field and end (0: none); the longest of the four. */
static size_t label_at(const struct vocab *v, const struct vtext *t, size_t i, const int ids[_ID_MAX],
                       enum id_field *field)
{
	size_t best = 0;
	*field = ID_NONE;
	for (int f = 0; f < _ID_MAX; f++) {
		if (ids[f] < 0)
			continue;
		size_t e = rd_match(v, t, i, VW_CONCEPT, ids[f]);
		if (e > best) {
			best = e;
			*field = (enum id_field)f;
		}
	}
	return best;
}

/* Source offset O starts a line or a cell (a tab, two spaces, '|' or ';' before it). */
static bool at_cell_start(const char *text, size_t o)
{
	size_t sp = 0;
	while (o > 0 && (text[o - 1] == ' ' || text[o - 1] == '\t')) {
		if (text[o - 1] == '\t')
			return true;
		sp++;
		o--;
	}
	return o == 0 || text[o - 1] == '\n' || text[o - 1] == '\r' || text[o - 1] == '\f' || text[o - 1] == '|' ||
	       text[o - 1] == ';' || sp >= 2;
}

/* Folded offset where the value after a label ending at folded E starts,
 * or 0 when the label is not followed by ':' or a cell gap (it is a word
 * of a sentence, not a label). */
static size_t value_start(const struct vtext *t, const char *text, size_t e)
{
	size_t c = e;
	bool gap = false;
	while (c < t->n && t->s[c] == ' ') {
		if (text[t->orig[c]] == '\t' || (c + 1 < t->n && t->orig[c + 1] - t->orig[c] >= 2))
			gap = true;
		c++;
	}
	if (c < t->n && t->s[c] == ':') {
		c++;
		while (c < t->n && t->s[c] == ' ')
			c++;
		return c;
	}
	return gap ? c : 0;
}

/* The value's end: the line's or cell's end, past at most IDENTITY_VALUE_MAX
 * source bytes, or where another identity label starts. */
static size_t value_end(const struct vocab *v, const struct vtext *t, const char *text, size_t vs,
                        const int ids[_ID_MAX])
{
	size_t j = vs;
	for (; j < t->n; j++) {
		size_t o = t->orig[j];
		if (text[o] == '\n' || text[o] == '\r' || text[o] == '\t' || text[o] == '|' || text[o] == ';' ||
		    o - t->orig[vs] >= IDENTITY_VALUE_MAX)
			break;
		if (t->s[j] == ' ' && j + 1 < t->n && t->orig[j + 1] - o >= 2 && text[o + 1] == ' ')
			break;      /* two spaces: a cell gap */
		if (j > vs && (((unsigned char)t->s[j] & 0xc0) != 0x80) && vtext_word_start(t, j)) {
			enum id_field f;
			if (label_at(v, t, j, ids, &f))
				break;
		}
	}
	while (j > vs && j < t->n && ((unsigned char)t->s[j] & 0xc0) == 0x80)
		j--;        /* cut at the cap: on a character's start */
	while (j > vs && t->s[j - 1] == ' ')
		j--;
	return j;
}

/* The name in folded [VS, VE): its words up to the first with a digit or a
 * ':' (another field: "Sex: M", "Geb. 1961"). Its source end. */
static size_t name_end(const struct vtext *t, size_t vs, size_t ve)
{
	size_t last = vs;
	for (size_t j = vs; j < ve;) {
		size_t w = j;
		bool stop = false;
		while (w < ve && t->s[w] != ' ') {
			if ((t->s[w] >= '0' && t->s[w] <= '9') || t->s[w] == ':')
				stop = true;
			w++;
		}
		if (stop)
			break;
		last = w;
		j = w < ve ? w + 1 : w;
	}
	return last;
}

static void put_date(char iso[11], int y, int m, int d)
{
	if (rd_valid_ymd(y, m, d) && y >= 1880)
		rd_iso(iso, y, m, d);
}

int findings_identity(const struct vocab *v, const struct doc_text *d, struct doc_identity *out)
{
	int ids[_ID_MAX];
	const char *src;
	size_t len, lines = 0, parts = 0;
	struct vtext t;
	struct strbuf name, part;

	*out = (struct doc_identity){ 0 };
	if (!v || !d)
		return -EINVAL;
	/* the header: the first printed lines (the layout keeps a label and its value on one line) */
	src = d->layout && d->layout_len ? d->layout : d->text;
	len = d->layout && d->layout_len ? d->layout_len : d->len;
	if (!src || !len)
		return 0;
	len = MIN(len, (size_t)IDENTITY_HEAD_BYTES);
	for (size_t i = 0; i < len; i++)
		if (src[i] == '\n' && ++lines >= IDENTITY_HEAD_LINES) {
			len = i;
			break;
		}
	for (int f = 0; f < _ID_MAX; f++)
		ids[f] = vocab_concept_id(v, field_concepts[f]);
	if (vtext_fold(src, len, &t) < 0)
		return -ENOMEM;
	strbuf_init(&name, IDENTITY_VALUE_MAX * 2);
	strbuf_init(&part, IDENTITY_VALUE_MAX * (IDENTITY_NAME_PARTS + 1));
	for (size_t i = 0; i < t.n; i++) {
		enum id_field f;
		if (((unsigned char)t.s[i] & 0xc0) == 0x80 || !vtext_word_start(&t, i) ||
		    !at_cell_start(src, t.orig[i]))
			continue;
		size_t e = label_at(v, &t, i, ids, &f);
		size_t vs = e ? value_start(&t, src, e) : 0;
		if (!vs)
			continue;
		size_t ve = value_end(v, &t, src, vs, ids);
		if (ve <= vs) {
			i = e - 1;
			continue;
		}
		switch (f) {
		case ID_NAME:
		case ID_PART: {
			size_t ne = name_end(&t, vs, ve);
			struct strbuf *b = f == ID_NAME ? &name : &part;
			if (ne <= vs || (f == ID_NAME && name.len) || (f == ID_PART && parts >= IDENTITY_NAME_PARTS))
				break;
			size_t a = t.orig[vs], z = ne < t.n ? t.orig[ne] : len;
			if (b->len)
				(void)strbuf_append(b, " ", 1);
			for (size_t k = a; k < z; k++)      /* white space made one space */
				if (src[k] != '\t' && src[k] != '\n' && src[k] != '\r')
					(void)strbuf_append(b, &src[k], 1);
			parts += f == ID_PART;
			break;
		}
		case ID_BIRTH: {
			struct rd_date rd;
			size_t ds;
			if (out->birth[0] || !rd_date_find(v, &t, vs, ve, 0, &ds, &rd) || rd.prec == TREATMENT_MONTH)
				break;
			put_date(out->birth, rd.y, rd.m, rd.d);
			if (rd.y2 != rd.y || rd.m2 != rd.m || rd.d2 != rd.d)
				put_date(out->birth_alt, rd.y2, rd.m2, rd.d2);
			break;
		}
		case ID_NUMBER: {
			if (out->number)
				break;
			size_t a = t.orig[vs], z = a;
			while (z < len && z - a < IDENTITY_NUMBER_MAX &&
			       (((unsigned char)src[z] >= '0' && (unsigned char)src[z] <= '9') ||
			        ((src[z] | 0x20) >= 'a' && (src[z] | 0x20) <= 'z') || src[z] == '-' || src[z] == '/'))
				z++;
			bool digit = false;
			for (size_t k = a; k < z; k++)
				digit |= src[k] >= '0' && src[k] <= '9';
			if (digit)
				out->number = xstrndup(src + a, z - a);
			break;
		}
		default:
			break;
		}
		i = ve - 1;
	}
	/* "Nom: DUPONT  Prénom: Marie": the name and its parts together */
	if (part.len) {
		if (name.len)
			(void)strbuf_append(&name, " ", 1);
		(void)strbuf_append(&name, part.s, part.len);
	}
	out->name = name.len ? strbuf_steal(&name) : NULL;
	strbuf_free(&name);
	strbuf_free(&part);
	vtext_free(&t);
	return 0;
}

/* ---- names compared ---- */

/* Cyrillic lower case (U+0430..U+044F, U+0451 ё) in Latin letters, ICAO Doc
 * 9303 (the transliteration of machine-readable passports): a name a
 * hospital abroad typed from a passport is written this way. */
static const char *const cyrillic[33] = {
	"a", "b", "v", "g", "d", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p",
	"r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "", "e", "iu", "ia",
	"e", /* ё */
};

static bool is_han(uint32_t cp)
{
	return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff);
}

static void token_end(const struct vocab *v, struct name_tokens *nt, struct strbuf *b, int title)
{
	if (!b->len)
		return;
	/* a title at the start ("Mr", "Frau", "Mme") is no part of the name */
	if (nt->n == 0 && title >= 0 && !nt->had_word) {
		struct vmatch m[4];
		size_t k = vocab_lookup_phrase(v, b->s, VW_BIT(VW_CONCEPT), m, ARRAY_SIZE(m));
		for (size_t q = 0; q < k; q++)
			if (m[q].id == title) {
				b->len = 0;
				b->s[0] = 0;
				return;
			}
	}
	nt->had_word = true;
	if (nt->n < IDENTITY_NAME_TOKENS) {
		for (size_t i = 0; i < b->len; i++)
			if (b->s[i] >= 'a' && b->s[i] <= 'z')
				b->s[i] = (char)(b->s[i] - 32);
		uint32_t cp = 0;
		(void)utf8_decode((const uint8_t *)b->s, b->len, &cp);
		nt->scripts |= cp < 0x80 ? NAME_LATIN : is_han(cp) ? NAME_HAN : cp >= 0x600 && cp <= 0x6ff ? NAME_ARABIC
		             : cp >= 0x900 && cp <= 0x97f ? NAME_DEVANAGARI : NAME_OTHER;
		nt->v[nt->n] = xstrndup(b->s, b->len);
		nt->initial[nt->n] = b->len == 1 && b->s[0] >= 'A' && b->s[0] <= 'Z';
		nt->n++;
	}
	b->len = 0;
	b->s[0] = 0;
}

int identity_name_tokens(const struct vocab *v, const char *name, size_t len, struct name_tokens *out)
{
	struct vtext t;
	struct strbuf b;
	int title = v ? vocab_concept_id(v, "name-title") : -1;

	*out = (struct name_tokens){ 0 };
	if (!name || !len)
		return 0;
	if (vtext_fold(name, MIN(len, (size_t)IDENTITY_VALUE_MAX * 2), &t) < 0)
		return -ENOMEM;
	strbuf_init(&b, 256);
	for (size_t i = 0; i < t.n;) {
		uint32_t cp;
		size_t l = utf8_decode((const uint8_t *)t.s + i, t.n - i, &cp);
		if (!l) {
			i++;
			continue;
		}
		i += l;
		if (cp == '\'' || cp == 0x2019)
			continue;                           /* O'Brien: one word */
		if (cp >= 0x430 && cp <= 0x44f) {
			(void)strbuf_puts(&b, cyrillic[cp - 0x430]);
		} else if (cp == 0x451) {
			(void)strbuf_puts(&b, cyrillic[32]);
		} else if (is_han(cp)) {
			/* a Chinese name is written without spaces: each character a token */
			token_end(v, out, &b, title);
			(void)strbuf_append(&b, t.s + i - l, l);
			token_end(v, out, &b, -1);
		} else if ((cp >= 'a' && cp <= 'z') || (cp >= 0x80 && cp != 0xa0 && cp != 0x3000 && cp != 0xff0c &&
		                                        cp != 0x3001 && cp != 0x060c && cp != 0x2010 && cp != 0x2013)) {
			(void)strbuf_append(&b, t.s + i - l, l);
		} else {
			token_end(v, out, &b, title);       /* ' ', ',', '^', '=', '.', '-', digits... */
		}
	}
	token_end(v, out, &b, title);
	strbuf_free(&b);
	vtext_free(&t);
	return 0;
}

void name_tokens_free(struct name_tokens *nt)
{
	for (size_t i = 0; i < nt->n; i++)
		free(nt->v[i]);
	*nt = (struct name_tokens){ 0 };
}

/* Every token of the shorter name is a token of the other (an initial: a
 * token it starts), each matched once, and at least one is a whole word. */
bool identity_names_match(const struct name_tokens *a, const struct name_tokens *b)
{
	const struct name_tokens *s = a->n <= b->n ? a : b, *l = s == a ? b : a;
	bool used[IDENTITY_NAME_TOKENS] = { false }, done[IDENTITY_NAME_TOKENS] = { false };
	size_t whole = 0, matched = 0;

	if (s->n < 2)
		return false;
	/* whole words first, then initials */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n; i++) {
			if (done[i] || (pass == 0) == s->initial[i])
				continue;
			for (size_t j = 0; j < l->n && !done[i]; j++) {
				if (used[j])
					continue;
				bool ok = pass == 0 ? strcmp(s->v[i], l->v[j]) == 0 : l->v[j][0] == s->v[i][0];
				if (!ok && pass == 0 && l->initial[j])
					ok = s->v[i][0] == l->v[j][0];  /* "R Patel" (longer) vs "Ravi Patel" */
				if (ok) {
					used[j] = done[i] = true;
					matched++;
					whole += pass == 0 && !l->initial[j];
				}
			}
		}
	return matched == s->n && whole >= 1;
}
