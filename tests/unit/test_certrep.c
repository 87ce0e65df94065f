/*
 * test_certrep.c: SCEP CertRep, the RA certificate bundle and the CEK
 * unwrap, with software keys and certificates made here (no token).  The
 * replies are read back the way a client reads them: CMS_verify, the
 * signed attributes, CMS_decrypt with the requester's key.  The replies
 * go to a keyless requester certificate, as the signer parses it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "testcert.h"
#include "ipc.h"
#include "keyless.h"
#include "signer.h"

/* RFC 8894 3.2.1, spelled out here independently of certrep.c. */
#define T_MESSAGE_TYPE		"2.16.840.1.113733.1.9.2"
#define T_PKI_STATUS		"2.16.840.1.113733.1.9.3"
#define T_FAIL_INFO		"2.16.840.1.113733.1.9.4"
#define T_SENDER_NONCE		"2.16.840.1.113733.1.9.5"
#define T_RECIPIENT_NONCE	"2.16.840.1.113733.1.9.6"
#define T_TRANSACTION_ID	"2.16.840.1.113733.1.9.7"
#define TXID	"A13090761A30F66664F85D37433D2065E1112BA1"
#define SAN_BIG	"DNS:a-rather-long-host-name-to-make-the-leaf-larger.example," \
		"DNS:another-rather-long-host-name-for-the-same.example"

static EVP_PKEY	*ca_key, *ra_key, *req_key;
static X509	*ca_cert, *ra_cert, *req_cert, *root_cert, *leaf;
static X509	*req_keyless;		/* req_cert as the signer parses it */
static uint8_t	*leaf_der;
static size_t	 leaf_len;
static STACK_OF(X509) *chain;		/* CA after the issued cert */
static STACK_OF(X509) *extra;		/* CA beside the RA in the reply */
static const uint8_t nonce8[8] = { 1, 2, 3, 4, 5, 6, 7, 0x80 };

