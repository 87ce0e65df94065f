/*
 * verify.c: ledger_verify(), what `keywardctl ledger verify` runs.
 *
 * In one read snapshot: recompute the hash chain from the first event,
 * check each checkpoint against the chain and against the CA certificate
 * installed (in the chain, before it) for its CA, then replay the events
 * of every certificate and compare the result with its row, column by
 * column.  The first disagreement is named and 1 returned.
 *
 * XXX events after the last checkpoint are protected by the chain only:
 * whoever can write the file can append (or truncate back to the last
 * checkpoint) and recompute the hashes.  Checkpoint often.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ledger_int.h"

/* A checkpoint as stored. */
struct vcp {
	int64_t		 cp_id;
	int64_t		 cp_ca_id;
	int64_t		 cp_event;
	uint8_t		 cp_hash[LEDGER_HASH_LEN];
	uint8_t		*cp_sig;
	size_t		 cp_siglen;
};

/* The newest "ca" certificate of one CA seen so far in the chain. */
struct vca {
	int64_t		 ca_id;
	uint8_t		*ca_der;
	size_t		 ca_derlen;
};

/* A certificate's lifecycle while its events are replayed. */
struct replay {
	int64_t		 rp_signing_ca;	/* -1 until a signing event */
	int		 rp_abandoned;
	int		 rp_issued;
};

struct verify {
	struct ledger	*v_l;
	char		*v_err;
	size_t		 v_errlen;
	struct vcp	*v_cps;		/* ordered by event, then id */
	size_t		 v_ncps;
	size_t		 v_next;	/* first checkpoint not yet checked */
	struct vca	*v_cas;
	size_t		 v_ncas;
	int64_t		 v_id;		/* last event whose hash was checked */
	uint8_t		 v_hash[LEDGER_HASH_LEN];
};

/* EVENT_COLUMNS: name, storage type, and whether NULL is allowed. */
static const struct {
	const char	*ec_name;
	int		 ec_type;
	int		 ec_null;
} event_cols[EVENT_NCOLUMNS] = {
	{ "id", SQLITE_INTEGER, 0 },	{ "ts", SQLITE_INTEGER, 0 },
	{ "ca_id", SQLITE_INTEGER, 0 },	{ "kind", SQLITE_TEXT, 0 },
	{ "serial", SQLITE_TEXT, 1 },	{ "profile", SQLITE_TEXT, 1 },
	{ "txid", SQLITE_TEXT, 1 },	{ "csr_hash", SQLITE_TEXT, 1 },
	{ "requester", SQLITE_TEXT, 1 }, { "dir_ids", SQLITE_TEXT, 1 },
	{ "reason", SQLITE_INTEGER, 1 }, { "rev_time", SQLITE_INTEGER, 1 },
	{ "owner", SQLITE_TEXT, 1 },	{ "der", SQLITE_BLOB, 1 },
	{ "prev", SQLITE_BLOB, 0 },	{ "hash", SQLITE_BLOB, 0 },
};

static const char *const kinds[] = { EV_CA_INSTALLED, EV_SIGNING,
	EV_ISSUED, EV_WITHHELD, EV_RELEASED, EV_REVOKED, EV_HOLD, EV_UNHOLD,
	EV_ABANDONED, EV_CRL };

