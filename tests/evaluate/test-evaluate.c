/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The checker against synthetic inventories, with the shipped rules/
 * (argv[1]). Each fixture states the EXACT gaps (rule id + severity) and the
 * status it must produce. The expected lists were worked out by reading
 * the rules/ YAML files, docs/rules.md ("Evaluation") and CHECKLISTS.md, not copied
 * from a run: the comments next to each entry say why it is there.
 *
 * Ages are measured to TODAY (2025-06-01).
 */
#include <stdio.h>

#include "evaluate.h"
#include "case.h"
#include "check.h"

#define TODAY "2025-06-01"

static struct ing_ctx *ctx;
static struct ruleset *rs;

#include "one-item.h"

/* ---- building inventories ---- */

static struct ing_scan *scan_new(const char *case_id)
{
	struct ing_scan *s = xcalloc(1, sizeof(*s));
	s->ctx = ctx;
	s->case_id = xstrdup(case_id);
	s->staging_fd = -1;
	snprintf(s->generated_at, sizeof(s->generated_at), "%sT12:00:00Z", TODAY);
	return s;
}

static void scan_done(struct ing_scan *s)
{
	evaluation_free(s);
	inventory_free(&s->inv);
	ptrvec_free(&s->files, (void (*)(void *))file_free);
	free(s->case_id);
	free(s);
}

static void set_case_yaml(struct ing_scan *s, const char *yaml)
{
	struct strbuf err;
	strbuf_init(&err, 4096);
	CHECK(case_yaml_parse(yaml, strlen(yaml), &s->case_yaml, &err) == 0);
	if (err.len)
		fprintf(stderr, "unexpected case.yaml errors: %s", err.s);
	strbuf_free(&err);
}

static struct ing_file *doc(struct ing_scan *s, const char *path, enum ing_kind kind, const char *text,
                            const char *date)
{
	struct ing_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->kind = kind;
	f->size = text ? strlen(text) + 1000 : 50000;     /* a file with bytes (an empty one holds nothing) */
	f->evidence = xstrdup("test");
	f->doc = xcalloc(1, sizeof(*f->doc));
	f->doc->pages = 1;
	if (text) {
		f->doc->text_layer = true;
		f->doc->text = xstrdup(text);
		f->doc->text_len = strlen(text);
		doc_read_treatments(rs->vocab, f->doc, TODAY);     /* as the scan does with the other findings */
	}
	if (date)
		f->doc->doc_date = xstrdup(date);
	ptrvec_push(&s->files, f);
	return f;
}

static void marker(struct ing_file *f, const char *name, enum marker_state st, const char *result, const char *snippet)
{
	struct doc_info *d = f->doc;
	d->markers = xrealloc(d->markers, (d->n_markers + 1) * sizeof(*d->markers));
	d->markers[d->n_markers++] = (struct doc_marker){ xstrdup(name), st, result ? xstrdup(result) : NULL,
	                                                 snippet ? xstrdup(snippet) : NULL };
}

static void found(struct ing_file *f, const char *name)
{
	char snip[128];
	snprintf(snip, sizeof(snip), "%s: positive", name);
	marker(f, name, MARKER_FOUND, "positive", snip);
}

static void lab(struct ing_file *f, const char *name, const char *date)
{
	struct doc_info *d = f->doc;
	d->labs = xrealloc(d->labs, (d->n_labs + 1) * sizeof(*d->labs));
	d->labs[d->n_labs++] = (struct doc_lab){ .name = xstrdup(name), .has_value = true, .value = 1.0,
	                                        .value_text = xstrdup("1.0"), .date = date ? xstrdup(date) : NULL,
	                                        .snippet = xasprintf("%s 1.0", name) };
}

struct study_spec {
	const char *study_uid, *date, *modality, *body_part, *description, *series_description;
	const char *contrast, *tracer, *patient;
	int instances;
	int skip_instance;            /* an instance number left out (missing), 0 none */
	enum ing_kind kind;           /* 0: dicom-image */
};

static int study_seq;

static void study(struct ing_scan *s, const struct study_spec *sp)
{
	study_seq++;
	for (int i = 1; i <= sp->instances; i++) {
		if (i == sp->skip_instance)
			continue;
		struct ing_file *f = xcalloc(1, sizeof(*f));
		struct dcm_info *d = xcalloc(1, sizeof(*d));
		f->path = xasprintf("DICOM/%s/%s/IM%03d", sp->study_uid, sp->modality, i);
		f->kind = sp->kind ? sp->kind : KIND_DICOM_IMAGE;
		f->evidence = xstrdup("test");
		f->dcm = d;
		f->hashed = true;
		memset(f->sha256, 0, 32);
		snprintf((char *)f->sha256, 32, "%d.%d", study_seq, i);
		char *series = xasprintf("%s.%s", sp->study_uid, sp->modality);
		char *sop = xasprintf("%s.%s.%d", sp->study_uid, sp->modality, i);
		char *date = xasprintf("%.4s%.2s%.2s", sp->date, sp->date + 5, sp->date + 8);
		d->study_uid = sp->study_uid;
		d->series_uid = series;
		d->sop_instance_uid = sop;
		d->modality = sp->modality;
		d->study_date = date;
		d->body_part = sp->body_part;
		d->study_description = sp->description;
		d->series_description = sp->series_description;
		d->contrast_agent = sp->contrast;
		d->radiopharmaceutical = sp->tracer;
		d->patient_name = sp->patient ? sp->patient : "DOE^JANE";
		d->patient_id = sp->patient ? sp->patient : "DOE^JANE";   /* one ID per person, as a PACS files them */
		d->patient_birth_date = "19690412";
		CHECK(dcm_info_own(d) == 0);   /* copies them all; the NULL ones read "" */
		free(series);
		free(sop);
		free(date);
		d->has_instance_number = true;
		d->instance_number = i;
		d->number_of_frames = 1;
		ptrvec_push(&s->files, f);
	}
}

/* ---- checking ---- */

struct want {
	const char *id;
	enum rule_severity sev;
};
#define REQ RULE_SEV_REQUIRED
#define REC RULE_SEV_RECOMMENDED
#define WARN RULE_SEV_WARNING

static struct ing_gap *find_gap(struct ing_scan *s, const char *id)
{
	for (size_t i = 0; i < s->gaps.n; i++)
		if (strcmp(((struct ing_gap *)s->gaps.v[i])->rule_id, id) == 0)
			return s->gaps.v[i];
	return NULL;
}

/* The gaps must be exactly WANT (as a multiset of id + severity). */
static void expect_gaps(const char *label, struct ing_scan *s, const struct want *want, size_t n_want)
{
	bool *used = xcalloc(s->gaps.n + 1, sizeof(bool));
	int bad = 0;
	for (size_t w = 0; w < n_want; w++) {
		bool hit = false;
		for (size_t i = 0; i < s->gaps.n && !hit; i++) {
			const struct ing_gap *g = s->gaps.v[i];
			if (!used[i] && strcmp(g->rule_id, want[w].id) == 0 && g->severity == want[w].sev)
				used[i] = hit = true;
		}
		if (!hit) {
			fprintf(stderr, "%s: expected gap %s (%s) is missing\n", label, want[w].id,
			        rule_severity_name(want[w].sev));
			bad++;
		}
	}
	for (size_t i = 0; i < s->gaps.n; i++) {
		const struct ing_gap *g = s->gaps.v[i];
		if (!used[i]) {
			fprintf(stderr, "%s: unexpected gap %s (%s): %s\n    evidence: %s\n", label, g->rule_id,
			        rule_severity_name(g->severity), g->message, g->evidence ? g->evidence : "");
			bad++;
		}
	}
	free(used);
	if (bad) {
		fprintf(stderr, "%s: %d gap mismatch(es)\n", label, bad);
		check_failures++;
	}
}

static void run(struct ing_scan *s, const char *cancer_type, const char *setting)
{
	struct eval_opts o = { .cancer_type = cancer_type, .setting = setting, .today = TODAY };
	inventory_build(s);
	evaluate_scan(s, rs, &o);
	check_one_item(s);
}

/* ---- fixtures ---- */

