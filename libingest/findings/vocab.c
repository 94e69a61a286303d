/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The vocabulary's loader (vocab.h, docs/vocabulary.md): rules/vocabulary/
 * markers.yaml, labs.yaml and one XX.yaml per language into one matcher,
 * with every error placed at FILE:LINE:COL and collected (the rules loader's
 * helpers, rules-loader.h, read the values). Fail closed: any error and
 * nothing is returned. Immutable once loaded.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>

#include "libingest-internal.h"
#include "rules-loader.h"
#include "model.h"
#include "util/yaml.h"
#include "findings/vocab-cache.h"
#include "findings/vocab-private.h"

static const char *const class_names[_VW_MAX] = {
	[VW_POSITIVE] = "positive", [VW_NEGATIVE] = "negative", [VW_DETECTED] = "detected",
	[VW_NOT_DETECTED] = "not-detected", [VW_MUTATED] = "mutated", [VW_WILD_TYPE] = "wild-type",
	[VW_AMPLIFIED] = "amplified", [VW_NOT_AMPLIFIED] = "not-amplified", [VW_REARRANGED] = "rearranged",
	[VW_NOT_REARRANGED] = "not-rearranged", [VW_RETAINED] = "retained", [VW_LOST] = "lost",
	[VW_DEFICIENT] = "deficient", [VW_PROFICIENT] = "proficient", [VW_MSI_HIGH] = "msi-high",
	[VW_MSI_LOW] = "msi-low", [VW_MSS] = "mss", [VW_METHYLATED] = "methylated", [VW_UNMETHYLATED] = "unmethylated",
	[VW_CODELETED] = "codeleted", [VW_NOT_CODELETED] = "not-codeleted", [VW_HIGH] = "high", [VW_LOW] = "low",
	[VW_EQUIVOCAL] = "equivocal", [VW_PENDING] = "pending", [VW_NOT_DONE] = "not-done",
	[VW_INSUFFICIENT] = "insufficient", [VW_PATHOGENIC] = "pathogenic", [VW_LIKELY_PATHOGENIC] = "likely-pathogenic",
	[VW_VUS] = "vus", [VW_LIKELY_BENIGN] = "likely-benign", [VW_BENIGN] = "benign", [VW_GERMLINE] = "germline",
	[VW_SOMATIC] = "somatic", [VW_NEG_PRE] = "neg-pre", [VW_NEG_POST] = "neg-post", [VW_PSEUDO] = "pseudo",
	[VW_TERMINATE] = "terminate", [VW_POSSIBLE] = "possible", [VW_HISTORICAL] = "historical",
	[VW_HYPOTHETICAL] = "hypothetical", [VW_FAMILY] = "family", [VW_DEFINITION] = "definition", [VW_CRITERION] = "criterion",
	[VW_REFERENCE] = "reference", [VW_DERIVED] = "derived", [VW_PRODUCT] = "product", [VW_AMENDMENT] = "amendment",
	[VW_INTERPRETATION] = "interpretation", [VW_COL_MARKER] = "col-marker", [VW_COL_RESULT] = "col-result",
	[VW_COL_METHOD] = "col-method", [VW_COL_REFERENCE] = "col-reference", [VW_COL_UNIT] = "col-unit",
	[VW_COL_DATE] = "col-date", [VW_COL_FLAG] = "col-flag", [VW_COL_CLASSIFICATION] = "col-classification",
	[VW_COL_VAF] = "col-vaf", [VW_METHOD] = "method",
	/* entries: not `words:` keys */
	[VW_MARKER] = "marker", [VW_LAB] = "lab", [VW_KIND_HEADING] = "kind heading", [VW_KIND_WORD] = "kind word",
	[VW_CANCER_TYPE] = "cancer type", [VW_CONCEPT] = "concept", [VW_MONTH] = "month", [VW_STOPWORD] = "stop word",
};
#define N_WORD_CLASSES VW_MARKER   /* the classes of `words:` */

const char *vocab_class_name(enum vocab_class c)
{
	return (unsigned)c < _VW_MAX ? class_names[c] : "?";
}

static const char *const grammar_names[_VG_MAX] = {
	[VG_POSNEG] = "posneg", [VG_IHC] = "ihc", [VG_PERCENT] = "percent", [VG_ALLRED] = "allred",
	[VG_HSCORE] = "hscore", [VG_TPS] = "tps", [VG_CPS] = "cps", [VG_IC] = "ic", [VG_MUTATION] = "mutation",
	[VG_FUSION] = "fusion", [VG_AMPLIFICATION] = "amplification", [VG_RATIO] = "ratio",
	[VG_COPY_NUMBER] = "copy-number", [VG_EXPRESSION] = "expression", [VG_MMR] = "mmr", [VG_MSI] = "msi",
	[VG_METHYLATION] = "methylation", [VG_CODELETION] = "codeletion", [VG_TMB] = "tmb", [VG_GLEASON] = "gleason",
	[VG_GRADE] = "grade", [VG_SCORE] = "score", [VG_VAF] = "vaf", [VG_HIGHLOW] = "high-low",
};
_Static_assert(_VG_MAX <= 32, "value grammars must fit a uint32_t");

const char *value_grammar_name(enum value_grammar g)
{
	return (unsigned)g < _VG_MAX ? grammar_names[g] : "?";
}

/* ---- freeing and the lookups ---- */

