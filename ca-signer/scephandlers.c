/*
 * scephandlers.c: the frontend's SCEP requests.  The frontend parses the
 * client's message; the signer only unwraps one content-encryption key at
 * a time and builds the CertRep itself from typed fields and the ledger
 * (design.md rules 1, 4 and 5).  Same shape as handlers.c: every field
 * through the cursor, no bytes left over (-1), then value checks.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "keyless.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"

/* A decoded IPC_REQ_CERTREP. */
struct certrep_req {
	char		 cr_txid[CERTREP_TXID_MAX + 1];
	char		 cr_serial[SERIAL_HEX_MAX];
	const uint8_t	*cr_nonce;
	size_t		 cr_noncelen;
	X509		*cr_requester;
	uint32_t	 cr_cipher;
	uint32_t	 cr_digest;
	uint32_t	 cr_status;
	uint32_t	 cr_failinfo;
	uint32_t	 cr_type;	/* messageType of the request */
};

static int	ias_names(const PKCS7_ISSUER_AND_SERIAL *, X509 *);
static int	unwrap_key(struct signer *, const uint8_t *, size_t,
		    EVP_PKEY **);
static void	certrep_head(struct ipc_msg *, struct certrep_req *,
		    const uint8_t **, size_t *);
static int	certrep_head_ok(struct certrep_req *, const uint8_t *, size_t);
static int	certrep_decode(struct ipc_msg *, struct certrep_req *);
static int	certrep_issued(struct signer *, struct ipc_msg *,
		    struct ipc_msg *, const struct certrep_req *,
		    struct ledger_cert *);
static void	certrep_fill(struct certrep_in *, const struct certrep_req *,
		    const struct ledger_cert *, STACK_OF(X509) *);
static void	certrep_answer(struct signer *, struct ipc_msg *,
		    struct ipc_msg *, const struct certrep_in *);

/* 1 if the issuerAndSerialNumber names cert. */
static int
ias_names(const PKCS7_ISSUER_AND_SERIAL *ias, X509 *cert)
{
	return cert != NULL &&
	    X509_NAME_cmp(ias->issuer, X509_get_issuer_name(cert)) == 0 &&
	    ASN1_INTEGER_cmp(ias->serial, X509_get0_serialNumber(cert)) == 0;
}

/*
 * The key for the recipient the frontend found in the envelope: the RA
 * key; the CA key only when the recipient is the CA certificate and the
 * two certificates carry the same key.  Any other recipient still gets
 * the RA key, and so a random CEK (implicit rejection).  -1 if ias is not
 * DER the frontend could have parsed, 1 if there is no RA.
 */
static int
unwrap_key(struct signer *sg, const uint8_t *der, size_t len, EVP_PKEY **key)
{
	PKCS7_ISSUER_AND_SERIAL	*ias = NULL;
	const uint8_t		*p = der;
	int			 r = -1;

	*key = NULL;
	if ((ias = d2i_PKCS7_ISSUER_AND_SERIAL(NULL, &p, (long)len)) == NULL ||
	    p != der + len)
		goto out;
	r = 1;
	if (sg->sg_ra_cert == NULL || sg->sg_ra_key == NULL)
		goto out;
	r = 0;
	*key = sg->sg_ra_key;
	if (!ias_names(ias, sg->sg_ra_cert) &&
	    ias_names(ias, sg->sg_ca_cert) &&
	    EVP_PKEY_eq(X509_get0_pubkey(sg->sg_ca_cert),
	    X509_get0_pubkey(sg->sg_ra_cert)) == 1)
		*key = sg->sg_ca_key;
 out:
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return r;
}

int
h_unwrap(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer	*sg = arg;
	const uint8_t	*ias, *ek;
	size_t		 iaslen, eklen;
	uint32_t	 pad, md, keylen;
	uint8_t		 cek[UNWRAP_KEY_MAX];
	EVP_PKEY	*key = NULL;
	int		 r;

	ipc_get_u32(req, &pad);
	ipc_get_u32(req, &md);
	ipc_get_bytes(req, &ias, &iaslen, UNWRAP_IAS_MAX);
	ipc_get_bytes(req, &ek, &eklen, UNWRAP_EK_MAX);
	ipc_get_u32(req, &keylen);
	if (ipc_get_end(req) == -1 || pad > INT_MAX || md > INT_MAX ||
	    keylen > sizeof(cek) || (r = unwrap_key(sg, ias, iaslen,
	    &key)) == -1)
		return -1;
	if (r == 1) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no RA certificate");
		return 0;
	}
	/* The answer is the same shape whether the padding was right. */
	if ((r = unwrap_cek(key, (int)pad, (int)md, ek, eklen, cek,
	    keylen)) == -1)
		return -1;
	if (r == 0)
		ipc_put_bytes(ans, cek, keylen);
	else
		ipc_error(ans, req, IPC_ERR_INTERNAL, "no random bytes");
	OPENSSL_cleanse(cek, sizeof(cek));
	return 0;
}

