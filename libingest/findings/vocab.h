/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The vocabulary: every word the findings engine and the rules look for,
 * loaded from data (the YAML files of rules/vocabulary/, docs/vocabulary.md), never
 * from C. Markers with their synonyms and value grammars, labs with their
 * local names, and per language: result words, ConText triggers, table
 * headings, non-result cues, kind headings, cancer-type words, the words
 * rules look for ("concepts": side, biopsy type...), month names and the
 * stop words that tell the language.
 *
 * Loaded once per rules folder (fail closed: a vocabulary that does not
 * load means the rules do not load), immutable afterwards, shared by the
 * scan's threads without locks.
 *
 * Matching works on folded text (vtext_fold()): lower case (Latin,
 * Greek, Cyrillic, Turkish İ/ı), Latin accents removed, ß -> ss,
 * full-width ASCII made ASCII, Arabic alef/ya forms unified and harakat
 * and tatweel dropped, every run of white space made one ' '. A phrase
 * matches at a word start and ends at a word end (letters and digits are
 * word characters; Han, Hiragana, Katakana and Thai match at any
 * character). Separators (' ', '-', '/', ':', '_', '.') are one class: a
 * separator in a phrase matches any run of them in the text or none at
 * all ("PD-L1" matches "PD L1", "PDL1", "pd-l1"), and a separator run in
 * the text is skipped where the phrase has none only between a letter and
 * a digit ("HER-2" matches "HER2", "E R" never matches "ER").
 */
#ifndef INGEST_FINDINGS_VOCAB_H
#define INGEST_FINDINGS_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/macro.h"
#include "util/strbuf.h"

struct ing_ctx;
struct vocab;

/* Word classes. Each is one key of a language file's `words:` map (its
 * YAML key is vocab_class_name()); the phrases of all languages load into
 * one matcher. */
enum vocab_class {
	/* result words (value grammars read them) */
	VW_POSITIVE, VW_NEGATIVE, VW_DETECTED, VW_NOT_DETECTED, VW_MUTATED, VW_WILD_TYPE,
	VW_AMPLIFIED, VW_NOT_AMPLIFIED, VW_REARRANGED, VW_NOT_REARRANGED, VW_RETAINED, VW_LOST,
	VW_DEFICIENT, VW_PROFICIENT, VW_MSI_HIGH, VW_MSI_LOW, VW_MSS, VW_METHYLATED, VW_UNMETHYLATED,
	VW_CODELETED, VW_NOT_CODELETED, VW_HIGH, VW_LOW, VW_EQUIVOCAL,
	/* assertions other than a result */
	VW_PENDING, VW_NOT_DONE, VW_INSUFFICIENT,
	/* variants */
	VW_PATHOGENIC, VW_LIKELY_PATHOGENIC, VW_VUS, VW_LIKELY_BENIGN, VW_BENIGN, VW_GERMLINE, VW_SOMATIC,
	/* ConText (READING.md): triggers before / after their target, pseudo-triggers,
	 * scope terminators, and the other modifiers */
	VW_NEG_PRE, VW_NEG_POST, VW_PSEUDO, VW_TERMINATE, VW_POSSIBLE, VW_HISTORICAL, VW_HYPOTHETICAL,
	VW_FAMILY,
	/* words that make a number or a name a non-result */
	VW_DEFINITION,      /* "is defined as", "definiert als": a definition note follows */
	VW_CRITERION,       /* "positive if", "positif si": a sentence stating a cut-off, not a result (a row's
	                       reference cell "Positive if >= 1%" leaves the row's result alone) */
	VW_REFERENCE,       /* "reference range", "Referenzbereich", "normal": a range follows */
	VW_DERIVED,         /* "PSA density", "velocity", "doubling time": a derived quantity */
	VW_PRODUCT,         /* "mutation test", "assay", "kit": a test's name, not its result */
	VW_AMENDMENT,       /* "addendum", "amended report", "Nachtrag": an amendment section starts */
	VW_INTERPRETATION,  /* "interpretation", "comment": words about a value, not the value */
	/* table column headings */
	VW_COL_MARKER, VW_COL_RESULT, VW_COL_METHOD, VW_COL_REFERENCE, VW_COL_UNIT, VW_COL_DATE,
	VW_COL_FLAG, VW_COL_CLASSIFICATION, VW_COL_VAF,
	/* methods (IHC, FISH, NGS, PCR...) */
	VW_METHOD,
	/* entries with an id (struct vmatch.id) */
	VW_MARKER,          /* id: vocab_marker() index (markers.yaml) */
	VW_LAB,             /* id: vocab_lab() index (labs.yaml, plus each language's `labs:`) */
	VW_KIND_HEADING,    /* id: enum ing_kind; a distinctive title (weight 3) */
	VW_KIND_WORD,       /* id: enum ing_kind; a word of that kind's documents (weight 1) */
	VW_CANCER_TYPE,     /* id: vocab_cancer_type() index; the rules' type ids */
	VW_CONCEPT,         /* id: vocab_concept() index: words rules look for */
	VW_MONTH,           /* id: 1..12 */
	VW_STOPWORD,        /* a frequent function word of its language (language detection) */
	_VW_MAX
};
/* A set of classes: _VW_MAX is 66, more than a uint64_t holds. A mask made
 * only of classes below 64 still converts from a uint64_t unchanged. */
