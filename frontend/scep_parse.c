/*
 * scep_parse.c: a PKIOperation pkiMessage taken apart in the order of spec
 * A.13: outer SignedData, signer certificate, SCEP attributes, signature,
 * digest policy, signingTime, message type, pkcsPKIEnvelope, content key
 * (unwrapped by the signer between the two public phases: the frontend
 * holds no key), decryption and messageData.  Every step either fills the
 * request or records why it failed; the failure becomes a CertRep FAILURE
 * once transactionID, senderNonce and signer certificate are known, else
 * HTTP 400 (spec A.1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common.h"
#include "keyless.h"
#include "ipc.h"
#include "scep.h"

#define OID_MESSAGE_TYPE	"2.16.840.1.113733.1.9.2"
#define OID_SENDER_NONCE	"2.16.840.1.113733.1.9.5"
#define OID_TRANSACTION_ID	"2.16.840.1.113733.1.9.7"

/* State shared by the steps of one parse, kept while the signer unwraps. */
struct sp_ctx {
	const struct scep_policy *c_pol;
	CMS_ContentInfo		 *c_cms;
	CMS_SignerInfo		 *c_si;
	ASN1_OCTET_STRING	 *c_econtent;	/* points into c_cms */
	PKCS7			 *c_env;
	PKCS7_RECIP_INFO	 *c_ri;		/* points into c_env */
	PKCS7_ENC_CONTENT	 *c_enc;	/* points into c_env */
	int			  c_pad;
	int			  c_oaep_md;
	EVP_CIPHER		 *c_cipher;
	size_t			  c_keylen;
	unsigned char		 *c_ias;	/* recipient, DER */
	uint8_t			 *c_plain;
	size_t			  c_plainlen;
};

/* failInfo per check (used when the result is a CertRep FAILURE). */
static const struct {
	int		 e_fail_info;
	const char	*e_name;
} sp_errs[SCEP_E__MAX] = {
	[SCEP_E_NONE] =		{ SCEP_BAD_REQUEST, "none" },
	[SCEP_E_INTERNAL] =	{ SCEP_BAD_REQUEST, "internal" },
	[SCEP_E_DER] =		{ SCEP_BAD_REQUEST, "der" },
	[SCEP_E_STRUCTURE] =	{ SCEP_BAD_REQUEST, "structure" },
	[SCEP_E_SIGNER_CERT] =	{ SCEP_BAD_REQUEST, "signer-cert" },
	[SCEP_E_ATTR] =		{ SCEP_BAD_REQUEST, "attribute" },
	[SCEP_E_SIGNATURE] =	{ SCEP_BAD_MESSAGE_CHECK, "signature" },
	[SCEP_E_DIGEST] =	{ SCEP_BAD_ALG, "digest" },
	[SCEP_E_TIME] =		{ SCEP_BAD_TIME, "signing-time" },
	[SCEP_E_TYPE] =		{ SCEP_BAD_REQUEST, "message-type" },
	[SCEP_E_ENVELOPE] =	{ SCEP_BAD_REQUEST, "envelope" },
	[SCEP_E_KEYTRANS] =	{ SCEP_BAD_ALG, "key-transport" },
	[SCEP_E_CIPHER] =	{ SCEP_BAD_ALG, "cipher" },
	[SCEP_E_UNWRAP] =	{ SCEP_BAD_REQUEST, "unwrap" },
	[SCEP_E_DECRYPT] =	{ SCEP_BAD_MESSAGE_CHECK, "decrypt" },
	[SCEP_E_CSR] =		{ SCEP_BAD_REQUEST, "csr" },
	[SCEP_E_CSR_SIG] =	{ SCEP_BAD_REQUEST, "csr-signature" },
};

