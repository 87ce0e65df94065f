/*
 * handlers.c: one function per request type.  Each decodes every field,
 * refuses leftover bytes (-1: the peer is broken or hostile), then acts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "keyless.h"
#include "config.h"
#include "ipc.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"

static int	ledger_fail(struct signer *, struct ipc_msg *,
		    struct ipc_msg *);
static void	cert_answer(struct ipc_msg *, const struct ledger_cert *,
		    int);
static int	cert_reply(struct signer *, struct ipc_msg *,
		    struct ipc_msg *, const char *);
static int	replay(struct signer *, struct ipc_msg *, struct ipc_msg *,
		    const char *, const char *, char *);
static int	serial_reserve(struct signer *, const struct ledger_issue *,
		    char [41]);
static int	issue_one(struct signer *, struct ipc_msg *, struct ipc_msg *,
		    X509_REQ *, struct ledger_issue *, char *);
static void	status_changed(struct signer *, const char *);

/* Answers with the ledger's last error; 0 for handlers to return. */
static int
ledger_fail(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans)
{
	ipc_error(ans, req, IPC_ERR_LEDGER, "ledger: %s",
	    ledger_errmsg(sg->sg_ledger));
	return 0;
}

/* Copies a ledger row into an answer; list rows leave the DER out. */
static void
cert_answer(struct ipc_msg *ans, const struct ledger_cert *lc, int with_der)
{
	struct ipc_cert	 c;

	memset(&c, 0, sizeof(c));
	snprintf(c.c_serial, sizeof(c.c_serial), "%s", lc->lc_serial);
	snprintf(c.c_subject, sizeof(c.c_subject), "%s", lc->lc_subject);
	snprintf(c.c_sans, sizeof(c.c_sans), "%s", lc->lc_sans);
	snprintf(c.c_profile, sizeof(c.c_profile), "%s", lc->lc_profile);
	snprintf(c.c_status, sizeof(c.c_status), "%s", lc->lc_status);
	c.c_not_before = (uint64_t)lc->lc_not_before;
	c.c_not_after = (uint64_t)lc->lc_not_after;
	c.c_rev_time = (uint64_t)lc->lc_rev_time;
	c.c_reason = lc->lc_rev_reason < 0 ? 0 : (uint32_t)lc->lc_rev_reason;
	if (with_der) {
		c.c_der = lc->lc_der;
		c.c_derlen = lc->lc_derlen;
	}
	ipc_put_cert(ans, &c);
}

/* Answers with the ledger row for serial, or a not-found error. */
static int
cert_reply(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    const char *serial)
{
	struct ledger_cert	 lc;
	int			 r;

	if ((r = ledger_cert_get(sg->sg_ledger, serial, &lc)) == 1) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no certificate with "
		    "serial %s", serial);
		return 0;
	}
	if (r == -1)
		return ledger_fail(sg, req, ans);
	cert_answer(ans, &lc, 1);
	ledger_cert_free(&lc);
	return 0;
}

int
h_ping(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	return ipc_get_end(req);
}

/* Hex SHA-256 of the CSR as received, for replay detection. */
void
csr_hash(const uint8_t *der, size_t len, char out[65])
{
	uint8_t		 md[32];
	unsigned int	 mdlen = sizeof(md);

	EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL);
	serial_hex(md, sizeof(md), out, 65);
}

/*
 * Reserves a fresh serial in the ledger: the signing event of rule 3.
 * 1 if li's transactionID got a certificate or a signing meanwhile.
 */
static int
serial_reserve(struct signer *sg, const struct ledger_issue *li,
    char hex[41])
{
	uint8_t		 serial[SERIAL_LEN];
	int		 tries;

	for (tries = 0; tries < 4; tries++) {
		if (serial_generate(serial) == -1)
			return -1;
		serial_hex(serial, sizeof(serial), hex, 41);
		if (ledger_serial_exists(sg->sg_ledger, hex) == 0)
			return ledger_signing_txid(sg->sg_ledger,
			    li->li_ca_id, hex, li->li_profile, sg->sg_owner,
			    li->li_txid, li->li_csr_hash);
	}
	return -1;
}