typedef unsigned __int128 vocab_mask;
#define VW_BIT(c) ((vocab_mask)1 << (c))

ING_HIDDEN const char *vocab_class_name(enum vocab_class c);

/* Value grammars a marker's results are read with (markers.yaml `values:`). */
enum value_grammar {
	VG_POSNEG,          /* positive / negative */
	VG_IHC,             /* 0, 1+, 2+, 3+ (and "score 2+", "2+ (equivocal)") */
	VG_PERCENT,         /* "90%", "<1%", "5 %", "30-40%" */
	VG_ALLRED,          /* "Allred 7/8", "Allred score 7" */
	VG_HSCORE,          /* "H-score 180" */
	VG_TPS, VG_CPS, VG_IC, /* PD-L1 scores; the number after the score's name */
	VG_MUTATION,        /* detected / not detected, mutated / wild type, a variant (p.G12C, exon 19 deletion) */
	VG_FUSION,          /* rearranged / not rearranged, fusion detected / not detected, partner */
	VG_AMPLIFICATION,   /* amplified / not amplified */
	VG_RATIO,           /* "HER2/CEP17 ratio 2.4" */
	VG_COPY_NUMBER,     /* "average HER2 copy number 6.1 signals/cell" */
	VG_EXPRESSION,      /* retained / lost (MMR proteins, ATRX, BAP1...) */
	VG_MMR,             /* deficient / proficient */
	VG_MSI,             /* MSI-H / MSI-L / MSS */
	VG_METHYLATION,     /* methylated / unmethylated */
	VG_CODELETION,      /* codeleted / not codeleted */
	VG_TMB,             /* "12 mut/Mb", high / low */
	VG_GLEASON,         /* "4+3=7", "Gleason score 7 (4+3)" */
	VG_GRADE,           /* "ISUP grade 3", "grade group 2" */
	VG_SCORE,           /* a plain number after the name ("Recurrence Score 18") */
	VG_VAF,             /* "VAF 23%" */
	VG_HIGHLOW,         /* high / low */
	_VG_MAX
};
ING_HIDDEN const char *value_grammar_name(enum value_grammar g);

struct vocab_marker {
	const char *name;       /* canonical, as gold files and reports write it: "HER2", "PD-L1" */
	uint32_t values;        /* bit (1u << enum value_grammar) for each grammar it is read with */
	bool panel;             /* a diagnostic stain (CK7, TTF-1, CD3...), not a predictive marker */
	bool assay;             /* the name of a test ("FoundationOne CDx"): done, pending or failed, never a result */
	const char *const *clones; /* antibody clones / assays naming its method: "SP263", "4B5"; NULL-terminated */
	int16_t route[_VG_MAX]; /* a value of grammar g stated next to this marker is the result of marker
	                         * route[g] (markers.yaml `routes:`: HER2's amplification -> HER2 ISH);
	                         * -1: none */
};

struct vocab_lab {
	const char *name;       /* canonical: "haemoglobin", "CEA", "PSA" */
	const char *const *units;  /* units its values are given in, as written in labs.yaml; NULL-terminated */
};

struct vocab_lang {
	const char *code;       /* ISO 639-1: "de" */
	const char *name;       /* "German" */
	const char *script;     /* ISO 15924: "Latn", "Cyrl", "Hans", "Arab", "Deva" */
};

/* Loads DIR/vocabulary/markers.yaml, labs.yaml and every DIR/vocabulary/XX.yaml
 * language file. 0 and *OUT, or a negative errno with each error appended to
 * ERRORS as "FILE:LINE:COL: what is wrong" (-ENOENT: no vocabulary folder). */
ING_HIDDEN int vocab_load_dir(struct ing_ctx *ctx, const char *dir, struct vocab **out, struct strbuf *errors);
ING_HIDDEN struct vocab *vocab_free(struct vocab *v);

