/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The words the reports use for DICOM codes (issue 18, "plain words"):
 * DIR/words/report.yaml, three maps of code -> words (modalities, body_parts,
 * transfer_syntaxes), read with the rules. The file is optional (a code with
 * no words is shown as it is); a file that is there must be right, or the
 * rules do not load (FILE:LINE:COL errors like every rules file).
 */
#include <errno.h>
#include <fcntl.h>
#include <strings.h>

#include "rules-loader.h"
#include "util/fileio.h"
#include "util/yaml.h"

#define WORDS_FILE "words/report.yaml"
#define WORDS_MAX_BYTES (256u * 1024)
#define WORDS_MAX (4096u)

static const char *const sections[_RULE_WORDS_MAX] = { "modalities", "body_parts", "transfer_syntaxes" };

struct rule_words {
	char **code[_RULE_WORDS_MAX];
	char **word[_RULE_WORDS_MAX];
	size_t n[_RULE_WORDS_MAX];
};

void rule_words_free(struct rule_words *w)
{
	if (!w)
		return;
	for (int s = 0; s < _RULE_WORDS_MAX; s++) {
		strv_free(w->code[s], w->n[s]);
		strv_free(w->word[s], w->n[s]);
	}
	free(w);
}

static void werr(struct strbuf *errors, const char *path, struct fy_node *n, const char *what)
{
	int line = 1, col = 1;
	(void)yaml_node_pos(n, &line, &col);
	(void)strbuf_printf(errors, "%s:%d:%d: %s\n", path, line, col, what);
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
		werr(errors, path, root, "expected a map with modalities, body_parts and transfer_syntaxes");
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
			werr(errors, path, k, "unknown key (expected modalities, body_parts or transfer_syntaxes)");
			bad++;
			continue;
		}
		if (!v || !fy_node_is_mapping(v)) {
			werr(errors, path, k, "expected a map of code: words");
			bad++;
			continue;
		}
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
			w->code[s][w->n[s]] = xstrdup(code);
			w->word[s][w->n[s]++] = xstrdup(word);
		}
	}
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
