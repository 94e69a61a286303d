/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Biomarkers, labs and language from a document's text (see findings.h and
 * docs/design.md "Findings").
 *
 * The text is first folded into a normalised copy: full-width ASCII
 * (（）＋－：，) becomes ASCII, the many dashes and minus signs become '-',
 * odd spaces become ' ', "。" becomes ';' and "、" ','. Every normalised byte
 * remembers where it came from, so snippets are cut from the original text.
 *
 * Biomarkers: every synonym of every marker is looked for (ignoring ASCII
 * case, and ' ', '-', '/', ':', '_' inside the name, so "HER-2/neu",
 * "EML4::ALK" and "PD L1" match); short names (≤3 letters: ER, PR, AR, RET)
 * match exactly as written. Each mention then gets a window: the rest of its
 * line or sentence, up to the next other marker. A marker is found only when
 * the window holds a result (a result word, a sign, an IHC score, a
 * percentage, a TPS/CPS/Allred/H-score, a ratio, mut/Mb, or a variant with a
 * status). A list "ER, PR and HER2 negative" shares the result that follows
 * it; "positive for CD20, CD10" gives the one before it. Whichever of result,
 * "pending" or "insufficient" comes first in the window decides the state.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>

#include "findings.h"

/* ------------------------------------------------------------------ */
/* Normalised text */

struct ntext {
	char *s;
	uint32_t *off;          /* off[i]: byte in the original text; off[n] = its length */
	size_t n;
	const char *orig;
	size_t olen;
};

/* Decode one UTF-8 character; invalid bytes come back as U+FFFD, length 1. */
static uint32_t utf8_dec(const unsigned char *s, size_t n, size_t *l)
{
	uint32_t cp;
	*l = utf8_decode(s, n, &cp);
	if (*l)
		return cp;
	*l = 1;
	return 0xfffd;
}

static int ntext_build(struct ntext *t, const char *text, size_t len)
{
	const unsigned char *u = (const unsigned char *)text;
	if (len > FINDINGS_MAX_TEXT)
		len = FINDINGS_MAX_TEXT;
	t->s = xmalloc(len + 1);
	t->off = xmalloc((len + 1) * sizeof(uint32_t));
	t->orig = text;
	t->olen = len;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t l;
		uint32_t cp = utf8_dec(u + i, len - i, &l);
		int rep = -1;   /* one ASCII byte to write instead, -2 to drop, -1 to copy */
		if (cp >= 0xff01 && cp <= 0xff5e)
			rep = (int)(cp - 0xfee0);
		else if (cp == 0x3000 || cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f ||
		         cp == '\t' || cp == '\r' || cp == '\v' || cp == 0)
			rep = ' ';
		else if (cp == '\f')
			rep = '\n';
		else if ((cp >= 0x2010 && cp <= 0x2014) || cp == 0x2212 || cp == 0xfe63)
			rep = '-';
		else if (cp == 0x2044)
			rep = '/';
		else if (cp == 0x2018 || cp == 0x2019)
			rep = '\'';
		else if (cp == 0x3001)
			rep = ',';
		else if (cp == 0x3002)
			rep = ';';
		else if ((cp >= 0x200b && cp <= 0x200d) || cp == 0xfeff)
			rep = -2;
		else if (cp == 0xfffd && l == 1)
			rep = '?';
		if (rep == -2) {
			i += l;
			continue;
		}
		if (rep >= 0) {
			t->off[o] = (uint32_t)i;
			t->s[o++] = (char)rep;
		} else {
			for (size_t k = 0; k < l; k++) {
				t->off[o] = (uint32_t)i;
				t->s[o++] = (char)u[i + k];
			}
		}
		i += l;
	}
	t->s[o] = 0;
	t->off[o] = (uint32_t)len;
	t->n = o;
	return 0;
}

static void ntext_free(struct ntext *t)
{
	free(t->s);
	free(t->off);
}

/* ------------------------------------------------------------------ */
/* Small text helpers (on the normalised text) */

static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
static unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static bool name_sep(unsigned char c) { return c == ' ' || c == '-' || c == '/' || c == ':' || c == '_'; }

/* pat (ASCII case folded when ci) at s[i..n): end index or 0. No boundary checks. */
static size_t match_at(const char *s, size_t n, size_t i, const char *pat, bool ci)
{
	for (; *pat; pat++, i++) {
		if (i >= n)
			return 0;
		unsigned char a = (unsigned char)s[i], b = (unsigned char)*pat;
		if (ci ? lower(a) != lower(b) : a != b)
			return 0;
	}
	return i;
}

/* Word-bounded, case-insensitive match: start not after a letter/digit when pat
 * starts with one, end not before one when pat ends with one. */
static size_t match_word(const char *s, size_t n, size_t i, const char *pat)
{
	/* the first byte decides most calls: no match there, no need to measure pat */
	if (i >= n || lower((unsigned char)s[i]) != lower((unsigned char)pat[0]))
		return 0;
	size_t pl = strlen(pat);
	if (pl == 0)
		return 0;
	if (is_alnum((unsigned char)pat[0]) && i > 0 && is_alnum((unsigned char)s[i - 1]))
		return 0;
	size_t e = match_at(s, n, i, pat, true);
	if (!e)
		return 0;
	if (is_alnum((unsigned char)pat[pl - 1]) && e < n && is_alnum((unsigned char)s[e]))
		return 0;
	return e;
}

static size_t skip_ws(const char *s, size_t i, size_t to)
{
	while (i < to && s[i] == ' ')
		i++;
	return i;
}

static size_t line_start(const struct ntext *t, size_t i)
{
	while (i > 0 && t->s[i - 1] != '\n')
		i--;
	return i;
}

/* Copy original text for normalised [a, b): whitespace runs folded, trimmed,
 * cut at FINDINGS_SNIPPET_MAX on a UTF-8 boundary, sanitised. */
static char *snippet(const struct ntext *t, size_t a, size_t b)
{
	size_t oa = t->off[a], ob = t->off[MIN(b, t->n)];
	char buf[FINDINGS_SNIPPET_MAX + 1];
	size_t k = 0;
	bool sp = false;
	for (size_t i = oa; i < ob && i < t->olen; i++) {
		unsigned char c = (unsigned char)t->orig[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			sp = k > 0;
			continue;
		}
		if (sp) {
			if (k + 1 > FINDINGS_SNIPPET_MAX)
				break;
			buf[k++] = ' ';
			sp = false;
		}
		if (k + 1 > FINDINGS_SNIPPET_MAX)
			break;
		buf[k++] = (char)c;
	}
	/* do not end inside a UTF-8 sequence */
	if (k > 0) {
		size_t j = k;
		while (j > 0 && ((unsigned char)buf[j - 1] & 0xc0) == 0x80)
			j--;
		if (j > 0 && (unsigned char)buf[j - 1] >= 0xc0) {
			unsigned char c = (unsigned char)buf[j - 1];
			size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (k - (j - 1) < need)
				k = j - 1;
		}
	}
	while (k > 0 && buf[k - 1] == ' ')
		k--;
	return utf8_sanitize(buf, k);
}

/* ------------------------------------------------------------------ */
/* Word tables by first byte */

/* The entries of a word table by their first byte (ASCII case folded), each
 * bucket in table order, so a position only tries the entries that can match
 * there and ties still go to the earlier entry. Every table's word is the
 * first member of its entry. Built once (tables_ready) for all threads. */
#define FIDX_MAX 512

struct first_index {
	uint16_t start[257];
	uint16_t order[FIDX_MAX];
};

static void fidx_build(struct first_index *ix, const void *base, size_t stride, size_t n)
{
	uint16_t cnt[256] = { 0 };
	for (size_t i = 0; i < n; i++)
		cnt[lower((unsigned char)(*(const char *const *)((const char *)base + i * stride))[0])]++;
	ix->start[0] = 0;
	for (int c = 0; c < 256; c++)
		ix->start[c + 1] = (uint16_t)(ix->start[c] + cnt[c]);
	uint16_t fill[256];
	memcpy(fill, ix->start, sizeof(fill));
	for (size_t i = 0; i < n; i++)
		ix->order[fill[lower((unsigned char)(*(const char *const *)((const char *)base + i * stride))[0])]++] =
			(uint16_t)i;
}

#define FIDX_BUILD(ix, table)                                                            \
	do {                                                                             \
		_Static_assert(ARRAY_SIZE(table) <= FIDX_MAX, "word table too big for its index"); \
		fidx_build((ix), (table), sizeof((table)[0]), ARRAY_SIZE(table));         \
	} while (0)

/* Each entry of the bucket for byte C: for (FIDX_EACH(ix, c, q)) uses ix->order[q]. */
#define FIDX_EACH(ix, c, q) uint16_t q = (ix)->start[lower(c)]; q < (ix)->start[lower(c) + 1]; q++

static struct first_index syn_ix, rword_ix, lab_ix, unit_ix, treat_ix;
static bool treat_first[256];   /* a treatment word (or "Gy") can start with this byte */
static void tables_ready(void);

/* ------------------------------------------------------------------ */
/* Marker names */

#define S_CASE  0x01    /* match case as written */
#define S_PANEL 0x02    /* diagnostic IHC stain */

struct syn {
	const char *s;          /* as written in reports */
	const char *name;       /* canonical */
	uint8_t flags;
	const char *implied;    /* the name carries its result ("MSI-H", "pMMR") */
};