/* The fields IPC_REQ_CERTREP and IPC_REQ_CRLREP start with. */
static void
certrep_head(struct ipc_msg *req, struct certrep_req *cr,
    const uint8_t **der, size_t *derlen)
{
	ipc_get_str(req, cr->cr_txid, sizeof(cr->cr_txid));
	ipc_get_bytes(req, &cr->cr_nonce, &cr->cr_noncelen, CERTREP_NONCE_MAX);
	ipc_get_bytes(req, der, derlen, IPC_CERT_MAX);
	ipc_get_u32(req, &cr->cr_cipher);
	ipc_get_u32(req, &cr->cr_digest);
}

/* After the last field: the head's values and the requester certificate. */
static int
certrep_head_ok(struct certrep_req *cr, const uint8_t *der, size_t derlen)
{
	if (cr->cr_cipher > INT_MAX || cr->cr_digest > INT_MAX ||
	    cr->cr_txid[0] == '\0')
		return -1;
	if ((cr->cr_requester = keyless_parse(der, derlen)) == NULL)
		return -1;
	/* Only the envelope needs the key; certrep_check refuses a
	 * requester left without one. */
	(void)keyless_rsa_key(cr->cr_requester);
	return 0;
}

/*
 * Every field, then the values the frontend can never legitimately send:
 * an unknown status or failInfo, a failInfo or serial where the status
 * has none, a requester certificate that does not parse.
 */
static int
certrep_decode(struct ipc_msg *req, struct certrep_req *cr)
{
	const uint8_t	*der;
	size_t		 derlen;
	char		 raw[64];

	certrep_head(req, cr, &der, &derlen);
	ipc_get_u32(req, &cr->cr_status);
	ipc_get_u32(req, &cr->cr_failinfo);
	ipc_get_str(req, raw, sizeof(raw));
	ipc_get_u32(req, &cr->cr_type);
	if (ipc_get_end(req) == -1)
		return -1;
	if (cr->cr_status == SCEP_SUCCESS) {
		if (serial_normalize(raw, cr->cr_serial,
		    sizeof(cr->cr_serial)) == -1)
			return -1;
	} else if ((cr->cr_status != SCEP_FAILURE &&
	    cr->cr_status != SCEP_PENDING) || raw[0] != '\0')
		return -1;
	if (cr->cr_failinfo > SCEP_BAD_CERT_ID ||
	    (cr->cr_status != SCEP_FAILURE && cr->cr_failinfo != 0))
		return -1;
	return certrep_head_ok(cr, der, derlen);
}

/*
 * SUCCESS: the certificate must be this CA's, valid (not withheld while
 * Intune has not acknowledged), and issued for this very transaction, so
 * the frontend cannot have somebody else's certificate sent.  GetCert
 * asks for any certificate by serial: certificates are public, but a
 * withheld one has not been handed out.  0 with the row, 1 when an error
 * answer was written.
 */
static int
certrep_issued(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    const struct certrep_req *cr, struct ledger_cert *lc)
{
	int	 r, getcert = cr->cr_type == SCEP_MT_GETCERT;

	if ((r = ledger_cert_get(sg->sg_ledger, cr->cr_serial, lc)) == -1) {
		ipc_error(ans, req, IPC_ERR_LEDGER, "ledger: %s",
		    ledger_errmsg(sg->sg_ledger));
		return 1;
	}
	if (r == 1 || lc->lc_ca_id != sg->sg_conf->cf_ca_id) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no certificate with "
		    "serial %s", cr->cr_serial);
		return 1;
	}
	if (!getcert && strcmp(lc->lc_txid, cr->cr_txid) != 0) {
		log_warnx("CertRep reqid %u: certificate %s belongs to "
		    "another transaction", req->m_hdr.h_reqid, cr->cr_serial);
		ipc_error(ans, req, IPC_ERR_DENIED, "certificate %s was not "
		    "issued for this transaction", cr->cr_serial);
		return 1;
	}
	if (getcert ? strcmp(lc->lc_status, ST_WITHHELD) == 0 :
	    strcmp(lc->lc_status, ST_VALID) != 0) {
		ipc_error(ans, req, IPC_ERR_STATE, "certificate %s is %s",
		    cr->cr_serial, lc->lc_status == NULL ? "?" :
		    lc->lc_status);
		return 1;
	}
	return 0;
}

/* The typed fields of the reply; lc is the issued row for SUCCESS. */
static void
certrep_fill(struct certrep_in *in, const struct certrep_req *cr,
    const struct ledger_cert *lc, STACK_OF(X509) *chain)
{
	memset(in, 0, sizeof(*in));
	in->ci_txid = cr->cr_txid;
	in->ci_nonce = cr->cr_nonce;
	in->ci_noncelen = cr->cr_noncelen;
	in->ci_requester = cr->cr_requester;
	in->ci_cipher = (int)cr->cr_cipher;
	in->ci_digest = (int)cr->cr_digest;
	in->ci_status = (int)cr->cr_status;
	in->ci_failinfo = (int)cr->cr_failinfo;
	if (lc != NULL) {
		in->ci_cert = lc->lc_der;
		in->ci_certlen = lc->lc_derlen;
		in->ci_chain = chain;
	}
}