/*
 * A transactionID seen before (design.md "Replays"): the same CSR gets
 * that certificate again, since clients resend after a timeout, unless
 * it was revoked (a key may not come back that way); another CSR is
 * refused.  1 if txid is new or empty, else 0 with ans filled (and
 * serial, when it is a certificate).
 */
static int
replay(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    const char *txid, const char *hash, char *serial)
{
	struct ledger_cert	 lc;
	int			 r;

	r = ledger_cert_by_txid(sg->sg_ledger, sg->sg_conf->cf_ca_id, txid,
	    &lc);
	if (r == 1)
		return 1;
	if (r == -1)
		return ledger_fail(sg, req, ans);
	if (lc.lc_csr_hash == NULL || strcmp(lc.lc_csr_hash, hash) != 0)
		ipc_error(ans, req, IPC_ERR_STATE, "transactionID already used "
		    "with another request");
	else if (strcmp(lc.lc_status, ST_REVOKED) == 0)
		ipc_error(ans, req, IPC_ERR_STATE, "transactionID already used "
		    "for %s, since revoked", lc.lc_serial);
	else {
		log_info("replay of %s (reqid %u, txid %s) to %s",
		    lc.lc_serial, req->m_hdr.h_reqid, txid, lc.lc_requester);
		cert_answer(ans, &lc, 1);
		snprintf(serial, SERIAL_HEX_MAX, "%s", lc.lc_serial);
	}
	ledger_cert_free(&lc);
	return 0;
}

/*
 * Policy, then the signing event, then the signature, then the issued
 * event; only a committed certificate is answered (design.md rule 3).
 * 0 with the serial in out, -1 with an error in ans.
 */
static int
issue_one(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    X509_REQ *csr, struct ledger_issue *li, char *out)
{
	const struct conf_profile	*pr;
	char				 why[256], hex[41];
	uint8_t				 serial[SERIAL_LEN], *der = NULL;
	X509				*x = NULL;
	int				 len, rc = -1;

	pr = conf_profile(sg->sg_conf, li->li_profile);
	if (policy_check(sg->sg_conf, pr, csr, why, sizeof(why)) == -1) {
		log_warnx("denied reqid %u (%s, profile %s): %s",
		    req->m_hdr.h_reqid, li->li_requester, pr->pr_name, why);
		ipc_error(ans, req, IPC_ERR_POLICY, "%s", why);
		return -1;
	}
	if ((len = serial_reserve(sg, li, hex)) == -1) {
		ledger_fail(sg, req, ans);
		return -1;
	}
	if (len == 1) {		/* a resend overtook us */
		if (replay(sg, req, ans, li->li_txid, li->li_csr_hash,
		    out) == 1)
			ipc_error(ans, req, IPC_ERR_BUSY, "transactionID %s is "
			    "being signed", li->li_txid);
		return ans->m_hdr.h_type == IPC_ANS_ERROR ? -1 : 0;
	}
	for (len = 0; len < SERIAL_LEN; len++)
		sscanf(hex + 2 * len, "%2hhx", &serial[len]);
	x = issue_cert(sg->sg_conf, pr, csr, sg->sg_ca_cert, sg->sg_ca_key,
	    serial, why, sizeof(why));
	if (x == NULL || (len = i2d_X509(x, &der)) <= 0) {
		ledger_abandon(sg->sg_ledger, sg->sg_conf->cf_ca_id, hex);
		log_warnx("signing %s failed: %s", hex, why);
		ipc_error(ans, req, IPC_ERR_TOKEN, "signing failed: %s", why);
		goto out;
	}
	li->li_serial = hex;
	li->li_der = der;
	li->li_derlen = (size_t)len;
	li->li_cert = x;
	if (ledger_issued(sg->sg_ledger, li) == -1) {
		ledger_abandon(sg->sg_ledger, sg->sg_conf->cf_ca_id, hex);
		ledger_fail(sg, req, ans);
		goto out;
	}
	log_info("issued %s (reqid %u, profile %s) to %s", hex,
	    req->m_hdr.h_reqid, pr->pr_name, li->li_requester);
	cert_reply(sg, req, ans, hex);
	snprintf(out, SERIAL_HEX_MAX, "%s", hex);
	rc = 0;
 out:
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}