ING_HIDDEN size_t vocab_n_markers(const struct vocab *v);
ING_HIDDEN const struct vocab_marker *vocab_marker(const struct vocab *v, size_t id);
ING_HIDDEN int vocab_marker_id(const struct vocab *v, const char *name);   /* by canonical name, -1 if none */
ING_HIDDEN size_t vocab_n_labs(const struct vocab *v);
ING_HIDDEN const struct vocab_lab *vocab_lab(const struct vocab *v, size_t id);
ING_HIDDEN int vocab_lab_id(const struct vocab *v, const char *name);
ING_HIDDEN size_t vocab_n_langs(const struct vocab *v);
ING_HIDDEN const struct vocab_lang *vocab_lang(const struct vocab *v, size_t id);
ING_HIDDEN size_t vocab_n_cancer_types(const struct vocab *v);
ING_HIDDEN const char *vocab_cancer_type(const struct vocab *v, size_t id);   /* the rules' type id: "breast" */
ING_HIDDEN size_t vocab_n_concepts(const struct vocab *v);
ING_HIDDEN const char *vocab_concept(const struct vocab *v, size_t id);       /* "left", "core-biopsy" */
ING_HIDDEN int vocab_concept_id(const struct vocab *v, const char *name);

/* Folded text (see the top of this file). */
struct vtext {
	char *s;                /* folded UTF-8, NUL-terminated */
	size_t n;
	uint32_t *orig;         /* orig[i]: offset in the source text of folded byte i; orig[n]: the source's length */
};
ING_HIDDEN int vtext_fold(const char *text, size_t len, struct vtext *out);
ING_HIDDEN void vtext_free(struct vtext *t);

#define VOCAB_LANG_ANY 0xff

struct vmatch {
	enum vocab_class cls;
	uint16_t id;            /* VW_MARKER...VW_MONTH: the entry; else 0 */
	uint8_t lang;           /* vocab_lang() index of the file it came from; VOCAB_LANG_ANY for markers.yaml/labs.yaml */
	size_t end;             /* folded offset just past the match */
};

/* The phrases of the classes in MASK (VW_BIT()s; 0: all) that match at
 * folded offset I, longest first, at most MAX; returns how many. I must be
 * a word start (or any character in Han/Kana/Thai text): not checked. */
ING_HIDDEN size_t vocab_match_at(const struct vocab *v, const struct vtext *t, size_t i, vocab_mask mask,
                                 struct vmatch *out, size_t max);
/* True when folded offset I starts a word. */
ING_HIDDEN bool vtext_word_start(const struct vtext *t, size_t i);

/* Does TEXT contain a phrase of concept CONCEPT (any language)? For rules'
 * word checks: rule_text_matches() of a concept's name goes through this. */
ING_HIDDEN bool vocab_text_has_concept(const struct vocab *v, const char *text, size_t len, int concept);

/* The markers a rule term's phrase names (the whole phrase a marker name or
 * synonym, or a marker phrase followed by words of the value grammars:
 * "HER2-low", "BRAF wild-type", "MSI-H", "KRAS G12C"). Fills up to MAX
 * marker ids; returns the count (0: the vocabulary does not know it).
 * *QUALIFIER (may be NULL) gets the folded words after the marker phrase,
 * malloc'd, or NULL. */
ING_HIDDEN size_t vocab_resolve_term(const struct vocab *v, const char *phrase, int *ids, size_t max, char **qualifier);
/* The same for labs: a lab phrase, alone or with words of the classes above
 * ("PSA doubling time" is not one unless "doubling time" is a word). */
ING_HIDDEN size_t vocab_resolve_lab(const struct vocab *v, const char *phrase, int *ids, size_t max);

/* The entries a whole PHRASE is (every class in MASK, 0: all), longest
 * first, at most MAX: a rule's keyword is known when this finds one. */
ING_HIDDEN size_t vocab_lookup_phrase(const struct vocab *v, const char *phrase, vocab_mask mask, struct vmatch *out,
                                      size_t max);
/* Does TEXT contain a phrase of entry (CLS, ID) (ID < 0: any entry of CLS), any language? */
ING_HIDDEN bool vocab_text_has_entry(const struct vocab *v, const char *text, size_t len, enum vocab_class cls, int id);
/* Does TEXT contain a phrase of any of the N entries E (their cls and id;
 * an entry of a class without ids: any phrase of the class)? Folds once. */
ING_HIDDEN bool vocab_text_has_any(const struct vocab *v, const char *text, size_t len, const struct vmatch *e, size_t n);
/* Is PHRASE made of words the vocabulary knows (result, assertion, variant,
 * negation words, methods, markers, stop words) and tokens with a digit
 * ("IHC 2+", "no mutation", "not amplified")? For `holds`/`fails` words. */
ING_HIDDEN bool vocab_knows_words(const struct vocab *v, const char *phrase);

#endif
