/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Value grammars (vocab.h enum value_grammar): what a result word or a
 * written value says, with its polarity and normalised text (engine.h).
 *
 * Result words come from the vocabulary (every language). What is parsed
 * here is notation, the same in every language: numbers (decimal commas
 * made points), percentages, IHC scores "0".."3+", signs "(+)", Gleason
 * "4+3=7", the score abbreviations TPS, CPS, IC, Allred, H-score, ISUP,
 * VAF, mut/Mb, and HGVS variants (p.G12C, p.(Gly12Cys), c.35G>T,
 * exon 19 deletion). A range ("0.0-4.0", "1-10") is never a value: it is
 * consumed so that its numbers are not read one by one.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "findings/engine.h"

#define G(x) (1u << (x))

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }

bool value_from_word(enum vocab_class c, struct fval *f)
{
	*f = (struct fval){ .as = AS_RESULT };
	switch (c) {
	case VW_POSITIVE: case VW_NEGATIVE:
		f->g = VG_POSNEG;
		f->generic = true;
		f->accept = G(VG_POSNEG);
		f->pol = c == VW_POSITIVE ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_DETECTED: case VW_NOT_DETECTED:
		f->g = VG_MUTATION;
		f->accept = G(VG_MUTATION) | G(VG_FUSION) | G(VG_AMPLIFICATION) | G(VG_POSNEG) | G(VG_METHYLATION) |
		            G(VG_CODELETION);
		f->pol = c == VW_DETECTED ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_MUTATED: case VW_WILD_TYPE:
		f->g = VG_MUTATION;
		f->accept = G(VG_MUTATION);
		f->pol = c == VW_MUTATED ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_AMPLIFIED: case VW_NOT_AMPLIFIED:
		f->g = VG_AMPLIFICATION;
		f->accept = G(VG_AMPLIFICATION);
		f->pol = c == VW_AMPLIFIED ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_REARRANGED: case VW_NOT_REARRANGED:
		f->g = VG_FUSION;
		f->accept = G(VG_FUSION);
		f->pol = c == VW_REARRANGED ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_RETAINED: case VW_LOST:
		f->g = VG_EXPRESSION;
		f->accept = G(VG_EXPRESSION);
		f->pol = c == VW_LOST ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_DEFICIENT: case VW_PROFICIENT:
		f->g = VG_MMR;
		f->accept = G(VG_MMR);
		f->pol = c == VW_DEFICIENT ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_MSI_HIGH: case VW_MSI_LOW: case VW_MSS:
		f->g = VG_MSI;
		f->accept = G(VG_MSI);
		f->pol = c == VW_MSI_HIGH ? POL_POSITIVE : POL_NEGATIVE;
		snprintf(f->text, sizeof(f->text), "%s",
		         c == VW_MSI_HIGH ? "MSI-H" : c == VW_MSI_LOW ? "MSI-L" : "MSS");
		return true;
	case VW_METHYLATED: case VW_UNMETHYLATED:
		f->g = VG_METHYLATION;
		f->accept = G(VG_METHYLATION);
		f->pol = c == VW_METHYLATED ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_CODELETED: case VW_NOT_CODELETED:
		f->g = VG_CODELETION;
		f->accept = G(VG_CODELETION);
		f->pol = c == VW_CODELETED ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_HIGH: case VW_LOW:
		f->g = VG_HIGHLOW;
		f->accept = G(VG_HIGHLOW) | G(VG_TMB);
		f->pol = c == VW_HIGH ? POL_POSITIVE : POL_NEGATIVE;
		return true;
	case VW_EQUIVOCAL:
		f->g = VG_POSNEG;
		f->generic = true;
		f->accept = G(VG_POSNEG) | G(VG_IHC) | G(VG_AMPLIFICATION);
		f->as = AS_EQUIVOCAL;
		return true;
	case VW_PENDING: case VW_NOT_DONE: case VW_INSUFFICIENT:
		f->g = VG_POSNEG;
		f->accept = G(_VG_MAX) - 1;
		f->as = c == VW_PENDING ? AS_PENDING : c == VW_NOT_DONE ? AS_NOT_DONE : AS_INSUFFICIENT;
		return true;
	case VW_PATHOGENIC: case VW_LIKELY_PATHOGENIC:
		f->g = VG_MUTATION;
		f->accept = G(VG_MUTATION) | G(VG_FUSION);
		f->pol = POL_POSITIVE;
		f->vc = c == VW_PATHOGENIC ? VC_PATHOGENIC : VC_LIKELY_PATHOGENIC;
		return true;
	case VW_VUS: case VW_LIKELY_BENIGN: case VW_BENIGN:
		f->g = VG_MUTATION;
		f->accept = G(VG_MUTATION) | G(VG_FUSION);
		f->vc = c == VW_VUS ? VC_VUS : c == VW_LIKELY_BENIGN ? VC_LIKELY_BENIGN : VC_BENIGN;
		return true;
	default:
		return false;
	}
}

