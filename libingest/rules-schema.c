/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A rules file's keys (docs/rules.md): reading values with every error placed
 * at FILE:LINE:COL, the biomarker and lab dictionaries, and the cancer types
 * and fragments (their keys, then the effective rule list from includes and
 * excludes). One rule's keys are rules-schema-rule.c's. libfyaml's document
 * API has no public position for a mapping or sequence node, so such nodes are
 * located by their first scalar (or by the key that holds them).
 */
#include <ctype.h>
#include <stdio.h>

#include "rules-loader.h"
#include "util/yaml.h"

/* ---- values and errors ---- */

/* A node's position: scalars have a token; collections are located by their
 * first scalar; empty ones (and NULL) by FALLBACK. */
struct pos node_pos(struct fy_node *n, struct pos fallback)
{
	struct pos p = fallback;
	return yaml_node_pos(n, &p.line, &p.col) ? p : fallback;
}

static void verr(struct loader *l, struct pos p, const char *fmt, va_list ap) ING_PRINTF(3, 0);
static void verr(struct loader *l, struct pos p, const char *fmt, va_list ap)
{
	char msg[1024];

	l->n_errors++;
	if (!l->errors)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	(void)strbuf_printf(l->errors, "%s:%d:%d: %s\n", l->file, p.line, p.col, msg);
}

void err_at(struct loader *l, struct pos p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(l, p, fmt, ap);
	va_end(ap);
}

/* Error at node N, or at FALLBACK if N has no position of its own. */
void err_node(struct loader *l, struct fy_node *n, struct pos fallback, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(l, node_pos(n, fallback), fmt, ap);
	va_end(ap);
}

/* Reads a scalar into *OUT (malloc'd). Errors name WHAT. */
int get_str(struct loader *l, const struct kv *kv, char **out)
{
	const char *s;
	size_t len;

	if (!kv->value) {
		err_at(l, kv->kpos, "\"%s\" has no value", kv->key);
		return -EINVAL;
	}
	if (!fy_node_is_scalar(kv->value) || fy_node_is_alias(kv->value)) {
		err_node(l, kv->value, kv->kpos, "\"%s\" must be %s", kv->key,
		         fy_node_is_alias(kv->value) ? "a plain value, not an alias" : "a single value (a string)");
		return -EINVAL;
	}
	s = fy_node_get_scalar(kv->value, &len);
	if (!s || len == 0) {
		err_node(l, kv->value, kv->kpos, "\"%s\" is empty", kv->key);
		return -EINVAL;
	}
	if (len > RULES_MAX_STRING) {
		err_node(l, kv->value, kv->kpos, "\"%s\" is longer than %u bytes", kv->key, RULES_MAX_STRING);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			err_node(l, kv->value, kv->kpos, "\"%s\" contains a control character", kv->key);
			return -EINVAL;
		}
	}
	*out = xstrndup(s, len);
	return 0;
}

struct kv item_kv(const struct kv *parent, struct fy_node *item)
{
	return (struct kv){ parent->key, item, node_pos(item, parent->kpos) };
}

/* A list of strings; a single scalar counts as a one-item list. */
int get_strv(struct loader *l, const struct kv *kv, char ***out, size_t *n_out)
{
	char **v;
	size_t n = 0;
	void *it = NULL;
	struct fy_node *item;
	int r = 0;

	if (kv->value && fy_node_is_scalar(kv->value) && !fy_node_is_alias(kv->value)) {
		char *s;
		if (get_str(l, kv, &s) < 0)
			return -EINVAL;
		v = xmalloc(sizeof(*v));
		v[0] = s;
		*out = v;
		*n_out = 1;
		return 0;
	}
	if (!kv->value || !fy_node_is_sequence(kv->value)) {
		err_node(l, kv->value, kv->kpos, "\"%s\" must be a list of strings", kv->key);
		return -EINVAL;
	}
	if (fy_node_sequence_item_count(kv->value) > RULES_MAX_LIST) {
		err_node(l, kv->value, kv->kpos, "\"%s\" has more than %u items", kv->key, RULES_MAX_LIST);
		return -EINVAL;
	}
	v = xcalloc((size_t)fy_node_sequence_item_count(kv->value) + 1, sizeof(*v));
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		if (get_str(l, &ikv, &v[n]) < 0)
			r = -EINVAL;
		else
			n++;
	}
	if (r < 0 || n == 0) {
		if (n == 0 && r == 0)
			err_at(l, kv->kpos, "\"%s\" is an empty list", kv->key);
		strv_free(v, n);
		return -EINVAL;
	}
	*out = v;
	*n_out = n;
	return 0;
}

