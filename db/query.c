/*
 * query.c: reading the certificate table and the installed CA
 * certificates.  A row whose columns do not have the types the schema
 * gives them is refused rather than half-read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ledger_int.h"

/* CERT_COLUMNS, by name and by the storage type each must have. */
static const struct {
	const char	*cc_name;
	int		 cc_type;
} cert_cols[] = {
	{ "id", SQLITE_INTEGER },	{ "ca_id", SQLITE_INTEGER },
	{ "serial", SQLITE_TEXT },	{ "subject", SQLITE_TEXT },
	{ "sans", SQLITE_TEXT },	{ "key_fp", SQLITE_TEXT },
	{ "profile", SQLITE_TEXT },	{ "requester", SQLITE_TEXT },
	{ "dir_ids", SQLITE_TEXT },	{ "txid", SQLITE_TEXT },
	{ "csr_hash", SQLITE_TEXT },	{ "not_before", SQLITE_INTEGER },
	{ "not_after", SQLITE_INTEGER }, { "status", SQLITE_TEXT },
	{ "rev_time", SQLITE_INTEGER },	{ "rev_reason", SQLITE_INTEGER },
	{ "der", SQLITE_BLOB },
};

static int	 cert_types(struct ledger *, sqlite3_stmt *);
static int	 cert_one(struct ledger *, const char *,
		    const struct ledger_arg *, size_t, struct ledger_cert *);

/* 1 with a message naming the first column of the wrong type. */
static int
cert_types(struct ledger *l, sqlite3_stmt *st)
{
	int64_t	 ca_id;
	size_t	 i;

	for (i = 0; i < nitems(cert_cols); i++)
		if (sqlite3_column_type(st, (int)i) != cert_cols[i].cc_type) {
			ledger_seterr(l, "certificate row %lld: column %s has "
			    "the wrong type", sqlite3_column_int64(st, 0),
			    cert_cols[i].cc_name);
			return 1;
		}
	ca_id = sqlite3_column_int64(st, 1);
	if (ca_id < 0 || ca_id > UINT32_MAX) {
		ledger_seterr(l, "certificate row %lld: ca_id %lld out of "
		    "range", sqlite3_column_int64(st, 0), (long long)ca_id);
		return 1;
	}
	return 0;
}

/*
 * Reads a row selected with CERT_COLUMNS: 0, 1 if the row is malformed,
 * -1 out of memory.  lc is always safe to ledger_cert_free().
 */
int
ledger_cert_load(struct ledger *l, sqlite3_stmt *st, struct ledger_cert *lc)
{
	char	**text[] = { &lc->lc_serial, &lc->lc_subject, &lc->lc_sans,
	    &lc->lc_key_fp, &lc->lc_profile, &lc->lc_requester,
	    &lc->lc_dir_ids, &lc->lc_txid, &lc->lc_csr_hash };
	size_t	 i;
	int	 r;

	memset(lc, 0, sizeof(*lc));
	if (cert_types(l, st) != 0)
		return 1;
	for (i = 0; i < nitems(text); i++)
		if ((r = ledger_col_text(st, (int)i + 2, text[i])) != 0)
			goto fail;
	if ((r = ledger_col_text(st, 13, &lc->lc_status)) != 0)
		goto fail;
	lc->lc_rowid = sqlite3_column_int64(st, 0);
	lc->lc_ca_id = (uint32_t)sqlite3_column_int64(st, 1);
	lc->lc_not_before = sqlite3_column_int64(st, 11);
	lc->lc_not_after = sqlite3_column_int64(st, 12);
	lc->lc_rev_time = sqlite3_column_int64(st, 14);
	lc->lc_rev_reason = sqlite3_column_int(st, 15);
	if ((r = ledger_col_blob(st, 16, &lc->lc_der, &lc->lc_derlen)) == 0)
		return 0;
 fail:
	if (r == 1)
		ledger_seterr(l, "certificate row %lld: a text column holds "
		    "a NUL byte", sqlite3_column_int64(st, 0));
	else
		ledger_seterr(l, "out of memory");
	ledger_cert_free(lc);
	return r;
}

