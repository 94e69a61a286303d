/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The matcher (vocab.h): one trie over the folded phrases of every file, its
 * keys with each separator run made one VSEP edge, a first-byte index at the
 * root, and per node the classes below it (so a class mask prunes the walk).
 * A phrase may carry several payloads (class, entry, language). Also the
 * questions rules ask of it: does a text hold a concept, which markers does a
 * rule's term name, is a keyword a phrase it knows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "findings/vocab-private.h"

#define MATCH_CANDIDATES 64     /* payloads collected at one offset before the longest are kept */

static bool is_ascii_alpha(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_ascii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool class_has_id(enum vocab_class c)
{
	return c >= VW_MARKER && c <= VW_MONTH;
}

/* ---- building ---- */

static uint32_t new_node(struct vocab *v, uint8_t byte)
{
	if (v->n_nodes == v->cap_nodes) {
		v->cap_nodes = v->cap_nodes ? 2 * v->cap_nodes : 1024;
		v->nodes = xrealloc(v->nodes, v->cap_nodes * sizeof(*v->nodes));
	}
	v->nodes[v->n_nodes] = (struct vnode){ .byte = byte };
	return (uint32_t)v->n_nodes++;
}

static vocab_mask node_sub(const struct vocab *v, uint32_t node)
{
	return v->masks[v->nodes[node].sub];
}

static size_t mask_slot(const struct vocab *v, vocab_mask m)
{
	/* splitmix64's finaliser: a set of one or two classes is a bit or two anywhere in 128 */
	uint64_t x = (uint64_t)m ^ ((uint64_t)(m >> 64) * 0x9E3779B97F4A7C15ull);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	size_t cap = 2 * v->cap_masks, i = (size_t)x & (cap - 1);
	while (v->mask_index[i] && v->masks[v->mask_index[i] - 1] != m)
		i = (i + 1) & (cap - 1);
	return i;
}

/* The index of class set M in v->masks, added if new; -E2BIG past VOCAB_MAX_MASKS. */
static int mask_id(struct vocab *v, vocab_mask m)
{
	if (v->n_masks == 0 || v->n_masks == v->cap_masks) {
		size_t cap = v->cap_masks ? 2 * v->cap_masks : 256;
		v->masks = xrealloc(v->masks, cap * sizeof(*v->masks));
		free(v->mask_index);
		v->mask_index = xcalloc(2 * cap, sizeof(*v->mask_index));
		v->cap_masks = cap;
		if (v->n_masks == 0)
			v->masks[v->n_masks++] = 0;
		for (size_t k = 0; k < v->n_masks; k++)
			v->mask_index[mask_slot(v, v->masks[k])] = (uint16_t)(k + 1);
	}
	size_t i = mask_slot(v, m);
	if (v->mask_index[i])
		return v->mask_index[i] - 1;
	if (v->n_masks >= VOCAB_MAX_MASKS)
		return -E2BIG;
	v->masks[v->n_masks] = m;
	v->mask_index[i] = (uint16_t)(v->n_masks + 1);
	return (int)v->n_masks++;
}

/* CLS is below NODE. */
static int node_add_class(struct vocab *v, uint32_t node, enum vocab_class cls)
{
	vocab_mask m = node_sub(v, node) | VW_BIT(cls);
	if (m == node_sub(v, node))
		return 0;
	/* a new node's first class: most of the calls, one look-up per class */
	if (v->nodes[node].sub == 0 && v->mask_one[cls]) {
		v->nodes[node].sub = v->mask_one[cls];
		return 0;
	}
	int id = mask_id(v, m);
	if (id > 0 && v->nodes[node].sub == 0)
		v->mask_one[cls] = (uint16_t)id;
	if (id < 0)
		return id;
	v->nodes[node].sub = (uint16_t)id;
	return 0;
}

static uint32_t child_of(const struct vocab *v, uint32_t node, uint8_t byte)
{
	if (node == 0)
		return v->root_index[byte];
	for (uint32_t c = v->nodes[node].child; c; c = v->nodes[c].sibling)
		if (v->nodes[c].byte == byte)
			return c;
	return 0;
}

/* PHRASE's key: folded, separator runs one VSEP, none at either end. Returns
 * its length (0: nothing but separators); *END_WORD as struct vnode's. */
static size_t phrase_key(const char *phrase, char **out, bool *end_word)
{
	struct vtext t;
	char *k;
	size_t n = 0;
	uint32_t last = 0;

	if (vtext_fold(phrase, strlen(phrase), &t) < 0)
		return 0;
	k = xmalloc(t.n + 1);
	for (size_t i = 0; i < t.n;) {
		if (vfold_is_sep((unsigned char)t.s[i])) {
			while (i < t.n && vfold_is_sep((unsigned char)t.s[i]))
				i++;
			if (n && i < t.n)
				k[n++] = VSEP;
			continue;
		}
		size_t l = vfold_cp_at(t.s, t.n, i, &last);
		memcpy(k + n, t.s + i, l);
		n += l;
		i += l;
	}
	k[n] = 0;
	vtext_free(&t);
	*end_word = vfold_is_word_cp(last) && !vfold_is_anychar_cp(last);
	*out = k;
	return n;
}

size_t vtrie_key(const char *phrase, char **out)
{
	bool end_word;
	*out = NULL;
	size_t n = phrase_key(phrase, out, &end_word);
	if (n == 0) {
		free(*out);
		*out = NULL;
	}
	return n;
}

int vtrie_add(struct vocab *v, const char *phrase, enum vocab_class cls, uint16_t id, uint8_t lang, uint32_t where,
              const struct vpay **other)
{
	_cleanup_free_ char *key = NULL;
	bool end_word;
	size_t n = phrase_key(phrase, &key, &end_word);
	uint32_t node = 0;

	if (n == 0)
		return -EINVAL;
	if (v->n_nodes == 0) {
		(void)new_node(v, 0);   /* the root */
		(void)mask_id(v, 0);    /* masks[0]: no class */
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)key[i];
		uint32_t c = child_of(v, node, b);
		if (!c) {
			c = new_node(v, b);
			if (node == 0) {
				v->root_index[b] = c;
			} else {
				v->nodes[c].sibling = v->nodes[node].child;
				v->nodes[node].child = c;
			}
		}
		node = c;
	}
	for (uint32_t p = v->nodes[node].pay; p; p = v->pays[p].next) {
		const struct vpay *q = &v->pays[p];
		if (q->cls != cls)
			continue;
		if (q->id == id && q->lang == lang)
			return 0;   /* the same word twice: harmless */
		if (class_has_id(cls) && q->id != id &&
		    (q->lang == lang || q->lang == VOCAB_LANG_ANY || lang == VOCAB_LANG_ANY)) {
			*other = q;
			return -EEXIST;
		}
	}
	if (v->n_pays + 1 >= v->cap_pays) {
		v->cap_pays = v->cap_pays ? 2 * v->cap_pays : 1024;
		v->pays = xrealloc(v->pays, v->cap_pays * sizeof(*v->pays));
	}
	if (v->n_pays == 0)
		v->n_pays = 1;          /* index 0 means none */
	v->pays[v->n_pays] = (struct vpay){ .cls = (uint8_t)cls, .lang = lang, .id = id,
	                                    .next = v->nodes[node].pay, .where = where };
	v->nodes[node].pay = (uint32_t)v->n_pays++;
	v->nodes[node].end_word = end_word;
	/* the classes below each node of the path */
	node = 0;
	int r = node_add_class(v, 0, cls);
	for (size_t i = 0; r == 0 && i < n; i++) {
		node = child_of(v, node, (uint8_t)key[i]);
		r = node_add_class(v, node, cls);
	}
	return r;
}

