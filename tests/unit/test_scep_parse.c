/*
 * test_scep_parse.c: SCEP PKIOperation decoding and parsing against a
 * tiny SCEP client built here with OpenSSL (CSR, self-signed requester
 * certificate, CMS envelope to a software RA certificate, CMS signature
 * with the SCEP attributes).  Between the two parsing phases the test
 * plays the signer with the software RA key, including its implicit
 * rejection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ipc.h"
#include "common.h"
#include "scep.h"

#define OID_MESSAGE_TYPE	"2.16.840.1.113733.1.9.2"
#define OID_SENDER_NONCE	"2.16.840.1.113733.1.9.5"
#define OID_TRANSACTION_ID	"2.16.840.1.113733.1.9.7"
#define TXID			"2F3C88114C283E9A6BD5A91E76E6BD7A"
#define CHALLENGE		"s3cret-challenge"
#define NO_OAEP			(-1)

/* How the test client builds one pkiMessage. */
struct msgspec {
	const char	*ms_type;	/* messageType text; NULL: omit */
	int		 ms_tag;	/* string type of type and txid */
	const char	*ms_txid;	/* NULL: omit */
	size_t		 ms_noncelen;	/* 0: omit */
	const EVP_MD	*ms_md;
	long		 ms_time_off;	/* != 0: signingTime = now + off */
	int		 ms_tamper;	/* flip a signature bit */
};

/* What the signer stand-in saw. */
struct unwrap_log {
	int		 ul_calls;
	int		 ul_pad;
	int		 ul_md;
	int		 ul_ias_ok;	/* recipient named the RA cert */
	size_t		 ul_keylen;
	int		 ul_fail;	/* return -1: signer unreachable */
};

static EVP_PKEY		*ra_key, *ra2_key, *rq_key;
static X509		*ra_cert, *ra2_cert, *rq_cert;
static uint8_t		*csr_der, *badcsr_der, *ra_ias;
static size_t		 csr_len, badcsr_len, ra_ias_len;
static const uint8_t	 nonce[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
			    12, 13, 14, 15, 16 };
static const struct scep_policy	 pol_std = { 0, 600, 0 };
static const struct scep_policy	 pol_legacy = { 1, 600, 0 };

/* Self-signed certificate with the KU a SCEP requester or RA has. */
static X509 *
mkcert(EVP_PKEY *key, const char *cn, long serial)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();

	assert_non_null(x);
	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

/* PKCS#10 with a challengePassword; broken: its signature spoiled. */
static uint8_t *
mkcsr(EVP_PKEY *key, int broken, size_t *len)
{
	X509_REQ	*req = X509_REQ_new();
	X509_NAME	*n = X509_REQ_get_subject_name(req);
	unsigned char	*der = NULL;
	int		 dlen;

	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"device-0042", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_int_equal(X509_REQ_add1_attr_by_NID(req,
	    NID_pkcs9_challengePassword, MBSTRING_UTF8,
	    (const unsigned char *)CHALLENGE, -1), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_true((dlen = i2d_X509_REQ(req, &der)) > 0);
	/* The signature BIT STRING is last: a flip keeps the DER valid. */
	if (broken)
		der[dlen - 5] ^= 0x40;
	X509_REQ_free(req);
	*len = (size_t)dlen;
	return der;
}

/* issuerAndSerialNumber DER of a certificate. */
static uint8_t *
mkias(X509 *x, const char *issuer_cn, long serial, size_t *len)
{
	PKCS7_ISSUER_AND_SERIAL	*ias = PKCS7_ISSUER_AND_SERIAL_new();
	X509_NAME		*n = NULL;
	unsigned char		*der = NULL;
	int			 dlen;

	assert_non_null(ias);
	if (x != NULL) {
		assert_int_equal(X509_NAME_set(&ias->issuer,
		    X509_get_issuer_name(x)), 1);
		ASN1_INTEGER_free(ias->serial);
		ias->serial = ASN1_INTEGER_dup(X509_get0_serialNumber(x));
	} else {
		n = X509_NAME_new();
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN",
		    MBSTRING_UTF8, (const unsigned char *)issuer_cn, -1, -1,
		    0), 1);
		assert_int_equal(X509_NAME_set(&ias->issuer, n), 1);
		assert_int_equal(ASN1_INTEGER_set(ias->serial, serial), 1);
	}
	assert_true((dlen = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der)) > 0);
	X509_NAME_free(n);
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	*len = (size_t)dlen;
	return der;
}

static int
setup(void **state)
{
	assert_int_equal(scep_legacy_load(), 0);
	ra_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ra2_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rq_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (ra_key == NULL || ra2_key == NULL || rq_key == NULL)
		return -1;
	ra_cert = mkcert(ra_key, "keyward Test RA", 1001);
	ra2_cert = mkcert(ra2_key, "Some Other RA", 1002);
	rq_cert = mkcert(rq_key, "5A3B6C1E-0F7D-4E4C-9C1B-2B7D2B6C9A11", 7);
	csr_der = mkcsr(rq_key, 0, &csr_len);
	badcsr_der = mkcsr(rq_key, 1, &badcsr_len);
	ra_ias = mkias(ra_cert, NULL, 0, &ra_ias_len);
	return 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(ra_key);
	EVP_PKEY_free(ra2_key);
	EVP_PKEY_free(rq_key);
	X509_free(ra_cert);
	X509_free(ra2_cert);
	X509_free(rq_cert);
	OPENSSL_free(csr_der);
	OPENSSL_free(badcsr_der);
	OPENSSL_free(ra_ias);
	return 0;
}

