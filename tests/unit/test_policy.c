/*
 * test_policy.c: issuance policy, end-entity certificates and the CA's own
 * certificates, with software keys made here (no token, no config file).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/conf.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "x509util.h"
#include "signer.h"

#define SKEW_MIN	5
#define MAX_DAYS	397
#define CRL_URL		"http://pki.example/ca.crl"
#define OCSP_URL	"http://pki.example/ocsp"
#define ISSUERS_URL	"http://pki.example/ca.crt"
#define SID_OID		"1.3.6.1.4.1.311.25.2"
#define CRA_OID		"1.3.6.1.4.1.311.20.2.1"	/* cert request agent */
#define KU_BIT(n)	(1u << (n))	/* bit n of the X.509 BIT STRING */
#define T_KU_CERT_SIGN	KU_BIT(5)
#define T_KU_CRL_SIGN	KU_BIT(6)

struct ext_req {
	const char	*er_name;	/* SN or dotted OID */
	const char	*er_value;	/* openssl.cnf syntax */
};

static struct conf	 cf;
static struct conf_profile *pr_device, *pr_user;
static EVP_PKEY		*ca_key, *ee_key;
static X509		*ca_cert;
static CONF		*sections;

/* For SAN values that need a section: commas in a URI, a directoryName. */
static const char	 sections_text[] =
    "[san_user]\n"
    "email.1 = ann@example.com\n"
    "otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:ann@example.com\n"
    "URI.1 = tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3\n"
    "[dir_sect]\n"
    "CN = somebody\n";

/* Two profiles: device (CN only) and user (whole subject). */
static void
conf_fill(void)
{
	memset(&cf, 0, sizeof(cf));
	cf.cf_ca_subject = "CN=keyward Test Root,O=Example\\, Inc.";
	cf.cf_ra_subject = "CN=keyward Test RA,O=Example";
	cf.cf_ocsp_subject = "CN=keyward Test OCSP,O=Example";
	cf.cf_ca_validity_days = 3650;
	cf.cf_ocsp_validity_days = 30;
	cf.cf_max_validity_days = MAX_DAYS;
	cf.cf_clock_skew_min = SKEW_MIN;
	cf.cf_crl_url = CRL_URL;
	cf.cf_ocsp_url = OCSP_URL;
	cf.cf_ca_issuers_url = ISSUERS_URL;
	cf.cf_nprofiles = 2;
	pr_device = &cf.cf_profiles[0];
	strcpy(pr_device->pr_name, "device");
	pr_device->pr_validity_days = 365;
	pr_device->pr_key_usage = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT;
	pr_device->pr_ext_key_usage = EKU_CLIENT_AUTH | EKU_SERVER_AUTH;
	pr_device->pr_san_types = SAN_DNS | SAN_IP | SAN_URI;
	pr_user = &cf.cf_profiles[1];
	strcpy(pr_user->pr_name, "user");
	pr_user->pr_validity_days = 3650;
	pr_user->pr_key_usage = CF_KU_DIGITAL_SIGNATURE;
	pr_user->pr_ext_key_usage = EKU_CLIENT_AUTH | EKU_EMAIL_PROTECTION;
	pr_user->pr_san_types = SAN_EMAIL | SAN_UPN | SAN_URI;
	pr_user->pr_subject_from_csr = 1;
}

static int
setup(void **state)
{
	BIO	*b;
	long	 eline;

	(void)state;
	conf_fill();
	if ((b = BIO_new_mem_buf(sections_text, -1)) == NULL ||
	    (sections = NCONF_new(NULL)) == NULL ||
	    NCONF_load_bio(sections, b, &eline) != 1)
		return -1;
	BIO_free(b);
	if ((ca_key = EVP_RSA_gen(2048)) == NULL ||
	    (ee_key = EVP_EC_gen("P-256")) == NULL ||
	    (ca_cert = cacert_selfsign(&cf, ca_key, ca_key)) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	NCONF_free(sections);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ee_key);
	return 0;
}

