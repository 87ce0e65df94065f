/*
 * certrep.c: SCEP CertRep and the GetCACert RA bundle (RFC 8894 3.3.2,
 * 4.2.1.2).  The signer builds the whole reply from typed fields and the
 * ledger's DER: the degenerate certs-only content, the envelope to the
 * requester's certificate, the SCEP attributes and the RA signature
 * (design.md rule 1; spec/scep-ocsp.md A.12 steps 7-9).
 */
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>

#include "common.h"
#include "ipc.h"
#include "keyless.h"
#include "signer.h"
#include "x509util.h"

/* SCEP signed attributes (RFC 8894 3.2.1). */
#define OID_MESSAGE_TYPE	"2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS		"2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO		"2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE	"2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE	"2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID	"2.16.840.1.113733.1.9.7"
#define MSG_CERTREP		"3"

static int	certs_only(STACK_OF(X509) *, X509_CRL *, uint8_t **,
		    size_t *);
static int	crl_content(const struct certrep_in *, uint8_t **, size_t *,
		    char *, size_t);
static int	cms_der(CMS_ContentInfo *, uint8_t **, size_t *, char *,
		    size_t);
static int	certrep_content(const struct certrep_in *, uint8_t **,
		    size_t *, char *, size_t);
static int	certrep_envelope(const struct certrep_in *, const uint8_t *,
		    size_t, uint8_t **, size_t *, char *, size_t);
static int	attr_add(CMS_SignerInfo *, const char *, int, const void *,
		    size_t);
static int	certrep_attrs(CMS_SignerInfo *, const struct certrep_in *,
		    char *, size_t);
static int	certs_add(CMS_ContentInfo *, X509 *, STACK_OF(X509) *,
		    char *, size_t);
static int	certrep_sign(const struct certrep_in *, X509 *, EVP_PKEY *,
		    STACK_OF(X509) *, const uint8_t *, size_t, uint8_t **,
		    size_t *, char *, size_t);

int
certrep_check(const struct certrep_in *in, char *why, size_t whylen)
{
	EVP_PKEY	*pub = NULL;
	int		 st = in->ci_status;

	if (in->ci_txid == NULL || strlen(in->ci_txid) > CERTREP_TXID_MAX ||
	    !scep_printable((const uint8_t *)in->ci_txid,
	    strlen(in->ci_txid)))
		x509_why(why, whylen, "transactionID is not a PrintableString "
		    "of 1 to %d characters", CERTREP_TXID_MAX);
	else if (in->ci_noncelen > CERTREP_NONCE_MAX ||
	    (in->ci_nonce == NULL && in->ci_noncelen > 0))
		x509_why(why, whylen, "bad recipientNonce");
	else if (st != SCEP_SUCCESS && st != SCEP_FAILURE &&
	    st != SCEP_PENDING)
		x509_why(why, whylen, "pkiStatus %d unknown", st);
	else if (st == SCEP_FAILURE && (in->ci_failinfo < SCEP_BAD_ALG ||
	    in->ci_failinfo > SCEP_BAD_CERT_ID))
		x509_why(why, whylen, "failInfo %d unknown", in->ci_failinfo);
	else if (st != SCEP_SUCCESS)
		return 0;
	else if ((in->ci_cert == NULL || in->ci_certlen == 0) ==
	    (in->ci_crl == NULL || in->ci_crllen == 0))
		x509_why(why, whylen, "not exactly one of an issued "
		    "certificate and a CRL");
	else if (in->ci_requester == NULL ||
	    (pub = X509_get0_pubkey(in->ci_requester)) == NULL ||
	    EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)
		x509_why(why, whylen, "requester certificate has no RSA key");
	else if (!scep_cipher_ok(in->ci_cipher, in->ci_legacy))
		x509_why(why, whylen, "content cipher (NID %d) not accepted",
		    in->ci_cipher);
	else
		return 0;
	return -1;
}

/*
 * Degenerate certs-only SignedData (RFC 8894 3.4) in the order given, with
 * the CRL in crls if there is one.  PKCS7, not CMS: CMS encodes
 * certificates as a DER SET OF and sorts them; PKCS7 declares a SEQUENCE
 * OF and keeps the issued (or RA) cert first.
 */
static int
certs_only(STACK_OF(X509) *certs, X509_CRL *crl, uint8_t **der, size_t *len)
{
	PKCS7	*p7 = NULL;
	int	 i, n, r = -1;

	*der = NULL;
	*len = 0;
	if ((p7 = PKCS7_new()) == NULL ||
	    !PKCS7_set_type(p7, NID_pkcs7_signed) ||
	    !PKCS7_content_new(p7, NID_pkcs7_data))
		goto out;
	for (i = 0; i < sk_X509_num(certs); i++)
		if (!PKCS7_add_certificate(p7, sk_X509_value(certs, i)))
			goto out;
	if (crl != NULL && !PKCS7_add_crl(p7, crl))
		goto out;
	if (!PKCS7_set_detached(p7, 1) || (n = i2d_PKCS7(p7, der)) <= 0)
		goto out;
	*len = (size_t)n;
	r = 0;
 out:
	PKCS7_free(p7);
	return r;
}

