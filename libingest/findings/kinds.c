/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The kind of a document from its text, and the cancer types it names,
 * with the vocabulary's kind headings and words of every language
 * (replaces classify.c's English-first tables).
 *
 * Each distinct phrase counts once, and a phrase inside a longer one not at
 * all. A heading (a distinctive title) weighs 3 in the top of the text (the
 * first 12 lines or 15% of it, whichever is more) and 1 further down, a word
 * 1 (these at most 6 in all: a discharge summary lists many lab values); the
 * first heading of the top is the document's title and adds 6. When the top
 * has a heading, only the kinds with one there compete: a discharge summary
 * that quotes "Pathology report:" or lists lab values in its body stays a
 * discharge summary, and a molecular report whose title says so is not
 * taken for the pathology report its words resemble. The best score wins if
 * it reaches 3; ties go to the more specific kind. The file name is a weak
 * hint: 1 for a kind the text already shows.
 */
#include <string.h>

#include "findings/reading.h"
#include "util/mem.h"
#include "util/strbuf.h"

#define KIND_TEXT_MAX (1024u * 1024)    /* the kind shows in the first MiB */
#define KIND_HITS_MAX 256               /* distinct phrases kept */
#define KIND_TOP_LINES 12
#define KIND_W_HEADING 3
#define KIND_W_LEAD 6
#define KIND_W_WORD 1
#define KIND_WORDS_MAX 6                /* words and lower headings add at most this much */
#define KIND_MIN_SCORE 3

struct kind_hit {
	enum ing_kind kind;
	bool heading, top;
	size_t fa, fb;          /* folded span (for sameness) */
	size_t oa, ob;          /* original span (for the evidence) */
};

/* Order of preference when scores tie: the more specific kind first. */
static const enum ing_kind tie_order[] = {
	KIND_MOLECULAR, KIND_PATHOLOGY, KIND_OPERATIVE, KIND_DISCHARGE, KIND_RADIOLOGY, KIND_LAB, KIND_TREATMENT,
	KIND_LETTER,
};

static int tie_rank(enum ing_kind k)
{
	for (size_t i = 0; i < ARRAY_SIZE(tie_order); i++)
		if (tie_order[i] == k)
			return (int)i;
	return (int)ARRAY_SIZE(tie_order) + (int)k;
}

/* The original offset where the top of the text ends. */
static size_t top_end(const char *text, size_t len)
{
	size_t lines = 0, o = 0;
	while (o < len && lines < KIND_TOP_LINES) {
		if (text[o] == '\n')
			lines++;
		o++;
	}
	return MAX(o, len * 15 / 100);
}

static bool same_phrase(const struct vtext *t, const struct kind_hit *h, size_t a, size_t b)
{
	return h->fb - h->fa == b - a && memcmp(t->s + h->fa, t->s + a, b - a) == 0;
}

enum ing_kind findings_kind(const struct vocab *v, const struct doc_text *d, const char *name, char **evidence)
{
	size_t len = d && d->text ? MIN(rd_len(d->len), (size_t)KIND_TEXT_MAX) : 0;
	struct kind_hit hits[KIND_HITS_MAX];
	size_t nh = 0;
	int score[_KIND_MAX] = { 0 }, words[_KIND_MAX] = { 0 };
	struct vtext t = { 0 };
	bool folded = false;

	if (len && v && vtext_fold(d->text, len, &t) == 0) {
		folded = true;
		size_t top = top_end(d->text, len);
		int lead = -1;
		struct vmatch m[8];
		for (size_t i = 0; i < t.n && nh < KIND_HITS_MAX; i++) {
			if (((unsigned char)t.s[i] & 0xc0) == 0x80 || !vtext_word_start(&t, i))
				continue;
			size_t k = vocab_match_at(v, &t, i, VW_BIT(VW_KIND_HEADING) | VW_BIT(VW_KIND_WORD), m,
			                          ARRAY_SIZE(m));
			for (size_t q = 0; q < k && nh < KIND_HITS_MAX; q++) {
				if (m[q].id <= KIND_UNKNOWN || m[q].id >= _KIND_MAX)
					continue;
				bool dup = false;
				for (size_t p = 0; p < nh && !dup; p++)
					dup = hits[p].kind == m[q].id && same_phrase(&t, &hits[p], i, m[q].end);
				if (dup)
					continue;
				struct kind_hit *h = &hits[nh++];
				h->kind = m[q].id;
				h->heading = m[q].cls == VW_KIND_HEADING;
				h->top = h->heading && t.orig[i] < top;
				h->fa = i;
				h->fb = m[q].end;
				h->oa = t.orig[i];
				h->ob = t.orig[m[q].end];
				if (h->top)
					score[h->kind] += KIND_W_HEADING;
				else if (words[h->kind] < KIND_WORDS_MAX)
					score[h->kind] += KIND_W_WORD, words[h->kind]++;
				if (h->top && lead < 0)
					lead = h->kind;
			}
			/* a phrase inside a longer one ("анализ крови" in "общий анализ крови") is not another */
			if (k)
				i = m[0].end - 1;
		}
		if (lead > 0)
			score[lead] += KIND_W_LEAD;
	}

	/* the file name: a weak hint for a kind the text already shows */
	int name_kind = -1;
	if (name && v) {
		struct vtext nt;
		if (vtext_fold(name, strlen(name), &nt) == 0) {
			struct vmatch m[8];
			for (size_t i = 0; i < nt.n && name_kind < 0; i++) {
				if (((unsigned char)nt.s[i] & 0xc0) == 0x80 || !vtext_word_start(&nt, i))
					continue;
				size_t k = vocab_match_at(v, &nt, i, VW_BIT(VW_KIND_HEADING) | VW_BIT(VW_KIND_WORD), m,
				                          ARRAY_SIZE(m));
				for (size_t q = 0; q < k && name_kind < 0; q++)
					if (m[q].id > KIND_UNKNOWN && m[q].id < _KIND_MAX && score[m[q].id] > 0)
						name_kind = m[q].id;
			}
			vtext_free(&nt);
		}
		if (name_kind > 0)
			score[name_kind] += 1;
	}

	/* a title at the top decides among the kinds that have one: words further
	 * down (a discharge summary's lab values) do not outvote it */
	bool titled[_KIND_MAX] = { false }, any_title = false;
	for (size_t p = 0; p < nh; p++)
		if (hits[p].top)
			titled[hits[p].kind] = any_title = true;
	int best = 0;
	enum ing_kind bk = KIND_UNKNOWN;
	for (int k = KIND_UNKNOWN + 1; k < _KIND_MAX; k++)
		if ((!any_title || titled[k]) &&
		    (score[k] > best || (score[k] == best && best > 0 && tie_rank(k) < tie_rank(bk)))) {
			best = score[k];
			bk = k;
		}
	if (best < KIND_MIN_SCORE) {
		if (evidence)
			*evidence = xstrdup(len ? "text read, but no heading or vocabulary of a known document kind matched"
			                        : "no text could be read");
		if (folded)
			vtext_free(&t);
		return KIND_UNKNOWN;
	}

	if (evidence) {
		struct strbuf b;
		strbuf_init(&b, 600);
		strbuf_puts(&b, "text: ");
		bool first = true;
		for (int pass = 0; pass < 3; pass++)    /* headings at the top, other headings, words */
			for (size_t p = 0; p < nh; p++) {
				const struct kind_hit *h = &hits[p];
				if (h->kind != bk || (pass == 0) != h->top || (pass == 1) != (h->heading && !h->top))
					continue;
				_cleanup_free_ char *w = rd_snippet(d->text, h->oa, h->ob);
				if (strbuf_printf(&b, "%s\"%s\"%s", first ? "" : ", ", w, pass == 0 ? " (heading)" : "") < 0)
					break;
				first = false;
			}
		if (name_kind == (int)bk)
			strbuf_puts(&b, "; file name");
		*evidence = strbuf_steal(&b);
	}
	if (folded)
		vtext_free(&t);
	return bk;
}

size_t findings_cancer_types(const struct vocab *v, const struct doc_text *d, struct type_mention *out, size_t max)
{
	size_t n = 0;
	if (!v || !d || !d->text || !d->len || !out || !max)
		return 0;
	struct vtext t;
	if (vtext_fold(d->text, rd_len(d->len), &t) < 0)
		return 0;
	struct vmatch m[8];
	for (size_t i = 0; i < t.n && n < max; i++) {
		if (((unsigned char)t.s[i] & 0xc0) == 0x80 || !vtext_word_start(&t, i))
			continue;
		size_t k = vocab_match_at(v, &t, i, VW_BIT(VW_CANCER_TYPE), m, ARRAY_SIZE(m));
		for (size_t q = 0; q < k && n < max; q++) {
			/* the first mention of each type */
			bool seen = false;
			for (size_t p = 0; p < n && !seen; p++)
				seen = out[p].type == m[q].id;
			if (seen)
				continue;
			out[n].type = m[q].id;
			out[n].offset = t.orig[i];
			out[n].len = t.orig[m[q].end] - t.orig[i];
			n++;
		}
		if (k)
			i = m[0].end - 1;
	}
	vtext_free(&t);
	return n;
}
