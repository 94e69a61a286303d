/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The journal: SQLite (WAL), one connection per process. */
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

#include "journal.h"

struct journal {
	sqlite3 *db;
	bool readonly;
};

static const char *const step_names[STEP__MAX] = {
	[STEP_CLAIMING] = "claiming", [STEP_CLAIMED] = "claimed",     [STEP_SCANNED] = "scanned",
	[STEP_PACKAGED] = "packaged", [STEP_PUBLISHED] = "published", [STEP_NOTIFIED] = "notified",
	[STEP_ARCHIVED] = "archived", [STEP_QUARANTINED] = "quarantined",
};

const char *journal_step_name(enum journal_step s)
{
	return s < STEP__MAX ? step_names[s] : "?";
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS cases ("
	"  id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  report_id INTEGER);"
	"CREATE TABLE IF NOT EXISTS drops ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, dir TEXT,"
	"  case_id TEXT NOT NULL REFERENCES cases(id), received_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL, step INTEGER NOT NULL,"
	"  files_done INTEGER NOT NULL DEFAULT 0, files_total INTEGER NOT NULL DEFAULT 0,"
	"  bytes_done INTEGER NOT NULL DEFAULT 0, bytes_total INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT, attempts INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS drops_case ON drops(case_id, id);"
	"CREATE TABLE IF NOT EXISTS steps ("
	"  drop_id INTEGER NOT NULL REFERENCES drops(id), step INTEGER NOT NULL,"
	"  at INTEGER NOT NULL, detail TEXT);"
	"CREATE INDEX IF NOT EXISTS steps_drop ON steps(drop_id);"
	"CREATE TABLE IF NOT EXISTS reports ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL, drop_id INTEGER NOT NULL UNIQUE,"
	"  at INTEGER NOT NULL, status TEXT, required_gaps INTEGER, package_path TEXT, state TEXT,"
	"  manifest_sha256 TEXT, bag_sha256 TEXT, json TEXT, changes TEXT, published INTEGER NOT NULL DEFAULT 0);"
	/* version 2: inputs a worker died on, left out of the case's next scans (docs/faults.md) */
	"CREATE TABLE IF NOT EXISTS parse_skips ("
	"  case_id TEXT NOT NULL, path TEXT NOT NULL, drop_id INTEGER NOT NULL, phase TEXT NOT NULL,"
	"  reason TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (case_id, path));"
	/* version 3: the daemon's own facts for `ingest status`, e.g. the rules in use (journal_note_set()) */
	"CREATE TABLE IF NOT EXISTS notes ("
	"  key TEXT PRIMARY KEY, at INTEGER NOT NULL, value TEXT);"
	/* version 4: delivery of a published package to the reviewing centre, and each attempt (SPEC §10) */
	"CREATE TABLE IF NOT EXISTS deliveries ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL, drop_id INTEGER NOT NULL UNIQUE,"
	"  destination TEXT NOT NULL, package_path TEXT NOT NULL, manifest_sha256 TEXT,"
	"  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, next_at INTEGER NOT NULL,"
	"  started_at INTEGER, finished_at INTEGER,"
	"  objects INTEGER NOT NULL DEFAULT 0, already INTEGER NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0,"
	"  confirmed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,"
	"  bytes_sent INTEGER NOT NULL DEFAULT 0, error TEXT, rcpt TEXT, mail TEXT);"
	"CREATE INDEX IF NOT EXISTS deliveries_case ON deliveries(case_id, id);"
	"CREATE TABLE IF NOT EXISTS delivery_attempts ("
	"  delivery_id INTEGER NOT NULL REFERENCES deliveries(id), attempt INTEGER NOT NULL,"
	"  started_at INTEGER NOT NULL, ended_at INTEGER, outcome TEXT, detail TEXT,"
	"  PRIMARY KEY (delivery_id, attempt));"
	"PRAGMA user_version = 4;";

static int sql_err(int rc)
{
	switch (rc) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return 0;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_CANTOPEN: return -ENOENT;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_CONSTRAINT: return -EEXIST;
	case SQLITE_NOTFOUND: return -ENOENT;
	default: return -EIO;
	}
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)

static int exec(struct journal *j, const char *sql)
{
	return sql_err(sqlite3_exec(j->db, sql, NULL, NULL, NULL));
}

/*
 * A write transaction: txn_begin() sets *TX to J, and the variable
 *
 *     _cleanup_(txn_rollbackp) struct journal *tx = NULL;
 *
 * rolls it back at every return that did not end it with txn_commit().
 * txn_commit() leaves a COMMIT that fails as SQLite leaves it (no rollback);
 * journal_drop_new() alone rolls back after one.
 */
static int txn_begin(struct journal *j, struct journal **tx)
{
	int r = exec(j, "BEGIN IMMEDIATE");
	if (r == 0)
		*tx = j;
	return r;
}

static void txn_rollbackp(struct journal **tx)
{
	if (*tx)
		(void)exec(*tx, "ROLLBACK");
}

static int txn_commit(struct journal **tx)
{
	return exec(steal_ptr(*tx), "COMMIT");
}

int journal_open(const char *path, bool readonly, struct journal **out)
{
	_cleanup_(journal_closep) struct journal *j = xcalloc(1, sizeof(*j));
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &j->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	int r;
	j->readonly = readonly;
	if (rc != SQLITE_OK)
		return sql_err(rc);
	sqlite3_busy_timeout(j->db, 10000);
	if (!readonly) {
		if ((r = exec(j, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")) < 0 ||
		    (r = exec(j, schema)) < 0)
			return r;
	} else {
		/* Make sure it is a journal: a missing table is an error now, not later. */
		_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(j->db, "SELECT count(*) FROM drops", -1, &st, NULL) != SQLITE_OK)
			return -ENOENT;
	}
	*out = steal_ptr(j);
	return 0;
}

struct journal *journal_close(struct journal *j)
{
	if (!j)
		return NULL;
	sqlite3_close(j->db);
	free(j);
	return NULL;
}

static sqlite3_stmt *prep(struct journal *j, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

/* Runs *ST to its end and finalizes it: *ST is NULL after, ready for the
 * next statement of a cleanup variable. */
static int step_done(sqlite3_stmt **st)
{
	int rc = sqlite3_step(*st);
	sqlite3_finalize(steal_ptr(*st));
	return sql_err(rc);
}

/* One statement whose only parameter ?1 is V, run to its end: 0 or -errno
 * (-EIO when it cannot be prepared). */
static int exec_int64(struct journal *j, const char *sql, int64_t v)
{
	sqlite3_stmt *st = prep(j, sql);
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, v);
	return step_done(&st);
}

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? xstrdup((const char *)s) : NULL;
}

void journal_drop_clear(struct journal_drop *d)
{
	free(d->name);
	free(d->dir);
	free(d->case_id);
	free(d->last_error);
	memset(d, 0, sizeof(*d));
}

#define DROP_COLS "id, name, dir, case_id, received_at, updated_at, step, files_done, files_total, " \
	"bytes_done, bytes_total, last_error, attempts"

static void drop_from_row(sqlite3_stmt *st, struct journal_drop *d)
{
	d->id = sqlite3_column_int64(st, 0);
	d->name = col_str(st, 1);
	d->dir = col_str(st, 2);
	d->case_id = col_str(st, 3);
	d->received_at = sqlite3_column_int64(st, 4);
	d->updated_at = sqlite3_column_int64(st, 5);
	int s = sqlite3_column_int(st, 6);
	d->step = s >= 0 && s < STEP__MAX ? (enum journal_step)s : STEP_CLAIMING;
	d->files_done = (uint64_t)sqlite3_column_int64(st, 7);
	d->files_total = (uint64_t)sqlite3_column_int64(st, 8);
	d->bytes_done = (uint64_t)sqlite3_column_int64(st, 9);
	d->bytes_total = (uint64_t)sqlite3_column_int64(st, 10);
	d->last_error = col_str(st, 11);
	d->attempts = (unsigned)sqlite3_column_int(st, 12);
}

int journal_drop_new(struct journal *j, const char *name, const char *case_id, struct journal_drop *out)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	_cleanup_free_ char *dir = NULL;
	int64_t now = now_s();
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	st = prep(j, "INSERT INTO cases(id, created_at, updated_at) VALUES(?1, ?2, ?2) "
	             "ON CONFLICT(id) DO UPDATE SET updated_at = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((r = step_done(&st)) < 0)
		return r;
	st = prep(j, "INSERT INTO drops(name, case_id, received_at, updated_at, step) VALUES(?1, ?2, ?3, ?3, 0)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if ((r = step_done(&st)) < 0)
		return r;
	int64_t id = sqlite3_last_insert_rowid(j->db);
	dir = xasprintf("%06lld-%s", (long long)id, name);
	st = prep(j, "UPDATE drops SET dir = ?1 WHERE id = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if ((r = step_done(&st)) < 0)
		return r;
	st = prep(j, "INSERT INTO steps(drop_id, step, at) VALUES(?1, 0, ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if ((r = step_done(&st)) < 0)
		return r;
	if ((r = exec(j, "COMMIT")) < 0)
		return r;       /* rolled back (elsewhere a failed COMMIT is left as it is) */
	tx = NULL;
	return journal_drop_get(j, id, out);
}

int journal_drop_get(struct journal *j, int64_t id, struct journal_drop *out)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = prep(j, "SELECT " DROP_COLS " FROM drops WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		drop_from_row(st, out);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sql_err(rc);
}

int journal_drop_delete(struct journal *j, int64_t id)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	if ((r = exec_int64(j, "DELETE FROM steps WHERE drop_id = ?1", id)) < 0 ||
	    (r = exec_int64(j, "DELETE FROM drops WHERE id = ?1", id)) < 0)
		return r;
	return txn_commit(&tx);
}

/* The statements of a step commit, inside the caller's transaction. */
static int drop_step_locked(struct journal *j, int64_t id, enum journal_step step, const char *detail)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int64_t now = now_s();
	int r;
	st = prep(j, "UPDATE drops SET step = ?1, updated_at = ?2, last_error = NULL, "
	             "files_done = CASE WHEN ?1 >= 2 THEN files_total ELSE files_done END, "
	             "bytes_done = CASE WHEN ?1 >= 2 THEN bytes_total ELSE bytes_done END "
	             "WHERE id = ?3");
	if (!st)
		return -EIO;
	sqlite3_bind_int(st, 1, (int)step);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	if ((r = step_done(&st)) < 0)
		return r;
	if (sqlite3_changes(j->db) != 1)
		return -ENOENT;
	st = prep(j, "INSERT INTO steps(drop_id, step, at, detail) VALUES(?1, ?2, ?3, ?4)");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, (int)step);
	sqlite3_bind_int64(st, 3, now);
	if (detail)
		sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
	if ((r = step_done(&st)) < 0)
		return r;
	st = prep(j, "UPDATE cases SET updated_at = ?1 WHERE id = (SELECT case_id FROM drops WHERE id = ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return step_done(&st);
}

int journal_drop_step(struct journal *j, int64_t id, enum journal_step step, const char *detail)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	int r = txn_begin(j, &tx);
	if (r < 0 || (r = drop_step_locked(j, id, step, detail)) < 0)
		return r;
	return txn_commit(&tx);
}

int journal_drop_progress(struct journal *j, int64_t id, uint64_t files_done, uint64_t files_total,
                          uint64_t bytes_done, uint64_t bytes_total)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, "UPDATE drops SET files_done = ?1, files_total = ?2, bytes_done = ?3, "
		        "bytes_total = ?4, updated_at = ?5 WHERE id = ?6");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)files_done);
	sqlite3_bind_int64(st, 2, (int64_t)files_total);
	sqlite3_bind_int64(st, 3, (int64_t)bytes_done);
	sqlite3_bind_int64(st, 4, (int64_t)bytes_total);
	sqlite3_bind_int64(st, 5, now_s());
	sqlite3_bind_int64(st, 6, id);
	return step_done(&st);
}

