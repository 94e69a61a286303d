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
#include "findings/engine.h"

#define G(x) (1u << (x))

/* a group's markers are at most this far apart, a value at most this far from its group */
#define GROUP_GAP_MAX 4
#define VALUE_GAP_MAX 10
/* a product or derived word this close after a marker makes it a name, not a marker's result */
#define NAME_GAP_MAX 2

/* per statement, beside the list: read in an interpretation section; its
 * polarity only from words about a score ("PD-L1 expression is low") */
#define SF_INTERP 1u
#define SF_WORDS 2u

/* A statement being read from one unit. */
struct pst {
	int marker;
	bool any;               /* a value, a polarity, an assertion or a variant was given */
	enum assertion as;
	enum polarity pol;
	char value[40];
	char variant[48];
	char method[40];
	enum variant_class vc;
	enum variant_origin origin;
	unsigned mods;
	bool result;            /* a result (not only pending...) was given */
	bool words_pol;         /* the polarity came from a high / low word ("expression is low") */
	bool conflict;          /* two values of opposite polarity: the unit is not read for it */
};

struct reader {
	const struct vocab *v;
	const struct doc_text *d;
	struct statement_list *out;
	uint8_t *interp;        /* per statement: SF_ bits */
	size_t cap;
	struct items it;
	struct pst pst[FINDINGS_MAX_ITEMS];
	size_t npst;
	const struct funits *units;
	int msi_context;        /* -1 not yet known; 0 / 1: the document speaks of microsatellites or MMR */
};

/* ---- names ---- */

const char *assertion_name(enum assertion a)
{
	static const char *const n[] = { "result", "equivocal", "pending", "not-done", "insufficient" };
	return (unsigned)a < ARRAY_SIZE(n) ? n[a] : "result";
}

const char *polarity_name(enum polarity p)
{
	static const char *const n[] = { "none", "positive", "negative" };
	return (unsigned)p < ARRAY_SIZE(n) ? n[p] : "none";
}

const char *variant_class_name(enum variant_class c)
{
	static const char *const n[] = { NULL, "pathogenic", "likely-pathogenic", "vus", "likely-benign", "benign" };
	return (unsigned)c < ARRAY_SIZE(n) ? n[c] : NULL;
}

const char *variant_origin_name(enum variant_origin o)
{
	static const char *const n[] = { NULL, "germline", "somatic" };
	return (unsigned)o < ARRAY_SIZE(n) ? n[o] : NULL;
}

bool statement_is_result(const struct statement *s)
{
	/* A VUS or benign variant is a result with polarity none: it says the
	 * marker was tested, never that it is positive. */
	return (s->assertion == AS_RESULT || s->assertion == AS_EQUIVOCAL) && !s->superseded &&
	       !(s->modifiers & (MOD_POSSIBLE | MOD_HYPOTHETICAL | MOD_FAMILY));
}

char *statement_result_text(const struct statement *s)
{
	struct strbuf b;
	strbuf_init(&b, 256);
	switch (s->assertion) {
	case AS_PENDING: strbuf_puts(&b, "pending"); break;
	case AS_NOT_DONE: strbuf_puts(&b, "not done"); break;
	case AS_INSUFFICIENT: strbuf_puts(&b, "insufficient"); break;
	case AS_EQUIVOCAL: strbuf_puts(&b, "equivocal"); break;
	case AS_RESULT:
		if (s->vclass == VC_VUS)
			strbuf_puts(&b, "VUS");
		else if (s->vclass == VC_BENIGN || s->vclass == VC_LIKELY_BENIGN)
			strbuf_puts(&b, variant_class_name(s->vclass));
		else if (s->polarity != POL_NONE)
			strbuf_puts(&b, polarity_name(s->polarity));
		break;
	}
	const char *parts[2] = { s->value, s->variant };
	bool open = false;
	for (size_t k = 0; k < 2; k++) {
		if (!parts[k])
			continue;
		if (b.len == 0) {
			strbuf_puts(&b, parts[k]);
			continue;
		}
		strbuf_puts(&b, open ? ", " : " (");
		strbuf_puts(&b, parts[k]);
		open = true;
	}
	if (open)
		strbuf_puts(&b, ")");
	if (b.len == 0)
		strbuf_puts(&b, "stated");
	return strbuf_steal(&b);
}

