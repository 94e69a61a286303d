/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Link files (*.url, *.webloc, links.txt) read for the URLs they hold
 * (fetch.h); fetch.c downloads them.
 *
 * The parsers are pure: bytes in, URLs out, no context. They validate shape
 * only; the scheme policy lives in fetch_url() so a refused link gets a
 * message naming its scheme instead of vanishing.
 */
#include <stdio.h>
#include <strings.h>

#include "fetch-private.h"

/* ------------------------------------------------------------------------ */
/* Small text helpers                                                        */

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

void set_error(char **error, const char *fmt, ...)
{
	va_list ap;
	char *s;
	if (!error)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	free(*error);
	*error = s;
}

void put_utf8(struct strbuf *b, uint32_t cp)
{
	char u[4];
	(void)strbuf_append(b, u, utf8_encode(cp, u)); /* a full buffer just stops growing */
}

/* UTF-16 (UNITS code units at P) to UTF-8; lone surrogates become U+FFFD. */
static char *utf16_to_utf8(const uint8_t *p, size_t units, bool big_endian, size_t *out_len)
{
	struct strbuf b;
	strbuf_init(&b, units * 3 + 1);
	for (size_t i = 0; i < units; i++) {
		uint32_t c = big_endian ? (uint32_t)(p[2 * i] << 8 | p[2 * i + 1])
		                        : (uint32_t)(p[2 * i + 1] << 8 | p[2 * i]);
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < units) {
			uint32_t d = big_endian ? (uint32_t)(p[2 * i + 2] << 8 | p[2 * i + 3])
			                        : (uint32_t)(p[2 * i + 3] << 8 | p[2 * i + 2]);
			if (d >= 0xdc00 && d <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
				i++;
			} else
				c = 0xfffd;
		} else if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		put_utf8(&b, c);
	}
	if (!b.s)
		strbuf_puts(&b, "");
	*out_len = b.len;
	return strbuf_steal(&b);
}

/* ------------------------------------------------------------------------ */
/* URL shape check, shared by all link file formats                          */

/*
 * "scheme://rest": no whitespace or control bytes; non-ASCII bytes are
 * refused in the host part and percent-encoded after it. Returns the
 * normalised URL or NULL with *why set.
 */
static char *url_normalize(const char *s, size_t n, const char **why)
{
	static const char hx[] = "0123456789ABCDEF";
	struct strbuf b;
	size_t i, scheme_len, auth_end;

	trim(&s, &n);
	if (n == 0) {
		*why = "it is empty";
		return NULL;
	}
	for (i = 0; i < n && i <= 32; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))) {
			*why = "it does not start with an address type such as https://";
			return NULL;
		}
	}
	scheme_len = i;
	if (scheme_len == 0 || scheme_len >= n || n - scheme_len < 4 || memcmp(s + scheme_len, "://", 3) != 0) {
		*why = "it does not start with an address type such as https://";
		return NULL;
	}
	auth_end = scheme_len + 3;
	while (auth_end < n && s[auth_end] != '/' && s[auth_end] != '?' && s[auth_end] != '#')
		auth_end++;

	strbuf_init(&b, FETCH_MAX_URL_BYTES + 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int r;
		if (c <= 0x20 || c == 0x7f) {
			*why = "it contains spaces or control characters";
			goto fail;
		}
		if (c >= 0x80 && i < auth_end) {
			*why = "its host name has non-ASCII letters";
			goto fail;
		}
		if (c >= 0x80) {
			char e[3] = { '%', hx[c >> 4], hx[c & 15] };
			r = strbuf_append(&b, e, 3);
		} else
			r = strbuf_append(&b, &s[i], 1);
		if (r < 0) {
			*why = "it is too long";
			goto fail;
		}
	}
	if (b.len > FETCH_MAX_URL_BYTES) {
		*why = "it is too long";
		goto fail;
	}
	return strbuf_steal(&b);
fail:
	strbuf_free(&b);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Link files                                                                */

enum linkfile_kind linkfile_kind(const char *name)
{
	const char *b;
	if (!name)
		return LINKFILE_NONE;
	b = path_basename(name);
	if (strcasecmp(b, "links.txt") == 0)
		return LINKFILE_LINKS_TXT;
	if (strlen(b) > 4 && str_has_suffix_ci(b, ".url"))
		return LINKFILE_URL;
	if (strlen(b) > 7 && str_has_suffix_ci(b, ".webloc"))
		return LINKFILE_WEBLOC;
	return LINKFILE_NONE;
}

