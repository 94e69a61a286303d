/* Biomarkers, labs and language from realistic report text (samples/).
 *
 *   test-findings                    the table below
 *   test-findings --samples DIR      every file in DIR, whole and cut short, for bounds
 *   test-findings --dump FILE        print what is found (to write new expectations)
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>

#include "findings.h"
#include "check.h"

#define MAXE 24

struct bm { const char *name, *result; };

static const struct bm_case {
	const char *file;
	struct bm found[MAXE];          /* exactly these are found (name, result) */
	const char *pending[8];
	const char *insufficient[4];
	const char *absent[8];          /* not in the list at all */
} bm_cases[] = {
	{ "breast.txt",
	  { { "ER", "positive (95%, Allred 8/8)" }, { "PR", "positive (40%, Allred 6/8)" },
	    { "HER2", "negative (IHC 1+)" }, { "HER2", "HER2-low" }, { "Ki-67", "25%" } },
	  { "ESR1", "BRCA1/2" }, { NULL }, { NULL } },
	{ "nsclc.txt",
	  { { "TTF-1", "positive" }, { "napsin A", "positive" }, { "p40", "negative" }, { "PD-L1", "TPS 60%" },
	    { "ALK", "negative" }, { "ROS1", "negative" }, { "EGFR", "exon 19 deletion detected" },
	    { "EGFR", "T790M not detected" }, { "KRAS", "wild-type" }, { "BRAF", "V600E not detected" },
	    { "MET", "exon 14 skipping not detected" }, { "RET", "not detected" }, { "NTRK", "no fusion detected" },
	    { "HER2", "exon 20 insertion not detected" }, { "TMB", "low (4 mut/Mb)" } },
	  { NULL }, { NULL }, { NULL } },
	{ "colorectal.txt",
	  { { "MLH1", "retained" }, { "PMS2", "retained" }, { "MSH2", "retained" }, { "MSH6", "retained" },
	    { "MMR", "proficient" }, { "MSI", "MSS" }, { "KRAS", "G12C mutated" }, { "NRAS", "wild-type" },
	    { "BRAF", "V600E not detected" } },
	  { "HER2" }, { NULL }, { "RAS" } },
	{ "crc-letter.txt",
	  { { "KRAS", "G12C mutated" }, { "MSI", "MSI-H" } },
	  { "BRAF" }, { NULL }, { NULL } },
	{ "prostate.txt",
	  { { "BRCA2", "mutated" }, { "ATM", "not detected" }, { "CHEK2", "not detected" },
	    { "PALB2", "not detected" }, { "MSI", "MSS" }, { "TMB", "low (3 mut/Mb)" } },
	  { NULL }, { "HRD" }, { "PSA" } },
	{ "lymphoma.txt",
	  { { "CD20", "positive" }, { "CD10", "positive" }, { "BCL6", "positive" }, { "MUM1", "negative" },
	    { "CD3", "negative" }, { "BCL2", "positive (80%)" }, { "BCL2", "not rearranged" }, { "MYC", "40%" },
	    { "MYC", "not rearranged" }, { "Ki-67", "90%" }, { "CD30", "negative" }, { "EBV", "negative" } },
	  { NULL }, { NULL }, { NULL } },
	{ "zh-lung.txt",
	  { { "CK7", "positive" }, { "TTF-1", "positive" }, { "napsin A", "positive" }, { "p40", "negative" },
	    { "Ki-67", "30%" }, { "ALK", "negative" }, { "ROS1", "negative" }, { "PD-L1", "TPS 60%" },
	    { "EGFR", "exon 19 deletion detected" }, { "KRAS", "wild-type" },
	    { "MET", "exon 14 skipping not detected" } },
	  { NULL }, { NULL }, { NULL } },
	{ "zh-breast.txt",
	  { { "ER", "positive (90%)" }, { "PR", "negative" }, { "HER2", "IHC 1+" }, { "Ki-67", "20%" },
	    { "AR", "positive" } },
	  { NULL }, { NULL }, { NULL } },
	{ "negatives.txt",
	  { { "ESR1", "Y537S mutated" } },
	  { "HER2", "PR", "ALK", "ROS1", "PD-L1" }, { "EGFR" }, { NULL } },
};

