/*
 * test_keyless.c: certificates parsed without their public key read back
 * as d2i_X509 reads them (names, serial, DER), get the same RSA key when
 * it is attached, refuse trailing bytes and garbage, and refuse to attach
 * a key that is not RSA.  Requests parsed without their key give their
 * key (RSA or not) on demand, verify with it, and refuse a bad signature.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "keyless.h"
#include "testcert.h"

static EVP_PKEY	*rsa_key, *ec_key;
static uint8_t	*rsa_der, *ec_der;
static int	 rsa_len, ec_len;

static int
setup(void **state)
{
	X509	*x;

	(void)state;
	if ((rsa_key = EVP_RSA_gen(2048)) == NULL ||
	    (ec_key = EVP_EC_gen("P-256")) == NULL)
		return -1;
	x = tc_cert("rsa", rsa_key, NULL, rsa_key, 4242, NULL);
	rsa_len = i2d_X509(x, &rsa_der);
	X509_free(x);
	x = tc_cert("ec", ec_key, NULL, ec_key, 77, NULL);
	ec_len = i2d_X509(x, &ec_der);
	X509_free(x);
	return rsa_len > 0 && ec_len > 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	OPENSSL_free(rsa_der);
	OPENSSL_free(ec_der);
	return 0;
}

/* The DER a certificate encodes to, compared with the parsed DER. */
static void
assert_der(X509 *x, const uint8_t *der, int len)
{
	uint8_t	*out = NULL;

	assert_int_equal(i2d_X509(x, &out), len);
	assert_memory_equal(out, der, len);
	OPENSSL_free(out);
}

static void
test_same_as_d2i(void **state)
{
	X509		*full, *kl;
	const uint8_t	*p = rsa_der;

	(void)state;
	assert_non_null(full = d2i_X509(NULL, &p, rsa_len));
	assert_non_null(kl = keyless_parse(rsa_der, rsa_len));
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(kl),
	    X509_get_subject_name(full)), 0);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(kl),
	    X509_get_issuer_name(full)), 0);
	assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(kl),
	    X509_get0_serialNumber(full)), 0);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(kl)), 4242);
	assert_der(kl, rsa_der, rsa_len);
	assert_null(X509_get0_pubkey(kl));
	assert_int_equal(keyless_rsa_key(kl), 0);
	assert_non_null(X509_get0_pubkey(kl));
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(kl),
	    X509_get0_pubkey(full)), 1);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(kl), rsa_key), 1);
	assert_der(kl, rsa_der, rsa_len);
	X509_free(kl);
	X509_free(full);
}

static void
test_refused(void **state)
{
	static const uint8_t	 garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	uint8_t			*longer;

	(void)state;
	assert_non_null(longer = malloc(rsa_len + 1));
	memcpy(longer, rsa_der, rsa_len);
	longer[rsa_len] = 0;
	assert_null(keyless_parse(longer, rsa_len + 1));
	assert_null(keyless_parse(rsa_der, rsa_len - 1));
	assert_null(keyless_parse(garbage, sizeof(garbage)));
	assert_null(keyless_parse(rsa_der, 0));
	free(longer);
}

static void
test_not_rsa(void **state)
{
	X509	*kl;

	(void)state;
	assert_non_null(kl = keyless_parse(ec_der, ec_len));
	assert_der(kl, ec_der, ec_len);
	assert_int_equal(keyless_rsa_key(kl), -1);
	assert_null(X509_get0_pubkey(kl));
	X509_free(kl);
}

/* A DER request for key with subject CN=cn, signed by signer. */
static int
req_der(EVP_PKEY *key, EVP_PKEY *signer, const char *cn, uint8_t **der)
{
	X509_REQ	*req;
	int		 len = -1;

	if ((req = X509_REQ_new()) != NULL &&
	    X509_REQ_set_pubkey(req, key) == 1 &&
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) == 1 &&
	    X509_REQ_sign(req, signer, EVP_sha256()) > 0)
		len = i2d_X509_REQ(req, der);
	X509_REQ_free(req);
	return len;
}

/* The request of key parses keylessly, has key's key and verifies. */
static void
check_req(EVP_PKEY *key)
{
	X509_REQ	*kl;
	EVP_PKEY	*pub;
	uint8_t		*der = NULL, *out = NULL;
	int		 len;

	assert_true((len = req_der(key, key, "req", &der)) > 0);
	assert_non_null(kl = keyless_parse_req(der, len));
	assert_int_equal(i2d_X509_REQ(kl, &out), len);
	assert_memory_equal(out, der, len);
	assert_non_null(pub = keyless_req_key(kl));
	assert_int_equal(EVP_PKEY_eq(pub, key), 1);
	assert_int_equal(X509_REQ_verify_ex(kl, pub, NULL, NULL), 1);
	assert_null(keyless_parse_req(der, len - 1));
	EVP_PKEY_free(pub);
	X509_REQ_free(kl);
	OPENSSL_free(out);
	OPENSSL_free(der);
}

static void
test_req(void **state)
{
	X509_REQ	*kl;
	EVP_PKEY	*pub;
	uint8_t		*der = NULL;
	int		 len;

	(void)state;
	check_req(rsa_key);
	check_req(ec_key);
	/* The RSA key's request signed by the EC key: refused. */
	assert_true((len = req_der(rsa_key, ec_key, "forged", &der)) > 0);
	assert_non_null(kl = keyless_parse_req(der, len));
	assert_non_null(pub = keyless_req_key(kl));
	assert_int_not_equal(X509_REQ_verify_ex(kl, pub, NULL, NULL), 1);
	EVP_PKEY_free(pub);
	X509_REQ_free(kl);
	OPENSSL_free(der);
	assert_null(keyless_parse_req(rsa_der, rsa_len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_d2i),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_not_rsa),
		cmocka_unit_test(test_req),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
