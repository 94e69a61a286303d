/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The case summary (libingest/report-summary.c) over findings made by hand:
 * every entry has its source, nothing is there that no finding states, a
 * stated thing is there; the text, HTML and JSON forms; lists cut and said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "case.h"
#include "check.h"
#include "evaluate.h"
#include "report-summary.h"
#include "util/fileio.h"

/* ---- the summary over a scan made by hand ---- */

static struct ing_file *document(struct ing_scan *scan, const char *path, enum ing_kind kind, const char *date)
{
	struct ing_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->kind = kind;
	f->doc = xcalloc(1, sizeof(*f->doc));
	f->doc->pages = 1;
	f->doc->doc_date = date ? xstrdup(date) : NULL;
	ptrvec_push(&scan->files, f);
	ptrvec_push(&scan->inv.documents, f);
	return f;
}

static void marker(struct ing_file *f, const char *name, enum marker_state st, const char *result,
                   const char *method)
{
	struct doc_info *d = f->doc;
	d->markers = xrealloc(d->markers, (d->n_markers + 1) * sizeof(*d->markers));
	d->markers[d->n_markers++] = (struct doc_marker){
		.name = xstrdup(name), .state = st, .result = result ? xstrdup(result) : NULL,
		.snippet = xasprintf("%s %s", name, result ? result : "pending"), .method = method ? xstrdup(method) : NULL,
		/* as documents.c keeps a statement: the polarity of a result */
		.polarity = st != MARKER_FOUND ? NULL : !strncmp(result, "positive", 8) ? "positive"
		          : !strncmp(result, "negative", 8) ? "negative" : "none",
	};
}

static void treatment(struct ing_file *f, const char *date, const char *what)
{
	struct doc_info *d = f->doc;
	d->treatments = xrealloc(d->treatments, (d->n_treatments + 1) * sizeof(*d->treatments));
	d->treatments[d->n_treatments++] = (struct doc_treatment){
		.date = xstrdup(date), .latest = xstrdup(date), .precision = xstrdup("day"), .what = xstrdup(what),
		.snippet = xstrdup(what),
	};
	d->treatments_read = true;
}

static void diagnosis(struct ing_file *f, const char *field, const char *text, const char *side)
{
	struct doc_info *d = f->doc;
	d->diagnoses = xrealloc(d->diagnoses, (d->n_diagnoses + 1) * sizeof(*d->diagnoses));
	d->diagnoses[d->n_diagnoses++] = (struct doc_diagnosis){ .field = field, .text = xstrdup(text), .side = side };
}

static struct inv_study *study(struct ing_scan *scan, const char *uid, const char *date, const char *desc,
                               const char *body, const char *modality, const char *path, enum ing_kind kind)
{
	struct inv_study *st = xcalloc(1, sizeof(*st));
	struct inv_series *se = xcalloc(1, sizeof(*se));
	struct ing_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->kind = kind;
	f->dcm = xcalloc(1, sizeof(*f->dcm));
	f->dcm->body_part = body;
	f->dcm->modality = modality;
	CHECK_INT(dcm_info_own(f->dcm), 0);
	st->study_uid = uid;
	st->description = desc;
	st->body_part = body;
	snprintf(st->date_iso, sizeof(st->date_iso), "%s", date);
	snprintf(st->modalities, sizeof(st->modalities), "%s", modality);
	se->series_uid = uid;
	se->modality = modality;
	se->description = "";
	ptrvec_push(&se->files, f);
	ptrvec_push(&st->series, se);
	ptrvec_push(&scan->inv.studies, st);
	ptrvec_push(&scan->files, f);
	return st;
}

/* One more series of MODALITY in study ST, of one image. */
static void series(struct ing_scan *scan, struct inv_study *st, const char *modality, const char *path)
{
	struct inv_series *se = xcalloc(1, sizeof(*se));
	struct ing_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->kind = KIND_DICOM_IMAGE;
	f->dcm = xcalloc(1, sizeof(*f->dcm));
	f->dcm->modality = modality;
	CHECK_INT(dcm_info_own(f->dcm), 0);
	se->series_uid = path;
	se->modality = modality;
	se->description = "";
	ptrvec_push(&se->files, f);
	ptrvec_push(&st->series, se);
	ptrvec_push(&scan->files, f);
}

