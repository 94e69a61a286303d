/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The diagnosis reader (libingest/findings/diagnosis.c) over texts with the
 * real vocabulary (INGEST_TEST_RULES_DIR): a labelled line is quoted as
 * written, with its side; a negated, a relative's or an unnamed cancer is
 * no diagnosis line; a stage only when its value is one; bounded.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ingest.h"
#include "check.h"
#include "findings/diagnosis.h"

static struct vocab *voc;

/* ---- the diagnosis reader ---- */

struct dx_want {
	const char *text;       /* the document */
	size_t n;               /* lines expected */
	const char *field[3], *value[3], *side[3];
};

static const struct dx_want dx_cases[] = {
	/* a heading alone on its line: the next line, quoted */
	{ "SURGICAL PATHOLOGY REPORT\nSpecimen: Left breast, core needle biopsy (14G x 3)\n\nDIAGNOSIS\n"
	  "Invasive breast carcinoma of no special type (ductal), grade 2.\n", 2,
	  { "specimen", "diagnosis" },
	  { "Left breast, core needle biopsy (14G x 3)", "Invasive breast carcinoma of no special type (ductal), grade 2." },
	  { "left", NULL } },
	/* a label with ':' and the value on its line; the value ends at a cell gap */
	{ "Diagnosis: metastatic breast cancer (liver, bone)    Ward: 4B\n", 1, { "diagnosis" },
	  { "metastatic breast cancer (liver, bone)" }, { NULL } },
	/* negated, or no cancer named: no diagnosis line (precision first) */
	{ "Diagnosis: no evidence of malignancy.\n", 0, { NULL }, { NULL }, { NULL } },
	{ "Final diagnosis: benign fibroadenoma.\n", 0, { NULL }, { NULL }, { NULL } },
	{ "Diagnosis: metastatic carcinoma,\nconsistent with breast primary.\n", 0, { NULL }, { NULL }, { NULL } },
	/* a label word inside a sentence is no label */
	{ "The diagnosis of lung adenocarcinoma was made in 2023.\n", 0, { NULL }, { NULL }, { NULL } },
	/* stage: only a value that starts with a stage */
	{ "Stage: IIIA\nStaging: CT chest of 12/03/2024\nTNM: pT2 pN1a M0\n", 2, { "stage", "stage" },
	  { "IIIA", "pT2 pN1a M0" }, { NULL, NULL } },
	/* Chinese: the label, a full-width colon; side from the concept */
	{ "病理诊断报告\n标本：右肺上叶穿刺活检\n病理诊断: 肺腺癌\n", 2, { "specimen", "diagnosis" },
	  { "右肺上叶穿刺活检", "肺腺癌" }, { "right", NULL } },
	/* German */
	{ "Material: Stanzbiopsie Mamma links\nDiagnose: Invasives Mammakarzinom, NST, G2\n", 2,
	  { "specimen", "diagnosis" }, { "Stanzbiopsie Mamma links", "Invasives Mammakarzinom, NST, G2" },
	  { "left", NULL } },
	/* both sides named: no side */
	{ "Specimen: left and right breast, excision\n", 1, { "specimen" }, { "left and right breast, excision" },
	  { NULL } },
	/* the first sentence only: the next label or sentence is not this line's */
	{ "Materiale: emicolectomia destra. Diagnosi: adenocarcinoma mucinoso del colon ascendente.\n", 1,
	  { "specimen" }, { "emicolectomia destra." }, { "right" } },
	{ "Diagnosis: Invasive ductal carcinoma of the left breast, grade 2. The tumour measures 22 mm.\n", 1,
	  { "diagnosis" }, { "Invasive ductal carcinoma of the left breast, grade 2." }, { "left" } },
	{ "Material: Lungenbiopsie li. Oberlappen\n", 1, { "specimen" }, { "Lungenbiopsie li. Oberlappen" }, { NULL } },   /* "li." is no side word of the vocabulary */
	/* a relative's cancer is not the patient's diagnosis */
	{ "Diagnosis: mother had breast cancer\n", 0, { NULL }, { NULL }, { NULL } },
};

static void test_diagnosis(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(dx_cases); i++) {
		const struct dx_want *w = &dx_cases[i];
		struct doc_text dt = { .text = w->text, .len = strlen(w->text) };
		struct dx_list l;
		CHECK_INT(findings_diagnosis(voc, &dt, &l), 0);
		CHECK(l.n == w->n, "case %zu: %zu lines, expected %zu (first: %s)", i, l.n, w->n,
		      l.n ? l.v[0].text : "-");
		for (size_t k = 0; k < l.n && k < w->n; k++) {
			CHECK_STR(dx_field_name(l.v[k].field), w->field[k]);
			CHECK_STR(l.v[k].text, w->value[k]);
			CHECK(w->side[k] ? l.v[k].side && strcmp(l.v[k].side, w->side[k]) == 0 : !l.v[k].side,
			      "case %zu line %zu: side %s, expected %s", i, k, l.v[k].side ? l.v[k].side : "none",
			      w->side[k] ? w->side[k] : "none");
			/* the quote is the document's words */
			CHECK_HAS(w->text, l.v[k].text);
		}
		dx_list_free(&l);
	}
	/* from the layout only what the reading-order text says too: two overlapping cells
	 * interleaved by the layout are no quote */
	{
		const char *text = "Specimen\nRight lower lobe EBUS-TBNA, FFPE block 2\nTumour content\n40%\n"
		                   "Specimen type: core biopsy\n";
		const char *layout = "Specimen: Right lower lobe EBUS-TBNA, FF TPuEm boloucrkc 2ontent\n"
		                     "Specimen type: core biopsy\n";
		struct doc_text dl = { .text = text, .len = strlen(text), .layout = layout, .layout_len = strlen(layout) };
		struct dx_list x;
		CHECK_INT(findings_diagnosis(voc, &dl, &x), 0);
		CHECK_INT(x.n, 1);
		if (x.n)
			CHECK_STR(x.v[0].text, "core biopsy");
		dx_list_free(&x);
	}
	/* bounded: a thousand labelled lines give DX_LINES_MAX */
	struct strbuf b;
	strbuf_init(&b, SIZE_MAX);
	for (int i = 0; i < 1000; i++)
		(void)strbuf_printf(&b, "Specimen: site %d\n", i);
	struct doc_text dt = { .text = b.s, .len = b.len };
	struct dx_list l;
	CHECK_INT(findings_diagnosis(voc, &dt, &l), 0);
	CHECK_INT(l.n, DX_LINES_MAX);
	dx_list_free(&l);
	strbuf_free(&b);
}

int main(void)
{
	const char *rules = getenv("INGEST_TEST_RULES_DIR");
	struct ing_ctx *ctx;
	struct strbuf errors;
	if (!rules || ing_ctx_new(&ctx) < 0)
		return 2;
	strbuf_init(&errors, 1u << 16);
	int r = vocab_load_dir(ctx, rules, &voc, &errors);
	if (r < 0) {
		fprintf(stderr, "the vocabulary of %s does not load (%d):\n%s\n", rules, r, errors.s ? errors.s : "");
		return 1;
	}
	strbuf_free(&errors);
	test_diagnosis();
	vocab_free(voc);
	ing_ctx_free(ctx);
	CHECK_DONE();
}
