/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Items and ConText (engine.h): the vocabulary's phrases, the values and
 * the variants in a row or a sentence, in order, and the scopes of the
 * negation and modifier triggers over them (Harkema et al. 2009, READING.md).
 *
 * At each word start the longest phrase wins (so "not detected" is one
 * result word and "no increase", a pseudo-trigger, is no negation); a
 * marker phrase under a longer result word at the same start is kept too
 * ("MSI-H" is MSI and its value). Where no phrase starts, values and
 * variants written as notation are read (values.c).
 *
 * Scopes: a neg-pre trigger runs forward to the unit's end or a terminate
 * phrase, a neg-post trigger backward to the unit's start or a terminate
 * phrase; every item in a scope is negated, so a coordinated list shares
 * it. possible / historical / hypothetical / family run forward likewise,
 * and backward when nothing follows them. A unit is one sentence or one
 * table row: a result cell's negation covers its row only.
 */
#include <string.h>

#include "internal.h"
#include "findings/engine.h"

#define RESULT_MASK                                                                                                 \
	(VW_BIT(VW_POSITIVE) | VW_BIT(VW_NEGATIVE) | VW_BIT(VW_DETECTED) | VW_BIT(VW_NOT_DETECTED) |                \
	 VW_BIT(VW_MUTATED) | VW_BIT(VW_WILD_TYPE) | VW_BIT(VW_AMPLIFIED) | VW_BIT(VW_NOT_AMPLIFIED) |              \
	 VW_BIT(VW_REARRANGED) | VW_BIT(VW_NOT_REARRANGED) | VW_BIT(VW_RETAINED) | VW_BIT(VW_LOST) |                \
	 VW_BIT(VW_DEFICIENT) | VW_BIT(VW_PROFICIENT) | VW_BIT(VW_MSI_HIGH) | VW_BIT(VW_MSI_LOW) | VW_BIT(VW_MSS) |  \
	 VW_BIT(VW_METHYLATED) | VW_BIT(VW_UNMETHYLATED) | VW_BIT(VW_CODELETED) | VW_BIT(VW_NOT_CODELETED) |        \
	 VW_BIT(VW_HIGH) | VW_BIT(VW_LOW) | VW_BIT(VW_EQUIVOCAL) | VW_BIT(VW_PENDING) | VW_BIT(VW_NOT_DONE) |       \
	 VW_BIT(VW_INSUFFICIENT) | VW_BIT(VW_PATHOGENIC) | VW_BIT(VW_LIKELY_PATHOGENIC) | VW_BIT(VW_VUS) |          \
	 VW_BIT(VW_LIKELY_BENIGN) | VW_BIT(VW_BENIGN))

/* Classes an item is made of: everything but labs, kinds, cancer types,
 * concepts, months and stop words (other readers' business). */
#define ITEM_MASK (RESULT_MASK | VW_BIT(VW_GERMLINE) | VW_BIT(VW_SOMATIC) | VW_BIT(VW_NEG_PRE) |               \
                   VW_BIT(VW_NEG_POST) | VW_BIT(VW_PSEUDO) | VW_BIT(VW_TERMINATE) | VW_BIT(VW_POSSIBLE) |       \
                   VW_BIT(VW_HISTORICAL) | VW_BIT(VW_HYPOTHETICAL) | VW_BIT(VW_FAMILY) |                         \
                   VW_BIT(VW_DEFINITION) | VW_BIT(VW_CRITERION) | VW_BIT(VW_REFERENCE) | VW_BIT(VW_DERIVED) | VW_BIT(VW_PRODUCT) |     \
                   VW_BIT(VW_METHOD) | VW_BIT(VW_MARKER))

