/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An imaging rule against the DICOM studies: which study fits a wanted one
 * (modality, body region, contrast, phases, tracer, keywords, age), and
 * "the latest imaging should be dated after the last treatment change"
 * (CHECKLISTS: Max age), checked for imaging rules with after_last_treatment
 * from the dated treatment events of the documents (findings_treatments(),
 * read by the scan with the other findings).
 */
#include <limits.h>

#include "evaluate-gaps.h"

/* ---- DICOM helpers ---- */

/* Region names from words in descriptions (CHECKLISTS §0.4 fallback). */
static const struct {
	const char *word, *region;
} region_words[] = {
	{ "chest", "CHEST" }, { "thorax", "CHEST" }, { "thoracic", "CHEST" }, { "thorac", "CHEST" },
	{ "lung", "CHEST" }, { "lungs", "CHEST" }, { "thx", "CHEST" },
	{ "abdomen", "ABDOMEN" }, { "abdominal", "ABDOMEN" }, { "abdo", "ABDOMEN" }, { "abd", "ABDOMEN" },
	{ "pelvis", "PELVIS" }, { "pelvic", "PELVIS" }, { "becken", "PELVIS" },
	{ "TAP", "CHESTABDPELVIS" }, { "CAP", "CHESTABDPELVIS" }, { "C/A/P", "CHESTABDPELVIS" },
	{ "chest to pelvis", "CHESTABDPELVIS" }, { "skull base to mid thigh", "CHESTABDPELVIS" },
	{ "skull base to mid-thigh", "CHESTABDPELVIS" }, { "skull base to midthigh", "CHESTABDPELVIS" },
	{ "head", "HEAD" }, { "skull", "HEAD" }, { "cranial", "HEAD" }, { "brain", "BRAIN" },
	{ "cerebral", "BRAIN" }, { "neuro", "BRAIN" }, { "neck", "NECK" }, { "cervical", "NECK" },
	{ "breast", "BREAST" }, { "breasts", "BREAST" }, { "mammo", "BREAST" }, { "mammography", "BREAST" },
	{ "mammogram", "BREAST" }, { "axilla", "BREAST" },
	{ "liver", "LIVER" }, { "hepatic", "LIVER" }, { "pancreas", "PANCREAS" }, { "pancreatic", "PANCREAS" },
	{ "kidney", "KIDNEY" }, { "kidneys", "KIDNEY" }, { "renal", "KIDNEY" }, { "prostate", "PROSTATE" },
	{ "bladder", "BLADDER" }, { "spine", "SPINE" }, { "whole body", "WHOLEBODY" }, { "wholebody", "WHOLEBODY" },
	{ "WB", "WHOLEBODY" }, { "total body", "WHOLEBODY" },
};

uint32_t text_regions(const char *s)
{
	uint32_t m = 0;
	if (!s || !*s)
		return 0;
	m |= rule_region_study_mask(s);
	for (size_t i = 0; i < ARRAY_SIZE(region_words); i++)
		if (rule_text_matches(s, strlen(s), region_words[i].word))
			m |= rule_region_study_mask(region_words[i].region);
	return m;
}

uint32_t study_regions(const struct inv_study *st)
{
	uint32_t m = text_regions(st->body_part) | text_regions(st->description);
	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		m |= text_regions(se->description);
		if (se->modality && strcmp(se->modality, "MG") == 0)
			m |= rule_region_study_mask("BREAST");
		for (size_t k = 0; k < se->files.n && k < 1; k++)
			m |= text_regions(((struct ing_file *)se->files.v[k])->dcm->body_part);
	}
	return m;
}

/* The regions of a need mask in words, for messages ("chest, abdomen and
 * pelvis", "neck and chest"; rules/words/report.yaml, the code without it). */
static void regions_text(struct strbuf *b, const struct ruleset *rs, uint32_t need)
{
	static const char *const names[] = {
		"CHESTABDPELVIS", "CHESTABDOMEN", "ABDOMENPELVIS", "HEADNECK", "SPINE", "CHEST", "ABDOMEN", "PELVIS",
		"HEAD", "BRAIN", "NECK", "BREAST", "LIVER", "PANCREAS", "KIDNEY", "PROSTATE", "BLADDER", "CSPINE",
		"TSPINE", "LSPINE", "EXTREMITY", "WHOLEBODY",
	};
	uint32_t left = need;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names) && left; i++) {
		uint32_t m = rule_region_need_mask(names[i]);
		if (m && (m & left) == m) {
			const char *w = rule_word(rs, RULE_WORDS_BODY_PART, names[i]);
			(void)strbuf_printf(b, "%s%s", n++ ? " and " : "", w ? w : names[i]);
			left &= ~m;
		}
	}
}