static int	 vfail(struct verify *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 verr(struct verify *);
static int	 vnomem(struct verify *);
static void	 event_name(const struct ledger_event *, char *, size_t);
static int	 event_texts(struct verify *, sqlite3_stmt *,
		    struct ledger_event *);
static int	 event_load(struct verify *, sqlite3_stmt *,
		    struct ledger_event *);
static int	 checkpoint_add(struct verify *, sqlite3_stmt *);
static int	 checkpoints_load(struct verify *);
static int	 checkpoints_at(struct verify *);
static struct vca *ca_find(struct verify *, int64_t);
static int	 ca_track(struct verify *, const struct ledger_event *);
static int	 chain_step(struct verify *, const struct ledger_event *);
static int	 verify_chain(struct verify *);
static int	 replay_event(struct verify *, const struct ledger_event *,
		    struct ledger_cert *, struct replay *);
static int	 replay_serial(struct verify *, sqlite3_stmt *, const char *,
		    struct ledger_cert *);
static int	 cmp_str(struct verify *, const char *, const char *,
		    const char *, const char *);
static int	 cmp_int(struct verify *, const char *, const char *, int64_t,
		    int64_t);
static int	 cert_compare(struct verify *, const struct ledger_cert *,
		    const struct ledger_cert *);
static int	 verify_certs(struct verify *);
static int	 verify_first(struct verify *, const char *,
		    const struct ledger_arg *, size_t, int64_t *, char *,
		    char *);
static int	 verify_rows(struct verify *);
static void	 verify_free(struct verify *);

/* Names the first disagreement; returns 1. */
static int
vfail(struct verify *v, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(v->v_err, v->v_errlen, fmt, ap);
	va_end(ap);
	return 1;
}

/* Verification could not run (SQLite, memory); returns -1. */
static int
verr(struct verify *v)
{
	snprintf(v->v_err, v->v_errlen, "%s", v->v_l->l_err);
	return -1;
}

static int
vnomem(struct verify *v)
{
	ledger_seterr(v->v_l, "out of memory");
	return verr(v);
}

/* "event 17 (issued 0A1B...)" or "event 3 (ca-installed)". */
static void
event_name(const struct ledger_event *ev, char *buf, size_t len)
{
	snprintf(buf, len, "event %lld (%s%s%s)", (long long)ev->ev_id,
	    ev->ev_kind == NULL ? "?" : ev->ev_kind,
	    ev->ev_serial == NULL ? "" : " ",
	    ev->ev_serial == NULL ? "" : ev->ev_serial);
}

/* The text columns: pointers into the row, refusing embedded NULs. */
static int
event_texts(struct verify *v, sqlite3_stmt *st, struct ledger_event *ev)
{
	const struct {
		int		 col;
		const char	**dst;
	} texts[] = {
		{ 3, &ev->ev_kind },		{ 4, &ev->ev_serial },
		{ 5, &ev->ev_profile },		{ 6, &ev->ev_txid },
		{ 7, &ev->ev_csr_hash },	{ 8, &ev->ev_requester },
		{ 9, &ev->ev_dir_ids },		{ 12, &ev->ev_owner },
	};
	const char	*s;
	size_t		 i;

	for (i = 0; i < nitems(texts); i++) {
		if (sqlite3_column_type(st, texts[i].col) == SQLITE_NULL)
			continue;
		if ((s = (const char *)sqlite3_column_text(st,
		    texts[i].col)) == NULL)
			return vnomem(v);
		if (strlen(s) != (size_t)sqlite3_column_bytes(st, texts[i].col))
			return vfail(v, "event %lld: column %s holds a NUL "
			    "byte", (long long)ev->ev_id,
			    event_cols[texts[i].col].ec_name);
		*texts[i].dst = s;
	}
	return 0;
}

/* Reads a row selected with EVENT_COLUMNS: 0, 1 if malformed, -1. */
static int
event_load(struct verify *v, sqlite3_stmt *st, struct ledger_event *ev)
{
	size_t	 i;
	int	 t;

	memset(ev, 0, sizeof(*ev));
	ev->ev_id = sqlite3_column_int64(st, 0);
	for (i = 0; i < nitems(event_cols); i++) {
		t = sqlite3_column_type(st, (int)i);
		if (t != event_cols[i].ec_type &&
		    (t != SQLITE_NULL || !event_cols[i].ec_null))
			return vfail(v, "event %lld: column %s has the wrong "
			    "type", (long long)ev->ev_id, event_cols[i].ec_name);
	}
	if (sqlite3_column_bytes(st, 14) != LEDGER_HASH_LEN ||
	    sqlite3_column_bytes(st, 15) != LEDGER_HASH_LEN)
		return vfail(v, "event %lld: prev or hash is not %d bytes",
		    (long long)ev->ev_id, LEDGER_HASH_LEN);
	ev->ev_ts = sqlite3_column_int64(st, 1);
	ev->ev_ca_id = sqlite3_column_int64(st, 2);
	if (ev->ev_ca_id < 0 || ev->ev_ca_id > UINT32_MAX)
		return vfail(v, "event %lld: ca_id out of range",
		    (long long)ev->ev_id);
	ev->ev_has_reason = sqlite3_column_type(st, 10) != SQLITE_NULL;
	ev->ev_reason = sqlite3_column_int64(st, 10);
	ev->ev_has_rev_time = sqlite3_column_type(st, 11) != SQLITE_NULL;
	ev->ev_rev_time = sqlite3_column_int64(st, 11);
	if (sqlite3_column_type(st, 13) == SQLITE_BLOB) {
		ev->ev_derlen = (size_t)sqlite3_column_bytes(st, 13);
		ev->ev_der = ev->ev_derlen == 0 ? (const uint8_t *)"" :
		    sqlite3_column_blob(st, 13);
	}
	memcpy(ev->ev_prev, sqlite3_column_blob(st, 14), LEDGER_HASH_LEN);
	memcpy(ev->ev_hash, sqlite3_column_blob(st, 15), LEDGER_HASH_LEN);
	return event_texts(v, st, ev);
}

/* Copies one stored checkpoint: 0, 1 if malformed, -1. */
static int
checkpoint_add(struct verify *v, sqlite3_stmt *st)
{
	struct vcp	*cp;
	int		 i;

	for (i = 0; i < 5; i++)
		if (sqlite3_column_type(st, i) != (i < 3 ? SQLITE_INTEGER :
		    SQLITE_BLOB) || (i == 3 &&
		    sqlite3_column_bytes(st, i) != LEDGER_HASH_LEN))
			return vfail(v, "checkpoint %lld: malformed",
			    sqlite3_column_int64(st, 0));
	if ((cp = reallocarray(v->v_cps, v->v_ncps + 1, sizeof(*cp))) == NULL)
		return vnomem(v);
	v->v_cps = cp;
	cp += v->v_ncps++;
	memset(cp, 0, sizeof(*cp));
	cp->cp_id = sqlite3_column_int64(st, 0);
	cp->cp_ca_id = sqlite3_column_int64(st, 1);
	cp->cp_event = sqlite3_column_int64(st, 2);
	memcpy(cp->cp_hash, sqlite3_column_blob(st, 3), LEDGER_HASH_LEN);
	if (ledger_col_blob(st, 4, &cp->cp_sig, &cp->cp_siglen) == -1)
		return vnomem(v);
	return 0;
}

/* All checkpoints, in the order the chain will reach them. */
static int
checkpoints_load(struct verify *v)
{
	sqlite3_stmt	*st = NULL;
	int		 r, rc = 0;

	if (ledger_prepare(v->v_l, "SELECT id, ca_id, event_id, head_hash,"
	    " sig FROM checkpoints ORDER BY event_id, id", &st) == -1)
		return verr(v);
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = checkpoint_add(v, st);
	if (rc == 0 && r != SQLITE_DONE) {
		ledger_sqlerr(v->v_l, "checkpoints");
		rc = verr(v);
	}
	sqlite3_finalize(st);
	return rc;
}

static struct vca *
ca_find(struct verify *v, int64_t ca_id)
{
	size_t	 i;

	for (i = 0; i < v->v_ncas; i++)
		if (v->v_cas[i].ca_id == ca_id)
			return &v->v_cas[i];
	return NULL;
}

/* Remembers the CA certificate a checkpoint of this CA must verify with. */
static int
ca_track(struct verify *v, const struct ledger_event *ev)
{
	struct vca	*ca;
	uint8_t		*der;

	if (strcmp(ev->ev_kind, EV_CA_INSTALLED) != 0 ||
	    ev->ev_profile == NULL || strcmp(ev->ev_profile, ROLE_CA) != 0 ||
	    ev->ev_der == NULL)
		return 0;
	if ((der = malloc(ev->ev_derlen + 1)) == NULL)
		goto nomem;
	memcpy(der, ev->ev_der, ev->ev_derlen);
	if ((ca = ca_find(v, ev->ev_ca_id)) == NULL) {
		if ((ca = reallocarray(v->v_cas, v->v_ncas + 1,
		    sizeof(*ca))) == NULL) {
			free(der);
			goto nomem;
		}
		v->v_cas = ca;
		ca += v->v_ncas++;
		ca->ca_id = ev->ev_ca_id;
		ca->ca_der = NULL;
	}
	free(ca->ca_der);
	ca->ca_der = der;
	ca->ca_derlen = ev->ev_derlen;
	return 0;
 nomem:
	return vnomem(v);
}

/* Checks the checkpoints taken at the event just verified. */
static int
checkpoints_at(struct verify *v)
{
	const struct vcp	*cp;
	const struct vca	*ca;

	for (; v->v_next < v->v_ncps &&
	    v->v_cps[v->v_next].cp_event <= v->v_id; v->v_next++) {
		cp = &v->v_cps[v->v_next];
		if (cp->cp_event != v->v_id)
			return vfail(v, "checkpoint %lld: event %lld is not in "
			    "the ledger", (long long)cp->cp_id,
			    (long long)cp->cp_event);
		if (memcmp(cp->cp_hash, v->v_hash, LEDGER_HASH_LEN) != 0)
			return vfail(v, "checkpoint %lld (event %lld): signed "
			    "head hash does not match the chain",
			    (long long)cp->cp_id, (long long)cp->cp_event);
		if ((ca = ca_find(v, cp->cp_ca_id)) == NULL)
			return vfail(v, "checkpoint %lld (event %lld): no CA "
			    "certificate for CA %lld before it",
			    (long long)cp->cp_id, (long long)cp->cp_event,
			    (long long)cp->cp_ca_id);
		if (cp->cp_ca_id < 0 || cp->cp_ca_id > UINT32_MAX ||
		    ledger_checkpoint_ok(ca->ca_der, ca->ca_derlen,
		    (uint32_t)cp->cp_ca_id, cp->cp_event, cp->cp_hash,
		    cp->cp_sig, cp->cp_siglen) == -1)
			return vfail(v, "checkpoint %lld (event %lld): "
			    "signature does not verify with the CA %lld "
			    "certificate", (long long)cp->cp_id,
			    (long long)cp->cp_event, (long long)cp->cp_ca_id);
	}
	return 0;
}

/* One link: id, previous hash, own hash, kind; then its checkpoints. */
static int
chain_step(struct verify *v, const struct ledger_event *ev)
{
	uint8_t		 h[LEDGER_HASH_LEN];
	char		 name[128];
	size_t		 i;

	event_name(ev, name, sizeof(name));
	if (ev->ev_id != v->v_id + 1)
		return vfail(v, "%s: expected event %lld here (events missing "
		    "or reordered)", name, (long long)v->v_id + 1);
	if (memcmp(ev->ev_prev, v->v_hash, LEDGER_HASH_LEN) != 0)
		return vfail(v, "%s: previous hash does not match %s", name,
		    v->v_id == 0 ? "the genesis hash" : "the event before it");
	if (ledger_event_hash(ev, h) == -1) {
		ledger_seterr(v->v_l, "%s: cannot hash", name);
		return verr(v);
	}
	if (memcmp(h, ev->ev_hash, LEDGER_HASH_LEN) != 0)
		return vfail(v, "%s: hash does not match its contents", name);
	for (i = 0; i < nitems(kinds); i++)
		if (strcmp(ev->ev_kind, kinds[i]) == 0)
			break;
	if (i == nitems(kinds))
		return vfail(v, "%s: unknown kind", name);
	v->v_id = ev->ev_id;
	memcpy(v->v_hash, ev->ev_hash, LEDGER_HASH_LEN);
	if (ca_track(v, ev) == -1)
		return -1;
	return checkpoints_at(v);
}

/* The whole chain, then any checkpoint past its end. */
static int
verify_chain(struct verify *v)
{
	struct ledger_event	 ev;
	sqlite3_stmt		*st = NULL;
	int			 r, rc;

	if ((rc = checkpoints_load(v)) != 0)
		return rc;
	if (ledger_prepare(v->v_l, "SELECT " EVENT_COLUMNS " FROM events"
	    " ORDER BY id", &st) == -1)
		return verr(v);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = event_load(v, st, &ev)) != 0 ||
		    (rc = chain_step(v, &ev)) != 0)
			goto out;
	if (r != SQLITE_DONE) {
		ledger_sqlerr(v->v_l, "events");
		rc = verr(v);
		goto out;
	}
	if (v->v_next < v->v_ncps)
		rc = vfail(v, "checkpoint %lld: event %lld is not in the "
		    "ledger", (long long)v->v_cps[v->v_next].cp_id,
		    (long long)v->v_cps[v->v_next].cp_event);
 out:
	sqlite3_finalize(st);
	return rc;
}

