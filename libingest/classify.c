/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Kind from text. A heading phrase (a distinctive title such as "SURGICAL
 * PATHOLOGY REPORT" or "病理报告") weighs 3, a vocabulary term 1; the best
 * score wins if it reaches 3. The file name is a weak hint only (weight 1).
 * The matched words are the evidence. Matching ignores ASCII case; non-Latin
 * terms match as written.
 */
#include <stdio.h>
#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include "classify.h"

struct term {
	const char *s;
	int w;
};

#define H 3 /* heading */
#define V 1 /* vocabulary */

static const struct term t_pathology[] = {
	{ "surgical pathology", H }, { "pathology report", H }, { "histopathology report", H },
	{ "histopathology", V }, { "histopathological", V }, { "microscopic description", V },
	{ "gross description", V }, { "macroscopic description", V }, { "final diagnosis", V },
	{ "immunohistochemistry", V }, { "specimen", V }, { "carcinoma", V }, { "biopsy", V },
	{ "nottingham", V }, { "margins", V }, { "ptnm", V }, { "hpe report", H },
	{ "compte rendu anatomopathologique", H }, { "anatomie pathologique", H },
	{ "informe anatomopatol", H }, { "laudo anatomopatol", H }, { "pathologischer befund", H },
	{ "histologischer befund", H }, { "гистологическое заключение", H }, { "патоморфолог", H },
	{ "patoloji raporu", H }, { "immünohistokimya", V }, { "تقرير الأنسجة", H },
	{ "تقرير علم الأمراض", H }, { "خزعة", V }, { "病理报告", H }, { "病理诊断", H },
	{ "免疫组化", V }, { "हिस्टोपैथोलॉजी", H }, { "ऊतक विकृति", H },
};
static const struct term t_molecular[] = {
	{ "molecular report", H }, { "molecular pathology report", H }, { "genomic profiling", H },
	{ "next-generation sequencing", H }, { "next generation sequencing", H }, { "ngs panel", H },
	{ "foundationone", H }, { "guardant360", H }, { "oncotype dx", H }, { "mammaprint", H },
	{ "tempus", V }, { "caris", V }, { "variant allele", V }, { "mutation analysis", H },
	{ "tumor mutational burden", V }, { "tumour mutational burden", V }, { "exon", V },
	{ "wild-type", V }, { "wild type", V }, { "fish analysis", V }, { "ctdna", V },
	{ "liquid biopsy", V }, { "基因检测", H }, { "分子病理", H }, { "молекулярно-генетическ", H },
};
static const struct term t_radiology[] = {
	{ "radiology report", H }, { "imaging report", H }, { "ct report", H }, { "mri report", H },
	{ "pet-ct report", H }, { "pet/ct report", H }, { "ultrasound report", H },
	{ "mammography report", H }, { "ct chest", H }, { "ct abdomen", H }, { "mri brain", H },
	{ "findings", V }, { "impression", V }, { "technique", V }, { "comparison", V },
	{ "contrast", V }, { "lesion", V }, { "bi-rads", V }, { "recist", V }, { "suv", V },
	{ "compte rendu d'imagerie", H }, { "scanner thoraco", H }, { "informe radiol", H },
	{ "radyoloji raporu", H }, { "протокол исследования", H }, { "影像报告", H },
	{ "检查报告", V }, { "磁共振", V }, { "أشعة مقطعية", V }, { "رنين مغناطيسي", V },
};
static const struct term t_lab[] = {
	{ "laboratory report", H }, { "lab report", H }, { "laboratory results", H },
	{ "blood test", H }, { "complete blood count", H }, { "tumour markers", H },
	{ "tumor markers", H }, { "reference range", V }, { "ref. range", V }, { "haemoglobin", V },
	{ "hemoglobin", V }, { "creatinine", V }, { "platelets", V }, { "leukocytes", V },
	{ "wbc", V }, { "alt", V }, { "bilirubin", V }, { "cea", V }, { "ca 15-3", V },
	{ "ca 19-9", V }, { "ca-125", V }, { "psa", V }, { "mmol/l", V }, { "g/dl", V },
	{ "ng/ml", V }, { "u/ml", V }, { "hemograma", H }, { "numération formule", H },
	{ "blutbild", H }, { "онкомаркеры", H }, { "анализ крови", H }, { "tümör belirteçleri", H },
	{ "肿瘤标志物", H }, { "检验报告", H }, { "血常规", H },
};
static const struct term t_discharge[] = {
	{ "discharge summary", H }, { "discharge letter", H }, { "date of discharge", V },
	{ "discharge date", V }, { "admission date", V }, { "date of admission", V },
	{ "course in hospital", V }, { "hospital course", V }, { "lettre de sortie", H },
	{ "compte rendu d'hospitalisation", H }, { "informe de alta", H }, { "epicrisis", H },
	{ "entlassungsbrief", H }, { "выписной эпикриз", H }, { "выписка", H }, { "epikriz", H },
	{ "ملخص الخروج", H }, { "出院小结", H }, { "出院记录", H },
};
static const struct term t_operative[] = {
	{ "operative note", H }, { "operative report", H }, { "operation note", H },
	{ "operation report", H }, { "procedure note", H }, { "procedure performed", V },
	{ "surgeon", V }, { "anaesthesia", V }, { "anesthesia", V }, { "incision", V },
	{ "estimated blood loss", V }, { "compte rendu opératoire", H }, { "protocolo quirúrgico", H },
	{ "informe quirúrgico", H }, { "op-bericht", H }, { "operationsbericht", H },
	{ "протокол операции", H }, { "ameliyat notu", H }, { "تقرير العملية", H }, { "手术记录", H },
};
static const struct term t_treatment[] = {
	{ "treatment summary", H }, { "treatment history", H }, { "oncology summary", H },
	{ "chemotherapy summary", H }, { "radiotherapy summary", H }, { "cycles", V },
	{ "regimen", V }, { "chemotherapy", V }, { "radiotherapy", V }, { "gy in", V },
	{ "fractions", V }, { "best response", V }, { "治疗小结", H },
};
static const struct term t_letter[] = {
	{ "dear dr", H }, { "dear doctor", H }, { "dear colleague", H }, { "to whom it may concern", H },
	{ "yours sincerely", V }, { "kind regards", V }, { "referral letter", H }, { "clinic letter", H },
	{ "cher confrère", H }, { "estimado colega", H }, { "sehr geehrte", H }, { "уважаемый", H },
};

static const struct {
	enum ing_kind kind;
	const struct term *t;
	size_t n;
} tables[] = {
	/* Order breaks ties: the more specific kind first. */
	{ KIND_MOLECULAR, t_molecular, ARRAY_SIZE(t_molecular) },
	{ KIND_PATHOLOGY, t_pathology, ARRAY_SIZE(t_pathology) },
	{ KIND_OPERATIVE, t_operative, ARRAY_SIZE(t_operative) },
	{ KIND_DISCHARGE, t_discharge, ARRAY_SIZE(t_discharge) },
	{ KIND_RADIOLOGY, t_radiology, ARRAY_SIZE(t_radiology) },
	{ KIND_LAB, t_lab, ARRAY_SIZE(t_lab) },
	{ KIND_TREATMENT, t_treatment, ARRAY_SIZE(t_treatment) },
	{ KIND_LETTER, t_letter, ARRAY_SIZE(t_letter) },
};

static bool is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * All terms of all tables are looked for in one pass over the text: a term
 * can start only where the text's two bytes are a term's first two (one bit
 * per byte pair), and there only the terms of that first byte are compared.
 * One memmem per term and table walked the whole text some 230 times.
 * Built once, for all threads.
 */
struct term_ix {
	char lower[CLASSIFY_MAX_TERMS][128];          /* the term, ASCII folded to lower case */
	uint8_t len[CLASSIFY_MAX_TERMS];
	bool heading[CLASSIFY_MAX_TERMS];             /* looked for in the first part only */
	size_t n;
	uint64_t pair[65536 / 64];             /* first two bytes of a term */
	uint16_t first_start[257];             /* terms by first byte: by_first[first_start[c] ..] */
	uint16_t by_first[CLASSIFY_MAX_TERMS];
	uint16_t table_start[ARRAY_SIZE(tables) + 1]; /* term k of table i is k - table_start[i] */
};
static struct term_ix ix;
static pthread_once_t ix_once = PTHREAD_ONCE_INIT;

static void ix_build(void)
{
	uint16_t count[256] = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		ix.table_start[i] = (uint16_t)ix.n;
		for (size_t j = 0; j < tables[i].n; j++) {
			const char *t = tables[i].t[j].s;
			size_t n = strlen(t);
			if (ix.n >= CLASSIFY_MAX_TERMS || n < 2 || n >= sizeof(ix.lower[0]))
				abort();        /* the tables are ours: a test run shows this at once */
			for (size_t k = 0; k < n; k++)
				ix.lower[ix.n][k] = (char)tolower((unsigned char)t[k]);
			ix.len[ix.n] = (uint8_t)n;
			ix.heading[ix.n] = tables[i].t[j].w == H;
			unsigned char c0 = (unsigned char)ix.lower[ix.n][0];
			unsigned pr = (unsigned)c0 << 8 | (unsigned char)ix.lower[ix.n][1];
			ix.pair[pr / 64] |= 1ull << (pr % 64);
			count[c0]++;
			ix.n++;
		}
	}
	ix.table_start[ARRAY_SIZE(tables)] = (uint16_t)ix.n;
	for (unsigned c = 0; c < 256; c++)
		ix.first_start[c + 1] = (uint16_t)(ix.first_start[c] + count[c]);
	uint16_t fill[256];
	memcpy(fill, ix.first_start, sizeof(fill));
	for (size_t k = 0; k < ix.n; k++)
		ix.by_first[fill[(unsigned char)ix.lower[k][0]]++] = (uint16_t)k;
}