static int
setup(void **state)
{
	int	 n;

	(void)state;
	if ((ca_key = EVP_RSA_gen(2048)) == NULL ||
	    (ra_key = EVP_RSA_gen(2048)) == NULL ||
	    (req_key = EVP_RSA_gen(2048)) == NULL)
		return -1;
	root_cert = tc_cert("Test Root", ca_key, NULL, ca_key, 9, NULL);
	ca_cert = tc_cert("Test CA", ca_key, NULL, ca_key, 1, NULL);
	ra_cert = tc_cert("Test RA", ra_key, ca_cert, ca_key, 2, NULL);
	req_cert = tc_cert("5D1E4D5A-6B2C-4F0E-9C1A-0123456789AB",
	    req_key, NULL, req_key, 3, NULL);
	/* Larger than the CA cert: a DER SET OF would sort it second. */
	leaf = tc_cert("device", req_key, ca_cert, ca_key, 4, SAN_BIG);
	if ((n = i2d_X509(leaf, &leaf_der)) <= 0)
		return -1;
	leaf_len = (size_t)n;
	req_keyless = tc_keyless(req_cert);
	if (keyless_rsa_key(req_keyless) == -1)
		return -1;
	if ((chain = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(chain, ca_cert) ||
	    (extra = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(extra, ca_cert) || !sk_X509_push(extra, ra_cert))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sk_X509_free(chain);
	sk_X509_free(extra);
	OPENSSL_free(leaf_der);
	X509_free(leaf);
	X509_free(req_cert);
	X509_free(req_keyless);
	X509_free(ra_cert);
	X509_free(ca_cert);
	X509_free(root_cert);
	EVP_PKEY_free(req_key);
	EVP_PKEY_free(ra_key);
	EVP_PKEY_free(ca_key);
	return 0;
}

/* The request's fields as the frontend would pass them. */
static struct certrep_in
base_in(int status)
{
	struct certrep_in	 in;

	memset(&in, 0, sizeof(in));
	in.ci_txid = TXID;
	in.ci_nonce = nonce8;
	in.ci_noncelen = sizeof(nonce8);
	in.ci_requester = req_keyless;
	in.ci_cipher = NID_aes_128_cbc;
	in.ci_digest = NID_sha256;
	in.ci_status = status;
	if (status == SCEP_SUCCESS) {
		in.ci_cert = leaf_der;
		in.ci_certlen = leaf_len;
		in.ci_chain = chain;
	}
	return in;
}

static CMS_ContentInfo *
build(const struct certrep_in *in)
{
	CMS_ContentInfo	*cms;
	const uint8_t	*p;
	uint8_t		*der = NULL;
	size_t		 len = 0;
	char		 why[256] = "";

	if (certrep_build(in, ra_cert, ra_key, extra, &der, &len, why,
	    sizeof(why)) != 0)
		fail_msg("certrep_build: %s", why);
	p = der;
	assert_non_null(cms = d2i_CMS_ContentInfo(NULL, &p, (long)len));
	assert_ptr_equal(p, der + len);
	OPENSSL_free(der);
	return cms;
}

/*
 * Verifies the RA signature as a client does (no chain) and returns the
 * signed content in a memory BIO; detached replies verify over "".
 */
static BIO *
verify(CMS_ContentInfo *cms)
{
	STACK_OF(X509)	*signers;
	BIO		*out, *dcont = NULL;

	assert_int_equal(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
	assert_int_equal(OBJ_obj2nid(CMS_get0_eContentType(cms)),
	    NID_pkcs7_data);
	assert_non_null(out = BIO_new(BIO_s_mem()));
	if (CMS_is_detached(cms))
		assert_non_null(dcont = BIO_new_mem_buf("", 0));
	if (CMS_verify(cms, NULL, NULL, dcont, out,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		ERR_print_errors_fp(stderr);
		fail_msg("CMS_verify failed");
	}
	assert_non_null(signers = CMS_get0_signers(cms));
	assert_int_equal(sk_X509_num(signers), 1);
	assert_int_equal(X509_cmp(sk_X509_value(signers, 0), ra_cert), 0);
	sk_X509_free(signers);
	BIO_free(dcont);
	return out;
}

static CMS_SignerInfo *
signer_info(CMS_ContentInfo *cms)
{
	STACK_OF(CMS_SignerInfo)	*sis = CMS_get0_SignerInfos(cms);

	assert_non_null(sis);
	assert_int_equal(sk_CMS_SignerInfo_num(sis), 1);
	return sk_CMS_SignerInfo_value(sis, 0);
}

/* The one value of attribute oid, which must have type; NULL if absent. */
static ASN1_STRING *
attr(CMS_SignerInfo *si, const char *oid, int type)
{
	ASN1_OBJECT	*obj;
	ASN1_STRING	*s;
	int		 i;

	assert_non_null(obj = OBJ_txt2obj(oid, 1));
	i = CMS_signed_get_attr_by_OBJ(si, obj, -1);
	s = i < 0 ? NULL : CMS_signed_get0_data_by_OBJ(si, obj, -3, type);
	if (i >= 0)
		assert_non_null(s);
	ASN1_OBJECT_free(obj);
	return s;
}

static void
assert_str_attr(CMS_SignerInfo *si, const char *oid, const char *want)
{
	ASN1_STRING	*s = attr(si, oid, V_ASN1_PRINTABLESTRING);

	assert_non_null(s);
	assert_int_equal(ASN1_STRING_length(s), strlen(want));
	assert_memory_equal(ASN1_STRING_get0_data(s), want, strlen(want));
}

/*
 * The attributes of RFC 8894 3.3.2 and nothing else but contentType,
 * messageDigest and signingTime; sender nonce copied to *sn.
 */
static void
assert_attrs(CMS_SignerInfo *si, const char *status, const char *fail,
    uint8_t sn[16])
{
	ASN1_STRING	*s;

	assert_int_equal(CMS_signed_get_attr_count(si), fail ? 9 : 8);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType,
	    -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest,
	    -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime,
	    -1) >= 0);
	assert_str_attr(si, T_TRANSACTION_ID, TXID);
	assert_str_attr(si, T_MESSAGE_TYPE, "3");
	assert_str_attr(si, T_PKI_STATUS, status);
	if (fail != NULL)
		assert_str_attr(si, T_FAIL_INFO, fail);
	else
		assert_null(attr(si, T_FAIL_INFO, V_ASN1_PRINTABLESTRING));
	assert_non_null(s = attr(si, T_RECIPIENT_NONCE, V_ASN1_OCTET_STRING));
	assert_int_equal(ASN1_STRING_length(s), sizeof(nonce8));
	assert_memory_equal(ASN1_STRING_get0_data(s), nonce8, sizeof(nonce8));
	assert_non_null(s = attr(si, T_SENDER_NONCE, V_ASN1_OCTET_STRING));
	assert_int_equal(ASN1_STRING_length(s), 16);
	memcpy(sn, ASN1_STRING_get0_data(s), 16);
}

static int
digest_nid(CMS_SignerInfo *si)
{
	X509_ALGOR	*dig = NULL, *sig = NULL;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	assert_non_null(dig);
	return OBJ_obj2nid(dig->algorithm);
}

/* RA and CA in certificates (order is CMS's business: a SET OF). */
static void
assert_reply_certs(CMS_ContentInfo *cms)
{
	STACK_OF(X509)	*certs = CMS_get1_certs(cms);
	int		 i, ra = 0, ca = 0;

	assert_non_null(certs);
	assert_int_equal(sk_X509_num(certs), 2);
	for (i = 0; i < sk_X509_num(certs); i++) {
		ra += X509_cmp(sk_X509_value(certs, i), ra_cert) == 0;
		ca += X509_cmp(sk_X509_value(certs, i), ca_cert) == 0;
	}
	assert_int_equal(ra, 1);
	assert_int_equal(ca, 1);
	sk_X509_pop_free(certs, X509_free);
}

/* Degenerate certs-only SignedData: no signers, no content, certs. */
static PKCS7 *
degenerate(const uint8_t *der, size_t len)
{
	PKCS7		*p7;
	const uint8_t	*p = der;

	assert_non_null(p7 = d2i_PKCS7(NULL, &p, (long)len));
	assert_ptr_equal(p, der + len);
	assert_true(PKCS7_type_is_signed(p7));
	assert_int_equal(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info),
	    0);
	assert_int_equal(sk_X509_ALGOR_num(p7->d.sign->md_algs), 0);
	assert_true(PKCS7_type_is_data(p7->d.sign->contents));
	assert_null(p7->d.sign->contents->d.data);
	return p7;
}

/*
 * Opens the envelope with the requester's key; checks its cipher and
 * that the certs-only content starts with the issued certificate.
 */
static void
assert_envelope(BIO *content, int cipher)
{
	CMS_ContentInfo		*env;
	PKCS7			*p7, *deg;
	PKCS7_ENVELOPE		*ev;
	PKCS7_RECIP_INFO	*ri;
	BIO			*plain;
	const uint8_t		*p;
	uint8_t			*der, *pd;
	long			 len, plen;

	len = BIO_get_mem_data(content, &der);
	assert_true(len > 0);
	p = der;
	assert_non_null(env = d2i_CMS_ContentInfo(NULL, &p, len));
	assert_int_equal(OBJ_obj2nid(CMS_get0_type(env)),
	    NID_pkcs7_enveloped);
	p = der;
	assert_non_null(p7 = d2i_PKCS7(NULL, &p, len));
	ev = p7->d.enveloped;
	assert_int_equal(OBJ_obj2nid(ev->enc_data->algorithm->algorithm),
	    cipher);
	assert_int_equal(sk_PKCS7_RECIP_INFO_num(ev->recipientinfo), 1);
	ri = sk_PKCS7_RECIP_INFO_value(ev->recipientinfo, 0);
	assert_int_equal(OBJ_obj2nid(ri->key_enc_algor->algorithm),
	    NID_rsaEncryption);
	/* issuerAndSerialNumber, not a subjectKeyIdentifier (A.12 step 8). */
	assert_int_equal(X509_NAME_cmp(ri->issuer_and_serial->issuer,
	    X509_get_issuer_name(req_cert)), 0);
	PKCS7_free(p7);
	assert_non_null(plain = BIO_new(BIO_s_mem()));
	assert_int_equal(CMS_decrypt(env, req_key, req_cert, NULL, plain,
	    CMS_BINARY), 1);
	plen = BIO_get_mem_data(plain, &pd);
	deg = degenerate(pd, (size_t)plen);
	assert_int_equal(sk_X509_num(deg->d.sign->cert), 2);
	assert_int_equal(X509_cmp(sk_X509_value(deg->d.sign->cert, 0), leaf),
	    0);
	assert_int_equal(X509_cmp(sk_X509_value(deg->d.sign->cert, 1),
	    ca_cert), 0);
	PKCS7_free(deg);
	BIO_free(plain);
	CMS_ContentInfo_free(env);
}

/* A SUCCESS reply, read back completely. */
static void
success_in(const struct certrep_in *in)
{
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	BIO			*content;
	uint8_t			 sn[16];

	cms = build(in);
	content = verify(cms);
	assert_false(CMS_is_detached(cms));
	si = signer_info(cms);
	assert_attrs(si, "0", NULL, sn);
	assert_int_equal(digest_nid(si), NID_sha256);
	assert_int_equal(CMS_signed_get_attr_by_NID(si,
	    NID_SMIMECapabilities, -1), -1);
	assert_reply_certs(cms);
	assert_envelope(content, in->ci_cipher);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
}

static void
success_with(int cipher)
{
	struct certrep_in	 in = base_in(SCEP_SUCCESS);

	in.ci_cipher = cipher;
	success_in(&in);
}

static void
test_success_aes128(void **state)
{
	(void)state;
	/* The precondition that makes the leaf-first check meaningful. */
	assert_true(leaf_len > (size_t)i2d_X509(ca_cert, NULL));
	success_with(NID_aes_128_cbc);
}

static void
test_success_aes256(void **state)
{
	(void)state;
	success_with(NID_aes_256_cbc);
}

static void
test_success_3des(void **state)
{
	(void)state;
	success_with(NID_des_ede3_cbc);
}

static void
test_sender_nonce_fresh(void **state)
{
	struct certrep_in	 in = base_in(SCEP_PENDING);
	CMS_ContentInfo		*a, *b;
	BIO			*ca, *cb;
	uint8_t			 na[16], nb[16];

	(void)state;
	a = build(&in);
	b = build(&in);
	ca = verify(a);
	cb = verify(b);
	assert_attrs(signer_info(a), "3", NULL, na);
	assert_attrs(signer_info(b), "3", NULL, nb);
	assert_memory_not_equal(na, nb, sizeof(na));
	BIO_free(ca);
	BIO_free(cb);
	CMS_ContentInfo_free(a);
	CMS_ContentInfo_free(b);
}

/* FAILURE and PENDING: detached, empty content, digest of "". */
static void
no_content(int status, int failinfo, const char *st, const char *fi)
{
	static const uint8_t	 empty_sha256[4] = { 0xe3, 0xb0, 0xc4, 0x42 };
	struct certrep_in	 in = base_in(status);
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	ASN1_OCTET_STRING	**pos;
	ASN1_STRING		*md;
	BIO			*content;
	uint8_t			 sn[16];

	in.ci_failinfo = failinfo;
	cms = build(&in);
	assert_true(CMS_is_detached(cms));
	assert_non_null(pos = CMS_get0_content(cms));
	assert_null(*pos);
	content = verify(cms);
	assert_int_equal(BIO_pending(content), 0);
	si = signer_info(cms);
	assert_attrs(si, st, fi, sn);
	md = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(
	    NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	assert_non_null(md);
	assert_int_equal(ASN1_STRING_length(md), 32);
	assert_memory_equal(ASN1_STRING_get0_data(md), empty_sha256, 4);
	assert_reply_certs(cms);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
}

static void
test_failure(void **state)
{
	(void)state;
	no_content(SCEP_FAILURE, SCEP_BAD_REQUEST, "2", "2");
	no_content(SCEP_FAILURE, SCEP_BAD_ALG, "2", "0");
	no_content(SCEP_FAILURE, SCEP_BAD_CERT_ID, "2", "4");
}

static void
test_pending(void **state)
{
	(void)state;
	no_content(SCEP_PENDING, 0, "3", NULL);
}

static int
digest_of(int digest, int legacy)
{
	struct certrep_in	 in = base_in(SCEP_FAILURE);
	CMS_ContentInfo		*cms;
	BIO			*content;
	int			 nid;

	in.ci_digest = digest;
	in.ci_legacy = legacy;
	in.ci_failinfo = SCEP_BAD_ALG;
	cms = build(&in);
	content = verify(cms);
	nid = digest_nid(signer_info(cms));
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return nid;
}

static void
test_digests(void **state)
{
	(void)state;
	assert_int_equal(digest_of(NID_sha1, 0), NID_sha1);
	assert_int_equal(digest_of(NID_sha512, 0), NID_sha512);
	assert_int_equal(digest_of(0, 0), NID_sha256);
	assert_int_equal(digest_of(NID_md5, 0), NID_sha256);
	assert_int_equal(digest_of(NID_sha3_256, 0), NID_sha256);
	assert_int_equal(digest_of(NID_md5, 1), NID_md5);
	assert_false(scep_digest_ok(NID_md5, 0));
	assert_true(scep_digest_ok(NID_md5, 1));
}

static void
test_des_legacy(void **state)
{
	struct certrep_in	 in = base_in(SCEP_SUCCESS);
	OSSL_PROVIDER		*legacy, *dflt;
	uint8_t			*der = NULL;
	size_t			 len = 0;
	char			 why[256] = "";

	(void)state;
	in.ci_cipher = NID_des_cbc;
	assert_false(scep_cipher_ok(NID_des_cbc, 0));
	assert_int_equal(certrep_build(&in, ra_cert, ra_key, extra, &der,
	    &len, why, sizeof(why)), -1);
	assert_null(der);
	assert_non_null(strstr(why, "cipher"));
	/* With the switch on and the legacy provider loaded, it works. */
	dflt = OSSL_PROVIDER_load(NULL, "default");
	if ((legacy = OSSL_PROVIDER_load(NULL, "legacy")) == NULL) {
		OSSL_PROVIDER_unload(dflt);
		skip();
	}
	in.ci_legacy = 1;
	success_in(&in);
	OSSL_PROVIDER_unload(legacy);
	OSSL_PROVIDER_unload(dflt);
}

static void
test_refused_inputs(void **state)
{
	struct certrep_in	 in;
	EVP_PKEY		*ec;
	X509			*eccert;
	uint8_t			 big[CERTREP_NONCE_MAX + 1];
	uint8_t			*der = NULL;
	size_t			 len = 0;
	char			 why[256], longtx[CERTREP_TXID_MAX + 2];
	const char		*bad_txids[] = { "", "a_b", "caf\xc3\xa9",
				    "x\ny", longtx, NULL };
	int			 i;

	(void)state;
	memset(longtx, 'A', sizeof(longtx) - 1);
	longtx[sizeof(longtx) - 1] = '\0';
	memset(big, 0, sizeof(big));
	for (i = 0; bad_txids[i] != NULL; i++) {
		in = base_in(SCEP_PENDING);
		in.ci_txid = bad_txids[i];
		assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	}
	in = base_in(SCEP_PENDING);
	in.ci_txid = "AZaz09 '()+,-./:=?";
	assert_int_equal(certrep_check(&in, why, sizeof(why)), 0);
	in.ci_nonce = big;
	in.ci_noncelen = sizeof(big);
	assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	in = base_in(1);
	assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	in = base_in(SCEP_FAILURE);
	in.ci_failinfo = 5;
	assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	in = base_in(SCEP_SUCCESS);
	in.ci_cert = NULL;
	assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	in = base_in(SCEP_SUCCESS);
	in.ci_cipher = NID_rc2_cbc;
	assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	in = base_in(SCEP_SUCCESS);
	in.ci_certlen = leaf_len - 1;
	assert_int_equal(certrep_build(&in, ra_cert, ra_key, extra, &der,
	    &len, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "parse"));
	assert_non_null(ec = EVP_EC_gen("P-256"));
	eccert = tc_cert("ec", ec, NULL, ec, 5, NULL);
	in = base_in(SCEP_SUCCESS);
	in.ci_requester = eccert;
	assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "RSA"));
	/* As the signer parses it: keyless, and left without a key. */
	in.ci_requester = tc_keyless(eccert);
	assert_int_equal(keyless_rsa_key(in.ci_requester), -1);
	assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "RSA"));
	X509_free(in.ci_requester);
	in.ci_requester = eccert;
	/* A FAILURE to an EC requester (badAlg) is still a reply. */
	in.ci_status = SCEP_FAILURE;
	in.ci_failinfo = SCEP_BAD_ALG;
	assert_int_equal(certrep_check(&in, why, sizeof(why)), 0);
	in = base_in(SCEP_PENDING);
	assert_int_equal(certrep_build(&in, ra_cert, NULL, extra, &der,
	    &len, why, sizeof(why)), -1);
	X509_free(eccert);
	EVP_PKEY_free(ec);
}

