/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Share links as patients send them (SPEC §3): the link shapes of cloud
 * services and the image-sharing portals are data (rules/links/services.yaml,
 * loaded and checked here, FILE:LINE:COL); share_plan() turns a link into
 * what its service serves as a direct download, and share_fetch() walks the
 * few steps a service takes (a short link, its API, an interstitial form its
 * own page submits) with fetch_url(), and refuses a web page as a record.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <curl/curl.h>

#include "fetch-private.h"
#include "util/yaml.h"

struct shape {
	char *host;                     /* lower case; "*.x" for any name below x */
	char **seg;                     /* path segments: literal, {name}, *, ** */
	size_t n_seg;
	char **qparam, **qcap;          /* query parameters that must be there, captured as */
	size_t n_q;
	enum share_action action;
	char *tmpl, *json, *take, *problem;
	size_t service;
};

struct service {
	char *id, *name, *form;
};

struct portal {
	char *name, *host;
};

struct share_table {
	struct service *svc;
	size_t n_svc;
	struct shape *shp;
	size_t n_shp;
	struct portal *por;
	size_t n_por;
};

struct share_table *share_table_free(struct share_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_svc; i++) {
		free(t->svc[i].id);
		free(t->svc[i].name);
		free(t->svc[i].form);
	}
	for (size_t i = 0; i < t->n_shp; i++) {
		struct shape *s = &t->shp[i];
		free(s->host);
		for (size_t k = 0; k < s->n_seg; k++)
			free(s->seg[k]);
		for (size_t k = 0; k < s->n_q; k++) {
			free(s->qparam[k]);
			free(s->qcap[k]);
		}
		free(s->seg);
		free(s->qparam);
		free(s->qcap);
		free(s->tmpl);
		free(s->json);
		free(s->take);
		free(s->problem);
	}
	for (size_t i = 0; i < t->n_por; i++) {
		free(t->por[i].name);
		free(t->por[i].host);
	}
	free(t->svc);
	free(t->shp);
	free(t->por);
	free(t);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */

struct loader {
	const char *file;
	struct strbuf err;
	int n_err;
	struct share_table *t;
};

static void lerr(struct loader *l, struct fy_node *n, const char *fmt, ...) ING_PRINTF(3, 4);
static void lerr(struct loader *l, struct fy_node *n, const char *fmt, ...)
{
	char msg[512];
	int line = 1, col = 1;
	va_list ap;
	(void)yaml_node_pos(n, &line, &col);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->n_err++;
	(void)strbuf_printf(&l->err, "%s:%d:%d: %s\n", l->file, line, col, msg);
}

/* The text of KEY in mapping M; NULL (with an error when REQUIRED) if absent or not text. */
static const char *ltext(struct loader *l, struct fy_node *m, const char *key, bool required)
{
	struct fy_node *v = fy_node_mapping_lookup_by_string(m, key, FY_NT);
	const char *s;
	size_t n;
	if (!v) {
		if (required)
			lerr(l, m, "\"%s\" is missing", key);
		return NULL;
	}
	if (!fy_node_is_scalar(v) || fy_node_is_alias(v) || !(s = fy_node_get_scalar0(v)) || !(n = strlen(s))) {
		lerr(l, v, "\"%s\" must be a non-empty text", key);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n') {
			lerr(l, v, "\"%s\" holds a control character", key);
			return NULL;
		}
	return s;
}

static void lkeys(struct loader *l, struct fy_node *m, const char *const *allowed, size_t n)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	while ((pair = fy_node_mapping_iterate(m, &it))) {
		const char *k = fy_node_get_scalar0(fy_node_pair_key(pair));
		bool ok = false;
		for (size_t i = 0; k && i < n && !ok; i++)
			ok = strcmp(k, allowed[i]) == 0;
		if (!ok)
			lerr(l, fy_node_pair_key(pair), "unknown key \"%s\"", k ? k : "?");
	}
}

