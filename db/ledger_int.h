/*
 * ledger_int.h: what the db/ files share and nobody else sees.
 */
#ifndef KEYWARD_LEDGER_INT_H
#define KEYWARD_LEDGER_INT_H

#include <sqlite3.h>

#include "ledger.h"

#define LEDGER_ERR_MAX	256
#define LEDGER_BUSY_MS	10000
#define LEDGER_BUSY_STEP_US	200	/* between tries for the write lock */
#define LEDGER_STMTS	48	/* prepared statements kept per connection */

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * A statement prepared once and reset after each use: parsing SQL costs
 * more than running most of ours.  Found by the address of its SQL text
 * (our queries are constants), confirmed by the text itself.
 */
struct ledger_stmt {
	const char	*ls_sql;
	sqlite3_stmt	*ls_st;
	int		 ls_busy;	/* handed out, not yet ledger_done() */
};

struct ledger {
	sqlite3			*l_db;
	int			 l_readonly;
	char			 l_err[LEDGER_ERR_MAX];
	struct ledger_stmt	 l_stmts[LEDGER_STMTS];
	size_t			 l_nstmts;
};

/*
 * One row of the events table.  Strings and der point into the caller's
 * memory or into a stepped statement; NULL is SQL NULL (der of length 0
 * that is not NULL is an empty blob).
 */
struct ledger_event {
	int64_t		 ev_id;
	int64_t		 ev_ts;
	int64_t		 ev_ca_id;
	const char	*ev_kind;
	const char	*ev_serial;
	const char	*ev_profile;
	const char	*ev_txid;
	const char	*ev_csr_hash;
	const char	*ev_requester;
	const char	*ev_dir_ids;
	int		 ev_has_reason;
	int64_t		 ev_reason;
	int		 ev_has_rev_time;
	int64_t		 ev_rev_time;
	const char	*ev_owner;
	const uint8_t	*ev_der;
	size_t		 ev_derlen;
	uint8_t		 ev_prev[LEDGER_HASH_LEN];
	uint8_t		 ev_hash[LEDGER_HASH_LEN];
};

/* The columns of events and certs, in table order, for SELECT lists. */
#define EVENT_COLUMNS	"id, ts, ca_id, kind, serial, profile, txid, " \
	"csr_hash, requester, dir_ids, reason, rev_time, owner, der, prev, hash"
#define EVENT_NCOLUMNS	16
#define CERT_FIELDS	"ca_id, serial, subject, sans, key_fp, profile, " \
	"requester, dir_ids, txid, csr_hash, not_before, not_after, status, " \
	"rev_time, rev_reason, der"
#define CERT_COLUMNS	"id, " CERT_FIELDS

/* One value to bind to the next parameter; made with the LA_ macros. */
struct ledger_arg {
	int		 la_type;	/* SQLITE_INTEGER, TEXT, BLOB, NULL */
	int64_t		 la_int;
	const void	*la_ptr;	/* text or blob; NULL binds SQL NULL */
	size_t		 la_len;	/* blob */
};
#define LA_INT(v)	{ .la_type = SQLITE_INTEGER, .la_int = (v) }
#define LA_TEXT(s)	{ .la_type = SQLITE_TEXT, .la_ptr = (s) }
#define LA_BLOB(p, n)	{ .la_type = SQLITE_BLOB, .la_ptr = (p), .la_len = (n) }
/* The integer v if has, else SQL NULL. */
#define LA_INT_IF(has, v) \
	{ .la_type = (has) ? SQLITE_INTEGER : SQLITE_NULL, .la_int = (v) }

/* ledger.c */
int	 ledger_seterr(struct ledger *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 ledger_sqlerr(struct ledger *, const char *);
int	 ledger_prepare(struct ledger *, const char *, sqlite3_stmt **);
int	 ledger_query(struct ledger *, const char *, const char *,
	    const struct ledger_arg *, size_t, sqlite3_stmt **);
void	 ledger_done(struct ledger *, sqlite3_stmt *);
int	 ledger_row(struct ledger *, const char *, const char *,
	    const struct ledger_arg *, size_t, sqlite3_stmt **);
int	 ledger_run(struct ledger *, const char *, const char *,
	    const struct ledger_arg *, size_t);
int	 ledger_ints(struct ledger *, const char *, const char *,
	    const struct ledger_arg *, size_t, int64_t *, size_t);
int	 ledger_exec(struct ledger *, const char *);
int	 ledger_begin(struct ledger *);
int	 ledger_end(struct ledger *, int);
void	 ledger_rollback(struct ledger *);
int	 ledger_in_lock(struct ledger *, const char *);
int	 ledger_bind_text(sqlite3_stmt *, int, const char *);
int	 ledger_col_blob(sqlite3_stmt *, int, uint8_t **, size_t *);
int	 ledger_col_text(sqlite3_stmt *, int, char **);
int	 ledger_serial_ok(const char *);

/* hash.c */
void	 ledger_be64(uint8_t [8], uint64_t);
int	 ledger_event_hash(const struct ledger_event *,
	    uint8_t [LEDGER_HASH_LEN]);
int	 ledger_hex_sha256(const uint8_t *, size_t, char [65]);

/* certinfo.c */
int	 ledger_cert_fields_x509(X509 *, struct ledger_cert *);

/* event.c */
int	 ledger_cert_expect(const struct ledger_event *, X509 *,
	    struct ledger_cert *, char *, size_t);
int	 ledger_cert_apply(struct ledger_cert *, const struct ledger_event *);

/* query.c */
int	 ledger_cert_load(struct ledger *, sqlite3_stmt *,
	    struct ledger_cert *);

/* checkpoint.c */
int	 ledger_checkpoint_ok(const uint8_t *, size_t, uint32_t, int64_t,
	    const uint8_t [LEDGER_HASH_LEN], const uint8_t *, size_t);

#endif