static const struct syn syns[] = {
	/* HER2 */
	{ "HER2", "HER2", 0, NULL }, { "HER2/neu", "HER2", 0, NULL }, { "HER-2", "HER2", 0, NULL },
	{ "ERBB2", "HER2", 0, NULL }, { "c-erbB-2", "HER2", 0, NULL }, { "erbB-2", "HER2", 0, NULL },
	{ "HercepTest", "HER2", 0, NULL },
	{ "HER2-low", "HER2", 0, "HER2-low" }, { "HER2-ultralow", "HER2", 0, "HER2-ultralow" },
	{ "HER2-zero", "HER2", 0, "HER2-0" },
	/* ER / PR */
	{ "ER", "ER", S_CASE, NULL }, { "ERα", "ER", S_CASE, NULL }, { "ER-alpha", "ER", 0, NULL },
	{ "oestrogen receptor", "ER", 0, NULL }, { "estrogen receptor", "ER", 0, NULL },
	{ "oestrogen receptors", "ER", 0, NULL }, { "estrogen receptors", "ER", 0, NULL },
	{ "ER-low", "ER", 0, "ER-low" }, { "雌激素受体", "ER", 0, NULL },
	{ "récepteurs aux œstrogènes", "ER", 0, NULL }, { "récepteurs d'œstrogènes", "ER", 0, NULL },
	{ "receptor de estrógeno", "ER", 0, NULL },
	{ "receptores de estrógeno", "ER", 0, NULL }, { "Östrogenrezeptor", "ER", 0, NULL },
	{ "östrojen reseptörü", "ER", 0, NULL }, { "рецепторы эстрогена", "ER", 0, NULL },
	{ "PR", "PR", S_CASE, NULL }, { "PgR", "PR", 0, NULL }, { "PGR", "PR", 0, NULL },
	{ "progesterone receptor", "PR", 0, NULL }, { "progesterone receptors", "PR", 0, NULL },
	{ "孕激素受体", "PR", 0, NULL },
	{ "récepteurs à la progestérone", "PR", 0, NULL }, { "receptor de progesterona", "PR", 0, NULL },
	{ "receptores de progesterona", "PR", 0, NULL }, { "Progesteronrezeptor", "PR", 0, NULL },
	{ "progesteron reseptörü", "PR", 0, NULL }, { "рецепторы прогестерона", "PR", 0, NULL },
	{ "AR", "AR", S_CASE, NULL }, { "androgen receptor", "AR", 0, NULL },
	/* Ki-67 */
	{ "Ki-67", "Ki-67", 0, NULL }, { "Ki67", "Ki-67", 0, NULL }, { "MIB-1", "Ki-67", 0, NULL },
	{ "MIB1", "Ki-67", 0, NULL }, { "proliferation index", "Ki-67", 0, NULL },
	{ "Ki-67 index", "Ki-67", 0, NULL }, { "Ki-67 proliferation index", "Ki-67", 0, NULL },
	/* MMR / MSI */
	{ "MMR", "MMR", 0, NULL }, { "mismatch repair", "MMR", 0, NULL },
	{ "mismatch repair proteins", "MMR", 0, NULL }, { "MMR proteins", "MMR", 0, NULL },
	{ "dMMR", "MMR", S_CASE, "deficient" }, { "MMRd", "MMR", S_CASE, "deficient" },
	{ "pMMR", "MMR", S_CASE, "proficient" }, { "MMRp", "MMR", S_CASE, "proficient" },
	{ "错配修复功能缺陷", "MMR", 0, "deficient" }, { "错配修复功能完整", "MMR", 0, "proficient" },
	{ "错配修复", "MMR", 0, NULL },
	{ "MSI", "MSI", 0, NULL }, { "microsatellite instability", "MSI", 0, NULL },
	{ "microsatellite status", "MSI", 0, NULL },
	{ "MSI-H", "MSI", 0, "MSI-H" }, { "MSI-high", "MSI", 0, "MSI-H" }, { "MSI-L", "MSI", 0, "MSI-L" },
	{ "MSI-low", "MSI", 0, "MSI-L" }, { "MSS", "MSI", 0, "MSS" },
	{ "microsatellite stable", "MSI", 0, "MSS" }, { "microsatellite-stable", "MSI", 0, "MSS" },
	{ "microsatellite instability-high", "MSI", 0, "MSI-H" },
	{ "microsatellite instability high", "MSI", 0, "MSI-H" },
	{ "high microsatellite instability", "MSI", 0, "MSI-H" },
	{ "微卫星稳定", "MSI", 0, "MSS" }, { "微卫星高度不稳定", "MSI", 0, "MSI-H" },
	{ "微卫星不稳定", "MSI", 0, NULL },
	{ "MLH1", "MLH1", 0, NULL }, { "PMS2", "PMS2", 0, NULL }, { "MSH2", "MSH2", 0, NULL },
	{ "MSH6", "MSH6", 0, NULL },
	/* PD-L1, TMB */
	{ "PD-L1", "PD-L1", 0, NULL }, { "PDL1", "PD-L1", 0, NULL }, { "CD274", "PD-L1", 0, NULL },
	{ "PD-L1 (22C3)", "PD-L1", 0, NULL }, { "PD-L1 (SP263)", "PD-L1", 0, NULL },
	{ "TMB", "TMB", 0, NULL }, { "tumour mutational burden", "TMB", 0, NULL },
	{ "tumor mutational burden", "TMB", 0, NULL }, { "tumour mutation burden", "TMB", 0, NULL },
	{ "tumor mutation burden", "TMB", 0, NULL }, { "TMB-H", "TMB", 0, "high" },
	{ "TMB-high", "TMB", 0, "high" }, { "TMB-L", "TMB", 0, "low" }, { "TMB-low", "TMB", 0, "low" },
	{ "肿瘤突变负荷", "TMB", 0, NULL },
	/* Fusions and drivers */
	{ "NTRK", "NTRK", 0, NULL }, { "NTRK1", "NTRK", 0, NULL }, { "NTRK2", "NTRK", 0, NULL },
	{ "NTRK3", "NTRK", 0, NULL }, { "NTRK1/2/3", "NTRK", 0, NULL }, { "pan-TRK", "NTRK", 0, NULL },
	{ "ETV6::NTRK3", "NTRK", 0, NULL }, { "TRK", "NTRK", S_CASE, NULL },
	{ "BRCA1", "BRCA1", 0, NULL }, { "BRCA2", "BRCA2", 0, NULL }, { "BRCA1/2", "BRCA1/2", 0, NULL },
	{ "BRCA", "BRCA1/2", 0, NULL }, { "gBRCA", "BRCA1/2", 0, NULL }, { "sBRCA", "BRCA1/2", 0, NULL },
	{ "tBRCA", "BRCA1/2", 0, NULL }, { "gBRCA1/2", "BRCA1/2", 0, NULL }, { "BRCAm", "BRCA1/2", 0, "mutated" },
	{ "HRD", "HRD", 0, NULL }, { "homologous recombination deficiency", "HRD", 0, NULL },
	{ "genomic instability score", "HRD", 0, NULL }, { "GIS", "HRD", S_CASE, NULL },
	{ "myChoice", "HRD", 0, NULL }, { "HRD status", "HRD", 0, NULL },
	{ "HRR", "HRR", S_CASE, NULL }, { "PALB2", "PALB2", 0, NULL }, { "ATM", "ATM", S_CASE, NULL },
	{ "CHEK2", "CHEK2", 0, NULL }, { "RAD51C", "RAD51C", 0, NULL }, { "RAD51D", "RAD51D", 0, NULL },
	{ "CDK12", "CDK12", 0, NULL },
	{ "ALK", "ALK", 0, NULL }, { "EML4-ALK", "ALK", 0, NULL }, { "ALK (D5F3)", "ALK", 0, NULL },
	{ "ALK D5F3", "ALK", 0, NULL },
	{ "ROS1", "ROS1", 0, NULL }, { "ROS-1", "ROS1", 0, NULL }, { "RET", "RET", S_CASE, NULL },
	{ "NRG1", "NRG1", 0, NULL }, { "FGFR2", "FGFR2", 0, NULL }, { "FGFR2b", "FGFR2", 0, NULL },
	{ "FGFR3", "FGFR3", 0, NULL }, { "FGFR", "FGFR", S_CASE, NULL },
	{ "EGFR", "EGFR", 0, NULL }, { "表皮生长因子受体", "EGFR", 0, NULL },
	{ "KRAS", "KRAS", 0, NULL }, { "K-RAS", "KRAS", 0, NULL }, { "NRAS", "NRAS", 0, NULL },
	{ "N-RAS", "NRAS", 0, NULL }, { "RAS", "RAS", S_CASE, NULL }, { "all RAS", "RAS", 0, NULL },
	{ "extended RAS", "RAS", 0, NULL }, { "KRAS/NRAS", "RAS", 0, NULL },
	{ "BRAF", "BRAF", 0, NULL }, { "B-RAF", "BRAF", 0, NULL }, { "KIAA1549::BRAF", "BRAF", 0, NULL },
	{ "MET", "MET", S_CASE, NULL }, { "c-MET", "MET", 0, NULL }, { "METex14", "MET", 0, NULL },
	{ "PIK3CA", "PIK3CA", 0, NULL }, { "AKT1", "AKT1", 0, NULL }, { "PTEN", "PTEN", 0, NULL },
	{ "ESR1", "ESR1", 0, NULL }, { "POLE", "POLE", S_CASE, NULL },
	/* p16 / HPV / EBV */
	{ "p16", "p16", 0, NULL }, { "p16INK4a", "p16", 0, NULL }, { "p16 INK4a", "p16", 0, NULL },
	{ "HPV", "HPV", 0, NULL }, { "HR-HPV", "HPV", 0, NULL }, { "high-risk HPV", "HPV", 0, NULL },
	{ "HPV ISH", "HPV", 0, NULL }, { "HPV PCR", "HPV", 0, NULL }, { "HPV DNA", "HPV", 0, NULL },
	{ "EBV", "EBV", 0, NULL }, { "EBER", "EBV", 0, NULL }, { "EBER-ISH", "EBV", 0, NULL },
	{ "EBV-encoded RNA", "EBV", 0, NULL },
	/* CNS */
	{ "IDH1", "IDH1", 0, NULL }, { "IDH2", "IDH2", 0, NULL }, { "IDH", "IDH", 0, NULL },
	{ "IDH1/2", "IDH", 0, NULL },
	{ "1p/19q", "1p/19q", 0, NULL }, { "1p19q", "1p/19q", 0, NULL }, { "LOH 1p/19q", "1p/19q", 0, NULL },
	{ "MGMT", "MGMT", 0, NULL }, { "MGMT promoter", "MGMT", 0, NULL },
	{ "MGMT promoter methylation", "MGMT", 0, NULL }, { "ATRX", "ATRX", 0, NULL },
	{ "TERT", "TERT", 0, NULL }, { "TERT promoter", "TERT", 0, NULL }, { "TERTp", "TERT", 0, NULL },
	{ "CDKN2A", "CDKN2A/B", 0, NULL }, { "CDKN2B", "CDKN2A/B", 0, NULL },
	{ "CDKN2A/B", "CDKN2A/B", 0, NULL }, { "H3 K27M", "H3 K27M", 0, NULL },
	{ "H3K27M", "H3 K27M", 0, NULL }, { "H3 K27-altered", "H3 K27M", 0, NULL },
	{ "H3 p.K28M", "H3 K27M", 0, NULL }, { "H3 K27M mutant", "H3 K27M", 0, "mutated" },
	/* Sarcoma / GIST */
	{ "KIT", "KIT", S_CASE, NULL }, { "c-KIT", "KIT", 0, NULL }, { "PDGFRA", "PDGFRA", 0, NULL },
	{ "SDHB", "SDHB", 0, NULL }, { "MDM2", "MDM2", 0, NULL }, { "CDK4", "CDK4", 0, NULL },
	{ "SS18::SSX", "SS18::SSX", 0, NULL }, { "SS18-SSX", "SS18::SSX", 0, NULL }, { "SS18", "SS18::SSX", 0, NULL },
	{ "EWSR1", "EWSR1", 0, NULL }, { "FUS::DDIT3", "FUS::DDIT3", 0, NULL }, { "DDIT3", "FUS::DDIT3", 0, NULL },
	/* Lymphoma / myeloma / leukaemia */
	{ "CD20", "CD20", 0, NULL }, { "CD30", "CD30", 0, NULL }, { "CD15", "CD15", 0, NULL },
	{ "CD10", "CD10", 0, NULL }, { "BCL2", "BCL2", 0, NULL }, { "BCL-2", "BCL2", 0, NULL },
	{ "BCL6", "BCL6", 0, NULL }, { "BCL-6", "BCL6", 0, NULL }, { "MYC", "MYC", 0, NULL },
	{ "c-MYC", "MYC", 0, NULL }, { "MUM1", "MUM1", 0, NULL }, { "MUM-1", "MUM1", 0, NULL },
	{ "IRF4/MUM1", "MUM1", 0, NULL }, { "IRF4", "MUM1", 0, NULL }, { "cyclin D1", "cyclin D1", 0, NULL },
	{ "CCND1", "cyclin D1", 0, NULL }, { "BCL1", "cyclin D1", 0, NULL }, { "SOX11", "SOX11", 0, NULL },
	{ "TP53", "TP53", 0, NULL }, { "p53", "p53", S_CASE, NULL },
	{ "del(17p)", "del(17p)", 0, NULL }, { "17p deletion", "del(17p)", 0, NULL },
	{ "del 17p", "del(17p)", 0, NULL }, { "17p-", "del(17p)", 0, NULL },
	{ "t(4;14)", "t(4;14)", 0, NULL }, { "IGH::FGFR3", "t(4;14)", 0, NULL }, { "IGH::NSD2", "t(4;14)", 0, NULL },
	{ "t(14;16)", "t(14;16)", 0, NULL }, { "IGH::MAF", "t(14;16)", 0, NULL },
	{ "t(11;14)", "t(11;14)", 0, NULL }, { "IGH::CCND1", "t(11;14)", 0, NULL },
	{ "t(14;20)", "t(14;20)", 0, NULL },
	{ "1q gain", "1q gain", 0, NULL }, { "1q21 gain", "1q gain", 0, NULL }, { "gain 1q", "1q gain", 0, NULL },
	{ "gain(1q)", "1q gain", 0, NULL }, { "1q21+", "1q gain", 0, NULL }, { "amp1q", "1q gain", 0, NULL },
	{ "1q21 amplification", "1q gain", 0, NULL }, { "CKS1B", "1q gain", 0, NULL },
	{ "IGHV", "IGHV", 0, NULL }, { "IGHV mutation status", "IGHV", 0, NULL },
	{ "FLT3", "FLT3", 0, NULL }, { "FLT3-ITD", "FLT3-ITD", 0, NULL }, { "FLT3-TKD", "FLT3-TKD", 0, NULL },
	{ "NPM1", "NPM1", 0, NULL }, { "CEBPA", "CEBPA", 0, NULL },
	{ "BCR::ABL1", "BCR::ABL1", 0, NULL }, { "BCR-ABL", "BCR::ABL1", 0, NULL }, { "BCR/ABL", "BCR::ABL1", 0, NULL },
	{ "t(9;22)", "BCR::ABL1", 0, NULL }, { "PML::RARA", "PML::RARA", 0, NULL }, { "PML-RARA", "PML::RARA", 0, NULL },
	{ "PML/RARα", "PML::RARA", 0, NULL }, { "t(15;17)", "PML::RARA", 0, NULL },
	{ "RUNX1::RUNX1T1", "RUNX1::RUNX1T1", 0, NULL }, { "t(8;21)", "RUNX1::RUNX1T1", 0, NULL },
	{ "CBFB::MYH11", "CBFB::MYH11", 0, NULL }, { "inv(16)", "CBFB::MYH11", 0, NULL },
	{ "KMT2A", "KMT2A", 0, NULL }, { "MLL", "KMT2A", S_CASE, NULL },
	/* Newer targets */
	{ "claudin 18.2", "CLDN18.2", 0, NULL }, { "claudin-18.2", "CLDN18.2", 0, NULL },
	{ "CLDN18.2", "CLDN18.2", 0, NULL }, { "CLDN18", "CLDN18.2", 0, NULL },
	{ "FRα", "FRα", 0, NULL }, { "FR-alpha", "FRα", 0, NULL }, { "FOLR1", "FRα", 0, NULL },
	{ "folate receptor alpha", "FRα", 0, NULL }, { "DLL3", "DLL3", 0, NULL }, { "PSMA", "PSMA", 0, NULL },
	{ "TROP2", "TROP2", 0, NULL }, { "HLA-A*02:01", "HLA-A*02:01", 0, NULL },
	/* Diagnostic IHC (panel) */
	{ "CK7", "CK7", S_PANEL, NULL }, { "CK20", "CK20", S_PANEL, NULL }, { "TTF-1", "TTF-1", S_PANEL, NULL },
	{ "TTF1", "TTF-1", S_PANEL, NULL }, { "napsin A", "napsin A", S_PANEL, NULL },
	{ "CDX2", "CDX2", S_PANEL, NULL }, { "CDX-2", "CDX2", S_PANEL, NULL }, { "GATA3", "GATA3", S_PANEL, NULL },
	{ "GATA-3", "GATA3", S_PANEL, NULL }, { "p40", "p40", S_PANEL, NULL }, { "p63", "p63", S_PANEL, NULL },
	{ "PAX8", "PAX8", S_PANEL, NULL }, { "WT1", "WT1", S_PANEL, NULL }, { "SOX10", "SOX10", S_PANEL, NULL },
	{ "S100", "S100", S_PANEL, NULL }, { "S-100", "S100", S_PANEL, NULL }, { "HMB45", "HMB45", S_PANEL, NULL },
	{ "HMB-45", "HMB45", S_PANEL, NULL }, { "Melan-A", "Melan-A", S_PANEL, NULL },
	{ "synaptophysin", "synaptophysin", S_PANEL, NULL }, { "Syn", "synaptophysin", S_PANEL | S_CASE, NULL },
	{ "chromogranin", "chromogranin", S_PANEL, NULL }, { "CgA", "chromogranin", S_PANEL | S_CASE, NULL },
	{ "INSM1", "INSM1", S_PANEL, NULL }, { "CD56", "CD56", S_PANEL, NULL },
	{ "CD3", "CD3", S_PANEL, NULL }, { "CD5", "CD5", S_PANEL, NULL }, { "CD19", "CD19", S_PANEL, NULL },
	{ "CD22", "CD22", S_PANEL, NULL }, { "CD23", "CD23", S_PANEL, NULL }, { "CD79a", "CD79a", S_PANEL, NULL },
	{ "CD138", "CD138", S_PANEL, NULL }, { "PAX5", "PAX5", S_PANEL, NULL }, { "PAX-5", "PAX5", S_PANEL, NULL },
	{ "CD45", "CD45", S_PANEL, NULL }, { "LCA", "CD45", S_PANEL | S_CASE, NULL },
	{ "CD117", "CD117", S_PANEL, NULL }, { "DOG1", "DOG1", S_PANEL, NULL }, { "DOG-1", "DOG1", S_PANEL, NULL },
	{ "CD34", "CD34", S_PANEL, NULL }, { "desmin", "desmin", S_PANEL, NULL }, { "SMA", "SMA", S_PANEL | S_CASE, NULL },
	{ "myogenin", "myogenin", S_PANEL, NULL }, { "STAT6", "STAT6", S_PANEL, NULL },
	{ "INI1", "INI1", S_PANEL, NULL }, { "CD99", "CD99", S_PANEL, NULL }, { "TdT", "TdT", S_PANEL, NULL },
	{ "MPO", "MPO", S_PANEL | S_CASE, NULL }, { "CK5/6", "CK5/6", S_PANEL, NULL },
	{ "AE1/AE3", "AE1/AE3", S_PANEL, NULL }, { "pan-CK", "pan-CK", S_PANEL, NULL },
	{ "E-cadherin", "E-cadherin", S_PANEL, NULL }, { "PSAP", "PSAP", S_PANEL, NULL },
	{ "NKX3.1", "NKX3.1", S_PANEL, NULL }, { "HepPar-1", "HepPar-1", S_PANEL, NULL },
	{ "glypican-3", "glypican-3", S_PANEL, NULL }, { "calretinin", "calretinin", S_PANEL, NULL },
	{ "vimentin", "vimentin", S_PANEL, NULL }, { "CD31", "CD31", S_PANEL, NULL }, { "ERG", "ERG", S_PANEL | S_CASE, NULL },
};

/* Match a marker name at i, ignoring separators when the name is longer than
 * three bytes. Returns the end or 0. */
static size_t syn_match(const struct ntext *t, size_t i, const struct syn *sy)
{
	const char *p = sy->s;
	const char *s = t->s;
	size_t n = t->n, pl = strlen(p);
	bool ci = !(sy->flags & S_CASE);
	bool loose = pl > 3;
	unsigned char first = (unsigned char)p[0];
	if (is_alnum(first) && i > 0 && is_alnum((unsigned char)s[i - 1]))
		return 0;
	size_t j = i;
	int skipped = 0;
	while (*p) {
		unsigned char pc = (unsigned char)*p;
		if (loose && name_sep(pc) && p != sy->s) {
			p++;
			continue;
		}
		if (j >= n)
			return 0;
		unsigned char c = (unsigned char)s[j];
		if (loose && j > i && name_sep(c) && c != pc) {
			if (++skipped > 2)
				return 0;
			j++;
			continue;
		}
		if (ci ? lower(c) != lower(pc) : c != pc)
			return 0;
		skipped = 0;
		j++;
		p++;
	}
	unsigned char last = (unsigned char)sy->s[pl - 1];
	if (is_alnum(last) && j < n && is_alnum((unsigned char)s[j]))
		return 0;
	return j;
}

/* ------------------------------------------------------------------ */
/* Result words */

enum rkind { R_MAIN = 1, R_WEAKMUT, R_PENDING, R_INSUFF, R_STOP };

struct rword {
	const char *s;
	uint8_t kind;
	const char *norm;
};

