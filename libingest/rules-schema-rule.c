/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One rule of a rules file, key by key (docs/rules.md): its id and severity,
 * `when` (settings, a condition, the marker tests that settle it) and the one
 * requirement it states: a document, biomarkers, labs, imaging studies or the
 * clinical question. Called by rules-schema.c for a type's "rules" list.
 */
#include "rules-loader.h"
#include "model.h"

_Static_assert(_KIND_MAX <= 32, "document kinds must fit a uint32_t mask");

/* --- rules --- */

/* SPEC §4 file kinds a rule may name. Names are kind_name()'s. */
static int kind_from_string(const char *s)
{
	for (int k = 0; k < _KIND_MAX; k++) {
		if (k == KIND_OS_JUNK || k == KIND_CASE_YAML)
			continue;   /* internal kinds, not in SPEC §4 */
		if (strcmp(kind_name((enum ing_kind)k), s) == 0)
			return k;
	}
	return -EINVAL;
}

/* The I-th item of a list value (or the value itself when it is a scalar), to
 * place an error on the item that caused it. */
static struct fy_node *list_item(const struct kv *kv, size_t i)
{
	void *it = NULL;
	struct fy_node *item = NULL;

	if (!kv->value || !fy_node_is_sequence(kv->value))
		return kv->value;
	for (size_t j = 0; j <= i; j++)
		item = fy_node_sequence_iterate(kv->value, &it);
	return item;
}

struct rule_ctx {
	struct rule *r;
	struct rule_type *t;
	struct pos pos;
	unsigned n_reqs;
	bool has_severity;
	bool has_terms;             /* name, all_of or any_of was given */
	bool has_markers;           /* when.marker or when.markers was given */
	unsigned alt;               /* the when.any_of alternative being read */
};

static int settings_from(struct loader *l, const struct kv *kv, unsigned *mask)
{
	char **v = NULL;
	size_t n = 0;
	int r = 0;

	if (get_strv(l, kv, &v, &n) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int s = rule_setting_from_string(v[i]);
		if (s < 0) {
			err_node(l, list_item(kv, i), kv->kpos,
			         "unknown setting \"%s\" (expected early, locally-advanced, metastatic or recurrent)", v[i]);
			r = -EINVAL;
		} else {
			*mask |= 1u << s;
		}
	}
	strv_free(v, n);
	return r;
}

struct marker_ctx {
	struct rule_marker_test *mt;
	bool has_terms;
};

static int marker_terms(struct loader *l, struct marker_ctx *mc, const struct kv *kv)
{
	char **v = NULL;
	size_t n = 0;
	int r = 0;

	if (mc->has_terms) {
		err_at(l, kv->kpos, "a marker test takes one of name, any_of");
		return -EINVAL;
	}
	mc->has_terms = true;
	if (get_strv(l, kv, &v, &n) < 0)
		return -EINVAL;
	mc->mt->terms = xcalloc(n, sizeof(*mc->mt->terms));
	for (size_t i = 0; i < n; i++) {
		const struct rule_term *t = ruleset_find_biomarker(l->rs, v[i]);
		if (!t) {
			err_node(l, list_item(kv, i), kv->kpos, "unknown biomarker \"%s\" (not in _biomarkers.yaml)", v[i]);
			r = -EINVAL;
			continue;
		}
		mc->mt->terms[mc->mt->n_terms++] = t;
	}
	strv_free(v, n);
	return r;
}

