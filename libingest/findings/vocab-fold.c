/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Folding (vocab.h): the text every phrase is matched in, with a map back to
 * the source's offsets. Runs on every document, so ASCII takes one table
 * look-up per byte; other characters go through fold_cp(). The folded text is
 * never longer than the source (every rule below maps a character to as many
 * bytes or fewer), so both buffers are sized once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "findings/vocab-private.h"

/* ASCII: lower case; 1 marks white space (made one ' ' per run). */
static const unsigned char ascii_fold[128] = {
	['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1,
#define R(c) [c] = c
	R('!'), R('"'), R('#'), R('$'), R('%'), R('&'), R('\''), R('('), R(')'), R('*'), R('+'), R(','), R('-'),
	R('.'), R('/'), R('0'), R('1'), R('2'), R('3'), R('4'), R('5'), R('6'), R('7'), R('8'), R('9'), R(':'),
	R(';'), R('<'), R('='), R('>'), R('?'), R('@'), R('['), R('\\'), R(']'), R('^'), R('_'), R('`'),
	R('a'), R('b'), R('c'), R('d'), R('e'), R('f'), R('g'), R('h'), R('i'), R('j'), R('k'), R('l'), R('m'),
	R('n'), R('o'), R('p'), R('q'), R('r'), R('s'), R('t'), R('u'), R('v'), R('w'), R('x'), R('y'), R('z'),
	R('{'), R('|'), R('}'), R('~'),
#undef R
#define U(c) [c] = (c) + 32
	U('A'), U('B'), U('C'), U('D'), U('E'), U('F'), U('G'), U('H'), U('I'), U('J'), U('K'), U('L'), U('M'),
	U('N'), U('O'), U('P'), U('Q'), U('R'), U('S'), U('T'), U('U'), U('V'), U('W'), U('X'), U('Y'), U('Z'),
#undef U
};
/* Other control characters (and NUL) fold to '?': the folded text is a C string. */
static inline unsigned char fold_ascii(unsigned char c)
{
	unsigned char f = ascii_fold[c];
	return f ? f : (unsigned char)'?';
}

/* U+00C0..U+00FF: base letter(s), or "" for a character kept as it is (× ÷). */
static const char *const latin1[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
};
/* U+0100..U+017F, one base letter each; '1' is "ij", '2' is "oe". */
static const char latin_ext_a[129] =
	"aaaaaacccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii" "11" "jj" "kkk" "llllllllll"
	"nnnnnn" "n" "nn" "oooooo" "22" "rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";

/* "a", "b", ... "z" as NUL-separated one-letter strings. */
static const char lower1[] = "a\0b\0c\0d\0e\0f\0g\0h\0i\0j\0k\0l\0m\0n\0o\0p\0q\0r\0s\0t\0u\0v\0w\0x\0y\0z";

enum { F_KEEP, F_DROP, F_SPACE, F_ASCII, F_CP };

/* What CP folds to: F_KEEP (itself), F_DROP, F_SPACE, F_ASCII (*ASCII, up to
 * 3 bytes, already lower case) or F_CP (*OUT). PREV_ASCII_LETTER: the last
 * folded byte is an ASCII letter (a combining accent after it is dropped). */
static int fold_cp(uint32_t cp, bool prev_ascii_letter, const char **ascii, uint32_t *out)
{
	static const char *const lig[7] = { "ff", "fi", "fl", "ffi", "ffl", "st", "st" };
	static const char digits[10][2] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };

	if (cp < 0x100) {
		if (cp == 0x85 || cp == 0xa0)
			return F_SPACE;
		if (cp == 0xad)
			return F_DROP;                  /* soft hyphen */
		if (cp == 0xb5) {
			*out = 0x3bc;                   /* micro sign -> Greek mu (units) */
			return F_CP;
		}
		if (cp >= 0xc0 && latin1[cp - 0xc0][0]) {
			*ascii = latin1[cp - 0xc0];
			return F_ASCII;
		}
		return F_KEEP;
	}
	if (cp < 0x180) {
		char c = latin_ext_a[cp - 0x100];
		*ascii = c == '1' ? "ij" : c == '2' ? "oe" : &lower1[2 * (c - 'a')];
		return F_ASCII;
	}
	if (cp >= 0x218 && cp <= 0x21b) {       /* Romanian ș ț */
		*ascii = cp < 0x21a ? "s" : "t";
		return F_ASCII;
	}
	if (cp >= 0x300 && cp <= 0x36f)         /* combining marks: accents of decomposed Latin */
		return prev_ascii_letter ? F_DROP : F_KEEP;
	if (cp >= 0x386 && cp <= 0x3ab) {       /* Greek capitals */
		if (cp == 0x386)
			*out = 0x3ac;
		else if (cp >= 0x388 && cp <= 0x38a)
			*out = cp + 0x25;
		else if (cp == 0x38c)
			*out = 0x3cc;
		else if (cp == 0x38e || cp == 0x38f)
			*out = cp + 0x3f;
		else if (cp >= 0x391 && cp != 0x3a2)
			*out = cp + 0x20;
		else
			return F_KEEP;
		return F_CP;
	}
	if (cp >= 0x400 && cp <= 0x45f) {       /* Cyrillic: lower case, ё -> е */
		if (cp < 0x410)
			cp += 0x50;
		else if (cp < 0x430)
			cp += 0x20;
		*out = cp == 0x451 ? 0x435 : cp;
		return F_CP;
	}
	if (cp >= 0x600 && cp <= 0x6ff) {       /* Arabic */
		if (cp == 0x622 || cp == 0x623 || cp == 0x625 || cp == 0x671) {
			*out = 0x627;
			return F_CP;
		}
		if (cp == 0x649) {
			*out = 0x64a;
			return F_CP;
		}
		if ((cp >= 0x64b && cp <= 0x65f) || cp == 0x670 || cp == 0x640)
			return F_DROP;                  /* harakat, tatweel */
		if (cp >= 0x660 && cp <= 0x669) {
			*ascii = digits[cp - 0x660];
			return F_ASCII;
		}
		if (cp >= 0x6f0 && cp <= 0x6f9) {
			*ascii = digits[cp - 0x6f0];
			return F_ASCII;
		}
		if (cp == 0x66a) {
			*ascii = "%";
			return F_ASCII;
		}
		if (cp == 0x66b) {
			*ascii = ".";
			return F_ASCII;
		}
		if (cp == 0x60c || cp == 0x66c) {
			*ascii = ",";
			return F_ASCII;
		}
		return F_KEEP;
	}
	if (cp >= 0x966 && cp <= 0x96f) {       /* Devanagari digits */
		*ascii = digits[cp - 0x966];
		return F_ASCII;
	}
	if (cp >= 0x2000 && cp <= 0x206f) {
		if (cp <= 0x200a || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f)
			return F_SPACE;
		if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			return F_SPACE;                 /* embedding and isolate marks bound a run */
		if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || cp >= 0x2060)
			return F_DROP;                  /* zero-width and direction marks */
		if (cp >= 0x2010 && cp <= 0x2015) {
			*ascii = "-";
			return F_ASCII;
		}
		return F_KEEP;
	}
	if (cp == 0x2212 || cp == 0xfe63) {
		*ascii = "-";
		return F_ASCII;
	}
	if (cp == 0x1680 || cp == 0x3000)
		return F_SPACE;
	if (cp >= 0xfb00 && cp <= 0xfb06) {
		*ascii = lig[cp - 0xfb00];
		return F_ASCII;
	}
	if (cp == 0xfeff)
		return F_DROP;
	if (cp >= 0xff01 && cp <= 0xff5e) {     /* full-width ASCII */
		*out = fold_ascii((unsigned char)(cp - 0xfee0));
		return F_CP;
	}
	return F_KEEP;
}