/*
 * The signer stand-in: RSA decryption with the RA key; a failure or a key
 * of the wrong length yields random bytes (implicit rejection).  Returns
 * -1 when it plays an unreachable signer.
 */
static int
unwrap(struct unwrap_log *ul, const struct scep_unwrap *u, uint8_t *cek)
{
	EVP_PKEY_CTX	*ctx = NULL;
	uint8_t		 buf[512];
	size_t		 n = sizeof(buf);
	int		 ok, md = u->su_oaep_md;

	ul->ul_calls++;
	ul->ul_pad = u->su_pad;
	ul->ul_md = md;
	ul->ul_keylen = u->su_keylen;
	ul->ul_ias_ok = u->su_iaslen == ra_ias_len &&
	    memcmp(u->su_ias, ra_ias, ra_ias_len) == 0;
	if (ul->ul_fail)
		return -1;
	assert_true(u->su_keylen <= SCEP_CEK_MAX);
	ok = (ctx = EVP_PKEY_CTX_new(ra_key, NULL)) != NULL &&
	    EVP_PKEY_decrypt_init(ctx) > 0;
	if (ok && u->su_pad == IPC_PAD_OAEP)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx,
		    RSA_PKCS1_OAEP_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_rsa_oaep_md(ctx,
		    EVP_get_digestbynid(md)) > 0 &&
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx,
		    EVP_get_digestbynid(md)) > 0;
	ok = ok && EVP_PKEY_decrypt(ctx, buf, &n, u->su_ek, u->su_eklen) > 0 &&
	    n == u->su_keylen;
	if (ok)
		memcpy(cek, buf, u->su_keylen);
	else
		RAND_bytes(cek, (int)u->su_keylen);
	EVP_PKEY_CTX_free(ctx);
	return 0;
}

/* CMS EnvelopedData of data to one recipient; oaep_md NULL: PKCS#1. */
static uint8_t *
envelope(const uint8_t *data, size_t len, X509 *to, const EVP_CIPHER *c,
    const EVP_MD *oaep_md, int label, size_t *outlen)
{
	CMS_ContentInfo		*cms;
	CMS_RecipientInfo	*ri;
	EVP_PKEY_CTX		*pctx;
	BIO			*in = BIO_new_mem_buf(data, (int)len);
	unsigned char		*der = NULL;
	int			 dlen;

	cms = CMS_encrypt(NULL, NULL, c, CMS_BINARY | CMS_PARTIAL);
	assert_non_null(cms);
	/* CMS_KEY_PARAM: a pkey ctx now, as openssl cms -keyopt does. */
	ri = CMS_add1_recipient_cert(cms, to, CMS_KEY_PARAM);
	assert_non_null(ri);
	if (oaep_md != NULL) {
		assert_non_null(pctx = CMS_RecipientInfo_get0_pkey_ctx(ri));
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_OAEP_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_oaep_md(pctx, oaep_md) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, oaep_md) > 0);
		if (label)
			assert_true(EVP_PKEY_CTX_set0_rsa_oaep_label(pctx,
			    OPENSSL_strdup("label"), 5) > 0);
	}
	assert_int_equal(CMS_final(cms, in, NULL, CMS_BINARY), 1);
	assert_true((dlen = i2d_CMS_ContentInfo(cms, &der)) > 0);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	*outlen = (size_t)dlen;
	return der;
}

static void
add_text_attr(CMS_SignerInfo *si, const char *oid, int tag, const char *s)
{
	assert_int_equal(CMS_signed_add1_attr_by_txt(si, oid, tag, s,
	    (int)strlen(s)), 1);
}

/* The SCEP attributes (and a chosen signingTime) of ms. */
static void
add_attrs(CMS_SignerInfo *si, const struct msgspec *ms)
{
	ASN1_TIME	*t;
	int		 tag = ms->ms_tag != 0 ? ms->ms_tag :
			    V_ASN1_PRINTABLESTRING;

	if (ms->ms_type != NULL)
		add_text_attr(si, OID_MESSAGE_TYPE, tag, ms->ms_type);
	if (ms->ms_txid != NULL)
		add_text_attr(si, OID_TRANSACTION_ID, tag, ms->ms_txid);
	if (ms->ms_noncelen > 0)
		assert_int_equal(CMS_signed_add1_attr_by_txt(si,
		    OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce,
		    (int)ms->ms_noncelen), 1);
	if (ms->ms_time_off != 0) {
		assert_non_null(t = X509_gmtime_adj(NULL, ms->ms_time_off));
		assert_int_equal(CMS_signed_add1_attr_by_NID(si,
		    NID_pkcs9_signingTime, V_ASN1_UTCTIME, t, -1), 1);
		ASN1_TIME_free(t);
	}
}

