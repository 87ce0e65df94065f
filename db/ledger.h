/*
 * ledger.h: keyward's durable record of every act of the CA.
 *
 * SQLite in WAL mode with synchronous=FULL.  Two layers:
 *  - events: append-only, never updated.  Each row carries SHA-256 over its
 *    own fields (length-prefixed, in column order) and the previous row's
 *    hash.  The head is read and extended inside BEGIN IMMEDIATE, so several
 *    signer workers may share one ledger.
 *  - certs: derived from the events in the same transaction, for queries.
 * checkpoints: the chain head signed with the CA key (the signer supplies
 * the signature; verification uses the CA certificate in the ledger).
 */
#ifndef KEYWARD_LEDGER_H
#define KEYWARD_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define LEDGER_HASH_LEN	32

/* Event kinds, as stored in events.kind. */
#define EV_CA_INSTALLED	"ca-installed"	/* der = certificate, profile = role */
#define EV_SIGNING	"signing"
#define EV_ISSUED	"issued"
#define EV_WITHHELD	"withheld"
#define EV_RELEASED	"released"
#define EV_REVOKED	"revoked"
#define EV_HOLD		"hold"
#define EV_UNHOLD	"unhold"
#define EV_ABANDONED	"abandoned"
#define EV_CRL		"crl"

/* Certificate status, as stored in certs.status. */
#define ST_VALID	"valid"
#define ST_WITHHELD	"withheld"
#define ST_REVOKED	"revoked"
#define ST_HOLD		"hold"

/* CA roles, for EV_CA_INSTALLED and ledger_ca_cert(). */
#define ROLE_CA		"ca"
#define ROLE_RA		"ra"
#define ROLE_OCSP	"ocsp"
#define ROLE_ROOT	"root"		/* external root above a sub-CA */
#define ROLE_INTUNE	"intune"	/* Entra ID client assertions */

struct ledger;

/* What the issuer knows about a certificate beyond its DER. */
struct ledger_issue {
	uint32_t	 li_ca_id;
	const char	*li_serial;	/* upper-case hex */
	const char	*li_profile;
	const char	*li_txid;	/* SCEP transactionID or "" */
	const char	*li_csr_hash;	/* hex SHA-256 of the CSR DER */
	const char	*li_requester;	/* who asked (admin uid, SCEP signer) */
	const char	*li_dir_ids;	/* directory object ids, or "" */
	const uint8_t	*li_der;
	size_t		 li_derlen;
	X509		*li_cert;	/* li_der decoded, or NULL */
	int		 li_withheld;	/* status withheld instead of valid */
};

/* A row of the certificate table; strings owned by the struct. */
struct ledger_cert {
	int64_t		 lc_rowid;
	uint32_t	 lc_ca_id;
	char		*lc_serial;
	char		*lc_subject;
	char		*lc_sans;
	char		*lc_key_fp;	/* hex SHA-256 of SubjectPublicKeyInfo */
	char		*lc_profile;
	char		*lc_requester;
	char		*lc_dir_ids;
	char		*lc_txid;
	char		*lc_csr_hash;
	int64_t		 lc_not_before;
	int64_t		 lc_not_after;
	char		*lc_status;
	int64_t		 lc_rev_time;	/* 0 if not revoked */
	int		 lc_rev_reason;	/* -1 if not revoked */
	uint8_t		*lc_der;
	size_t		 lc_derlen;
};

struct ledger_counts {
	uint64_t	 lt_valid;
	uint64_t	 lt_revoked;
	uint64_t	 lt_hold;
	uint64_t	 lt_withheld;
	uint64_t	 lt_events;
	uint64_t	 lt_checkpoint_event;	/* last checkpointed event id */
};

/* ledger.c: open (creating/migrating when writable), close. */
int	ledger_open(const char *path, int readonly, struct ledger **);
void	ledger_close(struct ledger *);
/* ledger_errmsg(NULL) says why the last ledger_open() failed. */
const char *ledger_errmsg(struct ledger *);

/* event.c: the writers; each is one durable transaction. */
int	ledger_ca_install(struct ledger *, uint32_t ca_id, const char *role,
	    const uint8_t *der, size_t derlen);
int	ledger_signing(struct ledger *, uint32_t ca_id, const char *serial,
	    const char *profile, const char *owner);
/* The same for a SCEP transaction: 1 (nothing written) if txid already
 * has a certificate or a signing in progress. */
int	ledger_signing_txid(struct ledger *, uint32_t ca_id,
	    const char *serial, const char *profile, const char *owner,
	    const char *txid, const char *csr_hash);
/* Refused unless serial has a signing event and no issued/abandoned. */
int	ledger_issued(struct ledger *, const struct ledger_issue *);
/*
 * Status changes: 0 done, 1 no such certificate for ca_id, 2 not allowed
 * from its status (already revoked, already on hold; nothing written).
 */
int	ledger_revoke(struct ledger *, uint32_t ca_id, const char *serial,
	    int reason, int64_t when);		/* reason 6 = hold */
int	ledger_unhold(struct ledger *, uint32_t ca_id, const char *serial);
/* withheld -> valid once Intune has acknowledged. */
int	ledger_release(struct ledger *, uint32_t ca_id, const char *serial);
/* Appends abandoned for a signing that will not be issued; 1 if none. */
int	ledger_abandon(struct ledger *, uint32_t ca_id, const char *serial);
/* Appends abandoned for each signing without issued whose owner is dead. */
int	ledger_abandon_orphans(struct ledger *, int (*alive)(const char *));
/*
 * Runs fn under the write lock; commits if it returns 0, else rolls back
 * and returns its value.  The CRL and OCSP writers below run inside it.
 */