struct vocab *vocab_free(struct vocab *v)
{
	if (!v)
		return NULL;
	for (size_t i = 0; i < v->n_markers; i++) {
		free(v->markers[i].name);
		if (v->markers[i].clones)
			for (char **c = v->markers[i].clones; *c; c++)
				free(*c);
		free(v->markers[i].clones);
		if (v->markers[i].clone_keys)
			for (char **c = v->markers[i].clone_keys; *c; c++)
				free(*c);
		free(v->markers[i].clone_keys);
	}
	free(v->markers);
	for (size_t i = 0; i < v->n_labs; i++) {
		free(v->labs[i].name);
		if (v->labs[i].units)
			for (char **u = v->labs[i].units; *u; u++)
				free(*u);
		free(v->labs[i].units);
	}
	free(v->labs);
	free(v->langs);
	strv_free(v->types, v->n_types);
	strv_free(v->concepts, v->n_concepts);
	strv_free(v->files, v->n_files);
	strv_free(v->strings, v->n_strings);
	free(v->wheres);
	if (v->blob) {
		vocab_cache_release(v->blob, v->blob_len);     /* nodes, payloads and class sets lie in it */
	} else {
		free(v->nodes);
		free(v->pays);
		free(v->masks);
	}
	free(v->mask_index);
	free(v);
	return NULL;
}

size_t vocab_n_markers(const struct vocab *v) { return v ? v->n_markers : 0; }
size_t vocab_n_labs(const struct vocab *v) { return v ? v->n_labs : 0; }
size_t vocab_n_langs(const struct vocab *v) { return v ? v->n_langs : 0; }
size_t vocab_n_cancer_types(const struct vocab *v) { return v ? v->n_types : 0; }
size_t vocab_n_concepts(const struct vocab *v) { return v ? v->n_concepts : 0; }

const struct vocab_marker *vocab_marker(const struct vocab *v, size_t id)
{
	return v && id < v->n_markers ? &v->markers[id].pub : NULL;
}

const struct vocab_lab *vocab_lab(const struct vocab *v, size_t id)
{
	return v && id < v->n_labs ? &v->labs[id].pub : NULL;
}

const struct vocab_lang *vocab_lang(const struct vocab *v, size_t id)
{
	return v && id < v->n_langs ? &v->langs[id] : NULL;
}

const char *vocab_cancer_type(const struct vocab *v, size_t id)
{
	return v && id < v->n_types ? v->types[id] : NULL;
}

const char *vocab_concept(const struct vocab *v, size_t id)
{
	return v && id < v->n_concepts ? v->concepts[id] : NULL;
}

