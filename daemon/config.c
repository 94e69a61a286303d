/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ingestd's configuration file: YAML read with libfyaml, file:line:col errors. */
#include <libfyaml.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "config.h"

struct cfg_parser {
	const char *file;
	struct strbuf *errors;
	unsigned n_errors;
};

static void cfg_err(struct cfg_parser *p, struct fy_node *n, const char *fmt, ...) ING_PRINTF(3, 4);
static void cfg_err(struct cfg_parser *p, struct fy_node *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int line = 1, col = 1;

	(void)yaml_node_pos(n, &line, &col);
	p->n_errors++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errors)
		(void)strbuf_printf(p->errors, "%s:%d:%d: %s\n", p->file, line, col, msg);
}

void config_defaults(struct ingestd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->settle_seconds = 10;
	c->rescan_seconds = 60;
	c->workers = 0;
	c->retention_days = 30;
	c->starttls = true;
	c->mail_retry_seconds = 60;
	c->parse_timeout_seconds = 120;
	c->worker_mem_bytes = UINT64_C(4) << 30;
	c->delivery_max_seconds = SEND_MAX_SECONDS;
	c->delivery_max_bytes = SEND_MAX_BYTES;
	c->delivery_max_attempts = DELIVERY_MAX_FAILURES;
	c->delivery_retry_first_seconds = DELIVERY_RETRY_FIRST_S;
	c->delivery_retry_max_seconds = DELIVERY_RETRY_MAX_S;
	ing_limits_default(&c->limits);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct ingestd_config *config_free(struct ingestd_config *c)
{
	if (!c)
		return NULL;
	free(c->file);
	free(c->base_dir);
	free(c->inbox);
	free(c->work);
	free(c->outbox);
	free(c->quarantine);
	free(c->archive);
	free(c->state_db);
	free(c->mail_outbox);
	free(c->rules_dir);
	strv_free(c->languages, c->n_languages);
	free(c->smtp_url);
	free(c->smtp_user);
	free(c->smtp_password_file);
	free(c->mail_from);
	strv_free(c->mail_to, c->n_mail_to);
	for (size_t i = 0; i < c->n_destinations; i++) {
		free(c->destinations[i].name);
		free(c->destinations[i].dicomweb);
		free(c->destinations[i].ca_file);
		free(c->destinations[i].token_file);
		free(c->destinations[i].basic_file);
		free(c->destinations[i].dimse);
		free(c->destinations[i].calling_aet);
	}
	free(c->destinations);
	free(c->delivery_default);
	free(c);
	return NULL;
}

static const char *cfg_scalar(struct cfg_parser *p, const char *key, struct fy_node *v)
{
	size_t len = 0;
	const char *s;
	if (!v || !fy_node_is_scalar(v) || fy_node_is_alias(v)) {
		cfg_err(p, v, "\"%s\" takes a single value", key);
		return NULL;
	}
	s = fy_node_get_scalar(v, &len);
	if (!s || len == 0 || len > 4096 || memchr(s, 0, len)) {
		cfg_err(p, v, "\"%s\" needs a value (1 to 4096 characters)", key);
		return NULL;
	}
	return s;
}

static char *cfg_string(struct cfg_parser *p, const char *key, struct fy_node *v)
{
	size_t len = 0;
	if (!cfg_scalar(p, key, v))
		return NULL;
	const char *s = fy_node_get_scalar(v, &len);
	return xstrndup(s, len);
}

static void cfg_set_string(struct cfg_parser *p, const char *key, struct fy_node *v, char **dst)
{
	char *s = cfg_string(p, key, v);
	if (s) {
		free(*dst);
		*dst = s;
	}
}

static void cfg_set_path(struct cfg_parser *p, const char *key, struct fy_node *v, char **dst)
{
	char *s = cfg_string(p, key, v);
	if (!s)
		return;
	if (s[0] != '/') {
		cfg_err(p, v, "\"%s\" must be an absolute path (starting with /), not \"%s\"", key, s);
		free(s);
		return;
	}
	free(*dst);
	*dst = s;
}

static bool cfg_u64(struct cfg_parser *p, const char *key, struct fy_node *v, uint64_t min, uint64_t max, uint64_t *out)
{
	size_t len = 0;
	if (!cfg_scalar(p, key, v))
		return false;
	const char *s = fy_node_get_scalar(v, &len);
	char buf[32];
	if (len >= sizeof(buf))
		goto bad;
	memcpy(buf, s, len);
	buf[len] = 0;
	/* Sizes may carry a binary suffix: 512K, 64M, 4G, 1T. */
	char *end;
	errno = 0;
	unsigned long long n = strtoull(buf, &end, 10);
	if (errno || end == buf || buf[0] == '-')
		goto bad;
	uint64_t mul = 1;
	switch (*end) {
	case 'K': mul = 1ull << 10; end++; break;
	case 'M': mul = 1ull << 20; end++; break;
	case 'G': mul = 1ull << 30; end++; break;
	case 'T': mul = 1ull << 40; end++; break;
	default: break;
	}
	if (*end || (n && mul > UINT64_MAX / n))
		goto bad;
	n *= mul;
	if (n < min || n > max) {
		cfg_err(p, v, "\"%s\" must be between %llu and %llu, not %s", key, (unsigned long long)min,
		        (unsigned long long)max, buf);
		return false;
	}
	*out = n;
	return true;
bad:
	cfg_err(p, v, "\"%s\" must be a whole number (optionally with K, M, G or T), not \"%.*s\"", key,
	        (int)MIN(len, 64), s);
	return false;
}

static void cfg_set_uint(struct cfg_parser *p, const char *key, struct fy_node *v, unsigned min, unsigned max,
                         unsigned *dst)
{
	uint64_t n;
	if (cfg_u64(p, key, v, min, max, &n))
		*dst = (unsigned)n;
}

static void cfg_set_bool(struct cfg_parser *p, const char *key, struct fy_node *v, bool *dst)
{
	const char *s = cfg_scalar(p, key, v);
	size_t len = 0;
	if (!s)
		return;
	s = fy_node_get_scalar(v, &len);
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
	for (size_t i = 0; i < 3; i++) {
		if (len == strlen(yes[i]) && strncasecmp(s, yes[i], len) == 0) {
			*dst = true;
			return;
		}
		if (len == strlen(no[i]) && strncasecmp(s, no[i], len) == 0) {
			*dst = false;
			return;
		}
	}
	cfg_err(p, v, "\"%s\" is true or false, not \"%.*s\"", key, (int)MIN(len, 64), s);
}

/* A list of strings, written as a YAML list ("[a, b]" or "- a" lines): a
 * single value is refused, so that a list is never half-read from a line
 * such as "to: a@b, c@d". CHECK validates each entry and may rewrite it in
 * place (to its canonical form); EXAMPLE shows the list's form. */
static void cfg_set_list(struct cfg_parser *p, const char *key, struct fy_node *v, bool (*check)(char *),
                         const char *what, const char *example, char ***dst, size_t *n_dst)
{
	char **list = NULL;
	size_t n = 0;
	unsigned before = p->n_errors;
	struct fy_node *item;
	void *it = NULL;

	if (!v || !fy_node_is_sequence(v)) {
		cfg_err(p, v, "\"%s\" is a list, even of one entry: write it as \"%s: %s\"", key, key, example);
		return;
	}
	list = xcalloc(CONFIG_MAX_LIST, sizeof(char *));
	while ((item = fy_node_sequence_iterate(v, &it))) {
		if (n == CONFIG_MAX_LIST) {
			cfg_err(p, item, "\"%s\" takes at most %d entries", key, CONFIG_MAX_LIST);
			break;
		}
		char *s = cfg_string(p, key, item);
		if (s && check && !check(s)) {
			cfg_err(p, item, "\"%s\": \"%s\" is not %s", key, s, what);
			free(s);
			s = NULL;
		}
		if (s)
			list[n++] = s;
	}
	if (p->n_errors != before) {
		strv_free(list, n);
		return;
	}
	strv_free(*dst, *n_dst);
	*dst = list;
	*n_dst = n;
}

/* Every ISO 639-1 code: the alpha_2 codes of Debian's iso-codes
 * (/usr/share/iso-codes/json/iso_639-2.json, 184 codes, "bh" included). The
 * language detector of the documents names languages by these codes. */
static const char iso639_1[] =
	"aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz "
	"ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik "
	"io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml "
	"mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd "
	"se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi "
	"vo wa wo xh yi yo za zh zu";

/* An ISO 639-1 code ("de"), optionally with a region ("pt-BR", "es-419"):
 * rewritten to the lower-case language code, which is what documents are
 * matched by (a region does not change whether a text needs translation). */
static bool lang_ok(char *s)
{
	size_t n = strlen(s);
	if (n != 2 && !(n == 5 && s[2] == '-' && isalpha((unsigned char)s[3]) && isalpha((unsigned char)s[4])) &&
	    !(n == 6 && s[2] == '-' && isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) &&
	      isdigit((unsigned char)s[5])))
		return false;
	char code[3] = { (char)tolower((unsigned char)s[0]), (char)tolower((unsigned char)s[1]), 0 };
	if (!isalpha((unsigned char)code[0]) || !isalpha((unsigned char)code[1]))
		return false;
	for (const char *t = iso639_1; *t; t += t[2] ? 3 : 2)
		if (t[0] == code[0] && t[1] == code[1]) {
			memcpy(s, code, 3);
			return true;
		}
	return false;
}

