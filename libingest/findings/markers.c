/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Statements about markers (findings.h findings_statements()): each unit
 * (text.c) is read into items (context.c), and each value is given to the
 * markers that read it.
 *
 * In a row the value comes from the row's result cells (the header's
 * result column, or without a header the first cell after the marker's
 * that holds a value the marker reads, reference and method cells
 * skipped); classification and VAF from their columns; never from another
 * row. In a sentence, markers next to each other form a group (a list:
 * "ER and PR", "ALK, ROS1 or RET"), and each value goes to the nearer group
 * that reads it, before or after it by the gap's cost (words, commas), so
 * "ER positive, PR negative" and "loss of MLH1 and PMS2" both come out
 * right, and a value no marker of the sentence reads ("MSI-H" beside MLH1)
 * goes to none. A group in a negation's scope with no value of its own is
 * negative ("No ALK, ROS1 or RET fusion").
 *
 * Not results: a definition note; a marker named in a test's product name
 * ("NRAS-BRAF Mutation Test") or a derived quantity; values after a
 * reference cue or in a reference column; ranges. Interpretation sections
 * count only for a marker no other unit gave a result for. An amendment's
 * different result supersedes the earlier one.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "findings/statements.h"

/* ---- reading one unit ---- */

struct pst *pst_find(struct reader *r, int marker)
{
	for (size_t k = 0; k < r->npst; k++)
		if (r->pst[k].marker == marker)
			return &r->pst[k];
	return NULL;
}

ING_HIDDEN struct pst *pst_get(struct reader *r, int marker)
{
	struct pst *found = pst_find(r, marker);
	if (found)
		return found;
	if (r->npst >= ARRAY_SIZE(r->pst))
		return NULL;
	struct pst *p = &r->pst[r->npst++];
	*p = (struct pst){ .marker = marker };
	return p;
}

/* Does marker M take value F? A test's name (markers.yaml `assay`) is done,
 * pending or failed, never a result: "FoundationOne CDx identified a
 * pathogenic variant in BRCA2" is BRCA2's. The marker that gets it, or -1. */
ING_HIDDEN int takes(const struct vocab *v, int m, const struct fval *f)
{
	int target = value_marker_for(v, m, f);
	const struct vocab_marker *tm = target >= 0 ? vocab_marker(v, (size_t)target) : NULL;
	if (tm && tm->assay && f->as != AS_PENDING && f->as != AS_NOT_DONE && f->as != AS_INSUFFICIENT)
		return -1;
	return target;
}