static bool rtl_or_indic(uint32_t cp)
{
	return (cp >= 0x0590 && cp <= 0x08ff) || (cp >= 0x0900 && cp <= 0x097f) || (cp >= 0xfb1d && cp <= 0xfdff) ||
	       (cp >= 0xfe70 && cp <= 0xfeff);
}

bool vfold_script_break(uint32_t a, uint32_t b)
{
	return (a < 0x80 && rtl_or_indic(b)) || (b < 0x80 && rtl_or_indic(a));
}

bool vfold_is_anychar_cp(uint32_t cp)
{
	return (cp >= 0x0e00 && cp <= 0x0eff) ||      /* Thai, Lao */
	       (cp >= 0x1780 && cp <= 0x17ff) ||      /* Khmer */
	       (cp >= 0x2e80 && cp <= 0x2fdf) ||      /* CJK radicals */
	       (cp >= 0x3040 && cp <= 0x30ff) ||      /* Hiragana, Katakana */
	       (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) ||
	       (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x3ffff);
}

bool vfold_is_word_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
	if (cp < 0xc0)
		return cp == 0xaa || cp == 0xba;
	if (cp == 0xd7 || cp == 0xf7)
		return false;
	if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
	    (cp >= 0xff00 && cp <= 0xff0f) || (cp >= 0xff1a && cp <= 0xff20) || (cp >= 0xff3b && cp <= 0xff40) ||
	    (cp >= 0xff5b && cp <= 0xff65) || cp == 0xfffd)
		return false;
	if (cp == 0x37e || cp == 0x387 || cp == 0x589 || cp == 0x5be || cp == 0x60c || cp == 0x61b || cp == 0x61f ||
	    (cp >= 0x66a && cp <= 0x66d) || cp == 0x6d4 || cp == 0x964 || cp == 0x965)
		return false;
	return true;
}

