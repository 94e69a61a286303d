/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The cancer type's rules against the inventory: for each rule that applies
 * in the setting, at its effective severity, the document, biomarker, lab,
 * imaging (evaluate-imaging.c) or question it asks for, and a gap saying what
 * was looked for and what was found instead. A rule's condition is settled
 * from the biomarker results where its `when.markers` tests say so, and stays
 * a question otherwise.
 */
#include <ctype.h>
#include <strings.h>

#include "evaluate-gaps.h"

/* ---- small helpers ---- */

static bool kind_allowed(uint32_t kinds, enum ing_kind k)
{
	return kinds == 0 || (kinds & (1u << k));
}

static void kinds_text(struct strbuf *b, uint32_t kinds)
{
	size_t n = 0;
	if (!kinds) {
		(void)strbuf_puts(b, "any document");
		return;
	}
	for (int k = 0; k < _KIND_MAX; k++)
		if (kinds & (1u << k))
			(void)strbuf_printf(b, "%s%s", n++ ? ", " : "", kind_name((enum ing_kind)k));
}

/* Readable documents whose kind could not be told (a photo, a scan, a text
 * of no known kind) and that state what the rule asks for, or, for a rule
 * asking only for a document of some kinds, could be one: they are named
 * with the unread ones, never passed over because of their kind. */
static void undetermined_add(struct unread_sel *sel, const struct ing_file *f)
{
	if (f && kind_undetermined(f->kind))
		unread_sel_add(sel, f, doc_ocr_uncertain(f) ? UR_OCR_UNCERTAIN : UR_KIND_UNKNOWN, false);
}

/* "8 documents (2 lab-report, 1 pathology-report, ...); 1 not read automatically" */
static void docs_seen(struct ev *e, struct strbuf *evid)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	unsigned counts[_KIND_MAX] = { 0 };
	size_t n = 0;

	if (!docs->n) {
		(void)strbuf_puts(evid, "no documents in the drop");
		return;
	}
	for (size_t i = 0; i < docs->n; i++)
		counts[((const struct ing_file *)docs->v[i])->kind]++;
	(void)strbuf_printf(evid, "%zu document%s (", docs->n, docs->n == 1 ? "" : "s");
	for (int k = 0; k < _KIND_MAX; k++)
		if (counts[k])
			(void)strbuf_printf(evid, "%s%u %s", n++ ? ", " : "", counts[k], kind_name((enum ing_kind)k));
	(void)strbuf_puts(evid, ")");
	if (e->n_unread)
		(void)strbuf_printf(evid, "; %zu not (fully) read automatically", e->n_unread);
}

static bool term_is(const struct rule_term *t, const char *name);
static bool marker_is(const struct rule_term *t, const struct doc_marker *m);

/* OCR'd documents (of an allowed kind, or of none told) whose text names
 * term T but from which no statement (IS_LAB: no value) of T was read: the
 * reader may have missed it in misread words or a broken table. */
static void ocr_mentions(const struct rule *r, const struct rule_term *t, bool is_lab, const struct ptrvec *docs,
                         struct unread_sel *sel)
{
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		bool stated = false;
		if (!f->doc || !f->doc->ocr || !doc_readable(f) || doc_ocr_uncertain(f) ||   /* named as uncertain */
		    !(kind_allowed(r->kinds, f->kind) || kind_undetermined(f->kind)))
			continue;
		for (size_t j = 0; is_lab && j < f->doc->n_labs && !stated; j++)
			stated = term_is(t, f->doc->labs[j].name);
		for (size_t j = 0; !is_lab && j < f->doc->n_markers && !stated; j++)
			stated = marker_is(t, &f->doc->markers[j]);
		if (!stated && rule_term_matches(t, f->doc->text, f->doc->text_len))
			unread_sel_add(sel, f, UR_OCR_NO_VALUE, !kind_undetermined(f->kind));
	}
}

/* ---- rule evaluation ---- */