/* Give the value of item X to marker M (or the marker its route names). */
ING_HIDDEN void give(struct reader *r, int m, const struct item *x)
{
	int target = takes(r->v, m, &x->val);
	if (target < 0)
		return;
	struct pst *p = pst_get(r, target);
	if (!p)
		return;
	const struct fval *f = &x->val;
	enum polarity pol = f->pol;
	const struct vocab_marker *tm = vocab_marker(r->v, (size_t)target);
	if (f->intensity && tm && (tm->values & G(VG_PERCENT)))
		return; /* "negativa (20% das células com intensidade 2+)": the 2+ qualifies the 20% */
	if (f->generic && f->as == AS_RESULT && tm && !tm->panel && (tm->values & G(VG_EXPRESSION)) &&
	    !(tm->values & G(VG_PERCENT)))
		/* a staining word or sign for a protein read as retained / lost:
		 * "MLH1 (+)" is expression retained, "(-)" lost (not for a stain
		 * measured in per cent: p53 "positiv in 60 %" is overexpression) */
		pol = pol == POL_POSITIVE ? POL_NEGATIVE : pol == POL_NEGATIVE ? POL_POSITIVE : pol;
	if (x->negated && pol == POL_POSITIVE && f->as == AS_RESULT)
		pol = POL_NEGATIVE;
	p->mods |= x->mods;
	if (f->as == AS_PENDING || f->as == AS_NOT_DONE || f->as == AS_INSUFFICIENT) {
		/* a result stated beside "pending" is the result */
		if (!p->result && !x->negated)
			p->as = f->as;
		p->any = p->any || !x->negated;
		return;
	}
	p->any = true;
	p->result = true;
	if (p->as != AS_EQUIVOCAL || f->as == AS_EQUIVOCAL)
		p->as = f->as == AS_EQUIVOCAL ? AS_EQUIVOCAL : AS_RESULT;
	if (f->vc && !(x->negated && (f->vc == VC_PATHOGENIC || f->vc == VC_LIKELY_PATHOGENIC))) {
		/* "no pathogenic variants" is a negative result, not a pathogenic one */
		p->vc = f->vc;
		if (f->vc == VC_VUS || f->vc == VC_BENIGN || f->vc == VC_LIKELY_BENIGN) {
			p->pol = POL_NONE;
			return;
		}
	}
	if (pol != POL_NONE && p->vc != VC_VUS && p->vc != VC_BENIGN && p->vc != VC_LIKELY_BENIGN) {
		/* Opposite polarities for one marker in one unit ("KRAS NRAS BRAF
		 * NOT DETECTED DETECTED", a table re-flowed into a line): no statement
		 * rather than a guess. ("KRAS mutation not detected" is one negative:
		 * context.c negates the noun.) */
		if (p->pol != POL_NONE && p->pol != pol)
			p->conflict = true;
		if (p->pol == POL_NONE || p->words_pol)
			p->words_pol = f->g == VG_HIGHLOW;
		p->pol = pol;
	}
	size_t pl = strlen(p->value), fl = strlen(f->text);
	if (pl && fl > pl + 1 && strcmp(f->text + fl - pl, p->value) == 0 && f->text[fl - pl - 1] == ' ') {
		/* "menos de 1% ... (TPS <1%)": the same number with its score's name */
		snprintf(p->value, sizeof(p->value), "%s", f->text);
	} else if (f->text[0] && !p->value[0]) {
		const struct vocab_marker *vm = vocab_marker(r->v, (size_t)target);
		/* a bare number read by a ratio or CPS only is that ("HER2/CEP17 ratio 2.4") */
		bool plain = !vm || (vm->values & (G(VG_SCORE) | G(VG_GRADE) | G(VG_IHC)));
		if (f->weak && !plain && (vm->values & G(VG_RATIO)) && (f->accept & G(VG_RATIO)))
			snprintf(p->value, sizeof(p->value), "ratio %.30s", f->text);
		else if (f->weak && !plain && (vm->values & G(VG_CPS)))
			snprintf(p->value, sizeof(p->value), "CPS %.30s", f->text);
		else
			snprintf(p->value, sizeof(p->value), "%s", f->text);
	}
	if (f->as == AS_EQUIVOCAL && pol == POL_NONE)
		p->pol = POL_NONE;
}

ING_HIDDEN bool item_is_value(const struct item *x)
{
	return !x->dead && (x->kind == IT_VALUE || x->kind == IT_WORD) && x->val.accept;
}

ING_HIDDEN bool marker_reads(const struct vocab *v, int m, uint32_t grammars)
{
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	return vm && (vm->values & grammars);
}

/* Copy folded [A, B) of U as written in the source. */
ING_HIDDEN void src_copy(const struct funit *u, size_t a, size_t b, char *out, size_t outsz)
{
	size_t sa = u->t->orig[a], sb = u->t->orig[b];
	size_t n = sb - sa < outsz - 1 ? sb - sa : outsz - 1;
	while (n > 0 && sa + n < sb && ((unsigned char)u->src[sa + n] & 0xc0) == 0x80)
		n--;
	memcpy(out, u->src + sa, n);
	out[n] = 0;
}

/* Is the word ending at I a label: at most one more word, then ':'? */
static bool is_label(const struct vtext *t, size_t i, size_t end)
{
	while (i < end && t->s[i] == ' ')
		i++;
	if (i < end && fold_is_wordch(t, i)) {
		while (i < end && fold_is_wordch(t, i))
			i++;
		while (i < end && t->s[i] == ' ')
			i++;
	}
	return i < end && t->s[i] == ':';
}

/* Is marker M a cytogenetic abnormality written in ISCN notation ("t(4;14)",
 * "del(17p)", "inv(16)")? */
static bool is_cytogenetic(const struct vocab *v, int m)
{
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	const char *p = vm ? strchr(vm->name, '(') : NULL;
	return p && p > vm->name && p - vm->name <= 3 && strchr(p, ')');
}

/* Is marker Y alone in parentheses right after folded offset END: "17p (TP53)"? */
static bool gloss(const struct funit *u, size_t end, const struct item *y)
{
	const char *s = u->t->s;
	size_t i = end;
	while (i < y->a && s[i] == ' ')
		i++;
	if (i >= y->a || s[i] != '(')
		return false;
	for (i++; i < y->a; i++)
		if (s[i] != ' ')
			return false;
	for (i = y->b; i < u->b && s[i] == ' '; i++)
		;
	return i < u->b && s[i] == ')';
}