/* The pkiMessage: SignedData over content, signed by the requester. */
static uint8_t *
pkimsg(const struct msgspec *ms, const uint8_t *content, size_t clen,
    size_t *outlen)
{
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	ASN1_OCTET_STRING	*sig;
	BIO			*in = BIO_new_mem_buf(content, (int)clen);
	unsigned char		*der = NULL;
	int			 dlen;

	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
	assert_non_null(cms);
	si = CMS_add1_signer(cms, rq_cert, rq_key, ms->ms_md != NULL ?
	    ms->ms_md : EVP_sha256(), CMS_PARTIAL | CMS_BINARY |
	    CMS_NOSMIMECAP);
	assert_non_null(si);
	add_attrs(si, ms);
	assert_int_equal(CMS_final(cms, in, NULL, CMS_BINARY), 1);
	if (ms->ms_tamper) {
		sig = CMS_SignerInfo_get0_signature(si);
		sig->data[sig->length / 2] ^= 0x01;
	}
	assert_true((dlen = i2d_CMS_ContentInfo(cms, &der)) > 0);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	*outlen = (size_t)dlen;
	return der;
}

/* A whole request: data enveloped to `to` with c, then signed per ms. */
static uint8_t *
request(const struct msgspec *ms, const uint8_t *data, size_t len,
    X509 *to, const EVP_CIPHER *c, const EVP_MD *oaep_md, size_t *outlen)
{
	uint8_t	*env, *der;
	size_t	 envlen;

	env = envelope(data, len, to, c, oaep_md, 0, &envlen);
	der = pkimsg(ms, env, envlen, outlen);
	OPENSSL_free(env);
	return der;
}

static struct msgspec
spec(const char *type, const EVP_MD *md)
{
	struct msgspec	 ms;

	memset(&ms, 0, sizeof(ms));
	ms.ms_type = type;
	ms.ms_txid = TXID;
	ms.ms_noncelen = sizeof(nonce);
	ms.ms_md = md;
	return ms;
}

/*
 * Parses der (and frees it) in both phases, with the signer stand-in
 * between them; the unwrap log goes to ul.
 */
static int
parse(uint8_t *der, size_t len, const struct scep_policy *pol,
    struct unwrap_log *ul, struct scep_req *r)
{
	uint8_t	 cek[SCEP_CEK_MAX];
	size_t	 keylen;
	int	 rv;

	rv = scep_parse(der, len, pol, r);
	OPENSSL_free(der);
	if (rv == -1) {
		assert_int_not_equal(r->sr_result, SCEP_R_UNWRAP);
		assert_int_not_equal(r->sr_result, SCEP_R_OK);
		return -1;
	}
	assert_int_equal(r->sr_result, SCEP_R_UNWRAP);
	keylen = r->sr_unwrap.su_keylen;
	if (unwrap(ul, &r->sr_unwrap, cek) == -1)
		return scep_parse_key(r, NULL, 0);
	return scep_parse_key(r, cek, keylen);
}

/* A CertRep FAILURE with failInfo fi for check e, txid and nonce kept. */
static void
assert_fail(const struct scep_req *r, int fi, enum scep_err e)
{
	assert_int_equal(r->sr_result, SCEP_R_FAIL);
	assert_int_equal(r->sr_fail_info, fi);
	assert_int_equal(r->sr_err, e);
	assert_string_equal(r->sr_txid, TXID);
	assert_int_equal(r->sr_noncelen, sizeof(nonce));
	assert_memory_equal(r->sr_nonce, nonce, sizeof(nonce));
	assert_non_null(r->sr_signer);
	assert_int_equal(X509_cmp(r->sr_signer, rq_cert), 0);
	assert_true(r->sr_reason[0] != '\0');
}

/* One PKCSReq-like variant that must parse to the test CSR. */
static void
check_csr_variant(const char *type, const EVP_MD *md, const EVP_CIPHER *c,
    const EVP_MD *oaep_md, const struct scep_policy *pol)
{
	struct msgspec		 ms = spec(type, md);
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*der;
	size_t			 len;

	memset(&ul, 0, sizeof(ul));
	der = request(&ms, csr_der, csr_len, ra_cert, c, oaep_md, &len);
	assert_int_equal(parse(der, len, pol, &ul, &r), 0);
	assert_int_equal(r.sr_result, SCEP_R_OK);
	assert_int_equal(r.sr_err, SCEP_E_NONE);
	assert_int_equal(r.sr_type, atoi(type));
	assert_string_equal(r.sr_txid, TXID);
	assert_memory_equal(r.sr_nonce, nonce, sizeof(nonce));
	assert_int_equal(r.sr_noncelen, sizeof(nonce));
	assert_int_equal(X509_cmp(r.sr_signer, rq_cert), 0);
	assert_int_equal(r.sr_digest, EVP_MD_get_type(md));
	assert_int_equal(r.sr_cipher, EVP_CIPHER_get_nid(c));
	assert_int_equal(r.sr_csr_len, csr_len);
	assert_memory_equal(r.sr_csr_der, csr_der, csr_len);
	assert_non_null(r.sr_csr);
	assert_int_equal(ul.ul_calls, 1);
	assert_true(ul.ul_ias_ok);
	assert_int_equal(ul.ul_keylen, (size_t)EVP_CIPHER_get_key_length(c));
	assert_int_equal(ul.ul_pad, oaep_md == NULL ? IPC_PAD_PKCS1 :
	    IPC_PAD_OAEP);
	assert_int_equal(ul.ul_md, oaep_md == NULL ? 0 :
	    EVP_MD_get_type(oaep_md));
	assert_int_equal(r.sr_keytrans, ul.ul_pad);
	scep_req_free(&r);
}