static int find_name(char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int vocab_marker_id(const struct vocab *v, const char *name)
{
	for (size_t i = 0; v && name && i < v->n_markers; i++)
		if (strcmp(v->markers[i].name, name) == 0)
			return (int)i;
	return -1;
}

int vocab_lab_id(const struct vocab *v, const char *name)
{
	for (size_t i = 0; v && name && i < v->n_labs; i++)
		if (strcmp(v->labs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int vocab_concept_id(const struct vocab *v, const char *name)
{
	return v ? find_name(v->concepts, v->n_concepts, name) : -1;
}

/* ---- loading ---- */

struct vload {
	struct loader l;
	struct vocab *v;
	uint8_t lang;               /* the file's: VOCAB_LANG_ANY for markers.yaml and labs.yaml */
	bool is_en;
	size_t n_phrases;
	unsigned per_class[_VW_MAX]; /* phrases of each class in this file */
};

static uint32_t add_where(struct vocab *v, const char *file, struct pos p)
{
	if (v->n_wheres == v->cap_wheres) {
		v->cap_wheres = v->cap_wheres ? 2 * v->cap_wheres : 1024;
		v->wheres = xrealloc(v->wheres, v->cap_wheres * sizeof(*v->wheres));
	}
	v->wheres[v->n_wheres] = (struct vwhere){ file, p.line, p.col };
	return (uint32_t)v->n_wheres++;
}

static const char *entry_name(const struct vocab *v, enum vocab_class c, unsigned id, char buf[32])
{
	switch (c) {
	case VW_MARKER: return id < v->n_markers ? v->markers[id].name : "?";
	case VW_LAB: return id < v->n_labs ? v->labs[id].name : "?";
	case VW_KIND_HEADING: case VW_KIND_WORD: return kind_name((enum ing_kind)id);
	case VW_CANCER_TYPE: return id < v->n_types ? v->types[id] : "?";
	case VW_CONCEPT: return id < v->n_concepts ? v->concepts[id] : "?";
	default: snprintf(buf, 32, "%u", id); return buf;
	}
}

/* One phrase (a scalar node) of class CLS for entry ID. */
static int add_phrase(struct vload *vl, const struct kv *kv, enum vocab_class cls, unsigned id)
{
	_cleanup_free_ char *s = NULL;
	const struct vpay *other = NULL;
	struct pos p = node_pos(kv->value, kv->kpos);
	int r;

	if (get_str(&vl->l, kv, &s) < 0)
		return -EINVAL;
	if (strlen(s) > VOCAB_MAX_PHRASE_BYTES) {
		err_at(&vl->l, p, "phrase \"%.40s...\" is longer than %u bytes", s, VOCAB_MAX_PHRASE_BYTES);
		return -EINVAL;
	}
	if (++vl->n_phrases > VOCAB_MAX_PHRASES_PER_FILE) {
		if (vl->n_phrases == VOCAB_MAX_PHRASES_PER_FILE + 1)
			err_at(&vl->l, p, "more than %u phrases in one file", VOCAB_MAX_PHRASES_PER_FILE);
		return -EINVAL;
	}
	if (++vl->per_class[cls] > VOCAB_MAX_PHRASES_PER_CLASS) {
		if (vl->per_class[cls] == VOCAB_MAX_PHRASES_PER_CLASS + 1)
			err_at(&vl->l, p, "more than %u phrases of class %s in one file", VOCAB_MAX_PHRASES_PER_CLASS,
			       vocab_class_name(cls));
		return -EINVAL;
	}
	r = vtrie_add(vl->v, s, cls, (uint16_t)id, vl->lang, add_where(vl->v, vl->l.file, p), &other);
	if (r == -EINVAL) {
		err_at(&vl->l, p, "phrase \"%s\" has no letters or digits (only separators: space - / : _ .)", s);
		return r;
	}
	if (r == -E2BIG) {
		err_at(&vl->l, p, "phrase \"%s\": the vocabulary's phrases make more than %u different sets of classes "
		       "(struct vnode.sub)", s, VOCAB_MAX_MASKS);
		return r;
	}
	if (r == -EEXIST) {
		const struct vwhere *w = &vl->v->wheres[other->where];
		char b1[32], b2[32];
		err_at(&vl->l, p, "phrase \"%s\" is %s \"%s\" here and %s \"%s\" at %s:%d:%d: one phrase names one entry "
		       "of a class (remove it from one of them, or make it longer so that it decides)", s,
		       vocab_class_name(cls), entry_name(vl->v, cls, id, b1), vocab_class_name(cls),
		       entry_name(vl->v, cls, other->id, b2), w->file, w->line, w->col);
		return r;
	}
	return 0;
}

/* A list of phrases (may be empty: []); a single scalar is a one-item list. */
static int add_phrases(struct vload *vl, const struct kv *kv, enum vocab_class cls, unsigned id)
{
	void *it = NULL;
	struct fy_node *item;
	int r = 0;

	if (kv->value && fy_node_is_scalar(kv->value) && !fy_node_is_alias(kv->value))
		return add_phrase(vl, kv, cls, id);
	if (!kv->value || !fy_node_is_sequence(kv->value)) {
		err_node(&vl->l, kv->value, kv->kpos, "\"%s\" must be a list of phrases ([] when there are none)", kv->key);
		return -EINVAL;
	}
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		if (add_phrase(vl, &ikv, cls, id) < 0)
			r = -EINVAL;
	}
	return r;
}

/* A list of plain strings into a NULL-terminated vector (for clones and
 * units; [] is an empty one). */
static int get_nullv(struct loader *l, const struct kv *kv, char ***out)
{
	char **v = NULL;
	size_t n = 0;

	if (kv->value && fy_node_is_sequence(kv->value) && fy_node_sequence_item_count(kv->value) == 0) {
		*out = xcalloc(1, sizeof(char *));
		return 0;
	}
	if (get_strv(l, kv, &v, &n) < 0)
		return -EINVAL;
	v = xrealloc(v, (n + 1) * sizeof(*v));
	v[n] = NULL;
	*out = v;
	return 0;
}

/* -- markers.yaml -- */

struct marker_ctx {
	struct vload *vl;
	struct vmarker_priv *m;
	unsigned id;
	bool has_name, has_values;
	struct kv synonyms, routes;     /* after the name */
};

static int values_from(struct loader *l, const struct kv *kv, uint32_t *values)
{
	char **v = NULL;
	size_t n = 0;
	int r = 0;

	if (get_strv(l, kv, &v, &n) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int g = name_index(grammar_names, 0, _VG_MAX, v[i]);
		if (g < 0) {
			void *it = NULL;
			struct fy_node *item = fy_node_is_sequence(kv->value) ? NULL : kv->value;
			for (size_t j = 0; fy_node_is_sequence(kv->value) && j <= i; j++)
				item = fy_node_sequence_iterate(kv->value, &it);
			err_node(l, item, kv->kpos, "unknown value grammar \"%s\" (expected one of: posneg, ihc, percent, "
			         "allred, hscore, tps, cps, ic, mutation, fusion, amplification, ratio, copy-number, "
			         "expression, mmr, msi, methylation, codeletion, tmb, gleason, grade, score, vaf, high-low)",
			         v[i]);
			r = -EINVAL;
			continue;
		}
		*values |= 1u << g;
	}
	strv_free(v, n);
	return r;
}

static int marker_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct marker_ctx *mc = userdata;

	if (strcmp(kv->key, "name") == 0) {
		if (get_str(l, kv, &mc->m->name) < 0)
			return -EINVAL;
		mc->has_name = true;
		return add_phrase(mc->vl, kv, VW_MARKER, mc->id);
	}
	if (strcmp(kv->key, "synonyms") == 0) {
		mc->synonyms = *kv;
		mc->synonyms.key = "synonyms";
		return 0;
	}
	if (strcmp(kv->key, "values") == 0) {
		mc->has_values = true;
		return values_from(l, kv, &mc->m->pub.values);
	}
	if (strcmp(kv->key, "clones") == 0)
		return get_nullv(l, kv, &mc->m->clones);
	if (strcmp(kv->key, "panel") == 0)
		return get_bool(l, kv, &mc->m->pub.panel);
	if (strcmp(kv->key, "assay") == 0)
		return get_bool(l, kv, &mc->m->pub.assay);
	if (strcmp(kv->key, "routes") == 0) {
		mc->routes = *kv;
		mc->routes.key = "routes";
		return 0;
	}
	if (strcmp(kv->key, "note") == 0) {
		_cleanup_free_ char *s = NULL;
		return get_str(l, kv, &s);
	}
	return unknown_key(l, kv, "a marker", "name, synonyms, values, clones, panel, assay, routes, note");
}

static int route_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct marker_ctx *mc = userdata;
	_cleanup_free_ char *target = NULL;
	int g = name_index(grammar_names, 0, _VG_MAX, kv->key), t;

	if (g < 0) {
		err_at(l, kv->kpos, "unknown value grammar \"%s\" in \"routes\" (a route is GRAMMAR: MARKER)", kv->key);
		return -EINVAL;
	}
	if (get_str(l, kv, &target) < 0)
		return -EINVAL;
	t = vocab_marker_id(mc->vl->v, target);
	if (t < 0) {
		err_node(l, kv->value, kv->kpos, "route to unknown marker \"%s\" (routes name a marker of this file)",
		         target);
		return -EINVAL;
	}
	mc->m->pub.route[g] = (int16_t)t;
	return 0;
}

static int load_markers(struct vload *vl, const struct kv *kv)
{
	struct vocab *v = vl->v;
	void *it = NULL;
	struct fy_node *item;
	struct marker_ctx *ctxs;
	size_t n;
	int r = 0;

	if (!kv->value || !fy_node_is_sequence(kv->value)) {
		err_node(&vl->l, kv->value, kv->kpos, "\"markers\" must be a list of markers");
		return -EINVAL;
	}
	n = (size_t)fy_node_sequence_item_count(kv->value);
	if (n > VOCAB_MAX_ENTRIES) {
		err_node(&vl->l, kv->value, kv->kpos, "more than %u markers", VOCAB_MAX_ENTRIES);
		return -EINVAL;
	}
	v->markers = xcalloc(n + 1, sizeof(*v->markers));
	ctxs = xcalloc(n + 1, sizeof(*ctxs));
	/* names, values and the rest first, so routes and duplicates can name any marker */
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		struct marker_ctx *mc = &ctxs[v->n_markers];

		*mc = (struct marker_ctx){ .vl = vl, .m = &v->markers[v->n_markers], .id = (unsigned)v->n_markers };
		for (int g = 0; g < _VG_MAX; g++)
			mc->m->pub.route[g] = -1;
		if (walk_map(&vl->l, &ikv, "a marker", marker_kv, mc) < 0)
			r = -EINVAL;
		if (!mc->has_name && ikv.value && fy_node_is_mapping(ikv.value)) {
			err_at(&vl->l, ikv.kpos, "marker has no \"name\"");
			r = -EINVAL;
		}
		if (mc->has_name && !mc->has_values) {
			err_at(&vl->l, ikv.kpos, "marker \"%s\" has no \"values\" (the value grammars its results are read "
			       "with: posneg, ihc, percent, mutation...)", mc->m->name);
			r = -EINVAL;
		} else if (mc->has_name && !mc->m->pub.values && r == 0) {
			err_at(&vl->l, ikv.kpos, "marker \"%s\": \"values\" is empty", mc->m->name);
			r = -EINVAL;
		}
		if (mc->has_name) {
			for (size_t j = 0; j < v->n_markers; j++) {
				if (v->markers[j].name && strcmp(v->markers[j].name, mc->m->name) == 0) {
					err_at(&vl->l, ikv.kpos, "duplicate marker \"%s\"", mc->m->name);
					r = -EINVAL;
				}
			}
		}
		if (!mc->m->name)
			mc->m->name = xstrdup("");
		mc->m->pub.name = mc->m->name;
		mc->m->pub.clones = (const char *const *)mc->m->clones;
		/* a term naming a clone names its marker (vocab_resolve_term()): their keys made once */
		size_t nc = 0;
		while (mc->m->clones && mc->m->clones[nc])
			nc++;
		if (nc) {
			mc->m->clone_keys = xcalloc(nc + 1, sizeof(char *));
			for (size_t c = 0, k = 0; c < nc; c++)
				if (vtrie_key(mc->m->clones[c], &mc->m->clone_keys[k]))
					k++;
		}
		v->n_markers++;
	}
	for (size_t i = 0; i < v->n_markers; i++) {
		struct marker_ctx *mc = &ctxs[i];
		if (mc->synonyms.key && add_phrases(vl, &mc->synonyms, VW_MARKER, mc->id) < 0)
			r = -EINVAL;
		if (mc->routes.key && walk_map(&vl->l, &mc->routes, "\"routes\"", route_kv, mc) < 0)
			r = -EINVAL;
	}
	free(ctxs);
	return r;
}

