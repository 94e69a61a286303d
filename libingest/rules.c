/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rules loader: the rules/ folder -> struct ruleset, with every validation
 * error reported as FILE:LINE:COL (1-based) and collected, not only the first.
 *
 * Files are read in three passes so that references resolve regardless of
 * file names: the dictionaries (a root with `biomarkers:` or `labs:`), then
 * fragments (`fragment: true`, e.g. _baseline.yaml), then cancer types, which
 * include fragments. libfyaml's document API has no public position for a
 * mapping or sequence node, so such nodes are located by their first scalar
 * (or by the key that holds them).
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <libfyaml.h>

#include "rules.h"
#include "util/yaml.h"
#include "model.h"

_Static_assert(_KIND_MAX <= 32, "document kinds must fit a uint32_t mask");

/* ---- names ---- */

static const char *const severity_names[] = {
	[RULE_SEV_NONE] = "none",
	[RULE_SEV_INFO] = "info",
	[RULE_SEV_WARNING] = "warning",
	[RULE_SEV_RECOMMENDED] = "recommended",
	[RULE_SEV_REQUIRED] = "required",
};

const char *rule_severity_name(enum rule_severity s)
{
	return (unsigned)s < ARRAY_SIZE(severity_names) ? severity_names[s] : "none";
}