static void statement_free_one(struct statement *s)
{
	free(s->value);
	free(s->variant);
	free(s->method);
	free(s->snippet);
}

void statement_list_free(struct statement_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		statement_free_one(&l->v[i]);
	free(l->v);
	*l = (struct statement_list){ 0 };
}

/* ---- reading one unit ---- */

static struct pst *pst_get(struct reader *r, int marker)
{
	for (size_t k = 0; k < r->npst; k++)
		if (r->pst[k].marker == marker)
			return &r->pst[k];
	if (r->npst >= ARRAY_SIZE(r->pst))
		return NULL;
	struct pst *p = &r->pst[r->npst++];
	*p = (struct pst){ .marker = marker };
	return p;
}

/* Does marker M take value F? A test's name (markers.yaml `assay`) is done,
 * pending or failed, never a result: "FoundationOne CDx identified a
 * pathogenic variant in BRCA2" is BRCA2's. The marker that gets it, or -1. */
static int takes(const struct vocab *v, int m, const struct fval *f)
{
	int target = value_marker_for(v, m, f);
	const struct vocab_marker *tm = target >= 0 ? vocab_marker(v, (size_t)target) : NULL;
	if (tm && tm->assay && f->as != AS_PENDING && f->as != AS_NOT_DONE && f->as != AS_INSUFFICIENT)
		return -1;
	return target;
}

/* Give the value of item X to marker M (or the marker its route names). */
static void give(struct reader *r, int m, const struct item *x)
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
	if (f->text[0] && !p->value[0]) {
		const struct vocab_marker *vm = vocab_marker(r->v, (size_t)target);
		/* a bare number read by a ratio or CPS only is that ("HER2/CEP17 ratio 2.4") */
		bool plain = !vm || (vm->values & (G(VG_SCORE) | G(VG_GRADE) | G(VG_IHC)));
		if (f->weak && !plain && (vm->values & G(VG_RATIO)))
			snprintf(p->value, sizeof(p->value), "ratio %.30s", f->text);
		else if (f->weak && !plain && (vm->values & G(VG_CPS)))
			snprintf(p->value, sizeof(p->value), "CPS %.30s", f->text);
		else
			snprintf(p->value, sizeof(p->value), "%s", f->text);
	}
	if (f->as == AS_EQUIVOCAL && pol == POL_NONE)
		p->pol = POL_NONE;
}

static bool item_is_value(const struct item *x)
{
	return !x->dead && (x->kind == IT_VALUE || x->kind == IT_WORD) && x->val.accept;
}

static bool marker_reads(const struct vocab *v, int m, uint32_t grammars)
{
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	return vm && (vm->values & grammars);
}

/* Copy folded [A, B) of U as written in the source. */
static void src_copy(const struct funit *u, size_t a, size_t b, char *out, size_t outsz)
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
		if (it->v[k].kind == IT_WORD && (it->v[k].cls & VW_BIT(VW_DEFINITION)))
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
				if (y->kind != IT_MARKER || gap_cost(u->t, it, end, y->a) > 0 || is_cytogenetic(r->v, y->marker))
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

