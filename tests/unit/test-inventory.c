/* The inventory from synthetic headers: series, missing numbers, slice gaps,
 * duplicates, patient keys. */
#include <stdio.h>

#include "case.h"
#include "check.h"

static struct ing_file *add(struct ing_scan *scan, char *path, const char *series, int inst, double z,
                            const char *name, uint8_t hashbyte)
{
	struct ing_file *f = xcalloc(1, sizeof(*f));
	struct dcm_info *d = xcalloc(1, sizeof(*d));
	f->path = path;   /* takes ownership */
	f->kind = KIND_DICOM_IMAGE;
	f->dcm = d;
	f->hashed = true;
	memset(f->sha256, hashbyte, 32);
	char *sop = xasprintf("%s.%d", series, inst);
	d->study_uid = "1.2.3";
	d->series_uid = series;
	d->sop_instance_uid = sop;
	d->modality = "CT";
	d->study_date = "20260102";
	d->patient_name = name;
	d->patient_birth_date = "19600101";
	CHECK(dcm_info_own(d) == 0);
	free(sop);
	d->has_instance_number = true;
	d->instance_number = inst;
	d->has_orientation = d->has_position = true;
	double iop[6] = { 1, 0, 0, 0, 1, 0 };
	memcpy(d->image_orientation, iop, sizeof(iop));
	d->image_position[2] = z;
	d->number_of_frames = 1;
	ptrvec_push(&scan->files, f);
	return f;
}

static struct inv_series *series_by_uid(struct ing_scan *scan, const char *uid)
{
	for (size_t i = 0; i < scan->inv.studies.n; i++) {
		struct inv_study *st = scan->inv.studies.v[i];
		for (size_t j = 0; j < st->series.n; j++)
			if (strcmp(((struct inv_series *)st->series.v[j])->series_uid, uid) == 0)
				return st->series.v[j];
	}
	return NULL;
}