int rule_severity_from_string(const char *s)
{
	for (unsigned i = RULE_SEV_INFO; i < ARRAY_SIZE(severity_names); i++)
		if (strcmp(s, severity_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

static const char *const setting_names[_RULE_SETTING_MAX] = {
	[RULE_SETTING_UNKNOWN] = "unknown",
	[RULE_SETTING_EARLY] = "early",
	[RULE_SETTING_LOCALLY_ADVANCED] = "locally-advanced",
	[RULE_SETTING_METASTATIC] = "metastatic",
	[RULE_SETTING_RECURRENT] = "recurrent",
};

const char *rule_setting_name(enum rule_setting s)
{
	return (unsigned)s < _RULE_SETTING_MAX ? setting_names[s] : "unknown";
}

int rule_setting_from_string(const char *s)
{
	for (unsigned i = RULE_SETTING_EARLY; i < _RULE_SETTING_MAX; i++)
		if (strcmp(s, setting_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *rule_req_name(enum rule_req r)
{
	switch (r) {
	case RULE_REQ_DOCUMENT: return "document";
	case RULE_REQ_BIOMARKER: return "biomarker";
	case RULE_REQ_IMAGING: return "imaging";
	case RULE_REQ_LAB: return "lab";
	case RULE_REQ_QUESTION: return "question";
	}
	return "none";
}

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

static const struct {
	const char *name;
	uint32_t bit;
} modalities[] = {
	{ "CT", RULE_MOD_CT }, { "MR", RULE_MOD_MR }, { "PT", RULE_MOD_PT },
	{ "MG", RULE_MOD_MG }, { "US", RULE_MOD_US }, { "NM", RULE_MOD_NM },
	{ "CR", RULE_MOD_CR }, { "DX", RULE_MOD_DX }, { "SM", RULE_MOD_SM },
	{ "PX", RULE_MOD_PX }, { "XA", RULE_MOD_XA },
};

uint32_t rule_modality_bit(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(modalities); i++)
		if (strcasecmp(name, modalities[i].name) == 0)
			return modalities[i].bit;
	return 0;
}

/* Atomic region bits. */
enum {
	R_CHEST = 1u << 0, R_ABDOMEN = 1u << 1, R_PELVIS = 1u << 2, R_HEAD = 1u << 3,
	R_BRAIN = 1u << 4, R_NECK = 1u << 5, R_BREAST = 1u << 6, R_LIVER = 1u << 7,
	R_PANCREAS = 1u << 8, R_KIDNEY = 1u << 9, R_PROSTATE = 1u << 10, R_BLADDER = 1u << 11,
	R_CSPINE = 1u << 12, R_TSPINE = 1u << 13, R_LSPINE = 1u << 14, R_EXTREMITY = 1u << 15,
	R_WHOLEBODY = 1u << 16,
	R_ALL = (1u << 17) - 1,
};

/* CHECKLISTS §0.4 body parts: what a rule needs, what a study covers. */
static const struct {
	const char *name;
	uint32_t need, covers;
} regions[] = {
	{ "CHEST", R_CHEST, R_CHEST | R_BREAST | R_TSPINE },
	{ "ABDOMEN", R_ABDOMEN, R_ABDOMEN | R_LIVER | R_PANCREAS | R_KIDNEY },
	{ "PELVIS", R_PELVIS, R_PELVIS | R_PROSTATE | R_BLADDER },
	{ "ABDOMENPELVIS", R_ABDOMEN | R_PELVIS,
	  R_ABDOMEN | R_PELVIS | R_LIVER | R_PANCREAS | R_KIDNEY | R_PROSTATE | R_BLADDER | R_LSPINE },
	{ "CHESTABDOMEN", R_CHEST | R_ABDOMEN,
	  R_CHEST | R_ABDOMEN | R_BREAST | R_LIVER | R_PANCREAS | R_KIDNEY | R_TSPINE },
	{ "CHESTABDPELVIS", R_CHEST | R_ABDOMEN | R_PELVIS,
	  R_CHEST | R_ABDOMEN | R_PELVIS | R_BREAST | R_LIVER | R_PANCREAS | R_KIDNEY |
	  R_PROSTATE | R_BLADDER | R_TSPINE | R_LSPINE },
	{ "HEAD", R_HEAD, R_HEAD | R_BRAIN },
	{ "BRAIN", R_BRAIN, R_BRAIN },
	{ "NECK", R_NECK, R_NECK | R_CSPINE },
	{ "HEADNECK", R_HEAD | R_NECK, R_HEAD | R_NECK | R_BRAIN | R_CSPINE },
	{ "BREAST", R_BREAST, R_BREAST },
	{ "LIVER", R_LIVER, R_LIVER },
	{ "PANCREAS", R_PANCREAS, R_PANCREAS },
	{ "KIDNEY", R_KIDNEY, R_KIDNEY },
	{ "PROSTATE", R_PROSTATE, R_PROSTATE },
	{ "BLADDER", R_BLADDER, R_BLADDER },
	{ "CSPINE", R_CSPINE, R_CSPINE },
	{ "TSPINE", R_TSPINE, R_TSPINE },
	{ "LSPINE", R_LSPINE, R_LSPINE },
	{ "SPINE", R_CSPINE | R_TSPINE | R_LSPINE, R_CSPINE | R_TSPINE | R_LSPINE },
	{ "EXTREMITY", R_EXTREMITY, R_EXTREMITY },
	{ "WHOLEBODY", R_WHOLEBODY, R_ALL },
};

static bool region_name_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '_')
			a++;
		if (!*a || !*b)
			return !*a && !*b;
		if (toupper((unsigned char)*a) != *b)
			return false;
		a++, b++;
	}
}

uint32_t rule_region_need_mask(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
		if (region_name_eq(name, regions[i].name))
			return regions[i].need;
	return 0;
}

uint32_t rule_region_study_mask(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
		if (region_name_eq(name, regions[i].name))
			return regions[i].covers;
	return 0;
}

/* ---- matching ---- */

/* Characters ignored when matching terms (CHECKLISTS §0.2). */
static bool is_ignored(unsigned char c)
{
	return c == ' ' || c == '-' || c == '/' || c == ':' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '_';
}

static bool is_word(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Does TERM match TEXT at I? Returns the end offset, or 0. */
static size_t match_at(const char *text, size_t len, size_t i, const char *term)
{
	const unsigned char *t = (const unsigned char *)term;
	while (*t) {
		if (is_ignored(*t)) {
			t++;
			continue;
		}
		while (i < len && is_ignored((unsigned char)text[i]))
			i++;
		if (i >= len || tolower((unsigned char)text[i]) != tolower(*t))
			return 0;
		i++, t++;
	}
	return i;
}

bool rule_text_matches(const char *text, size_t len, const char *term)
{
	const unsigned char *t0 = (const unsigned char *)term;
	while (*t0 && is_ignored(*t0))
		t0++;
	if (!*t0 || !text)
		return false;
	for (size_t i = 0; i < len; i++) {
		size_t end;
		if (tolower((unsigned char)text[i]) != tolower(*t0))
			continue;
		/* Word boundaries matter only where the term itself starts/ends with a word character. */
		if (i > 0 && is_word(*t0) && is_word((unsigned char)text[i - 1]))
			continue;
		end = match_at(text, len, i, (const char *)t0);
		if (!end)
			continue;
		if (end < len && is_word((unsigned char)text[end - 1]) && is_word((unsigned char)text[end]))
			continue;
		return true;
	}
	return false;
}

bool rule_term_matches(const struct rule_term *t, const char *text, size_t len)
{
	if (rule_text_matches(text, len, t->name))
		return true;
	for (size_t i = 0; i < t->n_synonyms; i++)
		if (rule_text_matches(text, len, t->synonyms[i]))
			return true;
	return false;
}

/* "C50.9" -> letter 'C', category 50, rest ".9"; NULL-safe, tolerant of "C509". */
static bool icd_parse(const char *s, char *letter, int *cat, const char **rest)
{
	if (!isalpha((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
		return false;
	*letter = (char)toupper((unsigned char)s[0]);
	*cat = (s[1] - '0') * 10 + (s[2] - '0');
	*rest = s + 3;
	return true;
}

bool rule_type_matches_icd10(const struct rule_type *t, const char *code)
{
	char cl, pl, el;
	int cc, pc, ec;
	const char *crest, *prest, *erest;

	if (!code || !icd_parse(code, &cl, &cc, &crest))
		return false;
	for (size_t i = 0; i < t->n_icd10; i++) {
		const char *p = t->icd10[i];
		const char *dash = strchr(p, '-');
		if (!icd_parse(p, &pl, &pc, &prest))
			continue;
		if (dash) {
			if (!icd_parse(dash + 1, &el, &ec, &erest))
				continue;
			if (cl == pl && cc >= pc && cc <= ec)
				return true;
			continue;
		}
		if (cl != pl || cc != pc)
			continue;
		/* "C22.0" matches "C22.0x" and "C220x"; "C22" matches any C22. */
		if (*prest == '.')
			prest++;
		if (*crest == '.')
			crest++;
		if (strncasecmp(crest, prest, strlen(prest)) == 0)
			return true;
	}
	return false;
}

/* ---- evaluation helpers ---- */

static bool rule_depends_on_setting(const struct rule *r)
{
	if (r->settings)
		return true;
	for (int s = 0; s < _RULE_SETTING_MAX; s++)
		if (r->by_setting[s] != RULE_SEV_NONE)
			return true;
	return false;
}

enum rule_severity rule_effective_severity_settled(const struct rule_type *t, const struct rule *r,
                                                   enum rule_setting setting, enum rule_cond_state cs,
                                                   bool *conditional)
{
	enum rule_severity sev = r->severity;
	bool known = setting > RULE_SETTING_UNKNOWN && setting < _RULE_SETTING_MAX;
	bool open = r->condition != NULL && cs == RULE_COND_UNKNOWN;

	if (conditional)
		*conditional = open;
	if (known && r->settings && !(r->settings & (1u << setting)))
		return RULE_SEV_NONE;
	if (r->condition && cs == RULE_COND_FAILS)
		return RULE_SEV_NONE;
	if (known && r->by_setting[setting] != RULE_SEV_NONE)
		sev = r->by_setting[setting];
	if (sev == RULE_SEV_REQUIRED) {
		if ((!known && rule_depends_on_setting(r)) || open || r->uncertain ||
		    (t && !t->blocking))
			sev = RULE_SEV_RECOMMENDED;
	}
	return sev;
}

enum rule_severity rule_effective_severity(const struct rule_type *t, const struct rule *r,
                                           enum rule_setting setting, bool *conditional)
{
	return rule_effective_severity_settled(t, r, setting, RULE_COND_UNKNOWN, conditional);
}

/* Length of the longest word of V found in TEXT (rule_text_matches()), 0 if none. */
static size_t longest_match(char *const *v, size_t n, const char *text)
{
	size_t best = 0, len = strlen(text);
	for (size_t i = 0; i < n; i++)
		if (rule_text_matches(text, len, v[i]) && strlen(v[i]) > best)
			best = strlen(v[i]);
	return best;
}

enum rule_cond_state rule_marker_result(const struct rule_marker_test *mt, const char *result)
{
	if (!mt || !result || !*result)
		return RULE_COND_UNKNOWN;
	size_t h = longest_match(mt->holds, mt->n_holds, result);
	size_t f = longest_match(mt->fails, mt->n_fails, result);
	if (h > f)
		return RULE_COND_HOLDS;
	if (f > h)
		return RULE_COND_FAILS;
	return RULE_COND_UNKNOWN;
}

int rule_max_age_days(const struct rule_type *t, const struct rule *r, enum rule_setting setting)
{
	if (r->max_age_days > 0)
		return r->max_age_days;
	if (!t)
		return 0;
	if (r->req == RULE_REQ_LAB)
		return t->max_age_lab;
	if (r->req != RULE_REQ_IMAGING)
		return 0;
	if (setting > RULE_SETTING_UNKNOWN && setting < _RULE_SETTING_MAX &&
	    t->max_age_by_setting[setting] > 0)
		return t->max_age_by_setting[setting];
	return t->max_age_imaging;
}

/* ---- freeing ---- */

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void term_free(struct rule_term *t)
{
	if (!t)
		return;
	free(t->name);
	strv_free(t->synonyms, t->n_synonyms);
	free(t->note);
	free(t);
}

static void study_free_contents(struct rule_study *s)
{
	strv_free(s->keywords, s->n_keywords);
	strv_free(s->tracers, s->n_tracers);
}

static void rule_free(struct rule *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->condition);
	for (size_t i = 0; i < r->n_cond_markers; i++) {
		free(r->cond_markers[i].terms);
		strv_free(r->cond_markers[i].holds, r->cond_markers[i].n_holds);
		strv_free(r->cond_markers[i].fails, r->cond_markers[i].n_fails);
	}
	free(r->cond_markers);
	free(r->message);
	free(r->note);
	strv_free(r->keywords, r->n_keywords);
	free(r->terms);
	for (size_t i = 0; i < r->n_options; i++) {
		for (size_t j = 0; j < r->options[i].n_studies; j++)
			study_free_contents(&r->options[i].studies[j]);
		free(r->options[i].studies);
	}
	free(r->options);
	free(r);
}

static void type_free(struct rule_type *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->name);
	strv_free(t->icd10, t->n_icd10);
	strv_free(t->keywords, t->n_keywords);
	strv_free(t->urgent_terms, t->n_urgent_terms);
	free(t->notes);
	for (size_t i = 0; i < t->n_own; i++)
		rule_free(t->own[i]);
	free(t->own);
	free(t->rules);
	free(t);
}

struct ruleset *ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return NULL;
	for (size_t i = 0; i < rs->n_types; i++)
		type_free(rs->types[i]);
	free(rs->types);
	for (size_t i = 0; i < rs->n_biomarkers; i++)
		term_free(rs->biomarkers[i]);
	free(rs->biomarkers);
	for (size_t i = 0; i < rs->n_labs; i++)
		term_free(rs->labs[i]);
	free(rs->labs);
	strv_free(rs->files, rs->n_files);
	free(rs->dir);
	free(rs);
	return NULL;
}

/* ---- lookups ---- */

static struct rule_type *find_type_any(const struct ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n_types; i++)
		if (strcmp(rs->types[i]->id, id) == 0)
			return rs->types[i];
	return NULL;
}

const struct rule_type *ruleset_find_type(const struct ruleset *rs, const char *id)
{
	const struct rule_type *t = find_type_any(rs, id);
	return t && !t->fragment ? t : NULL;
}

static struct rule *find_rule(const struct ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n_types; i++)
		for (size_t j = 0; j < rs->types[i]->n_own; j++)
			if (strcmp(rs->types[i]->own[j]->id, id) == 0)
				return rs->types[i]->own[j];
	return NULL;
}

const struct rule *ruleset_find_rule(const struct ruleset *rs, const char *id)
{
	return find_rule(rs, id);
}

static const struct rule_term *find_term(struct rule_term *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i]->name, name) == 0)
			return v[i];
	return NULL;
}