/* A CSR for key with subject (NULL: empty) and requested extensions. */
static X509_REQ *
make_csr(EVP_PKEY *key, const char *subject, const struct ext_req *er)
{
	STACK_OF(X509_EXTENSION)	*exts;
	X509_EXTENSION			*ext;
	X509_NAME			*name;
	X509_REQ			*req;
	X509V3_CTX			 ctx;
	char				 why[256];

	assert_non_null(req = X509_REQ_new());
	name = subject == NULL ? X509_NAME_new() :
	    x509_name_parse(subject, why, sizeof(why));
	assert_non_null(name);
	assert_int_equal(X509_REQ_set_subject_name(req, name), 1);
	X509_NAME_free(name);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_non_null(exts = sk_X509_EXTENSION_new_null());
	X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);
	X509V3_set_nconf(&ctx, sections);
	for (; er != NULL && er->er_name != NULL; er++) {
		ext = X509V3_EXT_nconf(sections, &ctx, er->er_name,
		    er->er_value);
		assert_non_null(ext);
		assert_true(sk_X509_EXTENSION_push(exts, ext) > 0);
	}
	if (sk_X509_EXTENSION_num(exts) > 0)
		assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_REQ_sign(req, key, EVP_PKEY_is_a(key, "ED25519") ?
	    NULL : EVP_sha256()) > 0);
	return req;
}

static void
fill_serial(uint8_t serial[SERIAL_LEN], uint8_t first)
{
	memset(serial, 0xa5, SERIAL_LEN);
	serial[0] = first;
}

static X509 *
issue(const struct conf_profile *pr, X509_REQ *req, X509 *ca, EVP_PKEY *key)
{
	uint8_t	 serial[SERIAL_LEN];
	char	 why[256] = "";
	X509	*x;

	fill_serial(serial, 0x42);
	x = issue_cert(&cf, pr, req, ca, key, serial, why, sizeof(why));
	if (x == NULL)
		print_error("issue_cert: %s\n", why);
	assert_non_null(x);
	return x;
}

/* policy_check and issue_cert both refuse req with exactly want. */
static void
assert_refused(const struct conf_profile *pr, X509_REQ *req,
    const char *want)
{
	uint8_t	 serial[SERIAL_LEN];
	char	 why[256] = "";

	assert_int_equal(policy_check(&cf, pr, req, why, sizeof(why)), -1);
	assert_string_equal(why, want);
	why[0] = '\0';
	fill_serial(serial, 0x11);
	assert_null(issue_cert(&cf, pr, req, ca_cert, ca_key, serial, why,
	    sizeof(why)));
	assert_string_equal(why, want);
}

static void
assert_ext_crit(X509 *x, int nid, int crit)
{
	int	 i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)),
	    crit);
	assert_int_equal(X509_get_ext_by_NID(x, nid, i), -1);
}

/* keyUsage is critical and has exactly the bits of mask (bit n = 1 << n). */
static void
assert_ku(X509 *x, unsigned mask)
{
	ASN1_BIT_STRING	*ku;
	int		 i;

	assert_ext_crit(x, NID_key_usage, 1);
	assert_non_null(ku = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL));
	for (i = 0; i < 9; i++)
		assert_int_equal(ASN1_BIT_STRING_get_bit(ku, i),
		    (mask >> i) & 1);
	ASN1_BIT_STRING_free(ku);
}

/* extendedKeyUsage is non-critical and lists exactly oids, in order. */
static void
assert_eku(X509 *x, const char *const *oids)
{
	EXTENDED_KEY_USAGE	*eku;
	char			 buf[80];
	int			 i;

	assert_ext_crit(x, NID_ext_key_usage, 0);
	assert_non_null(eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL,
	    NULL));
	for (i = 0; oids[i] != NULL; i++) {
		assert_true(i < sk_ASN1_OBJECT_num(eku));
		OBJ_obj2txt(buf, sizeof(buf), sk_ASN1_OBJECT_value(eku, i), 1);
		assert_string_equal(buf, oids[i]);
	}
	assert_int_equal(sk_ASN1_OBJECT_num(eku), i);
	EXTENDED_KEY_USAGE_free(eku);
}

static void
assert_ca_flag(X509 *x, int ca)
{
	BASIC_CONSTRAINTS	*bc;

	assert_ext_crit(x, NID_basic_constraints, 1);
	assert_non_null(bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL,
	    NULL));
	assert_int_equal(bc->ca != 0, ca);
	BASIC_CONSTRAINTS_free(bc);
}