static void gap(struct ing_scan *scan, const char *id, enum rule_severity sev, const char *msg, const char *cond)
{
	struct ing_gap *g = xcalloc(1, sizeof(*g));
	g->rule_id = xstrdup(id);
	g->severity = sev;
	g->message = xstrdup(msg);
	g->condition = cond ? xstrdup(cond) : NULL;
	ptrvec_push(&scan->gaps, g);
}

static char *written(const struct ing_scan *scan, bool html)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (html)
		summary_write_html(scan, f);
	else
		summary_write_text(scan, f);
	fclose(f);
	return buf;
}

/* Every entry of every list of the JSON summary has a non-empty source. */
static size_t entries_without_source(json_object *sum, size_t *entries)
{
	static const char *const lists[] = { "diagnosis", "biomarkers", "treatments", "imaging", "missing" };
	size_t bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		json_object *a = NULL;
		if (!json_object_object_get_ex(sum, lists[i], &a) || !json_object_is_type(a, json_type_array)) {
			bad++;
			continue;
		}
		for (size_t k = 0; k < json_object_array_length(a); k++) {
			json_object *src = NULL;
			(*entries)++;
			if (!json_object_object_get_ex(json_object_array_get_idx(a, k), "source", &src) ||
			    !json_object_is_type(src, json_type_string) || !json_object_get_string_len(src))
				bad++;
		}
	}
	return bad;
}

static void scan_free(struct ing_scan *scan)
{
	for (size_t i = 0; i < scan->gaps.n; i++) {
		struct ing_gap *g = scan->gaps.v[i];
		free(g->rule_id);
		free(g->message);
		free(g->condition);
		free(g);
	}
	ptrvec_free(&scan->gaps, NULL);
	for (size_t i = 0; i < scan->inv.studies.n; i++) {
		struct inv_study *st = scan->inv.studies.v[i];
		for (size_t j = 0; j < st->series.n; j++) {
			struct inv_series *se = st->series.v[j];
			ptrvec_free(&se->files, NULL);
			free(se);
		}
		ptrvec_free(&st->series, NULL);
		free(st);
	}
	ptrvec_free(&scan->inv.studies, NULL);
	ptrvec_free(&scan->inv.documents, NULL);
	for (size_t i = 0; i < scan->files.n; i++)
		file_free(scan->files.v[i]);
	ptrvec_free(&scan->files, NULL);
	free(scan->case_id);
	free(scan);
}