/* Single lines: one marker, one result (or none). */
static const struct { const char *text, *name, *result; } one[] = {
	{ "ALK (D5F3): negative", "ALK", "negative" },
	{ "PD-L1 TPS 60%", "PD-L1", "TPS 60%" },
	{ "PD-L1 (SP263): TPS <1%", "PD-L1", "TPS <1%" },
	{ "PD-L1 22C3: CPS 10", "PD-L1", "CPS 10" },
	{ "EGFR exon 19 deletion detected", "EGFR", "exon 19 deletion detected" },
	{ "EGFR ex19del positive", "EGFR", "exon 19 deletion positive" },
	{ "EGFR p.(Leu858Arg) detected", "EGFR", "L858R detected" },
	{ "KRAS G12C mutated", "KRAS", "G12C mutated" },
	{ "KRAS c.34G>T p.Gly12Cys", NULL, NULL },          /* a variant with no word of status */
	{ "BRAF p.(Val600Glu) mutation detected", "BRAF", "V600E mutated" },
	{ "Tumour is MSI-H.", "MSI", "MSI-H" },
	{ "MMR proficient", "MMR", "proficient" },
	{ "dMMR (loss of MLH1/PMS2)", "MMR", "deficient" },
	{ "HER2-low", "HER2", "HER2-low" },
	{ "HER-2/neu: 3+ (positive)", "HER2", "positive (IHC 3+)" },
	{ "c-erbB-2 (+++)", "HER2", "positive (IHC 3+)" },
	{ "HER2 IHC 0", "HER2", "IHC 0" },
	{ "HER2 FISH: not amplified, HER2/CEP17 ratio 1.3", "HER2", "not amplified (ratio 1.3)" },
	{ "ER-positive, HER2-negative metastatic breast cancer", "ER", "positive" },
	{ "EML4::ALK fusion detected", "ALK", "fusion detected" },
	{ "EML4-ALK fusion detected", "ALK", "fusion detected" },
	{ "MGMT promoter: methylated", "MGMT", "methylated" },
	{ "1p/19q: codeleted", "1p/19q", "codeleted" },
	{ "IDH1 R132H: negative", "IDH1", "R132H negative" },
	{ "IDH1 (R132H) IHC: negative", "IDH1", "R132H negative" },
	{ "CDKN2A/B: homozygous deletion", "CDKN2A/B", "homozygous deletion" },
	{ "H3 K27M: mutant", "H3 K27M", "mutated" },
	{ "del(17p): not detected", "del(17p)", "not detected" },
	{ "t(11;14) detected by FISH", "t(11;14)", "detected" },
	{ "IGHV unmutated", "IGHV", "unmutated" },
	{ "FLT3-ITD positive (allelic ratio 0.62)", "FLT3-ITD", "positive (ratio 0.62)" },
	{ "NPM1 mutated", "NPM1", "mutated" },
	{ "BCR::ABL1 p190 detected", "BCR::ABL1", "detected" },
	{ "Claudin 18.2: positive (80% of cells 2+/3+)", "CLDN18.2", "positive (IHC 2+, 80%)" },
	{ "p16: positive (block-type)", "p16", "positive" },
	{ "TMB-H (14 mut/Mb)", "TMB", "high (14 mut/Mb)" },
	{ "ER: Allred 7/8", "ER", "Allred 7/8" },
	{ "PR H-score 120", "PR", "H-score 120" },
	{ "EGFR 19外显子缺失突变", "EGFR", "exon 19 deletion detected" },
	{ "HER2（1+）", "HER2", "IHC 1+" },
	{ "ALK（-）", "ALK", "negative" },
	{ "ER（+，90%）", "ER", "positive (90%)" },
	{ "ER：阳性（90%）", "ER", "positive (90%)" },
	{ "EGFR：未检测到突变", "EGFR", "not detected" },
	{ "Récepteurs aux œstrogènes (RE) : positifs à 90 %", "ER", "positive (90%)" },
	{ "HER2 : négatif (score 1+)", "HER2", "negative (IHC 1+)" },
	{ "KRAS: no mutado", "KRAS", "not mutated" },
	{ "HER2: pozitif (3+)", "HER2", "positive (IHC 3+)" },
	{ "HER2 — отрицательный (1+)", "HER2", "negative (IHC 1+)" },
	{ "HER2: سلبي", "HER2", "negative" },
	{ "KRAS: Wildtyp", "KRAS", "wild-type" },
	{ "ER: %90 pozitif", "ER", "positive (90%)" },
	{ "HER2 0 - triple negative", "HER2", "negative (IHC 0)" },
	{ "NGS: no actionable alterations detected in EGFR, ALK, ROS1.", "ROS1", "not detected" },
	{ "NGS: no actionable alterations detected in EGFR, ALK, ROS1.", "EGFR", "not detected" },
	{ "MSI status: MSI-high", "MSI", "MSI-H" },
	{ "KRAS exon 2 codon 12/13: mutation detected (G12D).", "KRAS", "G12D mutated" },
	/* not found */
	{ "HER2: pending", NULL, NULL },
	{ "Tests requested: HER2, ER, PR", NULL, NULL },
	{ "HER2 TESTING", NULL, NULL },
	{ "PD-L1 inhibitor started", NULL, NULL },
	{ "Recommend MSI-H testing on the resection.", NULL, NULL },
	{ "ESR1 mutation: not detected", "ESR1", "not detected" },
};

