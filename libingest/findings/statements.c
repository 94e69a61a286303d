/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The statement list: names and words for the report, and the document's
 * statements settled once all units are read (a value and a polarity a few
 * lines apart merged, interpretation words only where nothing else speaks,
 * a group's result beside its member's dropped, an amendment's revision
 * superseding the result it revises).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "findings/statements.h"

/* ---- names ---- */

const char *assertion_name(enum assertion a)
{
	static const char *const n[] = { "result", "equivocal", "pending", "not-done", "insufficient" };
	return (unsigned)a < ARRAY_SIZE(n) ? n[a] : "result";
}

const char *polarity_name(enum polarity p)
{
	static const char *const n[] = { "none", "positive", "negative" };
	return (unsigned)p < ARRAY_SIZE(n) ? n[p] : "none";
}

const char *variant_class_name(enum variant_class c)
{
	static const char *const n[] = { NULL, "pathogenic", "likely-pathogenic", "vus", "likely-benign", "benign" };
	return (unsigned)c < ARRAY_SIZE(n) ? n[c] : NULL;
}

const char *variant_origin_name(enum variant_origin o)
{
	static const char *const n[] = { NULL, "germline", "somatic" };
	return (unsigned)o < ARRAY_SIZE(n) ? n[o] : NULL;
}

bool statement_is_result(const struct statement *s)
{
	/* A VUS or benign variant is a result with polarity none: it says the
	 * marker was tested, never that it is positive. */
	return (s->assertion == AS_RESULT || s->assertion == AS_EQUIVOCAL) && !s->superseded &&
	       !(s->modifiers & (MOD_POSSIBLE | MOD_HYPOTHETICAL | MOD_FAMILY));
}

char *statement_result_text(const struct statement *s)
{
	struct strbuf b;
	strbuf_init(&b, 256);
	switch (s->assertion) {
	case AS_PENDING: strbuf_puts(&b, "pending"); break;
	case AS_NOT_DONE: strbuf_puts(&b, "not done"); break;
	case AS_INSUFFICIENT: strbuf_puts(&b, "insufficient"); break;
	case AS_EQUIVOCAL: strbuf_puts(&b, "equivocal"); break;
	case AS_RESULT:
		if (s->vclass == VC_VUS)
			strbuf_puts(&b, "VUS");
		else if (s->vclass == VC_BENIGN || s->vclass == VC_LIKELY_BENIGN)
			strbuf_puts(&b, variant_class_name(s->vclass));
		else if (s->polarity != POL_NONE)
			strbuf_puts(&b, polarity_name(s->polarity));
		break;
	}
	const char *parts[2] = { s->value, s->variant };
	bool open = false;
	for (size_t k = 0; k < 2; k++) {
		if (!parts[k])
			continue;
		if (b.len == 0) {
			strbuf_puts(&b, parts[k]);
			continue;
		}
		strbuf_puts(&b, open ? ", " : " (");
		strbuf_puts(&b, parts[k]);
		open = true;
	}
	if (open)
		strbuf_puts(&b, ")");
	if (b.len == 0)
		strbuf_puts(&b, "stated");
	return strbuf_steal(&b);
}

ING_HIDDEN void statement_free_one(struct statement *s)
{
	free(s->value);
	free(s->variant);
	free(s->method);
	free(s->snippet);
}

void statement_list_free(struct statement_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		statement_free_one(&l->v[i]);
	free(l->v);
	*l = (struct statement_list){ 0 };
}

ING_HIDDEN bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

ING_HIDDEN bool same_result(const struct statement *a, const struct statement *b)
{
	return a->marker == b->marker && a->assertion == b->assertion && a->polarity == b->polarity &&
	       str_eq(a->value, b->value) && str_eq(a->variant, b->variant) && a->vclass == b->vclass;
}

/* Does A say part of what B says: its result without B's value or variant? */
ING_HIDDEN bool restates(const struct statement *a, const struct statement *b)
{
	return a->marker == b->marker && a->assertion == b->assertion && a->polarity == b->polarity &&
	       (!a->value || str_eq(a->value, b->value)) && (!a->variant || str_eq(a->variant, b->variant)) &&
	       (!a->vclass || a->vclass == b->vclass);
}

