/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The language and script of a document's text. Letters are counted by
 * script; a script only one of our languages writes decides it (Han is
 * Chinese unless kana make it Japanese, Hangul Korean...). Where several
 * languages share a script (Latin, Cyrillic, Arabic, Devanagari), the
 * vocabulary's stop words of each language (VW_STOPWORD, 2 each) and its
 * other phrases (lab names, headings, result words: 1 each) are counted and
 * the best one wins, its confidence from its margin over the next. The words
 * are data; the C knows scripts, not words.
 */
#include <string.h>

#include "findings/reading.h"
#include "util/mem.h"
#include "util/text.h"

enum script {
	SC_LATN, SC_HAN, SC_KANA, SC_HANG, SC_ARAB, SC_CYRL, SC_DEVA, SC_GREK, SC_HEBR, SC_THAI,
	SC_BENG, SC_ARMN, SC_GEOR, SC_ETHI, SC_TAML, _SC_MAX,
};

/* ISO 15924 codes, and the language a script means when no stop word says
 * otherwise (NULL: none, the stop words must tell). */
static const struct { const char *code, *lang; } script_info[_SC_MAX] = {
	[SC_LATN] = { "Latn", NULL }, [SC_HAN] = { "Han", "zh" }, [SC_KANA] = { "Jpan", "ja" },
	[SC_HANG] = { "Hang", "ko" }, [SC_ARAB] = { "Arab", "ar" }, [SC_CYRL] = { "Cyrl", "ru" },
	[SC_DEVA] = { "Deva", "hi" }, [SC_GREK] = { "Grek", "el" }, [SC_HEBR] = { "Hebr", "he" },
	[SC_THAI] = { "Thai", "th" }, [SC_BENG] = { "Beng", "bn" }, [SC_ARMN] = { "Armn", "hy" },
	[SC_GEOR] = { "Geor", "ka" }, [SC_ETHI] = { "Ethi", "am" }, [SC_TAML] = { "Taml", "ta" },
};

static int script_of(uint32_t cp)
{
	if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7))
		return SC_LATN;
	if ((cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff))
		return SC_HAN;
	if (cp >= 0x3040 && cp <= 0x30ff)
		return SC_KANA;
	if ((cp >= 0xac00 && cp <= 0xd7af) || (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0x3130 && cp <= 0x318f))
		return SC_HANG;
	if ((cp >= 0x0620 && cp <= 0x064a) || (cp >= 0x066e && cp <= 0x06d3) || (cp >= 0x0750 && cp <= 0x077f) ||
	    (cp >= 0xfb50 && cp <= 0xfdff) || (cp >= 0xfe70 && cp <= 0xfefc))
		return SC_ARAB;
	if (cp >= 0x0400 && cp <= 0x04ff)
		return SC_CYRL;
	if (cp >= 0x0900 && cp <= 0x0963)   /* letters and signs; 0966-096F are digits */
		return SC_DEVA;
	if (cp >= 0x0370 && cp <= 0x03ff)
		return SC_GREK;
	if (cp >= 0x05d0 && cp <= 0x05ea)
		return SC_HEBR;
	if (cp >= 0x0e00 && cp <= 0x0e7f)
		return SC_THAI;
	if (cp >= 0x0980 && cp <= 0x09ff)
		return SC_BENG;
	if (cp >= 0x0530 && cp <= 0x058f)
		return SC_ARMN;
	if (cp >= 0x10a0 && cp <= 0x10ff)
		return SC_GEOR;
	if (cp >= 0x1200 && cp <= 0x137f)
		return SC_ETHI;
	if (cp >= 0x0b80 && cp <= 0x0bff)
		return SC_TAML;
	return -1;
}

/* A language's script (its vocabulary file's `script:`) against ours. */
static bool lang_writes(const struct vocab_lang *l, int sc)
{
	if (!l->script)
		return false;
	switch (sc) {
	case SC_HAN: return strncmp(l->script, "Han", 3) == 0;  /* Hans, Hant, Hani */
	case SC_KANA: return strcmp(l->script, "Jpan") == 0;
	case SC_HANG: return strcmp(l->script, "Hang") == 0 || strcmp(l->script, "Kore") == 0;
	default: return strcmp(l->script, script_info[sc].code) == 0;
	}
}

/* Caps on the text looked at: the script shows in the first 512 KiB, the
 * stop words in the first 64 KiB. */
#define LANGUAGE_TEXT_MAX (512u * 1024)
#define LANGUAGE_WORDS_MAX (64u * 1024)
/* Matches kept per word (a word like "de" is in many languages). */
#define STOP_MATCHES 24