static void eval_document(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	struct strbuf msg, evid;
	struct unread_sel sel = { 0 };
	size_t kind_hits = 0, n = 0;

	strbuf_init(&evid, EVAL_TEXT_MAX);
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (r->kinds && !kind_allowed(r->kinds, f->kind)) {
			if (!kind_undetermined(f->kind) || !doc_readable(f))
				continue;
			if (r->n_keywords == 0 && f->doc->ocr)
				undetermined_add(&sel, f);     /* OCR may have missed the heading that tells */
			for (size_t k = 0; k < r->n_keywords; k++)
				if (ruleset_text_matches(e->rs, f->doc->text, f->doc->text_len, r->keywords[k]))
					undetermined_add(&sel, f);
			continue;
		}
		if (r->n_keywords == 0) {
			strbuf_free(&evid);
			unread_sel_free(&sel);
			return;           /* a document of the kind is there */
		}
		if (!doc_readable(f))
			continue;
		kind_hits++;
		for (size_t k = 0; k < r->n_keywords; k++)
			if (ruleset_text_matches(e->rs, f->doc->text, f->doc->text_len, r->keywords[k])) {
				strbuf_free(&evid);
				unread_sel_free(&sel);
				return;
			}
	}
	/* DICOM reports count as radiology reports. */
	if (r->n_keywords == 0 && (r->kinds & (1u << KIND_RADIOLOGY))) {
		for (size_t i = 0; i < e->scan->files.n; i++)
			if (dicom_is_report(e->scan->files.v[i])) {
				strbuf_free(&evid);
				unread_sel_free(&sel);
				return;
			}
	}

	start_message(&msg, r, cond);
	if (r->n_keywords) {
		(void)strbuf_puts(&evid, "looked for ");
		for (size_t k = 0; k < r->n_keywords; k++)
			list_add(&evid, &n, "\"%s\"", r->keywords[k]);
		list_end(&evid, n);
		(void)strbuf_puts(&evid, " in ");
		kinds_text(&evid, r->kinds);
		if (r->kinds && kind_hits)
			(void)strbuf_printf(&evid, "; %zu such document%s read, none has the words", kind_hits,
			                    kind_hits == 1 ? "" : "s");
		(void)strbuf_puts(&evid, "; ");
	} else {
		(void)strbuf_puts(&evid, "looked for a document of kind ");
		kinds_text(&evid, r->kinds);
		(void)strbuf_puts(&evid, "; ");
	}
	docs_seen(e, &evid);
	unread_select(e, r->kinds, r->n_keywords ? UW_WORDS : UW_KIND, 0, &sel);
	add_gap_unread(e, r->id, sev, condition_of(r, cond), &msg, &evid, &sel);
	unread_sel_free(&sel);
}

/* The best state a term has in the allowed documents: FOUND > INSUFFICIENT > PENDING. */
struct term_state {
	int state;                   /* -1: not seen; else enum marker_state */
	const struct ing_file *file;
	const struct doc_marker *m;
	const struct ing_file *elsewhere;   /* seen (found) in a document kind that does not count */
	const struct ing_file *undetermined;/* found in a readable document whose kind could not be told */
	const struct ing_file *uncertain;   /* found only by OCR below EVAL_OCR_SURE_CONFIDENCE, once */
	const struct doc_marker *um;
};

static int state_rank(int s)
{
	return s == MARKER_FOUND ? 3 : s == MARKER_INSUFFICIENT ? 2 : s == MARKER_PENDING ? 1 : 0;
}

static bool term_is(const struct rule_term *t, const char *name)
{
	return name && (strcasecmp(t->name, name) == 0 || rule_term_matches(t, name, strlen(name)));
}

static bool marker_is(const struct rule_term *t, const struct doc_marker *m)
{
	const char *name = m->name;
	if (!name)
		return false;
	if (term_is(t, name))
		return true;
	/* A qualified term ("PD-L1 TPS", "HER2 ISH") is that marker with the
	 * qualifier (or a synonym of the term) in its result or its words. */
	size_t n = strlen(name);
	if (strncasecmp(t->name, name, n) != 0 || t->name[n] != ' ')
		return false;
	return (m->result && rule_term_matches(t, m->result, strlen(m->result))) ||
	       (m->snippet && rule_term_matches(t, m->snippet, strlen(m->snippet)));
}

/* A statement read by uncertain OCR is unambiguous when the document states
 * the same marker's result twice with one polarity and never the other. */
static bool ocr_confirmed(const struct ing_file *f, const struct rule_term *t, const struct doc_marker *m)
{
	size_t same = 0;
	for (size_t j = 0; j < f->doc->n_markers; j++) {
		const struct doc_marker *o = &f->doc->markers[j];
		if (o->state != MARKER_FOUND || !marker_is(t, o))
			continue;
		bool agree = m->polarity && o->polarity ? strcmp(m->polarity, o->polarity) == 0
		           : m->result && o->result && strcasecmp(m->result, o->result) == 0;
		if (!agree)
			return false;
		same++;
	}
	return same >= 2;
}

static struct term_state term_lookup(struct ev *e, const struct rule *r, const struct rule_term *t)
{
	struct term_state ts = { .state = -1 };
	const struct ptrvec *docs = &e->scan->inv.documents;

	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (!f->doc)
			continue;
		for (size_t j = 0; j < f->doc->n_markers; j++) {
			const struct doc_marker *m = &f->doc->markers[j];
			if (!marker_is(t, m))
				continue;
			/* found only with the words that show it */
			if (m->state == MARKER_FOUND && (!m->snippet || !m->snippet[0]))
				continue;
			if (!kind_allowed(r->kinds, f->kind)) {
				if (m->state == MARKER_FOUND && !ts.elsewhere)
					ts.elsewhere = f;
				if (m->state == MARKER_FOUND && kind_undetermined(f->kind) && !ts.undetermined)
					ts.undetermined = f;
				continue;
			}
			if (m->state == MARKER_FOUND && m->ocr && doc_ocr_uncertain(f) && !ocr_confirmed(f, t, m)) {
				if (!ts.uncertain) {
					ts.uncertain = f;
					ts.um = m;
				}
				continue;
			}
			if (state_rank((int)m->state) > state_rank(ts.state)) {
				ts.state = (int)m->state;
				ts.file = f;
				ts.m = m;
			}
		}
	}
	return ts;
}