const struct rule_term *ruleset_find_biomarker(const struct ruleset *rs, const char *name)
{
	return find_term(rs->biomarkers, rs->n_biomarkers, name);
}

const struct rule_term *ruleset_find_lab(const struct ruleset *rs, const char *name)
{
	return find_term(rs->labs, rs->n_labs, name);
}

size_t ruleset_n_cancer_types(const struct ruleset *rs)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->n_types; i++)
		n += !rs->types[i]->fragment;
	return n;
}

const struct rule_type *ruleset_cancer_type(const struct ruleset *rs, size_t idx)
{
	for (size_t i = 0; i < rs->n_types; i++) {
		if (rs->types[i]->fragment)
			continue;
		if (idx-- == 0)
			return rs->types[i];
	}
	return NULL;
}

void ruleset_size(const struct ruleset *rs, size_t *files, size_t *rules)
{
	*files = rs->n_files;
	*rules = rs->n_rules;
}

void ruleset_type_summary(const struct ruleset *rs, size_t i, struct ruleset_type_summary *out)
{
	const struct rule_type *t = ruleset_cancer_type(rs, i);
	*out = (struct ruleset_type_summary){ 0 };
	if (!t)
		return;
	out->id = t->id;
	out->name = t->name;
	out->rules = t->n_rules;
	out->required = t->n_by_severity[RULE_SEV_REQUIRED];
	out->recommended = t->n_by_severity[RULE_SEV_RECOMMENDED];
}