static void study_wanted(struct strbuf *b, const struct ruleset *rules, const struct rule_study *rs, int max_age)
{
	size_t n = 0;
	if (!rs->modalities) {
		(void)strbuf_puts(b, "a study");
	} else {
		static const char *const mods[] = { "CT", "MR", "PT", "MG", "US", "NM", "CR", "DX", "SM", "PX", "XA" };
		for (size_t i = 0; i < ARRAY_SIZE(mods); i++)
			if (rs->modalities & rule_modality_bit(mods[i]))
				(void)strbuf_printf(b, "%s%s", n++ ? "/" : "", mods[i]);
	}
	if (rs->regions) {
		(void)strbuf_puts(b, " of ");
		regions_text(b, rules, rs->regions);
	}
	if (rs->contrast == 1)
		(void)strbuf_puts(b, " with contrast");
	else if (rs->contrast == 0)
		(void)strbuf_puts(b, " without contrast");
	if (rs->multiphase)
		(void)strbuf_puts(b, " (multiphase)");
	if (rs->n_tracers)
		(void)strbuf_printf(b, " (tracer %s%s)", rs->tracers[0], rs->n_tracers > 1 ? " or similar" : "");
	if (rs->n_keywords)
		(void)strbuf_printf(b, " (\"%s\"%s)", rs->keywords[0], rs->n_keywords > 1 ? " or similar" : "");
	if (max_age > 0)
		(void)strbuf_printf(b, ", at most %d days old", max_age);
}

/* "CT/MR/PT", "imaging" (0: any) */
static void mods_text(struct strbuf *b, uint32_t mods)
{
	static const char *const names[] = { "CT", "MR", "PT", "MG", "US", "NM", "CR", "DX", "SM", "PX", "XA" };
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (mods & rule_modality_bit(names[i]))
			(void)strbuf_printf(b, "%s%s", n++ ? "/" : "", names[i]);
	if (!n)
		(void)strbuf_puts(b, "imaging");
}

/* A study with an image series of one of MODS (0: any). */
static bool study_has_modalities(const struct inv_study *st, uint32_t mods)
{
	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		if (series_is_image(se) && (!mods || (rule_modality_bit(se->modality) & mods)))
			return true;
	}
	return false;
}

enum study_verdict {
	SV_NO = 0,       /* modality/region/contrast/keywords do not fit */
	SV_OLD,          /* fits but older than the limit, or undated */
	SV_OK,
};

static bool series_fits(const struct inv_series *se, const struct inv_study *st, const struct rule_study *rs)
{
	if (!series_is_image(se))
		return false;
	if (rs->modalities && !(rule_modality_bit(se->modality) & rs->modalities))
		return false;
	if (rs->contrast >= 0) {
		bool any = false;
		for (size_t k = 0; k < se->files.n && !any; k++)
			any = ((struct ing_file *)se->files.v[k])->dcm->contrast_agent[0] != 0;
		if (any != (rs->contrast == 1))
			return false;
	}
	if (rs->n_tracers) {
		bool any = false;
		for (size_t i = 0; i < rs->n_tracers && !any; i++) {
			const char *w = rs->tracers[i];
			any = rule_text_matches(st->description, strlen(st->description), w) ||
			      (se->description && rule_text_matches(se->description, strlen(se->description), w));
			for (size_t k = 0; k < se->files.n && !any; k++) {
				const char *rp = ((struct ing_file *)se->files.v[k])->dcm->radiopharmaceutical;
				any = rule_text_matches(rp, strlen(rp), w);
			}
		}
		if (!any)
			return false;
	}
	return true;
}

static enum study_verdict study_fits(const struct ev *e, const struct inv_study *st, const struct rule_study *rs,
                                     int max_age)
{
	size_t fitting = 0;
	bool kw = rs->n_keywords == 0;

	for (size_t j = 0; j < st->series.n; j++) {
		const struct inv_series *se = st->series.v[j];
		if (!series_fits(se, st, rs))
			continue;
		fitting++;
		for (size_t i = 0; i < rs->n_keywords && !kw; i++)
			kw = se->description &&
			     ruleset_text_matches(e->rs, se->description, strlen(se->description), rs->keywords[i]);
	}
	if (!fitting)
		return SV_NO;
	for (size_t i = 0; i < rs->n_keywords && !kw; i++)
		kw = ruleset_text_matches(e->rs, st->description, strlen(st->description), rs->keywords[i]);
	if (!kw)
		return SV_NO;
	if (rs->multiphase && fitting < 2)
		return SV_NO;
	if (rs->regions && (study_regions(st) & rs->regions) != rs->regions)
		return SV_NO;
	if (max_age > 0 && e->today >= 0) {
		long d = study_day(st);
		if (d < 0 || e->today - d > max_age)
			return SV_OLD;
	}
	return SV_OK;
}