static const enum vocab_class result_order[] = {
	/* the more specific first: a phrase in two classes is read as the first */
	VW_PENDING, VW_NOT_DONE, VW_INSUFFICIENT, VW_MSI_HIGH, VW_MSI_LOW, VW_MSS, VW_DEFICIENT, VW_PROFICIENT,
	VW_RETAINED, VW_LOST, VW_METHYLATED, VW_UNMETHYLATED, VW_CODELETED, VW_NOT_CODELETED, VW_AMPLIFIED,
	VW_NOT_AMPLIFIED, VW_REARRANGED, VW_NOT_REARRANGED, VW_WILD_TYPE, VW_MUTATED, VW_NOT_DETECTED, VW_DETECTED,
	VW_PATHOGENIC, VW_LIKELY_PATHOGENIC, VW_VUS, VW_LIKELY_BENIGN, VW_BENIGN, VW_EQUIVOCAL, VW_HIGH, VW_LOW,
	VW_NEGATIVE, VW_POSITIVE,
};

static unsigned cell_of(const struct funit *u, size_t i)
{
	for (unsigned k = 0; k < u->ncells; k++)
		if (i < u->cells[k].b)
			return k;
	return u->ncells ? u->ncells - 1 : 0;
}

static struct item *item_add(struct items *out, enum item_kind kind, size_t a, size_t b, const struct funit *u)
{
	if (out->n >= FINDINGS_MAX_ITEMS)
		return NULL;
	struct item *it = &out->v[out->n++];
	*it = (struct item){ .kind = kind, .a = a, .b = b, .marker = -1, .cell = cell_of(u, a) };
	return it;
}

static bool add_word(struct items *out, const struct funit *u, size_t a, size_t b, vocab_mask cls)
{
	struct item *it = item_add(out, IT_WORD, a, b, u);
	if (!it)
		return false;
	it->cls = cls;
	if (cls & RESULT_MASK)
		for (size_t k = 0; k < ARRAY_SIZE(result_order); k++)
			if (cls & VW_BIT(result_order[k])) {
				value_from_word(result_order[k], &it->val);
				break;
			}
	/* a result phrase with its score in it ("score 0", "HER2 0"): the score is its value */
	if (it->val.accept && !it->val.text[0])
		for (size_t i = a; i < b; i++) {
			struct fval f;
			if (value_parse(u->t, i, b, &f) && (f.accept & (1u << VG_IHC))) {
				snprintf(it->val.text, sizeof(it->val.text), "%s", f.text);
				it->val.accept |= 1u << VG_IHC;
				break;
			}
		}
	return true;
}

/* Short abbreviations ("ER", "PR", "RE") name a marker only in capitals:
 * "re-evaluated", "er" in a word cut by OCR, "pr." are not markers. */
static bool marker_written(const struct funit *u, size_t a, size_t b)
{
	size_t sa = u->t->orig[a], sb = u->t->orig[b];
	if (sb - sa > 3)
		return true;
	bool lower = false;
	for (size_t k = sa; k < sb; k++) {
		char c = u->src[k];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return true;
		lower |= c >= 'a' && c <= 'z';
	}
	return !lower;
}

/* Is the marker phrase ending at E in a letter (any script) followed by a
 * number that makes another name, when the marker reads no number (a stain
 * read positive / negative only)? "CK 13", "cytokératine 19", "CK 34βE12",
 * "细胞角蛋白19" name other cytokeratins, not "CK" (the pan-cytokeratin
 * stain) with a value; a number with its unit, sign or decimals ("ER 90%",
 * "2+", "1.5") is no name. */
static bool numbered_other(const struct vocab *v, int m, const struct vtext *t, size_t e, size_t b)
{
	if (vocab_marker(v, (size_t)m)->values != 1u << VG_POSNEG || e == 0 || e >= b)
		return false;
	char last = t->s[e - 1];
	if ((last >= '0' && last <= '9') || !fold_is_wordch(t, e - 1))
		return false;
	size_t i = e;
	if (t->s[i] == ' ' || t->s[i] == '-')
		i++;
	size_t d = i;
	while (i < b && t->s[i] >= '0' && t->s[i] <= '9')
		i++;
	if (i == d)
		return false;
	if (i < b && (t->s[i] == '%' || t->s[i] == '+'))
		return false;
	if (i + 1 < b && (t->s[i] == '.' || t->s[i] == ',') && t->s[i + 1] >= '0' && t->s[i + 1] <= '9')
		return false;
	return true;
}

