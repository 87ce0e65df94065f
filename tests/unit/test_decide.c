/*
 * test_decide.c: the validator's checks, free of I/O: the static
 * challenge (every string type a client may use, missing or doubled
 * attributes), the automatic profile rule, and the renewal checks
 * (issued by this CA, validity, same subject, on keyless certificates
 * as the validator parses them), and the directory ids
 * an Intune request binds its certificate to.  Keys and certificates
 * are made here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "intune.h"
#include "testcert.h"
#include "common.h"
#include "config.h"
#include "validator.h"

#define SECRET		"s3cret"
#define SECRET_UMLAUT	"p\xc3\xa4ss"		/* "päss" in UTF-8 */
#define UPN_SAN		"otherName:msUPN;UTF8:alice@example.com"
#define GUID1		"0b7c3a52-1d2e-4f60-8a91-5c3d2e1f0a01"
#define GUID2		"0B7C3A52-1D2E-4F60-8A91-5C3D2E1F0A02"

static EVP_PKEY	*key, *ca_key, *other_key;
static X509	*ca_cert;

/* A CSR named cn with an optional subjectAltName (openssl syntax). */
static X509_REQ *
make_csr(const char *cn, const char *san)
{
	STACK_OF(X509_EXTENSION)	*exts;
	X509_EXTENSION			*ext;
	X509_REQ			*req;

	assert_non_null(req = X509_REQ_new());
	assert_int_equal(X509_NAME_add_entry_by_txt(
	    X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
		    san);
		assert_non_null(ext);
		assert_non_null(exts = sk_X509_EXTENSION_new_null());
		assert_true(sk_X509_EXTENSION_push(exts, ext) > 0);
		assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	return req;
}

/* A CSR whose challengePassword is the raw bytes pw of string type. */
static X509_REQ *
csr_pw(int type, const void *pw, int len)
{
	X509_REQ	*req = make_csr("device-1", NULL);

	assert_int_equal(X509_REQ_add1_attr_by_NID(req,
	    NID_pkcs9_challengePassword, type, pw, len), 1);
	return req;
}

/* 0 if a CSR with password pw of type matches secret. */
static int
match(int type, const void *pw, int len, const char *secret)
{
	X509_REQ	*req = csr_pw(type, pw, len);
	int		 r;

	r = decide_challenge(req, secret);
	X509_REQ_free(req);
	return r;
}

static int
setup(void **state)
{
	key = EVP_EC_gen("P-256");
	ca_key = EVP_EC_gen("P-256");
	other_key = EVP_EC_gen("P-256");
	if (key == NULL || ca_key == NULL || other_key == NULL)
		return -1;
	ca_cert = tc_cert("Test CA", ca_key, NULL, ca_key, 0x1234, NULL);
	return 0;
}

static int
teardown(void **state)
{
	X509_free(ca_cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	return 0;
}

static void
test_challenge_match(void **state)
{
	assert_int_equal(match(V_ASN1_UTF8STRING, SECRET, 6, SECRET), 0);
	assert_int_equal(match(V_ASN1_PRINTABLESTRING, SECRET, 6, SECRET), 0);
	assert_int_equal(match(V_ASN1_IA5STRING, SECRET, 6, SECRET), 0);
	assert_int_equal(match(V_ASN1_T61STRING, SECRET, 6, SECRET), 0);
}

/* BMPString and UniversalString are UTF-16 and UCS-4; TeletexString is
 * read as Latin-1: each is compared as UTF-8. */
static void
test_challenge_wide_strings(void **state)
{
	static const uint8_t bmp[] = { 0, 'p', 0, 0xe4, 0, 's', 0, 's' };
	static const uint8_t ucs[] = { 0, 0, 0, 'p', 0, 0, 0, 0xe4,
	    0, 0, 0, 's', 0, 0, 0, 's' };
	static const uint8_t latin1[] = { 'p', 0xe4, 's', 's' };

	assert_int_equal(match(V_ASN1_BMPSTRING, bmp, sizeof(bmp),
	    SECRET_UMLAUT), 0);
	assert_int_equal(match(V_ASN1_UNIVERSALSTRING, ucs, sizeof(ucs),
	    SECRET_UMLAUT), 0);
	assert_int_equal(match(V_ASN1_T61STRING, latin1, sizeof(latin1),
	    SECRET_UMLAUT), 0);
	/* Raw bytes are not converted: Latin-1 is not the UTF-8 secret. */
	assert_int_equal(match(V_ASN1_UTF8STRING, latin1, sizeof(latin1),
	    SECRET_UMLAUT), -1);
	assert_int_equal(match(V_ASN1_BMPSTRING, bmp, sizeof(bmp),
	    "p\xe4ss"), -1);
}

static void
test_challenge_mismatch(void **state)
{
	assert_int_equal(match(V_ASN1_UTF8STRING, "s3creT", 6, SECRET), -1);
	assert_int_equal(match(V_ASN1_UTF8STRING, "s3cre", 5, SECRET), -1);
	assert_int_equal(match(V_ASN1_UTF8STRING, "s3crets", 7, SECRET), -1);
	/* An embedded NUL does not end the comparison early. */
	assert_int_equal(match(V_ASN1_UTF8STRING, "s3cret\0x", 8, SECRET),
	    -1);
	/* Not a string type a challengePassword may have. */
	assert_int_equal(match(V_ASN1_OCTET_STRING, SECRET, 6, SECRET), -1);
	/* An empty password never matches, not even an empty secret. */
	assert_int_equal(match(V_ASN1_UTF8STRING, "", 0, ""), -1);
	assert_int_equal(match(V_ASN1_UTF8STRING, SECRET, 6, ""), -1);
}

static void
test_challenge_missing_or_doubled(void **state)
{
	/* OID 1.2.840.113549.1.9.2, unstructuredName */
	static const uint8_t	 unstructured[] = { 0x06, 0x09, 0x2a, 0x86,
	    0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02 };
	X509_REQ		*req;
	X509_ATTRIBUTE		*attr;
	uint8_t			*der = NULL, *p;
	const uint8_t		*cp;
	int			 len;

	req = make_csr("device-1", NULL);
	assert_int_equal(decide_challenge(req, SECRET), -1);
	X509_REQ_free(req);

	/* One attribute with two values: which one would count? */
	req = make_csr("device-1", NULL);
	assert_non_null(attr = X509_ATTRIBUTE_create_by_NID(NULL,
	    NID_pkcs9_challengePassword, V_ASN1_UTF8STRING, SECRET, 6));
	assert_int_equal(X509_ATTRIBUTE_set1_data(attr, V_ASN1_UTF8STRING,
	    "other", 5), 1);
	assert_int_equal(X509_REQ_add1_attr(req, attr), 1);
	assert_int_equal(decide_challenge(req, SECRET), -1);
	X509_ATTRIBUTE_free(attr);
	X509_REQ_free(req);

	/* Two attributes: OpenSSL will not add a second one, so the
	 * unstructuredName OID (...9.2) is turned into ...9.7 in the DER. */
	req = csr_pw(V_ASN1_UTF8STRING, SECRET, 6);
	assert_int_equal(X509_REQ_add1_attr_by_NID(req,
	    NID_pkcs9_unstructuredName, V_ASN1_UTF8STRING,
	    (const unsigned char *)SECRET, 6), 1);
	assert_true((len = i2d_X509_REQ(req, &der)) > 0);
	X509_REQ_free(req);
	assert_non_null(p = memmem(der, (size_t)len, unstructured,
	    sizeof(unstructured)));
	p[sizeof(unstructured) - 1] = 0x07;
	cp = der;
	assert_non_null(req = d2i_X509_REQ(NULL, &cp, len));
	assert_true(X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword,
	    0) > 0);
	assert_int_equal(decide_challenge(req, SECRET), -1);
	X509_REQ_free(req);
	OPENSSL_free(der);
}

static void
test_profile_auto(void **state)
{
	X509_REQ	*upn, *dns, *plain, *mixed;

	upn = make_csr("alice", UPN_SAN);
	dns = make_csr("dev1", "DNS:dev1.example,URI:IntuneDeviceId://1");
	plain = make_csr("dev2", NULL);
	mixed = make_csr("bob", "email:bob@example.com," UPN_SAN);
	assert_string_equal(decide_profile("auto", upn), "user");
	assert_string_equal(decide_profile(NULL, upn), "user");
	assert_string_equal(decide_profile("auto", mixed), "user");
	assert_string_equal(decide_profile("auto", dns), "device");
	assert_string_equal(decide_profile("auto", plain), "device");
	assert_string_equal(decide_profile(NULL, plain), "device");
	/* A named profile applies whatever the CSR asks for. */
	assert_string_equal(decide_profile("kiosk", upn), "kiosk");
	assert_string_equal(decide_profile("kiosk", plain), "kiosk");
	X509_REQ_free(upn);
	X509_REQ_free(dns);
	X509_REQ_free(plain);
	X509_REQ_free(mixed);
}

/* Keyless, as decide_read parses the requester's certificate. */
static X509 *
keyless_cert(const char *cn, X509 *issuer, EVP_PKEY *signer)
{
	X509	*x, *kl;

	x = tc_cert(cn, key, issuer, signer, 0x1234, NULL);
	kl = tc_keyless(x);
	X509_free(x);
	return kl;
}

static void
test_issued_by(void **state)
{
	X509		*leaf, *self, *forged;
	const char	*why = NULL;
	time_t		 now = time(NULL);

	leaf = keyless_cert("device-1", ca_cert, ca_key);
	self = keyless_cert("device-1", NULL, key);
	/* Our CA's name as issuer, someone else's signature. */
	forged = keyless_cert("device-1", ca_cert, other_key);
	assert_int_equal(decide_issued_by(leaf, ca_cert, now, &why), 0);
	assert_int_equal(decide_issued_by(self, ca_cert, now, &why), -1);
	assert_string_equal(why, "requester certificate not issued by this "
	    "CA");
	why = NULL;
	assert_int_equal(decide_issued_by(forged, ca_cert, now, &why), -1);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(decide_issued_by(leaf, ca_cert, now + 2 * 86400,
	    &why), -1);
	assert_string_equal(why, "requester certificate outside its "
	    "validity");
	assert_int_equal(decide_issued_by(leaf, ca_cert, now - 3600, &why),
	    -1);
	X509_free(leaf);
	X509_free(self);
	X509_free(forged);
}

static void
test_same_subject(void **state)
{
	X509		*leaf;
	X509_REQ	*same, *other, *longer;

	leaf = tc_cert("device-1", key, ca_cert, ca_key, 0x1234, NULL);
	same = make_csr("device-1", "DNS:new.example");
	other = make_csr("device-2", NULL);
	longer = make_csr("device-1", NULL);
	assert_int_equal(X509_NAME_add_entry_by_txt(
	    X509_REQ_get_subject_name(longer), "O", MBSTRING_ASC,
	    (const unsigned char *)"Example", -1, -1, 0), 1);
	assert_int_equal(decide_same_subject(same, leaf), 0);
	assert_int_equal(decide_same_subject(other, leaf), -1);
	assert_int_equal(decide_same_subject(longer, leaf), -1);
	X509_free(leaf);
	X509_REQ_free(same);
	X509_REQ_free(other);
	X509_REQ_free(longer);
}

/* dir_ids from a CSR with the CN binding given. */
static void
ids_of(const char *cn, const char *san, int binding, const char *want)
{
	struct conf	 cf;
	X509_REQ	*req = make_csr(cn, san);
	char		 out[DIRIDS_STR_MAX];

	memset(&cf, 0, sizeof(cf));
	cf.cf_intune_cn_binding = binding;
	dirids_from_csr(&cf, req, out, sizeof(out));
	assert_string_equal(out, want);
	X509_REQ_free(req);
}

static void
test_dirids_from_csr(void **state)
{
	ids_of("device-1", "URI:IntuneDeviceId://" GUID1, INTUNE_CN_NONE,
	    "intune:" GUID1);
	ids_of("device-1", "URI:intunedeviceid://" GUID1, INTUNE_CN_ENTRA,
	    "intune:" GUID1);
	ids_of(GUID2, "URI:IntuneDeviceID://" GUID1, INTUNE_CN_NONE,
	    "intune:" GUID1);
	ids_of(GUID2, "URI:IntuneDeviceId://" GUID1, INTUNE_CN_ENTRA,
	    "intune:" GUID1 " entra:" GUID2);
	ids_of(GUID1, "URI:IntuneDeviceId://" GUID1, INTUNE_CN_INTUNE,
	    "intune:" GUID1);
	ids_of(GUID2, NULL, INTUNE_CN_INTUNE, "intune:" GUID2);
	/* Not a GUID, another scheme, a UPN: nothing is bound. */
	ids_of("device-1", "URI:IntuneDeviceId://" GUID1 "0", INTUNE_CN_ENTRA,
	    "");
	ids_of(GUID1 "x", "URI:https://" GUID1, INTUNE_CN_ENTRA, "");
	ids_of("alice", UPN_SAN, INTUNE_CN_ENTRA, "");
}

static void
test_dirids_parse(void **state)
{
	struct dirid	 ids[DIRIDS_MAX];
	static const char *const bad[] = {
	    "entra", "entra:", "device:" GUID1, "entra:" GUID1 "0",
	    "entra:" GUID1 "  user:" GUID1, "entra:" GUID1 " user:" GUID1
	    " intune:" GUID1 " entra:" GUID1, " entra:" GUID1,
	    "entra:0b7c3a52x1d2e-4f60-8a91-5c3d2e1f0a01",
	};
	size_t		 i;

	assert_int_equal(dirids_parse("", ids), 0);
	assert_int_equal(dirids_parse("intune:" GUID1 " entra:" GUID2
	    " user:" GUID1, ids), 3);
	assert_int_equal(ids[0].di_kind, IDIR_INTUNE);
	assert_int_equal(ids[1].di_kind, IDIR_ENTRA);
	assert_string_equal(ids[1].di_id, GUID2);
	assert_int_equal(ids[2].di_kind, IDIR_USER);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dirids_parse(bad[i], ids), -1);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_challenge_match),
		cmocka_unit_test(test_challenge_wide_strings),
		cmocka_unit_test(test_challenge_mismatch),
		cmocka_unit_test(test_challenge_missing_or_doubled),
		cmocka_unit_test(test_profile_auto),
		cmocka_unit_test(test_issued_by),
		cmocka_unit_test(test_same_subject),
		cmocka_unit_test(test_dirids_from_csr),
		cmocka_unit_test(test_dirids_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
