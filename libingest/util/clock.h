/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The monotonic clock in milliseconds: deadlines and budgets. */
#ifndef INGEST_UTIL_CLOCK_H
#define INGEST_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin: only differences mean anything). */
static inline uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Seconds on CLOCK_MONOTONIC, with their fraction (the children's wall-time limits). */
static inline double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