void linkfile_urls_free(char **urls, size_t n)
{
	if (!urls)
		return;
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

/* Text of a link file as a NUL-terminated UTF-8 string: BOM dropped, UTF-16
 * (with a BOM) converted; NUL bytes otherwise mean it is not text. */
static char *text_decode(const uint8_t *p, size_t len, size_t *out_len)
{
	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff)))
		return utf16_to_utf8(p + 2, (len - 2) / 2, p[0] == 0xfe, out_len);
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		len -= 3;
	}
	if (memchr(p, 0, len))
		return NULL;
	*out_len = len;
	return xstrndup((const char *)p, len);
}

struct urlset {
	char **v;
	size_t n;
};

/* Adds U (taken), skipping duplicates. -E2BIG past FETCH_MAX_URLS. */
static int urlset_add(struct urlset *s, char *u)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], u) == 0) {
			free(u);
			return 0;
		}
	if (s->n >= FETCH_MAX_URLS) {
		free(u);
		return -E2BIG;
	}
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(char *));
	s->v[s->n++] = u;
	return 0;
}

/* Next line of TEXT from *pos: [*start, *start + *len), CR/LF excluded. */
static bool next_line(const char *text, size_t tlen, size_t *pos, const char **start, size_t *len)
{
	size_t i = *pos, e;
	if (i >= tlen)
		return false;
	e = i;
	while (e < tlen && text[e] != '\n' && text[e] != '\r')
		e++;
	*start = text + i;
	*len = e - i;
	if (e < tlen && text[e] == '\r')
		e++;
	if (e < tlen && text[e] == '\n')
		e++;
	*pos = e;
	return true;
}

static int parse_dot_url(const char *t, size_t tlen, struct urlset *out, char **error)
{
	const char *l, *why;
	size_t pos = 0, ll;
	bool in_section = false;

	while (next_line(t, tlen, &pos, &l, &ll)) {
		const char *eq;
		trim(&l, &ll);
		if (ll >= 2 && l[0] == '[' && l[ll - 1] == ']') {
			in_section = ll - 2 == strlen("InternetShortcut") &&
			             strncasecmp(l + 1, "InternetShortcut", ll - 2) == 0;
			continue;
		}
		if (!in_section || !(eq = memchr(l, '=', ll)))
			continue;
		const char *k = l, *v = eq + 1;
		size_t kl = (size_t)(eq - l), vl = ll - kl - 1;
		char *u;
		trim(&k, &kl);
		if (kl != 3 || strncasecmp(k, "URL", 3) != 0)
			continue;
		u = url_normalize(v, vl, &why);
		if (!u) {
			set_error(error, "the shortcut's URL= line is not a usable web address: %s", why);
			return -EBADMSG;
		}
		return urlset_add(out, u);
	}
	set_error(error, "the shortcut has no URL= line in an [InternetShortcut] section, so there is nothing to download");
	return -ENOENT;
}

static int parse_links_txt(const char *t, size_t tlen, struct urlset *out, char **error)
{
	const char *l, *why;
	size_t pos = 0, ll;
	unsigned lineno = 0;

	while (next_line(t, tlen, &pos, &l, &ll)) {
		char *u;
		int r;
		lineno++;
		trim(&l, &ll);
		if (ll == 0 || l[0] == '#')
			continue;
		u = url_normalize(l, ll, &why);
		if (!u) {
			_cleanup_free_ char *shown = utf8_sanitize(l, MIN(ll, (size_t)80));
			set_error(error, "line %u of links.txt is not a usable web address (%s): \"%s%s\"; "
			          "put one https:// link on each line, or start the line with # for a note",
			          lineno, why, shown, ll > 80 ? "..." : "");
			return -EBADMSG;
		}
		r = urlset_add(out, u);
		if (r < 0) {
			set_error(error, "links.txt holds more than %d links, more than ingestd takes from one file",
			          FETCH_MAX_URLS);
			return r;
		}
	}
	if (out->n == 0) {
		set_error(error, "links.txt holds no links (only blank lines or # notes)");
		return -ENOENT;
	}
	return 0;
}

