/*
 * ocspstore.c: the pre-signed OCSP responses that every signer worker
 * writes and every frontend pulls.  Each write takes the next sequence
 * number, so "what changed since N" is one indexed range.  The rows are
 * a cache of signatures over the ledger's state, not acts of the CA: they
 * stay outside the hash chain and ledger verify ignores them.
 */
#include <string.h>

#include "common.h"
#include "ledger_int.h"

static int	 ocsp_keys(struct ledger *, const char *,
		    const struct ledger_arg *, size_t, int,
		    int (*)(void *, const struct ledger_ocsp *), void *);
static int	 ocsp_missing(struct ledger *, uint32_t, int, int64_t, int,
		    int (*)(void *, const struct ledger_ocsp *), void *);

int
ledger_ocsp_put(struct ledger *l, uint32_t ca_id, struct ledger_ocsp *o)
{
	const struct ledger_arg	 a[] = { LA_INT(ca_id),
	    LA_TEXT(o->lo_serial), LA_INT(o->lo_md), LA_INT(o->lo_this_update),
	    LA_INT(o->lo_next_update), LA_BLOB(o->lo_der, o->lo_derlen) };

	if (ledger_in_lock(l, "OCSP response") == -1)
		return -1;
	if (!ledger_serial_ok(o->lo_serial) || o->lo_der == NULL ||
	    o->lo_derlen == 0)
		return ledger_seterr(l, "OCSP response: bad serial or DER");
	if (ledger_run(l, "store OCSP response", "INSERT INTO"
	    " ocsp_responses (ca_id, serial, md, seq, this_update,"
	    " next_update, wanted, der) VALUES (?1, ?2, ?3,"
	    " (SELECT coalesce(max(seq), 0) + 1 FROM ocsp_responses),"
	    " ?4, ?5, 0, ?6) ON CONFLICT (ca_id, serial, md) DO UPDATE SET"
	    " seq = excluded.seq, this_update = excluded.this_update,"
	    " next_update = excluded.next_update, wanted = 0,"
	    " der = excluded.der", a, nitems(a)) == -1)
		return -1;
	/* Under the lock, the highest number is the one just taken. */
	return ledger_ints(l, "OCSP sequence", "SELECT max(seq) FROM"
	    " ocsp_responses", NULL, 0, &o->lo_seq, 1);
}

int
ledger_ocsp_since(struct ledger *l, uint32_t ca_id, int64_t after, int max,
    int (*cb)(void *, const struct ledger_ocsp *), void *arg)
{
	const struct ledger_arg	 a[] = { LA_INT(ca_id), LA_INT(after),
	    LA_INT(max) };
	struct ledger_ocsp	 o;
	sqlite3_stmt		*st = NULL;
	int			 c = 0, r, rc = -1;

	if (ledger_query(l, "bind", "SELECT serial, md, seq, this_update,"
	    " next_update, der FROM ocsp_responses WHERE ca_id = ?1 AND"
	    " seq > ?2 ORDER BY seq LIMIT ?3", a, nitems(a), &st) == -1)
		goto out;
	while (c == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		o.lo_serial = (const char *)sqlite3_column_text(st, 0);
		o.lo_md = sqlite3_column_int(st, 1);
		o.lo_seq = sqlite3_column_int64(st, 2);
		o.lo_this_update = sqlite3_column_int64(st, 3);
		o.lo_next_update = sqlite3_column_int64(st, 4);
		o.lo_der = sqlite3_column_blob(st, 5);
		o.lo_derlen = (size_t)sqlite3_column_bytes(st, 5);
		if (o.lo_serial == NULL || o.lo_der == NULL) {
			ledger_seterr(l, "OCSP row without serial or DER");
			goto out;
		}
		if ((c = cb(arg, &o)) < 0) {
			ledger_seterr(l, "OCSP row list stopped");
			goto out;
		}
	}
	if (c == 0 && r != SQLITE_DONE) {
		ledger_sqlerr(l, "OCSP rows");
		goto out;
	}
	rc = 0;
 out:
	ledger_done(l, st);
	return rc;
}

