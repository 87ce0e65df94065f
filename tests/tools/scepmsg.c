/*
 * scepmsg.c: SCEP messages as a client sees them (RFC 8894 3.2, 3.3.2).
 * A request is a SignedData over an EnvelopedData that somebody else made
 * (the tests use openssl cms, so the cipher and key transport are
 * OpenSSL's), signed with the requester's key and self-signed
 * certificate.  A reply is checked the way a device must: signed by the
 * RA, its transactionID and recipientNonce ours, then decrypted.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ipc.h"
#include "scepmsg.h"

/* SCEP signed attributes are 2.16.840.1.113733.1.9.N (RFC 8894 3.2.1). */
#define ATTR_MESSAGE_TYPE	2
#define ATTR_PKI_STATUS		3
#define ATTR_FAIL_INFO		4
#define ATTR_SENDER_NONCE	5
#define ATTR_RECIPIENT_NONCE	6
#define ATTR_TRANSACTION_ID	7

static const char *const failnames[] = {
	"badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId"
};

static ASN1_OBJECT *attr_obj(int);
static int	 attr_add(CMS_SignerInfo *, int, int, const void *, int);
static const ASN1_STRING *attr_get(CMS_SignerInfo *, int, int);
static int	 attr_int(CMS_SignerInfo *, int, int, int);
static int	 ssl_fail(const char *);
static X509	*selfsigned(EVP_PKEY *, const char *);
static int	 reply_verify(CMS_ContentInfo *, X509 *, BIO *);
static int	 reply_attrs(const struct scepmsg *, CMS_SignerInfo *,
		    struct scepmsg_rep *);
static X509	*reply_cert(const struct scepmsg *, BIO *);

/* Prints the OpenSSL error queue under the name of the call; -1. */
static int
ssl_fail(const char *call)
{
	unsigned long	 e = ERR_get_error();

	warnx("%s: %s", call, e == 0 ? "failed" :
	    ERR_reason_error_string(e));
	ERR_clear_error();
	return -1;
}

static ASN1_OBJECT *
attr_obj(int n)
{
	char	 oid[32];

	snprintf(oid, sizeof(oid), "2.16.840.1.113733.1.9.%d", n);
	return OBJ_txt2obj(oid, 1);
}

static int
attr_add(CMS_SignerInfo *si, int n, int type, const void *data, int len)
{
	ASN1_OBJECT	*obj;
	int		 r;

	if ((obj = attr_obj(n)) == NULL)
		return -1;
	r = CMS_signed_add1_attr_by_OBJ(si, obj, type, data, len) == 1 ?
	    0 : -1;
	ASN1_OBJECT_free(obj);
	return r;
}

/* Attribute n, present once with one value of the given type, or NULL. */
static const ASN1_STRING *
attr_get(CMS_SignerInfo *si, int n, int type)
{
	ASN1_OBJECT		*obj;
	const ASN1_STRING	*s = NULL;

	if ((obj = attr_obj(n)) != NULL)
		s = CMS_signed_get0_data_by_OBJ(si, obj, -3, type);
	ASN1_OBJECT_free(obj);
	return s;
}

/* A decimal PrintableString attribute from 0 to max, or -1. */
static int
attr_int(CMS_SignerInfo *si, int n, int min, int max)
{
	const ASN1_STRING	*s;
	int			 i, v = 0;

	if ((s = attr_get(si, n, V_ASN1_PRINTABLESTRING)) == NULL ||
	    s->length < 1 || s->length > 3)
		return -1;
	for (i = 0; i < s->length; i++) {
		if (s->data[i] < '0' || s->data[i] > '9')
			return -1;
		v = v * 10 + s->data[i] - '0';
	}
	return v >= min && v <= max ? v : -1;
}

/* A one-day self-signed certificate for key, as devices make them. */
static X509 *
selfsigned(EVP_PKEY *key, const char *cn)
{
	X509		*x = NULL;
	X509_NAME	*name;
	X509_EXTENSION	*ku = NULL;
	BIGNUM		*bn = NULL;
	int		 ok;

	ok = (x = X509_new()) != NULL && X509_set_version(x, X509_VERSION_3) &&
	    (bn = BN_new()) != NULL && BN_rand(bn, 63, BN_RAND_TOP_ANY,
	    BN_RAND_BOTTOM_ANY) && BN_to_ASN1_INTEGER(bn,
	    X509_get_serialNumber(x)) != NULL &&
	    (name = X509_get_subject_name(x)) != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) &&
	    X509_set_issuer_name(x, name) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL &&
	    X509_set_pubkey(x, key) &&
	    (ku = X509V3_EXT_nconf_nid(NULL, NULL, NID_key_usage,
	    "critical,digitalSignature,keyEncipherment")) != NULL &&
	    X509_add_ext(x, ku, -1) && X509_sign(x, key, EVP_sha256()) > 0;
	X509_EXTENSION_free(ku);
	BN_free(bn);
	if (!ok) {
		ssl_fail("self-signed certificate");
		X509_free(x);
		return NULL;
	}
	return x;
}