static bool address_ok(char *s)
{
	return case_yaml_address_ok(s);
}

#define LIMIT_U64(name, lo, hi) { #name, offsetof(struct ing_limits, name), 8, lo, hi }
#define LIMIT_U32(name, lo, hi) { #name, offsetof(struct ing_limits, name), 4, lo, hi }
static const struct limit_key {
	const char *name;
	size_t off, size;
	uint64_t min, max;
} limit_keys[] = {
	LIMIT_U64(max_file_bytes, 1, UINT64_MAX),
	LIMIT_U64(max_total_bytes, 1, UINT64_MAX),
	LIMIT_U64(max_entries, 1, UINT64_MAX),
	LIMIT_U32(max_depth, 1, 64),
	LIMIT_U32(max_ratio, 1, 1000000),
	LIMIT_U32(max_path_bytes, 64, 65536),
	LIMIT_U64(max_dicom_header_bytes, 1024, UINT64_MAX),
	LIMIT_U64(max_doc_bytes, 1, UINT64_MAX),
	LIMIT_U64(max_text_bytes, 1, UINT64_MAX),
	LIMIT_U64(max_case_text_bytes, 1, UINT64_MAX),
	LIMIT_U32(extract_cpu_seconds, 1, 86400),
	LIMIT_U64(extract_mem_bytes, 16u << 20, UINT64_MAX),
	LIMIT_U32(max_pages, 1, 1000000),
	LIMIT_U32(max_ocr_documents, 0, 1000000),
	LIMIT_U32(max_download_seconds, 1, 7 * 86400),
	LIMIT_U64(max_download_bytes, 1, UINT64_MAX),
	LIMIT_U32(max_drop_ratio, 0, 1000000),
	LIMIT_U32(max_drop_seconds, 0, 30u * 86400),
};