static void
test_aes(void **state)
{
	check_csr_variant("19", EVP_sha256(), EVP_aes_128_cbc(), NULL,
	    &pol_std);
	check_csr_variant("19", EVP_sha256(), EVP_aes_256_cbc(), NULL,
	    &pol_std);
	check_csr_variant("17", EVP_sha1(), EVP_aes_192_cbc(), NULL,
	    &pol_std);
	check_csr_variant("19", EVP_sha512(), EVP_aes_128_cbc(), NULL,
	    &pol_std);
}

static void
test_3des(void **state)
{
	check_csr_variant("19", EVP_sha1(), EVP_des_ede3_cbc(), NULL,
	    &pol_std);
}

static void
test_oaep(void **state)
{
	check_csr_variant("19", EVP_sha256(), EVP_aes_128_cbc(), EVP_sha1(),
	    &pol_std);
	check_csr_variant("19", EVP_sha256(), EVP_aes_256_cbc(),
	    EVP_sha256(), &pol_std);
}

/* A request that passes the checks up to cipher or digest policy. */
static void
check_refused(const EVP_MD *md, const EVP_CIPHER *c, enum scep_err e)
{
	struct msgspec		 ms = spec("19", md);
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*der;
	size_t			 len;

	memset(&ul, 0, sizeof(ul));
	der = request(&ms, csr_der, csr_len, ra_cert, c, NULL, &len);
	assert_int_equal(parse(der, len, &pol_std, &ul, &r), -1);
	assert_fail(&r, SCEP_BAD_ALG, e);
	assert_int_equal(ul.ul_calls, 0);
	scep_req_free(&r);
}

static void
test_des_legacy(void **state)
{
	check_refused(EVP_sha256(), EVP_des_cbc(), SCEP_E_CIPHER);
	check_csr_variant("19", EVP_sha256(), EVP_des_cbc(), NULL,
	    &pol_legacy);
}

static void
test_md5_legacy(void **state)
{
	check_refused(EVP_md5(), EVP_aes_128_cbc(), SCEP_E_DIGEST);
	check_csr_variant("19", EVP_md5(), EVP_des_cbc(), NULL,
	    &pol_legacy);
}

/* Parses a request built from ms and data; expects FAILURE fi/e. */
static void
check_fail(const struct msgspec *ms, const uint8_t *data, size_t dlen,
    X509 *to, int fi, enum scep_err e)
{
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*der;
	size_t			 len;

	memset(&ul, 0, sizeof(ul));
	der = request(ms, data, dlen, to, EVP_aes_128_cbc(), NULL, &len);
	assert_int_equal(parse(der, len, &pol_std, &ul, &r), -1);
	assert_fail(&r, fi, e);
	scep_req_free(&r);
}

static void
test_tampered(void **state)
{
	struct msgspec	 ms = spec("19", EVP_sha256());

	ms.ms_tamper = 1;
	check_fail(&ms, csr_der, csr_len, ra_cert, SCEP_BAD_MESSAGE_CHECK,
	    SCEP_E_SIGNATURE);
}

/* Another RA's envelope: the stand-in returns a random key. */
static void
test_wrong_recipient(void **state)
{
	struct msgspec	 ms = spec("19", EVP_sha256());
	int		 i;

	/* Repeated: a random key passes CBC padding 1 time in ~256. */
	for (i = 0; i < 8; i++)
		check_fail(&ms, csr_der, csr_len, ra2_cert,
		    SCEP_BAD_MESSAGE_CHECK, SCEP_E_DECRYPT);
}

static void
test_bad_type(void **state)
{
	struct msgspec	 ms = spec("99", EVP_sha256());

	check_fail(&ms, csr_der, csr_len, ra_cert, SCEP_BAD_REQUEST,
	    SCEP_E_TYPE);
	ms.ms_type = "3";	/* a CertRep sent to us */
	check_fail(&ms, csr_der, csr_len, ra_cert, SCEP_BAD_REQUEST,
	    SCEP_E_TYPE);
	ms.ms_type = "19x";
	check_fail(&ms, csr_der, csr_len, ra_cert, SCEP_BAD_REQUEST,
	    SCEP_E_TYPE);
	/* Missing type, but a CertRep can be addressed: FAILURE. */
	ms.ms_type = NULL;
	check_fail(&ms, csr_der, csr_len, ra_cert, SCEP_BAD_REQUEST,
	    SCEP_E_ATTR);
}

