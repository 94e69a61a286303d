/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The readers over the vocabulary: labs, dates, the document's date, dated
 * treatments, language and kind (libingest/findings/{labs,dates,treatments,
 * language,kinds}.c), with the real vocabulary of the source tree's rules
 * (INGEST_TEST_RULES_DIR) and the samples of tests/findings/samples/.
 *
 *   test-reading                 every table below
 *   test-reading --dump FILE     what each reader finds in FILE (to write new expectations)
 *   test-reading --bench FILE N  each reader N times over FILE: milliseconds per run
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ingest.h"
#include "findings/findings.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "check.h"

static struct vocab *voc;

static struct doc_text doc(const char *text)
{
	return (struct doc_text){ .text = text, .len = strlen(text) };
}

static char *sample(const char *name, size_t *len)
{
	const char *root = getenv("INGEST_SOURCE_ROOT");
	_cleanup_free_ char *p = xasprintf("%s/tests/findings/samples/%s", root ? root : ".", name);
	FILE *f = fopen(p, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", p);
		exit(2);
	}
	struct strbuf b;
	strbuf_init(&b, 1u << 24);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_append(&b, buf, n);
	fclose(f);
	*len = b.len;
	return strbuf_steal(&b);
}

/* ---- labs ---- */

struct lab_expect { const char *name, *value, *unit, *date, *date_raw; };

static void print_labs(const struct lab_list *l)
{
	for (size_t k = 0; k < l->n; k++)
		fprintf(stderr, "    got %s %s %s %s (%s)%s | %s\n", l->v[k].name, l->v[k].value,
		        l->v[k].unit ? l->v[k].unit : "-", l->v[k].date ? l->v[k].date : "-",
		        l->v[k].date_raw ? l->v[k].date_raw : "-", l->v[k].date_from_document ? " doc" : "",
		        l->v[k].snippet);
}

static bool lab_has(const struct lab_list *l, const struct lab_expect *e)
{
	for (size_t k = 0; k < l->n; k++) {
		const struct lab_value *v = &l->v[k];
		if (strcmp(v->name, e->name) == 0 && strcmp(v->value, e->value) == 0 &&
		    (e->unit ? v->unit && strcmp(v->unit, e->unit) == 0 : !v->unit) &&
		    (e->date ? v->date && strcmp(v->date, e->date) == 0 : !v->date) &&
		    (!e->date_raw || (v->date_raw && strcmp(v->date_raw, e->date_raw) == 0)))
			return true;
	}
	return false;
}

/* EXACT: exactly these values, else at least these. */
static void check_labs(const char *what, const struct doc_text *d, const struct lab_expect *want, size_t nwant,
                       bool exact)
{
	struct lab_list l;
	CHECK_INT(findings_labs(voc, d, &l), 0);
	bool bad = exact && l.n != nwant;
	for (size_t i = 0; i < nwant; i++)
		if (!lab_has(&l, &want[i])) {
			fprintf(stderr, "%s: expected lab %s %s %s %s (%s)\n", what, want[i].name, want[i].value,
			        want[i].unit ? want[i].unit : "-", want[i].date ? want[i].date : "-",
			        want[i].date_raw ? want[i].date_raw : "-");
			bad = true;
		}
	for (size_t k = 0; k < l.n; k++) {
		CHECK(l.v[k].snippet && strlen(l.v[k].snippet) <= FINDINGS_SNIPPET_MAX);
		CHECK(l.v[k].offset < (d->layout ? d->layout_len : d->len));
	}
	if (bad) {
		fprintf(stderr, "%s: %zu labs, expected %zu%s\n", what, l.n, nwant, exact ? "" : " or more");
		print_labs(&l);
		check_failures++;
	}
	lab_list_free(&l);
}

#define LABS(what, d, exact, ...) do { \
	static const struct lab_expect _w[] = { __VA_ARGS__ }; \
	struct doc_text _d = (d); \
	check_labs(what, &_d, _w, ARRAY_SIZE(_w), exact); } while (0)
#define NO_LABS(what, d) do { struct doc_text _d = (d); check_labs(what, &_d, NULL, 0, true); } while (0)

