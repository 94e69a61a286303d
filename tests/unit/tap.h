/* Tiny check helpers for the unit tests: each failure prints where and what. */
#ifndef TEST_TAP_H
#define TEST_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); tap_failures++; } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); if (!_a || !_b || strcmp(_a, _b) != 0) { \
	fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, _a ? _a : "(null)", _b ? _b : "(null)"); tap_failures++; } } while (0)
#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
	fprintf(stderr, "%s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__, #a, _a, _b); tap_failures++; } } while (0)
#define TEST_DONE() do { if (tap_failures) { fprintf(stderr, "%d check(s) failed\n", tap_failures); return 1; } \
	printf("all checks passed\n"); return 0; } while (0)
#endif
