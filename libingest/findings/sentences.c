/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Statements from sentences (markers.c reads the items, this gives the values):
 * markers next to each other form a group (a list: "ER and PR", "ALK, ROS1 or
 * RET", "CD15, ainsi que PAX5": concept `list-and`), each value goes to the
 * nearer group that reads it, before or after it by the gap's cost; a group in
 * a negation's scope with no value of its own is negative; variants go to the
 * marker right before them.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "findings/statements.h"

/* Bind variants to the marker right before them (or right after). */
static void bind_variants(struct reader *r, const struct funit *u, const int *row_marker)
{
	struct items *it = &r->it;
	for (size_t k = 0; k < it->n; k++) {
		struct item *x = &it->v[k];
		if (x->kind != IT_VARIANT)
			continue;
		int m = -1;
		if (row_marker) {
			m = *row_marker;
		} else {
			for (size_t j = k; j-- > 0;) {
				struct item *y = &it->v[j];
				if (y->kind == IT_MARKER && !y->dead) {
					if (gap_cost(u->t, it, y->b, x->a) <= 2)
						m = y->marker;
					break;
				}
			}
			if (m < 0 && k + 1 < it->n && it->v[k + 1].kind == IT_MARKER && !it->v[k + 1].dead &&
			    gap_cost(u->t, it, x->b, it->v[k + 1].a) <= 1)
				m = it->v[k + 1].marker;
		}
		if (m < 0 || !marker_reads(r->v, m, G(VG_MUTATION) | G(VG_FUSION)))
			continue;
		struct pst *p = pst_get(r, m);
		if (!p || (p->variant[0] && !(p->variant[0] == 'c' && x->variant[0] == 'p')))
			continue;
		snprintf(p->variant, sizeof(p->variant), "%s", x->variant);
		p->mods |= x->mods;
		if (!p->result && !x->named) {
			/* a named variant is a detected one, unless negated ("no KRAS G12C") */
			p->pol = x->negated ? POL_NEGATIVE : POL_POSITIVE;
			p->any = true;
			p->result = true;
			p->as = AS_RESULT;
		}
	}
}

/* Does a value at [A, B) lie in parentheses opened after the marker before
 * it (ending at PREV) and closed before the marker after it (at NEXT)? */
static bool in_aside(const struct vtext *t, size_t prev, size_t a, size_t b, size_t next)
{
	int depth = 0;
	for (size_t i = prev; i < a; i++)
		depth += t->s[i] == '(' ? 1 : t->s[i] == ')' ? -1 : 0;
	if (depth <= 0)
		return false;
	for (size_t i = b; i < next; i++)
		if (t->s[i] == ')')
			return true;
	return false;
}

/* Does a clause end between a value ending at A and the marker after it at
 * B: a ';', or a ')' closing an aside the value sits in ("(Ki-67 80 % der
 * Tumorzellen), MYC")? The value is then the earlier clause's. (A comma
 * does not end one: "SISH: not amplified, HER2/CEP17 ratio 1.3".) */
static bool clause_ends(const struct vtext *t, size_t a, size_t b)
{
	int depth = 0;
	for (size_t i = a; i < b; i++) {
		char c = t->s[i];
		if (c == '(')
			depth++;
		else if (c == ')' && --depth < 0)
			return true;
		else if (c == ';' && depth == 0)
			return true;
	}
	return false;
}

/* Is marker item M right after a value of its own ("mutated NPM1")? */
bool own_value_before(const struct funit *u, const struct items *it, size_t m)
{
	return m > 0 && item_is_value(&it->v[m - 1]) && gap_cost(u->t, it, it->v[m - 1].b, it->v[m].a) <= 1;
}

/* Is marker item M right before a value of its own, past its variant
 * ("FLT3-ITD negative")? */
bool own_value_after(const struct funit *u, const struct items *it, size_t m)
{
	size_t j = m + 1, end = it->v[m].b;
	while (j < it->n && it->v[j].kind == IT_VARIANT && gap_cost(u->t, it, end, it->v[j].a) <= 1)
		end = it->v[j++].b;
	return j < it->n && item_is_value(&it->v[j]) && gap_cost(u->t, it, end, it->v[j].a) <= 1;
}

bool comma_between(const struct vtext *t, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (t->s[i] == ',' || t->s[i] == ';')
			return true;
	return false;
}

/* Is the gap [A, B) between two markers one of the language's list
 * conjunctions longer than "and" (concept LIST_AND), after a comma or none:
 * "CD30 et CD15, ainsi que PAX5", "CK7 as well as CK20", ", а также"? The
 * markers are then one list, as with "and". */
static bool list_joins(struct reader *r, const struct funit *u, int list_and, size_t a, size_t b)
{
	const char *s = u->t->s;
	size_t i = a;
	if (list_and < 0)
		return false;
	while (i < b && s[i] == ' ')
		i++;
	if (i < b && s[i] == ',')
		i++;
	while (i < b && s[i] == ' ')
		i++;
	if (i >= b || !vtext_word_start(u->t, i))
		return false;
	struct vmatch m[8];
	size_t n = vocab_match_at(r->v, u->t, i, VW_BIT(VW_CONCEPT), m, ARRAY_SIZE(m));
	for (size_t k = 0; k < n; k++) {
		if (m[k].id != (unsigned)list_and || m[k].end > b)
			continue;
		size_t e = m[k].end;
		while (e < b && s[e] == ' ')
			e++;
		if (e == b)
			return true;
	}
	return false;
}

/* A sentence with one variant and no marker, right after a sentence whose one
 * marker is read with variants: the variant is that marker's ("... la mutación
 * p.L858R ... del gen EGFR. No se detecta la mutación de resistencia p.T790M."),
 * with the sentence's own result words. */
static void carry_variant(struct reader *r, const struct funit *u)
{
	struct items *it = &r->it;
	int m = r->prev_mut_marker;
	if (m < 0)
		return;
	const struct item *x = NULL;
	for (size_t k = 0; k < it->n; k++) {
		if (it->v[k].kind != IT_VARIANT || it->v[k].dead)
			continue;
		if (x || it->v[k].named)
			return;
		x = &it->v[k];
	}
	if (!x)
		return;
	/* only with a result word of its own: a variant named alone ("p.T790M
	 * testing at progression") says nothing of the marker */
	const struct item *w = NULL;
	for (size_t k = 0; k < it->n; k++) {
		const struct item *y = &it->v[k];
		if (!item_is_value(y) || y->kind != IT_WORD || y->val.as != AS_RESULT || y->val.pol == POL_NONE ||
		    !(y->val.accept & G(VG_MUTATION)) || takes(r->v, m, &y->val) != m)
			continue;
		if (w)
			return;         /* two result words: whose is which is not said */
		w = y;
	}
	if (!w || gap_cost(u->t, it, MIN(w->b, x->b), MAX(w->a, x->a)) > VALUE_GAP_MAX)
		return;
	struct pst *p = pst_get(r, m);
	if (!p)
		return;
	give(r, m, w);
	if (!p->result || p->conflict)
		return;
	snprintf(p->variant, sizeof(p->variant), "%s", x->variant);
	p->mods |= x->mods;
}

/* The one marker of the sentence, when it is read with variants: a next
 * sentence's lone variant may be its. */
static void note_mut_marker(struct reader *r)
{
	int m = -1;
	for (size_t k = 0; k < r->it.n; k++) {
		const struct item *x = &r->it.v[k];
		if (x->kind != IT_MARKER || x->dead || x->marker == m)
			continue;
		if (m >= 0)
			return;
		m = x->marker;
	}
	if (m >= 0 && marker_reads(r->v, m, G(VG_MUTATION)))
		r->last_mut_marker = m;
}

/* Sentences: groups of markers, each value to the nearer group that reads it. */
ING_HIDDEN void read_sentence(struct reader *r, const struct funit *u)
{
	struct items *it = &r->it;
	size_t gs[FINDINGS_MAX_ITEMS], ge[FINDINGS_MAX_ITEMS], ng = 0; /* groups: item index ranges [gs, ge] */
	bool given[FINDINGS_MAX_ITEMS] = { 0 };
	int list_and = vocab_concept_id(r->v, "list-and");
	for (size_t k = 0; k < it->n; k++) {
		if (it->v[k].kind != IT_MARKER || it->v[k].dead)
			continue;
		if (ng) {
			size_t last = ge[ng - 1];
			bool split = false;
			for (size_t j = last + 1; j < k && !split; j++)
				split = (item_is_value(&it->v[j]) &&
				         !(it->v[j].val.weak && in_aside(u->t, it->v[last].b, it->v[j].a, it->v[j].b,
				                                         it->v[k].a))) ||
				        (it->v[j].kind == IT_WORD && !(it->v[j].cls & VW_BIT(VW_PSEUDO)) &&
				         (it->v[j].cls & (VW_BIT(VW_TERMINATE) | VW_BIT(VW_NEG_PRE) |
				                          VW_BIT(VW_NEG_POST))));
			/* "RAS/BRAF: KRAS ...": a label's colon ends a list */
			for (size_t i = it->v[last].b; i < it->v[k].a && !split; i++)
				split = u->t->s[i] == ':';
			/* "с мутацией NPM1, FLT3-ITD отрицательный": items of a list
			 * that each have their own result, one before, one after */
			split = split || (own_value_before(u, it, gs[ng - 1]) && own_value_after(u, it, k) &&
			                  comma_between(u->t, it->v[last].b, it->v[k].a));
			if (!split && (gap_cost(u->t, it, it->v[last].b, it->v[k].a) <= GROUP_GAP_MAX ||
			               list_joins(r, u, list_and, it->v[last].b, it->v[k].a))) {
				ge[ng - 1] = k;
				continue;
			}
		}
		gs[ng] = ge[ng] = k;
		ng++;
	}
	if (!ng) {
		carry_variant(r, u);
		return;
	}
	note_mut_marker(r);
	for (size_t k = 0; k < it->n; k++) {
		struct item *x = &it->v[k];
		if (!item_is_value(x))
			continue;
		size_t gp = SIZE_MAX, gn = SIZE_MAX;
		for (size_t g = 0; g < ng; g++) {
			if (ge[g] < k)
				gp = g;
			else if (gs[g] > k && gn == SIZE_MAX)
				gn = g;
		}
		unsigned cp = UINT32_MAX, cn = UINT32_MAX;
		bool ep = false, en = false;
		if (gp != SIZE_MAX) {
			for (size_t j = gs[gp]; j <= ge[gp] && !ep; j++)
				ep = !it->v[j].dead && it->v[j].kind == IT_MARKER &&
				     takes(r->v, it->v[j].marker, &x->val) >= 0;
			cp = gap_cost(u->t, it, it->v[ge[gp]].b, x->a);
		}
		if (gn != SIZE_MAX && !x->val.weak) {
			for (size_t j = gs[gn]; j <= ge[gn] && !en; j++)
				en = !it->v[j].dead && it->v[j].kind == IT_MARKER &&
				     takes(r->v, it->v[j].marker, &x->val) >= 0;
			cn = gap_cost(u->t, it, x->b, it->v[gs[gn]].a);
		}
		if (x->val.weak && cp > 1)
			ep = false;     /* a bare number only right after its marker */
		if (en && gp != SIZE_MAX && in_aside(u->t, it->v[ge[gp]].b, x->a, x->b, it->v[gs[gn]].a))
			en = false;     /* "CLDN18.2 (2+/3+, 85%), PD-L1": the aside is CLDN18.2's */
		if (en && clause_ends(u->t, x->b, it->v[gs[gn]].a))
			en = false;     /* a value is read in its marker's own clause */
		size_t g;
		if (ep && (!en || cp <= cn) && cp <= VALUE_GAP_MAX)
			g = gp;
		else if (en && cn <= VALUE_GAP_MAX)
			g = gn;
		else
			continue;
		given[g] = true;
		for (size_t j = gs[g]; j <= ge[g]; j++)
			if (it->v[j].kind == IT_MARKER && !it->v[j].dead)
				give(r, it->v[j].marker, x);
	}
	/* a group in a negation's scope without a value: "No ALK, ROS1 or RET" */
	for (size_t g = 0; g < ng; g++) {
		if (given[g] || !it->v[gs[g]].negated)
			continue;
		bool near = false;
		for (size_t j = 0; j < it->n && !near; j++) {
			const struct item *t = &it->v[j];
			if (t->kind != IT_WORD || t->val.accept || (t->cls & VW_BIT(VW_PSEUDO)))
				continue;
			if ((t->cls & VW_BIT(VW_NEG_PRE)) && j < gs[g])
				near = gap_cost(u->t, it, t->b, it->v[gs[g]].a) <= 2;
			else if ((t->cls & VW_BIT(VW_NEG_POST)) && j > ge[g])
				near = gap_cost(u->t, it, it->v[ge[g]].b, t->a) <= 2;
		}
		if (!near)
			continue;
		for (size_t j = gs[g]; j <= ge[g]; j++) {
			const struct item *m = &it->v[j];
			if (m->kind != IT_MARKER || m->dead ||
			    !marker_reads(r->v, m->marker,
			                  G(VG_POSNEG) | G(VG_MUTATION) | G(VG_FUSION) | G(VG_AMPLIFICATION)))
				continue;
			struct pst *p = pst_get(r, m->marker);
			if (p && !p->result) {
				p->any = p->result = true;
				p->as = AS_RESULT;
				p->pol = POL_NEGATIVE;
				p->mods |= m->mods;
			}
		}
	}
	bind_variants(r, u, NULL);
}