int journal_drop_error(struct journal *j, int64_t id, const char *msg)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, "UPDATE drops SET last_error = ?1, attempts = attempts + 1, updated_at = ?2 WHERE id = ?3");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, msg, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_s());
	sqlite3_bind_int64(st, 3, id);
	return step_done(&st);
}

int journal_seed_drop_ids(struct journal *j, int64_t min_next)
{
	if (min_next <= 1)
		return 0;
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	/* sqlite_sequence exists once the AUTOINCREMENT table "drops" exists (the schema). */
	r = exec_int64(j, "UPDATE sqlite_sequence SET seq = MAX(seq, ?1) WHERE name = 'drops'", min_next - 1);
	if (r == 0 && sqlite3_changes(j->db) == 0)
		r = exec_int64(j, "INSERT INTO sqlite_sequence(name, seq) VALUES('drops', ?1)", min_next - 1);
	if (r < 0)
		return r;
	return txn_commit(&tx);
}

int journal_foreach_drop(struct journal *j, const char *case_id, bool unfinished, journal_drop_fn fn, void *userdata)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT " DROP_COLS " FROM drops WHERE (?1 IS NULL OR case_id = ?1) %s ORDER BY id",
	         unfinished ? "AND step < 6" : "");
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = prep(j, sql);
	if (!st)
		return -EIO;
	if (case_id)
		sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	int rc, r = 0;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_drop d;
		drop_from_row(st, &d);
		r = fn(userdata, &d);
		journal_drop_clear(&d);
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = sql_err(rc);
	return r;
}