static void cfg_limits(struct cfg_parser *p, struct fy_node *map, struct ing_limits *l)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	if (!fy_node_is_mapping(map)) {
		cfg_err(p, map, "\"limits\" is a mapping of limit names to numbers");
		return;
	}
	while ((pair = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		const char *ks = k && fy_node_is_scalar(k) ? fy_node_get_scalar0(k) : NULL;
		const struct limit_key *lk = NULL;
		for (size_t i = 0; ks && i < ARRAY_SIZE(limit_keys); i++)
			if (strcmp(ks, limit_keys[i].name) == 0)
				lk = &limit_keys[i];
		if (!lk) {
			cfg_err(p, k, "unknown limit \"%s\" (see docs/config.md for the list)", ks ? ks : "?");
			continue;
		}
		uint64_t n, max = lk->size == 4 ? MIN(lk->max, UINT32_MAX) : lk->max;
		if (!cfg_u64(p, lk->name, v, lk->min, max, &n))
			continue;
		if (lk->size == 4) {
			uint32_t x = (uint32_t)n;
			memcpy((char *)l + lk->off, &x, 4);
		} else {
			memcpy((char *)l + lk->off, &n, 8);
		}
	}
}

static void cfg_paths(struct cfg_parser *p, struct fy_node *map, struct ingestd_config *c)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
		{ "inbox", offsetof(struct ingestd_config, inbox) },
		{ "work", offsetof(struct ingestd_config, work) },
		{ "outbox", offsetof(struct ingestd_config, outbox) },
		{ "quarantine", offsetof(struct ingestd_config, quarantine) },
		{ "archive", offsetof(struct ingestd_config, archive) },
		{ "state_db", offsetof(struct ingestd_config, state_db) },
		{ "mail_outbox", offsetof(struct ingestd_config, mail_outbox) },
		{ "rules", offsetof(struct ingestd_config, rules_dir) },
	};
	struct fy_node_pair *pair;
	void *it = NULL;
	if (!fy_node_is_mapping(map)) {
		cfg_err(p, map, "\"paths\" is a mapping such as \"inbox: /srv/ingest/inbox\"");
		return;
	}
	while ((pair = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		const char *ks = k && fy_node_is_scalar(k) ? fy_node_get_scalar0(k) : NULL;
		size_t i;
		for (i = 0; ks && i < ARRAY_SIZE(keys); i++)
			if (strcmp(ks, keys[i].name) == 0)
				break;
		if (!ks || i == ARRAY_SIZE(keys)) {
			cfg_err(p, k, "unknown path \"%s\": expected inbox, work, outbox, quarantine, archive, state_db, "
			        "mail_outbox or rules", ks ? ks : "?");
			continue;
		}
		cfg_set_path(p, ks, v, (char **)((char *)c + keys[i].off));
	}
}