static const struct rword rwords[] = {
	/* English */
	{ "positive", R_MAIN, "positive" }, { "pos", R_MAIN, "positive" }, { "+ve", R_MAIN, "positive" },
	{ "strongly positive", R_MAIN, "positive" }, { "weakly positive", R_MAIN, "weakly positive" },
	{ "focally positive", R_MAIN, "focally positive" }, { "diffusely positive", R_MAIN, "positive" },
	{ "low positive", R_MAIN, "low positive" }, { "positivity", R_MAIN, "positive" },
	{ "negative", R_MAIN, "negative" }, { "neg", R_MAIN, "negative" }, { "-ve", R_MAIN, "negative" },
	{ "equivocal", R_MAIN, "equivocal" }, { "borderline", R_MAIN, "equivocal" },
	{ "reactive", R_MAIN, "positive" }, { "non-reactive", R_MAIN, "negative" },
	{ "nonreactive", R_MAIN, "negative" }, { "expressed", R_MAIN, "positive" },
	{ "not expressed", R_MAIN, "negative" }, { "overexpressed", R_MAIN, "overexpressed" },
	{ "overexpression", R_MAIN, "overexpressed" },
	{ "amplified", R_MAIN, "amplified" }, { "not amplified", R_MAIN, "not amplified" },
	{ "non-amplified", R_MAIN, "not amplified" }, { "nonamplified", R_MAIN, "not amplified" },
	{ "no amplification", R_MAIN, "not amplified" }, { "amplification detected", R_MAIN, "amplified" },
	{ "amplification not detected", R_MAIN, "not amplified" }, { "amplification present", R_MAIN, "amplified" },
	{ "mutated", R_MAIN, "mutated" }, { "mutant", R_MAIN, "mutated" }, { "mutation detected", R_MAIN, "mutated" },
	{ "mutation positive", R_MAIN, "mutated" }, { "mutation identified", R_MAIN, "mutated" },
	{ "mutation present", R_MAIN, "mutated" }, { "mutations detected", R_MAIN, "mutated" },
	{ "pathogenic variant detected", R_MAIN, "mutated" }, { "pathogenic variant identified", R_MAIN, "mutated" },
	{ "pathogenic mutation", R_MAIN, "mutated" }, { "pathogenic variant", R_MAIN, "mutated" },
	{ "likely pathogenic variant", R_MAIN, "mutated" },
	{ "no mutation detected", R_MAIN, "not detected" }, { "no mutations detected", R_MAIN, "not detected" },
	{ "no mutation identified", R_MAIN, "not detected" }, { "no mutations identified", R_MAIN, "not detected" },
	{ "no mutation", R_MAIN, "not detected" }, { "no mutations", R_MAIN, "not detected" },
	{ "mutation not detected", R_MAIN, "not detected" }, { "mutations not detected", R_MAIN, "not detected" },
	{ "no pathogenic variant", R_MAIN, "not detected" }, { "no pathogenic variants", R_MAIN, "not detected" },
	{ "no variants detected", R_MAIN, "not detected" }, { "not mutated", R_MAIN, "not mutated" },
	{ "non-mutated", R_MAIN, "unmutated" }, { "unmutated", R_MAIN, "unmutated" },
	{ "wild-type", R_MAIN, "wild-type" }, { "wild type", R_MAIN, "wild-type" }, { "wildtype", R_MAIN, "wild-type" },
	{ "wild-type pattern", R_MAIN, "wild-type pattern" }, { "aberrant", R_MAIN, "aberrant" },
	{ "detected", R_MAIN, "detected" }, { "not detected", R_MAIN, "not detected" },
	{ "none detected", R_MAIN, "not detected" }, { "undetected", R_MAIN, "not detected" },
	{ "identified", R_MAIN, "detected" }, { "not identified", R_MAIN, "not detected" },
	{ "present", R_MAIN, "present" }, { "absent", R_MAIN, "absent" },
	{ "fusion detected", R_MAIN, "fusion detected" }, { "fusion positive", R_MAIN, "fusion detected" },
	{ "fusion identified", R_MAIN, "fusion detected" }, { "no fusion detected", R_MAIN, "no fusion detected" },
	{ "fusion not detected", R_MAIN, "no fusion detected" }, { "no fusion", R_MAIN, "no fusion detected" },
	{ "no fusions detected", R_MAIN, "no fusion detected" }, { "fusion negative", R_MAIN, "no fusion detected" },
	{ "rearranged", R_MAIN, "rearranged" }, { "rearrangement detected", R_MAIN, "rearranged" },
	{ "rearrangement present", R_MAIN, "rearranged" }, { "rearrangement positive", R_MAIN, "rearranged" },
	{ "not rearranged", R_MAIN, "not rearranged" }, { "no rearrangement", R_MAIN, "not rearranged" },
	{ "rearrangement not detected", R_MAIN, "not rearranged" }, { "translocation detected", R_MAIN, "rearranged" },
	{ "intact", R_MAIN, "intact" }, { "retained", R_MAIN, "retained" }, { "preserved", R_MAIN, "retained" },
	{ "loss", R_MAIN, "loss" }, { "lost", R_MAIN, "loss" }, { "loss of expression", R_MAIN, "loss" },
	{ "no loss", R_MAIN, "intact" }, { "deficient", R_MAIN, "deficient" }, { "proficient", R_MAIN, "proficient" },
	{ "stable", R_MAIN, "MSS" }, { "unstable", R_MAIN, "MSI-H" },
	{ "methylated", R_MAIN, "methylated" }, { "unmethylated", R_MAIN, "unmethylated" },
	{ "not methylated", R_MAIN, "unmethylated" }, { "non-methylated", R_MAIN, "unmethylated" },
	{ "methylation detected", R_MAIN, "methylated" }, { "methylation not detected", R_MAIN, "unmethylated" },
	{ "no methylation", R_MAIN, "unmethylated" }, { "hypermethylated", R_MAIN, "methylated" },
	{ "hypermethylation", R_MAIN, "methylated" },
	{ "codeleted", R_MAIN, "codeleted" }, { "co-deleted", R_MAIN, "codeleted" },
	{ "codeletion detected", R_MAIN, "codeleted" }, { "codeletion present", R_MAIN, "codeleted" },
	{ "not codeleted", R_MAIN, "not codeleted" }, { "no codeletion", R_MAIN, "not codeleted" },
	{ "non-codeleted", R_MAIN, "not codeleted" }, { "not co-deleted", R_MAIN, "not codeleted" },
	{ "homozygous deletion", R_MAIN, "homozygous deletion" }, { "deleted", R_MAIN, "deleted" },
	{ "deletion detected", R_MAIN, "deleted" }, { "no deletion", R_MAIN, "not deleted" },
	{ "not deleted", R_MAIN, "not deleted" },
	{ "high", R_MAIN, "high" }, { "low", R_MAIN, "low" }, { "intermediate", R_MAIN, "intermediate" },
	{ "high risk", R_MAIN, "high risk" }, { "low risk", R_MAIN, "low risk" },
	{ "WT", R_MAIN, "wild-type" },
	{ "mutation", R_WEAKMUT, NULL }, { "mutations", R_WEAKMUT, NULL }, { "variant", R_WEAKMUT, NULL },
	{ "pending", R_PENDING, NULL }, { "requested", R_PENDING, NULL }, { "not done", R_PENDING, NULL },
	{ "not performed", R_PENDING, NULL }, { "not tested", R_PENDING, NULL }, { "sent out", R_PENDING, NULL },
	{ "send-out", R_PENDING, NULL }, { "sent to", R_PENDING, NULL }, { "to follow", R_PENDING, NULL },
	{ "will follow", R_PENDING, NULL }, { "awaited", R_PENDING, NULL }, { "awaiting", R_PENDING, NULL },
	{ "in progress", R_PENDING, NULL }, { "ordered", R_PENDING, NULL }, { "to be performed", R_PENDING, NULL },
	{ "will be reported", R_PENDING, NULL }, { "in process", R_PENDING, NULL },
	{ "insufficient", R_INSUFF, NULL }, { "QNS", R_INSUFF, NULL }, { "quantity not sufficient", R_INSUFF, NULL },
	{ "failed", R_INSUFF, NULL }, { "failure", R_INSUFF, NULL }, { "not evaluable", R_INSUFF, NULL },
	{ "inadequate", R_INSUFF, NULL }, { "indeterminate", R_INSUFF, NULL }, { "uninformative", R_INSUFF, NULL },
	{ "non-informative", R_INSUFF, NULL }, { "not assessable", R_INSUFF, NULL },
	{ "cannot be assessed", R_INSUFF, NULL }, { "could not be assessed", R_INSUFF, NULL },
	{ "because", R_STOP, NULL }, { "but", R_STOP, NULL }, { "however", R_STOP, NULL },
	{ "whereas", R_STOP, NULL }, { "although", R_STOP, NULL }, { "while", R_STOP, NULL },
	/* Chinese */
	{ "阳性", R_MAIN, "positive" }, { "弱阳性", R_MAIN, "weakly positive" }, { "强阳性", R_MAIN, "positive" },
	{ "阴性", R_MAIN, "negative" }, { "突变型", R_MAIN, "mutated" }, { "突变", R_MAIN, "mutated" },
	{ "未检测到突变", R_MAIN, "not detected" }, { "未检测到", R_MAIN, "not detected" },
	{ "未检出", R_MAIN, "not detected" }, { "检出", R_MAIN, "detected" }, { "无突变", R_MAIN, "not detected" },
	{ "未见突变", R_MAIN, "not detected" }, { "野生型", R_MAIN, "wild-type" }, { "扩增", R_MAIN, "amplified" },
	{ "无扩增", R_MAIN, "not amplified" }, { "未扩增", R_MAIN, "not amplified" }, { "未见扩增", R_MAIN, "not amplified" },
	{ "融合", R_MAIN, "fusion detected" }, { "无融合", R_MAIN, "no fusion detected" },
	{ "未见融合", R_MAIN, "no fusion detected" }, { "表达缺失", R_MAIN, "loss" }, { "缺失", R_MAIN, "loss" },
	{ "无缺失", R_MAIN, "intact" }, { "完整", R_MAIN, "intact" }, { "甲基化", R_MAIN, "methylated" },
	{ "未甲基化", R_MAIN, "unmethylated" }, { "待定", R_PENDING, NULL }, { "待检", R_PENDING, NULL },
	{ "待回报", R_PENDING, NULL }, { "待测", R_PENDING, NULL }, { "送检中", R_PENDING, NULL },
	{ "样本不足", R_INSUFF, NULL }, { "组织不足", R_INSUFF, NULL }, { "检测失败", R_INSUFF, NULL },
	/* French */
	{ "positif", R_MAIN, "positive" }, { "positifs", R_MAIN, "positive" }, { "négatif", R_MAIN, "negative" },
	{ "négative", R_MAIN, "negative" }, { "négatifs", R_MAIN, "negative" }, { "muté", R_MAIN, "mutated" },
	{ "mutée", R_MAIN, "mutated" }, { "non muté", R_MAIN, "not mutated" }, { "non mutée", R_MAIN, "not mutated" },
	{ "sauvage", R_MAIN, "wild-type" }, { "amplifié", R_MAIN, "amplified" }, { "non amplifié", R_MAIN, "not amplified" },
	{ "absence de mutation", R_MAIN, "not detected" }, { "conservée", R_MAIN, "retained" },
	{ "conservé", R_MAIN, "retained" }, { "perte", R_MAIN, "loss" }, { "en attente", R_PENDING, NULL },
	{ "en cours", R_PENDING, NULL }, { "non contributif", R_INSUFF, NULL },
	/* Spanish, Portuguese, Italian */
	{ "positivo", R_MAIN, "positive" }, { "positiva", R_MAIN, "positive" }, { "negativo", R_MAIN, "negative" },
	{ "negativa", R_MAIN, "negative" }, { "mutado", R_MAIN, "mutated" }, { "mutada", R_MAIN, "mutated" },
	{ "mutato", R_MAIN, "mutated" }, { "no mutado", R_MAIN, "not mutated" }, { "não mutado", R_MAIN, "not mutated" },
	{ "nativo", R_MAIN, "wild-type" }, { "salvaje", R_MAIN, "wild-type" }, { "selvagem", R_MAIN, "wild-type" },
	{ "amplificado", R_MAIN, "amplified" }, { "no amplificado", R_MAIN, "not amplified" },
	{ "não amplificado", R_MAIN, "not amplified" }, { "non amplificato", R_MAIN, "not amplified" },
	{ "no detectado", R_MAIN, "not detected" }, { "não detectado", R_MAIN, "not detected" },
	{ "non rilevato", R_MAIN, "not detected" }, { "conservada", R_MAIN, "retained" },
	{ "conservado", R_MAIN, "retained" }, { "pendiente", R_PENDING, NULL }, { "pendente", R_PENDING, NULL },
	{ "in attesa", R_PENDING, NULL }, { "en curso", R_PENDING, NULL }, { "insuficiente", R_INSUFF, NULL },
	/* German */
	{ "positiv", R_MAIN, "positive" }, { "negativ", R_MAIN, "negative" }, { "mutiert", R_MAIN, "mutated" },
	{ "nicht mutiert", R_MAIN, "not mutated" }, { "Wildtyp", R_MAIN, "wild-type" },
	{ "amplifiziert", R_MAIN, "amplified" }, { "nicht amplifiziert", R_MAIN, "not amplified" },
	{ "nicht nachweisbar", R_MAIN, "not detected" }, { "kein Nachweis", R_MAIN, "not detected" },
	{ "nachgewiesen", R_MAIN, "detected" }, { "erhalten", R_MAIN, "retained" }, { "Verlust", R_MAIN, "loss" },
	{ "ausstehend", R_PENDING, NULL }, { "folgt", R_PENDING, NULL },
	/* Turkish */
	{ "pozitif", R_MAIN, "positive" }, { "negatif", R_MAIN, "negative" }, { "saptandı", R_MAIN, "detected" },
	{ "saptanmadı", R_MAIN, "not detected" }, { "mutasyon saptandı", R_MAIN, "mutated" },
	{ "mutasyon saptanmadı", R_MAIN, "not detected" }, { "yabanıl tip", R_MAIN, "wild-type" },
	{ "vahşi tip", R_MAIN, "wild-type" }, { "amplifiye", R_MAIN, "amplified" },
	{ "amplifikasyon yok", R_MAIN, "not amplified" }, { "korunmuş", R_MAIN, "retained" },
	{ "kaybı", R_MAIN, "loss" }, { "beklemede", R_PENDING, NULL }, { "bekleniyor", R_PENDING, NULL },
	{ "yetersiz", R_INSUFF, NULL },
	/* Russian (stems: endings vary with gender and case) */
	{ "положител", R_MAIN, "positive" }, { "Положител", R_MAIN, "positive" },
	{ "отрицател", R_MAIN, "negative" }, { "Отрицател", R_MAIN, "negative" },
	{ "не обнаружен", R_MAIN, "not detected" }, { "обнаружен", R_MAIN, "detected" },
	{ "не выявлен", R_MAIN, "not detected" }, { "выявлен", R_MAIN, "detected" },
	{ "дикий тип", R_MAIN, "wild-type" }, { "амплификация не выявлена", R_MAIN, "not amplified" },
	{ "нет амплификации", R_MAIN, "not amplified" }, { "амплификация", R_MAIN, "amplified" },
	{ "сохранен", R_MAIN, "retained" }, { "утрата", R_MAIN, "loss" }, { "в работе", R_PENDING, NULL },
	{ "ожидается", R_PENDING, NULL }, { "недостаточно", R_INSUFF, NULL },
	/* Arabic */
	{ "إيجابي", R_MAIN, "positive" }, { "ايجابي", R_MAIN, "positive" }, { "موجب", R_MAIN, "positive" },
	{ "سلبي", R_MAIN, "negative" }, { "سالب", R_MAIN, "negative" }, { "لم يتم الكشف", R_MAIN, "not detected" },
	{ "طفرة", R_WEAKMUT, NULL }, { "قيد الانتظار", R_PENDING, NULL },
	/* Hindi */
	{ "सकारात्मक", R_MAIN, "positive" }, { "नकारात्मक", R_MAIN, "negative" },
};

/* Longest result word at i (ASCII words bounded). */
static const struct rword *rword_at(const char *s, size_t n, size_t i, size_t *end)
{
	const struct rword *best = NULL;
	size_t be = 0;
	unsigned char c = i < n ? (unsigned char)s[i] : 0;
	for (FIDX_EACH(&rword_ix, c, q)) {
		const struct rword *w = &rwords[rword_ix.order[q]];
		size_t e;
		if ((unsigned char)w->s[0] < 0x80) {
			e = match_word(s, n, i, w->s);
			/* "WT" only in capitals */
			if (e && w->s[0] == 'W' && w->s[1] == 'T' && !w->s[2] && (s[i] != 'W' || s[i + 1] != 'T'))
				e = 0;
		} else {
			e = match_at(s, n, i, w->s, false);
		}
		if (e > be) {
			be = e;
			best = w;
		}
	}
	*end = be;
	return best;
}

/* ------------------------------------------------------------------ */
/* Window parsing */

struct parsed {
	const char *main;
	bool weak_mut;
	char ihc[8];
	char pct[32];
	char score[40];
	bool score_first;       /* TPS/CPS lead the result */
	char variant[48];
	int first;              /* 0 none, 1 result, 2 pending, 3 insufficient */
	size_t end;             /* just past the last thing used */
	bool stop_hit;
};

static void note(struct parsed *p, int kind, size_t end)
{
	if (!p->first)
		p->first = kind;
	if (end > p->end)
		p->end = end;
}

/* A number at i: digits, optional [.,]digits. Writes it (comma made '.') to buf. */
static size_t parse_num(const char *s, size_t to, size_t i, char *buf, size_t bufsz)
{
	size_t k = 0, j = i;
	if (j >= to || !is_digit((unsigned char)s[j]))
		return 0;
	if (j > 0 && (is_alpha((unsigned char)s[j - 1]) || ((s[j - 1] == '.' || s[j - 1] == ',') && j > 1 && is_digit((unsigned char)s[j - 2]))))
		return 0;
	while (j < to && is_digit((unsigned char)s[j]) && j - i < 12) {
		if (k + 1 < bufsz)
			buf[k++] = s[j];
		j++;
	}
	if (j + 1 < to && (s[j] == '.' || s[j] == ',') && is_digit((unsigned char)s[j + 1])) {
		size_t d = j + 1;
		while (d < to && is_digit((unsigned char)s[d]))
			d++;
		/* "250,000": thousands, not a decimal comma */
		bool thousands = s[j] == ',' && d - (j + 1) == 3 && j - i <= 3;
		if (!thousands && k + 1 < bufsz)
			buf[k++] = '.';
		for (size_t q = j + 1; q < d && q - (j + 1) < 8; q++)
			if (k + 1 < bufsz)
				buf[k++] = s[q];
		j = d;
	}
	buf[k] = 0;
	return j;
}

/* Comparator at i ("<", ">=", "≤", "≥"); returns its end, writes it to buf. */
static size_t parse_cmp(const char *s, size_t to, size_t i, char *buf)
{
	buf[0] = 0;
	if (i < to && (s[i] == '<' || s[i] == '>')) {
		if (i + 1 < to && s[i + 1] == '=') {
			memcpy(buf, s + i, 2);
			buf[2] = 0;
			return i + 2;
		}
		buf[0] = s[i];
		buf[1] = 0;
		return i + 1;
	}
	if (i + 2 < to && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x89 &&
	    ((unsigned char)s[i + 2] == 0xa4 || (unsigned char)s[i + 2] == 0xa5)) {
		memcpy(buf, s + i, 3);
		buf[3] = 0;
		return i + 3;
	}
	return i;
}

/* [cmp] num [- num] ['%'] at i. want_pct: 1 requires '%', 0 takes it if there. */
static size_t parse_quant(const char *s, size_t to, size_t i, int want_pct, char *out, size_t outsz)
{
	char cmp[4], a[24], b[24] = "";
	size_t j = parse_cmp(s, to, i, cmp);
	j = skip_ws(s, j, to);
	size_t e = parse_num(s, to, j, a, sizeof(a));
	if (!e)
		return 0;
	j = e;
	size_t r = skip_ws(s, j, to);
	if (r < to && s[r] == '-' && !cmp[0]) {
		size_t e2 = parse_num(s, to, skip_ws(s, r + 1, to), b, sizeof(b));
		if (e2) {
			size_t q = skip_ws(s, e2, to);
			if (q < to && s[q] == '%')
				j = e2;
			else
				b[0] = 0;
		}
	}
	size_t q = skip_ws(s, j, to);
	bool pct = q < to && s[q] == '%';
	if (want_pct == 1 && !pct)
		return 0;
	if (pct)
		j = q + 1;
	else if (j < to && (is_alpha((unsigned char)s[j]) || s[j] == '/'))
		return 0;
	snprintf(out, outsz, "%s%s%s%s%s", cmp, a, b[0] ? "-" : "", b, pct ? "%" : "");
	return j;
}

static const char *const aa3[][2] = {
	{ "Ala", "A" }, { "Arg", "R" }, { "Asn", "N" }, { "Asp", "D" }, { "Cys", "C" }, { "Gln", "Q" },
	{ "Glu", "E" }, { "Gly", "G" }, { "His", "H" }, { "Ile", "I" }, { "Leu", "L" }, { "Lys", "K" },
	{ "Met", "M" }, { "Phe", "F" }, { "Pro", "P" }, { "Ser", "S" }, { "Thr", "T" }, { "Trp", "W" },
	{ "Tyr", "Y" }, { "Val", "V" }, { "Ter", "*" },
};

/* One amino acid at i: three-letter ("Gly") or one-letter ("G"). */
static size_t parse_aa(const char *s, size_t to, size_t i, char *one)
{
	if (i + 3 <= to)
		for (size_t k = 0; k < ARRAY_SIZE(aa3); k++)
			if (memcmp(s + i, aa3[k][0], 3) == 0) {
				*one = aa3[k][1][0];
				return i + 3;
			}
	if (i < to && strchr("ACDEFGHIKLMNPQRSTVWY", s[i]) && s[i]) {
		*one = s[i];
		return i + 1;
	}
	return 0;
}

