/*
 * testcert.c: certificates made for unit tests, where a test needs a CA,
 * an RA or a requester without going through keyward itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/x509v3.h>

#include "keyless.h"
#include "testcert.h"

/* A certificate for pub named cn, issued by issuer (NULL: self), valid
 * from a minute ago for a day, with an optional SAN (openssl syntax). */
X509 *
tc_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *signer,
    long serial, const char *san)
{
	X509		*x;
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;

	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer == NULL ? name :
	    X509_get_subject_name(issuer)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, pub), 1);
	if (san != NULL) {
		X509V3_set_ctx(&ctx, issuer == NULL ? x : issuer, x, NULL,
		    NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
		    san);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

X509 *
tc_keyless(X509 *x)
{
	X509	*kl;
	uint8_t	*der = NULL;
	int	 len;

	assert_true((len = i2d_X509(x, &der)) > 0);
	assert_non_null(kl = keyless_parse(der, (size_t)len));
	assert_null(X509_get0_pubkey(kl));
	OPENSSL_free(der);
	return kl;
}