/* Grammars a bare positive / negative word is read with: a marker read only
 * as retained / lost, MSI or MMR status does not take "negative" (an MMR
 * protein "negative" means lost: too easy to turn round). */
#define GENERIC_GRAMMARS (G(VG_POSNEG) | G(VG_IHC) | G(VG_PERCENT) | G(VG_ALLRED) | G(VG_HSCORE) | G(VG_TPS) |       \
                          G(VG_CPS) | G(VG_IC) | G(VG_MUTATION) | G(VG_FUSION) | G(VG_AMPLIFICATION))

int value_marker_for(const struct vocab *v, int m, const struct fval *f)
{
	if (m < 0)
		return -1;
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	if (!vm)
		return -1;
	if (f->generic)
		return (vm->values & GENERIC_GRAMMARS) ? m : -1;
	uint32_t routed = 0;
	for (unsigned g = 0; g < _VG_MAX; g++)
		if (vm->route[g] >= 0)
			routed |= G(g);
	/* its own grammars first ("EGFR ... detected" is EGFR's, though EGFR routes amplification) */
	if (vm->values & f->accept & ~routed)
		return m;
	/* then a route: HER2's amplification is HER2 ISH's result; never for a bare number */
	if (f->weak || f->as != AS_RESULT)
		return -1;
	for (unsigned g = 0; g < _VG_MAX; g++)
		if ((f->accept & routed & G(g)))
			return vm->route[g];
	return -1;
}

bool marker_is_score_name(const struct vocab *v, int m)
{
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	if (!vm)
		return false;
	uint32_t scores = G(VG_TPS) | G(VG_CPS) | G(VG_IC);
	if ((vm->values & scores) && !(vm->values & ~(scores | G(VG_PERCENT))))
		return true;
	for (unsigned g = 0; g < _VG_MAX; g++)
		if ((vm->values & G(g)) && vm->route[g] < 0)
			return false;
	return vm->values != 0;
}

int score_owner(const struct vocab *v, int m)
{
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	const uint32_t scores = G(VG_TPS) | G(VG_CPS) | G(VG_IC);
	if (!vm)
		return -1;
	for (size_t j = 0; j < vocab_n_markers(v); j++)
		if ((int)j != m && (vocab_marker(v, j)->values & vm->values & scores) && !marker_is_score_name(v, (int)j))
			return (int)j;
	return -1;
}

void value_as_score(const struct vocab *v, int m, struct fval *f)
{
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	static const struct {
		enum value_grammar g;
		const char *name;
		bool pct;
	} sc[] = { { VG_TPS, "TPS", true }, { VG_CPS, "CPS", false }, { VG_IC, "IC", true } };
	if (!vm || (f->g != VG_PERCENT && f->g != VG_SCORE))
		return;
	for (size_t k = 0; k < ARRAY_SIZE(sc); k++) {
		if (!(vm->values & G(sc[k].g)))
			continue;
		bool pct = strchr(f->text, '%') != NULL;
		if (pct && !sc[k].pct)
			return;
		char t[sizeof(f->text)];
		memcpy(t, f->text, sizeof(t));
		snprintf(f->text, sizeof(f->text), "%s %.30s%s", sc[k].name, t, sc[k].pct && !pct ? "%" : "");
		f->g = sc[k].g;
		f->accept = G(sc[k].g);
		f->weak = false;
		return;
	}
}

/* ---- numbers ---- */

/* A number at I: digits, optionally [.,]digits ("2,4" is 2.4; "250,000" is
 * a thousand separator). Its end or 0; the number, a point for the comma, in BUF. */