int findings_language(const struct vocab *v, const struct doc_text *d, struct doc_language *out)
{
	if (!out || !d || (!d->text && d->len))
		return -EINVAL;
	struct doc_language r = { 0 };
	size_t len = MIN(rd_len(d->len), (size_t)LANGUAGE_TEXT_MAX);
	size_t cnt[_SC_MAX] = { 0 };
	const unsigned char *u = (const unsigned char *)d->text;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t l = utf8_decode(u + i, len - i, &cp);
		if (!l) {
			i++;
			continue;
		}
		int sc = script_of(cp);
		if (sc >= 0)
			cnt[sc]++;
		i += l;
	}

	/* Han with kana is Japanese */
	if (cnt[SC_KANA] && cnt[SC_KANA] * 10 >= cnt[SC_HAN] / 2) {
		cnt[SC_KANA] += cnt[SC_HAN];
		cnt[SC_HAN] = 0;
	}
	size_t total = 0, best = 0, wtotal = 0;
	int bs = -1;
	for (int k = 0; k < _SC_MAX; k++) {
		total += cnt[k];
		/* a CJK character carries about a word: weigh it as three letters */
		size_t w = (k == SC_HAN || k == SC_KANA || k == SC_HANG) ? cnt[k] * 3 : cnt[k];
		wtotal += w;
		if (w > best) {
			best = w;
			bs = k;
		}
	}
	r.letters = total;
	if (bs < 0) {
		*out = r;
		return 0;
	}
	r.script = script_info[bs].code;
	double share = (double)best / (double)wtotal;

	/* Stop words of the languages that write this script. */
	size_t nl = v ? vocab_n_langs(v) : 0;
	_cleanup_free_ size_t *score = nl ? xcalloc(nl, sizeof(size_t)) : NULL;
	if (nl) {
		struct vtext t;
		size_t wl = MIN(len, (size_t)LANGUAGE_WORDS_MAX);
		while (wl < len && ((unsigned char)d->text[wl] & 0xc0) == 0x80)
			wl++;
		if (vtext_fold(d->text, wl, &t) == 0) {
			struct vmatch m[STOP_MATCHES];
			for (size_t i = 0; i < t.n; i++) {
				if (((unsigned char)t.s[i] & 0xc0) == 0x80 || !vtext_word_start(&t, i))
					continue;
				size_t k = vocab_match_at(v, &t, i, 0, m, ARRAY_SIZE(m));
				/* each language once per word: a stop word 2, any other
				 * phrase of its file 1 (a table of lab names and headings
				 * has few stop words, but "Hämoglobin", "Einheit" tell) */
				unsigned got[STOP_MATCHES] = { 0 };
				size_t ng = 0;
				for (size_t q = 0; q < k; q++) {
					if (m[q].lang >= nl || !lang_writes(vocab_lang(v, m[q].lang), bs))
						continue;
					unsigned w = m[q].cls == VW_STOPWORD ? 2 : 1;
					size_t p = 0;
					while (p < ng && (got[p] >> 8) != m[q].lang)
						p++;
					if (p == ng)
						got[ng++] = (unsigned)m[q].lang << 8;
					if ((got[p] & 0xff) < w)
						got[p] = (got[p] & ~0xffu) | w;
				}
				for (size_t p = 0; p < ng; p++)
					score[got[p] >> 8] += got[p] & 0xff;
			}
			vtext_free(&t);
		}
	}
	size_t b1 = 0, b2 = 0;
	int bl = -1;
	for (size_t k = 0; k < nl; k++) {
		if (score[k] > b1) {
			b2 = b1;
			b1 = score[k];
			bl = (int)k;
		} else if (score[k] > b2) {
			b2 = score[k];
		}
	}

	bool cjk = bs == SC_HAN || bs == SC_KANA || bs == SC_HANG;
	size_t need = cjk ? 4 : 10;
	if (bs == SC_LATN || (bl >= 0 && b1 >= 4 && b1 > b2)) {
		/* stop words decide: enough of them, and more than any other language's */
		if (bl >= 0 && cnt[bs] >= (bs == SC_LATN ? 20 : need) && b1 >= 4) {
			r.lang = vocab_lang(v, (size_t)bl)->code;
			double margin = (double)(b1 - b2) / (double)b1;
			double enough = MIN(1.0, (double)b1 / 16.0);
			r.confidence = share * (0.5 + 0.5 * margin) * (0.5 + 0.5 * enough);
		}
	} else if (script_info[bs].lang && cnt[bs] >= need) {
		/* a script one language writes (or its usual one) */
		r.lang = script_info[bs].lang;
		for (size_t k = 0; k < nl; k++)
			if (strcmp(vocab_lang(v, k)->code, r.lang) == 0)
				r.lang = vocab_lang(v, k)->code;    /* the vocabulary's string, not ours */
		r.confidence = share * (cnt[bs] >= 3 * need ? 1.0 : 0.7);
	}
	if (r.confidence > 1.0)
		r.confidence = 1.0;
	*out = r;
	return 0;
}