static void
test_bad_csr(void **state)
{
	struct msgspec	 ms = spec("19", EVP_sha256());
	uint8_t		 junk[300], *tail;

	check_fail(&ms, badcsr_der, badcsr_len, ra_cert, SCEP_BAD_REQUEST,
	    SCEP_E_CSR_SIG);
	/* Decrypts fine but is no CSR: as if the key were wrong. */
	memset(junk, 0x30, sizeof(junk));
	check_fail(&ms, junk, sizeof(junk), ra_cert, SCEP_BAD_MESSAGE_CHECK,
	    SCEP_E_DECRYPT);
	/* A CSR with a byte after it. */
	assert_non_null(tail = OPENSSL_malloc(csr_len + 1));
	memcpy(tail, csr_der, csr_len);
	tail[csr_len] = 0;
	check_fail(&ms, tail, csr_len + 1, ra_cert, SCEP_BAD_MESSAGE_CHECK,
	    SCEP_E_DECRYPT);
	OPENSSL_free(tail);
}

static void
test_bad_time(void **state)
{
	struct msgspec		 ms = spec("19", EVP_sha256());
	struct scep_policy	 lax = { 0, 0, 0 };
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*der;
	size_t			 len;

	ms.ms_time_off = -3600;
	check_fail(&ms, csr_der, csr_len, ra_cert, SCEP_BAD_TIME,
	    SCEP_E_TIME);
	/* Skew 0 switches the check off. */
	memset(&ul, 0, sizeof(ul));
	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	assert_int_equal(parse(der, len, &lax, &ul, &r), 0);
	scep_req_free(&r);
	/* Within the skew. */
	ms.ms_time_off = -120;
	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	assert_int_equal(parse(der, len, &pol_std, &ul, &r), 0);
	scep_req_free(&r);
}

/* Expects HTTP 400 from der (freed). */
static void
check_400(uint8_t *der, size_t len)
{
	struct unwrap_log	 ul;
	struct scep_req		 r;

	memset(&ul, 0, sizeof(ul));
	assert_int_equal(parse(der, len, &pol_std, &ul, &r), -1);
	assert_int_equal(r.sr_result, SCEP_R_HTTP400);
	assert_int_equal(ul.ul_calls, 0);
	scep_req_free(&r);
}

static void
test_missing_attrs(void **state)
{
	struct msgspec	 ms = spec("19", EVP_sha256());
	uint8_t		*der;
	size_t		 len;

	ms.ms_txid = NULL;
	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	check_400(der, len);
	ms = spec("19", EVP_sha256());
	ms.ms_noncelen = 0;
	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	check_400(der, len);
	/* A transactionID the signer could not echo as PrintableString. */
	ms = spec("19", EVP_sha256());
	ms.ms_tag = V_ASN1_UTF8STRING;
	ms.ms_txid = "tx_id@host";
	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	check_400(der, len);
}

/* UTF8String and IA5String where PrintableString is due: accepted. */
static void
test_lenient_strings(void **state)
{
	struct msgspec		 ms = spec("19", EVP_sha256());
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*der;
	size_t			 len;
	int			 tags[] = { V_ASN1_UTF8STRING,
				    V_ASN1_IA5STRING };
	size_t			 i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		memset(&ul, 0, sizeof(ul));
		ms.ms_tag = tags[i];
		der = request(&ms, csr_der, csr_len, ra_cert,
		    EVP_aes_128_cbc(), NULL, &len);
		assert_int_equal(parse(der, len, &pol_std, &ul, &r), 0);
		assert_string_equal(r.sr_txid, TXID);
		scep_req_free(&r);
	}
}

static void
test_garbage(void **state)
{
	struct msgspec	 ms = spec("19", EVP_sha256());
	uint8_t		*der, *cut;
	size_t		 len, n;

	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	/* Every truncation. */
	for (n = 0; n < len; n += (n < 64 || len - n < 64) ? 1 : 7) {
		assert_non_null(cut = OPENSSL_memdup(der, n == 0 ? 1 : n));
		check_400(cut, n);
	}
	/* Trailing bytes. */
	assert_non_null(cut = OPENSSL_malloc(len + 1));
	memcpy(cut, der, len);
	cut[len] = 0;
	check_400(cut, len + 1);
	OPENSSL_free(der);
	/* Random bytes, random bytes behind a SEQUENCE tag. */
	for (n = 0; n < 64; n++) {
		assert_non_null(cut = OPENSSL_malloc(512));
		RAND_bytes(cut, 512);
		if (n % 2)
			cut[0] = 0x30;
		check_400(cut, 512);
	}
	/* Too large to look at. */
	assert_non_null(cut = OPENSSL_zalloc(SCEP_DER_MAX + 1));
	cut[0] = 0x30;
	check_400(cut, SCEP_DER_MAX + 1);
}