static int	sp_fail(struct scep_req *, enum scep_err, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	sp_ctx_free(struct sp_ctx *);
static const char *sp_oidname(const ASN1_OBJECT *, char *, size_t);
static int	sp_outer(struct sp_ctx *, const uint8_t *, size_t,
		    struct scep_req *);
static int	sp_signer(struct sp_ctx *, struct scep_req *);
static const ASN1_TYPE *sp_attr(CMS_SignerInfo *, const char *);
static const ASN1_STRING *sp_attr_text(CMS_SignerInfo *, const char *);
static int	sp_attrs(struct sp_ctx *, struct scep_req *);
static int	sp_msgtype(struct sp_ctx *, struct scep_req *);
static int	sp_verify(struct sp_ctx *, struct scep_req *);
static int	sp_digest(struct sp_ctx *, struct scep_req *);
static int	sp_time(struct sp_ctx *, struct scep_req *);
static int	sp_type(struct sp_ctx *, struct scep_req *);
static int	sp_envelope(struct sp_ctx *, struct scep_req *);
static int	sp_oaep(const X509_ALGOR *);
static int	sp_keytrans(struct sp_ctx *, struct scep_req *);
static int	sp_cipher(struct sp_ctx *, struct scep_req *);
static int	sp_recipient(struct sp_ctx *, struct scep_req *);
static int	sp_run_cipher(struct sp_ctx *, const uint8_t *,
		    struct scep_req *);
static int	sp_csr(struct sp_ctx *, struct scep_req *);
static int	sp_iands(struct sp_ctx *, struct scep_req *);
static int	sp_ias(struct sp_ctx *, struct scep_req *);
static int	sp_msgdata(struct sp_ctx *, struct scep_req *);

/*
 * Records a failed check and returns -1.  The result is a CertRep
 * FAILURE when the caller can address one (transactionID, senderNonce and
 * signer certificate recovered), HTTP 400 when not, and an internal error
 * when the fault is ours or the signer's.
 */
static int
sp_fail(struct scep_req *r, enum scep_err e, const char *fmt, ...)
{
	va_list	 ap;

	r->sr_err = e;
	va_start(ap, fmt);
	vsnprintf(r->sr_reason, sizeof(r->sr_reason), fmt, ap);
	va_end(ap);
	if (e == SCEP_E_INTERNAL || e == SCEP_E_UNWRAP)
		r->sr_result = SCEP_R_INTERNAL;
	else if (r->sr_txid[0] != '\0' && r->sr_noncelen > 0 &&
	    r->sr_signer != NULL) {
		r->sr_result = SCEP_R_FAIL;
		r->sr_fail_info = sp_errs[e].e_fail_info;
	} else
		r->sr_result = SCEP_R_HTTP400;
	return -1;
}

static void
sp_ctx_free(struct sp_ctx *c)
{
	if (c == NULL)
		return;
	CMS_ContentInfo_free(c->c_cms);
	PKCS7_free(c->c_env);
	EVP_CIPHER_free(c->c_cipher);
	OPENSSL_free(c->c_ias);
	free(c->c_plain);
	free(c);
}

/* An algorithm OID for the log: OpenSSL's name or dotted digits. */
static const char *
sp_oidname(const ASN1_OBJECT *obj, char *buf, size_t bufsz)
{
	if (obj == NULL || OBJ_obj2txt(buf, (int)bufsz, obj, 0) <= 0)
		snprintf(buf, bufsz, "?");
	return buf;
}

/* One whole ContentInfo: SignedData over id-data with one SignerInfo. */
static int
sp_outer(struct sp_ctx *c, const uint8_t *der, size_t len,
    struct scep_req *r)
{
	const unsigned char	 *p = der;
	STACK_OF(CMS_SignerInfo) *sis;

	if (der == NULL || len == 0 || len > SCEP_DER_MAX)
		return sp_fail(r, SCEP_E_DER, "pkiMessage of %zu bytes", len);
	if ((c->c_cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL)
		return sp_fail(r, SCEP_E_DER, "not a CMS ContentInfo");
	if ((size_t)(p - der) != len)
		return sp_fail(r, SCEP_E_DER, "%zu bytes after the ContentInfo",
		    len - (size_t)(p - der));
	if (OBJ_obj2nid(CMS_get0_type(c->c_cms)) != NID_pkcs7_signed ||
	    OBJ_obj2nid(CMS_get0_eContentType(c->c_cms)) != NID_pkcs7_data)
		return sp_fail(r, SCEP_E_STRUCTURE,
		    "not SignedData over id-data");
	sis = CMS_get0_SignerInfos(c->c_cms);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1)
		return sp_fail(r, SCEP_E_STRUCTURE, "%d signers, want 1",
		    sis == NULL ? 0 : sk_CMS_SignerInfo_num(sis));
	c->c_si = sk_CMS_SignerInfo_value(sis, 0);
	return 0;
}

/* The signer's certificate from certificates (RFC 8894 App. A: MUST). */
static int
sp_signer(struct sp_ctx *c, struct scep_req *r)
{
	STACK_OF(X509)	*certs = NULL;
	X509		*x;
	int		 i;

	if ((certs = CMS_get1_certs(c->c_cms)) != NULL)
		for (i = 0; i < sk_X509_num(certs); i++) {
			x = sk_X509_value(certs, i);
			if (CMS_SignerInfo_cert_cmp(c->c_si, x) == 0 &&
			    X509_up_ref(x) == 1) {
				r->sr_signer = x;
				break;
			}
		}
	sk_X509_pop_free(certs, X509_free);
	if (r->sr_signer == NULL)
		return sp_fail(r, SCEP_E_SIGNER_CERT,
		    "signer certificate not in the message");
	return 0;
}

/* The value of a signed attribute present once with one value, or NULL. */
static const ASN1_TYPE *
sp_attr(CMS_SignerInfo *si, const char *oid)
{
	ASN1_OBJECT		*obj = NULL;
	const ASN1_TYPE		*t = NULL;
	X509_ATTRIBUTE		*a;
	int			 i;

	if ((obj = OBJ_txt2obj(oid, 1)) == NULL)
		goto out;
	if ((i = CMS_signed_get_attr_by_OBJ(si, obj, -1)) < 0 ||
	    CMS_signed_get_attr_by_OBJ(si, obj, i) >= 0)
		goto out;
	if ((a = CMS_signed_get_attr(si, i)) != NULL &&
	    X509_ATTRIBUTE_count(a) == 1)
		t = X509_ATTRIBUTE_get0_type(a, 0);
 out:
	ASN1_OBJECT_free(obj);
	return t;
}

/* A "PrintableString" attribute, read leniently (spec A.5). */
static const ASN1_STRING *
sp_attr_text(CMS_SignerInfo *si, const char *oid)
{
	const ASN1_TYPE	*t;

	if ((t = sp_attr(si, oid)) == NULL)
		return NULL;
	if (t->type != V_ASN1_PRINTABLESTRING &&
	    t->type != V_ASN1_UTF8STRING && t->type != V_ASN1_IA5STRING)
		return NULL;
	return t->value.asn1_string;
}

/*
 * transactionID and senderNonce, read before the signature is checked so
 * that even a bad signature can be answered with a CertRep FAILURE.
 */
static int
sp_attrs(struct sp_ctx *c, struct scep_req *r)
{
	const ASN1_STRING	*s;
	const ASN1_TYPE		*t;

	s = sp_attr_text(c->c_si, OID_TRANSACTION_ID);
	if (s == NULL || s->length < 1 || s->length > SCEP_TXID_MAX ||
	    !scep_printable(s->data, (size_t)s->length))
		return sp_fail(r, SCEP_E_ATTR, "transactionID missing or "
		    "not 1 to %d printable characters", SCEP_TXID_MAX);
	memcpy(r->sr_txid, s->data, (size_t)s->length);
	r->sr_txid[s->length] = '\0';
	t = sp_attr(c->c_si, OID_SENDER_NONCE);
	if (t == NULL || t->type != V_ASN1_OCTET_STRING ||
	    t->value.octet_string->length < 1 ||
	    t->value.octet_string->length > SCEP_NONCE_MAX)
		return sp_fail(r, SCEP_E_ATTR, "senderNonce missing or not "
		    "1 to %d bytes", SCEP_NONCE_MAX);
	r->sr_noncelen = (size_t)t->value.octet_string->length;
	memcpy(r->sr_nonce, t->value.octet_string->data, r->sr_noncelen);
	return sp_msgtype(c, r);
}

/* messageType must be there; a value we do not serve is judged later. */
static int
sp_msgtype(struct sp_ctx *c, struct scep_req *r)
{
	const ASN1_STRING	*s;
	ASN1_OCTET_STRING	**pos;
	int			 i, v = 0;

	if ((s = sp_attr_text(c->c_si, OID_MESSAGE_TYPE)) == NULL)
		return sp_fail(r, SCEP_E_ATTR, "messageType missing");
	for (i = 0; i < s->length && i < 4; i++) {
		if (s->data[i] < '0' || s->data[i] > '9')
			break;
		v = v * 10 + (s->data[i] - '0');
	}
	r->sr_type = (s->length > 0 && i == s->length) ? v : -1;
	/* Everything below reads the envelope, which must be there. */
	pos = CMS_get0_content(c->c_cms);
	if (pos == NULL || (c->c_econtent = *pos) == NULL ||
	    c->c_econtent->length <= 0)
		return sp_fail(r, SCEP_E_ENVELOPE, "no pkcsPKIEnvelope");
	return 0;
}

/* Signature and messageDigest with the embedded certificate, no chain. */
static int
sp_verify(struct sp_ctx *c, struct scep_req *r)
{
	if (CMS_verify(c->c_cms, NULL, NULL, NULL, NULL,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
		return sp_fail(r, SCEP_E_SIGNATURE, "CMS_verify failed");
	return 0;
}

/* SHA-1 and SHA-2 digests; MD5 only behind the legacy switch. */
static int
sp_digest(struct sp_ctx *c, struct scep_req *r)
{
	X509_ALGOR	*dig = NULL;
	char		 name[64];
	int		 nid;

	CMS_SignerInfo_get0_algs(c->c_si, NULL, NULL, &dig, NULL);
	nid = dig == NULL ? NID_undef : OBJ_obj2nid(dig->algorithm);
	if (nid != 0 && scep_digest_ok(nid, c->c_pol->sp_legacy)) {
		r->sr_digest = nid;
		return 0;
	}
	return sp_fail(r, SCEP_E_DIGEST, "digest %s not accepted",
	    sp_oidname(dig == NULL ? NULL : dig->algorithm, name,
	    sizeof(name)));
}

/* signingTime is optional (sscep omits it); when present, bound the skew. */
static int
sp_time(struct sp_ctx *c, struct scep_req *r)
{
	X509_ATTRIBUTE	*a;
	const ASN1_TYPE	*t;
	struct tm	 tm;
	time_t		 now, when;
	int		 i;

	i = CMS_signed_get_attr_by_NID(c->c_si, NID_pkcs9_signingTime, -1);
	if (i < 0 || c->c_pol->sp_max_skew <= 0)
		return 0;
	a = CMS_signed_get_attr(c->c_si, i);
	t = a == NULL ? NULL : X509_ATTRIBUTE_get0_type(a, 0);
	memset(&tm, 0, sizeof(tm));
	if (t == NULL || (t->type != V_ASN1_UTCTIME &&
	    t->type != V_ASN1_GENERALIZEDTIME) ||
	    ASN1_TIME_to_tm(t->value.utctime, &tm) != 1 ||
	    (when = timegm(&tm)) == (time_t)-1)
		return sp_fail(r, SCEP_E_TIME, "signingTime unreadable");
	now = c->c_pol->sp_now != 0 ? c->c_pol->sp_now : time(NULL);
	if ((when > now ? when - now : now - when) > c->c_pol->sp_max_skew)
		return sp_fail(r, SCEP_E_TIME, "signingTime %lld s off",
		    (long long)(when - now));
	return 0;
}

/* The message types keyward serves (design.md); others are badRequest. */
static int
sp_type(struct sp_ctx *c, struct scep_req *r)
{
	switch (r->sr_type) {
	case SCEP_MT_RENEWALREQ:
	case SCEP_MT_PKCSREQ:
	case SCEP_MT_CERTPOLL:
	case SCEP_MT_GETCERT:
	case SCEP_MT_GETCRL:
		return 0;
	case -1:
		return sp_fail(r, SCEP_E_TYPE, "messageType not a number");
	default:
		return sp_fail(r, SCEP_E_TYPE, "messageType %d not served",
		    r->sr_type);
	}
}

/*
 * The pkcsPKIEnvelope as PKCS7 (CMS structures are opaque in OpenSSL 3.0,
 * spec A.12 step 5): EnvelopedData with exactly one KeyTransRecipientInfo.
 */
static int
sp_envelope(struct sp_ctx *c, struct scep_req *r)
{
	const unsigned char	*p = c->c_econtent->data;
	long			 n = c->c_econtent->length;

	if ((c->c_env = d2i_PKCS7(NULL, &p, n)) == NULL ||
	    p != c->c_econtent->data + n)
		return sp_fail(r, SCEP_E_ENVELOPE, "pkcsPKIEnvelope is not "
		    "one PKCS#7 ContentInfo with issuerAndSerialNumber");
	if (!PKCS7_type_is_enveloped(c->c_env) ||
	    c->c_env->d.enveloped == NULL ||
	    sk_PKCS7_RECIP_INFO_num(c->c_env->d.enveloped->recipientinfo) != 1)
		return sp_fail(r, SCEP_E_ENVELOPE, "not EnvelopedData with "
		    "one recipient");
	c->c_ri = sk_PKCS7_RECIP_INFO_value(
	    c->c_env->d.enveloped->recipientinfo, 0);
	c->c_enc = c->c_env->d.enveloped->enc_data;
	if (c->c_enc == NULL || c->c_enc->algorithm == NULL ||
	    c->c_enc->enc_data == NULL || c->c_enc->enc_data->length <= 0)
		return sp_fail(r, SCEP_E_ENVELOPE, "no encryptedContent");
	if (c->c_ri->enc_key == NULL || c->c_ri->enc_key->length <= 0 ||
	    c->c_ri->enc_key->length > SCEP_EK_MAX)
		return sp_fail(r, SCEP_E_ENVELOPE, "encryptedKey length");
	return 0;
}

/*
 * RSAES-OAEP parameters (RFC 4055; absent fields mean SHA-1): the digest
 * NID when hash and MGF1 hash agree and the label is empty, which is what
 * the signer can do, else NID_undef.
 */
static int
sp_oaep(const X509_ALGOR *ka)
{
	RSA_OAEP_PARAMS	*op = NULL;
	X509_ALGOR	*mgfmd = NULL;
	const ASN1_TYPE	*ps;
	int		 hash = NID_sha1, mgf = NID_sha1, nid = NID_undef;

	/* Some encoders write NULL or nothing for "all defaults". */
	if (ka->parameter == NULL || ka->parameter->type == V_ASN1_NULL)
		return NID_sha1;
	if ((op = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_OAEP_PARAMS),
	    ka->parameter)) == NULL)
		goto out;
	if (op->hashFunc != NULL)
		hash = OBJ_obj2nid(op->hashFunc->algorithm);
	if (op->maskGenFunc != NULL) {
		if (OBJ_obj2nid(op->maskGenFunc->algorithm) != NID_mgf1 ||
		    (mgfmd = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(
		    X509_ALGOR), op->maskGenFunc->parameter)) == NULL)
			goto out;
		mgf = OBJ_obj2nid(mgfmd->algorithm);
	}
	if (op->pSourceFunc != NULL && (OBJ_obj2nid(
	    op->pSourceFunc->algorithm) != NID_pSpecified ||
	    (ps = op->pSourceFunc->parameter) == NULL ||
	    ps->type != V_ASN1_OCTET_STRING ||
	    ps->value.octet_string->length != 0))
		goto out;
	if (hash == mgf && hash != 0 && scep_digest_ok(hash, 0))
		nid = hash;
 out:
	X509_ALGOR_free(mgfmd);
	RSA_OAEP_PARAMS_free(op);
	return nid;
}