static bool is_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* "{name}" -> name (pointer into S, length *n), else NULL. */
static const char *capture_name(const char *s, size_t *n)
{
	size_t l = strlen(s);
	if (l < 3 || s[0] != '{' || s[l - 1] != '}')
		return NULL;
	for (size_t i = 1; i < l - 1; i++)
		if (!is_name_char(s[i], i == 1))
			return NULL;
	*n = l - 2;
	return s + 1;
}

static bool shape_has_capture(const struct shape *s, const char *name, size_t n)
{
	size_t cl;
	const char *c;
	for (size_t i = 0; i < s->n_seg; i++)
		if ((c = capture_name(s->seg[i], &cl)) && cl == n && memcmp(c, name, n) == 0)
			return true;
	for (size_t i = 0; i < s->n_q; i++)
		if ((c = capture_name(s->qcap[i], &cl)) && cl == n && memcmp(c, name, n) == 0)
			return true;
	return false;
}

/* Every {placeholder} of T is a capture of S or {url}, {sep}, {url_b64}. */
static void check_template(struct loader *l, struct fy_node *n, const struct shape *s, const char *t, bool url)
{
	if (url && strncmp(t, "https://", 8) != 0 && strncmp(t, "{url}", 5) != 0)
		lerr(l, n, "the address must start with https:// or {url}");
	for (const char *p = t; (p = strchr(p, '{'));) {
		const char *e = strchr(p, '}');
		size_t k = e ? (size_t)(e - p - 1) : 0;
		bool ok = e && k > 0;
		for (size_t i = 0; ok && i < k; i++)
			ok = is_name_char(p[1 + i], i == 0);
		if (!ok) {
			/* JSON's own braces: a '{' not starting a placeholder. */
			p++;
			continue;
		}
		if (!((k == 3 && memcmp(p + 1, "url", 3) == 0) || (k == 3 && memcmp(p + 1, "sep", 3) == 0) ||
		      (k == 7 && memcmp(p + 1, "url_b64", 7) == 0) || shape_has_capture(s, p + 1, k)))
			lerr(l, n, "\"{%.*s}\" is not captured by this shape's path or query", (int)k, p + 1);
		p = e + 1;
	}
}

static bool check_host(struct loader *l, struct fy_node *n, const char *h)
{
	const char *p = strncmp(h, "*.", 2) == 0 ? h + 2 : h;
	if (!*p || !strchr(p, '.')) {
		lerr(l, n, "\"%s\" is not a host name", h);
		return false;
	}
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) {
			lerr(l, n, "\"%s\": a host name is lower-case letters, digits, '-' and '.' (\"*.\" first for "
			     "any name below it)", h);
			return false;
		}
	return true;
}

