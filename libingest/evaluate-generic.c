/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The generic checks every case gets, whatever its cancer type (SPEC §5),
 * rule ids generic.*: several patients, incomplete series, damaged or
 * conflicting files, the disc index, case.yaml's mistakes, only degraded
 * images, translation, urgent words (reports and studies without each other:
 * evaluate-pairing.c).
 */
#include <ctype.h>

#include "evaluate-gaps.h"

/* ---- generic checks (SPEC §5), rule ids generic.* ---- */

static void simple_gap(struct ev *e, const char *id, enum rule_severity sev, const char *message, struct strbuf *evid)
{
	struct strbuf msg;
	strbuf_init(&msg, EVAL_TEXT_MAX);
	(void)strbuf_puts(&msg, message);
	/* A type that never holds the case (acute leukaemia) is not held by these either. */
	if (sev == RULE_SEV_REQUIRED && e->type && !e->type->blocking)
		sev = RULE_SEV_RECOMMENDED;
	add_gap(e, id, sev, NULL, &msg, evid);
}

/* Records of more than one person (SPEC §5): the patients of the inventory,
 * DICOM patients and the patients documents name in their headers, joined
 * when they are one person (inventory.c, docs/design.md "Patients"). The
 * evidence says which studies and documents belong to which opaque key,
 * never a name. */
void check_patients(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	struct strbuf evid, msg;
	size_t from_docs = 0;

	if (inv->patients.n <= 1)
		return;
	strbuf_init(&evid, EVAL_TEXT_MAX);
	for (size_t i = 0; i < inv->patients.n; i++) {
		const struct inv_patient *p = inv->patients.v[i];
		size_t n = 0;
		from_docs += p->studies.n == 0 && p->documents.n > 0;
		if (i >= 2 * EVAL_LIST_MAX) {
			(void)strbuf_printf(&evid, "; and %zu more patients", inv->patients.n - i);
			break;
		}
		(void)strbuf_printf(&evid, "%spatient %s:", i ? "; " : "", p->key);
		for (size_t k = 0; k < p->studies.n; k++) {
			if (k >= EVAL_LIST_MAX) {
				(void)strbuf_printf(&evid, " and %zu more studies", p->studies.n - k);
				break;
			}
			(void)strbuf_puts(&evid, k ? ", study " : " study ");
			study_text(&evid, p->studies.v[k], -1);
			const struct inv_series *se = ((const struct inv_study *)p->studies.v[k])->series.n
			                              ? ((const struct inv_study *)p->studies.v[k])->series.v[0] : NULL;
			if (se && se->files.n)
				(void)strbuf_printf(&evid, " (%s)", ((const struct ing_file *)se->files.v[0])->path);
		}
		if (p->documents.n) {
			(void)strbuf_puts(&evid, p->studies.n ? "; its documents: " : " documents: ");
			for (size_t k = 0; k < p->documents.n; k++)
				list_add(&evid, &n, "%s", ((const struct ing_file *)p->documents.v[k])->path);
			list_end(&evid, n);
		}
	}
	strbuf_init(&msg, EVAL_TEXT_MAX);
	(void)strbuf_printf(&msg, "The records belong to %zu different patients (by name and birth date in the DICOM "
	                    "headers and in the documents' patient details", inv->patients.n);
	if (from_docs)
		(void)strbuf_printf(&msg, "; %zu of them named only in documents", from_docs);
	(void)strbuf_puts(&msg, "). Remove every record that is not this patient's before the case is sent, "
	                  "or confirm with the hospital that they are the same person.");
	simple_gap(e, "generic.multiple-patients", RULE_SEV_REQUIRED, sb(&msg), &evid);
	strbuf_free(&msg);
}

/* The files of V as a list: "a, b, c and 4 more". */
static void files_list(struct strbuf *b, const struct ptrvec *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->n; i++)
		list_add(b, &n, "%s", ((const struct ing_file *)v->v[i])->path);
	list_end(b, n);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* One PACS gap: MSG (taken), the evidence FILES and what the PACS and the
 * report count. */
