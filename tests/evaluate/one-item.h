/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_one_item(): no two gaps of one report share their meaning (issue 18),
 * for the evaluate-unit tests (test-evaluate.c, test-unread.c), which include
 * it after their `rs` (the shipped rules).
 */
#ifndef TEST_ONE_ITEM_H
#define TEST_ONE_ITEM_H

static bool strv_same(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* Two rules asking for the same thing (ages aside). */
static bool same_requirement(const struct rule *a, const struct rule *b)
{
	if (a->req != b->req || a->kinds != b->kinds || !strv_same(a->keywords, a->n_keywords, b->keywords, b->n_keywords))
		return false;
	if (a->n_terms != b->n_terms || (a->n_terms > 1 && a->match != b->match))
		return false;
	for (size_t i = 0; i < a->n_terms; i++)
		if (a->terms[i] != b->terms[i])
			return false;
	if (a->n_options != b->n_options || a->min_words != b->min_words || a->series != b->series)
		return false;
	for (size_t o = 0; o < a->n_options; o++) {
		const struct rule_imaging_option *x = &a->options[o], *y = &b->options[o];
		if (x->n_studies != y->n_studies)
			return false;
		for (size_t k = 0; k < x->n_studies; k++) {
			const struct rule_study *p = &x->studies[k], *q = &y->studies[k];
			if (p->modalities != q->modalities || p->regions != q->regions || p->contrast != q->contrast ||
			    p->multiphase != q->multiphase || !strv_same(p->keywords, p->n_keywords, q->keywords, q->n_keywords) ||
			    !strv_same(p->tracers, p->n_tracers, q->tracers, q->n_tracers))
				return false;
		}
	}
	return true;
}

/* The evidence without what one item adds about another ("also says", a settled condition). */
static char *bare_evidence(const char *ev)
{
	struct strbuf b;
	strbuf_init(&b, 1 << 16);
	for (const char *p = ev ? ev : ""; *p;) {
		const char *end = strstr(p, "; ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (strncmp(p, "also says ", 10) != 0 && strncmp(p, "condition \"", 11) != 0)
			(void)strbuf_printf(&b, "%s%.*s", b.len ? "; " : "", (int)n, p);
		p += n + (end ? 2 : 0);
	}
	return b.s ? strbuf_steal(&b) : xstrdup("");
}

/* No two gaps of one report share their meaning: the same requirement, or
 * the same evidence of what was looked for. */
static void check_one_item(const struct ing_scan *s)
{
	for (size_t i = 0; i < s->gaps.n; i++) {
		const struct ing_gap *a = s->gaps.v[i];
		const struct rule *ra = ruleset_find_rule(rs, a->rule_id);
		_cleanup_free_ char *ea = bare_evidence(a->evidence);
		for (size_t j = i + 1; j < s->gaps.n && a->severity != RULE_SEV_WARNING; j++) {
			const struct ing_gap *b = s->gaps.v[j];
			const struct rule *rb = ruleset_find_rule(rs, b->rule_id);
			_cleanup_free_ char *eb = bare_evidence(b->evidence);
			if (b->severity == RULE_SEV_WARNING || (ra == rb && !ra))
				continue;
			bool req = ra && rb && same_requirement(ra, rb);
			/* evidence that says what was looked for: the same words, the same ask */
			bool ev = strncmp(ea, "looked for ", 11) == 0 && strcmp(ea, eb) == 0;
			if (req || ev) {
				fprintf(stderr, "%s: %s and %s say one thing (%s)\n", s->case_id, a->rule_id, b->rule_id,
				        req ? "the same requirement" : "the same evidence");
				check_failures++;
			}
		}
	}
}

#endif