/* ---- loading ---- */

struct loader {
	struct ruleset *rs;
	struct strbuf *errors;
	unsigned n_errors;
	const char *file;           /* the file being checked (owned by rs->files) */
};

struct pos {
	int line, col;              /* 1-based */
};

/* A node's position: scalars have a token; collections are located by their
 * first scalar; empty ones (and NULL) by FALLBACK. */
static struct pos node_pos(struct fy_node *n, struct pos fallback)
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

static void err_at(struct loader *l, struct pos p, const char *fmt, ...) ING_PRINTF(3, 4);
static void err_at(struct loader *l, struct pos p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(l, p, fmt, ap);
	va_end(ap);
}

/* Error at node N, or at FALLBACK if N has no position of its own. */
static void err(struct loader *l, struct fy_node *n, struct pos fallback, const char *fmt, ...) ING_PRINTF(4, 5);
static void err(struct loader *l, struct fy_node *n, struct pos fallback, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(l, node_pos(n, fallback), fmt, ap);
	va_end(ap);
}

/* A key/value pair while walking a mapping. */
struct kv {
	const char *key;
	struct fy_node *value;
	struct pos kpos;            /* position of the key */
};

/* Reads a scalar into *OUT (malloc'd). Errors name WHAT. */
static int get_str(struct loader *l, const struct kv *kv, char **out)
{
	const char *s;
	size_t len;

	if (!kv->value) {
		err_at(l, kv->kpos, "\"%s\" has no value", kv->key);
		return -EINVAL;
	}
	if (!fy_node_is_scalar(kv->value) || fy_node_is_alias(kv->value)) {
		err(l, kv->value, kv->kpos, "\"%s\" must be %s", kv->key,
		    fy_node_is_alias(kv->value) ? "a plain value, not an alias" : "a single value (a string)");
		return -EINVAL;
	}
	s = fy_node_get_scalar(kv->value, &len);
	if (!s || len == 0) {
		err(l, kv->value, kv->kpos, "\"%s\" is empty", kv->key);
		return -EINVAL;
	}
	if (len > RULES_MAX_STRING) {
		err(l, kv->value, kv->kpos, "\"%s\" is longer than %u bytes", kv->key, RULES_MAX_STRING);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			err(l, kv->value, kv->kpos, "\"%s\" contains a control character", kv->key);
			return -EINVAL;
		}
	}
	*out = xstrndup(s, len);
	return 0;
}

static struct kv item_kv(const struct kv *parent, struct fy_node *item)
{
	return (struct kv){ parent->key, item, node_pos(item, parent->kpos) };
}