/* Applies one event of a certificate to its expected row. */
static int
replay_event(struct verify *v, const struct ledger_event *ev,
    struct ledger_cert *exp, struct replay *rp)
{
	char	 name[128], why[128];
	int	 r;

	event_name(ev, name, sizeof(name));
	if (strcmp(ev->ev_kind, EV_SIGNING) == 0) {
		rp->rp_signing_ca = ev->ev_ca_id;
		return 0;
	}
	if (strcmp(ev->ev_kind, EV_ABANDONED) == 0) {
		rp->rp_abandoned = 1;
		return rp->rp_issued ? vfail(v, "%s: the certificate was "
		    "issued", name) : 0;
	}
	if (strcmp(ev->ev_kind, EV_ISSUED) == 0) {
		if (rp->rp_signing_ca != ev->ev_ca_id || rp->rp_abandoned ||
		    rp->rp_issued)
			return vfail(v, "%s: no pending signing event for it",
			    name);
		if (ledger_cert_expect(ev, NULL, exp, why, sizeof(why)) == -1)
			return vfail(v, "%s: %s", name, why);
		rp->rp_issued = 1;
		return 0;
	}
	if (!rp->rp_issued || ev->ev_ca_id != exp->lc_ca_id)
		return vfail(v, "%s: no issued event of CA %lld before it",
		    name, (long long)ev->ev_ca_id);
	if ((r = ledger_cert_apply(exp, ev)) == 1)
		return vfail(v, "%s: not allowed for a certificate that is "
		    "%s", name, exp->lc_status);
	return r == -1 ? vnomem(v) : 0;
}

