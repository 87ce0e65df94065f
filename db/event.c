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

static void	 event_init(struct ledger_event *, int64_t, const char *,
		    const char *);
static int	 event_insert(struct ledger *, const struct ledger_event *);
static int	 event_append(struct ledger *, struct ledger_event *);
static int	 event_write(struct ledger *, struct ledger_event *);
static int	 der_is(const uint8_t *, size_t, const ASN1_ITEM *);
static int	 serial_state(struct ledger *, uint32_t, const char *,
		    struct serial_state *);
static int	 cert_insert(struct ledger *, const struct ledger_cert *);
static int	 cert_update(struct ledger *, const struct ledger_cert *);
static int	 status_event(struct ledger *, uint32_t, const char *,
		    const char *, int, int64_t);
static int	 issue_allowed(struct ledger *, const struct ledger_issue *);
static int	 issue_write(struct ledger *, const struct ledger_issue *,
		    struct ledger_event *, struct ledger_cert *);
static char	*strdup_empty(const char *);
static void	 orphans_free(struct orphan *, size_t);
static int	 orphans_load(struct ledger *, struct orphan **, size_t *);

static char *
strdup_empty(const char *s)
{
	return strdup(s == NULL ? "" : s);
}

/* A blank event of kind for ca_id; serial may be NULL. */
static void
event_init(struct ledger_event *ev, int64_t ca_id, const char *kind,
    const char *serial)
{
	memset(ev, 0, sizeof(*ev));
	ev->ev_ca_id = ca_id;
	ev->ev_kind = kind;
	ev->ev_serial = serial;
}

static int
event_insert(struct ledger *l, const struct ledger_event *ev)
{
	const struct ledger_arg	 a[] = {
		LA_INT(ev->ev_id), LA_INT(ev->ev_ts), LA_INT(ev->ev_ca_id),
		LA_TEXT(ev->ev_kind), LA_TEXT(ev->ev_serial),
		LA_TEXT(ev->ev_profile), LA_TEXT(ev->ev_txid),
		LA_TEXT(ev->ev_csr_hash), LA_TEXT(ev->ev_requester),
		LA_TEXT(ev->ev_dir_ids),
		LA_INT_IF(ev->ev_has_reason, ev->ev_reason),
		LA_INT_IF(ev->ev_has_rev_time, ev->ev_rev_time),
		LA_TEXT(ev->ev_owner), LA_BLOB(ev->ev_der, ev->ev_derlen),
		LA_BLOB(ev->ev_prev, LEDGER_HASH_LEN),
		LA_BLOB(ev->ev_hash, LEDGER_HASH_LEN),
	};

	return ledger_run(l, "insert event", "INSERT INTO events ("
	    EVENT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	    " ?10, ?11, ?12, ?13, ?14, ?15, ?16)", a, nitems(a));
}

/* Chains ev after the head; the caller holds the write transaction. */
static int
event_append(struct ledger *l, struct ledger_event *ev)
{
	if (ledger_head(l, &ev->ev_id, ev->ev_prev) == -1)
		return -1;
	ev->ev_id++;
	if (ev->ev_ts == 0)
		ev->ev_ts = (int64_t)time(NULL);
	if (ledger_event_hash(ev, ev->ev_hash) == -1)
		return ledger_seterr(l, "cannot hash event %lld",
		    (long long)ev->ev_id);
	return event_insert(l, ev);
}

/* One event in its own transaction. */
static int
event_write(struct ledger *l, struct ledger_event *ev)
{
	if (ledger_begin(l) == -1)
		return -1;
	return ledger_end(l, event_append(l, ev));
}

/* 1 if der is exactly one DER item of type it (certificate, CRL). */
static int
der_is(const uint8_t *der, size_t derlen, const ASN1_ITEM *it)
{
	const uint8_t	*p = der;
	ASN1_VALUE	*v;
	int		 ok;

	if (der == NULL || derlen == 0 || derlen > INT32_MAX)
		return 0;
	v = ASN1_item_d2i(NULL, &p, (long)derlen, it);
	ok = v != NULL && p == der + derlen;
	ASN1_item_free(v, it);
	return ok;
}

static int
serial_state(struct ledger *l, uint32_t ca_id, const char *serial,
    struct serial_state *ss)
{
	const struct ledger_arg	 a[] = { LA_TEXT(serial), LA_TEXT(EV_SIGNING),
	    LA_INT(ca_id), LA_TEXT(EV_ISSUED), LA_TEXT(EV_ABANDONED) };
	int64_t			 v[3];

	/*
	 * By serial: left to itself, SQLite picks events_kind (two equal
	 * columns) and reads every signing event of the CA on each issue.
	 */
	if (ledger_ints(l, "serial state", "SELECT"
	    " (SELECT count(*) FROM certs WHERE serial = ?1),"
	    " (SELECT count(*) FROM events INDEXED BY events_serial"
	    "  WHERE serial = ?1 AND kind = ?2 AND ca_id = ?3),"
	    " (SELECT count(*) FROM events INDEXED BY events_serial"
	    "  WHERE serial = ?1 AND kind IN (?4, ?5))", a, nitems(a), v,
	    nitems(v)) == -1)
		return -1;
	ss->ss_rows = v[0];
	ss->ss_signing = v[1];
	ss->ss_done = v[2];
	return 0;
}

