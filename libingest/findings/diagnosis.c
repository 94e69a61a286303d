/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The diagnosis, specimen and stage lines a document states
 * (findings/diagnosis.h): a label of the vocabulary at a line's start,
 * followed by ':' or a cell gap, its value the rest of the line or cell; a
 * diagnosis label alone on its line (a heading, "DIAGNOSIS") takes the next
 * line that is not empty. The value is quoted, never interpreted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "findings/diagnosis.h"
#include "findings/reading.h"
#include "util/mem.h"

static const char *const label_concepts[_DX_MAX] = {
	[DX_DIAGNOSIS] = "diagnosis-label", [DX_SPECIMEN] = "specimen-label", [DX_STAGE] = "staging",
};

const char *dx_field_name(enum dx_field f)
{
	static const char *const names[_DX_MAX] = {
		[DX_DIAGNOSIS] = "diagnosis", [DX_SPECIMEN] = "specimen", [DX_STAGE] = "stage",
	};
	return f < _DX_MAX ? names[f] : "?";
}

/* Source offset O is the first printed character of its line. */
static bool at_line_start(const char *src, size_t o)
{
	while (o > 0 && (src[o - 1] == ' ' || src[o - 1] == '\t'))
		o--;
	return o == 0 || src[o - 1] == '\n' || src[o - 1] == '\r' || src[o - 1] == '\f';
}

static bool is_eol(char c)
{
	return c == '\n' || c == '\r' || c == '\f';
}

/* The value's end from source offset A: the line's end, a tab, a gap of two
 * spaces (the next cell), or FINDINGS_SNIPPET_MAX bytes on. */
static size_t value_end(const char *src, size_t len, size_t a)
{
	size_t b = a;
	while (b < len && !is_eol(src[b]) && src[b] != '\t' && b - a < FINDINGS_SNIPPET_MAX &&
	       !(src[b] == ' ' && b + 1 < len && src[b + 1] == ' '))
		b++;
	while (b > a && b < len && ((unsigned char)src[b] & 0xc0) == 0x80)
		b--;        /* cut on a character's start */
	/* the first sentence: up to a '.' and a space after a number or a word of three bytes
	 * or more ("biopsy. Received ...", "grade 2. The tumour ..."; not "li. Oberlappen") */
	for (size_t k = a; k + 1 < b; k++) {
		if (src[k] != '.' || src[k + 1] != ' ')
			continue;
		size_t w = k, digits = 0;
		while (w > a && src[w - 1] != ' ' && src[w - 1] != '(' && src[w - 1] != ',') {
			digits += src[w - 1] >= '0' && src[w - 1] <= '9';
			w--;
		}
		if (k - w >= 3 || (k > w && digits == k - w)) {
			b = k + 1;
			break;
		}
	}
	while (b > a && (src[b - 1] == ' ' || src[b - 1] == ':'))
		b--;
	return b;
}

/* Where the value after a label ending at source offset E starts: after ':'
 * or a cell gap on the same line; for a heading (DIAGNOSIS alone on its
 * line, ':' allowed), the next line that is not empty, when HEADING. 0:
 * the label is a word of a sentence, not a label. */
static size_t value_start(const char *src, size_t len, size_t e, bool heading)
{
	size_t c = e;
	bool gap = false;
	while (c < len && (src[c] == ' ' || src[c] == '\t')) {
		gap |= src[c] == '\t' || (c + 1 < len && src[c + 1] == ' ');
		c++;
	}
	if (c < len && (src[c] == ':' || (c + 3 <= len && !memcmp(src + c, "\xef\xbc\x9a", 3)))) {  /* ':' or '：' */
		c += src[c] == ':' ? 1 : 3;
		while (c < len && (src[c] == ' ' || src[c] == '\t'))
			c++;
		if (c < len && !is_eol(src[c]))
			return c;
		gap = false;
	} else if (c < len && !is_eol(src[c])) {
		return gap ? c : 0;
	}
	if (!heading)
		return 0;
	/* a heading: the next printed line, at most one empty line between */
	for (int blank = 0; c < len && blank < 3;) {
		while (c < len && is_eol(src[c])) {
			if (src[c] == '\n')
				blank++;
			c++;
		}
		while (c < len && (src[c] == ' ' || src[c] == '\t'))
			c++;
		if (c < len && !is_eol(src[c]))
			return blank <= 2 ? c : 0;
	}
	return 0;
}

/* The folded offset of source offset O (the first folded byte at or after it). */
static size_t folded_at(const struct vtext *t, size_t o)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->orig[mid] < o)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_letter(char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Does the value [A, B) start with a stage: a Roman stage (I..IV, A-C
 * after it allowed), a number stage (0..4, A-C allowed), or a TNM category
 * ("pT2", "ypT1c", "T3", "cT2 N1 M0")? "Staging: CT of 12/03" does not. */
static bool has_stage_value(const char *s, size_t a, size_t b)
{
	size_t i = a, j;
	for (j = i; j < b && (s[j] == 'I' || s[j] == 'V'); j++)
		;
	if (j > i && j - i <= 3) {
		if (j < b && (s[j] == 'A' || s[j] == 'B' || s[j] == 'C'))
			j++;
		return j == b || !is_letter(s[j]);
	}
	if (s[i] >= '0' && s[i] <= '4') {
		j = i + 1;
		if (j < b && (s[j] == 'A' || s[j] == 'B' || s[j] == 'C'))
			j++;
		return j == b || (!is_letter(s[j]) && !(s[j] >= '0' && s[j] <= '9') && s[j] != '.' && s[j] != '/');
	}
	for (j = i; j < b && j - i < 2 && (s[j] == 'c' || s[j] == 'p' || s[j] == 'y' || s[j] == 'r'); j++)
		;
	return j + 1 < b && s[j] == 'T' && ((s[j + 1] >= '0' && s[j + 1] <= '4') || s[j + 1] == 'X' || s[j + 1] == 'i');
}

static const char *side_of(const struct vocab *v, const struct vtext *t, size_t fa, size_t fb, const int side_ids[3])
{
	static const char *const names[3] = { "left", "right", "bilateral" };
	const char *side = NULL;
	int n = 0;
	for (int k = 0; k < 3; k++)
		if (side_ids[k] >= 0 && rd_find(v, t, fa, fb, VW_CONCEPT, side_ids[k], NULL)) {
			side = names[k];
			n++;
		}
	return n == 1 ? side : NULL;
}

static bool already(const struct dx_list *l, enum dx_field f, const char *text)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].field == f && strcmp(l->v[i].text, text) == 0)
			return true;
	return false;
}

