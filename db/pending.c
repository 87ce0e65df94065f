/*
 * pending.c: SCEP requests that wait for an administrator (challenge mode
 * manual).  The table is a work queue; what an approval yields goes
 * through the signing events like any other certificate.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "ledger_int.h"

#define PENDING_COLUMNS	"id, ts, ca_id, txid, csr_hash, csr, profile, " \
	"requester, subject, state, serial, decided_by"

static int	pending_load(struct ledger *, sqlite3_stmt *,
		    struct ledger_pending *);
static int	pending_one(struct ledger *, const char *,
		    const struct ledger_arg *, size_t, struct ledger_pending *);

/* Reads a PENDING_COLUMNS row: 0, or -1 (malformed or no memory). */
static int
pending_load(struct ledger *l, sqlite3_stmt *st, struct ledger_pending *lp)
{
	char	**text[] = { &lp->lp_txid, &lp->lp_csr_hash, NULL,
	    &lp->lp_profile, &lp->lp_requester, &lp->lp_subject,
	    &lp->lp_state, &lp->lp_serial, &lp->lp_decided_by };
	size_t	 i;

	memset(lp, 0, sizeof(*lp));
	lp->lp_id = sqlite3_column_int64(st, 0);
	lp->lp_ts = sqlite3_column_int64(st, 1);
	lp->lp_ca_id = (uint32_t)sqlite3_column_int64(st, 2);
	for (i = 0; i < nitems(text); i++)
		if (text[i] != NULL &&
		    ledger_col_text(st, (int)i + 3, text[i]) != 0)
			goto fail;
	if (sqlite3_column_type(st, 5) == SQLITE_BLOB &&
	    ledger_col_blob(st, 5, &lp->lp_csr, &lp->lp_csrlen) == 0)
		return 0;
 fail:
	ledger_seterr(l, "pending request %lld: unreadable row",
	    (long long)lp->lp_id);
	ledger_pending_free(lp);
	return -1;
}

/* The first row sql selects: 0, 1 if none, -1. */
static int
pending_one(struct ledger *l, const char *sql, const struct ledger_arg *a,
    size_t na, struct ledger_pending *lp)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	memset(lp, 0, sizeof(*lp));
	if ((r = ledger_row(l, "pending", sql, a, na, &st)) == 0)
		r = pending_load(l, st, lp);
	ledger_done(l, st);
	return r;
}

int
ledger_pending_get(struct ledger *l, int64_t id, struct ledger_pending *lp)
{
	const struct ledger_arg	 a[] = { LA_INT(id) };

	return pending_one(l, "SELECT " PENDING_COLUMNS " FROM pending"
	    " WHERE id = ?1", a, nitems(a), lp);
}

int
ledger_pending_by_txid(struct ledger *l, uint32_t ca_id, const char *txid,
    struct ledger_pending *lp)
{
	const struct ledger_arg	 a[] = { LA_INT(ca_id), LA_TEXT(txid) };

	return pending_one(l, "SELECT " PENDING_COLUMNS " FROM pending"
	    " WHERE ca_id = ?1 AND txid = ?2", a, nitems(a), lp);
}

int
ledger_pend(struct ledger *l, const struct ledger_pending *lp, int64_t *id)
{
	const struct ledger_arg	 a[] = { LA_INT(time(NULL)),
	    LA_INT(lp->lp_ca_id), LA_TEXT(lp->lp_txid),
	    LA_TEXT(lp->lp_csr_hash), LA_BLOB(lp->lp_csr, lp->lp_csrlen),
	    LA_TEXT(lp->lp_profile), LA_TEXT(lp->lp_requester),
	    LA_TEXT(lp->lp_subject), LA_TEXT(PD_PENDING) };
	struct ledger_pending	 old;
	int			 r;

	if (ledger_begin(l) == -1)
		return -1;
	r = ledger_pending_by_txid(l, lp->lp_ca_id, lp->lp_txid, &old);
	if (r == 0) {
		*id = old.lp_id;
		r = strcmp(old.lp_csr_hash, lp->lp_csr_hash) == 0 ? 0 : 2;
		ledger_pending_free(&old);
		return ledger_end(l, r);
	}
	if (r == 1 && (r = ledger_run(l, "pend", "INSERT INTO pending (ts,"
	    " ca_id, txid, csr_hash, csr, profile, requester, subject, state)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", a,
	    nitems(a))) == 0)
		*id = sqlite3_last_insert_rowid(l->l_db);
	return ledger_end(l, r);
}

int
ledger_pending_list(struct ledger *l, int64_t after, int max,
    int (*cb)(void *, const struct ledger_pending *), void *arg)
{
	const struct ledger_arg	 a[] = { LA_INT(after), LA_TEXT(PD_PENDING),
	    LA_INT(max) };
	struct ledger_pending	 lp;
	sqlite3_stmt		*st = NULL;
	int			 c, r = 0;

	if (ledger_query(l, "pending", "SELECT " PENDING_COLUMNS " FROM"
	    " pending WHERE id > ?1 AND state = ?2 ORDER BY id LIMIT ?3",
	    a, nitems(a), &st) == -1)
		return -1;
	while (r == 0 && (c = sqlite3_step(st)) == SQLITE_ROW) {
		if (pending_load(l, st, &lp) == -1)
			r = -1;
		else {
			r = cb(arg, &lp);
			ledger_pending_free(&lp);
		}
	}
	if (r == 0 && c != SQLITE_DONE)
		r = ledger_sqlerr(l, "pending");
	ledger_done(l, st);
	return r < 0 ? -1 : 0;
}

int
ledger_pending_decide(struct ledger *l, int64_t id, const char *state,
    const char *serial, const char *by)
{
	const struct ledger_arg	 a[] = { LA_INT(id), LA_TEXT(state),
	    LA_TEXT(serial == NULL ? "" : serial), LA_TEXT(by),
	    LA_INT(time(NULL)), LA_TEXT(PD_PENDING) };
	struct ledger_pending	 lp;
	int			 r;

	if (strcmp(state, PD_APPROVED) != 0 && strcmp(state, PD_DENIED) != 0)
		return ledger_seterr(l, "pending: no such state %s", state);
	if (ledger_begin(l) == -1)
		return -1;
	if ((r = ledger_pending_get(l, id, &lp)) == 0) {
		if (strcmp(lp.lp_state, PD_PENDING) != 0)
			r = 2;
		ledger_pending_free(&lp);
	}
	if (r == 0)
		r = ledger_run(l, "decide", "UPDATE pending SET state = ?2,"
		    " serial = ?3, decided_by = ?4, decided_ts = ?5"
		    " WHERE id = ?1 AND state = ?6", a, nitems(a));
	return ledger_end(l, r);
}

void
ledger_pending_free(struct ledger_pending *lp)
{
	if (lp == NULL)
		return;
	free(lp->lp_txid);
	free(lp->lp_csr_hash);
	free(lp->lp_csr);
	free(lp->lp_profile);
	free(lp->lp_requester);
	free(lp->lp_subject);
	free(lp->lp_state);
	free(lp->lp_serial);
	free(lp->lp_decided_by);
	memset(lp, 0, sizeof(*lp));
}
