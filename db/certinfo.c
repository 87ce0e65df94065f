/*
 * certinfo.c: the certificate table's columns that come from the DER.
 * The issued writer and the verifier's replay both call
 * ledger_cert_fields(), so a row and its replay cannot drift apart.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "ledger_int.h"

static int	 bio_string(BIO *, char **);
static int	 cert_subject(X509 *, char **);
static int	 san_str(BIO *, const char *, const ASN1_STRING *);
static int	 san_ip(BIO *, const ASN1_OCTET_STRING *);
static int	 san_other(BIO *, const OTHERNAME *);
static int	 san_one(BIO *, const GENERAL_NAME *);
static int	 cert_sans(X509 *, char **);
static int	 cert_key_fp(X509 *, char **);
static int	 cert_serial(X509 *, char **);
static int	 cert_time(const ASN1_TIME *, int64_t *);

/* Moves what was written to a memory BIO into a new C string. */
static int
bio_string(BIO *b, char **out)
{
	char	*p;
	long	 len;

	if ((len = BIO_get_mem_data(b, &p)) < 0 ||
	    (*out = malloc((size_t)len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(*out, p, (size_t)len);
	(*out)[len] = '\0';
	return 0;
}

/* The subject on one line, RFC 2253 order and escaping. */
static int
cert_subject(X509 *x, char **out)
{
	BIO	*b;
	int	 rc = -1;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253) >= 0 && bio_string(b, out) == 0)
		rc = 0;
	BIO_free(b);
	return rc;
}

/* "tag:value", with backslash and control bytes as \xNN. */
static int
san_str(BIO *b, const char *tag, const ASN1_STRING *s)
{
	const unsigned char	*p = ASN1_STRING_get0_data(s);
	int			 i, n = ASN1_STRING_length(s);

	if (BIO_puts(b, tag) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\') {
			if (BIO_printf(b, "\\x%02X", p[i]) < 0)
				return -1;
		} else if (BIO_write(b, &p[i], 1) != 1)
			return -1;
	}
	return 0;
}

static int
san_ip(BIO *b, const ASN1_OCTET_STRING *ip)
{
	char			 buf[INET6_ADDRSTRLEN];
	const unsigned char	*p = ASN1_STRING_get0_data(ip);
	int			 i, n = ASN1_STRING_length(ip);

	if (n == 4 || n == 16) {
		if (inet_ntop(n == 4 ? AF_INET : AF_INET6, p, buf,
		    sizeof(buf)) == NULL)
			return -1;
		return BIO_printf(b, "IP:%s", buf) < 0 ? -1 : 0;
	}
	if (BIO_puts(b, "IP:") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (BIO_printf(b, "%02X", p[i]) < 0)
			return -1;
	return 0;
}

/* A UPN by name; any other otherName only by its OID. */
static int
san_other(BIO *b, const OTHERNAME *on)
{
	char	 oid[128];

	if (OBJ_obj2nid(on->type_id) == NID_ms_upn && on->value != NULL &&
	    on->value->type == V_ASN1_UTF8STRING)
		return san_str(b, "UPN:", on->value->value.utf8string);
	if (OBJ_obj2txt(oid, sizeof(oid), on->type_id, 1) <= 0)
		return -1;
	return BIO_printf(b, "othername:%s", oid) < 0 ? -1 : 0;
}

static int
san_one(BIO *b, const GENERAL_NAME *gn)
{
	char	 oid[128];

	switch (gn->type) {
	case GEN_DNS:
		return san_str(b, "DNS:", gn->d.dNSName);
	case GEN_URI:
		return san_str(b, "URI:", gn->d.uniformResourceIdentifier);
	case GEN_EMAIL:
		return san_str(b, "email:", gn->d.rfc822Name);
	case GEN_IPADD:
		return san_ip(b, gn->d.iPAddress);
	case GEN_OTHERNAME:
		return san_other(b, gn->d.otherName);
	case GEN_DIRNAME:
		if (BIO_puts(b, "DirName:") < 0)
			return -1;
		return X509_NAME_print_ex(b, gn->d.directoryName, 0,
		    XN_FLAG_RFC2253) < 0 ? -1 : 0;
	case GEN_RID:
		if (OBJ_obj2txt(oid, sizeof(oid), gn->d.registeredID, 1) <= 0)
			return -1;
		return BIO_printf(b, "RID:%s", oid) < 0 ? -1 : 0;
	default:
		return BIO_printf(b, "other:%d", gn->type) < 0 ? -1 : 0;
	}
}

/* "DNS:a, URI:b, email:c, IP:d, UPN:e" in certificate order; "" if none. */
static int
cert_sans(X509 *x, char **out)
{
	GENERAL_NAMES	*gens = NULL;
	BIO		*b = NULL;
	int		 i, crit, rc = -1;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL && crit != -1)
		goto out;	/* present but unreadable, or repeated */
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		if (i > 0 && BIO_puts(b, ", ") < 0)
			goto out;
		if (san_one(b, sk_GENERAL_NAME_value(gens, i)) == -1)
			goto out;
	}
	rc = bio_string(b, out);
 out:
	GENERAL_NAMES_free(gens);
	BIO_free(b);
	return rc;
}

static int
cert_key_fp(X509 *x, char **out)
{
	unsigned char	*der = NULL;
	int		 len, rc = -1;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0)
		goto out;
	if ((*out = malloc(65)) == NULL)
		goto out;
	if (ledger_hex_sha256(der, (size_t)len, *out) == -1) {
		free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
 out:
	OPENSSL_free(der);
	return rc;
}

/* The serial as serial_of_cert() prints it, allocated. */
static int
cert_serial(X509 *x, char **out)
{
	if ((*out = malloc(SERIAL_HEX_MAX)) == NULL)
		return -1;
	return serial_of_cert(x, *out);
}

static int
cert_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/*
 * Sets lc_serial, lc_subject, lc_sans, lc_key_fp (allocated) and the
 * validity from a DER certificate; the caller passes those pointers NULL.
 * On failure they are left NULL and -1 is returned.
 */
int
ledger_cert_fields(const uint8_t *der, size_t derlen, struct ledger_cert *lc)
{
	const uint8_t	*p = der;
	X509		*x = NULL;
	int		 rc = -1;

	if (der != NULL && derlen > 0 && derlen <= LONG_MAX &&
	    (x = d2i_X509(NULL, &p, (long)derlen)) != NULL &&
	    p == der + derlen)
		rc = ledger_cert_fields_x509(x, lc);
	ERR_clear_error();
	X509_free(x);
	return rc;
}

/* ledger_cert_fields() of a certificate the caller has decoded already. */
int
ledger_cert_fields_x509(X509 *x, struct ledger_cert *lc)
{
	if (cert_serial(x, &lc->lc_serial) == 0 &&
	    cert_subject(x, &lc->lc_subject) == 0 &&
	    cert_sans(x, &lc->lc_sans) == 0 &&
	    cert_key_fp(x, &lc->lc_key_fp) == 0 &&
	    cert_time(X509_get0_notBefore(x), &lc->lc_not_before) == 0 &&
	    cert_time(X509_get0_notAfter(x), &lc->lc_not_after) == 0)
		return 0;
	ERR_clear_error();
	free(lc->lc_serial);
	free(lc->lc_subject);
	free(lc->lc_sans);
	free(lc->lc_key_fp);
	lc->lc_serial = lc->lc_subject = NULL;
	lc->lc_sans = lc->lc_key_fp = NULL;
	return -1;
}