void journal_report_clear(struct journal_report *r)
{
	free(r->status);
	free(r->package_path);
	free(r->state);
	free(r->manifest_sha256);
	free(r->json);
	free(r->changes);
	free(r->bag_sha256);
	memset(r, 0, sizeof(*r));
}

int journal_report_packaged(struct journal *j, int64_t drop_id, const struct journal_report *rep)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int64_t now = now_s();
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	st = prep(j, "INSERT OR REPLACE INTO reports(case_id, drop_id, at, status, required_gaps, "
	             "package_path, state, manifest_sha256, json, changes, bag_sha256) "
	             "SELECT case_id, id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM drops WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, drop_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, rep->status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, rep->required_gaps);
	sqlite3_bind_text(st, 5, rep->package_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, rep->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, rep->manifest_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rep->json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, rep->changes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, rep->bag_sha256, -1, SQLITE_STATIC);
	if ((r = step_done(&st)) < 0 || (r = drop_step_locked(j, drop_id, STEP_PACKAGED, rep->bag_sha256)) < 0)
		return r;
	return txn_commit(&tx);
}

#define REPORT_COLS "drop_id, status, required_gaps, package_path, state, manifest_sha256, json, changes, at, " \
	"bag_sha256, published"

static void report_from_row(sqlite3_stmt *st, struct journal_report *r)
{
	r->drop_id = sqlite3_column_int64(st, 0);
	r->status = col_str(st, 1);
	r->required_gaps = sqlite3_column_int(st, 2);
	r->package_path = col_str(st, 3);
	r->state = col_str(st, 4);
	r->manifest_sha256 = col_str(st, 5);
	r->json = col_str(st, 6);
	r->changes = col_str(st, 7);
	r->at = sqlite3_column_int64(st, 8);
	r->bag_sha256 = col_str(st, 9);
	r->published = sqlite3_column_int(st, 10) != 0;
}

