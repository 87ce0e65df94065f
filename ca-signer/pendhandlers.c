/*
 * pendhandlers.c: SCEP requests that wait (design.md "Ledger": pending
 * requests have their own table).  The validator queues requests of the
 * manual challenge mode and asks where a transaction stands when the
 * client polls; an administrator lists, approves and denies.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "common.h"
#include "keyless.h"
#include "config.h"
#include "ipc.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"

static int	txid_cert(struct signer *, const char *, const char *,
		    char *);
static int	txid_state(struct signer *, const char *, const char *,
		    char *);
static int	tx_answer(struct signer *, struct ipc_msg *, struct ipc_msg *,
		    int, const char *);
static int	csr_subject(const uint8_t *, size_t, char *, size_t);
static int	pending_row(void *, const struct ledger_pending *);
static int	get_pending(struct signer *, struct ipc_msg *,
		    struct ipc_msg *, struct ledger_pending *);

/* Where txid stands by its certificate, if it has one; -1 on error. */
static int
txid_cert(struct signer *sg, const char *txid, const char *hash,
    char *serial)
{
	struct ledger_cert	 lc;
	int			 r;

	r = ledger_cert_by_txid(sg->sg_ledger, sg->sg_conf->cf_ca_id, txid,
	    &lc);
	if (r != 0)
		return r == 1 ? IPC_TX_NONE : -1;
	snprintf(serial, SERIAL_HEX_MAX, "%s", lc.lc_serial);
	if (hash != NULL && strcmp(lc.lc_csr_hash, hash) != 0)
		r = IPC_TX_CONFLICT;
	else if (strcmp(lc.lc_status, ST_REVOKED) == 0)
		r = IPC_TX_REVOKED;
	else if (strcmp(lc.lc_status, ST_WITHHELD) == 0)
		r = IPC_TX_WITHHELD;
	else
		r = IPC_TX_ISSUED;
	ledger_cert_free(&lc);
	return r;
}

/*
 * Where txid stands: its certificate first (an approval that crashed
 * before it was marked still counts), then the pending table.  hash,
 * when set, must be the CSR's the transaction was seen with.
 */
static int
txid_state(struct signer *sg, const char *txid, const char *hash,
    char *serial)
{
	struct ledger_pending	 lp;
	int			 r;

	serial[0] = '\0';
	if ((r = txid_cert(sg, txid, hash, serial)) != IPC_TX_NONE)
		return r;
	r = ledger_pending_by_txid(sg->sg_ledger, sg->sg_conf->cf_ca_id, txid,
	    &lp);
	if (r != 0)
		return r == 1 ? IPC_TX_NONE : -1;
	if (hash != NULL && strcmp(lp.lp_csr_hash, hash) != 0)
		r = IPC_TX_CONFLICT;
	else if (strcmp(lp.lp_state, PD_DENIED) == 0)
		r = IPC_TX_DENIED;
	else
		r = IPC_TX_PENDING;
	ledger_pending_free(&lp);
	return r;
}

static int
tx_answer(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    int state, const char *serial)
{
	if (state == -1) {
		ipc_error(ans, req, IPC_ERR_LEDGER, "ledger: %s",
		    ledger_errmsg(sg->sg_ledger));
		return 0;
	}
	ipc_put_u32(ans, (uint32_t)state);
	ipc_put_str(ans, serial);
	return 0;
}

/* The CSR's subject for the administrator's list; -1 if no CSR. */
static int
csr_subject(const uint8_t *der, size_t len, char *out, size_t outsz)
{
	X509_REQ	*csr;

	if ((csr = keyless_parse_req(der, len)) == NULL)
		return -1;
	X509_NAME_oneline(X509_REQ_get_subject_name(csr), out, (int)outsz);
	X509_REQ_free(csr);
	return 0;
}

int
h_pend(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct ledger_pending	 lp;
	char			 profile[CONF_NAME_MAX], txid[129];
	char			 requester[256], subject[IPC_STR_MAX], hash[65];
	char			 serial[SERIAL_HEX_MAX];
	int64_t			 id;
	int			 st;

	memset(&lp, 0, sizeof(lp));
	ipc_get_str(req, profile, sizeof(profile));
	ipc_get_bytes(req, (const uint8_t **)&lp.lp_csr, &lp.lp_csrlen,
	    IPC_CSR_MAX);
	ipc_get_str(req, txid, sizeof(txid));
	ipc_get_str(req, requester, sizeof(requester));
	if (ipc_get_end(req) == -1 || txid[0] == '\0')
		return -1;
	if (conf_profile(sg->sg_conf, profile) == NULL ||
	    csr_subject(lp.lp_csr, lp.lp_csrlen, subject,
	    sizeof(subject)) == -1) {
		ipc_error(ans, req, IPC_ERR_CSR, "no profile '%s' or no CSR",
		    profile);
		return 0;
	}
	csr_hash(lp.lp_csr, lp.lp_csrlen, hash);
	if ((st = txid_state(sg, txid, hash, serial)) != IPC_TX_NONE)
		return tx_answer(sg, req, ans, st, serial);
	lp.lp_ca_id = sg->sg_conf->cf_ca_id;
	lp.lp_txid = txid;
	lp.lp_csr_hash = hash;
	lp.lp_profile = profile;
	lp.lp_requester = requester;
	lp.lp_subject = subject;
	if ((st = ledger_pend(sg->sg_ledger, &lp, &id)) == 0) {
		log_info("txid %s waits for approval as request %lld (%s, "
		    "profile %s)", txid, (long long)id, subject, profile);
		st = IPC_TX_PENDING;
	} else if (st == 2)
		st = IPC_TX_CONFLICT;
	return tx_answer(sg, req, ans, st, "");
}

