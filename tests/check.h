/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The check macros of every C test driver: each failed check prints where
 * and what, and counts into check_failures; CHECK_DONE() ends the test with
 * the exit status that says whether any failed.
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failures;

/* CHECK(cond) or CHECK(cond, fmt, ...): the optional message says what was expected. */
#define CHECK(cond, ...) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: check failed: %s", __FILE__, __LINE__, #cond); \
	__VA_OPT__(fputs(": ", stderr); fprintf(stderr, __VA_ARGS__);) \
	fputc('\n', stderr); check_failures++; } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); if (!_a || !_b || strcmp(_a, _b) != 0) { \
	fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, _a ? _a : "(null)", _b ? _b : "(null)"); check_failures++; } } while (0)
#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
	fprintf(stderr, "%s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__, #a, _a, _b); check_failures++; } } while (0)
#define CHECK_HAS(hay, needle) do { const char *_h = (hay), *_n = (needle); if (!_h || !strstr(_h, _n)) { \
	fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, _h ? _h : "(null)", _n); check_failures++; } } while (0)

/* The exit status: 1 if any check failed, else 0. */
static inline int check_status(void)
{
	if (check_failures) {
		fprintf(stderr, "%d check(s) failed\n", check_failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
#define CHECK_DONE() return check_status()
#endif