static size_t parse_num(const char *s, size_t end, size_t i, char *buf, size_t bufsz)
{
	size_t k = 0, j = i;
	if (j >= end || !is_digit(s[j]))
		return 0;
	if (j > 0 && (is_alpha(s[j - 1]) || ((s[j - 1] == '.' || s[j - 1] == ',') && j > 1 && is_digit(s[j - 2]))))
		return 0;
	while (j < end && is_digit(s[j]) && j - i < 9) {
		if (k + 1 < bufsz)
			buf[k++] = s[j];
		j++;
	}
	if (j < end && is_digit(s[j]))
		return 0;
	if (j + 1 < end && (s[j] == '.' || s[j] == ',') && is_digit(s[j + 1])) {
		size_t d = j + 1;
		while (d < end && is_digit(s[d]) && d - j < 8)
			d++;
		bool thousands = s[j] == ',' && d - (j + 1) == 3 && j - i <= 3;
		if (!thousands && k + 1 < bufsz)
			buf[k++] = '.';
		for (size_t q = j + 1; q < d; q++)
			if (k + 1 < bufsz)
				buf[k++] = s[q];
		j = d;
	}
	buf[k] = 0;
	return j;
}

static size_t skip_sp(const char *s, size_t end, size_t i)
{
	while (i < end && s[i] == ' ')
		i++;
	return i;
}

/* A comparator at I ("<", ">=", "≤", "≥"): its end (I when none), written to CMP. */
static size_t parse_cmp(const char *s, size_t end, size_t i, char cmp[4])
{
	cmp[0] = 0;
	if (i < end && (s[i] == '<' || s[i] == '>')) {
		bool eq = i + 1 < end && s[i + 1] == '=';
		snprintf(cmp, 4, "%c%s", s[i], eq ? "=" : "");
		return i + 1 + eq;
	}
	if (i + 3 <= end && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x89 &&
	    ((unsigned char)s[i + 2] == 0xa4 || (unsigned char)s[i + 2] == 0xa5)) {
		snprintf(cmp, 4, "%s", (unsigned char)s[i + 2] == 0xa4 ? "<=" : ">=");
		return i + 3;
	}
	return i;
}

/* [cmp] num [- num] [%] at I. *PCT says whether a '%' followed, *RANGE
 * whether it was "a-b". Its end or 0. */
static size_t parse_quant(const char *s, size_t end, size_t i, char *out, size_t outsz, bool *pct, bool *range)
{
	char cmp[4], a[24], b[24] = "";
	size_t j = skip_sp(s, end, parse_cmp(s, end, i, cmp));
	size_t e = parse_num(s, end, j, a, sizeof(a));
	*pct = *range = false;
	if (!e)
		return 0;
	j = e;
	size_t r = skip_sp(s, end, j);
	if (r < end && s[r] == '-' && !cmp[0]) {
		size_t e2 = parse_num(s, end, skip_sp(s, end, r + 1), b, sizeof(b));
		if (e2) {
			j = e2;
			*range = true;
		}
	}
	size_t q = skip_sp(s, end, j);
	if (q < end && s[q] == '%' && !(q > j && q + 1 < end && is_digit(s[q + 1]))) {
		/* (not "30-9 %45": a sign before the next number, Turkish) */
		*pct = true;
		j = q + 1;
	}
	snprintf(out, outsz, "%s%s%s%s%s", cmp, a, b[0] ? "-" : "", b, *pct ? "%" : "");
	return j;
}

/* Does the folded text at I start with WORD, ending at a non-letter? */
static size_t word_at(const char *s, size_t end, size_t i, const char *word)
{
	size_t n = strlen(word);
	if (i + n > end || memcmp(s + i, word, n) != 0)
		return 0;
	if (i > 0 && is_alpha(s[i - 1]))
		return 0;
	if (i + n < end && is_alpha(s[i + n]))
		return 0;
	return i + n;
}

/* After a score's abbreviation: punctuation and at most two short words
 * ("TPS of 5%", "Allred score: 7", "IC (immune cells) 1%"). */
static size_t after_key(const char *s, size_t end, size_t j)
{
	unsigned words = 0;
	while (j < end) {
		char c = s[j];
		if (c == ' ' || c == ':' || c == '=' || c == '(' || c == ')' || c == '~' || c == '-' || c == ',') {
			j++;
			continue;
		}
		if (is_alpha(c) && words < 2) {
			size_t k = j;
			while (k < end && is_alpha(s[k]))
				k++;
			if (k - j > 12)
				break;
			words++;
			j = k;
			continue;
		}
		break;
	}
	return j;
}

