/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test hooks: the switches tests set in the environment (INGEST_TEST_*) to
 * make happen what no real input can make happen on demand (a crash, a hang
 * or an out-of-memory in a parser, a bad sector, a kill between two steps of
 * a publish), and to give the programs the source tree's rules folder when
 * they run from the build tree. They are read here and nowhere else (the
 * test layout-no-getenv-hooks checks), and only in a build configured with
 * -Dtest-hooks=true (the test build: build-dev.ini). Without it every hook
 * is an inline no-op below that says "no fault" (no folder), so a release
 * build contains none of them. docs/test-hooks.md lists them and the tests
 * that use them.
 */
#ifndef INGEST_TESTHOOKS_H
#define INGEST_TESTHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build-config.h"
#include "ingest.h"
#include "util/macro.h"

#if INGEST_TEST_HOOKS

/* INGEST_TEST_CRASH_AT=STEP: SIGKILLs the process at STEP of a package's
 * build and publish (build, payload, bag, publish, exchanged, published),
 * or of a delivery (send-batch: between two STOW-RS batches, send.c). */
ING_HIDDEN void testhook_crash_point(const char *step);
/* INGEST_TEST_PAUSE_AT=STEP: the process stops itself (SIGSTOP) at STEP
 * until the test, having changed what it must, sends SIGCONT (send-commit:
 * C-FIND has confirmed, storage commitment not asked yet). */
ING_HIDDEN void testhook_pause_point(const char *step);
/* True when INGEST_TEST_CRASH_AT is STEP: for a step that must first bring
 * other threads to a stop (send-batch: no STOW-RS batch in flight). */
ING_HIDDEN bool testhook_crash_armed(const char *step);

/* INGEST_TEST_PARSER_FAULT is set: read once per scan (guard_init()). */
ING_HIDDEN bool testhook_parser_faults(void);
/* With ON (testhook_parser_faults() of this scan): an input of PHASE (a DICOM
 * candidate, an archive) whose first N bytes at HEAD hold a marker crashes,
 * spins or runs out of memory here, inside the guarded region. */
ING_HIDDEN void testhook_parser_fault(bool on, enum ing_guard_phase phase, const uint8_t *head, size_t n);
/* With ON: a file whose first bytes say INGEST-FAULT-EIO fails with EIO
 * where the rest of it is read. */
ING_HIDDEN bool testhook_read_eio(bool on, const uint8_t *head, size_t n);

/* INGEST_TEST_EXTRACTOR_FAULT=crash|hang|stall: the document extractor's
 * child (and the report's picture child, thumbs.c), its sandbox in place,
 * crashes, spins or sleeps for ever on a document (an image file) whose
 * first bytes hold INGEST-FAULT-INJECT. */
ING_HIDDEN void testhook_extractor_fault(const uint8_t *doc, size_t len);
/* INGEST_DOCEXT_DEBUG=1: the extractor's child keeps its stderr. */
ING_HIDDEN bool testhook_docext_keep_stderr(void);

/* INGEST_TEST_RULES_DIR=DIR: the rules folder to use when none is given, in
 * place of the installed one (the tests run from the build tree); NULL when
 * unset. */
ING_HIDDEN const char *testhook_rules_dir(void);

/* INGEST_TEST_REPORT_COPIES=DIR: every gap report made (ingest scan --json,
 * a package's gap-report.json, the daemon's) is also written to a new file in
 * DIR, for the test that validates them all against the schema at the end of
 * the run (tests/scan/test-all-reports.py). Failures are ignored (a confined
 * worker may not reach DIR). */
ING_HIDDEN void testhook_report_copy(const char *json);

/* INGEST_TEST_CONNECT_TO=HOST:PORT:127.0.0.1:PORT[,...]: downloads of those
 * real host names go to a test's server on 127.0.0.1 (libcurl's connect-to),
 * so the code that runs is the production code; entries that would go
 * anywhere but 127.0.0.1 are dropped. NULL when unset. */
ING_HIDDEN const char *testhook_connect_to(void);

#else

static inline void testhook_crash_point(const char *step) { }
static inline bool testhook_crash_armed(const char *step) { return false; }
static inline void testhook_pause_point(const char *step) { }
static inline bool testhook_parser_faults(void) { return false; }
static inline void testhook_parser_fault(bool on, enum ing_guard_phase phase, const uint8_t *head, size_t n) { }
static inline bool testhook_read_eio(bool on, const uint8_t *head, size_t n) { return false; }
static inline void testhook_extractor_fault(const uint8_t *doc, size_t len) { }
static inline bool testhook_docext_keep_stderr(void) { return false; }
static inline const char *testhook_rules_dir(void) { return NULL; }
static inline void testhook_report_copy(const char *json) { }
static inline const char *testhook_connect_to(void) { return NULL; }

#endif
#endif