/* SKI is the SHA-1 of the key; AKI is the issuer's SKI. */
static void
assert_key_ids(X509 *x, X509 *issuer)
{
	const ASN1_OCTET_STRING	*ski, *iski;
	AUTHORITY_KEYID		*aki;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;

	assert_ext_crit(x, NID_subject_key_identifier, 0);
	assert_ext_crit(x, NID_authority_key_identifier, 0);
	assert_non_null(ski = X509_get0_subject_key_id(x));
	assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
	assert_int_equal(ASN1_STRING_length(ski), mdlen);
	assert_memory_equal(ASN1_STRING_get0_data(ski), md, mdlen);
	assert_non_null(iski = X509_get0_subject_key_id(issuer));
	assert_non_null(aki = X509_get_ext_d2i(x,
	    NID_authority_key_identifier, NULL, NULL));
	assert_non_null(aki->keyid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid, iski), 0);
	AUTHORITY_KEYID_free(aki);
}

static void
assert_uri(const GENERAL_NAME *gen, const char *want)
{
	assert_int_equal(gen->type, GEN_URI);
	assert_int_equal(ASN1_STRING_length(gen->d.uniformResourceIdentifier),
	    strlen(want));
	assert_memory_equal(ASN1_STRING_get0_data(
	    gen->d.uniformResourceIdentifier), want, strlen(want));
}

/* CDP has the CRL URL; AIA has OCSP then caIssuers. */
static void
assert_urls(X509 *x)
{
	CRL_DIST_POINTS		*cdp;
	AUTHORITY_INFO_ACCESS	*aia;
	DIST_POINT		*dp;
	ACCESS_DESCRIPTION	*ad;

	assert_ext_crit(x, NID_crl_distribution_points, 0);
	assert_ext_crit(x, NID_info_access, 0);
	assert_non_null(cdp = X509_get_ext_d2i(x, NID_crl_distribution_points,
	    NULL, NULL));
	assert_int_equal(sk_DIST_POINT_num(cdp), 1);
	dp = sk_DIST_POINT_value(cdp, 0);
	assert_int_equal(dp->distpoint->type, 0);
	assert_uri(sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0),
	    CRL_URL);
	CRL_DIST_POINTS_free(cdp);
	assert_non_null(aia = X509_get_ext_d2i(x, NID_info_access, NULL,
	    NULL));
	assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 2);
	ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
	assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_OCSP);
	assert_uri(ad->location, OCSP_URL);
	ad = sk_ACCESS_DESCRIPTION_value(aia, 1);
	assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_ca_issuers);
	assert_uri(ad->location, ISSUERS_URL);
	AUTHORITY_INFO_ACCESS_free(aia);
}

/* notAfter - notBefore is days plus the clock skew back-dating. */
static void
assert_days(X509 *x, int days)
{
	int	 d, s;

	assert_int_equal(ASN1_TIME_diff(&d, &s, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	assert_int_equal(d, days);
	assert_int_equal(s, SKEW_MIN * 60);
}

static int
ext_present(X509 *x, const char *oid)
{
	ASN1_OBJECT	*obj;
	int		 i;

	assert_non_null(obj = OBJ_txt2obj(oid, 1));
	i = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OBJECT_free(obj);
	return i >= 0;
}

static void
test_issue_device(void **state)
{
	static const struct ext_req	 er[] = {
		{ "subjectAltName", "DNS:host.example,IP:192.0.2.7" },
		{ "basicConstraints", "CA:FALSE" },
		{ NULL, NULL }
	};
	static const char *const	 eku[] = { "1.3.6.1.5.5.7.3.1",
	    "1.3.6.1.5.5.7.3.2", NULL };
	const ASN1_INTEGER		*sn;
	GENERAL_NAMES			*san;
	X509_REQ			*req;
	X509				*x;
	uint8_t				 serial[SERIAL_LEN];
	char				 cn[64];

	(void)state;
	req = make_csr(ee_key, "CN=host.example,OU=Devices,O=Example", er);
	x = issue(pr_device, req, ca_cert, ca_key);
	assert_int_equal(X509_verify(x, ca_key), 1);
	assert_int_equal(X509_check_issued(ca_cert, x), X509_V_OK);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	fill_serial(serial, 0x42);
	sn = X509_get0_serialNumber(x);
	assert_int_equal(ASN1_STRING_type(sn), V_ASN1_INTEGER);
	assert_int_equal(ASN1_STRING_length(sn), SERIAL_LEN);
	assert_memory_equal(ASN1_STRING_get0_data(sn), serial, SERIAL_LEN);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(ca_cert)), 0);
	/* device takes only the CN */
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 1);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof(cn));
	assert_string_equal(cn, "host.example");
	assert_ca_flag(x, 0);
	assert_ku(x, CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT);
	assert_eku(x, eku);
	assert_ext_crit(x, NID_subject_alt_name, 0);
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 2);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_DNS);
	assert_int_equal(sk_GENERAL_NAME_value(san, 1)->type, GEN_IPADD);
	GENERAL_NAMES_free(san);
	assert_key_ids(x, ca_cert);
	assert_urls(x);
	assert_days(x, 365);
	assert_int_equal(X509_get_ext_count(x), 8);
	X509_free(x);
	X509_REQ_free(req);
}