/* Score abbreviations: notation, the same in every language. */
static const struct {
	const char *key;
	enum value_grammar g;
	const char *name;
} score_keys[] = {
	{ "tps", VG_TPS, "TPS" },   { "cps", VG_CPS, "CPS" },         { "ic", VG_IC, "IC" },
	{ "allred", VG_ALLRED, "Allred" }, { "h-score", VG_HSCORE, "H-score" }, { "hscore", VG_HSCORE, "H-score" },
	{ "h score", VG_HSCORE, "H-score" }, { "isup", VG_GRADE, NULL }, { "vaf", VG_VAF, "VAF" },
	{ "ratio", VG_RATIO, "ratio" }, { "cep17", VG_RATIO, "ratio" }, { "gleason", VG_GLEASON, NULL },
	{ "copy number", VG_COPY_NUMBER, NULL },
};

/* "a+b=c", "a + b = c", "a+b" (c computed); its end or 0. */
static size_t parse_gleason(const char *s, size_t end, size_t i, char *out, size_t outsz)
{
	if (i >= end || !is_digit(s[i]) || (i > 0 && is_alnum(s[i - 1])))
		return 0;
	size_t j = skip_sp(s, end, i + 1);
	if (j >= end || s[j] != '+' || !is_digit(s[i]) || s[i] < '1' || s[i] > '5')
		return 0;
	j = skip_sp(s, end, j + 1);
	if (j >= end || s[j] < '1' || s[j] > '5' || (j + 1 < end && is_digit(s[j + 1])))
		return 0;
	int a = s[i] - '0', b = s[j] - '0';
	j++;
	size_t k = skip_sp(s, end, j);
	if (k < end && s[k] == '=') {
		k = skip_sp(s, end, k + 1);
		char n[8];
		size_t e = parse_num(s, end, k, n, sizeof(n));
		if (e && atoi(n) == a + b)
			j = e;
	}
	snprintf(out, outsz, "%d+%d=%d", a, b, a + b);
	return j;
}