static void cfg_mail(struct cfg_parser *p, struct fy_node *map, struct ingestd_config *c)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	if (!fy_node_is_mapping(map)) {
		cfg_err(p, map, "\"mail\" is a mapping (smtp_url, starttls, user, password_file, from, to)");
		return;
	}
	while ((pair = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		const char *ks = k && fy_node_is_scalar(k) ? fy_node_get_scalar0(k) : "";
		if (strcmp(ks, "smtp_url") == 0) {
			char *s = cfg_string(p, ks, v);
			if (s && strncmp(s, "smtp://", 7) != 0 && strncmp(s, "smtps://", 8) != 0) {
				cfg_err(p, v, "\"smtp_url\" is smtp://HOST:PORT or smtps://HOST:PORT, not \"%s\"", s);
				free(s);
				s = NULL;
			}
			if (s) {
				free(c->smtp_url);
				c->smtp_url = s;
			}
		} else if (strcmp(ks, "starttls") == 0) {
			cfg_set_bool(p, ks, v, &c->starttls);
		} else if (strcmp(ks, "user") == 0) {
			cfg_set_string(p, ks, v, &c->smtp_user);
		} else if (strcmp(ks, "password_file") == 0) {
			cfg_set_path(p, ks, v, &c->smtp_password_file);
		} else if (strcmp(ks, "from") == 0) {
			char *s = cfg_string(p, ks, v);
			if (s && !address_ok(s)) {
				cfg_err(p, v, "\"from\": \"%s\" is not an e-mail address", s);
				free(s);
				s = NULL;
			}
			if (s) {
				free(c->mail_from);
				c->mail_from = s;
			}
		} else if (strcmp(ks, "to") == 0) {
			cfg_set_list(p, ks, v, address_ok, "an e-mail address such as coordinator@example.org",
			             "[coordinator@example.org]", &c->mail_to, &c->n_mail_to);
		} else if (strcmp(ks, "retry_seconds") == 0) {
			cfg_set_uint(p, ks, v, 1, 86400, &c->mail_retry_seconds);
		} else {
			cfg_err(p, k, "unknown mail key \"%s\": expected smtp_url, starttls, user, password_file, from, to "
			        "or retry_seconds", ks);
		}
	}
}

/* An AE title (PS3.5 6.2): 1 to 16 characters of printable ASCII but a backslash, no spaces around. */
static bool aet_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 16 || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return false;
	return true;
}

static bool host_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* An AE title key: set *DST, or say what is wrong. */
static void cfg_set_aet(struct cfg_parser *p, const char *key, struct fy_node *v, char **dst)
{
	char *s = cfg_string(p, key, v);
	if (s && !aet_ok(s)) {
		cfg_err(p, v, "\"%s\" is an AE title: 1 to 16 characters, no '\\', no spaces around, not \"%s\"", key, s);
		free(s);
	} else if (s) {
		free(*dst);
		*dst = s;
	}
}

/* delivery: {default: NAME, max_seconds, max_bytes, max_attempts,
 * retry_first_seconds, retry_max_seconds} (docs/config.md) */
static void cfg_delivery(struct cfg_parser *p, struct fy_node *map, struct ingestd_config *c,
                         struct fy_node **default_node)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	if (!fy_node_is_mapping(map)) {
		cfg_err(p, map, "\"delivery\" is a mapping, e.g. \"default: centre-a\" (a destination) and the budgets "
		        "of a delivery (max_seconds, max_bytes, max_attempts, retry_first_seconds, retry_max_seconds)");
		return;
	}
	while ((pair = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		const char *ks = k && fy_node_is_scalar(k) ? fy_node_get_scalar0(k) : "";
		if (!v)
			cfg_err(p, k, "\"delivery.%s\" has no value", ks);
		else if (strcmp(ks, "default") == 0) {
			cfg_set_string(p, "default", v, &c->delivery_default);
			*default_node = v;
		} else if (strcmp(ks, "max_seconds") == 0)
			cfg_set_uint(p, "delivery.max_seconds", v, 60, 7 * 86400, &c->delivery_max_seconds);
		else if (strcmp(ks, "max_bytes") == 0)
			(void)cfg_u64(p, "delivery.max_bytes", v, UINT64_C(1) << 20, UINT64_MAX, &c->delivery_max_bytes);
		else if (strcmp(ks, "max_attempts") == 0)
			cfg_set_uint(p, "delivery.max_attempts", v, 1, 1000, &c->delivery_max_attempts);
		else if (strcmp(ks, "retry_first_seconds") == 0)
			cfg_set_uint(p, "delivery.retry_first_seconds", v, 1, 86400, &c->delivery_retry_first_seconds);
		else if (strcmp(ks, "retry_max_seconds") == 0)
			cfg_set_uint(p, "delivery.retry_max_seconds", v, 1, 7 * 86400, &c->delivery_retry_max_seconds);
		else
			cfg_err(p, k, "unknown key \"delivery.%s\": expected default, max_seconds, max_bytes, max_attempts, "
			        "retry_first_seconds or retry_max_seconds", ks);
	}
	if (c->delivery_retry_max_seconds < c->delivery_retry_first_seconds)
		cfg_err(p, map, "\"delivery.retry_max_seconds\" (%u) is less than \"delivery.retry_first_seconds\" (%u): the "
		        "wait between attempts doubles from the first up to the most", c->delivery_retry_max_seconds,
		        c->delivery_retry_first_seconds);
}