/* Reply signed by a CA that is its own RA: the cert appears once. */
static void
test_ra_is_ca(void **state)
{
	struct certrep_in	 in = base_in(SCEP_PENDING);
	STACK_OF(X509)		*certs;
	CMS_ContentInfo		*cms;
	const uint8_t		*p;
	uint8_t			*der = NULL;
	size_t			 len = 0;
	char			 why[256] = "";

	(void)state;
	assert_int_equal(certrep_build(&in, ca_cert, ca_key, chain, &der,
	    &len, why, sizeof(why)), 0);
	p = der;
	assert_non_null(cms = d2i_CMS_ContentInfo(NULL, &p, (long)len));
	assert_non_null(certs = CMS_get1_certs(cms));
	assert_int_equal(sk_X509_num(certs), 1);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	OPENSSL_free(der);
}

static void
racerts_order(X509 *root, int n)
{
	PKCS7	*p7;
	uint8_t	*der = NULL;
	size_t	 len = 0;

	assert_int_equal(racerts_build(ra_cert, ca_cert, root, &der, &len),
	    0);
	p7 = degenerate(der, len);
	assert_int_equal(sk_X509_num(p7->d.sign->cert), n);
	assert_int_equal(X509_cmp(sk_X509_value(p7->d.sign->cert, 0),
	    ra_cert), 0);
	assert_int_equal(X509_cmp(sk_X509_value(p7->d.sign->cert, 1),
	    ca_cert), 0);
	if (root != NULL)
		assert_int_equal(X509_cmp(sk_X509_value(p7->d.sign->cert, 2),
		    root), 0);
	PKCS7_free(p7);
	OPENSSL_free(der);
}