/* Replays the events of serial (st: events by serial) into exp. */
static int
replay_serial(struct verify *v, sqlite3_stmt *st, const char *serial,
    struct ledger_cert *exp)
{
	struct ledger_event	 ev;
	struct replay		 rp;
	int			 r, rc;

	memset(&rp, 0, sizeof(rp));
	rp.rp_signing_ca = -1;
	sqlite3_reset(st);
	if (ledger_bind_text(st, 1, serial) != SQLITE_OK) {
		ledger_sqlerr(v->v_l, "bind");
		return verr(v);
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = event_load(v, st, &ev)) != 0 ||
		    (rc = replay_event(v, &ev, exp, &rp)) != 0)
			return rc;
	if (r != SQLITE_DONE) {
		ledger_sqlerr(v->v_l, "events of a certificate");
		return verr(v);
	}
	if (!rp.rp_issued)
		return vfail(v, "certificate %s: row present, but no issued "
		    "event", serial);
	return 0;
}

static int
cmp_str(struct verify *v, const char *serial, const char *col,
    const char *row, const char *exp)
{
	if (strcmp(row, exp) == 0)
		return 0;
	return vfail(v, "certificate %s: column %s is '%s', events say '%s'",
	    serial, col, row, exp);
}

static int
cmp_int(struct verify *v, const char *serial, const char *col, int64_t row,
    int64_t exp)
{
	if (row == exp)
		return 0;
	return vfail(v, "certificate %s: column %s is %lld, events say %lld",
	    serial, col, (long long)row, (long long)exp);
}