/*
 * Issues, or replays, the certificate one request asks for: from
 * IPC_REQ_ISSUE or from an approved pending request.  0 with the serial
 * in out and a cert record in ans; -1 with an error in ans.
 */
int
signer_issue_csr(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    const struct ipc_issue *ir, char out[SERIAL_HEX_MAX])
{
	struct ledger_issue	 li;
	char			 hash[65];
	X509_REQ		*csr = NULL;
	int			 r = -1;

	if (conf_profile(sg->sg_conf, ir->is_profile) == NULL) {
		ipc_error(ans, req, IPC_ERR_PROFILE, "unknown profile '%s'",
		    ir->is_profile);
		return -1;
	}
	if ((csr = keyless_parse_req(ir->is_csr, ir->is_csrlen)) == NULL) {
		ipc_error(ans, req, IPC_ERR_CSR, "not a DER PKCS#10 request");
		goto out;
	}
	csr_hash(ir->is_csr, ir->is_csrlen, hash);
	if (replay(sg, req, ans, ir->is_txid, hash, out) == 0) {
		r = ans->m_hdr.h_type == IPC_ANS_ERROR ? -1 : 0;
		goto out;
	}
	memset(&li, 0, sizeof(li));
	li.li_ca_id = sg->sg_conf->cf_ca_id;
	li.li_profile = ir->is_profile;
	li.li_txid = ir->is_txid;
	li.li_csr_hash = hash;
	li.li_requester = ir->is_requester;
	li.li_dir_ids = ir->is_dir_ids;
	li.li_withheld = (ir->is_flags & IPC_ISSUE_WITHHELD) != 0;
	r = issue_one(sg, req, ans, csr, &li, out);
 out:
	X509_REQ_free(csr);
	return r;
}

int
h_issue(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct ipc_issue	 ir;
	char			 profile[CONF_NAME_MAX], txid[129];
	char			 requester[256], dir_ids[512];
	char			 serial[SERIAL_HEX_MAX];

	ipc_get_str(req, profile, sizeof(profile));
	ipc_get_bytes(req, &ir.is_csr, &ir.is_csrlen, IPC_CSR_MAX);
	ipc_get_str(req, txid, sizeof(txid));
	ipc_get_str(req, requester, sizeof(requester));
	ipc_get_str(req, dir_ids, sizeof(dir_ids));
	ipc_get_u32(req, &ir.is_flags);
	if (ipc_get_end(req) == -1 || (ir.is_flags & ~IPC_ISSUE_WITHHELD) != 0)
		return -1;
	if (sg->sg_peer == PEER_ADMIN)
		snprintf(requester, sizeof(requester), "admin uid %u",
		    (unsigned)sg->sg_peer_uid);
	ir.is_profile = profile;
	ir.is_txid = txid;
	ir.is_requester = requester;
	ir.is_dir_ids = dir_ids;
	signer_issue_csr(sg, req, ans, &ir, serial);
	return 0;
}

/* Reads a serial field; -1 if it cannot be one (malformed message). */
static int
get_serial(struct ipc_msg *req, char *out, size_t outsz)
{
	char	 raw[64];

	ipc_get_str(req, raw, sizeof(raw));
	if (!ipc_msg_ok(req))
		return -1;
	if (serial_normalize(raw, out, outsz) == -1)
		out[0] = '\0';
	return 0;
}

/*
 * A revocation, hold or release replaces the pre-signed OCSP responses
 * and the CRL before the answer goes out, so relying parties see it at
 * once (the frontends pull both within a second).
 */