static void eval_biomarker(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	struct term_state *ts = xcalloc(r->n_terms ? r->n_terms : 1, sizeof(*ts));
	size_t found = 0;
	bool ok;
	struct strbuf msg, evid, pre;

	for (size_t i = 0; i < r->n_terms; i++) {
		ts[i] = term_lookup(e, r, r->terms[i]);
		found += ts[i].state == MARKER_FOUND;
	}
	ok = r->match == RULE_MATCH_ANY ? found > 0 : found == r->n_terms;
	if (ok || r->n_terms == 0) {
		free(ts);
		return;
	}

	/* Pending or insufficient results lead the message: they say what to ask for. */
	strbuf_init(&pre, EVAL_TEXT_MAX);
	for (size_t i = 0; i < r->n_terms; i++) {
		if (ts[i].state != MARKER_PENDING && ts[i].state != MARKER_INSUFFICIENT)
			continue;
		const char *res = ts[i].m->result && ts[i].m->result[0] && strlen(ts[i].m->result) <= 40
		                  ? ts[i].m->result : ts[i].state == MARKER_PENDING ? "pending" : "insufficient tissue";
		if (ts[i].state == MARKER_PENDING)
			(void)strbuf_printf(&pre, "%s is marked '%s' in %s; ask for the result. ", r->terms[i]->name, res,
			                    ts[i].file->path);
		else
			(void)strbuf_printf(&pre, "%s could not be tested ('%s') in %s; ask whether a new biopsy or a blood "
			                    "(ctDNA) test is possible. ", r->terms[i]->name, res, ts[i].file->path);
	}
	for (size_t i = 0; i < r->n_terms; i++) {
		if (ts[i].state == MARKER_FOUND || !ts[i].uncertain)
			continue;
		_cleanup_free_ char *sn = short_snippet(ts[i].um->snippet);
		(void)strbuf_printf(&pre, "%s '%s' read by OCR, %.0f%%: check by eye (\"%s\" in %s); it does not count "
		                    "until it is confirmed. ", r->terms[i]->name, ts[i].um->result ? ts[i].um->result : "?",
		                    ts[i].uncertain->doc->ocr_confidence, sn, ts[i].uncertain->path);
	}
	strbuf_init(&msg, EVAL_TEXT_MAX);
	if (cond && r->condition)
		(void)strbuf_printf(&msg, "Only %s: ", r->condition);
	(void)strbuf_puts(&msg, sb(&pre));
	strbuf_free(&pre);
	(void)strbuf_puts(&msg, r->message);
	if (r->n_terms > 1) {
		size_t nf = 0, nm = 0;
		struct strbuf f, m;
		strbuf_init(&f, 4096);
		strbuf_init(&m, 4096);
		for (size_t i = 0; i < r->n_terms; i++) {
			if (ts[i].state == MARKER_FOUND)
				list_add(&f, &nf, "%s", r->terms[i]->name);
			else
				list_add(&m, &nm, "%s", r->terms[i]->name);
		}
		list_end(&f, nf);
		list_end(&m, nm);
		(void)strbuf_printf(&msg, " Not found: %s%s%s.", sb(&m), nf ? "; found: " : "", nf ? sb(&f) : "");
		strbuf_free(&f);
		strbuf_free(&m);
	}
	struct unread_sel sel = { 0 };
	for (size_t i = 0; i < r->n_terms; i++) {
		if (ts[i].state == MARKER_FOUND)
			continue;
		undetermined_add(&sel, ts[i].undetermined);
		if (ts[i].uncertain)
			unread_sel_add(&sel, ts[i].uncertain, UR_OCR_UNCERTAIN, true);
		ocr_mentions(r, r->terms[i], false, &e->scan->inv.documents, &sel);
	}
	unread_select(e, r->kinds, UW_FINDINGS, 0, &sel);

	strbuf_init(&evid, EVAL_TEXT_MAX);
	(void)strbuf_puts(&evid, "looked for ");
	for (size_t i = 0, n = 0; i < r->n_terms; i++)
		list_add(&evid, &n, "%s", r->terms[i]->name);
	(void)strbuf_printf(&evid, " (%s) with a result in ", r->match == RULE_MATCH_ANY ? "any" : "all");
	kinds_text(&evid, r->kinds);
	for (size_t i = 0; i < r->n_terms; i++) {
		if (ts[i].state >= 0) {
			_cleanup_free_ char *sn = short_snippet(ts[i].m->snippet);
			(void)strbuf_printf(&evid, "; %s %s in %s: \"%s\"", r->terms[i]->name,
			                    ts[i].state == MARKER_FOUND ? "found" :
			                    ts[i].state == MARKER_PENDING ? "pending" : "insufficient",
			                    ts[i].file->path, sn);
		} else if (ts[i].elsewhere) {
			(void)strbuf_printf(&evid, "; %s is mentioned in %s (%s), which does not count as its source",
			                    r->terms[i]->name, ts[i].elsewhere->path, kind_name(ts[i].elsewhere->kind));
		}
	}
	(void)strbuf_puts(&evid, "; ");
	docs_seen(e, &evid);
	add_gap_unread(e, r->id, sev, condition_of(r, cond), &msg, &evid, &sel);
	unread_sel_free(&sel);
	free(ts);
}

