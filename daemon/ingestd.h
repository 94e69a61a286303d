/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the daemon's modules share (the main loop's own state is in daemon.h). */
#ifndef INGESTD_H
#define INGESTD_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ingest.h"
#include "journal.h"


/* Logging: "<N>message" on stderr (journald reads the priority prefix). */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_set_max(int level);

/* Filesystem helpers (fsutil.c). */
int mkdir_p(const char *path, mode_t mode);
int rm_rf(const char *path);
bool path_exists(const char *path);
int fsync_dir_of(const char *path);
/* Writes TEXT to PATH atomically (tmp + fsync + rename), mode 0640. */
int write_file_atomic(const char *path, const char *text);
int read_text_file(const char *path, size_t max, char **out);
/* A name free in DIR based on NAME (NAME, NAME.1, NAME.2, ...); malloc'd full path. */
char *unique_path(const char *dir, const char *name);
/* Moves PATH (in the inbox) to quarantine/ with NAME.reason.txt saying REASON;
 * *WHERE (if not NULL): the name it was given there (malloc'd, NULL if out of memory). */
int quarantine_path(const struct ingestd_config *cfg, const char *path, const char *name, const char *reason,
                    char **where);
/* NAME (an inbox entry: anything a sender chose) fit for a log line: bytes
 * outside printable ASCII, '"' and '\' as \xNN, cut after
 * INGESTD_LOG_NAME_BYTES bytes with "...". Returns BUF. */
#define LOG_NAME_MAX (INGESTD_LOG_NAME_BYTES * 4 + 8)
const char *name_for_log(const char *name, char buf[static LOG_NAME_MAX]);

/* ingestd --check-config (config-check.c): tries, as the calling user (named
 * USER in the messages), what the daemon will do with C: folders creatable
 * or writable, the folders drops are renamed between on one filesystem, the
 * journal and secret files readable. Appends one line per problem (what is
 * wrong, what to do) to OUT; returns how many. */
unsigned config_check_runtime(const struct ingestd_config *c, const char *user, struct strbuf *out);

/* Drop names (names.c). */
bool case_id_ok(const char *s);
/* For a top-level inbox entry NAME: 0 and *case_id (malloc'd) when it is a
 * valid drop, or -EINVAL and *reason (malloc'd, what is wrong and what to do). */
int drop_name_parse(const char *name, bool is_dir, char **case_id, char **reason);

/* The pipeline of one drop, run in a worker process (pipeline.c), its case
 * evaluated with the rules in RULES_DIR (the daemon's validated copy).
 * Returns 0 when the drop reached a final step, < 0 to be retried later. */
int pipeline_run(const struct ingestd_config *cfg, const char *rules_dir, const struct ruleset *rules, int64_t drop_id,
                 struct ing_guard *guard);
/* Parent-side recovery at start: resolves drops left at step claiming. */
int pipeline_recover_claims(const struct ingestd_config *cfg, struct journal *j);
/* The delivery DELIVERY_ID, one attempt, in a delivery worker (deliver.c):
 * 0 when its outcome is journalled, < 0 when it could not be. */
int delivery_run(const struct ingestd_config *cfg, int64_t delivery_id);
/* When a delivery that failed transiently FAILURES times is tried again (unix time). */
int64_t delivery_retry_at(const struct ingestd_config *cfg, unsigned failures);
/* Maintenance (worker process): send queued mail, prune the archive. */
int maintenance_run(const struct ingestd_config *cfg, bool prune);

/* Changes between two gap-report JSON texts, as a JSON array text (changes.c). */
char *changes_compute(const char *old_json, const char *new_json, const char *new_drop);

#endif