static void test_labs_samples(void)
{
	size_t len;
	char *t = sample("labs.txt", &len);
	struct doc_text d = { .text = t, .len = len };
	LABS("labs.txt", d, true,
	     { "CEA", "4.2", "ng/mL", "2026-01-12", "2026-01-12" }, { "CA 15-3", "32.5", "U/mL", "2026-01-12", NULL },
	     { "haemoglobin", "121", "g/L", "2026-01-12", NULL }, { "platelets", "250", "10^9/L", "2026-01-12", NULL },
	     { "creatinine", "88", "µmol/L", "2026-01-12", NULL }, { "ALT", "25", "U/L", "2026-01-12", NULL },
	     { "AST", "30", "U/L", "2026-01-12", NULL });
	free(t);

	t = sample("labs-ocr.txt", &len);
	d = (struct doc_text){ .text = t, .len = len, .ocr = true, .ocr_confidence = 80 };
	LABS("labs-ocr.txt", d, true,
	     { "CEA", "4.2", "ng/mL", NULL, "12/01/2026" }, { "CEA", "3.1", "ng/mL", "2026-01-15", "15.01.2026" },
	     { "haemoglobin", "12.1", "g/dL", NULL, NULL });
	free(t);

	t = sample("prostate.txt", &len);
	d = (struct doc_text){ .text = t, .len = len };
	LABS("prostate.txt", d, false, { "PSA", "12.4", "ng/mL", "2026-01-05", NULL });
	struct lab_list l;
	CHECK_INT(findings_labs(voc, &d, &l), 0);
	for (size_t k = 0; k < l.n; k++)    /* the density is no PSA value */
		CHECK(!(strcmp(l.v[k].name, "PSA") == 0 && l.v[k].num < 1), "%s %s", l.v[k].name, l.v[k].value);
	lab_list_free(&l);
	free(t);

	t = sample("labs-more.txt", &len);
	d = (struct doc_text){ .text = t, .len = len };
	LABS("labs-more.txt", d, false,
	     { "CA 19-9", "35", "U/mL", NULL, "03/02/2026" }, { "CA 19-9", "1250", "U/mL", "2026-01-20", "2026-01-20" },
	     { "platelets", "250000", "/µL", NULL, "03/02/2026" },
	     { "eGFR", ">90", "mL/min/1.73m²", NULL, "03/02/2026" },
	     { "creatinine", "1.1", "mg/dL", NULL, "03/02/2026" }, { "LDH", "245", "U/L", NULL, "03/02/2026" },
	     { "albumin", "38", "g/L", NULL, "03/02/2026" }, { "bilirubin", "12", "µmol/L", NULL, "03/02/2026" },
	     { "beta-hCG", "<2", "IU/L", NULL, "03/02/2026" }, { "AFP", "3.4", "kU/L", NULL, "03/02/2026" },
	     { "FLC ratio", "3.74", NULL, NULL, "03/02/2026" }, { "haemoglobin", "118", "g/L", NULL, "03/02/2026" },
	     { "neutrophils", "4.1", "10^9/L", NULL, "03/02/2026" }, { "haemoglobin", "9.8", "g/dL", NULL, NULL });
	CHECK_INT(findings_labs(voc, &d, &l), 0);
	for (size_t k = 0; k < l.n; k++) {
		/* "Creatinine 1.1 mg/dL (0.6-1.2)": the range is no value; the DOB no date */
		CHECK(!(strcmp(l.v[k].name, "creatinine") == 0 && (l.v[k].num == 0.6 || l.v[k].num == 1.2)));
		CHECK(!(l.v[k].date_raw && strstr(l.v[k].date_raw, "1960")));
		if (strcmp(l.v[k].name, "CEA") == 0 && strcmp(l.v[k].value, "4.2") == 0)
			CHECK(fabs(l.v[k].num - 4.2) < 1e-9);
	}
	lab_list_free(&l);
	free(t);
}