/* Is marker M's result a measurement (a percentage or a PD-L1 score), so that
 * "high" / "low" beside it are words about the number, not a polarity? */
ING_HIDDEN bool measured(const struct vocab *v, int m)
{
	const struct vocab_marker *vm = vocab_marker(v, (size_t)m);
	return vm && (vm->values & (G(VG_PERCENT) | G(VG_TPS) | G(VG_CPS) | G(VG_IC))) &&
	       !(vm->values & (G(VG_TMB) | G(VG_SCORE)));
}

ING_HIDDEN bool has_digit(const char *s)
{
	for (; s && *s; s++)
		if (*s >= '0' && *s <= '9')
			return true;
	return false;
}

/* Interpretation words count only for a marker nothing else gave a result
 * for; an amendment's different result supersedes the earlier one. */
/* Is S a plain result of its own sentence (no modifier, not superseded, no row)? */
static bool plain_sentence(const struct statement *s)
{
	return s->assertion == AS_RESULT && !s->modifiers && !s->superseded &&
	       s->unit == UNIT_SENTENCE;
}

/* "HER2/CEP17 ratio 2.6, ..." then "HER2 gene is AMPLIFIED"; "GIS : 58"
 * then "Statut HRD : positif": a marker's number without a polarity and
 * its polarity without a number, in sentences a few lines apart, are one
 * result: the polarity takes the number (both in an addendum, or neither).
 * Only when the marker has no other
 * statement of its own in the document (no second sample, no other value
 * or polarity to choose from). */
#define MERGE_LINES 3
static void merge_value_polarity(struct reader *r)
{
	struct statement_list *l = r->out;
	bool *gone = l->n ? calloc(l->n, sizeof(*gone)) : NULL;
	if (!gone)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct statement *p = &l->v[i];
		if (gone[i] || (r->interp[i] & (SF_INTERP | SF_WORDS)) || !plain_sentence(p) || p->polarity == POL_NONE || p->value || p->vclass)
			continue;
		size_t vi = SIZE_MAX, others = 0;
		for (size_t j = 0; j < l->n; j++) {
			const struct statement *q = &l->v[j];
			if (j == i || gone[j] || q->marker != p->marker)
				continue;
			if (plain_sentence(q) && !(r->interp[j] & (SF_INTERP | SF_WORDS)) && q->polarity == POL_NONE && has_digit(q->value) && !q->variant &&
			    q->from_layout == p->from_layout && q->amendment == p->amendment && vi == SIZE_MAX)
				vi = j;
			else
				others++;
		}
		if (vi == SIZE_MAX || others)
			continue;
		struct statement *q = &l->v[vi];
		unsigned d = q->line > p->line ? q->line - p->line : p->line - q->line;
		if (d > MERGE_LINES)
			continue;
		p->value = q->value;
		q->value = NULL;
		gone[vi] = true;
	}
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (gone[i]) {
			statement_free_one(&l->v[i]);
			continue;
		}
		r->interp[w] = r->interp[i];
		l->v[w++] = l->v[i];
	}
	l->n = w;
	free(gone);
}

/* Frees the statements DROP marks and closes the gaps (interp with them). */
static void compact(struct reader *r, bool *drop)
{
	struct statement_list *l = r->out;
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (drop[i]) {
			statement_free_one(&l->v[i]);
			drop[i] = false;
			continue;
		}
		r->interp[w] = r->interp[i];
		l->v[w++] = l->v[i];
	}
	l->n = w;
}

/* Is VALUE a copy number ("3.4 copies")? */
static bool is_copies(const char *value)
{
	size_t n = value ? strlen(value) : 0;
	return n > 7 && strcmp(value + n - 7, " copies") == 0;
}