/* Every column of a row against its replay; 1 names the first that differs. */
static int
cert_compare(struct verify *v, const struct ledger_cert *row,
    const struct ledger_cert *exp)
{
	const char	*s = row->lc_serial;

	if (cmp_int(v, s, "ca_id", row->lc_ca_id, exp->lc_ca_id) ||
	    cmp_str(v, s, "subject", row->lc_subject, exp->lc_subject) ||
	    cmp_str(v, s, "sans", row->lc_sans, exp->lc_sans) ||
	    cmp_str(v, s, "key_fp", row->lc_key_fp, exp->lc_key_fp) ||
	    cmp_str(v, s, "profile", row->lc_profile, exp->lc_profile) ||
	    cmp_str(v, s, "requester", row->lc_requester,
	    exp->lc_requester) ||
	    cmp_str(v, s, "dir_ids", row->lc_dir_ids, exp->lc_dir_ids) ||
	    cmp_str(v, s, "txid", row->lc_txid, exp->lc_txid) ||
	    cmp_str(v, s, "csr_hash", row->lc_csr_hash, exp->lc_csr_hash) ||
	    cmp_int(v, s, "not_before", row->lc_not_before,
	    exp->lc_not_before) ||
	    cmp_int(v, s, "not_after", row->lc_not_after, exp->lc_not_after) ||
	    cmp_str(v, s, "status", row->lc_status, exp->lc_status) ||
	    cmp_int(v, s, "rev_time", row->lc_rev_time, exp->lc_rev_time) ||
	    cmp_int(v, s, "rev_reason", row->lc_rev_reason,
	    exp->lc_rev_reason))
		return 1;
	if (row->lc_derlen != exp->lc_derlen ||
	    memcmp(row->lc_der, exp->lc_der, row->lc_derlen) != 0)
		return vfail(v, "certificate %s: column der differs from the "
		    "issued event's certificate", s);
	return 0;
}

