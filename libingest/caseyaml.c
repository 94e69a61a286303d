/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * case.yaml reader (SPEC §3). Bounded (CASE_YAML_MAX_BYTES), never aborts the
 * scan: each problem becomes one "case.yaml:LINE:COL: what" line, and every
 * valid key is still used.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <libfyaml.h>

#include "caseyaml.h"
#include "util/yaml.h"

struct cy_parser {
	struct strbuf *errors;
	int n_errors;
};

struct cy_pos {
	int line, col;
};

static struct cy_pos cy_node_pos(struct fy_node *n, struct cy_pos fallback)
{
	struct cy_pos p = fallback;
	return yaml_node_pos(n, &p.line, &p.col) ? p : fallback;
}

static void cy_err(struct cy_parser *p, struct cy_pos pos, const char *fmt, ...) ING_PRINTF(3, 4);
static void cy_err(struct cy_parser *p, struct cy_pos pos, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	p->n_errors++;
	if (!p->errors)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)strbuf_printf(p->errors, "case.yaml:%d:%d: %s\n", pos.line, pos.col, msg);
}

/* A plain scalar value (not a list, not a mapping, not an alias), or NULL with an error. */
static const char *cy_scalar(struct cy_parser *p, const char *key, struct fy_node *v, struct cy_pos kpos,
                             size_t max, size_t *len_out)
{
	const char *s;
	size_t len;

	if (!v || (fy_node_is_scalar(v) && !fy_node_get_scalar(v, &len))) {
		cy_err(p, kpos, "\"%s\" has no value", key);
		return NULL;
	}
	if (!fy_node_is_scalar(v) || fy_node_is_alias(v)) {
		cy_err(p, cy_node_pos(v, kpos), "\"%s\" must be a single value (text), not %s", key,
		       fy_node_is_sequence(v) ? "a list" : fy_node_is_mapping(v) ? "a mapping" : "an alias");
		return NULL;
	}
	s = fy_node_get_scalar(v, &len);
	if (!s || len == 0) {
		cy_err(p, cy_node_pos(v, kpos), "\"%s\" is empty", key);
		return NULL;
	}
	if (len > max) {
		cy_err(p, cy_node_pos(v, kpos), "\"%s\" is longer than %zu bytes", key, max);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			cy_err(p, cy_node_pos(v, kpos), "\"%s\" contains a control character", key);
			return NULL;
		}
	}
	*len_out = len;
	return s;
}