/* Signed, addressable requests whose envelope is hostile. */
static void
test_bad_envelope(void **state)
{
	struct msgspec		 ms = spec("19", EVP_sha256());
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*env, *der, rnd[256];
	size_t			 envlen, len, n;

	env = envelope(csr_der, csr_len, ra_cert, EVP_aes_128_cbc(), NULL,
	    0, &envlen);
	for (n = 1; n <= envlen; n += (n < 32 || envlen - n < 32) ? 1 : 5) {
		memset(&ul, 0, sizeof(ul));
		der = pkimsg(&ms, env, n == envlen ? n - 1 : n, &len);
		assert_int_equal(parse(der, len, &pol_std, &ul, &r), -1);
		assert_fail(&r, SCEP_BAD_REQUEST, SCEP_E_ENVELOPE);
		scep_req_free(&r);
	}
	OPENSSL_free(env);
	RAND_bytes(rnd, sizeof(rnd));
	der = pkimsg(&ms, rnd, sizeof(rnd), &len);
	assert_int_equal(parse(der, len, &pol_std, &ul, &r), -1);
	assert_fail(&r, SCEP_BAD_REQUEST, SCEP_E_ENVELOPE);
	scep_req_free(&r);
}

/*
 * Random byte changes inside a correctly signed envelope reach the
 * envelope, key transport, cipher and messageData code with hostile
 * bytes: the answer is a FAILURE (or, for a harmless change, success),
 * never HTTP 400, never a crash.
 */
static void
test_mutated_envelopes(void **state)
{
	struct msgspec		 ms = spec("19", EVP_sha256());
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*env, *der, rnd[3];
	size_t			 envlen, len, pos;
	int			 i;

	env = envelope(csr_der, csr_len, ra_cert, EVP_aes_128_cbc(), NULL,
	    0, &envlen);
	for (i = 0; i < 300; i++) {
		RAND_bytes(rnd, sizeof(rnd));
		/* One change, mostly in the structure before the ciphertext. */
		pos = (size_t)(rnd[0] << 8 | rnd[1]) % (i % 2 ? envlen : 400);
		env[pos] ^= rnd[2] | 1;
		memset(&ul, 0, sizeof(ul));
		der = pkimsg(&ms, env, envlen, &len);
		env[pos] ^= rnd[2] | 1;
		parse(der, len, &pol_std, &ul, &r);
		assert_true(r.sr_result == SCEP_R_FAIL ||
		    r.sr_result == SCEP_R_OK);
		assert_string_equal(r.sr_txid, TXID);
		scep_req_free(&r);
	}
	OPENSSL_free(env);
}

/* RSA-OAEP with a label: the signer cannot do it, so badAlg. */
static void
test_oaep_label(void **state)
{
	struct msgspec		 ms = spec("19", EVP_sha256());
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*env, *der;
	size_t			 envlen, len;

	memset(&ul, 0, sizeof(ul));
	env = envelope(csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    EVP_sha256(), 1, &envlen);
	der = pkimsg(&ms, env, envlen, &len);
	OPENSSL_free(env);
	assert_int_equal(parse(der, len, &pol_std, &ul, &r), -1);
	assert_fail(&r, SCEP_BAD_ALG, SCEP_E_KEYTRANS);
	assert_int_equal(ul.ul_calls, 0);
	scep_req_free(&r);
}

/* The signer cannot be reached: our fault, not a FAILURE to the client. */
static void
test_unwrap_down(void **state)
{
	struct msgspec		 ms = spec("19", EVP_sha256());
	struct unwrap_log	 ul;
	struct scep_req		 r;
	uint8_t			*der;
	size_t			 len;

	memset(&ul, 0, sizeof(ul));
	ul.ul_fail = 1;
	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	assert_int_equal(parse(der, len, &pol_std, &ul, &r), -1);
	assert_int_equal(r.sr_result, SCEP_R_INTERNAL);
	assert_int_equal(r.sr_err, SCEP_E_UNWRAP);
	assert_null(r.sr_ctx);
	scep_req_free(&r);
	assert_int_equal(scep_parse(NULL, 0, NULL, &r), -1);
	assert_int_equal(r.sr_result, SCEP_R_INTERNAL);
	/* A key for a request that is not waiting for one is our bug. */
	assert_int_equal(scep_parse_key(&r, NULL, 0), -1);
	assert_int_equal(r.sr_result, SCEP_R_INTERNAL);
	scep_req_free(&r);
}

/*
 * A key of the wrong length, and a request freed while it waits for its
 * key (the HTTP client went away), are handled without leaks.
 */
static void
test_unwrap_phases(void **state)
{
	struct msgspec	 ms = spec("19", EVP_sha256());
	struct scep_req	 r;
	uint8_t		*der, cek[SCEP_CEK_MAX];
	size_t		 len;

	memset(cek, 0, sizeof(cek));
	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	assert_int_equal(scep_parse(der, len, &pol_std, &r), 0);
	assert_int_equal(r.sr_unwrap.su_keylen, 16);
	assert_int_equal(r.sr_unwrap.su_pad, IPC_PAD_PKCS1);
	assert_int_equal(scep_parse_key(&r, cek, 32), -1);
	assert_int_equal(r.sr_result, SCEP_R_INTERNAL);
	assert_int_equal(r.sr_err, SCEP_E_UNWRAP);
	scep_req_free(&r);
	assert_int_equal(scep_parse(der, len, &pol_std, &r), 0);
	assert_non_null(r.sr_ctx);
	scep_req_free(&r);
	OPENSSL_free(der);
}