/* The certificate's SubjectPublicKeyInfo is the CSR's, byte for byte. */
static void
assert_csr_key(EVP_PKEY *key)
{
	X509_REQ	*req;
	X509		*x, *back;
	uint8_t		*a = NULL, *b = NULL, *der = NULL;
	const uint8_t	*p;
	int		 alen, blen, len;

	req = make_csr(key, "CN=host.example", NULL);
	x = issue(pr_device, req, ca_cert, ca_key);
	alen = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &a);
	blen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &b);
	assert_true(alen > 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	/* and decodes to the same key */
	assert_true((len = i2d_X509(x, &der)) > 0);
	p = der;
	assert_non_null(back = d2i_X509(NULL, &p, len));
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(back), key), 1);
	X509_free(back);
	OPENSSL_free(der);
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_free(x);
	X509_REQ_free(req);
}

static void
test_issue_csr_key(void **state)
{
	EVP_PKEY	*rsa;

	(void)state;
	assert_csr_key(ee_key);		/* EC: the curve is a parameter */
	assert_non_null(rsa = EVP_RSA_gen(2048));
	assert_csr_key(rsa);		/* RSA: a NULL parameter */
	EVP_PKEY_free(rsa);
}

/* user: whole subject, UPN and e-mail SANs, validity capped at MAX_DAYS. */
static void
test_issue_user(void **state)
{
	static const struct ext_req	 er[] = {
		{ "subjectAltName", "@san_user" },
		{ NULL, NULL }
	};
	static const char *const	 eku[] = { "1.3.6.1.5.5.7.3.2",
	    "1.3.6.1.5.5.7.3.4", NULL };
	GENERAL_NAMES			*san;
	const GENERAL_NAME		*gen;
	X509_REQ			*req;
	X509				*x;

	(void)state;
	req = make_csr(ee_key, "CN=Ann,OU=Staff,O=Example", er);
	x = issue(pr_user, req, ca_cert, ca_key);
	assert_int_equal(X509_verify(x, ca_key), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_REQ_get_subject_name(req)), 0);
	assert_ku(x, CF_KU_DIGITAL_SIGNATURE);
	assert_eku(x, eku);
	assert_days(x, MAX_DAYS);
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 3);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_EMAIL);
	gen = sk_GENERAL_NAME_value(san, 1);
	assert_int_equal(gen->type, GEN_OTHERNAME);
	assert_int_equal(OBJ_obj2nid(gen->d.otherName->type_id), NID_ms_upn);
	assert_int_equal(gen->d.otherName->value->type, V_ASN1_UTF8STRING);
	assert_uri(sk_GENERAL_NAME_value(san, 2),
	    "tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3");
	GENERAL_NAMES_free(san);
	X509_free(x);
	X509_REQ_free(req);
}

/* CN-only profile, CSR with SAN but no CN: empty subject, critical SAN. */
static void
test_issue_san_only(void **state)
{
	static const struct ext_req	 er[] = {
		{ "subjectAltName", "DNS:only.example" },
		{ NULL, NULL }
	};
	X509_REQ	*req;
	X509		*x;

	(void)state;
	req = make_csr(ee_key, "O=Example", er);
	x = issue(pr_device, req, ca_cert, ca_key);
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
	assert_ext_crit(x, NID_subject_alt_name, 1);
	X509_free(x);
	X509_REQ_free(req);
}