static void test_labs(void)
{
	/* decimal commas and local names */
	LABS("de", doc("Laborbefund vom 12.03.2026\nHämoglobin 11,2 g/dl\nKreatinin: 0,9 mg/dl\nLeukozyten 6,4 G/l\n"),
	     true, { "haemoglobin", "11.2", "g/dL", NULL, NULL }, { "creatinine", "0.9", "mg/dL", NULL, NULL },
	     { "WBC", "6.4", "10^9/L", NULL, NULL });
	LABS("fr", doc("Hémoglobine : 10,8 g/dL\nCréatinine 78 µmol/L\nPlaquettes 210 G/L\n"), true,
	     { "haemoglobin", "10.8", "g/dL", NULL, NULL }, { "creatinine", "78", "µmol/L", NULL, NULL },
	     { "platelets", "210", "10^9/L", NULL, NULL });
	LABS("es", doc("Hemoglobina 12,4 g/dL\nCreatinina 0,8 mg/dL\n"), true,
	     { "haemoglobin", "12.4", "g/dL", NULL, NULL }, { "creatinine", "0.8", "mg/dL", NULL, NULL });
	LABS("ru", doc("Гемоглобин 118 г/л\nКреатинин 84 мкмоль/л\nЛейкоциты 5,6 ×10⁹/л\n"), true,
	     { "haemoglobin", "118", "g/L", NULL, NULL }, { "creatinine", "84", "µmol/L", NULL, NULL },
	     { "WBC", "5.6", "10^9/L", NULL, NULL });
	LABS("zh", doc("血红蛋白 118 g/L\n肌酐 76 µmol/L\n"), true,
	     { "haemoglobin", "118", "g/L", NULL, NULL }, { "creatinine", "76", "µmol/L", NULL, NULL });
	/* flags between value and unit, a comparator kept */
	LABS("flags", doc("CEA 12,5 H ng/mL\nCA 19-9 ↑ 80 U/mL\nPSA <0,01 ng/mL\n"), true,
	     { "CEA", "12.5", "ng/mL", NULL, NULL }, { "CA 19-9", "80", "U/mL", NULL, NULL },
	     { "PSA", "<0.01", "ng/mL", NULL, NULL });
	/* a reference range is never the value */
	LABS("ref cue", doc("PSA (normal < 4.0): 6.3 ng/mL\n"), true, { "PSA", "6.3", "ng/mL", NULL, NULL });
	LABS("ref range first", doc("CEA 0.0-5.0 3.2 ng/mL\n"), true, { "CEA", "3.2", "ng/mL", NULL, NULL });
	NO_LABS("ref only", doc("CEA reference range < 5.0 ng/mL\n"));
	NO_LABS("range only", doc("Normal PSA: 0.0-4.0 ng/mL\n"));
	NO_LABS("ref before", doc("Reference range for CA 15-3 is < 30 U/mL.\n"));
	/* a number that counts something else, a value far from its name */
	NO_LABS("count", doc("CEA erhöht, Verlaufskontrolle in 4 Wochen empfohlen.\n"));
	NO_LABS("cycles", doc("PSA after 6 cycles of docetaxel\n"));
	NO_LABS("sentence", doc("CEA was not measured. 5 nodes were examined.\n"));
	/* a trend in a sentence: each value of the lab with its own date */
	LABS("trend pt", doc("O PSA subiu de 0,8 ng/mL (05/11/2025) para 4,6 ng/mL (25/02/2026).\n"), true,
	     { "PSA", "0.8", "ng/mL", NULL, "05/11/2025" }, { "PSA", "4.6", "ng/mL", "2026-02-25", "25/02/2026" });
	LABS("trend en", doc("CA-125 fell from 1240 U/mL on 10 December 2025 to 18 U/mL (20/02/2026).\n"), true,
	     { "CA-125", "1240", "U/mL", "2025-12-10", NULL }, { "CA-125", "18", "U/mL", "2026-02-20", "20/02/2026" });
	/* ...but not a rate, another lab's value, a reference, a number without the unit, the next sentence */
	LABS("trend rate", doc("PSA 4.6 ng/mL, rising by 0.75 ng/mL/year\n"), true, { "PSA", "4.6", "ng/mL", NULL, NULL });
	LABS("trend other", doc("CEA 12,6 ng/ml, CA 19-9 80 U/mL, AFP 3 ng/ml\n"), true,
	     { "CEA", "12.6", "ng/mL", NULL, NULL }, { "CA 19-9", "80", "U/mL", NULL, NULL },
	     { "AFP", "3", "ng/mL", NULL, NULL });
	LABS("trend ref", doc("CEA 12,6 ng/ml (Norm < 5,0 ng/ml)\n"), true, { "CEA", "12.6", "ng/mL", NULL, NULL });
	LABS("trend unitless", doc("PSA 4.6 ng/mL after 6 cycles, 3 months later 2.1\n"), true,
	     { "PSA", "4.6", "ng/mL", NULL, NULL });
	LABS("trend undated", doc("Le bilan du 25/02/2026 montre : pic monoclonal à 2,1 g/L (contre 18 g/L au diagnostic).\n"),
	     true, { "M-protein", "2.1", "g/L", "2026-02-25", NULL });
	LABS("trend sentence", doc("PSA 4.6 ng/mL. Free fraction 0.5 ng/mL.\n"), true, { "PSA", "4.6", "ng/mL", NULL, NULL });
	/* a derived quantity is not its lab's value */
	NO_LABS("density", doc("PSA density 0.15 ng/mL/cc\n"));
	NO_LABS("doubling", doc("PSA doubling time 8 months\n"));
	/* short names only as written with a capital; a measure is no value */
	NO_LABS("alt", doc("Die Patientin ist 62 Jahre alt 5 cm\n"));
	NO_LABS("ca.", doc("Tumor ca. 5 cm\n"));
	/* a table with a reference column: the reference never the value */
	LABS("table", doc("Test         Result    Units     Reference range\n"
	                  "CEA          3.1       ng/mL     < 5.0\n"
	                  "CA 19-9      < 2       U/mL      0-37\n"
	                  "Haemoglobin  13,1      g/dL      12.0-16.0\n"),
	     true, { "CEA", "3.1", "ng/mL", NULL, NULL }, { "CA 19-9", "<2", "U/mL", NULL, NULL },
	     { "haemoglobin", "13.1", "g/dL", NULL, NULL });
	/* the same from a layout: cells by tabs, the reference column first */
	{
		const char *lay = "Parameter\tReferenzbereich\tErgebnis\tEinheit\n"
		                  "Hämoglobin\t12,0-16,0\t10,9\tg/dl\n"
		                  "Kreatinin\t0,5-1,0\t1,4\tmg/dl\n";
		struct doc_text d = { .text = "Hämoglobin 12,0-16,0 10,9 g/dl", .len = 31, .layout = lay,
		                      .layout_len = strlen(lay) };
		LABS("layout de", d, true, { "haemoglobin", "10.9", "g/dL", NULL, NULL },
		     { "creatinine", "1.4", "mg/dL", NULL, NULL });
	}
	/* a cumulative table: one value per date column */
	LABS("cumulative", doc("                 12.01.2026   09.02.2026   09.03.2026\n"
	                       "CEA (ng/mL)      3,1          4,8          7,9 H\n"
	                       "CA 15-3 (U/mL)   22           25\n"
	                       "Hb g/dL          12.1         11.4         10.9\n"),
	     true, { "CEA", "3.1", "ng/mL", "2026-01-12", "12.01.2026" },
	     { "CEA", "4.8", "ng/mL", "2026-02-09", "09.02.2026" }, { "CEA", "7.9", "ng/mL", "2026-03-09", "09.03.2026" },
	     { "CA 15-3", "22", "U/mL", "2026-01-12", NULL }, { "CA 15-3", "25", "U/mL", "2026-02-09", NULL },
	     { "haemoglobin", "12.1", "g/dL", "2026-01-12", NULL }, { "haemoglobin", "11.4", "g/dL", "2026-02-09", NULL },
	     { "haemoglobin", "10.9", "g/dL", "2026-03-09", NULL });
	LABS("cumulative ru", doc("Показатель      01.02.2026    01.03.2026\n"
	                          "Гемоглобин      121           117\n"),
	     true, { "haemoglobin", "121", NULL, "2026-02-01", NULL }, { "haemoglobin", "117", NULL, "2026-03-01", NULL });
	/* the document's date when the line has none */
	LABS("doc date", doc("Date of collection: 2026-02-03\nCA-125 35 U/mL\n"), true,
	     { "CA-125", "35", "U/mL", "2026-02-03", "2026-02-03" });
	/* bounds */
	struct lab_list l;
	struct doc_text e = { .text = NULL, .len = 0 };
	CHECK_INT(findings_labs(voc, &e, &l), 0);
	CHECK_INT(l.n, 0);
	lab_list_free(&l);
	e.len = 3;
	CHECK_INT(findings_labs(voc, &e, &l), -EINVAL);
	struct strbuf b;
	strbuf_init(&b, 1u << 20);
	for (int i = 0; i < 400; i++)
		strbuf_printf(&b, "CEA %d.%d ng/mL on 2026-01-%02d\n", i, i % 10, 1 + i % 28);
	e = (struct doc_text){ .text = b.s, .len = b.len };
	CHECK_INT(findings_labs(voc, &e, &l), 0);
	CHECK_INT(l.n, FINDINGS_MAX_LABS);
	lab_list_free(&l);
	strbuf_free(&b);
}