int
ledger_ocsp_want(struct ledger *l, uint32_t ca_id,
    const struct ledger_ocsp *keys, size_t n)
{
	size_t	 i;
	int	 rc = 0;

	if (n == 0)
		return 0;
	if (ledger_begin(l) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		const struct ledger_arg	 a[] = { LA_INT(ca_id),
		    LA_TEXT(keys[i].lo_serial), LA_INT(keys[i].lo_md) };

		rc = ledger_run(l, "mark OCSP row", "UPDATE ocsp_responses"
		    " SET wanted = 1 WHERE ca_id = ?1 AND serial = ?2 AND"
		    " md = ?3", a, nitems(a));
	}
	return ledger_end(l, rc);
}

/* Calls cb with (serial, md) of each row sql selects; up to max rows. */
static int
ocsp_keys(struct ledger *l, const char *sql, const struct ledger_arg *a,
    size_t na, int md, int (*cb)(void *, const struct ledger_ocsp *),
    void *arg)
{
	struct ledger_ocsp	 o;
	sqlite3_stmt		*st = NULL;
	int			 n = 0, r, rc = -1;

	if (ledger_query(l, "bind", sql, a, na, &st) == -1)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		o.lo_serial = (const char *)sqlite3_column_text(st, 0);
		o.lo_md = sqlite3_column_type(st, 1) == SQLITE_NULL ? md :
		    sqlite3_column_int(st, 1);
		if (o.lo_serial == NULL || cb(arg, &o) < 0) {
			ledger_seterr(l, "OCSP key list stopped");
			goto out;
		}
		n++;
	}
	if (r != SQLITE_DONE) {
		ledger_sqlerr(l, "OCSP keys");
		goto out;
	}
	rc = n;
 out:
	ledger_done(l, st);
	return rc;
}

/* Unexpired certificates of ca_id without a row for md, oldest first. */
static int
ocsp_missing(struct ledger *l, uint32_t ca_id, int md, int64_t now, int max,
    int (*cb)(void *, const struct ledger_ocsp *), void *arg)
{
	const struct ledger_arg	 a[] = { LA_INT(ca_id), LA_INT(now),
	    LA_INT(max), LA_INT(md), LA_TEXT(ST_WITHHELD) };

	return ocsp_keys(l, "SELECT serial, NULL FROM certs c WHERE"
	    " ca_id = ?1 AND not_after > ?2 AND status != ?5 AND NOT EXISTS"
	    " (SELECT 1 FROM ocsp_responses o WHERE o.ca_id = ?1 AND"
	    " o.serial = c.serial AND o.md = ?4) ORDER BY id LIMIT ?3", a,
	    nitems(a), md, cb, arg);
}

int
ledger_ocsp_due(struct ledger *l, uint32_t ca_id, int md, int64_t now,
    int max, int (*cb)(void *, const struct ledger_ocsp *), void *arg)
{
	const struct ledger_arg	 a[] = { LA_INT(ca_id), LA_INT(now),
	    LA_INT(max) };
	int			 n;

	if ((n = ocsp_keys(l, "SELECT o.serial, o.md FROM ocsp_responses o"
	    " JOIN certs c ON c.serial = o.serial WHERE o.ca_id = ?1 AND"
	    " c.not_after > ?2 AND o.this_update + (o.next_update -"
	    " o.this_update) / 2 <= ?2 ORDER BY o.wanted DESC,"
	    " o.next_update LIMIT ?3", a, nitems(a), md, cb, arg)) < 0)
		return -1;
	if (n >= max)
		return 0;
	return ocsp_missing(l, ca_id, md, now, max - n, cb, arg) < 0 ? -1 : 0;
}

int
ledger_ocsp_prune(struct ledger *l, uint32_t ca_id, int64_t before)
{
	const struct ledger_arg	 a[] = { LA_INT(ca_id), LA_INT(before) };

	if (ledger_begin(l) == -1)
		return -1;
	return ledger_end(l, ledger_run(l, "prune OCSP rows", "DELETE FROM"
	    " ocsp_responses WHERE ca_id = ?1 AND serial NOT IN (SELECT"
	    " serial FROM certs WHERE not_after >= ?2)", a, nitems(a)));
}