/* Decodes the XML character data in [s, s+n): the five entities and &#...;. */
static char *xml_unescape(const char *s, size_t n)
{
	struct strbuf b;
	strbuf_init(&b, n + 1);
	strbuf_puts(&b, "");
	for (size_t i = 0; i < n; i++) {
		static const struct { const char *e; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
		};
		bool done = false;
		if (s[i] != '&') {
			(void)strbuf_append(&b, &s[i], 1);
			continue;
		}
		for (size_t k = 0; k < ARRAY_SIZE(ents) && !done; k++) {
			size_t el = strlen(ents[k].e);
			if (n - i >= el && memcmp(s + i, ents[k].e, el) == 0) {
				(void)strbuf_append(&b, &ents[k].c, 1);
				i += el - 1;
				done = true;
			}
		}
		if (!done && n - i >= 4 && s[i + 1] == '#') {
			bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
			size_t j = i + (hex ? 3 : 2);
			uint32_t cp = 0;
			size_t digits = 0;
			while (j < n && digits < 8) {
				int d = hex ? hex_digit((unsigned char)s[j]) : (s[j] >= '0' && s[j] <= '9' ? s[j] - '0' : -1);
				if (d < 0)
					break;
				cp = cp * (hex ? 16 : 10) + (uint32_t)d;
				j++;
				digits++;
			}
			if (digits > 0 && j < n && s[j] == ';' && cp > 0 && cp <= 0x10ffff &&
			    !(cp >= 0xd800 && cp <= 0xdfff)) {
				put_utf8(&b, cp);
				i = j;
				done = true;
			}
		}
		if (!done)
			(void)strbuf_append(&b, "&", 1);
	}
	return strbuf_steal(&b);
}

static int parse_webloc_xml(const char *t, size_t tlen, struct urlset *out, char **error)
{
	static const char key[] = "<key>URL</key>";
	const char *p = memmem(t, tlen, key, strlen(key)), *end = t + tlen, *v, *ve, *why;
	_cleanup_free_ char *raw = NULL;
	char *u;

	if (!p) {
		set_error(error, "the .webloc file has no URL in it, so there is nothing to download");
		return -ENOENT;
	}
	p += strlen(key);
	while (p < end && is_space((unsigned char)*p))
		p++;
	if ((size_t)(end - p) < strlen("<string>") || memcmp(p, "<string>", strlen("<string>")) != 0) {
		set_error(error, "the .webloc file is damaged: its URL entry has no text");
		return -EBADMSG;
	}
	v = p + strlen("<string>");
	ve = memmem(v, (size_t)(end - v), "</string>", strlen("</string>"));
	if (!ve) {
		set_error(error, "the .webloc file is damaged: its URL entry is not closed");
		return -EBADMSG;
	}
	raw = xml_unescape(v, (size_t)(ve - v));
	u = url_normalize(raw, strlen(raw), &why);
	if (!u) {
		set_error(error, "the .webloc file's URL is not a usable web address: %s", why);
		return -EBADMSG;
	}
	return urlset_add(out, u);
}

/* Binary property list: just enough to read a top-level dict's "URL" string. */
struct bplist {
	const uint8_t *p;
	size_t len;
	unsigned off_size, ref_size;
	uint64_t nobj, table;
};

