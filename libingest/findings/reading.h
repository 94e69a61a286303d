/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private helpers shared by the readers of labs, dates, treatments,
 * language and kinds (labs.c, dates.c, treatments.c, language.c, kinds.c):
 * digits of any script, numbers with a decimal comma, dates in local
 * formats over folded text (vtext_fold()), lines of a text, snippets, and
 * the vocabulary's concepts by name. Not for the rest of the library.
 */
#ifndef INGEST_FINDINGS_READING_H
#define INGEST_FINDINGS_READING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "findings/findings.h"

/* One digit of any script we read (ASCII, full-width, Arabic-Indic, extended
 * Arabic-Indic, Devanagari) at S[I]: its byte length and *VAL, or 0. */
ING_HIDDEN size_t rd_digit(const char *s, size_t n, size_t i, int *val);
/* Is S[I] the start of a character that is a letter or digit of ASCII, or
 * any digit rd_digit() reads? (For word bounds of numbers and dates.) */
ING_HIDDEN bool rd_alnum_at(const char *s, size_t n, size_t i);
/* The character that ends just before I is an ASCII letter/digit or a digit of
 * another script. */
ING_HIDDEN bool rd_alnum_before(const char *s, size_t i);

/* A number at I: digits, then [.,] and decimals (a comma made a point,
 * "250,000" read as thousands). Writes it in ASCII to BUF; returns its end or
 * 0. Not when a letter or a digit runs into it from the left. */
ING_HIDDEN size_t rd_number(const char *s, size_t n, size_t i, char *buf, size_t bufsz);
/* A comparator at I ("<", ">", "<=", ">=", "≤", "≥"): its end (I when none),
 * ASCII in BUF[4]. */
ING_HIDDEN size_t rd_comparator(const char *s, size_t n, size_t i, char buf[4]);

/* A date read from folded text. */
struct rd_date {
	int y, m, d;            /* the earliest reading */
	int y2, m2, d2;         /* the latest reading (= the earliest for a day) */
	enum treatment_precision prec;
};
#define RD_DATE_MONTHS 0x1u     /* also "March 2026", "03/2026", "2026-03", "2026年3月" */
/* A date at folded offset I of T (its end, or 0): "2026-03-12", "12.03.2026",
 * "12/03/2026" (both readings when both are days), "12 mars 2026", "12. März
 * 2026", "12 de marzo de 2026", "March 12, 2026", "2026年3月12日", "12 марта
 * 2026 г.", in any script's digits; month names are the vocabulary's. */
ING_HIDDEN size_t rd_date_at(const struct vocab *v, const struct vtext *t, size_t i, size_t to, unsigned flags,
                             struct rd_date *out);
/* The first date in folded [A, B): its start in *DS, its end returned, 0 if none. */
ING_HIDDEN size_t rd_date_find(const struct vocab *v, const struct vtext *t, size_t a, size_t b, unsigned flags,
                               size_t *ds, struct rd_date *out);
ING_HIDDEN void rd_iso(char iso[11], int y, int m, int d);
ING_HIDDEN bool rd_valid_ymd(int y, int m, int d);
ING_HIDDEN int rd_days_in_month(int y, int m);

/* The document's date (findings_document_date()) and, in *RAW (may be NULL),
 * as written: 1 when a label gave a date (ISO "" when it is ambiguous), else 0. */
ING_HIDDEN int rd_document_date(const struct vocab *v, const struct doc_text *d, char iso[11], char **raw);

/* Original text [A, B) as a snippet: white space runs made one space,
 * trimmed, at most FINDINGS_SNIPPET_MAX bytes cut on a UTF-8 boundary. */
ING_HIDDEN char *rd_snippet(const char *text, size_t a, size_t b);

/* Is there a phrase of class CLS (id ID, or any id when ID < 0) at folded
 * offset I? Its end, or 0. */
ING_HIDDEN size_t rd_match(const struct vocab *v, const struct vtext *t, size_t i, enum vocab_class cls, int id);
/* Does folded [A, B) hold a phrase of class CLS (id ID, or any when ID < 0)
 * at a word start? Its start in *AT (may be NULL). */
ING_HIDDEN bool rd_find(const struct vocab *v, const struct vtext *t, size_t a, size_t b, enum vocab_class cls,
                        int id, size_t *at);

/* The text to read: a NUL-free view bounded by FINDINGS_MAX_TEXT. */
static inline size_t rd_len(size_t len)
{
	return len > FINDINGS_MAX_TEXT ? FINDINGS_MAX_TEXT : len;
}

#endif
