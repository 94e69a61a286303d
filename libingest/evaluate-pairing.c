/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Radiology and nuclear-medicine reports paired with their image studies
 * (SPEC §5 "a radiology report without its images"; issue #17): by modality,
 * body region and date. A report's modality and region come from its text
 * (the modality-* concepts of rules/vocabulary/, the region words of
 * evaluate-imaging.c), its date from the document; a study's from its DICOM
 * headers. A report pairs with a study of its modality (a PET or bone-scan
 * report needs PET or NM images: an MRI of the same patient is not its study),
 * of an overlapping region when both are known, dated from 3 days before to
 * PAIR_DAYS_AFTER days after the study. A report without its study and a
 * study without its report are each said, per report and per study.
 */
#include "evaluate-gaps.h"
#include "findings/vocab.h"

#define PAIR_DAYS_BEFORE 3      /* a report dated a little before its study (a date typed wrong, time zones) */
#define PAIR_DAYS_AFTER 30      /* a report written up to a month after the study */
#define PAIR_HEAD_BYTES 600     /* a report's title and header: where it says what study it reports */

static const struct {
	const char *concept, *modality;
} modality_concepts[] = {
	{ "modality-ct", "CT" }, { "modality-mr", "MR" }, { "modality-pet", "PT" }, { "modality-nm", "NM" },
	{ "modality-us", "US" }, { "modality-mg", "MG" }, { "modality-xr", "CR" }, { "modality-xr", "DX" },
};

/* The modalities the words of TEXT name (RULE_MOD_* bits). */
static uint32_t words_modalities(const struct ev *e, const char *text, size_t len)
{
	const struct vocab *v = e->rs ? e->rs->vocab : NULL;
	uint32_t m = 0;
	if (!v || !text || !len)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(modality_concepts); i++) {
		int id = vocab_concept_id(v, modality_concepts[i].concept);
		if (id >= 0 && vocab_text_has_concept(v, text, len, id))
			m |= rule_modality_bit(modality_concepts[i].modality);
	}
	return m;
}

struct report {
	const struct ing_file *f;
	long day;                       /* -1: undated */
	uint32_t modalities;            /* 0: its text does not say */
	uint32_t regions;               /* 0: its text does not say */
};

/* A report's header first; the whole text only when it names one kind of study. */
static struct report report_of(const struct ev *e, const struct ing_file *f)
{
	struct report rp = { .f = f, .day = f->doc ? parse_day(f->doc->doc_date) : -1 };
	if (!doc_readable(f))
		return rp;
	size_t head = f->doc->text_len < PAIR_HEAD_BYTES ? f->doc->text_len : PAIR_HEAD_BYTES;
	_cleanup_free_ char *h = xstrndup(f->doc->text, head);
	rp.modalities = words_modalities(e, h, strlen(h));
	if (!rp.modalities) {
		uint32_t all = words_modalities(e, f->doc->text, f->doc->text_len);
		if (all && !(all & (all - 1)))
			rp.modalities = all;
	}
	rp.regions = text_regions(h);
	return rp;
}

static uint32_t study_modalities(const struct inv_study *st)
{
	uint32_t m = 0;
	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		if (series_is_image(se))
			m |= rule_modality_bit(se->modality);
	}
	return m;
}

/* The modalities that name the study a report is of: PET, NM and mammography
 * reports mention the CT or ultrasound done with them, not the other way. */
static uint32_t defining(uint32_t mods)
{
	uint32_t strong = mods & (rule_modality_bit("PT") | rule_modality_bit("NM") | rule_modality_bit("MG"));
	return strong ? strong : mods;
}

static bool pairs(const struct report *rp, const struct inv_study *st)
{
	if (!study_has_images(st))
		return false;
	if (rp->modalities && !(defining(rp->modalities) & study_modalities(st)))
		return false;
	uint32_t sr = study_regions(st);
	if (rp->regions && sr && !(rp->regions & sr))
		return false;
	long sd = study_day(st);
	return rp->day < 0 || sd < 0 || (rp->day >= sd - PAIR_DAYS_BEFORE && rp->day <= sd + PAIR_DAYS_AFTER);
}

static void modalities_text(struct strbuf *b, uint32_t m)
{
	static const char *const names[] = { "CT", "MR", "PT", "NM", "US", "MG", "CR", "DX", "XA", "SM", "PX" };
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (m & rule_modality_bit(names[i]))
			(void)strbuf_printf(b, "%s%s", n++ ? "/" : "", names[i]);
}

static const char *report_name(uint32_t m)
{
	if (m & rule_modality_bit("PT"))
		return "PET";
	if (m & rule_modality_bit("NM"))
		return "nuclear-medicine";
	if (m & rule_modality_bit("MG"))
		return "mammography";
	if (m & rule_modality_bit("MR"))
		return "MRI";
	if (m & rule_modality_bit("CT"))
		return "CT";
	if (m & rule_modality_bit("US"))
		return "ultrasound";
	return m ? "X-ray" : "radiology";
}

