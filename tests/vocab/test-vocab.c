/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The vocabulary (libingest/findings/vocab.h): folding, matching with its
 * separator rules, CJK and Arabic text, longest-first, resolving rules'
 * terms, every loader error with its FILE:LINE:COL, and a synonym added to
 * the data matched with no C change, and its compiled cache (read back the
 * same, refused when damaged or stale, never in the way of an error). The
 * vocabulary is written by this test
 * into a temporary folder, never the shipped rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "findings/vocab.h"
#include "findings/vocab-cache.h"
#include "findings/vocab-private.h"

static char root[64];

static void write_file(const char *rel, const char *text)
{
	char p[256];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (!f) {
		perror(p);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static const char markers_yaml[] =
	"markers:\n"
	"  - {name: ER, synonyms: [oestrogen receptor, estrogen receptor], values: [posneg, percent, allred]}\n"
	"  - {name: PR, synonyms: [progesterone receptor, PgR], values: [posneg, percent]}\n"
	"  - name: HER2\n"
	"    synonyms: [HER2/neu, ERBB2]\n"
	"    values: [ihc, posneg]\n"
	"    clones: [4B5]\n"
	"    routes: {amplification: HER2 ISH}\n"
	"  - {name: HER2 ISH, synonyms: [HER2 FISH], values: [amplification, ratio]}\n"
	"  - {name: PD-L1, values: [tps, cps, ic, percent]}\n"
	"  - {name: MET, values: [mutation]}\n"
	"  - {name: MET exon 14, synonyms: [METex14], values: [mutation]}\n"
	"  - {name: KRAS, values: [mutation]}\n"
	"  - {name: BRAF, values: [mutation]}\n"
	"  - {name: MSI, values: [msi]}\n"
	"  - {name: CK7, synonyms: [cytokeratin 7], values: [posneg], panel: true}\n";

static const char labs_yaml[] =
	"labs:\n"
	"  - {name: haemoglobin, synonyms: [hemoglobin, Hb, HGB], units: [g/dL, g/L]}\n"
	"  - {name: CEA, units: [ng/mL]}\n";

/* A language file: every word class, the ones given in WORDS (YAML lines
 * "  class: [...]") and [] for the rest. */
static char *lang_yaml(const char *code, const char *script, const char *words, const char *rest)
{
	struct strbuf b;
	strbuf_init(&b, 1 << 20);
	strbuf_printf(&b, "language: %s\nname: Lang %s\nscript: %s\nstopwords: [the%s, and%s]\n", code, code, script,
	              code, code);
	strbuf_puts(&b, "months:\n");
	for (int m = 1; m <= 12; m++)
		strbuf_printf(&b, "  - [m%d%s]\n", m, code);
	strbuf_printf(&b, "words:\n%s", words);
	for (int c = 0; c < VW_MARKER; c++) {
		char key[64];
		snprintf(key, sizeof(key), "  %s:", vocab_class_name((enum vocab_class)c));
		if (!strstr(words, key))
			strbuf_printf(&b, "  %s: []\n", vocab_class_name((enum vocab_class)c));
	}
	strbuf_puts(&b, rest);
	return strbuf_steal(&b);
}

static const char en_words[] =
	"  positive: [positive, pos]\n"
	"  negative: [negative, neg]\n"
	"  wild-type: [wild-type, wild type, wt]\n"
	"  low: [low]\n"
	"  msi-high: [MSI-H, MSI-high]\n"
	"  not-detected: [not detected]\n"
	"  detected: [detected]\n"
	"  neg-pre: ['no']\n"
	"  mutated: [mutation, mutated]\n"
	"  method: [IHC, FISH]\n";
static const char en_rest[] =
	"kinds:\n"
	"  pathology-report: {headings: [pathology report], words: [microscopy]}\n"
	"cancer-types:\n"
	"  breast: [breast cancer, breast carcinoma]\n"
	"  generic: [malignancy]\n"
	"concepts:\n"
	"  left: [left]\n"
	"  core-biopsy: [core biopsy, core needle biopsy]\n";

static const char de_words[] =
	"  positive: [positiv]\n"
	"  negative: [negativ]\n"
	"  not-detected: [nicht nachgewiesen, kein Nachweis]\n"
	"  neg-post: [negativ]\n";
static const char de_rest[] =
	"labs:\n  haemoglobin: [Hämoglobin]\n"
	"kinds:\n  pathology-report: {headings: [Pathologischer Befund]}\n"
	"cancer-types:\n  breast: [Mammakarzinom]\n"
	"concepts:\n  left: [links, linke]\n  core-biopsy: [Stanzbiopsie]\n";

static const char zh_words[] = "  positive: [阳性]\n  negative: [阴性]\n  not-detected: [未检测到]\n";
static const char zh_rest[] = "cancer-types:\n  breast: [乳腺癌]\nconcepts:\n  left: [左侧]\n";
static const char ar_words[] = "  negative: [سلبي]\n  positive: [إيجابي]\n";
static const char ar_rest[] = "concepts:\n  left: [أيسر]\n";

static void write_base(void)
{
	char *s;
	write_file("vocabulary/markers.yaml", markers_yaml);
	write_file("vocabulary/labs.yaml", labs_yaml);
	s = lang_yaml("en", "Latn", en_words, en_rest);
	write_file("vocabulary/en.yaml", s);
	free(s);
	s = lang_yaml("de", "Latn", de_words, de_rest);
	write_file("vocabulary/de.yaml", s);
	free(s);
	s = lang_yaml("zh", "Hans", zh_words, zh_rest);
	write_file("vocabulary/zh.yaml", s);
	free(s);
	s = lang_yaml("ar", "Arab", ar_words, ar_rest);
	write_file("vocabulary/ar.yaml", s);
	free(s);
}

static struct vocab *load(struct strbuf *errors, int *rc)
{
	struct vocab *v = NULL;
	strbuf_free(errors);
	strbuf_init(errors, 1 << 20);
	*rc = vocab_load_dir(NULL, root, &v, errors);
	return v;
}

/* ---- folding ---- */

static void check_fold(const char *in, const char *want)
{
	struct vtext t;
	CHECK_INT(vtext_fold(in, strlen(in), &t), 0);
	CHECK_STR(t.s, want);
	CHECK_INT(t.n, strlen(want));
	CHECK_INT(t.orig[t.n], strlen(in));
	for (size_t i = 1; i < t.n; i++)
		CHECK(t.orig[i] >= t.orig[i - 1], "orig is monotonic at %zu in \"%s\"", i, want);
	vtext_free(&t);
}

static void test_fold(void)
{
	struct vtext t;

	check_fold("HER2 Positive", "her2 positive");
	check_fold("ÄÖÜ Straße àéîõü ÇÑØÅ", "aou strasse aeiou cnoa");
	check_fold("Œdème Æther", "oedeme aether");
	check_fold("İSTANBUL ılık IŞIK", "istanbul ilik isik");
	check_fold("Łódź Čeština Ğ", "lodz cestina g");
	check_fold("ΑΒΓ Δέλτα", "αβγ δέλτα");
	check_fold("ПРИВЕТ Ёж", "привет еж");
	check_fold("ＰＤ－Ｌ１：５％（ＴＰＳ），", "pd-l1:5%(tps),");
	check_fold("أإآ ى ة", "ااا ي ة");
	check_fold("سَلْبِيّ مـــحمد", "سلبي محمد");
	check_fold("a \t\n\u00a0\u3000b  c", "a b c");
	check_fold("x\xff\xfey", "x??y");
	check_fold("e\xcc\x81t\xc3\xa9", "ete");      /* decomposed é and composed é */
	check_fold("\xef\xac\x81nal", "final");      /* the fi ligature of PDF text */
	check_fold("PD\xe2\x80\x91L1", "pd-l1");     /* non-breaking hyphen */
	check_fold("阳性", "阳性");
	check_fold("", "");
	/* offsets: "Äb" -> "ab": a from 0, b from 2 */
	CHECK_INT(vtext_fold("\xc3\x84" "b", 3, &t), 0);
	CHECK_INT(t.orig[0], 0);
	CHECK_INT(t.orig[1], 2);
	CHECK_INT(t.orig[2], 3);
	vtext_free(&t);
	/* word starts */
	CHECK_INT(vtext_fold("ab 12 乳腺癌", strlen("ab 12 乳腺癌"), &t), 0);
	CHECK(vtext_word_start(&t, 0));
	CHECK(!vtext_word_start(&t, 1));
	CHECK(vtext_word_start(&t, 3));
	CHECK(vtext_word_start(&t, 6) && vtext_word_start(&t, 9), "every Han character starts a word");
	CHECK(!vtext_word_start(&t, 7), "not inside a UTF-8 sequence");
	vtext_free(&t);
}

/* Does a phrase of CLS (entry ID, or any if < 0) match TEXT at folded offset AT? */
static bool match(const struct vocab *v, const char *text, size_t at, enum vocab_class cls, int id, size_t *end)
{
	struct vtext t;
	struct vmatch m[16];
	size_t n;
	bool r = false;

	vtext_fold(text, strlen(text), &t);
	n = vocab_match_at(v, &t, at, VW_BIT(cls), m, 16);
	for (size_t i = 0; i < n && !r; i++) {
		if (m[i].cls == cls && (id < 0 || m[i].id == id)) {
			r = true;
			if (end)
				*end = m[i].end;
		}
	}
	vtext_free(&t);
	return r;
}

static void test_match(const struct vocab *v)
{
	int pdl1 = vocab_marker_id(v, "PD-L1"), her2 = vocab_marker_id(v, "HER2"), er = vocab_marker_id(v, "ER");
	int met = vocab_marker_id(v, "MET"), met14 = vocab_marker_id(v, "MET exon 14");
	struct vtext t;
	struct vmatch m[8];
	size_t n, end = 0;

	CHECK(pdl1 >= 0 && her2 >= 0 && er >= 0 && met >= 0 && met14 >= 0);
	CHECK(match(v, "PD-L1 (22C3)", 0, VW_MARKER, pdl1, &end) && end == 5);
	CHECK(match(v, "PDL1", 0, VW_MARKER, pdl1, NULL));
	CHECK(match(v, "pd l1 TPS", 0, VW_MARKER, pdl1, NULL));
	CHECK(match(v, "PD - L1", 0, VW_MARKER, pdl1, NULL));
	CHECK(match(v, "HER-2: 3+", 0, VW_MARKER, her2, NULL), "HER-2 is HER2 (a separator between letter and digit)");
	CHECK(match(v, "HER 2", 0, VW_MARKER, her2, NULL));
	CHECK(match(v, "her2/neu", 0, VW_MARKER, her2, &end) && end == 8, "the longer synonym");
	CHECK(match(v, "ER 90%", 0, VW_MARKER, er, NULL));
	CHECK(!match(v, "E R", 0, VW_MARKER, er, NULL), "E R is not ER");
	CHECK(!match(v, "ERBB3", 0, VW_MARKER, er, NULL), "a word end is needed");
	CHECK(!match(v, "ER2", 0, VW_MARKER, er, NULL));
	CHECK(match(v, "ÖSTROGEN", 0, VW_MARKER, -1, NULL) == false);
	CHECK(match(v, "Oestrogen-Receptor", 0, VW_MARKER, er, NULL));
	/* longest first */
	vtext_fold("MET exon 14 skipping", strlen("MET exon 14 skipping"), &t);
	n = vocab_match_at(v, &t, 0, VW_BIT(VW_MARKER), m, 8);
	CHECK_INT(n, 2);
	CHECK(n == 2 && m[0].id == met14 && m[1].id == met && m[0].end > m[1].end);
	n = vocab_match_at(v, &t, 0, VW_BIT(VW_MARKER), m, 1);
	CHECK(n == 1 && m[0].id == met14, "MAX keeps the longest");
	n = vocab_match_at(v, &t, 0, VW_BIT(VW_LAB), m, 8);
	CHECK_INT(n, 0);
	vtext_free(&t);
	/* a phrase with several payloads: "negativ" is negative and neg-post in de */
	vtext_fold("negativ", 7, &t);
	n = vocab_match_at(v, &t, 0, 0, m, 8);
	CHECK_INT(n, 2);
	vtext_free(&t);
	/* CJK without spaces */
	const char *zh = "乳腺癌ER阳性";
	size_t at = strlen("乳腺癌ER");
	CHECK(match(v, zh, 0, VW_CANCER_TYPE, 0, NULL), "乳腺癌 at the start");
	CHECK(match(v, zh, strlen("乳腺癌"), VW_MARKER, er, NULL), "ER between Han characters");
	CHECK(match(v, zh, at, VW_POSITIVE, -1, NULL), "阳性 after ER");
	/* Arabic with harakat and a hamza form */
	CHECK(match(v, "سَلْبِيّ", 0, VW_NEGATIVE, -1, NULL));
	CHECK(match(v, "ايجابي", 0, VW_POSITIVE, -1, NULL), "إ folds to ا in the phrase and the text");
	/* months and stop words beyond 64 classes */
	CHECK(match(v, "m3de", 0, VW_MONTH, 3, NULL));
	CHECK(match(v, "theen", 0, VW_STOPWORD, -1, NULL));
	/* concepts in every language */
	int left = vocab_concept_id(v, "left");
	CHECK(left >= 0);
	CHECK(vocab_text_has_concept(v, "Mamma links, 2 cm", 17, left));
	CHECK(vocab_text_has_concept(v, "左侧乳腺", strlen("左侧乳腺"), left));
	CHECK(vocab_text_has_concept(v, "الثدي الأيسر", strlen("الثدي الأيسر"), left) == false,
	      "a prefixed Arabic word is another word");
	CHECK(vocab_text_has_concept(v, "ثدي أيسر", strlen("ثدي أيسر"), left));
	CHECK(!vocab_text_has_concept(v, "leftover", 8, left), "word end");
	CHECK(vocab_text_has_entry(v, "Hämoglobin 12,1", 16, VW_LAB, vocab_lab_id(v, "haemoglobin")));
}

static void test_resolve(const struct vocab *v)
{
	int ids[4];
	char *q = NULL;
	size_t n;

	n = vocab_resolve_term(v, "HER2-low", ids, 4, &q);
	CHECK(n == 1 && ids[0] == vocab_marker_id(v, "HER2"));
	CHECK_STR(q, "low");
	free(q);
	n = vocab_resolve_term(v, "BRAF wild-type", ids, 4, NULL);
	CHECK(n == 1 && ids[0] == vocab_marker_id(v, "BRAF"));
	n = vocab_resolve_term(v, "KRAS G12C", ids, 4, &q);
	CHECK(n == 1 && ids[0] == vocab_marker_id(v, "KRAS"));
	CHECK_STR(q, "g12c");
	free(q);
	n = vocab_resolve_term(v, "KRAS/BRAF", ids, 4, NULL);
	CHECK_INT(n, 2);
	n = vocab_resolve_term(v, "MSI-H", ids, 4, NULL);
	CHECK(n == 1 && ids[0] == vocab_marker_id(v, "MSI"), "a word of one grammar names its markers");
	CHECK_INT(vocab_resolve_term(v, "HER2 status", ids, 4, NULL), 0);
	CHECK_INT(vocab_resolve_term(v, "Oncotype", ids, 4, NULL), 0);
	CHECK_INT(vocab_resolve_term(v, "positive", ids, 4, NULL), 0);
	CHECK_INT(vocab_resolve_lab(v, "HGB", ids, 4), 1);
	CHECK_INT(vocab_resolve_lab(v, "PSA", ids, 4), 0);
	CHECK(vocab_knows_words(v, "IHC 2+"));
	CHECK(vocab_knows_words(v, "no mutation"));
	CHECK(vocab_knows_words(v, "not detected"));
	CHECK(!vocab_knows_words(v, "equivocal"), "not in this vocabulary");
	struct vmatch m[4];
	CHECK(vocab_lookup_phrase(v, "Core Needle Biopsy", 0, m, 4) == 1 && m[0].cls == VW_CONCEPT);
	CHECK_INT(vocab_lookup_phrase(v, "core", 0, m, 4), 0);
}

/* ---- loader errors ---- */

/* "FILE:LINE:COL" of the first NEEDLE in TEXT, FILE being REL under root. */
static char *where(const char *rel, const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	int line = 1, col = 1;
	if (!p)
		return xasprintf("(%s not in %s)", needle, rel);
	for (const char *s = text; s < p; s++) {
		if (*s == '\n')
			line++, col = 1;
		else if (((unsigned char)*s & 0xc0) != 0x80)
			col++;
	}
	return xasprintf("%s/%s:%d:%d: ", root, rel, line, col);
}

/* Writes TEXT as REL, loads, expects failure with an error at NEEDLE holding WHAT; restores the base. */
static void expect_error(const char *rel, const char *text, const char *needle, const char *what)
{
	struct strbuf e = { 0 };
	int rc;
	struct vocab *v;
	char *w = where(rel, text, needle);

	write_file(rel, text);
	v = load(&e, &rc);
	CHECK(rc < 0 && !v, "%s: loads with an error at %s", rel, needle);
	CHECK_HAS(e.s, w);
	CHECK_HAS(e.s, what);
	vocab_free(v);
	free(w);
	strbuf_free(&e);
	write_base();
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	if (!p)
		return xasprintf("(%s not found)", from);
	return xasprintf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

static void test_errors(void)
{
	char *en = lang_yaml("en", "Latn", en_words, en_rest), *s, *t;

	expect_error("vocabulary/en.yaml", (s = replace(en, "script: Latn\n", "script: Latn\nflavour: x\n")),
	             "flavour", "unknown key \"flavour\" in a language file (expected one of: language, name");
	free(s);
	expect_error("vocabulary/en.yaml", (s = replace(en, "  positive: [positive, pos]\n", "")), "words:\n",
	             "\"words\" lacks the classes positive");
	free(s);
	expect_error("vocabulary/en.yaml", (s = replace(en, "  - [m12en]\n", "")), "m1en",
	             "exactly 12 lists");
	free(s);
	expect_error("vocabulary/en.yaml", (s = replace(en, "language: en", "language: de")), "de\n",
	             "does not match the file name");
	free(s);
	expect_error("vocabulary/en.yaml", (s = replace(en, "  low: [low]", "  lowish: [low]")), "lowish",
	             "unknown word class \"lowish\"");
	free(s);
	expect_error("vocabulary/en.yaml", (s = replace(en, "kinds:\n", "kinds:\n  pathology: {words: [x]}\n")),
	             "pathology:", "unknown document kind \"pathology\"");
	free(s);
	expect_error("vocabulary/de.yaml", (s = lang_yaml("de", "Latn", de_words, "cancer-types:\n  lung: [Lungenkrebs]\n")),
	             "lung:", "cancer type \"lung\" is not in en.yaml");
	free(s);
	expect_error("vocabulary/en.yaml", (s = replace(en, "  low: [low]", "  low: [low, \"--\"]")), "--\"",
	             "has no letters or digits");
	free(s);
	s = lang_yaml("de", "Latn", de_words, "concepts:\n  right: [rechts]\n");
	expect_error("vocabulary/de.yaml", s, "right:", "concept \"right\" is not in en.yaml");
	free(s);
	s = lang_yaml("de", "Latn", de_words, "labs:\n  ferritin: [Ferritin]\n");
	expect_error("vocabulary/de.yaml", s, "ferritin:", "\"ferritin\" is not a lab of labs.yaml");
	free(s);
	s = lang_yaml("de", "Latn", de_words, "markers:\n  HER3: [HER-3]\n");
	expect_error("vocabulary/de.yaml", s, "HER3:", "\"HER3\" is not a marker of markers.yaml");
	free(s);
	s = lang_yaml("de", "Latn", de_words, "cancer-types:\n  breast: [Brustkrebs, links]\nconcepts:\n  left: [links]\n");
	t = replace(s, "concepts:\n  left: [links]\n", "");
	free(s);
	/* a concept and a type may share a phrase (two classes); a type twice may not */
	s = replace(t, "  breast: [Brustkrebs, links]\n", "  breast: [Brustkrebs]\n  generic: [Brustkrebs]\n");
	expect_error("vocabulary/de.yaml", s, "Brustkrebs]\n  generic: [Brustkrebs", "cancer type \"breast\" at ");
	free(s);
	free(t);
	/* markers.yaml */
	expect_error("vocabulary/markers.yaml", (s = replace(markers_yaml, "values: [mutation]}\n  - {name: KRAS",
	                                                     "values: [mutation, hotspot]}\n  - {name: KRAS")),
	             "hotspot", "unknown value grammar \"hotspot\"");
	free(s);
	expect_error("vocabulary/markers.yaml", (s = replace(markers_yaml, "{name: KRAS, values: [mutation]}",
	                                                     "{name: KRAS, values: []}")),
	             "values: []}", "\"values\" is an empty list");
	free(s);
	expect_error("vocabulary/markers.yaml", (s = replace(markers_yaml, "{name: BRAF, values: [mutation]}",
	                                                     "{name: BRAF}")), "name: BRAF", "has no \"values\"");
	free(s);
	expect_error("vocabulary/markers.yaml", (s = replace(markers_yaml, "HER2 ISH}", "HER3 ISH}")), "HER3 ISH}",
	             "route to unknown marker \"HER3 ISH\"");
	free(s);
	expect_error("vocabulary/markers.yaml", (s = replace(markers_yaml, "[progesterone receptor, PgR]",
	                                                     "[progesterone receptor, PgR, Oestrogen Receptor]")),
	             "Oestrogen Receptor]", "is marker \"PR\" here and marker \"ER\" at ");
	free(s);
	expect_error("vocabulary/markers.yaml", (s = replace(markers_yaml, "panel: true", "panel: true, colour: red")),
	             "colour", "unknown key \"colour\" in a marker (expected one of: name, synonyms, values");
	free(s);
	expect_error("vocabulary/labs.yaml", (s = replace(labs_yaml, "units: [ng/mL]", "unit: [ng/mL]")), "unit:",
	             "unknown key \"unit\" in a lab");
	free(s);
	expect_error("vocabulary/labs.yaml", "labs: [\n- x\n", "- x", "invalid YAML");
	expect_error("vocabulary/xx-notes.yaml", "a: 1\n", "a: 1", "unknown vocabulary file");
	{
		char p[128];
		snprintf(p, sizeof(p), "%s/vocabulary/xx-notes.yaml", root);
		unlink(p);
	}
	free(en);
}

static void test_synonym_added(void)
{
	struct strbuf e = { 0 };
	struct vocab *v;
	int rc;
	const char *text = "Östrogenrezeptor: 90 % positiv";

	v = load(&e, &rc);
	CHECK(v && !vocab_text_has_entry(v, text, strlen(text), VW_MARKER, vocab_marker_id(v, "ER")));
	vocab_free(v);
	char *s = replace(markers_yaml, "[oestrogen receptor,", "[Östrogenrezeptor, oestrogen receptor,");
	write_file("vocabulary/markers.yaml", s);
	free(s);
	v = load(&e, &rc);
	CHECK(rc == 0 && v, "%s", e.s ? e.s : "");
	CHECK(v && vocab_text_has_entry(v, text, strlen(text), VW_MARKER, vocab_marker_id(v, "ER")),
	      "a synonym added to markers.yaml matches");
	vocab_free(v);
	strbuf_free(&e);
	write_base();
}

/* ---- the compiled cache (vocab-cache.c) ---- */

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	fclose(f);
	return buf;
}

/* The one cache file in DIR (its path into OUT), and how many there are. */
static int cache_files(const char *dir, char *out, size_t outlen)
{
	char cmd[256];
	int n = 0;
	snprintf(cmd, sizeof(cmd), "ls '%s' 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	char line[128];
	while (p && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "vocab-", 6) == 0 && strstr(line, ".bin")) {
			snprintf(out, outlen, "%s/%s", dir, line);
			n++;
		}
	}
	if (p)
		pclose(p);
	return n;
}

/* vocab_cache_decode() of a copy of BUF (it keeps the copy when it succeeds). */
static int decode(const uint8_t *buf, size_t len, const uint8_t *key, struct vocab **v)
{
	void *blob = vocab_cache_alloc(len);
	if (!blob)
		return -ENOMEM;
	memcpy(blob, buf, len);
	int r = vocab_cache_decode(blob, len, key, "/v", v);
	if (r < 0)
		vocab_cache_release(blob, len);
	return r;
}

static bool same_encoding(const struct vocab *a, const struct vocab *b)
{
	uint8_t key[32] = { 0 }, *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;
	bool same = vocab_cache_encode(a, key, &x, &nx) == 0 && vocab_cache_encode(b, key, &y, &ny) == 0 && nx == ny &&
	            memcmp(x, y, nx) == 0;
	free(x);
	free(y);
	return same;
}

static void test_cache(void)
{
	struct strbuf e = { 0 };
	struct vocab *yaml, *cached, *v;
	char dir[128], file[512], again[512];
	uint8_t *buf, *buf2;
	size_t len, len2;
	int rc;

	snprintf(dir, sizeof(dir), "%s/cache/ingest", root);       /* two levels: both made */
	setenv("INGEST_CACHE_DIR", dir, 1);
	yaml = load(&e, &rc);
	CHECK(rc == 0 && yaml && !yaml->from_cache, "first load: from the YAML: %s", e.s ? e.s : "");
	CHECK_INT(cache_files(dir, file, sizeof(file)), 1);
	cached = load(&e, &rc);
	CHECK(rc == 0 && cached && cached->from_cache, "second load: from the cache");
	if (!yaml || !cached)
		goto out;
	CHECK(same_encoding(yaml, cached), "the cache holds what the YAML built, all of it");
	CHECK_INT(vocab_n_markers(cached), vocab_n_markers(yaml));
	CHECK_STR(cached->files[2], yaml->files[2]);
	test_match(cached);                 /* the same assertions, on the vocabulary read back */
	test_resolve(cached);

	/* every byte of the file changed, one at a time: refused with the key (the digest, the key, the
	 * header); without the key (the fuzzer's way) refused or read back to the same bytes */
	buf = read_all(file, &len);
	CHECK(buf && len > 88);
	uint8_t key[32];
	memcpy(key, buf + 16, 32);
	size_t refused = 0, tried = 0;
	for (size_t i = 0; buf && i < len; i += (i < 256 ? 1 : 97)) {
		uint8_t *x = malloc(len);
		memcpy(x, buf, len);
		x[i] ^= 0x5a;
		CHECK(decode(x, len, key, &v) < 0 && !v, "byte %zu changed: refused", i);
		tried++;
		if (decode(x, len, NULL, &v) < 0) {
			refused++;
		} else {
			uint8_t *y = NULL;
			size_t ny = 0;
			CHECK(vocab_cache_encode(v, key, &y, &ny) == 0 && ny == len && memcmp(y + 88, x + 88, len - 88) == 0,
			      "byte %zu: what is read back encodes to the same bytes", i);
			free(y);
			vocab_free(v);
		}
		free(x);
	}
	printf("cache: %zu single-byte changes, %zu refused without the key (the rest read back the same)\n", tried,
	       refused);
	for (size_t cut = 0; buf && cut < len; cut += (cut < 128 ? 1 : 1009)) {
		CHECK(decode(buf, cut, NULL, &v) < 0 && !v, "cut at %zu: refused", cut);
	}
	free(buf);

	/* damaged on disk: the YAML is read, and the cache written again, the same bytes */
	buf = read_all(file, &len);
	{
		FILE *f = fopen(file, "r+b");
		CHECK(f != NULL);
		if (f) {
			fseek(f, (long)len / 2, SEEK_SET);
			fputc(buf[len / 2] ^ 1, f);
			fclose(f);
		}
	}
	v = load(&e, &rc);
	CHECK(rc == 0 && v && !v->from_cache, "a damaged cache is not used");
	vocab_free(v);
	buf2 = read_all(file, &len2);
	CHECK(buf && buf2 && len == len2 && memcmp(buf, buf2, len) == 0, "rewritten as it was");
	free(buf);
	free(buf2);

	/* fail closed: with a cache of the good files, a broken file is still an error */
	char *bad = lang_yaml("de", "Latn", "  positive: [positiv\n", de_rest);
	write_file("vocabulary/de.yaml", bad);
	free(bad);
	v = load(&e, &rc);
	CHECK(rc < 0 && !v, "a broken de.yaml is an error though a cache of the old one is there");
	CHECK_HAS(e.s, "de.yaml");
	/* a file the loader does not know: the same */
	write_file("vocabulary/notes.yaml", "just: notes\n");
	write_base();
	v = load(&e, &rc);
	CHECK(rc < 0 && !v, "an unknown file in the vocabulary folder is an error, cache or not");
	CHECK_HAS(e.s, "unknown vocabulary file");
	{
		char p[160];
		snprintf(p, sizeof(p), "%s/vocabulary/notes.yaml", root);
		unlink(p);
	}

	/* changed: a new key, the new word read */
	char *more = lang_yaml("de", "Latn", "  positive: [positiv, reaktiv]\n  negative: [negativ]\n", de_rest);
	write_file("vocabulary/de.yaml", more);
	free(more);
	v = load(&e, &rc);
	CHECK(rc == 0 && v && !v->from_cache, "a changed file is read from the YAML");
	CHECK(v && vocab_text_has_entry(v, "reaktiv", 7, VW_POSITIVE, 0), "its new word is matched");
	vocab_free(v);
	CHECK_INT(cache_files(dir, again, sizeof(again)), 2);
	v = load(&e, &rc);
	CHECK(rc == 0 && v && v->from_cache && vocab_text_has_entry(v, "reaktiv", 7, VW_POSITIVE, 0),
	      "then from its own cache");
	vocab_free(v);
	write_base();
	v = load(&e, &rc);
	CHECK(rc == 0 && v && v->from_cache && same_encoding(v, yaml), "back as it was: the first cache again");
	vocab_free(v);

	/* one language past VOCAB_MAX_LANGS (en, de, zh, ar and 61 more): an error, and no cache looked up
	 * or written for the folder */
	char code[3] = "fa", rel[160];    /* fa..hi: none of en, de, zh, ar */
	for (int k = 0; k < VOCAB_MAX_LANGS - 3; k++, code[1] = code[1] == 'z' ? (code[0]++, 'a') : code[1] + 1) {
		char *y = lang_yaml(code, "Latn", "", "");
		snprintf(rel, sizeof(rel), "vocabulary/%s.yaml", code);
		write_file(rel, y);
		free(y);
	}
	int before = cache_files(dir, again, sizeof(again));
	v = load(&e, &rc);
	CHECK(rc < 0 && !v, "%u languages and one more: an error", VOCAB_MAX_LANGS);
	CHECK_HAS(e.s, "more than 64 languages");
	CHECK_INT(cache_files(dir, again, sizeof(again)), before);
	code[0] = 'f', code[1] = 'a';
	for (int k = 0; k < VOCAB_MAX_LANGS - 3; k++, code[1] = code[1] == 'z' ? (code[0]++, 'a') : code[1] + 1) {
		snprintf(rel, sizeof(rel), "%s/vocabulary/%s.yaml", root, code);
		unlink(rel);
	}
	v = load(&e, &rc);
	CHECK(rc == 0 && v && v->from_cache, "without them: the first cache again");
	vocab_free(v);

	/* INGEST_CACHE_DIR set and empty: none read or written */
	setenv("INGEST_CACHE_DIR", "", 1);
	v = load(&e, &rc);
	CHECK(rc == 0 && v && !v->from_cache);
	vocab_free(v);
out:
	vocab_free(yaml);
	vocab_free(cached);
	strbuf_free(&e);
}

int main(void)
{
	struct strbuf e = { 0 };
	struct vocab *v;
	int rc;
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%.40s/test-vocab.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(root))
		return 2;
	test_fold();

	v = load(&e, &rc);
	CHECK(rc == -ENOENT && !v, "no vocabulary folder: -ENOENT");
	CHECK_HAS(e.s, "no vocabulary folder");
	{
		char p[128];
		snprintf(p, sizeof(p), "%s/vocabulary", root);
		mkdir(p, 0700);
	}
	write_file("breast.yaml", "id: breast\n");
	write_file("generic.yaml", "id: generic\n");
	write_file("_baseline.yaml", "id: baseline\n");
	write_base();
	v = load(&e, &rc);
	CHECK(rc == 0 && v, "the test vocabulary loads: %s", e.s ? e.s : "");
	if (v) {
		CHECK_INT(vocab_n_langs(v), 4);
		CHECK_STR(vocab_lang(v, 0)->code, "en");
		CHECK_INT(vocab_n_cancer_types(v), 2);     /* en.yaml names them */
		CHECK_INT(vocab_n_concepts(v), 2);
		const struct vocab_marker *her2 = vocab_marker(v, (size_t)vocab_marker_id(v, "HER2"));
		CHECK(her2 && her2->route[VG_AMPLIFICATION] == vocab_marker_id(v, "HER2 ISH"));
		CHECK(her2 && her2->route[VG_IHC] == -1);
		CHECK(her2 && her2->clones && her2->clones[0] && strcmp(her2->clones[0], "4B5") == 0);
		CHECK(vocab_marker(v, (size_t)vocab_marker_id(v, "CK7"))->panel);
		CHECK_STR(vocab_lab(v, 0)->units[1], "g/L");
		test_match(v);
		test_resolve(v);
	}
	vocab_free(v);
	strbuf_free(&e);
	test_errors();
	test_synonym_added();
	test_cache();

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
	CHECK_DONE();
}
