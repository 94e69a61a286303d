/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A download that is a web page (SPEC §3: never a record): telling one by its
 * Content-Type and its first bytes, its <title> for the coordinator, and the
 * one form of an interstitial page a service's own page submits without a
 * person (fetch-share.c). A tolerant scan of at most FETCH_HTML_HEAD_BYTES,
 * not an HTML parser: nothing here is trusted, everything is bounded.
 */
#include <curl/curl.h>
#include <strings.h>

#include "fetch-private.h"

static bool ci_prefix(const uint8_t *b, size_t n, const char *p)
{
	size_t l = strlen(p);
	return n >= l && strncasecmp((const char *)b, p, l) == 0;
}

bool fetch_is_html(const char *content_type, const uint8_t *b, size_t n)
{
	static const char *const tags[] = { "<!doctype html", "<html", "<head", "<body", "<title", "<script",
	                                    "<iframe", "<meta", "<style", "<div", "<!--", "<p>", "<br", "<h1",
	                                    "<table", "<a ", "<form" };
	if (content_type) {
		size_t l = strcspn(content_type, "; \t");
		if ((l == 9 && strncasecmp(content_type, "text/html", 9) == 0) ||
		    (l == 21 && strncasecmp(content_type, "application/xhtml+xml", 21) == 0))
			return true;
	}
	/* The WHATWG sniffing rule's shape: a BOM, white space, then one of the
	 * tags that start an HTML document (followed by a space or '>'). */
	if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
		b += 3;
		n -= 3;
	}
	while (n > 0 && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r' || *b == '\f')) {
		b++;
		n--;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t l = strlen(tags[i]);
		if (ci_prefix(b, n, tags[i]) &&
		    (tags[i][l - 1] == ' ' || tags[i][l - 1] == '>' || tags[i][l - 1] == '-' ||
		     (n > l && (b[l] == ' ' || b[l] == '>' || b[l] == '\t' || b[l] == '\n' || b[l] == '\r'))))
			return true;
	}
	return false;
}

/* Case-insensitive search for NEEDLE in N bytes at B. */
static const uint8_t *ci_find(const uint8_t *b, size_t n, const char *needle)
{
	size_t l = strlen(needle);
	for (size_t i = 0; l <= n && i <= n - l; i++)
		if (strncasecmp((const char *)b + i, needle, l) == 0)
			return b + i;
	return NULL;
}

/* Text with the common entities decoded and white space folded to single
 * spaces, as UTF-8 (bad bytes replaced), at most MAX bytes; NULL if empty. */
static char *html_text(const uint8_t *s, size_t n, size_t max)
{
	struct strbuf b;
	_cleanup_free_ char *raw = NULL;
	char *out;
	bool space = false;

	strbuf_init(&b, n + 8);
	strbuf_puts(&b, "");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			space = b.len > 0;
			continue;
		}
		if (space) {
			(void)strbuf_append(&b, " ", 1);
			space = false;
		}
		if (c == '&') {
			static const struct { const char *e; uint32_t cp; } ents[] = {
				{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
				{ "nbsp;", ' ' }, { "#39;", '\'' },
			};
			bool done = false;
			for (size_t k = 0; k < ARRAY_SIZE(ents) && !done; k++)
				if (ci_prefix(s + i + 1, n - i - 1, ents[k].e)) {
					put_utf8(&b, ents[k].cp);
					i += strlen(ents[k].e);
					done = true;
				}
			if (!done && i + 2 < n && s[i + 1] == '#') {
				bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
				size_t j = i + 2 + hex;
				uint32_t cp = 0;
				while (j < n && j < i + 10 && (hex ? hex_digit(s[j]) >= 0 : (s[j] >= '0' && s[j] <= '9'))) {
					cp = cp * (hex ? 16 : 10) + (uint32_t)(hex ? hex_digit(s[j]) : s[j] - '0');
					j++;
				}
				if (j < n && s[j] == ';' && cp >= 0x20 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
					put_utf8(&b, cp);
					i = j;
					done = true;
				}
			}
			if (done)
				continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		(void)strbuf_append(&b, (const char *)&c, 1);
	}
	if (b.len == 0) {
		strbuf_free(&b);
		return NULL;
	}
	raw = strbuf_steal(&b);
	strbuf_free(&b);
	out = utf8_sanitize(raw, strlen(raw));
	if (strlen(out) > max) {
		size_t k = max;
		while (k > 0 && ((unsigned char)out[k] & 0xc0) == 0x80)
			k--;
		memcpy(out + k, "...", 4);
	}
	return out;
}