static void report_without_images(struct ev *e, const struct report *rp, size_t n_img)
{
	const struct inventory *inv = &e->scan->inv;
	const struct ing_file *f = rp->f;
	struct strbuf msg, evid;
	size_t n = 0;

	strbuf_init(&msg, EVAL_TEXT_MAX);
	strbuf_init(&evid, EVAL_TEXT_MAX);
	(void)strbuf_printf(&msg, "The %s report %s has no matching images in the drop", report_name(rp->modalities),
	                    f->path);
	if (rp->modalities && n_img)
		(void)strbuf_printf(&msg, " (no %s study%s)", report_name(defining(rp->modalities)),
		                    rp->day >= 0 ? " dated near it" : "");
	else if (rp->day >= 0)
		(void)strbuf_puts(&msg, " (no study dated near it)");
	(void)strbuf_puts(&msg, ". A report alone is not imaging: ask the hospital for the scan itself as DICOM.");
	(void)strbuf_printf(&evid, "report %s dated %s", f->path, f->doc && f->doc->doc_date ? f->doc->doc_date : "(no date)");
	if (rp->modalities) {
		(void)strbuf_puts(&evid, ", of ");
		modalities_text(&evid, rp->modalities);
		(void)strbuf_puts(&evid, " by its words");
	}
	(void)strbuf_printf(&evid, "; %zu image stud%s", n_img, n_img == 1 ? "y" : "ies");
	for (size_t j = 0; j < inv->studies.n; j++) {
		if (!study_has_images(inv->studies.v[j]))
			continue;
		if (n++ >= EVAL_LIST_MAX)
			continue;
		(void)strbuf_puts(&evid, n > 1 ? ", " : ": ");
		study_text(&evid, inv->studies.v[j], -1);
	}
	list_end(&evid, n);
	add_gap(e, "generic.report-without-images", RULE_SEV_RECOMMENDED, NULL, &msg, &evid);
}

/* Radiology reports and image studies should come in pairs. */
void check_reports(struct ev *e)
{
	const struct inventory *inv = &e->scan->inv;
	struct report *reports = NULL;
	size_t n_rep = 0, n_img = 0, count = 0;

	for (size_t i = 0; i < inv->studies.n; i++)
		n_img += study_has_images(inv->studies.v[i]);
	for (size_t i = 0; i < inv->documents.n; i++) {
		const struct ing_file *f = inv->documents.v[i];
		if (f->kind != KIND_RADIOLOGY)
			continue;
		reports = xrealloc(reports, (n_rep + 1) * sizeof(*reports));
		reports[n_rep++] = report_of(e, f);
	}

	/* A report without its images, per report. */
	for (size_t i = 0; i < n_rep; i++) {
		bool paired = false;
		for (size_t j = 0; j < inv->studies.n && !paired; j++)
			paired = pairs(&reports[i], inv->studies.v[j]);
		if (!paired)
			report_without_images(e, &reports[i], n_img);
	}

	/* Images without a report, per study; where the type's rules already say
	 * that no radiology report at all was found, the studies are named in
	 * that item instead (one fact, one item). */
	struct ing_gap *whole = NULL;
	struct strbuf unreported;
	size_t n_unreported = 0;
	strbuf_init(&unreported, EVAL_TEXT_MAX);
	for (size_t i = 0; i < e->scan->gaps.n && e->rs && !whole; i++) {
		struct ing_gap *g = e->scan->gaps.v[i];
		const struct rule *r = ruleset_find_rule(e->rs, g->rule_id);
		if (r && r->req == RULE_REQ_DOCUMENT && r->kinds == 1u << KIND_RADIOLOGY && !r->n_keywords &&
		    !g->condition && (g->severity == RULE_SEV_REQUIRED || g->severity == RULE_SEV_RECOMMENDED))
			whole = g;
	}
	for (size_t j = 0; j < inv->studies.n; j++) {
		const struct inv_study *st = inv->studies.v[j];
		bool reported = false;
		if (!study_has_images(st))
			continue;
		for (size_t k = 0; k < st->series.n && !reported; k++) {
			const struct inv_series *se = st->series.v[k];
			for (size_t m = 0; m < se->files.n && !reported; m++)
				reported = dicom_is_report(se->files.v[m]);
		}
		for (size_t i = 0; i < n_rep && !reported; i++) {
			/* an undated report of no stated modality: which study it reports
			 * cannot be told; no gap is claimed */
			reported = pairs(&reports[i], st) || (reports[i].day < 0 && !reports[i].modalities);
		}
		if (reported)
			continue;
		if (whole) {
			if (n_unreported++ < EVAL_LIST_MAX) {
				(void)strbuf_puts(&unreported, n_unreported > 1 ? ", " : "");
				study_text(&unreported, st, -1);
			}
			continue;
		}
		if (count++ >= EVAL_GAPS_PER_CHECK_MAX)
			continue;
		struct strbuf msg, evid;
		struct unread_sel sel = { 0 };
		strbuf_init(&msg, EVAL_TEXT_MAX);
		strbuf_init(&evid, EVAL_TEXT_MAX);
		(void)strbuf_puts(&msg, "No radiology report found for the study ");
		study_text(&msg, st, -1);
		(void)strbuf_puts(&msg, ". Ask the hospital for its written report.");
		(void)strbuf_printf(&evid, "study %s (", st->study_uid);
		modalities_text(&evid, study_modalities(st));
		(void)strbuf_printf(&evid, "); no report in the study (SR/PDF) and no radiology report of its modality "
		                    "dated within %d days before to %d days after it", PAIR_DAYS_BEFORE, PAIR_DAYS_AFTER);
		unread_select(e, 1u << KIND_RADIOLOGY, UW_KIND, 0, &sel);
		add_gap_unread(e, "generic.images-without-report", RULE_SEV_RECOMMENDED, NULL, &msg, &evid, &sel);
		unread_sel_free(&sel);
	}
	if (whole && n_unreported) {
		list_end(&unreported, n_unreported);
		char *m = xasprintf("%s Scans sent without their report: %s.", whole->message, sb(&unreported));
		free(whole->message);
		whole->message = m;
	}
	strbuf_free(&unreported);
	free(reports);
}
