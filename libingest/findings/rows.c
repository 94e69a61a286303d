/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Statements from table rows (markers.c reads the items, this gives the values):
 * the marker's cell and its result cells (the header's result column, or
 * without a header the first cell after the marker's that holds a value the
 * marker reads, reference, method and key cells skipped); classification and
 * VAF from their columns; never from another row.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "findings/statements.h"

/* Is cell C of the row a key to reading results, not a result: a legend
 * giving several results of different meaning ("0/1+ negative, 2+
 * equivocal, 3+ positive") or a criterion ("Positive if >= 1%")? */
static bool cell_is_key(const struct reader *r, unsigned c)
{
	unsigned kinds = 0;
	for (size_t k = 0; k < r->it.n; k++) {
		const struct item *x = &r->it.v[k];
		if (x->cell != c || x->kind != IT_WORD)
			continue;
		if ((x->cls & VW_BIT(VW_HYPOTHETICAL)) && !x->val.accept)
			return true;
		if (x->val.accept)
			kinds |= x->val.as == AS_EQUIVOCAL ? 1u : x->val.pol == POL_POSITIVE ? 2u :
			         x->val.pol == POL_NEGATIVE ? 4u : 0u;
	}
	return kinds != 0 && (kinds & (kinds - 1)) != 0;
}

/* Does cell C of the row hold nothing but method words, clones or its reference? */
static bool cell_skippable(const struct reader *r, const struct funit *u, unsigned c)
{
	if (u->cells[c].role == ROLE_METHOD || u->cells[c].role == ROLE_REFERENCE)
		return true;
	if (value_is_range(u->t, u->cells[c].a, u->cells[c].b))
		return true;
	for (size_t k = 0; k < r->it.n; k++)
		if (r->it.v[k].cell == c && r->it.v[k].kind == IT_WORD && (r->it.v[k].cls & VW_BIT(VW_REFERENCE)))
			return true;
	return cell_is_key(r, c);
}

/* Does a sentence end between folded A and B ("...-Mutation. NRAS": a
 * two-column page's row holds prose)? A '.' and a space after a word of
 * four characters or more, so that "V. a." and "Dr." are no ends. */
static bool sentence_end_between(const struct vtext *t, size_t a, size_t b)
{
	if (a > b) {
		size_t x = a;
		a = b;
		b = x;
	}
	for (size_t i = a + 4; i + 1 < b; i++)
		if (t->s[i] == '.' && t->s[i + 1] == ' ' && fold_is_wordch(t, i - 1) && fold_is_wordch(t, i - 2) &&
		    fold_is_wordch(t, i - 3) && fold_is_wordch(t, i - 4))
			return true;
	return false;
}

/* Do markers A and B (B the next item) of one cell each have their own result,
 * A's before it and B's after it, a comma between: "с мутацией NPM1, FLT3-ITD
 * отрицательный" is two results, not a list sharing one? */
static bool own_results(const struct reader *r, const struct funit *u, size_t a, size_t b)
{
	const struct items *it = &r->it;
	size_t first = a;
	while (first > 0 && it->v[first - 1].kind == IT_MARKER && it->v[first - 1].cell == it->v[a].cell)
		first--;
	return own_value_before(u, it, first) && own_value_after(u, it, b) &&
	       comma_between(u->t, it->v[a].b, it->v[b].a);
}

/* An interpretation cell that names another marker with a result of its own,
 * in the cell ("MLH1 / PMS2 / MSH2 / MSH6 | IHQ | expresión conservada |
 * sistema MMR competente"): that marker's result, as a sentence of the cell
 * says it. Never a marker of the row's marker column. */
static void read_interp_cells(struct reader *r, const struct funit *u)
{
	struct items *it = &r->it;
	for (size_t k = 0; k < it->n; k++) {
		const struct item *x = &it->v[k];
		if (x->kind != IT_MARKER || x->dead || u->cells[x->cell].role != ROLE_INTERP)
			continue;
		bool rows_own = false;
		for (size_t j = 0; j < it->n && !rows_own; j++)
			rows_own = it->v[j].kind == IT_MARKER && u->cells[it->v[j].cell].role == ROLE_MARKER &&
			           it->v[j].marker == x->marker;
		if (rows_own)
			continue;
		size_t vj = SIZE_MAX;
		unsigned nval = 0;
		for (size_t j = 0; j < it->n; j++) {
			const struct item *y = &it->v[j];
			if (y->cell != x->cell || !item_is_value(y) || takes(r->v, x->marker, &y->val) < 0)
				continue;
			nval++;
			if (j > k && gap_cost(u->t, it, x->b, y->a) <= 2 && vj == SIZE_MAX)
				vj = j;
		}
		if (vj != SIZE_MAX && nval == 1)
			give(r, x->marker, &it->v[vj]);
	}
}