static int report_query(sqlite3_stmt *st, struct journal_report *out)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		report_from_row(st, out);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sql_err(rc);
}

int journal_report_of_drop(struct journal *j, int64_t drop_id, struct journal_report *out)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, "SELECT " REPORT_COLS " FROM reports WHERE drop_id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, drop_id);
	return report_query(st, out);
}

int journal_report_last_published(struct journal *j, const char *case_id, int64_t except_drop,
                                  struct journal_report *out)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, "SELECT " REPORT_COLS " FROM reports WHERE case_id = ?1 AND drop_id != ?2 "
		        "AND published = 1 ORDER BY id DESC LIMIT 1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, except_drop);
	return report_query(st, out);
}

static const char *const delivery_state_names[DELIVERY__MAX] = {
	[DELIVERY_PENDING] = "pending", [DELIVERY_SENDING] = "sending", [DELIVERY_DELIVERED] = "delivered",
	[DELIVERY_FAILED] = "failed", [DELIVERY_HELD] = "held", [DELIVERY_SUPERSEDED] = "superseded",
};

const char *journal_delivery_state_name(enum journal_delivery_state s)
{
	return s < DELIVERY__MAX ? delivery_state_names[s] : "?";
}

static enum journal_delivery_state delivery_state_of(const char *s)
{
	for (int i = 0; s && i < DELIVERY__MAX; i++)
		if (strcmp(s, delivery_state_names[i]) == 0)
			return (enum journal_delivery_state)i;
	return DELIVERY_HELD;   /* unknown: never sent */
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int journal_published(struct journal *j, int64_t drop_id, const struct journal_delivery *dl)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int64_t now = now_s();
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	if ((r = exec_int64(j, "UPDATE reports SET published = 1 WHERE drop_id = ?1", drop_id)) < 0 ||
	    (r = exec_int64(j, "UPDATE cases SET report_id = (SELECT id FROM reports WHERE drop_id = ?1) "
	                       "WHERE id = (SELECT case_id FROM drops WHERE id = ?1)", drop_id)) < 0 ||
	    (r = drop_step_locked(j, drop_id, STEP_PUBLISHED, NULL)) < 0)
		return r;
	/* The package published now replaces the one an earlier delivery was for. */
	st = prep(j, "UPDATE deliveries SET state = 'superseded', updated_at = ?2, finished_at = ?2 "
	             "WHERE case_id = (SELECT case_id FROM drops WHERE id = ?1) AND drop_id != ?1 "
	             "AND state IN ('pending', 'sending', 'held')");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, drop_id);
	sqlite3_bind_int64(st, 2, now);
	if ((r = step_done(&st)) < 0)
		return r;
	if (dl) {
		st = prep(j, "INSERT INTO deliveries(case_id, drop_id, destination, package_path, manifest_sha256, state, "
		             "created_at, updated_at, next_at, error, rcpt) "
		             "SELECT case_id, id, ?2, ?3, ?4, ?5, ?6, ?6, ?6, ?7, ?8 FROM drops WHERE id = ?1 "
		             "ON CONFLICT(drop_id) DO NOTHING");
		if (!st)
			return -EIO;
		sqlite3_bind_int64(st, 1, drop_id);
		sqlite3_bind_text(st, 2, dl->destination, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, dl->package_path, -1, SQLITE_STATIC);
		bind_text_or_null(st, 4, dl->manifest_sha256);
		sqlite3_bind_text(st, 5, journal_delivery_state_name(dl->state == DELIVERY_HELD ? DELIVERY_HELD
		                                                                                : DELIVERY_PENDING),
		                  -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, now);
		bind_text_or_null(st, 7, dl->error);
		bind_text_or_null(st, 8, dl->rcpt);
		if ((r = step_done(&st)) < 0)
			return r;
	}
	return txn_commit(&tx);
}

