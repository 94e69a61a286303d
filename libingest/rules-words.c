/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The words the reports use for DICOM codes and file kinds (issue 18, "plain
 * words"): DIR/words/report.yaml, maps of code -> words (modalities,
 * body_parts, transfer_syntaxes, modality_names, kinds), read with the rules.
 * The file is optional (a code with no words is shown as it is); a file that
 * is there must be right, or the rules do not load (FILE:LINE:COL errors like
 * every rules file): each name in modality_names is of modalities that have
 * their words ("PT+CT": both), every image modality a rule may ask for has a
 * name (the case summary names studies by it), and every kind of file has its
 * words (the timeline and the documents table say them), each a kind there is.
 */
#include <errno.h>
#include <fcntl.h>
#include <strings.h>

#include "model.h"
#include "rules-loader.h"
#include "util/fileio.h"
#include "util/yaml.h"

#define WORDS_FILE "words/report.yaml"
#define WORDS_MAX_BYTES (256u * 1024)
#define WORDS_MAX (4096u)

static const char *const sections[_RULE_WORDS_MAX] = {
	"modalities", "body_parts", "transfer_syntaxes", "modality_names", "kinds",
};
#define SECTIONS_SAID "modalities, body_parts, transfer_syntaxes, modality_names or kinds"

struct rule_words {
	char **code[_RULE_WORDS_MAX];
	char **word[_RULE_WORDS_MAX];
	int *line[_RULE_WORDS_MAX];     /* where each entry's code is, for the checks after reading */
	int *col[_RULE_WORDS_MAX];
	size_t n[_RULE_WORDS_MAX];
	int sec_line[_RULE_WORDS_MAX];  /* where each section's key is (0: not there) */
	int sec_col[_RULE_WORDS_MAX];
};

void rule_words_free(struct rule_words *w)
{
	if (!w)
		return;
	for (int s = 0; s < _RULE_WORDS_MAX; s++) {
		strv_free(w->code[s], w->n[s]);
		strv_free(w->word[s], w->n[s]);
		free(w->line[s]);
		free(w->col[s]);
	}
	free(w);
}

static void werr(struct strbuf *errors, const char *path, struct fy_node *n, const char *what)
{
	int line = 1, col = 1;
	(void)yaml_node_pos(n, &line, &col);
	(void)strbuf_printf(errors, "%s:%d:%d: %s\n", path, line, col, what);
}

static const char *find_word(const struct rule_words *w, enum rule_words_section s, const char *code, size_t len)
{
	for (size_t i = 0; i < w->n[s]; i++)
		if (strlen(w->code[s][i]) == len && strncasecmp(w->code[s][i], code, len) == 0)
			return w->word[s][i];
	return NULL;
}

/* The checks across entries and sections, after the whole file is read; the
 * number of errors. */
static int words_coherent(const struct rule_words *w, const char *path, struct strbuf *errors)
{
	int bad = 0;
	/* a study's name is of modalities with their words: "PT+CT" needs PT and CT */
	for (size_t i = 0; i < w->n[RULE_WORDS_MODALITY_NAME]; i++) {
		const char *c = w->code[RULE_WORDS_MODALITY_NAME][i], *plus = strchr(c, '+');
		if (plus && strchr(plus + 1, '+')) {
			(void)strbuf_printf(errors, "%s:%d:%d: modality_names: \"%s\": a name is of one code or two "
			                    "(\"PT+CT\")\n", path, w->line[RULE_WORDS_MODALITY_NAME][i],
			                    w->col[RULE_WORDS_MODALITY_NAME][i], c);
			bad++;
			continue;
		}
		for (const char *p = c;; ) {
			size_t len = strcspn(p, "+");
			if (!len || !find_word(w, RULE_WORDS_MODALITY, p, len)) {
				(void)strbuf_printf(errors, "%s:%d:%d: modality_names: \"%s\": %s%.*s%s\n", path,
				                    w->line[RULE_WORDS_MODALITY_NAME][i], w->col[RULE_WORDS_MODALITY_NAME][i], c,
				                    len ? "" : "an empty code", (int)len, p,
				                    len ? " is not in modalities (give its words there first)" : "");
				bad++;
				break;
			}
			if (!p[len])
				break;
			p += len + 1;
		}
	}
	int sl = w->sec_line[RULE_WORDS_MODALITY_NAME], sc = w->sec_col[RULE_WORDS_MODALITY_NAME];
	for (size_t i = 0; rule_modality_code(i); i++) {
		const char *m = rule_modality_code(i);
		if (!find_word(w, RULE_WORDS_MODALITY_NAME, m, strlen(m))) {
			(void)strbuf_printf(errors, "%s:%d:%d: modality_names: %s has no name (every image modality needs "
			                    "one: the case summary names studies by it)\n", path, sl ? sl : 1, sl ? sc : 1, m);
			bad++;
		}
	}
	/* the kinds: each one there is, each with its words */
	for (size_t i = 0; i < w->n[RULE_WORDS_KIND]; i++) {
		int k = 0;
		while (k < _KIND_MAX && strcmp(kind_name((enum ing_kind)k), w->code[RULE_WORDS_KIND][i]) != 0)
			k++;
		if (k == _KIND_MAX) {
			(void)strbuf_printf(errors, "%s:%d:%d: kinds: \"%s\" is not a kind of file (the kinds are the "
			                    "\"kind\" values of gap-report.json: pathology-report, dicom-image, ...)\n", path,
			                    w->line[RULE_WORDS_KIND][i], w->col[RULE_WORDS_KIND][i], w->code[RULE_WORDS_KIND][i]);
			bad++;
		}
	}
	sl = w->sec_line[RULE_WORDS_KIND], sc = w->sec_col[RULE_WORDS_KIND];
	for (int k = 0; k < _KIND_MAX; k++) {
		const char *name = kind_name((enum ing_kind)k);
		if (!find_word(w, RULE_WORDS_KIND, name, strlen(name))) {
			(void)strbuf_printf(errors, "%s:%d:%d: kinds: %s has no words (every kind needs them: the "
			                    "reports say them)\n", path, sl ? sl : 1, sl ? sc : 1, name);
			bad++;
		}
	}
	return bad;
}

