/*
 * issue.c: end-entity certificates.  Every extension is built here from the
 * profile and from the CSR fields the profile allows; none is copied.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "x509util.h"
#include "common.h"
#include "signer.h"

struct bitname {
	unsigned	 bn_bit;
	const char	*bn_name;	/* openssl.cnf spelling */
};

static const struct bitname ku_names[] = {
	{ CF_KU_DIGITAL_SIGNATURE,	"digitalSignature" },
	{ CF_KU_NON_REPUDIATION,	"nonRepudiation" },
	{ CF_KU_KEY_ENCIPHERMENT,	"keyEncipherment" },
	{ CF_KU_DATA_ENCIPHERMENT,	"dataEncipherment" },
	{ CF_KU_KEY_AGREEMENT,	"keyAgreement" },
	{ 0,			NULL }
};

static const struct bitname eku_names[] = {
	{ EKU_SERVER_AUTH,	"serverAuth" },
	{ EKU_CLIENT_AUTH,	"clientAuth" },
	{ EKU_EMAIL_PROTECTION,	"emailProtection" },
	{ EKU_CODE_SIGNING,	"codeSigning" },
	{ EKU_IPSEC_IKE,	"ipsecIKE" },
	{ 0,			NULL }
};

static int	issue_days(const struct conf *, const struct conf_profile *,
		    char *, size_t);
static X509_NAME *issue_subject(const struct conf_profile *, X509_REQ *,
		    char *, size_t);
static int	issue_exts(const struct conf *, const struct conf_profile *,
		    X509_REQ *, X509 *, X509 *, char *, size_t);
static int	bits_string(const struct bitname *, unsigned, const char *,
		    char *, size_t);
static int	issue_usage(const struct conf_profile *, X509 *,
		    X509V3_CTX *, char *, size_t);
static int	issue_san(const struct conf_profile *, X509_REQ *, X509 *,
		    char *, size_t);
static GENERAL_NAMES *san_rebuild(const struct conf_profile *,
		    const GENERAL_NAMES *);
static GENERAL_NAME *san_copy(const GENERAL_NAME *);
static ASN1_STRING *str_copy(const ASN1_STRING *, int);

/* 128 CSPRNG bits as a positive INTEGER of exactly SERIAL_LEN octets. */
int
serial_generate(uint8_t out[SERIAL_LEN])
{
	if (RAND_bytes(out, SERIAL_LEN) != 1) {
		log_warnx("RAND_bytes");
		return -1;
	}
	out[0] &= 0x7f;
	while (out[0] == 0) {
		if (RAND_bytes(out, 1) != 1) {
			log_warnx("RAND_bytes");
			return -1;
		}
		out[0] &= 0x7f;
	}
	return 0;
}

/*
 * Checks req against policy, then builds and signs the certificate; the
 * result is verified against the CA certificate's key before it is returned.
 */
X509 *
issue_cert(const struct conf *cf, const struct conf_profile *pr,
    X509_REQ *req, X509 *ca_cert, EVP_PKEY *ca_key,
    const uint8_t serial[SERIAL_LEN], char *why, size_t whylen)
{
	X509_NAME	*subject = NULL;
	X509		*cert = NULL, *ret = NULL;
	int		 days;

	if (cf == NULL || ca_cert == NULL || ca_key == NULL) {
		x509_why(why, whylen, "no configuration or no CA");
		goto out;
	}
	if (policy_check(cf, pr, req, why, whylen) == -1 ||
	    (days = issue_days(cf, pr, why, whylen)) == -1 ||
	    (subject = issue_subject(pr, req, why, whylen)) == NULL)
		goto out;
	if ((cert = x509_new_cert(serial, SERIAL_LEN,
	    X509_get_subject_name(ca_cert), subject, why, whylen)) == NULL ||
	    x509_spki_copy(cert, X509_REQ_get_X509_PUBKEY(req), why,
	    whylen) == -1)
		goto out;
	if (x509_set_validity(cert, cf->cf_clock_skew_min, days,
	    X509_get0_notAfter(ca_cert), why, whylen) == -1 ||
	    issue_exts(cf, pr, req, cert, ca_cert, why, whylen) == -1 ||
	    x509_sign(cert, ca_key, X509_get0_pubkey(ca_cert), why,
	    whylen) == -1)
		goto out;
	ret = cert;
	cert = NULL;
 out:
	X509_free(cert);
	X509_NAME_free(subject);
	ERR_clear_error();
	return ret;
}