/* -- labs.yaml -- */

struct lab_ctx {
	struct vload *vl;
	struct vlab_priv *lab;
	unsigned id;
	bool has_name;
};

static int lab_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct lab_ctx *lc = userdata;

	if (strcmp(kv->key, "name") == 0) {
		if (get_str(l, kv, &lc->lab->name) < 0)
			return -EINVAL;
		lc->has_name = true;
		int dup = vocab_lab_id(lc->vl->v, lc->lab->name);
		if (dup >= 0 && (unsigned)dup < lc->id) {
			err_node(l, kv->value, kv->kpos, "duplicate lab \"%s\"", lc->lab->name);
			return -EINVAL;
		}
		return add_phrase(lc->vl, kv, VW_LAB, lc->id);
	}
	if (strcmp(kv->key, "synonyms") == 0)
		return add_phrases(lc->vl, kv, VW_LAB, lc->id);
	if (strcmp(kv->key, "units") == 0)
		return get_nullv(l, kv, &lc->lab->units);
	if (strcmp(kv->key, "note") == 0) {
		_cleanup_free_ char *s = NULL;
		return get_str(l, kv, &s);
	}
	return unknown_key(l, kv, "a lab", "name, synonyms, units, note");
}

static int load_labs(struct vload *vl, const struct kv *kv)
{
	struct vocab *v = vl->v;
	void *it = NULL;
	struct fy_node *item;
	size_t n;
	int r = 0;

	if (!kv->value || !fy_node_is_sequence(kv->value)) {
		err_node(&vl->l, kv->value, kv->kpos, "\"labs\" must be a list of labs");
		return -EINVAL;
	}
	n = (size_t)fy_node_sequence_item_count(kv->value);
	if (n > VOCAB_MAX_ENTRIES) {
		err_node(&vl->l, kv->value, kv->kpos, "more than %u labs", VOCAB_MAX_ENTRIES);
		return -EINVAL;
	}
	v->labs = xcalloc(n + 1, sizeof(*v->labs));
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		struct lab_ctx lc = { vl, &v->labs[v->n_labs], (unsigned)v->n_labs, false };

		v->n_labs++;    /* counted first: its name is looked up while it loads */
		if (walk_map(&vl->l, &ikv, "a lab", lab_kv, &lc) < 0)
			r = -EINVAL;
		if (!lc.has_name && ikv.value && fy_node_is_mapping(ikv.value)) {
			err_at(&vl->l, ikv.kpos, "lab has no \"name\"");
			r = -EINVAL;
		}
		if (!lc.lab->name)
			lc.lab->name = xstrdup("");
		lc.lab->pub.name = lc.lab->name;
		lc.lab->pub.units = (const char *const *)lc.lab->units;
	}
	return r;
}