static int marker_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct marker_ctx *mc = userdata;

	if (strcmp(kv->key, "name") == 0 || strcmp(kv->key, "any_of") == 0)
		return marker_terms(l, mc, kv);
	if (strcmp(kv->key, "holds") == 0) {
		if (mc->mt->holds) {
			err_at(l, kv->kpos, "\"holds\" is given twice");
			return -EINVAL;
		}
		if (get_strv(l, kv, &mc->mt->holds, &mc->mt->n_holds) < 0)
			return -EINVAL;
		check_vocab_words(l, kv, mc->mt->holds, mc->mt->n_holds, VC_RESULT);
		return 0;
	}
	if (strcmp(kv->key, "fails") == 0) {
		if (mc->mt->fails) {
			err_at(l, kv->kpos, "\"fails\" is given twice");
			return -EINVAL;
		}
		if (get_strv(l, kv, &mc->mt->fails, &mc->mt->n_fails) < 0)
			return -EINVAL;
		check_vocab_words(l, kv, mc->mt->fails, mc->mt->n_fails, VC_RESULT);
		return 0;
	}
	return unknown_key(l, kv, "a marker test", "name, any_of, holds, fails");
}

static void marker_test_free(struct rule_marker_test *mt)
{
	free(mt->terms);
	strv_free(mt->holds, mt->n_holds);
	strv_free(mt->fails, mt->n_fails);
}

/* One marker test of `when.markers` (or `when.marker`), appended to the rule. */
static int parse_marker_test(struct loader *l, struct rule_ctx *rc, const struct kv *kv)
{
	struct rule_marker_test mt = { 0 };
	struct marker_ctx mc = { .mt = &mt };
	int r = walk_map(l, kv, "a marker test", marker_kv, &mc);

	if (r == 0 && !mc.has_terms) {
		err_at(l, kv->kpos, "a marker test needs \"name\" or \"any_of\" (biomarkers from _biomarkers.yaml)");
		r = -EINVAL;
	}
	if (r == 0 && (!mt.n_holds || !mt.n_fails)) {
		err_at(l, kv->kpos, "a marker test needs both \"holds\" and \"fails\" (the result words that make the "
		       "condition true and false; other results leave it open)");
		r = -EINVAL;
	}
	if (r == 0 && rc->r->n_cond_markers >= RULES_MAX_LIST) {
		err_at(l, kv->kpos, "more than %u marker tests", RULES_MAX_LIST);
		r = -EINVAL;
	}
	if (r < 0) {
		marker_test_free(&mt);
		return r;
	}
	mt.alt = rc->alt;
	rc->r->cond_markers = xrealloc(rc->r->cond_markers, (rc->r->n_cond_markers + 1) * sizeof(mt));
	rc->r->cond_markers[rc->r->n_cond_markers++] = mt;
	return 0;
}

/* when.markers: a list of marker tests, each appended to the rule. */
static int marker_list(struct loader *l, struct rule_ctx *rc, const struct kv *kv)
{
	void *it = NULL;
	struct fy_node *item;
	int ret = 0;
	if (!kv->value || !fy_node_is_sequence(kv->value) || fy_node_sequence_item_count(kv->value) < 1) {
		err_node(l, kv->value, kv->kpos, "\"markers\" must be a list of marker tests");
		return -EINVAL;
	}
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		if (parse_marker_test(l, rc, &ikv) < 0)
			ret = -EINVAL;
	}
	return ret;
}

/* One alternative of when.any_of: {markers: [tests]}, all of which must hold. */
static int alt_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	if (strcmp(kv->key, "markers") == 0)
		return marker_list(l, userdata, kv);
	return unknown_key(l, kv, "an alternative of \"any_of\"", "markers");
}

/* when.any_of: [{markers: [...]}, {markers: [...]}]: the condition holds
 * when one alternative holds, fails when every one fails ("if HER2-positive
 * or triple-negative"). */
static int alternatives(struct loader *l, struct rule_ctx *rc, const struct kv *kv)
{
	void *it = NULL;
	struct fy_node *item;
	int ret = 0;
	if (!kv->value || !fy_node_is_sequence(kv->value) || fy_node_sequence_item_count(kv->value) < 2) {
		err_node(l, kv->value, kv->kpos, "\"any_of\" must be a list of at least two alternatives, each "
		         "{markers: [marker tests]}");
		return -EINVAL;
	}
	if (fy_node_sequence_item_count(kv->value) > RULES_MAX_LIST) {
		err_node(l, kv->value, kv->kpos, "more than %u alternatives", RULES_MAX_LIST);
		return -EINVAL;
	}
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		size_t before = rc->r->n_cond_markers;
		if (walk_map(l, &ikv, "an alternative of \"any_of\"", alt_kv, rc) < 0) {
			ret = -EINVAL;
		} else if (rc->r->n_cond_markers == before) {
			err_node(l, item, ikv.kpos, "an alternative of \"any_of\" needs \"markers\" (a list of marker tests)");
			ret = -EINVAL;
		}
		rc->alt++;
	}
	rc->r->n_cond_alts = rc->alt;
	return ret;
}