/* Which terms occur in FOLDED (ASCII folded to lower case, LEN bytes), as a
 * whole word where they start/end with a letter or digit: heading terms
 * within the first HEAD_LEN bytes (the text ending there), the others
 * anywhere. Sets FOUND[k]. */
static void find_terms(const char *folded, size_t len, size_t head_len, bool *found)
{
	const unsigned char *u = (const unsigned char *)folded;

	for (size_t p = 0; p + 1 < len; p++) {     /* every term has two bytes or more */
		unsigned c0 = u[p], pr = c0 << 8 | u[p + 1];
		if (!(ix.pair[pr / 64] >> (pr % 64) & 1))
			continue;
		for (unsigned b = ix.first_start[c0]; b < ix.first_start[c0 + 1]; b++) {
			unsigned k = ix.by_first[b];
			const char *t = ix.lower[k];
			size_t n = ix.len[k], lim = ix.heading[k] ? head_len : len;
			if (found[k] || n > lim || p > lim - n || memcmp(folded + p, t, n) != 0)
				continue;
			if (is_word_char((unsigned char)t[0]) && p > 0 && is_word_char(u[p - 1]))
				continue;
			if (is_word_char((unsigned char)t[n - 1]) && p + n < lim && is_word_char(u[p + n]))
				continue;
			found[k] = true;
		}
	}
}