/* ---- matching ---- */

struct walk {
	const struct vocab *v;
	const struct vtext *t;
	vocab_mask mask;
	struct vmatch cand[MATCH_CANDIDATES];
	size_t n;
};

static size_t skip_seps(const struct vtext *t, size_t p)
{
	while (p < t->n && vfold_is_sep((unsigned char)t->s[p]))
		p++;
	return p;
}

static void found(struct walk *w, uint32_t node, size_t p)
{
	const struct vocab *v = w->v;
	const struct vtext *t = w->t;

	if (v->nodes[node].end_word && p < t->n) {
		uint32_t cp;
		(void)vfold_cp_at(t->s, t->n, p, &cp);
		if (vfold_is_word_cp(cp) && !vfold_is_anychar_cp(cp) &&
		    !vfold_script_break(vfold_cp_before(t->s, p), cp))
			return;
	}
	for (uint32_t i = v->nodes[node].pay; i; i = v->pays[i].next) {
		const struct vpay *q = &v->pays[i];
		size_t k;
		if (!(w->mask & VW_BIT(q->cls)))
			continue;
		for (k = 0; k < w->n; k++)
			if (w->cand[k].cls == q->cls && w->cand[k].id == q->id && w->cand[k].lang == q->lang)
				break;
		if (k < w->n) {
			if (p > w->cand[k].end)
				w->cand[k].end = p;
			continue;
		}
		if (w->n < MATCH_CANDIDATES)
			w->cand[w->n++] = (struct vmatch){ (enum vocab_class)q->cls, q->id, q->lang, p };
	}
}