/* ---- dates ---- */

static void test_dates(void)
{
	static const struct { const char *text, *iso; } dd[] = {
		{ "Report date: 2026-03-12", "2026-03-12" },
		{ "Datum: 12.03.2026", "2026-03-12" },
		{ "Date: 12/03/2026", "" },                     /* both readings are days */
		{ "Date: 13/03/2026", "2026-03-13" },
		{ "Date: 03/13/2026", "2026-03-13" },
		{ "Date de prélèvement : 12 mars 2026", "2026-03-12" },
		{ "Entnahmedatum: 12. März 2026", "2026-03-12" },
		{ "Fecha: 12 de marzo de 2026", "2026-03-12" },
		{ "Дата: 12 марта 2026 г.", "2026-03-12" },
		{ "报告日期：2026年3月12日", "2026-03-12" },
		{ "Date: March 12, 2026", "2026-03-12" },
		{ "Date: ١٢/٠٣/٢٠٢٦", "" },
		{ "Date: ١٣/٠٣/٢٠٢٦", "2026-03-13" },
		{ "Date: १३.०३.२०२६", "2026-03-13" },
		{ "Date: 12-Mar-2026", "2026-03-12" },
		/* a birth date is not the document's */
		{ "Date of birth: 01.02.1960\nName: X", "" },
		{ "DOB: 01.02.1960\nReport date: 2026-03-05", "2026-03-05" },
		/* the collection date before the report date */
		{ "Reported: 2026-03-05\nCollected: 2026-03-01", "2026-03-01" },
		/* a date in prose is no document date */
		{ "Seen on 2026-03-05 in clinic.", "" },
		{ "Date: 31.02.2026", "" },
		{ "Date: 1899-01-01", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(dd); i++) {
		char iso[11] = "x";
		struct doc_text d = doc(dd[i].text);
		findings_document_date(voc, &d, iso);
		if (strcmp(iso, dd[i].iso) != 0) {
			fprintf(stderr, "document date of \"%s\": \"%s\", expected \"%s\"\n", dd[i].text, iso, dd[i].iso);
			check_failures++;
		}
	}
	char iso[11] = "x";
	struct doc_text d = { 0 };
	findings_document_date(voc, &d, iso);
	CHECK_STR(iso, "");
}

/* ---- treatments ---- */

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
	/* dates in other languages' formats, drug names international */
	{ "Letrozole seit 12. März 2026.", "2026-06-01", { { "2026-03-12", "2026-03-12", "day", "Letrozole" } } },
	{ "Paclitaxel depuis le 12 mars 2026.", "2026-06-01", { { "2026-03-12", "2026-03-12", "day", "Paclitaxel" } } },
	{ "Trastuzumab desde el 12 de marzo de 2026.", "2026-06-01",
	  { { "2026-03-12", "2026-03-12", "day", "Trastuzumab" } } },
	{ "Пембролизумаб и pembrolizumab с 12 марта 2026 г.", "2026-06-01",
	  { { "2026-03-12", "2026-03-12", "day", "pembrolizumab" } } },
	{ "2026年3月12日开始 osimertinib 治疗。", "2026-06-01",
	  { { "2026-03-12", "2026-03-12", "day", "osimertinib" } } },
};