/* A list of strings; a single scalar counts as a one-item list. */
static int get_strv(struct loader *l, const struct kv *kv, char ***out, size_t *n_out)
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
		err(l, kv->value, kv->kpos, "\"%s\" must be a list of strings", kv->key);
		return -EINVAL;
	}
	if (fy_node_sequence_item_count(kv->value) > RULES_MAX_LIST) {
		err(l, kv->value, kv->kpos, "\"%s\" has more than %u items", kv->key, RULES_MAX_LIST);
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

static int get_bool(struct loader *l, const struct kv *kv, bool *out)
{
	_cleanup_free_ char *s = NULL;

	if (get_str(l, kv, &s) < 0)
		return -EINVAL;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		*out = false;
	else {
		err(l, kv->value, kv->kpos, "\"%s\" must be true or false, not \"%s\"", kv->key, s);
		return -EINVAL;
	}
	return 0;
}

static int get_int(struct loader *l, const struct kv *kv, int min, int max, int *out)
{
	_cleanup_free_ char *s = NULL;
	char *end;
	long v;

	if (get_str(l, kv, &s) < 0)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		err(l, kv->value, kv->kpos, "\"%s\" must be a whole number from %d to %d, not \"%s\"",
		    kv->key, min, max, s);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* Walks a mapping: calls FN for each pair; unknown keys are FN's to report. */
typedef int (*kv_fn)(struct loader *l, const struct kv *kv, void *userdata);

static int walk_map(struct loader *l, const struct kv *kv, const char *what, kv_fn fn, void *userdata)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int r = 0;

	if (!kv->value || !fy_node_is_mapping(kv->value)) {
		err(l, kv->value, kv->kpos, "%s must be a mapping (key: value)", what);
		return -EINVAL;
	}
	while ((p = fy_node_mapping_iterate(kv->value, &it))) {
		struct fy_node *k = fy_node_pair_key(p);
		struct kv ckv;
		const char *ks;
		size_t klen;

		if (!k || !fy_node_is_scalar(k) || fy_node_is_alias(k)) {
			err(l, k, kv->kpos, "keys in %s must be plain words", what);
			r = -EINVAL;
			continue;
		}
		ks = fy_node_get_scalar(k, &klen);
		if (!ks || klen == 0 || klen > 64 || memchr(ks, 0, klen)) {
			err(l, k, kv->kpos, "keys in %s must be plain words", what);
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

static int unknown_key(struct loader *l, const struct kv *kv, const char *where, const char *expected)
{
	err_at(l, kv->kpos, "unknown key \"%s\" in %s (expected one of: %s)", kv->key, where, expected);
	return -EINVAL;
}

static bool valid_id(const char *s, bool dots)
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
};

static int term_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct term_ctx *tc = userdata;

	if (strcmp(kv->key, "name") == 0) {
		if (get_str(l, kv, &tc->t->name) < 0)
			return -EINVAL;
		tc->has_name = true;
		return 0;
	}
	if (strcmp(kv->key, "synonyms") == 0)
		return get_strv(l, kv, &tc->t->synonyms, &tc->t->n_synonyms);
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
		err(l, kv->value, kv->kpos, "\"%s\" must be a list of entries", kv->key);
		return -EINVAL;
	}
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		struct term_ctx tc = { .t = xcalloc(1, sizeof(struct rule_term)) };

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

/* --- rules --- */

struct rule_ctx {
	struct rule *r;
	struct rule_type *t;
	struct pos pos;
	unsigned n_reqs;
	bool has_severity;
	bool has_terms;             /* name, all_of or any_of was given */
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
			err(l, list_item(kv, i), kv->kpos,
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
			err(l, list_item(kv, i), kv->kpos, "unknown biomarker \"%s\" (not in _biomarkers.yaml)", v[i]);
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
		return get_strv(l, kv, &mc->mt->holds, &mc->mt->n_holds);
	}
	if (strcmp(kv->key, "fails") == 0) {
		if (mc->mt->fails) {
			err_at(l, kv->kpos, "\"fails\" is given twice");
			return -EINVAL;
		}
		return get_strv(l, kv, &mc->mt->fails, &mc->mt->n_fails);
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
	rc->r->cond_markers = xrealloc(rc->r->cond_markers, (rc->r->n_cond_markers + 1) * sizeof(mt));
	rc->r->cond_markers[rc->r->n_cond_markers++] = mt;
	return 0;
}

static int when_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct rule_ctx *rc = userdata;

	if (strcmp(kv->key, "setting") == 0)
		return settings_from(l, kv, &rc->r->settings);
	if (strcmp(kv->key, "condition") == 0)
		return get_str(l, kv, &rc->r->condition);
	if (strcmp(kv->key, "marker") == 0)
		return parse_marker_test(l, rc, kv);
	if (strcmp(kv->key, "markers") == 0) {
		void *it = NULL;
		struct fy_node *item;
		int ret = 0;
		if (!kv->value || !fy_node_is_sequence(kv->value) || fy_node_sequence_item_count(kv->value) < 1) {
			err(l, kv->value, kv->kpos, "\"markers\" must be a list of marker tests");
			return -EINVAL;
		}
		while ((item = fy_node_sequence_iterate(kv->value, &it))) {
			struct kv ikv = item_kv(kv, item);
			if (parse_marker_test(l, rc, &ikv) < 0)
				ret = -EINVAL;
		}
		return ret;
	}
	return unknown_key(l, kv, "\"when\"", "setting, condition, marker, markers");
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
		err(l, kv->value, kv->kpos, "unknown severity \"%s\" (expected required, recommended, warning or info)", sev);
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
			err(l, item ? item : kv->value, kv->kpos, "unknown document kind \"%s\" (see SPEC §4 file kinds)", v[i]);
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
			err(l, item ? item : kv->value, kv->kpos, "unknown %s \"%s\" (not in %s)",
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
	if (strcmp(kv->key, "keywords") == 0)
		return get_strv(l, kv, &rc->r->keywords, &rc->r->n_keywords);
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
				err(l, list_item(kv, i), kv->kpos, mod ?
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
	if (strcmp(kv->key, "keywords") == 0)
		return get_strv(l, kv, &s->keywords, &s->n_keywords);
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
		err(l, kv->value, kv->kpos, "an imaging study needs \"modalities\"");
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
		err(l, kv->value, kv->kpos, "each item of \"any_of\" must be a study or {all_of: [studies]}");
		return -EINVAL;
	}
	all = fy_node_mapping_lookup_by_string(kv->value, "all_of", (size_t)-1);
	if (!all)
		return parse_study(l, kv, rule_add_option(r));
	if (fy_node_mapping_item_count(kv->value) != 1) {
		err(l, kv->value, kv->kpos, "an option with \"all_of\" may hold nothing else");
		return -EINVAL;
	}
	if (!fy_node_is_sequence(all) || fy_node_sequence_item_count(all) < 1 ||
	    fy_node_sequence_item_count(all) > RULES_MAX_LIST) {
		err(l, all, kv->kpos, "\"all_of\" must be a list of imaging studies");
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
			err(l, kv->value, kv->kpos, "\"any_of\" must be a list of imaging options");
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
			err(l, kv->value, kv->kpos, "rule id \"%s\" must be \"%s.\" followed by lower-case letters, digits, '-' or '.'",
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
			err(l, kv->value, kv->kpos, "unknown severity \"%s\" (expected required, recommended, warning or info)", s);
			return -EINVAL;
		}
		r->severity = (enum rule_severity)v;
		return 0;
	}
	if (strcmp(kv->key, "severity_by_setting") == 0)
		return walk_map(l, kv, "\"severity_by_setting\"", by_setting_kv, rc);
	if (strcmp(kv->key, "when") == 0) {
		int k = walk_map(l, kv, "\"when\"", when_kv, rc);
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
		                   "id, severity, severity_by_setting, when, uncertain, message, note, "
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

static int parse_rules(struct loader *l, struct rule_type *t, const struct kv *kv)
{
	void *it = NULL;
	struct fy_node *item;
	int ret = 0;

	if (!kv->value || !fy_node_is_sequence(kv->value)) {
		err(l, kv->value, kv->kpos, "\"rules\" must be a list of rules");
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
	return ret;
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
				err(l, item, kv->kpos, "invalid ICD-10 code or range \"%s\" (e.g. C50, C22.0, C18-C20)",
				    t->icd10[i]);
				r = -EINVAL;
			}
		}
		return r;
	}
	if (strcmp(kv->key, "keywords") == 0)
		return get_strv(l, kv, &t->keywords, &t->n_keywords);
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
			err(l, kv->value, kv->kpos, "id \"%s\" must be lower-case letters, digits and '-'", t->id);
			return -EINVAL;
		}
		if (strcmp(t->id, tc->expect_id) != 0) {
			err(l, kv->value, kv->kpos, "id \"%s\" does not match the file name (expected \"%s\")",
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

static bool in_strv(char **v, size_t n, const char *s)
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
			err(l, tc->include.value, tc->include.kpos, "unknown include \"%s\" (no fragment with that id)", inc[i]);
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
			err(l, tc->exclude.value, tc->exclude.kpos,
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

/* One parsed file waiting for its pass. */
struct pending {
	char *path;                 /* owned by rs->files */
	char *buf;
	struct fy_document *doc;
	enum { P_BAD, P_DICT, P_FRAGMENT, P_TYPE } what;
	char expect_id[RULES_MAX_ID + 1];
};

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

static void diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
}

/* Reads and parses one file; YAML errors are reported with libfyaml's position. */
static int parse_text(struct loader *l, struct pending *p, const char *text, size_t len);

static int parse_file(struct loader *l, struct pending *p)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;

	fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err_at(l, (struct pos){ 1, 1 }, "cannot read: %s", strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode)) {
		err_at(l, (struct pos){ 1, 1 }, "not a regular file");
		return -EINVAL;
	}
	if (st.st_size > (off_t)RULES_MAX_FILE_BYTES) {
		err_at(l, (struct pos){ 1, 1 }, "larger than %u bytes", RULES_MAX_FILE_BYTES);
		return -EINVAL;
	}
	/* The buffer is the file's size (plus one byte, to see it grow while it
	 * is read); it grows, up to the cap, only for a file that does. */
	size_t cap = (size_t)st.st_size + 1;
	p->buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > RULES_MAX_FILE_BYTES) {
				err_at(l, (struct pos){ 1, 1 }, "larger than %u bytes", RULES_MAX_FILE_BYTES);
				return -EINVAL;
			}
			cap = MIN(cap * 2, (size_t)RULES_MAX_FILE_BYTES + 1);
			p->buf = xrealloc(p->buf, cap + 1);
		}
		ssize_t n = read(fd, p->buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_at(l, (struct pos){ 1, 1 }, "cannot read: %s", strerror(errno));
			return -EINVAL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > RULES_MAX_FILE_BYTES) {
		err_at(l, (struct pos){ 1, 1 }, "larger than %u bytes", RULES_MAX_FILE_BYTES);
		return -EINVAL;
	}
	p->buf[len] = 0;
	return parse_text(l, p, p->buf, len);
}

/* Parses TEXT (LEN bytes, which outlive p->doc) as P's rules file. */
static int parse_text(struct loader *l, struct pending *p, const char *text, size_t len)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag;
	struct fy_parse_cfg pcfg;
	int r = 0;

	if (len > RULES_MAX_FILE_BYTES) {
		err_at(l, (struct pos){ 1, 1 }, "larger than %u bytes", RULES_MAX_FILE_BYTES);
		return -EINVAL;
	}
	if (memchr(text, 0, len)) {
		err_at(l, (struct pos){ 1, 1 }, "not a text file (contains NUL bytes)");
		return -EINVAL;
	}
	struct pos bad;
	if (!yaml_text_is_utf8(text, len, &bad.line, &bad.col)) {
		err_at(l, bad, "not UTF-8 text (save the file as UTF-8)");
		return -EINVAL;
	}

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_discard;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (!diag)
		return -ENOMEM;
	fy_diag_set_collect_errors(diag, true);
	pcfg = (struct fy_parse_cfg){ .flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2, .diag = diag };
	p->doc = fy_document_build_from_string(&pcfg, text, len);
	if (!p->doc) {
		void *it = NULL;
		struct fy_diag_error *e;
		bool any = false;
		while ((e = fy_diag_errors_iterate(diag, &it))) {
			if (e->type < FYET_ERROR)
				continue;
			err_at(l, (struct pos){ e->line > 0 ? e->line : 1, e->column > 0 ? e->column : 1 },
			       "invalid YAML: %s", e->msg ? e->msg : "parse error");
			any = true;
			break;  /* the first parse error; later ones are usually consequences */
		}
		if (!any) {
			bool blank = true;
			for (size_t i = 0; i < len && blank; i++)
				blank = isspace((unsigned char)text[i]) != 0;
			err_at(l, (struct pos){ 1, 1 }, blank ? "empty rules file" : "invalid YAML");
		}
		r = -EINVAL;
	} else if (!fy_document_root(p->doc)) {
		err_at(l, (struct pos){ 1, 1 }, "empty rules file");
		r = -EINVAL;
	}
	fy_diag_destroy(diag);
	return r;
}