ING_HIDDEN void settle(struct reader *r)
{
	struct statement_list *l = r->out;
	merge_value_polarity(r);
	size_t w = 0;
	/* decided on the whole list first, then compacted: a decision reads
	 * every other statement, kept or not, and none is freed before */
	_cleanup_free_ bool *dropv = xcalloc(l->n ? l->n : 1, sizeof(*dropv));
	for (size_t i = 0; i < l->n; i++) {
		bool drop = false;
		if (r->interp[i] & SF_INTERP)
			for (size_t j = 0; j < l->n && !drop; j++)
				drop = j != i && !(r->interp[j] & SF_INTERP) && l->v[j].marker == l->v[i].marker &&
				       (l->v[j].assertion == AS_RESULT || l->v[j].assertion == AS_EQUIVOCAL);
		/* "PD-L1 80 %" in the conclusion beside "80 % (TPS)": the same score */
		for (size_t j = 0; j < l->n && !drop && l->v[i].value; j++) {
			const char *a = l->v[i].value, *b = l->v[j].value;
			size_t al = strlen(a), bl = b ? strlen(b) : 0;
			drop = j != i && b && l->v[j].marker == l->v[i].marker && bl > al + 1 && strcmp(b + bl - al, a) == 0 &&
			       b[bl - al - 1] == ' ' && a[0] >= '0' && a[0] <= '9' && l->v[j].assertion == l->v[i].assertion &&
			       (l->v[i].polarity == POL_NONE || l->v[i].polarity == l->v[j].polarity) &&
			       !l->v[j].superseded && !l->v[i].amendment;
		}
		/* "mean HER2 copy number 3.4 per cell" beside "HER2/CEP17 ratio 1.6":
		 * the ratio is the ISH result, the copy number its support */
		if (is_copies(l->v[i].value) && l->v[i].polarity == POL_NONE)
			for (size_t j = 0; j < l->n && !drop; j++)
				drop = j != i && l->v[j].marker == l->v[i].marker && l->v[j].value &&
				       strncmp(l->v[j].value, "ratio ", 6) == 0 && !l->v[j].superseded &&
				       l->v[j].amendment == l->v[i].amendment;
		/* "Hohe PD-L1-Expression" beside "TPS 55%": words about the number */
		if ((r->interp[i] & SF_WORDS) && !has_digit(l->v[i].value) && measured(r->v, l->v[i].marker))
			for (size_t j = 0; j < l->n && !drop; j++)
				drop = j != i && l->v[j].marker == l->v[i].marker && has_digit(l->v[j].value) &&
				       l->v[j].assertion == AS_RESULT;
		dropv[i] = drop;
	}
	compact(r, dropv);
	/* With a layout, the reading-order text holds the tables again, re-flowed:
	 * a sentence that gives a marker another result than its row is that. */
	for (size_t i = 0; i < l->n; i++) {
		bool drop = false;
		if (r->d->layout && l->v[i].unit == UNIT_SENTENCE && !l->v[i].amendment)
			for (size_t j = 0; j < l->n && !drop; j++)
				drop = l->v[j].unit == UNIT_ROW && l->v[j].marker == l->v[i].marker &&
				       !l->v[j].amendment && !same_result(&l->v[j], &l->v[i]);
		dropv[i] = drop;
	}
	compact(r, dropv);
	w = 0;
	w = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct statement *a = &l->v[i];
		bool same = false, differ = false, keep_too = false;
		if (a->amendment && (a->modifiers & MOD_HISTORICAL)) {
			/* "was originally reported as 1+" in an amendment: the
			 * result it replaces, not its revision */
			a->amendment = false;
			a->superseded = true;
		}
		if (a->amendment)
			for (size_t j = 0; j < w; j++) {
				struct statement *e = &l->v[j];
				if (e->amendment || e->marker != a->marker)
					continue;
				if (same_result(e, a) || restates(a, e)) {
					/* "ER negative" in a revised conclusion says again
					 * what "ER negative (0%)" said: no revision */
					same = true;
				} else if (restates(e, a)) {
					keep_too = true;        /* the amendment adds a value */
				} else {
					e->superseded = true;
					differ = true;
				}
			}
		if (same && !differ && !keep_too) {
			/* the amendment repeats the result: one statement */
			statement_free_one(a);
			continue;
		}
		l->v[w++] = *a;
	}
	l->n = w;
}
