/*
 * event.c: the writers.  Each is one transaction under BEGIN IMMEDIATE:
 * read the head, hash and append the event(s), update the certificate
 * table from the same events, commit.  The table is derived only through
 * ledger_cert_expect() and ledger_cert_apply(), which the verifier's
 * replay uses too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "common.h"
#include "ledger_int.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Which event moves a certificate from which status to which. */
static const struct transition {
	const char	*t_kind;
	const char	*t_from[3];
	const char	*t_to;
} transitions[] = {
	{ EV_WITHHELD,	{ ST_VALID },				ST_WITHHELD },
	{ EV_RELEASED,	{ ST_WITHHELD },			ST_VALID },
	{ EV_REVOKED,	{ ST_VALID, ST_WITHHELD, ST_HOLD },	ST_REVOKED },
	{ EV_HOLD,	{ ST_VALID },				ST_HOLD },
	{ EV_UNHOLD,	{ ST_HOLD },				ST_VALID },
};

/* What the ledger knows about one serial, for the writers' checks. */
struct serial_state {
	int64_t		 ss_rows;	/* certs rows */
	int64_t		 ss_signing;	/* signing events for this CA */
	int64_t		 ss_done;	/* issued or abandoned events */
};

/* A signing event without issued or abandoned, for the orphan sweep. */
struct orphan {
	int64_t		 o_ca_id;
	char		*o_serial;
	char		*o_owner;
};

static int	 event_bind(sqlite3_stmt *, const struct ledger_event *);
static int	 event_append(struct ledger *, struct ledger_event *);
static int	 event_write(struct ledger *, struct ledger_event *);
static int	 serial_state(struct ledger *, uint32_t, const char *,
		    struct serial_state *);
static int	 cert_insert(struct ledger *, const struct ledger_cert *);
static int	 cert_update(struct ledger *, const struct ledger_cert *);
static int	 status_event(struct ledger *, uint32_t, const char *,
		    const char *, int, int64_t);
static int	 issue_allowed(struct ledger *, const struct ledger_issue *);
static char	*strdup_empty(const char *);
static void	 orphans_free(struct orphan *, size_t);
static int	 orphans_load(struct ledger *, struct orphan **, size_t *);

static char *
strdup_empty(const char *s)
{
	return strdup(s == NULL ? "" : s);
}

static int
event_bind(sqlite3_stmt *st, const struct ledger_event *ev)
{
	int	 rc;

	if ((rc = sqlite3_bind_int64(st, 1, ev->ev_id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, ev->ev_ts)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, ev->ev_ca_id)) != SQLITE_OK ||
	    (rc = ledger_bind_text(st, 4, ev->ev_kind)) != SQLITE_OK ||
	    (rc = ledger_bind_text(st, 5, ev->ev_serial)) != SQLITE_OK ||
	    (rc = ledger_bind_text(st, 6, ev->ev_profile)) != SQLITE_OK ||
	    (rc = ledger_bind_text(st, 7, ev->ev_txid)) != SQLITE_OK ||
	    (rc = ledger_bind_text(st, 8, ev->ev_csr_hash)) != SQLITE_OK ||
	    (rc = ledger_bind_text(st, 9, ev->ev_requester)) != SQLITE_OK ||
	    (rc = ledger_bind_text(st, 10, ev->ev_dir_ids)) != SQLITE_OK ||
	    (rc = ledger_bind_text(st, 13, ev->ev_owner)) != SQLITE_OK)
		return rc;
	if (ev->ev_has_reason &&
	    (rc = sqlite3_bind_int64(st, 11, ev->ev_reason)) != SQLITE_OK)
		return rc;
	if (ev->ev_has_rev_time &&
	    (rc = sqlite3_bind_int64(st, 12, ev->ev_rev_time)) != SQLITE_OK)
		return rc;
	if (ev->ev_der != NULL && (rc = sqlite3_bind_blob64(st, 14,
	    ev->ev_der, ev->ev_derlen, SQLITE_STATIC)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_bind_blob(st, 15, ev->ev_prev, LEDGER_HASH_LEN,
	    SQLITE_STATIC)) != SQLITE_OK)
		return rc;
	return sqlite3_bind_blob(st, 16, ev->ev_hash, LEDGER_HASH_LEN,
	    SQLITE_STATIC);
}