static size_t next_char(const struct vtext *t, size_t i)
{
	i++;
	while (i < t->n && ((unsigned char)t->s[i] & 0xc0) == 0x80)
		i++;
	return i;
}

/* Does marker name NAME contain variant VAR ("p.K27M") as a word: "H3 K27M"? */
static bool name_has_variant(const char *name, const char *var)
{
	if (strncmp(var, "p.", 2) == 0)
		var += 2;
	size_t n = strlen(var);
	if (n == 0)
		return false;
	for (const char *s = name; *s; s++)
		if ((s == name || s[-1] == ' ') && strncasecmp(s, var, n) == 0 && (s[n] == '\0' || s[n] == ' '))
			return true;
	return false;
}

void items_scan(const struct vocab *v, const struct funit *u, size_t a, size_t b, struct items *out)
{
	const struct vtext *t = u->t;
	struct vmatch m[16];
	out->n = 0;
	for (size_t i = a; i < b && out->n < FINDINGS_MAX_ITEMS;) {
		if (vtext_word_start(t, i)) {
			size_t n = vocab_match_at(v, t, i, ITEM_MASK, m, ARRAY_SIZE(m));
			size_t end = 0, mend = 0;
			vocab_mask cls = 0;
			int marker = -1;
			for (size_t k = 0; k < n; k++) {
				if (m[k].end > b)
					continue;
				if (m[k].cls == VW_MARKER) {
					if (m[k].end > mend) {
						mend = m[k].end;
						marker = m[k].id;
					}
					continue;
				}
				if (m[k].end > end) {
					end = m[k].end;
					cls = 0;
				}
				if (m[k].end == end)
					cls |= VW_BIT(m[k].cls);
			}
			if (marker >= 0 && !marker_written(u, i, mend))
				marker = -1, mend = 0;
			if (marker >= 0 && mend >= end) {
				/* a score written at the marker's phrase ("TPS 5%" where TPS
				 * names a marker) is the value; a variant that is a synonym
				 * ("G12C", "exon 19 deletion") is the marker and its variant */
				struct fval f;
				char var[40];
				size_t ve = value_parse(t, i, b, &f);
				size_t xe = variant_parse(t, i, b, true, var, sizeof(var));
				bool keep = (!ve || ve <= mend || value_marker_for(v, marker, &f) >= 0) &&
				            !numbered_other(v, marker, t, mend, b);
				if (keep) {
					struct item *it = item_add(out, IT_MARKER, i, mend, u);
					if (it)
						it->marker = marker;
				}
				if (end == mend && (cls & RESULT_MASK))
					add_word(out, u, i, end, cls);
				/* a variant inside the phrase: "IDH1 R132H" */
				for (size_t j = i + 1; !xe && j < mend; j++)
					if ((t->s[j - 1] == ' ' || t->s[j - 1] == '-') &&
					    variant_parse(t, j, b, true, var, sizeof(var)))
						xe = variant_parse(t, j, b, true, var, sizeof(var));
				if (xe) {
					struct item *it = item_add(out, IT_VARIANT, i, xe, u);
					if (it) {
						memcpy(it->variant, var, sizeof(var));
						/* a name that is itself a variant ("H3 K27M") names the
						 * marker: it does not say the variant was found; nor
						 * does a test's name for a kind ("FLT3-ITD: pending") */
						it->named = name_has_variant(vocab_marker(v, (size_t)marker)->name, var) ||
						            variant_is_named_kind(var);
					}
				}
				if (ve > mend) {
					struct item *it = item_add(out, IT_VALUE, i, ve, u);
					if (it)
						it->val = f;
					i = ve;
					continue;
				}
				i = MAX(mend, xe);
				continue;
			}
			if (end) {
				/* "MSI-H": the marker under the result word, and the word */
				if (marker >= 0 && (cls & RESULT_MASK)) {
					struct item *mk = item_add(out, IT_MARKER, i, mend, u);
					if (mk)
						mk->marker = marker;
				}
				if (!add_word(out, u, i, end, cls))
					break;
				i = end;
				continue;
			}
		}
		struct fval f;
		char var[40];
		size_t e = variant_parse(t, i, b, true, var, sizeof(var));
		if (e) {
			struct item *it = item_add(out, IT_VARIANT, i, e, u);
			if (it)
				memcpy(it->variant, var, sizeof(var));
			i = e;
			continue;
		}
		e = value_parse(t, i, b, &f);
		if (e) {
			struct item *it = item_add(out, IT_VALUE, i, e, u);
			if (it) {
				it->val = f;
				it->dead = !f.accept;   /* a range: consumed, never a value */
			}
			i = e;
			continue;
		}
		i = next_char(t, i);
	}
}