int rule_words_load(const char *dir, struct rule_words **out, struct strbuf *errors)
{
	_cleanup_free_ char *path = xasprintf("%s/" WORDS_FILE, dir);
	_cleanup_free_ char *buf = NULL;
	_cleanup_(fy_document_destroyp) struct fy_document *doc = NULL;
	size_t len = 0;
	int line = 1, col = 1, bad = 0;
	char *msg = NULL;

	*out = NULL;
	int r = read_file_at(AT_FDCWD, path, WORDS_MAX_BYTES, O_NOCTTY | O_NONBLOCK, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		(void)strbuf_printf(errors, "%s:1:1: cannot be read (%s)\n", path, strerror(-r));
		return r;
	}
	r = yaml_parse_text(buf, len, &doc, &line, &col, &msg);
	if (r < 0) {
		(void)strbuf_printf(errors, "%s:%d:%d: invalid YAML: %s\n", path, line, col, msg ? msg : strerror(-r));
		free(msg);
		return -EINVAL;
	}
	struct fy_node *root = fy_document_root(doc);
	if (!root || !fy_node_is_mapping(root)) {
		werr(errors, path, root, "expected a map with " SECTIONS_SAID);
		return -EINVAL;
	}
	struct rule_words *w = xcalloc(1, sizeof(*w));
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *key = k ? fy_node_get_scalar0(k) : NULL;
		int s = 0;
		while (s < _RULE_WORDS_MAX && (!key || strcmp(key, sections[s]) != 0))
			s++;
		if (s == _RULE_WORDS_MAX) {
			werr(errors, path, k, "unknown key (expected " SECTIONS_SAID ")");
			bad++;
			continue;
		}
		if (!v || !fy_node_is_mapping(v)) {
			werr(errors, path, k, "expected a map of code: words");
			bad++;
			continue;
		}
		(void)yaml_node_pos(k, &w->sec_line[s], &w->sec_col[s]);
		void *it2 = NULL;
		struct fy_node_pair *q;
		while ((q = fy_node_mapping_iterate(v, &it2))) {
			struct fy_node *ck = fy_node_pair_key(q), *cv = fy_node_pair_value(q);
			const char *code = ck && fy_node_is_scalar(ck) ? fy_node_get_scalar0(ck) : NULL;
			const char *word = cv && fy_node_is_scalar(cv) ? fy_node_get_scalar0(cv) : NULL;
			if (!code || !*code || !word || !*word || strlen(word) > RULES_MAX_STRING) {
				werr(errors, path, cv ? cv : ck, "expected code: words (a non-empty string)");
				bad++;
				continue;
			}
			if (w->n[s] >= WORDS_MAX) {
				werr(errors, path, ck, "too many entries");
				bad++;
				break;
			}
			w->code[s] = xrealloc(w->code[s], (w->n[s] + 1) * sizeof(char *));
			w->word[s] = xrealloc(w->word[s], (w->n[s] + 1) * sizeof(char *));
			w->line[s] = xrealloc(w->line[s], (w->n[s] + 1) * sizeof(int));
			w->col[s] = xrealloc(w->col[s], (w->n[s] + 1) * sizeof(int));
			w->line[s][w->n[s]] = w->col[s][w->n[s]] = 1;
			(void)yaml_node_pos(ck, &w->line[s][w->n[s]], &w->col[s][w->n[s]]);
			w->code[s][w->n[s]] = xstrdup(code);
			w->word[s][w->n[s]++] = xstrdup(word);
		}
	}
	if (!bad)
		bad = words_coherent(w, path, errors);
	if (bad) {
		rule_words_free(w);
		return -EINVAL;
	}
	*out = w;
	return 0;
}

const char *rule_word(const struct ruleset *rs, enum rule_words_section s, const char *code)
{
	const struct rule_words *w = rs ? rs->words : NULL;
	if (!w || !code || s < 0 || s >= _RULE_WORDS_MAX)
		return NULL;
	for (size_t i = 0; i < w->n[s]; i++)
		if (strcasecmp(w->code[s][i], code) == 0)
			return w->word[s][i];
	return NULL;
}

size_t rule_words_count(const struct ruleset *rs, enum rule_words_section s)
{
	const struct rule_words *w = rs ? rs->words : NULL;
	return w && s >= 0 && s < _RULE_WORDS_MAX ? w->n[s] : 0;
}

const char *rule_words_code(const struct ruleset *rs, enum rule_words_section s, size_t i)
{
	return i < rule_words_count(rs, s) ? rs->words->code[s][i] : NULL;
}

const char *rule_kind_words(const struct ruleset *rs, int kind)
{
	const char *name = kind_name((enum ing_kind)kind), *w = rule_word(rs, RULE_WORDS_KIND, name);
	return w ? w : name;
}