/* RSA PKCS#1 v1.5 or RSA-OAEP key transport. */
static int
sp_keytrans(struct sp_ctx *c, struct scep_req *r)
{
	const X509_ALGOR	*ka = c->c_ri->key_enc_algor;
	char			 name[64];

	switch (ka == NULL ? NID_undef : OBJ_obj2nid(ka->algorithm)) {
	case NID_rsaEncryption:
		c->c_pad = IPC_PAD_PKCS1;
		break;
	case NID_rsaesOaep:
		if ((c->c_oaep_md = sp_oaep(ka)) == NID_undef)
			return sp_fail(r, SCEP_E_KEYTRANS,
			    "RSA-OAEP parameters not supported");
		c->c_pad = IPC_PAD_OAEP;
		break;
	default:
		return sp_fail(r, SCEP_E_KEYTRANS, "key transport %s not "
		    "accepted", sp_oidname(ka == NULL ? NULL : ka->algorithm,
		    name, sizeof(name)));
	}
	r->sr_keytrans = c->c_pad;
	return 0;
}

/* AES-CBC and 3DES; single DES only behind the legacy switch. */
static int
sp_cipher(struct sp_ctx *c, struct scep_req *r)
{
	char	 name[64];
	int	 nid = OBJ_obj2nid(c->c_enc->algorithm->algorithm);

	if (!scep_cipher_ok(nid, c->c_pol->sp_legacy))
		return sp_fail(r, SCEP_E_CIPHER, "cipher %s not accepted",
		    sp_oidname(c->c_enc->algorithm->algorithm, name,
		    sizeof(name)));
	/* DES-CBC lives in the legacy provider: scep_legacy_load(). */
	if ((c->c_cipher = EVP_CIPHER_fetch(NULL, OBJ_nid2sn(nid),
	    NULL)) == NULL)
		return sp_fail(r, SCEP_E_CIPHER, "cipher %s not available",
		    OBJ_nid2sn(nid));
	c->c_keylen = (size_t)EVP_CIPHER_get_key_length(c->c_cipher);
	if (c->c_keylen == 0 || c->c_keylen > SCEP_CEK_MAX)
		return sp_fail(r, SCEP_E_INTERNAL, "key length %zu",
		    c->c_keylen);
	r->sr_cipher = nid;
	return 0;
}