struct lab_expect { const char *name, *value, *unit, *date, *date_raw; };
static const struct { const char *file; struct lab_expect v[12]; } lab_cases[] = {
	{ "labs.txt",
	  { { "CEA", "4.2", "ng/mL", "2026-01-12", "2026-01-12" }, { "CA 15-3", "32.5", "U/mL", "2026-01-12", "2026-01-12" },
	    { "haemoglobin", "121", "g/L", "2026-01-12", "2026-01-12" },
	    { "platelets", "250", "10^9/L", "2026-01-12", "2026-01-12" },
	    { "creatinine", "88", "µmol/L", "2026-01-12", "2026-01-12" }, { "ALT", "25", "U/L", "2026-01-12", "2026-01-12" },
	    { "AST", "30", "U/L", "2026-01-12", "2026-01-12" } } },
	{ "labs-ocr.txt",
	  { { "CEA", "4.2", "ng/mL", NULL, "12/01/2026" }, { "CEA", "3.1", "ng/mL", "2026-01-15", "15.01.2026" },
	    { "haemoglobin", "12.1", "g/dL", NULL, NULL } } },
	{ "prostate.txt", { { "PSA", "12.4", "ng/mL", "2026-01-05", "2026-01-05" } } },
	{ "labs-more.txt",
	  { { "CA 19-9", "35", "U/mL", NULL, "03/02/2026" }, { "CA 19-9", "1250", "U/mL", "2026-01-20", "2026-01-20" },
	    { "platelets", "250000", "/µL", NULL, "03/02/2026" }, { "eGFR", ">90", "mL/min/1.73m²", NULL, "03/02/2026" },
	    { "creatinine", "1.1", "mg/dL", NULL, "03/02/2026" }, { "CEA", "5.6", "ng/mL", NULL, "03/02/2026" },
	    { "LDH", "245", "U/L", NULL, "03/02/2026" }, { "albumin", "38", "g/L", NULL, "03/02/2026" },
	    { "bilirubin", "12", "µmol/L", NULL, "03/02/2026" }, { "beta-hCG", "<2", "IU/L", NULL, "03/02/2026" },
	    { "AFP", "3.4", "kU/L", NULL, "03/02/2026" }, { "FLC ratio", "3.74", NULL, NULL, "03/02/2026" } } },
};

static const struct { const char *file, *lang, *script; } lang_cases[] = {
	{ "lang-en.txt", "en", "Latn" }, { "lang-zh.txt", "zh", "Han" }, { "lang-ar.txt", "ar", "Arab" },
	{ "lang-ru.txt", "ru", "Cyrl" }, { "lang-fr.txt", "fr", "Latn" }, { "lang-es.txt", "es", "Latn" },
	{ "lang-tr.txt", "tr", "Latn" }, { "lang-hi.txt", "hi", "Deva" }, { "lang-de.txt", "de", "Latn" },
	{ "lang-mixed.txt", "en", "Latn" }, { "zh-lung.txt", "zh", "Han" },
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf b;
	strbuf_init(&b, 16u << 20);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (strbuf_append(&b, buf, n) < 0)
			break;
	fclose(f);
	*len = b.len;
	return b.s ? strbuf_steal(&b) : xstrdup("");
}