int get_bool(struct loader *l, const struct kv *kv, bool *out)
{
	_cleanup_free_ char *s = NULL;

	if (get_str(l, kv, &s) < 0)
		return -EINVAL;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		*out = false;
	else {
		err_node(l, kv->value, kv->kpos, "\"%s\" must be true or false, not \"%s\"", kv->key, s);
		return -EINVAL;
	}
	return 0;
}

int get_int(struct loader *l, const struct kv *kv, int min, int max, int *out)
{
	_cleanup_free_ char *s = NULL;
	char *end;
	long v;

	if (get_str(l, kv, &s) < 0)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		err_node(l, kv->value, kv->kpos, "\"%s\" must be a whole number from %d to %d, not \"%s\"",
		         kv->key, min, max, s);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

int walk_map(struct loader *l, const struct kv *kv, const char *what, kv_fn fn, void *userdata)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int r = 0;

	if (!kv->value || !fy_node_is_mapping(kv->value)) {
		err_node(l, kv->value, kv->kpos, "%s must be a mapping (key: value)", what);
		return -EINVAL;
	}
	while ((p = fy_node_mapping_iterate(kv->value, &it))) {
		struct fy_node *k = fy_node_pair_key(p);
		struct kv ckv;
		const char *ks;
		size_t klen;

		if (!k || !fy_node_is_scalar(k) || fy_node_is_alias(k)) {
			err_node(l, k, kv->kpos, "keys in %s must be plain words", what);
			r = -EINVAL;
			continue;
		}
		ks = fy_node_get_scalar(k, &klen);
		if (!ks || klen == 0 || klen > 64 || memchr(ks, 0, klen)) {
			err_node(l, k, kv->kpos, "keys in %s must be plain words", what);
			r = -EINVAL;
			continue;
		}
		char key[65];
		memcpy(key, ks, klen);
		key[klen] = 0;
		ckv = (struct kv){ key, fy_node_pair_value(p), node_pos(k, kv->kpos) };
		if (ckv.value && fy_node_is_alias(ckv.value)) {
			err_at(l, node_pos(ckv.value, ckv.kpos), "\"%s\": aliases are not supported in rules files", key);
			r = -EINVAL;
			continue;
		}
		if (fn(l, &ckv, userdata) < 0)
			r = -EINVAL;
	}
	return r;
}

int unknown_key(struct loader *l, const struct kv *kv, const char *where, const char *expected)
{
	err_at(l, kv->kpos, "unknown key \"%s\" in %s (expected one of: %s)", kv->key, where, expected);
	return -EINVAL;
}

bool valid_id(const char *s, bool dots)
{
	size_t n = strlen(s);
	if (n == 0 || n > RULES_MAX_ID * 2 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(islower(c) || isdigit(c) || c == '-' || (dots && c == '.')))
			return false;
	}
	return s[n - 1] != '-' && s[n - 1] != '.';
}

static bool valid_icd10(const char *s)
{
	char letter;
	int cat, cat2;
	const char *rest, *rest2;

	if (!icd_parse(s, &letter, &cat, &rest) || !isupper((unsigned char)s[0]))
		return false;
	if (*rest == '-') {
		char l2;
		if (!icd_parse(rest + 1, &l2, &cat2, &rest2) || l2 != letter || cat2 < cat || *rest2)
			return false;
		return true;
	}
	if (*rest == '.') {
		rest++;
		if (!*rest || strlen(rest) > 2)
			return false;
		for (; *rest; rest++)
			if (!isdigit((unsigned char)*rest))
				return false;
	}
	return *rest == 0;
}