size_t value_parse(const struct vtext *t, size_t i, size_t end, struct fval *f)
{
	const char *s = t->s;
	char buf[32];
	bool pct, range;
	*f = (struct fval){ .as = AS_RESULT };
	if (i >= end)
		return 0;

	/* score abbreviations */
	if (is_alpha(s[i]) && (i == 0 || !is_alnum(s[i - 1]))) {
		for (size_t k = 0; k < ARRAY_SIZE(score_keys); k++) {
			size_t e = word_at(s, end, i, score_keys[k].key);
			if (!e)
				continue;
			size_t j = after_key(s, end, e);
			enum value_grammar g = score_keys[k].g;
			if (g == VG_GLEASON) {
				size_t q = parse_gleason(s, end, j, f->text, sizeof(f->text));
				if (!q) {
					/* "Gleason score 7 (4+3)" */
					size_t e2 = parse_num(s, end, j, buf, sizeof(buf));
					if (!e2)
						return 0;
					size_t p = skip_sp(s, end, e2);
					if (p < end && s[p] == '(')
						q = parse_gleason(s, end, skip_sp(s, end, p + 1), f->text,
						                  sizeof(f->text));
					if (!q)
						return 0;
					q = skip_sp(s, end, q);
					if (q < end && s[q] == ')')
						q++;
				}
				f->g = VG_GLEASON;
				f->accept = G(VG_GLEASON);
				return q;
			}
			size_t q = parse_quant(s, end, j, buf, sizeof(buf), &pct, &range);
			if (!q || range)
				return 0;
			f->g = g;
			f->accept = G(g);
			switch (g) {
			case VG_GRADE:
				if (strlen(buf) != 1 || buf[0] < '1' || buf[0] > '5')
					return 0;
				snprintf(f->text, sizeof(f->text), "%s", buf);
				break;
			case VG_TPS: case VG_IC: case VG_VAF:
				snprintf(f->text, sizeof(f->text), "%s %s%s", score_keys[k].name, buf, pct ? "" : "%");
				f->vaf = g == VG_VAF;
				break;
			case VG_ALLRED:
				if (pct || strchr(buf, '.') || atoi(buf) > 8)
					return 0;
				if (q + 2 <= end && s[q] == '/' && s[q + 1] == '8')
					q += 2;
				snprintf(f->text, sizeof(f->text), "Allred %s/8", buf);
				break;
			case VG_COPY_NUMBER:
				if (pct)
					return 0;
				snprintf(f->text, sizeof(f->text), "%s copies", buf);
				break;
			default:
				if (pct)
					return 0;
				snprintf(f->text, sizeof(f->text), "%s %s", score_keys[k].name, buf);
				break;
			}
			return q;
		}
		return 0;
	}

	/* signs: "(+)", "(++)", "(+++)", "(-)", and as OCR spaces them, "( + )", "(+ )" */
	if (s[i] == '(' && i + 2 < end && (s[i + 1] == '+' || s[i + 1] == '-' || s[i + 1] == ' ')) {
		size_t o = i + 1;
		if (s[o] == ' ')
			o++;
		if (o >= end || (s[o] != '+' && s[o] != '-'))
			return 0;
		size_t j = o;
		while (j < end && s[j] == s[o] && j - o < 3)
			j++;
		size_t q = j < end && s[j] == ' ' ? j + 1 : j;
		if (q < end && (s[q] == ')' || s[q] == ',') && (s[o] == '+' || j == o + 1)) {
			f->g = VG_POSNEG;
			f->generic = true;
			f->accept = G(VG_POSNEG);
			f->pol = s[o] == '+' ? POL_POSITIVE : POL_NEGATIVE;
			return q + 1;
		}
		return 0;
	}

	/* "%90": the sign before the number (Turkish) */
	if (s[i] == '%' && i + 1 < end && is_digit(s[i + 1]) && (i == 0 || !is_alnum(s[i - 1]))) {
		size_t q = parse_num(s, end, i + 1, buf, sizeof(buf));
		if (!q || (q < end && (is_alnum(s[q]) || s[q] == '%')))
			return 0;
		if (q + 1 < end && s[q] == '\'' && (is_alpha(s[q + 1]) || (unsigned char)s[q + 1] >= 0x80)) {
			/* "%1'in altında" (below 1%), "%50'den fazla": the number is
			 * inflected inside a comparison; without its word, no value */
			q++;
			while (q < end && (is_alpha(s[q]) || (unsigned char)s[q] >= 0x80))
				q++;
			snprintf(f->text, sizeof(f->text), "%s%%", buf);  /* for a comparison word after it */
			f->g = VG_PERCENT;
			f->accept = 0;
			return q;
		}
		snprintf(f->text, sizeof(f->text), "%s%%", buf);
		f->g = VG_PERCENT;
		f->accept = G(VG_PERCENT) | G(VG_TPS);
		return q;
	}
	if (!is_digit(s[i]) && s[i] != '<' && s[i] != '>' && (unsigned char)s[i] != 0xe2)
		return 0;
	if (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '_' || s[i - 1] == '+'))
		return 0;

	size_t q = parse_gleason(s, end, i, f->text, sizeof(f->text));
	if (q) {
		/* "3+4" is Gleason only with a second digit: "3+" alone is IHC */
		f->g = VG_GLEASON;
		f->accept = G(VG_GLEASON);
		return q;
	}
	/* "2+/3+": a span of intensities (CLDN18.2 "2+/3+ in 85%"), no score of its own */
	if (s[i] >= '0' && s[i] <= '3' && i + 4 < end && s[i + 1] == '+' && s[i + 2] == '/' && s[i + 3] >= '0' &&
	    s[i + 3] <= '3' && s[i + 4] == '+') {
		f->g = VG_IHC;
		f->accept = 0;
		return i + 5;
	}
	/* IHC 0..3+ */
	if (s[i] >= '0' && s[i] <= '3' && i + 1 < end && s[i + 1] == '+' &&
	    (i + 2 >= end || (!is_alnum(s[i + 2]) && s[i + 2] != '+'))) {
		snprintf(f->text, sizeof(f->text), "%c+", s[i]);
		f->g = VG_IHC;
		f->accept = G(VG_IHC);
		f->pol = s[i] == '3' ? POL_POSITIVE : s[i] == '2' ? POL_NONE : POL_NEGATIVE;
		if (s[i] == '2')
			f->as = AS_EQUIVOCAL;
		return i + 2;
	}
	q = parse_quant(s, end, i, buf, sizeof(buf), &pct, &range);
	if (!q)
		return 0;
	if (!pct && q + 1 < end && (s[q] == '.' || s[q] == '/' || s[q] == '-') && is_digit(s[q + 1]))
		return 0;       /* "12.03.2026", "03/2026": a date, not a value */
	if (range && !pct) {
		f->accept = 0;  /* a reference range: consumed, never a value */
		return q;
	}
	if (pct) {
		snprintf(f->text, sizeof(f->text), "%s", buf);
		f->g = VG_PERCENT;
		f->accept = G(VG_PERCENT) | G(VG_TPS);
		return q;
	}
	size_t p = skip_sp(s, end, q);
	/* "12 mut/Mb", "12 mutations/Mb" */
	if (p + 3 < end && memcmp(s + p, "mut", 3) == 0) {
		size_t k = p;
		while (k < end && k - p < 12 && s[k] != '/' && s[k] != ' ')
			k++;
		if (k + 3 <= end && s[k] == '/' && s[k + 1] == 'm' && s[k + 2] == 'b' &&
		    (k + 3 == end || !is_alpha(s[k + 3]))) {
			snprintf(f->text, sizeof(f->text), "%s mut/Mb", buf);
			f->g = VG_TMB;
			f->accept = G(VG_TMB);
			return k + 3;
		}
	}
	/* "6.1 copies", "6,1 signals/cell" */
	if (word_at(s, end, p, "copies") || word_at(s, end, p, "signals")) {
		snprintf(f->text, sizeof(f->text), "%s copies", buf);
		f->g = VG_COPY_NUMBER;
		f->accept = G(VG_COPY_NUMBER);
		return word_at(s, end, p, "copies") ? word_at(s, end, p, "copies") : word_at(s, end, p, "signals");
	}
	if (buf[0] == '<' || buf[0] == '>') {
		f->accept = 0;  /* "< 35" without a unit: a cut-off, not a value */
		return q;
	}
	if (q < end && (is_alpha(s[q]) || s[q] == '/' || ((unsigned char)s[q] >= 0x80 && fold_is_wordch(t, q))))
		return 0;       /* a number with a unit is a lab's or a size, not a marker's (a "।" or "。" after it is no unit) */
	/* a bare number: "0" for IHC, a score ("Recurrence Score 18"), read only right after its marker */
	snprintf(f->text, sizeof(f->text), "%s", buf);
	f->g = VG_SCORE;
	f->weak = true;
	f->accept = G(VG_SCORE) | G(VG_RATIO) | G(VG_CPS);
	if (strlen(buf) == 1 && buf[0] >= '1' && buf[0] <= '5')
		f->accept |= G(VG_GRADE);
	if (strcmp(buf, "0") == 0) {
		f->accept |= G(VG_IHC);
		f->pol = POL_NEGATIVE;
	}
	return q;
}