static uint64_t be_uint(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Offset of object REF, or -1. Objects live between the header and the table. */
static int64_t bpl_obj(const struct bplist *b, uint64_t ref)
{
	uint64_t off;
	if (ref >= b->nobj)
		return -1;
	off = be_uint(b->p + b->table + ref * b->off_size, b->off_size);
	if (off < 8 || off >= b->table)
		return -1;
	return (int64_t)off;
}

/* Marker at OFF: its type nibble, element count and where the data starts. */
static int bpl_head(const struct bplist *b, uint64_t off, unsigned *type, uint64_t *count, uint64_t *data)
{
	unsigned m = b->p[off], info = m & 15;
	*type = m >> 4;
	*count = info;
	*data = off + 1;
	if (info == 15) {
		unsigned im, isz;
		if (off + 1 >= b->table)
			return -EBADMSG;
		im = b->p[off + 1];
		if ((im >> 4) != 1 || (im & 15) > 3)
			return -EBADMSG;
		isz = 1u << (im & 15);
		if (off + 2 + isz > b->table)
			return -EBADMSG;
		*count = be_uint(b->p + off + 2, isz);
		*data = off + 2 + isz;
	}
	return 0;
}

/* String object REF as UTF-8 (ASCII or UTF-16BE); NULL if it is not one. */
static char *bpl_string(const struct bplist *b, uint64_t ref, size_t *len)
{
	int64_t off = bpl_obj(b, ref);
	unsigned type;
	uint64_t count, data;
	if (off < 0 || bpl_head(b, (uint64_t)off, &type, &count, &data) < 0)
		return NULL;
	if (count > FETCH_MAX_URL_BYTES)
		return NULL;
	if (type == 5 && data + count <= b->table) {
		if (memchr(b->p + data, 0, count))
			return NULL;
		*len = count;
		return xstrndup((const char *)b->p + data, count);
	}
	if (type == 6 && data + 2 * count <= b->table)
		return utf16_to_utf8(b->p + data, count, true, len);
	return NULL;
}

static int parse_webloc_binary(const uint8_t *p, size_t len, struct urlset *out, char **error)
{
	struct bplist b = { .p = p, .len = len };
	const uint8_t *tr;
	uint64_t top, count, data;
	int64_t off;
	unsigned type;

	if (len < 8 + 1 + 32)
		goto bad;
	tr = p + len - 32;
	b.off_size = tr[6];
	b.ref_size = tr[7];
	b.nobj = be_uint(tr + 8, 8);
	top = be_uint(tr + 16, 8);
	b.table = be_uint(tr + 24, 8);
	if (b.off_size < 1 || b.off_size > 8 || b.ref_size < 1 || b.ref_size > 8 ||
	    b.nobj == 0 || b.nobj > len || b.table < 9 || b.table > len - 32 ||
	    b.nobj > (len - 32 - b.table) / b.off_size)
		goto bad;
	off = bpl_obj(&b, top);
	if (off < 0 || bpl_head(&b, (uint64_t)off, &type, &count, &data) < 0)
		goto bad;
	if (type != 0xd || count > 1024 || data + 2 * count * b.ref_size > b.table)
		goto unsupported;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t kref = be_uint(p + data + i * b.ref_size, b.ref_size);
		uint64_t vref = be_uint(p + data + (count + i) * b.ref_size, b.ref_size);
		size_t kl, vl;
		_cleanup_free_ char *k = bpl_string(&b, kref, &kl);
		_cleanup_free_ char *v = NULL;
		const char *why;
		char *u;
		if (!k || kl != 3 || memcmp(k, "URL", 3) != 0)
			continue;
		v = bpl_string(&b, vref, &vl);
		if (!v)
			goto unsupported;
		u = url_normalize(v, vl, &why);
		if (!u) {
			set_error(error, "the .webloc file's URL is not a usable web address: %s", why);
			return -EBADMSG;
		}
		return urlset_add(out, u);
	}
	set_error(error, "the .webloc file has no URL in it, so there is nothing to download");
	return -ENOENT;
bad:
	set_error(error, "the .webloc file is damaged (a binary property list that cannot be read)");
	return -EBADMSG;
unsupported:
	set_error(error, "the .webloc file is a binary property list in a form ingestd does not read; "
	          "put the link in a links.txt file instead");
	return -EOPNOTSUPP;
}

int linkfile_parse(const void *buf, size_t len, const char *name, char ***urls, size_t *n, char **error)
{
	enum linkfile_kind kind = linkfile_kind(name);
	struct urlset set = { 0 };
	_cleanup_free_ char *text = NULL;
	size_t tlen = 0;
	int r;

	if (kind == LINKFILE_NONE) {
		set_error(error, "not a link file (expected *.url, *.webloc or links.txt)");
		return -EINVAL;
	}
	if (len > FETCH_LINKFILE_MAX_BYTES) {
		set_error(error, "the link file is larger than %d KiB, far more than a link file needs; "
		          "it is probably not a link file", FETCH_LINKFILE_MAX_BYTES / 1024);
		return -E2BIG;
	}
	if (!buf && len > 0)
		return -EINVAL;

	if (kind == LINKFILE_WEBLOC && len >= 8 && memcmp(buf, "bplist00", 8) == 0)
		r = parse_webloc_binary(buf, len, &set, error);
	else {
		text = text_decode(buf ? buf : "", len, &tlen);
		if (!text) {
			set_error(error, "the link file is not a text file (it contains binary data)");
			return -EBADMSG;
		}
		switch (kind) {
		case LINKFILE_URL:
			r = parse_dot_url(text, tlen, &set, error);
			break;
		case LINKFILE_WEBLOC:
			r = parse_webloc_xml(text, tlen, &set, error);
			break;
		default:
			r = parse_links_txt(text, tlen, &set, error);
			break;
		}
	}
	if (r < 0) {
		linkfile_urls_free(set.v, set.n);
		return r;
	}
	*urls = set.v;
	*n = set.n;
	return 0;
}