static X509_NAME *
mkname(const char *cn)
{
	X509_NAME	*n = X509_NAME_new();

	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	return n;
}

/* IssuerAndSubject DER, definite or BER indefinite length. */
static uint8_t *
mkiands(X509_NAME *issuer, X509_NAME *subject, int indef, size_t *len)
{
	unsigned char	*a = NULL, *b = NULL, *der, *p;
	int		 al, bl, body, total;

	assert_true((al = i2d_X509_NAME(issuer, &a)) > 0);
	assert_true((bl = i2d_X509_NAME(subject, &b)) > 0);
	body = al + bl;
	total = indef ? body + 4 : ASN1_object_size(1, body,
	    V_ASN1_SEQUENCE);
	assert_non_null(der = p = OPENSSL_zalloc((size_t)total));
	ASN1_put_object(&p, indef ? 2 : 1, body, V_ASN1_SEQUENCE,
	    V_ASN1_UNIVERSAL);
	memcpy(p, a, (size_t)al);
	memcpy(p + al, b, (size_t)bl);	/* indefinite: 00 00 from zalloc */
	OPENSSL_free(a);
	OPENSSL_free(b);
	*len = (size_t)total;
	return der;
}

static void
check_certpoll(int indef)
{
	struct msgspec		 ms = spec("20", EVP_sha256());
	struct unwrap_log	 ul;
	struct scep_req		 r;
	X509_NAME		*iss = mkname("keyward Test CA");
	X509_NAME		*sub = mkname("device-0042");
	uint8_t			*data, *der, *more;
	size_t			 dlen, len;

	memset(&ul, 0, sizeof(ul));
	data = mkiands(iss, sub, indef, &dlen);
	der = request(&ms, data, dlen, ra_cert, EVP_aes_128_cbc(), NULL,
	    &len);
	assert_int_equal(parse(der, len, &pol_std, &ul, &r), 0);
	assert_int_equal(r.sr_type, SCEP_MT_CERTPOLL);
	assert_int_equal(X509_NAME_cmp(r.sr_issuer, iss), 0);
	assert_int_equal(X509_NAME_cmp(r.sr_subject, sub), 0);
	assert_null(r.sr_csr);
	scep_req_free(&r);
	/* One byte more after the SEQUENCE. */
	assert_non_null(more = OPENSSL_malloc(dlen + 1));
	memcpy(more, data, dlen);
	more[dlen] = 0x05;
	check_fail(&ms, more, dlen + 1, ra_cert, SCEP_BAD_MESSAGE_CHECK,
	    SCEP_E_DECRYPT);
	OPENSSL_free(more);
	OPENSSL_free(data);
	X509_NAME_free(iss);
	X509_NAME_free(sub);
}

static void
test_certpoll(void **state)
{
	check_certpoll(0);
	check_certpoll(1);
}

static void
test_getcert_getcrl(void **state)
{
	const char		*types[] = { "21", "22" };
	struct unwrap_log	 ul;
	struct msgspec		 ms;
	struct scep_req		 r;
	X509_NAME		*iss = mkname("keyward Test CA");
	uint8_t			*data, *der;
	size_t			 dlen, len, i;

	data = mkias(NULL, "keyward Test CA", 0x4242, &dlen);
	for (i = 0; i < 2; i++) {
		memset(&ul, 0, sizeof(ul));
		ms = spec(types[i], EVP_sha256());
		der = request(&ms, data, dlen, ra_cert, EVP_aes_256_cbc(),
		    NULL, &len);
		assert_int_equal(parse(der, len, &pol_std, &ul, &r), 0);
		assert_int_equal(r.sr_type, atoi(types[i]));
		assert_int_equal(X509_NAME_cmp(r.sr_issuer, iss), 0);
		assert_int_equal(ASN1_INTEGER_get(r.sr_serial), 0x4242);
		assert_null(r.sr_subject);
		scep_req_free(&r);
	}
	OPENSSL_free(data);
	X509_NAME_free(iss);
}

/* Standard base64 of der, no line breaks (malloc'd string). */
static char *
b64(const uint8_t *der, size_t len)
{
	char	*s = malloc(len / 3 * 4 + 8);

	assert_non_null(s);
	assert_true(EVP_EncodeBlock((unsigned char *)s, der, (int)len) > 0);
	return s;
}

/*
 * s re-encoded: every 64 characters a line break (nl, e.g. "%0A"), and
 * each character in `from` replaced by the string at the same index of
 * `to`; characters in `drop` left out.
 */