/* Sentences: groups of markers, each value to the nearer group that reads it. */
static void read_sentence(struct reader *r, const struct funit *u)
{
	struct items *it = &r->it;
	size_t gs[FINDINGS_MAX_ITEMS], ge[FINDINGS_MAX_ITEMS], ng = 0; /* groups: item index ranges [gs, ge] */
	bool given[FINDINGS_MAX_ITEMS] = { 0 };
	for (size_t k = 0; k < it->n; k++) {
		if (it->v[k].kind != IT_MARKER || it->v[k].dead)
			continue;
		if (ng) {
			size_t last = ge[ng - 1];
			bool split = false;
			for (size_t j = last + 1; j < k && !split; j++)
				split = item_is_value(&it->v[j]) ||
				        (it->v[j].kind == IT_WORD && !(it->v[j].cls & VW_BIT(VW_PSEUDO)) &&
				         (it->v[j].cls & (VW_BIT(VW_TERMINATE) | VW_BIT(VW_NEG_PRE) |
				                          VW_BIT(VW_NEG_POST))));
			/* "RAS/BRAF: KRAS ...": a label's colon ends a list */
			for (size_t i = it->v[last].b; i < it->v[k].a && !split; i++)
				split = u->t->s[i] == ':';
			if (!split && gap_cost(u->t, it, it->v[last].b, it->v[k].a) <= GROUP_GAP_MAX) {
				ge[ng - 1] = k;
				continue;
			}
		}
		gs[ng] = ge[ng] = k;
		ng++;
	}
	if (!ng)
		return;
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

/* Rows: the marker's cell, its result cells; never another row. */
static void read_row(struct reader *r, const struct funit *u)
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
		    !sentence_end_between(u->t, it->v[k - 1].b, x->a))
			continue;
		size_t k1 = k;
		while (k1 + 1 < it->n && it->v[k1 + 1].kind == IT_MARKER && it->v[k1 + 1].cell == x->cell &&
		       !sentence_end_between(u->t, it->v[k1].b, it->v[k1 + 1].a))
			k1++;
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
			if (!use[y->cell] || !item_is_value(y) || (y->cell == x->cell && y->a < x->b) ||
			    (y->cell == x->cell && sentence_end_between(u->t, it->v[k1].b, y->a)))
				continue;
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
				struct pst *p = NULL;
				for (size_t j = 0; j < r->npst; j++)
					if (r->pst[j].marker == it->v[q].marker)
						p = &r->pst[j];
				if (!p || !p->result || p->pol == POL_NONE || p->value[0] || p->conflict)
					continue;
				for (size_t j = 0; j < it->n && !p->value[0]; j++) {
					const struct item *y = &it->v[j];
					unsigned c = y->cell;
					if (use[c] || c == x->cell || u->cells[c].role != ROLE_NONE || !item_is_value(y) ||
					    !y->val.text[0] || y->val.as != AS_RESULT || y->negated || y->val.vaf ||
					    cell_skippable(r, u, c) || takes(r->v, it->v[q].marker, &y->val) != p->marker)
						continue;
					struct item z = *y;
					z.val.pol = POL_NONE;
					z.val.vc = VC_NONE;
					give(r, it->v[q].marker, &z);
				}
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

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_result(const struct statement *a, const struct statement *b)
{
	return a->marker == b->marker && a->assertion == b->assertion && a->polarity == b->polarity &&
	       str_eq(a->value, b->value) && str_eq(a->variant, b->variant) && a->vclass == b->vclass;
}

/* Does A say part of what B says: its result without B's value or variant? */
static bool restates(const struct statement *a, const struct statement *b)
{
	return a->marker == b->marker && a->assertion == b->assertion && a->polarity == b->polarity &&
	       (!a->value || str_eq(a->value, b->value)) && (!a->variant || str_eq(a->variant, b->variant)) &&
	       (!a->vclass || a->vclass == b->vclass);
}

/* Is marker M's result a measurement (a percentage or a PD-L1 score), so that
 * "high" / "low" beside it are words about the number, not a polarity? */
static bool measured(const struct vocab *v, int m)
{
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	return vm && (vm->values & (G(VG_PERCENT) | G(VG_TPS) | G(VG_CPS) | G(VG_IC))) &&
	       !(vm->values & (G(VG_TMB) | G(VG_SCORE)));
}