/* The profile's validity, capped by the CA-wide maximum. */
static int
issue_days(const struct conf *cf, const struct conf_profile *pr, char *why,
    size_t whylen)
{
	if (pr->pr_validity_days <= 0 || cf->cf_max_validity_days <= 0) {
		x509_why(why, whylen, "profile %s validity (%d days) or the "
		    "maximum validity (%d days) is not positive", pr->pr_name,
		    pr->pr_validity_days, cf->cf_max_validity_days);
		return -1;
	}
	if (pr->pr_validity_days > cf->cf_max_validity_days)
		return cf->cf_max_validity_days;
	return pr->pr_validity_days;
}

/* The CSR's subject, or only its CN (the last, most specific, if several). */
static X509_NAME *
issue_subject(const struct conf_profile *pr, X509_REQ *req, char *why,
    size_t whylen)
{
	const X509_NAME	*csr = X509_REQ_get_subject_name(req);
	X509_NAME	*name = NULL, *ret = NULL;
	int		 i, cn = -1;

	if (pr->pr_subject_from_csr)
		name = X509_NAME_dup(csr);
	else
		name = X509_NAME_new();
	if (name == NULL) {
		x509_why_ssl(why, whylen, "X509_NAME_new");
		goto out;
	}
	if (!pr->pr_subject_from_csr) {
		while ((i = X509_NAME_get_index_by_NID(csr, NID_commonName,
		    cn)) >= 0)
			cn = i;
		if (cn >= 0 && X509_NAME_add_entry(name,
		    X509_NAME_get_entry(csr, cn), -1, 0) != 1) {
			x509_why_ssl(why, whylen, "X509_NAME_add_entry");
			goto out;
		}
	}
	ret = name;
	name = NULL;
 out:
	X509_NAME_free(name);
	return ret;
}

/* Every extension of an end-entity certificate, in a fixed order. */
static int
issue_exts(const struct conf *cf, const struct conf_profile *pr,
    X509_REQ *req, X509 *cert, X509 *ca_cert, char *why, size_t whylen)
{
	X509V3_CTX	 ctx;

	X509V3_set_ctx(&ctx, ca_cert, cert, NULL, NULL, 0);
	if (x509_add_ext(cert, &ctx, NID_basic_constraints,
	    "critical,CA:FALSE", why, whylen) == -1 ||
	    issue_usage(pr, cert, &ctx, why, whylen) == -1 ||
	    issue_san(pr, req, cert, why, whylen) == -1 ||
	    x509_add_key_ids(cert, ca_cert, why, whylen) == -1 ||
	    x509_add_urls(cert, cf, why, whylen) == -1)
		return -1;
	return 0;
}

/* prefix and the names of mask's bits, comma separated; -1 on unknown bits. */
static int
bits_string(const struct bitname *tab, unsigned mask, const char *prefix,
    char *buf, size_t bufsz)
{
	unsigned	 seen = 0;
	int		 n;

	n = snprintf(buf, bufsz, "%s", prefix);
	for (; tab->bn_name != NULL && n >= 0 && (size_t)n < bufsz; tab++) {
		if ((mask & tab->bn_bit) == 0)
			continue;
		n += snprintf(buf + n, bufsz - n, "%s%s", seen != 0 ? "," : "",
		    tab->bn_name);
		seen |= tab->bn_bit;
	}
	return seen == mask && n >= 0 && (size_t)n < bufsz ? 0 : -1;
}

/* keyUsage (critical) and extendedKeyUsage exactly as the profile says. */
static int
issue_usage(const struct conf_profile *pr, X509 *cert, X509V3_CTX *ctx,
    char *why, size_t whylen)
{
	char	 ku[256], eku[256];

	if (bits_string(ku_names, pr->pr_key_usage, "critical,", ku,
	    sizeof(ku)) == -1 || bits_string(eku_names, pr->pr_ext_key_usage,
	    "", eku, sizeof(eku)) == -1) {
		x509_why(why, whylen, "profile %s has unknown key usage bits",
		    pr->pr_name);
		return -1;
	}
	if (pr->pr_key_usage != 0 && x509_add_ext(cert, ctx, NID_key_usage,
	    ku, why, whylen) == -1)
		return -1;
	if (pr->pr_ext_key_usage != 0 && x509_add_ext(cert, ctx,
	    NID_ext_key_usage, eku, why, whylen) == -1)
		return -1;
	return 0;
}

