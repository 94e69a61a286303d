/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What callers ask of a loaded ruleset: the names of severities, settings and
 * requirements, modality and body-region bits, term and ICD-10 matching, a
 * rule's effective severity and age limit in a setting, and lookups by id or
 * name. The loader (rules-load.c) builds the ruleset these read.
 */
#include <ctype.h>

#include "rules-loader.h"

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
	return name_index(severity_names, RULE_SEV_INFO, ARRAY_SIZE(severity_names), s);
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
	return name_index(setting_names, RULE_SETTING_EARLY, _RULE_SETTING_MAX, s);
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

static const struct {
	const char *name;
	uint32_t bit;
} modalities[] = {
	{ "CT", RULE_MOD_CT }, { "MR", RULE_MOD_MR }, { "PT", RULE_MOD_PT },
	{ "MG", RULE_MOD_MG }, { "US", RULE_MOD_US }, { "NM", RULE_MOD_NM },
	{ "CR", RULE_MOD_CR }, { "DX", RULE_MOD_DX }, { "SM", RULE_MOD_SM },
	{ "PX", RULE_MOD_PX }, { "XA", RULE_MOD_XA },
};

const char *rule_modality_code(size_t i)
{
	return i < ARRAY_SIZE(modalities) ? modalities[i].name : NULL;
}

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

bool ruleset_text_matches(const struct ruleset *rs, const char *text, size_t len, const char *term)
{
	struct vmatch m[16];
	size_t n, k = 0;

	if (!text || !term)
		return false;
	if (rule_text_matches(text, len, term))
		return true;
	if (!rs || !rs->vocab)
		return false;
	/* the entries the whole term is; a concept, when it is one, decides alone */
	n = vocab_lookup_phrase(rs->vocab, term, 0, m, 16);
	for (size_t i = 0; i < n; i++)
		if (m[i].cls == VW_CONCEPT)
			m[k++] = m[i];
	if (!k) {
		for (size_t i = 0; i < n; i++)
			if (m[i].cls != VW_STOPWORD && m[i].cls != VW_MONTH)
				m[k++] = m[i];
	}
	return vocab_text_has_any(rs->vocab, text, len, m, k);
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
bool icd_parse(const char *s, char *letter, int *cat, const char **rest)
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

/* ---- lookups ---- */

struct rule_type *find_type_any(const struct ruleset *rs, const char *id)
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

struct rule *find_rule(const struct ruleset *rs, const char *id)
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

const struct rule_term *find_term(struct rule_term *const *v, size_t n, const char *name)
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