void journal_delivery_clear(struct journal_delivery *d)
{
	free(d->case_id);
	free(d->destination);
	free(d->package_path);
	free(d->manifest_sha256);
	free(d->error);
	free(d->rcpt);
	free(d->mail);
	memset(d, 0, sizeof(*d));
}

#define DELIVERY_COLS "id, drop_id, case_id, destination, package_path, manifest_sha256, state, attempts, " \
	"failures, created_at, updated_at, next_at, started_at, finished_at, objects, already, sent, confirmed, " \
	"failed, bytes_sent, error, rcpt, mail"

static void delivery_from_row(sqlite3_stmt *st, struct journal_delivery *d)
{
	*d = (struct journal_delivery){
		.id = sqlite3_column_int64(st, 0),
		.drop_id = sqlite3_column_int64(st, 1),
		.case_id = col_str(st, 2),
		.destination = col_str(st, 3),
		.package_path = col_str(st, 4),
		.manifest_sha256 = col_str(st, 5),
		.state = delivery_state_of((const char *)sqlite3_column_text(st, 6)),
		.attempts = (unsigned)sqlite3_column_int(st, 7),
		.failures = (unsigned)sqlite3_column_int(st, 8),
		.created_at = sqlite3_column_int64(st, 9),
		.updated_at = sqlite3_column_int64(st, 10),
		.next_at = sqlite3_column_int64(st, 11),
		.started_at = sqlite3_column_int64(st, 12),
		.finished_at = sqlite3_column_int64(st, 13),
		.objects = (uint64_t)sqlite3_column_int64(st, 14),
		.already = (uint64_t)sqlite3_column_int64(st, 15),
		.sent = (uint64_t)sqlite3_column_int64(st, 16),
		.confirmed = (uint64_t)sqlite3_column_int64(st, 17),
		.failed = (uint64_t)sqlite3_column_int64(st, 18),
		.bytes_sent = (uint64_t)sqlite3_column_int64(st, 19),
		.error = col_str(st, 20),
		.rcpt = col_str(st, 21),
		.mail = col_str(st, 22),
	};
}