static int top_markers_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	if (strcmp(kv->key, "markers") == 0)
		return load_markers(userdata, kv);
	return unknown_key(l, kv, "markers.yaml", "markers");
}

static int top_labs_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	if (strcmp(kv->key, "labs") == 0)
		return load_labs(userdata, kv);
	return unknown_key(l, kv, "labs.yaml", "labs");
}

/* -- XX.yaml -- */

struct lang_ctx {
	struct vload *vl;
	struct vocab_lang *lang;
	const char *expect;         /* the file's name without .yaml */
	bool has[_VW_MAX];          /* words: classes given */
	bool has_language, has_name, has_script, has_words, has_months, has_stopwords;
	struct pos words_pos;
};

static int words_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct lang_ctx *lc = userdata;
	int c = name_index(class_names, 0, N_WORD_CLASSES, kv->key);

	if (c < 0) {
		err_at(l, kv->kpos, "unknown word class \"%s\" in \"words\" (the classes are listed in "
		       "docs/vocabulary.md: positive, negative, detected, not-detected, ... method)", kv->key);
		return -EINVAL;
	}
	lc->has[c] = true;
	return add_phrases(lc->vl, kv, (enum vocab_class)c, 0);
}

static int named_kv(struct loader *l, const struct kv *kv, struct lang_ctx *lc, enum vocab_class cls)
{
	struct vocab *v = lc->vl->v;
	int id = -1;

	switch (cls) {
	case VW_MARKER:
		id = vocab_marker_id(v, kv->key);
		if (id < 0) {
			err_at(l, kv->kpos, "\"%s\" is not a marker of markers.yaml (local names are given for its markers, "
			       "by their canonical name)", kv->key);
			return -EINVAL;
		}
		break;
	case VW_LAB:
		id = vocab_lab_id(v, kv->key);
		if (id < 0) {
			err_at(l, kv->kpos, "\"%s\" is not a lab of labs.yaml (local names are given for its labs, "
			       "by their canonical name)", kv->key);
			return -EINVAL;
		}
		break;
	case VW_CANCER_TYPE:
		/* en.yaml names the types (the rules' TYPE ids; tests/rules/
		 * check-vocab-data.py checks they are the rules' files), the other
		 * languages give words for them: the vocabulary does not depend on
		 * which type files sit beside it */
		id = find_name(v->types, v->n_types, kv->key);
		if (id < 0 && lc->vl->is_en) {
			if (v->n_types >= VOCAB_MAX_ENTRIES) {
				err_at(l, kv->kpos, "more than %u cancer types", VOCAB_MAX_ENTRIES);
				return -EINVAL;
			}
			v->types = xrealloc(v->types, (v->n_types + 1) * sizeof(*v->types));
			v->types[v->n_types] = xstrdup(kv->key);
			id = (int)v->n_types++;
		} else if (id < 0) {
			err_at(l, kv->kpos, "cancer type \"%s\" is not in en.yaml (every type is named there first, by "
			       "its rules id)", kv->key);
			return -EINVAL;
		}
		break;
	case VW_CONCEPT:
		id = find_name(v->concepts, v->n_concepts, kv->key);
		if (id < 0 && lc->vl->is_en) {
			if (v->n_concepts >= VOCAB_MAX_ENTRIES) {
				err_at(l, kv->kpos, "more than %u concepts", VOCAB_MAX_ENTRIES);
				return -EINVAL;
			}
			v->concepts = xrealloc(v->concepts, (v->n_concepts + 1) * sizeof(*v->concepts));
			v->concepts[v->n_concepts] = xstrdup(kv->key);
			id = (int)v->n_concepts++;
		} else if (id < 0) {
			err_at(l, kv->kpos, "concept \"%s\" is not in en.yaml (every concept is named there first)", kv->key);
			return -EINVAL;
		}
		break;
	default:
		return -EINVAL;
	}
	return add_phrases(lc->vl, kv, cls, (unsigned)id);
}