/* What the signer needs to unwrap the content key, for the caller. */
static int
sp_recipient(struct sp_ctx *c, struct scep_req *r)
{
	struct scep_unwrap	*u = &r->sr_unwrap;
	int			 iaslen;

	iaslen = i2d_PKCS7_ISSUER_AND_SERIAL(c->c_ri->issuer_and_serial,
	    &c->c_ias);
	if (iaslen <= 0)
		return sp_fail(r, SCEP_E_INTERNAL, "i2d issuerAndSerialNumber");
	if (iaslen > SCEP_IAS_MAX)
		return sp_fail(r, SCEP_E_ENVELOPE, "recipient issuerAndSerial"
		    "Number of %d bytes", iaslen);
	u->su_pad = c->c_pad;
	u->su_oaep_md = c->c_oaep_md;
	u->su_ias = c->c_ias;
	u->su_iaslen = (size_t)iaslen;
	u->su_ek = c->c_ri->enc_key->data;
	u->su_eklen = (size_t)c->c_ri->enc_key->length;
	u->su_keylen = c->c_keylen;
	r->sr_result = SCEP_R_UNWRAP;
	return 0;
}

/*
 * Decrypts encryptedContent with cek into c_plain.  A wrong key (the
 * signer's implicit rejection) shows up here as a padding error, and must
 * look exactly like any other check failure: badMessageCheck.
 */