static void load_shape(struct loader *l, struct fy_node *m, size_t service)
{
	static const char *const keys[] = { "host", "path", "query", "direct", "follow", "api", "problem" };
	struct share_table *t = l->t;
	struct shape s = { .service = service };
	const char *host, *path, *v;
	struct fy_node *q, *api, *fol;
	int actions = 0;

	if (!fy_node_is_mapping(m)) {
		lerr(l, m, "a shape must be a mapping (host, path, ...)");
		return;
	}
	lkeys(l, m, keys, ARRAY_SIZE(keys));
	host = ltext(l, m, "host", true);
	path = ltext(l, m, "path", true);
	if (!host || !path || !check_host(l, fy_node_mapping_lookup_by_string(m, "host", FY_NT), host))
		return;
	if (path[0] != '/') {
		lerr(l, fy_node_mapping_lookup_by_string(m, "path", FY_NT), "a path starts with '/'");
		return;
	}
	s.host = xstrdup(host);
	for (const char *p = path + 1; *p;) {
		size_t n = strcspn(p, "/");
		if (n) {
			char *seg = xstrndup(p, n);
			size_t cl;
			if (seg[0] == '{' && !capture_name(seg, &cl))
				lerr(l, m, "path segment \"%s\" is not a {name} (a-z, 0-9, _)", seg);
			if (s.n_seg > 0 && strcmp(s.seg[s.n_seg - 1], "**") == 0)
				lerr(l, m, "\"**\" may only end a path");
			s.seg = xrealloc(s.seg, (s.n_seg + 1) * sizeof(*s.seg));
			s.seg[s.n_seg++] = seg;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if ((q = fy_node_mapping_lookup_by_string(m, "query", FY_NT))) {
		struct fy_node_pair *pair;
		void *it = NULL;
		if (!fy_node_is_mapping(q))
			lerr(l, q, "\"query\" must be a mapping of parameter: \"{name}\"");
		while (fy_node_is_mapping(q) && (pair = fy_node_mapping_iterate(q, &it))) {
			const char *k = fy_node_get_scalar0(fy_node_pair_key(pair));
			const char *c = fy_node_get_scalar0(fy_node_pair_value(pair));
			size_t cl;
			if (!k || !c || !capture_name(c, &cl)) {
				lerr(l, fy_node_pair_key(pair), "a query parameter is captured as \"{name}\"");
				continue;
			}
			s.qparam = xrealloc(s.qparam, (s.n_q + 1) * sizeof(*s.qparam));
			s.qcap = xrealloc(s.qcap, (s.n_q + 1) * sizeof(*s.qcap));
			s.qparam[s.n_q] = xstrdup(k);
			s.qcap[s.n_q++] = xstrdup(c);
		}
	}
	if ((v = ltext(l, m, "direct", false))) {
		actions++;
		s.action = SHARE_DIRECT;
		s.tmpl = xstrdup(v);
		check_template(l, fy_node_mapping_lookup_by_string(m, "direct", FY_NT), &s, v, true);
	}
	if ((fol = fy_node_mapping_lookup_by_string(m, "follow", FY_NT))) {
		actions++;
		s.action = SHARE_FOLLOW;
		if (!fy_node_is_scalar(fol) || strcmp(fy_node_get_scalar0(fol) ? fy_node_get_scalar0(fol) : "", "true"))
			lerr(l, fol, "\"follow\" can only be true");
	}
	if ((api = fy_node_mapping_lookup_by_string(m, "api", FY_NT))) {
		static const char *const akeys[] = { "post", "json", "take" };
		actions++;
		s.action = SHARE_API;
		if (!fy_node_is_mapping(api)) {
			lerr(l, api, "\"api\" must be a mapping of post, json and take");
		} else {
			const char *post = ltext(l, api, "post", true), *json = ltext(l, api, "json", true);
			const char *take = ltext(l, api, "take", true);
			lkeys(l, api, akeys, ARRAY_SIZE(akeys));
			if (post && json && take) {
				s.tmpl = xstrdup(post);
				s.json = xstrdup(json);
				s.take = xstrdup(take);
				check_template(l, fy_node_mapping_lookup_by_string(api, "post", FY_NT), &s, post, true);
				check_template(l, fy_node_mapping_lookup_by_string(api, "json", FY_NT), &s, json, false);
			}
		}
	}
	if ((v = ltext(l, m, "problem", false))) {
		actions++;
		s.action = SHARE_PROBLEM;
		s.problem = xstrdup(v);
	}
	if (actions != 1)
		lerr(l, m, "a shape has exactly one of direct, follow, api, problem (this one has %d)", actions);
	t->shp = xrealloc(t->shp, (t->n_shp + 1) * sizeof(*t->shp));
	t->shp[t->n_shp++] = s;
}

static void load_service(struct loader *l, struct fy_node *m)
{
	static const char *const keys[] = { "id", "name", "source", "form", "shapes" };
	struct share_table *t = l->t;
	const char *id, *name, *form;
	struct fy_node *shapes, *item;
	void *it = NULL;

	if (!fy_node_is_mapping(m)) {
		lerr(l, m, "a service must be a mapping (id, name, source, shapes)");
		return;
	}
	lkeys(l, m, keys, ARRAY_SIZE(keys));
	id = ltext(l, m, "id", true);
	name = ltext(l, m, "name", true);
	(void)ltext(l, m, "source", true);
	form = ltext(l, m, "form", false);
	shapes = fy_node_mapping_lookup_by_string(m, "shapes", FY_NT);
	if (!shapes || !fy_node_is_sequence(shapes) || fy_node_sequence_item_count(shapes) == 0) {
		lerr(l, shapes ? shapes : m, "\"shapes\" must be a non-empty list");
		return;
	}
	if (!id || !name)
		return;
	for (size_t i = 0; i < t->n_svc; i++)
		if (strcmp(t->svc[i].id, id) == 0)
			lerr(l, m, "service \"%s\" is defined twice", id);
	t->svc = xrealloc(t->svc, (t->n_svc + 1) * sizeof(*t->svc));
	t->svc[t->n_svc] = (struct service){ xstrdup(id), xstrdup(name), form ? xstrdup(form) : NULL };
	t->n_svc++;
	while ((item = fy_node_sequence_iterate(shapes, &it)))
		load_shape(l, item, t->n_svc - 1);
}

int share_table_load(const char *path, struct share_table **out, char **error)
{
	_cleanup_(fy_document_destroyp) struct fy_document *doc = NULL;
	_cleanup_free_ char *text = NULL, *msg = NULL;
	struct loader l = { .file = path };
	struct fy_node *root, *list, *item;
	size_t len = 0;
	int line = 1, col = 1, r;
	void *it = NULL;

	*out = NULL;
	if (error)
		*error = NULL;
	r = read_file_at(AT_FDCWD, path, SHARE_DATA_MAX_BYTES, 0, &text, &len);
	if (r < 0) {
		if (error)
			*error = xasprintf("%s: %s", path, r == -EFBIG ? "the file is too large" : strerror(-r));
		return r;
	}
	r = yaml_parse_text(text, len, &doc, &line, &col, &msg);
	if (r < 0) {
		if (error)
			*error = xasprintf("%s:%d:%d: %s", path, line, col, msg ? msg : "not UTF-8 text");
		return r == -ENOMEM ? r : -EINVAL;
	}
	strbuf_init(&l.err, 64 * 1024);
	strbuf_puts(&l.err, "");
	l.t = xcalloc(1, sizeof(*l.t));
	root = fy_document_root(doc);
	if (!root || !fy_node_is_mapping(root)) {
		lerr(&l, root, "the file must be a mapping with \"services\" and \"portals\"");
	} else {
		static const char *const keys[] = { "services", "portals" };
		lkeys(&l, root, keys, ARRAY_SIZE(keys));
		list = fy_node_mapping_lookup_by_string(root, "services", FY_NT);
		if (!list || !fy_node_is_sequence(list))
			lerr(&l, list ? list : root, "\"services\" must be a list");
		while (list && fy_node_is_sequence(list) && (item = fy_node_sequence_iterate(list, &it)))
			load_service(&l, item);
		list = fy_node_mapping_lookup_by_string(root, "portals", FY_NT);
		it = NULL;
		if (list && !fy_node_is_sequence(list))
			lerr(&l, list, "\"portals\" must be a list");
		while (list && fy_node_is_sequence(list) && (item = fy_node_sequence_iterate(list, &it))) {
			const char *name = fy_node_is_mapping(item) ? ltext(&l, item, "name", true) : NULL;
			const char *host = fy_node_is_mapping(item) ? ltext(&l, item, "host", true) : NULL;
			if (!fy_node_is_mapping(item))
				lerr(&l, item, "a portal is a mapping of name and host");
			if (!name || !host || !check_host(&l, fy_node_mapping_lookup_by_string(item, "host", FY_NT), host))
				continue;
			l.t->por = xrealloc(l.t->por, (l.t->n_por + 1) * sizeof(*l.t->por));
			l.t->por[l.t->n_por++] = (struct portal){ xstrdup(name), xstrdup(host) };
		}
	}
	if (l.n_err) {
		share_table_free(l.t);
		if (error)
			*error = strbuf_steal(&l.err);
		strbuf_free(&l.err);
		return -EINVAL;
	}
	strbuf_free(&l.err);
	*out = l.t;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                  */

/* Characters a captured value may hold: nothing that ends a path segment, a
 * query or a JSON string. */
static bool capture_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._~!$'()*+,;=:@%-", c)))
			return false;
	}
	return true;
}

static bool host_match(const char *pat, const char *host)
{
	if (strncmp(pat, "*.", 2) == 0) {
		size_t pl = strlen(pat + 1), hl = strlen(host);
		return hl > pl && strcmp(host + hl - pl, pat + 1) == 0;
	}
	return strcmp(pat, host) == 0;
}

struct url_parts {
	char *host, *path, *query;      /* host lower case; query may be NULL */
};

static void url_parts_free(struct url_parts *u)
{
	curl_free(u->host);
	curl_free(u->path);
	curl_free(u->query);
}

static int url_split(const char *url, struct url_parts *out)
{
	CURLU *u = curl_url();
	int r = -EINVAL;
	*out = (struct url_parts){ 0 };
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &out->host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &out->path, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_QUERY, &out->query, 0) != CURLUE_OK)
			out->query = NULL;
		for (char *p = out->host; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		r = 0;
	}
	curl_url_cleanup(u);
	if (r < 0)
		url_parts_free(out);
	return r;
}