static void classify(struct loader *l, struct pending *p)
{
	struct fy_node *root = fy_document_root(p->doc);
	struct fy_node *frag;
	const char *base = path_basename(p->path);
	size_t n;

	if (!fy_node_is_mapping(root)) {
		err(l, root, (struct pos){ 1, 1 }, "the top level must be a mapping (key: value)");
		p->what = P_BAD;
		return;
	}
	if (fy_node_mapping_lookup_by_string(root, "biomarkers", (size_t)-1) ||
	    fy_node_mapping_lookup_by_string(root, "labs", (size_t)-1)) {
		p->what = P_DICT;
		return;
	}
	frag = fy_node_mapping_lookup_by_string(root, "fragment", (size_t)-1);
	p->what = P_TYPE;
	if (frag) {
		struct kv kv = { "fragment", frag, node_pos(frag, (struct pos){ 1, 1 }) };
		bool b = false;
		if (get_bool(l, &kv, &b) < 0) {
			p->what = P_BAD;
			return;
		}
		if (b)
			p->what = P_FRAGMENT;
	}
	/* expected id: the file name without a leading '_' and without ".yaml" */
	if (base[0] == '_')
		base++;
	n = strlen(base);
	if (n >= strlen(".yaml") && strcmp(base + n - strlen(".yaml"), ".yaml") == 0)
		n -= strlen(".yaml");
	if (n > RULES_MAX_ID)
		n = RULES_MAX_ID;
	memcpy(p->expect_id, base, n);
	p->expect_id[n] = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_type(const void *a, const void *b)
{
	return strcmp((*(struct rule_type *const *)a)->id, (*(struct rule_type *const *)b)->id);
}

/* Sorted list of DIR's *.yaml names (no hidden files). */
static int list_dir(const char *dir, char ***out, size_t *n_out, struct loader *l)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !str_has_suffix_ci(de->d_name, ".yaml") ||
		    strcmp(de->d_name + strlen(de->d_name) - 5, ".yaml") != 0)
			continue;
		if (n >= RULES_MAX_FILES) {
			l->file = dir;
			err_at(l, (struct pos){ 1, 1 }, "more than %u rules files", RULES_MAX_FILES);
			break;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*n_out = n;
	return 0;
}