/* Documents that satisfy the baseline (CHECKLISTS §0.1). */
static void baseline_docs(struct ing_scan *s, bool with_question_letter)
{
	struct ing_file *l = doc(s, "reports/labs_2025-05-25.pdf", KIND_LAB, "LABORATORY REPORT full blood count", "2025-05-25");
	static const char *const base[] = { "CBC", "creatinine", "bilirubin", "ALT/AST", "albumin" };
	for (size_t i = 0; i < ARRAY_SIZE(base); i++)
		lab(l, base[i], "2025-05-25");
	doc(s, "letters/treatment_summary.pdf", KIND_TREATMENT,
	    "TREATMENT SUMMARY. Current medications: letrozole 2.5 mg. ECOG 1. LVEF 62% on echocardiogram.", "2025-05-20");
	doc(s, "letters/operative_note.pdf", KIND_OPERATIVE, "OPERATIVE NOTE. Procedure: biopsy.", "2025-01-10");
	doc(s, "letters/discharge.pdf", KIND_DISCHARGE, "DISCHARGE SUMMARY. Discharged home.", "2025-05-02");
	if (with_question_letter)
		doc(s, "letters/referral.pdf", KIND_LETTER, "Dear colleague, is the current plan complete?", "2025-05-28");
}

/* What breast_case() puts in: the HER2 result and the PET-CT date. */
static const char *breast_her2_result = "negative (IHC 1+)";
static const char *breast_hr_result;    /* ER and PR: "positive" when NULL */
static bool breast_pr = true;           /* a PR result at all */
static const char *breast_pet_date = "2025-05-20";

/* Breast, metastatic: everything required is there. */
static struct ing_scan *breast_case(bool her2, enum marker_state her2_state, bool germline)
{
	struct ing_scan *s = scan_new("BREAST");
	set_case_yaml(s, "cancer_type: breast\nsetting: metastatic\nquestion: \"Is the current first-line plan complete?\"\n");
	struct ing_file *p = doc(s, "reports/Pathology_Report.pdf", KIND_PATHOLOGY,
	                         "Invasive ductal carcinoma of the breast, metastasis to the liver. Nottingham grade 2.",
	                         "2025-04-01");
	if (breast_hr_result) {
		char snip[128];
		snprintf(snip, sizeof(snip), "ER: %s", breast_hr_result);
		marker(p, "ER", MARKER_FOUND, breast_hr_result, snip);
		snprintf(snip, sizeof(snip), "PR: %s", breast_hr_result);
		if (breast_pr)
			marker(p, "PR", MARKER_FOUND, breast_hr_result, snip);
	} else {
		found(p, "ER");
		if (breast_pr)
			found(p, "PR");
	}
	if (her2 && her2_state == MARKER_FOUND) {
		char snip[128];
		snprintf(snip, sizeof(snip), "HER2: %s", breast_her2_result);
		marker(p, "HER2", MARKER_FOUND, breast_her2_result, snip);
	}
	else if (her2)
		marker(p, "HER2", her2_state, her2_state == MARKER_PENDING ? "pending" : "insufficient tissue",
		       her2_state == MARKER_PENDING ? "HER2: pending" : "HER2: insufficient tissue");
	found(p, "Ki-67");
	struct ing_file *m = doc(s, "reports/molecular.pdf", KIND_MOLECULAR, "NGS panel report", "2025-04-20");
	if (germline)
		found(m, "germline BRCA1/2");
	found(m, "PIK3CA");
	found(m, "MSI");
	found(m, "TMB");
	found(m, "NTRK");
	found(m, "BRAF V600E");
	found(m, "RET fusion");
	baseline_docs(s, false);
	struct ing_file *l = s->files.v[s->files.n - 4];   /* the lab report of baseline_docs() */
	CHECK(l->kind == KIND_LAB);
	static const char *const markers[] = { "CA 15-3", "CEA", "ALP" };
	for (size_t i = 0; i < ARRAY_SIZE(markers); i++) {
		lab(l, markers[i], "2025-05-25");
		lab(l, markers[i], "2025-04-25");
	}
	doc(s, "reports/PET_report.pdf", KIND_RADIOLOGY, "PET-CT REPORT", "2025-05-21");
	study(s, &(struct study_spec){ "1.2.1", breast_pet_date, "PT", "WHOLEBODY", "PET-CT WHOLE BODY FDG", "PET WB",
	                               NULL, "Fluorodeoxyglucose", NULL, 5, 0, 0 });
	study(s, &(struct study_spec){ "1.2.1", breast_pet_date, "CT", "WHOLEBODY", "PET-CT WHOLE BODY FDG", "CT AC",
	                               NULL, NULL, NULL, 5, 0, 0 });
	return s;
}

/* Rules that stay open in every breast fixture below (metastatic): all
 * recommended, none required. ER and PR are positive, so the conditions
 * "if triple-negative" (breast.pdl1-cps) is settled false: not listed. */
#define BREAST_OPEN \
	{ "breast.esr1", REC },              /* req[M,R] + free-text condition ("progressing on endocrine therapy") */ \
	{ "breast.menopausal-status", REC }, /* rec; "if hormone-receptor positive" holds (ER positive); no such lab */ \
	{ "breast.mr-breast", REC },         /* rec + condition; no MR BREAST */ \
	{ "breast.mr-brain", REC },          /* req + "if neurological symptoms"; breast.mr-brain-metastatic \
	                                      * (rec[M] + condition) asks for the same MRI: one item, both conditions */ \
	{ "breast.slides", REC },            /* rec + condition; no block/slides words */ \
	{ "solid.germline", REC }            /* rec + condition; germline BRCA is not a "germline panel" */
/* With HER2 "negative (IHC 1+)" the HER2 conditions are settled: breast.her2-ish
 * ("if HER2 IHC is 2+") does not apply, breast.her2-low ("if HER2-negative")
 * applies and is met (the IHC score states the HER2-low status). Without a
 * HER2 result they stay questions: */
#define BREAST_HER2_OPEN \
	{ "breast.her2-ish", REC },          /* required, but "if HER2 IHC is 2+": conditional -> recommended */ \
	{ "breast.her2-low", REC }           /* req[M,R] + condition; no "HER2 low status" marker */

static bool has_note(struct ing_scan *s, const char *id, const char *words)
{
	for (size_t i = 0; i < s->notes.n; i++) {
		const struct ing_gap *n = s->notes.v[i];
		if (strcmp(n->rule_id, id) == 0 && (!words || strstr(n->message, words)))
			return true;
	}
	return false;
}

static void test_breast(void)
{
	/* complete: ER, PR, HER2 found; gBRCA found; PET-CT 12 days old (limit 42 for M) */
	struct ing_scan *s = breast_case(true, MARKER_FOUND, true);
	run(s, NULL, NULL);
	static const struct want complete[] = { BREAST_OPEN };
	expect_gaps("breast complete", s, complete, ARRAY_SIZE(complete));
	CHECK_STR(s->status, "complete");
	CHECK_STR(s->cancer_type, "breast");
	/* ER positive and HER2 negative settle "if HER2-positive or triple-negative" (when.any_of): the brain
	 * MRI is asked for only if there are neurological symptoms, and a note says why the other is not (#18) */
	struct ing_gap *mb = find_gap(s, "breast.mr-brain");
	CHECK_STR(mb ? mb->condition : NULL, "if there are neurological symptoms");
	CHECK_HAS(mb ? mb->message : NULL, "Only if there are neurological symptoms: No brain MRI found.");
	CHECK(find_gap(s, "breast.mr-brain-metastatic") == NULL);
	CHECK(has_note(s, "breast.mr-brain-metastatic", "Not needed: the rule applies only if HER2-positive or "
	               "triple-negative, and the results say otherwise (HER2 \"negative (IHC 1+)\" in "
	               "reports/Pathology_Report.pdf; ER \"positive\" in reports/Pathology_Report.pdf)."));
	CHECK_STR(s->cancer_type_source, "case.yaml");
	CHECK(s->setting == RULE_SETTING_METASTATIC);
	CHECK(s->required_gaps == 0);
	scan_done(s);

	/* missing HER2 */
	s = breast_case(false, MARKER_FOUND, true);
	run(s, NULL, NULL);
	static const struct want no_her2[] = { BREAST_OPEN, BREAST_HER2_OPEN, { "breast.her2", REQ } };
	expect_gaps("breast without HER2", s, no_her2, ARRAY_SIZE(no_her2));
	CHECK_STR(s->status, "incomplete");
	CHECK(s->required_gaps == 1);
	struct ing_gap *g = find_gap(s, "breast.her2");
	CHECK(g && strstr(g->message, "No HER2 result found"));
	scan_done(s);

	/* HER2 pending: still a required gap, and the message says so with the file */
	s = breast_case(true, MARKER_PENDING, true);
	run(s, NULL, NULL);
	expect_gaps("breast HER2 pending", s, no_her2, ARRAY_SIZE(no_her2));
	CHECK_STR(s->status, "incomplete");
	g = find_gap(s, "breast.her2");
	CHECK(g != NULL);
	if (g) {
		CHECK_HAS(g->message, "HER2 is marked 'pending' in reports/Pathology_Report.pdf; ask for the result");
		CHECK_HAS(g->evidence, "HER2: pending");
	}
	scan_done(s);

	/* HER2 "insufficient tissue": its own state, pointing to a re-biopsy */
	s = breast_case(true, MARKER_INSUFFICIENT, true);
	run(s, NULL, NULL);
	expect_gaps("breast HER2 insufficient", s, no_her2, ARRAY_SIZE(no_her2));
	g = find_gap(s, "breast.her2");
	CHECK(g && strstr(g->message, "could not be tested") && strstr(g->message, "new biopsy"));
	scan_done(s);
}