/* A protein change: [p.][(]AA digits (AA|*|fs|del|ins|dup)[)], or AAn_AAm(del|ins|delins|dup). */
static size_t parse_variant(const char *s, size_t to, size_t i, char *out, size_t outsz)
{
	size_t j = i;
	if (j > 0 && is_alnum((unsigned char)s[j - 1]))
		return 0;
	if (j + 1 < to && s[j] == 'p' && s[j + 1] == '.')
		j += 2;
	bool paren = j < to && s[j] == '(';
	if (paren)
		j++;
	char a1, a2;
	size_t e = parse_aa(s, to, j, &a1);
	if (!e || e >= to || !is_digit((unsigned char)s[e]))
		return 0;
	char pos[8];
	size_t k = 0;
	j = e;
	while (j < to && is_digit((unsigned char)s[j]) && k < 6)
		pos[k++] = s[j++];
	pos[k] = 0;
	if (j < to && is_digit((unsigned char)s[j]))
		return 0;
	char tail[24] = "";
	if (j < to && s[j] == '_') {
		char b1, pos2[8];
		size_t e2 = parse_aa(s, to, j + 1, &b1);
		if (!e2)
			return 0;
		size_t q = 0;
		j = e2;
		while (j < to && is_digit((unsigned char)s[j]) && q < 6)
			pos2[q++] = s[j++];
		pos2[q] = 0;
		if (!q)
			return 0;
		size_t m = 0;
		while (j < to && is_alpha((unsigned char)s[j]) && m < 10)
			m++, j++;
		if (m < 3)
			return 0;
		snprintf(tail, sizeof(tail), "_%c%s%.*s", b1, pos2, (int)m, s + j - m);
		a2 = 0;
	} else if (match_at(s, to, j, "delins", false)) {
		j += 6;
		snprintf(tail, sizeof(tail), "delins");
		a2 = 0;
	} else if (match_at(s, to, j, "fs", false) || match_at(s, to, j, "del", false) ||
	           match_at(s, to, j, "ins", false) || match_at(s, to, j, "dup", false)) {
		size_t m = s[j] == 'f' ? 2 : 3;
		snprintf(tail, sizeof(tail), "%.*s", (int)m, s + j);
		j += m;
		a2 = 0;
		while (j < to && (is_alnum((unsigned char)s[j]) || s[j] == '*'))
			j++;
	} else if (j < to && s[j] == '*') {
		a2 = '*';
		j++;
	} else {
		size_t e3 = parse_aa(s, to, j, &a2);
		if (!e3)
			return 0;
		j = e3;
	}
	if (paren) {
		if (j < to && s[j] == ')')
			j++;
		else
			return 0;
	}
	if (j < to && is_alnum((unsigned char)s[j]))
		return 0;
	if (a2)
		snprintf(out, outsz, "%c%s%c", a1, pos, a2);
	else
		snprintf(out, outsz, "%c%s%s", a1, pos, tail);
	return j;
}

static const char *exon_kind(const char *s, size_t to, size_t *j)
{
	static const struct { const char *w, *n; } k[] = {
		{ "deletions", "deletion" }, { "deletion", "deletion" }, { "del", "deletion" },
		{ "insertions", "insertion" }, { "insertion", "insertion" }, { "ins", "insertion" },
		{ "skipping", "skipping" }, { "skip", "skipping" },
		{ "缺失", "deletion" }, { "插入", "insertion" }, { "跳跃", "skipping" },
	};
	size_t q = skip_ws(s, *j, to);
	if (q < to && s[q] == '-')
		q++;
	for (size_t i = 0; i < ARRAY_SIZE(k); i++) {
		size_t e = (unsigned char)k[i].w[0] < 0x80 ? match_at(s, to, q, k[i].w, true) : match_at(s, to, q, k[i].w, false);
		if (e && ((unsigned char)k[i].w[0] >= 0x80 || e >= to || !is_alpha((unsigned char)s[e]))) {
			*j = e;
			return k[i].n;
		}
	}
	return NULL;
}

/* "exon 19 deletion", "ex19del", "exon19 del", "19外显子缺失", "外显子19缺失". */
static size_t parse_exon(const char *s, size_t to, size_t i, char *out, size_t outsz)
{
	static const char zh[] = "外显子";
	char num[8];
	size_t j = 0;
	bool zh_after = false;
	if (is_digit((unsigned char)s[i])) {
		if (i > 0 && is_alnum((unsigned char)s[i - 1]))
			return 0;
		size_t e = parse_num(s, to, i, num, sizeof(num));
		if (!e)
			return 0;
		e = skip_ws(s, e, to);
		j = match_at(s, to, e, zh, false);
		if (!j)
			return 0;
		zh_after = true;
	} else {
		size_t e = match_at(s, to, i, zh, false);
		if (!e) {
			if (i > 0 && is_alpha((unsigned char)s[i - 1]))
				return 0;
			e = match_at(s, to, i, "exon", true);
			if (!e)
				e = match_at(s, to, i, "ex", true);
			if (!e)
				return 0;
			if (e < to && (s[e] == 's' || s[e] == 'S'))
				e++;
		}
		e = skip_ws(s, e, to);
		size_t q = 0;
		j = e;
		while (j < to && is_digit((unsigned char)s[j]) && q < 3)
			num[q++] = s[j++];
		num[q] = 0;
		if (!q || (j < to && (is_digit((unsigned char)s[j]) || s[j] == '.')))
			return 0;
	}
	const char *kind = exon_kind(s, to, &j);
	if (!kind)
		return 0;
	(void)zh_after;
	snprintf(out, outsz, "exon %s %s", num, kind);
	return j;
}

/* "deletion in exon 19". */
static size_t parse_exon_after(const char *s, size_t to, size_t i, char *out, size_t outsz)
{
	static const struct { const char *w, *n; } k[] = {
		{ "deletion", "deletion" }, { "insertion", "insertion" }, { "skipping", "skipping" },
	};
	for (size_t q = 0; q < ARRAY_SIZE(k); q++) {
		size_t e = match_word(s, to, i, k[q].w);
		if (!e)
			continue;
		e = skip_ws(s, e, to);
		size_t f = match_word(s, to, e, "in");
		if (!f)
			f = match_word(s, to, e, "of");
		if (!f)
			return 0;
		f = skip_ws(s, f, to);
		size_t g = match_at(s, to, f, "exon", true);
		if (!g)
			return 0;
		char num[8];
		g = parse_num(s, to, skip_ws(s, g, to), num, sizeof(num));
		if (!g)
			return 0;
		snprintf(out, outsz, "exon %s %s", num, k[q].n);
		return g;
	}
	return 0;
}

/* After a score keyword: skip ' ', ':', '=', '(' and "of", "is". */
static size_t after_key(const char *s, size_t to, size_t j)
{
	for (int guard = 0; guard < 8 && j < to; guard++) {
		if (s[j] == ' ' || s[j] == ':' || s[j] == '=' || s[j] == '(' || s[j] == '~') {
			j++;
			continue;
		}
		size_t e = match_at(s, to, j, "约", false);
		if (!e)
			e = match_word(s, to, j, "of");
		if (!e)
			e = match_word(s, to, j, "approximately");
		if (!e)
			e = match_word(s, to, j, "approx");
		if (!e)
			e = match_word(s, to, j, "is");
		if (!e)
			e = match_word(s, to, j, "score");
		if (!e)
			break;
		j = e;
	}
	return j;
}

/* Signs: "+", "-", "++", "+++" followed by a non-letter. */
static size_t parse_signs(const char *s, size_t to, size_t i, char *sign, int *count)
{
	size_t j = i;
	char c = s[i];
	if (c != '+' && c != '-')
		return 0;
	while (j < to && s[j] == c && j - i < 3)
		j++;
	if (j < to && (is_alnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '-'))
		return 0;
	*sign = c;
	*count = (int)(j - i);
	return j;
}

static void set_sign(struct parsed *p, const char *marker, char sign, int count, size_t end)
{
	if (p->main)
		return;
	p->main = sign == '+' ? "positive" : "negative";
	if (sign == '+' && count >= 2 && strcmp(marker, "HER2") == 0 && !p->ihc[0])
		{ p->ihc[0] = (char)('0' + count); p->ihc[1] = '+'; p->ihc[2] = 0; }
	note(p, 1, end);
}

/* Everything in the window [from, to) that says a result. */
static void parse_window(const struct ntext *t, size_t from, size_t to, const char *marker, struct parsed *p)
{
	const char *s = t->s;
	char sign;
	int cnt;
	size_t e;

	/* A sign right after the name ("ER+", "HER2-", "ER: +"). */
	size_t j = skip_ws(s, from, to);
	if (strcmp(marker, "HER2") == 0 && j > from && j < to && s[j] == '0' &&
	    (j + 1 >= to || s[j + 1] == ' ' || s[j + 1] == ',' || s[j + 1] == ';' || s[j + 1] == ')')) {
		snprintf(p->ihc, sizeof(p->ihc), "0");
		note(p, 1, j + 1);
	}
	j = from;
	if (j < to && (s[j] == '+' || s[j] == '-') && (e = parse_signs(s, to, j, &sign, &cnt)))
		set_sign(p, marker, sign, cnt, e);
	else {
		j = skip_ws(s, j, to);
		if (j < to && s[j] == ':') {
			j = skip_ws(s, j + 1, to);
			if ((e = parse_signs(s, to, j, &sign, &cnt)))
				set_sign(p, marker, sign, cnt, e);
			else if (j < to && s[j] == '0' && (j + 1 >= to || !(is_alnum((unsigned char)s[j + 1]) || s[j + 1] == '.' ||
			                                                   s[j + 1] == ',' || s[j + 1] == '%' || s[j + 1] == '/'))) {
				snprintf(p->ihc, sizeof(p->ihc), "0");
				note(p, 1, j + 1);
			}
		}
	}

	for (size_t i = from; i < to && !p->stop_hit;) {
		unsigned char c = (unsigned char)s[i];
		char buf[48];

		if (c == '(') {
			size_t q = skip_ws(s, i + 1, to);
			if ((e = parse_signs(s, to, q, &sign, &cnt))) {
				size_t r = skip_ws(s, e, to);
				if (r < to && (s[r] == ')' || s[r] == ',' || s[r] == ';')) {
					set_sign(p, marker, sign, cnt, s[r] == ')' ? r + 1 : e);
					i = e;
					continue;
				}
			}
			i++;
			continue;
		}
		if (c == '%' && i + 1 < to && is_digit((unsigned char)s[i + 1])) {
			/* "%90" (Turkish) */
			char q[24];
			e = parse_num(s, to, i + 1, q, sizeof(q));
			if (e && !p->pct[0])
				snprintf(p->pct, sizeof(p->pct), "%s%%", q);
			if (e) {
				note(p, 1, e);
				i = e;
				continue;
			}
		}
		if (is_digit(c) || c == '<' || c == '>' || c == 0xe2) {
			if (is_digit(c) && (e = parse_exon(s, to, i, buf, sizeof(buf)))) {
				if (!p->variant[0])
					snprintf(p->variant, sizeof(p->variant), "%s", buf);
				note(p, 1, e);
				p->weak_mut = true;
				i = e;
				continue;
			}
			/* IHC score "2+" */
			if (c >= '0' && c <= '3' && !(i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '.'))) {
				size_t q = skip_ws(s, i + 1, to);
				if (q < to && s[q] == '+' && (q + 1 >= to || !(is_digit((unsigned char)s[q + 1]) || s[q + 1] == '+'))) {
					if (!p->ihc[0])
						snprintf(p->ihc, sizeof(p->ihc), "%c+", c);
					note(p, 1, q + 1);
					i = q + 1;
					continue;
				}
			}
			char q[32];
			if ((e = parse_quant(s, to, i, 1, q, sizeof(q)))) {
				if (!p->pct[0])
					snprintf(p->pct, sizeof(p->pct), "%s", q);
				note(p, 1, e);
				i = e;
				continue;
			}
			if (is_digit(c) && (e = parse_quant(s, to, i, 0, q, sizeof(q)))) {
				size_t r = skip_ws(s, e, to);
				static const char *const tmbu[] = { "mutations per megabase", "mutations/megabase",
				                                    "mutations/Mb", "muts/Mb", "mut/Mb", "mut/megabase" };
				for (size_t k = 0; k < ARRAY_SIZE(tmbu); k++) {
					size_t f = match_at(s, to, r, tmbu[k], true);
					if (f) {
						if (!p->score[0])
							snprintf(p->score, sizeof(p->score), "%s mut/Mb", q);
						note(p, 1, f);
						e = f;
						break;
					}
				}
				i = e;
				continue;
			}
			i++;
			continue;
		}
		if (is_alpha(c) && !(i > 0 && is_alnum((unsigned char)s[i - 1]))) {
			if ((e = parse_variant(s, to, i, buf, sizeof(buf)))) {
				if (!p->variant[0])
					snprintf(p->variant, sizeof(p->variant), "%s", buf);
				if (e > p->end)
					p->end = e;
				i = e;
				continue;
			}
			if ((e = parse_exon(s, to, i, buf, sizeof(buf))) || (e = parse_exon_after(s, to, i, buf, sizeof(buf)))) {
				if (!p->variant[0])
					snprintf(p->variant, sizeof(p->variant), "%s", buf);
				p->weak_mut = true;
				note(p, 1, e);
				i = e;
				continue;
			}
			static const struct { const char *k, *label; bool first; } keys[] = {
				{ "tumour proportion score", "TPS", true }, { "tumor proportion score", "TPS", true },
				{ "TPS", "TPS", true }, { "combined positive score", "CPS", true }, { "CPS", "CPS", true },
				{ "TAP", "TAP", true }, { "Allred", "Allred", false }, { "H-score", "H-score", false },
				{ "H score", "H-score", false }, { "ratio", "ratio", false }, { "copy number", "copy number", false },
				{ "IHC", NULL, false }, { "score", "score", false }, { "HercepTest", NULL, false },
			};
			bool used = false;
			for (size_t k = 0; k < ARRAY_SIZE(keys) && !used; k++) {
				size_t ke = match_word(s, to, i, keys[k].k);
				if (!ke)
					continue;
				size_t v = after_key(s, to, ke);
				char q[32];
				if (!keys[k].label || strcmp(keys[k].label, "score") == 0) {
					/* "IHC 0", "score 2+", "IHC score: 1+" */
					if (v < to && s[v] >= '0' && s[v] <= '3') {
						size_t w = skip_ws(s, v + 1, to);
						bool plus = w < to && s[w] == '+';
						if (plus || w >= to || !(is_alnum((unsigned char)s[v + 1]) || s[v + 1] == '.' ||
						                        s[v + 1] == ',' || s[v + 1] == '%' || s[v + 1] == '/')) {
							if (!p->ihc[0])
								snprintf(p->ihc, sizeof(p->ihc), plus ? "%c+" : "%c", s[v]);
							note(p, 1, plus ? w + 1 : v + 1);
							i = plus ? w + 1 : v + 1;
							used = true;
							break;
						}
					}
					if (!keys[k].label) {
						i = ke;
						used = true;
						break;
					}
				}
				if (strcmp(keys[k].label, "Allred") == 0) {
					char a[8], b[8];
					size_t f = parse_num(s, to, v, a, sizeof(a));
					if (f) {
						size_t g = skip_ws(s, f, to);
						if (g < to && s[g] == '/' && (g = parse_num(s, to, skip_ws(s, g + 1, to), b, sizeof(b)))) {
							snprintf(p->score, sizeof(p->score), "Allred %s/%s", a, b);
							f = g;
						} else {
							snprintf(p->score, sizeof(p->score), "Allred %s", a);
						}
						note(p, 1, f);
						i = f;
						used = true;
					}
					break;
				}
				if (strcmp(keys[k].label, "ratio") == 0) {
					/* "HER2/CEP17 ratio: 1.3", "allelic ratio 0.6" */
					size_t f = parse_num(s, to, v, q, sizeof(q));
					if (f && strchr(q, '.')) {
						if (!p->score[0])
							snprintf(p->score, sizeof(p->score), "ratio %s", q);
						note(p, 1, f);
						i = f;
						used = true;
					}
					break;
				}
				size_t f = parse_quant(s, to, v, 0, q, sizeof(q));
				if (f) {
					if (!p->score[0] || keys[k].first) {
						snprintf(p->score, sizeof(p->score), "%s %s", keys[k].label, q);
						p->score_first = keys[k].first;
					}
					note(p, 1, f);
					i = f;
					used = true;
				}
				break;
			}
			if (used)
				continue;
		}
		if (c >= 0x80 && (e = parse_exon(s, to, i, buf, sizeof(buf)))) {
			if (!p->variant[0])
				snprintf(p->variant, sizeof(p->variant), "%s", buf);
			p->weak_mut = true;
			note(p, 1, e);
			i = e;
			continue;
		}
		const struct rword *w = rword_at(s, to, i, &e);
		if (w) {
			switch (w->kind) {
			case R_MAIN: {
				/* "19外显子缺失突变", "G12C mutation": names the variant */
				if (p->variant[0] && !p->main && strcmp(w->norm, "mutated") == 0) {
					p->weak_mut = true;
					note(p, 1, e);
					break;
				}
				/* "negative for MUM1": the words belong to what follows */
				size_t f = skip_ws(s, e, to);
				if (match_word(s, to, f, "for") || (f < to && s[f] == ':')) {
					p->stop_hit = true;
					break;
				}
				if (!p->main)
					p->main = w->norm;
				note(p, 1, e);
				break;
			}
			case R_WEAKMUT:
				p->weak_mut = true;
				if (e > p->end && p->variant[0])
					p->end = e;
				break;
			case R_PENDING:
				note(p, 2, e);
				break;
			case R_INSUFF:
				note(p, 3, e);
				break;
			case R_STOP:
				p->stop_hit = true;
				break;
			}
			i = e;
			continue;
		}
		/* step over a word or one character */
		if (is_alnum(c)) {
			while (i < to && is_alnum((unsigned char)s[i]))
				i++;
		} else {
			i++;
			while (i < to && ((unsigned char)s[i] & 0xc0) == 0x80)
				i++;
		}
	}
}

/* Has the parse something that counts as a result? */
static bool parsed_has_result(const struct parsed *p)
{
	return p->main || p->ihc[0] || p->pct[0] || p->score[0] || (p->variant[0] && (p->weak_mut || p->main));
}

static char *compose(const struct parsed *p, const char *marker, const char *implied)
{
	const char *main = implied ? implied : p->main;
	char extras[96] = "";
	struct strbuf b;
	strbuf_init(&b, 256);

	if (main && strcmp(marker, "MSI") == 0) {
		if (strcmp(main, "high") == 0 || strcmp(main, "positive") == 0)
			main = "MSI-H";
		else if (strcmp(main, "low") == 0)
			main = "MSI-L";
	}
	if (p->ihc[0])
		snprintf(extras + strlen(extras), sizeof(extras) - strlen(extras), "%sIHC %s", extras[0] ? ", " : "", p->ihc);
	if (p->pct[0])
		snprintf(extras + strlen(extras), sizeof(extras) - strlen(extras), "%s%s", extras[0] ? ", " : "", p->pct);
	if (p->score[0] && !p->score_first)
		snprintf(extras + strlen(extras), sizeof(extras) - strlen(extras), "%s%s", extras[0] ? ", " : "", p->score);

	if (p->variant[0] && !implied) {
		bool exon = strstr(p->variant, "exon") != NULL;
		const char *st = main ? main : "detected";
		if (!main && p->weak_mut && !exon)
			st = "mutated";
		if (exon && strcmp(st, "mutated") == 0)
			st = "detected";
		strbuf_printf(&b, "%s %s", p->variant, st);
	} else if (p->score[0] && p->score_first) {
		strbuf_puts(&b, p->score);
		if (main || p->pct[0] || p->ihc[0]) {
			strbuf_puts(&b, " (");
			if (main)
				strbuf_printf(&b, "%s%s", main, extras[0] ? ", " : "");
			strbuf_printf(&b, "%s)", extras);
		}
	} else if (main) {
		strbuf_puts(&b, main);
		if (extras[0])
			strbuf_printf(&b, " (%s)", extras);
	} else {
		strbuf_puts(&b, extras);
	}
	return strbuf_steal(&b);
}