/* A parsed file, in the pass its kind belongs to (nothing for P_BAD). */
static void load_pending(struct loader *l, struct pending *p)
{
	if (p->what == P_DICT) {
		struct kv kv = { "the top level", fy_document_root(p->doc), { 1, 1 } };
		(void)walk_map(l, &kv, "the top level", dict_kv, NULL);
	} else if (p->what == P_FRAGMENT || p->what == P_TYPE) {
		(void)load_type(l, p);
	}
}

static void pending_free(struct pending *p)
{
	if (p->doc)
		fy_document_destroy(p->doc);
	free(p->buf);
}

static void check_generic(struct loader *l, const char *dir)
{
	if (!find_type_any(l->rs, "generic") && l->n_errors == 0) {
		l->file = dir;
		err_at(l, (struct pos){ 1, 1 }, "no generic.yaml: the fallback cancer type is missing");
	}
}

/* Loads DIR's *.yaml files but LEAVE_OUT (a file name; may be NULL), or with
 * the file at INSTEAD (may be NULL) in its place. WHOLE: the folder must hold
 * rules files and the generic type (a base for rules_check_file() need not:
 * the file checked may be either). */
static int load_dir(const char *dir, const char *leave_out, const char *instead, bool whole,
                    struct ruleset **out, struct strbuf *errors)
{
	struct loader l = { .errors = errors };
	struct ruleset *rs;
	struct pending *files;
	char **names = NULL;
	size_t n = 0, n_files = 0;
	int r;