static int
sp_run_cipher(struct sp_ctx *c, const uint8_t *cek, struct scep_req *r)
{
	const ASN1_OCTET_STRING	*ct = c->c_enc->enc_data;
	ASN1_TYPE		*iv;
	EVP_CIPHER_CTX		*ctx = NULL;
	int			 ul = 0, fl = 0, rv = -1;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL || (c->c_plain =
	    malloc((size_t)ct->length + EVP_MAX_BLOCK_LENGTH)) == NULL ||
	    EVP_DecryptInit_ex(ctx, c->c_cipher, NULL, NULL, NULL) != 1) {
		rv = sp_fail(r, SCEP_E_INTERNAL, "cipher context");
		goto out;
	}
	/* The IV is the algorithm parameter: an OCTET STRING of IV size. */
	if ((iv = c->c_enc->algorithm->parameter) == NULL ||
	    EVP_CIPHER_asn1_to_param(ctx, iv) <= 0) {
		rv = sp_fail(r, SCEP_E_DECRYPT, "content cipher IV");
		goto out;
	}
	if (EVP_DecryptInit_ex(ctx, NULL, NULL, cek, NULL) != 1 ||
	    EVP_DecryptUpdate(ctx, c->c_plain, &ul, ct->data,
	    ct->length) != 1 ||
	    EVP_DecryptFinal_ex(ctx, c->c_plain + ul, &fl) != 1) {
		rv = sp_fail(r, SCEP_E_DECRYPT, "content did not decrypt");
		goto out;
	}
	c->c_plainlen = (size_t)(ul + fl);
	rv = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return rv;
}