/* ------------------------------------------------------------------ */
/* Biomarkers */

#define MAX_MENTIONS 8192
#define WINDOW 120

struct mention {
	size_t s, e;
	const struct syn *syn;
	struct parsed p;
	bool done, has;
	size_t snip_s, snip_e;
	int state;              /* 0 nothing, FINDING_* + 1 */
	char *result;
};

/* The gap [a, b) holds only list joiners: spaces, ",", "/", "&", "(", ")", ":", "and", "or", "和", "及". */
static bool gap_is_joiner(const char *s, size_t a, size_t b)
{
	size_t i = a;
	while (i < b) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == ',' || c == '/' || c == '&' || c == '(' || c == ')') {
			i++;
			continue;
		}
		size_t e;
		if ((e = match_word(s, b, i, "and")) || (e = match_word(s, b, i, "or")) ||
		    (e = match_word(s, b, i, "et")) || (e = match_word(s, b, i, "y")) ||
		    (e = match_word(s, b, i, "und")) || (e = match_word(s, b, i, "ve")) ||
		    (e = match_at(s, b, i, "和", false)) || (e = match_at(s, b, i, "及", false))) {
			i = e;
			continue;
		}
		return false;
	}
	return true;
}

/* Words before a list that carry its result: "positive for CD20, CD10". */
static const struct { const char *w; const char *norm; } prefixes[] = {
	{ "positive for", "positive" }, { "negative for", "negative" }, { "positivity for", "positive" },
	{ "immunoreactive for", "positive" }, { "reactive for", "positive" }, { "expression of", "positive" },
	{ "no loss of", "intact" }, { "loss of", "loss" }, { "retained expression of", "retained" },
	{ "intact expression of", "intact" }, { "loss of expression of", "loss" }, { "positive:", "positive" },
	{ "negative:", "negative" }, { "positive :", "positive" }, { "negative :", "negative" },
	{ "mutations in", "mutated" }, { "mutation in", "mutated" }, { "no mutation in", "not detected" },
	{ "no mutations in", "not detected" }, { "amplification of", "amplified" },
	{ "no amplification of", "not amplified" }, { "no evidence of", NULL },
	{ "no alterations detected in", "not detected" }, { "no actionable alterations detected in", "not detected" },
	{ "no actionable alterations in", "not detected" }, { "no mutations detected in", "not detected" },
	{ "no pathogenic variants in", "not detected" }, { "no variants detected in", "not detected" },
	{ "no clinically relevant alterations in", "not detected" }, { "no fusions detected in", "no fusion detected" },
	{ "no fusion detected in", "no fusion detected" }, { "wild-type for", "wild-type" },
};

static const char *prefix_result(const char *s, size_t ls, size_t q, size_t *pstart)
{
	const char *best = NULL;
	size_t blen = 0;
	for (size_t k = 0; k < ARRAY_SIZE(prefixes); k++) {
		size_t l = strlen(prefixes[k].w);
		if (l > q - ls || l <= blen)
			continue;
		if (match_at(s, q, q - l, prefixes[k].w, true) != q)
			continue;
		if (q - l > 0 && is_alpha((unsigned char)s[q - l - 1]))
			continue;
		best = prefixes[k].norm;
		blen = l;
		*pstart = q - l;
		if (!best) /* "no evidence of": a negation that stops here */
			return NULL;
	}
	return best;
}

/* Request words before the name on its line: "Tests requested: HER2". */
static bool line_requests(const char *s, size_t ls, size_t ms)
{
	static const char *const req[] = { "request", "requested", "ordered", "pending", "send out", "sent for",
	                                   "will be", "to be", "planned", "recommend", "recommended", "consider",
	                                   "awaiting", "待检", "送检", "待定" };
	size_t a = ms > ls + 160 ? ms - 160 : ls;
	for (size_t i = a; i < ms; i++)
		for (size_t k = 0; k < ARRAY_SIZE(req); k++) {
			size_t e = (unsigned char)req[k][0] < 0x80 ? match_at(s, ms, i, req[k], true) : match_at(s, ms, i, req[k], false);
			if (e && ((unsigned char)req[k][0] >= 0x80 || i == 0 || !is_alpha((unsigned char)s[i - 1])))
				return true;
		}
	return false;
}

/* Take in the ")" that closes a "(" opened inside [a, b). */
static size_t close_parens(const struct ntext *t, size_t a, size_t b)
{
	int open = 0;
	for (size_t i = a; i < b; i++)
		if (t->s[i] == '(')
			open++;
		else if (t->s[i] == ')' && open > 0)
			open--;
	for (size_t i = b; open > 0 && i < t->n && i - b < 24 && t->s[i] != '\n'; i++) {
		if (t->s[i] == ')') {
			open--;
			b = i + 1;
		} else if (t->s[i] == '(') {
			break;
		}
	}
	return b;
}

static size_t window_end(const struct ntext *t, size_t e, size_t next_s)
{
	const char *s = t->s;
	size_t lim = MIN(t->n, e + WINDOW);
	if (next_s < lim)
		lim = next_s;
	/* "HER2 status:" at the end of a line: the result may be on the next one */
	size_t i = e;
	bool colon = false;
	while (i < lim && s[i] != '\n') {
		if (s[i] == ':')
			colon = true;
		else if (s[i] != ' ')
			break;
		i++;
	}
	bool next_line = colon && i < lim && s[i] == '\n';
	for (i = e; i < lim; i++) {
		char c = s[i];
		if (c == '\n') {
			if (next_line) {
				next_line = false;
				continue;
			}
			return i;
		}
		if (c == ';')
			return i;
		if (c == '.' && (i + 1 >= t->n || s[i + 1] == ' ' || s[i + 1] == '\n') &&
		    !(i > 0 && is_digit((unsigned char)s[i - 1]) && i + 1 < t->n && is_digit((unsigned char)s[i + 1])))
			return i;
	}
	return lim;
}

static void biomarker_free_one(struct biomarker *b)
{
	free(b->result);
	free(b->snippet);
}

void biomarker_list_free(struct biomarker_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		biomarker_free_one(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const struct biomarker *biomarker_find(const struct biomarker_list *l, const char *name)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->v[i].state == FINDING_FOUND && strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

const char *finding_state_name(enum finding_state s)
{
	switch (s) {
	case FINDING_FOUND: return "found";
	case FINDING_PENDING: return "pending";
	case FINDING_INSUFFICIENT: return "insufficient";
	}
	return "unknown";
}

static void list_add(struct biomarker_list *l, const struct ntext *t, const struct mention *m)
{
	enum finding_state st = (enum finding_state)(m->state - 1);
	size_t same = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct biomarker *b = &l->v[i];
		if (strcmp(b->name, m->syn->name) != 0)
			continue;
		if (st != FINDING_FOUND) {
			/* insufficient tells more than pending; found beats both */
			if (b->state == FINDING_PENDING && st == FINDING_INSUFFICIENT) {
				biomarker_free_one(b);
				b->state = st;
				b->result = xstrdup(m->result);
				b->snippet = snippet(t, m->snip_s, m->snip_e);
				b->offset = t->off[m->snip_s];
			}
			return;
		}
		if (b->state != FINDING_FOUND) {
			biomarker_free_one(b);
			b->state = st;
			b->result = xstrdup(m->result);
			b->snippet = snippet(t, m->snip_s, m->snip_e);
			b->offset = t->off[m->snip_s];
			return;
		}
		if (strcmp(b->result, m->result) == 0)
			return;
		same++;
	}
	if (same >= 6 || l->n >= FINDINGS_MAX_BIOMARKERS)
		return;
	struct biomarker *b = &l->v[l->n++];
	b->name = m->syn->name;
	b->state = st;
	b->result = xstrdup(m->result);
	b->snippet = snippet(t, m->snip_s, m->snip_e);
	b->offset = t->off[m->snip_s];
	b->panel = m->syn->flags & S_PANEL;
}

int findings_biomarkers(const char *text, size_t len, struct biomarker_list *out)
{
	if (!out || (!text && len))
		return -EINVAL;
	struct biomarker_list l = { .v = xcalloc(FINDINGS_MAX_BIOMARKERS, sizeof(struct biomarker)), .n = 0 };
	if (!text || !len) {
		*out = l;
		return 0;
	}
	tables_ready();
	struct ntext t;
	ntext_build(&t, text, len);
	const struct first_index *ix = &syn_ix;

	/* 1. every mention of a marker name, longest name first */
	struct mention *ms = NULL;
	size_t nm = 0, cap = 0;
	for (size_t i = 0; i < t.n && nm < MAX_MENTIONS;) {
		unsigned char c = (unsigned char)t.s[i];
		if ((c & 0xc0) == 0x80 || (is_alnum(c) && i > 0 && is_alnum((unsigned char)t.s[i - 1]))) {
			i++;
			continue;
		}
		size_t be = 0;
		const struct syn *bs = NULL;
		for (FIDX_EACH(ix, c, q)) {
			const struct syn *sy = &syns[ix->order[q]];
			size_t e = syn_match(&t, i, sy);
			if (e > be) {
				be = e;
				bs = sy;
			}
		}
		if (!bs) {
			i++;
			continue;
		}
		if (nm == cap) {
			cap = cap ? cap * 2 : 64;
			ms = xrealloc(ms, cap * sizeof(*ms));
		}
		ms[nm++] = (struct mention){ .s = i, .e = be, .syn = bs };
		i = be;
	}

	/* 2. results, from the last mention back so a list can take what follows it */
	for (size_t k = nm; k-- > 0;) {
		struct mention *m = &ms[k];
		size_t nx = k + 1;
		/* "HER2: not amplified, HER2/CEP17 ratio 1.3": one statement */
		while (nx < nm && nx - k < 8 && ms[nx].syn->name == m->syn->name && !ms[nx].syn->implied &&
		       !gap_is_joiner(t.s, m->e, ms[nx].s))
			nx++;
		size_t next_s = nx < nm ? ms[nx].s : t.n;
		size_t we = window_end(&t, m->e, next_s);
		const char *implied = m->syn->implied;
		parse_window(&t, m->e, we, m->syn->name, &m->p);
		m->snip_s = m->s;
		m->snip_e = close_parens(&t, m->s, MAX(m->e, m->p.end));
		size_t ls = line_start(&t, m->s);

		if (implied) {
			/* "MSI-H testing recommended" names a test, not a result */
			size_t q = skip_ws(t.s, m->e, t.n);
			if (match_word(t.s, t.n, q, "test") || match_word(t.s, t.n, q, "testing") || line_requests(t.s, ls, m->s))
				implied = NULL;
		}
		if (implied && (m->p.first == 0 || m->p.first == 1)) {
			m->state = FINDING_FOUND + 1;
			m->result = compose(&m->p, m->syn->name, implied);
			continue;
		}
		if (m->p.first == 1 && parsed_has_result(&m->p)) {
			m->state = FINDING_FOUND + 1;
			m->result = compose(&m->p, m->syn->name, NULL);
			continue;
		}
		if (m->p.first == 2 || m->p.first == 3) {
			m->state = (m->p.first == 2 ? FINDING_PENDING : FINDING_INSUFFICIENT) + 1;
			m->result = xstrdup(m->p.first == 2 ? "pending" : "insufficient");
			continue;
		}
		/* a list sharing what follows: "ER and PR positive" */
		if (k + 1 < nm && nx == k + 1 && we == next_s && ms[k + 1].state && !ms[k + 1].p.variant[0] &&
		    gap_is_joiner(t.s, m->e, next_s)) {
			m->state = ms[k + 1].state;
			m->result = xstrdup(ms[k + 1].result);
			m->snip_s = MIN(m->s, ms[k + 1].snip_s);
			m->snip_e = ms[k + 1].snip_e;
			continue;
		}
		/* what comes before: "positive for CD20, CD10 and BCL6" */
		size_t q = m->s;
		for (size_t back = k, guard = 0; guard < 32; guard++) {
			while (q > ls && (t.s[q - 1] == ' ' || t.s[q - 1] == ',' || t.s[q - 1] == '/' || t.s[q - 1] == '('))
				q--;
			if (q >= ls + 3 && match_word(t.s, q, q - 3, "and") == q) {
				q -= 3;
				continue;
			}
			if (back > 0 && ms[back - 1].e == q && ms[back - 1].s >= ls) {
				back--;
				q = ms[back].s;
				continue;
			}
			break;
		}
		size_t ps;
		const char *pr = prefix_result(t.s, ls, q, &ps);
		if (pr) {
			m->p.main = pr;
			m->state = FINDING_FOUND + 1;
			m->result = compose(&m->p, m->syn->name, NULL);
			m->snip_s = ps;
			continue;
		}
		if (line_requests(t.s, ls, m->s)) {
			m->state = FINDING_PENDING + 1;
			m->result = xstrdup("pending");
		}
	}

	/* 3. one entry per marker and result, in the order of the text */
	for (size_t k = 0; k < nm; k++) {
		if (!ms[k].state || !ms[k].result)
			continue;
		/* already inside an earlier statement about the same marker */
		bool inside = false;
		for (size_t j = k > 16 ? k - 16 : 0; j < k && !inside; j++)
			inside = ms[j].state == FINDING_FOUND + 1 && ms[j].syn->name == ms[k].syn->name &&
			         ms[j].snip_e > ms[k].s && ms[j].snip_s <= ms[k].s;
		if (!inside)
			list_add(&l, &t, &ms[k]);
	}
	for (size_t k = 0; k < nm; k++)
		free(ms[k].result);
	free(ms);
	ntext_free(&t);
	*out = l;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dates */

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec" };

static bool valid_ymd(int y, int m, int d)
{
	static const int dim[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= dim[m - 1];
}

static void iso_set(char iso[11], int y, int m, int d)
{
	char b[48];
	snprintf(b, sizeof(b), "%04d-%02d-%02d", y, m, d);
	memcpy(iso, b, 10);
	iso[10] = 0;
}

static size_t read_int(const char *s, size_t to, size_t i, int maxd, int *v)
{
	size_t j = i;
	*v = 0;
	while (j < to && is_digit((unsigned char)s[j]) && (int)(j - i) < maxd)
		*v = *v * 10 + (s[j++] - '0');
	if (j == i || (j < to && is_digit((unsigned char)s[j])))
		return 0;
	return j;
}

static int month_name(const char *s, size_t to, size_t i, size_t *end)
{
	if (i + 3 > to)
		return 0;
	for (int m = 0; m < 12; m++)
		if (lower((unsigned char)s[i]) == months[m][0] && lower((unsigned char)s[i + 1]) == months[m][1] &&
		    lower((unsigned char)s[i + 2]) == months[m][2]) {
			size_t j = i + 3;
			while (j < to && is_alpha((unsigned char)s[j]))
				j++;
			if (j - i > 9)
				return 0;
			*end = j;
			return m + 1;
		}
	return 0;
}

/* A date at i. Sets iso ("" when ambiguous) and returns its end, or 0. */
static size_t parse_date(const char *s, size_t to, size_t i, char iso[11])
{
	int a, b, c;
	size_t j, k, l;
	iso[0] = 0;
	if (i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '/' || s[i - 1] == '.'))
		return 0;
	/* YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日 */
	if ((j = read_int(s, to, i, 4, &a)) && j - i == 4) {
		if (j < to && (s[j] == '-' || s[j] == '/' || s[j] == '.') && (k = read_int(s, to, j + 1, 2, &b)) &&
		    k < to && s[k] == s[j] && (l = read_int(s, to, k + 1, 2, &c)) && valid_ymd(a, b, c)) {
			iso_set(iso, a, b, c);
			return l;
		}
		size_t y = match_at(s, to, j, "年", false);
		if (y && (k = read_int(s, to, y, 2, &b)) && (k = match_at(s, to, k, "月", false)) &&
		    (l = read_int(s, to, k, 2, &c)) && valid_ymd(a, b, c)) {
			size_t d = match_at(s, to, l, "日", false);
			iso_set(iso, a, b, c);
			return d ? d : l;
		}
		return 0;
	}
	/* D/M/YYYY, M/D/YYYY, D.M.YYYY, D-M-YYYY */
	if ((j = read_int(s, to, i, 2, &a)) && j < to && (s[j] == '/' || s[j] == '.' || s[j] == '-')) {
		char sep = s[j];
		if ((k = read_int(s, to, j + 1, 2, &b)) && k < to && s[k] == sep &&
		    (l = read_int(s, to, k + 1, 4, &c)) && l - (k + 1) == 4) {
			int d = 0, m = 0;
			if (sep == '.' || a > 12)
				d = a, m = b;
			else if (b > 12)
				d = b, m = a;
			else if (a == b)
				d = a, m = b;
			if (d && valid_ymd(c, m, d))
				iso_set(iso, c, m, d);
			else if (d || !(a >= 1 && b >= 1 && a <= 12 && b <= 12))
				return 0;
			return l;
		}
		/* 12-Jan-2026 */
		size_t me;
		int m;
		if ((m = month_name(s, to, j + 1, &me)) && me < to && s[me] == sep &&
		    (l = read_int(s, to, me + 1, 4, &c)) && l - (me + 1) == 4 && valid_ymd(c, m, a)) {
			iso_set(iso, c, m, a);
			return l;
		}
		return 0;
	}
	/* 12 January 2026 */
	if ((j = read_int(s, to, i, 2, &a))) {
		size_t me;
		int m;
		k = skip_ws(s, j, to);
		if ((m = month_name(s, to, k, &me))) {
			k = skip_ws(s, me, to);
			if (k < to && s[k] == ',')
				k = skip_ws(s, k + 1, to);
			if ((l = read_int(s, to, k, 4, &c)) && l - k == 4 && valid_ymd(c, m, a)) {
				iso_set(iso, c, m, a);
				return l;
			}
		}
		return 0;
	}
	/* January 12, 2026 */
	size_t me;
	int m = is_alpha((unsigned char)s[i]) ? month_name(s, to, i, &me) : 0;
	if (m) {
		k = skip_ws(s, me, to);
		if ((j = read_int(s, to, k, 2, &a))) {
			k = j < to && s[j] == ',' ? j + 1 : j;
			k = skip_ws(s, k, to);
			if ((l = read_int(s, to, k, 4, &c)) && l - k == 4 && valid_ymd(c, m, a)) {
				iso_set(iso, c, m, a);
				return l;
			}
		}
	}
	return 0;
}

/* First date in [a, b). */
static size_t find_date(const char *s, size_t a, size_t b, size_t *ds, char iso[11])
{
	for (size_t i = a; i < b; i++) {
		if (!is_alnum((unsigned char)s[i]))
			continue;
		size_t e = parse_date(s, b, i, iso);
		if (e) {
			*ds = i;
			return e;
		}
	}
	return 0;
}

struct doc_date {
	bool have;
	size_t s, e;
	char iso[11];
};

/* The document's date: a collection date first, then a report/plain date label. */
static void document_date(const struct ntext *t, struct doc_date *d)
{
	static const char *const collect[] = {
		"collected", "collection date", "date collected", "date of collection", "sample date",
		"specimen date", "date sampled", "sampling date", "drawn", "采样时间", "采样日期", "采集时间",
		"采集日期", "送检日期", "date de prélèvement", "fecha de toma", "entnahmedatum", "дата взятия",
	};
	static const char *const report[] = {
		"report date", "date of report", "reported", "date reported", "报告日期", "检验日期",
		"date:", "datum:", "fecha:", "tarih:", "дата:", "التاريخ",
	};
	const char *const *lists[2] = { collect, report };
	size_t ns[2] = { ARRAY_SIZE(collect), ARRAY_SIZE(report) };
	memset(d, 0, sizeof(*d));
	/* the bytes a label can start with, ASCII case folded */
	bool can[2][256] = { { false } };
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < ns[pass]; k++)
			can[pass][lower((unsigned char)lists[pass][k][0])] = true;
	size_t lim = MIN(t->n, (size_t)(256 * 1024));
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < lim; i++) {
			unsigned char c = lower((unsigned char)t->s[i]);
			if (!can[pass][c])
				continue;
			for (size_t k = 0; k < ns[pass]; k++) {
				const char *w = lists[pass][k];
				if (lower((unsigned char)w[0]) != c)
					continue;
				size_t e = (unsigned char)w[0] < 0x80 ? match_word(t->s, lim, i, w) : match_at(t->s, lim, i, w, false);
				if (!e)
					continue;
				/* a bare "Date:" only at the start of a line (not "Birth date:") */
				if (pass == 1 && k >= 6 && (unsigned char)w[0] < 0x80 && skip_ws(t->s, line_start(t, i), i) != i)
					continue;
				size_t end = e;
				while (end < lim && end - e < 40 && t->s[end] != '\n')
					end++;
				size_t ds, de = find_date(t->s, e, end, &ds, d->iso);
				if (de) {
					d->have = true;
					d->s = ds;
					d->e = de;
					return;
				}
			}
		}
}