static int when_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_ctx *rc = userdata;
	bool any_of = strcmp(kv->key, "any_of") == 0;

	if (strcmp(kv->key, "setting") == 0)
		return settings_from(l, kv, &rc->r->settings);
	if (strcmp(kv->key, "condition") == 0)
		return get_str(l, kv, &rc->r->condition);
	if (strcmp(kv->key, "cancer") == 0)
		return get_strv(l, kv, &rc->r->cancers, &rc->r->n_cancers);
	if (any_of || strcmp(kv->key, "marker") == 0 || strcmp(kv->key, "markers") == 0) {
		if (rc->r->n_cond_alts || (any_of && rc->has_markers)) {
			err_at(l, kv->kpos, "give the marker tests once: \"marker\"/\"markers\" (all must hold) or "
			       "\"any_of\" (one alternative must hold)");
			return -EINVAL;
		}
		if (any_of)
			return alternatives(l, rc, kv);
		rc->has_markers = true;
		return strcmp(kv->key, "marker") == 0 ? parse_marker_test(l, rc, kv) : marker_list(l, rc, kv);
	}
	return unknown_key(l, kv, "\"when\"", "setting, condition, cancer, marker, markers, any_of");
}

static int by_setting_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_ctx *rc = userdata;
	_cleanup_free_ char *sev = NULL;
	int s = rule_setting_from_string(kv->key), v;

	if (s < 0) {
		err_at(l, kv->kpos, "unknown setting \"%s\" (expected early, locally-advanced, metastatic or recurrent)",
		       kv->key);
		return -EINVAL;
	}
	if (get_str(l, kv, &sev) < 0)
		return -EINVAL;
	v = rule_severity_from_string(sev);
	if (v < 0) {
		err_node(l, kv->value, kv->kpos, "unknown severity \"%s\" (expected required, recommended, warning or info)", sev);
		return -EINVAL;
	}
	rc->r->by_setting[s] = (enum rule_severity)v;
	return 0;
}

static int kinds_from(struct loader *l, const struct kv *kv, uint32_t *mask)
{
	char **v = NULL;
	size_t n = 0;
	int r = 0;
	void *it = NULL;
	struct fy_node *item = NULL;

	if (get_strv(l, kv, &v, &n) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int k = kind_from_string(v[i]);
		if (fy_node_is_sequence(kv->value))
			item = fy_node_sequence_iterate(kv->value, &it);
		if (k < 0) {
			err_node(l, item ? item : kv->value, kv->kpos, "unknown document kind \"%s\" (see SPEC §4 file kinds)", v[i]);
			r = -EINVAL;
		} else {
			*mask |= 1u << k;
		}
	}
	strv_free(v, n);
	return r;
}

