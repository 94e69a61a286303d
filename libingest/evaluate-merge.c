/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One fact, one item (issue 18): after the rules and the generic checks, two
 * gaps that ask for one thing become one. A gap A is said by another gap B
 * when whatever closes B closes A too:
 *
 *  - B's requirement implies A's (rule_implies(): the same kind of
 *    requirement, B asking for as much or more: the same or more markers or
 *    labs, fewer document kinds, a stricter study, a younger age), or
 *  - A asks for words in a document of a kind and B finds no document of
 *    that kind at all (presumes()), or
 *  - B's rule `covers:` A's (rules of one file whose overlap the data cannot
 *    show: the blood values and the lab report).
 *
 * A is then dropped when B is at least as important (required over
 * recommended over conditional), and B's evidence names it. Two conditional
 * gaps asking for the same thing become one with both conditions ("Only if
 * A, or if B: ..."). A gap whose item may be in an unread document is never
 * dropped for one that does not say so.
 */
#include <strings.h>

#include "evaluate-gaps.h"

/* How much a gap weighs when two say one thing; 0: never merged (warnings). */
static int gap_rank(const struct ing_gap *g)
{
	if (g->severity == RULE_SEV_REQUIRED)
		return g->condition ? 2 : 4;
	if (g->severity == RULE_SEV_RECOMMENDED)
		return g->condition ? 1 : 3;
	return 0;
}

static bool str_in(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return true;
	return false;
}

/* Every word of A is in B (A's list asks for any of them: B's fewer words are stricter). */
static bool words_within(char *const *a, size_t na, char *const *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		if (!str_in(b, nb, a[i]))
			return false;
	return true;
}

static bool term_in(const struct rule *r, const struct rule_term *t)
{
	for (size_t i = 0; i < r->n_terms; i++)
		if (r->terms[i] == t)
			return true;
	return false;
}

/* Kinds of B within those of A (0: any document). */
static bool kinds_within(uint32_t b, uint32_t a)
{
	return a == 0 || (b != 0 && (b & ~a) == 0);
}

/* Found B's terms, are A's found? */
static bool terms_imply(const struct rule *b, const struct rule *a)
{
	bool b_all = b->match == RULE_MATCH_ALL || b->n_terms == 1;
	bool a_all = a->match == RULE_MATCH_ALL || a->n_terms == 1;
	if (a_all) {
		if (!b_all)
			return false;
		for (size_t i = 0; i < a->n_terms; i++)
			if (!term_in(b, a->terms[i]))
				return false;
		return true;
	}
	if (b_all) {
		for (size_t i = 0; i < a->n_terms; i++)
			if (term_in(b, a->terms[i]))
				return true;
		return false;
	}
	for (size_t i = 0; i < b->n_terms; i++)
		if (!term_in(a, b->terms[i]))
			return false;
	return true;
}

/* A study fitting SB fits SA. */
static bool study_implies(const struct rule_study *sb, const struct rule_study *sa)
{
	if (sa->modalities && (!sb->modalities || (sb->modalities & ~sa->modalities)))
		return false;
	if ((sb->regions & sa->regions) != sa->regions)
		return false;
	if (sa->contrast >= 0 && sb->contrast != sa->contrast)
		return false;
	if (sa->multiphase && !sb->multiphase)
		return false;
	if (sa->n_keywords && (!sb->n_keywords || !words_within(sb->keywords, sb->n_keywords, sa->keywords,
	                                                       sa->n_keywords)))
		return false;
	if (sa->n_tracers && (!sb->n_tracers || !words_within(sb->tracers, sb->n_tracers, sa->tracers, sa->n_tracers)))
		return false;
	return true;
}

/* Every option of B holds, for some option of A, a study implying each of A's studies. */
static bool imaging_implies(const struct rule *b, const struct rule *a)
{
	for (size_t ob = 0; ob < b->n_options; ob++) {
		const struct rule_imaging_option *bo = &b->options[ob];
		bool some = false;
		for (size_t oa = 0; oa < a->n_options && !some; oa++) {
			const struct rule_imaging_option *ao = &a->options[oa];
			bool all = true;
			for (size_t k = 0; k < ao->n_studies && all; k++) {
				bool one = false;
				for (size_t j = 0; j < bo->n_studies && !one; j++)
					one = study_implies(&bo->studies[j], &ao->studies[k]);
				all = one;
			}
			some = all;
		}
		if (!some)
			return false;
	}
	return b->n_options > 0;
}

/* Ages: B's limit no longer than A's (0: none). */
static bool age_within(int b, int a)
{
	return a <= 0 || (b > 0 && b <= a);
}

/* Whatever meets rule B meets rule A (in this case's type and setting). */
static bool rule_implies(const struct ev *e, const struct rule *b, const struct rule *a)
{
	if (a->req != b->req)
		return false;
	switch (a->req) {
	case RULE_REQ_DOCUMENT:
		/* words in a document of a kind against no document of that kind:
		 * presumes(), the other way round */
		return kinds_within(b->kinds, a->kinds) && a->n_keywords && b->n_keywords &&
		       words_within(b->keywords, b->n_keywords, a->keywords, a->n_keywords);
	case RULE_REQ_BIOMARKER:
		return kinds_within(b->kinds, a->kinds) && terms_imply(b, a);
	case RULE_REQ_LAB:
		return kinds_within(b->kinds, a->kinds) && terms_imply(b, a) && (!a->series || b->series) &&
		       (!a->same_date || b->same_date) &&
		       age_within(rule_max_age_days(e->type, b, e->setting), rule_max_age_days(e->type, a, e->setting));
	case RULE_REQ_IMAGING:
		return imaging_implies(b, a) && (!a->after_last_treatment || b->after_last_treatment) &&
		       age_within(rule_max_age_days(e->type, b, e->setting), rule_max_age_days(e->type, a, e->setting));
	case RULE_REQ_QUESTION:
		return b->min_words >= a->min_words;
	}
	return false;
}

/* A asks for words in a document of B's kinds, and B (a document of those
 * kinds, whatever it says) is missing: B's item says A's too ("No pathology
 * report found" before "the pathology report does not state the grade"). */
static bool presumes(const struct rule *a, const struct rule *b)
{
	return a->req == RULE_REQ_DOCUMENT && b->req == RULE_REQ_DOCUMENT && a->n_keywords && !b->n_keywords &&
	       b->kinds && kinds_within(a->kinds, b->kinds);
}

static bool rule_covers(const struct rule *b, const struct rule *a)
{
	for (size_t i = 0; i < b->n_covers; i++)
		if (strcmp(b->covers[i], a->id) == 0)
			return true;
	return false;
}

/* The first sentence of a message, after a condition's "Only ...: ". */
static char *first_sentence(const char *m)
{
	if (strncmp(m, "Only ", 5) == 0) {
		const char *c = strstr(m, ": ");
		if (c)
			m = c + 2;
	}
	size_t n = 0;
	while (m[n] && !(m[n] == '.' && (m[n + 1] == ' ' || !m[n + 1])) && n < 200)
		n++;
	/* cut at 200 bytes: not inside a character ("— check them" gave a lone 0xE2, invalid JSON) */
	while (n > 0 && ((unsigned char)m[n] & 0xc0) == 0x80)
		n--;
	return xstrndup(m, n);
}

/* Gap B says A too: B's evidence names A; two conditions become one "Only A, or B". */
static void absorb(struct ing_gap *b, const struct ing_gap *a)
{
	_cleanup_free_ char *said = first_sentence(a->message);
	char *ev = xasprintf("%s%salso says %s (\"%s\")", b->evidence ? b->evidence : "", b->evidence ? "; " : "",
	                     a->rule_id, said);
	free(b->evidence);
	b->evidence = ev;
	if (b->condition && a->condition && strcmp(b->condition, a->condition) != 0) {
		size_t old = strlen("Only ") + strlen(b->condition) + 2;
		if (strncmp(b->message, "Only ", 5) == 0 && strlen(b->message) >= old &&
		    strncmp(b->message + 5, b->condition, strlen(b->condition)) == 0) {
			char *cond = xasprintf("%s, or %s", b->condition, a->condition);
			char *msg = xasprintf("Only %s: %s", cond, b->message + old);
			free(b->message);
			free(b->condition);
			b->message = msg;
			b->condition = cond;
		}
	}
}

void merge_gaps(struct ev *e)
{
	struct ptrvec *gaps = &e->scan->gaps;
	size_t n = gaps->n;
	bool *gone = xcalloc(n ? n : 1, sizeof(*gone));
	const struct rule **rule = xcalloc(n ? n : 1, sizeof(*rule));

	if (!e->rs)
		goto out;
	for (size_t i = 0; i < n; i++)
		rule[i] = ruleset_find_rule(e->rs, ((struct ing_gap *)gaps->v[i])->rule_id);
	for (size_t i = 0; i < n; i++) {
		struct ing_gap *a = gaps->v[i];
		if (!rule[i] || !gap_rank(a))
			continue;
		for (size_t j = 0; j < n && !gone[i]; j++) {
			struct ing_gap *b = gaps->v[j];
			if (j == i || gone[j] || !rule[j] || gap_rank(b) < gap_rank(a))
				continue;
			if (a->unread_could_answer && !b->unread_could_answer)
				continue;
			if (!rule_covers(rule[j], rule[i]) && !rule_implies(e, rule[j], rule[i]) && !presumes(rule[i], rule[j]))
				continue;
			/* both ways (the same requirement) at the same weight: the first stays */
			if (gap_rank(b) == gap_rank(a) && j > i && !rule_covers(rule[j], rule[i]) &&
			    rule_implies(e, rule[i], rule[j]))
				continue;
			absorb(b, a);
			gone[i] = true;
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct ing_gap *g = gaps->v[i];
		if (gone[i]) {
			if (g->severity == RULE_SEV_REQUIRED)
				e->scan->required_gaps--;
			gap_free(g);
			continue;
		}
		gaps->v[k++] = g;
	}
	gaps->n = k;
out:
	free(gone);
	free(rule);
}