static void
test_racerts(void **state)
{
	uint8_t	*der = NULL;
	size_t	 len = 0;

	(void)state;
	racerts_order(NULL, 2);
	racerts_order(root_cert, 3);
	assert_int_equal(racerts_build(ca_cert, ca_cert, NULL, &der, &len),
	    0);
	OPENSSL_free(der);
	assert_int_equal(racerts_build(NULL, ca_cert, NULL, &der, &len), -1);
	assert_null(der);
}

/* encryptedKey for the RA: PKCS#1 v1.5, or OAEP with md (and MGF1). */
static size_t
wrap(const uint8_t *cek, size_t keylen, int padding, const EVP_MD *md,
    uint8_t *out, size_t outsz)
{
	EVP_PKEY_CTX	*ctx;
	size_t		 len = outsz;

	assert_non_null(ctx = EVP_PKEY_CTX_new(ra_key, NULL));
	assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
	if (padding == IPC_PAD_PKCS1)
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx,
		    RSA_PKCS1_PADDING) > 0);
	else {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx,
		    RSA_PKCS1_OAEP_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) > 0);
	}
	assert_int_equal(EVP_PKEY_encrypt(ctx, out, &len, cek, keylen), 1);
	EVP_PKEY_CTX_free(ctx);
	return len;
}

