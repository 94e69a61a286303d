/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Internals of the statement reader (findings.h findings_statements()),
 * shared by its files:
 *   markers.c     reads each unit into items, drops names and references,
 *                 gives values (give()), emits the unit's statements
 *   sentences.c   values to marker groups in a sentence
 *   rows.c        values to the marker of a table row
 *   statements.c  names, words for the report; the list settled at the end
 */
#ifndef INGEST_FINDINGS_STATEMENTS_H
#define INGEST_FINDINGS_STATEMENTS_H

#include "findings/engine.h"

#define G(x) (1u << (x))

/* a group's markers are at most this far apart, a value at most this far from its group */
#define GROUP_GAP_MAX 4
#define VALUE_GAP_MAX 10
/* a product or derived word this close after a marker makes it a name, not a marker's result */
#define NAME_GAP_MAX 2

/* per statement, beside the list: read in an interpretation section; its
 * polarity only from words about a score ("PD-L1 expression is low") */
#define SF_INTERP 1u
#define SF_WORDS 2u

/* A statement being read from one unit. */
struct pst {
	int marker;
	bool any;               /* a value, a polarity, an assertion or a variant was given */
	enum assertion as;
	enum polarity pol;
	char value[40];
	char variant[48];
	char method[40];
	enum variant_class vc;
	enum variant_origin origin;
	unsigned mods;
	bool result;            /* a result (not only pending...) was given */
	bool words_pol;         /* the polarity came from a high / low word ("expression is low") */
	bool conflict;          /* two values of opposite polarity: the unit is not read for it */
};

struct reader {
	const struct vocab *v;
	const struct doc_text *d;
	struct statement_list *out;
	uint8_t *interp;        /* per statement: SF_ bits */
	size_t cap;
	struct items it;
	struct pst pst[FINDINGS_MAX_ITEMS];
	size_t npst;
	const struct funits *units;
	int msi_context;        /* -1 not yet known; 0 / 1: the document speaks of microsatellites or MMR */
	const struct funit *last_unit;  /* the unit read last */
	int last_mut_marker;    /* its one marker read with variants, or -1 */
	int prev_mut_marker;    /* last_mut_marker of the sentence right before this one (same section), or -1 */
};

/* markers.c */
/* The statement being built for MARKER in this unit, or NULL (pst_find); pst_get() makes it when there is none (NULL when full). */
ING_HIDDEN struct pst *pst_find(struct reader *r, int marker);
ING_HIDDEN struct pst *pst_get(struct reader *r, int marker);
/* Does marker M take value F? The marker that gets it (M or its route), or -1. */
ING_HIDDEN int takes(const struct vocab *v, int m, const struct fval *f);
/* Give the value of item X to marker M (or the marker its route names). */
ING_HIDDEN void give(struct reader *r, int m, const struct item *x);
ING_HIDDEN bool item_is_value(const struct item *x);
ING_HIDDEN bool marker_reads(const struct vocab *v, int m, uint32_t grammars);
/* Copy folded [A, B) of U as written in the source. */
ING_HIDDEN void src_copy(const struct funit *u, size_t a, size_t b, char *out, size_t outsz);

/* sentences.c, rows.c */
/* Is marker item M right after a value of its own ("mutated NPM1"), or right
 * before one, past its variant ("FLT3-ITD negative")? */
ING_HIDDEN bool own_value_before(const struct funit *u, const struct items *it, size_t m);
ING_HIDDEN bool own_value_after(const struct funit *u, const struct items *it, size_t m);
/* A ',' or ';' in folded [A, B)? */
ING_HIDDEN bool comma_between(const struct vtext *t, size_t a, size_t b);
ING_HIDDEN void read_sentence(struct reader *r, const struct funit *u);
ING_HIDDEN void read_row(struct reader *r, const struct funit *u);

/* statements.c */
ING_HIDDEN void statement_free_one(struct statement *s);
ING_HIDDEN bool str_eq(const char *a, const char *b);
ING_HIDDEN bool same_result(const struct statement *a, const struct statement *b);
ING_HIDDEN bool restates(const struct statement *a, const struct statement *b);
/* Is marker M's result a measurement (a percentage or a PD-L1 score)? */
ING_HIDDEN bool measured(const struct vocab *v, int m);
ING_HIDDEN bool has_digit(const char *s);
/* Once every unit is read: merges, drops, amendments (statements.c's comment). */
ING_HIDDEN void settle(struct reader *r);

#endif