/* when.markers: the HER2 result settles "if HER2 IHC is 2+ (equivocal)". */
static void test_breast_conditions(void)
{
	/* HER2 IHC 2+: the condition holds; the ISH rule is required, not a question */
	breast_her2_result = "equivocal (IHC 2+)";
	struct ing_scan *s = breast_case(true, MARKER_FOUND, true);
	run(s, NULL, NULL);
	static const struct want two_plus[] = {
		BREAST_OPEN,
		{ "breast.her2-ish", REQ },          /* "if HER2 IHC is 2+" holds: required at its own severity */
		/* breast.her2-low: "if HER2-negative" is not settled by an equivocal 2+, but the IHC
		 * score states the HER2-low status, so it is met either way */
	};
	expect_gaps("breast HER2 2+", s, two_plus, ARRAY_SIZE(two_plus));
	CHECK_STR(s->status, "incomplete");
	struct ing_gap *g = find_gap(s, "breast.her2-ish");
	CHECK(g != NULL);
	if (g) {
		CHECK(g->condition == NULL);
		CHECK(strncmp(g->message, "Only ", 5) != 0);
		CHECK_HAS(g->evidence, "condition \"if HER2 IHC is 2+ (equivocal)\" holds: HER2 \"equivocal (IHC 2+)\" in "
		                       "reports/Pathology_Report.pdf");
	}
	/* ER positive settles "if hormone-receptor positive": listed, but not as a question */
	g = find_gap(s, "breast.menopausal-status");
	CHECK(g && g->condition == NULL);
	/* ER positive: not triple-negative, so no PD-L1 CPS question, and a note says why */
	CHECK(find_gap(s, "breast.pdl1-cps") == NULL);
	CHECK(has_note(s, "breast.pdl1-cps", "ER \"positive\" in reports/Pathology_Report.pdf"));
	scan_done(s);

	/* HER2 IHC 3+: the condition is false; no ISH gap at all */
	breast_her2_result = "positive (IHC 3+)";
	s = breast_case(true, MARKER_FOUND, true);
	run(s, NULL, NULL);
	/* HER2-positive settles "if HER2-positive or triple-negative": the brain MRI is asked for as a
	 * recommended item (breast.mr-brain-metastatic), the neurological question folded into it */
	static const struct want three_plus[] = {
		{ "breast.esr1", REC }, { "breast.menopausal-status", REC }, { "breast.mr-breast", REC },
		{ "breast.mr-brain-metastatic", REC }, { "breast.slides", REC }, { "solid.germline", REC },
	};
	expect_gaps("breast HER2 3+", s, three_plus, ARRAY_SIZE(three_plus));
	CHECK_STR(s->status, "complete");
	CHECK(find_gap(s, "breast.her2-ish") == NULL);
	CHECK(has_note(s, "breast.her2-ish", "Not needed: the rule applies only if HER2 IHC is 2+ (equivocal)"));
	scan_done(s);

	/* the score in brackets, as the findings give it ("negative (1+)", "positive (3+)"): settled too (#18) */
	static const char *const bracketed[] = { "negative (1+)", "positive (3+)", "negative (0)" };
	for (size_t k = 0; k < ARRAY_SIZE(bracketed); k++) {
		breast_her2_result = bracketed[k];
		s = breast_case(true, MARKER_FOUND, true);
		run(s, NULL, NULL);
		CHECK(find_gap(s, "breast.her2-ish") == NULL);
		CHECK(has_note(s, "breast.her2-ish", "Not needed: the rule applies only if HER2 IHC is 2+ (equivocal)"));
		scan_done(s);
	}
	breast_her2_result = "equivocal (2+)";
	s = breast_case(true, MARKER_FOUND, true);
	run(s, NULL, NULL);
	g = find_gap(s, "breast.her2-ish");
	CHECK(g && g->severity == RULE_SEV_REQUIRED && g->condition == NULL);   /* holds: asked for, not a question */
	scan_done(s);

	/* no HER2 result: as before, a question with its condition */
	breast_her2_result = "negative (IHC 1+)";
	s = breast_case(false, MARKER_FOUND, true);
	run(s, NULL, NULL);
	g = find_gap(s, "breast.her2-ish");
	CHECK(g && g->severity == REC);
	/* the results could settle it and do not: the item says what is not yet known (#18) */
	CHECK_STR(g ? g->condition : NULL, "if HER2 IHC is 2+ (equivocal) (not yet known, no HER2 result found)");
	CHECK_HAS(g ? g->message : NULL, "Only if HER2 IHC is 2+ (equivocal) (not yet known, no HER2 result found): HER2");
	CHECK(g && strncmp(g->message, "Only ", 5) == 0);
	/* "if HER2-positive or triple-negative" (when.any_of): ER positive rules out triple-negative, HER2
	 * is not found: not yet known, said so; never required, never dropped (with the neurological one,
	 * which asks for the same MRI, one item with both conditions) */
	g = find_gap(s, "breast.mr-brain");
	CHECK(g && g->severity == REC);
	CHECK_STR(g ? g->condition : NULL, "if there are neurological symptoms, or if HER2-positive or triple-negative "
	          "(not yet known, no HER2 result found)");
	CHECK_HAS(g ? g->message : NULL, "Only if there are neurological symptoms, or if HER2-positive or "
	          "triple-negative (not yet known, no HER2 result found): No brain MRI found.");
	CHECK(!has_note(s, "breast.mr-brain-metastatic", NULL));
	scan_done(s);

	/* HER2 positive: the first alternative holds; the brain MRI is asked for at the rule's own
	 * severity (recommended), not as a question, and the neurological question folds into it */
	breast_her2_result = "positive (IHC 3+)";
	s = breast_case(true, MARKER_FOUND, true);
	run(s, NULL, NULL);
	g = find_gap(s, "breast.mr-brain-metastatic");
	CHECK(g && g->severity == REC && g->condition == NULL && strncmp(g->message, "Only ", 5) != 0);
	CHECK_HAS(g ? g->evidence : NULL, "condition \"if HER2-positive or triple-negative\" holds: HER2 \"positive "
	          "(IHC 3+)\" in reports/Pathology_Report.pdf");
	CHECK(find_gap(s, "breast.mr-brain") == NULL);
	scan_done(s);

	/* triple-negative: the second alternative holds (ER, PR, HER2 all negative) */
	breast_her2_result = "negative (IHC 0)";
	breast_hr_result = "negative";
	s = breast_case(true, MARKER_FOUND, true);
	run(s, NULL, NULL);
	g = find_gap(s, "breast.mr-brain-metastatic");
	CHECK(g && g->severity == REC && g->condition == NULL);
	CHECK_HAS(g ? g->evidence : NULL, "ER \"negative\" in reports/Pathology_Report.pdf; PR \"negative\" in "
	          "reports/Pathology_Report.pdf; HER2 \"negative (IHC 0)\" in reports/Pathology_Report.pdf");
	scan_done(s);

	/* ER negative, PR and HER2 not found: neither alternative is settled; every marker still open is named */
	breast_hr_result = "negative";
	breast_pr = false;
	s = breast_case(false, MARKER_FOUND, true);
	run(s, NULL, NULL);
	g = find_gap(s, "breast.mr-brain");
	CHECK_HAS(g ? g->condition : NULL, "if HER2-positive or triple-negative (not yet known, no HER2 or PR result found)");
	scan_done(s);
	breast_hr_result = NULL;
	breast_pr = true;
	breast_her2_result = "negative (IHC 1+)";

	/* discordant reports (2+ in one, 3+ in another): not settled, still a question */
	breast_her2_result = "equivocal (IHC 2+)";
	s = breast_case(true, MARKER_FOUND, true);
	struct ing_file *m = s->files.v[1];
	CHECK(m->kind == KIND_MOLECULAR);
	marker(m, "HER2", MARKER_FOUND, "positive (IHC 3+)", "HER2 3+");
	run(s, NULL, NULL);
	g = find_gap(s, "breast.her2-ish");
	CHECK(g && g->severity == REC && g->condition != NULL);
	CHECK_STR(g ? g->condition : NULL, "if HER2 IHC is 2+ (equivocal) (not yet known, the HER2 result does not "
	          "settle it)");
	scan_done(s);
	breast_her2_result = "negative (IHC 1+)";
}