static int
cms_der(CMS_ContentInfo *cms, uint8_t **der, size_t *len, char *why,
    size_t whylen)
{
	int	 n;

	if ((n = i2d_CMS_ContentInfo(cms, der)) <= 0) {
		*der = NULL;
		x509_why_ssl(why, whylen, "i2d_CMS_ContentInfo");
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* GetCRL (RFC 8894 3.3.2): the CRL in crls, no certificates. */
static int
crl_content(const struct certrep_in *in, uint8_t **der, size_t *len,
    char *why, size_t whylen)
{
	const uint8_t	*p = in->ci_crl;
	X509_CRL	*crl;
	int		 r = -1;

	if ((crl = d2i_X509_CRL(NULL, &p, (long)in->ci_crllen)) == NULL ||
	    p != in->ci_crl + in->ci_crllen) {
		ERR_clear_error();
		x509_why(why, whylen, "CRL does not parse");
	} else if ((r = certs_only(NULL, crl, der, len)) == -1)
		x509_why_ssl(why, whylen, "degenerate SignedData with CRL");
	X509_CRL_free(crl);
	return r;
}

/* Step 7: the issued certificate from the ledger's DER, then the chain. */
static int
certrep_content(const struct certrep_in *in, uint8_t **der, size_t *len,
    char *why, size_t whylen)
{
	STACK_OF(X509)	*certs = NULL;
	X509		*leaf = NULL;
	int		 i, r = -1;

	if (in->ci_crl != NULL)
		return crl_content(in, der, len, why, whylen);
	/* It only goes into the SignedData: its key is never used. */
	if ((leaf = keyless_parse(in->ci_cert, in->ci_certlen)) == NULL) {
		x509_why(why, whylen, "issued certificate does not parse");
		goto out;
	}
	if ((certs = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(certs, leaf)) {
		x509_why_ssl(why, whylen, "sk_X509_push");
		goto out;
	}
	leaf = NULL;		/* the stack owns it now */
	for (i = 0; i < sk_X509_num(in->ci_chain); i++) {
		if (!X509_add_cert(certs, sk_X509_value(in->ci_chain, i),
		    X509_ADD_FLAG_UP_REF)) {
			x509_why_ssl(why, whylen, "X509_add_cert");
			goto out;
		}
	}
	if ((r = certs_only(certs, NULL, der, len)) == -1)
		x509_why_ssl(why, whylen, "certs-only SignedData");
 out:
	X509_free(leaf);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

/* Step 8: to the requester's certificate, in the request's cipher. */
static int
certrep_envelope(const struct certrep_in *in, const uint8_t *content,
    size_t len, uint8_t **der, size_t *derlen, char *why, size_t whylen)
{
	STACK_OF(X509)	*recips = NULL;
	CMS_ContentInfo	*env = NULL;
	BIO		*bio = NULL;
	int		 r = -1;

	if ((recips = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(recips, in->ci_requester) ||
	    (bio = BIO_new_mem_buf(content, (int)len)) == NULL) {
		x509_why_ssl(why, whylen, "envelope set-up");
		goto out;
	}
	/* KTRI by issuerAndSerialNumber (no CMS_USE_KEYID), PKCS#1 v1.5. */
	if ((env = CMS_encrypt(recips, bio,
	    EVP_get_cipherbynid(in->ci_cipher), CMS_BINARY)) == NULL) {
		x509_why_ssl(why, whylen, "CMS_encrypt");
		goto out;
	}
	r = cms_der(env, der, derlen, why, whylen);
 out:
	CMS_ContentInfo_free(env);
	BIO_free(bio);
	sk_X509_free(recips);	/* the certificate stays the caller's */
	return r;
}

static int
attr_add(CMS_SignerInfo *si, const char *oid, int type, const void *data,
    size_t len)
{
	ASN1_OBJECT	*obj = NULL;
	int		 r = -1;

	if ((obj = OBJ_txt2obj(oid, 1)) != NULL &&
	    CMS_signed_add1_attr_by_OBJ(si, obj, type, data, (int)len) == 1)
		r = 0;
	ASN1_OBJECT_free(obj);
	return r;
}

/* Step 9's SCEP attributes; CMS_final adds contentType, digest, time. */
static int
certrep_attrs(CMS_SignerInfo *si, const struct certrep_in *in, char *why,
    size_t whylen)
{
	uint8_t		 nonce[CERTREP_NONCE_LEN];
	const char	 status = (char)('0' + in->ci_status);
	const char	 fail = (char)('0' + in->ci_failinfo);

	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		x509_why_ssl(why, whylen, "RAND_bytes");
		return -1;
	}
	if (attr_add(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING,
	    in->ci_txid, strlen(in->ci_txid)) == -1 ||
	    attr_add(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING,
	    MSG_CERTREP, strlen(MSG_CERTREP)) == -1 ||
	    attr_add(si, OID_PKI_STATUS, V_ASN1_PRINTABLESTRING, &status,
	    1) == -1 ||
	    (in->ci_status == SCEP_FAILURE && attr_add(si, OID_FAIL_INFO,
	    V_ASN1_PRINTABLESTRING, &fail, 1) == -1) ||
	    attr_add(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce,
	    sizeof(nonce)) == -1 ||
	    attr_add(si, OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING,
	    in->ci_noncelen > 0 ? in->ci_nonce : (const uint8_t *)"",
	    in->ci_noncelen) == -1) {
		x509_why_ssl(why, whylen, "CMS_signed_add1_attr_by_OBJ");
		return -1;
	}
	return 0;
}

/* CMS refuses a certificate twice, so the signer's own is skipped. */
static int
certs_add(CMS_ContentInfo *cms, X509 *racert, STACK_OF(X509) *extra,
    char *why, size_t whylen)
{
	X509	*x;
	int	 i;

	for (i = 0; i < sk_X509_num(extra); i++) {
		x = sk_X509_value(extra, i);
		if (X509_cmp(x, racert) == 0)
			continue;
		if (CMS_add1_cert(cms, x) != 1) {
			x509_why_ssl(why, whylen, "CMS_add1_cert");
			return -1;
		}
	}
	return 0;
}

/* Step 9: signed with the RA key over the envelope, or detached empty. */
static int
certrep_sign(const struct certrep_in *in, X509 *racert, EVP_PKEY *rakey,
    STACK_OF(X509) *extra, const uint8_t *env, size_t envlen, uint8_t **der,
    size_t *derlen, char *why, size_t whylen)
{
	const unsigned	 flags = CMS_PARTIAL | CMS_BINARY;
	const EVP_MD	*md = EVP_sha256();
	CMS_ContentInfo	*cms = NULL;
	CMS_SignerInfo	*si = NULL;
	BIO		*bio = NULL;
	int		 r = -1;

	if (in->ci_digest != 0 && scep_digest_ok(in->ci_digest,
	    in->ci_legacy))
		md = EVP_get_digestbynid(in->ci_digest);
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    (si = CMS_add1_signer(cms, racert, rakey, md,
	    flags | CMS_NOSMIMECAP)) == NULL) {
		x509_why_ssl(why, whylen, "CMS_add1_signer");
		goto out;
	}
	if (certrep_attrs(si, in, why, whylen) == -1 ||
	    certs_add(cms, racert, extra, why, whylen) == -1)
		goto out;
	/* FAILURE and PENDING: no pkcsPKIEnvelope, eContent absent (A.9). */
	if ((env == NULL && CMS_set_detached(cms, 1) != 1) ||
	    (bio = BIO_new_mem_buf(env == NULL ? (const uint8_t *)"" : env,
	    (int)envlen)) == NULL ||
	    CMS_final(cms, bio, NULL, CMS_BINARY) != 1) {
		x509_why_ssl(why, whylen, "CMS_final (RA signature)");
		goto out;
	}
	r = cms_der(cms, der, derlen, why, whylen);
 out:
	BIO_free(bio);
	CMS_ContentInfo_free(cms);
	return r;
}

int
certrep_build(const struct certrep_in *in, X509 *racert, EVP_PKEY *rakey,
    STACK_OF(X509) *extra_certs, uint8_t **der, size_t *derlen, char *why,
    size_t whylen)
{
	uint8_t	*content = NULL, *env = NULL;
	size_t	 contentlen = 0, envlen = 0;
	int	 r = -1;

	*der = NULL;
	*derlen = 0;
	if (certrep_check(in, why, whylen) == -1)
		goto out;
	if (racert == NULL || rakey == NULL) {
		x509_why(why, whylen, "no RA certificate or key");
		goto out;
	}
	if (in->ci_status == SCEP_SUCCESS &&
	    (certrep_content(in, &content, &contentlen, why, whylen) == -1 ||
	    certrep_envelope(in, content, contentlen, &env, &envlen, why,
	    whylen) == -1))
		goto out;
	r = certrep_sign(in, racert, rakey, extra_certs, env, envlen, der,
	    derlen, why, whylen);
 out:
	OPENSSL_free(content);
	OPENSSL_free(env);
	return r;
}

int
racerts_build(X509 *ra, X509 *ca, X509 *root, uint8_t **der, size_t *derlen)
{
	STACK_OF(X509)	*certs = NULL;
	int		 r = -1;

	*der = NULL;
	*derlen = 0;
	if (ra == NULL || ca == NULL || (certs = sk_X509_new_null()) == NULL)
		goto out;
	/* A CA that is its own RA, or a root above nothing, appears once. */
	if (!X509_add_cert(certs, ra, X509_ADD_FLAG_UP_REF) ||
	    !X509_add_cert(certs, ca, X509_ADD_FLAG_UP_REF |
	    X509_ADD_FLAG_NO_DUP) || (root != NULL && !X509_add_cert(certs,
	    root, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)))
		goto out;
	r = certs_only(certs, NULL, der, derlen);
 out:
	sk_X509_pop_free(certs, X509_free);
	return r;
}