/*
 * subjectAltName rebuilt from the CSR's entries of allowed types; critical
 * when the subject is empty (RFC 5280 4.2.1.6).
 */
static int
issue_san(const struct conf_profile *pr, X509_REQ *req, X509 *cert,
    char *why, size_t whylen)
{
	GENERAL_NAMES	*in = NULL, *out = NULL;
	int		 crit, ret = -1;

	if (x509_req_ext(req, NID_subject_alt_name, (void **)&in, why,
	    whylen) == -1)
		goto out;
	if ((out = san_rebuild(pr, in)) == NULL) {
		x509_why_ssl(why, whylen, "copying subjectAltName");
		goto out;
	}
	crit = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0;
	if (sk_GENERAL_NAME_num(out) > 0 && X509_add1_ext_i2d(cert,
	    NID_subject_alt_name, out, crit, X509V3_ADD_DEFAULT) != 1) {
		x509_why_ssl(why, whylen, "X509_add1_ext_i2d");
		goto out;
	}
	ret = 0;
 out:
	GENERAL_NAMES_free(in);
	GENERAL_NAMES_free(out);
	return ret;
}

/* New GENERAL_NAMES with copies of in's entries that pr allows. */
static GENERAL_NAMES *
san_rebuild(const struct conf_profile *pr, const GENERAL_NAMES *in)
{
	GENERAL_NAMES	*out = NULL, *ret = NULL;
	GENERAL_NAME	*gen = NULL;
	int		 i;

	if ((out = GENERAL_NAMES_new()) == NULL)
		goto out;
	for (i = 0; i < sk_GENERAL_NAME_num(in); i++) {
		if ((x509_san_type(sk_GENERAL_NAME_value(in, i), NULL, 0) &
		    pr->pr_san_types) == 0)
			continue;
		if ((gen = san_copy(sk_GENERAL_NAME_value(in, i))) == NULL ||
		    sk_GENERAL_NAME_push(out, gen) == 0)
			goto out;
		gen = NULL;
	}
	ret = out;
	out = NULL;
 out:
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(out);
	return ret;
}

/* A new GENERAL_NAME holding a copy of gen's value (types of SAN_* only). */
static GENERAL_NAME *
san_copy(const GENERAL_NAME *gen)
{
	GENERAL_NAME	*out = NULL, *ret = NULL;
	ASN1_STRING	*s = NULL;
	ASN1_TYPE	*val = NULL;

	if ((out = GENERAL_NAME_new()) == NULL)
		goto out;
	switch (gen->type) {
	case GEN_DNS:
	case GEN_EMAIL:
	case GEN_URI:
	case GEN_IPADD:
		if ((s = gen->type == GEN_IPADD ?
		    str_copy(gen->d.ip, V_ASN1_OCTET_STRING) :
		    str_copy(gen->d.ia5, V_ASN1_IA5STRING)) == NULL)
			goto out;
		GENERAL_NAME_set0_value(out, gen->type, s);
		s = NULL;
		break;
	case GEN_OTHERNAME:
		if ((s = str_copy(gen->d.otherName->value->value.utf8string,
		    V_ASN1_UTF8STRING)) == NULL || (val = ASN1_TYPE_new()) ==
		    NULL)
			goto out;
		ASN1_TYPE_set(val, V_ASN1_UTF8STRING, s);
		s = NULL;
		if (GENERAL_NAME_set0_othername(out, OBJ_nid2obj(NID_ms_upn),
		    val) != 1)
			goto out;
		val = NULL;
		break;
	default:
		goto out;
	}
	ret = out;
	out = NULL;
 out:
	GENERAL_NAME_free(out);
	ASN1_STRING_free(s);
	ASN1_TYPE_free(val);
	return ret;
}

/* A fresh string of type holding src's bytes. */
static ASN1_STRING *
str_copy(const ASN1_STRING *src, int type)
{
	ASN1_STRING	*s;

	if ((s = ASN1_STRING_type_new(type)) == NULL)
		return NULL;
	if (ASN1_STRING_set(s, ASN1_STRING_get0_data(src),
	    ASN1_STRING_length(src)) != 1) {
		ASN1_STRING_free(s);
		return NULL;
	}
	return s;
}