/* destinations: NAME: {dicomweb, allow_http, ca_file, token_file | basic_file}
 *                  or {called_aet, host, port, calling_aet, tls, ca_file, allow_transcode, commit_port} (DIMSE) */
static void cfg_destinations(struct cfg_parser *p, struct fy_node *map, struct ingestd_config *c)
{
	struct fy_node_pair *pair;
	void *it = NULL;

	if (!fy_node_is_mapping(map)) {
		cfg_err(p, map, "\"destinations\" is a mapping of names to destinations, e.g. "
		        "\"centre-a: {dicomweb: https://pacs.example.org/dicom-web/}\"");
		return;
	}
	while ((pair = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *d = fy_node_pair_value(pair);
		const char *name = k && fy_node_is_scalar(k) ? fy_node_get_scalar0(k) : "";
		bool name_ok = *name && strlen(name) <= 64 && !strstr(name, "://");
		for (const char *q = name; name_ok && *q; q++)
			name_ok = isalnum((unsigned char)*q) || *q == '-' || *q == '_' || *q == '.';
		if (!name_ok) {
			cfg_err(p, k, "a destination's name is letters, digits, '-', '_' or '.' (at most 64), "
			        "not \"%s\"", name);
			continue;
		}
		if (c->n_destinations >= CONFIG_MAX_LIST) {
			cfg_err(p, k, "more than %d destinations", CONFIG_MAX_LIST);
			return;
		}
		if (config_destination(c, name)) {
			cfg_err(p, k, "destination \"%s\" is given twice", name);
			continue;
		}
		if (!d || !fy_node_is_mapping(d)) {
			cfg_err(p, d ? d : k, "destination \"%s\" is a mapping (dicomweb, allow_http, ca_file, "
			        "token_file, basic_file; or for DIMSE called_aet, host, port, calling_aet, tls, ca_file, "
			        "allow_transcode, commit_port)",
			        name);
			continue;
		}
		c->destinations = xrealloc(c->destinations, (c->n_destinations + 1) * sizeof(*c->destinations));
		struct ingestd_destination *dst = &c->destinations[c->n_destinations++];
		*dst = (struct ingestd_destination){ .name = xstrdup(name) };
		struct fy_node_pair *dp;
		void *dit = NULL;
		_cleanup_free_ char *called = NULL, *host = NULL;
		unsigned port = 0;
		bool web_keys = false, dimse_keys = false;
		while ((dp = fy_node_mapping_iterate(d, &dit))) {
			struct fy_node *dk = fy_node_pair_key(dp), *v = fy_node_pair_value(dp);
			const char *ks = dk && fy_node_is_scalar(dk) ? fy_node_get_scalar0(dk) : "";
			if (!v)
				cfg_err(p, dk, "\"%s\" has no value", ks);
			else if (strcmp(ks, "dicomweb") == 0) {
				char *s = cfg_string(p, ks, v);
				if (s && strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) {
					cfg_err(p, v, "\"dicomweb\" is the DICOMweb base URL, https://HOST/PATH/, "
					        "not \"%s\"", s);
					free(s);
				} else if (s) {
					free(dst->dicomweb);
					dst->dicomweb = s;
				}
			} else if (strcmp(ks, "allow_http") == 0) {
				cfg_set_bool(p, ks, v, &dst->allow_http);
				web_keys = true;
			} else if (strcmp(ks, "ca_file") == 0)
				cfg_set_path(p, ks, v, &dst->ca_file);
			else if (strcmp(ks, "token_file") == 0) {
				cfg_set_path(p, ks, v, &dst->token_file);
				web_keys = true;
			} else if (strcmp(ks, "basic_file") == 0) {
				cfg_set_path(p, ks, v, &dst->basic_file);
				web_keys = true;
			} else if (strcmp(ks, "called_aet") == 0) {
				cfg_set_aet(p, ks, v, &called);
				dimse_keys = true;
			} else if (strcmp(ks, "calling_aet") == 0) {
				cfg_set_aet(p, ks, v, &dst->calling_aet);
				dimse_keys = true;
			} else if (strcmp(ks, "host") == 0) {
				char *s = cfg_string(p, ks, v);
				if (s && !host_ok(s)) {
					cfg_err(p, v, "\"host\" is a host name or an IPv4 address, not \"%s\"", s);
					free(s);
				} else if (s) {
					free(host);
					host = s;
				}
				dimse_keys = true;
			} else if (strcmp(ks, "port") == 0) {
				cfg_set_uint(p, ks, v, 1, 65535, &port);
				dimse_keys = true;
			} else if (strcmp(ks, "tls") == 0) {
				cfg_set_bool(p, ks, v, &dst->tls);
				dimse_keys = true;
			} else if (strcmp(ks, "allow_transcode") == 0) {
				cfg_set_bool(p, ks, v, &dst->allow_transcode);
				dimse_keys = true;
			} else if (strcmp(ks, "commit_port") == 0) {
				cfg_set_uint(p, ks, v, 1, 65535, &dst->commit_port);
				dimse_keys = true;
			} else
				cfg_err(p, dk, "unknown destination key \"%s\": expected dicomweb, allow_http, "
				        "ca_file, token_file or basic_file (DICOMweb), or called_aet, host, port, "
				        "calling_aet, tls, ca_file, allow_transcode and commit_port (DIMSE)", ks);
		}
		if (dst->dicomweb && dimse_keys) {
			cfg_err(p, d, "destination \"%s\" mixes DICOMweb (dicomweb) and DIMSE keys (called_aet, host, "
			        "port, calling_aet, tls, allow_transcode, commit_port): give one kind", name);
		} else if (!dst->dicomweb && (dimse_keys || !web_keys)) {
			if (!called || !host || !port)
				cfg_err(p, d, "destination \"%s\" has no \"dicomweb\" URL, nor all of \"called_aet\", "
				        "\"host\" and \"port\" (DIMSE)", name);
			else
				dst->dimse = xasprintf("dicom://%s@%s:%u", called, host, port);
			if (web_keys)
				cfg_err(p, d, "destination \"%s\" is DIMSE: allow_http, token_file and basic_file are "
				        "for DICOMweb", name);
			if (dst->tls && !dst->ca_file)
				cfg_err(p, d, "destination \"%s\" has \"tls: true\" but no \"ca_file\" (the CA "
				        "certificates, PEM, its certificate is checked with)", name);
			if (!dst->tls && dst->ca_file)
				cfg_err(p, d, "destination \"%s\" gives a \"ca_file\" without \"tls: true\"", name);
		} else if (!dst->dicomweb)
			cfg_err(p, d, "destination \"%s\" has no \"dicomweb\" URL", name);
		else if (strncmp(dst->dicomweb, "http://", 7) == 0 && !dst->allow_http)
			cfg_err(p, d, "destination \"%s\" uses plain http: use https, or set \"allow_http: true\" on a "
			        "closed network", name);
		if (dst->token_file && dst->basic_file)
			cfg_err(p, d, "destination \"%s\" has both token_file and basic_file: give one", name);
	}
}

const struct ingestd_destination *config_destination(const struct ingestd_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_destinations; i++)
		if (strcmp(c->destinations[i].name, name) == 0)
			return &c->destinations[i];
	return NULL;
}