/* The modalities any of a rule's studies may have (0: any). */
static uint32_t imaging_modalities(const struct rule *r)
{
	uint32_t mods = 0;
	for (size_t o = 0; o < r->n_options; o++)
		for (size_t k = 0; k < r->options[o].n_studies; k++) {
			if (!r->options[o].studies[k].modalities)
				return 0;
			mods |= r->options[o].studies[k].modalities;
		}
	return mods;
}

/* ---- the latest imaging after the last treatment change ---- */

/* Documents whose treatment dates count: not radiology or lab reports (their
 * dates are those of the study or the sample, whatever treatment they name). */
static bool treatment_source(const struct ing_file *f)
{
	return f->doc && f->kind != KIND_RADIOLOGY && f->kind != KIND_LAB;
}

/* The last treatment change: the event with the latest earliest-possible day. */
static const struct doc_treatment *last_treatment(struct ev *e, const struct ing_file **file, size_t *n_events)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	const struct doc_treatment *best = NULL;
	long best_day = -1;
	*n_events = 0;
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (!treatment_source(f))
			continue;
		for (size_t j = 0; j < f->doc->n_treatments; j++) {
			const struct doc_treatment *t = &f->doc->treatments[j];
			long d = parse_day(t->date);
			if (d < 0)
				continue;
			(*n_events)++;
			if (d > best_day) {
				best_day = d;
				best = t;
				*file = f;
			}
		}
	}
	return best;
}

/* "CT/PT study", "study" */
static void study_kind_text(struct strbuf *b, const struct inv_study *st)
{
	size_t before = b->len;
	study_image_modalities(b, st);
	(void)strbuf_puts(b, b->len > before ? " study" : "study");
}

static void treatment_text(struct strbuf *b, const struct doc_treatment *t)
{
	if (t->precision && strcmp(t->precision, "month") == 0)
		(void)strbuf_printf(b, "%s %.7s", t->what, t->date);
	else if (t->precision && strcmp(t->precision, "day-or-month") == 0)
		(void)strbuf_printf(b, "%s %s or %s", t->what, t->date, t->latest);
	else
		(void)strbuf_printf(b, "%s %s", t->what, t->date);
}

/* The imaging of rule R is there and current; with after_last_treatment, is
 * its latest fitting study dated after the last dated treatment change? No
 * dated treatment: nothing to say. Undated studies or a treatment date that
 * is only known to the month: a note, not a gap. */