bool value_is_range(const struct vtext *t, size_t a, size_t b)
{
	char buf[32];
	bool pct, range;
	size_t i = a;
	while (i < b && (t->s[i] == '(' || t->s[i] == '[' || t->s[i] == ' '))
		i++;
	size_t q = parse_quant(t->s, b, i, buf, sizeof(buf), &pct, &range);
	return q && (range || buf[0] == '<' || buf[0] == '>');
}

/* ---- variants ---- */

static const char *const aa3[][2] = {
	{ "ala", "A" }, { "arg", "R" }, { "asn", "N" }, { "asp", "D" }, { "cys", "C" }, { "gln", "Q" },
	{ "glu", "E" }, { "gly", "G" }, { "his", "H" }, { "ile", "I" }, { "leu", "L" }, { "lys", "K" },
	{ "met", "M" }, { "phe", "F" }, { "pro", "P" }, { "ser", "S" }, { "thr", "T" }, { "trp", "W" },
	{ "tyr", "Y" }, { "val", "V" }, { "ter", "*" },
};

static size_t parse_aa(const char *s, size_t end, size_t i, char *one)
{
	if (i + 3 <= end)
		for (size_t k = 0; k < ARRAY_SIZE(aa3); k++)
			if (memcmp(s + i, aa3[k][0], 3) == 0) {
				*one = aa3[k][1][0];
				return i + 3;
			}
	if (i < end && s[i] && strchr("acdefghiklmnpqrstvwy", s[i])) {
		*one = (char)(s[i] - 32);
		return i + 1;
	}
	return 0;
}

