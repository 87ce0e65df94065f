/*
 * test_ocsp_parse.c: the frontend's OCSP request parser and its cache of
 * pre-signed responses.  Requests are made here with OpenSSL's OCSP API,
 * then bent the ways hostile clients bend them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "testcert.h"
#include "ocsp.h"

static EVP_PKEY	*ca_key, *other_key;
static X509	*ca_cert, *other_cert, *leaf;

static int
setup(void **state)
{
	(void)state;
	if ((ca_key = EVP_RSA_gen(2048)) == NULL ||
	    (other_key = EVP_RSA_gen(2048)) == NULL)
		return -1;
	ca_cert = tc_cert("Test CA", ca_key, NULL, ca_key, 1, NULL);
	other_cert = tc_cert("Other CA", other_key, NULL, other_key, 1, NULL);
	leaf = tc_cert("device", other_key, ca_cert, ca_key, 0x1234, NULL);
	return ca_cert == NULL || other_cert == NULL || leaf == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	X509_free(other_cert);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	return 0;
}

/* A request for n serials from 0x1234 on, issued by issuer. */
static OCSP_REQUEST *
request(const EVP_MD *md, X509 *issuer, int n)
{
	OCSP_REQUEST	*req;
	ASN1_INTEGER	*serial;
	int		 i;

	assert_non_null(req = OCSP_REQUEST_new());
	for (i = 0; i < n; i++) {
		assert_non_null(serial = ASN1_INTEGER_new());
		assert_int_equal(ASN1_INTEGER_set(serial, 0x1234 + i), 1);
		assert_non_null(OCSP_request_add0_id(req,
		    OCSP_cert_id_new(md, X509_get_subject_name(issuer),
		    X509_get0_pubkey_bitstr(issuer), serial)));
		ASN1_INTEGER_free(serial);
	}
	return req;
}

