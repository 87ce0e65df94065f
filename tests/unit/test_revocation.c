/*
 * test_revocation.c: the signer's OCSP response and CRL builders, and
 * the GetCRL CertRep, with software keys (no token).  Everything is read
 * back the way a relying party reads it: OCSP_basic_verify and
 * OCSP_resp_find_status, X509_CRL_verify, CMS_decrypt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "testcert.h"
#include "ipc.h"
#include "signer.h"

#define T0	((time_t)1800000000)	/* 2027 */
#define T1	(T0 + 86400)

static EVP_PKEY	*ca_key, *resp_key, *req_key;
static X509	*ca_cert, *resp_cert, *req_cert;

/* CRLs carry the CA's key identifier: the test CA needs an SKI. */
static void
add_ski(X509 *x, EVP_PKEY *key)
{
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	assert_non_null(ext = X509V3_EXT_conf_nid(NULL, &ctx,
	    NID_subject_key_identifier, "hash"));
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
}

static int
setup(void **state)
{
	(void)state;
	if ((ca_key = EVP_RSA_gen(2048)) == NULL ||
	    (resp_key = EVP_RSA_gen(2048)) == NULL ||
	    (req_key = EVP_RSA_gen(2048)) == NULL)
		return -1;
	ca_cert = tc_cert("Test CA", ca_key, NULL, ca_key, 1, NULL);
	add_ski(ca_cert, ca_key);
	resp_cert = tc_cert("Test OCSP", resp_key, ca_cert, ca_key, 2, NULL);
	req_cert = tc_cert("requester", req_key, NULL, req_key, 3, NULL);
	return ca_cert == NULL || resp_cert == NULL || req_cert == NULL ?
	    -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	X509_free(resp_cert);
	X509_free(req_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(resp_key);
	EVP_PKEY_free(req_key);
	return 0;
}

/* The basic response inside der, checked against the CA. */
static OCSP_BASICRESP *
basic(const uint8_t *der, size_t len)
{
	const uint8_t	*p = der;
	OCSP_RESPONSE	*resp;
	OCSP_BASICRESP	*bs;
	X509		*signer = NULL;

	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len));
	assert_int_equal(OCSP_response_status(resp),
	    OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs = OCSP_response_get1_basic(resp));
	OCSP_RESPONSE_free(resp);
	/* Signed by the responder certificate it carries (the chain to
	 * the CA is the e2e tests' business: these certificates are bare). */
	assert_int_equal(OCSP_basic_verify(bs, NULL, NULL, OCSP_NOVERIFY), 1);
	assert_int_equal(OCSP_resp_get0_signer(bs, &signer, NULL), 1);
	assert_int_equal(X509_cmp(signer, resp_cert), 0);
	return bs;
}

/* The status of serial (hex) under md in bs. */
static int
find(OCSP_BASICRESP *bs, const EVP_MD *md, long serial, int *reason,
    time_t *rev)
{
	ASN1_INTEGER		*ai = ASN1_INTEGER_new();
	ASN1_GENERALIZEDTIME	*rt = NULL, *tu = NULL, *nu = NULL;
	OCSP_CERTID		*id;
	struct tm		 tm;
	int			 st = -1;

	assert_int_equal(ASN1_INTEGER_set(ai, serial), 1);
	id = OCSP_cert_id_new(md, X509_get_subject_name(ca_cert),
	    X509_get0_pubkey_bitstr(ca_cert), ai);
	assert_int_equal(OCSP_resp_find_status(bs, id, &st, reason, &rt, &tu,
	    &nu), 1);
	assert_int_equal(ASN1_TIME_to_tm(tu, &tm), 1);
	assert_int_equal(timegm(&tm), T0);
	assert_int_equal(ASN1_TIME_to_tm(nu, &tm), 1);
	assert_int_equal(timegm(&tm), T1);
	if (rt != NULL && rev != NULL) {
		assert_int_equal(ASN1_TIME_to_tm(rt, &tm), 1);
		*rev = timegm(&tm);
	}
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(ai);
	return st;
}