/* Chains ev after the head; the caller holds the write transaction. */
static int
event_append(struct ledger *l, struct ledger_event *ev)
{
	sqlite3_stmt	*st = NULL;
	int		 rc = -1;

	if (ledger_head(l, &ev->ev_id, ev->ev_prev) == -1)
		goto out;
	ev->ev_id++;
	if (ev->ev_ts == 0)
		ev->ev_ts = (int64_t)time(NULL);
	if (ledger_event_hash(ev, ev->ev_hash) == -1) {
		ledger_seterr(l, "cannot hash event %lld",
		    (long long)ev->ev_id);
		goto out;
	}
	if (ledger_prepare(l, "INSERT INTO events (" EVENT_COLUMNS ") VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	    " ?15, ?16)", &st) == -1)
		goto out;
	if (event_bind(st, ev) != SQLITE_OK) {
		ledger_sqlerr(l, "bind event");
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		ledger_sqlerr(l, "insert event");
		goto out;
	}
	rc = 0;
 out:
	sqlite3_finalize(st);
	return rc;
}

/* One event in its own transaction. */
static int
event_write(struct ledger *l, struct ledger_event *ev)
{
	if (ledger_begin(l) == -1)
		return -1;
	if (event_append(l, ev) == -1 || ledger_commit(l) == -1) {
		ledger_rollback(l);
		return -1;
	}
	return 0;
}

static int
serial_state(struct ledger *l, uint32_t ca_id, const char *serial,
    struct serial_state *ss)
{
	sqlite3_stmt	*st = NULL;
	int		 rc = -1;

	if (ledger_prepare(l, "SELECT"
	    " (SELECT count(*) FROM certs WHERE serial = ?1),"
	    " (SELECT count(*) FROM events WHERE serial = ?1 AND kind = ?2"
	    "  AND ca_id = ?3),"
	    " (SELECT count(*) FROM events WHERE serial = ?1"
	    "  AND kind IN (?4, ?5))", &st) == -1)
		goto out;
	if (ledger_bind_text(st, 1, serial) != SQLITE_OK ||
	    ledger_bind_text(st, 2, EV_SIGNING) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, ca_id) != SQLITE_OK ||
	    ledger_bind_text(st, 4, EV_ISSUED) != SQLITE_OK ||
	    ledger_bind_text(st, 5, EV_ABANDONED) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		ledger_sqlerr(l, "serial state");
		goto out;
	}
	ss->ss_rows = sqlite3_column_int64(st, 0);
	ss->ss_signing = sqlite3_column_int64(st, 1);
	ss->ss_done = sqlite3_column_int64(st, 2);
	rc = 0;
 out:
	sqlite3_finalize(st);
	return rc;
}

static int
cert_insert(struct ledger *l, const struct ledger_cert *lc)
{
	sqlite3_stmt	*st = NULL;
	int		 rc = -1;

	if (ledger_prepare(l, "INSERT INTO certs (ca_id, serial, subject,"
	    " sans, key_fp, profile, requester, dir_ids, txid, csr_hash,"
	    " not_before, not_after, status, rev_time, rev_reason, der)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13, ?14, ?15, ?16)", &st) == -1)
		goto out;
	if (sqlite3_bind_int64(st, 1, lc->lc_ca_id) != SQLITE_OK ||
	    ledger_bind_text(st, 2, lc->lc_serial) != SQLITE_OK ||
	    ledger_bind_text(st, 3, lc->lc_subject) != SQLITE_OK ||
	    ledger_bind_text(st, 4, lc->lc_sans) != SQLITE_OK ||
	    ledger_bind_text(st, 5, lc->lc_key_fp) != SQLITE_OK ||
	    ledger_bind_text(st, 6, lc->lc_profile) != SQLITE_OK ||
	    ledger_bind_text(st, 7, lc->lc_requester) != SQLITE_OK ||
	    ledger_bind_text(st, 8, lc->lc_dir_ids) != SQLITE_OK ||
	    ledger_bind_text(st, 9, lc->lc_txid) != SQLITE_OK ||
	    ledger_bind_text(st, 10, lc->lc_csr_hash) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 11, lc->lc_not_before) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 12, lc->lc_not_after) != SQLITE_OK ||
	    ledger_bind_text(st, 13, lc->lc_status) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 14, lc->lc_rev_time) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 15, lc->lc_rev_reason) != SQLITE_OK ||
	    sqlite3_bind_blob64(st, 16, lc->lc_der, lc->lc_derlen,
	    SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		ledger_sqlerr(l, "insert certificate");
		goto out;
	}
	rc = 0;
 out:
	sqlite3_finalize(st);
	return rc;
}

