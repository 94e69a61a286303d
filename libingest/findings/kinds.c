/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The kind of a document from its text, and the cancer types it names,
 * with the vocabulary's kind headings and words of every language
 * (replaces classify.c's English-first tables).
 *
 * Each distinct phrase counts once, and a phrase inside a longer one not at
 * all. A heading (a distinctive title) weighs 3 in the top of the text (the
 * first 12 lines or 15% of it, whichever is more) and 1 further down or
 * inside a sentence (a heading is a title: title_at()), a word
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

#include "findings/engine.h"
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

#define KIND_TITLE_LEAD 3          /* words a title may have before its heading ("Unità di Emolinfopatologia") */
#define KIND_LINE_BACK 160          /* bytes looked back for the line's start */

/* Is the character at S[I] (LEN bytes) a separator between words: white
 * space or a direction mark? */
static bool title_space(const unsigned char *u, size_t len)
{
	if (len == 1)
		return u[0] == ' ' || u[0] == '\r';
	if (len == 2)
		return u[0] == 0xc2 && u[1] == 0xa0;
	uint32_t cp = len == 3 ? ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f) : 0;
	return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Is the phrase at S[O] a title, as a heading is? It begins its line, or a
 * cell of it (after a tab), or a part of a letterhead ("City Hospital -
 * Department of Pathology"), with at most a few words before it in that
 * part ("Unità di Emolinfopatologia") and no end of a sentence: in "ROS1
 * négatif. La recherche de mutations EGFR par PCR..." the phrase is a word.
 * Bullets, rules and a number ("2. Histologischer Befund") do not count. */
static bool title_at(const char *s, size_t o)
{
	size_t ls = o;
	while (ls > 0 && s[ls - 1] != '\n' && s[ls - 1] != '\t' && s[ls - 1] != '\f') {
		if (o - ls >= KIND_LINE_BACK)
			return false;
		ls--;
	}
	unsigned words = 0;
	bool sentence = false;
	for (size_t i = ls; i < o;) {
		/* one token: up to the next space */
		size_t a = i, last = i;
		bool letter = false;
		while (i < o) {
			size_t l = 1;
			unsigned char c = (unsigned char)s[i];
			if (c >= 0xc0)
				l = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (i + l > o)
				l = o - i;
			if (title_space((const unsigned char *)s + i, l))
				break;
			/* letters: ASCII's, and any script's but the punctuation of U+2000-U+2FFF */
			if ((c >= 0xc3 && c != 0xe2) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
				letter = true;
			last = i;
			i += l;
		}
		if (i > a) {
			unsigned char e = (unsigned char)s[last];
			bool sep = i - a <= 3 && !letter && (e == '-' || e == '|' || s[a] == '\xe2' || e == 0xb7);
			if (sep) {
				words = 0;      /* another part of the letterhead begins */
				sentence = false;
			} else if (letter) {
				words++;
				if (e == '.' || e == ';' || e == ':' || e == '!' || e == '?')
					sentence = true;
			} else if (e == '.' || e == ')') {
				/* "2." "3)": a number heads the line; "4 mm." ends a sentence */
				for (size_t k = a; k < last && !sentence; k++)
					sentence = s[k] < '0' || s[k] > '9';
				sentence |= words > 0;
			}
		}
		while (i < o) {
			size_t l = 1;
			unsigned char c = (unsigned char)s[i];
			if (c >= 0xc0)
				l = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (i + l > o || !title_space((const unsigned char *)s + i, l))
				break;
			i += l;
		}
	}
	return !sentence && words <= KIND_TITLE_LEAD;
}

struct kind_read {
	enum ing_kind kind;     /* KIND_UNKNOWN when no score reached KIND_MIN_SCORE */
	int best;
	int name_kind;
};

/* The kind that SRC shows (see the top of the file); *EVIDENCE (if asked
 * and a kind won) the phrases that made it. */
static struct kind_read kind_of_source(const struct vocab *v, const char *src, size_t len, const char *name,
                                       char **evidence)
{
	struct kind_hit hits[KIND_HITS_MAX];
	size_t nh = 0;
	int score[_KIND_MAX] = { 0 }, words[_KIND_MAX] = { 0 };
	struct vtext t = { 0 };
	bool folded = false;
	struct kind_read r = { KIND_UNKNOWN, 0, -1 };

	if (evidence)
		*evidence = NULL;
	if (len && v && vtext_fold(src, len, &t) == 0) {
		folded = true;
		size_t top = top_end(src, len);
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
				h->oa = t.orig[i];
				h->ob = t.orig[m[q].end];
				/* a heading inside a sentence is a word */
				h->heading = m[q].cls == VW_KIND_HEADING && title_at(src, h->oa);
				h->top = h->heading && h->oa < top;
				h->fa = i;
				h->fb = m[q].end;
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
	if (name && v) {
		struct vtext nt;
		if (vtext_fold(name, strlen(name), &nt) == 0) {
			struct vmatch m[8];
			for (size_t i = 0; i < nt.n && r.name_kind < 0; i++) {
				if (((unsigned char)nt.s[i] & 0xc0) == 0x80 || !vtext_word_start(&nt, i))
					continue;
				size_t k = vocab_match_at(v, &nt, i, VW_BIT(VW_KIND_HEADING) | VW_BIT(VW_KIND_WORD), m,
				                          ARRAY_SIZE(m));
				for (size_t q = 0; q < k && r.name_kind < 0; q++)
					if (m[q].id > KIND_UNKNOWN && m[q].id < _KIND_MAX && score[m[q].id] > 0)
						r.name_kind = m[q].id;
			}
			vtext_free(&nt);
		}
		if (r.name_kind > 0)
			score[r.name_kind] += 1;
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
		if (folded)
			vtext_free(&t);
		return r;
	}
	r.kind = bk;
	r.best = best;

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
				_cleanup_free_ char *w = rd_snippet(src, h->oa, h->ob);
				if (strbuf_printf(&b, "%s\"%s\"%s", first ? "" : ", ", w, pass == 0 ? " (heading)" : "") < 0)
					break;
				first = false;
			}
		if (r.name_kind == (int)bk)
			strbuf_puts(&b, "; file name");
		*evidence = strbuf_steal(&b);
	}
	if (folded)
		vtext_free(&t);
	return r;
}

/* Both readings of the page are scored, the text in reading order and the
 * layout (the page as printed), and the clearer one decides: in the layout
 * a patient block's labels and values share their lines, where the reading
 * order gives each its own and pushes the title out of the top; where the
 * layout is the poorer reading (right-to-left text, a scan's columns), the
 * text is. Ties go to the text. */
enum ing_kind findings_kind(const struct vocab *v, const struct doc_text *d, const char *name, char **evidence)
{
	size_t len = d && d->text ? MIN(rd_len(d->len), (size_t)KIND_TEXT_MAX) : 0;
	char *ev = NULL, *lev = NULL;
	struct kind_read r = kind_of_source(v, d ? d->text : NULL, len, name, evidence ? &ev : NULL);
	if (d && d->layout && d->layout_len && d->layout != d->text) {
		size_t ll = MIN(rd_len(d->layout_len), (size_t)KIND_TEXT_MAX);
		struct kind_read lr = kind_of_source(v, d->layout, ll, name, evidence ? &lev : NULL);
		if (lr.best > r.best) {
			r = lr;
			free(ev);
			ev = lev;
			lev = NULL;
		}
		free(lev);
		len = MAX(len, ll);
	}
	if (evidence && r.kind != KIND_UNKNOWN && ev) {
		*evidence = ev;
		ev = NULL;
	} else if (evidence) {
		*evidence = xstrdup(len ? "text read, but no heading or vocabulary of a known document kind matched"
		                        : "no text could be read");
	}
	free(ev);
	return r.kind;
}

/* Does a sentence end between folded A and B of T: '.', ';', '!', '?', '。',
 * '；' or a line break of the source? */
static bool sentence_break(const struct vtext *t, const char *src, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		unsigned char c = (unsigned char)t->s[i];
		if (c == '.' || c == ';' || c == '!' || c == '?')
			return true;
		if (c == 0xe3 && i + 2 < b && (unsigned char)t->s[i + 1] == 0x80 && (unsigned char)t->s[i + 2] == 0x82)
			return true;            /* 。 */
		if (c == 0xef && i + 2 < b && (unsigned char)t->s[i + 1] == 0xbc && (unsigned char)t->s[i + 2] == 0x9b)
			return true;            /* ； */
	}
	for (size_t o = t->orig[a]; o < t->orig[b]; o++)
		if (src[o] == '\n')
			return true;
	return false;
}

/* Words (runs of word characters, each Han character one) in folded [A, B). */
static unsigned words_between(const struct vtext *t, size_t a, size_t b)
{
	unsigned n = 0;
	for (size_t i = a; i < b; i++)
		if (((unsigned char)t->s[i] & 0xc0) != 0x80 && vtext_word_start(t, i))
			n++;
	return n;
}

#define MENTION_NEG_WORDS 5     /* "no evidence of [diffuse large B-cell] lymphoma" */
#define MENTION_WINDOW 240      /* folded bytes looked at either side */

/* Is the mention at folded [A, B) of T about the patient's own disease: not
 * in a negation's scope ("no evidence of lymphoma", "kein Anhalt für ein
 * Lymphom", "lymphoma was not detected") and not in a sentence about
 * another person ("mother: breast cancer", "family history of")? ConText's
 * words (vocabulary classes neg-pre, neg-post, pseudo, terminate, family). */
static bool mention_affirmed(const struct vocab *v, const struct vtext *t, const char *src, size_t a, size_t b)
{
	size_t s = a > MENTION_WINDOW ? a - MENTION_WINDOW : 0;
	for (size_t i = a; i > s; i--)
		if (sentence_break(t, src, i - 1, i)) {
			s = i;
			break;
		}
	vocab_mask mask = VW_BIT(VW_NEG_PRE) | VW_BIT(VW_FAMILY) | VW_BIT(VW_PSEUDO) | VW_BIT(VW_TERMINATE);
	struct vmatch m[8];
	bool negated = false;
	for (size_t i = s; i < a; i++) {
		if (((unsigned char)t->s[i] & 0xc0) == 0x80 || !vtext_word_start(t, i))
			continue;
		size_t k = vocab_match_at(v, t, i, mask, m, ARRAY_SIZE(m));
		if (!k || m[0].end > a)
			continue;
		vocab_mask cls = 0;
		for (size_t q = 0; q < k; q++)
			if (m[q].end == m[0].end)
				cls |= VW_BIT(m[q].cls);
		if (cls & VW_BIT(VW_FAMILY))
			return false;
		if (cls & VW_BIT(VW_PSEUDO))
			negated = false;
		else if (cls & VW_BIT(VW_TERMINATE))
			negated = false;
		else if (cls & VW_BIT(VW_NEG_PRE))
			negated = words_between(t, m[0].end, a) <= MENTION_NEG_WORDS;
		i = m[0].end - 1;
	}
	if (negated)
		return false;
	size_t e = b + MENTION_WINDOW < t->n ? b + MENTION_WINDOW : t->n;
	for (size_t i = b; i < e; i++) {
		if (i > b && sentence_break(t, src, i - 1, i))
			break;
		if (((unsigned char)t->s[i] & 0xc0) == 0x80 || !vtext_word_start(t, i))
			continue;
		size_t k = vocab_match_at(v, t, i, VW_BIT(VW_NEG_POST) | VW_BIT(VW_FAMILY) | VW_BIT(VW_PSEUDO), m,
		                          ARRAY_SIZE(m));
		if (!k)
			continue;
		if (m[0].cls == VW_PSEUDO)
			return true;
		if (m[0].cls == VW_FAMILY)
			return false;   /* "breast cancer in her mother" */
		if (words_between(t, b, i) <= 2)
			return false;   /* "lymphoma was not detected" */
		i = m[0].end - 1;
	}
	return true;
}

bool findings_mention_affirmed(const struct vocab *v, const char *text, size_t len, size_t off, size_t n)
{
	if (!v || !text || off > len || n > len - off)
		return true;
	/* the window around it, cut at UTF-8 boundaries */
	size_t a = off > 2 * MENTION_WINDOW ? off - 2 * MENTION_WINDOW : 0;
	while (a > 0 && ((unsigned char)text[a] & 0xc0) == 0x80)
		a--;
	size_t b = off + n + 2 * MENTION_WINDOW < len ? off + n + 2 * MENTION_WINDOW : len;
	while (b < len && ((unsigned char)text[b] & 0xc0) == 0x80)
		b++;
	struct vtext t;
	if (vtext_fold(text + a, b - a, &t) < 0)
		return true;
	size_t fa = fold_pos(&t, off - a), fb = fold_pos(&t, off + n - a);
	bool ok = mention_affirmed(v, &t, text + a, fa, fb > fa ? fb : fa);
	vtext_free(&t);
	return ok;
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
		if (k && !mention_affirmed(v, &t, d->text, i, m[0].end)) {
			i = m[0].end - 1;       /* negated or someone else's: not the patient's type */
			continue;
		}
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