static void pacs_gap(struct ev *e, const char *id, struct strbuf *msg, const struct ptrvec *files)
{
	const struct inventory *inv = &e->scan->inv;
	const struct inv_pacs *pc = &inv->pacs;
	size_t series = 0, people = 0;
	struct strbuf evid;
	for (size_t i = 0; i < inv->studies.n; i++)
		series += ((const struct inv_study *)inv->studies.v[i])->series.n;
	for (size_t i = 0; i < inv->patients.n; i++)
		people += ((const struct inv_patient *)inv->patients.v[i])->studies.n > 0;
	strbuf_init(&evid, EVAL_TEXT_MAX);
	files_list(&evid, files);
	(void)strbuf_printf(&evid, "; filed by Patient ID, a PACS holds %u patient%s, %u stud%s, %u series, %u "
	                    "instance%s; the report counts %zu %s with images, %zu stud%s, %zu series, %u instance%s",
	                    pc->patients, plural(pc->patients, "", "s"), pc->studies, plural(pc->studies, "y", "ies"),
	                    pc->series, pc->instances, plural(pc->instances, "", "s"), people,
	                    plural(people, "person", "people"), inv->studies.n, plural(inv->studies.n, "y", "ies"),
	                    series, inv->dicom_instances, plural(inv->dicom_instances, "", "s"));
	(void)strbuf_printf(&evid, "; the package's DICOMDIR has %u PATIENT, %u STUDY, %u SERIES and %u instance "
	                    "records", inv->fileset.patients, inv->fileset.studies, inv->fileset.series,
	                    inv->fileset.instances);
	simple_gap(e, id, RULE_SEV_WARNING, sb(msg), &evid);
	strbuf_free(msg);
}

/* The file-set as a PACS files it, by Patient ID (inventory.c, pacs_view()):
 * one gap per reason a PACS would file objects together or apart otherwise
 * than the report counts them (SPEC §5, "one inventory truth"). Counts and
 * file names only, never a Patient ID or name. */