static bool has_digit(const char *s)
{
	for (; s && *s; s++)
		if (*s >= '0' && *s <= '9')
			return true;
	return false;
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

static void read_unit(struct reader *r, const struct funit *u)
{
	if (u->flags & (UF_HEADER | UF_DEFINITION))
		return;
	items_scan(r->v, u, u->a, u->b, &r->it);
	if (!drop_names(r, u))
		return;         /* a definition note */
	drop_bare_mss(r);
	drop_measured_expression(r, u);
	context_apply(u->t, &r->it);
	r->npst = 0;
	if (u->kind == UNIT_ROW)
		read_row(r, u);
	else
		read_sentence(r, u);
	for (size_t k = 0; k < r->it.n; k++) {
		const struct item *x = &r->it.v[k];
		if (x->kind == IT_MARKER && !x->dead && marker_reads(r->v, x->marker, G(VG_FUSION))) {
			struct pst *p = NULL;
			for (size_t j = 0; j < r->npst; j++)
				if (r->pst[j].marker == x->marker)
					p = &r->pst[j];
			if (p && p->any && !p->variant[0])
				fusion_partner(u, &r->it, x, p->variant, sizeof(p->variant));
		}
	}
	emit(r, u);
}

/* Is marker G a name for a group that marker M belongs to: "IDH" for IDH1
 * (the name and a number), "RAS" for KRAS (one letter and the name),
 * "BRCA1/2" for BRCA2? Only a group named in letters ("IDH", "RAS") or as
 * "X1/2": "CD3" is no group of CD30. */
static bool is_group_of(const struct vocab *v, int g, int m)
{
	const struct vocab_marker *vg = vocab_marker(v, (size_t)g), *vm = vocab_marker(v, (size_t)m);
	if (!vg || !vm || g == m)
		return false;
	const char *gn = vg->name, *mn = vm->name;
	size_t gl = strlen(gn), ml = strlen(mn);
	const char *slash = strchr(gn, '/');
	if (slash && slash > gn && slash[1] >= '0' && slash[1] <= '9' && !slash[2] && slash[-1] >= '0' &&
	    slash[-1] <= '9') {
		/* "BRCA1/2": BRCA1, BRCA2 */
		size_t stem = (size_t)(slash - 1 - gn);
		return ml == stem + 1 && strncmp(gn, mn, stem) == 0 && (mn[stem] == slash[-1] || mn[stem] == slash[1]);
	}
	for (size_t i = 0; i < gl; i++)
		if (!((gn[i] >= 'A' && gn[i] <= 'Z') || (gn[i] >= 'a' && gn[i] <= 'z')))
			return false;
	if (ml > gl && strncmp(mn, gn, gl) == 0) {
		for (size_t i = gl; i < ml; i++)
			if (mn[i] < '0' || mn[i] > '9')
				return false;
		return true;
	}
	return ml == gl + 1 && strcmp(mn + 1, gn) == 0 && mn[0] >= 'A' && mn[0] <= 'Z';
}

/* Interpretation words count only for a marker nothing else gave a result
 * for; an amendment's different result supersedes the earlier one. */
/* Is S a plain result of its own sentence (no modifier, not superseded, no row)? */
static bool plain_sentence(const struct statement *s)
{
	return s->assertion == AS_RESULT && !s->modifiers && !s->superseded &&
	       s->unit == UNIT_SENTENCE;
}

/* "HER2/CEP17 ratio 2.6, ..." then "HER2 gene is AMPLIFIED"; "GIS : 58"
 * then "Statut HRD : positif": a marker's number without a polarity and
 * its polarity without a number, in sentences a few lines apart, are one
 * result: the polarity takes the number (both in an addendum, or neither).
 * Only when the marker has no other
 * statement of its own in the document (no second sample, no other value
 * or polarity to choose from). */
#define MERGE_LINES 3
static void merge_value_polarity(struct reader *r)
{
	struct statement_list *l = r->out;
	bool *gone = l->n ? calloc(l->n, sizeof(*gone)) : NULL;
	if (!gone)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct statement *p = &l->v[i];
		if (gone[i] || (r->interp[i] & (SF_INTERP | SF_WORDS)) || !plain_sentence(p) || p->polarity == POL_NONE || p->value || p->vclass)
			continue;
		size_t vi = SIZE_MAX, others = 0;
		for (size_t j = 0; j < l->n; j++) {
			const struct statement *q = &l->v[j];
			if (j == i || gone[j] || q->marker != p->marker)
				continue;
			if (plain_sentence(q) && !(r->interp[j] & (SF_INTERP | SF_WORDS)) && q->polarity == POL_NONE && has_digit(q->value) && !q->variant &&
			    q->from_layout == p->from_layout && q->amendment == p->amendment && vi == SIZE_MAX)
				vi = j;
			else
				others++;
		}
		if (vi == SIZE_MAX || others)
			continue;
		struct statement *q = &l->v[vi];
		unsigned d = q->line > p->line ? q->line - p->line : p->line - q->line;
		if (d > MERGE_LINES)
			continue;
		p->value = q->value;
		q->value = NULL;
		gone[vi] = true;
	}
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (gone[i]) {
			statement_free_one(&l->v[i]);
			continue;
		}
		r->interp[w] = r->interp[i];
		l->v[w++] = l->v[i];
	}
	l->n = w;
	free(gone);
}

/* Frees the statements DROP marks and closes the gaps (interp with them). */
static void compact(struct reader *r, bool *drop)
{
	struct statement_list *l = r->out;
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (drop[i]) {
			statement_free_one(&l->v[i]);
			drop[i] = false;
			continue;
		}
		r->interp[w] = r->interp[i];
		l->v[w++] = l->v[i];
	}
	l->n = w;
}