/* --- dictionaries --- */

struct term_ctx {
	struct rule_term *t;
	bool has_name;
	bool labs;
};

static int term_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct term_ctx *tc = userdata;

	if (strcmp(kv->key, "name") == 0) {
		if (get_str(l, kv, &tc->t->name) < 0)
			return -EINVAL;
		tc->has_name = true;
		check_vocab_words(l, kv, &tc->t->name, 1, tc->labs ? VC_LAB : VC_BIOMARKER);
		return 0;
	}
	if (strcmp(kv->key, "synonyms") == 0)
		return get_strv(l, kv, &tc->t->synonyms, &tc->t->n_synonyms) < 0 ? -EINVAL :
		       (check_vocab_words(l, kv, tc->t->synonyms, tc->t->n_synonyms, tc->labs ? VC_LAB : VC_BIOMARKER), 0);
	if (strcmp(kv->key, "note") == 0)
		return get_str(l, kv, &tc->t->note);
	return unknown_key(l, kv, "a dictionary entry", "name, synonyms, note");
}

static int load_dictionary(struct loader *l, const struct kv *kv, bool labs)
{
	struct rule_term ***vp = labs ? &l->rs->labs : &l->rs->biomarkers;
	size_t *np = labs ? &l->rs->n_labs : &l->rs->n_biomarkers;
	void *it = NULL;
	struct fy_node *item;
	int r = 0;

	if (!kv->value || !fy_node_is_sequence(kv->value)) {
		err_node(l, kv->value, kv->kpos, "\"%s\" must be a list of entries", kv->key);
		return -EINVAL;
	}
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		struct term_ctx tc = { .t = xcalloc(1, sizeof(struct rule_term)), .labs = labs };

		if (l->rs->n_biomarkers + l->rs->n_labs >= RULES_MAX_TERMS) {
			err_at(l, ikv.kpos, "more than %u dictionary entries", RULES_MAX_TERMS);
			term_free(tc.t);
			return -EINVAL;
		}
		if (walk_map(l, &ikv, "a dictionary entry", term_kv, &tc) < 0 || !tc.has_name) {
			if (!tc.has_name && ikv.value && fy_node_is_mapping(ikv.value))
				err_at(l, ikv.kpos, "dictionary entry has no name");
			term_free(tc.t);
			r = -EINVAL;
			continue;
		}
		const struct rule_term *dup = find_term(*vp, *np, tc.t->name);
		if (dup) {
			err_at(l, ikv.kpos, "duplicate %s \"%s\"", labs ? "lab" : "biomarker", tc.t->name);
			term_free(tc.t);
			r = -EINVAL;
			continue;
		}
		*vp = xrealloc(*vp, (*np + 1) * sizeof(**vp));
		(*vp)[(*np)++] = tc.t;
	}
	return r;
}

static int dict_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	if (strcmp(kv->key, "biomarkers") == 0)
		return load_dictionary(l, kv, false);
	if (strcmp(kv->key, "labs") == 0)
		return load_dictionary(l, kv, true);
	return unknown_key(l, kv, "a dictionary file", "biomarkers, labs");
}

/* --- types and fragments --- */

struct type_ctx {
	struct rule_type *t;
	const char *expect_id;
	bool has_id, has_name, has_rules, has_baseline;
	struct pos root_pos;
	struct kv include, exclude, rules;   /* handled after the other keys */
};

static int max_age_setting_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_type *t = userdata;
	int s = rule_setting_from_string(kv->key);

	if (s < 0) {
		err_at(l, kv->kpos, "unknown setting \"%s\" (expected early, locally-advanced, metastatic or recurrent)",
		       kv->key);
		return -EINVAL;
	}
	return get_int(l, kv, 1, RULES_MAX_AGE_DAYS, &t->max_age_by_setting[s]);
}