/* p.G12C, p.(Gly12Cys), G12C (BARE), E746_A750del, T790M, p.R248fs */
static size_t parse_protein(const char *s, size_t end, size_t i, bool bare, char *out, size_t outsz)
{
	size_t j = i;
	bool p = j + 1 < end && s[j] == 'p' && s[j + 1] == '.';
	if (p)
		j += 2;
	else if (!bare)
		return 0;
	bool paren = j < end && s[j] == '(';
	if (paren)
		j++;
	char a1, a2 = 0, pos[8], tail[24] = "";
	size_t e = parse_aa(s, end, j, &a1);
	if (!e || e >= end || !is_digit(s[e]))
		return 0;
	size_t k = 0;
	for (j = e; j < end && is_digit(s[j]) && k < 6; j++)
		pos[k++] = s[j];
	pos[k] = 0;
	if (j < end && is_digit(s[j]))
		return 0;
	if (j < end && s[j] == '_') {
		char b1, pos2[8];
		size_t e2 = parse_aa(s, end, j + 1, &b1), q = 0;
		if (!e2)
			return 0;
		for (j = e2; j < end && is_digit(s[j]) && q < 6; j++)
			pos2[q++] = s[j];
		pos2[q] = 0;
		size_t m = 0;
		while (j < end && is_alpha(s[j]) && m < 8)
			m++, j++;
		if (!q || m < 3)
			return 0;
		snprintf(tail, sizeof(tail), "_%c%s%.*s", b1, pos2, (int)m, s + j - m);
	} else if (j + 2 <= end && (memcmp(s + j, "fs", 2) == 0 || (j + 3 <= end && (memcmp(s + j, "del", 3) == 0 ||
	           memcmp(s + j, "ins", 3) == 0 || memcmp(s + j, "dup", 3) == 0)))) {
		size_t m = s[j] == 'f' ? 2 : 3;
		if (j + 6 <= end && memcmp(s + j, "delins", 6) == 0)
			m = 6;
		snprintf(tail, sizeof(tail), "%.*s", (int)m, s + j);
		j += m;
		while (j < end && (is_alnum(s[j]) || s[j] == '*'))
			j++;
	} else if (j < end && s[j] == '*') {
		a2 = '*';
		j++;
	} else {
		size_t e3 = parse_aa(s, end, j, &a2);
		if (!e3)
			return 0;
		j = e3;
	}
	if (paren) {
		if (j >= end || s[j] != ')')
			return 0;
		j++;
	}
	if (j < end && is_alnum(s[j]))
		return 0;
	if (a2)
		snprintf(out, outsz, "p.%c%s%c", a1, pos, a2);
	else
		snprintf(out, outsz, "p.%c%s%s", a1, pos, tail);
	return j;
}

/* c.35G>T, c.2235_2249del */
static size_t parse_cdna(const char *s, size_t end, size_t i, char *out, size_t outsz)
{
	if (i + 3 > end || s[i] != 'c' || s[i + 1] != '.' || !is_digit(s[i + 2]))
		return 0;
	size_t j = i + 2;
	while (j < end && (is_digit(s[j]) || s[j] == '_' || s[j] == '+' || s[j] == '-' || s[j] == '*'))
		j++;
	size_t body = j;
	if (j + 3 <= end && strchr("acgt", s[j]) && s[j + 1] == '>' && strchr("acgt", s[j + 2]))
		j += 3;
	else if (j + 3 <= end && (memcmp(s + j, "del", 3) == 0 || memcmp(s + j, "ins", 3) == 0 ||
	                          memcmp(s + j, "dup", 3) == 0))
		while (j < end && is_alpha(s[j]) && j - body < 16)
			j++;
	else
		return 0;
	if (j < end && is_alnum(s[j]))
		return 0;
	size_t k = 0;
	bool sub = s[body + 1] == '>';
	for (size_t q = i; q < j && k + 1 < outsz; q++) {
		char c = s[q];
		/* bases upper case ("c.35G>T", "c.5946delT"), the rest as written */
		bool base = sub ? q - body != 1 : q >= body + 3;
		if (q >= body && base && strchr("acgtn", c))
			c = (char)(c - 32);
		out[k++] = c;
	}
	out[k] = 0;
	return j;
}