void check_pacs(struct ev *e)
{
	const struct inv_pacs *pc = &e->scan->inv.pacs;
	const struct inv_fileset *fs = &e->scan->inv.fileset;
	struct strbuf msg;
	size_t n;

	if ((n = pc->no_id.n)) {
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%zu DICOM object%s %s no Patient ID", n, plural(n, "", "s"),
		                    plural(n, "has", "have"));
		if (pc->no_id_people > 1)
			(void)strbuf_printf(&msg, " (the report tells %u people apart among them)", pc->no_id_people);
		else if (pc->no_id_unnamed == n)
			(void)strbuf_printf(&msg, " and no patient name");
		(void)strbuf_printf(&msg, ". A PACS files every object without a Patient ID under one patient, "
		                    "together with those of other patients without one%s.",
		                    pc->no_id_people > 1 ? ": here it would show one patient where the report counts "
		                                           "several people" : "");
		if (fs->unnamed_records)
			(void)strbuf_printf(&msg, " %u of them name no one (no name either): the package's DICOMDIR has "
			                    "%u PATIENT record%s for them, which the report counts as no one.",
			                    pc->no_id_unnamed, fs->unnamed_records, plural(fs->unnamed_records, "", "s"));
		(void)strbuf_puts(&msg, " Ask the hospital for the Patient IDs, or ask the reviewing centre to assign "
		                  "them before importing the images.");
		pacs_gap(e, "generic.pacs-no-patient-id", &msg, &pc->no_id);
	}
	if ((n = pc->padded.n)) {
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%zu DICOM object%s carr%s %s Patient ID with a space or NUL byte around "
		                    "it kept in its bytes as readers see them (an element written with VR UN keeps its "
		                    "padding), while %u other object%s carr%s "
		                    "the same ID without it. A PACS that compares Patient IDs byte for byte (Orthanc does) "
		                    "files them as %s patient%s, with their studies, apart from the objects without it. Ask the reviewing "
		                    "centre to correct the Patient ID when importing, or ask the hospital for a copy "
		                    "written with the proper value representation.",
		                    n, plural(n, "", "s"), plural(n, "ies", "y"), plural(n, "its", "their"),
		                    pc->padded_beside, plural(pc->padded_beside, "", "s"),
		                    plural(pc->padded_beside, "ies", "y"), plural(pc->padded_ids, "another", "other"),
		                    plural(pc->padded_ids, "", "s"));
		pacs_gap(e, "generic.pacs-padded-patient-id", &msg, &pc->padded);
	}
	if (pc->shared_ids) {
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%u Patient ID%s %s carried by the DICOM objects of %u people the report "
		                    "tells apart (by name and birth date): a PACS files each such ID as one patient, "
		                    "mixing their records. Confirm with the hospital whose records these are before "
		                    "the images are imported.", pc->shared_ids, plural(pc->shared_ids, "", "s"),
		                    plural(pc->shared_ids, "is", "are"), pc->shared_people);
		pacs_gap(e, "generic.pacs-shared-patient-id", &msg, &pc->shared);
	}
	if (pc->split_people) {
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "The DICOM objects of %u %s carry %u different Patient IDs: a PACS files "
		                    "each ID as a patient of its own, so one person's images appear under several "
		                    "patients. Ask the reviewing centre to link them when importing, or ask the "
		                    "hospital which ID is current.", pc->split_people,
		                    plural(pc->split_people, "person", "people"), pc->split_ids);
		pacs_gap(e, "generic.pacs-several-patient-ids", &msg, &pc->split);
	}
	if (pc->split_studies) {
		bool empty = false;
		for (size_t i = 0; i < pc->split_study.n; i++)
			empty |= !((const struct ing_file *)pc->split_study.v[i])->dcm->patient_id[0];
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%u stud%s %s objects with different Patient IDs (%u IDs%s): a PACS files "
		                    "the study's objects under each ID apart (Orthanc holds it as one study per ID). "
		                    "Ask the hospital which patient the study belongs to.", pc->split_studies,
		                    plural(pc->split_studies, "y", "ies"), plural(pc->split_studies, "has", "have"),
		                    pc->split_study_ids, empty ? ", no ID included" : "");
		pacs_gap(e, "generic.pacs-study-several-patient-ids", &msg, &pc->split_study);
	}
	if (fs->split_people) {
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "The DICOM objects of %u %s the report counts as one person each (by name "
		                    "and birth date) write the patient's name, ID or birth date in %u different ways: "
		                    "the package's DICOMDIR has a PATIENT record for each way, so a DICOMDIR reader "
		                    "lists more patients than the report. Check that they are one person; nothing "
		                    "needs to be asked for if they are.", fs->split_people,
		                    plural(fs->split_people, "person", "people"), fs->split_records);
		pacs_gap(e, "generic.fileset-person-several-records", &msg, &fs->split);
	}
	if (fs->split_studies) {
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%u stud%s %s objects whose patient's name, ID or birth date are written "
		                    "differently: the package's DICOMDIR lists such a study under each PATIENT record "
		                    "(%u STUDY records), so a DICOMDIR reader shows it apart. Check with the hospital "
		                    "that the study is one patient's.", fs->split_studies,
		                    plural(fs->split_studies, "y", "ies"), plural(fs->split_studies, "has", "have"),
		                    fs->split_study_records);
		pacs_gap(e, "generic.fileset-study-several-records", &msg, &fs->split_study);
	}
}