static void
status_changed(struct signer *sg, const char *serial)
{
	presign_serial(sg, serial);
	crl_issue(sg);
}

int
h_revoke(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer	*sg = arg;
	char		 serial[SERIAL_HEX_MAX];
	uint32_t	 reason;
	int		 r;

	if (get_serial(req, serial, sizeof(serial)) == -1)
		return -1;
	ipc_get_u32(req, &reason);
	if (ipc_get_end(req) == -1 || reason_name((int)reason) == NULL ||
	    reason == 7 || reason == 8)
		return -1;
	r = ledger_revoke(sg->sg_ledger, sg->sg_conf->cf_ca_id, serial,
	    (int)reason, (int64_t)time(NULL));
	if (r == 2) {
		ipc_error(ans, req, IPC_ERR_STATE, "certificate %s is already "
		    "revoked", serial);
		return 0;
	}
	if (r == 0) {
		log_info("revoked %s (reqid %u, reason %s, uid %u)", serial,
		    req->m_hdr.h_reqid, reason_name((int)reason),
		    (unsigned)sg->sg_peer_uid);
		status_changed(sg, serial);
	}
	if (r == -1)
		return ledger_fail(sg, req, ans);
	return cert_reply(sg, req, ans, serial);
}

/*
 * Unhold and release: one status back to valid, refused (with "is not
 * <from>") from any other.
 */
static int
to_valid(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    int (*change)(struct ledger *, uint32_t, const char *),
    const char *from)
{
	char	 serial[SERIAL_HEX_MAX];
	int	 r;

	if (get_serial(req, serial, sizeof(serial)) == -1 ||
	    ipc_get_end(req) == -1)
		return -1;
	r = change(sg->sg_ledger, sg->sg_conf->cf_ca_id, serial);
	if (r == 2) {
		ipc_error(ans, req, IPC_ERR_STATE, "certificate %s is not %s",
		    serial, from);
		return 0;
	}
	if (r == -1)
		return ledger_fail(sg, req, ans);
	if (r == 0) {
		log_info("%s %s is valid again (reqid %u)", from, serial,
		    req->m_hdr.h_reqid);
		status_changed(sg, serial);
	}
	return cert_reply(sg, req, ans, serial);
}

int
h_unhold(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	return to_valid(arg, req, ans, ledger_unhold, "on hold");
}

/* The validator's word that Intune acknowledged the certificate. */
int
h_release(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	return to_valid(arg, req, ans, ledger_release, "withheld");
}

int
h_show(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	char	 serial[SERIAL_HEX_MAX];

	if (get_serial(req, serial, sizeof(serial)) == -1 ||
	    ipc_get_end(req) == -1)
		return -1;
	return cert_reply(arg, req, ans, serial);
}

struct list_rows {
	struct ipc_msg	 lr_msg;
	uint32_t	 lr_n;
};

/* ledger_cert_list callback: one row of an ANS_LIST. */
static int
list_row(void *arg, const struct ledger_cert *lc)
{
	struct list_rows	*lr = arg;

	ipc_put_u64(&lr->lr_msg, (uint64_t)lc->lc_rowid);
	cert_answer(&lr->lr_msg, lc, 0);
	lr->lr_n++;
	return ipc_msg_ok(&lr->lr_msg) ? 0 : -1;
}

/* ledger_cert_list callback: one row of an ANS_DIRLIST. */
static int
dirlist_row(void *arg, const struct ledger_cert *lc)
{
	struct list_rows	*lr = arg;

	ipc_put_u64(&lr->lr_msg, (uint64_t)lc->lc_rowid);
	ipc_put_str(&lr->lr_msg, lc->lc_serial);
	ipc_put_str(&lr->lr_msg, lc->lc_status);
	ipc_put_str(&lr->lr_msg, lc->lc_dir_ids);
	lr->lr_n++;
	return ipc_msg_ok(&lr->lr_msg) ? 0 : -1;
}