/* One delivery by the query SQL with ?1 = V (an id) or ?1 = S (a case). */
static int delivery_query(struct journal *j, const char *sql, int64_t v, const char *s, struct journal_delivery *out)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = prep(j, sql);
	if (!st)
		return -ENOENT;     /* a journal of a version before deliveries (read-only): none */
	if (s)
		sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, v);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		delivery_from_row(st, out);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sql_err(rc);
}

int journal_delivery_get(struct journal *j, int64_t id, struct journal_delivery *out)
{
	return delivery_query(j, "SELECT " DELIVERY_COLS " FROM deliveries WHERE id = ?1", id, NULL, out);
}

int journal_delivery_of_drop(struct journal *j, int64_t drop_id, struct journal_delivery *out)
{
	return delivery_query(j, "SELECT " DELIVERY_COLS " FROM deliveries WHERE drop_id = ?1", drop_id, NULL, out);
}

int journal_delivery_last(struct journal *j, const char *case_id, struct journal_delivery *out)
{
	return delivery_query(j, "SELECT " DELIVERY_COLS " FROM deliveries WHERE case_id = ?1 ORDER BY id DESC LIMIT 1",
	                      0, case_id, out);
}

int journal_foreach_delivery_waiting(struct journal *j, journal_delivery_fn fn, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, "SELECT " DELIVERY_COLS " FROM deliveries WHERE state IN ('pending', 'held') "
		        "ORDER BY next_at, id");
	if (!st)
		return -EIO;
	int rc, r = 0;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_delivery d;
		delivery_from_row(st, &d);
		r = fn(userdata, &d);
		journal_delivery_clear(&d);
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = sql_err(rc);
	return r;
}

int journal_delivery_start(struct journal *j, int64_t id)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int64_t now = now_s();
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	st = prep(j, "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, started_at = ?2, "
	             "updated_at = ?2 WHERE id = ?1 AND state = 'pending'");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if ((r = step_done(&st)) < 0)
		return r;
	if (sqlite3_changes(j->db) != 1)
		return -ESTALE;
	st = prep(j, "INSERT OR REPLACE INTO delivery_attempts(delivery_id, attempt, started_at) "
	             "SELECT id, attempts, ?2 FROM deliveries WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if ((r = step_done(&st)) < 0)
		return r;
	st = prep(j, "SELECT attempts FROM deliveries WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -EIO;
	int attempt = sqlite3_column_int(st, 0);
	sqlite3_finalize(steal_ptr(st));
	if ((r = txn_commit(&tx)) < 0)
		return r;
	return attempt;
}

/* The running attempt's row of delivery ID ends with OUTCOME and DETAIL. */
static int attempt_end_locked(struct journal *j, int64_t id, const char *outcome, const char *detail, int64_t now)
{
	sqlite3_stmt *st = prep(j, "UPDATE delivery_attempts SET ended_at = ?2, outcome = ?3, detail = ?4 "
	                           "WHERE delivery_id = ?1 AND ended_at IS NULL");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
	bind_text_or_null(st, 4, detail);
	return step_done(&st);
}

int journal_delivery_end(struct journal *j, const struct journal_delivery *d, const char *outcome)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int64_t now = now_s();
	bool done = d->state == DELIVERY_DELIVERED || d->state == DELIVERY_FAILED;
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	st = prep(j, "UPDATE deliveries SET state = ?2, failures = ?3, next_at = ?4, updated_at = ?5, "
	             "finished_at = CASE WHEN ?6 THEN ?5 ELSE finished_at END, objects = ?7, already = ?8, sent = ?9, "
	             "confirmed = ?10, failed = ?11, bytes_sent = ?12, error = ?13 WHERE id = ?1 AND state = 'sending'");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, d->id);
	sqlite3_bind_text(st, 2, journal_delivery_state_name(d->state), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)d->failures);
	sqlite3_bind_int64(st, 4, d->next_at);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int(st, 6, done);
	sqlite3_bind_int64(st, 7, (int64_t)d->objects);
	sqlite3_bind_int64(st, 8, (int64_t)d->already);
	sqlite3_bind_int64(st, 9, (int64_t)d->sent);
	sqlite3_bind_int64(st, 10, (int64_t)d->confirmed);
	sqlite3_bind_int64(st, 11, (int64_t)d->failed);
	sqlite3_bind_int64(st, 12, (int64_t)d->bytes_sent);
	bind_text_or_null(st, 13, d->error);
	if ((r = step_done(&st)) < 0)
		return r;
	if (sqlite3_changes(j->db) != 1)
		return -ESTALE;
	if ((r = attempt_end_locked(j, d->id, outcome, d->error, now)) < 0)
		return r;
	return txn_commit(&tx);
}