static void
unwrap_ok(int padding, int md_nid, const EVP_MD *md, size_t keylen)
{
	uint8_t	 cek[32], got[32], ek[256];
	size_t	 eklen;

	assert_int_equal(RAND_bytes(cek, (int)keylen), 1);
	eklen = wrap(cek, keylen, padding, md, ek, sizeof(ek));
	memset(got, 0, sizeof(got));
	assert_int_equal(unwrap_cek(ra_key, padding, md_nid, ek, eklen, got,
	    keylen), 0);
	assert_memory_equal(got, cek, keylen);
}

static void
test_unwrap(void **state)
{
	(void)state;
	unwrap_ok(IPC_PAD_PKCS1, 0, NULL, 16);
	unwrap_ok(IPC_PAD_PKCS1, 0, NULL, 24);
	unwrap_ok(IPC_PAD_PKCS1, 0, NULL, 32);
	unwrap_ok(IPC_PAD_PKCS1, 0, NULL, 8);
	unwrap_ok(IPC_PAD_OAEP, 0, EVP_sha1(), 16);
	unwrap_ok(IPC_PAD_OAEP, NID_sha1, EVP_sha1(), 32);
	unwrap_ok(IPC_PAD_OAEP, NID_sha256, EVP_sha256(), 16);
	unwrap_ok(IPC_PAD_OAEP, NID_sha256, EVP_sha256(), 24);
}