struct lab_seen {
	size_t values;               /* values of the term in allowed documents */
	long latest;                 /* latest date, -1 none */
	size_t dates;                /* distinct dates (bounded count) */
	long date_list[16];
	const struct ing_file *file; /* where the latest (or any) value is */
	const struct ing_file *undetermined; /* a value in a readable document whose kind could not be told */
	const struct ing_file *uncertain;    /* a value read only by uncertain OCR (it does not count) */
};

/* A value read by uncertain OCR is unambiguous when the document gives the
 * same value with the same date twice. */
static bool lab_confirmed(const struct ing_file *f, const struct doc_lab *l)
{
	size_t same = 0;
	for (size_t j = 0; j < f->doc->n_labs; j++) {
		const struct doc_lab *o = &f->doc->labs[j];
		same += strcmp(o->name, l->name) == 0 && o->value_text && l->value_text &&
		        strcmp(o->value_text, l->value_text) == 0 &&
		        (o->date && l->date ? strcmp(o->date, l->date) == 0 : !o->date && !l->date);
	}
	return same >= 2;
}

static long lab_day(const struct ing_file *f, const struct doc_lab *l)
{
	long d = parse_day(l->date);
	return d >= 0 ? d : parse_day(f->doc->doc_date);
}

static struct lab_seen lab_lookup(struct ev *e, const struct rule *r, const struct rule_term *t)
{
	struct lab_seen ls = { .latest = -1 };
	const struct ptrvec *docs = &e->scan->inv.documents;

	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (!f->doc)
			continue;
		bool allowed = kind_allowed(r->kinds, f->kind);
		if (!allowed && !kind_undetermined(f->kind))
			continue;
		for (size_t j = 0; j < f->doc->n_labs; j++) {
			const struct doc_lab *l = &f->doc->labs[j];
			if (!term_is(t, l->name))
				continue;
			if (!allowed) {
				if (!ls.undetermined)
					ls.undetermined = f;
				continue;
			}
			if (doc_ocr_uncertain(f) && !lab_confirmed(f, l)) {
				if (!ls.uncertain)
					ls.uncertain = f;
				continue;
			}
			long d = lab_day(f, l);
			ls.values++;
			if (!ls.file)
				ls.file = f;
			if (d >= 0) {
				bool seen = false;
				for (size_t k = 0; k < ls.dates && k < ARRAY_SIZE(ls.date_list); k++)
					seen |= ls.date_list[k] == d;
				if (!seen && ls.dates < ARRAY_SIZE(ls.date_list))
					ls.date_list[ls.dates++] = d;
				if (d > ls.latest) {
					ls.latest = d;
					ls.file = f;
				}
			}
		}
	}
	return ls;
}

static void eval_lab(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	int max_age = rule_max_age_days(e->type, r, e->setting);
	struct lab_seen *ls = xcalloc(r->n_terms ? r->n_terms : 1, sizeof(*ls));
	struct strbuf missing, old, single;
	size_t ok = 0, nmiss = 0, nold = 0, nsingle = 0;
	bool same_date_ok = true;

	strbuf_init(&missing, 4096);
	strbuf_init(&old, 4096);
	strbuf_init(&single, 4096);
	for (size_t i = 0; i < r->n_terms; i++) {
		const char *name = r->terms[i]->name;
		ls[i] = lab_lookup(e, r, r->terms[i]);
		if (!ls[i].values) {
			list_add(&missing, &nmiss, "%s", name);
			continue;
		}
		if (max_age > 0 && e->today >= 0 && (ls[i].latest < 0 || e->today - ls[i].latest > max_age)) {
			if (ls[i].latest < 0)
				list_add(&old, &nold, "%s (undated, in %s)", name, ls[i].file->path);
			else
				list_add(&old, &nold, "%s (latest %ld days old, in %s)", name, e->today - ls[i].latest,
				         ls[i].file->path);
			continue;
		}
		if (r->series && ls[i].dates < 2) {
			list_add(&single, &nsingle, "%s", name);
			continue;
		}
		ok++;
	}
	if (r->same_date && r->n_terms > 1) {
		same_date_ok = false;
		for (size_t k = 0; k < ls[0].dates && !same_date_ok; k++) {
			bool all = true;
			for (size_t i = 1; i < r->n_terms && all; i++) {
				bool has = false;
				for (size_t j = 0; j < ls[i].dates; j++)
					has |= ls[i].date_list[j] == ls[0].date_list[k];
				all = has;
			}
			same_date_ok = all;
		}
	}
	bool satisfied = (r->match == RULE_MATCH_ANY ? ok > 0 : ok == r->n_terms) && same_date_ok;
	if (!satisfied && r->n_terms) {
		struct strbuf msg, evid;
		start_message(&msg, r, cond);
		if (nmiss) {
			list_end(&missing, nmiss);
			(void)strbuf_printf(&msg, " Not found: %s.", sb(&missing));
		}
		if (nold) {
			list_end(&old, nold);
			(void)strbuf_printf(&msg, " Too old (limit %d days): %s.", max_age, sb(&old));
		}
		if (nsingle) {
			list_end(&single, nsingle);
			(void)strbuf_printf(&msg, " Only one dated value, no trend: %s.", sb(&single));
		}
		if (!same_date_ok)
			(void)strbuf_puts(&msg, " The values are not from the same day.");
		struct unread_sel sel = { 0 };
		for (size_t i = 0; i < r->n_terms; i++) {
			if (ls[i].uncertain) {
				(void)strbuf_printf(&msg, " %s read by OCR, %.0f%% in %s: check by eye; it does not count until "
				                    "it is confirmed.", r->terms[i]->name, ls[i].uncertain->doc->ocr_confidence,
				                    ls[i].uncertain->path);
				unread_sel_add(&sel, ls[i].uncertain, UR_OCR_UNCERTAIN, true);
			}
			undetermined_add(&sel, ls[i].undetermined);
			ocr_mentions(r, r->terms[i], true, &e->scan->inv.documents, &sel);
		}
		unread_select(e, r->kinds, UW_FINDINGS, 0, &sel);
		strbuf_init(&evid, EVAL_TEXT_MAX);
		(void)strbuf_puts(&evid, "looked for ");
		for (size_t i = 0, n = 0; i < r->n_terms; i++)
			list_add(&evid, &n, "%s", r->terms[i]->name);
		(void)strbuf_printf(&evid, " (%s)", r->match == RULE_MATCH_ANY ? "any" : "all");
		if (max_age > 0)
			(void)strbuf_printf(&evid, " within %d days", max_age);
		(void)strbuf_puts(&evid, " in ");
		kinds_text(&evid, r->kinds);
		for (size_t i = 0; i < r->n_terms; i++)
			if (ls[i].values)
				(void)strbuf_printf(&evid, "; %s: %zu value%s in %s", r->terms[i]->name, ls[i].values,
				                    ls[i].values == 1 ? "" : "s", ls[i].file->path);
		(void)strbuf_puts(&evid, "; ");
		docs_seen(e, &evid);
		add_gap_unread(e, r->id, sev, condition_of(r, cond), &msg, &evid, &sel);
		unread_sel_free(&sel);
	}
	strbuf_free(&missing);
	strbuf_free(&old);
	strbuf_free(&single);
	free(ls);
}