static char *sample(const char *name, size_t *len)
{
	const char *root = getenv("INGEST_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/findings/samples/%s", root ? root : ".", name);
	char *s = slurp(path, len);
	if (!s) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	return s;
}

static void dump(const char *text, size_t len)
{
	struct biomarker_list bl;
	struct lab_list ll;
	struct doc_language dl;
	findings_biomarkers(text, len, &bl);
	for (size_t i = 0; i < bl.n; i++)
		printf("%-10s %-12s %-32s | %s%s\n", bl.v[i].name, finding_state_name(bl.v[i].state), bl.v[i].result,
		       bl.v[i].snippet, bl.v[i].panel ? "  [panel]" : "");
	findings_labs(text, len, &ll);
	for (size_t i = 0; i < ll.n; i++)
		printf("LAB %-12s %-8s %-8s %-10s %-12s%s | %s\n", ll.v[i].name, ll.v[i].value, ll.v[i].unit ? ll.v[i].unit : "-",
		       ll.v[i].date ? ll.v[i].date : "-", ll.v[i].date_raw ? ll.v[i].date_raw : "-",
		       ll.v[i].date_from_document ? " (doc)" : "", ll.v[i].snippet);
	findings_language(text, len, &dl);
	printf("LANG %s %s %.2f (%zu letters)\n", dl.lang ? dl.lang : "unknown", dl.script ? dl.script : "-",
	       dl.confidence, dl.letters);
	biomarker_list_free(&bl);
	lab_list_free(&ll);
}

static bool valid_utf8(const char *s)
{
	char *c = utf8_sanitize(s, strlen(s));
	bool ok = strcmp(c, s) == 0;
	free(c);
	return ok;
}

/* Bounds and shape of every output; ASan catches reads past len. */
static void check_invariants(const char *text, size_t len)
{
	/* a heap copy of exactly len bytes, no terminator, so an overread is caught */
	char *copy = xmalloc(len ? len : 1);
	memcpy(copy, text, len);
	struct biomarker_list bl;
	struct lab_list ll;
	struct doc_language dl;
	CHECK_INT(findings_biomarkers(copy, len, &bl), 0);
	CHECK(bl.n <= FINDINGS_MAX_BIOMARKERS);
	for (size_t i = 0; i < bl.n; i++) {
		CHECK(bl.v[i].name && bl.v[i].result && bl.v[i].snippet);
		CHECK(strlen(bl.v[i].snippet) <= FINDINGS_SNIPPET_MAX);
		CHECK(valid_utf8(bl.v[i].snippet));
		CHECK(bl.v[i].offset <= len);
	}
	CHECK_INT(findings_labs(copy, len, &ll), 0);
	CHECK(ll.n <= FINDINGS_MAX_LABS);
	for (size_t i = 0; i < ll.n; i++) {
		CHECK(ll.v[i].name && ll.v[i].value && ll.v[i].snippet);
		CHECK(strlen(ll.v[i].snippet) <= FINDINGS_SNIPPET_MAX);
		CHECK(valid_utf8(ll.v[i].snippet));
		CHECK(!ll.v[i].date || strlen(ll.v[i].date) == 10);
	}
	CHECK_INT(findings_language(copy, len, &dl), 0);
	CHECK(dl.confidence >= 0 && dl.confidence <= 1);
	struct treatment_list tl;
	CHECK_INT(findings_treatments(copy, len, "2026-06-01", &tl), 0);
	CHECK(tl.n <= FINDINGS_MAX_TREATMENTS);
	for (size_t i = 0; i < tl.n; i++) {
		CHECK(tl.v[i].what && tl.v[i].what[0] && tl.v[i].snippet && tl.v[i].date_raw);
		CHECK(strlen(tl.v[i].snippet) <= FINDINGS_SNIPPET_MAX);
		CHECK(valid_utf8(tl.v[i].snippet));
		CHECK(strlen(tl.v[i].date) == 10 && strlen(tl.v[i].latest) == 10);
		CHECK(strcmp(tl.v[i].date, tl.v[i].latest) <= 0);
		CHECK(strcmp(tl.v[i].latest, "2026-06-01") <= 0);
		CHECK(tl.v[i].offset <= len);
	}
	treatment_list_free(&tl);
	biomarker_list_free(&bl);
	lab_list_free(&ll);
	free(copy);
}