static int markers_map_kv(struct loader *l, const struct kv *kv, void *u) { return named_kv(l, kv, u, VW_MARKER); }
static int labs_map_kv(struct loader *l, const struct kv *kv, void *u) { return named_kv(l, kv, u, VW_LAB); }
static int types_map_kv(struct loader *l, const struct kv *kv, void *u) { return named_kv(l, kv, u, VW_CANCER_TYPE); }
static int concepts_map_kv(struct loader *l, const struct kv *kv, void *u) { return named_kv(l, kv, u, VW_CONCEPT); }

struct kind_ctx {
	struct lang_ctx *lc;
	int kind;
};

static int kind_entry_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct kind_ctx *kc = userdata;

	if (strcmp(kv->key, "headings") == 0)
		return add_phrases(kc->lc->vl, kv, VW_KIND_HEADING, (unsigned)kc->kind);
	if (strcmp(kv->key, "words") == 0)
		return add_phrases(kc->lc->vl, kv, VW_KIND_WORD, (unsigned)kc->kind);
	return unknown_key(l, kv, "a kind", "headings, words");
}

static int kinds_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct kind_ctx kc = { userdata, -1 };

	for (int k = 0; k < _KIND_MAX; k++)
		if (kind_is_document((enum ing_kind)k) && strcmp(kind_name((enum ing_kind)k), kv->key) == 0)
			kc.kind = k;
	if (kc.kind < 0) {
		err_at(l, kv->kpos, "unknown document kind \"%s\" (expected one of: pathology-report, molecular-report, "
		       "radiology-report, lab-report, discharge-summary, operative-note, treatment-summary, "
		       "clinical-letter, scanned-document, photo)", kv->key);
		return -EINVAL;
	}
	return walk_map(l, kv, "a kind", kind_entry_kv, &kc);
}

static int months_from(struct lang_ctx *lc, const struct kv *kv)
{
	void *it = NULL;
	struct fy_node *item;
	unsigned m = 0;
	int r = 0;

	if (!kv->value || !fy_node_is_sequence(kv->value) || fy_node_sequence_item_count(kv->value) != 12) {
		err_node(&lc->vl->l, kv->value, kv->kpos, "\"months\" must be a list of exactly 12 lists of names, "
		         "January first");
		return -EINVAL;
	}
	while ((item = fy_node_sequence_iterate(kv->value, &it))) {
		struct kv ikv = item_kv(kv, item);
		if (add_phrases(lc->vl, &ikv, VW_MONTH, ++m) < 0)
			r = -EINVAL;
	}
	return r;
}

static int lang_kv(struct loader *l, const struct kv *kv, void *userdata)
{
	struct lang_ctx *lc = userdata;
	struct vocab *v = lc->vl->v;

	if (strcmp(kv->key, "language") == 0) {
		char *s = NULL;
		lc->has_language = true;
		if (get_str(l, kv, &s) < 0)
			return -EINVAL;
		if (strcmp(s, lc->expect) != 0) {
			err_node(l, kv->value, kv->kpos, "language \"%s\" does not match the file name (expected \"%s\")", s,
			         lc->expect);
			free(s);
			return -EINVAL;
		}
		free(s);
		return 0;
	}
	if (strcmp(kv->key, "name") == 0 || strcmp(kv->key, "script") == 0) {
		char *s = NULL;
		bool script = kv->key[0] == 's';
		if (get_str(l, kv, &s) < 0)
			return -EINVAL;
		if (script && (strlen(s) != 4 || s[0] < 'A' || s[0] > 'Z')) {
			err_node(l, kv->value, kv->kpos, "script \"%s\" must be an ISO 15924 code (Latn, Cyrl, Hans, Arab, "
			         "Deva...)", s);
			free(s);
			return -EINVAL;
		}
		v->strings = xrealloc(v->strings, (v->n_strings + 1) * sizeof(*v->strings));
		v->strings[v->n_strings++] = s;
		if (script) {
			lc->has_script = true;
			lc->lang->script = s;
		} else {
			lc->has_name = true;
			lc->lang->name = s;
		}
		return 0;
	}
	if (strcmp(kv->key, "stopwords") == 0) {
		lc->has_stopwords = true;
		return add_phrases(lc->vl, kv, VW_STOPWORD, 0);
	}
	if (strcmp(kv->key, "months") == 0) {
		lc->has_months = true;
		return months_from(lc, kv);
	}
	if (strcmp(kv->key, "words") == 0) {
		lc->has_words = true;
		lc->words_pos = kv->kpos;
		return walk_map(l, kv, "\"words\"", words_kv, lc);
	}
	if (strcmp(kv->key, "labs") == 0)
		return walk_map(l, kv, "\"labs\"", labs_map_kv, lc);
	if (strcmp(kv->key, "markers") == 0)
		return walk_map(l, kv, "\"markers\"", markers_map_kv, lc);
	if (strcmp(kv->key, "kinds") == 0)
		return walk_map(l, kv, "\"kinds\"", kinds_kv, lc);
	if (strcmp(kv->key, "cancer-types") == 0)
		return walk_map(l, kv, "\"cancer-types\"", types_map_kv, lc);
	if (strcmp(kv->key, "concepts") == 0)
		return walk_map(l, kv, "\"concepts\"", concepts_map_kv, lc);
	if (strcmp(kv->key, "note") == 0) {
		_cleanup_free_ char *s = NULL;
		return get_str(l, kv, &s);
	}
	return unknown_key(l, kv, "a language file",
	                   "language, name, script, stopwords, months, words, labs, markers, kinds, cancer-types, "
	                   "concepts, note");
}