struct captures {
	const char *name[SHARE_MAX_CAPTURES];
	size_t name_len[SHARE_MAX_CAPTURES];
	const char *val[SHARE_MAX_CAPTURES];
	size_t val_len[SHARE_MAX_CAPTURES];
	size_t n;
};

static bool capture(struct captures *c, const char *pat, const char *v, size_t n)
{
	size_t nl;
	const char *name = capture_name(pat, &nl);
	if (!name || !capture_ok(v, n) || c->n >= SHARE_MAX_CAPTURES)
		return false;
	c->name[c->n] = name;
	c->name_len[c->n] = nl;
	c->val[c->n] = v;
	c->val_len[c->n++] = n;
	return true;
}

static bool shape_match(const struct shape *s, const struct url_parts *u, struct captures *c)
{
	const char *p = u->path;
	size_t i = 0;

	c->n = 0;
	if (!host_match(s->host, u->host))
		return false;
	while (*p == '/')
		p++;
	for (; i < s->n_seg; i++) {
		size_t n = strcspn(p, "/");
		if (strcmp(s->seg[i], "**") == 0)
			return true;
		if (n == 0)
			return false;
		if (s->seg[i][0] == '{') {
			if (!capture(c, s->seg[i], p, n))
				return false;
		} else if (strcmp(s->seg[i], "*") != 0 && (strlen(s->seg[i]) != n || memcmp(s->seg[i], p, n) != 0))
			return false;
		p += n;
		while (*p == '/')
			p++;
	}
	if (*p)
		return false;
	for (size_t k = 0; k < s->n_q; k++) {
		size_t pl = strlen(s->qparam[k]);
		bool found = false;
		for (const char *q = u->query; q && *q && !found;) {
			size_t n = strcspn(q, "&");
			if (n > pl && q[pl] == '=' && strncmp(q, s->qparam[k], pl) == 0) {
				if (!capture(c, s->qcap[k], q + pl + 1, n - pl - 1))
					return false;
				found = true;
			}
			q += n;
			if (*q == '&')
				q++;
		}
		if (!found)
			return false;
	}
	return true;
}