void
ledger_cert_free(struct ledger_cert *lc)
{
	if (lc == NULL)
		return;
	free(lc->lc_serial);
	free(lc->lc_subject);
	free(lc->lc_sans);
	free(lc->lc_key_fp);
	free(lc->lc_profile);
	free(lc->lc_requester);
	free(lc->lc_dir_ids);
	free(lc->lc_txid);
	free(lc->lc_csr_hash);
	free(lc->lc_status);
	free(lc->lc_der);
	memset(lc, 0, sizeof(*lc));
}

/* Reads the first certificate row sql selects: 0, 1 no row, -1. */
static int
cert_one(struct ledger *l, const char *sql, const struct ledger_arg *args,
    size_t nargs, struct ledger_cert *lc)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	if ((r = ledger_row(l, "certificate", sql, args, nargs, &st)) == 0 &&
	    ledger_cert_load(l, st, lc) != 0)
		r = -1;
	ledger_done(l, st);
	return r;
}

int
ledger_cert_get(struct ledger *l, const char *serial, struct ledger_cert *lc)
{
	const struct ledger_arg	 a[] = { LA_TEXT(serial) };

	memset(lc, 0, sizeof(*lc));
	if (serial == NULL)
		return 1;
	return cert_one(l, "SELECT " CERT_COLUMNS " FROM certs"
	    " WHERE serial = ?1", a, nitems(a), lc);
}

/* The newest certificate of ca_id for a SCEP transaction (replays). */
int
ledger_cert_by_txid(struct ledger *l, uint32_t ca_id, const char *txid,
    struct ledger_cert *lc)
{
	const struct ledger_arg	 a[] = { LA_INT(ca_id), LA_TEXT(txid) };

	memset(lc, 0, sizeof(*lc));
	if (txid == NULL || txid[0] == '\0')
		return 1;
	return cert_one(l, "SELECT " CERT_COLUMNS " FROM certs"
	    " WHERE ca_id = ?1 AND txid = ?2 ORDER BY id DESC LIMIT 1", a,
	    nitems(a), lc);
}

/*
 * Pages through the table by rowid.  cb returns 0 to go on, > 0 to stop
 * (0 returned), < 0 to fail (-1 returned).  max < 0 means no limit.
 * cb must not write to the ledger.
 */
int
ledger_cert_list(struct ledger *l, const char *status, int64_t after,
    int max, int (*cb)(void *, const struct ledger_cert *), void *arg)
{
	const struct ledger_arg	 a[] = { LA_INT(after),
	    LA_TEXT(status == NULL ? "" : status), LA_INT(max) };
	struct ledger_cert	 lc;
	sqlite3_stmt		*st = NULL;
	int			 c, r, rc = -1;

	if (ledger_query(l, "bind", "SELECT " CERT_COLUMNS " FROM certs"
	    " WHERE id > ?1 AND (?2 = '' OR status = ?2) ORDER BY id"
	    " LIMIT ?3", a, nitems(a), &st) == -1)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (ledger_cert_load(l, st, &lc) != 0)
			goto out;
		c = cb(arg, &lc);
		ledger_cert_free(&lc);
		if (c < 0) {
			ledger_seterr(l, "certificate list stopped");
			goto out;
		}
		if (c > 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		ledger_sqlerr(l, "certificate list");
		goto out;
	}
	rc = 0;
 out:
	ledger_done(l, st);
	return rc;
}

/* 1 if serial has a certificate row or appears in any event, else 0. */
int
ledger_serial_exists(struct ledger *l, const char *serial)
{
	const struct ledger_arg	 a[] = { LA_TEXT(serial) };
	int64_t			 v;

	if (ledger_ints(l, "serial lookup", "SELECT EXISTS (SELECT 1 FROM"
	    " certs WHERE serial = ?1) OR EXISTS (SELECT 1 FROM events"
	    " WHERE serial = ?1)", a, nitems(a), &v, 1) == -1)
		return -1;
	return v != 0;
}