static int lang_check_missing(struct lang_ctx *lc, struct pos root)
{
	struct loader *l = &lc->vl->l;
	int r = 0;

	if (!lc->has_language)
		err_at(l, root, "no \"language\" (expected language: %s)", lc->expect);
	if (!lc->has_name)
		err_at(l, root, "no \"name\" (the language's English name)");
	if (!lc->has_script)
		err_at(l, root, "no \"script\" (ISO 15924: Latn, Cyrl, Hans, Arab...)");
	if (!lc->has_stopwords)
		err_at(l, root, "no \"stopwords\" (frequent function words: they tell the language)");
	if (!lc->has_months)
		err_at(l, root, "no \"months\" (12 lists of month names, January first)");
	if (!lc->has_words)
		err_at(l, root, "no \"words\" (every word class, [] where the language has none)");
	if (!lc->has_language || !lc->has_name || !lc->has_script || !lc->has_stopwords || !lc->has_months ||
	    !lc->has_words)
		r = -EINVAL;
	if (lc->has_words) {
		struct strbuf miss;
		strbuf_init(&miss, 4096);
		for (int c = 0; c < N_WORD_CLASSES; c++)
			if (!lc->has[c])
				(void)strbuf_printf(&miss, "%s%s", miss.len ? ", " : "", class_names[c]);
		if (miss.len) {
			err_at(l, lc->words_pos, "\"words\" lacks the classes %s (give each, [] when the language has none)",
			       miss.s);
			r = -EINVAL;
		}
		strbuf_free(&miss);
	}
	return r;
}

/* ---- files ---- */

/* A vocabulary file, read before anything is loaded (its bytes make the
 * compiled cache's key), then parsed if the cache does not answer. */
struct vfile {
	enum { VF_LOAD, VF_UNKNOWN, VF_TOO_MANY } what;  /* read and loaded; or the error its name is */
	char *code;                 /* "en": the language, or the name without ".yaml" */
	char *name;                 /* in the folder: "en.yaml" */
	char *path;                 /* moved to vocab->files when loaded */
	char *buf;
	size_t len;
	int r;                      /* of reading it */
	struct fy_document *doc;
};

static void vfile_free(struct vfile *f)
{
	if (f->doc)
		fy_document_destroy(f->doc);
	free(f->code);
	free(f->name);
	free(f->path);
	free(f->buf);
	*f = (struct vfile){ 0 };
}

/* F is the file CODE.yaml of VDIR, read when it is to be loaded (WHAT is VF_LOAD). */
static void vfile_read(struct vfile *f, const char *vdir, const char *code, int what)
{
	f->what = what;
	f->code = xstrdup(code);
	f->name = xasprintf("%s.yaml", code);
	f->path = xasprintf("%s/%s", vdir, f->name);
	if (what == VF_LOAD)
		f->r = read_file_at(AT_FDCWD, f->path, VOCAB_MAX_FILE_BYTES, O_NOCTTY | O_NONBLOCK, &f->buf, &f->len);
}

/* Parses F (read by vfile_read()); its errors are placed in it. NULL root: an error was given. */
static struct fy_node *read_yaml(struct loader *l, struct vfile *f)
{
	_cleanup_free_ char *msg = NULL;
	struct pos at = { 1, 1 };
	int r = f->r;

	if (r == -EFBIG)
		err_at(l, at, "larger than %u bytes", VOCAB_MAX_FILE_BYTES);
	else if (r == -ENOENT)
		err_at(l, at, "missing (the vocabulary needs markers.yaml, labs.yaml and en.yaml)");
	else if (r < 0)
		err_at(l, at, "cannot read: %s", strerror(-r));
	if (r < 0)
		return NULL;
	if (memchr(f->buf, 0, f->len)) {
		err_at(l, at, "not a text file (contains NUL bytes)");
		return NULL;
	}
	r = yaml_parse_text(f->buf, f->len, &f->doc, &at.line, &at.col, &msg);
	if (r == -EILSEQ)
		err_at(l, at, "not UTF-8 text (save the file as UTF-8)");
	else if (r < 0)
		err_at(l, at, "invalid YAML%s%s", msg ? ": " : "", msg ? msg : "");
	if (r < 0)
		return NULL;
	if (!fy_document_root(f->doc)) {
		err_at(l, at, "empty file");
		return NULL;
	}
	return fy_document_root(f->doc);
}

bool vocab_is_lang_code(const char *s, size_t n)
{
	return n == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z';
}

/* F's path becomes the vocabulary's (its errors and places name it). */
static const char *take_path(struct vocab *v, struct vfile *f)
{
	v->files = xrealloc(v->files, (v->n_files + 1) * sizeof(*v->files));
	v->files[v->n_files++] = f->path;
	f->path = NULL;
	return v->files[v->n_files - 1];
}

static void load_lang(struct vload *vl, struct vfile *f)
{
	struct vocab *v = vl->v;
	const char *code = f->code;
	struct fy_node *root;

	vl->l.file = take_path(v, f);
	vl->lang = (uint8_t)v->n_langs;
	vl->is_en = strcmp(code, "en") == 0;
	vl->n_phrases = 0;
	memset(vl->per_class, 0, sizeof(vl->per_class));
	v->strings = xrealloc(v->strings, (v->n_strings + 1) * sizeof(*v->strings));
	v->strings[v->n_strings++] = xstrdup(code);
	v->langs[v->n_langs] = (struct vocab_lang){ v->strings[v->n_strings - 1], "", "" };
	struct lang_ctx lc = { .vl = vl, .lang = &v->langs[v->n_langs], .expect = code };
	v->n_langs++;
	root = read_yaml(&vl->l, f);
	if (root) {
		struct kv kv = { "the top level", root, { 1, 1 } };
		struct pos rp = node_pos(root, (struct pos){ 1, 1 });
		(void)walk_map(&vl->l, &kv, "the top level", lang_kv, &lc);
		(void)lang_check_missing(&lc, rp);
	}
	vfile_free(f);
}

