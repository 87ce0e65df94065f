/*
 * ledger.c: opening the ledger (pragmas, schema, forward migrations) and
 * the small helpers every db/ file uses for errors and transactions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "ledger_int.h"

/*
 * Forward migrations: entry i takes user_version i to i + 1 and ends by
 * setting it.  Never edit an entry once released; append a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the initial schema. */
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" ca_id INTEGER NOT NULL, kind TEXT NOT NULL, serial TEXT,"
	" profile TEXT, txid TEXT, csr_hash TEXT, requester TEXT,"
	" dir_ids TEXT, reason INTEGER, rev_time INTEGER, owner TEXT,"
	" der BLOB, prev BLOB NOT NULL, hash BLOB NOT NULL) STRICT;"
	"CREATE INDEX events_serial ON events (serial);"
	"CREATE INDEX events_kind ON events (kind, ca_id);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
	" SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN"
	" SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TABLE certs ("
	" id INTEGER PRIMARY KEY, serial TEXT UNIQUE NOT NULL,"
	" ca_id INTEGER NOT NULL, subject TEXT NOT NULL, sans TEXT NOT NULL,"
	" key_fp TEXT NOT NULL, profile TEXT NOT NULL,"
	" requester TEXT NOT NULL, dir_ids TEXT NOT NULL,"
	" txid TEXT NOT NULL, csr_hash TEXT NOT NULL,"
	" not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
	" status TEXT NOT NULL, rev_time INTEGER NOT NULL DEFAULT 0,"
	" rev_reason INTEGER NOT NULL DEFAULT -1, der BLOB NOT NULL) STRICT;"
	"CREATE INDEX certs_txid ON certs (ca_id, txid);"
	"CREATE INDEX certs_status ON certs (status);"
	"CREATE TABLE checkpoints ("
	" id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" ca_id INTEGER NOT NULL, event_id INTEGER NOT NULL"
	" REFERENCES events (id), head_hash BLOB NOT NULL,"
	" sig BLOB NOT NULL) STRICT;"
	"CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
	" BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
	"CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
	" BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
	"PRAGMA user_version = 1;",
	/* 1 -> 2: SCEP requests waiting for an administrator.  A work
	 * queue, not a record: the certificate an approval yields is. */
	"CREATE TABLE pending ("
	" id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" ca_id INTEGER NOT NULL, txid TEXT NOT NULL,"
	" csr_hash TEXT NOT NULL, csr BLOB NOT NULL, profile TEXT NOT NULL,"
	" requester TEXT NOT NULL, subject TEXT NOT NULL,"
	" state TEXT NOT NULL, serial TEXT NOT NULL DEFAULT '',"
	" decided_by TEXT NOT NULL DEFAULT '',"
	" decided_ts INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (ca_id, txid)) STRICT;"
	"CREATE INDEX pending_state ON pending (state);"
	"PRAGMA user_version = 2;",
	/* 2 -> 3: pre-signed OCSP responses, a cache outside the chain. */
	"CREATE TABLE ocsp_responses ("
	" ca_id INTEGER NOT NULL, serial TEXT NOT NULL, md INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, this_update INTEGER NOT NULL,"
	" next_update INTEGER NOT NULL, wanted INTEGER NOT NULL DEFAULT 0,"
	" der BLOB NOT NULL, PRIMARY KEY (ca_id, serial, md)) STRICT;"
	"CREATE INDEX ocsp_seq ON ocsp_responses (seq);"
	"CREATE INDEX ocsp_due ON ocsp_responses (ca_id, wanted, next_update);"
	"PRAGMA user_version = 3;",
	/* 3 -> 4: a transactionID's signings, found without reading every
	 * signing event of the CA on each request. */
	"CREATE INDEX events_txid ON events (txid);"
	"PRAGMA user_version = 4;",
};
#define LEDGER_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Why the last ledger_open failed: there is no handle to carry it. */
static char	 open_err[1024] = "ledger not open";

static int	 ledger_bind(sqlite3_stmt *, const struct ledger_arg *,
		    size_t);
static int	 ledger_cached(struct ledger *, const char *,
		    sqlite3_stmt **);
static int	 ledger_busy(void *, int);
static int	 ledger_pragmas(struct ledger *);
static int	 ledger_wal(struct ledger *);
static int	 ledger_int(struct ledger *, const char *, int64_t *);
static int	 ledger_migrate(struct ledger *);
static int	 ledger_check_version(struct ledger *);