/* biomarker/lab term references: name | all_of | any_of */
static int terms_from(struct loader *l, struct rule_ctx *rc, const struct kv *kv, bool labs, enum rule_match match)
{
	char **v = NULL;
	size_t n = 0;
	int r = 0;
	void *it = NULL;
	struct fy_node *item = NULL;

	/* Not n_terms: a first list whose names were all unknown left it 0, and
	 * the second list's array replaced (leaked) the first's. */
	if (rc->has_terms) {
		err_at(l, kv->kpos, "give only one of name, all_of, any_of");
		return -EINVAL;
	}
	rc->has_terms = true;
	if (get_strv(l, kv, &v, &n) < 0)
		return -EINVAL;
	rc->r->terms = xcalloc(n, sizeof(*rc->r->terms));
	rc->r->match = match;
	for (size_t i = 0; i < n; i++) {
		const struct rule_term *t = labs ? ruleset_find_lab(l->rs, v[i]) : ruleset_find_biomarker(l->rs, v[i]);
		if (fy_node_is_sequence(kv->value))
			item = fy_node_sequence_iterate(kv->value, &it);
		if (!t) {
			err_node(l, item ? item : kv->value, kv->kpos, "unknown %s \"%s\" (not in %s)",
			         labs ? "lab" : "biomarker", v[i], labs ? "_labs.yaml" : "_biomarkers.yaml");
			r = -EINVAL;
			continue;
		}
		rc->r->terms[rc->r->n_terms++] = t;
	}
	strv_free(v, n);
	return r;
}

static int biomarker_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_ctx *rc = userdata;

	if (strcmp(kv->key, "name") == 0)
		return terms_from(l, rc, kv, false, RULE_MATCH_ALL);
	if (strcmp(kv->key, "all_of") == 0)
		return terms_from(l, rc, kv, false, RULE_MATCH_ALL);
	if (strcmp(kv->key, "any_of") == 0)
		return terms_from(l, rc, kv, false, RULE_MATCH_ANY);
	if (strcmp(kv->key, "in") == 0)
		return kinds_from(l, kv, &rc->r->kinds);
	return unknown_key(l, kv, "\"biomarker\"", "name, all_of, any_of, in");
}

static int lab_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_ctx *rc = userdata;

	if (strcmp(kv->key, "name") == 0)
		return terms_from(l, rc, kv, true, RULE_MATCH_ALL);
	if (strcmp(kv->key, "all_of") == 0)
		return terms_from(l, rc, kv, true, RULE_MATCH_ALL);
	if (strcmp(kv->key, "any_of") == 0)
		return terms_from(l, rc, kv, true, RULE_MATCH_ANY);
	if (strcmp(kv->key, "in") == 0)
		return kinds_from(l, kv, &rc->r->kinds);
	if (strcmp(kv->key, "max_age_days") == 0)
		return get_int(l, kv, 1, RULES_MAX_AGE_DAYS, &rc->r->max_age_days);
	if (strcmp(kv->key, "series") == 0)
		return get_bool(l, kv, &rc->r->series);
	if (strcmp(kv->key, "same_date") == 0)
		return get_bool(l, kv, &rc->r->same_date);
	return unknown_key(l, kv, "\"lab\"", "name, all_of, any_of, in, max_age_days, series, same_date");
}

static int document_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_ctx *rc = userdata;

	if (strcmp(kv->key, "kind") == 0 || strcmp(kv->key, "kinds") == 0)
		return kinds_from(l, kv, &rc->r->kinds);
	if (strcmp(kv->key, "keywords") == 0) {
		if (get_strv(l, kv, &rc->r->keywords, &rc->r->n_keywords) < 0)
			return -EINVAL;
		check_vocab_words(l, kv, rc->r->keywords, rc->r->n_keywords, VC_KEYWORD);
		return 0;
	}
	return unknown_key(l, kv, "\"document\"", "kind, kinds, keywords");
}

static int question_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_ctx *rc = userdata;
	int v;

	if (strcmp(kv->key, "min_words") == 0) {
		if (get_int(l, kv, 1, 100, &v) < 0)
			return -EINVAL;
		rc->r->min_words = (unsigned)v;
		return 0;
	}
	return unknown_key(l, kv, "\"question\"", "min_words");
}