static void load_entries(struct vload *vl, struct vfile *f, kv_fn fn)
{
	struct fy_node *root;

	vl->l.file = take_path(vl->v, f);
	vl->lang = VOCAB_LANG_ANY;
	vl->n_phrases = 0;
	memset(vl->per_class, 0, sizeof(vl->per_class));
	root = read_yaml(&vl->l, f);
	if (root) {
		struct kv kv = { "the top level", root, { 1, 1 } };
		(void)walk_map(&vl->l, &kv, "the top level", fn, vl);
	}
	vfile_free(f);
}

/* The compiled cache of the files F (all read): the vocabulary it holds, or
 * NULL (then *KEY and *CACHE_DIR say where a new one goes; *CACHE_DIR NULL: none). */
static struct vocab *from_cache(struct vfile *f, size_t n, const char *vdir, uint8_t key[32], char **cache_dir)
{
	struct vocab_source src[VOCAB_MAX_LANGS + 2];
	struct vocab *v = NULL;

	*cache_dir = NULL;
	for (size_t i = 0; i < n; i++) {
		if (f[i].r < 0)
			return NULL;        /* the load says what is wrong */
		src[i] = (struct vocab_source){ f[i].name, f[i].buf, f[i].len };
	}
	if (vocab_cache_key(src, n, key) < 0)
		return NULL;
	*cache_dir = vocab_cache_dir();
	if (*cache_dir && vocab_cache_read(*cache_dir, key, vdir, &v) == 0)
		return v;
	return NULL;
}

int vocab_load_dir(struct ing_ctx *ctx, const char *dir, struct vocab **out, struct strbuf *errors)
{
	_cleanup_free_ char *vdir = xasprintf("%s/" VOCAB_DIR_NAME, dir);
	_cleanup_free_ char *cache_dir = NULL;
	struct vload vl = { .l = { .errors = errors } };
	struct vfile *files;
	size_t n_files = 0, n_load = 0;
	uint8_t key[32];
	struct vocab *v;
	char **names = NULL;
	size_t n = 0;
	int r;

	(void)ctx;
	r = rules_list_yaml(vdir, &names, &n, &vl.l);
	for (size_t i = 0; r == 0 && i < n; i++)
		names[i][strlen(names[i]) - 5] = 0;     /* "de.yaml": the language "de" */
	if (r < 0) {
		vl.l.file = vdir;
		err_at(&vl.l, (struct pos){ 1, 1 }, "%s (the rules need their vocabulary: markers.yaml, labs.yaml and "
		       "one XX.yaml per language, docs/vocabulary.md)",
		       r == -ENOENT ? "no vocabulary folder" : strerror(-r));
		return r == -ENOENT ? -ENOENT : r;
	}
	/* the files in the order they load: markers, labs, en (it names the concepts), the other languages;
	 * each name the loader refuses where it stands, so that its error comes in that order */
	files = xcalloc(n + 3, sizeof(*files));
	vfile_read(&files[n_files++], vdir, "markers", VF_LOAD);
	vfile_read(&files[n_files++], vdir, "labs", VF_LOAD);
	vfile_read(&files[n_files++], vdir, "en", VF_LOAD);
	n_load = n_files;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "markers") == 0 || strcmp(names[i], "labs") == 0 || strcmp(names[i], "en") == 0)
			continue;
		int what = !vocab_is_lang_code(names[i], strlen(names[i])) ? VF_UNKNOWN
		           : n_load - 2 >= VOCAB_MAX_LANGS               ? VF_TOO_MANY : VF_LOAD;
		vfile_read(&files[n_files++], vdir, names[i], what);
		if (what == VF_LOAD)
			n_load++;
		if (what == VF_TOO_MANY)
			break;
	}
	strv_free(names, n);
	/* a folder with a file the loader refuses is not looked up (the key is made of the files it loads),
	 * and never written: its load fails */
	v = n_load == n_files ? from_cache(files, n_files, vdir, key, &cache_dir) : NULL;
	if (!v) {
		v = xcalloc(1, sizeof(*v));
		vl.v = v;
		v->langs = xcalloc(VOCAB_MAX_LANGS, sizeof(*v->langs));
		load_entries(&vl, &files[0], top_markers_kv);
		load_entries(&vl, &files[1], top_labs_kv);
		for (size_t i = 2; i < n_files; i++) {
			if (files[i].what == VF_LOAD) {
				load_lang(&vl, &files[i]);
			} else if (files[i].what == VF_UNKNOWN) {
				vl.l.file = files[i].path;
				err_at(&vl.l, (struct pos){ 1, 1 }, "unknown vocabulary file (expected markers.yaml, labs.yaml or "
				       "a language's XX.yaml, its ISO 639-1 code)");
			} else {
				vl.l.file = vdir;
				err_at(&vl.l, (struct pos){ 1, 1 }, "more than %u languages", VOCAB_MAX_LANGS);
			}
		}
		if (vl.l.n_errors)
			v = vocab_free(v);
		else if (cache_dir)     /* for the next process; one that cannot be written costs the time only */
			(void)vocab_cache_write(cache_dir, key, v);
	}
	for (size_t i = 0; i < n_files; i++)
		vfile_free(&files[i]);
	free(files);
	if (!v)
		return -EINVAL;
	*out = v;
	return 0;
}