/* Answers one page of certificate rows after a rowid, each put by row. */
static int
list_reply(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    const char *status, uint64_t after,
    int (*row)(void *, const struct ledger_cert *))
{
	struct list_rows lr;

	if (ipc_get_end(req) == -1 || after > INT64_MAX)
		return -1;
	memset(&lr, 0, sizeof(lr));
	if (ledger_cert_list(sg->sg_ledger, status, (int64_t)after,
	    IPC_LIST_MAX, row, &lr) < 0 || !ipc_msg_ok(&lr.lr_msg)) {
		ipc_msg_free(&lr.lr_msg);
		return ledger_fail(sg, req, ans);
	}
	ipc_put_rows(ans, lr.lr_n, &lr.lr_msg);
	return 0;
}

int
h_list(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	char		 status[16];
	uint64_t	 after;

	ipc_get_str(req, status, sizeof(status));
	ipc_get_u64(req, &after);
	return list_reply(arg, req, ans, status, after, list_row);
}

/* The validator's directory sync: serial, status and directory ids. */
int
h_dirlist(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	uint64_t	 after;

	ipc_get_u64(req, &after);
	return list_reply(arg, req, ans, "", after, dirlist_row);
}

int
h_status(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct ledger_counts	 lt;

	if (ipc_get_end(req) == -1)
		return -1;
	if (ledger_counts(sg->sg_ledger, &lt) == -1)
		return ledger_fail(sg, req, ans);
	ipc_put_u32(ans, (uint32_t)token_alive(sg->sg_token));
	ipc_put_str(ans, sg->sg_conf->cf_token_label);
	ipc_put_u64(ans, lt.lt_valid);
	ipc_put_u64(ans, lt.lt_revoked);
	ipc_put_u64(ans, lt.lt_hold);
	ipc_put_u64(ans, lt.lt_withheld);
	ipc_put_u64(ans, lt.lt_events);
	ipc_put_u64(ans, lt.lt_checkpoint_event);
	ipc_put_u64(ans, (uint64_t)getpid());
	return 0;
}

/* Appends the PEM of the certificate installed for role, if any. */
static int
pem_append(struct signer *sg, BIO *bio, const char *role)
{
	uint8_t		*der = NULL;
	const uint8_t	*p;
	size_t		 len;
	X509		*x;
	int		 r;

	if ((r = ledger_ca_cert(sg->sg_ledger, sg->sg_conf->cf_ca_id, role,
	    &der, &len)) != 0)
		return r;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	free(der);
	if (x == NULL)
		return -1;
	r = PEM_write_bio_X509(bio, x) == 1 ? 0 : -1;
	X509_free(x);
	return r;
}

int
h_cacert(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer	*sg = arg;
	BIO		*bio;
	char		*pem;
	long		 len;

	if (ipc_get_end(req) == -1)
		return -1;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    pem_append(sg, bio, ROLE_CA) != 0 ||
	    pem_append(sg, bio, ROLE_ROOT) == -1) {
		BIO_free(bio);
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no CA certificate "
		    "installed");
		return 0;
	}
	len = BIO_get_mem_data(bio, &pem);
	ipc_put_bytes(ans, pem, (size_t)len);
	BIO_free(bio);
	return 0;
}

int
h_checkpoint(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer	*sg = arg;
	int64_t		 id;

	if (ipc_get_end(req) == -1)
		return -1;
	if (ledger_checkpoint(sg->sg_ledger, sg->sg_conf->cf_ca_id,
	    sg->sg_ca_key, &id) == -1) {
		ipc_error(ans, req, IPC_ERR_LEDGER, "checkpoint: %s",
		    ledger_errmsg(sg->sg_ledger));
		return 0;
	}
	sg->sg_last_checkpoint = time(NULL);
	log_info("checkpoint signed at event %lld", (long long)id);
	ipc_put_u64(ans, (uint64_t)id);
	return 0;
}