/* ------------------------------------------------------------------ */
/* Labs */

#define L_CASE 0x01

struct labsyn {
	const char *s;
	const char *name;
	uint8_t flags;
};

static const struct labsyn labsyns[] = {
	{ "CEA", "CEA", 0 }, { "carcinoembryonic antigen", "CEA", 0 }, { "癌胚抗原", "CEA", 0 }, { "РЭА", "CEA", 0 },
	{ "ACE", "CEA", L_CASE },
	{ "CA 15-3", "CA 15-3", 0 }, { "CA15.3", "CA 15-3", 0 }, { "CA 27.29", "CA 27.29", 0 }, { "CA 27-29", "CA 27.29", 0 },
	{ "CA 19-9", "CA 19-9", 0 }, { "CA 19.9", "CA 19-9", 0 }, { "CA-125", "CA-125", 0 }, { "CA 125", "CA-125", 0 },
	{ "CA125 II", "CA-125", 0 }, { "CA 72-4", "CA 72-4", 0 }, { "HE4", "HE4", 0 },
	{ "PSA", "PSA", 0 }, { "total PSA", "PSA", 0 }, { "PSA total", "PSA", 0 }, { "tPSA", "PSA", 0 },
	{ "prostate specific antigen", "PSA", 0 }, { "free PSA", "free PSA", 0 }, { "fPSA", "free PSA", 0 },
	{ "AFP", "AFP", 0 }, { "alpha-fetoprotein", "AFP", 0 }, { "alpha fetoprotein", "AFP", 0 },
	{ "α-fetoprotein", "AFP", 0 }, { "甲胎蛋白", "AFP", 0 }, { "АФП", "AFP", 0 }, { "AFP-L3", "AFP-L3", 0 },
	{ "PIVKA-II", "PIVKA-II", 0 }, { "DCP", "PIVKA-II", L_CASE },
	{ "β-hCG", "beta-hCG", 0 }, { "beta-hCG", "beta-hCG", 0 }, { "b-hCG", "beta-hCG", 0 }, { "bHCG", "beta-hCG", 0 },
	{ "beta hCG", "beta-hCG", 0 }, { "hCG", "beta-hCG", 0 }, { "total hCG", "beta-hCG", 0 }, { "ХГЧ", "beta-hCG", 0 },
	{ "LDH", "LDH", 0 }, { "LD", "LDH", L_CASE }, { "lactate dehydrogenase", "LDH", 0 }, { "乳酸脱氢酶", "LDH", 0 },
	{ "ЛДГ", "LDH", 0 },
	{ "haemoglobin", "haemoglobin", 0 }, { "hemoglobin", "haemoglobin", 0 }, { "Hb", "haemoglobin", L_CASE },
	{ "HGB", "haemoglobin", L_CASE }, { "Hgb", "haemoglobin", L_CASE }, { "hémoglobine", "haemoglobin", 0 },
	{ "hemoglobina", "haemoglobin", 0 }, { "Hämoglobin", "haemoglobin", 0 }, { "血红蛋白", "haemoglobin", 0 },
	{ "гемоглобин", "haemoglobin", 0 }, { "Гемоглобин", "haemoglobin", 0 },
	{ "creatinine", "creatinine", 0 }, { "serum creatinine", "creatinine", 0 }, { "Cr", "creatinine", L_CASE },
	{ "CREA", "creatinine", L_CASE }, { "Creat", "creatinine", L_CASE }, { "créatinine", "creatinine", 0 },
	{ "créatininémie", "creatinine", 0 }, { "creatinina", "creatinine", 0 }, { "Kreatinin", "creatinine", 0 },
	{ "肌酐", "creatinine", 0 }, { "креатинин", "creatinine", 0 }, { "Креатинин", "creatinine", 0 },
	{ "creatinine clearance", "creatinine clearance", 0 }, { "CrCl", "creatinine clearance", 0 },
	{ "eGFR", "eGFR", L_CASE }, { "GFR", "eGFR", L_CASE }, { "estimated GFR", "eGFR", 0 }, { "eGFR (CKD-EPI)", "eGFR", 0 },
	{ "DFG", "eGFR", L_CASE }, { "СКФ", "eGFR", 0 },
	{ "bilirubin", "bilirubin", 0 }, { "total bilirubin", "bilirubin", 0 }, { "bilirubin total", "bilirubin", 0 },
	{ "bilirubine", "bilirubin", 0 }, { "bilirrubina", "bilirubin", 0 }, { "TBIL", "bilirubin", L_CASE },
	{ "T. bili", "bilirubin", 0 }, { "总胆红素", "bilirubin", 0 }, { "билирубин", "bilirubin", 0 },
	{ "Билирубин общий", "bilirubin", 0 }, { "билирубин общий", "bilirubin", 0 },
	{ "direct bilirubin", "direct bilirubin", 0 }, { "conjugated bilirubin", "direct bilirubin", 0 },
	{ "ALT", "ALT", L_CASE }, { "ALAT", "ALT", L_CASE }, { "SGPT", "ALT", 0 }, { "GPT", "ALT", L_CASE },
	{ "alanine aminotransferase", "ALT", 0 }, { "alanine transaminase", "ALT", 0 }, { "谷丙转氨酶", "ALT", 0 },
	{ "АЛТ", "ALT", 0 },
	{ "AST", "AST", L_CASE }, { "ASAT", "AST", L_CASE }, { "SGOT", "AST", 0 }, { "GOT", "AST", L_CASE },
	{ "aspartate aminotransferase", "AST", 0 }, { "aspartate transaminase", "AST", 0 }, { "谷草转氨酶", "AST", 0 },
	{ "АСТ", "AST", 0 },
	{ "albumin", "albumin", 0 }, { "serum albumin", "albumin", 0 }, { "ALB", "albumin", L_CASE },
	{ "albumine", "albumin", 0 }, { "albúmina", "albumin", 0 }, { "白蛋白", "albumin", 0 }, { "альбумин", "albumin", 0 },
	{ "ALP", "ALP", 0 }, { "alkaline phosphatase", "ALP", 0 }, { "ALKP", "ALP", 0 }, { "phosphatases alcalines", "ALP", 0 },
	{ "fosfatasa alcalina", "ALP", 0 }, { "碱性磷酸酶", "ALP", 0 }, { "щелочная фосфатаза", "ALP", 0 },
	{ "GGT", "GGT", 0 }, { "gamma-GT", "GGT", 0 },
	{ "calcium", "calcium", 0 }, { "Ca", "calcium", L_CASE }, { "Ca2+", "calcium", L_CASE }, { "calcémie", "calcium", 0 },
	{ "calcio", "calcium", 0 }, { "Kalzium", "calcium", 0 }, { "钙", "calcium", 0 }, { "кальций", "calcium", 0 },
	{ "corrected calcium", "corrected calcium", 0 }, { "adjusted calcium", "corrected calcium", 0 },
	{ "sodium", "sodium", 0 }, { "Na", "sodium", L_CASE }, { "Na+", "sodium", L_CASE }, { "natrémie", "sodium", 0 },
	{ "sodio", "sodium", 0 }, { "Natrium", "sodium", 0 }, { "钠", "sodium", 0 }, { "натрий", "sodium", 0 },
	{ "potassium", "potassium", 0 }, { "kalium", "potassium", 0 }, { "potasio", "potassium", 0 },
	{ "platelets", "platelets", 0 }, { "platelet count", "platelets", 0 }, { "PLT", "platelets", L_CASE },
	{ "plaquettes", "platelets", 0 }, { "plaquetas", "platelets", 0 }, { "Thrombozyten", "platelets", 0 },
	{ "trombosit", "platelets", 0 }, { "血小板", "platelets", 0 }, { "血小板计数", "platelets", 0 },
	{ "тромбоциты", "platelets", 0 }, { "Тромбоциты", "platelets", 0 },
	{ "WBC", "WBC", 0 }, { "white blood cells", "WBC", 0 }, { "white blood cell count", "WBC", 0 },
	{ "white cell count", "WBC", 0 }, { "WCC", "WBC", L_CASE }, { "leukocytes", "WBC", 0 }, { "leucocytes", "WBC", 0 },
	{ "leucocitos", "WBC", 0 }, { "Leukozyten", "WBC", 0 }, { "lökosit", "WBC", 0 }, { "白细胞", "WBC", 0 },
	{ "白细胞计数", "WBC", 0 }, { "лейкоциты", "WBC", 0 }, { "Лейкоциты", "WBC", 0 },
	{ "neutrophils", "neutrophils", 0 }, { "neutrophil count", "neutrophils", 0 }, { "ANC", "neutrophils", L_CASE },
	{ "absolute neutrophil count", "neutrophils", 0 }, { "NEUT", "neutrophils", L_CASE },
	{ "polynucléaires neutrophiles", "neutrophils", 0 }, { "neutrófilos", "neutrophils", 0 },
	{ "Neutrophile", "neutrophils", 0 }, { "nötrofil", "neutrophils", 0 }, { "中性粒细胞", "neutrophils", 0 },
	{ "нейтрофилы", "neutrophils", 0 }, { "lymphocytes", "lymphocytes", 0 },
	{ "INR", "INR", L_CASE },
	{ "β2-microglobulin", "beta2-microglobulin", 0 }, { "beta-2 microglobulin", "beta2-microglobulin", 0 },
	{ "beta2-microglobulin", "beta2-microglobulin", 0 }, { "B2M", "beta2-microglobulin", 0 },
	{ "β2M", "beta2-microglobulin", 0 }, { "β2-MG", "beta2-microglobulin", 0 },
	{ "calcitonin", "calcitonin", 0 }, { "thyroglobulin", "thyroglobulin", 0 }, { "Tg", "thyroglobulin", L_CASE },
	{ "anti-Tg", "anti-Tg", 0 }, { "TgAb", "anti-Tg", 0 }, { "TSH", "TSH", 0 },
	{ "chromogranin A", "chromogranin A", 0 }, { "CgA", "chromogranin A", L_CASE },
	{ "CYFRA 21-1", "CYFRA 21-1", 0 }, { "NSE", "NSE", L_CASE }, { "neuron-specific enolase", "NSE", 0 },
	{ "ProGRP", "ProGRP", 0 }, { "SCC-Ag", "SCC-Ag", 0 }, { "SCC antigen", "SCC-Ag", 0 }, { "SCCA", "SCC-Ag", 0 },
	{ "S100B", "S100B", 0 }, { "testosterone", "testosterone", 0 },
	{ "M-protein", "M-protein", 0 }, { "M-spike", "M-protein", 0 }, { "paraprotein", "M-protein", 0 },
	{ "free kappa", "FLC kappa", 0 }, { "kappa free light chain", "FLC kappa", 0 },
	{ "kappa free light chains", "FLC kappa", 0 }, { "free kappa light chain", "FLC kappa", 0 },
	{ "κ free light chain", "FLC kappa", 0 }, { "FLC kappa", "FLC kappa", 0 }, { "sFLC kappa", "FLC kappa", 0 },
	{ "kappa FLC", "FLC kappa", 0 },
	{ "free lambda", "FLC lambda", 0 }, { "lambda free light chain", "FLC lambda", 0 },
	{ "lambda free light chains", "FLC lambda", 0 }, { "free lambda light chain", "FLC lambda", 0 },
	{ "λ free light chain", "FLC lambda", 0 }, { "FLC lambda", "FLC lambda", 0 }, { "sFLC lambda", "FLC lambda", 0 },
	{ "lambda FLC", "FLC lambda", 0 },
	{ "FLC ratio", "FLC ratio", 0 }, { "kappa/lambda ratio", "FLC ratio", 0 }, { "κ/λ ratio", "FLC ratio", 0 },
	{ "free light chain ratio", "FLC ratio", 0 }, { "K/L ratio", "FLC ratio", 0 },
	{ "IgG", "IgG", L_CASE }, { "IgA", "IgA", L_CASE }, { "IgM", "IgM", L_CASE },
	{ "uric acid", "uric acid", 0 }, { "urate", "uric acid", 0 }, { "phosphate", "phosphate", 0 },
	{ "fibrinogen", "fibrinogen", 0 }, { "D-dimer", "D-dimer", 0 }, { "ferritin", "ferritin", 0 },
	{ "CRP", "CRP", 0 }, { "C-reactive protein", "CRP", 0 }, { "EBV DNA", "EBV DNA", 0 },
	{ "NT-proBNP", "NT-proBNP", 0 }, { "troponin", "troponin", 0 },
};

/* Units, longest first where one starts another. OCR slips (mI for mL) included. */
static const struct { const char *w, *n; } units[] = {
	{ "mL/min/1.73 m²", "mL/min/1.73m²" }, { "mL/min/1.73m²", "mL/min/1.73m²" },
	{ "mL/min/1.73 m2", "mL/min/1.73m²" }, { "mL/min/1.73m2", "mL/min/1.73m²" }, { "mL/min", "mL/min" },
	{ "ng/mL", "ng/mL" }, { "ng/mI", "ng/mL" }, { "ng/m1", "ng/mL" }, { "ng/dL", "ng/dL" }, { "ng/L", "ng/L" },
	{ "pg/mL", "pg/mL" }, { "µg/L", "µg/L" }, { "μg/L", "µg/L" }, { "ug/L", "µg/L" }, { "mcg/L", "µg/L" },
	{ "µg/dL", "µg/dL" }, { "ug/dL", "µg/dL" }, { "mIU/mL", "mIU/mL" }, { "mIU/mI", "mIU/mL" },
	{ "mIU/L", "mIU/L" }, { "IU/mL", "IU/mL" }, { "IU/mI", "IU/mL" }, { "kIU/L", "kIU/L" },
	{ "IU/L", "IU/L" }, { "kU/L", "kU/L" }, { "U/mL", "U/mL" }, { "U/mI", "U/mL" }, { "U/m1", "U/mL" },
	{ "U/L", "U/L" }, { "UI/L", "IU/L" }, { "g/dL", "g/dL" }, { "g/dI", "g/dL" }, { "g/L", "g/L" },
	{ "mg/dL", "mg/dL" }, { "mg/dI", "mg/dL" }, { "mg/L", "mg/L" }, { "mmol/L", "mmol/L" },
	{ "µmol/L", "µmol/L" }, { "μmol/L", "µmol/L" }, { "umol/L", "µmol/L" }, { "mcmol/L", "µmol/L" },
	{ "nmol/L", "nmol/L" }, { "pmol/L", "pmol/L" }, { "mEq/L", "mEq/L" }, { "copies/mL", "copies/mL" },
	{ "x10^9/L", "10^9/L" }, { "x 10^9/L", "10^9/L" }, { "×10^9/L", "10^9/L" }, { "× 10^9/L", "10^9/L" },
	{ "x10⁹/L", "10^9/L" }, { "×10⁹/L", "10^9/L" }, { "× 10⁹/L", "10^9/L" }, { "x10e9/L", "10^9/L" },
	{ "*10^9/L", "10^9/L" }, { "10^9/L", "10^9/L" }, { "10⁹/L", "10^9/L" }, { "10*9/L", "10^9/L" },
	{ "G/L", "10^9/L" }, { "giga/L", "10^9/L" },
	{ "x10^12/L", "10^12/L" }, { "×10^12/L", "10^12/L" }, { "10^12/L", "10^12/L" }, { "T/L", "10^12/L" },
	{ "x10^3/µL", "10^3/µL" }, { "x10^3/uL", "10^3/µL" }, { "10^3/µL", "10^3/µL" }, { "10^3/uL", "10^3/µL" },
	{ "K/µL", "10^3/µL" }, { "K/uL", "10^3/µL" }, { "/µL", "/µL" }, { "/uL", "/µL" }, { "/mm3", "/µL" },
	{ "/mm³", "/µL" }, { "cells/µL", "/µL" }, { "%", "%" }, { "г/л", "g/L" }, { "мкмоль/л", "µmol/L" },
	{ "ммоль/л", "mmol/L" }, { "нг/мл", "ng/mL" }, { "Ед/мл", "U/mL" }, { "Ед/л", "U/L" }, { "ед/л", "U/L" },
	{ "×10⁹/л", "10^9/L" }, { "x10^9/л", "10^9/L" }, { "10^9/л", "10^9/L" },
};