/*
 * PKCSReq, RenewalReq: one PKCS#10 request with a valid self-signature.
 * Garbage (as a wrong key gives) is badMessageCheck; a well-formed CSR
 * that fails its own signature is badRequest (spec A.13).
 */
static int
sp_csr(struct sp_ctx *c, struct scep_req *r)
{
	EVP_PKEY		*pub;
	int			 ok;

	r->sr_csr = keyless_parse_req(c->c_plain, c->c_plainlen);
	if (r->sr_csr == NULL)
		return sp_fail(r, SCEP_E_DECRYPT, "messageData is not one "
		    "PKCS#10 request");
	if (c->c_plainlen > IPC_CSR_MAX)
		return sp_fail(r, SCEP_E_CSR, "CSR of %zu bytes",
		    c->c_plainlen);
	if ((pub = keyless_req_key(r->sr_csr)) == NULL)
		return sp_fail(r, SCEP_E_CSR, "CSR public key unusable");
	ok = X509_REQ_verify_ex(r->sr_csr, pub, NULL, NULL) == 1;
	EVP_PKEY_free(pub);
	if (!ok)
		return sp_fail(r, SCEP_E_CSR_SIG, "CSR signature invalid");
	r->sr_csr_der = c->c_plain;
	r->sr_csr_len = c->c_plainlen;
	c->c_plain = NULL;
	return 0;
}