/* after_last_treatment (breast.staging): the latest staging study must follow
 * the last dated treatment change. TODAY is 2025-06-01, so "12/05/2025" reads
 * 12 May (5 December is still to come); the PET-CT stays within the 42-day
 * limit of the metastatic setting, so only the treatment date can fail it. */
static struct ing_scan *breast_treated(const char *pet_date, const char *treatment)
{
	breast_pet_date = pet_date;
	struct ing_scan *s = breast_case(true, MARKER_FOUND, true);
	breast_pet_date = "2025-05-20";
	if (treatment)
		doc(s, "letters/treatment_summary_2.pdf", KIND_TREATMENT, treatment, "2025-05-30");
	return s;
}

static void test_after_treatment(void)
{
	static const struct want none[] = { BREAST_OPEN };
	static const struct want stale[] = { BREAST_OPEN, { "breast.staging", REQ } };

	/* PET-CT of 25 April, letrozole started 12 May: the staging predates the change */
	struct ing_scan *s = breast_treated("2025-04-25", "TREATMENT SUMMARY\nProgression on tamoxifen.\n"
	                                    "Letrozole started 12/05/2025 with ribociclib.\n");
	run(s, NULL, NULL);
	expect_gaps("breast imaging before the treatment change", s, stale, ARRAY_SIZE(stale));
	CHECK_STR(s->status, "incomplete");
	struct ing_gap *g = find_gap(s, "breast.staging");
	CHECK(g != NULL);
	if (g) {
		CHECK_HAS(g->message, "The latest CT/PT study \"PET-CT WHOLE BODY FDG\" (2025-04-25) is older than the last "
		                      "treatment change (Letrozole started, ribociclib 2025-05-12, in "
		                      "letters/treatment_summary_2.pdf). Ask for imaging done after that change");
		CHECK_HAS(g->evidence, "Letrozole started 12/05/2025 with ribociclib");
		CHECK(g->condition == NULL);
	}
	/* the treatment is listed with its document */
	struct ing_file *t = s->files.v[s->files.n - 1];
	CHECK(t->doc->treatments_read && t->doc->n_treatments == 1);
	if (t->doc->n_treatments == 1) {
		CHECK_STR(t->doc->treatments[0].date, "2025-05-12");
		CHECK_STR(t->doc->treatments[0].precision, "day");
	}
	scan_done(s);

	/* PET-CT of 20 May, after the change: no gap */
	s = breast_treated("2025-05-20", "Letrozole started 12/05/2025 with ribociclib.");
	run(s, NULL, NULL);
	expect_gaps("breast imaging after the treatment change", s, none, ARRAY_SIZE(none));
	CHECK_STR(s->status, "complete");
	/* the report says which study is the baseline (#18 item 7) */
	CHECK(has_note(s, "breast.staging", "Baseline after the last treatment change: the CT/PT study \"PET-CT WHOLE "
	               "BODY FDG\" of 2025-05-20, the latest done after Letrozole started, ribociclib 2025-05-12 (in "
	               "letters/treatment_summary_2.pdf)"));
	scan_done(s);

	/* two PET-CTs around radiotherapy: the one after it is the baseline, the one before is not named */
	s = breast_treated("2025-05-20", "TREATMENT SUMMARY\nPalliative radiotherapy to the spine, 20 Gy in 5 fractions, "
	                   "completed on 2 April 2025.\n");
	study(s, &(struct study_spec){ "1.2.9", "2025-03-18", "PT", "WHOLEBODY", "PET-CT BEFORE RT", "PET WB", NULL,
	                               "Fluorodeoxyglucose", NULL, 5, 0, 0 });
	run(s, NULL, NULL);
	static const struct want rt[] = { BREAST_OPEN, { "generic.images-without-report", REC } };
	expect_gaps("breast, PET-CT before and after radiotherapy", s, rt, ARRAY_SIZE(rt));
	CHECK(has_note(s, "breast.staging", "the CT/PT study \"PET-CT WHOLE BODY FDG\" of 2025-05-20, the latest done "
	               "after"));
	CHECK(!has_note(s, "breast.staging", "PET-CT BEFORE RT"));
	scan_done(s);

	/* the only PET-CT before radiotherapy: a gap that names it, no baseline */
	s = breast_treated("2025-04-25", "TREATMENT SUMMARY\nPalliative radiotherapy to the spine, 20 Gy in 5 fractions, "
	                   "completed on 2 May 2025.\n");
	run(s, NULL, NULL);
	g = find_gap(s, "breast.staging");
	CHECK_HAS(g ? g->message : NULL, "(2025-04-25) is older than the last treatment change");
	CHECK(!has_note(s, "breast.staging", "Baseline"));
	scan_done(s);

	/* no dated treatment (the baseline treatment summary names letrozole without a date): no gap */
	s = breast_treated("2025-04-25", NULL);
	run(s, NULL, NULL);
	expect_gaps("breast without treatment dates", s, none, ARRAY_SIZE(none));
	CHECK(!has_note(s, "breast.staging", NULL));
	scan_done(s);

	/* a date without a treatment word, a drug without a date: no event, no gap */
	s = breast_treated("2025-04-25", "Seen in clinic on 12/05/2025. Letrozole 2.5 mg daily.");
	run(s, NULL, NULL);
	expect_gaps("breast, undated drug and clinic date", s, none, ARRAY_SIZE(none));
	scan_done(s);

	/* the change known only to the month: a note to check by eye, not a gap */
	s = breast_treated("2025-05-20", "Switched to fulvestrant in May 2025.");
	run(s, NULL, NULL);
	expect_gaps("breast, treatment month only", s, none, ARRAY_SIZE(none));
	CHECK(has_note(s, "breast.staging", "may be older than the last treatment change"));
	scan_done(s);

	/* a radiology report's dates are the study's, not treatment changes */
	s = breast_treated("2025-04-25", NULL);
	doc(s, "reports/CT_2.pdf", KIND_RADIOLOGY, "CT 2025-05-28: stable disease on letrozole.", "2025-05-28");
	run(s, NULL, NULL);
	CHECK(find_gap(s, "breast.staging") == NULL);
	scan_done(s);

	/* the early setting: after curative surgery imaging age matters less; not checked */
	s = breast_treated("2025-04-25", "Letrozole started 12/05/2025 with ribociclib.");
	run(s, NULL, "early");
	CHECK(find_gap(s, "breast.staging") == NULL);
	scan_done(s);
}

static void test_breast_setting_unknown(void)
{
	/* No setting in case.yaml, no germline BRCA: setting-dependent required rules
	 * become recommended (CHECKLISTS "How to read this"). */
	struct ing_scan *s = breast_case(true, MARKER_FOUND, false);
	s->case_yaml->setting = RULE_SETTING_UNKNOWN;
	run(s, NULL, NULL);
	static const struct want unknown[] = {
		BREAST_OPEN,
		{ "breast.germline-brca", REC },        /* req[M,R] -> rec with the setting unknown */
		/* breast.germline-brca-early (req[E,LA] + condition) asks for the same test: in breast.germline-brca */
		{ "breast.genomic-score", REC },        /* rec[E]; "if HR-positive/HER2-negative" holds; applies while
		                                         * the setting is unknown */
		{ "breast.mammography-us", REC },       /* req[E,LA] -> rec; no MG + US of the breasts */
	};
	expect_gaps("breast, setting unknown", s, unknown, ARRAY_SIZE(unknown));
	CHECK_STR(s->status, "complete");
	CHECK(s->setting == RULE_SETTING_UNKNOWN);
	scan_done(s);

	/* The same records with the setting given: germline BRCA is required again. */
	s = breast_case(true, MARKER_FOUND, false);
	s->case_yaml->setting = RULE_SETTING_UNKNOWN;
	run(s, NULL, "metastatic");
	static const struct want meta[] = { BREAST_OPEN, { "breast.germline-brca", REQ } };
	expect_gaps("breast, setting metastatic by option", s, meta, ARRAY_SIZE(meta));
	CHECK_STR(s->status, "incomplete");
	scan_done(s);
}