static int study_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_study *s = userdata;
	char **v = NULL;
	size_t n = 0;
	int r = 0;

	if (strcmp(kv->key, "modalities") == 0 || strcmp(kv->key, "regions") == 0) {
		bool mod = kv->key[0] == 'm';
		if (get_strv(l, kv, &v, &n) < 0)
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			uint32_t bit = mod ? rule_modality_bit(v[i]) : rule_region_need_mask(v[i]);
			if (!bit) {
				err_node(l, list_item(kv, i), kv->kpos, mod ?
				    "unknown modality \"%s\" (expected CT, MR, PT, MG, US, NM, CR, DX, SM, PX or XA)" :
				    "unknown body region \"%s\" (see CHECKLISTS §0.4)", v[i]);
				r = -EINVAL;
			}
			if (mod)
				s->modalities |= bit;
			else
				s->regions |= bit;
		}
		strv_free(v, n);
		return r;
	}
	if (strcmp(kv->key, "contrast") == 0) {
		bool b;
		if (get_bool(l, kv, &b) < 0)
			return -EINVAL;
		s->contrast = b;
		return 0;
	}
	if (strcmp(kv->key, "multiphase") == 0)
		return get_bool(l, kv, &s->multiphase);
	if (strcmp(kv->key, "keywords") == 0) {
		if (get_strv(l, kv, &s->keywords, &s->n_keywords) < 0)
			return -EINVAL;
		check_vocab_words(l, kv, s->keywords, s->n_keywords, VC_KEYWORD);
		return 0;
	}
	if (strcmp(kv->key, "tracers") == 0)
		return get_strv(l, kv, &s->tracers, &s->n_tracers);
	return unknown_key(l, kv, "an imaging study",
	                   "modalities, regions, contrast, multiphase, keywords, tracers");
}

static void option_add_study(struct rule_imaging_option *o, const struct rule_study *s)
{
	o->studies = xrealloc(o->studies, (o->n_studies + 1) * sizeof(*o->studies));
	o->studies[o->n_studies++] = *s;
}

static struct rule_imaging_option *rule_add_option(struct rule *r)
{
	r->options = xrealloc(r->options, (r->n_options + 1) * sizeof(*r->options));
	r->options[r->n_options] = (struct rule_imaging_option){ 0 };
	return &r->options[r->n_options++];
}

static int parse_study(struct loader *l, const struct kv *kv, struct rule_imaging_option *o)
{
	struct rule_study s = { .contrast = -1 };

	if (walk_map(l, kv, "an imaging study", study_kv, &s) < 0) {
		study_free_contents(&s);
		return -EINVAL;
	}
	if (!s.modalities) {
		err_node(l, kv->value, kv->kpos, "an imaging study needs \"modalities\"");
		study_free_contents(&s);
		return -EINVAL;
	}
	option_add_study(o, &s);
	return 0;
}

/* imaging.any_of item: a study, or {all_of: [study, ...]}. */
static int parse_option(struct loader *l, const struct kv *kv, struct rule *r)
{
	struct fy_node *all;
	void *it = NULL;
	struct fy_node *item;
	int ret = 0;

	if (!kv->value || !fy_node_is_mapping(kv->value)) {
		err_node(l, kv->value, kv->kpos, "each item of \"any_of\" must be a study or {all_of: [studies]}");
		return -EINVAL;
	}
	all = fy_node_mapping_lookup_by_string(kv->value, "all_of", (size_t)-1);
	if (!all)
		return parse_study(l, kv, rule_add_option(r));
	if (fy_node_mapping_item_count(kv->value) != 1) {
		err_node(l, kv->value, kv->kpos, "an option with \"all_of\" may hold nothing else");
		return -EINVAL;
	}
	if (!fy_node_is_sequence(all) || fy_node_sequence_item_count(all) < 1 ||
	    fy_node_sequence_item_count(all) > RULES_MAX_LIST) {
		err_node(l, all, kv->kpos, "\"all_of\" must be a list of imaging studies");
		return -EINVAL;
	}
	struct rule_imaging_option *o = rule_add_option(r);
	struct kv akv = { "all_of", all, node_pos(all, kv->kpos) };
	while ((item = fy_node_sequence_iterate(all, &it))) {
		struct kv ikv = item_kv(&akv, item);
		if (parse_study(l, &ikv, o) < 0)
			ret = -EINVAL;
	}
	return ret;
}