/* A range of numbers ("1-49%"): as a score, a category's band. */
static bool is_band(const char *s)
{
	for (size_t i = 1; s[i]; i++)
		if (s[i] == '-' && s[i - 1] >= '0' && s[i - 1] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9')
			return true;
	return false;
}

/* Markers named in a product ("NRAS-BRAF Mutation Test", "therascreen KRAS")
 * or a derived quantity; values after a reference cue; a definition note. */
static bool drop_names(struct reader *r, const struct funit *u)
{
	struct items *it = &r->it;
	for (size_t k = 0; k < it->n; k++)
		if (it->v[k].kind == IT_WORD && ((it->v[k].cls & VW_BIT(VW_DEFINITION)) ||
		                                 ((it->v[k].cls & VW_BIT(VW_CRITERION)) && u->kind != UNIT_ROW)))
			return false;
	for (size_t k = 0; k < it->n; k++) {
		struct item *x = &it->v[k];
		if (x->kind == IT_MARKER && !x->dead && k + 1 < it->n && it->v[k + 1].kind == IT_VARIANT &&
		    it->v[k + 1].a == x->a) {
			/* a variant that names a marker ("exon 20 insertion" is EGFR's)
			 * right after another marker is that marker's variant:
			 * "ERBB2 exon 20 insertion" */
			for (size_t j = k; j-- > 0;) {
				const struct item *y = &it->v[j];
				if (y->kind != IT_MARKER || y->dead)
					continue;
				if (y->marker != x->marker && gap_cost(u->t, it, y->b, x->a) == 0)
					x->dead = true;
				break;
			}
		}
		if (x->kind == IT_MARKER && !x->dead && is_cytogenetic(r->v, x->marker)) {
			/* "t(4;14) FGFR3/NSD2", "del(17p) TP53": the genes right after an
			 * abnormality's notation name its probe, not results of their own */
			size_t end = x->b;
			for (size_t j = k + 1; j < it->n; j++) {
				struct item *y = &it->v[j];
				if (y->kind != IT_MARKER || is_cytogenetic(r->v, y->marker))
					break;
				if (j == k + 1 && gloss(u, end, y)) {
					/* "No deletion of 17p (TP53)": the gene in parentheses
					 * names the abnormality's locus; it was not tested */
					y->dead = true;
					break;
				}
				if (gap_cost(u->t, it, end, y->a) > 0)
					break;
				y->dead = true;
				end = y->b;
			}
		}
		if (x->kind == IT_MARKER && !x->dead && marker_is_score_name(r->v, x->marker)) {
			/* "Tumor Proportion Score: 5%": the number is the score, the
			 * score is the result of the marker it belongs to; with no
			 * such marker before it in the unit ("PD-L1 TPS 60%" is one
			 * phrase), the score's name stands for that marker */
			int owner = score_owner(r->v, x->marker);
			bool owner_before = false;
			for (size_t j = 0; j < k; j++)
				owner_before |= it->v[j].kind == IT_MARKER && !it->v[j].dead && it->v[j].marker == owner;
			x->dead = true;
			if (x->a > u->a && u->t->s[x->a - 1] == '(' && x->b < u->b && u->t->s[x->b] == ')') {
				/* "80 % des cellules tumorales (TPS)": the score's name after its number */
				for (size_t j = k; j-- > 0;) {
					struct item *y = &it->v[j];
					if (y->kind == IT_MARKER && !y->dead && y->marker != owner)
						break;
					if (y->kind == IT_VALUE && !y->dead && y->val.g == VG_PERCENT) {
						if (gap_cost(u->t, it, y->b, x->a) <= 6 && !is_band(y->val.text))
							value_as_score(r->v, x->marker, &y->val);
						break;
					}
				}
				continue;
			}
			for (size_t j = k + 1; j < it->n; j++) {
				struct item *y = &it->v[j];
				if (y->kind == IT_MARKER && !y->dead && !marker_is_score_name(r->v, y->marker))
					break;
				if (y->kind == IT_VALUE && !y->dead) {
					if (gap_cost(u->t, it, x->b, y->a) <= 2 && is_band(y->val.text)) {
						/* "TPS 1-49%": a category's band, not a measurement */
						y->dead = true;
					} else if (gap_cost(u->t, it, x->b, y->a) <= 2) {
						value_as_score(r->v, x->marker, &y->val);
						if (owner >= 0 && !owner_before) {
							x->marker = owner;
							x->dead = false;
						}
					}
					break;
				}
			}
			continue;
		}
		if (item_is_value(x) && x->kind == IT_WORD && is_label(u->t, x->b, u->b)) {
			x->dead = true;         /* "KRAS mutation analysis:", "HER2 status:" name what follows */
			continue;
		}
		if (x->kind == IT_WORD && !x->val.accept && (x->cls & (VW_BIT(VW_PRODUCT) | VW_BIT(VW_DERIVED))) &&
		    !is_label(u->t, x->b, u->b)) {
			/* the markers right before it, and right after a product word */
			size_t end = x->a;
			for (size_t j = k; j-- > 0;) {
				struct item *y = &it->v[j];
				if (item_is_value(y) || gap_cost(u->t, it, y->b, end) > NAME_GAP_MAX)
					break;
				if (y->kind == IT_MARKER)
					y->dead = true;
				end = y->a;
			}
			if (x->cls & VW_BIT(VW_PRODUCT)) {
				size_t start = x->b;
				for (size_t j = k + 1; j < it->n; j++) {
					struct item *y = &it->v[j];
					if (y->kind != IT_MARKER || gap_cost(u->t, it, start, y->a) > 0)
						break;
					y->dead = true;
					start = y->b;
				}
			}
		}
		if (x->kind == IT_WORD && !x->val.accept && (x->cls & VW_BIT(VW_REFERENCE))) {
			for (size_t j = k + 1; j < it->n; j++) {
				struct item *y = &it->v[j];
				if (y->kind == IT_MARKER || (u->kind == UNIT_ROW && y->cell != x->cell))
					break;
				if (y->kind == IT_VALUE)
					y->dead = true;
			}
		}
	}
	if (u->kind == UNIT_ROW)
		for (size_t k = 0; k < it->n; k++) {
			enum col_role role = u->cells[it->v[k].cell].role;
			if (role == ROLE_REFERENCE || role == ROLE_UNIT || role == ROLE_DATE || role == ROLE_FLAG)
				it->v[k].dead = true;
		}
	return true;
}


/* A fusion partner written next to marker X: "EML4::ALK", "KIF5B-RET". */
static void fusion_partner(const struct funit *u, const struct items *it, const struct item *x, char *out,
                           size_t outsz)
{
	const char *s = u->t->s;
	size_t n = u->t->n;
	size_t p0 = 0, p1 = 0;
	bool before = false;
	{
		/* the marker's phrase is the fusion itself ("EML4-ALK", "EML4::ALK") */
		char name[32];
		src_copy(u, x->a, x->b, name, sizeof(name));
		char *sep = strstr(name, "::");
		size_t sl = 2;
		if (!sep && (sep = strchr(name, '-')))
			sl = 1;
		if (sep && sep > name && sep[sl]) {
			bool ok = true;
			for (char *c = name; *c && ok; c++)
				ok = (c >= sep && c < sep + sl) || (*c >= '0' && *c <= '9') ||
				     (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z');
			if (ok) {
				*sep = 0;
				for (char *c = name; *c; c++)
					*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
				for (char *c = sep + sl; *c; c++)
					*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
				if (strlen(name) >= 3 && strlen(sep + sl) >= 3) {
					snprintf(out, outsz, "%s::%s", name, sep + sl);
					return;
				}
			}
		}
	}
	if (x->a >= 3 && s[x->a - 1] == ':' && s[x->a - 2] == ':')
		p1 = x->a - 2, before = true;
	else if (x->a >= 2 && s[x->a - 1] == '-')
		p1 = x->a - 1, before = true;
	if (before) {
		p0 = p1;
		while (p0 > u->a && ((s[p0 - 1] >= 'a' && s[p0 - 1] <= 'z') || (s[p0 - 1] >= '0' && s[p0 - 1] <= '9')))
			p0--;
	} else {
		size_t q = x->b;
		if (q + 2 < n && s[q] == ':' && s[q + 1] == ':')
			q += 2;
		else if (q + 1 < n && s[q] == '-')
			q += 1;
		else
			return;
		p0 = q;
		p1 = q;
		while (p1 < u->b && ((s[p1] >= 'a' && s[p1] <= 'z') || (s[p1] >= '0' && s[p1] <= '9')))
			p1++;
		if (p1 < u->b && (unsigned char)s[p1] >= 0x80)
			return;
	}
	size_t len = p1 - p0;
	if (len < 3 || len > 8 || (p0 > 0 && (unsigned char)s[p0 - 1] >= 0x80))
		return;
	bool letter = false, digit = false;
	for (size_t i = p0; i < p1; i++) {
		letter |= s[i] >= 'a' && s[i] <= 'z';
		digit |= s[i] >= '0' && s[i] <= '9';
	}
	if (!letter || (!digit && len < 3))
		return;
	for (size_t k = 0; k < it->n; k++)
		if (it->v[k].a < p1 && it->v[k].b > p0)
			return; /* a phrase of the vocabulary ("ALK-positive"), not a gene */
	char partner[12], name[24];
	for (size_t i = 0; i < len; i++)
		partner[i] = (char)(s[p0 + i] >= 'a' && s[p0 + i] <= 'z' ? s[p0 + i] - 32 : s[p0 + i]);
	partner[len] = 0;
	src_copy(u, x->a, x->b, name, sizeof(name));
	for (char *c = name; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 32);
	if (before)
		snprintf(out, outsz, "%s::%s", partner, name);
	else
		snprintf(out, outsz, "%s::%s", name, partner);
}

/* Method: a clone of the marker written in the unit, else a method word. */
static void find_method(struct reader *r, const struct funit *u, struct pst *p)
{
	const struct vocab_marker *vm = vocab_marker(r->v, (size_t)p->marker);
	const char *s = u->t->s;
	if (vm && vm->clones)
		for (const char *const *c = vm->clones; *c; c++) {
			size_t n = strlen(*c);
			if (!n || n >= sizeof(p->method))
				continue;
			for (size_t i = u->a; i + n <= u->b; i++) {
				if (strncasecmp(s + i, *c, n) != 0)
					continue;
				if ((i > u->a && fold_is_wordch(u->t, i - 1)) ||
				    (i + n < u->b && fold_is_wordch(u->t, i + n)))
					continue;
				snprintf(p->method, sizeof(p->method), "%s", *c);
				return;
			}
		}
	for (size_t k = 0; k < r->it.n; k++)
		if (r->it.v[k].kind == IT_WORD && (r->it.v[k].cls & VW_BIT(VW_METHOD))) {
			src_copy(u, r->it.v[k].a, r->it.v[k].b, p->method, sizeof(p->method));
			return;
		}
}

/* White space folded, at most FINDINGS_SNIPPET_MAX bytes, cut at a UTF-8 boundary. */
static char *snippet(const struct funit *u)
{
	size_t sa = u->t->orig[u->a], sb = u->t->orig[u->b];
	char *out = xmalloc(FINDINGS_SNIPPET_MAX + 1);
	size_t n = 0;
	bool sp = false;
	for (size_t i = sa; i < sb && n < FINDINGS_SNIPPET_MAX; i++) {
		unsigned char c = (unsigned char)u->src[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			sp = n > 0;
			continue;
		}
		if (sp) {
			if (n + 1 >= FINDINGS_SNIPPET_MAX)
				break;
			out[n++] = ' ';
			sp = false;
		}
		out[n++] = (char)c;
	}
	while (n > 0 && ((unsigned char)out[n - 1] & 0x80)) {
		/* drop a character cut short */
		size_t s = n - 1;
		while (s > 0 && ((unsigned char)out[s] & 0xc0) == 0x80)
			s--;
		unsigned char lead = (unsigned char)out[s];
		size_t want = (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : 4;
		if (n - s >= want)
			break;
		n = s;
	}
	out[n] = 0;
	return out;
}

static void emit(struct reader *r, const struct funit *u)
{
	const struct items *it = &r->it;
	enum variant_origin origin = VO_NONE;
	for (size_t k = 0; k < it->n; k++)
		if (it->v[k].kind == IT_WORD && !it->v[k].dead) {
			if (it->v[k].cls & VW_BIT(VW_GERMLINE))
				origin = VO_GERMLINE;
			else if (it->v[k].cls & VW_BIT(VW_SOMATIC))
				origin = VO_SOMATIC;
		}
	for (size_t k = 0; k < r->npst; k++) {
		struct pst *p = &r->pst[k];
		if (!p->any || p->conflict)
			continue;
		if (r->out->n >= FINDINGS_MAX_STATEMENTS)
			return;
		find_method(r, u, p);
		if (p->words_pol && has_digit(p->value) && measured(r->v, p->marker))
			p->pol = POL_NONE;      /* "expression is low (TPS 5%)": the number is the result */
		const struct vocab_marker *vm = vocab_marker(r->v, (size_t)p->marker);
		struct statement s = {
			.marker = p->marker,
			.name = vm ? vm->name : NULL,
			.assertion = p->as,
			.polarity = p->result && p->as != AS_EQUIVOCAL ? p->pol : POL_NONE,
			.value = p->value[0] ? xstrdup(p->value) : NULL,
			.variant = p->variant[0] ? xstrdup(p->variant) : NULL,
			.method = p->method[0] ? xstrdup(p->method) : NULL,
			.vclass = p->vc,
			.origin = origin,
			.modifiers = p->mods,
			.amendment = (u->flags & UF_AMENDMENT) != 0,
			.ocr = r->d->ocr,
			.unit = u->kind,
			.line = u->line,
			.offset = u->t->orig[u->a],
			.from_layout = u->from_layout,
		};
		if (!s.name)
			continue;
		/* the same result from a row and a sentence is kept once */
		bool dup = false;
		for (size_t j = 0; j < r->out->n && !dup; j++)
			dup = same_result(&r->out->v[j], &s) && r->out->v[j].modifiers == s.modifiers &&
			      r->out->v[j].amendment == s.amendment;
		if (dup) {
			statement_free_one(&s);
			continue;
		}
		s.snippet = snippet(u);
		if (r->out->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 16;
			r->out->v = xrealloc(r->out->v, r->cap * sizeof(*r->out->v));
			r->interp = xrealloc(r->interp, r->cap);
		}
		r->interp[r->out->n] = ((u->flags & UF_INTERPRETATION) ? SF_INTERP : 0) | (p->words_pol ? SF_WORDS : 0);
		r->out->v[r->out->n++] = s;
	}
}

static bool is_bare_mss(const struct item *x)
{
	return x->kind == IT_WORD && (x->cls & VW_BIT(VW_MSS)) && x->b - x->a <= 4;
}

/* Does a unit of the document speak of microsatellites or mismatch repair
 * other than with a bare "MSS" ("MSI", "microsatellite", "MSI-H", "MMR")? */
static bool msi_context(struct reader *r)
{
	if (r->msi_context >= 0)
		return r->msi_context;
	struct items *tmp = xmalloc(sizeof(*tmp));
	r->msi_context = 0;
	for (size_t k = 0; k < r->units->n && !r->msi_context; k++) {
		const struct funit *u = &r->units->v[k];
		items_scan(r->v, u, u->a, u->b, tmp);
		for (size_t j = 0; j < tmp->n && !r->msi_context; j++) {
			const struct item *x = &tmp->v[j];
			if (x->kind != IT_MARKER || !marker_reads(r->v, x->marker, G(VG_MSI) | G(VG_MMR)))
				continue;
			bool bare = false;
			for (size_t q = 0; q < tmp->n && !bare; q++)
				bare = tmp->v[q].a == x->a && is_bare_mss(&tmp->v[q]);
			r->msi_context = !bare;
		}
	}
	free(tmp);
	return r->msi_context;
}

/* A bare "MSS" in a document that says nothing else of microsatellites is
 * another abbreviation (Turkish "MSS": merkezi sinir sistemi, the CNS). */
static void drop_bare_mss(struct reader *r)
{
	struct items *it = &r->it;
	for (size_t k = 0; k < it->n; k++) {
		if (!is_bare_mss(&it->v[k]) || it->v[k].dead)
			continue;
		if (msi_context(r))
			return;
		it->v[k].dead = true;
		for (size_t j = 0; j < it->n; j++)
			if (it->v[j].kind == IT_MARKER && it->v[j].a == it->v[k].a)
				it->v[j].dead = true;
	}
}

/* A verb of expression measured ("MYC is expressed in 30% of cells",
 * concept `expression-verb`) says where the stain is, not that it is
 * positive: with a percentage right after it, the percentage is the value
 * and the verb no polarity (a threshold decides, not the verb). */
static void drop_measured_expression(struct reader *r, const struct funit *u)
{
	int concept = vocab_concept_id(r->v, "expression-verb");
	if (concept < 0)
		return;
	struct items *it = &r->it;
	for (size_t k = 0; k + 1 < it->n; k++) {
		struct item *x = &it->v[k];
		if (x->dead || x->kind != IT_WORD || x->val.pol != POL_POSITIVE)
			continue;
		struct vmatch m[8];
		size_t n = vocab_match_at(r->v, u->t, x->a, VW_BIT(VW_CONCEPT), m, ARRAY_SIZE(m));
		bool verb = false;
		for (size_t j = 0; j < n && !verb; j++)
			verb = m[j].id == (unsigned)concept && m[j].end == x->b;
		if (!verb)
			continue;
		const struct item *y = &it->v[k + 1];
		if (y->kind == IT_VALUE && !y->dead && y->val.g == VG_PERCENT && gap_cost(u->t, it, x->b, y->a) <= 1)
			x->dead = true;
	}
}

/* Does a phrase of concept C end at folded offset E of U, starting at a word
 * start at or after LO? Its start, or SIZE_MAX. */
static size_t concept_ends_at(struct reader *r, const struct funit *u, int c, size_t lo, size_t e)
{
	struct vmatch m[8];
	for (size_t i = lo; i < e; i++) {
		if (((unsigned char)u->t->s[i] & 0xc0) == 0x80 || !vtext_word_start(u->t, i))
			continue;
		size_t n = vocab_match_at(r->v, u->t, i, VW_BIT(VW_CONCEPT), m, ARRAY_SIZE(m));
		for (size_t k = 0; k < n; k++)
			if (m[k].id == (unsigned)c && m[k].end == e)
				return i;
	}
	return SIZE_MAX;
}

/* Does a phrase of concept C start at folded offset I of U? Its end, or 0. */
static size_t concept_at(struct reader *r, const struct funit *u, int c, size_t i)
{
	struct vmatch m[8];
	if (i >= u->b || !vtext_word_start(u->t, i))
		return 0;
	size_t n = vocab_match_at(r->v, u->t, i, VW_BIT(VW_CONCEPT), m, ARRAY_SIZE(m));
	for (size_t k = 0; k < n; k++)
		if (m[k].id == (unsigned)c && m[k].end <= u->b)
			return m[k].end;
	return 0;
}

#define INTENSITY_LOOKBACK 40   /* folded bytes before an IHC grade searched for "intensity" */

/* An IHC grade next to an intensity word ("intensidade 2+", "2+ intensity",
 * concept `intensity`) is an intensity: give() keeps it from a stain
 * measured in per cent, whose result is its percentage and its words. */
static void mark_intensities(struct reader *r, const struct funit *u)
{
	int c = vocab_concept_id(r->v, "intensity");
	if (c < 0)
		return;
	const char *s = u->t->s;
	for (size_t k = 0; k < r->it.n; k++) {
		struct item *x = &r->it.v[k];
		if (x->kind != IT_VALUE || x->dead || x->val.g != VG_IHC)
			continue;
		size_t a = x->a;
		while (a > u->a && (s[a - 1] == ' ' || s[a - 1] == ':'))
			a--;
		size_t lo = a > u->a + INTENSITY_LOOKBACK ? a - INTENSITY_LOOKBACK : u->a;
		size_t e = x->b;
		while (e < u->b && s[e] == ' ')
			e++;
		x->val.intensity = (a > u->a && concept_ends_at(r, u, c, lo, a) != SIZE_MAX) || concept_at(r, u, c, e) > 0;
	}
}

/* A terminate word that starts a list's conjunction (concept `list-and`:
 * Russian "а" of "а также", "and also") ends no scope and parts no list. */
static void keep_list_conjunctions(struct reader *r, const struct funit *u)
{
	int c = vocab_concept_id(r->v, "list-and");
	if (c < 0)
		return;
	for (size_t k = 0; k < r->it.n; k++) {
		struct item *x = &r->it.v[k];
		if (x->kind == IT_WORD && (x->cls & VW_BIT(VW_TERMINATE)) && concept_at(r, u, c, x->a) > x->b)
			x->cls &= ~VW_BIT(VW_TERMINATE);
	}
}

#define COMPARISON_LOOKBACK 40  /* folded bytes before a number searched for "less than" */
#define QUANTITY_LOOKBACK 48    /* ... for the words naming the quantity ("copy number") */

/* Words around a number that change what it is (concepts of the vocabulary):
 * "less than" before it or after it ("menos de 1%", "%1'in altında", "1%以下")
 * make it "<1%"; "copy number" words right before a bare number make it a
 * copy number, not a ratio ("mean HER2 copy number 3.4 per cell"). */
static void read_quantities(struct reader *r, const struct funit *u)
{
	int lt = vocab_concept_id(r->v, "less-than"), lta = vocab_concept_id(r->v, "less-than-after");
	int cn = vocab_concept_id(r->v, "copy-number");
	const char *s = u->t->s;
	for (size_t k = 0; k < r->it.n; k++) {
		struct item *x = &r->it.v[k];
		if (x->kind != IT_VALUE || !x->val.text[0] || x->val.text[0] < '0' || x->val.text[0] > '9')
			continue;
		size_t lo = x->a > u->a + COMPARISON_LOOKBACK ? x->a - COMPARISON_LOOKBACK : u->a;
		if (k > 0 && r->it.v[k - 1].b > lo && r->it.v[k - 1].b <= x->a)
			lo = r->it.v[k - 1].b;  /* not across another item */
		size_t e = x->a;
		while (e > lo && (s[e - 1] == ' ' || s[e - 1] == '\''))
			e--;
		bool less = lt >= 0 && x->val.accept && concept_ends_at(r, u, lt, lo, e) != SIZE_MAX;
		if (!less && lta >= 0 && (x->val.g == VG_PERCENT || x->val.accept)) {
			size_t a = x->b;
			while (a < u->b && s[a] == ' ')
				a++;
			less = concept_at(r, u, lta, a) != 0;
		}
		if (less) {
			char t[sizeof(x->val.text)];
			snprintf(t, sizeof(t), "<%.*s", (int)sizeof(t) - 2, x->val.text);
			memcpy(x->val.text, t, sizeof(t));
			if (!x->val.accept && x->val.g == VG_PERCENT) {
				/* "%1'in altında": the inflected number comes back with its word */
				x->val.accept = G(VG_PERCENT) | G(VG_TPS);
				x->dead = false;
			}
			continue;
		}
		if (cn >= 0 && x->val.weak && x->val.g == VG_SCORE) {
			size_t l2 = x->a > u->a + QUANTITY_LOOKBACK ? x->a - QUANTITY_LOOKBACK : u->a;
			/* the nearest words naming a quantity before the number */
			for (size_t i = x->a; i-- > l2;) {
				if (s[i] == ',' || s[i] == ';')
					break;
				size_t end = concept_at(r, u, cn, i);
				if (end && end <= x->a) {
					char t[sizeof(x->val.text)];
					snprintf(t, sizeof(t), "%.24s copies", x->val.text);
					memcpy(x->val.text, t, sizeof(t));
					x->val.g = VG_COPY_NUMBER;
					x->val.accept = G(VG_COPY_NUMBER);
					break;
				}
			}
		}
	}
}

static void read_unit(struct reader *r, const struct funit *u)
{
	const struct funit *prev = r->last_unit;
	r->prev_mut_marker = prev && prev + 1 == u && prev->kind == UNIT_SENTENCE && u->kind == UNIT_SENTENCE &&
	                     prev->flags == u->flags ? r->last_mut_marker : -1;
	r->last_unit = u;
	r->last_mut_marker = -1;
	if (u->flags & (UF_HEADER | UF_DEFINITION))
		return;
	items_scan(r->v, u, u->a, u->b, &r->it);
	read_quantities(r, u);
	if (!drop_names(r, u))
		return;         /* a definition note */
	drop_bare_mss(r);
	drop_measured_expression(r, u);
	keep_list_conjunctions(r, u);
	mark_intensities(r, u);
	context_apply(u->t, &r->it);
	r->npst = 0;
	if (u->kind == UNIT_ROW)
		read_row(r, u);
	else
		read_sentence(r, u);
	for (size_t k = 0; k < r->it.n; k++) {
		const struct item *x = &r->it.v[k];
		if (x->kind == IT_MARKER && !x->dead && marker_reads(r->v, x->marker, G(VG_FUSION))) {
			struct pst *p = pst_find(r, x->marker);
			if (p && p->any && !p->variant[0])
				fusion_partner(u, &r->it, x, p->variant, sizeof(p->variant));
		}
	}
	emit(r, u);
}

int findings_statements(const struct vocab *v, const struct doc_text *d, struct statement_list *out)
{
	if (!v || !d || (!d->text && d->len) || !out)
		return -EINVAL;
	struct vtext tt = { 0 }, tl = { 0 };
	const char *empty = "";
	size_t len = d->len > FINDINGS_MAX_TEXT ? FINDINGS_MAX_TEXT : d->len;
	int rc = vtext_fold(d->text ? d->text : empty, len, &tt);
	if (rc < 0)
		return rc;
	bool layout = d->layout && d->layout_len;
	if (layout) {
		size_t llen = d->layout_len > FINDINGS_MAX_TEXT ? FINDINGS_MAX_TEXT : d->layout_len;
		rc = vtext_fold(d->layout, llen, &tl);
		if (rc < 0) {
			vtext_free(&tt);
			return rc;
		}
	}
	struct doc_text dd = *d;
	if (!dd.text)
		dd.text = empty;
	struct funits units = { 0 };
	units_build(v, &dd, &tt, layout ? &tl : NULL, &units);

	struct statement_list l = { 0 };
	struct reader *r = xcalloc(1, sizeof(*r));
	r->v = v;
	r->d = &dd;
	r->out = &l;
	r->units = &units;
	r->msi_context = -1;
	r->last_mut_marker = r->prev_mut_marker = -1;
	for (size_t k = 0; k < units.n && l.n < FINDINGS_MAX_STATEMENTS; k++)
		read_unit(r, &units.v[k]);
	settle(r);
	free(r->interp);
	free(r);
	units_free(&units);
	vtext_free(&tt);
	if (layout)
		vtext_free(&tl);
	*out = l;
	return 0;
}