int
scepmsg_init(struct scepmsg *m, EVP_PKEY *key)
{
	uint8_t		*spki = NULL, md[32];
	unsigned int	 mdlen = 0, i;
	int		 n;

	memset(m, 0, sizeof(*m));
	/* transactionID: hex SHA-256 of the SubjectPublicKeyInfo (A.7). */
	if ((n = i2d_PUBKEY(key, &spki)) <= 0 || EVP_Digest(spki, (size_t)n,
	    md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof(md)) {
		OPENSSL_free(spki);
		return ssl_fail("transactionID");
	}
	OPENSSL_free(spki);
	for (i = 0; i < mdlen; i++)
		snprintf(m->sm_txid + 2 * i, 3, "%02X", md[i]);
	if (RAND_bytes(m->sm_nonce, sizeof(m->sm_nonce)) != 1)
		return ssl_fail("RAND_bytes");
	if ((m->sm_cert = selfsigned(key, m->sm_txid)) == NULL ||
	    EVP_PKEY_up_ref(key) != 1) {
		scepmsg_free(m);
		return -1;
	}
	m->sm_key = key;
	return 0;
}

void
scepmsg_free(struct scepmsg *m)
{
	X509_free(m->sm_cert);
	EVP_PKEY_free(m->sm_key);
	memset(m, 0, sizeof(*m));
}

int
scepmsg_sign(const struct scepmsg *m, const char *type, const EVP_MD *md,
    int badsig, const uint8_t *env, size_t envlen, uint8_t **der,
    size_t *len)
{
	CMS_ContentInfo		*cms = NULL;
	CMS_SignerInfo		*si;
	ASN1_OCTET_STRING	*sig;
	BIO			*in = NULL;
	int			 n = -1;

	*der = NULL;
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL,
	    CMS_PARTIAL | CMS_BINARY)) == NULL ||
	    (si = CMS_add1_signer(cms, m->sm_cert, m->sm_key, md,
	    CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP)) == NULL) {
		ssl_fail("CMS_add1_signer");
		goto out;
	}
	if (attr_add(si, ATTR_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, type,
	    (int)strlen(type)) == -1 || attr_add(si, ATTR_TRANSACTION_ID,
	    V_ASN1_PRINTABLESTRING, m->sm_txid, SCEPMSG_TXID_LEN) == -1 ||
	    attr_add(si, ATTR_SENDER_NONCE, V_ASN1_OCTET_STRING, m->sm_nonce,
	    sizeof(m->sm_nonce)) == -1) {
		ssl_fail("SCEP attributes");
		goto out;
	}
	if ((in = BIO_new_mem_buf(env, (int)envlen)) == NULL ||
	    CMS_final(cms, in, NULL, CMS_BINARY) != 1) {
		ssl_fail("CMS_final");
		goto out;
	}
	/* A bit flipped in the middle of the RSA signature value. */
	if (badsig && (sig = CMS_SignerInfo_get0_signature(si)) != NULL &&
	    sig->length > 0)
		sig->data[sig->length / 2] ^= 0x01;
	if ((n = i2d_CMS_ContentInfo(cms, der)) <= 0)
		ssl_fail("i2d_CMS_ContentInfo");
	else
		*len = (size_t)n;
 out:
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return n > 0 ? 0 : -1;
}

/*
 * Signature by ra alone (no certificate from the message is trusted) over
 * the content, which FAILURE and PENDING leave out: empty then.
 */
static int
reply_verify(CMS_ContentInfo *cms, X509 *ra, BIO *out)
{
	STACK_OF(X509)		*certs = NULL;
	ASN1_OCTET_STRING	**pos;
	BIO			*empty = NULL;
	int			 r = -1;

	pos = CMS_get0_content(cms);
	if ((pos == NULL || *pos == NULL) &&
	    (empty = BIO_new_mem_buf("", 0)) == NULL)
		return ssl_fail("BIO_new_mem_buf");
	if ((certs = sk_X509_new_null()) == NULL || !sk_X509_push(certs, ra))
		ssl_fail("sk_X509_push");
	else if (CMS_verify(cms, certs, NULL, empty, out,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN | CMS_BINARY) != 1)
		ssl_fail("CertRep not signed by the RA: CMS_verify");
	else
		r = 0;
	sk_X509_free(certs);
	BIO_free(empty);
	return r;
}

/* messageType, transactionID, nonces, pkiStatus and failInfo. */
static int
reply_attrs(const struct scepmsg *m, CMS_SignerInfo *si,
    struct scepmsg_rep *rep)
{
	const ASN1_STRING	*s;