char *fetch_html_title(const uint8_t *b, size_t n)
{
	const uint8_t *t = ci_find(b, n, "<title"), *gt, *end;
	if (!t)
		return NULL;
	gt = memchr(t, '>', n - (size_t)(t - b));
	if (!gt)
		return NULL;
	gt++;
	end = ci_find(gt, n - (size_t)(gt - b), "</title");
	if (!end)
		return NULL;
	return html_text(gt, (size_t)(end - gt), FETCH_HTML_TITLE_BYTES);
}

/* The value of attribute NAME in the tag of N bytes at TAG (up to its '>'),
 * decoded; NULL when absent. */
static char *tag_attr(const uint8_t *tag, size_t n, const char *name)
{
	size_t l = strlen(name);
	for (size_t i = 1; i + l < n; i++) {
		const uint8_t *v;
		uint8_t q;
		size_t k;
		if (!(tag[i - 1] == ' ' || tag[i - 1] == '\t' || tag[i - 1] == '\n' || tag[i - 1] == '\r') ||
		    strncasecmp((const char *)tag + i, name, l) != 0)
			continue;
		k = i + l;
		while (k < n && tag[k] == ' ')
			k++;
		if (k >= n || tag[k] != '=')
			continue;
		k++;
		while (k < n && tag[k] == ' ')
			k++;
		if (k >= n)
			return NULL;
		q = tag[k];
		if (q == '"' || q == '\'') {
			const uint8_t *e = memchr(tag + k + 1, q, n - k - 1);
			if (!e)
				return NULL;
			v = tag + k + 1;
			return html_text(v, (size_t)(e - v), FETCH_MAX_URL_BYTES);
		}
		v = tag + k;
		while (k < n && tag[k] != ' ' && tag[k] != '>' && tag[k] != '\t' && tag[k] != '\n')
			k++;
		return html_text(v, (size_t)(tag + k - v), FETCH_MAX_URL_BYTES);
	}
	return NULL;
}

char *fetch_html_form_url(const uint8_t *b, size_t n, const char *form_id, const char *base_url)
{
	const uint8_t *p = b, *end = b + n, *form = NULL, *form_end;
	_cleanup_free_ char *action = NULL;
	struct strbuf q;
	CURLU *u = NULL;
	char *out = NULL;

	/* The <form> whose id is FORM_ID. */
	while (p < end && (p = ci_find(p, (size_t)(end - p), "<form"))) {
		const uint8_t *gt = memchr(p, '>', (size_t)(end - p));
		_cleanup_free_ char *id = NULL;
		if (!gt)
			return NULL;
		id = tag_attr(p, (size_t)(gt - p), "id");
		if (id && strcmp(id, form_id) == 0) {
			action = tag_attr(p, (size_t)(gt - p), "action");
			form = gt + 1;
			break;
		}
		p = gt + 1;
	}
	if (!form || !action)
		return NULL;
	form_end = ci_find(form, (size_t)(end - form), "</form");
	if (!form_end)
		form_end = end;

	/* Its hidden fields, in order, as the browser would send them (GET). */
	strbuf_init(&q, 1024);
	strbuf_puts(&q, "");
	for (p = form; p < form_end && (p = ci_find(p, (size_t)(form_end - p), "<input"));) {
		const uint8_t *gt = memchr(p, '>', (size_t)(form_end - p));
		_cleanup_free_ char *type = NULL, *name = NULL, *value = NULL;
		if (!gt)
			break;
		type = tag_attr(p, (size_t)(gt - p), "type");
		name = tag_attr(p, (size_t)(gt - p), "name");
		value = tag_attr(p, (size_t)(gt - p), "value");
		if (type && strcasecmp(type, "hidden") == 0 && name) {
			char *en = curl_easy_escape(NULL, name, 0), *ev = curl_easy_escape(NULL, value ? value : "", 0);
			if (en && ev)
				(void)strbuf_printf(&q, "%s%s=%s", q.len ? "&" : "", en, ev);
			curl_free(en);
			curl_free(ev);
		}
		p = gt + 1;
	}

	/* The action, made absolute against the page's address. */
	u = curl_url();
	if (u && curl_url_set(u, CURLUPART_URL, base_url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, action, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_QUERY, q.len ? q.s : NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK) {
		char *s = NULL;
		/* https only: an interstitial's form goes on to the service's download */
		if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK && s && strlen(s) <= FETCH_MAX_URL_BYTES &&
		    strncmp(s, "https://", 8) == 0)
			out = xstrdup(s);
		curl_free(s);
	}
	curl_url_cleanup(u);
	strbuf_free(&q);
	return out;
}