static char *
reencode(const char *s, const char *nl, const char *from,
    const char *const *to, const char *drop)
{
	size_t		 n = strlen(s), i, o = 0;
	char		*out = malloc(n * 3 + n / 64 * 3 + 1);
	const char	*f;

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		if (nl != NULL && i > 0 && i % 64 == 0)
			o += (size_t)sprintf(out + o, "%s", nl);
		if (drop != NULL && strchr(drop, s[i]) != NULL)
			continue;
		if (from != NULL && (f = strchr(from, s[i])) != NULL)
			o += (size_t)sprintf(out + o, "%s", to[f - from]);
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static void
check_decodes(char *enc, const uint8_t *der, size_t len)
{
	uint8_t	*out = NULL;
	size_t	 olen = 0;

	assert_int_equal(scep_query_decode(enc, &out, &olen), 0);
	assert_int_equal(olen, len);
	assert_memory_equal(out, der, len);
	free(out);
	free(enc);
}

static void
test_query_decode(void **state)
{
	static const char *const sscep[] = { "%2B", "%2D", "%3D" };
	static const char *const sswan[] = { "%2B" };
	static const char *const rfc[] = { "%2b", "%2f", "%3d" };
	static const char *const url[] = { "-", "_" };
	static const char *const space[] = { " " };
	struct msgspec	 ms = spec("19", EVP_sha256());
	uint8_t		*der;
	char		*s;
	size_t		 len;

	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	/* Make sure the sample needs padding and has + and /. */
	while (len % 3 == 0)
		len--;
	s = b64(der, len);
	assert_non_null(strchr(s, '+'));
	assert_non_null(strchr(s, '/'));
	check_decodes(strdup(s), der, len);
	check_decodes(reencode(s, "%0A", "+-=", sscep, NULL), der, len);
	check_decodes(reencode(s, "%0A", "+", sswan, NULL), der, len);
	check_decodes(reencode(s, "%0D%0A", "+/=", rfc, NULL), der, len);
	check_decodes(reencode(s, NULL, "+/", url, "="), der, len);
	check_decodes(reencode(s, NULL, NULL, NULL, "="), der, len);
	check_decodes(reencode(s, "\n", "+", space, NULL), der, len);
	free(s);
	OPENSSL_free(der);
}

static void
check_no_decode(const char *enc)
{
	uint8_t	*out = (uint8_t *)"x";
	size_t	 olen = 1;

	assert_int_equal(scep_query_decode(enc, &out, &olen), -1);
	assert_null(out);
	assert_int_equal(olen, 0);
}

static void
test_query_reject(void **state)
{
	uint8_t	*out = NULL;
	char	*big;
	size_t	 n;

	check_no_decode("");
	check_no_decode("%0A");
	check_no_decode("MIIB%");
	check_no_decode("MIIB%4");
	check_no_decode("MIIB%G0");
	check_no_decode("MII*");
	check_no_decode("MIIBA");	/* 5 characters: not base64 */
	check_no_decode("MI=IB");
	check_no_decode("MIIB===");
	assert_int_equal(scep_query_decode(NULL, &out, &n), -1);
	/* Over the limit, in plain characters and in escapes. */
	assert_non_null(big = malloc(3 * SCEP_B64_MAX + 16));
	memset(big, 'A', SCEP_B64_MAX + 4);
	big[SCEP_B64_MAX + 4] = '\0';
	check_no_decode(big);
	for (n = 0; n + 3 <= 3 * SCEP_B64_MAX + 6; n += 3)
		memcpy(big + n, "%41", 3);
	big[n] = '\0';
	check_no_decode(big);
	free(big);
}

static void
test_body_decode(void **state)
{
	struct msgspec	 ms = spec("19", EVP_sha256());
	uint8_t		*der, *out = NULL, bin[4] = { 0x80, 1, 2, 3 };
	char		*s, *b;
	size_t		 len, olen = 0;

	der = request(&ms, csr_der, csr_len, ra_cert, EVP_aes_128_cbc(),
	    NULL, &len);
	assert_int_equal(scep_body_decode(der, len, &out, &olen), 0);
	assert_int_equal(olen, len);
	assert_memory_equal(out, der, len);
	free(out);
	b = b64(der, len);
	s = reencode(b, "\r\n", NULL, NULL, NULL);
	free(b);
	assert_int_equal(scep_body_decode((uint8_t *)s, strlen(s), &out,
	    &olen), 0);
	assert_int_equal(olen, len);
	assert_memory_equal(out, der, len);
	free(out);
	free(s);
	assert_int_equal(scep_body_decode(bin, sizeof(bin), &out, &olen), -1);
	assert_int_equal(scep_body_decode(der, 0, &out, &olen), -1);
	OPENSSL_free(der);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_aes),
		cmocka_unit_test(test_3des),
		cmocka_unit_test(test_oaep),
		cmocka_unit_test(test_des_legacy),
		cmocka_unit_test(test_md5_legacy),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_recipient),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_bad_csr),
		cmocka_unit_test(test_bad_time),
		cmocka_unit_test(test_missing_attrs),
		cmocka_unit_test(test_lenient_strings),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_bad_envelope),
		cmocka_unit_test(test_mutated_envelopes),
		cmocka_unit_test(test_oaep_label),
		cmocka_unit_test(test_unwrap_down),
		cmocka_unit_test(test_unwrap_phases),
		cmocka_unit_test(test_certpoll),
		cmocka_unit_test(test_getcert_getcrl),
		cmocka_unit_test(test_query_decode),
		cmocka_unit_test(test_query_reject),
		cmocka_unit_test(test_body_decode),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