void check_series(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	size_t count = 0, more = 0;
	for (size_t i = 0; i < inv->studies.n; i++) {
		const struct inv_study *st = inv->studies.v[i];
		for (size_t j = 0; j < st->series.n; j++) {
			const struct inv_series *se = st->series.v[j];
			if (!se->n_missing && !se->n_gaps)
				continue;
			if (count++ >= EVAL_GAPS_PER_CHECK_MAX) {
				more++;
				continue;
			}
			struct strbuf msg, evid;
			const struct ing_file *f = se->files.n ? se->files.v[0] : NULL;
			strbuf_init(&msg, EVAL_TEXT_MAX);
			strbuf_init(&evid, EVAL_TEXT_MAX);
			(void)strbuf_printf(&msg, "Series \"%s\" (%s) of the study of %s \"%s\" is incomplete:",
			                    se->description && se->description[0] ? se->description : "no description",
			                    se->modality ? se->modality : "?", st->date_iso[0] ? st->date_iso : "unknown date",
			                    st->description[0] ? st->description : "no description");
			if (se->n_missing) {
				size_t n = 0;
				(void)strbuf_puts(&msg, se->n_missing == 1 && !se->missing_truncated ? " image number " : " image numbers ");
				for (size_t k = 0; k < se->n_missing; k++)
					list_add(&msg, &n, "%d", se->missing[k]);
				list_end(&msg, n);
				(void)strbuf_puts(&msg, se->n_missing == 1 && !se->missing_truncated ? " is missing" : " are missing");
			}
			if (se->n_gaps) {
				int slices = 0;
				for (size_t k = 0; k < se->n_gaps; k++)
					slices += se->gaps[k].missing;
				(void)strbuf_printf(&msg, "%s%d slice%s missing in the stack", se->n_missing ? "; " : " ", slices,
				                    slices == 1 ? " is" : "s are");
			}
			(void)strbuf_puts(&msg, ". Ask the hospital for a new complete copy of this series.");
			(void)strbuf_printf(&evid, "series %s, %zu instances%s%s", se->series_uid, se->files.n,
			                    f ? ", e.g. " : "", f ? f->path : "");
			for (size_t k = 0; k < se->n_gaps && k < 4; k++)
				(void)strbuf_printf(&evid, "; gap of %.1f mm between instances %d and %d (spacing %.1f mm)",
				                    se->gaps[k].gap_mm, se->gaps[k].after_instance, se->gaps[k].before_instance,
				                    se->gaps[k].spacing_mm);
			simple_gap(e, "generic.missing-instances", RULE_SEV_WARNING, sb(&msg), &evid);
			strbuf_free(&msg);
		}
	}
	if (more) {
		struct strbuf msg;
		strbuf_init(&msg, 256);
		(void)strbuf_printf(&msg, "%zu more series have missing images (see the inventory). Ask the hospital "
		                    "for complete copies.", more);
		simple_gap(e, "generic.missing-instances", RULE_SEV_WARNING, sb(&msg), NULL);
		strbuf_free(&msg);
	}
}