static const char *unit_at(const char *s, size_t to, size_t i, size_t *end)
{
	const char *best = NULL;
	size_t be = 0;
	unsigned char c = i < to ? (unsigned char)s[i] : 0;
	for (FIDX_EACH(&unit_ix, c, q)) {
		size_t k = unit_ix.order[q];
		size_t e = match_at(s, to, i, units[k].w, true);
		if (!e || e <= be)
			continue;
		if (is_alnum((unsigned char)units[k].w[strlen(units[k].w) - 1]) && e < to && is_alpha((unsigned char)s[e]))
			continue;
		be = e;
		best = units[k].n;
	}
	*end = be;
	return best;
}

static size_t labsyn_match(const struct ntext *t, size_t i, const struct labsyn *ls)
{
	struct syn sy = { .s = ls->s, .name = ls->name, .flags = (ls->flags & L_CASE) ? S_CASE : 0 };
	return syn_match(t, i, &sy);
}

static const struct labsyn *lab_at(const struct ntext *t, size_t i, size_t *end)
{
	const struct labsyn *best = NULL;
	size_t be = 0;
	unsigned char c = i < t->n ? (unsigned char)t->s[i] : 0;
	for (FIDX_EACH(&lab_ix, c, q)) {
		size_t k = lab_ix.order[q];
		size_t e = labsyn_match(t, i, &labsyns[k]);
		if (e > be) {
			be = e;
			best = &labsyns[k];
		}
	}
	*end = be;
	return best;
}

static void lab_free_one(struct lab_value *v)
{
	free(v->value);
	free(v->unit);
	free(v->date);
	free(v->date_raw);
	free(v->snippet);
}