/* Key byte LAST was matched, the text continues at P. */
static void walk_from(struct walk *w, uint32_t node, size_t p, uint8_t last)
{
	const struct vocab *v = w->v;
	const struct vtext *t = w->t;

	if (v->nodes[node].pay)
		found(w, node, p);
	for (uint32_t c = v->nodes[node].child; c; c = v->nodes[c].sibling) {
		uint8_t b = v->nodes[c].byte;
		if (!(node_sub(v, c) & w->mask))
			continue;
		if (b == VSEP) {
			size_t q = skip_seps(t, p);
			walk_from(w, c, p, b);
			if (q != p)
				walk_from(w, c, q, b);
			continue;
		}
		if (p < t->n && (uint8_t)t->s[p] == b) {
			walk_from(w, c, p + 1, b);
		} else if (p < t->n && vfold_is_sep((unsigned char)t->s[p]) &&
		           ((is_ascii_alpha(last) && is_ascii_digit(b)) || (is_ascii_digit(last) && is_ascii_alpha(b)))) {
			/* "HER-2" is "HER2": a separator between a letter and a digit may go */
			size_t q = skip_seps(t, p);
			if (q < t->n && (uint8_t)t->s[q] == b)
				walk_from(w, c, q + 1, b);
		}
	}
}

static int cmp_match(const void *a, const void *b)
{
	const struct vmatch *x = a, *y = b;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->lang < y->lang ? -1 : x->lang > y->lang;
}

size_t vocab_match_at(const struct vocab *v, const struct vtext *t, size_t i, vocab_mask mask, struct vmatch *out,
                      size_t max)
{
	struct walk w = { .v = v, .t = t, .mask = mask ? mask : ~(vocab_mask)0 };
	uint32_t first;

	if (!v || !t || i >= t->n || !v->n_nodes)
		return 0;
	first = v->root_index[(unsigned char)t->s[i]];
	if (!first || !(node_sub(v, first) & w.mask))
		return 0;
	walk_from(&w, first, i + 1, (uint8_t)t->s[i]);
	if (w.n > 1)
		qsort(w.cand, w.n, sizeof(w.cand[0]), cmp_match);
	if (w.n > max)
		w.n = max;
	if (w.n)
		memcpy(out, w.cand, w.n * sizeof(*out));
	return w.n;
}

/* Does the folded text T hold a phrase of (CLS, ID) at a word start? ID < 0: any id. */
static bool text_has_entry(const struct vocab *v, const struct vtext *t, enum vocab_class cls, int id)
{
	uint32_t prev = 0;

	for (size_t i = 0; i < t->n;) {
		uint32_t cp;
		size_t l = vfold_cp_at(t->s, t->n, i, &cp);
		bool start = i == 0 || !vfold_is_word_cp(prev) || vfold_is_anychar_cp(prev) ||
		             vfold_is_anychar_cp(cp) || vfold_script_break(prev, cp);
		uint32_t first = v->root_index[(unsigned char)t->s[i]];

		if (start && first && (node_sub(v, first) & VW_BIT(cls))) {
			struct vmatch m[MATCH_CANDIDATES];
			size_t n = vocab_match_at(v, t, i, VW_BIT(cls), m, MATCH_CANDIDATES);
			for (size_t k = 0; k < n; k++)
				if (id < 0 || m[k].id == id)
					return true;
		}
		prev = cp;
		i += l;
	}
	return false;
}

bool vocab_text_has_entry(const struct vocab *v, const char *text, size_t len, enum vocab_class cls, int id)
{
	struct vtext t;
	bool r;

	if (!v || !text || !v->n_nodes || vtext_fold(text, len, &t) < 0)
		return false;
	r = text_has_entry(v, &t, cls, id);
	vtext_free(&t);
	return r;
}

bool vocab_text_has_any(const struct vocab *v, const char *text, size_t len, const struct vmatch *e, size_t n)
{
	struct vtext t;
	bool r = false;

	if (!v || !text || !n || !v->n_nodes || vtext_fold(text, len, &t) < 0)
		return false;
	for (size_t i = 0; i < n && !r; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup |= e[j].cls == e[i].cls && e[j].id == e[i].id;
		if (!dup)
			r = text_has_entry(v, &t, e[i].cls, e[i].cls >= VW_MARKER && e[i].cls <= VW_MONTH ? e[i].id : -1);
	}
	vtext_free(&t);
	return r;
}