	if (attr_int(si, ATTR_MESSAGE_TYPE, 0, 99) != SCEP_MT_CERTREP) {
		warnx("CertRep: messageType is not 3");
		return -1;
	}
	s = attr_get(si, ATTR_TRANSACTION_ID, V_ASN1_PRINTABLESTRING);
	if (s == NULL || (size_t)s->length != strlen(m->sm_txid) ||
	    memcmp(s->data, m->sm_txid, (size_t)s->length) != 0) {
		warnx("CertRep: transactionID is not ours");
		return -1;
	}
	s = attr_get(si, ATTR_RECIPIENT_NONCE, V_ASN1_OCTET_STRING);
	if (s == NULL || s->length != SCEPMSG_NONCE_LEN ||
	    memcmp(s->data, m->sm_nonce, SCEPMSG_NONCE_LEN) != 0) {
		warnx("CertRep: recipientNonce is not our senderNonce");
		return -1;
	}
	s = attr_get(si, ATTR_SENDER_NONCE, V_ASN1_OCTET_STRING);
	if (s == NULL || s->length < 1) {
		warnx("CertRep: no senderNonce");
		return -1;
	}
	rep->rp_status = attr_int(si, ATTR_PKI_STATUS, 0, 3);
	if (rep->rp_status != SCEP_SUCCESS && rep->rp_status != SCEP_FAILURE &&
	    rep->rp_status != SCEP_PENDING) {
		warnx("CertRep: pkiStatus missing or unknown");
		return -1;
	}
	if (rep->rp_status == SCEP_FAILURE && (rep->rp_failinfo =
	    attr_int(si, ATTR_FAIL_INFO, SCEP_BAD_ALG, SCEP_BAD_CERT_ID)) == -1) {
		warnx("CertRep: FAILURE without a known failInfo");
		return -1;
	}
	return 0;
}

/* SUCCESS: the envelope to our certificate, holding the issued one first. */
static X509 *
reply_cert(const struct scepmsg *m, BIO *content)
{
	CMS_ContentInfo	*env = NULL, *deg = NULL;
	STACK_OF(X509)	*certs = NULL;
	BIO		*plain = NULL;
	X509		*x = NULL;

	if ((env = d2i_CMS_bio(content, NULL)) == NULL ||
	    (plain = BIO_new(BIO_s_mem())) == NULL ||
	    CMS_decrypt(env, m->sm_key, m->sm_cert, NULL, plain,
	    CMS_BINARY) != 1) {
		ssl_fail("CertRep envelope: CMS_decrypt");
		goto out;
	}
	if ((deg = d2i_CMS_bio(plain, NULL)) == NULL ||
	    (certs = CMS_get1_certs(deg)) == NULL ||
	    sk_X509_num(certs) < 1) {
		ssl_fail("CertRep content: no certificates");
		goto out;
	}
	x = sk_X509_shift(certs);
 out:
	sk_X509_pop_free(certs, X509_free);
	BIO_free(plain);
	CMS_ContentInfo_free(deg);
	CMS_ContentInfo_free(env);
	return x;
}

int
scepmsg_reply(const struct scepmsg *m, X509 *ra, const uint8_t *der,
    size_t len, struct scepmsg_rep *rep)
{
	CMS_ContentInfo			*cms = NULL;
	STACK_OF(CMS_SignerInfo)	*sis;
	const unsigned char		*p = der;
	BIO				*content = NULL;
	int				 r = -1;

	memset(rep, 0, sizeof(*rep));
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    (sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1) {
		ssl_fail("CertRep is not a SignedData with one signer");
		goto out;
	}
	if ((content = BIO_new(BIO_s_mem())) == NULL ||
	    reply_verify(cms, ra, content) == -1 ||
	    reply_attrs(m, sk_CMS_SignerInfo_value(sis, 0), rep) == -1)
		goto out;
	if (rep->rp_status == SCEP_SUCCESS &&
	    (rep->rp_cert = reply_cert(m, content)) == NULL)
		goto out;
	r = 0;
 out:
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return r;
}

void
scepmsg_rep_free(struct scepmsg_rep *rep)
{
	X509_free(rep->rp_cert);
	memset(rep, 0, sizeof(*rep));
}

const char *
scepmsg_failname(int failinfo)
{
	if (failinfo < 0 || failinfo >= (int)(sizeof(failnames) /
	    sizeof(failnames[0])))
		return "unknown";
	return failnames[failinfo];
}

X509 *
scepmsg_ra(const uint8_t *der, size_t len)
{
	CMS_ContentInfo	*cms = NULL;
	STACK_OF(X509)	*certs = NULL;
	const unsigned char *p = der;
	X509		*x, *ra = NULL;
	int		 i;

	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    (certs = CMS_get1_certs(cms)) == NULL)
		ssl_fail("GetCACert: not a certs-only SignedData");
	for (i = 0; ra == NULL && i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (X509_check_ca(x) == 0 &&
		    (X509_get_key_usage(x) & KU_KEY_ENCIPHERMENT) &&
		    X509_up_ref(x) == 1)
			ra = x;
	}
	if (certs != NULL && ra == NULL)
		warnx("GetCACert: no RA certificate");
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return ra;
}