/* Each row of the certificate table against the replay of its events. */
static int
verify_certs(struct verify *v)
{
	struct ledger_cert	 row, exp;
	sqlite3_stmt		*rows = NULL, *evs = NULL;
	int			 r, rc = -1;

	if (ledger_prepare(v->v_l, "SELECT " CERT_COLUMNS " FROM certs"
	    " ORDER BY id", &rows) == -1 ||
	    ledger_prepare(v->v_l, "SELECT " EVENT_COLUMNS " FROM events"
	    " WHERE serial = ?1 ORDER BY id", &evs) == -1) {
		rc = verr(v);
		goto out;
	}
	while ((r = sqlite3_step(rows)) == SQLITE_ROW) {
		memset(&exp, 0, sizeof(exp));
		if ((rc = ledger_cert_load(v->v_l, rows, &row)) != 0) {
			rc = rc == 1 ? vfail(v, "%s", v->v_l->l_err) : verr(v);
			goto out;
		}
		if ((rc = replay_serial(v, evs, row.lc_serial, &exp)) == 0)
			rc = cert_compare(v, &row, &exp);
		ledger_cert_free(&row);
		ledger_cert_free(&exp);
		if (rc != 0)
			goto out;
	}
	rc = 0;
	if (r != SQLITE_DONE) {
		ledger_sqlerr(v->v_l, "certificates");
		rc = verr(v);
	}
 out:
	sqlite3_finalize(rows);
	sqlite3_finalize(evs);
	return rc;
}

/*
 * Runs a query whose first row (id, kind, serial), if any, is a
 * disagreement: 1 with its values copied, 0 if no row, -1.
 */
static int
verify_first(struct verify *v, const char *sql, const struct ledger_arg *args,
    size_t nargs, int64_t *id, char *kind, char *serial)
{
	sqlite3_stmt	*st = NULL;
	int		 r;

	if ((r = ledger_row(v->v_l, "verify", sql, args, nargs, &st)) == 0) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(kind, 32, "%s", sqlite3_column_text(st, 1));
		snprintf(serial, SERIAL_HEX_MAX, "%s",
		    sqlite3_column_text(st, 2));
	}
	ledger_done(v->v_l, st);
	return r == -1 ? verr(v) : r == 0;
}

/* Rows sharing a serial, and events of a serial that has no row. */
static int
verify_rows(struct verify *v)
{
	const struct ledger_arg	 a[] = { LA_TEXT(EV_SIGNING),
	    LA_TEXT(EV_ABANDONED) };
	char			 kind[32], serial[SERIAL_HEX_MAX];
	int64_t			 id;
	int			 r;

	if ((r = verify_first(v, "SELECT 0, '', serial FROM certs"
	    " GROUP BY serial HAVING count(*) > 1 LIMIT 1", NULL, 0, &id, kind,
	    serial)) != 0)
		return r == 1 ? vfail(v, "certificate %s: more than one row",
		    serial) : -1;
	if ((r = verify_first(v, "SELECT id, kind, serial FROM events e"
	    " WHERE serial IS NOT NULL AND kind NOT IN (?1, ?2) AND"
	    " NOT EXISTS (SELECT 1 FROM certs c WHERE c.serial = e.serial)"
	    " ORDER BY id LIMIT 1", a, nitems(a), &id, kind, serial)) != 0)
		return r == 1 ? vfail(v, "event %lld (%s %s): certificate "
		    "%s has no row", (long long)id, kind, serial, serial) : -1;
	return 0;
}

static void
verify_free(struct verify *v)
{
	size_t	 i;

	for (i = 0; i < v->v_ncps; i++)
		free(v->v_cps[i].cp_sig);
	for (i = 0; i < v->v_ncas; i++)
		free(v->v_cas[i].ca_der);
	free(v->v_cps);
	free(v->v_cas);
}

/* 0 if the ledger is consistent, 1 with the first disagreement, -1. */
int
ledger_verify(struct ledger *l, char *err, size_t errlen)
{
	struct verify	 v;
	int		 rc;

	memset(&v, 0, sizeof(v));
	v.v_l = l;
	v.v_err = err;
	v.v_errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (ledger_exec(l, "BEGIN") == -1)
		return verr(&v);
	if ((rc = verify_chain(&v)) == 0 && (rc = verify_certs(&v)) == 0)
		rc = verify_rows(&v);
	ledger_rollback(l);
	if (rc != 0 && errlen > 0)
		snprintf(l->l_err, sizeof(l->l_err), "%s", err);
	verify_free(&v);
	return rc;
}