static void
test_ocsp_statuses(void **state)
{
	struct ocsp_signer	 sgn = { ca_cert, resp_cert, resp_key };
	struct ocsp_single	 os[3] = {
		{ NID_sha1, "1234", V_OCSP_CERTSTATUS_GOOD, 0, -1 },
		{ NID_sha256, "1235", V_OCSP_CERTSTATUS_REVOKED, T0 - 60, 1 },
		{ NID_sha1, "1236", V_OCSP_CERTSTATUS_UNKNOWN, 0, -1 },
	};
	OCSP_BASICRESP		*bs;
	uint8_t			*der = NULL;
	size_t			 len;
	char			 why[256];
	int			 reason;
	time_t			 rev = 0;

	(void)state;
	assert_int_equal(ocsp_build(&sgn, os, 3, NULL, 0, T0, T1, &der, &len,
	    why, sizeof(why)), 0);
	bs = basic(der, len);
	assert_int_equal(OCSP_resp_count(bs), 3);
	assert_int_equal(find(bs, EVP_sha1(), 0x1234, &reason, NULL),
	    V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(find(bs, EVP_sha256(), 0x1235, &reason, &rev),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	assert_int_equal(rev, T0 - 60);
	assert_int_equal(find(bs, EVP_sha1(), 0x1236, &reason, NULL),
	    V_OCSP_CERTSTATUS_UNKNOWN);
	/* No nonce asked, none given. */
	assert_true(OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce,
	    -1) < 0);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
}

/* Unspecified (0) is left out, as RFC 5280 asks of CRLs too. */
static void
test_ocsp_reason_left_out(void **state)
{
	struct ocsp_signer	 sgn = { ca_cert, resp_cert, resp_key };
	struct ocsp_single	 os = { NID_sha1, "1234",
	    V_OCSP_CERTSTATUS_REVOKED, T0, 0 };
	OCSP_BASICRESP		*bs;
	uint8_t			*der = NULL;
	size_t			 len;
	char			 why[256];
	int			 reason = 99;

	(void)state;
	assert_int_equal(ocsp_build(&sgn, &os, 1, NULL, 0, T0, T1, &der, &len,
	    why, sizeof(why)), 0);
	bs = basic(der, len);
	assert_int_equal(find(bs, EVP_sha1(), 0x1234, &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_NOSTATUS);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
}

/* The nonce extnValue comes back byte for byte, as OCSP_check_nonce
 * wants; a longer one than a request may carry is refused. */
static void
test_ocsp_nonce(void **state)
{
	struct ocsp_signer	 sgn = { ca_cert, resp_cert, resp_key };
	struct ocsp_single	 os = { NID_sha1, "1234",
	    V_OCSP_CERTSTATUS_GOOD, 0, -1 };
	uint8_t			 nonce[OCSP_NONCE_RAW_MAX + 1];
	OCSP_REQUEST		*req;
	OCSP_BASICRESP		*bs;
	ASN1_OCTET_STRING	*val;
	X509_EXTENSION		*ext;
	uint8_t			*der = NULL;
	size_t			 len;
	char			 why[256];

	(void)state;
	memset(nonce, 0x5a, sizeof(nonce));
	nonce[0] = 0x04;
	nonce[1] = 16;
	assert_int_equal(ocsp_build(&sgn, &os, 1, nonce, 18, T0, T1, &der,
	    &len, why, sizeof(why)), 0);
	bs = basic(der, len);
	assert_non_null(req = OCSP_REQUEST_new());
	assert_non_null(val = ASN1_OCTET_STRING_new());
	assert_int_equal(ASN1_OCTET_STRING_set(val, nonce, 18), 1);
	assert_non_null(ext = X509_EXTENSION_create_by_NID(NULL,
	    NID_id_pkix_OCSP_Nonce, 0, val));
	assert_int_equal(OCSP_REQUEST_add_ext(req, ext, -1), 1);
	assert_int_equal(OCSP_check_nonce(req, bs), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(val);
	OCSP_REQUEST_free(req);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
	assert_int_equal(ocsp_build(&sgn, &os, 1, nonce, sizeof(nonce), T0,
	    T1, &der, &len, why, sizeof(why)), -1);
	assert_null(der);
}

static void
test_ocsp_refusals(void **state)
{
	struct ocsp_signer	 sgn = { ca_cert, resp_cert, resp_key };
	struct ocsp_signer	 wrong = { ca_cert, resp_cert, req_key };
	struct ocsp_single	 os = { NID_sha1, "1234",
	    V_OCSP_CERTSTATUS_GOOD, 0, -1 };
	struct ocsp_single	 bad = { NID_md5, "1234",
	    V_OCSP_CERTSTATUS_GOOD, 0, -1 };
	uint8_t			*der = NULL;
	size_t			 len;
	char			 why[256];

	(void)state;
	assert_int_equal(ocsp_build(&sgn, &os, 0, NULL, 0, T0, T1, &der, &len,
	    why, sizeof(why)), -1);
	assert_int_equal(ocsp_build(&sgn, &os, 1, NULL, 0, T1, T0, &der, &len,
	    why, sizeof(why)), -1);
	assert_int_equal(ocsp_build(&sgn, &bad, 1, NULL, 0, T0, T1, &der,
	    &len, why, sizeof(why)), -1);
	/* A key that is not the responder certificate's: refused. */
	assert_int_equal(ocsp_build(&wrong, &os, 1, NULL, 0, T0, T1, &der,
	    &len, why, sizeof(why)), -1);
	assert_null(der);
}

static void
test_issuer_hashes(void **state)
{
	uint8_t	 nh[EVP_MAX_MD_SIZE], kh[EVP_MAX_MD_SIZE];
	size_t	 nl, kl;

	(void)state;
	assert_int_equal(ocsp_issuer_hashes(ca_cert, NID_sha256, nh, &nl, kh,
	    &kl), 0);
	assert_int_equal(nl, 32);
	assert_int_equal(ocsp_issuer_ok(ca_cert, NID_sha256, nh, nl, kh, kl),
	    1);
	kh[0] ^= 1;
	assert_int_equal(ocsp_issuer_ok(ca_cert, NID_sha256, nh, nl, kh, kl),
	    0);
	assert_int_equal(ocsp_issuer_ok(ca_cert, NID_sha1, nh, nl, kh, kl),
	    0);
	assert_int_equal(ocsp_issuer_hashes(ca_cert, NID_md5, nh, &nl, kh,
	    &kl), -1);
}

static X509_CRL *
crl_of(const uint8_t *der, size_t len)
{
	const uint8_t	*p = der;
	X509_CRL	*crl;

	assert_non_null(crl = d2i_X509_CRL(NULL, &p, (long)len));
	assert_int_equal(X509_CRL_verify(crl, ca_key), 1);
	return crl;
}

static void
test_crl(void **state)
{
	const struct crl_entry	 ce[] = {
		{ "1234", T0 - 100, 1 }, { "0A0B", T0 - 50, 0 },
		{ "1235", T0 - 10, 6 },
	};
	AUTHORITY_KEYID		*aki;
	ASN1_INTEGER		*ai;
	ASN1_ENUMERATED		*reason;
	X509_REVOKED		*rv;
	X509_CRL		*crl;
	uint8_t			*der = NULL;
	size_t			 len;
	uint64_t		 num;
	time_t			 t0, t1;
	char			 why[256];

	(void)state;
	assert_int_equal(crl_build(ca_cert, ca_key, ce, 3, 1800000000123ULL,
	    T0, T1, &der, &len, why, sizeof(why)), 0);
	crl = crl_of(der, len);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(ca_cert)), 0);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 3);
	assert_non_null(aki = X509_CRL_get_ext_d2i(crl,
	    NID_authority_key_identifier, NULL, NULL));
	AUTHORITY_KEYID_free(aki);
	assert_non_null(ai = ASN1_INTEGER_new());
	assert_int_equal(ASN1_INTEGER_set(ai, 0x1235), 1);
	assert_int_equal(X509_CRL_get0_by_serial(crl, &rv, ai), 1);
	assert_non_null(reason = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason,
	    NULL, NULL));
	assert_int_equal(ASN1_ENUMERATED_get(reason), 6);
	ASN1_ENUMERATED_free(reason);
	assert_int_equal(ASN1_INTEGER_set(ai, 0x0A0B), 1);
	assert_int_equal(X509_CRL_get0_by_serial(crl, &rv, ai), 1);
	assert_null(X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, NULL, NULL));
	ASN1_INTEGER_free(ai);
	assert_int_equal(crl_info(der, len, &num, &t0, &t1), 0);
	assert_true(num == 1800000000123ULL);
	assert_int_equal(t0, T0);
	assert_int_equal(t1, T1);
	assert_int_equal(crl_info(der, len - 1, &num, &t0, &t1), -1);
	X509_CRL_free(crl);
	OPENSSL_free(der);
	/* Empty, and the refusals. */
	assert_int_equal(crl_build(ca_cert, ca_key, NULL, 0, 7, T0, T1, &der,
	    &len, why, sizeof(why)), 0);
	crl = crl_of(der, len);
	assert_null(X509_CRL_get_REVOKED(crl));
	X509_CRL_free(crl);
	OPENSSL_free(der);
	assert_int_equal(crl_build(ca_cert, ca_key, NULL, 0, 0, T0, T1, &der,
	    &len, why, sizeof(why)), -1);
	assert_int_equal(crl_build(ca_cert, ca_key, ce, 1, 7, T1, T0, &der,
	    &len, why, sizeof(why)), -1);
	assert_int_equal(crl_build(ca_cert, req_key, ce, 1, 7, T0, T1, &der,
	    &len, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "does not verify"));
}