static void b64url(struct strbuf *b, const char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
		size_t k = MIN(n - i, (size_t)3);
		char o[4];
		if (k > 1)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (k > 2)
			v |= (unsigned char)s[i + 2];
		for (size_t j = 0; j < 4; j++)
			o[j] = tab[(v >> (18 - 6 * j)) & 63];
		(void)strbuf_append(b, o, k + 1);
	}
}

static char *expand(const char *t, const char *url, const struct captures *c)
{
	size_t ul = strcspn(url, "#");
	struct strbuf b;
	strbuf_init(&b, 4 * FETCH_MAX_URL_BYTES);
	strbuf_puts(&b, "");
	for (const char *p = t; *p;) {
		const char *e = *p == '{' ? strchr(p, '}') : NULL;
		size_t k = e ? (size_t)(e - p - 1) : 0;
		bool done = false;
		if (e && k == 3 && memcmp(p + 1, "url", 3) == 0) {
			(void)strbuf_append(&b, url, ul);
			done = true;
		} else if (e && k == 3 && memcmp(p + 1, "sep", 3) == 0) {
			(void)strbuf_puts(&b, memchr(url, '?', ul) ? "&" : "?");
			done = true;
		} else if (e && k == 7 && memcmp(p + 1, "url_b64", 7) == 0) {
			b64url(&b, url, ul);
			done = true;
		}
		for (size_t i = 0; e && !done && i < c->n; i++)
			if (c->name_len[i] == k && memcmp(c->name[i], p + 1, k) == 0) {
				(void)strbuf_append(&b, c->val[i], c->val_len[i]);
				done = true;
			}
		if (done) {
			p = e + 1;
		} else {
			(void)strbuf_append(&b, p, 1);
			p++;
		}
	}
	char *r = strbuf_steal(&b);
	strbuf_free(&b);
	return r;
}

