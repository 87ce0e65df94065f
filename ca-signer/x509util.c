/*
 * x509util.c: the steps every certificate keyward signs goes through.
 * Failures fill a one-line reason in why; nothing here logs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509util.h"

#define NAME_ATTR_MAX	64
#define NAME_VALUE_MAX	256
#define URL_MAX		512

static int	name_next(const char **, char *, size_t, char *, size_t,
		    char *, size_t);
static int	name_value(const char **, const char *, char *, size_t,
		    char *, size_t);
static int	name_add(X509_NAME *, const char *, const char *, char *,
		    size_t);
static int	url_ok(const char *, const char *, char *, size_t);
static int	san_label(const GENERAL_NAME *, char *, size_t);

/* Formats a one-line reason into why (which may be NULL). */
void
x509_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	 ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* An OpenSSL call failed: name it with OpenSSL's reason, empty the queue. */
void
x509_why_ssl(char *why, size_t whylen, const char *call)
{
	unsigned long	 e = ERR_peek_last_error();
	const char	*r = e == 0 ? NULL : ERR_reason_error_string(e);

	x509_why(why, whylen, "%s failed: %s", call,
	    r == NULL ? "no OpenSSL reason" : r);
	ERR_clear_error();
}

/*
 * Parses an RFC 4514 style "CN=keyward Root CA,O=Example" into a name.  As
 * in RFC 4514 the last component is the first RDN in DER order, so the
 * example encodes as O, then CN.  A backslash escapes the next character
 * (",", "+", "\", a space); multi-valued RDNs ("+") and "#hex" values are
 * not supported and refused.
 */
X509_NAME *
x509_name_parse(const char *subject, char *why, size_t whylen)
{
	X509_NAME	*name = NULL, *ret = NULL;
	const char	*p = subject;
	char		 attr[NAME_ATTR_MAX], val[NAME_VALUE_MAX];

	if (subject == NULL || subject[0] == '\0') {
		x509_why(why, whylen, "subject is empty");
		goto out;
	}
	if ((name = X509_NAME_new()) == NULL) {
		x509_why_ssl(why, whylen, "X509_NAME_new");
		goto out;
	}
	while (*p != '\0') {
		if (name_next(&p, attr, sizeof(attr), val, sizeof(val), why,
		    whylen) == -1 || name_add(name, attr, val, why,
		    whylen) == -1)
			goto out;
	}
	ret = name;
	name = NULL;
 out:
	X509_NAME_free(name);
	return ret;
}

/* Copies one "attr=value" at *sp, undoing escapes; *sp moves past it. */
static int
name_next(const char **sp, char *attr, size_t attrsz, char *val,
    size_t valsz, char *why, size_t whylen)
{
	const char	*p = *sp;
	size_t		 n = 0;

	while (*p == ' ')
		p++;
	while (*p != '=' && *p != ',' && *p != '\0' && n + 1 < attrsz)
		attr[n++] = *p++;
	while (n > 0 && attr[n - 1] == ' ')
		n--;
	attr[n] = '\0';
	if (*p != '=' || n == 0) {
		x509_why(why, whylen, "subject component near \"%.40s\" is "
		    "not ATTR=value", *sp);
		return -1;
	}
	for (p++; *p == ' '; p++)
		;
	if (*p == '#') {
		x509_why(why, whylen, "subject %s: #hex values are not "
		    "supported", attr);
		return -1;
	}
	if (name_value(&p, attr, val, valsz, why, whylen) == -1)
		return -1;
	if (*p == ',' && *++p == '\0') {
		x509_why(why, whylen, "subject ends with a comma");
		return -1;
	}
	*sp = p;
	return 0;
}

/* Copies a value up to an unescaped comma; trailing unescaped spaces go. */
static int
name_value(const char **sp, const char *attr, char *val, size_t valsz,
    char *why, size_t whylen)
{
	const char	*p;
	size_t		 n = 0, keep = 0;
	int		 esc;

	for (p = *sp; *p != ',' && *p != '\0'; p++) {
		if ((esc = *p == '\\') && *++p == '\0') {
			x509_why(why, whylen, "subject %s: value ends with a "
			    "backslash", attr);
			return -1;
		}
		if (!esc && *p == '+') {
			x509_why(why, whylen, "subject %s: multi-valued RDNs "
			    "are not supported (escape '+' as '\\+')", attr);
			return -1;
		}
		if (n + 1 >= valsz) {
			x509_why(why, whylen, "subject %s: value longer than "
			    "%zu bytes", attr, valsz - 1);
			return -1;
		}
		val[n++] = *p;
		if (esc)
			keep = n;
	}
	while (n > keep && val[n - 1] == ' ')
		n--;
	val[n] = '\0';
	if (n == 0) {
		x509_why(why, whylen, "subject %s: empty value", attr);
		return -1;
	}
	*sp = p;
	return 0;
}