size_t vfold_cp_at(const char *s, size_t n, size_t i, uint32_t *cp)
{
	size_t l = utf8_decode((const uint8_t *)s + i, n - i, cp);
	if (!l) {
		*cp = (unsigned char)s[i];
		l = 1;
	}
	return l;
}

uint32_t vfold_cp_before(const char *s, size_t i)
{
	size_t j = i;
	uint32_t cp;

	if (i == 0)
		return 0;
	while (j > 0 && i - j < 4 && ((unsigned char)s[j - 1] & 0xc0) == 0x80)
		j--;
	if (j > 0)
		j--;
	if (!utf8_decode((const uint8_t *)s + j, i - j, &cp))
		return (unsigned char)s[i - 1];
	return cp;
}

int vtext_fold(const char *text, size_t len, struct vtext *out)
{
	const unsigned char *s = (const unsigned char *)text;
	char *o;
	uint32_t *orig;
	size_t n = 0, i = 0;

	if (len >= UINT32_MAX)
		return -E2BIG;
	o = xmalloc(len + 1);
	orig = xmalloc((len + 1) * sizeof(*orig));
	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp, rep;
		const char *ascii = NULL;
		size_t l;

		if (c < 0x80) {
			c = fold_ascii(c);
			if (c == 1) {
				if (n && o[n - 1] == ' ') {
					i++;
					continue;
				}
				c = ' ';
			}
			o[n] = (char)c;
			orig[n++] = (uint32_t)i++;
			continue;
		}
		l = utf8_decode(s + i, len - i, &cp);
		if (!l) {
			o[n] = '?';
			orig[n++] = (uint32_t)i++;
			continue;
		}
		bool prev_letter = n && ((o[n - 1] >= 'a' && o[n - 1] <= 'z'));
		switch (fold_cp(cp, prev_letter, &ascii, &rep)) {
		case F_DROP:
			break;
		case F_SPACE:
			if (!n || o[n - 1] != ' ') {
				o[n] = ' ';
				orig[n++] = (uint32_t)i;
			}
			break;
		case F_ASCII:
			for (; *ascii; ascii++) {
				o[n] = *ascii;
				orig[n++] = (uint32_t)i;
			}
			break;
		case F_CP: {
			char buf[4];
			size_t k = utf8_encode(rep, buf);
			for (size_t j = 0; j < k; j++) {
				o[n] = buf[j];
				orig[n++] = (uint32_t)i;
			}
			break;
		}
		default:
			for (size_t j = 0; j < l; j++) {
				o[n] = (char)s[i + j];
				orig[n++] = (uint32_t)i;
			}
			break;
		}
		i += l;
	}
	o[n] = 0;
	orig[n] = (uint32_t)len;
	*out = (struct vtext){ o, n, orig };
	return 0;
}

void vtext_free(struct vtext *t)
{
	if (!t)
		return;
	free(t->s);
	free(t->orig);
	*t = (struct vtext){ 0 };
}

bool vtext_word_start(const struct vtext *t, size_t i)
{
	uint32_t cur, prev;

	if (!t || i >= t->n || ((unsigned char)t->s[i] & 0xc0) == 0x80)
		return false;
	if (i == 0)
		return true;
	(void)vfold_cp_at(t->s, t->n, i, &cur);
	prev = vfold_cp_before(t->s, i);
	return !vfold_is_word_cp(prev) || vfold_is_anychar_cp(prev) || vfold_is_anychar_cp(cur) ||
	       vfold_script_break(prev, cur);
}