static void test_treatments(void)
{
	for (size_t c = 0; c < ARRAY_SIZE(tr_cases); c++) {
		const struct tr_case *tc = &tr_cases[c];
		struct treatment_list tl;
		size_t n = 0;
		struct doc_text d = doc(tc->text);
		CHECK_INT(findings_treatments(voc, &d, tc->today, &tl), 0);
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
	struct doc_text d = doc(t);
	CHECK_INT(findings_treatments(voc, &d, "2026-04-01", &tl), 0);
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
	d = (struct doc_text){ .text = b.s, .len = b.len };
	CHECK_INT(findings_treatments(voc, &d, "2026-06-01", &tl), 0);
	CHECK_INT(tl.n, FINDINGS_MAX_TREATMENTS);
	treatment_list_free(&tl);
	strbuf_free(&b);
	d = (struct doc_text){ 0 };
	CHECK_INT(findings_treatments(voc, &d, NULL, &tl), 0);
	CHECK_INT(tl.n, 0);
	treatment_list_free(&tl);
	d.len = 3;
	CHECK_INT(findings_treatments(voc, &d, NULL, &tl), -EINVAL);
}

/* ---- language ---- */

static const struct { const char *lang, *script, *text; } lang_texts[] = {
	{ "en", "Latn", "The specimen shows an invasive carcinoma of no special type. The tumour cells are positive for "
	                "oestrogen receptor and the margins are clear of the tumour." },
	{ "de", "Latn", "Das Präparat zeigt ein invasives Karzinom ohne speziellen Typ. Die Tumorzellen sind für den "
	                "Östrogenrezeptor positiv und die Schnittränder sind frei von Tumor." },
	{ "fr", "Latn", "Le prélèvement montre un carcinome infiltrant de type non spécifique. Les cellules tumorales "
	                "sont positives pour les récepteurs aux oestrogènes et les marges sont saines." },
	{ "es", "Latn", "La muestra presenta un carcinoma infiltrante de tipo no especial. Las células tumorales son "
	                "positivas para el receptor de estrógenos y los márgenes están libres de tumor." },
	{ "it", "Latn", "Il campione mostra un carcinoma infiltrante di tipo non speciale. Le cellule tumorali sono "
	                "positive per il recettore degli estrogeni e i margini sono liberi da neoplasia." },
	{ "pt", "Latn", "A amostra mostra um carcinoma invasivo do tipo não especial. As células tumorais são "
	                "positivas para o receptor de estrogênio e as margens estão livres de neoplasia." },
	{ "tr", "Latn", "Örnekte özel tip olmayan invaziv bir karsinom izlenmektedir. Tümör hücreleri östrojen "
	                "reseptörü için pozitif olup cerrahi sınırlar tümörden temizdir ve bu bulgu ile uyumludur." },
	{ "ru", "Cyrl", "В препарате определяется инвазивная карцинома неспецифического типа. Опухолевые клетки "
	                "положительны в отношении рецепторов эстрогена, и края резекции свободны от опухоли." },
	{ "zh", "Han", "标本显示为浸润性癌，非特殊类型。肿瘤细胞雌激素受体阳性，切缘未见肿瘤。" },
	{ "ar", "Arab", "تظهر العينة سرطانًا غازيًا من النوع غير الخاص. الخلايا الورمية إيجابية لمستقبلات الإستروجين "
	                "والحواف خالية من الورم." },
	{ "hi", "Deva", "नमूने में विशेष प्रकार का नहीं एक आक्रामक कार्सिनोमा दिखाई देता है। ट्यूमर कोशिकाएं एस्ट्रोजन "
	                "रिसेप्टर के लिए सकारात्मक हैं और किनारे ट्यूमर से मुक्त हैं।" },
	{ "ja", "Jpan", "標本には浸潤性乳管癌が認められます。腫瘍細胞はエストロゲン受容体陽性です。" },
};

static void test_language(void)
{
	for (size_t c = 0; c < ARRAY_SIZE(lang_texts); c++) {
		struct doc_language dl;
		struct doc_text d = doc(lang_texts[c].text);
		CHECK_INT(findings_language(voc, &d, &dl), 0);
		if (!dl.lang || strcmp(dl.lang, lang_texts[c].lang) != 0 || !dl.script ||
		    strcmp(dl.script, lang_texts[c].script) != 0 || dl.confidence < 0.3 || dl.confidence > 1) {
			fprintf(stderr, "language of the %s text: %s/%s (%.2f), expected %s/%s\n", lang_texts[c].lang,
			        dl.lang ? dl.lang : "unknown", dl.script ? dl.script : "-", dl.confidence,
			        lang_texts[c].lang, lang_texts[c].script);
			check_failures++;
		}
	}
	/* a lab table has few stop words: its lab names and headings tell the language */
	{
		struct doc_language dl;
		struct doc_text d = doc("Zentrallabor\nUntersuchung          Ergebnis   Einheit    Referenzbereich\n"
		                        "Hämoglobin            10,9  L    g/dl       12,0 - 16,0\n"
		                        "Leukozyten            7,2        G/l        3,9 - 10,2\n"
		                        "Thrombozyten          412   H    G/l        150 - 370\n"
		                        "Kreatinin             0,8        mg/dl      0,5 - 0,9\n");
		CHECK_INT(findings_language(voc, &d, &dl), 0);
		CHECK(dl.lang && strcmp(dl.lang, "de") == 0, "%s", dl.lang ? dl.lang : "unknown");
	}
	static const struct { const char *file, *lang, *script; } files[] = {
		{ "lang-en.txt", "en", "Latn" }, { "lang-zh.txt", "zh", "Han" }, { "lang-ar.txt", "ar", "Arab" },
		{ "lang-ru.txt", "ru", "Cyrl" }, { "lang-fr.txt", "fr", "Latn" }, { "lang-es.txt", "es", "Latn" },
		{ "lang-tr.txt", "tr", "Latn" }, { "lang-hi.txt", "hi", "Deva" }, { "lang-de.txt", "de", "Latn" },
		{ "lang-mixed.txt", "en", "Latn" }, { "zh-lung.txt", "zh", "Han" },
	};
	for (size_t c = 0; c < ARRAY_SIZE(files); c++) {
		size_t len;
		char *text = sample(files[c].file, &len);
		struct doc_language dl;
		struct doc_text d = { .text = text, .len = len };
		CHECK_INT(findings_language(voc, &d, &dl), 0);
		if (!dl.lang || strcmp(dl.lang, files[c].lang) != 0 || !dl.script ||
		    strcmp(dl.script, files[c].script) != 0 || dl.confidence < 0.3) {
			fprintf(stderr, "%s: language %s/%s (%.2f), expected %s/%s\n", files[c].file,
			        dl.lang ? dl.lang : "unknown", dl.script ? dl.script : "-", dl.confidence, files[c].lang,
			        files[c].script);
			check_failures++;
		}
		free(text);
	}
	struct doc_language dl;
	struct doc_text d = doc("CEA 4.2");
	CHECK_INT(findings_language(voc, &d, &dl), 0);
	CHECK(dl.lang == NULL);                         /* too short to say */
	d = doc("");
	CHECK_INT(findings_language(voc, &d, &dl), 0);
	CHECK(dl.lang == NULL && dl.script == NULL);
	d = (struct doc_text){ .text = NULL, .len = 5 };
	CHECK_INT(findings_language(voc, &d, &dl), -EINVAL);
}

/* ---- kinds ---- */

static const struct { enum ing_kind kind; const char *text; const char *evidence; } kind_cases[] = {
	{ KIND_PATHOLOGY, "SURGICAL PATHOLOGY REPORT\nSpecimen: left breast core biopsy\nMicroscopic description: "
	                  "invasive carcinoma.\n", "(heading)" },
	{ KIND_PATHOLOGY, "Universitätsklinikum\nPathologischer Befund\nMakroskopie: Stanzbiopsie.\nMikroskopie: "
	                  "invasives Karzinom.\n", "(heading)" },
	{ KIND_PATHOLOGY, "Compte rendu anatomopathologique\nMacroscopie : biopsie.\nMicroscopie : carcinome infiltrant.\n",
	  "(heading)" },
	{ KIND_PATHOLOGY, "ПАТОЛОГОАНАТОМИЧЕСКОЕ ЗАКЛЮЧЕНИЕ\nМакроскопическое описание: биоптат.\n"
	                  "Микроскопическое описание: инвазивная карцинома.\n", "(heading)" },
	{ KIND_PATHOLOGY, "病理诊断报告\n大体所见：穿刺组织。\n镜下所见：浸润性癌。\n", "(heading)" },
	{ KIND_LAB, "LABORATORY REPORT\nCollected: 2026-01-12\nCEA 4.2 ng/mL (reference range < 5.0)\n", "(heading)" },
	{ KIND_DISCHARGE, "DISCHARGE SUMMARY\nDate of admission: 2026-01-02\nHospital course: uneventful.\n"
	                  "Pathology report: invasive ductal carcinoma, margins clear, immunohistochemistry ER positive.\n"
	                  "Histopathology: grade 2.\n", "DISCHARGE SUMMARY" },
	{ KIND_MOLECULAR, "MOLECULAR PATHOLOGY REPORT\nNext-generation sequencing panel of 52 genes.\n"
	                  "Specimen: resection; microscopic description see pathology report.\n"
	                  "Variant allele frequency 23%.\n", "(heading)" },
	/* the title decides over the lab values a discharge summary lists */
	{ KIND_DISCHARGE, "DISCHARGE SUMMARY\nLabs on admission: Hb 9.8 g/dL, WBC 3.1, platelets 98 x10^9/L, "
	                  "creatinine 1.4 mg/dL, calcium 2.9 mmol/L, CA 15-3 120 U/mL (reference range < 30 U/mL).\n",
	  "(heading)" },
	/* the title, not a lab heading in the body's third line */
	{ KIND_DISCHARGE, "ВЫПИСНОЙ ЭПИКРИЗ\nДата: 15.03.2026\nОбщий анализ крови от 12.03.2026: гемоглобин 96 г/л, "
	                  "тромбоциты 180 ×10⁹/л, лейкоциты 4,2 ×10⁹/л.\nРЭА 12 нг/мл (норма до 5).\n", "(heading)" },
	{ KIND_LAB, "检验报告单\n采样日期：2026-03-12\n项目        结果    单位       参考范围\n"
	            "血红蛋白    96      g/L        115-150\n", "(heading)" },
	/* a heading is a title: inside a sentence it is a word ("La recherche de mutations EGFR par PCR"),
	 * and a letterhead's department names the kind */
	{ KIND_PATHOLOGY, "Cabinet de Pathologie du Rhône\nBiopsie bronchique lobaire supérieure droite\n"
	                  "Immunohistochimie : CK7 positif, TTF-1 positif.\n"
	                  "La recherche de mutations EGFR par PCR ne montre pas de mutation.\n", "(heading)" },
	{ KIND_PATHOLOGY, "HAEMATOPATHOLOGY MALIGNANCY DIAGNOSTIC SERVICE\nFinal integrated report\n"
	                  "Specimen: left cervical lymph node, excision biopsy.\nMORPHOLOGY\nSheets of large cells.\n",
	  "HAEMATOPATHOLOGY\" (heading)" },
	{ KIND_PATHOLOGY, "Ospedale Bellaria – Neuropatologia\nReferto neuropatologico\nSequenziamento IDH1/IDH2: wild type."
	                  "\n", "Neuropatologia\" (heading)" },
	{ KIND_PATHOLOGY, "Ospedale San Raffaele\nUnità di Emolinfopatologia - Via Olgettina 60, Milano\n"
	                  "Linfonodo inguinale destro, exeresi\nMarcatore\tClone\tRisultato\n", "(heading)" },
	{ KIND_PATHOLOGY, "Biopsie bronchique\nMacroscopie : 3 fragments.\nMicroscopie : adénocarcinome.\n"
	                  "Immunohistochimie : ROS1 négatif. La recherche de mutations EGFR par PCR ne montre pas de "
	                  "mutation.\n", "Immunohistochimie" },
	{ KIND_PATHOLOGY, "2. Neuropathologischer Befund\nMikroskopie: astrozytärer Tumor.\n", "(heading)" },
	/* no heading: the words of a pathologist's report, an addendum signed by one */
	{ KIND_PATHOLOGY, "CITY CANCER CENTRE\n*** AMENDED REPORT - see addendum below ***\nRight breast excision: invasive "
	                  "ductal carcinoma.\nADDENDUM\nHER2 immunohistochemistry was repeated: score 2+.\n"
	                  "Dr Alasdair Grant, Consultant Pathologist\n", "Consultant Pathologist" },
	/* a tumour board's record is a treatment summary, whatever its molecular paragraph */
	{ KIND_TREATMENT, "FICHE RCP DIGESTIVE - Centre Oscar Lambret\nHistoire : adénocarcinome du rectum.\n"
	                  "Biologie moléculaire : mutation KRAS exon 2 p.G12D détectée.\n"
	                  "Proposition : chimiothérapie FOLFIRINOX, réévaluation après 4 cures.\n", "FICHE RCP" },
	/* a cytogenetics / molecular haematology panel without a report title */
	{ KIND_MOLECULAR, "Laboratório de Hematologia Molecular\nPainel molecular para leucemia mieloide aguda\n"
	                  "NPM1 (exon 12)\tPCR\tMUTADO\n", "(heading)" },
	{ KIND_MOLECULAR, "Laboratorio de Onco-Hematología\nBCR-ABL1 (p190)\tRT-PCR\tPOSITIVO\n"
	                  "Reordenamiento KMT2A\tFISH\tnegativo\nCariotipo\tpendiente\n", "RT-PCR" },
	/* Arabic: a letterhead's department names the kind as English's "Department of Pathology" does;
	 * a report of a biopsy in the construct state (no article); without a heading, the pathologist's
	 * words (biopsies, carcinoma, pathologist) as in English */
	{ KIND_PATHOLOGY, "مستشفى الملك فهد التخصصي\nقسم علم الأمراض\nالعينة: عقدة لمفاوية إبطية.\n",
	  "قسم علم الأمراض\" (heading)" },
	{ KIND_PATHOLOGY, "تقرير خزعة الكبد\nالتشخيص: ورم كبدي.\n", "تقرير خزعة\" (heading)" },
	{ KIND_PATHOLOGY, "خزعات الثدي بالإبرة\nسرطانة قنوية غازية في 3 من 4 خزعات.\nأخصائي علم الأمراض: د. سامي\n",
	  "أخصائي علم الأمراض" },
	/* a laboratory's cumulative table in Russian */
	{ KIND_LAB, "Клинико-диагностическая лаборатория\nДинамика лабораторных показателей\n"
	            "Гемоглобин\t96\t104\tг/л\n", "(heading)" },
	/* classify.c's cases (tests/unit/test-identify.c) */
	{ KIND_MOLECULAR, "Foundation Medicine\nFoundationOne CDx\nGenomic findings: EGFR exon 19 deletion", NULL },
	{ KIND_RADIOLOGY, "CT CHEST ABDOMEN PELVIS\nTechnique: contrast\nFindings: ...\nImpression: no lesion", NULL },
	{ KIND_LAB, "LABORATORY REPORT\nHaemoglobin 12.1 g/dL\nCEA 4.2 ng/mL\nReference range", NULL },
	{ KIND_DISCHARGE, "DISCHARGE SUMMARY\nDate of admission: 1/2/2026\nDate of discharge: 3/2/2026", NULL },
	{ KIND_OPERATIVE, "OPERATIVE NOTE\nSurgeon: Dr X\nProcedure performed: mastectomy", NULL },
	{ KIND_LETTER, "Dear Dr Smith,\nthank you for seeing ...\nYours sincerely", NULL },
	{ KIND_PATHOLOGY, "病理报告\n病理诊断：浸润性导管癌\n免疫组化：ER(+)", NULL },
	{ KIND_DISCHARGE, "выписной эпикриз\n", NULL },
	{ KIND_PATHOLOGY, "compte rendu anatomopathologique\n", NULL },
	{ KIND_UNKNOWN, "salt altitude", NULL },
	{ KIND_UNKNOWN, "Grocery list: milk, bread, eggs.\n", NULL },
};

static void test_kinds(void)
{
	for (size_t c = 0; c < ARRAY_SIZE(kind_cases); c++) {
		char *ev = NULL;
		struct doc_text d = doc(kind_cases[c].text);
		enum ing_kind k = findings_kind(voc, &d, "report.pdf", &ev);
		if (k != kind_cases[c].kind) {
			fprintf(stderr, "kind case %zu: %s, expected %s (%s)\n", c, kind_name(k), kind_name(kind_cases[c].kind),
			        ev ? ev : "-");
			check_failures++;
		}
		CHECK(ev != NULL);
		if (kind_cases[c].evidence && k == kind_cases[c].kind)
			CHECK_HAS(ev, kind_cases[c].evidence);
		free(ev);
	}
	/* the reading order gives each label and value of a patient block its own line, pushing the title
	 * out of the top; the layout keeps them on one line, and the clearer reading decides */
	{
		static const char text[] = "Ankara Şehir Hastanesi\nÜniversiteler Mah. 1604. Cad.\n____\nHasta Adı:\n"
		                           "Protokol No:\nRapor Tarihi:\nAyşe YILMAZ\nP-2026-05541\n10.02.2026\n"
		                           "Doğum Tarihi:\nGeliş Tarihi:\nİsteyen:\n22.10.1965\n03.02.2026\n"
		                           "Genel Cerrahi\nPATOLOJİ RAPORU\nMateryal: Sol meme.\n";
		static const char layout[] = "Ankara Şehir Hastanesi\nÜniversiteler Mah. 1604. Cad.\n____\n"
		                             "Hasta Adı:\tAyşe YILMAZ\tProtokol No:\tP-2026-05541\n"
		                             "Doğum Tarihi:\t22.10.1965\tGeliş Tarihi:\t03.02.2026\n"
		                             "PATOLOJİ RAPORU\nMateryal: Sol meme.\n";
		char *e = NULL;
		struct doc_text t = { .text = text, .len = strlen(text) };
		CHECK_INT(findings_kind(voc, &t, "r.pdf", &e), KIND_UNKNOWN);
		free(e);
		t.layout = layout;
		t.layout_len = strlen(layout);
		CHECK_INT(findings_kind(voc, &t, "r.pdf", &e), KIND_PATHOLOGY);
		CHECK_HAS(e, "(heading)");
		free(e);
		/* a garbled layout (right-to-left glyphs out of order) does not outvote the text */
		t.text = layout;
		t.len = strlen(layout);
		t.layout = "\xd8\xb6 \xd8\xb1\n1\n";
		t.layout_len = strlen(t.layout);
		CHECK_INT(findings_kind(voc, &t, "r.pdf", &e), KIND_PATHOLOGY);
		free(e);
	}
	char *ev = NULL;
	struct doc_text d = { 0 };
	CHECK_INT(findings_kind(voc, &d, NULL, &ev), KIND_UNKNOWN);
	CHECK_STR(ev, "no text could be read");
	free(ev);

	/* cancer types of several languages */
	static const struct { const char *text, *type; } types[] = {
		{ "Diagnose: Mammakarzinom links.", "breast" },
		{ "Diagnóstico: mieloma múltiple.", "myeloma" },
		{ "Verdacht auf Darmkrebs.", "colorectal" },
		{ "临床诊断：肺腺癌。", "nsclc" },
		{ "Invasive ductal carcinoma of the breast.", "breast" },
	};
	for (size_t c = 0; c < ARRAY_SIZE(types); c++) {
		struct type_mention tm[8];
		d = doc(types[c].text);
		size_t n = findings_cancer_types(voc, &d, tm, ARRAY_SIZE(tm));
		bool ok = false;
		for (size_t i = 0; i < n; i++) {
			CHECK(tm[i].offset + tm[i].len <= d.len);
			ok |= strcmp(vocab_cancer_type(voc, (size_t)tm[i].type), types[c].type) == 0;
		}
		if (!ok) {
			fprintf(stderr, "cancer types of \"%s\": %s not among %zu\n", types[c].text, types[c].type, n);
			check_failures++;
		}
	}
	struct type_mention tm[1];
	d = doc("Mammakarzinom, Mammakarzinom, Brustkrebs");
	CHECK(findings_cancer_types(voc, &d, tm, 1) <= 1);
}

/* Every sample, whole and cut at every 7th byte, through every reader: bounds only. */
static void test_bounds(void)
{
	static const char *const files[] = { "labs.txt", "labs-more.txt", "zh-lung.txt", "lang-ar.txt", "crc-letter.txt" };
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		size_t len;
		char *text = sample(files[f], &len);
		for (size_t cut = len; cut > 0; cut = cut > 7 ? cut - 7 : 0) {
			char *c = xstrndup(text, cut);
			struct doc_text d = { .text = c, .len = cut };
			struct lab_list ll;
			struct treatment_list tl;
			struct doc_language dl;
			char iso[11], *ev = NULL;
			CHECK_INT(findings_labs(voc, &d, &ll), 0);
			for (size_t i = 0; i < ll.n; i++)
				CHECK(ll.v[i].offset <= cut && strlen(ll.v[i].snippet) <= FINDINGS_SNIPPET_MAX);
			lab_list_free(&ll);
			CHECK_INT(findings_treatments(voc, &d, "2026-06-01", &tl), 0);
			treatment_list_free(&tl);
			CHECK_INT(findings_language(voc, &d, &dl), 0);
			findings_document_date(voc, &d, iso);
			findings_kind(voc, &d, files[f], &ev);
			free(ev);
			free(c);
			if (cut < len - 400 && cut > 400)
				cut = 400;      /* the whole text once, then the short cuts */
		}
		free(text);
	}
}