/* Rows: the marker's cell, its result cells; never another row. */
ING_HIDDEN void read_row(struct reader *r, const struct funit *u)
{
	struct items *it = &r->it;
	bool has_marker_col = false;
	for (unsigned c = 0; c < u->ncells; c++)
		has_marker_col |= u->cells[c].role == ROLE_MARKER;
	for (size_t k = 0; k < it->n; k++) {
		struct item *x = &it->v[k];
		if (x->kind != IT_MARKER || x->dead)
			continue;
		if (has_marker_col && u->cells[x->cell].role != ROLE_MARKER)
			continue;
		/* the markers of one cell are one group ("ER/PR"); read by the first */
		if (k > 0 && it->v[k - 1].kind == IT_MARKER && !it->v[k - 1].dead && it->v[k - 1].cell == x->cell &&
		    !sentence_end_between(u->t, it->v[k - 1].b, x->a) && !own_results(r, u, k - 1, k))
			continue;
		size_t k1 = k;
		while (k1 + 1 < it->n && it->v[k1 + 1].kind == IT_MARKER && it->v[k1 + 1].cell == x->cell &&
		       !sentence_end_between(u->t, it->v[k1].b, it->v[k1 + 1].a) && !own_results(r, u, k1, k1 + 1))
			k1++;
		bool split = k1 + 1 < it->n && it->v[k1 + 1].kind == IT_MARKER && it->v[k1 + 1].cell == x->cell &&
		             own_results(r, u, k1, k1 + 1);
		unsigned next_marker_cell = u->ncells;
		for (size_t j = k1 + 1; j < it->n; j++)
			if (it->v[j].kind == IT_MARKER && !it->v[j].dead && it->v[j].cell != x->cell &&
			    (!has_marker_col || u->cells[it->v[j].cell].role == ROLE_MARKER)) {
				next_marker_cell = it->v[j].cell;
				break;
			}
		/* which cells give values */
		bool use[FINDINGS_MAX_CELLS] = { 0 };
		use[x->cell] = true;    /* "ER positive" in one cell */
		if (u->has_header) {
			for (unsigned c = 0; c < u->ncells; c++)
				use[c] |= u->cells[c].role == ROLE_RESULT || u->cells[c].role == ROLE_CLASSIFICATION ||
				          u->cells[c].role == ROLE_VAF;
		} else {
			for (unsigned c = x->cell + 1; c < next_marker_cell; c++) {
				if (cell_skippable(r, u, c))
					continue;
				bool reads = false;
				for (size_t j = 0; j < it->n && !reads; j++)
					for (size_t q = k; q <= k1 && !reads; q++)
						reads = it->v[j].cell == c && item_is_value(&it->v[j]) &&
						        value_marker_for(r->v, it->v[q].marker, &it->v[j].val) >= 0;
				if (reads) {
					use[c] = true;
					/* classification and VAF may follow in later cells */
					for (unsigned c2 = c + 1; c2 < next_marker_cell; c2++)
						if (!cell_skippable(r, u, c2))
							use[c2] = true;
					break;
				}
			}
		}
		for (size_t j = 0; j < it->n; j++) {
			struct item *y = &it->v[j];
			/* "с мутацией NPM1, ...": the value right before a split list's first marker */
			bool before = split && j + 1 == k && own_value_before(u, it, k);
			if (!use[y->cell] || !item_is_value(y) || (y->cell == x->cell && y->a < x->b && !before) ||
			    (y->cell == x->cell && sentence_end_between(u->t, it->v[k1].b, y->a)) ||
			    (split && y->cell == x->cell && y->a > it->v[k1 + 1].a))
				continue;       /* (after the next marker of a split list: its own) */
			/* a percentage in the VAF column is the variant's allele frequency */
			struct item z = *y;
			if (u->cells[y->cell].role == ROLE_VAF && z.kind == IT_VALUE && z.val.g == VG_PERCENT) {
				char t[sizeof(z.val.text)];
				memcpy(t, z.val.text, sizeof(t));
				snprintf(z.val.text, sizeof(z.val.text), "VAF %.30s", t);
				z.val.accept = G(VG_MUTATION) | G(VG_FUSION) | G(VG_VAF);
				z.val.vaf = true;
			} else if (u->cells[y->cell].role == ROLE_VAF) {
				continue;
			}
			for (size_t q = k; q <= k1; q++)
				if (!it->v[q].dead)
					give(r, it->v[q].marker, &z);
		}
		/* a result cell with a polarity only ("positiv | 90 %, IRS 12"): a
		 * number the marker reads in another cell of the row that no header
		 * names (no reference, method or key) is its value */
		if (u->has_header)
			for (size_t q = k; q <= k1; q++) {
				if (it->v[q].dead)
					continue;
				struct pst *p = pst_find(r, it->v[q].marker);
				if (!p || !p->result || p->pol == POL_NONE || p->value[0] || p->conflict)
					continue;
				for (size_t j = 0; j < it->n && !p->value[0]; j++) {
					const struct item *y = &it->v[j];
					unsigned c = y->cell;
					if (use[c] || c == x->cell || (u->cells[c].role != ROLE_NONE && u->cells[c].role != ROLE_INTERP) ||
					    !item_is_value(y) ||
					    !y->val.text[0] || y->val.as != AS_RESULT || y->negated || y->val.vaf ||
					    cell_skippable(r, u, c) || takes(r->v, it->v[q].marker, &y->val) != p->marker)
						continue;
					struct item z = *y;
					z.val.pol = POL_NONE;
					z.val.vc = VC_NONE;
					give(r, it->v[q].marker, &z);
				}
			}
		/* a result cell with a number only ("80 % tinción 2+/3+ | positivo (>= 75 %)"):
		 * a positive / negative word in the row's interpretation column is its polarity */
		if (u->has_header)
			for (size_t q = k; q <= k1; q++) {
				if (it->v[q].dead)
					continue;
				struct pst *p = pst_find(r, it->v[q].marker);
				if (!p || !p->result || p->as != AS_RESULT || p->pol != POL_NONE || !p->value[0] || p->conflict ||
				    p->vc)
					continue;
				enum polarity pol = POL_NONE;
				bool two = false;
				for (size_t j = 0; j < it->n; j++) {
					const struct item *y = &it->v[j];
					if (u->cells[y->cell].role != ROLE_INTERP || !item_is_value(y) || !y->val.generic ||
					    y->val.as != AS_RESULT || y->val.pol == POL_NONE)
						continue;
					enum polarity yp = y->negated && y->val.pol == POL_POSITIVE ? POL_NEGATIVE : y->val.pol;
					two |= pol != POL_NONE && pol != yp;
					pol = yp;
				}
				if (pol != POL_NONE && !two)
					p->pol = pol;
			}
		int m0 = x->marker;
		/* variants of the row go to its marker */
		for (size_t j = 0; j < it->n; j++) {
			struct item *y = &it->v[j];
			if (y->kind != IT_VARIANT || (y->cell < x->cell) || y->cell >= next_marker_cell)
				continue;
			if (y->cell == x->cell && sentence_end_between(u->t, y->a < x->a ? y->b : x->b, y->a < x->a ? x->a : y->a))
				continue;       /* "BRAF-V600E-Mutation. NRAS": another sentence's */
			if (!marker_reads(r->v, m0, G(VG_MUTATION) | G(VG_FUSION)))
				break;
			struct pst *p = pst_get(r, m0);
			if (!p || (p->variant[0] && !(p->variant[0] == 'c' && y->variant[0] == 'p')))
				continue;
			snprintf(p->variant, sizeof(p->variant), "%s", y->variant);
			if (!p->result && !y->named) {
				p->pol = y->negated ? POL_NEGATIVE : POL_POSITIVE;
				p->any = p->result = true;
				p->as = AS_RESULT;
			}
		}
		/* the method column */
		for (unsigned c = 0; c < u->ncells; c++)
			if (u->cells[c].role == ROLE_METHOD) {
				struct pst *p = pst_get(r, m0);
				if (p && !p->method[0])
					src_copy(u, u->cells[c].a, u->cells[c].b, p->method, sizeof(p->method));
			}
	}
	if (u->has_header && has_marker_col)
		read_interp_cells(r, u);
}