/* A CA that expires in 5 days caps the certificate at its notAfter. */
static void
test_validity_ca_cap(void **state)
{
	EVP_PKEY	*key;
	X509_REQ	*req;
	X509		*ca, *x;

	(void)state;
	cf.cf_ca_validity_days = 5;
	assert_non_null(key = EVP_EC_gen("P-384"));
	ca = cacert_selfsign(&cf, key, key);
	cf.cf_ca_validity_days = 3650;
	assert_non_null(ca);
	req = make_csr(ee_key, "CN=short.example", NULL);
	x = issue(pr_device, req, ca, key);
	assert_int_equal(X509_verify(x, key), 1);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(ca)), 0);
	assert_days(x, 5);
	X509_free(x);
	X509_free(ca);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* Requested extensions outside the profile never reach the certificate. */
static void
test_no_copy(void **state)
{
	static const struct ext_req	 er[] = {
		{ "subjectAltName", "DNS:host.example" },
		{ "nameConstraints", "critical,permitted;DNS:example" },
		{ "keyUsage", "critical,keyCertSign,cRLSign" },
		{ "extendedKeyUsage", "codeSigning" },
		{ "1.2.3.4.5", "ASN1:UTF8String:custom" },
		{ SID_OID, "DER:30:03:02:01:01" },
		{ NULL, NULL }
	};
	static const char *const	 eku[] = { "1.3.6.1.5.5.7.3.1",
	    "1.3.6.1.5.5.7.3.2", NULL };
	X509_REQ	*req;
	X509		*x;

	(void)state;
	req = make_csr(ee_key, "CN=host.example", er);
	x = issue(pr_device, req, ca_cert, ca_key);
	assert_false(ext_present(x, SID_OID));
	assert_false(ext_present(x, "1.2.3.4.5"));
	assert_int_equal(X509_get_ext_by_NID(x, NID_name_constraints, -1),
	    -1);
	assert_ku(x, CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT);
	assert_eku(x, eku);
	assert_int_equal(X509_get_ext_count(x), 8);
	X509_free(x);
	X509_REQ_free(req);
}

static void
test_refuse_ca_true(void **state)
{
	static const struct ext_req	 er[] = {
		{ "basicConstraints", "critical,CA:TRUE" },
		{ NULL, NULL }
	};
	X509_REQ	*req;

	(void)state;
	req = make_csr(ee_key, "CN=evil", er);
	assert_refused(pr_device, req, "CSR asks for a CA certificate "
	    "(CA:TRUE); keyward issues end-entity certificates only");
	X509_REQ_free(req);
}