static int max_age_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_type *t = userdata;

	if (strcmp(kv->key, "imaging") == 0)
		return get_int(l, kv, 1, RULES_MAX_AGE_DAYS, &t->max_age_imaging);
	if (strcmp(kv->key, "lab") == 0)
		return get_int(l, kv, 1, RULES_MAX_AGE_DAYS, &t->max_age_lab);
	if (strcmp(kv->key, "imaging_by_setting") == 0)
		return walk_map(l, kv, "\"imaging_by_setting\"", max_age_setting_kv, t);
	return unknown_key(l, kv, "\"max_age_days\"", "imaging, lab, imaging_by_setting");
}

static int detect_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_type *t = userdata;

	if (strcmp(kv->key, "icd10") == 0) {
		int r = get_strv(l, kv, &t->icd10, &t->n_icd10);
		void *it = NULL;
		if (r < 0)
			return r;
		for (size_t i = 0; i < t->n_icd10; i++) {
			struct fy_node *item = fy_node_is_sequence(kv->value) ?
			                       fy_node_sequence_iterate(kv->value, &it) : kv->value;
			if (!valid_icd10(t->icd10[i])) {
				err_node(l, item, kv->kpos, "invalid ICD-10 code or range \"%s\" (e.g. C50, C22.0, C18-C20)",
				         t->icd10[i]);
				r = -EINVAL;
			}
		}
		return r;
	}
	if (strcmp(kv->key, "keywords") == 0)
		return get_strv(l, kv, &t->keywords, &t->n_keywords) < 0 ? -EINVAL :
		       (check_vocab_words(l, kv, t->keywords, t->n_keywords, VC_KEYWORD), 0);
	if (strcmp(kv->key, "icd10_needs_keyword") == 0)
		return get_bool(l, kv, &t->icd10_needs_keyword);
	return unknown_key(l, kv, "\"detect\"", "icd10, keywords, icd10_needs_keyword");
}

static int type_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct type_ctx *tc = userdata;
	struct rule_type *t = tc->t;

	if (strcmp(kv->key, "id") == 0) {
		tc->has_id = true;
		if (get_str(l, kv, &t->id) < 0)
			return -EINVAL;
		if (!valid_id(t->id, false) || strlen(t->id) > RULES_MAX_ID) {
			err_node(l, kv->value, kv->kpos, "id \"%s\" must be lower-case letters, digits and '-'", t->id);
			return -EINVAL;
		}
		if (strcmp(t->id, tc->expect_id) != 0) {
			err_node(l, kv->value, kv->kpos, "id \"%s\" does not match the file name (expected \"%s\")",
			         t->id, tc->expect_id);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(kv->key, "name") == 0) {
		tc->has_name = true;
		return get_str(l, kv, &t->name);
	}
	if (strcmp(kv->key, "fragment") == 0)
		return 0;   /* read before the walk */
	if (strcmp(kv->key, "blocking") == 0)
		return get_bool(l, kv, &t->blocking);
	if (strcmp(kv->key, "detect") == 0)
		return walk_map(l, kv, "\"detect\"", detect_kv, t);
	if (strcmp(kv->key, "max_age_days") == 0)
		return walk_map(l, kv, "\"max_age_days\"", max_age_kv, t);
	if (strcmp(kv->key, "urgent_terms") == 0)
		return get_strv(l, kv, &t->urgent_terms, &t->n_urgent_terms);
	if (strcmp(kv->key, "notes") == 0)
		return get_str(l, kv, &t->notes);
	if (strcmp(kv->key, "include") == 0) {
		tc->include = *kv;
		tc->include.key = "include";   /* kv->key lives on walk_map's stack */
		return 0;
	}
	if (strcmp(kv->key, "exclude") == 0) {
		tc->exclude = *kv;
		tc->exclude.key = "exclude";   /* kv->key lives on walk_map's stack */
		return 0;
	}
	if (strcmp(kv->key, "rules") == 0) {
		tc->has_rules = true;
		tc->rules = *kv;
		tc->rules.key = "rules";   /* kv->key lives on walk_map's stack */
		return 0;
	}
	return unknown_key(l, kv, "a rules file",
	                   "id, name, fragment, include, exclude, detect, max_age_days, blocking, urgent_terms, notes, rules");
}