struct imaging_ctx {
	struct rule_ctx *rc;
	struct rule_study direct;
	bool has_direct, has_any;
	struct pos any_pos;
};

static int imaging_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct imaging_ctx *ic = userdata;
	struct rule *r = ic->rc->r;

	if (strcmp(kv->key, "max_age_days") == 0)
		return get_int(l, kv, 1, RULES_MAX_AGE_DAYS, &r->max_age_days);
	if (strcmp(kv->key, "after_last_treatment") == 0)
		return get_bool(l, kv, &r->after_last_treatment);
	if (strcmp(kv->key, "any_of") == 0) {
		void *it = NULL;
		struct fy_node *item;
		int ret = 0;

		ic->has_any = true;
		ic->any_pos = kv->kpos;
		if (!kv->value || !fy_node_is_sequence(kv->value) ||
		    fy_node_sequence_item_count(kv->value) < 1 ||
		    fy_node_sequence_item_count(kv->value) > RULES_MAX_LIST) {
			err_node(l, kv->value, kv->kpos, "\"any_of\" must be a list of imaging options");
			return -EINVAL;
		}
		while ((item = fy_node_sequence_iterate(kv->value, &it))) {
			struct kv ikv = item_kv(kv, item);
			if (parse_option(l, &ikv, r) < 0)
				ret = -EINVAL;
		}
		return ret;
	}
	if (strcmp(kv->key, "modalities") == 0 || strcmp(kv->key, "regions") == 0 ||
	    strcmp(kv->key, "contrast") == 0 || strcmp(kv->key, "multiphase") == 0 ||
	    strcmp(kv->key, "keywords") == 0 || strcmp(kv->key, "tracers") == 0) {
		if (!ic->has_direct)
			ic->direct.contrast = -1;
		ic->has_direct = true;
		return study_kv(l, kv, &ic->direct);
	}
	return unknown_key(l, kv, "\"imaging\"",
	                   "modalities, regions, contrast, multiphase, keywords, tracers, max_age_days, "
	                   "after_last_treatment, any_of");
}

static int parse_imaging(struct loader *l, struct rule_ctx *rc, const struct kv *kv)
{
	struct imaging_ctx ic = { .rc = rc, .direct = { .contrast = -1 } };
	int r = walk_map(l, kv, "\"imaging\"", imaging_kv, &ic);

	if (ic.has_direct && ic.has_any) {
		err_at(l, ic.any_pos, "\"imaging\" takes either one study's keys or \"any_of\", not both");
		r = -EINVAL;
	} else if (ic.has_direct && r == 0) {
		if (!ic.direct.modalities) {
			err_at(l, kv->kpos, "\"imaging\" needs \"modalities\"");
			r = -EINVAL;
		} else {
			option_add_study(rule_add_option(rc->r), &ic.direct);
			return 0;
		}
	} else if (!ic.has_direct && !ic.has_any && r == 0) {
		err_at(l, kv->kpos, "\"imaging\" needs \"modalities\" or \"any_of\"");
		r = -EINVAL;
	}
	study_free_contents(&ic.direct);
	return r;
}

static const char *const req_keys = "document, biomarker, imaging, lab, question";