static void
test_refuse_keys(void **state)
{
	static const struct {
		const char	*curve;	/* NULL: RSA-1024 */
		const char	*want;
	} t[] = {
		{ NULL, "RSA key of 1024 bits is not accepted (2048 to 8192 "
		    "bits)" },
		{ "P-224", "EC curve secp224r1 is not accepted (P-256, P-384, "
		    "P-521 only)" },
		{ "secp256k1", "EC curve secp256k1 is not accepted (P-256, "
		    "P-384, P-521 only)" },
	};
	EVP_PKEY	*key;
	X509_REQ	*req;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		key = t[i].curve == NULL ? EVP_RSA_gen(1024) :
		    EVP_EC_gen(t[i].curve);
		assert_non_null(key);
		req = make_csr(key, "CN=weak", NULL);
		assert_refused(pr_device, req, t[i].want);
		X509_REQ_free(req);
		EVP_PKEY_free(key);
	}
	assert_non_null(key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	req = make_csr(key, "CN=ed", NULL);
	assert_refused(pr_device, req, "key type ED25519 is not accepted "
	    "(RSA of 2048 bits or more, or EC P-256, P-384, P-521)");
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* One flipped bit in the signature of an RSA CSR. */
static void
test_refuse_bad_signature(void **state)
{
	X509_REQ		*req, *bad;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	int			 len;

	(void)state;
	req = make_csr(ca_key, "CN=tampered", NULL);
	assert_true((len = i2d_X509_REQ(req, &der)) > 0);
	der[len - 1] ^= 0x01;
	p = der;
	assert_non_null(bad = d2i_X509_REQ(NULL, &p, len));
	assert_refused(pr_device, bad, "CSR signature does not verify");
	OPENSSL_free(der);
	X509_REQ_free(bad);
	X509_REQ_free(req);
}

static void
test_refuse_san(void **state)
{
	static const struct {
		struct conf_profile		**pr;
		const char			 *san;
		const char			 *want;
	} t[] = {
		{ &pr_device, "DNS:ok.example,email:a@example.com",
		    "profile device does not allow SAN type rfc822Name" },
		{ &pr_device, "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:a@b",
		    "profile device does not allow SAN type otherName UPN" },
		{ &pr_user, "DNS:host.example",
		    "profile user does not allow SAN type dNSName" },
		{ &pr_user, "otherName:1.2.3.4;UTF8:x",
		    "profile user does not allow SAN type otherName 1.2.3.4" },
		{ &pr_user, "dirName:dir_sect",
		    "profile user does not allow SAN type directoryName" },
		{ &pr_device, "RID:1.2.3.4",
		    "profile device does not allow SAN type registeredID" },
	};
	struct ext_req	 er[2] = { { "subjectAltName", NULL }, { NULL, NULL } };
	X509_REQ	*req;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		er[0].er_value = t[i].san;
		req = make_csr(ee_key, "CN=x", er);
		assert_refused(*t[i].pr, req, t[i].want);
		X509_REQ_free(req);
	}
}

static void
test_refuse_no_name(void **state)
{
	X509_REQ	*req;

	(void)state;
	req = make_csr(ee_key, NULL, NULL);
	assert_refused(pr_user, req, "CSR has an empty subject and no "
	    "subjectAltName");
	X509_REQ_free(req);
	req = make_csr(ee_key, "O=Example", NULL);
	assert_refused(pr_device, req, "CSR has no CN and no subjectAltName "
	    "(profile device takes only the CN)");
	X509_REQ_free(req);
}

/* A bad URL or serial is refused, not signed. */
static void
test_refuse_inputs(void **state)
{
	uint8_t		 serial[SERIAL_LEN];
	X509_REQ	*req;
	char		 why[256];

	(void)state;
	req = make_csr(ee_key, "CN=x", NULL);
	fill_serial(serial, 0x80);
	assert_null(issue_cert(&cf, pr_device, req, ca_cert, ca_key, serial,
	    why, sizeof(why)));
	assert_non_null(strstr(why, "serial is not a positive"));
	fill_serial(serial, 0x00);
	assert_null(issue_cert(&cf, pr_device, req, ca_cert, ca_key, serial,
	    why, sizeof(why)));
	assert_non_null(strstr(why, "serial is not a positive"));
	fill_serial(serial, 0x01);
	cf.cf_crl_url = "http://pki.example/a,b.crl";
	assert_null(issue_cert(&cf, pr_device, req, ca_cert, ca_key, serial,
	    why, sizeof(why)));
	cf.cf_crl_url = CRL_URL;
	assert_non_null(strstr(why, "crl_url"));
	X509_REQ_free(req);
}

static void
test_serial_generate(void **state)
{
	uint8_t	 s[64][SERIAL_LEN];
	size_t	 i, j;

	(void)state;
	for (i = 0; i < 64; i++) {
		assert_int_equal(serial_generate(s[i]), 0);
		assert_int_not_equal(s[i][0], 0);
		assert_int_equal(s[i][0] & 0x80, 0);
		for (j = 0; j < i; j++)
			assert_memory_not_equal(s[i], s[j], SERIAL_LEN);
	}
}