static void settle(struct reader *r)
{
	struct statement_list *l = r->out;
	merge_value_polarity(r);
	size_t w = 0;
	/* decided on the whole list first, then compacted: a decision reads
	 * every other statement, kept or not, and none is freed before */
	_cleanup_free_ bool *dropv = xcalloc(l->n ? l->n : 1, sizeof(*dropv));
	for (size_t i = 0; i < l->n; i++) {
		bool drop = false;
		if (r->interp[i] & SF_INTERP)
			for (size_t j = 0; j < l->n && !drop; j++)
				drop = j != i && !(r->interp[j] & SF_INTERP) && l->v[j].marker == l->v[i].marker &&
				       (l->v[j].assertion == AS_RESULT || l->v[j].assertion == AS_EQUIVOCAL);
		/* "IDH-mutant" beside "IDH1 R132H", "tumeur RAS mutée" beside "KRAS
		 * p.G12D": the group's result says again what its member's says */
		for (size_t j = 0; j < l->n && !drop; j++)
			drop = is_group_of(r->v, l->v[i].marker, l->v[j].marker) &&
			       l->v[j].assertion == l->v[i].assertion && l->v[j].polarity == l->v[i].polarity &&
			       !l->v[j].superseded;
		/* "PD-L1 80 %" in the conclusion beside "80 % (TPS)": the same score */
		for (size_t j = 0; j < l->n && !drop && l->v[i].value; j++) {
			const char *a = l->v[i].value, *b = l->v[j].value;
			size_t al = strlen(a), bl = b ? strlen(b) : 0;
			drop = j != i && b && l->v[j].marker == l->v[i].marker && bl > al + 1 && strcmp(b + bl - al, a) == 0 &&
			       b[bl - al - 1] == ' ' && a[0] >= '0' && a[0] <= '9' && l->v[j].assertion == l->v[i].assertion &&
			       (l->v[i].polarity == POL_NONE || l->v[i].polarity == l->v[j].polarity) &&
			       !l->v[j].superseded && !l->v[i].amendment;
		}
		/* "Hohe PD-L1-Expression" beside "TPS 55%": words about the number */
		if ((r->interp[i] & SF_WORDS) && !has_digit(l->v[i].value) && measured(r->v, l->v[i].marker))
			for (size_t j = 0; j < l->n && !drop; j++)
				drop = j != i && l->v[j].marker == l->v[i].marker && has_digit(l->v[j].value) &&
				       l->v[j].assertion == AS_RESULT;
		dropv[i] = drop;
	}
	compact(r, dropv);
	/* With a layout, the reading-order text holds the tables again, re-flowed:
	 * a sentence that gives a marker another result than its row is that. */
	for (size_t i = 0; i < l->n; i++) {
		bool drop = false;
		if (r->d->layout && l->v[i].unit == UNIT_SENTENCE && !l->v[i].amendment)
			for (size_t j = 0; j < l->n && !drop; j++)
				drop = l->v[j].unit == UNIT_ROW && l->v[j].marker == l->v[i].marker &&
				       !l->v[j].amendment && !same_result(&l->v[j], &l->v[i]);
		dropv[i] = drop;
	}
	compact(r, dropv);
	w = 0;
	w = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct statement *a = &l->v[i];
		bool same = false, differ = false, keep_too = false;
		if (a->amendment && (a->modifiers & MOD_HISTORICAL)) {
			/* "was originally reported as 1+" in an amendment: the
			 * result it replaces, not its revision */
			a->amendment = false;
			a->superseded = true;
		}
		if (a->amendment)
			for (size_t j = 0; j < w; j++) {
				struct statement *e = &l->v[j];
				if (e->amendment || e->marker != a->marker)
					continue;
				if (same_result(e, a) || restates(a, e)) {
					/* "ER negative" in a revised conclusion says again
					 * what "ER negative (0%)" said: no revision */
					same = true;
				} else if (restates(e, a)) {
					keep_too = true;        /* the amendment adds a value */
				} else {
					e->superseded = true;
					differ = true;
				}
			}
		if (same && !differ && !keep_too) {
			/* the amendment repeats the result: one statement */
			statement_free_one(a);
			continue;
		}
		l->v[w++] = *a;
	}
	l->n = w;
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