static bool is_trigger(const struct item *it, enum vocab_class c)
{
	return it->kind == IT_WORD && !it->dead && (it->cls & VW_BIT(c)) && !(it->cls & VW_BIT(VW_PSEUDO)) &&
	       !it->val.accept;
}

static bool is_terminate(const struct item *it)
{
	return it->kind == IT_WORD && (it->cls & VW_BIT(VW_TERMINATE));
}

/* The end of an aside that opens between A and item J: a '(' after A whose
 * ')' closes after J and whose items hold a result of their own ("sans
 * anti-EGFR (tumeur RAS mutée)"); 0 when there is none. */
static size_t aside_end(const struct vtext *t, const struct items *it, size_t a, size_t j)
{
	size_t open = SIZE_MAX;
	for (size_t i = a; i < it->v[j].a && i < t->n; i++)
		if (t->s[i] == '(')
			open = i;
		else if (t->s[i] == ')')
			open = SIZE_MAX;
	if (open == SIZE_MAX)
		return 0;
	size_t close = open + 1;
	while (close < t->n && t->s[close] != ')' && t->s[close] != '(')
		close++;
	if (close >= t->n || t->s[close] != ')')
		return 0;
	for (size_t q = j; q < it->n && it->v[q].a < close; q++)
		if (it->v[q].kind == IT_WORD && !it->v[q].dead && it->v[q].val.accept && it->v[q].val.as == AS_RESULT &&
		    it->v[q].val.pol == POL_POSITIVE)
			return close;
	return 0;
}

static void scope(const struct vtext *t, struct items *it, size_t k, bool forward, bool neg, unsigned mod)
{
	if (forward) {
		size_t prev = it->v[k].b;
		for (size_t j = k + 1; j < it->n && !is_terminate(&it->v[j]); j++) {
			size_t close = t && neg ? aside_end(t, it, prev, j) : 0;
			if (close) {
				/* the aside keeps its own result; the scope goes on after it */
				while (j + 1 < it->n && it->v[j + 1].a < close)
					j++;
				prev = close;
				continue;
			}
			prev = it->v[j].b;
			it->v[j].negated |= neg;
			it->v[j].mods |= mod;
		}
	} else {
		for (size_t j = k; j-- > 0 && !is_terminate(&it->v[j]);) {
			it->v[j].negated |= neg;
			it->v[j].mods |= mod;
		}
	}
}