int journal_delivery_interrupted(struct journal *j, int64_t id, const char *why, bool count, int64_t next_at,
                                 const char *error)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int64_t now = now_s();
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	st = prep(j, "UPDATE deliveries SET state = 'pending', failures = failures + ?2, next_at = ?3, "
	             "updated_at = ?4, error = COALESCE(?5, error) WHERE id = ?1 AND state = 'sending'");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, count ? 1 : 0);
	sqlite3_bind_int64(st, 3, next_at);
	sqlite3_bind_int64(st, 4, now);
	bind_text_or_null(st, 5, error);
	if ((r = step_done(&st)) < 0)
		return r;
	if (sqlite3_changes(j->db) == 1 && (r = attempt_end_locked(j, id, "interrupted", why, now)) < 0)
		return r;
	return txn_commit(&tx);
}

int journal_delivery_hold(struct journal *j, int64_t id, bool hold, const char *error)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, hold ? "UPDATE deliveries SET state = 'held', error = ?2, updated_at = ?3 "
		               "WHERE id = ?1 AND state = 'pending'"
		             : "UPDATE deliveries SET state = 'pending', error = NULL, updated_at = ?3, next_at = ?3 "
		               "WHERE id = ?1 AND state = 'held'");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	bind_text_or_null(st, 2, error);
	sqlite3_bind_int64(st, 3, now_s());
	return step_done(&st);
}

int journal_delivery_mailed(struct journal *j, int64_t id, const char *name)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, "UPDATE deliveries SET mail = ?2, updated_at = ?3 WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_s());
	return step_done(&st);
}

int journal_deliveries_recover(struct journal *j)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	int64_t now = now_s();
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	if ((r = exec_int64(j, "UPDATE delivery_attempts SET ended_at = ?1, outcome = 'interrupted', "
	                       "detail = 'ingestd stopped or was killed during the attempt; resumed' "
	                       "WHERE ended_at IS NULL AND delivery_id IN "
	                       "(SELECT id FROM deliveries WHERE state = 'sending')", now)) < 0 ||
	    (r = exec_int64(j, "UPDATE deliveries SET state = 'pending', next_at = ?1, updated_at = ?1 "
	                       "WHERE state = 'sending'", now)) < 0)
		return r;
	return txn_commit(&tx);
}

void journal_case_clear(struct journal_case *c)
{
	free(c->id);
	free(c->status);
	free(c->state);
	free(c->package_path);
	memset(c, 0, sizeof(*c));
}