static int rule_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_ctx *rc = userdata;
	struct rule *r = rc->r;

	if (strcmp(kv->key, "id") == 0) {
		if (get_str(l, kv, &r->id) < 0)
			return -EINVAL;
		size_t n = strlen(rc->t->id);
		if (strncmp(r->id, rc->t->id, n) != 0 || r->id[n] != '.' || !valid_id(r->id + n + 1, true) ||
		    strlen(r->id) > 2 * RULES_MAX_ID) {
			err_node(l, kv->value, kv->kpos, "rule id \"%s\" must be \"%s.\" followed by lower-case letters, digits, '-' or '.'",
			         r->id, rc->t->id);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(kv->key, "severity") == 0) {
		_cleanup_free_ char *s = NULL;
		int v;
		rc->has_severity = true;
		if (get_str(l, kv, &s) < 0)
			return -EINVAL;
		v = rule_severity_from_string(s);
		if (v < 0) {
			err_node(l, kv->value, kv->kpos, "unknown severity \"%s\" (expected required, recommended, warning or info)", s);
			return -EINVAL;
		}
		r->severity = (enum rule_severity)v;
		return 0;
	}
	if (strcmp(kv->key, "severity_by_setting") == 0)
		return walk_map(l, kv, "\"severity_by_setting\"", by_setting_kv, rc);
	if (strcmp(kv->key, "when") == 0) {
		int k = walk_map(l, kv, "\"when\"", when_kv, rc);
		if (k == 0 && r->n_cancers && !r->condition) {
			err_at(l, kv->kpos, "\"when\" with \"cancer\" needs a \"condition\" (the clause the report shows "
			       "while the cancer type is not known)");
			return -EINVAL;
		}
		if (k == 0 && r->n_cond_markers && !r->condition) {
			err_at(l, kv->kpos, "\"when\" with marker tests needs a \"condition\" (the clause the report shows "
			       "while the results do not settle it)");
			return -EINVAL;
		}
		return k;
	}
	if (strcmp(kv->key, "uncertain") == 0)
		return get_bool(l, kv, &r->uncertain);
	if (strcmp(kv->key, "message") == 0)
		return get_str(l, kv, &r->message);
	if (strcmp(kv->key, "note") == 0)
		return get_str(l, kv, &r->note);
	if (strcmp(kv->key, "covers") == 0) {
		r->covers_line = kv->kpos.line;
		r->covers_col = kv->kpos.col;
		return get_strv(l, kv, &r->covers, &r->n_covers);
	}

	enum rule_req req = 0;
	kv_fn fn = NULL;
	if (strcmp(kv->key, "document") == 0)
		req = RULE_REQ_DOCUMENT, fn = document_kv;
	else if (strcmp(kv->key, "biomarker") == 0)
		req = RULE_REQ_BIOMARKER, fn = biomarker_kv;
	else if (strcmp(kv->key, "lab") == 0)
		req = RULE_REQ_LAB, fn = lab_kv;
	else if (strcmp(kv->key, "question") == 0)
		req = RULE_REQ_QUESTION, fn = question_kv;
	else if (strcmp(kv->key, "imaging") == 0)
		req = RULE_REQ_IMAGING;
	else
		return unknown_key(l, kv, "a rule",
		                   "id, severity, severity_by_setting, when, uncertain, message, note, covers, "
		                   "document, biomarker, imaging, lab, question");
	if (rc->n_reqs++ > 0) {
		err_at(l, kv->kpos, "a rule states exactly one of %s; \"%s\" is a second one", req_keys, kv->key);
		return -EINVAL;
	}
	r->req = req;
	if (req == RULE_REQ_IMAGING)
		return parse_imaging(l, rc, kv);
	if (req == RULE_REQ_BIOMARKER && (!kv->value || fy_node_is_scalar(kv->value))) {
		/* shorthand: `biomarker: HER2` */
		return terms_from(l, rc, kv, false, RULE_MATCH_ALL);
	}
	return walk_map(l, kv, kv->key[0] == 'q' ? "\"question\"" : kv->key[0] == 'd' ? "\"document\"" :
	                kv->key[0] == 'b' ? "\"biomarker\"" : "\"lab\"", fn, rc);
}

static void set_default_kinds(struct rule *r)
{
	if (r->req == RULE_REQ_BIOMARKER && !r->kinds)
		r->kinds = 1u << KIND_PATHOLOGY | 1u << KIND_MOLECULAR;
}

static bool rule_id_taken(struct loader *l, const struct rule_type *t, const char *id, struct pos *where,
                          const char **file)
{
	struct rule *r = find_rule(l->rs, id);

	for (size_t i = 0; !r && i < t->n_own; i++)
		if (strcmp(t->own[i]->id, id) == 0)
			r = t->own[i];
	if (!r)
		return false;
	*where = (struct pos){ r->line, r->col };
	*file = r->file;
	return true;
}