bool vocab_text_has_concept(const struct vocab *v, const char *text, size_t len, int concept)
{
	if (!v || concept < 0 || (size_t)concept >= v->n_concepts)
		return false;
	return vocab_text_has_entry(v, text, len, VW_CONCEPT, concept);
}

/* ---- a whole phrase ---- */

size_t vocab_lookup_phrase(const struct vocab *v, const char *phrase, vocab_mask mask, struct vmatch *out, size_t max)
{
	struct vtext t;
	struct vmatch m[MATCH_CANDIDATES];
	size_t n, k = 0, start;

	if (!v || !phrase || vtext_fold(phrase, strlen(phrase), &t) < 0)
		return 0;
	start = skip_seps(&t, 0);
	n = vocab_match_at(v, &t, start, mask, m, MATCH_CANDIDATES);
	for (size_t i = 0; i < n && k < max; i++)
		if (skip_seps(&t, m[i].end) == t.n)
			out[k++] = m[i];
	vtext_free(&t);
	return k;
}

/* The words a term is made of (vocab_resolve_term()): entries of TARGET
 * (markers or labs), words of the classes in ALLOWED, and tokens with a digit
 * (a variant "p.G12C", a score "3+", an exon "19"). Longest first, with
 * backtracking; at most one full reading is taken. */
struct tok {
	const struct vocab *v;
	const struct vtext *t;
	enum vocab_class target;
	vocab_mask allowed;
	int ids[16];
	size_t n_ids;
	uint64_t classes;           /* bits (1 << cls) of the non-target words, for cls < 64 */
	struct strbuf qual;
	unsigned steps;
};

static size_t token_end(const struct vtext *t, size_t p, bool *digit, bool *signs)
{
	size_t q = p;
	*digit = false;
	*signs = true;
	while (q < t->n && t->s[q] != ' ' && t->s[q] != '/' && t->s[q] != ',' && t->s[q] != ';') {
		*digit |= is_ascii_digit((unsigned char)t->s[q]);
		*signs &= t->s[q] == '+';
		q++;
	}
	return q;
}

/* A token with a digit ("p.g12c", "3+", "ex19del"), a word and a number
 * after it ("exon 20", "codon 12": a position, whatever the language), or
 * plus signs ("CD20+"). Its end, or P when there is none. */
static size_t digit_token(const struct vtext *t, size_t p)
{
	bool digit, signs, d2, s2;
	size_t q = token_end(t, p, &digit, &signs), r;

	if (digit || (signs && q > p))
		return q;
	if (q < t->n && t->s[q] == ' ') {
		r = token_end(t, q + 1, &d2, &s2);
		bool number = r > q + 1;
		for (size_t i = q + 1; i < r; i++)
			number &= is_ascii_digit((unsigned char)t->s[i]);
		if (number)
			return r;
	}
	return p;
}

static bool tokenize(struct tok *k, size_t p)
{
	struct vmatch m[MATCH_CANDIDATES];
	size_t n, q;

	p = skip_seps(k->t, p);
	if (p >= k->t->n)
		return k->n_ids > 0;
	if (++k->steps > 4096)      /* bounded: a phrase is short, but candidates multiply */
		return false;
	n = vocab_match_at(k->v, k->t, p, VW_BIT(k->target) | k->allowed, m, MATCH_CANDIDATES);
	for (size_t i = 0; i < n; i++) {
		size_t ids0 = k->n_ids, qlen = k->qual.len;
		uint64_t c0 = k->classes;
		/* all entries of the target this phrase names, at this length */
		if (m[i].cls == k->target) {
			for (size_t j = i; j < n && m[j].end == m[i].end; j++) {
				bool dup = false;
				if (m[j].cls != k->target)
					continue;
				for (size_t d = 0; d < k->n_ids; d++)
					dup |= k->ids[d] == m[j].id;
				if (!dup && k->n_ids < sizeof(k->ids) / sizeof(k->ids[0]))
					k->ids[k->n_ids++] = m[j].id;
			}
		} else {
			if (m[i].cls < 64)
				k->classes |= UINT64_C(1) << m[i].cls;
			(void)strbuf_printf(&k->qual, "%s%.*s", k->qual.len ? " " : "", (int)(m[i].end - p), k->t->s + p);
		}
		if (tokenize(k, m[i].end))
			return true;
		k->n_ids = ids0;
		k->classes = c0;
		k->qual.len = qlen;
		if (k->qual.s)
			k->qual.s[qlen] = 0;
	}
	q = digit_token(k->t, p);
	if (q > p) {
		size_t qlen = k->qual.len;
		(void)strbuf_printf(&k->qual, "%s%.*s", k->qual.len ? " " : "", (int)(q - p), k->t->s + p);
		if (tokenize(k, q))
			return true;
		k->qual.len = qlen;
		if (k->qual.s)
			k->qual.s[qlen] = 0;
	}
	return false;
}