int
ledger_seterr(struct ledger *l, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(l->l_err, sizeof(l->l_err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Records what failed with SQLite's own explanation; returns -1. */
int
ledger_sqlerr(struct ledger *l, const char *what)
{
	return ledger_seterr(l, "%s: %s", what, sqlite3_errmsg(l->l_db));
}

int
ledger_prepare(struct ledger *l, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(l->l_db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return ledger_sqlerr(l, "prepare");
	}
	return 0;
}

/* Binds args to parameters 1..nargs; SQLite's code of the first failure. */
static int
ledger_bind(sqlite3_stmt *st, const struct ledger_arg *args, size_t nargs)
{
	const struct ledger_arg	*a;
	size_t			 i;
	int			 rc = SQLITE_OK;

	for (i = 0; i < nargs && rc == SQLITE_OK; i++) {
		a = &args[i];
		if (a->la_type == SQLITE_INTEGER)
			rc = sqlite3_bind_int64(st, (int)i + 1, a->la_int);
		else if (a->la_type == SQLITE_TEXT)
			rc = ledger_bind_text(st, (int)i + 1, a->la_ptr);
		else if (a->la_type == SQLITE_BLOB)
			rc = sqlite3_bind_blob64(st, (int)i + 1, a->la_ptr,
			    a->la_len, SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(st, (int)i + 1);
	}
	return rc;
}

/*
 * The connection's statement for sql, prepared on first use.  One already
 * handed out (a query run inside another's loop) or a full cache gives a
 * statement of its own, which ledger_done() finalizes.
 */
static int
ledger_cached(struct ledger *l, const char *sql, sqlite3_stmt **st)
{
	struct ledger_stmt	*ls = NULL;
	size_t			 i;

	for (i = 0; i < l->l_nstmts && ls == NULL; i++)
		if (l->l_stmts[i].ls_sql == sql)
			ls = &l->l_stmts[i];
	if (ls == NULL && l->l_nstmts < LEDGER_STMTS) {
		ls = &l->l_stmts[l->l_nstmts++];
		ls->ls_sql = sql;
	}
	if (ls == NULL || ls->ls_busy)
		return ledger_prepare(l, sql, st);
	/* The same address may hold other text (a caller's buffer). */
	if (ls->ls_st != NULL && strcmp(sqlite3_sql(ls->ls_st), sql) != 0) {
		sqlite3_finalize(ls->ls_st);
		ls->ls_st = NULL;
	}
	if (ls->ls_st == NULL && sqlite3_prepare_v3(l->l_db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &ls->ls_st, NULL) != SQLITE_OK) {
		ls->ls_st = *st = NULL;
		return ledger_sqlerr(l, "prepare");
	}
	ls->ls_busy = 1;
	*st = ls->ls_st;
	return 0;
}

/* Gives back a statement of ledger_query(): reset if cached, else freed. */
void
ledger_done(struct ledger *l, sqlite3_stmt *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < l->l_nstmts; i++) {
		if (l->l_stmts[i].ls_st == st) {
			(void)sqlite3_reset(st);
			(void)sqlite3_clear_bindings(st);
			l->l_stmts[i].ls_busy = 0;
			return;
		}
	}
	sqlite3_finalize(st);
}

/*
 * Prepares sql, or takes it from the cache, and binds args; a bind
 * failure is named what.  The caller gives *st to ledger_done() whatever
 * this returns (it is NULL if prepare failed).
 */
int
ledger_query(struct ledger *l, const char *what, const char *sql,
    const struct ledger_arg *args, size_t nargs, sqlite3_stmt **st)
{
	if (ledger_cached(l, sql, st) == -1)
		return -1;
	if (ledger_bind(*st, args, nargs) != SQLITE_OK)
		return ledger_sqlerr(l, what);
	return 0;
}

/* ledger_query, then one step: 0 with a row in *st, 1 no row, -1. */
int
ledger_row(struct ledger *l, const char *what, const char *sql,
    const struct ledger_arg *args, size_t nargs, sqlite3_stmt **st)
{
	int	 r;

	if (ledger_query(l, what, sql, args, nargs, st) == -1)
		return -1;
	if ((r = sqlite3_step(*st)) == SQLITE_ROW)
		return 0;
	return r == SQLITE_DONE ? 1 : ledger_sqlerr(l, what);
}

/* Runs a statement that answers no row (INSERT, UPDATE), start to end. */
int
ledger_run(struct ledger *l, const char *what, const char *sql,
    const struct ledger_arg *args, size_t nargs)
{
	sqlite3_stmt	*st = NULL;
	int		 rc = -1;

	if (ledger_query(l, what, sql, args, nargs, &st) == 0)
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
		    ledger_sqlerr(l, what);
	ledger_done(l, st);
	return rc;
}

/* Runs a query that must answer one row; v gets its first n columns. */
int
ledger_ints(struct ledger *l, const char *what, const char *sql,
    const struct ledger_arg *args, size_t nargs, int64_t *v, size_t n)
{
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	int		 r;

	if ((r = ledger_row(l, what, sql, args, nargs, &st)) == 1)
		r = ledger_sqlerr(l, what);
	for (i = 0; r == 0 && i < n; i++)
		v[i] = sqlite3_column_int64(st, (int)i);
	ledger_done(l, st);
	return r;
}

/* Runs constant SQL without parameters (pragmas, DDL, BEGIN, COMMIT). */
int
ledger_exec(struct ledger *l, const char *sql)
{
	char	*msg = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(l->l_db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		ledger_seterr(l, "%.40s: %s", sql, msg != NULL ? msg :
		    sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Takes the write lock now, so the head read below it stays the head. */
int
ledger_begin(struct ledger *l)
{
	if (l->l_readonly)
		return ledger_seterr(l, "ledger is open read-only");
	return ledger_run(l, "BEGIN IMMEDIATE", "BEGIN IMMEDIATE", NULL, 0);
}

/*
 * Ends the write transaction: commits if rc is 0, else rolls back.
 * Returns rc, or -1 if the commit failed.
 */
int
ledger_end(struct ledger *l, int rc)
{
	if (rc == 0 && ledger_run(l, "COMMIT", "COMMIT", NULL, 0) == 0)
		return 0;
	ledger_rollback(l);
	return rc == 0 ? -1 : rc;
}

/*
 * Runs fn under the write lock and commits what it wrote if it returns 0:
 * whoever signs from the ledger's state (CRLs, OCSP responses) reads it
 * and stores the result in one step, so that a revocation committed by
 * another worker cannot fall between the two.
 */
int
ledger_locked(struct ledger *l, int (*fn)(void *), void *arg)
{
	if (ledger_begin(l) == -1)
		return -1;
	return ledger_end(l, fn(arg));
}

/* Writers that only make sense under ledger_locked() check with this. */
int
ledger_in_lock(struct ledger *l, const char *what)
{
	if (sqlite3_get_autocommit(l->l_db))
		return ledger_seterr(l, "%s outside ledger_locked", what);
	return 0;
}

/* Ends a failed transaction, keeping the message of the first failure. */
void
ledger_rollback(struct ledger *l)
{
	if (l != NULL && l->l_db != NULL && !sqlite3_get_autocommit(l->l_db))
		(void)sqlite3_exec(l->l_db, "ROLLBACK", NULL, NULL, NULL);
}

/* Binds a string, or SQL NULL for a NULL pointer. */
int
ledger_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Copies a blob column into *p (not NULL even if empty); -1 no memory. */
int
ledger_col_blob(sqlite3_stmt *st, int i, uint8_t **p, size_t *len)
{
	size_t	 n = (size_t)sqlite3_column_bytes(st, i);

	*len = 0;
	if ((*p = malloc(n + 1)) == NULL)
		return -1;
	if (n > 0)
		memcpy(*p, sqlite3_column_blob(st, i), n);
	*len = n;
	return 0;
}

/* Copies a text column: 0, 1 if it holds a NUL byte, -1 out of memory. */
int
ledger_col_text(sqlite3_stmt *st, int i, char **out)
{
	const char	*s = (const char *)sqlite3_column_text(st, i);

	if (s == NULL)
		return -1;
	if (strlen(s) != (size_t)sqlite3_column_bytes(st, i))
		return 1;
	return (*out = strdup(s)) == NULL ? -1 : 0;
}

/* 1 if s is a serial as we store it: 1 to 20 octets of upper-case hex. */
int
ledger_serial_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s != NULL && s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s != NULL && i > 0 && i <= 2 * SERIAL_MAX;
}

const char *
ledger_errmsg(struct ledger *l)
{
	return l == NULL ? open_err : l->l_err;
}

/*
 * Waits for another worker's write transaction.  SQLite's own busy
 * timeout sleeps in steps that grow to 100 ms, far longer than one of our
 * transactions holds the lock: poll every LEDGER_BUSY_STEP_US instead,
 * for LEDGER_BUSY_MS at most.
 */
static int
ledger_busy(void *arg, int count)
{
	struct timespec	 ts = { 0, LEDGER_BUSY_STEP_US * 1000 };

	if ((long long)count * LEDGER_BUSY_STEP_US >= LEDGER_BUSY_MS * 1000LL)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

static int
ledger_pragmas(struct ledger *l)
{
	if (sqlite3_busy_handler(l->l_db, ledger_busy, NULL) != SQLITE_OK)
		return ledger_sqlerr(l, "busy_handler");
	if (ledger_exec(l, "PRAGMA foreign_keys = ON") == -1)
		return -1;
	if (l->l_readonly)
		return ledger_exec(l, "PRAGMA query_only = ON");
	if (ledger_exec(l, "PRAGMA synchronous = FULL") == -1)
		return -1;
	return ledger_wal(l);
}

/* journal_mode answers with the mode in force, which must be WAL. */
static int
ledger_wal(struct ledger *l)
{
	sqlite3_stmt	*st = NULL;
	const char	*s = NULL;
	int		 rc = -1;

	if (ledger_prepare(l, "PRAGMA journal_mode = WAL", &st) == -1)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		s = (const char *)sqlite3_column_text(st, 0);
	if (s == NULL || strcmp(s, "wal") != 0) {
		ledger_seterr(l, "cannot use WAL mode (journal mode %s)",
		    s == NULL ? sqlite3_errmsg(l->l_db) : s);
		goto out;
	}
	rc = 0;
 out:
	sqlite3_finalize(st);
	return rc;
}

/* Runs constant SQL that answers one integer; errors name the SQL. */
static int
ledger_int(struct ledger *l, const char *sql, int64_t *v)
{
	return ledger_ints(l, sql, sql, NULL, 0, v, 1);
}

/* Refuses a schema newer than ours, and a non-empty foreign database. */
static int
ledger_check_version(struct ledger *l)
{
	int64_t	 v, n;

	if (ledger_int(l, "PRAGMA user_version", &v) == -1)
		return -1;
	if (v > LEDGER_VERSION)
		return ledger_seterr(l, "ledger schema version %lld is newer "
		    "than this program's (%d)", (long long)v, LEDGER_VERSION);
	if (v == 0) {
		if (ledger_int(l, "SELECT count(*) FROM sqlite_master",
		    &n) == -1)
			return -1;
		if (n != 0)
			return ledger_seterr(l, "not a keyward ledger");
	}
	if (l->l_readonly && v < LEDGER_VERSION)
		return ledger_seterr(l, "ledger schema version %lld is older "
		    "than %d: open it read-write once to migrate",
		    (long long)v, LEDGER_VERSION);
	return (int)v;
}

/* Brings the schema up to date under the write lock, all or nothing. */
static int
ledger_migrate(struct ledger *l)
{
	int	 v, rc;

	if (ledger_begin(l) == -1)
		return -1;
	if ((v = ledger_check_version(l)) == -1)
		return ledger_end(l, -1);
	for (rc = 0; rc == 0 && v < LEDGER_VERSION; v++)
		rc = ledger_exec(l, migrations[v]);
	return ledger_end(l, rc);
}

int
ledger_open(const char *path, int readonly, struct ledger **lp)
{
	struct ledger	*l = NULL;
	int		 flags, rc = -1;

	*lp = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(open_err, sizeof(open_err), "%.700s: out of memory",
		    path);
		return -1;
	}
	l->l_readonly = readonly;
	flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &l->l_db, flags, NULL) != SQLITE_OK) {
		ledger_sqlerr(l, "open");
		goto out;
	}
	if (ledger_pragmas(l) == -1)
		goto out;
	if ((readonly ? ledger_check_version(l) : ledger_migrate(l)) == -1)
		goto out;
	*lp = l;
	l = NULL;
	rc = 0;
 out:
	if (l != NULL) {
		snprintf(open_err, sizeof(open_err), "%.700s: %s", path,
		    l->l_err);
		ledger_close(l);
	}
	return rc;
}

void
ledger_close(struct ledger *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->l_nstmts; i++)
		sqlite3_finalize(l->l_stmts[i].ls_st);
	sqlite3_close(l->l_db);
	free(l);
}