static bool cy_id_ok(const char *s, size_t len)
{
	if (len == 0 || len > RULES_MAX_ID)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

/* ISO 639-1/-2 code, optionally with a region or script subtag: ar, pt-BR, zh-Hant. */
static bool cy_language_ok(const char *s, size_t len)
{
	size_t i = 0, sub;
	while (i < len && isalpha((unsigned char)s[i]))
		i++;
	if (i < 2 || i > 3)
		return false;
	while (i < len) {
		if (s[i] != '-' && s[i] != '_')
			return false;
		i++;
		sub = 0;
		while (i < len && isalnum((unsigned char)s[i]))
			i++, sub++;
		if (sub < 2 || sub > 8)
			return false;
	}
	return true;
}

/* A destination's name as ingestd's configuration has them (daemon/config.c). */
static bool case_yaml_destination_ok(const char *s, size_t len)
{
	if (len == 0 || len > CASE_YAML_MAX_DESTINATION)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

bool case_yaml_address_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t len = strlen(s);

	if (!at || at == s || len > CASE_YAML_MAX_ADDRESS || at - s > 64)
		return false;
	for (const char *c = s; c < at; c++) {
		unsigned char u = (unsigned char)*c;
		if (u <= 0x20 || u == 0x7f || strchr("\"(),:;<>@[\\]", u))
			return false;
	}
	if (s[0] == '.' || at[-1] == '.' || strstr(s, ".."))
		return false;
	/* domain: labels of letters, digits, '-', at least one dot, no empty label */
	const char *d = at + 1;
	size_t label = 0, dots = 0;
	if (!*d)
		return false;
	for (const char *c = d; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (u == '.') {
			if (label == 0)
				return false;
			label = 0;
			dots++;
			continue;
		}
		if (!(isalnum(u) || u == '-' || u >= 0x80))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && dots > 0 && d[0] != '-';
}

static void cy_notify_one(struct cy_parser *p, struct case_yaml *cy, struct fy_node *v, struct cy_pos kpos)
{
	size_t len;
	const char *s = cy_scalar(p, "notify", v, kpos, CASE_YAML_MAX_ADDRESS + 1, &len);
	if (!s)
		return;
	_cleanup_free_ char *a = xstrndup(s, len);
	if (!case_yaml_address_ok(a)) {
		cy_err(p, cy_node_pos(v, kpos), "\"%s\" in notify is not an e-mail address (expected name@example.org)", a);
		return;
	}
	if (cy->n_notify >= CASE_YAML_MAX_NOTIFY) {
		cy_err(p, cy_node_pos(v, kpos), "notify lists more than %d addresses; the rest are ignored",
		       CASE_YAML_MAX_NOTIFY);
		return;
	}
	cy->notify = xrealloc(cy->notify, (cy->n_notify + 1) * sizeof(char *));
	cy->notify[cy->n_notify++] = steal_ptr(a);
}

/* One password: any text, kept as written; an error never quotes it. */
static void cy_password_one(struct cy_parser *p, struct case_yaml *cy, struct fy_node *v, struct cy_pos kpos)
{
	size_t len;
	const char *s = cy_scalar(p, "passwords", v, kpos, CASE_YAML_MAX_PASSWORD, &len);
	if (!s)
		return;
	if (cy->n_passwords >= CASE_YAML_MAX_PASSWORDS) {
		cy_err(p, cy_node_pos(v, kpos), "passwords lists more than %d; the rest are not tried",
		       CASE_YAML_MAX_PASSWORDS);
		return;
	}
	if (memchr(s, '\n', len)) {
		cy_err(p, cy_node_pos(v, kpos), "a password holds a line break; it is not tried");
		return;
	}
	cy->passwords = xrealloc(cy->passwords, (cy->n_passwords + 1) * sizeof(char *));
	cy->passwords[cy->n_passwords++] = xstrndup(s, len);
}

static void cy_key(struct cy_parser *p, struct case_yaml *cy, const char *key, struct fy_node *v, struct cy_pos kpos)
{
	const char *s;
	size_t len;

	if (strcmp(key, "cancer_type") == 0) {
		if (!(s = cy_scalar(p, key, v, kpos, RULES_MAX_ID + 1, &len)))
			return;
		struct cy_pos vpos = cy_node_pos(v, kpos);
		if (!cy_id_ok(s, len)) {
			cy_err(p, vpos, "cancer_type \"%.*s\" is not a rules id (lower-case letters, digits and '-', "
			       "e.g. breast, nsclc, colorectal)", (int)MIN(len, (size_t)64), s);
			return;
		}
		cy->cancer_type = xstrndup(s, len);
		cy->cancer_type_line = vpos.line;
		cy->cancer_type_col = vpos.col;
	} else if (strcmp(key, "setting") == 0) {
		if (!(s = cy_scalar(p, key, v, kpos, 64, &len)))
			return;
		_cleanup_free_ char *w = xstrndup(s, len);
		int st = rule_setting_from_string(w);
		if (st < 0) {
			cy_err(p, cy_node_pos(v, kpos), "unknown setting \"%s\" (expected early, locally-advanced, "
			       "metastatic or recurrent)", w);
			return;
		}
		cy->setting = (enum rule_setting)st;
	} else if (strcmp(key, "question") == 0) {
		if (!(s = cy_scalar(p, key, v, kpos, CASE_YAML_MAX_QUESTION, &len)))
			return;
		free(cy->question);
		cy->question = utf8_sanitize(s, len);
	} else if (strcmp(key, "notify") == 0) {
		if (v && fy_node_is_sequence(v)) {
			void *it = NULL;
			struct fy_node *item;
			while ((item = fy_node_sequence_iterate(v, &it)))
				cy_notify_one(p, cy, item, cy_node_pos(item, kpos));
		} else {
			cy_notify_one(p, cy, v, kpos);
		}
	} else if (strcmp(key, "passwords") == 0) {
		if (v && fy_node_is_sequence(v)) {
			void *it = NULL;
			struct fy_node *item;
			while ((item = fy_node_sequence_iterate(v, &it)))
				cy_password_one(p, cy, item, cy_node_pos(item, kpos));
		} else {
			cy_password_one(p, cy, v, kpos);
		}
	} else if (strcmp(key, "deliver_to") == 0) {
		/* A bad value must not fall back to the default destination: the
		 * daemon holds the delivery (deliver_to_bad) and says why. */
		free(cy->deliver_to);
		cy->deliver_to = NULL;
		cy->deliver_to_bad = true;
		if (!(s = cy_scalar(p, key, v, kpos, CASE_YAML_MAX_DESTINATION + 1, &len)))
			return;
		if (!case_yaml_destination_ok(s, len)) {
			cy_err(p, cy_node_pos(v, kpos), "deliver_to \"%.*s\" is not a destination's name (letters, digits, "
			       "'-', '_' or '.', at most %d, as in ingestd's destinations:)", (int)MIN(len, (size_t)64), s,
			       CASE_YAML_MAX_DESTINATION);
			return;
		}
		cy->deliver_to = xstrndup(s, len);
		cy->deliver_to_bad = false;
	} else if (strcmp(key, "patient_language") == 0) {
		if (!(s = cy_scalar(p, key, v, kpos, 16, &len)))
			return;
		if (!cy_language_ok(s, len)) {
			cy_err(p, cy_node_pos(v, kpos), "patient_language \"%.*s\" is not a language code (e.g. ar, zh, pt-BR)",
			       (int)len, s);
			return;
		}
		cy->patient_language = xstrndup(s, len);
	} else {
		cy_err(p, kpos, "unknown key \"%s\" (expected cancer_type, setting, question, notify, patient_language, "
		       "passwords or deliver_to)", key);
	}
}

int case_yaml_parse(const char *buf, size_t len, struct case_yaml **out, struct strbuf *errors)
{
	struct cy_parser p = { .errors = errors };
	_cleanup_(case_yaml_freep) struct case_yaml *cy = NULL;
	_cleanup_(fy_document_destroyp) struct fy_document *doc = NULL;
	_cleanup_free_ char *msg = NULL;
	struct cy_pos at = { 1, 1 };
	int r;

	if (len > CASE_YAML_MAX_BYTES)
		return -E2BIG;
	cy = xcalloc(1, sizeof(*cy));
	if (len == 0 || memchr(buf, 0, len)) {
		if (len) {
			cy_err(&p, (struct cy_pos){ 1, 1 }, "not a text file (contains NUL bytes); it was ignored");
			cy->ignored = true;
		}
		*out = steal_ptr(cy);
		return p.n_errors;
	}
	r = yaml_parse_text(buf, len, &doc, &at.line, &at.col, &msg);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		cy->ignored = true;
	if (r == -EILSEQ) {
		cy_err(&p, at, "not UTF-8 text (save it as UTF-8); the file was ignored");
	} else if (r < 0) {
		if (msg)
			cy_err(&p, at, "invalid YAML: %s; the file was ignored", msg);
		else
			cy_err(&p, at, "invalid YAML; the file was ignored");
	} else {
		struct fy_node *root = fy_document_root(doc);
		if (root && !fy_node_is_mapping(root)) {
			cy->ignored = true;
			cy_err(&p, cy_node_pos(root, (struct cy_pos){ 1, 1 }),
			       "expected keys such as \"cancer_type: breast\", found %s",
			       fy_node_is_sequence(root) ? "a list" : "a single value");
		} else if (root) {
			void *it = NULL;
			struct fy_node_pair *pair;
			while ((pair = fy_node_mapping_iterate(root, &it))) {
				struct fy_node *k = fy_node_pair_key(pair);
				struct cy_pos kpos = cy_node_pos(k, (struct cy_pos){ 1, 1 });
				size_t klen;
				const char *ks = k && fy_node_is_scalar(k) ? fy_node_get_scalar(k, &klen) : NULL;
				if (!ks || klen == 0 || klen > 64) {
					cy_err(&p, kpos, "a key must be a short word");
					continue;
				}
				_cleanup_free_ char *key = utf8_sanitize(ks, klen);
				cy_key(&p, cy, key, fy_node_pair_value(pair), kpos);
			}
		}
	}
	*out = steal_ptr(cy);
	return p.n_errors;
}

/* case.yaml could not be used at all: say why, and go on with an empty one. */
static int cy_ignored(struct case_yaml **out, struct strbuf *errors, const char *why)
{
	if (errors)
		(void)strbuf_printf(errors, "case.yaml:1:1: %s; it was ignored\n", why);
	*out = xcalloc(1, sizeof(**out));
	(*out)->ignored = true;
	return 1;
}

int case_yaml_read_at(int dirfd, const char *name, struct case_yaml **out, struct strbuf *errors)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	char why[128];
	int r = read_file_at(dirfd, name, CASE_YAML_MAX_BYTES, O_NOCTTY | O_NOFOLLOW | O_NONBLOCK, &buf, &len);

	if (r == -ENOENT)
		return -ENOENT;
	if (r == -EINVAL)
		return cy_ignored(out, errors, "not a regular file");
	if (r == -EFBIG)
		snprintf(why, sizeof(why), "larger than %u bytes", CASE_YAML_MAX_BYTES);
	else if (r < 0)
		snprintf(why, sizeof(why), "cannot be read (%s)", strerror(-r));
	if (r < 0)
		return cy_ignored(out, errors, why);
	r = case_yaml_parse(buf, len, out, errors);
	explicit_bzero(buf, len);       /* it may hold passwords */
	return r;
}

void case_yaml_passwords_free(char **pw, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		explicit_bzero(pw[i], strlen(pw[i]));
		free(pw[i]);
	}
	free(pw);
}