void lab_list_free(struct lab_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		lab_free_one(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The value after a lab name, on its line: skip words, parentheses and
 * dates; stop at another lab name. */
static bool lab_value_at(const struct ntext *t, const char *name, size_t from, char *val, size_t valsz, size_t *vs, size_t *ve)
{
	const char *s = t->s;
	size_t to = from, nonws = 0;
	while (to < t->n && s[to] != '\n' && to - from < 240) {
		if (s[to] != ' ' && ++nonws > 48)
			break;
		to++;
	}
	for (size_t i = from; i < to;) {
		unsigned char c = (unsigned char)s[i];
		size_t e;
		char iso[11];
		if (is_alnum(c) && (e = parse_date(s, to, i, iso))) {
			i = e;
			continue;
		}
		if (is_alpha(c) || c >= 0x80) {
			const struct labsyn *other = (i > from && !is_alnum((unsigned char)s[i - 1])) ? lab_at(t, i, &e) : NULL;
			if (other && other->name != name)
				return false;
			if (other) {
				i = e;
				continue;
			}
			if (is_alpha(c))
				while (i < to && is_alnum((unsigned char)s[i]))
					i++;
			else
				i++;
			continue;
		}
		if (is_digit(c) || c == '<' || c == '>' || c == 0xe2) {
			char cmp[4], num[24];
			size_t j = parse_cmp(s, to, i, cmp);
			j = skip_ws(s, j, to);
			size_t ne = parse_num(s, to, j, num, sizeof(num));
			if (!ne) {
				i++;
				continue;
			}
			/* "1.73 m2", a range "0-5" before the value, and "x2" are not values */
			if (ne < to && (is_alpha((unsigned char)s[ne]) && !(s[ne] == 'H' || s[ne] == 'L')))
				if (!unit_at(s, to, ne, &e)) {
					i = ne;
					continue;
				}
			snprintf(val, valsz, "%s%s", cmp, num);
			*vs = i;
			*ve = ne;
			return true;
		}
		i++;
	}
	return false;
}

int findings_labs(const char *text, size_t len, struct lab_list *out)
{
	if (!out || (!text && len))
		return -EINVAL;
	struct lab_list l = { .v = xcalloc(FINDINGS_MAX_LABS, sizeof(struct lab_value)), .n = 0 };
	if (!text || !len) {
		*out = l;
		return 0;
	}
	tables_ready();
	struct ntext t;
	ntext_build(&t, text, len);
	struct doc_date dd;
	document_date(&t, &dd);
	char *dd_raw = dd.have ? snippet(&t, dd.s, dd.e) : NULL;

	for (size_t i = 0; i < t.n && l.n < FINDINGS_MAX_LABS;) {
		unsigned char c = (unsigned char)t.s[i];
		if ((c & 0xc0) == 0x80 || (is_alnum(c) && i > 0 && is_alnum((unsigned char)t.s[i - 1]))) {
			i++;
			continue;
		}
		size_t ne;
		const struct labsyn *ls = lab_at(&t, i, &ne);
		if (!ls) {
			i++;
			continue;
		}
		char val[32];
		size_t vs, ve;
		if (!lab_value_at(&t, ls->name, ne, val, sizeof(val), &vs, &ve)) {
			i = ne;
			continue;
		}
		struct lab_value *v = &l.v[l.n++];
		v->name = ls->name;
		v->value = xstrdup(val);
		const char *p = val;
		while (*p && !is_digit((unsigned char)*p))
			p++;
		v->num = strtod(p, NULL);
		size_t end = ve;
		/* a flag (H, L, *, ↑, ↓) may sit between value and unit */
		size_t u = skip_ws(t.s, ve, t.n);
		if (u < t.n && (t.s[u] == 'H' || t.s[u] == 'L' || t.s[u] == '*') && (u + 1 >= t.n || t.s[u + 1] == ' '))
			u = skip_ws(t.s, u + 1, t.n);
		else if (u + 2 < t.n && (unsigned char)t.s[u] == 0xe2 && (unsigned char)t.s[u + 1] == 0x86 &&
		         ((unsigned char)t.s[u + 2] == 0x91 || (unsigned char)t.s[u + 2] == 0x93))
			u = skip_ws(t.s, u + 3, t.n);
		size_t ue;
		const char *un = unit_at(t.s, t.n, u, &ue);
		if (un) {
			v->unit = xstrdup(un);
			end = ue;
		}
		/* a date on the same line, else the document's */
		size_t ls0 = line_start(&t, i), le = end;
		while (le < t.n && t.s[le] != '\n')
			le++;
		char iso[11];
		size_t ds, de = find_date(t.s, end, le, &ds, iso);
		if (!de)
			de = find_date(t.s, ls0, i, &ds, iso);
		if (de) {
			v->date_raw = snippet(&t, ds, de);
			v->date = iso[0] ? xstrdup(iso) : NULL;
		} else if (dd.have) {
			v->date_raw = xstrdup(dd_raw);
			v->date = dd.iso[0] ? xstrdup(dd.iso) : NULL;
			v->date_from_document = true;
		}
		/* the snippet: the name to the unit, plus a reference range if one follows */
		size_t se = end, r = skip_ws(t.s, end, t.n);
		if (r < t.n && t.s[r] == '(') {
			size_t q = r;
			while (q < t.n && q - r < 40 && t.s[q] != ')' && t.s[q] != '\n')
				q++;
			if (q < t.n && t.s[q] == ')')
				se = q + 1;
		}
		v->snippet = snippet(&t, i, se);
		v->offset = t.off[i];
		i = MAX(end, ne);
	}
	free(dd_raw);
	ntext_free(&t);
	*out = l;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Treatment events */

/* Words that name a treatment. Matched word-bounded, ignoring case. */
static const char *const treat_words[] = {
	/* surgery */
	"surgery", "operation", "operated", "resection", "resected", "excision", "wide local excision",
	"mastectomy", "lumpectomy", "quadrantectomy", "axillary clearance", "sentinel node biopsy", "lobectomy",
	"pneumonectomy", "segmentectomy", "wedge resection", "colectomy", "hemicolectomy", "anterior resection",
	"proctectomy", "gastrectomy", "oesophagectomy", "esophagectomy", "whipple", "pancreaticoduodenectomy",
	"pancreatectomy", "hepatectomy", "metastasectomy", "hysterectomy", "oophorectomy", "salpingo-oophorectomy",
	"debulking", "cytoreduction", "prostatectomy", "nephrectomy", "cystectomy", "thyroidectomy", "laryngectomy",
	"neck dissection", "craniotomy", "amputation", "TURBT",
	/* systemic therapy */
	"chemotherapy", "chemo", "chemoradiotherapy", "chemoradiation", "immunotherapy", "endocrine therapy",
	"hormone therapy", "hormonal therapy", "targeted therapy", "maintenance", "ADT",
	"FOLFOX", "FOLFIRI", "FOLFIRINOX", "FOLFOXIRI", "CAPOX", "XELOX", "FLOT", "ECF", "EOX", "R-CHOP", "CHOP",
	"ABVD", "BEP", "capecitabine", "fluorouracil", "5-FU", "oxaliplatin", "irinotecan", "carboplatin",
	"cisplatin", "paclitaxel", "nab-paclitaxel", "docetaxel", "gemcitabine", "pemetrexed", "etoposide",
	"doxorubicin", "epirubicin", "cyclophosphamide", "vinorelbine", "eribulin", "temozolomide",
	"letrozole", "anastrozole", "exemestane", "tamoxifen", "fulvestrant", "goserelin", "leuprorelin",
	"degarelix", "palbociclib", "ribociclib", "abemaciclib", "everolimus", "alpelisib", "capivasertib",
	"elacestrant", "olaparib", "niraparib", "talazoparib", "rucaparib",
	"trastuzumab", "pertuzumab", "T-DM1", "trastuzumab emtansine", "trastuzumab deruxtecan", "T-DXd",
	"tucatinib", "lapatinib", "sacituzumab", "bevacizumab", "ramucirumab", "cetuximab", "panitumumab",
	"pembrolizumab", "nivolumab", "atezolizumab", "durvalumab", "ipilimumab", "cemiplimab", "tislelizumab",
	"dostarlimab", "osimertinib", "erlotinib", "gefitinib", "afatinib", "alectinib", "brigatinib",
	"lorlatinib", "crizotinib", "sotorasib", "adagrasib", "dabrafenib", "trametinib", "encorafenib",
	"binimetinib", "vemurafenib", "enzalutamide", "abiraterone", "apalutamide", "darolutamide",
	"sunitinib", "pazopanib", "cabozantinib", "lenvatinib", "sorafenib", "regorafenib", "axitinib",
	"imatinib", "rituximab", "obinutuzumab", "bortezomib", "lenalidomide", "daratumumab", "ibrutinib",
	"venetoclax", "azacitidine", "lutetium", "177Lu", "radioiodine",
	/* radiotherapy */
	"radiotherapy", "radiation", "irradiation", "SBRT", "SABR", "stereotactic", "brachytherapy", "IMRT",
	"VMAT", "gamma knife", "whole brain",
	/* changes */
	"switched to", "changed to",
};

/* Words that say what happened; they add to "what" but are no treatment alone. */
static const char *const treat_verbs[] = {
	"started", "commenced", "initiated", "began", "restarted", "resumed", "switched to", "changed to",
	"stopped", "discontinued", "ceased", "completed", "progression",
};

/* A plan, not an event: the sentence gives no treatment date that happened. */
static const char *const treat_plans[] = {
	"planned", "plan to", "will start", "will begin", "will be", "to start", "to begin", "scheduled",
	"proposed", "is due", "awaiting",
};

static const char *const treat_birth[] = { "birth", "DOB", "D.O.B", "born" };

const char *treatment_precision_name(enum treatment_precision p)
{
	switch (p) {
	case TREATMENT_DAY: return "day";
	case TREATMENT_MONTH: return "month";
	case TREATMENT_DAY_AMBIGUOUS: return "day-or-month";
	}
	return "day";
}

static void treatment_free_one(struct treatment_event *e)
{
	free(e->what);
	free(e->date_raw);
	free(e->snippet);
}

void treatment_list_free(struct treatment_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		treatment_free_one(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Which treat_words start with a given (lower-case) byte: one bit set per first
 * character seen, to skip the list quickly at most positions. */
static bool treat_first_char(unsigned char c)
{
	c = lower(c);
	for (size_t k = 0; k < ARRAY_SIZE(treat_words); k++)
		if (lower((unsigned char)treat_words[k][0]) == c)
			return true;
	return c == 'g';
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_init(void)
{
	FIDX_BUILD(&syn_ix, syns);
	FIDX_BUILD(&rword_ix, rwords);
	FIDX_BUILD(&lab_ix, labsyns);
	FIDX_BUILD(&unit_ix, units);
	FIDX_BUILD(&treat_ix, treat_words);
	for (int c = 0; c < 256; c++)
		treat_first[c] = is_alnum((unsigned char)c) && treat_first_char((unsigned char)c);
}

/* The word indexes, built on first use by whichever thread gets there first. */
static void tables_ready(void)
{
	pthread_once(&tables_once, tables_init);
}

/* A treatment word at i (word-bounded): its end, or 0. "Gy" counts after a number. */
static size_t treat_word_at(const char *s, size_t to, size_t i, const bool first[256])
{
	if (first && !first[(unsigned char)s[i]])
		return 0;
	unsigned char c = i < to ? (unsigned char)s[i] : 0;
	for (FIDX_EACH(&treat_ix, c, q)) {
		size_t e = match_word(s, to, i, treat_words[treat_ix.order[q]]);
		if (e)
			return e;
	}
	if (match_at(s, to, i, "Gy", false) && (i + 2 >= to || !is_alnum((unsigned char)s[i + 2]))) {
		size_t j = i;
		while (j > 0 && s[j - 1] == ' ')
			j--;
		if (j > 0 && is_digit((unsigned char)s[j - 1]))
			return i + 2;
	}
	return 0;
}

static size_t treat_verb_at(const char *s, size_t to, size_t i)
{
	for (size_t k = 0; k < ARRAY_SIZE(treat_verbs); k++) {
		size_t e = match_word(s, to, i, treat_verbs[k]);
		if (e)
			return e;
	}
	return 0;
}

static bool words_in(const char *s, size_t a, size_t b, const char *const *w, size_t nw)
{
	for (size_t i = a; i < b; i++)
		for (size_t k = 0; k < nw; k++)
			if (match_word(s, b, i, w[k]))
				return true;
	return false;
}

static int days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

/* s[a, e) is month M's English name or its abbreviation ("Mar", "Sept"), not
 * another word that starts like one ("Decided", "Marginal"). */
static bool month_word(const char *s, size_t a, size_t e, int m)
{
	static const char *const full[] = { "january", "february", "march", "april", "may", "june", "july",
	                                    "august", "september", "october", "november", "december" };
	size_t n = e - a;
	if (n == 3 || (m == 9 && n == 4 && lower((unsigned char)s[a + 3]) == 't'))
		return true;
	return n == strlen(full[m - 1]) && match_at(s, e, a, full[m - 1], true) == e;
}

/* A date for a treatment at i: a day (parse_date), both readings of an
 * ambiguous D/M/YYYY, or a month ("March 2026", "Mar. 2026", "03/2026",
 * "2026-03"). Sets lo/hi (YYYY-MM-DD) and the precision; returns the end or 0. */
static size_t treat_date_at(const char *s, size_t to, size_t i, char lo[11], char hi[11],
                            enum treatment_precision *prec)
{
	char iso[11];
	size_t e = parse_date(s, to, i, iso);
	int a, b, c;
	size_t j, k, l;

	if (e && iso[0]) {
		memcpy(lo, iso, 11);
		memcpy(hi, iso, 11);
		*prec = TREATMENT_DAY;
		return e;
	}
	if (e) {
		/* D/M/YYYY or M/D/YYYY, both numbers ≤ 12: both readings */
		if (!(j = read_int(s, to, i, 2, &a)) || !(k = read_int(s, to, j + 1, 2, &b)) ||
		    !(l = read_int(s, to, k + 1, 4, &c)) || !valid_ymd(c, b, a) || !valid_ymd(c, a, b))
			return 0;
		char x[11], y[11];
		iso_set(x, c, b, a);
		iso_set(y, c, a, b);
		bool xl = strcmp(x, y) < 0;
		memcpy(lo, xl ? x : y, 11);
		memcpy(hi, xl ? y : x, 11);
		*prec = TREATMENT_DAY_AMBIGUOUS;
		return e;
	}
	if (i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '/' || s[i - 1] == '.' || s[i - 1] == '-'))
		return 0;
	int m = 0, y = 0;
	size_t end = 0, me;
	if (is_alpha((unsigned char)s[i]) && (m = month_name(s, to, i, &me)) && month_word(s, i, me, m)) {
		k = me < to && s[me] == '.' ? me + 1 : me;
		k = skip_ws(s, k, to);
		if ((l = read_int(s, to, k, 4, &y)) && l - k == 4)
			end = l;
	} else if ((j = read_int(s, to, i, 4, &a)) && j - i == 4 && j < to && s[j] == '-' &&
	           (k = read_int(s, to, j + 1, 2, &b)) && k - (j + 1) == 2) {
		y = a, m = b, end = k;       /* 2026-03 */
	} else if ((j = read_int(s, to, i, 2, &a)) && j < to && (s[j] == '/' || s[j] == '.') &&
	           (k = read_int(s, to, j + 1, 4, &b)) && k - (j + 1) == 4) {
		m = a, y = b, end = k;       /* 03/2026 */
	}
	if (!end || !valid_ymd(y, m, 1))
		return 0;
	/* not the start of something longer ("2026-03-1x", "03/2026/…") */
	if (end < to && (is_alnum((unsigned char)s[end]) ||
	                 ((s[end] == '-' || s[end] == '/' || s[end] == '.') && end + 1 < to &&
	                  is_digit((unsigned char)s[end + 1]))))
		return 0;
	iso_set(lo, y, m, 1);
	iso_set(hi, y, m, days_in_month(y, m));
	*prec = TREATMENT_MONTH;
	return end;
}

/* Does the line ending at i (a '\n') stop on a word that wants more ("on",
 * "from", "since"…)? Then the next line goes on with the sentence. */
static bool line_goes_on(const char *s, size_t a, size_t i)
{
	static const char *const joiners[] = { "on", "from", "since", "in", "at", "of", "and", "to", "with", "was",
	                                       "were", "by", "until", "after", "before", "started", "commenced" };
	size_t e = i;
	while (e > a && s[e - 1] == ' ')
		e--;
	size_t w = e;
	while (w > a && is_alpha((unsigned char)s[w - 1]))
		w--;
	if (w == e || e - w > 9)
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(joiners); k++)
		if (strlen(joiners[k]) == e - w && match_at(s, e, w, joiners[k], false))
			return true;
	return false;
}

/* The end of the sentence or line that starts at a (exclusive). A line break
 * ends it unless the next line goes on in lower case (a wrapped sentence). */
static size_t treat_segment_end(const struct ntext *t, size_t a)
{
	const char *s = t->s;
	size_t i = a;
	while (i < t->n) {
		char c = s[i];
		if (c == ';')
			return i;
		if ((c == '.' || c == '!' || c == '?') && (i + 1 >= t->n || s[i + 1] == ' ' || s[i + 1] == '\n')) {
			/* "Sept. 2025", "Mar. 2026": an abbreviation before a number goes on */
			size_t j = skip_ws(s, i + 1, t->n);
			if (!(c == '.' && i > a && is_alpha((unsigned char)s[i - 1]) && j < t->n && s[j] != '\n' &&
			      is_digit((unsigned char)s[j])))
				return i;
		}
		if (c == '\n') {
			size_t j = skip_ws(s, i + 1, t->n);
			if (j >= t->n || !((s[j] >= 'a' && s[j] <= 'z') || line_goes_on(s, a, i)))
				return i;
		}
		if (i - a > 600)
			return i;
		i++;
	}
	return i;
}

/* Appends WORD (normalised text [a, b)) to WHAT unless already there; at most 4.
 * A verb follows the treatment it is about with a space ("letrozole started"). */
static void what_add(const struct ntext *t, char *what, size_t whatsz, unsigned *n, bool *prev_verb, bool verb,
                     size_t a, size_t b)
{
	char w[64];
	size_t len = MIN(b - a, sizeof(w) - 1);
	memcpy(w, t->s + a, len);
	w[len] = 0;
	if (*n >= 4)
		return;
	for (const char *p = what; (p = strcasestr(p, w)); p++) {
		size_t pos = (size_t)(p - what);
		if ((pos == 0 || what[pos - 1] == ' ' || what[pos - 1] == ',') &&
		    (p[len] == 0 || p[len] == ' ' || p[len] == ','))
			return;
	}
	size_t cur = strlen(what);
	if (cur + len + 3 >= whatsz)
		return;
	snprintf(what + cur, whatsz - cur, "%s%s", !cur ? "" : verb && !*prev_verb ? " " : ", ", w);
	*prev_verb = verb;
	(*n)++;
}

int findings_treatments(const char *text, size_t len, const char *today, struct treatment_list *out)
{
	if (!out || (!text && len))
		return -EINVAL;
	struct treatment_list l = { .v = xcalloc(FINDINGS_MAX_TREATMENTS, sizeof(struct treatment_event)), .n = 0 };
	if (!text || !len) {
		*out = l;
		return 0;
	}
	char now[11] = "";
	if (today && strlen(today) >= 10) {
		memcpy(now, today, 10);
		now[10] = 0;
	}
	tables_ready();
	const bool *first = treat_first;
	struct ntext t;
	ntext_build(&t, text, len);
	const char *s = t.s;

	for (size_t a = 0; a < t.n && l.n < FINDINGS_MAX_TREATMENTS;) {
		size_t b = treat_segment_end(&t, a);
		/* the treatment words of this sentence (word starts only) */
		size_t ws = SIZE_MAX, we = 0;
		bool any = false;
		for (size_t i = a; i < b; i++) {
			if (i > a && is_alnum((unsigned char)s[i - 1]))
				continue;
			size_t e = treat_word_at(s, b, i, first);
			if (e) {
				any = true;
				ws = MIN(ws, i);
				we = MAX(we, e);
				i = e - 1;
			}
		}
		if (any && !words_in(s, a, b, treat_plans, ARRAY_SIZE(treat_plans))) {
			char what[128] = "";
			unsigned nw = 0;
			bool prev_verb = false;
			for (size_t i = a; i < b; i++) {
				if (i > a && is_alnum((unsigned char)s[i - 1]))
					continue;
				size_t e = treat_word_at(s, b, i, first);
				if (!e)
					e = treat_verb_at(s, b, i);
				if (e) {
					bool verb = !treat_word_at(s, b, i, first);
					/* "switched to X": X too */
					if (s[e - 1] == 'o' && (match_word(s, b, i, "switched to") || match_word(s, b, i, "changed to"))) {
						size_t x = skip_ws(s, e, b), xe = x;
						while (xe < b && (is_alnum((unsigned char)s[xe]) || s[xe] == '-'))
							xe++;
						if (xe > x)
							e = xe;
						verb = false;
					}
					what_add(&t, what, sizeof(what), &nw, &prev_verb, verb, i, e);
					i = e - 1;
				}
			}
			for (size_t i = a; i < b && l.n < FINDINGS_MAX_TREATMENTS; i++) {
				if (!is_alnum((unsigned char)s[i]) || (i > a && is_alnum((unsigned char)s[i - 1])))
					continue;
				char lo[11], hi[11];
				enum treatment_precision prec;
				size_t de = treat_date_at(s, b, i, lo, hi, &prec);
				if (!de)
					continue;
				size_t ds = i;
				i = de - 1;
				/* a birth date right before: not a treatment date */
				size_t back = ds > a + 24 ? ds - 24 : a;
				if (words_in(s, back, ds, treat_birth, ARRAY_SIZE(treat_birth)))
					continue;
				/* dates after today are plans (or the other reading of 03/12) */
				if (now[0]) {
					if (strcmp(lo, now) > 0)
						continue;
					if (strcmp(hi, now) > 0) {
						if (prec == TREATMENT_DAY_AMBIGUOUS) {
							memcpy(hi, lo, 11);
							prec = TREATMENT_DAY;
						} else {
							memcpy(hi, now, 11);
						}
					}
				}
				bool dup = false;
				for (size_t k = 0; k < l.n && !dup; k++)
					dup = strcmp(l.v[k].date, lo) == 0 && strcmp(l.v[k].latest, hi) == 0 &&
					      strcmp(l.v[k].what, what) == 0;
				if (dup)
					continue;
				struct treatment_event *ev = &l.v[l.n++];
				memcpy(ev->date, lo, 11);
				memcpy(ev->latest, hi, 11);
				ev->precision = prec;
				ev->what = xstrdup(what);
				ev->date_raw = snippet(&t, ds, de);
				/* the sentence, or the part around the words and the date */
				size_t sa = MIN(ds, ws), sb = MAX(de, we);
				sa = sa > a + 40 ? sa - 40 : a;
				while (sa > a && s[sa - 1] != ' ')
					sa--;
				sb = MIN(b, sb + 40);
				while (sa < sb && (s[sa] == ' ' || s[sa] == '\n' || s[sa] == ':' || s[sa] == '-'))
					sa++;
				ev->snippet = snippet(&t, sa, sb);
				ev->offset = t.off[sa];
			}
		}
		a = b + 1;
	}
	ntext_free(&t);
	*out = l;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Language and script */

enum script {
	SC_LATN, SC_HAN, SC_KANA, SC_HANG, SC_ARAB, SC_CYRL, SC_DEVA, SC_GREK, SC_HEBR, SC_THAI,
	SC_BENG, SC_ARMN, SC_GEOR, SC_ETHI, SC_TAML, _SC_MAX,
};

static const struct { const char *code, *lang; } script_info[_SC_MAX] = {
	[SC_LATN] = { "Latn", NULL }, [SC_HAN] = { "Han", "zh" }, [SC_KANA] = { "Jpan", "ja" },
	[SC_HANG] = { "Hang", "ko" }, [SC_ARAB] = { "Arab", "ar" }, [SC_CYRL] = { "Cyrl", "ru" },
	[SC_DEVA] = { "Deva", "hi" }, [SC_GREK] = { "Grek", "el" }, [SC_HEBR] = { "Hebr", "he" },
	[SC_THAI] = { "Thai", "th" }, [SC_BENG] = { "Beng", "bn" }, [SC_ARMN] = { "Armn", "hy" },
	[SC_GEOR] = { "Geor", "ka" }, [SC_ETHI] = { "Ethi", "am" }, [SC_TAML] = { "Taml", "ta" },
};

static int script_of(uint32_t cp)
{
	if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7))
		return SC_LATN;
	if ((cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff))
		return SC_HAN;
	if (cp >= 0x3040 && cp <= 0x30ff)
		return SC_KANA;
	if ((cp >= 0xac00 && cp <= 0xd7af) || (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0x3130 && cp <= 0x318f))
		return SC_HANG;
	if ((cp >= 0x0620 && cp <= 0x064a) || (cp >= 0x066e && cp <= 0x06d3) || (cp >= 0x0750 && cp <= 0x077f) ||
	    (cp >= 0xfb50 && cp <= 0xfdff) || (cp >= 0xfe70 && cp <= 0xfefc))
		return SC_ARAB;
	if (cp >= 0x0400 && cp <= 0x04ff)
		return SC_CYRL;
	if (cp >= 0x0900 && cp <= 0x097f)
		return SC_DEVA;
	if (cp >= 0x0370 && cp <= 0x03ff)
		return SC_GREK;
	if (cp >= 0x05d0 && cp <= 0x05ea)
		return SC_HEBR;
	if (cp >= 0x0e00 && cp <= 0x0e7f)
		return SC_THAI;
	if (cp >= 0x0980 && cp <= 0x09ff)
		return SC_BENG;
	if (cp >= 0x0530 && cp <= 0x058f)
		return SC_ARMN;
	if (cp >= 0x10a0 && cp <= 0x10ff)
		return SC_GEOR;
	if (cp >= 0x1200 && cp <= 0x137f)
		return SC_ETHI;
	if (cp >= 0x0b80 && cp <= 0x0bff)
		return SC_TAML;
	return -1;
}

/* Frequent short words per Latin-script language. */
static const struct { const char *lang; const char *words[32]; } stopwords[] = {
	/* No one-letter words anywhere: "a", "e", "o", "y" are list markers, units
	 * and vitamins in medical text and sent English reports to Portuguese. */
	{ "en", { "the", "and", "of", "with", "is", "in", "to", "for", "was", "no", "on", "are", "this", "patient",
	          "not", "from", "at", "be", "by", "which", "or", "seen", "detected", "report", "negative",
	          "positive", "found", NULL } },
	{ "fr", { "le", "la", "les", "de", "des", "du", "et", "est", "une", "un", "dans", "avec", "pour", "sur",
	          "pas", "au", "aux", "par", "sont", "qui", "patiente", "absence", NULL } },
	{ "es", { "el", "la", "los", "las", "de", "del", "en", "con", "que", "por", "una", "un", "para",
	          "se", "es", "sin", "al", "paciente", "lo", "muestra", "negativo", NULL } },
	{ "pt", { "os", "as", "de", "do", "da", "dos", "das", "em", "com", "que", "não", "uma", "um",
	          "para", "no", "na", "paciente", "ao", "são", "negativo", NULL } },
	{ "it", { "il", "lo", "la", "gli", "le", "di", "del", "della", "è", "in", "con", "che", "per", "una",
	          "un", "non", "dei", "delle", "paziente", "sono", NULL } },
	{ "de", { "der", "die", "das", "und", "ist", "mit", "von", "den", "dem", "des", "ein", "eine", "im", "nicht",
	          "zu", "auf", "für", "bei", "keine", "sich", "wird", NULL } },
	{ "tr", { "ve", "bir", "ile", "bu", "için", "olarak", "de", "da", "olan", "hasta", "mi", "var", "yok",
	          "gibi", "sonra", "daha", "çok", "ise", "hastanın", "edildi", "saptandı", NULL } },
	{ "nl", { "de", "het", "een", "en", "van", "is", "met", "niet", "op", "voor", "zijn", "geen", "bij", "aan",
	          "te", "dat", "wordt", NULL } },
};

/* Letters that only some Latin-script languages use. */
static const struct { uint32_t cp; const char *lang; } hint_letters[] = {
	{ 0x131, "tr" }, { 0x15f, "tr" }, { 0x15e, "tr" }, { 0x11f, "tr" }, { 0x130, "tr" },
	{ 0xf1, "es" }, { 0xbf, "es" }, { 0xa1, "es" }, { 0xe3, "pt" }, { 0xf5, "pt" },
	{ 0xdf, "de" }, { 0xe4, "de" }, { 0xf6, "de" }, { 0xfc, "de" }, { 0xe8, "fr" }, { 0xea, "fr" },
	{ 0x153, "fr" }, { 0xe0, "fr" },
};

int findings_language(const char *text, size_t len, struct doc_language *out)
{
	if (!out || (!text && len))
		return -EINVAL;
	struct doc_language r = { 0 };
	size_t cnt[_SC_MAX] = { 0 };
	size_t lat_scores[ARRAY_SIZE(stopwords)] = { 0 };
	size_t hints[ARRAY_SIZE(stopwords)] = { 0 };
	size_t persian = 0, urdu = 0, ukr = 0, words = 0;
	const unsigned char *u = (const unsigned char *)text;
	if (len > FINDINGS_MAX_TEXT)
		len = FINDINGS_MAX_TEXT;

	char word[32];
	size_t wl = 0;
	bool word_ok = true;
	for (size_t i = 0; i <= len;) {
		size_t l = 1;
		uint32_t cp = i < len ? utf8_dec(u + i, len - i, &l) : ' ';
		int sc = script_of(cp);
		if (sc >= 0)
			cnt[sc]++;
		if (cp == 0x67e || cp == 0x686 || cp == 0x698 || cp == 0x6af)
			persian++;
		if (cp == 0x679 || cp == 0x688 || cp == 0x691 || cp == 0x6ba || cp == 0x6d2)
			urdu++;
		if (cp == 0x456 || cp == 0x457 || cp == 0x454 || cp == 0x491)
			ukr++;
		if (sc == SC_LATN) {
			/* every hint letter is above U+00A0, so ASCII letters never hit one */
			for (size_t h = 0; cp >= 0x80 && h < ARRAY_SIZE(hint_letters); h++)
				if (hint_letters[h].cp == cp || hint_letters[h].cp == cp + 0x20)
					for (size_t k = 0; k < ARRAY_SIZE(stopwords); k++)
						if (strcmp(stopwords[k].lang, hint_letters[h].lang) == 0)
							hints[k]++;
			if (wl + l < sizeof(word)) {
				for (size_t q = 0; q < l; q++)
					word[wl++] = (char)(l == 1 ? lower(u[i + q]) : u[i + q]);
			} else {
				word_ok = false;
			}
		} else if (wl) {
			word[wl] = 0;
			if (word_ok) {
				words++;
				for (size_t k = 0; k < ARRAY_SIZE(stopwords); k++)
					for (size_t q = 0; stopwords[k].words[q]; q++)
						if (stopwords[k].words[q][0] == word[0] && strcmp(stopwords[k].words[q], word) == 0) {
							lat_scores[k]++;
							break;
						}
			}
			wl = 0;
			word_ok = true;
		}
		i += l;
	}

	/* Han with kana is Japanese */
	if (cnt[SC_KANA] && cnt[SC_KANA] * 10 >= cnt[SC_HAN] / 2) {
		cnt[SC_KANA] += cnt[SC_HAN];
		cnt[SC_HAN] = 0;
	}
	size_t total = 0, best = 0;
	int bs = -1;
	for (int k = 0; k < _SC_MAX; k++) {
		total += cnt[k];
		/* a CJK character carries about a word: weigh it as three letters */
		size_t w = (k == SC_HAN || k == SC_KANA || k == SC_HANG) ? cnt[k] * 3 : cnt[k];
		if (w > best) {
			best = w;
			bs = k;
		}
	}
	r.letters = total;
	if (bs < 0) {
		*out = r;
		return 0;
	}
	r.script = script_info[bs].code;
	size_t wtotal = 0;
	for (int k = 0; k < _SC_MAX; k++)
		wtotal += (k == SC_HAN || k == SC_KANA || k == SC_HANG) ? cnt[k] * 3 : cnt[k];
	double share = (double)best / (double)wtotal;

	if (bs != SC_LATN) {
		const char *lang = script_info[bs].lang;
		if (bs == SC_ARAB && urdu)
			lang = "ur";
		else if (bs == SC_ARAB && persian > 2)
			lang = "fa";
		else if (bs == SC_CYRL && ukr > 2)
			lang = "uk";
		size_t need = (bs == SC_HAN || bs == SC_KANA || bs == SC_HANG) ? 4 : 10;
		if (cnt[bs] >= need) {
			r.lang = lang;
			r.confidence = share * (cnt[bs] >= 3 * need ? 1.0 : 0.7);
		}
		*out = r;
		return 0;
	}

	/* Latin: stop words, with special letters as a tie-breaker */
	size_t b1 = 0, b2 = 0;
	int bl = -1;
	for (size_t k = 0; k < ARRAY_SIZE(stopwords); k++) {
		size_t sc = lat_scores[k] * 4 + MIN(hints[k], lat_scores[k] + 2);
		if (sc > b1) {
			b2 = b1;
			b1 = sc;
			bl = (int)k;
		} else if (sc > b2) {
			b2 = sc;
		}
	}
	if (bl >= 0 && cnt[SC_LATN] >= 20 && lat_scores[bl] >= 2) {
		r.lang = stopwords[bl].lang;
		double margin = (double)(b1 - b2) / (double)b1;
		double enough = MIN(1.0, (double)lat_scores[bl] / 8.0);
		r.confidence = share * (0.5 + 0.5 * margin) * (0.5 + 0.5 * enough);
	}
	(void)words;
	*out = r;
	return 0;
}