int main(void)
{
	struct ing_ctx *ctx;
	/* The scans here are made by hand and never evaluated: their JSON is no
	 * gap report, so it is not given to scan-all-reports. */
	unsetenv("INGEST_TEST_REPORT_COPIES");
	CHECK_INT(ing_ctx_new(&ctx), 0);
	struct ing_scan *scan = xcalloc(1, sizeof(*scan));
	scan->ctx = ctx;
	scan->case_id = xstrdup("T");

	/* Series A: 1..12 at 2.5 mm, 7 and 8 missing (numbers and positions). */
	for (int i = 1; i <= 12; i++)
		if (i != 7 && i != 8)
			add(scan, xasprintf("A/%d", i), "1.2.3.1", i, -100.0 + 2.5 * (i - 1), "Doe^Jane", (uint8_t)i);
	/* Series B: complete, positions descending; one identical duplicate of instance 3. */
	for (int i = 1; i <= 5; i++)
		add(scan, xasprintf("B/%d", i), "1.2.3.2", i, 50.0 - 5.0 * (i - 1), "DOE^JANE^^", (uint8_t)(100 + i));
	add(scan, xstrdup("B/copy-of-3"), "1.2.3.2", 3, 40.0, "DOE JANE", 103);
	/* A conflicting duplicate of B/4: same SOP Instance UID, other bytes. */
	struct ing_file *conflict = add(scan, xstrdup("B/other-4"), "1.2.3.2", 4, 35.0, "Doe^Jane", 0xee);
	/* Series C: irregular spacing (no slice-gap verdict), another patient. */
	double zs[] = { 0, 1, 5, 6, 20 };
	for (int i = 1; i <= 5; i++)
		add(scan, xasprintf("C/%d", i), "1.2.3.3", i, zs[i - 1], "Roe^Richard", (uint8_t)(200 + i));

	/* the paths were allocated by xasprintf above and are owned by the files */
	inventory_build(scan);

	struct inv_series *a = series_by_uid(scan, "1.2.3.1"), *b = series_by_uid(scan, "1.2.3.2"),
	                  *c = series_by_uid(scan, "1.2.3.3");
	CHECK(a && b && c);
	if (!a || !b || !c)
		return 1;
	CHECK_INT(a->files.n, 10);
	CHECK_INT(a->n_missing, 2);
	CHECK_INT(a->missing[0], 7);
	CHECK_INT(a->missing[1], 8);
	CHECK_INT(a->n_gaps, 1);
	CHECK_INT(a->gaps[0].missing, 2);
	CHECK_INT(a->gaps[0].after_instance, 6);
	CHECK_INT(a->gaps[0].before_instance, 9);

	CHECK_INT(b->files.n, 5);                 /* identical copy counted once */
	CHECK_INT(b->n_missing, 0);
	CHECK_INT(conflict->problem, PROB_DUPLICATE);
	CHECK(strstr(conflict->problem_msg, "B/4") != NULL);
	CHECK_INT(c->n_gaps, 0);

	CHECK_INT(scan->inv.patients.n, 2);       /* Doe^Jane in three spellings, and Roe */
	CHECK_INT(scan->inv.studies.n, 1);
	CHECK_INT(scan->inv.problems.n, 1);
	struct inv_study *st = scan->inv.studies.v[0];
	CHECK_STR(st->date_iso, "2026-01-02");
	CHECK_STR(st->modalities, "CT");

	/* As a PACS files them: no Patient ID anywhere, so one patient; the
	 * conflicting duplicate is the same instance there too. */
	const struct inv_pacs *pc = &scan->inv.pacs;
	CHECK_INT(pc->patients, 1);
	CHECK_INT(pc->studies, 1);
	CHECK_INT(pc->series, 3);
	CHECK_INT(pc->instances, 20);
	CHECK_INT(pc->no_id.n, 21);               /* the identical copy is not in the file-set */
	CHECK_INT(pc->no_id_people, 2);
	CHECK_INT(pc->no_id_unnamed, 0);
	CHECK_INT(pc->padded.n + pc->shared.n + pc->split.n + pc->split_study.n, 0);
	/* The package's DICOMDIR: a PATIENT record per name as written ("Doe^Jane",
	 * "DOE^JANE^^"; the identical copy "DOE JANE" is not in the file-set), the
	 * study under each, a record per file (the conflicting duplicate too). */
	const struct inv_fileset *fs = &scan->inv.fileset;
	CHECK_INT(fs->patients, 3);
	CHECK_INT(fs->studies, 3);
	CHECK_INT(fs->series, 4);
	CHECK_INT(fs->instances, 21);
	CHECK_INT(fs->unnamed_records, 0);
	CHECK_INT(fs->split_people, 1);
	CHECK_INT(fs->split_records, 2);
	CHECK_INT(fs->split_studies, 1);
	CHECK_INT(fs->split_study_records, 3);

	/* the JSON carries the same numbers */
	char *json = NULL;
	CHECK_INT(ing_scan_to_json(scan, &json), 0);
	for (char *r = json, *w2 = json; json && (*w2 = *r); r++)   /* drop whitespace */
		if (*w2 != ' ' && *w2 != '\n')
			w2++;
	CHECK(json && strstr(json, "\"missing_instances\":[7,8]"));
	free(json);

	ing_scan_free(scan);

	/* Patient IDs: one kept with its pad (as an element stored as UN reads),
	 * one carried by two people, one person under two IDs, so one study under
	 * two IDs. */
	scan = xcalloc(1, sizeof(*scan));
	scan->ctx = ctx;
	scan->case_id = xstrdup("T2");
	struct ing_file *x[5];
	x[0] = add(scan, xstrdup("P/1"), "1.2.3.21", 1, 0, "Doe^Jane", 1);
	x[1] = add(scan, xstrdup("P/2"), "1.2.3.21", 2, 5, "Doe^Jane", 2);
	x[2] = add(scan, xstrdup("P/pad"), "1.2.3.21", 3, 10, "Doe^Jane", 3);
	x[3] = add(scan, xstrdup("P/roe"), "1.2.3.22", 1, 0, "Roe^Richard", 4);
	x[4] = add(scan, xstrdup("P/x2"), "1.2.3.23", 1, 0, "DOE^JANE", 5);
	for (int i = 0; i < 5; i++)
		x[i]->dcm->patient_id = i == 4 ? "X2" : "X1";   /* not in the pool: the pool alone is freed */
	x[2]->dcm->patient_id_padded = true;
	inventory_build(scan);
	pc = &scan->inv.pacs;
	CHECK_INT(scan->inv.patients.n, 2);
	CHECK_INT(pc->patients, 3);                /* X1, X1 with its pad, X2 */
	CHECK_INT(pc->studies, 3);                 /* the study under each */
	CHECK_INT(pc->series, 4);
	CHECK_INT(pc->instances, 5);
	CHECK_INT(pc->no_id.n, 0);
	CHECK_INT(pc->padded.n, 1);
	CHECK(pc->padded.n == 1 && pc->padded.v[0] == x[2]);
	CHECK_INT(pc->padded_ids, 1);
	CHECK_INT(pc->padded_beside, 3);           /* P/1, P/2, P/roe */
	CHECK_INT(pc->shared_ids, 1);
	CHECK_INT(pc->shared_people, 2);
	CHECK_INT(pc->shared.n, 2);
	CHECK_INT(pc->split_people, 1);
	CHECK_INT(pc->split_ids, 2);
	CHECK_INT(pc->split.n, 2);
	CHECK_INT(pc->split_studies, 1);
	CHECK_INT(pc->split_study_ids, 2);
	CHECK_INT(pc->split_study.n, 2);
	fs = &scan->inv.fileset;
	CHECK_INT(fs->patients, 3);                /* Doe^Jane X1 (padded or not: trimmed), Roe X1, DOE^JANE X2 */
	CHECK_INT(fs->studies, 3);
	CHECK_INT(fs->series, 3);
	CHECK_INT(fs->instances, 5);
	CHECK_INT(fs->split_people, 1);
	CHECK_INT(fs->split_records, 2);
	CHECK_INT(fs->split.n, 2);
	CHECK_INT(fs->split_studies, 1);
	CHECK_INT(fs->split_study_records, 3);
	CHECK_INT(fs->split_study.n, 3);
	ing_scan_free(scan);
	ing_ctx_free(ctx);
	CHECK_DONE();
}