static void test_nsclc(void)
{
	struct ing_scan *s = scan_new("LUNG");
	set_case_yaml(s, "cancer_type: nsclc\nsetting: metastatic\nquestion: \"Which first-line treatment is best?\"\n");
	struct ing_file *p = doc(s, "reports/pathology.pdf", KIND_PATHOLOGY,
	                         "Right upper lobe biopsy: adenocarcinoma, TTF-1 positive.", "2025-05-01");
	(void)p;
	struct ing_file *m = doc(s, "reports/molecular.pdf", KIND_MOLECULAR, "NGS panel", "2025-05-10");
	found(m, "EGFR");
	found(m, "KRAS");
	/* as findings.c reports it: the marker is "PD-L1", the score type sits in the result */
	marker(m, "PD-L1", MARKER_FOUND, "TPS 60%", "PD-L1 (22C3): TPS 60%");
	baseline_docs(s, false);
	lab(s->files.v[s->files.n - 4], "calcium", "2025-05-25");
	doc(s, "reports/CT_report.pdf", KIND_RADIOLOGY, "CT THORAX ABDOMEN REPORT", "2025-05-22");
	study(s, &(struct study_spec){ "2.1", "2025-05-22", "CT", "CHEST", "CT THORAX ABDOMEN WITH CONTRAST", "Thorax 1.25",
	                               "IOMERON 400", NULL, NULL, 6, 0, 0 });
	run(s, NULL, NULL);
	static const struct want want[] = {
		{ "nsclc.driver-panel", REC },      /* req[M,R] "if non-squamous": conditional; ALK, ROS1, ... missing */
		/* nsclc.drivers-squamous (EGFR, ALK, ROS1; "if squamous and ...") is part of the driver panel: one item;
		 * nsclc.extra-markers (any of NRG1/MET amp/HER2/TMB) is met by the HER2 that solid.her2 asks for */
		{ "nsclc.lung-function", REC },     /* req + condition */
		{ "nsclc.pet", REC },               /* req + condition; no PT */
		{ "nsclc.brain", REQ },             /* req[LA,M,R] (stage II-IV: settled by the setting); no MR brain */
		{ "nsclc.tissue", REC },            /* req + condition; no block words */
		/* nsclc.review asks for the block or slides as nsclc.tissue does: one item, both conditions */
		{ "solid.msi", REC },               /* rec[M,R] */
		{ "solid.her2", REC },              /* rec[M,R] (nsclc does not exclude it) */
		{ "solid.germline", REC },          /* rec + condition */
		/* present: nsclc.pdl1-tps (PD-L1 TPS found), nsclc.ct-chest (contrast CT chest+abdomen, 10 days),
		 * nsclc.tki-progression (EGFR), nsclc.calcium, the baseline */
	};
	expect_gaps("nsclc metastatic", s, want, ARRAY_SIZE(want));
	CHECK_STR(s->status, "incomplete");   /* the brain MRI of stage IV */
	struct ing_gap *g = find_gap(s, "nsclc.driver-panel");
	CHECK(g != NULL);
	if (g) {
		CHECK_HAS(g->message, "Not found: ALK, ROS1");
		CHECK_HAS(g->message, "found: EGFR, KRAS");
		CHECK_STR(g->condition, "if non-squamous, or if squamous and never/light smoker, young, small biopsy or "
		          "mixed histology");
		CHECK_HAS(g->message, "Only if non-squamous, or if squamous and never/light smoker");
		CHECK_HAS(g->evidence, "also says nsclc.drivers-squamous");
	}
	CHECK(find_gap(s, "nsclc.pdl1-tps") == NULL);
	/* optional (info) rules are notes, never gaps */
	bool note = false;
	for (size_t i = 0; i < s->notes.n; i++)
		note |= strcmp(((struct ing_gap *)s->notes.v[i])->rule_id, "nsclc.markers") == 0;
	CHECK(note);
	scan_done(s);
}

static void test_colorectal(void)
{
	struct ing_scan *s = scan_new("CRC");
	set_case_yaml(s, "cancer_type: colorectal\nsetting: metastatic\nquestion: \"Is liver surgery an option now?\"\n");
	struct ing_file *p = doc(s, "reports/pathology.pdf", KIND_PATHOLOGY,
	                         "Adenocarcinoma of the sigmoid colon, pT3 pN1 (2/14 lymph nodes).", "2025-03-01");
	found(p, "MMR");
	marker(p, "BRAF V600E", MARKER_FOUND, "not detected", "BRAF V600E: not detected");
	baseline_docs(s, false);
	struct ing_file *l = s->files.v[s->files.n - 4];
	lab(l, "CEA", "2025-05-25");
	lab(l, "CEA", "2025-02-01");
	doc(s, "reports/CT_report.pdf", KIND_RADIOLOGY, "CT TAP REPORT", "2025-05-12");
	/* body part "CAP" is not a DICOM name: the words decide (CHECKLISTS §0.4) */
	study(s, &(struct study_spec){ "3.1", "2025-05-12", "CT", "CAP", "CT", "Portal venous 5 mm", "Omnipaque", NULL,
	                               NULL, 6, 0, 0 });
	run(s, NULL, NULL);
	static const struct want want[] = {
		{ "colorectal.ras", REQ },              /* req[M,R]: no KRAS, no NRAS */
		{ "colorectal.colonoscopy", REQ },      /* req: no colonoscopy report */
		{ "colorectal.her2", REC },             /* req[M,R] + condition */
		{ "colorectal.advanced-markers", REC }, /* rec[M,R]: NTRK, RET, KRAS G12C, TMB missing */
		{ "colorectal.pole", REC },             /* rec[M,R], uncertain */
		{ "colorectal.lynch", REC },            /* rec + condition */
		{ "colorectal.mr-pelvis", REC },        /* req + "for rectal cancer" */
		{ "colorectal.mr-liver", REC },         /* rec + condition */
		{ "colorectal.tissue", REC },           /* req + condition */
		{ "solid.germline", REC },              /* the only solid rule colorectal keeps */
		/* present: mmr (MMR found), braf, mlh1-methylation (BRAF counts), sidedness ("sigmoid"),
		 * cea (two dated values), ct (contrast CT, region from "CAP"), pathology (pT) */
	};
	expect_gaps("colorectal metastatic", s, want, ARRAY_SIZE(want));
	CHECK_STR(s->status, "incomplete");
	CHECK(s->required_gaps == 2);
	scan_done(s);
}

static void test_prostate(void)
{
	struct ing_scan *s = scan_new("PROSTATE");
	set_case_yaml(s, "cancer_type: prostate\nsetting: recurrent\nquestion: \"Is PSMA-guided radiotherapy possible?\"\n");
	struct ing_file *l = doc(s, "reports/labs.pdf", KIND_LAB, "LABORATORY REPORT", "2025-05-25");
	static const char *const labs[] = { "CBC", "creatinine", "bilirubin", "ALT/AST", "albumin", "ALP", "LDH",
	                                    "haemoglobin" };
	for (size_t i = 0; i < ARRAY_SIZE(labs); i++)
		lab(l, labs[i], "2025-05-25");
	lab(l, "PSA", "2025-05-25");
	lab(l, "PSA", "2025-03-25");
	doc(s, "letters/treatment_summary.pdf", KIND_TREATMENT,
	    "TREATMENT SUMMARY. Radical prostatectomy 2021. Current medications: none. ECOG 0.", "2025-05-20");
	doc(s, "reports/PSMA_PET_report.pdf", KIND_RADIOLOGY, "PSMA PET-CT REPORT", "2025-05-03");
	/* the biopsy report arrived as a scan without a text layer: unread, not missing */
	doc(s, "scans/scan0001.pdf", KIND_SCANNED, NULL, NULL);
	study(s, &(struct study_spec){ "4.1", "2025-05-02", "PT", "WHOLEBODY", "PSMA PET-CT", "PET WB", NULL, "PSMA-11",
	                               NULL, 4, 0, 0 });
	run(s, NULL, NULL);
	static const struct want want[] = {
		{ "baseline.pathology-report", REQ },   /* no pathology report (the scan was not read) */
		/* prostate.gleason (the Gleason grade in a pathology report) is said by the missing report */
		{ "baseline.operative-note", REC },     /* req + "if operated": conditional */
		{ "baseline.discharge-summary", REC },
		{ "solid.ntrk", REC }, { "solid.braf-v600e", REC }, { "solid.ret", REC }, { "solid.her2", REC }, /* rec[M,R] */
		{ "prostate.germline", REC },           /* req + condition */
		{ "prostate.msi-tmb", REC },
		{ "prostate.testosterone", REC },       /* req + "if on ADT" */
		{ "prostate.slides", REC },
		/* prostate.hrr-tissue asks for the block or slides as prostate.slides does: one item */
		/* not applicable: prostate.hrr (metastatic only), mpmri/classifier (early only);
		 * present: psa (two values), labs, staging + psma-before-lutetium (PSMA PET, 30 days) */
	};
	expect_gaps("prostate recurrent", s, want, ARRAY_SIZE(want));
	CHECK_STR(s->status, "incomplete");
	struct ing_gap *g = find_gap(s, "baseline.pathology-report");
	CHECK(g && strstr(g->message, "Not found in the readable documents; 1 could not be read: scans/scan0001.pdf "
	                              "(image only, no text read) — check it by eye before asking the hospital."));
	CHECK(g && g->unread_could_answer && g->n_unread == 1 && !strcmp(g->unread[0].reason, "ocr-failed"));
	scan_done(s);
}