	r = list_dir(dir, &names, &n, &l);
	if (r < 0)
		return r;
	if (instead && !in_strv(names, n, leave_out)) {
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(leave_out);
		qsort(names, n, sizeof(*names), cmp_str);
	}
	rs = xcalloc(1, sizeof(*rs));
	rs->dir = xstrdup(dir);
	l.rs = rs;
	files = xcalloc(n ? n : 1, sizeof(*files));
	rs->files = xcalloc(n ? n : 1, sizeof(*rs->files));
	for (size_t i = 0; i < n; i++) {
		if (leave_out && strcmp(names[i], leave_out) == 0 && !instead)
			continue;
		if (leave_out && strcmp(names[i], leave_out) == 0)
			rs->files[rs->n_files++] = xstrdup(instead);
		else
			rs->files[rs->n_files++] = xasprintf("%s/%s", dir, names[i]);
		files[n_files].path = rs->files[rs->n_files - 1];
		l.file = files[n_files].path;
		if (parse_file(&l, &files[n_files]) < 0)
			files[n_files].what = P_BAD;
		else
			classify(&l, &files[n_files]);
		n_files++;
	}
	/* dictionaries, then fragments, then types */
	for (int pass = P_DICT; pass <= P_TYPE; pass++) {
		for (size_t i = 0; i < n_files; i++) {
			if ((int)files[i].what != pass)
				continue;
			l.file = files[i].path;
			load_pending(&l, &files[i]);
		}
	}
	if (whole && n == 0) {
		l.file = dir;
		err_at(&l, (struct pos){ 1, 1 }, "no *.yaml rules files in this folder");
	} else if (whole) {
		check_generic(&l, dir);
	}
	for (size_t i = 0; i < n_files; i++)
		pending_free(&files[i]);
	free(files);
	strv_free(names, n);
	if (l.n_errors) {
		ruleset_free(rs);
		return -EINVAL;
	}
	if (rs->n_types)
		qsort(rs->types, rs->n_types, sizeof(*rs->types), cmp_type);
	*out = rs;
	return 0;
}

int rules_load_dir(struct ing_ctx *ctx, const char *dir, struct ruleset **out, struct strbuf *errors)
{
	(void)ctx;  /* the caller logs; nothing here needs the context yet */
	return load_dir(dir, NULL, NULL, true, out, errors);
}

int rules_load_dir_with(struct ing_ctx *ctx, const char *dir, const char *name, const char *path,
                        struct ruleset **out, struct strbuf *errors)
{
	(void)ctx;
	return load_dir(dir, name, path, true, out, errors);
}

int rules_load_base(struct ing_ctx *ctx, const char *dir, const char *leave_out, struct ruleset **out,
                    struct strbuf *errors)
{
	(void)ctx;
	return load_dir(dir, leave_out, NULL, false, out, errors);
}

/*
 * One file against BASE: the loader works on a view of BASE (copies of its
 * arrays, pointing at its types and terms, which it only reads), adds what the
 * file defines to the view, and frees only that. The passes of load_dir() put
 * the file after every base file of its pass; BASE's files of later passes
 * (fragments and types, for a dictionary file) are loaded already, so they
 * see only BASE's dictionaries, as they would before the file existed.
 */
static int check_one(const struct ruleset *base, const char *path, const char *text, size_t len,
                     struct strbuf *errors)
{
	struct ruleset view = *base;
	struct loader l = { .errors = errors, .rs = &view };
	struct pending p = { 0 };
	char *file = xstrdup(path);
	int r;

	view.types = xmalloc((base->n_types + 1) * sizeof(*view.types));
	if (base->n_types)
		memcpy(view.types, base->types, base->n_types * sizeof(*view.types));
	view.biomarkers = xmalloc((base->n_biomarkers + 1) * sizeof(*view.biomarkers));
	if (base->n_biomarkers)
		memcpy(view.biomarkers, base->biomarkers, base->n_biomarkers * sizeof(*view.biomarkers));
	view.labs = xmalloc((base->n_labs + 1) * sizeof(*view.labs));
	if (base->n_labs)
		memcpy(view.labs, base->labs, base->n_labs * sizeof(*view.labs));
	view.files = &file;
	view.n_files = 1;
	p.path = file;
	l.file = file;

	r = text ? parse_text(&l, &p, text, len) : parse_file(&l, &p);
	if (r < 0)
		p.what = P_BAD;
	else
		classify(&l, &p);
	load_pending(&l, &p);
	check_generic(&l, base->dir ? base->dir : ".");

	pending_free(&p);
	for (size_t i = base->n_types; i < view.n_types; i++)
		type_free(view.types[i]);
	for (size_t i = base->n_biomarkers; i < view.n_biomarkers; i++)
		term_free(view.biomarkers[i]);
	for (size_t i = base->n_labs; i < view.n_labs; i++)
		term_free(view.labs[i]);
	free(view.types);
	free(view.biomarkers);
	free(view.labs);
	free(file);
	return l.n_errors ? -EINVAL : 0;
}

int rules_check_file(const struct ruleset *base, const char *path, struct strbuf *errors)
{
	return check_one(base, path, NULL, 0, errors);
}

int rules_check_text(const struct ruleset *base, const char *path, const char *text, size_t len,
                     struct strbuf *errors)
{
	return check_one(base, path, text, len, errors);
}