static char *join(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Reads PATH's keys into C; each problem is one of P's errors. 0, or a
 * negative errno when the file could not be used at all. */
static int cfg_read(struct cfg_parser *p, const char *path, struct ingestd_config *c)
{
	_cleanup_free_ char *buf = NULL, *msg = NULL;
	_cleanup_(fy_document_destroyp) struct fy_document *doc = NULL;
	size_t got;
	int r = read_file_at(AT_FDCWD, path, CONFIG_MAX_BYTES, O_NOCTTY, &buf, &got);

	if (r == -EINVAL || r == -EFBIG) {
		cfg_err(p, NULL, "not a regular file of at most %u bytes", CONFIG_MAX_BYTES);
		return -EINVAL;
	}
	if (r < 0) {
		if (p->errors)
			(void)strbuf_printf(p->errors, "%s:1:1: cannot read the configuration: %s\n", path, strerror(-r));
		return r;
	}
	/* An empty file, or one of comments only (the example configuration as
	 * shipped), leaves every default (yaml_parse_text: no document). */
	int line, col;
	r = got ? yaml_parse_text(buf, got, &doc, &line, &col, &msg) : 0;
	if (r == -EILSEQ || r == -EINVAL) {
		p->n_errors++;
		if (p->errors && r == -EILSEQ)
			(void)strbuf_printf(p->errors, "%s:%d:%d: not UTF-8 text (save the file as UTF-8)\n", path, line,
			                    col);
		else if (p->errors)
			(void)strbuf_printf(p->errors, "%s:%d:%d: invalid YAML%s%s\n", path, line, col, msg ? ": " : "",
			                    msg ? msg : "");
		return -EINVAL;
	}
	if (r < 0)
		return r;
	struct fy_node *root = doc ? fy_document_root(doc) : NULL, *delivery_node = NULL;
	if (root && !fy_node_is_mapping(root)) {
		cfg_err(p, root, "expected keys such as \"settle_seconds: 10\"");
		return 0;
	}
	struct fy_node_pair *pair;
	void *it = NULL;
	while (root && (pair = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		const char *ks = k && fy_node_is_scalar(k) ? fy_node_get_scalar0(k) : "";
		if (!v) {
			cfg_err(p, k, "\"%s\" has no value", ks);
			continue;
		}
		if (strcmp(ks, "base_dir") == 0)
			cfg_set_path(p, ks, v, &c->base_dir);
		else if (strcmp(ks, "paths") == 0)
			cfg_paths(p, v, c);
		else if (strcmp(ks, "settle_seconds") == 0)
			cfg_set_uint(p, ks, v, 1, 86400, &c->settle_seconds);
		else if (strcmp(ks, "rescan_seconds") == 0)
			cfg_set_uint(p, ks, v, 1, 86400, &c->rescan_seconds);
		else if (strcmp(ks, "workers") == 0)
			cfg_set_uint(p, ks, v, 0, 256, &c->workers);
		else if (strcmp(ks, "retention_days") == 0)
			cfg_set_uint(p, ks, v, 0, 36500, &c->retention_days);
		else if (strcmp(ks, "http_downloads") == 0)
			cfg_set_bool(p, ks, v, &c->http_downloads);
		else if (strcmp(ks, "languages") == 0)
			cfg_set_list(p, ks, v, lang_ok, "an ISO 639-1 language code such as \"en\", \"de\" or \"pt-BR\" "
			             "(two letters, optionally a region)", "[en, de]", &c->languages, &c->n_languages);
		else if (strcmp(ks, "parse_timeout_seconds") == 0)
			cfg_set_uint(p, ks, v, 1, 86400, &c->parse_timeout_seconds);
		else if (strcmp(ks, "worker_memory") == 0)
			(void)cfg_u64(p, ks, v, UINT64_C(256) << 20, UINT64_MAX, &c->worker_mem_bytes);
		else if (strcmp(ks, "limits") == 0)
			cfg_limits(p, v, &c->limits);
		else if (strcmp(ks, "mail") == 0)
			cfg_mail(p, v, c);
		else if (strcmp(ks, "destinations") == 0)
			cfg_destinations(p, v, c);
		else if (strcmp(ks, "delivery") == 0)
			cfg_delivery(p, v, c, &delivery_node);
		else
			cfg_err(p, k, "unknown key \"%s\": expected base_dir, paths, settle_seconds, rescan_seconds, "
			        "workers, retention_days, http_downloads, languages, parse_timeout_seconds, worker_memory, "
			        "limits, mail, destinations or delivery", ks);
	}
	if (c->delivery_default && !config_destination(c, c->delivery_default))
		cfg_err(p, delivery_node, "\"delivery.default\" names \"%s\", which is not in \"destinations\"",
		        c->delivery_default);
	if (c->smtp_url && !c->mail_from)
		cfg_err(p, root, "\"mail.smtp_url\" is set but \"mail.from\" is not: give the sender address");
	if (c->smtp_user && !c->smtp_password_file)
		cfg_err(p, root, "\"mail.user\" is set but \"mail.password_file\" is not");
	return 0;
}

/* What the file left out: the paths under base_dir, the workers, English. */
static void config_finish(struct ingestd_config *c)
{
	if (!c->n_languages) {
		free(c->languages);
		c->languages = xcalloc(1, sizeof(char *));
		c->languages[0] = xstrdup("en");
		c->n_languages = 1;
	}
	if (!c->base_dir)
		c->base_dir = xstrdup(INGESTD_DEFAULT_BASE);
	static const struct {
		size_t off;
		const char *name;
	} defs[] = {
		{ offsetof(struct ingestd_config, inbox), "inbox" },
		{ offsetof(struct ingestd_config, work), "work" },
		{ offsetof(struct ingestd_config, outbox), "outbox" },
		{ offsetof(struct ingestd_config, quarantine), "quarantine" },
		{ offsetof(struct ingestd_config, archive), "archive" },
		{ offsetof(struct ingestd_config, state_db), "state.db" },
		{ offsetof(struct ingestd_config, mail_outbox), "mail" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++) {
		char **dst = (char **)((char *)c + defs[i].off);
		if (!*dst)
			*dst = join(c->base_dir, defs[i].name);
	}
	if (c->workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c->workers = n > 0 ? (unsigned)MIN(n, 256) : 1;
	}
}

struct ingestd_config *config_new_defaults(void)
{
	struct ingestd_config *c = xcalloc(1, sizeof(*c));
	config_defaults(c);
	config_finish(c);
	return c;
}

int config_load(const char *path, struct ingestd_config **out, struct strbuf *errors)
{
	struct cfg_parser p = { .file = path, .errors = errors };
	_cleanup_(config_freep) struct ingestd_config *c = xcalloc(1, sizeof(*c));

	config_defaults(c);
	c->file = xstrdup(path);
	int r = cfg_read(&p, path, c);
	if (p.n_errors && r == 0)
		r = -EINVAL;
	if (r < 0)
		return r;
	config_finish(c);
	*out = steal_ptr(c);
	return 0;
}

int config_load_or_defaults(const char *path, bool given, struct ingestd_config **out, struct strbuf *errors)
{
	struct stat st;
	/* Only an absent file means defaults: one that is there but cannot be
	 * read (a dangling link, no permission) is an error, never ignored. */
	if (!given && lstat(path, &st) < 0 && errno == ENOENT) {
		*out = config_new_defaults();
		return 0;
	}
	return config_load(path, out, errors);
}

char *config_read_password(const struct ingestd_config *c)
{
	if (!c->smtp_password_file)
		return NULL;
	FILE *f = fopen(c->smtp_password_file, "re");
	if (!f)
		return NULL;
	char line[1024];
	char *s = fgets(line, sizeof(line), f) ? xstrdup(line) : NULL;
	fclose(f);
	if (s)
		s[strcspn(s, "\r\n")] = 0;
	return s;
}

void config_print(FILE *f, const struct ingestd_config *c)
{
	fprintf(f, "base_dir: %s\n", c->base_dir);
	fprintf(f, "paths.inbox: %s\npaths.work: %s\npaths.outbox: %s\npaths.quarantine: %s\npaths.archive: %s\n"
	        "paths.state_db: %s\npaths.mail_outbox: %s\npaths.rules: %s\n", c->inbox, c->work, c->outbox,
	        c->quarantine, c->archive, c->state_db, c->mail_outbox,
	        c->rules_dir ? c->rules_dir : evaluate_default_rules_dir());
	fprintf(f, "settle_seconds: %u\nrescan_seconds: %u\nworkers: %u\nretention_days: %u\nhttp_downloads: %s\n",
	        c->settle_seconds, c->rescan_seconds, c->workers, c->retention_days,
	        c->http_downloads ? "true" : "false");
	fprintf(f, "languages: [");
	for (size_t i = 0; i < c->n_languages; i++)
		fprintf(f, "%s%s", i ? ", " : "", c->languages[i]);
	fprintf(f, "]\nparse_timeout_seconds: %u\nworker_memory: %llu\n", c->parse_timeout_seconds,
	        (unsigned long long)c->worker_mem_bytes);
	for (size_t i = 0; i < ARRAY_SIZE(limit_keys); i++) {
		uint64_t v = 0;
		if (limit_keys[i].size == 4) {
			uint32_t x;
			memcpy(&x, (const char *)&c->limits + limit_keys[i].off, 4);
			v = x;
		} else {
			memcpy(&v, (const char *)&c->limits + limit_keys[i].off, 8);
		}
		fprintf(f, "limits.%s: %llu\n", limit_keys[i].name, (unsigned long long)v);
	}
	fprintf(f, "mail.smtp_url: %s\nmail.starttls: %s\nmail.user: %s\nmail.password_file: %s\nmail.from: %s\n",
	        c->smtp_url ? c->smtp_url : "(none)", c->starttls ? "true" : "false",
	        c->smtp_user ? c->smtp_user : "(none)", c->smtp_password_file ? c->smtp_password_file : "(none)",
	        c->mail_from ? c->mail_from : "(none)");
	fprintf(f, "mail.to: [");
	for (size_t i = 0; i < c->n_mail_to; i++)
		fprintf(f, "%s%s", i ? ", " : "", c->mail_to[i]);
	fprintf(f, "]\nmail.retry_seconds: %u\n", c->mail_retry_seconds);
	for (size_t i = 0; i < c->n_destinations; i++) {
		const struct ingestd_destination *d = &c->destinations[i];
		if (d->dimse) {
			fprintf(f, "destinations.%s.dimse: %s\ndestinations.%s.calling_aet: %s\ndestinations.%s.tls: %s\n"
			        "destinations.%s.ca_file: %s\ndestinations.%s.allow_transcode: %s\n"
			        "destinations.%s.commit_port: %u\n", d->name, d->dimse,
			        d->name, d->calling_aet ? d->calling_aet : "(default)", d->name, d->tls ? "true" : "false",
			        d->name, d->ca_file ? d->ca_file : "(none)", d->name, d->allow_transcode ? "true" : "false",
			        d->name, d->commit_port);
			continue;
		}
		fprintf(f, "destinations.%s.dicomweb: %s\ndestinations.%s.allow_http: %s\n", d->name, d->dicomweb,
		        d->name, d->allow_http ? "true" : "false");
		fprintf(f, "destinations.%s.ca_file: %s\ndestinations.%s.token_file: %s\n"
		        "destinations.%s.basic_file: %s\n", d->name, d->ca_file ? d->ca_file : "(none)", d->name,
		        d->token_file ? d->token_file : "(none)", d->name, d->basic_file ? d->basic_file : "(none)");
	}
	if (c->delivery_default)   /* like destinations: listed when set (the example file has neither) */
		fprintf(f, "delivery.default: %s\n", c->delivery_default);
	fprintf(f, "delivery.max_seconds: %u\ndelivery.max_bytes: %" PRIu64 "\ndelivery.max_attempts: %u\n"
	        "delivery.retry_first_seconds: %u\ndelivery.retry_max_seconds: %u\n", c->delivery_max_seconds,
	        c->delivery_max_bytes, c->delivery_max_attempts, c->delivery_retry_first_seconds,
	        c->delivery_retry_max_seconds);
}