static unsigned count_words(const char *s)
{
	unsigned n = 0;
	bool in = false;
	for (; s && *s; s++) {
		bool sp = isspace((unsigned char)*s);
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static void eval_question(struct ev *e, const struct rule *r, enum rule_severity sev, bool cond)
{
	const char *q = e->scan->case_yaml ? e->scan->case_yaml->question : NULL;
	unsigned words = count_words(q);
	const struct ptrvec *docs = &e->scan->inv.documents;
	struct strbuf msg, evid;

	if (q && words >= r->min_words)
		return;
	for (size_t i = 0; i < docs->n; i++) {
		const struct ing_file *f = docs->v[i];
		if (f->kind == KIND_LETTER && doc_readable(f) &&
		    (memchr(f->doc->text, '?', f->doc->text_len) ||
		     ruleset_text_matches(e->rs, f->doc->text, f->doc->text_len, "second opinion") ||
		     ruleset_text_matches(e->rs, f->doc->text, f->doc->text_len, "question")))
			return;
	}
	strbuf_init(&evid, EVAL_TEXT_MAX);
	if (q && words) {
		/* a question was given, only too short: one item that says so, not "no question found" */
		_cleanup_free_ char *sn = short_snippet(q);
		strbuf_init(&msg, EVAL_TEXT_MAX);
		if (cond && r->condition)
			(void)strbuf_printf(&msg, "Only %s: ", r->condition);
		(void)strbuf_printf(&msg, "The clinical question in case.yaml, \"%s\", has only %u word%s: write it out "
		                    "for the specialists in at least %u words (what is planned, and what should they "
		                    "decide?), in case.yaml or in a letter that asks it.", sn, words, words == 1 ? "" : "s",
		                    r->min_words);
		(void)strbuf_printf(&evid, "case.yaml question: \"%s\"; ", sn);
	} else if (q) {
		start_message(&msg, r, cond);
		(void)strbuf_puts(&evid, "case.yaml question is empty; ");
	} else {
		start_message(&msg, r, cond);
		(void)strbuf_printf(&evid, "%s; ", e->scan->case_yaml ? "case.yaml has no question" : "no case.yaml");
	}
	(void)strbuf_puts(&evid, "no clinical letter asking a question");
	struct unread_sel sel = { 0 };
	unread_select(e, 1u << KIND_LETTER, UW_WORDS, 0, &sel);
	add_gap_unread(e, r->id, sev, condition_of(r, cond), &msg, &evid, &sel);
	unread_sel_free(&sel);
}

/* ---- conditions the biomarker results settle (when.markers) ---- */

/* "IHC 1+" for a result that gives its IHC score in brackets ("negative (1+)",
 * "equivocal (2+)", "negative (0)"), else NULL. */
static char *ihc_score(const char *result)
{
	const char *o = result ? strrchr(result, '(') : NULL;
	if (!o || o[1] < '0' || o[1] > '3')
		return NULL;
	bool plus = o[2] == '+';
	if (o[2 + plus] != ')' || o[3 + plus] || (o[1] != '0' && !plus))
		return NULL;
	return xasprintf("IHC %c%s", o[1], plus ? "+" : "");
}

/* One marker test against the found results of the pathology and molecular
 * reports. Per marker: a result matching `holds` holds, one matching `fails`
 * fails, both (discordant reports) say nothing. Any of the test's markers
 * holding makes the test hold; all of them failing makes it fail. WHY gets
 * the results that decided it. */
static enum rule_cond_state marker_test_state(struct ev *e, const struct rule_marker_test *mt, struct strbuf *why)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	const uint32_t kinds = 1u << KIND_PATHOLOGY | 1u << KIND_MOLECULAR;
	size_t n_fail = 0;
	bool holds = false;
	struct strbuf words;

	strbuf_init(&words, EVAL_TEXT_MAX);
	for (size_t k = 0; k < mt->n_terms; k++) {
		bool h = false, f = false;
		size_t n = 0;
		struct strbuf mine;
		strbuf_init(&mine, EVAL_TEXT_MAX);
		for (size_t i = 0; i < docs->n; i++) {
			const struct ing_file *file = docs->v[i];
			if (!file->doc || !kind_allowed(kinds, file->kind))
				continue;
			for (size_t j = 0; j < file->doc->n_markers; j++) {
				const struct doc_marker *m = &file->doc->markers[j];
				if (m->state != MARKER_FOUND || !m->snippet || !m->snippet[0] || !marker_is(mt->terms[k], m))
					continue;
				enum rule_cond_state v = rule_marker_result(mt, m->result);
				if (v == RULE_COND_UNKNOWN) {
					/* "negative (1+)": the score in brackets is the IHC score ("IHC 1+") */
					_cleanup_free_ char *ihc = ihc_score(m->result);
					if (ihc)
						v = rule_marker_result(mt, ihc);
				}
				if (v == RULE_COND_UNKNOWN)
					continue;
				h |= v == RULE_COND_HOLDS;
				f |= v == RULE_COND_FAILS;
				list_add(&mine, &n, "%s \"%s\" in %s", mt->terms[k]->name, m->result, file->path);
			}
		}
		list_end(&mine, n);
		if (h != f) {
			(void)strbuf_printf(&words, "%s%s", words.len ? "; " : "", sb(&mine));
			if (h)
				holds = true;
			else
				n_fail++;
		}
		strbuf_free(&mine);
	}
	enum rule_cond_state st = holds ? RULE_COND_HOLDS : n_fail == mt->n_terms ? RULE_COND_FAILS : RULE_COND_UNKNOWN;
	if (st != RULE_COND_UNKNOWN)
		(void)strbuf_printf(why, "%s%s", why->len ? "; " : "", sb(&words));
	strbuf_free(&words);
	return st;
}

/* The tests of one alternative (ALT) of a rule's condition: all hold, it
 * holds; one fails, it fails; else unknown. */
static enum rule_cond_state alternative_state(struct ev *e, const struct rule *r, unsigned alt, struct strbuf *why)
{
	bool all = true;
	for (size_t i = 0; i < r->n_cond_markers; i++) {
		if (r->cond_markers[i].alt != alt)
			continue;
		struct strbuf one;
		strbuf_init(&one, EVAL_TEXT_MAX);
		enum rule_cond_state st = marker_test_state(e, &r->cond_markers[i], &one);
		if (st == RULE_COND_FAILS) {
			strbuf_free(why);
			strbuf_init(why, EVAL_TEXT_MAX);
			(void)strbuf_puts(why, sb(&one));
			strbuf_free(&one);
			return RULE_COND_FAILS;
		}
		if (st == RULE_COND_HOLDS)
			(void)strbuf_printf(why, "%s%s", why->len ? "; " : "", sb(&one));
		all &= st == RULE_COND_HOLDS;
		strbuf_free(&one);
	}
	return all ? RULE_COND_HOLDS : RULE_COND_UNKNOWN;
}

/* The condition (when.markers: one alternative; when.any_of: one of them
 * must hold, all failing make it fail): holds, fails or unknown; WHY gets the
 * results that decided it. */
static enum rule_cond_state condition_state(struct ev *e, const struct rule *r, struct strbuf *why)
{
	unsigned n_alts = r->n_cond_alts ? r->n_cond_alts : 1;
	bool unknown = false;
	if (!r->condition || !r->n_cond_markers)
		return RULE_COND_UNKNOWN;
	for (unsigned a = 0; a < n_alts; a++) {
		struct strbuf one;
		strbuf_init(&one, EVAL_TEXT_MAX);
		enum rule_cond_state st = alternative_state(e, r, a, &one);
		if (st == RULE_COND_HOLDS) {
			strbuf_free(why);
			strbuf_init(why, EVAL_TEXT_MAX);
			(void)strbuf_puts(why, sb(&one));
			strbuf_free(&one);
			return RULE_COND_HOLDS;
		}
		if (st == RULE_COND_FAILS)
			(void)strbuf_printf(why, "%s%s", why->len ? "; " : "", sb(&one));
		unknown |= st == RULE_COND_UNKNOWN;
		strbuf_free(&one);
	}
	return unknown ? RULE_COND_UNKNOWN : RULE_COND_FAILS;
}

/* "A", "A or B", "A, B or C" */
static void names_or(struct strbuf *out, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		(void)strbuf_printf(out, "%s%s", !i ? "" : i + 1 == n ? " or " : ", ", v[i]);
}

/* Why a condition the marker tests could settle is not settled: the markers
 * of the alternatives still open that have no found result ("no HER2 result
 * found"), and those whose results do not decide it. Empty when there are no
 * marker tests. */
static void condition_unknown_why(struct ev *e, const struct rule *r, struct strbuf *out)
{
	const struct ptrvec *docs = &e->scan->inv.documents;
	const uint32_t kinds = 1u << KIND_PATHOLOGY | 1u << KIND_MOLECULAR;
	unsigned n_alts = r->n_cond_alts ? r->n_cond_alts : 1;
	const struct rule_term *seen[32];
	const char *missing[32], *open[32];
	size_t n_seen = 0, nm = 0, no = 0;

	for (unsigned a = 0; a < n_alts; a++) {
		struct strbuf scratch;
		strbuf_init(&scratch, EVAL_TEXT_MAX);
		enum rule_cond_state st = alternative_state(e, r, a, &scratch);
		strbuf_free(&scratch);
		if (st != RULE_COND_UNKNOWN)
			continue;       /* a failed alternative says nothing more */
		for (size_t i = 0; i < r->n_cond_markers; i++) {
			const struct rule_marker_test *mt = &r->cond_markers[i];
			if (mt->alt != a)
				continue;
			strbuf_init(&scratch, EVAL_TEXT_MAX);
			st = marker_test_state(e, mt, &scratch);
			strbuf_free(&scratch);
			if (st != RULE_COND_UNKNOWN)
				continue;
			for (size_t k = 0; k < mt->n_terms; k++) {
				const struct rule_term *t = mt->terms[k];
				bool dup = false, found = false;
				for (size_t j = 0; j < n_seen && !dup; j++)
					dup = seen[j] == t;
				if (dup || n_seen >= ARRAY_SIZE(seen))
					continue;
				seen[n_seen++] = t;
				for (size_t d = 0; d < docs->n && !found; d++) {
					const struct ing_file *file = docs->v[d];
					if (!file->doc || !kind_allowed(kinds, file->kind))
						continue;
					for (size_t j = 0; j < file->doc->n_markers && !found; j++)
						found = file->doc->markers[j].state == MARKER_FOUND && marker_is(t, &file->doc->markers[j]);
				}
				if (found)
					open[no++] = t->name;
				else
					missing[nm++] = t->name;
			}
		}
	}
	if (nm) {
		(void)strbuf_puts(out, "no ");
		names_or(out, missing, nm);
		(void)strbuf_puts(out, " result found");
	}
	if (no) {
		(void)strbuf_puts(out, nm ? "; the " : "the ");
		names_or(out, open, no);
		(void)strbuf_puts(out, no == 1 ? " result does not settle it" : " results do not settle it");
	}
}

/* A conditional gap of rule R whose condition the results could settle but
 * did not: its condition (and the message's "Only CONDITION: ") says what is
 * not yet known ("if HER2-positive or triple-negative (not yet known, no HER2
 * result found)"), never required, never dropped. No ": " in it: a message's
 * first sentence starts after the condition's. */
static void say_condition_unknown(struct ev *e, const struct rule *r, size_t first_gap)
{
	struct strbuf why;
	if (!r->condition || !r->n_cond_markers)
		return;
	strbuf_init(&why, EVAL_TEXT_MAX);
	condition_unknown_why(e, r, &why);
	for (size_t g = first_gap; why.len && g < e->scan->gaps.n; g++) {
		struct ing_gap *gap = e->scan->gaps.v[g];
		if (!gap->condition || strcmp(gap->condition, r->condition) != 0)
			continue;
		_cleanup_free_ char *only = xasprintf("Only %s: ", r->condition);
		char *cond = xasprintf("%s (not yet known, %s)", r->condition, sb(&why));
		const char *at = strstr(gap->message, only);
		if (at) {
			char *msg = xasprintf("%.*sOnly %s: %s", (int)(at - gap->message), gap->message, cond,
			                      at + strlen(only));
			free(gap->message);
			gap->message = msg;
		}
		free(gap->condition);
		gap->condition = cond;
	}
	strbuf_free(&why);
}

/* ---- rules for another cancer type (when.cancer) ---- */

/* The cancer type case.yaml names when it is not a rules id (the generic
 * rules are used), else NULL. */
static const char *named_other_type(const struct ev *e)
{
	const struct case_yaml *cy = e->scan->case_yaml;
	if (!cy || !cy->cancer_type || !*cy->cancer_type || !e->rs || ruleset_find_type(e->rs, cy->cancer_type))
		return NULL;
	return cy->cancer_type;
}

static bool names_cancer(const struct rule *r, const char *named)
{
	for (size_t i = 0; i < r->n_cancers; i++)
		if (rule_text_matches(named, strlen(named), r->cancers[i]) ||
		    rule_text_matches(r->cancers[i], strlen(r->cancers[i]), named))
			return true;
	return false;
}

/* The gaps of rules for other cancer types, while the type is not known: one
 * folded item (each of them in its evidence), not one item per rule. */
static void fold_other_types(struct ev *e, struct ptrvec *folded)
{
	struct strbuf msg, evid, types;
	size_t nt = 0;
	if (!folded->n)
		return;
	strbuf_init(&msg, EVAL_TEXT_MAX);
	strbuf_init(&evid, EVAL_TEXT_MAX);
	strbuf_init(&types, EVAL_TEXT_MAX);
	const struct rule *prev = NULL;
	for (size_t i = 0; i < folded->n; i++) {
		const struct ing_gap *g = folded->v[i];
		const struct rule *r = ruleset_find_rule(e->rs, g->rule_id);
		if (!r)
			continue;
		/* one name per type: the rules of one type follow each other */
		if ((!prev || strcmp(prev->cancers[0], r->cancers[0]) != 0) && r->condition) {
			const char *c = r->condition;
			if (strncmp(c, "for ", 4) == 0)
				c += 4;
			if (nt++)
				(void)strbuf_puts(&types, "|");
			(void)strbuf_puts(&types, c);
		}
		prev = r;
		(void)strbuf_printf(&evid, "%s%s: %s", i ? "; " : "", g->rule_id, r->message);
	}
	/* "a, b, c or d" */
	(void)strbuf_puts(&msg, "Only for ");
	size_t k = 0;
	for (const char *p = sb(&types); *p; k++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		(void)strbuf_printf(&msg, "%s%.*s", !k ? "" : bar ? ", " : " or ", (int)n, p);
		p += n + (bar ? 1 : 0);
	}
	(void)strbuf_printf(&msg, ": %zu more item%s of the checklist apply, listed in the evidence. Set cancer_type in "
	                    "case.yaml when the type is known, so that only its items are asked for.", folded->n,
	                    folded->n == 1 ? "" : "s");
	add_gap(e, "generic.other-cancer-types", RULE_SEV_RECOMMENDED, "if the cancer is one of these types", &msg,
	        &evid);
	strbuf_free(&types);
}

void eval_rules(struct ev *e)
{
	const struct rule_type *t = e->type;
	const char *named = named_other_type(e);
	struct ptrvec folded = { 0 };
	for (size_t i = 0; i < t->n_rules; i++) {
		const struct rule *r = t->rules[i];
		bool cond = false;
		struct strbuf why;
		strbuf_init(&why, EVAL_TEXT_MAX);
		enum rule_cond_state cs = condition_state(e, r, &why);
		if (r->n_cancers && named) {
			/* case.yaml names the type: the condition is settled by it */
			if (!names_cancer(r, named)) {
				strbuf_free(&why);
				continue;
			}
			cs = RULE_COND_HOLDS;
			strbuf_free(&why);
			strbuf_init(&why, EVAL_TEXT_MAX);
			(void)strbuf_printf(&why, "case.yaml: cancer_type: %s", named);
		}
		enum rule_severity sev = rule_effective_severity_settled(t, r, e->setting, cs, &cond);
		if (sev == RULE_SEV_NONE) {
			enum rule_severity open = rule_effective_severity(t, r, e->setting, NULL);
			if (cs == RULE_COND_FAILS && open != RULE_SEV_NONE && open != RULE_SEV_INFO) {
				/* it would have been asked about: say why it is not */
				struct strbuf msg, evid;
				strbuf_init(&msg, EVAL_TEXT_MAX);
				strbuf_init(&evid, EVAL_TEXT_MAX);
				(void)strbuf_printf(&msg, "Not needed: the rule applies only %s, and the results say otherwise (%s).",
				                    r->condition, sb(&why));
				(void)strbuf_printf(&evid, "condition \"%s\" settled by: %s", r->condition, sb(&why));
				add_gap(e, r->id, RULE_SEV_INFO, NULL, &msg, &evid);
			}
			strbuf_free(&why);
			continue;
		}
		size_t before = e->scan->gaps.n;
		switch (r->req) {
		case RULE_REQ_DOCUMENT: eval_document(e, r, sev, cond); break;
		case RULE_REQ_BIOMARKER: eval_biomarker(e, r, sev, cond); break;
		case RULE_REQ_IMAGING: eval_imaging(e, r, sev, cond); break;
		case RULE_REQ_LAB: eval_lab(e, r, sev, cond); break;
		case RULE_REQ_QUESTION: eval_question(e, r, sev, cond); break;
		}
		/* for another cancer type, the type not known: folded into one item */
		if (r->n_cancers && !named) {
			for (size_t g = before; g < e->scan->gaps.n; g++) {
				struct ing_gap *gap = e->scan->gaps.v[g];
				if (gap->severity == RULE_SEV_REQUIRED)
					e->scan->required_gaps--;
				ptrvec_push(&folded, gap);
			}
			e->scan->gaps.n = before;
		}
		if (cs == RULE_COND_UNKNOWN)
			say_condition_unknown(e, r, before);
		/* a gap whose condition the results settled says which results did */
		if (cs == RULE_COND_HOLDS)
			for (size_t g = before; g < e->scan->gaps.n; g++) {
				struct ing_gap *gap = e->scan->gaps.v[g];
				char *ev = xasprintf("%s%scondition \"%s\" holds: %s", gap->evidence ? gap->evidence : "",
				                     gap->evidence ? "; " : "", r->condition, sb(&why));
				free(gap->evidence);
				gap->evidence = ev;
			}
		strbuf_free(&why);
	}
	fold_other_types(e, &folded);
	ptrvec_free(&folded, gap_free);
}
