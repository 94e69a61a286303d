/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The journal (SPEC §2, §4): state.db, SQLite in WAL mode. One row per drop
 * with the step it has committed; one row per step commit; one row per case
 * with its last published report. Written by ingestd (the main process and
 * its per-drop worker processes, each with its own connection), read by
 * `ingest status` while the daemon runs.
 */
#ifndef INGEST_JOURNAL_H
#define INGEST_JOURNAL_H

#include <stdint.h>

#include "libingest-internal.h"

enum journal_step {
	STEP_CLAIMING = 0,  /* row written, rename into work/ not yet confirmed */
	STEP_CLAIMED,       /* the drop is in work/ */
	STEP_SCANNED,       /* the case was scanned (inputs merged into the case store) */
	STEP_PACKAGED,      /* the bag is built and its report recorded */
	STEP_PUBLISHED,     /* the bag is in outbox/ready|pending/CASE */
	STEP_NOTIFIED,      /* the mail is sent or durably queued */
	STEP_ARCHIVED,      /* the input is in archive/: done */
	STEP_QUARANTINED,   /* the input went to quarantine/ with a reason: done */
	STEP__MAX,
};

const char *journal_step_name(enum journal_step s);

struct journal;

/* Opens (creating the schema unless READONLY) the journal at PATH. */
int journal_open(const char *path, bool readonly, struct journal **out);
struct journal *journal_close(struct journal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal *, journal_close)

struct journal_drop {
	int64_t id;
	char *name;             /* as it arrived in the inbox */
	char *dir;              /* its name in work/ and in the case store: NNNNNN-name */
	char *case_id;
	int64_t received_at, updated_at;
	enum journal_step step;
	uint64_t files_done, files_total, bytes_done, bytes_total;
	char *last_error;
	unsigned attempts;
};
void journal_drop_clear(struct journal_drop *d);

/* A new drop of CASE, named NAME in the inbox, at step claiming. */
int journal_drop_new(struct journal *j, const char *name, const char *case_id, struct journal_drop *out);
/* Makes the next drop id at least MIN_NEXT: after the journal was lost, a fresh
 * one must not hand out the NNNNNN of a drop folder still in work/, archive/ or
 * quarantine/ (docs/faults.md). */
int journal_seed_drop_ids(struct journal *j, int64_t min_next);
int journal_drop_get(struct journal *j, int64_t id, struct journal_drop *out);
int journal_drop_delete(struct journal *j, int64_t id);
/* Commits STEP (and a steps row with DETAIL, may be NULL). */
int journal_drop_step(struct journal *j, int64_t id, enum journal_step step, const char *detail);
int journal_drop_progress(struct journal *j, int64_t id, uint64_t files_done, uint64_t files_total,
                          uint64_t bytes_done, uint64_t bytes_total);
int journal_drop_error(struct journal *j, int64_t id, const char *msg);

typedef int (*journal_drop_fn)(void *userdata, const struct journal_drop *d);
/* Drops of CASE (NULL: all), oldest first; UNFINISHED: only those not done. */
int journal_foreach_drop(struct journal *j, const char *case_id, bool unfinished, journal_drop_fn fn, void *userdata);

struct journal_report {
	int64_t drop_id;
	char *status;
	int required_gaps;
	char *package_path, *state, *manifest_sha256;
	char *json, *changes;       /* gap-report JSON; changes as a JSON array */
	char *bag_sha256;           /* SHA-256 of the built bag's tagmanifest-sha256.txt: names this build */
	bool published;
	int64_t at;
};
void journal_report_clear(struct journal_report *r);
/* Records the report built for drop DROP_ID (at step packaged, same transaction). */
int journal_report_packaged(struct journal *j, int64_t drop_id, const struct journal_report *r);
/* The report recorded for DROP_ID. -ENOENT if none. */
int journal_report_of_drop(struct journal *j, int64_t drop_id, struct journal_report *out);
/* The last report of CASE that was published, by a drop other than EXCEPT_DROP. -ENOENT if none. */
int journal_report_last_published(struct journal *j, const char *case_id, int64_t except_drop,
                                  struct journal_report *out);
/* Delivery of a case's package to the reviewing centre (SPEC §10,
 * docs/daemon.md "Delivery"): one row per published ready package that has
 * a destination, with its state, its counts and each attempt. */
enum journal_delivery_state {
	DELIVERY_PENDING = 0,   /* to be sent (again) from next_at on */
	DELIVERY_SENDING,       /* an attempt is running (or was, when the daemon died: resumed) */
	DELIVERY_DELIVERED,     /* every object confirmed at the destination: done */
	DELIVERY_FAILED,        /* not delivered, not retried: error says why: done */
	DELIVERY_HELD,          /* not sent: the destination is unknown (error says why) */
	DELIVERY_SUPERSEDED,    /* a later package of the case replaced this one: done */
	DELIVERY__MAX,
};
const char *journal_delivery_state_name(enum journal_delivery_state s);