void share_plan_clear(struct share_plan *p)
{
	free(p->url);
	free(p->json);
	*p = (struct share_plan){ 0 };
}

int share_plan(const struct share_table *t, const char *url, struct share_plan *p)
{
	struct url_parts u;
	struct captures c;
	int r = -ENOENT;

	*p = (struct share_plan){ 0 };
	if (!t || url_split(url, &u) < 0)
		return -ENOENT;
	for (size_t i = 0; i < t->n_shp && r < 0; i++) {
		const struct shape *s = &t->shp[i];
		if (!shape_match(s, &u, &c))
			continue;
		p->service = t->svc[s->service].name;
		p->form = t->svc[s->service].form;
		p->action = s->action;
		p->take = s->take;
		p->problem = s->problem;
		if (s->tmpl)
			p->url = expand(s->tmpl, url, &c);
		if (s->json)
			p->json = expand(s->json, url, &c);
		if (s->action == SHARE_FOLLOW)
			p->url = xstrndup(url, strcspn(url, "#"));
		r = 0;
	}
	url_parts_free(&u);
	return r;
}

const char *share_portal(const struct share_table *t, const char *url)
{
	struct url_parts u;
	const char *r = NULL;
	if (!t || !url || url_split(url, &u) < 0)
		return NULL;
	for (size_t i = 0; i < t->n_por && !r; i++)
		if (host_match(t->por[i].host, u.host) ||
		    strcmp(t->por[i].host + (strncmp(t->por[i].host, "*.", 2) == 0 ? 2 : 0), u.host) == 0)
			r = t->por[i].name;
	url_parts_free(&u);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Fetching                                                                  */

struct chain {
	struct ing_ctx *ctx;
	const struct fetch_opts *o;
	int fd;
	off_t base;
	uint64_t received;              /* over every request of the chain */
};

_Static_assert(FETCH_API_MAX_BYTES <= FETCH_HTML_HEAD_BYTES, "an API answer is read whole as a head");

/* One request of the chain into the output file, from its start. */
static int chain_get(struct chain *ch, const char *url, const char *json, struct fetch_result *res)
{
	struct fetch_opts o = *ch->o;
	int r;

	fetch_result_clear(res);
	if (o.budget_bytes) {
		if (ch->received >= o.budget_bytes) {
			res->error = xstrdup("the byte budget for these downloads ran out");
			res->over_budget = true;
			return -E2BIG;
		}
		o.budget_bytes -= ch->received;
	}
	o.post_json = json;
	if (json)
		o.max_bytes = MIN(o.max_bytes, (uint64_t)FETCH_API_MAX_BYTES);   /* read whole by chain_head() */
	if (ftruncate(ch->fd, ch->base) < 0 || lseek(ch->fd, ch->base, SEEK_SET) < 0) {
		r = -errno;
		res->error = xasprintf("the downloaded file could not be saved: %s", strerror(-r));
		return r;
	}
	r = fetch_url(ch->ctx, &o, url, ch->fd, res);
	ch->received += res->received;
	return r;
}

/* The head of what the last request wrote, at most FETCH_HTML_HEAD_BYTES. */
static uint8_t *chain_head(struct chain *ch, size_t *n)
{
	uint8_t *b = xmalloc(FETCH_HTML_HEAD_BYTES);
	ssize_t r;
	do
		r = pread(ch->fd, b, FETCH_HTML_HEAD_BYTES, ch->base);
	while (r < 0 && errno == EINTR);
	*n = r > 0 ? (size_t)r : 0;
	return b;
}

/* The address at the dotted PATH of the JSON text, when it is an https URL. */
static char *json_take(const uint8_t *b, size_t n, const char *path)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root, *cur;
	char *out = NULL;
	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, (const char *)b, (int)n);
	json_tokener_free(tok);
	cur = root;
	for (const char *p = path; cur && *p;) {
		size_t k = strcspn(p, ".");
		_cleanup_free_ char *key = xstrndup(p, k);
		char *end;
		long idx = strtol(key, &end, 10);
		if (json_object_is_type(cur, json_type_array) && *end == 0 && end != key && idx >= 0)
			cur = json_object_array_get_idx(cur, (size_t)idx);
		else if (!json_object_is_type(cur, json_type_object) || !json_object_object_get_ex(cur, key, &cur))
			cur = NULL;
		p += k;
		if (*p == '.')
			p++;
	}
	if (cur && json_object_is_type(cur, json_type_string)) {
		const char *s = json_object_get_string(cur);
		size_t l = strlen(s);
		bool ok = l > 8 && l <= FETCH_MAX_URL_BYTES && strncmp(s, "https://", 8) == 0;
		for (size_t i = 0; ok && i < l; i++)
			ok = (unsigned char)s[i] > 0x20 && s[i] != 0x7f;
		if (ok) {
			/* Characters an address may not hold as they are (iCloud's "${f}"
			 * file name placeholder) are percent-encoded. */
			struct strbuf enc;
			strbuf_init(&enc, 3 * l + 1);
			strbuf_puts(&enc, "");
			for (size_t i = 0; i < l; i++) {
				if (strchr("{}\"<>\\^`|", s[i]) || (unsigned char)s[i] >= 0x80)
					(void)strbuf_printf(&enc, "%%%02X", (unsigned char)s[i]);
				else
					(void)strbuf_append(&enc, s + i, 1);
			}
			out = strbuf_steal(&enc);
			strbuf_free(&enc);
		}
	}
	json_object_put(root);
	return out;
}