/* A nonce extension whose extnValue is exactly the len bytes given. */
static void
nonce_raw(OCSP_REQUEST *req, const uint8_t *val, int len)
{
	ASN1_OCTET_STRING	*os;
	X509_EXTENSION		*ext;

	assert_non_null(os = ASN1_OCTET_STRING_new());
	assert_int_equal(ASN1_OCTET_STRING_set(os, val, len), 1);
	assert_non_null(ext = X509_EXTENSION_create_by_NID(NULL,
	    NID_id_pkix_OCSP_Nonce, 0, os));
	assert_int_equal(OCSP_REQUEST_add_ext(req, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
}

/* Parses req (freed); returns what ocsp_parse() returned. */
static int
parse(OCSP_REQUEST *req, struct ocsp_request *oq)
{
	uint8_t	*der = NULL;
	int	 len, r;

	assert_true((len = i2d_OCSP_REQUEST(req, &der)) > 0);
	OCSP_REQUEST_free(req);
	r = ocsp_parse(der, (size_t)len, oq);
	OPENSSL_free(der);
	return r;
}

static void
test_one_sha1(void **state)
{
	struct ocsp_request	 oq;
	struct ocsp_issuer	 oi;

	(void)state;
	assert_int_equal(parse(request(EVP_sha1(), ca_cert, 1), &oq), 0);
	assert_int_equal(oq.oq_n, 1);
	assert_int_equal(oq.oq_ids[0].oc_md, NID_sha1);
	assert_int_equal(oq.oq_ids[0].oc_namelen, 20);
	assert_string_equal(oq.oq_ids[0].oc_serial, "1234");
	assert_int_equal(oq.oq_noncelen, 0);
	assert_int_equal(ocsp_issuer_init(&oi, ca_cert), 0);
	assert_int_equal(ocsp_issuer_match(&oi, &oq), 1);
	assert_int_equal(ocsp_issuer_init(&oi, other_cert), 0);
	assert_int_equal(ocsp_issuer_match(&oi, &oq), 0);
}

static void
test_sha256_and_several(void **state)
{
	struct ocsp_request	 oq;
	struct ocsp_issuer	 oi;

	(void)state;
	assert_int_equal(parse(request(EVP_sha256(), ca_cert, 3), &oq), 0);
	assert_int_equal(oq.oq_n, 3);
	assert_int_equal(oq.oq_ids[2].oc_md, NID_sha256);
	assert_int_equal(oq.oq_ids[2].oc_keylen, 32);
	assert_string_equal(oq.oq_ids[2].oc_serial, "1236");
	assert_int_equal(ocsp_issuer_init(&oi, ca_cert), 0);
	assert_int_equal(ocsp_issuer_match(&oi, &oq), 1);
}

static void
test_limits(void **state)
{
	struct ocsp_request	 oq;

	(void)state;
	assert_int_equal(parse(request(EVP_sha1(), ca_cert, OCSP_IDS_MAX),
	    &oq), 0);
	assert_int_equal(parse(request(EVP_sha1(), ca_cert, OCSP_IDS_MAX + 1),
	    &oq), -1);
	assert_int_equal(parse(request(EVP_sha1(), ca_cert, 0), &oq), -1);
	assert_int_equal(parse(request(EVP_sha512(), ca_cert, 1), &oq), -1);
	assert_non_null(strstr(oq.oq_why, "digest"));
}

static void
test_nonces(void **state)
{
	uint8_t			 buf[300];
	struct ocsp_request	 oq;
	OCSP_REQUEST		*req;

	(void)state;
	memset(buf, 0xab, sizeof(buf));
	/* OpenSSL's own: an OCTET STRING of 16 bytes inside extnValue. */
	req = request(EVP_sha1(), ca_cert, 1);
	assert_int_equal(OCSP_request_add1_nonce(req, buf, 16), 1);
	assert_int_equal(parse(req, &oq), 0);
	assert_int_equal(oq.oq_noncelen, 18);
	assert_int_equal(oq.oq_nonce[0], 0x04);
	/* Raw bytes without the inner OCTET STRING: kept as they are. */
	req = request(EVP_sha1(), ca_cert, 1);
	nonce_raw(req, buf, 32);
	assert_int_equal(parse(req, &oq), 0);
	assert_int_equal(oq.oq_noncelen, 32);
	assert_memory_equal(oq.oq_nonce, buf, 32);
	/* RFC 9654: 1 to 128 bytes. */
	req = request(EVP_sha1(), ca_cert, 1);
	assert_int_equal(OCSP_request_add1_nonce(req, buf, 128), 1);
	assert_int_equal(parse(req, &oq), 0);
	req = request(EVP_sha1(), ca_cert, 1);
	assert_int_equal(OCSP_request_add1_nonce(req, buf, 129), 1);
	assert_int_equal(parse(req, &oq), -1);
	req = request(EVP_sha1(), ca_cert, 1);
	nonce_raw(req, buf, 129);
	assert_int_equal(parse(req, &oq), -1);
	req = request(EVP_sha1(), ca_cert, 1);
	nonce_raw(req, (const uint8_t *)"\x04\x00", 2);
	assert_int_equal(parse(req, &oq), -1);
	req = request(EVP_sha1(), ca_cert, 1);
	nonce_raw(req, buf, 0);
	assert_int_equal(parse(req, &oq), -1);
	/* Two nonces: which one would we echo? */
	req = request(EVP_sha1(), ca_cert, 1);
	nonce_raw(req, buf, 16);
	nonce_raw(req, buf, 16);
	assert_int_equal(parse(req, &oq), -1);
}

static void
test_serials(void **state)
{
	struct ocsp_request	 oq;
	OCSP_REQUEST		*req;
	ASN1_INTEGER		*serial;
	uint8_t			 big[21];

	(void)state;
	memset(big, 0x11, sizeof(big));
	assert_non_null(req = OCSP_REQUEST_new());
	assert_non_null(serial = ASN1_INTEGER_new());
	assert_int_equal(ASN1_INTEGER_set(serial, -5), 1);
	assert_non_null(OCSP_request_add0_id(req, OCSP_cert_id_new(EVP_sha1(),
	    X509_get_subject_name(ca_cert), X509_get0_pubkey_bitstr(ca_cert),
	    serial)));
	assert_int_equal(parse(req, &oq), -1);
	assert_non_null(req = OCSP_REQUEST_new());
	assert_int_equal(ASN1_STRING_set(serial, big, sizeof(big)), 1);
	serial->type = V_ASN1_INTEGER;
	assert_non_null(OCSP_request_add0_id(req, OCSP_cert_id_new(EVP_sha1(),
	    X509_get_subject_name(ca_cert), X509_get0_pubkey_bitstr(ca_cert),
	    serial)));
	assert_int_equal(parse(req, &oq), -1);
	ASN1_INTEGER_free(serial);
}

/* Every truncation, trailing bytes and random bytes are malformed. */
static void
test_bad_der(void **state)
{
	struct ocsp_request	 oq;
	OCSP_REQUEST		*req = request(EVP_sha1(), ca_cert, 2);
	uint8_t			*der = NULL, *longer;
	int			 len, i;

	(void)state;
	assert_true((len = i2d_OCSP_REQUEST(req, &der)) > 0);
	OCSP_REQUEST_free(req);
	for (i = 0; i < len; i++)
		assert_int_equal(ocsp_parse(der, (size_t)i, &oq), -1);
	assert_non_null(longer = malloc((size_t)len + 1));
	memcpy(longer, der, (size_t)len);
	longer[len] = 0;
	assert_int_equal(ocsp_parse(longer, (size_t)len + 1, &oq), -1);
	assert_int_equal(ocsp_parse(der, (size_t)len, &oq), 0);
	memset(longer, 0x30, (size_t)len);
	assert_int_equal(ocsp_parse(longer, (size_t)len, &oq), -1);
	free(longer);
	OPENSSL_free(der);
}

static void
test_status_der(void **state)
{
	static const uint8_t	 want[] = { 0x30, 0x03, 0x0a, 0x01, 0x06 };
	uint8_t			*der = NULL;
	size_t			 len;

	(void)state;
	assert_int_equal(ocsp_status_der(OCSP_RESPONSE_STATUS_UNAUTHORIZED,
	    &der, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(der, want, sizeof(want));
	OPENSSL_free(der);
}

/* Newer rows replace older ones, never the other way round. */
static void
test_cache(void **state)
{
	const struct ocsp_entry	*e;
	int			 md[4];
	char			 serial[4][SERIAL_HEX_MAX];
	char			 name[SERIAL_HEX_MAX];
	int			 i;

	(void)state;
	assert_null(ocsp_cache_get(NID_sha1, "1234", 1000));
	assert_int_equal(ocsp_cache_put(NID_sha1, "1234", 5, 1000, 2000,
	    (const uint8_t *)"five", 4), 0);
	assert_non_null(e = ocsp_cache_get(NID_sha1, "1234", 1000));
	assert_memory_equal(e->oe_der, "five", 4);
	assert_int_equal(strlen(e->oe_etag), OCSP_ETAG_LEN);
	assert_null(ocsp_cache_get(NID_sha256, "1234", 1000));
	assert_int_equal(ocsp_cache_put(NID_sha1, "1234", 4, 1000, 2000,
	    (const uint8_t *)"four", 4), 0);
	assert_memory_equal(ocsp_cache_get(NID_sha1, "1234", 1000)->oe_der,
	    "five", 4);
	assert_int_equal(ocsp_cache_put(NID_sha1, "1234", 6, 1000, 2000,
	    (const uint8_t *)"six!", 4), 0);
	assert_memory_equal(ocsp_cache_get(NID_sha1, "1234", 1000)->oe_der,
	    "six!", 4);
	/* Expired: not served.  Past half its life: asked for once. */
	assert_null(ocsp_cache_get(NID_sha1, "1234", 2000));
	assert_int_equal(ocsp_cache_wanted(md, serial, 4), 0);
	assert_non_null(ocsp_cache_get(NID_sha1, "1234", 1600));
	assert_non_null(ocsp_cache_get(NID_sha1, "1234", 1700));
	assert_int_equal(ocsp_cache_wanted(md, serial, 4), 1);
	assert_int_equal(md[0], NID_sha1);
	assert_string_equal(serial[0], "1234");
	assert_int_equal(ocsp_cache_wanted(md, serial, 4), 0);
	/* The table grows past its first size. */
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "%04X", i + 0x1000);
		assert_int_equal(ocsp_cache_put(NID_sha256, name, 1, 1, 9,
		    (const uint8_t *)name, strlen(name)), 0);
	}
	assert_int_equal(ocsp_cache_count(), 5001);
	assert_memory_equal(ocsp_cache_get(NID_sha256, "1FFF", 2)->oe_der,
	    "1FFF", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_sha1),
		cmocka_unit_test(test_sha256_and_several),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_nonces),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_bad_der),
		cmocka_unit_test(test_status_der),
		cmocka_unit_test(test_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