/* Prepends attr=val as a new RDN (RFC 4514 order, see x509_name_parse). */
static int
name_add(X509_NAME *name, const char *attr, const char *val, char *why,
    size_t whylen)
{
	if (OBJ_txt2nid(attr) == NID_undef) {
		x509_why(why, whylen, "subject: unknown attribute \"%s\"",
		    attr);
		return -1;
	}
	if (X509_NAME_add_entry_by_txt(name, attr, MBSTRING_UTF8,
	    (const unsigned char *)val, -1, 0, 0) != 1) {
		ERR_clear_error();
		x509_why(why, whylen, "subject: value \"%s\" is not valid "
		    "for %s", val, attr);
		return -1;
	}
	return 0;
}

/* A serial as the ledger writes it (upper-case hex) as an INTEGER. */
ASN1_INTEGER *
x509_serial_asn1(const char *hex)
{
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai = NULL;

	if (hex != NULL && hex[0] != '\0' && strlen(hex) <= 2 * 20 &&
	    strspn(hex, "0123456789ABCDEF") == strlen(hex) &&
	    BN_hex2bn(&bn, hex) == (int)strlen(hex))
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

/* An ASN1_TIME (UTCTime or GeneralizedTime) as seconds since the epoch. */
int
x509_time(const ASN1_TIME *t, time_t *out)
{
	struct tm	 tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Serial numbers must be positive and minimally encoded as given. */
int
x509_set_serial(X509 *cert, const uint8_t *serial, size_t len, char *why,
    size_t whylen)
{
	if (serial == NULL || len == 0 || len > 20 || serial[0] == 0 ||
	    (serial[0] & 0x80) != 0) {
		x509_why(why, whylen, "serial is not a positive, minimally "
		    "encoded integer of 1 to 20 bytes");
		return -1;
	}
	if (ASN1_STRING_set(X509_get_serialNumber(cert), serial,
	    (int)len) != 1) {
		x509_why_ssl(why, whylen, "ASN1_STRING_set");
		return -1;
	}
	return 0;
}

/*
 * A v3 certificate with serial and names; no key, no validity yet.  The
 * caller sets the key: x509_spki_copy() from a request, X509_set_pubkey()
 * from a key of ours.
 */
X509 *
x509_new_cert(const uint8_t *serial, size_t serial_len,
    const X509_NAME *issuer, const X509_NAME *subject, char *why,
    size_t whylen)
{
	X509	*cert = NULL, *ret = NULL;

	if ((cert = X509_new()) == NULL) {
		x509_why_ssl(why, whylen, "X509_new");
		goto out;
	}
	if (x509_set_serial(cert, serial, serial_len, why, whylen) == -1)
		goto out;
	if (X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_issuer_name(cert, issuer) != 1 ||
	    X509_set_subject_name(cert, subject) != 1) {
		x509_why_ssl(why, whylen, "X509_set_*");
		goto out;
	}
	ret = cert;
	cert = NULL;
 out:
	X509_free(cert);
	return ret;
}

/*
 * Gives cert the SubjectPublicKeyInfo src, algorithm and key bits as they
 * are: X509_set_pubkey() would encode an EVP_PKEY and decode it again.
 * The certificate then has no EVP_PKEY: X509_get0_pubkey() answers NULL.
 */
int
x509_spki_copy(X509 *cert, const X509_PUBKEY *src, char *why, size_t whylen)
{
	X509_PUBKEY		*dst = X509_get_X509_PUBKEY(cert);
	X509_ALGOR		*salg, *dalg;
	ASN1_OBJECT		*obj, *alg = NULL;
	const unsigned char	*bits;
	unsigned char		*copy = NULL;
	int			 len;

	if (src == NULL || X509_PUBKEY_get0_param(&obj, &bits, &len, &salg,
	    src) != 1 || len <= 0 || (alg = OBJ_dup(obj)) == NULL ||
	    (copy = OPENSSL_memdup(bits, len)) == NULL ||
	    X509_PUBKEY_set0_param(dst, alg, V_ASN1_UNDEF, NULL, copy,
	    len) != 1) {
		ASN1_OBJECT_free(alg);
		OPENSSL_free(copy);
		x509_why_ssl(why, whylen, "copying the public key");
		return -1;
	}
	if (X509_PUBKEY_get0_param(NULL, NULL, NULL, &dalg, dst) != 1 ||
	    X509_ALGOR_copy(dalg, salg) != 1) {
		x509_why_ssl(why, whylen, "copying the key algorithm");
		return -1;
	}
	return 0;
}

/*
 * notBefore = now - skew_min minutes; notAfter = min(now + days, cap).  A
 * cap already in the past (an expired CA) is refused.
 */
int
x509_set_validity(X509 *cert, int skew_min, int days, const ASN1_TIME *cap,
    char *why, size_t whylen)
{
	time_t	 now = time(NULL);

	if (days <= 0 || skew_min < 0) {
		x509_why(why, whylen, "validity of %d days with a clock skew "
		    "of %d minutes is not usable", days, skew_min);
		return -1;
	}
	if (cap != NULL && X509_cmp_time(cap, &now) != 1) {
		x509_why(why, whylen, "the CA certificate has expired");
		return -1;
	}
	if (X509_time_adj_ex(X509_getm_notBefore(cert), 0,
	    -60L * skew_min, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, &now) ==
	    NULL) {
		x509_why_ssl(why, whylen, "X509_time_adj_ex");
		return -1;
	}
	if (cap != NULL && ASN1_TIME_compare(cap, X509_get0_notAfter(cert)) <
	    0 && X509_set1_notAfter(cert, cap) != 1) {
		x509_why_ssl(why, whylen, "X509_set1_notAfter");
		return -1;
	}
	return 0;
}

/* One extension from an openssl.cnf style value, e.g. "critical,CA:FALSE". */
X509_EXTENSION *
x509_ext_new(X509V3_CTX *ctx, int nid, const char *value, char *why,
    size_t whylen)
{
	X509_EXTENSION	*ext;

	if ((ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value)) == NULL) {
		ERR_clear_error();
		x509_why(why, whylen, "cannot build %s from \"%s\"",
		    OBJ_nid2sn(nid), value);
	}
	return ext;
}

/* Adds one extension built by x509_ext_new to cert. */
int
x509_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value,
    char *why, size_t whylen)
{
	X509_EXTENSION	*ext = NULL;
	int		 ret = -1;

	if ((ext = x509_ext_new(ctx, nid, value, why, whylen)) == NULL)
		goto out;
	if (X509_add_ext(cert, ext, -1) != 1) {
		x509_why_ssl(why, whylen, "X509_add_ext");
		goto out;
	}
	ret = 0;
 out:
	X509_EXTENSION_free(ext);
	return ret;
}