int
h_txid(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer	*sg = arg;
	char		 txid[129], serial[SERIAL_HEX_MAX];

	ipc_get_str(req, txid, sizeof(txid));
	if (ipc_get_end(req) == -1)
		return -1;
	return tx_answer(sg, req, ans, txid_state(sg, txid, NULL, serial),
	    serial);
}

struct pending_rows {
	struct ipc_msg	 pr_msg;
	uint32_t	 pr_n;
};

static int
pending_row(void *arg, const struct ledger_pending *lp)
{
	struct pending_rows	*pr = arg;

	ipc_put_u64(&pr->pr_msg, (uint64_t)lp->lp_id);
	ipc_put_u64(&pr->pr_msg, (uint64_t)lp->lp_ts);
	ipc_put_str(&pr->pr_msg, lp->lp_txid);
	ipc_put_str(&pr->pr_msg, lp->lp_subject);
	ipc_put_str(&pr->pr_msg, lp->lp_profile);
	ipc_put_str(&pr->pr_msg, lp->lp_requester);
	pr->pr_n++;
	return ipc_msg_ok(&pr->pr_msg) ? 0 : -1;
}

int
h_pending(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct pending_rows	 pr;
	uint64_t		 after;

	ipc_get_u64(req, &after);
	if (ipc_get_end(req) == -1 || after > INT64_MAX)
		return -1;
	memset(&pr, 0, sizeof(pr));
	if (ledger_pending_list(sg->sg_ledger, (int64_t)after, IPC_LIST_MAX,
	    pending_row, &pr) == -1 || !ipc_msg_ok(&pr.pr_msg)) {
		ipc_msg_free(&pr.pr_msg);
		ipc_error(ans, req, IPC_ERR_LEDGER, "ledger: %s",
		    ledger_errmsg(sg->sg_ledger));
		return 0;
	}
	ipc_put_rows(ans, pr.pr_n, &pr.pr_msg);
	return 0;
}

/* The pending request an APPROVE or DENY names, still undecided; -1
 * (connection dropped), 0 found, 1 answered with an error. */
static int
get_pending(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    struct ledger_pending *lp)
{
	uint64_t	 id;
	int		 r;

	ipc_get_u64(req, &id);
	if (ipc_get_end(req) == -1 || id > INT64_MAX)
		return -1;
	r = ledger_pending_get(sg->sg_ledger, (int64_t)id, lp);
	if (r == 0 && (lp->lp_ca_id != sg->sg_conf->cf_ca_id ||
	    strcmp(lp->lp_state, PD_PENDING) != 0)) {
		ipc_error(ans, req, IPC_ERR_STATE, "request %llu is %s",
		    (unsigned long long)id, lp->lp_ca_id ==
		    sg->sg_conf->cf_ca_id ? lp->lp_state : "another CA's");
		ledger_pending_free(lp);
		return 1;
	}
	if (r == 1)
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no pending request %llu",
		    (unsigned long long)id);
	else if (r == -1)
		ipc_error(ans, req, IPC_ERR_LEDGER, "ledger: %s",
		    ledger_errmsg(sg->sg_ledger));
	return r == 0 ? 0 : 1;
}

int
h_approve(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct ledger_pending	 lp;
	struct ipc_issue	 ir;
	char			 by[64], requester[256 + 64];
	char			 serial[SERIAL_HEX_MAX];
	int			 r;

	if ((r = get_pending(sg, req, ans, &lp)) != 0)
		return r == -1 ? -1 : 0;
	snprintf(by, sizeof(by), "admin uid %u", (unsigned)sg->sg_peer_uid);
	snprintf(requester, sizeof(requester), "%s, approved by %s",
	    lp.lp_requester, by);
	memset(&ir, 0, sizeof(ir));	/* no flags: not withheld */
	ir.is_profile = lp.lp_profile;
	ir.is_csr = lp.lp_csr;
	ir.is_csrlen = lp.lp_csrlen;
	ir.is_txid = lp.lp_txid;
	ir.is_requester = requester;
	ir.is_dir_ids = "";
	if (signer_issue_csr(sg, req, ans, &ir, serial) == 0 &&
	    ledger_pending_decide(sg->sg_ledger, lp.lp_id, PD_APPROVED,
	    serial, by) == -1)
		log_warnx("request %lld issued as %s but not marked: %s",
		    (long long)lp.lp_id, serial, ledger_errmsg(sg->sg_ledger));
	ledger_pending_free(&lp);
	return 0;
}

int
h_deny(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct ledger_pending	 lp;
	char			 by[64];
	int			 r;

	if ((r = get_pending(sg, req, ans, &lp)) != 0)
		return r == -1 ? -1 : 0;
	snprintf(by, sizeof(by), "admin uid %u", (unsigned)sg->sg_peer_uid);
	if (ledger_pending_decide(sg->sg_ledger, lp.lp_id, PD_DENIED, NULL,
	    by) != 0)
		ipc_error(ans, req, IPC_ERR_LEDGER, "ledger: %s",
		    ledger_errmsg(sg->sg_ledger));
	else
		log_info("request %lld (txid %s) denied by %s",
		    (long long)lp.lp_id, lp.lp_txid, by);
	ledger_pending_free(&lp);
	return 0;
}