void case_yaml_passwords_at(int dirfd, const char *name, char ***out, size_t *n)
{
	struct case_yaml *cy = NULL;
	*out = NULL;
	*n = 0;
	if (case_yaml_read_at(dirfd, name, &cy, NULL) < 0 || !cy)
		return;
	*out = steal_ptr(cy->passwords);
	*n = cy->n_passwords;
	cy->n_passwords = 0;
	case_yaml_free(cy);
}

struct case_yaml *case_yaml_free(struct case_yaml *cy)
{
	if (!cy)
		return NULL;
	free(cy->cancer_type);
	free(cy->question);
	for (size_t i = 0; i < cy->n_notify; i++)
		free(cy->notify[i]);
	free(cy->notify);
	free(cy->patient_language);
	free(cy->deliver_to);
	case_yaml_passwords_free(cy->passwords, cy->n_passwords);
	free(cy);
	return NULL;
}

int case_yaml_notify_at(int dirfd, const char *name, char ***out, size_t *n)
{
	struct case_yaml *cy = NULL;
	*out = NULL;
	*n = 0;
	if (case_yaml_read_at(dirfd, name, &cy, NULL) < 0 || !cy)
		return 0;
	*out = steal_ptr(cy->notify);
	*n = cy->n_notify;
	cy->n_notify = 0;
	case_yaml_free(cy);
	return 0;
}

int case_yaml_deliver_to_at(int dirfd, const char *name, char **out, char **why)
{
	_cleanup_(case_yaml_freep) struct case_yaml *cy = NULL;
	*out = NULL;
	*why = NULL;
	int r = case_yaml_read_at(dirfd, name, &cy, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0 || !cy || cy->ignored) {
		*why = xstrdup("its case.yaml cannot be read as a whole (see the report's case.yaml problem), so the "
		               "destination it may name (deliver_to) is not known");
		return -EINVAL;
	}
	if (cy->deliver_to_bad) {
		*why = xstrdup("its case.yaml's deliver_to is not a destination's name (see the report's case.yaml "
		               "problem)");
		return -EINVAL;
	}
	if (!cy->deliver_to)
		return 0;
	*out = steal_ptr(cy->deliver_to);
	return 1;
}