void check_files(struct ev *e)
{
	struct ing_scan *scan = e->scan;
	struct strbuf bad, dup, ebad, edup, enc, eenc, dl, edl;
	size_t nbad = 0, ndup = 0, eb = 0, ed = 0, nenc = 0, een = 0, ndl = 0, edn = 0;

	strbuf_init(&bad, EVAL_TEXT_MAX);
	strbuf_init(&dup, EVAL_TEXT_MAX);
	strbuf_init(&ebad, EVAL_TEXT_MAX);
	strbuf_init(&edup, EVAL_TEXT_MAX);
	strbuf_init(&enc, EVAL_TEXT_MAX);
	strbuf_init(&eenc, EVAL_TEXT_MAX);
	strbuf_init(&dl, EVAL_TEXT_MAX);
	strbuf_init(&edl, EVAL_TEXT_MAX);
	for (size_t i = 0; i < scan->inv.problems.n; i++) {
		const struct ing_file *f = scan->inv.problems.v[i];
		if (f->kind == KIND_CASE_YAML)
			continue;
		switch (f->problem) {
		/* What the patient sent but nothing could open is something to ask
		 * for, as an action (issue #21, #18 item 4): the password, a link
		 * that gives the files. Required: what it holds is unknown. */
		case PROB_ENCRYPTED:
			list_add(&enc, &nenc, "%s", f->path);
			if (een++ < EVAL_LIST_MAX)
				(void)strbuf_printf(&eenc, "%s%s: %s", een > 1 ? "; " : "", f->path, f->problem_msg ? f->problem_msg : "");
			break;
		case PROB_DOWNLOAD:
			list_add(&dl, &ndl, "%s", f->path);
			if (edn++ < EVAL_LIST_MAX)
				(void)strbuf_printf(&edl, "%s%s: %s", edn > 1 ? "; " : "", f->path, f->problem_msg ? f->problem_msg : "");
			break;
		case PROB_TRUNCATED:
		case PROB_CORRUPT:
		case PROB_UNREADABLE:
			list_add(&bad, &nbad, "%s (%s)", f->path, problem_name(f->problem));
			if (eb++ < EVAL_LIST_MAX)
				(void)strbuf_printf(&ebad, "%s%s: %s", eb > 1 ? "; " : "", f->path, f->problem_msg ? f->problem_msg : "");
			break;
		case PROB_DUPLICATE:
			list_add(&dup, &ndup, "%s", f->path);
			if (ed++ < EVAL_LIST_MAX)
				(void)strbuf_printf(&edup, "%s%s: %s", ed > 1 ? "; " : "", f->path, f->problem_msg ? f->problem_msg : "");
			break;
		default:
			break;
		}
	}
	if (nbad) {
		struct strbuf msg;
		list_end(&bad, nbad);
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%zu file%s could not be used because %s damaged, cut short or unreadable: "
		                    "%s. Ask for new copies of these files.", nbad, nbad == 1 ? "" : "s",
		                    nbad == 1 ? "it is" : "they are", sb(&bad));
		simple_gap(e, "generic.corrupt-files", RULE_SEV_WARNING, sb(&msg), &ebad);
		strbuf_free(&msg);
	} else {
		strbuf_free(&ebad);
	}
	if (ndup) {
		struct strbuf msg;
		list_end(&dup, ndup);
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%zu image%s the same DICOM instance as another file but with different "
		                    "content: %s. Ask the hospital which copy is right.", ndup,
		                    ndup == 1 ? " has" : "s have", sb(&dup));
		simple_gap(e, "generic.conflicting-duplicates", RULE_SEV_WARNING, sb(&msg), &edup);
		strbuf_free(&msg);
	} else {
		strbuf_free(&edup);
	}
	if (nenc) {
		struct strbuf msg;
		list_end(&enc, nenc);
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%zu file%s %s locked with a password that none given opens: %s. Ask the patient "
		                    "or the hospital for the password and add it to case.yaml (passwords:), or for the "
		                    "files without a password.", nenc, nenc == 1 ? "" : "s", nenc == 1 ? "is" : "are",
		                    sb(&enc));
		simple_gap(e, "generic.locked-files", RULE_SEV_REQUIRED, sb(&msg), &eenc);
		strbuf_free(&msg);
	} else {
		strbuf_free(&eenc);
	}
	if (ndl) {
		struct strbuf msg;
		list_end(&dl, ndl);
		strbuf_init(&msg, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "%zu link%s the patient sent did not give the files: %s. Ask the patient for a "
		                    "direct download link or the files themselves (each one's reason is below).", ndl,
		                    ndl == 1 ? "" : "s", sb(&dl));
		simple_gap(e, "generic.failed-downloads", RULE_SEV_REQUIRED, sb(&msg), &edl);
		strbuf_free(&msg);
	} else {
		strbuf_free(&edl);
	}
	strbuf_free(&bad);
	strbuf_free(&dup);
	strbuf_free(&enc);
	strbuf_free(&dl);
}

/* DICOMDIR references against the files on the disc (inventory.c's cross-check). */
void check_dicomdir(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	for (size_t i = 0; i < inv->dicomdirs.n; i++) {
		const struct inv_dicomdir *dd = inv->dicomdirs.v[i];
		struct strbuf msg, evid;
		size_t n = 0;
		if (!dd->missing.n && !dd->unreferenced.n)
			continue;
		strbuf_init(&msg, EVAL_TEXT_MAX);
		strbuf_init(&evid, EVAL_TEXT_MAX);
		(void)strbuf_printf(&msg, "The disc index %s", dd->file->path);
		if (dd->missing.n)
			(void)strbuf_printf(&msg, " lists %zu file%s that %s not on the disc", dd->missing.n,
			                    dd->missing.n == 1 ? "" : "s", dd->missing.n == 1 ? "is" : "are");
		if (dd->unreferenced.n)
			(void)strbuf_printf(&msg, "%s does not list %zu DICOM file%s beside it", dd->missing.n ? " and" : "",
			                    dd->unreferenced.n, dd->unreferenced.n == 1 ? "" : "s");
		(void)strbuf_puts(&msg, ": the copy of the disc may be incomplete. Ask the hospital for a complete new copy "
		                  "of the disc.");
		for (size_t k = 0; k < dd->missing.n; k++)
			list_add(&evid, &n, "missing %s", (const char *)dd->missing.v[k]);
		for (size_t k = 0; k < dd->unreferenced.n; k++)
			list_add(&evid, &n, "not listed %s", ((const struct ing_file *)dd->unreferenced.v[k])->path);
		list_end(&evid, n);
		simple_gap(e, "generic.dicomdir", RULE_SEV_WARNING, sb(&msg), &evid);
		strbuf_free(&msg);
	}
}