/* Two answers to one bad encryptedKey: right length, random, 0. */
static void
rejected(int padding, int md_nid, const uint8_t *ek, size_t eklen,
    size_t keylen, const uint8_t *cek)
{
	uint8_t	 a[32], b[32];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(unwrap_cek(ra_key, padding, md_nid, ek, eklen, a,
	    keylen), 0);
	assert_int_equal(unwrap_cek(ra_key, padding, md_nid, ek, eklen, b,
	    keylen), 0);
	assert_memory_not_equal(a, b, keylen);
	assert_memory_not_equal(a, cek, keylen < 16 ? keylen : 16);
	assert_memory_not_equal(b, cek, keylen < 16 ? keylen : 16);
}

static void
test_unwrap_rejection(void **state)
{
	EVP_PKEY	*ec;
	uint8_t		 cek[16], ek[256], got[32];
	size_t		 eklen;

	(void)state;
	assert_int_equal(RAND_bytes(cek, sizeof(cek)), 1);
	eklen = wrap(cek, sizeof(cek), IPC_PAD_PKCS1, NULL, ek, sizeof(ek));
	/* Wrong length asked for: 24 bytes of a 16-byte key. */
	rejected(IPC_PAD_PKCS1, 0, ek, eklen, 24, cek);
	/* Right ciphertext, wrong padding mode. */
	rejected(IPC_PAD_OAEP, 0, ek, eklen, 16, cek);
	/* A corrupted encryptedKey, then a truncated one. */
	ek[eklen / 2] ^= 0x01;
	rejected(IPC_PAD_PKCS1, 0, ek, eklen, 16, cek);
	rejected(IPC_PAD_PKCS1, 0, ek, eklen - 1, 16, cek);
	/* OAEP with another digest than the sender's; a digest we refuse. */
	eklen = wrap(cek, sizeof(cek), IPC_PAD_OAEP, EVP_sha256(), ek,
	    sizeof(ek));
	rejected(IPC_PAD_OAEP, NID_sha1, ek, eklen, 16, cek);
	rejected(IPC_PAD_OAEP, NID_md5, ek, eklen, 16, cek);
	/* An empty encryptedKey, no key, a key that is not RSA. */
	rejected(IPC_PAD_OAEP, NID_sha256, ek, 0, 16, cek);
	assert_int_equal(unwrap_cek(NULL, IPC_PAD_PKCS1, 0, ek, eklen, got,
	    16), 0);
	assert_non_null(ec = EVP_EC_gen("P-256"));
	assert_int_equal(unwrap_cek(ec, IPC_PAD_PKCS1, 0, ek, eklen, got,
	    16), 0);
	EVP_PKEY_free(ec);
	/* Malformed requests, and only those, are -1. */
	assert_int_equal(unwrap_cek(ra_key, IPC_PAD_PKCS1, 0, ek, eklen, got,
	    20), -1);
	assert_int_equal(unwrap_cek(ra_key, IPC_PAD_PKCS1, 0, ek, eklen, got,
	    0), -1);
	assert_int_equal(unwrap_cek(ra_key, 3, 0, ek, eklen, got, 16), -1);
	assert_int_equal(unwrap_cek(ra_key, 0, 0, ek, eklen, got, 16), -1);
}