/*
 * SKI from the certificate's own key, AKI from the issuer's SKI (issuer may
 * be cert itself when self-signed, after its SKI is in place).
 */
int
x509_add_key_ids(X509 *cert, X509 *issuer, char *why, size_t whylen)
{
	X509V3_CTX	 ctx;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if (x509_add_ext(cert, &ctx, NID_subject_key_identifier, "hash",
	    why, whylen) == -1 ||
	    x509_add_ext(cert, &ctx, NID_authority_key_identifier,
	    "keyid:always", why, whylen) == -1)
		return -1;
	return 0;
}

/* A URL goes into an openssl.cnf list: refuse what would split it. */
static int
url_ok(const char *key, const char *url, char *why, size_t whylen)
{
	const char	*p;

	for (p = url; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == ',')
			break;
	if (*p != '\0' || p - url >= URL_MAX) {
		x509_why(why, whylen, "%s \"%.60s\" has a space, comma or "
		    "control character, or is too long", key, url);
		return -1;
	}
	return 0;
}

/* cRLDistributionPoints and authorityInfoAccess for the URLs that are set. */
int
x509_add_urls(X509 *cert, const struct conf *cf, char *why, size_t whylen)
{
	X509V3_CTX	 ctx;
	char		 buf[2 * URL_MAX + 64];
	const char	*ocsp = cf->cf_ocsp_url, *ca = cf->cf_ca_issuers_url;

	X509V3_set_ctx(&ctx, NULL, cert, NULL, NULL, 0);
	if (cf->cf_crl_url != NULL && cf->cf_crl_url[0] != '\0') {
		if (url_ok("crl_url", cf->cf_crl_url, why, whylen) == -1)
			return -1;
		snprintf(buf, sizeof(buf), "URI:%s", cf->cf_crl_url);
		if (x509_add_ext(cert, &ctx, NID_crl_distribution_points, buf,
		    why, whylen) == -1)
			return -1;
	}
	if (ocsp != NULL && ocsp[0] == '\0')
		ocsp = NULL;
	if (ca != NULL && ca[0] == '\0')
		ca = NULL;
	if (ocsp == NULL && ca == NULL)
		return 0;
	if ((ocsp != NULL && url_ok("ocsp_url", ocsp, why, whylen) == -1) ||
	    (ca != NULL && url_ok("ca_issuers_url", ca, why, whylen) == -1))
		return -1;
	snprintf(buf, sizeof(buf), "%s%s%s%s%s",
	    ocsp != NULL ? "OCSP;URI:" : "", ocsp != NULL ? ocsp : "",
	    ocsp != NULL && ca != NULL ? "," : "",
	    ca != NULL ? "caIssuers;URI:" : "", ca != NULL ? ca : "");
	return x509_add_ext(cert, &ctx, NID_info_access, buf, why, whylen);
}