struct journal_delivery {
	int64_t id, drop_id;
	char *case_id;
	char *destination;          /* a name of the configuration's destinations: */
	char *package_path, *manifest_sha256;
	enum journal_delivery_state state;
	unsigned attempts;          /* attempts started */
	unsigned failures;          /* attempts that failed transiently (backoff, giving up) */
	int64_t created_at, updated_at, next_at, started_at, finished_at;
	uint64_t objects, already, sent, confirmed, failed, bytes_sent;
	char *error;                /* why not delivered (yet), in plain words; NULL */
	char *rcpt;                 /* the outcome mail's recipients, one a line */
	char *mail;                 /* the outcome mail's queue name once queued; NULL */
};
void journal_delivery_clear(struct journal_delivery *d);

/* Marks drop DROP_ID published and makes its report the case's current one.
 * In the same transaction: every delivery of the case not done yet is
 * superseded, and DL (NULL: no delivery) is recorded for this drop, with its
 * destination, package_path, manifest_sha256, rcpt, and state pending or held
 * (then error says why). */
int journal_published(struct journal *j, int64_t drop_id, const struct journal_delivery *dl);

int journal_delivery_get(struct journal *j, int64_t id, struct journal_delivery *out);
/* The delivery of DROP_ID's package. -ENOENT if none. */
int journal_delivery_of_drop(struct journal *j, int64_t drop_id, struct journal_delivery *out);
/* The case's latest delivery. -ENOENT if none. */
int journal_delivery_last(struct journal *j, const char *case_id, struct journal_delivery *out);
typedef int (*journal_delivery_fn)(void *userdata, const struct journal_delivery *d);
/* Deliveries in state pending or held, oldest next_at first. */
int journal_foreach_delivery_waiting(struct journal *j, journal_delivery_fn fn, void *userdata);
/* An attempt begins: state sending, attempts + 1, an attempts row. Returns
 * the attempt's number (>= 1) or -errno; -ESTALE if it is not pending. */
int journal_delivery_start(struct journal *j, int64_t id);
/* The attempt ends as D says (state, counts, failures, next_at, error);
 * OUTCOME in words goes to the attempt's row. Only while it is sending. */
int journal_delivery_end(struct journal *j, const struct journal_delivery *d, const char *outcome);
/* A running attempt stopped from outside (the daemon stopped, a new drop of the
 * case, a kill): back to pending at NEXT_AT, WHY on the attempt's row; COUNT:
 * a failure counted for the backoff. No-op unless it is sending. */
int journal_delivery_interrupted(struct journal *j, int64_t id, const char *why, bool count, int64_t next_at,
                                 const char *error);
/* Held -> pending (the destination is known now) or pending -> held (ERROR: why). */
int journal_delivery_hold(struct journal *j, int64_t id, bool hold, const char *error);
/* The outcome mail is queued under NAME. */
int journal_delivery_mailed(struct journal *j, int64_t id, const char *name);
/* At start: attempts a killed daemon left running are ended as interrupted. */
int journal_deliveries_recover(struct journal *j);

/* Isolation (docs/faults.md): inputs of a case that a drop worker died on
 * while parsing them (crash, hang, memory), left out of the case's later
 * scans. PATH is as the scan reports it (the case store's drop folder first). */
struct journal_skip {
	char *path, *phase, *reason;
	int64_t drop_id;
};
struct journal_skips {
	struct journal_skip *v;
	size_t n;
};
/* Records PATH for the case of drop DROP_ID and sets the drop's last_error to
 * LAST_ERROR, without counting a failed attempt. -EEXIST: PATH was skipped
 * already (the worker died elsewhere); -E2BIG: the case has MAX_PER_CASE. */
int journal_skip_add(struct journal *j, int64_t drop_id, const char *path, const char *phase, const char *reason,
                     const char *last_error, unsigned max_per_case);
/* The inputs left out of CASE, oldest first. */
int journal_skip_list(struct journal *j, const char *case_id, struct journal_skips *out);
/* Frees what S holds (for _cleanup_(journal_skips_clear) too). */
void journal_skips_clear(struct journal_skips *s);

struct journal_case {
	char *id;
	int64_t created_at, updated_at;
	unsigned drops, open_drops;
	char *status, *state, *package_path;  /* of the last published report, or NULL */
	int required_gaps;
};
void journal_case_clear(struct journal_case *c);
typedef int (*journal_case_fn)(void *userdata, const struct journal_case *c);
int journal_foreach_case(struct journal *j, const char *case_id, journal_case_fn fn, void *userdata);

/* Notes: the daemon's own facts, one row per KEY (JOURNAL_NOTE_*), shown by
 * `ingest status`. Set KEY to VALUE noted at AT (unix time); a NULL VALUE
 * removes the note. */
#define JOURNAL_NOTE_RULES_GOOD   "rules.good"           /* VALUE: the folder validated at AT, in use */
#define JOURNAL_NOTE_RULES_FAILED "rules.reload_failed"  /* VALUE: why the last reload's rules failed */
int journal_note_set(struct journal *j, const char *key, int64_t at, const char *value);
/* KEY's note: 0 with *AT and *VALUE (malloc'd), or -ENOENT (none, or a
 * journal of a version before notes), or another -errno. */
int journal_note_get(struct journal *j, const char *key, int64_t *at, char **value);

#endif