static void test_lymphoma(void)
{
	/* no case.yaml: the type is inferred from the pathology report; no question */
	struct ing_scan *s = scan_new("LYMPH");
	struct ing_file *p = doc(s, "reports/pathology.pdf", KIND_PATHOLOGY,
	                         "Excisional lymph node biopsy: diffuse large B-cell lymphoma (DLBCL), non-GCB. "
	                         "Paraffin block A1 available.", "2025-05-05");
	static const char *const ms[] = { "CD20", "DLBCL IHC panel", "MYC IHC", "Ki-67", "MYC FISH" };
	for (size_t i = 0; i < ARRAY_SIZE(ms); i++)
		found(p, ms[i]);
	baseline_docs(s, false);
	struct ing_file *l = s->files.v[s->files.n - 4];
	static const char *const labs[] = { "differential", "LDH", "uric acid", "hepatitis B", "hepatitis C", "HIV" };
	for (size_t i = 0; i < ARRAY_SIZE(labs); i++)
		lab(l, labs[i], "2025-05-25");
	doc(s, "reports/PET_report.pdf", KIND_RADIOLOGY, "PET-CT: Deauville 4.", "2025-05-16");
	study(s, &(struct study_spec){ "5.1", "2025-05-15", "PT", "WHOLEBODY", "PET-CT", "PET WB", NULL,
	                               "Fluorodeoxyglucose", NULL, 4, 0, 0 });
	run(s, NULL, NULL);
	static const struct want want[] = {
		{ "baseline.clinical-question", REQ },  /* no case.yaml question, no letter asking one */
		{ "lymphoma.hodgkin", REC }, { "lymphoma.hodgkin-eber", REC }, { "lymphoma.t-cell", REC },
		{ "lymphoma.mantle", REC }, { "lymphoma.mantle-tp53", REC }, { "lymphoma.cll", REC },
		{ "lymphoma.clonality", REC }, { "lymphoma.b2m", REC }, { "lymphoma.esr", REC }, { "lymphoma.marrow", REC },
		{ "lymphoma.csf", REC },
		{ "lymphoma.ct", REC },                 /* the PET-CT has no contrast CT of neck + CAP */
		{ "lymphoma.brain", REC },
		/* present: biopsy-type ("excisional"), b-cell, dlbcl, labs, viral-screen (lab default
		 * 30 days), pet (FDG, 17 days), deauville, slides ("paraffin block"), lvef (the
		 * treatment summary states the LVEF; the rule looks in any document), the
		 * operative note and the rest of the baseline */
	};
	expect_gaps("lymphoma", s, want, ARRAY_SIZE(want));
	CHECK_STR(s->status, "incomplete");
	CHECK_STR(s->cancer_type, "lymphoma");
	CHECK_STR(s->cancer_type_source, "inferred");
	CHECK_HAS(s->cancer_type_evidence, "reports/pathology.pdf");
	CHECK_HAS(s->cancer_type_evidence, "\"DLBCL\"");
	scan_done(s);
}

static void test_generic(void)
{
	/* No cancer type in case.yaml and nothing in the records names one: generic.
	 * Also every generic check of SPEC §5 at once. */
	struct ing_scan *s = scan_new("GEN");
	set_case_yaml(s, "setting: metastatic\nquestion: \"What is the best next treatment?\"\n");
	struct ing_file *p = doc(s, "reports/Befund.pdf", KIND_PATHOLOGY, "Histologischer Befund: maligner Tumor.",
	                         "2025-04-01");
	p->doc->language = xstrdup("de");
	p->doc->needs_translation = true;
	struct ing_file *l = doc(s, "reports/labs.pdf", KIND_LAB, "LABORATORY REPORT", "2025-05-25");
	static const char *const labs[] = { "CBC", "creatinine", "bilirubin", "ALT/AST", "albumin", "LDH" };
	for (size_t i = 0; i < ARRAY_SIZE(labs); i++)
		lab(l, labs[i], "2025-05-25");
	/* this patient's CT chest, instance 3 missing */
	study(s, &(struct study_spec){ "6.1", "2025-05-10", "CT", "CHEST", "CT THORAX", "Thorax 5mm", "Iomeron", NULL,
	                               NULL, 5, 3, 0 });
	/* another patient's CT */
	study(s, &(struct study_spec){ "6.2", "2023-11-20", "CT", "HEAD", "CT HEAD", "Head 5mm", NULL, NULL,
	                               "ROE^MARY", 3, 0, 0 });
	/* a damaged file, and a conflicting duplicate of 6.1 instance 1 */
	struct ing_file *bad = doc(s, "DICOM/broken.dcm", KIND_DICOM_IMAGE, NULL, NULL);
	doc_info_free(bad->doc);
	bad->doc = NULL;
	file_set_problem(bad, PROB_TRUNCATED, "the DICOM file is cut short");
	study(s, &(struct study_spec){ "6.1", "2025-05-10", "CT", "CHEST", "CT THORAX", "Thorax 5mm", "Iomeron", NULL,
	                               NULL, 1, 0, 0 });
	struct ing_file *dup = s->files.v[s->files.n - 1];
	free(dup->path);
	dup->path = xstrdup("copy/IM001");
	dup->sha256[31] = 0x5a;   /* other bytes, same SOP Instance UID */
	/* a zip no password opens and a share link that gave a sign-in page: things to ask for */
	struct ing_file *zip = doc(s, "portal/records.zip", KIND_ARCHIVE, NULL, NULL);
	doc_info_free(zip->doc);
	zip->doc = NULL;
	file_set_problem(zip, PROB_ENCRYPTED, "the archive is locked with a password");
	struct ing_file *link = doc(s, "links.txt!/https://drive.google.com/file/d/X/view", KIND_LINK, NULL, NULL);
	doc_info_free(link->doc);
	link->doc = NULL;
	file_set_problem(link, PROB_DOWNLOAD, "the link gave a web page (\"Sign in\"), not the files");
	run(s, NULL, NULL);
	static const struct want want[] = {
		{ "baseline.treatment-summary", REQ }, { "baseline.medication-list", REQ },
		{ "generic.multiple-patients", REQ },        /* DOE^JANE and ROE^MARY */
		{ "baseline.radiology-report", REC }, { "baseline.operative-note", REC },
		{ "baseline.discharge-summary", REC }, { "baseline.performance-status", REC },
		{ "solid.msi", REC }, { "solid.tmb", REC }, { "solid.ntrk", REC }, { "solid.braf-v600e", REC },
		{ "solid.ret", REC }, { "solid.her2", REC }, { "solid.germline", REC },
		{ "generic.mr-primary", REC }, { "generic.slides", REC },
		/* the items for other cancer types (NET, germ cell, mesothelioma, anal: 8 rules) while the type is
		 * not known: one folded item */
		{ "generic.other-cancer-types", REC },
		/* no radiology report at all: both CT studies are named in baseline.radiology-report */
		{ "generic.translation", REC },              /* the German pathology report */
		{ "generic.missing-instances", WARN },       /* instance 3 of the CT chest */
		{ "generic.corrupt-files", WARN },           /* DICOM/broken.dcm */
		{ "generic.conflicting-duplicates", WARN },  /* copy/IM001 */
		{ "generic.locked-files", REQ },             /* portal/records.zip: ask for the password */
		{ "generic.failed-downloads", REQ },         /* the Drive link: ask for a direct link or the files */
		/* present: generic.ldh, generic.staging-imaging and generic.mesothelioma-ct (CT chest, 22 days),
		 * baseline labs and lab report, pathology report, question */
	};
	expect_gaps("generic", s, want, ARRAY_SIZE(want));
	CHECK_STR(s->status, "incomplete");
	CHECK_STR(s->cancer_type, "generic");
	CHECK_STR(s->cancer_type_source, "generic");
	struct ing_gap *g = find_gap(s, "generic.corrupt-files");
	CHECK(g && strstr(g->message, "DICOM/broken.dcm"));
	CHECK(g && !strstr(g->message, "records.zip"));
	g = find_gap(s, "generic.locked-files");
	CHECK(g && strstr(g->message, "portal/records.zip") && strstr(g->message, "passwords:"));
	g = find_gap(s, "generic.failed-downloads");
	CHECK(g && strstr(g->message, "drive.google.com") && strstr(g->evidence ? g->evidence : "", "Sign in"));
	g = find_gap(s, "generic.missing-instances");
	CHECK(g && strstr(g->message, "image number 3 is missing"));
	g = find_gap(s, "generic.multiple-patients");
	CHECK(g && !strstr(g->evidence ? g->evidence : "", "ROE") && !strstr(g->message, "ROE")); /* no names */
	g = find_gap(s, "generic.other-cancer-types");
	CHECK_HAS(g ? g->message : NULL, "Only for a neuroendocrine tumour or carcinoma (NET/NEC), a testicular germ cell "
	          "tumour, mesothelioma or anal squamous cell carcinoma: 8 more items of the checklist apply");
	CHECK_HAS(g ? g->evidence : NULL, "generic.germ-cell-ct: No CT of chest, abdomen and pelvis found.");
	g = find_gap(s, "baseline.radiology-report");
	CHECK_HAS(g ? g->message : NULL, "Scans sent without their report: 2025-05-10 CT \"CT THORAX\", 2023-11-20 CT "
	          "\"CT HEAD\".");
	scan_done(s);

	/* case.yaml names a type the rules do not have: its items apply, the other types' are not shown */
	s = scan_new("GENMESO");
	set_case_yaml(s, "cancer_type: mesothelioma\nsetting: metastatic\nquestion: \"What is the best next treatment?\"\n");
	doc(s, "reports/path.pdf", KIND_PATHOLOGY, "Epithelioid mesothelioma of the pleura.", "2025-04-01");
	run(s, NULL, NULL);
	CHECK_STR(s->cancer_type, "generic");
	CHECK(find_gap(s, "generic.other-cancer-types") == NULL);
	CHECK(find_gap(s, "generic.anal-p16") == NULL && find_gap(s, "generic.net-ki67") == NULL);
	g = find_gap(s, "generic.mesothelioma-markers");
	CHECK(g && g->condition == NULL && g->severity == RULE_SEV_RECOMMENDED);
	CHECK_HAS(g ? g->evidence : NULL, "case.yaml: cancer_type: mesothelioma");
	scan_done(s);
}