int journal_foreach_case(struct journal *j, const char *case_id, journal_case_fn fn, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = prep(j,
		"SELECT c.id, c.created_at, c.updated_at, "
		"  (SELECT count(*) FROM drops d WHERE d.case_id = c.id), "
		"  (SELECT count(*) FROM drops d WHERE d.case_id = c.id AND d.step < 6), "
		"  r.status, r.state, r.package_path, r.required_gaps "
		"FROM cases c LEFT JOIN reports r ON r.id = c.report_id "
		"WHERE ?1 IS NULL OR c.id = ?1 ORDER BY c.id");
	if (!st)
		return -EIO;
	if (case_id)
		sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	int rc, r = 0;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_case c = {
			.id = col_str(st, 0),
			.created_at = sqlite3_column_int64(st, 1),
			.updated_at = sqlite3_column_int64(st, 2),
			.drops = (unsigned)sqlite3_column_int(st, 3),
			.open_drops = (unsigned)sqlite3_column_int(st, 4),
			.status = col_str(st, 5),
			.state = col_str(st, 6),
			.package_path = col_str(st, 7),
			.required_gaps = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 8),
		};
		r = fn(userdata, &c);
		journal_case_clear(&c);
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = sql_err(rc);
	return r;
}

/* How many inputs the case of drop DROP_ID leaves out, and whether PATH is one. */
static int skip_count(struct journal *j, int64_t drop_id, const char *path, int64_t *n, bool *same)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, "SELECT count(*), sum(path = ?2) FROM parse_skips "
		        "WHERE case_id = (SELECT case_id FROM drops WHERE id = ?1)");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, drop_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -EIO;
	*n = sqlite3_column_int64(st, 0);
	*same = sqlite3_column_int64(st, 1) != 0;
	return 0;
}

int journal_skip_add(struct journal *j, int64_t drop_id, const char *path, const char *phase, const char *reason,
                     const char *last_error, unsigned max_per_case)
{
	_cleanup_(txn_rollbackp) struct journal *tx = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int64_t n;
	bool same;
	int r = txn_begin(j, &tx);
	if (r < 0)
		return r;
	if ((r = skip_count(j, drop_id, path, &n, &same)) < 0)
		return r;
	if (same)
		return -EEXIST;     /* skipped already, and still died: not this input's doing */
	if ((uint64_t)n >= max_per_case)
		return -E2BIG;
	st = prep(j, "INSERT INTO parse_skips(case_id, path, drop_id, phase, reason, at) "
	             "SELECT case_id, ?2, id, ?3, ?4, ?5 FROM drops WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, drop_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, phase, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_s());
	if ((r = step_done(&st)) < 0)
		return r;
	if (sqlite3_changes(j->db) != 1)
		return -ENOENT;
	/* Said in the drop's row, without counting an attempt: the next one skips it. */
	st = prep(j, "UPDATE drops SET last_error = ?1 WHERE id = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, drop_id);
	if ((r = step_done(&st)) < 0)
		return r;
	return txn_commit(&tx);
}

void journal_skips_clear(struct journal_skips *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].phase);
		free(s->v[i].reason);
	}
	free(s->v);
	*s = (struct journal_skips){ 0 };
}

int journal_skip_list(struct journal *j, const char *case_id, struct journal_skips *out)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
		prep(j, "SELECT path, phase, reason, drop_id FROM parse_skips WHERE case_id = ?1 ORDER BY at, path");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	_cleanup_(journal_skips_clear) struct journal_skips s = { 0 };
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s.v = xrealloc(s.v, (s.n + 1) * sizeof(*s.v));
		s.v[s.n++] = (struct journal_skip){ col_str(st, 0), col_str(st, 1), col_str(st, 2),
		                                   sqlite3_column_int64(st, 3) };
	}
	if (rc != SQLITE_DONE)
		return sql_err(rc);
	*out = s;
	s = (struct journal_skips){ 0 };
	return 0;
}

int journal_note_set(struct journal *j, const char *key, int64_t at, const char *value)
{
	sqlite3_stmt *st = value ? prep(j, "INSERT OR REPLACE INTO notes(key, at, value) VALUES(?1, ?2, ?3)")
	                         : prep(j, "DELETE FROM notes WHERE key = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (value) {
		sqlite3_bind_int64(st, 2, at);
		sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	}
	return step_done(&st);
}

int journal_note_get(struct journal *j, const char *key, int64_t *at, char **value)
{
	/* A journal of an older version has no notes: nothing noted. */
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = prep(j, "SELECT at, value FROM notes WHERE key = ?1");
	if (!st)
		return -ENOENT;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return sql_err(rc);
	*at = sqlite3_column_int64(st, 0);
	*value = col_str(st, 1);
	return *value ? 0 : -ENOENT;
}