int	ledger_locked(struct ledger *, int (*fn)(void *), void *arg);
/* Records a CRL the CA signed (under ledger_locked). */
int	ledger_crl(struct ledger *, uint32_t ca_id, const uint8_t *der,
	    size_t derlen);

/*
 * ocspstore.c: pre-signed OCSP responses, one per (serial, CertID digest),
 * each with a sequence number that grows with every write so frontends
 * pull what changed.  A cache, not a record: outside the hash chain.
 */
struct ledger_ocsp {
	const char	*lo_serial;
	int		 lo_md;		/* NID of the CertID's digest */
	int64_t		 lo_seq;
	int64_t		 lo_this_update;
	int64_t		 lo_next_update;
	const uint8_t	*lo_der;
	size_t		 lo_derlen;
};
/* Stores (replaces) a row under ledger_locked; sets its lo_seq. */
int	ledger_ocsp_put(struct ledger *, uint32_t ca_id, struct ledger_ocsp *);
/* Rows with seq > after in seq order; cb as for ledger_cert_list. */
int	ledger_ocsp_since(struct ledger *, uint32_t ca_id, int64_t after,
	    int max, int (*cb)(void *, const struct ledger_ocsp *), void *);
/* Marks rows a relying party asked for while they were due. */
int	ledger_ocsp_want(struct ledger *, uint32_t ca_id,
	    const struct ledger_ocsp *keys, size_t n);
/*
 * Keys (serial, md; no DER) to sign ahead of expiry: rows past half their
 * lifetime whose certificate has not expired, wanted first, then the
 * soonest to expire; then unexpired certificates without a row for md.
 */
int	ledger_ocsp_due(struct ledger *, uint32_t ca_id, int md, int64_t now,
	    int max, int (*cb)(void *, const struct ledger_ocsp *), void *);
/* Deletes the rows of certificates expired before `before'. */
int	ledger_ocsp_prune(struct ledger *, uint32_t ca_id, int64_t before);

/* query.c */
int	ledger_ca_cert(struct ledger *, uint32_t ca_id, const char *role,
	    uint8_t **der, size_t *derlen);	/* 1 if absent */
/* 1 if serial has a row or appears in any event (reserved), else 0. */
int	ledger_serial_exists(struct ledger *, const char *serial);
int	ledger_cert_get(struct ledger *, const char *serial,
	    struct ledger_cert *);		/* 1 if absent */
int	ledger_cert_by_txid(struct ledger *, uint32_t ca_id,
	    const char *txid, struct ledger_cert *);	/* 1 if absent */
/*
 * Calls cb for up to max rows (max < 0: no limit) with rowid > after,
 * status "" = any.  cb returns 0 to go on, > 0 to stop, < 0 to fail.
 */
int	ledger_cert_list(struct ledger *, const char *status, int64_t after,
	    int max, int (*cb)(void *, const struct ledger_cert *), void *arg);
void	ledger_cert_free(struct ledger_cert *);
int	ledger_counts(struct ledger *, struct ledger_counts *);
/* The newest CRL of ca_id: its event id, and its DER unless der is NULL;
 * 1 if there is none. */
int	ledger_crl_latest(struct ledger *, uint32_t ca_id, int64_t *event_id,
	    uint8_t **der, size_t *derlen);

/* pending.c: SCEP requests in manual mode, waiting for a decision. */
#define PD_PENDING	"pending"
#define PD_APPROVED	"approved"
#define PD_DENIED	"denied"

struct ledger_pending {
	int64_t		 lp_id;
	int64_t		 lp_ts;
	uint32_t	 lp_ca_id;
	char		*lp_txid;
	char		*lp_csr_hash;
	uint8_t		*lp_csr;
	size_t		 lp_csrlen;
	char		*lp_profile;
	char		*lp_requester;
	char		*lp_subject;
	char		*lp_state;
	char		*lp_serial;	/* "" until approved */
	char		*lp_decided_by;
};

/* Queues a request: 0 queued (or the same request again, *id set),
 * 2 txid already queued with another CSR. */
int	ledger_pend(struct ledger *, const struct ledger_pending *,
	    int64_t *id);
int	ledger_pending_get(struct ledger *, int64_t id,
	    struct ledger_pending *);			/* 1 if absent */
int	ledger_pending_by_txid(struct ledger *, uint32_t ca_id,
	    const char *txid, struct ledger_pending *);	/* 1 if absent */
/* Requests still pending, oldest first; cb as for ledger_cert_list. */
int	ledger_pending_list(struct ledger *, int64_t after, int max,
	    int (*cb)(void *, const struct ledger_pending *), void *arg);
/* pending -> approved (with serial) or denied: 0, 1 absent, 2 decided. */
int	ledger_pending_decide(struct ledger *, int64_t id, const char *state,
	    const char *serial, const char *by);
void	ledger_pending_free(struct ledger_pending *);

/* checkpoint.c */
int	ledger_head(struct ledger *, int64_t *id,
	    uint8_t hash[LEDGER_HASH_LEN]);
/* Signs the head with key (the CA key in the token) and stores it. */
int	ledger_checkpoint(struct ledger *, uint32_t ca_id, EVP_PKEY *key,
	    int64_t *event_id);

/*
 * verify.c: chain, checkpoints, replay.  0 consistent, 1 with the first
 * disagreement in err, -1 if verification could not run (why in err).
 */
int	ledger_verify(struct ledger *, char *err, size_t errlen);

/* certinfo.c: the derived columns, from the DER (used by write and verify). */
int	ledger_cert_fields(const uint8_t *der, size_t derlen,
	    struct ledger_cert *);

#endif