static void check_after_treatment(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond, int max_age)
{
	const struct ptrvec *studies = &e->scan->inv.studies;
	const struct ing_file *tf = NULL;
	size_t n_events;
	struct strbuf msg, evid;

	/* early disease after curative surgery: the resection pathology matters more (CHECKLISTS Max age) */
	if (!r->after_last_treatment || e->setting == RULE_SETTING_EARLY)
		return;
	const struct doc_treatment *last = last_treatment(e, &tf, &n_events);
	if (!last) {
		/* no dated treatment in the readable documents: unread ones may hold one */
		struct unread_sel sel = { 0 };
		uint32_t kinds = 0;
		for (int k = 0; k < _KIND_MAX; k++)
			if (k != KIND_RADIOLOGY && k != KIND_LAB)
				kinds |= 1u << k;
		unread_select(e, kinds, UW_FINDINGS, 0, &sel);
		if (sel.total) {
			strbuf_init(&msg, EVAL_TEXT_MAX);
			strbuf_init(&evid, EVAL_TEXT_MAX);
			(void)strbuf_puts(&msg, "Whether the imaging is newer than the last treatment change could not be "
			                  "checked: no dated treatment was found in the readable documents; ");
			unread_words(&msg, &sel);
			(void)strbuf_printf(&msg, " — check %s by eye for the date of the last treatment change.",
			                    sel.total == 1 ? "it" : "them");
			(void)strbuf_puts(&evid, "no dated treatment event in the readable documents");
			add_gap(e, r->id, RULE_SEV_INFO, NULL, &msg, &evid);
		}
		unread_sel_free(&sel);
		return;
	}
	long lo = parse_day(last->date), hi = parse_day(last->latest);
	if (hi < lo)
		hi = lo;

	/* The best option: the one whose oldest needed study is the newest. */
	long best = -2;
	const struct inv_study *limit = NULL;
	for (size_t o = 0; o < r->n_options; o++) {
		const struct rule_imaging_option *opt = &r->options[o];
		long opt_day = LONG_MAX;
		const struct inv_study *opt_limit = NULL;
		bool ok = true;
		for (size_t s = 0; s < opt->n_studies && ok; s++) {
			long latest = -2;
			const struct inv_study *latest_st = NULL;
			for (size_t i = 0; i < studies->n; i++) {
				if (study_fits(e, studies->v[i], &opt->studies[s], max_age) != SV_OK)
					continue;
				long d = study_day(studies->v[i]);
				if (d > latest || !latest_st) {
					latest = d;
					latest_st = studies->v[i];
				}
			}
			ok = latest_st != NULL;
			if (ok && latest < opt_day) {
				opt_day = latest;
				opt_limit = latest_st;
			}
		}
		if (ok && opt_limit && opt_day > best) {
			best = opt_day;
			limit = opt_limit;
		}
	}
	if (!limit)
		return;

	strbuf_init(&evid, EVAL_TEXT_MAX);
	_cleanup_free_ char *sn = short_snippet(last->snippet);
	(void)strbuf_printf(&evid, "last treatment change: \"%s\" in %s (%zu dated treatment event%s in the documents); "
	                    "latest fitting study: ", sn, tf->path, n_events, n_events == 1 ? "" : "s");
	study_text(&evid, limit, e->today);
	strbuf_init(&msg, EVAL_TEXT_MAX);
	if (best < 0) {
		(void)strbuf_puts(&msg, "The ");
		study_kind_text(&msg, limit);
		(void)strbuf_printf(&msg, " \"%s\" has no date, so it cannot be told whether it was done after "
		                    "the last treatment change (", limit->description[0] ? limit->description : "no description");
		treatment_text(&msg, last);
		(void)strbuf_printf(&msg, ", in %s). Check the study date by eye.", tf->path);
		add_gap(e, r->id, RULE_SEV_INFO, NULL, &msg, &evid);
		return;
	}
	if (best >= hi) {
		/* met: say which study the response is judged against (the baseline) */
		(void)strbuf_puts(&msg, "Baseline after the last treatment change: the ");
		study_kind_text(&msg, limit);
		(void)strbuf_printf(&msg, " \"%s\" of %s, the latest done after ",
		                    limit->description[0] ? limit->description : "no description", limit->date_iso);
		treatment_text(&msg, last);
		(void)strbuf_printf(&msg, " (in %s); later scans are compared with it.", tf->path);
		for (size_t i = 0; i < e->scan->notes.n; i++)
			if (strcmp(((const struct ing_gap *)e->scan->notes.v[i])->message, sb(&msg)) == 0) {
				strbuf_free(&msg);      /* another rule named the same baseline */
				strbuf_free(&evid);
				return;
			}
		add_gap(e, r->id, RULE_SEV_INFO, NULL, &msg, &evid);
		return;
	}
	if (best >= lo) {
		/* the change is known only to the month (or the day/month order is unclear) */
		(void)strbuf_puts(&msg, "The latest ");
		study_kind_text(&msg, limit);
		(void)strbuf_printf(&msg, " \"%s\" (%s) may be older than the last treatment change (",
		                    limit->description[0] ? limit->description : "no description", limit->date_iso);
		treatment_text(&msg, last);
		(void)strbuf_printf(&msg, ", in %s): the treatment date is not exact. Check the dates by eye.", tf->path);
		add_gap(e, r->id, RULE_SEV_INFO, NULL, &msg, &evid);
		return;
	}
	if (cond && r->condition)
		(void)strbuf_printf(&msg, "Only %s: ", r->condition);
	(void)strbuf_puts(&msg, "The latest ");
	study_kind_text(&msg, limit);
	(void)strbuf_printf(&msg, " \"%s\" (%s) is older than the last treatment change (",
	                    limit->description[0] ? limit->description : "no description", limit->date_iso);
	treatment_text(&msg, last);
	(void)strbuf_printf(&msg, ", in %s). Ask for imaging done after that change: ", tf->path);
	for (size_t o = 0; o < r->n_options; o++) {
		const struct rule_imaging_option *opt = &r->options[o];
		if (o)
			(void)strbuf_puts(&msg, "; or ");
		for (size_t k = 0; k < opt->n_studies; k++) {
			if (k)
				(void)strbuf_puts(&msg, " and ");
			study_wanted(&msg, e->rs, &opt->studies[k], 0);
		}
	}
	(void)strbuf_puts(&msg, ".");
	/* a locked archive or a failed download may hold the newer imaging */
	struct unread_sel sel = { 0 };
	unread_select(e, 0, UW_IMAGES, imaging_modalities(r), &sel);
	add_gap_unread(e, r->id, sev, condition_of(r, cond), &msg, &evid, &sel);
	unread_sel_free(&sel);
}