static int run_samples(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", dir);
		return 1;
	}
	struct dirent *de;
	int files = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		char *s = slurp(path, &len);
		if (!s)
			continue;
		files++;
		/* whole, and cut at every byte of the first 600 (mid-UTF-8, mid-word) */
		check_invariants(s, len);
		for (size_t cut = 0; cut < len && cut < 600; cut++)
			check_invariants(s, cut);
		free(s);
	}
	closedir(d);
	CHECK(files >= 10);
	/* hostile text: long runs, only separators, NULs, invalid UTF-8 */
	size_t n = 300000;
	char *big = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = "HER2 ER+ (-) 3+ 1,2 % \xe4\xb8\xad\xff\x00:/-;\n"[i % 28];
	check_invariants(big, n);
	memset(big, '+', n);
	check_invariants(big, n);
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 7) ? 'E' : 'R';
	check_invariants(big, n);
	free(big);
	CHECK_DONE();
}

static bool has(const struct biomarker_list *l, const char *name, enum finding_state st, const char *result)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0 && l->v[i].state == st && (!result || strcmp(l->v[i].result, result) == 0))
			return true;
	return false;
}

static void report_list(const char *what, const struct biomarker_list *l)
{
	fprintf(stderr, "  %s gave:\n", what);
	for (size_t i = 0; i < l->n; i++)
		fprintf(stderr, "    %s %s \"%s\" | %s\n", l->v[i].name, finding_state_name(l->v[i].state), l->v[i].result,
		        l->v[i].snippet);
}

/* Dated treatment events: a treatment word and a date in one line or sentence. */
struct tr_want { const char *date, *latest, *precision, *what; };
static const struct tr_case {
	const char *text;
	const char *today;
	struct tr_want ev[4];           /* exactly these, in order */
} tr_cases[] = {
	/* the day wins over the month: 12/03 is 12 March once 3 December is in the future */
	{ "Letrozole started 12/03/2026", "2026-03-20", { { "2026-03-12", "2026-03-12", "day", "Letrozole started" } } },
	/* both readings in the past: ambiguous, the range kept */
	{ "Letrozole started 12/03/2026", "2027-01-01",
	  { { "2026-03-12", "2026-12-03", "day-or-month", "Letrozole started" } } },
	{ "Letrozole started 13/03/2026.", "2026-06-01", { { "2026-03-13", "2026-03-13", "day", "Letrozole started" } } },
	{ "Paclitaxel weekly from 12.03.2026", "2026-06-01", { { "2026-03-12", "2026-03-12", "day", "Paclitaxel" } } },
	{ "2026-01-15: right mastectomy and sentinel node biopsy", "2026-06-01",
	  { { "2026-01-15", "2026-01-15", "day", "mastectomy, sentinel node biopsy" } } },
	{ "She had SBRT 54 Gy in 3 fractions on 4 February 2026.", "2026-06-01",
	  { { "2026-02-04", "2026-02-04", "day", "SBRT, Gy" } } },
	{ "FOLFOX from March 2026", "2026-06-01", { { "2026-03-01", "2026-03-31", "month", "FOLFOX" } } },
	/* the month not over yet: up to today */
	{ "Osimertinib since 05/2026", "2026-05-20", { { "2026-05-01", "2026-05-20", "month", "Osimertinib" } } },
	{ "Progression on CT; switched to docetaxel on 2026-02-01", "2026-06-01",
	  { { "2026-02-01", "2026-02-01", "day", "switched to docetaxel" } } },
	{ "Chemotherapy (carboplatin and paclitaxel) was started on\nMarch 3, 2026 and stopped 2026-05-02.", "2026-06-01",
	  { { "2026-03-03", "2026-03-03", "day", "Chemotherapy, carboplatin, paclitaxel started" },
	    { "2026-05-02", "2026-05-02", "day", "Chemotherapy, carboplatin, paclitaxel started" } } },
	/* one event per sentence: the date of the other sentence is not this one's */
	{ "Tamoxifen since 2024-02-01. Seen in clinic on 2026-03-01 by Dr Lee.", "2026-06-01",
	  { { "2024-02-01", "2024-02-01", "day", "Tamoxifen" } } },
	/* a drug without a date: nothing */
	{ "Current medications: letrozole 2.5 mg once daily.", "2026-06-01", { { NULL } } },
	/* a date without a treatment word: nothing */
	{ "Seen in clinic on 12 March 2026, feeling well.", "2026-06-01", { { NULL } } },
	/* in the future: a plan, not an event */
	{ "Letrozole started 2026-07-01", "2026-06-01", { { NULL } } },
	{ "Letrozole started 15/12/2026", "2026-06-01", { { NULL } } },
	/* plans and birth dates */
	{ "Surgery is planned for 2026-03-01.", "2026-06-01", { { NULL } } },
	{ "Mastectomy, DOB 12/05/1961", "2026-06-01", { { NULL } } },
	/* before 1900 is no date */
	{ "Radiotherapy 1899-01-01", "2026-06-01", { { NULL } } },
	/* a word that starts like a month is no month */
	{ "Surgery decided 2025 by the board", "2026-06-01", { { NULL } } },
	{ "Chemotherapy since Sept. 2025", "2026-06-01", { { "2025-09-01", "2025-09-30", "month", "Chemotherapy" } } },
	/* a year alone says too little */
	{ "Radical prostatectomy 2021.", "2026-06-01", { { NULL } } },
	/* "Gy" only after a number; "chemo" not inside another word */
	{ "Gyn review 2026-01-01. Chemokine level 2026-01-02.", "2026-06-01", { { NULL } } },
	/* a wrapped sentence is one sentence; a new line in capitals is another */
	{ "Letrozole 2.5 mg\n2026-03-12 CT chest", "2026-06-01", { { NULL } } },
};

