/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rules loader: the rules/ folder -> struct ruleset, with every validation
 * error reported as FILE:LINE:COL (1-based) and collected, not only the first;
 * one file checked against a folder loaded once; and freeing the ruleset.
 *
 * Files are read in three passes so that references resolve regardless of
 * file names: the dictionaries (a root with `biomarkers:` or `labs:`), then
 * fragments (`fragment: true`, e.g. _baseline.yaml), then cancer types, which
 * include fragments. What a file's keys mean is rules-schema.c's.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>

#include "rules-loader.h"
#include "util/yaml.h"

/* ---- freeing ---- */

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void term_free(struct rule_term *t)
{
	if (!t)
		return;
	free(t->name);
	strv_free(t->synonyms, t->n_synonyms);
	free(t->note);
	free(t);
}

void study_free_contents(struct rule_study *s)
{
	strv_free(s->keywords, s->n_keywords);
	strv_free(s->tracers, s->n_tracers);
}

void rule_free(struct rule *r)
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
	strv_free(r->covers, r->n_covers);
	strv_free(r->cancers, r->n_cancers);
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

void type_free(struct rule_type *t)
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
	vocab_free(rs->vocab);
	rule_words_free(rs->words);
	free(rs);
	return NULL;
}

/* ---- loading ---- */

/* Reads and parses one file; YAML errors are reported with libfyaml's position. */
static int parse_text(struct loader *l, struct pending *p, const char *text, size_t len);

static int parse_file(struct loader *l, struct pending *p)
{
	size_t len;
	int r = read_file_at(AT_FDCWD, p->path, RULES_MAX_FILE_BYTES, O_NOCTTY | O_NONBLOCK, &p->buf, &len);

	if (r == -EINVAL)
		err_at(l, (struct pos){ 1, 1 }, "not a regular file");
	else if (r == -EFBIG)
		err_at(l, (struct pos){ 1, 1 }, "larger than %u bytes", RULES_MAX_FILE_BYTES);
	else if (r < 0)
		err_at(l, (struct pos){ 1, 1 }, "cannot read: %s", strerror(-r));
	if (r < 0)
		return -EINVAL;
	return parse_text(l, p, p->buf, len);
}

/* Parses TEXT (LEN bytes, which outlive p->doc) as P's rules file. */
static int parse_text(struct loader *l, struct pending *p, const char *text, size_t len)
{
	_cleanup_free_ char *msg = NULL;
	struct pos at;
	int r;

	if (len > RULES_MAX_FILE_BYTES) {
		err_at(l, (struct pos){ 1, 1 }, "larger than %u bytes", RULES_MAX_FILE_BYTES);
		return -EINVAL;
	}
	if (memchr(text, 0, len)) {
		err_at(l, (struct pos){ 1, 1 }, "not a text file (contains NUL bytes)");
		return -EINVAL;
	}
	r = yaml_parse_text(text, len, &p->doc, &at.line, &at.col, &msg);
	if (r == -EILSEQ) {
		err_at(l, at, "not UTF-8 text (save the file as UTF-8)");
		return -EINVAL;
	}
	if (r == -EINVAL && msg) {
		err_at(l, at, "invalid YAML: %s", msg);
		return -EINVAL;
	}
	if (r == -EINVAL) {
		bool blank = true;
		for (size_t i = 0; i < len && blank; i++)
			blank = isspace((unsigned char)text[i]) != 0;
		err_at(l, at, blank ? "empty rules file" : "invalid YAML");
		return -EINVAL;
	}
	if (r < 0)
		return r;
	if (!fy_document_root(p->doc)) {
		err_at(l, (struct pos){ 1, 1 }, "empty rules file");
		return -EINVAL;
	}
	return 0;
}

static void classify(struct loader *l, struct pending *p)
{
	struct fy_node *root = fy_document_root(p->doc);
	struct fy_node *frag;
	const char *base = path_basename(p->path);
	size_t n;

	if (!fy_node_is_mapping(root)) {
		err_node(l, root, (struct pos){ 1, 1 }, "the top level must be a mapping (key: value)");
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

/* Sorted list of DIR's *.yaml names (no hidden files); more than
 * RULES_MAX_FILES is an error of L. The vocabulary's folder is listed the same way. */
int rules_list_yaml(const char *dir, char ***out, size_t *n_out, struct loader *l)
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

	r = rules_list_yaml(dir, &names, &n, &l);
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
	/* the vocabulary first: the dictionaries' terms and the rules' words are checked against it */
	if (vocab_load_dir(NULL, dir, &rs->vocab, errors) < 0)
		l.n_errors++;
	l.vocab = rs->vocab;
	if (rule_words_load(dir, &rs->words, errors) < 0)
		l.n_errors++;
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
	struct loader l = { .errors = errors, .rs = &view, .vocab = base->vocab };
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
	if (!base->vocab) {
		l.file = base->dir ? base->dir : ".";
		err_at(&l, (struct pos){ 1, 1 }, "the rules have no vocabulary (rules/vocabulary/)");
	}
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