static void test_blocked_and_degraded(void)
{
	struct ing_scan *s = scan_new("BLOCKED");
	doc(s, "scans/page1.pdf", KIND_SCANNED, NULL, NULL);
	struct ing_file *ph = doc(s, "photos/IMG_0001.jpg", KIND_PHOTO, NULL, NULL);
	(void)ph;
	run(s, "breast", NULL);
	CHECK_STR(s->status, "blocked");
	CHECK_STR(s->cancer_type_source, "option");
	CHECK(find_gap(s, "generic.degraded-imaging") != NULL);
	struct ing_gap *g = find_gap(s, "breast.er");
	CHECK(g && strstr(g->message, "2 could not be read: scans/page1.pdf (image only, no text read), photos/IMG_0001.jpg "
	                              "(image only, no text read) — check them by eye"));
	scan_done(s);
}

static void test_acute_leukaemia(void)
{
	/* blocking: false — never held, even with two patients; urgent words flagged */
	struct ing_scan *s = scan_new("AML");
	set_case_yaml(s, "cancer_type: acute-leukaemia\n");
	doc(s, "reports/marrow.pdf", KIND_PATHOLOGY, "Bone marrow: 80% blasts; PML::RARA detected.", "2025-05-30");
	study(s, &(struct study_spec){ "7.1", "2025-05-30", "CT", "CHEST", "CT CHEST", "Chest", NULL, NULL, NULL, 3, 0, 0 });
	study(s, &(struct study_spec){ "7.2", "2025-05-30", "CT", "CHEST", "CT CHEST", "Chest", NULL, NULL, "ROE^MARY", 3, 0, 0 });
	run(s, NULL, NULL);
	CHECK_STR(s->status, "complete");
	CHECK(s->required_gaps == 0);
	struct ing_gap *g = find_gap(s, "generic.multiple-patients");
	CHECK(g && g->severity == RULE_SEV_RECOMMENDED);
	bool urgent = false;
	for (size_t i = 0; i < s->notes.n; i++)
		urgent |= strcmp(((struct ing_gap *)s->notes.v[i])->rule_id, "generic.urgent") == 0;
	CHECK(urgent);
	scan_done(s);
}

static void test_unknown_type_in_case_yaml(void)
{
	struct ing_scan *s = scan_new("UNK");
	struct ing_file *cy = xcalloc(1, sizeof(*cy));
	cy->path = xstrdup("case.yaml");
	cy->kind = KIND_CASE_YAML;
	ptrvec_push(&s->files, cy);
	set_case_yaml(s, "cancer_type: lung\nsetting: metastatic\n");
	doc(s, "reports/p.pdf", KIND_PATHOLOGY, "Invasive ductal carcinoma of the breast.", "2025-05-01");
	run(s, NULL, NULL);
	CHECK_STR(s->cancer_type, "generic");
	CHECK_STR(s->cancer_type_source, "generic");
	CHECK(cy->problem == PROB_CORRUPT);
	CHECK_HAS(cy->problem_msg, "case.yaml:1:14: unknown cancer_type \"lung\"");
	bool listed = false;
	for (size_t i = 0; i < s->inv.problems.n; i++)
		listed |= s->inv.problems.v[i] == cy;
	CHECK(listed);
	CHECK(find_gap(s, "generic.case-yaml") != NULL);
	scan_done(s);
}

/* Rules that could not be loaded hold the case (SPEC §11, issue 20): a
 * required gap, never "complete", and case.yaml is not blamed for it. */
static void test_rules_unavailable(void)
{
	struct ing_scan *s = scan_new("NORULES");
	struct ing_file *cy = xcalloc(1, sizeof(*cy));
	cy->path = xstrdup("case.yaml");
	cy->kind = KIND_CASE_YAML;
	ptrvec_push(&s->files, cy);
	set_case_yaml(s, "cancer_type: nsclc\nsetting: metastatic\nquestion: \"Is the current plan complete?\"\n");
	doc(s, "reports/p.pdf", KIND_PATHOLOGY, "Adenocarcinoma of the lung.", "2025-05-01");
	struct eval_opts o = { .today = TODAY, .rules_error = "rules/nsclc.yaml:111:1: invalid YAML" };
	inventory_build(s);
	evaluate_scan(s, NULL, &o);
	CHECK_STR(s->status, "incomplete");
	struct ing_gap *g = find_gap(s, "rules.unavailable");
	CHECK(g && g->severity == RULE_SEV_REQUIRED);
	CHECK(g && g->evidence && strstr(g->evidence, "nsclc.yaml:111:1"));
	CHECK(cy->problem == PROB_NONE);          /* not case.yaml's fault */
	CHECK_HAS(s->cancer_type_evidence, "not checked: the rules could not be loaded");
	scan_done(s);
}

static void test_inference(void)
{
	/* breast words in the pathology report; "all" in plain text is not ALL (leukaemia) */
	struct ing_scan *s = scan_new("INF");
	doc(s, "reports/p.pdf", KIND_PATHOLOGY, "Left breast core biopsy: invasive ductal carcinoma, NST. All margins clear.",
	    "2025-05-01");
	doc(s, "reports/l.pdf", KIND_LETTER, "All treatment so far is listed below.", "2025-05-01");
	run(s, NULL, NULL);
	CHECK_STR(s->cancer_type, "breast");
	CHECK_STR(s->cancer_type_source, "inferred");
	CHECK_HAS(s->cancer_type_evidence, "reports/p.pdf");
	scan_done(s);

	/* "non-small cell" is NSCLC, not SCLC; with the C34 code */
	s = scan_new("INF2");
	doc(s, "reports/p.pdf", KIND_PATHOLOGY, "Diagnosis (C34.1): non-small cell lung carcinoma, adenocarcinoma.",
	    "2025-05-01");
	run(s, NULL, NULL);
	CHECK_STR(s->cancer_type, "nsclc");
	scan_done(s);

	/* two types with equal evidence: ambiguous -> generic */
	s = scan_new("INF3");
	doc(s, "reports/p.pdf", KIND_PATHOLOGY, "Breast biopsy. Prostate biopsy.", "2025-05-01");
	run(s, NULL, NULL);
	CHECK_STR(s->cancer_type, "generic");
	CHECK_STR(s->cancer_type_source, "generic");
	CHECK_HAS(s->cancer_type_evidence, "more than one type");
	scan_done(s);
}

/* ---- case.yaml ---- */

