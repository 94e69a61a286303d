/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Text helpers: suffixes, base names, UTF-8, hex. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "util/text.h"

bool str_has_suffix_ci(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

const char *path_basename(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp_out)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80) {
		*cp_out = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
	else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
	else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_out = cp;
	return len;
}

size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	return utf8_decode(s, n, &cp);
}

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Eight bytes at S (any alignment). */
static uint64_t load8(const unsigned char *s)
{
	uint64_t v;
	memcpy(&v, s, sizeof(v));
	return v;
}

size_t utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (n - i >= 8 && (load8(u + i) & HIGHS) == 0) {   /* eight ASCII bytes */
			i += 8;
			continue;
		}
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t l = utf8_seq(u + i, n - i);
		if (l == 0)
			break;
		i += l;
	}
	return i;
}

/* Bytes copied as they are: printable ASCII, tab, newline. */
static bool plain_byte(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n';
}

char *utf8_sanitize(const char *in, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	/* The output is as long as the input but for invalid bytes (three
	 * each): start at the input's size and grow only for those. */
	size_t cap = n + 16, len = 0;
	char *out = xmalloc(cap + 1);
	size_t i = 0;
	while (i < n) {
		if (cap - len < 8) {
			cap = cap * 2 + 16;
			out = xrealloc(out, cap + 1);
		}
		/* printable ASCII, eight bytes at a time (no byte < 0x20 or > 0x7e) */
		if (n - i >= 8) {
			uint64_t v = load8(s + i);
			if ((((v - ONES * 0x20) & ~v) | ((v + ONES * 0x01) | v)) & HIGHS) {
				/* some byte is not printable ASCII: one at a time below */
			} else {
				memcpy(out + len, s + i, 8);
				len += 8;
				i += 8;
				continue;
			}
		}
		if (plain_byte(s[i])) {
			out[len++] = (char)s[i++];
			continue;
		}
		size_t l = utf8_seq(s + i, n - i);
		if (l == 0) {
			memcpy(out + len, "\xef\xbf\xbd", 3);
			len += 3;
			i++;
		} else if (l == 1) {
			out[len++] = '?';   /* a control character */
			i++;
		} else {
			memcpy(out + len, s + i, l);
			len += l;
			i += l;
		}
	}
	out[len] = 0;
	return out;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = 0;
}

int name_index(const char *const *table, size_t first, size_t n, const char *s)
{
	for (size_t i = first; i < n; i++)
		if (table[i] && strcmp(s, table[i]) == 0)
			return (int)i;
	return -EINVAL;
}