/* --- words against the vocabulary --- */

/* The classes a rule's keyword may be a phrase of. */
#define KEYWORD_CLASSES                                                                                          \
	(((VW_BIT(VW_SOMATIC) << 1) - 1) | VW_BIT(VW_METHOD) | VW_BIT(VW_MARKER) | VW_BIT(VW_LAB) |              \
	 VW_BIT(VW_KIND_HEADING) | VW_BIT(VW_KIND_WORD) | VW_BIT(VW_CANCER_TYPE) | VW_BIT(VW_CONCEPT))

static bool vocab_knows(const struct vocab *v, const char *w, enum vocab_check how)
{
	struct vmatch m[4];
	int ids[4];

	switch (how) {
	case VC_KEYWORD: return vocab_lookup_phrase(v, w, KEYWORD_CLASSES, m, 4) > 0;
	case VC_RESULT: return vocab_knows_words(v, w);
	/* a marker phrase (with result words), or a result the term's marker
	 * states ("IHC 1+" under "HER2 low status", whose name resolves) */
	case VC_BIOMARKER: return vocab_resolve_term(v, w, ids, 4, NULL) > 0 || vocab_knows_words(v, w);
	case VC_LAB: return vocab_resolve_lab(v, w, ids, 4) > 0;
	}
	return false;
}

void check_vocab_words(struct loader *l, const struct kv *kv, char *const *v, size_t n, enum vocab_check how)
{
	static const char *const what[] = {
		[VC_KEYWORD] = "is not a phrase of the vocabulary (add it to a concept, or the entry it names, in "
		               "rules/vocabulary/en.yaml and the other languages: docs/vocabulary.md)",
		[VC_RESULT] = "is not made of words the vocabulary knows (result, negation and variant words, methods; "
		              "rules/vocabulary/*.yaml, docs/vocabulary.md)",
		[VC_BIOMARKER] = "names no marker of the vocabulary (a name or synonym in rules/vocabulary/markers.yaml, "
		                 "alone or with result words: docs/vocabulary.md)",
		[VC_LAB] = "names no lab of the vocabulary (a name or synonym in rules/vocabulary/labs.yaml or a "
		           "language's labs:, docs/vocabulary.md)",
	};
	void *it = NULL;

	if (!l->vocab)
		return;
	for (size_t i = 0; i < n; i++) {
		struct fy_node *item = kv->value && fy_node_is_sequence(kv->value) ?
		                       fy_node_sequence_iterate(kv->value, &it) : kv->value;
		if (vocab_knows(l->vocab, v[i], how))
			continue;
		err_node(l, item, kv->kpos, "\"%s\" %s", v[i], what[how]);
	}
}