static void test_treatments(void)
{
	for (size_t c = 0; c < ARRAY_SIZE(tr_cases); c++) {
		const struct tr_case *tc = &tr_cases[c];
		struct treatment_list tl;
		size_t n = 0;
		CHECK_INT(findings_treatments(tc->text, strlen(tc->text), tc->today, &tl), 0);
		while (n < ARRAY_SIZE(tc->ev) && tc->ev[n].date)
			n++;
		if (tl.n != n) {
			fprintf(stderr, "treatments case %zu \"%s\": %zu events, expected %zu\n", c, tc->text, tl.n, n);
			for (size_t i = 0; i < tl.n; i++)
				fprintf(stderr, "    %s..%s %s \"%s\" (%s)\n", tl.v[i].date, tl.v[i].latest,
				        treatment_precision_name(tl.v[i].precision), tl.v[i].what, tl.v[i].snippet);
			check_failures++;
		}
		for (size_t i = 0; i < n && i < tl.n; i++) {
			CHECK_STR(tl.v[i].date, tc->ev[i].date);
			CHECK_STR(tl.v[i].latest, tc->ev[i].latest);
			CHECK_STR(treatment_precision_name(tl.v[i].precision), tc->ev[i].precision);
			CHECK_STR(tl.v[i].what, tc->ev[i].what);
			CHECK(tl.v[i].snippet && strlen(tl.v[i].snippet) <= FINDINGS_SNIPPET_MAX);
		}
		treatment_list_free(&tl);
	}
	/* the snippet shows the words and the date */
	struct treatment_list tl;
	const char *t = "TREATMENT SUMMARY\nDiagnosis: ER-positive breast cancer.\nLetrozole started 12/03/2026 after progression.\n";
	CHECK_INT(findings_treatments(t, strlen(t), "2026-04-01", &tl), 0);
	CHECK_INT(tl.n, 1);
	if (tl.n == 1) {
		CHECK_STR(tl.v[0].snippet, "Letrozole started 12/03/2026 after progression");
		CHECK_STR(tl.v[0].date_raw, "12/03/2026");
		CHECK_STR(tl.v[0].what, "Letrozole started, progression");
		CHECK_INT(tl.v[0].offset, strstr(t, "Letrozole") - t);
	}
	treatment_list_free(&tl);
	/* bounded: a long list of dated lines gives at most FINDINGS_MAX_TREATMENTS */
	struct strbuf b;
	strbuf_init(&b, 1u << 20);
	for (int i = 0; i < 300; i++)
		strbuf_printf(&b, "Cycle %d of FOLFOX on %04d-%02d-%02d\n", i, 2000 + i / 12, 1 + i % 12, 1 + i % 28);
	CHECK_INT(findings_treatments(b.s, b.len, "2026-06-01", &tl), 0);
	CHECK_INT(tl.n, FINDINGS_MAX_TREATMENTS);
	treatment_list_free(&tl);
	strbuf_free(&b);
	CHECK_INT(findings_treatments(NULL, 0, NULL, &tl), 0);
	CHECK_INT(tl.n, 0);
	treatment_list_free(&tl);
	CHECK_INT(findings_treatments(NULL, 3, NULL, &tl), -EINVAL);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--samples") == 0)
		return run_samples(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
		size_t len;
		char *s = slurp(argv[2], &len);
		if (!s)
			return 1;
		dump(s, len);
		free(s);
		return 0;
	}

	/* documents: the exact set found, and the pending/insufficient ones */
	for (size_t c = 0; c < ARRAY_SIZE(bm_cases); c++) {
		const struct bm_case *bc = &bm_cases[c];
		size_t len;
		char *text = sample(bc->file, &len);
		struct biomarker_list l;
		CHECK_INT(findings_biomarkers(text, len, &l), 0);
		int before = check_failures;
		size_t nfound = 0, nexp = 0;
		for (size_t i = 0; i < l.n; i++)
			nfound += l.v[i].state == FINDING_FOUND;
		for (size_t i = 0; i < MAXE && bc->found[i].name; i++, nexp++)
			if (!has(&l, bc->found[i].name, FINDING_FOUND, bc->found[i].result)) {
				fprintf(stderr, "%s: expected %s \"%s\"\n", bc->file, bc->found[i].name, bc->found[i].result);
				check_failures++;
			}
		if (nfound != nexp) {
			fprintf(stderr, "%s: %zu found, expected %zu\n", bc->file, nfound, nexp);
			check_failures++;
		}
		for (size_t i = 0; i < 8 && bc->pending[i]; i++) {
			if (!has(&l, bc->pending[i], FINDING_PENDING, "pending")) {
				fprintf(stderr, "%s: expected %s pending\n", bc->file, bc->pending[i]);
				check_failures++;
			}
			CHECK(!biomarker_find(&l, bc->pending[i]));
		}
		for (size_t i = 0; i < 4 && bc->insufficient[i]; i++) {
			if (!has(&l, bc->insufficient[i], FINDING_INSUFFICIENT, NULL)) {
				fprintf(stderr, "%s: expected %s insufficient\n", bc->file, bc->insufficient[i]);
				check_failures++;
			}
			CHECK(!biomarker_find(&l, bc->insufficient[i]));
		}
		for (size_t i = 0; i < 8 && bc->absent[i]; i++)
			for (size_t k = 0; k < l.n; k++)
				if (strcmp(l.v[k].name, bc->absent[i]) == 0) {
					fprintf(stderr, "%s: %s should not be listed\n", bc->file, bc->absent[i]);
					check_failures++;
				}
		/* every snippet is words of the document */
		for (size_t i = 0; i < l.n; i++) {
			const char *sn = l.v[i].snippet;
			size_t sl = strcspn(sn, " ");
			CHECK(l.v[i].offset < len && strncmp(text + l.v[i].offset, sn, sl) == 0);
		}
		if (check_failures != before)
			report_list(bc->file, &l);
		biomarker_list_free(&l);
		free(text);
	}

	/* the breast snippets, exactly */
	{
		size_t len;
		char *text = sample("breast.txt", &len);
		struct biomarker_list l;
		CHECK_INT(findings_biomarkers(text, len, &l), 0);
		const struct biomarker *b = biomarker_find(&l, "ER");
		CHECK(b && strcmp(b->snippet, "Oestrogen receptor (ER): Positive, 95% of tumour cells, strong intensity (Allred 8/8)") == 0);
		b = biomarker_find(&l, "Ki-67");
		CHECK(b && strcmp(b->snippet, "Ki-67 (MIB-1): 25%") == 0);
		CHECK(!biomarker_find(&l, "ESR1"));
		biomarker_list_free(&l);
		free(text);
	}

	/* single lines */
	for (size_t c = 0; c < ARRAY_SIZE(one); c++) {
		struct biomarker_list l;
		CHECK_INT(findings_biomarkers(one[c].text, strlen(one[c].text), &l), 0);
		size_t nfound = 0;
		for (size_t i = 0; i < l.n; i++)
			nfound += l.v[i].state == FINDING_FOUND;
		bool ok = one[c].name ? has(&l, one[c].name, FINDING_FOUND, one[c].result) && nfound >= 1 : nfound == 0;
		/* "ER-positive, HER2-negative": two markers, each with its own */
		if (ok && one[c].name && nfound > 1 && strstr(one[c].text, "HER2-negative"))
			ok = has(&l, "HER2", FINDING_FOUND, "negative");
		if (!ok) {
			fprintf(stderr, "\"%s\": expected %s \"%s\"\n", one[c].text, one[c].name ? one[c].name : "nothing found",
			        one[c].result ? one[c].result : "");
			report_list("it", &l);
			check_failures++;
		}
		biomarker_list_free(&l);
	}

	/* labs */
	for (size_t c = 0; c < ARRAY_SIZE(lab_cases); c++) {
		size_t len;
		char *text = sample(lab_cases[c].file, &len);
		struct lab_list l;
		CHECK_INT(findings_labs(text, len, &l), 0);
		size_t nexp = 0;
		for (size_t i = 0; i < 12 && lab_cases[c].v[i].name; i++, nexp++) {
			const struct lab_expect *e = &lab_cases[c].v[i];
			bool ok = false;
			for (size_t k = 0; k < l.n && !ok; k++) {
				const struct lab_value *v = &l.v[k];
				ok = strcmp(v->name, e->name) == 0 && strcmp(v->value, e->value) == 0 &&
				     (e->unit ? v->unit && strcmp(v->unit, e->unit) == 0 : !v->unit) &&
				     (e->date ? v->date && strcmp(v->date, e->date) == 0 : !v->date) &&
				     (e->date_raw ? v->date_raw && strcmp(v->date_raw, e->date_raw) == 0 : !v->date_raw);
			}
			if (!ok) {
				fprintf(stderr, "%s: expected lab %s %s %s %s (%s)\n", lab_cases[c].file, e->name, e->value,
				        e->unit ? e->unit : "-", e->date ? e->date : "-", e->date_raw ? e->date_raw : "-");
				for (size_t k = 0; k < l.n; k++)
					fprintf(stderr, "    got %s %s %s %s (%s) | %s\n", l.v[k].name, l.v[k].value,
					        l.v[k].unit ? l.v[k].unit : "-", l.v[k].date ? l.v[k].date : "-",
					        l.v[k].date_raw ? l.v[k].date_raw : "-", l.v[k].snippet);
				check_failures++;
			}
		}
		if (l.n != nexp && strcmp(lab_cases[c].file, "labs-more.txt") != 0) {
			fprintf(stderr, "%s: %zu labs, expected %zu\n", lab_cases[c].file, l.n, nexp);
			check_failures++;
		}
		for (size_t k = 0; k < l.n; k++)
			if (strcmp(l.v[k].name, "CEA") == 0 && strcmp(l.v[k].value, "4.2") == 0)
				CHECK(fabs(l.v[k].num - 4.2) < 1e-9);
		lab_list_free(&l);
		free(text);
	}

	/* language and script */
	for (size_t c = 0; c < ARRAY_SIZE(lang_cases); c++) {
		size_t len;
		char *text = sample(lang_cases[c].file, &len);
		struct doc_language dl;
		CHECK_INT(findings_language(text, len, &dl), 0);
		if (!dl.lang || strcmp(dl.lang, lang_cases[c].lang) != 0 || !dl.script ||
		    strcmp(dl.script, lang_cases[c].script) != 0 || dl.confidence < 0.3) {
			fprintf(stderr, "%s: language %s/%s (%.2f), expected %s/%s\n", lang_cases[c].file,
			        dl.lang ? dl.lang : "unknown", dl.script ? dl.script : "-", dl.confidence,
			        lang_cases[c].lang, lang_cases[c].script);
			check_failures++;
		}
		free(text);
	}
	struct doc_language dl;
	CHECK_INT(findings_language("CEA 4.2", 7, &dl), 0);
	CHECK(dl.lang == NULL);                         /* too short to say */
	CHECK_INT(findings_language("", 0, &dl), 0);
	CHECK(dl.lang == NULL && dl.script == NULL);
	CHECK_INT(findings_language(NULL, 5, &dl), -EINVAL);

	test_treatments();

	struct biomarker_list bl;
	CHECK_INT(findings_biomarkers(NULL, 0, &bl), 0);
	CHECK_INT(bl.n, 0);
	biomarker_list_free(&bl);
	CHECK_DONE();
}