int parse_rules(struct loader *l, struct rule_type *t, const struct kv *kv)
{
	void *it = NULL;
	struct fy_node *item;
	int ret = 0;

	if (!kv->value || !fy_node_is_sequence(kv->value)) {
		err_node(l, kv->value, kv->kpos, "\"rules\" must be a list of rules");
		return -EINVAL;
	}
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		struct rule_ctx rc = { .r = xcalloc(1, sizeof(struct rule)), .t = t, .pos = ikv.kpos };
		struct rule *r = rc.r;
		int k = 0;

		if (l->rs->n_rules >= RULES_MAX_RULES) {
			err_at(l, ikv.kpos, "more than %u rules in all files", RULES_MAX_RULES);
			rule_free(r);
			return -EINVAL;
		}
		r->file = l->file;
		r->line = rc.pos.line;
		r->col = rc.pos.col;
		r->owner = t->id;
		k = walk_map(l, &ikv, "a rule", rule_kv, &rc);
		const char *label = r->id ? r->id : "(no id)";
		if (!r->id && ikv.value && fy_node_is_mapping(ikv.value)) {
			err_at(l, rc.pos, "rule has no id");
			k = -EINVAL;
		}
		if (!rc.has_severity && ikv.value && fy_node_is_mapping(ikv.value)) {
			err_at(l, rc.pos, "rule \"%s\" has no severity", label);
			k = -EINVAL;
		}
		if (!r->message && ikv.value && fy_node_is_mapping(ikv.value)) {
			err_at(l, rc.pos, "rule \"%s\" has no message", label);
			k = -EINVAL;
		}
		if (rc.n_reqs == 0 && ikv.value && fy_node_is_mapping(ikv.value)) {
			err_at(l, rc.pos, "rule \"%s\" states no requirement (one of %s)", label, req_keys);
			k = -EINVAL;
		}
		if (r->req == RULE_REQ_DOCUMENT && rc.n_reqs == 1 && !r->kinds && !r->n_keywords) {
			err_at(l, rc.pos, "rule \"%s\": \"document\" needs kind, kinds or keywords", label);
			k = -EINVAL;
		}
		if ((r->req == RULE_REQ_BIOMARKER || r->req == RULE_REQ_LAB) && rc.n_reqs == 1 && !r->n_terms &&
		    k == 0) {
			err_at(l, rc.pos, "rule \"%s\": \"%s\" needs name, all_of or any_of", label, rule_req_name(r->req));
			k = -EINVAL;
		}
		if (r->req == RULE_REQ_QUESTION && !r->min_words)
			r->min_words = 4;
		if (r->id) {
			struct pos first;
			const char *ffile;
			if (rule_id_taken(l, t, r->id, &first, &ffile)) {
				err_at(l, rc.pos, "duplicate rule id \"%s\" (first defined at %s:%d:%d)",
				       r->id, ffile, first.line, first.col);
				k = -EINVAL;
			}
		}
		if (k < 0) {
			rule_free(r);
			ret = -EINVAL;
			continue;
		}
		set_default_kinds(r);
		t->own = xrealloc(t->own, (t->n_own + 1) * sizeof(*t->own));
		t->own[t->n_own++] = r;
		l->rs->n_rules++;
	}
	/* covers: rules of this file, never the rule itself */
	for (size_t i = 0; i < t->n_own; i++) {
		const struct rule *r = t->own[i];
		for (size_t j = 0; j < r->n_covers; j++) {
			bool found = false;
			for (size_t k = 0; k < t->n_own && !found; k++)
				found = k != i && strcmp(t->own[k]->id, r->covers[j]) == 0;
			if (!found) {
				err_at(l, (struct pos){ r->covers_line, r->covers_col },
				       "rule \"%s\" covers \"%s\", which is not another rule of this file", r->id, r->covers[j]);
				ret = -EINVAL;
			}
		}
	}
	return ret;
}