static char *fold_ascii(const char *text, size_t len)
{
	char *f = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		f[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	f[len] = 0;
	return f;
}

enum ing_kind classify_text(const char *text, size_t len, const char *name, char **evidence)
{
	int best = 0;
	size_t best_i = 0;
	/* Headings sit near the top: look for heading terms in the first part only. */
	size_t head_len = MIN(len, (size_t)2000);
	_cleanup_free_ char *folded = fold_ascii(text, len);
	bool found[CLASSIFY_MAX_TERMS] = { false };

	pthread_once(&ix_once, ix_build);
	find_terms(folded, len, head_len, found);

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		int score = 0;
		for (size_t j = 0; j < tables[i].n; j++)
			if (found[ix.table_start[i] + j])
				score += tables[i].t[j].w;
		if (score > best) {
			best = score;
			best_i = i;
		}
	}
	if (best < 3) {
		*evidence = xstrdup(len ? "text read, but no heading or vocabulary of a known document kind matched"
		                        : "no text could be read");
		(void)name;
		return KIND_UNKNOWN;
	}

	struct strbuf b;
	strbuf_init(&b, 600);
	strbuf_puts(&b, "text: ");
	bool first = true;
	for (int pass = 0; pass < 2; pass++)     /* headings first, then vocabulary */
		for (size_t j = 0; j < tables[best_i].n; j++) {
			const struct term *t = &tables[best_i].t[j];
			if ((pass == 0) != (t->w == H))
				continue;
			if (!found[ix.table_start[best_i] + j])
				continue;
			if (strbuf_printf(&b, "%s\"%s\"%s", first ? "" : ", ", t->s, t->w == H ? " (heading)" : "") < 0)
				break;
			first = false;
		}
	*evidence = strbuf_steal(&b);
	return tables[best_i].kind;
}