static int dump(const char *path)
{
	size_t len;
	_cleanup_free_ char *text = NULL;
	if (read_file_at(AT_FDCWD, path, 1u << 24, 0, &text, &len) < 0)
		return 2;
	struct doc_text d = { .text = text, .len = len };
	struct lab_list ll;
	struct treatment_list tl;
	struct doc_language dl;
	char iso[11], *ev = NULL;
	findings_labs(voc, &d, &ll);
	print_labs(&ll);
	lab_list_free(&ll);
	findings_treatments(voc, &d, NULL, &tl);
	for (size_t i = 0; i < tl.n; i++)
		fprintf(stderr, "    treatment %s..%s \"%s\" | %s\n", tl.v[i].date, tl.v[i].latest, tl.v[i].what,
		        tl.v[i].snippet);
	treatment_list_free(&tl);
	findings_language(voc, &d, &dl);
	findings_document_date(voc, &d, iso);
	enum ing_kind k = findings_kind(voc, &d, path, &ev);
	fprintf(stderr, "language %s/%s %.2f, date %s, kind %s (%s)\n", dl.lang ? dl.lang : "-", dl.script ? dl.script : "-",
	        dl.confidence, iso, kind_name(k), ev);
	free(ev);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bench(const char *path, int n)
{
	size_t len;
	_cleanup_free_ char *text = NULL;
	if (read_file_at(AT_FDCWD, path, 1u << 26, 0, &text, &len) < 0 || n <= 0)
		return 2;
	struct doc_text d = { .text = text, .len = len };
	double t[6] = { 0 };
	for (int i = 0; i < n; i++) {
		struct lab_list ll;
		struct treatment_list tl;
		struct doc_language dl;
		struct type_mention tm[16];
		char iso[11], *ev = NULL;
		double a = now_ms();
		findings_labs(voc, &d, &ll);
		double b = now_ms();
		findings_treatments(voc, &d, "2026-06-01", &tl);
		double c = now_ms();
		findings_language(voc, &d, &dl);
		double e = now_ms();
		findings_document_date(voc, &d, iso);
		double f = now_ms();
		findings_kind(voc, &d, path, &ev);
		double g = now_ms();
		findings_cancer_types(voc, &d, tm, ARRAY_SIZE(tm));
		double h = now_ms();
		t[0] += b - a, t[1] += c - b, t[2] += e - c, t[3] += f - e, t[4] += g - f, t[5] += h - g;
		lab_list_free(&ll);
		treatment_list_free(&tl);
		free(ev);
	}
	printf("%zu bytes, ms per run: labs %.3f treatments %.3f language %.3f date %.3f kind %.3f types %.3f\n", len,
	       t[0] / n, t[1] / n, t[2] / n, t[3] / n, t[4] / n, t[5] / n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *rules = getenv("INGEST_TEST_RULES_DIR");
	struct ing_ctx *ctx;
	struct strbuf errors;
	strbuf_init(&errors, 1u << 16);
	if (!rules || ing_ctx_new(&ctx) < 0)
		return 2;
	int r = vocab_load_dir(ctx, rules, &voc, &errors);
	if (r < 0) {
		fprintf(stderr, "the vocabulary of %s does not load (%d):\n%s\n", rules, r, errors.s ? errors.s : "");
		return 1;
	}
	strbuf_free(&errors);
	if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
		r = dump(argv[2]);
		vocab_free(voc);
		ing_ctx_free(ctx);
		return r;
	}
	if (argc == 4 && strcmp(argv[1], "--bench") == 0) {
		r = bench(argv[2], atoi(argv[3]));
		vocab_free(voc);
		ing_ctx_free(ctx);
		return r;
	}
	test_labs_samples();
	test_labs();
	test_dates();
	test_treatments();
	test_language();
	test_kinds();
	test_bounds();
	vocab_free(voc);
	ing_ctx_free(ctx);
	CHECK_DONE();
}