void eval_imaging(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	const struct ptrvec *studies = &e->scan->inv.studies;
	int max_age = rule_max_age_days(e->type, r, e->setting);
	struct strbuf msg, evid;

	for (size_t o = 0; o < r->n_options; o++) {
		const struct rule_imaging_option *opt = &r->options[o];
		bool all = true;
		for (size_t s = 0; s < opt->n_studies && all; s++) {
			bool any = false;
			for (size_t i = 0; i < studies->n && !any; i++)
				any = study_fits(e, studies->v[i], &opt->studies[s], max_age) == SV_OK;
			all = any;
		}
		if (all) {
			check_after_treatment(e, r, sev, cond, max_age);
			return;
		}
	}

	start_message(&msg, r, cond);
	(void)strbuf_puts(&msg, " Looked for: ");
	for (size_t o = 0; o < r->n_options; o++) {
		const struct rule_imaging_option *opt = &r->options[o];
		if (o)
			(void)strbuf_puts(&msg, "; or ");
		for (size_t s = 0; s < opt->n_studies; s++) {
			if (s)
				(void)strbuf_puts(&msg, " and ");
			study_wanted(&msg, e->rs, &opt->studies[s], max_age);
		}
	}
	(void)strbuf_puts(&msg, ".");
	/* What was found instead: studies that fit but are too old or undated. */
	size_t nold = 0;
	struct strbuf old;
	strbuf_init(&old, 4096);
	for (size_t i = 0; i < studies->n; i++) {
		bool is_old = false;
		for (size_t o = 0; o < r->n_options && !is_old; o++)
			for (size_t s = 0; s < r->options[o].n_studies && !is_old; s++)
				is_old = study_fits(e, studies->v[i], &r->options[o].studies[s], max_age) == SV_OLD;
		if (is_old) {
			if (nold++ < EVAL_LIST_MAX) {
				(void)strbuf_puts(&old, nold > 1 ? ", " : "");
				study_text(&old, studies->v[i], e->today);
			}
		}
	}
	list_end(&old, nold);
	if (nold)
		(void)strbuf_printf(&msg, " Found only older or undated studies: %s.", sb(&old));
	else if (!studies->n)
		(void)strbuf_puts(&msg, " No DICOM imaging was found in the drop.");
	strbuf_free(&old);

	/* the evidence: the studies of the modalities this rule asks for, not the whole inventory */
	strbuf_init(&evid, EVAL_TEXT_MAX);
	uint32_t mods = imaging_modalities(r);
	struct strbuf mtext;
	strbuf_init(&mtext, 256);
	mods_text(&mtext, mods);
	if (!studies->n) {
		(void)strbuf_puts(&evid, "no DICOM studies");
	} else {
		size_t n = 0;
		for (size_t i = 0; i < studies->n; i++) {
			const struct inv_study *st = studies->v[i];
			if (!study_has_modalities(st, mods))
				continue;
			if (n++ >= EVAL_LIST_MAX)
				continue;
			(void)strbuf_printf(&evid, n > 1 ? "; " : "%s studies: ", sb(&mtext));
			study_text(&evid, st, e->today);
			if (st->body_part[0])
				(void)strbuf_printf(&evid, " body part %s", st->body_part);
		}
		list_end(&evid, n);
		if (!n)
			(void)strbuf_printf(&evid, "no %s study among the %zu studies", sb(&mtext), studies->n);
	}
	strbuf_free(&mtext);
	/* images that could not be opened (a damaged DICOM file of a fitting
	 * modality, a locked archive, a failed download) may be the study */
	struct unread_sel sel = { 0 };
	unread_select(e, 0, UW_IMAGES, imaging_modalities(r), &sel);
	add_gap_unread(e, r->id, sev, condition_of(r, cond), &msg, &evid, &sel);
	unread_sel_free(&sel);
}
