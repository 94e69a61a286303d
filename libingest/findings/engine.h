/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Internals of the statement engine (findings.h), shared by its files:
 *   text.c      units (table rows with their cells, sentences) and their sections
 *   context.c   items (the vocabulary's phrases in a unit) and ConText scopes
 *   values.c    value grammars: what a result word or a number says
 *   markers.c   statements (with sentences.c, rows.c, statements.c: statements.h)
 * Everything works on folded text (vocab.h, vtext_fold()); offsets are
 * folded offsets unless a name says otherwise.
 */
#ifndef INGEST_FINDINGS_ENGINE_H
#define INGEST_FINDINGS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "findings/findings.h"
#include "findings/vocab.h"

/* ---- units (text.c) ---- */

enum col_role {
	ROLE_NONE = 0, ROLE_MARKER, ROLE_RESULT, ROLE_METHOD, ROLE_REFERENCE, ROLE_UNIT, ROLE_DATE,
	ROLE_FLAG, ROLE_CLASSIFICATION, ROLE_VAF,
	ROLE_INTERP,                    /* an interpretation column ("Interpretación"): not counted to find a header */
};

enum unit_flag {
	UF_AMENDMENT = 1u << 0,         /* after an amendment heading */
	UF_INTERPRETATION = 1u << 1,    /* in an interpretation / comment section */
	UF_DEFINITION = 1u << 2,        /* a definition note: no statements */
	UF_HEADER = 1u << 3,            /* a table header row: no statements */
};

struct fcell {
	size_t a, b;                    /* folded range, trimmed */
	enum col_role role;             /* from the header above it; ROLE_NONE without one */
};

struct funit {
	enum stmt_unit kind;
	const struct vtext *t;          /* the folded text it lies in */
	const char *src;                /* the text t was folded from (t->orig offsets into it) */
	bool from_layout;               /* t is the layout text, not the reading-order text */
	size_t a, b;                    /* folded range */
	unsigned line;                  /* 1-based line of its start */
	unsigned flags;                 /* enum unit_flag */
	unsigned ncells;                /* rows: cells; sentences: 0 */
	bool has_header;                /* rows: the cells' roles come from a header */
	struct fcell cells[FINDINGS_MAX_CELLS];
};

struct funits {
	struct funit *v;
	size_t n, cap;
};

/* The units of document D: rows of the layout (TL, folded D->layout) when
 * there is one, else rows of the text's lines with 2+ cells; then sentences
 * of the text (TT, folded D->text), lines that were rows left out. TL is
 * NULL when D has no layout. */
ING_HIDDEN void units_build(const struct vocab *v, const struct doc_text *d, const struct vtext *tt,
                            const struct vtext *tl, struct funits *out);
ING_HIDDEN void units_free(struct funits *u);

/* Is folded byte I part of a word (a letter or digit, ASCII or not)? */
ING_HIDDEN bool fold_is_wordch(const struct vtext *t, size_t i);
/* The folded offset of source offset SRC (the first folded byte at or after it). */
ING_HIDDEN size_t fold_pos(const struct vtext *t, size_t src);

/* ---- items and ConText (context.c) ---- */

enum item_kind {
	IT_MARKER, IT_WORD, IT_TRIGGER, IT_VALUE, IT_VARIANT,
};

/* What a value says (values.c). */
struct fval {
	enum value_grammar g;           /* the grammar it belongs to (VG_POSNEG for generic words) */
	uint32_t accept;                /* grammars that read it (bits of enum value_grammar) */
	enum assertion as;
	enum polarity pol;
	bool generic;                   /* a positive/negative word: read by most grammars */
	bool weak;                      /* a bare number ("0", "18"): only right after its marker */
	bool vaf;                       /* a VAF ("VAF 23%") */
	bool intensity;                 /* an IHC grade named an intensity ("intensity 2+"): a stain
	                                 * measured in per cent does not take it as its score */
	enum variant_class vc;
	char text[40];                  /* normalised value, "" when none */
};

struct item {
	enum item_kind kind;
	size_t a, b;                    /* folded range */
	vocab_mask cls;                 /* VW_BIT()s of the phrase (IT_WORD, IT_TRIGGER) */
	int marker;                     /* IT_MARKER */
	unsigned cell;                  /* the cell it lies in (rows) */
	bool negated;                   /* in a negation's scope */
	unsigned mods;                  /* enum stmt_modifier bits from the scopes it lies in */
	bool dead;                      /* dropped (test name, derived, reference, inside another) */
	struct fval val;                /* IT_VALUE, IT_WORD that is a result word */
	char variant[40];               /* IT_VARIANT */
	bool named;                     /* IT_VARIANT that is the marker's own name ("H3 K27M"): no result */
};

struct items {
	struct item v[FINDINGS_MAX_ITEMS];
	size_t n;
};

/* The vocabulary's phrases and the values in [A, B) of T, in order; CELL
 * numbers the items by the cell of U they lie in. */
ING_HIDDEN void items_scan(const struct vocab *v, const struct funit *u, size_t a, size_t b, struct items *out);
/* ConText: negation and modifier scopes over the items of text T; a
 * negation's forward scope passes over an aside in parentheses that states
 * a result of its own. */
ING_HIDDEN void context_apply(const struct vtext *t, struct items *it);
/* The cost of the gap [A, B) between two items: words not in an item count
 * 1, a ',' or '、' 3, an opening '(' 1, ':' and '/' 0. */
ING_HIDDEN unsigned gap_cost(const struct vtext *t, const struct items *it, size_t a, size_t b);

/* ---- values (values.c) ---- */

/* A result word of class C as a value; false when C is none. */
ING_HIDDEN bool value_from_word(enum vocab_class c, struct fval *out);
/* A value written at folded offset I (numbers, scores, signs, MSI...), up
 * to END; its end, or 0. */
ING_HIDDEN size_t value_parse(const struct vtext *t, size_t i, size_t end, struct fval *out);
/* A variant at I ("p.G12C", "c.35G>T", "exon 19 deletion", "V600E" when
 * BARE): its end, or 0, with the normalised text in OUT. */
ING_HIDDEN size_t variant_parse(const struct vtext *t, size_t i, size_t end, bool bare, char *out, size_t outsz);
/* Is VAR a kind named by a short form ("ITD", "TKD"), not a position? */
ING_HIDDEN bool variant_is_named_kind(const char *var);
/* Is [A, B) a reference range ("0.0-4.0", "< 35", "(1-10)")? */
ING_HIDDEN bool value_is_range(const struct vtext *t, size_t a, size_t b);
/* Does marker M read values of F (its grammars, or a route)? The marker
 * that gets it (M, or M's route), or -1. */
ING_HIDDEN int value_marker_for(const struct vocab *v, int m, const struct fval *f);
/* Is marker M the name of a score (markers.yaml "PD-L1 TPS": read only with
 * score grammars, or every grammar routed)? Its value is another marker's. */
ING_HIDDEN bool marker_is_score_name(const struct vocab *v, int m);
/* A bare number or percentage after score name M as that score: "TPS 5%", "CPS 10". */
/* The marker a score name's value belongs to (PD-L1 for "PD-L1 TPS", "Tumor
 * Proportion Score"): the first other marker read with that score; -1 none. */
ING_HIDDEN int score_owner(const struct vocab *v, int m);
ING_HIDDEN void value_as_score(const struct vocab *v, int m, struct fval *f);

#endif