void check_case_yaml(struct ev *e)
{
	if (!e->scan->case_yaml_errors)
		return;
	struct strbuf evid;
	strbuf_init(&evid, EVAL_TEXT_MAX);
	(void)strbuf_puts(&evid, e->scan->case_yaml_errors);
	while (evid.len && evid.s[evid.len - 1] == '\n')
		evid.s[--evid.len] = 0;
	for (char *p = evid.s; p && *p; p++)
		if (*p == '\n')
			*p = ';';
	simple_gap(e, "generic.case-yaml", RULE_SEV_WARNING,
	           "case.yaml has mistakes (see the evidence); the parts with mistakes were ignored. Correct case.yaml "
	           "and drop it again.", &evid);
}

void check_degraded(struct ev *e)
{
	const struct ing_scan *scan = e->scan;
	struct strbuf list, msg;
	size_t n = 0;

	for (size_t i = 0; i < scan->inv.studies.n; i++)
		if (study_has_images(scan->inv.studies.v[i]))
			return;
	strbuf_init(&list, EVAL_TEXT_MAX);
	for (size_t i = 0; i < scan->files.n; i++) {
		const struct ing_file *f = scan->files.v[i];
		if (f->kind == KIND_DICOM_SC || (f->kind == KIND_PHOTO && !doc_readable(f)) ||
		    (f->kind == KIND_DICOM_IMAGE && f->problem == PROB_NONE))
			list_add(&list, &n, "%s (%s)", f->path, kind_name(f->kind));
	}
	list_end(&list, n);
	if (!n) {
		strbuf_free(&list);
		return;
	}
	strbuf_init(&msg, EVAL_TEXT_MAX);
	(void)strbuf_puts(&msg, "Only screenshots, photos or JPEG/secondary-capture copies of images were found, no "
	                  "diagnostic DICOM images. Ask the hospital for the original scans as DICOM (a disc or a "
	                  "DICOM download).");
	simple_gap(e, "generic.degraded-imaging", RULE_SEV_WARNING, sb(&msg), &list);
	strbuf_free(&msg);
}

void check_translation(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	struct strbuf list, msg;
	size_t n = 0;

	strbuf_init(&list, EVAL_TEXT_MAX);
	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *f = inv->documents.v[i];
		if (f->doc && f->doc->needs_translation)
			list_add(&list, &n, "%s (%s)", f->path, f->doc->language ? f->doc->language : "language unknown");
	}
	list_end(&list, n);
	if (!n) {
		strbuf_free(&list);
		return;
	}
	strbuf_init(&msg, EVAL_TEXT_MAX);
	(void)strbuf_printf(&msg, "%zu document%s need%s translation before the specialists can read %s: %s. Arrange "
	                    "a certified medical translation.", n, n == 1 ? "" : "s", n == 1 ? "s" : "",
	                    n == 1 ? "it" : "them", sb(&list));
	simple_gap(e, "generic.translation", RULE_SEV_RECOMMENDED, sb(&msg), &list);
	strbuf_free(&msg);
}