static void test_summary(struct ing_ctx *ctx, struct ruleset *rs)
{
	struct ing_scan *scan = xcalloc(1, sizeof(*scan));
	scan->ctx = ctx;
	scan->rules = rs;
	scan->case_id = xstrdup("T");
	struct ing_file *path = document(scan, "reports/pathology.pdf", KIND_PATHOLOGY, "2024-02-09");
	diagnosis(path, "diagnosis", "Invasive breast carcinoma of no special type, grade 2.", NULL);
	diagnosis(path, "specimen", "Left breast, core needle biopsy", "left");
	marker(path, "HER2", MARKER_FOUND, "negative (1+)", "IHC");
	marker(path, "ER", MARKER_FOUND, "positive (90%)", NULL);
	marker(path, "PD-L1", MARKER_PENDING, NULL, NULL);
	marker(path, "PR", MARKER_CONTEXT, "positive", NULL);     /* a relative's, or superseded: not shown */
	struct ing_file *mol = document(scan, "molecular.pdf", KIND_MOLECULAR, NULL);
	marker(mol, "HER2", MARKER_FOUND, "positive (3+)", "IHC");  /* the opposite: a conflict, both shown */
	diagnosis(mol, "diagnosis", "Invasive breast carcinoma of no special type, grade 2.", NULL);   /* once */
	struct ing_file *letter = document(scan, "letter.txt", KIND_LETTER, "2024-03-20");
	treatment(letter, "2024-03-17", "letrozole started");
	treatment(letter, "2023-11-02", "Mastectomy");
	treatment(path, "2024-03-17", "Letrozole started");        /* the same event: once */
	study(scan, "1.2.3.2", "2024-03-09", "MR LIVER", "ABDOMEN", "MR", "cd/IM2", KIND_DICOM_IMAGE);
	study(scan, "1.2.3.1", "2024-03-02", "CT CHEST ABDOMEN PELVIS WITH CONTRAST", "CHEST", "CT", "cd/IM1",
	      KIND_DICOM_IMAGE);
	study(scan, "1.2.3.9", "2024-03-02", "Dose report", "", "SR", "cd/SR1", KIND_DICOM_SR);    /* no image */
	gap(scan, "breast.ki67", RULE_SEV_REQUIRED,
	    "Ki-67 is missing (no value in e.g. the reports). Ask the pathologist for Ki-67.", NULL);
	gap(scan, "breast.brca", RULE_SEV_RECOMMENDED, "BRCA status is missing.", NULL);
	gap(scan, "baseline.treatment-summary", RULE_SEV_REQUIRED, "Not found in the readable documents; 1 could not be "
	    "read: a.pdf (read by OCR, 61%) — check it by eye before asking the hospital. If it does not hold it: No "
	    "treatment summary found. Ask the treating doctor for one.", NULL);
	((struct ing_gap *)scan->gaps.v[scan->gaps.n - 1])->unread_could_answer = true;
	gap(scan, "breast.ihc2", RULE_SEV_REQUIRED, "HER2 ISH if IHC 2+.", "if HER2 is 2+");

	struct case_summary s;
	case_summary_build(scan, &s);
	CHECK_INT(s.n_dx, 2);
	CHECK_STR(s.dx[0].source, "reports/pathology.pdf");
	CHECK_STR(s.dx[1].side, "left");
	CHECK(!s.stage_stated);
	/* grouped by marker: ER, HER2 x2, PD-L1; not the context one */
	CHECK_INT(s.n_markers, 4);
	CHECK_STR(s.markers[0].marker, "ER");
	CHECK_STR(s.markers[0].date, "2024-02-09");
	CHECK_STR(s.markers[1].marker, "HER2");
	CHECK_STR(s.markers[1].method, "IHC");
	CHECK(s.markers[1].conflict && s.markers[2].conflict);
	CHECK_STR(s.markers[2].source, "molecular.pdf");
	CHECK(s.markers[2].date == NULL);
	CHECK_STR(s.markers[3].state, "pending");
	CHECK_STR(s.markers[3].result, "pending");
	CHECK(!s.markers[0].conflict);
	/* by date, the same event once */
	CHECK_INT(s.n_treatments, 2);
	CHECK_STR(s.treatments[0].date, "2023-11-02");
	CHECK_STR(s.treatments[1].source, "reports/pathology.pdf");     /* the first document stating it */
	/* the studies with images, by date, in words */
	CHECK_INT(s.n_studies, 2);
	CHECK_STR(s.studies[0].date, "2024-03-02");
	CHECK_STR(s.studies[0].modality, "CT");
	CHECK_STR(s.studies[0].region, "chest, abdomen and pelvis");
	CHECK_STR(s.studies[0].source, "cd/IM1");
	CHECK_STR(s.studies[1].modality, "MRI");
	CHECK_STR(s.studies[1].region, "abdomen");
	/* required, unconditional gaps only */
	CHECK_INT(s.n_missing, 2);
	CHECK_STR(s.missing[1].message, "No treatment summary found (perhaps in a document that could not be read: "
	          "check it by eye).");
	CHECK_STR(s.missing[0].source, "breast.ki67");
	CHECK_STR(s.missing[0].message, "Ki-67 is missing (no value in e.g. the reports).");   /* one line */
	case_summary_free(&s);

	char *txt = written(scan, false), *html = written(scan, true);
	CHECK_HAS(txt, "Case summary");
	CHECK_HAS(txt, "Invasive breast carcinoma of no special type, grade 2.  [reports/pathology.pdf]");
	CHECK_HAS(txt, "No stage is stated");
	CHECK_HAS(txt, "CONFLICT");
	CHECK_HAS(txt, "2023-11-02  Mastectomy  [letter.txt]");
	CHECK_HAS(txt, "2024-03-02  CT of the chest, abdomen and pelvis");
	CHECK_HAS(txt, "- Ki-67 is missing (no value in e.g. the reports).\n");
	CHECK(!strstr(txt, "Ask the pathologist"), "one line each: the first sentence");
	CHECK(!strstr(txt, "BRCA"), "a recommended item is not in the summary's missing list");
	CHECK(!strstr(txt, "Dose report"), "a study without images is not imaging");
	CHECK_HAS(html, "<h2 style=\"color:#1a237e\">Case summary</h2>");
	CHECK_HAS(html, "<td>ER</td><td>positive (90%)</td>");
	CHECK_HAS(html, "— reports/pathology.pdf</span>");
	free(txt);
	free(html);

	json_object *root = json_object_new_object();
	json_object *sum = summary_json(scan, root);
	size_t entries = 0;
	CHECK_INT(entries_without_source(sum, &entries), 0);
	CHECK_INT(entries, 2 + 4 + 2 + 2 + 2);
	/* the check can fail: an entry whose source is taken away is found */
	json_object *a = NULL;
	json_object_object_get_ex(sum, "biomarkers", &a);
	json_object_object_del(json_object_array_get_idx(a, 0), "source");
	entries = 0;
	CHECK_INT(entries_without_source(sum, &entries), 1);
	json_object_put(sum);
	json_object_put(root);

	/* without the rules' words a region is not said (never a code) */
	scan->rules = NULL;
	case_summary_build(scan, &s);
	CHECK_STR(s.studies[0].region, "");
	case_summary_free(&s);
	scan->rules = rs;

	/* records of two patients: each entry names whose it is */
	struct inv_patient pa = { .key = "aaaaaaaaaaaaaaaa" }, pb = { .key = "bbbbbbbbbbbbbbbb" };
	ptrvec_push(&pa.documents, path);
	ptrvec_push(&pa.documents, letter);
	ptrvec_push(&pa.studies, scan->inv.studies.v[0]);
	ptrvec_push(&pb.documents, mol);
	ptrvec_push(&pb.studies, scan->inv.studies.v[1]);
	ptrvec_push(&scan->inv.patients, &pa);
	ptrvec_push(&scan->inv.patients, &pb);
	case_summary_build(scan, &s);
	CHECK_INT(s.patients, 2);
	CHECK_STR(s.dx[0].patient, "aaaaaaaaaaaaaaaa");
	CHECK_STR(s.markers[2].patient, "bbbbbbbbbbbbbbbb");     /* HER2 of molecular.pdf */
	CHECK_STR(s.treatments[0].patient, "aaaaaaaaaaaaaaaa");
	CHECK_STR(s.studies[0].patient, "bbbbbbbbbbbbbbbb");     /* the CT, by date first */
	case_summary_free(&s);
	txt = written(scan, false);
	CHECK_HAS(txt, "Records of 2 patients are in this case");
	CHECK_HAS(txt, " molecular.pdf  (patient bbbbbbbbbbbbbbbb)");
	free(txt);
	ptrvec_free(&scan->inv.patients, NULL);
	ptrvec_free(&pa.documents, NULL);
	ptrvec_free(&pa.studies, NULL);
	ptrvec_free(&pb.documents, NULL);
	ptrvec_free(&pb.studies, NULL);

	/* a long list is cut at SUMMARY_MAX_ROWS and said */
	for (int i = 0; i < 60; i++) {
		char name[32];
		snprintf(name, sizeof(name), "M%02d", i);
		marker(mol, name, MARKER_FOUND, "positive", NULL);
	}
	case_summary_build(scan, &s);
	CHECK_INT(s.n_markers, SUMMARY_MAX_ROWS);
	CHECK_INT(s.total_markers, 64);
	case_summary_free(&s);
	root = json_object_new_object();
	sum = summary_json(scan, root);
	json_object *t = NULL, *e = NULL;
	CHECK(json_object_object_get_ex(root, "truncated", &t) && json_object_object_get_ex(t, "summary.biomarkers", &e));
	json_object_put(sum);
	json_object_put(root);
	txt = written(scan, false);
	CHECK_HAS(txt, "... and 24 more biomarker results");
	free(txt);

	/* many documents: built in n log n (a quadratic pass would not end within the test's timeout);
	 * the same treatment and diagnosis line stated by each is kept once */
	struct timespec t0, t1;
	for (int i = 0; i < 20000; i++) {
		char p[64];
		snprintf(p, sizeof(p), "many/doc%05d.txt", i);
		struct ing_file *f = document(scan, p, KIND_LETTER, NULL);
		marker(f, i % 2 ? "ALK" : "ROS1", MARKER_FOUND, i % 2 ? "negative" : "positive", NULL);
		treatment(f, i % 3 ? "2022-01-01" : "2021-05-05", i % 2 ? "Surgery" : "surgery");
		diagnosis(f, "diagnosis", i % 2 ? "lung adenocarcinoma" : "Lung adenocarcinoma", NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	case_summary_build(scan, &s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("summary of %zu documents built in %.1f ms\n", scan->inv.documents.n,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	CHECK_INT(s.total_treatments, 2 + 2);       /* 2023-11-02, 2024-03-17, and the two dates of the many */
	CHECK_INT(s.total_dx, 2 + 2);
	CHECK_INT(s.total_markers, 64 + 20000);
	CHECK_INT(s.n_markers, SUMMARY_MAX_ROWS);
	case_summary_free(&s);

	scan_free(scan);
}

/* The names of the summary's studies come from rules/words/report.yaml
 * (modality_names): the shipped words name a PET study's CT with it, two
 * codes with one name once; a name added to the data, or changed there, is
 * what the summary says, with no change of C. */
static void test_modality_names(struct ing_ctx *ctx, const char *rules)
{
	struct ruleset rs = { 0 };
	struct strbuf errors;
	struct case_summary s;
	struct ing_scan *scan = xcalloc(1, sizeof(*scan));
	scan->ctx = ctx;
	scan->rules = &rs;
	scan->case_id = xstrdup("T");
	struct inv_study *pet = study(scan, "1.2.4.1", "2024-01-01", "PET", "", "PT", "cd/PT1", KIND_DICOM_IMAGE);
	series(scan, pet, "CT", "cd/CT1");
	series(scan, pet, "SR", "cd/SR1");      /* no image modality: not said */
	snprintf(pet->modalities, sizeof(pet->modalities), "PT,CT,SR");
	struct inv_study *xr = study(scan, "1.2.4.2", "2024-01-02", "XR", "", "CR", "cd/CR1", KIND_DICOM_IMAGE);
	series(scan, xr, "DX", "cd/DX1");
	struct inv_study *breast = study(scan, "1.2.4.3", "2024-01-03", "BREAST", "", "MG", "cd/MG1", KIND_DICOM_IMAGE);
	series(scan, breast, "US", "cd/US1");
	study(scan, "1.2.4.4", "2024-01-04", "PANO", "", "PX", "cd/PX1", KIND_DICOM_IMAGE);
	struct inv_study *zz = study(scan, "1.2.4.5", "2024-01-05", "ZETA", "", "ZZ", "cd/ZZ1", KIND_DICOM_IMAGE);
	series(scan, zz, "SR", "cd/SR2");
	snprintf(zz->modalities, sizeof(zz->modalities), "ZZ,SR");
	document(scan, "reports/path.pdf", KIND_PATHOLOGY, "2024-01-06");

	strbuf_init(&errors, 1u << 16);
	CHECK_INT(rule_words_load(rules, &rs.words, &errors), 0);
	case_summary_build(scan, &s);
	CHECK_INT(s.n_studies, 4);
	CHECK_STR(s.studies[0].modality, "PET-CT");
	CHECK_STR(s.studies[1].modality, "X-ray");              /* CR and DX: one name, once */
	CHECK_STR(s.studies[2].modality, "mammography, ultrasound");
	CHECK_STR(s.studies[3].modality, "panoramic X-ray");
	case_summary_free(&s);
	/* the inventory's study lines: each code with its words, a code without words as it is */
	char *txt = NULL, *html = NULL;
	size_t tlen = 0, hlen = 0;
	FILE *tf = open_memstream(&txt, &tlen), *hf = open_memstream(&html, &hlen);
	CHECK_INT(ing_scan_write_text(scan, tf), 0);
	CHECK_INT(ing_scan_write_html(scan, "test", hf), 0);
	fclose(tf);
	fclose(hf);
	CHECK_HAS(txt, "  2024-01-01  PT (positron emission tomography (PET)), CT (computed tomography), SR (report "
	          "stored in the DICOM (structured report)) — PET\n");
	CHECK_HAS(txt, "  2024-01-05  ZZ, SR (report stored in the DICOM (structured report)) — ZETA\n");
	CHECK_HAS(html, "<h3>2024-01-01 PT <small>(positron emission tomography (PET))</small>, CT <small>(computed "
	          "tomography)</small>, SR <small>(report stored in the DICOM (structured report))</small> — PET</h3>");
	CHECK_HAS(html, "<span class=\"tl-kind\">imaging</span> ZZ, SR <small>(report stored in the DICOM (structured "
	          "report))</small> — ZETA");
	/* the kinds of files in words: the timeline, the documents table, the text's files by kind and documents */
	CHECK_HAS(html, "<span class=\"tl-kind\">document</span> pathology report — <code>reports/path.pdf</code>");
	CHECK_HAS(html, "<tr><td>reports/path.pdf</td><td>pathology report</td>");
	CHECK_HAS(txt, "\n  pathology report                     1\n");
	CHECK_HAS(txt, "\n  DICOM image                          10\n");
	CHECK_HAS(txt, "\n  pathology report     reports/path.pdf\n");
	CHECK(!strstr(html, "pathology-report") && !strstr(txt, "pathology-report") && !strstr(txt, "dicom-image"),
	      "no kind named by its code");
	free(txt);
	free(html);
	rule_words_free(rs.words);
	rs.words = NULL;

	/* the shipped words with a name for two codes added and one name changed */
	char dir[] = "/tmp/test-summary-words.XXXXXX", path[128], *shipped = NULL, *text = NULL;
	size_t len = 0;
	CHECK(mkdtemp(dir) != NULL, "scratch folder");
	snprintf(path, sizeof(path), "%s/words/report.yaml", rules);
	CHECK_INT(read_file_at(AT_FDCWD, path, 1u << 20, 0, &shipped, &len), 0);
	const char *names = strstr(shipped, "\nmodality_names:\n"), *px = strstr(shipped, "\n  PX: panoramic X-ray\n");
	CHECK(names && px && px > names, "the shipped modality_names, with PX");
	/* a modality the shipped words do not know, a name for two codes, a name changed */
	const char *mods = strstr(shipped, "\nmodalities:\n");
	CHECK(mods && mods < names, "the shipped modalities");
	size_t tl = 0;
	FILE *tw = open_memstream(&text, &tl);
	fprintf(tw, "%.*s  ZZ: zeta imaging\n", (int)(mods - shipped) + 13, shipped);
	fprintf(tw, "%.*s  MG+US: mammogram with breast ultrasound\n", (int)(names - mods) + 17 - 13, mods + 13);
	const char *pk = strstr(shipped, "\n  pathology-report: pathology report\n");
	CHECK(pk && pk > px, "the shipped kinds, with pathology-report");
	fprintf(tw, "%.*s\n  PX: dental X-ray\n", (int)(px - names - 17), names + 17);
	fprintf(tw, "%.*s\n  pathology-report: report on the tissue\n%s", (int)(pk - px - strlen("\n  PX: panoramic X-ray\n")),
	        px + strlen("\n  PX: panoramic X-ray\n"),
	        pk + strlen("\n  pathology-report: pathology report\n"));
	fclose(tw);
	snprintf(path, sizeof(path), "%s/words", dir);
	CHECK_INT(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/words/report.yaml", dir);
	FILE *f = fopen(path, "w");
	CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "words written");
	CHECK_INT(rule_words_load(dir, &rs.words, &errors), 0);
	if (errors.len)
		fprintf(stderr, "%s", errors.s);
	case_summary_build(scan, &s);
	CHECK_STR(s.studies[0].modality, "PET-CT");
	CHECK_STR(s.studies[2].modality, "mammogram with breast ultrasound");
	CHECK_STR(s.studies[3].modality, "dental X-ray");
	case_summary_free(&s);
	tf = open_memstream(&txt, &tlen);
	CHECK_INT(ing_scan_write_text(scan, tf), 0);
	fclose(tf);
	CHECK_HAS(txt, "  2024-01-05  ZZ (zeta imaging), SR (report stored in the DICOM (structured report)) — ZETA\n");
	CHECK_HAS(txt, "\n  report on the tissue                 1\n");
	free(txt);
	rule_words_free(rs.words);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/words", dir);
	(void)rmdir(path);
	(void)rmdir(dir);
	free(shipped);
	free(text);
	strbuf_free(&errors);
	scan_free(scan);
}

int main(void)
{
	const char *rules = getenv("INGEST_TEST_RULES_DIR");
	struct ruleset rs = { 0 };
	struct strbuf errors;
	struct ing_ctx *ctx;
	/* a scan made by hand, never evaluated: not a gap report for scan-all-reports */
	unsetenv("INGEST_TEST_REPORT_COPIES");
	if (!rules || ing_ctx_new(&ctx) < 0)
		return 2;
	/* the rules' words for regions (rules/words/report.yaml) */
	strbuf_init(&errors, 1u << 16);
	if (rule_words_load(rules, &rs.words, &errors) < 0) {
		fprintf(stderr, "rules/words does not load: %s\n", errors.s ? errors.s : "");
		return 1;
	}
	strbuf_free(&errors);
	test_summary(ctx, &rs);
	test_modality_names(ctx, rules);
	rule_words_free(rs.words);
	ing_ctx_free(ctx);
	CHECK_DONE();
}