/* GetCRL's CertRep: SUCCESS, enveloped to the requester, the CRL in crls
 * of the degenerate SignedData and no certificates. */
static void
test_crl_certrep(void **state)
{
	struct certrep_in	 in;
	CMS_ContentInfo		*cms, *env;
	PKCS7			*p7;
	BIO			*out, *inner;
	uint8_t			*crl = NULL, *der = NULL, *plain;
	const uint8_t		*p;
	size_t			 crllen, len;
	char			 why[256];
	long			 n;

	(void)state;
	assert_int_equal(crl_build(ca_cert, ca_key, NULL, 0, 9, T0, T1, &crl,
	    &crllen, why, sizeof(why)), 0);
	memset(&in, 0, sizeof(in));
	in.ci_txid = "GETCRL1";
	in.ci_requester = req_cert;
	in.ci_cipher = NID_aes_128_cbc;
	in.ci_digest = NID_sha256;
	in.ci_status = SCEP_SUCCESS;
	in.ci_crl = crl;
	in.ci_crllen = crllen;
	assert_int_equal(certrep_build(&in, resp_cert, resp_key, NULL, &der,
	    &len, why, sizeof(why)), 0);
	p = der;
	assert_non_null(cms = d2i_CMS_ContentInfo(NULL, &p, (long)len));
	assert_non_null(out = BIO_new(BIO_s_mem()));
	assert_int_equal(CMS_verify(cms, NULL, NULL, NULL, out,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY), 1);
	n = BIO_get_mem_data(out, (char **)&plain);
	p = plain;
	assert_non_null(env = d2i_CMS_ContentInfo(NULL, &p, n));
	assert_non_null(inner = BIO_new(BIO_s_mem()));
	assert_int_equal(CMS_decrypt(env, req_key, req_cert, NULL, inner,
	    CMS_BINARY), 1);
	n = BIO_get_mem_data(inner, (char **)&plain);
	p = plain;
	assert_non_null(p7 = d2i_PKCS7(NULL, &p, n));
	assert_int_equal(OBJ_obj2nid(p7->type), NID_pkcs7_signed);
	assert_int_equal(sk_X509_CRL_num(p7->d.sign->crl), 1);
	assert_true(sk_X509_num(p7->d.sign->cert) <= 0);	/* none */
	assert_int_equal(X509_CRL_verify(sk_X509_CRL_value(p7->d.sign->crl,
	    0), ca_key), 1);
	/* A CRL and a certificate at once is not a CertRep we build. */
	in.ci_cert = crl;
	in.ci_certlen = crllen;
	assert_int_equal(certrep_check(&in, why, sizeof(why)), -1);
	PKCS7_free(p7);
	BIO_free(inner);
	BIO_free(out);
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(cms);
	OPENSSL_free(der);
	OPENSSL_free(crl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ocsp_statuses),
		cmocka_unit_test(test_ocsp_reason_left_out),
		cmocka_unit_test(test_ocsp_nonce),
		cmocka_unit_test(test_ocsp_refusals),
		cmocka_unit_test(test_issuer_hashes),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_crl_certrep),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