/*
 * What the frontend should have answered with FAILURE (badAlg, a
 * transactionID we cannot echo, no RSA key for the envelope) is refused
 * with IPC_ERR_POLICY; a failure to build or sign is the token's.
 */
static void
certrep_answer(struct signer *sg, struct ipc_msg *req, struct ipc_msg *ans,
    const struct certrep_in *in)
{
	uint8_t		*der = NULL;
	size_t		 len = 0;
	char		 why[256];

	if (certrep_check(in, why, sizeof(why)) == -1) {
		ipc_error(ans, req, IPC_ERR_POLICY, "%s", why);
		return;
	}
	if (in->ci_status == SCEP_SUCCESS &&
	    !scep_digest_ok(in->ci_digest, in->ci_legacy)) {
		ipc_error(ans, req, IPC_ERR_POLICY, "digest (NID %d) not "
		    "accepted", in->ci_digest);
		return;
	}
	if (certrep_build(in, sg->sg_ra_cert, sg->sg_ra_key, in->ci_chain,
	    &der, &len, why, sizeof(why)) == -1) {
		log_warnx("CertRep reqid %u: %s", req->m_hdr.h_reqid, why);
		ipc_error(ans, req, IPC_ERR_TOKEN, "CertRep: %s", why);
		return;
	}
	log_info("CertRep status %d for transaction %s (reqid %u)",
	    in->ci_status, in->ci_txid, req->m_hdr.h_reqid);
	ipc_put_bytes(ans, der, len);
	OPENSSL_free(der);
}

int
h_certrep(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct certrep_req	 cr;
	struct certrep_in	 in;
	struct ledger_cert	 lc;
	STACK_OF(X509)		*chain = NULL;
	int			 r = 0;

	memset(&cr, 0, sizeof(cr));
	memset(&lc, 0, sizeof(lc));
	if (certrep_decode(req, &cr) == -1) {
		r = -1;
		goto out;
	}
	if (sg->sg_ra_cert == NULL || sg->sg_ra_key == NULL) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no RA certificate");
		goto out;
	}
	if (cr.cr_status == SCEP_SUCCESS &&
	    certrep_issued(sg, req, ans, &cr, &lc) != 0)
		goto out;
	/* The issued certificate first, then the CA and root (A.9). */
	if ((chain = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(chain, sg->sg_ca_cert) ||
	    (sg->sg_root_cert != NULL &&
	    !sk_X509_push(chain, sg->sg_root_cert))) {
		ipc_error(ans, req, IPC_ERR_INTERNAL, "out of memory");
		goto out;
	}
	certrep_fill(&in, &cr, cr.cr_status == SCEP_SUCCESS ? &lc : NULL,
	    chain);
	in.ci_legacy = sg->sg_conf->cf_scep_legacy;
	certrep_answer(sg, req, ans, &in);
 out:
	sk_X509_free(chain);	/* the certificates stay the signer's */
	ledger_cert_free(&lc);
	X509_free(cr.cr_requester);
	return r;
}

int
h_racerts(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer	*sg = arg;
	uint8_t		*der = NULL;
	size_t		 len = 0;

	if (ipc_get_end(req) == -1)
		return -1;
	if (sg->sg_ra_cert == NULL) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no RA certificate");
		return 0;
	}
	if (racerts_build(sg->sg_ra_cert, sg->sg_ca_cert, sg->sg_root_cert,
	    &der, &len) == -1) {
		ipc_error(ans, req, IPC_ERR_INTERNAL, "certs-only SignedData");
		return 0;
	}
	ipc_put_bytes(ans, der, len);
	OPENSSL_free(der);
	return 0;
}

/*
 * GetCRL the validator allowed: CertRep SUCCESS whose degenerate
 * SignedData carries the CA's newest CRL (RFC 8894 3.3.2).
 */
int
h_crlrep(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct certrep_req	 cr;
	struct certrep_in	 in;
	const uint8_t		*der;
	size_t			 derlen;
	int			 r = -1;

	memset(&cr, 0, sizeof(cr));
	certrep_head(req, &cr, &der, &derlen);
	if (ipc_get_end(req) == -1 || certrep_head_ok(&cr, der, derlen) == -1)
		goto out;
	r = 0;
	if (sg->sg_ra_cert == NULL || sg->sg_ra_key == NULL) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no RA certificate");
		goto out;
	}
	if (crl_current(sg) != 0) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no CRL signed yet");
		goto out;
	}
	cr.cr_status = SCEP_SUCCESS;
	certrep_fill(&in, &cr, NULL, NULL);
	in.ci_crl = sg->sg_crl.sc_der;
	in.ci_crllen = sg->sg_crl.sc_len;
	certrep_answer(sg, req, ans, &in);
 out:
	X509_free(cr.cr_requester);
	return r;
}