static int
cert_insert(struct ledger *l, const struct ledger_cert *lc)
{
	const struct ledger_arg	 a[] = {
		LA_INT(lc->lc_ca_id), LA_TEXT(lc->lc_serial),
		LA_TEXT(lc->lc_subject), LA_TEXT(lc->lc_sans),
		LA_TEXT(lc->lc_key_fp), LA_TEXT(lc->lc_profile),
		LA_TEXT(lc->lc_requester), LA_TEXT(lc->lc_dir_ids),
		LA_TEXT(lc->lc_txid), LA_TEXT(lc->lc_csr_hash),
		LA_INT(lc->lc_not_before), LA_INT(lc->lc_not_after),
		LA_TEXT(lc->lc_status), LA_INT(lc->lc_rev_time),
		LA_INT(lc->lc_rev_reason), LA_BLOB(lc->lc_der, lc->lc_derlen),
	};

	return ledger_run(l, "insert certificate", "INSERT INTO certs ("
	    CERT_FIELDS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?11, ?12, ?13, ?14, ?15, ?16)", a, nitems(a));
}

/* Writes back what a status event changes: status and revocation. */
static int
cert_update(struct ledger *l, const struct ledger_cert *lc)
{
	const struct ledger_arg	 a[] = { LA_TEXT(lc->lc_status),
	    LA_INT(lc->lc_rev_time), LA_INT(lc->lc_rev_reason),
	    LA_TEXT(lc->lc_serial) };

	return ledger_run(l, "update certificate", "UPDATE certs SET"
	    " status = ?1, rev_time = ?2, rev_reason = ?3 WHERE serial = ?4",
	    a, nitems(a));
}

/*
 * The row an issued event creates: DER fields from ledger_cert_fields(),
 * the rest from the event.  x is the event's DER decoded, if the caller
 * has it (the issuer), else NULL (replay).  -1 with why if the DER does
 * not fit.
 */