/*
 * CertPoll: IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }
 * (RFC 8894 3.3.3), which has no OpenSSL type; BER indefinite length too.
 */
static int
sp_iands(struct sp_ctx *c, struct scep_req *r)
{
	const unsigned char	*p = c->c_plain, *end = p + c->c_plainlen;
	long			 clen = 0, tail;
	int			 tag = 0, xclass = 0, inf;

	inf = ASN1_get_object(&p, &clen, &tag, &xclass, (long)c->c_plainlen);
	/* Indefinite length (inf & 1) ends in two zero octets instead. */
	tail = (inf & 1) ? 2 : 0;
	if ((inf & 0x80) || !(inf & V_ASN1_CONSTRUCTED) ||
	    tag != V_ASN1_SEQUENCE || xclass != V_ASN1_UNIVERSAL ||
	    (tail == 0 && clen != (long)(end - p)) || end - p < tail ||
	    (r->sr_issuer = d2i_X509_NAME(NULL, &p, end - p)) == NULL ||
	    (r->sr_subject = d2i_X509_NAME(NULL, &p, end - p)) == NULL ||
	    end - p != tail || (tail == 2 && (p[0] != 0 || p[1] != 0)))
		return sp_fail(r, SCEP_E_DECRYPT, "messageData is not one "
		    "IssuerAndSubject");
	return 0;
}

/* GetCert, GetCRL: IssuerAndSerialNumber (RFC 8894 3.3.4). */
static int
sp_ias(struct sp_ctx *c, struct scep_req *r)
{
	const unsigned char	*p = c->c_plain;
	PKCS7_ISSUER_AND_SERIAL	*ias = NULL;
	int			 rv = -1;

	if ((ias = d2i_PKCS7_ISSUER_AND_SERIAL(NULL, &p,
	    (long)c->c_plainlen)) == NULL || p != c->c_plain + c->c_plainlen) {
		rv = sp_fail(r, SCEP_E_DECRYPT, "messageData is not one "
		    "IssuerAndSerialNumber");
		goto out;
	}
	r->sr_issuer = ias->issuer;
	r->sr_serial = ias->serial;
	ias->issuer = NULL;
	ias->serial = NULL;
	rv = 0;
 out:
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return rv;
}