/* TEXT [0, LEN) with every run of white space made one space (rd_snippet()'s folding), malloc'd. */
static char *fold_space(const char *text, size_t len)
{
	char *o = xmalloc(len + 1);
	size_t k = 0;
	bool sp = false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			sp = k > 0;
			continue;
		}
		if (sp)
			o[k++] = ' ';
		sp = false;
		o[k++] = c ? c : ' ';
	}
	o[k] = 0;
	return o;
}

int findings_diagnosis(const struct vocab *v, const struct doc_text *d, struct dx_list *out)
{
	int ids[_DX_MAX], side_ids[3];
	struct vtext t;
	char *reading = NULL;   /* the reading-order text, white space folded, when the layout is read */

	*out = (struct dx_list){ 0 };
	if (!v || !d)
		return -EINVAL;
	const char *src = d->layout && d->layout_len ? d->layout : d->text;
	size_t len = rd_len(d->layout && d->layout_len ? d->layout_len : d->len);
	if (!src || !len)
		return 0;
	for (int f = 0; f < _DX_MAX; f++)
		ids[f] = vocab_concept_id(v, label_concepts[f]);
	side_ids[0] = vocab_concept_id(v, "left");
	side_ids[1] = vocab_concept_id(v, "right");
	side_ids[2] = vocab_concept_id(v, "bilateral");
	if (vtext_fold(src, len, &t) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < t.n && out->n < DX_LINES_MAX; i++) {
		if (((unsigned char)t.s[i] & 0xc0) == 0x80 || !vtext_word_start(&t, i) || !at_line_start(src, t.orig[i]))
			continue;
		size_t best = 0;
		enum dx_field field = DX_DIAGNOSIS;
		for (int f = 0; f < _DX_MAX; f++) {
			size_t e = ids[f] >= 0 ? rd_match(v, &t, i, VW_CONCEPT, ids[f]) : 0;
			if (e > best) {
				best = e;
				field = (enum dx_field)f;
			}
		}
		if (!best)
			continue;
		size_t e_src = best < t.n ? t.orig[best] : len;
		/* ':' is a separator to the matcher: "Specimen: site 0" matched "specimen site". The
		 * label ends at its colon when what is before it is a label of the same concept. */
		const char *colon = memchr(src + t.orig[i], ':', e_src - t.orig[i]);
		if (colon) {
			char *head = xstrndup(src + t.orig[i], (size_t)(colon - src) - t.orig[i]);
			struct vmatch m[8];
			size_t k = vocab_lookup_phrase(v, head, VW_BIT(VW_CONCEPT), m, ARRAY_SIZE(m)), q;
			free(head);
			for (q = 0; q < k && m[q].id != ids[field]; q++)
				;
			if (q == k)
				continue;
			e_src = (size_t)(colon - src);
		}
		size_t a = value_start(src, len, e_src, field == DX_DIAGNOSIS);
		if (!a)
			continue;
		size_t b = value_end(src, len, a);
		if (b <= a)
			continue;
		bool keep = true;
		if (field == DX_DIAGNOSIS) {
			struct doc_text dt = { .text = src + a, .len = b - a };
			struct type_mention m[2];
			keep = findings_cancer_types(v, &dt, m, ARRAY_SIZE(m)) > 0;
		} else if (field == DX_STAGE) {
			keep = has_stage_value(src, a, b);
		}
		if (!keep)
			continue;
		char *text = rd_snippet(src, a, b);
		/* read from the layout: the words must be in the reading-order text too (a layout
		 * can interleave two cells that overlap on the page: "FF TPuEm boloucrkc") */
		if (src != d->text && d->text && d->len && text[0]) {
			if (!reading)
				reading = fold_space(d->text, rd_len(d->len));
			if (!strstr(reading, text))
				text[0] = 0;
		}
		if (!text[0] || already(out, field, text)) {
			free(text);
			continue;
		}
		size_t fa = folded_at(&t, a), fb = folded_at(&t, b);
		if (!out->n)
			out->v = xcalloc(DX_LINES_MAX, sizeof(*out->v));
		out->v[out->n++] = (struct dx_line){
			.field = field, .text = text, .offset = a,
			.side = field == DX_STAGE ? NULL : side_of(v, &t, fa, fb, side_ids),
		};
		i = fb > i ? fb - 1 : i;
	}
	vtext_free(&t);
	free(reading);
	return 0;
}

void dx_list_free(struct dx_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->v[i].text);
	if (l) {
		free(l->v);
		*l = (struct dx_list){ 0 };
	}
}