static void
test_name_parse(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} bad[] = {
		{ "", "subject is empty" },
		{ "XX=1", "subject: unknown attribute \"XX\"" },
		{ "CN=", "subject CN: empty value" },
		{ "CN=a,", "subject ends with a comma" },
		{ "CN", "subject component near \"CN\" is not ATTR=value" },
		{ "CN=a+OU=b", "subject CN: multi-valued RDNs are not "
		    "supported (escape '+' as '\\+')" },
		{ "C=USA", "subject: value \"USA\" is not valid for C" },
		{ "CN=a\\", "subject CN: value ends with a backslash" },
	};
	X509_NAME	*n;
	char		 why[256], buf[64];
	size_t		 i;

	(void)state;
	n = x509_name_parse(" CN = a\\,b , O=Example\\ ", why, sizeof(why));
	assert_non_null(n);
	assert_int_equal(X509_NAME_entry_count(n), 2);
	assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(
	    X509_NAME_get_entry(n, 0))), NID_organizationName);
	X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf));
	assert_string_equal(buf, "a,b");
	X509_NAME_get_text_by_NID(n, NID_organizationName, buf, sizeof(buf));
	assert_string_equal(buf, "Example ");
	X509_NAME_free(n);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(x509_name_parse(bad[i].in, why, sizeof(why)));
		assert_string_equal(why, bad[i].want);
	}
}

static void
test_cacert_selfsign(void **state)
{
	X509_NAME	*want;
	char		 why[256];

	(void)state;
	assert_int_equal(X509_verify(ca_cert, ca_key), 1);
	assert_int_equal(X509_check_issued(ca_cert, ca_cert), X509_V_OK);
	assert_ca_flag(ca_cert, 1);
	assert_ku(ca_cert, CF_KU_DIGITAL_SIGNATURE | T_KU_CERT_SIGN |
	    T_KU_CRL_SIGN);
	assert_key_ids(ca_cert, ca_cert);
	assert_int_equal(X509_get_ext_by_NID(ca_cert, NID_ext_key_usage, -1),
	    -1);
	assert_int_equal(X509_get_ext_count(ca_cert), 4);
	assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(ca_cert)),
	    SERIAL_LEN);
	assert_non_null(want = x509_name_parse(cf.cf_ca_subject, why,
	    sizeof(why)));
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(ca_cert), want),
	    0);
	X509_NAME_free(want);
	assert_days(ca_cert, 3650);
	assert_int_equal(cacert_matches(ca_cert, ca_key, why, sizeof(why)),
	    0);
}

static void
test_cacert_ra(void **state)
{
	static const char *const	 eku[] = { "1.3.6.1.5.5.7.3.1",

	    CRA_OID, NULL };
	EVP_PKEY			*key;
	X509				*x;
	char				 why[256];

	(void)state;
	assert_non_null(key = EVP_RSA_gen(2048));
	assert_non_null(x = cacert_ra(&cf, key, ca_cert, ca_key));
	assert_int_equal(X509_verify(x, ca_key), 1);
	assert_int_equal(X509_check_issued(ca_cert, x), X509_V_OK);
	assert_ca_flag(x, 0);
	assert_ku(x, CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT);
	assert_eku(x, eku);
	assert_key_ids(x, ca_cert);
	assert_urls(x);
	assert_true(ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(ca_cert)) <= 0);
	assert_int_equal(cacert_matches(x, key, why, sizeof(why)), -1);
	assert_string_equal(why, "not a CA certificate (basicConstraints "
	    "CA:TRUE missing)");
	X509_free(x);
	EVP_PKEY_free(key);
}