#define PAGE_ADVICE "it may need a sign-in, a click or have expired; ask the patient for a direct download link or " \
	"the files themselves"

static int web_page(const struct share_table *t, const char *url, struct fetch_result *res,
                    const uint8_t *head, size_t n)
{
	_cleanup_free_ char *title = fetch_html_title(head, n), *shown = NULL;
	const char *portal = share_portal(t, url);
	long st = res->http_status;
	uint64_t received = res->received;

	if (!portal && res->effective_url)
		portal = share_portal(t, res->effective_url);
	shown = title ? xasprintf(" (\"%s\")", title) : xstrdup("");
	fetch_result_clear(res);
	res->http_status = st;
	res->received = received;
	if (portal)
		res->error = xasprintf("the link leads to the image-sharing portal %s, which needs a person to sign in: "
		                       "it gave a web page%s, not the files; ask the patient for the files themselves "
		                       "(a CD/DVD or a zip exported from the portal)", portal, shown);
	else
		res->error = xasprintf("the link gave a web page%s, not the files: " PAGE_ADVICE, shown);
	return -EMEDIUMTYPE;
}

int share_fetch(struct ing_ctx *ctx, const struct share_table *t, const struct fetch_opts *o, const char *url,
                int out_fd, struct fetch_result *res)
{
	struct chain ch = { .ctx = ctx, .o = o, .fd = out_fd };
	_cleanup_free_ char *cur = xstrdup(url);
	const char *form = NULL, *service = NULL;
	bool planned = true;
	unsigned step;
	int r = -EIO;

	*res = (struct fetch_result){ 0 };
	ch.base = lseek(out_fd, 0, SEEK_CUR);
	if (ch.base < 0)
		ch.base = 0;
	for (step = 0; step < SHARE_MAX_STEPS; step++) {
		struct share_plan p = { 0 };
		_cleanup_free_ char *target = NULL, *next = NULL;
		_cleanup_free_ uint8_t *head = NULL;
		size_t n = 0;
		bool follow = false;

		if (planned && share_plan(t, cur, &p) == 0) {
			service = p.service;
			form = p.form ? p.form : form;
			log_info(ctx, "a share link of %s (step %u)", p.service, step + 1);
			if (p.action == SHARE_PROBLEM) {
				fetch_result_clear(res);
				res->error = xasprintf("%s", p.problem);
				share_plan_clear(&p);
				r = -EMEDIUMTYPE;
				break;
			}
			if (p.action == SHARE_API) {
				r = chain_get(&ch, p.url, p.json, res);
				if (r == 0) {
					head = chain_head(&ch, &n);
					target = json_take(head, n, p.take);
					free(head);
					head = NULL;
					if (!target) {
						fetch_result_clear(res);
						res->error = xasprintf("%s did not give a download for the link: the transfer may "
						                       "have expired or been deleted, or need a person; ask the "
						                       "patient for a new link or the files themselves", p.service);
						r = -EMEDIUMTYPE;
					}
				}
				if (r < 0) {
					share_plan_clear(&p);
					break;
				}
			} else {
				follow = p.action == SHARE_FOLLOW;
				target = steal_ptr(p.url);
			}
			share_plan_clear(&p);
		}
		if (!target)
			target = xstrdup(cur);
		planned = true;
		r = chain_get(&ch, target, NULL, res);
		if (r < 0)
			break;
		head = chain_head(&ch, &n);
		if (!fetch_is_html(res->content_type, head, n)) {
			if (service)
				log_info(ctx, "the %s link gave the file", service);
			break;
		}
		/* A web page. The interstitial of a service its own page submits? */
		if (form && (next = fetch_html_form_url(head, n, form, res->effective_url))) {
			form = NULL;            /* once */
			planned = false;        /* the form's action is the download itself */
		} else if (follow && res->effective_url && strcmp(res->effective_url, target) != 0 &&
		           share_plan(t, res->effective_url, &p) == 0 && p.action != SHARE_FOLLOW) {
			share_plan_clear(&p);
			next = xstrdup(res->effective_url);
		} else {
			r = web_page(t, url, res, head, n);
			break;
		}
		free(cur);
		cur = steal_ptr(next);
		continue;
	}
	if (step == SHARE_MAX_STEPS) {
		r = -ELOOP;
		fetch_result_clear(res);
		res->error = xasprintf("the link led through more than %d pages without giving the files; ask the patient "
		                       "for a direct download link or the files themselves", SHARE_MAX_STEPS);
	}
	res->received = ch.received;
	return r;
}