bool in_strv(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static void type_push_rule(struct rule_type *t, struct rule *r)
{
	t->rules = xrealloc(t->rules, (t->n_rules + 1) * sizeof(*t->rules));
	t->rules[t->n_rules++] = r;
	t->n_by_severity[r->severity]++;
}

/* Effective rule list: included fragments' rules (minus excluded), then own. */
static int resolve_type(struct loader *l, struct type_ctx *tc)
{
	struct rule_type *t = tc->t;
	char **inc = NULL, **exc = NULL;
	size_t n_inc = 0, n_exc = 0;
	int ret = 0;

	if (tc->include.key && get_strv(l, &tc->include, &inc, &n_inc) < 0)
		ret = -EINVAL;
	if (tc->exclude.key && get_strv(l, &tc->exclude, &exc, &n_exc) < 0)
		ret = -EINVAL;
	if (t->fragment && n_inc) {
		err_at(l, tc->include.kpos, "a fragment cannot include other files");
		ret = -EINVAL;
	}
	for (size_t i = 0; i < n_inc && !t->fragment; i++) {
		struct rule_type *f = find_type_any(l->rs, inc[i]);
		if (!f || !f->fragment) {
			err_node(l, tc->include.value, tc->include.kpos, "unknown include \"%s\" (no fragment with that id)", inc[i]);
			ret = -EINVAL;
			continue;
		}
		if (in_strv(inc, i, inc[i]))
			continue;
		if (strcmp(f->id, "baseline") == 0)
			tc->has_baseline = true;
		for (size_t j = 0; j < f->n_own; j++)
			if (!in_strv(exc, n_exc, f->own[j]->id))
				type_push_rule(t, f->own[j]);
	}
	for (size_t i = 0; i < n_exc; i++) {
		bool found = false;
		for (size_t j = 0; j < n_inc && !found; j++) {
			struct rule_type *f = find_type_any(l->rs, inc[j]);
			if (!f || !f->fragment)
				continue;
			for (size_t k = 0; k < f->n_own; k++)
				if (strcmp(f->own[k]->id, exc[i]) == 0)
					found = true;
		}
		if (!found) {
			err_node(l, tc->exclude.value, tc->exclude.kpos,
			         "exclude \"%s\" is not a rule of an included fragment", exc[i]);
			ret = -EINVAL;
		}
	}
	if (!t->fragment && !tc->has_baseline && ret == 0) {
		err_at(l, tc->root_pos, "cancer type \"%s\" must include the baseline fragment (include: [baseline])", t->id);
		ret = -EINVAL;
	}
	for (size_t i = 0; i < t->n_own; i++)
		type_push_rule(t, t->own[i]);
	strv_free(inc, n_inc);
	strv_free(exc, n_exc);
	return ret;
}

static int load_type(struct loader *l, struct pending *p)
{
	struct fy_node *root = fy_document_root(p->doc);
	struct type_ctx tc = { .t = xcalloc(1, sizeof(struct rule_type)), .expect_id = p->expect_id };
	struct kv rkv = { "the top level", root, { 1, 1 } };
	int r;

	tc.root_pos = node_pos(root, (struct pos){ 1, 1 });
	tc.t->file = p->path;
	tc.t->fragment = p->what == P_FRAGMENT;
	tc.t->blocking = true;
	r = walk_map(l, &rkv, "the top level", type_kv, &tc);
	if (!tc.has_id) {
		err_at(l, tc.root_pos, "no \"id\" (expected id: %s)", p->expect_id);
		r = -EINVAL;
	}
	if (!tc.has_name && !tc.t->fragment) {
		err_at(l, tc.root_pos, "no \"name\"");
		r = -EINVAL;
	}
	if (!tc.has_rules && tc.t->fragment) {
		err_at(l, tc.root_pos, "a fragment needs \"rules\"");
		r = -EINVAL;
	}
	if (!tc.t->id || find_type_any(l->rs, tc.t->id)) {
		if (tc.t->id)
			err_at(l, tc.root_pos, "duplicate id \"%s\"", tc.t->id);
		/* Still check the rules, to report all errors at once. */
		if (tc.has_rules && tc.t->id) {
			(void)parse_rules(l, tc.t, &tc.rules);
			l->rs->n_rules -= tc.t->n_own;
		}
		type_free(tc.t);
		return -EINVAL;
	}
	if (tc.has_rules && parse_rules(l, tc.t, &tc.rules) < 0)
		r = -EINVAL;
	if (resolve_type(l, &tc) < 0)
		r = -EINVAL;
	/* Keep the type even with errors in its rules: later lookups (includes,
	 * duplicate ids) then give one error each, not a cascade. */
	l->rs->types = xrealloc(l->rs->types, (l->rs->n_types + 1) * sizeof(*l->rs->types));
	l->rs->types[l->rs->n_types++] = tc.t;
	return r;
}

/* A parsed file, in the pass its kind belongs to (nothing for P_BAD). */
void load_pending(struct loader *l, struct pending *p)
{
	if (p->what == P_DICT) {
		struct kv kv = { "the top level", fy_document_root(p->doc), { 1, 1 } };
		(void)walk_map(l, &kv, "the top level", dict_kv, NULL);
	} else if (p->what == P_FRAGMENT || p->what == P_TYPE) {
		(void)load_type(l, p);
	}
}