/* The path the frontend takes: CMS envelope to the RA, CEK, cipher. */
static void
test_unwrap_envelope(void **state)
{
	static const char	 msg[] = "a PKCS#10 request would be here";
	STACK_OF(X509)		*recips;
	CMS_ContentInfo		*env;
	PKCS7			*p7;
	PKCS7_RECIP_INFO	*ri;
	EVP_CIPHER_CTX		*cctx;
	BIO			*in;
	uint8_t			*der = NULL, cek[32], out[128];
	const uint8_t		*p;
	int			 len, n, fin;

	(void)state;
	assert_non_null(recips = sk_X509_new_null());
	assert_true(sk_X509_push(recips, ra_cert) > 0);
	assert_non_null(in = BIO_new_mem_buf(msg, sizeof(msg)));
	assert_non_null(env = CMS_encrypt(recips, in, EVP_aes_256_cbc(),
	    CMS_BINARY));
	assert_true((len = i2d_CMS_ContentInfo(env, &der)) > 0);
	p = der;
	assert_non_null(p7 = d2i_PKCS7(NULL, &p, len));
	ri = sk_PKCS7_RECIP_INFO_value(p7->d.enveloped->recipientinfo, 0);
	assert_int_equal(unwrap_cek(ra_key, IPC_PAD_PKCS1, 0,
	    ASN1_STRING_get0_data(ri->enc_key),
	    (size_t)ASN1_STRING_length(ri->enc_key), cek, 32), 0);
	assert_non_null(cctx = EVP_CIPHER_CTX_new());
	assert_int_equal(EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL,
	    NULL, NULL), 1);
	assert_true(EVP_CIPHER_asn1_to_param(cctx,
	    p7->d.enveloped->enc_data->algorithm->parameter) > 0);
	assert_int_equal(EVP_DecryptInit_ex(cctx, NULL, NULL, cek, NULL), 1);
	assert_int_equal(EVP_DecryptUpdate(cctx, out, &n,
	    p7->d.enveloped->enc_data->enc_data->data,
	    p7->d.enveloped->enc_data->enc_data->length), 1);
	assert_int_equal(EVP_DecryptFinal_ex(cctx, out + n, &fin), 1);
	assert_int_equal(n + fin, sizeof(msg));
	assert_memory_equal(out, msg, sizeof(msg));
	EVP_CIPHER_CTX_free(cctx);
	PKCS7_free(p7);
	OPENSSL_free(der);
	CMS_ContentInfo_free(env);
	BIO_free(in);
	sk_X509_free(recips);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_success_aes128),
		cmocka_unit_test(test_success_aes256),
		cmocka_unit_test(test_success_3des),
		cmocka_unit_test(test_sender_nonce_fresh),
		cmocka_unit_test(test_failure),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_des_legacy),
		cmocka_unit_test(test_refused_inputs),
		cmocka_unit_test(test_ra_is_ca),
		cmocka_unit_test(test_racerts),
		cmocka_unit_test(test_unwrap),
		cmocka_unit_test(test_unwrap_rejection),
		cmocka_unit_test(test_unwrap_envelope),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