void context_apply(const struct vtext *t, struct items *it)
{
	static const struct {
		enum vocab_class c;
		unsigned mod;
	} mods[] = {
		{ VW_POSSIBLE, MOD_POSSIBLE }, { VW_HISTORICAL, MOD_HISTORICAL },
		{ VW_HYPOTHETICAL, MOD_HYPOTHETICAL }, { VW_FAMILY, MOD_FAMILY },
	};
	for (size_t k = 0; k < it->n; k++) {
		struct item *x = &it->v[k];
		if (x->kind != IT_WORD)
			continue;
		/* A result word that is also a neg-post trigger ("negativ" after
		 * "KRAS-Mutation") negates the result word right before it rather
		 * than contradict it. */
		if (x->val.accept && (x->cls & VW_BIT(VW_NEG_POST)) && x->val.pol == POL_NEGATIVE) {
			for (size_t j = k; j-- > 0;) {
				struct item *y = &it->v[j];
				if (y->kind == IT_MARKER || y->dead)
					continue;
				/* a noun ("Mutation", "amplification"), not a status word ("DETECTED NOT DETECTED") */
				if (y->kind == IT_WORD && y->val.accept && !y->val.generic &&
				    y->val.pol == POL_POSITIVE && y->val.as == AS_RESULT && !(y->cls & (VW_BIT(VW_DETECTED) | VW_BIT(VW_POSITIVE)))) {
					y->negated = true;
					x->dead = true;
				}
				break;
			}
			continue;
		}
		if (is_trigger(x, VW_NEG_PRE))
			scope(t, it, k, true, true, 0);
		if (is_trigger(x, VW_NEG_POST))
			scope(t, it, k, false, true, 0);
		for (size_t q = 0; q < ARRAY_SIZE(mods); q++) {
			if (!is_trigger(x, mods[q].c))
				continue;
			bool after = false;
			for (size_t j = k + 1; j < it->n && !after; j++)
				after = it->v[j].kind != IT_WORD || it->v[j].val.accept;
			scope(t, it, k, true, false, mods[q].mod);
			if (!after)
				scope(t, it, k, false, false, mods[q].mod);
		}
	}
}

/* The item covering folded offset I, or NULL (items are in order). */
static const struct item *item_covering(const struct items *it, size_t *hint, size_t i)
{
	while (*hint < it->n && it->v[*hint].b <= i)
		(*hint)++;
	if (*hint < it->n && it->v[*hint].a <= i)
		return &it->v[*hint];
	return NULL;
}

/* Does the '(' at I close before B with no '(' between: an aside? */
static bool aside_closes(const struct vtext *t, size_t i, size_t b)
{
	for (size_t k = i + 1; k < b && k < t->n; k++)
		if (t->s[k] == ')')
			return true;
		else if (t->s[k] == '(')
			return false;
	return false;
}

unsigned gap_cost(const struct vtext *t, const struct items *it, size_t a, size_t b)
{
	unsigned cost = 0;
	size_t hint = 0;
	bool in_word = false;
	bool aside = false;     /* in a bracketed aside that closes before B: "KIT (exones 9, 11, 13, 17 y 18):" */
	for (size_t i = a; i < b && i < t->n; i++) {
		const struct item *x = item_covering(it, &hint, i);
		if (x) {
			/* words of a trigger or another phrase count as words; values and markers do not */
			if (x->kind == IT_WORD && !x->val.accept && !in_word)
				cost++;
			in_word = x->kind == IT_WORD && !x->val.accept;
			i = x->b - 1;
			continue;
		}
		unsigned char c = (unsigned char)t->s[i];
		if (fold_is_wordch(t, i)) {
			if (!in_word)
				cost++;
			in_word = true;
			continue;
		}
		if (c >= 0x80 && ((unsigned char)t->s[i] & 0xc0) == 0x80)
			continue;
		in_word = false;
		if (c == ',' && aside)
			;       /* the aside's own list: its words count, its commas do not */
		else if (c == ',' || c == ';')
			cost += 3;
		else if (c == '(' || c == '[') {
			cost += 1;
			aside = c == '(' && aside_closes(t, i, b);
		} else if (c == ')')
			aside = false;
		else if (c == 0xe3 && i + 2 < t->n && (unsigned char)t->s[i + 1] == 0x80 &&
		         (unsigned char)t->s[i + 2] == 0x81)
			cost += 3;      /* 、 */
	}
	return cost;
}