int
ledger_cert_expect(const struct ledger_event *ev, X509 *x,
    struct ledger_cert *lc, char *why, size_t whylen)
{
	memset(lc, 0, sizeof(*lc));
	if ((x != NULL ? ledger_cert_fields_x509(x, lc) :
	    ledger_cert_fields(ev->ev_der, ev->ev_derlen, lc)) == -1) {
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

	if (role == NULL || (strcmp(role, ROLE_CA) && strcmp(role, ROLE_RA) &&
	    strcmp(role, ROLE_OCSP) && strcmp(role, ROLE_ROOT) &&
	    strcmp(role, ROLE_INTUNE)))
		return ledger_seterr(l, "unknown CA role");
	if (!der_is(der, derlen, ASN1_ITEM_rptr(X509)))
		return ledger_seterr(l, "%s certificate: not DER X.509", role);
	event_init(&ev, ca_id, EV_CA_INSTALLED, NULL);
	ev.ev_profile = role;
	ev.ev_der = der;
	ev.ev_derlen = derlen;
	return event_write(l, &ev);
}

/* Records a signed CRL (der) for ca_id, under ledger_locked(). */
int
ledger_crl(struct ledger *l, uint32_t ca_id, const uint8_t *der,
    size_t derlen)
{
	struct ledger_event	 ev;

	if (ledger_in_lock(l, "CRL") == -1)
		return -1;
	if (!der_is(der, derlen, ASN1_ITEM_rptr(X509_CRL)))
		return ledger_seterr(l, "CRL: not DER");
	event_init(&ev, ca_id, EV_CRL, NULL);
	ev.ev_der = der;
	ev.ev_derlen = derlen;
	return event_append(l, &ev);
}

/*
 * 1 if txid already has a certificate of ca_id or a signing in progress,
 * read under the write lock so that two resends cannot both sign.
 */
static int
txid_taken(struct ledger *l, uint32_t ca_id, const char *txid)
{
	const struct ledger_arg	 a[] = { LA_INT(ca_id), LA_TEXT(txid),
	    LA_TEXT(EV_SIGNING), LA_TEXT(EV_ISSUED), LA_TEXT(EV_ABANDONED) };
	int64_t			 n;

	if (txid == NULL || txid[0] == '\0')
		return 0;
	if (ledger_ints(l, "txid", "SELECT (SELECT count(*) FROM certs"
	    " WHERE ca_id = ?1 AND txid = ?2) + (SELECT count(*) FROM events s"
	    " INDEXED BY events_txid WHERE s.kind = ?3 AND s.ca_id = ?1 AND"
	    " s.txid = ?2 AND NOT EXISTS (SELECT 1 FROM events d INDEXED BY"
	    " events_serial WHERE d.serial = s.serial AND d.kind IN (?4, ?5)))",
	    a, nitems(a), &n, 1) == -1)
		return -1;
	return n > 0;
}

/* Reserves serial: refused if the ledger has seen it in any form. */
int
ledger_signing(struct ledger *l, uint32_t ca_id, const char *serial,
    const char *profile, const char *owner)
{
	return ledger_signing_txid(l, ca_id, serial, profile, owner, NULL,
	    NULL);
}

int
ledger_signing_txid(struct ledger *l, uint32_t ca_id, const char *serial,
    const char *profile, const char *owner, const char *txid,
    const char *csr_hash)
{
	struct ledger_event	 ev;
	int			 r;

	if (!ledger_serial_ok(serial) || profile == NULL || owner == NULL)
		return ledger_seterr(l, "signing: bad serial, profile or "
		    "owner");
	event_init(&ev, ca_id, EV_SIGNING, serial);
	ev.ev_profile = profile;
	ev.ev_owner = owner;
	ev.ev_txid = txid;
	ev.ev_csr_hash = csr_hash;
	if (ledger_begin(l) == -1)
		return -1;
	if ((r = txid_taken(l, ca_id, txid)) == 1)
		return ledger_end(l, 1);
	if (r == 0 && (r = ledger_serial_exists(l, serial)) == 1)
		r = ledger_seterr(l, "serial %s is already in the ledger",
		    serial);
	return ledger_end(l, r == 0 ? event_append(l, &ev) : -1);
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

/* The events and the row of an issuance, under the write transaction. */
static int
issue_write(struct ledger *l, const struct ledger_issue *li,
    struct ledger_event *ev, struct ledger_cert *lc)
{
	struct ledger_event	 wh;

	if (issue_allowed(l, li) == -1 || event_append(l, ev) == -1)
		return -1;
	if (li->li_withheld) {
		event_init(&wh, li->li_ca_id, EV_WITHHELD, li->li_serial);
		if (ledger_cert_apply(lc, &wh) != 0)
			return ledger_seterr(l, "out of memory");
		if (event_append(l, &wh) == -1)
			return -1;
	}
	return cert_insert(l, lc);
}

int
ledger_issued(struct ledger *l, const struct ledger_issue *li)
{
	struct ledger_event	 ev;
	struct ledger_cert	 lc;
	char			 why[128];
	int			 rc;

	if (!ledger_serial_ok(li->li_serial) || li->li_profile == NULL)
		return ledger_seterr(l, "issued: bad serial or profile");
	event_init(&ev, li->li_ca_id, EV_ISSUED, li->li_serial);
	ev.ev_profile = li->li_profile;
	ev.ev_txid = li->li_txid == NULL ? "" : li->li_txid;
	ev.ev_csr_hash = li->li_csr_hash == NULL ? "" : li->li_csr_hash;
	ev.ev_requester = li->li_requester == NULL ? "" : li->li_requester;
	ev.ev_dir_ids = li->li_dir_ids == NULL ? "" : li->li_dir_ids;
	ev.ev_der = li->li_der;
	ev.ev_derlen = li->li_derlen;
	if (ledger_cert_expect(&ev, li->li_cert, &lc, why, sizeof(why)) == -1)
		return ledger_seterr(l, "issued %s: %s", li->li_serial, why);
	if ((rc = ledger_begin(l)) == 0)
		rc = ledger_end(l, issue_write(l, li, &ev, &lc));
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
	event_init(&ev, ca_id, kind, serial);
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
	if (event_append(l, &ev) == -1 || cert_update(l, &lc) == -1)
		goto out;
	rc = 0;
 out:
	rc = ledger_end(l, rc);
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
	event_init(&ev, ca_id, EV_ABANDONED, serial);
	if (ledger_begin(l) == -1)
		return -1;
	if (serial_state(l, ca_id, serial, &ss) == -1)
		goto out;
	if (ss.ss_signing == 0 || ss.ss_done > 0 || ss.ss_rows > 0) {
		rc = 1;
		ledger_seterr(l, "serial %s has no pending signing", serial);
		goto out;
	}
	rc = event_append(l, &ev);
 out:
	return ledger_end(l, rc);
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
	const struct ledger_arg	 a[] = { LA_TEXT(EV_SIGNING),
	    LA_TEXT(EV_ISSUED), LA_TEXT(EV_ABANDONED) };
	sqlite3_stmt		*st = NULL;
	struct orphan		*o;
	int			 r, rc = -1;

	if (ledger_query(l, "pending signings", "SELECT s.ca_id, s.serial,"
	    " s.owner FROM events s WHERE s.kind = ?1 AND s.serial IS NOT NULL"
	    " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.serial = s.serial"
	    " AND e.kind IN (?2, ?3)) ORDER BY s.id", a, nitems(a), &st) == -1)
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
	ledger_done(l, st);
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
		event_init(&ev, o[i].o_ca_id, EV_ABANDONED, o[i].o_serial);
		ev.ev_owner = o[i].o_owner;
		if (event_append(l, &ev) == -1)
			goto out;
		log_info("ledger: serial %s abandoned (owner %s is gone)",
		    o[i].o_serial, o[i].o_owner);
	}
	rc = 0;
 out:
	rc = ledger_end(l, rc);
	orphans_free(o, n);
	return rc;
}