/* Exon notation: "exon 19 deletion", "ex19del", "exon 20 insertion", "exon 14 skipping". */
static const struct {
	const char *w, *n;
} exon_kinds[] = {
	{ "deletions", "deletion" }, { "deletion", "deletion" }, { "delecion", "deletion" }, { "del", "deletion" },
	{ "insertions", "insertion" }, { "insertion", "insertion" }, { "insercion", "insertion" },
	{ "ins", "insertion" }, { "skipping", "skipping" }, { "skip", "skipping" }, { "делеция", "deletion" },
	{ "инсерция", "insertion" }, { "缺失", "deletion" }, { "插入", "insertion" }, { "跳跃", "skipping" },
};
static const char *const exon_words[] = { "exons", "exon", "ex", "экзон", "外显子" };

static size_t parse_exon(const char *s, size_t end, size_t i, char *out, size_t outsz)
{
	size_t j = 0;
	for (size_t k = 0; k < ARRAY_SIZE(exon_words) && !j; k++) {
		size_t n = strlen(exon_words[k]);
		if (i + n <= end && memcmp(s + i, exon_words[k], n) == 0)
			j = i + n;
	}
	if (!j || (i > 0 && is_alpha(s[i - 1])))
		return 0;
	while (j < end && (s[j] == ' ' || s[j] == '-'))
		j++;
	char num[4];
	size_t q = 0;
	while (j < end && is_digit(s[j]) && q < 2)
		num[q++] = s[j++];
	num[q] = 0;
	if (!q || (j < end && is_digit(s[j])))
		return 0;
	size_t num_end = j;
	while (j < end && (s[j] == ' ' || s[j] == '-'))
		j++;
	bool spaced = j > num_end && s[j - 1] == ' ';
	for (size_t k = 0; k < ARRAY_SIZE(exon_kinds); k++) {
		size_t n = strlen(exon_kinds[k].w);
		if (j + n > end || memcmp(s + j, exon_kinds[k].w, n) != 0)
			continue;
		if ((unsigned char)exon_kinds[k].w[0] < 0x80 && j + n < end && is_alpha(s[j + n]))
			continue;
		/* a short form after a space is a word of the sentence when a word
		 * follows: "exón 21 del gen EGFR" (Spanish "of the"), "exon 19 del" is one */
		if (spaced && n <= 4 && j + n + 1 < end && s[j + n] == ' ' && is_alpha(s[j + n + 1]))
			continue;
		snprintf(out, outsz, "exon %s %s", num, exon_kinds[k].n);
		return j + n;
	}
	return 0;
}

/* The kinds of an alteration named by a short form: FLT3's internal tandem
 * duplication and tyrosine kinase domain mutation ("FLT3-ITD", "FLT3-TKD"). */
static const char *const named_kinds[] = { "itd", "tkd" };

static size_t parse_named(const char *s, size_t end, size_t i, char *out, size_t outsz)
{
	for (size_t k = 0; k < ARRAY_SIZE(named_kinds); k++) {
		size_t n = strlen(named_kinds[k]);
		if (i + n <= end && memcmp(s + i, named_kinds[k], n) == 0 && (i + n == end || !is_alnum(s[i + n]))) {
			snprintf(out, outsz, "%c%c%c", s[i] - 32, s[i + 1] - 32, s[i + 2] - 32);
			return i + n;
		}
	}
	return 0;
}

bool variant_is_named_kind(const char *var)
{
	for (size_t k = 0; k < ARRAY_SIZE(named_kinds); k++)
		if (strlen(var) == 3 && var[0] == named_kinds[k][0] - 32 && var[1] == named_kinds[k][1] - 32 &&
		    var[2] == named_kinds[k][2] - 32)
			return true;
	return false;
}

size_t variant_parse(const struct vtext *t, size_t i, size_t end, bool bare, char *out, size_t outsz)
{
	const char *s = t->s;
	if (i >= end || (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '.')))
		return 0;
	size_t e = bare ? parse_named(s, end, i, out, outsz) : 0;
	if (!e)
		e = parse_cdna(s, end, i, out, outsz);
	if (!e)
		e = parse_protein(s, end, i, bare, out, outsz);
	if (!e)
		e = parse_exon(s, end, i, out, outsz);
	return e;
}