/*
 * SHA-256 signature by key (software or PKCS#11), then checked against pub
 * when given: catches a key that is not the certificate's, or a token fault.
 */
int
x509_sign(X509 *cert, EVP_PKEY *key, EVP_PKEY *pub, char *why,
    size_t whylen)
{
	if (key == NULL) {
		x509_why(why, whylen, "no signing key");
		return -1;
	}
	if (X509_sign(cert, key, EVP_sha256()) <= 0) {
		x509_why_ssl(why, whylen, "X509_sign");
		return -1;
	}
	if (pub != NULL && X509_verify(cert, pub) != 1) {
		ERR_clear_error();
		x509_why(why, whylen, "the new signature does not verify with "
		    "the issuer's public key (wrong key or token fault)");
		return -1;
	}
	return 0;
}

/*
 * Decodes the one extension nid the CSR requests into *out (NULL if it asks
 * for none).  A malformed or repeated extension is refused.
 */
int
x509_req_ext(X509_REQ *req, int nid, void **out, char *why, size_t whylen)
{
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	int				 crit = -1, ret = -1;

	*out = NULL;
	if ((exts = X509_REQ_get_extensions(req)) == NULL) {
		ERR_clear_error();
		x509_why(why, whylen, "CSR extension request does not parse");
		goto out;
	}
	*out = X509V3_get_d2i(exts, nid, &crit, NULL);
	if (*out == NULL && crit == -2) {
		x509_why(why, whylen, "CSR requests %s more than once",
		    OBJ_nid2ln(nid));
		goto out;
	}
	if (*out == NULL && crit != -1) {
		ERR_clear_error();
		x509_why(why, whylen, "CSR %s extension does not parse",
		    OBJ_nid2ln(nid));
		goto out;
	}
	ret = 0;
 out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ret;
}

/* Names gen's type for an operator; returns 0 or the SAN_* bit if known. */
static int
san_label(const GENERAL_NAME *gen, char *label, size_t labelsz)
{
	const OTHERNAME	*on = gen->d.otherName;
	char		 oid[80];

	switch (gen->type) {
	case GEN_DNS:
		snprintf(label, labelsz, "dNSName");
		return SAN_DNS;
	case GEN_EMAIL:
		snprintf(label, labelsz, "rfc822Name");
		return SAN_EMAIL;
	case GEN_URI:
		snprintf(label, labelsz, "uniformResourceIdentifier");
		return SAN_URI;
	case GEN_IPADD:
		snprintf(label, labelsz, "iPAddress");
		return SAN_IP;
	case GEN_OTHERNAME:
		if (OBJ_obj2nid(on->type_id) == NID_ms_upn &&
		    on->value->type == V_ASN1_UTF8STRING) {
			snprintf(label, labelsz, "otherName UPN");
			return SAN_UPN;
		}
		OBJ_obj2txt(oid, sizeof(oid), on->type_id, 1);
		snprintf(label, labelsz, "otherName %s%s", oid,
		    OBJ_obj2nid(on->type_id) == NID_ms_upn ?
		    " (not a UTF8String)" : "");
		return 0;
	case GEN_DIRNAME:
		snprintf(label, labelsz, "directoryName");
		return 0;
	case GEN_RID:
		snprintf(label, labelsz, "registeredID");
		return 0;
	case GEN_X400:
		snprintf(label, labelsz, "x400Address");
		return 0;
	default:
		snprintf(label, labelsz, "ediPartyName");
		return 0;
	}
}

/* The SAN_* bit for gen (0 if keyward never issues that type). */
unsigned
x509_san_type(const GENERAL_NAME *gen, char *label, size_t labelsz)
{
	char	 buf[96];

	if (label == NULL || labelsz == 0) {
		label = buf;
		labelsz = sizeof(buf);
	}
	return (unsigned)san_label(gen, label, labelsz);
}