static int
sp_msgdata(struct sp_ctx *c, struct scep_req *r)
{
	switch (r->sr_type) {
	case SCEP_MT_PKCSREQ:
	case SCEP_MT_RENEWALREQ:
		return sp_csr(c, r);
	case SCEP_MT_CERTPOLL:
		return sp_iands(c, r);
	default:
		return sp_ias(c, r);
	}
}

/*
 * Parses one pkiMessage up to its content key.  out is always filled
 * (free it with scep_req_free); returns 0 if out->sr_result is
 * SCEP_R_UNWRAP, with the parse state kept in out, else -1.
 */
int
scep_parse(const uint8_t *der, size_t len, const struct scep_policy *pol,
    struct scep_req *out)
{
	struct sp_ctx	*c;

	memset(out, 0, sizeof(*out));
	out->sr_result = SCEP_R_HTTP400;
	out->sr_type = -1;
	if (pol == NULL || (c = calloc(1, sizeof(*c))) == NULL) {
		sp_fail(out, SCEP_E_INTERNAL, "no policy or no memory");
		return -1;
	}
	c->c_pol = pol;
	if (sp_outer(c, der, len, out) == 0 && sp_signer(c, out) == 0 &&
	    sp_attrs(c, out) == 0 && sp_verify(c, out) == 0 &&
	    sp_digest(c, out) == 0 && sp_time(c, out) == 0 &&
	    sp_type(c, out) == 0 && sp_envelope(c, out) == 0 &&
	    sp_keytrans(c, out) == 0 && sp_cipher(c, out) == 0 &&
	    sp_recipient(c, out) == 0)
		out->sr_ctx = c;
	else
		sp_ctx_free(c);
	/* Hostile input leaves errors queued; do not leak them to callers. */
	ERR_clear_error();
	return out->sr_result == SCEP_R_UNWRAP ? 0 : -1;
}

/*
 * Finishes a parse that stopped at SCEP_R_UNWRAP with the content key the
 * signer returned (NULL if it could not be asked).  Returns 0 if
 * r->sr_result is SCEP_R_OK, else -1.
 */
int
scep_parse_key(struct scep_req *r, const uint8_t *cek, size_t ceklen)
{
	struct sp_ctx	*c = r->sr_ctx;

	r->sr_ctx = NULL;
	memset(&r->sr_unwrap, 0, sizeof(r->sr_unwrap));
	if (r->sr_result != SCEP_R_UNWRAP || c == NULL)
		sp_fail(r, SCEP_E_INTERNAL, "not waiting for a content key");
	else if (cek == NULL || ceklen != c->c_keylen)
		sp_fail(r, SCEP_E_UNWRAP, "content key not unwrapped");
	else if (sp_run_cipher(c, cek, r) == 0 && sp_msgdata(c, r) == 0) {
		r->sr_result = SCEP_R_OK;
		r->sr_err = SCEP_E_NONE;
	}
	sp_ctx_free(c);
	ERR_clear_error();
	return r->sr_result == SCEP_R_OK ? 0 : -1;
}

void
scep_req_free(struct scep_req *r)
{
	if (r == NULL)
		return;
	sp_ctx_free(r->sr_ctx);
	X509_free(r->sr_signer);
	X509_REQ_free(r->sr_csr);
	free(r->sr_csr_der);
	X509_NAME_free(r->sr_issuer);
	X509_NAME_free(r->sr_subject);
	ASN1_INTEGER_free(r->sr_serial);
	memset(r, 0, sizeof(*r));
	r->sr_type = -1;
}

const char *
scep_err_name(enum scep_err e)
{
	if ((unsigned)e >= SCEP_E__MAX)
		return "?";
	return sp_errs[e].e_name;
}