void check_urgent(struct ev *e)
{
	const struct rule_type *t = e->type;
	const struct ptrvec *docs = &e->scan->inv.documents;
	if (!t || !t->n_urgent_terms)
		return;
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (!doc_readable(f))
			continue;
		for (size_t k = 0; k < t->n_urgent_terms; k++) {
			if (!ruleset_text_matches(e->rs, f->doc->text, f->doc->text_len, t->urgent_terms[k]))
				continue;
			struct strbuf msg, evid;
			strbuf_init(&msg, EVAL_TEXT_MAX);
			strbuf_init(&evid, EVAL_TEXT_MAX);
			(void)strbuf_printf(&msg, "URGENT: \"%s\" is mentioned; send the case at once, whatever is missing.",
			                    t->urgent_terms[k]);
			(void)strbuf_printf(&evid, "\"%s\" in %s", t->urgent_terms[k], f->path);
			add_gap(e, "generic.urgent", RULE_SEV_INFO, NULL, &msg, &evid);
			return;
		}
	}
}

/* Two results for one marker that say opposite things (positive in one
 * document or row, negative in another), neither revised by an amendment:
 * a conflict the coordinator must have settled before the specialists read
 * the case (SPEC §5). Both are shown, with where each was read. A result
 * and its amendment are not a conflict: the amendment stands, the first is
 * listed as superseded. */
struct stated {
	const struct ing_file *f;
	const struct doc_marker *m;
	size_t order;           /* the case's document order, then the document's own */
	bool positive;
};

static int by_marker(const void *x, const void *y)
{
	const struct stated *a = x, *b = y;
	int c = strcmp(a->m->name, b->m->name);
	return c ? c : a->order < b->order ? -1 : a->order > b->order;
}

/* Two results of one variant (or without one) that cannot both hold. */
static bool opposite(const struct stated *pos, const struct stated *neg)
{
	return !neg->positive && !(pos->m->variant && neg->m->variant && strcmp(pos->m->variant, neg->m->variant) != 0);
}

void check_conflicts(struct ev *e)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	struct strbuf list, msg;
	struct stated *v = NULL;
	size_t n = 0, nv = 0, cap = 0;

	/* the found results with a polarity, grouped by marker (one sort, not a
	 * search of the whole case for each positive result) */
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		for (size_t j = 0; f->doc && j < f->doc->n_markers; j++) {
			const struct doc_marker *m = &f->doc->markers[j];
			if (m->state != MARKER_FOUND || !m->polarity || strcmp(m->polarity, "none") == 0)
				continue;
			if (nv == cap)
				v = xrealloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			v[nv] = (struct stated){ f, m, nv, strcmp(m->polarity, "positive") == 0 };
			nv++;
		}
	}
	if (nv)
		qsort(v, nv, sizeof(*v), by_marker);
	strbuf_init(&list, EVAL_TEXT_MAX);
	for (size_t g = 0, h; g < nv; g = h) {
		for (h = g + 1; h < nv && strcmp(v[h].m->name, v[g].m->name) == 0; h++)
			;
		/* the first positive that a negative contradicts, and the first such negative */
		const struct stated *pos = NULL, *neg = NULL;
		for (size_t i = g; i < h && !neg; i++) {
			if (!v[i].positive)
				continue;
			for (size_t k = g; k < h && !neg; k++)
				if (opposite(&v[i], &v[k]))
					neg = &v[k];
			pos = &v[i];
		}
		if (!neg)
			continue;
		_cleanup_free_ char *sa = short_snippet(pos->m->snippet), *sb_ = short_snippet(neg->m->snippet);
		list_add(&list, &n, "%s: %s in %s (\"%s\") but %s in %s (\"%s\")", pos->m->name, pos->m->result,
		         pos->f->path, sa, neg->m->result, neg->f->path, sb_);
	}
	free(v);
	list_end(&list, n);
	if (!n) {
		strbuf_free(&list);
		return;
	}
	strbuf_init(&msg, EVAL_TEXT_MAX);
	(void)strbuf_printf(&msg, "%zu marker result%s contradict%s another: %s. Ask the hospital which result is "
	                    "current (a revised or amended report), and send it.", n, n == 1 ? "" : "s",
	                    n == 1 ? "s" : "", sb(&list));
	simple_gap(e, "findings.conflict", RULE_SEV_RECOMMENDED, sb(&msg), &list);
	strbuf_free(&msg);
}