static void test_case_yaml(void)
{
	struct case_yaml *cy = NULL;
	struct strbuf err;
	const char *ok = "cancer_type: breast\nsetting: metastatic\nquestion: \"Is the plan complete?\"\n"
	                 "notify: [alice@example.org, bob.smith@clinic.example.com]\npatient_language: ar\n";

	strbuf_init(&err, 4096);
	CHECK(case_yaml_parse(ok, strlen(ok), &cy, &err) == 0);
	CHECK(err.len == 0);
	CHECK_STR(cy->cancer_type, "breast");
	CHECK(cy->setting == RULE_SETTING_METASTATIC);
	CHECK_STR(cy->question, "Is the plan complete?");
	CHECK(cy->n_notify == 2);
	if (cy->n_notify == 2)
		CHECK_STR(cy->notify[1], "bob.smith@clinic.example.com");
	CHECK_STR(cy->patient_language, "ar");
	case_yaml_free(cy);
	strbuf_free(&err);

	/* deliver_to (SPEC §10): a destination's name; a bad one is a problem and
	 * marks the key as given but unusable (the daemon then holds the delivery) */
	const char *dt = "deliver_to: centre-a\n";
	strbuf_init(&err, 4096);
	CHECK(case_yaml_parse(dt, strlen(dt), &cy, &err) == 0);
	CHECK_STR(cy->deliver_to, "centre-a");
	CHECK(!cy->deliver_to_bad && !cy->ignored);
	case_yaml_free(cy);
	strbuf_free(&err);
	const char *dtbad = "deliver_to: https://pacs.example.org/\n";
	strbuf_init(&err, 4096);
	CHECK(case_yaml_parse(dtbad, strlen(dtbad), &cy, &err) == 1);
	CHECK_HAS(err.s, "case.yaml:1:13: deliver_to \"https://pacs.example.org/\" is not a destination's name");
	CHECK(cy->deliver_to == NULL && cy->deliver_to_bad);
	case_yaml_free(cy);
	strbuf_free(&err);
	const char *notyaml = "deliver_to: [centre-a\n";
	strbuf_init(&err, 4096);
	CHECK(case_yaml_parse(notyaml, strlen(notyaml), &cy, &err) == 1);
	CHECK(cy->ignored && cy->deliver_to == NULL);
	case_yaml_free(cy);
	strbuf_free(&err);

	/* a bad setting: a problem with line and column, the rest still used */
	const char *bad = "cancer_type: breast\nsetting: late\nnotify: alice@example.org\n";
	strbuf_init(&err, 4096);
	CHECK(case_yaml_parse(bad, strlen(bad), &cy, &err) == 1);
	CHECK_HAS(err.s, "case.yaml:2:10: unknown setting \"late\"");
	CHECK_STR(cy->cancer_type, "breast");
	CHECK(cy->setting == RULE_SETTING_UNKNOWN);
	CHECK(cy->n_notify == 1);
	case_yaml_free(cy);
	strbuf_free(&err);

	/* unknown key, wrong type, bad address, bad language: one line each */
	const char *worse = "cancer_typ: breast\nsetting: [early]\nnotify: [ok@example.org, \"not an address\", x@y]\n"
	                    "patient_language: arabic language\nquestion: \"Why?\"\n";
	strbuf_init(&err, 4096);
	CHECK(case_yaml_parse(worse, strlen(worse), &cy, &err) == 5);
	CHECK_HAS(err.s, "case.yaml:1:1: unknown key \"cancer_typ\"");
	CHECK_HAS(err.s, "case.yaml:2:11: \"setting\" must be a single value (text), not a list");
	/* a quoted value is located at its first character inside the quotes (libfyaml's token mark) */
	CHECK_HAS(err.s, "case.yaml:3:27: \"not an address\" in notify is not an e-mail address");
	CHECK_HAS(err.s, "case.yaml:3:44: \"x@y\" in notify is not an e-mail address");
	CHECK_HAS(err.s, "case.yaml:4:19: patient_language \"arabic language\" is not a language code");
	CHECK(cy->n_notify == 1);
	CHECK_STR(cy->question, "Why?");
	case_yaml_free(cy);
	strbuf_free(&err);

	/* invalid YAML: one problem, nothing used, no abort */
	const char *broken = "cancer_type: breast\nsetting: [early\n";
	strbuf_init(&err, 4096);
	CHECK(case_yaml_parse(broken, strlen(broken), &cy, &err) == 1);
	CHECK_HAS(err.s, "case.yaml:");
	CHECK_HAS(err.s, "invalid YAML");
	CHECK(cy->cancer_type == NULL);
	case_yaml_free(cy);
	strbuf_free(&err);

	/* empty file: nothing set, no problem */
	CHECK(case_yaml_parse("", 0, &cy, NULL) == 0);
	CHECK(cy->cancer_type == NULL && cy->setting == RULE_SETTING_UNKNOWN);
	case_yaml_free(cy);

	/* too large: refused unread */
	char *big = xmalloc(CASE_YAML_MAX_BYTES + 2);
	memset(big, '#', CASE_YAML_MAX_BYTES + 1);
	big[CASE_YAML_MAX_BYTES + 1] = 0;
	cy = NULL;
	CHECK(case_yaml_parse(big, CASE_YAML_MAX_BYTES + 1, &cy, NULL) == -E2BIG);
	CHECK(cy == NULL);
	free(big);

	CHECK(case_yaml_address_ok("a.b+tag@example.co.uk"));
	CHECK(!case_yaml_address_ok("a@b"));
	CHECK(!case_yaml_address_ok("<a@example.org>"));
	CHECK(!case_yaml_address_ok("a@example..org"));
	CHECK(!case_yaml_address_ok("a b@example.org"));
}

/* Opposite results for one marker in two documents: a findings.conflict gap
 * naming both; the same results where the first is superseded by an
 * amendment, or of another variant: none. */
static void stated(struct ing_file *f, const char *name, const char *polarity, const char *result, bool superseded)
{
	char snip[128];
	snprintf(snip, sizeof(snip), "%s: %s", name, result);
	marker(f, name, superseded ? MARKER_CONTEXT : MARKER_FOUND, result, snip);
	f->doc->markers[f->doc->n_markers - 1].polarity = polarity;
	f->doc->markers[f->doc->n_markers - 1].superseded = superseded;
}

static void test_conflicts(void)
{
	for (int round = 0; round < 2; round++) {
		struct ing_scan *s = scan_new("CONFLICT");
		set_case_yaml(s, "cancer_type: breast\nsetting: metastatic\n");
		struct ing_file *a = doc(s, "reports/core_biopsy.pdf", KIND_PATHOLOGY, "Invasive carcinoma.", "2025-03-01");
		struct ing_file *b = doc(s, "reports/resection.pdf", KIND_PATHOLOGY, "Invasive carcinoma.", "2025-04-01");
		stated(a, "HER2", "positive", "positive (3+)", round == 1);
		stated(b, "HER2", "negative", "negative (1+)", false);
		stated(a, "ER", "positive", "positive (90%)", false);
		stated(b, "ER", "positive", "positive (80%)", false);
		run(s, NULL, NULL);
		struct ing_gap *g = find_gap(s, "findings.conflict");
		if (round == 0) {
			CHECK(g != NULL, "two opposite HER2 results: no findings.conflict gap");
			CHECK(g && strstr(g->message, "HER2: positive (3+) in reports/core_biopsy.pdf") &&
			      strstr(g->message, "negative (1+) in reports/resection.pdf"), "%s", g ? g->message : "");
			CHECK(g && !strstr(g->message, "ER:"), "ER agrees in both: %s", g ? g->message : "");
		} else {
			CHECK(g == NULL, "a superseded result is no conflict: %s", g ? g->message : "");
		}
		scan_done(s);
	}
}

int main(int argc, char **argv)
{
	struct strbuf errors;

	if (argc != 2) {
		fprintf(stderr, "usage: %s RULES_DIR\n", argv[0]);
		return 2;
	}
	if (ing_ctx_new(&ctx) < 0)
		return 1;
	strbuf_init(&errors, RULES_MAX_ERRORS_BYTES);
	if (rules_load_dir(ctx, argv[1], &rs, &errors) < 0) {
		fprintf(stderr, "cannot load %s:\n%s", argv[1], errors.s ? errors.s : "");
		return 1;
	}
	strbuf_free(&errors);

	test_case_yaml();
	test_breast();
	test_breast_conditions();
	test_after_treatment();
	test_breast_setting_unknown();
	test_nsclc();
	test_colorectal();
	test_prostate();
	test_lymphoma();
	test_generic();
	test_blocked_and_degraded();
	test_acute_leukaemia();
	test_unknown_type_in_case_yaml();
	test_rules_unavailable();
	test_inference();
	test_conflicts();

	ruleset_free(rs);
	ing_ctx_free(ctx);
	CHECK_DONE();
}