/* Result words that belong to one value grammar: a term made of them alone
 * ("MSI-H", "dMMR") names the markers read with that grammar. */
static int grammar_of_class(enum vocab_class c)
{
	switch (c) {
	case VW_MSI_HIGH: case VW_MSI_LOW: case VW_MSS: return VG_MSI;
	case VW_DEFICIENT: case VW_PROFICIENT: return VG_MMR;
	case VW_CODELETED: case VW_NOT_CODELETED: return VG_CODELETION;
	case VW_METHYLATED: case VW_UNMETHYLATED: return VG_METHYLATION;
	default: return -1;
	}
}

#define QUALIFIER_CLASSES                                                                                        \
	(((VW_BIT(VW_SOMATIC) << 1) - 1) /* results, assertions, variants */ | VW_BIT(VW_METHOD) |               \
	 VW_BIT(VW_STOPWORD) | VW_BIT(VW_NEG_PRE) | VW_BIT(VW_NEG_POST) | VW_BIT(VW_COL_RESULT))

static size_t resolve(const struct vocab *v, const char *phrase, enum vocab_class target, int *ids, size_t max,
                      char **qualifier)
{
	struct vtext t;
	struct tok k = { .v = v, .target = target, .allowed = QUALIFIER_CLASSES | VW_BIT(target) };
	size_t n = 0;

	if (qualifier)
		*qualifier = NULL;
	if (!v || !phrase || !v->n_nodes || vtext_fold(phrase, strlen(phrase), &t) < 0)
		return 0;
	k.t = &t;
	strbuf_init(&k.qual, 4096);
	if (target == VW_MARKER) {
		/* a marker's clone or assay names it ("22C3", "4B5") */
		_cleanup_free_ char *key = NULL;
		bool ew;
		if (phrase_key(phrase, &key, &ew)) {
			for (size_t j = 0; j < v->n_markers && n < max; j++) {
				for (char **c = v->markers[j].clone_keys; c && *c && n < max; c++) {
					if (strcmp(*c, key) == 0) {
						ids[n++] = (int)j;
						break;
					}
				}
			}
		}
	}
	if (n) {
		/* named by a clone */
	} else if (tokenize(&k, 0)) {
		for (size_t i = 0; i < k.n_ids && n < max; i++)
			ids[n++] = k.ids[i];
	} else if (target == VW_MARKER) {
		/* words of one grammar only: the markers that grammar reads */
		struct vmatch m[MATCH_CANDIDATES];
		size_t p = skip_seps(&t, 0);
		size_t c = vocab_match_at(v, &t, p, QUALIFIER_CLASSES, m, MATCH_CANDIDATES);
		for (size_t i = 0; i < c && n == 0; i++) {
			int g = grammar_of_class(m[i].cls);
			if (g < 0 || skip_seps(&t, m[i].end) != t.n)
				continue;
			for (size_t j = 0; j < v->n_markers && n < max; j++)
				if (v->markers[j].pub.values & (1u << g))
					ids[n++] = (int)j;
			if (n && qualifier)
				*qualifier = xstrndup(t.s + p, m[i].end - p);
		}
	}
	if (n && qualifier && !*qualifier && k.qual.len)
		*qualifier = strbuf_steal(&k.qual);
	strbuf_free(&k.qual);
	vtext_free(&t);
	return n;
}

size_t vocab_resolve_term(const struct vocab *v, const char *phrase, int *ids, size_t max, char **qualifier)
{
	return resolve(v, phrase, VW_MARKER, ids, max, qualifier);
}

size_t vocab_resolve_lab(const struct vocab *v, const char *phrase, int *ids, size_t max)
{
	return resolve(v, phrase, VW_LAB, ids, max, NULL);
}

bool vocab_knows_words(const struct vocab *v, const char *phrase)
{
	struct vtext t;
	struct tok k = { .v = v, .target = VW_MARKER, .allowed = QUALIFIER_CLASSES | VW_BIT(VW_MARKER) };
	bool r;

	if (!v || !phrase || !v->n_nodes || vtext_fold(phrase, strlen(phrase), &t) < 0)
		return false;
	k.t = &t;
	strbuf_init(&k.qual, 4096);
	k.n_ids = 1;    /* no marker needed */
	r = tokenize(&k, 0);
	strbuf_free(&k.qual);
	vtext_free(&t);
	return r;
}