/* The certificate last installed for (ca_id, role); 1 if none. */
int
ledger_ca_cert(struct ledger *l, uint32_t ca_id, const char *role,
    uint8_t **der, size_t *derlen)
{
	const struct ledger_arg	 a[] = { LA_TEXT(EV_CA_INSTALLED),
	    LA_INT(ca_id), LA_TEXT(role) };
	sqlite3_stmt		*st = NULL;
	int			 rc;

	*der = NULL;
	*derlen = 0;
	if ((rc = ledger_row(l, "CA certificate", "SELECT der FROM events"
	    " WHERE kind = ?1 AND ca_id = ?2 AND profile = ?3"
	    " ORDER BY id DESC LIMIT 1", a, nitems(a), &st)) == 0 &&
	    (sqlite3_column_type(st, 0) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 0) == 0))
		rc = 1;
	if (rc == 0 && ledger_col_blob(st, 0, der, derlen) == -1)
		rc = ledger_seterr(l, "out of memory");
	ledger_done(l, st);
	return rc;
}

/* Counts by status, events, and the last checkpointed event: one read. */
int
ledger_counts(struct ledger *l, struct ledger_counts *lt)
{
	const struct ledger_arg	 a[] = { LA_TEXT(ST_VALID),
	    LA_TEXT(ST_REVOKED), LA_TEXT(ST_HOLD), LA_TEXT(ST_WITHHELD) };
	int64_t			 v[6];

	memset(lt, 0, sizeof(*lt));
	if (ledger_ints(l, "counts", "SELECT"
	    " (SELECT count(*) FROM certs WHERE status = ?1),"
	    " (SELECT count(*) FROM certs WHERE status = ?2),"
	    " (SELECT count(*) FROM certs WHERE status = ?3),"
	    " (SELECT count(*) FROM certs WHERE status = ?4),"
	    " (SELECT count(*) FROM events),"
	    " (SELECT coalesce(max(event_id), 0) FROM checkpoints)", a,
	    nitems(a), v, nitems(v)) == -1)
		return -1;
	lt->lt_valid = (uint64_t)v[0];
	lt->lt_revoked = (uint64_t)v[1];
	lt->lt_hold = (uint64_t)v[2];
	lt->lt_withheld = (uint64_t)v[3];
	lt->lt_events = (uint64_t)v[4];
	lt->lt_checkpoint_event = (uint64_t)v[5];
	return 0;
}

int
ledger_crl_latest(struct ledger *l, uint32_t ca_id, int64_t *event_id,
    uint8_t **der, size_t *derlen)
{
	const struct ledger_arg	 a[] = { LA_TEXT(EV_CRL), LA_INT(ca_id) };
	sqlite3_stmt		*st = NULL;
	int			 rc;

	*event_id = 0;
	if (der != NULL) {
		*der = NULL;
		*derlen = 0;
	}
	rc = ledger_row(l, "CRL", der == NULL ? "SELECT id FROM events"
	    " WHERE kind = ?1 AND ca_id = ?2 ORDER BY id DESC LIMIT 1" :
	    "SELECT id, der FROM events WHERE kind = ?1 AND ca_id = ?2"
	    " ORDER BY id DESC LIMIT 1", a, nitems(a), &st);
	if (rc == 0 && der != NULL &&
	    sqlite3_column_type(st, 1) != SQLITE_BLOB)
		rc = ledger_seterr(l, "CRL event without DER");
	if (rc == 0) {
		*event_id = sqlite3_column_int64(st, 0);
		if (der != NULL && ledger_col_blob(st, 1, der, derlen) == -1)
			rc = ledger_seterr(l, "out of memory");
	}
	ledger_done(l, st);
	return rc;
}
