/*
 * ocsp.c: OCSP responses (RFC 6960, RFC 5019 profile), built whole by the
 * signer from typed fields: the CertIDs are rebuilt from our own CA
 * certificate and the serial, the statuses come from the ledger, and the
 * delegated responder key signs (design.md rules 1 and 5;
 * spec/scep-ocsp.md B.3-B.7).
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "ipc.h"
#include "signer.h"
#include "x509util.h"

static int	ocsp_add(OCSP_BASICRESP *, X509 *, const struct ocsp_single *,
		    ASN1_TIME *, ASN1_TIME *, char *, size_t);
static int	ocsp_nonce(OCSP_BASICRESP *, const uint8_t *, size_t, char *,
		    size_t);
static int	ocsp_sign(OCSP_BASICRESP *, const struct ocsp_signer *,
		    char *, size_t);

/* 1 if the hashes are those of ca's name and key under digest md. */
int
ocsp_issuer_ok(X509 *ca, int md, const uint8_t *name_hash, size_t nlen,
    const uint8_t *key_hash, size_t klen)
{
	uint8_t	 nh[EVP_MAX_MD_SIZE], kh[EVP_MAX_MD_SIZE];
	size_t	 hn, kn;

	return ocsp_issuer_hashes(ca, md, nh, &hn, kh, &kn) == 0 &&
	    hn == nlen && kn == klen && memcmp(nh, name_hash, nlen) == 0 &&
	    memcmp(kh, key_hash, klen) == 0;
}

/* One SingleResponse; the CertID is ours for the serial (B.3). */
static int
ocsp_add(OCSP_BASICRESP *bs, X509 *ca, const struct ocsp_single *os,
    ASN1_TIME *thisupd, ASN1_TIME *nextupd, char *why, size_t whylen)
{
	OCSP_CERTID		*id = NULL;
	ASN1_INTEGER		*serial = NULL;
	ASN1_GENERALIZEDTIME	*rev = NULL;
	int			 reason, r = -1;

	reason = os->os_reason > 0 ? os->os_reason :
	    OCSP_REVOKED_STATUS_NOSTATUS;
	if (ocsp_digest(os->os_md) == NULL ||
	    (serial = x509_serial_asn1(os->os_serial)) == NULL) {
		x509_why(why, whylen, "bad CertID digest or serial");
		goto out;
	}
	if ((id = OCSP_cert_id_new(ocsp_digest(os->os_md),
	    X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca),
	    serial)) == NULL ||
	    (os->os_status == V_OCSP_CERTSTATUS_REVOKED &&
	    (rev = ASN1_GENERALIZEDTIME_set(NULL, os->os_rev_time)) == NULL) ||
	    OCSP_basic_add1_status(bs, id, os->os_status, reason, rev,
	    thisupd, nextupd) == NULL) {
		x509_why_ssl(why, whylen, "OCSP_basic_add1_status");
		goto out;
	}
	r = 0;
 out:
	ASN1_GENERALIZEDTIME_free(rev);
	ASN1_INTEGER_free(serial);
	OCSP_CERTID_free(id);
	return r;
}

/* Echoes the request's nonce extnValue byte for byte (B.4). */
static int
ocsp_nonce(OCSP_BASICRESP *bs, const uint8_t *nonce, size_t len, char *why,
    size_t whylen)
{
	ASN1_OCTET_STRING	*os = NULL;
	X509_EXTENSION		*ext = NULL;
	int			 r = -1;

	if (len == 0)
		return 0;
	if (len > OCSP_NONCE_RAW_MAX) {
		x509_why(why, whylen, "nonce of %zu bytes", len);
		return -1;
	}
	if ((os = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(os, nonce, (int)len) != 1 ||
	    (ext = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce,
	    0, os)) == NULL || OCSP_BASICRESP_add_ext(bs, ext, -1) != 1) {
		x509_why_ssl(why, whylen, "nonce extension");
		goto out;
	}
	r = 0;
 out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	return r;
}

/*
 * SHA-256 by the responder key through the same EVP_PKEY path as every
 * other signature, responderID byKey, the responder certificate in certs;
 * then checked with its public key, which catches a token fault.
 */
static int
ocsp_sign(OCSP_BASICRESP *bs, const struct ocsp_signer *sgn, char *why,
    size_t whylen)
{
	EVP_MD_CTX	*ctx = NULL;
	int		 r = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    sgn->osg_key) != 1 ||
	    OCSP_basic_sign_ctx(bs, sgn->osg_cert, ctx, NULL,
	    OCSP_RESPID_KEY) != 1) {
		x509_why_ssl(why, whylen, "OCSP_basic_sign_ctx");
		goto out;
	}
	/* OCSP_NOVERIFY: the signature only, with the certificate in bs. */
	if (OCSP_basic_verify(bs, NULL, NULL, OCSP_NOVERIFY) != 1) {
		ERR_clear_error();
		x509_why(why, whylen, "the response does not verify with the "
		    "responder certificate (wrong key or token fault)");
		goto out;
	}
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int
ocsp_build(const struct ocsp_signer *sgn, const struct ocsp_single *os,
    size_t n, const uint8_t *nonce, size_t noncelen, time_t this_update,
    time_t next_update, uint8_t **der, size_t *derlen, char *why,
    size_t whylen)
{
	OCSP_BASICRESP	*bs = NULL;
	OCSP_RESPONSE	*resp = NULL;
	ASN1_TIME	*thisupd = NULL, *nextupd = NULL;
	size_t		 i;
	int		 len, r = -1;

	*der = NULL;
	*derlen = 0;
	if (sgn->osg_ca == NULL || sgn->osg_cert == NULL ||
	    sgn->osg_key == NULL || n == 0 || n > OCSP_IDS_MAX ||
	    next_update <= this_update) {
		x509_why(why, whylen, "no responder, no CertID or bad times");
		goto out;
	}
	if ((bs = OCSP_BASICRESP_new()) == NULL ||
	    (thisupd = ASN1_GENERALIZEDTIME_set(NULL, this_update)) == NULL ||
	    (nextupd = ASN1_GENERALIZEDTIME_set(NULL, next_update)) == NULL) {
		x509_why_ssl(why, whylen, "OCSP_BASICRESP_new");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (ocsp_add(bs, sgn->osg_ca, &os[i], thisupd, nextupd, why,
		    whylen) == -1)
			goto out;
	if (ocsp_nonce(bs, nonce, noncelen, why, whylen) == -1 ||
	    ocsp_sign(bs, sgn, why, whylen) == -1)
		goto out;
	if ((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    bs)) == NULL || (len = i2d_OCSP_RESPONSE(resp, der)) <= 0) {
		*der = NULL;
		x509_why_ssl(why, whylen, "i2d_OCSP_RESPONSE");
		goto out;
	}
	*derlen = (size_t)len;
	r = 0;
 out:
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	return r;
}