static void
test_cacert_ocsp(void **state)
{
	static const char *const	 eku[] = { "1.3.6.1.5.5.7.3.9", NULL };
	const ASN1_OCTET_STRING		*v;
	EVP_PKEY			*key;
	X509				*x;
	int				 i;

	(void)state;
	assert_non_null(key = EVP_EC_gen("P-256"));
	assert_non_null(x = cacert_ocsp(&cf, key, ca_cert, ca_key));
	assert_int_equal(X509_verify(x, ca_key), 1);
	assert_ca_flag(x, 0);
	assert_ku(x, CF_KU_DIGITAL_SIGNATURE);
	assert_eku(x, eku);
	assert_key_ids(x, ca_cert);
	assert_ext_crit(x, NID_id_pkix_OCSP_noCheck, 0);
	i = X509_get_ext_by_NID(x, NID_id_pkix_OCSP_noCheck, -1);
	v = X509_EXTENSION_get_data(X509_get_ext(x, i));
	assert_int_equal(ASN1_STRING_length(v), 2);
	assert_memory_equal(ASN1_STRING_get0_data(v), "\x05\x00", 2);
	assert_days(x, 30);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* The sub-CA request asks for CA:TRUE, so policy refuses it as an EE CSR. */
static void
test_cacert_csr(void **state)
{
	BASIC_CONSTRAINTS	*bc = NULL;
	X509_REQ		*req;
	char			 why[256];

	(void)state;
	assert_non_null(req = cacert_csr(&cf, ca_key, ca_key));
	assert_int_equal(X509_REQ_verify(req, ca_key), 1);
	assert_int_equal(x509_req_ext(req, NID_basic_constraints,
	    (void **)&bc, why, sizeof(why)), 0);
	assert_non_null(bc);
	assert_true(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_refused(pr_device, req, "CSR asks for a CA certificate "
	    "(CA:TRUE); keyward issues end-entity certificates only");
	X509_REQ_free(req);
}

/* A wrong key, and a CA:TRUE certificate without keyCertSign. */
static void
test_cacert_matches(void **state)
{
	EVP_PKEY	*other;
	X509		*x;
	X509V3_CTX	 ctx;
	uint8_t		 serial[SERIAL_LEN];
	char		 why[256];

	(void)state;
	assert_non_null(other = EVP_EC_gen("P-256"));
	assert_int_equal(cacert_matches(ca_cert, other, why, sizeof(why)), -1);
	assert_string_equal(why, "the certificate's public key is not the "
	    "token's CA key");
	fill_serial(serial, 0x33);
	assert_non_null(x = x509_new_cert(serial, SERIAL_LEN,
	    X509_get_subject_name(ca_cert), X509_get_subject_name(ca_cert),
	    why, sizeof(why)));
	assert_int_equal(X509_set_pubkey(x, other), 1);
	assert_int_equal(x509_set_validity(x, 0, 10, NULL, why, sizeof(why)),
	    0);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	assert_int_equal(x509_add_ext(x, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE", why, sizeof(why)), 0);
	assert_int_equal(x509_add_ext(x, &ctx, NID_key_usage,
	    "critical,digitalSignature", why, sizeof(why)), 0);
	assert_int_equal(x509_sign(x, other, other, why, sizeof(why)), 0);
	assert_int_equal(cacert_matches(x, other, why, sizeof(why)), -1);
	assert_string_equal(why, "keyUsage lacks keyCertSign");
	X509_free(x);
	EVP_PKEY_free(other);
}

/* Bad configuration: no certificate, a logged reason. */
static void
test_cacert_bad_conf(void **state)
{
	char	*saved = cf.cf_ca_subject;

	(void)state;
	cf.cf_ca_subject = "CN=x,Bogus=y";
	assert_null(cacert_selfsign(&cf, ca_key, ca_key));
	assert_null(cacert_csr(&cf, ca_key, ca_key));
	cf.cf_ca_subject = saved;
	assert_null(cacert_selfsign(&cf, ca_key, NULL));
	assert_null(cacert_ra(&cf, ca_key, NULL, ca_key));
	cf.cf_ocsp_validity_days = 0;
	assert_null(cacert_ocsp(&cf, ca_key, ca_cert, ca_key));
	cf.cf_ocsp_validity_days = 30;
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_issue_device),
		cmocka_unit_test(test_issue_csr_key),
		cmocka_unit_test(test_issue_user),
		cmocka_unit_test(test_issue_san_only),
		cmocka_unit_test(test_validity_ca_cap),
		cmocka_unit_test(test_no_copy),
		cmocka_unit_test(test_refuse_ca_true),
		cmocka_unit_test(test_refuse_keys),
		cmocka_unit_test(test_refuse_bad_signature),
		cmocka_unit_test(test_refuse_san),
		cmocka_unit_test(test_refuse_no_name),
		cmocka_unit_test(test_refuse_inputs),
		cmocka_unit_test(test_serial_generate),
		cmocka_unit_test(test_name_parse),
		cmocka_unit_test(test_cacert_selfsign),
		cmocka_unit_test(test_cacert_ra),
		cmocka_unit_test(test_cacert_ocsp),
		cmocka_unit_test(test_cacert_csr),
		cmocka_unit_test(test_cacert_matches),
		cmocka_unit_test(test_cacert_bad_conf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