/* Writes back what a status event changes: status and revocation. */
static int
cert_update(struct ledger *l, const struct ledger_cert *lc)
{
	sqlite3_stmt	*st = NULL;
	int		 rc = -1;

	if (ledger_prepare(l, "UPDATE certs SET status = ?1, rev_time = ?2,"
	    " rev_reason = ?3 WHERE serial = ?4", &st) == -1)
		goto out;
	if (ledger_bind_text(st, 1, lc->lc_status) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, lc->lc_rev_time) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, lc->lc_rev_reason) != SQLITE_OK ||
	    ledger_bind_text(st, 4, lc->lc_serial) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		ledger_sqlerr(l, "update certificate");
		goto out;
	}
	rc = 0;
 out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * The row an issued event creates: DER fields from ledger_cert_fields(),
 * the rest from the event.  -1 with why if the DER does not fit.
 */
int
ledger_cert_expect(const struct ledger_event *ev, struct ledger_cert *lc,
    char *why, size_t whylen)
{
	memset(lc, 0, sizeof(*lc));
	if (ledger_cert_fields(ev->ev_der, ev->ev_derlen, lc) == -1) {
		snprintf(why, whylen, "its certificate cannot be parsed");
		goto fail;
	}
	if (ev->ev_serial == NULL || strcmp(ev->ev_serial, lc->lc_serial)) {
		snprintf(why, whylen, "the certificate's serial is %s",
		    lc->lc_serial);
		goto fail;
	}
	lc->lc_ca_id = (uint32_t)ev->ev_ca_id;
	lc->lc_rev_reason = -1;
	if ((lc->lc_profile = strdup_empty(ev->ev_profile)) == NULL ||
	    (lc->lc_requester = strdup_empty(ev->ev_requester)) == NULL ||
	    (lc->lc_dir_ids = strdup_empty(ev->ev_dir_ids)) == NULL ||
	    (lc->lc_txid = strdup_empty(ev->ev_txid)) == NULL ||
	    (lc->lc_csr_hash = strdup_empty(ev->ev_csr_hash)) == NULL ||
	    (lc->lc_status = strdup(ST_VALID)) == NULL ||
	    (lc->lc_der = malloc(ev->ev_derlen)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	memcpy(lc->lc_der, ev->ev_der, ev->ev_derlen);
	lc->lc_derlen = ev->ev_derlen;
	return 0;
 fail:
	ledger_cert_free(lc);
	return -1;
}

/*
 * Applies a status event to a row: 0 applied, 1 if the event is not
 * allowed from the row's status (nothing changed), -1 out of memory.
 */
int
ledger_cert_apply(struct ledger_cert *lc, const struct ledger_event *ev)
{
	const struct transition	*t = NULL;
	char			*to;
	size_t			 i, j;

	for (i = 0; i < nitems(transitions) && t == NULL; i++)
		if (strcmp(transitions[i].t_kind, ev->ev_kind) == 0)
			t = &transitions[i];
	if (t == NULL)
		return 1;
	for (j = 0; j < nitems(t->t_from) && t->t_from[j] != NULL; j++)
		if (strcmp(t->t_from[j], lc->lc_status) == 0)
			break;
	if (j == nitems(t->t_from) || t->t_from[j] == NULL)
		return 1;
	if ((to = strdup(t->t_to)) == NULL)
		return -1;
	free(lc->lc_status);
	lc->lc_status = to;
	if (strcmp(to, ST_REVOKED) == 0 || strcmp(to, ST_HOLD) == 0) {
		lc->lc_rev_time = ev->ev_rev_time;
		lc->lc_rev_reason = (int)ev->ev_reason;
	} else if (strcmp(to, ST_VALID) == 0) {
		lc->lc_rev_time = 0;
		lc->lc_rev_reason = -1;
	}
	return 0;
}

int
ledger_ca_install(struct ledger *l, uint32_t ca_id, const char *role,
    const uint8_t *der, size_t derlen)
{
	struct ledger_event	 ev;
	const uint8_t		*p = der;
	X509			*x = NULL;

	if (role == NULL || (strcmp(role, ROLE_CA) && strcmp(role, ROLE_RA) &&
	    strcmp(role, ROLE_OCSP) && strcmp(role, ROLE_ROOT)))
		return ledger_seterr(l, "unknown CA role");
	if (der == NULL || derlen == 0 || derlen > INT32_MAX ||
	    (x = d2i_X509(NULL, &p, (long)derlen)) == NULL ||
	    p != der + derlen) {
		X509_free(x);
		return ledger_seterr(l, "%s certificate: not DER X.509", role);
	}
	X509_free(x);
	memset(&ev, 0, sizeof(ev));
	ev.ev_ca_id = ca_id;
	ev.ev_kind = EV_CA_INSTALLED;
	ev.ev_profile = role;
	ev.ev_der = der;
	ev.ev_derlen = derlen;
	return event_write(l, &ev);
}

/* Records a signed CRL (der) for ca_id. */
int
ledger_crl(struct ledger *l, uint32_t ca_id, const uint8_t *der,
    size_t derlen)
{
	struct ledger_event	 ev;
	const uint8_t		*p = der;
	X509_CRL		*crl = NULL;

	if (der == NULL || derlen == 0 || derlen > INT32_MAX ||
	    (crl = d2i_X509_CRL(NULL, &p, (long)derlen)) == NULL ||
	    p != der + derlen) {
		X509_CRL_free(crl);
		return ledger_seterr(l, "CRL: not DER");
	}
	X509_CRL_free(crl);
	memset(&ev, 0, sizeof(ev));
	ev.ev_ca_id = ca_id;
	ev.ev_kind = EV_CRL;
	ev.ev_der = der;
	ev.ev_derlen = derlen;
	return event_write(l, &ev);
}

/* Reserves serial: refused if the ledger has seen it in any form. */
int
ledger_signing(struct ledger *l, uint32_t ca_id, const char *serial,
    const char *profile, const char *owner)
{
	struct ledger_event	 ev;
	int			 r, rc = -1;

	if (!ledger_serial_ok(serial) || profile == NULL || owner == NULL)
		return ledger_seterr(l, "signing: bad serial, profile or "
		    "owner");
	memset(&ev, 0, sizeof(ev));
	ev.ev_ca_id = ca_id;
	ev.ev_kind = EV_SIGNING;
	ev.ev_serial = serial;
	ev.ev_profile = profile;
	ev.ev_owner = owner;
	if (ledger_begin(l) == -1)
		return -1;
	if ((r = ledger_serial_exists(l, serial)) != 0) {
		if (r == 1)
			ledger_seterr(l, "serial %s is already in the ledger",
			    serial);
		goto out;
	}
	if (event_append(l, &ev) == -1 || ledger_commit(l) == -1)
		goto out;
	rc = 0;
 out:
	if (rc != 0)
		ledger_rollback(l);
	return rc;
}

/* Only a serial with a signing event and nothing after it may issue. */
static int
issue_allowed(struct ledger *l, const struct ledger_issue *li)
{
	struct serial_state	 ss;

	if (serial_state(l, li->li_ca_id, li->li_serial, &ss) == -1)
		return -1;
	if (ss.ss_rows > 0)
		return ledger_seterr(l, "serial %s already has a certificate",
		    li->li_serial);
	if (ss.ss_signing == 0)
		return ledger_seterr(l, "serial %s has no signing event for "
		    "CA %u", li->li_serial, li->li_ca_id);
	if (ss.ss_done > 0)
		return ledger_seterr(l, "serial %s was issued or abandoned "
		    "before", li->li_serial);
	return 0;
}

int
ledger_issued(struct ledger *l, const struct ledger_issue *li)
{
	struct ledger_event	 ev, wh;
	struct ledger_cert	 lc;
	char			 why[128];
	int			 rc = -1;

	if (!ledger_serial_ok(li->li_serial) || li->li_profile == NULL)
		return ledger_seterr(l, "issued: bad serial or profile");
	memset(&ev, 0, sizeof(ev));
	ev.ev_ca_id = li->li_ca_id;
	ev.ev_kind = EV_ISSUED;
	ev.ev_serial = li->li_serial;
	ev.ev_profile = li->li_profile;
	ev.ev_txid = li->li_txid == NULL ? "" : li->li_txid;
	ev.ev_csr_hash = li->li_csr_hash == NULL ? "" : li->li_csr_hash;
	ev.ev_requester = li->li_requester == NULL ? "" : li->li_requester;
	ev.ev_dir_ids = li->li_dir_ids == NULL ? "" : li->li_dir_ids;
	ev.ev_der = li->li_der;
	ev.ev_derlen = li->li_derlen;
	if (ledger_cert_expect(&ev, &lc, why, sizeof(why)) == -1)
		return ledger_seterr(l, "issued %s: %s", li->li_serial, why);
	memset(&wh, 0, sizeof(wh));
	wh.ev_ca_id = li->li_ca_id;
	wh.ev_kind = EV_WITHHELD;
	wh.ev_serial = li->li_serial;
	if (ledger_begin(l) == -1)
		goto out;
	if (issue_allowed(l, li) == -1 || event_append(l, &ev) == -1)
		goto out;
	if (li->li_withheld && ledger_cert_apply(&lc, &wh) != 0) {
		ledger_seterr(l, "out of memory");
		goto out;
	}
	if (li->li_withheld && event_append(l, &wh) == -1)
		goto out;
	if (cert_insert(l, &lc) == -1 || ledger_commit(l) == -1)
		goto out;
	rc = 0;
 out:
	if (rc != 0)
		ledger_rollback(l);
	ledger_cert_free(&lc);
	return rc;
}

/*
 * Appends a status event for an existing certificate of ca_id: 0 done,
 * 1 no such certificate, 2 not allowed from its status (nothing written).
 */
static int
status_event(struct ledger *l, uint32_t ca_id, const char *serial,
    const char *kind, int reason, int64_t when)
{
	struct ledger_event	 ev;
	struct ledger_cert	 lc;
	int			 r, rc = -1;

	memset(&lc, 0, sizeof(lc));
	memset(&ev, 0, sizeof(ev));
	ev.ev_ca_id = ca_id;
	ev.ev_kind = kind;
	ev.ev_serial = serial;
	ev.ev_has_reason = ev.ev_has_rev_time = reason >= 0;
	ev.ev_reason = reason;
	ev.ev_rev_time = when;
	if (serial == NULL)
		return ledger_seterr(l, "no serial");
	if (ledger_begin(l) == -1)
		return -1;
	if ((r = ledger_cert_get(l, serial, &lc)) != 0 || lc.lc_ca_id != ca_id) {
		rc = r == -1 ? -1 : 1;
		if (rc == 1)
			ledger_seterr(l, "no certificate %s for CA %u", serial,
			    ca_id);
		goto out;
	}
	if ((r = ledger_cert_apply(&lc, &ev)) != 0) {
		rc = r == 1 ? 2 : ledger_seterr(l, "out of memory");
		if (rc == 2)
			ledger_seterr(l, "certificate %s is %s: cannot apply "
			    "%s", serial, lc.lc_status, kind);
		goto out;
	}
	if (event_append(l, &ev) == -1 || cert_update(l, &lc) == -1 ||
	    ledger_commit(l) == -1)
		goto out;
	rc = 0;
 out:
	if (rc != 0)
		ledger_rollback(l);
	ledger_cert_free(&lc);
	return rc;
}

int
ledger_revoke(struct ledger *l, uint32_t ca_id, const char *serial,
    int reason, int64_t when)
{
	if (reason_name(reason) == NULL || reason == 8)
		return ledger_seterr(l, "revocation reason %d not allowed",
		    reason);
	if (when == 0)
		when = (int64_t)time(NULL);
	return status_event(l, ca_id, serial, reason == 6 ? EV_HOLD :
	    EV_REVOKED, reason, when);
}

int
ledger_unhold(struct ledger *l, uint32_t ca_id, const char *serial)
{
	return status_event(l, ca_id, serial, EV_UNHOLD, -1, 0);
}

int
ledger_release(struct ledger *l, uint32_t ca_id, const char *serial)
{
	return status_event(l, ca_id, serial, EV_RELEASED, -1, 0);
}

/* Marks a reserved serial that will never be issued (signing failed). */
int
ledger_abandon(struct ledger *l, uint32_t ca_id, const char *serial)
{
	struct ledger_event	 ev;
	struct serial_state	 ss;
	int			 rc = -1;

	if (!ledger_serial_ok(serial))
		return ledger_seterr(l, "abandon: bad serial");
	memset(&ev, 0, sizeof(ev));
	ev.ev_ca_id = ca_id;
	ev.ev_kind = EV_ABANDONED;
	ev.ev_serial = serial;
	if (ledger_begin(l) == -1)
		return -1;
	if (serial_state(l, ca_id, serial, &ss) == -1)
		goto out;
	if (ss.ss_signing == 0 || ss.ss_done > 0 || ss.ss_rows > 0) {
		rc = 1;
		ledger_seterr(l, "serial %s has no pending signing", serial);
		goto out;
	}
	if (event_append(l, &ev) == -1 || ledger_commit(l) == -1)
		goto out;
	rc = 0;
 out:
	if (rc != 0)
		ledger_rollback(l);
	return rc;
}

static void
orphans_free(struct orphan *o, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(o[i].o_serial);
		free(o[i].o_owner);
	}
	free(o);
}

/* Collects the pending signings first: the sweep appends while it runs. */
static int
orphans_load(struct ledger *l, struct orphan **op, size_t *np)
{
	sqlite3_stmt	*st = NULL;
	struct orphan	*o;
	int		 r, rc = -1;

	if (ledger_prepare(l, "SELECT s.ca_id, s.serial, s.owner FROM events s"
	    " WHERE s.kind = ?1 AND s.serial IS NOT NULL AND NOT EXISTS"
	    " (SELECT 1 FROM events e WHERE e.serial = s.serial"
	    " AND e.kind IN (?2, ?3)) ORDER BY s.id", &st) == -1)
		goto out;
	if (ledger_bind_text(st, 1, EV_SIGNING) != SQLITE_OK ||
	    ledger_bind_text(st, 2, EV_ISSUED) != SQLITE_OK ||
	    ledger_bind_text(st, 3, EV_ABANDONED) != SQLITE_OK)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((o = reallocarray(*op, *np + 1, sizeof(*o))) == NULL)
			goto out;
		*op = o;
		o += (*np)++;
		o->o_ca_id = sqlite3_column_int64(st, 0);
		o->o_serial = strdup_empty((const char *)
		    sqlite3_column_text(st, 1));
		o->o_owner = strdup_empty((const char *)
		    sqlite3_column_text(st, 2));
		if (o->o_serial == NULL || o->o_owner == NULL)
			goto out;
	}
	if (r == SQLITE_DONE)
		rc = 0;
 out:
	if (rc == -1)
		ledger_sqlerr(l, "pending signings");
	sqlite3_finalize(st);
	return rc;
}

int
ledger_abandon_orphans(struct ledger *l, int (*alive)(const char *))
{
	struct ledger_event	 ev;
	struct orphan		*o = NULL;
	size_t			 i, n = 0;
	int			 rc = -1;

	if (ledger_begin(l) == -1)
		return -1;
	if (orphans_load(l, &o, &n) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (alive(o[i].o_owner) != 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.ev_ca_id = o[i].o_ca_id;
		ev.ev_kind = EV_ABANDONED;
		ev.ev_serial = o[i].o_serial;
		ev.ev_owner = o[i].o_owner;
		if (event_append(l, &ev) == -1)
			goto out;
		log_info("ledger: serial %s abandoned (owner %s is gone)",
		    o[i].o_serial, o[i].o_owner);
	}
	if (ledger_commit(l) == -1)
		goto out;
	rc = 0;
 out:
	if (rc != 0)
		ledger_rollback(l);
	orphans_free(o, n);
	return rc;
}
